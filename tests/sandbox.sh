#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/sandbox.sh COMMAND [ARGS...]: run COMMAND (as root) in namespaces of its own, so that the
# tests neither see nor disturb what the machine runs: a developer's oVirt/KVM host keeps its
# libvirtd, links and networks whatever the tests do, and whatever way they end.
#
# - network: a new namespace with only lo, brought up. The ifb links and libvirt networks the
#   tests make exist here only, and vanish with it.
# - mount (private propagation): a tmpfs over /run (libvirtd's sockets and pid file, /run/netns),
#   over /var/lib/libvirt and /var/cache/libvirt (their directory skeleton only: on a real host
#   these hold VM images and state, never copied) and over /var/log/libvirt; /etc/libvirt is a
#   copy of the machine's top-level configuration files and none of its defined objects, so a
#   test libvirtd autostarts none of the host's VMs or networks and writes no definition back.
# - pid: a test's daemons (libvirtd, Prometheus, the services) end with the run, and `pidof`
#   sees only them. COMMAND runs as a child of a bash that reaps orphans as PID 1.
#
# The machine's own network namespace stays reachable, read-only, for the test that reads this
# host (tests/live.sh): VFCAP_HOST_NETNS names an inherited descriptor of it, for nsenter --net.
set -eu

if [ "${1:-}" != --inside ]; then
	[ $# -gt 0 ] || { echo "usage: tests/sandbox.sh COMMAND [ARGS...]" >&2; exit 2; }
	[ "$(id -u)" = 0 ] || { echo "tests/sandbox.sh: needs root (namespaces, mounts)" >&2; exit 2; }
	exec 9</proc/self/ns/net
	export VFCAP_HOST_NETNS=/proc/self/fd/9
	exec unshare --mount --net --pid --fork --mount-proc --propagation private -- \
		/bin/bash "$0" --inside "$@"
fi
shift
export VFCAP_SANDBOX=1

ip link set lo up
mount -t tmpfs -o mode=0755 sandbox-run /run
mkdir -p /run/lock /run/user

# DIR's directories, owners and modes, and of its files only those FILES (a glob at its top)
# names: what a daemon expects to find, nothing the machine keeps there
skeleton() { # dir [files]
	local d=$1 copy=/run/.sandbox$1 f
	[ -d "$d" ] || return 0
	mkdir -p "$copy"
	(cd "$d" && find . -xdev -type d -print0) | (cd "$copy" && xargs -0r mkdir -p)
	(cd "$d" && find . -xdev -type d -printf '%m %u:%g %p\0') |
		while IFS=' ' read -r -d '' mode owner path; do
			chown "$owner" "$copy/$path" 2>/dev/null || true
			chmod "$mode" "$copy/$path"
		done
	for f in "$d"/${2:-}; do
		[ -f "$f" ] && cp -p "$f" "$copy/"
	done
	mount --bind "$copy" "$d"
}
skeleton /var/lib/libvirt
skeleton /var/cache/libvirt
skeleton /var/log/libvirt
skeleton /etc/libvirt '*.conf'

# bash as PID 1 reaps whatever a test orphans; when it exits, the kernel ends the rest. COMMAND
# runs in the foreground, so that a Ctrl-C reaches it (a background job would ignore SIGINT).
"$@"
