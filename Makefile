# vfcap — SR-IOV VF capacity for oVirt/KVM.  `make demo` and `make check` are the two entry points;
# `make check-fast` is the developer's minute (tests/README.md).
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
LIBEXECDIR ?= $(PREFIX)/libexec
# VDSM runs /usr/libexec/vdsm/hooks/<point>/*; the hook learns its point from that directory.
VDSM_HOOKS_DIR ?= $(LIBEXECDIR)/vdsm/hooks
# The hook points are hook/points.def's, the list vfcap-hook's own table is made from (and
# `vfcap-hook --list-points` prints); `make print-hook-points` shows what the Makefile read.
HOOK_POINTS := $(shell sed -n 's/^VF_HOOK_POINT.\([a-z_]*\),.*/\1/p' hook/points.def)

# BUILD is the output directory; the sanitizer build is the same tree built into build/asan.
BUILD ?= build
SAN ?=

PKGS := libvirt libnl-3.0 libnl-route-3.0 json-c libxml-2.0 inih
# the filter's HTTP server and client; the reporter's `serve` (HTTP, TLS with client certificates)
FILTER_PKGS := libmicrohttpd libcurl
REPORT_PKGS := libmicrohttpd gnutls
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(FILTER_PKGS) $(REPORT_PKGS) 2>/dev/null)
REPORT_LIBS := $(shell pkg-config --libs $(PKGS) $(REPORT_PKGS) 2>/dev/null) -lpthread
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The hook loads libvirt on first use (hook/libvirt-lazy.c), so it links everything else only.
HOOK_LIBS := $(shell pkg-config --libs $(filter-out libvirt,$(PKGS)) 2>/dev/null)
ifeq ($(SAN),1)
# LSan's scan of dynamic TLS crashes on a dlopen'ed libvirt (gcc 12 libsanitizer, glibc 2.36:
# "Tracer caught signal 11", "DTLS ... at 0x1c7"), so the sanitizer build maps libvirt at start
# and hook/libvirt-lazy.c finds it already loaded; the plain build loads it lazily.
HOOK_LIBS += -Wl,--no-as-needed $(shell pkg-config --libs libvirt 2>/dev/null) -Wl,--as-needed
endif
# The filter reads reports, never libvirt.
FILTER_LIBS := $(shell pkg-config --libs $(filter-out libvirt,$(PKGS)) $(FILTER_PKGS) 2>/dev/null) -lpthread
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

CC ?= cc
OPT ?= -O2
CFLAGS ?= $(OPT) -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter \
	  -D_GNU_SOURCE -fno-strict-aliasing -Ilib $(PKG_CFLAGS)
