/* common/config.c -- JSON configuration through table-driven schemas (see config.h). */
#include "common/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fixed.h"

#define PATH_MAX_LEN 256

static int cfg_fail(char *err, size_t errlen, int code, const char *fmt, ...) HAT_PRINTF(4, 5);
static int cfg_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static const char *type_name(const cJSON *n)
{
	if (!n || cJSON_IsInvalid(n))
		return "nothing";
	if (cJSON_IsNull(n))
		return "null";
	if (cJSON_IsBool(n))
		return "boolean";
	if (cJSON_IsNumber(n))
		return "number";
	if (cJSON_IsString(n))
		return "string";
	if (cJSON_IsArray(n))
		return "array";
	return "object";
}

/* ================================================================ documents */

void hat_config_line_col(const char *text, size_t off, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* True if text ends inside a string or with an object/array still open. */
static bool unclosed(const char *text, size_t len)
{
	int depth = 0;
	bool in_str = false, esc = false;
	for (size_t i = 0; i < len; i++) {
		char ch = text[i];
		if (in_str) {
			if (esc)
				esc = false;
			else if (ch == '\\')
				esc = true;
			else if (ch == '"')
				in_str = false;
			continue;
		}
		if (ch == '"')
			in_str = true;
		else if (ch == '{' || ch == '[')
			depth++;
		else if (ch == '}' || ch == ']')
			depth--;
	}
	return in_str || depth > 0;
}

int hat_config_doc_parse(struct hat_config_doc *doc, const char *name, const char *text,
			 size_t len, char *err, size_t errlen)
{
	doc->root = NULL;
	snprintf(doc->path, sizeof doc->path, "%s", name);
	size_t i = 0;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	if (i == len)
		return cfg_fail(err, errlen, HAT_E_PARSE, "%s: empty file", name);
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
		/* cJSON points at the last token it read when the text simply stops; an unclosed
		 * object, array or string is reported at the end, where the problem shows. */
		if (unclosed(text, len))
			off = len;
		unsigned line, col;
		hat_config_line_col(text, off, &line, &col);
		/* Show a little of the text where parsing stopped, printable bytes only. */
		char near[24];
		size_t k = 0;
		for (size_t j = off; j < len && k < 16 && text[j] != '\n'; j++)
			near[k++] = (text[j] >= 0x20 && text[j] < 0x7f) ? text[j] : '?';
		near[k] = '\0';
		if (off >= len)
			return cfg_fail(err, errlen, HAT_E_PARSE, "%s:%u:%u: invalid JSON: unexpected end of input",
					name, line, col);
		return cfg_fail(err, errlen, HAT_E_PARSE, "%s:%u:%u: invalid JSON near '%s'", name, line,
				col, near);
	}
	/* Trailing garbage after the top-level value is an error too. */
	size_t off = (size_t)(end - text);
	while (off < len && (text[off] == ' ' || text[off] == '\t' || text[off] == '\n' || text[off] == '\r'))
		off++;
	if (off < len && text[off] != '\0') {
		unsigned line, col;
		hat_config_line_col(text, off, &line, &col);
		cJSON_Delete(root);
		return cfg_fail(err, errlen, HAT_E_PARSE, "%s:%u:%u: invalid JSON: trailing characters",
				name, line, col);
	}
	if (!cJSON_IsObject(root)) {
		int rc = cfg_fail(err, errlen, HAT_E_CONFIG, "%s: top level must be an object, got %s",
				  name, type_name(root));
		cJSON_Delete(root);
		return rc;
	}
	doc->root = root;
	return 0;
}

int hat_config_doc_load(struct hat_config_doc *doc, const char *path, char *err, size_t errlen)
{
	doc->root = NULL;
	snprintf(doc->path, sizeof doc->path, "%s", path);
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		return cfg_fail(err, errlen, -e, "%s: cannot open: %s", path, strerror(e));
	}
	size_t cap = 8192, len = 0;
	char *text = malloc(cap);
	int rc = 0;
	while (text) {
		size_t n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
		if (len == cap) {
			if (cap >= (64u << 20)) {
				rc = cfg_fail(err, errlen, HAT_E_CONFIG, "%s: larger than 64 MiB", path);
				break;
			}
			char *p = realloc(text, cap * 2);
			if (!p) {
				free(text);
				text = NULL;
				break;
			}
			text = p;
			cap *= 2;
		}
	}
	if (rc == 0 && ferror(f)) {
		int e = errno;
		rc = cfg_fail(err, errlen, -e, "%s: read failed: %s", path, strerror(e));
	}
	fclose(f);
	if (!text)
		return cfg_fail(err, errlen, -ENOMEM, "%s: out of memory", path);
	if (rc == 0)
		rc = hat_config_doc_parse(doc, path, text, len, err, errlen);
	free(text);
	return rc;
}

