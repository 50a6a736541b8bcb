# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang into build-fuzz/, a tree of
# their own: the library sources (LIB_SRCS of every module.mk) compiled again with
# -fsanitize=fuzzer-no-link,address,undefined, each target linked with
# -fsanitize=fuzzer,address,undefined.
#
#   make fuzz          build build-fuzz/fuzz_* (needs clang and libclang-rt-14-dev)
#   make fuzz-run      build, then tests/fuzz/run.sh (FUZZ_SECONDS=20 per target)
#
# Seeds are in tests/fuzz/corpus/<target>/, crash reproducers in tests/fuzz/regressions/<target>/
# (replayed by run.sh before fuzzing).

FUZZ_CC      ?= clang
FUZZ_DIR     := build-fuzz
FUZZ_OBJDIR  := $(FUZZ_DIR)/obj
FUZZ_TARGETS := fuzz_archive fuzz_config fuzz_hashes fuzz_bundle fuzz_report
FUZZ_BINS    := $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -O1 -g -std=gnu11 -Wall -Wextra -Wno-unused-function -pthread -I. $(PKG_CFLAGS) \
                -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DVIGIL_VERSION='"$(VERSION)"'
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_OBJDIR)/%.o)
FUZZ_LIB     := $(FUZZ_DIR)/libvigil-fuzz.a

.PHONY: fuzz fuzz-run
fuzz: $(FUZZ_BINS)

fuzz-run: fuzz
	tests/fuzz/run.sh

$(FUZZ_OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

# The embedded default rules are assembled straight from the .yar file (.incbin).
$(FUZZ_OBJDIR)/sigdb/embedded.o: sigdb/default_rules.yar

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -MMD -MP -MF $@.d -o $@ $< \
		$(FUZZ_LIB) $(PKG_LIBS) -pthread

.PHONY: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_DIR)
clean: clean-fuzz

-include $(wildcard $(FUZZ_DIR)/*.d $(FUZZ_OBJDIR)/*/*.d)
