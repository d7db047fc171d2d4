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
