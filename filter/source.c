/* SPDX-License-Identifier: MIT */
/* Capacity entries, the host-id table, reading one report file, and the lookup that merges the
 * directory and HTTP sources. The sources themselves are source-dir.c and source-http.c. */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"
#include "report.h"
#include "source-internal.h"
#include "util.h"

/* ---- entries ---- */

static struct vf_capacity *capacity_new(const char *host_id)
{
	/* the id right after the struct: a lookup's probe compares it and then takes a reference,
	 * and one allocation is one cache miss less per host than two */
	size_t len = strlen(host_id);
	struct vf_capacity *c = xcalloc(1, sizeof(*c) + len + 1);
	c->refs = 1;
	c->host_id = memcpy(c + 1, host_id, len + 1);
	c->free = c->usable = UNKNOWN;
	return c;
}

struct vf_capacity *vf_capacity_from_host(const struct vf_host *h, const char *host_id)
{
	struct vf_capacity *c = capacity_new(host_id);
	c->generated_at = h->generated_at;
	c->free = h->totals.free;
	c->usable = h->totals.usable;
	c->pfs = xcalloc(h->n_pfs, sizeof(*c->pfs));
	c->n_pfs = h->n_pfs;
	for (size_t i = 0; i < h->n_pfs; i++) {
		const struct vf_pf *pf = &h->pfs[i];
		c->pfs[i] = (struct vf_cap_pf){
			.name = xstrdup(pf->name),
			.physical_network = xstrdup(pf->physical_network),
			.fabric = xstrdup(pf->fabric),
			.free = pf->free,
			.usable = pf->usable,
			.truncated = pf->nl.valid && pf->nl.truncated,
		};
	}
	return c;
}

