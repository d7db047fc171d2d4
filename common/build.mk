# common/ -- libhat.a. Explicit lists (STYLE rule 15); each section is owned by one module group.

# ---- base: errors, buffers, fixed point
LIBHAT_SRCS += common/err.c common/buf.c common/fixed.c common/hex.c
TESTS += tests/unit/test_fixed tests/unit/test_buf tests/unit/test_hex

# ---- shm, ring, clock (tests and bench-ring)
LIBHAT_SRCS += common/clock.c common/shm.c common/ring.c common/outq.c common/doorbell.c
TESTS += tests/unit/test_ring tests/unit/test_shm tests/unit/test_clock tests/unit/test_outq \
         tests/proc/test_ring_xproc tests/proc/test_ring_fault tests/proc/test_shm_corrupt \
         tests/proc/test_doorbell

# ---- msg, board, control, log, config
LIBHAT_SRCS += common/msg.c common/board.c common/control.c common/log.c common/config.c \
               common/stat.c
TESTS += tests/unit/test_msg tests/unit/test_control tests/unit/test_log tests/unit/test_board \
         tests/unit/test_config tests/unit/test_stat
FUZZERS += tests/fuzz/fuzz_msg tests/fuzz/fuzz_config
tests/fuzz/fuzz_msg_corpus := tests/fuzz/fuzz_msg_corpus
tests/fuzz/fuzz_config_corpus := tests/fuzz/fuzz_config_corpus
BENCHES += common
bench-common_SRCS := bench/bench_common.c

# ---- journal, loop
LIBHAT_SRCS += common/journal.c common/ws_client.c common/reconnect.c
TESTS += tests/unit/test_reconnect
TESTS += tests/unit/test_journal
TESTS += tests/unit/test_ws_client
tests/unit/test_ws_client_SRCS := tests/helpers/ws_test_server.c
tests/unit/test_ws_client_LIBS := $(LIB_UV) $(LIB_WSLAY) $(LIB_SSL)
FUZZERS += tests/fuzz/fuzz_ws_client tests/fuzz/fuzz_journal
tests/fuzz/fuzz_ws_client_corpus := tests/fuzz/fuzz_ws_client_corpus
tests/fuzz/fuzz_journal_corpus := tests/fuzz/fuzz_journal_corpus


# ---- instance segments, stage runtime (lead)
LIBHAT_SRCS += common/instance.c common/daemon.c
TESTS += tests/unit/test_instance
