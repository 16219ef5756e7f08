# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Shared by tests/fuzz/run.sh (make fuzz) and tests/fuzz.sh (make check's smoke run): how to run
# one libFuzzer target of build/fuzz/fuzz and read its figures back. Needs $FUZZ_TOP (the tree).

# Longest input per target: a little above its largest seed (tests/fuzz/corpus/NAME).
fuzz_max_len() {
	case "$1" in
	netlink) echo 24576 ;;  # vfs64.bin, 19560 bytes (the u16 wrap is the unit tests' job)
	report) echo 32768 ;;
	xmlrpc | engine) echo 16384 ;;
	rewrite | config) echo 8192 ;;
	*) echo 4096 ;;         # props, caps
	esac
}

fuzz_targets() {
	local f
	for f in "$FUZZ_TOP"/tests/fuzz/fuzz_*.c; do
		f=${f##*/fuzz_}
		echo "${f%.c}"
	done
}

# Sanitizer settings for every run (overriding what a caller exported, e.g. tests/run.sh).
fuzz_env() {
	env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=1 \
		LSAN_OPTIONS="suppressions=$FUZZ_TOP/tests/lsan.supp:print_suppressions=0" \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$@"
}

# fuzz_run NAME SECONDS OUTDIR: fuzz NAME for SECONDS on OUTDIR/corpus/NAME (the committed seeds
# copied in first; what libFuzzer adds stays there, the seeds are never written). Sets FZ_SECS,
# FZ_EXECS, FZ_RATE (execs/s), FZ_CORPUS (files), FZ_CRASH (the crash input, or empty), FZ_LOG,
# FZ_RC. Returns 0 when nothing crashed.
fuzz_run() {
	local name=$1 secs=$2 out=$3
	local bin=$FUZZ_TOP/build/fuzz/fuzz/fuzz_$name
	local corpus=$out/corpus/$name crashes=$out/crashes/$name/
	FZ_LOG=$out/logs/$name.log
	mkdir -p "$corpus" "$crashes" "${FZ_LOG%/*}"
	cp -n "$FUZZ_TOP"/tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
	local dict=() before after t0 t1
	[ -f "$FUZZ_TOP/tests/fuzz/$name.dict" ] && dict=(-dict="$FUZZ_TOP/tests/fuzz/$name.dict")
	before=$(find "$crashes" -type f | wc -l)
	t0=$(date +%s.%N)
	fuzz_env "$bin" -max_total_time="$secs" -max_len="$(fuzz_max_len "$name")" -rss_limit_mb=2048 \
		-timeout=25 -print_final_stats=1 -artifact_prefix="$crashes" "${dict[@]}" "$corpus" \
		>"$FZ_LOG" 2>&1
	FZ_RC=$?
	t1=$(date +%s.%N)
	FZ_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
	FZ_EXECS=$(sed -n 's/^stat::number_of_executed_units: *//p' "$FZ_LOG" | tail -1)
	FZ_RATE=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$FZ_LOG" | tail -1)
	FZ_CORPUS=$(find "$corpus" -type f | wc -l)
	after=$(find "$crashes" -type f | wc -l)
	FZ_CRASH=
	if [ "$after" -gt "$before" ] || [ "$FZ_RC" != 0 ]; then
		FZ_CRASH=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$FZ_LOG" | tail -1)
		[ -n "$FZ_CRASH" ] || FZ_CRASH="(no input written; exit $FZ_RC)"
		return 1
	fi
	return 0
}

# The sanitizer's report, first lines: from the ERROR line (or libFuzzer's deadly-signal line).
fuzz_report_head() {
	grep -m1 -A25 -E '^==[0-9]+==ERROR|runtime error:|^==[0-9]+== ERROR: libFuzzer|deadly signal' "$1" ||
		tail -25 "$1"
}

# fuzz_replay NAME LOG FILE...: run the target once over each file (no fuzzing). 0 when none crashed.
fuzz_replay() {
	local name=$1 log=$2
	shift 2
	fuzz_env "$FUZZ_TOP/build/fuzz/fuzz/fuzz_$name" -rss_limit_mb=2048 -timeout=25 "$@" >"$log" 2>&1
}
