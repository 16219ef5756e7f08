# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# The harness's bookkeeping, sourced by tests/run.sh and tests/kernel/run.sh: a scratch $TMP
# removed on exit, PASS/FAIL lines, and the closing "N passed, N failed" (results), alone on the last line.
TMP=$(mktemp -d "/tmp/vfcap-${1:-test}.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; [ -n "${2:-}" ] && sed 's/^/    /' "$2" | head -40; }

# results [SUMMARY]: SUMMARY (which sections ran) on the line before the count
results() {
	echo
	[ -n "${1:-}" ] && echo "$1"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

# A Python check script's "PASS name" / "FAIL name: why" lines -> pass/fail, each name prefixed;
# its other lines (figures) are shown indented.
# A script that exits non-zero without a FAIL line (it died) is a failure of its own, never
# silence; LOG (the service's stderr) is shown with it.
run_checks() { # prefix log script args...
	local prefix=$1 log=$2 script=$3 line rc=0 out
	shift 3
	out=$(mktemp "$TMP/checks.XXXXXX")
	$PY "$script" "$@" >"$out" 2>&1 || rc=$?
	while IFS= read -r line; do
		case "$line" in
		PASS\ *) pass "$prefix: ${line#PASS }" ;;
		FAIL\ *) echo "${line#FAIL }" >"$out.why" && fail "$prefix: ${line#FAIL }" "$out.why" ;;
		*) echo "    $line" ;; # figures the script reports
		esac
	done <"$out"
	if [ $rc != 0 ] && ! grep -q '^FAIL ' "$out"; then
		cat "$log" >>"$out"
		fail "$prefix: $(basename "$script") $1 exited $rc without a FAIL line" "$out"
	fi
}

# Run COMMAND (a function too) every 0.1 s until it succeeds or TENTHS tries have failed;
# returns its last status. For a test that waits on a state it cannot be told about.
wait_until() { # tenths command args...
	local n=$1 i
	shift
	for ((i = 1; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# Start `BIN serve --listen 127.0.0.1:0 ARGS...` (vfcap-report or vfcap-filter; BIN may be a
# command line such as "valgrind ... build/vfcap-report"), stderr to LOG; wait until it prints
# "(port N)". Sets SVC_PID and SVC_PORT; fails when it exits first or says nothing in 60 s (a
# hang bound: under valgrind on a busy machine the start takes several seconds).
svc_start() { # bin log args...
	local bin=$1 log=$2 i
	shift 2
	# emptied here, not only by the redirection below: that happens in the background job, maybe
	# after the loop has read a port the log's previous service left there
	: >"$log"
	$bin serve --listen 127.0.0.1:0 "$@" 2>"$log" &
	SVC_PID=$!
	SVC_PORT=""
	for i in $(seq 1200); do
		SVC_PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$log" 2>/dev/null)
		[ -n "$SVC_PORT" ] && return 0
		kill -0 "$SVC_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# A real Prometheus on loopback scraping 127.0.0.1:TARGET every second, its data and log in DIR
# (DIR/prometheus.log). Sets PROM_PORT and PROM_PID; returns non-zero when it is not ready.
# prometheus_stop ends it.
prometheus_start() { # dir job target-port
	PROM_PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: %s\n    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' \
		"$2" "$3" >"$1/prometheus.yml"
	/usr/bin/prometheus --config.file="$1/prometheus.yml" --storage.tsdb.path="$1/prom-data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" >"$1/prometheus.log" 2>&1 &
	PROM_PID=$!
	local _
	for _ in $(seq 120); do
		$PY -c 'import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=1)' \
			"http://127.0.0.1:$PROM_PORT/-/ready" 2>/dev/null && return 0
		kill -0 "$PROM_PID" 2>/dev/null || return 1
		sleep 0.25
	done
	return 1
}

prometheus_stop() {
	kill -TERM "$PROM_PID" 2>/dev/null
	wait "$PROM_PID" 2>/dev/null
}
