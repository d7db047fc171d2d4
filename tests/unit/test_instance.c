/* tests/unit/test_instance.c -- instance segments and the shared daemon runtime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/daemon.h"
#include "common/err.h"
#include "common/instance.h"
#include "common/msg.h"
#include "tests/helpers/test_util.h"

static int shm_exists(const char *instance, const char *name)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof p, "/dev/shm/hat.%s.%s", instance, name);
	return stat(p, &st) == 0;
}

static void load_cfg(struct hat_config *cfg, struct hat_config_doc *doc, const char *instance)
{
	char err[256];
	assert_int_equal(hat_config_load(cfg, doc, "etc/hat.json", err, sizeof err), 0);
	snprintf(cfg->instance, sizeof cfg->instance, "%s", instance);
}

static void test_instance_create_and_unlink_every_segment(void **state)
{
	(void)state;
	char inst[32], err[256];
	tu_instance(inst, sizeof inst);
	struct hat_config cfg;
	struct hat_config_doc doc;
	load_cfg(&cfg, &doc, inst);
	assert_int_equal(hat_instance_create(&cfg, 0, err, sizeof err), 0);
	size_t n;
	const struct hat_ring_def *defs = hat_instance_rings(&n);
	assert_int_equal(n, 9);
	for (size_t i = 0; i < n; i++) {
		assert_true(shm_exists(inst, defs[i].name));
		struct hat_ring r;
		assert_int_equal(hat_ring_attach(&r, inst, defs[i].name, HAT_RING_READER,
						 defs[i].slot_size, 0, err, sizeof err), 0);
		assert_int_equal(hat_ring_capacity(&r), hat_instance_ring_count(&cfg, &defs[i]));
		hat_ring_detach(&r);
	}
	assert_true(shm_exists(inst, "board"));
	assert_true(shm_exists(inst, "control"));
	/* again: existing segments are checked and kept */
	assert_int_equal(hat_instance_create(&cfg, 0, err, sizeof err), 0);
	/* a config that wants a different size is refused, naming the ring */
	cfg.rings.md *= 2;
	assert_int_equal(hat_instance_create(&cfg, 0, err, sizeof err), HAT_E_BADSIZE);
	assert_non_null(strstr(err, ".md: exists with"));
	/* fresh: made anew with the new size */
	assert_int_equal(hat_instance_create(&cfg, 1, err, sizeof err), 0);
	assert_int_equal(hat_instance_unlink(inst, err, sizeof err), 0);
	for (size_t i = 0; i < n; i++)
		assert_false(shm_exists(inst, defs[i].name));
	assert_false(shm_exists(inst, "board"));
	assert_false(shm_exists(inst, "control"));
	hat_config_doc_free(&doc);
}

