/* hl/action.c -- action builders (JSON + msgpack from one description), the /exchange envelope,
 * and the simulator's canonical re-encoder and user-action digests.
 *
 * The builders drive a small dual emitter: every key and value goes to the JSON text and to the
 * msgpack bytes by the same call, so the text sent and the bytes hashed cannot drift apart.
 * The canonical re-encoder parses incoming JSON into the same C structs and reuses the
 * emitter, so "canonical order" is defined in exactly one place.
 */
#include "hl/action.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/fixed.h"
#include "hl/msgpack.h"

/* ------------------------------------------------------------------ dual emitter */

#define EM_MAX_DEPTH 16

struct em {
	struct hat_buf *json; /* may be NULL */
	struct hat_buf *mp;   /* may be NULL */
	int depth;
	bool after_key;
	bool first[EM_MAX_DEPTH];
};

static void em_init(struct em *e, struct hat_buf *json, struct hat_buf *mp)
{
	memset(e, 0, sizeof *e);
	e->json = json;
	e->mp = mp;
}

/* Comma handling before any value or key. */
static void em_pre(struct em *e)
{
	if (e->after_key) {
		e->after_key = false;
		return;
	}
	if (e->depth > 0) {
		if (!e->first[e->depth] && e->json)
			hat_buf_putc(e->json, ',');
		e->first[e->depth] = false;
	}
}

static void em_open(struct em *e, bool map, uint32_t n)
{
	em_pre(e);
	if (e->json)
		hat_buf_putc(e->json, map ? '{' : '[');
	if (e->mp) {
		if (map)
			hl_mp_map(e->mp, n);
		else
			hl_mp_array(e->mp, n);
	}
	HAT_ASSERT(e->depth + 1 < EM_MAX_DEPTH);
	e->first[++e->depth] = true;
}

static void em_close(struct em *e, bool map)
{
	if (e->json)
		hat_buf_putc(e->json, map ? '}' : ']');
	e->depth--;
}

static void em_key(struct em *e, const char *k)
{
	em_pre(e);
	if (e->json) {
		hat_buf_json_str(e->json, k);
		hat_buf_putc(e->json, ':');
	}
	if (e->mp)
		hl_mp_str(e->mp, k);
	e->after_key = true;
}

static void em_str(struct em *e, const char *s)
{
	em_pre(e);
	if (e->json)
		hat_buf_json_str(e->json, s);
	if (e->mp)
		hl_mp_str(e->mp, s);
}

static void em_uint(struct em *e, uint64_t v)
{
	em_pre(e);
	if (e->json)
		hat_buf_printf(e->json, "%" PRIu64, v);
	if (e->mp)
		hl_mp_uint(e->mp, v);
}

static void em_int(struct em *e, int64_t v)
{
	em_pre(e);
	if (e->json)
		hat_buf_printf(e->json, "%" PRId64, v);
	if (e->mp)
		hl_mp_int(e->mp, v);
}

static void em_bool(struct em *e, bool v)
{
	em_pre(e);
	if (e->json)
		hat_buf_puts(e->json, v ? "true" : "false");
	if (e->mp)
		hl_mp_bool(e->mp, v);
}

static void em_fx(struct em *e, int64_t v)
{
	char buf[HAT_FX_STRLEN];
	hat_fx_format(v, buf, sizeof buf);
	em_str(e, buf);
}

static void em_hex(struct em *e, const uint8_t *p, size_t n)
{
	char buf[2 * 32 + 3];
	HAT_ASSERT(n <= 32);
	hl_hex_encode(p, n, buf);
	em_str(e, buf);
}

static int em_done(const struct em *e)
{
	if ((e->json && !hat_buf_ok(e->json)) || (e->mp && !hat_buf_ok(e->mp)))
		return -ENOMEM;
	return 0;
}

/* ------------------------------------------------------------------ builders */

static const char *const TIF_NAMES[] = {[HL_TIF_ALO] = "Alo", [HL_TIF_IOC] = "Ioc",
					[HL_TIF_GTC] = "Gtc"};
static const char *const TPSL_NAMES[] = {[HL_TPSL_TP] = "tp", [HL_TPSL_SL] = "sl"};
static const char *const GROUPING_NAMES[] = {[HL_GROUPING_NA] = "na",
					     [HL_GROUPING_NORMAL_TPSL] = "normalTpsl",
					     [HL_GROUPING_POSITION_TPSL] = "positionTpsl"};

