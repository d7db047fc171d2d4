/* tools/hatctl/ctl.c -- requests, answers and the status table (pure). */
#include "tools/hatctl/ctl.h"
#include "common/err.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void hatctl_request(struct hat_buf *out, const char *cmd, const char *stage, const char *why)
{
	hat_buf_puts(out, "{\"cmd\":");
	hat_buf_json_str(out, cmd);
	if (stage) {
		hat_buf_puts(out, ",\"stage\":");
		hat_buf_json_str(out, stage);
	}
	if (why) {
		hat_buf_puts(out, ",\"why\":");
		hat_buf_json_str(out, why);
	}
	hat_buf_putc(out, '}');
}

int hatctl_response(const char *line, size_t len, char *err, size_t errlen)
{
	cJSON *r = cJSON_ParseWithLength(line, len);
	int rc;
	const cJSON *ok = r ? cJSON_GetObjectItemCaseSensitive(r, "ok") : NULL;
	if (!cJSON_IsObject(r) || !cJSON_IsBool(ok)) {
		snprintf(err, errlen, "superd's answer is not {\"ok\":...}: '%.120s'", len ? line : "");
		rc = HATCTL_USAGE;
	} else if (cJSON_IsTrue(ok)) {
		rc = HATCTL_OK;
	} else {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");
		snprintf(err, errlen, "%s", cJSON_IsString(e) ? e->valuestring : "refused (no reason given)");
		rc = HATCTL_REFUSED;
	}
	cJSON_Delete(r);
	return rc;
}

/* ---------------------------------------------------------------- status */

const char *const *hatctl_key_counters(const char *stage)
{
	static const char *const feedd[] = { "msgs.book", "msgs.trade", "msgs.bbo", "reconnects",
					     "parse_errors", NULL };
	static const char *const signald[] = { "md_in", "intents_out", "fills_in", "rejects_in",
					       "stale_events", NULL };
	static const char *const riskd[] = { "intents_in", "approved", "rejected", "fills",
					     "exch_rejects", "open_orders", NULL };
	static const char *const execd[] = { "orders_sent", "acks", "fills", "rejects", "cancels",
					     "in_flight", "rate_limited", NULL };
	static const char *const superd[] = { "restarts", "escalations", "watchdog_kills", NULL };
	if (!stage)
		return NULL;
	if (!strcmp(stage, "feedd"))
		return feedd;
	if (!strcmp(stage, "signald"))
		return signald;
	if (!strcmp(stage, "riskd"))
		return riskd;
	if (!strcmp(stage, "execd"))
		return execd;
	if (!strcmp(stage, "superd"))
		return superd;
	return NULL;
}

void hatctl_fmt_uptime(double s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	unsigned long long t = (unsigned long long)s;
	if (s < 60)
		snprintf(buf, len, "%.1fs", s);
	else if (t < 3600)
		snprintf(buf, len, "%llum%02llus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, "%lluh%02llum", t / 3600, t % 3600 / 60);
	else
		snprintf(buf, len, "%llud%02lluh", t / 86400, t % 86400 / 3600);
}

/* The status object of an answer (or the bare object), or NULL with err. */
static const cJSON *status_of(const cJSON *root, char *err, size_t errlen)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "status");
	if (!st)
		st = root;
	const cJSON *stages = cJSON_GetObjectItemCaseSensitive(st, "stages");
	if (!cJSON_IsObject(st) || !cJSON_IsArray(stages)) {
		snprintf(err, errlen, "not a superd status: no \"stages\" array");
		return NULL;
	}
	const cJSON *it;
	int i = 0;
	cJSON_ArrayForEach(it, stages) {
		if (!cJSON_IsObject(it) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "name"))) {
			snprintf(err, errlen, "not a superd status: stages[%d] has no \"name\"", i);
			return NULL;
		}
		i++;
	}
	return st;
}

static const char *str_of(const cJSON *o, const char *k, const char *def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : def;
}

