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
# Network layer: HTTP/1.1 and WebSocket server, rate limits, command line.
HLSIM_NET_SRCS := tools/hlsim/http_parse.c tools/hlsim/http.c tools/hlsim/ws.c \
                  tools/hlsim/sub.c tools/hlsim/ratelimit.c tools/hlsim/server.c \
                  tools/hlsim/args.c tools/hlsim/gate.c tools/hlsim/pool.c
HLSIM_NET_LIBS := $(LIB_UV) $(LIB_WSLAY) $(LIB_HTTP) $(LIB_CJSON) $(LIB_SSL)

# The unit test of the net layer runs the server in-process against a fake engine.
TESTS += tests/unit/test_hlsim_net
tests/unit/test_hlsim_net_SRCS := $(HLSIM_NET_SRCS) tests/helpers/hlsim_fake_engine.c \
                                  tests/helpers/ws_test_client.c tests/helpers/http_test_client.c
tests/unit/test_hlsim_net_LIBS := $(HLSIM_NET_LIBS) $(LIB_CURL)
# The two-step request path (thread pool prepare, in-order commit), against the fake engine.
TESTS += tests/unit/test_hlsim_pipeline
tests/unit/test_hlsim_pipeline_SRCS := $(HLSIM_NET_SRCS) tests/helpers/hlsim_fake_engine.c \
                                       tests/helpers/ws_test_client.c tests/helpers/http_test_client.c
tests/unit/test_hlsim_pipeline_LIBS := $(HLSIM_NET_LIBS) $(LIB_CURL)
# The prepare workers alone.
TESTS += tests/unit/test_hlsim_pool
tests/unit/test_hlsim_pool_SRCS := tools/hlsim/pool.c
tests/unit/test_hlsim_pool_LIBS := $(LIB_UV)
# The I/O-free pieces: request parser; rate limits, subscriptions, accept key, command line.
TESTS += tests/unit/test_hlsim_http_parse tests/unit/test_hlsim_net_core
tests/unit/test_hlsim_http_parse_SRCS := tools/hlsim/http_parse.c
tests/unit/test_hlsim_http_parse_LIBS := $(LIB_HTTP)
tests/unit/test_hlsim_net_core_SRCS := $(HLSIM_NET_SRCS) tests/helpers/hlsim_fake_engine.c
tests/unit/test_hlsim_net_core_LIBS := $(HLSIM_NET_LIBS)

# The program, its end-to-end tests and its benchmark need the engine (the core section).
ifneq ($(strip $(HLSIM_CORE_SRCS)),)
PROGRAMS += hlsim
hlsim_SRCS := $(HLSIM_CORE_SRCS) $(HLSIM_NET_SRCS) tools/hlsim/main.c
hlsim_LIBS := $(HLSIM_CORE_LIBS) $(HLSIM_NET_LIBS)

# End-to-end tests: the real program over real sockets (they sign with hl/ through the core
# tests' helper, hence HLSIM_TEST_SRCS).
HLSIM_E2E_SRCS := $(HLSIM_TEST_SRCS) tests/helpers/hlsim_proc.c tests/helpers/http_test_client.c \
                  tests/helpers/ws_test_client.c
HLSIM_E2E_LIBS := $(HLSIM_CORE_LIBS) $(LIB_CURL) $(LIB_WSLAY)
TESTS += tests/e2e/test_hlsim_http tests/e2e/test_hlsim_ws tests/e2e/test_hlsim_hostile \
         tests/e2e/test_hlsim_workers
tests/e2e/test_hlsim_workers_SRCS := $(HLSIM_E2E_SRCS)
tests/e2e/test_hlsim_workers_LIBS := $(HLSIM_E2E_LIBS)
tests/e2e/test_hlsim_http_SRCS := $(HLSIM_E2E_SRCS)
tests/e2e/test_hlsim_http_LIBS := $(HLSIM_E2E_LIBS)
tests/e2e/test_hlsim_ws_SRCS := $(HLSIM_E2E_SRCS)
tests/e2e/test_hlsim_ws_LIBS := $(HLSIM_E2E_LIBS)
tests/e2e/test_hlsim_hostile_SRCS := $(HLSIM_E2E_SRCS)
tests/e2e/test_hlsim_hostile_LIBS := $(HLSIM_E2E_LIBS)

# Orders/s and WS fan-out of the release program (build/bin/bench-hlsim).
BENCHES += hlsim
bench-hlsim_SRCS := bench/bench_hlsim.c
bench-hlsim_LIBS := $(LIB_SECP) $(LIB_SODIUM) $(LIB_CJSON)
endif

# The HTTP request parser core, fuzzed (the corpus replayer needs tests/fuzz/replay.c).
ifneq ($(wildcard tests/fuzz/replay.c),)
FUZZERS += tests/fuzz/fuzz_http
tests/fuzz/fuzz_http_SRCS := tools/hlsim/http_parse.c
tests/fuzz/fuzz_http_LIBS := $(LIB_HTTP)
endif
