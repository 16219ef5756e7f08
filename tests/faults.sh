# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2086,SC2010,SC2046,SC2012 # "set -- $at" splits "SYSCALL N" on purpose; ls | grep on temp names
# Fault injection into the real binaries (sourced by tests/run.sh): strace's syscall tampering
# (-e inject=SYSCALL:error=|signal=|delay_enter=:when=N) and a real libvirtd stopped mid-run; no
# test hook in the production code. The plain build only: ptrace and ASan's LeakSanitizer do not
# mix. Where a fault must hit one particular call (the rename onto the output, the read of one
# VF's sysfs entry), a dry run under strace finds its ordinal first (strace counts each syscall
# separately), so the cases do not depend on how many calls come before it.
# Uses TOP, TMP, PLAIN, PY and pass/fail from tests/lib-results.sh; tests/faults/ holds helpers.
source tests/lib-libvirtd.sh
trap 'libvirtd_stop; rm -rf "$TMP"' EXIT
FZ=$TMP/faults
FZ_I64=$TOP/tests/fixtures/hosts/intel64
FZ_SCHEMA=$TOP/schema/vfcap-report.schema.json
fz_tried=0 # faults injected, over all cases
mkdir -p "$FZ"

# fz_strace TRACE INJECT... -- FUNCTION ARGS...: FUNCTION (fz_report, fz_live, fz_hook: they
# put "${FZ_PRE[@]}" before their binary) under strace -f, one -e inject= per INJECT; the call
# log in $FZ/strace.log, the exit code in $FZ/rc (137 when the fault was SIGKILL: strace dies of
# its tracee's signal). Run it in a subshell with stderr to /dev/null, or the shell reports
# "Killed".
FZ_PRE=()
fz_strace() {
	local trace=$1
	rm -f "$FZ/check" "$FZ/v"
	FZ_PRE=(/usr/bin/strace -f -qq -o "$FZ/strace.log" -e "trace=$trace")
	shift
	while [ "$1" != -- ]; do
		FZ_PRE+=(-e "inject=$1")
		shift
	done
	shift
	"$@"
	echo $? >"$FZ/rc"
	FZ_PRE=()
}

# fz_nth LOG SYSCALLS REGEX [K]: "SYSCALL N" for the Kth (default first) call in LOG to one of
# SYSCALLS (a|b|c) whose line matches REGEX, N its ordinal among calls to the same syscall by
# the same thread (strace counts inject's when= per thread: the libvirt read runs in its own);
# empty if none.
fz_nth() {
	awk -v re="$3" -v names="^($2)\$" -v k="${4:-1}" '
		{ tid = $1; line = $0; sub(/^[0-9]+ +/, "", line); name = line; sub(/\(.*/, "", name) }
		name ~ names { n[tid, name]++; if (line ~ re && ++hit == k) { print name, n[tid, name]; exit } }' "$1"
}

fz_valid() { $PY tests/validate-schema.py "$FZ_SCHEMA" "$1" >"$FZ/v" 2>&1; }
fz_check() { rm -f "$FZ/check"; $PY tests/faults/check.py "$@" >"$FZ/check" 2>&1; }

# fz_report SYSFS-ROOT ARGS...: the plain reporter on the intel64 fixture's netlink, libvirt
# and config, with the sysfs tree given (the fixture's own, or a copy)
fz_report() {
	local root=$1
	shift
	"${FZ_PRE[@]}" "$TOP/$PLAIN/vfcap-report" --sysfs-root "$root" --netlink-file "$FZ_I64/netlink.bin" \
		--libvirt-uri "test://$FZ_I64/libvirt.xml" --config "$FZ_I64/vfcap.conf" "$@"
}

# --- 1. killed between writing and renaming ---------------------------------------------------

# fz_kill_rename NAME FORMAT FILE: FILE holds an old valid report; a new run is SIGKILLed on the
# rename onto FILE. FILE must be the old report, whole; a later run must not trip over what the
# killed one left behind.
fz_kill_rename() {
	local name=$1 fmt=$2 out=$3 d
	d=$(dirname "$out")
	rm -rf "$d" && mkdir -p "$d"
	SOURCE_DATE_EPOCH=1700000000 fz_report "$FZ_I64/sysfs" --format "$fmt" --output "$out" 2>"$FZ/err"
	cp "$out" "$FZ/old"
	# dry run: which rename call, and which ordinal, puts the file in place
	(fz_strace rename,renameat,renameat2 -- fz_report "$FZ_I64/sysfs" --format "$fmt" --output "$out" >/dev/null 2>&1) 2>/dev/null
	local at
	at=$(fz_nth "$FZ/strace.log" 'rename|renameat|renameat2' "\"$out\"")
	cp "$FZ/old" "$out"
	if [ -z "$at" ]; then
		fail "fault: $name: no rename onto the output seen" "$FZ/strace.log"
		return
	fi
	set -- $at
	fz_tried=$((fz_tried + 1))
	(SOURCE_DATE_EPOCH=1800000000 fz_strace "$1" "$1:signal=KILL:when=$2" -- \
		fz_report "$FZ_I64/sysfs" --format "$fmt" --output "$out" >"$FZ/out" 2>"$FZ/err") 2>/dev/null
	local rc left valid=yes
	rc=$(cat "$FZ/rc")
	left=$(cd "$d" && ls -A | grep -vx "$(basename "$out")" | tr '\n' ' ')
	[ "$fmt" = json ] && ! fz_valid "$out" && valid=no
	if [ "$rc" = 137 ] && cmp -s "$out" "$FZ/old" && [ "$valid" = yes ]; then
		pass "fault: $name: SIGKILL at $1 #$2 onto the output: old report kept whole (left behind: ${left:-nothing})"
	else
		{ echo "exit $rc, schema-valid $valid, left: $left"; diff "$FZ/old" "$out" | head; cat "$FZ/v"; } >"$FZ/msg"
		fail "fault: $name: SIGKILL at the rename: old report kept" "$FZ/msg"
	fi
	case $left in *.prom\ *) fail "fault: $name: a leftover named *.prom would be scraped: $left" ;; esac
	# the next run, with the leftover still there, made 2 h old: it goes (VF_STALE_TEMP_SECS)
	rc=0
	(cd "$d" && touch -d '2 hours ago' -- $left)
	SOURCE_DATE_EPOCH=1800000000 fz_report "$FZ_I64/sysfs" --format "$fmt" --output "$out" 2>"$FZ/err" || rc=$?
	valid=yes
	[ "$fmt" = json ] && ! fz_valid "$out" && valid=no
	left=$(cd "$d" && ls -A | grep -vx "$(basename "$out")" | tr '\n' ' ')
	if [ "$rc" = 0 ] && ! cmp -s "$out" "$FZ/old" && [ "$valid" = yes ] && [ -z "$left" ]; then
		pass "fault: $name: the next run replaces the report and removes the killed run's temp file (2 h old)"
	else
		echo "exit $rc, schema-valid $valid, left: $left" >>"$FZ/err"
		fail "fault: $name: the next run after a kill" "$FZ/err"
	fi
}
fz_kill_rename "report --output" json "$FZ/out1/report.json"
fz_kill_rename "report --output textfile" prometheus "$FZ/out2/vfcap.prom"

