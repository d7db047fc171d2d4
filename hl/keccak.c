/* hl/keccak.c -- Keccak-256 (Keccak-f[1600], rate 136 bytes, padding 0x01 ... 0x80).
 *
 * Written from the Keccak reference specification. Bytes are XORed straight into the
 * little-endian lanes, so no block buffer is kept.
 */
#include "hl/keccak.h"

#include <string.h>

static const uint64_t RC[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
	0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
	0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
	0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
	0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
	0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* rho rotation offsets and pi destinations, indexed by lane i = x + 5y: lane i moves to
 * PI_DST[i] = y + 5 * ((2x + 3y) mod 5) after being rotated left by RHO[i]. */
static const unsigned RHO[25] = {
	0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
};
static const unsigned PI_DST[25] = {
	0, 10, 20, 5, 15, 16, 1, 11, 21, 6, 7, 17, 2, 12, 22, 23, 8, 18, 3, 13, 14, 24, 9, 19, 4,
};

/* Rotation by 0..63 without the undefined shift by 64. */
static inline uint64_t rotl(uint64_t x, unsigned n) { return (x << n) | (x >> ((64 - n) & 63)); }

/* The loops have constant bounds and are fully unrolled, so the table lookups fold into
 * constants: this is the permutation's whole cost in signing (4 calls per L1 signature). */
static void keccakf(uint64_t st[25])
{
	for (int round = 0; round < 24; round++) {
		uint64_t c[5], d[5], b[25];
		/* theta */
#pragma GCC unroll 5
		for (int x = 0; x < 5; x++)
			c[x] = st[x] ^ st[x + 5] ^ st[x + 10] ^ st[x + 15] ^ st[x + 20];
#pragma GCC unroll 5
		for (int x = 0; x < 5; x++)
			d[x] = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
		/* rho and pi */
#pragma GCC unroll 25
		for (int i = 0; i < 25; i++)
			b[PI_DST[i]] = rotl(st[i] ^ d[i % 5], RHO[i]);
		/* chi */
#pragma GCC unroll 25
		for (int i = 0; i < 25; i++) {
			int x = i % 5, y = i - x;
			st[i] = b[i] ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
		}
		/* iota */
		st[0] ^= RC[round];
	}
}

static inline void xor_byte(uint64_t st[25], size_t pos, uint8_t b)
{
	st[pos / 8] ^= (uint64_t)b << (8 * (pos % 8));
}

void hl_keccak_init(struct hl_keccak *k)
{
	memset(k, 0, sizeof *k);
}

void hl_keccak_update(struct hl_keccak *k, const void *p, size_t n)
{
	const uint8_t *in = p;
	size_t pos = k->pos;

	/* Whole aligned lanes go 8 bytes at a time; the ragged edges byte by byte. */
	while (n > 0) {
		if (pos % 8 == 0 && n >= 8) {
			uint64_t lane = 0;
			for (int i = 7; i >= 0; i--)
				lane = (lane << 8) | in[i];
			k->st[pos / 8] ^= lane;
			pos += 8;
			in += 8;
			n -= 8;
		} else {
			xor_byte(k->st, pos++, *in++);
			n--;
		}
		if (pos == HL_KECCAK256_RATE) {
			keccakf(k->st);
			pos = 0;
		}
	}
	k->pos = pos;
}

void hl_keccak_final(struct hl_keccak *k, uint8_t out[HL_KECCAK256_LEN])
{
	/* Original Keccak padding: 0x01 after the message, 0x80 in the block's last byte (both in
	 * the same byte when only one byte is left). NIST SHA-3 would use 0x06 here. */
	xor_byte(k->st, k->pos, 0x01);
	xor_byte(k->st, HL_KECCAK256_RATE - 1, 0x80);
	keccakf(k->st);
	for (int i = 0; i < HL_KECCAK256_LEN; i++)
		out[i] = (uint8_t)(k->st[i / 8] >> (8 * (i % 8)));
	k->pos = 0;
}

void hl_keccak256(const void *p, size_t n, uint8_t out[HL_KECCAK256_LEN])
{
	struct hl_keccak k;
	hl_keccak_init(&k);
	hl_keccak_update(&k, p, n);
	hl_keccak_final(&k, out);
}
