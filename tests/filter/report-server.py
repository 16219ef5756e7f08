#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A stand-in for the hosts' report servers, for tests of filter/source-http.c.

    report-server.py DIR

Serves DIR/ID.json (read at each request, so a test can change it) at GET /ID/v1/report and at
GET /v1/report?host=ID, with a strong ETag (a hash of the content); a request whose
If-None-Match names the current ETag gets 304. A missing file is 404. Binds 127.0.0.1 on a free
port and prints that port as the first line of stdout.

Misbehaviour on demand, by the host id's prefix:
  statusNNN-...   answer HTTP NNN with a short text body
  garbage-...     answer 200 with a body that is not JSON
  sleep-...       wait --sleep seconds (default 5), then answer 404
  big-...         answer 200 with 17 MiB of blanks and no Content-Length (until close)
  follow-...      hold a long-poll as vfcap-report serve does: with If-None-Match naming the
                  current ETag and `Prefer: wait=N`, answer once the file changes (200) or after
                  N s (304), each answer with `Preference-Applied: wait=N` (any other host
                  ignores Prefer, like a server without long-poll)
  quick-...       say Preference-Applied but answer at once (a server that claims long-poll and
                  does not hold it)
and for any host, the query parameter delay_ms=N waits N ms before answering, and together=N
first waits until N report requests have been in flight at the same time since the last
/reset (a latch: once there were, no request waits), so that a client's parallelism shows
however slow the machine; after TOGETHER_S (30) without that it answers 503 instead.

GET /stats answers a JSON object: requests (report requests so far), not_modified (304s sent),
polls (requests that sent Prefer: wait), held (long-polls being held now),
max_in_flight (the most report requests in flight at the same time: from their arrival until
their answer begins) and hosts (requests per host id). Counts are taken when a request arrives,
before it is answered. GET /reset zeroes them.
"""

import argparse
import hashlib
import json
import os
import re
import sys
import threading
import time
import urllib.parse

import stubhttp

ID_RE = re.compile(r"^[0-9A-Za-z_.-]{1,64}$")
TOGETHER_S = 30  # a hang bound: N requests a client starts at once arrive within milliseconds


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.in_flight = 0
        self.held = 0
        self.reset()

    def reset(self):
        # requests still being answered (a timeout test's sleepers) stay in flight
        self.requests = 0
        self.not_modified = 0
        self.polls = 0
        self.max_in_flight = self.in_flight
        self.hosts = {}
        self.apart = False  # together= waited in vain once: the next ones do not wait

    def begin(self, host):
        with self.lock:
            self.requests += 1
            self.hosts[host] = self.hosts.get(host, 0) + 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.changed.notify_all()

    def together(self, n):
        """Until n requests have been in flight at once; False after TOGETHER_S without that."""
        with self.changed:
            if not self.apart and not self.changed.wait_for(lambda: self.max_in_flight >= n, TOGETHER_S):
                self.apart = True
            return not self.apart

    def end(self):
        with self.lock:
            self.in_flight -= 1

    def as_json(self):
        with self.lock:
            return json.dumps({"requests": self.requests, "not_modified": self.not_modified,
                               "polls": self.polls, "held": self.held,
                               "max_in_flight": self.max_in_flight, "hosts": self.hosts})


class Handler(stubhttp.Handler):
    server_version = "report-server"

    def host_of(self, url):
        parts = url.path.split("/")
        if len(parts) == 4 and parts[0] == "" and parts[2:] == ["v1", "report"]:
            return urllib.parse.unquote(parts[1])
        if url.path == "/v1/report":
            return urllib.parse.parse_qs(url.query).get("host", [None])[0]
        return None

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/stats":
            return self.answer(200, self.server.stats.as_json(), "application/json")
        if url.path == "/reset":
            with self.server.stats.lock:
                self.server.stats.reset()
            return self.answer(200, "ok\n")
        host = self.host_of(url)
        if host is None:
            return self.answer(404, "no such path\n")
        self.server.stats.begin(host)
        self.counted = True
        try:
            self.report(host, urllib.parse.parse_qs(url.query))
        finally:
            self.uncount()

    def uncount(self):
        """The request is no longer in flight: counted off before its answer goes out, so that a
        client that has the answer and sends its next request is never counted twice
        (max_in_flight is never more than the client had under way)."""
        if getattr(self, "counted", False):
            self.counted = False
            self.server.stats.end()

    def answer(self, *args, **kwargs):
        self.uncount()
        super().answer(*args, **kwargs)

    def report(self, host, query):
        together = int(query.get("together", ["0"])[0])
        if together and not self.server.stats.together(together):
            return self.answer(503, f"fewer than {together} requests at once in {TOGETHER_S} s\n")
        delay = int(query.get("delay_ms", ["0"])[0])
        if delay:
            time.sleep(delay / 1000)
        m = re.match(r"^status(\d{3})-", host)
        if m:
            return self.answer(int(m.group(1)), f"status {m.group(1)} on demand\n")
        if host.startswith("garbage-"):
            return self.answer(200, "<html>this is not a report</html>\n", "text/html")
        if host.startswith("big-"):
            self.uncount()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                for _ in range(17):
                    self.wfile.write(b" " * (1 << 20))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading at its limit
            return
        if host.startswith("sleep-"):
            time.sleep(self.server.sleep)
            return self.answer(404, "slept\n")
        if not ID_RE.match(host):
            return self.answer(400, "bad host id\n")
        wait = self.prefer_wait()
        if wait:
            with self.server.stats.lock:
                self.server.stats.polls += 1
        if not host.startswith(("follow-", "quick-")):
            wait = 0
        data, etag = self.read(host)
        if data is not None and wait and self.headers.get("If-None-Match") == etag and host.startswith("follow-"):
            data, etag = self.hold(host, etag, wait)
        if data is None:
            return self.answer(404, f"no report for {host}\n")
        extra = [("ETag", etag)] + ([("Preference-Applied", f"wait={wait}")] if wait else [])
        if self.headers.get("If-None-Match") == etag:
            with self.server.stats.lock:
                self.server.stats.not_modified += 1
            return self.answer(304, extra=extra)
        self.answer(200, data, "application/json", extra)

    def prefer_wait(self):
        m = re.search(r"(?:^|,)\s*wait\s*=\s*(\d+)", self.headers.get("Prefer", ""))
        return min(int(m.group(1)), 300) if m else 0

    def read(self, host):
        try:
            with open(os.path.join(self.server.dir, host + ".json"), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None, None
        return data, '"' + hashlib.sha256(data).hexdigest()[:20] + '"'

    def hold(self, host, etag, wait):
        """Until the file's ETag is not etag (or it is gone), or wait seconds pass."""
        self.uncount()
        with self.server.stats.lock:
            self.server.stats.held += 1
        try:
            end = time.monotonic() + wait
            while True:
                data, now = self.read(host)
                if now != etag or time.monotonic() >= end:
                    return data, now
                time.sleep(0.02)
        finally:
            with self.server.stats.lock:
                self.server.stats.held -= 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--sleep", type=float, default=5.0)
    args = ap.parse_args()
    stubhttp.serve(Handler, dir=args.dir, sleep=args.sleep, stats=Stats())

if __name__ == "__main__":
    sys.exit(main())
