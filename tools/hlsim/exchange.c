/* tools/hlsim/exchange.c -- POST /exchange: envelope, signer recovery, nonces, per-address
 * budget, and the actions (order, cancel, cancelByCloid, modify, batchModify, scheduleCancel,
 * updateLeverage, noop, usdSend, approveAgent, usdClassTransfer).
 *
 * Order of checks (protocol doc 5.7): deserialize (422 with a plain-text reason), re-encode the
 * action canonically and recover the signer ("User or API Wallet 0x.. does not exist." when
 * unknown), expiresAfter, nonce, address budget, then execute. The nonce is recorded once the
 * checks pass, even when orders inside the action fail (as on the exchange).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/fixed.h"
#include "hl/action.h"
#include "hl/sign.h"
#include "hl/wire.h"
#include "tools/hlsim/engine_int.h"

#define DESER "Failed to deserialize the JSON body into the target type: "

/* The exchange's texts that are not per-order (one table; wording of the unconfirmed ones
 * follows the protocol document's notes). */
static const char E_NOT_EXIST[] = "User or API Wallet %s does not exist.";
static const char E_RATE[] = "Too many cumulative requests sent (%llu > %llu) for cumulative "
			     "volume traded $%s. Place taker orders to free up 1 request per "
			     "USDC traded.";
static const char E_UNKNOWN_ORDER[] = "Order was never placed, already canceled, or filled.";
static const char E_MODIFY_GONE[] = "Cannot modify canceled or filled order";
static const char E_MODIFY_TAKER[] = "Modified order must not execute immediately: use Alo, or "
				     "a Gtc price that does not cross.";
static const char E_SCHED_EARLY[] = "Scheduled cancel time too early, must be at least 5 "
				    "seconds after current time.";
static const char E_SCHED_MANY[] = "Too many scheduled cancel triggers today (max 10).";

static void ok_default(struct hat_buf *out)
{
	hat_buf_puts(out, "{\"status\":\"ok\",\"response\":{\"type\":\"default\"}}");
}

static void err_top(struct hat_buf *out, const char *msg)
{
	hat_buf_reset(out);
	hat_buf_puts(out, "{\"status\":\"err\",\"response\":");
	hat_buf_json_str(out, msg);
	hat_buf_putc(out, '}');
}

static void deser(struct hat_buf *out, int *status, const char *why)
{
	hat_buf_reset(out);
	*status = 422;
	hat_buf_puts(out, DESER);
	hat_buf_puts(out, why);
}

/* ------------------------------------------------------------------ field helpers */

static bool get_u64(const cJSON *j, uint64_t *out)
{
	if (!cJSON_IsNumber(j) || j->valuedouble < 0 || j->valuedouble > 9007199254740992.0 ||
	    j->valuedouble != (double)(uint64_t)j->valuedouble)
		return false;
	*out = (uint64_t)j->valuedouble;
	return true;
}

static bool get_fx_str(const cJSON *j, int64_t *out)
{
	return cJSON_IsString(j) &&
	       hat_fx_parse(j->valuestring, strlen(j->valuestring), out, NULL, 0) == 0;
}

static bool get_cloid(const cJSON *j, uint8_t out[16])
{
	return cJSON_IsString(j) &&
	       hl_hex_decode_exact(j->valuestring, strlen(j->valuestring), out, 16, "cloid", NULL,
				   0) == 0;
}

