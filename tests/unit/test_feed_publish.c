/* tests/unit/test_feed_publish.c -- feedd's publisher: direct pushes, board updates, ring-full
 * coalescing (latest book per coin wins), trade FIFO with counted drops, ordered flush. */
#include <errno.h>
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
#include "common/msg.h"
#include "common/ring.h"
#include "feedd/publish.h"
#include "tests/helpers/test_util.h"

struct fx {
	char inst[32];
	struct hat_ring prod, cons;
	void *board_mem;
	struct hat_board board;
	void *ctl_mem;
	struct hat_control ctl;
	struct feed_pub pub;
};

static const char *const COINS[] = { "BTC", "ETH" };

static void fx_init(struct fx *f, uint32_t slots, uint32_t tq)
{
	char err[256] = "";
	tu_instance(f->inst, sizeof f->inst);
	assert_int_equal(hat_ring_create(f->inst, "md", slots, HAT_SLOT_MD, 0, err, sizeof err), 0);
	assert_int_equal(hat_ring_attach(&f->prod, f->inst, "md", HAT_RING_PRODUCER, HAT_SLOT_MD, 0, err, sizeof err), 0);
	assert_int_equal(hat_ring_attach(&f->cons, f->inst, "md", HAT_RING_CONSUMER, HAT_SLOT_MD, 0, err, sizeof err), 0);
	size_t bl = hat_board_shm_size(8);
	f->board_mem = aligned_alloc(64, bl);
	assert_int_equal(hat_board_init_mem(&f->board, f->board_mem, bl, 8, getpid(), 1), 0);
	size_t cl = (hat_control_shm_size() + 63) & ~(size_t)63;
	f->ctl_mem = aligned_alloc(64, cl);
	assert_int_equal(hat_control_init_mem(&f->ctl, f->ctl_mem, cl, 1), 0);
	const uint32_t assets[] = { 0, 1 };
	assert_int_equal(feed_pub_init(&f->pub, &f->prod, &f->board, COINS, assets, 2, tq, err, sizeof err), 0);
	assert_int_equal(hat_hist_register(hat_control_stage(&f->ctl, HAT_STAGE_FEEDD), "frame_to_ring_ns",
					   &f->pub.lat), 0);
}

static void fx_fini(struct fx *f)
{
	feed_pub_deinit(&f->pub);
	hat_ring_detach(&f->prod);
	hat_ring_detach(&f->cons);
	hat_ring_unlink(f->inst, "md", NULL, 0);
	free(f->board_mem);
	free(f->ctl_mem);
	assert_int_equal(tu_shm_count(f->inst), 0);
}

static struct hat_msg_book book(const char *coin, int64_t bid, uint64_t t, uint8_t flags)
{
	struct hat_msg_book b;
	hat_msg_init(&b.h, HAT_MSG_BOOK);
	hat_coin_set(b.coin, coin);
	b.h.origin_ns = 1000 + t;
	b.n_bids = b.n_asks = 1;
	b.bids[0] = (struct hat_level){ bid, 100000000, 1, 0 };
	b.asks[0] = (struct hat_level){ bid + 100000000, 200000000, 2, 0 };
	b.exch_time_ms = t;
	b.flags = flags;
	return b;
}

static struct hat_msg_trade trade(const char *coin, uint64_t tid)
{
	struct hat_msg_trade m;
	hat_msg_init(&m.h, HAT_MSG_TRADE);
	hat_coin_set(m.coin, coin);
	m.h.origin_ns = 5000 + tid;
	m.side = HAT_SIDE_BUY;
	m.px = 6500000000000LL;
	m.sz = 1000000;
	m.tid = tid;
	m.exch_time_ms = tid;
	return m;
}

static void pop(struct fx *f, void *out)
{
	assert_int_equal(hat_ring_try_pop(&f->cons, out, HAT_SLOT_MD), 0);
	char err[256];
	if (hat_msg_validate_on(out, HAT_SLOT_MD, HAT_MSGS_MD, err, sizeof err) != 0)
		fail_msg("invalid message on md: %s", err);
}

