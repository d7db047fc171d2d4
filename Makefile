# hat -- the one build file (non-recursive).
#
# Every directory that builds something owns a small fragment, <dir>/build.mk, that lists its
# sources explicitly (no globbing) in the variables below; this file holds every flag and rule.
#
#   make            release build of every program      -> build/bin/<name>
#   make test       deps, ASan+UBSan build, every test   -> build/asan/...
#   make bench      release benchmarks, each run once    -> build/bin/bench-<name>
#   make chaos      the chaos test with CHAOS_KILLS (100) SIGKILLs of random stages
#   make fuzz       libFuzzer targets (clang), FUZZ_SECONDS each
#   make run        deps, build, the pipeline against hlsim (scripts/launch.sh)
#   make deps       installs the Debian packages that are missing (scripts/deps.sh)
#   make clean

CC      ?= cc
CLANG   ?= clang
BUILD   ?= build
FUZZ_SECONDS ?= 60
TEST_TIMEOUT ?= 300

WARN    := -Wall -Wextra -Werror -Wstrict-prototypes -Wshadow -Wvla -Wformat=2 \
           -Wno-missing-field-initializers
BASE    := -std=gnu11 $(WARN) -I. -D_GNU_SOURCE -pthread -MMD -MP
REL_CFLAGS  := $(BASE) -O2 -g -DNDEBUG
ASAN_CFLAGS := $(BASE) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined -DHAT_TEST_BUILD
FUZZ_CFLAGS := $(filter-out -MMD -MP,$(BASE)) -O1 -g -fsanitize=fuzzer,address,undefined \
               -DHAT_FUZZ_BUILD
# Every binary links every library hat uses; --as-needed keeps only those it references, so a
# fragment's <name>_LIBS is needed only for something unusual.

# Libraries a binary may name in its <name>_LIBS.
LIB_UV     := -luv
LIB_WSLAY  := -lwslay
LIB_CURL   := -lcurl
LIB_CJSON  := -lcjson
LIB_SECP   := -lsecp256k1
LIB_SODIUM := -lsodium
LIB_SSL    := -lssl -lcrypto
LIB_HTTP   := -lhttp_parser
LIB_ZSTD   := -lzstd
LIB_CMOCKA := -lcmocka
LDLIBS  := -Wl,--as-needed $(LIB_UV) $(LIB_WSLAY) $(LIB_CURL) $(LIB_CJSON) $(LIB_SECP) \
           $(LIB_SODIUM) $(LIB_SSL) $(LIB_HTTP) $(LIB_ZSTD) -lm -lrt -lpthread

# Filled by the fragments.
LIBHAT_SRCS :=          # common/: libhat.a
LIBHL_SRCS  :=          # hl/: libhl.a
PROGRAMS    :=          # names; each has <name>_SRCS and <name>_LIBS
TESTS       :=          # paths without .c (tests/unit/test_ring); each may have <path>_SRCS, <path>_LIBS
BENCHES     :=          # names without bench- ; each has bench-<name>_SRCS and _LIBS
FUZZERS     :=          # paths without .c (tests/fuzz/fuzz_number); each has <path>_SRCS, _LIBS
TEST_SCRIPTS :=         # shell tests run by make test after the binaries

-include common/build.mk
-include hl/build.mk
-include feedd/build.mk
-include signald/build.mk
-include riskd/build.mk
-include execd/build.mk
-include superd/build.mk
-include tools/hatctl/build.mk
-include tools/hatshm/build.mk
-include tools/hlsim/build.mk
-include tools/hl-sign/build.mk
-include tools/report/build.mk
-include tests/build.mk
-include bench/build.mk

REL  := $(BUILD)/release
ASAN := $(BUILD)/asan
FUZ  := $(BUILD)/fuzz
BIN  := $(BUILD)/bin

objs = $(patsubst %.c,$(1)/obj/%.o,$(2))

.PHONY: all test test-build bench chaos fuzz run deps deps-test clean
.DEFAULT_GOAL := all

# ---------------------------------------------------------------- flags stamps
# A change of flags rebuilds everything of that flavour.
define STAMP_template
$(1)/.flags: FORCE
	@mkdir -p $(1)
	@echo '$(2)' | cmp -s - $$@ || echo '$(2)' > $$@
endef
$(eval $(call STAMP_template,$(REL),$(REL_CFLAGS)))
$(eval $(call STAMP_template,$(ASAN),$(ASAN_CFLAGS)))
.PHONY: FORCE
FORCE:

# V=1 shows the full commands.
Q := $(if $(V),,@)
$(REL)/obj/%.o: %.c $(REL)/.flags
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(REL_CFLAGS) -c $< -o $@
$(ASAN)/obj/%.o: %.c $(ASAN)/.flags
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC asan $<")
	$(Q)$(CC) $(ASAN_CFLAGS) -c $< -o $@

# ---------------------------------------------------------------- libraries
define LIB_template
$(1)/libhat.a: $(call objs,$(1),$(LIBHAT_SRCS))
	@rm -f $$@
	$(Q)ar rcs $$@ $$^
$(1)/libhl.a: $(call objs,$(1),$(LIBHL_SRCS))
	@rm -f $$@
	$(Q)ar rcs $$@ $$^
endef
$(eval $(call LIB_template,$(REL)))
$(eval $(call LIB_template,$(ASAN)))

HAT_LIBS_REL  := $(REL)/libhl.a $(REL)/libhat.a
HAT_LIBS_ASAN := $(ASAN)/libhl.a $(ASAN)/libhat.a

