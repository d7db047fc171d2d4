/* common/fixed.h -- int64 fixed point with 8 decimals (1e-8), exact decimal text both ways.
 *
 * Every price, size and USD amount in hat is an int64 count of 1e-8 units (HAT_FX_ONE = 1.0).
 * These functions turn such a value into the canonical decimal text the exchange expects
 * (no exponent, no trailing zeros, no trailing '.', never "-0") and parse decimal text back
 * exactly, without doubles. Pure functions, thread-safe, no allocation.
 */
#ifndef HAT_COMMON_FIXED_H
#define HAT_COMMON_FIXED_H

#include <stddef.h>
#include <stdint.h>

#include "common/msg_types.h"

/* Longest text hat_fx_format() writes, NUL included ("-92233720368.54775808"). */
#define HAT_FX_STRLEN 24

/* Writes v as canonical decimal text into buf (NUL-terminated): 150000000 -> "1.5",
 * 10000000000 -> "100", 1 -> "0.00000001", 0 -> "0", -50000000 -> "-0.5".
 * Returns the text length, or -ENOSPC if len < the length + 1 (buf then holds ""). */
int hat_fx_format(int64_t v, char *buf, size_t len);

/* Parses decimal text s[0..n) into *out (1e-8 units). Accepts an optional '-', at least one
 * digit, and optionally '.' followed by at least one digit; digits past the 8th decimal must
 * be zeros. Rejects an empty string, '+', exponents, spaces, a second '.', and magnitudes over
 * INT64_MAX units. Returns 0, or HAT_E_PARSE with err (if not NULL) saying why, for example
 * "\"1.234567891\": more than 8 decimals". *out is untouched on error. */
int hat_fx_parse(const char *s, size_t n, int64_t *out, char *err, size_t errlen);

/* Converts for strategy math and reports; never use the result to build wire text. */
static inline double hat_fx_to_double(int64_t v) { return (double)v / (double)HAT_FX_ONE; }
/* Rounds to the nearest 1e-8 unit; saturates at +-INT64_MAX. */
int64_t hat_fx_from_double(double d);

/* a * b with both in 1e-8, result in 1e-8, rounded toward zero (e.g. px * sz = notional).
 * Returns 0, or -ERANGE if the result does not fit. Uses 128-bit arithmetic. */
int hat_fx_mul(int64_t a, int64_t b, int64_t *out);

#endif
