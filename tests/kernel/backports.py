#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Kernel rig: a private apt sources entry for bookworm-backports, from the machine's own sources.

  backports.py [APT-ETC]   print one "deb [signed-by=KEYRING] URI bookworm-backports main" line

The URI and keyring are those of the machine's `bookworm` suite (deb822 *.sources stanzas or
one-line *.list entries under APT-ETC, default /etc/apt), so the rig reaches Debian the way the
machine does (a mirror, a proxy-only URI) and apt checks the same signatures.
"""
import glob
import os
import re
import sys


def deb822(path):
    with open(path, encoding="utf-8") as f:
        for stanza in re.split(r"\n\s*\n", f.read()):
            fields, key = {}, None
            for line in stanza.splitlines():
                if line.startswith("#"):
                    continue
                if line[:1] in (" ", "\t") and key:
                    fields[key] += "\n" + line.strip()
                elif ":" in line:
                    key, val = line.split(":", 1)
                    key = key.strip().lower()
                    fields[key] = val.strip()
            if "deb" in fields.get("types", "").split() and "bookworm" in fields.get("suites", "").split():
                yield fields.get("uris", "").split()[0] if fields.get("uris") else None, fields.get("signed-by")


def oneline(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*deb\s+(?:\[([^]]*)\]\s+)?(\S+)\s+bookworm\s", line)
            if m:
                opts = dict(o.split("=", 1) for o in (m.group(1) or "").split() if "=" in o)
                yield m.group(2), opts.get("signed-by")


def main():
    etc = sys.argv[1] if len(sys.argv) > 1 else "/etc/apt"
    found = []
    for p in sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.sources"))):
        found += deb822(p)
    for p in [os.path.join(etc, "sources.list")] + sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.list"))):
        if os.path.exists(p):
            found += oneline(p)
    found = [(u, k) for u, k in found if u]
    if not found:
        sys.exit("backports.py: no 'deb ... bookworm' source under %s" % etc)
    uri, key = found[0]
    if key and "\n" in key:
        sys.exit("backports.py: the bookworm source's Signed-By is an inline key; the rig needs a keyring file")
    key = key or "/usr/share/keyrings/debian-archive-keyring.gpg"
    print("deb [signed-by=%s] %s bookworm-backports main" % (key, uri))


if __name__ == "__main__":
    main()
