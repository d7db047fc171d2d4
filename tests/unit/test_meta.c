/* tests/unit/test_meta.c -- the coin table from a meta response. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "hl/meta.h"

/* Section 2.1's example. */
static const char meta_doc[] =
	"{\"universe\": ["
	" {\"name\": \"BTC\",  \"szDecimals\": 5, \"maxLeverage\": 50},"
	" {\"name\": \"ETH\",  \"szDecimals\": 4, \"maxLeverage\": 50},"
	" {\"name\": \"HPOS\", \"szDecimals\": 0, \"maxLeverage\": 3, \"onlyIsolated\": true},"
	" {\"name\": \"LOOM\", \"szDecimals\": 1, \"maxLeverage\": 3, \"isDelisted\": true,"
	"  \"marginMode\": \"strictIsolated\", \"onlyIsolated\": true}"
	"],"
	"\"marginTables\": [[50, {\"description\": \"\", \"marginTiers\": [{\"lowerBound\": \"0.0\", \"maxLeverage\": 50}]}]]}";

static void test_meta_parses_doc_example(void **state)
{
	(void)state;
	struct hl_meta m;
	char err[160] = "";
	assert_int_equal(hl_meta_init(&m), 0);
	assert_int_equal(hl_meta_parse_text(&m, meta_doc, strlen(meta_doc), 0, err, sizeof err), 0);
	assert_int_equal(m.n, 4);
	const struct hl_coin *c = hl_meta_find(&m, "BTC");
	assert_non_null(c);
	assert_int_equal(c->asset, 0);
	assert_int_equal(c->sz_decimals, 5);
	assert_int_equal(c->max_leverage, 50);
	assert_int_equal(c->flags, 0);
	c = hl_meta_find(&m, "ETH");
	assert_int_equal(c->asset, 1);
	assert_int_equal(c->sz_decimals, 4);
	c = hl_meta_find(&m, "HPOS");
	assert_int_equal(c->asset, 2);
	assert_int_equal(c->flags, HL_COIN_ONLY_ISOLATED);
	c = hl_meta_find(&m, "LOOM"); /* delisted keeps its slot */
	assert_int_equal(c->asset, 3);
	assert_int_equal(c->sz_decimals, 1);
	assert_int_equal(c->flags, HL_COIN_DELISTED | HL_COIN_ONLY_ISOLATED);
	assert_ptr_equal(hl_meta_by_asset(&m, 3), c);
	assert_string_equal(hl_meta_by_asset(&m, 0)->name, "BTC");
	assert_null(hl_meta_by_asset(&m, 4));
	assert_null(hl_meta_find(&m, "SOL"));
	assert_null(hl_meta_find(&m, "BT"));
	assert_null(hl_meta_find(&m, "BTCX"));
	assert_null(hl_meta_find(&m, ""));
	assert_non_null(hl_meta_find_n(&m, "BTCX", 3));
	assert_false(hl_coin_is_spot(c));
	hl_meta_deinit(&m);
}

