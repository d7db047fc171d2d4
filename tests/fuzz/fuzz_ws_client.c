/* tests/fuzz/fuzz_ws_client.c -- libFuzzer target: the I/O-free part of common/ws_client.
 * The first byte picks what the rest is fed to: 0 URL parsing, 1 the handshake response check,
 * 2+ the framing core (server -> client bytes, cut into chunks whose sizes come from the input,
 * with a small message limit). Checks the invariants the adapter relies on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ws_client.h"

#define CHECK(e) do { if (!(e)) abort(); } while (0)

struct sink {
	size_t texts, bytes;
};

static void on_text(void *user, const char *d, size_t n, uint64_t t)
{
	struct sink *s = user;
	CHECK(t == 7);
	CHECK(n <= 1000);
	CHECK(n == 0 || d != NULL);
	s->texts++;
	s->bytes += n;
}

static void on_close(void *user, uint16_t code, const char *reason, size_t n)
{
	(void)user;
	(void)reason;
	CHECK(code != 0 && n <= 123);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	char err[256];
	if (mode == 0) {
		char *s = malloc(size + 1);
		memcpy(s, data, size);
		s[size] = '\0';
		struct hat_ws_url u;
		if (hat_ws_url_parse(s, &u, err, sizeof err) == 0) {
			CHECK(u.host[0] && u.port > 0 && u.path[0] == '/');
			CHECK(memchr(u.host_header, '\0', sizeof u.host_header));
		} else {
			CHECK(memchr(err, '\0', sizeof err));
		}
		free(s);
	} else if (mode == 1) {
		size_t used = 0;
		int status = -1;
		int rc = hat_ws_check_response((const char *)data, size, "dGhlIHNhbXBsZSBub25jZQ==", &used,
					       &status, err, sizeof err);
		CHECK(rc == 0 || rc == -EAGAIN || rc == -EPROTO);
		if (rc == 0)
			CHECK(used <= size && status == 101);
	} else {
		struct sink s = { 0, 0 };
		struct hat_ws_proto_cbs cbs = { .on_text = on_text, .on_peer_close = on_close };
		struct hat_ws_proto p;
		CHECK(hat_ws_proto_init(&p, &cbs, &s, 1000) == 0);
		size_t off = 0;
		size_t chunk = (size_t)(mode % 64) + 1;
		while (off < size) {
			size_t n = size - off < chunk ? size - off : chunk;
			int rc = hat_ws_proto_feed(&p, data + off, n, 7);
			CHECK(rc == 0 || rc == -EMSGSIZE || rc == -EPROTO || rc == -EPIPE || rc == -ENOMEM);
			off += n;
			if (rc < 0)
				break;
		}
		CHECK(p.out.len <= HAT_WS_MAX_OUT);
		hat_ws_proto_deinit(&p);
	}
	return 0;
}
