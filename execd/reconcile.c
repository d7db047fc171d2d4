/* execd/reconcile.c -- /info reconciliation passes (see reconcile.h). */
#include "execd/reconcile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "hl/hex.h"
#include "hl/json.h"

int exec_reconcile_init(struct exec_reconcile *r, const char *user_hex)
{
	memset(r, 0, sizeof *r);
	if (!user_hex || strlen(user_hex) != 42)
		return -EINVAL;
	memcpy(r->user_hex, user_hex, 43);
	r->unknown = calloc(EXEC_RECON_MAX_UNKNOWN, sizeof *r->unknown);
	r->orders = calloc(EXEC_RECON_MAX_ITEMS, sizeof *r->orders);
	r->fills = calloc(EXEC_RECON_MAX_ITEMS, sizeof *r->fills);
	r->positions = calloc(256, sizeof *r->positions);
	if (!r->unknown || !r->orders || !r->fills || !r->positions) {
		exec_reconcile_deinit(r);
		return -ENOMEM;
	}
	return 0;
}

void exec_reconcile_deinit(struct exec_reconcile *r)
{
	free(r->unknown);
	free(r->orders);
	free(r->fills);
	free(r->positions);
	r->unknown = NULL;
	r->orders = NULL;
	r->fills = NULL;
	r->positions = NULL;
}

void exec_reconcile_begin(struct exec_reconcile *r, uint64_t since_ms)
{
	r->step = EXEC_RS_OPEN_ORDERS;
	r->since_ms = since_ms;
	r->fills_paging = false;
	r->n_boundary = 0;
	if (r->fills_page == 0)
		r->fills_page = EXEC_RECON_FILLS_PAGE;
	/* Cloids added since the last pass asked its statuses (or left by a failed pass) stay. */
	r->next_unknown = 0;
	r->waiting = false;
	r->err[0] = '\0';
	r->last_fill_ms = since_ms;
}

int exec_reconcile_add_unknown(struct exec_reconcile *r, const uint8_t cloid[HAT_CLOID_LEN])
{
	for (uint32_t i = 0; i < r->n_unknown; i++)
		if (memcmp(r->unknown[i], cloid, HAT_CLOID_LEN) == 0)
			return 0;
	if (r->n_unknown >= EXEC_RECON_MAX_UNKNOWN)
		return -ENOSPC;
	memcpy(r->unknown[r->n_unknown++], cloid, HAT_CLOID_LEN);
	return 0;
}

int exec_reconcile_next(struct exec_reconcile *r, struct hat_buf *out)
{
	if (r->waiting || !exec_reconcile_active(r))
		return 0;
	if (r->step == EXEC_RS_ORDER_STATUS && r->next_unknown >= r->n_unknown) {
		r->step = EXEC_RS_FILLS;
		r->n_unknown = 0; /* all asked; later additions wait for the next pass */
		r->next_unknown = 0;
	}
	hat_buf_reset(out);
	switch (r->step) {
	case EXEC_RS_OPEN_ORDERS:
		hat_buf_printf(out, "{\"type\":\"openOrders\",\"user\":\"%s\"}", r->user_hex);
		break;
	case EXEC_RS_ORDER_STATUS: {
		char c[HL_CLOID_STRLEN];
		hl_hex_encode(r->unknown[r->next_unknown], HAT_CLOID_LEN, c);
		hat_buf_printf(out, "{\"type\":\"orderStatus\",\"user\":\"%s\",\"oid\":\"%s\"}",
		               r->user_hex, c);
		break;
	}
	case EXEC_RS_FILLS:
		/* After the first pass only what is new since the last applied fill (the same
		 * millisecond included: duplicates are dropped by tid). */
		if (r->since_ms)
			hat_buf_printf(out, "{\"type\":\"userFillsByTime\",\"user\":\"%s\","
			               "\"startTime\":%llu}", r->user_hex,
			               (unsigned long long)r->since_ms);
		else
			hat_buf_printf(out, "{\"type\":\"userFills\",\"user\":\"%s\"}",
			               r->user_hex);
		break;
	case EXEC_RS_POSITIONS:
		hat_buf_printf(out, "{\"type\":\"clearinghouseState\",\"user\":\"%s\"}", r->user_hex);
		break;
	case EXEC_RS_RATE_LIMIT:
		hat_buf_printf(out, "{\"type\":\"userRateLimit\",\"user\":\"%s\"}", r->user_hex);
		break;
	default:
		return 0;
	}
	if (!hat_buf_ok(out))
		return 0;
	r->waiting = true;
	r->requests++;
	return 1;
}

static int fail(struct exec_reconcile *r, int rc, const char *why)
{
	snprintf(r->err, sizeof r->err, "%.255s", why);
	r->step = EXEC_RS_FAILED;
	r->failures++;
	r->waiting = false;
	return rc;
}

static const char *step_name(int s)
{
	static const char *const n[] = { "idle", "openOrders", "orderStatus", "userFills",
		"clearinghouseState", "userRateLimit", "done", "failed" };
	return s >= 0 && s <= EXEC_RS_FAILED ? n[s] : "?";
}

static bool at_boundary(const struct exec_reconcile *r, uint64_t tid)
{
	for (uint32_t i = 0; i < r->n_boundary; i++)
		if (r->boundary_tids[i] == tid)
			return true;
	return false;
}

