# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# `make demo` (scripts/demo.sh, over the plain build), sourced by tests/run.sh: it must exit 0,
# print nothing on stderr and no error text anywhere, tell every part of its story, and print
# exactly tests/demo/expected.out (SOURCE_DATE_EPOCH is fixed). VFCAP_REGEN=1 rewrites that.
# Needs: TMP, pass/fail from lib-results.sh.

DEMO_OUT=$TMP/demo.out

# demo_has WHAT ERE: a line of the demo's output matches
demo_has() {
	if grep -Eq -- "$2" "$DEMO_OUT"; then pass "demo: $1"; else fail "demo: $1 (no line matches $2)"; fi
}

demo_run() {
	local err=$TMP/demo.err rc=0
	./scripts/demo.sh >"$DEMO_OUT" 2>"$err" || rc=$?
	if [ $rc = 0 ]; then pass "demo: exit 0"; else fail "demo: exit $rc" "$err"; fi
	if [ ! -s "$err" ]; then pass "demo: nothing on stderr"; else fail "demo: stderr" "$err"; fi
	# the expected refusal of the hook says "no free VF", none of these
	if grep -Ein "error|warning|cannot|broken pipe|fatal|failed|denied|no such file|sanitizer|segmentation|usage:" \
		"$DEMO_OUT" "$err" >"$TMP/demo.bad"; then
		fail "demo: error text in its output" "$TMP/demo.bad"
	else
		pass "demo: no error text in its output"
	fi
}

demo_sections() {
	local h d col cols n
	for d in tests/fixtures/hosts/*/; do
		h=$(basename "$d")
		if grep -Fxq "$(printf '  %-8s %s' "$h" "$(cat "$d/DESCRIPTION")")" "$DEMO_OUT"; then
			pass "demo: host $h: its description"
		else
			fail "demo: host $h: no line with its DESCRIPTION"
		fi
		demo_has "host $h: its table" "^host $h  uuid "
	done
	# every count column of the table has its legend line
	cols=$(grep -m1 '^name  *driver  *pci_address ' "$DEMO_OUT" | tr -s ' ' '\n' | tail -n +4)
	[ -n "$cols" ] || fail "demo: no table header"
	for col in $cols; do
		demo_has "legend: $col" "^  $col  +[a-zA-Z]"
	done
	demo_has "the advice under a wrapped PF" "^  ! netlink lists 34 of 256 VFs .*lower sriov_numvfs to 221"
	demo_has "why the list wraps, in numbers" "^  wrap222: 4 \\+ 222 x 296 = 65716 bytes, .*room for 0 VFs\$"
	demo_has "the JSON report: a VF's state and owner" '^ *"state": "assigned",$'
	# one verdict per host per demand, each fact once: "ID pass|reject: F free, N needed"
	local hosts want
	hosts=$(find tests/fixtures/hosts -mindepth 1 -maxdepth 1 -type d | wc -l)
	want=$((2 * hosts))
	n=$(grep -Ec '^[a-z0-9]+ (pass|reject): [0-9]+ free, [0-9]+ needed( \([0-9]+ more without link, not counted\))?$' "$DEMO_OUT")
	if [ "$n" = "$want" ]; then pass "demo: filter verdicts for $hosts hosts, twice"; else fail "demo: $n filter verdict lines, not $want"; fi
	demo_has "filter: a host rejected for too few VFs" "^vic reject: 19 free, 20 needed\$"
	demo_has "filter: free VFs without link not counted (require_link)" \
		"^dirty pass: 6 free, 1 needed \\(5 more without link, not counted\\)\$"
	demo_has "hook: the vNIC before" '^  <interface type="bridge">$'
	demo_has "hook: the vNIC rewritten onto the pool" '^ +<source network="direct-pool"/>$'
	demo_has "hook: the port profile" "^ +<virtualport type=\"802.1Qbh\"><parameters profileid=\"Profile1\"/></virtualport>\$"
	demo_has "hook: its refusal, labelled as expected" "Expected outcome: exit 2 and one"
	demo_has "hook: the one line when no VF is left" \
		"^  vfcap-hook: before_device_create: no free VF for vmfex profile 'Profile1' \\(1 vNIC\\): .* 0 free\$"
}

demo_golden() {
	if [ "${VFCAP_REGEN:-0}" = 1 ]; then
		cp "$DEMO_OUT" tests/demo/expected.out
		pass "demo: whole output (regenerated)"
	elif diff -u tests/demo/expected.out "$DEMO_OUT" >"$TMP/demo.diff" 2>&1; then
		pass "demo: whole output as tests/demo/expected.out"
	else
		fail "demo: whole output differs" "$TMP/demo.diff"
	fi
}

demo_run
demo_sections
demo_golden
