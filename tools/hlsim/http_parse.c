/* tools/hlsim/http_parse.c -- HTTP/1.1 request parser core on http-parser. */
#include "tools/hlsim/http_parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"

void hlsim_http_limits_default(struct hlsim_http_limits *l)
{
	l->max_url = 2048;
	l->max_header_bytes = 16384;
	l->max_body = 1 << 20;
}

const char *hlsim_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 422: return "Unprocessable Entity";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 505: return "HTTP Version Not Supported";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static struct hlsim_http_parse *of(http_parser *hp)
{
	return hp->data;
}

/* Records the first error; returning -1 from a callback makes http-parser stop (from
 * on_headers_complete 1 and 2 mean "skip the body", so errors must be another value). */
static int fail(struct hlsim_http_parse *p, int status, const char *text)
{
	if (!p->err_status) {
		p->err_status = status;
		snprintf(p->err_text, sizeof p->err_text, "%s", text);
	}
	return -1;
}

static int count_header(struct hlsim_http_parse *p, size_t n)
{
	p->header_bytes += n;
	if (p->header_bytes > p->lim.max_header_bytes)
		return fail(p, 431, "request line and headers exceed the size limit");
	return 0;
}

static int on_message_begin(http_parser *hp)
{
	struct hlsim_http_parse *p = of(hp);
	hat_buf_reset(&p->url);
	hat_buf_reset(&p->body);
	hat_buf_reset(&p->field);
	hat_buf_reset(&p->value);
	p->ws_key[0] = p->ws_version[0] = '\0';
	p->expect_continue = p->last_was_value = false;
	p->header_bytes = 0;
	p->in_message = true;
	return 0;
}

static int on_url(http_parser *hp, const char *at, size_t n)
{
	struct hlsim_http_parse *p = of(hp);
	if (p->url.len + n > p->lim.max_url)
		return fail(p, 414, "request target exceeds the size limit");
	hat_buf_append(&p->url, at, n);
	return count_header(p, n);
}

static void copy_value(char *dst, size_t cap, const struct hat_buf *v)
{
	size_t n = v->len < cap - 1 ? v->len : cap - 1;
	if (n)
		memcpy(dst, v->data, n);
	dst[n] = '\0';
}

/* One complete header name/value pair: keep the ones hlsim uses. */
static void header_done(struct hlsim_http_parse *p)
{
	if (!p->field.len)
		return;
	const char *f = p->field.data;
	if (!strcasecmp(f, "sec-websocket-key"))
		copy_value(p->ws_key, sizeof p->ws_key, &p->value);
	else if (!strcasecmp(f, "sec-websocket-version"))
		copy_value(p->ws_version, sizeof p->ws_version, &p->value);
	else if (!strcasecmp(f, "expect") && p->value.len && !strcasecmp(p->value.data, "100-continue"))
		p->expect_continue = true;
	hat_buf_reset(&p->field);
	hat_buf_reset(&p->value);
}

static int on_header_field(http_parser *hp, const char *at, size_t n)
{
	struct hlsim_http_parse *p = of(hp);
	if (p->last_was_value) {
		header_done(p);
		p->last_was_value = false;
	}
	/* 4 bytes of ": " and CRLF per header keep many tiny headers inside the budget too. */
	if (count_header(p, n + (p->field.len ? 0 : 4)))
		return -1;
	hat_buf_append(&p->field, at, n);
	return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t n)
{
	struct hlsim_http_parse *p = of(hp);
	p->last_was_value = true;
	if (count_header(p, n))
		return -1;
	hat_buf_append(&p->value, at, n);
	return 0;
}

static int on_headers_complete(http_parser *hp)
{
	struct hlsim_http_parse *p = of(hp);
	if (p->last_was_value)
		header_done(p);
	p->last_was_value = false;
	if (hp->http_major != 1)
		return fail(p, 505, "HTTP version not supported: use HTTP/1.1");
	if (hp->flags & F_CHUNKED)
		return fail(p, 411, "chunked request bodies are not supported: send Content-Length");
	if (hp->method == HTTP_POST && !(hp->flags & F_CONTENTLENGTH))
		return fail(p, 411, "Content-Length is required");
	if ((hp->flags & F_CONTENTLENGTH) && hp->content_length > p->lim.max_body)
		return fail(p, 413, "request body exceeds the size limit");
	if (p->expect_continue && (hp->flags & F_CONTENTLENGTH) && hp->content_length > 0 &&
	    p->cb.on_continue)
		p->cb.on_continue(p->user);
	return 0;
}

