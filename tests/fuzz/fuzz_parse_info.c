/* tests/fuzz/fuzz_parse_info.c -- libFuzzer target: one JSON document through every /info
 * parser and the coin table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hl/json.h"
#include "hl/meta.h"
#include "hl/parse_info.h"
#include "tests/fuzz/fuzz_info_parsers.h" /* fuzz_info_parsers(), CHECK() */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	cJSON *root = hl_json_parse((const char *)data, size, err, sizeof err);
	CHECK(memchr(err, '\0', sizeof err) != NULL || root);
	if (!root)
		return 0;
	struct hl_meta meta;
	hl_meta_init(&meta);
	if (hl_meta_parse(&meta, root, 0, err, sizeof err) == 0) {
		for (size_t i = 0; i < meta.n; i++) {
			const struct hl_coin *c = &meta.coins[i];
			CHECK(hl_meta_by_asset(&meta, c->asset) == c);
			if (!(c->flags & HL_COIN_NAME_TOO_LONG))
				CHECK(hl_meta_find(&meta, c->name) == c);
			CHECK(c->sz_decimals <= 6 && c->max_leverage >= 1);
		}
	} else {
		CHECK(meta.n == 0);
	}
	struct hat_msg_book b;
	if (hl_info_parse_l2book(root, NULL, 1, &b, err, sizeof err) == 0)
		CHECK(b.n_bids <= HAT_BOOK_DEPTH && b.n_asks <= HAT_BOOK_DEPTH);
	fuzz_info_parsers(root, &meta, err, sizeof err);
	CHECK(memchr(err, '\0', sizeof err) != NULL);
	hl_meta_deinit(&meta);
	cJSON_Delete(root);
	return 0;
}
