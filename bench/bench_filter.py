#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vfcap-filter benchmark (make bench): runFilters latency and throughput of `vfcap-filter serve`
next to floors measured in the same run against the same service.

Reports for N hosts are made by tests/filter/mkreports.py; requests are sent by build/bench/rpcload
(C, keep-alive, one connection per client). For each N in SIZES:
  runFilters   the engine's call with vfcap_vf_capacity, demand 2, over all N hosts
  floor        the same call with no filter named: HTTP, XML-RPC parse and the reply of N ids,
               no capacity work (the service answering without any work of its own)
  healthz      GET /healthz: the HTTP round trip alone
Then requests/s with 8 concurrent clients at 100 hosts. Goals (issue 5): 1,000 hosts median
<= 0.5 ms; >= 2,000 req/s at 100 hosts on 2 cores; no cliff at 100,000 hosts (cost per host
flat). BENCH_MAX_HOSTS caps N (default 100000).

NUMA (issue 19): a second service with the engine API (tests/filter/engine-server.py over
tests/fixtures/engine/api) and 1,000 `mkreports.py --numa` hosts; runFilters for a VM pinned to
NUMA node 0 (demand 3 from the engine, placement cached) with numa=ignore, preferred and
required, each against the same floor, in the same run.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILTER = os.path.join(TOP, "build", "vfcap-filter")
LOAD = os.path.join(TOP, "build", "bench", "rpcload")
sys.path.insert(0, os.path.join(TOP, "tests", "filter"))
from mkreports import host_id  # noqa: E402

MAX = int(os.environ.get("BENCH_MAX_HOSTS", "100000"))
SIZES = [n for n in (10, 100, 1000, 10000, 100000) if n <= MAX]
VM = "11111111-2222-4333-8444-555555555555"


def body(path, n, filters, vm=VM, props=(("vf_demand", "2"),)):
    names = "".join("<value>%s</value>" % f for f in filters)
    hosts = "".join("<value>%s</value>" % host_id(i) for i in range(n))
    members = "".join("<member><name>%s</name><value>%s</value></member>" % kv for kv in props)
    with open(path, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?><methodCall xmlns:ex="http://ws.apache.org/xmlrpc/'
                'namespaces/extensions"><methodName>runFilters</methodName><params><param><value><array><data>'
                '%s</data></array></value></param><param><value><array><data>%s</data></array></value></param>'
                '<param><value>%s</value></param><param><value><struct>%s</struct></value></param></params>'
                '</methodCall>' % (names, hosts, vm, members))


def load(port, body_file, clients, requests, path="/"):
    out = subprocess.run([LOAD, "127.0.0.1", str(port), body_file, str(clients), str(requests), path],
                         capture_output=True, text=True)
    m = dict(re.findall(r"(\w+)=(\d+)", out.stdout))
    if out.returncode != 0 or not m:
        sys.exit("bench: rpcload failed: %s %s" % (out.stdout, out.stderr))
    return {k: int(v) for k, v in m.items()}


def start(reports, log, config="/dev/null"):
    p = subprocess.Popen([FILTER, "serve", "--listen", "127.0.0.1:0", "--reports", reports, "--quiet",
                          "--config", config], stderr=open(log, "w"))
    for _ in range(600):
        m = re.search(r"\(port (\d+)\)", open(log).read())
        if m:
            return p, int(m.group(1))
        if p.poll() is not None:
            break
        time.sleep(0.05)
    sys.exit("bench: vfcap-filter did not start: " + open(log).read())


