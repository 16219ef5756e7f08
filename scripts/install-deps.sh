#!/bin/bash
# SPDX-License-Identifier: MIT
# install-deps.sh SET [PACKAGE...]: install the Debian packages vfcap needs, only the missing ones.
#   demo  what building the three programs and running `make demo` need (build and runtime)
#   test  demo's, plus everything `make check` runs (the test toolchain)
#   none  only the PACKAGEs named (make check-fresh: mmdebstrap)
# Extra PACKAGEs come after the set (make check: the kernel rig's; make bench: strace).
# Idempotent: a machine that has everything makes no apt-get call and prints nothing.
# Every external command of the demo and the tests is in these lists, checked on a brand-new
# Debian 12 minbase root by `make check-fresh` (tests/README.md, "A brand-new machine").
set -eu -o pipefail

DEMO_PKGS="build-essential pkg-config
libvirt-dev libnl-3-dev libnl-route-3-dev libjson-c-dev libxml2-dev libinih-dev
libmicrohttpd-dev libcurl4-gnutls-dev libgnutls28-dev"

# tests/run.sh and what it calls: sanitizers and fuzzers (clang, valgrind), unit tests (cmocka),
# schema and Prometheus checks, a real libvirtd (with SASL's SCRAM plugin for the hook's login,
# and QEMU for the VMs the serve watch test and make bench start on its pool networks),
# the namespaces and links (iproute2, util-linux), HTTP clients and TLS (curl, openssl, the CA
# store), packaging (rpm and the `file` its strip step needs, man, systemd; /bin/kill in a unit)
TEST_PKGS="clang libclang-rt-14-dev valgrind libcmocka-dev strace
python3 python3-jsonschema prometheus libxml2-utils
libvirt-daemon libvirt-clients libsasl2-modules sasl2-bin qemu-system-x86
iproute2 util-linux procps curl openssl ca-certificates
rpm rpm2cpio cpio file man-db groff-base systemd"

case "${1:-}" in
demo) want=$DEMO_PKGS ;;
test) want="$DEMO_PKGS $TEST_PKGS" ;;
none) want="" ;;
*)
	echo "usage: install-deps.sh demo|test|none [PACKAGE...]" >&2
	exit 2
	;;
esac
shift
want="$want $*"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }

# libvirtd (the monolithic daemon, run by the tests without systemd) refuses to start without these
setup_libvirtd() {
	[ "$(id -u)" = 0 ] && installed libvirt-daemon || return 0
	id libvirt-qemu >/dev/null 2>&1 || useradd --system --no-create-home libvirt-qemu
	mkdir -p /var/log/libvirt
}

missing=""
for p in $(printf "%s\n" $want | sort -u); do installed "$p" || missing="$missing $p"; done
if [ -z "$missing" ]; then
	setup_libvirtd
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi

n=$(echo $missing | wc -w)
echo "install-deps: installing $n Debian package(s) and what they depend on; this may take a minute:"
echo "$missing" | fold -s -w 96 | sed 's/^ */    /'
log=$(mktemp /tmp/vfcap-install-deps.XXXXXX)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -q >"$log" 2>&1; then
	tail -5 "$log" >&2
	echo "install-deps: apt-get update failed" >&2
	exit 1
fi
# apt's own progress (its status descriptor) as one line per tenth, its chatter in the log: debconf's
# notices on a minbase root ("delaying package configuration") are no news to a reader
# shellcheck disable=SC2086
if ! apt-get install -y -q --no-install-recommends -o APT::Status-Fd=3 $missing 3>&1 >>"$log" 2>&1 |
	awk -F: '/^(dlstatus|pmstatus):/ {
		step = ($1 == "dlstatus") ? "downloaded" : "installed"; pc = int($3 / 10) * 10
		if (step != last) { last = step; shown = -10 }
		if (pc > shown) { printf "install-deps: %s %d%%\n", step, pc; fflush(); shown = pc }
	}'; then
	tail -20 "$log" >&2
	echo "install-deps: apt-get install failed" >&2
	exit 1
fi
echo "install-deps: done"
setup_libvirtd