# fz_write_fails SYSCALL ERRNO: the temp file cannot be completed: exit 3 (output could not be
# written), the old report whole, no temp file left
fz_write_fails() {
	local out=$FZ/out3/report.json
	rm -rf "$FZ/out3" && mkdir -p "$FZ/out3"
	SOURCE_DATE_EPOCH=1700000000 fz_report "$FZ_I64/sysfs" --output "$out" 2>"$FZ/err"
	cp "$out" "$FZ/old"
	fz_tried=$((fz_tried + 1))
	(SOURCE_DATE_EPOCH=1800000000 fz_strace "$1" "$1:error=$2:when=1" -- \
		fz_report "$FZ_I64/sysfs" --output "$out" >"$FZ/out" 2>"$FZ/err") 2>/dev/null
	local rc left
	rc=$(cat "$FZ/rc")
	left=$(ls -A "$FZ/out3" | grep -vx report.json | tr '\n' ' ')
	if [ "$rc" = 3 ] && cmp -s "$out" "$FZ/old" && [ -z "$left" ] && [ "$(wc -l <"$FZ/err")" = 1 ]; then
		pass "fault: report --output, $1 fails with $2: exit 3, old report kept, no temp left: $(cat "$FZ/err")"
	else
		echo "exit $rc, left: $left" >>"$FZ/err"
		fail "fault: report --output, $1 fails with $2" "$FZ/err"
	fi
}
fz_write_fails fsync EIO
fz_write_fails rename EACCES

# The hook's payload (and its ledger) the same way: a before_device_create vmfex run on the
# intel64 fixture (test driver), SIGKILLed at the rename onto the payload or onto the ledger.
fz_hook_conf() { # run-dir libvirt-uri
	cat <<-EOF
	[vfcap]
	hostname = intel64
	sysfs_root = $FZ_I64/sysfs
	netlink_file = $FZ_I64/netlink.bin
	libvirt_uri = $2
	run_dir = $1
	[pf ens1f0]
	reserved = ${FZ_RESERVED:-30-31}
	EOF
}

# fz_hook WORK-DIR VMID MAC POINT: the plain hook on WORK-DIR/payload (a bridge vNIC, vmfex)
fz_hook() {
	env -i PATH=/usr/bin:/bin VFCAP_CONFIG="$1/vfcap.conf" _hook_domxml="$1/payload" vmId="$2" vmfex=Profile1 \
		"${FZ_PRE[@]}" "$TOP/$PLAIN/vfcap-hook" --hook-point "$4"
}

fz_hook_prepare() { # work-dir mac libvirt-uri
	rm -rf "$1" && mkdir -p "$1/run"
	printf '<interface type="bridge"><mac address="%s"/><model type="virtio"/><source bridge="ovirtmgmt"/></interface>\n' \
		"$2" >"$1/payload"
	fz_hook_conf "$1/run" "$3" >"$1/vfcap.conf"
	{
		echo "# vfcap reservations v1"
		echo "vm-old 52:54:00:00:00:01 $(date +%s)"
	} >"$1/run/reservations"
	cp "$1/payload" "$1/payload.orig"
	cp "$1/run/reservations" "$1/reservations.orig"
}

# the ledger must parse: its header, then "VM MAC EPOCH" lines
fz_ledger_ok() {
	head -1 "$1" | grep -qx '# vfcap reservations v1' &&
		! grep -v '^#' "$1" | grep -Evq '^[A-Za-z0-9._:-]+ ([0-9a-f]{2}:){5}[0-9a-f]{2} [0-9]+$'
}

