# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Packaging (sourced by tests/run.sh): `make install` into a scratch root against the committed
# tree (tests/packaging/install-tree.txt), the systemd units (systemd-analyze verify and
# security), the man pages (man --warnings), the sample configuration (every key shown, parsed
# by the programs), the Grafana dashboard (tests/packaging/check_grafana.py: JSON, metric names,
# its queries evaluated by promtool over the fixtures), the RPMs (rpmbuild --nodeps from a
# tarball of the working tree; their files against tests/packaging/rpm-*.txt) and
# `make uninstall`.
# Needs: TOP, TMP, PLAIN, PY, pass/fail from lib-results.sh; the Debian packages rpm, man-db,
# groff-base, systemd and prometheus (promtool). VFCAP_REGEN=1 rewrites the expected lists.

PKDIR=$TMP/packaging
PKROOT=$PKDIR/root
PKEXP=tests/packaging
rm -rf "$PKDIR" && mkdir -p "$PKDIR"

# pk_tool NAME PACKAGE: is the tool there? A missing one is a failure: install-deps.sh installs
# it for make check.
pk_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "$1 not found: the Debian package $2 (scripts/install-deps.sh) is missing" >"$PKDIR/why"
	fail "packaging: $1 is installed" "$PKDIR/why"
	return 1
}

# pk_compare NAME GOT EXPECTED: a listing against its committed copy (VFCAP_REGEN=1 rewrites it)
pk_compare() {
	if [ "${VFCAP_REGEN:-0}" = 1 ]; then
		cp "$2" "$3"
		pass "$1 (regenerated)"
	elif diff -u "$3" "$2" >"$PKDIR/diff" 2>&1; then
		pass "$1"
	else
		fail "$1" "$PKDIR/diff"
	fi
}

# the tree a DESTDIR install leaves: type, mode, path and link target, one line each
pk_tree() { # root
	find "$1" -mindepth 1 -printf '%y %m /%P -> %l\n' | sed 's/ -> $//' | LC_ALL=C sort -k3
}

