#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The source tarball of the working tree, as `git archive --prefix=PREFIX/ HEAD` would make it
of a commit of it: the files git tracks or would track (untracked ones not ignored), as they
are now. Outside a git checkout: every file but build/ and .git.

usage: mktarball.py TOP OUT.tar.gz PREFIX
"""
import os
import subprocess
import sys
import tarfile

top, out, prefix = sys.argv[1:4]
try:
    listed = subprocess.run(["git", "-C", top, "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True, check=True).stdout
    files = [f.decode() for f in listed.split(b"\0") if f]
except (OSError, subprocess.CalledProcessError):
    files = []
    for d, dirs, names in os.walk(top):
        rel = os.path.relpath(d, top)
        dirs[:] = [x for x in dirs if not (rel == "." and x in ("build", ".git"))]
        files += [os.path.normpath(os.path.join(rel, n)) for n in names]
with tarfile.open(out, "w:gz") as t:
    for f in sorted(set(files)):
        path = os.path.join(top, f)
        if os.path.lexists(path):  # a tracked file deleted in the working tree is left out
            t.add(path, arcname=prefix + "/" + f, recursive=False)
