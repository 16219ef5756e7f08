#!/bin/bash
# SPDX-License-Identifier: MIT
# make check-fresh: the README's two commands on a brand-new Debian 12 machine, every time.
#
# A new minbase root (mmdebstrap: git, make and ca-certificates only; apt inside uses this
# machine's Debian sources and its way to them), a clone of the commit under test in it, then,
# as root in a clean environment, exactly `make demo` and `make check`. A green run on a
# machine that already has the packages proves nothing about a new one; this does.
#
# Between the two commands the root gets what a developer's KVM host has: a libvirtd of its
# own, running, with a network defined. `make check` must pass beside it and leave it as it
# was (same process, same networks), and leave this machine's links as they were.
#
# The root's mounts (proc, sys, dev) live in a mount namespace of this script's own: they go
# with it on any exit. The root itself is removed unless VFCAP_FRESH_KEEP=1.
# Prints each command's time, the checks above, and one closing "N passed, N failed" that adds
# the inner `make check`'s counts to these.
set -u
cd "$(dirname "$0")/.."
TOP=$PWD

die() { echo "check-fresh: $*" >&2; exit 2; }

# --- inside the mount namespace: the root's mounts, the two commands, the sentinel libvirtd ---

count() { # pass|fail message
	echo "${1^^}: check-fresh: $2"
	[ "$1" = pass ] && echo "1 passed, 0 failed" >>"$WORK/summary" || echo "0 passed, 1 failed" >>"$WORK/summary"
}

in_root() { # command line, run by bash in the root as root with a clean environment
	env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		TERM="${TERM:-dumb}" chroot "$ROOT" /bin/bash -c "cd /root/vfcap && $1"
}

timed() { # name command line: runs it, its output shown and kept in $WORK/<name>.log
	local t0=$SECONDS rc
	echo "check-fresh: --- $1 ---"
	in_root "$2" 2>&1 | tee "$WORK/${1// /-}.log"
	rc=${PIPESTATUS[0]}
	echo "check-fresh: $1: exit $rc in $((SECONDS - t0)) s"
	TIMES="$TIMES, $1 $((SECONDS - t0)) s"
	return "$rc"
}

# A developer's KVM host: a libvirtd running, with a network of its own defined.
sentinel_start() {
	in_root './scripts/install-deps.sh none libvirt-daemon libvirt-clients' >"$WORK/sentinel.log" 2>&1 &&
		in_root 'libvirtd --daemon --pid-file /run/sentinel-libvirtd.pid' >>"$WORK/sentinel.log" 2>&1 &&
		in_root 'for i in $(seq 100); do virsh -q net-list >/dev/null 2>&1 && break; sleep 0.1; done
			printf "%s\n" "<network><name>host-net</name><forward mode=\"passthrough\">" \
				"<interface dev=\"host-vf0\"/></forward></network>" >/tmp/host-net.xml
			virsh -q net-define /tmp/host-net.xml' >>"$WORK/sentinel.log" 2>&1 ||
		return 1
	SENTINEL_PID=$(cat "$ROOT/run/sentinel-libvirtd.pid")
	in_root 'virsh -q net-list --all --name' >"$WORK/nets.before" 2>&1
}

sentinel_check() {
	in_root 'virsh -q net-list --all --name' >"$WORK/nets.after" 2>&1
	if kill -0 "$SENTINEL_PID" 2>/dev/null && [ "$(cat "$ROOT/run/sentinel-libvirtd.pid")" = "$SENTINEL_PID" ] &&
		cmp -s "$WORK/nets.before" "$WORK/nets.after"; then
		count pass "the machine's libvirtd (pid $SENTINEL_PID) ran through make check untouched, networks: $(xargs <"$WORK/nets.after")"
	else
		count fail "the machine's libvirtd or its networks changed under make check: $(xargs <"$WORK/nets.before") -> $(xargs <"$WORK/nets.after")"
	fi
	kill -TERM "$SENTINEL_PID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$SENTINEL_PID" 2>/dev/null || break; sleep 0.1; done
}

fresh_inside() {
	# the root a mount point of its own, as / is on a machine (unshare --propagation needs one)
	mount --bind "$ROOT" "$ROOT" && mount -t proc proc "$ROOT/proc" &&
		mount --rbind /sys "$ROOT/sys" && mount --rbind /dev "$ROOT/dev" ||
		die "cannot mount the root, proc, sys, dev"
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null
	TIMES=""
	if timed "make demo" "make demo"; then count pass "make demo: exit 0"; else count fail "make demo: exit $?"; fi
	# apt's and debconf's complaints, a shell's, a program's error line: none in a good demo
	if grep -nE '^(E|W): |debconf: |[Ee]rror|[Ww]arning|Broken pipe|command not found|Traceback' \
		"$WORK/make-demo.log" >"$WORK/demo-noise"; then
		count fail "make demo printed error text:$(head -5 "$WORK/demo-noise" | sed 's/^/\n    /')"
	else
		count pass "make demo printed no error or warning text"
	fi
	if sentinel_start; then
		count pass "a libvirtd of the root's own runs (pid $SENTINEL_PID) with network(s) $(xargs <"$WORK/nets.before")"
	else
		count fail "the sentinel libvirtd did not start: $(tail -3 "$WORK/sentinel.log")"
	fi
	timed "make check" "make check"
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/make-check.log" | tail -1)
	if [ -n "$line" ]; then
		echo "$line" >>"$WORK/summary"
		echo "check-fresh: make check's own count: $line"
	else
		count fail "make check ended without its 'N passed, N failed' line"
	fi
	[ -n "${SENTINEL_PID:-}" ] && sentinel_check
	echo "check-fresh: times:${TIMES#,}"
}

