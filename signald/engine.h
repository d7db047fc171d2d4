/* signald/engine.h -- signald's decision core: coins, strategies, staleness, resync.
 *
 * The engine takes validated messages in (md: BOOK/BBO/TRADE; from riskd: POSITION, EXEC,
 * CONTROL) and produces intents through an emit callback; it does no I/O and reads no clock
 * (STYLE rule 12), so the daemon and the tests drive it the same way.
 *
 * Start-up and resync (ARCHITECTURE.md): the engine starts NOT READY. sig_engine_start() emits
 * a HELLO control message (through emit_ctl) with the restart count; riskd answers with
 * SNAPSHOT_BEGIN, POSITION rows and EXEC OPEN_ORDER rows (flag SNAPSHOT), SNAPSHOT_END. Only
 * after SNAPSHOT_END does the engine emit intents, so a restarted signald never duplicates the
 * orders its previous life left working: they are adopted into the quoters instead.
 *
 * Staleness: a coin whose book is older than stale_ns (or that the feed flagged stale) has its
 * quotes cancelled once and gets no strategy calls until a fresh book arrives. Market data
 * whose origin is older than max_md_age_ns when it is read is skipped and counted.
 * Trading state from riskd: HALTED -> quotes cancelled, strategies not called.
 */
#ifndef HAT_SIGNALD_ENGINE_H
#define HAT_SIGNALD_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/msg_types.h"
#include "signald/strategy.h"

#define SIG_MAX_COINS 16

struct sig_engine_params {
	uint64_t stale_ns;        /* book older than this: stop quoting (e.g. 5 s) */
	uint64_t max_md_age_ns;   /* md older than this when read is skipped (e.g. 2 s); 0: off */
	uint64_t timer_ns;        /* on_timer period per coin (e.g. 1 s) */
};

typedef void (*sig_emit_ctl_fn)(void *user, const struct hat_msg_control *c);

struct sig_engine {
	struct sig_engine_params p;
	struct sig_coin coins[SIG_MAX_COINS];
	int n_coins;
	bool ready;               /* riskd's snapshot has arrived */
	bool in_snapshot;
	uint8_t trading_state;    /* from riskd; 0 = unknown */
	uint32_t restart_count;
	uint64_t last_timer_ns;
	sig_emit_fn emit;         /* intents */
	sig_emit_ctl_fn emit_ctl; /* HELLO */
	void *user;
	/* counters */
	uint64_t md_in, md_skipped_old, md_unknown_coin, exec_in, pos_in, stale_events,
		 snapshot_rows, intents_out;
};

void sig_engine_params_default(struct sig_engine_params *p);

/* Initialises e; emit/emit_ctl receive every output (borrowed for the call); user is kept. */
void sig_engine_init(struct sig_engine *e, const struct sig_engine_params *p, uint32_t restart_count,
		     sig_emit_fn emit, sig_emit_ctl_fn emit_ctl, void *user);

/* Adds a coin traded by strategy ops with params (may be NULL) and quoter parameters.
 * state is caller-owned storage of ops->state_size bytes, kept until sig_engine_deinit.
 * boot_epoch: see quote.h (strictly increasing across starts). Returns 0, -ENOSPC when full,
 * or the strategy's HAT_E_CONFIG with err. */
int sig_engine_add_coin(struct sig_engine *e, const char *coin, uint32_t asset, int sz_decimals,
			uint16_t strategy_id, const struct sig_strategy_ops *ops, void *state,
			const cJSON *params, const struct sig_quoter_params *qp, uint64_t boot_epoch,
			char *err, size_t errlen);

/* Emits HELLO; call once after adding coins. */
void sig_engine_start(struct sig_engine *e, uint64_t now_ns);

/* Feeds one validated message of any type the engine reads (others are counted and
 * ignored). now_ns is the current realtime. */
void sig_engine_on_msg(struct sig_engine *e, const struct hat_msg_hdr *m, uint64_t now_ns);

/* The feed says coin's data is stale (the board's flag, set by feedd on a disconnect): cancel
 * its quotes and stop quoting until a fresh book arrives. Idempotent. */
void sig_engine_mark_stale(struct sig_engine *e, const char *coin, uint64_t now_ns);

/* Periodic work: staleness checks and on_timer. Call at least every timer period. */
void sig_engine_tick(struct sig_engine *e, uint64_t now_ns);

/* Calls every strategy's deinit (model save). */
void sig_engine_deinit(struct sig_engine *e);

struct sig_coin *sig_engine_coin(struct sig_engine *e, const char *coin);

#endif
