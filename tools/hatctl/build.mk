# tools/hatctl/ -- the operator's command line over superd's control socket.
HATCTL_CORE_SRCS := tools/hatctl/ctl.c tools/hatctl/client.c tools/hatctl/cfgcmd.c
PROGRAMS += hatctl
# key and audit (tools/hatctl/cmd_key.c, cmd_audit.c and the execd modules they use) come
# from execd/build.mk, which the Makefile includes before this fragment.
hatctl_SRCS := tools/hatctl/main.c $(HATCTL_CORE_SRCS) $(HATCTL_EXEC_SRCS)
TESTS += tests/unit/test_hatctl
tests/unit/test_hatctl_SRCS := $(HATCTL_CORE_SRCS) tests/helpers/golden.c
TESTS += tests/proc/test_hatctl_superd
tests/proc/test_hatctl_superd_SRCS := tests/helpers/pipeline_fixture.c
TEST_SCRIPTS += tests/launch_duration.sh
