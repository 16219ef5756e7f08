# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# The kernel rig's igb guest, host side: QEMU 10 from bookworm-backports (bookworm's 7.2 has no
# igb device), unpacked into the rig's cache, booting Debian's own 6.1 kernel (rig.sh fetches
# and extracts it) with an emulated Intel 82576 whose SR-IOV VFs are real PCI functions
# (docs/interfaces.md, 'igb (the kernel rig)'). Sourced after rig.sh; same $RIG_ERR contract.
#
# Cache: ${XDG_CACHE_HOME:-~/.cache}/vfcap/qemu/
#   apt/sources.list  one bookworm-backports line, from the machine's own bookworm source
#   apt/lists/, apt/cache/  apt's state for that file alone: /etc/apt and /var/lib/apt untouched
#   debs/             qemu-system-x86, qemu-system-data, seabios (the minimum for -kernel boots)
#   <version>/root/   the three unpacked with dpkg-deb -x
# apt-get reads /etc/apt/apt.conf{,.d} as usual, so the machine's Acquire:: options (proxy,
# Check-Valid-Until) apply to these downloads too.

QCACHE=${XDG_CACHE_HOME:-$HOME/.cache}/vfcap/qemu
QPKGS="qemu-system-x86 qemu-system-data seabios"
IGB_MODULES="igb igbvf vfio_pci vfio_iommu_type1 macvtap"

rig_qapt() { # apt-get|apt-cache args...: apt on the private sources, lists and cache
	"$1" -o Dir::Etc::SourceList="$QCACHE/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$QCACHE/apt/lists" -o Dir::Cache="$QCACHE/apt/cache" \
		-o APT::Sandbox::User=root "${@:2}"
}

rig_qemu_update() {
	mkdir -p "$QCACHE/apt/lists/partial" "$QCACHE/apt/cache/archives/partial" ||
		{ rig_fail "qemu download: cannot create $QCACHE/apt"; return; }
	python3 tests/kernel/backports.py >"$QCACHE/apt/sources.list.new" 2>"$QCACHE/apt/err" ||
		{ rig_fail "qemu download: $(cat "$QCACHE/apt/err")"; return; }
	mv "$QCACHE/apt/sources.list.new" "$QCACHE/apt/sources.list"
	rig_qapt apt-get -q update >"$QCACHE/apt/update.log" 2>&1 ||
		{ rig_fail "qemu download: apt-get update of bookworm-backports failed: $(grep -m1 -E '^(E|W):' "$QCACHE/apt/update.log")"; return; }
}

rig_qver() { # package -> its bookworm-backports version in the private lists
	rig_qapt apt-cache madison "$1" 2>/dev/null | awk -F' *[|] *' '$3 ~ /bookworm-backports/ { print $2; exit }'
}