if [ "${1:-}" = --inside ]; then
	ROOT=$2 WORK=$3
	# the PID namespace's first process: signals without a handler would not reach it
	trap 'exit 143' TERM
	trap 'exit 130' INT
	fresh_inside
	exit 0
fi

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap, chroot, namespaces)"
./scripts/install-deps.sh none mmdebstrap || die "cannot install mmdebstrap"
commit=$(git rev-parse --verify HEAD) || die "not a git checkout"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	echo "check-fresh: uncommitted changes are not tested: the root gets commit ${commit:0:12}" >&2

WORK=$(mktemp -d /var/tmp/vfcap-fresh.XXXXXX)
ROOT=$WORK/root
cleanup() {
	# the mounts were the namespace's; refuse to delete through one that outlived it
	if grep -q " $WORK/" /proc/self/mountinfo; then
		echo "check-fresh: mounts left under $WORK, not removing it" >&2
	elif [ "${VFCAP_FRESH_KEEP:-}" != 1 ]; then
		rm -rf --one-file-system "$WORK"
	fi
}
trap cleanup EXIT

# This machine's Debian sources (deb822 stanzas and one-line entries for bookworm suites) and
# the apt options by which it reaches them.
{
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && awk -v RS= -v ORS='\n\n' '/(^|\n)Suites:[^\n]*[ \t]bookworm(-[a-z]+)?([ \t]|\n|$)/' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] && grep -E '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+[[:space:]]+bookworm(-[a-z]+)?[[:space:]]' "$f"
	done
} >"$WORK/sources" 2>/dev/null
grep -qE 'bookworm' "$WORK/sources" || die "no Debian bookworm source in /etc/apt to build the root from"
grep -hE '^[[:space:]]*Acquire::(Check-Valid-Until|Check-Date|https?::Proxy|Retries)' \
	/etc/apt/apt.conf /etc/apt/apt.conf.d/* 2>/dev/null >"$WORK/aptopt" || true

ip -o link show | awk -F': ' '{ print $2 }' | sort >"$WORK/links.before"

t0=$SECONDS
if ! mmdebstrap --quiet --variant=minbase --include=git,make,ca-certificates \
	--aptopt="$WORK/aptopt" bookworm "$ROOT" "$WORK/sources" >"$WORK/mmdebstrap.log" 2>&1; then
	tail -20 "$WORK/mmdebstrap.log" >&2
	die "mmdebstrap failed"
fi
echo "check-fresh: Debian 12 minbase root in $((SECONDS - t0)) s ($(chroot "$ROOT" dpkg-query -W | wc -l) packages)"
git clone -q --no-hardlinks "$TOP" "$ROOT/root/vfcap" && git -C "$ROOT/root/vfcap" checkout -q "$commit" ||
	die "cannot clone $commit into the root"
echo "check-fresh: commit $commit cloned into /root/vfcap"

# A PID namespace too: whatever runs in the root (the sentinel libvirtd, a test's daemons) ends
# with its first process, the bash below, even when the run is interrupted (a TERM or INT it
# gets ends it; unshare ignores both, and --kill-child turns unshare's own end, by SIGKILL, into
# the namespace's)
unshare --mount --pid --kill-child --propagation private -- /bin/bash "$0" --inside "$ROOT" "$WORK" ||
	count fail "the root's namespace ended with exit $?"
if grep -q " $ROOT/" /proc/self/mountinfo; then
	count fail "mounts under the root outlived its namespace"
else
	count pass "the root's mounts went with its namespace"
fi
ip -o link show | awk -F': ' '{ print $2 }' | sort >"$WORK/links.after"
if cmp -s "$WORK/links.before" "$WORK/links.after"; then
	count pass "this machine's links are as they were ($(wc -l <"$WORK/links.after"))"
else
	count fail "this machine's links changed: $(diff "$WORK/links.before" "$WORK/links.after" | grep '^[<>]' | xargs)"
fi
# one closing line: these checks and the inner make check's, added up
awk '/^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3 }
	END { printf "\n%d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' "$WORK/summary"
