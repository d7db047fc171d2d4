/* hl/wire.h -- the exchange's number rules on int64 1e-8 fixed point, and the 0x-hex text
 * forms of cloids and addresses.
 *
 * Every price and size is an int64 count of 1e-8 units (common/fixed.h); the functions here
 * use integer arithmetic only (no doubles). Rules (hyperliquid-protocol.md section 6):
 *   price: > 0; an integer price is always valid; otherwise at most HL_PX_SIG_FIGS (5)
 *          significant figures and at most max_decimals - szDecimals decimals, where
 *          max_decimals is HL_MAX_DECIMALS_PERP (6) or HL_MAX_DECIMALS_SPOT (8).
 *   size:  > 0 and a multiple of 10^-szDecimals.
 *   value: px * sz >= HL_MIN_ORDER_VALUE ($10 perp, 10 quote units spot).
 * Wire text of a valid number is hat_fx_format() (canonical: "1670.1", "100", "0.0147").
 *
 * Validators return 0 or -EINVAL and write the reason into err (if err is not NULL), e.g.
 * "price 1234.56: 6 significant figures (max 5)". Pure functions, thread-safe, no allocation,
 * usable from any process.
 */
#ifndef HAT_HL_WIRE_H
#define HAT_HL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg_types.h"
#include "hl/hex.h" /* HL_ADDR_LEN, HL_CLOID_LEN, HL_ADDR_STRLEN, HL_CLOID_STRLEN */

#define HL_MAX_DECIMALS_PERP 6
#define HL_MAX_DECIMALS_SPOT 8
#define HL_PX_SIG_FIGS 5
#define HL_MIN_ORDER_VALUE (10 * HAT_FX_ONE) /* $10 perp; 10 quote units spot */

enum hl_round {
	HL_ROUND_NEAREST = 0, /* nearest valid value; a tie goes to the even multiple of the step
			       * (round half to even, like the SDK's "%.5g" and round()) */
	HL_ROUND_DOWN = 1,    /* largest valid value <= the input */
	HL_ROUND_UP = 2,      /* smallest valid value >= the input */
};

/* Rounding that never makes a quote more aggressive than asked: bids round DOWN, asks UP. */
static inline enum hl_round hl_round_passive(enum hat_side side)
{
	return side == HAT_SIDE_BUY ? HL_ROUND_DOWN : HL_ROUND_UP;
}
/* Rounding that never makes a taker price less aggressive than asked (IOC limit at a slippage
 * bound): bids round UP, asks DOWN. */
static inline enum hl_round hl_round_aggressive(enum hat_side side)
{
	return side == HAT_SIDE_BUY ? HL_ROUND_UP : HL_ROUND_DOWN;
}

/* Largest number of decimals a price may have: 6 or 8 minus sz_decimals; -1 if sz_decimals is
 * out of range (0..max). */
int hl_px_max_decimals(int sz_decimals, bool spot);

/* Checks that px (1e-8) is a valid price for a coin with sz_decimals. Returns 0, or -EINVAL
 * with err saying why: "price 0: must be > 0", "price 1234.56: 6 significant figures (max 5)",
 * "price 0.0012345: 7 decimals (max 6 for szDecimals 0)", "szDecimals 7: out of range 0..6". */
int hl_px_check(int64_t px, int sz_decimals, bool spot, char *err, size_t errlen);

/* The price step at px: the distance from px to the next valid price above it (for px itself
 * valid or not), in 1e-8 units. E.g. BTC (szDecimals 5) at 65000 -> 1.0, ETH (4) at 3000 ->
 * 0.1, a coin with szDecimals 1 at 0.1 -> 0.00001. At an exact power of ten the step above
 * applies (at 1000.0 the tick is 0.1, although 999.99 is valid below it).
 * Returns the tick (> 0), or -EINVAL if px <= 0 or sz_decimals is out of range. */
int64_t hl_px_tick(int64_t px, int sz_decimals, bool spot);