void hat_config_doc_free(struct hat_config_doc *doc)
{
	cJSON_Delete(doc->root);
	doc->root = NULL;
}

/* ================================================================ paths */

/* Finds the node at a path like "riskd.limits[0].coin"; NULL if absent or malformed. */
static const cJSON *lookup(const cJSON *root, const char *path)
{
	const cJSON *n = root;
	const char *p = path;
	if (!p || !*p)
		return root;
	while (n && *p) {
		char key[128];
		size_t k = 0;
		while (*p && *p != '.' && *p != '[') {
			if (k + 1 >= sizeof key)
				return NULL;
			key[k++] = *p++;
		}
		key[k] = '\0';
		if (k == 0 && *p != '[')
			return NULL; /* "a..b" or a trailing '.' */
		if (k > 0) {
			if (!cJSON_IsObject(n))
				return NULL;
			n = cJSON_GetObjectItemCaseSensitive(n, key);
		}
		while (n && *p == '[') {
			char *e;
			unsigned long i = strtoul(p + 1, &e, 10);
			if (e == p + 1 || *e != ']' || !cJSON_IsArray(n))
				return NULL;
			n = cJSON_GetArrayItem(n, (int)i);
			p = e + 1;
		}
		if (*p == '.')
			p++;
		else if (*p)
			return NULL;
	}
	return n;
}

const struct cJSON *hat_config_node(const struct hat_config_doc *doc, const char *path)
{
	return doc->root ? lookup(doc->root, path) : NULL;
}

/* ================================================================ storing */

