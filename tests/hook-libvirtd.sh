# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# vfcap-hook against a real libvirtd (sourced by tests/run.sh): the intel64 fixture host with
# ens1f0's VFs reserved down to 16 usable ones (VF10-28 without the host's 20-22), ifb links
# standing in for their netdevs, ports taken with net-port-create as starting VMs would; then the
# vic host, two PFs, with direct-pool's lifecycle events counted (hv_*); then a libvirtd that
# wants a SASL login (hk_sasl).
source tests/lib-libvirtd.sh
trap 'libvirtd_stop; rm -rf "$TMP"' EXIT
HK=$TMP/hooklv
HK_I64=$TOP/tests/fixtures/hosts/intel64
HK_VFS="10 11 12 13 14 15 16 17 18 19 23 24 25 26 27 28"
# the points make install links the hook into: the program's own list (hook/points.def)
HOOK_POINTS_VDSM=$("$TOP/$PLAIN/vfcap-hook" --list-points | tr '\n' ' ')

hk_config() { # extra [pf ens1f0] reserved ranges
	cat <<-EOF
	[vfcap]
	sysfs_root = $HK_I64/sysfs
	netlink_file = $HK_I64/netlink.bin
	libvirt_uri = $LV_URI
	run_dir = $HK/run
	reservation_ttl = ${HK_TTL:-300}
	[pf ens1f0]
	reserved = $1
	EOF
}

# hk_hook POINT VMID MAC [vmfex]: one hook run on a device payload; exit code returned, its
# directory (payload.xml, err) in HK_LAST
hk_hook() {
	local d
	d=$(mktemp -d "$HK/run.XXXXXX")
	HK_LAST=$d
	printf '<interface type="bridge"><mac address="%s"/><model type="virtio"/><source bridge="ovirtmgmt"/></interface>\n' \
		"$3" >"$d/payload.xml"
	VFCAP_CONFIG=$HK/vfcap.conf _hook_domxml=$d/payload.xml vmId=$2 vmfex=${4:-Profile1} \
		"$PLAIN/vfcap-hook" --hook-point "$1" 2>"$d/err"
}

hk_members() { # net-dumpxml [--inactive] -> "dev:connections" per line
	virsh -c "$LV_URI" -q net-dumpxml direct-pool "$@" |
		sed -n "s/.*<interface dev='\([^']*\)'\( connections='\([0-9]*\)'\)\?.*/\1:\3/p"
}

hk_port() { # MAC: allocate the port a starting VM with that vNIC would
	local u
	u=$(cat /proc/sys/kernel/random/uuid)
	printf "<networkport><uuid>%s</uuid><owner><name>vm-%s</name><uuid>%s</uuid></owner><mac address='%s'/></networkport>\n" \
		"$u" "$u" "$(cat /proc/sys/kernel/random/uuid)" "$1" >"$HK/port-$1.xml"
	virsh -c "$LV_URI" -q net-port-create direct-pool "$HK/port-$1.xml" >/dev/null 2>"$HK/port.err"
}

hk_ledger() { grep -vc '^#' "$HK/run/reservations" 2>/dev/null; }

hk_setup() {
	mkdir -p "$HK/run"
	hk_config "0-9, 29-63" >"$HK/vfcap.conf"
	local links="" v
	for v in $HK_VFS; do links="$links ens1f0v$v"; done
	libvirtd_start && libvirtd_links $links && LV_NETS="direct-pool"
}

hk_pool_defined() {
	hk_hook before_vm_migrate_destination mig 00:00:00:00:00:00 || { fail "hook+libvirtd: ensure pool" "$(ls -d "$HK"/run.* | tail -1)/err"; return 1; }
	local want="" v got
	for v in $HK_VFS; do want="$want ens1f0v$v:"; done
	got=$(hk_members | tr '\n' ' ')
	if [ "$got" = "${want# } " ] && virsh -c "$LV_URI" -q net-info direct-pool | grep -q 'Autostart: *yes' &&
		virsh -c "$LV_URI" -q net-info direct-pool | grep -q 'Active: *yes'; then
		pass "hook+libvirtd: pool defined, active, autostart, 16 members in VF order"
	else
		echo "members: $got" >"$HK/msg"
		fail "hook+libvirtd: pool defined" "$HK/msg"
	fi
}

