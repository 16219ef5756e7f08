#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# /init of the kernel rig's guests. The igb guest runs /etc/vfcap/guest-igb.sh (guest-igb.sh) and
# powers off. The netdevsim guest creates a netdevsim PF and, for each VF count of the plan
# (/etc/vfcap/plan: "N VF ip-link-vf-args..."), enables N VFs, sets the planned VFs through
# iproute2, and records what vfcap-report and `ip -d link show` say. Results go to the host as
# a base64 tar on ttyS1 between VFCAP-BEGIN and VFCAP-END lines; then the guest powers off.
# Last, the watch scenario (guest-watch.sh): serve told of the kernel's changes as they happen.
# make bench's initramfs (bench/bench_kernel_watch.sh) runs guest-bench.sh's scenario instead.
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
hostname vfcap-guest
IP=/usr/sbin/ip.iproute2
DEV=/sys/bus/netdevsim/devices/netdevsim1
OUT=/out

log() { echo "vfcap-guest: $*"; }

send_results() {
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	{
		echo VFCAP-BEGIN
		tar -c -C "$OUT" . | gzip -1 | base64
		echo VFCAP-END
	} >/dev/ttyS1
	sync
	poweroff -f
}

fatal() {
	log "FATAL: $*"
	echo "$*" >"$OUT/fatal"
	send_results
}

uname -r >"$OUT/uname"
# the igb guest's initramfs carries its scenarios; the netdevsim guest's does not
[ -f /etc/vfcap/guest-igb.sh ] && . /etc/vfcap/guest-igb.sh
insmod /lib/vfcap/psample.ko || fatal "insmod psample.ko failed"
insmod /lib/vfcap/netdevsim.ko || fatal "insmod netdevsim.ko failed"
echo "1 1" >/sys/bus/netdevsim/new_device || fatal "netdevsim new_device failed"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	PF=$(ls "$DEV/net" 2>/dev/null | head -1)
	[ -n "$PF" ] && break
	sleep 1
done
[ -n "$PF" ] || fatal "netdevsim1 created no netdev"
echo "$PF" >"$OUT/pf"
echo 4096 >/sys/kernel/debug/netdevsim/netdevsim1/max_vfs || fatal "cannot raise max_vfs"
$IP link set "$PF" up
# make bench's latency scenario instead of the tests, when the bench's initramfs carries it
if [ -f /etc/vfcap/guest-bench.sh ]; then
	. /etc/vfcap/guest-bench.sh
	bench_netdevsim "$PF" "$DEV/sriov_numvfs"
	send_results
fi

for n in $(cut -d' ' -f1 /etc/vfcap/plan | uniq); do
	d=$OUT/$n
	mkdir -p "$d"
	log "$n VFs"
	echo 0 >"$DEV/sriov_numvfs"
	echo "$n" >"$DEV/sriov_numvfs" 2>"$d/numvfs.err" || { echo "write failed" >>"$d/numvfs.err"; continue; }
	grep "^$n " /etc/vfcap/plan | while read -r _ vf args; do
		# shellcheck disable=SC2086
		$IP link set "$PF" vf "$vf" $args 2>>"$d/set.err" || echo "ip link set $PF vf $vf $args: failed" >>"$d/set.err"
	done
	$IP -d link show dev "$PF" >"$d/ip.out" 2>"$d/ip.err"
	echo $? >"$d/ip.rc"
	# no libvirt daemon here: the default URI must fail as a reported error
	vfcap-report --netlink-record "$d/netlink.bin" -o "$d/report.json" 2>"$d/report.err"
	echo $? >"$d/report.rc"
	# libvirt's in-process test driver: a real connection with no domain holding any VF
	vfcap-report --libvirt-uri test:///default -o "$d/report-test.json" 2>"$d/report-test.err"
	echo $? >"$d/report-test.rc"
done
. /etc/vfcap/guest-watch.sh
watch_run "$PF" "$DEV/sriov_numvfs"
send_results
