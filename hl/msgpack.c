/* hl/msgpack.c -- Python-msgpack-compatible encoder and the two JSON -> msgpack converters. */
#include "hl/msgpack.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/err.h"

/* ------------------------------------------------------------------ encoder */

static void put_be(struct hat_buf *b, uint8_t tag, uint64_t v, int nbytes)
{
	uint8_t tmp[9];
	tmp[0] = tag;
	for (int i = 0; i < nbytes; i++)
		tmp[1 + i] = (uint8_t)(v >> (8 * (nbytes - 1 - i)));
	hat_buf_append(b, tmp, (size_t)nbytes + 1);
}

/* Writes a container header for n entries: fix form below 16, then 16- and 32-bit forms. */
static void put_container(struct hat_buf *b, uint8_t fix, uint8_t tag16, uint8_t tag32, uint32_t n)
{
	if (n < 16)
		put_be(b, (uint8_t)(fix | n), 0, 0);
	else if (n <= 0xffff)
		put_be(b, tag16, n, 2);
	else
		put_be(b, tag32, n, 4);
}

void hl_mp_map(struct hat_buf *b, uint32_t n) { put_container(b, 0x80, 0xde, 0xdf, n); }
void hl_mp_array(struct hat_buf *b, uint32_t n) { put_container(b, 0x90, 0xdc, 0xdd, n); }

void hl_mp_strn(struct hat_buf *b, const char *s, size_t n)
{
	if (n < 32)
		put_be(b, (uint8_t)(0xa0 | n), 0, 0);
	else if (n <= 0xff)
		put_be(b, 0xd9, n, 1);
	else if (n <= 0xffff)
		put_be(b, 0xda, n, 2);
	else
		put_be(b, 0xdb, n, 4);
	hat_buf_append(b, s, n);
}

void hl_mp_str(struct hat_buf *b, const char *s) { hl_mp_strn(b, s, strlen(s)); }

void hl_mp_uint(struct hat_buf *b, uint64_t v)
{
	if (v < 128)
		put_be(b, (uint8_t)v, 0, 0);
	else if (v <= 0xff)
		put_be(b, 0xcc, v, 1);
	else if (v <= 0xffff)
		put_be(b, 0xcd, v, 2);
	else if (v <= 0xffffffffULL)
		put_be(b, 0xce, v, 4);
	else
		put_be(b, 0xcf, v, 8);
}

void hl_mp_int(struct hat_buf *b, int64_t v)
{
	if (v >= 0)
		hl_mp_uint(b, (uint64_t)v);
	else if (v >= -32)
		put_be(b, (uint8_t)(int8_t)v, 0, 0);
	else if (v >= INT8_MIN)
		put_be(b, 0xd0, (uint64_t)v, 1);
	else if (v >= INT16_MIN)
		put_be(b, 0xd1, (uint64_t)v, 2);
	else if (v >= INT32_MIN)
		put_be(b, 0xd2, (uint64_t)v, 4);
	else
		put_be(b, 0xd3, (uint64_t)v, 8);
}

void hl_mp_bool(struct hat_buf *b, bool v) { put_be(b, v ? 0xc3 : 0xc2, 0, 0); }
void hl_mp_nil(struct hat_buf *b) { put_be(b, 0xc0, 0, 0); }

/* ------------------------------------------------------------------ from cJSON */

#define MAX_SAFE_INT 9007199254740992.0 /* 2^53 */

struct jpath {
	char buf[256];
	size_t len;
};

static size_t path_push_key(struct jpath *p, const char *key)
{
	size_t old = p->len;
	if (old < sizeof p->buf) {
		int n = snprintf(p->buf + old, sizeof p->buf - old, "%s%s", old ? "." : "", key);
		p->len = n < 0 ? old : old + (size_t)n;
		if (p->len >= sizeof p->buf)
			p->len = sizeof p->buf - 1;
	}
	return old;
}

static size_t path_push_idx(struct jpath *p, size_t i)
{
	size_t old = p->len;
	if (old < sizeof p->buf) {
		int n = snprintf(p->buf + old, sizeof p->buf - old, "[%zu]", i);
		p->len = n < 0 ? old : old + (size_t)n;
		if (p->len >= sizeof p->buf)
			p->len = sizeof p->buf - 1;
	}
	return old;
}

static void path_pop(struct jpath *p, size_t old)
{
	p->len = old;
	p->buf[old] = '\0';
}

static const char *path_str(const struct jpath *p) { return p->len ? p->buf : "(root)"; }