fz_hook_kill() { # what: payload|reservations
	local w=$FZ/hook-$1 target
	target=$w/payload
	[ "$1" = reservations ] && target=$w/run/reservations
	fz_hook_prepare "$w" 00:1a:4a:16:01:b0 "test://$FZ_I64/libvirt.xml"
	(fz_strace rename,renameat,renameat2 -- fz_hook "$w" vm-new 00:1a:4a:16:01:b0 before_device_create >/dev/null 2>&1) 2>/dev/null
	local at
	at=$(fz_nth "$FZ/strace.log" 'rename|renameat|renameat2' "\"$target\"")
	if [ "$(cat "$FZ/rc")" != 0 ] || [ -z "$at" ]; then
		fail "fault: hook: dry run did not rename onto $1 (exit $(cat "$FZ/rc"))" "$FZ/strace.log"
		return
	fi
	fz_hook_prepare "$w" 00:1a:4a:16:01:b0 "test://$FZ_I64/libvirt.xml"
	set -- "$1" $at
	fz_tried=$((fz_tried + 1))
	(fz_strace "$2" "$2:signal=KILL:when=$3" -- fz_hook "$w" vm-new 00:1a:4a:16:01:b0 before_device_create \
		>/dev/null 2>"$FZ/err") 2>/dev/null
	local rc left
	rc=$(cat "$FZ/rc")
	left=$(cd "$w" && ls -A . run | grep -E '^(payload|reservations)\.' | grep -v "\.orig$" | tr '\n' ' ')
	if [ "$rc" = 137 ] && cmp -s "$w/payload" "$w/payload.orig" && fz_ledger_ok "$w/run/reservations" &&
		{ [ "$1" = payload ] || cmp -s "$w/run/reservations" "$w/reservations.orig"; }; then
		pass "fault: hook before_device_create: SIGKILL at $2 #$3 onto the $1: payload intact, ledger parseable (left behind: ${left:-nothing}; ledger: $(grep -vc '^#' "$w/run/reservations") reservations)"
	else
		{ echo "exit $rc, left: $left"; diff "$w/payload.orig" "$w/payload"; cat "$w/run/reservations"; } >"$FZ/msg"
		fail "fault: hook: SIGKILL at the rename onto the $1" "$FZ/msg"
	fi
}
fz_hook_kill payload
fz_hook_kill reservations

# The payload cannot be replaced (rename fails with EACCES): exit 2 with one line, the payload
# intact, and no reservation left for the request that failed
fz_hook_wfail() {
	local w=$FZ/hook-wfail at rc
	fz_hook_prepare "$w" 00:1a:4a:16:01:b0 "test://$FZ_I64/libvirt.xml"
	(fz_strace rename,renameat,renameat2 -- fz_hook "$w" vm-new 00:1a:4a:16:01:b0 before_device_create >/dev/null 2>&1) 2>/dev/null
	at=$(fz_nth "$FZ/strace.log" 'rename|renameat|renameat2' "\"$w/payload\"")
	fz_hook_prepare "$w" 00:1a:4a:16:01:b0 "test://$FZ_I64/libvirt.xml"
	set -- $at
	fz_tried=$((fz_tried + 1))
	(fz_strace "$1" "$1:error=EACCES:when=$2" -- fz_hook "$w" vm-new 00:1a:4a:16:01:b0 before_device_create \
		>/dev/null 2>"$FZ/err") 2>/dev/null
	rc=$(cat "$FZ/rc")
	# (the fixture's pool differs from the computed one: the hook's drift note comes first)
	if [ "$rc" = 2 ] && [ "$(grep -vc ' is in use (' "$FZ/err")" = 1 ] && cmp -s "$w/payload" "$w/payload.orig" &&
		fz_ledger_ok "$w/run/reservations" && ! grep -q '^vm-new ' "$w/run/reservations"; then
		pass "fault: hook before_device_create, the payload's rename fails (EACCES): exit 2, payload intact, no reservation kept: $(grep -v ' is in use (' "$FZ/err")"
	else
		{ echo "exit $rc"; cat "$FZ/err" "$w/run/reservations"; } >"$FZ/msg"
		fail "fault: hook, the payload's rename fails: exit 2 with one line, payload intact, no reservation kept for it" "$FZ/msg"
	fi
}
fz_hook_wfail

# --- 2. netlink: EINTR, ENOBUFS, errors, an NLMSG_ERROR from the kernel ---------------------------
# The live path (no --netlink-file) on a copy of intel64's sysfs whose PFs have ifindexes this
# machine does not have: the real kernel answers each RTM_GETLINK with NLMSG_ERROR (ENODEV), then
# the RTM_GETADDR dump is real. Per datagram libnl peeks (recvmsg #1) and then reads (#2).
FZ_NL=$FZ/nl-sysfs
cp -a "$FZ_I64/sysfs" "$FZ_NL"
echo 99999 >"$FZ_NL/devices/pci0000:00/0000:00:02.0/0000:03:00.0/net/ens1f0/ifindex"
echo 99998 >"$FZ_NL/devices/pci0000:00/0000:00:02.0/0000:03:00.1/net/ens1f1/ifindex"
fz_live() { # the reporter on FZ_NL with this machine's netlink
	"${FZ_PRE[@]}" "$TOP/$PLAIN/vfcap-report" --sysfs-root "$FZ_NL" --libvirt-uri "test://$FZ_I64/libvirt.xml" \
		--config "$FZ_I64/vfcap.conf"
}
rc=0
fz_live >"$FZ/nl-base.json" 2>"$FZ/nl-base.err" || rc=$?
if [ "$rc" = 2 ] && fz_valid "$FZ/nl-base.json" && fz_check "$FZ/nl-base.json" pf-error ens1f0 netlink &&
	grep -q 'kernel answered: No such device' "$FZ/check"; then
	pass "fault: live netlink, kernel NLMSG_ERROR (ENODEV) for the PF: exit 2, reported under the PF: $(cat "$FZ/check")"