static void test_meta_asset_base_and_add(void **state)
{
	(void)state;
	struct hl_meta m;
	char err[160] = "";
	hl_meta_init(&m);
	const char *doc = "{\"universe\":[{\"name\":\"xyz:TSLA\",\"szDecimals\":3,\"maxLeverage\":10}]}";
	assert_int_equal(hl_meta_parse_text(&m, doc, strlen(doc), 110000, err, sizeof err), 0);
	assert_int_equal(hl_meta_find(&m, "xyz:TSLA")->asset, 110000);
	assert_non_null(hl_meta_by_asset(&m, 110000));
	assert_null(hl_meta_by_asset(&m, 0));
	assert_int_equal(hl_meta_add(&m, "PURR/USDC", 10000, 0, 0, HL_COIN_SPOT, err, sizeof err), 0);
	assert_int_equal(hl_meta_add(&m, "@107", 10107, 2, 0, HL_COIN_SPOT, err, sizeof err), 0);
	const struct hl_coin *c = hl_meta_by_asset(&m, 10107);
	assert_non_null(c);
	assert_string_equal(c->name, "@107");
	assert_true(hl_coin_is_spot(c));
	assert_int_equal(hl_meta_add(&m, "@107", 10200, 2, 0, HL_COIN_SPOT, err, sizeof err), -EEXIST);
	assert_int_equal(hl_meta_add(&m, "@108", 10107, 2, 0, HL_COIN_SPOT, err, sizeof err), -EEXIST);
	assert_string_equal(err, "coin \"@108\" (asset 10107): name or asset already present");
	assert_int_equal(hl_meta_add(&m, "ABCDEFGHIJKLMNOP", 5, 2, 1, 0, err, sizeof err), -EINVAL);
	assert_string_equal(err, "coin \"ABCDEFGHIJKLMNOP\": name must be 1..15 bytes");
	assert_int_equal(hl_meta_add(&m, "X", 5, 9, 1, 0, err, sizeof err), -EINVAL);
	assert_string_equal(err, "coin \"X\": szDecimals out of range 0..8");
	assert_int_equal(hl_meta_add(&m, "X", 5, 1, 1, HL_COIN_NAME_TOO_LONG, err, sizeof err), -EINVAL);
	hl_meta_deinit(&m);
}

/* Growth past the initial sizes keeps every lookup right. */
static void test_meta_many_coins(void **state)
{
	(void)state;
	struct hl_meta m;
	char err[160], name[16];
	hl_meta_init(&m);
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof name, "C%d", i);
		assert_int_equal(hl_meta_add(&m, name, (uint32_t)(20000 + i), i % 6, 1 + i % 50, 0, err,
					     sizeof err), 0);
	}
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof name, "C%d", i);
		const struct hl_coin *c = hl_meta_find(&m, name);
		assert_non_null(c);
		assert_int_equal(c->asset, 20000 + i);
		assert_int_equal(c->sz_decimals, i % 6);
		assert_ptr_equal(hl_meta_by_asset(&m, (uint32_t)(20000 + i)), c);
	}
	hl_meta_clear(&m);
	assert_null(hl_meta_find(&m, "C1"));
	assert_int_equal(m.n, 0);
	hl_meta_deinit(&m);
}

static void expect_meta_error(const char *doc, int rc, const char *want)
{
	struct hl_meta m;
	char err[200] = "";
	hl_meta_init(&m);
	assert_int_equal(hl_meta_add(&m, "OLD", 0, 1, 1, 0, err, sizeof err), 0);
	int got = hl_meta_parse_text(&m, doc, strlen(doc), 0, err, sizeof err);
	if (got != rc)
		fail_msg("%s: rc %d, want %d (%s)", doc, got, rc, err);
	assert_string_equal(err, want);
	assert_int_equal(m.n, 0); /* left empty */
	assert_null(hl_meta_find(&m, "OLD"));
	hl_meta_deinit(&m);
}

