# Unit tests: one cmocka binary per module, tests/unit/test_<module>.c.
UNIT_TESTS += tests/unit/test_core.c
UNIT_TESTS += tests/unit/test_store.c
UNIT_TESTS += tests/unit/test_sigdb.c
UNIT_TESTS += tests/unit/test_hashes.c
UNIT_TESTS += tests/unit/test_scanner.c
UNIT_TESTS += tests/unit/test_quarantine.c
UNIT_TESTS += tests/unit/test_reports.c
UNIT_TESTS += tests/unit/test_realtime.c

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
