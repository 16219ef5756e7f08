/* SPDX-License-Identifier: MIT */
/* A host's report entry (host-entry.h): made from a parsed report or an error, shared by
 * reference counting, read from one report file; and what a host id may be. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "host-entry.h"
#include "model.h"
#include "report.h"
#include "util.h"

static struct vf_host_entry *capacity_new(const char *host_id)
{
	/* the id right after the struct: a lookup's probe compares it and then takes a reference,
	 * and one allocation is one cache miss less per host than two */
	size_t len = strlen(host_id);
	struct vf_host_entry *c = xcalloc(1, sizeof(*c) + len + 1);
	c->refs = 1;
	c->host_id = memcpy(c + 1, host_id, len + 1);
	c->free = c->usable = c->dirty = UNKNOWN;
	return c;
}

/* A version-1 report has no no_link (UNKNOWN): its reporter did not know, so nothing is taken
 * away. In version 2 it is null only when free is, which the decision looks at first. */
static int known_or_zero(int v)
{
	return v == UNKNOWN ? 0 : v;
}

struct vf_host_entry *vf_entry_from_host(const struct vf_host *h, const char *host_id)
{
	struct vf_host_entry *c = capacity_new(host_id);
	c->generated_at = h->generated_at;
	c->free = h->totals.free;
	c->usable = h->totals.usable;
	c->no_link = known_or_zero(h->totals.no_link);
	c->dirty = h->totals.dirty;
	c->shared_iommu = h->totals.shared_iommu > 0 ? h->totals.shared_iommu : 0;
	c->pfs = xcalloc(h->n_pfs, sizeof(*c->pfs));
	c->n_pfs = h->n_pfs;
	for (size_t i = 0; i < h->n_pfs; i++) {
		const struct vf_pf *pf = &h->pfs[i];
		c->pfs[i] = (struct vf_entry_pf){
			.name = xstrdup(pf->name),
			.physical_network = xstrdup(pf->physical_network),
			.fabric = xstrdup(pf->fabric),
			.free = pf->free,
			.usable = pf->usable,
			.no_link = known_or_zero(pf->no_link),
			.shared_iommu = pf->shared_iommu > 0 ? pf->shared_iommu : 0,
			.truncated = pf->nl.valid && pf->nl.truncated,
			.numa_node = pf->numa_node,
		};
	}
	return c;
}

struct vf_host_entry *vf_entry_error(const char *host_id, const char *fmt, ...)
{
	struct vf_host_entry *c = capacity_new(host_id);
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

struct vf_host_entry *vf_entry_ref(struct vf_host_entry *c)
{
	/* relaxed: whoever passes c on already holds a reference, so it cannot reach zero here */
	if (c)
		__atomic_fetch_add(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

static void capacity_free(struct vf_host_entry *c)
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

void vf_entry_unref(struct vf_host_entry *c)
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

struct vf_host_entry *vf_entry_read_at(int dir_fd, const char *file, const char *shown, const char *host_id,
				       struct vf_file_key *key)
{
	if (key)
		*key = (struct vf_file_key){ 0 };
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer */
	_cleanup_close_ int fd =
		openat(dir_fd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return vf_entry_error(host_id, "%s: %s", shown, open_error(errno));
	struct stat st;
	if (fstat(fd, &st) < 0)
		return vf_entry_error(host_id, "%s: %s", shown, strerror(errno));
	if (key)
		vf_file_key_of(&st, key);
	if (!S_ISREG(st.st_mode))
		return vf_entry_error(host_id, "%s: not a regular file", shown);
	if ((uintmax_t)st.st_size > VF_REPORT_FILE_MAX)
		return vf_entry_error(host_id, "%s: too large (%jd bytes; at most %u)", shown, (intmax_t)st.st_size,
				      VF_REPORT_FILE_MAX);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_full_fd(fd, &text, &len, VF_REPORT_FILE_MAX);
	if (r == -EFBIG)
		return vf_entry_error(host_id, "%s: too large (more than %u bytes)", shown, VF_REPORT_FILE_MAX);
	if (r < 0)
		return vf_entry_error(host_id, "%s: %s", shown, strerror(-r));
	_cleanup_host_ struct vf_host *h = NULL;
	_cleanup_free_ char *err = NULL;
	r = vf_report_parse(text, len, &h, &err);
	if (r < 0)
		return vf_entry_error(host_id, "%s: %s", shown, err ? err : strerror(-r));
	return vf_entry_from_host(h, host_id);
}

struct vf_host_entry *vf_entry_read_file(int dir_fd, const char *file, const char *host_id)
{
	return vf_entry_read_at(dir_fd, file, file, host_id, NULL);
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