# 50 VM starts at once on 16 free VFs: the lock and the ledger let exactly 16 through.
hk_parallel() {
	local i pids="" ok=0 nofree=0 other=0 rc
	for i in $(seq 1 50); do
		hk_hook before_device_create "vm-$i" "$(printf '52:54:00:aa:00:%02x' "$i")" &
		pids="$pids $!"
	done
	for p in $pids; do
		rc=0
		wait "$p" || rc=$?
		case $rc in 0) ok=$((ok + 1)) ;; 2) nofree=$((nofree + 1)) ;; *) other=$((other + 1)) ;; esac
	done
	local said f
	# each failure is one line, the reason
	said=$(for f in $(grep -l 'no free VF for vmfex profile .Profile1. (1 vNIC): pool direct-pool has 16 usable VFs' \
		"$HK"/run.*/err); do [ "$(wc -l <"$f")" = 1 ] && echo "$f"; done | wc -l)
	if [ "$ok" = 16 ] && [ "$nofree" = 34 ] && [ "$said" = 34 ] && [ "$(hk_ledger)" = 16 ]; then
		pass "hook+libvirtd: 50 parallel starts on 16 free VFs: 16 pass, 34 fail fast (one line each), 16 reserved"
	else
		echo "passed $ok, no VF $nofree (one-line messages $said), other $other, ledger $(hk_ledger)" >"$HK/msg"
		fail "hook+libvirtd: 50 parallel starts" "$HK/msg"
	fi
}

# The 16 reserved vNICs take their VFs: all succeed, no VF twice, the 17th finds none.
hk_take_ports() {
	local f mac bad=0
	for f in "$HK"/run.*/payload.xml; do
		grep -q 'network="direct-pool"' "$f" || continue
		mac=$(sed -n 's/.*mac address="\([^"]*\)".*/\1/p' "$f")
		hk_port "$mac" || bad=$((bad + 1))
	done
	local busy twice
	busy=$(hk_members | grep -c ':1$')
	twice=$(hk_members | grep -vc ':1$')
	if [ "$bad" = 0 ] && [ "$busy" = 16 ] && [ "$twice" = 0 ] && ! hk_port 52:54:00:bb:00:01 &&
		grep -q 'none are available' "$HK/port.err"; then
		pass "hook+libvirtd: the 16 reserved vNICs take 16 distinct VFs; a 17th finds none"
	else
		{ echo "failed ports $bad, busy $busy, other $twice"; hk_members; cat "$HK/port.err"; } >"$HK/msg"
		fail "hook+libvirtd: ports for the reserved vNICs" "$HK/msg"
	fi
	# ports settle the ledger; with every VF connected the next start fails fast
	if ! hk_hook before_device_create vm-late 52:54:00:cc:00:01 && [ "$(hk_ledger)" = 0 ]; then
		pass "hook+libvirtd: reservations end when their ports appear"
	else
		echo "ledger $(hk_ledger)" >"$HK/msg"
		fail "hook+libvirtd: reservations settle" "$HK/msg"
	fi
}

# One more VF becomes usable while the pool has connections: only the persistent definition
# changes (a live update would drop libvirt's connection counts). The start still finds no free
# VF, and its one line says that one more waits for the pool to be idle.
hk_no_live_update() {
	hk_config "0-9, 30-63" >"$HK/vfcap.conf" # VF29 too
	local before after inactive rc=0
	before=$(hk_members | tr '\n' ' ')
	hk_hook before_device_create vm-drift 52:54:00:dd:00:01 || rc=$?
	after=$(hk_members | tr '\n' ' ')
	inactive=$(hk_members --inactive | tr '\n' ' ')
	if [ "$before" = "$after" ] && echo "$inactive" | grep -q 'ens1f0v29:' && [ $rc = 2 ] &&
		[ "$(wc -l <"$HK_LAST/err")" = 1 ] && grep -q '16 in use, .*; 1 more usable VF joins the pool when it is idle$' "$HK_LAST/err"; then
		pass "hook+libvirtd: pool in use: live definition and connections kept, persistent one updated, the VF waiting named"
	else
		{ echo "before: $before"; echo "after: $after"; echo "inactive: $inactive"; echo "exit $rc:"; cat "$HK_LAST/err"; } >"$HK/msg"
		fail "hook+libvirtd: no live update while in use" "$HK/msg"
	fi
}