/* OrderWire -> request. Returns false with why set. */
static bool parse_order(const cJSON *o, struct hlsim_order_req *q, const char **why)
{
	uint64_t a;
	memset(q, 0, sizeof *q);
	if (!cJSON_IsObject(o) || !get_u64(cJSON_GetObjectItemCaseSensitive(o, "a"), &a)) {
		*why = "order: invalid field `a`";
		return false;
	}
	q->coin = a > UINT32_MAX ? UINT32_MAX : (uint32_t)a;
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "b");
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "r");
	if (!cJSON_IsBool(b) || !cJSON_IsBool(r)) {
		*why = "order: invalid field `b` or `r`";
		return false;
	}
	q->is_buy = cJSON_IsTrue(b);
	q->reduce_only = cJSON_IsTrue(r);
	if (!get_fx_str(cJSON_GetObjectItemCaseSensitive(o, "p"), &q->px) ||
	    !get_fx_str(cJSON_GetObjectItemCaseSensitive(o, "s"), &q->sz)) {
		*why = "order: invalid field `p` or `s`";
		return false;
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t");
	const cJSON *lim = cJSON_GetObjectItemCaseSensitive(t, "limit");
	const cJSON *trg = cJSON_GetObjectItemCaseSensitive(t, "trigger");
	if (cJSON_IsObject(lim)) {
		const cJSON *tif = cJSON_GetObjectItemCaseSensitive(lim, "tif");
		const char *s = cJSON_IsString(tif) ? tif->valuestring : "";
		if (strcmp(s, "Gtc") == 0)
			q->tif = HLSIM_TIF_GTC;
		else if (strcmp(s, "Alo") == 0)
			q->tif = HLSIM_TIF_ALO;
		else if (strcmp(s, "Ioc") == 0 || strcmp(s, "FrontendMarket") == 0)
			q->tif = HLSIM_TIF_IOC;
		else {
			*why = "order: unknown variant of `tif`";
			return false;
		}
	} else if (cJSON_IsObject(trg)) {
		const cJSON *im = cJSON_GetObjectItemCaseSensitive(trg, "isMarket");
		const cJSON *tpsl = cJSON_GetObjectItemCaseSensitive(trg, "tpsl");
		if (!cJSON_IsBool(im) || !cJSON_IsString(tpsl) ||
		    !get_fx_str(cJSON_GetObjectItemCaseSensitive(trg, "triggerPx"), &q->trigger_px) ||
		    (strcmp(tpsl->valuestring, "tp") != 0 && strcmp(tpsl->valuestring, "sl") != 0)) {
			*why = "order: invalid trigger";
			return false;
		}
		q->is_trigger = true;
		q->trig_market = cJSON_IsTrue(im);
		q->trig_tp = strcmp(tpsl->valuestring, "tp") == 0;
		q->tif = HLSIM_TIF_GTC;
	} else {
		*why = "order: invalid field `t`";
		return false;
	}
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "c");
	if (c && !cJSON_IsNull(c)) {
		if (!get_cloid(c, q->cloid)) {
			*why = "order: invalid cloid";
			return false;
		}
		q->has_cloid = true;
	}
	return true;
}

static void put_status(struct hat_buf *out, const struct hlsim_place_result *r)
{
	switch (r->kind) {
	case HLSIM_PLACED_RESTING:
		hat_buf_puts(out, "{\"resting\":{\"oid\":");
		hlsim__put_u64(out, r->oid);
		break;
	case HLSIM_PLACED_FILLED:
		hat_buf_puts(out, "{\"filled\":{\"totalSz\":");
		hlsim__put_fx(out, r->total_sz);
		hat_buf_puts(out, ",\"avgPx\":");
		hlsim__put_fx(out, r->avg_px);
		hat_buf_puts(out, ",\"oid\":");
		hlsim__put_u64(out, r->oid);
		break;
	case HLSIM_PLACED_TRIGGER:
		hat_buf_puts(out, "\"waitingForTrigger\"");
		return;
	case HLSIM_PLACED_ERROR:
		hat_buf_puts(out, "{\"error\":");
		hat_buf_json_str(out, r->err);
		hat_buf_putc(out, '}');
		return;
	}
	if (r->has_cloid) {
		hat_buf_puts(out, ",\"cloid\":");
		hlsim__put_cloid(out, r->cloid);
	}
	hat_buf_puts(out, "}}");
}

/* ------------------------------------------------------------------ actions */

/* An order, cancel or cancelByCloid action decoded where the request is prepared (a worker
 * thread), so that its commit needs no JSON and the JSON tree is freed by the thread that
 * built it. */
struct cancel_req {
	uint64_t a, oid;
	uint8_t cloid[16];
};

struct decoded {
	int n;
	const char *why;                /* not NULL: the action does not deserialize (422) */
	struct hlsim_order_req *orders; /* order: n requests */
	struct cancel_req *cancels;     /* cancel, cancelByCloid: n cancels */
};

static void decoded_free(struct decoded *d)
{
	free(d->orders);
	free(d->cancels);
	memset(d, 0, sizeof *d);
}

/* Every member of "orders" (array or not, as cJSON_ArrayForEach walks it). Returns 0 (d->why
 * set when one does not deserialize) or -ENOMEM. */
static int decode_orders(const cJSON *action, struct decoded *d)
{
	const cJSON *orders = cJSON_GetObjectItemCaseSensitive(action, "orders");
	int n = cJSON_GetArraySize(orders), i = 0;
	if (n > 0 && !(d->orders = calloc((size_t)n, sizeof *d->orders)))
		return -ENOMEM;
	d->n = n;
	const cJSON *o;
	cJSON_ArrayForEach(o, orders) {
		if (!parse_order(o, &d->orders[i++], &d->why))
			return 0;
	}
	return 0;
}

