# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Golden cases of vfcap-hook, sourced by tests/run.sh. Each tests/hook/<case>/ holds:
#   point            the hook point (--hook-point)
#   env              KEY=VALUE lines (custom properties, vmId), optional
#   payload.xml|json the payload VDSM would write ($_hook_domxml / $_hook_json), or
#   payload.sh       a script printing it (the 5 MB domain is generated, not committed)
#   config           extra [vfcap] lines for the case's config, optional
#   host             fixture host (tests/fixtures/hosts/<host>) for sysfs, netlink and the
#                    libvirt test driver; default intel64
#   ledger           reservations present before the run, optional ("vm mac age-seconds")
#   expected.payload the payload afterwards (absent: must be byte-identical to the input);
#                    expected.sha256 instead for generated payloads
#   expected.exit, expected.stderr (PAYLOAD stands for the payload's path), expected.ledger
#                    (vm and mac of each reservation afterwards), optional; a case that exits
#                    non-zero must print exactly one line, the reason (VDSM shows it)
#   beside           other hooks in the hook point's directory, one "NAME [MODE]" a line
#                    (mode 755 unless given): the binary then runs as HOOKS/50_vfcap, a symlink
#                    in that directory, as VDSM runs it (HOOKS in expected.stderr), optional
#   plain-only       run the plain binary instead of the ASan one first (cases about loading
#                    libvirt lazily: the sanitizer build maps it at start, see the Makefile)
# The ASan+UBSan binary runs every case; the plain one runs it again under valgrind.
# VFCAP_REGEN=1 rewrites the expected files.

hook_config() { # case-dir host run-dir
	local h=$TOP/tests/fixtures/hosts/$2 k v
	echo "[vfcap]"
	# the fixture's sources, unless the case's config sets the key itself
	while read -r k v; do
		grep -q "^$k *=" "$1/config" 2>/dev/null || echo "$k = $v"
	done <<-EOF
		hostname $2
		sysfs_root $h/sysfs
		netlink_file $h/netlink.bin
		libvirt_uri test://$h/libvirt.xml
		run_dir $3
	EOF
	# a host's own /proc and /run/netns when it has them (tests/fixtures/hosts/mixed)
	[ -d "$h/proc" ] && echo "proc_root = $h/proc"
	[ -d "$h/netns" ] && echo "netns_root = $h/netns"
	[ -f "$1/config" ] && cat "$1/config"
	# the fixture's [pf] sections (reservations, fabrics)
	sed -n '/^\[pf /,$p' "$h/vfcap.conf"
}

hook_ledger_in() { # case-dir run-dir
	mkdir -p "$2"
	[ -f "$1/ledger" ] || return 0
	local now vm mac age
	now=$(date +%s)
	{
		echo "# vfcap reservations v1"
		while read -r vm mac age; do echo "$vm $mac $((now - age))"; done <"$1/ledger"
	} >"$2/reservations"
}

hook_input() { # case-dir -> path of the input payload
	if [ -f "$1/payload.sh" ]; then
		[ -f "$TMP/hook-gen-$(basename "$1")" ] || sh "$1/payload.sh" >"$TMP/hook-gen-$(basename "$1")"
		echo "$TMP/hook-gen-$(basename "$1")"
	else
		ls "$1"/payload.xml "$1"/payload.json 2>/dev/null | head -1
	fi
}

# beside: a hook directory holding the binary as 50_vfcap and the case's other hooks; prints the
# command (BINARY's last word replaced by that 50_vfcap), else BINARY as it is
hook_beside() { # binary case-dir work-dir
	[ -f "$2/beside" ] || { echo "$1"; return; }
	local hd name mode pre=""
	hd=$3/hooks/$(cat "$2/point")
	mkdir -p "$hd" && ln -s "$TOP/${1##* }" "$hd/50_vfcap"
	while read -r name mode; do
		printf '#!/bin/sh\nexit 0\n' >"$hd/$name" && chmod "${mode:-755}" "$hd/$name"
	done <"$2/beside"
	case $1 in *" "*) pre="${1% *} " ;; esac
	echo "$pre$hd/50_vfcap"
}

