/* tests/unit/test_hatshm.c -- the shm inspector on a fixture instance with known contents:
 * ls, rings, stages, board and dump (text and JSON) against golden files, the seq check of
 * dump on an overwritten slot, message rates, and that reading never changes a ring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/board.h"
#include "common/control.h"
#include "common/err.h"
#include "common/msg.h"
#include "common/ring.h"
#include "tests/helpers/golden.h"
#include "tests/helpers/pipeline_fixture.h"
#include "tests/helpers/test_util.h"
#include "tools/hatshm/snap.h"
#include "tools/hatshm/view.h"

#define T0 1795000000000000000ull   /* realtime ns of the first message */
#define NOW (T0 + 1000000000ull)     /* "now" for ages: one second later */
#define MONO 5000000000000ull        /* monotonic "now" for heartbeats */
#define MS 1000000ull

static const char *small_rings = "\"md\": 65536\0\"md\": 64\0\"intent\": 4096\0\"intent\": 16\0"
				 "\"order\": 4096\0\"order\": 16\0\"exec\": 4096\0\"exec\": 16\0"
				 "\"position\": 4096\0\"position\": 16\0\"cmd\": 256\0\"cmd\": 16\0";

struct rig {
	struct pf f;
	struct hatshm_ctx x;
};

static void push(struct hat_ring *r, void *msg, uint64_t seq, uint64_t k)
{
	struct hat_msg_hdr *h = msg;
	h->seq = seq;
	h->origin_ns = T0 + k * MS - 500000;
	h->send_ns = T0 + k * MS;
	assert_int_equal(hat_ring_try_push(r, msg, h->length), 0);
}

static void fill_md(struct rig *g)
{
	struct hat_ring p, c;
	char err[256];
	assert_int_equal(hat_ring_attach(&p, g->f.instance, "md", HAT_RING_PRODUCER, HAT_SLOT_MD, 0,
					 err, sizeof err), 0);
	assert_int_equal(hat_ring_attach(&c, g->f.instance, "md", HAT_RING_CONSUMER, HAT_SLOT_MD, 0,
					 err, sizeof err), 0);
	struct hat_msg_book b;
	hat_msg_init(&b.h, HAT_MSG_BOOK);
	hat_coin_set(b.coin, "BTC");
	b.n_bids = b.n_asks = 2;
	b.flags = HAT_BOOK_SNAPSHOT;
	b.exch_time_ms = 1795000000000;
	b.bids[0] = (struct hat_level){ 6500000000000, 150000000, 3, 0 };
	b.bids[1] = (struct hat_level){ 6499950000000, 20000000, 1, 0 };
	b.asks[0] = (struct hat_level){ 6500100000000, 200000000, 2, 0 };
	b.asks[1] = (struct hat_level){ 6500200000000, 5000000, 1, 0 };
	push(&p, &b, 1, 0);
	struct hat_msg_trade t;
	hat_msg_init(&t.h, HAT_MSG_TRADE);
	hat_coin_set(t.coin, "BTC");
	t.side = HAT_SIDE_BUY;
	t.px = 6500050000000;
	t.sz = 1000000;
	t.tid = 77;
	t.exch_time_ms = 1795000000001;
	push(&p, &t, 2, 1);
	struct hat_msg_bbo o;
	hat_msg_init(&o.h, HAT_MSG_BBO);
	hat_coin_set(o.coin, "ETH");
	o.asset = 1;
	o.has_bid = o.has_ask = 1;
	o.bid = (struct hat_level){ 300000000000, 100000000, 1, 0 };
	o.ask = (struct hat_level){ 300010000000, 200000000, 1, 0 };
	o.exch_time_ms = 1795000000002;
	push(&p, &o, 3, 2);
	t.tid = 78;
	t.side = HAT_SIDE_SELL;
	push(&p, &t, 4, 3);
	t.tid = 79;
	push(&p, &t, 5, 4);
	unsigned char buf[HAT_SLOT_MD];
	for (int i = 0; i < 3; i++)
		assert_int_equal(hat_ring_try_pop(&c, buf, sizeof buf), 0);
	hat_ring_detach(&p);
	hat_ring_detach(&c);
}

/* position (16 slots): 18 messages, all consumed, the one at index 9 pushed with a wrong seq as
 * if a newer message had overwritten it. */
