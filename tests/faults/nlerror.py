#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""nlerror.py IN LINK OUT: copy the recorded netlink replies IN to OUT with the RTM_NEWLINK of LINK
replaced by the kernel's answer to a GETLINK for a device it does not have: an NLMSG_ERROR with
error -ENODEV echoing the request's header (what Linux sends with NETLINK_CAP_ACK; x86_64 layout)."""
import errno
import struct
import sys

NLMSG_ERROR, RTM_NEWLINK, RTM_GETLINK, IFLA_IFNAME = 2, 16, 18, 3


def ifname(msg):
    off = 16 + 16  # nlmsghdr, ifinfomsg
    while off + 4 <= len(msg):
        alen, atype = struct.unpack_from("=HH", msg, off)
        if alen < 4:
            break
        if atype & 0x3FFF == IFLA_IFNAME:
            return msg[off + 4:off + alen].split(b"\0")[0].decode()
        off += (alen + 3) & ~3
    return None


data = open(sys.argv[1], "rb").read()
out, off, done = b"", 0, False
while off + 16 <= len(data):
    mlen, mtype, flags, seq, pid = struct.unpack_from("=IHHII", data, off)
    msg = data[off:off + mlen]
    off += (mlen + 3) & ~3
    if mtype == RTM_NEWLINK and not done and ifname(msg) == sys.argv[2]:
        req = struct.pack("=IHHII", 52, RTM_GETLINK, 1, seq, pid)
        err = struct.pack("=i", -errno.ENODEV) + req
        out += struct.pack("=IHHII", 16 + len(err), NLMSG_ERROR, 0x100, seq, pid) + err
        done = True
    else:
        out += msg + b"\0" * (((len(msg) + 3) & ~3) - len(msg))
if not done:
    sys.exit(f"no RTM_NEWLINK for {sys.argv[2]} in {sys.argv[1]}")
open(sys.argv[3], "wb").write(out)
