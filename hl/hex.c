/* hl/hex.c -- 0x-hex text of addresses, cloids, hashes and signature scalars. */
#include "hl/hex.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"

void hl_hex_encode(const uint8_t *p, size_t n, char *out)
{
	hat_hex_encode(p, n, out);
}

/* Checks the "0x" prefix and that every following char is a hex digit. */
static int check_digits(const char *s, size_t len, const char *what, char *err, size_t errlen)
{
	if (len < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
		snprintf(err, errlen, "%s: must start with 0x", what);
		return HAT_E_PARSE;
	}
	for (size_t i = 2; i < len; i++) {
		if (hat_hex_nibble(s[i]) < 0) {
			snprintf(err, errlen, "%s: not a hex digit at position %zu", what, i);
			return HAT_E_PARSE;
		}
	}
	return 0;
}

/* check_digits() for a 0x-prefixed integer of 1..max digits. */
static int check_int_digits(const char *s, size_t len, size_t max, const char *what, char *err,
			    size_t errlen)
{
	int rc = check_digits(s, len, what, err, errlen);
	if (rc)
		return rc;
	size_t nd = len - 2;
	if (nd < 1 || nd > max) {
		snprintf(err, errlen, "%s: expected 0x and 1..%zu hex digits (got %zu)", what, max, nd);
		return HAT_E_PARSE;
	}
	return 0;
}

int hl_hex_decode_exact(const char *s, size_t len, uint8_t *out, size_t n, const char *what,
			char *err, size_t errlen)
{
	int rc = check_digits(s, len, what, err, errlen);
	if (rc)
		return rc;
	if (len - 2 != 2 * n) {
		snprintf(err, errlen, "%s: expected 0x and %zu hex digits (got %zu)", what, 2 * n,
			 len - 2);
		return HAT_E_PARSE;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(hat_hex_nibble(s[2 + 2 * i]) << 4 | hat_hex_nibble(s[3 + 2 * i]));
	return 0;
}

int hl_hex_decode_u256(const char *s, size_t len, uint8_t out[32], const char *what, char *err,
		       size_t errlen)
{
	int rc = check_int_digits(s, len, 64, what, err, errlen);
	if (rc)
		return rc;
	size_t nd = len - 2;
	uint8_t tmp[32] = {0};
	/* Fill from the least significant digit so unpadded text lands right-aligned. */
	for (size_t i = 0; i < nd; i++) {
		int v = hat_hex_nibble(s[len - 1 - i]);
		tmp[31 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
	}
	memcpy(out, tmp, 32);
	return 0;
}

int hl_hex_decode_u64(const char *s, size_t len, uint64_t *out, const char *what, char *err,
		      size_t errlen)
{
	int rc = check_int_digits(s, len, 16, what, err, errlen);
	if (rc)
		return rc;
	uint64_t v = 0;
	for (size_t i = 2; i < len; i++)
		v = v << 4 | (uint64_t)hat_hex_nibble(s[i]);
	*out = v;
	return 0;
}
