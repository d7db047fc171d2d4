# tools/hlsim/ -- the exchange simulator. Two sections, each owned by one helper.

# ---- core
HLSIM_CORE_SRCS :=

# ---- net
# Network layer: HTTP/1.1 and WebSocket server, rate limits, command line.
HLSIM_NET_SRCS := tools/hlsim/http_parse.c tools/hlsim/http.c tools/hlsim/ws.c \
                  tools/hlsim/sub.c tools/hlsim/ratelimit.c tools/hlsim/server.c \
                  tools/hlsim/args.c tools/hlsim/log.c
HLSIM_NET_LIBS := $(LIB_UV) $(LIB_WSLAY) $(LIB_HTTP) $(LIB_CJSON) $(LIB_SSL)

# The unit test of the net layer runs the server in-process against a fake engine.
TESTS += tests/unit/test_hlsim_net
tests/unit/test_hlsim_net_SRCS := $(HLSIM_NET_SRCS) tests/helpers/hlsim_fake_engine.c \
                                  tests/helpers/ws_test_client.c tests/helpers/http_test_client.c
tests/unit/test_hlsim_net_LIBS := $(HLSIM_NET_LIBS) $(LIB_CURL)

# The program, its end-to-end tests and its benchmark need the engine (the core section).
ifneq ($(strip $(HLSIM_CORE_SRCS)),)
PROGRAMS += hlsim
hlsim_SRCS := $(HLSIM_CORE_SRCS) $(HLSIM_NET_SRCS) tools/hlsim/main.c
hlsim_LIBS := $(HLSIM_CORE_LIBS) $(HLSIM_NET_LIBS)
endif

# The HTTP request parser core, fuzzed (the corpus replayer needs tests/fuzz/replay.c).
ifneq ($(wildcard tests/fuzz/replay.c),)
FUZZERS += tests/fuzz/fuzz_http
tests/fuzz/fuzz_http_SRCS := tools/hlsim/http_parse.c
tests/fuzz/fuzz_http_LIBS := $(LIB_HTTP)
endif
