/* hl/meta.h -- the coin table: coin name <-> asset id, szDecimals, maxLeverage.
 *
 * Built from a /info `meta` response (section 2.1): the perp asset id is the position in
 * `universe` (plus asset_base: 0 for the default dex, 100000 + dex * 10000 for builder dexes);
 * delisted entries keep their slot. Other entries (spot pairs, tests) can be added one by one
 * with hl_meta_add(). Lookups by name (hash table) and by asset id (direct index for the
 * universe, then a scan of added entries) allocate nothing.
 *
 * Ownership: struct hl_meta is caller-allocated; hl_meta_init() allocates its storage and
 * hl_meta_deinit() frees it. A table is written by one thread and then only read; concurrent
 * readers are fine once it is built. Used by feedd (coin -> asset for md messages), execd and
 * riskd (szDecimals for the number rules of hl/wire.h), hlsim.
 */
#ifndef HAT_HL_META_H
#define HAT_HL_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/msg_types.h"

#define HL_META_MAX_COINS 65536

enum hl_coin_flags {
	HL_COIN_DELISTED = 1u << 0,      /* "isDelisted": true */
	HL_COIN_ONLY_ISOLATED = 1u << 1, /* "onlyIsolated": true or marginMode set */
	HL_COIN_SPOT = 1u << 2,          /* a spot pair (max decimals 8) */
	HL_COIN_NAME_TOO_LONG = 1u << 3, /* name longer than HAT_COIN_LEN - 1: slot kept, not findable by name */
};

struct hl_coin {
	char name[HAT_COIN_LEN]; /* NUL-terminated ("" if NAME_TOO_LONG) */
	uint32_t asset;          /* exchange asset id */
	uint8_t sz_decimals;     /* 0..6 perp, 0..8 spot */
	uint8_t flags;           /* enum hl_coin_flags */
	uint16_t max_leverage;   /* >= 1 */
};

struct hl_meta {
	struct hl_coin *coins;   /* owned; universe order first, then added entries */
	size_t n;                /* entries used */
	size_t cap;
	size_t n_universe;       /* entries from hl_meta_parse (asset = asset_base + index) */
	uint32_t asset_base;
	uint32_t *index;         /* owned; open-addressing hash: coin slot + 1, 0 = empty */
	size_t index_cap;        /* power of two, >= 2 * n */
};

/* Empty table; storage is allocated on first insert. Returns 0. */
int hl_meta_init(struct hl_meta *m);
/* Frees the storage; m can be re-inited. */
void hl_meta_deinit(struct hl_meta *m);
/* Removes every entry, keeping the storage. */
void hl_meta_clear(struct hl_meta *m);

/* Replaces the table's contents with the `meta` response root (an object with "universe";
 * other keys are ignored). Each entry needs "name" (string), "szDecimals" (0..6),
 * "maxLeverage" (1..65535); "isDelisted", "onlyIsolated" (bools) and "marginMode" are
 * optional. Returns 0; HAT_E_PARSE with the path ("meta.universe[3].szDecimals: expected an
 * integer", "meta.universe[7].name: duplicate coin \"BTC\""); -ENOMEM. On error the table is
 * left empty. */
int hl_meta_parse(struct hl_meta *m, const cJSON *root, uint32_t asset_base, char *err,
		  size_t errlen);
/* Same from text. */
int hl_meta_parse_text(struct hl_meta *m, const char *text, size_t len, uint32_t asset_base,
		       char *err, size_t errlen);

/* Adds one entry (name must be 1..HAT_COIN_LEN-1 bytes and new, asset new, sz_decimals 0..8).
 * Returns 0, -EINVAL (err says why), -EEXIST (name or asset already present), -ENOMEM. */
int hl_meta_add(struct hl_meta *m, const char *name, uint32_t asset, int sz_decimals,
		int max_leverage, unsigned flags, char *err, size_t errlen);

/* Lookups: the entry, or NULL. The pointer is valid until the table is next modified. */
const struct hl_coin *hl_meta_find(const struct hl_meta *m, const char *name);
const struct hl_coin *hl_meta_find_n(const struct hl_meta *m, const char *name, size_t n);
const struct hl_coin *hl_meta_by_asset(const struct hl_meta *m, uint32_t asset);

/* True if the coin is a spot pair (for hl/wire.h's spot parameter). */
static inline bool hl_coin_is_spot(const struct hl_coin *c) { return (c->flags & HL_COIN_SPOT) != 0; }

#endif
