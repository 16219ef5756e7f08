#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The service with demand from an engine-shaped REST API (tests/filter/engine-server.py) and,
separately, with reports fetched over HTTP (tests/filter/report-server.py), and NUMA placement
from the engine over `mkreports.py --numa` reports.

usage: check_engine.py engine URL | check_engine.py http URL | check_engine.py numa URL
Prints "PASS name" / "FAIL name: why" lines, like check_service.py.
"""
import http.client as httpclient
import re
import socket
import sys
import urllib.parse
import xmlrpc.client

sys.path.insert(0, __import__("os").path.dirname(__file__))
import check_service  # noqa: E402
from check_service import HOSTS, MISSING, check, expect  # noqa: E402

MODE, URL = sys.argv[1:3]
check_service.URL = URL
DEMAND3, DEMAND0, GARBAGE = ("6a6b7c1e-2f0a-4c8e-9d3b-1f2e3d4c5b6a", "8c9d0e1f-2b3c-4d4e-9f50-6b7c8d9e0f1a",
                             "9d0e1f2a-3c4d-4e5f-a061-7c8d9e0f1a2b")


def run_filters(vm, props=None, hosts=HOSTS):
    return xmlrpc.client.ServerProxy(URL).runFilters(["vfcap_vf_capacity"], hosts, vm, props or {})


def engine():
    r = run_filters(DEMAND3)
    check("engine demand: a VM with 3 VF vNICs passes hosts with 3 free", r["result"] == expect(HOSTS, 3) and
          r["result_code"] == 0, repr(r))
    r = run_filters(DEMAND3, {"vf_demand": "9"})
    check("engine demand: the engine's count wins over vf_demand", r["result"] == expect(HOSTS, 3), repr(r))
    r = run_filters(DEMAND0)
    check("engine demand: a VM without VF vNICs passes every host", r["result"] == HOSTS, repr(r))
    r = run_filters(GARBAGE, {"vf_demand": "2"})
    errs = r.get("plugin_errors", {}).get("vfcap_vf_capacity", [])
    check("engine demand: an unreadable answer falls back to vf_demand, the engine told so (the log why)",
          r["result"] == expect(HOSTS, 2) and errs and "using vf_demand=2" in errs[0] and "/" not in errs[0], repr(r))
    r = run_filters("../../hosts")
    errs = r.get("plugin_errors", {}).get("vfcap_vf_capacity", [])
    check("engine demand: a hostile VM id never reaches a URL (filter.sh reads the log)",
          r["result"] == expect(HOSTS, 1) and errs and "using vf_demand=1" in errs[0], repr(r))


def http():
    r = run_filters("vm", {}, HOSTS + [MISSING])
    errs = r.get("plugin_errors", {}).get("vfcap_vf_capacity", [])
    check("reports over HTTP: fetched, judged, the missing host told the engine without its URL",
          r["result"] == expect(HOSTS, 1) and len(errs) == 1 and MISSING in errs[0] and "/" not in errs[0],
          repr(r))


# NUMA: tests/fixtures/engine/api's VMs (each with demand 3) over mkreports.py --numa hosts:
# free VFs i % 7 on node 0, i % 3 on node 1, i % 2 on a PF of unknown node (local everywhere).
NODE0, NODE01, VCPU, UNPINNED, BAD_PIN = ("d0000000-0000-4000-8000-%012s" % k for k in
                                          ("000000000000", "000000000001", "0000000000c1", "0000000000f0",
                                           "0000000000ba"))
NO_TOPOLOGY = HOSTS[9]  # the stand-in answers 500 for its numanodes
CAPTURED = "tests/fixtures/xmlrpc/engine-captured"
CAPTURED_VM = b"6a6b7c1e-2f0a-4c8e-9d3b-1f2e3d4c5b6a"


def local(i, nodes):
    return (i % 7 if 0 in nodes else 0) + (i % 3 if 1 in nodes else 0) + i % 2


def total(i):
    return local(i, (0, 1))


def passing(cond):
    return [h for i, h in enumerate(HOSTS) if cond(i)]


def engine_call(name, vm, props):
    """The engine's captured request (its own client's bytes), for another VM (an id of the same
    length) and with properties as the engine writes them, sent as it is."""
    raw = open("%s/%s.http" % (CAPTURED, name), "rb").read()
    head, body = raw.split(b"\r\n\r\n", 1)
    members = "".join("<member><name>%s</name><value>%s</value></member>" % kv for kv in props.items())
    body = body.replace(CAPTURED_VM, vm.encode()).replace(b"<struct/>", ("<struct>%s</struct>" % members).encode())
    head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(body), head)
    u = urllib.parse.urlparse(URL)
    sock = socket.create_connection((u.hostname, u.port), timeout=30)
    sock.sendall(head + b"\r\n\r\n" + body)
    resp = httpclient.HTTPResponse(sock)
    resp.begin()
    data = resp.read()
    sock.close()
    return xmlrpc.client.loads(data)[0][0]


def numa_filters():
    for vm, nodes, what in ((NODE0, (0,), "vNUMA pinned to node 0"), (NODE01, (0, 1), "vNUMA pinned to nodes 0 and 1"),
                            (VCPU, (1,), "vCPUs pinned to host CPUs 4-7 (node 1)")):
        r = engine_call("runFilters", vm, {"numa": "required"})
        want = passing(lambda i: local(i, nodes) >= 3 or (vm == VCPU and i == 9 and total(i) >= 3))
        check("numa=required, %s: only hosts with 3 local VFs pass" % what, r["result"] == want, repr((r, want)))
    r = engine_call("runFilters", VCPU, {"numa": "required"})
    errs = r.get("plugin_errors", {}).get("vfcap_vf_capacity", [])
    check("numa=required, vCPU pins: a host without topology is judged without NUMA, the engine told",
          r["result_code"] == 1 and len(errs) == 1 and "NUMA topology" in errs[0] and "1 host" in errs[0] and
          "/" not in errs[0], repr(r))
    for policy in ("preferred", "ignore"):
        r = engine_call("runFilters", NODE0, {"numa": policy})
        check("numa=%s, pinned VM: hosts pass on all their free VFs" % policy,
              r["result"] == passing(lambda i: total(i) >= 3) and r["result_code"] == 0, repr(r))
    r = engine_call("runFilters", NODE0, {})
    check("numa by default (preferred): no host rejected for NUMA", r["result"] == passing(lambda i: total(i) >= 3),
          repr(r))
    r = engine_call("runFilters", UNPINNED, {"numa": "required"})
    check("numa=required, unpinned VM: unaffected", r["result"] == passing(lambda i: total(i) >= 3) and
          r["result_code"] == 0, repr(r))
    r = engine_call("runFilters", BAD_PIN, {"numa": "required"})
    errs = r.get("plugin_errors", {}).get("vfcap_vf_capacity", [])
    check("numa=required, placement unreadable: NUMA not considered, the engine told without detail",
          r["result"] == passing(lambda i: total(i) >= 3) and len(errs) == 1 and "NUMA placement" in errs[0] and
          "/" not in errs[0], repr(r))


def numa_scores():
    for policy in ("preferred", "required"):
        r = engine_call("runCostFunctions", NODE0, {"numa": policy})
        score = {h: s for h, s, unit in r["result"]}
        counted = [i for i in range(10) if total(i) > 0]
        ok = [score[HOSTS[i]] for i in counted if local(i, (0,)) >= 3]
        short = [score[HOSTS[i]] for i in counted if local(i, (0,)) < 3]
        check("numa=%s score: every host that can place its 3 VFs on node 0 ranks first" % policy,
              len(score) == 10 and ok and short and max(ok) < min(short), repr(r))
    r = engine_call("runCostFunctions", NODE0, {"numa": "ignore"})
    best = max(total(i) for i in range(10))
    check("numa=ignore score: headroom alone, as before", r["result"] == [[h, best - total(i), "vfcap_vf_headroom"]
                                                                        for i, h in enumerate(HOSTS)], repr(r))


def numa():
    numa_filters()
    numa_scores()


{"engine": engine, "http": http, "numa": numa}[MODE]()
sys.exit(0 if check_service.results and all(check_service.results) else 1)