static int order_check(const struct hl_order *o)
{
	if (o->px <= 0 || o->sz < 0)
		return -EINVAL;
	if (o->is_trigger) {
		if (o->trigger_px <= 0 || (unsigned)o->tpsl > HL_TPSL_SL)
			return -EINVAL;
	} else if ((unsigned)o->tif > HL_TIF_GTC) {
		return -EINVAL;
	}
	return 0;
}

/* OrderWire {"a","b","p","s","r","t"[,"c"]}; order must have passed order_check(). */
static void em_order(struct em *e, const struct hl_order *o)
{
	em_open(e, true, o->has_cloid ? 7 : 6);
	em_key(e, "a");
	em_uint(e, o->asset);
	em_key(e, "b");
	em_bool(e, o->is_buy);
	em_key(e, "p");
	em_fx(e, o->px);
	em_key(e, "s");
	em_fx(e, o->sz);
	em_key(e, "r");
	em_bool(e, o->reduce_only);
	em_key(e, "t");
	em_open(e, true, 1);
	if (o->is_trigger) {
		/* isMarket, triggerPx, tpsl: this order is part of the hash. */
		em_key(e, "trigger");
		em_open(e, true, 3);
		em_key(e, "isMarket");
		em_bool(e, o->trigger_is_market);
		em_key(e, "triggerPx");
		em_fx(e, o->trigger_px);
		em_key(e, "tpsl");
		em_str(e, TPSL_NAMES[o->tpsl]);
		em_close(e, true);
	} else {
		em_key(e, "limit");
		em_open(e, true, 1);
		em_key(e, "tif");
		em_str(e, TIF_NAMES[o->tif]);
		em_close(e, true);
	}
	em_close(e, true);
	if (o->has_cloid) {
		em_key(e, "c");
		em_hex(e, o->cloid, HL_CLOID_LEN);
	}
	em_close(e, true);
}