/* Every member of "cancels"; d->why set if any field is invalid. Returns 0 or -ENOMEM. */
static int decode_cancels(const cJSON *action, bool by_cloid, struct decoded *d)
{
	const cJSON *cs = cJSON_GetObjectItemCaseSensitive(action, "cancels");
	int n = cJSON_GetArraySize(cs), i = 0;
	if (n > 0 && !(d->cancels = calloc((size_t)n, sizeof *d->cancels)))
		return -ENOMEM;
	d->n = n;
	const cJSON *c;
	cJSON_ArrayForEach(c, cs) {
		struct cancel_req *q = &d->cancels[i++];
		bool good = by_cloid
			? get_u64(cJSON_GetObjectItemCaseSensitive(c, "asset"), &q->a) &&
			  get_cloid(cJSON_GetObjectItemCaseSensitive(c, "cloid"), q->cloid)
			: get_u64(cJSON_GetObjectItemCaseSensitive(c, "a"), &q->a) &&
			  get_u64(cJSON_GetObjectItemCaseSensitive(c, "o"), &q->oid);
		if (!good) {
			d->why = "cancel: invalid field";
			return 0;
		}
	}
	return 0;
}

static int act_order(struct hlsim_engine *e, uint32_t acct, const struct decoded *d,
		     struct hat_buf *out, int *status)
{
	int rc = 0;
	if (d->why) {
		deser(out, status, d->why);
		return 0;
	}
	hat_buf_puts(out, "{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":[");
	for (int i = 0; i < d->n; i++) {
		struct hlsim_place_result r;
		if ((rc = hlsim__place(e, acct, &d->orders[i], true, &r)) != 0)
			break;
		if (i)
			hat_buf_putc(out, ',');
		put_status(out, &r);
	}
	hat_buf_puts(out, "]}}}");
	return rc;
}

static int act_cancel(struct hlsim_engine *e, uint32_t acct, const struct decoded *d, bool by_cloid,
		      struct hat_buf *out, int *status)
{
	if (d->why) { /* validated before acting */
		deser(out, status, d->why);
		return 0;
	}
	hat_buf_puts(out, "{\"status\":\"ok\",\"response\":{\"type\":\"cancel\",\"data\":{\"statuses\":[");
	for (int i = 0; i < d->n; i++) {
		const struct cancel_req *q = &d->cancels[i];
		struct hlsim_order *o = by_cloid ? hlsim__find_cloid(e, acct, q->cloid)
						 : hlsim_oidmap_get(&e->oids, q->oid);
		if (i)
			hat_buf_putc(out, ',');
		if (o && o->acct == acct && o->coin == q->a) {
			hlsim__cancel(e, o, "canceled");
			hat_buf_puts(out, "\"success\"");
		} else {
			hat_buf_puts(out, "{\"error\":");
			hat_buf_json_str(out, E_UNKNOWN_ORDER);
			hat_buf_putc(out, '}');
		}
	}
	hat_buf_puts(out, "]}}}");
	return 0;
}

/* One modify: finds the order (oid or cloid), cancels it, places the replacement. */
static int modify_one(struct hlsim_engine *e, uint32_t acct, const cJSON *oid_j,
		      const struct hlsim_order_req *q, struct hlsim_place_result *r)
{
	struct hlsim_order *o = NULL;
	uint64_t oid;
	uint8_t cl[16];
	if (get_u64(oid_j, &oid))
		o = hlsim_oidmap_get(&e->oids, oid);
	else if (get_cloid(oid_j, cl))
		o = hlsim__find_cloid(e, acct, cl);
	if (!o || o->acct != acct || o->coin != q->coin) {
		memset(r, 0, sizeof *r);
		r->kind = HLSIM_PLACED_ERROR;
		snprintf(r->err, sizeof r->err, "%s", E_MODIFY_GONE);
		return 0;
	}
	struct hlsim_order_req nq = *q;
	if (!e->cfg.modify_always_place) {
		/* the newer rule (protocol doc 4.4): without "always place" the replacement must be
		 * a non-trigger Alo, or a Gtc that would not execute (it then becomes Alo) */
		bool crosses = hlsim_match_would_cross(&e->mk[q->coin].book, q->is_buy, q->px);
		if (q->is_trigger || q->tif == HLSIM_TIF_IOC || (q->tif == HLSIM_TIF_GTC && crosses)) {
			memset(r, 0, sizeof *r);
			r->kind = HLSIM_PLACED_ERROR;
			snprintf(r->err, sizeof r->err, "%s", E_MODIFY_TAKER);
			return 0;
		}
		nq.tif = HLSIM_TIF_ALO;
	}
	hlsim__cancel(e, o, "canceled");
	return hlsim__place(e, acct, &nq, true, r);
}

static bool modify_valid(const cJSON *oid_j)
{
	uint64_t oid;
	uint8_t cl[16];
	return get_u64(oid_j, &oid) || get_cloid(oid_j, cl);
}

static int act_modify(struct hlsim_engine *e, uint32_t acct, const cJSON *action, bool batch,
		      struct hat_buf *out, int *status)
{
	const char *why = "modify: invalid field `oid`";
	if (!batch) {
		struct hlsim_order_req q;
		struct hlsim_place_result r;
		const cJSON *oid_j = cJSON_GetObjectItemCaseSensitive(action, "oid");
		if (!modify_valid(oid_j) ||
		    !parse_order(cJSON_GetObjectItemCaseSensitive(action, "order"), &q, &why)) {
			deser(out, status, why);
			return 0;
		}
		int rc = modify_one(e, acct, oid_j, &q, &r);
		if (rc)
			return rc;
		if (r.kind == HLSIM_PLACED_ERROR)
			err_top(out, r.err);
		else
			ok_default(out);
		return 0;
	}
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(action, "modifies");
	int n = cJSON_GetArraySize(ms), i = 0, rc = 0;
	struct hlsim_order_req *reqs = n > 0 ? calloc((size_t)n, sizeof *reqs) : NULL;
	if (n > 0 && !reqs)
		return -ENOMEM;
	const cJSON *m;
	cJSON_ArrayForEach(m, ms) {
		if (!modify_valid(cJSON_GetObjectItemCaseSensitive(m, "oid")) ||
		    !parse_order(cJSON_GetObjectItemCaseSensitive(m, "order"), &reqs[i], &why)) {
			free(reqs);
			deser(out, status, why);
			return 0;
		}
		i++;
	}
	hat_buf_puts(out, "{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":[");
	i = 0;
	cJSON_ArrayForEach(m, ms) {
		struct hlsim_place_result r;
		if ((rc = modify_one(e, acct, cJSON_GetObjectItemCaseSensitive(m, "oid"), &reqs[i],
				     &r)) != 0)
			break;
		if (i++)
			hat_buf_putc(out, ',');
		put_status(out, &r);
	}
	hat_buf_puts(out, "]}}}");
	free(reqs);
	return rc;
}

static void act_schedule_cancel(struct hlsim_engine *e, struct hlsim_account *a,
				const cJSON *action, struct hat_buf *out)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(action, "time");
	uint64_t when;
	if (!t || cJSON_IsNull(t)) {
		a->sched_ms = 0;
		ok_default(out);
		return;
	}
	if (!get_u64(t, &when) || when < e->now_ms + 5000) {
		err_top(out, E_SCHED_EARLY);
		return;
	}
	uint64_t day = e->now_ms / 86400000ULL;
	if (a->sched_day == day && a->sched_count >= 10) {
		err_top(out, E_SCHED_MANY);
		return;
	}
	a->sched_ms = when;
	ok_default(out);
}

static void act_update_leverage(struct hlsim_engine *e, struct hlsim_account *a,
				const cJSON *action, struct hat_buf *out, int *status)
{
	uint64_t asset, lev;
	const cJSON *cross = cJSON_GetObjectItemCaseSensitive(action, "isCross");
	if (!get_u64(cJSON_GetObjectItemCaseSensitive(action, "asset"), &asset) ||
	    !get_u64(cJSON_GetObjectItemCaseSensitive(action, "leverage"), &lev) ||
	    !cJSON_IsBool(cross)) {
		deser(out, status, "updateLeverage: invalid field");
		return;
	}
	if (asset >= e->cfg.n_coins) {
		err_top(out, "Invalid asset.");
		return;
	}
	if (!cJSON_IsTrue(cross)) {
		err_top(out, "Isolated margin is not supported by hlsim (cross margin only).");
		return;
	}
	if (lev < 1 || lev > (uint64_t)e->cfg.coins[asset].max_leverage) {
		err_top(out, "Invalid leverage value.");
		return;
	}
	a->pos[asset].leverage = (int)lev;
	ok_default(out);
}

static int act_usd_send(struct hlsim_engine *e, uint32_t acct, const struct hl_user_action *ua,
			struct hat_buf *out)
{
	int64_t amt;
	uint8_t dest[20];
	if (hat_fx_parse(ua->amount, strlen(ua->amount), &amt, NULL, 0) != 0 || amt <= 0) {
		err_top(out, "Invalid amount.");
		return 0;
	}
	if (hl_addr_parse(ua->destination, strlen(ua->destination), dest, NULL, 0) != 0) {
		err_top(out, "Invalid destination address.");
		return 0;
	}
	struct hlsim_account *a = e->acct[acct];
	int64_t marks[HLSIM_MAX_COINS];
	hlsim__marks(e, marks);
	int64_t free_usd = hlsim_account_value(a, marks, e->cfg.n_coins) -
			   hlsim_account_pos_margin(a, marks, e->cfg.n_coins) -
			   hlsim_account_order_margin(a);
	if (amt > free_usd || amt > a->usdc) {
		err_top(out, "Insufficient balance for transfer.");
		return 0;
	}
	int d = hlsim__acct_get(e, dest);
	if (d < 0)
		return d;
	a = e->acct[acct]; /* the account array may have moved, not the accounts */
	if (e->acct[d]->usdc > INT64_MAX - amt) {
		err_top(out, "Destination balance would overflow.");
		return 0;
	}
	a->usdc -= amt;
	e->acct[d]->usdc += amt;
	ok_default(out);
	return 0;
}

static int act_approve_agent(struct hlsim_engine *e, uint32_t acct, const struct hl_user_action *ua,
			     struct hat_buf *out)
{
	const char *name = ua->agent_name ? ua->agent_name : "";
	char base[64];
	uint64_t until = 0;
	const char *vu = strstr(name, " valid_until ");
	size_t bl = vu ? (size_t)(vu - name) : strlen(name);
	if (bl >= sizeof base) {
		err_top(out, "Agent name too long.");
		return 0;
	}
	memcpy(base, name, bl);
	base[bl] = '\0';
	if (vu)
		until = strtoull(vu + 13, NULL, 10);
	if (hlsim__acct_find(e, ua->agent_address) >= 0) {
		err_top(out, "Agent address is already a user.");
		return 0;
	}
	/* same owner and same name replaces; a new address replaces any older registration */
	for (uint32_t i = 0; i < e->n_agents;) {
		struct hlsim_agent *g = &e->agents[i];
		if ((g->owner == acct && strcmp(g->name, base) == 0) ||
		    memcmp(g->address, ua->agent_address, 20) == 0) {
			e->agents[i] = e->agents[--e->n_agents];
			continue;
		}
		i++;
	}
	if (e->n_agents == e->cap_agents) {
		uint32_t nc = e->cap_agents ? e->cap_agents * 2 : 8;
		struct hlsim_agent *p = realloc(e->agents, nc * sizeof *p);
		if (!p)
			return -ENOMEM;
		e->agents = p;
		e->cap_agents = nc;
	}
	struct hlsim_agent *g = &e->agents[e->n_agents++];
	memset(g, 0, sizeof *g);
	memcpy(g->address, ua->agent_address, 20);
	g->owner = acct;
	snprintf(g->name, sizeof g->name, "%s", base);
	g->valid_until = until;
	ok_default(out);
	return 0;
}

/* ------------------------------------------------------------------ envelope and auth */

static uint64_t batch_len(const char *type, const cJSON *action)
{
	const char *key = strcmp(type, "order") == 0 ? "orders"
			  : strcmp(type, "batchModify") == 0 ? "modifies"
			  : (strcmp(type, "cancel") == 0 || strcmp(type, "cancelByCloid") == 0)
				  ? "cancels" : NULL;
	if (!key)
		return 1;
	int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(action, key));
	return n > 0 ? (uint64_t)n : 1;
}

/* Per-address budget (8.2): 10000 + 1 per USDC traded; cancels get min(cap + 100000, 2 cap);
 * once exhausted, 1 request per 10 s. Returns true if allowed (and counts it). */
static bool budget_ok(struct hlsim_engine *e, struct hlsim_account *a, const char *type,
		      uint64_t n, char *msg, size_t len)
{
	uint64_t cap = 10000 + (uint64_t)(a->cum_vlm / HAT_FX_ONE);
	bool cancel = strcmp(type, "cancel") == 0 || strcmp(type, "cancelByCloid") == 0;
	if (cancel)
		cap = cap + 100000 < 2 * cap ? cap + 100000 : 2 * cap;
	if (a->n_requests + n <= cap) {
		a->n_requests += n;
		return true;
	}
	if (e->now_ms >= a->rl_next_ms) {
		a->rl_next_ms = e->now_ms + 10000;
		a->n_requests += n;
		return true;
	}
	char vlm[HAT_FX_STRLEN];
	hat_fx_format(a->cum_vlm, vlm, sizeof vlm);
	snprintf(msg, len, E_RATE, (unsigned long long)(a->n_requests + n),
		 (unsigned long long)cap, vlm);
	return false;
}

/* What prepare decoded of the action (enum decoded_kind); action is NULL for those. */
enum decoded_kind { DEC_NONE, DEC_ORDER, DEC_CANCEL, DEC_CANCEL_CLOID };

static int dispatch(struct hlsim_engine *e, const char *type, uint32_t acct, const cJSON *action,
		    const struct hl_user_action *ua, enum decoded_kind dk,
		    const struct decoded *dec, struct hat_buf *out, int *status)
{
	struct hlsim_account *a = e->acct[acct];
	switch (dk) {
	case DEC_ORDER:
		return act_order(e, acct, dec, out, status);
	case DEC_CANCEL:
		return act_cancel(e, acct, dec, false, out, status);
	case DEC_CANCEL_CLOID:
		return act_cancel(e, acct, dec, true, out, status);
	case DEC_NONE:
		break;
	}
	if (strcmp(type, "modify") == 0)
		return act_modify(e, acct, action, false, out, status);
	if (strcmp(type, "batchModify") == 0)
		return act_modify(e, acct, action, true, out, status);
	if (strcmp(type, "scheduleCancel") == 0) {
		act_schedule_cancel(e, a, action, out);
		return 0;
	}
	if (strcmp(type, "updateLeverage") == 0) {
		act_update_leverage(e, a, action, out, status);
		return 0;
	}
	if (strcmp(type, "noop") == 0) {
		ok_default(out);
		return 0;
	}
	if (strcmp(type, "usdSend") == 0)
		return act_usd_send(e, acct, ua, out);
	if (strcmp(type, "approveAgent") == 0)
		return act_approve_agent(e, acct, ua, out);
	if (strcmp(type, "usdClassTransfer") == 0) {
		ok_default(out); /* one USDC balance: spot and perp are the same here */
		return 0;
	}
	char msg[128];
	snprintf(msg, sizeof msg, "Action %s is not supported by hlsim.", type);
	err_top(out, msg);
	return 0;
}

/* What the engine-state-free half of a request found (see engine.h). */
struct hlsim_prep {
	cJSON *root;            /* owned; action, type and ua point into it (NULL once the
	                         * action is decoded or the answer final: type is then static) */
	enum decoded_kind dk;   /* not DEC_NONE: dec holds the action */
	struct decoded dec;
	bool final;             /* out/status are the answer (decided without the engine) */
	int status;
	int rc;                 /* -ENOMEM from the prepare step */
	struct hat_buf out;
	unsigned weight;
	const cJSON *action;
	const char *type;
	uint64_t nonce, expires, n;
	bool has_exp, has_vault, user_signed;
	uint8_t vault[20];
	struct hl_user_action ua;
	uint8_t signer[20];
};

void hlsim_prep_free(struct hlsim_prep *p)
{
	if (!p)
		return;
	cJSON_Delete(p->root);
	decoded_free(&p->dec);
	hat_buf_free(&p->out);
	free(p);
}

static void prep_deser(struct hlsim_prep *p, const char *why)
{
	p->final = true;
	deser(&p->out, &p->status, why);
}

/* Decodes an order, cancel or cancelByCloid action (p->dk, p->dec; p->type then points to a
 * static string); other actions stay JSON for the commit. */
static void decode(struct hlsim_prep *p)
{
	static const struct {
		const char *type;
		enum decoded_kind dk;
	} kinds[] = { { "order", DEC_ORDER }, { "cancel", DEC_CANCEL },
		      { "cancelByCloid", DEC_CANCEL_CLOID } };
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strcmp(p->type, kinds[i].type) != 0)
			continue;
		int rc = kinds[i].dk == DEC_ORDER
				 ? decode_orders(p->action, &p->dec)
				 : decode_cancels(p->action, kinds[i].dk == DEC_CANCEL_CLOID, &p->dec);
		if (rc) {
			decoded_free(&p->dec);
			p->rc = rc;
			return;
		}
		p->dk = kinds[i].dk;
		p->type = kinds[i].type;
		return;
	}
}

