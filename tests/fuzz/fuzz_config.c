/* tests/fuzz/fuzz_config.c -- libFuzzer target: the config loader.
 *
 * Input: a config file's text. Parsing, the shared schema, a stage-style schema with nested
 * objects and arrays, and the typed getters must never crash; every failure returns
 * HAT_E_PARSE or HAT_E_CONFIG with a NUL-terminated message that starts with the file name. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"

#define CHECK(e) do { if (!(e)) abort(); } while (0)

struct lim {
	char coin[HAT_COIN_LEN];
	int64_t max_position;
	uint32_t n;
	bool on;
};
struct stage {
	double d;
	int16_t i;
	int mode;
	struct { uint8_t u; char s[8]; } obj;
	struct lim lims[3];
	uint32_t n_lims;
	uint64_t vals[4];
	uint32_t n_vals;
};

static const char *const modes[] = { "a", "b", NULL };
static const struct hat_cfg_field lim_schema[] = {
	HAT_CFG_STRING_F(struct lim, coin, "coin", "X", 1, "coin"),
	HAT_CFG_FX_F(struct lim, max_position, "max_position", 0, 0, HAT_FX_ONE * 1000, "fx"),
	HAT_CFG_UINT_F(struct lim, n, "n", 1, 0, 10, "n"),
	HAT_CFG_BOOL_F(struct lim, on, "on", true, "on"),
	HAT_CFG_END_F,
};
typedef __typeof__(((struct stage *)0)->obj) obj_t;
static const struct hat_cfg_field obj_schema[] = {
	HAT_CFG_UINT_F(obj_t, u, "u", 1, 0, 255, "u"),
	HAT_CFG_STRING_F(obj_t, s, "s", "", 0, "s"),
	HAT_CFG_END_F,
};
static const struct hat_cfg_field val_elem[] = {
	{ "", HAT_CFG_UINT, 0, 0, sizeof(uint64_t) },
	HAT_CFG_END_F,
};
static const struct hat_cfg_field stage_schema[] = {
	HAT_CFG_DOUBLE_F(struct stage, d, "d", 1.0, -1e6, 1e6, "d"),
	HAT_CFG_INT_F(struct stage, i, "i", 0, -1000, 1000, "i"),
	HAT_CFG_ENUM_F(struct stage, mode, "mode", 0, modes, "mode"),
	HAT_CFG_OBJECT_F(struct stage, obj, "obj", obj_schema, "obj"),
	HAT_CFG_ARRAY_F(struct stage, lims, n_lims, "lims", lim_schema, 0, "lims"),
	HAT_CFG_SCALARS_F(struct stage, vals, n_vals, "vals", val_elem, 0, "vals"),
	HAT_CFG_END_F,
};

/* On failure the message is NUL-terminated and names the file (on success err is untouched). */
static void check_err(int rc, const char *err)
{
	if (rc) {
		CHECK(memchr(err, '\0', 512) != NULL);
		CHECK(strncmp(err, "f.json", 6) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct hat_config_doc doc;
	int rc = hat_config_doc_parse(&doc, "f.json", (const char *)data, size, err, sizeof err);
	CHECK(rc == 0 || rc == HAT_E_PARSE || rc == HAT_E_CONFIG);
	check_err(rc, err);
	if (rc)
		return 0;
	struct hat_config cfg;
	rc = hat_config_apply_shared(&cfg, &doc, err, sizeof err);
	CHECK(rc == 0 || rc == HAT_E_CONFIG);
	check_err(rc, err);
	if (rc == 0)
		CHECK(cfg.n_coins >= 1 && cfg.n_coins <= HAT_CONFIG_MAX_COINS);
	static const char *const sections[] = { "feedd", "riskd", "feedd.x", "", NULL };
	for (int s = 0; sections[s]; s++) {
		struct stage st;
		rc = hat_config_apply(&doc, sections[s], stage_schema, &st, err, sizeof err);
		CHECK(rc == 0 || rc == HAT_E_CONFIG);
		check_err(rc, err);
		if (rc == 0)
			CHECK(st.n_lims <= 3 && st.n_vals <= 4);
	}
	static const char *const paths[] = { "instance", "venue.http", "coins[0]", "riskd.limits[1].coin",
					     "rings.md", "a.b[2][1].c", "[0]", "x..y", NULL };
	for (int p = 0; paths[p]; p++) {
		int64_t i;
		double d;
		bool b;
		char s[32];
		rc = hat_config_get_int(&doc, paths[p], &i, err, sizeof err);
		CHECK(rc == 0 || rc == -ENOENT || rc == HAT_E_CONFIG);
		check_err(rc, err);
		rc = hat_config_get_double(&doc, paths[p], &d, err, sizeof err);
		check_err(rc, err);
		rc = hat_config_get_bool(&doc, paths[p], &b, err, sizeof err);
		check_err(rc, err);
		rc = hat_config_get_fx(&doc, paths[p], &i, err, sizeof err);
		check_err(rc, err);
		rc = hat_config_get_str(&doc, paths[p], s, sizeof s, err, sizeof err);
		check_err(rc, err);
		if (rc == 0)
			CHECK(strlen(s) < sizeof s);
	}
	hat_config_doc_free(&doc);
	return 0;
}
