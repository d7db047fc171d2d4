/* common/hex.h -- lowercase hex text of raw bytes: the one encoder behind every "0x..." hat
 * prints (cloids in common/msg.h, addresses, hashes and signature scalars in hl/hex.h, which
 * also holds the 0x-hex parsers the protocol needs).
 *
 * Pure functions, no allocation, thread-safe, any process.
 */
#ifndef HAT_COMMON_HEX_H
#define HAT_COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes "0x" + 2n lowercase hex digits of p[0..n) + NUL into out, which must have room for
 * 2n + 3 bytes. p is borrowed for the call. Cannot fail. */
void hat_hex_encode(const uint8_t *p, size_t n, char *out);

/* Each char's hex digit value plus one (0: not a hex digit). A table rather than comparisons,
 * which mispredict on about every other digit of random hex (the r and s of every signature
 * hlsim checks). Use hat_hex_nibble(). */
extern const uint8_t hat_hex_nibble1[256];

/* The value of one hex digit of either case ('0'..'9', 'a'..'f', 'A'..'F'), or -1 for any
 * other char. */
static inline int hat_hex_nibble(char c)
{
	return (int)hat_hex_nibble1[(unsigned char)c] - 1;
}

#endif
