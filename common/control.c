/* common/control.c -- per-stage control blocks, counters and log2 histograms. */
#include "common/control.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* ---------------------------------------------------------------- setup */

size_t hat_control_shm_size(void)
{
	return sizeof(struct hat_control_shm);
}

int hat_control_init_mem(struct hat_control *c, void *mem, size_t len, uint64_t now_ns)
{
	if (!mem || ((uintptr_t)mem % HAT_CACHELINE) != 0)
		return -EINVAL;
	if (len < sizeof(struct hat_control_shm))
		return -ENOSPC;
	struct hat_control_shm *s = mem;
	memset(s, 0, sizeof *s);
	s->magic = HAT_CONTROL_MAGIC;
	s->layout_version = HAT_CONTROL_LAYOUT_VERSION;
	s->n_stages = HAT_CONTROL_STAGES;
	s->size = sizeof *s;
	s->created_ns = now_ns;
	for (unsigned i = 0; i < HAT_CONTROL_STAGES; i++)
		s->stages[i].stage = i + 1;
	c->shm = s;
	memset(&c->seg, 0, sizeof c->seg);
	return 0;
}

int hat_control_attach_mem(struct hat_control *c, void *mem, size_t len, char *err, size_t errlen)
{
	const struct hat_control_shm *s = mem;
	if (len < 64 || s->magic != HAT_CONTROL_MAGIC) {
		snprintf(err, errlen, "control: bad magic (not a control region)");
		return HAT_E_BADMAGIC;
	}
	if (s->layout_version != HAT_CONTROL_LAYOUT_VERSION) {
		snprintf(err, errlen, "control: layout version %" PRIu32 ", this build knows %u",
			 s->layout_version, HAT_CONTROL_LAYOUT_VERSION);
		return HAT_E_BADVERSION;
	}
	if (s->size != sizeof *s || len < sizeof *s || s->n_stages != HAT_CONTROL_STAGES) {
		snprintf(err, errlen, "control: size %" PRIu64 " with %" PRIu32 " stages, expected %zu "
			 "with %d (%zu bytes mapped)", s->size, s->n_stages, sizeof *s,
			 HAT_CONTROL_STAGES, len);
		return HAT_E_BADSIZE;
	}
	c->shm = mem;
	memset(&c->seg, 0, sizeof c->seg);
	return 0;
}

/* ---------------------------------------------------------------- segment */

int hat_control_create(struct hat_control *c, const char *instance, uint64_t now_ns, char *err,
		       size_t errlen)
{
	struct hat_shm seg;
	size_t body = hat_control_shm_size();
	int rc = hat_shm_create_begin(&seg, instance, HAT_CONTROL_SHM_NAME, HAT_SHM_KIND_CONTROL,
				      HAT_CONTROL_LAYOUT_VERSION, HAT_SHM_HDR_SIZE + body, err, errlen);
	if (rc)
		return rc;
	rc = hat_control_init_mem(c, hat_shm_body(&seg), body, now_ns);
	HAT_ASSERT(rc == 0); /* the body is 64-aligned and exactly sized */
	hat_shm_publish(&seg);
	c->seg = seg;
	return 0;
}

int hat_control_open(struct hat_control *c, const char *instance, unsigned shm_flags, char *err,
		     size_t errlen)
{
	struct hat_shm seg;
	int rc = hat_shm_open(&seg, instance, HAT_CONTROL_SHM_NAME, HAT_SHM_KIND_CONTROL,
			      HAT_CONTROL_LAYOUT_VERSION, HAT_SHM_HDR_SIZE + hat_control_shm_size(),
			      shm_flags, err, errlen);
	if (rc)
		return rc;
	char why[200];
	rc = hat_control_attach_mem(c, hat_shm_body(&seg), seg.size - HAT_SHM_HDR_SIZE, why, sizeof why);
	if (rc) {
		snprintf(err, errlen, "shm %s: %s", seg.name, why);
		hat_shm_close(&seg);
		return rc;
	}
	c->seg = seg;
	return 0;
}

void hat_control_close(struct hat_control *c)
{
	if (c->seg.base)
		hat_shm_close(&c->seg);
	c->shm = NULL;
}

