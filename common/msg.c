/* common/msg.c -- message validators, names, formatters, sequence and reject accounting. */
#include "common/msg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/fixed.h"
#include "common/hex.h"

/* ================================================================ registry tables */

struct msg_info {
	const char *name;
	size_t size;
	unsigned version;
};

static const struct msg_info msg_info[HAT_MSG_TYPE_MAX + 1] = {
#define X(name_, id, st, ver) [id] = { #name_, sizeof(struct st), ver },
	HAT_MSG_TYPES(X)
#undef X
};

static const struct msg_info *info_of(unsigned type)
{
	if (type > HAT_MSG_TYPE_MAX || !msg_info[type].name)
		return NULL;
	return &msg_info[type];
}

const char *hat_msg_type_name(unsigned type)
{
	const struct msg_info *i = info_of(type);
	return i ? i->name : "?";
}

size_t hat_msg_type_size(unsigned type)
{
	const struct msg_info *i = info_of(type);
	return i ? i->size : 0;
}

unsigned hat_msg_type_version(unsigned type)
{
	const struct msg_info *i = info_of(type);
	return i ? i->version : 0;
}

int hat_msg_type_from_name(const char *name)
{
	for (unsigned t = 0; t <= HAT_MSG_TYPE_MAX; t++)
		if (msg_info[t].name && strcmp(msg_info[t].name, name) == 0)
			return (int)t;
	return -ENOENT;
}

const char *hat_reason_name(unsigned reason)
{
	switch (reason) {
#define X(name, id) case id: return #name;
		HAT_REASONS(X)
#undef X
	}
	return "?";
}

bool hat_reason_valid(unsigned reason)
{
	switch (reason) {
#define X(name, id) case id: return true;
		HAT_REASONS(X)
#undef X
	}
	return false;
}

#define NAME_AT(table, v) ((v) < HAT_ARRAY_LEN(table) && (table)[v] ? (table)[v] : "?")

const char *hat_side_name(unsigned side)
{
	static const char *const t[] = { [HAT_SIDE_BUY] = "buy", [HAT_SIDE_SELL] = "sell" };
	return NAME_AT(t, side);
}

const char *hat_tif_name(unsigned tif)
{
	static const char *const t[] = { [HAT_TIF_GTC] = "Gtc", [HAT_TIF_IOC] = "Ioc", [HAT_TIF_ALO] = "Alo" };
	return NAME_AT(t, tif);
}

const char *hat_intent_kind_name(unsigned kind)
{
	static const char *const t[] = { [HAT_INTENT_NEW] = "new", [HAT_INTENT_CANCEL] = "cancel",
					 [HAT_INTENT_REPLACE] = "replace" };
	return NAME_AT(t, kind);
}

const char *hat_exec_kind_name(unsigned kind)
{
	static const char *const t[] = {
		[HAT_EXEC_ACK] = "ack", [HAT_EXEC_REJECT] = "reject", [HAT_EXEC_FILL] = "fill",
		[HAT_EXEC_CANCELED] = "canceled", [HAT_EXEC_CANCEL_REJECT] = "cancel_reject",
		[HAT_EXEC_REPLACED] = "replaced", [HAT_EXEC_OPEN_ORDER] = "open_order",
	};
	return NAME_AT(t, kind);
}

const char *hat_ctl_cmd_name(unsigned cmd)
{
	static const char *const t[] = {
		[HAT_CTL_HALT] = "halt", [HAT_CTL_RESUME] = "resume", [HAT_CTL_CANCEL_ALL] = "cancel_all",
		[HAT_CTL_SHUTDOWN] = "shutdown", [HAT_CTL_STATE_REQUEST] = "state_request",
		[HAT_CTL_HELLO] = "hello", [HAT_CTL_SNAPSHOT_BEGIN] = "snapshot_begin",
		[HAT_CTL_SNAPSHOT_END] = "snapshot_end", [HAT_CTL_REDUCE] = "reduce",
		[HAT_CTL_ESCALATE] = "escalate",
	};
	return NAME_AT(t, cmd);
}

const char *hat_stage_name(unsigned stage)
{
	static const char *const t[] = {
		[HAT_STAGE_NONE] = "none", [HAT_STAGE_FEEDD] = "feedd", [HAT_STAGE_SIGNALD] = "signald",
		[HAT_STAGE_RISKD] = "riskd", [HAT_STAGE_EXECD] = "execd", [HAT_STAGE_SUPERD] = "superd",
		[HAT_STAGE_OPERATOR] = "operator",
	};
	return NAME_AT(t, stage);
}

const char *hat_trading_state_name(unsigned state)
{
	static const char *const t[] = { [HAT_TS_ACTIVE] = "active", [HAT_TS_REDUCING] = "reducing",
					 [HAT_TS_HALTED] = "halted" };
	return NAME_AT(t, state);
}

/* ================================================================ producing */

