/* riskd/cloidmap.c -- linear-probing map with backward-shift deletion (see cloidmap.h). */
#include "riskd/cloidmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t hash_key(const uint8_t key[RISK_KEY_LEN])
{
	uint64_t a, b;
	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	/* cloids are often counters or random: mix both halves so either kind spreads. */
	uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return (uint32_t)h;
}

int risk_cmap_init(struct risk_cmap *m, uint32_t max_items)
{
	if (max_items == 0 || max_items > (1u << 24))
		return -EINVAL;
	uint32_t n = 2;
	while (n < 2 * max_items)
		n <<= 1;
	m->slots = calloc(n, sizeof *m->slots);
	if (!m->slots)
		return -ENOMEM;
	m->mask = n - 1;
	m->count = 0;
	m->max_items = max_items;
	return 0;
}

void risk_cmap_free(struct risk_cmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->count = 0;
}

void risk_cmap_clear(struct risk_cmap *m)
{
	memset(m->slots, 0, ((size_t)m->mask + 1) * sizeof *m->slots);
	m->count = 0;
}

static uint32_t find(const struct risk_cmap *m, const uint8_t key[RISK_KEY_LEN], bool *found)
{
	uint32_t i = hash_key(key) & m->mask;
	/* Terminates: the table is at most half full, so an empty slot exists. */
	for (;;) {
		const struct risk_cmap_slot *s = &m->slots[i];
		if (!s->used) {
			*found = false;
			return i;
		}
		if (memcmp(s->key, key, RISK_KEY_LEN) == 0) {
			*found = true;
			return i;
		}
		i = (i + 1) & m->mask;
	}
}

bool risk_cmap_get(const struct risk_cmap *m, const uint8_t key[RISK_KEY_LEN], uint32_t *val)
{
	bool found;
	uint32_t i = find(m, key, &found);
	if (found && val)
		*val = m->slots[i].val;
	return found;
}

int risk_cmap_put(struct risk_cmap *m, const uint8_t key[RISK_KEY_LEN], uint32_t val)
{
	bool found;
	uint32_t i = find(m, key, &found);
	if (!found) {
		if (m->count >= m->max_items)
			return -ENOSPC;
		memcpy(m->slots[i].key, key, RISK_KEY_LEN);
		m->slots[i].used = 1;
		m->count++;
	}
	m->slots[i].val = val;
	return 0;
}

int risk_cmap_del(struct risk_cmap *m, const uint8_t key[RISK_KEY_LEN])
{
	bool found;
	uint32_t hole = find(m, key, &found);
	if (!found)
		return -ENOENT;
	/* Backward shift: move later members of the probe run into the hole when their home
	 * slot does not lie cyclically in (hole, j]; otherwise they would become unreachable. */
	uint32_t j = hole;
	for (;;) {
		j = (j + 1) & m->mask;
		struct risk_cmap_slot *s = &m->slots[j];
		if (!s->used)
			break;
		uint32_t home = hash_key(s->key) & m->mask;
		bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (stays)
			continue;
		m->slots[hole] = *s;
		hole = j;
	}
	memset(&m->slots[hole], 0, sizeof m->slots[hole]);
	m->count--;
	return 0;
}

/* ---------------------------------------------------------------- recent set */

int risk_recent_init(struct risk_recent *r, uint32_t cap)
{
	memset(r, 0, sizeof *r);
	if (cap == 0 || cap > (1u << 24))
		return -EINVAL;
	r->fifo = calloc(cap, sizeof *r->fifo);
	if (!r->fifo)
		return -ENOMEM;
	if (risk_cmap_init(&r->map, cap) != 0) {
		free(r->fifo);
		r->fifo = NULL;
		return -ENOMEM;
	}
	r->cap = cap;
	return 0;
}

void risk_recent_free(struct risk_recent *r)
{
	risk_cmap_free(&r->map);
	free(r->fifo);
	r->fifo = NULL;
	r->n = 0;
}

void risk_recent_clear(struct risk_recent *r)
{
	risk_cmap_clear(&r->map);
	r->head = r->n = 0;
}

bool risk_recent_add(struct risk_recent *r, const uint8_t key[RISK_KEY_LEN])
{
	if (risk_cmap_get(&r->map, key, NULL))
		return true;
	if (r->n == r->cap) {
		risk_cmap_del(&r->map, r->fifo[r->head]);
		r->head = (r->head + 1) % r->cap;
		r->n--;
	}
	memcpy(r->fifo[(r->head + r->n) % r->cap], key, RISK_KEY_LEN);
	r->n++;
	risk_cmap_put(&r->map, key, 1); /* cannot fail: n < cap after the eviction */
	return false;
}