static void fill_position(struct rig *g)
{
	struct hat_ring p, c;
	char err[256];
	assert_int_equal(hat_ring_attach(&p, g->f.instance, "position", HAT_RING_PRODUCER,
					 HAT_SLOT_POSITION, 0, err, sizeof err), 0);
	assert_int_equal(hat_ring_attach(&c, g->f.instance, "position", HAT_RING_CONSUMER,
					 HAT_SLOT_POSITION, 0, err, sizeof err), 0);
	struct hat_msg_position m;
	hat_msg_init(&m.h, HAT_MSG_POSITION);
	hat_coin_set(m.coin, "BTC");
	m.trading_state = HAT_TS_ACTIVE;
	unsigned char buf[HAT_SLOT_POSITION];
	for (uint64_t i = 0; i < 18; i++) {
		m.szi = (int64_t)i * 100000;
		m.entry_px = i ? 6500000000000 : 0;
		push(&p, &m, i == 9 ? 99 : i + 1, 10 + i);
		assert_int_equal(hat_ring_try_pop(&c, buf, sizeof buf), 0);
	}
	hat_ring_detach(&p);
	hat_ring_detach(&c);
}

static void fill_control(struct rig *g)
{
	struct hat_control c;
	char err[256];
	assert_int_equal(hat_control_open(&c, g->f.instance, 0, err, sizeof err), 0);
	struct hat_stage_shm *b = hat_control_stage(&c, HAT_STAGE_RISKD);
	hat_stage_begin(b, 4242, MONO - 12 * MS, T0);
	hat_stage_set_state(b, HAT_STATE_HALTED);
	hat_stage_set_ready(b, true);
	hat_stage_note_restart(b);
	struct hat_counter k;
	assert_int_equal(hat_counter_register(b, "approved", &k), 0);
	hat_counter_add(k, 640);
	assert_int_equal(hat_counter_register(b, "fills", &k), 0);
	hat_counter_add(k, 37);
	assert_int_equal(hat_counter_register(b, "rejected", &k), 0);
	hat_counter_add(k, 26);
	struct hat_hist h;
	assert_int_equal(hat_hist_register(b, "check_ns", &h), 0);
	for (uint64_t v = 1; v <= 100; v++)
		hat_hist_record(h, v * 100);
	hat_hist_record(h, 1000000);
	hat_control_close(&c);
}

static void fill_board(struct rig *g)
{
	struct hat_board b;
	char err[256];
	assert_int_equal(hat_board_open(&b, g->f.instance, 0, err, sizeof err), 0);
	hat_board_set_writer(&b, 4242, T0);
	int btc = hat_board_add_coin(&b, "BTC", 0), eth = hat_board_add_coin(&b, "ETH", 1);
	assert_int_equal(btc, 0);
	assert_int_equal(eth, 1);
	hat_board_update_bbo(&b, 0, 6500000000000, 150000000, 6500100000000, 200000000,
			     1795000000000, T0 + 900 * MS);
	hat_board_update_trade(&b, 0, 6500050000000, 1000000, HAT_SIDE_BUY, 1795000000001,
			       T0 + 950 * MS);
	hat_board_update_bbo(&b, 1, 300000000000, 100000000, 0, 0, 1795000000002, T0);
	hat_board_set_stale(&b, 1, true, T0 + 100 * MS);
	hat_board_close(&b);
}

static int setup(void **state)
{
	struct rig *g = calloc(1, sizeof *g);
	pf_setup(&g->f, small_rings);
	snprintf(g->x.instance, sizeof g->x.instance, "%s", g->f.instance);
	g->x.cfg = &g->f.cfg;
	fill_md(g);
	fill_position(g);
	fill_control(g);
	fill_board(g);
	*state = g;
	return 0;
}

static int teardown(void **state)
{
	struct rig *g = *state;
	char inst[32];
	snprintf(inst, sizeof inst, "%s", g->f.instance);
	pf_teardown(&g->f);
	assert_int_equal(tu_shm_count(inst), 0);
	free(g);
	return 0;
}

static void test_hatshm_ls_golden(void **state)
{
	struct rig *g = *state;
	static struct hatshm_seg segs[HATSHM_MAX_SEGS];
	size_t n = hatshm_snap_segments(&g->x, segs, HATSHM_MAX_SEGS);
	assert_int_equal(n, 11);
	for (size_t i = 0; i < n; i++) {
		assert_true(segs[i].have_hdr);
		assert_int_equal(segs[i].hdr.creator_pid, getpid());
		assert_true(segs[i].creator_alive);
		segs[i].hdr.creator_pid = 4242; /* pinned for the golden file */
		segs[i].hdr.created_ns = NOW - 5000 * MS;
	}
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(hatshm_view_segments(&b, "golden", segs, n, NOW), 0);
	golden_check("hatshm_ls.ans", b.data);
	hat_buf_free(&b);
}

