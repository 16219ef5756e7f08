# SPDX-License-Identifier: MIT
# vfcap-report serve watching a real libvirtd (sourced by tests/serve-watch.sh): the run's own
# daemon (tests/lib-libvirtd.sh) with a passthrough pool of veth links, two of its VFs handed out
# (net-port-create). The network destroyed and started, a domain defined, a real VM started on
# the pool and destroyed: libvirt's events reach serve, the report follows; libvirtd restarted under it: serve reconnects, and counts that as a
# change; libvirtd hung (SIGSTOP): the keepalive gives up on it, and serve reconnects once it
# answers. intel64's sysfs and recorded netlink, so nothing but libvirt is watched.
source tests/lib-libvirtd.sh

wl_metric() { curl -s "http://127.0.0.1:$S_PORT/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
wl_events() { wl_metric 'vfcap_serve_events_total{source="libvirt"}'; }
wl_up() { [ "$(wl_metric 'vfcap_serve_watching{source="libvirt"}')" = "$1" ]; }
wl_etag() { curl -s -o /dev/null -w '%header{etag}' "http://127.0.0.1:$S_PORT/v1/report"; }
wl_etag_is_not() { [ "$(wl_etag)" != "$1" ]; }
wl_events_over() { [ "$(wl_events)" -gt "$1" ]; }
wl_free() { curl -s "http://127.0.0.1:$S_PORT/v1/report" | $PY -c 'import json, sys; print(json.load(sys.stdin)["totals"]["free"])'; }
wl_pool_vfs() { # how many VFs the served report has in state pool
	curl -s "http://127.0.0.1:$S_PORT/v1/report" |
		$PY -c 'import json, sys; print(sum(v["state"] == "pool" for p in json.load(sys.stdin)["pfs"] for v in p["vfs"]))'
}

serve_watch_libvirt() {
	local dir=$SDIR/watch
	local src=(--sysfs-root "$S_HOST/sysfs" --netlink-file "$S_HOST/netlink.bin" --libvirt-uri "$LV_URI"
		--config "$S_HOST/vfcap.conf")
	if ! serve_start "$ASAN/vfcap-report" "$dir/libvirt.log" "${src[@]}"; then
		fail "serve: watch libvirt: starts" "$dir/libvirt.log"
		return
	fi
	if wait_until 300 wl_up 1 && grep -q "host read on change (libvirt)" "$dir/libvirt.log"; then
		pass "serve: watch libvirt: connected to libvirtd's events, nothing else watched"
	else
		fail "serve: watch libvirt: not connected" "$dir/libvirt.log"
	fi
	local e0 n0 p
	e0=$(wl_etag) n0=$(wl_events) p=$(wl_pool_vfs)
	virsh -c "$LV_URI" -q net-destroy direct-pool >/dev/null
	if wait_until 300 wl_etag_is_not "$e0" && [ "$p" = 2 ] && [ "$(wl_pool_vfs)" = 0 ] && [ "$(wl_events)" -gt "$n0" ]; then
		pass "serve: watch libvirt: the pool network destroyed: event, new ETag, its 2 VFs no longer pool"
	else
		fail "serve: watch libvirt: net-destroy: pool VFs $p -> $(wl_pool_vfs), events $n0 -> $(wl_events)" "$dir/libvirt.log"
	fi
	n0=$(wl_events)
	virsh -c "$LV_URI" -q net-start direct-pool >/dev/null
	wait_until 300 wl_events_over "$n0" && pass "serve: watch libvirt: the network started: an event" ||
		fail "serve: watch libvirt: net-start, no event" "$dir/libvirt.log"
	n0=$(wl_events)
	printf '<domain type="qemu"><name>vfcap-watch</name><memory unit="MiB">64</memory><os><type>hvm</type></os></domain>\n' \
		>"$dir/domain.xml"
	if virsh -c "$LV_URI" -q define "$dir/domain.xml" >"$dir/define.log" 2>&1; then
		wait_until 300 wl_events_over "$n0" && pass "serve: watch libvirt: a domain defined: an event" ||
			fail "serve: watch libvirt: define, no event" "$dir/libvirt.log"
		virsh -c "$LV_URI" -q undefine vfcap-watch >/dev/null 2>&1
	else
		fail "serve: watch libvirt: virsh define" "$dir/define.log"
	fi
	serve_watch_libvirt_vm "$dir"
	serve_watch_libvirt_restart "$dir"
	serve_watch_libvirt_stopped "$dir"
	serve_stopped "watching libvirt" "$dir/libvirt.log"
}

# A real VM (TCG) started on the pool takes a VF as every VM does; destroyed, gives it back:
# libvirt's domain lifecycle events reach serve, and the served free count follows
serve_watch_libvirt_vm() {
	local dir=$1 e0 f0 f1
	if ! libvirtd_vm vfcap-vm direct-pool 2>"$dir/vm.err"; then
		fail "serve: watch libvirt: a VM: not defined" "$dir/vm.err"
		return
	fi
	sleep 1 # the define's own event read
	e0=$(wl_etag) f0=$(wl_free)
	if ! virsh -c "$LV_URI" -q start vfcap-vm >"$dir/vm.err" 2>&1; then
		fail "serve: watch libvirt: a VM: virsh start" "$dir/vm.err"
		return
	fi
	wait_until 300 wl_etag_is_not "$e0"
	f1=$(wl_free)
	[ "$f1" = $((f0 - 1)) ] && pass "serve: watch libvirt: a VM started on the pool: new ETag, free $f0 -> $f1" ||
		fail "serve: watch libvirt: a VM started: free $f0 -> $f1" "$dir/libvirt.log"
	e0=$(wl_etag)
	virsh -c "$LV_URI" -q destroy vfcap-vm >/dev/null
	wait_until 300 wl_etag_is_not "$e0"
	[ "$(wl_free)" = "$f0" ] && pass "serve: watch libvirt: the VM destroyed: new ETag, free back to $f0" ||
		fail "serve: watch libvirt: the VM destroyed: free $f1 -> $(wl_free)" "$dir/libvirt.log"
}

# libvirtd stopped: the watch says so; started again: serve reconnects (within its backoff)
# and that counts as a change
serve_watch_libvirt_restart() {
	local dir=$1 n0 g0
	kill -TERM "$LV_PID" && wait "$LV_PID"
	LV_PID=
	wait_until 300 wl_up 0 && pass "serve: watch libvirt: libvirtd stopped: vfcap_serve_watching{source=\"libvirt\"} 0" ||
		fail "serve: watch libvirt: still up after libvirtd stopped" "$dir/libvirt.log"
	n0=$(wl_events) g0=$(wl_metric 'vfcap_serve_gathers_total{reason="event"}')
	if libvirtd_start; then
		wl_event_gathered() { [ "$(wl_metric 'vfcap_serve_gathers_total{reason="event"}')" -gt "$g0" ]; }
		if wait_until 600 wl_up 1 && wait_until 300 wl_event_gathered && [ "$(wl_events)" -gt "$n0" ] &&
			grep -q "watch: libvirt $LV_URI: connected again" "$dir/libvirt.log"; then
			pass "serve: watch libvirt: libvirtd restarted: reconnected, counted as a change, read again"
		else
			fail "serve: watch libvirt: no reconnection (events $n0 -> $(wl_events))" "$dir/libvirt.log"
		fi
	else
		fail "serve: watch libvirt: libvirtd did not start again" "$TMP/libvirtd.log"
	fi
}

# The plain build under valgrind watching libvirtd: connected, an event read, stopped cleanly
# (libvirt's event thread and its connection freed).
serve_watch_libvirt_valgrind() {
	local dir=$SDIR/watch e0 rc=0
	local src=(--sysfs-root "$S_HOST/sysfs" --netlink-file "$S_HOST/netlink.bin" --libvirt-uri "$LV_URI"
		--config "$S_HOST/vfcap.conf")
	libvirtd_port direct-pool # a VF in state pool, until the network goes
	if ! serve_start "$VALGRIND $PLAIN/vfcap-report" "$dir/vg.log" "${src[@]}"; then
		fail "serve: watch libvirt: valgrind: starts" "$dir/vg.log"
		return
	fi
	wait_until 600 wl_up 1
	e0=$(wl_etag)
	virsh -c "$LV_URI" -q net-destroy direct-pool >/dev/null
	wait_until 600 wl_etag_is_not "$e0" || { rc=1; echo "ETag still $e0 after net-destroy" >>"$dir/vg.log"; }
	virsh -c "$LV_URI" -q net-start direct-pool >/dev/null
	serve_stop || rc=$?
	[ $rc = 0 ] && pass "serve: watch libvirt: valgrind clean (connected, an event read, SIGTERM, exit 0)" ||
		fail "serve: watch libvirt: valgrind: exit $rc" "$dir/vg.log"
}

# libvirtd hung (SIGSTOP): the keepalive (a ping after 5 s of silence, 3 unanswered) closes the
# watch connection within about 20 s; SIGCONT: serve is connected again and reads the host.
serve_watch_libvirt_stopped() {
	local dir=$1 n0
	n0=$(wl_events)
	kill -STOP "$LV_PID"
	if wait_until 600 wl_up 0; then
		pass "serve: watch libvirt: libvirtd hung (SIGSTOP): the keepalive closes the watch"
	else
		fail "serve: watch libvirt: libvirtd hung, still watching after 60 s" "$dir/libvirt.log"
	fi
	kill -CONT "$LV_PID"
	wait_until 600 wl_up 1 && wait_until 300 wl_events_over "$n0" &&
		pass "serve: watch libvirt: libvirtd answers again (SIGCONT): connected again, counted as a change" ||
		fail "serve: watch libvirt: no reconnection after SIGCONT" "$dir/libvirt.log"
}

if libvirtd_start && libvirtd_veths ens1f0v10 ens1f0v11 ens1f0v12 ens1f0v13 &&
	libvirtd_pool direct-pool ens1f0v10 ens1f0v11 ens1f0v12 ens1f0v13 &&
	libvirtd_port direct-pool && libvirtd_port direct-pool; then
	serve_watch_libvirt
	serve_watch_libvirt_valgrind
else
	fail "serve: watch libvirt: libvirtd rig did not start" "$TMP/libvirtd.log"
fi
libvirtd_stop
