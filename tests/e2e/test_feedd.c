/* tests/e2e/test_feedd.c -- the feedd process end to end against the hostile loopback WebSocket
 * server (tests/helpers/ws_test_server): subscribe, books/trades/bbo on the md ring and the
 * board, malformed frames counted, outage with a server that closes at once (reconnects without
 * a busy loop, board stale, then fresh again after the new snapshot), oversize frame -> 1009,
 * SIGTERM, and record then replay giving a byte-identical md ring (all bytes but send_ns). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/board.h"
#include "common/control.h"
#include "common/msg.h"
#include "common/ring.h"
#include "common/shm.h"
#include "tests/helpers/test_util.h"
#include "tests/helpers/ws_test_server.h"

/* ---------------------------------------------------------------- the fake exchange */

static const char *book_frame(const char *coin, int k, char *buf, size_t len)
{
	snprintf(buf, len,
		 "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"%s\",\"time\":%d,\"levels\":["
		 "[{\"px\":\"%d.5\",\"sz\":\"1.25\",\"n\":3},{\"px\":\"%d\",\"sz\":\"2\",\"n\":1}],"
		 "[{\"px\":\"%d\",\"sz\":\"0.5\",\"n\":2}]]}}",
		 coin, 1700000000 + k, 65000 + k, 64990 + k, 65001 + k);
	return buf;
}

static const char *trade_frame(const char *coin, int k, char *buf, size_t len)
{
	snprintf(buf, len,
		 "{\"channel\":\"trades\",\"data\":[{\"coin\":\"%s\",\"side\":\"B\",\"px\":\"%d.5\",\"sz\":\"0.01\","
		 "\"time\":%d,\"hash\":\"0xab\",\"tid\":%d,\"users\":[\"0x1\",\"0x2\"]}]}",
		 coin, 65000 + k, 1700000000 + k, 1000 + k);
	return buf;
}

static const char *bbo_frame(const char *coin, int k, char *buf, size_t len)
{
	snprintf(buf, len,
		 "{\"channel\":\"bbo\",\"data\":{\"coin\":\"%s\",\"time\":%d,\"bbo\":[{\"px\":\"%d.5\",\"sz\":\"1\",\"n\":1},"
		 "{\"px\":\"%d\",\"sz\":\"2\",\"n\":2}]}}",
		 coin, 1700000000 + k, 65000 + k, 65001 + k);
	return buf;
}

struct exch {
	atomic_int subs;      /* subscribe messages received */
	atomic_int k;         /* frame counter for prices */
	atomic_int oversize;  /* send one frame over the limit on the next l2Book subscribe */
};

static void ex_open(struct ws_ts *s, struct ws_ts_conn *c)
{
	(void)s;
	const char *g = "Websocket connection established.";
	ws_ts_send_text(c, g, strlen(g));
}

static void ex_text(struct ws_ts *s, struct ws_ts_conn *c, const char *t, size_t n)
{
	(void)n;
	struct exch *e = s->hooks.user;
	if (!strstr(t, "\"subscribe\""))
		return;
	atomic_fetch_add(&e->subs, 1);
	char ack[300], buf[1024];
	snprintf(ack, sizeof ack, "{\"channel\":\"subscriptionResponse\",\"data\":%s}", t);
	ws_ts_send_text(c, ack, strlen(ack));
	const char *coin = strstr(t, "\"BTC\"") ? "BTC" : "ETH";
	int k = atomic_fetch_add(&e->k, 1);
	if (strstr(t, "l2Book")) {
		if (atomic_exchange(&e->oversize, 0)) {
			size_t big = 70000;
			char *p = malloc(big);
			memset(p, ' ', big);
			memcpy(p, "{\"channel\":\"l2Book\"", 19);
			ws_ts_send_text(c, p, big);
			free(p);
			return;
		}
		book_frame(coin, k, buf, sizeof buf);
	} else if (strstr(t, "trades")) {
		trade_frame(coin, k, buf, sizeof buf);
		ws_ts_send_text(c, buf, strlen(buf));
		ws_ts_send_text(c, "{not json at all", 16); /* malformed: counted, never a crash */
		const char *bad = "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\"}}";
		ws_ts_send_text(c, bad, strlen(bad));
		return;
	} else {
		bbo_frame(coin, k, buf, sizeof buf);
	}
	ws_ts_send_text(c, buf, strlen(buf));
}