hook_run() { # binary case-dir work-dir -> exit code; stderr in work/err
	local c=$2 w=$3 var=_hook_domxml payload bin
	payload=$(hook_input "$c")
	[ "${payload##*.}" = json ] && var=_hook_json
	rm -rf "$w" && mkdir -p "$w"
	cp "$payload" "$w/payload"
	hook_config "$c" "$(cat "$c/host" 2>/dev/null || echo intel64)" "$w/run" >"$w/vfcap.conf"
	hook_ledger_in "$c" "$w/run"
	local -a envs=()
	[ -f "$c/env" ] && mapfile -t envs <"$c/env"
	bin=$(hook_beside "$1" "$c" "$w")
	env -i PATH=/usr/bin:/bin ASAN_OPTIONS="$ASAN_OPTIONS" LSAN_OPTIONS="$LSAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
		VFCAP_CONFIG="$w/vfcap.conf" "$var=$w/payload" "${envs[@]}" \
		$bin --hook-point "$(cat "$c/point")" 2>"$w/err.raw"
	local rc=$?
	sed -e "s|$w/payload|PAYLOAD|g" -e "s|$w/hooks/[a-z_]*/|HOOKS/|g" "$w/err.raw" >"$w/err"
	return $rc
}

hook_ledger_out() { # work-dir
	[ -f "$1/run/reservations" ] && grep -v '^#' "$1/run/reservations" | cut -d' ' -f1,2
}

hook_case() { # case-dir
	local c=$1 name w=$TMP/hook rc=0
	name=hook/$(basename "$c")
	# plain-only: cases about loading libvirt lazily, which the sanitizer build does not do
	local first=$ASAN/vfcap-hook
	[ -f "$c/plain-only" ] && first=$PLAIN/vfcap-hook
	hook_run "$first" "$c" "$w" || rc=$?
	if [ "${VFCAP_REGEN:-0}" = 1 ]; then
		echo "$rc" >"$c/expected.exit"
		cp "$w/err" "$c/expected.stderr"
		rm -f "$c/expected.payload" "$c/expected.sha256"
		if [ -f "$c/payload.sh" ]; then
			sha256sum <"$w/payload" | cut -d' ' -f1 >"$c/expected.sha256"
		elif ! cmp -s "$w/payload" "$(hook_input "$c")"; then
			cp "$w/payload" "$c/expected.payload"
		fi
		if hook_ledger_out "$w" >"$c/expected.ledger" && [ -s "$c/expected.ledger" ]; then :; else rm -f "$c/expected.ledger"; fi
	fi
	local want_payload=$c/expected.payload
	[ -f "$want_payload" ] || want_payload=$(hook_input "$c")
	if [ -f "$c/expected.sha256" ]; then
		want_payload=$TMP/hook-want
		[ "$(sha256sum <"$w/payload" | cut -d' ' -f1)" = "$(cat "$c/expected.sha256")" ] && cp "$w/payload" "$want_payload" || echo mismatch >"$want_payload"
	fi
	local want_ledger=/dev/null
	[ -f "$c/expected.ledger" ] && want_ledger=$c/expected.ledger
	if [ "$rc" != "$(cat "$c/expected.exit")" ]; then
		fail "$name: exit $rc, expected $(cat "$c/expected.exit")" "$w/err"
	elif [ "$rc" != 0 ] && [ "$(wc -l <"$w/err")" != 1 ]; then
		fail "$name: exit $rc with $(wc -l <"$w/err") lines on stderr; a failure is one line, the reason" "$w/err"
	elif ! cmp -s "$w/payload" "$want_payload"; then
		diff "$want_payload" "$w/payload" >"$w/diff" 2>&1
		fail "$name: payload differs" "$w/diff"
	elif ! diff "$c/expected.stderr" "$w/err" >"$w/diff" 2>&1; then
		fail "$name: stderr differs" "$w/diff"
	elif ! diff "$want_ledger" <(hook_ledger_out "$w") >"$w/diff" 2>&1; then
		fail "$name: ledger differs" "$w/diff"
	elif [ -f "$c/expected.payload" ] && [ "$(cat "$c/point")" = after_get_caps ] &&
		! $PY tests/validate-schema.py schema/vfcap-caps.schema.json "$w/payload" >"$w/diff" 2>&1; then
		fail "$name: caps do not match schema/vfcap-caps.schema.json" "$w/diff"
	else
		pass "$name"
	fi
	rc=0
	hook_run "$VALGRIND $PLAIN/vfcap-hook" "$c" "$w" || rc=$?
	if [ "$rc" -le 2 ] && cmp -s "$w/payload" "$want_payload"; then
		pass "$name: valgrind clean, same payload"
	else
		fail "$name: valgrind (exit $rc)" "$w/err"
	fi
}

