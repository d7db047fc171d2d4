/* execd/audit.c -- hash-chained JSON-lines audit trail. */
#include "execd/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "common/err.h"

/* The fixed tail of every line: ,"prev":"<64>","hash":"<64>"}  (newline not included). */
#define PREV_KEY ",\"prev\":\""
#define HASH_KEY "\",\"hash\":\""
#define PREV_KEY_LEN 9u
#define HASH_KEY_LEN 10u
#define TAIL_LEN (PREV_KEY_LEN + 64u + HASH_KEY_LEN + 64u + 2u)
#define SEQ_KEY "{\"seq\":"

static const char *kind_name(enum exec_audit_kind k)
{
	switch (k) {
	case EXEC_AUDIT_REQUEST: return "request";
	case EXEC_AUDIT_RESPONSE: return "response";
	case EXEC_AUDIT_EVENT: return "event";
	}
	return NULL;
}

/* BLAKE2b-256 of text[0..len) followed by "}": the line without its hash field. */
static void line_hash(const char *text, size_t len, uint8_t out[EXEC_AUDIT_HASH_LEN])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, EXEC_AUDIT_HASH_LEN);
	crypto_generichash_update(&st, (const unsigned char *)text, len);
	crypto_generichash_update(&st, (const unsigned char *)"}", 1);
	crypto_generichash_final(&st, out, EXEC_AUDIT_HASH_LEN);
}

