#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The engine's audit log stays quiet: a service with the default audit_interval (tests/filter.sh).

usage: check_audit.py URL LOG REPORTS_DIR
The same host and reason reach the engine (plugin_errors, each an ERROR audit event there) at
most once per audit_interval; hosts that on_missing=accept passes, never; many hosts sharing a
reason, in one message; no server-side path in any of it, and everything in the service's log.
The tests freeze the service's clock (SOURCE_DATE_EPOCH): the expiry after audit_interval, with
the clock moved, is tests/unit/test_filter_audit.c's.
Prints "PASS name" / "FAIL name: why" lines, like check_service.py.
"""
import sys
import xmlrpc.client

sys.path.insert(0, __import__("os").path.dirname(__file__))
import check_service  # noqa: E402
from check_service import HOSTS, MISSING, NOFREE, STALE, check, expect  # noqa: E402

URL, LOG, REPORTS = sys.argv[1:4]
seen = []


def errors(hosts, props=None):
    r = xmlrpc.client.ServerProxy(URL).runFilters(["vfcap_vf_capacity"], hosts, "vm", props or {})
    errs = r.get("plugin_errors", {}).get("vfcap_vf_capacity", [])
    seen.extend(errs)
    return r, errs


def main():
    hosts = HOSTS[:3] + [STALE, MISSING]
    r, errs = errors(hosts)
    check("first call: each rejected host told once", len(errs) == 2 and r["result_code"] == 1 and
          r["result"] == expect(HOSTS[:3], 1), repr(errs))
    r, errs = errors(hosts)
    check("same call again: the engine is told nothing, the hosts still rejected",
          errs == [] and r["result_code"] == 0 and r["result"] == expect(HOSTS[:3], 1), repr(r))
    r, errs = errors(hosts + [NOFREE])
    check("a new host and reason: only it", len(errs) == 1 and NOFREE in errs[0], repr(errs))
    r, errs = errors([h[:-3] + "a%02d" % i for i, h in enumerate([MISSING] * 4)], {"on_missing": "accept"})
    check("hosts on_missing=accept passes are never named", errs == [] and len(r["result"]) == 4, repr(r))
    many = [MISSING[:-3] + "b%02d" % i for i in range(12)]
    r, errs = errors(many)
    check("12 hosts sharing a reason: one message", len(errs) == 1 and errs[0].startswith("12 hosts rejected"),
          repr(errs))
    r, errs = errors(HOSTS, {"vf_demand": "x"})
    r2, errs2 = errors(HOSTS, {"vf_demand": "x"})
    check("a refused property: told once, then quiet; the unit does not filter either time",
          len(errs) == 1 and "vf_demand" in errs[0] and errs2 == [] and r2["result"] == HOSTS, repr((errs, errs2)))
    check("no server-side path in anything the engine saw (%d messages)" % len(seen),
          not any("/" in m or REPORTS in m for m in seen), repr(seen))
    text = open(LOG).read()
    check("the service's log has every call's hosts, with the whole reason",
          text.count("host %s: no report for host %s in %s" % (MISSING, MISSING, REPORTS)) == 3 and
          text.count("(accepted by on_missing=accept)") == 4, text[-500:])


main()
sys.exit(0 if check_service.results and all(check_service.results) else 1)