static int build_order(struct em *e, const struct hl_order *orders, size_t n,
		       enum hl_grouping grouping, const struct hl_builder *builder)
{
	if (n == 0 || n > 0xffff || (unsigned)grouping > HL_GROUPING_POSITION_TPSL)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (order_check(&orders[i]))
			return -EINVAL;
	em_open(e, true, builder ? 4 : 3);
	em_key(e, "type");
	em_str(e, "order");
	em_key(e, "orders");
	em_open(e, false, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		em_order(e, &orders[i]);
	em_close(e, false);
	em_key(e, "grouping");
	em_str(e, GROUPING_NAMES[grouping]);
	if (builder) {
		em_key(e, "builder");
		em_open(e, true, 2);
		em_key(e, "b");
		em_hex(e, builder->address, HL_ADDR_LEN);
		em_key(e, "f");
		em_uint(e, builder->fee);
		em_close(e, true);
	}
	em_close(e, true);
	return em_done(e);
}

int hl_action_order(const struct hl_order *orders, size_t n, enum hl_grouping grouping,
		    const struct hl_builder *builder, struct hat_buf *json, struct hat_buf *mp)
{
	struct em e;
	em_init(&e, json, mp);
	return build_order(&e, orders, n, grouping, builder);
}

static int build_cancel(struct em *e, const struct hl_cancel *c, size_t n, bool fast)
{
	if (n == 0 || n > 0xffff)
		return -EINVAL;
	em_open(e, true, fast ? 3 : 2);
	em_key(e, "type");
	em_str(e, "cancel");
	em_key(e, "cancels");
	em_open(e, false, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		em_open(e, true, 2);
		em_key(e, "a");
		em_uint(e, c[i].asset);
		em_key(e, "o");
		em_uint(e, c[i].oid);
		em_close(e, true);
	}
	em_close(e, false);
	if (fast) {
		em_key(e, "f");
		em_bool(e, true);
	}
	em_close(e, true);
	return em_done(e);
}

int hl_action_cancel(const struct hl_cancel *c, size_t n, struct hat_buf *json, struct hat_buf *mp)
{
	struct em e;
	em_init(&e, json, mp);
	return build_cancel(&e, c, n, false);
}

static int build_cancel_cloid(struct em *e, const struct hl_cancel_cloid *c, size_t n, bool fast)
{
	if (n == 0 || n > 0xffff)
		return -EINVAL;
	em_open(e, true, fast ? 3 : 2);
	em_key(e, "type");
	em_str(e, "cancelByCloid");
	em_key(e, "cancels");
	em_open(e, false, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		em_open(e, true, 2);
		em_key(e, "asset");
		em_uint(e, c[i].asset);
		em_key(e, "cloid");
		em_hex(e, c[i].cloid, HL_CLOID_LEN);
		em_close(e, true);
	}
	em_close(e, false);
	if (fast) {
		em_key(e, "f");
		em_bool(e, true);
	}
	em_close(e, true);
	return em_done(e);
}

int hl_action_cancel_by_cloid(const struct hl_cancel_cloid *c, size_t n, struct hat_buf *json,
			      struct hat_buf *mp)
{
	struct em e;
	em_init(&e, json, mp);
	return build_cancel_cloid(&e, c, n, false);
}

static void em_modify_body(struct em *e, const struct hl_modify *m)
{
	em_key(e, "oid");
	if (m->by_cloid)
		em_hex(e, m->cloid, HL_CLOID_LEN);
	else
		em_uint(e, m->oid);
	em_key(e, "order");
	em_order(e, &m->order);
}

static int build_modify(struct em *e, const struct hl_modify *m)
{
	if (order_check(&m->order))
		return -EINVAL;
	em_open(e, true, 3);
	em_key(e, "type");
	em_str(e, "modify");
	em_modify_body(e, m);
	em_close(e, true);
	return em_done(e);
}

int hl_action_modify(const struct hl_modify *m, struct hat_buf *json, struct hat_buf *mp)
{
	struct em e;
	em_init(&e, json, mp);
	return build_modify(&e, m);
}

static int build_batch_modify(struct em *e, const struct hl_modify *m, size_t n)
{
	if (n == 0 || n > 0xffff)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (order_check(&m[i].order))
			return -EINVAL;
	em_open(e, true, 2);
	em_key(e, "type");
	em_str(e, "batchModify");
	em_key(e, "modifies");
	em_open(e, false, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		em_open(e, true, 2);
		em_modify_body(e, &m[i]);
		em_close(e, true);
	}
	em_close(e, false);
	em_close(e, true);
	return em_done(e);
}

int hl_action_batch_modify(const struct hl_modify *m, size_t n, struct hat_buf *json,
			   struct hat_buf *mp)
{
	struct em e;
	em_init(&e, json, mp);
	return build_batch_modify(&e, m, n);
}

static int build_schedule_cancel(struct em *e, bool has_time, uint64_t time_ms)
{
	em_open(e, true, has_time ? 2 : 1);
	em_key(e, "type");
	em_str(e, "scheduleCancel");
	if (has_time) {
		em_key(e, "time");
		em_uint(e, time_ms);
	}
	em_close(e, true);
	return em_done(e);
}

int hl_action_schedule_cancel(bool has_time, uint64_t time_ms, struct hat_buf *json,
			      struct hat_buf *mp)
{
	struct em e;
	em_init(&e, json, mp);
	return build_schedule_cancel(&e, has_time, time_ms);
}

static int build_update_leverage(struct em *e, uint32_t asset, bool is_cross, uint64_t leverage)
{
	em_open(e, true, 4);
	em_key(e, "type");
	em_str(e, "updateLeverage");
	em_key(e, "asset");
	em_uint(e, asset);
	em_key(e, "isCross");
	em_bool(e, is_cross);
	em_key(e, "leverage");
	em_uint(e, leverage);
	em_close(e, true);
	return em_done(e);
}

int hl_action_update_leverage(uint32_t asset, bool is_cross, uint32_t leverage,
			      struct hat_buf *json, struct hat_buf *mp)
{
	struct em e;
	if (leverage == 0)
		return -EINVAL;
	em_init(&e, json, mp);
	return build_update_leverage(&e, asset, is_cross, leverage);
}

static int build_noop(struct em *e)
{
	em_open(e, true, 1);
	em_key(e, "type");
	em_str(e, "noop");
	em_close(e, true);
	return em_done(e);
}

int hl_action_noop(struct hat_buf *json, struct hat_buf *mp)
{
	struct em e;
	em_init(&e, json, mp);
	return build_noop(&e);
}

int hl_exchange_request(const char *action_json, size_t action_len, const struct hl_l1_meta *m,
			const struct hl_sig *sig, struct hat_buf *out)
{
	char sigbuf[HL_SIG_JSON_LEN];
	hl_sig_to_json(sig, sigbuf);
	hat_buf_puts(out, "{\"action\":");
	hat_buf_append(out, action_json, action_len);
	hat_buf_printf(out, ",\"nonce\":%" PRIu64 ",\"signature\":%s,\"vaultAddress\":", m->nonce,
		       sigbuf);
	if (m->vault) {
		char addr[HL_ADDR_STRLEN];
		hl_hex_encode(m->vault, HL_ADDR_LEN, addr);
		hat_buf_printf(out, "\"%s\"", addr);
	} else {
		hat_buf_puts(out, "null");
	}
	if (m->has_expires_after)
		hat_buf_printf(out, ",\"expiresAfter\":%" PRIu64 "}", m->expires_after);
	else
		hat_buf_puts(out, ",\"expiresAfter\":null}");
	return hat_buf_ok(out) ? 0 : -ENOMEM;
}

/* ------------------------------------------------------------------ reading incoming JSON */

#define MAX_SAFE_INT 9007199254740992.0 /* 2^53: cJSON numbers are doubles */

/* Fails with "<path>.<key>: <why>". */
static int field_err(char *err, size_t errlen, const char *path, const char *key, const char *why)
{
	snprintf(err, errlen, "%s%s%s: %s", path, *path && key ? "." : "", key ? key : "", why);
	return HAT_E_PARSE;
}

/* A member that is absent or JSON null counts as absent (as the exchange treats them). */
static const cJSON *member(const cJSON *obj, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);
	return (m && !cJSON_IsNull(m)) ? m : NULL;
}

