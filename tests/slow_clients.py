#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Slow clients against a running service (lib/http.c's request-time guard), for
tests/serve.sh and tests/filter.sh. The service runs with request_timeout T and an idle
conn_timeout C > T + 2; REQUEST is a whole raw HTTP request its service answers with 200.

usage: slow_clients.py NAME PORT T C REQUEST

Checks, at the same time on their own connections:
- the request's headers trickled 1 byte every 0.25 s: cut T s after the first byte or later
  (never before), and while it trickles a whole request on another connection is answered 200;
- (a request with a body) the headers at once, a body trickled: cut the same way;
- the request in 4 parts over T / 2 s: answered 200, not cut;
- a keep-alive connection idle for T + 1 s after an answer: its next request answered 200;
- a connection that never sends: kept until C (the idle timeout), not cut at T.
The guard ticks every 0.5 s, so a cut comes T to T + 1 s after the first byte; a busy machine
makes it later, not wrong. The upper bounds are hang bounds (LATE s past the timeout: the
trickles last that long), not a measure of how fast the service is; the times are printed.
Prints one "PASS what" or "FAIL what: why" line per check.
"""
import re
import socket
import sys
import threading
import time

name, port, T, C, reqfile = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
REQ = open(reqfile, "rb").read()
HEAD = REQ[:REQ.index(b"\r\n\r\n") + 4]
LATE = 10  # seconds past a timeout before a connection still open is a failure
results = []


def check(what, ok, why=""):
    results.append("PASS %s: %s" % (name, what) if ok else "FAIL %s: %s: %s" % (name, what, why))


def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=C + 5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def answer(s):
    """The status line of the answer on s (reads until the service sends a whole head)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def closed(s, wait):
    """Has the service closed s within wait seconds? (EOF or reset)"""
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def trickle(prefix, slow):
    """Send prefix at once and slow 1 byte every 0.25 s; the seconds from the first byte to the
    service's close, or None when every byte went out and it was still open."""
    s = connect()
    t0 = time.monotonic()
    try:
        if prefix:
            s.sendall(prefix)
        for b in slow:
            s.send(bytes([b]))
            if closed(s, 0.25):
                return s, time.monotonic() - t0
        return s, None
    except OSError:
        return s, time.monotonic() - t0


def cut_check(what, prefix, slow, also=None):
    """slow trickles for T + LATE s at least: a cut is seen whenever it comes before that"""
    assert len(slow) * 0.25 >= T + LATE
    s, cut = trickle(prefix, slow)
    s.close()
    check("%s: cut %s s after its first byte (request_timeout %g s)" % (
        what, "never" if cut is None else "%.1f" % cut, T), cut is not None and T <= cut <= T + LATE,
        "want %g s or more, and a cut within %g s" % (T, T + LATE))


def padded(head):
    """head with an X-Pad header that makes it last T + LATE s or more at 1 byte / 0.25 s"""
    return head[:-2] + b"X-Pad: " + b"x" * int((T + LATE) * 4) + b"\r\n\r\n"


def whole_request_meanwhile():
    time.sleep(T / 2)
    s = connect()
    s.sendall(REQ)
    st = answer(s)
    s.close()
    check("a whole request while slow clients trickle: %s" % st, st.endswith(" 200 OK"), st)


def in_parts():
    s = connect()
    n = len(REQ)
    for i in range(4):
        s.sendall(REQ[i * n // 4:(i + 1) * n // 4])
        if i < 3:
            time.sleep(T / 6)
    st = answer(s)
    s.close()
    check("a request in 4 parts over %.1f s: %s" % (T / 2, st), st.endswith(" 200 OK"), st)


def idle_keepalive():
    s = connect()
    s.sendall(REQ)
    first = answer(s)
    time.sleep(T + 1)
    try:
        s.sendall(REQ)
        st = answer(s)
    except OSError as e:
        st = repr(e)
    s.close()
    check("a keep-alive connection idle %g s, then its next request: %s" % (T + 1, st),
          first.endswith(" 200 OK") and st.endswith(" 200 OK"), "first %s, then %s" % (first, st))


def silent():
    s = connect()
    t0 = time.monotonic()
    gone = closed(s, C + LATE)
    took = time.monotonic() - t0
    s.close()
    check("a connection that sends nothing: closed after %.1f s, by conn_timeout %g s" % (took, C),
          gone and C - 0.5 <= took, "closed %s after %.1f s, want %g s or more, within %g s" % (
              gone, took, C - 0.5, C + LATE))


jobs = [lambda: cut_check("headers 1 byte / 0.25 s", b"", padded(HEAD)), whole_request_meanwhile, in_parts,
        idle_keepalive, silent]
if len(REQ) > len(HEAD):
    # a body that cannot be complete before the cut: Content-Length made larger than what trickles
    big = re.sub(rb"(?im)^content-length: *\d+", b"Content-Length: 1000000", HEAD)
    jobs.append(lambda: cut_check("headers at once, then the body 1 byte / 0.25 s", big,
                                  b" " * int((T + LATE) * 4)))
threads = [threading.Thread(target=j) for j in jobs]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("\n".join(sorted(results, key=lambda r: r.split(" ", 1)[1])), flush=True)
