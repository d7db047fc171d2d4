/* hl/hex.h -- the 0x-hex text forms of the protocol: addresses (20 bytes), cloids (16 bytes),
 * hashes and signature scalars (32 bytes, printed padded, parsed padded or not).
 *
 * Pure functions, no allocation, thread-safe. Output is always lowercase. Every err buffer may
 * be NULL when errlen is 0 (the message is then dropped, the code still returned).
 */
#ifndef HAT_HL_HEX_H
#define HAT_HL_HEX_H

#include <stddef.h>
#include <stdint.h>

#define HL_ADDR_LEN 20
#define HL_CLOID_LEN 16
#define HL_ADDR_STRLEN 43   /* "0x" + 40 hex + NUL */
#define HL_CLOID_STRLEN 35  /* "0x" + 32 hex + NUL */
#define HL_HASH_STRLEN 67   /* "0x" + 64 hex + NUL */

/* Writes "0x" + 2n lowercase hex digits of p[0..n) + NUL into out (room for 2n + 3 bytes).
 * The same as hat_hex_encode() (common/hex.h), which does the work. */
void hl_hex_encode(const uint8_t *p, size_t n, char *out);

/* Parses s[0..len) as "0x" (or "0X") followed by exactly 2n hex digits of either case into
 * out[0..n). what names the field for the error ("vaultAddress"). Returns 0 or HAT_E_PARSE with
 * err saying why (missing 0x, wrong length, bad digit); out is untouched on error. */
int hl_hex_decode_exact(const char *s, size_t len, uint8_t *out, size_t n, const char *what,
			char *err, size_t errlen);

/* Parses a 0x-prefixed hex integer of 1..64 digits (leading zeros optional, as the Python
 * SDK emits r/s unpadded) into a 32-byte big-endian out. Returns 0 or HAT_E_PARSE. */
int hl_hex_decode_u256(const char *s, size_t len, uint8_t out[32], const char *what, char *err,
		       size_t errlen);

/* Parses a 0x-prefixed hex integer of 1..16 digits (e.g. signatureChainId "0x66eee").
 * Returns 0 or HAT_E_PARSE. */
int hl_hex_decode_u64(const char *s, size_t len, uint64_t *out, const char *what, char *err,
		      size_t errlen);

#endif
