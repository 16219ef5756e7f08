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

# A Python check script's "PASS name" / "FAIL name: why" lines -> pass/fail, each name prefixed.
# A script that exits non-zero without a FAIL line (it died) is a failure of its own, never
# silence; LOG (the service's stderr) is shown with it.
run_checks() { # prefix log script args...
	local prefix=$1 log=$2 script=$3 line rc=0 out
	shift 3
	out=$(mktemp "$TMP/checks.XXXXXX")
	$PY "$script" "$@" >"$out" 2>&1 || rc=$?
	while IFS= read -r line; do
		case "$line" in
		PASS\ *) pass "$prefix: ${line#PASS }" ;;
		FAIL\ *) echo "${line#FAIL }" >"$out.why" && fail "$prefix: ${line#FAIL }" "$out.why" ;;
		esac
	done <"$out"
	if [ $rc != 0 ] && ! grep -q '^FAIL ' "$out"; then
		cat "$log" >>"$out"
		fail "$prefix: $(basename "$script") $1 exited $rc without a FAIL line" "$out"
	fi
}
