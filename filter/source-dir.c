/* SPDX-License-Identifier: MIT */
/* The directory source: a thread keeps a table of every `<host-id>.json` in the reports
 * directory. Each scan builds a new table, taking unchanged files' entries from the old one by
 * reference (same inode, size, mtime and ctime) and reading the others, then swaps it in under a
 * write lock held only for the pointer swap. Lookups hold the read lock while they probe and
 * take their references, so the old table can be freed right after the swap: its entries live
 * on in the new table or in whoever looked them up.
 *
 * Two kinds of scan: a full one reads the directory (at start, every rescan_interval seconds,
 * on vf_dir_rescan, and when inotify lost track: queue overflow, directory moved); an inotify
 * event only looks at the files it names and copies the rest of the old table. With 10,000
 * hosts writing a report each minute, a full scan per event burst (~30 ms of fstatat for 10,000
 * files) would keep a core busy; the names alone cost a table copy. A file an event names is
 * read whatever its stat says: the event says it changed, and a report rewritten twice within
 * one timestamp tick can get back the inode number the first rewrite freed, with the size and
 * timestamps the table has for it. (A full scan goes by the stat for the files no event named:
 * after a queue overflow, or without inotify.)
 *
 * A scan is not instantaneous, and the directory changes while it looks: a full scan visits the
 * files in readdir's (hash) order, so of two files renamed in one after the other it may see the
 * second one new and the first one still old. Published as is, such a table shows a change
 * without one made before it. So before publishing, a scan reads the events that came while it
 * looked and looks at their files, again until a look brings no new event: the table published
 * is then the directory as it was at one moment, when the last look ended. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "host-table.h"
#include "source-dir.h"
#include "util.h"

/* Events come in bursts (a temp file's create, close and rename): one scan for the burst. */
#define DEBOUNCE_MS 50
/* Past this many changed names in one burst, a full scan is cheaper than remembering them. */
#define PENDING_MAX 1024
/* Looks per scan: under a steady stream of writes, the look at what changed during the last one
 * may never come back empty. After this many the scan publishes what it has, and the events
 * left are the next scan's (the thread's, after DEBOUNCE_MS). */
#define LOOKS_MAX 8
#define WATCH_MASK                                                                                 \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_CREATE | IN_DELETE_SELF |   \
	 IN_MOVE_SELF | IN_ONLYDIR)

/* What the next scan must look at: the events read so far. */
struct pending {
	bool due;     /* a scan is wanted */
	bool full;    /* the whole directory: the names are not enough */
	char **names; /* changed report files */
	size_t n;
};

struct vf_dir {
	char *path;
	int interval; /* seconds */

	pthread_rwlock_t lock;  /* the published table: read by lookups, written by the swap */
	struct vf_table *table; /* never NULL after vf_dir_new */

	/* One scan at a time (the thread, vf_dir_rescan); also guards wd, pending and reading
	 * inotify_fd. The scanner reads table without the rwlock: only scanners write it, under
	 * this mutex. */
	pthread_mutex_t scan_lock;
	int inotify_fd; /* -1: no inotify, periodic scans only */
	int wd;         /* -1: no watch (yet, or the directory went away) */
	struct pending pending;

	/* eventfd: wakes the thread, to stop (stop set) or to see to what a scan left pending */
	int wake_fd;
	bool stop; /* __atomic */
	pthread_t thread;
	bool thread_started;

