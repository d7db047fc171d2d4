# tools/hlsim/ -- the exchange simulator. Two sections, each owned by one helper.

# ---- core
# The exchange model (engine.h): I/O-free except the config and state files. The net section
# links HLSIM_CORE_SRCS into the hlsim program; the core tests link them directly.
HLSIM_CORE_SRCS := tools/hlsim/config.c tools/hlsim/book.c tools/hlsim/match.c \
                   tools/hlsim/nonce.c tools/hlsim/account.c tools/hlsim/engine.c \
                   tools/hlsim/exchange.c tools/hlsim/info.c tools/hlsim/flow.c \
                   tools/hlsim/state.c tools/hlsim/replay.c
HLSIM_CORE_LIBS := $(LIB_CJSON) $(LIB_SECP) $(LIB_SODIUM)
HLSIM_TEST_SRCS := $(HLSIM_CORE_SRCS) tests/unit/hlsim_test_util.c
TESTS += tests/unit/test_hlsim_book tests/unit/test_hlsim_match tests/unit/test_hlsim_account \
         tests/unit/test_hlsim_api tests/unit/test_hlsim_flow tests/unit/test_hlsim_state \
         tests/unit/test_hlsim_replay
tests/unit/test_hlsim_book_SRCS := $(HLSIM_TEST_SRCS)
tests/unit/test_hlsim_book_LIBS := $(HLSIM_CORE_LIBS)
tests/unit/test_hlsim_match_SRCS := $(HLSIM_TEST_SRCS)
tests/unit/test_hlsim_match_LIBS := $(HLSIM_CORE_LIBS)
tests/unit/test_hlsim_account_SRCS := $(HLSIM_TEST_SRCS)
tests/unit/test_hlsim_account_LIBS := $(HLSIM_CORE_LIBS)
tests/unit/test_hlsim_api_SRCS := $(HLSIM_TEST_SRCS)
tests/unit/test_hlsim_api_LIBS := $(HLSIM_CORE_LIBS)
tests/unit/test_hlsim_flow_SRCS := $(HLSIM_TEST_SRCS)
tests/unit/test_hlsim_flow_LIBS := $(HLSIM_CORE_LIBS)
tests/unit/test_hlsim_state_SRCS := $(HLSIM_TEST_SRCS)
tests/unit/test_hlsim_state_LIBS := $(HLSIM_CORE_LIBS)
tests/unit/test_hlsim_replay_SRCS := $(HLSIM_TEST_SRCS)
tests/unit/test_hlsim_replay_LIBS := $(HLSIM_CORE_LIBS)
BENCHES += hlsim_engine
bench-hlsim_engine_SRCS := $(HLSIM_CORE_SRCS) bench/bench_hlsim_engine.c
bench-hlsim_engine_LIBS := $(HLSIM_CORE_LIBS)

# The /info and /exchange decoders and actions, fuzzed (active once tests/fuzz/replay.c exists).
ifneq ($(wildcard tests/fuzz/replay.c),)
FUZZERS += tests/fuzz/fuzz_hlsim_engine
tests/fuzz/fuzz_hlsim_engine_SRCS := $(HLSIM_CORE_SRCS)
tests/fuzz/fuzz_hlsim_engine_LIBS := $(HLSIM_CORE_LIBS)
tests/fuzz/fuzz_hlsim_engine_corpus := tests/fuzz/fuzz_hlsim_engine_corpus
endif

# ---- net
