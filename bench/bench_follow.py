#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench: the filter following its hosts' reports (long-poll) against today's polling
(cache_max_age), in the same run, over tests/filter/follow-reporters.py (cheap stand-ins for
vfcap-report serve, each on its own loopback address).

1. Change-to-verdict latency: LAT_HOSTS reporters, two vfcap-filter services on them (one with
   follow_wait 50, one with follow_wait 0: fetched per cache_max_age, 30 s, the default). Each
   reporter changes once per round at a random moment (free 1 -> 3, then back), and a loop calls
   runFilters on both every ~50 ms: a change's latency is from the reporter's change to the
   first answer that reflects it. p50 and p99 of each.
2. Idle cost with SIZES hosts followed: the filter's RSS per followed host, and over IDLE_S
   seconds its CPU seconds, context switches (its wake-ups) and long-poll answers per second.
   The filter holds a connection per host, and so does the farm with a listener per host besides:
   the farm shards itself into processes by the file descriptor limit (follow-reporters.py), so
   that a size is bounded by the filter's own limit only, half the descriptors.
"""
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import xmlrpc.client

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILTER = os.path.join(TOP, "build", "vfcap-filter")
FARM = os.path.join(TOP, "tests", "filter", "follow-reporters.py")
LAT_HOSTS = int(os.environ.get("BENCH_FOLLOW_HOSTS", "100"))
ROUND_S = float(os.environ.get("BENCH_FOLLOW_ROUND_S", "40"))
SIZES = [int(x) for x in os.environ.get("BENCH_FOLLOW_SIZES", "1000,5000,10000").split(",")]
IDLE_S = float(os.environ.get("BENCH_FOLLOW_IDLE_S", "60"))


def address(i):
    return "127.1.%d.%d" % (i // 250, i % 250 + 1)


def start_farm(n):
    p = subprocess.Popen([sys.executable, FARM, str(n)], stdout=subprocess.PIPE, text=True)
    return p, int(p.stdout.readline())


def start_filter(tmp, name, port, follow_wait, extra=""):
    conf = os.path.join(tmp, name + ".conf")
    with open(conf, "w") as f:
        f.write("[filter]\nlisten = 127.0.0.1:0\nfollow_wait = %d\n%s" % (follow_wait, extra))
    log = open(os.path.join(tmp, name + ".log"), "w+")
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)
    p = subprocess.Popen([FILTER, "serve", "--quiet", "--config", conf, "--report-url",
                          "http://{host_id}:%d/v1/report" % port], stderr=log, env=env)
    for _ in range(200):
        log.seek(0)
        for line in log:
            if "(port " in line:
                return p, "http://127.0.0.1:%s/" % line.split("(port ")[1].split(")")[0]
        time.sleep(0.05)
    raise SystemExit("vfcap-filter did not start: see " + log.name)


def passed(url, hosts):
    r = xmlrpc.client.ServerProxy(url).runFilters(["vfcap_vf_capacity"], hosts, "vm",
                                                    {"vf_demand": "2", "max_report_age": "0"})
    return set(r["result"])


def metric(url, name):
    for line in urllib.request.urlopen(url + "metrics", timeout=60).read().decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split(" ")[1])
    return 0.0


def control(port, what, host, **q):
    qs = "&".join(["host=" + host] + ["%s=%s" % kv for kv in q.items()])
    urllib.request.urlopen("http://127.0.0.1:%d/%s?%s" % (port, what, qs), timeout=60).read()


def latency_round(port, hosts, filters, free, lat):
    """Each host changes to `free` once, at a random moment of ROUND_S; both filters watched."""
    when = sorted((random.uniform(0, ROUND_S), h) for h in hosts)
    changed, pending = {}, {name: set(hosts) for name in filters}
    t0 = time.monotonic()
    want_pass = free >= 2
    while any(pending.values()):
        now = time.monotonic() - t0
        while when and when[0][0] <= now:
            _, h = when.pop(0)
            control(port, "set", h, free=free)
            changed[h] = time.monotonic()
        for name, url in filters.items():
            got = passed(url, hosts)
            t = time.monotonic()
            for h in list(pending[name]):
                if h in changed and (h in got) == want_pass:
                    lat[name].append(t - changed[h])
                    pending[name].discard(h)
        if now > ROUND_S + 120:
            raise SystemExit("changes not seen after %g s: %r" % (now, {k: len(v) for k, v in pending.items()}))
        time.sleep(0.05)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def latency(tmp):
    farm, port = start_farm(LAT_HOSTS)
    hosts = [address(i) for i in range(LAT_HOSTS)]
    procs, filters = [], {}
    try:
        for name, fw in (("following", 50), ("polling", 0)):
            p, url = start_filter(tmp, name, port, fw)
            procs.append(p)
            filters[name] = url
            passed(url, hosts)  # the first call: every host fetched (and followed)
        time.sleep(2)
        lat = {name: [] for name in filters}
        latency_round(port, hosts, filters, 3, lat)
        latency_round(port, hosts, filters, 1, lat)
        print("change-to-verdict latency, %d reporters, %d changes each way (round of %g s), runFilters every ~50 ms:"
              % (LAT_HOSTS, LAT_HOSTS, ROUND_S))
        for name, v in lat.items():
            print("  %-10s p50 %7.3f s  p99 %7.3f s  max %7.3f s  (n=%d)%s" % (
                name, pct(v, 50), pct(v, 99), max(v), len(v),
                "  follow_wait 50" if name == "following" else "  follow_wait 0, cache_max_age 30 (today)"))
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        farm.terminate()
        farm.wait()


def proc_cost(pid):
    """CPU seconds and context switches (every thread's) of pid so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    switches = 0
    for t in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, t)) as f:
            for line in f:
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    switches += int(line.split()[1])
    return cpu, switches


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def idle_cost(tmp, n):
    farm, port = start_farm(n)
    hosts = [address(i) for i in range(n)]
    p = None
    try:
        p, url = start_filter(tmp, "idle%d" % n, port, 50, "fetch_parallel = 256\ncall_deadline = 60\n")
        passed(url, hosts[:1])
        time.sleep(0.5)
        before = rss_kb(p.pid)
        passed(url, hosts)
        t0 = time.monotonic()
        while metric(url, "vfcap_filter_hosts_following") < n:
            if time.monotonic() - t0 > 600:
                raise SystemExit("%d hosts not followed after 600 s" % n)
            time.sleep(0.5)
        after = rss_kb(p.pid)
        c0, s0 = proc_cost(p.pid)
        a0 = sum(metric(url, 'vfcap_filter_report_polls_total{outcome="%s"}' % o) for o in ("changed", "unchanged"))
        time.sleep(IDLE_S)
        c1, s1 = proc_cost(p.pid)
        a1 = sum(metric(url, 'vfcap_filter_report_polls_total{outcome="%s"}' % o) for o in ("changed", "unchanged"))
        print("  %6d hosts followed: RSS %d -> %d KiB (%.1f KiB per host); idle %g s: %.2f CPU s, "
              "%.1f wake-ups/s (context switches), %.1f long-poll answers/s" % (
                  n, before, after, (after - before) / n, IDLE_S, c1 - c0, (s1 - s0) / IDLE_S, (a1 - a0) / IDLE_S))
    finally:
        if p:
            p.terminate()
            p.wait()
        farm.terminate()
        farm.wait()


def raise_fd_limit():
    """The soft file descriptor limit, raised to the hard one (the filter and the farm inherit it;
    the filter raises its own too, and follows at most half of it: source-http-follow.c)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def main():
    lim = raise_fd_limit()
    with tempfile.TemporaryDirectory(prefix="vfcap-bench-follow.") as tmp:
        if LAT_HOSTS:
            latency(tmp)
        print("idle cost of following (follow_wait 50):")
        for n in SIZES:
            if lim != resource.RLIM_INFINITY and n > lim // 2:
                print("  %6d hosts: skipped, the filter follows at most %d (half the file descriptor limit %d)"
                      % (n, lim // 2, lim))
                continue
            idle_cost(tmp, n)


if __name__ == "__main__":
    main()
