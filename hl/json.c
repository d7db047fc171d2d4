/* hl/json.c -- typed cJSON access with errors naming the path. */
#include "hl/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/fixed.h"
#include "common/msg.h"
#include "hl/wire.h"

/* Appends frame p (after its parents) to buf[*pos..len). */
static void put_frame(const struct hl_jpath *p, char *buf, size_t len, size_t *pos, int depth)
{
	if (!p)
		return;
	if (depth > 32) { /* paths come from our own stack frames; this only bounds a bug */
		snprintf(buf + *pos, len - *pos, "...");
		*pos += strlen(buf + *pos);
		return;
	}
	put_frame(p->up, buf, len, pos, depth + 1);
	if (*pos >= len - 1)
		return;
	int n;
	if (p->key)
		n = snprintf(buf + *pos, len - *pos, "%s%s", *pos ? "." : "", p->key);
	else
		n = snprintf(buf + *pos, len - *pos, "[%zu]", p->idx);
	if (n > 0)
		*pos = (size_t)n >= len - *pos ? len - 1 : *pos + (size_t)n;
}

const char *hl_jpath_format(const struct hl_jpath *p, const char *key, char *buf, size_t len)
{
	if (!len)
		return buf;
	size_t pos = 0;
	buf[0] = '\0';
	struct hl_jpath last = HL_JPATH_KEY(p, key);
	put_frame(key ? &last : p, buf, len, &pos, 0);
	return buf;
}

int hl_json_fail(char *err, size_t errlen, const struct hl_jpath *p, const char *key,
		 const char *fmt, ...)
{
	if (!err || !errlen)
		return HAT_E_PARSE;
	char path[160];
	hl_jpath_format(p, key, path, sizeof path);
	int n = snprintf(err, errlen, "%s%s", path, path[0] ? ": " : "");
	if (n >= 0 && (size_t)n < errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return HAT_E_PARSE;
}

cJSON *hl_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	if (!text || len == 0) {
		if (err && errlen)
			snprintf(err, errlen, "empty input");
		return NULL;
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
		if (err && errlen)
			snprintf(err, errlen, "invalid JSON at byte %zu", off);
		return NULL;
	}
	/* cJSON stops after the first value; anything but whitespace after it is an error. */
	size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
	while (off < len && (text[off] == ' ' || text[off] == '\t' || text[off] == '\n' ||
			     text[off] == '\r' || text[off] == '\0'))
		off++;
	if (off < len) {
		cJSON_Delete(root);
		if (err && errlen)
			snprintf(err, errlen, "invalid JSON at byte %zu: trailing data", off);
		return NULL;
	}
	return root;
}

