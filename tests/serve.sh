# SPDX-License-Identifier: MIT
# vfcap-report serve through the real binary (sourced by tests/run.sh): the fixture host
# intel64 over HTTP (tests/serve/check_serve.py), the interval under bursts, a libvirt that is
# down, TLS with client certificates from a throwaway CA, a real Prometheus scraping it, the
# textfile output, bad options and settings, the plain build under valgrind; then serve watching
# the host (tests/serve-watch.sh).
# Needs: TOP, TMP, ASAN, PLAIN, PY, VALGRIND, SOURCE_DATE_EPOCH, pass/fail from lib-results.sh.

SDIR=$TMP/serve
rm -rf "$SDIR" && mkdir -p "$SDIR"
S_HOST=tests/fixtures/hosts/intel64
S_SRC=(--sysfs-root "$S_HOST/sysfs" --netlink-file "$S_HOST/netlink.bin"
	--libvirt-uri "test://$TOP/$S_HOST/libvirt.xml" --config "$S_HOST/vfcap.conf")

# Start `vfcap-report serve` (binary, log, extra args...) on a port of its choosing; sets
# S_PID and S_PORT. The binary may be a command line (valgrind ...).
serve_start() {
	local rc=0
	svc_start "$@" || rc=$?
	S_PID=$SVC_PID
	S_PORT=$SVC_PORT
	return $rc
}

# Stop it; returns its exit code (ASan's leak check and valgrind's run at exit).
serve_stop() {
	kill -TERM "$S_PID" 2>/dev/null
	wait "$S_PID"
}

# check_serve.py over the running service: its lines become PASS/FAIL.
serve_checks() { # log, then check_serve.py's arguments
	local log=$1
	shift
	run_checks serve "$log" tests/serve/check_serve.py "$@"
}

serve_stopped() { # what, log
	local rc=0
	serve_stop || rc=$?
	[ $rc = 0 ] && pass "serve: $1: SIGTERM stops it, exit 0" || fail "serve: $1: exit $rc on SIGTERM" "$2"
}

# A free TCP port on loopback, for a program that cannot take port 0 and tell.
serve_free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

serve_http() {
	$ASAN/vfcap-report "${S_SRC[@]}" --format json >"$SDIR/oneshot.json"
	if ! serve_start "$ASAN/vfcap-report" "$SDIR/http.log" "${S_SRC[@]}" --interval 2; then
		fail "serve: starts and says its port" "$SDIR/http.log"
		return
	fi
	grep -q "serving http on 127.0.0.1:0 (port $S_PORT)" "$SDIR/http.log" &&
		pass "serve: says where it listens (port $S_PORT)" || fail "serve: listening line" "$SDIR/http.log"
	serve_checks "$SDIR/http.log" http "http://127.0.0.1:$S_PORT" "$SDIR/oneshot.json" "$SDIR"
	if $PY tests/validate-schema.py schema/vfcap-report.schema.json "$SDIR/report.json" >"$SDIR/v" 2>&1; then
		pass "serve: /v1/report valid against the schema"
	else
		fail "serve: /v1/report against the schema" "$SDIR/v"
	fi
	if promtool check metrics <"$SDIR/metrics.prom" >"$SDIR/v" 2>&1; then
		pass "serve: /metrics passes promtool check metrics"
	else
		fail "serve: promtool check metrics on /metrics" "$SDIR/v"
	fi
	serve_checks "$SDIR/http.log" interval "http://127.0.0.1:$S_PORT" 2
	serve_stopped "http" "$SDIR/http.log"
	[ "$(grep -vc -e '^vfcap-report: serving' -e '^vfcap-report: stopped$' "$SDIR/http.log")" = 0 ] &&
		pass "serve: a healthy host logs nothing per request" || fail "serve: unexpected log lines" "$SDIR/http.log"
}

