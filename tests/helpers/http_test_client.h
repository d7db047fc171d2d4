/* tests/helpers/http_test_client.h -- HTTP helpers for hlsim tests: libcurl requests and raw
 * sockets (for malformed input). Test-only. */
#ifndef HAT_TESTS_HTTP_TEST_CLIENT_H
#define HAT_TESTS_HTTP_TEST_CLIENT_H

#include <stddef.h>

/* POSTs body (Content-Type: application/json) to http://127.0.0.1:port<path>. Returns the
 * response body (malloc'ed; caller frees) and sets *status; NULL (status 0) on transport
 * failure. */
char *htc_post(int port, const char *path, const char *body, long *status);

/* Connects a blocking TCP socket to 127.0.0.1:port. Returns the fd or -1. */
int htc_connect(int port);
/* Writes all of data. Returns 0 or -1 (e.g. the server reset the connection). */
int htc_send(int fd, const void *data, size_t len);
/* Reads until the peer closes (or resets) or timeout_ms passes; returns what arrived
 * (malloc'ed, NUL-terminated). *closed is set to 1 if the peer closed/reset, 0 on timeout. */
char *htc_read_all(int fd, int timeout_ms, int *closed);
/* Reads until at least n complete HTTP responses (by Content-Length) arrived or timeout;
 * returns the bytes (malloc'ed). */
char *htc_read_responses(int fd, int n, int timeout_ms);
/* The status code of the first response in text, or -1. */
int htc_status(const char *text);

/* Reads the port number from a --port-file, waiting up to timeout_ms. Returns it or -1. */
int htc_read_port_file(const char *path, int timeout_ms);

#endif
