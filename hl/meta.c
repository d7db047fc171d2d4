/* hl/meta.c -- the coin table. */
#include "hl/meta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "hl/json.h"
#include "hl/wire.h"

static uint32_t hash_name(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

int hl_meta_init(struct hl_meta *m)
{
	memset(m, 0, sizeof *m);
	return 0;
}

void hl_meta_deinit(struct hl_meta *m)
{
	free(m->coins);
	free(m->index);
	memset(m, 0, sizeof *m);
}

void hl_meta_clear(struct hl_meta *m)
{
	m->n = 0;
	m->n_universe = 0;
	m->asset_base = 0;
	if (m->index)
		memset(m->index, 0, m->index_cap * sizeof *m->index);
}

static void index_put(uint32_t *idx, size_t cap, const struct hl_coin *coins, size_t slot)
{
	const char *name = coins[slot].name;
	size_t i = hash_name(name, strlen(name)) & (cap - 1);
	while (idx[i])
		i = (i + 1) & (cap - 1);
	idx[i] = (uint32_t)slot + 1;
}

/* Makes room for one more entry (coins and index). */
static int grow(struct hl_meta *m)
{
	if (m->n + 1 > HL_META_MAX_COINS)
		return -ENOSPC;
	if (m->n + 1 > m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 64;
		struct hl_coin *c = realloc(m->coins, nc * sizeof *c);
		if (!c)
			return -ENOMEM;
		m->coins = c;
		m->cap = nc;
	}
	if (2 * (m->n + 1) > m->index_cap) {
		size_t ni = m->index_cap ? m->index_cap : 128;
		while (2 * (m->n + 1) > ni)
			ni *= 2;
		uint32_t *idx = calloc(ni, sizeof *idx);
		if (!idx)
			return -ENOMEM;
		for (size_t s = 0; s < m->n; s++)
			if (!(m->coins[s].flags & HL_COIN_NAME_TOO_LONG))
				index_put(idx, ni, m->coins, s);
		free(m->index);
		m->index = idx;
		m->index_cap = ni;
	}
	return 0;
}

const struct hl_coin *hl_meta_find_n(const struct hl_meta *m, const char *name, size_t n)
{
	if (!m->index_cap || n == 0 || n >= HAT_COIN_LEN)
		return NULL;
	size_t i = hash_name(name, n) & (m->index_cap - 1);
	for (;;) {
		uint32_t v = m->index[i];
		if (!v)
			return NULL;
		const struct hl_coin *c = &m->coins[v - 1];
		if (memcmp(c->name, name, n) == 0 && c->name[n] == '\0')
			return c;
		i = (i + 1) & (m->index_cap - 1);
	}
}

const struct hl_coin *hl_meta_find(const struct hl_meta *m, const char *name)
{
	return hl_meta_find_n(m, name, strnlen(name, HAT_COIN_LEN));
}

const struct hl_coin *hl_meta_by_asset(const struct hl_meta *m, uint32_t asset)
{
	if (asset >= m->asset_base && (size_t)(asset - m->asset_base) < m->n_universe)
		return &m->coins[asset - m->asset_base];
	for (size_t i = m->n_universe; i < m->n; i++)
		if (m->coins[i].asset == asset)
			return &m->coins[i];
	return NULL;
}

/* Appends an entry whose fields are already checked. */
static int append(struct hl_meta *m, const char *name, size_t nlen, uint32_t asset,
		  int sz_decimals, int max_leverage, unsigned flags)
{
	int rc = grow(m);
	if (rc)
		return rc;
	struct hl_coin *c = &m->coins[m->n];
	memset(c, 0, sizeof *c);
	if (!(flags & HL_COIN_NAME_TOO_LONG))
		memcpy(c->name, name, nlen);
	c->asset = asset;
	c->sz_decimals = (uint8_t)sz_decimals;
	c->flags = (uint8_t)flags;
	c->max_leverage = (uint16_t)max_leverage;
	if (!(flags & HL_COIN_NAME_TOO_LONG))
		index_put(m->index, m->index_cap, m->coins, m->n);
	m->n++;
	return 0;
}

int hl_meta_add(struct hl_meta *m, const char *name, uint32_t asset, int sz_decimals,
		int max_leverage, unsigned flags, char *err, size_t errlen)
{
	size_t n = name ? strnlen(name, HAT_COIN_LEN) : 0;
	const char *why = NULL;
	if (n == 0 || n >= HAT_COIN_LEN)
		why = "name must be 1..15 bytes";
	else if (sz_decimals < 0 || sz_decimals > 8)
		why = "szDecimals out of range 0..8";
	else if (max_leverage < 0 || max_leverage > 65535)
		why = "maxLeverage out of range 0..65535";
	else if (flags & ~(unsigned)(HL_COIN_DELISTED | HL_COIN_ONLY_ISOLATED | HL_COIN_SPOT))
		why = "unknown flags";
	if (why) {
		if (err && errlen)
			snprintf(err, errlen, "coin \"%.*s\": %s", (int)n, name ? name : "", why);
		return -EINVAL;
	}
	if (hl_meta_find_n(m, name, n) || hl_meta_by_asset(m, asset)) {
		if (err && errlen)
			snprintf(err, errlen, "coin \"%s\" (asset %u): name or asset already present",
				 name, asset);
		return -EEXIST;
	}
	return append(m, name, n, asset, sz_decimals, max_leverage, flags);
}

int hl_meta_parse(struct hl_meta *m, const cJSON *root, uint32_t asset_base, char *err,
		  size_t errlen)
{
	struct hl_jpath p = HL_JPATH_ROOT("meta");
	const cJSON *uni;
	int rc;
	hl_meta_clear(m);
	if (!cJSON_IsObject(root))
		return hl_json_fail(err, errlen, &p, NULL, "expected an object");
	if ((rc = hl_json_array(root, "universe", &p, &uni, err, errlen)))
		return rc;
	struct hl_jpath pu = HL_JPATH_KEY(&p, "universe");
	int count = cJSON_GetArraySize(uni);
	if (count > HL_META_MAX_COINS || (uint64_t)asset_base + (uint64_t)count > UINT32_MAX)
		return hl_json_fail(err, errlen, &pu, NULL, "too many entries (%d)", count);
	m->asset_base = asset_base;
	size_t i = 0;
	for (const cJSON *it = uni->child; it; it = it->next, i++) {
		struct hl_jpath pi = HL_JPATH_IDX(&pu, i);
		const char *name;
		uint64_t szd, lev;
		bool delisted, iso;
		unsigned flags = 0;
		if (!cJSON_IsObject(it)) {
			rc = hl_json_fail(err, errlen, &pi, NULL, "expected an object");
			goto fail;
		}
		if ((rc = hl_json_str(it, "name", &pi, &name, err, errlen)) ||
		    (rc = hl_json_uint(it, "szDecimals", &pi, HL_MAX_DECIMALS_PERP, &szd, err,
				       errlen)) ||
		    (rc = hl_json_uint(it, "maxLeverage", &pi, 65535, &lev, err, errlen)) ||
		    (rc = hl_json_bool_opt(it, "isDelisted", &pi, false, &delisted, err, errlen)) ||
		    (rc = hl_json_bool_opt(it, "onlyIsolated", &pi, false, &iso, err, errlen)))
			goto fail;
		if (lev == 0) {
			rc = hl_json_fail(err, errlen, &pi, "maxLeverage", "must be >= 1");
			goto fail;
		}
		const cJSON *mm = hl_json_item(it, "marginMode");
		if (mm && !cJSON_IsNull(mm)) {
			if (!cJSON_IsString(mm)) {
				rc = hl_json_fail(err, errlen, &pi, "marginMode", "expected a string");
				goto fail;
			}
			iso = true;
		}
		size_t nlen = strlen(name);
		if (nlen == 0) {
			rc = hl_json_fail(err, errlen, &pi, "name", "empty");
			goto fail;
		}
		if (nlen >= HAT_COIN_LEN)
			flags |= HL_COIN_NAME_TOO_LONG;
		else if (hl_meta_find_n(m, name, nlen)) {
			rc = hl_json_fail(err, errlen, &pi, "name", "duplicate coin \"%s\"", name);
			goto fail;
		}
		if (delisted)
			flags |= HL_COIN_DELISTED;
		if (iso)
			flags |= HL_COIN_ONLY_ISOLATED;
		if ((rc = append(m, name, nlen, asset_base + (uint32_t)i, (int)szd, (int)lev, flags))) {
			if (err && errlen)
				snprintf(err, errlen, "meta: %s", rc == -ENOMEM ? "out of memory" :
								 "too many coins");
			goto fail;
		}
		m->n_universe = m->n;
	}
	return 0;
fail:
	hl_meta_clear(m);
	return rc;
}

int hl_meta_parse_text(struct hl_meta *m, const char *text, size_t len, uint32_t asset_base,
		       char *err, size_t errlen)
{
	char why[128];
	cJSON *root = hl_json_parse(text, len, why, sizeof why);
	if (!root) {
		hl_meta_clear(m);
		if (err && errlen)
			snprintf(err, errlen, "meta: %s", why);
		return HAT_E_PARSE;
	}
	int rc = hl_meta_parse(m, root, asset_base, err, errlen);
	cJSON_Delete(root);
	return rc;
}
