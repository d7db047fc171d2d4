# riskd/ -- pre-trade risk, positions and PnL, kill switch. Explicit lists (STYLE rule 15).

# I/O-free cores (tests and the daemon link these).
RISK_CORE_SRCS := riskd/throttle.c riskd/cloidmap.c riskd/pnl.c riskd/position.c \
                  riskd/state.c riskd/limits.c riskd/engine.c

TESTS += tests/unit/test_risk_throttle tests/unit/test_risk_position \
         tests/unit/test_risk_state tests/unit/test_risk_limits
tests/unit/test_risk_throttle_SRCS := riskd/throttle.c
tests/unit/test_risk_position_SRCS := $(RISK_CORE_SRCS)
tests/unit/test_risk_state_SRCS := $(RISK_CORE_SRCS)
tests/unit/test_risk_limits_SRCS := $(RISK_CORE_SRCS)
TESTS += tests/unit/test_risk_engine
tests/unit/test_risk_engine_SRCS := $(RISK_CORE_SRCS)
TESTS += tests/unit/test_risk_config
tests/unit/test_risk_config_SRCS := $(RISK_CORE_SRCS) riskd/config.c

# The daemon.
PROGRAMS += riskd
riskd_SRCS := $(RISK_CORE_SRCS) riskd/config.c riskd/daemon.c riskd/main.c
TESTS += tests/proc/test_riskd_flood

# Benchmark: build/bin/bench-risk
BENCHES += risk
bench-risk_SRCS := bench/bench_risk.c $(RISK_CORE_SRCS)
TESTS += tests/unit/test_riskd_daemon
tests/unit/test_riskd_daemon_SRCS := $(RISK_CORE_SRCS) riskd/config.c riskd/daemon.c

# Fuzz target: make test replays the corpus under ASan; make fuzz runs it with libFuzzer.
FUZZERS += tests/fuzz/fuzz_risk_engine
tests/fuzz/fuzz_risk_engine_SRCS := $(RISK_CORE_SRCS)
tests/fuzz/fuzz_risk_engine_corpus := tests/fuzz/fuzz_risk_engine_corpus
