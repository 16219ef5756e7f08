#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vfcap-filter HTTP client benchmark (make bench): what a report fetch and an engine call cost the
filter, in wall time and in the filter's own CPU time (build/bench/fetchcost, against
tests/filter/report-server.py and engine-server.py on 127.0.0.1).

    bench_fetch.py [FETCHCOST...]

With several fetchcost binaries (say one built from an older commit), they run interleaved
against the same servers, ROUNDS times each, and the medians are compared: the servers are
Python, so wall time is mostly theirs; the CPU column is the client's alone.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILTER_TESTS = os.path.join(TOP, "tests", "filter")
HOSTS, PER_RUN, ROUNDS = 200, 20, 5


def server(argv, log):
    p = subprocess.Popen([sys.executable] + argv, stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)
    line = p.stdout.readline()
    if not line.strip().isdigit():
        sys.exit("bench: %s did not start: %s" % (argv[0], open(log).read()))
    return p, int(line)


def run(binary, rport, eport):
    out = subprocess.run([binary, str(rport), str(eport), str(HOSTS), str(PER_RUN)], capture_output=True,
                         text=True)
    if out.returncode != 0:
        sys.exit("bench: %s failed: %s" % (binary, out.stderr))
    return {line.split(":")[0]: [float(x) for x in re.findall(r"([\d.]+) us", line)]
            for line in out.stdout.splitlines()}


def main():
    binaries = sys.argv[1:] or [os.path.join(TOP, "build", "bench", "fetchcost")]
    with tempfile.TemporaryDirectory(prefix="vfcap-bench-fetch.") as tmp:
        reports = os.path.join(tmp, "reports")
        subprocess.run([sys.executable, os.path.join(FILTER_TESTS, "mkreports.py"), reports, str(HOSTS)],
                       check=True, stdout=subprocess.DEVNULL)
        rs, rport = server([os.path.join(FILTER_TESTS, "report-server.py"), reports], os.path.join(tmp, "rs.log"))
        es, eport = server([os.path.join(FILTER_TESTS, "engine-server.py"), "--root",
                            os.path.join(TOP, "tests", "fixtures", "engine", "api"), "--user", "admin@internal",
                            "--password", "pw", "--log", os.devnull], os.path.join(tmp, "es.log"))
        results = {b: [] for b in binaries}
        for _ in range(ROUNDS):
            for b in binaries:
                results[b].append(run(b, rport, eport))
        rs.terminate()
        es.terminate()
    print("vfcap-filter HTTP clients: %d report fetches (304) and %d engine VM demands (2 GETs) per run, "
          "median of %d runs\n" % (HOSTS * PER_RUN, HOSTS * PER_RUN // 4 + 1, ROUNDS))
    print("%-40s %14s %14s %16s %16s" % ("fetchcost", "report wall us", "report CPU us", "engine wall us",
                                         "engine CPU us"))
    for b, runs in results.items():
        med = [statistics.median(r[k][i] for r in runs) for k in ("reports", "engine") for i in (0, 1)]
        shown = os.path.relpath(b, TOP) if b.startswith(TOP + "/") else b
        print("%-40s %14.1f %14.1f %16.1f %16.1f" % ((shown,) + tuple(med)))


if __name__ == "__main__":
    main()