# Slow clients (tests/slow_clients.py) with serve_request_timeout 2 and serve_conn_timeout 5:
# a trickled request is cut after 2 s and counted in /metrics, a quick one answered, an idle
# keep-alive connection kept.
serve_slow_clients() {
	sed 's/^\[vfcap\]$/&\nserve_request_timeout = 2\nserve_conn_timeout = 5/' "$S_HOST/vfcap.conf" >"$SDIR/slow.conf"
	printf 'GET /v1/report HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >"$SDIR/report.req"
	if ! serve_start "$ASAN/vfcap-report" "$SDIR/slowc.log" "${S_SRC[@]:0:6}" --config "$SDIR/slow.conf"; then
		fail "serve: starts with serve_request_timeout 2" "$SDIR/slowc.log"
		return
	fi
	run_checks serve "$SDIR/slowc.log" tests/slow_clients.py "slow clients" "$S_PORT" 2 5 "$SDIR/report.req"
	local n
	n=$(curl -s "http://127.0.0.1:$S_PORT/metrics" | sed -n 's/^vfcap_slow_clients_closed_total //p')
	[ "$n" = 1 ] && pass "serve: slow clients: vfcap_slow_clients_closed_total 1" ||
		fail "serve: slow clients: vfcap_slow_clients_closed_total '$n', want 1" "$SDIR/slowc.log"
	grep -q "^vfcap-report: http: closed 1 connection(s) whose request was incomplete 2 s after its first byte" \
		"$SDIR/slowc.log" && pass "serve: slow clients: the cut is logged" ||
		fail "serve: slow clients: no log line for the cut" "$SDIR/slowc.log"
	serve_stopped "slow clients" "$SDIR/slowc.log"
}

# SIGHUP the service and wait until its log (LOG) says so: from then on the next request reads
# the host again.
serve_hup() { # log
	local n
	n=$(grep -c "SIGHUP: the next request reads the host again" "$1")
	kill -HUP "$S_PID" && wait_until 600 serve_hup_logged "$1" "$n"
}
serve_hup_logged() { [ "$(grep -c "SIGHUP: the next request reads the host again" "$1")" -gt "$2" ]; }

# Gathers that take 2 s (netlink through a FIFO fed by slow-netlink.py), and longer while the
# file gather.hold exists, with serve_request_timeout 1: the request that waits for a gather is
# never cut (its bytes are all in; the guard only times requests still arriving). The interval
# is an hour: SIGHUP starts the gathers the checks want.
serve_slow_gather() {
	mkfifo "$SDIR/netlink.fifo"
	$PY tests/serve/slow-netlink.py "$SDIR/netlink.fifo" "$S_HOST/netlink.bin" 2 "$SDIR/gather.hold" &
	local feeder=$!
	sed 's/^\[vfcap\]$/&\nserve_request_timeout = 1/' "$S_HOST/vfcap.conf" >"$SDIR/gather.conf"
	local src=("${S_SRC[@]:0:2}" --netlink-file "$SDIR/netlink.fifo" "${S_SRC[@]:4:2}" --config "$SDIR/gather.conf")
	if serve_start "$ASAN/vfcap-report" "$SDIR/slow.log" "${src[@]}" --interval 3600; then
		serve_checks "$SDIR/slow.log" slow "http://127.0.0.1:$S_PORT" "$S_PID" "$SDIR/slow.log" "$SDIR/gather.hold"
		serve_stop_mid_gather
	else
		fail "serve: starts with a slow netlink file" "$SDIR/slow.log"
	fi
	rm -f "$SDIR/gather.hold"
	kill "$feeder" 2>/dev/null
	wait "$feeder" 2>/dev/null
}

# SIGTERM while a request waits (suspended) for a gather, held until after the SIGTERM: the
# gather ends, that request is answered with its result, then the service stops (MHD must hold
# no suspended connection).
serve_has_fd() { ls -l "/proc/$S_PID/fd" 2>/dev/null | grep -q "$1"; }

serve_stop_mid_gather() {
	local t0=$SECONDS code rc=0
	: >"$SDIR/gather.hold"
	serve_hup "$SDIR/slow.log" # the next request reads the host again
	curl -s -o "$SDIR/mid.json" -w '%{http_code}' "http://127.0.0.1:$S_PORT/v1/report" >"$SDIR/mid.code" &
	local client=$!
	# the gather has begun (it has the FIFO open, held): the request is waiting for it
	wait_until 600 serve_has_fd netlink.fifo
	kill -TERM "$S_PID"
	# The gather ends when the hold goes; the service must have taken the SIGTERM by then for
	# this to be a stop mid-gather. It cannot be told (no line until "stopped"): a second is
	# plenty, and a machine slower than that makes this check weaker, never fail.
	sleep 1
	rm -f "$SDIR/gather.hold"
	wait "$S_PID" || rc=$?
	wait "$client"
	code=$(cat "$SDIR/mid.code")
	if [ "$rc" = 0 ] && [ "$code" = 200 ] && $PY -m json.tool "$SDIR/mid.json" >/dev/null 2>&1 &&
		grep -q "^vfcap-report: stopped" "$SDIR/slow.log"; then
		pass "serve: SIGTERM while a request waits for a gather: it is answered (200), then exit 0 ($((SECONDS - t0)) s)"
	else
		echo "exit $rc, HTTP '$code'" >>"$SDIR/slow.log"
		fail "serve: SIGTERM while a request waits for a gather" "$SDIR/slow.log"
	fi
}

