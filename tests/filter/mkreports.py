#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write N small, schema-valid vfcap reports into DIR as <host-id>.json (tests and make bench).

Built from the intel64 fixture's report (tests/fixtures/hosts/intel64/expected.json) with two
PFs whose VF lists are cut short, so 10,000 hosts stay a few MB. Host i gets id host_id(i),
free VFs i % 7 on ens1f0 (labels physnet1 / A; for odd i one of them in a shared IOMMU group)
and i % 3 on ens1f1 (physnet2 / B), and the
report time SOURCE_DATE_EPOCH (the test pass's clock) unless --age says how much older.
Their PFs are on NUMA node 0 (the fixture's). With --numa, ens1f0 is on NUMA node 0, ens1f1 on
node 1, and a third PF, ens2f0 (physnet3 / C), of unknown node (-1) has i % 2 free.

usage: mkreports.py DIR N [--age SECONDS] [--first K] [--numa]
"""
import argparse
import copy
import datetime
import json
import os

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = os.path.join(TOP, "tests", "fixtures", "hosts", "intel64", "expected.json")


def host_id(i):
    return "%08x-0000-4000-8000-%012x" % (i, i)


def pf(base, name, free, physnet, fabric, nvfs=2, node=None):
    p = copy.deepcopy(base)
    p["name"] = name
    if node is not None:
        p["numa_node"] = node
    p["labels"] = {"physical_network": physnet, "fabric": fabric}
    p["vfs"] = p["vfs"][3:3 + nvfs]  # free VFs of the fixture
    p["numvfs"] = p["totalvfs"] = p["netlink"]["num_vf"] = p["netlink"]["listed"] = p["reachable"] = 64
    p["unreachable"] = p["reserved"] = 0
    p["usable"] = 64
    p["free"] = free
    p["used"] = 64 - free
    p["shared_iommu"] = 0
    return p


def report(base, i, when, numa=False):
    r = copy.deepcopy(base)
    r["host"]["hostname"] = "node%d.example.com" % i
    r["host"]["uuid"] = host_id(i)
    r["generated_at"] = when
    r["pfs"] = [pf(base["pfs"][0], "ens1f0", i % 7, "physnet1", "A", node=0 if numa else None),
                pf(base["pfs"][0], "ens1f1", i % 3, "physnet2", "B", node=1 if numa else None)]
    if numa:
        r["pfs"].append(pf(base["pfs"][0], "ens2f0", i % 2, "physnet3", "C", node=-1))
    t = r["totals"]
    n = len(r["pfs"])
    t.update(pfs=n, vfs=64 * n, usable=64 * n, reserved=0, unreachable=0)
    t["free"] = sum(p["free"] for p in r["pfs"])
    t["used"] = 64 * n - t["free"]
    r["pfs"][0]["shared_iommu"] = 1 if i % 2 and i % 7 else 0
    t["shared_iommu"] = r["pfs"][0]["shared_iommu"]
    r["errors"] = []
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--age", type=int, default=0)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--numa", action="store_true")
    a = ap.parse_args()
    base = json.load(open(BASE))
    now = int(os.environ.get("SOURCE_DATE_EPOCH", "0")) or int(datetime.datetime.now().timestamp())
    when = datetime.datetime.fromtimestamp(now - a.age, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    os.makedirs(a.dir, exist_ok=True)
    for i in range(a.first, a.first + a.n):
        with open(os.path.join(a.dir, host_id(i) + ".json"), "w") as f:
            json.dump(report(base, i, when, a.numa), f, separators=(",", ":"))


if __name__ == "__main__":
    main()