	unsigned long scans, full_scans, scan_errors, files_read, entries; /* __atomic */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void count(unsigned long *c, unsigned long add)
{
	__atomic_fetch_add(c, add, __ATOMIC_RELAXED);
}

/* "<host-id>.json", the host id (the engine's host UUID) made of [0-9A-Za-z_.-], 1..64 long,
 * not starting with '.': what an atomic writer leaves behind (".ID.json.tmp") is not one. */
static bool report_name(const char *name, size_t *id_len)
{
	size_t len = strlen(name);
	if (len <= 5 || !streq(name + len - 5, ".json") || !vf_host_id_valid_n(name, len - 5))
		return false;
	*id_len = len - 5;
	return true;
}

static bool key_equal(const struct vf_file_key *a, const struct vf_file_key *b)
{
	return a->ino == b->ino && a->size == b->size && a->mtim.tv_sec == b->mtim.tv_sec &&
	       a->mtim.tv_nsec == b->mtim.tv_nsec && a->ctim.tv_sec == b->ctim.tv_sec &&
	       a->ctim.tv_nsec == b->ctim.tv_nsec;
}

/* Put one directory entry into the table being built: old's entry when the file did not
 * change (old NULL: read it anyway), else what reading it gives. A name already in t (readdir
 * may return a file renamed while it reads twice) gets what this later look saw. 0, or -ENOENT
 * when it is gone, -EINVAL when the name is not a report's. */
static int add_file(struct vf_dir *d, int dfd, const char *name, const struct vf_table *old,
		    struct vf_table *t)
{
	size_t id_len;
	if (!report_name(name, &id_len))
		return -EINVAL;
	char id[HOST_ID_MAX + 1];
	memcpy(id, name, id_len);
	id[id_len] = '\0';
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -ENOENT; /* gone since readdir or since the event */
	struct vf_file_key key;
	vf_file_key_of(&st, &key);
	uint32_t h = vf_table_hash(id);
	const struct vf_slot *o = old ? vf_table_find(old, id, h) : NULL;
	struct vf_host_entry *cap;
	struct vf_file_key file;
	if (o && key_equal(&o->file, &key)) {
		cap = vf_entry_ref(o->cap);
		file = o->file;
	} else {
		_cleanup_free_ char *shown = xasprintf("%s/%s", d->path, name);
		cap = vf_entry_read_at(dfd, name, shown, id, &file);
		/* not opened (a symlink, no permission): what lstat saw, so that it is read again
		 * only when that changes (a chmod changes ctime) */
		if (file.ino == 0)
			file = key;
		count(&d->files_read, 1);
	}
	struct vf_slot *s = vf_table_find(t, id, h);
	if (s)
		vf_entry_unref(s->cap);
	else
		s = vf_table_insert(t, h);
	s->cap = cap;
	s->file = file;
	return 0;
}

/* A new table of the directory's reports, taking old's entries of unchanged files; -errno when
 * the directory cannot be read. */
static int build_full(struct vf_dir *d, const struct vf_table *old, struct vf_table **ret)
{
	_cleanup_close_ int dfd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	DIR *dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	struct vf_table *t = vf_table_new(old ? old->n : 0);
	int r = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(dir);
		if (!de) {
			r = -errno;
			break;
		}
		(void)add_file(d, dfd, de->d_name, old, t);
	}
	closedir(dir);
	if (r < 0) {
		vf_table_free(t, NULL);
		return r;
	}
	count(&d->full_scans, 1);
	*ret = t;
	return 0;
}

/* The files named, read into their own table; a file that is gone gets a placeholder (an entry
 * with file.ino 0: no file has inode 0). */
static struct vf_table *read_changed(struct vf_dir *d, int dfd, char *const *names, size_t n)
{
	struct vf_table *changed = vf_table_new(n);
	for (size_t i = 0; i < n; i++) {
		size_t id_len;
		if (!report_name(names[i], &id_len))
			continue;
		_cleanup_free_ char *id = xstrndup(names[i], id_len);
		uint32_t h = vf_table_hash(id);
		if (vf_table_find(changed, id, h)) /* named twice in the burst */
			continue;
		if (add_file(d, dfd, names[i], NULL, changed) == -ENOENT)
			vf_table_insert(changed, h)->cap = vf_entry_error(id, "gone");
	}
	return changed;
}

/* old with the named files looked at again. */
static int build_changes(struct vf_dir *d, const struct vf_table *old, char *const *names,
			 size_t n, struct vf_table **ret)
{
	_cleanup_close_ int dfd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	struct vf_table *changed = read_changed(d, dfd, names, n);
	struct vf_table *t = vf_table_new(old->n + changed->n);
	for (size_t i = 0; i <= old->mask; i++) {
		const struct vf_slot *o = &old->slots[i];
		if (o->cap && !vf_table_find(changed, o->cap->host_id, o->hash)) {
			*vf_table_insert(t, o->hash) = *o;
			vf_entry_ref(o->cap);
		}
	}
	for (size_t i = 0; i <= changed->mask; i++) {
		const struct vf_slot *c = &changed->slots[i];
		if (c->cap && c->file.ino != 0) {
			*vf_table_insert(t, c->hash) = *c;
			vf_entry_ref(c->cap);
		}
	}
	vf_table_free(changed, NULL);
	*ret = t;
	return 0;
}

static void publish(struct vf_dir *d, struct vf_table *t)
{
	pthread_rwlock_wrlock(&d->lock);
	struct vf_table *old = d->table;
	d->table = t;
	pthread_rwlock_unlock(&d->lock);
	/* no lookup holds it: they hold the read lock while they use it */
	vf_table_free(old, NULL);
	__atomic_store_n(&d->entries, t->n, __ATOMIC_RELAXED);
	count(&d->scans, 1);
}

/* Watch before reading, so that no change after the read goes unnoticed. */
static void watch(struct vf_dir *d)
{
	if (d->inotify_fd >= 0 && d->wd < 0)
		d->wd = inotify_add_watch(d->inotify_fd, d->path, WATCH_MASK);
}

