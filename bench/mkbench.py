#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate a synthetic host for the benchmark: PFS x VFS VFs, DOMAINS running domains.

bench/mkbench.py OUTDIR PFS VFS DOMAINS writes OUTDIR/{sysfs, netlink.spec, libvirt.xml,
vfcap.conf} with the same builders as the test fixtures (tests/fixtures/mkhosts.py). Half of
each PF's VFs are bound to iavf with a netdev, half to vfio-pci; domains take one VF each,
alternately through <hostdev> (a vfio-pci VF) and <interface type='direct'> (a netdev VF).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
import mkhosts  # noqa: E402


def main():
    out, n_pf, n_vf, n_dom = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    os.makedirs(out, exist_ok=True)
    s = mkhosts.Sysfs(os.path.join(out, "sysfs"))
    s.dmi(mkhosts.fixed_uuid("bench"))
    s.loopback()
    spec, netdev_vfs, vfio_vfs = [], [], []
    for p in range(n_pf):
        bus = 0x10 + p * 0x08  # a PF and its 256 VFs (stride 1) span two buses
        vf = dict(device="0x154c", offset=0x10, stride=1,
                  driver=lambda i: "iavf" if i % 2 == 0 else "vfio-pci")
        pf, vfs = s.sriov_pf("pci0000:00/0000:00:%02x.0" % (p + 1), bus << 8, ("0x8086", "0x1572"),
                             "i40e", max(n_vf, 8), n_vf, vf)
        name = "ens%df0" % (p + 1)
        ifindex = 10 + p
        s.netdev(pf, name, ifindex, mkhosts.fake_mac("bench", name))
        spec.append("link %s ifindex=%d num_vf=%d" % (name, ifindex, n_vf))
        for i, d in enumerate(vfs):
            if i % 2 == 0:
                vname = "%sv%d" % (name, i)
                s.netdev(d, vname, 1000 + p * 1000 + i, mkhosts.fake_mac("bench", name, i), "down")
                netdev_vfs.append(vname)
            else:
                vfio_vfs.append(os.path.basename(d))
    doms = []
    for k in range(n_dom):
        if k % 2 == 0 and vfio_vfs:
            dev = mkhosts.hostdev(vfio_vfs.pop(0))
        else:
            dev = mkhosts.iface_direct(mkhosts.fake_mac("bench-dom", k), netdev_vfs.pop(0))
        doms.append(mkhosts.domain("vm-%d" % k, [dev]))
    with open(os.path.join(out, "libvirt.xml"), "w") as f:
        f.write(mkhosts.node("bench", doms))
    with open(os.path.join(out, "netlink.spec"), "w") as f:
        f.write("\n".join(spec) + "\n")
    with open(os.path.join(out, "vfcap.conf"), "w") as f:
        f.write("[vfcap]\nhostname = bench\n")


if __name__ == "__main__":
    main()
