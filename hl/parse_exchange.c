/* hl/parse_exchange.c -- /exchange responses and the exchange's error strings. */
#include "hl/parse_exchange.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "hl/json.h"

/* Matched in order; the first hit wins. Texts from section 4.9 (and observed variants). */
static const struct {
	const char *needle;
	bool nocase;
	enum hat_reason reason;
} reason_rules[] = {
	{ "Price must be divisible by tick size", false, HAT_REASON_EXCH_TICK },
	{ "Order has invalid price", false, HAT_REASON_EXCH_TICK },
	{ "Order must have minimum value", false, HAT_REASON_EXCH_MIN_VALUE },
	{ "Insufficient margin", false, HAT_REASON_EXCH_MARGIN },
	{ "exceed margin tier limit", false, HAT_REASON_EXCH_MARGIN },
	{ "insufficient spot balance", true, HAT_REASON_EXCH_MARGIN },
	{ "Reduce only order would increase position", false, HAT_REASON_EXCH_REDUCE_ONLY },
	{ "Post only order would have immediately matched", false, HAT_REASON_EXCH_POST_ONLY_CROSS },
	{ "could not immediately match", false, HAT_REASON_EXCH_IOC_NO_MATCH },
	{ "Invalid TP/SL price", false, HAT_REASON_EXCH_TRIGGER_PX },
	{ "No liquidity available for market order", false, HAT_REASON_EXCH_NO_LIQUIDITY },
	{ "never placed, already canceled, or filled", false, HAT_REASON_EXCH_UNKNOWN_ORDER },
	/* A modify of an order that is gone: the original does not rest any more. */
	{ "Cannot modify canceled or filled order", false, HAT_REASON_EXCH_UNKNOWN_ORDER },
	{ "does not exist", false, HAT_REASON_EXCH_SIGNATURE },
	{ "Must deposit before performing actions", false, HAT_REASON_EXCH_SIGNATURE },
	{ "nonce", true, HAT_REASON_EXCH_NONCE },
	{ "too many requests", true, HAT_REASON_EXCH_RATE_LIMIT },
	{ "rate limit", true, HAT_REASON_EXCH_RATE_LIMIT },
	{ "cumulative volume", true, HAT_REASON_EXCH_RATE_LIMIT },
};

enum hat_reason hl_exchange_reason(const char *text)
{
	if (!text)
		return HAT_REASON_EXCH_OTHER;
	for (size_t i = 0; i < HAT_ARRAY_LEN(reason_rules); i++) {
		const char *hit = reason_rules[i].nocase ? strcasestr(text, reason_rules[i].needle)
							 : strstr(text, reason_rules[i].needle);
		if (hit)
			return reason_rules[i].reason;
	}
	return HAT_REASON_EXCH_OTHER;
}

static int parse_status(const cJSON *it, const struct hl_jpath *p, struct hl_exch_status *st,
			char *err, size_t errlen)
{
	memset(st, 0, sizeof *st);
	st->reason = HAT_REASON_NONE;
	if (cJSON_IsString(it) && it->valuestring) {
		const char *s = it->valuestring;
		if (strcmp(s, "success") == 0)
			st->kind = HL_EXST_SUCCESS;
		else if (strcmp(s, "waitingForTrigger") == 0)
			st->kind = HL_EXST_WAITING_FOR_TRIGGER;
		else if (strcmp(s, "waitingForFill") == 0)
			st->kind = HL_EXST_WAITING_FOR_FILL;
		else {
			st->kind = HL_EXST_UNKNOWN;
			snprintf(st->text, sizeof st->text, "%s", s);
		}
		return 0;
	}
	if (!cJSON_IsObject(it))
		return hl_json_fail(err, errlen, p, NULL, "expected a string or an object");
	const cJSON *o;
	int rc;
	if (hl_json_item(it, "resting")) {
		struct hl_jpath pk = HL_JPATH_KEY(p, "resting");
		st->kind = HL_EXST_RESTING;
		if ((rc = hl_json_object(it, "resting", p, &o, err, errlen)) ||
		    (rc = hl_json_u64(o, "oid", &pk, &st->oid, err, errlen)) ||
		    (rc = hl_json_cloid_opt(o, "cloid", &pk, st->cloid, &st->has_cloid, err, errlen)))
			return rc;
		return 0;
	}
	if (hl_json_item(it, "filled")) {
		struct hl_jpath pk = HL_JPATH_KEY(p, "filled");
		st->kind = HL_EXST_FILLED;
		if ((rc = hl_json_object(it, "filled", p, &o, err, errlen)) ||
		    (rc = hl_json_fx(o, "totalSz", &pk, &st->total_sz, err, errlen)) ||
		    (rc = hl_json_fx(o, "avgPx", &pk, &st->avg_px, err, errlen)) ||
		    (rc = hl_json_u64(o, "oid", &pk, &st->oid, err, errlen)) ||
		    (rc = hl_json_cloid_opt(o, "cloid", &pk, st->cloid, &st->has_cloid, err, errlen)))
			return rc;
		if (st->total_sz < 0)
			return hl_json_fail(err, errlen, &pk, "totalSz", "must be >= 0");
		if (st->avg_px < 0)
			return hl_json_fail(err, errlen, &pk, "avgPx", "must be >= 0");
		return 0;
	}
	if (hl_json_item(it, "error")) {
		const char *s;
		st->kind = HL_EXST_ERROR;
		if ((rc = hl_json_str(it, "error", p, &s, err, errlen)))
			return rc;
		snprintf(st->text, sizeof st->text, "%s", s);
		st->reason = (uint16_t)hl_exchange_reason(s);
		return 0;
	}
	return hl_json_fail(err, errlen, p, NULL, "expected \"resting\", \"filled\" or \"error\"");
}

