/* common/fixed.c -- exact 1e-8 fixed-point text conversion. */
#include "common/fixed.h"
#include "common/err.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int hat_fx_format(int64_t v, char *buf, size_t len)
{
	char tmp[HAT_FX_STRLEN];
	/* Work on the magnitude as unsigned so INT64_MIN formats correctly. */
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t ip = mag / (uint64_t)HAT_FX_ONE, fp = mag % (uint64_t)HAT_FX_ONE;
	int n = snprintf(tmp, sizeof tmp, "%s%llu", v < 0 ? "-" : "", (unsigned long long)ip);
	if (fp) {
		char frac[9];
		snprintf(frac, sizeof frac, "%08llu", (unsigned long long)fp);
		int fl = 8;
		while (frac[fl - 1] == '0')
			fl--;
		tmp[n++] = '.';
		memcpy(tmp + n, frac, (size_t)fl);
		n += fl;
		tmp[n] = '\0';
	}
	if ((size_t)n + 1 > len) {
		if (len)
			buf[0] = '\0';
		return -ENOSPC;
	}
	memcpy(buf, tmp, (size_t)n + 1);
	return n;
}

static int fail(char *err, size_t errlen, const char *s, size_t n, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "\"%.*s\": %s", (int)(n > 40 ? 40 : n), s, why);
	return HAT_E_PARSE;
}

int hat_fx_parse(const char *s, size_t n, int64_t *out, char *err, size_t errlen)
{
	size_t i = 0;
	bool neg = false;
	if (n == 0)
		return fail(err, errlen, s, n, "empty number");
	if (s[0] == '-') {
		neg = true;
		i = 1;
	}
	uint64_t ip = 0, fp = 0;
	size_t int_digits = 0, frac_digits = 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, int_digits++) {
		if (ip > (UINT64_MAX - 9) / 10)
			return fail(err, errlen, s, n, "out of range");
		ip = ip * 10 + (uint64_t)(s[i] - '0');
	}
	if (int_digits == 0)
		return fail(err, errlen, s, n, "expected a digit");
	if (i < n && s[i] == '.') {
		i++;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, frac_digits++) {
			if (frac_digits < 8)
				fp = fp * 10 + (uint64_t)(s[i] - '0');
			else if (s[i] != '0')
				return fail(err, errlen, s, n, "more than 8 decimals");
		}
		if (frac_digits == 0)
			return fail(err, errlen, s, n, "expected a digit after '.'");
	}
	if (i != n)
		return fail(err, errlen, s, n, "unexpected character");
	for (size_t k = frac_digits; k < 8; k++)
		fp *= 10;
	uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (ip > lim / (uint64_t)HAT_FX_ONE)
		return fail(err, errlen, s, n, "out of range");
	uint64_t mag = ip * (uint64_t)HAT_FX_ONE;
	if (fp > lim - mag)
		return fail(err, errlen, s, n, "out of range");
	mag += fp;
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

int64_t hat_fx_from_double(double d)
{
	double x = d * (double)HAT_FX_ONE;
	if (isnan(x))
		return 0;
	if (x >= 9.2e18)
		return INT64_MAX;
	if (x <= -9.2e18)
		return -INT64_MAX;
	return (int64_t)llround(x);
}

int hat_fx_mul(int64_t a, int64_t b, int64_t *out)
{
	__int128 p = (__int128)a * (__int128)b / HAT_FX_ONE;
	if (p > INT64_MAX || p < -INT64_MAX)
		return -ERANGE;
	*out = (int64_t)p;
	return 0;
}