static void test_publish_direct_and_board(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f, 8, 4);
	struct hat_msg_book b = book("ETH", 300000000000LL, 7, HAT_BOOK_SNAPSHOT);
	assert_int_equal(feed_pub_book(&f.pub, 1, &b, 99), 0);
	struct hat_msg_trade t = trade("ETH", 11);
	assert_int_equal(feed_pub_trade(&f.pub, 1, &t, 100), 0);
	assert_int_equal(feed_pub_backlog(&f.pub), 0);
	union { struct hat_msg_hdr h; struct hat_msg_book b; struct hat_msg_trade t; uint8_t raw[HAT_SLOT_MD]; } u;
	pop(&f, &u);
	assert_int_equal(u.h.type, HAT_MSG_BOOK);
	assert_true(u.h.seq == 1);
	assert_true(u.h.origin_ns == 1007);
	assert_true(u.h.send_ns > 0);
	assert_int_equal(u.b.flags, HAT_BOOK_SNAPSHOT);
	pop(&f, &u);
	assert_int_equal(u.h.type, HAT_MSG_TRADE);
	assert_true(u.h.seq == 2 && u.t.tid == 11);
	struct hat_board_quote q;
	assert_int_equal(hat_board_read(&f.board, 1, &q), 0);
	assert_string_equal(q.coin, "ETH");
	assert_true(q.bid_px == 300000000000LL && q.ask_px == 300100000000LL);
	assert_true(q.last_px == 6500000000000LL && q.n_trade == 1 && q.n_book == 1);
	assert_int_equal(q.stale, 0);
	feed_pub_set_stale(&f.pub, 1, true, 200);
	assert_int_equal(hat_board_read(&f.board, 1, &q), 0);
	assert_int_equal(q.stale, 1);
	/* A bbo for a coin that is not fresh reaches the ring but not the board. */
	struct hat_msg_bbo bb;
	hat_msg_init(&bb.h, HAT_MSG_BBO);
	hat_coin_set(bb.coin, "ETH");
	bb.has_bid = 1;
	bb.bid = (struct hat_level){ 1, 1, 1, 0 };
	assert_int_equal(feed_pub_bbo(&f.pub, 1, &bb, false, 300), 0);
	assert_int_equal(hat_board_read(&f.board, 1, &q), 0);
	assert_int_equal(q.stale, 1);
	assert_true(q.bid_px == 300000000000LL);
	pop(&f, &u);
	assert_int_equal(u.h.type, HAT_MSG_BBO);
	assert_int_equal(f.pub.st.pushed_book, 1);
	assert_int_equal(f.pub.st.pushed_trade, 1);
	assert_int_equal(f.pub.st.pushed_bbo, 1);
	struct hat_hist_snap hs;
	hat_hist_snapshot(f.pub.lat.h, &hs);
	assert_int_equal(hs.count, 3);
	assert_int_equal(feed_pub_book(&f.pub, 2, &b, 1), -EINVAL);
	fx_fini(&f);
}

static void test_publish_ring_full_coalesces_and_queues(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f, 4, 2);
	for (int i = 0; i < 4; i++) {
		struct hat_msg_book b = book("BTC", 100 + i, (uint64_t)i, 0);
		assert_int_equal(feed_pub_book(&f.pub, 0, &b, 1), 0);
	}
	assert_int_equal(f.pub.st.ring_full, 0);
	/* Ring full now. Books for BTC coalesce; the first one waiting had the SNAPSHOT flag. */
	struct hat_msg_book b5 = book("BTC", 105, 5, HAT_BOOK_SNAPSHOT);
	struct hat_msg_book b6 = book("BTC", 106, 6, 0);
	struct hat_msg_book e1 = book("ETH", 201, 7, 0);
	assert_int_equal(feed_pub_book(&f.pub, 0, &b5, 1), 0);
	assert_int_equal(feed_pub_book(&f.pub, 0, &b6, 1), 0);
	assert_int_equal(feed_pub_book(&f.pub, 1, &e1, 1), 0);
	struct hat_msg_trade t1 = trade("BTC", 1), t2 = trade("ETH", 2), t3 = trade("BTC", 3);
	assert_int_equal(feed_pub_trade(&f.pub, 0, &t1, 1), 0);
	assert_int_equal(feed_pub_trade(&f.pub, 1, &t2, 1), 0);
	assert_int_equal(feed_pub_trade(&f.pub, 0, &t3, 1), -ENOBUFS);
	assert_int_equal(f.pub.st.books_coalesced, 1);
	assert_int_equal(f.pub.st.trades_queued, 2);
	assert_int_equal(f.pub.st.trades_dropped, 1);
	assert_true(f.pub.st.ring_full >= 4);
	assert_int_equal(feed_pub_backlog(&f.pub), 4); /* 2 trades + BTC book + ETH book */
	/* The board saw everything at once. */
	struct hat_board_quote q;
	assert_int_equal(hat_board_read(&f.board, 0, &q), 0);
	assert_true(q.bid_px == 106 && q.n_book == 6 && q.n_trade == 2);
	/* Nothing moves while the ring stays full. */
	assert_int_equal(feed_pub_flush(&f.pub), 0);
	union { struct hat_msg_hdr h; struct hat_msg_book b; struct hat_msg_trade t; uint8_t raw[HAT_SLOT_MD]; } u;
	for (int i = 0; i < 4; i++) {
		pop(&f, &u);
		assert_true(u.b.bids[0].px == 100 + i && u.h.seq == (uint64_t)i + 1);
	}
	/* Room again: the trades first, in order, then the latest book per coin. */
	assert_int_equal(feed_pub_flush(&f.pub), 4);
	assert_int_equal(feed_pub_backlog(&f.pub), 0);
	pop(&f, &u);
	assert_true(u.h.type == HAT_MSG_TRADE && u.t.tid == 1 && u.h.seq == 5);
	pop(&f, &u);
	assert_true(u.h.type == HAT_MSG_TRADE && u.t.tid == 2 && u.h.seq == 6);
	pop(&f, &u);
	assert_true(u.h.type == HAT_MSG_BOOK && u.b.bids[0].px == 106 && u.h.seq == 7);
	assert_int_equal(u.b.flags, HAT_BOOK_SNAPSHOT);
	assert_true(u.h.origin_ns == 1006); /* the newer book's own receive time */
	pop(&f, &u);
	assert_true(u.h.type == HAT_MSG_BOOK && u.b.bids[0].px == 201 && u.h.seq == 8);
	assert_int_equal(hat_ring_try_pop(&f.cons, &u, HAT_SLOT_MD), -EAGAIN);
	fx_fini(&f);
}