static int get_uint(const cJSON *obj, const char *key, uint64_t max, uint64_t *out,
		    const char *path, char *err, size_t errlen)
{
	const cJSON *m = member(obj, key);
	if (!m)
		return field_err(err, errlen, path, key, "missing");
	if (!cJSON_IsNumber(m))
		return field_err(err, errlen, path, key, "must be an integer");
	double d = m->valuedouble;
	if (!isfinite(d) || d != floor(d))
		return field_err(err, errlen, path, key, "must be an integer, not a float");
	if (d < 0)
		return field_err(err, errlen, path, key, "must not be negative");
	if (d > MAX_SAFE_INT || d > (double)max)
		return field_err(err, errlen, path, key, "out of range");
	*out = (uint64_t)d;
	return 0;
}

static int get_int(const cJSON *obj, const char *key, int64_t *out, const char *path, char *err,
		   size_t errlen)
{
	const cJSON *m = member(obj, key);
	if (!m)
		return field_err(err, errlen, path, key, "missing");
	if (!cJSON_IsNumber(m))
		return field_err(err, errlen, path, key, "must be an integer");
	double d = m->valuedouble;
	if (!isfinite(d) || d != floor(d))
		return field_err(err, errlen, path, key, "must be an integer, not a float");
	if (fabs(d) > MAX_SAFE_INT)
		return field_err(err, errlen, path, key, "out of range");
	*out = (int64_t)d;
	return 0;
}

static int get_bool(const cJSON *obj, const char *key, bool *out, const char *path, char *err,
		    size_t errlen)
{
	const cJSON *m = member(obj, key);
	if (!m)
		return field_err(err, errlen, path, key, "missing");
	if (!cJSON_IsBool(m))
		return field_err(err, errlen, path, key, "must be true or false");
	*out = cJSON_IsTrue(m);
	return 0;
}

static int get_str(const cJSON *obj, const char *key, const char **out, const char *path,
		   char *err, size_t errlen)
{
	const cJSON *m = member(obj, key);
	if (!m)
		return field_err(err, errlen, path, key, "missing");
	if (!cJSON_IsString(m))
		return field_err(err, errlen, path, key, "must be a string");
	*out = m->valuestring;
	return 0;
}

/* A decimal string -> 1e-8 fixed point (exact); canonical text is re-made when emitting. */
static int get_fx(const cJSON *obj, const char *key, int64_t *out, const char *path, char *err,
		  size_t errlen)
{
	const char *s;
	char why[160];
	int rc = get_str(obj, key, &s, path, err, errlen);
	if (rc)
		return rc;
	if (hat_fx_parse(s, strlen(s), out, why, sizeof why) != 0)
		return field_err(err, errlen, path, key, why);
	return 0;
}

