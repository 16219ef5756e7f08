/* SPDX-License-Identifier: MIT */
/* The report sources' facade (source.h): creates the directory source (source-dir.h) and the
 * HTTP source (source-http.h) from the options, and merges their answers per host. */
#include "source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "source-dir.h"
#include "source-http.h"
#include "util.h"

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
static struct vf_host_entry *merge(struct vf_host_entry *d, struct vf_host_entry *h)
{
	struct vf_host_entry *keep, *drop;
	if (!d || !h) {
		keep = d ? d : h;
		drop = NULL;
	} else if (d->error && h->error) {
		keep = vf_entry_error(d->host_id, "%s; %s", d->error, h->error);
		vf_entry_unref(d);
		drop = h;
	} else if (!h->error && (d->error || h->generated_at > d->generated_at)) {
		keep = h;
		drop = d;
	} else {
		keep = d;
		drop = h;
	}
	vf_entry_unref(drop);
	return keep;
}

void vf_sources_lookup(struct vf_sources *s, const char *const *ids, size_t n, time_t now, struct vf_host_entry **out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	if (s->dir)
		vf_dir_lookup(s->dir, ids, n, out);
	if (s->http) {
		_cleanup_free_ struct vf_host_entry **web = xcalloc(n, sizeof(*web));
		vf_http_lookup(s->http, ids, n, now, web);
		for (size_t i = 0; i < n; i++)
			out[i] = merge(out[i], web[i]);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!out[i])
			out[i] = vf_entry_error(ids[i], "no report for host %s in %s", ids[i], vf_dir_path(s->dir));
}

static int cmp_host(const void *a, const void *b)
{
	return strcmp((*(struct vf_host_entry *const *)a)->host_id, (*(struct vf_host_entry *const *)b)->host_id);
}

size_t vf_sources_all(struct vf_sources *s, struct vf_host_entry ***ret)
{
	struct vf_host_entry **all = NULL;
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
