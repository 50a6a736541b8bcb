# vigil — one non-recursive Makefile; each module lists its sources in <folder>/module.mk.
#
#   make            build build/vigil
#   make deps       install the Debian packages this project needs (only the missing ones)
#   make run        deps + build + a quick scan with the embedded default rules
#   make check      deps + build + every test (unit, end-to-end, fuzz), once against build/vigil
#                   and once against the sanitizer build; ends "N passed, N failed"
#   make SAN=1 ...  build/vigil-san, under AddressSanitizer and UndefinedBehaviorSanitizer
#   make install    PREFIX=/usr/local DESTDIR=: the binary, man page, bash completion, systemd unit
#   make uninstall  the same four files, removed
#   make deb        dist/vigil_VERSION_ARCH.deb (dpkg-deb; Depends from the binary's libraries)
#   make rescue     dist/vigil-rescue-VERSION-ARCH.tar.gz: runs from its folder on any glibc host

.DEFAULT_GOAL := all
CC      ?= cc
# libvhdi before libqcow: the libyal libraries (libewf, libvmdk, libvhdi, libqcow) each export
# their own bundled copy of libbfio, libfdata, libcdata...; the dynamic linker binds all of them
# to the copy of the first one loaded, which is then libvhdi's, the newest (20210425). vigil's
# own libbfio handles (scanner/image_bfio.c) are made by that same copy.
PKGS    := yara libarchive libcrypto sqlite3 libmagic jansson tsk libvhdi libqcow libvslvm \
           libfsxfs libbde libfvde libbfio libcryptsetup libpq
BUILD   := build
OBJDIR  := $(BUILD)/obj$(if $(SAN),-san)

# The one list of Debian packages: build dependencies, then the tools the tests use to make fixtures.
DEPS_BUILD := build-essential pkg-config libyara-dev libarchive-dev libssl-dev libsqlite3-dev \
              libmagic-dev libjansson-dev libcmocka-dev libtsk-dev libewf-dev \
              libclamav-dev libseccomp-dev libqcow-dev libvhdi-dev libvslvm-dev libfsxfs-dev \
              libbde-dev libfvde-dev libbfio-dev libcryptsetup-dev libpq-dev
DEPS_TEST  := zip unzip p7zip-full libarchive-tools sharutils zstd xz-utils bzip2 lz4 gzip \
              cpio binutils sqlite3 file util-linux procps jq time openssl strace \
              python3 python3-jsonschema chromium man-db bash-completion clang libclang-rt-14-dev \
              e2fsprogs dosfstools mtools ntfs-3g fdisk ewf-tools xorriso \
              clamav-testfiles qpdf inotify-tools qemu-utils cryptsetup-bin lvm2 xfsprogs btrfs-progs \
              postgresql ansible slurm-wlm munge
DEPS       := $(DEPS_BUILD) $(DEPS_TEST)
# Only for make vm-fixtures: a throwaway VM that makes the images needing device-mapper.
DEPS_VM    := mmdebstrap qemu-system-x86 gdisk
# Only for make bench: the tools vigil is measured against.
DEPS_BENCH := yara clamav clamav-daemon clamdscan

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -pthread -I. $(PKG_CFLAGS) \
           -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DVIGIL_VERSION='"$(VERSION)"'
LDLIBS  += $(PKG_LIBS) -pthread
VERSION := 0.1.0

ifdef SAN
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
           -DVIGIL_SAN
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRCS :=
CLI_SRCS :=
UNIT_TESTS :=
include core/module.mk
include sigdb/module.mk
include scanner/module.mk
include quarantine/module.mk
include reports/module.mk
include realtime/module.mk
include fleet/module.mk
include cli/module.mk
include tests/module.mk
include tests/fuzz/module.mk
include extract/module.mk
include imaged/module.mk

LIB_OBJS := $(LIB_SRCS:%.c=$(OBJDIR)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(OBJDIR)/%.o)
VIGIL    := $(BUILD)/vigil$(if $(SAN),-san)
LIBVIGIL := $(OBJDIR)/libvigil.a
IMAGED   := $(BUILD)/vigil-image$(if $(SAN),-san)
IMAGED_OBJS := $(IMAGED_SRCS:%.c=$(OBJDIR)/%.o)
# The extractor is built once, never under the sanitizers (it is not vigil's address space,
# and RLIMIT_AS would fight ASan's shadow memory): build/vigil-extract.
EXTRACT     := $(BUILD)/vigil-extract
EXTRACT_OBJS := $(EXTRACT_SRCS:%.c=$(BUILD)/obj-extract/%.o)
EXTRACT_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -I. -D_GNU_SOURCE \
              -D_FILE_OFFSET_BITS=64 -DVIGIL_VERSION='"$(VERSION)"' \
              $(shell pkg-config --cflags $(EXTRACT_PKGS) 2>/dev/null)