# Reservations end on after_vm_destroy and on their TTL.
hk_release() {
	local p
	for p in $(virsh -c "$LV_URI" -q net-port-list direct-pool --uuid 2>/dev/null); do
		virsh -c "$LV_URI" -q net-port-delete direct-pool "$p" >/dev/null
	done
	hk_hook before_device_create vm-x 52:54:00:ee:00:01 && hk_hook before_device_create vm-x 52:54:00:ee:00:02 &&
		hk_hook before_device_create vm-y 52:54:00:ee:00:03
	local n1=$(hk_ledger)
	printf '<domain><name>x</name><uuid>0</uuid></domain>\n' >"$HK/dom.xml"
	VFCAP_CONFIG=$HK/vfcap.conf _hook_domxml=$HK/dom.xml vmId=vm-x "$PLAIN/vfcap-hook" --hook-point after_vm_destroy
	local n2=$(hk_ledger)
	HK_TTL=1 hk_config "0-9, 30-63" >"$HK/vfcap.conf"
	sleep 2
	hk_hook before_device_create vm-z 52:54:00:ee:00:04
	local n3 left
	n3=$(hk_ledger)
	left=$(grep -v '^#' "$HK/run/reservations" | cut -d' ' -f1)
	if [ "$n1" = 3 ] && [ "$n2" = 1 ] && [ "$n3" = 1 ] && [ "$left" = vm-z ]; then
		pass "hook+libvirtd: reservations end on after_vm_destroy and after their TTL"
	else
		echo "after 3 starts: $n1, after destroy of vm-x: $n2, after TTL and one start: $n3 ($left)" >"$HK/msg"
		fail "hook+libvirtd: reservation release" "$HK/msg"
	fi
}

# An incoming migration (before_vm_migrate_destination, the source host's live XML) reserves
# its pool vNICs as a start does; one reservation ends when its port appears, the other on
# after_vm_destroy of the incoming VM (a migration that failed).
hk_migrate() {
	hk_config "0-9, 30-63" >"$HK/vfcap.conf"
	local p d=$HK/mig
	for p in $(virsh -c "$LV_URI" -q net-port-list direct-pool --uuid 2>/dev/null); do
		virsh -c "$LV_URI" -q net-port-delete direct-pool "$p" >/dev/null
	done
	rm -f "$HK/run/reservations"
	mkdir -p "$d"
	cat >"$d/dom.xml" <<-XML
	<domain type="kvm"><name>in</name><uuid>11111111-2222-3333-4444-555555555555</uuid><devices>
	<interface type="direct"><mac address="52:54:00:ff:00:01"/><source network="direct-pool" dev="ens1f0v10" mode="passthrough"/></interface>
	<interface type="network"><mac address="52:54:00:ff:00:02"/><source network="direct-pool"/></interface>
	<interface type="bridge"><mac address="52:54:00:ff:00:03"/><source bridge="ovirtmgmt"/></interface>
	</devices></domain>
	XML
	local rc=0 n1 n2 n3
	VFCAP_CONFIG=$HK/vfcap.conf _hook_domxml=$d/dom.xml vmId=vm-in "$PLAIN/vfcap-hook" \
		--hook-point before_vm_migrate_destination 2>"$d/err" || rc=$?
	n1=$(grep -c '^vm-in ' "$HK/run/reservations" 2>/dev/null)
	hk_port 52:54:00:ff:00:01
	hk_hook before_device_create vm-other 52:54:00:ff:00:04
	n2=$(grep -c '^vm-in ' "$HK/run/reservations")
	printf '<domain><name>in</name><uuid>0</uuid></domain>\n' >"$d/gone.xml"
	VFCAP_CONFIG=$HK/vfcap.conf _hook_domxml=$d/gone.xml vmId=vm-in "$PLAIN/vfcap-hook" --hook-point after_vm_destroy
	n3=$(grep -c '^vm-in ' "$HK/run/reservations")
	if [ $rc = 0 ] && [ "$n1" = 2 ] && [ "$n2" = 1 ] && [ "$n3" = 0 ]; then
		pass "hook+libvirtd: an incoming migration reserves its 2 pool vNICs; they end when the port appears and on after_vm_destroy"
	else
		echo "exit $rc; vm-in reservations: $n1 after the migration point, $n2 after its first port, $n3 after destroy" >>"$d/err"
		fail "hook+libvirtd: incoming migration reservations" "$d/err"
	fi
}

