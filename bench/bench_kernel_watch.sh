#!/bin/bash
# SPDX-License-Identifier: MIT
# make bench: change-to-verdict latency on a real kernel (issue 18), in the kernel rig's two QEMU
# TCG guests (tests/kernel/): in each, `vfcap-report serve` and a real `vfcap-filter serve`
# following it (--report-url, host id 127.0.0.1), runFilters asked over XML-RPC (busybox wget)
# every ~50 ms until the verdict reflects the change (tests/kernel/guest-bench.sh):
#   netdevsim guest  `ip link set PF vf 0 vlan 5` and back to `vlan 0`, with `dirty = used`
#   igb guest        sriov_numvfs 3 -> 0 -> 3 on QEMU's emulated 82576 (real PCI VFs)
# each watching (serve watching the kernel, the filter following: follow_wait 50) and polling
# (today's pair: serve_watch = no, serve_interval 10; follow_wait 0, cache_max_age 30) in the
# same guest run. Times come from the guest's /proc/uptime: 10 ms steps, and TCG's slowness (a
# fork, a wget, serve's read of the kernel) is part of every latency.
#
#   bench_kernel_watch.sh [--changes N] [--igb-changes N] [--poll-changes N] [--keep]
#   bench_kernel_watch.sh --results DIR    the table again from a work directory --keep left
#
# Needs root (as make check-kernel: the rig's apt-get downloads into its cache); the guests are
# QEMU processes with no network of the host's (-net none; the igb guest's NIC on a QEMU hub).
set -u
cd "$(dirname "$0")/.." || exit 1
CHANGES=100
IGB_CHANGES=20
POLL_CHANGES=6
KEEP=0
RESULTS=""
while [ $# -gt 0 ]; do
	case $1 in
	--changes) CHANGES=$2; shift 2 ;;
	--igb-changes) IGB_CHANGES=$2; shift 2 ;;
	--poll-changes) POLL_CHANGES=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--results) RESULTS=$2; shift 2 ;;
	*) echo "usage: $0 [--changes N] [--igb-changes N] [--poll-changes N] [--keep] | --results DIR" >&2; exit 2 ;;
	esac
done
# results WORK: the table, from each guest's out/bench (lat, free, the filter's metrics)
results() {
/usr/bin/python3 - "$1" <<'EOF'
import os
import statistics
import sys

w = sys.argv[1]


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


rows, bad = [], []
for guest in ("netdevsim", "igb"):
    d = os.path.join(w, guest, "out", "bench")
    for name in ("setup.err", "fatal"):
        for f in (os.path.join(d, name), os.path.join(w, guest, "out", name)):
            if os.path.exists(f) and open(f).read().strip():
                bad.append("%s: %s" % (f, open(f).read().strip().replace("\n", "; ")[:400]))
    lat = {}
    free = {}
    if os.path.exists(os.path.join(d, "free")):
        for line in open(os.path.join(d, "free")):
            kind, mode, f = line.split()
            free[mode] = f.split("=")[1]
    if not os.path.exists(os.path.join(d, "lat")):
        bad.append("%s guest: no latencies (%s)" % (guest, d))
        continue
    for line in open(os.path.join(d, "lat")):
        kind, mode, _, way, t0, t1, t2 = line.split()
        lat.setdefault((kind, mode), []).append((float(t0), float(t1), float(t2), way))
    for (kind, mode), v in lat.items():
        rows.append((guest, kind, mode, v, free.get(mode, "?")))
        # the filter followed serve in watching mode and fetched per cache_max_age in polling mode
        m = os.path.join(d, "filter-%s.metrics" % mode)
        following = [line.split()[1] for line in open(m) if line.startswith("vfcap_filter_hosts_following ")] \
            if os.path.exists(m) else []
        if following != ["1" if mode == "watching" else "0"]:
            bad.append("%s %s: the filter's vfcap_filter_hosts_following is %s (%s)" % (guest, mode, following, m))

print("change to verdict in the kernel rig's QEMU TCG guests: a change on the guest's kernel until a real "
      "vfcap-filter's runFilters (busybox wget, every ~50 ms) reflects it; times from the guest's /proc/uptime "
      "(10 ms steps), TCG's emulation slowness included\n")
print("%-9s %-7s %-9s %7s %8s %8s %8s %10s %18s   %s" % (
    "guest", "change", "mode", "changes", "p50 ms", "p99 ms", "max ms", "cmd p50 ms", "after cmd p50/p99",
    "serve / filter"))
for guest, kind, mode, v, free in rows:
    ms = [(t2 - t0) * 1000 for t0, _, t2, _ in v]
    cmd = [(t1 - t0) * 1000 for t0, t1, _, _ in v]
    after = [(t2 - t1) * 1000 for _, t1, t2, _ in v]
    print("%-9s %-7s %-9s %7d %8.0f %8.0f %8.0f %10.0f %12.0f/%5.0f   %s" % (
        guest, kind, mode, len(ms), statistics.median(ms), pct(ms, 99), max(ms), statistics.median(cmd),
        statistics.median(after), pct(after, 99),
        "watching the kernel / follow_wait 50" if mode == "watching" else
        "serve_interval 10 / follow_wait 0, cache_max_age 30 (today)"))
print("\nchanges: netdevsim `ip link set PF vf 0 vlan 5` / `vlan 0` (dirty = used: the VLAN takes VF 0 out of "
      "free); igb `sriov_numvfs` 3 -> 0 / 0 -> 3; vf_demand = the host's free count (%s)" %
      ", ".join("%s %s" % (g, f) for g, _, m, _, f in rows if m == "watching"))
# each way apart: the command's own time differs (igb: 3 -> 0 removes three PCI functions, 0 -> 3
# adds them and igbvf probes them, all before the write returns)
WAYS = {"vlan": {"on": "vlan 5", "off": "vlan 0"}, "numvfs": {"on": "3 -> 0", "off": "0 -> 3"}}
print("each way, p50/max ms (after the command returned, p50/max ms):")
for guest, kind, mode, v, _ in rows:
    parts = []
    for way in ("on", "off"):
        w_ms = [(t2 - t0) * 1000 for t0, _, t2, x in v if x == way]
        w_after = [(t2 - t1) * 1000 for _, t1, t2, x in v if x == way]
        if w_ms:
            parts.append("%s %.0f/%.0f (%.0f/%.0f)" % (WAYS.get(kind, {}).get(way, way), statistics.median(w_ms),
                                                      max(w_ms), statistics.median(w_after), max(w_after)))
    print("  %-9s %-7s %-9s %s" % (guest, kind, mode, ", ".join(parts)))
for b in bad:
    print("bench_kernel_watch: " + b, file=sys.stderr)
sys.exit(1 if bad or not rows else 0)
EOF
}
if [ -n "$RESULTS" ]; then
	results "$RESULTS"
	exit
