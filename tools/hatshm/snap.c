/* tools/hatshm/snap.c -- read-only snapshots of an instance's segments. */
#include "tools/hatshm/snap.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/msg.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool hatshm_pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* ---------------------------------------------------------------- ls */

static struct hatshm_seg *add_seg(struct hatshm_seg *segs, size_t *n, size_t max, const char *name,
				  bool expected)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(segs[i].name, name) == 0)
			return &segs[i];
	if (*n == max)
		return NULL;
	struct hatshm_seg *s = &segs[(*n)++];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	s->expected = expected;
	return s;
}

static void check_ring(const struct hatshm_ctx *x, struct hatshm_seg *s,
		       const struct hat_ring_def *def)
{
	struct hat_ring r;
	char err[HATSHM_PROBLEM_LEN];
	int rc = hat_ring_attach(&r, x->instance, s->name, HAT_RING_READER, def->slot_size, 0, err,
				 sizeof err);
	if (rc == 0)
		rc = hat_ring_check(&r, err, sizeof err);
	if (rc == 0 && x->cfg) {
		uint32_t want = hat_instance_ring_count(x->cfg, def);
		struct hat_ring_stats st;
		hat_ring_stats(&r, &st);
		if (want && st.capacity != want) {
			snprintf(err, sizeof err, "%u slots but the config says %u (restart superd with "
				 "--fresh to recreate it)", st.capacity, want);
			rc = HAT_E_BADSIZE;
		}
	}
	hat_ring_detach(&r);
	if (rc != 0) {
		s->rc = rc;
		snprintf(s->problem, sizeof s->problem, "%s", err);
	}
}

static void check_seg(const struct hatshm_ctx *x, struct hatshm_seg *s)
{
	struct hat_shm m;
	char err[HATSHM_PROBLEM_LEN];
	int rc = hat_shm_open(&m, x->instance, s->name, HAT_SHM_KIND_ANY, 0, 0, HAT_SHM_RDONLY, err,
			      sizeof err);
	if (rc != 0) {
		s->rc = rc;
		s->present = rc != -ENOENT;
		snprintf(s->problem, sizeof s->problem, "%s", rc == -ENOENT ? "missing" : err);
		return;
	}
	s->present = true;
	s->have_hdr = true;
	memcpy(&s->hdr, hat_shm_hdr(&m), sizeof s->hdr);
	hat_shm_close(&m);
	s->creator_alive = hatshm_pid_alive(s->hdr.creator_pid);
	const struct hat_ring_def *def = hat_instance_ring(s->name);
	uint32_t want_kind = def ? HAT_SHM_KIND_RING
			   : !strcmp(s->name, HAT_BOARD_SHM_NAME) ? HAT_SHM_KIND_BOARD
			   : !strcmp(s->name, HAT_CONTROL_SHM_NAME) ? HAT_SHM_KIND_CONTROL : 0;
	if (!want_kind) {
		s->rc = -ENOENT;
		snprintf(s->problem, sizeof s->problem, "not a segment of a hat instance (stray %s?)",
			 hat_shm_kind_name(s->hdr.kind));
		return;
	}
	if (s->hdr.kind != want_kind) {
		s->rc = HAT_E_BADMAGIC;
		snprintf(s->problem, sizeof s->problem, "kind %s, expected %s",
			 hat_shm_kind_name(s->hdr.kind), hat_shm_kind_name(want_kind));
		return;
	}
	if (def) {
		check_ring(x, s, def);
		return;
	}
	if (want_kind == HAT_SHM_KIND_BOARD) {
		struct hat_board b;
		rc = hat_board_open(&b, x->instance, HAT_SHM_RDONLY, err, sizeof err);
		hat_board_close(&b);
	} else {
		struct hat_control c;
		rc = hat_control_open(&c, x->instance, HAT_SHM_RDONLY, err, sizeof err);
		hat_control_close(&c);
	}
	if (rc != 0) {
		s->rc = rc;
		snprintf(s->problem, sizeof s->problem, "%s", err);
	}
}

static int cmp_other(const void *a, const void *b)
{
	return strcmp(((const struct hatshm_seg *)a)->name, ((const struct hatshm_seg *)b)->name);
}

size_t hatshm_snap_segments(const struct hatshm_ctx *x, struct hatshm_seg *segs, size_t max)
{
	size_t n = 0, nr;
	const struct hat_ring_def *defs = hat_instance_rings(&nr);
	for (size_t i = 0; i < nr; i++)
		add_seg(segs, &n, max, defs[i].name, true);
	add_seg(segs, &n, max, HAT_BOARD_SHM_NAME, true);
	add_seg(segs, &n, max, HAT_CONTROL_SHM_NAME, true);
	size_t n_expected = n;
	char prefix[HAT_SHM_NAME_MAX];
	int plen = snprintf(prefix, sizeof prefix, "hat.%s.", x->instance);
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, (size_t)plen) == 0 && e->d_name[plen])
			add_seg(segs, &n, max, e->d_name + plen, false);
	if (d)
		closedir(d);
	qsort(segs + n_expected, n - n_expected, sizeof *segs, cmp_other);
	for (size_t i = 0; i < n; i++)
		check_seg(x, &segs[i]);
	return n;
}

/* ---------------------------------------------------------------- rings */

const unsigned char *hatshm_slot(const struct hat_ring *r, uint64_t idx)
{
	return r->slots + (idx & r->mask) * r->slot_size;
}

