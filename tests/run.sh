#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/run.sh [--fast] [SECTION...]: the test pass, by section (default: every section, in the
# order below). Prints PASS/FAIL per test, then "sections: ..." naming what ran and what did not,
# then a closing "N passed, N failed" alone on the last line. VFCAP_REGEN=1 rewrites goldens.
#
#   unit       cmocka tests (tests/unit): the ASan+UBSan build, then the plain build under valgrind
#   golden     every fixture host and variant against its expected files (schema, promtool)
#   bad-input  the reporter on broken input: one clear line, the documented exit code
#   live       the reporter on this machine's own /sys and netlink (read-only)
#   libvirtd   the reporter against a real libvirtd's pool network
#   hook       vfcap-hook golden cases, then against a real libvirtd
#   filter     vfcap-filter: XML-RPC service, run, engine API, legacy-proxy plugin
#   demo       make demo's story (scripts/demo.sh)
#   serve      vfcap-report serve: HTTP, ETag, metrics, TLS, watching the host, long-poll
#   fuzz       each libFuzzer target's smoke run and kept regressions (clang)
#   faults     syscalls failed under strace, processes killed, libvirtd stopped mid-run
#   load       both services under 10,000 requests
#   packaging  install tree, units, man pages, Grafana, RPMs
#   kernel     Debian's kernel under qemu TCG with netdevsim VFs and igb's PCI VFs
#
# unit, golden and bad-input need neither root nor daemons and run as they are; any other section
# needs root: the run then re-executes itself in tests/sandbox.sh's namespaces (and fetches the
# kernel rig's packages first when kernel is asked for). Asked for without root, such a section
# is a failure, never a skip.
# --fast (make check-fast): unit golden bad-input without valgrind (ASan+UBSan only), the unit
# binaries VFCAP_JOBS (default: the CPU count) at a time. VFCAP_VALGRIND=0 drops valgrind too.
set -u
cd "$(dirname "$0")/.." || exit 2

ALL_SECTIONS=(unit golden bad-input live libvirtd hook filter demo serve fuzz faults load packaging kernel)
NOROOT_SECTIONS=(unit golden bad-input)

usage() {
	echo "usage: tests/run.sh [--fast] [SECTION...]" >&2
	echo "  sections: ${ALL_SECTIONS[*]} (default: all)" >&2
	echo "  --fast: ${NOROOT_SECTIONS[*]}, without valgrind (no root, no daemons)" >&2
	exit 2
}
in_list() { # word list...
	local w=$1 x
	shift
	for x in "$@"; do [ "$x" = "$w" ] && return 0; done
	return 1
}

FAST=0
asked=()
for a in "$@"; do
	case $a in
	--fast) FAST=1 ;;
	-h | --help) usage ;;
	-*) echo "tests/run.sh: unknown option: $a" >&2; usage ;;
	*) in_list "$a" "${ALL_SECTIONS[@]}" || { echo "tests/run.sh: unknown section: $a" >&2; usage; }
	   asked+=("$a") ;;
	esac
