# SPDX-License-Identifier: MIT
# Sourced by tests/run.sh. Bad input: one clear line on stderr naming what and where, the
# documented exit code, no crash (sanitizer build: any report exits 99 and fails here).

BAD=tests/fixtures/bad
R="$ASAN/vfcap-report"

# expect NAME EXIT REGEX ARGS...: run the reporter, check exit code and that stderr matches REGEX
expect() {
	local name=$1 want=$2 re=$3 rc=0
	shift 3
	"$R" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "exit $rc, want $want" >>"$TMP/err"
		fail "bad input: $name" "$TMP/err"
	elif ! grep -Eq -- "$re" "$TMP/err"; then
		echo "stderr does not match: $re" >>"$TMP/err"
		fail "bad input: $name" "$TMP/err"
	elif grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$TMP/err"; then
		fail "bad input: $name (sanitizer)" "$TMP/err"
	else
		pass "bad input: $name"
	fi
}

NL="--netlink-file tests/fixtures/netlink/vfs64.bin --libvirt-uri test:///default --config /dev/null"
# shellcheck disable=SC2086
{
expect "non-numeric sriov_numvfs" 2 "sriov_numvfs: not a number: 'abc'" --sysfs-root $BAD/numvfs-nonnumeric/sysfs $NL
expect "negative sriov_numvfs" 2 "sriov_numvfs.*'-1'" --sysfs-root $BAD/numvfs-negative/sysfs $NL
expect "empty sriov_numvfs" 2 "sriov_numvfs" --sysfs-root $BAD/empty-numvfs/sysfs $NL
expect "sriov_numvfs over sriov_totalvfs" 2 "sriov_numvfs.*70.*64" --sysfs-root $BAD/numvfs-over-total/sysfs $NL
expect "dangling virtfn link" 2 "virtfn3" --sysfs-root $BAD/dangling-virtfn/sysfs $NL
expect "virtfn link escaping the root" 2 "virtfn" --sysfs-root $BAD/link-escape/sysfs $NL
expect "sysfs root missing" 3 "cannot read /nonexistent/class/net" --sysfs-root /nonexistent $NL
expect "vfio-pci VF with unreadable enable" 2 "0000:03:10.2/enable: cannot read: Is a directory" --sysfs-root $BAD/vfio-enable-unreadable/sysfs $NL
}

