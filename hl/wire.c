/* hl/wire.c -- exchange number rules on 1e-8 fixed point; cloid and address text. */
#include "hl/wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/fixed.h"

static const int64_t pow10_tab[19] = {
	1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
	1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
	100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
	1000000000000000000LL,
};

/* Decimal digits of v > 0. */
static int ndigits(int64_t v)
{
	int d = 1;
	while (d < 19 && v >= pow10_tab[d])
		d++;
	return d;
}

/* Trailing decimal zeros of v > 0. */
static int trailing_zeros(int64_t v)
{
	int z = 0;
	while (v % 10 == 0) {
		v /= 10;
		z++;
	}
	return z;
}

static void seterr(char *err, size_t errlen, const char *what, int64_t v, const char *fmt, ...)
	HAT_PRINTF(5, 6);
static void seterr(char *err, size_t errlen, const char *what, int64_t v, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	char num[HAT_FX_STRLEN];
	hat_fx_format(v, num, sizeof num);
	int n = snprintf(err, errlen, "%s %s: ", what, num);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

int hl_px_max_decimals(int sz_decimals, bool spot)
{
	int maxd = spot ? HL_MAX_DECIMALS_SPOT : HL_MAX_DECIMALS_PERP;
	if (sz_decimals < 0 || sz_decimals > maxd)
		return -1;
	return maxd - sz_decimals;
}

static int bad_szdec(int sz_decimals, bool spot, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "szDecimals %d: out of range 0..%d", sz_decimals,
			 spot ? HL_MAX_DECIMALS_SPOT : HL_MAX_DECIMALS_PERP);
	return -EINVAL;
}

int hl_px_check(int64_t px, int sz_decimals, bool spot, char *err, size_t errlen)
{
	int maxdec = hl_px_max_decimals(sz_decimals, spot);
	if (maxdec < 0)
		return bad_szdec(sz_decimals, spot, err, errlen);
	if (px <= 0) {
		seterr(err, errlen, "price", px, "must be > 0");
		return -EINVAL;
	}
	if (px % HAT_FX_ONE == 0)
		return 0; /* integer prices are always valid */
	int tz = trailing_zeros(px);
	int sig = ndigits(px) - tz;
	int dec = 8 - tz;
	if (sig > HL_PX_SIG_FIGS) {
		seterr(err, errlen, "price", px, "%d significant figures (max %d)", sig,
		       HL_PX_SIG_FIGS);
		return -EINVAL;
	}
	if (dec > maxdec) {
		seterr(err, errlen, "price", px, "%d decimals (max %d for szDecimals %d%s)", dec,
		       maxdec, sz_decimals, spot ? ", spot" : "");
		return -EINVAL;
	}
	return 0;
}

int64_t hl_px_tick(int64_t px, int sz_decimals, bool spot)
{
	int maxdec = hl_px_max_decimals(sz_decimals, spot);
	if (maxdec < 0 || px <= 0)
		return -EINVAL;
	/* Valid prices with the digit count of px are the multiples of 10^(digits - 5) units,
	 * never finer than the decimals limit and never coarser than 1 (integers are valid). */
	int k = ndigits(px) - HL_PX_SIG_FIGS;
	if (k < 8 - maxdec)
		k = 8 - maxdec;
	if (k > 8)
		k = 8;
	return pow10_tab[k];
}

int hl_px_round(int64_t px, int sz_decimals, bool spot, enum hl_round mode, int64_t *out)
{
	int64_t tick = hl_px_tick(px, sz_decimals, spot);
	if (tick < 0)
		return -EINVAL;
	int64_t rem = px % tick, down = px - rem, up = down;
	bool up_ok = true;
	if (rem) {
		if (down > INT64_MAX - tick)
			up_ok = false;
		else
			up = down + tick;
	}
	int64_t r;
	switch (mode) {
	case HL_ROUND_DOWN:
		if (down == 0)
			return -ERANGE;
		r = down;
		break;
	case HL_ROUND_UP:
		if (!up_ok)
			return -ERANGE;
		r = up;
		break;
	case HL_ROUND_NEAREST:
		/* Ties go to the even multiple of the tick, as the SDK's "%.5g" formatting does
		 * (65000.5 -> 65000). */
		if (down == 0 || rem > tick - rem ||
		    (rem != 0 && rem == tick - rem && (down / tick) % 2 != 0)) {
			if (!up_ok) {
				if (down == 0)
					return -ERANGE;
				r = down;
			} else {
				r = up;
			}
		} else {
			r = down;
		}
		break;
	default:
		return -EINVAL;
	}
	*out = r;
	return 0;
}

int64_t hl_sz_lot(int sz_decimals)
{
	if (sz_decimals < 0 || sz_decimals > 8)
		return -EINVAL;
	return pow10_tab[8 - sz_decimals];
}