# libvirt down: the report is served with free null, /healthz says why, the log says it once.
serve_libvirt_down() {
	local down=(--libvirt-uri test:///nonexistent/node.xml)
	$ASAN/vfcap-report "${S_SRC[@]}" "${down[@]}" --format json >"$SDIR/down.json" 2>/dev/null
	if ! serve_start "$ASAN/vfcap-report" "$SDIR/down.log" "${S_SRC[@]}" "${down[@]}" --interval 1; then
		fail "serve: starts with libvirt down" "$SDIR/down.log"
		return
	fi
	serve_checks "$SDIR/down.log" down "http://127.0.0.1:$S_PORT" "$SDIR/down.json"
	sleep 1.2 # a second gather, failing the same way: not logged again
	serve_checks "$SDIR/down.log" down "http://127.0.0.1:$S_PORT" "$SDIR/down.json" "libvirt still down"
	serve_stopped "libvirt down" "$SDIR/down.log"
	local n
	n=$(grep -c "^vfcap-report: gather failed: libvirt: .*nonexistent" "$SDIR/down.log")
	[ "$n" = 1 ] && pass "serve: a failing source is logged once, not per gather" ||
		fail "serve: $n 'gather failed' lines for one failure" "$SDIR/down.log"
}

# libvirtd hung: a socket that takes connections and never answers (as a SIGSTOPped daemon),
# libvirt_timeout 1. The first gather gives up after 1 s, /healthz says why (503), the report
# is served with free null (interval 2 s); the next gather fails at once while that read still hangs (no
# second thread); SIGTERM still stops the service, exit 0 (ASan's leak check included).
serve_libvirt_hung() {
	$PY -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8); time.sleep(120)' "$SDIR/mute.sock" &
	local mute=$!
	wait_until 50 test -S "$SDIR/mute.sock"
	sed 's/^\[vfcap\]$/&\nlibvirt_timeout = 1/' "$S_HOST/vfcap.conf" >"$SDIR/hung.conf"
	if serve_start "$ASAN/vfcap-report" "$SDIR/hung.log" "${S_SRC[@]:0:4}" --config "$SDIR/hung.conf" \
		--libvirt-uri "qemu+unix:///system?socket=$SDIR/mute.sock" --interval 2; then
		local u="http://127.0.0.1:$S_PORT" code
		code=$(curl -s -o "$SDIR/hung.health" -w '%{http_code}' "$u/healthz")
		[ "$code" = 503 ] && grep -q "no answer within 1 s (libvirt_timeout): the daemon is hung or stopped" "$SDIR/hung.health" &&
			pass "serve: libvirtd hung: /healthz 503 after the first gather gave up at libvirt_timeout" ||
			fail "serve: libvirtd hung: /healthz '$code'" "$SDIR/hung.health"
		curl -s "$u/v1/report" >"$SDIR/hung.json"
		$PY -c 'import json, sys; r = json.load(open(sys.argv[1])); assert any(p["usable"] for p in r["pfs"]) and all(p["free"] is None for p in r["pfs"] if p["usable"])' "$SDIR/hung.json" 2>/dev/null &&
			pass "serve: libvirtd hung: the report is served, free null" || fail "serve: libvirtd hung: report" "$SDIR/hung.json"
		sleep 2.2
		code=$(curl -s -o "$SDIR/hung.health2" -w '%{http_code}' "$u/healthz")
		[ "$code" = 503 ] && grep -q "s ago has not returned: the daemon does not answer" "$SDIR/hung.health2" &&
			pass "serve: libvirtd hung: the next gather fails at once while that read still hangs" ||
			fail "serve: libvirtd hung: second gather, /healthz '$code'" "$SDIR/hung.health2"
		serve_stopped "libvirtd hung" "$SDIR/hung.log"
	else
		fail "serve: starts with libvirtd hung" "$SDIR/hung.log"
	fi
	kill "$mute" 2>/dev/null
	wait "$mute" 2>/dev/null
}

