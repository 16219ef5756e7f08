#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A stand-in for the oVirt engine's REST API, for tests of filter/engine.c.

Serves GET /ovirt-engine/api/REST from the file ROOT/REST, or ROOT/REST/self when ROOT/REST is
a directory (GET /vms/ID beside /vms/ID/nics), with Content-Type application/xml; binds
127.0.0.1 on a free port and prints that port as the first line of stdout.
With --tls CERT,KEY it speaks HTTPS (tests/fixtures/engine/tls: a self-signed cert for 127.0.0.1).

Like the engine it wants HTTP Basic credentials (--user/--password; else 401 with a
WWW-Authenticate challenge) and, as vfcap asks for it, the headers `Version: 4` and
`Accept: application/xml` (else 400). Each request's path is appended to --log (one line,
written before the answer is sent, so a client that has its answer finds its line there).

Misbehaviour on demand, by exact path (repeatable options):
  --status PATH=CODE      answer CODE with a short text body
  --sleep PATH=SECONDS    wait, then answer normally (for client timeouts)
  --redirect PATH=URL     answer 302 to URL
  --many-vms PREFIX=FILE  serve FILE for /vms/ID/nics when ID starts with PREFIX (many VMs)
  --any-host-numa FILE    serve FILE for /hosts/ID/numanodes when ROOT has none for ID (the
                          filter section's and the bench's hosts: one topology for all)
  --big PATH=BYTES        answer 200 with about BYTES of XML, without Content-Length
  --many-hosts PATH=N     answer 200 with a host list of N hosts of about 5 KB each, as the
                          engine's are; host i: id many_host_id(i), address host-i.example
"""

import argparse
import base64
import os
import sys
import time

import stubhttp

PREFIX = "/ovirt-engine/api/"


def pairs(values, convert):
    out = {}
    for v in values or []:
        path, _, arg = v.rpartition("=")
        if not path:
            sys.exit(f"engine-server: bad option value {v!r} (PATH=VALUE)")
        out[path] = convert(arg)
    return out


def many_host_id(i):
    return "00000000-0000-4000-8000-%012d" % i


class Handler(stubhttp.Handler):
    server_version = "engine-server"

    def answer_unsized(self, n):
        """200 with n bytes and no Content-Length (the end is the connection's close), so
        that only the client's own count can stop it."""
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            self.wfile.write(b"<nics>")
            chunk = b" " * 65536
            for _ in range(n // len(chunk)):
                self.wfile.write(chunk)
            self.wfile.write(b"</nics>")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what the test wants

    def many_hosts(self, n):
        """N hosts with what an engine's host carries besides id and address (certificate, CPU,
        hardware, OS, power management with an address of its own): about 5 KB each."""
        filler = ("<certificate><organization>example</organization><subject>O=example,CN=h</subject>"
                  "</certificate><cpu><name>Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz</name><speed>2000"
                  "</speed><topology><cores>32</cores><sockets>2</sockets><threads>2</threads></topology>"
                  "</cpu><hardware_information><family>PowerEdge</family><manufacturer>Dell Inc."
                  "</manufacturer><product_name>PowerEdge R750</product_name></hardware_information>"
                  "<power_management><enabled>true</enabled><address>ipmi.example</address>"
                  "</power_management>" + "<summary><active>0</active><total>0</total></summary>" * 60)
        parts = [b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<hosts>\n']
        for i in range(n):
            parts.append(('<host href="/ovirt-engine/api/hosts/%s" id="%s"><name>host-%d</name>%s'
                          "<address>host-%d.example</address><status>up</status></host>\n"
                          % (many_host_id(i), many_host_id(i), i, filler, i)).encode())
        parts.append(b"</hosts>\n")
        return b"".join(parts)

    def many_vms_file(self, path):
        segs = path[len(PREFIX):].split("/") if path.startswith(PREFIX) else []
        if len(segs) != 3 or segs[0] != "vms" or segs[2] != "nics":
            return None
        for prefix, f in self.server.opts.many_vms.items():
            if segs[1].startswith(prefix) and "." not in segs[1] and "?" not in segs[1]:
                return f
        return None

    def authorized(self):
        opts = self.server.opts
        want = base64.b64encode(f"{opts.user}:{opts.password}".encode()).decode()
        return self.headers.get("Authorization", "") == "Basic " + want

    def file_for(self, path):
        """ROOT/REST for PREFIX + REST, or None: no query, no '..', no empty segment."""
        if not path.startswith(PREFIX) or "?" in path or "#" in path:
            return None
        segs = path[len(PREFIX):].split("/")
        if any(s in ("", ".", "..") for s in segs):
            return None
        f = os.path.join(self.server.opts.root, *segs)
        if os.path.isdir(f):
            f = os.path.join(f, "self")
        return f if os.path.isfile(f) else None

    def any_host_numa(self, path):
        segs = path[len(PREFIX):].split("/") if path.startswith(PREFIX) else []
        ok = (len(segs) == 3 and segs[0] == "hosts" and segs[2] == "numanodes" and segs[1]
              and "." not in segs[1] and "?" not in segs[1])
        return self.server.opts.any_host_numa if ok else None

    def do_GET(self):
        opts = self.server.opts
        with open(opts.log, "a") as log:
            log.write(self.path + "\n")
        if not self.authorized():
            return self.answer(401, "Unauthorized\n",
                               extra=[("WWW-Authenticate", 'Basic realm="RESTAPI"')])
        if self.headers.get("Version") != "4" or self.headers.get("Accept") != "application/xml":
            return self.answer(400, "want Version: 4 and Accept: application/xml\n")
        if self.path in opts.sleep:
            time.sleep(opts.sleep[self.path])
        if self.path in opts.status:
            return self.answer(opts.status[self.path], "Internal Server Error\n")
        if self.path in opts.redirect:
            return self.answer(302, "", extra=[("Location", opts.redirect[self.path])])
        if self.path in opts.big:
            return self.answer_unsized(opts.big[self.path])
        if self.path in opts.many_hosts:
            return self.answer(200, self.many_hosts(opts.many_hosts[self.path]), "application/xml")
        f = self.file_for(self.path)
        if f is None:
            f = self.many_vms_file(self.path)
        if f is None:
            f = self.any_host_numa(self.path)
        if f is None:
            return self.answer(404, "Not Found\n")
        with open(f, "rb") as fh:
            return self.answer(200, fh.read(), "application/xml")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--status", action="append")
    p.add_argument("--sleep", action="append")
    p.add_argument("--redirect", action="append")
    p.add_argument("--big", action="append")
    p.add_argument("--many-hosts", action="append")
    p.add_argument("--many-vms", action="append")
    p.add_argument("--any-host-numa", metavar="FILE")
    p.add_argument("--tls", metavar="CERT,KEY")
    opts = p.parse_args()
    opts.status = pairs(opts.status, int)
    opts.sleep = pairs(opts.sleep, float)
    opts.redirect = pairs(opts.redirect, str)
    opts.big = pairs(opts.big, int)
    opts.many_hosts = pairs(opts.many_hosts, int)
    opts.many_vms = pairs(opts.many_vms, str)

    stubhttp.serve(Handler, opts.tls, opts=opts)

if __name__ == "__main__":
    main()
