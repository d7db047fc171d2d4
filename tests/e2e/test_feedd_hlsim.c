/* tests/e2e/test_feedd_hlsim.c -- feedd against hlsim on loopback: subscribe, books/trades/bbo
 * on the md ring, the board and the ring's latest book equal to an /info l2Book snapshot;
 * hlsim killed mid-stream (feedd marks the board stale, retries without a busy loop) and
 * restarted on the same port (feedd reconnects, resubscribes, the fresh snapshot clears the
 * stale mark); SIGTERM. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "common/board.h"
#include "common/buf.h"
#include "common/control.h"
#include "common/msg.h"
#include "common/ring.h"
#include "hl/records.h"
#include "tests/helpers/test_util.h"

struct t {
	char inst[32], dir[256], sim_cfg[512], cfg[512], port_file[512], sim_log[512], log[512];
	unsigned port;
	pid_t sim, feed;
	struct hat_ring md;
	struct hat_board board;
	struct hat_control ctl;
	bool attached;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void start_hlsim(struct t *t, unsigned port)
{
	unlink(t->port_file);
	char portarg[16];
	snprintf(portarg, sizeof portarg, "%u", port);
	char *argv[] = { (char *)tu_bin("hlsim"), "--config", t->sim_cfg, "--port", portarg,
			 "--port-file", t->port_file, "--seed", "7", NULL };
	t->sim = tu_spawn(argv, t->sim_log);
	assert_int_equal(tu_wait_file(t->port_file, 20000), 0);
	char *s = tu_read_file(t->port_file);
	assert_non_null(s);
	t->port = (unsigned)strtoul(s, NULL, 10);
	free(s);
	assert_true(t->port > 0);
}

static void setup(struct t *t)
{
	memset(t, 0, sizeof *t);
	tu_instance(t->inst, sizeof t->inst);
	tu_tmpdir(t->dir, sizeof t->dir);
	snprintf(t->sim_cfg, sizeof t->sim_cfg, "%s/hlsim.json", t->dir);
	snprintf(t->cfg, sizeof t->cfg, "%s/hat.json", t->dir);
	snprintf(t->port_file, sizeof t->port_file, "%s/port", t->dir);
	snprintf(t->sim_log, sizeof t->sim_log, "%s/hlsim.log", t->dir);
	snprintf(t->log, sizeof t->log, "%s/feedd.log", t->dir);
	/* Slow steps so the book stays still long enough to compare it with /info. */
	write_file(t->sim_cfg,
		   "{\"mainnet\":false,\"seed\":7,\"fees\":{\"maker\":\"0.00015\",\"taker\":\"0.00045\"},"
		   "\"coins\":[{\"name\":\"BTC\",\"szDecimals\":5,\"maxLeverage\":40,\"startPx\":\"65000\",\"vol\":0.0002},"
		   "{\"name\":\"ETH\",\"szDecimals\":4,\"maxLeverage\":25,\"startPx\":\"3000\",\"vol\":0.00025}],"
		   "\"accounts\":[],"
		   "\"flow\":{\"enabled\":true,\"stepMs\":1500,\"lpLevels\":12,\"lpSpreadBps\":1.0,\"lpLevelBps\":1.0,"
		   "\"lpSizeUsd\":20000,\"takerRatePerSec\":3.0,\"takerSizeUsd\":3000,\"regimeSwitchProb\":0.0,"
		   "\"highVolMult\":1.0},\"l2PushMs\":100,\"allMidsPushMs\":1000}\n");
	start_hlsim(t, 0);
	char cfg[2048];
	snprintf(cfg, sizeof cfg,
		 "{\"instance\":\"%s\",\"venue\":{\"kind\":\"hlsim\",\"http\":\"http://127.0.0.1:%u\","
		 "\"ws\":\"ws://127.0.0.1:%u/ws\"},\"coins\":[\"BTC\",\"ETH\"],\"rings\":{\"md\":4096},"
		 "\"paths\":{\"journal_dir\":\"%s\"},"
		 "\"feedd\":{\"reconnect_min_ms\":100,\"reconnect_max_ms\":500,\"min_connect_interval_ms\":100,"
		 "\"heartbeat_ms\":20}}\n",
		 t->inst, t->port, t->port, t->dir);
	write_file(t->cfg, cfg);
	char *argv[] = { (char *)tu_bin("feedd"), "--config", t->cfg, "--create", NULL };
	t->feed = tu_spawn(argv, t->log);
	char err[256];
	uint64_t end = tu_now_ms() + 20000;
	int rc;
	while ((rc = hat_control_open(&t->ctl, t->inst, 0, err, sizeof err)) != 0 && tu_now_ms() < end)
		usleep(10000);
	assert_int_equal(rc, 0);
	/* The control segment is made first; wait until feedd attached everything. */
	end = tu_now_ms() + 20000;
	struct hat_stage_status ss = { 0 };
	do {
		usleep(10000);
		hat_stage_status(hat_control_stage(&t->ctl, HAT_STAGE_FEEDD), &ss);
	} while (ss.pid != t->feed && tu_now_ms() < end);
	assert_int_equal(hat_board_open(&t->board, t->inst, HAT_SHM_RDONLY, err, sizeof err), 0);
	assert_int_equal(hat_ring_attach(&t->md, t->inst, "md", HAT_RING_CONSUMER, HAT_SLOT_MD, 0, err,
					 sizeof err), 0);
	t->attached = true;
}

