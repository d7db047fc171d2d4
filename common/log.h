/* common/log.h -- structured logging: one JSON object per line.
 *
 *   {"ts":"2026-11-24T17:40:01.123Z","level":"warn","stage":"feedd","event":"ws_reconnect","attempt":3}
 *
 * Each line is formatted into a buffer inside the call (on the stack, HAT_LOG_LINE_MAX bytes,
 * no allocation) and written with ONE write(2), so lines from several processes sharing a file
 * opened with O_APPEND or a pipe never interleave (a line is at most PIPE_BUF bytes). A line
 * that would be longer is cut at a field boundary and gets "truncated":true. Strings are
 * escaped as JSON (quotes, backslash, control bytes); invalid UTF-8 is passed through.
 *
 * Two ways to add fields:
 *   - hat_log(log, HAT_LOG_INFO, "order_sent", "coin=%s px=%s n=%d", coin, px_text, n):
 *     the format is a space-separated list of key=%conv; %s values become JSON strings,
 *     integer and floating conversions become JSON numbers (NaN/inf become strings), %x/%o/%p/%c
 *     become strings. Checked by the compiler like printf.
 *   - the builder, for computed field sets or fixed-point values:
 *       struct hat_log_rec r;
 *       if (hat_log_begin(&r, log, HAT_LOG_INFO, "fill")) {
 *           hat_log_str(&r, "coin", coin); hat_log_fx(&r, "px", px); hat_log_end(&r);
 *       }
 *
 * Process-wide logger (the one documented exception to STYLE rule 9): main() may register its
 * logger with hat_log_set_process(); passing NULL as the log to any function here uses it
 * (or, if none was set, stderr at level info with stage "-"). The pointer is set once before
 * any thread starts and never changed; modules still take an explicit struct hat_log * where
 * they have a context.
 *
 * Thread-safety: concurrent calls on one struct hat_log are safe (one write per line); the
 * rate limiter struct is not (one per call site per thread).
 * Secrets never go into a log: there is no field type for keys.
 */
#ifndef HAT_COMMON_LOG_H
#define HAT_COMMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

#define HAT_LOG_LINE_MAX 4096 /* = PIPE_BUF on Linux: one atomic write */
#define HAT_LOG_STAGE_LEN 24

enum hat_log_level {
	HAT_LOG_DEBUG = 0,
	HAT_LOG_INFO = 1,
	HAT_LOG_WARN = 2,
	HAT_LOG_ERROR = 3,
	HAT_LOG_FATAL = 4,
};

struct hat_log {
	int fd;                     /* where lines go */
	int own_fd;                 /* 1 if hat_log_close() closes fd */
	int min_level;              /* lines below are dropped */
	char stage[HAT_LOG_STAGE_LEN]; /* "stage" field */
	/* Clock for "ts" (CLOCK_REALTIME ns); NULL = the real clock. Tests inject one. */
	uint64_t (*clock_ns)(void *user);
	void *clock_user;
	uint64_t write_errors;      /* lines lost to a failed or short write (relaxed atomic) */
};

/* ---------------------------------------------------------------- setup */

/* Logs to an already-open fd (not closed by hat_log_close()). stage is copied (truncated to
 * HAT_LOG_STAGE_LEN - 1). */
void hat_log_init_fd(struct hat_log *log, const char *stage, int fd, int min_level);

/* Logs to path (created 0640, O_APPEND) or to stderr if path is NULL or "-".
 * Returns 0, or a negative errno of open(2) with err naming the path:
 * "open(\"/var/log/hat/feedd.log\") failed: Permission denied". */
int hat_log_open(struct hat_log *log, const char *stage, const char *path, int min_level,
		 char *err, size_t errlen);

/* Closes the fd if the logger opened it. The struct can be reused after init again. */
void hat_log_close(struct hat_log *log);

/* Parses "debug", "info", "warn", "error", "fatal". Returns the level or -EINVAL. */
int hat_log_level_parse(const char *s);
const char *hat_log_level_name(int level);

/* Registers the process-wide logger (see the file comment); log is kept until the process
 * exits or another call replaces it. Call from main before starting threads. */
