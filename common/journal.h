/* common/journal.h -- append-only journal of checksummed, time-stamped records.
 *
 * Used for feedd's recording of received frames (replayed by feedd --replay), execd's
 * write-ahead log of what it sent, and exports. One writer per journal directory+prefix; any
 * number of readers. Single-threaded per handle; no globals.
 *
 * File layout (all integers little-endian, as written by x86-64/aarch64):
 *   file header, 32 bytes: magic "HATJRNL1", u32 version (1), u32 header size (32),
 *                          u64 created_ns (CLOCK_REALTIME), u64 file sequence number
 *   records, back to back, each a 24-byte header then the payload:
 *     u32 len       payload bytes (<= HAT_JOURNAL_MAX_RECORD)
 *     u32 type      caller-defined record type
 *     u64 ts_ns     caller-supplied time stamp (feedd: frame receive time, CLOCK_REALTIME)
 *     u32 data_crc  CRC32C of the payload
 *     u32 hdr_crc   CRC32C of the first 20 header bytes (len, type, ts_ns, data_crc)
 *     payload
 * The header has its own CRC so that a damaged length is reported as corruption (HAT_E_CRC)
 * and never misread as a short file; a file that simply ends inside a record (a torn write,
 * a copy in progress) is HAT_E_TRUNCATED. Either way the reader has delivered every good
 * record before the bad one and reports the bad record's byte offset in the file.
 *
 * Files are named <dir>/<prefix>-<seq, 8 digits>-<UTC yyyymmddThhmmss>.hjl. A writer never
 * appends to an existing file: on open it starts a new file whose sequence is one past the
 * highest present, so a writer killed at any moment leaves a file with at most a torn tail
 * and a restarted writer simply carries on in the next file. Rotation starts a new file when
 * the current one would exceed max_file_bytes (a single larger record still gets written, to
 * a file of its own).
 *
 * Durability: every append is written to the kernel before it returns (a crash of the process
 * loses nothing appended). fsync policy: NEVER (the OS decides), INTERVAL (fdatasync at most
 * every interval_ms, from append or hat_journal_tick), ALWAYS (fdatasync in every append,
 * execd's write-ahead log).
 */
#ifndef HAT_COMMON_JOURNAL_H
#define HAT_COMMON_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>

#define HAT_JOURNAL_MAGIC "HATJRNL1"
#define HAT_JOURNAL_VERSION 1u
#define HAT_JOURNAL_FILE_HDR 32u
#define HAT_JOURNAL_REC_HDR 24u
#define HAT_JOURNAL_MAX_RECORD (64u << 20) /* 64 MiB per record payload */
#define HAT_JOURNAL_SUFFIX ".hjl"

/* ---------------------------------------------------------------- CRC32C */

/* CRC32C (Castagnoli, reflected, init/xorout 0xffffffff) of p[0..n), continuing from crc
 * (pass 0 to start). hat_crc32c("123456789", 9, 0) == 0xe3069283. Uses the SSE4.2 crc32
 * instruction when the CPU has it, a table otherwise; both give the same result. */
uint32_t hat_crc32c(const void *p, size_t n, uint32_t crc);
/* The table-driven software path, always available (tests compare both). */
uint32_t hat_crc32c_sw(const void *p, size_t n, uint32_t crc);

/* ---------------------------------------------------------------- writer */

enum hat_journal_fsync {
	HAT_JOURNAL_FSYNC_NEVER = 0,
	HAT_JOURNAL_FSYNC_INTERVAL = 1,
	HAT_JOURNAL_FSYNC_ALWAYS = 2,
};

struct hat_journal_opts {
	const char *dir;          /* existing directory; borrowed for hat_journal_open() */
	const char *prefix;       /* file name prefix ([A-Za-z0-9_.-]+), e.g. "feed" */
	uint64_t max_file_bytes;  /* rotate when a file would grow past this; 0 = never */
	enum hat_journal_fsync fsync;
	uint32_t fsync_interval_ms; /* INTERVAL only, > 0 */
};

struct hat_journal {
	int fd;                   /* current file, -1 when closed */
	char dir[PATH_MAX / 2];
	char prefix[64];
	char path[PATH_MAX];      /* current file's path */
	uint64_t seq;             /* current file's sequence number */
	uint64_t file_bytes;      /* bytes in the current file */
	uint64_t max_file_bytes;
	enum hat_journal_fsync fsync;
	uint32_t fsync_interval_ms;
	uint64_t last_sync_ms;    /* now_ms of the last fdatasync */
	bool dirty;               /* written since the last fdatasync */
	uint64_t records;         /* appended since open (all files) */
	uint64_t bytes;           /* appended since open, headers included */
	uint64_t rotations;       /* files started after the first */
};