# Versions from the private lists (apt-get update first when there are none: make check-kernel
# runs outside the sandbox without tests/kernel/fetch.sh).
rig_qemu_resolve() {
	local p v
	[ -s "$QCACHE/apt/sources.list" ] && ls "$QCACHE/apt/lists/"*Packages* >/dev/null 2>&1 || rig_qemu_update || return
	QWANT=""
	for p in $QPKGS; do
		v=$(rig_qver "$p")
		[ -n "$v" ] || { rig_fail "qemu download: no $p in bookworm-backports ($(cat "$QCACHE/apt/sources.list"))"; return; }
		QWANT="$QWANT $p=$v"
		[ "$p" = qemu-system-x86 ] && QVER=$v
	done
	QDIR=$QCACHE/${QVER//:/_}
}

rig_qdeb() { # package=version -> its cached .deb (empty when absent)
	local f p=${1%%=*} v=${1#*=}
	for f in "$QCACHE/debs/${p}_${v//:/%3a}"_*.deb; do [ -s "$f" ] && { echo "$f"; return; }; done
}

rig_qemu_download() {
	local pv want="" f
	mkdir -p "$QCACHE/debs" || { rig_fail "qemu download: cannot create $QCACHE/debs"; return; }
	for pv in $QWANT; do [ -n "$(rig_qdeb "$pv")" ] || want="$want $pv"; done
	if [ -n "$want" ]; then
		rig_fetch_debs "qemu download" "$QCACHE/debs" "${want# }" rig_qapt apt-get download -q || return
	fi
	local keep=()
	for pv in $QWANT; do
		f=$(rig_qdeb "$pv")
		[ -n "$f" ] || { rig_fail "qemu download: $pv missing after apt-get download"; return 1; }
		keep+=(! -name "$(basename "$f")")
	done
	find "$QCACHE/debs" -maxdepth 1 -name '*.deb' "${keep[@]}" -delete
	find "$QCACHE" -mindepth 1 -maxdepth 1 -type d ! -name debs ! -name apt ! -name "$(basename "$QDIR")" -exec rm -rf {} +
}

# Unpacked, then asked for its igb device: a library bookworm lacks shows up here, named.
rig_qemu_extract() {
	local pv missing
	if [ ! -e "$QDIR/root/.done" ]; then
		rm -rf "$QDIR/root" && mkdir -p "$QDIR/root/usr/lib/x86_64-linux-gnu/qemu"
		for pv in $QWANT; do
			dpkg-deb -x "$(rig_qdeb "$pv")" "$QDIR/root" || { rig_fail "qemu extract: dpkg-deb -x ${pv%%=*} failed"; return; }
		done
		touch "$QDIR/root/.done"
	fi
	missing=$(ldd "$QDIR/root/usr/bin/qemu-system-x86_64" | grep 'not found' | awk '{ print $1 }' | tr '\n' ' ')
	[ -z "$missing" ] || { rig_fail "qemu extract: QEMU $QVER needs libraries this machine lacks: $missing"; return; }
	# igb's own help: the full -device help loads every module, the machine's 7.2 ones too
	rig_qemu -device igb,help 2>&1 | grep -q '^igb options:' ||
		{ rig_fail "qemu extract: QEMU $QVER has no igb device: $(rig_qemu -device igb,help 2>&1 | head -c 200)"; return; }
}

# The unpacked QEMU on its own data and firmware. QEMU_MODULE_DIR comes first in its module
# search, but the built-in /usr/lib/x86_64-linux-gnu/qemu (the machine's 7.2 modules) stays in it:
# harmless here, as this boot loads no module (they are display, audio and USB backends).
# An array, not a function: timeout(1) runs it.
rig_qemu_cmd() {
	QEMU10=(env QEMU_MODULE_DIR="$QDIR/root/usr/lib/x86_64-linux-gnu/qemu" "$QDIR/root/usr/bin/qemu-system-x86_64"
		-L "$QDIR/root/usr/share/qemu" -L "$QDIR/root/usr/share/seabios")
}
rig_qemu() { rig_qemu_cmd && "${QEMU10[@]}" "$@"; }

rig_igb_initramfs() { # work-dir vfcap-report -> $1/initrd.cpio.gz
	local root=$1/root mods="$KDIR/image/lib/modules/$KABI" m
	rig_initramfs_base "$root" "$2" || return
	gcc -std=gnu11 -static -O2 -Wall -Wextra -Werror -o "$root/usr/bin/vfio-hold" tests/kernel/vfio-hold.c 2>"$1/vfio-hold.log" ||
		{ rig_fail "initramfs: building tests/kernel/vfio-hold.c (static) failed: $(head -c 200 "$1/vfio-hold.log")"; return; }
	# shellcheck disable=SC2086
	python3 tests/kernel/moddeps.py "$mods" $IGB_MODULES >"$root/lib/vfcap/modules.order" 2>"$1/moddeps.log" ||
		{ rig_fail "initramfs: $(cat "$1/moddeps.log")"; return; }
	while read -r m; do
		install -D -m 0644 "$mods/$m" "$root/lib/vfcap/$m" || { rig_fail "initramfs: cannot copy $m"; return; }
	done <"$root/lib/vfcap/modules.order"
	install -m 0644 tests/kernel/guest-igb.sh "$root/etc/vfcap/guest-igb.sh" &&
		install -m 0644 tests/kernel/guest-watch.sh "$root/etc/vfcap/guest-watch.sh" || { rig_fail "initramfs: guest-igb.sh, guest-watch.sh"; return; }
	rig_cpio "$root" "$1/initrd.cpio.gz"
}

# pci-hole64-size=0: QEMU 10.0 otherwise maps the VFs' 64-bit BARs where their MMIO reads zeros.
rig_igb_boot() { # work-dir
	rig_qemu_cmd
	rig_run_guest "$1" "${QEMU10[@]}" -accel tcg -machine q35,kernel-irqchip=split -smp 1 -m 1024 \
		-global q35-pcihost.pci-hole64-size=0 -nodefaults -display none -no-reboot \
		-device intel-iommu,intremap=on,caching-mode=on \
		-netdev hubport,id=n0,hubid=0 -device igb,netdev=n0,romfile= \
		-kernel "$KDIR/image/boot/vmlinuz-$KABI" -initrd "$1/initrd.cpio.gz" \
		-append 'console=ttyS0 quiet panic=-1 oops=panic intel_iommu=on iommu=pt'
}