/* ---------------------------------------------------------------- harness */

struct h {
	char inst[32];
	char dir[256];
	char cfg[512];
	char log[512];
	pid_t pid;
	struct hat_ring md;
	bool md_attached;
	struct hat_shm board_seg, ctl_seg;
	struct hat_board board;
	struct hat_control ctl;
};

static void write_config(struct h *h, const char *url)
{
	snprintf(h->cfg, sizeof h->cfg, "%s/hat.json", h->dir);
	FILE *f = fopen(h->cfg, "w");
	assert_non_null(f);
	fprintf(f,
		"{\"instance\":\"%s\",\"venue\":{\"kind\":\"hlsim\",\"ws\":\"%s\"},"
		"\"coins\":[\"BTC\",\"ETH\"],\"rings\":{\"md\":1024},"
		"\"paths\":{\"journal_dir\":\"%s\"},"
		"\"feedd\":{\"fetch_meta\":false,\"ping_interval_ms\":1000,\"silence_timeout_ms\":2000,"
		"\"reconnect_min_ms\":50,\"reconnect_max_ms\":400,\"min_connect_interval_ms\":100,"
		"\"stable_ms\":5000,\"connect_timeout_ms\":2000,\"max_frame_bytes\":65536,"
		"\"heartbeat_ms\":20}}\n",
		h->inst, url, h->dir);
	fclose(f);
}

static void h_init(struct h *h, const char *url)
{
	memset(h, 0, sizeof *h);
	tu_instance(h->inst, sizeof h->inst);
	tu_tmpdir(h->dir, sizeof h->dir);
	snprintf(h->log, sizeof h->log, "%s/feedd.log", h->dir);
	write_config(h, url);
}

static void h_spawn(struct h *h, const char *extra1, const char *extra2, const char *extra3)
{
	char *argv[12] = { (char *)tu_bin("feedd"), "--config", h->cfg, "--create" };
	int n = 4;
	if (extra1)
		argv[n++] = (char *)extra1;
	if (extra2)
		argv[n++] = (char *)extra2;
	if (extra3)
		argv[n++] = (char *)extra3;
	argv[n] = NULL;
	h->pid = tu_spawn(argv, h->log);
}

/* Attaches the test's view once feedd created the segments. */
static void h_attach(struct h *h)
{
	char err[256];
	uint64_t end = tu_now_ms() + 20000;
	int rc;
	while ((rc = hat_shm_open(&h->ctl_seg, h->inst, "control", HAT_SHM_KIND_CONTROL,
				  HAT_CONTROL_LAYOUT_VERSION, 0, 0, err, sizeof err)) != 0 &&
	       tu_now_ms() < end)
		usleep(10000);
	assert_int_equal(rc, 0);
	assert_int_equal(hat_control_attach_mem(&h->ctl, hat_shm_body(&h->ctl_seg),
						h->ctl_seg.size - HAT_SHM_HDR_SIZE, err, sizeof err), 0);
	assert_int_equal(hat_shm_open(&h->board_seg, h->inst, "board", HAT_SHM_KIND_BOARD,
				      HAT_BOARD_LAYOUT_VERSION, 0, 0, err, sizeof err), 0);
	assert_int_equal(hat_board_attach_mem(&h->board, hat_shm_body(&h->board_seg),
					      h->board_seg.size - HAT_SHM_HDR_SIZE, err, sizeof err), 0);
	assert_int_equal(hat_ring_attach(&h->md, h->inst, "md", HAT_RING_CONSUMER, HAT_SLOT_MD, 0, err,
					 sizeof err), 0);
	h->md_attached = true;
}

static uint64_t counter(struct h *h, const char *name)
{
	uint64_t v = 0;
	if (hat_stage_counter_find(hat_control_stage(&h->ctl, HAT_STAGE_FEEDD), name, &v) != 0)
		return 0;
	return v;
}

