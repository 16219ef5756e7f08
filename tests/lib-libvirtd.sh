# SPDX-License-Identifier: MIT
# Sourced by tests: a real libvirtd (it runs here without systemd: docs/interfaces.md, 'libvirtd
# without systemd') with ifb links standing in for VF netdevs, all inside the run's own
# namespaces (tests/sandbox.sh): the machine's libvirtd, links and networks are neither seen nor
# touched. libvirtd_start [ARGS], libvirtd_links NAME..., libvirtd_veths NAME...,
# libvirtd_pool NAME DEV..., libvirtd_port NAME, libvirtd_vm NAME NET, libvirtd_stop (also on
# EXIT through the caller's trap).
LV_URI=qemu:///system
LV_PID=
LV_LINKS=
LV_NETS=
LV_VMS=

libvirtd_start() { # extra libvirtd arguments (--config FILE)
	if [ -z "${VFCAP_SANDBOX:-}" ]; then
		echo "libvirtd_start: run the tests through tests/sandbox.sh, never beside the machine's libvirtd" >&2
		return 1
	fi
	libvirtd --pid-file "$TMP/libvirtd.pid" "$@" >"$TMP/libvirtd.log" 2>&1 &
	LV_PID=$!
	local i=0
	# `virsh version` would probe QEMU for 12 s; net-list answers as soon as the daemon does
	# (on the read-only socket, which wants no login even where the read-write one does)
	until virsh -r -c "$LV_URI" -q net-list >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -ge 100 ] || ! kill -0 "$LV_PID" 2>/dev/null; then
			echo "libvirtd did not come up: $(tail -3 "$TMP/libvirtd.log")" >&2
			return 1
		fi
		sleep 0.1
	done
}

libvirtd_links() {
	local l
	for l in "$@"; do
		ip link add "$l" type ifb || return 1
		LV_LINKS="$LV_LINKS $l"
	done
}

# veth links (each with a peer NAME-p) for a pool a real domain starts on: the passthrough
# vNIC sets its MAC on the link, which ifb refuses (and this kernel has no dummy links)
libvirtd_veths() {
	local l
	for l in "$@"; do
		ip link add "$l" type veth peer name "$l-p" || return 1
		LV_LINKS="$LV_LINKS $l"
	done
}

# libvirtd_vm NAME NET: define (not start) a small domain with one vNIC on network NET: TCG (the
# sandbox may not open /dev/kvm), no disk, nothing else; QEMU logs through a virtlogd of the run's
# own. Starting it takes a VF from the pool the way every VM does.
libvirtd_vm() {
	mkdir -p /var/log/libvirt/qemu
	pidof virtlogd >/dev/null || virtlogd -d || return 1
	cat >"$TMP/vm-$1.xml" <<-XML
	<domain type='qemu'><name>$1</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>
	<os><type arch='x86_64' machine='pc'>hvm</type></os>
	<devices><interface type='network'><source network='$2'/><model type='virtio'/></interface></devices>
	</domain>
	XML
	virsh -c "$LV_URI" -q define "$TMP/vm-$1.xml" >/dev/null || return 1
	LV_VMS="$LV_VMS $1"
}

libvirtd_pool() {
	local name=$1 d
	shift
	{
		echo "<network><name>$name</name><forward mode='passthrough'>"
		for d in "$@"; do echo "<interface dev='$d'/>"; done
		echo "</forward></network>"
	} >"$TMP/pool.xml"
	virsh -c "$LV_URI" -q net-define "$TMP/pool.xml" >/dev/null || return 1
	LV_NETS="$LV_NETS $name"
	virsh -c "$LV_URI" -q net-start "$name" >/dev/null
}

# libvirtd_port NET: allocate one port (one VF) the way a starting VM would, without a VM
libvirtd_port() {
	local u
	u=$(cat /proc/sys/kernel/random/uuid)
	cat >"$TMP/port.xml" <<-XML
	<networkport><uuid>$u</uuid>
	<owner><name>vm-$u</name><uuid>$(cat /proc/sys/kernel/random/uuid)</uuid></owner>
	<mac address='52:54:00:$(printf '%02x:%02x:%02x' $((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256)))'/>
	</networkport>
	XML
	virsh -c "$LV_URI" -q net-port-create "$1" "$TMP/port.xml" >/dev/null
}

libvirtd_stop() {
	local n l
	for n in $LV_VMS; do
		virsh -c "$LV_URI" -q destroy "$n" >/dev/null 2>&1
		virsh -c "$LV_URI" -q undefine "$n" >/dev/null 2>&1
	done
	for n in $LV_NETS; do
		virsh -c "$LV_URI" -q net-destroy "$n" >/dev/null 2>&1
		virsh -c "$LV_URI" -q net-undefine "$n" >/dev/null 2>&1
		rm -rf "/run/libvirt/network/$n"
	done
	for l in $LV_LINKS; do ip link del "$l" 2>/dev/null; done
	if [ -n "$LV_PID" ]; then
		kill -TERM "$LV_PID" 2>/dev/null
		wait "$LV_PID" 2>/dev/null
	fi
	LV_PID= LV_LINKS= LV_NETS= LV_VMS=
	# the run's own virtlogd (libvirtd_vm): the sandbox's PID namespace shows no other
	[ -z "${VFCAP_SANDBOX:-}" ] || pkill -x virtlogd 2>/dev/null
	return 0
}