/* The watched directory was moved or deleted: watch the path again at the next scan. */
static void lose_watch(struct vf_dir *d, int wd, bool moved)
{
	if (wd == d->wd) {
		if (moved) /* the watch follows the moved directory; the path may be another one */
			inotify_rm_watch(d->inotify_fd, wd);
		d->wd = -1;
	}
}

static void pending_clear(struct pending *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->names[i]);
	free(p->names);
	*p = (struct pending){ 0 };
}

static void pending_add(struct pending *p, const char *name)
{
	p->due = true;
	if (p->full)
		return;
	if (p->n == PENDING_MAX) {
		pending_clear(p);
		p->due = p->full = true;
		return;
	}
	*(char **)array_append(&p->names, &p->n, sizeof(char *)) = xstrdup(name);
}

/* Read every queued event into d->pending; under scan_lock. */
static void drain_events(struct vf_dir *d)
{
	struct pending *p = &d->pending;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	if (d->inotify_fd < 0)
		return;
	for (;;) {
		ssize_t k = read(d->inotify_fd, buf, sizeof(buf));
		if (k <= 0)
			return; /* EAGAIN: drained */
		for (char *at = buf; at < buf + k;) {
			const struct inotify_event *ev = (const struct inotify_event *)at;
			size_t id_len;
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
				lose_watch(d, ev->wd, ev->mask & IN_MOVE_SELF);
			if (ev->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF)) {
				pending_clear(p);
				p->due = p->full = true;
			} else if (ev->len > 0 && report_name(ev->name, &id_len)) {
				pending_add(p, ev->name);
			}
			at += sizeof(*ev) + ev->len;
		}
	}
}

static void wake(struct vf_dir *d)
{
	uint64_t one = 1;
	if (write(d->wake_fd, &one, sizeof(one)) != sizeof(one))
		abort(); /* an eventfd takes 1 until it holds 2^64 - 2 */
}

/* One look: *t (NULL: the published table) made a full one, then with p's names read. */
static int look(struct vf_dir *d, bool full, const struct pending *p, struct vf_table **t)
{
	struct vf_table *next = NULL;
	if (full) {
		int r = build_full(d, *t ? *t : d->table, &next);
		if (r < 0)
			return r;
		vf_table_free(*t, NULL);
		*t = next;
	}
	if (p->n > 0) {
		int r = build_changes(d, *t ? *t : d->table, p->names, p->n, &next);
		if (r < 0)
			return r;
		vf_table_free(*t, NULL);
		*t = next;
	}
	return 0;
}

/* A full scan (full), or one of what the events read so far name. Publishes the result of
 * looks repeated until one brings no new event (see the top of the file). */
static int scan(struct vf_dir *d, bool full)
{
	pthread_mutex_lock(&d->scan_lock);
	drain_events(d);
	struct vf_table *t = NULL; /* built so far, not published yet */
	int r = 0;
	for (int i = 0; i < LOOKS_MAX && (full || d->pending.due); i++) {
		struct pending p = d->pending;
		d->pending = (struct pending){ 0 };
		/* without a watch until now, changes went unnoticed: look at everything */
		full = full || p.full || d->wd < 0 || !d->table;
		watch(d);
		/* the names with a full look too: they are read whatever their stat says */
		r = look(d, full, &p, &t);
		pending_clear(&p);
		if (r < 0)
			break;
		full = false;
		drain_events(d); /* what changed while it looked */
	}
	if (r < 0)
		count(&d->scan_errors, 1);
	/* A directory that is gone has no reports; other failures (EMFILE, EIO) may pass, and
	 * keep the last table until a scan succeeds. */
	if (r == -ENOENT || r == -ENOTDIR) {
		vf_table_free(t, NULL);
		t = vf_table_new(0);
	}
	if (t)
		publish(d, t);
	/* left after LOOKS_MAX looks: the thread's (vf_dir_rescan runs in another one) */
	if (d->pending.due)
		wake(d);
	pthread_mutex_unlock(&d->scan_lock);
	return r;
}

void vf_dir_rescan(struct vf_dir *d)
{
	(void)scan(d, true);
}

/* Whether events wait for a scan; reads what inotify has queued. */
static bool events_due(struct vf_dir *d)
{
	pthread_mutex_lock(&d->scan_lock);
	drain_events(d);
	bool due = d->pending.due;
	pthread_mutex_unlock(&d->scan_lock);
	return due;
}