# A libvirtd whose read-write socket wants a SASL login, as VDSM sets it up (auth_unix_rw =
# "sasl", user vdsm@ovirt, SCRAM-SHA-256; its own sasldb through SASL_CONF_PATH): the hook
# logs in with libvirt_auth_user and libvirt_password_file; a wrong password, or none, is one
# clear line, exit 2, the payload untouched.
hk_sasl_case() { # name, config file, want: ok | error text
	local name=$1 want=$3 rc=0 d
	cp "$2" "$HK/vfcap.conf"
	hk_hook before_vm_migrate_destination mig 00:00:00:00:00:00 || rc=$?
	d=$(ls -td "$HK"/run.* | head -1)
	if [ "$want" = ok ]; then
		[ $rc = 0 ] && virsh -r -c "$LV_URI" -q net-info direct-pool | grep -q 'Active: *yes' &&
			pass "hook+libvirtd (SASL): $name: logged in, pool defined and active" ||
			fail "hook+libvirtd (SASL): $name: exit $rc" "$d/err"
	elif [ $rc = 2 ] && [ "$(wc -l <"$d/err")" = 1 ] && grep -qF "$want" "$d/err" &&
		grep -q 'source bridge="ovirtmgmt"' "$d/payload.xml"; then
		pass "hook+libvirtd (SASL): $name: exit 2, payload untouched: $(cat "$d/err")"
	else
		echo "exit $rc" >>"$d/err"
		fail "hook+libvirtd (SASL): $name" "$d/err"
	fi
}

