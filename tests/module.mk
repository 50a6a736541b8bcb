# Unit tests: one cmocka binary per module, tests/unit/test_<module>.c.
UNIT_TESTS += tests/unit/test_core.c
UNIT_TESTS += tests/unit/test_store.c
UNIT_TESTS += tests/unit/test_sigdb.c
UNIT_TESTS += tests/unit/test_scanner.c

UNIT_BINS := $(UNIT_TESTS:tests/unit/%.c=$(BUILD)/tests$(if $(SAN),-san)/%)

# The library by its path: $(LIBVIGIL) is only defined after this file is included, and a
# prerequisite list is expanded when it is read.
$(BUILD)/tests$(if $(SAN),-san)/%: tests/unit/%.c $(OBJDIR)/libvigil.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $< $(LIBVIGIL) $(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka)

.PHONY: unit-bins
unit-bins: $(UNIT_BINS)
