/* common/shm.h -- named POSIX shared-memory segments with a self-describing header.
 *
 * Every segment of hat is called /hat.<instance>.<name> (mode 0600) and starts with a
 * struct hat_shm_hdr: magic, layout version, kind, total size, creation time, creator pid and
 * a copy of its name. superd (or a test harness) creates the segments before the stages start;
 * stages and tools open them and refuse a header that does not match, with an error that names
 * the segment and says what to do:
 *
 *   shm /hat.main.md: bad magic 0x0 (not a hat segment; recreate it with superd)
 *
 * Two structs per STYLE rule 5: struct hat_shm_hdr lives in the segment (fixed-width fields
 * only); struct hat_shm is the per-process handle (mapping, size, name). A segment can be opened
 * read-only (HAT_SHM_RDONLY): the mapping is PROT_READ, so an inspector cannot disturb it.
 *
 * The header is written by hat_shm_create() with the magic stored last (release), so an opener
 * that sees the magic (acquire) sees the whole header. The body after the header is zero-filled
 * at creation and belongs to the kind's module (ring.c, board.c, control.c).
 *
 * Thread/process safety: the functions here are safe from any process; a handle is used by one
 * thread at a time. No function logs; failures are described in the caller's err buffer.
 */
#ifndef HAT_COMMON_SHM_H
#define HAT_COMMON_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

#define HAT_SHM_MAGIC 0x3174616873746168ULL /* "hatshta1" little-endian: 'h','a','t','s','h','t','a','1' */
#define HAT_SHM_HDR_SIZE 128                /* bytes; the body starts here (64-aligned) */
#define HAT_SHM_NAME_MAX 64                 /* "/hat.<instance>.<name>" + NUL must fit */

/* What a segment holds (hdr.kind). Values are stable forever; add new kinds at the end.
 * Kinds 1000 and above are free for tests. */
enum hat_shm_kind {
	HAT_SHM_KIND_ANY = 0,     /* only as an argument: accept any kind (inspector) */
	HAT_SHM_KIND_RING = 1,    /* common/ring.h */
	HAT_SHM_KIND_BOARD = 2,   /* common/board.h */
	HAT_SHM_KIND_CONTROL = 3, /* common/control.h */
	HAT_SHM_KIND_TEST = 1000,
};

/* The first 128 bytes of every segment (shared; fixed-width fields only). */
struct hat_shm_hdr {
	uint64_t magic;          /* HAT_SHM_MAGIC; stored last at creation */
	uint32_t layout_version; /* version of the kind's layout (e.g. HAT_RING_LAYOUT_VERSION) */
	uint32_t kind;           /* enum hat_shm_kind */
	uint64_t size;           /* total segment bytes, header included */
	uint64_t created_ns;     /* CLOCK_REALTIME ns at creation */
	int32_t creator_pid;     /* pid of the creating process */
	uint32_t _pad0;
	char name[HAT_SHM_NAME_MAX]; /* "/hat.<instance>.<name>", NUL-padded */
	uint8_t _reserved[24];   /* zero */
};
HAT_ASSERT_SIZE(struct hat_shm_hdr, HAT_SHM_HDR_SIZE);
HAT_ASSERT_OFFSET(struct hat_shm_hdr, magic, 0);
HAT_ASSERT_OFFSET(struct hat_shm_hdr, layout_version, 8);
HAT_ASSERT_OFFSET(struct hat_shm_hdr, kind, 12);
HAT_ASSERT_OFFSET(struct hat_shm_hdr, size, 16);
HAT_ASSERT_OFFSET(struct hat_shm_hdr, created_ns, 24);
HAT_ASSERT_OFFSET(struct hat_shm_hdr, creator_pid, 32);
HAT_ASSERT_OFFSET(struct hat_shm_hdr, name, 40);

/* Open flags. */
enum hat_shm_flags {
	HAT_SHM_RDONLY = 1u << 0, /* map PROT_READ (O_RDONLY): inspectors, read-only ring roles */
};

/* The per-process handle (local; never placed in shared memory). Zero-initialise or let
 * create/open fill it. */
struct hat_shm {
	void *base;                  /* mapping address (the header), NULL when closed */
	size_t size;                 /* mapped bytes == hdr->size */
	unsigned flags;              /* enum hat_shm_flags it was opened with */
	char name[HAT_SHM_NAME_MAX]; /* "/hat.<instance>.<name>" */
};