static int from_cjson(const cJSON *j, struct hat_buf *out, struct jpath *path, int depth,
		      char *err, size_t errlen)
{
	if (depth > HL_MP_MAX_DEPTH) {
		snprintf(err, errlen, "%s: nesting deeper than %d", path_str(path), HL_MP_MAX_DEPTH);
		return HAT_E_PARSE;
	}
	if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
		size_t n = 0;
		for (const cJSON *c = j->child; c; c = c->next)
			n++;
		if (n > UINT32_MAX) {
			snprintf(err, errlen, "%s: too many entries", path_str(path));
			return HAT_E_PARSE;
		}
		bool obj = cJSON_IsObject(j);
		if (obj)
			hl_mp_map(out, (uint32_t)n);
		else
			hl_mp_array(out, (uint32_t)n);
		size_t i = 0;
		for (const cJSON *c = j->child; c; c = c->next, i++) {
			size_t old;
			if (obj) {
				if (!c->string) {
					snprintf(err, errlen, "%s: member without a key", path_str(path));
					return HAT_E_PARSE;
				}
				hl_mp_str(out, c->string);
				old = path_push_key(path, c->string);
			} else {
				old = path_push_idx(path, i);
			}
			int rc = from_cjson(c, out, path, depth + 1, err, errlen);
			if (rc)
				return rc;
			path_pop(path, old);
		}
	} else if (cJSON_IsString(j)) {
		hl_mp_str(out, j->valuestring);
	} else if (cJSON_IsTrue(j)) {
		hl_mp_bool(out, true);
	} else if (cJSON_IsFalse(j)) {
		hl_mp_bool(out, false);
	} else if (cJSON_IsNull(j)) {
		hl_mp_nil(out);
	} else if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;
		if (!isfinite(d) || d != floor(d)) {
			snprintf(err, errlen, "%s: floats are not allowed in a hashed action (got %.17g)",
				 path_str(path), d);
			return HAT_E_PARSE;
		}
		if (fabs(d) > MAX_SAFE_INT) {
			snprintf(err, errlen,
				 "%s: integer beyond 2^53 cannot be represented exactly from cJSON",
				 path_str(path));
			return HAT_E_PARSE;
		}
		hl_mp_int(out, (int64_t)d);
	} else {
		snprintf(err, errlen, "%s: unsupported JSON value", path_str(path));
		return HAT_E_PARSE;
	}
	return hat_buf_ok(out) ? 0 : -ENOMEM;
}

int hl_mp_from_json(const cJSON *j, struct hat_buf *out, char *err, size_t errlen)
{
	struct jpath path = {.len = 0};
	path.buf[0] = '\0';
	if (!j) {
		snprintf(err, errlen, "(root): no JSON value");
		return HAT_E_PARSE;
	}
	return from_cjson(j, out, &path, 0, err, errlen);
}

/* ------------------------------------------------------------------ from JSON text */

struct jtext {
	const char *s;
	size_t n, i;
	struct hat_buf *out;
	struct hat_buf scratch; /* unescaped string bytes */
	char *err;
	size_t errlen;
};

static int jfail(struct jtext *t, const char *what)
{
	snprintf(t->err, t->errlen, "JSON at byte %zu: %s", t->i, what);
	return HAT_E_PARSE;
}

static void skip_ws(struct jtext *t)
{
	while (t->i < t->n && (t->s[t->i] == ' ' || t->s[t->i] == '\t' || t->s[t->i] == '\n' ||
			       t->s[t->i] == '\r'))
		t->i++;
}

