/* tests/proc/test_hatshm_live.c -- hatshm's dump while a producer process pushes and a consumer
 * process pops as fast as they can on a small ring: every message it prints is whole (its
 * body matches its seq, which matches its slot index); slots being rewritten are skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "common/daemon.h"
#include "common/msg.h"
#include "common/ring.h"
#include "tests/helpers/pipeline_fixture.h"
#include "tests/helpers/test_util.h"
#include "tools/hatshm/view.h"

static struct pf fx;
static pid_t kids[2];

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++)
		if (kids[i] > 0)
			tu_kill_wait(kids[i], SIGKILL);
	pf_teardown(&fx);
	return 0;
}

/* Child: pushes TRADEs whose tid is 7 * seq until SIGTERM. */
static void producer(void)
{
	struct hat_ring r;
	char err[256];
	hat_daemon_signals_install();
	if (hat_ring_attach(&r, fx.instance, "md", HAT_RING_PRODUCER, HAT_SLOT_MD, 0, err, sizeof err))
		_exit(3);
	struct hat_msg_trade t;
	hat_msg_init(&t.h, HAT_MSG_TRADE);
	hat_coin_set(t.coin, "BTC");
	t.side = HAT_SIDE_BUY;
	t.sz = HAT_FX_ONE;
	while (!hat_daemon_stop_requested()) {
		uint64_t seq = hat_ring_next_seq(&r);
		t.tid = 7 * seq;
		t.px = (int64_t)(seq % 100000 + 1) * HAT_FX_ONE;
		t.exch_time_ms = seq;
		if (hat_ring_push_msg(&r, &t.h) != 0)
			sched_yield();
	}
	hat_ring_detach(&r);
	_exit(0);
}

static void consumer(void)
{
	struct hat_ring r;
	char err[256];
	hat_daemon_signals_install();
	if (hat_ring_attach(&r, fx.instance, "md", HAT_RING_CONSUMER, HAT_SLOT_MD, 0, err, sizeof err))
		_exit(3);
	unsigned char buf[HAT_SLOT_MD];
	while (!hat_daemon_stop_requested())
		if (hat_ring_try_pop(&r, buf, sizeof buf) != 0)
			sched_yield();
	hat_ring_detach(&r);
	_exit(0);
}

static void test_hatshm_dump_under_a_live_producer_prints_only_whole_messages(void **state)
{
	(void)state;
	pf_setup(&fx, "\"md\": 65536\0\"md\": 64\0");
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0)
			i == 0 ? producer() : consumer();
	}
	struct hat_ring r;
	char err[256];
	assert_int_equal(hat_ring_attach(&r, fx.instance, "md", HAT_RING_READER, HAT_SLOT_MD, 0, err,
					 sizeof err), 0);
	/* wait until the ring has wrapped a few times */
	uint64_t end = tu_now_ms() + 10000;
	struct hat_ring_stats st;
	do {
		usleep(1000);
		hat_ring_stats(&r, &st);
	} while (st.prod < 1000 && tu_now_ms() < end);
	assert_true(st.prod >= 1000);
	unsigned printed = 0, skipped = 0;
	struct hat_buf b = HAT_BUF_INIT;
	for (int round = 0; round < 300; round++) {
		hat_buf_reset(&b);
		skipped += hatshm_dump(&b, "md", &r, 64, true);
		for (char *line = b.data, *nl; line && (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
			*nl = '\0';
			cJSON *j = cJSON_Parse(line);
			assert_non_null(j);
			const cJSON *m = cJSON_GetObjectItem(j, "msg");
			if (m) {
				double idx = cJSON_GetObjectItem(j, "index")->valuedouble;
				double seq = cJSON_GetObjectItem(m, "seq")->valuedouble;
				double tid = cJSON_GetObjectItem(m, "tid")->valuedouble;
				double ms = cJSON_GetObjectItem(m, "exch_time_ms")->valuedouble;
				if (seq != idx + 1 || tid != 7 * seq || ms != seq || cJSON_GetObjectItem(m, "invalid"))
					fail_msg("torn or misplaced message printed: %s", line);
				printed++;
			} else {
				assert_non_null(cJSON_GetObjectItem(j, "skipped"));
			}
			cJSON_Delete(j);
		}
	}
	hat_buf_free(&b);
	hat_ring_detach(&r);
	print_message("dump under load: %u messages printed, %u slots skipped\n", printed, skipped);
	assert_true(printed > 0);
	for (int i = 0; i < 2; i++) {
		int ws = tu_kill_wait(kids[i], SIGTERM);
		kids[i] = 0;
		assert_true(WIFEXITED(ws));
		assert_int_equal(WEXITSTATUS(ws), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_hatshm_dump_under_a_live_producer_prints_only_whole_messages,
					  teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
