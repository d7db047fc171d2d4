# tools/hatshm/ -- the read-only shared-memory inspector.
HATSHM_CORE_SRCS := tools/hatshm/snap.c tools/hatshm/view.c
PROGRAMS += hatshm
hatshm_SRCS := tools/hatshm/main.c $(HATSHM_CORE_SRCS)
TESTS += tests/unit/test_hatshm
tests/unit/test_hatshm_SRCS := $(HATSHM_CORE_SRCS) tests/helpers/golden.c tests/helpers/pipeline_fixture.c
TESTS += tests/proc/test_hatshm_corrupt
tests/proc/test_hatshm_corrupt_SRCS := tests/helpers/pipeline_fixture.c
TESTS += tests/proc/test_hatshm_live
tests/proc/test_hatshm_live_SRCS := $(HATSHM_CORE_SRCS) tests/helpers/pipeline_fixture.c