struct vf_capacity *vf_capacity_error(const char *host_id, const char *fmt, ...)
{
	struct vf_capacity *c = capacity_new(host_id);
	va_list ap;
	va_start(ap, fmt);
	c->error = xvasprintf(fmt, ap);
	va_end(ap);
	/* one line: it is printed alone, and ends up in an XML-RPC reply and the log */
	for (char *p = c->error; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return c;
}

struct vf_capacity *vf_capacity_ref(struct vf_capacity *c)
{
	/* relaxed: whoever passes c on already holds a reference, so it cannot reach zero here */
	if (c)
		__atomic_fetch_add(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

static void capacity_free(struct vf_capacity *c)
{
	for (size_t i = 0; i < c->n_pfs; i++) {
		free(c->pfs[i].name);
		free(c->pfs[i].physical_network);
		free(c->pfs[i].fabric);
	}
	free(c->pfs);
	free(c->error);
	free(c);
}

void vf_capacity_unref(struct vf_capacity *c)
{
	/* acq_rel: the thread that frees must see every other owner's last use */
	if (c && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		capacity_free(c);
}

/* ---- one report file ---- */

static const char *open_error(int err)
{
	/* O_NOFOLLOW refuses a symlink with ELOOP, whose text ("Too many levels...") misleads */
	return err == ELOOP ? "is a symbolic link (refused)" : strerror(err);
}

struct vf_capacity *vf_capacity_read_at(int dir_fd, const char *file, const char *shown,
					const char *host_id, struct vf_file_key *key)
{
	if (key)
		*key = (struct vf_file_key){ 0 };
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer */
	_cleanup_close_ int fd =
		openat(dir_fd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return vf_capacity_error(host_id, "%s: %s", shown, open_error(errno));
	struct stat st;
	if (fstat(fd, &st) < 0)
		return vf_capacity_error(host_id, "%s: %s", shown, strerror(errno));
	if (key)
		vf_file_key_of(&st, key);
	if (!S_ISREG(st.st_mode))
		return vf_capacity_error(host_id, "%s: not a regular file", shown);
	if ((uintmax_t)st.st_size > VF_REPORT_FILE_MAX)
		return vf_capacity_error(host_id, "%s: too large (%jd bytes; at most %u)", shown,
					 (intmax_t)st.st_size, VF_REPORT_FILE_MAX);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_full_fd(fd, &text, &len, VF_REPORT_FILE_MAX);
	if (r == -EFBIG)
		return vf_capacity_error(host_id, "%s: too large (more than %u bytes)", shown,
					 VF_REPORT_FILE_MAX);
	if (r < 0)
		return vf_capacity_error(host_id, "%s: %s", shown, strerror(-r));
	_cleanup_host_ struct vf_host *h = NULL;
	_cleanup_free_ char *err = NULL;
	r = vf_report_parse(text, len, &h, &err);
	if (r < 0)
		return vf_capacity_error(host_id, "%s: %s", shown, err ? err : strerror(-r));
	return vf_capacity_from_host(h, host_id);
}

struct vf_capacity *vf_capacity_read_file(int dir_fd, const char *file, const char *host_id)
{
	return vf_capacity_read_at(dir_fd, file, file, host_id, NULL);
}

/* ---- the table ---- */

uint32_t vf_table_hash(const char *id)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static struct vf_slot *slots_new(size_t size)
{
	return xcalloc(size, sizeof(struct vf_slot));
}

struct vf_table *vf_table_new(size_t n_hint)
{
	size_t size = 16;
	while (size < 2 * n_hint)
		size *= 2;
	struct vf_table *t = xcalloc(1, sizeof(*t));
	t->slots = slots_new(size);
	t->mask = size - 1;
	return t;
}

struct vf_slot *vf_table_find(const struct vf_table *t, const char *id, uint32_t hash)
{
	for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
		struct vf_slot *s = &t->slots[i];
		if (!s->cap)
			return NULL;
		if (s->hash == hash && streq(s->cap->host_id, id))
			return s;
	}
}

static struct vf_slot *empty_slot(struct vf_slot *slots, size_t mask, uint32_t hash)
{
	size_t i = hash & mask;
	while (slots[i].cap)
		i = (i + 1) & mask;
	return &slots[i];
}

struct vf_slot *vf_table_insert(struct vf_table *t, uint32_t hash)
{
	/* at most half full: probes stay short, and there is always an empty slot to stop at */
	if (2 * (t->n + 1) > t->mask + 1) {
		size_t mask = 2 * t->mask + 1;
		struct vf_slot *slots = slots_new(mask + 1);
		for (size_t i = 0; i <= t->mask; i++)
			if (t->slots[i].cap)
				*empty_slot(slots, mask, t->slots[i].hash) = t->slots[i];
		free(t->slots);
		t->slots = slots;
		t->mask = mask;
	}
	struct vf_slot *s = empty_slot(t->slots, t->mask, hash);
	s->hash = hash;
	t->n++;
	return s;
}

void vf_table_free(struct vf_table *t, void (*clear)(struct vf_slot *s))
{
	if (!t)
		return;
	for (size_t i = 0; i <= t->mask; i++) {
		if (!t->slots[i].cap)
			continue;
		if (clear)
			clear(&t->slots[i]);
		vf_capacity_unref(t->slots[i].cap);
	}
	free(t->slots);
	free(t);
}

/* ---- the sources ---- */

struct vf_sources {
	struct vf_dir *dir;   /* NULL: no directory */
	struct vf_http *http; /* NULL: no url_template */
};

static int check_opts(const struct vf_source_opts *o, char **errmsg)
{
	if (!o->reports_dir && !o->url_template)
		return set_error(errmsg, -EINVAL, "no report source: set a reports directory or a URL template");
	if (o->reports_dir && o->rescan_interval < 1)
		return set_error(errmsg, -EINVAL, "rescan interval %d: must be at least 1 second",
				 o->rescan_interval);
	return 0;
}

int vf_sources_new(const struct vf_source_opts *o, struct vf_sources **ret, char **errmsg)
{
	int r = check_opts(o, errmsg);
	if (r < 0)
		return r;
	struct vf_sources *s = xcalloc(1, sizeof(*s));
	if (o->url_template)
		r = vf_http_new(o, &s->http, errmsg);
	if (r >= 0 && o->reports_dir)
		r = vf_dir_new(o->reports_dir, o->rescan_interval, &s->dir, errmsg);
	if (r < 0) {
		vf_sources_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void vf_sources_free(struct vf_sources *s)
{
	if (!s)
		return;
	vf_dir_free(s->dir);
	vf_http_free(s->http);
	free(s);
}

void vf_sources_rescan(struct vf_sources *s)
{
	if (s->dir)
		vf_dir_rescan(s->dir);
}

void vf_sources_stats(struct vf_sources *s, struct vf_source_stats *ret)
{
	*ret = (struct vf_source_stats){ 0 };
	if (s->dir)
		vf_dir_stats(s->dir, ret);
	if (s->http)
		vf_http_stats(s->http, ret);
}

/* One host in both sources (either may be NULL, not both; takes both references): a report
 * beats an error, the newer report wins (the directory on a tie), two errors are joined. */
static struct vf_capacity *merge(struct vf_capacity *d, struct vf_capacity *h)
{
	struct vf_capacity *keep, *drop;
	if (!d || !h) {
		keep = d ? d : h;
		drop = NULL;
	} else if (d->error && h->error) {
		keep = vf_capacity_error(d->host_id, "%s; %s", d->error, h->error);
		vf_capacity_unref(d);
		drop = h;
	} else if (!h->error && (d->error || h->generated_at > d->generated_at)) {
		keep = h;
		drop = d;
	} else {
		keep = d;
		drop = h;
	}
	vf_capacity_unref(drop);
	return keep;
}

void vf_sources_lookup(struct vf_sources *s, const char *const *ids, size_t n, time_t now,
		       struct vf_capacity **out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	if (s->dir)
		vf_dir_lookup(s->dir, ids, n, out);
	if (s->http) {
		_cleanup_free_ struct vf_capacity **web = xcalloc(n, sizeof(*web));
		vf_http_lookup(s->http, ids, n, now, web);
		for (size_t i = 0; i < n; i++)
			out[i] = merge(out[i], web[i]);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!out[i])
			out[i] = vf_capacity_error(ids[i], "no report for host %s in %s", ids[i],
						   vf_dir_path(s->dir));
}

static int cmp_host(const void *a, const void *b)
{
	return strcmp((*(struct vf_capacity *const *)a)->host_id, (*(struct vf_capacity *const *)b)->host_id);
}

size_t vf_sources_all(struct vf_sources *s, struct vf_capacity ***ret)
{
	struct vf_capacity **all = NULL;
	size_t n = 0;
	if (s->dir)
		vf_dir_all(s->dir, &all, &n);
	if (s->http)
		vf_http_all(s->http, &all, &n);
	/* sorted by host, a host in both sources is two neighbours: merged as a lookup would */
	if (n > 1)
		qsort(all, n, sizeof(*all), cmp_host);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && streq(all[k - 1]->host_id, all[i]->host_id))
			all[k - 1] = merge(all[k - 1], all[i]);
		else
			all[k++] = all[i];
	}
	*ret = all;
	return k;
}

bool vf_host_id_valid_n(const char *id, size_t len)
{
	if (len < 1 || len > HOST_ID_MAX || id[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = id[i];
		if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '_' &&
		    c != '.' && c != '-')
			return false;
	}
	return true;
}
