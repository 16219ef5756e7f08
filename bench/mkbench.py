#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate a synthetic host for the benchmark: PFS x VFS VFs, DOMAINS running domains.

bench/mkbench.py OUTDIR PFS VFS DOMAINS [--iommu] [--no-vfio] [--procs N] [--held N] writes
OUTDIR/{sysfs, netlink.spec, libvirt.xml, vfcap.conf} (and proc/, netns/ with --procs) with the
same builders as the test fixtures (tests/fixtures/mkhosts.py). Half of each PF's VFs are bound
to iavf with a netdev, half to vfio-pci; domains take one VF each, alternately through
<hostdev> (a vfio-pci VF) and <interface type='direct'> (a netdev VF).

--iommu     each VF in an IOMMU group of its own (the PF's in another), as with the IOMMU on
--no-vfio   every VF bound to iavf with a netdev (domains all <interface type='direct'>)
--procs N   a /proc of N processes (comm, four fds, the host's network namespace)
--held N    N vfio-pci VFs nobody in libvirt names held open by a process (sysfs enable 1,
            /dev/vfio/<group> among its fds) and N VF netdevs moved into a container's own
            namespace (net/ empty on the host); their processes have the highest pids, so the
            /proc pass reads every process before it names the last one
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
import mkhosts  # noqa: E402


def args():
    a = argparse.ArgumentParser()
    a.add_argument("out")
    a.add_argument("pfs", type=int)
    a.add_argument("vfs", type=int)
    a.add_argument("domains", type=int)
    a.add_argument("--iommu", action="store_true")
    a.add_argument("--no-vfio", action="store_true")
    a.add_argument("--procs", type=int, default=0)
    a.add_argument("--held", type=int, default=0)
    return a.parse_args()


def vf_kind(o, i, p):
    """'netdev', 'vfio', 'moved' (netdev in another namespace) or 'held' (vfio, open) for VF i
    of PF p: the held and moved ones are VFs 1 and 0 of the first PFs (which netlink lists even
    when the list wraps), and no domain takes them."""
    if p < o.held and i == 1:
        return "held"
    if p < o.held and i == 0:
        return "moved"
    return "netdev" if o.no_vfio or i % 2 == 0 else "vfio"


def make_proc(o, root, held, moved):
    """held: (group) per VFIO user; moved: PCI address per netns-moved VF."""
    p = mkhosts.Proc(os.path.join(root, "proc"), magic_ns=True)  # ns/net as procfs shows it
    host_ns = mkhosts.nl_link_dump([(1, "lo", None)])
    p.process(1, "systemd", fds=["/dev/null", "socket:[1]"], netns=host_ns)
    special = len(held) + len(moved)
    for pid in range(2, o.procs - special + 1):
        p.process(pid, "worker%d" % pid, fds=["/dev/null", "socket:[%d]" % pid, "pipe:[%d]" % pid,
                                               "anon_inode:[eventfd]"], same_ns_as=1)
    pid = max(o.procs - special + 1, 2)
    for g in held:
        p.process(pid, "testpmd", fds=["/dev/null", "/dev/vfio/vfio", "/dev/vfio/%d" % g], same_ns_as=1)
        pid += 1
    for k, addr in enumerate(moved):
        p.process(pid, "pause", fds=["/dev/null"],
                  netns=mkhosts.nl_link_dump([(1, "lo", None), (3, "net%d" % k, addr)]))
        pid += 1
    os.makedirs(os.path.join(root, "netns"), exist_ok=True)  # no ip netns names: pids name them


def main():
    o = args()
    os.makedirs(o.out, exist_ok=True)
    s = mkhosts.Sysfs(os.path.join(o.out, "sysfs"))
    s.dmi(mkhosts.fixed_uuid("bench"))
    s.loopback()
    spec, netdev_vfs, vfio_vfs, held, moved = [], [], [], [], []
    group = 100
    for p in range(o.pfs):
        bus = 0x10 + p * 0x08  # a PF and its 256 VFs (stride 1) span two buses
        kinds = [vf_kind(o, i, p) for i in range(o.vfs)]
        vf = dict(device="0x154c", offset=0x10, stride=1,
                  driver=lambda i: "vfio-pci" if kinds[i] in ("vfio", "held") else "iavf")
        pf, vfs = s.sriov_pf("pci0000:00/0000:00:%02x.0" % (p + 1), bus << 8, ("0x8086", "0x1572"),
                             "i40e", max(o.vfs, 8), o.vfs, vf)
        name = "ens%df0" % (p + 1)
        ifindex = 10 + p
        s.netdev(pf, name, ifindex, mkhosts.fake_mac("bench", name))
        spec.append("link %s ifindex=%d num_vf=%d" % (name, ifindex, o.vfs))
        if o.iommu:
            s.iommu_group(p + 1, [pf])
        for i, d in enumerate(vfs):
            if o.iommu:
                s.iommu_group(group, [d])
            if kinds[i] == "netdev":
                vname = "%sv%d" % (name, i)
                s.netdev(d, vname, 1000 + p * 1000 + i, mkhosts.fake_mac("bench", name, i), "down")
                netdev_vfs.append(vname)
            elif kinds[i] == "moved":
                s.file(d + "/net/.keep", "")
                moved.append(os.path.basename(d))
            elif kinds[i] == "held":
                s.file(d + "/enable", "1")
                held.append(group)
            else:
                vfio_vfs.append(os.path.basename(d))
            group += 1
    doms = []
    for k in range(o.domains):
        if k % 2 == 0 and vfio_vfs:
            dev = mkhosts.hostdev(vfio_vfs.pop(0))
        else:
            dev = mkhosts.iface_direct(mkhosts.fake_mac("bench-dom", k), netdev_vfs.pop(0))
        doms.append(mkhosts.domain("vm-%d" % k, [dev]))
    if o.procs:
        make_proc(o, o.out, held, moved)
    with open(os.path.join(o.out, "libvirt.xml"), "w") as f:
        f.write(mkhosts.node("bench", doms))
    with open(os.path.join(o.out, "netlink.spec"), "w") as f:
        f.write("\n".join(spec) + "\n")
    with open(os.path.join(o.out, "vfcap.conf"), "w") as f:
        f.write("[vfcap]\nhostname = bench\n")


if __name__ == "__main__":
    main()
