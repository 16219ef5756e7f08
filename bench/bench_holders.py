#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench: what the sources of VFs held outside libvirt cost vfcap-report (issue 17, "Cost").

At 16 PFs x 256 VFs with 500 domains and a synthetic /proc of 2,000 processes, today's
vfcap-report against the same program built from the commit before those sources (the parent
of the commit that added lib/holders.c; BENCH_BASE=<commit> to choose another), both on the
same hosts, runs interleaved, median (p90) and minimum of RUNS runs:

  held       IOMMU groups, 8 VFIO users and 8 netns-moved VFs whose processes have the
             highest pids (the whole /proc is read before the last is named)
  idle       IOMMU groups, vfio-pci VFs all idle (enable 0) or a domain's, no netdev-less VF:
             /proc is never opened
  no-vfio    IOMMU groups, every VF with a host netdev: no enable read, /proc never opened
  no-iommu   no IOMMU groups, every VF with a host netdev: nothing new to read at all
  held-proc  held's tree, but the machine's own /proc, with 2,000 sleeping processes started
             for the run: no process there holds the tree's VFs, so every one is read, the
             worst case of the /proc pass on procfs itself (its per-process cost is not the
             synthetic tree's)

On the held host, build/bench/holderscost (when built: make bench builds it) then times the
naming alone, in process: as a one-shot run does it (the pass) and as serve's next gather
does (asking first the processes its last gather found).

The base is built from `git archive` into a temporary directory (needs git and the build
dependencies); without git the benchmark says so and stops. The hosts are made in /dev/shm when
it is there (BENCH_TMPDIR to choose): sysfs and procfs live in memory, and a disk file system
adds its block reads of directories to both programs' time as noise. Each host is removed once
measured.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORT = os.path.join(TOP, "build", "vfcap-report")
MKNLMSG = os.path.join(TOP, "build", "tools", "mknlmsg")
HOLDERSCOST = os.path.join(TOP, "build", "bench", "holderscost")
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
PFS, VFS, DOMS, PROCS = 16, 256, 500, 2000
HELD = ["--iommu", "--procs", str(PROCS), "--held", "8"]
# (name, mkbench.py options, read the machine's /proc instead of the tree's)
HOSTS = [("held", HELD, False),
         ("idle", ["--iommu", "--procs", str(PROCS)], False),
         ("no-vfio", ["--iommu", "--no-vfio", "--procs", str(PROCS)], False),
         ("no-iommu", ["--no-vfio", "--procs", str(PROCS)], False),
         ("held-proc", HELD, True)]


def git(*args):
    return subprocess.run(["git", "-C", TOP] + list(args), capture_output=True, text=True, check=True).stdout.strip()


def build_base(tmp):
    """vfcap-report of the base commit, built in tmp; (commit, path)."""
    base = os.environ.get("BENCH_BASE")
    if not base:
        added = git("log", "--diff-filter=A", "--format=%H", "--", "lib/holders.c").split()
        if not added:
            sys.exit("bench_holders: no commit adds lib/holders.c (set BENCH_BASE)")
        base = added[-1] + "^"
    commit = git("rev-parse", "--short", base)
    src = os.path.join(tmp, "base")
    os.makedirs(src)
    archive = subprocess.Popen(["git", "-C", TOP, "archive", commit], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", src], stdin=archive.stdout, check=True)
    archive.wait()
    subprocess.run(["make", "-C", src, "-j2", "build/vfcap-report"], stdout=subprocess.DEVNULL, check=True)
    return commit, os.path.join(src, "build", "vfcap-report")


def gen(d, extra):
    subprocess.run([sys.executable, os.path.join(TOP, "bench", "mkbench.py"), d, str(PFS), str(VFS), str(DOMS)]
                   + extra, check=True)
    subprocess.run([MKNLMSG, d + "/netlink.spec", d + "/netlink.bin"], check=True)


def report_cmd(binary, d, roots, proc=None):
    cmd = [binary, "--sysfs-root", d + "/sysfs", "--netlink-file", d + "/netlink.bin",
           "--libvirt-uri", "test://" + d + "/libvirt.xml", "--config", d + "/vfcap.conf", "--format", "json"]
    return cmd + (["--proc-root", proc or d + "/proc", "--netns-root", d + "/netns"] if roots else [])


def sleepers(n):
    """n processes of our own that sleep, stdio on /dev/null"""
    return [subprocess.Popen(["sleep", "3600"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL) for _ in range(n)]


def measure_host(base, d, real_proc):
    """measure() of the two programs on host d; with real_proc, on /proc with PROCS sleepers"""
    if not real_proc:
        return measure({"new": report_cmd(REPORT, d, True), "base": report_cmd(base, d, False)})
    procs = sleepers(PROCS)
    try:
        print("(held-proc: /proc lists %d processes)" % sum(p.isdigit() for p in os.listdir("/proc")))
        return measure({"new": report_cmd(REPORT, d, True, "/proc"), "base": report_cmd(base, d, False)})
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def timed(cmd):
    """(wall ms, CPU ms: user + system of the child)"""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("bench_holders: %s exited %d" % (cmd[0], p.returncode))
    return (time.perf_counter() - t) * 1000, (ru.ru_utime + ru.ru_stime) * 1000


def measure(cmds):
    """per command: wall (median, p90, min) and CPU (median, p90, min); under "paired", the
    median of new/base taken run by run (wall, CPU). The two alternate which goes first."""
    times = {k: ([], []) for k in cmds}
    for i in range(RUNS):
        for k in (list(cmds) if i % 2 == 0 else list(reversed(cmds))):
            wall, cpu = timed(cmds[k])
            times[k][0].append(wall)
            times[k][1].append(cpu)
    stat = lambda v: (statistics.median(v), sorted(v)[int(len(v) * 0.9) - 1], min(v))  # noqa: E731
    r = {k: (stat(w), stat(c)) for k, (w, c) in times.items()}
    r["paired"] = tuple(statistics.median(n / b for n, b in zip(times["new"][i], times["base"][i]))
                        for i in range(2))
    return r


def host_dir():
    """where the hosts are made: BENCH_TMPDIR, else /dev/shm when writable, else TMPDIR's default"""
    d = os.environ.get("BENCH_TMPDIR")
    if d:
        return d
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def main():
    for tool in (REPORT, MKNLMSG):
        if not os.access(tool, os.X_OK):
            sys.exit("bench_holders: %s missing (make all)" % tool)
    with tempfile.TemporaryDirectory(prefix="vfcap-bench-holders.") as tmp, \
            tempfile.TemporaryDirectory(prefix="vfcap-bench-holders.", dir=host_dir()) as hosts:
        try:
            commit, base = build_base(tmp)
        except (OSError, subprocess.CalledProcessError) as e:
            sys.exit("bench_holders: cannot build the base: %s" % e)
        print("\nVFs held outside libvirt: %dx%d/%d, /proc of %d processes; median (p90) of %d runs, ms;"
              " base %s; hosts in %s\n" % (PFS, VFS, DOMS, PROCS, RUNS, commit, os.path.dirname(hosts)))
        print("%-10s %-5s %14s %14s %8s %8s %10s %7s" % ("host", "", "vfcap-report", "base", "ratio", "cost ms",
                                                           "ratio min", "paired"))
        naming = ""
        for name, extra, real_proc in HOSTS:
            d = os.path.join(hosts, name)
            gen(d, extra)
            r = measure_host(base, d, real_proc)
            if name == "held" and os.access(HOLDERSCOST, os.X_OK):
                naming = subprocess.run([HOLDERSCOST, d, str(max(RUNS, 2))], capture_output=True, text=True,
                                        check=True).stdout
            shutil.rmtree(d)
            for i, what in enumerate(("wall", "cpu")):
                new, old = r["new"][i], r["base"][i]
                print("%-10s %-5s %6.1f (%5.1f) %6.1f (%5.1f) %8.3f %8.1f %10.3f %7.3f" % (
                    name if i == 0 else "", what, new[0], new[1], old[0], old[1], new[0] / old[0],
                    new[0] - old[0], new[2] / old[2], r["paired"][i]))
    if naming:
        print("\nheld: naming the holders alone (build/bench/holderscost, CPU time, %d rounds):" % max(RUNS, 2))
        print(naming, end="")
    print("\nratio = vfcap-report / base on the same host, of the medians (cpu: user + system time,")
    print("steadier than wall on a busy machine); ratio min, of the fastest runs: other jobs only ever")
    print("add time, so the minimum is the least disturbed figure; paired, the median of the ratios")
    print("run by run (the two programs alternate which runs first), which a slow drift of the")
    print("machine's speed moves least. The issue's goal: the new sources")
    print("cost <= 10%, nothing on no-iommu.")
    print("held and held-proc read every process before the last holder is named (or never): the")
    print("price of naming a VF's holder outside libvirt, paid only on a host that has one.")


if __name__ == "__main__":
    main()
