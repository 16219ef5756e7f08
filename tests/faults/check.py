#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Assertions on a vfcap report for tests/faults.sh.

usage: check.py REPORT CHECK [ARGS...]; exit 0 when it holds, else 1 with the reason on stdout.
  vf-not-free PF VF[-VF] VF (each VF of the range) of PF is not "free" (unknown, or gone), the report lists an error,
                         and the PF's free count (if known) does not count it
  pf-error PF SOURCE     PF has an error from SOURCE and its free/used counts are null
  libvirt-down           an error from libvirt, every PF with VFs has used/free null, no VF free
  same-errors OTHER      same "errors" list as the report OTHER
"""
import json
import sys


def short(errs):
    more = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
    return errs[0]["message"] + more if errs else "none"


def main():
    rep = json.load(open(sys.argv[1]))
    what, args = sys.argv[2], sys.argv[3:]
    pfs = {p["name"]: p for p in rep["pfs"]}
    errs = rep["errors"]
    if what == "vf-not-free":
        pf, rng = pfs[args[0]], [int(x) for x in args[1].split("-")]
        vfs = {v["index"]: v for v in pf["vfs"]}
        for i in range(rng[0], rng[-1] + 1):
            st = vfs[i]["state"] if i in vfs else "(not listed)"
            assert st != "free", f"VF {i} still counted free: {vfs.get(i)}"
        vf, st = args[1], vfs[rng[0]]["state"] if rng[0] in vfs else "(not listed)"
        assert errs, "no error listed"
        free_vfs = sum(1 for v in pf["vfs"] if v["state"] == "free")
        assert pf["free"] is None or pf["free"] <= free_vfs, f"free {pf['free']} > {free_vfs} free VFs"
        print(f"VF {vf}: {st}, PF free {pf['free']}, errors: {short(errs)}")
    elif what == "pf-error":
        pf = pfs[args[0]]
        mine = [e for e in errs if e["source"] == args[1] and e["object"] == args[0]]
        assert mine, f"no {args[1]} error for {args[0]}: {errs}"
        assert pf["free"] is None and pf["used"] is None, f"used {pf['used']}, free {pf['free']}"
        assert not any(v["state"] == "free" for v in pf["vfs"]), "a VF counted free"
        print(short(mine))
    elif what == "libvirt-down":
        mine = [e for e in errs if e["source"] == "libvirt"]
        assert mine, f"no libvirt error: {errs}"
        for p in rep["pfs"]:
            if not p["vfs"]:
                continue  # a PF without VFs has 0 used, 0 free whatever libvirt says
            assert p["free"] is None and p["used"] is None, f"{p['name']}: used {p['used']}, free {p['free']}"
            assert not any(v["state"] == "free" for v in p["vfs"]), f"{p['name']}: a VF counted free"
        assert rep["totals"]["free"] is None, f"totals.free {rep['totals']['free']}"
        print(short(mine))
    elif what == "same-errors":
        other = json.load(open(args[0]))["errors"]
        assert errs == other, f"errors {errs} != {other}"
    else:
        sys.exit(f"unknown check {what}")


try:
    main()
except (AssertionError, KeyError, ValueError) as e:
    print(f"{type(e).__name__}: {e}")
    sys.exit(1)
