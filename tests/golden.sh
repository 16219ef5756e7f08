# SPDX-License-Identifier: MIT
# Sourced by tests/run.sh. One golden set per fixture host: expected.json, expected.table,
# expected.prom and expected.exit, produced by the sanitizer build of vfcap-report.
# report() is tests/run.sh's.

# golden_compare NAME GOT EXPECTED
golden_compare() {
	if [ "${VFCAP_REGEN:-0}" = 1 ]; then
		cp "$2" "$3"
		pass "$1 (regenerated)"
	elif diff -u "$3" "$2" >"$TMP/diff" 2>&1; then
		pass "$1"
	else
		fail "$1" "$TMP/diff"
	fi
}

# golden_case NAME HOSTDIR OUTDIR [EXTRA ARGS...]: the goldens of one host, or of a variant
# (tests/fixtures/variants/NAME: a host run with extra arguments, e.g. a source that fails)
golden_case() {
	local host=$1 h=$2 out=$3
	shift 3
	for fmt in json table prometheus; do
		ext=$fmt; [ "$fmt" = prometheus ] && ext=prom
		rc=0
		report "$ASAN/vfcap-report" "$h" "$fmt" "$@" >"$TMP/out.$ext" 2>"$TMP/err.$ext" || rc=$?
		if [ "$rc" -gt 3 ]; then
			fail "$host: $fmt: sanitizer or crash (exit $rc)" "$TMP/err.$ext"
			continue
		fi
		golden_compare "$host: $fmt golden" "$TMP/out.$ext" "$out/expected.$ext"
		echo "$rc" >"$TMP/rc"
		golden_compare "$host: $fmt exit code" "$TMP/rc" "$out/expected.exit"
	done
	cat "$TMP/err.json" >"$TMP/stderr"
	golden_compare "$host: warnings on stderr" "$TMP/stderr" "$out/expected.stderr"
	if $PY tests/validate-schema.py schema/vfcap-report.schema.json "$TMP/out.json" >"$TMP/v" 2>&1; then
		pass "$host: report valid against the schema"
	else
		fail "$host: report valid against the schema" "$TMP/v"
	fi
	if promtool check metrics <"$TMP/out.prom" >"$TMP/v" 2>&1; then
		pass "$host: promtool check metrics"
	else
		fail "$host: promtool check metrics" "$TMP/v"
	fi
	# the plain build under valgrind: same bytes, no error, no leak (not under --fast)
	[ "$USE_VALGRIND" = 1 ] || return 0
	rc=0
	report "$VALGRIND $PLAIN/vfcap-report" "$h" json "$@" >"$TMP/vg.json" 2>"$TMP/vg.err" || rc=$?
	if [ "$rc" -le 3 ] && cmp -s "$TMP/vg.json" "$TMP/out.json"; then
		pass "$host: valgrind clean, same report"
	else
		fail "$host: valgrind (exit $rc)" "$TMP/vg.err"
	fi
}

# the recorded netlink replies must be what the spec says, byte for byte
spec_matches() { # label spec bin
	[ "${VFCAP_REGEN:-0}" = 1 ] && "$PLAIN/tools/mknlmsg" "$2" "$3"
	if "$PLAIN/tools/mknlmsg" "$2" "$TMP/nl.bin" && cmp -s "$TMP/nl.bin" "$3"; then
		pass "$1 matches its spec"
	else
		fail "$1 is stale (make regen)"
	fi
}

for s in tests/fixtures/netlink/*.spec; do
	spec_matches "netlink/$(basename "${s%.spec}").bin" "$s" "${s%.spec}.bin"
done
for h in tests/fixtures/hosts/*/; do
	h=${h%/}
	host=$(basename "$h")
	[ -f "$h/netlink.spec" ] && spec_matches "$host: netlink.bin" "$h/netlink.spec" "$h/netlink.bin"
	golden_case "$host" "$h" "$h"
done
for v in tests/fixtures/variants/*/; do
	v=${v%/}
	mapfile -t extra <"$v/args"
	golden_case "variant $(basename "$v")" "tests/fixtures/hosts/$(cat "$v/host")" "$v" "${extra[@]}"
done
