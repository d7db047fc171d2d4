/* tests/unit/test_config.c -- config loading: files, JSON errors with line/column, the shared
 * schema, a stage-style schema with nested objects and arrays, typed getters, etc/hat.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/config.h"
#include "common/err.h"

#define DATA "tests/data/configs/"

/* ---------------------------------------------------------------- files */

static void test_config_missing_file_names_path(void **state)
{
	(void)state;
	struct hat_config cfg;
	struct hat_config_doc doc;
	char err[256];
	assert_int_equal(hat_config_load(&cfg, &doc, DATA "nope.json", err, sizeof err), -ENOENT);
	assert_string_equal(err, DATA "nope.json: cannot open: No such file or directory");
	assert_null(doc.root);
	assert_int_equal(hat_config_load(&cfg, &doc, DATA "good", err, sizeof err), -EISDIR);
	assert_string_equal(err, DATA "good: read failed: Is a directory");
}

struct bad_case {
	const char *file;
	int code;
	const char *err; /* after "<path>" */
};

static const struct bad_case bad_cases[] = {
	{ "missing_comma.json", HAT_E_PARSE, ":4:3: invalid JSON near '\"rings\": {}'" },
	{ "trailing_comma.json", HAT_E_PARSE, ":2:19: invalid JSON near '],'" },
	{ "empty.json", HAT_E_PARSE, ": empty file" },
	{ "trailing_garbage.json", HAT_E_PARSE, ":4:3: invalid JSON: trailing characters" },
	{ "top_level_array.json", HAT_E_CONFIG, ": top level must be an object, got array" },
	{ "unknown_top_key.json", HAT_E_CONFIG, ": rsk: unknown key" },
	{ "wrong_type.json", HAT_E_CONFIG, ": rings.md: expected an integer, got string" },
	{ "ring_not_power_of_two.json", HAT_E_CONFIG, ": rings.order: must be a power of two (got 1000)" },
	{ "ring_too_big.json", HAT_E_CONFIG, ": rings.md: must be <= 4194304 (got 8388608)" },
	{ "coin_too_long.json", HAT_E_CONFIG, ": coins[1]: too long (17 bytes, at most 15)" },
	{ "duplicate_coin.json", HAT_E_CONFIG, ": coins[2]: duplicate coin \"BTC\"" },
	{ "no_coins.json", HAT_E_CONFIG, ": coins: must have at least 1 item (got 0)" },
	{ "missing_coins.json", HAT_E_CONFIG, ": coins: missing (required)" },
	{ "venue_kind.json", HAT_E_CONFIG,
	  ": venue.kind: must be one of \"hlsim\", \"hyperliquid\" (got \"binance\")" },
	{ "unknown_venue_key.json", HAT_E_CONFIG, ": venue.htp: unknown key" },
	{ "instance_chars.json", HAT_E_CONFIG,
	  ": instance: only letters, digits, '_' and '-' allowed (got \"a b\")" },
	{ "stage_not_object.json", HAT_E_CONFIG, ": riskd: expected an object, got number" },
	{ "empty_path.json", HAT_E_CONFIG, ": paths.log_dir: must not be empty" },
	{ "duplicate_key.json", HAT_E_CONFIG, ": coins: duplicate key" },
};

static void test_config_bad_files_give_exact_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		char path[256], want[512], err[512] = "";
		snprintf(path, sizeof path, DATA "bad/%s", c->file);
		snprintf(want, sizeof want, "%s%s", path, c->err);
		struct hat_config cfg;
		struct hat_config_doc doc;
		int rc = hat_config_load(&cfg, &doc, path, err, sizeof err);
		if (rc != c->code || strcmp(err, want) != 0)
			fail_msg("%s: got %d \"%s\", want %d \"%s\"", c->file, rc, err, c->code, want);
		assert_null(doc.root); /* nothing kept on error */
	}
}

/* ---------------------------------------------------------------- good files */

