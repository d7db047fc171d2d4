/* tests/fuzz/fuzz_parse_exchange.c -- libFuzzer target: /exchange response bodies. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hl/parse_exchange.h"

#define CHECK(e) do { if (!(e)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hl_exch_resp r;
	struct hl_exch_status st[3];
	char err[256];
	int rc = hl_exchange_parse((const char *)data, size, &r, st, 3, err, sizeof err);
	CHECK(memchr(err, '\0', sizeof err) != NULL);
	if (rc == 0) {
		CHECK(r.type >= HL_EXRESP_ERR && r.type <= HL_EXRESP_OTHER);
		CHECK(r.n_statuses <= 3 && r.n_statuses <= r.total_statuses);
		CHECK(memchr(r.text, '\0', sizeof r.text) != NULL);
		for (size_t i = 0; i < r.n_statuses; i++) {
			CHECK(st[i].kind >= HL_EXST_RESTING && st[i].kind <= HL_EXST_UNKNOWN);
			CHECK(memchr(st[i].text, '\0', sizeof st[i].text) != NULL);
			if (st[i].kind == HL_EXST_ERROR)
				CHECK(st[i].reason >= HAT_REASON_EXCH_TICK);
		}
	}
	/* the reason mapper on arbitrary text */
	char *text = malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
		CHECK(hl_exchange_reason(text) >= HAT_REASON_EXCH_TICK);
		free(text);
	}
	return 0;
}
