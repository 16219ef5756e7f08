#!/bin/bash
# make demo: vfcap-report over the bundled fixture hosts, as a table and as JSON; then the
# filter's view of that cluster: every host's report in one directory, judged for a VM.
set -u
cd "$(dirname "$0")/.."
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1795000000}
reports=$(mktemp -d /tmp/vfcap-demo.XXXXXX)
trap 'rm -rf "$reports"' EXIT
for h in tests/fixtures/hosts/*/; do
	h=${h%/}
	args=(--sysfs-root "$h/sysfs" --netlink-file "$h/netlink.bin"
		--libvirt-uri "test://$PWD/$h/libvirt.xml" --config "$h/vfcap.conf")
	echo "=== $(basename "$h"): vfcap-report --format table"
	build/vfcap-report "${args[@]}" --format table
	echo "(exit $?)"
	# what each host would publish for the engine side (the file name is the host's id)
	build/vfcap-report "${args[@]}" --format json --output "$reports/$(basename "$h").json" 2>/dev/null
	echo
done
h=tests/fixtures/hosts/intel64
echo "=== intel64: vfcap-report --format json (first 60 lines)"
build/vfcap-report --sysfs-root "$h/sysfs" --netlink-file "$h/netlink.bin" \
	--libvirt-uri "test://$PWD/$h/libvirt.xml" --config "$h/vfcap.conf" --format json | head -60
echo
hosts=$(cd "$reports" && ls | sed 's/\.json$//' | paste -sd,)
for demand in 1 20 40; do
	echo "=== vfcap-filter run --explain: a VM that needs $demand VF(s), hosts $hosts"
	build/vfcap-filter run --config /dev/null --reports "$reports" --vm demo-vm --hosts "$hosts" \
		--demand "$demand" --explain
	echo
done
