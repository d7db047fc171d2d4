/* tests/unit/test_risk_state.c -- the trading state machine: every transition with its cause,
 * CANCEL_ALL exactly once per entry into HALTED, automatic transitions only tighten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "riskd/state.h"

#define ONE HAT_FX_ONE
#define MS 1000000ULL
#define S 1000000000ULL

static const struct risk_state_cfg cfg = {
	.start_equity = 10000 * ONE,
	.max_daily_loss = 500 * ONE,
	.max_drawdown_bps = 300, /* 3% */
	.max_rejects = 3,
	.reject_window_ns = 10 * S,
	.stale_ns = 5 * S,
};

static int setup(void **state)
{
	static struct risk_state s;
	assert_int_equal(risk_state_init(&s, &cfg, 100 * S), 0);
	*state = &s;
	return 0;
}

static void test_state_init_validates_and_starts_active(void **state)
{
	struct risk_state *s = *state;
	assert_int_equal(s->st, HAT_TS_ACTIVE);
	assert_int_equal(s->cause, RISK_CAUSE_START);
	assert_string_equal(s->text, "start");
	assert_true(risk_state_check(s));
	struct risk_state t;
	struct risk_state_cfg c = cfg;
	c.max_drawdown_bps = 10001;
	assert_int_equal(risk_state_init(&t, &c, 0), -EINVAL);
	c = cfg;
	c.max_rejects = RISK_REJECT_WINDOW_MAX + 1;
	assert_int_equal(risk_state_init(&t, &c, 0), -EINVAL);
	c = cfg;
	c.start_equity = 0;
	assert_int_equal(risk_state_init(&t, &c, 0), -EINVAL);
	c = cfg;
	c.max_daily_loss = 0;
	assert_int_equal(risk_state_init(&t, &c, 0), -EINVAL);
	c = cfg;
	c.stale_ns = 0;
	assert_int_equal(risk_state_init(&t, &c, 0), -EINVAL);
}

static void test_state_operator_halt_emits_cancel_all_once(void **state)
{
	struct risk_state *s = *state;
	unsigned a = risk_state_command(s, HAT_CTL_HALT, "operator: hatctl halt", 101 * S);
	assert_int_equal(a, RISK_SA_CHANGED | RISK_SA_CANCEL_ALL);
	assert_int_equal(s->st, HAT_TS_HALTED);
	assert_int_equal(s->prev, HAT_TS_ACTIVE);
	assert_int_equal(s->cause, RISK_CAUSE_OPERATOR);
	assert_string_equal(s->text, "operator: hatctl halt");
	assert_true(s->since_ns == 101 * S);
	/* halting again, escalation, a loss: no second CANCEL_ALL */
	assert_int_equal(risk_state_command(s, HAT_CTL_HALT, NULL, 102 * S), 0);
	assert_int_equal(risk_state_command(s, HAT_CTL_ESCALATE, NULL, 102 * S), 0);
	assert_int_equal(risk_state_on_pnl(s, -600 * ONE, 103 * S), 0);
	assert_int_equal(s->cancel_alls, 1);
	assert_int_equal(s->cause, RISK_CAUSE_OPERATOR);
	assert_true(risk_state_check(s));
	/* resume, halt again: a new entry, a new CANCEL_ALL */
	assert_int_equal(risk_state_command(s, HAT_CTL_RESUME, NULL, 104 * S), RISK_SA_CHANGED);
	assert_int_equal(s->st, HAT_TS_ACTIVE);
	assert_string_equal(s->text, "operator resume");
	assert_int_equal(risk_state_command(s, HAT_CTL_HALT, NULL, 105 * S),
	                 RISK_SA_CHANGED | RISK_SA_CANCEL_ALL);
	assert_string_equal(s->text, "operator halt");
	assert_int_equal(s->cancel_alls, 2);
	assert_int_equal(s->transitions, 3);
}

static void test_state_escalation_halts(void **state)
{
	struct risk_state *s = *state;
	assert_int_equal(risk_state_command(s, HAT_CTL_ESCALATE, "feedd restarted 5x in 60s", 1),
	                 RISK_SA_CHANGED | RISK_SA_CANCEL_ALL);
	assert_int_equal(s->st, HAT_TS_HALTED);
	assert_int_equal(s->cause, RISK_CAUSE_ESCALATION);
	assert_string_equal(s->text, "feedd restarted 5x in 60s");
	assert_true(risk_state_check(s));
}