/* Deserialize, digest, recover the signer: no engine state except the immutable network flag. */
static void prepare(bool mainnet, const char *body, size_t len, struct hlsim_prep *p)
{
	char err[256], msg[320];
	struct hat_buf mp = HAT_BUF_INIT;
	p->status = 200;
	p->weight = 1;
	p->root = cJSON_ParseWithLength(body, len);
	cJSON *root = p->root;
	if (!root) {
		p->final = true;
		p->status = 400;
		hat_buf_puts(&p->out, "Failed to parse the request body as JSON");
		return;
	}
	const cJSON *action = cJSON_GetObjectItemCaseSensitive(root, "action");
	const cJSON *nonce_j = cJSON_GetObjectItemCaseSensitive(root, "nonce");
	const cJSON *sig_j = cJSON_GetObjectItemCaseSensitive(root, "signature");
	const cJSON *vault_j = cJSON_GetObjectItemCaseSensitive(root, "vaultAddress");
	const cJSON *exp_j = cJSON_GetObjectItemCaseSensitive(root, "expiresAfter");
	const cJSON *type_j = cJSON_GetObjectItemCaseSensitive(action, "type");
	p->has_exp = exp_j && !cJSON_IsNull(exp_j);
	p->has_vault = vault_j && !cJSON_IsNull(vault_j);
	if (!cJSON_IsObject(root) || !cJSON_IsObject(action)) {
		prep_deser(p, "missing field `action`");
		return;
	}
	if (!cJSON_IsString(type_j)) {
		prep_deser(p, "action: missing field `type`");
		return;
	}
	if (!get_u64(nonce_j, &p->nonce)) {
		prep_deser(p, "missing or invalid field `nonce`");
		return;
	}
	if (!cJSON_IsObject(sig_j)) {
		prep_deser(p, "missing field `signature`");
		return;
	}
	if (p->has_exp && !get_u64(exp_j, &p->expires)) {
		prep_deser(p, "invalid field `expiresAfter`");
		return;
	}
	if (p->has_vault && (!cJSON_IsString(vault_j) ||
			     hl_addr_parse(vault_j->valuestring, strlen(vault_j->valuestring),
					   p->vault, NULL, 0) != 0)) {
		prep_deser(p, "invalid field `vaultAddress`");
		return;
	}
	const char *type = type_j->valuestring;
	p->action = action;
	p->type = type;
	p->n = batch_len(type, action);
	p->weight = 1 + (unsigned)(p->n / 40);

	/* digest */
	uint8_t digest[32];
	p->user_signed = hl_action_is_user_type(type);
	if (p->user_signed) {
		if (hl_user_action_parse(action, &p->ua, err, sizeof err) != 0) {
			prep_deser(p, err);
			return;
		}
		hl_user_digest(&p->ua, digest);
	} else if (hl_action_is_l1_type(type)) {
		int mrc = hl_action_canonical_msgpack(action, &mp, err, sizeof err);
		if (mrc == -ENOMEM) {
			p->rc = mrc;
			goto done;
		}
		if (mrc != 0) {
			prep_deser(p, err);
			goto done;
		}
		struct hl_l1_meta m = { p->nonce, p->has_vault ? p->vault : NULL, p->has_exp,
					p->expires, !mainnet };
		uint8_t cid[32];
		hl_l1_connection_id((const uint8_t *)mp.data, mp.len, &m, cid);
		hl_l1_digest(cid, !mainnet, digest);
	} else {
		snprintf(msg, sizeof msg, "action: unknown variant `%s`", type);
		prep_deser(p, msg);
		return;
	}

	/* signer */
	const cJSON *r_j = cJSON_GetObjectItemCaseSensitive(sig_j, "r");
	const cJSON *s_j = cJSON_GetObjectItemCaseSensitive(sig_j, "s");
	const cJSON *v_j = cJSON_GetObjectItemCaseSensitive(sig_j, "v");
	struct hl_sig sig;
	if (!cJSON_IsString(r_j) || !cJSON_IsString(s_j) || !cJSON_IsNumber(v_j) ||
	    !(v_j->valuedouble >= 0 && v_j->valuedouble <= 255) ||
	    hl_sig_parse(r_j->valuestring, s_j->valuestring, (long long)v_j->valuedouble, &sig, err,
			 sizeof err) != 0) {
		prep_deser(p, "signature: invalid r, s or v");
		goto done;
	}
	if (hl_recover_address(digest, &sig, p->signer, err, sizeof err) != 0) {
		snprintf(msg, sizeof msg, "Invalid signature: %s", err);
		p->final = true;
		err_top(&p->out, msg);
		goto done;
	}
	decode(p);
done:
	hat_buf_free(&mp);
	if (p->final || (p->dk != DEC_NONE && !p->rc)) {
		/* the commit needs no JSON: the tree goes here, on the thread that built it */
		cJSON_Delete(p->root);
		p->root = NULL;
		p->action = NULL;
	}
}