static int wait_counter(struct h *h, const char *name, uint64_t at_least, int timeout_ms)
{
	uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
	while (counter(h, name) < at_least && tu_now_ms() < end)
		usleep(5000);
	return counter(h, name) >= at_least ? 0 : -1;
}

static void h_fini(struct h *h)
{
	if (h->pid > 0) {
		int st = tu_kill_wait(h->pid, SIGTERM);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	if (h->md_attached)
		hat_ring_detach(&h->md);
	hat_shm_close(&h->board_seg);
	hat_shm_close(&h->ctl_seg);
	tu_shm_cleanup(h->inst);
	assert_int_equal(tu_shm_count(h->inst), 0);
	tu_rmtree(h->dir);
}

union slot {
	struct hat_msg_hdr h;
	struct hat_msg_book b;
	struct hat_msg_trade t;
	struct hat_msg_bbo bb;
	uint8_t raw[HAT_SLOT_MD];
};

/* Pops until a message of type (and coin) arrives; other messages are validated and skipped. */
static void pop_until(struct h *h, unsigned type, const char *coin, union slot *out, int timeout_ms)
{
	uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
	char err[256];
	while (tu_now_ms() < end) {
		if (hat_ring_try_pop(&h->md, out, sizeof *out) != 0) {
			usleep(2000);
			continue;
		}
		if (hat_msg_validate_on(out, HAT_SLOT_MD, HAT_MSGS_MD, err, sizeof err) != 0)
			fail_msg("invalid message from feedd: %s", err);
		if (out->h.type == type && (!coin || strcmp(out->b.coin, coin) == 0))
			return;
	}
	fail_msg("no %s for %s within %d ms", hat_msg_type_name(type), coin ? coin : "-", timeout_ms);
}

static int board_stale(struct h *h, const char *coin)
{
	int idx = hat_board_find(&h->board, coin);
	if (idx < 0)
		return -1;
	struct hat_board_quote q;
	if (hat_board_read(&h->board, (uint32_t)idx, &q) != 0)
		return -1;
	return q.stale;
}

static uint64_t cpu_ticks(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	char *s = tu_read_file(path);
	assert_non_null(s);
	char *p = strrchr(s, ')');
	unsigned long long ut = 0, stt = 0;
	/* fields after ")": state(3) ... utime(14) stime(15) */
	int n = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stt);
	free(s);
	assert_int_equal(n, 2);
	return ut + stt;
}

/* ---------------------------------------------------------------- tests */

