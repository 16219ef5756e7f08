# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# The real-kernel rig, host side: Debian's own bookworm kernel, netdevsim built out of tree
# against its headers, an initramfs with busybox, iproute2's ip and vfcap-report, booted under
# qemu TCG (docs/interfaces.md, 'netdevsim (the kernel rig)'). Sourced by tests/kernel/check.sh;
# every function returns non-zero with one line in $RIG_ERR saying what failed, so that the
# caller reports it as a test failure.
#
# Cache: ${XDG_CACHE_HOME:-~/.cache}/vfcap/kernel/
#   debs/                the five .deb files, as apt-get download left them
#   <version>/tree/      headers + kbuild, extracted (the headers' Makefile re-pointed here)
#   <version>/image/     the kernel image package, extracted
#   <version>/netdevsim/ netdevsim's source from linux-source-6.1, and the built netdevsim.ko
# Only the current version is kept.

KCACHE=${XDG_CACHE_HOME:-$HOME/.cache}/vfcap/kernel
RIG_ERR=""

rig_fail() {
	RIG_ERR="$*"
	return 1
}

rig_image_package() {
	apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1
}

# Resolve the ABI that linux-image-amd64 points at today (e.g. linux-image-6.1.0-56-amd64)
# and its package version; the other four packages must exist at exactly that version.
rig_resolve() {
	local dep
	dep=$(rig_image_package)
	if [ -z "$dep" ]; then # a fresh machine may have no package lists yet
		apt-get update -qq >/dev/null 2>&1 || true
		dep=$(rig_image_package)
	fi
	[ -n "$dep" ] || { rig_fail "download: apt-cache cannot resolve linux-image-amd64 to a linux-image-<abi>-amd64 package"; return; }
	KABI=${dep#linux-image-}          # 6.1.0-56-amd64
	KVER=$(apt-cache show --no-all-versions "$dep" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
	[ -n "$KVER" ] || { rig_fail "download: no version for $dep in apt's lists"; return; }
	KPKGS="$dep linux-headers-$KABI linux-headers-${KABI%-amd64}-common linux-kbuild-6.1 linux-source-6.1"
	KDIR=$KCACHE/$KVER
}

rig_deb() { # package -> path of its cached .deb (empty when absent)
	local f
	for f in "$KCACHE/debs/$1_${KVER//:/%3a}"_*.deb; do
		[ -s "$f" ] && { echo "$f"; return; }
	done
}

# rig_fetch_debs STEP DIR "PKG=VER..." CMD...: CMD (an apt-get download) fetches the packages
# into a scratch dir, then each checked .deb is renamed into DIR: an interrupted download never
# leaves a truncated .deb that a later run would trust. STEP names the step in failures.
rig_fetch_debs() {
	local step=$1 dir=$2 want=$3 tmp f
	shift 3
	tmp=$(mktemp -d "$dir/.dl.XXXXXX")
	# shellcheck disable=SC2086
	if ! (cd "$tmp" && "$@" $want) >"$tmp/log" 2>&1; then
		rig_fail "$step: apt-get download $want failed: $(grep -m1 -E '^E:' "$tmp/log" || tail -1 "$tmp/log")"
		rm -rf "$tmp"
		return 1
	fi
	for f in "$tmp"/*.deb; do
		dpkg-deb --info "$f" >/dev/null 2>&1 || { rig_fail "$step: $(basename "$f") is not a valid .deb"; rm -rf "$tmp"; return 1; }
		mv "$f" "$dir/"
	done
	rm -rf "$tmp"
}

rig_download() {
	mkdir -p "$KCACHE/debs" || { rig_fail "download: cannot create $KCACHE/debs"; return; }
	local p want=""
	for p in $KPKGS; do [ -n "$(rig_deb "$p")" ] || want="$want $p=$KVER"; done
	[ -z "$want" ] && return 0
	rig_fetch_debs download "$KCACHE/debs" "${want# }" apt-get download -q -o APT::Sandbox::User=root || return
	for p in $KPKGS; do [ -n "$(rig_deb "$p")" ] || { rig_fail "download: $p=$KVER missing after apt-get download"; return 1; }; done
	# drop other versions' debs and trees
	find "$KCACHE/debs" -maxdepth 1 -name '*.deb' ! -name "*_${KVER//:/%3a}_*" -delete
	find "$KCACHE" -mindepth 1 -maxdepth 1 -type d ! -name debs ! -name "$KVER" -exec rm -rf {} +
}

# Headers + kbuild extracted side by side keep their relative scripts/ links; only the
# amd64 Makefile names the common tree by absolute path.
rig_extract() {
	local p
	if [ ! -e "$KDIR/tree/.done" ]; then
		rm -rf "$KDIR/tree" && mkdir -p "$KDIR/tree"
		for p in "linux-headers-$KABI" "linux-headers-${KABI%-amd64}-common" linux-kbuild-6.1; do
			dpkg-deb -x "$(rig_deb "$p")" "$KDIR/tree" || { rig_fail "extract: dpkg-deb -x $p failed"; return; }
		done
		sed -i "s|^include /usr/src/|include $KDIR/tree/usr/src/|" "$KDIR/tree/usr/src/linux-headers-$KABI/Makefile"
		touch "$KDIR/tree/.done"
	fi
	if [ ! -e "$KDIR/image/.done" ]; then
		rm -rf "$KDIR/image" && mkdir -p "$KDIR/image"
		dpkg-deb -x "$(rig_deb "linux-image-$KABI")" "$KDIR/image" || { rig_fail "extract: linux-image-$KABI"; return; }
		touch "$KDIR/image/.done"
	fi
	if [ ! -e "$KDIR/netdevsim/.src" ]; then
		rm -rf "$KDIR/netdevsim" && mkdir -p "$KDIR/netdevsim"
		# only drivers/net/netdevsim out of the 138 MB tarball
		dpkg-deb --fsys-tarfile "$(rig_deb linux-source-6.1)" | tar -xO ./usr/src/linux-source-6.1.tar.xz |
			tar -xJ -C "$KDIR/netdevsim" --strip-components=4 --wildcards 'linux-source-6.1/drivers/net/netdevsim/*' ||
			{ rig_fail "extract: drivers/net/netdevsim from linux-source-6.1"; return; }
		[ -s "$KDIR/netdevsim/netdev.c" ] || { rig_fail "extract: no netdevsim/netdev.c in linux-source-6.1"; return; }
		touch "$KDIR/netdevsim/.src"
	fi
}

# Debian ships CONFIG_NETDEVSIM unset; building it as a module against the image's own
# Module.symvers gives a module the stock kernel loads (unsigned: it taints, nothing more).
rig_build_module() {
	[ -s "$KDIR/netdevsim/netdevsim.ko" ] && return 0
	make -C "$KDIR/tree/usr/src/linux-headers-$KABI" M="$KDIR/netdevsim" CONFIG_NETDEVSIM=m \
		-j"$(nproc)" modules >"$KDIR/netdevsim/build.log" 2>&1 ||
		{ rig_fail "module build: netdevsim failed, see $KDIR/netdevsim/build.log: $(grep -m1 -i error "$KDIR/netdevsim/build.log")"; return; }
}

# Copy a dynamically linked program and every library ldd lists.
rig_copy_prog() { # src dst-in-root root
	local lib
	install -D -m 0755 "$1" "$3/$2" || return
	for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
		[ -e "$3$lib" ] || install -D -m 0755 "$lib" "$3$lib" || return
	done
}

# The root both guests share: busybox, iproute2's ip, vfcap-report, /init.
rig_initramfs_base() { # root vfcap-report
	rm -rf "$1" && mkdir -p "$1"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc/vfcap,lib/vfcap,out}
	install -m 0755 /bin/busybox "$1/bin/busybox" || { rig_fail "initramfs: no /bin/busybox (busybox-static)"; return; }
	# busybox's own ip hides VF lines (docs/interfaces.md, 'netdevsim (the kernel rig)'):
	# iproute2's under another name
	rig_copy_prog /bin/ip /usr/sbin/ip.iproute2 "$1" &&
		rig_copy_prog "$2" /usr/bin/vfcap-report "$1" ||
		{ rig_fail "initramfs: copying ip or vfcap-report and their libraries failed"; return; }
	install -m 0755 tests/kernel/guest-init.sh "$1/init" || rig_fail "initramfs: init"
}

rig_cpio() { # root -> initrd
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$2" || rig_fail "initramfs: cpio | gzip failed"
}

rig_initramfs() { # work-dir vfcap-report plan -> $1/initrd.cpio.gz
	local root=$1/root mods="$KDIR/image/lib/modules/$KABI/kernel"
	rig_initramfs_base "$root" "$2" || return
	install -m 0644 "$mods/net/psample/psample.ko" "$KDIR/netdevsim/netdevsim.ko" "$root/lib/vfcap/" &&
		install -m 0644 "$3" "$root/etc/vfcap/plan" &&
		install -m 0644 tests/kernel/guest-watch.sh "$root/etc/vfcap/guest-watch.sh" ||
		{ rig_fail "initramfs: modules or plan"; return; }
	rig_cpio "$root" "$1/initrd.cpio.gz"
}

# Boot with the serial console in console.log and the guest's results streamed (tar, gzip,
# base64) over the second serial port into data.b64.
rig_boot() { # work-dir
	rig_run_guest "$1" qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -nodefaults -display none -no-reboot -net none \
		-kernel "$KDIR/image/boot/vmlinuz-$KABI" -initrd "$1/initrd.cpio.gz" \
		-append 'console=ttyS0 quiet panic=-1 oops=panic'
}

# RIG_TIMEOUT: seconds a guest may take (600; make bench's latency guests take longer)
rig_run_guest() { # work-dir qemu-command...: adds the two serial ports, decodes the results into work-dir/out
	local rc=0 work=$1 limit=${RIG_TIMEOUT:-600}
	shift
	timeout "$limit" "$@" -serial "file:$work/console.log" -serial "file:$work/data.b64" >"$work/qemu.log" 2>&1 || rc=$?
	[ "$rc" = 124 ] && { rig_fail "boot: qemu timed out after $limit s (console: $work/console.log)"; return; }
	[ "$rc" = 0 ] || { rig_fail "boot: qemu exited $rc: $(head -c 300 "$work/qemu.log")"; return; }
	grep -q '^VFCAP-END' "$work/data.b64" ||
		{ rig_fail "boot: the guest sent no results; console tail: $(tail -3 "$work/console.log" | tr '\n' ' ')"; return; }
	rm -rf "$work/out" && mkdir -p "$work/out" &&
		sed -n '/^VFCAP-BEGIN/,/^VFCAP-END/{/^VFCAP-/d;p}' "$work/data.b64" | tr -d '\r' | base64 -d | tar -xz -C "$work/out" ||
		{ rig_fail "boot: the guest's results did not decode"; return; }
}
