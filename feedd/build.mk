# feedd/ -- the market-data daemon: WebSocket session -> md ring + board, recording, replay.
TESTS += tests/unit/test_feed_session
tests/unit/test_feed_session_SRCS := feedd/session.c
TESTS += tests/unit/test_feed_publish
tests/unit/test_feed_publish_SRCS := feedd/publish.c
TESTS += tests/unit/test_feed_config
tests/unit/test_feed_config_SRCS := feedd/config.c
PROGRAMS += feedd
feedd_SRCS := feedd/main.c feedd/feedd.c feedd/config.c feedd/session.c feedd/publish.c
TESTS += tests/e2e/test_feedd
tests/e2e/test_feedd_SRCS := tests/helpers/ws_test_server.c
BENCHES += feed
bench-feed_SRCS := bench/bench_feed.c feedd/publish.c
# Against the real simulator, once tools/hlsim has its program (the net section's main.c).
ifneq ($(wildcard tools/hlsim/main.c),)
TESTS += tests/e2e/test_feedd_hlsim
tests/e2e/test_feedd_hlsim_LIBS := $(LIB_CURL) $(LIB_CJSON)
endif
