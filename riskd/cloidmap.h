/* riskd/cloidmap.h -- fixed-capacity hash map from a 16-byte key (a cloid, or a fill's
 * tid+cloid) to a uint32 value, for riskd's working-order book, its recently-seen cloids and
 * its fill de-duplication.
 *
 * Open addressing with linear probing and backward-shift deletion (no tombstones, so lookups
 * stay short however many inserts and deletes happen). The table has 2 * max_items slots
 * rounded up to a power of two, allocated once at init; nothing allocates afterwards. An
 * all-zero key is legal. Single-threaded; no I/O.
 */
#ifndef HAT_RISKD_CLOIDMAP_H
#define HAT_RISKD_CLOIDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RISK_KEY_LEN 16

struct risk_cmap_slot {
	uint8_t key[RISK_KEY_LEN];
	uint32_t val;
	uint32_t used; /* 0 = empty */
};

struct risk_cmap {
	struct risk_cmap_slot *slots; /* owned, freed by risk_cmap_free() */
	uint32_t mask;                /* slot count - 1 */
	uint32_t count;               /* keys stored */
	uint32_t max_items;           /* inserts beyond this fail with -ENOSPC */
};

/* Allocates a map for up to max_items keys (1..1<<24). Returns 0, -EINVAL or -ENOMEM. */
int risk_cmap_init(struct risk_cmap *m, uint32_t max_items);
void risk_cmap_free(struct risk_cmap *m);
void risk_cmap_clear(struct risk_cmap *m);

/* Looks key up; on success stores its value in *val (if not NULL) and returns true. */
bool risk_cmap_get(const struct risk_cmap *m, const uint8_t key[RISK_KEY_LEN], uint32_t *val);

/* Inserts key -> val, or replaces the value of an existing key. Returns 0, or -ENOSPC when
 * the key is new and max_items keys are already stored. */
int risk_cmap_put(struct risk_cmap *m, const uint8_t key[RISK_KEY_LEN], uint32_t val);

/* Removes key. Returns 0, or -ENOENT if it was not there. */
int risk_cmap_del(struct risk_cmap *m, const uint8_t key[RISK_KEY_LEN]);

/* ---------------------------------------------------------------- recent set */

/* The last `cap` distinct keys added, remembered in insertion order: adding a key when cap
 * keys are remembered forgets the oldest. For "was this cloid used recently?" and "was this
 * fill seen already?". Allocates once at init. */
struct risk_recent {
	struct risk_cmap map;
	uint8_t (*fifo)[RISK_KEY_LEN]; /* owned ring of remembered keys */
	uint32_t cap, head, n;
};

/* Returns 0, -EINVAL (cap 0 or > 1<<24) or -ENOMEM. */
int risk_recent_init(struct risk_recent *r, uint32_t cap);
void risk_recent_free(struct risk_recent *r);
void risk_recent_clear(struct risk_recent *r);
static inline bool risk_recent_has(const struct risk_recent *r, const uint8_t key[RISK_KEY_LEN])
{
	return risk_cmap_get(&r->map, key, NULL);
}
/* Remembers key (evicting the oldest if full). Returns true if it was already remembered
 * (then nothing changes), false if it was added. */
bool risk_recent_add(struct risk_recent *r, const uint8_t key[RISK_KEY_LEN]);

#endif
