# Load (sourced by tests/run.sh): `vfcap-filter serve` and `vfcap-report serve`, plain build (its
# memory is measured), each under 10,000 well-formed requests from 50 keep-alive clients while 50
# slow clients send a request 1 byte per second and 200 clients send part of one and vanish
# (build/tools/loadgen, driven by tests/load/load.py): every request answered correctly within
# 5 s, the service answering afterwards, its peak RSS (VmHWM) bounded and printed, exit 0 on
# SIGTERM; then a second round of 10,000 (vanishing clients only) must not grow its RSS. The
# slow clients trickle from before the first request until the last is answered and at least
# LOAD_MIN_HOLD (10) s have passed, then send the rest and must be answered right. The filter runs
# with the default settings (threads 2, conn_timeout 30, max_conns 1024); the reporter's are fixed
# (reporter/serve.c: thread per connection, 30 s, 256). Both time out idle connections only: a
# client sending 1 byte/s is never cut. LOAD_REQUESTS, LOAD_CLIENTS, LOAD_SLOW, LOAD_VANISH,
# LOAD_MIN_HOLD change the sizes; about 25 s in all.
# Needs: TOP, TMP, PLAIN, PY, pass/fail from lib-results.sh.

LDIR=$TMP/load
rm -rf "$LDIR" && mkdir -p "$LDIR"
LOADGEN=${LOADGEN:-$PLAIN/tools/loadgen}
L_EPOCH=${SOURCE_DATE_EPOCH:-1795000000}

# Start a service (binary, log, arguments...) on a port of its choosing; sets L_PID, L_PORT.
load_start() {
	local rc=0
	svc_start "$@" || rc=$?
	L_PID=$SVC_PID
	L_PORT=$SVC_PORT
	return $rc
}

# load.py's PASS/FAIL lines -> the harness's counters, its other lines as they are; then the
# service is stopped and must exit 0.
load_run() { # name, log, then load.py's arguments
	local name=$1 log=$2 line rc=0
	shift 2
	$PY tests/load/load.py "$@" >"$LDIR/$name.out" 2>&1 || rc=$?
	while IFS= read -r line; do
		case "$line" in
		PASS\ *) pass "load: ${line#PASS }" ;;
		FAIL\ *) echo "${line#FAIL }" >"$LDIR/why" && fail "load: ${line#FAIL }" "$LDIR/why" ;;
		*) echo "    $line" ;;
		esac
	done <"$LDIR/$name.out"
	if [ $rc != 0 ] && ! grep -q '^FAIL ' "$LDIR/$name.out"; then
		cat "$log" >>"$LDIR/$name.out"
		fail "load: $name: load.py exited $rc without a FAIL line" "$LDIR/$name.out"
	fi
	rc=0
	kill -TERM "$L_PID" 2>/dev/null
	wait "$L_PID" || rc=$?
	[ $rc = 0 ] && pass "load: $name: SIGTERM stops it after the load, exit 0" ||
		fail "load: $name: exit $rc on SIGTERM after the load" "$log"
}

load_filter() {
	env -u SOURCE_DATE_EPOCH "$PY" tests/filter/mkreports.py "$LDIR/reports" 1000
	if ! load_start "$PLAIN/vfcap-filter" "$LDIR/filter.log" --reports "$LDIR/reports" --config /dev/null; then
		fail "load: filter: serve starts over 1,000 reports" "$LDIR/filter.log"
		return
	fi
	load_run filter "$LDIR/filter.log" filter "$L_PORT" "$L_PID" "$LDIR/filter" "$LOADGEN" 1000
	# one line per request, and what else it said (MHD on the vanished clients?)
	local ok200 all
	ok200=$(grep -c ' status=200 ' "$LDIR/filter.log")
	all=$(grep -c ' status=' "$LDIR/filter.log")
	echo "    filter log: $ok200 status=200 lines, $((all - ok200)) other statuses, $(grep -vc ' status=' "$LDIR/filter.log") other lines"
}

load_report() {
	local host=tests/fixtures/hosts/intel64
	local src=(--sysfs-root "$host/sysfs" --netlink-file "$host/netlink.bin"
		--libvirt-uri "test://$TOP/$host/libvirt.xml" --config "$host/vfcap.conf")
	SOURCE_DATE_EPOCH=$L_EPOCH "$PLAIN/vfcap-report" "${src[@]}" --format json >"$LDIR/oneshot.json"
	if ! SOURCE_DATE_EPOCH=$L_EPOCH load_start "$PLAIN/vfcap-report" "$LDIR/report.log" "${src[@]}"; then
		fail "load: report: serve starts" "$LDIR/report.log"
		return
	fi
	load_run report "$LDIR/report.log" report "$L_PORT" "$L_PID" "$LDIR/report" "$LOADGEN" "$LDIR/oneshot.json"
	echo "    report log: $(grep -vc -e '^vfcap-report: serving' -e '^vfcap-report: stopped$' "$LDIR/report.log") lines" \
		"besides serving/stopped"
}

if [ -x "$LOADGEN" ]; then
	load_filter
	load_report
else
	fail "load: $LOADGEN missing (make all builds tests/tools/loadgen.c)"
fi
