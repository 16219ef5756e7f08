#!/bin/sh
# SPDX-License-Identifier: MIT
# Capture what a real libvirtd shows for a passthrough pool network with allocated ports:
# net-dumpxml of 'direct-pool' over four ifb links after two `virsh net-port-create`, i.e.
# <interface dev='…' connections='1'/> on the first two. The libvirt test driver drops
# connections='…', so this is the only way to get a real sample for the parser tests.
#
# Usage (root): tests/tools/capture-pool-xml.sh [OUTPUT]
#   default OUTPUT: tests/fixtures/libvirt/pool-live-connections.xml
# Needs (installs nothing itself):
#   apt-get install --no-install-recommends libvirt-daemon libvirt-clients
#   useradd --system --no-create-home libvirt-qemu
#   mkdir -p /var/log/libvirt
# It starts its own libvirtd and refuses to run beside one that is already running; on exit
# (success or not) it destroys and undefines the network, deletes the links and stops libvirtd.
set -eu

NET=direct-pool
LINKS="vfcapt0 vfcapt1 vfcapt2 vfcapt3"
URI=qemu:///system
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../fixtures/libvirt/pool-live-connections.xml}

die() {
	echo "capture-pool-xml: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root"
for cmd in libvirtd virsh ip; do
	command -v "$cmd" >/dev/null || die "$cmd not found (apt-get install --no-install-recommends libvirt-daemon libvirt-clients)"
done
id libvirt-qemu >/dev/null 2>&1 || die "user libvirt-qemu missing (useradd --system --no-create-home libvirt-qemu)"
[ -d /var/log/libvirt ] || die "/var/log/libvirt missing (mkdir -p /var/log/libvirt)"
pidof libvirtd >/dev/null 2>&1 && die "a libvirtd is already running; not touching it"
for l in $LINKS; do
	ip link show "$l" >/dev/null 2>&1 && die "link $l already exists"
done

tmp=$(mktemp -d)
daemon=
created_links=
net_defined=

cleanup() {
	status=$?
	set +e
	if [ -n "$net_defined" ]; then
		virsh -c "$URI" -q net-destroy "$NET" >/dev/null 2>&1
		virsh -c "$URI" -q net-undefine "$NET" >/dev/null 2>&1
		# libvirtd leaves the pool's (empty) port state directory behind.
		rmdir "/run/libvirt/network/$NET/ports" "/run/libvirt/network/$NET" 2>/dev/null
	fi
	for l in $created_links; do
		ip link del "$l"
	done
	if [ -n "$daemon" ]; then
		kill -TERM "$daemon" 2>/dev/null
		wait "$daemon" 2>/dev/null
	fi
	[ $status -ne 0 ] && [ -s "$tmp/libvirtd.log" ] && sed 's/^/libvirtd: /' "$tmp/libvirtd.log" >&2
	rm -rf "$tmp"
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

libvirtd --pid-file "$tmp/libvirtd.pid" >"$tmp/libvirtd.log" 2>&1 &
daemon=$!
# Ready in ~0.1 s; `virsh version` would probe QEMU for 12 s, net-list does not.
i=0
until virsh -c "$URI" -q net-list >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "libvirtd did not come up in 10 s"
	kill -0 "$daemon" 2>/dev/null || die "libvirtd exited"
	sleep 0.1
done
virsh -c "$URI" -q net-info "$NET" >/dev/null 2>&1 && die "network $NET is already defined; not touching it"

for l in $LINKS; do
	ip link add "$l" type ifb
	created_links="$created_links $l"
done

{
	echo "<network>"
	echo "  <name>$NET</name>"
	echo "  <forward mode='passthrough'>"
	for l in $LINKS; do
		echo "    <interface dev='$l'/>"
	done
	echo "  </forward>"
	echo "</network>"
} >"$tmp/net.xml"
virsh -c "$URI" -q net-define "$tmp/net.xml" >/dev/null
net_defined=1
virsh -c "$URI" -q net-start "$NET" >/dev/null

# Each port takes the first interface without a connection, in the order listed.
for n in 1 2; do
	cat >"$tmp/port$n.xml" <<-EOF
	<networkport>
	  <uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>
	  <owner>
	    <name>vfcap-capture-vm$n</name>
	    <uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>
	  </owner>
	  <mac address='52:54:00:fc:00:0$n'/>
	</networkport>
	EOF
	virsh -c "$URI" -q net-port-create "$NET" "$tmp/port$n.xml" >/dev/null
done

version=$(libvirtd --version | awk '{print $NF}')
{
	echo "<!-- net-dumpxml $NET from libvirtd $version after two net-port-create on four interfaces;"
	echo "     captured by tests/tools/capture-pool-xml.sh (do not edit by hand) -->"
	virsh -c "$URI" net-dumpxml "$NET"
} >"$tmp/out.xml"
grep -q "connections='1'" "$tmp/out.xml" || die "no connections in the dump: $(cat "$tmp/out.xml")"
mv "$tmp/out.xml" "$out"
echo "capture-pool-xml: wrote $out"
