#!/bin/bash
# make demo: vfcap-report over the bundled fixture hosts, as a table and as JSON.
set -u
cd "$(dirname "$0")/.."
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1795000000}
for h in tests/fixtures/hosts/*/; do
	h=${h%/}
	args=(--sysfs-root "$h/sysfs" --netlink-file "$h/netlink.bin"
		--libvirt-uri "test://$PWD/$h/libvirt.xml" --config "$h/vfcap.conf")
	echo "=== $(basename "$h"): vfcap-report --format table"
	build/vfcap-report "${args[@]}" --format table
	echo "(exit $?)"
	echo
done
h=tests/fixtures/hosts/intel64
echo "=== intel64: vfcap-report --format json (first 60 lines)"
build/vfcap-report --sysfs-root "$h/sysfs" --netlink-file "$h/netlink.bin" \
	--libvirt-uri "test://$PWD/$h/libvirt.xml" --config "$h/vfcap.conf" --format json | head -60