size_t hatshm_snap_rings(const struct hatshm_ctx *x, struct hatshm_ring *rings, size_t max)
{
	size_t nr, n = 0;
	const struct hat_ring_def *defs = hat_instance_rings(&nr);
	for (size_t i = 0; i < nr && n < max; i++) {
		struct hatshm_ring *g = &rings[n++];
		memset(g, 0, sizeof *g);
		snprintf(g->name, sizeof g->name, "%s", defs[i].name);
		g->producer = defs[i].producer;
		g->consumer = defs[i].consumer;
		g->rate = -1;
		struct hat_ring r;
		g->rc = hat_ring_attach(&r, x->instance, g->name, HAT_RING_READER, defs[i].slot_size, 0,
					g->problem, sizeof g->problem);
		if (g->rc != 0)
			continue;
		g->taken_mono_ns = hat_mono_ns();
		hat_ring_stats(&r, &g->st);
		g->prod_alive = hatshm_pid_alive(g->st.producer_pid);
		g->cons_alive = hatshm_pid_alive(g->st.consumer_pid);
		if (g->st.used > g->st.capacity) {
			g->rc = -EPROTO;
			snprintf(g->problem, sizeof g->problem, "corrupt indices: prod %llu - cons %llu > "
				 "%u slots", (unsigned long long)g->st.prod, (unsigned long long)g->st.cons,
				 g->st.capacity);
		} else if (g->st.used > 0) {
			const struct hat_msg_hdr *h = (const void *)hatshm_slot(&r, g->st.cons);
			g->oldest_send_ns = __atomic_load_n(&h->send_ns, __ATOMIC_RELAXED);
		}
		hat_ring_detach(&r);
	}
	return n;
}

void hatshm_rings_rate(const struct hatshm_ring *prev, struct hatshm_ring *cur, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (prev[i].rc || cur[i].rc || cur[i].taken_mono_ns <= prev[i].taken_mono_ns ||
		    cur[i].st.prod < prev[i].st.prod)
			continue;
		double dt = (double)(cur[i].taken_mono_ns - prev[i].taken_mono_ns) / 1e9;
		cur[i].rate = (double)(cur[i].st.prod - prev[i].st.prod) / dt;
	}
}

/* ---------------------------------------------------------------- stages */

int hatshm_snap_stages(const struct hatshm_ctx *x, struct hatshm_stages *out)
{
	memset(out, 0, sizeof *out);
	struct hat_control c;
	out->rc = hat_control_open(&c, x->instance, HAT_SHM_RDONLY, out->problem, sizeof out->problem);
	if (out->rc != 0)
		return out->rc;
	out->taken_mono_ns = hat_mono_ns();
	for (unsigned id = 1; id <= HAT_CONTROL_STAGES; id++) {
		struct hatshm_stage *s = &out->s[id - 1];
		const struct hat_stage_shm *b = hat_control_stage(&c, id);
		s->id = id;
		hat_stage_status(b, &s->st);
		s->alive = hatshm_pid_alive(s->st.pid);
		s->n_counters = hat_stage_counter_count(b);
		if (s->n_counters > HAT_CTL_MAX_COUNTERS)
			s->n_counters = HAT_CTL_MAX_COUNTERS;
		for (uint32_t k = 0; k < s->n_counters; k++) {
			const struct hat_counter_shm *cs = hat_stage_counter_at(b, k);
			memcpy(s->cnames[k], cs->name, HAT_CTL_NAME_LEN);
			s->cnames[k][HAT_CTL_NAME_LEN - 1] = '\0';
			s->cvalues[k] = __atomic_load_n(&cs->value, __ATOMIC_RELAXED);
		}
		s->n_hists = hat_stage_hist_count(b);
		if (s->n_hists > HATSHM_MAX_HISTS)
			s->n_hists = HATSHM_MAX_HISTS;
		for (uint32_t k = 0; k < s->n_hists; k++) {
			const struct hat_hist_shm *h = hat_stage_hist_at(b, k);
			memcpy(s->hists[k].name, h->name, HAT_CTL_NAME_LEN);
			s->hists[k].name[HAT_CTL_NAME_LEN - 1] = '\0';
			hat_hist_snapshot(h, &s->hists[k].s);
		}
	}
	hat_control_close(&c);
	return 0;
}

/* ---------------------------------------------------------------- board */

int hatshm_snap_board(const struct hatshm_ctx *x, struct hatshm_board *out)
{
	memset(out, 0, sizeof *out);
	struct hat_board b;
	out->rc = hat_board_open(&b, x->instance, HAT_SHM_RDONLY, out->problem, sizeof out->problem);
	if (out->rc != 0)
		return out->rc;
	out->taken_ns = hat_now_ns();
	out->writer_pid = __atomic_load_n(&b.shm->writer_pid, __ATOMIC_RELAXED);
	out->writer_alive = hatshm_pid_alive(out->writer_pid);
	out->repairs = __atomic_load_n(&b.shm->repairs, __ATOMIC_RELAXED);
	/* n_coins is input from another process: never index past the slots the segment has. */
	out->n = hat_board_count(&b);
	if (out->n > b.shm->max_coins || out->n > HAT_BOARD_MAX_COINS) {
		out->rc = -EPROTO;
		snprintf(out->problem, sizeof out->problem, "board says %u coins but has %u slots",
			 out->n, b.shm->max_coins);
		out->n = 0;
	}
	for (uint32_t i = 0; i < out->n; i++)
		out->qrc[i] = hat_board_read(&b, i, &out->q[i]);
	hat_board_close(&b);
	return 0;
}