def main():
    for tool in (FILTER, LOAD):
        if not os.access(tool, os.X_OK):
            sys.exit("bench: %s missing (make all bench)" % tool)
    with tempfile.TemporaryDirectory(prefix="vfcap-bench-filter.") as tmp:
        reports = os.path.join(tmp, "reports")
        t = time.time()
        subprocess.run([sys.executable, os.path.join(TOP, "tests", "filter", "mkreports.py"), reports,
                        str(max(SIZES))], check=True)
        made = time.time() - t
        t = time.time()
        proc, port = start(reports, os.path.join(tmp, "serve.log"))
        print("vfcap-filter benchmark: %d reports written in %.1f s, loaded by serve in %.1f s\n" %
              (max(SIZES), made, time.time() - t))
        print("%8s %22s %22s %16s %8s %12s" % ("hosts", "runFilters med (p99)", "floor med (p99)",
                                               "healthz med", "ratio", "us/host"))
        for n in SIZES:
            work, floor = os.path.join(tmp, "work.xml"), os.path.join(tmp, "floor.xml")
            body(work, n, ["vfcap_vf_capacity"])
            body(floor, n, [])
            reqs = max(20, min(2000, 200000 // n))
            w = load(port, work, 1, reqs)
            f = load(port, floor, 1, reqs)
            h = load(port, "-", 1, 2000, "/healthz")
            print("%8d %13.3f (%6.3f) %13.3f (%6.3f) %12.3f ms %8.2f %12.3f" % (
                n, w["median_us"] / 1e3, w["p99_us"] / 1e3, f["median_us"] / 1e3, f["p99_us"] / 1e3,
                h["median_us"] / 1e3, w["median_us"] / max(f["median_us"], 1), w["median_us"] / n))
        body(os.path.join(tmp, "w100.xml"), 100, ["vfcap_vf_capacity"])
        body(os.path.join(tmp, "f100.xml"), 100, [])
        w = load(port, os.path.join(tmp, "w100.xml"), 8, 2500)
        f = load(port, os.path.join(tmp, "f100.xml"), 8, 2500)
        h = load(port, "-", 8, 2500, "/healthz")
        print("\n8 clients, 100 hosts: runFilters %d req/s, floor %d req/s (ratio %.2f), healthz %d req/s" %
              (w["rps"], f["rps"], w["rps"] / max(f["rps"], 1), h["rps"]))
        proc.terminate()
        proc.wait()
        numa(tmp)
    print("\nratio = runFilters / floor (same request with no filter named: HTTP + XML-RPC + reply only).")
    print("Goals: 1,000 hosts median <= 0.5 ms; >= 2,000 req/s at 100 hosts; us/host flat up to 100,000.")


NUMA_VM = "d0000000-0000-4000-8000-000000000000"  # vNUMA pinned to host node 0, demand 3
NUMA_HOSTS = 1000


def engine_start(tmp):
    """engine-server.py over the test fixtures; returns (process, API root URL)."""
    port_file = os.path.join(tmp, "engine.port")
    p = subprocess.Popen([sys.executable, os.path.join(TOP, "tests", "filter", "engine-server.py"), "--root",
                          os.path.join(TOP, "tests", "fixtures", "engine", "api"), "--user", "bench@internal",
                          "--password", "bench", "--log", os.path.join(tmp, "engine.req")],
                         stdout=open(port_file, "w"), stderr=subprocess.DEVNULL)
    for _ in range(200):
        port = open(port_file).read().split("\n")[0]
        if port:
            return p, "http://127.0.0.1:%s/ovirt-engine/api" % port
        time.sleep(0.05)
    sys.exit("bench: engine-server.py did not start")


def numa(tmp):
    reports = os.path.join(tmp, "numa-reports")
    subprocess.run([sys.executable, os.path.join(TOP, "tests", "filter", "mkreports.py"), reports,
                    str(NUMA_HOSTS), "--numa"], check=True)
    eng, url = engine_start(tmp)
    pw, conf = os.path.join(tmp, "engine.pw"), os.path.join(tmp, "numa.conf")
    with open(pw, "w") as f:
        f.write("bench\n")
    os.chmod(pw, 0o600)
    with open(conf, "w") as f:
        f.write("[engine]\nurl = %s\nuser = bench@internal\npassword_file = %s\n" % (url, pw))
    proc, port = start(reports, os.path.join(tmp, "numa.log"), conf)
    floor = os.path.join(tmp, "numa-floor.xml")
    body(floor, NUMA_HOSTS, [], NUMA_VM, ())
    print("\nNUMA, %d hosts, a VM pinned to node 0 (demand 3 and placement from the engine, cached):" % NUMA_HOSTS)
    print("%12s %22s %22s %12s %8s" % ("numa", "runFilters med (p99)", "floor med (p99)", "over floor", "passed"))
    for policy in ("ignore", "preferred", "required"):
        work = os.path.join(tmp, "numa-%s.xml" % policy)
        body(work, NUMA_HOSTS, ["vfcap_vf_capacity"], NUMA_VM, (("numa", policy),))
        load(port, work, 1, 5)  # the engine's answers into the cache
        w = load(port, work, 1, 2000)
        f = load(port, floor, 1, 2000)
        print("%12s %13.3f (%6.3f) %13.3f (%6.3f) %9.3f ms %8d" % (
            policy, w["median_us"] / 1e3, w["p99_us"] / 1e3, f["median_us"] / 1e3, f["p99_us"] / 1e3,
            (w["median_us"] - f["median_us"]) / 1e3, passed(port, work)))
    proc.terminate()
    proc.wait()
    eng.terminate()
    eng.wait()


def passed(port, body_file):
    """How many hosts one call passes (the answer's <value>s, the 10 before the list aside)."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/", open(body_file, "rb").read(), {"Content-Type": "text/xml"})
    data = c.getresponse().read().decode()
    c.close()
    return data.count("-4000-8000-")


if __name__ == "__main__":
    main()
