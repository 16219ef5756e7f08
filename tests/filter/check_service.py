#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Drive a running `vfcap-filter serve` with a real XML-RPC client (xmlrpc.client) and raw HTTP.

usage: check_service.py URL REPORTS_DIR LOG [--slow]
Prints one "PASS name" or "FAIL name: why" line per check (tests/filter.sh counts them).
The reports directory holds mkreports.py's hosts 0..9 plus the special ones made by filter.sh:
STALE (1000 s old), BROKEN (not JSON), NOFREE (free null: libvirt was down on the host).
"""
import http.client
import re
import socket
import sys
import threading
import time
import urllib.parse
import xmlrpc.client

sys.path.insert(0, __import__("os").path.dirname(__file__))
from mkreports import host_id  # noqa: E402

URL = sys.argv[1] if len(sys.argv) > 1 else ""
LOG = sys.argv[3] if len(sys.argv) > 3 else ""
U = urllib.parse.urlparse(URL)
VM = "11111111-2222-4333-8444-555555555555"
STALE, BROKEN, NOFREE, MISSING = ("5ta1e000-0000-4000-8000-000000000000", "b40ken00-0000-4000-8000-000000000000",
                                  "00f4ee00-0000-4000-8000-000000000000", "0155in90-0000-4000-8000-000000000000")
HOSTS = [host_id(i) for i in range(10)]
results = []


def check(name, ok, why=""):
    results.append(ok)
    print("PASS %s" % name if ok else "FAIL %s: %s" % (name, why), flush=True)


def proxy():
    return xmlrpc.client.ServerProxy(URL, allow_none=False)


def free(i, label=None):
    return {"physnet1": i % 7, "physnet2": i % 3}.get(label, i % 7 + i % 3)


def expect(hosts, demand, label=None, iommu=False):
    def left(i):  # mkreports.py: odd hosts have one free VF of ens1f0 in a shared IOMMU group
        return free(i, label) - (1 if iommu and i % 2 and i % 7 and label != "physnet2" else 0)
    return [h for h in hosts if h in HOSTS and left(HOSTS.index(h)) >= demand]


def check_discover():
    d = proxy().discover()
    f, s = d.get("filters", {}), d.get("scores", {})
    ok = "vfcap_vf_capacity" in f and "vfcap_vf_headroom" in s and d.get("balance") == {}
    check("discover: one filter, one score, no balance unit", ok, repr(d))
    # the engine skips a unit whose properties_validation does not match key=regex(;key=regex)*;?
    val = f.get("vfcap_vf_capacity", ["", ""])[1]
    shape = re.fullmatch(r"\w+=[^;]+(;\w+=[^;]+)*;?", val)
    keys = [kv.split("=", 1)[0] for kv in val.split(";") if kv]
    # new properties go at the end, so what the engine saw before stays in place
    check("discover: properties_validation has the engine's shape and the 7 properties",
          bool(shape) and keys == ["vf_demand", "on_missing", "max_report_age", "label", "iommu_isolation", "numa",
                                   "require_link"], val)
    goods = {"vf_demand": "12", "on_missing": "accept", "max_report_age": "600", "label": "physnet1",
             "iommu_isolation": "yes", "numa": "required", "require_link": "no"}
    for k, v in (kv.split("=", 1) for kv in val.split(";") if kv):
        good = goods[k]
        check("discover: validation regex of %s accepts %s" % (k, good), re.fullmatch(v, good) is not None, v)


def run_filters(hosts, props, filters=("vfcap_vf_capacity",)):
    return proxy().runFilters(list(filters), hosts, VM, props)


def check_filters():
    r = run_filters(HOSTS, {})
    check("runFilters: demand 1 passes hosts with a free VF, in the order sent",
          r["result"] == expect(HOSTS, 1) and r["result_code"] == 0 and "plugin_errors" not in r, repr(r))
    r = run_filters(list(reversed(HOSTS)), {"vf_demand": "5"})
    check("runFilters: vf_demand=5", r["result"] == expect(list(reversed(HOSTS)), 5), repr(r))
    r = run_filters(HOSTS, {"vf_demand": "2", "label": "physnet2"})
    check("runFilters: label=physnet2 counts only that PF", r["result"] == expect(HOSTS, 2, "physnet2"), repr(r))
    r = run_filters(HOSTS, {"vf_demand": "3", "iommu_isolation": "yes"})
    check("runFilters: iommu_isolation=yes leaves out VFs in shared IOMMU groups",
          r["result"] == expect(HOSTS, 3, iommu=True) and r["result"] != expect(HOSTS, 3), repr(r))
    r = run_filters(HOSTS, {"vf_demand": "1", "label": "nowhere"})
    check("runFilters: a label no PF has rejects every host", r["result"] == [], repr(r))
    r = run_filters(HOSTS, {"vf_demand": "0"})
    check("runFilters: a VM that needs no VF passes every host", r["result"] == HOSTS, repr(r))
    r = run_filters([], {})
    check("runFilters: no hosts", r["result"] == [] and r["result_code"] == 0, repr(r))


def check_missing():
    hosts = HOSTS[:3] + [STALE, BROKEN, NOFREE, MISSING]
    r = run_filters(hosts, {})
    errs = r.get("plugin_errors", {}).get("vfcap_vf_capacity", [])
    joined = "\n".join(errs)
    check("missing reports: rejected by default, each host told the engine once, in words without paths",
          r["result"] == expect(HOSTS[:3], 1) and r["result_code"] == 1 and len(errs) == 4 and
          all(h in joined for h in (STALE, BROKEN, NOFREE, MISSING)) and joined.count("rejected") == 4 and
          "older than max_report_age" in joined and "no usable report" in joined and "free VF count" in joined and
          "/" not in joined and "JSON" not in joined, repr(errs))
    r = run_filters(hosts, {"on_missing": "accept"})
    check("missing reports: on_missing=accept passes them, and the engine is not told",
          r["result"] == expect(HOSTS[:3], 1) + [STALE, BROKEN, NOFREE, MISSING] and r["result_code"] == 0 and
          "plugin_errors" not in r, repr(r))
    r = run_filters([STALE], {"max_report_age": "0"})
    check("missing reports: max_report_age=0 takes a report of any age", r["result"] == [STALE], repr(r))
    r = run_filters([STALE], {"max_report_age": "2000"})
    check("missing reports: a 1000 s old report is fresh under max_report_age=2000", r["result"] == [STALE], repr(r))
    many = [MISSING[:-3] + "%03d" % i for i in range(40)]
    r = run_filters(many, {})
    errs = r.get("plugin_errors", {}).get("vfcap_vf_capacity", [])
    check("missing reports: 40 hosts sharing a reason give one message",
          len(errs) == 1 and errs[0].startswith("40 hosts rejected: no usable report") and many[0] in errs[0], repr(errs))


def check_bad_units():
    r = run_filters(HOSTS, {"vf_demand": "abc"})
    errs = r.get("plugin_errors", {}).get("vfcap_vf_capacity", [])
    check("bad property: reported, the unit does not filter",
          r["result"] == HOSTS and r["result_code"] == 1 and errs and "vf_demand" in errs[0], repr(r))
    r = run_filters(HOSTS, {"label": "a\nb" + "x" * 500})
    errs = r.get("plugin_errors", {}).get("vfcap_vf_capacity", [])
    check("hostile property: one short line, no raw newline", len(errs) == 1 and "\n" not in errs[0] and
          len(errs[0]) < 200, repr(errs))
    r = run_filters(HOSTS, {}, filters=("nosuch", "vfcap_vf_capacity"))
    check("unknown filter: plugin error, ours still applied",
          r["result"] == expect(HOSTS, 1) and "nosuch" in r.get("plugin_errors", {}), repr(r))


def check_scores():
    r = proxy().runCostFunctions([["vfcap_vf_headroom", 2]], HOSTS, VM, {"vf_demand": "1"})
    left = [free(i) - 1 for i in range(10)]
    want = [[h, max(left) - l, "vfcap_vf_headroom"] for h, l in zip(HOSTS, left)]
    check("runCostFunctions: [host, best headroom - headroom, unit]: unweighted, the engine applies the factor",
          r["result"] == want and r["result_code"] == 0, repr(r))
    r = proxy().runCostFunctions([["vfcap_vf_headroom", 1], ["other", 3]], HOSTS[:2] + [MISSING], VM, {})
    res = dict((h, s) for h, s, _ in r["result"])
    check("runCostFunctions: a host without report scores last; unknown unit reported",
          res[MISSING] > max(res[HOSTS[0]], res[HOSTS[1]]) and "other" in r.get("plugin_errors", {}), repr(r))
    r = proxy().runLoadBalancing("vfcap_balance", HOSTS, {})
    check("runLoadBalancing: no balance unit: ['', []] and the reason", r["result"] == ["", []] and
          r["result_code"] == 1, repr(r))


def fault(call):
    try:
        call()
    except xmlrpc.client.Fault as f:
        return f
    return None


def check_faults():
    p = proxy()
    f = fault(lambda: p.noSuchMethod())
    check("unknown method: fault -32601", f is not None and f.faultCode == -32601, repr(f))
    f = fault(lambda: p.runFilters("x", HOSTS, VM, {}))
    check("filters not an array: fault -32602", f is not None and f.faultCode == -32602, repr(f))
    f = fault(lambda: p.runFilters(["vfcap_vf_capacity"], [1, 2], VM, {}))
    check("host ids not strings: fault", f is not None and "hosts[0]" in f.faultString, repr(f))
    f = fault(lambda: p.runFilters(["vfcap_vf_capacity"], HOSTS))
    check("missing parameters: fault", f is not None and "4 parameters" in f.faultString, repr(f))
    f = fault(lambda: p.runCostFunctions([["vfcap_vf_headroom", "2"]], HOSTS, VM, {}))
    r = p.runCostFunctions([["vfcap_vf_headroom", "x"]], HOSTS, VM, {})
    check("cost function weight not an int: reported", f is None and r.get("plugin_errors"), repr(r))


def raw(body, headers=None, method="POST", path=None):
    c = http.client.HTTPConnection(U.hostname, U.port, timeout=10)
    h = {"Content-Type": "text/xml"}
    h.update(headers or {})
    c.request(method, path or U.path or "/", body=body, headers=h)
    resp = c.getresponse()
    data = resp.read()
    c.close()
    return resp.status, data


def still_answers():
    try:
        return "vfcap_vf_capacity" in proxy().discover()["filters"]
    except Exception:
        return False


CAPTURED = "tests/fixtures/xmlrpc/engine-captured"
SPECIAL_NAME = "<&>\"' \u00fc \u20ac \U0001D11E ]]> \t"


def replay(name):
    """A captured request (its README.md), sent as it is; the reply read as the engine's client
    would. Returns (status, parsed result or fault, raw bytes)."""
    s = socket.create_connection((U.hostname, U.port), timeout=10)
    s.sendall(open("%s/%s.http" % (CAPTURED, name), "rb").read())
    resp = http.client.HTTPResponse(s)
    resp.begin()
    data = resp.read()
    s.close()
    try:
        value = xmlrpc.client.loads(data)[0][0]
    except xmlrpc.client.Fault as f:
        value = f
    return resp.status, value, data


def check_captured():
    """The captured requests, byte for byte, and what each must get."""
    mine = expect(HOSTS, 1)
    want = {
        "discover": lambda r: "vfcap_vf_capacity" in r["filters"],
        "runFilters": lambda r: r["result"] == mine and r["result_code"] == 0,
        "runCostFunctions": lambda r: len(r["result"]) == 10 and r["result_code"] == 0,
        "runCostFunctions-weight5": lambda r: r["result"] == [[HOSTS[1], 4, "vfcap_vf_headroom"],
                                                             [HOSTS[6], 0, "vfcap_vf_headroom"]],
        "runLoadBalancing": lambda r: r["result"] == ["", []] and "no_such_balance" in r["plugin_errors"],
        # U+1D11E came as two surrogate references: the name is reported back whole
        "runFilters-filter-name-specials": lambda r: r["result"] == HOSTS and
        list(r["plugin_errors"]) == [SPECIAL_NAME],
        # U+1F40E in a property the unit ignores; vf_demand 2 applies
        "runFilters-non-bmp-props": lambda r: r["result"] == expect(HOSTS, 2) and r["result_code"] == 0,
    }
    for name, ok in want.items():
        st, value, data = replay(name)
        good = st == 200 and not isinstance(value, xmlrpc.client.Fault) and b"nil" not in data and ok(value)
        check("engine's captured request replayed: %s" % name, good, "%d %r" % (st, value))


def check_raw():
    evil = [
        ("not XML", b"hello"),
        ("empty body", b""),
        ("10,000-deep nesting", b"<?xml version='1.0'?><methodCall><methodName>runFilters</methodName><params><param>" +
         b"<value><array><data>" * 10000 + b"</data></array></value>" * 10000 + b"</param></params></methodCall>"),
        ("billion laughs", b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
         b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
         b"<methodCall><methodName>&d;</methodName></methodCall>"),
        ("external entity", b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
         b"<methodCall><methodName>&x;</methodName></methodCall>"),
        ("invalid UTF-8", b"<?xml version='1.0' encoding='UTF-8'?><methodCall><methodName>run\xff\xfe</methodName></methodCall>"),
        ("wrong root", b"<?xml version='1.0'?><methodResponse/>"),
        ("lone surrogate reference", b"<methodCall><methodName>a&#55357;b</methodName></methodCall>"),
        ("reversed surrogate references", b"<methodCall><methodName>&#56334;&#55357;</methodName></methodCall>"),
    ]
    for name, body in evil:
        st, data = raw(body)
        check("malformed request: %s -> fault" % name, st == 200 and b"<fault>" in data and still_answers(),
              "%d %r" % (st, data[:200]))
    # Content-Length over the limit: refused before the body is read
    s = socket.create_connection((U.hostname, U.port), timeout=10)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 1048577\r\n\r\n" + b"x" * 65536)
    answer = s.recv(4096)
    s.close()
    check("body over the limit (Content-Length) -> 413 at once, still answering",
          answer.startswith(b"HTTP/1.1 413") and still_answers(), repr(answer[:100]))
    # chunked, so the size shows only while reading: dropped as it comes, 413 at the end
    s = socket.create_connection((U.hostname, U.port), timeout=10)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
    for _ in range(17):
        s.sendall(chunk)
    s.sendall(b"0\r\n\r\n")
    answer = s.recv(4096)
    s.close()
    check("body over the limit (chunked) -> 413, still answering",
          answer.startswith(b"HTTP/1.1 413") and still_answers(), repr(answer[:100]))
    st, data = raw(None, method="GET", path="/healthz")
    check("GET /healthz", st == 200 and data == b"ok\n", "%d %r" % (st, data))
    st, data = raw(None, method="GET", path="/")
    check("GET / -> 405", st == 405, "%d" % st)


def check_stalled_clients():
    """Clients that stop mid-body or vanish hold or drop connections; others are still served."""
    socks = []
    for _ in range(20):
        s = socket.create_connection((U.hostname, U.port))
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\n\r\n<?xml")
        socks.append(s)
    for _ in range(10):
        s = socket.create_connection((U.hostname, U.port))
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n<meth")
        s.close()
    ok = all(run_filters(HOSTS, {})["result"] == expect(HOSTS, 1) for _ in range(20))
    for s in socks:
        s.close()
    check("20 stalled and 10 vanished clients: others still answered correctly", ok and still_answers())


def check_parallel(clients=100, each=100):
    want = expect(HOSTS, 2)
    bad = []

    def worker(k):
        p = xmlrpc.client.ServerProxy(URL)
        for _ in range(each):
            try:
                if p.runFilters(["vfcap_vf_capacity"], HOSTS, VM, {"vf_demand": "2"})["result"] != want:
                    bad.append(k)
            except Exception as e:  # noqa: BLE001 - any failure is a failed request
                bad.append(repr(e))
    t0 = time.time()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check("%d parallel clients x %d requests: every reply correct (%.1f s)" % (clients, each, time.time() - t0),
          not bad, repr(bad[:3]))


def check_sizes():
    for n in (3, 100, 1000, 10000):
        hosts = [host_id(i) for i in range(n)]
        r = run_filters(hosts, {"vf_demand": "3", "on_missing": "accept"})
        want = [h for i, h in enumerate(hosts) if free(i) >= 3]
        check("runFilters over %d hosts" % n, r["result"] == want, "%d of %d" % (len(r["result"]), len(want)))


def check_log():
    text = open(LOG).read()
    ok = re.search(r"method=runFilters hosts_in=10 hosts_out=\d+ status=200 ms=[0-9.]+", text) is not None
    check("one log line per request: method, hosts in/out, status, milliseconds", ok, text[-300:])
    line = "vfcap-filter: runFilters: vfcap_vf_capacity: host %s: no report for host %s in %s (rejected by on_missing=reject)" % (
        MISSING, MISSING, sys.argv[2])
    check("the service's log has the whole reason the engine was spared", line in text, line)


def main():
    for f in (check_discover, check_filters, check_missing, check_bad_units, check_scores, check_faults, check_captured,
              check_raw,
              check_stalled_clients, check_parallel, check_log):
        try:
            f()
        except Exception as e:  # noqa: BLE001 - report and go on
            check(f.__name__, False, repr(e))


if __name__ == "__main__":
    if len(sys.argv) > 4 and sys.argv[4] == "--sizes":
        check_sizes()
    else:
        main()
    sys.exit(0 if results and all(results) else 1)