static void test_hatshm_ls_reports_a_missing_and_a_stray_segment(void **state)
{
	struct rig *g = *state;
	char err[256];
	assert_int_equal(hat_shm_unlink(g->f.instance, "cmd.execd", err, sizeof err), 0);
	struct hat_shm s;
	assert_int_equal(hat_shm_create(&s, g->f.instance, "zz.stray", HAT_SHM_KIND_TEST, 1, 4096,
					err, sizeof err), 0);
	hat_shm_close(&s);
	static struct hatshm_seg segs[HATSHM_MAX_SEGS];
	size_t n = hatshm_snap_segments(&g->x, segs, HATSHM_MAX_SEGS);
	assert_int_equal(n, 12);
	assert_string_equal(segs[8].name, "cmd.execd");
	assert_false(segs[8].present);
	assert_string_equal(segs[8].problem, "missing");
	assert_string_equal(segs[11].name, "zz.stray");
	assert_false(segs[11].expected);
	assert_string_equal(segs[11].problem, "not a segment of a hat instance (stray test?)");
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(hatshm_view_segments(&b, "golden", segs, n, NOW), 2);
	assert_non_null(strstr(b.data, "/hat.golden.cmd.execd        -        -    -         -             -        BAD: missing\n"));
	assert_non_null(strstr(b.data, "2 segments with problems\n"));
	hat_buf_free(&b);
	hat_shm_unlink(g->f.instance, "zz.stray", err, sizeof err);
}

static void test_hatshm_ls_reports_a_ring_sized_unlike_the_config(void **state)
{
	struct rig *g = *state;
	struct hat_config cfg = g->f.cfg;
	cfg.rings.md = 128; /* the config was changed after superd made the segments */
	struct hatshm_ctx x = g->x;
	x.cfg = &cfg;
	static struct hatshm_seg segs[HATSHM_MAX_SEGS];
	size_t n = hatshm_snap_segments(&x, segs, HATSHM_MAX_SEGS);
	assert_int_equal(n, 11);
	assert_string_equal(segs[0].name, "md");
	assert_int_equal(segs[0].rc, HAT_E_BADSIZE);
	assert_string_equal(segs[0].problem, "64 slots but the config says 128 (restart superd with "
					     "--fresh to recreate it)");
	for (size_t i = 1; i < n; i++)
		assert_int_equal(segs[i].rc, 0);
}

static void test_hatshm_rings_golden(void **state)
{
	struct rig *g = *state;
	struct hatshm_ring r[HATSHM_MAX_RINGS];
	size_t n = hatshm_snap_rings(&g->x, r, HATSHM_MAX_RINGS);
	assert_int_equal(n, 9);
	assert_string_equal(r[0].name, "md");
	assert_int_equal(r[0].st.prod, 5);
	assert_int_equal(r[0].st.cons, 3);
	assert_int_equal(r[0].st.used, 2);
	assert_int_equal(r[0].oldest_send_ns, T0 + 3 * MS);
	assert_int_equal(r[0].st.producer_pid, 0); /* detached: pid cleared */
	/* pinned: a live producer and a dead consumer, a rate for md */
	r[0].st.producer_pid = 1001;
	r[0].prod_alive = true;
	r[0].st.consumer_pid = 1002;
	r[0].cons_alive = false;
	r[0].rate = 12.5;
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(hatshm_view_rings(&b, r, n, NOW), 0);
	golden_check("hatshm_rings.ans", b.data);
	hat_buf_free(&b);
}

static void test_hatshm_rings_rate_from_two_samples(void **state)
{
	(void)state;
	struct hatshm_ring a[2], c[2];
	memset(a, 0, sizeof a);
	memset(c, 0, sizeof c);
	a[0].taken_mono_ns = 1000 * MS;
	a[0].st.prod = 100;
	c[0].taken_mono_ns = 1500 * MS;
	c[0].st.prod = 110;
	c[0].rate = c[1].rate = -1;
	a[1].rc = HAT_E_BADMAGIC; /* unreadable in the first sample: no rate */
	c[1].taken_mono_ns = 1500 * MS;
	hatshm_rings_rate(a, c, 2);
	assert_true(c[0].rate > 19.999 && c[0].rate < 20.001);
	assert_true(c[1].rate < 0);
}