# VDSM runs its hooks as its own user, vdsm:kvm (uid and gid 36 on EL; docs/interfaces.md), so
# the hook runs that way at each point it serves, with what a packaged install gives it: the run
# directory as packaging/tmpfiles.d makes it, the configuration root's and readable, the SASL
# password file vdsm's own (0600), each payload a 0600 file of vdsm's (VDSM's mkstemp), the hook
# reached through a 50_vfcap link in its hook point's directory. Without a vdsm user here it
# runs as uid and gid 36 with no supplementary group. libvirt's client will not connect for a
# uid or gid without a record ("Failed to find user record for uid '36'", then "... group record
# for gid '36'", HOME set or not), which VDSM's user and group have on its host: where uid or
# gid 36 has none, the sandbox's own mount namespace gets a copy of /etc/passwd or /etc/group
# with one (bind mounts, undone at the end); the machine's files are untouched.
hk_vdsm_user() { # config (with the SASL login) password-file
	local uid=36 gid=36 groups=--clear-groups who="uid 36, gid 36" v=/run/vfcap-as-vdsm mounted=""
	if getent passwd vdsm >/dev/null; then
		uid=$(id -u vdsm) gid=$(id -g vdsm) groups=--init-groups who="user vdsm"
	elif ! getent passwd 36 >/dev/null || ! getent group 36 >/dev/null; then
		[ -n "${VFCAP_SANDBOX:-}" ] || { fail "hook+libvirtd (as VDSM's user): runs only in tests/sandbox.sh"; return; }
		getent passwd 36 >/dev/null || hk_record passwd "vdsm:x:36:36:VDSM's user, this test's sandbox only:$v/home:/sbin/nologin"
		getent group 36 >/dev/null || hk_record group "$(getent group kvm >/dev/null && echo vdsm-kvm || echo kvm):x:36:"
	fi
	local t path mode user group
	read -r t path mode user group _ < <(grep '^d ' packaging/tmpfiles.d/vfcap.conf)
	if [ "$t $path $user $group" != "d /run/vfcap vdsm kvm" ]; then
		echo "packaging/tmpfiles.d/vfcap.conf: '$t $path $mode $user $group'" >"$HK/msg"
		fail "hook+libvirtd (as VDSM's user): the tmpfiles.d line is not the one this test knows" "$HK/msg"
		return
	fi
	rm -rf "$path" "$v"
	install -d -m "$mode" -o "$uid" -g "$gid" "$path"
	install -d -m 0755 "$v"
	install -d -m 0755 -o "$uid" -g "$gid" "$v/home"
	install -d -m 1777 "$v/tmp" # VDSM's mkstemp payloads: the hook writes its temp file beside them
	# the fixture host too: VDSM's user reads its sysfs tree and netlink file from there
	install -d -m 0755 "$v/host" && cp -a "$HK_I64/sysfs" "$HK_I64/netlink.bin" "$v/host/"
	sed "s|^run_dir = .*|run_dir = $path|; s|^libvirt_password_file = .*|libvirt_password_file = $v/pw|
		s|$HK_I64/|$v/host/|" "$1" >"$v/vfcap.conf"
	install -m 0600 -o "$uid" -g "$gid" "$2" "$v/pw"
	# installed as a package installs it, where VDSM's user can reach it (a checkout under a
	# 0700 home, /root/… on a fresh machine, is not)
	install -D -m 0755 "$TOP/$PLAIN/vfcap-hook" "$v/libexec/vfcap/vfcap-hook"
	local pt
	for pt in $HOOK_POINTS_VDSM; do
		install -d -m 0755 "$v/hooks/$pt" && ln -s "$v/libexec/vfcap/vfcap-hook" "$v/hooks/$pt/50_vfcap"
	done
	local dev='<interface type="bridge"><mac address="%s"/><model type="virtio"/><source bridge="ovirtmgmt"/></interface>\n'
	local dom='<domain><name>v36</name><uuid>36363636-3636-3636-3636-363636363636</uuid><devices>%s</devices></domain>\n'
	# point, expected change ("ledger: N" reservations afterwards, or "caps"), env..., payload last
	hk_as_vdsm after_get_caps caps "$TOP/tests/hook/caps/payload.json"
	hk_as_vdsm before_device_create "ledger: 1" vmId=v36 vmfex=Profile1 "$(printf "$dev" 52:54:00:36:00:01)"
	hk_as_vdsm before_nic_hotplug "ledger: 2" vmId=v36 vmfex=Profile1 "$(printf "$dev" 52:54:00:36:00:02)"
	hk_as_vdsm before_update_device "ledger: 2" vmId=v36 vmfex=Profile1 "$(printf "$dev" 52:54:00:36:00:01)"
	hk_as_vdsm before_device_migrate_destination "ledger: 2" vmId=v36 vmfex=Profile1 "$(printf "$dev" 52:54:00:36:00:01)"
	hk_as_vdsm before_vm_start "ledger: 3" vmId=v36 "vmfex={'52:54:00:36:00:03': 'Profile1'}" \
		"$(printf "$dom" "$(printf "$dev" 52:54:00:36:00:03)")"
	hk_as_vdsm before_vm_migrate_destination "ledger: 4" vmId=v36-in \
		"$(printf "$dom" '<interface type="direct"><mac address="52:54:00:36:00:04"/><source network="direct-pool" mode="passthrough"/></interface>')"
	hk_as_vdsm after_nic_hotunplug "ledger: 3" vmId=v36 "$(printf "$dev" 52:54:00:36:00:02)"
	hk_as_vdsm after_nic_hotplug_fail "ledger: 2" vmId=v36 "$(printf "$dev" 52:54:00:36:00:03)"
	hk_as_vdsm after_vm_destroy "ledger: 1" vmId=v36 "$(printf "$dom" "")"
	hk_as_vdsm after_vm_destroy "ledger: 0" vmId=v36-in "$(printf "$dom" "")"
	local st
	st=$(stat -c '%u:%g %a' "$path/reservations" "$path/pool.lock" | paste -sd' ' -)
	if [ "$st" = "$uid:$gid 644 $uid:$gid 644" ]; then
		pass "hook+libvirtd (as VDSM's user, $who): the ledger and the lock in $path are its own, mode 0644"
	else
		echo "reservations, pool.lock: $st" >"$HK/msg"
		fail "hook+libvirtd (as VDSM's user): the ledger's owner and mode" "$HK/msg"
	fi
	rm -rf "$path" "$v"
	for t in $mounted; do umount "/etc/$t"; done
}

hk_record() { # passwd|group LINE: /etc/FILE with LINE added, in the sandbox's mounts only
	{ cat "/etc/$1"; echo "$2"; } >"$HK/$1" && chmod 0644 "$HK/$1" && mount --bind "$HK/$1" "/etc/$1" &&
		mounted="$mounted $1"
}