static void test_feedd_subscribe_publish_outage_and_resync(void **state)
{
	(void)state;
	struct exch e = { 0 };
	struct ws_ts s;
	struct ws_ts_hooks hk = { .on_open = ex_open, .on_text = ex_text, .user = &e };
	assert_int_equal(ws_ts_start(&s, WS_TS_NORMAL, &hk), 0);
	atomic_store(&s.app_pong, 1);
	struct h h;
	h_init(&h, s.url);
	h_spawn(&h, NULL, NULL, NULL);
	h_attach(&h);

	/* Subscribe: 2 coins x (l2Book, trades, bbo). */
	union slot m;
	pop_until(&h, HAT_MSG_BOOK, "BTC", &m, 20000);
	assert_int_equal(m.b.flags & HAT_BOOK_SNAPSHOT, HAT_BOOK_SNAPSHOT);
	assert_int_equal(m.b.n_bids, 2);
	assert_int_equal(m.b.n_asks, 1);
	assert_true(m.b.bids[1].sz == 200000000);
	assert_true(m.h.origin_ns > 0 && m.h.send_ns >= m.h.origin_ns);
	pop_until(&h, HAT_MSG_TRADE, "BTC", &m, 10000);
	assert_int_equal(m.t.side, HAT_SIDE_BUY);
	assert_true(m.t.sz == 1000000);
	pop_until(&h, HAT_MSG_BBO, "BTC", &m, 10000);
	int64_t btc_bid = m.bb.bid.px; /* the board shows the latest of book and bbo */
	pop_until(&h, HAT_MSG_BBO, "ETH", &m, 10000);
	assert_int_equal(wait_counter(&h, "msgs.book", 2, 10000), 0);
	assert_int_equal(atomic_load(&e.subs), 6);
	char last[512];
	ws_ts_last_text(&s, last, sizeof last);
	assert_non_null(strstr(last, "\"method\":\"subscribe\""));
	/* The board has the book's top. */
	int idx = hat_board_find(&h.board, "BTC");
	assert_true(idx >= 0);
	struct hat_board_quote q;
	assert_int_equal(hat_board_read(&h.board, (uint32_t)idx, &q), 0);
	assert_true(q.bid_px == btc_bid);
	assert_int_equal(q.stale, 0);
	/* Malformed frames: counted (2 per trades subscription), never a crash. */
	assert_int_equal(wait_counter(&h, "parse_errors", 4, 10000), 0);
	assert_int_equal(wait_counter(&h, "sub_acks", 6, 10000), 0);
	/* Idle: the app ping goes out and the pong keeps the link. */
	assert_int_equal(wait_counter(&h, "pings", 1, 10000), 0);
	assert_true(atomic_load(&s.app_pings) >= 1);

	/* Outage: the server now closes every connection at once. */
	atomic_store(&s.mode, WS_TS_CLOSE_ON_ACCEPT);
	ws_ts_drop_all(&s);
	assert_int_equal(wait_counter(&h, "reconnects", 1, 10000), 0);
	uint64_t end = tu_now_ms() + 10000;
	while (board_stale(&h, "BTC") != 1 && tu_now_ms() < end)
		usleep(5000);
	assert_int_equal(board_stale(&h, "BTC"), 1);
	assert_int_equal(board_stale(&h, "ETH"), 1);
	/* During the storm feedd sleeps between attempts: few connects, little CPU. */
	int acc0 = atomic_load(&s.accepts);
	uint64_t cpu0 = cpu_ticks(h.pid);
	usleep(2000000);
	int storm = atomic_load(&s.accepts) - acc0;
	uint64_t cpu = cpu_ticks(h.pid) - cpu0;
	long hz = sysconf(_SC_CLK_TCK);
	printf("# outage: %d connection attempts and %llu cpu ticks (of %ld/s) in 2 s\n", storm,
	       (unsigned long long)cpu, hz);
	assert_true(storm >= 1 && storm <= 25);
	assert_true(cpu < (uint64_t)hz / 2); /* a busy loop would burn ~2 s */

	/* Back: reconnect, resubscribe, the fresh snapshot clears the stale mark. */
	int subs0 = atomic_load(&e.subs);
	atomic_store(&s.mode, WS_TS_NORMAL);
	pop_until(&h, HAT_MSG_BOOK, "BTC", &m, 20000);
	while (!(m.b.flags & HAT_BOOK_SNAPSHOT))
		pop_until(&h, HAT_MSG_BOOK, "BTC", &m, 20000);
	end = tu_now_ms() + 10000;
	while (board_stale(&h, "BTC") != 0 && tu_now_ms() < end)
		usleep(5000);
	assert_int_equal(board_stale(&h, "BTC"), 0);
	/* The server thread counts a subscription when it handles it: the BTC snapshot can come
	 * before it has read feedd's later subscribe frames. */
	end = tu_now_ms() + 10000;
	while (atomic_load(&e.subs) < subs0 + 6 && tu_now_ms() < end)
		usleep(5000);
	assert_true(atomic_load(&e.subs) >= subs0 + 6);

	/* Clean shutdown on SIGTERM: exit 0, stage STOPPED, the ring keeps its data. */
	int st = tu_kill_wait(h.pid, SIGTERM);
	h.pid = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	struct hat_stage_status ss;
	hat_stage_status(hat_control_stage(&h.ctl, HAT_STAGE_FEEDD), &ss);
	assert_int_equal(ss.state, HAT_STATE_STOPPED);
	h_fini(&h);
	ws_ts_stop(&s);
}

