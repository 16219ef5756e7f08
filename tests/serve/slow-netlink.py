#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Feed a recorded netlink file through a FIFO, SECONDS (1) after each reader opens it: every
gather of a service reading --netlink-file FIFO then takes that long (tests/serve.sh).

usage: slow-netlink.py FIFO NETLINK_FILE [SECONDS]
"""
import os
import sys
import time

data = open(sys.argv[2], "rb").read()
delay = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
while True:
    fd = os.open(sys.argv[1], os.O_WRONLY)  # blocks until a gather opens the FIFO
    time.sleep(delay)
    os.write(fd, data)
    os.close(fd)
    # the reader sees EOF only while no writer has the FIFO open: let it drain it first
    time.sleep(0.2)
