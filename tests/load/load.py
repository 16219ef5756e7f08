#!/usr/bin/python3
"""One service under load (tests/load.sh): builds the requests and their expected answers, checks
the service's first answers against what the test computes on its own, runs build/tools/loadgen
(C: 10,000 well-formed requests from keep-alive clients, with slow and vanishing clients at the
same time), then checks the service still answers and reads its peak RSS. Prints PASS/FAIL lines.

usage: load.py filter PORT PID DIR LOADGEN REPORTS_N
       load.py report PORT PID DIR LOADGEN ONESHOT_JSON
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
TIMEOUT = 5
MIN_HOLD = float(os.environ.get("LOAD_MIN_HOLD", "10"))  # seconds the slow clients trickle at least
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


def main():
    svc, port, pid, d, loadgen, arg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
    os.makedirs(d, exist_ok=True)
    kinds = filter_kinds(port, d, int(arg)) if svc == "filter" else report_kinds(port, d, arg)
    if kinds is None:
        return 1
    rss0 = status_kb(pid, "VmRSS")
    cmd = [loadgen, str(port), "-c", str(CLIENTS), "-n", str(REQUESTS), "-s", str(SLOW), "-v", str(VANISH),
           "-t", str(TIMEOUT), "-m", str(MIN_HOLD)] + kinds
    p = subprocess.run(cmd, capture_output=True, text=True)
    m = {k: float(v) for k, v in re.findall(r"(\w+)=([-\d.]+)", p.stdout)}
    if p.returncode not in (0, 1) or "requests" not in m:
        out(False, "%s: loadgen ran" % svc, "exit %d: %s %s" % (p.returncode, p.stdout, p.stderr))
        return 1
    n = int(m["requests"])
    print("%s: loadgen: %s" % (svc, p.stdout.strip()), flush=True)
    # the service afterwards: every kind answered right once more, on a fresh connection
    after = subprocess.run([loadgen, str(port), "-c", "1", "-n", str(len(kinds) // 3), "-s", "0", "-v", "0",
                            "-t", str(TIMEOUT)] + kinds, capture_output=True, text=True)
    rss1 = status_kb(pid, "VmRSS")
    # a second round, vanishing clients only: memory must not keep growing with requests served
    again = subprocess.run([loadgen, str(port), "-c", str(CLIENTS), "-n", str(REQUESTS), "-s", "0", "-v", str(VANISH),
                            "-t", str(TIMEOUT)] + kinds, capture_output=True, text=True)
    m2 = {k: float(v) for k, v in re.findall(r"(\w+)=([-\d.]+)", again.stdout)}
    rss2 = status_kb(pid, "VmRSS")
    hwm = status_kb(pid, "VmHWM")
    ok = m["correct"] == n
    out(ok, "%s: %s requests from %d keep-alive clients with %d slow and %d vanishing clients: %s, %.0f req/s, "
        "p50 %.1f ms, p99 %.1f ms, max %.0f ms, peak RSS %.1f MB" % (
            svc, format(n, ","), CLIENTS, SLOW, VANISH,
            "all correct" if ok else "%d correct, %d wrong, %d lost, %d late (> %d s)" % (
                m["correct"], m["wrong"], m["lost"], m["late"], TIMEOUT),
            m["rps"], m["p50_us"] / 1e3, m["p99_us"] / 1e3, m["max_us"] / 1e3, hwm / 1024),
        p.stderr.strip()[:2000])
    out(m["max_us"] <= TIMEOUT * 1e6 and m["lost"] == 0,
        "%s: every request answered within %d s (slowest %.0f ms)" % (svc, TIMEOUT, m["max_us"] / 1e3))
    out(m["slow_ok"] == SLOW and m["slow_hold_min"] >= MIN_HOLD,
        "%s: %d slow clients held their connections at 1 byte/s for %.0f s or more (%d bytes in all), "
        "then were answered correctly" % (svc, SLOW, m["slow_hold_min"], m["slow_bytes"]),
        "%d answered right, %d wrong, %d cut by the service (first after %.1f s), %d could not connect" % (
            m["slow_ok"], m["slow_bad"], m["slow_cut"], m["slow_first_cut"], m["slow_failed"]))
    out(m["vanished"] == VANISH, "%s: %d clients sent part of a request and vanished during the run" % (svc, VANISH),
        "%d vanished, %d could not connect" % (m["vanished"], m["vanish_refused"]))
    out(after.returncode == 0, "%s: still answers correctly afterwards" % svc, after.stdout + after.stderr)
    out(again.returncode == 0, "%s: a second %s requests (%.0f req/s, p99 %.1f ms), all correct" % (
        svc, format(REQUESTS, ","), m2.get("rps", 0), m2.get("p99_us", 0) / 1e3), again.stdout + again.stderr)
    out(rss2 - rss1 < GROWTH_LIMIT_KB, "%s: RSS %.1f MB before the load, %.1f MB after it, %.1f MB after a second "
        "round (growth < %d MB)" % (svc, rss0 / 1024, rss1 / 1024, rss2 / 1024, GROWTH_LIMIT_KB // 1024))
    out(hwm < RSS_LIMIT_KB, "%s: peak RSS %.1f MB < %d MB" % (svc, hwm / 1024, RSS_LIMIT_KB // 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main())
