/* riskd/state.c -- trading state machine (see state.h for the rules). */
#include "riskd/state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/fixed.h"

int risk_state_init(struct risk_state *s, const struct risk_state_cfg *cfg, uint64_t now_ns)
{
	if (cfg->start_equity <= 0 || cfg->max_daily_loss <= 0 || cfg->max_drawdown_bps == 0 ||
	    cfg->max_drawdown_bps > 10000 || cfg->max_rejects == 0 ||
	    cfg->max_rejects > RISK_REJECT_WINDOW_MAX || cfg->reject_window_ns == 0 ||
	    cfg->stale_ns == 0)
		return -EINVAL;
	memset(s, 0, sizeof *s);
	s->cfg = *cfg;
	s->st = HAT_TS_ACTIVE;
	s->prev = HAT_TS_ACTIVE;
	s->cause = RISK_CAUSE_START;
	strcpy(s->text, "start");
	s->since_ns = now_ns;
	s->init_ns = now_ns;
	s->peak_equity = cfg->start_equity;
	s->equity = cfg->start_equity;
	return 0;
}

bool risk_state_check(const struct risk_state *s)
{
	if (s->st < HAT_TS_ACTIVE || s->st > HAT_TS_HALTED)
		return false;
	if (s->cause > RISK_CAUSE_DATA_FRESH)
		return false;
	if (memchr(s->text, 0, sizeof s->text) == NULL)
		return false;
	if (s->rej_n > s->cfg.max_rejects || s->rej_head >= RISK_REJECT_WINDOW_MAX)
		return false;
	/* Automatic causes only tighten, except the stale-data recovery to ACTIVE. */
	switch (s->cause) {
	case RISK_CAUSE_DAILY_LOSS:
	case RISK_CAUSE_DRAWDOWN:
	case RISK_CAUSE_ESCALATION:
		return s->st == HAT_TS_HALTED;
	case RISK_CAUSE_REJECTS:
	case RISK_CAUSE_STALE_DATA:
		return s->st == HAT_TS_REDUCING;
	case RISK_CAUSE_DATA_FRESH:
	case RISK_CAUSE_START:
		return s->st == HAT_TS_ACTIVE;
	default:
		return true;
	}
}

unsigned risk_state_set(struct risk_state *s, uint8_t to, uint8_t cause, const char *text,
                        uint64_t now_ns)
{
	if (to == s->st)
		return 0;
	s->prev = s->st;
	s->st = to;
	s->cause = cause;
	const char *t = text ? text : risk_cause_name(cause);
	size_t n = strnlen(t, sizeof s->text - 1); /* truncates long causes */
	memcpy(s->text, t, n);
	memset(s->text + n, 0, sizeof s->text - n);
	s->since_ns = now_ns;
	s->transitions++;
	unsigned act = RISK_SA_CHANGED;
	if (to == HAT_TS_HALTED) {
		act |= RISK_SA_CANCEL_ALL;
		s->cancel_alls++;
	}
	return act;
}

/* Automatic transitions never loosen the state. */
static unsigned tighten(struct risk_state *s, uint8_t to, uint8_t cause, const char *text,
                        uint64_t now_ns)
{
	if (to <= s->st)
		return 0;
	return risk_state_set(s, to, cause, text, now_ns);
}

unsigned risk_state_command(struct risk_state *s, uint16_t cmd, const char *text,
                            uint64_t now_ns)
{
	switch (cmd) {
	case HAT_CTL_HALT:
		return risk_state_set(s, HAT_TS_HALTED, RISK_CAUSE_OPERATOR,
		                      text ? text : "operator halt", now_ns);
	case HAT_CTL_ESCALATE:
		return tighten(s, HAT_TS_HALTED, RISK_CAUSE_ESCALATION,
		               text ? text : "superd escalation", now_ns);
	case HAT_CTL_REDUCE:
		/* From HALTED this loosens, which an operator may do deliberately. */
		return risk_state_set(s, HAT_TS_REDUCING, RISK_CAUSE_OPERATOR,
		                      text ? text : "operator reduce", now_ns);
	case HAT_CTL_RESUME:
		s->peak_equity = s->equity;
		s->rej_n = 0;
		s->rej_head = 0;
		s->stale = false;
		return risk_state_set(s, HAT_TS_ACTIVE, RISK_CAUSE_OPERATOR,
		                      text ? text : "operator resume", now_ns);
	default:
		return 0;
	}
}

