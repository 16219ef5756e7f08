/* SPDX-License-Identifier: MIT */
/* make bench's cost of naming the VFs held outside libvirt (bench/bench_holders.py runs it on
 * its held host): vf_holders_name as a one-shot run calls it (no hints: the whole /proc pass
 * when the holders are the last processes) and as serve's next gather does (the hints its last
 * gather left). Each round reads the host's sysfs afresh, untimed; only the naming is timed,
 * in this process's CPU time. Prints the medians and minima in microseconds.
 *
 * usage: holderscost HOST_DIR ROUNDS   (HOST_DIR as bench/mkbench.py makes it) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "holders.h"
#include "libvirt.h"
#include "model.h"
#include "sysfs.h"
#include "util.h"

static double cpu_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct paths {
	char *sysfs, *proc, *netns;
};

/* The time of one naming of a freshly read host, with hints (NULL: none). */
static double name_once(const struct paths *p, const struct vf_config *cfg, const struct vf_usage *u,
			struct vf_holder_hints *hints)
{
	_cleanup_host_ struct vf_host *h = vf_host_new();
	if (vf_sysfs_read(p->sysfs, cfg, NULL, h) < 0) {
		fprintf(stderr, "holderscost: cannot read %s\n", p->sysfs);
		exit(1);
	}
	double t = cpu_us();
	vf_holders_name(h, u, p->proc, p->netns, hints);
	return cpu_us() - t;
}

static void print_row(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), dbl_cmp);
	printf("%-34s median %8.0f us   min %8.0f us\n", what, v[n / 2], v[0]);
}

int main(int argc, char **argv)
{
	int rounds = argc == 3 ? atoi(argv[2]) : 0;
	if (rounds < 2) { /* the hinted runs' first is the pass that makes the hints: not counted */
		fprintf(stderr, "usage: holderscost HOST_DIR ROUNDS\n");
		return 1;
	}
	const char *d = argv[1];
	struct paths p = { xasprintf("%s/sysfs", d), xasprintf("%s/proc", d), xasprintf("%s/netns", d) };
	_cleanup_free_ char *conf = xasprintf("%s/vfcap.conf", d), *uri = xasprintf("test://%s/libvirt.xml", d);
	struct vf_config *cfg = NULL;
	char *err = NULL;
	struct vf_usage u = { 0 };
	if (vf_config_load(conf, &cfg, &err) < 0 || vf_libvirt_read_within(uri, 30, &u, &err) < 0) {
		fprintf(stderr, "holderscost: %s\n", err);
		return 1;
	}
	double *cold = xcalloc((size_t)rounds, sizeof(double)), *warm = xcalloc((size_t)rounds, sizeof(double));
	struct vf_holder_hints hints = { 0 };
	for (int i = 0; i < rounds; i++) {
		cold[i] = name_once(&p, cfg, &u, NULL);
		warm[i] = name_once(&p, cfg, &u, &hints); /* the first round's pass leaves the hints */
	}
	printf("%zu VFs named through a process\n", hints.n);
	print_row("one-shot (no hints): the pass", cold, rounds);
	print_row("serve's next gather (hints)", warm + 1, rounds - 1);
	vf_holder_hints_clear(&hints);
	vf_usage_clear(&u);
	vf_config_free(cfg);
	free(cold);
	free(warm);
	free(p.sysfs);
	free(p.proc);
	free(p.netns);
	return 0;
}