static void test_daemon_args_common_and_rest(void **state)
{
	(void)state;
	char *argv[] = { "x", "--config", "c.json", "--replay", "f.journal", "--instance", "i1",
			 "--log-level", "warn", "--max", NULL };
	struct hat_daemon_args a;
	char err[256];
	assert_int_equal(hat_daemon_args_parse(&a, 10, argv, err, sizeof err), 0);
	assert_string_equal(a.config_path, "c.json");
	assert_string_equal(a.instance, "i1");
	assert_int_equal(a.log_level, HAT_LOG_WARN);
	assert_int_equal(a.n_rest, 3);
	assert_string_equal(a.rest[0], "--replay");
	assert_string_equal(a.rest[1], "f.journal");
	assert_string_equal(a.rest[2], "--max");
	char *bad[] = { "x", "--log-level", "loud" };
	assert_int_equal(hat_daemon_args_parse(&a, 3, bad, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "--log-level: unknown level 'loud' (debug|info|warn|error)");
	char *missing[] = { "x", "--config" };
	assert_int_equal(hat_daemon_args_parse(&a, 2, missing, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "--config: missing value");
}

static void test_daemon_open_without_segments_says_what_to_do(void **state)
{
	(void)state;
	char inst[32], err[512];
	tu_instance(inst, sizeof inst);
	char *argv[] = { "x", "--instance", inst, "--log", "/dev/null" };
	struct hat_daemon_args a;
	assert_int_equal(hat_daemon_args_parse(&a, 5, argv, err, sizeof err), 0);
	struct hat_daemon d;
	assert_int_equal(hat_daemon_open(&d, HAT_STAGE_SIGNALD, &a, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "control"));
	assert_non_null(strstr(err, "superd creates the segments"));
}

static void test_daemon_lifecycle_and_commands(void **state)
{
	(void)state;
	char inst[32], err[512];
	tu_instance(inst, sizeof inst);
	struct hat_config cfg;
	struct hat_config_doc doc;
	load_cfg(&cfg, &doc, inst);
	assert_int_equal(hat_instance_create(&cfg, 1, err, sizeof err), 0);
	char *argv[] = { "x", "--instance", inst, "--log", "/dev/null" };
	struct hat_daemon_args a;
	assert_int_equal(hat_daemon_args_parse(&a, 5, argv, err, sizeof err), 0);
	struct hat_daemon d;
	assert_int_equal(hat_daemon_open(&d, HAT_STAGE_RISKD, &a, err, sizeof err), 0);
	assert_int_equal(d.blk->pid, getpid());
	assert_int_equal(d.blk->state, HAT_STATE_STARTING);
	/* superd's side of the command ring */
	struct hat_ring cmd;
	assert_int_equal(hat_ring_attach(&cmd, inst, "cmd.riskd", HAT_RING_PRODUCER, HAT_SLOT_CMD, 0,
					 err, sizeof err), 0);
	struct hat_msg_control c, got;
	memset(&c, 0, sizeof c);
	hat_msg_init(&c.h, HAT_MSG_CONTROL);
	c.cmd = HAT_CTL_HALT;
	c.from_stage = HAT_STAGE_OPERATOR;
	assert_int_equal(hat_ring_push_msg(&cmd, &c.h), 0);
	struct hat_msg_control junk = c;
	junk.h.version = 99;
	assert_int_equal(hat_ring_push_msg(&cmd, &junk.h), 0);
	assert_int_equal(hat_daemon_poll_cmd(&d, &got), 1);
	assert_int_equal(got.cmd, HAT_CTL_HALT);
	assert_int_equal(hat_daemon_poll_cmd(&d, &got), 0);
	assert_int_equal(d.cmd_rejects.badver, 1);
	uint64_t v = 0;
	assert_int_equal(hat_stage_counter_find(d.blk, "cmd_rejects", &v), 0);
	assert_int_equal(v, 1);
	hat_daemon_set_ready(&d, true);
	assert_int_equal(d.blk->state, HAT_STATE_RUNNING);
	assert_int_equal(d.blk->ready, 1);
	uint64_t hb = d.blk->heartbeat_ns;
	hat_daemon_tick(&d, hb + 200000000ull);
	assert_true(d.blk->heartbeat_ns == hb + 200000000ull);
	hat_ring_detach(&cmd);
	struct hat_stage_shm *blk = d.blk;
	(void)blk;
	hat_daemon_close(&d);
	struct hat_control ctl;
	assert_int_equal(hat_control_open(&ctl, inst, HAT_SHM_RDONLY, err, sizeof err), 0);
	assert_int_equal(hat_control_stage(&ctl, HAT_STAGE_RISKD)->state, HAT_STATE_STOPPED);
	hat_control_close(&ctl);
	assert_int_equal(hat_instance_unlink(inst, err, sizeof err), 0);
	hat_config_doc_free(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instance_create_and_unlink_every_segment),
		cmocka_unit_test(test_daemon_args_common_and_rest),
		cmocka_unit_test(test_daemon_open_without_segments_says_what_to_do),
		cmocka_unit_test(test_daemon_lifecycle_and_commands),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
