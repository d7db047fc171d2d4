/* hl/json.h -- typed, bounds-checked access to cJSON trees with errors that name the path.
 *
 * Every exchange parser of hl/ reads its fields through these getters, so every failure reads
 * like "l2Book.levels[0][3].px: expected a string". A path is a chain of stack frames
 * (struct hl_jpath) that is only rendered when an error is reported, so walking costs nothing.
 *
 * Numbers. Decimal quantities travel as JSON strings and are parsed exactly with
 * hat_fx_parse(). Integers (oid, tid, timestamps, counts) travel as JSON numbers, which cJSON
 * stores as a double: exact for every integer below 2^53. hl_json_u64() therefore accepts only
 * a number whose double value is integral and in 0..2^53-1, and rejects everything else with
 * "expected an integer" or "integer out of range (max 2^53-1)". Any JSON text of an integer
 * >= 2^53 parses to a double >= 2^53 (rounding is monotonic and 2^53 is exact), so no large id
 * is ever silently altered. (A fractional text that rounds to an integral double, such as
 * 1.00000000000000001, or an exponent form such as 1e3, is accepted as that integer.)
 *
 * "Absent" and JSON null are the same for every *_opt getter. Getters with key == NULL read obj
 * itself (array elements). Thread-safe, no allocation except hl_json_parse().
 */
#ifndef HAT_HL_JSON_H
#define HAT_HL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/compiler.h"
#include "common/msg_types.h"

#define HL_JSON_INT_MAX 9007199254740991ULL /* 2^53 - 1 */

/* One step of a path: a key (key != NULL) or an array index. The root frame has up == NULL. */
struct hl_jpath {
	const struct hl_jpath *up;
	const char *key;
	size_t idx;
};
#define HL_JPATH_ROOT(name) { NULL, (name), 0 }
#define HL_JPATH_KEY(parent, k) { (parent), (k), 0 }
#define HL_JPATH_IDX(parent, i) { (parent), NULL, (i) }

/* Renders p (then .key if key != NULL) as "a.b[2].c" into buf; returns buf. */
const char *hl_jpath_format(const struct hl_jpath *p, const char *key, char *buf, size_t len);

/* Writes "<path>[.key]: <message>" into err (if not NULL) and returns HAT_E_PARSE. */
int hl_json_fail(char *err, size_t errlen, const struct hl_jpath *p, const char *key,
		 const char *fmt, ...) HAT_PRINTF(5, 6);

/* Parses text[0..len) (need not be NUL-terminated). Returns a tree the caller frees with
 * cJSON_Delete(), or NULL with err = "invalid JSON at byte N" (or "empty input"). */
cJSON *hl_json_parse(const char *text, size_t len, char *err, size_t errlen);

/* Looks up key in object obj (case-sensitive; the first of duplicate keys wins), or obj itself
 * when key is NULL. Returns the item or NULL if absent / obj is not an object. */
const cJSON *hl_json_item(const cJSON *obj, const char *key);

/* Required value of a given kind; each returns 0 or HAT_E_PARSE with the path in err.
 *   obj: the object holding key (or the value itself when key is NULL); p: obj's path. */
int hl_json_object(const cJSON *obj, const char *key, const struct hl_jpath *p,
		   const cJSON **out, char *err, size_t errlen);
int hl_json_array(const cJSON *obj, const char *key, const struct hl_jpath *p,
		  const cJSON **out, char *err, size_t errlen);
/* String: *out points into the tree (valid while it lives). */
int hl_json_str(const cJSON *obj, const char *key, const struct hl_jpath *p, const char **out,
		char *err, size_t errlen);
/* String copied NUL-terminated into dst[dstlen]; "longer than N bytes" if it does not fit. */
int hl_json_strcpy(const cJSON *obj, const char *key, const struct hl_jpath *p, char *dst,
		   size_t dstlen, char *err, size_t errlen);
/* Coin name into a HAT_COIN_LEN field (hat_coin_set): "empty coin", "longer than 15 bytes". */
int hl_json_coin(const cJSON *obj, const char *key, const struct hl_jpath *p,
		 char coin[HAT_COIN_LEN], char *err, size_t errlen);
/* String copied and silently truncated to dstlen - 1 bytes (display texts). */
int hl_json_strtrunc(const cJSON *obj, const char *key, const struct hl_jpath *p, char *dst,
		     size_t dstlen, char *err, size_t errlen);
/* Decimal string -> 1e-8 fixed point (hat_fx_parse rules), magnitude at most HAT_FX_MAX
 * (90000000000.0, the cap of every hat message). */
int hl_json_fx(const cJSON *obj, const char *key, const struct hl_jpath *p, int64_t *out,
	       char *err, size_t errlen);
/* Same, absent/null allowed: *present = false and *out = 0. present may be NULL. */
int hl_json_fx_opt(const cJSON *obj, const char *key, const struct hl_jpath *p, int64_t *out,
		   bool *present, char *err, size_t errlen);
/* Integer 0..2^53-1 (see the header comment). */
int hl_json_u64(const cJSON *obj, const char *key, const struct hl_jpath *p, uint64_t *out,
		char *err, size_t errlen);
/* Integer in 0..max. */
int hl_json_uint(const cJSON *obj, const char *key, const struct hl_jpath *p, uint64_t max,
		 uint64_t *out, char *err, size_t errlen);
int hl_json_bool(const cJSON *obj, const char *key, const struct hl_jpath *p, bool *out,
		 char *err, size_t errlen);
/* Absent/null -> dflt. */
int hl_json_bool_opt(const cJSON *obj, const char *key, const struct hl_jpath *p, bool dflt,
		     bool *out, char *err, size_t errlen);
/* "B" -> HAT_SIDE_BUY, "A" -> HAT_SIDE_SELL. */
int hl_json_side(const cJSON *obj, const char *key, const struct hl_jpath *p, uint8_t *out,
		 char *err, size_t errlen);
/* Optional cloid ("0x" + 32 lowercase hex): absent/null -> *has = 0 and out zeroed. */
int hl_json_cloid_opt(const cJSON *obj, const char *key, const struct hl_jpath *p,
		      uint8_t out[16], uint8_t *has, char *err, size_t errlen);

#endif
