/* tests/fuzz/fuzz_number.c -- libFuzzer target: hat_fx_parse() and the hl/wire.h rules.
 *
 * Input: decimal text. When it parses, it must format back to the same value; every rounding
 * of it (price and size, all modes, all szDecimals) must give a value its validator accepts,
 * on the right side of the input. The same bytes also go through the cloid and address parsers
 * (a success must round-trip). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/fixed.h"
#include "hl/wire.h"

#define CHECK(e) do { if (!(e)) abort(); } while (0)

static void rules(int64_t v)
{
	for (int spot = 0; spot < 2; spot++)
		for (int d = -1; d <= 9; d++) {
			char err[160];
			int rc = hl_px_check(v, d, spot, err, sizeof err);
			CHECK(memchr(err, '\0', sizeof err) != NULL);
			int64_t out;
			for (int mode = 0; mode < 3; mode++) {
				if (hl_px_round(v, d, spot, (enum hl_round)mode, &out) == 0) {
					CHECK(hl_px_check(out, d, spot, NULL, 0) == 0);
					if (mode == HL_ROUND_DOWN)
						CHECK(out <= v);
					if (mode == HL_ROUND_UP)
						CHECK(out >= v);
					if (rc == 0)
						CHECK(out == v);
				}
				if (hl_sz_round(v, d, (enum hl_round)mode, &out) == 0) {
					int64_t lot = hl_sz_lot(d);
					CHECK(lot > 0 && out % lot == 0 && out >= 0);
					if (out > 0)
						CHECK(hl_sz_check(out, d, NULL, 0) == 0);
				}
			}
			int64_t t = hl_px_tick(v, d, spot);
			CHECK(v <= 0 || hl_px_max_decimals(d, spot) < 0 || t > 0);
			(void)hl_sz_check(v, d, err, sizeof err);
		}
	char err[200];
	(void)hl_order_value_check(v, v, err, sizeof err);
	(void)hl_order_value_check(v, HAT_FX_ONE, err, sizeof err);
	CHECK(memchr(err, '\0', sizeof err) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	int64_t v = 0;
	char err[160];
	if (hat_fx_parse(s, size, &v, err, sizeof err) == 0) {
		char buf[HAT_FX_STRLEN];
		int n = hat_fx_format(v, buf, sizeof buf);
		CHECK(n > 0);
		int64_t w;
		CHECK(hat_fx_parse(buf, (size_t)n, &w, NULL, 0) == 0 && w == v);
		rules(v);
	} else {
		CHECK(memchr(err, '\0', sizeof err) != NULL);
	}
	/* raw bytes as a value too */
	if (size >= 8) {
		int64_t raw;
		memcpy(&raw, data, 8);
		rules(raw);
	}
	uint8_t c[HL_CLOID_LEN], a[HL_ADDR_LEN];
	if (hl_cloid_parse(s, size, c, err, sizeof err) == 0) {
		char out[HL_CLOID_STRLEN];
		hl_cloid_format(c, out);
		CHECK(size == HL_CLOID_STRLEN - 1 && memcmp(out, s, size) == 0);
	}
	if (hl_addr_parse(s, size, a, err, sizeof err) == 0) {
		char out[HL_ADDR_STRLEN];
		hl_addr_format(a, out);
		CHECK(size == HL_ADDR_STRLEN - 1 && strncasecmp(out, s, size) == 0);
	}
	return 0;
}
