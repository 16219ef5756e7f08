#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Kernel rig, host side: write the guest's plan, then judge what the guest sent back.

  check.py plan N,N,...   print the plan: "N VF ip-link-vf-args" lines the guest applies
  check.py check OUTDIR   print "ok NAME" / "not ok NAME: why" for every VF count in OUTDIR, then
                          for serve watching the kernel (check_watch.py)
  check.py watch-igb OUTDIR   the same for serve watching the igb guest's sriov_numvfs writes

The expectations are literal (measured on Linux 6.1 with netdevsim; docs/design.md, 'The netlink
limit'), not derived from vfcap's own arithmetic, so a wrong parser cannot agree with itself here.
"""
import json
import os
import re
import sys

from check_watch import check_watch, read

COUNTS = [4, 64, 220, 221, 222, 256, 512]
# VFs a parser can still decode once IFLA_VFINFO_LIST's u16 length has wrapped
LISTED = {4: 4, 64: 64, 220: 220, 221: 221, 222: 0, 256: 34, 512: 69}
LIMIT, BYTES_PER_VF = 221, 296


def plan(n):
    """The VF settings for n VFs: distinct per n, so a stale reply cannot pass."""
    hi, lo = divmod(n, 256)
    p = [
        (0, {"mac": "02:fc:%02x:%02x:00:00" % (hi, lo)}),
        (1, {"vlan": str(10 + n), "qos": "3"}),
        (2, {"trust": "on", "spoofchk": "off"}),
        (3, {"spoofchk": "on", "mac": "02:fc:%02x:%02x:00:03" % (hi, lo)}),
    ]
    if n - 1 > 3:
        p.append((n - 1, {"mac": "02:fc:%02x:%02x:ff:ff" % (hi, lo)}))
    return [(vf, s) for vf, s in p if vf < n]


def print_plan(counts):
    for n in counts:
        for vf, s in plan(n):
            args = " ".join("%s %s" % kv for kv in s.items())
            print("%d %d %s" % (n, vf, args))


class Case:
    def __init__(self, out, n):
        self.d = os.path.join(out, str(n))
        self.n = n
        self.report = self.load("report.json")
        self.test = self.load("report-test.json")
        self.ip_out = read(os.path.join(self.d, "ip.out"), "")
        self.ip_err = read(os.path.join(self.d, "ip.err"), "")

    def load(self, name):
        text = read(os.path.join(self.d, name))
        return json.loads(text) if text else None

    def rc(self, name):
        return (read(os.path.join(self.d, name + ".rc"), "?") or "?").strip()


def the_pf(report, pfname):
    pfs = [p for p in report["pfs"] if p["name"] == pfname]
    if len(pfs) != 1:
        raise AssertionError("report has %d PFs named %s" % (len(pfs), pfname))
    return pfs[0]


def check_counts(c, pfname):
    if c.rc("report") != "2":
        raise AssertionError("vfcap-report exited %s, expected 2 (libvirt unreachable)" % c.rc("report"))
    pf = the_pf(c.report, pfname)
    nl = pf["netlink"]
    want = {"num_vf": c.n, "listed": LISTED[c.n], "limit": LIMIT, "bytes_per_vf": BYTES_PER_VF,
            "truncated": c.n > LIMIT, "vfinfo": True}
    got = {k: nl[k] for k in want}
    if got != want:
        raise AssertionError("netlink %s, expected %s" % (got, want))
    if pf["numvfs"] != c.n or len(pf["vfs"]) != c.n:
        raise AssertionError("numvfs %s with %d VFs, expected %d" % (pf["numvfs"], len(pf["vfs"]), c.n))


def check_iproute2(c, pfname):
    """vfcap's truncated flag agrees with iproute2, and so does the number of VFs listed."""
    said = "Truncated VF list" in c.ip_err
    if c.rc("ip") != "0":
        raise AssertionError("ip -d link show exited %s" % c.rc("ip"))
    nl = the_pf(c.report, pfname)["netlink"]
    if said != nl["truncated"]:
        raise AssertionError("iproute2 %s 'Truncated VF list', vfcap truncated=%s" %
                             ("printed" if said else "did not print", nl["truncated"]))
    shown = len(re.findall(r"^\s+vf \d+ ", c.ip_out, re.M))
    if shown != nl["listed"]:
        raise AssertionError("iproute2 shows %d VF lines, vfcap listed %d" % (shown, nl["listed"]))


def ip_vf_line(ip_out, vf):
    m = re.search(r"^\s+vf %d (.*)$" % vf, ip_out, re.M)
    return m.group(1) if m else None


def expect_vf(vf, s):
    want = {}
    if "mac" in s:
        want["mac"] = s["mac"]
    if "vlan" in s:
        want["vlan"], want["qos"] = int(s["vlan"]), int(s.get("qos", 0))
    for k in ("trust", "spoofchk"):
        if k in s:
            want[k] = s[k] == "on"
    return want


def check_readback(c, pfname):
    pf = the_pf(c.report, pfname)
    listed = pf["netlink"]["listed"]
    for vf, s in plan(c.n):
        rep = pf["vfs"][vf]
        if rep["index"] != vf:
            raise AssertionError("VF at position %d has index %d" % (vf, rep["index"]))
        if vf >= listed:
            # the kernel's reply cannot describe it: nothing may be made up
            if rep["mac"] is not None or rep["vlan"] is not None or rep["trust"] is not None:
                raise AssertionError("VF %d is past the listed %d but has values %s" % (vf, listed, rep))
            continue
        want = expect_vf(vf, s)
        got = {k: rep[k] for k in want}
        if got != want:
            raise AssertionError("VF %d read back %s, set %s" % (vf, got, want))
        line = ip_vf_line(c.ip_out, vf) or ""
        if "mac" in s and s["mac"] not in line:
            raise AssertionError("iproute2's VF %d line lacks %s: %s" % (vf, s["mac"], line))


def check_capacity(c, pfname):
    """With a real (test driver) libvirt connection and no domain: listed VFs free, the rest
    unreachable, never free."""
    if c.rc("report-test") != "0":
        raise AssertionError("vfcap-report --libvirt-uri test:///default exited %s: %s" %
                             (c.rc("report-test"), read(os.path.join(c.d, "report-test.err"), "")[:200]))
    pf = the_pf(c.test, pfname)
    listed = LISTED[c.n]
    want = {"usable": listed, "free": listed, "used": 0, "unreachable": c.n - listed, "reserved": 0}
    got = {k: pf[k] for k in want}
    if got != want:
        raise AssertionError("counts %s, expected %s" % (got, want))
    for v in pf["vfs"]:
        st = "free" if v["index"] < listed else "unreachable"
        if v["state"] != st:
            raise AssertionError("VF %d is %s, expected %s" % (v["index"], v["state"], st))
    if c.test["totals"]["free"] != listed:
        raise AssertionError("host total free %s, expected %d" % (c.test["totals"]["free"], listed))


def check_pf_shape(c, pfname):
    """netdevsim: no sriov_totalvfs, no virtfn links, no PCI identity; only libvirt may fail."""
    pf = the_pf(c.report, pfname)
    if pf["totalvfs"] is not None or pf["pci_address"] is not None:
        raise AssertionError("totalvfs %s, pci_address %s: netdevsim has neither" % (pf["totalvfs"], pf["pci_address"]))
    if any(v["pci_address"] is not None for v in pf["vfs"]):
        raise AssertionError("a VF has a PCI address; netdevsim VFs have none")
    sources = sorted({e["source"] for e in c.report["errors"]})
    if sources != ["libvirt"]:
        raise AssertionError("error sources %s, expected only libvirt: %s" % (sources, c.report["errors"]))
    if c.test["errors"]:
        raise AssertionError("errors with the test driver: %s" % c.test["errors"])


CHECKS = [("counts", check_counts), ("iproute2", check_iproute2), ("readback", check_readback),
          ("capacity", check_capacity), ("netdevsim PF", check_pf_shape)]


def check(out):
    fatal = read(os.path.join(out, "fatal"))
    if fatal:
        print("not ok guest setup: %s" % fatal.strip())
        return
    pfname = (read(os.path.join(out, "pf"), "") or "").strip()
    for n in COUNTS:
        try:
            c = Case(out, n)
        except (ValueError, OSError) as e:
            print("not ok kernel %d VFs: unreadable results: %s" % (n, e))
            continue
        for name, fn in CHECKS:
            label = "kernel %d VFs: %s" % (n, name)
            try:
                if c.report is None or c.test is None:
                    raise AssertionError("no report (numvfs: %s)" % read(os.path.join(c.d, "numvfs.err"), "").strip())
                set_err = read(os.path.join(c.d, "set.err"), "")
                if set_err:
                    raise AssertionError("ip link set failed: %s" % set_err.strip()[:200])
                fn(c, pfname)
                print("ok %s" % label)
            except (AssertionError, KeyError, IndexError, TypeError) as e:
                print("not ok %s: %s" % (label, " ".join(str(e).split())))
    check_watch(out, "netdevsim", pfname)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "plan":
        print_plan([int(x) for x in sys.argv[2].split(",")])
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "watch-igb":
        out = sys.argv[2]
        m = re.search(r"^pf=(\S+)", read(os.path.join(out, "facts-up"), "") or "", re.M)
        check_watch(out, "igb", m.group(1) if m else "?")
    else:
        sys.exit("usage: check.py plan N,N,... | check OUTDIR | watch-igb OUTDIR")


if __name__ == "__main__":
    main()