else
	{ echo "exit $rc"; cat "$FZ/nl-base.err" "$FZ/check" "$FZ/v"; } >"$FZ/msg"
	fail "fault: live netlink, kernel NLMSG_ERROR for the PF" "$FZ/msg"
fi

# fz_nl NAME INJECT EXPECT [WHY]: EXPECT "same" (retried: the report equals the undisturbed one)
# or "PF" (that PF's netlink failed: exit 2, an error naming netlink and the PF, counts null) or
# "addr" (the address dump failed: exit 2, a netlink error); the error ends with WHY (the
# injected errno's text).
fz_nl() {
	local name=$1 inj=$2 want=$3 why=${4:-} rc ok=no
	fz_tried=$((fz_tried + 1))
	(fz_strace sendmsg,recvmsg,sendto,recvfrom "$inj" -- fz_live >"$FZ/out" 2>"$FZ/err") 2>/dev/null
	rc=$(cat "$FZ/rc")
	if [ "$rc" -le 3 ] && fz_valid "$FZ/out" && ! grep -qv '^vfcap-report: warning: netlink: ' "$FZ/err"; then
		case $want in
		same) cmp -s "$FZ/out" "$FZ/nl-base.json" && [ "$rc" = 2 ] && ok=yes ;;
		addr) [ "$rc" = 2 ] && grep -q "netlink: netlink: RTM_GETADDR dump failed: $why\$" "$FZ/err" && ok=yes ;;
		*) [ "$rc" = 2 ] && fz_check "$FZ/out" pf-error "$want" netlink &&
			grep -q "^vfcap-report: warning: netlink: netlink $want: .*$why\$" "$FZ/err" && ok=yes ;;
		esac
	fi
	if [ $ok = yes ]; then
		pass "fault: live netlink, $name ($inj): exit $rc, $(case $want in same) echo "retried, same report" ;; *) grep -v 'No such device' "$FZ/err" | head -1 ;; esac)"
	else
		{ echo "exit $rc"; cat "$FZ/err" "$FZ/v" "$FZ/check" 2>/dev/null; } >"$FZ/msg"
		fail "fault: live netlink, $name ($inj)" "$FZ/msg"
	fi
}
fz_nl "EINTR on the first recvmsg (peek)" recvmsg:error=EINTR:when=1 same
fz_nl "EINTR on the first read" recvmsg:error=EINTR:when=2 same
fz_nl "EINTR on the address dump's read" recvmsg:error=EINTR:when=6 same
fz_nl "EINTR on the first sendmsg" sendmsg:error=EINTR:when=1 same
fz_nl "EINTR on the address dump's sendmsg" sendmsg:error=EINTR:when=3 same
fz_nl "ENOBUFS on the first recvmsg" recvmsg:error=ENOBUFS:when=1 ens1f0 "No buffer space available"
fz_nl "ENOBUFS on the second PF's reply" recvmsg:error=ENOBUFS:when=4 ens1f1 "No buffer space available"
fz_nl "ENOBUFS on the address dump" recvmsg:error=ENOBUFS:when=6 addr "No buffer space available"
fz_nl "ENOBUFS on the first sendmsg" sendmsg:error=ENOBUFS:when=1 ens1f0 "No buffer space available"
fz_nl "EPERM on the address dump's sendmsg" sendmsg:error=EPERM:when=3 addr "Operation not permitted"
fz_nl "ECONNREFUSED on every recvmsg" recvmsg:error=ECONNREFUSED:when=1+ ens1f0 "Connection refused"

# An NLMSG_ERROR in a recorded file (--netlink-file): intel64's replies with ens1f0's RTM_NEWLINK
# replaced by the kernel's ENODEV answer (mknlmsg has no syntax for one: tests/faults/nlerror.py)
"$TOP/$PLAIN/tools/mknlmsg" "$FZ_I64/netlink.spec" "$FZ/nl-all.bin"
$PY tests/faults/nlerror.py "$FZ/nl-all.bin" ens1f0 "$FZ/nl-err.bin" >"$FZ/msg" 2>&1
fz_tried=$((fz_tried + 1))
rc=0
"$TOP/$PLAIN/vfcap-report" --sysfs-root "$FZ_I64/sysfs" --netlink-file "$FZ/nl-err.bin" \
	--libvirt-uri "test://$FZ_I64/libvirt.xml" --config "$FZ_I64/vfcap.conf" >"$FZ/out" 2>"$FZ/err" || rc=$?
if [ "$rc" = 2 ] && fz_valid "$FZ/out" && fz_check "$FZ/out" pf-error ens1f0 netlink &&
	grep -q 'kernel answered: No such device' "$FZ/err"; then
	pass "fault: recorded netlink with an NLMSG_ERROR in place of the PF's reply: exit 2, PF counts null: $(tr '\n' ' ' <"$FZ/err")"
else
	{ echo "exit $rc"; cat "$FZ/msg" "$FZ/err" "$FZ/check" "$FZ/v"; } >"$FZ/msg2"
	fail "fault: recorded netlink with an NLMSG_ERROR" "$FZ/msg2"
fi

# --- 3. sysfs entries vanishing mid-scan -------------------------------------------------------
# A copy of intel64's sysfs (its links are relative and must resolve inside the copy). VF 13 of
# ens1f0 (0000:03:13.2, netdev ens1f0v13, bound to ixgbevf) is free when nothing happens to it.
FZ_SYS=$FZ/sysfs
FZ_PFDIR=devices/pci0000:00/0000:00:02.0/0000:03:00.0
fz_sysfs_copy() {
	rm -rf "$FZ_SYS"
	cp -a "$FZ_I64/sysfs" "$FZ_SYS"
	[ "$(readlink -f "$FZ_SYS/$FZ_PFDIR/virtfn13")" = "$(cd "$FZ_SYS/devices/pci0000:00/0000:00:02.0" && pwd -P)/0000:03:13.2" ] &&
		[ -d "$FZ_SYS/class/net/ens1f0v13/" ] && [ -d "$FZ_SYS/bus/pci/devices/0000:03:00.0/" ]
}
if fz_sysfs_copy; then
	pass "fault: sysfs copy: links stay relative and resolve inside the copy"