int hl_sz_round(int64_t sz, int sz_decimals, enum hl_round mode, int64_t *out)
{
	int64_t lot = hl_sz_lot(sz_decimals);
	if (lot < 0 || sz < 0)
		return -EINVAL;
	int64_t rem = sz % lot, down = sz - rem;
	bool go_up;
	switch (mode) {
	case HL_ROUND_DOWN:
		go_up = false;
		break;
	case HL_ROUND_UP:
		go_up = rem != 0;
		break;
	case HL_ROUND_NEAREST:
		go_up = rem != 0 && (rem > lot - rem || (rem == lot - rem && (down / lot) % 2 != 0));
		break;
	default:
		return -EINVAL;
	}
	if (go_up) {
		if (down > INT64_MAX - lot)
			return -ERANGE;
		down += lot;
	}
	*out = down;
	return 0;
}

int hl_sz_check(int64_t sz, int sz_decimals, char *err, size_t errlen)
{
	int64_t lot = hl_sz_lot(sz_decimals);
	if (lot < 0) {
		if (err && errlen)
			snprintf(err, errlen, "szDecimals %d: out of range 0..8", sz_decimals);
		return -EINVAL;
	}
	if (sz <= 0) {
		seterr(err, errlen, "size", sz, "must be > 0");
		return -EINVAL;
	}
	if (sz % lot) {
		seterr(err, errlen, "size", sz, "%d decimals (max %d)", 8 - trailing_zeros(sz),
		       sz_decimals);
		return -EINVAL;
	}
	return 0;
}

int hl_order_value_check(int64_t px, int64_t sz, char *err, size_t errlen)
{
	if (px <= 0 || sz <= 0) {
		if (err && errlen)
			snprintf(err, errlen, "order value: price and size must be > 0");
		return -EINVAL;
	}
	int64_t v;
	if (hat_fx_mul(px, sz, &v) != 0)
		return 0; /* larger than int64: far above the minimum */
	if (v >= HL_MIN_ORDER_VALUE)
		return 0;
	if (err && errlen) {
		char a[HAT_FX_STRLEN], b[HAT_FX_STRLEN], c[HAT_FX_STRLEN], m[HAT_FX_STRLEN];
		hat_fx_format(v, a, sizeof a);
		hat_fx_format(px, b, sizeof b);
		hat_fx_format(sz, c, sizeof c);
		hat_fx_format(HL_MIN_ORDER_VALUE, m, sizeof m);
		snprintf(err, errlen, "order value %s (price %s x size %s): below the minimum %s", a,
			 b, c, m);
	}
	return -EINVAL;
}

int hl_px_to_wire(int64_t px, int sz_decimals, bool spot, char *buf, size_t len, char *err,
		  size_t errlen)
{
	int rc = hl_px_check(px, sz_decimals, spot, err, errlen);
	if (rc)
		return rc;
	return hat_fx_format(px, buf, len);
}

/* ---------------------------------------------------------------- cloid, address */

/* hl_hex_decode_exact() with the text itself in the error ("cloid \"0x12\": ..."). */
static int hex_exact(const char *s, size_t n, uint8_t *out, size_t nbytes, const char *what,
		     char *err, size_t errlen)
{
	char name[80];
	snprintf(name, sizeof name, "%s \"%.*s\"", what, n > 48 ? 48 : (int)n, s);
	uint8_t tmp[32];
	char why[160];
	if (hl_hex_decode_exact(s, n, tmp, nbytes, name, why, sizeof why) != 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s", why);
		return HAT_E_PARSE;
	}
	memcpy(out, tmp, nbytes);
	return 0;
}

int hl_cloid_parse(const char *s, size_t n, uint8_t out[HL_CLOID_LEN], char *err, size_t errlen)
{
	/* The exchange prints cloids in lowercase; anything else is not a cloid we sent. */
	for (size_t i = 0; i < n; i++) {
		if ((s[i] >= 'A' && s[i] <= 'F') || s[i] == 'X') {
			if (err && errlen)
				snprintf(err, errlen, "cloid \"%.*s\": uppercase at position %zu "
					 "(expected 0x and 32 lowercase hex digits)",
					 n > 48 ? 48 : (int)n, s, i);
			return HAT_E_PARSE;
		}
	}
	return hex_exact(s, n, out, HL_CLOID_LEN, "cloid", err, errlen);
}

void hl_cloid_format(const uint8_t cloid[HL_CLOID_LEN], char out[HL_CLOID_STRLEN])
{
	hl_hex_encode(cloid, HL_CLOID_LEN, out);
}

void hl_cloid_from_u64(uint64_t v, uint8_t out[HL_CLOID_LEN])
{
	memset(out, 0, HL_CLOID_LEN);
	for (int i = 0; i < 8; i++)
		out[HL_CLOID_LEN - 1 - i] = (uint8_t)(v >> (8 * i));
}

int hl_addr_parse(const char *s, size_t n, uint8_t out[HL_ADDR_LEN], char *err, size_t errlen)
{
	return hex_exact(s, n, out, HL_ADDR_LEN, "address", err, errlen);
}

void hl_addr_format(const uint8_t addr[HL_ADDR_LEN], char out[HL_ADDR_STRLEN])
{
	hl_hex_encode(addr, HL_ADDR_LEN, out);
}

int hl_hash_parse(const char *s, size_t n, uint8_t out[32], char *err, size_t errlen)
{
	return hex_exact(s, n, out, 32, "hash", err, errlen);
}
