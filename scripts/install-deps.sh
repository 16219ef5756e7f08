#!/bin/sh
# Install the Debian packages vfcap needs to build, test and demo, only the missing ones;
# arguments name extra packages (make bench: strace).
# Idempotent: a machine that has everything makes no apt-get call at all.
set -eu

PKGS="build-essential pkg-config
libvirt-dev libnl-3-dev libnl-route-3-dev libjson-c-dev libxml2-dev libinih-dev
libmicrohttpd-dev libcurl4-gnutls-dev libgnutls28-dev
rpm man-db groff-base systemd openssl strace clang libclang-rt-14-dev
libcmocka-dev python3 python3-jsonschema prometheus valgrind libxml2-utils libvirt-clients
libvirt-daemon iproute2 sasl2-bin rpm2cpio cpio"

# extra packages for one target (make bench: strace) come as arguments
missing=""
for p in $PKGS "$@"; do
	# dpkg-query prints "install ok installed" only for a fully installed package
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
# libvirtd (monolithic daemon, no systemd here) refuses to start without these
# (docs/interfaces.md, 'libvirtd without systemd')
setup_libvirtd() {
	[ "$(id -u)" = 0 ] || return 0
	id libvirt-qemu >/dev/null 2>&1 || useradd --system --no-create-home libvirt-qemu
	mkdir -p /var/log/libvirt
}

if [ -z "$missing" ]; then
	setup_libvirtd
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
setup_libvirtd