static void test_config_minimal_gets_defaults(void **state)
{
	(void)state;
	struct hat_config cfg;
	struct hat_config_doc doc;
	char err[256] = "";
	assert_int_equal(hat_config_load(&cfg, &doc, DATA "good/minimal.json", err, sizeof err), 0);
	assert_string_equal(cfg.instance, "main");
	assert_int_equal(cfg.venue.kind, HAT_VENUE_HLSIM);
	assert_int_equal(cfg.venue.network, HAT_NET_TESTNET);
	assert_string_equal(cfg.venue.http, "http://127.0.0.1:8787");
	assert_string_equal(cfg.venue.ws, "ws://127.0.0.1:8787/ws");
	assert_int_equal(cfg.n_coins, 1);
	assert_string_equal(cfg.coins[0], "SOL");
	assert_int_equal(cfg.rings.md, 65536);
	assert_int_equal(cfg.rings.intent, 4096);
	assert_int_equal(cfg.rings.cmd, 256);
	assert_string_equal(cfg.paths.log_dir, "var/log");
	assert_string_equal(cfg.paths.run_dir, "var/run");
	assert_string_equal(cfg.paths.journal_dir, "var/journal");
	hat_config_doc_free(&doc);
}

static void test_config_full_sets_everything(void **state)
{
	(void)state;
	struct hat_config cfg;
	struct hat_config_doc doc;
	char err[256] = "";
	int rc = hat_config_load(&cfg, &doc, DATA "good/full.json", err, sizeof err);
	if (rc)
		fail_msg("%s", err);
	assert_string_equal(cfg.instance, "acct-2_x");
	assert_int_equal(cfg.venue.kind, HAT_VENUE_HYPERLIQUID);
	assert_int_equal(cfg.venue.network, HAT_NET_MAINNET);
	assert_string_equal(cfg.venue.http, "https://api.hyperliquid.xyz");
	assert_int_equal(cfg.n_coins, 5);
	assert_string_equal(cfg.coins[3], "@107");
	assert_string_equal(cfg.coins[4], "xyz:TSLA");
	assert_int_equal(hat_config_coin_index(&cfg, "xyz:TSLA"), 4);
	assert_int_equal(hat_config_coin_index(&cfg, "DOGE"), -ENOENT);
	assert_int_equal(cfg.rings.md, 1024);
	assert_int_equal(cfg.rings.position, 16);
	assert_int_equal(cfg.rings.cmd, 4194304);
	assert_string_equal(cfg.paths.journal_dir, "/srv/hat/journal");
	/* The stage sections are left for the stages: still reachable in the document. */
	int64_t seed = 0;
	assert_int_equal(hat_config_get_int(&doc, "hlsim.seed", &seed, err, sizeof err), 0);
	assert_int_equal(seed, 7);
	assert_int_equal(hat_config_get_int(&doc, "feedd.anything[2]", &seed, err, sizeof err), 0);
	assert_int_equal(seed, 3);
	hat_config_doc_free(&doc);
}

static void test_config_shipped_etc_hat_json_loads(void **state)
{
	(void)state;
	struct hat_config cfg;
	struct hat_config_doc doc;
	char err[256] = "";
	int rc = hat_config_load(&cfg, &doc, "etc/hat.json", err, sizeof err);
	if (rc)
		fail_msg("%s", err);
	assert_string_equal(cfg.instance, "main");
	assert_int_equal(cfg.venue.kind, HAT_VENUE_HLSIM);
	assert_int_equal(cfg.venue.network, HAT_NET_TESTNET);
	assert_int_equal(cfg.n_coins, 3);
	assert_string_equal(cfg.coins[0], "BTC");
	assert_string_equal(cfg.coins[1], "ETH");
	assert_string_equal(cfg.coins[2], "SOL");
	for (const char *const *s = (const char *const[]){ "feedd", "signald", "riskd", "execd", "superd", NULL };
	     *s; s++)
		assert_non_null(hat_config_node(&doc, *s));
	hat_config_doc_free(&doc);
}

/* ---------------------------------------------------------------- JSON errors in memory */

static void test_config_line_col(void **state)
{
	(void)state;
	unsigned l, c;
	const char *t = "ab\ncd\n\nxyz";
	hat_config_line_col(t, 0, &l, &c);
	assert_true(l == 1 && c == 1);
	hat_config_line_col(t, 4, &l, &c);
	assert_true(l == 2 && c == 2);
	hat_config_line_col(t, 7, &l, &c);
	assert_true(l == 4 && c == 1);
	hat_config_line_col(t, 9, &l, &c);
	assert_true(l == 4 && c == 3);
}

