/* common/buf.h -- a growable byte buffer for building output (JSON, msgpack, HTTP responses).
 *
 * Not for the hot path of the pipeline (it may allocate); reuse one buffer per connection or
 * request loop with hat_buf_reset() so steady state allocates nothing. Single-threaded.
 * A buffer is always NUL-terminated after data[len] once anything was appended, so text can be
 * passed to C string functions. On allocation failure the buffer keeps its old contents and
 * sets ->oom; later appends are no-ops, and callers check hat_buf_ok() once at the end.
 */
#ifndef HAT_COMMON_BUF_H
#define HAT_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

struct hat_buf {
	char *data;  /* owned; NULL until the first append */
	size_t len;  /* bytes used, excluding the trailing NUL */
	size_t cap;  /* bytes allocated */
	bool oom;    /* an append failed to allocate */
};

#define HAT_BUF_INIT { NULL, 0, 0, false }

void hat_buf_init(struct hat_buf *b);
/* Frees the storage; the buffer can be reused after hat_buf_init(). */
void hat_buf_free(struct hat_buf *b);
/* Empties the buffer, keeping its storage. */
void hat_buf_reset(struct hat_buf *b);
/* Ensures room for n more bytes (plus the NUL). Returns 0 or -ENOMEM. */
int hat_buf_reserve(struct hat_buf *b, size_t n);
void hat_buf_append(struct hat_buf *b, const void *p, size_t n);
void hat_buf_puts(struct hat_buf *b, const char *s);
void hat_buf_putc(struct hat_buf *b, char c);
void hat_buf_printf(struct hat_buf *b, const char *fmt, ...) HAT_PRINTF(2, 3);
/* Appends s as a JSON string literal (quotes included), escaping ", \ and control bytes. */
void hat_buf_json_str(struct hat_buf *b, const char *s);
void hat_buf_json_strn(struct hat_buf *b, const char *s, size_t n);
/* The JSON string escape of one byte, shared by every JSON writer (hat_buf_json_str, the
 * logger): writes it into out and returns its length (2 for \" \\ \n \r \t, 6 for \u00XX
 * for the other control bytes), or returns 0 when c stands for itself (bytes >= 0x80 pass
 * through, so UTF-8 stays as it is). */
size_t hat_json_escape(unsigned char c, char out[6]);
/* Drops the first n bytes (n <= len), keeping the rest (for consumed network input). */
void hat_buf_consume(struct hat_buf *b, size_t n);

/* Replaces every occurrence of old (non-empty) in the NUL-terminated text s, left to right and
 * not rescanning replaced text, with repl. s must come from malloc and is consumed: returns the
 * new malloc'd text, or NULL when memory ran out (s is freed then too). */
char *hat_str_replace_all(char *s, const char *old, const char *repl);
static inline bool hat_buf_ok(const struct hat_buf *b) { return !b->oom; }

#endif
