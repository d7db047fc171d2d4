/* execd/audit.h -- the audit trail: every action sent and every response, as hash-chained
 * JSON lines in an append-only file.
 *
 * Line format (one line per record, fields in this order, no spaces):
 *   {"seq":N,"ts":MS,"kind":"request|response|event","nonce":NONCE,"body":BODY,
 *    "prev":"<64 hex>","hash":"<64 hex>"}\n
 *   seq   1, 2, 3, ... (line number in the file)
 *   ts    caller's CLOCK_REALTIME ms
 *   nonce the action's nonce (0 if none)
 *   body  the request/response JSON as given when it parses as JSON and holds no raw newline,
 *         else a JSON string with its text (so any bytes can be audited)
 *   prev  the previous line's hash; 64 zeros for line 1
 *   hash  BLAKE2b-256 (crypto_generichash, no key) of the line's text WITHOUT the hash field:
 *         everything before ,"hash":" followed by "}" (i.e. {"seq":..,"prev":"..."}).
 * The chain detects any modified, inserted, deleted or reordered line: the verifier reports
 * the first line whose hash, prev or seq is wrong. Removing lines at the END cannot be seen
 * from the chain alone: execd logs the last seq and hash (exec_audit_head) at every rotation of
 * its log so the tail is anchored elsewhere.
 *
 * The audit file never holds the key: requests carry signatures only. Single-threaded (execd's
 * main loop); one writer per file (opened O_APPEND, mode 0600). Each line is written with one
 * write(2); a line torn by a crash is cut off when the file is reopened (counted in torn_bytes).
 */
#ifndef HAT_EXECD_AUDIT_H
#define HAT_EXECD_AUDIT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define EXEC_AUDIT_HASH_LEN 32
#define EXEC_AUDIT_MAX_LINE (4u << 20) /* longest line the verifier accepts */

enum exec_audit_kind {
	EXEC_AUDIT_REQUEST = 1,
	EXEC_AUDIT_RESPONSE = 2,
	EXEC_AUDIT_EVENT = 3,
};

struct exec_audit {
	int fd;                          /* -1 when closed */
	char path[PATH_MAX];
	uint64_t seq;                    /* seq of the last line written (0: empty file) */
	uint8_t prev[EXEC_AUDIT_HASH_LEN]; /* hash of the last line (zeros: empty file) */
	uint64_t torn_bytes;             /* bytes of a torn last line cut off at open */
	struct hat_buf line;             /* owned scratch buffer, reused */
};

/* Opens (creating, mode 0600) the audit file at path for appending. An existing file's last
 * line gives seq and prev (only the last line is read; run exec_audit_verify for the whole
 * chain); a torn last line (no newline) is truncated away. Returns 0, HAT_E_PARSE if the last
 * complete line is not an audit line (err names path and line), or a negative errno from
 * open/read/ftruncate (err names the call and path). */
int exec_audit_open(struct exec_audit *a, const char *path, char *err, size_t errlen);

/* Appends one line. body[0..len) is borrowed (len 0: "body":null). Returns 0, -EBADF if
 * closed, -EINVAL for an unknown kind, -EMSGSIZE if the line (body escaped) would be longer
 * than EXEC_AUDIT_MAX_LINE, which the verifier refuses, -ENOMEM, or a negative errno from write
 * (err names the call; a short write leaves a torn line that the next open cuts off). */
int exec_audit_append(struct exec_audit *a, enum exec_audit_kind kind, uint64_t ts_ms,
		      uint64_t nonce, const char *body, size_t len, char *err, size_t errlen);

/* The last line's seq and hash (hex, 65 bytes with NUL). */
void exec_audit_head(const struct exec_audit *a, uint64_t *seq, char hash_hex[65]);

/* Closes and frees. Safe on a zeroed struct (fd must be -1 or 0-initialized via open) and twice. */
void exec_audit_close(struct exec_audit *a);

/* Verifies the whole file at path. On success returns 0 with *lines = line count (and
 * bad_line = 0). Otherwise returns HAT_E_CRC with *bad_line = the first bad line (1-based) and
 * err "line K: hash mismatch (stored <8 hex>..., computed <8 hex>...)", "line K: prev does not
 * match line K-1's hash", "line K: seq S, expected K", "line K: not an audit line (<what>)",
 * or "line K: no newline at end of file"; or a negative errno from open/read (bad_line 0).
 * lines and bad_line may be NULL. */
int exec_audit_verify(const char *path, uint64_t *lines, uint64_t *bad_line, char *err,
		      size_t errlen);

#endif