# sysfs unreadable from the start: the service runs, and says 503 with the reason everywhere.
# sysfs gone while serving: the last report stays served, its age growing (the real clock here),
# /healthz says why, and the log has one line when it fails and one when it recovers.
serve_sysfs() {
	if serve_start "$ASAN/vfcap-report" "$SDIR/nosysfs.log" --sysfs-root /nonexistent --config /dev/null; then
		serve_checks "$SDIR/nosysfs.log" nosysfs "http://127.0.0.1:$S_PORT"
		serve_stopped "no sysfs" "$SDIR/nosysfs.log"
	else
		fail "serve: starts without sysfs" "$SDIR/nosysfs.log"
	fi
	cp -a "$S_HOST/sysfs" "$SDIR/sysfs"
	local src=(--sysfs-root "$SDIR/sysfs" "${S_SRC[@]:2}")
	if ! serve_start "env -u SOURCE_DATE_EPOCH $ASAN/vfcap-report" "$SDIR/sysfs.log" "${src[@]}" --interval 1; then
		fail "serve: starts on a copied sysfs" "$SDIR/sysfs.log"
		return
	fi
	local url=http://127.0.0.1:$S_PORT
	serve_checks "$SDIR/sysfs.log" sysfs "$url" before "$SDIR"
	mv "$SDIR/sysfs" "$SDIR/sysfs.away" && sleep 1.2
	serve_checks "$SDIR/sysfs.log" sysfs "$url" gone "$SDIR"
	mv "$SDIR/sysfs.away" "$SDIR/sysfs" && sleep 1.2
	serve_checks "$SDIR/sysfs.log" sysfs "$url" back "$SDIR"
	serve_stopped "sysfs gone and back" "$SDIR/sysfs.log"
	[ "$(grep -c "^vfcap-report: gather failed: sysfs: cannot read $SDIR/sysfs/class/net: No such file" "$SDIR/sysfs.log")" = 1 ] &&
		[ "$(grep -c "^vfcap-report: gather: every source reads again$" "$SDIR/sysfs.log")" = 1 ] &&
		pass "serve: the log says once when sysfs fails and once when it is back" ||
		fail "serve: failure and recovery log lines" "$SDIR/sysfs.log"
}

# IPv6 loopback, when the machine has it (the last --listen wins over serve_start's)
serve_ipv6() {
	if ! $PY -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
		# a host without IPv6 is legitimate: say so rather than pass or skip in silence
		echo "NOTE: serve: IPv6 not tested: ::1 cannot be bound here"
		return 0
	fi
	if ! serve_start "$ASAN/vfcap-report" "$SDIR/v6.log" "${S_SRC[@]}" --listen "[::1]:0"; then
		fail "serve: starts on [::1]:0" "$SDIR/v6.log"
		return
	fi
	local rc=0
	$PY -c 'import sys, urllib.request as u; sys.exit(u.urlopen(sys.argv[1]).read() != b"ok\n")' \
		"http://[::1]:$S_PORT/healthz" 2>>"$SDIR/v6.log" || rc=$?
	serve_stop || rc=$?
	[ $rc = 0 ] && pass "serve: --listen [::1]:0 serves over IPv6" || fail "serve: IPv6 (exit $rc)" "$SDIR/v6.log"
}

# A throwaway CA, a server certificate for 127.0.0.1, a client certificate from that CA and one
# from another CA.
serve_make_certs() {
	local d=$SDIR/tls
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		for ca in ca other-ca; do
			openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=vfcap test $ca" \
				-keyout $ca.key -out $ca.pem || exit 1
		done
		printf 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n' >server.ext
		printf 'extendedKeyUsage = clientAuth\n' >client.ext
		for c in server:ca:server.ext client:ca:client.ext other:other-ca:client.ext; do
			IFS=: read -r name ca ext <<<"$c"
			openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout $name.key -out $name.csr || exit 1
			openssl x509 -req -in $name.csr -CA $ca.pem -CAkey $ca.key -CAcreateserial -days 2 \
				-extfile "$ext" -out $name.pem || exit 1
		done
	) >"$SDIR/openssl.log" 2>&1
}