struct hat_stage_shm *hat_control_stage(const struct hat_control *c, unsigned stage)
{
	if (stage < 1 || stage > HAT_CONTROL_STAGES)
		return NULL;
	return &c->shm->stages[stage - 1];
}

/* ---------------------------------------------------------------- the owning stage */

void hat_stage_begin(struct hat_stage_shm *s, pid_t pid, uint64_t mono_ns, uint64_t real_ns)
{
	STORE(&s->ready, 0);
	hat_stage_quiet_leave(s); /* a killed predecessor may have died quiet */
	STORE(&s->started_ns, real_ns);
	STORE(&s->heartbeat_ns, mono_ns);
	STORE(&s->state, (uint32_t)HAT_STATE_STARTING);
	/* Release: whoever sees the new pid also sees the fields above for this process. */
	__atomic_store_n(&s->pid, (int32_t)pid, __ATOMIC_RELEASE);
}

void hat_stage_heartbeat(struct hat_stage_shm *s, uint64_t mono_ns)
{
	/* Relaxed: superd only compares the value against its clock. */
	STORE(&s->heartbeat_ns, mono_ns);
}

int hat_stage_set_state(struct hat_stage_shm *s, unsigned state)
{
	if (state > HAT_STATE_MAX)
		return -EINVAL;
	STORE(&s->state, (uint32_t)state);
	return 0;
}

void hat_stage_set_ready(struct hat_stage_shm *s, bool ready)
{
	STORE(&s->ready, ready ? 1u : 0u);
}

void hat_stage_quiet_enter(struct hat_stage_shm *s)
{
	uint64_t g = __atomic_load_n(&s->quiet_gen, __ATOMIC_RELAXED);
	if (!(g & 1))
		__atomic_store_n(&s->quiet_gen, g + 1, __ATOMIC_SEQ_CST);
}

void hat_stage_quiet_leave(struct hat_stage_shm *s)
{
	uint64_t g = __atomic_load_n(&s->quiet_gen, __ATOMIC_RELAXED);
	if (g & 1)
		__atomic_store_n(&s->quiet_gen, g + 1, __ATOMIC_SEQ_CST);
}

uint64_t hat_stage_quiet_gen(const struct hat_stage_shm *s)
{
	return __atomic_load_n(&s->quiet_gen, __ATOMIC_SEQ_CST);
}

void hat_stage_note_restart(struct hat_stage_shm *s)
{
	STORE(&s->restart_count, LOAD(&s->restart_count) + 1);
}

static int check_name(const char *name)
{
	size_t n = strlen(name);
	return n == 0 || n >= HAT_CTL_NAME_LEN ? -EINVAL : 0;
}

uint32_t hat_stage_counter_count(const struct hat_stage_shm *s)
{
	/* Acquire: pairs with the release in hat_counter_register(); the name is complete. */
	uint32_t n = __atomic_load_n(&s->n_counters, __ATOMIC_ACQUIRE);
	return n > HAT_CTL_MAX_COUNTERS ? HAT_CTL_MAX_COUNTERS : n;
}

uint32_t hat_stage_hist_count(const struct hat_stage_shm *s)
{
	uint32_t n = __atomic_load_n(&s->n_hists, __ATOMIC_ACQUIRE);
	return n > HAT_CTL_MAX_HISTS ? HAT_CTL_MAX_HISTS : n;
}

int hat_counter_register(struct hat_stage_shm *s, const char *name, struct hat_counter *out)
{
	if (check_name(name))
		return -EINVAL;
	uint32_t n = hat_stage_counter_count(s);
	for (uint32_t i = 0; i < n; i++) {
		if (strncmp(s->counters[i].name, name, HAT_CTL_NAME_LEN) == 0) {
			out->v = &s->counters[i].value;
			return 0;
		}
	}
	if (n >= HAT_CTL_MAX_COUNTERS)
		return -ENOSPC;
	struct hat_counter_shm *c = &s->counters[n];
	memset(c->name, 0, sizeof c->name);
	memcpy(c->name, name, strlen(name));
	STORE(&c->value, 0);
	/* Release: readers that count this slot see its name and zero value. */
	__atomic_store_n(&s->n_counters, n + 1, __ATOMIC_RELEASE);
	out->v = &c->value;
	return 0;
}

