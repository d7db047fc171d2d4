/* tests/helpers/hlsim_fake_engine.c -- a tiny stand-in for hlsim's engine (engine.h).
 *
 * Test-only: lets the network layer (tools/hlsim/http.c, ws.c, server.c) be tested without the
 * exchange model. Coins BTC and ETH. Behaviour:
 *   /info {"type":"allMids"}   -> {"BTC":"100.5","ETH":"10.25"}, weight 2
 *   /info {"type":"l2Book","coin":C} -> a fixed book, weight 2
 *   /info {"type":"boom"}      -> returns -ENOMEM (the server answers 500)
 *   /info other type           -> 422 "Failed to deserialize the JSON body into the target type"
 *   non-JSON body              -> 400
 *   /exchange {"action":{"type":"order","coin":C}} -> resting oid n (1, 2, ...), weight 1, and
 *       emits TRADES(C), L2BOOK(C), ORDER_UPDATES(user 0x11..11), ALLMIDS, in that order
 *   /exchange other action     -> 200 {"status":"err","response":"Unknown action"}
 *   hlsim_exchange_prepare     -> keeps a copy of the body; sleeps "prepareDelayMs" ms first
 *       if the body has that top-level number (so tests can make prepares finish out of
 *       order); commit answers as hlsim_exchange, on the copy
 *   hlsim_tick                 -> nothing
 * Snapshots: l2Book (aggregated books carry "agg":nSigFigs), allMids, userFills (isSnapshot);
 * trades/orderUpdates/userEvents: -EAGAIN.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/hlsim/engine.h"

struct hlsim_engine {
	hlsim_event_cb cb;
	void *user;
	unsigned long next_oid;
	uint64_t ticks;
};

int hlsim_engine_new(struct hlsim_engine **out, const struct hlsim_options *o, uint64_t now_ms,
                     char *err, size_t errlen)
{
	(void)now_ms;
	if (o->config_path && !strcmp(o->config_path, "/nonexistent")) {
		snprintf(err, errlen, "%s: no such file", o->config_path);
		return -ENOENT;
	}
	struct hlsim_engine *e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	e->next_oid = 1;
	*out = e;
	return 0;
}

void hlsim_engine_free(struct hlsim_engine *e)
{
	free(e);
}

int hlsim_engine_save(struct hlsim_engine *e, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "fopen(%s) failed: %s", path, strerror(errno));
		return -errno;
	}
	fprintf(f, "{\"fake\":true,\"next_oid\":%lu}\n", e->next_oid);
	fclose(f);
	return 0;
}

static void set(struct hat_buf *out, const char *s)
{
	hat_buf_reset(out);
	hat_buf_puts(out, s);
}

static const char *coin_ok(const cJSON *o)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "coin");
	if (!cJSON_IsString(c))
		return NULL;
	if (strcmp(c->valuestring, "BTC") && strcmp(c->valuestring, "ETH"))
		return NULL;
	return c->valuestring;
}

static void book(struct hat_buf *out, const char *coin, int agg)
{
	hat_buf_reset(out);
	hat_buf_printf(out, "{\"coin\":\"%s\",\"time\":1700000000000,", coin);
	if (agg)
		hat_buf_printf(out, "\"agg\":%d,", agg);
	hat_buf_puts(out, "\"levels\":[[{\"px\":\"100.0\",\"sz\":\"1.0\",\"n\":1}],"
			  "[{\"px\":\"101.0\",\"sz\":\"2.0\",\"n\":1}]]}");
}

int hlsim_info(struct hlsim_engine *e, const char *body, size_t len, uint64_t now_ms,
               struct hat_buf *out, int *status, unsigned *weight_out)
{
	(void)e;
	(void)now_ms;
	cJSON *j = cJSON_ParseWithLength(body, len);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");
	if (weight_out)
		*weight_out = 20;
	if (!j) {
		*status = 400;
		set(out, "body is not JSON");
	} else if (cJSON_IsString(t) && !strcmp(t->valuestring, "allMids")) {
		*status = 200;
		set(out, "{\"BTC\":\"100.5\",\"ETH\":\"10.25\"}");
		if (weight_out)
			*weight_out = 2;
	} else if (cJSON_IsString(t) && !strcmp(t->valuestring, "l2Book") && coin_ok(j)) {
		*status = 200;
		book(out, coin_ok(j), 0);
		if (weight_out)
			*weight_out = 2;
	} else if (cJSON_IsString(t) && !strcmp(t->valuestring, "boom")) {
		cJSON_Delete(j);
		return -ENOMEM;
	} else {
		*status = 422;
		set(out, "Failed to deserialize the JSON body into the target type");
	}
	cJSON_Delete(j);
	return 0;
}

static const uint8_t fake_user[20] = { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
				       0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };

static void emit(struct hlsim_engine *e, enum hlsim_event_kind k, const char *coin,
                 const uint8_t *user, const char *json)
{
	if (!e->cb)
		return;
	struct hlsim_event ev = { k, coin, user, NULL, json, strlen(json) };
	e->cb(e->user, &ev);
}

int hlsim_exchange(struct hlsim_engine *e, const char *body, size_t len, uint64_t now_ms,
                   struct hat_buf *out, int *status, unsigned *weight_out)
{
	(void)now_ms;
	cJSON *j = cJSON_ParseWithLength(body, len);
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "action");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(a, "type");
	if (weight_out)
		*weight_out = 1;
	if (!j) {
		*status = 400;
		set(out, "body is not JSON");
	} else if (cJSON_IsString(t) && !strcmp(t->valuestring, "order") && coin_ok(a)) {
		const char *coin = coin_ok(a);
		unsigned long oid = e->next_oid++;
		char buf[512];
		*status = 200;
		hat_buf_reset(out);
		hat_buf_printf(out, "{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":"
				    "{\"statuses\":[{\"resting\":{\"oid\":%lu}}]}}}", oid);
		snprintf(buf, sizeof buf, "[{\"coin\":\"%s\",\"side\":\"B\",\"px\":\"100.0\","
			 "\"sz\":\"1.0\",\"time\":1700000000000,\"tid\":%lu}]", coin, oid);
		emit(e, HLSIM_EV_TRADES, coin, NULL, buf);
		char bk[512];
		struct hat_buf b = HAT_BUF_INIT;
		book(&b, coin, 0);
		snprintf(bk, sizeof bk, "%s", b.data);
		hat_buf_free(&b);
		emit(e, HLSIM_EV_L2BOOK, coin, NULL, bk);
		snprintf(buf, sizeof buf, "[{\"order\":{\"coin\":\"%s\",\"oid\":%lu},"
			 "\"status\":\"open\"}]", coin, oid);
		emit(e, HLSIM_EV_ORDER_UPDATES, NULL, fake_user, buf);
		emit(e, HLSIM_EV_ALLMIDS, NULL, NULL, "{\"mids\":{\"BTC\":\"100.5\"}}");
	} else {
		*status = 200;
		set(out, "{\"status\":\"err\",\"response\":\"Unknown action\"}");
	}
	cJSON_Delete(j);
	return 0;
}

void hlsim_tick(struct hlsim_engine *e, uint64_t now_ms)
{
	(void)now_ms;
	e->ticks++;
}

void hlsim_engine_set_sink(struct hlsim_engine *e, hlsim_event_cb cb, void *user)
{
	e->cb = cb;
	e->user = user;
}

static const char *type_of(const cJSON *s)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "type");
	return cJSON_IsString(t) ? t->valuestring : "";
}

int hlsim_snapshot_json(struct hlsim_engine *e, const cJSON *s, struct hat_buf *out)
{
	(void)e;
	const char *t = type_of(s);
	if (!strcmp(t, "l2Book")) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(s, "nSigFigs");
		if (!coin_ok(s))
			return -ENOENT;
		book(out, coin_ok(s), cJSON_IsNumber(n) ? n->valueint : 0);
		return 0;
	}
	if (!strcmp(t, "allMids")) {
		set(out, "{\"mids\":{\"BTC\":\"100.5\",\"ETH\":\"10.25\"}}");
		return 0;
	}
	if (!strcmp(t, "userFills")) {
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(s, "user");
		hat_buf_reset(out);
		hat_buf_puts(out, "{\"user\":");
		hat_buf_json_str(out, cJSON_IsString(u) ? u->valuestring : "");
		hat_buf_puts(out, ",\"isSnapshot\":true,\"fills\":[]}");
		return 0;
	}
	return -EAGAIN;
}

int hlsim_subscription_check(struct hlsim_engine *e, const cJSON *s, char *err, size_t errlen)
{
	(void)e;
	const char *t = type_of(s);
	static const char *coin_types[] = { "l2Book", "trades", "bbo", "candle" };
	static const char *user_types[] = { "orderUpdates", "userFills", "userEvents" };
	for (size_t i = 0; i < 4; i++)
		if (!strcmp(t, coin_types[i])) {
			if (!coin_ok(s))
				goto invalid;
			snprintf(err, errlen, "%s", t);
			return 0;
		}
	for (size_t i = 0; i < 3; i++)
		if (!strcmp(t, user_types[i])) {
			snprintf(err, errlen, "%s", t);
			return 0;
		}
	if (!strcmp(t, "allMids")) {
		snprintf(err, errlen, "allMids");
		return 0;
	}
invalid:;
	char *p = cJSON_PrintUnformatted(s);
	snprintf(err, errlen, "Invalid subscription %s", p ? p : "");
	cJSON_free(p);
	return -EINVAL;
}

struct hlsim_prep {
	char *body;
	size_t len;
};

int hlsim_exchange_prepare(const struct hlsim_engine *e, const char *body, size_t len,
                           struct hlsim_prep **out)
{
	(void)e;
	struct hlsim_prep *p = calloc(1, sizeof *p);
	*out = NULL;
	if (!p || !(p->body = malloc(len + 1))) {
		free(p);
		return -ENOMEM;
	}
	memcpy(p->body, body, len);
	p->body[len] = '\0';
	p->len = len;
	cJSON *j = cJSON_ParseWithLength(body, len);
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "prepareDelayMs");
	if (cJSON_IsNumber(d) && d->valuedouble > 0 && d->valuedouble < 10000) {
		long ms = (long)d->valuedouble;
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	cJSON_Delete(j);
	*out = p;
	return 0;
}

void hlsim_prep_free(struct hlsim_prep *p)
{
	if (!p)
		return;
	free(p->body);
	free(p);
}

int hlsim_exchange_commit(struct hlsim_engine *e, struct hlsim_prep *p, uint64_t now_ms,
                          struct hat_buf *out, int *status, unsigned *weight_out)
{
	int rc = hlsim_exchange(e, p->body, p->len, now_ms, out, status, weight_out);
	hlsim_prep_free(p);
	return rc;
}