serve_tls() {
	if ! serve_make_certs; then
		fail "serve: openssl makes the test certificates" "$SDIR/openssl.log"
		return
	fi
	local d=$SDIR/tls
	printf '[vfcap]\ntls_cert = %s\ntls_key = %s\ntls_client_ca = %s\n' "$d/server.pem" "$d/server.key" \
		"$d/ca.pem" >"$SDIR/tls.conf"
	local src=("${S_SRC[@]:0:6}" --config "$SDIR/tls.conf")
	if ! serve_start "$ASAN/vfcap-report" "$SDIR/tls.log" "${src[@]}"; then
		fail "serve: starts with TLS" "$SDIR/tls.log"
		return
	fi
	grep -q "serving https on .*client certificates signed by $d/ca.pem" "$SDIR/tls.log" &&
		pass "serve: says it serves https and checks client certificates" || fail "serve: TLS listening line" "$SDIR/tls.log"
	serve_checks "$SDIR/tls.log" tls "https://127.0.0.1:$S_PORT" "$d/ca.pem" "$d/client.pem" "$d/client.key" \
		"$d/other.pem" "$d/other.key"
	# vfcap-filter fetching this host's report: with its report_cert it is let in, without it not
	local url="https://127.0.0.1:$S_PORT/v1/report?host={host_id}" out rc=0
	printf '[filter]\nreport_url = %s\nreport_ca_file = %s\nreport_cert = %s\nreport_key = %s\n' "$url" \
		"$d/ca.pem" "$d/client.pem" "$d/client.key" >"$SDIR/filter-tls.conf"
	out=$($PLAIN/vfcap-filter run --config "$SDIR/filter-tls.conf" --vm vm --hosts intel64 --explain 2>&1) || rc=$?
	[ $rc = 0 ] && [[ "$out" =~ ^intel64\ pass:\ [1-9][0-9]*\ free,\ 1\ needed$ ]] &&
		pass "serve: vfcap-filter with report_cert fetches the report over TLS" ||
		{ echo "$out" >"$SDIR/why"; fail "serve: vfcap-filter report_cert (exit $rc)" "$SDIR/why"; }
	printf '[filter]\nreport_url = %s\nreport_ca_file = %s\n' "$url" "$d/ca.pem" >"$SDIR/filter-tls.conf"
	out=$($PLAIN/vfcap-filter run --config "$SDIR/filter-tls.conf" --vm vm --hosts intel64 --explain 2>&1)
	case "$out" in
	"intel64 reject: "*"HTTP 403"*) pass "serve: vfcap-filter without a client certificate is refused (403)" ;;
	*) echo "$out" >"$SDIR/why"; fail "serve: vfcap-filter without report_cert" "$SDIR/why" ;;
	esac
	serve_stopped "TLS" "$SDIR/tls.log"
	# tls_client_ca = none: TLS without a client check
	printf '[vfcap]\ntls_cert = %s\ntls_key = %s\ntls_client_ca = none\n' "$d/server.pem" "$d/server.key" >"$SDIR/tls-none.conf"
	if serve_start "$ASAN/vfcap-report" "$SDIR/tls-none.log" "${S_SRC[@]:0:6}" --config "$SDIR/tls-none.conf"; then
		local st
		st=$($PY -c 'import ssl, sys, urllib.request as u
print(u.urlopen(sys.argv[1], context=ssl.create_default_context(cafile=sys.argv[2])).status)' \
			"https://127.0.0.1:$S_PORT/healthz" "$d/ca.pem" 2>&1)
		[ "$st" = 200 ] && pass "serve: tls_client_ca = none: no client certificate needed" ||
			fail "serve: tls_client_ca = none: $st" "$SDIR/tls-none.log"
		serve_stopped "TLS without client check" "$SDIR/tls-none.log"
	else
		fail "serve: starts with tls_client_ca = none" "$SDIR/tls-none.log"
	fi
}

