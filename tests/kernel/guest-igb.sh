# shellcheck shell=sh
# SPDX-License-Identifier: MIT
# The igb guest's scenarios, sourced by /init (tests/kernel/guest-init.sh) when the initramfs
# holds it: QEMU's emulated Intel 82576 PF, 7 real PCI VFs, and each way a VF is held outside
# libvirt or left dirty (issue 17). Every setup step's failure goes to $OUT/setup.err and the run
# goes on, so check.py tells a rig fault (raw facts, setup.err) from a reporter fault (the JSON).
#   VF0 vfio-pci, held open by vfio-hold     VF1 vfio-pci, idle
#   VF2 igbvf, netdev moved to netns ctr1    VF3 igbvf, macvtap passthru on it
#   VF4 igbvf, vlan 100 left on it           VF5 igbvf, spoofchk off, trust on
#   VF6 igbvf, clean
# Reports: up (PF up), down (PF admin down); raw sysfs facts beside each. Last, serve watching
# (guest-watch.sh) while sriov_numvfs goes to 0 and to 3.
IGB_NUMVFS=7
NETNS=ctr1

err() { echo "$*" >>"$OUT/setup.err"; log "setup: $*"; }
run() { "$@" 2>>"$OUT/setup.err" || err "failed: $*"; }

wait_for() { # seconds test-args...: poll a condition, 0.2 s a step
	n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		usleep 200000
		n=$((n - 1))
	done
	return 1
}

has_net() { [ -n "$(ls "$1/net" 2>/dev/null)" ]; }
held() { grep -q '^held ' "$OUT/hold.out" 2>/dev/null; }
ns_own() { [ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]; }

vf_dev() { echo "/sys/bus/pci/devices/$(basename "$(readlink "$PFSYS/virtfn$1")")"; }

# key=value lines: what the kernel says, for check.py to judge the rig before the reporter
facts() { # name
	f=$OUT/facts-$1
	{
		echo "pf=$PF"
		echo "pf_address=$PFADDR"
		echo "operstate=$(cat "/sys/class/net/$PF/operstate")"
		echo "carrier=$(cat "/sys/class/net/$PF/carrier" 2>&1 | tr '\n' ' ')"
		echo "totalvfs=$(cat "$PFSYS/sriov_totalvfs")"
		echo "numvfs=$(cat "$PFSYS/sriov_numvfs")"
		echo "drivers_autoprobe=$(cat "$PFSYS/sriov_drivers_autoprobe")"
		for i in $(seq 0 $((IGB_NUMVFS - 1))); do
			d=$(vf_dev "$i")
			g=$(basename "$(readlink "$d/iommu_group")")
			echo "vf$i.address=$(basename "$d")"
			echo "vf$i.driver=$(basename "$(readlink "$d/driver")")"
			echo "vf$i.enable=$(cat "$d/enable")"
			if [ -d "$d/net" ]; then echo "vf$i.net=$(ls "$d/net" | tr '\n' ' ')"; else echo "vf$i.net=(absent)"; fi
			for n in $(ls "$d/net" 2>/dev/null); do echo "vf$i.mac=$(cat "$d/net/$n/address")"; done
			echo "vf$i.iommu_group=$g"
			echo "vf$i.group_devices=$(ls "/sys/kernel/iommu_groups/$g/devices" | wc -l)"
		done
		echo "iommu_groups=$(ls /sys/kernel/iommu_groups | wc -l)"
		echo "pci_devices=$(ls /sys/bus/pci/devices | wc -l)"
		[ -n "$HOLDER" ] && echo "holder=$HOLDER $(cat "/proc/$HOLDER/comm")"
	} >"$f" 2>&1
}

report() { # name: the reporter with libvirt's test driver (no domain holds a VF), and its table
	$IP -d link show dev "$PF" >"$OUT/ip-$1.out" 2>&1
	vfcap-report --libvirt-uri test:///default --netlink-record "$OUT/netlink-$1.bin" \
		-o "$OUT/report-$1.json" 2>"$OUT/report-$1.err"
	echo $? >"$OUT/report-$1.rc"
	vfcap-report --libvirt-uri test:///default -f table -v >"$OUT/report-$1.table" 2>&1
	# each way of reading the IOMMU groups, forced (lib/sysfs-iommu.c): the same answers
	[ "$1" = up ] && for m in each table links; do
		VFCAP_IOMMU_READ=$m vfcap-report --libvirt-uri test:///default -o "$OUT/report-up-iommu-$m.json" \
			2>>"$OUT/report-$1.err"
	done
}

