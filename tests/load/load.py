#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""One service under load (tests/load.sh): builds the requests and their expected answers, checks
the service's first answers against what the test computes on its own, runs build/tools/loadgen
(C: 10,000 well-formed requests from keep-alive clients, with slow and vanishing clients at the
same time), then checks the service still answers and reads its peak RSS; then a flood of slow
clients, more than the service's connections, reconnecting as soon as they are cut or refused,
while 10,000 more well-formed requests must be answered. The service runs with request_timeout
REQUEST_TIMEOUT and 64 connections per address; the slow and vanishing clients come from
127.0.0.2, the well-formed ones from 127.0.0.1. Prints PASS/FAIL lines.

usage: load.py filter PORT PID DIR LOADGEN REPORTS_N REQUEST_TIMEOUT
       load.py report PORT PID DIR LOADGEN ONESHOT_JSON REQUEST_TIMEOUT
"""
import http.client
import os
import re
import subprocess
import sys
import xmlrpc.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "filter"))
from mkreports import host_id  # noqa: E402

REQUESTS = int(os.environ.get("LOAD_REQUESTS", "10000"))
CLIENTS = int(os.environ.get("LOAD_CLIENTS", "50"))
SLOW = int(os.environ.get("LOAD_SLOW", "50"))
VANISH = int(os.environ.get("LOAD_VANISH", "200"))
FLOOD = int(os.environ.get("LOAD_FLOOD", "300"))
TIMEOUT = 5
ATTACKER = "127.0.0.2"
RSS_LIMIT_KB = 200 * 1024
GROWTH_LIMIT_KB = 8 * 1024  # from one round of REQUESTS to the next
VM = "11111111-2222-4333-8444-555555555555"


def out(ok, what, why=""):
    print(("PASS " if ok else "FAIL ") + what + ("" if ok or not why else ": " + why), flush=True)
    return ok


def status_kb(pid, key):
    m = re.search(r"^%s:\s+(\d+) kB" % key, open("/proc/%d/status" % pid).read(), re.M)
    return int(m.group(1))


def fetch(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def raw_request(method, path, body=b"", ctype=None):
    head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method, path)
    if body:
        head += "Content-Type: %s\r\nContent-Length: %d\r\n" % (ctype, len(body))
    return head.encode() + b"\r\n" + body


def filter_kinds(port, d, nreports):
    """Four runFilters calls over 100 hosts each (every 10th of the reports, offsets 0..3) with
    demands 1..4; expected: the hosts whose free VFs (mkreports: i % 7 + i % 3) cover the demand,
    in the order sent. The first answer is checked by xmlrpc.client, then loadgen wants its bytes."""
    kinds = []
    for k in range(4):
        hosts = list(range(k, nreports, nreports // 100))[:100]
        demand = k + 1
        body = xmlrpc.client.dumps((["vfcap_vf_capacity"], [host_id(i) for i in hosts], VM,
                                    {"vf_demand": str(demand)}), "runFilters").encode()
        want = [host_id(i) for i in hosts if i % 7 + i % 3 >= demand]
        st, data = fetch(port, "POST", "/", body, {"Content-Type": "text/xml"})
        try:
            got = xmlrpc.client.loads(data)[0][0]
        except Exception as e:  # noqa: BLE001
            got = repr(e)
        if not out(st == 200 and isinstance(got, dict) and got.get("result") == want,
                   "filter: runFilters over 100 hosts, demand %d: the %d hosts with enough free VFs" % (demand, len(want)),
                   "status %s, %r" % (st, got)):
            return None
        req, exp = os.path.join(d, "req%d" % k), os.path.join(d, "want%d" % k)
        open(req, "wb").write(raw_request("POST", "/", body, "text/xml"))
        open(exp, "wb").write(data)
        kinds += ["-k", req, "=" + exp]
    return kinds


def report_kinds(port, d, oneshot):
    """GET /v1/report (the bytes of --format json) and GET /metrics (vfcap_pf_free_vfs: ens1f0 54,
    ens1f1 0; the rest of the text changes with every scrape)."""
    want = open(oneshot, "rb").read()
    st, data = fetch(port, "GET", "/v1/report")
    if not out(st == 200 and data == want, "report: GET /v1/report is the one-shot report", "status %s" % st):
        return None
    st, text = fetch(port, "GET", "/metrics")
    lines = [ln for ln in text.decode().splitlines() if ln.startswith("vfcap_pf_free_vfs{")]
    free = {re.search(r'pf="([^"]*)"', ln).group(1): ln.rsplit(" ", 1)[1] for ln in lines}
    if not out(st == 200 and free == {"ens1f0": "54", "ens1f1": "0"},
               "report: GET /metrics has vfcap_pf_free_vfs ens1f0 54, ens1f1 0", "status %s, %r" % (st, free)):
        return None
    for name, path in (("report", "/v1/report"), ("metrics", "/metrics")):
        open(os.path.join(d, "req-" + name), "wb").write(raw_request("GET", path))
    open(os.path.join(d, "want-report"), "wb").write(want)
    open(os.path.join(d, "want-metrics"), "w").write("\n".join(lines) + "\n")
    return ["-k", os.path.join(d, "req-report"), "=" + os.path.join(d, "want-report"),
            "-k", os.path.join(d, "req-metrics"), "~" + os.path.join(d, "want-metrics")]


def run_loadgen(loadgen, port, kinds, *opts):
    """loadgen's exit code, its key=value numbers, its stdout and stderr"""
    p = subprocess.run([loadgen, str(port), "-t", str(TIMEOUT)] + [str(o) for o in opts] + kinds,
                       capture_output=True, text=True)
    return p.returncode, {k: float(v) for k, v in re.findall(r"(\w+)=([-\d.]+)", p.stdout)}, p.stdout, p.stderr