static bool hex32(const char *s, uint8_t out[32])
{
	for (int i = 0; i < 64; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	size_t bl = 0;
	return sodium_hex2bin(out, 32, s, 64, NULL, &bl, NULL) == 0 && bl == 32;
}

/* Splits an audit line (without newline) into seq, prev, stored hash and the hashed length.
 * Returns NULL or a description of what is wrong. */
static const char *parse_line(const char *l, size_t len, uint64_t *seq, uint8_t prev[32],
			      uint8_t hash[32], size_t *hashed_len)
{
	size_t sk = strlen(SEQ_KEY);
	if (len < sk + 1 + TAIL_LEN || memcmp(l, SEQ_KEY, sk) != 0)
		return "does not start with {\"seq\":";
	const char *t = l + len - TAIL_LEN;
	if (memcmp(t, PREV_KEY, PREV_KEY_LEN) != 0 ||
	    memcmp(t + PREV_KEY_LEN + 64, HASH_KEY, HASH_KEY_LEN) != 0 ||
	    memcmp(t + TAIL_LEN - 2, "\"}", 2) != 0)
		return "does not end with ,\"prev\":\"<64 hex>\",\"hash\":\"<64 hex>\"}";
	if (!hex32(t + PREV_KEY_LEN, prev))
		return "prev is not 64 lowercase hex digits";
	if (!hex32(t + PREV_KEY_LEN + 64 + HASH_KEY_LEN, hash))
		return "hash is not 64 lowercase hex digits";
	uint64_t v = 0;
	size_t i = sk;
	if (l[i] < '0' || l[i] > '9')
		return "seq is not a number";
	for (; i < len && l[i] >= '0' && l[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return "seq is too large";
		v = v * 10 + (uint64_t)(l[i] - '0');
	}
	if (l[i] != ',')
		return "seq is not a number";
	*seq = v;
	/* Hashed text: up to and including prev's closing quote. */
	*hashed_len = len - TAIL_LEN + PREV_KEY_LEN + 64 + 1;
	return NULL;
}

/* ---------------------------------------------------------------- writer */

/* Finds the last complete line of fd (size bytes); cuts a torn tail. */
static int load_tail(struct exec_audit *a, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(a->fd, &st) != 0) {
		int e = errno;
		snprintf(err, errlen, "fstat(\"%s\") failed: %s", a->path, strerror(e));
		return -e;
	}
	off_t size = st.st_size;
	if (size == 0)
		return 0;
	/* Scan backwards for newlines, 64 KiB at a time. */
	char chunk[65536];
	off_t end_nl = -1, prev_nl = -1; /* offsets of the last and the one before */
	off_t pos = size;
	while (pos > 0 && prev_nl < 0) {
		off_t from = pos > (off_t)sizeof(chunk) ? pos - (off_t)sizeof(chunk) : 0;
		size_t n = (size_t)(pos - from);
		ssize_t r = pread(a->fd, chunk, n, from);
		if (r != (ssize_t)n) {
			int e = r < 0 ? errno : EIO;
			snprintf(err, errlen, "pread(\"%s\") failed: %s", a->path, strerror(e));
			return -e;
		}
		for (size_t i = n; i-- > 0;) {
			if (chunk[i] != '\n')
				continue;
			if (end_nl < 0) {
				end_nl = from + (off_t)i;
			} else {
				prev_nl = from + (off_t)i;
				break;
			}
		}
		pos = from;
		if (end_nl >= 0 && end_nl - pos > (off_t)EXEC_AUDIT_MAX_LINE)
			break; /* too long: reported below */
	}
	if (end_nl != size - 1) {
		off_t keep = end_nl + 1; /* 0 if no newline at all */
		if (ftruncate(a->fd, keep) != 0) {
			int e = errno;
			snprintf(err, errlen, "ftruncate(\"%s\") failed: %s", a->path,
				 strerror(e));
			return -e;
		}
		a->torn_bytes = (uint64_t)(size - keep);
		if (end_nl < 0)
			return 0;
	}
	off_t start = prev_nl + 1;
	size_t len = (size_t)(end_nl - start);
	if (len > EXEC_AUDIT_MAX_LINE) {
		snprintf(err, errlen, "%s: last line is longer than %u bytes", a->path,
			 EXEC_AUDIT_MAX_LINE);
		return HAT_E_PARSE;
	}
	char *line = malloc(len + 1);
	if (!line)
		return -ENOMEM;
	ssize_t r = pread(a->fd, line, len, start);
	if (r != (ssize_t)len) {
		int e = r < 0 ? errno : EIO;
		free(line);
		snprintf(err, errlen, "pread(\"%s\") failed: %s", a->path, strerror(e));
		return -e;
	}
	uint64_t seq = 0;
	uint8_t prev[32], hash[32];
	size_t hl = 0;
	const char *why = parse_line(line, len, &seq, prev, hash, &hl);
	free(line);
	if (why) {
		snprintf(err, errlen, "%s: last line is not an audit line (%s)", a->path, why);
		return HAT_E_PARSE;
	}
	a->seq = seq;
	memcpy(a->prev, hash, sizeof(a->prev));
	return 0;
}

int exec_audit_open(struct exec_audit *a, const char *path, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	hat_buf_init(&a->line);
	if (sodium_init() < 0) {
		snprintf(err, errlen, "sodium_init() failed");
		return -ENOSYS;
	}
	if (strlen(path) >= sizeof(a->path)) {
		snprintf(err, errlen, "audit path too long");
		return -ENAMETOOLONG;
	}
	snprintf(a->path, sizeof(a->path), "%s", path);
	a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (a->fd < 0) {
		int e = errno;
		snprintf(err, errlen, "open(\"%s\") failed: %s", path, strerror(e));
		return -e;
	}
	int rc = load_tail(a, err, errlen);
	if (rc != 0) {
		close(a->fd);
		a->fd = -1;
	}
	return rc;
}

static bool body_is_json(const char *body, size_t len)
{
	if (memchr(body, '\n', len) || memchr(body, '\r', len) || memchr(body, '\0', len))
		return false;
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!j)
		return false;
	cJSON_Delete(j);
	return end == body + len;
}

int exec_audit_append(struct exec_audit *a, enum exec_audit_kind kind, uint64_t ts_ms,
		      uint64_t nonce, const char *body, size_t len, char *err, size_t errlen)
{
	if (a->fd < 0)
		return -EBADF;
	const char *kn = kind_name(kind);
	if (!kn) {
		snprintf(err, errlen, "audit: unknown kind %d", (int)kind);
		return -EINVAL;
	}
	struct hat_buf *b = &a->line;
	hat_buf_reset(b);
	char hex[65];
	hat_buf_printf(b, "{\"seq\":%" PRIu64 ",\"ts\":%" PRIu64 ",\"kind\":\"%s\",\"nonce\":%" PRIu64
		       ",\"body\":", a->seq + 1, ts_ms, kn, nonce);
	if (len == 0)
		hat_buf_puts(b, "null");
	else if (body_is_json(body, len))
		hat_buf_append(b, body, len);
	else
		hat_buf_json_strn(b, body, len);
	sodium_bin2hex(hex, sizeof(hex), a->prev, sizeof(a->prev));
	hat_buf_printf(b, PREV_KEY "%s\"", hex);
	if (!hat_buf_ok(b))
		return -ENOMEM;
	/* The rest of the line: ,"hash":" + 64 hex + "} (the newline is not counted). */
	size_t line_len = b->len + HASH_KEY_LEN - 1 + 64 + 2;
	if (line_len > EXEC_AUDIT_MAX_LINE) {
		snprintf(err, errlen, "audit: line of %zu bytes (body %zu) exceeds %u", line_len,
			 len, EXEC_AUDIT_MAX_LINE);
		return -EMSGSIZE;
	}
	uint8_t h[EXEC_AUDIT_HASH_LEN];
	line_hash(b->data, b->len, h);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	hat_buf_printf(b, ",\"hash\":\"%s\"}\n", hex);
	if (!hat_buf_ok(b))
		return -ENOMEM;
	ssize_t w = write(a->fd, b->data, b->len);
	if (w != (ssize_t)b->len) {
		int e = w < 0 ? errno : EIO;
		snprintf(err, errlen, "write(\"%s\") failed: %s", a->path, strerror(e));
		return -e;
	}
	a->seq++;
	memcpy(a->prev, h, sizeof(h));
	return 0;
}

