# shellcheck shell=sh
# SPDX-License-Identifier: MIT
# Both guests' watch scenarios, sourced by /init (guest-init.sh: watch_run) and guest-igb.sh:
# `vfcap-report serve` with live netlink (the kernel watched) and no libvirt daemon, read over HTTP
# by busybox's wget. Each step leaves the served ETag (headers), the report and /metrics in
# $OUT/watch for check_watch.py to judge; nothing here is timed, waits only bound how long a
# missing change is waited for. The guests' scripts share one shell's variables: each counter
# has a name of its own.
WPORT=18782
W=$OUT/watch

w_get() { # name path: headers in W/name.hdr, body in W/name.body
	wget -S -q -O "$W/$1.body" "http://127.0.0.1:$WPORT$2" 2>"$W/$1.hdr"
}
w_etag() { w_get etag /v1/report && sed -n 's/^ *ETag: *//p' "$W/etag.hdr" | tr -d '\r'; }
# gathers and events, one line: unchanged for a second means serve is idle
w_counts() { w_get counts /metrics && grep -E '^vfcap_(gathers_total|serve_events_total)' "$W/counts.body" | tr '\n' ' '; }
w_settle() {
	sn=30
	a=$(w_counts)
	while [ "$sn" -gt 0 ]; do
		sleep 1
		b=$(w_counts)
		[ "$a" = "$b" ] && return 0
		a=$b
		sn=$((sn - 1))
	done
	echo "not settled after 30 s" >>"$W/setup.err"
}
w_snap() { # step: the report (with its headers) and /metrics as they are now
	w_get "report$1" /v1/report
	w_get "metrics$1" /metrics
}
w_wait_etag_not() { # old-etag [seconds]: up to 30 s (or seconds) for the served ETag to change
	wn=$((${2:-30} * 5))
	while [ "$wn" -gt 0 ]; do
		[ "$(w_etag)" != "$1" ] && return 0
		usleep 200000
		wn=$((wn - 1))
	done
	return 1
}

# watch_start: serve with the URI the guests already use (the default; no daemon here) and live
# netlink, then the idle state as snapshot 0
watch_start() {
	mkdir -p "$W"
	"$IP" link set lo up
	vfcap-report serve --listen "127.0.0.1:$WPORT" 2>"$W/serve.log" &
	SPID=$!
	un=100
	until w_get up /metrics; do
		un=$((un - 1))
		[ "$un" -gt 0 ] || { echo "serve never answered" >>"$W/setup.err"; return 1; }
		usleep 200000
	done
	w_settle
	w_snap 0
}

watch_step() { # N name command...: run it, wait for a new ETag (30 s, or $WWAIT), settle, snapshot N
	step=$1 name=$2
	shift 2
	e=$(w_etag)
	"$@" 2>>"$W/setup.err" || echo "$name: $* failed" >>"$W/setup.err"
	w_wait_etag_not "$e" "${WWAIT:-30}" || echo "$name: ETag still $e after ${WWAIT:-30} s" >>"$W/waits"
	w_settle
	w_snap "$step"
}

watch_stop() {
	kill -TERM "$SPID"
	wait "$SPID"
	echo $? >"$W/serve.rc"
	rm -f "$W/etag.body" "$W/counts.body" "$W/up.body"
}

numvfs_to() { # path N N...: netdevsim refuses a non-zero to non-zero change: each through 0
	f=$1
	shift
	for v in "$@"; do echo "$v" >"$f" || return; done
}

# The netdevsim guest: (1) a VF's VLAN (RTM_NEWLINK for the PF); (2) sriov_numvfs 4 -> 0 -> 2,
# which netdevsim (legacy mode) announces neither as a uevent nor on rtnetlink, so (3) SIGHUP
# reads it; (4) 5 s idle.
watch_run() { # PF sriov_numvfs-path
	numvfs_to "$2" 0 4 || { mkdir -p "$W"; echo "cannot set 4 VFs" >>"$W/setup.err"; return; }
	watch_start || { kill "$SPID"; return; }
	watch_step 1 vlan "$IP" link set "$1" vf 0 vlan 5
	# no change expected: 5 s is for a notification, settling then sees any that came later
	WWAIT=5 watch_step 2 numvfs numvfs_to "$2" 0 2
	watch_step 3 sighup kill -HUP "$SPID"
	sleep 5
	w_snap 4
	watch_stop
}