static void store_int(void *p, size_t size, int64_t v)
{
	switch (size) {
	case 1: { int8_t x = (int8_t)v; memcpy(p, &x, 1); break; }
	case 2: { int16_t x = (int16_t)v; memcpy(p, &x, 2); break; }
	case 4: { int32_t x = (int32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

static void store_uint(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1: { uint8_t x = (uint8_t)v; memcpy(p, &x, 1); break; }
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

/* Range of a signed/unsigned integer of size bytes. */
static int64_t int_lo(size_t size)
{
	return size >= 8 ? INT64_MIN : -((int64_t)1 << (size * 8 - 1));
}
static int64_t int_hi(size_t size)
{
	return size >= 8 ? INT64_MAX : ((int64_t)1 << (size * 8 - 1)) - 1;
}
static uint64_t uint_hi(size_t size)
{
	return size >= 8 ? UINT64_MAX : ((uint64_t)1 << (size * 8)) - 1;
}

/* Whether a field's size fits its type (a schema written by hand can get this wrong; such a
 * field is reported by hat_config_apply() and skipped by hat_config_defaults()). */
static bool size_ok(const struct hat_cfg_field *f)
{
	switch (f->type) {
	case HAT_CFG_BOOL: return f->size == sizeof(bool);
	case HAT_CFG_INT:
	case HAT_CFG_UINT: return f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8;
	case HAT_CFG_DOUBLE: return f->size == sizeof(double);
	case HAT_CFG_FX: return f->size == sizeof(int64_t);
	case HAT_CFG_ENUM: return f->size == sizeof(int) && f->choices != NULL;
	case HAT_CFG_STRING: return f->size >= 1;
	case HAT_CFG_OBJECT: return f->sub != NULL;
	case HAT_CFG_ARRAY: return f->sub != NULL && f->size > 0 && f->max_items > 0;
	default: return true;
	}
}

void hat_config_defaults(const struct hat_cfg_field *schema, void *out)
{
	char *base = out;
	for (const struct hat_cfg_field *f = schema; f->type != HAT_CFG_END; f++) {
		char *p = base + f->offset;
		if (!size_ok(f))
			continue;
		switch (f->type) {
		case HAT_CFG_BOOL: { bool b = f->idef != 0; memcpy(p, &b, sizeof b); break; }
		case HAT_CFG_INT: store_int(p, f->size, f->idef); break;
		case HAT_CFG_UINT: store_uint(p, f->size, (uint64_t)f->idef); break;
		case HAT_CFG_DOUBLE: memcpy(p, &f->ddef, sizeof(double)); break;
		case HAT_CFG_FX: memcpy(p, &f->idef, sizeof(int64_t)); break;
		case HAT_CFG_ENUM: { int v = (int)f->idef; memcpy(p, &v, sizeof v); break; }
		case HAT_CFG_STRING:
			if (f->size) {
				memset(p, 0, f->size);
				if (f->sdef)
					snprintf(p, f->size, "%s", f->sdef);
			}
			break;
		case HAT_CFG_OBJECT: hat_config_defaults(f->sub, p); break;
		case HAT_CFG_ARRAY: { uint32_t z = 0; memcpy(base + f->count_offset, &z, sizeof z); break; }
		default: break;
		}
	}
}

/* ================================================================ applying */

struct ctx {
	const char *file;
	char *err;
	size_t errlen;
};

static int bad(const struct ctx *c, const char *path, const char *fmt, ...) HAT_PRINTF(3, 4);
static int bad(const struct ctx *c, const char *path, const char *fmt, ...)
{
	if (c->err && c->errlen) {
		char what[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(what, sizeof what, fmt, ap);
		va_end(ap);
		snprintf(c->err, c->errlen, "%s: %s: %s", c->file, path, what);
	}
	return HAT_E_CONFIG;
}

static void join(char *out, size_t len, const char *path, const char *key)
{
	if (path && *path)
		snprintf(out, len, "%s.%s", path, key);
	else
		snprintf(out, len, "%s", key);
}

/* Whether a JSON number is an integer that fits int64 exactly enough for config use. */
static bool as_int64(const cJSON *n, int64_t *out)
{
	double d = n->valuedouble;
	if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
		return false;
	*out = (int64_t)d;
	return true;
}

static int apply_object(const struct ctx *c, const cJSON *obj, const struct hat_cfg_field *schema,
			void *base, const char *path);

static int apply_value(const struct ctx *c, const struct hat_cfg_field *f, const cJSON *n,
		       char *base, const char *path)
{
	char *p = base + f->offset;
	if (!size_ok(f))
		return bad(c, path, "schema error: field size %zu does not fit type %d", f->size, f->type);
	switch (f->type) {
	case HAT_CFG_BOOL: {
		if (!cJSON_IsBool(n))
			return bad(c, path, "expected a boolean, got %s", type_name(n));
		bool b = cJSON_IsTrue(n);
		memcpy(p, &b, sizeof b);
		return 0;
	}
	case HAT_CFG_INT:
	case HAT_CFG_UINT: {
		if (!cJSON_IsNumber(n))
			return bad(c, path, "expected an integer, got %s", type_name(n));
		int64_t v;
		if (!as_int64(n, &v))
			return bad(c, path, "expected an integer, got %.17g", n->valuedouble);
		if (f->type == HAT_CFG_UINT) {
			if (v < 0 || (uint64_t)v > uint_hi(f->size))
				return bad(c, path, "out of range for a %zu-byte unsigned integer (got %" PRId64 ")",
					   f->size, v);
		} else if (v < int_lo(f->size) || v > int_hi(f->size)) {
			return bad(c, path, "out of range for a %zu-byte integer (got %" PRId64 ")", f->size, v);
		}
		if ((f->flags & HAT_CFG_F_MIN) && v < f->imin)
			return bad(c, path, "must be >= %" PRId64 " (got %" PRId64 ")", f->imin, v);
		if ((f->flags & HAT_CFG_F_MAX) && v > f->imax)
			return bad(c, path, "must be <= %" PRId64 " (got %" PRId64 ")", f->imax, v);
		if (f->type == HAT_CFG_UINT)
			store_uint(p, f->size, (uint64_t)v);
		else
			store_int(p, f->size, v);
		return 0;
	}
	case HAT_CFG_DOUBLE: {
		if (!cJSON_IsNumber(n))
			return bad(c, path, "expected a number, got %s", type_name(n));
		double d = n->valuedouble;
		if ((f->flags & HAT_CFG_F_MIN) && d < f->dmin)
			return bad(c, path, "must be >= %g (got %g)", f->dmin, d);
		if ((f->flags & HAT_CFG_F_MAX) && d > f->dmax)
			return bad(c, path, "must be <= %g (got %g)", f->dmax, d);
		memcpy(p, &d, sizeof d);
		return 0;
	}
	case HAT_CFG_FX: {
		int64_t v;
		if (cJSON_IsString(n)) {
			char why[128];
			if (hat_fx_parse(n->valuestring, strlen(n->valuestring), &v, why, sizeof why) != 0)
				return bad(c, path, "invalid decimal: %s", why);
		} else if (cJSON_IsNumber(n)) {
			double d = n->valuedouble;
			if (!isfinite(d) || fabs(d) > 9.0e10)
				return bad(c, path, "number out of range (got %g)", d);
			v = hat_fx_from_double(d);
		} else {
			return bad(c, path, "expected a number or a decimal string, got %s", type_name(n));
		}
		char a[HAT_FX_STRLEN], b[HAT_FX_STRLEN];
		if ((f->flags & HAT_CFG_F_MIN) && v < f->imin) {
			hat_fx_format(f->imin, a, sizeof a);
			hat_fx_format(v, b, sizeof b);
			return bad(c, path, "must be >= %s (got %s)", a, b);
		}
		if ((f->flags & HAT_CFG_F_MAX) && v > f->imax) {
			hat_fx_format(f->imax, a, sizeof a);
			hat_fx_format(v, b, sizeof b);
			return bad(c, path, "must be <= %s (got %s)", a, b);
		}
		memcpy(p, &v, sizeof v);
		return 0;
	}
	case HAT_CFG_STRING: {
		if (!cJSON_IsString(n))
			return bad(c, path, "expected a string, got %s", type_name(n));
		size_t len = strlen(n->valuestring);
		if (len >= f->size)
			return bad(c, path, "too long (%zu bytes, at most %zu)", len, f->size - 1);
		if ((f->flags & HAT_CFG_F_MIN) && (int64_t)len < f->imin) {
			if (f->imin == 1)
				return bad(c, path, "must not be empty");
			return bad(c, path, "too short (%zu bytes, at least %" PRId64 ")", len, f->imin);
		}
		memset(p, 0, f->size);
		memcpy(p, n->valuestring, len);
		return 0;
	}
	case HAT_CFG_ENUM: {
		if (!cJSON_IsString(n))
			return bad(c, path, "expected a string, got %s", type_name(n));
		for (int i = 0; f->choices && f->choices[i]; i++) {
			if (strcmp(f->choices[i], n->valuestring) == 0) {
				memcpy(p, &i, sizeof i);
				return 0;
			}
		}
		char list[192] = "";
		size_t used = 0;
		for (int i = 0; f->choices && f->choices[i] && used < sizeof list; i++) {
			int w = snprintf(list + used, sizeof list - used, "%s\"%s\"", i ? ", " : "", f->choices[i]);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		return bad(c, path, "must be one of %s (got \"%.64s\")", list, n->valuestring);
	}
	case HAT_CFG_OBJECT:
		if (!cJSON_IsObject(n))
			return bad(c, path, "expected an object, got %s", type_name(n));
		return apply_object(c, n, f->sub, p, path);
	case HAT_CFG_SECTION:
		if (!cJSON_IsObject(n))
			return bad(c, path, "expected an object, got %s", type_name(n));
		return 0;
	case HAT_CFG_ARRAY: {
		if (!cJSON_IsArray(n))
			return bad(c, path, "expected an array, got %s", type_name(n));
		int count = cJSON_GetArraySize(n);
		if ((size_t)count > f->max_items)
			return bad(c, path, "too many items (%d, at most %zu)", count, f->max_items);
		if ((f->flags & HAT_CFG_F_MIN) && count < f->imin)
			return bad(c, path, "must have at least %" PRId64 " item%s (got %d)", f->imin,
				   f->imin == 1 ? "" : "s", count);
		int i = 0;
		for (const cJSON *e = n->child; e; e = e->next, i++) {
			char epath[PATH_MAX_LEN];
			snprintf(epath, sizeof epath, "%s[%d]", path, i);
			char *elem = p + (size_t)i * f->size;
			int rc;
			if (f->flags & HAT_CFG_F_SCALAR) {
				rc = apply_value(c, &f->sub[0], e, elem, epath);
			} else {
				if (!cJSON_IsObject(e))
					return bad(c, epath, "expected an object, got %s", type_name(e));
				rc = apply_object(c, e, f->sub, elem, epath);
			}
			if (rc)
				return rc;
		}
		uint32_t cnt = (uint32_t)count;
		memcpy(base + f->count_offset, &cnt, sizeof cnt);
		return 0;
	}
	}
	return bad(c, path, "schema error: unknown field type %d", f->type);
}

static int apply_object(const struct ctx *c, const cJSON *obj, const struct hat_cfg_field *schema,
			void *base, const char *path)
{
	hat_config_defaults(schema, base);
	for (const cJSON *k = obj->child; k; k = k->next) {
		char kpath[PATH_MAX_LEN];
		join(kpath, sizeof kpath, path, k->string);
		if (k->string[0] == '_')
			continue; /* "_comment" and friends */
		for (const cJSON *d = obj->child; d != k; d = d->next)
			if (strcmp(d->string, k->string) == 0)
				return bad(c, kpath, "duplicate key");
		const struct hat_cfg_field *f = schema;
		while (f->type != HAT_CFG_END && strcmp(f->key, k->string) != 0)
			f++;
		if (f->type == HAT_CFG_END)
			return bad(c, kpath, "unknown key");
		int rc = apply_value(c, f, k, base, kpath);
		if (rc)
			return rc;
	}
	for (const struct hat_cfg_field *f = schema; f->type != HAT_CFG_END; f++) {
		if ((f->flags & HAT_CFG_F_REQUIRED) && !cJSON_GetObjectItemCaseSensitive(obj, f->key)) {
			char kpath[PATH_MAX_LEN];
			join(kpath, sizeof kpath, path, f->key);
			return bad(c, kpath, "missing (required)");
		}
	}
	return 0;
}

int hat_config_apply(const struct hat_config_doc *doc, const char *section,
		     const struct hat_cfg_field *schema, void *out, char *err, size_t errlen)
{
	struct ctx c = { doc->path, err, errlen };
	const cJSON *n = doc->root ? lookup(doc->root, section) : NULL;
	if (!n) {
		hat_config_defaults(schema, out);
		for (const struct hat_cfg_field *f = schema; f->type != HAT_CFG_END; f++) {
			if (f->flags & HAT_CFG_F_REQUIRED) {
				char kpath[PATH_MAX_LEN];
				join(kpath, sizeof kpath, section, f->key);
				return bad(&c, kpath, "missing (required)");
			}
		}
		return 0;
	}
	if (!cJSON_IsObject(n))
		return bad(&c, section && *section ? section : "(top level)", "expected an object, got %s",
			   type_name(n));
	return apply_object(&c, n, schema, out, section ? section : "");
}

/* ================================================================ typed getters */

static int get_node(const struct hat_config_doc *doc, const char *path, const cJSON **n, char *err,
		    size_t errlen)
{
	*n = hat_config_node(doc, path);
	if (!*n)
		return cfg_fail(err, errlen, -ENOENT, "%s: %s: missing", doc->path, path);
	return 0;
}

int hat_config_get_bool(const struct hat_config_doc *doc, const char *path, bool *out, char *err,
			size_t errlen)
{
	const cJSON *n;
	int rc = get_node(doc, path, &n, err, errlen);
	if (rc)
		return rc;
	if (!cJSON_IsBool(n))
		return cfg_fail(err, errlen, HAT_E_CONFIG, "%s: %s: expected a boolean, got %s", doc->path,
				path, type_name(n));
	*out = cJSON_IsTrue(n);
	return 0;
}

int hat_config_get_int(const struct hat_config_doc *doc, const char *path, int64_t *out, char *err,
		       size_t errlen)
{
	const cJSON *n;
	int rc = get_node(doc, path, &n, err, errlen);
	if (rc)
		return rc;
	if (!cJSON_IsNumber(n))
		return cfg_fail(err, errlen, HAT_E_CONFIG, "%s: %s: expected an integer, got %s",
				doc->path, path, type_name(n));
	int64_t v;
	if (!as_int64(n, &v))
		return cfg_fail(err, errlen, HAT_E_CONFIG, "%s: %s: expected an integer, got %.17g",
				doc->path, path, n->valuedouble);
	*out = v;
	return 0;
}

int hat_config_get_double(const struct hat_config_doc *doc, const char *path, double *out,
			  char *err, size_t errlen)
{
	const cJSON *n;
	int rc = get_node(doc, path, &n, err, errlen);
	if (rc)
		return rc;
	if (!cJSON_IsNumber(n))
		return cfg_fail(err, errlen, HAT_E_CONFIG, "%s: %s: expected a number, got %s", doc->path,
				path, type_name(n));
	*out = n->valuedouble;
	return 0;
}

int hat_config_get_fx(const struct hat_config_doc *doc, const char *path, int64_t *out, char *err,
		      size_t errlen)
{
	const cJSON *n;
	int rc = get_node(doc, path, &n, err, errlen);
	if (rc)
		return rc;
	struct hat_cfg_field f = { "", HAT_CFG_FX, 0, 0, sizeof(int64_t) };
	struct ctx c = { doc->path, err, errlen };
	int64_t v = 0;
	rc = apply_value(&c, &f, n, (char *)&v, path);
	if (rc == 0)
		*out = v;
	return rc;
}

int hat_config_get_str(const struct hat_config_doc *doc, const char *path, char *buf, size_t len,
		       char *err, size_t errlen)
{
	const cJSON *n;
	int rc = get_node(doc, path, &n, err, errlen);
	if (rc)
		return rc;
	if (!cJSON_IsString(n))
		return cfg_fail(err, errlen, HAT_E_CONFIG, "%s: %s: expected a string, got %s", doc->path,
				path, type_name(n));
	size_t l = strlen(n->valuestring);
	if (l >= len)
		return cfg_fail(err, errlen, HAT_E_CONFIG, "%s: %s: too long (%zu bytes, at most %zu)",
				doc->path, path, l, len ? len - 1 : 0);
	memcpy(buf, n->valuestring, l + 1);
	return 0;
}

/* ================================================================ shared sections */

static const char *const venue_kinds[] = { "hlsim", "hyperliquid", NULL };
static const char *const networks[] = { "testnet", "mainnet", NULL };

static const struct hat_cfg_field venue_schema[] = {
	HAT_CFG_ENUM_F(struct hat_config_venue, kind, "kind", HAT_VENUE_HLSIM, venue_kinds,
		       "hlsim (local simulator) or hyperliquid"),
	HAT_CFG_ENUM_F(struct hat_config_venue, network, "network", HAT_NET_TESTNET, networks,
		       "testnet or mainnet: selects the signing domain and the source tag"),
	HAT_CFG_STRING_F(struct hat_config_venue, http, "http", "http://127.0.0.1:8787", 1,
			 "base URL of /info and /exchange"),
	HAT_CFG_STRING_F(struct hat_config_venue, ws, "ws", "ws://127.0.0.1:8787/ws", 1,
			 "WebSocket URL"),
	HAT_CFG_END_F,
};

#define RING_F(F, def) \
	HAT_CFG_UINT_F(struct hat_config_rings, F, #F, def, 16, 1 << 22, \
		       "slots of the " #F " ring (power of two)")
static const struct hat_cfg_field rings_schema[] = {
	RING_F(md, 65536),
	RING_F(intent, 4096),
	RING_F(order, 4096),
	RING_F(exec, 4096),
	RING_F(position, 4096),
	RING_F(cmd, 256),
	HAT_CFG_END_F,
};
#undef RING_F

static const struct hat_cfg_field paths_schema[] = {
	HAT_CFG_STRING_F(struct hat_config_paths, log_dir, "log_dir", "var/log", 1, "stage logs"),
	HAT_CFG_STRING_F(struct hat_config_paths, run_dir, "run_dir", "var/run",
			 1, "pid files and the control socket"),
	HAT_CFG_STRING_F(struct hat_config_paths, journal_dir, "journal_dir", "var/journal", 1,
			 "feed recordings and execd's send journal"),
	HAT_CFG_END_F,
};

static const struct hat_cfg_field coin_elem[] = {
	{ "", HAT_CFG_STRING, HAT_CFG_F_MIN, 0, HAT_COIN_LEN, .imin = 1, .help = "coin name" },
	HAT_CFG_END_F,
};

const struct hat_cfg_field hat_config_schema[] = {
	HAT_CFG_STRING_F(struct hat_config, instance, "instance", "main", 1,
			 "shm names are /hat.<instance>.<name>"),
	HAT_CFG_OBJECT_F(struct hat_config, venue, "venue", venue_schema, "the exchange"),
	{ "coins", HAT_CFG_ARRAY, HAT_CFG_F_MIN | HAT_CFG_F_SCALAR | HAT_CFG_F_REQUIRED,
	  offsetof(struct hat_config, coins), HAT_COIN_LEN, .imin = 1, .sub = coin_elem,
	  .max_items = HAT_CONFIG_MAX_COINS, .count_offset = offsetof(struct hat_config, n_coins),
	  .help = "coins traded" },
	HAT_CFG_OBJECT_F(struct hat_config, rings, "rings", rings_schema, "ring slot counts"),
	HAT_CFG_OBJECT_F(struct hat_config, paths, "paths", paths_schema, "directories"),
	HAT_CFG_SECTION_F("feedd", "feedd's section (feedd validates it)"),
	HAT_CFG_SECTION_F("signald", "signald's section"),
	HAT_CFG_SECTION_F("riskd", "riskd's section"),
	HAT_CFG_SECTION_F("execd", "execd's section"),
	HAT_CFG_SECTION_F("superd", "superd's section"),
	HAT_CFG_SECTION_F("hlsim", "hlsim's section (when it reads this file)"),
	HAT_CFG_END_F,
};

int hat_config_apply_shared(struct hat_config *cfg, const struct hat_config_doc *doc, char *err,
			    size_t errlen)
{
	int rc = hat_config_apply(doc, NULL, hat_config_schema, cfg, err, errlen);
	if (rc)
		return rc;
	struct ctx c = { doc->path, err, errlen };
	for (const char *p = cfg->instance; *p; p++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  ch == '_' || ch == '-';
		if (!ok)
			return bad(&c, "instance", "only letters, digits, '_' and '-' allowed (got \"%s\")",
				   cfg->instance);
	}
	const struct { const char *name; uint32_t v; } rings[] = {
		{ "rings.md", cfg->rings.md }, { "rings.intent", cfg->rings.intent },
		{ "rings.order", cfg->rings.order }, { "rings.exec", cfg->rings.exec },
		{ "rings.position", cfg->rings.position }, { "rings.cmd", cfg->rings.cmd },
	};
	for (size_t i = 0; i < HAT_ARRAY_LEN(rings); i++)
		if (rings[i].v & (rings[i].v - 1))
			return bad(&c, rings[i].name, "must be a power of two (got %" PRIu32 ")", rings[i].v);
	for (uint32_t i = 0; i < cfg->n_coins; i++)
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(cfg->coins[i], cfg->coins[j]) == 0) {
				char path[32];
				snprintf(path, sizeof path, "coins[%" PRIu32 "]", i);
				return bad(&c, path, "duplicate coin \"%s\"", cfg->coins[i]);
			}
	return 0;
}

int hat_config_load(struct hat_config *cfg, struct hat_config_doc *doc, const char *path,
		    char *err, size_t errlen)
{
	int rc = hat_config_doc_load(doc, path, err, errlen);
	if (rc)
		return rc;
	rc = hat_config_apply_shared(cfg, doc, err, errlen);
	if (rc)
		hat_config_doc_free(doc);
	return rc;
}

int hat_config_coin_index(const struct hat_config *cfg, const char *coin)
{
	for (uint32_t i = 0; i < cfg->n_coins; i++)
		if (strcmp(cfg->coins[i], coin) == 0)
			return (int)i;
	return -ENOENT;
}
