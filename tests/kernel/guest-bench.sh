# shellcheck shell=sh
# SPDX-License-Identifier: MIT
# make bench's kernel-rig latency (bench/bench_kernel_watch.sh), sourced by /init
# (guest-init.sh: bench_netdevsim) or guest-igb.sh (bench_igb) only when the bench put this file
# in the initramfs; the normal rig runs never see it. Change to verdict: `vfcap-report serve` and a
# real `vfcap-filter serve` following it (--report-url, host id 127.0.0.1), runFilters asked over
# XML-RPC by busybox's wget every ~50 ms until the verdict reflects a change made on the kernel.
# Two modes in the same guest run:
#   watching  serve watching the kernel, the filter following (follow_wait 50)
#   polling   today's pair: serve_watch = no, serve_interval 10; follow_wait 0 (cache_max_age 30)
# Times are /proc/uptime's (10 ms steps: busybox's date has no %N), under QEMU TCG: the guest's
# own slowness is part of every latency. Each change is one line of $OUT/bench/lat:
#   kind mode i direction t_before t_after t_verdict
# (t_before: just before the change's command, t_after: once it returned, t_verdict: the first
# runFilters answer that reflects it). Anything that went wrong goes to $OUT/bench/setup.err.
BSERVE=18790
BFILTER=18791
B=$OUT/bench
BSPID=""
BFPID=""

b_err() { echo "$*" >>"$B/setup.err"; log "bench: $*"; }
b_now() { read -r BT _ </proc/uptime; }

b_get() { # path -> stdout: serve's answer
	wget -q -O - "http://127.0.0.1:$BSERVE$1" 2>>"$B/wget.err"
}
b_free() { b_get /metrics | sed -n 's/^vfcap_host_free_vfs[^ ]* //p'; }

# runFilters(["vfcap_vf_capacity"], ["127.0.0.1"], "vm", {vf_demand, max_report_age "0"}):
# 0 when the answer's result (its last member) holds the host, 1 when not, 2 when no answer
b_passes() {
	wget -q -O "$B/rf.out" --header 'Content-Type: text/xml' --post-data "$BBODY" \
		"http://127.0.0.1:$BFILTER/" 2>>"$B/wget.err" || return 2
	tr -d '\n' <"$B/rf.out" | sed 's/.*<name>result<\/name>//' | grep -q '<string>127\.0\.0\.1</string>'
}
b_body() { # vf_demand
	BBODY='<?xml version="1.0"?><methodCall><methodName>runFilters</methodName><params>'
	BBODY="$BBODY"'<param><value><array><data><value><string>vfcap_vf_capacity</string></value></data></array></value></param>'
	BBODY="$BBODY"'<param><value><array><data><value><string>127.0.0.1</string></value></data></array></value></param>'
	BBODY="$BBODY"'<param><value><string>vm</string></value></param>'
	BBODY="$BBODY"'<param><value><struct><member><name>vf_demand</name><value><string>'"$1"'</string></value></member>'
	BBODY="$BBODY"'<member><name>max_report_age</name><value><string>0</string></value></member></struct></value></param>'
	BBODY="$BBODY"'</params></methodCall>'
}

# b_start MODE: serve and the filter, configured for MODE; 0 once both answer
b_start() {
	if [ "$1" = polling ]; then
		printf '[vfcap]\ndirty = used\nserve_watch = no\nserve_interval = 10\n' >"$B/serve-$1.conf"
		fw=0
	else
		printf '[vfcap]\ndirty = used\n' >"$B/serve-$1.conf"
		fw=50
	fi
	printf '[filter]\nlisten = 127.0.0.1:%s\nfollow_wait = %s\n' "$BFILTER" "$fw" >"$B/filter-$1.conf"
	vfcap-report serve --listen "127.0.0.1:$BSERVE" --config "$B/serve-$1.conf" \
		--libvirt-uri test:///default 2>"$B/serve-$1.log" &
	BSPID=$!
	vfcap-filter serve --quiet --config "$B/filter-$1.conf" \
		--report-url "http://{host_id}:$BSERVE/v1/report" 2>"$B/filter-$1.log" &
	BFPID=$!
	bn=100
	until wget -q -O /dev/null "http://127.0.0.1:$BSERVE/metrics" 2>/dev/null &&
		wget -q -O /dev/null "http://127.0.0.1:$BFILTER/metrics" 2>/dev/null; do
		bn=$((bn - 1))
		[ "$bn" -gt 0 ] || { b_err "$1: serve or the filter never answered"; return 1; }
		usleep 200000
	done
}

b_stop() {
	[ -n "$BFPID" ] && kill -TERM "$BFPID" && wait "$BFPID"
	[ -n "$BSPID" ] && kill -TERM "$BSPID" && wait "$BSPID"
	BSPID=""
	BFPID=""
}

