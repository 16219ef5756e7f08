#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`GET /metrics` of a running `vfcap-filter serve` (filter/metrics.h).

usage: check_metrics.py service URL OUT   calls of each kind, then the counters they made and the
                                          cluster view of filter.sh's reports; the text into OUT
       check_metrics.py prometheus PURL   what a real Prometheus scraped from the service
       check_metrics.py count URL N OUT   the series of N mkreports.py hosts (the text into OUT)
Prints one "PASS name" or "FAIL name: why" line per check (tests/filter.sh counts them).
"""
import http.client
import json
import re
import sys
import time
import urllib.parse
import urllib.request
import xmlrpc.client

sys.path.insert(0, __import__("os").path.dirname(__file__))
from mkreports import host_id  # noqa: E402

STALE, BROKEN, NOFREE, MISSING = ("5ta1e000-0000-4000-8000-000000000000", "b40ken00-0000-4000-8000-000000000000",
                                  "00f4ee00-0000-4000-8000-000000000000", "0155in90-0000-4000-8000-000000000000")
HOSTS = [host_id(i) for i in range(10)]


def check(name, ok, why=""):
    print("PASS %s" % name if ok else "FAIL %s: %s" % (name, why), flush=True)


def get(url, method="GET", path="/metrics"):
    u = urllib.parse.urlparse(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    c.request(method, path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("Content-Type"), body.decode()


def series(text):
    """{'name{labels}': 'value'} of the sample lines."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = v
    return out


def calls(url):
    p = xmlrpc.client.ServerProxy(url)
    p.discover()
    p.runFilters(["vfcap_vf_capacity"], HOSTS + [STALE, BROKEN, MISSING, NOFREE], "vm", {"vf_demand": "3"})
    p.runFilters(["vfcap_vf_capacity"], HOSTS[:2], "vm", {"vf_demand": "0"})
    p.runFilters(["vfcap_vf_capacity"], HOSTS[:3], "vm", {"vf_demand": "x"})
    p.runCostFunctions([["vfcap_vf_headroom", 1]], HOSTS, "vm", {})
    p.runLoadBalancing("nope", HOSTS, {})
    try:
        p.noSuchMethod()
    except xmlrpc.client.Fault:
        pass


def check_service(url, out):
    calls(url)
    st, ctype, text = get(url)
    open(out, "w").write(text)
    check("metrics: GET /metrics 200, Prometheus text 0.0.4",
          st == 200 and ctype.startswith("text/plain; version=0.0.4"), "%s %s" % (st, ctype))
    hst, hctype, hbody = get(url, "HEAD")
    check("metrics: HEAD /metrics 200, no body", hst == 200 and hbody == "" and hctype == ctype, "%s %r" % (hst, hbody))
    s = series(text)
    want = {'vfcap_filter_calls_total{method="discover",outcome="ok"}': "1",
            'vfcap_filter_calls_total{method="runFilters",outcome="plugin_errors"}': "2",
            'vfcap_filter_calls_total{method="runFilters",outcome="ok"}': "1",
            'vfcap_filter_calls_total{method="runCostFunctions",outcome="ok"}': "1",
            'vfcap_filter_calls_total{method="runLoadBalancing",outcome="plugin_errors"}': "1",
            'vfcap_filter_calls_total{method="other",outcome="fault"}': "1",
            'vfcap_filter_call_duration_seconds_count{method="runFilters"}': "3"}
    got = {k: s.get(k) for k in want}
    check("metrics: calls by method and outcome", got == want, repr(got))
    # demand 3: hosts 0..9 have i%7 + i%3 free; STALE, BROKEN, MISSING, NOFREE rejected as missing
    enough = sum(1 for i in range(10) if i % 7 + i % 3 >= 3)
    want = {"passed/enough_free": enough, "rejected/too_few_free": 10 - enough, "rejected/stale": 1,
            "rejected/no_report": 2, "rejected/no_free_count": 1, "passed/no_demand": 2, "passed/undecided": 3}
    got = {"%s/%s" % m.groups(): int(v) for k, v in s.items()
           for m in [re.match(r'vfcap_filter_hosts_total\{verdict="(\w+)",reason="(\w+)"\}', k)] if m and v != "0"}
    check("metrics: hosts passed and rejected by reason", got == want, "%r != %r" % (got, want))
    cluster = {k: s.get('vfcap_cluster_hosts{state="%s"}' % k) for k in ("ok", "stale", "missing")}
    # ok: hosts 0..9, the libvirt-down report, the free-null one and the version-1 report
    check("metrics: cluster hosts by state (13 ok, 1 stale, 1 broken)",
          cluster == {"ok": "13", "stale": "1", "missing": "1"}, repr(cluster))
    h = lambda fam, host: s.get('vfcap_cluster_host_%s{host="%s"}' % (fam, host))  # noqa: E731
    got = (h("free_vfs", HOSTS[5]), h("usable_vfs", HOSTS[5]), h("reported", BROKEN), h("free_vfs", BROKEN),
           h("report_age_seconds", STALE), h("free_vfs", NOFREE))
    check("metrics: per-host series (free 7, usable 128; broken: reported 0; stale: age 1000; free null: none)",
          got[:5] == ("7", "128", "0", None, "1000") and got[5] is None, repr(got))
    label = s.get('vfcap_cluster_label_free_vfs{label="physnet1"}')
    want_label = sum(i % 7 for i in range(10)) + 5 % 7  # the stale host is mkreports' host 5
    check("metrics: per-label free VFs (physnet1 %d)" % want_label, label is not None and int(label) >= want_label,
          repr(label))


