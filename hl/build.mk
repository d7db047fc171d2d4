# hl/ -- libhl.a: the Hyperliquid protocol library. Each section is owned by one module group.
# (Every binary links every library with --as-needed, so no <name>_LIBS are needed here.)

# ---- crypto, msgpack, signing, actions
LIBHL_SRCS += hl/keccak.c hl/hex.c hl/msgpack.c hl/sign.c hl/action.c
TESTS += tests/unit/test_keccak tests/unit/test_msgpack tests/unit/test_sign \
         tests/unit/test_action
TEST_SCRIPTS += tests/hl_sign_cli.sh
BENCHES += sign
bench-sign_SRCS := bench/bench_sign.c
# JSON -> msgpack, canonical re-encoder and user digests under libFuzzer (corpus replayed by
# make test).
FUZZERS += tests/fuzz/fuzz_action

# ---- wire, parsers
LIBHL_SRCS += hl/wire.c hl/json.c hl/records.c hl/meta.c hl/parse_ws.c hl/parse_exchange.c \
              hl/parse_info.c
TESTS += tests/unit/test_wire
tests/unit/test_wire_LIBS := $(LIB_CJSON)
TESTS += tests/unit/test_meta
tests/unit/test_meta_LIBS := $(LIB_CJSON)
TESTS += tests/unit/test_parse_exchange
tests/unit/test_parse_exchange_LIBS := $(LIB_CJSON)
TESTS += tests/unit/test_parse_ws
tests/unit/test_parse_ws_LIBS := $(LIB_CJSON)
TESTS += tests/unit/test_parse_info
tests/unit/test_parse_info_LIBS := $(LIB_CJSON)
# Fuzz targets: make test replays <target>_corpus under ASan; make fuzz runs them with libFuzzer.
FUZZERS += tests/fuzz/fuzz_parse_ws tests/fuzz/fuzz_parse_exchange tests/fuzz/fuzz_parse_info \
           tests/fuzz/fuzz_number
tests/fuzz/fuzz_parse_ws_corpus := tests/fuzz/fuzz_parse_ws_corpus
tests/fuzz/fuzz_parse_exchange_corpus := tests/fuzz/fuzz_parse_exchange_corpus
tests/fuzz/fuzz_parse_info_corpus := tests/fuzz/fuzz_parse_info_corpus
tests/fuzz/fuzz_number_corpus := tests/fuzz/fuzz_number_corpus
tests/fuzz/fuzz_parse_ws_LIBS := $(LIB_CJSON)
tests/fuzz/fuzz_parse_exchange_LIBS := $(LIB_CJSON)
tests/fuzz/fuzz_parse_info_LIBS := $(LIB_CJSON)
tests/fuzz/fuzz_number_LIBS := $(LIB_CJSON)