done
if [ ${#asked[@]} = 0 ]; then
	if [ $FAST = 1 ]; then asked=("${NOROOT_SECTIONS[@]}"); else asked=("${ALL_SECTIONS[@]}"); fi
fi
[ $FAST = 1 ] && VFCAP_VALGRIND=${VFCAP_VALGRIND:-0}
USE_VALGRIND=${VFCAP_VALGRIND:-1}
# the sections to run, in the canonical order, each once; and the ones left out
SECTIONS=()
NOT_RUN=()
for s in "${ALL_SECTIONS[@]}"; do
	if in_list "$s" "${asked[@]}"; then SECTIONS+=("$s"); else NOT_RUN+=("$s"); fi
done
NEED_ROOT=()
for s in "${SECTIONS[@]}"; do in_list "$s" "${NOROOT_SECTIONS[@]}" || NEED_ROOT+=("$s"); done

if [ ${#NEED_ROOT[@]} -gt 0 ] && [ -z "${VFCAP_SANDBOX:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "FAIL: sections ${NEED_ROOT[*]} need root (tests/sandbox.sh's namespaces, daemons); without root run: tests/run.sh ${NOROOT_SECTIONS[*]}"
		echo
		echo "sections: none run (${NEED_ROOT[*]} need root)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	# Everything runs in namespaces of its own (tests/sandbox.sh): the network they have is
	# loopback only, so what needs the outside (the kernel rig's Debian packages) is fetched before.
	if in_list kernel "${SECTIONS[@]}"; then
		./tests/kernel/fetch.sh || echo "kernel rig: fetch failed; the rig's download step will say why" >&2
	fi
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
JOBS=${VFCAP_JOBS:-$(nproc 2>/dev/null || echo 1)}
source tests/lib-results.sh test

# report BINARY HOSTDIR FORMAT [ARGS...]: run the reporter on a fixture host (most sections use it)
report() {
	local bin=$1 h=$2 fmt=$3 roots=()
	shift 3
	# a host's own /proc and /run/netns when it has them (tests/fixtures/hosts/mixed)
	[ -d "$h/proc" ] && roots+=(--proc-root "$h/proc")
	[ -d "$h/netns" ] && roots+=(--netns-root "$h/netns")
	$bin --sysfs-root "$h/sysfs" --netlink-file "$h/netlink.bin" "${roots[@]}" \
		--libvirt-uri "test://$TOP/$h/libvirt.xml" --config "$h/vfcap.conf" --format "$fmt" "$@"
}

# --- unit tests: each binary of the ASan+UBSan build (JOBS at a time, reported in order), then
# each of the plain build under valgrind ----------------------------------------------------------
section_unit() {
	local src t name rc n_ok n_bad names=()
	# the binaries of today's sources (tests/unit/test_*.c): one left in build/ by a renamed or
	# removed test never runs; one that was not built is a failure
	for src in tests/unit/test_*.c; do
		name=$(basename "$src" .c)
		names+=("$name")
	done
	mkdir -p "$TMP/unit"
	# shellcheck disable=SC2016 # the inner shell expands them
	printf '%s\n' "${names[@]}" | xargs -P "$JOBS" -I{} sh -c \
		'[ -x "$1/$2" ] || exit 0; "$1/$2" >"$3/$2.out" 2>&1; echo $? >"$3/$2.rc"' \
		sh "$ASAN/tests" {} "$TMP/unit"
	for name in "${names[@]}"; do
		t=$ASAN/tests/$name
		[ -x "$t" ] || { fail "$name (asan): $t not built (make asan)"; continue; }
		rc=$(cat "$TMP/unit/$name.rc" 2>/dev/null || echo "none")
		# a binary may run several cmocka groups: add them up
		n_ok=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$TMP/unit/$name.out" | awk '{ s += $1 } END { if (NR) print s }')
		n_bad=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$TMP/unit/$name.out" | awk '{ s += $1 } END { if (NR) print s }')
		passed=$((passed + ${n_ok:-0}))
		failed=$((failed + ${n_bad:-0}))
		if [ "$rc" = 0 ] && [ -n "$n_ok" ]; then
			echo "PASS: $name (asan): ${n_ok} cmocka tests"
		else
			fail "$name (asan): exit $rc" "$TMP/unit/$name.out"
		fi
	done
	[ "$USE_VALGRIND" = 1 ] || return 0
	for name in "${names[@]}"; do
		t=$PLAIN/tests/$name
		[ -x "$t" ] || { fail "$name (valgrind): $t not built (make all)"; continue; }
		if $VALGRIND "$t" >"$TMP/out" 2>&1; then pass "$name (valgrind)"; else fail "$name (valgrind)" "$TMP/out"; fi
	done
}

# the sections are sourced: the loop's variable is a name none of them uses
for vfcap_section in "${SECTIONS[@]}"; do
	case $vfcap_section in
	unit) section_unit ;;
	# golden files per fixture host
	golden) source tests/golden.sh ;;
	bad-input) source tests/bad-input.sh ;;
	# this machine's own /sys and netlink
	live) source tests/live.sh ;;
	# a real libvirtd: pool state
	libvirtd) source tests/libvirtd.sh ;;
	# vfcap-hook: golden cases through the real binary, then against a real libvirtd
	hook) source tests/hook.sh; source tests/hook-libvirtd.sh ;;
	# vfcap-filter: the XML-RPC service, run, the engine API, the legacy-proxy plugin
	filter) source tests/filter.sh ;;
	# make demo: exit 0, no error text, every part of the story, the whole output
	demo) source tests/demo.sh ;;
	# vfcap-report serve: HTTP, ETag, metrics (promtool, a real Prometheus), TLS
	serve) source tests/serve.sh ;;
	# every parser under libFuzzer (clang, ASan+UBSan) for a short smoke run, regressions
	fuzz) source tests/fuzz.sh ;;
	# killed before rename, netlink errors, sysfs vanishing, libvirtd stopped mid-run
	faults) source tests/faults.sh ;;
	# both services under 10,000 requests with slow and vanishing clients
	load) source tests/load.sh ;;
	# install tree, systemd units, man pages, Grafana, RPMs
	packaging) source tests/packaging.sh ;;
	# the real kernel: netdevsim VFs, then igb's PCI VFs, on Debian's 6.1 under qemu TCG
	kernel) source tests/kernel/check.sh ;;
	esac
done

summary="sections: ${SECTIONS[*]}"
[ ${#NOT_RUN[@]} -gt 0 ] && summary="$summary; not run: ${NOT_RUN[*]}"
[ "$USE_VALGRIND" = 1 ] || summary="$summary; valgrind: off (ASan+UBSan only)"
results "$summary"