static void test_feedd_oversize_frame_closes_1009_and_reconnects(void **state)
{
	(void)state;
	struct exch e = { 0 };
	atomic_store(&e.oversize, 1);
	struct ws_ts s;
	struct ws_ts_hooks hk = { .on_open = ex_open, .on_text = ex_text, .user = &e };
	assert_int_equal(ws_ts_start(&s, WS_TS_NORMAL, &hk), 0);
	struct h h;
	h_init(&h, s.url);
	h_spawn(&h, NULL, NULL, NULL);
	h_attach(&h);
	assert_int_equal(wait_counter(&h, "oversize_closes", 1, 20000), 0);
	uint64_t end = tu_now_ms() + 5000;
	while (atomic_load(&s.last_close_code) != 1009 && tu_now_ms() < end)
		usleep(5000);
	assert_int_equal(atomic_load(&s.last_close_code), 1009);
	/* It comes back and gets its books. */
	union slot m;
	pop_until(&h, HAT_MSG_BOOK, "BTC", &m, 20000);
	assert_int_equal(wait_counter(&h, "connects", 2, 5000), 0);
	h_fini(&h);
	ws_ts_stop(&s);
}

/* Collects every message on the md ring until count stays still for quiet_ms. */
static int drain_ring(struct h *h, union slot *out, int max, int want, int timeout_ms)
{
	int n = 0;
	uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
	while (n < want && tu_now_ms() < end) {
		if (n < max && hat_ring_try_pop(&h->md, &out[n], sizeof out[n]) == 0)
			n++;
		else
			usleep(1000);
	}
	return n;
}

static void find_journal(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	out[0] = '\0';
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "feed-", 5) == 0)
			snprintf(out, len, "%s/%s", dir, de->d_name);
	closedir(d);
	assert_true(out[0] != '\0');
}

