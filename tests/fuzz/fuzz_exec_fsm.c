/* tests/fuzz/fuzz_exec_fsm.c -- libFuzzer target: the order state machine under any sequence
 * of local actions, /exchange results, stream updates and fills.
 *
 * Input: 4-byte steps {op, order id, size/param, flags}. After every step the table passes
 * exec_order_fsm_check, every event written is a valid EXEC message, and no call writes more
 * than EXEC_FSM_MAX_EVENTS events. A small table (capacity 8) exercises eviction. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "execd/order_fsm.h"

#define CHECK(e) do { if (!(e)) abort(); } while (0)
#define ONE 100000000LL

static void cloid_of(unsigned id, uint8_t c[HAT_CLOID_LEN])
{
	memset(c, 0, HAT_CLOID_LEN);
	c[0] = 0xc1;
	c[15] = (uint8_t)id;
}

static struct hat_msg_order mk(unsigned kind, unsigned id, unsigned orig, int64_t sz)
{
	struct hat_msg_order o;
	hat_msg_init(&o.h, HAT_MSG_ORDER);
	cloid_of(id, o.o.cloid);
	if (kind == HAT_INTENT_REPLACE)
		cloid_of(orig, o.o.orig_cloid);
	hat_coin_set(o.o.coin, "BTC");
	o.o.kind = (uint8_t)kind;
	o.o.side = HAT_SIDE_BUY;
	o.o.tif = HAT_TIF_GTC;
	o.o.px = 100 * ONE;
	o.o.sz = sz;
	o.risk_seq = 1;
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exec_fsm f;
	struct exec_fsm_config cfg = {.capacity = 8, .recent_tids = 4};
	char err[128];
	if (exec_fsm_init(&f, &cfg, err, sizeof err) != 0)
		abort();
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS + 1];
	uint64_t tid = 1;
	for (size_t i = 0; i + 4 <= size; i += 4) {
		unsigned op = data[i] % 12, id = data[i + 1] % 24, p = data[i + 2], fl = data[i + 3];
		int64_t sz = (int64_t)(p % 4 + 1) * ONE / 2;
		uint64_t oid = 1000 + (fl & 1 ? id : (unsigned)(p % 24));
		uint8_t c[HAT_CLOID_LEN];
		cloid_of(id, c);
		memset(ev, 0xa5, sizeof ev);
		int n = 0;
		switch (op) {
		case 0: {
			struct hat_msg_order o = mk(HAT_INTENT_NEW, id, 0, sz);
			n = exec_fsm_new(&f, &o, 1);
			CHECK(n == 0 || n == -EEXIST || n == -ENOSPC);
			n = 0;
			break;
		}
		case 1: {
			struct hat_msg_order o = mk(HAT_INTENT_CANCEL, id, 0, 0);
			n = exec_fsm_cancel(&f, &o, 1, 1, ev);
			if (n < 0)
				n = 0;
			break;
		}
		case 2: {
			struct hat_msg_order o = mk(HAT_INTENT_REPLACE, id, p % 24, sz);
			n = exec_fsm_modify(&f, &o, 1, 1, ev);
			if (n < 0)
				n = 0;
			break;
		}
		case 3: {
			struct hl_exch_status s = {0};
			s.kind = (uint8_t)(fl % 7 + 1);
			s.oid = oid;
			s.total_sz = sz;
			s.reason = s.kind == HL_EXST_ERROR ? HAT_REASON_EXCH_OTHER : 0;
			n = exec_fsm_on_order_result(&f, c, &s, 1, 1, ev);
			break;
		}
		case 4:
			n = exec_fsm_on_cancel_result(&f, c, fl & 2, HAT_REASON_EXCH_OTHER, "no", 1, 1,
						      ev);
			break;
		case 5:
			n = exec_fsm_on_modify_result(&f, c, fl & 2, oid, HAT_REASON_EXCH_OTHER, NULL, 1,
						      1, ev);
			break;
		case 6:
			n = exec_fsm_on_not_found(&f, c, 1, 1, ev);
			break;
		case 7: {
			struct hl_order_update u = {0};
			hat_coin_set(u.order.coin, "BTC");
			u.order.side = HAT_SIDE_BUY;
			u.order.has_cloid = !(fl & 4);
			memcpy(u.order.cloid, c, HAT_CLOID_LEN);
			u.order.oid = oid;
			u.status = (uint8_t)(p % 33);
			if (p % 33 == 0)
				u.status = HL_OS_UNKNOWN_TERMINAL;
			n = exec_fsm_on_order_update(&f, &u, 1, 1, ev);
			break;
		}
		case 8:
		case 9: {
			struct hl_fill fi = {0};
			hat_coin_set(fi.coin, "BTC");
			fi.side = HAT_SIDE_BUY;
			fi.has_cloid = !(fl & 4);
			memcpy(fi.cloid, c, HAT_CLOID_LEN);
			fi.oid = oid;
			fi.px = 100 * ONE;
			fi.sz = sz;
			fi.tid = fl & 8 ? tid : ++tid;
			fi.crossed = fl & 16 ? 1 : 0;
			n = exec_fsm_on_fill(&f, &fi, 1, 1, ev);
			break;
		}
		case 10: {
			struct hl_order_info info = {0};
			hat_coin_set(info.coin, "BTC");
			info.side = HAT_SIDE_SELL;
			info.has_cloid = !(fl & 4);
			memcpy(info.cloid, c, HAT_CLOID_LEN);
			info.oid = oid;
			info.limit_px = 100 * ONE;
			info.sz = sz;
			info.orig_sz = sz + (fl & 32 ? ONE : 0);
			n = exec_fsm_adopt(&f, &info, 1, 1, ev);
			if (n < 0)
				n = 0;
			break;
		}
		default: {
			uint32_t it = 0;
			struct hat_msg_exec row;
			unsigned rows = 0;
			while (exec_fsm_snapshot_next(&f, &it, 1, &row) == 1) {
				CHECK(hat_msg_validate(&row, sizeof row, err, sizeof err) == 0);
				rows++;
			}
			CHECK(rows == f.live);
			break;
		}
		}
		CHECK(n >= 0 && n <= EXEC_FSM_MAX_EVENTS);
		for (int k = 0; k < n; k++)
			CHECK(hat_msg_validate(&ev[k], sizeof ev[k], err, sizeof err) == 0);
		if (!exec_order_fsm_check(&f)) { fprintf(stderr, "step %zu op %u id %u p %u fl %u\n", i/4, op, id, p, fl); abort(); }
	}
	exec_fsm_deinit(&f);
	return 0;
}
