# tests/ -- end-to-end tests of the whole pipeline under superd against hlsim (e2e helper).
# They exec the ASan programs of every stage, so they need execd and hlsim in the build.
E2E_RIG_SRCS = $(HLSIM_E2E_SRCS) tests/helpers/pipeline_fixture.c tests/helpers/e2e_rig.c \
               execd/keystore.c
E2E_RIG_LIBS = $(HLSIM_E2E_LIBS) $(LIB_SODIUM) $(LIB_CURL) $(LIB_CJSON)
ifneq ($(wildcard execd/main.c tools/hlsim/main.c),)
TESTS += tests/e2e/test_pipeline
tests/e2e/test_pipeline_SRCS = $(E2E_RIG_SRCS)
tests/e2e/test_pipeline_LIBS = $(E2E_RIG_LIBS)
endif
ifneq ($(wildcard execd/main.c tools/hlsim/main.c),)
TESTS += tests/e2e/test_restart_each
tests/e2e/test_restart_each_SRCS = $(E2E_RIG_SRCS)
tests/e2e/test_restart_each_LIBS = $(E2E_RIG_LIBS)
endif
ifneq ($(wildcard execd/main.c tools/hlsim/main.c),)
TESTS += tests/e2e/test_chaos
tests/e2e/test_chaos_SRCS = $(E2E_RIG_SRCS)
tests/e2e/test_chaos_LIBS = $(E2E_RIG_LIBS)
endif

# bench-e2e: tick-to-order and stage restart time of the release pipeline (HAT_BIN_DIR=build/bin).
ifneq ($(wildcard execd/main.c tools/hlsim/main.c),)
BENCHES += e2e
bench-e2e_SRCS := bench/bench_e2e.c execd/keystore.c
bench-e2e_LIBS := $(LIB_SODIUM)
endif