int hlsim_exchange_prepare(const struct hlsim_engine *e, const char *body, size_t len,
			   struct hlsim_prep **out)
{
	struct hlsim_prep *p = calloc(1, sizeof *p);
	*out = NULL;
	if (!p)
		return -ENOMEM;
	hat_buf_init(&p->out);
	prepare(e->mainnet, body, len, p);
	*out = p;
	return 0;
}

int hlsim_exchange_commit(struct hlsim_engine *e, struct hlsim_prep *p, uint64_t now_ms,
			  struct hat_buf *out, int *status, unsigned *weight_out)
{
	char msg[320];
	int rc = p->rc;
	e->signed_actions++;
	hat_buf_reset(out);
	*status = p->status;
	if (weight_out)
		*weight_out = p->weight;
	if (now_ms > e->now_ms)
		e->now_ms = now_ms;
	if (rc || p->final) {
		if (!hat_buf_ok(&p->out))
			rc = -ENOMEM;
		else
			hat_buf_append(out, p->out.data, p->out.len);
		goto done;
	}
	const char *type = p->type;
	const uint8_t *signer = p->signer;
	bool user_signed = p->user_signed;
	uint64_t n = p->n, nonce = p->nonce;
	int acct = hlsim__acct_find(e, signer);
	struct hlsim_nonces *ns = NULL;
	if (acct >= 0 && !e->acct[acct]->is_flow) {
		ns = &e->acct[acct]->nonces;
	} else if (!user_signed) {
		acct = -1;
		for (uint32_t i = 0; i < e->n_agents; i++) {
			struct hlsim_agent *g = &e->agents[i];
			if (memcmp(g->address, signer, 20) == 0 &&
			    (!g->valid_until || g->valid_until > e->now_ms)) {
				acct = (int)g->owner;
				ns = &g->nonces;
				break;
			}
		}
	} else {
		acct = -1;
	}
	if (acct < 0 || !ns) {
		char a[HL_ADDR_STRLEN];
		hl_addr_format(signer, a);
		snprintf(msg, sizeof msg, E_NOT_EXIST, a);
		err_top(out, msg);
		goto done;
	}
	if (user_signed) {
		if (p->ua.mainnet != e->mainnet) {
			snprintf(msg, sizeof msg, "Invalid hyperliquidChain: this exchange is %s.",
				 e->mainnet ? "Mainnet" : "Testnet");
			err_top(out, msg);
			goto done;
		}
		if (p->ua.time != nonce) {
			err_top(out, "Invalid nonce: the action's time/nonce field must equal the "
				     "request nonce.");
			goto done;
		}
		if (p->has_exp) {
			err_top(out, "expiresAfter is not allowed on user-signed actions.");
			goto done;
		}
	}
	if (p->has_vault) {
		err_top(out, "Vaults and sub-accounts are not supported by hlsim.");
		goto done;
	}
	struct hlsim_account *a = e->acct[acct];
	if (p->has_exp && e->now_ms > p->expires) {
		a->n_requests += 5 * n; /* stale expiresAfter costs 5x */
		snprintf(msg, sizeof msg, "Action expired: expiresAfter %llu < now %llu.",
			 (unsigned long long)p->expires, (unsigned long long)e->now_ms);
		err_top(out, msg);
		goto done;
	}
	enum hlsim_nonce_verdict nv = hlsim_nonce_check(ns, nonce, e->now_ms);
	if (nv != HLSIM_NONCE_OK) {
		hlsim_nonce_error(nv, nonce, msg, sizeof msg);
		err_top(out, msg);
		goto done;
	}
	if (!budget_ok(e, a, type, n, msg, sizeof msg)) {
		err_top(out, msg);
		goto done;
	}
	hlsim_nonce_use(ns, nonce);
	rc = dispatch(e, type, (uint32_t)acct, p->action, &p->ua, p->dk, &p->dec, out, status);
	hlsim__flush_market(e);
done:
	hlsim_prep_free(p);
	if (rc == 0 && !hat_buf_ok(out))
		rc = -ENOMEM;
	return rc;
}

int hlsim_exchange(struct hlsim_engine *e, const char *body, size_t len, uint64_t now_ms,
		   struct hat_buf *out, int *status, unsigned *weight_out)
{
	struct hlsim_prep *p;
	int rc = hlsim_exchange_prepare(e, body, len, &p);
	if (rc < 0) {
		hat_buf_reset(out);
		*status = 200;
		if (weight_out)
			*weight_out = 1;
		return rc;
	}
	return hlsim_exchange_commit(e, p, now_ms, out, status, weight_out);
}