pk_install() {
	# install -D makes parent directories with the umask's mode: fix it
	if ! (umask 022 && make -s --no-print-directory install BUILD="$PLAIN" DESTDIR="$PKROOT" PREFIX=/usr) \
		>"$PKDIR/install.log" 2>&1; then
		fail "packaging: make install DESTDIR=... PREFIX=/usr" "$PKDIR/install.log"
		return 1
	fi
	pass "packaging: make install DESTDIR=... PREFIX=/usr"
	pk_tree "$PKROOT" >"$PKDIR/tree.txt"
	pk_compare "packaging: the installed tree is $PKEXP/install-tree.txt" "$PKDIR/tree.txt" "$PKEXP/install-tree.txt"
	# the units name the programs where BINDIR put them
	if grep -q '^ExecStart=/usr/bin/vfcap-report serve$' "$PKROOT/usr/lib/systemd/system/vfcap-report.service" &&
		(umask 022 && make -s --no-print-directory install BUILD="$PLAIN" DESTDIR="$PKDIR/local" PREFIX=/usr/local) \
			>"$PKDIR/local.log" 2>&1 &&
		grep -q '^ExecStart=/usr/local/bin/vfcap-filter serve$' "$PKDIR/local/usr/local/lib/systemd/system/vfcap-filter.service"; then
		pass "packaging: the installed units run the programs from BINDIR (/usr/bin, /usr/local/bin)"
	else
		fail "packaging: the installed units' ExecStart= does not follow BINDIR" "$PKDIR/local.log"
	fi
	# the hook links are relative (as rpmlint wants) and lead to the installed hook in both trees
	local l bad="" n=0
	for l in "$PKROOT"/usr/libexec/vdsm/hooks/*/50_vfcap "$PKDIR"/local/usr/libexec/vdsm/hooks/*/50_vfcap \
		"$PKDIR"/local/usr/local/libexec/vdsm/hooks/*/50_vfcap; do
		[ -L "$l" ] || continue
		n=$((n + 1))
		case $(readlink "$l") in /*) bad="$bad $l (absolute)" ;; esac
		case $(readlink -f "$l") in "$PKROOT/usr/libexec/vfcap/vfcap-hook" | "$PKDIR/local/usr/local/libexec/vfcap/vfcap-hook") ;;
		*) bad="$bad $l -> $(readlink -f "$l")" ;; esac
	done
	[ -z "$bad" ] && [ $n -ge 20 ] &&
		pass "packaging: the $n 50_vfcap hook links (two trees) are relative and lead to the installed vfcap-hook" ||
		fail "packaging: hook links ($n):$bad"
	# an existing configuration is never replaced
	echo "[vfcap]" >"$PKDIR/local/etc/vfcap/vfcap.conf"
	if (make -s --no-print-directory install BUILD="$PLAIN" DESTDIR="$PKDIR/local" PREFIX=/usr/local) >"$PKDIR/local.log" 2>&1 &&
		[ "$(cat "$PKDIR/local/etc/vfcap/vfcap.conf")" = "[vfcap]" ]; then
		pass "packaging: make install keeps an existing /etc/vfcap/vfcap.conf"
	else
		fail "packaging: make install replaced an existing configuration" "$PKDIR/local.log"
	fi
}

# make install beside VDSM's VM-FEX hooks: their 50_vmfex where each package puts it
# (vdsm-hook-vmfex-dev: before_device_create; vdsm-hook-vmfex: before_vm_start) stops it before
# anything is copied; ALLOW_VMFEX_HOOK=1 installs with a warning; a 50_vmfex that is not
# executable (VDSM does not run it) is no reason to stop.
pk_vmfex() {
	local point r rc
	for point in before_device_create before_vm_start; do
		r=$PKDIR/vmfex-$point
		mkdir -p "$r/usr/libexec/vdsm/hooks/$point"
		printf '#!/usr/bin/python3\n' >"$r/usr/libexec/vdsm/hooks/$point/50_vmfex"
		chmod 755 "$r/usr/libexec/vdsm/hooks/$point/50_vmfex"
		rc=0
		(umask 022 && make -s --no-print-directory install BUILD="$PLAIN" DESTDIR="$r" PREFIX=/usr) >"$r.log" 2>&1 || rc=$?
		if [ $rc != 0 ] && [ ! -e "$r/usr/bin/vfcap-report" ] &&
			grep -q "^make install: $r/usr/libexec/vdsm/hooks/$point/50_vmfex is a VM-FEX hook" "$r.log" &&
			grep -q '^make install: remove that package first' "$r.log"; then
			pass "packaging: make install refuses beside $point/50_vmfex, installs nothing"
		else
			fail "packaging: make install beside $point/50_vmfex (exit $rc)" "$r.log"
		fi
	done
	rc=0
	(umask 022 && make -s --no-print-directory install BUILD="$PLAIN" DESTDIR="$r" PREFIX=/usr ALLOW_VMFEX_HOOK=1) \
		>"$r.log" 2>&1 || rc=$?
	if [ $rc = 0 ] && [ -L "$r/usr/libexec/vdsm/hooks/before_vm_start/50_vfcap" ] &&
		grep -q '^make install: warning: installing anyway (ALLOW_VMFEX_HOOK=1)' "$r.log"; then
		pass "packaging: make install ALLOW_VMFEX_HOOK=1 installs beside 50_vmfex, with a warning"
	else
		fail "packaging: make install ALLOW_VMFEX_HOOK=1 (exit $rc)" "$r.log"
	fi
	r=$PKDIR/vmfex-disabled
	mkdir -p "$r/usr/libexec/vdsm/hooks/before_nic_hotplug"
	printf '#!/usr/bin/python3\n' >"$r/usr/libexec/vdsm/hooks/before_nic_hotplug/50_vmfex"
	chmod 644 "$r/usr/libexec/vdsm/hooks/before_nic_hotplug/50_vmfex"
	if (umask 022 && make -s --no-print-directory install BUILD="$PLAIN" DESTDIR="$r" PREFIX=/usr) >"$r.log" 2>&1 &&
		! grep -q vmfex "$r.log"; then
		pass "packaging: make install ignores a 50_vmfex that is not executable (VDSM does not run it)"
	else
		fail "packaging: make install and a non-executable 50_vmfex" "$r.log"
	fi
}

pk_uninstall() {
	if ! make -s --no-print-directory uninstall BUILD="$PLAIN" DESTDIR="$PKROOT" PREFIX=/usr >"$PKDIR/uninstall.log" 2>&1; then
		fail "packaging: make uninstall" "$PKDIR/uninstall.log"
		return
	fi
	find "$PKROOT" ! -type d >"$PKDIR/left"
	if [ -s "$PKDIR/left" ]; then
		fail "packaging: make uninstall leaves files behind" "$PKDIR/left"
	else
		pass "packaging: make uninstall leaves no file ($(find "$PKROOT" -mindepth 1 -type d | wc -l) empty directories)"
	fi
	# an edited configuration is the admin's
	if make -s --no-print-directory uninstall BUILD="$PLAIN" DESTDIR="$PKDIR/local" PREFIX=/usr/local >"$PKDIR/uninstall.log" 2>&1 &&
		[ "$(find "$PKDIR/local" ! -type d)" = "$PKDIR/local/etc/vfcap/vfcap.conf" ]; then
		pass "packaging: make uninstall keeps an edited configuration, and only it"
	else
		find "$PKDIR/local" ! -type d >>"$PKDIR/uninstall.log"
		fail "packaging: make uninstall and an edited configuration" "$PKDIR/uninstall.log"
	fi
}

# systemd-analyze verify runs on copies of the installed units whose ExecStart= names the
# installed programs (verify checks that they are executable), with MANPATH at the installed
# man pages (it runs `man` for Documentation=); security --offline scores the sandbox.
pk_units() {
	pk_tool systemd-analyze systemd || return
	local u units=() exposure
	mkdir -p "$PKDIR/units"
	for u in vfcap-report.service vfcap-filter.service; do
		sed "s|/usr/bin/vfcap-|$PKROOT/usr/bin/vfcap-|" "$PKROOT/usr/lib/systemd/system/$u" >"$PKDIR/units/$u"
		units+=("$PKDIR/units/$u")
	done
	if (cd "$PKDIR/units" && MANPATH=$PKROOT/usr/share/man systemd-analyze verify "${units[@]}") >"$PKDIR/verify.log" 2>&1 &&
		[ ! -s "$PKDIR/verify.log" ]; then
		pass "packaging: systemd-analyze verify vfcap-report.service vfcap-filter.service"
	else
		fail "packaging: systemd-analyze verify" "$PKDIR/verify.log"
	fi
	# exposure 0.0 (sandboxed) .. 10.0; the units score 1.6 on Debian 12's systemd 252
	if systemd-analyze security --offline=true --threshold=20 "${units[@]}" >"$PKDIR/security.log" 2>&1; then
		exposure=$(sed -n 's/^→ Overall exposure level for \([^:]*\): \([0-9.]*\).*/\1 \2/p' "$PKDIR/security.log" | paste -sd, -)
		pass "packaging: systemd-analyze security: exposure at most 2.0 ($exposure)"
	else
		fail "packaging: systemd-analyze security: exposure over 2.0" "$PKDIR/security.log"
	fi
}

