/* execd/nonce.c -- strictly increasing nonces with a write-ahead high-water mark. */
#include "execd/nonce.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"

#define MARK_PREFIX "hat-nonce 1 "

static int read_mark(const char *path, uint64_t *mark, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return -ENOENT;
		snprintf(err, errlen, "open(\"%s\") failed: %s", path, strerror(e));
		return -e;
	}
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	int e = errno;
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "read(\"%s\") failed: %s", path, strerror(e));
		return -e;
	}
	buf[n] = '\0';
	size_t pl = strlen(MARK_PREFIX);
	const char *p = buf + pl;
	char *end = NULL;
	if ((size_t)n <= pl || memcmp(buf, MARK_PREFIX, pl) != 0 || *p < '0' || *p > '9')
		goto bad;
	errno = 0;
	unsigned long long v = strtoull(p, &end, 10);
	if (errno != 0 || end[0] != '\n' || end[1] != '\0')
		goto bad;
	*mark = v;
	return 0;
bad:
	snprintf(err, errlen, "%s: expected \"hat-nonce 1 <mark>\"", path);
	return HAT_E_PARSE;
}

/* Writes the mark durably: temp file, fsync, rename, fsync of the directory (so the rename
 * itself survives a power loss). */
static int write_mark(const char *path, uint64_t mark, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "open(\"%s\") failed: %s", tmp, strerror(e));
		return -e;
	}
	char line[64];
	int len = snprintf(line, sizeof(line), MARK_PREFIX "%" PRIu64 "\n", mark);
	ssize_t w = write(fd, line, (size_t)len);
	if (w != len) {
		int e = w < 0 ? errno : EIO;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "write(\"%s\") failed: %s", tmp, strerror(e));
		return -e;
	}
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "fsync(\"%s\") failed: %s", tmp, strerror(e));
		return -e;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		snprintf(err, errlen, "rename(\"%s\", \"%s\") failed: %s", tmp, path, strerror(e));
		return -e;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		int rc = fsync(dfd);
		int e = errno;
		close(dfd);
		if (rc != 0) {
			snprintf(err, errlen, "fsync(directory of \"%s\") failed: %s", path,
				 strerror(e));
			return -e;
		}
	}
	return 0;
}

int exec_nonce_open(struct exec_nonce *n, const char *path, uint64_t ahead_ms, char *err,
		    size_t errlen)
{
	memset(n, 0, sizeof(*n));
	if (strlen(path) + 8 >= sizeof(n->path)) {
		snprintf(err, errlen, "nonce file path too long");
		return -ENAMETOOLONG;
	}
	snprintf(n->path, sizeof(n->path), "%s", path);
	n->ahead_ms = ahead_ms ? ahead_ms : EXEC_NONCE_AHEAD_MS_DEFAULT;
	uint64_t mark = 0;
	int rc = read_mark(path, &mark, err, errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	n->mark = mark;
	n->last = mark ? mark - 1 : 0;
	return 0;
}

int exec_nonce_next(struct exec_nonce *n, uint64_t now_ms, uint64_t *out, char *err,
		    size_t errlen)
{
	uint64_t v = n->last + 1;
	if (now_ms > n->last)
		v = now_ms;
	if (v >= n->mark) {
		uint64_t mark = v + n->ahead_ms;
		int rc = write_mark(n->path, mark, err, errlen);
		if (rc != 0)
			return rc;
		n->mark = mark;
		n->persists++;
	}
	if (v != now_ms)
		n->bumps++;
	n->last = v;
	*out = v;
	return 0;
}

void exec_nonce_close(struct exec_nonce *n)
{
	(void)n;
}