else
	fail "fault: sysfs copy does not resolve"
fi
rc=0
fz_report "$FZ_SYS" >"$FZ/sys-base.json" 2>"$FZ/err" || rc=$?
if [ "$rc" = 0 ] && ! fz_check "$FZ/sys-base.json" vf-not-free ens1f0 13; then
	pass "fault: sysfs copy, no fault: exit 0, VF 13 free"
else
	fail "fault: sysfs copy, no fault: exit $rc" "$FZ/err"
fi
# the calls that touch VF 13, from a dry run
(fz_strace openat,openat2,readlinkat,newfstatat,statx,getdents64,read -- fz_report "$FZ_SYS" >/dev/null 2>&1) 2>/dev/null
cp "$FZ/strace.log" "$FZ/sys-dry.log"

# fz_vanish NAME SPEC...: each SPEC "SYSCALL REGEX ERRNO": that syscall's first call matching
# REGEX fails with ERRNO. VF 13 must not be counted free; exit 2; the report valid.
fz_vanish() {
	local name=$1 spec at
	shift
	local -a inj=()
	local calls=""
	for spec in "$@"; do
		set -- $spec
		at=$(fz_nth "$FZ/sys-dry.log" "$1" "$2")
		if [ -z "$at" ]; then
			fail "fault: sysfs, $name: no $1 call matching $2 in the dry run"
			return
		fi
		set -- $at "$3"
		# ERRNO+: that call and every later one to the same syscall
		inj+=("$1:error=${3%+}:when=$2${3//[^+]/}")
		calls="$calls $1#$2=$3"
		fz_tried=$((fz_tried + 1))
	done
	(fz_strace openat,openat2,readlinkat,newfstatat,statx,getdents64,read "${inj[@]}" -- \
		fz_report "$FZ_SYS" >"$FZ/out" 2>"$FZ/err") 2>/dev/null
	local rc
	rc=$(cat "$FZ/rc")
	if [ "$rc" = 2 ] && fz_valid "$FZ/out" && fz_check "$FZ/out" vf-not-free ens1f0 "${FZ_VFS:-13}"; then
		pass "fault: sysfs, $name ($calls ): exit 2, $(cat "$FZ/check")"
	else
		{ echo "exit $rc"; cat "$FZ/err" "$FZ/check" "$FZ/v" 2>/dev/null; } >"$FZ/msg"
		fail "fault: sysfs, $name ($calls ): VF 13 not counted free, exit 2, valid report" "$FZ/msg"
	fi
}
FZ_VFS=13-63 fz_vanish "VFs 13-63 removed before their virtfn links are read" 'readlinkat "virtfn13" ENOENT+'
# lib/sysfs.c read_vf() checks that the VF's directory is still there after reading it (before too
# when its PF's listing did not show it as a directory) unless its net/ was listed, or a vfio-pci
# VF's enable read, through that directory; and a netdev whose ifindex vanished is an error. The
# directory gone: its driver link and net/ missing, and the check that follows finds it gone.
# Not injected: a lone ENOENT on a VF's net/ (the VF directory still there) reads as "no host
# netdev", which is what a vfio-pci VF looks like; a lone EIO on the openat2 of net/ is retried
# by the userspace resolver and recovers.
fz_vanish "VF directory gone after its virtfn link was read" \
	'readlinkat "0000:03:13.2/driver" ENOENT+' 'openat2 "0000:03:13.2/net" ENOENT+'
fz_vanish "VF's netdev gone while its ifindex is read" 'openat2 "ens1f0v13/ifindex" ENOENT'

# The real thing: the reporter is held (delay_enter) on its readlinkat of virtfn13 while the VF's
# device directory and netdev link are deleted, so the link it reads dangles.
fz_sysfs_copy
fz_tried=$((fz_tried + 1))
at=$(fz_nth "$FZ/sys-dry.log" readlinkat '"virtfn13"')
set -- $at
(fz_strace readlinkat "readlinkat:delay_enter=1500000:when=$2" -- fz_report "$FZ_SYS" >"$FZ/out" 2>"$FZ/err") 2>/dev/null &
fz_pid=$!
sleep 0.5
rm -rf "$FZ_SYS/devices/pci0000:00/0000:00:02.0/0000:03:13.2" "$FZ_SYS/class/net/ens1f0v13" \
	"$FZ_SYS/bus/pci/devices/0000:03:13.2"
wait $fz_pid
rc=$(cat "$FZ/rc")
if [ "$rc" = 2 ] && fz_valid "$FZ/out" && fz_check "$FZ/out" vf-not-free ens1f0 13 &&
	grep -Eq 'virtfn13.*= 15( \(DELAYED\))?$' "$FZ/strace.log"; then
	pass "fault: sysfs, VF 13's directory deleted while the reporter reads its virtfn link: exit 2, $(cat "$FZ/check")"
else
	{ echo "exit $rc"; cat "$FZ/err" "$FZ/check" "$FZ/v" 2>/dev/null; grep virtfn13 "$FZ/strace.log"; } >"$FZ/msg"
	fail "fault: sysfs, VF 13's directory deleted while the reporter reads its virtfn link (link left dangling): VF not counted free, exit 2, valid report" "$FZ/msg"
