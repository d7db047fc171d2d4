/* tests/proc/test_signald_replay.c -- determinism: a recorded journal replayed through the real
 * feedd (--replay --max) into the real signald (time_source "data") gives the same intents on
 * two runs in fresh instances. The journal is written here with synthetic frames of the
 * exchange's wire format (a seeded random walk of ETH books and trades). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/journal.h"
#include "common/msg.h"
#include "common/ring.h"
#include "feedd/feedd.h"
#include "tests/helpers/pipeline_fixture.h"
#include "tests/helpers/test_util.h"

#define N_FRAMES 3000
#define MAX_INTENTS 20000

static char jdir[256];

/* Writes the journal: books every 100 ms of data time, a trade after every third book. */
static void write_journal(void)
{
	tu_tmpdir(jdir, sizeof jdir);
	struct hat_journal j;
	struct hat_journal_opts o = { .dir = jdir, .prefix = "feed", .max_file_bytes = 0,
				      .fsync = HAT_JOURNAL_FSYNC_NEVER };
	char err[256];
	uint64_t t = 1764000000000000000ull; /* ns */
	assert_int_equal(hat_journal_open(&j, &o, t, err, sizeof err), 0);
	/* the connection opens, as in a live recording: books after it are fresh */
	const char *url = "ws://127.0.0.1:1/ws";
	assert_int_equal(hat_journal_append(&j, FEED_REC_OPEN, t, url, strlen(url), t, t / 1000000, err,
					    sizeof err), 0);
	uint64_t s = 99;
	long mid10 = 30000; /* price in tenths */
	char frame[4096];
	for (int i = 0; i < N_FRAMES; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		int step = (int)((s >> 33) % 7) - 3;
		mid10 += step;
		uint64_t ms = t / 1000000;
		int n;
		if (i % 4 == 3) {
			n = snprintf(frame, sizeof frame,
				"{\"channel\":\"trades\",\"data\":[{\"coin\":\"ETH\",\"side\":\"%s\",\"px\":\"%ld.%ld\","
				"\"sz\":\"0.%d\",\"time\":%llu,\"hash\":\"0x%064d\",\"tid\":%d,"
				"\"users\":[\"0x%040d\",\"0x%040d\"]}]}",
				step >= 0 ? "B" : "A", mid10 / 10, mid10 % 10, 1 + (int)((s >> 20) % 9),
				(unsigned long long)ms, 0, 1000 + i, 1, 2);
		} else {
			n = snprintf(frame, sizeof frame, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"ETH\",\"time\":%llu,\"levels\":[[",
				     (unsigned long long)ms);
			for (int k = 0; k < 5; k++)
				n += snprintf(frame + n, sizeof frame - (size_t)n, "%s{\"px\":\"%ld.%ld\",\"sz\":\"%d.5\",\"n\":%d}",
					      k ? "," : "", (mid10 - 1 - k) / 10, (mid10 - 1 - k) % 10,
					      1 + (int)((s >> (k * 3)) % 7), 1 + k);
			n += snprintf(frame + n, sizeof frame - (size_t)n, "],[");
			for (int k = 0; k < 5; k++)
				n += snprintf(frame + n, sizeof frame - (size_t)n, "%s{\"px\":\"%ld.%ld\",\"sz\":\"%d.5\",\"n\":%d}",
					      k ? "," : "", (mid10 + 1 + k) / 10, (mid10 + 1 + k) % 10,
					      1 + (int)((s >> (k * 3 + 15)) % 7), 1 + k);
			n += snprintf(frame + n, sizeof frame - (size_t)n, "]]}}");
		}
		assert_int_equal(hat_journal_append(&j, FEED_REC_FRAME, t, frame, (size_t)n, t, ms, err, sizeof err), 0);
		t += 100000000ull;
	}
	hat_journal_close(&j);
}

struct run_out {
	struct hat_msg_intent in[MAX_INTENTS];
	int n;
};

static pid_t spawn_stage(struct pf *f, const char *name, const char *extra1, const char *extra2,
			 const char *extra3)
{
	char bin[512], log[600];
	snprintf(bin, sizeof bin, "%s", tu_bin(name));
	snprintf(log, sizeof log, "%s/%s.log", f->dir, name);
	char *argv[] = { bin, "--config", f->config, "--log", log, (char *)extra1, (char *)extra2,
			 (char *)extra3, NULL };
	return tu_spawn(argv, NULL);
}