BTRFS_SHIM := $(BUILD)/vigil-btrfs.so

.PHONY: vm-check all deps run check bench clean install uninstall deb rescue vm-fixtures
all: $(VIGIL) $(EXTRACT) $(IMAGED) $(BTRFS_SHIM)

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The embedded default rules are assembled straight from the .yar file (.incbin).
$(OBJDIR)/sigdb/embedded.o: sigdb/default_rules.yar

$(LIBVIGIL): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(VIGIL): $(CLI_OBJS) $(LIBVIGIL)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(IMAGED): $(IMAGED_OBJS) $(LIBVIGIL)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs libseccomp 2>/dev/null)

$(BTRFS_SHIM): $(BTRFS_SHIM_SRCS) scanner/image_wire.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wshadow -I. -D_GNU_SOURCE -fPIC -shared \
		-fvisibility=hidden -U_FORTIFY_SOURCE -o $@ $(BTRFS_SHIM_SRCS) -ldl

$(BUILD)/obj-extract/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(EXTRACT_CFLAGS) -MMD -MP -c $< -o $@

$(EXTRACT): $(EXTRACT_OBJS)
	$(CC) -o $@ $^ $(shell pkg-config --libs $(EXTRACT_PKGS) 2>/dev/null)

deps:
	@missing=$$(for p in $(DEPS) $(EXTRA_DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# exit 1 (threats found) is a result, not a failure of make run
run: deps
	$(MAKE) all
	./$(VIGIL) scan quick || [ $$? -eq 1 ]

# make check runs the suite twice, against build/vigil and against the sanitizer build
# (build/vigil-san), then the fuzz targets: what CI runs. CHECK_SAN=0 leaves out the
# sanitizer pass (about 5 minutes instead of 13, for working); make check SAN=1 runs only it.
CHECK_SAN ?= 1
SAN_CHECK := $(if $(SAN),,$(filter 1,$(CHECK_SAN)))
# The builds use every core (make check is usually run without -j); the end-to-end scripts
# run E2E_JOBS at a time (tests/e2e/run.sh, default 2; 3 in the sanitizer pass).
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check: deps
	$(MAKE) -j$(CHECK_JOBS) all unit-bins e2e-helpers
	$(if $(SAN_CHECK),$(MAKE) -j$(CHECK_JOBS) SAN=1 all unit-bins)
	VIGIL=$(abspath $(VIGIL)) UNIT_BINS="$(UNIT_BINS)" \
	$(if $(SAN_CHECK),VIGIL_SAN=$(abspath $(BUILD)/vigil-san) \
	UNIT_BINS_SAN="$(UNIT_TESTS:tests/unit/%.c=$(BUILD)/tests-san/%)") tests/run.sh

# Benchmarks measure; they never fail a build for being slow (see bench/).
bench:
	$(MAKE) deps EXTRA_DEPS="$(DEPS_BENCH)"
	$(MAKE) all
	bench/targets.sh $(VIGIL) --small
	bench/targets.sh $(VIGIL)
	bench/quarantine.sh $(VIGIL)
	bench/sigdb.sh $(VIGIL)
	bench/rtp.sh $(VIGIL)
	bench/fleet.sh $(VIGIL)
	bench/scan.sh $(VIGIL) --small
	bench/scan.sh $(VIGIL)
	bench/image.sh $(VIGIL) --small
	bench/image.sh $(VIGIL)
	bench/deep.sh $(VIGIL) --small
	bench/deep.sh $(VIGIL)

# Disk images that need device-mapper to make (LUKS, LVM, the RHEL layout), built in a throwaway
# qemu VM and cached by a hash of tests/vm (see tests/vm/README). Not part of check.
vm-fixtures:
	$(MAKE) deps EXTRA_DEPS="$(DEPS_VM)"
	tests/vm/mkfixtures.sh $(BUILD)/vm-fixtures

# The image tests that read them (t6450): LUKS1, argon2id LUKS2, lvm2-made LVM, the RHEL layout.
vm-check: vm-fixtures all
	VIGIL=$(abspath $(VIGIL)) VIGIL_VM_FIXTURES=$(abspath $(BUILD)/vm-fixtures) \
		E2E_ONLY=t6450 tests/e2e/run.sh

# Installing. The unit goes where systemd looks: /lib/systemd/system for PREFIX=/usr (the
# Debian package), else below PREFIX; its ExecStart names the installed binary.
PREFIX  ?= /usr/local
DESTDIR ?=
UNITDIR ?= $(if $(filter /usr /usr/,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
DIST    := dist
INSTALL_FILES := $(PREFIX)/bin/vigil $(PREFIX)/share/man/man1/vigil.1.gz \
                 $(PREFIX)/share/bash-completion/completions/vigil $(UNITDIR)/vigil.service \
                 $(PREFIX)/share/doc/vigil/report-schema.md $(PREFIX)/share/doc/vigil/report-schema.json \
                 $(PREFIX)/lib/vigil/vigil-extract $(PREFIX)/lib/vigil/vigil-image \
                 $(PREFIX)/lib/vigil/vigil-btrfs.so \
                 $(PREFIX)/share/doc/vigil/LICENSE $(PREFIX)/share/doc/vigil/LICENSE.vigil-extract

# umask 022: folders it creates are 755 whatever the caller's umask (sudo with 077 would
# hide the completion and the man page from users); existing folders are left as they are.
install: $(BUILD)/vigil $(EXTRACT) $(BUILD)/vigil-image $(BTRFS_SHIM) LICENSE extract/LICENSE docs/vigil.1 contrib/vigil.bash-completion contrib/vigil.service \
         docs/report-schema.md docs/report-schema.json
	umask 022 && \
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(PREFIX)/share/doc/vigil $(DESTDIR)$(PREFIX)/lib/vigil && \
	install -m 644 docs/report-schema.md docs/report-schema.json LICENSE $(DESTDIR)$(PREFIX)/share/doc/vigil/ && \
	install -m 644 extract/LICENSE $(DESTDIR)$(PREFIX)/share/doc/vigil/LICENSE.vigil-extract && \
	install -m 755 $(EXTRACT) $(DESTDIR)$(PREFIX)/lib/vigil/vigil-extract && \
	install -m 755 $(BUILD)/vigil-image $(DESTDIR)$(PREFIX)/lib/vigil/vigil-image && \
	install -m 755 $(BTRFS_SHIM) $(DESTDIR)$(PREFIX)/lib/vigil/vigil-btrfs.so && \
	install -m 755 $(BUILD)/vigil $(DESTDIR)$(PREFIX)/bin/vigil && \
	gzip -9n <docs/vigil.1 >$(DESTDIR)$(PREFIX)/share/man/man1/vigil.1.gz && \
	install -m 644 contrib/vigil.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/vigil && \
	sed 's|/usr/local/bin/vigil|$(PREFIX)/bin/vigil|g' contrib/vigil.service >$(DESTDIR)$(UNITDIR)/vigil.service

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALL_FILES))

# The Debian package, staged by make install; packaging/build-deb.sh writes DEBIAN/.
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB      := $(DIST)/vigil_$(VERSION)_$(DEB_ARCH).deb
DEB_ROOT := $(BUILD)/pkg/deb-root
deb: $(DEB)
$(DEB): $(BUILD)/vigil $(EXTRACT) $(BUILD)/vigil-image $(BTRFS_SHIM) docs/vigil.1 contrib/vigil.bash-completion contrib/vigil.service \
        packaging/build-deb.sh packaging/deb-depends.sh packaging/shlibs.sh \
        packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm \
        docs/report-schema.md docs/report-schema.json
	rm -rf $(DEB_ROOT)
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DEB_ROOT)) PREFIX=/usr
	sh packaging/build-deb.sh $(DEB_ROOT) $(VERSION) $@

# The rescue bundle: the binary with every non-glibc library it needs, libmagic's database,
# the default rules and a launcher (packaging/make-rescue.sh).
RESCUE_ARCH := $(shell uname -m)
RESCUE      := $(DIST)/vigil-rescue-$(VERSION)-$(RESCUE_ARCH).tar.gz
rescue: $(RESCUE)
$(RESCUE): $(BUILD)/vigil $(EXTRACT) $(BUILD)/vigil-image $(BTRFS_SHIM) sigdb/default_rules.yar packaging/make-rescue.sh packaging/shlibs.sh \
           packaging/rescue/vigil packaging/rescue/README.txt $(wildcard /usr/lib/file/magic.mgc)
	sh packaging/make-rescue.sh $(BUILD)/vigil $(VERSION) sigdb/default_rules.yar $@ $(EXTRACT) \
		$(BUILD)/vigil-image $(BTRFS_SHIM)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