int hat_msg_init(struct hat_msg_hdr *h, unsigned type)
{
	const struct msg_info *i = info_of(type);
	if (!i)
		return HAT_E_BADTYPE;
	memset(h, 0, i->size);
	h->type = (uint16_t)type;
	h->version = (uint16_t)i->version;
	h->length = (uint32_t)i->size;
	return 0;
}

int hat_coin_set(char coin[HAT_COIN_LEN], const char *s)
{
	size_t n = strlen(s);
	memset(coin, 0, HAT_COIN_LEN);
	if (n == 0)
		return -EINVAL;
	if (n >= HAT_COIN_LEN)
		return -ENAMETOOLONG;
	memcpy(coin, s, n);
	return 0;
}

void hat_text_set(char *dst, size_t len, const char *s)
{
	if (len == 0)
		return;
	size_t n = strnlen(s, len - 1);
	memcpy(dst, s, n);
	memset(dst + n, 0, len - n);
}

void hat_msg_control_make(struct hat_msg_control *c, uint16_t cmd, unsigned from,
			  uint32_t restart_count, uint64_t arg, const char *text, uint64_t origin_ns)
{
	hat_msg_init(&c->h, HAT_MSG_CONTROL);
	c->h.origin_ns = origin_ns;
	c->cmd = cmd;
	c->from_stage = (uint8_t)from;
	c->restart_count = restart_count;
	c->arg = arg;
	if (text)
		hat_text_set(c->text, sizeof c->text, text);
}

void hat_cloid_format(const uint8_t cloid[HAT_CLOID_LEN], char out[HAT_CLOID_STRLEN])
{
	hat_hex_encode(cloid, HAT_CLOID_LEN, out);
}

/* ================================================================ validation helpers */

static int fail(char *err, size_t errlen, const char *fmt, ...) HAT_PRINTF(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return HAT_E_RANGE;
}

/* A fixed-point value as text for error messages. */
struct fxs {
	char s[HAT_FX_STRLEN];
};
static struct fxs fx(int64_t v)
{
	struct fxs r;
	hat_fx_format(v, r.s, sizeof r.s);
	return r;
}

static int check_str(const char *t, const char *field, const char *s, size_t len, bool nonempty,
		     char *err, size_t errlen)
{
	if (memchr(s, '\0', len) == NULL)
		return fail(err, errlen, "%s.%s: not NUL-terminated", t, field);
	if (nonempty && s[0] == '\0')
		return fail(err, errlen, "%s.%s: empty", t, field);
	return 0;
}

/* |v| <= HAT_FX_MAX, and v > 0 if positive, v >= 0 if nonneg. */
enum { ANY = 0, NONNEG = 1, POSITIVE = 2 };
static int check_fx(const char *t, const char *field, int64_t v, int sign, char *err, size_t errlen)
{
	if (sign == POSITIVE && v <= 0)
		return fail(err, errlen, "%s.%s: must be > 0 (got %s)", t, field, fx(v).s);
	if (sign == NONNEG && v < 0)
		return fail(err, errlen, "%s.%s: must be >= 0 (got %s)", t, field, fx(v).s);
	if (v > HAT_FX_MAX || v < -HAT_FX_MAX)
		return fail(err, errlen, "%s.%s: magnitude over HAT_FX_MAX (got %s)", t, field, fx(v).s);
	return 0;
}

static int check_enum(const char *t, const char *field, unsigned v, unsigned lo, unsigned hi,
		      char *err, size_t errlen)
{
	if (v < lo || v > hi)
		return fail(err, errlen, "%s.%s: must be %u..%u (got %u)", t, field, lo, hi, v);
	return 0;
}

