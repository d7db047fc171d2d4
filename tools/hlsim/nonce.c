/* tools/hlsim/nonce.c -- 100-highest nonce set with the time window. */
#include "tools/hlsim/nonce.h"

#include <stdio.h>
#include <string.h>

enum hlsim_nonce_verdict hlsim_nonce_check(const struct hlsim_nonces *s, uint64_t nonce,
					   uint64_t now_ms)
{
	if (nonce + HLSIM_NONCE_PAST_MS <= now_ms || nonce >= now_ms + HLSIM_NONCE_FUTURE_MS)
		return HLSIM_NONCE_OUT_OF_RANGE;
	for (uint32_t i = 0; i < s->n; i++)
		if (s->v[i] == nonce)
			return HLSIM_NONCE_DUPLICATE;
	if (s->n == HLSIM_NONCE_KEEP && nonce <= s->v[0])
		return HLSIM_NONCE_TOO_LOW;
	return HLSIM_NONCE_OK;
}

void hlsim_nonce_use(struct hlsim_nonces *s, uint64_t nonce)
{
	if (s->n == HLSIM_NONCE_KEEP) {
		if (nonce <= s->v[0])
			return;
		memmove(&s->v[0], &s->v[1], (s->n - 1) * sizeof s->v[0]);
		s->n--;
	}
	uint32_t i = s->n;
	while (i > 0 && s->v[i - 1] > nonce) {
		s->v[i] = s->v[i - 1];
		i--;
	}
	s->v[i] = nonce;
	s->n++;
}

void hlsim_nonce_error(enum hlsim_nonce_verdict v, uint64_t nonce, char *out, size_t len)
{
	static const char *const text[] = {
		[HLSIM_NONCE_OK] = "ok",
		[HLSIM_NONCE_DUPLICATE] = "Invalid nonce: duplicate nonce",
		[HLSIM_NONCE_TOO_LOW] = "Invalid nonce: too low",
		[HLSIM_NONCE_OUT_OF_RANGE] = "Invalid nonce: time out of range",
	};
	snprintf(out, len, "%s %llu", text[v], (unsigned long long)nonce);
}