# ---------------------------------------------------------------- programs
# Release binaries go to build/bin (what people and scripts run); the ASan flavour of every
# program goes to build/asan/bin, and the multi-process tests exec those (HAT_BIN_DIR).
define PROGRAM_template
$(BIN)/$(1): $(call objs,$(REL),$($(1)_SRCS)) $(HAT_LIBS_REL)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$(Q)$$(CC) $$(REL_CFLAGS) -o $$@ $$^ $($(1)_LIBS) $$(LDLIBS)
$(ASAN)/bin/$(1): $(call objs,$(ASAN),$($(1)_SRCS)) $(HAT_LIBS_ASAN)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$(Q)$$(CC) $$(ASAN_CFLAGS) -o $$@ $$^ $($(1)_LIBS) $$(LDLIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call PROGRAM_template,$(p))))

# ---------------------------------------------------------------- tests
define TEST_template
$(ASAN)/$(1): $(call objs,$(ASAN),$(1).c $($(1)_SRCS) tests/helpers/test_util.c) $(HAT_LIBS_ASAN)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$(Q)$$(CC) $$(ASAN_CFLAGS) -o $$@ $$^ $($(1)_LIBS) $(LIB_CMOCKA) $$(LDLIBS)
endef
$(foreach t,$(TESTS),$(eval $(call TEST_template,$(t))))

# ---------------------------------------------------------------- benchmarks
define BENCH_template
$(BIN)/bench-$(1): $(call objs,$(REL),$(bench-$(1)_SRCS)) $(HAT_LIBS_REL)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$(Q)$$(CC) $$(REL_CFLAGS) -o $$@ $$^ $(bench-$(1)_LIBS) $$(LDLIBS)
endef
$(foreach b,$(BENCHES),$(eval $(call BENCH_template,$(b))))

# ---------------------------------------------------------------- fuzzers (clang)
# Each fuzz target also builds with the normal compiler as a corpus replayer (tests/fuzz/replay.c
# provides main), so make test runs every corpus file through the target under ASan.
# A fuzz target's seed corpus: the directory named by <path>_corpus, default <path>_corpus.
corpus_of = $(or $($(1)_corpus),$(1)_corpus)
FUZZ_ART = $(FUZ)/artifacts

define FUZZ_template
$(FUZ)/$(1): $(1).c $($(1)_SRCS) $(LIBHAT_SRCS) $(LIBHL_SRCS)
	@mkdir -p $$(@D)
	$$(CLANG) $$(FUZZ_CFLAGS) -o $$@ $$^ $($(1)_LIBS) $$(LDLIBS)
$(ASAN)/$(1)-replay: $(call objs,$(ASAN),$(1).c $($(1)_SRCS) tests/fuzz/replay.c) $(HAT_LIBS_ASAN)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$(Q)$$(CC) $$(ASAN_CFLAGS) -o $$@ $$^ $($(1)_LIBS) $$(LDLIBS)
endef
$(foreach f,$(FUZZERS),$(eval $(call FUZZ_template,$(f))))

# ---------------------------------------------------------------- top-level targets
all: $(addprefix $(BIN)/,$(PROGRAMS))

test-build: $(addprefix $(ASAN)/bin/,$(PROGRAMS)) $(addprefix $(BIN)/,$(PROGRAMS)) \
            $(addprefix $(ASAN)/,$(TESTS)) $(addprefix $(ASAN)/,$(addsuffix -replay,$(FUZZERS)))

test: deps-test
	@$(MAKE) --no-print-directory -j$$(nproc) test-build
	@HAT_BIN_DIR=$(abspath $(ASAN)/bin) HAT_REL_BIN_DIR=$(abspath $(BIN)) \
	  scripts/run-tests.sh --timeout $(TEST_TIMEOUT) \
	  $(addprefix $(ASAN)/,$(TESTS)) \
	  $(foreach f,$(FUZZERS),$(ASAN)/$(f)-replay:$(call corpus_of,$(f))) \
	  $(TEST_SCRIPTS)

bench: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all $(addprefix $(BIN)/bench-,$(BENCHES))
	@set -e; for b in $(BENCHES); do echo "== bench-$$b"; HAT_BIN_DIR=$(abspath $(BIN)) $(BIN)/bench-$$b; done

# The end-to-end chaos test (tests/e2e/test_chaos.c) with more kills and a longer budget;
# HAT_TEST_SEED=<n> replays a run.
CHAOS_KILLS ?= 100
chaos: deps
	@$(MAKE) --no-print-directory -j$$(nproc) test-build
	@HAT_BIN_DIR=$(abspath $(ASAN)/bin) E2E_CHAOS_KILLS=$(CHAOS_KILLS) \
	  scripts/run-tests.sh --timeout 1200 $(ASAN)/tests/e2e/test_chaos

fuzz: deps
	@$(MAKE) --no-print-directory -j$$(nproc) $(addprefix $(FUZ)/,$(FUZZERS))
	@set -e; $(foreach f,$(FUZZERS),mkdir -p $(FUZ)/corpus/$(f) $(FUZ)/artifacts; \
	  echo "== $(f) for $(FUZZ_SECONDS)s"; \
	  $(FUZ)/$(f) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_ART)/ $(FUZ)/corpus/$(f) $(call corpus_of,$(f));)

run: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all
	scripts/launch.sh $(RUN_ARGS)

deps:
	@scripts/deps.sh

deps-test:
	@scripts/deps.sh --test

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
