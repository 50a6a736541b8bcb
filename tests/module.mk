# Unit tests: one cmocka binary per module, tests/unit/test_<module>.c.
UNIT_TESTS += tests/unit/test_core.c
UNIT_TESTS += tests/unit/test_reach.c
UNIT_TESTS += tests/unit/test_store.c
UNIT_TESTS += tests/unit/test_sigdb.c
UNIT_TESTS += tests/unit/test_hashes.c
UNIT_TESTS += tests/unit/test_hashfile.c
UNIT_TESTS += tests/unit/test_scanner.c
UNIT_TESTS += tests/unit/test_quarantine.c
UNIT_TESTS += tests/unit/test_reports.c
UNIT_TESTS += tests/unit/test_realtime.c
UNIT_TESTS += tests/unit/test_queue.c
UNIT_TESTS += tests/unit/test_cache.c
UNIT_TESTS += tests/unit/test_atomic.c
UNIT_TESTS += tests/unit/test_defaults.c
UNIT_TESTS += tests/unit/test_helpers.c
UNIT_TESTS += tests/unit/test_syslog.c

UNIT_BINS := $(UNIT_TESTS:tests/unit/%.c=$(BUILD)/tests$(if $(SAN),-san)/%)

# The helpers every unit test shares (tests/unit/util.h); linked into each binary, not a test.
UNIT_UTIL := tests/unit/util.c

# The library by its path: $(LIBVIGIL) is only defined after this file is included, and a
# prerequisite list is expanded when it is read.
$(BUILD)/tests$(if $(SAN),-san)/%: tests/unit/%.c $(UNIT_UTIL) tests/unit/util.h $(OBJDIR)/libvigil.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $< $(UNIT_UTIL) $(LIBVIGIL) $(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka)

.PHONY: unit-bins
unit-bins: $(UNIT_BINS)

# Helpers the end-to-end scripts run (tests/e2e/helpers/*.c): vg-gate holds an open of a path
# with a fanotify permission event while a command runs (the attack suite's races, t96xx).
# Plain flags: the helper is not under test, and one build serves build/vigil and vigil-san.
# fake-extract stands in for vigil-extract and misbehaves on purpose (t1720).
# fake-btrfs stands in for btrfs-progs' btrfs, with vigil's shim in it (t6520).
E2E_HELPERS := $(BUILD)/tests/vg-gate $(BUILD)/tests/fake-extract $(BUILD)/tests/fake-btrfs

$(BUILD)/tests/fake-btrfs: tests/e2e/helpers/fake-btrfs.c scanner/image_wire.c scanner/image_wire.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -D_GNU_SOURCE -I. -o $@ $< scanner/image_wire.c

$(BUILD)/tests/fake-extract: tests/e2e/helpers/fake-extract.c extract/proto.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -D_GNU_SOURCE -I. -o $@ $<

$(BUILD)/tests/vg-gate: tests/e2e/helpers/vg-gate.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -D_GNU_SOURCE -o $@ $<

.PHONY: e2e-helpers
e2e-helpers: $(E2E_HELPERS)