# serve_bad_start NAME EXIT PATTERN CONFIG-TEXT [ARGS...]: serve must refuse to start, with one line
serve_bad_start() {
	local name=$1 want=$2 pattern=$3 rc=0
	printf '%b' "$4" >"$SDIR/bad.conf"
	shift 4
	timeout 20 $ASAN/vfcap-report serve --listen 127.0.0.1:0 "${S_SRC[@]:0:6}" --config "$SDIR/bad.conf" "$@" \
		>"$SDIR/bad.out" 2>"$SDIR/bad.err" || rc=$?
	# a usage error adds "Try 'vfcap-report --help'."
	if [ $rc = "$want" ] && [ "$(grep -vc "^Try 'vfcap-report --help'.$" "$SDIR/bad.err")" = 1 ] &&
		grep -q -- "$pattern" "$SDIR/bad.err"; then
		pass "serve: $name: exit $want, one line"
	else
		echo "exit $rc" >>"$SDIR/bad.err"
		fail "serve: $name" "$SDIR/bad.err"
	fi
}

serve_bad() {
	local d=$SDIR/tls
	serve_bad_start "missing tls_cert" 2 "^vfcap-report: tls_cert /nonexistent/cert.pem: No such file or directory$" \
		"[vfcap]\ntls_cert = /nonexistent/cert.pem\ntls_key = $d/server.key\n"
	[ -e /etc/pki/vdsm/certs/cacert.pem ] ||
		serve_bad_start "missing default client CA named" 2 "tls_client_ca /etc/pki/vdsm/certs/cacert.pem: No such file" \
			"[vfcap]\ntls_cert = $d/server.pem\ntls_key = $d/server.key\n"
	serve_bad_start "a key that is not the certificate's" 2 "tls_cert $d/server.pem, tls_key $d/client.key: " \
		"[vfcap]\ntls_cert = $d/server.pem\ntls_key = $d/client.key\ntls_client_ca = none\n"
	serve_bad_start "tls_client_ca holding no certificate" 2 "tls_client_ca $SDIR/bad.conf: no PEM certificate" \
		"[vfcap]\ntls_cert = $d/server.pem\ntls_key = $d/server.key\ntls_client_ca = $SDIR/bad.conf\n"
	serve_bad_start "tls = no beside tls_cert" 1 "tls = no, but tls_cert is set" \
		"[vfcap]\ntls = no\ntls_cert = $d/server.pem\n"
	serve_bad_start "tls_client_ca without TLS" 1 "tls_client_ca needs TLS" "[vfcap]\ntls_client_ca = $d/ca.pem\n"
	serve_bad_start "a listen address that is a name" 1 "listen localhost:1: not ADDR:PORT" "" --listen localhost:1
	serve_bad_start "--format with serve" 1 "^vfcap-report: --format does not go with serve$" "" --format json
	serve_bad_start "--interval 0" 1 "^vfcap-report: --interval '0': seconds, 1 to 86400$" "" --interval 0
	local rc=0
	$ASAN/vfcap-report --listen 127.0.0.1:1 >/dev/null 2>"$SDIR/bad.err" || rc=$?
	[ $rc = 1 ] && grep -q "^vfcap-report: --listen is an option of serve" "$SDIR/bad.err" &&
		pass "serve: --listen without serve: exit 1" || fail "serve: --listen without serve (exit $rc)" "$SDIR/bad.err"
	# the port is taken: exit 2
	if serve_start "$ASAN/vfcap-report" "$SDIR/first.log" "${S_SRC[@]}"; then
		serve_bad_start "the address in use" 2 "^vfcap-report: listen 127.0.0.1:$S_PORT: Address already in use$" "" \
			--listen "127.0.0.1:$S_PORT"
		serve_stop
	fi
}

# A real Prometheus scrapes the service every second; its API then holds the series.
serve_prometheus() {
	if ! serve_start "$ASAN/vfcap-report" "$SDIR/prom-target.log" "${S_SRC[@]}"; then
		fail "serve: starts for Prometheus" "$SDIR/prom-target.log"
		return
	fi
	if prometheus_start "$SDIR" vfcap "$S_PORT"; then
		serve_checks "$SDIR/prometheus.log" prometheus "http://127.0.0.1:$PROM_PORT"
	else
		fail "serve: prometheus ready on port $PROM_PORT" "$SDIR/prometheus.log"
	fi
	prometheus_stop
	serve_stopped "scraped by Prometheus" "$SDIR/prom-target.log"
}

