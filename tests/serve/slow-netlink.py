#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Feed a recorded netlink file through a FIFO, SECONDS (1) after each reader opens it: every
gather of a service reading --netlink-file FIFO then takes that long (tests/serve.sh). While
the file HOLD exists, longer: the feed waits until it is removed (at most HOLD_MAX seconds), so
that a test can hold a gather for as long as it needs, however slow the machine.

usage: slow-netlink.py FIFO NETLINK_FILE [SECONDS [HOLD]]
"""
import os
import sys
import time

HOLD_MAX = 300  # a test that died holding: the service goes on

data = open(sys.argv[2], "rb").read()
delay = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
hold = sys.argv[4] if len(sys.argv) > 4 else None
while True:
    fd = os.open(sys.argv[1], os.O_WRONLY)  # blocks until a gather opens the FIFO
    time.sleep(delay)
    until = time.monotonic() + HOLD_MAX
    while hold and os.path.exists(hold) and time.monotonic() < until:
        time.sleep(0.02)
    os.write(fd, data)
    os.close(fd)
    # the reader sees EOF only while no writer has the FIFO open: let it drain it first
    time.sleep(0.2)
