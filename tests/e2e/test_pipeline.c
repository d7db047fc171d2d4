/* tests/e2e/test_pipeline.c -- the whole pipeline (superd, feedd, signald, riskd, execd) against
 * hlsim's background flow for a bounded time: quotes are placed, fills happen, riskd's positions
 * and PnL equal hlsim's clearinghouseState and fills, every order at hlsim is one execd sent
 * (once), the rings' numbering is continuous, the metrics pass promtool, and no stage logged an
 * error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "tests/helpers/e2e_rig.h"
#include "tests/helpers/test_util.h"

#define RUN_S 25

static struct e2e_rig rig;

static int teardown(void **state)
{
	(void)state;
	e2e_teardown(&rig);
	return 0;
}

static size_t collect(char *p, size_t sz, size_t n, void *u)
{
	struct { char *d; size_t len; } *b = u;
	b->d = realloc(b->d, b->len + sz * n + 1);
	memcpy(b->d + b->len, p, sz * n);
	b->len += sz * n;
	b->d[b->len] = '\0';
	return sz * n;
}

/* GET /metrics from superd, checked by promtool; returns the body (caller frees). */
static char *scrape_and_check(struct e2e_rig *r)
{
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", r->metrics_port);
	struct { char *d; size_t len; } body = { NULL, 0 };
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	assert_int_equal(code, 200);
	if (access("/usr/bin/promtool", X_OK) != 0)
		fail_msg("promtool not found: run 'make deps' (installs the prometheus package)");
	char path[600], cmd[1400];
	snprintf(path, sizeof path, "%s", pf_path(&r->f, "metrics.txt"));
	FILE *f = fopen(path, "w");
	fputs(body.d, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "promtool check metrics < %s > %s.out 2>&1", path, path);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof cmd, "%s.out", path);
		char *o = tu_read_file(cmd);
		fail_msg("promtool check metrics failed:\n%s", o ? o : "");
	}
	return body.d;
}

static void test_pipeline_trades_against_hlsim_and_agrees_with_it(void **state)
{
	(void)state;
	memset(&rig, 0, sizeof rig);
	e2e_start(&rig, NULL);
	pid_t pids[E2E_STAGES];
	for (int i = 0; i < E2E_STAGES; i++)
		pids[i] = (pid_t)e2e_stage_num(&rig, e2e_stage_names[i], "pid");
	uint64_t end = tu_now_ms() + RUN_S * 1000;
	while (tu_now_ms() < end)
		usleep(200000);
	e2e_print_counters(&rig);

	/* quotes went out and were filled */
	assert_true(e2e_counter(&rig, HAT_STAGE_SIGNALD, "intents_out") > 0);
	assert_true(e2e_counter(&rig, HAT_STAGE_RISKD, "approved") > 0);
	assert_true(e2e_counter(&rig, HAT_STAGE_EXECD, "orders_sent") > 0);
	assert_true(e2e_counter(&rig, HAT_STAGE_EXECD, "acks") > 0);
	assert_true(e2e_counter(&rig, HAT_STAGE_EXECD, "fills") > 0);
	assert_true(e2e_counter(&rig, HAT_STAGE_RISKD, "fills") > 0);
	/* tick-to-order was measured */
	const struct hat_hist_shm *h = hat_stage_hist_find(e2e_block(&rig, HAT_STAGE_EXECD),
							   "tick_to_order_ns");
	assert_non_null(h);
	struct hat_hist_snap snap;
	hat_hist_snapshot(h, &snap);
	assert_true(snap.count > 0);

	char *metrics = scrape_and_check(&rig);
	assert_non_null(strstr(metrics, "hat_stage_up{stage=\"execd\"} 1\n"));
	assert_non_null(strstr(metrics, "hat_stage_latency_seconds_count{stage=\"execd\",name=\"tick_to_order_ns\"}"));
	free(metrics);

	e2e_settle_and_check_positions(&rig, true);
	e2e_check_orders(&rig);
	/* nothing lost or duplicated on the rings in a run without failures */
	assert_int_equal(e2e_counter(&rig, HAT_STAGE_SIGNALD, "seq_gaps"), 0);
	assert_int_equal(e2e_counter(&rig, HAT_STAGE_RISKD, "seq_gaps"), 0);
	assert_int_equal(e2e_counter(&rig, HAT_STAGE_RISKD, "seq_dups"), 0);
	assert_int_equal(e2e_counter(&rig, HAT_STAGE_RISKD, "bad_msgs"), 0);
	assert_int_equal(e2e_counter(&rig, HAT_STAGE_EXECD, "bad_msgs"), 0);
	e2e_check_rings(&rig);
	/* no stage was restarted */
	for (int i = 0; i < E2E_STAGES; i++) {
		assert_int_equal(e2e_stage_num(&rig, e2e_stage_names[i], "pid"), pids[i]);
		assert_int_equal(e2e_stage_num(&rig, e2e_stage_names[i], "restarts"), 0);
	}
	e2e_stop(&rig);
	e2e_assert_logs_clean(&rig, NULL);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_pipeline_trades_against_hlsim_and_agrees_with_it, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
