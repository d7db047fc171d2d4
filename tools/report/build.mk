# tools/report/ -- hat-report (HTML performance report), the data tools of hatctl (hatctl data),
# the zstd-aware journal reader, and the backtest driver's tests. Owned by the backtest helper.

# ---- report core: metrics (pure), CSV, result-directory loader, HTML renderer
REPORT_SRCS := tools/report/metrics.c tools/report/csv.c tools/report/result.c \
               tools/report/html.c
PROGRAMS += hat-report
hat-report_SRCS := $(REPORT_SRCS) tools/report/main.c
hat-report_LIBS := $(LIB_CJSON)

TESTS += tests/unit/test_report_metrics tests/unit/test_report_result
tests/unit/test_report_metrics_SRCS := tools/report/metrics.c
tests/unit/test_report_result_SRCS := $(REPORT_SRCS)

# ---- cold journals: zstd reader, compression, retention (a libhat module)
LIBHAT_SRCS += common/journal_zst.c
TESTS += tests/unit/test_journal_zst

# ---- export cores (hatctl data export)
EXPORT_SRCS := tools/report/export.c tools/report/csv.c tools/report/metrics.c
# hatctl links these (tools/hatctl/build.mk: hatctl_SRCS += $(HATCTL_DATA_SRCS)); hat-data is
# the same command as a program of its own.
HATCTL_DATA_SRCS := tools/hatctl/cmd_data.c $(EXPORT_SRCS)
PROGRAMS += hat-data
hat-data_SRCS := tools/report/data_main.c $(HATCTL_DATA_SRCS)
hat-data_LIBS := $(LIB_CJSON) $(LIB_ZSTD)
TESTS += tests/unit/test_report_export
tests/unit/test_report_export_SRCS := $(EXPORT_SRCS)

# ---- end to end: hat-data and hat-report on the shipped samples (+ headless Chromium render
# when chromium is installed)
TEST_SCRIPTS += tests/report_cli.sh
# scripts/backtest.sh twice on the sample journal (determinism); until execd, hatctl and hlsim's
# replay mode exist it checks the script's refusal names exactly what is missing.
TEST_SCRIPTS += tests/backtest_determinism.sh

# ---- bench-backtest: journal msgs/s through the backtest vs feedd --replay --max alone
BENCHES += backtest
bench-backtest_SRCS := bench/bench_backtest.c

# hatctl's fragment (tools/hatctl/build.mk) is included before this one, so HATCTL_DATA_SRCS is
# not yet defined there: the data command's sources are added to hatctl here, unless that
# fragment already lists them. hatctl's main dispatches "data" to hatctl_data() (cmd_data.h).
ifneq ($(filter hatctl,$(PROGRAMS)),)
ifeq ($(filter tools/hatctl/cmd_data.c,$(hatctl_SRCS)),)
hatctl_SRCS += $(HATCTL_DATA_SRCS)
endif
endif
