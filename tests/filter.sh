# SPDX-License-Identifier: MIT
# vfcap-filter through the real binary (sourced by tests/run.sh): the service (ASan build)
# driven by Python's xmlrpc.client and raw HTTP (tests/filter/check_service.py), demand from
# an engine-shaped REST server, reports fetched over HTTP, `run`, and the legacy-proxy plugin.
# Needs: TOP, TMP, ASAN, PLAIN, PY, pass/fail from lib-results.sh.

FDIR=$TMP/filter
rm -rf "$FDIR" && mkdir -p "$FDIR"
F_VM=11111111-2222-4333-8444-555555555555

# hosts 0..9 of mkreports.py plus the special ones check_service.py knows
filter_reports() { # dir
	$PY tests/filter/mkreports.py "$1" 10
	$PY tests/filter/mkreports.py "$FDIR/stale" 1 --first 5 --age 1000
	mv "$FDIR/stale/00000005-0000-4000-8000-000000000005.json" "$1/5ta1e000-0000-4000-8000-000000000000.json"
	echo '{"schema_version": 1, "host": ' >"$1/b40ken00-0000-4000-8000-000000000000.json"
	cp tests/fixtures/variants/intel64-libvirt-down/expected.json "$1/00f4ee00-0000-4000-8000-000000000000.json"
	# a reporter not yet upgraded: schema_version 1, no shared_iommu (0 for iommu_isolation)
	cp tests/fixtures/reports-v1/intel64.json "$1/00v1a000-0000-4000-8000-000000000000.json"
}

# Start `vfcap-filter serve` (binary, log, extra args...); sets F_PID and F_URL.
filter_start() {
	local rc=0
	svc_start "$@" || rc=$?
	F_PID=$SVC_PID
	F_URL=http://127.0.0.1:$SVC_PORT/
	return $rc
}

# Stop it; returns its exit code (ASan's leak check runs at exit).
filter_stop() {
	kill -TERM "$F_PID" 2>/dev/null
	wait "$F_PID"
}

# A check script (tests/filter/) over a running service: its lines become PASS/FAIL.
filter_checks() { # log, script, then its arguments
	local log=$1 script=$2
	shift 2
	run_checks filter "$log" "tests/filter/$script" "$@"
}

filter_service() {
	filter_reports "$FDIR/reports"
	# audit_interval 0: each call tells the engine everything due (filter_audit checks the quiet)
	printf '[filter]\nmax_body = 1048576\nthreads = 4\nconn_timeout = 5\naudit_interval = 0\n' >"$FDIR/filter.conf"
	if ! filter_start "$ASAN/vfcap-filter" "$FDIR/serve.log" --reports "$FDIR/reports" --config "$FDIR/filter.conf"; then
		fail "filter: serve starts" "$FDIR/serve.log"
		return
	fi
	filter_checks "$FDIR/serve.log" check_service.py "$F_URL" "$FDIR/reports" "$FDIR/serve.log"
	printf '[filter]\nreports_dir = %s\n' "$FDIR/reports" >"$FDIR/selectors.conf"
	filter_checks "$FDIR/serve.log" check_selectors.py "$F_URL" "$PLAIN/vfcap-filter" "$FDIR/selectors.conf"
	# a report written while serving (temp + rename, as vfcap-report does) is seen without a restart
	$PY tests/filter/mkreports.py "$FDIR/late" 1 --first 99
	mv "$FDIR/late/00000063-0000-4000-8000-000000000063.json" "$FDIR/reports/"
	local seen=no i
	for i in $(seq 40); do
		if $PY -c "import sys,xmlrpc.client as x; r=x.ServerProxy(sys.argv[1]).runFilters(['vfcap_vf_capacity'],
			['00000063-0000-4000-8000-000000000063'], 'vm', {}); sys.exit(r['result'] != ['00000063-0000-4000-8000-000000000063'])" "$F_URL"; then
			seen=yes
			break
		fi
		sleep 0.05
	done
	[ $seen = yes ] && pass "filter: a report added while serving is used within 2 s" ||
		fail "filter: report added while serving not seen" "$FDIR/serve.log"
	if filter_stop; then pass "filter: SIGTERM stops the service cleanly (ASan: no leak)"; else
		fail "filter: service exit $? on SIGTERM" "$FDIR/serve.log"; fi
}