static int get_hex(const cJSON *obj, const char *key, uint8_t *out, size_t n, const char *path,
		   char *err, size_t errlen)
{
	const char *s;
	char why[160];
	int rc = get_str(obj, key, &s, path, err, errlen);
	if (rc)
		return rc;
	if (hl_hex_decode_exact(s, strlen(s), out, n, n == HL_CLOID_LEN ? "cloid" : "address", why,
				sizeof why) != 0)
		return field_err(err, errlen, path, key, why);
	return 0;
}

static int get_object(const cJSON *obj, const char *key, const cJSON **out, const char *path,
		      char *err, size_t errlen)
{
	const cJSON *m = member(obj, key);
	if (!m)
		return field_err(err, errlen, path, key, "missing");
	if (!cJSON_IsObject(m))
		return field_err(err, errlen, path, key, "must be an object");
	*out = m;
	return 0;
}

static int get_list(const cJSON *obj, const char *key, const cJSON **out, size_t *n,
		    const char *path, char *err, size_t errlen)
{
	const cJSON *m = member(obj, key);
	if (!m)
		return field_err(err, errlen, path, key, "missing");
	if (!cJSON_IsArray(m))
		return field_err(err, errlen, path, key, "must be an array");
	int sz = cJSON_GetArraySize(m);
	if (sz <= 0)
		return field_err(err, errlen, path, key, "must not be empty");
	if (sz > 0xffff)
		return field_err(err, errlen, path, key, "too many entries");
	*out = m;
	*n = (size_t)sz;
	return 0;
}