pk_man() {
	pk_tool man man-db || return
	local f
	for f in man/*.8; do
		if LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" >/dev/null 2>"$PKDIR/man.err" && [ ! -s "$PKDIR/man.err" ]; then
			pass "packaging: man --warnings -l $f: no warning"
		else
			fail "packaging: man --warnings -l $f" "$PKDIR/man.err"
		fi
	done
}

# The sample shows every key the parser knows; the programs take it as it is, and with every
# example key uncommented (the [engine] url then names a host that is not asked: only parsed).
pk_sample() {
	local s=packaging/vfcap.conf.sample h=tests/fixtures/hosts/intel64
	if $PY "$PKEXP/check_sample.py" lib/config.c "$s" >"$PKDIR/why" 2>&1; then
		pass "packaging: $s shows every key of lib/config.c in its section"
	else
		fail "packaging: $s lacks keys" "$PKDIR/why"
	fi
	sed -E 's/^#(\[pf |[a-z_]+ = )/\1/' "$s" >"$PKDIR/all-keys.conf"
	local conf rc
	for conf in "$s" "$PKDIR/all-keys.conf"; do
		rc=0
		"$PLAIN/vfcap-report" --config "$conf" --sysfs-root "$h/sysfs" --netlink-file "$h/netlink.bin" \
			--libvirt-uri "test://$TOP/$h/libvirt.xml" --format table >/dev/null 2>"$PKDIR/why" || rc=$?
		if [ $rc = 0 ]; then
			pass "packaging: vfcap-report takes $(basename "$conf")"
		else
			fail "packaging: vfcap-report --config $(basename "$conf"): exit $rc" "$PKDIR/why"
		fi
	done
	mkdir -p "$PKDIR/reports"
	rc=0
	"$PLAIN/vfcap-filter" run --config "$s" --reports "$PKDIR/reports" --vm vm --hosts host \
		>/dev/null 2>"$PKDIR/why" || rc=$?
	if [ $rc = 0 ]; then pass "packaging: vfcap-filter run takes $(basename "$s")"; else
		fail "packaging: vfcap-filter run --config $(basename "$s"): exit $rc" "$PKDIR/why"; fi
}

pk_grafana() {
	pk_tool promtool prometheus || return
	$PY "$PKEXP/check_grafana.py" packaging/grafana/vfcap.json "$PKDIR/grafana" \
		--filter=tests/unit/metrics/scrape.prom tests/fixtures/hosts/*/expected.prom tests/fixtures/variants/*/expected.prom >"$PKDIR/grafana.out" 2>&1
	# PASS/FAIL lines; a FAIL's reasons follow it, indented by two spaces. Anything else, or
	# nothing at all, is a failure of its own.
	local line pending="" seen=0 why=$PKDIR/grafana.why
	while IFS= read -r line; do
		case "$line" in
		"  "*) [ -n "$pending" ] && printf '%s\n' "${line#  }" >>"$why" && continue ;;
		esac
		[ -n "$pending" ] && fail "packaging: $pending" "$why"
		pending=""
		seen=1
		case "$line" in
		"PASS "*) pass "packaging: ${line#PASS }" ;;
		"FAIL "*) pending=${line#FAIL } && : >"$why" ;;
		*) pending="check_grafana.py says: $line" && : >"$why" ;;
		esac
	done <"$PKDIR/grafana.out"
	[ -n "$pending" ] && fail "packaging: $pending" "$why"
	[ $seen = 1 ] || fail "packaging: check_grafana.py printed nothing" "$PKDIR/grafana.out"
}

# The hook points are one list: vfcap-hook's own (--list-points, made from hook/points.def) is
# what the Makefile reads (make print-hook-points), what make install links 50_vfcap into, what
# the RPM holds (its %files glob takes what make install made) and what man/vfcap-hook.8 names.
pk_points_same() { # what file [sorted]
	local want=$PKDIR/points
	[ -n "${3:-}" ] && { LC_ALL=C sort "$PKDIR/points" >"$PKDIR/points.sorted"; want=$PKDIR/points.sorted; }
	if diff -u "$want" "$2" >"$PKDIR/why" 2>&1; then
		pass "packaging: hook points: $1 = vfcap-hook --list-points"
	else
		fail "packaging: hook points: $1 differs from vfcap-hook --list-points" "$PKDIR/why"
	fi
}

pk_points() {
	if ! "$PLAIN/vfcap-hook" --list-points >"$PKDIR/points" 2>"$PKDIR/why" || [ ! -s "$PKDIR/points" ]; then
		fail "packaging: vfcap-hook --list-points" "$PKDIR/why"
		return 1
	fi
	make -s --no-print-directory print-hook-points >"$PKDIR/points.make" 2>&1
	pk_points_same "the Makefile's HOOK_POINTS" "$PKDIR/points.make"
	sed -n '/^Installed hook points/,/^\.S[SH]/ s/^\.BR \([a-z_]*\) [,.]$/\1/p' man/vfcap-hook.8 >"$PKDIR/points.man"
	pk_points_same "man/vfcap-hook.8's Installed hook points" "$PKDIR/points.man"
	(cd "$PKROOT/usr/libexec/vdsm/hooks" && for l in */50_vfcap; do echo "${l%/50_vfcap}"; done) |
		LC_ALL=C sort >"$PKDIR/points.tree"
	pk_points_same "make install's 50_vfcap links" "$PKDIR/points.tree" sorted
}

