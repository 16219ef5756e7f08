#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vfcap-report serve, watching vs polling (make bench): how long a host change takes to reach
a client, what an idle host costs, and how many reads a burst of link events causes.

    bench_watch.py [--changes N] [--poll-changes N] [--idle SECONDS]

Needs root: it runs in a network namespace of its own (unshare -n) with ifb links standing in
for VF netdevs of a copy of intel64's sysfs (as tests/serve-watch.sh does); an address added
to or removed from one changes that VF's state, so every change changes the report.

- watching: serve as shipped (rtnetlink, uevents; intel64's test:/// libvirt is not watched);
  the client holds a long-poll (If-None-Match + Prefer: wait=60), as a filter would.
- polling: today's serve (serve_watch = no, serve_interval = 10, the former default); the
  client asks every 100 ms with If-None-Match, so the latency is serve's alone (a real filter
  adds its cache_max_age on top). Each change comes at a random moment of serve's cycle.
Latency: from just before `ip addr` runs to the answer carrying the new ETag (SOURCE_DATE_EPOCH
fixes the report time, so the ETag moves with the content only).
Idle: serve's CPU seconds (utime + stime, /proc) over the window with nothing changing, the
client asking as above (watching: one long-poll held; polling: every 5 s).
"""
import argparse
import http.client
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = os.path.join(TOP, "tests", "fixtures", "hosts", "intel64")
BIN = os.path.join(TOP, "build", "vfcap-report")
DEV = "ens1f0v10"
TICK = os.sysconf("SC_CLK_TCK")


def sh(*args):
    subprocess.run(list(args), check=True)


def setup(tmp):
    sh("ip", "link", "set", "lo", "up")
    sysfs = os.path.join(tmp, "sysfs")
    shutil.copytree(os.path.join(HOST, "sysfs"), sysfs, symlinks=True)
    for pf, idx in (("ens1f0", 99999), ("ens1f1", 99998)):
        set_ifindex(sysfs, pf, idx)
    sh("ip", "link", "add", DEV, "type", "ifb")
    sh("ip", "link", "add", "burst0", "type", "ifb")
    out = subprocess.run(["ip", "-o", "link", "show", DEV], capture_output=True, text=True, check=True).stdout
    set_ifindex(sysfs, DEV, int(out.split(":")[0]))
    return sysfs


def set_ifindex(sysfs, name, idx):
    for root, dirs, files in os.walk(os.path.join(sysfs, "devices")):
        if root.endswith("/net/" + name) and "ifindex" in files:
            open(os.path.join(root, "ifindex"), "w").write("%d\n" % idx)
            return
    sys.exit("bench: no %s in the sysfs copy" % name)


class Serve:
    """vfcap-report serve on intel64 (sysfs copy and test:/// libvirt, unless `source` says
    otherwise), watching or polling as `mode` says"""

    def __init__(self, tmp, sysfs, mode, source=None):
        conf = os.path.join(tmp, mode + ".conf")
        text = open(os.path.join(HOST, "vfcap.conf")).read()
        extra = "serve_watch = no\nserve_interval = 10\n" if mode == "polling" else ""
        open(conf, "w").write(text.replace("[vfcap]\n", "[vfcap]\n" + extra, 1))
        self.log = open(os.path.join(tmp, mode + ".log"), "w+")
        env = dict(os.environ, SOURCE_DATE_EPOCH="1795000000")
        source = source or ["--sysfs-root", sysfs, "--libvirt-uri", "test://" + os.path.join(HOST, "libvirt.xml")]
        self.p = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--config", conf] + source,
                                  stderr=self.log, env=env)
        self.port = None
        for _ in range(200):
            self.log.seek(0)
            for line in self.log:
                if "(port " in line:
                    self.port = int(line.split("(port ")[1].split(")")[0])
            if self.port:
                break
            time.sleep(0.05)
        if not self.port:
            sys.exit("bench: serve did not start")

    def get(self, path="/v1/report", headers=None, timeout=120):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        r.read()
        c.close()
        return r.status, r.getheader("etag")

    def metric(self, name):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        for line in text.splitlines():
            if line.split(" ")[0] == name:
                return float(line.split(" ")[1])
        return None

    def cpu(self):
        f = open("/proc/%d/stat" % self.p.pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / TICK

    def stop(self):
        self.p.terminate()
        self.p.wait()


def change(n):
    sh("ip", "addr", "add" if n % 2 == 0 else "del", "192.0.2.%d/24" % 10, "dev", DEV)


def latency_watching(srv, n):
    out = []
    for i in range(n):
        _, etag = srv.get()
        time.sleep(0.3)  # the long-poll is held by now (it is sent at once; the gap lets serve settle)
        got = []
        t = threading.Thread(target=lambda: got.append(srv.get(headers={"If-None-Match": etag, "Prefer": "wait=60"})))
        t.start()
        time.sleep(0.05)
        t0 = time.monotonic()
        change(i)
        t.join()
        if got[0][0] != 200 or got[0][1] == etag:
            sys.exit("bench: watching: change %d not seen (%r)" % (i, got))
        out.append(time.monotonic() - t0)
    return out


def latency_polling(srv, n, interval=10):
    out = []
    for i in range(n):
        _, etag = srv.get()
        time.sleep(random.uniform(0, interval))  # a change at any point of serve's cycle
        t0 = time.monotonic()
        change(i)
        while True:
            st, e = srv.get(headers={"If-None-Match": etag})
            if st == 200 and e != etag:
                break
            time.sleep(0.1)
        out.append(time.monotonic() - t0)
    return out


def idle(srv, seconds, mode):
    g0, c0 = srv.metric("vfcap_gathers_total"), srv.cpu()
    t_end = time.monotonic() + seconds
    if mode == "watching":
        _, etag = srv.get()
        done = []
        t = threading.Thread(target=lambda: done.append(
            srv.get(headers={"If-None-Match": etag, "Prefer": "wait=%d" % (seconds + 5)}, timeout=seconds + 30)))
        t.start()
        time.sleep(max(0, t_end - time.monotonic()))
    else:
        _, etag = srv.get()
        while time.monotonic() < t_end:
            srv.get(headers={"If-None-Match": etag})
            time.sleep(5)
    c1 = srv.cpu()
    g1 = srv.metric("vfcap_gathers_total")
    return c1 - c0, g1 - g0


def burst(srv, tmp):
    batch = os.path.join(tmp, "burst.batch")
    with open(batch, "w") as f:
        for i in range(1000):
            f.write("link set burst0 mtu %d\n" % (1000 + i % 500))
    time.sleep(1.5)
    g0, n0 = srv.metric("vfcap_gathers_total"), srv.metric('vfcap_serve_events_total{source="netlink"}')
    t0 = time.monotonic()
    sh("ip", "-batch", batch)
    took = time.monotonic() - t0
    time.sleep(2.5)
    g1, n1 = srv.metric("vfcap_gathers_total"), srv.metric('vfcap_serve_events_total{source="netlink"}')
    return int(n1 - n0), int(g1 - g0), took


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--poll-changes", type=int, default=12)
    ap.add_argument("--idle", type=int, default=60)
    ap.add_argument("--inside", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("bench_watch: skipped: needs root (a network namespace of its own)")
        return
    if not a.inside:
        os.execvp("unshare", ["unshare", "-n", sys.executable] + sys.argv + ["--inside"])
    random.seed(18)
    with tempfile.TemporaryDirectory(prefix="vfcap-bench-watch.") as tmp:
        sysfs = setup(tmp)
        res = {}
        for mode in ("watching", "polling"):
            srv = Serve(tmp, sysfs, mode)
            try:
                time.sleep(1)
                lat = latency_watching(srv, a.changes) if mode == "watching" else latency_polling(srv, a.poll_changes)
                if len(lat) % 2:  # leave the address as it was found
                    change(len(lat))
                time.sleep(1)
                cpu, gathers = idle(srv, a.idle, mode)
                b = burst(srv, tmp) if mode == "watching" else None
                res[mode] = (lat, cpu, gathers, b)
            finally:
                srv.stop()
    print("vfcap-report serve: change to client (an address on a VF netdev), idle cost, link burst\n")
    print("%-9s %7s %8s %8s %8s   %-24s %s" % ("mode", "changes", "p50 ms", "p99 ms", "max ms",
                                              "idle %d s: CPU s, gathers" % a.idle, "burst"))
    for mode, (lat, cpu, gathers, b) in res.items():
        ms = [x * 1000 for x in lat]
        bt = "%d events in %.2f s -> %d gather(s)" % (b[0], b[2], b[1]) if b else "-"
        print("%-9s %7d %8.0f %8.0f %8.0f   %-24s %s" % (mode, len(ms), statistics.median(ms), pct(ms, 99), max(ms),
                                                      "%.2f, %d" % (cpu, gathers), bt))


if __name__ == "__main__":
    main()
