/* SPDX-License-Identifier: MIT */
/* VDSM runs every executable file of a hook point's directory, in name order. VDSM's own VM-FEX
 * hooks (vdsm-hook-vmfex-dev, the older vdsm-hook-vmfex) install 50_vmfex, which runs after
 * 50_vfcap, fails on the vNIC vfcap-hook rewrote (it wants <source bridge=...>) and redefines
 * the pool network by zero MACs. The hook looks for one beside itself so as to refuse with a line
 * that names it, before it rewrites or reserves anything. */
#pragma once

/* The first (by name) executable regular file, symlinks followed, whose name holds "vmfex" in
 * the directory of argv0, other than argv0 itself: its path (malloc'ed), else NULL. NULL too
 * when argv0 names no directory (run by hand from PATH) or the directory cannot be read. */
char *vf_vmfex_neighbour(const char *argv0);

/* The package that installs 50_vmfex at that hook point, NULL for any other name or point. */
const char *vf_vmfex_package(const char *path, const char *point);