/* A full page of fills: the next request starts at its newest millisecond (more fills of that
 * millisecond may follow), remembering the ones applied. A full page inside one millisecond
 * cannot be paged by time: skip past it (counted) rather than ask for it forever. */
static void next_fills_page(struct exec_reconcile *r, uint64_t newest_ms, size_t n)
{
	r->n_boundary = 0;
	if (newest_ms <= r->since_ms) {
		r->fill_pages_stuck++;
		newest_ms = r->since_ms + 1;
	} else {
		for (size_t i = 0; i < n && r->n_boundary < EXEC_RECON_MAX_BOUNDARY; i++)
			if (r->fills[i].time_ms == newest_ms)
				r->boundary_tids[r->n_boundary++] = r->fills[i].tid;
	}
	r->since_ms = newest_ms;
	r->fills_paging = true;
	r->fill_pages++;
}

static int apply(struct exec_reconcile *r, const cJSON *root, const struct exec_recon_sink *k)
{
	char e[200];
	size_t n = 0, total = 0;
	int rc = 0;
	switch (r->step) {
	case EXEC_RS_OPEN_ORDERS:
		rc = hl_info_parse_open_orders(root, r->orders, EXEC_RECON_MAX_ITEMS, &n, &total, e,
		                               sizeof e);
		if (rc)
			break;
		for (size_t i = 0; i < n; i++)
			if (k->open_order)
				k->open_order(k->user, &r->orders[i]);
		if (k->open_done)
			k->open_done(k->user, r->orders, n);
		r->step = EXEC_RS_ORDER_STATUS;
		return 0;
	case EXEC_RS_ORDER_STATUS: {
		bool known = false;
		struct hl_order_update u;
		rc = hl_info_parse_order_status(root, &known, &u, e, sizeof e);
		if (rc)
			break;
		if (k->status)
			k->status(k->user, r->unknown[r->next_unknown], known, known ? &u : NULL);
		r->next_unknown++;
		return 0;
	}
	case EXEC_RS_FILLS:
		rc = hl_info_parse_user_fills(root, r->fills, EXEC_RECON_MAX_ITEMS, &n, &total, e,
		                              sizeof e);
		if (rc)
			break;
		/* userFills lists newest first, userFillsByTime oldest first: apply them in time
		 * order, as they happened. */
		bool newest_first = n > 1 && r->fills[0].time_ms > r->fills[n - 1].time_ms;
		if (k->fills_begin && !r->fills_paging)
			k->fills_begin(k->user);
		for (size_t j = 0; j < n; j++) {
			size_t i = newest_first ? n - 1 - j : j;
			if (r->fills[i].time_ms < r->since_ms)
				continue;
			if (r->fills_paging && r->fills[i].time_ms == r->since_ms &&
			    at_boundary(r, r->fills[i].tid))
				continue; /* applied with the previous page */
			if (r->fills[i].time_ms > r->last_fill_ms)
				r->last_fill_ms = r->fills[i].time_ms;
			if (k->fill)
				k->fill(k->user, &r->fills[i]);
		}
		if (r->since_ms && n > 0 && total >= r->fills_page) {
			next_fills_page(r, newest_first ? r->fills[0].time_ms : r->fills[n - 1].time_ms,
			                n);
			return 0;
		}
		r->fills_paging = false;
		r->step = EXEC_RS_POSITIONS;
		return 0;
	case EXEC_RS_POSITIONS: {
		struct hl_clearinghouse ch;
		rc = hl_info_parse_clearinghouse(root, &ch, r->positions, 256, e, sizeof e);
		if (rc)
			break;
		if (k->positions_begin)
			k->positions_begin(k->user);
		for (size_t i = 0; i < ch.n_positions; i++)
			if (k->position)
				k->position(k->user, &r->positions[i]);
		r->step = EXEC_RS_RATE_LIMIT;
		return 0;
	}
	case EXEC_RS_RATE_LIMIT: {
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "nRequestsUsed");
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "nRequestsCap");
		/* Optional: a server without it (or with another shape) does not fail the pass. */
		if (cJSON_IsNumber(u) && cJSON_IsNumber(c) && u->valuedouble >= 0 &&
		    c->valuedouble >= 0 && k->rate_limit)
			k->rate_limit(k->user, (uint64_t)u->valuedouble, (uint64_t)c->valuedouble);
		r->step = EXEC_RS_DONE;
		r->passes++;
		return 0;
	}
	default:
		return 0;
	}
	return fail(r, rc, e);
}

int exec_reconcile_answer(struct exec_reconcile *r, int err, long status, const char *body,
			  size_t len, const struct exec_recon_sink *sink)
{
	if (!r->waiting)
		return 0;
	r->waiting = false;
	char what[300];
	if (err) {
		snprintf(what, sizeof what, "%s: transport error %d", step_name(r->step), err);
		return fail(r, err, what);
	}
	if (status != 200) {
		snprintf(what, sizeof what, "%s: HTTP %ld: %.*s", step_name(r->step), status,
		         (int)(len > 120 ? 120 : len), body);
		return fail(r, -EPROTO, what);
	}
	char e[200];
	cJSON *root = hl_json_parse(body, len, e, sizeof e);
	if (!root) {
		snprintf(what, sizeof what, "%s: %s", step_name(r->step), e);
		return fail(r, HAT_E_PARSE, what);
	}
	int rc = apply(r, root, sink);
	cJSON_Delete(root);
	return rc;
}
