#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The call deadline against hung reporters (tests/filter/hung-server.py): runFilters over N hosts
whose reporters accept and never answer, with the service's call_deadline D seconds.

usage: check_deadline.py URL N D SERVED_DIR LOG [--measure]

Checks: the first call answers within D + a wide margin, every host counted as missing by
on_missing (accept: all pass; reject: none, each with its reason); the calls right after answer
without waiting for the fetches (milliseconds; the service logs no second deadline); a reporter
that comes back (its report appears in SERVED_DIR) passes once its backoff is over. --measure
only prints the first and later calls' times (the baseline on code without a deadline).
Prints "PASS name" / "FAIL name: why" lines, like check_service.py.
"""
import os
import shutil
import sys
import time
import xmlrpc.client

sys.path.insert(0, os.path.dirname(__file__))
import mkreports  # noqa: E402

URL, N, D, SERVED, LOG = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
MEASURE = "--measure" in sys.argv
HOSTS = [mkreports.host_id(i) for i in range(N)]
BACK = HOSTS[N // 2]  # the reporter that comes back
MARGIN = 10.0
results = []


def check(name, ok, why=""):
    results.append(ok)
    print(("PASS %s" if ok else "FAIL %s: " + why) % name, flush=True)


def call(on_missing):
    t0 = time.monotonic()
    r = xmlrpc.client.ServerProxy(URL).runFilters(["vfcap_vf_capacity"], HOSTS, "vm", {"on_missing": on_missing})
    return r, time.monotonic() - t0


def log_text():
    with open(LOG) as f:
        return f.read()


def deadline_lines():
    """The service's line for a call whose deadline passed (filter/run.c log_late)."""
    return log_text().count(" not answered within call_deadline ")


def measure():
    later = float(os.environ.get("MEASURE_LATER", "0"))  # seconds before one more call
    for i in range(4 if later else 3):
        if i == 3:
            time.sleep(later)
        r, took = call("accept")
        print("call %d: %.3f s, %d of %d hosts passed (on_missing=accept)" % (i + 1, took, len(r["result"]), N))


def errors_of(r):
    return r.get("plugin_errors", {}).get("vfcap_vf_capacity", [])


def first_call():
    r, took = call("accept")
    print("first call, %d hung hosts: %.3f s (call_deadline %g s)" % (N, took, D))
    check("deadline: the first call over %d hung reporters answers within call_deadline + %g s" % (N, MARGIN),
          took < D + MARGIN, "took %.1f s" % took)
    check("deadline: it waited for the deadline, not for each host's fetch", took >= D * 0.9 and took < D + 3,
          "took %.1f s" % took)
    errs = errors_of(r)
    # hosts on_missing=accept lets pass are the admin's choice: the engine's audit log is not told,
    # the service's log says why
    check("deadline: unanswered hosts count as missing: on_missing=accept passes them all, the reason in the "
          "service's log, none in the engine's audit log",
          r["result"] == HOSTS and r["result_code"] == 0 and errs == []
          and "no answer within call_deadline" in log_text() and "accepted by on_missing=accept" in log_text(),
          "engine told %r; result %d hosts, code %r; log: %r" % (errs[:2], len(r["result"]), r["result_code"],
                                                                 log_text()[-600:]))


def later_calls():
    logged = deadline_lines()
    r, took = call("reject")
    print("second call (on_missing=reject): %.3f s" % took)
    check("deadline: a second call right after answers without waiting (< 1 s)", took < 1.0, "took %.2f s" % took)
    errs = errors_of(r)
    check("deadline: on_missing=reject rejects them: one summary for the engine, each host's reason in the "
          "service's log",
          r["result"] == [] and len(errs) == 1 and errs[0].startswith("%d hosts rejected: no usable report" % N)
          and "rejected by on_missing=reject" in log_text()
          and "and %d more host(s) without a usable report" % (N - 10) in log_text(), repr(errs))
    times = []
    for _ in range(5):
        times.append(call("accept")[1])
    print("calls 3-7: %s s" % ", ".join("%.3f" % t for t in times))
    check("deadline: later calls answer in milliseconds (< 0.5 s each)", max(times) < 0.5, repr(times))
    check("deadline: no call after the first waited for a deadline (the service logged one)",
          deadline_lines() == logged == 1, "%d lines before, %d after" % (logged, deadline_lines()))


def comes_back():
    shutil.copy(os.path.join(SERVED, "back", BACK + ".json"), SERVED)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:
        r, _ = call("reject")
        if r["result"] == [BACK]:
            break
        time.sleep(0.2)
    took = time.monotonic() - t0
    print("the reporter that came back passes after %.1f s" % took)
    check("deadline: a reporter that comes back is picked up after its backoff", r["result"] == [BACK],
          repr(r["result"][:3]))


if MEASURE:
    measure()
    sys.exit(0)
else:
    first_call()
    later_calls()
    comes_back()
sys.exit(0 if results and all(results) else 1)