def check_prometheus(purl):
    deadline, res = time.monotonic() + 30, []
    while time.monotonic() < deadline:
        try:
            q = urllib.request.urlopen(purl + "/api/v1/query?query=vfcap_cluster_host_free_vfs", timeout=5)
            res = json.load(q)["data"]["result"]
        except (OSError, ValueError, KeyError):
            res = []
        if len(res) >= 10:
            break
        time.sleep(0.5)
    free = {r["metric"].get("host"): r["value"][1] for r in res}
    check("prometheus: vfcap_cluster_host_free_vfs scraped per host (host 5: 7)",
          free.get(HOSTS[5]) == "7" and len(free) >= 10, repr(free))
    q = urllib.request.urlopen(purl + "/api/v1/query?query=" +
                               urllib.parse.quote('sum(vfcap_filter_calls_total{job="vfcap-filter"})'), timeout=5)
    res = json.load(q)["data"]["result"]
    check("prometheus: vfcap_filter_calls_total scraped", len(res) == 1 and float(res[0]["value"][1]) >= 7, repr(res))
    q = urllib.request.urlopen(purl + "/api/v1/targets", timeout=5)
    targets = json.load(q)["data"]["activeTargets"]
    check("prometheus: the filter target is healthy, no scrape error",
          [(t["health"], t["lastError"]) for t in targets] == [("up", "")], repr(targets))


def check_count(url, n, out):
    t0 = time.monotonic()
    st, _, text = get(url)
    ms = (time.monotonic() - t0) * 1e3
    open(out, "w").write(text)
    s = series(text)
    hosts = sum(1 for k in s if k.startswith("vfcap_cluster_host_reported{"))
    print("%d series at %d hosts (%d bytes, %.0f ms)" % (len(s), n, len(text), ms))
    check("metrics: %d hosts give %d series (5 per host + %d)" % (n, len(s), len(s) - 5 * n),
          st == 200 and hosts == n and len(s) <= 5 * n + 200, "status %d, %d hosts" % (st, hosts))


def main():
    what, args = sys.argv[1], sys.argv[2:]
    {"service": check_service, "prometheus": check_prometheus}.get(what, lambda *a: None)(*args)
    if what == "count":
        check_count(args[0], int(args[1]), args[2])


if __name__ == "__main__":
    main()
