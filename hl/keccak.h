/* hl/keccak.h -- Keccak-256 as used by Ethereum and Hyperliquid (original Keccak padding 0x01,
 * rate 1088 bits). This is NOT NIST SHA3-256 (padding 0x06): keccak256("") is c5d24601...,
 * SHA3-256("") is a7ffc6f8....
 *
 * Pure computation: no allocation, no I/O, no global state; a struct hl_keccak belongs to one
 * thread at a time. Used by the signer (execd, hl-sign) and by hlsim's signature checks.
 */
#ifndef HAT_HL_KECCAK_H
#define HAT_HL_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define HL_KECCAK256_LEN 32
#define HL_KECCAK256_RATE 136 /* bytes absorbed per permutation */

/* Incremental state. Caller-allocated (stack is fine); no deinit needed. */
struct hl_keccak {
	uint64_t st[25]; /* the 5x5 lane state, lanes little-endian as in the spec */
	size_t pos;      /* bytes absorbed into the current block, 0..HL_KECCAK256_RATE-1 */
};

/* Starts a new hash. */
void hl_keccak_init(struct hl_keccak *k);
/* Absorbs n bytes of p (borrowed for the call; p may be NULL when n == 0). */
void hl_keccak_update(struct hl_keccak *k, const void *p, size_t n);
/* Pads, writes the 32-byte digest to out and leaves k unusable until hl_keccak_init(). */
void hl_keccak_final(struct hl_keccak *k, uint8_t out[HL_KECCAK256_LEN]);

/* One shot: out = keccak256(p[0..n)). */
void hl_keccak256(const void *p, size_t n, uint8_t out[HL_KECCAK256_LEN]);

#endif