static int match_name(const char *s, const char *const *names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

/* OrderWire JSON -> struct hl_order. path names the order ("orders[2]"). */
static int parse_order(const cJSON *j, struct hl_order *o, const char *path, char *err,
		       size_t errlen)
{
	char sub[96];
	uint64_t u;
	int rc;
	memset(o, 0, sizeof *o);
	if (!cJSON_IsObject(j))
		return field_err(err, errlen, path, NULL, "must be an object");
	if ((rc = get_uint(j, "a", UINT32_MAX, &u, path, err, errlen)))
		return rc;
	o->asset = (uint32_t)u;
	if ((rc = get_bool(j, "b", &o->is_buy, path, err, errlen)) ||
	    (rc = get_fx(j, "p", &o->px, path, err, errlen)) ||
	    (rc = get_fx(j, "s", &o->sz, path, err, errlen)) ||
	    (rc = get_bool(j, "r", &o->reduce_only, path, err, errlen)))
		return rc;
	if (o->px <= 0)
		return field_err(err, errlen, path, "p", "must be > 0");
	if (o->sz < 0)
		return field_err(err, errlen, path, "s", "must not be negative");
	const cJSON *t, *lim, *trig;
	if ((rc = get_object(j, "t", &t, path, err, errlen)))
		return rc;
	snprintf(sub, sizeof sub, "%s.t", path);
	lim = member(t, "limit");
	trig = member(t, "trigger");
	if ((lim && trig) || (!lim && !trig))
		return field_err(err, errlen, sub, NULL, "must hold exactly one of limit, trigger");
	if (lim) {
		const char *tif;
		if ((rc = get_object(t, "limit", &lim, sub, err, errlen)))
			return rc;
		snprintf(sub, sizeof sub, "%s.t.limit", path);
		if ((rc = get_str(lim, "tif", &tif, sub, err, errlen)))
			return rc;
		int k = match_name(tif, TIF_NAMES, HAT_ARRAY_LEN(TIF_NAMES));
		if (k < 0)
			return field_err(err, errlen, sub, "tif", "must be Alo, Ioc or Gtc");
		o->tif = (enum hl_tif)k;
	} else {
		const char *tpsl;
		if ((rc = get_object(t, "trigger", &trig, sub, err, errlen)))
			return rc;
		snprintf(sub, sizeof sub, "%s.t.trigger", path);
		o->is_trigger = true;
		if ((rc = get_bool(trig, "isMarket", &o->trigger_is_market, sub, err, errlen)) ||
		    (rc = get_fx(trig, "triggerPx", &o->trigger_px, sub, err, errlen)) ||
		    (rc = get_str(trig, "tpsl", &tpsl, sub, err, errlen)))
			return rc;
		if (o->trigger_px <= 0)
			return field_err(err, errlen, sub, "triggerPx", "must be > 0");
		int k = match_name(tpsl, TPSL_NAMES, HAT_ARRAY_LEN(TPSL_NAMES));
		if (k < 0)
			return field_err(err, errlen, sub, "tpsl", "must be tp or sl");
		o->tpsl = (enum hl_tpsl)k;
	}
	if (member(j, "c")) {
		if ((rc = get_hex(j, "c", o->cloid, HL_CLOID_LEN, path, err, errlen)))
			return rc;
		o->has_cloid = true;
	}
	return 0;
}

/* {"oid": int | "0x<cloid>", "order": {...}} (the body of modify and of each batchModify entry). */
static int parse_modify(const cJSON *j, struct hl_modify *m, const char *path, char *err,
			size_t errlen)
{
	char sub[96];
	int rc;
	memset(m, 0, sizeof *m);
	const cJSON *oid = member(j, "oid"), *order;
	if (!oid)
		return field_err(err, errlen, path, "oid", "missing");
	if (cJSON_IsString(oid)) {
		if ((rc = get_hex(j, "oid", m->cloid, HL_CLOID_LEN, path, err, errlen)))
			return rc;
		m->by_cloid = true;
	} else if ((rc = get_uint(j, "oid", UINT64_MAX, &m->oid, path, err, errlen))) {
		return rc;
	}
	if ((rc = get_object(j, "order", &order, path, err, errlen)))
		return rc;
	snprintf(sub, sizeof sub, "%s%sorder", path, *path ? "." : "");
	return parse_order(order, &m->order, sub, err, errlen);
}

/* Optional trailing "f": true of cancel/cancelByCloid; false counts as absent. */
static int get_fast(const cJSON *a, bool *fast, char *err, size_t errlen)
{
	const cJSON *f = member(a, "f");
	*fast = false;
	if (!f)
		return 0;
	if (!cJSON_IsBool(f))
		return field_err(err, errlen, "", "f", "must be true or false");
	*fast = cJSON_IsTrue(f);
	return 0;
}

static int canon_order(const cJSON *a, struct em *e, char *err, size_t errlen)
{
	const cJSON *list, *it;
	size_t n;
	int rc;
	if ((rc = get_list(a, "orders", &list, &n, "", err, errlen)))
		return rc;
	struct hl_order *orders = calloc(n, sizeof *orders);
	if (!orders)
		return -ENOMEM;
	size_t i = 0;
	cJSON_ArrayForEach(it, list) {
		char path[32];
		snprintf(path, sizeof path, "orders[%zu]", i);
		if ((rc = parse_order(it, &orders[i], path, err, errlen)))
			goto out;
		i++;
	}
	const char *g;
	int gk;
	if ((rc = get_str(a, "grouping", &g, "", err, errlen)))
		goto out;
	if ((gk = match_name(g, GROUPING_NAMES, HAT_ARRAY_LEN(GROUPING_NAMES))) < 0) {
		rc = field_err(err, errlen, "", "grouping", "must be na, normalTpsl or positionTpsl");
		goto out;
	}
	struct hl_builder builder, *bp = NULL;
	const cJSON *b = member(a, "builder");
	if (b) {
		uint64_t fee;
		if (!cJSON_IsObject(b)) {
			rc = field_err(err, errlen, "", "builder", "must be an object");
			goto out;
		}
		if ((rc = get_hex(b, "b", builder.address, HL_ADDR_LEN, "builder", err, errlen)) ||
		    (rc = get_uint(b, "f", UINT32_MAX, &fee, "builder", err, errlen)))
			goto out;
		builder.fee = (uint32_t)fee;
		bp = &builder;
	}
	rc = build_order(e, orders, n, (enum hl_grouping)gk, bp);
out:
	free(orders);
	return rc;
}

static int canon_cancel(const cJSON *a, struct em *e, bool by_cloid, char *err, size_t errlen)
{
	const cJSON *list, *it;
	size_t n, i = 0;
	bool fast;
	int rc;
	if ((rc = get_list(a, "cancels", &list, &n, "", err, errlen)) ||
	    (rc = get_fast(a, &fast, err, errlen)))
		return rc;
	struct hl_cancel *c = by_cloid ? NULL : calloc(n, sizeof *c);
	struct hl_cancel_cloid *cc = by_cloid ? calloc(n, sizeof *cc) : NULL;
	if (!c && !cc)
		return -ENOMEM;
	cJSON_ArrayForEach(it, list) {
		char path[32];
		uint64_t u;
		snprintf(path, sizeof path, "cancels[%zu]", i);
		if (!cJSON_IsObject(it)) {
			rc = field_err(err, errlen, path, NULL, "must be an object");
			break;
		}
		if (by_cloid) {
			if ((rc = get_uint(it, "asset", UINT32_MAX, &u, path, err, errlen)) ||
			    (rc = get_hex(it, "cloid", cc[i].cloid, HL_CLOID_LEN, path, err, errlen)))
				break;
			cc[i].asset = (uint32_t)u;
		} else {
			if ((rc = get_uint(it, "a", UINT32_MAX, &u, path, err, errlen)) ||
			    (rc = get_uint(it, "o", UINT64_MAX, &c[i].oid, path, err, errlen)))
				break;
			c[i].asset = (uint32_t)u;
		}
		i++;
	}
	if (rc == 0)
		rc = by_cloid ? build_cancel_cloid(e, cc, n, fast) : build_cancel(e, c, n, fast);
	free(c);
	free(cc);
	return rc;
}

static int canon_batch_modify(const cJSON *a, struct em *e, char *err, size_t errlen)
{
	const cJSON *list, *it;
	size_t n, i = 0;
	int rc;
	if ((rc = get_list(a, "modifies", &list, &n, "", err, errlen)))
		return rc;
	struct hl_modify *m = calloc(n, sizeof *m);
	if (!m)
		return -ENOMEM;
	cJSON_ArrayForEach(it, list) {
		char path[32];
		snprintf(path, sizeof path, "modifies[%zu]", i);
		if (!cJSON_IsObject(it)) {
			rc = field_err(err, errlen, path, NULL, "must be an object");
			break;
		}
		if ((rc = parse_modify(it, &m[i], path, err, errlen)))
			break;
		i++;
	}
	if (rc == 0)
		rc = build_batch_modify(e, m, n);
	free(m);
	return rc;
}

static const char *const L1_TYPES[] = {
	"order", "cancel", "cancelByCloid", "modify", "batchModify", "scheduleCancel",
	"updateLeverage", "updateIsolatedMargin", "noop",
};

bool hl_action_is_l1_type(const char *type)
{
	return type && match_name(type, L1_TYPES, HAT_ARRAY_LEN(L1_TYPES)) >= 0;
}

int hl_action_canonical_msgpack(const cJSON *action, struct hat_buf *out, char *err,
				size_t errlen)
{
	const char *type;
	struct em e;
	uint64_t u = 0, u2 = 0;
	bool flag = false;
	int rc;
	if (!cJSON_IsObject(action))
		return field_err(err, errlen, "action", NULL, "must be an object");
	if ((rc = get_str(action, "type", &type, "", err, errlen)))
		return rc;
	em_init(&e, NULL, out);
	if (strcmp(type, "order") == 0)
		return canon_order(action, &e, err, errlen);
	if (strcmp(type, "cancel") == 0)
		return canon_cancel(action, &e, false, err, errlen);
	if (strcmp(type, "cancelByCloid") == 0)
		return canon_cancel(action, &e, true, err, errlen);
	if (strcmp(type, "modify") == 0) {
		struct hl_modify m;
		if ((rc = parse_modify(action, &m, "", err, errlen)))
			return rc;
		return build_modify(&e, &m);
	}
	if (strcmp(type, "batchModify") == 0)
		return canon_batch_modify(action, &e, err, errlen);
	if (strcmp(type, "scheduleCancel") == 0) {
		bool has = member(action, "time") != NULL;
		if (has && (rc = get_uint(action, "time", UINT64_MAX, &u, "", err, errlen)))
			return rc;
		return build_schedule_cancel(&e, has, has ? u : 0);
	}
	if (strcmp(type, "updateLeverage") == 0) {
		if ((rc = get_uint(action, "asset", UINT32_MAX, &u, "", err, errlen)) ||
		    (rc = get_bool(action, "isCross", &flag, "", err, errlen)) ||
		    (rc = get_uint(action, "leverage", UINT32_MAX, &u2, "", err, errlen)))
			return rc;
		if (u2 == 0)
			return field_err(err, errlen, "", "leverage", "must be >= 1");
		return build_update_leverage(&e, (uint32_t)u, flag, u2);
	}
	if (strcmp(type, "updateIsolatedMargin") == 0) {
		int64_t ntli = 0;
		if ((rc = get_uint(action, "asset", UINT32_MAX, &u, "", err, errlen)) ||
		    (rc = get_bool(action, "isBuy", &flag, "", err, errlen)) ||
		    (rc = get_int(action, "ntli", &ntli, "", err, errlen)))
			return rc;
		em_open(&e, true, 4);
		em_key(&e, "type");
		em_str(&e, "updateIsolatedMargin");
		em_key(&e, "asset");
		em_uint(&e, u);
		em_key(&e, "isBuy");
		em_bool(&e, flag);
		em_key(&e, "ntli");
		em_int(&e, ntli);
		em_close(&e, true);
		return em_done(&e);
	}
	if (strcmp(type, "noop") == 0)
		return build_noop(&e);
	snprintf(err, errlen, "type: unknown action type \"%.40s\"", type);
	return HAT_E_PARSE;
}

/* ------------------------------------------------------------------ user-signed actions */

bool hl_action_is_user_type(const char *type)
{
	for (int k = HL_USER_USD_SEND; k <= HL_USER_APPROVE_AGENT; k++)
		if (type && strcmp(type, hl_user_kind_name((enum hl_user_kind)k)) == 0)
			return true;
	return false;
}

int hl_user_action_parse(const cJSON *action, struct hl_user_action *ua, char *err,
			 size_t errlen)
{
	const char *type, *chain, *chain_id;
	char why[160];
	int rc;
	memset(ua, 0, sizeof *ua);
	if (!cJSON_IsObject(action))
		return field_err(err, errlen, "action", NULL, "must be an object");
	if ((rc = get_str(action, "type", &type, "", err, errlen)))
		return rc;
	int k = -1;
	for (int i = HL_USER_USD_SEND; i <= HL_USER_APPROVE_AGENT; i++)
		if (strcmp(type, hl_user_kind_name((enum hl_user_kind)i)) == 0)
			k = i;
	if (k < 0) {
		snprintf(err, errlen, "type: not a user-signed action type \"%.40s\"", type);
		return HAT_E_PARSE;
	}
	ua->kind = (enum hl_user_kind)k;
	if ((rc = get_str(action, "signatureChainId", &chain_id, "", err, errlen)))
		return rc;
	if (hl_hex_decode_u64(chain_id, strlen(chain_id), &ua->chain_id, "signatureChainId", why,
			      sizeof why) != 0) {
		snprintf(err, errlen, "%s", why);
		return HAT_E_PARSE;
	}
	if ((rc = get_str(action, "hyperliquidChain", &chain, "", err, errlen)))
		return rc;
	if (strcmp(chain, "Mainnet") == 0)
		ua->mainnet = true;
	else if (strcmp(chain, "Testnet") != 0)
		return field_err(err, errlen, "", "hyperliquidChain", "must be Mainnet or Testnet");
	switch (ua->kind) {
	case HL_USER_USD_SEND:
	case HL_USER_WITHDRAW:
		if ((rc = get_str(action, "destination", &ua->destination, "", err, errlen)) ||
		    (rc = get_str(action, "amount", &ua->amount, "", err, errlen)) ||
		    (rc = get_uint(action, "time", UINT64_MAX, &ua->time, "", err, errlen)))
			return rc;
		break;
	case HL_USER_USD_CLASS_TRANSFER:
		if ((rc = get_str(action, "amount", &ua->amount, "", err, errlen)) ||
		    (rc = get_bool(action, "toPerp", &ua->to_perp, "", err, errlen)) ||
		    (rc = get_uint(action, "nonce", UINT64_MAX, &ua->time, "", err, errlen)))
			return rc;
		break;
	case HL_USER_APPROVE_AGENT:
		if ((rc = get_hex(action, "agentAddress", ua->agent_address, HL_ADDR_LEN, "", err,
				  errlen)) ||
		    (rc = get_uint(action, "nonce", UINT64_MAX, &ua->time, "", err, errlen)))
			return rc;
		/* The SDK signs agentName "" and then deletes the key: absent means "". */
		ua->agent_name = "";
		if (member(action, "agentName") &&
		    (rc = get_str(action, "agentName", &ua->agent_name, "", err, errlen)))
			return rc;
		break;
	}
	return 0;
}

int hl_user_action_digest(const cJSON *action, uint8_t digest[32], char *err, size_t errlen)
{
	struct hl_user_action ua;
	int rc = hl_user_action_parse(action, &ua, err, errlen);
	if (rc)
		return rc;
	hl_user_digest(&ua, digest);
	return 0;
}