static void test_hatshm_stages_golden(void **state)
{
	struct rig *g = *state;
	static struct hatshm_stages st;
	assert_int_equal(hatshm_snap_stages(&g->x, &st), 0);
	struct hatshm_stage *r = &st.s[HAT_STAGE_RISKD - 1];
	assert_int_equal(r->st.pid, 4242);
	assert_int_equal(r->st.restart_count, 1);
	assert_int_equal(r->n_counters, 3);
	assert_int_equal(r->n_hists, 1);
	assert_int_equal(r->hists[0].s.count, 101);
	r->alive = true; /* pinned: pid 4242 may or may not exist here */
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(hatshm_view_stages(&b, &st, MONO, false), 0);
	golden_check("hatshm_stages.ans", b.data);
	/* the compact view of watch: counters that are 0 and empty histograms left out */
	st.s[HAT_STAGE_FEEDD - 1].n_hists = 1;
	snprintf(st.s[HAT_STAGE_FEEDD - 1].hists[0].name, HAT_CTL_NAME_LEN, "empty_ns");
	hat_hist_snap_init(&st.s[HAT_STAGE_FEEDD - 1].hists[0].s);
	r->cvalues[1] = 0;
	hat_buf_reset(&b);
	assert_int_equal(hatshm_view_stages(&b, &st, MONO, true), 0);
	golden_check("hatshm_stages_compact.ans", b.data);
	hat_buf_free(&b);
}

static void test_hatshm_board_golden(void **state)
{
	struct rig *g = *state;
	static struct hatshm_board bd;
	assert_int_equal(hatshm_snap_board(&g->x, &bd), 0);
	assert_int_equal(bd.n, 2);
	assert_int_equal(bd.writer_pid, 4242);
	bd.writer_alive = true;
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(hatshm_view_board(&b, &bd, NOW), 0);
	golden_check("hatshm_board.ans", b.data);
	hat_buf_free(&b);
}

static void test_hatshm_dump_golden_and_reading_changes_nothing(void **state)
{
	struct rig *g = *state;
	struct hat_ring r;
	char err[256];
	assert_int_equal(hat_ring_attach(&r, g->f.instance, "md", HAT_RING_READER, HAT_SLOT_MD, 0,
					 err, sizeof err), 0);
	struct hat_ring_stats before, after;
	hat_ring_stats(&r, &before);
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(hatshm_dump(&b, "md", &r, 10, false), 0);
	golden_check("hatshm_dump_md.ans", b.data);
	hat_buf_reset(&b);
	assert_int_equal(hatshm_dump(&b, "md", &r, 2, true), 0);
	golden_check("hatshm_dump_md_json.ans", b.data);
	hat_ring_stats(&r, &after);
	assert_memory_equal(&before, &after, sizeof before);
	hat_ring_detach(&r);
	hat_buf_free(&b);
}

static void test_hatshm_dump_skips_an_overwritten_slot(void **state)
{
	struct rig *g = *state;
	struct hat_ring r;
	char err[256];
	assert_int_equal(hat_ring_attach(&r, g->f.instance, "position", HAT_RING_READER,
					 HAT_SLOT_POSITION, 0, err, sizeof err), 0);
	struct hat_buf b = HAT_BUF_INIT;
	/* 18 pushed on 16 slots: only indices 2..17 can still be there; 2 and 3 are consumed and
	 * at the overwrite frontier (16 / 8 slots); index 9 has a foreign seq */
	assert_int_equal(hatshm_dump(&b, "position", &r, 100, false), 3);
	golden_check("hatshm_dump_position.ans", b.data);
	hat_buf_reset(&b);
	assert_int_equal(hatshm_dump(&b, "position", &r, 10, true), 1);
	assert_non_null(strstr(b.data, "{\"ring\":\"position\",\"index\":9,\"skipped\":\"overwritten "
				       "(seq 99, expected 10)\"}\n"));
	hat_ring_detach(&r);
	hat_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hatshm_ls_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hatshm_ls_reports_a_missing_and_a_stray_segment,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hatshm_ls_reports_a_ring_sized_unlike_the_config,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hatshm_rings_golden, setup, teardown),
		cmocka_unit_test(test_hatshm_rings_rate_from_two_samples),
		cmocka_unit_test_setup_teardown(test_hatshm_stages_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hatshm_board_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hatshm_dump_golden_and_reading_changes_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hatshm_dump_skips_an_overwritten_slot, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
