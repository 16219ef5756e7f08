# SPDX-License-Identifier: MIT
# vfcap-report serve watching the host (sourced by tests/serve.sh, after its own checks): the
# real kernel's rtnetlink and uevent notifications in a network namespace of the test's own, and
# a real libvirtd's events (the run's own daemon, tests/lib-libvirtd.sh). The host is intel64's
# sysfs, copied, its PF naming an ifindex no link has (the kernel answers ENODEV, as on a host
# whose PF netlink fails) and four VF netdevs naming ifb links of that namespace: an address on
# one makes that VF "host", so the report changes when the kernel says so. Checks count gathers
# and compare ETags (SOURCE_DATE_EPOCH fixes the report time: equal content, equal ETag); none
# times anything.
# Needs what tests/serve.sh needs, and its serve_start/serve_stopped.

WDIR=$SDIR/watch
WNS=vfcap-watch-$$
mkdir -p "$WDIR"
W_LINKS=(ens1f0v10 ens1f0v11 ens1f0v12 ens1f0v13)

wx() { ip netns exec "$WNS" "$@"; }
# the served ETag, a metric of /metrics (NAME with its labels, as printed)
w_etag() { wx curl -s -o /dev/null -w '%header{etag}' "http://127.0.0.1:$S_PORT/v1/report"; }
w_metric() { wx curl -s "http://127.0.0.1:$S_PORT/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
w_gathers() { w_metric vfcap_gathers_total; }
w_events() { w_metric "vfcap_serve_events_total{source=\"$1\"}"; }
w_reason() { w_metric "vfcap_serve_gathers_total{reason=\"$1\"}"; }
# true once gathers and events have not moved for a second: the service is idle
w_settled() {
	local a b
	a="$(w_gathers) $(w_events netlink) $(w_events uevent) $(w_events libvirt)"
	sleep 1
	b="$(w_gathers) $(w_events netlink) $(w_events uevent) $(w_events libvirt)"
	[ "$a" = "$b" ]
}
w_etag_is_not() { [ "$(w_etag)" != "$1" ]; }
w_etag_is() { [ "$(w_etag)" = "$1" ]; }

w_setup() {
	ip netns add "$WNS" && ip -n "$WNS" link set lo up || return 1
	cp -a "$S_HOST/sysfs" "$WDIR/sysfs"
	local l f
	echo 99999 >"$(find "$WDIR/sysfs" -path '*/net/ens1f0/ifindex')"
	echo 99998 >"$(find "$WDIR/sysfs" -path '*/net/ens1f1/ifindex')"
	for l in "${W_LINKS[@]}"; do
		ip -n "$WNS" link add "$l" type ifb || return 1
		f=$(find "$WDIR/sysfs" -path "*/net/$l/ifindex")
		ip -n "$WNS" -o link show "$l" | cut -d: -f1 >"$f"
	done
}

# Links and addresses: a change that matters gives a new ETag, one undone gives the old one
# back, one that does not matter gathers but publishes nothing; idle, no gather. Then a burst,
# SIGHUP, and long-polls (tests/serve/check_longpoll.py).
serve_watch_kernel() {
	# 8 connections per address: the long-poll checks fill them
	sed 's/^\[vfcap\]$/&\nserve_max_conns_per_ip = 8/' "$S_HOST/vfcap.conf" >"$WDIR/kernel.conf"
	local src=(--sysfs-root "$WDIR/sysfs" --libvirt-uri "test://$TOP/$S_HOST/libvirt.xml" --config "$WDIR/kernel.conf")
	if ! serve_start "ip netns exec $WNS $ASAN/vfcap-report" "$WDIR/kernel.log" "${src[@]}"; then
		fail "serve: watch: starts in a namespace of its own" "$WDIR/kernel.log"
		return
	fi
	grep -q "host read on change (netlink, uevent) and at least every 120 s" "$WDIR/kernel.log" &&
		[ "$(w_metric 'vfcap_serve_watching{source="netlink"}')" = 1 ] &&
		[ "$(w_metric 'vfcap_serve_watching{source="uevent"}')" = 1 ] &&
		pass "serve: watch: netlink and uevents watched, safety net 120 s (the default)" ||
		fail "serve: watch: what is watched" "$WDIR/kernel.log"
	wait_until 100 w_settled
	local e0 g0 g1 p0 p1 n0 u0
	e0=$(w_etag) g0=$(w_gathers)
	sleep 3
	g1=$(w_gathers)
	[ -n "$g0" ] && [ "$g0" = "$g1" ] && pass "serve: watch: idle for 3 s: no gather ($g0 in all)" ||
		fail "serve: watch: idle: gathers $g0 -> $g1" "$WDIR/kernel.log"

	wx ip addr add 192.0.2.10/24 dev ens1f0v10
	if wait_until 300 w_etag_is_not "$e0" &&
		wx curl -s "http://127.0.0.1:$S_PORT/v1/report" | grep -q '"owner": *"addresses on ens1f0v10"'; then
		pass "serve: watch: an address on a VF's netdev: a new ETag, the VF used by the host"
	else
		fail "serve: watch: address added, ETag still $e0" "$WDIR/kernel.log"
	fi
	wx ip addr del 192.0.2.10/24 dev ens1f0v10
	wait_until 300 w_etag_is "$e0" && pass "serve: watch: the address removed: the first ETag again" ||
		fail "serve: watch: address removed, ETag $(w_etag), want $e0" "$WDIR/kernel.log"

	wait_until 100 w_settled
	g0=$(w_gathers) p0=$(w_metric vfcap_serve_publishes_total) n0=$(w_events netlink) u0=$(w_events uevent)
	wx ip link add other0 type ifb && wx ip link set other0 up && wx ip link del other0
	wait_until 100 w_settled
	g1=$(w_gathers) p1=$(w_metric vfcap_serve_publishes_total)
	if [ "$(w_events netlink)" -gt "$n0" ] && [ "$(w_events uevent)" -gt "$u0" ] && [ "$g1" -gt "$g0" ] &&
		[ "$p1" = "$p0" ] && [ "$(w_etag)" = "$e0" ]; then
		pass "serve: watch: a link created and deleted: netlink and uevent events, $((g1 - g0)) gather(s), nothing published, same ETag"
	else
		fail "serve: watch: unrelated link: gathers $g0 -> $g1, publishes $p0 -> $p1, netlink $n0 -> $(w_events netlink), uevent $u0 -> $(w_events uevent)" "$WDIR/kernel.log"
	fi
	serve_watch_burst
	serve_watch_hup
	wait_until 100 w_settled
	PY="ip netns exec $WNS $PY" run_checks serve "$WDIR/kernel.log" tests/serve/check_longpoll.py \
		"http://127.0.0.1:$S_PORT" "$S_PID" ens1f0v11
	serve_stopped "watching the kernel" "$WDIR/kernel.log"
}

# 1,000 link changes from one `ip -batch`: a few gathers, at most one per BURST_MS (1 s) that
# the burst lasted (its length measured, so a slow machine gets more, never a failure).
serve_watch_burst() {
	local i g0 g1 n0 n1 t0 t1
	wx ip link add burst0 type ifb
	for i in $(seq 1000); do echo "link set burst0 mtu $((1000 + i % 500))"; done >"$WDIR/burst.batch"
	wait_until 100 w_settled
	g0=$(w_gathers) n0=$(w_events netlink)
	t0=$(date +%s%N)
	wx ip -batch "$WDIR/burst.batch"
	t1=$(date +%s%N)
	wait_until 100 w_settled
	g1=$(w_gathers) n1=$(w_events netlink)
	local allowed=$((2 + (t1 - t0) / 1000000000))
	if [ $((n1 - n0)) -ge 1000 ] && [ $((g1 - g0)) -ge 1 ] && [ $((g1 - g0)) -le $allowed ]; then
		pass "serve: watch: a burst of $((n1 - n0)) link events: $((g1 - g0)) gather(s) (at most $allowed)"
	else
		fail "serve: watch: burst: events $n0 -> $n1, gathers $g0 -> $g1 (at most $allowed)" "$WDIR/kernel.log"
	fi
	wx ip link del burst0
}

# SIGHUP while watching: one gather at once, published (a forced read refreshes the report)
serve_watch_hup() {
	wait_until 100 w_settled
	local s0 p0
	s0=$(w_reason sighup) p0=$(w_metric vfcap_serve_publishes_total)
	kill -HUP "$S_PID"
	w_hup_done() { [ "$(w_reason sighup)" = $((s0 + 1)) ]; }
	wait_until 300 w_hup_done && [ "$(w_metric vfcap_serve_publishes_total)" = $((p0 + 1)) ] &&
		grep -q "SIGHUP: reading the host again" "$WDIR/kernel.log" &&
		pass "serve: watch: SIGHUP reads the host at once, no request needed" ||
		fail "serve: watch: SIGHUP: sighup gathers $s0 -> $(w_reason sighup)" "$WDIR/kernel.log"
}

# The safety net: with --interval 1 and nothing changing, the host is still read (and the
# report republished: the same content, so the same ETag).
serve_watch_interval() {
	local src=(--sysfs-root "$WDIR/sysfs" --libvirt-uri "test://$TOP/$S_HOST/libvirt.xml" --config "$S_HOST/vfcap.conf")
	if ! serve_start "ip netns exec $WNS $ASAN/vfcap-report" "$WDIR/interval.log" "${src[@]}" --interval 1; then
		fail "serve: watch: starts with --interval 1" "$WDIR/interval.log"
		return
	fi
	local e0
	e0=$(w_etag)
	w_interval_ran() { [ "$(w_reason interval)" -ge 2 ]; }
	wait_until 100 w_interval_ran && [ "$(w_etag)" = "$e0" ] &&
		pass "serve: watch: the safety net reads an idle host every interval, same ETag" ||
		fail "serve: watch: interval gathers $(w_reason interval)" "$WDIR/interval.log"
	serve_stopped "watching, --interval 1" "$WDIR/interval.log"
	# serve_watch = no: not watched, on demand as before
	sed 's/^\[vfcap\]$/&\nserve_watch = no/' "$S_HOST/vfcap.conf" >"$WDIR/nowatch.conf"
	if serve_start "ip netns exec $WNS $ASAN/vfcap-report" "$WDIR/nowatch.log" "${src[@]:0:4}" --config "$WDIR/nowatch.conf"; then
		grep -q "host read at most every 120 s" "$WDIR/nowatch.log" &&
			[ "$(w_metric 'vfcap_serve_watching{source="netlink"}')" = 0 ] &&
			pass "serve: watch: serve_watch = no: nothing watched, on demand" ||
			fail "serve: watch: serve_watch = no" "$WDIR/nowatch.log"
		serve_stopped "serve_watch = no" "$WDIR/nowatch.log"
	else
		fail "serve: watch: starts with serve_watch = no" "$WDIR/nowatch.log"
	fi
}

if w_setup; then
	serve_watch_kernel
	serve_watch_interval
else
	fail "serve: watch: namespace $WNS with ifb links" /dev/null
fi
ip netns del "$WNS" 2>/dev/null
source tests/serve-watch-libvirt.sh