# -Werror is on for the project's own builds: make check, check-fast, asan, regen and fuzz-build
# pass WERROR=1 (so CI, which runs make check, does too). It is off by default, so that a plain
# make, make demo, make install or an rpmbuild with a newer compiler than Debian 12's gcc 12
# builds and shows its new warnings instead of failing on them.
WERROR ?= 0
ifeq ($(WERROR),1)
CFLAGS += -Werror
endif
ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
# Each program's modules form a library of their own, so that unit tests can link them.
REPORT_SRC := $(filter-out reporter/main.c,$(wildcard reporter/*.c))
REPORT_OBJ := $(REPORT_SRC:%.c=$(BUILD)/%.o)
HOOK_SRC := $(filter-out hook/main.c hook/libvirt-lazy.c,$(wildcard hook/*.c))
HOOK_OBJ := $(HOOK_SRC:%.c=$(BUILD)/%.o)
FILTER_SRC := $(filter-out filter/main.c,$(wildcard filter/*.c))
FILTER_OBJ := $(FILTER_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

.PHONY: all programs deps deps-kernel check check-fast check-fresh check-kernel regen-kernel demo bench install install-check-vmfex uninstall \
	clean asan regen print-hook-points \
	fuzz fuzz-build
PROGRAMS := $(BUILD)/vfcap-report $(BUILD)/vfcap-hook $(BUILD)/vfcap-filter
all: $(PROGRAMS) $(UNIT_BIN) $(TOOL_BIN)
# the three programs alone: what `make demo` needs (the unit tests want cmocka, a test package)
programs: $(PROGRAMS)

# `make demo` installs what building and the demo need; `make check` the test toolchain too.
deps:
	@./scripts/install-deps.sh demo

# The kernel rig boots Debian's kernel under qemu with a busybox initramfs (tests/kernel).
# bookworm's qemu-system-x86 (7.2) runs the netdevsim guest and brings every library the igb
# guest's QEMU 10 needs; that QEMU itself comes from bookworm-backports into the rig's cache.
KERNEL_PKGS := qemu-system-x86 busybox-static cpio xz-utils
deps-kernel:
	@./scripts/install-deps.sh test $(KERNEL_PKGS)

# -Werror kept honest: $(BUILD)/.werror says every object of the tree was compiled with it, and
# $(BUILD)/.cflags (what everything compiled depends on) the flags. A compile without WERROR=1
# removes .werror; with WERROR=1, a missing .werror or other flags rewrite .cflags, and the whole
# tree is compiled again, so make check never passes objects that were not compiled with -Werror.
# Without WERROR=1 the flags are not tracked (as before): a make install in another environment,
# as rpmbuild's %install, uses what %build made.
FLAGS_STAMP := $(BUILD)/.cflags
WERROR_MARK := $(BUILD)/.werror
STAMP_FLAGS := $(CC) $(filter-out -Werror,$(CFLAGS)) $(LDFLAGS)
NOT_WERROR := $(if $(filter 1,$(WERROR)),,rm -f $(WERROR_MARK); )
$(FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@); \
	if [ "$(WERROR)" = 1 ]; then \
		if [ ! -e $(WERROR_MARK) ] || [ "$$(cat $@ 2>/dev/null)" != '$(STAMP_FLAGS)' ]; then \
			printf '%s\n' '$(STAMP_FLAGS)' >$@ && touch $(WERROR_MARK); \
		fi; \
	elif [ ! -e $@ ]; then printf '%s\n' '$(STAMP_FLAGS)' >$@; fi
.PHONY: FORCE

$(BUILD)/%.o: %.c $(FLAGS_STAMP) $(wildcard lib/*.h reporter/*.h hook/*.h hook/*.def filter/*.h)
	@mkdir -p $(dir $@)
	@$(NOT_WERROR)echo "  CC $@"; $(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libvfcap.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libvfcap-report.a: $(REPORT_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/vfcap-report: $(BUILD)/reporter/main.o $(BUILD)/libvfcap-report.a $(BUILD)/libvfcap.a
	@echo "  CC $@"; $(CC) $(LDFLAGS) -o $@ $^ $(REPORT_LIBS)

$(BUILD)/libvfcap-hook.a: $(HOOK_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/vfcap-hook: $(BUILD)/hook/main.o $(BUILD)/hook/libvirt-lazy.o $(BUILD)/libvfcap-hook.a $(BUILD)/libvfcap.a
	@echo "  CC $@"; $(CC) $(LDFLAGS) -o $@ $^ $(HOOK_LIBS) -ldl

$(BUILD)/libvfcap-filter.a: $(FILTER_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/vfcap-filter: $(BUILD)/filter/main.o $(BUILD)/libvfcap-filter.a $(BUILD)/libvfcap.a
	@echo "  CC $@"; $(CC) $(LDFLAGS) -o $@ $^ $(FILTER_LIBS)

# the libFuzzer targets link the hook's, the filter's and the common library
FUZZ_ARCHIVES := $(BUILD)/libvfcap-hook.a $(BUILD)/libvfcap-filter.a $(BUILD)/libvfcap.a
UNIT_ARCHIVES := $(BUILD)/libvfcap-report.a $(FUZZ_ARCHIVES)
$(BUILD)/tests/%: tests/unit/%.c $(FLAGS_STAMP) $(UNIT_ARCHIVES) $(wildcard tests/unit/*.h reporter/*.h hook/*.h filter/*.h)
	@mkdir -p $(dir $@)
	@$(NOT_WERROR)echo "  CC $@"; $(CC) $(CFLAGS) -Itests/unit -Ireporter -Ihook -Ifilter $(LDFLAGS) -o $@ $< $(UNIT_ARCHIVES) $(PKG_LIBS) $(FILTER_LIBS) $(REPORT_LIBS) $(CMOCKA_LIBS)

$(BUILD)/tools/%: tests/tools/%.c $(FLAGS_STAMP) $(BUILD)/libvfcap.a
	@mkdir -p $(dir $@)
	@$(NOT_WERROR)echo "  CC $@"; $(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvfcap.a $(PKG_LIBS)

# make bench's load generator for the filter service
$(BUILD)/bench/rpcload: bench/rpcload.c $(FLAGS_STAMP) $(BUILD)/libvfcap.a
	@mkdir -p $(dir $@)
	@$(NOT_WERROR)echo "  CC $@"; $(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvfcap.a -lpthread

# make bench's cost of the filter's HTTP clients (bench/bench_fetch.py runs it)
$(BUILD)/bench/fetchcost: bench/fetchcost.c $(FLAGS_STAMP) $(BUILD)/libvfcap-filter.a $(BUILD)/libvfcap.a
	@mkdir -p $(dir $@)
	@$(NOT_WERROR)echo "  CC $@"; $(CC) $(CFLAGS) -Ifilter $(LDFLAGS) -o $@ $< $(BUILD)/libvfcap-filter.a $(BUILD)/libvfcap.a $(FILTER_LIBS)

# make bench's cost of naming VFs held outside libvirt, one-shot and serve (bench/bench_holders.py)
$(BUILD)/bench/holderscost: bench/holderscost.c $(FLAGS_STAMP) $(BUILD)/libvfcap.a
	@mkdir -p $(dir $@)
	@$(NOT_WERROR)echo "  CC $@"; $(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvfcap.a $(PKG_LIBS) -lpthread

asan:
	$(MAKE) BUILD=build/asan SAN=1 OPT=-O1 WERROR=1 all

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang, ASan and UBSan into build/fuzz:
# the library sources with -fsanitize=fuzzer-no-link, each target linked with -fsanitize=fuzzer.
# `make fuzz` runs each for FUZZ_SECONDS on a copy of its seeds (tests/fuzz/run.sh).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/fuzz/%)
# clang (unlike gcc) calls a variable that exists only for its cleanup attribute unused
# (lib/libvirt.c, lib/xml.c's scope guards): the gcc builds keep the warning.
ifeq ($(FUZZ),1)
CFLAGS += -fsanitize=fuzzer-no-link $(FUZZ_SANITIZE) -Wno-unused-variable
endif

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FLAGS_STAMP) $(FUZZ_ARCHIVES) $(wildcard lib/*.h hook/*.h filter/*.h tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	@$(NOT_WERROR)echo "  CC $@"; $(CC) $(CFLAGS) -Ihook -Ifilter -DFUZZ_TOP='"$(CURDIR)"' -fsanitize=fuzzer -o $@ $< $(FUZZ_ARCHIVES) $(PKG_LIBS) $(FILTER_LIBS)

fuzz-build:
	$(MAKE) BUILD=build/fuzz CC=$(FUZZ_CC) OPT=-O1 FUZZ=1 WERROR=1 $(FUZZ_BIN)

fuzz: fuzz-build
	./tests/fuzz/run.sh $(FUZZ_SECONDS)

# The README's test command: installs what is missing, builds both trees, runs every test.
# The kernel rig is part of it (tests/run.sh sources tests/kernel/check.sh).
check: deps-kernel
	$(MAKE) WERROR=1 all
	$(MAKE) asan
	./tests/run.sh

# The README's two commands on a brand-new Debian 12 minbase root (mmdebstrap): what CI runs.
check-fresh:
	./tests/check-fresh.sh

# The real-kernel rig alone: netdevsim VFs and igb's real PCI VFs on Debian's own kernel under qemu TCG.
check-kernel: deps-kernel
	$(MAKE) all
	./tests/kernel/run.sh

# The fast tier: unit (ASan+UBSan, no valgrind), golden and bad input; no root, no daemons, no
# qemu, nothing installed. For a change to a module: `make check-fast`, then the sections it
# touches (tests/run.sh SECTION...; tests/README.md), then `make check`.
check-fast:
	$(MAKE) WERROR=1 all
	$(MAKE) asan
	./tests/run.sh --fast

# Regenerate golden files and recorded netlink fixtures (review the diff before committing).
regen: deps-kernel
	$(MAKE) WERROR=1 all
	$(MAKE) asan
	VFCAP_REGEN=1 ./tests/run.sh

# Record the kernel's own replies again (tests/fixtures/netlink/kernel; see its SOURCE).
regen-kernel: deps-kernel
	$(MAKE) all
	VFCAP_REGEN_KERNEL=1 ./tests/kernel/run.sh

demo: deps
	$(MAKE) programs
	./scripts/demo.sh

bench:
	@./scripts/install-deps.sh test $(KERNEL_PKGS)
	$(MAKE) all
	/usr/bin/python3 bench/bench.py
	$(MAKE) $(BUILD)/bench/holderscost
	/usr/bin/python3 bench/bench_holders.py
	/usr/bin/python3 bench/bench_hook.py
	$(MAKE) $(BUILD)/bench/rpcload
	/usr/bin/python3 bench/bench_filter.py
	$(MAKE) $(BUILD)/bench/fetchcost
	/usr/bin/python3 bench/bench_fetch.py
	/usr/bin/python3 bench/bench_watch.py
	/usr/bin/python3 bench/bench_e2e.py
	./bench/bench_kernel_watch.sh
	/usr/bin/python3 bench/bench_follow.py

print-hook-points:
	@printf '%s\n' $(HOOK_POINTS)

# the legacy ovirt-scheduler-proxy's plugins directory
PROXY_PLUGINS_DIR ?= $(DATADIR)/ovirt-scheduler-proxy/plugins
# The programs read /etc/vfcap/vfcap.conf whatever PREFIX is; the sample configuration's
# [filter] reports_dir is /var/lib/vfcap/reports.
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
MANDIR ?= $(DATADIR)/man
# systemd reads units and tmpfiles.d from /usr/lib and /usr/local/lib alike.
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
TMPFILES_DIR ?= $(PREFIX)/lib/tmpfiles.d
UNITS := vfcap-report.service vfcap-filter.service
MANPAGES := vfcap-report.8 vfcap-filter.8 vfcap-hook.8

# VDSM's VM-FEX hooks install 50_vmfex in five of the hook points (vdsm-hook-vmfex-dev:
# before_device_create, before_nic_hotplug, before_device_migrate_destination; the older
# vdsm-hook-vmfex: before_vm_start, before_vm_migrate_destination). VDSM runs it after 50_vfcap
# and it fails on the vNIC vfcap-hook rewrote, so the install stops before it copies anything;
# ALLOW_VMFEX_HOOK=1 installs anyway with a warning (the hook then refuses vmfex vNICs itself).
ALLOW_VMFEX_HOOK ?=
install-check-vmfex:
	@found=""; for p in $(HOOK_POINTS); do \
		for f in $(DESTDIR)$(VDSM_HOOKS_DIR)/$$p/*vmfex*; do \
			[ -f "$$f" ] && [ -x "$$f" ] && found="$$found $$f"; \
		done; \
	done; \
	[ -z "$$found" ] && exit 0; \
	for f in $$found; do \
		echo "make install: $$f is a VM-FEX hook (vdsm-hook-vmfex-dev or vdsm-hook-vmfex): VDSM runs it after 50_vfcap and it fails on every vNIC vfcap-hook puts on the pool" >&2; \
	done; \
	if [ "$(ALLOW_VMFEX_HOOK)" = 1 ]; then \
		echo "make install: warning: installing anyway (ALLOW_VMFEX_HOOK=1); vfcap-hook will refuse vmfex vNICs until that hook is gone" >&2; \
	else \
		echo "make install: remove that package first (README: Migrating from vdsm-hook-vmfex-dev / vmfex), or pass ALLOW_VMFEX_HOOK=1" >&2; \
		exit 1; \
	fi

# The units get the programs' path (BINDIR); an existing configuration is the admin's and is
# never replaced.
install: install-check-vmfex $(BUILD)/vfcap-report $(BUILD)/vfcap-hook $(BUILD)/vfcap-filter
	install -D -m 0755 $(BUILD)/vfcap-report $(DESTDIR)$(BINDIR)/vfcap-report
	install -D -m 0755 $(BUILD)/vfcap-filter $(DESTDIR)$(BINDIR)/vfcap-filter
	install -D -m 0644 filter/ovirt-scheduler-proxy/vfcap_filter.py $(DESTDIR)$(PROXY_PLUGINS_DIR)/vfcap_filter.py
	install -D -m 0755 $(BUILD)/vfcap-hook $(DESTDIR)$(LIBEXECDIR)/vfcap/vfcap-hook
	for p in $(HOOK_POINTS); do \
		install -d $(DESTDIR)$(VDSM_HOOKS_DIR)/$$p && \
		ln -sfr $(DESTDIR)$(LIBEXECDIR)/vfcap/vfcap-hook $(DESTDIR)$(VDSM_HOOKS_DIR)/$$p/50_vfcap || exit 1; \
	done
	install -d $(DESTDIR)$(DATADIR)/vfcap
	install -m 0644 schema/*.schema.json $(DESTDIR)$(DATADIR)/vfcap/
	install -D -m 0644 packaging/grafana/vfcap.json $(DESTDIR)$(DATADIR)/vfcap/grafana/vfcap.json
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(addprefix man/,$(MANPAGES)) $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	for u in $(UNITS); do \
		sed 's|/usr/bin/vfcap-|$(BINDIR)/vfcap-|' packaging/systemd/$$u >$(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$u || exit 1; \
	done
	install -D -m 0644 packaging/tmpfiles.d/vfcap.conf $(DESTDIR)$(TMPFILES_DIR)/vfcap.conf
	install -d $(DESTDIR)$(LOCALSTATEDIR)/lib/vfcap/reports
	test -e $(DESTDIR)$(SYSCONFDIR)/vfcap/vfcap.conf || \
		install -D -m 0644 packaging/vfcap.conf.sample $(DESTDIR)$(SYSCONFDIR)/vfcap/vfcap.conf

# The configuration goes only when it is still the sample: an edited one is the admin's.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vfcap-report $(DESTDIR)$(BINDIR)/vfcap-filter $(DESTDIR)$(LIBEXECDIR)/vfcap/vfcap-hook
	rm -f $(DESTDIR)$(PROXY_PLUGINS_DIR)/vfcap_filter.py
	for p in $(HOOK_POINTS); do rm -f $(DESTDIR)$(VDSM_HOOKS_DIR)/$$p/50_vfcap; done
	-rmdir $(DESTDIR)$(LIBEXECDIR)/vfcap 2>/dev/null
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/vfcap/,$(notdir $(wildcard schema/*.schema.json)))
	rm -f $(DESTDIR)$(DATADIR)/vfcap/grafana/vfcap.json
	-rmdir $(DESTDIR)$(DATADIR)/vfcap/grafana 2>/dev/null
	-rmdir $(DESTDIR)$(DATADIR)/vfcap 2>/dev/null
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(MANPAGES))
	rm -f $(addprefix $(DESTDIR)$(SYSTEMD_UNIT_DIR)/,$(UNITS)) $(DESTDIR)$(TMPFILES_DIR)/vfcap.conf
	-rmdir $(DESTDIR)$(LOCALSTATEDIR)/lib/vfcap/reports $(DESTDIR)$(LOCALSTATEDIR)/lib/vfcap 2>/dev/null
	if cmp -s packaging/vfcap.conf.sample $(DESTDIR)$(SYSCONFDIR)/vfcap/vfcap.conf; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/vfcap/vfcap.conf; \
		rmdir $(DESTDIR)$(SYSCONFDIR)/vfcap 2>/dev/null || true; \
	fi

clean:
	rm -rf build