# b_mode KIND MODE N ON OFF: N changes, alternately ON (the host then fails: one free VF fewer or
# none) and OFF (it passes again), each timed until runFilters reflects it. ON and OFF are
# function names. Polling mode waits a random 0-10 s before each change (any moment of serve's
# cycle), as bench_e2e.py does.
b_mode() {
	kind=$1 mode=$2 n=$3
	b_start "$mode" || { b_stop; return 1; }
	free=$(b_free)
	echo "$kind $mode free=$free" >>"$B/free"
	if [ -z "$free" ] || [ "$free" -lt 1 ]; then
		b_err "$kind $mode: serve reports free '$free' (needs > 0)"
		b_stop
		return 1
	fi
	b_body "$free"
	bn=0
	until b_passes; do
		bn=$((bn + 1))
		[ "$bn" -lt 100 ] || { b_err "$kind $mode: the host fails with its own free count ($free) asked"; b_stop; return 1; }
		usleep 200000
	done
	sleep 1 # the filter's long-poll is held by now
	i=0
	while [ "$i" -lt "$n" ]; do
		# shellcheck disable=SC3028 # busybox's ash has $RANDOM
		[ "$mode" = polling ] && usleep $((RANDOM % 10000 * 1000))
		if [ $((i % 2)) = 0 ]; then cmd=$4 dir=on want=1; else cmd=$5 dir=off want=0; fi
		b_now
		t0=$BT
		$cmd 2>>"$B/setup.err" || b_err "$kind $mode $i: $cmd failed"
		b_now
		t1=$BT
		while :; do
			b_passes
			[ $? = "$want" ] && break
			b_now
			bw=${BT%.*}
			[ "$bw" -lt $((${t0%.*} + 120)) ] || { b_err "$kind $mode $i: verdict unchanged after 120 s"; break; }
			usleep 50000
		done
		b_now
		echo "$kind $mode $i $dir $t0 $t1 $BT" >>"$B/lat"
		usleep 300000
		i=$((i + 1))
	done
	[ $((n % 2)) = 0 ] || $5 2>>"$B/setup.err"
	# whether the filter followed (long-polls) or fetched: its metrics, judged on the host
	wget -q -O "$B/filter-$mode.metrics" "http://127.0.0.1:$BFILTER/metrics" 2>>"$B/wget.err"
	b_get /metrics >"$B/serve-$mode.metrics"
	b_stop
}

b_counts() { # the changes each mode makes, from /etc/vfcap/bench (watch=N, poll=N)
	BWATCH=$(sed -n 's/^watch=//p' /etc/vfcap/bench)
	BPOLL=$(sed -n 's/^poll=//p' /etc/vfcap/bench)
}

# The netdevsim guest: VF 0's VLAN set to 5 and back to 0, with `dirty = used` (a VLAN left on a
# free VF takes it out of free). netdevsim's VFs start with spoofchk off, itself dirty: on first.
bench_netdevsim() { # PF sriov_numvfs-path
	mkdir -p "$B"
	BPF=$1
	"$IP" link set lo up
	b_counts
	if ! echo 0 >"$2" || ! echo 4 >"$2"; then
		b_err "cannot set 4 VFs"
		return
	fi
	for v in 0 1 2 3; do "$IP" link set "$BPF" vf "$v" spoofchk on 2>>"$B/setup.err" || b_err "spoofchk on vf $v"; done
	b_mode vlan watching "$BWATCH" b_vlan5 b_vlan0
	b_mode vlan polling "$BPOLL" b_vlan5 b_vlan0
}
b_vlan5() { "$IP" link set "$BPF" vf 0 vlan 5; }
b_vlan0() { "$IP" link set "$BPF" vf 0 vlan 0; }

# The igb guest: sriov_numvfs 3 -> 0 -> 3 on a real PCI PF (the kernel refuses a non-zero to
# non-zero change). sriov_drivers_autoprobe stays on: igbvf binds each VF as on a real host.
bench_igb() {
	mkdir -p "$B"
	"$IP" link set lo up
	b_counts
	echo 3 >"$PFSYS/sriov_numvfs" 2>>"$B/setup.err" || { b_err "cannot set 3 VFs"; return; }
	sleep 2
	b_mode numvfs watching "$BWATCH" b_numvfs0 b_numvfs3
	b_mode numvfs polling "$BPOLL" b_numvfs0 b_numvfs3
}
b_numvfs0() { echo 0 >"$PFSYS/sriov_numvfs"; }
b_numvfs3() { echo 3 >"$PFSYS/sriov_numvfs"; }
