/* tests/fuzz/fuzz_info_parsers.h -- the /info parsers' output invariants, shared by the
 * fuzz targets that reach them (fuzz_parse_info: a whole document; fuzz_parse_ws: the data of
 * a post response). Header-only: each target is one translation unit.
 *
 * Runs every hl/parse_info.h parser on doc (meta may be NULL) with room for 3 entries and
 * aborts if an accepted result breaks its invariant. err is scratch space for the parsers. */
#ifndef HAT_TESTS_FUZZ_INFO_PARSERS_H
#define HAT_TESTS_FUZZ_INFO_PARSERS_H

#include <stdbool.h>
#include <stdlib.h>

#include "common/msg_types.h"
#include "hl/meta.h"
#include "hl/parse_info.h"

#define CHECK(e) do { if (!(e)) abort(); } while (0)

static inline void fuzz_info_parsers(const cJSON *doc, const struct hl_meta *meta, char *err,
				     size_t errlen)
{
	struct hat_msg_book b;
	struct hl_mid mids[3];
	struct hl_order_info oo[3];
	struct hl_fill fills[3];
	struct hl_position pos[3];
	struct hl_clearinghouse ch;
	struct hl_order_update u;
	size_t n, total, skipped;
	bool known;
	if (hl_info_parse_l2book(doc, meta, 1, &b, err, errlen) == 0)
		CHECK(b.n_bids <= HAT_BOOK_DEPTH && b.n_asks <= HAT_BOOK_DEPTH);
	if (hl_info_parse_all_mids(doc, mids, 3, &n, &total, &skipped, err, errlen) == 0)
		CHECK(n <= 3 && n <= total);
	if (hl_info_parse_open_orders(doc, oo, 3, &n, &total, err, errlen) == 0)
		CHECK(n <= 3 && n <= total);
	if (hl_info_parse_user_fills(doc, fills, 3, &n, &total, err, errlen) == 0)
		CHECK(n <= 3 && n <= total);
	if (hl_info_parse_clearinghouse(doc, &ch, pos, 3, err, errlen) == 0)
		CHECK(ch.n_positions <= 3 && ch.n_positions <= ch.total_positions);
	if (hl_info_parse_order_status(doc, &known, &u, err, errlen) == 0 && known)
		CHECK(u.status != HL_OS_NONE);
}

#endif