igb_setup_vfs() {
	echo 0 >"$PFSYS/sriov_drivers_autoprobe" || err "cannot clear sriov_drivers_autoprobe"
	echo "$IGB_NUMVFS" >"$PFSYS/sriov_numvfs" 2>>"$OUT/setup.err" || fatal "cannot write $IGB_NUMVFS to sriov_numvfs"
	# with autoprobe off the PCI core probes a VF only when it has a driver_override
	# (pci_device_can_probe), drivers_probe included: each VF names its driver
	for i in $(seq 0 $((IGB_NUMVFS - 1))); do
		drv=igbvf
		[ "$i" -lt 2 ] && drv=vfio-pci
		echo $drv >"$(vf_dev "$i")/driver_override" || err "driver_override vf$i"
		basename "$(vf_dev "$i")" >/sys/bus/pci/drivers_probe 2>>"$OUT/setup.err" || err "drivers_probe vf$i"
	done
	for i in $(seq 2 $((IGB_NUMVFS - 1))); do
		wait_for 10 has_net "$(vf_dev "$i")" || err "vf$i (igbvf) has no netdev after 10 s"
	done
}

igb_scenarios() {
	vf2=$(ls "$(vf_dev 2)/net" | head -1)
	vf3=$(ls "$(vf_dev 3)/net" | head -1)
	run $IP netns add $NETNS
	run $IP link set "$vf2" netns $NETNS
	$IP netns exec $NETNS $IP -d link show >"$OUT/netns-ip.out" 2>&1
	run $IP link set "$vf3" up
	run $IP link add link "$vf3" name macvtap0 type macvtap mode passthru
	run $IP link set macvtap0 up
	run $IP link set "$PF" vf 4 vlan 100
	run $IP link set "$PF" vf 5 spoofchk off
	run $IP link set "$PF" vf 5 trust on
	# the VF rate limit (igb: 82576 only, at 1000 Mbit/s link): recorded, judged by check.py
	$IP link set "$PF" vf 6 max_tx_rate 100 >"$OUT/rate.err" 2>&1
	echo $? >"$OUT/rate.rc"
	# igb has no ndo_set_vf_link_state: expected to fail, recorded so a kernel that adds it shows
	$IP link set "$PF" vf 6 state disable >"$OUT/vfstate.err" 2>&1
	echo $? >"$OUT/vfstate.rc"
	g=$(basename "$(readlink "$(vf_dev 0)/iommu_group")")
	vfio-hold "$g" "$(basename "$(vf_dev 0)")" >"$OUT/hold.out" 2>&1 &
	HOLDER=$!
	wait_for 10 held || err "vfio-hold did not hold vf0: $(cat "$OUT/hold.out")"
}

# VF 4's netdev in a namespace without a name (no /run/netns entry): the reporter finds it
# through the one process in it, known by its ns/net link's text (lib/holders.c)
anon_netns() {
	vf4=$(ls "$(vf_dev 4)/net" | head -1)
	unshare -n sleep 3600 &
	ANON=$!
	wait_for 5 ns_own "$ANON" || err "unshare -n: pid $ANON is not in a namespace of its own"
	run $IP link set "$vf4" netns "$ANON"
	echo "$ANON $(readlink "/proc/$ANON/ns/net")" >"$OUT/anon.pid"
}

igb_main() {
	mkdir -p /run
	mount -t tmpfs tmpfs /run
	while read -r m; do insmod "/lib/vfcap/$m" 2>>"$OUT/setup.err" || fatal "insmod $m failed"; done </lib/vfcap/modules.order
	PFADDR=$(ls /sys/bus/pci/drivers/igb | grep '^0000:' | head -1)
	[ -n "$PFADDR" ] || fatal "igb bound no PCI device"
	PFSYS=/sys/bus/pci/devices/$PFADDR
	wait_for 10 has_net "$PFSYS" || fatal "igb PF $PFADDR has no netdev"
	PF=$(ls "$PFSYS/net" | head -1)
	run $IP link set "$PF" up
	wait_for 10 grep -qx up "/sys/class/net/$PF/operstate" || err "PF $PF operstate $(cat "/sys/class/net/$PF/operstate") after 10 s"
	# make bench's latency scenario instead of the tests, when the bench's initramfs carries it
	if [ -f /etc/vfcap/guest-bench.sh ]; then
		. /etc/vfcap/guest-bench.sh
		bench_igb
		dmesg >"$OUT/dmesg"
		send_results
	fi
	igb_setup_vfs
	HOLDER=""
	igb_scenarios
	facts up
	report up
	run $IP link set "$PF" down
	wait_for 5 grep -qx down "/sys/class/net/$PF/operstate" || err "PF $PF operstate $(cat "/sys/class/net/$PF/operstate") after down"
	facts down
	report down
	kill "$HOLDER" && wait "$HOLDER"
	HOLDER=""
	facts released
	anon_netns
	report anon
	kill "$ANON" && wait "$ANON"
	# sriov_numvfs on a real PCI PF, serve watching: the VFs' PCI devices go and come as uevents
	. /etc/vfcap/guest-watch.sh
	if watch_start; then
		watch_step 1 numvfs-0 numvfs_to "$PFSYS/sriov_numvfs" 0
		watch_step 2 numvfs-3 numvfs_to "$PFSYS/sriov_numvfs" 3
	fi
	watch_stop
	dmesg >"$OUT/dmesg"
	send_results
}
igb_main
