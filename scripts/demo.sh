#!/bin/bash
# SPDX-License-Identifier: MIT
# make demo: the story of vfcap on the bundled fixture hosts (tests/fixtures/hosts), told with
# the built programs only (bash, coreutils and sed besides: `make demo` installs no test tools).
#   1. vfcap-report: each host's table, with a legend     2. part of one JSON report
#   3. vfcap-filter: the hosts judged for a VM, with the reason for each
#   4. vfcap-hook: a vNIC put on the VF pool, and the next one refused when no VF is left
# The legend is printed here, not by the table format: the table is what admins run on every
# host and scripts diff, so it stays the same wherever it is printed (a terminal or not); its
# headers are the JSON names, which the man page and the schema define.
# Every step must succeed (exit 0 at the end) and print no error text; the hook's refusal is
# the expected outcome of its step. tests/demo.sh checks both, and the whole output.
set -eu -o pipefail
cd "$(dirname "$0")/.."
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1795000000}
HOSTS=tests/fixtures/hosts
tmp=$(mktemp -d /tmp/vfcap-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/reports"

title() { printf '\n== %s\n' "$*"; }

# report HOST ARGS...: vfcap-report on a fixture host's recorded sysfs, netlink and libvirt
report() {
	local h=$HOSTS/$1
	shift
	build/vfcap-report --sysfs-root "$h/sysfs" --netlink-file "$h/netlink.bin" \
		--libvirt-uri "test://$PWD/$h/libvirt.xml" --config "$h/vfcap.conf" "$@"
}

# json_field FILE NAME: the first value of "NAME" in a pretty-printed report
json_field() { sed -n "s/^ *\"$2\": \\([0-9]*\\),*\$/\\1/p;T;q" "$1"; }

hosts=()
for h in "$HOSTS"/*/; do
	h=${h%/}
	hosts+=("${h##*/}")
done

echo "vfcap demo: ${#hosts[@]} recorded hosts, read from files instead of this machine (every command"
echo "below runs with --sysfs-root, --netlink-file, --libvirt-uri test:///... and --config of"
echo "$HOSTS/HOST/)."
title "The hosts"
for h in "${hosts[@]}"; do
	printf '  %-8s %s\n' "$h" "$(cat "$HOSTS/$h/DESCRIPTION")"
done

