#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Kernel rig, igb guest: judge what tests/kernel/guest-igb.sh sent back.

  check-igb.py OUTDIR   print "ok NAME" / "not ok NAME: why"

Three groups, so a failure says whose it is:
  "igb rig: ..."       the kernel's own facts (sysfs, iproute2): a failure is the rig's, not vfcap's
  "igb report: ..."    what vfcap-report has said since before issue 17 (PCI identity, drivers,
                       netdevs, VF settings read back, macvtap, PF link_state, the netlink limit)
  "igb issue 17: ..."  the fields issue 17 adds (VFIO holder, netns, iommu_group, dirty,
                       carrier/link_ok, no_link, the no-stats limit)
Expectations are literal, set by the scenario (guest-igb.sh's table) and measured on Linux 6.1
under QEMU 10.0's igb; ids the run decides (holder pid, VF addresses, groups) come from the
guest's raw facts, never from the report being judged.
"""
import json
import os
import re
import sys

from check import read  # tests/kernel/check.py, the netdevsim guest's judge

NUMVFS = 7
VFIO_VFS = (0, 1)
NETNS = "ctr1"
# measured from the kernel's own bytes (netlink-up.bin): an igb IFLA_VF_INFO is 296 bytes,
# 100 of them the IFLA_VF_STATS nest (8 u64 counters) that RTEXT_FILTER_SKIP_STATS leaves out
BYTES_PER_VF, LIMIT = 296, 221
BYTES_PER_VF_NO_STATS, LIMIT_NO_STATS = 196, 334
# per VF: (dirty reasons in the spec's order, vlan, trust, spoofchk, max_tx_rate)
VF_CONFIG = {
    0: ([], 0, False, True, 0), 1: ([], 0, False, True, 0), 2: ([], 0, False, True, 0),
    3: ([], 0, False, True, 0), 4: (["vlan"], 100, False, True, 0),
    5: (["trust", "spoofchk"], 0, True, False, 0), 6: (["rate"], 0, False, True, 100),
}


def facts(out, name):
    text = read(os.path.join(out, "facts-" + name))
    if text is None:
        raise AssertionError("no facts-%s from the guest" % name)
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def report(out, name):
    rc = (read(os.path.join(out, "report-%s.rc" % name), "?") or "?").strip()
    if rc != "0":
        raise AssertionError("vfcap-report (%s) exited %s: %s" %
                             (name, rc, (read(os.path.join(out, "report-%s.err" % name), "") or "")[:200]))
    d = json.loads(read(os.path.join(out, "report-%s.json" % name)))
    if d["errors"]:
        raise AssertionError("errors: %s" % d["errors"])
    pfs = d["pfs"]
    if len(pfs) != 1:
        raise AssertionError("%d PFs, expected the one igb PF" % len(pfs))
    return d, pfs[0]


def expect(what, got, want):
    if got != want:
        raise AssertionError("%s: %r, expected %r" % (what, got, want))


def holder(f):
    pid, comm = f["holder"].split(" ", 1)
    return int(pid), comm.strip()


# ---- the rig: what the kernel says, before vfcap is asked ----

def rig_setup(o):
    for name in ("setup.err", "fatal"):
        text = (read(os.path.join(o.out, name), "") or "").strip()
        if text:
            raise AssertionError("%s: %s" % (name, " / ".join(text.splitlines()[:4])))


def rig_sriov(o):
    f = o.up
    expect("sriov_totalvfs (the igb driver's cap)", f["totalvfs"], "7")
    expect("sriov_numvfs", f["numvfs"], str(NUMVFS))
    expect("sriov_drivers_autoprobe", f["drivers_autoprobe"], "0")
    for i in range(NUMVFS):
        expect("VF %d driver" % i, f["vf%d.driver" % i], "vfio-pci" if i in VFIO_VFS else "igbvf")


def rig_vfio_enable(o):
    """sysfs enable: 1 while vfio-hold has the device open, 0 idle and after it exits."""
    expect("held VF 0 enable", o.up["vf0.enable"], "1")
    expect("idle VF 1 enable", o.up["vf1.enable"], "0")
    expect("VF 0 enable after the holder exited", o.released["vf0.enable"], "0")
    pid, comm = holder(o.up)
    expect("holder comm", comm, "vfio-hold")


def rig_netns(o):
    """A VF netdev moved to another namespace leaves net/ present but empty in the host's."""
    expect("VF 2 net/ in the host namespace", o.up["vf2.net"], "")
    for i in range(3, NUMVFS):
        if len(o.up["vf%d.net" % i].split()) != 1:
            raise AssertionError("VF %d net/ lists %r, expected one netdev" % (i, o.up["vf%d.net" % i]))
    ipout = read(os.path.join(o.out, "netns-ip.out"), "")
    if "parentbus pci parentdev %s" % o.up["vf2.address"] not in ipout:
        raise AssertionError("ip -d link show in netns %s lacks 'parentdev %s'" % (NETNS, o.up["vf2.address"]))


def rig_iommu(o):
    groups = [o.up["vf%d.iommu_group" % i] for i in range(NUMVFS)]
    if len(set(groups)) != NUMVFS or not all(g.isdigit() for g in groups):
        raise AssertionError("VF iommu groups %s, expected %d distinct" % (groups, NUMVFS))
    for i in range(NUMVFS):
        expect("devices in VF %d's group" % i, o.up["vf%d.group_devices" % i], "1")


def rig_link(o):
    expect("PF operstate (up)", o.up["operstate"], "up")
    expect("PF carrier (up)", o.up["carrier"].strip(), "1")
    expect("PF operstate (admin down)", o.down["operstate"], "down")
    if "Invalid argument" not in o.down["carrier"]:
        raise AssertionError("PF carrier (admin down) read %r, expected EINVAL" % o.down["carrier"])


def rig_vf_settings(o):
    expect("ip link set vf 6 max_tx_rate 100 exit", (read(os.path.join(o.out, "rate.rc"), "") or "").strip(), "0")
    expect("ip link set vf 6 state disable exit (igb has no ndo_set_vf_link_state)",
           (read(os.path.join(o.out, "vfstate.rc"), "") or "").strip(), "2")
    ipout = read(os.path.join(o.out, "ip-up.out"), "")
    # igbvf registered each VF netdev's MAC with the PF (the mailbox works: VF MMIO is sane)
    for i in range(2, NUMVFS):
        if "vf %d     link/ether %s " % (i, o.up["vf%d.mac" % i]) not in ipout:
            raise AssertionError("the PF does not list VF %d's MAC %s: %s" % (i, o.up["vf%d.mac" % i], ipout[:400]))
    for frag in ("vf 4 ", "vlan 100", "spoof checking off", "trust on", "max_tx_rate 100Mbps"):
        if frag not in ipout:
            raise AssertionError("ip -d link show %s lacks %r" % (o.up["pf"], frag))


# ---- the reporter, fields it has had since before issue 17 ----

def rep_pf(o):
    for name, f, d, pf, state in (("up", o.up, o.rup, o.pup, "up"), ("down", o.down, o.rdown, o.pdown, "down")):
        want = {"name": f["pf"], "pci_address": f["pf_address"], "driver": "igb", "vendor_id": "0x8086",
                "device_id": "0x10c9", "totalvfs": 7, "numvfs": NUMVFS, "link_state": state}
        expect("PF (%s)" % name, {k: pf[k] for k in want}, want)


def rep_netlink(o):
    want = {"num_vf": NUMVFS, "listed": NUMVFS, "bytes_per_vf": BYTES_PER_VF, "limit": LIMIT,
            "truncated": False, "vfinfo": True, "ports": False}
    expect("netlink", {k: o.pup["netlink"][k] for k in want}, want)


def rep_vfs(o):
    """Index, PCI address, driver and netdev of every VF, as sysfs has them."""
    vfs = o.pup["vfs"]
    expect("VFs listed", len(vfs), NUMVFS)
    for i, v in enumerate(vfs):
        net = o.up["vf%d.net" % i].split()
        want = {"index": i, "pci_address": o.up["vf%d.address" % i], "driver": o.up["vf%d.driver" % i],
                "netdev": net[0] if net and net[0] != "(absent)" else None}
        expect("VF %d" % i, {k: v[k] for k in want}, want)


def rep_readback(o):
    for i, v in enumerate(o.pup["vfs"]):
        _, vlan, trust, spoofchk, _ = VF_CONFIG[i]
        want = {"mac": o.up.get("vf%d.mac" % i, "00:00:00:00:00:00"),
                "vlan": vlan, "qos": 0, "trust": trust, "spoofchk": spoofchk, "link_state": "auto"}
        expect("VF %d settings" % i, {k: v[k] for k in want}, want)


def rep_macvtap(o):
    for pf in (o.pup, o.pdown):
        v = pf["vfs"][3]
        expect("VF 3 (macvtap passthru)", (v["state"], v["owner"]), ("host", "macvtap macvtap0"))


# ---- the reporter, issue 17's fields (docs/design.md's states, the report schema) ----

def i17_vfio(o):
    pid, comm = holder(o.up)
    for name, pf in (("up", o.pup), ("down", o.pdown)):
        expect("VF 0 (held by vfio-hold) (%s)" % name, (pf["vfs"][0]["state"], pf["vfs"][0]["owner"]),
               ("host", "vfio pid %d (%s)" % (pid, comm)))
        expect("VF 1 (vfio-pci, idle) (%s)" % name, (pf["vfs"][1]["state"], pf["vfs"][1]["owner"]), ("free", None))


def i17_netns(o):
    for name, pf in (("up", o.pup), ("down", o.pdown)):
        v = pf["vfs"][2]
        expect("VF 2 (netdev in netns %s) (%s)" % (NETNS, name), (v["state"], v["owner"]), ("host", "netns " + NETNS))


def i17_netns_anon(o):
    """VF 4 moved into the namespace of a process of its own (unshare -n): named by that pid"""
    pid = int((read(os.path.join(o.out, "anon.pid"), "") or "0").split()[0] or 0)
    _, pf = report(o.out, "anon")
    v = pf["vfs"][4]
    expect("VF 4 (netdev in pid %d's unnamed netns)" % pid, (v["state"], v["owner"]),
           ("host", "netns of pid %d" % pid))


def i17_iommu(o):
    """each VF alone in its group, by the default way and by each one forced"""
    for way in (None, "each", "table", "links"):
        vfs = o.pup["vfs"]
        if way:
            d = json.loads(read(os.path.join(o.out, "report-up-iommu-%s.json" % way)))
            vfs = next(p for p in d["pfs"] if p["name"] == o.up["pf"])["vfs"]
        for i, v in enumerate(vfs):
            want = {"iommu_group": int(o.up["vf%d.iommu_group" % i]), "iommu_group_devices": 1}
            expect("VF %d (%s)" % (i, way or "default"), {k: v.get(k, "(absent)") for k in want}, want)


def i17_dirty(o):
    for name, pf in (("up", o.pup), ("down", o.pdown)):
        for i, v in enumerate(pf["vfs"]):
            dirty, _, _, _, rate = VF_CONFIG[i]
            want = {"dirty": dirty, "max_tx_rate": rate, "min_tx_rate": 0}
            expect("VF %d (%s)" % (i, name), {k: v.get(k, "(absent)") for k in want}, want)
            if dirty and v["state"] != "free":
                raise AssertionError("VF %d (%s) is %s: dirty VFs stay free by default" % (i, name, v["state"]))


COUNT_KEYS = ("usable", "used", "free", "dirty", "no_link", "shared_iommu")


def i17_counts(o):
    """Held: VF 0 (VFIO), 2 (netns), 3 (macvtap); free 1, 4, 5, 6, three of them dirty; with
    the PF down every free VF has no link."""
    for name, d, pf, no_link in (("up", o.rup, o.pup, 0), ("down", o.rdown, o.pdown, 4)):
        want = {"usable": 7, "used": 3, "free": 4, "dirty": 3, "no_link": no_link, "shared_iommu": 0}
        expect("PF counts (%s)" % name, {k: pf.get(k, "(absent)") for k in COUNT_KEYS}, want)
        expect("totals (%s)" % name, {k: d["totals"].get(k, "(absent)") for k in COUNT_KEYS}, want)


def i17_link(o):
    expect("PF up", {k: o.pup.get(k, "(absent)") for k in ("carrier", "link_ok")}, {"carrier": True, "link_ok": True})
    expect("PF admin down", {k: o.pdown.get(k, "(absent)") for k in ("carrier", "link_ok")},
           {"carrier": False, "link_ok": False})


def i17_no_stats(o):
    want = {"bytes_per_vf_no_stats": BYTES_PER_VF_NO_STATS, "limit_no_stats": LIMIT_NO_STATS}
    expect("netlink", {k: o.pup["netlink"].get(k, "(absent)") for k in want}, want)


def i17_schema(o):
    expect("schema_version", o.rup["schema_version"], 2)


class Run:
    def __init__(self, out):
        self.out = out

    def load_facts(self):
        self.up, self.down, self.released = facts(self.out, "up"), facts(self.out, "down"), facts(self.out, "released")
        # VF 2's netdev is seen only inside its namespace
        m = re.search(r"link/ether (\S+) .*parentdev %s" % re.escape(self.up["vf2.address"]),
                      read(os.path.join(self.out, "netns-ip.out"), ""))
        if m:
            self.up["vf2.mac"] = m.group(1)

    def load_reports(self):
        self.rup, self.pup = report(self.out, "up")
        self.rdown, self.pdown = report(self.out, "down")


RIG = [("setup steps", rig_setup), ("SR-IOV and drivers", rig_sriov), ("VFIO enable count", rig_vfio_enable),
       ("netns-moved VF", rig_netns), ("IOMMU groups", rig_iommu), ("PF link", rig_link),
       ("VF settings", rig_vf_settings)]
REPORT = [("PF identity and link_state", rep_pf), ("netlink limit", rep_netlink), ("VF identity", rep_vfs),
          ("VF settings read back", rep_readback), ("macvtap passthru VF is host", rep_macvtap)]
ISSUE17 = [("VFIO holder is host, idle vfio-pci VF free", i17_vfio), ("netns-moved VF is host", i17_netns),
           ("VF in an unnamed netns is named by its process", i17_netns_anon),
           ("iommu_group per VF", i17_iommu), ("dirty reasons and rates", i17_dirty),
           ("counts and totals", i17_counts), ("PF carrier and link_ok", i17_link),
           ("no-stats netlink limit", i17_no_stats), ("schema_version 2", i17_schema)]


def run_group(prefix, checks, run, loader):
    try:
        loader()
    except (AssertionError, OSError, ValueError, KeyError, TypeError) as e:
        for name, _ in checks:
            print("not ok %s: %s: %s" % (prefix, name, " ".join(str(e).split())[:300]))
        return
    for name, fn in checks:
        try:
            fn(run)
            print("ok %s: %s" % (prefix, name))
        except (AssertionError, KeyError, IndexError, TypeError, ValueError) as e:
            print("not ok %s: %s: %s" % (prefix, name, " ".join(str(e).split())[:300]))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check-igb.py OUTDIR")
    run = Run(sys.argv[1])
    run_group("igb rig", RIG[:1], run, lambda: None)
    run_group("igb rig", RIG[1:], run, run.load_facts)

    def both():
        run.load_facts()
        run.load_reports()
    run_group("igb report", REPORT, run, both)
    run_group("igb issue 17", ISSUE17, run, both)


if __name__ == "__main__":
    main()