static void one_run(struct run_out *out)
{
	struct pf f;
	pf_setup(&f, "\"coin\": \"BTC\", \"kind\": \"mm\", \"enabled\": true\0"
		     "\"coin\": \"BTC\", \"kind\": \"mm\", \"enabled\": false\0"
		     "\"coin\": \"SOL\", \"kind\": \"taker\", \"enabled\": true\0"
		     "\"coin\": \"SOL\", \"kind\": \"taker\", \"enabled\": false\0"
		     "\"time_source\": \"wall\"\0\"time_source\": \"data\"\0");
	char err[256];
	struct hat_ring position, intent;
	assert_int_equal(hat_ring_attach(&position, f.instance, "position", HAT_RING_PRODUCER, HAT_SLOT_POSITION, 0, err, sizeof err), 0);
	assert_int_equal(hat_ring_attach(&intent, f.instance, "intent", HAT_RING_CONSUMER, HAT_SLOT_INTENT, 0, err, sizeof err), 0);
	pid_t sig = spawn_stage(&f, "signald", NULL, NULL, NULL);
	/* riskd's part: the snapshot (empty), before any market data flows */
	struct hat_msg_control c;
	memset(&c, 0, sizeof c);
	hat_msg_init(&c.h, HAT_MSG_CONTROL);
	c.cmd = HAT_CTL_SNAPSHOT_BEGIN;
	c.from_stage = HAT_STAGE_RISKD;
	assert_int_equal(hat_ring_push_msg(&position, &c.h), 0);
	c.cmd = HAT_CTL_SNAPSHOT_END;
	assert_int_equal(hat_ring_push_msg(&position, &c.h), 0);
	_Alignas(8) unsigned char buf[HAT_SLOT_INTENT];
	uint64_t end = tu_now_ms() + 10000;
	bool hello = false;
	while (!hello && tu_now_ms() < end) {
		if (hat_ring_try_pop(&intent, buf, sizeof buf) == 0)
			hello = ((struct hat_msg_hdr *)buf)->type == HAT_MSG_CONTROL;
		else
			usleep(1000);
	}
	assert_true(hello);
	usleep(200000); /* signald takes the snapshot before the replay starts */
	pid_t feed = spawn_stage(&f, "feedd", "--replay", jdir, "--max");
	out->n = 0;
	int feed_status = -1;
	uint64_t quiet_since = 0;
	end = tu_now_ms() + 60000;
	while (tu_now_ms() < end) {
		if (hat_ring_try_pop(&intent, buf, sizeof buf) == 0) {
			assert_true(out->n < MAX_INTENTS);
			memcpy(&out->in[out->n++], buf, sizeof(struct hat_msg_intent));
			quiet_since = 0;
			continue;
		}
		if (feed_status == -1)
			feed_status = tu_wait(feed, 0);
		/* feedd is done and signald has read everything and said nothing for 300 ms */
		struct hat_ring md;
		if (feed_status != -1 && hat_ring_attach(&md, f.instance, "md", HAT_RING_READER, 0, 0, err, sizeof err) == 0) {
			struct hat_ring_stats st;
			hat_ring_stats(&md, &st);
			hat_ring_detach(&md);
			if (st.used == 0) {
				if (!quiet_since)
					quiet_since = tu_now_ms();
				else if (tu_now_ms() - quiet_since > 300)
					break;
			}
		}
		usleep(1000);
	}
	assert_true(WIFEXITED(feed_status));
	assert_int_equal(WEXITSTATUS(feed_status), 0);
	int st = tu_kill_wait(sig, SIGTERM);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hat_ring_detach(&position);
	hat_ring_detach(&intent);
	pf_teardown(&f);
}

static void test_replay_gives_the_same_intents_twice(void **state)
{
	(void)state;
	write_journal();
	struct run_out *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
	one_run(a);
	one_run(b);
	/* no acks in this test, so the quoter lives on placements, pending timeouts (data time)
	 * and cancels: enough intents to compare */
	if (a->n <= 20)
		fail_msg("only %d intents in the first run", a->n);
	assert_int_equal(a->n, b->n);
	for (int i = 0; i < a->n; i++) {
		const struct hat_order_fields *x = &a->in[i].o, *y = &b->in[i].o;
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->side, y->side);
		assert_int_equal(x->tif, y->tif);
		assert_int_equal(x->flags, y->flags);
		assert_true(x->px == y->px);
		assert_true(x->sz == y->sz);
		/* the cloid differs only in its boot epoch (bytes 0..7) */
		assert_memory_equal(x->cloid + 8, y->cloid + 8, 8);
		assert_true(a->in[i].h.origin_ns == b->in[i].h.origin_ns);
	}
	free(a);
	free(b);
	tu_rmtree(jdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_gives_the_same_intents_twice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
