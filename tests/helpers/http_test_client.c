/* tests/helpers/http_test_client.c -- libcurl and raw-socket helpers for hlsim tests. */
#include "tests/helpers/http_test_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "tests/helpers/test_util.h"

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
	hat_buf_append(user, p, size * n);
	return size * n;
}

char *htc_post(int port, const char *path, const char *body, long *status)
{
	*status = 0;
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	struct hat_buf b = HAT_BUF_INIT;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		hat_buf_free(&b);
		return NULL;
	}
	hat_buf_putc(&b, '\0');
	return b.data;
}

int htc_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

int htc_send(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads what is available within the remaining time; returns bytes read, 0 on EOF/reset,
 * -1 on timeout. */
static ssize_t read_some(int fd, struct hat_buf *b, uint64_t end)
{
	uint64_t now = tu_now_ms();
	if (now >= end)
		return -1;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, (int)(end - now));
	if (r == 0)
		return -1;
	if (r < 0)
		return errno == EINTR ? read_some(fd, b, end) : 0;
	char tmp[65536];
	ssize_t n = recv(fd, tmp, sizeof tmp, 0);
	if (n <= 0)
		return 0;
	hat_buf_append(b, tmp, (size_t)n);
	return n;
}

char *htc_read_all(int fd, int timeout_ms, int *closed)
{
	struct hat_buf b = HAT_BUF_INIT;
	uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
	*closed = 0;
	for (;;) {
		ssize_t n = read_some(fd, &b, end);
		if (n == 0) {
			*closed = 1;
			break;
		}
		if (n < 0)
			break;
	}
	hat_buf_putc(&b, '\0');
	return b.data;
}

/* Counts complete responses at the start of text (headers + Content-Length body). */
static int complete_responses(const char *text, size_t len)
{
	int n = 0;
	size_t off = 0;
	while (off < len) {
		const char *hdr_end = strstr(text + off, "\r\n\r\n");
		if (!hdr_end)
			break;
		size_t hlen = (size_t)(hdr_end - (text + off)) + 4;
		const char *cl = strcasestr(text + off, "Content-Length:");
		size_t blen = 0;
		if (cl && cl < hdr_end)
			blen = strtoul(cl + 15, NULL, 10);
		if (off + hlen + blen > len)
			break;
		off += hlen + blen;
		n++;
	}
	return n;
}

char *htc_read_responses(int fd, int n, int timeout_ms)
{
	struct hat_buf b = HAT_BUF_INIT;
	uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
	hat_buf_putc(&b, '\0');
	b.len = 0;
	while (complete_responses(b.data, b.len) < n) {
		if (read_some(fd, &b, end) <= 0)
			break;
	}
	return b.data;
}

int htc_status(const char *text)
{
	int st;
	if (!text || sscanf(text, "HTTP/1.%*d %d", &st) != 1)
		return -1;
	return st;
}

int htc_read_port_file(const char *path, int timeout_ms)
{
	if (tu_wait_file(path, timeout_ms))
		return -1;
	char *s = tu_read_file(path);
	int port = s ? atoi(s) : -1;
	free(s);
	return port > 0 ? port : -1;
}