/* Builds "/hat.<instance>.<name>" into buf. instance: 1+ chars of [A-Za-z0-9_-]; name: 1+
 * chars of [A-Za-z0-9_.-] (e.g. "md", "cmd.riskd"). Returns 0, or -EINVAL (bad character or
 * empty: err names it) or -ENAMETOOLONG (does not fit buf or HAT_SHM_NAME_MAX). */
int hat_shm_name(char *buf, size_t len, const char *instance, const char *name, char *err,
		 size_t errlen);

/* Creates /hat.<instance>.<name> (O_EXCL, mode 0600) of size bytes (>= HAT_SHM_HDR_SIZE),
 * zero-filled, with its header filled (magic last), and maps it read-write into *s.
 * Returns 0, -EINVAL / -ENAMETOOLONG (bad name, size too small, kind 0), -EEXIST (a segment of
 * that name exists: unlink it first or open it), -ENOMEM/-ENOSPC (no room in /dev/shm), or the
 * negative errno of shm_open/ftruncate/mmap; err says which call failed on which segment.
 * On failure nothing is left behind (the half-made segment is unlinked). */
int hat_shm_create(struct hat_shm *s, const char *instance, const char *name, uint32_t kind,
		   uint32_t layout_version, size_t size, char *err, size_t errlen);

/* Same as hat_shm_create() but leaves the magic 0, so openers refuse the segment
 * (HAT_E_BADMAGIC) until hat_shm_publish(): for modules that initialise their body after
 * creation (ring.c writes its config and indices, then publishes). If the creator dies before
 * publishing, the segment stays refused until someone unlinks it and creates it again. */
int hat_shm_create_begin(struct hat_shm *s, const char *instance, const char *name,
			 uint32_t kind, uint32_t layout_version, size_t size, char *err,
			 size_t errlen);

/* Stores the magic with release: everything written to the segment before is visible to any
 * opener that sees the magic. Creator only, once. */
void hat_shm_publish(struct hat_shm *s);

/* Opens and maps an existing segment, then checks its header, in this order:
 *   HAT_E_BADSIZE    the segment is smaller than the header;
 *   HAT_E_BADMAGIC   wrong magic (not a hat segment, or its creation never finished);
 *   HAT_E_BADSIZE    hdr.size differs from the segment's real size;
 *   HAT_E_BADMAGIC   kind != HAT_SHM_KIND_ANY and hdr.kind differs (a hat segment of another
 *                    kind: err names both kinds);
 *   HAT_E_BADVERSION layout_version != 0 and hdr.layout_version differs;
 *   HAT_E_BADSIZE    expect_size != 0 and hdr.size != expect_size.
 * Other returns: 0, -ENOENT (no such segment), -EACCES (not ours), -EINVAL/-ENAMETOOLONG (bad
 * name), other negative errno of shm_open/fstat/mmap. err names the segment and the mismatch.
 * flags: HAT_SHM_RDONLY maps read-only. On failure *s is left closed (base NULL). */
int hat_shm_open(struct hat_shm *s, const char *instance, const char *name, uint32_t kind,
		 uint32_t layout_version, size_t expect_size, unsigned flags, char *err,
		 size_t errlen);

/* Unmaps (the segment itself stays). Safe on a closed or zeroed handle; idempotent. */
void hat_shm_close(struct hat_shm *s);

/* Removes /hat.<instance>.<name> from the namespace (mappings stay valid until closed).
 * Returns 0, -ENOENT (no such segment), -EINVAL/-ENAMETOOLONG, or another negative errno. */
int hat_shm_unlink(const char *instance, const char *name, char *err, size_t errlen);

/* The header and the body (HAT_SHM_HDR_SIZE bytes in) of an open segment. */
static inline struct hat_shm_hdr *hat_shm_hdr(const struct hat_shm *s)
{
	return (struct hat_shm_hdr *)s->base;
}
static inline void *hat_shm_body(const struct hat_shm *s)
{
	return (char *)s->base + HAT_SHM_HDR_SIZE;
}

/* Name of a kind ("ring", "board", "control", "test", "unknown"). Static string. */
const char *hat_shm_kind_name(uint32_t kind);

#endif
