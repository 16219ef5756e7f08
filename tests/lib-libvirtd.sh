# SPDX-License-Identifier: MIT
# Sourced by tests: a real libvirtd (it runs here without systemd: docs/interfaces.md, 'libvirtd
# without systemd') with ifb links standing in for VF netdevs, all inside the run's own
# namespaces (tests/sandbox.sh): the machine's libvirtd, links and networks are neither seen nor
# touched. libvirtd_start [ARGS], libvirtd_links NAME..., libvirtd_pool NAME DEV...,
# libvirtd_port NAME, libvirtd_stop (also on EXIT through the caller's trap).
LV_URI=qemu:///system
LV_PID=
LV_LINKS=
LV_NETS=

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
	LV_PID= LV_LINKS= LV_NETS=
}