fi

# The same, but the VF goes whole (its virtfn13 link too), while the reporter is held on VF 12
fz_sysfs_copy
fz_tried=$((fz_tried + 1))
set -- $(fz_nth "$FZ/sys-dry.log" readlinkat '"virtfn12"')
(fz_strace readlinkat "readlinkat:delay_enter=1500000:when=$2" -- fz_report "$FZ_SYS" >"$FZ/out" 2>"$FZ/err") 2>/dev/null &
fz_pid=$!
sleep 0.5
rm -rf "$FZ_SYS/devices/pci0000:00/0000:00:02.0/0000:03:13.2" "$FZ_SYS/class/net/ens1f0v13" \
	"$FZ_SYS/bus/pci/devices/0000:03:13.2" "$FZ_SYS/$FZ_PFDIR/virtfn13"
wait $fz_pid
rc=$(cat "$FZ/rc")
if [ "$rc" = 2 ] && fz_valid "$FZ/out" && fz_check "$FZ/out" vf-not-free ens1f0 13 &&
	grep -q 'virtfn12.*(DELAYED)' "$FZ/strace.log"; then
	pass "fault: sysfs, VF 13 removed whole (link and directory) while the reporter reads VF 12: exit 2, $(cat "$FZ/check")"
else
	{ echo "exit $rc"; cat "$FZ/err" "$FZ/check" "$FZ/v" 2>/dev/null; } >"$FZ/msg"
	fail "fault: sysfs, VF 13 removed whole mid-scan: VF not counted free, exit 2, valid report" "$FZ/msg"
fi

# --- 4. libvirtd stopped in the middle of a report and of a hook run ------------------------------
# A real libvirtd (tests/lib-libvirtd.sh). A dry run finds the client's RPC writes on the libvirt
# socket; the fault run is held (delay_enter, 3 s) on one of them while libvirtd gets SIGTERM,
# or SIGSTOP (hung: it accepts and never answers; libvirt's client has no call timeout, so
# before libvirt_timeout a run waited for ever). Both binaries ignore SIGPIPE, so libvirt's
# write() to the closed socket is an error, not death (exit 141); the FZ_IGN=1 runs have the
# parent ignore it too.

# fz_rpc_write LOG K: "write N" for the Kth write to the libvirt socket in LOG (its fd from the
# connect)
fz_rpc_write() {
	local fd
	fd=$(sed -n 's/^[0-9]* *connect(\([0-9]*\), {sa_family=AF_UNIX, sun_path="[^"]*libvirt-sock.*= 0$/\1/p' "$1" | head -1)
	[ -n "$fd" ] && fz_nth "$1" 'write|writev|sendmsg' "^(write|writev|sendmsg)\\($fd, " "$2"
}

# fz_stop_libvirtd_during PID: SIGTERM libvirtd while PID (a strace'd run) is held; wait for both
fz_stop_libvirtd_during() {
	sleep 1
	kill -TERM "$LV_PID"
	wait "$LV_PID" 2>/dev/null
	LV_PID=
	wait "$1"
}

# FZ_IGN=1: run with SIGPIPE ignored by the parent (inherited over exec), to see the rest of the
# error path behind the SIGPIPE the client library's write raises (see the report)
fz_sig() { if [ "${FZ_IGN:-0}" = 1 ]; then trap '' PIPE; echo ", SIGPIPE ignored by the parent"; fi; }

fz_lv_report() {
	local out=$FZ/lv/report.json at rc
	rm -rf "$FZ/lv" && mkdir -p "$FZ/lv"
	SOURCE_DATE_EPOCH=1700000000 fz_report "$FZ_I64/sysfs" --output "$out" 2>/dev/null
	cp "$out" "$FZ/old"
	(fz_strace connect,write,writev,sendmsg -- fz_report "$FZ_I64/sysfs" --libvirt-uri "$LV_URI" --output "$out" \
		>/dev/null 2>"$FZ/err") 2>/dev/null
	cp "$FZ/old" "$out"
	at=$(fz_rpc_write "$FZ/strace.log" 5)
	if [ "$(cat "$FZ/rc")" != 0 ] || [ -z "$at" ]; then
		{ echo "exit $(cat "$FZ/rc"), RPC write: $at"; cat "$FZ/err"; } >"$FZ/msg"
		fail "fault: report, libvirtd stopped mid-report: dry run" "$FZ/msg"
		return
	fi
	set -- $at
	fz_tried=$((fz_tried + 1))
	(fz_sig >"$FZ/sig"; SOURCE_DATE_EPOCH=1800000000 fz_strace connect,write,writev,sendmsg "$1:delay_enter=3000000:when=$2" -- \
		fz_report "$FZ_I64/sysfs" --libvirt-uri "$LV_URI" --output "$out" >"$FZ/out" 2>"$FZ/err") 2>/dev/null &
	fz_stop_libvirtd_during $!
	rc=$(cat "$FZ/rc")
	local kept=new
	cmp -s "$out" "$FZ/old" && kept=old
	if [ "$rc" = 2 ] && [ $kept = new ] && fz_valid "$out" && fz_check "$out" libvirt-down &&
		grep -q '(DELAYED)' "$FZ/strace.log"; then
		pass "fault: report, libvirtd stopped (SIGTERM) while the reporter is held on RPC write #5 ($1 #$2)$(cat "$FZ/sig"): exit 2, complete new report, used/free null: $(cat "$FZ/check")"
	else
		{ echo "exit $rc, output file: $kept"; cat "$FZ/err" "$FZ/check" "$FZ/v" 2>/dev/null; grep -E 'DELAYED|SIG|killed' "$FZ/strace.log"; } >"$FZ/msg"
		fail "fault: report, libvirtd stopped mid-report$(cat "$FZ/sig"): exit 2, used/free null, a whole report" "$FZ/msg"
	fi
	# whatever the exit code, the output must never be torn
	if { [ $kept = old ] || fz_valid "$out"; } && ! ls "$FZ/lv" | grep -q 'report\.json\.'; then
		pass "fault: report, libvirtd stopped mid-report$(cat "$FZ/sig"): output file whole ($kept), no temp file left"
	else
		fail "fault: report, libvirtd stopped mid-report$(cat "$FZ/sig"): output torn or temp file left: $(ls "$FZ/lv")"
	fi
}

