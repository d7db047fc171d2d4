/* hl/hex.c -- 0x-hex text of addresses, cloids, hashes and signature scalars. */
#include "hl/hex.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void hl_hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	out[0] = '0';
	out[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		out[2 + 2 * i] = digits[p[i] >> 4];
		out[3 + 2 * i] = digits[p[i] & 15];
	}
	out[2 + 2 * n] = '\0';
}

/* Checks the "0x" prefix and that every following char is a hex digit. */
static int check_digits(const char *s, size_t len, const char *what, char *err, size_t errlen)
{
	if (len < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
		snprintf(err, errlen, "%s: must start with 0x", what);
		return HAT_E_PARSE;
	}
	for (size_t i = 2; i < len; i++) {
		if (nibble(s[i]) < 0) {
			snprintf(err, errlen, "%s: not a hex digit at position %zu", what, i);
			return HAT_E_PARSE;
		}
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
		out[i] = (uint8_t)(nibble(s[2 + 2 * i]) << 4 | nibble(s[3 + 2 * i]));
	return 0;
}

int hl_hex_decode_u256(const char *s, size_t len, uint8_t out[32], const char *what, char *err,
		       size_t errlen)
{
	int rc = check_digits(s, len, what, err, errlen);
	if (rc)
		return rc;
	size_t nd = len - 2;
	if (nd < 1 || nd > 64) {
		snprintf(err, errlen, "%s: expected 0x and 1..64 hex digits (got %zu)", what, nd);
		return HAT_E_PARSE;
	}
	uint8_t tmp[32] = {0};
	/* Fill from the least significant digit so unpadded text lands right-aligned. */
	for (size_t i = 0; i < nd; i++) {
		int v = nibble(s[len - 1 - i]);
		tmp[31 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
	}
	memcpy(out, tmp, 32);
	return 0;
}

int hl_hex_decode_u64(const char *s, size_t len, uint64_t *out, const char *what, char *err,
		      size_t errlen)
{
	int rc = check_digits(s, len, what, err, errlen);
	if (rc)
		return rc;
	size_t nd = len - 2;
	if (nd < 1 || nd > 16) {
		snprintf(err, errlen, "%s: expected 0x and 1..16 hex digits (got %zu)", what, nd);
		return HAT_E_PARSE;
	}
	uint64_t v = 0;
	for (size_t i = 2; i < len; i++)
		v = v << 4 | (uint64_t)nibble(s[i]);
	*out = v;
	return 0;
}