# The engine's audit log (tests/filter/check_audit.py), at the default audit_interval.
filter_audit() {
	printf '[filter]\naudit_interval = 600\n' >"$FDIR/audit.conf"
	if ! filter_start "$ASAN/vfcap-filter" "$FDIR/audit.log" --reports "$FDIR/reports" --config "$FDIR/audit.conf"; then
		fail "filter: serve starts with audit_interval 600" "$FDIR/audit.log"
		return
	fi
	filter_checks "$FDIR/audit.log" check_audit.py "$F_URL" "$FDIR/audit.log" "$FDIR/reports"
	filter_stop || fail "filter: audit: exit $? on SIGTERM" "$FDIR/audit.log"
}

# Slow clients (tests/slow_clients.py): with request_timeout 2 a trickled request is cut after
# 2 s, a quick one answered, an idle keep-alive connection kept until conn_timeout (5).
filter_slow_clients() {
	local body='<?xml version="1.0"?><methodCall><methodName>discover</methodName><params/></methodCall>'
	printf 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n%s' \
		${#body} "$body" >"$FDIR/discover.req"
	printf '[filter]\nrequest_timeout = 2\nconn_timeout = 5\n' >"$FDIR/slow.conf"
	if ! filter_start "$ASAN/vfcap-filter" "$FDIR/slow.log" --reports "$FDIR/reports" --config "$FDIR/slow.conf"; then
		fail "filter: serve starts with request_timeout 2" "$FDIR/slow.log"
		return
	fi
	run_checks filter "$FDIR/slow.log" tests/slow_clients.py "slow clients" "$SVC_PORT" 2 5 "$FDIR/discover.req"
	grep -Eq "^vfcap-filter: http: closed [12] connection\(s\) whose request was incomplete 2 s after its first byte" \
		"$FDIR/slow.log" && pass "filter: slow clients: each cut is logged" ||
		fail "filter: slow clients: no log line for the cuts" "$FDIR/slow.log"
	if filter_stop; then pass "filter: slow clients: SIGTERM stops it, exit 0 (ASan: no leak)"; else
		fail "filter: slow clients: exit $? on SIGTERM" "$FDIR/slow.log"; fi
}

# File descriptors (lib/http.c vf_http_fd_budget): a soft limit below the hard one is raised to
# it; a hard limit too low for max_conns (1024) and a reserve of 128 lowers max_conns, said once.
filter_fd_limits() {
	local got
	if filter_start "prlimit --nofile=100:4096 $PLAIN/vfcap-filter" "$FDIR/fd1.log" --reports "$FDIR/reports" \
		--config /dev/null; then
		got=$(sed -n 's/^Max open files *\([0-9]*\) *\([0-9]*\).*/\1:\2/p' "/proc/$F_PID/limits")
		[ "$got" = 4096:4096 ] && pass "filter: a soft file limit of 100 is raised to the hard one (4096)" ||
			fail "filter: file limits $got after starting with 100:4096" "$FDIR/fd1.log"
		filter_stop
	else
		fail "filter: serve starts under prlimit" "$FDIR/fd1.log"
	fi
	if filter_start "prlimit --nofile=300:300 $PLAIN/vfcap-filter" "$FDIR/fd2.log" --reports "$FDIR/reports" \
		--config /dev/null; then
		grep -qx "vfcap-filter: http: 172 connections at most, not 1024: the file descriptor limit is 300 (LimitNOFILE=)" \
			"$FDIR/fd2.log" && pass "filter: with 300 file descriptors, max_conns 1024 becomes 172 (128 kept back), said once" ||
			fail "filter: no max_conns line under a 300-descriptor limit" "$FDIR/fd2.log"
		filter_stop
	else
		fail "filter: serve starts under a 300-descriptor limit" "$FDIR/fd2.log"
	fi
}