static void test_state_operator_reduce_and_unknown_command(void **state)
{
	struct risk_state *s = *state;
	assert_int_equal(risk_state_command(s, HAT_CTL_REDUCE, NULL, 1), RISK_SA_CHANGED);
	assert_int_equal(s->st, HAT_TS_REDUCING);
	assert_int_equal(s->cause, RISK_CAUSE_OPERATOR);
	assert_int_equal(risk_state_command(s, HAT_CTL_CANCEL_ALL, NULL, 2), 0);
	assert_int_equal(risk_state_command(s, HAT_CTL_SHUTDOWN, NULL, 2), 0);
	assert_int_equal(s->st, HAT_TS_REDUCING);
}

static void test_state_daily_loss_at_limit_halts(void **state)
{
	struct risk_state *s = *state;
	/* just under the limit: nothing (drawdown 499.99/10000 = 4.99% would trip the 3% rule, so
	 * raise the drawdown limit for this test) */
	s->cfg.max_drawdown_bps = 10000;
	assert_int_equal(risk_state_on_pnl(s, -500 * ONE + 1, 1), 0);
	assert_int_equal(s->st, HAT_TS_ACTIVE);
	assert_int_equal(risk_state_on_pnl(s, -500 * ONE, 2), RISK_SA_CHANGED | RISK_SA_CANCEL_ALL);
	assert_int_equal(s->st, HAT_TS_HALTED);
	assert_int_equal(s->cause, RISK_CAUSE_DAILY_LOSS);
	assert_string_equal(s->text, "daily loss -500 <= -500");
	assert_true(risk_state_check(s));
	/* resume while still past the limit: halted again at the next evaluation */
	assert_int_equal(risk_state_command(s, HAT_CTL_RESUME, NULL, 3), RISK_SA_CHANGED);
	assert_int_equal(risk_state_on_pnl(s, -501 * ONE, 4), RISK_SA_CHANGED | RISK_SA_CANCEL_ALL);
	assert_int_equal(s->cause, RISK_CAUSE_DAILY_LOSS);
}

static void test_state_drawdown_from_peak_halts(void **state)
{
	struct risk_state *s = *state;
	/* equity 10000 -> 12000 (peak), then down 3% of 12000 = 360 */
	assert_int_equal(risk_state_on_pnl(s, 2000 * ONE, 1), 0);
	assert_true(s->peak_equity == 12000 * ONE);
	assert_int_equal(risk_state_on_pnl(s, 1640 * ONE + 1, 2), 0); /* 359.99999999 down */
	assert_int_equal(s->st, HAT_TS_ACTIVE);
	assert_int_equal(risk_state_on_pnl(s, 1640 * ONE, 3), RISK_SA_CHANGED | RISK_SA_CANCEL_ALL);
	assert_int_equal(s->cause, RISK_CAUSE_DRAWDOWN);
	assert_string_equal(s->text, "drawdown 3.00% >= 3.00%");
	assert_true(s->equity == 11640 * ONE);
	assert_true(risk_state_check(s));
	/* resume: the peak restarts at the current equity, so no immediate re-halt */
	assert_int_equal(risk_state_command(s, HAT_CTL_RESUME, NULL, 4), RISK_SA_CHANGED);
	assert_true(s->peak_equity == 11640 * ONE);
	assert_int_equal(risk_state_on_pnl(s, 1640 * ONE, 5), 0);
	assert_int_equal(s->st, HAT_TS_ACTIVE);
}

static void test_state_new_day_resets_peak(void **state)
{
	struct risk_state *s = *state;
	risk_state_on_pnl(s, 2000 * ONE, 1);
	risk_state_on_pnl(s, 1700 * ONE, 2); /* 2.5% down */
	risk_state_new_day(s);
	assert_true(s->peak_equity == 11700 * ONE);
	/* 3% of 11700 = 351: 11700 - 350 does not trip */
	assert_int_equal(risk_state_on_pnl(s, 1350 * ONE, 3), 0);
	assert_int_equal(s->st, HAT_TS_ACTIVE);
}

static void test_state_rejects_in_window_reduce(void **state)
{
	struct risk_state *s = *state;
	assert_int_equal(risk_state_on_reject(s, 1 * S), 0);
	assert_int_equal(risk_state_on_reject(s, 2 * S), 0);
	/* the first leaves the window (10 s) before the third arrives */
	assert_int_equal(risk_state_on_reject(s, 11 * S), 0);
	assert_int_equal(s->st, HAT_TS_ACTIVE);
	assert_int_equal(s->rej_n, 2);
	assert_int_equal(risk_state_on_reject(s, 11 * S + 1), RISK_SA_CHANGED);
	assert_int_equal(s->st, HAT_TS_REDUCING);
	assert_int_equal(s->cause, RISK_CAUSE_REJECTS);
	assert_string_equal(s->text, "3 rejects in 10000 ms");
	assert_true(risk_state_check(s));
	/* more rejects: already reducing, nothing */
	assert_int_equal(risk_state_on_reject(s, 12 * S), 0);
	/* a loss still halts from REDUCING */
	s->cfg.max_drawdown_bps = 10000;
	assert_int_equal(risk_state_on_pnl(s, -500 * ONE, 13 * S), RISK_SA_CHANGED | RISK_SA_CANCEL_ALL);
	assert_int_equal(s->prev, HAT_TS_REDUCING);
	/* rejects never loosen HALTED */
	assert_int_equal(risk_state_on_reject(s, 14 * S), 0);
	assert_int_equal(s->st, HAT_TS_HALTED);
}

