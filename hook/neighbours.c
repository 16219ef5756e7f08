/* SPDX-License-Identifier: MIT */
#include "neighbours.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* What VDSM's hook runner takes for a hook (lib/vdsm/common/hooks.py: os.path.isfile and
 * os.access X_OK): a regular file once symlinks are followed, executable by the real uid. */
static bool runs(int dfd, const char *name, struct stat *st)
{
	return fstatat(dfd, name, st, 0) == 0 && S_ISREG(st->st_mode) && faccessat(dfd, name, X_OK, 0) == 0;
}

char *vf_vmfex_neighbour(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	if (!slash)
		return NULL;
	_cleanup_free_ char *dir = slash == argv0 ? xstrdup("/") : xstrndup(argv0, (size_t)(slash - argv0));
	struct stat self;
	bool have_self = stat(argv0, &self) == 0;
	_cleanup_(closedirp) DIR *d = opendir(dir);
	if (!d)
		return NULL;
	_cleanup_free_ char *first = NULL;
	struct dirent *e;
	struct stat st;
	while ((e = readdir(d)))
		if (strstr(e->d_name, "vmfex") && runs(dirfd(d), e->d_name, &st) &&
		    !(have_self && st.st_dev == self.st_dev && st.st_ino == self.st_ino) &&
		    (!first || strcmp(e->d_name, first) < 0)) {
			free(first);
			first = xstrdup(e->d_name);
		}
	return first ? xasprintf("%s/%s", streq(dir, "/") ? "" : dir, first) : NULL;
}

const char *vf_vmfex_package(const char *path, const char *point)
{
	const char *base = strrchr(path, '/');
	if (!streq(base ? base + 1 : path, "50_vmfex"))
		return NULL;
	/* vdsm.spec.in's %files of each (vdsm_hooks/vmfex_dev and, until 2018, vdsm_hooks/vmfex) */
	static const char *const dev[] = { "before_device_create", "before_nic_hotplug",
					   "before_device_migrate_destination" };
	static const char *const old[] = { "before_vm_start", "before_vm_migrate_destination" };
	for (size_t i = 0; i < ARRAY_SIZE(dev); i++)
		if (streq(point, dev[i]))
			return "vdsm-hook-vmfex-dev";
	for (size_t i = 0; i < ARRAY_SIZE(old); i++)
		if (streq(point, old[i]))
			return "vdsm-hook-vmfex";
	return NULL;
}
