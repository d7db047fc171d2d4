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

/* Rotation offsets and the pi permutation in the order of the usual "rho-pi" walk. */
static const unsigned ROTC[24] = {
	1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
};
static const unsigned PILN[24] = {
	10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
};

static inline uint64_t rotl(uint64_t x, unsigned n) { return (x << n) | (x >> (64 - n)); }

static void keccakf(uint64_t st[25])
{
	for (int round = 0; round < 24; round++) {
		uint64_t bc[5], t;
		/* theta */
		for (int i = 0; i < 5; i++)
			bc[i] = st[i] ^ st[i + 5] ^ st[i + 10] ^ st[i + 15] ^ st[i + 20];
		for (int i = 0; i < 5; i++) {
			t = bc[(i + 4) % 5] ^ rotl(bc[(i + 1) % 5], 1);
			for (int j = 0; j < 25; j += 5)
				st[j + i] ^= t;
		}
		/* rho and pi */
		t = st[1];
		for (int i = 0; i < 24; i++) {
			unsigned j = PILN[i];
			uint64_t tmp = st[j];
			st[j] = rotl(t, ROTC[i]);
			t = tmp;
		}
		/* chi */
		for (int j = 0; j < 25; j += 5) {
			for (int i = 0; i < 5; i++)
				bc[i] = st[j + i];
			for (int i = 0; i < 5; i++)
				st[j + i] ^= (~bc[(i + 1) % 5]) & bc[(i + 2) % 5];
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
