#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Long-poll on a watching `vfcap-report serve` (run in its network namespace by
tests/serve-watch.sh, with serve_max_conns_per_ip = 8): GET /v1/report with If-None-Match and
Prefer: wait=N. Prints PASS/FAIL lines. A change is an address added to the VF netdev DEV.

usage: check_longpoll.py URL PID DEV"""
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

HANG_S = 60


def check(name, ok, why=""):
    print(("PASS " if ok else "FAIL ") + "long-poll: " + name + ("" if ok or not why else " (%s)" % why), flush=True)


class Server:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port

    def get(self, path="/v1/report", headers=None, timeout=HANG_S):
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            c.request("GET", path, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def metric(self, name):
        for line in self.get("/metrics")[2].decode().splitlines():
            if line.split(" ")[0] == name:
                return int(float(line.split(" ")[1]))
        return None

    def held(self):
        return self.metric("vfcap_serve_long_polls_held")

    def wait_held(self, n):
        deadline = time.monotonic() + HANG_S
        while time.monotonic() < deadline:
            if self.held() == n:
                return True
            time.sleep(0.05)
        return False


def ip(*args):
    subprocess.run(["ip"] + list(args), check=True)


def hold_in_thread(srv, etag, wait, out):
    def run():
        try:
            out.append(srv.get(headers={"If-None-Match": etag, "Prefer": "wait=%d" % wait}))
        except OSError as e:
            out.append((repr(e), {}, b""))
    t = threading.Thread(target=run)
    t.start()
    return t


def threads(pid):
    return len(os.listdir("/proc/%s/task" % pid))


def main():
    url, pid, dev = sys.argv[1:4]
    srv = Server(url)
    st, h, _ = srv.get()
    e0 = h.get("etag")
    check("a plain GET: 200, no Preference-Applied", st == 200 and e0 and "preference-applied" not in h, repr(h))

    t = time.monotonic()
    st, h, body = srv.get(headers={"If-None-Match": e0, "Prefer": "wait=2"})
    took = time.monotonic() - t
    check("nothing changes within wait=2: 304, same ETag, Preference-Applied: wait=2, after >= 2 s (%.2f s)" % took,
          st == 304 and h.get("etag") == e0 and h.get("preference-applied") == "wait=2" and took >= 1.9 and not body,
          "%s %r" % (st, h))

    before = srv.metric('vfcap_serve_long_polls_total{outcome="unchanged"}')
    st, h, _ = srv.get(headers={"If-None-Match": '"not-it"', "Prefer": "wait=30"})
    st2, h2, _ = srv.get(headers={"Prefer": "wait=30"})
    check("an ETag that is not the served one, or none: answered at once (200), never held",
          st == 200 and st2 == 200 and srv.metric('vfcap_serve_long_polls_total{outcome="unchanged"}') == before,
          "%s %s" % (st, st2))

    # a change while held: every held request gets the new report; no thread per request
    t0 = threads(pid)
    out = []
    ts = [hold_in_thread(srv, e0, 60, out) for _ in range(6)]
    ok = srv.wait_held(6)
    t1 = threads(pid)
    check("6 requests held at once, %d threads before, %d while held" % (t0, t1), ok and t1 <= t0, "held %s" % srv.held())
    ip("addr", "add", "192.0.2.20/24", "dev", dev)
    for t in ts:
        t.join()
    etags = {r[1].get("etag") for r in out}
    try:
        vf = [v for p in json.loads(out[0][2])["pfs"] for v in p["vfs"] if v.get("netdev") == dev][0]
    except (ValueError, KeyError, IndexError) as e:
        vf = repr(e)
    check("a change (an address on %s) answers all 6: 200, one new ETag, the VF used by the host" % dev,
          [r[0] for r in out] == [200] * 6 and len(etags) == 1 and e0 not in etags and
          isinstance(vf, dict) and vf.get("state") == "host", "%r %r" % ([r[0] for r in out], vf))
    e1 = etags.pop() if etags else None

    # a client that goes away while held: the next change finds it gone; nothing is left held
    s = socket.create_connection((srv.host, srv.port))
    s.sendall(("GET /v1/report HTTP/1.1\r\nHost: x\r\nIf-None-Match: %s\r\nPrefer: wait=60\r\n\r\n" % e1).encode())
    ok = srv.wait_held(1)
    s.close()
    ip("addr", "del", "192.0.2.20/24", "dev", dev)
    check("a client gone while held: released at the next change, the service answers",
          ok and srv.wait_held(0) and srv.get("/healthz")[0] in (200, 503), "held %s" % srv.held())

    # the connection limit bounds what is held: 8 per address here, a 9th is refused
    st, h, _ = srv.get()
    e2 = h.get("etag")
    out = []
    ts = [hold_in_thread(srv, e2, 20, out) for _ in range(8)]
    deadline = time.monotonic() + HANG_S
    while len([1 for r in out]) == 0 and time.monotonic() < deadline:
        try:  # until all 8 are in, a /metrics probe would take the 8th slot: count in /proc instead
            conns = int(subprocess.run(["ss", "-Htn", "state", "established", "dport", "= :%d" % srv.port],
                                       capture_output=True, text=True).stdout.count("\n"))
        except (OSError, ValueError):
            conns = 0
        if conns >= 8:
            break
        time.sleep(0.05)
    try:
        ninth = srv.get(headers={"If-None-Match": e2, "Prefer": "wait=20"}, timeout=10)[0]
    except OSError as e:
        ninth = type(e).__name__
    ip("addr", "add", "192.0.2.21/24", "dev", dev)
    for t in ts:
        t.join()
    ip("addr", "del", "192.0.2.21/24", "dev", dev)
    check("serve_max_conns_per_ip 8 bounds held requests: 8 held and answered 200, a 9th refused (%s)" % ninth,
          ninth != 200 and ninth != 304 and [r[0] for r in out] == [200] * 8, repr([r[0] for r in out]))


if __name__ == "__main__":
    main()
