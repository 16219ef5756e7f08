#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The service with demand from an engine-shaped REST API (tests/filter/engine-server.py) and,
separately, with reports fetched over HTTP (tests/filter/report-server.py).

usage: check_engine.py engine URL | check_engine.py http URL
Prints "PASS name" / "FAIL name: why" lines, like check_service.py.
"""
import sys
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


{"engine": engine, "http": http}[MODE]()
sys.exit(0 if check_service.results and all(check_service.results) else 1)
