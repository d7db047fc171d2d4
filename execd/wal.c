/* execd/wal.c -- write-ahead journal of order actions, recovery and compaction. */
#include "execd/wal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/compiler.h"
#include "common/err.h"

static_assert(sizeof(struct exec_wal_order) == 96, "exec_wal_order is journaled as is");

/* ACTION payload: u64 nonce, u8 kind, u8 0, u16 n_orders, u32 body_len, orders, body. */
#define ACT_HDR 16u
/* FILL payload: u64 tid, u64 oid, u64 time_ms. */
#define FILL_LEN 24u
#define DEFAULT_FILE_BYTES (4u << 20)
/* Largest re-journaled action (no body) with its journal header, plus a SENT record. */
#define REJOURNAL_MAX \
	(HAT_JOURNAL_REC_HDR + ACT_HDR + EXEC_WAL_MAX_ORDERS * sizeof(struct exec_wal_order) + \
	 HAT_JOURNAL_REC_HDR + 8u)
/* The kept fills, journaled again by a compaction. */
#define FILLS_REJOURNAL ((uint64_t)EXEC_WAL_FILLS_KEPT * (HAT_JOURNAL_REC_HDR + FILL_LEN))

static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static uint64_t get_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t get_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t get_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* ---------------------------------------------------------------- recovery */

struct rec_entry {
	uint64_t nonce;
	uint64_t ts_ns;
	uint8_t kind;
	uint8_t sent;
	uint8_t resolved;
	uint16_t n_orders;
	size_t pool_off;   /* first order in the pool */
};

struct rec_state {
	struct rec_entry *e;
	size_t n, cap;
	struct exec_wal_order *pool;
	size_t pool_n, pool_cap;
	struct exec_wal_fill *fills;  /* ring of the newest EXEC_WAL_FILLS_KEPT, or NULL */
	size_t fill_head, n_fills;
};

/* Keeps f in a ring of the newest EXEC_WAL_FILLS_KEPT (the oldest is overwritten). */
static void fill_keep(struct exec_wal_fill *ring, size_t *head, size_t *n,
		      const struct exec_wal_fill *f)
{
	if (*n < EXEC_WAL_FILLS_KEPT) {
		ring[(*head + (*n)++) % EXEC_WAL_FILLS_KEPT] = *f;
	} else {
		ring[*head] = *f;
		*head = (*head + 1) % EXEC_WAL_FILLS_KEPT;
	}
}

static struct rec_entry *rec_find(struct rec_state *s, uint64_t nonce)
{
	/* Results follow their action closely: search from the newest. */
	for (size_t i = s->n; i-- > 0;)
		if (s->e[i].nonce == nonce)
			return &s->e[i];
	return NULL;
}

