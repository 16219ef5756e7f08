/* SPDX-License-Identifier: MIT */
#include "ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define LEDGER_HEADER "# vfcap reservations v1\n"
#define LEDGER_MAX (16u << 20)

int vf_pool_lock(const char *run_dir, char **errmsg)
{
	if (mkdir(run_dir, 0755) < 0 && errno != EEXIST)
		return set_error(errmsg, -errno, "cannot create %s: %s", run_dir, strerror(errno));
	_cleanup_free_ char *path = xasprintf("%s/pool.lock", run_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return set_error(errmsg, -errno, "cannot open %s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		int r = -errno;
		close(fd);
		return set_error(errmsg, r, "cannot lock %s: %s", path, strerror(-r));
	}
	return fd;
}

void vf_ledger_clear(struct vf_ledger *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->r[i].vm);
	free(l->r);
	free(l->path);
	*l = (struct vf_ledger){ 0 };
}

/* "<vm> <mac> <time>": the VM id is VDSM's UUID, but any token without blanks is kept. */
static bool parse_line(char *line, struct vf_reservation *out)
{
	char *save = NULL;
	char *vm = strtok_r(line, " \t", &save), *mac = strtok_r(NULL, " \t", &save);
	char *at = strtok_r(NULL, " \t", &save);
	long t;
	if (!vm || !mac || !at || strtok_r(NULL, " \t", &save) || strlen(mac) >= sizeof(out->mac) ||
	    parse_long(at, 0, LONG_MAX, &t) < 0)
		return false;
	out->vm = xstrdup(vm);
	strcpy(out->mac, mac);
	out->at = (time_t)t;
	return true;
}

int vf_ledger_load(const char *run_dir, struct vf_ledger *l, char **errmsg)
{
	*l = (struct vf_ledger){ .path = xasprintf("%s/reservations", run_dir) };
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_full_file(l->path, &text, &len, LEDGER_MAX);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return set_error(errmsg, r, "cannot read %s: %s", l->path, strerror(-r));
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		struct vf_reservation res;
		if (!parse_line(line, &res)) {
			l->dropped++;
			continue;
		}
		*(struct vf_reservation *)array_append(&l->r, &l->n, sizeof(res)) = res;
	}
	return 0;
}

int vf_ledger_save(const struct vf_ledger *l, char **errmsg)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return set_error(errmsg, -ENOMEM, "out of memory");
	fputs(LEDGER_HEADER, f);
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%s %s %lld\n", l->r[i].vm, l->r[i].mac, (long long)l->r[i].at);
	if (fclose(f) != 0)
		return set_error(errmsg, -ENOMEM, "out of memory");
	int r = write_file_atomic(l->path, text, len, 0644);
	if (r < 0)
		return set_error(errmsg, r, "cannot write %s: %s", l->path, strerror(-r));
	return 0;
}

/* Keep the entries for which drop() is false; returns how many went. */
static size_t filter(struct vf_ledger *l, bool (*drop)(const struct vf_reservation *, const void *),
		     const void *arg)
{
	size_t kept = 0, n = l->n;
	for (size_t i = 0; i < n; i++) {
		if (drop(&l->r[i], arg))
			free(l->r[i].vm);
		else
			l->r[kept++] = l->r[i];
	}
	l->n = kept;
	return n - kept;
}

struct window {
	time_t now;
	int ttl;
};

static bool expired(const struct vf_reservation *r, const void *arg)
{
	const struct window *w = arg;
	return r->at > w->now || w->now - r->at >= w->ttl;
}

size_t vf_ledger_expire(struct vf_ledger *l, time_t now, int ttl)
{
	return filter(l, expired, &(struct window){ now, ttl });
}

struct who {
	const char *vm, *mac;
};

static bool is_theirs(const struct vf_reservation *r, const void *arg)
{
	const struct who *w = arg;
	return streq(r->vm, w->vm) && (!w->mac || strcasecmp(r->mac, w->mac) == 0);
}

size_t vf_ledger_release(struct vf_ledger *l, const char *vm, const char *mac)
{
	return filter(l, is_theirs, &(struct who){ vm, mac });
}

struct mac_list {
	char *const *macs;
	size_t n;
};

static bool has_port(const struct vf_reservation *r, const void *arg)
{
	const struct mac_list *m = arg;
	for (size_t i = 0; i < m->n; i++)
		if (strcasecmp(r->mac, m->macs[i]) == 0)
			return true;
	return false;
}

size_t vf_ledger_settle(struct vf_ledger *l, char *const *macs, size_t n_macs)
{
	return filter(l, has_port, &(struct mac_list){ macs, n_macs });
}

void vf_ledger_add(struct vf_ledger *l, const char *vm, const char *mac, time_t now)
{
	struct vf_reservation *r = array_append(&l->r, &l->n, sizeof(*r));
	r->vm = xstrdup(vm);
	snprintf(r->mac, sizeof(r->mac), "%s", mac ? mac : "-");
	r->at = now;
}