unsigned risk_state_on_pnl(struct risk_state *s, int64_t total_pnl, uint64_t now_ns)
{
	char a[HAT_FX_STRLEN], b[HAT_FX_STRLEN], t[96];
	__int128 eq = (__int128)s->cfg.start_equity + total_pnl;
	s->equity = eq > HAT_FX_MAX ? HAT_FX_MAX : eq < -HAT_FX_MAX ? -HAT_FX_MAX : (int64_t)eq;
	if (s->equity > s->peak_equity)
		s->peak_equity = s->equity;
	if (total_pnl <= -s->cfg.max_daily_loss) {
		if (s->st == HAT_TS_HALTED)
			return 0;
		hat_fx_format(total_pnl, a, sizeof a);
		hat_fx_format(-s->cfg.max_daily_loss, b, sizeof b);
		snprintf(t, sizeof t, "daily loss %s <= %s", a, b);
		return tighten(s, HAT_TS_HALTED, RISK_CAUSE_DAILY_LOSS, t, now_ns);
	}
	/* drawdown >= bps of the peak: (peak - equity) * 10000 >= bps * peak */
	if (s->peak_equity > 0) {
		__int128 dd = (__int128)s->peak_equity - s->equity;
		if (dd > 0 && dd * 10000 >= (__int128)s->cfg.max_drawdown_bps * s->peak_equity) {
			if (s->st == HAT_TS_HALTED)
				return 0;
			unsigned bps = (unsigned)(dd * 10000 / s->peak_equity);
			snprintf(t, sizeof t, "drawdown %u.%02u%% >= %u.%02u%%", bps / 100, bps % 100,
			         s->cfg.max_drawdown_bps / 100, s->cfg.max_drawdown_bps % 100);
			return tighten(s, HAT_TS_HALTED, RISK_CAUSE_DRAWDOWN, t, now_ns);
		}
	}
	return 0;
}

unsigned risk_state_on_reject(struct risk_state *s, uint64_t now_ns)
{
	/* Drop rejects that left the window, oldest first. */
	while (s->rej_n > 0 && now_ns - s->rejects[s->rej_head] >= s->cfg.reject_window_ns &&
	       now_ns >= s->rejects[s->rej_head]) {
		s->rej_head = (s->rej_head + 1) % RISK_REJECT_WINDOW_MAX;
		s->rej_n--;
	}
	if (s->rej_n == s->cfg.max_rejects) {
		/* Full: the oldest makes room (it is in the window, so the limit is met anyway). */
		s->rej_head = (s->rej_head + 1) % RISK_REJECT_WINDOW_MAX;
		s->rej_n--;
	}
	s->rejects[(s->rej_head + s->rej_n) % RISK_REJECT_WINDOW_MAX] = now_ns;
	s->rej_n++;
	if (s->rej_n < s->cfg.max_rejects)
		return 0;
	char t[96];
	snprintf(t, sizeof t, "%u rejects in %llu ms", s->rej_n,
	         (unsigned long long)(s->cfg.reject_window_ns / 1000000));
	return tighten(s, HAT_TS_REDUCING, RISK_CAUSE_REJECTS, t, now_ns);
}

unsigned risk_state_on_data(struct risk_state *s, uint64_t newest_mark_ns, uint64_t now_ns)
{
	uint64_t ref = newest_mark_ns ? newest_mark_ns : s->init_ns;
	bool stale = now_ns > ref && now_ns - ref > s->cfg.stale_ns;
	unsigned act = 0;
	if (stale && !s->stale) {
		char t[96];
		if (newest_mark_ns)
			snprintf(t, sizeof t, "stale data: newest mark %llu ms old",
			         (unsigned long long)((now_ns - ref) / 1000000));
		else
			snprintf(t, sizeof t, "stale data: no marks");
		act = tighten(s, HAT_TS_REDUCING, RISK_CAUSE_STALE_DATA, t, now_ns);
	} else if (!stale && s->stale && s->st == HAT_TS_REDUCING &&
	           s->cause == RISK_CAUSE_STALE_DATA) {
		act = risk_state_set(s, HAT_TS_ACTIVE, RISK_CAUSE_DATA_FRESH, "data fresh again",
		                     now_ns);
	}
	s->stale = stale;
	return act;
}

void risk_state_new_day(struct risk_state *s)
{
	s->peak_equity = s->equity;
}

const char *risk_state_name(uint8_t st)
{
	switch (st) {
	case HAT_TS_ACTIVE: return "ACTIVE";
	case HAT_TS_REDUCING: return "REDUCING";
	case HAT_TS_HALTED: return "HALTED";
	default: return "?";
	}
}

const char *risk_cause_name(uint8_t cause)
{
	static const char *const names[] = {
		"none", "start", "operator", "escalation", "daily loss",
		"drawdown", "rejects", "stale data", "data fresh",
	};
	return cause < sizeof names / sizeof names[0] ? names[cause] : "?";
}