static int on_body(http_parser *hp, const char *at, size_t n)
{
	struct hlsim_http_parse *p = of(hp);
	if (p->body.len + n > p->lim.max_body)
		return fail(p, 413, "request body exceeds the size limit");
	hat_buf_append(&p->body, at, n);
	return 0;
}

static int on_message_complete(http_parser *hp)
{
	struct hlsim_http_parse *p = of(hp);
	p->in_message = false;
	if (!hat_buf_ok(&p->url) || !hat_buf_ok(&p->body) || !hat_buf_ok(&p->field) ||
	    !hat_buf_ok(&p->value))
		return fail(p, 500, "out of memory");
	struct hlsim_http_request r;
	memset(&r, 0, sizeof r);
	r.method = hp->method == HTTP_GET ? HLSIM_HTTP_GET :
		   hp->method == HTTP_POST ? HLSIM_HTTP_POST : HLSIM_HTTP_OTHER;
	r.method_name = http_method_str(hp->method);
	hat_buf_putc(&p->url, '\0'); /* ensures data != NULL; the NUL is cut below */
	char *q = memchr(p->url.data, '?', p->url.len);
	if (q)
		*q = '\0';
	r.path = p->url.data;
	hat_buf_putc(&p->body, '\0');
	p->body.len--;
	r.body = p->body.data;
	r.body_len = p->body.len;
	r.keep_alive = http_should_keep_alive(hp) != 0;
	r.upgrade = hp->upgrade != 0;
	r.ws_key = p->ws_key;
	r.ws_version = p->ws_version;
	if (!hat_buf_ok(&p->url) || !hat_buf_ok(&p->body))
		return fail(p, 500, "out of memory");
	if (p->cb.on_request(p->user, &r)) {
		p->stop = true;
		http_parser_pause(hp, 1);
	}
	return 0;
}

void hlsim_http_parse_init(struct hlsim_http_parse *p, const struct hlsim_http_limits *lim,
                           const struct hlsim_http_parse_cb *cb, void *user)
{
	memset(p, 0, sizeof *p);
	http_parser_init(&p->hp, HTTP_REQUEST);
	p->hp.data = p;
	http_parser_settings_init(&p->settings);
	p->settings.on_message_begin = on_message_begin;
	p->settings.on_url = on_url;
	p->settings.on_header_field = on_header_field;
	p->settings.on_header_value = on_header_value;
	p->settings.on_headers_complete = on_headers_complete;
	p->settings.on_body = on_body;
	p->settings.on_message_complete = on_message_complete;
	p->lim = *lim;
	p->cb = *cb;
	p->user = user;
	hat_buf_init(&p->url);
	hat_buf_init(&p->body);
	hat_buf_init(&p->field);
	hat_buf_init(&p->value);
}

void hlsim_http_parse_deinit(struct hlsim_http_parse *p)
{
	hat_buf_free(&p->url);
	hat_buf_free(&p->body);
	hat_buf_free(&p->field);
	hat_buf_free(&p->value);
}

bool hlsim_http_parse_busy(const struct hlsim_http_parse *p)
{
	return p->in_message;
}

int hlsim_http_parse_feed(struct hlsim_http_parse *p, const char *data, size_t len,
                          size_t *consumed)
{
	*consumed = 0;
	if (p->err_status)
		return p->err_status == 500 ? -ENOMEM : HAT_E_PARSE;
	if (p->stop)
		return 0;
	if (len == 0) {
		if (p->in_message) {
			fail(p, 400, "connection closed inside a request");
			return HAT_E_PARSE;
		}
		return 0;
	}
	size_t n = http_parser_execute(&p->hp, &p->settings, data, len);
	enum http_errno e = HTTP_PARSER_ERRNO(&p->hp);
	if (p->stop) {
		*consumed = n;
		return 0;
	}
	if (e != HPE_OK || p->err_status) {
		if (!p->err_status) {
			char text[160];
			snprintf(text, sizeof text, "malformed request: %s", http_errno_description(e));
			fail(p, e == HPE_HEADER_OVERFLOW ? 431 : 400, text);
		}
		*consumed = n;
		return p->err_status == 500 ? -ENOMEM : HAT_E_PARSE;
	}
	if (p->hp.upgrade) {
		/* An upgrade the application did not take: nothing after it is HTTP any more. */
		p->stop = true;
		*consumed = n;
		return 0;
	}
	*consumed = n;
	return 0;
}