static void test_meta_rejects_bad_input(void **state)
{
	(void)state;
	expect_meta_error("", HAT_E_PARSE, "meta: empty input");
	expect_meta_error("{\"universe\":[", HAT_E_PARSE, "meta: invalid JSON at byte 12");
	expect_meta_error("[]", HAT_E_PARSE, "meta: expected an object");
	expect_meta_error("{}", HAT_E_PARSE, "meta.universe: missing");
	expect_meta_error("{\"universe\":{}}", HAT_E_PARSE, "meta.universe: expected an array");
	expect_meta_error("{\"universe\":[1]}", HAT_E_PARSE, "meta.universe[0]: expected an object");
	expect_meta_error("{\"universe\":[{\"name\":\"A\",\"szDecimals\":1,\"maxLeverage\":3},"
			  "{\"name\":\"B\",\"szDecimals\":\"1\",\"maxLeverage\":3}]}",
			  HAT_E_PARSE, "meta.universe[1].szDecimals: expected an integer");
	expect_meta_error("{\"universe\":[{\"name\":\"A\",\"szDecimals\":7,\"maxLeverage\":3}]}",
			  HAT_E_PARSE, "meta.universe[0].szDecimals: integer 7 out of range (max 6)");
	expect_meta_error("{\"universe\":[{\"name\":\"A\",\"szDecimals\":1.5,\"maxLeverage\":3}]}",
			  HAT_E_PARSE, "meta.universe[0].szDecimals: expected an integer");
	expect_meta_error("{\"universe\":[{\"name\":\"A\",\"szDecimals\":-1,\"maxLeverage\":3}]}",
			  HAT_E_PARSE, "meta.universe[0].szDecimals: expected a non-negative integer");
	expect_meta_error("{\"universe\":[{\"name\":\"A\",\"szDecimals\":1,\"maxLeverage\":0}]}",
			  HAT_E_PARSE, "meta.universe[0].maxLeverage: must be >= 1");
	expect_meta_error("{\"universe\":[{\"szDecimals\":1,\"maxLeverage\":3}]}", HAT_E_PARSE,
			  "meta.universe[0].name: missing");
	expect_meta_error("{\"universe\":[{\"name\":7,\"szDecimals\":1,\"maxLeverage\":3}]}",
			  HAT_E_PARSE, "meta.universe[0].name: expected a string");
	expect_meta_error("{\"universe\":[{\"name\":\"\",\"szDecimals\":1,\"maxLeverage\":3}]}",
			  HAT_E_PARSE, "meta.universe[0].name: empty");
	expect_meta_error("{\"universe\":[{\"name\":\"A\",\"szDecimals\":1,\"maxLeverage\":3},"
			  "{\"name\":\"A\",\"szDecimals\":1,\"maxLeverage\":3}]}",
			  HAT_E_PARSE, "meta.universe[1].name: duplicate coin \"A\"");
	expect_meta_error("{\"universe\":[{\"name\":\"A\",\"szDecimals\":1,\"maxLeverage\":3,"
			  "\"isDelisted\":\"yes\"}]}",
			  HAT_E_PARSE, "meta.universe[0].isDelisted: expected a boolean");
	expect_meta_error("{\"universe\":[{\"name\":\"A\",\"szDecimals\":1,\"maxLeverage\":3,"
			  "\"marginMode\":1}]}",
			  HAT_E_PARSE, "meta.universe[0].marginMode: expected a string");
	expect_meta_error("{\"universe\":[]} x", HAT_E_PARSE,
			  "meta: invalid JSON at byte 16: trailing data");
}

/* A name too long for HAT_COIN_LEN keeps its slot (asset ids stay right) but is not findable. */
static void test_meta_long_name_keeps_slot(void **state)
{
	(void)state;
	struct hl_meta m;
	char err[160] = "";
	hl_meta_init(&m);
	const char *doc = "{\"universe\":[{\"name\":\"AVERYVERYLONGCOINNAME\",\"szDecimals\":1,"
			  "\"maxLeverage\":3},{\"name\":\"SOL\",\"szDecimals\":2,\"maxLeverage\":20}]}";
	assert_int_equal(hl_meta_parse_text(&m, doc, strlen(doc), 0, err, sizeof err), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(hl_meta_find(&m, "SOL")->asset, 1);
	const struct hl_coin *c = hl_meta_by_asset(&m, 0);
	assert_int_equal(c->flags, HL_COIN_NAME_TOO_LONG);
	assert_string_equal(c->name, "");
	assert_null(hl_meta_find(&m, "AVERYVERYLONGCO"));
	hl_meta_deinit(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_parses_doc_example),
		cmocka_unit_test(test_meta_asset_base_and_add),
		cmocka_unit_test(test_meta_many_coins),
		cmocka_unit_test(test_meta_rejects_bad_input),
		cmocka_unit_test(test_meta_long_name_keeps_slot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