static void expect_parse_error(const char *text, const char *want)
{
	struct hat_config_doc doc;
	char err[256] = "";
	assert_int_equal(hat_config_doc_parse(&doc, "mem.json", text, strlen(text), err, sizeof err),
			 HAT_E_PARSE);
	assert_string_equal(err, want);
	assert_null(doc.root);
}

static void test_config_bad_json_line_and_column(void **state)
{
	(void)state;
	expect_parse_error("{\n  \"a\": 1,\n  \"b\": tru\n}", "mem.json:3:8: invalid JSON near 'tru'");
	expect_parse_error("{\"a\": 1", "mem.json:1:8: invalid JSON: unexpected end of input");
	expect_parse_error("{\n\t\"a\": [1, 2,, 3]\n}", "mem.json:2:13: invalid JSON near ', 3]'");
	expect_parse_error("{\n  \"a\": nul,\n  \"b\": 2\n}", "mem.json:2:8: invalid JSON near 'nul,'");
	expect_parse_error("{\"a\": \"abc", "mem.json:1:11: invalid JSON: unexpected end of input");
	expect_parse_error("{\"a\": [1, {}", "mem.json:1:13: invalid JSON: unexpected end of input");
}

/* ---------------------------------------------------------------- a stage-style schema */

struct limit {
	char coin[HAT_COIN_LEN];
	int64_t max_position; /* FX */
	uint32_t max_orders;
	bool enabled;
};

struct http_cfg {
	uint32_t timeout_ms;
	char user_agent[32];
};

struct risk_cfg {
	double max_position_usd;
	int64_t max_loss; /* FX */
	int32_t band_bps;
	uint16_t port;
	bool strict;
	int mode;
	struct http_cfg http;
	struct limit limits[4];
	uint32_t n_limits;
	uint32_t sizes[3];
	uint32_t n_sizes;
};

static const struct hat_cfg_field limit_schema[] = {
	{ "coin", HAT_CFG_STRING, HAT_CFG_F_REQUIRED | HAT_CFG_F_MIN, offsetof(struct limit, coin),
	  HAT_COIN_LEN, .imin = 1 },
	HAT_CFG_FX_F(struct limit, max_position, "max_position", HAT_FX_ONE, 0, 1000 * HAT_FX_ONE, "coins"),
	HAT_CFG_UINT_F(struct limit, max_orders, "max_orders", 10, 1, 100, "open orders"),
	HAT_CFG_BOOL_F(struct limit, enabled, "enabled", true, "trade it"),
	HAT_CFG_END_F,
};

static const struct hat_cfg_field http_schema[] = {
	HAT_CFG_UINT_F(struct http_cfg, timeout_ms, "timeout_ms", 5000, 1, 60000, "ms"),
	HAT_CFG_STRING_F(struct http_cfg, user_agent, "user_agent", "hat/1", 0, "UA"),
	HAT_CFG_END_F,
};

static const struct hat_cfg_field size_elem[] = {
	{ "", HAT_CFG_UINT, HAT_CFG_F_MIN | HAT_CFG_F_MAX, 0, sizeof(uint32_t), .imin = 1, .imax = 9 },
	HAT_CFG_END_F,
};

static const char *const modes[] = { "off", "paper", "live", NULL };

static const struct hat_cfg_field risk_schema[] = {
	HAT_CFG_DOUBLE_F(struct risk_cfg, max_position_usd, "max_position_usd", 1000.0, 0.0, 1e9, "USD"),
	HAT_CFG_FX_F(struct risk_cfg, max_loss, "max_loss", 50 * HAT_FX_ONE, HAT_FX_ONE / 100,
		     1000000 * HAT_FX_ONE, "USD"),
	HAT_CFG_INT_F(struct risk_cfg, band_bps, "band_bps", -5, -100, 100, "bps"),
	HAT_CFG_UINT_F(struct risk_cfg, port, "port", 8080, 0, 65535, "port"),
	HAT_CFG_BOOL_F(struct risk_cfg, strict, "strict", false, "strict"),
	HAT_CFG_ENUM_F(struct risk_cfg, mode, "mode", 1, modes, "mode"),
	HAT_CFG_OBJECT_F(struct risk_cfg, http, "http", http_schema, "http"),
	HAT_CFG_ARRAY_F(struct risk_cfg, limits, n_limits, "limits", limit_schema, 0, "per coin"),
	HAT_CFG_SCALARS_F(struct risk_cfg, sizes, n_sizes, "sizes", size_elem, 0, "sizes"),
	HAT_CFG_END_F,
};

