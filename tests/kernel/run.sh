#!/bin/bash
# SPDX-License-Identifier: MIT
# make check-kernel: the real-kernel rig alone (tests/run.sh runs it as part of make check).
set -u
cd "$(dirname "$0")/../.."
PLAIN=build
PY=/usr/bin/python3
source tests/lib-results.sh kernel
source tests/kernel/check.sh
results
