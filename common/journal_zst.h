/* common/journal_zst.h -- cold journals: zstd compression of rotated journal files, a reader
 * that reads plain and compressed journals alike, and the retention sweep.
 *
 * Tiers: hot = rings and the board (shm), warm = the journal files being written or recently
 * rotated (<prefix>-<seq>-<time>.hjl, common/journal.h), cold = rotated files compressed to
 * <same name>.zst (a standard zstd frame of the exact file bytes: `zstd -d` restores the
 * original, and record offsets in a compressed file are those of the original file).
 *
 * The reader (hat_jz_*) recognises a compressed file by the zstd magic, not by its name, and
 * otherwise delegates to common/journal.h's reader, so a plain file reads exactly as feedd
 * --replay reads it. It streams (libzstd's streaming API): memory is the largest record plus
 * fixed buffers, whatever the file size. Its errors and codes are those of
 * hat_journal_reader_open/hat_journal_next, offsets being offsets in the uncompressed journal.
 *
 * Compaction (hat_jz_compact) compresses every journal file of a directory except the newest
 * file of each prefix (a writer may be appending to it), then applies the retention setting:
 * the oldest cold files (by sequence, per prefix) are deleted while cold files are older than
 * max_age_days or their total size exceeds max_bytes. Compression writes <name>.zst.tmp,
 * fsyncs it, checks it decompresses to the same bytes, renames it and only then deletes the
 * original: a crash at any point leaves either the original or both.
 *
 * Single-threaded per handle; no globals. Safe from any process (tools, superd's chore).
 */
#ifndef HAT_COMMON_JOURNAL_ZST_H
#define HAT_COMMON_JOURNAL_ZST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/journal.h"

#define HAT_JZ_SUFFIX ".zst"

struct hat_jz_reader {
	bool zst;                     /* compressed file */
	struct hat_journal_reader plain; /* !zst: the plain reader (fd, buffers) */
	/* zst state */
	int fd;
	char path[PATH_MAX];
	void *ds;                     /* ZSTD_DStream */
	uint8_t *in;                  /* compressed input buffer */
	size_t in_have, in_pos;
	bool in_eof;
	bool frame_done;              /* the last ZSTD_decompressStream returned 0 */
	uint8_t *buf;                 /* decompressed bytes */
	size_t cap, have, pos;
	int sticky;                   /* error code repeated by further calls (0 = none) */
	char sticky_err[256];
	/* both */
	uint64_t created_ns;          /* from the file header */
	uint64_t file_seq;
	uint64_t offset;              /* uncompressed offset of the next (or the bad) record */
	uint64_t records;             /* delivered so far */
	uint64_t file_bytes;          /* size of the file on disk */
};

/* Opens path (plain or zstd-compressed) and checks the journal header. Returns 0, or the
 * codes of hat_journal_reader_open (negative errno, HAT_E_BADMAGIC, HAT_E_BADVERSION,
 * HAT_E_TRUNCATED), plus HAT_E_CRC if the compressed stream is corrupt (err says so) and
 * -ENOMEM. On error nothing is held. */
int hat_jz_open(struct hat_jz_reader *r, const char *path, char *err, size_t errlen);

/* Next record, with hat_journal_next's contract (0, -ENODATA at the clean end, HAT_E_TRUNCATED,
 * HAT_E_CRC -- also for a corrupt compressed stream --, negative errno; after an error every
 * good record before it has been delivered and the error repeats). rec->data is valid until
 * the next call or close. */
int hat_jz_next(struct hat_jz_reader *r, struct hat_journal_rec *rec, char *err, size_t errlen);

/* Bytes of the file on disk consumed so far (for progress: compare with file_bytes). */
uint64_t hat_jz_progress(const struct hat_jz_reader *r);

/* Releases everything. Safe after a failed open and twice. */
void hat_jz_close(struct hat_jz_reader *r);

/* Compresses src into dst (created 0600 via dst.tmp + fsync + rename) at zstd level (1..19;
 * 0 = 3), then checks that dst decompresses to src's bytes. src is left in place. Returns 0,
 * -EEXIST if dst exists, HAT_E_CRC if the check fails (dst removed), -ENOMEM, or a negative
 * errno (err names the call and path). */
int hat_jz_compress_file(const char *src, const char *dst, int level, char *err, size_t errlen);

struct hat_jz_retention {
	uint32_t max_age_days;        /* delete cold files created longer ago; 0 = no age limit */
	uint64_t max_bytes;           /* keep the cold files' total at most this; 0 = no limit */
	int level;                    /* zstd level; 0 = 3 */
	bool compress_newest;         /* also compress each prefix's newest file (the writer is
				       * known to be stopped) */
};

struct hat_jz_compact_stats {
	uint32_t compressed;          /* files compressed */
	uint64_t bytes_before, bytes_after; /* of the files compressed */
	uint32_t deleted;             /* cold files deleted by retention */
	uint64_t bytes_deleted;
	uint32_t skipped;             /* newest files left warm */
	uint64_t cold_bytes;          /* cold bytes left */
};

/* Compacts dir (see the file comment). now_ns (CLOCK_REALTIME) drives the age limit (a
 * file's age is taken from the time in its name). Files that are not journal files are never
 * touched. Returns 0 or the first error (err names the file; files done before it stay done). */
int hat_jz_compact(const char *dir, const struct hat_jz_retention *ret, uint64_t now_ns,
		   struct hat_jz_compact_stats *st, char *err, size_t errlen);

/* Whether name looks like a journal file: <prefix>-<8 digits>-<yyyymmddThhmmss>.hjl[.zst]
 * (*cold set for .zst), or any name ending in .hjl, .journal (plus optional .zst). */
bool hat_jz_is_journal_name(const char *name, bool *cold);

#endif