void hat_log_set_process(struct hat_log *log);
/* The process-wide logger, or a built-in stderr logger if none was set. Never NULL. */
struct hat_log *hat_log_process(void);

static inline bool hat_log_enabled(const struct hat_log *log, int level)
{
	return level >= (log ? log->min_level : hat_log_process()->min_level);
}

/* ---------------------------------------------------------------- logging */

/* Writes one line with the given fields (see the file comment for the fmt language; fmt may be
 * NULL or "" for no fields). log NULL = process logger. */
void hat_log(struct hat_log *log, int level, const char *event, const char *fmt, ...)
	HAT_PRINTF(4, 5);
void hat_logv(struct hat_log *log, int level, const char *event, const char *fmt, va_list ap)
	HAT_PRINTF(4, 0);

/* Failure-site helper for system calls (STYLE rule 3): level error, event "syscall_failed",
 * fields call, arg (omitted if NULL), errno, error (strerror) and msg, e.g.
 *   "msg":"shm_open(\"/hat.main.md\") failed: Permission denied"
 * errnum is a positive errno value (pass errno) or a negative code (then hat_strerror()). */
void hat_log_syserr(struct hat_log *log, const char *call, const char *arg, int errnum);

/* ---------------------------------------------------------------- rate limiting */

/* Lets through the first call, then at most one call per every_n calls and/or per interval_ns
 * (whichever fields are non-zero; both zero = no limit). Suppressed calls are counted and the
 * next line that gets through carries "suppressed":<count since the last line>. One per call
 * site; caller-owned; not thread-safe. */
struct hat_log_rl {
	uint64_t every_n;      /* 0 = no count limit */
	uint64_t interval_ns;  /* 0 = no time limit */
	uint64_t calls;        /* calls since the last logged one */
	uint64_t last_ns;      /* time of the last logged call */
	uint64_t suppressed;   /* suppressed since the last logged line */
	uint64_t total_suppressed;
	uint8_t started;
};
void hat_log_rl_init(struct hat_log_rl *rl, uint64_t every_n, uint64_t interval_ns);
/* Decides whether a call at now_ns may log; counts it as suppressed if not. */
bool hat_log_rl_allow(struct hat_log_rl *rl, uint64_t now_ns);
/* hat_log() through the limiter. Returns true if the line was written (or would have been,
 * if below the level). */
bool hat_log_rl(struct hat_log *log, struct hat_log_rl *rl, uint64_t now_ns, int level,
		const char *event, const char *fmt, ...) HAT_PRINTF(6, 7);

/* ---------------------------------------------------------------- builder */

struct hat_log_rec {
	struct hat_log *log;
	size_t len;        /* bytes used in buf */
	size_t mark;       /* len before the field being added (for truncation) */
	int truncated;
	char buf[HAT_LOG_LINE_MAX];
};

/* Starts a line. Returns false (and the line must not be continued) if level is below the
 * logger's minimum. rec lives on the caller's stack. */
bool hat_log_begin(struct hat_log_rec *r, struct hat_log *log, int level, const char *event);
void hat_log_str(struct hat_log_rec *r, const char *key, const char *val); /* NULL -> null */
void hat_log_strn(struct hat_log_rec *r, const char *key, const char *val, size_t n);
void hat_log_i64(struct hat_log_rec *r, const char *key, int64_t v);
void hat_log_u64(struct hat_log_rec *r, const char *key, uint64_t v);
void hat_log_f64(struct hat_log_rec *r, const char *key, double v);
void hat_log_bool(struct hat_log_rec *r, const char *key, bool v);
/* A 1e-8 fixed-point value as an exact decimal string ("67000.5"). */
void hat_log_fx(struct hat_log_rec *r, const char *key, int64_t v);
/* A pre-formatted JSON value (object, array, number), inserted verbatim; caller guarantees
 * it is valid JSON. */
void hat_log_raw(struct hat_log_rec *r, const char *key, const char *json, size_t n);
/* Adds fields from a fmt list as in hat_log(). */
void hat_log_fieldsv(struct hat_log_rec *r, const char *fmt, va_list ap) HAT_PRINTF(2, 0);
/* Closes the object, appends '\n' and writes the line with one write(2). */
void hat_log_end(struct hat_log_rec *r);

#endif
