#!/bin/bash
# The whole test pass: unit tests (ASan+UBSan build), the same under valgrind, golden files per
# fixture host (JSON checked against the schema, Prometheus text by promtool), bad-input cases,
# the reporter under valgrind over every fixture, a live run against this machine, a real
# libvirtd, and the kernel rig (tests/kernel).
# Prints PASS/FAIL per test and a closing "N passed, N failed". VFCAP_REGEN=1 rewrites goldens.
set -u
cd "$(dirname "$0")/.."
# Everything runs in namespaces of its own (tests/sandbox.sh): the network they have is loopback
# only, so what needs the outside (the kernel rig's Debian packages) is fetched before.
if [ -z "${VFCAP_SANDBOX:-}" ]; then
	./tests/kernel/fetch.sh || echo "kernel rig: fetch failed; the rig's download step will say why" >&2
	exec ./tests/sandbox.sh "$0" "$@"
fi
TOP=$PWD
ASAN=build/asan
PLAIN=build
export SOURCE_DATE_EPOCH=1795000000   # fixed report time for golden files
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export LSAN_OPTIONS=suppressions=$TOP/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
VALGRIND="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=98 --suppressions=$TOP/tests/valgrind.supp"
PY=/usr/bin/python3
source tests/lib-results.sh test

# --- unit tests -------------------------------------------------------------------------------
for t in "$ASAN"/tests/test_*; do
	name=$(basename "$t")
	if "$t" >"$TMP/out" 2>&1; then rc=0; else rc=$?; fi
	# a binary may run several cmocka groups: add them up
	n_ok=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$TMP/out" | awk '{ s += $1 } END { if (NR) print s }')
	n_bad=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$TMP/out" | awk '{ s += $1 } END { if (NR) print s }')
	passed=$((passed + ${n_ok:-0}))
	failed=$((failed + ${n_bad:-0}))
	if [ "$rc" = 0 ] && [ -n "$n_ok" ]; then
		echo "PASS: $name (asan): ${n_ok} cmocka tests"
	else
		fail "$name (asan): exit $rc" "$TMP/out"
	fi
done
for t in "$PLAIN"/tests/test_*; do
	name=$(basename "$t")
	if $VALGRIND "$t" >"$TMP/out" 2>&1; then pass "$name (valgrind)"; else fail "$name (valgrind)" "$TMP/out"; fi
done

# --- golden files per fixture host ------------------------------------------------------------
source tests/golden.sh
# --- bad input --------------------------------------------------------------------------------
source tests/bad-input.sh
# --- live: this machine's own /sys and netlink ------------------------------------------------
source tests/live.sh
# --- a real libvirtd: pool state ---------------------------------------------------------------
source tests/libvirtd.sh
# --- vfcap-hook: golden cases through the real binary, then against a real libvirtd -----------
source tests/hook.sh
source tests/hook-libvirtd.sh
# --- vfcap-filter: the XML-RPC service, run, the engine API, the legacy-proxy plugin ----------
source tests/filter.sh
# --- make demo: exit 0, no error text, every part of the story, the whole output ----------------
source tests/demo.sh
# --- vfcap-report serve: HTTP, ETag, metrics (promtool, a real Prometheus), TLS ------------------
source tests/serve.sh
# --- fuzz: every parser under libFuzzer (clang, ASan+UBSan) for a short smoke run, regressions --
source tests/fuzz.sh
# --- faults: killed before rename, netlink errors, sysfs vanishing, libvirtd stopped mid-run -----
source tests/faults.sh
# --- load: both services under 10,000 requests with slow and vanishing clients ---------------------
source tests/load.sh
# --- packaging: install tree, systemd units, man pages, Grafana, RPMs ----------------------------
source tests/packaging.sh
# --- the real kernel: netdevsim VFs on Debian's 6.1 under qemu TCG -----------------------------
source tests/kernel/check.sh

results