static double num_of(const cJSON *o, const char *k, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static bool true_of(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void put_counter(struct hat_buf *out, const cJSON *c)
{
	if (cJSON_IsNumber(c))
		hat_buf_printf(out, "%s=%.0f", c->string, c->valuedouble);
	else
		hat_buf_printf(out, "%s=?", c->string);
}

static void key_counters(struct hat_buf *out, const char *stage, const cJSON *counters)
{
	const char *const *keys = hatctl_key_counters(stage);
	int shown = 0;
	for (int i = 0; keys && keys[i]; i++) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(counters, keys[i]);
		if (!c)
			continue;
		hat_buf_puts(out, shown++ ? " " : "");
		put_counter(out, c);
	}
	if (shown)
		return;
	/* No fixed choice present (a stand-in stage, or a stage that renamed its counters): its
	 * first few counters, so the column is never silently empty. */
	const cJSON *c;
	cJSON_ArrayForEach(c, counters) {
		if (shown == 4)
			break;
		hat_buf_puts(out, shown++ ? " " : "");
		put_counter(out, c);
	}
	if (!shown)
		hat_buf_putc(out, '-');
}

int hatctl_format_status(const char *json, size_t len, unsigned flags, struct hat_buf *out,
			 char *err, size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!root) {
		snprintf(err, errlen, "not JSON: '%.80s'", len ? json : "");
		return HAT_E_PARSE;
	}
	const cJSON *st = status_of(root, err, errlen);
	if (!st) {
		cJSON_Delete(root);
		return HAT_E_PARSE;
	}
	hat_buf_printf(out, "instance %s: superd pid %.0f, trading %s%s\n",
		       str_of(st, "instance", "?"), num_of(st, "superd_pid", 0),
		       true_of(st, "trading_halted") ? "HALTED" : "active",
		       true_of(st, "stopping") ? ", STOPPING" : "");
	hat_buf_printf(out, "%-8s %-9s %-9s %-8s %-8s %-9s %-10s %-6s %s\n", "STAGE", "RUN", "STATE",
		       "PID", "UPTIME", "RESTARTS", "HEARTBEAT", "READY", "KEY COUNTERS");
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(st, "stages")) {
		const char *name = str_of(it, "name", "?");
		double pid = num_of(it, "pid", 0), hb = num_of(it, "heartbeat_age_ms", -1);
		char pidb[24], up[24], hbb[24];
		if (pid > 0) {
			snprintf(pidb, sizeof pidb, "%.0f", pid);
			hatctl_fmt_uptime(num_of(it, "uptime_s", 0), up, sizeof up);
		} else {
			snprintf(pidb, sizeof pidb, "-");
			snprintf(up, sizeof up, "-");
		}
		if (hb >= 0)
			snprintf(hbb, sizeof hbb, "%.0fms", hb);
		else
			snprintf(hbb, sizeof hbb, "-");
		hat_buf_printf(out, "%-8s %-9s %-9s %-8s %-8s %-9.0f %-10s %-6s ", name,
			       str_of(it, "run", "?"), str_of(it, "state", "?"), pidb, up,
			       num_of(it, "restarts", 0), hbb, true_of(it, "ready") ? "yes" : "no");
		const cJSON *counters = cJSON_GetObjectItemCaseSensitive(it, "counters");
		key_counters(out, name, counters);
		hat_buf_putc(out, '\n');
		if (flags & HATCTL_STATUS_ALL_COUNTERS) {
			const cJSON *c;
			int col = 0;
			cJSON_ArrayForEach(c, counters) {
				if (col == 0)
					hat_buf_puts(out, "    ");
				else
					hat_buf_putc(out, ' ');
				put_counter(out, c);
				if (++col == 6) {
					hat_buf_putc(out, '\n');
					col = 0;
				}
			}
			if (col)
				hat_buf_putc(out, '\n');
		}
	}
	cJSON_Delete(root);
	return 0;
}

static double counter(const cJSON *stage, const char *name)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(stage, "counters"), name);
	return cJSON_IsNumber(c) ? c->valuedouble : 0;
}

int hatctl_format_summary(const char *json, size_t len, struct hat_buf *out, char *err,
			  size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!root) {
		snprintf(err, errlen, "not JSON: '%.80s'", len ? json : "");
		return HAT_E_PARSE;
	}
	const cJSON *st = status_of(root, err, errlen);
	if (!st) {
		cJSON_Delete(root);
		return HAT_E_PARSE;
	}
	int n = 0, started = 0, up = 0, ready = 0;
	double restarts = 0, orders = 0, fills = 0, rejects = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(st, "stages")) {
		n++;
		started += num_of(it, "pid", 0) > 0;
		up += strcmp(str_of(it, "run", ""), "up") == 0;
		ready += true_of(it, "ready");
		restarts += num_of(it, "restarts", 0);
		if (strcmp(str_of(it, "name", ""), "riskd") == 0) {
			orders = counter(it, "approved");
			fills = counter(it, "fills");
			rejects = counter(it, "rejected") + counter(it, "exch_rejects");
		}
	}
	hat_buf_printf(out, "stages=%d started=%d up=%d ready=%d restarts=%.0f halted=%d orders=%.0f "
		       "fills=%.0f rejects=%.0f", n, started, up, ready, restarts, true_of(st, "trading_halted") ? 1 : 0,
		       orders, fills, rejects);
	cJSON_Delete(root);
	return 0;
}
