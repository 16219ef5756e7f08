#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make bench: change-to-verdict latency, end to end, in one measurement (issue 18): a VM started
on a real libvirtd, taking a VF from its pool network (`virsh start`), and destroyed, giving it
back (`virsh destroy`), until a real vfcap-filter service's runFilters says so.

    bench_e2e.py [--changes N] [--poll-changes N]

Needs root: it re-runs itself in tests/sandbox.sh's namespaces (its own network, /run and
libvirt state), where it starts a libvirtd of its own with a passthrough pool of 4 veth links
named as intel64's VF netdevs and a small TCG domain with one vNIC on it. vfcap-report serve
reads intel64's sysfs and recorded netlink with that libvirtd; vfcap-filter serve fetches serve's report (--report-url, host id 127.0.0.1).

- watching: both as shipped: serve watching libvirt's events, the filter following it
  (follow_wait 50, one long-poll held).
- polling (today's pair): serve re-reading every 10 s (serve_watch = no) and the filter
  fetching per cache_max_age (30 s, follow_wait 0); each change at a random moment.
A loop calls runFilters every ~50 ms with vf_demand = the host's free VFs, so a VF taken makes
the host fail and a VF given back makes it pass. Latency: from just before virsh runs to the
first runFilters answer that reflects the change; virsh's own time (QEMU starting or stopping)
is part of it, so the latency after virsh returned is given too.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import xmlrpc.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_follow import start_filter  # noqa: E402
from bench_watch import HOST, Serve, pct  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
URI = "qemu:///system"
LINKS = ["ens1f0v10", "ens1f0v11", "ens1f0v12", "ens1f0v13"]
# a VM with one vNIC on the pool and nothing else: TCG (the sandbox may not open /dev/kvm), no disk
DOMAIN = ("<domain type='qemu'><name>vm</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>"
          "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
          "<interface type='network'><source network='direct-pool'/><model type='virtio'/></interface>"
          "</devices></domain>")


def virsh(*args):
    r = subprocess.run(["virsh", "-q", "-c", URI] + list(args), capture_output=True, text=True)
    if r.returncode:
        sys.exit("bench_e2e: virsh %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


def libvirtd_up(tmp):
    """virtlogd (a starting domain's log) and libvirtd of the sandbox's own, the pool network on
    veth links named as intel64's VF netdevs (ifb links refuse the MAC passthrough sets), and a
    domain using it, defined, not started"""
    os.makedirs("/var/log/libvirt/qemu", exist_ok=True)
    subprocess.run(["virtlogd", "-d"], check=True)
    p = subprocess.Popen(["libvirtd", "--pid-file", os.path.join(tmp, "libvirtd.pid")],
                         stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "libvirtd.log"), "w"))
    for _ in range(100):
        if subprocess.run(["virsh", "-r", "-q", "-c", URI, "net-list"], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    else:
        sys.exit("bench_e2e: libvirtd did not come up (%s/libvirtd.log)" % tmp)
    for i, link in enumerate(LINKS):
        subprocess.run(["ip", "link", "add", link, "type", "veth", "peer", "name", "peer%d" % i], check=True)
    for name, text in (("pool", "<network><name>direct-pool</name><forward mode='passthrough'>%s</forward></network>" %
                        "".join("<interface dev='%s'/>" % d for d in LINKS)), ("vm", DOMAIN)):
        with open(os.path.join(tmp, name + ".xml"), "w") as f:
            f.write(text + "\n")
    virsh("net-define", os.path.join(tmp, "pool.xml"))
    virsh("net-start", "direct-pool")
    virsh("define", os.path.join(tmp, "vm.xml"))
    return p


def report_free(srv):
    with urllib.request.urlopen("http://127.0.0.1:%d/v1/report" % srv.port, timeout=30) as r:
        return json.load(r)["totals"]["free"]


def run(tmp, mode, n):
    """n changes (take, give back, ...) with serve and the filter both `mode`; latencies, virsh times"""
    source = ["--sysfs-root", os.path.join(HOST, "sysfs"), "--netlink-file", os.path.join(HOST, "netlink.bin"),
              "--libvirt-uri", URI]
    srv = Serve(tmp, None, mode, source)
    flt = None
    try:
        if mode == "watching":
            t0 = time.monotonic()
            while srv.metric('vfcap_serve_watching{source="libvirt"}') != 1:
                if time.monotonic() - t0 > 30:
                    sys.exit("bench_e2e: serve is not watching libvirt (%s)" % srv.log.name)
                time.sleep(0.1)
        flt, url = start_filter(tmp, "filter-" + mode, srv.port, 50 if mode == "watching" else 0)
        rpc = xmlrpc.client.ServerProxy(url)
        props = {"vf_demand": str(report_free(srv)), "max_report_age": "0"}

        def passes():
            return rpc.runFilters(["vfcap_vf_capacity"], ["127.0.0.1"], "vm", props)["result"] == ["127.0.0.1"]

        if not passes():
            sys.exit("bench_e2e: %s: the host fails with its own free count asked (%s)" % (mode, props))
        time.sleep(1)  # the filter's long-poll is held by now
        lat, vt = [], []
        for i in range(n):
            if mode == "polling":
                time.sleep(random.uniform(0, 10))  # any moment of serve's cycle
            t0 = time.monotonic()
            virsh("start" if i % 2 == 0 else "destroy", "vm")
            vt.append(time.monotonic() - t0)
            while passes() != (i % 2 == 1):
                if time.monotonic() - t0 > 120:
                    sys.exit("bench_e2e: %s: change %d not seen after 120 s" % (mode, i))
                time.sleep(0.05)
            lat.append(time.monotonic() - t0)
            time.sleep(0.3)
        if n % 2:
            virsh("destroy", "vm")
        return lat, vt
    finally:
        if flt:
            flt.terminate()
            flt.wait()
        srv.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--poll-changes", type=int, default=10)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("bench_e2e: skipped: needs root (tests/sandbox.sh's namespaces, a libvirtd of its own)")
        return
    if not os.environ.get("VFCAP_SANDBOX"):
        os.execv(os.path.join(TOP, "tests", "sandbox.sh"), ["sandbox.sh", sys.executable] + sys.argv)
    random.seed(18)
    with tempfile.TemporaryDirectory(prefix="vfcap-bench-e2e.") as tmp:
        lv = libvirtd_up(tmp)
        try:
            res = {mode: run(tmp, mode, a.changes if mode == "watching" else a.poll_changes)
                   for mode in ("watching", "polling")}
        finally:
            lv.terminate()
            lv.wait()
    print("change to verdict: a VM taking a VF from a real libvirtd's pool network and giving it back (virsh "
          "start/destroy) until vfcap-filter's runFilters (every ~50 ms) reflects it\n")
    print("%-9s %7s %8s %8s %8s %12s %20s   %s" % ("mode", "changes", "p50 ms", "p99 ms", "max ms", "virsh p50 ms",
                                                 "after virsh p50/p99", "serve / filter"))
    for mode, (lat, vt) in res.items():
        ms = [x * 1000 for x in lat]
        after = [(x - v) * 1000 for x, v in zip(lat, vt)]
        print("%-9s %7d %8.0f %8.0f %8.0f %12.0f %14.0f/%5.0f   %s" % (
            mode, len(ms), statistics.median(ms), pct(ms, 99), max(ms), statistics.median(vt) * 1000,
            statistics.median(after), pct(after, 99),
            "watching libvirt / follow_wait 50" if mode == "watching" else
            "serve_interval 10 / follow_wait 0, cache_max_age 30 (today)"))


if __name__ == "__main__":
    main()
