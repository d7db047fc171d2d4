# hl/ -- libhl.a: the Hyperliquid protocol library. Each section is owned by one module group.

# ---- crypto, msgpack, signing, actions

# ---- wire, parsers
LIBHL_SRCS += hl/wire.c hl/json.c hl/records.c hl/meta.c hl/parse_ws.c hl/parse_exchange.c \
              hl/parse_info.c
TESTS += tests/unit/test_wire
tests/unit/test_wire_LIBS := $(LIB_CJSON)
TESTS += tests/unit/test_meta
tests/unit/test_meta_LIBS := $(LIB_CJSON)
