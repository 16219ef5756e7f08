#!/bin/bash
# make check-kernel: the real-kernel rig alone (tests/run.sh runs it as part of make check).
set -u
cd "$(dirname "$0")/../.."
PLAIN=build
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/vfcap-kernel.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; [ -n "${2:-}" ] && sed 's/^/    /' "$2" | head -40; }
source tests/kernel/check.sh
echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
