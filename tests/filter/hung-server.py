#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hosts whose reporters accept a connection and never answer, for the call deadline's tests.

    hung-server.py DIR

One listener on 127.0.0.1 (a free port, printed as the first line of stdout) stands for every
host: GET /ID/v1/report is answered with DIR/ID.json when that file exists (the reporter is
back) and otherwise never: the connection is held open, unanswered, until the client closes it.
GET /stats answers {"accepted", "held", "served"}: connections accepted, held unanswered now,
reports served. asyncio, so thousands of held connections cost no thread each.
"""
import asyncio
import json
import os
import re
import resource
import sys

PATH_RE = re.compile(rb"^GET /([0-9A-Za-z_.-]{1,64})/v1/report[ ?]")
stats = {"accepted": 0, "held": 0, "served": 0}


def reply(writer, code, body, ctype):
    head = (f"HTTP/1.1 {code} X\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n")
    writer.write(head.encode() + body)


async def handle(reader, writer, root):
    stats["accepted"] += 1
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        if head.startswith(b"GET /stats "):
            reply(writer, 200, json.dumps(stats).encode(), "application/json")
            await writer.drain()
            return
        m = PATH_RE.match(head)
        path = os.path.join(root, m.group(1).decode() + ".json") if m else None
        if path and os.path.exists(path):
            with open(path, "rb") as f:
                reply(writer, 200, f.read(), "application/json")
            stats["served"] += 1
            await writer.drain()
            return
        stats["held"] += 1
        try:
            await reader.read()  # until the client gives up: never an answer
        finally:
            stats["held"] -= 1
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    root = sys.argv[1]
    server = await asyncio.start_server(lambda r, w: handle(r, w, root), "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
