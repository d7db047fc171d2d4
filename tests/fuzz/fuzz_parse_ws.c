/* tests/fuzz/fuzz_parse_ws.c -- libFuzzer target: one WebSocket frame through hl_ws_parse(),
 * then post payloads through the /exchange and /info parsers. Checks the output invariants. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/msg_types.h"
#include "hl/meta.h"
#include "hl/parse_exchange.h"
#include "hl/parse_info.h"
#include "hl/parse_ws.h"
#include "tests/fuzz/fuzz_info_parsers.h" /* fuzz_info_parsers(), CHECK() */

static void check_err(const char *err, size_t len)
{
	CHECK(memchr(err, '\0', len) != NULL);
}

static void parse_payload(const struct hl_ws_msg *m, const struct hl_meta *meta)
{
	char err[256];
	if (m->u.post.type == HL_POST_ACTION) {
		struct hl_exch_resp r;
		struct hl_exch_status st[3];
		if (hl_exchange_parse_json(m->u.post.payload, &r, st, 3, err, sizeof err) == 0)
			CHECK(r.n_statuses <= 3 && r.n_statuses <= r.total_statuses);
		check_err(err, sizeof err);
	} else if (m->u.post.type == HL_POST_INFO) {
		const cJSON *data = cJSON_GetObjectItemCaseSensitive(m->u.post.payload, "data");
		fuzz_info_parsers(data, meta, err, sizeof err);
		check_err(err, sizeof err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hl_meta meta;
	char err[256];
	hl_meta_init(&meta);
	hl_meta_add(&meta, "BTC", 0, 5, 50, 0, NULL, 0);
	hl_meta_add(&meta, "ETH", 1, 4, 50, 0, NULL, 0);
	hl_meta_add(&meta, "@107", 10107, 2, 0, HL_COIN_SPOT, NULL, 0);

	struct hat_msg_trade trades[3];
	struct hl_mid mids[3];
	struct hl_order_update orders[3];
	struct hl_fill fills[3];
	struct hl_cancel_event cancels[3];
	struct hl_ws_bufs bufs = { trades, 3, mids, 3, orders, 3, fills, 3, cancels, 3 };
	struct hl_ws_msg m;
	const char *frame = (const char *)data;

	int rc = hl_ws_parse(frame, size, 77, &meta, &bufs, &m, err, sizeof err);
	check_err(err, sizeof err);
	if (rc != 0) {
		CHECK(m.held == NULL);
	} else {
		CHECK(m.list.n <= 3 && m.list.n <= m.list.total);
		switch (m.kind) {
		case HL_WS_BOOK:
			CHECK(m.u.book.h.type == HAT_MSG_BOOK && m.u.book.h.length == sizeof m.u.book);
			CHECK(m.u.book.n_bids <= HAT_BOOK_DEPTH && m.u.book.n_asks <= HAT_BOOK_DEPTH);
			for (int i = 1; i < m.u.book.n_bids; i++)
				CHECK(m.u.book.bids[i].px < m.u.book.bids[i - 1].px);
			for (int i = 1; i < m.u.book.n_asks; i++)
				CHECK(m.u.book.asks[i].px > m.u.book.asks[i - 1].px);
			CHECK(memchr(m.u.book.coin, '\0', HAT_COIN_LEN) != NULL);
			CHECK(hl_meta_find(&meta, m.u.book.coin)->asset == m.u.book.asset);
			CHECK(hat_msg_validate(&m.u.book, sizeof m.u.book, NULL, 0) == 0);
			break;
		case HL_WS_TRADES:
			for (size_t i = 0; i < m.list.n; i++)
				CHECK(hat_msg_validate(&trades[i], sizeof trades[i], NULL, 0) == 0);
			break;
		case HL_WS_BBO:
			CHECK(hat_msg_validate(&m.u.bbo, sizeof m.u.bbo, NULL, 0) == 0);
			break;
		case HL_WS_ORDER_UPDATES:
			for (size_t i = 0; i < m.list.n; i++)
				CHECK(orders[i].status != HL_OS_NONE);
			break;
		case HL_WS_POST:
			CHECK(m.held != NULL && m.u.post.payload != NULL);
			parse_payload(&m, &meta);
			break;
		default:
			break;
		}
		hl_ws_msg_clear(&m);
	}
	/* no coin table, no buffers */
	if (hl_ws_parse(frame, size, 77, NULL, NULL, &m, NULL, 0) == 0) {
		CHECK(m.list.n == 0);
		hl_ws_msg_clear(&m);
	}
	hl_meta_deinit(&meta);
	return 0;
}
