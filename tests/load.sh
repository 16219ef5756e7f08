# SPDX-License-Identifier: MIT
# Load (sourced by tests/run.sh): `vfcap-filter serve` and `vfcap-report serve`, plain build (its
# memory is measured), each under 10,000 well-formed requests from 50 keep-alive clients while 50
# slow clients send a request 1 byte per second and 200 clients send part of one and vanish
# (build/tools/loadgen, driven by tests/load/load.py): every request answered correctly within
# 5 s, every slow client cut request_timeout (4 s here) after its first byte, the service
# answering afterwards, its RSS not growing over a second round; then a flood: 300 slow clients
# from one address (more than the 256 connections the service takes) reconnecting as soon as
# they are cut or refused, while 10,000 more requests must all be answered in time. Its peak RSS
# (VmHWM) bounded and printed, its log bounded, exit 0 on SIGTERM. The filter runs with
# threads 2, max_conns 256, max_conns_per_ip 64; the reporter with its defaults (two epoll
# threads, 256, 64 per address). The well-formed clients come from 127.0.0.1, the others
# from 127.0.0.2. LOAD_REQUESTS, LOAD_CLIENTS, LOAD_SLOW, LOAD_VANISH, LOAD_FLOOD change the
# sizes; about 40 s in all.
# Needs: TOP, TMP, PLAIN, PY, pass/fail from lib-results.sh.

LDIR=$TMP/load
rm -rf "$LDIR" && mkdir -p "$LDIR"
LOADGEN=${LOADGEN:-$PLAIN/tools/loadgen}
L_EPOCH=${SOURCE_DATE_EPOCH:-1795000000}
L_REQUEST_TIMEOUT=4
L_LOG_MAX=40 # lines a service may log besides one per request: MHD's say-it-once limiter

# Start a service (binary, log, arguments...) on a port of its choosing; sets L_PID, L_PORT.
load_start() {
	local rc=0
	svc_start "$@" || rc=$?
	L_PID=$SVC_PID
	L_PORT=$SVC_PORT
	return $rc
}

# load.py's PASS/FAIL lines -> the harness's counters (its figures shown as they are); then the
# service is stopped and must exit 0, having logged little besides its requests.
load_run() { # name, log, then load.py's arguments
	local name=$1 log=$2 rc
	shift 2
	run_checks load "$log" tests/load/load.py "$@" "$L_REQUEST_TIMEOUT"
	rc=0
	kill -TERM "$L_PID" 2>/dev/null
	wait "$L_PID" || rc=$?
	[ $rc = 0 ] && pass "load: $name: SIGTERM stops it after the load, exit 0" ||
		fail "load: $name: exit $rc on SIGTERM after the load" "$log"
	local other
	other=$(grep -vc -e ' status=' -e ': serving' -e ': stopped$' "$log")
	[ "$other" -le $L_LOG_MAX ] && pass "load: $name: $other log lines besides requests (<= $L_LOG_MAX)" ||
		fail "load: $name: $other log lines besides requests" "$log"
}

load_filter() {
	env -u SOURCE_DATE_EPOCH "$PY" tests/filter/mkreports.py "$LDIR/reports" 1000
	printf '[filter]\nrequest_timeout = %d\nmax_conns = 256\nmax_conns_per_ip = 64\n' $L_REQUEST_TIMEOUT >"$LDIR/filter.conf"
	if ! load_start "$PLAIN/vfcap-filter" "$LDIR/filter.log" --reports "$LDIR/reports" --config "$LDIR/filter.conf"; then
		fail "load: filter: serve starts over 1,000 reports" "$LDIR/filter.log"
		return
	fi
	load_run filter "$LDIR/filter.log" filter "$L_PORT" "$L_PID" "$LDIR/filter" "$LOADGEN" 1000
	local ok200 all
	ok200=$(grep -c ' status=200 ' "$LDIR/filter.log")
	all=$(grep -c ' status=' "$LDIR/filter.log")
	echo "    filter log: $ok200 status=200 lines, $((all - ok200)) other statuses"
}

load_report() {
	local host=tests/fixtures/hosts/intel64
	sed "s/^\[vfcap\]\$/&\nserve_request_timeout = $L_REQUEST_TIMEOUT/" "$host/vfcap.conf" >"$LDIR/report.conf"
	local src=(--sysfs-root "$host/sysfs" --netlink-file "$host/netlink.bin"
		--libvirt-uri "test://$TOP/$host/libvirt.xml" --config "$LDIR/report.conf")
	SOURCE_DATE_EPOCH=$L_EPOCH "$PLAIN/vfcap-report" "${src[@]}" --format json >"$LDIR/oneshot.json"
	if ! SOURCE_DATE_EPOCH=$L_EPOCH load_start "$PLAIN/vfcap-report" "$LDIR/report.log" "${src[@]}"; then
		fail "load: report: serve starts" "$LDIR/report.log"
		return
	fi
	load_run report "$LDIR/report.log" report "$L_PORT" "$L_PID" "$LDIR/report" "$LOADGEN" "$LDIR/oneshot.json"
}

if [ -x "$LOADGEN" ]; then
	load_filter
	load_report
else
	fail "load: $LOADGEN missing (make all builds tests/tools/loadgen.c)"
fi
