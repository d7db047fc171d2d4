/* hl/msgpack.h -- the MessagePack subset Hyperliquid hashes, byte-exact with Python's
 * msgpack.packb() defaults (use_bin_type=True): smallest integer forms, the unsigned family
 * for non-negative integers (never 0xd3 for a positive value), str8 for strings of 32..255
 * bytes, map16/array16 and map32/array32 past 15 and 65535 entries. Floats are never
 * produced: the exchange hashes no floats.
 *
 * Written by hand rather than with msgpack-c because the subset is ~100 lines and msgpack-c's
 * packer chooses forms by C type, not by value, which is exactly the class of bug that breaks
 * signatures (see hyperliquid-protocol.md 5.3).
 *
 * All encoders append to a struct hat_buf (common/buf.h); on allocation failure the buffer's
 * oom flag is set, so callers check hat_buf_ok() once at the end. No I/O, no globals.
 */
#ifndef HAT_HL_MSGPACK_H
#define HAT_HL_MSGPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct cJSON;

/* Maximum nesting of maps/arrays accepted by the JSON converters below. */
#define HL_MP_MAX_DEPTH 32

/* Container headers: the caller then appends n key/value pairs (map) or n values (array). */
void hl_mp_map(struct hat_buf *b, uint32_t n);
void hl_mp_array(struct hat_buf *b, uint32_t n);
/* UTF-8 string (not validated): fixstr / str8 / str16 / str32 by byte length. */
void hl_mp_str(struct hat_buf *b, const char *s);
void hl_mp_strn(struct hat_buf *b, const char *s, size_t n);
/* Non-negative integer: positive fixint, 0xcc, 0xcd, 0xce, 0xcf. */
void hl_mp_uint(struct hat_buf *b, uint64_t v);
/* Signed integer: v >= 0 is encoded exactly as hl_mp_uint(); negatives use negative fixint,
 * 0xd0, 0xd1, 0xd2, 0xd3 (smallest that fits). */
void hl_mp_int(struct hat_buf *b, int64_t v);
void hl_mp_bool(struct hat_buf *b, bool v);
void hl_mp_nil(struct hat_buf *b);

/* Encodes a cJSON tree (borrowed) as msgpack, keeping the tree's key order: objects -> maps,
 * arrays -> arrays, strings -> str, true/false -> bool, null -> nil, numbers -> integers.
 * Limit: cJSON keeps numbers only as doubles, so integers are accepted only when
 * |v| <= 2^53 (9007199254740992), where a double is exact; larger values, and numbers with a
 * fractional part, are rejected. cJSON cannot tell "1.0" from "1": both encode as integer 1.
 * For exact integers up to 2^64-1 use hl_mp_from_json_text().
 * Returns 0; HAT_E_PARSE with err naming the path (e.g. "orders[0].a: ...") for a float, an
 * inexact integer or nesting deeper than HL_MP_MAX_DEPTH; -ENOMEM if out ran out of memory.
 * On error out may hold a partial encoding (reset it). */
int hl_mp_from_json(const struct cJSON *j, struct hat_buf *out, char *err, size_t errlen);

/* Parses JSON text s[0..n) and encodes it as msgpack in the text's key order, with exact
 * integers from -2^63 to 2^64-1 (the text is read directly, never through a double).
 * Strings are unescaped (\uXXXX and surrogate pairs to UTF-8). Floats (a '.' or exponent),
 * integers outside that range, duplicate keys in one object, trailing garbage, invalid
 * escapes or control characters, and nesting deeper than HL_MP_MAX_DEPTH are rejected.
 * Returns 0, HAT_E_PARSE with err saying what and where (byte offset), or -ENOMEM. */
int hl_mp_from_json_text(const char *s, size_t n, struct hat_buf *out, char *err, size_t errlen);

#endif