filter_sizes() {
	$PY tests/filter/mkreports.py "$FDIR/big" 10000
	if ! filter_start "$PLAIN/vfcap-filter" "$FDIR/big.log" --reports "$FDIR/big" --quiet; then
		fail "filter: serve over 10,000 reports" "$FDIR/big.log"
		return
	fi
	filter_checks "$FDIR/big.log" check_service.py "$F_URL" "$FDIR/big" "$FDIR/big.log" --sizes
	# the series count metrics.h states, and promtool over the whole 10,000-host text
	filter_checks "$FDIR/big.log" check_metrics.py count "$F_URL" 10000 "$FDIR/big.prom"
	promtool check metrics <"$FDIR/big.prom" >"$FDIR/v" 2>&1 && pass "filter: 10,000-host /metrics passes promtool" ||
		fail "filter: promtool over the 10,000-host /metrics" "$FDIR/v"
	filter_stop || fail "filter: 10,000-host service exit $?" "$FDIR/big.log"
}

# `vfcap-filter run` golden cases: tests/filter/run/<case>/args (one argument per line; REPORTS
# is the reports directory, NUMA_REPORTS that of `mkreports.py --numa`: PFs on NUMA nodes 0 and
# 1 and one of unknown node, FIXTURES one holding each fixture host's and variant's golden report
# as NAME.json, e.g. dirty.json), optional stdin; expected.{stdout,stderr,exit}. ASan build, then
# the plain build under valgrind. VFCAP_REGEN=1 rewrites the expected files.
filter_run_case() { # case-dir
	local c=$1 name bin rc
	name=filter/run/$(basename "$c")
	local -a args=()
	mapfile -t args < <(sed "s|^REPORTS\$|$FDIR/reports|; s|^NUMA_REPORTS\$|$FDIR/numa-reports|; s|^FIXTURES\$|$FDIR/fixtures|" "$c/args")
	local in=/dev/null
	[ -f "$c/stdin" ] && in=$c/stdin
	local run
	for run in asan valgrind; do
		bin="$ASAN/vfcap-filter"
		[ $run = valgrind ] && bin="$VALGRIND $PLAIN/vfcap-filter"
		rc=0
		$bin "${args[@]}" --config "$FDIR/empty.conf" <"$in" >"$FDIR/out" 2>"$FDIR/err" || rc=$?
		sed -i "s|$FDIR/reports|REPORTS|g; s|$FDIR/numa-reports|NUMA_REPORTS|g; s|$FDIR/fixtures|FIXTURES|g" "$FDIR/out" "$FDIR/err"
		if [ "${VFCAP_REGEN:-0}" = 1 ] && [ $run = asan ]; then
			cp "$FDIR/out" "$c/expected.stdout"
			cp "$FDIR/err" "$c/expected.stderr"
			echo "$rc" >"$c/expected.exit"
		fi
		if [ "$rc" != "$(cat "$c/expected.exit")" ]; then
			fail "$name ($run): exit $rc, expected $(cat "$c/expected.exit")" "$FDIR/err"
		elif ! diff "$c/expected.stdout" "$FDIR/out" >"$FDIR/diff" || ! diff "$c/expected.stderr" "$FDIR/err" >>"$FDIR/diff"; then
			fail "$name ($run): output differs" "$FDIR/diff"
		else
			pass "$name ($run)"
		fi
	done
}