static void test_state_stale_data_reduces_and_recovers(void **state)
{
	struct risk_state *s = *state; /* init at 100 s, stale after 5 s */
	assert_int_equal(risk_state_on_data(s, 0, 105 * S), 0);
	assert_int_equal(risk_state_on_data(s, 0, 105 * S + 1), RISK_SA_CHANGED);
	assert_int_equal(s->st, HAT_TS_REDUCING);
	assert_int_equal(s->cause, RISK_CAUSE_STALE_DATA);
	assert_string_equal(s->text, "stale data: no marks");
	assert_int_equal(risk_state_on_data(s, 0, 106 * S), 0);
	/* a fresh mark: back to ACTIVE by itself */
	assert_int_equal(risk_state_on_data(s, 106 * S, 106 * S), RISK_SA_CHANGED);
	assert_int_equal(s->st, HAT_TS_ACTIVE);
	assert_int_equal(s->cause, RISK_CAUSE_DATA_FRESH);
	assert_true(risk_state_check(s));
	/* stale by age of the newest mark */
	assert_int_equal(risk_state_on_data(s, 106 * S, 111 * S), 0);
	assert_int_equal(risk_state_on_data(s, 106 * S, 112 * S), RISK_SA_CHANGED);
	assert_string_equal(s->text, "stale data: newest mark 6000 ms old");
	/* stale, then the operator halts: fresh data must not resume trading */
	assert_int_equal(risk_state_command(s, HAT_CTL_HALT, NULL, 113 * S),
	                 RISK_SA_CHANGED | RISK_SA_CANCEL_ALL);
	assert_int_equal(risk_state_on_data(s, 113 * S, 113 * S), 0);
	assert_int_equal(s->st, HAT_TS_HALTED);
}

static void test_state_stale_recovery_does_not_undo_other_reducing(void **state)
{
	struct risk_state *s = *state;
	assert_int_equal(risk_state_command(s, HAT_CTL_REDUCE, NULL, 101 * S), RISK_SA_CHANGED);
	/* stale while REDUCING by the operator: no transition, and fresh data must not resume */
	assert_int_equal(risk_state_on_data(s, 0, 110 * S), 0);
	assert_int_equal(risk_state_on_data(s, 110 * S, 110 * S), 0);
	assert_int_equal(s->st, HAT_TS_REDUCING);
	assert_int_equal(s->cause, RISK_CAUSE_OPERATOR);
}

static void test_state_names_and_check_catches_corruption(void **state)
{
	struct risk_state *s = *state;
	assert_string_equal(risk_state_name(HAT_TS_ACTIVE), "ACTIVE");
	assert_string_equal(risk_state_name(HAT_TS_REDUCING), "REDUCING");
	assert_string_equal(risk_state_name(HAT_TS_HALTED), "HALTED");
	assert_string_equal(risk_state_name(0), "?");
	assert_string_equal(risk_cause_name(RISK_CAUSE_DRAWDOWN), "drawdown");
	assert_string_equal(risk_cause_name(200), "?");
	s->st = 7;
	assert_false(risk_state_check(s));
	s->st = HAT_TS_ACTIVE;
	s->cause = RISK_CAUSE_DAILY_LOSS; /* a loss cause must mean HALTED */
	assert_false(risk_state_check(s));
	s->cause = RISK_CAUSE_START;
	assert_true(risk_state_check(s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_state_init_validates_and_starts_active, setup),
		cmocka_unit_test_setup(test_state_operator_halt_emits_cancel_all_once, setup),
		cmocka_unit_test_setup(test_state_escalation_halts, setup),
		cmocka_unit_test_setup(test_state_operator_reduce_and_unknown_command, setup),
		cmocka_unit_test_setup(test_state_daily_loss_at_limit_halts, setup),
		cmocka_unit_test_setup(test_state_drawdown_from_peak_halts, setup),
		cmocka_unit_test_setup(test_state_new_day_resets_peak, setup),
		cmocka_unit_test_setup(test_state_rejects_in_window_reduce, setup),
		cmocka_unit_test_setup(test_state_stale_data_reduces_and_recovers, setup),
		cmocka_unit_test_setup(test_state_stale_recovery_does_not_undo_other_reducing, setup),
		cmocka_unit_test_setup(test_state_names_and_check_catches_corruption, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