# node_exporter's textfile collector reads DIR/*.prom: the write is a temp file + rename in
# the same directory, and the temp name never ends in .prom.
serve_textfile() {
	mkdir -p "$SDIR/textfile"
	local rc=0
	$ASAN/vfcap-report "${S_SRC[@]}" --format prometheus --output "$SDIR/textfile/vfcap.prom" 2>"$SDIR/tf.err" || rc=$?
	[ $rc = 0 ] && [ "$(ls -A "$SDIR/textfile")" = vfcap.prom ] &&
		pass "serve: textfile output leaves only vfcap.prom" || fail "serve: textfile output (exit $rc)" "$SDIR/tf.err"
	if promtool check metrics <"$SDIR/textfile/vfcap.prom" >"$SDIR/v" 2>&1 &&
		grep -q "^vfcap_report_timestamp_seconds $SOURCE_DATE_EPOCH$" "$SDIR/textfile/vfcap.prom" &&
		! grep -Eq "^vfcap_report_age_seconds|_total( |\{)" "$SDIR/textfile/vfcap.prom"; then
		pass "serve: textfile passes promtool, has the timestamp, no age or counters"
	else
		fail "serve: textfile metrics" "$SDIR/v"
	fi
}

# The plain build under valgrind, over HTTP and over TLS.
serve_valgrind() {
	local d=$SDIR/tls conf
	for conf in "$S_HOST/vfcap.conf" "$SDIR/tls.conf"; do
		if ! serve_start "$VALGRIND $PLAIN/vfcap-report" "$SDIR/vg.log" "${S_SRC[@]:0:6}" --config "$conf"; then
			fail "serve: valgrind: starts ($conf)" "$SDIR/vg.log"
			continue
		fi
		local scheme=http
		[ "$conf" = "$SDIR/tls.conf" ] && scheme=https
		$PY - "$scheme://127.0.0.1:$S_PORT" "$d/ca.pem" "$d/client.pem" "$d/client.key" >"$SDIR/vg.out" 2>&1 <<'EOF'
import http.client, ssl, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
if u.scheme == "https":
    ctx = ssl.create_default_context(cafile=sys.argv[2])
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=60, context=ctx)
else:
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
for method, path in (("GET", "/v1/report"), ("GET", "/metrics"), ("GET", "/healthz"), ("HEAD", "/v1/report"),
                     ("GET", "/nope")):
    conn.request(method, path)
    r = conn.getresponse()
    r.read()
    print(method, path, r.status)
EOF
		local rc=0
		serve_stop || rc=$?
		if [ $rc = 0 ] && [ "$(cut -d' ' -f3 "$SDIR/vg.out" | tr '\n' ' ')" = "200 200 200 200 404 " ]; then
			pass "serve: valgrind clean over $scheme (5 requests, SIGTERM, exit 0)"
		else
			cat "$SDIR/vg.out" >>"$SDIR/vg.log"
			fail "serve: valgrind over $scheme: exit $rc" "$SDIR/vg.log"
		fi
	done
}

# SIGHUP: the next request reads the host again, however long the interval; the service goes on.
serve_sighup() {
	if ! serve_start "$ASAN/vfcap-report" "$SDIR/hup.log" "${S_SRC[@]}" --interval 3600; then
		fail "serve: starts for SIGHUP" "$SDIR/hup.log"
		return
	fi
	local gathers='import sys, urllib.request, re
t = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1]).read().decode()
print(re.search(r"^vfcap_gathers_total (\d+)", t, re.M).group(1))'
	local before after
	before=$($PY -c "$gathers" "$S_PORT")
	serve_hup "$SDIR/hup.log"
	after=$($PY -c "$gathers" "$S_PORT")
	if [ "$before" = 1 ] && [ "$after" = 2 ] && grep -q "SIGHUP: the next request reads the host again" "$SDIR/hup.log"; then
		pass "serve: SIGHUP makes the next request read the host again (gathers 1 -> 2)"
	else
		fail "serve: SIGHUP (gathers $before -> $after)" "$SDIR/hup.log"
	fi
	serve_stopped "after SIGHUP" "$SDIR/hup.log"
}

serve_http
serve_sighup
serve_slow_clients
serve_slow_gather
serve_libvirt_down
serve_libvirt_hung
serve_sysfs
serve_ipv6
serve_tls
serve_bad
serve_prometheus
serve_textfile
serve_valgrind
source tests/serve-watch.sh