filter_run() {
	: >"$FDIR/empty.conf"
	$PY tests/filter/mkreports.py "$FDIR/numa-reports" 10 --numa
	local c
	mkdir -p "$FDIR/fixtures"
	for c in tests/fixtures/hosts/*/ tests/fixtures/variants/*/; do
		c=${c%/}
		[ -f "$c/expected.json" ] && cp "$c/expected.json" "$FDIR/fixtures/$(basename "$c").json"
	done
	for c in tests/filter/run/*/; do
		filter_run_case "${c%/}"
	done
}

# A helper server (engine-server.py, report-server.py): started in the background, its port
# read from the first line of its stdout. Sets H_PID and H_PORT.
helper_start() { # log, then the command
	local log=$1 i
	shift
	"$@" >"$log.port" 2>"$log" &
	H_PID=$!
	for i in $(seq 100); do
		H_PORT=$(head -1 "$log.port" 2>/dev/null)
		[ -n "$H_PORT" ] && return 0
		sleep 0.05
	done
	return 1
}

filter_engine() {
	# every host of mkreports.py has HOST1's topology (CPUs 0-3 node 0, 4-7 node 1) but host 9
	helper_start "$FDIR/engine.log" $PY tests/filter/engine-server.py --root tests/fixtures/engine/api \
		--user vfcap@internal --password s3cret --log "$FDIR/engine.req" \
		--any-host-numa tests/fixtures/engine/api/hosts/f1a2b3c4-1111-4aaa-8bbb-000000000001/numanodes \
		--status /ovirt-engine/api/hosts/00000009-0000-4000-8000-000000000009/numanodes=500 || {
		fail "filter: engine-server.py starts" "$FDIR/engine.log"
		return
	}
	local epid=$H_PID
	printf 's3cret\n' >"$FDIR/engine.pw" && chmod 600 "$FDIR/engine.pw"
	printf '[filter]\naudit_interval = 0\nreports_dir = %s\n[engine]\nurl = http://127.0.0.1:%s/ovirt-engine/api\nuser = vfcap@internal\npassword_file = %s\n' \
		"$FDIR/reports" "$H_PORT" "$FDIR/engine.pw" >"$FDIR/engine.conf"
	if filter_start "$ASAN/vfcap-filter" "$FDIR/serve-engine.log" --config "$FDIR/engine.conf"; then
		filter_checks "$FDIR/serve-engine.log" check_engine.py engine "$F_URL"
		filter_stop || fail "filter: service with engine: exit $?" "$FDIR/serve-engine.log"
		grep -q "vfcap_vf_capacity: VM ../../hosts: demand: .*invalid VM id.*; using vf_demand=1" "$FDIR/serve-engine.log" &&
			pass "filter: the engine API's failure in full in the service's log" ||
			fail "filter: no demand failure in the service's log" "$FDIR/serve-engine.log"
	else
		fail "filter: serve with [engine]" "$FDIR/serve-engine.log"
	fi
	filter_engine_numa
	# `run` asks the engine too
	local out rc=0
	out=$($ASAN/vfcap-filter run --config "$FDIR/engine.conf" --vm 6a6b7c1e-2f0a-4c8e-9d3b-1f2e3d4c5b6a \
		--hosts 00000002-0000-4000-8000-000000000002,00000003-0000-4000-8000-000000000003 --explain 2>"$FDIR/err") || rc=$?
	if [ $rc = 0 ] && [ "$out" = "00000002-0000-4000-8000-000000000002 pass: 4 free, 3 needed
00000003-0000-4000-8000-000000000003 pass: 3 free, 3 needed" ]; then
		pass "filter: run: demand from the engine API"
	else
		echo "$out" >>"$FDIR/err" && fail "filter: run with [engine] (exit $rc)" "$FDIR/err"
	fi
	# the password file holds a credential: refused unless root-only
	chmod 644 "$FDIR/engine.pw"
	rc=0
	$ASAN/vfcap-filter serve --config "$FDIR/engine.conf" 2>"$FDIR/err" || rc=$?
	if [ $rc = 2 ] && grep -q "engine.pw: holds the engine password.*mode 0644" "$FDIR/err"; then
		pass "filter: a password file readable by others is refused (exit 2)"
	else
		fail "filter: group/world-readable password file (exit $rc)" "$FDIR/err"
	fi
	kill "$epid" 2>/dev/null
	wait "$epid" 2>/dev/null
}

# NUMA placement from the engine over mkreports.py --numa reports (check_engine.py numa): the
# three policies through the engine's own request bytes, and `run --explain` with vCPU pins.
filter_engine_numa() {
	[ -d "$FDIR/numa-reports" ] || $PY tests/filter/mkreports.py "$FDIR/numa-reports" 10 --numa
	sed "s|^reports_dir = .*|reports_dir = $FDIR/numa-reports|" "$FDIR/engine.conf" >"$FDIR/engine-numa.conf"
	if filter_start "$ASAN/vfcap-filter" "$FDIR/serve-numa.log" --config "$FDIR/engine-numa.conf"; then
		filter_checks "$FDIR/serve-numa.log" check_engine.py numa "$F_URL"
		filter_stop || fail "filter: service with engine (NUMA): exit $?" "$FDIR/serve-numa.log"
		grep -q "vfcap_vf_capacity: host 00000009-0000-4000-8000-000000000009: NUMA topology: engine http://127.0.0.1:[0-9]*/ovirt-engine/api/hosts/00000009-0000-4000-8000-000000000009/numanodes: HTTP 500; NUMA not considered there" \
			"$FDIR/serve-numa.log" && pass "filter: NUMA: a host topology's failure in full in the service's log" ||
			fail "filter: NUMA: no topology failure in the service's log" "$FDIR/serve-numa.log"
		grep -q "vfcap_vf_capacity: 3 host(s) rejected by numa=required, e.g. host 00000001-0000-4000-8000-000000000001: 3 free, 2 on NUMA node 0 (node 0: 1, unknown node: 1), 3 needed$" \
			"$FDIR/serve-numa.log" && pass "filter: NUMA: the hosts numa=required rejects are logged, one with the nodes and what each had" ||
			fail "filter: NUMA: no numa=required rejection in the service's log" "$FDIR/serve-numa.log"
	else
		fail "filter: serve with [engine] over NUMA reports" "$FDIR/serve-numa.log"
	fi
	local out rc=0 vm=d0000000-0000-4000-8000-0000000000c1
	out=$($ASAN/vfcap-filter run --config "$FDIR/engine-numa.conf" --vm $vm --numa required --explain \
		--hosts 00000004-0000-4000-8000-000000000004,00000005-0000-4000-8000-000000000005 2>"$FDIR/err") || rc=$?
	if [ $rc = 0 ] && [ "$out" = "00000004-0000-4000-8000-000000000004 reject: 5 free, 1 on NUMA node 1 (node 1: 1), 3 needed
00000005-0000-4000-8000-000000000005 pass: 8 free, 3 on NUMA node 1 (node 1: 2, unknown node: 1), 3 needed" ]; then
		pass "filter: run --explain: vCPU pins through the hosts' topology, numa=required"
	else
		echo "$out" >>"$FDIR/err" && fail "filter: run --explain with vCPU pins (exit $rc)" "$FDIR/err"
	fi
	rc=0
	$ASAN/vfcap-filter run --config "$FDIR/engine-numa.conf" --vm $vm --numa required \
		--hosts 00000009-0000-4000-8000-000000000009 >"$FDIR/out" 2>"$FDIR/err" || rc=$?
	[ $rc = 3 ] && grep -q "^vfcap-filter: host 00000009-0000-4000-8000-000000000009: engine .*/numanodes: HTTP 500$" "$FDIR/err" &&
		pass "filter: run: a host topology the engine fails to give is an error (exit 3)" ||
		fail "filter: run: host topology failing (exit $rc)" "$FDIR/err"
}

filter_http_reports() {
	helper_start "$FDIR/rs.log" $PY tests/filter/report-server.py "$FDIR/reports" || {
		fail "filter: report-server.py starts" "$FDIR/rs.log"
		return
	}
	local rpid=$H_PID
	if filter_start "$ASAN/vfcap-filter" "$FDIR/serve-http.log" --config "$FDIR/empty.conf" \
		--report-url "http://127.0.0.1:$H_PORT/{host_id}/v1/report"; then
		filter_checks "$FDIR/serve-http.log" check_engine.py http "$F_URL"
		filter_stop || fail "filter: service with report_url: exit $?" "$FDIR/serve-http.log"
		grep -q "host 0155in90-0000-4000-8000-000000000000: http://127.0.0.1:$H_PORT/0155in90-.*/v1/report: HTTP 404 (rejected" \
			"$FDIR/serve-http.log" && pass "filter: reports over HTTP: the URL and status in the service's log" ||
			fail "filter: reports over HTTP: no URL and status in the log" "$FDIR/serve-http.log"
	else
		fail "filter: serve with --report-url" "$FDIR/serve-http.log"
	fi
	kill "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null
}

# Hung reporters (tests/filter/hung-server.py: one listener stands for every host's reporter and
# accepts but never answers): with call_deadline 2 the first runFilters over 2,000 hosts answers
# in about 2 s, every host missing; the next calls in milliseconds, waiting for no fetch; and a
# reporter that comes back passes once its backoff is over (tests/filter/check_deadline.py).
# fetch_timeout_ms 3000 > call_deadline; 1024 fetches at once, so the 2,000 end within 6 s.
# The service runs on the real clock (no SOURCE_DATE_EPOCH): backoff is time passing.
filter_deadline() {
	local n=${DEADLINE_HOSTS:-2000}
	rm -rf "$FDIR/hung" && mkdir -p "$FDIR/hung/back"
	env -u SOURCE_DATE_EPOCH $PY tests/filter/mkreports.py "$FDIR/hung/back" 1 --first $((n / 2))
	helper_start "$FDIR/hung.log" $PY tests/filter/hung-server.py "$FDIR/hung" || {
		fail "filter: hung-server.py starts" "$FDIR/hung.log"
		return
	}
	local hpid=$H_PID
	printf '[filter]\ncall_deadline = 2\nfetch_timeout_ms = 3000\nfetch_parallel = 1024\ncache_max_age = 1\nfetch_backoff_max = 2\n' \
		>"$FDIR/deadline.conf"
	if filter_start "env -u SOURCE_DATE_EPOCH $ASAN/vfcap-filter" "$FDIR/serve-deadline.log" --config "$FDIR/deadline.conf" \
		--report-url "http://127.0.0.1:$H_PORT/{host_id}/v1/report"; then
		filter_checks "$FDIR/serve-deadline.log" check_deadline.py "$F_URL" "$n" 2 "$FDIR/hung" "$FDIR/serve-deadline.log"
		local hits
		hits=$(curl -s "${F_URL}metrics" | sed -n 's/^vfcap_filter_deadline_hits_total //p')
		[ "${hits:-0}" -ge 1 ] && pass "filter: hung reporters: /metrics counts the deadline hits ($hits)" ||
			fail "filter: hung reporters: vfcap_filter_deadline_hits_total '${hits}'" "$FDIR/serve-deadline.log"
		filter_stop && pass "filter: hung reporters: SIGTERM stops it, exit 0 (ASan: no leak)" ||
			fail "filter: service over hung reporters: exit $?" "$FDIR/serve-deadline.log"
	else
		fail "filter: serve over hung reporters" "$FDIR/serve-deadline.log"
	fi
	kill "$hpid" 2>/dev/null
	wait "$hpid" 2>/dev/null
}

# Following (issue 18): 100 stand-in reporters with long-poll (tests/filter/follow-reporters.py,
# each on its own loopback address, every 10th without long-poll) that change, die and come
# back; verdicts and /metrics (tests/filter/check_follow.py). On the real clock, as the backoff
# is time passing; cache_max_age and fetch_backoff_max 2 s so that the fallback and the dead
# hosts are fetched again within the check.
filter_follow() {
	helper_start "$FDIR/fr.log" $PY tests/filter/follow-reporters.py 100 --nowait-every 10 || {
		fail "filter: follow-reporters.py starts" "$FDIR/fr.log"
		return
	}
	local rpid=$H_PID
	printf '[filter]\ncache_max_age = 2\nfetch_backoff_max = 2\nfollow_wait = 50\n' >"$FDIR/follow.conf"
	if filter_start "env -u SOURCE_DATE_EPOCH $ASAN/vfcap-filter" "$FDIR/serve-follow.log" --config "$FDIR/follow.conf" \
		--report-url "http://{host_id}:$H_PORT/v1/report"; then
		filter_checks "$FDIR/serve-follow.log" check_follow.py "$F_URL" "$H_PORT" 100
		filter_stop && pass "filter: follow: SIGTERM with 90 long-polls held stops it, exit 0 (ASan: no leak)" ||
			fail "filter: follow: exit $? on SIGTERM" "$FDIR/serve-follow.log"
	else
		fail "filter: serve following 100 reporters" "$FDIR/serve-follow.log"
	fi
	kill "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null
}

# GET /metrics (tests/filter/check_metrics.py): the counters a few calls make and the cluster
# view of the reports, promtool, then a real Prometheus scraping the service on loopback.
filter_metrics() {
	if ! filter_start "$ASAN/vfcap-filter" "$FDIR/metrics.log" --reports "$FDIR/reports" --config /dev/null; then
		fail "filter: serve starts for /metrics" "$FDIR/metrics.log"
		return
	fi
	filter_checks "$FDIR/metrics.log" check_metrics.py service "$F_URL" "$FDIR/metrics.prom"
	if promtool check metrics <"$FDIR/metrics.prom" >"$FDIR/v" 2>&1; then
		pass "filter: /metrics passes promtool check metrics"
	else
		fail "filter: promtool check metrics on /metrics" "$FDIR/v"
	fi
	filter_prometheus
	if filter_stop; then pass "filter: /metrics: SIGTERM stops it, exit 0 (ASan: no leak)"; else
		fail "filter: /metrics: exit $? on SIGTERM" "$FDIR/metrics.log"; fi
}

# Prometheus scrapes the running service every second (as tests/serve.sh does the reporter).
filter_prometheus() {
	if prometheus_start "$FDIR" vfcap-filter "$SVC_PORT"; then
		filter_checks "$FDIR/prometheus.log" check_metrics.py prometheus "http://127.0.0.1:$PROM_PORT"
	else
		fail "filter: prometheus ready on port $PROM_PORT" "$FDIR/prometheus.log"
	fi
	prometheus_stop
}

# The legacy proxy's plugin contract: print a list literal, nothing on stderr, exit 0.
filter_plugin() {
	printf '[filter]\nreports_dir = %s\n' "$FDIR/reports" >"$FDIR/plugin.conf"
	local out rc=0 code
	code="import sys; sys.path.insert(0, 'filter/ovirt-scheduler-proxy'); import vfcap_filter as v
hosts = ['00000001-0000-4000-8000-000000000001', '00000004-0000-4000-8000-000000000004', '0155in90-0000-4000-8000-000000000000']
getattr(v, sys.argv[1])().__getattribute__(sys.argv[2])(hosts, 'vm', {'vf_demand': '3', 'on_missing': 'reject'})"
	out=$(VFCAP_FILTER=$PLAIN/vfcap-filter VFCAP_CONFIG=$FDIR/plugin.conf $PY -c "$code" vfcap_vf_capacity do_filter 2>"$FDIR/err") || rc=$?
	[ $rc = 0 ] && [ ! -s "$FDIR/err" ] && [ "$out" = "['00000004-0000-4000-8000-000000000004']" ] &&
		pass "filter: legacy-proxy plugin do_filter prints the passing hosts" ||
		{ echo "$out" >>"$FDIR/err"; fail "filter: plugin do_filter (exit $rc)" "$FDIR/err"; }
	rc=0
	out=$(VFCAP_FILTER=$PLAIN/vfcap-filter VFCAP_CONFIG=$FDIR/plugin.conf $PY -c "$code" vfcap_vf_headroom do_score 2>"$FDIR/err") || rc=$?
	[ $rc = 0 ] && [ "$out" = "[('00000001-0000-4000-8000-000000000001', 3), ('00000004-0000-4000-8000-000000000004', 0), ('0155in90-0000-4000-8000-000000000000', 4)]" ] &&
		pass "filter: legacy-proxy plugin do_score prints (id, score) tuples" ||
		{ echo "$out" >>"$FDIR/err"; fail "filter: plugin do_score (exit $rc)" "$FDIR/err"; }
	rc=0
	printf '[filter]\nreports_dir = /nonexistent\n' >"$FDIR/plugin.conf"
	out=$(VFCAP_FILTER=$PLAIN/vfcap-filter VFCAP_CONFIG=$FDIR/plugin.conf $PY -c "$code" vfcap_vf_capacity do_filter 2>"$FDIR/err") || rc=$?
	[ $rc = 1 ] && [ -z "$out" ] && grep -q "^vfcap: vfcap-filter: /nonexistent: No such file" "$FDIR/err" &&
		pass "filter: plugin failure: stderr and exit 1, so the proxy drops the unit" ||
		fail "filter: plugin failure (exit $rc)" "$FDIR/err"
}

filter_service
filter_metrics
filter_audit
filter_slow_clients
filter_fd_limits
filter_run
filter_engine
filter_http_reports
filter_deadline
filter_follow
filter_plugin
filter_sizes