int hat_counter_registerf(struct hat_stage_shm *s, struct hat_counter *out, const char *fmt, ...)
{
	char name[HAT_CTL_NAME_LEN + 1];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= HAT_CTL_NAME_LEN)
		return -EINVAL;
	return hat_counter_register(s, name, out);
}

const struct hat_counter_shm *hat_stage_counter_at(const struct hat_stage_shm *s, uint32_t i)
{
	return i < hat_stage_counter_count(s) ? &s->counters[i] : NULL;
}

int hat_stage_counter_find(const struct hat_stage_shm *s, const char *name, uint64_t *value)
{
	uint32_t n = hat_stage_counter_count(s);
	for (uint32_t i = 0; i < n; i++) {
		if (strncmp(s->counters[i].name, name, HAT_CTL_NAME_LEN) == 0) {
			*value = LOAD(&s->counters[i].value);
			return 0;
		}
	}
	return -ENOENT;
}

int hat_hist_register(struct hat_stage_shm *s, const char *name, struct hat_hist *out)
{
	if (check_name(name))
		return -EINVAL;
	uint32_t n = hat_stage_hist_count(s);
	for (uint32_t i = 0; i < n; i++) {
		if (strncmp(s->hists[i].name, name, HAT_CTL_NAME_LEN) == 0) {
			out->h = &s->hists[i];
			return 0;
		}
	}
	if (n >= HAT_CTL_MAX_HISTS)
		return -ENOSPC;
	struct hat_hist_shm *h = &s->hists[n];
	memset(h, 0, sizeof *h);
	memcpy(h->name, name, strlen(name));
	h->min = UINT64_MAX;
	/* Release: pairs with the acquire in hat_stage_hist_count(). */
	__atomic_store_n(&s->n_hists, n + 1, __ATOMIC_RELEASE);
	out->h = h;
	return 0;
}

const struct hat_hist_shm *hat_stage_hist_at(const struct hat_stage_shm *s, uint32_t i)
{
	return i < hat_stage_hist_count(s) ? &s->hists[i] : NULL;
}

const struct hat_hist_shm *hat_stage_hist_find(const struct hat_stage_shm *s, const char *name)
{
	uint32_t n = hat_stage_hist_count(s);
	for (uint32_t i = 0; i < n; i++)
		if (strncmp(s->hists[i].name, name, HAT_CTL_NAME_LEN) == 0)
			return &s->hists[i];
	return NULL;
}

void hat_stage_status(const struct hat_stage_shm *s, struct hat_stage_status *out)
{
	out->pid = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);
	out->stage = s->stage;
	out->state = LOAD(&s->state);
	out->ready = LOAD(&s->ready);
	out->restart_count = LOAD(&s->restart_count);
	out->heartbeat_ns = LOAD(&s->heartbeat_ns);
	out->started_ns = LOAD(&s->started_ns);
}

bool hat_stage_alive(const struct hat_control *c, unsigned stage, uint64_t timeout_ns,
		     uint64_t mono_ns)
{
	const struct hat_stage_shm *s = hat_control_stage(c, stage);
	if (!s)
		return false;
	struct hat_stage_status ss;
	hat_stage_status(s, &ss);
	if (ss.state < HAT_STATE_STARTING || ss.state > HAT_STATE_HALTED)
		return false;
	return ss.heartbeat_ns + timeout_ns >= mono_ns;
}

const char *hat_stage_state_name(unsigned state)
{
	static const char *const t[] = {
		[HAT_STATE_NONE] = "none", [HAT_STATE_STARTING] = "starting",
		[HAT_STATE_RUNNING] = "running", [HAT_STATE_DEGRADED] = "degraded",
		[HAT_STATE_HALTED] = "halted", [HAT_STATE_STOPPING] = "stopping",
		[HAT_STATE_STOPPED] = "stopped",
	};
	return state < HAT_ARRAY_LEN(t) ? t[state] : "?";
}