static void *thread_main(void *arg)
{
	struct vf_dir *d = arg;
	uint64_t period = (uint64_t)d->interval * 1000;
	uint64_t next = now_ms() + period, due = 0; /* due: a debounced scan; 0 = none */
	for (;;) {
		/* a vf_dir_rescan may have seen to the events already */
		if (!events_due(d))
			due = 0;
		else if (!due)
			due = now_ms() + DEBOUNCE_MS;
		uint64_t now = now_ms();
		if (now >= next) {
			scan(d, true);
			next = now_ms() + period;
			due = 0;
			continue;
		}
		if (due && now >= due) {
			scan(d, false);
			due = 0;
			continue;
		}
		uint64_t at = due && due < next ? due : next;
		int timeout = at - now > INT_MAX ? INT_MAX : (int)(at - now);
		struct pollfd fds[2] = { { d->wake_fd, POLLIN, 0 }, { d->inotify_fd, POLLIN, 0 } };
		if (poll(fds, 2, timeout) > 0 && fds[0].revents) {
			uint64_t v;
			if (read(d->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				abort();
			if (__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE))
				break;
		}
	}
	return NULL;
}

/* With every signal blocked: the program's handlers run in its own threads. */
static int start_thread(struct vf_dir *d)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&d->thread, NULL, thread_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return -r;
	d->thread_started = true;
	return 0;
}

static void init_locks(struct vf_dir *d)
{
	pthread_rwlockattr_t a;
	pthread_rwlockattr_init(&a);
	/* a steady stream of lookups must not starve the swap */
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&d->lock, &a);
	pthread_rwlockattr_destroy(&a);
	pthread_mutex_init(&d->scan_lock, NULL);
}

int vf_dir_new(const char *path, int rescan_interval, struct vf_dir **ret, char **errmsg)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return set_error(errmsg, -errno, "reports directory %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return set_error(errmsg, -ENOTDIR, "reports directory %s: not a directory", path);
	struct vf_dir *d = xcalloc(1, sizeof(*d));
	d->path = xstrdup(path);
	d->interval = rescan_interval;
	d->wd = -1;
	init_locks(d);
	d->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int r = d->wake_fd < 0 ? -errno : 0;
	/* without inotify (fs.inotify.max_user_instances reached), periodic scans still work */
	d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	/* the first scan must work: a directory the filter cannot read is a setup error */
	if (r == 0)
		r = scan(d, true);
	if (r < 0) {
		vf_dir_free(d);
		return set_error(errmsg, r, "reports directory %s: %s", path, strerror(-r));
	}
	r = start_thread(d);
	if (r < 0) {
		vf_dir_free(d);
		return set_error(errmsg, r, "reports directory %s: cannot start its thread: %s", path,
				 strerror(-r));
	}
	*ret = d;
	return 0;
}

void vf_dir_free(struct vf_dir *d)
{
	if (!d)
		return;
	if (d->thread_started) {
		__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
		wake(d);
		pthread_join(d->thread, NULL);
	}
	pending_clear(&d->pending);
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	if (d->inotify_fd >= 0)
		close(d->inotify_fd);
	vf_table_free(d->table, NULL);
	pthread_rwlock_destroy(&d->lock);
	pthread_mutex_destroy(&d->scan_lock);
	free(d->path);
	free(d);
}

void vf_dir_lookup(struct vf_dir *d, const char *const *ids, size_t n, struct vf_host_entry **out)
{
	pthread_rwlock_rdlock(&d->lock);
	for (size_t i = 0; i < n; i++) {
		struct vf_slot *s = vf_table_find(d->table, ids[i], vf_table_hash(ids[i]));
		out[i] = s ? vf_entry_ref(s->cap) : NULL;
	}
	pthread_rwlock_unlock(&d->lock);
}

void vf_dir_stats(struct vf_dir *d, struct vf_source_stats *st)
{
	st->scans = __atomic_load_n(&d->scans, __ATOMIC_RELAXED);
	st->full_scans = __atomic_load_n(&d->full_scans, __ATOMIC_RELAXED);
	st->scan_errors = __atomic_load_n(&d->scan_errors, __ATOMIC_RELAXED);
	st->files_read = __atomic_load_n(&d->files_read, __ATOMIC_RELAXED);
	st->entries = __atomic_load_n(&d->entries, __ATOMIC_RELAXED);
}

void vf_dir_all(struct vf_dir *d, struct vf_host_entry ***out, size_t *n)
{
	pthread_rwlock_rdlock(&d->lock);
	const struct vf_table *t = d->table;
	*out = xrealloc(*out, (*n + t->n + 1) * sizeof(**out));
	for (size_t i = 0; i <= t->mask; i++)
		if (t->slots[i].cap)
			(*out)[(*n)++] = vf_entry_ref(t->slots[i].cap);
	pthread_rwlock_unlock(&d->lock);
}

const char *vf_dir_path(const struct vf_dir *d)
{
	return d->path;
}