static void test_feedd_record_then_replay_is_identical(void **state)
{
	(void)state;
	struct exch e = { 0 };
	struct ws_ts s;
	struct ws_ts_hooks hk = { .on_open = ex_open, .on_text = ex_text, .user = &e };
	assert_int_equal(ws_ts_start(&s, WS_TS_NORMAL, &hk), 0);
	atomic_store(&s.app_pong, 1);
	struct h live;
	h_init(&live, s.url);
	char rec_dir[300];
	snprintf(rec_dir, sizeof rec_dir, "%s/rec", live.dir);
	assert_int_equal(mkdir(rec_dir, 0700), 0);
	h_spawn(&live, "--record", rec_dir, NULL);
	h_attach(&live);
	enum { MAXM = 256 };
	static union slot a[MAXM], b[MAXM];
	/* 2 coins: book + trade + bbo each after subscribing; then the server pushes more. */
	int na = drain_ring(&live, a, MAXM, 6, 20000);
	assert_int_equal(na, 6);
	char buf[1024];
	for (int k = 100; k < 130; k++) {
		book_frame(k % 2 ? "ETH" : "BTC", k, buf, sizeof buf);
		assert_int_equal(ws_ts_broadcast(&s, buf, strlen(buf)), 1);
		trade_frame("BTC", k, buf, sizeof buf);
		assert_int_equal(ws_ts_broadcast(&s, buf, strlen(buf)), 1);
	}
	na += drain_ring(&live, a + na, MAXM - na, 60, 20000);
	if (na != 66)
		fprintf(stderr, "live: books %llu trades %llu bbos %llu parse_errors %llu frames %llu\n",
			(unsigned long long)counter(&live, "msgs.book"), (unsigned long long)counter(&live, "msgs.trade"),
			(unsigned long long)counter(&live, "msgs.bbo"), (unsigned long long)counter(&live, "parse_errors"),
			(unsigned long long)counter(&live, "frames"));
	assert_int_equal(na, 66);
	int st = tu_kill_wait(live.pid, SIGTERM);
	live.pid = 0;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(counter(&live, "ring_full"), 0);
	char journal[600];
	find_journal(rec_dir, journal, sizeof journal); /* the first (only) file so far */

	/* feedd restarted, still recording: a second file; the ring continues. */
	h_spawn(&live, "--record", rec_dir, NULL);
	int n1 = na;
	na += drain_ring(&live, a + na, MAXM - na, 6, 20000);
	for (int k = 200; k < 205; k++) {
		trade_frame("ETH", k, buf, sizeof buf);
		assert_int_equal(ws_ts_broadcast(&s, buf, strlen(buf)), 1);
	}
	na += drain_ring(&live, a + na, MAXM - na, 5, 20000);
	assert_int_equal(na, n1 + 11);
	st = tu_kill_wait(live.pid, SIGTERM);
	live.pid = 0;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* Replaying the directory goes through both files in order: the whole ring again. */
	struct h repd;
	h_init(&repd, "ws://127.0.0.1:1/unused");
	h_spawn(&repd, "--replay", rec_dir, "--max");
	h_attach(&repd);
	int nd = drain_ring(&repd, b, MAXM, na, 20000);
	assert_int_equal(nd, na);
	st = tu_wait(repd.pid, 20000);
	repd.pid = 0;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (int i = 0; i < na; i++) {
		union slot x = a[i];
		x.h.send_ns = b[i].h.send_ns = 0;
		if (memcmp(&x, &b[i], x.h.length) != 0)
			fail_msg("message %d differs between live and directory replay", i);
	}
	h_fini(&repd);
	na = n1; /* below: the first file alone */

	/* Replay the first file into a fresh instance, as fast as the ring allows. */
	struct h rep;
	h_init(&rep, "ws://127.0.0.1:1/unused");
	h_spawn(&rep, "--replay", journal, "--max");
	h_attach(&rep);
	int nb = drain_ring(&rep, b, MAXM, na, 20000);
	st = tu_wait(rep.pid, 20000);
	if (nb != na) {
		char *log = tu_read_file(rep.log);
		fprintf(stderr, "replay log:\n%s\n", log ? log : "(none)");
		free(log);
	}
	assert_int_equal(nb, na);
	rep.pid = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0); /* replay finished cleanly */
	for (int i = 0; i < na; i++) {
		assert_int_equal(a[i].h.length, b[i].h.length);
		/* Identical except send_ns: compare with it zeroed. */
		a[i].h.send_ns = b[i].h.send_ns = 0;
		if (memcmp(&a[i], &b[i], a[i].h.length) != 0)
			fail_msg("message %d differs between live and replay (type %u seq %llu)", i,
				 a[i].h.type, (unsigned long long)a[i].h.seq);
	}
	h_fini(&rep);

	/* Paced replay (--speed): same messages. */
	struct h rep2;
	h_init(&rep2, "ws://127.0.0.1:1/unused");
	char *argv[] = { (char *)tu_bin("feedd"), "--config", rep2.cfg, "--create", "--replay", journal,
			 "--speed", "20", NULL };
	rep2.pid = tu_spawn(argv, rep2.log);
	h_attach(&rep2);
	nb = drain_ring(&rep2, b, MAXM, na, 20000);
	assert_int_equal(nb, na);
	st = tu_wait(rep2.pid, 20000);
	rep2.pid = 0;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (int i = 0; i < na; i++) {
		b[i].h.send_ns = 0;
		assert_memory_equal(&a[i], &b[i], a[i].h.length);
	}
	h_fini(&rep2);

	/* A corrupt record in the middle: every message before it, then exit code 2. */
	size_t jlen;
	FILE *jf = fopen(journal, "r+b");
	assert_non_null(jf);
	fseek(jf, 0, SEEK_END);
	jlen = (size_t)ftell(jf);
	fseek(jf, (long)(jlen / 2), SEEK_SET);
	int ch = fgetc(jf);
	fseek(jf, (long)(jlen / 2), SEEK_SET);
	fputc(ch ^ 0x40, jf);
	fclose(jf);
	struct h rep3;
	h_init(&rep3, "ws://127.0.0.1:1/unused");
	h_spawn(&rep3, "--replay", journal, "--max");
	h_attach(&rep3);
	st = tu_wait(rep3.pid, 20000);
	rep3.pid = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
	nb = drain_ring(&rep3, b, MAXM, na, 500);
	assert_true(nb > 0 && nb < na);
	for (int i = 0; i < nb; i++) {
		b[i].h.send_ns = 0;
		assert_memory_equal(&a[i], &b[i], a[i].h.length);
	}
	char *log = tu_read_file(rep3.log);
	assert_non_null(log);
	assert_non_null(strstr(log, "checksum mismatch at offset"));
	free(log);
	h_fini(&rep3);
	h_fini(&live);
	ws_ts_stop(&s);
}

