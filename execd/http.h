/* execd/http.h -- execd's non-blocking HTTP client for /exchange and /info (libcurl multi).
 *
 * A fixed pool of easy handles (one per allowed in-flight request) under one multi handle.
 * The handles are created once and reused for every request, so their connections stay open
 * (keep-alive, TCP_NODELAY, TCP keep-alive probes), HTTP/2 is used when the server offers it
 * over TLS (several requests then share one connection), and nothing is resolved or connected
 * again per order. With fresh_conn (the benchmark's baseline) every request opens and closes
 * its own connection instead.
 *
 * Nothing here blocks: exec_http_post() queues, exec_http_poll() advances transfers with
 * curl_multi_perform() and reports completed ones. Single-threaded (execd's loop).
 */
#ifndef HAT_EXECD_HTTP_H
#define HAT_EXECD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define EXEC_HTTP_MAX_SLOTS 64

struct exec_http_done {
	uint64_t tag;          /* the caller's tag from exec_http_post() */
	int err;               /* 0 (an HTTP answer arrived, any status), -ETIMEDOUT, -ECONNREFUSED
			        * (could not connect: the request never left), -EIO (other transport
			        * error: the request may or may not have arrived) */
	bool never_sent;       /* true only when the request provably did not leave */
	long status;           /* HTTP status (0 on transport error) */
	const char *body;      /* response body (borrowed for the callback; NUL-terminated) */
	size_t len;
	uint64_t elapsed_ns;   /* post to completion */
	const char *errtext;   /* curl's error text on transport errors, "" otherwise */
};

struct exec_http_slot;

struct exec_http {
	void *multi;                   /* CURLM *, owned */
	struct exec_http_slot *slots;  /* owned */
	uint32_t n_slots, busy;
	char base[512];                /* "http://127.0.0.1:8787" (no trailing slash) */
	long timeout_ms;
	bool fresh_conn;
	uint64_t posted, completed, transport_errors, timeouts;
};

/* Sets up n_slots handles (1..EXEC_HTTP_MAX_SLOTS) for base_url (copied). timeout_ms: whole
 * request. Returns 0, -EINVAL (err names it), -ENOMEM. */
int exec_http_init(struct exec_http *h, const char *base_url, uint32_t n_slots, long timeout_ms,
		   bool fresh_conn, char *err, size_t errlen);
void exec_http_deinit(struct exec_http *h);

/* Starts POST base_url + path with a JSON body (copied). Returns 0, -EBUSY (every slot busy),
 * -ENOMEM, -EIO (curl refused it). */
int exec_http_post(struct exec_http *h, const char *path, const char *body, size_t len,
		   uint64_t tag);

/* Advances transfers (never blocks) and calls done() for each finished one. Returns the number
 * completed. done may post new requests. */
typedef void (*exec_http_done_fn)(void *user, const struct exec_http_done *d);
int exec_http_poll(struct exec_http *h, exec_http_done_fn done, void *user);

/* Waits up to timeout_ms for socket activity of the transfers (curl_multi_poll). */
void exec_http_wait(struct exec_http *h, int timeout_ms);

static inline uint32_t exec_http_free_slots(const struct exec_http *h)
{
	return h->n_slots - h->busy;
}

#endif
