/* tests/fuzz/fuzz_http.c -- libFuzzer target: hlsim's HTTP request parser core (http_parse.h).
 *
 * Input: the first byte picks the chunk size (1..64) in which the rest is fed, so requests are
 * split at every possible place, as TCP may split them. Small limits make the 414/431/413 paths
 * reachable. Checks: every request delivered has a NUL-terminated path without '?', a body whose
 * length matches, and the parser either consumes everything, stops after an upgrade, or ends in
 * an error state with a 4xx (or 505) status and text; it then stays in that state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "tools/hlsim/http_parse.h"

#define CHECK(e) do { if (!(e)) abort(); } while (0)

static int on_request(void *user, const struct hlsim_http_request *r)
{
	unsigned *n = user;
	(*n)++;
	CHECK(r->path && !strchr(r->path, '?'));
	CHECK(r->body && r->body[r->body_len] == '\0');
	CHECK(r->body_len <= 512);
	CHECK(r->method_name && r->ws_key && r->ws_version);
	CHECK(strlen(r->ws_key) < 64 && strlen(r->ws_version) < 8);
	return r->upgrade; /* an upgrade hands the rest of the stream over */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = (size_t)(data[0] % 64) + 1;
	data++, size--;
	struct hlsim_http_limits lim = { 64, 256, 512 };
	struct hlsim_http_parse_cb cb = { on_request, NULL };
	unsigned n = 0;
	struct hlsim_http_parse p;
	hlsim_http_parse_init(&p, &lim, &cb, &n);
	size_t off = 0;
	int rc = 0;
	while (off < size) {
		size_t len = size - off < chunk ? size - off : chunk;
		size_t used = 0;
		rc = hlsim_http_parse_feed(&p, (const char *)data + off, len, &used);
		CHECK(used <= len);
		if (rc < 0) {
			CHECK(rc == HAT_E_PARSE);
			CHECK((p.err_status >= 400 && p.err_status < 500) || p.err_status == 505);
			CHECK(p.err_text[0]);
			size_t again;
			CHECK(hlsim_http_parse_feed(&p, "GET / HTTP/1.1\r\n\r\n", 18, &again) == HAT_E_PARSE);
			break;
		}
		if (p.stop) {
			CHECK(used <= len);
			break;
		}
		CHECK(used == len);
		off += len;
	}
	if (rc == 0 && !p.stop) {
		size_t used;
		rc = hlsim_http_parse_feed(&p, NULL, 0, &used);
		CHECK(rc == 0 || (rc == HAT_E_PARSE && p.err_status == 400));
	}
	hlsim_http_parse_deinit(&p);
	return 0;
}
