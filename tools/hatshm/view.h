/* tools/hatshm/view.h -- the inspector's text: tables made from snapshots, and ring dumps.
 *
 * The table formatters are pure: they take a snapshot (tools/hatshm/snap.h) and the current
 * time, and append text; tests compare their output with golden files. hatshm_dump() reads the
 * slots of a ring through a read-only handle and decodes them with common/msg.h's formatters.
 * Single-threaded; no globals.
 */
#ifndef HAT_TOOLS_HATSHM_VIEW_H
#define HAT_TOOLS_HATSHM_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "tools/hatshm/snap.h"

/* `ls`: one line per segment (name, kind, layout version, size, creator pid and whether it is
 * alive, age at now_ns, status). Returns how many segments have a problem (0 = all fine). */
unsigned hatshm_view_segments(struct hat_buf *out, const char *instance,
			      const struct hatshm_seg *segs, size_t n, uint64_t now_ns);

/* `rings`: capacity, occupancy, indices, msgs/s, lag (age of the oldest unconsumed message at
 * now_ns), producer and consumer pids and liveness. Returns how many rings have a problem. */
unsigned hatshm_view_rings(struct hat_buf *out, const struct hatshm_ring *rings, size_t n,
			   uint64_t now_ns);

/* `stages`: per stage state, pid, liveness, heartbeat age at mono_ns, restarts, ready, every
 * counter (nonzero_only: only those that are not 0, for the compact watch view), and each
 * histogram's count, p50, p99 and max. Stages never started (pid 0, no counters) take one
 * line. Returns 0, or 1 if the control segment was unreadable. */
unsigned hatshm_view_stages(struct hat_buf *out, const struct hatshm_stages *st, uint64_t mono_ns,
			    bool nonzero_only);

/* `board`: per coin bid, ask, mid, last trade, age of the last update at now_ns, stale.
 * Returns 0, or 1 if the board was unreadable. */
unsigned hatshm_view_board(struct hat_buf *out, const struct hatshm_board *b, uint64_t now_ns);

/* Formats ns as "812ns", "12.3us", "4.5ms", "2.0s". */
void hatshm_fmt_ns(uint64_t ns, char *buf, size_t len);

/* `dump RING -n N`: decodes the last n messages published on ring r (a HAT_RING_READER handle),
 * including consumed ones still in their slots. Each slot is copied twice between two reads of
 * its seq; a slot whose seq is not index + 1 (overwritten by a newer message), that changed
 * while it was read (half-written), or that is consumed and within capacity/8 (at most 256)
 * slots of the producer's overwrite frontier (it may be the slot being written, under a seq
 * not yet updated) is skipped and said so. Unconsumed slots are never written by the producer,
 * so they are always exact. json: one JSON object per line
 * ({"ring":..,"index":..,"consumed":..,"msg":{...}} or {"ring":..,"index":..,"skipped":".."}),
 * else one text line per message. Returns the number of slots skipped. */
unsigned hatshm_dump(struct hat_buf *out, const char *ring_name, const struct hat_ring *r,
		     unsigned n, bool json);

#endif
