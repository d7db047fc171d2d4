/* common/buf.c -- growable byte buffer. */
#include "common/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hat_buf_init(struct hat_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

void hat_buf_free(struct hat_buf *b)
{
	free(b->data);
	hat_buf_init(b);
}

void hat_buf_reset(struct hat_buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

int hat_buf_reserve(struct hat_buf *b, size_t n)
{
	if (b->oom)
		return -ENOMEM;
	if (n > SIZE_MAX / 2 - b->len) {
		b->oom = true;
		return -ENOMEM;
	}
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return -ENOMEM;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void hat_buf_append(struct hat_buf *b, const void *p, size_t n)
{
	if (hat_buf_reserve(b, n) != 0)
		return;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void hat_buf_puts(struct hat_buf *b, const char *s)
{
	hat_buf_append(b, s, strlen(s));
}

void hat_buf_putc(struct hat_buf *b, char c)
{
	hat_buf_append(b, &c, 1);
}

void hat_buf_printf(struct hat_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		hat_buf_append(b, small, (size_t)n);
		return;
	}
	if (hat_buf_reserve(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

size_t hat_json_escape(unsigned char c, char out[6])
{
	static const char hex[] = "0123456789abcdef";
	if (c >= 0x20 && c != '"' && c != '\\')
		return 0;
	out[0] = '\\';
	switch (c) {
	case '"': out[1] = '"'; return 2;
	case '\\': out[1] = '\\'; return 2;
	case '\n': out[1] = 'n'; return 2;
	case '\r': out[1] = 'r'; return 2;
	case '\t': out[1] = 't'; return 2;
	default:
		memcpy(out + 1, "u00", 3);
		out[4] = hex[c >> 4];
		out[5] = hex[c & 15];
		return 6;
	}
}

void hat_buf_json_strn(struct hat_buf *b, const char *s, size_t n)
{
	hat_buf_putc(b, '"');
	size_t run = 0; /* start of the current run of bytes that need no escaping */
	for (size_t i = 0; i < n; i++) {
		char e[6];
		size_t k = hat_json_escape((unsigned char)s[i], e);
		if (!k)
			continue;
		hat_buf_append(b, s + run, i - run);
		hat_buf_append(b, e, k);
		run = i + 1;
	}
	hat_buf_append(b, s + run, n - run);
	hat_buf_putc(b, '"');
}

void hat_buf_json_str(struct hat_buf *b, const char *s)
{
	hat_buf_json_strn(b, s, strlen(s));
}

void hat_buf_consume(struct hat_buf *b, size_t n)
{
	if (n >= b->len) {
		hat_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

char *hat_str_replace_all(char *s, const char *old, const char *repl)
{
	size_t ol = strlen(old), rl = strlen(repl);
	if (!s || ol == 0)
		return s;
	for (char *p = strstr(s, old); p; p = strstr(p + rl, old)) {
		size_t off = (size_t)(p - s), len = strlen(s);
		char *t = malloc(len - ol + rl + 1);
		if (!t) {
			free(s);
			return NULL;
		}
		memcpy(t, s, off);
		memcpy(t + off, repl, rl);
		memcpy(t + off + rl, p + ol, len - off - ol + 1);
		free(s);
		s = t;
		p = s + off;
	}
	return s;
}