def answered_all(svc, what, n, m, why):
    ok = m.get("correct") == n
    out(ok, "%s: %s: %s requests from %d keep-alive clients: %s, %.0f req/s, p50 %.1f ms, p99 %.1f ms, max %.0f ms" % (
        svc, what, format(n, ","), CLIENTS,
        "all correct" if ok else "%d correct, %d wrong, %d lost, %d late (> %d s)" % (
            m.get("correct", 0), m.get("wrong", 0), m.get("lost", 0), m.get("late", 0), TIMEOUT),
        m.get("rps", 0), m.get("p50_us", 0) / 1e3, m.get("p99_us", 0) / 1e3, m.get("max_us", 0) / 1e3), why)
    out(m.get("max_us", 1e12) <= TIMEOUT * 1e6 and m.get("lost", 1) == 0,
        "%s: %s: every request answered within %d s (slowest %.0f ms)" % (svc, what, TIMEOUT, m.get("max_us", 0) / 1e3))


def flood(svc, port, loadgen, kinds, request_timeout):
    """FLOOD slow clients from one address against 64 connections per address (and 256 in all):
    the limit refuses most, the guard cuts the rest after request_timeout, they come back; the
    well-formed requests start 2 * request_timeout + 1 s into the flood, after a whole round of
    cuts (connections from the rounds before, still held, may take the first round's places)."""
    rc, m, stdout, stderr = run_loadgen(loadgen, port, kinds, "-c", CLIENTS, "-n", REQUESTS, "-s", FLOOD, "-v", 0,
                                        "-a", ATTACKER, "-f", "-d", 2 * request_timeout + 1)
    if "requests" not in m:
        return out(False, "%s: flood: loadgen ran" % svc, "exit %d: %s %s" % (rc, stdout, stderr))
    print("%s: flood: loadgen: %s" % (svc, stdout.strip()), flush=True)
    answered_all(svc, "flood of %d slow clients from %s" % (FLOOD, ATTACKER), REQUESTS, m, stderr.strip()[:2000])
    out(m["slow_refused"] > 0 and m["slow_cut"] > 0 and m["slow_first_cut"] >= request_timeout,
        "%s: flood: %d slow connections in %.1f s: %d refused at once (64 per address), %d cut after %.1f-%.1f s "
        "(request_timeout %d)" % (svc, m["slow_conns"], m["wall"], m["slow_refused"], m["slow_cut"],
                                  m["slow_first_cut"], m["slow_last_cut"], request_timeout))


