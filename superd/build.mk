# superd/ -- the supervisor.

SUPERD_CORE_SRCS := superd/policy.c superd/config.c superd/super.c superd/ctlsock.c \
                    superd/metrics.c superd/run.c
PROGRAMS += superd
superd_SRCS := superd/main.c $(SUPERD_CORE_SRCS)
TESTS += tests/unit/test_sup_policy
tests/unit/test_sup_policy_SRCS := superd/policy.c
PROGRAMS += hat-fakestage
hat-fakestage_SRCS := tests/helpers/fake_stage.c
TESTS += tests/proc/test_superd
tests/proc/test_superd_SRCS := tests/helpers/pipeline_fixture.c