# vf_state BADNAME/HOST INDEX WANT OWNER ARGS...: VF INDEX of the first PF is in state WANT
# with owner OWNER ("-" for null), whatever the exit code
vf_state() {
	local name=$1 index=$2 want=$3 owner=$4
	shift 4
	"$R" "$@" --format json >"$TMP/vf.json" 2>"$TMP/err" || true
	if $PY -c 'import json, sys
v = json.load(open(sys.argv[1]))["pfs"][0]["vfs"][int(sys.argv[2])]
sys.exit(v["state"] != sys.argv[3] or (v["owner"] or "-") != sys.argv[4])' "$TMP/vf.json" "$index" "$want" "$owner"; then
		pass "bad input: $name"
	else
		{ echo "VF $index: want $want, $owner"; cat "$TMP/vf.json"; } >>"$TMP/err"
		fail "bad input: $name" "$TMP/err"
	fi
}
# never free by mistake: an unreadable enable leaves the VF unknown
# shellcheck disable=SC2086
vf_state "unreadable enable: VF unknown, not free" 1 unknown - --sysfs-root $BAD/vfio-enable-unreadable/sysfs $NL
MX=tests/fixtures/hosts/mixed
MXARGS=(--sysfs-root $MX/sysfs --netlink-file $MX/netlink.bin --libvirt-uri "test://$TOP/$MX/libvirt.xml" --config $MX/vfcap.conf)
# /proc and /run/netns unreadable as a whole: every holder unnamed, still used
vf_state "no /proc: VFIO holder unnamed, host" 0 host "vfio (holder unnamed)" "${MXARGS[@]}" --proc-root /nonexistent --netns-root /nonexistent
vf_state "no /run/netns nor /proc: netns unnamed, host" 4 host "netns (unnamed)" "${MXARGS[@]}" --proc-root /nonexistent --netns-root /nonexistent
# a process gone (no fd/) and one whose fd/ cannot be read: skipped, the VF unnamed
vf_state "holder's fd/ unreadable: unnamed, host" 3 host "vfio (holder unnamed)" "${MXARGS[@]}" --proc-root $MX/proc --netns-root $MX/netns
# a namespace file that is no netlink dump (a stale /run/netns entry): skipped
mkdir -p "$TMP/netns"
printf 'not a dump' >"$TMP/netns/aaa"
cp $MX/netns/blue "$TMP/netns/blue"
vf_state "stale /run/netns entry skipped" 4 host "netns blue" "${MXARGS[@]}" --proc-root $MX/proc --netns-root "$TMP/netns"
I64=tests/fixtures/hosts/intel64
I64ARGS="--sysfs-root $I64/sysfs --config $I64/vfcap.conf --libvirt-uri test://$TOP/$I64/libvirt.xml"
head -c 100 tests/fixtures/netlink/vfs64.bin >"$TMP/trunc.bin"
printf 'garbage that is not netlink at all, not even close......' >"$TMP/garbage.bin"
: >"$TMP/empty.bin"
# shellcheck disable=SC2086
{
expect "truncated netlink file" 2 "trunc.bin: offset 0: truncated or malformed" $I64ARGS --netlink-file "$TMP/trunc.bin"
expect "garbage netlink file" 2 "garbage.bin: offset 0" $I64ARGS --netlink-file "$TMP/garbage.bin"
expect "empty netlink file" 2 "empty.bin: no RTM_NEWLINK for ens1f0" $I64ARGS --netlink-file "$TMP/empty.bin"
expect "missing netlink file" 2 "nonexistent.bin: No such file" $I64ARGS --netlink-file /nonexistent.bin
expect "zero-length IFLA_NUM_VF" 2 "IFLA_NUM_VF at offset [0-9]+: 4 bytes" $I64ARGS --netlink-file tests/fixtures/netlink/bad-numvf-zero.bin
expect "IFLA_NUM_VF past the PCI limit" 2 "IFLA_NUM_VF at offset [0-9]+: [0-9]+ VFs, more than the 65535" $I64ARGS --netlink-file tests/fuzz/regressions/netlink/huge-num-vf-timeout.bin
expect "zero-length VF MAC" 2 "IFLA_VF_INFO #0: attribute type 1 of 0 bytes" $I64ARGS --netlink-file tests/fixtures/netlink/bad-vfmac-zero.bin
expect "malformed domain XML" 2 "libvirt test://.*malformed-domain.xml" --sysfs-root $I64/sysfs --config $I64/vfcap.conf --netlink-file $I64/netlink.bin --libvirt-uri "test://$TOP/tests/fixtures/libvirt/malformed-domain.xml"
expect "libvirt unreachable" 2 "libvirt .*qemu\+unix:///system\?socket=/nonexistent" --sysfs-root $I64/sysfs --config $I64/vfcap.conf --netlink-file $I64/netlink.bin --libvirt-uri "qemu+unix:///system?socket=/nonexistent/sock"
expect "missing config" 1 "/nonexistent.conf" --config /nonexistent.conf
printf '[vfcap]\nbogus = 1\n' >"$TMP/bad.conf"
expect "unknown config key" 1 "bad.conf:2: .*bogus" --config "$TMP/bad.conf"
printf '[pf ens1f0]\nreserved = 5-x\n' >"$TMP/bad2.conf"
expect "bad reserved range" 1 "bad2.conf:2:" --config "$TMP/bad2.conf"
# one precedence in the three programs (lib/config.h): --config, else $VFCAP_CONFIG, else the default
I64SRC="--sysfs-root $I64/sysfs --netlink-file $I64/netlink.bin --libvirt-uri test://$TOP/$I64/libvirt.xml"
VFCAP_CONFIG=$TMP/bad.conf expect "\$VFCAP_CONFIG is read" 1 "bad.conf:2: .*bogus" $I64SRC
VFCAP_CONFIG=/nonexistent-env.conf expect "\$VFCAP_CONFIG missing is an error" 1 "/nonexistent-env.conf" $I64SRC
# env_report NAME VFCAP_CONFIG ARGS...: intel64's own report, exit 0, nothing on stderr
env_report() {
	local name=$1 env=$2 rc=0
	shift 2
	VFCAP_CONFIG=$env "$R" "$@" >"$TMP/env.json" 2>"$TMP/err" || rc=$?
	if [ $rc = 0 ] && [ ! -s "$TMP/err" ] && diff -u $I64/expected.json "$TMP/env.json" >"$TMP/diff" 2>&1; then
		pass "$name"
	else
		{ echo "exit $rc"; cat "$TMP/err"; } >>"$TMP/diff"
		fail "$name" "$TMP/diff"
	fi
}
env_report "\$VFCAP_CONFIG: the report its config gives" "$I64/vfcap.conf" $I64SRC
env_report "--config beats \$VFCAP_CONFIG" "$TMP/bad.conf" $I64SRC --config "$I64/vfcap.conf"
expect "unknown option" 1 "unknown option '--bogus'" --bogus
expect "unknown format" 1 "unknown format 'xml'" --format xml
expect "missing option argument" 1 "needs an argument" --format
expect "unknown PF" 2 "nosuch0: no such SR-IOV PF" $I64ARGS --netlink-file $I64/netlink.bin --pf nosuch0
}

# --output: a good report, then failing runs must leave it whole
# shellcheck disable=SC2086
report "$R" "$I64" json --output "$TMP/report.json" 2>/dev/null
cp "$TMP/report.json" "$TMP/report.orig"
"$R" --sysfs-root /nonexistent --output "$TMP/report.json" 2>/dev/null
"$R" --format bogus --output "$TMP/report.json" 2>/dev/null
if cmp -s "$TMP/report.json" "$TMP/report.orig" && [ -s "$TMP/report.orig" ] &&
	[ -z "$(find "$TMP" -name 'report.json.*')" ]; then
	pass "--output: failed runs leave the old report whole, no temp files"
else
	fail "--output: failed runs leave the old report whole, no temp files"
fi
expect "--output into a missing directory" 3 "cannot write /nonexistent/dir/r.json" $I64ARGS --netlink-file $I64/netlink.bin --output /nonexistent/dir/r.json
