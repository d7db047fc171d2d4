/* execd/http.c -- pooled, non-blocking libcurl transport (see http.h). */
#include "execd/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

struct exec_http_slot {
	CURL *easy;
	struct curl_slist *hdrs;
	bool busy;
	uint64_t tag;
	uint64_t start_ns;
	struct hat_buf req;
	struct hat_buf resp;
	char url[600];
	char errbuf[CURL_ERROR_SIZE];
};

static size_t on_data(char *p, size_t sz, size_t n, void *user)
{
	struct exec_http_slot *s = user;
	hat_buf_append(&s->resp, p, sz * n);
	return hat_buf_ok(&s->resp) ? sz * n : 0;
}

int exec_http_init(struct exec_http *h, const char *base_url, uint32_t n_slots, long timeout_ms,
		   bool fresh_conn, char *err, size_t errlen)
{
	memset(h, 0, sizeof *h);
	size_t bl = strlen(base_url);
	while (bl > 0 && base_url[bl - 1] == '/')
		bl--;
	if (n_slots < 1 || n_slots > EXEC_HTTP_MAX_SLOTS || bl == 0 || bl >= sizeof h->base ||
	    timeout_ms <= 0) {
		snprintf(err, errlen, "http client: bad settings (url '%s', %u slots, timeout %ld ms)",
		         base_url, n_slots, timeout_ms);
		return -EINVAL;
	}
	memcpy(h->base, base_url, bl);
	h->base[bl] = '\0';
	h->timeout_ms = timeout_ms;
	h->fresh_conn = fresh_conn;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h->multi = curl_multi_init();
	h->slots = calloc(n_slots, sizeof *h->slots);
	if (!h->multi || !h->slots)
		goto oom;
	h->n_slots = n_slots;
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)n_slots);
	for (uint32_t i = 0; i < n_slots; i++) {
		struct exec_http_slot *s = &h->slots[i];
		hat_buf_init(&s->req);
		hat_buf_init(&s->resp);
		s->easy = curl_easy_init();
		s->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
		if (!s->easy || !s->hdrs)
			goto oom;
		CURL *e = s->easy;
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->hdrs);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
		curl_easy_setopt(e, CURLOPT_PRIVATE, s);
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
		curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
		if (fresh_conn) {
			curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
			curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
		}
	}
	return 0;
oom:
	exec_http_deinit(h);
	snprintf(err, errlen, "http client: out of memory");
	return -ENOMEM;
}

void exec_http_deinit(struct exec_http *h)
{
	for (uint32_t i = 0; h->slots && i < h->n_slots; i++) {
		struct exec_http_slot *s = &h->slots[i];
		if (s->easy) {
			if (s->busy && h->multi)
				curl_multi_remove_handle(h->multi, s->easy);
			curl_easy_cleanup(s->easy);
		}
		curl_slist_free_all(s->hdrs);
		hat_buf_free(&s->req);
		hat_buf_free(&s->resp);
	}
	free(h->slots);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	memset(h, 0, sizeof *h);
}

int exec_http_post(struct exec_http *h, const char *path, const char *body, size_t len,
		   uint64_t tag)
{
	struct exec_http_slot *s = NULL;
	for (uint32_t i = 0; i < h->n_slots; i++)
		if (!h->slots[i].busy) {
			s = &h->slots[i];
			break;
		}
	if (!s)
		return -EBUSY;
	hat_buf_reset(&s->req);
	hat_buf_reset(&s->resp);
	hat_buf_append(&s->req, body, len);
	if (!hat_buf_ok(&s->req))
		return -ENOMEM;
	snprintf(s->url, sizeof s->url, "%s%s", h->base, path);
	s->errbuf[0] = '\0';
	curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->req.data);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->req.len);
	if (curl_multi_add_handle(h->multi, s->easy) != CURLM_OK)
		return -EIO;
	s->busy = true;
	s->tag = tag;
	s->start_ns = hat_mono_ns();
	h->busy++;
	h->posted++;
	return 0;
}

int exec_http_poll(struct exec_http *h, exec_http_done_fn done, void *user)
{
	int running = 0, n = 0;
	curl_multi_perform(h->multi, &running);
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct exec_http_slot *s = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		CURLcode cc = m->data.result;
		curl_multi_remove_handle(h->multi, m->easy_handle);
		s->busy = false;
		h->busy--;
		h->completed++;
		struct exec_http_done d = { .tag = s->tag, .errtext = "" };
		d.elapsed_ns = hat_mono_ns() - s->start_ns;
		if (cc == CURLE_OK) {
			curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &d.status);
		} else {
			h->transport_errors++;
			d.errtext = s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc);
			if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST) {
				d.err = -ECONNREFUSED;
				d.never_sent = true;
			} else if (cc == CURLE_OPERATION_TIMEDOUT) {
				h->timeouts++;
				d.err = -ETIMEDOUT;
			} else {
				d.err = -EIO;
			}
		}
		hat_buf_putc(&s->resp, '\0');
		d.body = s->resp.data ? s->resp.data : "";
		d.len = s->resp.len ? s->resp.len - 1 : 0;
		n++;
		done(user, &d);
	}
	return n;
}

void exec_http_wait(struct exec_http *h, int timeout_ms)
{
	int nfds;
	curl_multi_poll(h->multi, NULL, 0, timeout_ms, &nfds);
}