# rpm -qp's view of a package: flags (c config, n noreplace, d doc, l licence), mode, path, link
# target.
# Not compared: /usr/lib/.build-id links (their names are the binaries' hashes); man pages are
# named without their compression suffix (Debian's brp-compress does not run under dash).
pk_rpm_files() { # rpm
	rpm -qp --qf '[%{FILEFLAGS:fflags}\t%{FILEMODES:perms}\t%{FILENAMES}\t%{FILELINKTOS}\n]' "$1" |
		awk -F'\t' '$3 !~ /^\/usr\/lib\/\.build-id/ { sub(/\.(gz|bz2|xz|zst)$/, "", $3);
			printf "%-2s %s %s%s\n", ($1 == "" ? "-" : $1), $2, $3, ($4 == "" ? "" : " -> " $4) }' | LC_ALL=C sort -k3
}

pk_rpm() {
	pk_tool rpmbuild rpm || return
	local version spec_version
	version=$(sed -n 's/^#define VFCAP_VERSION "\(.*\)"/\1/p' lib/model.h)
	spec_version=$(sed -n 's/^Version: *//p' packaging/vfcap.spec)
	if [ -n "$version" ] && [ "$version" = "$spec_version" ]; then
		pass "packaging: vfcap.spec Version $spec_version is VFCAP_VERSION"
	else
		echo "lib/model.h VFCAP_VERSION '$version', packaging/vfcap.spec Version '$spec_version'" >"$PKDIR/why"
		fail "packaging: vfcap.spec Version differs from VFCAP_VERSION" "$PKDIR/why"
	fi
	local top=$PKDIR/rpmbuild
	mkdir -p "$top/SOURCES"
	# what `git archive --prefix=vfcap-V/ HEAD` gives, of the working tree as it is
	if ! $PY "$PKEXP/mktarball.py" "$TOP" "$top/SOURCES/vfcap-$spec_version.tar.gz" "vfcap-$spec_version" >"$PKDIR/why" 2>&1; then
		fail "packaging: source tarball" "$PKDIR/why"
		return
	fi
	# --nodeps: Debian's rpm database knows no BuildRequires; the -dev packages are installed.
	# The compiler flags are EL9's %optflags and %build_ldflags (redhat-rpm-config, x86_64) with
	# Fedora's _FORTIFY_SOURCE=3: LTO and fortification find warnings -O2 alone does not
	# (-Werror makes them fatal), and Debian's rpm would build with "-O2 -g" only.
	local el_cflags="-O2 -flto=auto -ffat-lto-objects -fexceptions -g -grecord-gcc-switches -pipe -Wall
		-Werror=format-security -Wp,-U_FORTIFY_SOURCE,-D_FORTIFY_SOURCE=3 -Wp,-D_GLIBCXX_ASSERTIONS
		-fstack-protector-strong -m64 -march=x86-64-v2 -mtune=generic -fasynchronous-unwind-tables
		-fstack-clash-protection -fcf-protection"
	local el_ldflags="-Wl,-z,relro -Wl,--as-needed -Wl,-z,now -flto=auto"
	if rpmbuild -bb --nodeps -D "_topdir $top" -D "optflags $(echo $el_cflags)" -D "build_ldflags $el_ldflags" \
		packaging/vfcap.spec >"$PKDIR/rpmbuild.log" 2>&1; then
		pass "packaging: rpmbuild -bb --nodeps packaging/vfcap.spec (from the tarball, EL9's flags with LTO and _FORTIFY_SOURCE=3)"
	else
		tail -40 "$PKDIR/rpmbuild.log" >"$PKDIR/why"
		fail "packaging: rpmbuild" "$PKDIR/why"
		return
	fi
	# the flags reached the compiler: fortified calls (__fprintf_chk) in the packaged binary
	local found
	found=("$top"/RPMS/*/"vfcap-$spec_version"-*.rpm)
	mkdir -p "$PKDIR/rpmx"
	if (cd "$PKDIR/rpmx" && rpm2cpio "${found[0]}" | cpio -idm --quiet) 2>"$PKDIR/why" &&
		nm -D --undefined-only "$PKDIR/rpmx/usr/bin/vfcap-report" | grep -q '__fprintf_chk'; then
		pass "packaging: the packaged vfcap-report is fortified (it calls __fprintf_chk)"
	else
		fail "packaging: the packaged vfcap-report is not built with the flags given" "$PKDIR/why"
	fi
	local p rpmfile
	for p in vfcap vfcap-hook vfcap-filter; do
		found=("$top"/RPMS/*/"$p-$spec_version"-*.rpm)
		rpmfile=${found[0]}
		if [ ! -f "$rpmfile" ]; then
			fail "packaging: rpmbuild made no $p package" "$PKDIR/rpmbuild.log"
			continue
		fi
		pk_rpm_files "$rpmfile" >"$PKDIR/rpm-$p.txt"
		pk_compare "packaging: rpm $p: its files are $PKEXP/rpm-$p.txt" "$PKDIR/rpm-$p.txt" "$PKEXP/rpm-$p.txt"
	done
	if [ -s "$PKDIR/points" ] && [ -f "$PKDIR/rpm-vfcap-hook.txt" ]; then
		sed -n 's|.* /usr/libexec/vdsm/hooks/\([a-z_]*\)/50_vfcap\( .*\)\{0,1\}$|\1|p' "$PKDIR/rpm-vfcap-hook.txt" |
			LC_ALL=C sort >"$PKDIR/points.rpm"
		pk_points_same "the RPM vfcap-hook's 50_vfcap links" "$PKDIR/points.rpm" sorted
	fi
	found=("$top"/RPMS/*/"vfcap-hook-$spec_version"-*.rpm)
	rpmfile=${found[0]}
	if [ -f "$rpmfile" ] && rpm -qp --requires "$rpmfile" >"$PKDIR/requires" 2>&1 &&
		grep -qx 'vdsm' "$PKDIR/requires" && grep -qx 'libvirt-libs' "$PKDIR/requires" &&
		grep -q "^vfcap = $spec_version" "$PKDIR/requires"; then
		pass "packaging: rpm vfcap-hook requires vdsm, libvirt-libs (dlopen) and vfcap"
	else
		fail "packaging: rpm vfcap-hook's Requires" "$PKDIR/requires"
	fi
	# it replaces VDSM's VM-FEX hooks (whose 50_vmfex fails on its output): dnf swaps them out,
	# rpm -i refuses to install beside them
	local h want got
	for h in obsoletes conflicts; do
		want=$(printf 'vdsm-hook-vmfex\nvdsm-hook-vmfex-dev\n')
		got=$(rpm -qp --"$h" "$rpmfile" 2>&1 | LC_ALL=C sort)
		if [ "$got" = "$want" ]; then
			pass "packaging: rpm vfcap-hook $h vdsm-hook-vmfex-dev and vdsm-hook-vmfex (rpm -qp --$h)"
		else
			printf 'rpm -qp --%s says:\n%s\n' "$h" "$got" >"$PKDIR/why"
			fail "packaging: rpm vfcap-hook's ${h^}" "$PKDIR/why"
		fi
	done
}

if pk_install; then
	pk_points
	pk_units
	pk_man
	pk_sample
	pk_grafana
	pk_vmfex
	pk_rpm
	pk_uninstall
fi
