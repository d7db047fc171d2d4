# hl/ -- libhl.a: the Hyperliquid protocol library. Each section is owned by one module group.

# ---- crypto, msgpack, signing, actions
LIBHL_SRCS += hl/keccak.c hl/hex.c hl/msgpack.c hl/sign.c hl/action.c
TESTS += tests/unit/test_keccak tests/unit/test_msgpack tests/unit/test_sign \
         tests/unit/test_action
tests/unit/test_keccak_LIBS := $(LIB_SECP) $(LIB_SODIUM) $(LIB_CJSON)
tests/unit/test_msgpack_LIBS := $(LIB_SECP) $(LIB_SODIUM) $(LIB_CJSON)
tests/unit/test_sign_LIBS := $(LIB_SECP) $(LIB_SODIUM) $(LIB_CJSON)
tests/unit/test_action_LIBS := $(LIB_SECP) $(LIB_SODIUM) $(LIB_CJSON)
TEST_SCRIPTS += tests/hl_sign_cli.sh
BENCHES += sign
bench-sign_SRCS := bench/bench_sign.c
bench-sign_LIBS := $(LIB_SECP) $(LIB_SODIUM) $(LIB_CJSON)

# ---- wire, parsers