int hl_exchange_parse_json(const cJSON *root, struct hl_exch_resp *out,
			   struct hl_exch_status *statuses, size_t cap, char *err, size_t errlen)
{
	const char *status, *type;
	const cJSON *resp, *data, *arr;
	int rc;
	memset(out, 0, sizeof *out);
	if (!cJSON_IsObject(root))
		return hl_json_fail(err, errlen, NULL, NULL, "expected a JSON object");
	if ((rc = hl_json_str(root, "status", NULL, &status, err, errlen)))
		return rc;
	struct hl_jpath pr = HL_JPATH_KEY(NULL, "response");
	if (strcmp(status, "err") == 0) {
		const char *s;
		if ((rc = hl_json_str(root, "response", NULL, &s, err, errlen)))
			return rc;
		out->type = HL_EXRESP_ERR;
		snprintf(out->text, sizeof out->text, "%s", s);
		out->reason = (uint16_t)hl_exchange_reason(s);
		return 0;
	}
	if (strcmp(status, "ok") != 0)
		return hl_json_fail(err, errlen, NULL, "status", "expected \"ok\" or \"err\"");
	if ((rc = hl_json_object(root, "response", NULL, &resp, err, errlen)) ||
	    (rc = hl_json_str(resp, "type", &pr, &type, err, errlen)))
		return rc;
	if (strcmp(type, "default") == 0) {
		out->type = HL_EXRESP_DEFAULT;
		return 0;
	}
	if (strcmp(type, "order") == 0)
		out->type = HL_EXRESP_ORDER;
	else if (strcmp(type, "cancel") == 0)
		out->type = HL_EXRESP_CANCEL;
	else {
		out->type = HL_EXRESP_OTHER;
		snprintf(out->text, sizeof out->text, "%s", type);
		return 0;
	}
	struct hl_jpath pd = HL_JPATH_KEY(&pr, "data");
	if ((rc = hl_json_object(resp, "data", &pr, &data, err, errlen)) ||
	    (rc = hl_json_array(data, "statuses", &pd, &arr, err, errlen)))
		return rc;
	struct hl_jpath ps = HL_JPATH_KEY(&pd, "statuses");
	size_t i = 0;
	for (const cJSON *it = arr->child; it; it = it->next, i++) {
		if (i >= cap)
			continue;
		struct hl_jpath pi = HL_JPATH_IDX(&ps, i);
		if ((rc = parse_status(it, &pi, &statuses[i], err, errlen)))
			return rc;
	}
	out->n_statuses = i < cap ? i : cap;
	out->total_statuses = i;
	return 0;
}

int hl_exchange_parse(const char *text, size_t len, struct hl_exch_resp *out,
		      struct hl_exch_status *statuses, size_t cap, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	cJSON *root = hl_json_parse(text, len, err, errlen);
	if (!root)
		return HAT_E_PARSE;
	int rc = hl_exchange_parse_json(root, out, statuses, cap, err, errlen);
	cJSON_Delete(root);
	return rc;
}