/* ---------------------------------------------------------------- histograms */

unsigned hat_hist_bucket(uint64_t v)
{
	if (v == 0)
		return 0;
	unsigned bits = 64u - (unsigned)__builtin_clzll(v); /* 1..64 */
	return bits > HAT_HIST_BUCKETS - 1 ? HAT_HIST_BUCKETS - 1 : bits;
}

uint64_t hat_hist_bucket_lo(unsigned k)
{
	return k == 0 ? 0 : (uint64_t)1 << (k - 1);
}

uint64_t hat_hist_bucket_hi(unsigned k)
{
	if (k == 0)
		return 0;
	if (k >= HAT_HIST_BUCKETS - 1)
		return UINT64_MAX;
	return ((uint64_t)1 << k) - 1;
}

void hat_hist_record(struct hat_hist h, uint64_t v)
{
	struct hat_hist_shm *s = h.h;
	/* Relaxed loads and stores, no read-modify-write: one thread of the owning stage is the
	 * only writer (a locked add would cost ~3x for nothing), and readers tolerate a snapshot
	 * that is not a consistent cut (see control.h). */
	uint64_t *bk = &s->buckets[hat_hist_bucket(v)];
	STORE(bk, LOAD(bk) + 1);
	STORE(&s->count, LOAD(&s->count) + 1);
	STORE(&s->sum, LOAD(&s->sum) + v);
	if (v < LOAD(&s->min))
		STORE(&s->min, v);
	if (v > LOAD(&s->max))
		STORE(&s->max, v);
}

void hat_hist_snap_init(struct hat_hist_snap *s)
{
	memset(s, 0, sizeof *s);
	s->min = UINT64_MAX;
}

void hat_hist_snap_record(struct hat_hist_snap *s, uint64_t v)
{
	s->buckets[hat_hist_bucket(v)]++;
	s->count++;
	s->sum += v;
	if (v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
}

void hat_hist_snapshot(const struct hat_hist_shm *h, struct hat_hist_snap *out)
{
	out->count = 0;
	for (unsigned k = 0; k < HAT_HIST_BUCKETS; k++) {
		out->buckets[k] = LOAD(&h->buckets[k]);
		out->count += out->buckets[k];
	}
	out->sum = LOAD(&h->sum);
	out->min = LOAD(&h->min);
	out->max = LOAD(&h->max);
	if (out->count == 0) {
		out->min = UINT64_MAX;
		out->max = 0;
	}
}

void hat_hist_merge(struct hat_hist_snap *dst, const struct hat_hist_snap *src)
{
	for (unsigned k = 0; k < HAT_HIST_BUCKETS; k++)
		dst->buckets[k] += src->buckets[k];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->count) {
		if (src->min < dst->min)
			dst->min = src->min;
		if (src->max > dst->max)
			dst->max = src->max;
	}
}

uint64_t hat_hist_percentile(const struct hat_hist_snap *s, double p)
{
	if (s->count == 0)
		return 0;
	if (!(p > 0))
		p = 0;
	if (p > 100)
		p = 100;
	/* Rank in 1..count of the value wanted. Multiply before dividing and shave a relative
	 * 1e-12 so that binary rounding (99.9 is not exact) never bumps an integral rank up. */
	double x = p * (double)s->count / 100.0;
	uint64_t rank = (uint64_t)ceil(x - x * 1e-12);
	if (rank < 1)
		rank = 1;
	if (rank > s->count)
		rank = s->count;
	uint64_t cum = 0;
	unsigned k = 0;
	for (; k < HAT_HIST_BUCKETS; k++) {
		cum += s->buckets[k];
		if (cum >= rank)
			break;
	}
	if (k == HAT_HIST_BUCKETS)
		k = HAT_HIST_BUCKETS - 1;
	uint64_t v = hat_hist_bucket_hi(k);
	if (v > s->max)
		v = s->max;
	if (v < s->min)
		v = s->min;
	return v;
}

uint64_t hat_hist_mean(const struct hat_hist_snap *s)
{
	return s->count ? s->sum / s->count : 0;
}
