/* execd/daemon_int.h -- what execd's daemon files share (implementation only; daemon.h is the
 * API). One file per concept:
 *   events.c     exec events to riskd (output queue, counting), CONTROL messages, audit lines
 *   positions.c  positions per coin from fills and clearinghouseState
 *   snapshot.c   the snapshot riskd asks for (open orders, positions)
 *   resync.c     WAL recovery at start; the reconciliation sink; driving passes
 *   send.c       routing: batches signed, journaled and sent; requests in flight
 *   answer.c     /exchange answers applied; every HTTP completion dispatched
 *   private.c    the private stream's callbacks and WebSocket posts
 *   dm_pump.c    keeping the dead-man's switch armed while healthy
 *   intake.c     orders and commands from riskd's ring and superd; cancel-all
 *   counters.c   the control block's counters
 *   daemon.c     init, deinit, the loop pass and draining
 * All of it runs on execd's single thread; struct execd (daemon.h) is the only state.
 */
#ifndef HAT_EXECD_DAEMON_INT_H
#define HAT_EXECD_DAEMON_INT_H

#include "common/clock.h"
#include "execd/daemon.h"

/* HTTP tags: the kind in the top byte, an index below. */
#define TAG_EXCH (1ull << 56)
#define TAG_RECON (2ull << 56)
#define TAG_META (3ull << 56)
#define TAG_DM (4ull << 56)
#define TAG_KIND(t) ((t) & (0xffull << 56))
#define TAG_IDX(t) ((uint32_t)((t) & 0xffffffffu))

static inline uint64_t mono_ms(void) { return hat_mono_ns() / HAT_NS_PER_MS; }
static inline uint64_t now_ms(void) { return hat_now_ns() / HAT_NS_PER_MS; }

/* events.c */
void execd__publish(struct execd *d, struct hat_msg_hdr *m);
/* Publishes the rc events an FSM call wrote (rc <= 0: none). */
void execd__emit(struct execd *d, int rc, struct hat_msg_exec *ev);
void execd__reject_order(struct execd *d, const struct hat_msg_order *o, uint16_t reason,
			 const char *text);
void execd__send_ctl(struct execd *d, uint16_t cmd, uint64_t arg, const char *text);
void execd__audit(struct execd *d, enum exec_audit_kind kind, uint64_t nonce, const char *body,
		  size_t len);

/* fills.c */
/* A fill from the stream or a reconciliation: returns true if it was new (published, journaled
 * and audited), false if it was published before (this process or an earlier one). */
bool execd__fill(struct execd *d, const struct hl_fill *f, uint64_t recv_ns);
/* The fills the WAL remembers (published before a restart): seen, and the floor below which
 * the exchange's fills are not published again. */
void execd__fills_restore(struct execd *d, const struct exec_wal_fill *fills, size_t n);

/* positions.c */
struct execd_pos *execd__pos_find(struct execd *d, const char *coin, bool create);
void execd__pos_account(struct execd *d, const struct hl_fill *f);
/* At the first call on a new UTC day (now_ms), realized PnL and fees of every coin start again
 * from 0, as riskd's do; the first call ever only notes the day. */
void execd__pos_roll_day(struct execd *d, uint64_t now_ms);
void execd__pos_apply_fill(struct execd *d, const struct hl_fill *f);

/* snapshot.c */
void execd__send_snapshot(struct execd *d);

/* resync.c */
int execd__recover_wal(struct execd *d, char *err, size_t errlen);
const struct exec_recon_sink *execd__recon_sink(struct execd *d);
void execd__recon_finished(struct execd *d);
void execd__recon_pump(struct execd *d);

/* send.c */
bool execd__crash_hook(struct execd *d, const char *point);
void execd__mark_unknown(struct execd *d, struct execd_req *r);
void execd__fail_items(struct execd *d, struct execd_req *r, uint16_t reason, const char *text);
void execd__req_release(struct execd *d, struct execd_req *r);
int execd__route(struct execd *d, bool force);

/* answer.c */
void execd__on_exchange_answer(struct execd *d, struct execd_req *r,
			       const struct exec_http_done *x);
void execd__on_http(void *user, const struct exec_http_done *x);

/* private.c */
extern const struct exec_stream_cbs execd__stream_cbs;
void execd__ws_post_sweep(struct execd *d, bool all);

/* dm_pump.c */
void execd__deadman_pump(struct execd *d);

/* intake.c */
void execd__cancel_all_pump(struct execd *d);
int execd__take_ring(struct execd *d);
int execd__take_cmds(struct execd *d);

/* counters.c */
int execd__register_counters(struct execd *d);
void execd__publish_control(struct execd *d, uint64_t mono);
/* Publishes the counters if actions_sent moved since the last publish (a backtest's gate reads
 * it when execd goes quiet). */
void execd__publish_actions(struct execd *d);

#endif
