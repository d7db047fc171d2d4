# feedd/ -- the market-data daemon: WebSocket session -> md ring + board, recording, replay.
TESTS += tests/unit/test_feed_session
tests/unit/test_feed_session_SRCS := feedd/session.c
TESTS += tests/unit/test_feed_publish
tests/unit/test_feed_publish_SRCS := feedd/publish.c
PROGRAMS += feedd
feedd_SRCS := feedd/main.c feedd/feedd.c feedd/config.c feedd/session.c feedd/publish.c
