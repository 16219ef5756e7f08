/* SPDX-License-Identifier: MIT */
/* A host's report entry: what the filter needs of one vfcap report (or why there is none),
 * immutable once made and shared by reference counting between the sources' tables, lookups
 * and the decision (units.h). Made by host-entry.c from a parsed report (lib/report.h) or one
 * report file. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* Report files larger than this are refused (a host with 16 PFs of 256 VFs writes ~2 MB). */
#define VF_REPORT_FILE_MAX (64u << 20)

/* What the filter needs of one report. */
struct vf_entry_pf {
	char *name;
	char *physical_network; /* labels from the host's config, NULL when none */
	char *fabric;
	int free; /* UNKNOWN (-1) when the report could not count it */
	int shared_iommu; /* of the free, those in shared IOMMU groups; 0 when the report has none */
	int usable; /* UNKNOWN likewise (the cluster view of /metrics) */
	int no_link; /* free VFs without link (PF down, VF link_state disable); 0 in a version-1
		      * report, which did not know */
	bool truncated; /* the netlink VF list wrapped (lib/model.h vf_netlink) */
	int numa_node; /* the PF's NUMA node; -1 when the host has none or did not say */
};

/* Immutable once published and shared between the table and lookups: reference-counted. Made
 * only by vf_entry_from_host/vf_entry_error (and the readers that call them). */
struct vf_host_entry {
	int refs;           /* atomic; owners call vf_entry_unref */
	char *host_id;      /* in the entry's own allocation: never freed or replaced alone */
	char *error;        /* non-NULL: no usable report; why, one line ("reports/ID.json: JSON: byte 3: ...") */
	time_t generated_at;
	int free;           /* totals.free; UNKNOWN when the report has null */
	int usable;         /* totals.usable; UNKNOWN likewise */
	int no_link;        /* totals.no_link; 0 in a version-1 report */
	int dirty;          /* totals.dirty; UNKNOWN when null or absent (version 1): metrics only */
	int shared_iommu;   /* totals.shared_iommu; 0 when unknown (a version-1 report) */
	struct vf_entry_pf *pfs;
	size_t n_pfs;
};

struct vf_host_entry *vf_entry_ref(struct vf_host_entry *c);
void vf_entry_unref(struct vf_host_entry *c); /* NULL is fine */

#define HOST_ID_MAX 64

/* A host id as the filter takes it (the engine's host UUID, or any name the reports use):
 * [0-9A-Za-z_.-], 1..64 characters, not starting with '.'. Never a path: no '/' can pass. */
bool vf_host_id_valid_n(const char *id, size_t len);
static inline bool vf_host_id_valid(const char *id)
{
	return vf_host_id_valid_n(id, __builtin_strlen(id));
}

/* Entries built outside a table (refs = 1): from a parsed report (lib/report.h), and for a host
 * without one. Also used by `vfcap-filter run` and the unit tests. */
struct vf_host;
struct vf_host_entry *vf_entry_from_host(const struct vf_host *h, const char *host_id);
struct vf_host_entry *vf_entry_error(const char *host_id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Read one report file (the directory's reader; `vfcap-filter run --reports` without a thread):
 * file is opened relative to dir_fd (AT_FDCWD: a path) without following a symlink, must be a
 * regular file of at most 64 MiB, and is named as given in errors, so pass "reports/ID.json"
 * with AT_FDCWD to read "reports/ID.json: JSON: byte 3: unexpected end". */
struct vf_host_entry *vf_entry_read_file(int dir_fd, const char *file, const char *host_id);

/* A file's identity when it was read: when any part differs, the file changed. ctim too, since
 * a chmod that makes an unreadable file readable changes only that. */
struct vf_file_key {
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
};

static inline void vf_file_key_of(const struct stat *st, struct vf_file_key *key)
{
	*key = (struct vf_file_key){ st->st_ino, st->st_size, st->st_mtim, st->st_ctim };
}

/* Read dir_fd/file; messages name `shown` ("reports/ID.json"). *key (when not NULL) = the
 * identity of what was read, or of what was refused; zeroed when even fstat failed. */
struct vf_host_entry *vf_entry_read_at(int dir_fd, const char *file, const char *shown, const char *host_id,
				       struct vf_file_key *key);