# The hook: before_device_create vmfex against the real daemon, the intel64 fixture with ens1f0's
# VFs reserved down to 16 (as tests/hook-libvirtd.sh), ifb links standing in for their netdevs.
FZ_HK_VFS="10 11 12 13 14 15 16 17 18 19 23 24 25 26 27 28"
fz_lv_hook_setup() {
	local w=$FZ/lvhook v links=""
	for v in $FZ_HK_VFS; do links="$links ens1f0v$v"; done
	libvirtd_links $links || { fail "fault: hook, libvirtd stopped mid-run: ifb links"; return 1; }
	LV_NETS=direct-pool
	FZ_RESERVED="0-9, 29-63" fz_hook_prepare "$w" 52:54:00:fa:00:01 "$LV_URI"
	# a first start defines the pool and reserves a VF for vm-a
	if ! fz_hook "$w" vm-a 52:54:00:fa:00:01 before_device_create 2>"$FZ/err"; then
		fail "fault: hook, libvirtd stopped mid-run: first start" "$FZ/err"
		return 1
	fi
	printf '<interface type="bridge"><mac address="52:54:00:fa:00:02"/><model type="virtio"/><source bridge="ovirtmgmt"/></interface>\n' \
		>"$w/payload"
	cp "$w/payload" "$w/payload.orig"
	cp "$w/run/reservations" "$w/reservations.orig"
}

