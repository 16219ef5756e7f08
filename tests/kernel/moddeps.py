#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Kernel rig: the modules a guest needs, dependencies first, from the kernel image package.

  moddeps.py MODULES-DIR NAME...   print the .ko paths (relative to MODULES-DIR) to insmod, in order

Debian's linux-image package ships no modules.dep (depmod writes it at install time) and the
machine may have no kmod, so each module's own .modinfo "depends=" string is read instead.
"""
import os
import re
import sys


def index(moddir):
    """module name (dashes as underscores) -> path relative to moddir"""
    found = {}
    for d, _, files in os.walk(moddir):
        for f in files:
            if f.endswith(".ko"):
                found[f[:-3].replace("-", "_")] = os.path.relpath(os.path.join(d, f), moddir)
    return found


def depends(path):
    with open(path, "rb") as f:
        m = re.search(rb"\0depends=([^\0]*)\0", f.read())
    if not m:
        raise SystemExit("moddeps: %s has no depends= in its .modinfo" % path)
    return [d.replace("-", "_") for d in m.group(1).decode().split(",") if d]


def order(moddir, names):
    mods, out, seen = index(moddir), [], set()

    def visit(name, chain):
        if name in seen:
            return
        if name in chain:
            raise SystemExit("moddeps: dependency cycle through %s" % name)
        if name not in mods:
            raise SystemExit("moddeps: no module %s under %s (built in? check the image's config)" % (name, moddir))
        for dep in depends(os.path.join(moddir, mods[name])):
            visit(dep, chain + [name])
        seen.add(name)
        out.append(mods[name])

    for n in names:
        visit(n.replace("-", "_"), [])
    return out


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: moddeps.py MODULES-DIR NAME...")
    print("\n".join(order(sys.argv[1], sys.argv[2:])))