void exec_audit_head(const struct exec_audit *a, uint64_t *seq, char hash_hex[65])
{
	*seq = a->seq;
	sodium_bin2hex(hash_hex, 65, a->prev, sizeof(a->prev));
}

void exec_audit_close(struct exec_audit *a)
{
	if (a->fd > 0)
		close(a->fd);
	a->fd = -1;
	hat_buf_free(&a->line);
}

/* ---------------------------------------------------------------- verifier */

int exec_audit_verify(const char *path, uint64_t *lines, uint64_t *bad_line, char *err,
		      size_t errlen)
{
	uint64_t dummy_l, dummy_b;
	if (!lines)
		lines = &dummy_l;
	if (!bad_line)
		bad_line = &dummy_b;
	*lines = 0;
	*bad_line = 0;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "sodium_init() failed");
		return -ENOSYS;
	}
	FILE *f = fopen(path, "re");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "open(\"%s\") failed: %s", path, strerror(e));
		return -e;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t k = 0;
	uint8_t prev_hash[32] = {0};
	int rc = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		k++;
		size_t len = (size_t)n;
		if (line[len - 1] != '\n') {
			snprintf(err, errlen, "line %" PRIu64 ": no newline at end of file", k);
			rc = HAT_E_CRC;
			break;
		}
		len--;
		if (len > EXEC_AUDIT_MAX_LINE) {
			snprintf(err, errlen, "line %" PRIu64 ": not an audit line (longer than %u bytes)",
				 k, EXEC_AUDIT_MAX_LINE);
			rc = HAT_E_CRC;
			break;
		}
		uint64_t seq = 0;
		uint8_t prev[32], stored[32], calc[32];
		size_t hl = 0;
		const char *why = parse_line(line, len, &seq, prev, stored, &hl);
		if (why) {
			snprintf(err, errlen, "line %" PRIu64 ": not an audit line (%s)", k, why);
			rc = HAT_E_CRC;
			break;
		}
		line_hash(line, hl, calc);
		if (sodium_memcmp(calc, stored, 32) != 0) {
			char s[17], c[17];
			sodium_bin2hex(s, sizeof(s), stored, 8);
			sodium_bin2hex(c, sizeof(c), calc, 8);
			snprintf(err, errlen,
				 "line %" PRIu64 ": hash mismatch (stored %s..., computed %s...)", k,
				 s, c);
			rc = HAT_E_CRC;
			break;
		}
		if (seq != k) {
			snprintf(err, errlen, "line %" PRIu64 ": seq %" PRIu64 ", expected %" PRIu64,
				 k, seq, k);
			rc = HAT_E_CRC;
			break;
		}
		if (memcmp(prev, prev_hash, 32) != 0) {
			if (k == 1)
				snprintf(err, errlen, "line 1: prev is not zero (lines before it "
						      "are missing)");
			else
				snprintf(err, errlen,
					 "line %" PRIu64 ": prev does not match line %" PRIu64
					 "'s hash",
					 k, k - 1);
			rc = HAT_E_CRC;
			break;
		}
		memcpy(prev_hash, stored, 32);
	}
	int read_err = ferror(f);
	free(line);
	fclose(f);
	if (rc != 0) {
		*bad_line = k;
		return rc;
	}
	if (read_err) {
		snprintf(err, errlen, "read(\"%s\") failed", path);
		return -EIO;
	}
	*lines = k;
	return 0;
}
