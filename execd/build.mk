# execd/ -- the execution daemon. Explicit lists (STYLE rule 15); each section has one owner.

# ---- core: keystore, nonces, order state machine, write-ahead journal, audit trail (execcore)
# I/O-free and file-level modules; the daemon (net section) links them as $(EXECD_CORE_SRCS).
EXECD_CORE_SRCS := execd/nonce.c execd/audit.c execd/keystore.c execd/order_fsm.c execd/wal.c
# hatctl's key and audit subcommands with the modules they use; tools/hatctl/build.mk adds
# $(HATCTL_EXEC_SRCS) to hatctl_SRCS.
HATCTL_EXEC_SRCS := tools/hatctl/cmd_key.c tools/hatctl/cmd_audit.c execd/keystore.c execd/audit.c
# A stand-in main for the two subcommands (tests/hatctl_key_audit.sh; also makes etc/test-key.json).
PROGRAMS += hatctl-exec
hatctl-exec_SRCS := tests/helpers/hatctl_exec_driver.c $(HATCTL_EXEC_SRCS)
TEST_SCRIPTS += tests/hatctl_key_audit.sh
TESTS += tests/unit/test_exec_nonce tests/unit/test_exec_audit tests/unit/test_exec_keystore
tests/unit/test_exec_nonce_SRCS := execd/nonce.c
tests/unit/test_exec_audit_SRCS := execd/audit.c
tests/unit/test_exec_keystore_SRCS := execd/keystore.c
TESTS += tests/unit/test_exec_fsm
tests/unit/test_exec_fsm_SRCS := execd/order_fsm.c
TESTS += tests/unit/test_exec_wal
tests/unit/test_exec_wal_SRCS := execd/wal.c
FUZZERS += tests/fuzz/fuzz_exec_audit tests/fuzz/fuzz_exec_fsm
tests/fuzz/fuzz_exec_audit_SRCS := execd/audit.c
tests/fuzz/fuzz_exec_fsm_SRCS := execd/order_fsm.c
BENCHES += exec_core
bench-exec_core_SRCS := bench/bench_exec_core.c $(EXECD_CORE_SRCS)

# ---- net: router, private stream, reconciliation, dead-man's switch, daemon (execnet)
EXECD_NET_SRCS := execd/router.c execd/deadman.c execd/ratelimit.c execd/http.c \
                  execd/stream.c execd/reconcile.c execd/config.c
TESTS += tests/unit/test_exec_router tests/unit/test_exec_deadman
tests/unit/test_exec_router_SRCS := execd/router.c
tests/unit/test_exec_deadman_SRCS := execd/deadman.c execd/ratelimit.c
TESTS += tests/unit/test_exec_reconcile
tests/unit/test_exec_reconcile_SRCS := execd/reconcile.c
TESTS += tests/unit/test_exec_positions
tests/unit/test_exec_positions_SRCS := execd/positions.c
EXECD_DAEMON_SRCS := execd/daemon.c execd/events.c execd/positions.c execd/snapshot.c \
                     execd/resync.c execd/send.c execd/answer.c execd/private.c \
                     execd/dm_pump.c execd/intake.c execd/counters.c execd/fills.c \
                     $(EXECD_NET_SRCS)
# The daemon links the core's WAL: built once execd/wal.c is on the branch.
ifneq ($(wildcard execd/wal.c),)
PROGRAMS += execd
execd_SRCS := execd/main.c $(EXECD_DAEMON_SRCS) $(sort $(EXECD_CORE_SRCS) execd/wal.c)
endif
# End-to-end against the real hlsim (needs both programs; "=" because tools/hlsim/build.mk is
# read after this fragment).
ifneq ($(wildcard execd/wal.c tools/hlsim/main.c),)
TESTS += tests/e2e/test_execd
tests/e2e/test_execd_SRCS = $(HLSIM_E2E_SRCS) tests/helpers/pipeline_fixture.c execd/keystore.c
tests/e2e/test_execd_LIBS = $(HLSIM_E2E_LIBS) $(LIB_SODIUM)
TESTS += tests/e2e/test_execd_pipeline
tests/e2e/test_execd_pipeline_SRCS = $(HLSIM_E2E_SRCS) tests/helpers/pipeline_fixture.c \
                                     execd/keystore.c
tests/e2e/test_execd_pipeline_LIBS = $(HLSIM_E2E_LIBS) $(LIB_SODIUM)
endif
# Benchmark: build/bin/bench-exec (starts the release hlsim from $HAT_BIN_DIR or build/bin).
BENCHES += exec
bench-exec_SRCS := bench/bench_exec.c execd/router.c execd/http.c