def main():
    svc, port, pid, d, loadgen, arg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
    request_timeout = int(sys.argv[7])
    os.makedirs(d, exist_ok=True)
    kinds = filter_kinds(port, d, int(arg)) if svc == "filter" else report_kinds(port, d, arg)
    if kinds is None:
        return 1
    rss0 = status_kb(pid, "VmRSS")
    rc, m, stdout, stderr = run_loadgen(loadgen, port, kinds, "-c", CLIENTS, "-n", REQUESTS, "-s", SLOW, "-v", VANISH,
                                        "-a", ATTACKER, "-w", request_timeout * 3)
    if rc not in (0, 1) or "requests" not in m:
        out(False, "%s: loadgen ran" % svc, "exit %d: %s %s" % (rc, stdout, stderr))
        return 1
    print("%s: loadgen: %s" % (svc, stdout.strip()), flush=True)
    # the service afterwards: every kind answered right once more, on a fresh connection
    after = run_loadgen(loadgen, port, kinds, "-c", 1, "-n", len(kinds) // 3, "-s", 0, "-v", 0)
    rss1 = status_kb(pid, "VmRSS")
    # a second round, vanishing clients only: memory must not keep growing with requests served
    again = run_loadgen(loadgen, port, kinds, "-c", CLIENTS, "-n", REQUESTS, "-s", 0, "-v", VANISH, "-a", ATTACKER)
    rss2 = status_kb(pid, "VmRSS")
    answered_all(svc, "with %d slow and %d vanishing clients" % (SLOW, VANISH), REQUESTS, m, stderr.strip()[:2000])
    # Cut, and never early; how late (the guard ticks every 0.5 s, and this machine is as busy as
    # the load makes it) is printed: a cut later than 3 * request_timeout counts as not cut.
    out(m["slow_cut"] == SLOW and m["slow_first_cut"] >= request_timeout,
        "%s: %d slow clients (1 byte/s, %d bytes in all) each cut %.1f-%.1f s after its first byte "
        "(request_timeout %d)" % (svc, SLOW, m["slow_bytes"], m["slow_first_cut"], m["slow_last_cut"], request_timeout),
        "%d cut, %d not cut within %d s, %d could not connect" % (
            m["slow_cut"], m["slow_uncut"], request_timeout * 3, m["slow_failed"]))
    out(m["vanished"] == VANISH, "%s: %d clients sent part of a request and vanished during the run" % (svc, VANISH),
        "%d vanished, %d could not connect" % (m["vanished"], m["vanish_refused"]))
    out(after[0] == 0, "%s: still answers correctly afterwards" % svc, after[2] + after[3])
    m2 = again[1]
    out(again[0] == 0, "%s: a second %s requests (%.0f req/s, p99 %.1f ms), all correct" % (
        svc, format(REQUESTS, ","), m2.get("rps", 0), m2.get("p99_us", 0) / 1e3), again[2] + again[3])
    out(rss2 - rss1 < GROWTH_LIMIT_KB, "%s: RSS %.1f MB before the load, %.1f MB after it, %.1f MB after a second "
        "round (growth < %d MB)" % (svc, rss0 / 1024, rss1 / 1024, rss2 / 1024, GROWTH_LIMIT_KB // 1024))
    flood(svc, port, loadgen, kinds, request_timeout)
    hwm = status_kb(pid, "VmHWM")
    out(hwm < RSS_LIMIT_KB, "%s: peak RSS %.1f MB < %d MB" % (svc, hwm / 1024, RSS_LIMIT_KB // 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main())