/* Opens a journal for appending: creates the next file <dir>/<prefix>-<seq>-<time>.hjl
 * (mode 0600) and writes its header. now_ns (CLOCK_REALTIME) names the file and fills
 * created_ns. Returns 0, -EINVAL for bad options (err names the option), or a negative errno
 * from the OS (err names the call and path). */
int hat_journal_open(struct hat_journal *j, const struct hat_journal_opts *o, uint64_t now_ns,
		     char *err, size_t errlen);

/* Appends one record (payload borrowed for the call), rotating first if needed, and fsyncs
 * per policy (now_ms, monotonic, drives INTERVAL). Returns 0, -EMSGSIZE if len >
 * HAT_JOURNAL_MAX_RECORD, -EBADF if the journal is closed, or a negative errno from
 * write/open/fdatasync (logged to err; after a failed write the file may hold a torn tail,
 * which readers report as HAT_E_TRUNCATED, and the next append starts a new file). */
int hat_journal_append(struct hat_journal *j, uint32_t type, uint64_t ts_ns, const void *payload,
		       size_t len, uint64_t now_ns, uint64_t now_ms, char *err, size_t errlen);

/* The before-sleep chore: with policy INTERVAL, fdatasyncs if dirty and interval_ms passed.
 * Returns 0 or a negative errno from fdatasync. */
int hat_journal_tick(struct hat_journal *j, uint64_t now_ms);

/* fdatasyncs now if anything was written since the last sync. Returns 0 or a negative errno. */
int hat_journal_sync(struct hat_journal *j, uint64_t now_ms);

/* Syncs (unless policy NEVER) and closes. Safe to call twice. */
void hat_journal_close(struct hat_journal *j);

/* ---------------------------------------------------------------- listing */

struct hat_journal_file {
	uint64_t seq;          /* from the file name */
	char path[PATH_MAX];
};

/* Lists the journal files <dir>/<prefix>-<seq>-*.hjl in sequence order (what a reader of a
 * rotated journal -- a replay, execd's recovery -- goes through). *out is allocated (free it
 * with hat_journal_list_free; NULL when *n is 0). Returns 0, -EINVAL (bad prefix), -ENOMEM,
 * or a negative errno of opendir (err names the directory). */
int hat_journal_list(const char *dir, const char *prefix, struct hat_journal_file **out,
		     size_t *n, char *err, size_t errlen);
void hat_journal_list_free(struct hat_journal_file *files);

/* ---------------------------------------------------------------- reader */

struct hat_journal_rec {
	uint32_t type;
	uint64_t ts_ns;
	const uint8_t *data;  /* valid until the next hat_journal_next() or close */
	uint32_t len;
	uint64_t offset;      /* byte offset of the record header in the file */
};

struct hat_journal_reader {
	int fd;
	char path[PATH_MAX];
	uint8_t *buf;         /* owned read buffer */
	size_t cap;           /* bytes allocated in buf */
	size_t have;          /* bytes valid in buf */
	size_t pos;           /* parse position in buf */
	uint64_t buf_off;     /* file offset of buf[0] */
	bool eof;             /* read() returned 0 */
	uint64_t created_ns;  /* from the file header */
	uint64_t file_seq;    /* from the file header */
	uint64_t offset;      /* file offset of the next record (or of the bad one after an error) */
	uint64_t records;     /* delivered so far */
};

/* Opens path and checks the file header. Returns 0, a negative errno from open/read (err
 * names the path), HAT_E_BADMAGIC (not a journal), HAT_E_BADVERSION, or HAT_E_TRUNCATED (the
 * file is shorter than its header). */
int hat_journal_reader_open(struct hat_journal_reader *r, const char *path, char *err,
			    size_t errlen);

/* Delivers the next record into *rec. Returns 0 (a good record), -ENODATA at a clean end of
 * file, HAT_E_TRUNCATED if the file ends inside a record, HAT_E_CRC if a header or payload
 * checksum does not match (or a length is impossible), or a negative errno from read().
 * After an error, r->offset (also named in err) is the byte offset of the bad record and
 * every record before it has been delivered; further calls return the same error. */
int hat_journal_next(struct hat_journal_reader *r, struct hat_journal_rec *rec, char *err,
		     size_t errlen);

void hat_journal_reader_close(struct hat_journal_reader *r);

#endif
