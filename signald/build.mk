# signald/ -- market state, signals, strategies and the daemon.

SIGNALD_CORE_SRCS := signald/engine.c signald/market.c signald/quote.c signald/model.c signald/strategy.c \
                     signald/strat_mm.c signald/strat_taker.c
TESTS += tests/unit/test_sig_market tests/unit/test_sig_quote tests/unit/test_sig_model \
         tests/unit/test_sig_strategy tests/unit/test_sig_engine
tests/unit/test_sig_market_SRCS := $(SIGNALD_CORE_SRCS)
tests/unit/test_sig_quote_SRCS := $(SIGNALD_CORE_SRCS)
tests/unit/test_sig_model_SRCS := $(SIGNALD_CORE_SRCS)
tests/unit/test_sig_strategy_SRCS := $(SIGNALD_CORE_SRCS)
tests/unit/test_sig_engine_SRCS := $(SIGNALD_CORE_SRCS)

SIGNALD_DAEMON_SRCS := signald/config.c signald/daemon.c
PROGRAMS += signald
signald_SRCS := signald/main.c $(SIGNALD_DAEMON_SRCS) $(SIGNALD_CORE_SRCS)
TESTS += tests/proc/test_signald
tests/proc/test_signald_SRCS := tests/helpers/pipeline_fixture.c
BENCHES += signal
bench-signal_SRCS := bench/bench_signal.c $(SIGNALD_CORE_SRCS)
TESTS += tests/proc/test_sig_risk
tests/proc/test_sig_risk_SRCS := tests/helpers/pipeline_fixture.c
TESTS += tests/proc/test_signald_replay
tests/proc/test_signald_replay_SRCS := tests/helpers/pipeline_fixture.c
