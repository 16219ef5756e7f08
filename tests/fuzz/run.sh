#!/bin/bash
# SPDX-License-Identifier: MIT
# make fuzz: run every libFuzzer target (or those named) for SECONDS each, on a copy of its seeds
# in build/fuzz/corpus/NAME (kept between runs); crash inputs go to build/fuzz/crashes/NAME,
# libFuzzer's output to build/fuzz/logs/NAME.log. Prints one line per target and exits 1 when
# any target crashed.  Usage: tests/fuzz/run.sh SECONDS [NAME...]
set -u
cd "$(dirname "$0")/../.."
FUZZ_TOP=$PWD
source tests/fuzz/lib.sh
secs=${1:-60}
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(fuzz_targets)
status=0
printf '%-8s %8s %12s %10s %8s  %s\n' target seconds execs execs/s corpus crashes
for n in "${names[@]}"; do
	if fuzz_run "$n" "$secs" build/fuzz; then
		crash=0
	else
		crash=1
		status=1
	fi
	printf '%-8s %8s %12s %10s %8s  %s\n' "$n" "$FZ_SECS" "${FZ_EXECS:-?}" "${FZ_RATE:-?}" "$FZ_CORPUS" "$crash"
	if [ "$crash" = 1 ]; then
		echo "    crash input: $FZ_CRASH (log: $FZ_LOG)"
		fuzz_report_head "$FZ_LOG" | sed 's/^/    /'
	fi
done
exit $status
