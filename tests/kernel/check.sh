# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Kernel rig tests, sourced by tests/run.sh and tests/kernel/run.sh (which provide pass, fail,
# $TMP, $PY, $PLAIN). Download, module build, initramfs and boot are tests of their own: a
# failure there is a FAIL with the reason, never a skip. VFCAP_REGEN_KERNEL=1 (make regen-kernel)
# copies the kernel's raw replies for a few VF counts into tests/fixtures/netlink/kernel/; a
# switch of its own because every boot's bytes differ (sequence numbers), unlike make regen's.
source tests/kernel/rig.sh
source tests/kernel/rig-igb.sh

KWORK=$TMP/kernel
KFIXTURES=tests/fixtures/netlink/kernel
KREGEN_COUNTS="4 64 221 222 256"

kernel_step() { # name function args...
	local name=$1 t0=$SECONDS
	shift
	if "$@"; then
		pass "kernel rig: $name ($((SECONDS - t0)) s)"
		KTIMES="$KTIMES $name $((SECONDS - t0))s"
	else
		fail "kernel rig: $name: $RIG_ERR"
		return 1
	fi
}

# kernel_verdicts SCRIPT OUTDIR [ARGS...]: run tests/kernel/SCRIPT on a guest's output; its
# "ok NAME" / "not ok NAME: why" lines become pass/fail, anything else (a traceback) a failure
kernel_verdicts() {
	local script=$1 dir=$2 line out
	shift 2
	out=$($PY "tests/kernel/$script" "$@" "$dir" 2>&1)
	[ -n "$out" ] || { fail "kernel rig: $script printed nothing"; return; }
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "${line#ok }" ;;
		"not ok "*) fail "${line#not ok }" ;;
		*) fail "kernel rig: $script: $line" ;;
		esac
	done <<<"$out"
}

kernel_results() {
	kernel_verdicts check.py "$KWORK/out" check
	if $PY tests/validate-schema.py schema/vfcap-report.schema.json "$KWORK"/out/*/report*.json >"$TMP/kschema" 2>&1; then
		pass "kernel rig: guest reports match the schema"
	else
		fail "kernel rig: guest reports do not match the schema" "$TMP/kschema"
	fi
	local n
	[ "${VFCAP_REGEN_KERNEL:-}" = 1 ] || return 0
	mkdir -p "$KFIXTURES"
	for n in $KREGEN_COUNTS; do cp "$KWORK/out/$n/netlink.bin" "$KFIXTURES/vfs$n.bin"; done
	printf 'kernel %s (Debian %s), netdevsim PF %s, RTEXT_FILTER_VF; plan: tests/kernel/check.py plan\n' \
		"$(cat "$KWORK/out/uname")" "$KVER" "$(cat "$KWORK/out/pf")" >"$KFIXTURES/SOURCE"
}

# The igb guest: its checks print three groups (check-igb.py): the rig's facts, the reporter's
# long-standing fields, issue 17's fields.
kernel_igb() {
	local w=$KWORK/igb
	mkdir -p "$w"
	kernel_step "igb: qemu resolve" rig_qemu_resolve &&
		kernel_step "igb: qemu $QVER download" rig_qemu_download &&
		kernel_step "igb: qemu extract" rig_qemu_extract &&
		kernel_step "igb: initramfs" rig_igb_initramfs "$w" "$PLAIN/vfcap-report" &&
		kernel_step "igb: boot and guest run" rig_igb_boot "$w" || return 0
	kernel_verdicts check-igb.py "$w/out"
	kernel_verdicts check.py "$w/out" watch-igb
	if $PY tests/validate-schema.py schema/vfcap-report.schema.json "$w"/out/report-*.json >"$TMP/kschema-igb" 2>&1; then
		pass "kernel rig: igb guest reports match the schema"
	else
		fail "kernel rig: igb guest reports do not match the schema" "$TMP/kschema-igb"
	fi
}

kernel_netdevsim() {
	$PY tests/kernel/check.py plan 4,64,220,221,222,256,512 >"$KWORK/plan" || { fail "kernel rig: plan"; return; }
	kernel_step "netdevsim module build" rig_build_module &&
		kernel_step "initramfs" rig_initramfs "$KWORK" "$PLAIN/vfcap-report" "$KWORK/plan" &&
		kernel_step "boot and guest run" rig_boot "$KWORK" || return 0
	kernel_results
}

kernel_rig() {
	local t0=$SECONDS t1
	KTIMES=""
	mkdir -p "$KWORK"
	kernel_step "resolve $(apt-cache policy linux-image-amd64 2>/dev/null | sed -n 's/ *Candidate: //p')" rig_resolve &&
		kernel_step "download" rig_download &&
		kernel_step "extract" rig_extract || return 0
	t1=$SECONDS
	kernel_netdevsim
	KTIMES="$KTIMES netdevsim-guest $((SECONDS - t1))s"
	t1=$SECONDS
	kernel_igb
	KTIMES="$KTIMES igb-guest $((SECONDS - t1))s"
	echo "kernel rig timings:$KTIMES total $((SECONDS - t0))s"
}

kernel_rig
