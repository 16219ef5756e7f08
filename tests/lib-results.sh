# shellcheck shell=bash
# The harness's bookkeeping, sourced by tests/run.sh and tests/kernel/run.sh: a scratch $TMP
# removed on exit, PASS/FAIL lines, and the closing "N passed, N failed" (results).
TMP=$(mktemp -d "/tmp/vfcap-${1:-test}.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; [ -n "${2:-}" ] && sed 's/^/    /' "$2" | head -40; }

results() {
	echo
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
