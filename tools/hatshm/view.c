/* tools/hatshm/view.c -- the inspector's tables and ring dumps. */
#include "tools/hatshm/view.h"
#include "common/fixed.h"
#include "common/msg.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hatshm_fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.1fs", (double)ns / 1e9);
}

/* Age of a past timestamp (ns) at now, "-" if unknown or in the future by more than 1 s. */
static void fmt_age(uint64_t then, uint64_t now, char *buf, size_t len)
{
	if (!then || (then > now && then - now > 1000000000ull))
		snprintf(buf, len, "-");
	else
		hatshm_fmt_ns(then > now ? 0 : now - then, buf, len);
}

static void fmt_bytes(uint64_t b, char *buf, size_t len)
{
	if (b < 1024)
		snprintf(buf, len, "%" PRIu64 "B", b);
	else if (b < 1024 * 1024)
		snprintf(buf, len, "%.1fKiB", (double)b / 1024);
	else
		snprintf(buf, len, "%.1fMiB", (double)b / (1024 * 1024));
}

static void fmt_pid(int32_t pid, bool alive, char *buf, size_t len)
{
	if (pid <= 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%d%s", (int)pid, alive ? "" : "(dead)");
}

/* ---------------------------------------------------------------- ls */

unsigned hatshm_view_segments(struct hat_buf *out, const char *instance,
			      const struct hatshm_seg *segs, size_t n, uint64_t now_ns)
{
	unsigned bad = 0, present = 0;
	for (size_t i = 0; i < n; i++)
		present += segs[i].present;
	hat_buf_printf(out, "instance %s: %u segments in /dev/shm\n", instance, present);
	hat_buf_printf(out, "%-28s %-8s %-4s %-9s %-13s %-8s %s\n", "SEGMENT", "KIND", "VER", "SIZE",
		       "CREATOR", "AGE", "STATUS");
	for (size_t i = 0; i < n; i++) {
		const struct hatshm_seg *s = &segs[i];
		char full[HAT_SHM_NAME_MAX + 40], size[24], pid[24], age[24], ver[12];
		snprintf(full, sizeof full, "/hat.%s.%s", instance, s->name);
		if (s->have_hdr) {
			fmt_bytes(s->hdr.size, size, sizeof size);
			fmt_pid(s->hdr.creator_pid, s->creator_alive, pid, sizeof pid);
			fmt_age(s->hdr.created_ns, now_ns, age, sizeof age);
			snprintf(ver, sizeof ver, "%u", s->hdr.layout_version);
		} else {
			snprintf(size, sizeof size, "-");
			snprintf(pid, sizeof pid, "-");
			snprintf(age, sizeof age, "-");
			snprintf(ver, sizeof ver, "-");
		}
		hat_buf_printf(out, "%-28s %-8s %-4s %-9s %-13s %-8s ", full,
			       s->have_hdr ? hat_shm_kind_name(s->hdr.kind) : "-", ver, size, pid, age);
		if (s->rc == 0) {
			hat_buf_puts(out, "ok\n");
		} else {
			bad++;
			hat_buf_printf(out, "BAD: %s\n", s->problem);
		}
	}
	if (!present)
		hat_buf_printf(out, "no segments for instance %s: is superd running? (scripts/launch.sh "
			       "starts it)\n", instance);
	else if (bad)
		hat_buf_printf(out, "%u segment%s with problems\n", bad, bad == 1 ? "" : "s");
	return bad;
}

/* ---------------------------------------------------------------- rings */

unsigned hatshm_view_rings(struct hat_buf *out, const struct hatshm_ring *rings, size_t n,
			   uint64_t now_ns)
{
	unsigned bad = 0;
	hat_buf_printf(out, "%-14s %-8s %-7s %-5s %-10s %-10s %-8s %-8s %-20s %s\n", "RING", "CAP",
		       "USED", "FILL", "PROD_IDX", "CONS_IDX", "MSG/S", "LAG", "PRODUCER", "CONSUMER");
	for (size_t i = 0; i < n; i++) {
		const struct hatshm_ring *g = &rings[i];
		if (g->rc != 0 && !g->st.capacity) {
			bad++;
			hat_buf_printf(out, "%-14s BAD: %s\n", g->name, g->problem);
			continue;
		}
		char rate[24], lag[24], prod[48], cons[48], pp[24], cp[24];
		if (g->rate < 0)
			snprintf(rate, sizeof rate, "-");
		else
			snprintf(rate, sizeof rate, "%.1f", g->rate);
		if (g->st.used == 0)
			snprintf(lag, sizeof lag, "0");
		else
			fmt_age(g->oldest_send_ns, now_ns, lag, sizeof lag);
		fmt_pid(g->st.producer_pid, g->prod_alive, pp, sizeof pp);
		fmt_pid(g->st.consumer_pid, g->cons_alive, cp, sizeof cp);
		snprintf(prod, sizeof prod, "%s:%s", hat_stage_name(g->producer), pp);
		snprintf(cons, sizeof cons, "%s:%s", hat_stage_name(g->consumer), cp);
		double fill = g->st.capacity ? 100.0 * (double)g->st.used / g->st.capacity : 0;
		hat_buf_printf(out, "%-14s %-8u %-7" PRIu64 " %-5.0f %-10" PRIu64 " %-10" PRIu64
			       " %-8s %-8s %-20s %s", g->name, g->st.capacity, g->st.used, fill,
			       g->st.prod, g->st.cons, rate, lag, prod, cons);
		if (g->rc != 0) {
			bad++;
			hat_buf_printf(out, "  BAD: %s", g->problem);
		} else if (g->st.full_events) {
			hat_buf_printf(out, "  (full %" PRIu64 "x)", g->st.full_events);
		}
		hat_buf_putc(out, '\n');
	}
	return bad;
}

/* ---------------------------------------------------------------- stages */

unsigned hatshm_view_stages(struct hat_buf *out, const struct hatshm_stages *st, uint64_t mono_ns,
			    bool nonzero_only)
{
	if (st->rc != 0) {
		hat_buf_printf(out, "control segment unreadable: %s\n", st->problem);
		return 1;
	}
	hat_buf_printf(out, "%-8s %-9s %-14s %-10s %-8s %s\n", "STAGE", "STATE", "PID", "HEARTBEAT",
		       "RESTARTS", "READY");
	for (unsigned i = 0; i < HAT_CONTROL_STAGES; i++) {
		const struct hatshm_stage *s = &st->s[i];
		char pid[24], hb[24];
		fmt_pid(s->st.pid, s->alive, pid, sizeof pid);
		if (s->st.pid > 0)
			fmt_age(s->st.heartbeat_ns, mono_ns, hb, sizeof hb);
		else
			snprintf(hb, sizeof hb, "-");
		hat_buf_printf(out, "%-8s %-9s %-14s %-10s %-8u %s\n", hat_stage_name(s->id),
			       hat_stage_state_name(s->st.state), pid, hb, s->st.restart_count,
			       s->st.ready ? "yes" : "no");
		unsigned col = 0;
		for (uint32_t k = 0; k < s->n_counters; k++) {
			if (nonzero_only && s->cvalues[k] == 0)
				continue;
			hat_buf_puts(out, col == 0 ? "    " : " ");
			hat_buf_printf(out, "%s=%" PRIu64, s->cnames[k], s->cvalues[k]);
			if (++col == 6) {
				hat_buf_putc(out, '\n');
				col = 0;
			}
		}
		if (col)
			hat_buf_putc(out, '\n');
		for (uint32_t k = 0; k < s->n_hists; k++) {
			const struct hat_hist_snap *h = &s->hists[k].s;
			char p50[24], p99[24], mx[24];
			if (h->count == 0) {
				if (!nonzero_only)
					hat_buf_printf(out, "    hist %s: n=0\n", s->hists[k].name);
				continue;
			}
			hatshm_fmt_ns(hat_hist_percentile(h, 50), p50, sizeof p50);
			hatshm_fmt_ns(hat_hist_percentile(h, 99), p99, sizeof p99);
			hatshm_fmt_ns(h->count ? h->max : 0, mx, sizeof mx);
			hat_buf_printf(out, "    hist %s: n=%" PRIu64 " p50=%s p99=%s max=%s\n",
				       s->hists[k].name, h->count, p50, p99, mx);
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- board */

static const char *fx(int64_t v, bool have, char *buf, size_t len)
{
	if (!have || hat_fx_format(v, buf, len) < 0)
		snprintf(buf, len, "-");
	return buf;
}

unsigned hatshm_view_board(struct hat_buf *out, const struct hatshm_board *b, uint64_t now_ns)
{
	if (b->rc != 0) {
		hat_buf_printf(out, "board unreadable: %s\n", b->problem);
		return 1;
	}
	char wp[24];
	fmt_pid(b->writer_pid, b->writer_alive, wp, sizeof wp);
	hat_buf_printf(out, "board: %u coins, writer %s, repairs %" PRIu64 "\n", b->n, wp, b->repairs);
	hat_buf_printf(out, "%-10s %-14s %-14s %-14s %-14s %-9s %s\n", "COIN", "BID", "ASK", "MID",
		       "LAST", "AGE", "STALE");
	for (uint32_t i = 0; i < b->n; i++) {
		const struct hat_board_quote *q = &b->q[i];
		if (b->qrc[i] != 0) {
			hat_buf_printf(out, "#%-9u torn read (writer mid-update or died mid-write; superd "
				       "repairs it)\n", i);
			continue;
		}
		char coin[HAT_COIN_LEN + 1], bid[HAT_FX_STRLEN], ask[HAT_FX_STRLEN], mid[HAT_FX_STRLEN],
			last[HAT_FX_STRLEN], age[24];
		memcpy(coin, q->coin, HAT_COIN_LEN);
		coin[HAT_COIN_LEN] = '\0';
		fmt_age(q->update_ns, now_ns, age, sizeof age);
		hat_buf_printf(out, "%-10s %-14s %-14s %-14s %-14s %-9s %s\n", coin,
			       fx(q->bid_px, q->has_bid, bid, sizeof bid),
			       fx(q->ask_px, q->has_ask, ask, sizeof ask),
			       fx(q->mid_px, q->has_bid && q->has_ask, mid, sizeof mid),
			       fx(q->last_px, q->last_px != 0, last, sizeof last), age,
			       q->stale ? "STALE" : "no");
	}
	return 0;
}

/* ---------------------------------------------------------------- dump */

unsigned hatshm_dump(struct hat_buf *out, const char *ring_name, const struct hat_ring *r,
		     unsigned n, bool json)
{
	struct hat_ring_stats st;
	hat_ring_stats(r, &st);
	uint64_t lo = st.prod > n ? st.prod - n : 0;
	if (st.prod > st.capacity && lo < st.prod - st.capacity)
		lo = st.prod - st.capacity;
	if (lo < st.start_index)
		lo = st.start_index;
	if (!json)
		hat_buf_printf(out, "ring %s: capacity %u, prod %" PRIu64 ", cons %" PRIu64 ", %" PRIu64
			       " unconsumed; last %" PRIu64 " message%s\n", ring_name, st.capacity,
			       st.prod, st.cons, st.used, st.prod - lo, st.prod - lo == 1 ? "" : "s");
	unsigned skipped = 0;
	uint32_t slot_size = st.slot_size;
	unsigned char *copy = malloc(2 * (size_t)slot_size), *again = copy + slot_size;
	if (!copy) {
		hat_buf_printf(out, "out of memory for %u-byte slots\n", slot_size);
		return 1;
	}
	/* Consumed slots this close to the overwrite frontier (prod - capacity) may be the ones
	 * the producer is writing right now; a producer preempted in mid-copy could leave a body
	 * that is new under a seq that is still old, which no re-read can see. */
	uint64_t margin = st.capacity / 8 ? st.capacity / 8 : 1;
	if (margin > 256)
		margin = 256;
	for (uint64_t idx = lo; idx < st.prod; idx++) {
		const unsigned char *slot = hatshm_slot(r, idx);
		const struct hat_msg_hdr *h = (const void *)slot;
		/* Two copies between two reads of seq (the seqlock idea): a producer reusing this
		 * slot changes seq and the bytes, so two equal copies between two equal reads of
		 * the expected seq are the message that was published at idx. */
		uint64_t s1 = __atomic_load_n(&h->seq, __ATOMIC_ACQUIRE);
		memcpy(copy, slot, slot_size);
		atomic_thread_fence(memory_order_acquire);
		memcpy(again, slot, slot_size);
		atomic_thread_fence(memory_order_acquire);
		uint64_t s2 = __atomic_load_n(&h->seq, __ATOMIC_RELAXED);
		struct hat_ring_stats now;
		hat_ring_stats(r, &now);
		char why[112] = "";
		if (s1 != s2 || memcmp(copy, again, slot_size) != 0)
			snprintf(why, sizeof why, "half-written (changed while reading: seq %" PRIu64
				 " then %" PRIu64 ")", s1, s2);
		else if (s1 != idx + 1)
			snprintf(why, sizeof why, "overwritten (seq %" PRIu64 ", expected %" PRIu64 ")", s1,
				 idx + 1);
		else if (idx < now.cons && now.prod > now.capacity &&
			 idx < now.prod - now.capacity + margin)
			snprintf(why, sizeof why, "at the producer's write frontier (may be rewritten "
				 "while read)");
		bool consumed = idx < now.cons;
		if (why[0]) {
			skipped++;
			if (json) {
				hat_buf_puts(out, "{\"ring\":");
				hat_buf_json_str(out, ring_name);
				hat_buf_printf(out, ",\"index\":%" PRIu64 ",\"skipped\":", idx);
				hat_buf_json_str(out, why);
				hat_buf_puts(out, "}\n");
			} else {
				hat_buf_printf(out, "%10" PRIu64 " skipped   %s\n", idx, why);
			}
			continue;
		}
		if (json) {
			hat_buf_puts(out, "{\"ring\":");
			hat_buf_json_str(out, ring_name);
			hat_buf_printf(out, ",\"index\":%" PRIu64 ",\"consumed\":%s,\"msg\":", idx,
				       consumed ? "true" : "false");
			hat_msg_format_json(out, copy, slot_size);
			hat_buf_puts(out, "}\n");
		} else {
			hat_buf_printf(out, "%10" PRIu64 " %-9s ", idx, consumed ? "consumed" : "pending");
			hat_msg_format(out, copy, slot_size);
			hat_buf_putc(out, '\n');
		}
	}
	free(copy);
	if (!json && skipped)
		hat_buf_printf(out, "%u slot%s skipped (overwritten, half-written or at the write "
			       "frontier)\n", skipped, skipped == 1 ? "" : "s");
	return skipped;
}
