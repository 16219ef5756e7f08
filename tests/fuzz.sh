# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# The libFuzzer targets' smoke run (sourced by tests/run.sh): build build/fuzz with clang
# (`make fuzz-build`), fuzz each target for FUZZ_SMOKE_SECONDS (default 10) on a scratch copy of
# its seeds, and replay every kept crash input (tests/fuzz/regressions/NAME/*). `make fuzz` is the
# long run. Needs: TOP, TMP, pass/fail from lib-results.sh; clang and libclang-rt-14-dev (make check installs them).

FUZZ_TOP=$TOP
source "$TOP/tests/fuzz/lib.sh"
FZDIR=$TMP/fuzz
rm -rf "$FZDIR" && mkdir -p "$FZDIR"
FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-10}

if ! make -C "$TOP" fuzz-build >"$FZDIR/build.log" 2>&1; then
	fail "fuzz: make fuzz-build" "$FZDIR/build.log"
else
	while read -r fz_name; do
		if fuzz_run "$fz_name" "$FUZZ_SMOKE_SECONDS" "$FZDIR"; then
			pass "fuzz $fz_name: ${FZ_EXECS:-?} execs in ${FZ_SECS} s, 0 crashes"
		else
			{
				echo "crash input: $FZ_CRASH"
				fuzz_report_head "$FZ_LOG"
			} >"$FZDIR/$fz_name.fail"
			fail "fuzz $fz_name: crashed after ${FZ_EXECS:-?} execs (input $FZ_CRASH)" "$FZDIR/$fz_name.fail"
		fi
		fz_regs=("$TOP"/tests/fuzz/regressions/"$fz_name"/*)
		[ -e "${fz_regs[0]}" ] || continue
		if fuzz_replay "$fz_name" "$FZDIR/$fz_name.replay.log" "${fz_regs[@]}"; then
			pass "fuzz $fz_name: ${#fz_regs[@]} regression input(s) replayed, none crashes"
		else
			{
				grep '^Running: ' "$FZDIR/$fz_name.replay.log" | tail -1
				fuzz_report_head "$FZDIR/$fz_name.replay.log"
			} >"$FZDIR/$fz_name.replay.fail"
			fail "fuzz $fz_name: a regression input crashes" "$FZDIR/$fz_name.replay.fail"
		fi
	done < <(fuzz_targets)
fi