static void test_feedd_sigkill_restart_continues_ring(void **state)
{
	(void)state;
	struct exch e = { 0 };
	struct ws_ts s;
	struct ws_ts_hooks hk = { .on_open = ex_open, .on_text = ex_text, .user = &e };
	assert_int_equal(ws_ts_start(&s, WS_TS_NORMAL, &hk), 0);
	atomic_store(&s.app_pong, 1);
	struct h h;
	h_init(&h, s.url);
	h_spawn(&h, NULL, NULL, NULL);
	h_attach(&h);
	struct hat_seq_check sc;
	hat_seq_check_init(&sc);
	union slot m;
	for (int i = 0; i < 6; i++) {
		pop_until(&h, i % 3 == 0 ? HAT_MSG_BOOK : i % 3 == 1 ? HAT_MSG_TRADE : HAT_MSG_BBO, NULL, &m, 20000);
		assert_int_equal(hat_seq_check(&sc, m.h.seq), 0);
	}
	/* Killed at an arbitrary moment, restarted on the same segments. */
	kill(h.pid, SIGKILL);
	assert_true(tu_wait(h.pid, 5000) != -1);
	h_spawn(&h, NULL, NULL, NULL);
	/* The new process resubscribes; its messages continue the ring's seq with no gap. */
	for (int i = 0; i < 6; i++) {
		pop_until(&h, i % 3 == 0 ? HAT_MSG_BOOK : i % 3 == 1 ? HAT_MSG_TRADE : HAT_MSG_BBO, NULL, &m, 20000);
		assert_int_equal(hat_seq_check(&sc, m.h.seq), 0);
		if (i == 0)
			assert_int_equal(m.b.flags & HAT_BOOK_SNAPSHOT, HAT_BOOK_SNAPSHOT);
	}
	assert_int_equal(sc.gaps, 0);
	assert_int_equal(sc.dups, 0);
	assert_int_equal(board_stale(&h, "BTC"), 0);
	struct hat_stage_status ss;
	hat_stage_status(hat_control_stage(&h.ctl, HAT_STAGE_FEEDD), &ss);
	assert_int_equal(ss.pid, h.pid);
	h_fini(&h);
	ws_ts_stop(&s);
}

static void test_feedd_rejects_bad_arguments_and_config(void **state)
{
	(void)state;
	struct h h;
	h_init(&h, "http://not-a-ws-url");
	char *argv[] = { (char *)tu_bin("feedd"), "--config", h.cfg, "--create", NULL };
	pid_t pid = tu_spawn(argv, h.log);
	int st = tu_wait(pid, 20000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	char *log = tu_read_file(h.log);
	assert_non_null(log);
	assert_non_null(strstr(log, "scheme must be ws:// or wss://"));
	free(log);
	char *argv2[] = { (char *)tu_bin("feedd"), "--config", h.cfg, "--max", NULL };
	pid = tu_spawn(argv2, h.log);
	st = tu_wait(pid, 20000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	/* A bad feedd key names the key. */
	FILE *f = fopen(h.cfg, "w");
	fprintf(f, "{\"instance\":\"%s\",\"coins\":[\"BTC\"],\"rings\":{\"md\":1024},"
		"\"feedd\":{\"l2_mantissa\":2}}", h.inst);
	fclose(f);
	pid = tu_spawn(argv, h.log);
	st = tu_wait(pid, 20000);
	assert_int_equal(WEXITSTATUS(st), 1);
	log = tu_read_file(h.log);
	bool named = log && strstr(log, "feedd.l2_mantissa");
	if (!named)
		fprintf(stderr, "log: %s\n", log ? log : "(none)");
	free(log);
	assert_true(named);
	h.pid = 0;
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feedd_subscribe_publish_outage_and_resync),
		cmocka_unit_test(test_feedd_oversize_frame_closes_1009_and_reconnects),
		cmocka_unit_test(test_feedd_record_then_replay_is_identical),
		cmocka_unit_test(test_feedd_sigkill_restart_continues_ring),
		cmocka_unit_test(test_feedd_rejects_bad_arguments_and_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
