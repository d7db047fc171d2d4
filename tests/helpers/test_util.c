/* tests/helpers/test_util.c -- shared test helpers. */
#include "tests/helpers/test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

void tu_instance(char *buf, size_t len)
{
	static unsigned counter;
	snprintf(buf, len, "t%dx%u", (int)getpid(), counter++);
}

const char *tu_bin(const char *name)
{
	static char path[4096];
	const char *dir = getenv("HAT_BIN_DIR");
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "build/asan/bin", name);
	return path;
}

void tu_tmpdir(char *buf, size_t len)
{
	const char *t = getenv("TMPDIR");
	snprintf(buf, len, "%s/hat-test-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(buf))
		fail_msg("mkdtemp(%s) failed: %s", buf, strerror(errno));
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

void tu_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

pid_t tu_spawn(char *const argv[], const char *log_path)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		fail_msg("fork failed: %s", strerror(errno));
	if (pid == 0) {
		/* A test that fails (cmocka jumps past its cleanup) or crashes must not leave its
		 * programs running: they die with the test process. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (log_path) {
			int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
				close(fd);
			}
		}
		execv(argv[0], argv);
		fprintf(stderr, "execv(%s) failed: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

uint64_t tu_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int tu_wait(pid_t pid, int timeout_ms)
{
	uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		if (tu_now_ms() >= end)
			return -1;
		usleep(2000);
	}
}

int tu_kill_wait(pid_t pid, int sig)
{
	kill(pid, sig);
	int st = tu_wait(pid, 5000);
	if (st == -1) {
		kill(pid, SIGKILL);
		st = tu_wait(pid, 5000);
	}
	return st;
}

char *tu_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *s = malloc(cap);
	size_t n;
	while (s && (n = fread(s + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			char *p = realloc(s, cap * 2);
			if (!p) {
				free(s);
				s = NULL;
				break;
			}
			s = p;
			cap *= 2;
		}
	}
	fclose(f);
	if (s)
		s[len] = '\0';
	return s;
}

int tu_wait_file(const char *path, int timeout_ms)
{
	uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
	struct stat st;
	while (tu_now_ms() < end) {
		if (stat(path, &st) == 0 && st.st_size > 0)
			return 0;
		usleep(5000);
	}
	return -1;
}

static int shm_scan(const char *instance, int do_unlink)
{
	char prefix[128];
	snprintf(prefix, sizeof prefix, "hat.%s.", instance);
	size_t plen = strlen(prefix);
	DIR *d = opendir("/dev/shm");
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, plen) != 0)
			continue;
		n++;
		if (do_unlink) {
			char path[300];
			snprintf(path, sizeof path, "/%s", e->d_name);
			shm_unlink(path);
		}
	}
	closedir(d);
	return n;
}

int tu_shm_count(const char *instance) { return shm_scan(instance, 0); }

int tu_shm_cleanup(const char *instance) { return shm_scan(instance, 1); }

unsigned tu_seed(void)
{
	const char *s = getenv("HAT_TEST_SEED");
	if (s && *s)
		return (unsigned)strtoul(s, NULL, 0);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned)(ts.tv_nsec ^ (ts.tv_sec << 16) ^ ((long)getpid() << 8));
}

static pid_t tu_children[256];
static unsigned tu_nchildren;

pid_t tu_fork(void)
{
	pid_t parent = getpid();
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		fail_msg("fork failed: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent) /* the parent died before prctl took effect */
			_exit(125);
		tu_nchildren = 0;
		return 0;
	}
	if (tu_nchildren < sizeof tu_children / sizeof tu_children[0])
		tu_children[tu_nchildren++] = pid;
	return pid;
}

int tu_kill_all(void)
{
	int n = 0;
	for (unsigned i = 0; i < tu_nchildren; i++) {
		pid_t pid = tu_children[i];
		/* Still ours and unreaped? waitpid WNOHANG returns 0 for a live child. */
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			n++;
		}
	}
	tu_nchildren = 0;
	return n;
}
