#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""N cheap stand-ins for the hosts' `vfcap-report serve`, with long-poll, in one asyncio process
(tests/filter.sh filter_follow, make bench's bench_follow.py).

    follow-reporters.py N [--nowait-every K] [--per-process M]

Host i listens on its own loopback address, 127.1.(i // 250).(i % 250 + 1), all on one port,
and its host id is that address, so that report_url http://{host_id}:PORT/v1/report reaches
it. GET /v1/report answers a small schema-valid report (mkreports.py's) whose ens1f0 has `free`
VFs (at first 1), with a strong ETag; If-None-Match naming it gets 304, and with
`Prefer: wait=N` as well the request is held until the report changes (200) or N s pass (304),
each answer saying `Preference-Applied: wait=N`, as vfcap-report serve does. With
--nowait-every K, every K-th host (i % K == K - 1) ignores Prefer, like a reporter without
long-poll. Prints the port as the first line of stdout.

Control, on 127.0.0.1:PORT: GET /set?host=H&free=K (a new report: held long-polls answered),
/kill?host=H (its listener and connections closed: connection refused until revived),
/revive?host=H, /stats (JSON: requests, polls, held, not_modified, changed).

Each host costs the farm two file descriptors (its listener and the filter's connection), so
past M hosts a process (default: what a third of the file descriptor limit allows, after the
farm raised it to the hard one) the farm is sharded: this process serves hosts 0 to M - 1 and
owns the control listener, and starts one process per further slice of M hosts,

    follow-reporters.py COUNT --first I --port PORT [--nowait-every K]

whose hosts I to I + COUNT - 1 listen on PORT and whose own control listener, on a port of its
own printed as its first line, this one forwards /set, /kill and /revive to (/stats sums them
all). A shard ends when its stdin closes: when this process ends, however it ends.
"""
import argparse
import asyncio
import datetime
import json
import os
import resource
import signal
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import mkreports  # noqa: E402

BASE = json.load(open(mkreports.BASE))
MAX_WAIT = 300


def address(i):
    return "127.1.%d.%d" % (i // 250, i % 250 + 1)


class Host:
    def __init__(self, i, holds):
        self.i, self.addr, self.holds = i, address(i), holds
        self.gen, self.server, self.writers = 0, None, set()
        self.changed = asyncio.Event()
        self.set_free(1)

    def set_free(self, free):
        r = mkreports.report(BASE, self.i, datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        r["pfs"] = r["pfs"][:1]
        p = r["pfs"][0]
        p.update(free=free, used=64 - free, shared_iommu=0)
        r["totals"].update(pfs=1, vfs=64, usable=64, free=free, used=64 - free, shared_iommu=0)
        self.gen += 1
        self.body = json.dumps(r, separators=(",", ":")).encode()
        self.etag = '"%d-%d"' % (self.i, self.gen)
        self.changed.set()
        self.changed = asyncio.Event()


class Shard:
    """Another process of the farm: hosts first to first + count - 1, and its control port."""

    def __init__(self, first, count):
        self.first, self.count = first, count
        self.proc, self.ctl = None, 0

    async def start(self, port, nowait_every):
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, str(self.count), "--first", str(self.first), "--port", str(port),
            "--nowait-every", str(nowait_every), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        line = await self.proc.stdout.readline()
        if not line:
            raise SystemExit("follow-reporters.py: the shard of hosts %d to %d did not start"
                             % (self.first, self.first + self.count - 1))
        self.ctl = int(line)

    async def ask(self, target):
        """The shard's answer to GET target on its control listener: (status, body)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.ctl)
        try:
            writer.write(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % target.encode())
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            length = next(int(line.split(":", 1)[1]) for line in head
                          if line.lower().startswith("content-length:"))
            return int(head[0].split(" ")[1]), await reader.readexactly(length)
        finally:
            writer.close()

    async def stop(self):
        self.proc.stdin.close()
        await self.proc.wait()


class Farm:
    def __init__(self, first, count, nowait_every):
        self.hosts = {}
        for i in range(first, first + count):
            holds = not (nowait_every and i % nowait_every == nowait_every - 1)
            h = Host(i, holds)
            self.hosts[h.addr] = h
        self.stats = dict(requests=0, polls=0, held=0, not_modified=0, changed=0)
        self.shards, self.elsewhere = [], {}  # the other processes; host address -> its Shard
        self.port = 0

    async def start(self, port, shards, nowait_every):
        """Every host of this process listening on port, and the other shards started."""
        self.port, self.shards = port, shards
        self.elsewhere = {address(i): sh for sh in shards for i in range(sh.first, sh.first + sh.count)}
        await asyncio.gather(*(sh.start(port, nowait_every) for sh in shards))
        for h in self.hosts.values():
            await self.listen(h, port)

    async def stop(self):
        await asyncio.gather(*(sh.stop() for sh in self.shards if sh.proc))

    async def listen(self, h, port):
        h.server = await asyncio.start_server(lambda r, w: self.conn(h, r, w), h.addr, port,
                                              reuse_address=True, backlog=64)

    async def conn(self, h, reader, writer):
        if h is not None:
            h.writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target = lines[0].split(" ")[:2]
                hdrs = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        hdrs[k.strip().lower()] = v.strip()
                if h is None:
                    await self.control(target, writer)
                else:
                    await self.report(h, target, hdrs, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            if h is not None:
                h.writers.discard(writer)
            writer.close()

    @staticmethod
    def send(writer, status, body=b"", extra=()):
        reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}.get(status, "X")
        head = "HTTP/1.1 %d %s\r\nContent-Length: %d\r\n" % (status, reason, 0 if status == 304 else len(body))
        head += "".join("%s: %s\r\n" % kv for kv in extra) + "\r\n"
        writer.write(head.encode() + (b"" if status == 304 else body))

    async def report(self, h, target, hdrs, writer):
        self.stats["requests"] += 1
        if urllib.parse.urlsplit(target).path != "/v1/report":
            return self.send(writer, 404, b"no such path\n")
        wait = 0
        for pref in hdrs.get("prefer", "").split(","):
            k, _, v = pref.strip().partition("=")
            if k.strip().lower() == "wait" and v.strip().isdigit():
                wait = min(int(v), MAX_WAIT)
        if wait:
            self.stats["polls"] += 1
        if not h.holds:
            wait = 0
        inm = hdrs.get("if-none-match")
        if wait and inm == h.etag:
            ev = h.changed
            self.stats["held"] += 1
            try:
                await asyncio.wait_for(ev.wait(), wait)
            except asyncio.TimeoutError:
                pass
            finally:
                self.stats["held"] -= 1
        extra = [("ETag", h.etag), ("Content-Type", "application/json")]
        if wait:
            extra.append(("Preference-Applied", "wait=%d" % wait))
        if inm == h.etag:
            self.stats["not_modified"] += 1
            self.send(writer, 304, extra=extra)
        else:
            self.stats["changed"] += 1
            self.send(writer, 200, h.body, extra)
        await writer.drain()

    async def control(self, target, writer):
        u = urllib.parse.urlsplit(target)
        q = dict(urllib.parse.parse_qsl(u.query))
        h = self.hosts.get(q.get("host"))
        if u.path == "/stats":
            stats = dict(self.stats)
            for sh in self.shards:
                for k, v in json.loads((await sh.ask(target))[1]).items():
                    stats[k] += v
            return self.send(writer, 200, json.dumps(stats).encode())
        if h is None and q.get("host") in self.elsewhere:
            return self.send(writer, *await self.elsewhere[q["host"]].ask(target))
        if h is None:
            return self.send(writer, 404, b"no such host\n")
        if u.path == "/set":
            h.set_free(int(q["free"]))
        elif u.path == "/kill" and h.server:
            h.server.close()
            h.server = None
            for w in list(h.writers):
                w.transport.abort()
        elif u.path == "/revive" and not h.server:
            await self.listen(h, self.port)
        self.send(writer, 200, h.etag.encode())


def fd_limit():
    """The file descriptor limit, the soft one raised to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard if hard != resource.RLIM_INFINITY else 1 << 20


async def stdin_closed():
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--nowait-every", type=int, default=0)
    ap.add_argument("--per-process", type=int, default=0)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    per = a.per_process or max(1, (fd_limit() - 256) // 3)
    mine = a.n if a.port else min(a.n, per)  # a shard (--port) serves its slice whole
    farm = Farm(a.first, mine, a.nowait_every)
    ctl = await asyncio.start_server(lambda r, w: farm.conn(None, r, w), "127.0.0.1", 0)
    ctl_port = ctl.sockets[0].getsockname()[1]
    shards = [] if a.port else [Shard(f, min(per, a.n - f)) for f in range(mine, a.n, per)]
    try:
        await farm.start(a.port or ctl_port, shards, a.nowait_every)
        print(ctl_port, flush=True)
        if a.port:
            await stdin_closed()
        else:
            stop = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            await stop.wait()
    finally:
        await farm.stop()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
