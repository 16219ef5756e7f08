#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench: vfcap-report on synthetic hosts, next to floors measured in the same run.

For each size (PFs x VFs, running domains) it reports the median (and p90) wall time of
vfcap-report over RUNS runs, and the floors: `cat` of every sysfs file the reporter opens
(found with strace), and one `virsh` process doing `list` plus `dumpxml` of every domain on the
same libvirt test-driver node file. Runs are interleaved so machine noise hits all alike;
figures are meant as ratios, not absolutes.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORT = os.path.join(TOP, "build", "vfcap-report")
MKNLMSG = os.path.join(TOP, "build", "tools", "mknlmsg")
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
SIZES = [(1, 8, 4), (4, 64, 128), (16, 256, 500)]


def gen(d, pfs, vfs, doms):
    subprocess.run([sys.executable, os.path.join(TOP, "bench", "mkbench.py"), d, str(pfs), str(vfs),
                    str(doms)], check=True)
    subprocess.run([MKNLMSG, d + "/netlink.spec", d + "/netlink.bin"], check=True)


def report_cmd(d):
    return [REPORT, "--sysfs-root", d + "/sysfs", "--netlink-file", d + "/netlink.bin",
            "--libvirt-uri", "test://" + d + "/libvirt.xml", "--config", d + "/vfcap.conf",
            "--format", "json"]


def files_read(d):
    """Regular files under the sysfs root that the reporter opens, from strace (-y prints the
    path behind each returned fd, so relative openat/openat2 calls count too)."""
    log = d + "/strace.log"
    subprocess.run(["strace", "-f", "-qq", "-y", "-e", "trace=openat,openat2", "-o", log] + report_cmd(d),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = os.path.realpath(d + "/sysfs") + "/"
    out = []
    for line in open(log):
        m = re.search(r'= \d+<([^>]+)>$', line.strip())
        if m and m.group(1).startswith(root) and "O_DIRECTORY" not in line and "O_PATH" not in line \
                and os.path.isfile(m.group(1)):
            out.append(m.group(1))
    return out


def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000


def measure(cmds):
    times = {k: [] for k in cmds}
    for _ in range(RUNS):
        for k, c in cmds.items():
            times[k].append(timed(c))
    return {k: (statistics.median(v), sorted(v)[int(len(v) * 0.9) - 1]) for k, v in times.items()}


def main():
    for tool in (REPORT, MKNLMSG):
        if not os.access(tool, os.X_OK):
            sys.exit("bench: %s missing (make all)" % tool)
    print("vfcap-report benchmark: median (p90) of %d runs, milliseconds\n" % RUNS)
    print("%-16s %14s %14s %14s %10s %8s %10s" % ("host", "vfcap-report", "cat floor", "virsh floor",
                                                   "floors", "ratio", "us/(VF+dom)"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="vfcap-bench.") as tmp:
        for pfs, vfs, doms in SIZES:
            d = os.path.join(tmp, "%dx%d" % (pfs, vfs))
            gen(d, pfs, vfs, doms)
            files = files_read(d)
            virsh = "list; " + "; ".join("dumpxml vm-%d" % k for k in range(doms))
            r = measure({"report": report_cmd(d), "cat": ["cat"] + files,
                         "virsh": ["virsh", "-c", "test://" + d + "/libvirt.xml", virsh]})
            floors = r["cat"][0] + r["virsh"][0]
            per = r["report"][0] * 1000 / (pfs * vfs + doms)
            rows.append(per)
            print("%-16s %6.1f (%5.1f) %6.1f (%5.1f) %6.1f (%5.1f) %10.1f %8.2f %10.1f" % (
                "%dx%d/%d" % (pfs, vfs, doms), r["report"][0], r["report"][1], r["cat"][0], r["cat"][1],
                r["virsh"][0], r["virsh"][1], floors, r["report"][0] / floors, per))
            print("%-16s files read: %d" % ("", len(files)))
    print("\nratio = vfcap-report / (cat floor + virsh floor); goal: < 1 and <= 50 ms at 16x256/500.")
    print("us/(VF+dom) should stay flat as the host grows (linear cost).")


if __name__ == "__main__":
    main()