/* Rounds px to a valid price (mode: HL_ROUND_*) into *out. NEAREST never gives 0 (a positive
 * price below the smallest valid one rounds up to it). Returns 0; -EINVAL if px <= 0 or
 * sz_decimals is out of range; -ERANGE if DOWN would give 0 or UP would overflow. *out is
 * untouched on error. Examples (perp, NEAREST): 65000.5 szDec 5 -> 65000 (tie to even),
 * 3012.345 szDec 4 -> 3012.3, 1.234567 szDec 0 -> 1.2346, 123456.7 -> 123457. */
int hl_px_round(int64_t px, int sz_decimals, bool spot, enum hl_round mode, int64_t *out);

/* The size step (lot) of a coin: 10^-sz_decimals in 1e-8 units; -EINVAL if sz_decimals is not
 * in 0..8. */
int64_t hl_sz_lot(int sz_decimals);

/* Rounds sz >= 0 to a multiple of the lot (HL_ROUND_DOWN = floor, NEAREST = half to even, UP = ceil)
 * into *out; the result may be 0 (the caller decides whether a zero size is acceptable).
 * Returns 0, -EINVAL if sz < 0 or sz_decimals is not in 0..8, -ERANGE on overflow. */
int hl_sz_round(int64_t sz, int sz_decimals, enum hl_round mode, int64_t *out);

/* Checks that sz is > 0 and a multiple of 10^-sz_decimals. Returns 0 or -EINVAL with err:
 * "size 0: must be > 0", "size 0.123456: 6 decimals (max 5)". */
int hl_sz_check(int64_t sz, int sz_decimals, char *err, size_t errlen);

/* Checks px * sz >= HL_MIN_ORDER_VALUE. Returns 0 or -EINVAL with err:
 * "order value 9.99 (price 9.99 x size 1): below the minimum 10". px, sz must be > 0. */
int hl_order_value_check(int64_t px, int64_t sz, char *err, size_t errlen);

/* Checks a price, then formats it as wire text into buf (hat_fx_format). Returns the text
 * length, or -EINVAL (err says why), or -ENOSPC if buf is too small (HAT_FX_STRLEN always fits). */
int hl_px_to_wire(int64_t px, int sz_decimals, bool spot, char *buf, size_t len, char *err,
		  size_t errlen);

/* Spot asset ids are 10000..99999 (section 6.5); perps are below 10000 (default dex) or
 * >= 100000 (builder-deployed dexes). */
static inline bool hl_asset_is_spot(uint32_t asset) { return asset >= 10000 && asset < 100000; }

/* ---------------------------------------------------------------- cloid, address */

/* Parses "0x" + exactly 32 lowercase hex digits s[0..n) into 16 bytes. Uppercase digits, "0X",
 * other lengths are rejected. Returns 0 or HAT_E_PARSE with err ("cloid \"0x12\": expected 0x
 * and 32 hex digits (got 2)"); out untouched on error. (Built on hl/hex.h.) */
int hl_cloid_parse(const char *s, size_t n, uint8_t out[HL_CLOID_LEN], char *err, size_t errlen);
/* Writes "0x" + 32 lowercase hex + NUL (HL_CLOID_STRLEN bytes) into out. */
void hl_cloid_format(const uint8_t cloid[HL_CLOID_LEN], char out[HL_CLOID_STRLEN]);
/* Cloid from an integer (the SDK's Cloid.from_int): big-endian, zero-padded: 42 -> 0x...2a. */
void hl_cloid_from_u64(uint64_t v, uint8_t out[HL_CLOID_LEN]);

/* Parses "0x" (or "0X") + exactly 40 hex digits of either case into 20 bytes. Returns 0 or
 * HAT_E_PARSE with err ("address \"0x5b38\": expected 0x and 40 hex digits (got 4)"); out
 * untouched on error. */
int hl_addr_parse(const char *s, size_t n, uint8_t out[HL_ADDR_LEN], char *err, size_t errlen);
/* Writes "0x" + 40 lowercase hex + NUL (HL_ADDR_STRLEN bytes) into out. */
void hl_addr_format(const uint8_t addr[HL_ADDR_LEN], char out[HL_ADDR_STRLEN]);

/* Parses a transaction hash, "0x" + exactly 64 hex digits of either case, into 32 bytes.
 * Returns 0 or HAT_E_PARSE with err; out untouched on error. */
int hl_hash_parse(const char *s, size_t n, uint8_t out[32], char *err, size_t errlen);

#endif
