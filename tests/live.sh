# SPDX-License-Identifier: MIT
# Sourced by tests/run.sh. The reporter against this machine's real /sys (no flags but the
# format): whatever the host has, the report must be valid and the exit code documented. A
# machine without SR-IOV PFs (this one, CI) asks neither netlink nor libvirt: the real kernel's
# netlink is exercised by tests/faults.sh (a sysfs copy naming this machine's ifindexes) and by
# the netdevsim rig (tests/kernel).
# The run's sandbox has a network of its own: read the machine's (read-only) as the report would.
rc=0
${VFCAP_HOST_NETNS:+nsenter --net="$VFCAP_HOST_NETNS"} "$ASAN/vfcap-report" --config /dev/null >"$TMP/live.json" 2>"$TMP/live.err" || rc=$?
if [ "$rc" -le 2 ] && $PY tests/validate-schema.py schema/vfcap-report.schema.json "$TMP/live.json" >"$TMP/v" 2>&1; then
	pass "live host: exit $rc, schema-valid report"
else
	cat "$TMP/v" >>"$TMP/live.err" 2>/dev/null
	fail "live host: exit $rc" "$TMP/live.err"
fi