static int apply_risk(const char *json, struct risk_cfg *out, char *err, size_t errlen)
{
	struct hat_config_doc doc;
	int rc = hat_config_doc_parse(&doc, "etc/hat.json", json, strlen(json), err, errlen);
	if (rc)
		return rc;
	rc = hat_config_apply(&doc, "risk", risk_schema, out, err, errlen);
	hat_config_doc_free(&doc);
	return rc;
}

static void expect_risk_error(const char *json, const char *want)
{
	struct risk_cfg r;
	char err[256] = "";
	assert_int_equal(apply_risk(json, &r, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, want);
}

static void test_config_schema_defaults_when_section_missing(void **state)
{
	(void)state;
	struct risk_cfg r;
	memset(&r, 0x77, sizeof r);
	char err[256] = "";
	assert_int_equal(apply_risk("{\"other\": {}}", &r, err, sizeof err), 0);
	assert_true(r.max_position_usd == 1000.0);
	assert_true(r.max_loss == 50 * HAT_FX_ONE);
	assert_int_equal(r.band_bps, -5);
	assert_int_equal(r.port, 8080);
	assert_false(r.strict);
	assert_int_equal(r.mode, 1);
	assert_int_equal(r.http.timeout_ms, 5000);
	assert_string_equal(r.http.user_agent, "hat/1");
	assert_int_equal(r.n_limits, 0);
	assert_int_equal(r.n_sizes, 0);
}

static void test_config_schema_nested_and_arrays(void **state)
{
	(void)state;
	struct risk_cfg r;
	char err[256] = "";
	const char *json =
		"{\"risk\": {\"max_position_usd\": 2500.5, \"max_loss\": \"12.34\", \"band_bps\": 100,"
		" \"port\": 0, \"strict\": true, \"mode\": \"live\", \"http\": {\"timeout_ms\": 250},"
		" \"limits\": [{\"coin\": \"BTC\", \"max_position\": 0.5},"
		"              {\"coin\": \"ETH\", \"max_position\": \"10\", \"max_orders\": 3, \"enabled\": false}],"
		" \"sizes\": [1, 9, 4], \"_why\": \"comment\"}}";
	int rc = apply_risk(json, &r, err, sizeof err);
	if (rc)
		fail_msg("%s", err);
	assert_true(r.max_position_usd == 2500.5);
	assert_true(r.max_loss == 1234000000LL);
	assert_int_equal(r.band_bps, 100);
	assert_int_equal(r.port, 0);
	assert_true(r.strict);
	assert_int_equal(r.mode, 2);
	assert_int_equal(r.http.timeout_ms, 250);
	assert_string_equal(r.http.user_agent, "hat/1"); /* default inside a present object */
	assert_int_equal(r.n_limits, 2);
	assert_string_equal(r.limits[0].coin, "BTC");
	assert_true(r.limits[0].max_position == 50000000LL);
	assert_int_equal(r.limits[0].max_orders, 10); /* element default */
	assert_true(r.limits[0].enabled);
	assert_string_equal(r.limits[1].coin, "ETH");
	assert_true(r.limits[1].max_position == 1000000000LL);
	assert_int_equal(r.limits[1].max_orders, 3);
	assert_false(r.limits[1].enabled);
	assert_int_equal(r.n_sizes, 3);
	assert_int_equal(r.sizes[1], 9);
}

static void test_config_schema_errors_name_key_path(void **state)
{
	(void)state;
	expect_risk_error("{\"risk\": {\"max_position_usd\": \"lots\"}}",
			  "etc/hat.json: risk.max_position_usd: expected a number, got string");
	expect_risk_error("{\"risk\": {\"max_position_usd\": -1}}",
			  "etc/hat.json: risk.max_position_usd: must be >= 0 (got -1)");
	expect_risk_error("{\"risk\": {\"max_position_usd\": 2e9}}",
			  "etc/hat.json: risk.max_position_usd: must be <= 1e+09 (got 2e+09)");
	expect_risk_error("{\"risk\": {\"max_loss\": \"0.001\"}}",
			  "etc/hat.json: risk.max_loss: must be >= 0.01 (got 0.001)");
	expect_risk_error("{\"risk\": {\"max_loss\": \"1.5e3\"}}",
			  "etc/hat.json: risk.max_loss: invalid decimal: \"1.5e3\": unexpected character");
	expect_risk_error("{\"risk\": {\"max_loss\": [1]}}",
			  "etc/hat.json: risk.max_loss: expected a number or a decimal string, got array");
	expect_risk_error("{\"risk\": {\"band_bps\": 101}}",
			  "etc/hat.json: risk.band_bps: must be <= 100 (got 101)");
	expect_risk_error("{\"risk\": {\"band_bps\": -101}}",
			  "etc/hat.json: risk.band_bps: must be >= -100 (got -101)");
	expect_risk_error("{\"risk\": {\"band_bps\": 1.5}}",
			  "etc/hat.json: risk.band_bps: expected an integer, got 1.5");
	expect_risk_error("{\"risk\": {\"port\": 65536}}",
			  "etc/hat.json: risk.port: out of range for a 2-byte unsigned integer (got 65536)");
	expect_risk_error("{\"risk\": {\"port\": -1}}",
			  "etc/hat.json: risk.port: out of range for a 2-byte unsigned integer (got -1)");
	expect_risk_error("{\"risk\": {\"strict\": 1}}",
			  "etc/hat.json: risk.strict: expected a boolean, got number");
	expect_risk_error("{\"risk\": {\"mode\": \"LIVE\"}}",
			  "etc/hat.json: risk.mode: must be one of \"off\", \"paper\", \"live\" (got \"LIVE\")");
	expect_risk_error("{\"risk\": {\"http\": {\"timeout\": 5}}}",
			  "etc/hat.json: risk.http.timeout: unknown key");
	expect_risk_error("{\"risk\": {\"http\": {\"user_agent\": \"0123456789012345678901234567890123\"}}}",
			  "etc/hat.json: risk.http.user_agent: too long (34 bytes, at most 31)");
	expect_risk_error("{\"risk\": {\"http\": []}}",
			  "etc/hat.json: risk.http: expected an object, got array");
	expect_risk_error("{\"risk\": {\"limits\": [{\"coin\": \"BTC\"}, {\"coinn\": \"ETH\"}]}}",
			  "etc/hat.json: risk.limits[1].coinn: unknown key");
	expect_risk_error("{\"risk\": {\"limits\": [{\"coin\": \"BTC\"}, {\"max_orders\": 2}]}}",
			  "etc/hat.json: risk.limits[1].coin: missing (required)");
	expect_risk_error("{\"risk\": {\"limits\": [{\"coin\": \"BTC\", \"max_position\": \"-5\"}]}}",
			  "etc/hat.json: risk.limits[0].max_position: must be >= 0 (got -5)");
	expect_risk_error("{\"risk\": {\"limits\": [1]}}",
			  "etc/hat.json: risk.limits[0]: expected an object, got number");
	expect_risk_error("{\"risk\": {\"limits\": {}}}",
			  "etc/hat.json: risk.limits: expected an array, got object");
	expect_risk_error("{\"risk\": {\"limits\": [{\"coin\":\"A\"},{\"coin\":\"B\"},{\"coin\":\"C\"},"
			  "{\"coin\":\"D\"},{\"coin\":\"E\"}]}}",
			  "etc/hat.json: risk.limits: too many items (5, at most 4)");
	expect_risk_error("{\"risk\": {\"sizes\": [1, 10]}}",
			  "etc/hat.json: risk.sizes[1]: must be <= 9 (got 10)");
	expect_risk_error("{\"risk\": {\"sizes\": [\"1\"]}}",
			  "etc/hat.json: risk.sizes[0]: expected an integer, got string");
	expect_risk_error("{\"risk\": 3}", "etc/hat.json: risk: expected an object, got number");
	expect_risk_error("{\"risk\": {\"strict\": true, \"strict\": false}}",
			  "etc/hat.json: risk.strict: duplicate key");
}

static void test_config_required_key_in_missing_section(void **state)
{
	(void)state;
	static const struct hat_cfg_field req[] = {
		{ "coin", HAT_CFG_STRING, HAT_CFG_F_REQUIRED, offsetof(struct limit, coin), HAT_COIN_LEN },
		HAT_CFG_END_F,
	};
	struct hat_config_doc doc;
	char err[256];
	assert_int_equal(hat_config_doc_parse(&doc, "x.json", "{}", 2, err, sizeof err), 0);
	struct limit l;
	assert_int_equal(hat_config_apply(&doc, "execd", req, &l, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "x.json: execd.coin: missing (required)");
	hat_config_doc_free(&doc);
}

static void test_config_schema_size_mismatch_is_reported(void **state)
{
	(void)state;
	struct wrong {
		int flag;     /* declared BOOL below: wrong */
		uint8_t mode; /* declared ENUM below: wrong */
	};
	static const struct hat_cfg_field bad_bool[] = {
		{ "flag", HAT_CFG_BOOL, 0, offsetof(struct wrong, flag), sizeof(int) },
		HAT_CFG_END_F,
	};
	static const struct hat_cfg_field bad_enum[] = {
		HAT_CFG_ENUM_F(struct wrong, mode, "mode", 0, modes, "mode"),
		HAT_CFG_END_F,
	};
	struct hat_config_doc doc;
	char err[256];
	const char *json = "{\"s\": {\"flag\": true, \"mode\": \"off\"}}";
	assert_int_equal(hat_config_doc_parse(&doc, "w.json", json, strlen(json), err, sizeof err), 0);
	struct wrong w = { 7, 7 };
	assert_int_equal(hat_config_apply(&doc, "s", bad_bool, &w, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "w.json: s.flag: schema error: field size 4 does not fit type 1");
	assert_int_equal(w.flag, 7);
	assert_int_equal(hat_config_apply(&doc, "s.flag", bad_bool, &w, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "w.json: s.flag: expected an object, got boolean");
	/* The enum stored in a uint8_t is refused and the byte is not touched (not even by the
	 * defaults). */
	assert_int_equal(hat_config_apply(&doc, "s", bad_enum + 0, &w, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "w.json: s.flag: unknown key");
	assert_int_equal(w.mode, 7);
	hat_config_doc_free(&doc);
	json = "{\"s\": {\"mode\": \"off\"}}";
	assert_int_equal(hat_config_doc_parse(&doc, "w.json", json, strlen(json), err, sizeof err), 0);
	assert_int_equal(hat_config_apply(&doc, "s", bad_enum, &w, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "w.json: s.mode: schema error: field size 1 does not fit type 7");
	assert_int_equal(w.mode, 7);
	hat_config_doc_free(&doc);
}

/* ---------------------------------------------------------------- getters */

static void test_config_typed_getters(void **state)
{
	(void)state;
	const char *json = "{\"venue\": {\"http\": \"http://h\", \"port\": 80, \"ratio\": 0.5, \"on\": true,"
			   " \"px\": \"1.25\", \"f\": 2.5, \"list\": [{\"coin\": \"BTC\"}, {\"coin\": \"ETH\"}]}}";
	struct hat_config_doc doc;
	char err[256] = "";
	assert_int_equal(hat_config_doc_parse(&doc, "g.json", json, strlen(json), err, sizeof err), 0);
	char s[16];
	int64_t i = 0;
	double d = 0;
	bool b = false;
	assert_int_equal(hat_config_get_str(&doc, "venue.http", s, sizeof s, err, sizeof err), 0);
	assert_string_equal(s, "http://h");
	assert_int_equal(hat_config_get_str(&doc, "venue.list[1].coin", s, sizeof s, err, sizeof err), 0);
	assert_string_equal(s, "ETH");
	assert_int_equal(hat_config_get_int(&doc, "venue.port", &i, err, sizeof err), 0);
	assert_int_equal(i, 80);
	assert_int_equal(hat_config_get_double(&doc, "venue.ratio", &d, err, sizeof err), 0);
	assert_true(d == 0.5);
	assert_int_equal(hat_config_get_bool(&doc, "venue.on", &b, err, sizeof err), 0);
	assert_true(b);
	assert_int_equal(hat_config_get_fx(&doc, "venue.px", &i, err, sizeof err), 0);
	assert_true(i == 125000000);
	assert_int_equal(hat_config_get_fx(&doc, "venue.f", &i, err, sizeof err), 0);
	assert_true(i == 250000000);
	/* Errors name the path; out is untouched. */
	i = 99;
	assert_int_equal(hat_config_get_int(&doc, "venue.nope", &i, err, sizeof err), -ENOENT);
	assert_string_equal(err, "g.json: venue.nope: missing");
	assert_int_equal(hat_config_get_int(&doc, "venue.list[2].coin", &i, err, sizeof err), -ENOENT);
	assert_int_equal(hat_config_get_int(&doc, "venue.http", &i, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "g.json: venue.http: expected an integer, got string");
	assert_int_equal(hat_config_get_int(&doc, "venue.ratio", &i, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "g.json: venue.ratio: expected an integer, got 0.5");
	assert_int_equal(i, 99);
	assert_int_equal(hat_config_get_str(&doc, "venue.port", s, sizeof s, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "g.json: venue.port: expected a string, got number");
	assert_int_equal(hat_config_get_str(&doc, "venue.http", s, 4, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "g.json: venue.http: too long (8 bytes, at most 3)");
	assert_int_equal(hat_config_get_bool(&doc, "venue.port", &b, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "g.json: venue.port: expected a boolean, got number");
	assert_int_equal(hat_config_get_double(&doc, "venue.on", &d, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "g.json: venue.on: expected a number, got boolean");
	assert_int_equal(hat_config_get_fx(&doc, "venue.on", &i, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "g.json: venue.on: expected a number or a decimal string, got boolean");
	assert_null(hat_config_node(&doc, "venue..http"));
	assert_null(hat_config_node(&doc, "venue.list[x]"));
	assert_null(hat_config_node(&doc, "venue.http[0]"));
	assert_non_null(hat_config_node(&doc, ""));
	hat_config_doc_free(&doc);
}

/* Mutated and truncated versions of the shipped config never crash the loader, and every
 * failure comes with a message naming the file. */
static void test_config_garbage_never_crashes(void **state)
{
	(void)state;
	FILE *f = fopen("etc/hat.json", "rb");
	assert_non_null(f);
	static char orig[65536];
	size_t len = fread(orig, 1, sizeof orig, f);
	fclose(f);
	assert_true(len > 100 && len < sizeof orig);
	static char text[65536];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	const char pool[] = "{}[],:\"0123456789.-eE tfn\\\n";
	int ok = 0, failed = 0;
	for (int n = 0; n < 3000; n++) {
		memcpy(text, orig, len);
		size_t l = len;
		int edits = 1 + n % 4;
		for (int k = 0; k < edits; k++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			size_t pos = (size_t)(x % l);
			switch ((x >> 32) % 3) {
			case 0: text[pos] = pool[(x >> 40) % (sizeof pool - 1)]; break;
			case 1: l = pos + 1; break;                              /* truncate */
			default: text[pos] = (char)(x >> 48); break;             /* any byte */
			}
		}
		struct hat_config_doc doc;
		struct hat_config cfg;
		char err[256] = "";
		int rc = hat_config_doc_parse(&doc, "fuzz.json", text, l, err, sizeof err);
		if (rc == 0) {
			rc = hat_config_apply_shared(&cfg, &doc, err, sizeof err);
			hat_config_doc_free(&doc);
		}
		if (rc == 0) {
			ok++;
		} else {
			failed++;
			assert_true(rc == HAT_E_PARSE || rc == HAT_E_CONFIG);
			assert_memory_equal(err, "fuzz.json", 9);
		}
	}
	print_message("%d loaded, %d refused\n", ok, failed);
	assert_true(failed > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_missing_file_names_path),
		cmocka_unit_test(test_config_bad_files_give_exact_errors),
		cmocka_unit_test(test_config_minimal_gets_defaults),
		cmocka_unit_test(test_config_full_sets_everything),
		cmocka_unit_test(test_config_shipped_etc_hat_json_loads),
		cmocka_unit_test(test_config_line_col),
		cmocka_unit_test(test_config_bad_json_line_and_column),
		cmocka_unit_test(test_config_schema_defaults_when_section_missing),
		cmocka_unit_test(test_config_schema_nested_and_arrays),
		cmocka_unit_test(test_config_schema_errors_name_key_path),
		cmocka_unit_test(test_config_required_key_in_missing_section),
		cmocka_unit_test(test_config_schema_size_mismatch_is_reported),
		cmocka_unit_test(test_config_typed_getters),
		cmocka_unit_test(test_config_garbage_never_crashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
