# SPDX-License-Identifier: MIT
"""Kernel rig: judge `vfcap-report serve` watching the guest's kernel (tests/kernel/guest-watch.sh).

Each snapshot N is watch/reportN.{hdr,body} (wget -S headers, the JSON) and watch/metricsN.body.
Checks compare counters and ETags between snapshots; none times anything.
"""
import json
import os
import re


def read(path, default=None):
    """the file's text, or default (check.py and check-igb.py read through this one too)"""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return default


class Snap:
    def __init__(self, d, n):
        hdr = read(os.path.join(d, "report%d.hdr" % n), "")
        m = re.search(r"^\s*ETag:\s*(\S+)", hdr, re.M | re.I)
        self.etag = m.group(1) if m else None
        body = read(os.path.join(d, "report%d.body" % n), "")
        self.report = json.loads(body) if body else None
        self.metrics = {}
        for line in read(os.path.join(d, "metrics%d.body" % n), "").splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                self.metrics[name] = float(value)
        if self.etag is None or self.report is None or not self.metrics:
            raise AssertionError("snapshot %d missing (ETag %s)" % (n, self.etag))

    def m(self, name):
        return self.metrics.get(name, -1)

    def events(self, src):
        return self.m('vfcap_serve_events_total{source="%s"}' % src)

    def gathers(self, reason=None):
        return self.m("vfcap_gathers_total" if reason is None else 'vfcap_serve_gathers_total{reason="%s"}' % reason)

    def pf(self, name):
        pfs = [p for p in self.report["pfs"] if p["name"] == name]
        if len(pfs) != 1:
            raise AssertionError("report has %d PFs named %s" % (len(pfs), name))
        return pfs[0]


def expect(cond, why):
    if not cond:
        raise AssertionError(why)


def counts(a, b):
    return "netlink %g->%g, uevent %g->%g, gathers %g->%g (event %g->%g), publishes %g->%g, ETag %s->%s" % (
        a.events("netlink"), b.events("netlink"), a.events("uevent"), b.events("uevent"), a.gathers(), b.gathers(),
        a.gathers("event"), b.gathers("event"), a.m("vfcap_serve_publishes_total"),
        b.m("vfcap_serve_publishes_total"), a.etag, b.etag)


def changed_by(a, b, src):
    """b follows a because the kernel said so on src: events, a gather for them, a new ETag"""
    expect(b.events(src) > a.events(src) and b.gathers("event") > a.gathers("event") and b.etag != a.etag and
           b.m("vfcap_serve_publishes_total") > a.m("vfcap_serve_publishes_total"), counts(a, b))


def check_serving(d, s0):
    """serve runs with no libvirt daemon: kernel watched, libvirt not (and said so), SIGTERM -> 0"""
    log = read(os.path.join(d, "serve.log"), "")
    expect("host read on change (netlink, uevent, libvirt)" in log, "no 'host read on change' line: %s" % log[:300])
    expect(re.search(r"watch: libvirt \S+: .*; trying again", log), "no line saying libvirt is not watched")
    w = {k: s0.m('vfcap_serve_watching{source="%s"}' % k) for k in ("netlink", "uevent", "libvirt")}
    expect(w == {"netlink": 1, "uevent": 1, "libvirt": 0}, "vfcap_serve_watching %s" % w)
    expect(read(os.path.join(d, "serve.rc"), "").strip() == "0", "serve exited %s after SIGTERM" % read(os.path.join(d, "serve.rc"), "").strip())


def vf0_vlan(s, pfname):
    return s.pf(pfname)["vfs"][0]["vlan"]


def netdevsim_checks(d, pfname):
    s = [Snap(d, n) for n in range(5)]

    def vlan():
        changed_by(s[0], s[1], "netlink")
        expect(vf0_vlan(s[0], pfname) != 5 and vf0_vlan(s[1], pfname) == 5,
               "VF 0 vlan %s -> %s, set 5" % (vf0_vlan(s[0], pfname), vf0_vlan(s[1], pfname)))

    def numvfs():
        # netdevsim's legacy mode changes num_vfs and tells no one (nsim_drv_configure_vfs):
        # the report stays until something reads the host, here SIGHUP
        a, b, c = s[1], s[2], s[3]
        expect(b.events("netlink") == a.events("netlink") and b.events("uevent") == a.events("uevent") and
               b.gathers() == a.gathers() and b.etag == a.etag and b.pf(pfname)["numvfs"] == 4,
               "after the write: %s, numvfs %s" % (counts(a, b), b.pf(pfname)["numvfs"]))
        expect(c.gathers("sighup") == b.gathers("sighup") + 1 and c.etag != b.etag and c.pf(pfname)["numvfs"] == 2,
               "after SIGHUP: %s, numvfs %s" % (counts(b, c), c.pf(pfname)["numvfs"]))

    def idle():
        a, b = s[3], s[4]
        expect(b.gathers() == a.gathers() and b.events("netlink") == a.events("netlink") and
               b.events("uevent") == a.events("uevent") and b.etag == a.etag, counts(a, b))

    return [("serve without libvirt: kernel watched, libvirt not", lambda: check_serving(d, s[0])),
            ("ip link set vf 0 vlan 5: RTM_NEWLINK, a gather, a new ETag with vlan 5", vlan),
            ("netdevsim sriov_numvfs 4 -> 0 -> 2: no notification, same ETag; SIGHUP reads 2", numvfs),
            ("idle 5 s: no gather, same ETag", idle)]


def igb_checks(d, pfname):
    s = [Snap(d, n) for n in range(3)]

    def to(a, b, n):
        changed_by(a, b, "uevent")
        pf = b.pf(pfname)
        expect(pf["numvfs"] == n and len(pf["vfs"]) == n, "numvfs %s with %d VFs, expected %d" %
               (pf["numvfs"], len(pf["vfs"]), n))

    return [("serve without libvirt: kernel watched, libvirt not", lambda: check_serving(d, s[0])),
            ("sriov_numvfs 7 -> 0: uevents, a gather, a new ETag with no VF", lambda: to(s[0], s[1], 0)),
            ("sriov_numvfs 0 -> 3: uevents, a gather, a new ETag with 3 VFs", lambda: to(s[1], s[2], 3))]


def check_watch(out, kind, pfname):
    """print 'ok kernel watch: ...' lines; kind is netdevsim or igb"""
    d = os.path.join(out, "watch")
    prefix = "kernel watch" if kind == "netdevsim" else "kernel watch (igb)"
    try:
        err = read(os.path.join(d, "setup.err"), "").strip()
        expect(err == "", "setup: %s" % err[:200])
        checks = (netdevsim_checks if kind == "netdevsim" else igb_checks)(d, pfname)
    except (AssertionError, ValueError) as e:
        print("not ok %s: %s" % (prefix, " ".join(str(e).split())))
        return
    for name, fn in checks:
        try:
            fn()
            print("ok %s: %s" % (prefix, name))
        except (AssertionError, KeyError, IndexError, TypeError) as e:
            print("not ok %s: %s: %s" % (prefix, name, " ".join(str(e).split())))
