# SPDX-License-Identifier: MIT
# Sourced by tests/run.sh. The reporter against a real libvirtd: VFs a passthrough pool has
# handed out (net-port-create, as a starting VM would) are in state "pool"; the test driver
# cannot show this (it drops connections='N').
source tests/lib-libvirtd.sh
trap 'libvirtd_stop; rm -rf "$TMP"' EXIT
I64=tests/fixtures/hosts/intel64
if libvirtd_start && libvirtd_links ens1f0v10 ens1f0v11 ens1f0v12 ens1f0v13 &&
	libvirtd_pool direct-pool ens1f0v10 ens1f0v11 ens1f0v12 ens1f0v13 &&
	libvirtd_port direct-pool && libvirtd_port direct-pool && libvirtd_port direct-pool; then
	rc=0
	"$ASAN/vfcap-report" --sysfs-root "$I64/sysfs" --netlink-file "$I64/netlink.bin" \
		--config "$I64/vfcap.conf" --libvirt-uri "$LV_URI" >"$TMP/lv.json" 2>"$TMP/lv.err" || rc=$?
	if [ "$rc" = 0 ] && $PY - "$TMP/lv.json" >>"$TMP/lv.err" 2>&1 <<-'PY'
		import json, sys
		pf = json.load(open(sys.argv[1]))["pfs"][0]
		st = {v["index"]: (v["state"], v["owner"]) for v in pf["vfs"]}
		want = {10: ("pool", "direct-pool"), 11: ("pool", "direct-pool"),
		        12: ("pool", "direct-pool"), 13: ("free", None), 8: ("free", None)}
		bad = {i: st[i] for i in want if st[i] != want[i]}
		assert not bad, bad
		assert (pf["used"], pf["free"]) == (3 + 3, 62 - 6), (pf["used"], pf["free"])
	PY
	then
		pass "real libvirtd: pool connections become state pool (3 of 4 pool VFs)"
	else
		echo "exit $rc" >>"$TMP/lv.err"
		fail "real libvirtd: pool connections become state pool" "$TMP/lv.err"
	fi
else
	fail "real libvirtd: rig did not start" "$TMP/libvirtd.log"
fi
libvirtd_stop