static int hex4(struct jtext *t, uint32_t *out)
{
	uint32_t v = 0;
	if (t->n - t->i < 4)
		return jfail(t, "truncated \\u escape");
	for (int k = 0; k < 4; k++) {
		char c = t->s[t->i++];
		int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
			: (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
		if (d < 0)
			return jfail(t, "bad hex digit in \\u escape");
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

static void put_utf8(struct hat_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	hat_buf_append(b, u, n);
}

/* Parses a string literal (t->s[t->i] == '"') into t->scratch (unescaped). */
static int parse_string(struct jtext *t)
{
	hat_buf_reset(&t->scratch);
	t->i++;
	for (;;) {
		if (t->i >= t->n)
			return jfail(t, "unterminated string");
		unsigned char c = (unsigned char)t->s[t->i];
		if (c == '"') {
			t->i++;
			return hat_buf_ok(&t->scratch) ? 0 : -ENOMEM;
		}
		if (c < 0x20)
			return jfail(t, "control character in string");
		if (c != '\\') {
			size_t start = t->i;
			while (t->i < t->n && t->s[t->i] != '"' && t->s[t->i] != '\\' &&
			       (unsigned char)t->s[t->i] >= 0x20)
				t->i++;
			hat_buf_append(&t->scratch, t->s + start, t->i - start);
			continue;
		}
		t->i++;
		if (t->i >= t->n)
			return jfail(t, "unterminated escape");
		char e = t->s[t->i++];
		switch (e) {
		case '"': hat_buf_putc(&t->scratch, '"'); break;
		case '\\': hat_buf_putc(&t->scratch, '\\'); break;
		case '/': hat_buf_putc(&t->scratch, '/'); break;
		case 'b': hat_buf_putc(&t->scratch, '\b'); break;
		case 'f': hat_buf_putc(&t->scratch, '\f'); break;
		case 'n': hat_buf_putc(&t->scratch, '\n'); break;
		case 'r': hat_buf_putc(&t->scratch, '\r'); break;
		case 't': hat_buf_putc(&t->scratch, '\t'); break;
		case 'u': {
			uint32_t cp, lo;
			int rc = hex4(t, &cp);
			if (rc)
				return rc;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (t->n - t->i < 2 || t->s[t->i] != '\\' || t->s[t->i + 1] != 'u')
					return jfail(t, "lone high surrogate in \\u escape");
				t->i += 2;
				if ((rc = hex4(t, &lo)))
					return rc;
				if (lo < 0xdc00 || lo > 0xdfff)
					return jfail(t, "bad low surrogate in \\u escape");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return jfail(t, "lone low surrogate in \\u escape");
			}
			put_utf8(&t->scratch, cp);
			break;
		}
		default:
			t->i--;
			return jfail(t, "invalid escape");
		}
	}
}

static int parse_number(struct jtext *t)
{
	bool neg = false;
	if (t->s[t->i] == '-') {
		neg = true;
		t->i++;
	}
	if (t->i >= t->n || t->s[t->i] < '0' || t->s[t->i] > '9')
		return jfail(t, "expected a digit");
	size_t start = t->i;
	uint64_t v = 0;
	bool overflow = false;
	while (t->i < t->n && t->s[t->i] >= '0' && t->s[t->i] <= '9') {
		unsigned d = (unsigned)(t->s[t->i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			overflow = true;
		v = v * 10 + d;
		t->i++;
	}
	if (t->s[start] == '0' && t->i - start > 1) {
		t->i = start;
		return jfail(t, "leading zero in number");
	}
	if (t->i < t->n && (t->s[t->i] == '.' || t->s[t->i] == 'e' || t->s[t->i] == 'E'))
		return jfail(t, "floats are not allowed in a hashed action");
	if (overflow || (neg && v > (uint64_t)INT64_MAX + 1)) {
		t->i = start;
		return jfail(t, neg ? "integer below -2^63" : "integer above 2^64-1");
	}
	if (!neg)
		hl_mp_uint(t->out, v);
	else if (v == (uint64_t)INT64_MAX + 1)
		hl_mp_int(t->out, INT64_MIN);
	else
		hl_mp_int(t->out, -(int64_t)v);
	return 0;
}

/* Inserts the container header for n entries in front of the bytes written since start. */
static int insert_header(struct jtext *t, size_t start, bool map, size_t n)
{
	if (n > UINT32_MAX)
		return jfail(t, "too many entries");
	struct hat_buf hdr = HAT_BUF_INIT;
	if (map)
		hl_mp_map(&hdr, (uint32_t)n);
	else
		hl_mp_array(&hdr, (uint32_t)n);
	int rc = 0;
	if (!hat_buf_ok(&hdr) || hat_buf_reserve(t->out, hdr.len) != 0) {
		rc = -ENOMEM;
	} else {
		memmove(t->out->data + start + hdr.len, t->out->data + start, t->out->len - start);
		memcpy(t->out->data + start, hdr.data, hdr.len);
		t->out->len += hdr.len;
		t->out->data[t->out->len] = '\0';
	}
	hat_buf_free(&hdr);
	return rc;
}

static int parse_value(struct jtext *t, int depth);

/* Offsets of the encoded keys of one object inside t->out, for the duplicate check. */
struct keyspan {
	size_t off, len;
};

static int parse_object(struct jtext *t, int depth)
{
	size_t start = t->out->len, n = 0, cap = 0;
	struct keyspan *keys = NULL;
	int rc = 0;
	t->i++;
	skip_ws(t);
	if (t->i < t->n && t->s[t->i] == '}') {
		t->i++;
		return insert_header(t, start, true, 0);
	}
	for (;;) {
		skip_ws(t);
		if (t->i >= t->n || t->s[t->i] != '"') {
			rc = jfail(t, "expected a string key");
			break;
		}
		size_t key_at = t->i;
		if ((rc = parse_string(t)))
			break;
		for (size_t k = 0; k < n; k++) {
			/* An empty key leaves scratch.data NULL: compare lengths only then. */
			if (keys[k].len == t->scratch.len &&
			    (t->scratch.len == 0 ||
			     memcmp(t->out->data + keys[k].off, t->scratch.data, t->scratch.len) == 0)) {
				t->i = key_at;
				rc = jfail(t, "duplicate key in object");
				break;
			}
		}
		if (rc)
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			struct keyspan *nk = realloc(keys, cap * sizeof *keys);
			if (!nk) {
				rc = -ENOMEM;
				break;
			}
			keys = nk;
		}
		hl_mp_strn(t->out, t->scratch.data ? t->scratch.data : "", t->scratch.len);
		if (!hat_buf_ok(t->out)) {
			rc = -ENOMEM;
			break;
		}
		keys[n].len = t->scratch.len;
		keys[n].off = t->out->len - t->scratch.len;
		n++;
		skip_ws(t);
		if (t->i >= t->n || t->s[t->i] != ':') {
			rc = jfail(t, "expected ':'");
			break;
		}
		t->i++;
		if ((rc = parse_value(t, depth + 1)))
			break;
		skip_ws(t);
		if (t->i < t->n && t->s[t->i] == ',') {
			t->i++;
			continue;
		}
		if (t->i < t->n && t->s[t->i] == '}') {
			t->i++;
			break;
		}
		rc = jfail(t, "expected ',' or '}'");
		break;
	}
	free(keys);
	if (rc)
		return rc;
	if (!hat_buf_ok(t->out))
		return -ENOMEM;
	return insert_header(t, start, true, n);
}

static int parse_array(struct jtext *t, int depth)
{
	size_t start = t->out->len, n = 0;
	int rc;
	t->i++;
	skip_ws(t);
	if (t->i < t->n && t->s[t->i] == ']') {
		t->i++;
		return insert_header(t, start, false, 0);
	}
	for (;;) {
		if ((rc = parse_value(t, depth + 1)))
			return rc;
		n++;
		skip_ws(t);
		if (t->i < t->n && t->s[t->i] == ',') {
			t->i++;
			continue;
		}
		if (t->i < t->n && t->s[t->i] == ']') {
			t->i++;
			break;
		}
		return jfail(t, "expected ',' or ']'");
	}
	if (!hat_buf_ok(t->out))
		return -ENOMEM;
	return insert_header(t, start, false, n);
}

static int parse_literal(struct jtext *t, const char *word)
{
	size_t len = strlen(word);
	if (t->n - t->i < len || memcmp(t->s + t->i, word, len) != 0)
		return jfail(t, "invalid literal");
	t->i += len;
	return 0;
}

static int parse_value(struct jtext *t, int depth)
{
	if (depth > HL_MP_MAX_DEPTH)
		return jfail(t, "nesting too deep");
	skip_ws(t);
	if (t->i >= t->n)
		return jfail(t, "unexpected end of input");
	char c = t->s[t->i];
	int rc;
	switch (c) {
	case '{':
		return parse_object(t, depth);
	case '[':
		return parse_array(t, depth);
	case '"':
		if ((rc = parse_string(t)))
			return rc;
		hl_mp_strn(t->out, t->scratch.data ? t->scratch.data : "", t->scratch.len);
		return 0;
	case 't':
		if ((rc = parse_literal(t, "true")))
			return rc;
		hl_mp_bool(t->out, true);
		return 0;
	case 'f':
		if ((rc = parse_literal(t, "false")))
			return rc;
		hl_mp_bool(t->out, false);
		return 0;
	case 'n':
		if ((rc = parse_literal(t, "null")))
			return rc;
		hl_mp_nil(t->out);
		return 0;
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return parse_number(t);
		return jfail(t, "unexpected character");
	}
}

int hl_mp_from_json_text(const char *s, size_t n, struct hat_buf *out, char *err, size_t errlen)
{
	struct jtext t = {.s = s, .n = n, .i = 0, .out = out, .scratch = HAT_BUF_INIT,
			  .err = err, .errlen = errlen};
	int rc = parse_value(&t, 0);
	if (rc == 0) {
		skip_ws(&t);
		if (t.i != t.n)
			rc = jfail(&t, "trailing characters after the JSON value");
	}
	if (rc == 0 && (!hat_buf_ok(out) || !hat_buf_ok(&t.scratch)))
		rc = -ENOMEM;
	hat_buf_free(&t.scratch);
	return rc;
}