const cJSON *hl_json_item(const cJSON *obj, const char *key)
{
	if (!key)
		return obj;
	if (!cJSON_IsObject(obj))
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* The present, non-null item at obj.key, or an error ("missing"). */
static int need(const cJSON *obj, const char *key, const struct hl_jpath *p, const cJSON **it,
		char *err, size_t errlen)
{
	if (key && !cJSON_IsObject(obj))
		return hl_json_fail(err, errlen, p, NULL, "expected an object");
	*it = hl_json_item(obj, key);
	if (!*it)
		return hl_json_fail(err, errlen, p, key, "missing");
	return 0;
}

int hl_json_object(const cJSON *obj, const char *key, const struct hl_jpath *p,
		   const cJSON **out, char *err, size_t errlen)
{
	const cJSON *it;
	int rc = need(obj, key, p, &it, err, errlen);
	if (rc)
		return rc;
	if (!cJSON_IsObject(it))
		return hl_json_fail(err, errlen, p, key, "expected an object");
	*out = it;
	return 0;
}

int hl_json_array(const cJSON *obj, const char *key, const struct hl_jpath *p,
		  const cJSON **out, char *err, size_t errlen)
{
	const cJSON *it;
	int rc = need(obj, key, p, &it, err, errlen);
	if (rc)
		return rc;
	if (!cJSON_IsArray(it))
		return hl_json_fail(err, errlen, p, key, "expected an array");
	*out = it;
	return 0;
}

int hl_json_str(const cJSON *obj, const char *key, const struct hl_jpath *p, const char **out,
		char *err, size_t errlen)
{
	const cJSON *it;
	int rc = need(obj, key, p, &it, err, errlen);
	if (rc)
		return rc;
	if (!cJSON_IsString(it) || !it->valuestring)
		return hl_json_fail(err, errlen, p, key, "expected a string");
	*out = it->valuestring;
	return 0;
}

int hl_json_strcpy(const cJSON *obj, const char *key, const struct hl_jpath *p, char *dst,
		   size_t dstlen, char *err, size_t errlen)
{
	const char *s;
	int rc = hl_json_str(obj, key, p, &s, err, errlen);
	if (rc)
		return rc;
	size_t n = strlen(s);
	if (n >= dstlen)
		return hl_json_fail(err, errlen, p, key, "longer than %zu bytes", dstlen - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

int hl_json_coin(const cJSON *obj, const char *key, const struct hl_jpath *p,
		 char coin[HAT_COIN_LEN], char *err, size_t errlen)
{
	const char *s = NULL;
	int rc = hl_json_str(obj, key, p, &s, err, errlen);
	if (rc)
		return rc;
	rc = hat_coin_set(coin, s);
	if (rc == -EINVAL)
		return hl_json_fail(err, errlen, p, key, "empty coin");
	if (rc)
		return hl_json_fail(err, errlen, p, key, "longer than %d bytes", HAT_COIN_LEN - 1);
	return 0;
}

int hl_json_strtrunc(const cJSON *obj, const char *key, const struct hl_jpath *p, char *dst,
		     size_t dstlen, char *err, size_t errlen)
{
	const char *s = NULL;
	int rc = hl_json_str(obj, key, p, &s, err, errlen);
	if (rc)
		return rc;
	if (dstlen) {
		size_t n = strnlen(s, dstlen - 1);
		memcpy(dst, s, n);
		dst[n] = '\0';
	}
	return 0;
}

static int parse_fx_item(const cJSON *it, const char *key, const struct hl_jpath *p,
			 int64_t *out, char *err, size_t errlen)
{
	if (!cJSON_IsString(it) || !it->valuestring)
		return hl_json_fail(err, errlen, p, key, "expected a string");
	char why[96];
	int64_t v;
	if (hat_fx_parse(it->valuestring, strlen(it->valuestring), &v, why, sizeof why) != 0)
		return hl_json_fail(err, errlen, p, key, "%s", why);
	/* Every hat message caps amounts at HAT_FX_MAX; refuse more here, where it is named. */
	if (v > HAT_FX_MAX || v < -HAT_FX_MAX)
		return hl_json_fail(err, errlen, p, key, "\"%.40s\": magnitude over 90000000000",
				    it->valuestring);
	*out = v;
	return 0;
}

int hl_json_fx(const cJSON *obj, const char *key, const struct hl_jpath *p, int64_t *out,
	       char *err, size_t errlen)
{
	const cJSON *it;
	int rc = need(obj, key, p, &it, err, errlen);
	if (rc)
		return rc;
	return parse_fx_item(it, key, p, out, err, errlen);
}

int hl_json_fx_opt(const cJSON *obj, const char *key, const struct hl_jpath *p, int64_t *out,
		   bool *present, char *err, size_t errlen)
{
	if (key && !cJSON_IsObject(obj))
		return hl_json_fail(err, errlen, p, NULL, "expected an object");
	const cJSON *it = hl_json_item(obj, key);
	if (!it || cJSON_IsNull(it)) {
		*out = 0;
		if (present)
			*present = false;
		return 0;
	}
	int rc = parse_fx_item(it, key, p, out, err, errlen);
	if (rc == 0 && present)
		*present = true;
	return rc;
}

int hl_json_uint(const cJSON *obj, const char *key, const struct hl_jpath *p, uint64_t max,
		 uint64_t *out, char *err, size_t errlen)
{
	const cJSON *it;
	int rc = need(obj, key, p, &it, err, errlen);
	if (rc)
		return rc;
	if (!cJSON_IsNumber(it))
		return hl_json_fail(err, errlen, p, key, "expected an integer");
	double d = it->valuedouble;
	if (!isfinite(d) || d != floor(d))
		return hl_json_fail(err, errlen, p, key, "expected an integer");
	if (d < 0)
		return hl_json_fail(err, errlen, p, key, "expected a non-negative integer");
	if (d > (double)HL_JSON_INT_MAX)
		return hl_json_fail(err, errlen, p, key, "integer out of range (max 2^53-1)");
	uint64_t v = (uint64_t)d;
	if (v > max)
		return hl_json_fail(err, errlen, p, key, "integer %llu out of range (max %llu)",
				    (unsigned long long)v, (unsigned long long)max);
	*out = v;
	return 0;
}

int hl_json_u64(const cJSON *obj, const char *key, const struct hl_jpath *p, uint64_t *out,
		char *err, size_t errlen)
{
	return hl_json_uint(obj, key, p, HL_JSON_INT_MAX, out, err, errlen);
}

int hl_json_bool(const cJSON *obj, const char *key, const struct hl_jpath *p, bool *out,
		 char *err, size_t errlen)
{
	const cJSON *it;
	int rc = need(obj, key, p, &it, err, errlen);
	if (rc)
		return rc;
	if (!cJSON_IsBool(it))
		return hl_json_fail(err, errlen, p, key, "expected a boolean");
	*out = cJSON_IsTrue(it);
	return 0;
}

int hl_json_bool_opt(const cJSON *obj, const char *key, const struct hl_jpath *p, bool dflt,
		     bool *out, char *err, size_t errlen)
{
	if (key && !cJSON_IsObject(obj))
		return hl_json_fail(err, errlen, p, NULL, "expected an object");
	const cJSON *it = hl_json_item(obj, key);
	if (!it || cJSON_IsNull(it)) {
		*out = dflt;
		return 0;
	}
	if (!cJSON_IsBool(it))
		return hl_json_fail(err, errlen, p, key, "expected a boolean");
	*out = cJSON_IsTrue(it);
	return 0;
}

int hl_json_side(const cJSON *obj, const char *key, const struct hl_jpath *p, uint8_t *out,
		 char *err, size_t errlen)
{
	const char *s;
	int rc = hl_json_str(obj, key, p, &s, err, errlen);
	if (rc)
		return rc;
	if (s[0] == 'B' && s[1] == '\0')
		*out = HAT_SIDE_BUY;
	else if (s[0] == 'A' && s[1] == '\0')
		*out = HAT_SIDE_SELL;
	else
		return hl_json_fail(err, errlen, p, key, "expected \"B\" or \"A\", got \"%.16s\"", s);
	return 0;
}

int hl_json_cloid_opt(const cJSON *obj, const char *key, const struct hl_jpath *p,
		      uint8_t out[16], uint8_t *has, char *err, size_t errlen)
{
	if (key && !cJSON_IsObject(obj))
		return hl_json_fail(err, errlen, p, NULL, "expected an object");
	const cJSON *it = hl_json_item(obj, key);
	if (!it || cJSON_IsNull(it)) {
		memset(out, 0, 16);
		*has = 0;
		return 0;
	}
	if (!cJSON_IsString(it) || !it->valuestring)
		return hl_json_fail(err, errlen, p, key, "expected a string");
	char why[128];
	if (hl_cloid_parse(it->valuestring, strlen(it->valuestring), out, why, sizeof why) != 0)
		return hl_json_fail(err, errlen, p, key, "%s", why);
	*has = 1;
	return 0;
}