# hk_as_vdsm POINT WANT ENV... PAYLOAD: one run as VDSM's user (uses hk_vdsm_user's locals);
# PAYLOAD is the text, or a .json file for after_get_caps
hk_as_vdsm() {
	local pt=$1 want=$2 n=$# var=_hook_domxml p rc=0 got
	local payload=${!n} envs=("${@:3:$((n - 3))}")
	p=$(mktemp "$v/tmp/payload.XXXXXX")
	if [ "$pt" = after_get_caps ]; then var=_hook_json && cp "$payload" "$p"; else printf '%s\n' "$payload" >"$p"; fi
	chown "$uid:$gid" "$p" && chmod 0600 "$p"
	setpriv --reuid "$uid" --regid "$gid" $groups -- env -i PATH=/usr/bin:/bin VFCAP_CONFIG="$v/vfcap.conf" \
		"$var=$p" "${envs[@]}" "$v/hooks/$pt/50_vfcap" 2>"$p.err" || rc=$?
	case $want in
	caps) grep -q '"vfcap"' "$p" && got=caps || got="no vfcap in the caps" ;;
	*) got="ledger: $(grep -vc '^#' "$path/reservations" 2>/dev/null)" ;;
	esac
	# the rewrite reaches VDSM: written back beside VDSM's file, same path, still vdsm's and 0600
	case $pt in before_device_create | before_nic_hotplug | before_update_device | before_vm_start)
		grep -q '<source network="direct-pool"/>' "$p" || got="$got, payload not rewritten" ;;
	esac
	[ "$(stat -c '%u %a' "$p")" = "$uid 600" ] || got="$got, payload now $(stat -c '%u %a' "$p")"
	if [ $rc = 0 ] && [ "$got" = "$want" ] && ! grep -qi 'denied\|cannot\|error' "$p.err"; then
		pass "hook+libvirtd (as VDSM's user, $who): $pt${envs[0]:+ (${envs[0]})}: exit 0, $want"
	else
		echo "exit $rc, $got (want $want)" >>"$p.err"
		fail "hook+libvirtd (as VDSM's user): $pt" "$p.err"
	fi
}

hk_sasl() {
	local s=$HK/sasl
	mkdir -p "$s"
	printf 'mech_list: scram-sha-256\nsasldb_path: %s/passwd.db\n' "$s" >"$s/libvirt.conf"
	# read-only: polkit on a VDSM host, whose default policy lets anyone in (org.libvirt.unix.monitor);
	# the sandbox has no D-Bus for polkit, so the rig lets anyone in without it (root always is)
	printf 'auth_unix_rw = "sasl"\nauth_unix_ro = "none"\n' >"$s/libvirtd.conf"
	printf 'Sh1bb0leth' | saslpasswd2 -p -a libvirt -f "$s/passwd.db" vdsm@ovirt
	printf 'Sh1bb0leth\n' >"$s/pw"
	printf 'wrong\n' >"$s/bad"
	chmod 600 "$s/pw" "$s/bad"
	hk_config "0-9, 29-63" >"$s/none.conf"
	sed "s|^\[vfcap\]\$|&\nlibvirt_auth_user = vdsm@ovirt\nlibvirt_password_file = $s/pw|" "$s/none.conf" >"$s/good.conf"
	sed "s|$s/pw\$|$s/bad|" "$s/good.conf" >"$s/bad.conf"
	if ! SASL_CONF_PATH=$s libvirtd_start --config "$s/libvirtd.conf"; then
		fail "hook+libvirtd (SASL): rig did not start" "$TMP/libvirtd.log"
		return
	fi
	LV_NETS="direct-pool"
	# the rig is what it claims: no read-write connection without a login
	if virsh -c "$LV_URI" -q net-list </dev/null >"$s/virsh.out" 2>&1; then
		fail "hook+libvirtd (SASL): the read-write socket let virsh in without a login" "$s/virsh.out"
	else
		pass "hook+libvirtd (SASL): the rig's read-write socket refuses virsh without a login"
	fi
	hk_sasl_case "wrong password" "$s/bad.conf" "authentication failed (check libvirt_auth_user and the password"
	# the hook without cyrus-sasl's SCRAM plugin (libsasl2-modules): libvirt's client finds no
	# mechanism before any password is sent; the line names that, not the password
	mkdir -p "$s/no-plugins"
	# (SASL_PATH: where cyrus-sasl looks for plugins, for this case alone)
	export SASL_PATH=$s/no-plugins
	hk_sasl_case "no SCRAM plugin on the hook's side" "$s/good.conf" \
		"SASL(-4): no mechanism available: No worthy mechs found) (the SASL mechanism libvirtd wants is not available to the hook: install its plugin, libsasl2-modules on Debian, cyrus-sasl-scram on EL)"
	unset SASL_PATH
	hk_sasl_case "no login configured" "$s/none.conf" "(libvirtd wants a login: set libvirt_auth_user"
	hk_sasl_case "vdsm@ovirt with its password" "$s/good.conf" ok
	hk_vdsm_user "$s/good.conf" "$s/pw"
	# libvirtd_stop's virsh undefines the pool on the read-write socket: with a login
	printf '[credentials-vdsm]\nauthname=vdsm@ovirt\npassword=Sh1bb0leth\n[auth-libvirt-localhost]\ncredentials=vdsm\n' \
		>"$s/auth.conf"
	LIBVIRT_AUTH_FILE=$s/auth.conf libvirtd_stop
	[ -e /etc/libvirt/qemu/networks/direct-pool.xml ] &&
		fail "hook+libvirtd (SASL): the pool's definition outlived the rig (/etc/libvirt/qemu/networks)"
}

