/* tests/unit/test_sig_model.c -- online logistic regression: learns a planted signal, stays at
 * chance on noise, survives a save/load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/err.h"
#include "signald/model.h"
#include "tests/helpers/assert_near.h"
#include "tests/helpers/test_util.h"

#define MS 1000000ull

/* Deterministic uniform in [-1, 1). */
static double rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(*s >> 11) / (double)(1ull << 53) * 2 - 1;
}

/* Runs n steps of 100 ms; feature 0 predicts the next move with probability `signal` (0.5 =
 * pure noise); the other features are noise. Returns accuracy over the second half. */
static double run(struct sig_model *m, double signal, int n, uint64_t seed)
{
	struct sig_model_params p;
	sig_model_params_default(&p);
	p.horizon_ns = 100 * MS;
	p.sample_every_ns = 100 * MS;
	sig_model_init(m, &p);
	uint64_t s = seed;
	double mid = 1000, x[SIG_MODEL_FEATURES];
	uint64_t half_trained = 0, half_correct = 0;
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < SIG_MODEL_FEATURES; k++)
			x[k] = rnd(&s);
		sig_model_observe(m, x, mid, (uint64_t)i * 100 * MS);
		if (i == n / 2) {
			half_trained = m->n_trained;
			half_correct = m->n_correct;
		}
		int dir = x[0] > 0 ? 1 : -1;
		if ((rnd(&s) + 1) / 2 >= signal)
			dir = -dir;
		mid += dir;
	}
	return (double)(m->n_correct - half_correct) / (double)(m->n_trained - half_trained);
}

static void test_model_learns_planted_signal(void **state)
{
	(void)state;
	struct sig_model *m = malloc(sizeof *m);
	double acc = run(m, 0.85, 6000, 42);
	assert_true(m->n_trained > 5900);
	if (!(acc > 0.78))
		fail_msg("accuracy on a planted 85%% signal: %.3f", acc);
	/* the weight on the informative feature dominates the others */
	for (int k = 1; k < SIG_MODEL_FEATURES; k++)
		assert_true(m->w[0] > 5 * (m->w[k] > 0 ? m->w[k] : -m->w[k]));
	free(m);
}

static void test_model_at_chance_on_noise(void **state)
{
	(void)state;
	struct sig_model *m = malloc(sizeof *m);
	double acc = run(m, 0.5, 6000, 7);
	if (!(acc > 0.45 && acc < 0.55))
		fail_msg("accuracy on noise: %.3f", acc);
	free(m);
}

static void test_model_update_exact_step(void **state)
{
	(void)state;
	struct sig_model m;
	struct sig_model_params p;
	sig_model_params_default(&p);
	p.lr = 0.5;
	p.l2 = 0;
	sig_model_init(&m, &p);
	double xn[SIG_MODEL_FEATURES] = { 1, 0, 0, 0, 0, -2 };
	/* p = sigmoid(0) = 0.5, y = 1: gradient -0.5 * x */
	sig_model_update(&m, xn, 1);
	assert_double_equal(m.w[0], 0.25, 1e-15);
	assert_double_equal(m.w[5], -0.5, 1e-15);
	assert_double_equal(m.b, 0.25, 1e-15);
	assert_int_equal(m.n_trained, 1);
	assert_int_equal(m.n_correct, 1); /* 0.5 counts as "up" */
}

static void test_model_unmoved_mid_is_not_a_label(void **state)
{
	(void)state;
	struct sig_model m;
	struct sig_model_params p;
	sig_model_params_default(&p);
	sig_model_init(&m, &p);
	double x[SIG_MODEL_FEATURES] = { 0 };
	for (int i = 0; i < 50; i++)
		sig_model_observe(&m, x, 100.0, (uint64_t)i * 200 * MS);
	assert_int_equal(m.n_trained, 0);
	assert_double_equal(sig_model_accuracy(&m), 0.5, 0);
}

static void test_model_save_load_round_trip(void **state)
{
	(void)state;
	char dir[256], path[300], err[256];
	tu_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/model.txt", dir);
	struct sig_model *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	run(a, 0.85, 500, 3);
	assert_int_equal(sig_model_save(a, path, err, sizeof err), 0);
	struct sig_model_params p;
	sig_model_params_default(&p);
	sig_model_init(b, &p);
	assert_int_equal(sig_model_load(b, path, err, sizeof err), 0);
	for (int k = 0; k < SIG_MODEL_FEATURES; k++) {
		assert_double_equal(b->w[k], a->w[k], 0);
		assert_double_equal(b->mean[k], a->mean[k], 0);
		assert_double_equal(b->var[k], a->var[k], 0);
	}
	assert_double_equal(b->b, a->b, 0);
	assert_int_equal(b->n_trained, a->n_trained);
	double x[SIG_MODEL_FEATURES] = { 0.3, -0.1, 0.2, 0, 0.5, 1 };
	assert_double_equal(sig_model_predict(b, x), sig_model_predict(a, x), 0);

	/* a corrupted file is refused with a reason, the model is unchanged */
	FILE *f = fopen(path, "w");
	fputs("hat-model 1 6\ntrained 1 correct 1 seen 1\nb 0.1\nf 0 nan 0 1\n", f);
	fclose(f);
	double w0 = b->w[0];
	assert_int_equal(sig_model_load(b, path, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "feature line 0 malformed"));
	assert_double_equal(b->w[0], w0, 0);
	unlink(path);
	assert_int_equal(sig_model_load(b, path, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "model.txt"));
	tu_rmtree(dir);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_learns_planted_signal),
		cmocka_unit_test(test_model_at_chance_on_noise),
		cmocka_unit_test(test_model_update_exact_step),
		cmocka_unit_test(test_model_unmoved_mid_is_not_a_label),
		cmocka_unit_test(test_model_save_load_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
