# vigil — one non-recursive Makefile; each module lists its sources in <folder>/module.mk.
#
#   make            build build/vigil
#   make deps       install the Debian packages this project needs (only the missing ones)
#   make run        deps + build + a quick scan with the embedded default rules
#   make check      deps + build + every test (unit and end-to-end); ends "N passed, N failed"
#   make SAN=1 ...  the same under AddressSanitizer and UndefinedBehaviorSanitizer

.DEFAULT_GOAL := all
CC      ?= cc
PKGS    := yara libarchive libcrypto sqlite3 libmagic jansson
BUILD   := build
OBJDIR  := $(BUILD)/obj$(if $(SAN),-san)

# The one list of Debian packages: build dependencies, then the tools the tests use to make fixtures.
DEPS_BUILD := build-essential pkg-config libyara-dev libarchive-dev libssl-dev libsqlite3-dev \
              libmagic-dev libjansson-dev libcmocka-dev
DEPS_TEST  := zip unzip p7zip-full libarchive-tools sharutils zstd xz-utils bzip2 lz4 gzip \
              cpio binutils sqlite3 file util-linux procps jq time openssl strace \
              python3 python3-jsonschema chromium
DEPS       := $(DEPS_BUILD) $(DEPS_TEST)
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
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
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
include cli/module.mk
include tests/module.mk

LIB_OBJS := $(LIB_SRCS:%.c=$(OBJDIR)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(OBJDIR)/%.o)
VIGIL    := $(BUILD)/vigil$(if $(SAN),-san)
LIBVIGIL := $(OBJDIR)/libvigil.a

.PHONY: all deps run check bench clean
all: $(VIGIL)

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

check: deps
	$(MAKE) all unit-bins
	VIGIL=$(abspath $(VIGIL)) UNIT_BINS="$(UNIT_BINS)" tests/run.sh

# Benchmarks measure; they never fail a build for being slow (see bench/).
bench:
	$(MAKE) deps EXTRA_DEPS="$(DEPS_BENCH)"
	$(MAKE) all
	bench/quarantine.sh $(VIGIL)
	bench/sigdb.sh $(VIGIL)
	bench/rtp.sh $(VIGIL)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