# ---- an unchanged host costs libvirt nothing (issue 14) ----
# The vic fixture host against a libvirtd of its own: two enic PFs whose VF netdevs (enp7s0v5…15,
# enp8s0v0…7 usable) do not sort in pool order, which alternates the PFs. After each hook run,
# direct-pool's lifecycle events (virsh net-event) are counted: none on an unchanged host, and
# the expected ones when something did change, which proves the counter sees them.
HV=$HK/vic
HV_HOST=$TOP/tests/fixtures/hosts/vic

hv_config() { # extra [pf enp8s0] line
	cat <<-EOF
	[vfcap]
	sysfs_root = $HV_HOST/sysfs
	netlink_file = $HV_HOST/netlink.bin
	libvirt_uri = $LV_URI
	run_dir = $HK/run
	[pf enp8s0]
	${1:-}
	EOF
}

# A network defined and undefined is a mark: one connection gets its events in order, so once a
# mark's Undefined is in the log, every event caused before it is there too.
hv_mark() { # name
	printf '<network><name>%s</name></network>\n' "$1" >"$HV/mark.xml"
	virsh -c "$LV_URI" -q net-define "$HV/mark.xml" >/dev/null && virsh -c "$LV_URI" -q net-undefine "$1" >/dev/null
}
hv_marked() { grep -q "network $1: Undefined" "$HV/events"; }
hv_listening() { hv_mark "hv-up-$1" && hv_marked 'hv-up-[0-9]*'; }

hv_events_start() {
	local i=0
	virsh -r -c "$LV_URI" -q net-event --event lifecycle --loop >"$HV/events" 2>&1 &
	HV_EVP=$!
	until hv_listening $i; do
		i=$((i + 1))
		[ $i -lt 50 ] || return 1
		sleep 0.1
	done
	HV_MARKS=0 HV_SEEN=0
}

# HV_EV: direct-pool's lifecycle events since the last call, e.g. "Stopped Defined Started"
hv_events() {
	HV_MARKS=$((HV_MARKS + 1))
	hv_mark "hv-mark-$HV_MARKS"
	if ! wait_until 100 hv_marked "hv-mark-$HV_MARKS"; then
		HV_EV="(the mark never came: the counter is deaf)"
		return
	fi
	HV_EV=$(grep 'network direct-pool: ' "$HV/events" | tail -n +$((HV_SEEN + 1)) | sed 's/.*: //' | tr '\n' ' ')
	HV_EV=${HV_EV% }
	HV_SEEN=$(grep -c 'network direct-pool: ' "$HV/events")
}

# hv_run NAME EVENTS WANT HOOK-ARGS...: one hook run, then exactly EVENTS (space-separated, "" for
# none); WANT: "silent" (exit 0, nothing on stderr), "notice TEXT" (exit 0, one line holding
# TEXT) or "fail TEXT" (exit 2, exactly one line, holding TEXT)
hv_run() {
	local name=$1 want_ev=$2 want=$3 rc=0 lines ok=false
	shift 3
	hk_hook "$@" || rc=$?
	hv_events
	lines=$(wc -l <"$HK_LAST/err")
	case $want in
	silent) [ $rc = 0 ] && [ "$lines" = 0 ] && ok=true ;;
	notice\ *) [ $rc = 0 ] && [ "$lines" = 1 ] && grep -qF "${want#notice }" "$HK_LAST/err" && ok=true ;;
	fail\ *) [ $rc = 2 ] && [ "$lines" = 1 ] && grep -qF "${want#fail }" "$HK_LAST/err" && ok=true ;;
	esac
	if $ok && [ "$HV_EV" = "$want_ev" ]; then
		pass "hook+libvirtd (vic): $name: ${want%% *}, lifecycle events: ${want_ev:-none}"
	else
		{ echo "exit $rc, $lines stderr line(s); events '$HV_EV', want '$want_ev'; want $want"; cat "$HK_LAST/err"; } >"$HK/msg"
		fail "hook+libvirtd (vic): $name" "$HK/msg"
	fi
}