static void teardown(struct t *t)
{
	if (t->feed > 0) {
		int st = tu_kill_wait(t->feed, SIGTERM);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	if (t->sim > 0)
		tu_kill_wait(t->sim, SIGTERM);
	if (t->attached) {
		hat_ring_detach(&t->md);
		hat_board_close(&t->board);
		hat_control_close(&t->ctl);
	}
	tu_shm_cleanup(t->inst);
	assert_int_equal(tu_shm_count(t->inst), 0);
	tu_rmtree(t->dir);
}

union slot {
	struct hat_msg_hdr h;
	struct hat_msg_book b;
	struct hat_msg_trade t;
	struct hat_msg_bbo bb;
	uint8_t raw[HAT_SLOT_MD];
};

/* Pops one message (validated); returns false if none came within timeout_ms. */
static bool pop(struct t *t, union slot *m, int timeout_ms)
{
	uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
	char err[256];
	do {
		if (hat_ring_try_pop(&t->md, m, sizeof *m) == 0) {
			if (hat_msg_validate_on(m, HAT_SLOT_MD, HAT_MSGS_MD, err, sizeof err) != 0)
				fail_msg("invalid message from feedd: %s", err);
			return true;
		}
		usleep(1000);
	} while (tu_now_ms() < end);
	return false;
}

static size_t curl_sink(char *p, size_t sz, size_t n, void *user)
{
	hat_buf_append(user, p, sz * n);
	return sz * n;
}

/* POST /info {"type":"l2Book","coin":coin} and parse the answer into a BOOK message. */
static int info_book(struct t *t, const char *coin, struct hat_msg_book *out)
{
	char url[64], body[96];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/info", t->port);
	snprintf(body, sizeof body, "{\"type\":\"l2Book\",\"coin\":\"%s\"}", coin);
	CURL *c = curl_easy_init();
	struct hat_buf b = HAT_BUF_INIT;
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	CURLcode cc = curl_easy_perform(c);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	int rc = -1;
	if (cc == CURLE_OK && b.len) {
		cJSON *j = cJSON_ParseWithLength(b.data, b.len);
		char err[256];
		struct hl_jpath p = HL_JPATH_ROOT("l2Book");
		if (j && hl_book_parse(j, &p, NULL, 0, out, err, sizeof err) == 0)
			rc = 0;
		else
			fprintf(stderr, "# /info l2Book: %s\n", j ? err : "bad JSON");
		cJSON_Delete(j);
	}
	hat_buf_free(&b);
	return rc;
}

static bool same_levels(const struct hat_msg_book *a, const struct hat_msg_book *b)
{
	if (a->n_bids != b->n_bids || a->n_asks != b->n_asks)
		return false;
	for (int i = 0; i < a->n_bids; i++)
		if (a->bids[i].px != b->bids[i].px || a->bids[i].sz != b->bids[i].sz || a->bids[i].n != b->bids[i].n)
			return false;
	for (int i = 0; i < a->n_asks; i++)
		if (a->asks[i].px != b->asks[i].px || a->asks[i].sz != b->asks[i].sz || a->asks[i].n != b->asks[i].n)
			return false;
	return true;
}

static int board_quote(struct t *t, const char *coin, struct hat_board_quote *q)
{
	int idx = hat_board_find(&t->board, coin);
	return idx < 0 ? idx : hat_board_read(&t->board, (uint32_t)idx, q);
}

static uint64_t counter(struct t *t, const char *name)
{
	uint64_t v = 0;
	hat_stage_counter_find(hat_control_stage(&t->ctl, HAT_STAGE_FEEDD), name, &v);
	return v;
}

static uint64_t cpu_ticks(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	char *s = tu_read_file(path);
	assert_non_null(s);
	unsigned long long ut = 0, stt = 0;
	int n = sscanf(strrchr(s, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stt);
	free(s);
	assert_int_equal(n, 2);
	return ut + stt;
}

/* Waits for a BTC book with the SNAPSHOT flag; counts what else passes by. */
static void wait_snapshot(struct t *t, const char *coin, int *trades, int *bbos)
{
	union slot m;
	uint64_t end = tu_now_ms() + 20000;
	while (tu_now_ms() < end) {
		if (!pop(t, &m, 100))
			continue;
		if (m.h.type == HAT_MSG_TRADE)
			(*trades)++;
		else if (m.h.type == HAT_MSG_BBO)
			(*bbos)++;
		else if (strcmp(m.b.coin, coin) == 0 && (m.b.flags & HAT_BOOK_SNAPSHOT))
			return;
	}
	fail_msg("no %s snapshot book within 20 s", coin);
}

static void test_feedd_hlsim_books_match_info_and_survive_restart(void **state)
{
	(void)state;
	struct t t;
	setup(&t);
	int trades = 0, bbos = 0;
	wait_snapshot(&t, "BTC", &trades, &bbos);
	/* feedd got the coin table from /info meta: md messages and the board carry asset ids. */
	struct hat_board_quote q0;
	assert_int_equal(board_quote(&t, "ETH", &q0), 0);
	assert_int_equal(q0.asset, 1);

	/* The latest BTC book on the ring equals /info's snapshot (retry: the flow moves it). */
	bool matched = false;
	union slot m;
	struct hat_msg_book last = { 0 }, info;
	uint64_t end = tu_now_ms() + 30000;
	while (!matched && tu_now_ms() < end) {
		while (pop(&t, &m, 0)) {
			if (m.h.type == HAT_MSG_TRADE)
				trades++;
			else if (m.h.type == HAT_MSG_BBO)
				bbos++;
			else if (strcmp(m.b.coin, "BTC") == 0)
				last = m.b;
			assert_int_equal(m.b.asset, strcmp(m.b.coin, "BTC") == 0 ? 0 : 1);
		}
		usleep(150000); /* let a push after the last change arrive */
		while (pop(&t, &m, 0)) {
			if (m.h.type == HAT_MSG_BOOK && strcmp(m.b.coin, "BTC") == 0)
				last = m.b;
			else if (m.h.type == HAT_MSG_TRADE)
				trades++;
		}
		if (last.n_bids && info_book(&t, "BTC", &info) == 0 && same_levels(&last, &info)) {
			struct hat_board_quote q;
			assert_int_equal(board_quote(&t, "BTC", &q), 0);
			/* The board shows the latest top (from this book or a bbo as new as it). */
			if (q.bid_px == info.bids[0].px && q.ask_px == info.asks[0].px) {
				assert_int_equal(q.stale, 0);
				matched = true;
			}
		}
	}
	assert_true(matched);
	end = tu_now_ms() + 20000;
	while ((trades == 0 || bbos == 0) && tu_now_ms() < end)
		if (pop(&t, &m, 100))
			trades += m.h.type == HAT_MSG_TRADE, bbos += m.h.type == HAT_MSG_BBO;
	assert_true(trades > 0);
	assert_true(bbos > 0);
	printf("# before the outage: %d trades, %d bbos\n", trades, bbos);

	/* hlsim dies: feedd marks the board stale and retries without spinning. */
	kill(t.sim, SIGKILL);
	assert_true(tu_wait(t.sim, 5000) != -1);
	t.sim = 0;
	struct hat_board_quote q;
	end = tu_now_ms() + 10000;
	do {
		usleep(5000);
		assert_int_equal(board_quote(&t, "BTC", &q), 0);
	} while (!q.stale && tu_now_ms() < end);
	assert_int_equal(q.stale, 1);
	uint64_t c0 = counter(&t, "connects"), cpu0 = cpu_ticks(t.feed);
	usleep(2000000);
	uint64_t attempts = counter(&t, "connects") - c0, cpu = cpu_ticks(t.feed) - cpu0;
	long hz = sysconf(_SC_CLK_TCK);
	printf("# outage: %llu connection attempts, %llu cpu ticks (of %ld/s) in 2 s\n",
	       (unsigned long long)attempts, (unsigned long long)cpu, hz);
	assert_true(attempts >= 1 && attempts <= 25);
	assert_true(cpu < (uint64_t)hz / 2);

	/* hlsim is back on the same port: reconnect, resubscribe, fresh snapshot. */
	start_hlsim(&t, t.port);
	wait_snapshot(&t, "BTC", &trades, &bbos);
	end = tu_now_ms() + 10000;
	do {
		usleep(5000);
		assert_int_equal(board_quote(&t, "BTC", &q), 0);
	} while (q.stale && tu_now_ms() < end);
	assert_int_equal(q.stale, 0);
	assert_true(counter(&t, "reconnects") >= 1);
	assert_int_equal(counter(&t, "parse_errors"), 0);
	teardown(&t);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feedd_hlsim_books_match_info_and_survive_restart),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
