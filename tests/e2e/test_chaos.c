/* tests/e2e/test_chaos.c -- the whole pipeline under superd against hlsim while stages are
 * killed: SIGKILL a random stage at a random moment, E2E_CHAOS_KILLS times (default 20; `make
 * chaos` runs 100), seeded (HAT_TEST_SEED replays a run; the seed is printed). Every stage comes
 * back (new pid, ready); the producers' numbering on every ring is continuous and no consumer
 * saw a gap or a duplicate; every order at hlsim is one execd sent, once; positions at the end
 * equal hlsim's. Then a stage is SIGSTOPped past its watchdog: superd kills and restarts it. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/helpers/e2e_rig.h"
#include "tests/helpers/test_util.h"

static struct e2e_rig rig;

static int teardown(void **state)
{
	(void)state;
	e2e_teardown(&rig);
	return 0;
}

/* xorshift64*: the test's own seeded sequence (rand() is shared with the libraries). */
static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

static void test_chaos_sigkill_random_stages_under_load(void **state)
{
	(void)state;
	unsigned seed = tu_seed();
	rng_state = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + 1;
	const char *k = getenv("E2E_CHAOS_KILLS");
	int kills = k ? atoi(k) : 20;
	print_message("chaos: seed %u (HAT_TEST_SEED=%u replays it), %d kills\n", seed, seed, kills);
	memset(&rig, 0, sizeof rig);
	e2e_start(&rig, NULL);
	sleep(3); /* trading under way */
	int per_stage[E2E_STAGES] = { 0 };
	uint64_t t0 = tu_now_ms();
	for (int i = 0; i < kills; i++) {
		usleep(100000 + 10000 * rnd(120)); /* 0.1 .. 1.3 s: a random moment */
		int s = (int)rnd(E2E_STAGES);
		const char *name = e2e_stage_names[s];
		pid_t pid = (pid_t)e2e_stage_num(&rig, name, "pid");
		assert_true(pid > 0);
		assert_int_equal(kill(pid, SIGKILL), 0);
		pid_t back = e2e_wait_stage_back(&rig, name, pid, 60000);
		if (back <= 0) {
			e2e_tail_logs(&rig);
			fail_msg("kill %d: %s (pid %d) did not come back", i + 1, name, (int)pid);
		}
		per_stage[s]++;
		print_message("kill %2d: %-7s pid %d -> %d\n", i + 1, name, (int)pid, (int)back);
	}
	print_message("chaos: %d kills in %.1f s (feedd %d, signald %d, riskd %d, execd %d)\n", kills,
		      (double)(tu_now_ms() - t0) / 1000.0, per_stage[0], per_stage[1], per_stage[2],
		      per_stage[3]);
	/* every stage is up, each restarted as often as it was killed */
	for (int s = 0; s < E2E_STAGES; s++) {
		assert_true(e2e_stage_run_is(&rig, e2e_stage_names[s], "up"));
		assert_int_equal(e2e_stage_num(&rig, e2e_stage_names[s], "restarts"), per_stage[s]);
	}

	/* a hung stage: SIGSTOP past the watchdog; superd kills and restarts it */
	const char *hung = e2e_stage_names[rnd(E2E_STAGES)];
	pid_t pid = (pid_t)e2e_stage_num(&rig, hung, "pid");
	assert_int_equal(kill(pid, SIGSTOP), 0);
	pid_t back = e2e_wait_stage_back(&rig, hung, pid, 60000);
	if (back <= 0) {
		kill(pid, SIGCONT);
		e2e_tail_logs(&rig);
		fail_msg("stopped %s (pid %d) was not restarted by the watchdog", hung, (int)pid);
	}
	char needle[96];
	snprintf(needle, sizeof needle, "\"event\":\"watchdog_kill\",\"stage\":\"%s\"", hung);
	assert_int_equal(e2e_log_count(&rig, "log/superd.log", needle), 1);
	print_message("SIGSTOP %s pid %d: watchdog restarted it as %d\n", hung, (int)pid, (int)back);

	sleep(3); /* trading resumes */
	e2e_print_counters(&rig);
	/* sizes and entry prices (PnL is re-based at execd restarts: see test_restart_each.c) */
	e2e_settle_and_check_positions(&rig, false);
	e2e_check_orders(&rig);
	/* no message lost or replayed: consumers' seq checks and the producers' numbering */
	assert_int_equal(e2e_counter(&rig, HAT_STAGE_SIGNALD, "seq_gaps"), 0);
	assert_int_equal(e2e_counter(&rig, HAT_STAGE_RISKD, "seq_gaps"), 0);
	assert_int_equal(e2e_counter(&rig, HAT_STAGE_RISKD, "seq_lost"), 0);
	assert_int_equal(e2e_counter(&rig, HAT_STAGE_RISKD, "seq_dups"), 0);
	e2e_check_rings(&rig);
	e2e_stop(&rig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_chaos_sigkill_random_stages_under_load, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