for c in tests/hook/*/; do
	hook_case "${c%/}"
done

# Installed as 50_vfcap in VDSM's hook directories, the hook point is the directory's name.
mkdir -p "$TMP/hooks/before_vm_start" && ln -sf "$TOP/$PLAIN/vfcap-hook" "$TMP/hooks/before_vm_start/50_vfcap"
if env -i vmfex=Profile1 "$TMP/hooks/before_vm_start/50_vfcap" 2>"$TMP/hp.err"; then rc=0; else rc=$?; fi
if [ "$rc" = 2 ] && grep -qx 'vfcap-hook: before_vm_start: $_hook_domxml is not set (vfcap-hook is run by VDSM)' "$TMP/hp.err"; then
	pass "hook: the hook point comes from the directory it is run from"
else
	fail "hook: hook point from argv[0] (exit $rc)" "$TMP/hp.err"
fi

# libvirt SASL credentials (VDSM's vdsm@ovirt): handed over through virConnectOpenAuth when the
# daemon asks (the test driver never asks, so the run must still succeed), and the password
# file must be owner-only.
hook_auth() { # mode-of-password-file -> exit code; stderr in $TMP/auth/err
	local a=$TMP/auth
	rm -rf "$a" && mkdir -p "$a"
	printf 's3cret\n' >"$a/libvirt_password" && chmod "$1" "$a/libvirt_password"
	# right below [vfcap]: the fixture's [pf] sections follow
	hook_config tests/hook/seed-vmfex-device intel64 "$a/run" |
		sed "1a libvirt_auth_user = vdsm@ovirt\nlibvirt_password_file = $a/libvirt_password" >"$a/vfcap.conf"
	cp tests/hook/seed-vmfex-device/payload.xml "$a/payload"
	env -i PATH=/usr/bin:/bin ASAN_OPTIONS="$ASAN_OPTIONS" VFCAP_CONFIG="$a/vfcap.conf" _hook_domxml="$a/payload" \
		vmId=5e1f7c2a-8a2b-4c3d-9e4f-0a1b2c3d4e5f vmfex=Profile1 \
		"$ASAN/vfcap-hook" --hook-point before_device_create 2>"$a/err"
}
if hook_auth 600 && cmp -s "$TMP/auth/payload" tests/hook/seed-vmfex-device/expected.payload; then
	pass "hook: libvirt_auth_user with an owner-only password file connects (virConnectOpenAuth)"
else
	fail "hook: libvirt_auth_user (exit $?)" "$TMP/auth/err"
fi
if hook_auth 644; rc=$? && [ $rc = 2 ] && grep -q "libvirt_password: holds libvirt's SASL password.*mode 0644" "$TMP/auth/err" &&
	cmp -s "$TMP/auth/payload" tests/hook/seed-vmfex-device/payload.xml; then
	pass "hook: a libvirt password file readable by others is refused (exit 2, payload intact)"
else
	fail "hook: group/world-readable libvirt password file (exit $rc)" "$TMP/auth/err"
fi