static int check_flags(const char *t, const char *field, unsigned v, unsigned mask, char *err,
		       size_t errlen)
{
	if (v & ~mask)
		return fail(err, errlen, "%s.%s: unknown bits 0x%x (allowed 0x%x)", t, field, v & ~mask, mask);
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

#define TRY(e) do { int rc_ = (e); if (rc_) return rc_; } while (0)

static bool fx_positive(int64_t v)
{
	return v > 0 && v <= HAT_FX_MAX;
}

static int check_level(const char *t, const char *side, unsigned i, const struct hat_level *l,
		       char *err, size_t errlen)
{
	/* The field name is built only on failure: this runs 20 times per BOOK. */
	if (hat_likely(fx_positive(l->px) && fx_positive(l->sz)))
		return 0;
	char f[24];
	snprintf(f, sizeof f, "%s[%u].px", side, i);
	TRY(check_fx(t, f, l->px, POSITIVE, err, errlen));
	snprintf(f, sizeof f, "%s[%u].sz", side, i);
	TRY(check_fx(t, f, l->sz, POSITIVE, err, errlen));
	return 0;
}

/* ================================================================ per-type validators */

int hat_msg_book_check(const struct hat_msg_book *m, char *err, size_t errlen)
{
	const char *t = "BOOK";
	TRY(check_str(t, "coin", m->coin, sizeof m->coin, true, err, errlen));
	if (m->n_bids > HAT_BOOK_DEPTH)
		return fail(err, errlen, "%s.n_bids: must be <= %d (got %u)", t, HAT_BOOK_DEPTH, m->n_bids);
	if (m->n_asks > HAT_BOOK_DEPTH)
		return fail(err, errlen, "%s.n_asks: must be <= %d (got %u)", t, HAT_BOOK_DEPTH, m->n_asks);
	TRY(check_flags(t, "flags", m->flags, HAT_BOOK_SNAPSHOT | HAT_BOOK_STALE, err, errlen));
	for (unsigned i = 0; i < m->n_bids; i++) {
		TRY(check_level(t, "bids", i, &m->bids[i], err, errlen));
		if (i > 0 && m->bids[i].px >= m->bids[i - 1].px)
			return fail(err, errlen, "%s.bids[%u].px: must be < bids[%u].px (got %s >= %s)", t,
				    i, i - 1, fx(m->bids[i].px).s, fx(m->bids[i - 1].px).s);
	}
	for (unsigned i = 0; i < m->n_asks; i++) {
		TRY(check_level(t, "asks", i, &m->asks[i], err, errlen));
		if (i > 0 && m->asks[i].px <= m->asks[i - 1].px)
			return fail(err, errlen, "%s.asks[%u].px: must be > asks[%u].px (got %s <= %s)", t,
				    i, i - 1, fx(m->asks[i].px).s, fx(m->asks[i - 1].px).s);
	}
	return 0;
}

int hat_msg_trade_check(const struct hat_msg_trade *m, char *err, size_t errlen)
{
	const char *t = "TRADE";
	TRY(check_str(t, "coin", m->coin, sizeof m->coin, true, err, errlen));
	TRY(check_enum(t, "side", m->side, HAT_SIDE_BUY, HAT_SIDE_SELL, err, errlen));
	TRY(check_fx(t, "px", m->px, POSITIVE, err, errlen));
	TRY(check_fx(t, "sz", m->sz, POSITIVE, err, errlen));
	return 0;
}

int hat_msg_bbo_check(const struct hat_msg_bbo *m, char *err, size_t errlen)
{
	const char *t = "BBO";
	TRY(check_str(t, "coin", m->coin, sizeof m->coin, true, err, errlen));
	TRY(check_enum(t, "has_bid", m->has_bid, 0, 1, err, errlen));
	TRY(check_enum(t, "has_ask", m->has_ask, 0, 1, err, errlen));
	if (m->has_bid) {
		TRY(check_fx(t, "bid.px", m->bid.px, POSITIVE, err, errlen));
		TRY(check_fx(t, "bid.sz", m->bid.sz, POSITIVE, err, errlen));
	}
	if (m->has_ask) {
		TRY(check_fx(t, "ask.px", m->ask.px, POSITIVE, err, errlen));
		TRY(check_fx(t, "ask.sz", m->ask.sz, POSITIVE, err, errlen));
	}
	return 0;
}

/* The order fields shared by INTENT and ORDER; t is the type name for messages. */
static int check_order_fields(const char *t, const struct hat_order_fields *o, char *err,
			      size_t errlen)
{
	TRY(check_str(t, "coin", o->coin, sizeof o->coin, true, err, errlen));
	TRY(check_enum(t, "kind", o->kind, HAT_INTENT_NEW, HAT_INTENT_REPLACE, err, errlen));
	if (all_zero(o->cloid, sizeof o->cloid))
		return fail(err, errlen, "%s.cloid: all zero", t);
	bool places = o->kind != HAT_INTENT_CANCEL; /* NEW and REPLACE put an order on the book */
	if (o->kind == HAT_INTENT_REPLACE) {
		if (all_zero(o->orig_cloid, sizeof o->orig_cloid))
			return fail(err, errlen, "%s.orig_cloid: all zero for kind replace", t);
	} else if (!all_zero(o->orig_cloid, sizeof o->orig_cloid)) {
		return fail(err, errlen, "%s.orig_cloid: must be zero for kind %s", t,
			    hat_intent_kind_name(o->kind));
	}
	TRY(check_flags(t, "flags", o->flags, HAT_OF_ALL, err, errlen));
	if (places) {
		TRY(check_enum(t, "side", o->side, HAT_SIDE_BUY, HAT_SIDE_SELL, err, errlen));
		TRY(check_enum(t, "tif", o->tif, HAT_TIF_GTC, HAT_TIF_ALO, err, errlen));
		TRY(check_fx(t, "px", o->px, POSITIVE, err, errlen));
		TRY(check_fx(t, "sz", o->sz, POSITIVE, err, errlen));
		if ((o->flags & HAT_OF_POST_ONLY) && o->tif == HAT_TIF_IOC)
			return fail(err, errlen, "%s.flags: POST_ONLY with tif Ioc", t);
	} else {
		if (o->side != 0)
			TRY(check_enum(t, "side", o->side, HAT_SIDE_BUY, HAT_SIDE_SELL, err, errlen));
		TRY(check_fx(t, "px", o->px, NONNEG, err, errlen));
		TRY(check_fx(t, "sz", o->sz, NONNEG, err, errlen));
	}
	if (o->flags & HAT_OF_TRIGGER) {
		TRY(check_fx(t, "trigger_px", o->trigger_px, POSITIVE, err, errlen));
	} else {
		if (o->flags & (HAT_OF_TRIGGER_MARKET | HAT_OF_TPSL_TP))
			return fail(err, errlen, "%s.flags: TRIGGER_MARKET/TPSL_TP without TRIGGER", t);
		if (o->trigger_px != 0)
			return fail(err, errlen, "%s.trigger_px: must be 0 without TRIGGER (got %s)", t,
				    fx(o->trigger_px).s);
	}
	return 0;
}

int hat_msg_intent_check(const struct hat_msg_intent *m, char *err, size_t errlen)
{
	return check_order_fields("INTENT", &m->o, err, errlen);
}

int hat_msg_order_check(const struct hat_msg_order *m, char *err, size_t errlen)
{
	TRY(check_order_fields("ORDER", &m->o, err, errlen));
	if (m->risk_seq == 0)
		return fail(err, errlen, "ORDER.risk_seq: must be > 0");
	return 0;
}

#define HAT_EXEC_F_ALL (HAT_EXEC_F_TAKER | HAT_EXEC_F_FROM_RISK | HAT_EXEC_F_SNAPSHOT | HAT_EXEC_F_FINAL)

int hat_msg_exec_check(const struct hat_msg_exec *m, char *err, size_t errlen)
{
	const char *t = "EXEC";
	TRY(check_str(t, "coin", m->coin, sizeof m->coin, true, err, errlen));
	TRY(check_enum(t, "kind", m->kind, HAT_EXEC_ACK, HAT_EXEC_OPEN_ORDER, err, errlen));
	TRY(check_enum(t, "side", m->side, 0, HAT_SIDE_SELL, err, errlen));
	TRY(check_flags(t, "flags", m->flags, HAT_EXEC_F_ALL, err, errlen));
	if (!hat_reason_valid(m->reason))
		return fail(err, errlen, "%s.reason: unknown reason %u", t, m->reason);
	bool rejecting = m->kind == HAT_EXEC_REJECT || m->kind == HAT_EXEC_CANCEL_REJECT;
	if (rejecting && m->reason == HAT_REASON_NONE)
		return fail(err, errlen, "%s.reason: must not be NONE for kind %s", t, hat_exec_kind_name(m->kind));
	/* CANCELED may carry why the exchange canceled (margin, reduce-only, self-trade). */
	if (!rejecting && m->kind != HAT_EXEC_CANCELED && m->reason != HAT_REASON_NONE)
		return fail(err, errlen, "%s.reason: must be NONE for kind %s (got %s)", t,
			    hat_exec_kind_name(m->kind), hat_reason_name(m->reason));
	TRY(check_str(t, "text", m->text, sizeof m->text, false, err, errlen));
	if (m->kind == HAT_EXEC_FILL) {
		TRY(check_enum(t, "side", m->side, HAT_SIDE_BUY, HAT_SIDE_SELL, err, errlen));
		TRY(check_fx(t, "px", m->px, POSITIVE, err, errlen));
		TRY(check_fx(t, "sz", m->sz, POSITIVE, err, errlen));
	} else {
		TRY(check_fx(t, "px", m->px, NONNEG, err, errlen));
		TRY(check_fx(t, "sz", m->sz, NONNEG, err, errlen));
	}
	TRY(check_fx(t, "remaining_sz", m->remaining_sz, NONNEG, err, errlen));
	TRY(check_fx(t, "fee", m->fee, ANY, err, errlen));
	return 0;
}

int hat_msg_position_check(const struct hat_msg_position *m, char *err, size_t errlen)
{
	const char *t = "POSITION";
	TRY(check_str(t, "coin", m->coin, sizeof m->coin, true, err, errlen));
	TRY(check_enum(t, "trading_state", m->trading_state, HAT_TS_ACTIVE, HAT_TS_HALTED, err, errlen));
	TRY(check_flags(t, "flags", m->flags, HAT_EXEC_F_SNAPSHOT, err, errlen));
	TRY(check_fx(t, "szi", m->szi, ANY, err, errlen));
	TRY(check_fx(t, "entry_px", m->entry_px, NONNEG, err, errlen));
	TRY(check_fx(t, "mark_px", m->mark_px, NONNEG, err, errlen));
	TRY(check_fx(t, "realized_pnl", m->realized_pnl, ANY, err, errlen));
	TRY(check_fx(t, "unrealized_pnl", m->unrealized_pnl, ANY, err, errlen));
	TRY(check_fx(t, "fees", m->fees, ANY, err, errlen));
	TRY(check_fx(t, "total_pnl", m->total_pnl, ANY, err, errlen));
	return 0;
}

int hat_msg_control_check(const struct hat_msg_control *m, char *err, size_t errlen)
{
	const char *t = "CONTROL";
	TRY(check_enum(t, "cmd", m->cmd, HAT_CTL_HALT, HAT_CTL_ESCALATE, err, errlen));
	TRY(check_enum(t, "from_stage", m->from_stage, HAT_STAGE_FEEDD, HAT_STAGE_OPERATOR, err, errlen));
	TRY(check_str(t, "text", m->text, sizeof m->text, false, err, errlen));
	return 0;
}

/* ================================================================ header + dispatch */

static int check_header(const void *msg, size_t avail, char *err, size_t errlen)
{
	if (avail < sizeof(struct hat_msg_hdr)) {
		if (err && errlen)
			snprintf(err, errlen, "msg: %zu bytes, shorter than the %zu-byte header", avail,
				 sizeof(struct hat_msg_hdr));
		return HAT_E_BADLEN;
	}
	const struct hat_msg_hdr *h = msg;
	const struct msg_info *i = info_of(h->type);
	if (!i) {
		if (err && errlen)
			snprintf(err, errlen, "msg: unknown type %u", h->type);
		return HAT_E_BADTYPE;
	}
	if (h->version != i->version) {
		if (err && errlen)
			snprintf(err, errlen, "%s: unknown version %u (expected %u)", i->name, h->version,
				 i->version);
		return HAT_E_BADMSGVER;
	}
	if (h->length != i->size) {
		if (err && errlen)
			snprintf(err, errlen, "%s: length %" PRIu32 " does not match %zu", i->name,
				 h->length, i->size);
		return HAT_E_BADLEN;
	}
	if (h->length > avail) {
		if (err && errlen)
			snprintf(err, errlen, "%s: length %" PRIu32 " exceeds the %zu bytes available",
				 i->name, h->length, avail);
		return HAT_E_BADLEN;
	}
	return 0;
}

int hat_msg_validate(const void *msg, size_t avail, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	TRY(check_header(msg, avail, err, errlen));
	const struct hat_msg_hdr *h = msg;
	switch (h->type) {
#define X(name, id, st, ver) case id: return st##_check((const struct st *)msg, err, errlen);
		HAT_MSG_TYPES(X)
#undef X
	}
	return HAT_E_BADTYPE; /* unreachable: check_header knows every type */
}

int hat_msg_validate_on(const void *msg, size_t avail, uint32_t allowed, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	TRY(check_header(msg, avail, err, errlen));
	const struct hat_msg_hdr *h = msg;
	if (!(allowed & HAT_MSG_BIT(h->type))) {
		if (err && errlen)
			snprintf(err, errlen, "%s: type not allowed on this ring", hat_msg_type_name(h->type));
		return HAT_E_BADTYPE;
	}
	return hat_msg_validate(msg, avail, err, errlen);
}

/* ================================================================ sequence checking */

void hat_seq_check_init(struct hat_seq_check *c)
{
	memset(c, 0, sizeof *c);
}

void hat_seq_check_reset(struct hat_seq_check *c)
{
	c->started = 0;
}

int hat_seq_check(struct hat_seq_check *c, uint64_t seq)
{
	if (!c->started || seq == c->next) {
		c->started = 1;
		c->next = seq + 1;
		c->received++;
		return 0;
	}
	if (seq < c->next) {
		c->dups++;
		return -EALREADY;
	}
	c->last_gap = seq - c->next;
	c->lost += c->last_gap;
	c->gaps++;
	c->received++;
	c->next = seq + 1;
	return HAT_E_SEQGAP;
}

/* ================================================================ reject counting */

void hat_msg_rejects_init(struct hat_msg_rejects *r)
{
	memset(r, 0, sizeof *r);
}

int hat_msg_accept(struct hat_msg_rejects *r, const void *msg, size_t avail, uint32_t allowed,
		   char *err, size_t errlen)
{
	char local[128];
	if (!err || errlen == 0) {
		err = local;
		errlen = sizeof local;
	}
	int rc = hat_msg_validate_on(msg, avail, allowed, err, errlen);
	if (rc == 0)
		return 0;
	r->total++;
	switch (rc) {
	case HAT_E_BADTYPE: r->badtype++; break;
	case HAT_E_BADMSGVER: r->badver++; break;
	case HAT_E_BADLEN: r->badlen++; break;
	default: r->range++; break;
	}
	unsigned type = avail >= sizeof(struct hat_msg_hdr) ? ((const struct hat_msg_hdr *)msg)->type : 0;
	r->by_type[info_of(type) ? type : 0]++;
	r->last_code = rc;
	hat_text_set(r->last_err, sizeof r->last_err, err);
	return rc;
}

/* ================================================================ formatting */

/* Bounded string of a NUL-padded field (garbage-safe). */
static void put_field_str(struct hat_buf *b, const char *s, size_t len)
{
	hat_buf_append(b, s, strnlen(s, len));
}

static void json_key(struct hat_buf *b, const char *key)
{
	hat_buf_printf(b, ",\"%s\":", key);
}

static void json_fx(struct hat_buf *b, const char *key, int64_t v)
{
	json_key(b, key);
	hat_buf_printf(b, "\"%s\"", fx(v).s);
}

static void json_u64(struct hat_buf *b, const char *key, uint64_t v)
{
	json_key(b, key);
	hat_buf_printf(b, "%" PRIu64, v);
}

static void json_strf(struct hat_buf *b, const char *key, const char *s, size_t len)
{
	json_key(b, key);
	hat_buf_json_strn(b, s, strnlen(s, len));
}

static void json_name(struct hat_buf *b, const char *key, const char *name)
{
	json_key(b, key);
	hat_buf_json_str(b, name);
}

static void json_cloid(struct hat_buf *b, const char *key, const uint8_t *c)
{
	char s[HAT_CLOID_STRLEN];
	hat_cloid_format(c, s);
	json_key(b, key);
	hat_buf_printf(b, "\"%s\"", s);
}

static void json_levels(struct hat_buf *b, const char *key, const struct hat_level *l, unsigned n)
{
	json_key(b, key);
	hat_buf_putc(b, '[');
	for (unsigned i = 0; i < n && i < HAT_BOOK_DEPTH; i++)
		hat_buf_printf(b, "%s[\"%s\",\"%s\",%" PRIu32 "]", i ? "," : "", fx(l[i].px).s,
			       fx(l[i].sz).s, l[i].n);
	hat_buf_putc(b, ']');
}

static void json_order_fields(struct hat_buf *b, const struct hat_order_fields *o)
{
	json_strf(b, "coin", o->coin, sizeof o->coin);
	json_u64(b, "asset", o->asset);
	json_name(b, "kind", hat_intent_kind_name(o->kind));
	json_cloid(b, "cloid", o->cloid);
	if (o->kind == HAT_INTENT_REPLACE)
		json_cloid(b, "orig_cloid", o->orig_cloid);
	json_name(b, "side", hat_side_name(o->side));
	json_name(b, "tif", hat_tif_name(o->tif));
	json_u64(b, "flags", o->flags);
	json_u64(b, "strategy_id", o->strategy_id);
	json_fx(b, "px", o->px);
	json_fx(b, "sz", o->sz);
	if (o->flags & HAT_OF_TRIGGER)
		json_fx(b, "trigger_px", o->trigger_px);
}

void hat_msg_format_json(struct hat_buf *b, const void *msg, size_t avail)
{
	char why[128];
	if (avail < sizeof(struct hat_msg_hdr)) {
		hat_buf_printf(b, "{\"type\":\"?\",\"invalid\":\"%zu bytes, no header\"}", avail);
		return;
	}
	const struct hat_msg_hdr *h = msg;
	hat_buf_puts(b, "{\"type\":");
	hat_buf_json_str(b, hat_msg_type_name(h->type));
	hat_buf_printf(b, ",\"type_id\":%u,\"version\":%u,\"length\":%" PRIu32 ",\"seq\":%" PRIu64
		       ",\"origin_ns\":%" PRIu64 ",\"send_ns\":%" PRIu64,
		       h->type, h->version, h->length, h->seq, h->origin_ns, h->send_ns);
	int rc = hat_msg_validate(msg, avail, why, sizeof why);
	if (rc != 0) {
		json_key(b, "invalid");
		hat_buf_json_str(b, why);
		/* A bad body of a known type still prints; a bad header does not (layout unknown). */
		if (rc != HAT_E_RANGE) {
			hat_buf_putc(b, '}');
			return;
		}
	}
	switch (h->type) {
	case HAT_MSG_BOOK: {
		const struct hat_msg_book *m = msg;
		json_strf(b, "coin", m->coin, sizeof m->coin);
		json_u64(b, "asset", m->asset);
		json_u64(b, "flags", m->flags);
		json_u64(b, "exch_time_ms", m->exch_time_ms);
		json_levels(b, "bids", m->bids, m->n_bids);
		json_levels(b, "asks", m->asks, m->n_asks);
		break;
	}
	case HAT_MSG_TRADE: {
		const struct hat_msg_trade *m = msg;
		json_strf(b, "coin", m->coin, sizeof m->coin);
		json_u64(b, "asset", m->asset);
		json_name(b, "side", hat_side_name(m->side));
		json_fx(b, "px", m->px);
		json_fx(b, "sz", m->sz);
		json_u64(b, "tid", m->tid);
		json_u64(b, "exch_time_ms", m->exch_time_ms);
		break;
	}
	case HAT_MSG_BBO: {
		const struct hat_msg_bbo *m = msg;
		json_strf(b, "coin", m->coin, sizeof m->coin);
		json_u64(b, "asset", m->asset);
		json_u64(b, "exch_time_ms", m->exch_time_ms);
		if (m->has_bid)
			json_levels(b, "bid", &m->bid, 1);
		if (m->has_ask)
			json_levels(b, "ask", &m->ask, 1);
		break;
	}
	case HAT_MSG_INTENT: {
		const struct hat_msg_intent *m = msg;
		json_order_fields(b, &m->o);
		break;
	}
	case HAT_MSG_ORDER: {
		const struct hat_msg_order *m = msg;
		json_order_fields(b, &m->o);
		json_u64(b, "risk_seq", m->risk_seq);
		json_u64(b, "intent_seq", m->intent_seq);
		break;
	}
	case HAT_MSG_EXEC: {
		const struct hat_msg_exec *m = msg;
		json_name(b, "kind", hat_exec_kind_name(m->kind));
		json_strf(b, "coin", m->coin, sizeof m->coin);
		json_u64(b, "asset", m->asset);
		json_cloid(b, "cloid", m->cloid);
		if (m->kind == HAT_EXEC_REPLACED)
			json_cloid(b, "orig_cloid", m->orig_cloid);
		json_name(b, "side", hat_side_name(m->side));
		json_u64(b, "flags", m->flags);
		json_name(b, "reason", hat_reason_name(m->reason));
		json_u64(b, "strategy_id", m->strategy_id);
		json_u64(b, "oid", m->oid);
		json_fx(b, "px", m->px);
		json_fx(b, "sz", m->sz);
		json_fx(b, "remaining_sz", m->remaining_sz);
		json_fx(b, "fee", m->fee);
		json_u64(b, "tid", m->tid);
		json_u64(b, "exch_time_ms", m->exch_time_ms);
		json_u64(b, "risk_seq", m->risk_seq);
		json_strf(b, "text", m->text, sizeof m->text);
		break;
	}
	case HAT_MSG_POSITION: {
		const struct hat_msg_position *m = msg;
		json_strf(b, "coin", m->coin, sizeof m->coin);
		json_u64(b, "asset", m->asset);
		json_name(b, "trading_state", hat_trading_state_name(m->trading_state));
		json_u64(b, "flags", m->flags);
		json_u64(b, "open_orders", m->open_orders);
		json_fx(b, "szi", m->szi);
		json_fx(b, "entry_px", m->entry_px);
		json_fx(b, "mark_px", m->mark_px);
		json_fx(b, "realized_pnl", m->realized_pnl);
		json_fx(b, "unrealized_pnl", m->unrealized_pnl);
		json_fx(b, "fees", m->fees);
		json_fx(b, "total_pnl", m->total_pnl);
		json_u64(b, "exch_time_ms", m->exch_time_ms);
		break;
	}
	case HAT_MSG_CONTROL: {
		const struct hat_msg_control *m = msg;
		json_name(b, "cmd", hat_ctl_cmd_name(m->cmd));
		json_name(b, "from_stage", hat_stage_name(m->from_stage));
		json_u64(b, "restart_count", m->restart_count);
		json_u64(b, "arg", m->arg);
		json_strf(b, "text", m->text, sizeof m->text);
		break;
	}
	}
	hat_buf_putc(b, '}');
}

static void line_order_fields(struct hat_buf *b, const struct hat_order_fields *o)
{
	char c[HAT_CLOID_STRLEN];
	hat_cloid_format(o->cloid, c);
	hat_buf_printf(b, " %s ", hat_intent_kind_name(o->kind));
	put_field_str(b, o->coin, sizeof o->coin);
	if (o->kind == HAT_INTENT_CANCEL) {
		hat_buf_printf(b, " cloid=%s", c);
		return;
	}
	hat_buf_printf(b, " %s %s @ %s %s", hat_side_name(o->side), fx(o->sz).s, fx(o->px).s,
		       hat_tif_name(o->tif));
	if (o->flags & HAT_OF_REDUCE_ONLY)
		hat_buf_puts(b, " reduce-only");
	if (o->flags & HAT_OF_POST_ONLY)
		hat_buf_puts(b, " post-only");
	if (o->flags & HAT_OF_TRIGGER)
		hat_buf_printf(b, " trigger=%s", fx(o->trigger_px).s);
	hat_buf_printf(b, " cloid=%s", c);
	if (o->kind == HAT_INTENT_REPLACE) {
		hat_cloid_format(o->orig_cloid, c);
		hat_buf_printf(b, " orig=%s", c);
	}
	hat_buf_printf(b, " strat=%u", o->strategy_id);
}

void hat_msg_format(struct hat_buf *b, const void *msg, size_t avail)
{
	char why[128];
	if (avail < sizeof(struct hat_msg_hdr)) {
		hat_buf_printf(b, "? (invalid: %zu bytes, no header)", avail);
		return;
	}
	const struct hat_msg_hdr *h = msg;
	hat_buf_printf(b, "%s #%" PRIu64, hat_msg_type_name(h->type), h->seq);
	int rc = hat_msg_validate(msg, avail, why, sizeof why);
	if (rc != 0 && rc != HAT_E_RANGE) {
		hat_buf_printf(b, " type=%u v=%u len=%" PRIu32 " (invalid: %s)", h->type, h->version,
			       h->length, why);
		return;
	}
	switch (h->type) {
	case HAT_MSG_BOOK: {
		const struct hat_msg_book *m = msg;
		hat_buf_putc(b, ' ');
		put_field_str(b, m->coin, sizeof m->coin);
		hat_buf_printf(b, " %ux%u", m->n_bids, m->n_asks);
		if (m->n_bids)
			hat_buf_printf(b, " bid %s x %s", fx(m->bids[0].sz).s, fx(m->bids[0].px).s);
		if (m->n_asks)
			hat_buf_printf(b, " ask %s x %s", fx(m->asks[0].px).s, fx(m->asks[0].sz).s);
		if (m->flags & HAT_BOOK_SNAPSHOT)
			hat_buf_puts(b, " snapshot");
		if (m->flags & HAT_BOOK_STALE)
			hat_buf_puts(b, " stale");
		hat_buf_printf(b, " t=%" PRIu64, m->exch_time_ms);
		break;
	}
	case HAT_MSG_TRADE: {
		const struct hat_msg_trade *m = msg;
		hat_buf_putc(b, ' ');
		put_field_str(b, m->coin, sizeof m->coin);
		hat_buf_printf(b, " %s %s @ %s tid=%" PRIu64 " t=%" PRIu64, hat_side_name(m->side),
			       fx(m->sz).s, fx(m->px).s, m->tid, m->exch_time_ms);
		break;
	}
	case HAT_MSG_BBO: {
		const struct hat_msg_bbo *m = msg;
		hat_buf_putc(b, ' ');
		put_field_str(b, m->coin, sizeof m->coin);
		if (m->has_bid)
			hat_buf_printf(b, " bid %s x %s", fx(m->bid.sz).s, fx(m->bid.px).s);
		else
			hat_buf_puts(b, " bid -");
		if (m->has_ask)
			hat_buf_printf(b, " ask %s x %s", fx(m->ask.px).s, fx(m->ask.sz).s);
		else
			hat_buf_puts(b, " ask -");
		hat_buf_printf(b, " t=%" PRIu64, m->exch_time_ms);
		break;
	}
	case HAT_MSG_INTENT:
		line_order_fields(b, &((const struct hat_msg_intent *)msg)->o);
		break;
	case HAT_MSG_ORDER: {
		const struct hat_msg_order *m = msg;
		line_order_fields(b, &m->o);
		hat_buf_printf(b, " risk_seq=%" PRIu64, m->risk_seq);
		break;
	}
	case HAT_MSG_EXEC: {
		const struct hat_msg_exec *m = msg;
		char c[HAT_CLOID_STRLEN];
		hat_cloid_format(m->cloid, c);
		hat_buf_printf(b, " %s ", hat_exec_kind_name(m->kind));
		put_field_str(b, m->coin, sizeof m->coin);
		if (m->side)
			hat_buf_printf(b, " %s", hat_side_name(m->side));
		if (m->kind == HAT_EXEC_FILL)
			hat_buf_printf(b, " %s @ %s fee=%s tid=%" PRIu64, fx(m->sz).s, fx(m->px).s,
				       fx(m->fee).s, m->tid);
		else if (m->px || m->sz)
			hat_buf_printf(b, " %s @ %s", fx(m->sz).s, fx(m->px).s);
		hat_buf_printf(b, " rem=%s oid=%" PRIu64 " cloid=%s", fx(m->remaining_sz).s, m->oid, c);
		if (m->reason != HAT_REASON_NONE) {
			hat_buf_printf(b, " reason=%s", hat_reason_name(m->reason));
			if (m->text[0]) {
				hat_buf_puts(b, " \"");
				put_field_str(b, m->text, sizeof m->text);
				hat_buf_putc(b, '"');
			}
		}
		break;
	}
	case HAT_MSG_POSITION: {
		const struct hat_msg_position *m = msg;
		hat_buf_putc(b, ' ');
		put_field_str(b, m->coin, sizeof m->coin);
		hat_buf_printf(b, " szi=%s entry=%s mark=%s upnl=%s rpnl=%s fees=%s total=%s %s",
			       fx(m->szi).s, fx(m->entry_px).s, fx(m->mark_px).s, fx(m->unrealized_pnl).s,
			       fx(m->realized_pnl).s, fx(m->fees).s, fx(m->total_pnl).s,
			       hat_trading_state_name(m->trading_state));
		break;
	}
	case HAT_MSG_CONTROL: {
		const struct hat_msg_control *m = msg;
		hat_buf_printf(b, " %s from=%s arg=%" PRIu64 " restarts=%" PRIu32, hat_ctl_cmd_name(m->cmd),
			       hat_stage_name(m->from_stage), m->arg, m->restart_count);
		if (m->text[0]) {
			hat_buf_puts(b, " \"");
			put_field_str(b, m->text, sizeof m->text);
			hat_buf_putc(b, '"');
		}
		break;
	}
	}
	if (rc != 0)
		hat_buf_printf(b, " (invalid: %s)", why);
}

uint64_t hat_msg_exch_time_ms(const struct hat_msg_hdr *h)
{
	switch (h->type) {
	case HAT_MSG_BOOK: return ((const struct hat_msg_book *)h)->exch_time_ms;
	case HAT_MSG_BBO: return ((const struct hat_msg_bbo *)h)->exch_time_ms;
	case HAT_MSG_TRADE: return ((const struct hat_msg_trade *)h)->exch_time_ms;
	default: return 0;
	}
}