# vm-b's start, held on an RPC write halfway through while libvirtd stops
fz_lv_hook() {
	local w=$FZ/lvhook at rc
	(fz_strace connect,write,writev,sendmsg -- fz_hook "$w" vm-b 52:54:00:fa:00:02 before_device_create \
		>/dev/null 2>"$FZ/err") 2>/dev/null
	cp "$w/payload.orig" "$w/payload"
	cp "$w/reservations.orig" "$w/run/reservations"
	local n
	n=$(grep -cE '^[0-9]+ +(write|writev|sendmsg)\('"$(sed -n 's/^[0-9]* *connect(\([0-9]*\), {sa_family=AF_UNIX, sun_path="[^"]*libvirt-sock.*= 0$/\1/p' "$FZ/strace.log" | head -1)"', ' "$FZ/strace.log")
	at=$(fz_rpc_write "$FZ/strace.log" $((n / 2 + 1)))
	if [ "$(cat "$FZ/rc")" != 0 ] || [ -z "$at" ]; then
		{ echo "exit $(cat "$FZ/rc"), $n RPC writes"; cat "$FZ/err"; } >"$FZ/msg"
		fail "fault: hook, libvirtd stopped mid-run: dry run" "$FZ/msg"
		return
	fi
	set -- $at
	fz_tried=$((fz_tried + 1))
	(fz_sig >"$FZ/sig"; fz_strace connect,write,writev,sendmsg "$1:delay_enter=3000000:when=$2" -- \
		fz_hook "$w" vm-b 52:54:00:fa:00:02 before_device_create >/dev/null 2>"$FZ/err") 2>/dev/null &
	fz_stop_libvirtd_during $!
	rc=$(cat "$FZ/rc")
	local ledger_ok=no
	fz_ledger_ok "$w/run/reservations" && grep -q '^vm-a ' "$w/run/reservations" &&
		! grep -q '^vm-b ' "$w/run/reservations" && ledger_ok=yes
	if [ "$rc" = 2 ] && [ "$(wc -l <"$FZ/err")" = 1 ] && cmp -s "$w/payload" "$w/payload.orig" && [ $ledger_ok = yes ] &&
		grep -q '(DELAYED)' "$FZ/strace.log"; then
		pass "fault: hook before_device_create, libvirtd stopped (SIGTERM) at RPC write $((n / 2 + 1)) of $n$(cat "$FZ/sig"): exit 2, payload intact, ledger parseable without the failed request: $(cat "$FZ/err")"
	else
		{
			echo "exit $rc, payload intact: $(cmp -s "$w/payload" "$w/payload.orig" && echo yes || echo no), ledger ok: $ledger_ok"
			cat "$FZ/err" "$w/run/reservations"
			grep -E 'DELAYED|SIG|killed' "$FZ/strace.log"
		} >"$FZ/msg"
		fail "fault: hook, libvirtd stopped mid-run$(cat "$FZ/sig"): exit 2 with one line, payload intact, no reservation for it" "$FZ/msg"
	fi
	# what the killed run left: still intact whatever the exit code
	if cmp -s "$w/payload" "$w/payload.orig" && fz_ledger_ok "$w/run/reservations" && ! ls -A "$w" "$w/run" | grep -qE '^(payload|reservations)\.[A-Za-z0-9]{6}$'; then
		pass "fault: hook, libvirtd stopped mid-run$(cat "$FZ/sig"): payload and ledger whole, no temp file left"
	else
		fail "fault: hook, libvirtd stopped mid-run$(cat "$FZ/sig"): payload or ledger torn, or temp file left: $(ls -A "$w" "$w/run" | tr '\n' ' ')"
	fi
}

# vm-b's start with libvirtd hung (SIGSTOP) as the hook opens its read-write connection: each
# thread's first connect is held 2 s on its way out (the read's, in its own thread, then the
# read-write one after it) and the daemon is stopped 3 s in, inside the second hold. With
# libvirt_timeout 5 the watchdog ends the run: its one line, exit 2, payload intact, no
# reservation for vm-b. Before the watchdog the hook (and VDSM's VM start) waited for ever.
fz_ended() { ! kill -0 "$1" 2>/dev/null; }

fz_lv_hook_hung() {
	local w=$FZ/lvhook rc run t0=$SECONDS
	sed -i 's/^\[vfcap\]$/&\nlibvirt_timeout = 5/' "$w/vfcap.conf"
	cp "$w/payload.orig" "$w/payload"
	cp "$w/reservations.orig" "$w/run/reservations"
	fz_tried=$((fz_tried + 1))
	(fz_strace connect "connect:delay_exit=2000000:when=1" -- fz_hook "$w" vm-b 52:54:00:fa:00:02 before_device_create \
		>/dev/null 2>"$FZ/err") 2>/dev/null &
	run=$!
	sleep 3
	kill -STOP "$LV_PID"
	# 90 s (the run takes about 7: 2 s held, then libvirt_timeout 5), then the daemon goes on:
	# no test hangs, and only a hang fails for the time
	wait_until 900 fz_ended "$run"
	kill -CONT "$LV_PID"
	wait "$run"
	rc=$(cat "$FZ/rc")
	if [ "$rc" = 2 ] && [ "$(wc -l <"$FZ/err")" = 1 ] && cmp -s "$w/payload" "$w/payload.orig" &&
		grep -q "libvirt qemu:///system: no answer within 5 s (libvirt_timeout): the daemon is hung or stopped; nothing was reserved" "$FZ/err" &&
		fz_ledger_ok "$w/run/reservations" && ! grep -q '^vm-b ' "$w/run/reservations" &&
		! ls -A "$w" "$w/run" | grep -qE '^(payload|reservations)\.[A-Za-z0-9]{6}$'; then
		pass "fault: hook before_device_create, libvirtd stopped (SIGSTOP) as the read-write connection opens, libvirt_timeout 5: exit 2 after $((SECONDS - t0)) s, payload intact, nothing reserved: $(cat "$FZ/err")"
	else
		{ echo "exit $rc after $((SECONDS - t0)) s"; cat "$FZ/err" "$w/run/reservations"; grep -E 'DELAYED|SIG|exited' "$FZ/strace.log"; } >"$FZ/msg"
		fail "fault: hook, libvirtd stopped (SIGSTOP) mid-run: exit 2 with the watchdog's line, payload intact, nothing reserved" "$FZ/msg"
	fi
}

# A one-shot report with libvirtd stopped (SIGSTOP) from the start, libvirt_timeout 2: exit 2
# with the line, a whole report with used/free null, as with a daemon that is down.
fz_lv_hung_report() {
	local out=$FZ/lvh/report.json rc=0 t0=$SECONDS
	rm -rf "$FZ/lvh" && mkdir -p "$FZ/lvh"
	sed 's/^\[vfcap\]$/&\nlibvirt_timeout = 2/' "$FZ_I64/vfcap.conf" >"$FZ/lvh/vfcap.conf"
	fz_tried=$((fz_tried + 1))
	kill -STOP "$LV_PID"
	timeout 60 "$TOP/$PLAIN/vfcap-report" --sysfs-root "$FZ_I64/sysfs" --netlink-file "$FZ_I64/netlink.bin" \
		--libvirt-uri "$LV_URI" --config "$FZ/lvh/vfcap.conf" --output "$out" 2>"$FZ/err" || rc=$?
	kill -CONT "$LV_PID"
	if [ $rc = 2 ] && fz_valid "$out" && fz_check "$out" libvirt-down &&
		grep -q "no answer within 2 s (libvirt_timeout): the daemon is hung or stopped" "$FZ/err"; then
		pass "fault: report, libvirtd stopped (SIGSTOP), libvirt_timeout 2: exit 2 after $((SECONDS - t0)) s, whole report, used/free null: $(cat "$FZ/check")"
	else
		{ echo "exit $rc after $((SECONDS - t0)) s"; cat "$FZ/err" "$FZ/check" "$FZ/v" 2>/dev/null; } >"$FZ/msg"
		fail "fault: report, libvirtd stopped (SIGSTOP): exit 2 within libvirt_timeout, used/free null" "$FZ/msg"
	fi
}

fz_lv_up() { [ -n "$LV_PID" ] || libvirtd_start || { fail "fault: libvirtd did not (re)start" "$TMP/libvirtd.log"; return 1; }; }
if fz_lv_up; then
	fz_lv_report
	fz_lv_up && FZ_IGN=1 fz_lv_report
	if fz_lv_up && fz_lv_hook_setup; then
		fz_lv_hook
		fz_lv_up && FZ_IGN=1 fz_lv_hook
		fz_lv_up && fz_lv_hook_hung
	fi
	fz_lv_up && fz_lv_hung_report
	fz_lv_up # the daemon back, to undefine the pool network (libvirtd_stop)
fi
libvirtd_stop
if pidof libvirtd >/dev/null; then fail "fault: a libvirtd is still running after the tests"; fi

echo "faults: $fz_tried injected (strace syscall tampering and libvirtd stopped mid-run)"