static int rec_action(struct rec_state *s, const uint8_t *p, uint32_t len, uint64_t ts_ns,
		      const char *what, char *err, size_t errlen)
{
	if (len < ACT_HDR)
		goto bad;
	uint64_t nonce = get_u64(p);
	uint8_t kind = p[8];
	uint16_t n = get_u16(p + 10);
	uint32_t body = get_u32(p + 12);
	if (kind < EXEC_WAL_ORDER || kind > EXEC_WAL_OTHER || n > EXEC_WAL_MAX_ORDERS ||
	    (uint64_t)len != ACT_HDR + (uint64_t)n * sizeof(struct exec_wal_order) + body)
		goto bad;
	struct rec_entry *e = rec_find(s, nonce);
	if (e && !e->resolved)
		return 0; /* re-journaled by a compaction: the same action */
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		struct rec_entry *ne = realloc(s->e, nc * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		s->e = ne;
		s->cap = nc;
	}
	if (s->pool_n + n > s->pool_cap) {
		size_t nc = s->pool_cap ? s->pool_cap * 2 : 64;
		while (nc < s->pool_n + n)
			nc *= 2;
		struct exec_wal_order *np = realloc(s->pool, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		s->pool = np;
		s->pool_cap = nc;
	}
	e = &s->e[s->n++];
	memset(e, 0, sizeof(*e));
	e->nonce = nonce;
	e->ts_ns = ts_ns;
	e->kind = kind;
	e->n_orders = n;
	e->pool_off = s->pool_n;
	if (n)
		memcpy(&s->pool[s->pool_n], p + ACT_HDR, n * sizeof(struct exec_wal_order));
	s->pool_n += n;
	return 0;
bad:
	snprintf(err, errlen, "%s: malformed ACTION record", what);
	return HAT_E_PARSE;
}

static int read_file(struct rec_state *s, const char *path, struct exec_wal_stats *st,
		     char *err, size_t errlen)
{
	struct hat_journal_reader r;
	int rc = hat_journal_reader_open(&r, path, err, errlen);
	if (rc == HAT_E_TRUNCATED) {
		/* Killed while writing the file header: nothing in it was ever sent. */
		st->torn++;
		return 0;
	}
	if (rc)
		return rc;
	st->files++;
	struct hat_journal_rec rec;
	char what[PATH_MAX + 48];
	for (;;) {
		char rerr[256];
		rc = hat_journal_next(&r, &rec, rerr, sizeof(rerr));
		if (rc == -ENODATA) {
			rc = 0;
			break;
		}
		if (rc == HAT_E_TRUNCATED || rc == HAT_E_CRC) {
			if (rc == HAT_E_TRUNCATED)
				st->torn++;
			else
				st->corrupt++;
			snprintf(err, errlen, "%s", rerr);
			rc = 0;
			break;
		}
		if (rc)
			break;
		st->records++;
		snprintf(what, sizeof(what), "%s: record at byte %" PRIu64, path, rec.offset);
		if (rec.type == EXEC_WAL_REC_ACTION) {
			rc = rec_action(s, rec.data, rec.len, rec.ts_ns, what, err, errlen);
			if (rc)
				break;
			continue;
		}
		if (rec.type == EXEC_WAL_REC_FILL && rec.len == FILL_LEN) {
			struct exec_wal_fill f = { get_u64(rec.data), get_u64(rec.data + 8),
			                           get_u64(rec.data + 16) };
			if (s->fills)
				fill_keep(s->fills, &s->fill_head, &s->n_fills, &f);
			continue;
		}
		if ((rec.type != EXEC_WAL_REC_SENT && rec.type != EXEC_WAL_REC_RESULT) ||
		    rec.len < 8) {
			snprintf(err, errlen, "%s: unknown record type %u (len %u)", what, rec.type,
				 rec.len);
			rc = HAT_E_PARSE;
			break;
		}
		struct rec_entry *e = rec_find(s, get_u64(rec.data));
		if (!e || e->resolved) {
			st->orphans++;
			continue;
		}
		if (rec.type == EXEC_WAL_REC_SENT)
			e->sent = 1;
		else
			e->resolved = 1;
	}
	hat_journal_reader_close(&r);
	return rc;
}

/* Reads every journal file of prefix in dir, in sequence order, into s. */
static int read_all(struct rec_state *s, const char *dir, const char *prefix,
		    struct exec_wal_stats *stats, char *err, size_t errlen)
{
	memset(stats, 0, sizeof(*stats));
	if (errlen)
		err[0] = '\0';
	struct hat_journal_file *files = NULL;
	size_t nf = 0;
	int rc = hat_journal_list(dir, prefix, &files, &nf, err, errlen);
	for (size_t i = 0; i < nf && rc == 0; i++)
		rc = read_file(s, files[i].path, stats, err, errlen);
	hat_journal_list_free(files);
	return rc;
}

int exec_wal_recover(const char *dir, const char *prefix, struct exec_wal_pending *pending,
		     size_t cap, size_t *n, size_t *total, struct exec_wal_stats *stats,
		     char *err, size_t errlen)
{
	struct exec_wal_stats dummy;
	if (!stats)
		stats = &dummy;
	*n = 0;
	*total = 0;
	struct rec_state s = {0};
	int rc = read_all(&s, dir, prefix, stats, err, errlen);
	if (rc == 0) {
		for (size_t i = 0; i < s.n; i++) {
			const struct rec_entry *e = &s.e[i];
			if (e->resolved)
				continue;
			if (*n < cap) {
				struct exec_wal_pending *p = &pending[*n];
				memset(p, 0, sizeof(*p));
				p->nonce = e->nonce;
				p->ts_ns = e->ts_ns;
				p->kind = e->kind;
				p->sent = e->sent;
				p->n_orders = e->n_orders;
				memcpy(p->orders, &s.pool[e->pool_off],
				       e->n_orders * sizeof(struct exec_wal_order));
				(*n)++;
			}
			(*total)++;
		}
	}
	free(s.e);
	free(s.pool);
	return rc;
}

int exec_wal_recover_fills(const char *dir, const char *prefix,
			   struct exec_wal_fill out[EXEC_WAL_FILLS_KEPT], size_t *n, char *err,
			   size_t errlen)
{
	struct exec_wal_stats stats;
	struct exec_wal_fill *ring = calloc(EXEC_WAL_FILLS_KEPT, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	struct rec_state s = { .fills = ring };
	int rc = read_all(&s, dir, prefix, &stats, err, errlen);
	*n = 0;
	if (rc == 0)
		for (size_t i = 0; i < s.n_fills; i++)
			out[(*n)++] = ring[(s.fill_head + i) % EXEC_WAL_FILLS_KEPT];
	free(ring);
	free(s.e);
	free(s.pool);
	return rc;
}

/* ---------------------------------------------------------------- writer */

static struct exec_wal_pending *inflight_find(struct exec_wal *w, uint64_t nonce)
{
	for (uint32_t i = 0; i < w->n_inflight; i++)
		if (w->inflight[i].nonce == nonce)
			return &w->inflight[i];
	return NULL;
}

static int append_action(struct exec_wal *w, const struct exec_wal_pending *a, const char *body,
			 size_t body_len, uint64_t now_ns, uint64_t now_ms, char *err,
			 size_t errlen)
{
	size_t olen = a->n_orders * sizeof(struct exec_wal_order);
	size_t len = ACT_HDR + olen + body_len;
	uint8_t stackbuf[ACT_HDR + EXEC_WAL_MAX_ORDERS * sizeof(struct exec_wal_order) + 1024];
	uint8_t *p = len <= sizeof(stackbuf) ? stackbuf : malloc(len);
	if (!p)
		return -ENOMEM;
	put_u64(p, a->nonce);
	p[8] = a->kind;
	p[9] = 0;
	put_u16(p + 10, a->n_orders);
	put_u32(p + 12, (uint32_t)body_len);
	memcpy(p + ACT_HDR, a->orders, olen);
	if (body_len)
		memcpy(p + ACT_HDR + olen, body, body_len);
	int rc = hat_journal_append(&w->j, EXEC_WAL_REC_ACTION, a->ts_ns, p, len, now_ns, now_ms,
				    err, errlen);
	if (p != stackbuf)
		free(p);
	return rc;
}

static int append_small(struct exec_wal *w, uint32_t type, uint64_t nonce, uint8_t extra,
			uint64_t now_ns, uint64_t now_ms, char *err, size_t errlen)
{
	uint8_t p[9];
	put_u64(p, nonce);
	p[8] = extra;
	return hat_journal_append(&w->j, type, now_ns, p, type == EXEC_WAL_REC_RESULT ? 9 : 8,
				  now_ns, now_ms, err, errlen);
}

/* Deletes every file of this prefix older than the current one. */
static int delete_old(struct exec_wal *w, char *err, size_t errlen)
{
	struct hat_journal_file *files = NULL;
	size_t nf = 0;
	int rc = hat_journal_list(w->j.dir, w->j.prefix, &files, &nf, err, errlen);
	if (rc)
		return rc;
	for (size_t i = 0; i < nf; i++) {
		if (files[i].seq >= w->cur_seq)
			continue;
		if (unlink(files[i].path) != 0 && errno != ENOENT) {
			int e = errno;
			snprintf(err, errlen, "unlink(\"%s\") failed: %s", files[i].path,
				 strerror(e));
			rc = -e;
			break;
		}
		w->files_deleted++;
	}
	hat_journal_list_free(files);
	return rc;
}

static int append_fill(struct exec_wal *w, const struct exec_wal_fill *f, uint64_t now_ns,
		       uint64_t now_ms, char *err, size_t errlen)
{
	uint8_t p[FILL_LEN];
	put_u64(p, f->tid);
	put_u64(p + 8, f->oid);
	put_u64(p + 16, f->time_ms);
	return hat_journal_append(&w->j, EXEC_WAL_REC_FILL, now_ns, p, FILL_LEN, now_ns, now_ms,
				  err, errlen);
}

/* Copies every action in flight and the kept fills into the current file, then drops the
 * older files. Called
 * when the journal moved to a new file (rotation) and at open. */
static int compact(struct exec_wal *w, uint64_t now_ns, uint64_t now_ms, char *err,
		   size_t errlen)
{
	w->cur_seq = w->j.seq;
	for (uint32_t i = 0; i < w->n_inflight; i++) {
		const struct exec_wal_pending *a = &w->inflight[i];
		int rc = append_action(w, a, NULL, 0, now_ns, now_ms, err, errlen);
		if (rc == 0 && a->sent)
			rc = append_small(w, EXEC_WAL_REC_SENT, a->nonce, 0, now_ns, now_ms, err,
					  errlen);
		if (rc)
			return rc;
	}
	for (uint32_t i = 0; i < w->n_fills; i++) {
		int rc = append_fill(w, &w->fills[(w->fill_head + i) % EXEC_WAL_FILLS_KEPT], now_ns,
				     now_ms, err, errlen);
		if (rc)
			return rc;
	}
	if (w->j.seq != w->cur_seq) {
		/* Cannot happen with the size check at open; be safe: keep the old files. */
		w->cur_seq = w->j.seq;
		return 0;
	}
	/* The copies must be on disk before the originals go. */
	int src = hat_journal_sync(&w->j, now_ms);
	if (src) {
		snprintf(err, errlen, "fdatasync(\"%s\") failed: %s", w->j.path, strerror(-src));
		return src;
	}
	w->compactions++;
	return delete_old(w, err, errlen);
}

static int after_append(struct exec_wal *w, uint64_t now_ns, uint64_t now_ms, char *err,
			size_t errlen)
{
	if (w->j.seq == w->cur_seq)
		return 0;
	return compact(w, now_ns, now_ms, err, errlen);
}

int exec_wal_open(struct exec_wal *w, const struct exec_wal_opts *o,
		  const struct exec_wal_pending *pending, size_t n, uint64_t now_ns,
		  uint64_t now_ms, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->j.fd = -1;
	if (o->max_inflight < 1) {
		snprintf(err, errlen, "wal: max_inflight must be >= 1");
		return -EINVAL;
	}
	uint64_t fb = o->max_file_bytes ? o->max_file_bytes : DEFAULT_FILE_BYTES;
	uint64_t need = 2ull * (o->max_inflight * REJOURNAL_MAX + FILLS_REJOURNAL);
	if (fb < need) {
		snprintf(err, errlen,
			 "wal: max_file_bytes must be >= %" PRIu64 " for max_inflight %u (got %" PRIu64
			 ")", need, o->max_inflight, fb);
		return -EINVAL;
	}
	if (n > o->max_inflight) {
		snprintf(err, errlen, "wal: %zu recovered actions exceed max_inflight %u", n,
			 o->max_inflight);
		return -EINVAL;
	}
	w->inflight = calloc(o->max_inflight, sizeof(*w->inflight));
	w->fills = calloc(EXEC_WAL_FILLS_KEPT, sizeof(*w->fills));
	if (!w->inflight || !w->fills) {
		exec_wal_close(w);
		return -ENOMEM;
	}
	w->max_inflight = o->max_inflight;
	struct hat_journal_opts jo = {
		.dir = o->dir,
		.prefix = o->prefix,
		.max_file_bytes = fb,
		/* Only ACTION records must be on disk before the send (exec_wal_action syncs
		 * them); SENT and RESULT are synced lazily, see wal.h. */
		.fsync = HAT_JOURNAL_FSYNC_INTERVAL,
		.fsync_interval_ms = EXEC_WAL_SYNC_INTERVAL_MS,
	};
	int rc = hat_journal_open(&w->j, &jo, now_ns, err, errlen);
	if (rc) {
		w->j.fd = -1;
		exec_wal_close(w);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		w->inflight[w->n_inflight++] = pending[i];
	size_t head = 0, nf = 0;
	for (size_t i = 0; i < o->n_fills; i++)
		fill_keep(w->fills, &head, &nf, &o->fills[i]);
	w->fill_head = (uint32_t)head;
	w->n_fills = (uint32_t)nf;
	rc = compact(w, now_ns, now_ms, err, errlen);
	if (rc)
		exec_wal_close(w);
	return rc;
}

int exec_wal_action(struct exec_wal *w, uint64_t nonce, enum exec_wal_kind kind,
		    const struct exec_wal_order *orders, size_t n_orders, const char *body,
		    size_t body_len, uint64_t now_ns, uint64_t now_ms, char *err, size_t errlen)
{
	if (n_orders > EXEC_WAL_MAX_ORDERS || body_len > EXEC_WAL_MAX_BODY ||
	    kind < EXEC_WAL_ORDER || kind > EXEC_WAL_OTHER) {
		snprintf(err, errlen, "wal: action with %zu orders, %zu body bytes, kind %d: out of "
				      "range (max %d orders, %u bytes)",
			 n_orders, body_len, (int)kind, EXEC_WAL_MAX_ORDERS, EXEC_WAL_MAX_BODY);
		return -EINVAL;
	}
	if (inflight_find(w, nonce)) {
		snprintf(err, errlen, "wal: nonce %" PRIu64 " already in flight", nonce);
		return -EEXIST;
	}
	if (w->n_inflight == w->max_inflight) {
		snprintf(err, errlen, "wal: %u actions in flight (max_inflight)", w->n_inflight);
		return -ENOSPC;
	}
	struct exec_wal_pending *a = &w->inflight[w->n_inflight];
	memset(a, 0, offsetof(struct exec_wal_pending, orders));
	a->nonce = nonce;
	a->ts_ns = now_ns;
	a->kind = (uint8_t)kind;
	a->n_orders = (uint16_t)n_orders;
	if (n_orders)
		memcpy(a->orders, orders, n_orders * sizeof(*orders));
	int rc = append_action(w, a, body, body_len, now_ns, now_ms, err, errlen);
	if (rc == 0) {
		rc = hat_journal_sync(&w->j, now_ms);
		if (rc)
			snprintf(err, errlen, "fdatasync(\"%s\") failed: %s", w->j.path,
				 strerror(-rc));
	}
	if (rc)
		return rc;
	w->n_inflight++;
	return after_append(w, now_ns, now_ms, err, errlen);
}

int exec_wal_sent(struct exec_wal *w, uint64_t nonce, uint64_t now_ns, uint64_t now_ms,
		  char *err, size_t errlen)
{
	struct exec_wal_pending *a = inflight_find(w, nonce);
	if (!a) {
		snprintf(err, errlen, "wal: nonce %" PRIu64 " not in flight", nonce);
		return -ENOENT;
	}
	int rc = append_small(w, EXEC_WAL_REC_SENT, nonce, 0, now_ns, now_ms, err, errlen);
	if (rc)
		return rc;
	a->sent = 1;
	return after_append(w, now_ns, now_ms, err, errlen);
}

int exec_wal_result(struct exec_wal *w, uint64_t nonce, enum exec_wal_outcome outcome,
		    uint64_t now_ns, uint64_t now_ms, char *err, size_t errlen)
{
	struct exec_wal_pending *a = inflight_find(w, nonce);
	if (!a) {
		snprintf(err, errlen, "wal: nonce %" PRIu64 " not in flight", nonce);
		return -ENOENT;
	}
	int rc = append_small(w, EXEC_WAL_REC_RESULT, nonce, (uint8_t)outcome, now_ns, now_ms,
			      err, errlen);
	if (rc)
		return rc;
	/* Unordered set: move the last entry into the hole. */
	*a = w->inflight[--w->n_inflight];
	return after_append(w, now_ns, now_ms, err, errlen);
}

int exec_wal_fill(struct exec_wal *w, const struct exec_wal_fill *f, uint64_t now_ns,
		  uint64_t now_ms, char *err, size_t errlen)
{
	if (!w->inflight)
		return -EBADF;
	int rc = append_fill(w, f, now_ns, now_ms, err, errlen);
	if (rc)
		return rc;
	size_t head = w->fill_head, n = w->n_fills;
	fill_keep(w->fills, &head, &n, f);
	w->fill_head = (uint32_t)head;
	w->n_fills = (uint32_t)n;
	return after_append(w, now_ns, now_ms, err, errlen);
}

int exec_wal_tick(struct exec_wal *w, uint64_t now_ms)
{
	if (!w->inflight)
		return -EBADF;
	return hat_journal_tick(&w->j, now_ms);
}

void exec_wal_close(struct exec_wal *w)
{
	/* inflight is set only while open, so a zeroed struct never closes fd 0. */
	if (w->inflight)
		hat_journal_close(&w->j);
	w->j.fd = -1;
	free(w->inflight);
	free(w->fills);
	w->inflight = NULL;
	w->fills = NULL;
	w->n_inflight = 0;
	w->n_fills = 0;
}