static void test_publish_partial_flush_keeps_order(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f, 2, 8);
	struct hat_msg_trade t[6];
	for (int i = 0; i < 6; i++) {
		t[i] = trade("ETH", (uint64_t)i + 1);
		assert_int_equal(feed_pub_trade(&f.pub, 1, &t[i], 1), 0);
	}
	union { struct hat_msg_hdr h; struct hat_msg_trade t; uint8_t raw[HAT_SLOT_MD]; } u;
	uint64_t want = 1;
	while (want <= 6) {
		pop(&f, &u);
		assert_true(u.t.tid == want && u.h.seq == want);
		want++;
		feed_pub_flush(&f.pub);
	}
	assert_int_equal(f.pub.st.trades_dropped, 0);
	assert_int_equal(f.pub.st.pushed_trade, 6);
	fx_fini(&f);
}

static void test_publish_frame_trades_together(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f, 4, 8);
	struct hat_msg_trade t[3] = { trade("ETH", 1), trade("BTC", 2), trade("ETH", 3) };
	const uint32_t idx[3] = { 1, 0, 1 };
	const uint32_t bad[3] = { 1, 2, 1 };
	assert_int_equal(feed_pub_trades(&f.pub, bad, t, 3, 9), -EINVAL);
	assert_int_equal(hat_ring_count(&f.cons), 0);
	assert_int_equal(feed_pub_trades(&f.pub, idx, t, 3, 9), 0);
	assert_int_equal(hat_ring_count(&f.cons), 3);
	assert_int_equal(f.pub.st.pushed_trade, 3);
	struct hat_board_quote q;
	assert_int_equal(hat_board_read(&f.board, 1, &q), 0);
	assert_int_equal(q.n_trade, 2);
	union { struct hat_msg_hdr h; struct hat_msg_trade t; uint8_t raw[HAT_SLOT_MD]; } u;
	for (uint64_t k = 0; k < 3; k++) {
		pop(&f, &u);
		assert_true(u.t.tid == k + 1 && u.h.seq == k + 1 && u.h.send_ns > 0);
	}
	/* Room for 4, 5 trades: 4 go out at once, the fifth waits and follows in order. */
	struct hat_msg_trade m[5];
	uint32_t ix[5];
	for (int k = 0; k < 5; k++) {
		m[k] = trade("BTC", 10 + (uint64_t)k);
		ix[k] = 0;
	}
	assert_int_equal(feed_pub_trades(&f.pub, ix, m, 5, 9), 0);
	assert_int_equal(hat_ring_count(&f.cons), 4);
	assert_int_equal(feed_pub_backlog(&f.pub), 1);
	assert_int_equal(f.pub.st.trades_queued, 1);
	for (uint64_t k = 0; k < 4; k++) {
		pop(&f, &u);
		assert_true(u.t.tid == 10 + k && u.h.seq == 4 + k);
	}
	assert_int_equal(feed_pub_flush(&f.pub), 1);
	pop(&f, &u);
	assert_true(u.t.tid == 14 && u.h.seq == 8);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_direct_and_board),
		cmocka_unit_test(test_publish_ring_full_coalesces_and_queues),
		cmocka_unit_test(test_publish_partial_flush_keeps_order),
		cmocka_unit_test(test_publish_frame_trades_together),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