fi
if [ "$(id -u)" != 0 ]; then
	echo "bench_kernel_watch: skipped: needs root (the kernel rig's downloads, as make check-kernel)"
	exit 0
fi
for p in build/vfcap-report build/vfcap-filter; do
	[ -x "$p" ] || { echo "bench_kernel_watch: no $p: make all first" >&2; exit 1; }
done
source tests/kernel/rig.sh
source tests/kernel/rig-igb.sh

W=$(mktemp -d /tmp/vfcap-bench-kernel.XXXXXX)
# the polling changes wait up to 10 s each and take up to 40 s: the guests get longer than tests'
export RIG_TIMEOUT=$((900 + 60 * POLL_CHANGES))

step() { # what function args...
	local what=$1 t0=$SECONDS
	shift
	"$@" || { echo "bench_kernel_watch: $what: $RIG_ERR (work: $W)" >&2; exit 1; }
	echo "bench_kernel_watch: $what ($((SECONDS - t0)) s)" >&2
}

# the bench's additions to a guest's root: its scenario, the filter, the change counts
# shellcheck disable=SC2317 # called through step
bench_root() { # root watching-changes
	if ! install -m 0644 tests/kernel/guest-bench.sh "$1/etc/vfcap/guest-bench.sh" ||
		! printf 'watch=%s\npoll=%s\n' "$2" "$POLL_CHANGES" >"$1/etc/vfcap/bench" ||
		! rig_copy_prog build/vfcap-filter /usr/bin/vfcap-filter "$1"; then
		rig_fail "initramfs: the bench's scenario or vfcap-filter"
	fi
}

step "kernel resolve" rig_resolve
step "kernel download" rig_download
step "kernel extract" rig_extract
step "netdevsim module build" rig_build_module
mkdir -p "$W/netdevsim" "$W/igb"
: >"$W/netdevsim/plan"
step "netdevsim initramfs" rig_initramfs "$W/netdevsim" build/vfcap-report "$W/netdevsim/plan"
step "netdevsim bench root" bench_root "$W/netdevsim/root" "$CHANGES"
step "netdevsim cpio" rig_cpio "$W/netdevsim/root" "$W/netdevsim/initrd.cpio.gz"
step "qemu resolve" rig_qemu_resolve
step "qemu download" rig_qemu_download
step "qemu extract" rig_qemu_extract
step "igb initramfs" rig_igb_initramfs "$W/igb" build/vfcap-report
step "igb bench root" bench_root "$W/igb/root" "$IGB_CHANGES"
step "igb cpio" rig_cpio "$W/igb/root" "$W/igb/initrd.cpio.gz"
step "netdevsim guest (boot and bench)" rig_boot "$W/netdevsim"
step "igb guest (boot and bench)" rig_igb_boot "$W/igb"

rc=0
results "$W" || rc=1
if [ "$KEEP" = 1 ] || [ "$rc" != 0 ]; then
	echo "bench_kernel_watch: work directory kept: $W" >&2
else
	rm -rf "$W"
fi
exit "$rc"