title "1. vfcap-report --format table: the VFs of each PF, and which are free"
cat <<'EOF'
The columns are the JSON report's field names; left to right they add up:
  numvfs       VFs enabled on the PF (sriov_numvfs)
  listed       VFs the PF's netlink VF list describes: the ones libvirt can find and set up
  limit        most VFs that list can hold before its length wraps (see below)
  unreachable  enabled VFs past a wrapped list: libvirt has no way to use them
  reserved     VFs the host's vfcap.conf keeps out ([pf NAME] reserved = ...)
  usable       numvfs - unreachable - reserved
  assigned     held by a running VM (PCI passthrough, or a macvtap 'direct' vNIC)
  pool         connected through a libvirt pool network (direct-pool)
  host         used by the host itself: bond port, macvtap, an IP address, an 802.1Qbh port,
               or by something outside libvirt (a VFIO user, a container's namespace)
  dirty        left with a previous tenant's VLAN, rate, trust... and counted used, which
               only [vfcap] dirty = used asks (by default they stay free; a "!" line says
               how to reset each)
  free         usable - assigned - pool - host - dirty: what a new vNIC can take
  ?            unknown: a source could not be read; never counted free
EOF
for h in "${hosts[@]}"; do
	echo
	report "$h" --format table
	# what the host publishes for the filter: the file is named by the engine's host id
	report "$h" --format json --output "$tmp/reports/$h.json"
done
cat <<'EOF'

Why limit is 221, or 585 on enic: the kernel sends a PF's VFs as one netlink attribute whose
length is 16 bits, so 65531 bytes of entries fit (65535 less the 4-byte header). A VF entry is
296 bytes on Linux 6.1 (stats included, as libvirt asks): 65531 / 296 = 221 VFs. enic has no
VF info list; it sends 802.1Qbh port entries instead, at most 112 bytes each: 585 VFs. One VF
more and the length wraps; the list libvirt reads ends early, and the "!" line says so, and
what to do:
EOF
for h in "${hosts[@]}"; do
	f=$tmp/reports/$h.json
	grep -q '"truncated": true' "$f" || continue
	n=$(json_field "$f" num_vf) b=$(json_field "$f" bytes_per_vf)
	total=$((4 + n * b)) wrapped=$(((4 + n * b) % 65536))
	printf '  %s: 4 + %d x %d = %d bytes, stored mod 65536 as %d: room for %d VFs\n' "$h" "$n" "$b" "$total" \
		"$wrapped" $(((wrapped - 4) / b))
done

title "2. vfcap-report --format json: the same counts, and each VF's state and owner"
echo "(intel64, PF ens1f0 and its first VF)"
f=$tmp/reports/intel64.json
sed -n '/"totalvfs"/,/"free"/{p;/"free"/q}' "$f"
sed -n '/"vfs": \[/,/^        }/{p;/^        }/q}' "$f"
echo "        ... (63 more VFs, then PF ens1f1 and the host's totals)"

title "3. vfcap-filter run --explain: which hosts can take a VM that needs N VFs"
echo "The engine asks this for every start and migration (XML-RPC, vfcap-filter serve); the"
echo "reports directory holds the files vfcap-report wrote above."
list=$(IFS=,; echo "${hosts[*]}")
for demand in 1 20; do
	printf '\n$ vfcap-filter run --reports DIR --vm demo-vm --hosts %s --demand %d --explain\n' "$list" "$demand"
	build/vfcap-filter run --config /dev/null --reports "$tmp/reports" --vm demo-vm --hosts "$list" \
		--demand "$demand" --explain
done

title "4. vfcap-hook: VDSM puts a vNIC with vmfex=Profile1 on host vic"
# The hook's config for vic: its fixture, and enp7s0's VFs 5-14 reserved, so that one VF is
# free (enp7s0v15) and the second VM finds none. libvirt's test driver stands in for
# libvirtd; it forgets a run's changes, so its pool is given as the hook keeps it (only the
# free VF), or the second run would first see the fixture's pool of 16 and say it differs.
v=$PWD/$HOSTS/vic
sed "/<interface dev='enp7s0v[0-9]*'\/>/{/'enp7s0v15'/!d}" "$v/libvirt.xml" >"$tmp/libvirt.xml"
cat >"$tmp/vfcap.conf" <<EOF
[vfcap]
hostname = vic
sysfs_root = $v/sysfs
netlink_file = $v/netlink.bin
libvirt_uri = test://$tmp/libvirt.xml
run_dir = $tmp/run
pool_network = direct-pool
pool_mode = passthrough
pfs = enp7s0
[pf enp7s0]
reserved = 5-14
EOF
# vnic MAC: the <interface> VDSM hands to before_device_create
vnic() {
	cat <<-EOF
		<?xml version='1.0' encoding='utf-8'?>
		<interface type="bridge">
		  <mac address="$1"/>
		  <model type="virtio"/>
		  <source bridge="ovirtmgmt"/>
		  <filterref filter="vdsm-no-mac-spoofing"/>
		  <link state="up"/>
		</interface>
	EOF
}
# hook VM PAYLOAD: run it as VDSM does (the payload file in $_hook_domxml, the vNIC's custom
# property in the environment), the hook point given instead of taken from its directory
hook() {
	env -i PATH=/usr/bin:/bin VFCAP_CONFIG="$tmp/vfcap.conf" _hook_domxml="$2" vmId="$1" vmfex=Profile1 \
		build/vfcap-hook --hook-point before_device_create
}
echo "vic's pool direct-pool has one free VF here (the demo reserves enp7s0's others)."
echo
echo "VM demo-vm-1: the vNIC VDSM writes:"
vnic 00:1a:4a:16:01:b0 >"$tmp/vm1.xml"
sed 's/^/  /' "$tmp/vm1.xml"
hook demo-vm-1 "$tmp/vm1.xml"
echo "vfcap-hook (exit 0) put it on the pool, and reserved a VF for it until it is connected:"
sed 's/^/  /' "$tmp/vm1.xml"
echo
echo "VM demo-vm-2, the same kind of vNIC: no VF is left. Expected outcome: exit 2 and one"
echo "line, which VDSM shows; the VM does not start here, and the engine can try another host:"
vnic 00:1a:4a:16:01:b1 >"$tmp/vm2.xml"
rc=0
hook demo-vm-2 "$tmp/vm2.xml" 2>"$tmp/hook.err" || rc=$?
if [ "$rc" != 2 ] || [ "$(wc -l <"$tmp/hook.err")" != 1 ] || ! cmp -s "$tmp/vm2.xml" <(vnic 00:1a:4a:16:01:b1); then
	echo "demo: the second vfcap-hook run did not fail as expected (exit $rc):" >&2
	cat "$tmp/hook.err" >&2
	exit 1
fi
sed 's/^/  /' "$tmp/hook.err"
echo "(exit $rc; the payload is left as it was)"
