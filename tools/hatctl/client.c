/* tools/hatctl/client.c -- one request on superd's control socket. */
#include "tools/hatctl/client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for events until deadline; 0, or -ETIMEDOUT / -errno. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - mono_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

int hatctl_call(const char *path, const char *instance, const char *req, int timeout_ms,
		struct hat_buf *resp, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof a.sun_path) {
		snprintf(err, errlen, "control socket path too long for a unix socket (%zu bytes): %s",
			 strlen(path), path);
		return -ENAMETOOLONG;
	}
	struct stat sb;
	if (stat(path, &sb) != 0 && errno == ENOENT) {
		snprintf(err, errlen, "superd is not running for instance %s (no socket at %s): start "
			 "it with scripts/launch.sh", instance, path);
		return -ENOENT;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket(AF_UNIX) failed: %s", strerror(errno));
		return -errno;
	}
	int rc = 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		rc = -errno;
		if (rc == -ECONNREFUSED)
			snprintf(err, errlen, "superd is not running for instance %s (stale socket at %s, "
				 "connection refused): start it with scripts/launch.sh", instance, path);
		else if (rc == -EACCES)
			snprintf(err, errlen, "connect(%s) failed: %s (the socket is mode 0600: run hatctl "
				 "as the user that runs superd)", path, strerror(-rc));
		else
			snprintf(err, errlen, "connect(%s) failed: %s", path, strerror(-rc));
		goto out;
	}
	long long deadline = mono_ms() + timeout_ms;
	size_t len = strlen(req), off = 0;
	char line[4096 + 2];
	if (len + 1 > sizeof line) {
		snprintf(err, errlen, "request too long (%zu bytes)", len);
		rc = -EMSGSIZE;
		goto out;
	}
	memcpy(line, req, len);
	line[len++] = '\n';
	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "write to %s failed: %s", path, strerror(-rc));
			goto out;
		}
		off += (size_t)n;
	}
	for (;;) {
		if ((rc = wait_fd(fd, POLLIN, deadline)) != 0) {
			if (rc == -ETIMEDOUT)
				snprintf(err, errlen, "superd (instance %s) did not answer within %d ms on %s",
					 instance, timeout_ms, path);
			else
				snprintf(err, errlen, "poll(%s) failed: %s", path, strerror(-rc));
			goto out;
		}
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "read from %s failed: %s", path, strerror(-rc));
			goto out;
		}
		if (n == 0)
			break;
		hat_buf_append(resp, buf, (size_t)n);
		if (memchr(buf, '\n', (size_t)n))
			break;
	}
	while (resp->len && (resp->data[resp->len - 1] == '\n' || resp->data[resp->len - 1] == '\r'))
		resp->data[--resp->len] = '\0';
	if (!resp->len) {
		snprintf(err, errlen, "superd closed %s without answering", path);
		rc = -EPROTO;
	}
out:
	close(fd);
	return rc;
}
