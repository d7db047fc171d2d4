/* common/journal_int.h -- what common/journal.c and common/journal_zst.c share: the on-disk
 * integer encoding, a write loop, and the checks of one record. Implementation only, not part
 * of the journal API (callers use journal.h / journal_zst.h).
 */
#ifndef HAT_COMMON_JOURNAL_INT_H
#define HAT_COMMON_JOURNAL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/journal.h"

/* Integers on disk are in host order, which is little-endian on every host hat runs on. */
static inline void hat__put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void hat__put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint32_t hat__get_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t hat__get_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* write(2) until all n bytes are written, retrying EINTR. Returns 0 or -errno. */
int hat__write_all(int fd, const void *p, size_t n);

/* Checks the record header h[0..HAT_JOURNAL_REC_HDR) found at byte offset of path: header
 * checksum and the length limit. Sets *len to the payload length. Returns 0, or HAT_E_CRC with
 * err naming path and offset. */
int hat__journal_rec_header(const uint8_t *h, const char *path, uint64_t offset, uint32_t *len,
			    char *err, size_t errlen);

/* Checks the payload checksum of the record at h (header + len payload bytes in memory) and
 * fills rec (rec->data points into h). Returns 0, or HAT_E_CRC with err naming path and
 * offset (rec untouched). */
int hat__journal_rec_payload(const uint8_t *h, uint32_t len, const char *path, uint64_t offset,
			     struct hat_journal_rec *rec, char *err, size_t errlen);

#endif