hv_setup() {
	rm -rf "$HK/run" "$HK"/run.* && mkdir -p "$HK/run" "$HV"
	hv_config >"$HK/vfcap.conf"
	local links="" i
	for i in $(seq 0 15); do links="$links enp7s0v$i"; done
	for i in $(seq 0 7); do links="$links enp8s0v$i"; done
	libvirtd_start && libvirtd_links $links && LV_NETS="direct-pool" && hv_events_start
}

hv_ports_delete() {
	local p
	for p in $(virsh -c "$LV_URI" -q net-port-list direct-pool --uuid 2>/dev/null); do
		virsh -c "$LV_URI" -q net-port-delete direct-pool "$p" >/dev/null
	done
}

hv_idle() {
	local mig="before_device_migrate_destination mig 00:00:00:00:00:00" got sorted want="" i
	hv_run "first run" "Defined Started" silent $mig
	for i in 0 1 2 3 4 5 6 7; do want="$want enp7s0v$((i + 5)) enp8s0v$i"; done
	want="${want# } enp7s0v13 enp7s0v14 enp7s0v15"
	got=$(hk_members | cut -d: -f1 | tr '\n' ' ')
	sorted=$(hk_members | cut -d: -f1 | sort | tr '\n' ' ')
	if [ "$got" = "$want " ] && [ "$got" != "$sorted" ]; then
		pass "hook+libvirtd (vic): 19 members, the PFs alternating (not in name order)"
	else
		printf 'members: %s\nwant:    %s\n' "$got" "$want" >"$HK/msg"
		fail "hook+libvirtd (vic): pool order" "$HK/msg"
	fi
	hv_run "idle pool, unchanged host, second run" "" silent $mig
	hv_run "idle pool, unchanged host, third run" "" silent $mig
	hv_run "idle pool, a VM start" "" silent before_device_create vm-a 52:54:00:f1:00:01
	hv_run "a reservation pending, unchanged host" "" silent $mig
}

hv_in_use() {
	local mig="before_vm_migrate_destination mig 00:00:00:00:00:00"
	hk_port 52:54:00:f1:00:01
	hv_run "pool in use, unchanged host" "" silent $mig
	hv_run "pool in use, unchanged host, a VM start" "" silent before_device_create vm-b 52:54:00:f1:00:02
	hk_port 52:54:00:f1:00:02
	hv_run "pool in use, unchanged host, again" "" silent $mig
	# enp8s0v7 reserved: only the persistent definition changes while the pool is in use
	hv_config "reserved = 7" >"$HK/vfcap.conf"
	hv_run "pool in use, a VF reserved" "Defined" \
		"notice is in use (2 connections, 2 ports, 0 reservations): its running definition keeps 19 VFs, the computed pool has 18" $mig
	hv_run "pool in use, the same drift again" "" "notice keeps 19 VFs, the computed pool has 18" $mig
	hv_ports_delete
	hv_run "pool idle again: the new definition applies" "Stopped Defined Started" silent $mig
	hv_run "idle, unchanged host after the change" "" silent $mig
}

# With every VF connected a start fails with one line, the reason, whatever else the run found.
hv_full() {
	local i reason="fail no free VF for vmfex profile 'Profile1' (1 vNIC): pool direct-pool has 18 usable VFs, 18 in use"
	for i in $(seq 1 18); do hk_port "$(printf '52:54:00:f2:00:%02x' "$i")"; done
	hv_run "every VF connected, unchanged host" "" "$reason" before_device_create vm-c 52:54:00:f1:00:03
	hv_config >"$HK/vfcap.conf" # enp8s0v7 usable again: the pool is behind, and still full
	hv_run "every VF connected, the pool behind the host" "Defined" \
		"$reason, 0 reserved by starting vNICs, 0 free; 1 more usable VF joins the pool when it is idle" \
		before_device_create vm-d 52:54:00:f1:00:04
	hv_ports_delete
}

if hk_setup; then
	hk_pool_defined && hk_parallel && hk_take_ports && hk_no_live_update && hk_release && hk_migrate
else
	fail "hook+libvirtd: rig did not start" "$TMP/libvirtd.log"
fi
libvirtd_stop
if hv_setup; then
	hv_idle
	hv_in_use
	hv_full
else
	fail "hook+libvirtd (vic): rig did not start" "$TMP/libvirtd.log"
fi
[ -n "${HV_EVP:-}" ] && kill "$HV_EVP" 2>/dev/null
libvirtd_stop
hk_sasl
