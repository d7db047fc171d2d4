/* tests/proc/test_shm_corrupt.c -- segments damaged by another process (a foreign program, a
 * different hat version, a truncation) are refused at open/attach with the right code and a
 * message naming the segment, by every role including the read-only inspector, and the failed
 * open leaves the segment untouched.
 *
 * The damage is done by a child process using plain POSIX calls on the segment (shm_open,
 * pwrite, ftruncate), the way an unrelated program or an older hat would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/ring.h"
#include "common/shm.h"
#include "tests/helpers/test_util.h"

struct fx {
	char inst[32];
	char path[HAT_SHM_NAME_MAX]; /* /hat.<inst>.md */
	char err[256];
	char want[320];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	tu_instance(f->inst, sizeof f->inst);
	snprintf(f->path, sizeof f->path, "/hat.%s.md", f->inst);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tu_kill_all();
	shm_unlink(f->path);
	int left = tu_shm_count(f->inst);
	tu_shm_cleanup(f->inst);
	free(f);
	return left ? -1 : 0;
}

/* ---------------------------------------------------------------- damage, from another process */

enum damage { D_FOREIGN_ZEROS, D_FOREIGN_TEXT, D_EMPTY, D_VERSION, D_GROW, D_SHRINK_BELOW_HDR,
	      D_HDR_SIZE_FIELD, D_KIND };

/* Runs in a child: damages the segment at path. Exit 0 on success. */
static int do_damage(const char *path, enum damage d)
{
	int fd;
	if (d == D_FOREIGN_ZEROS || d == D_FOREIGN_TEXT || d == D_EMPTY) {
		fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			return 10;
		if (d == D_EMPTY)
			return close(fd) ? 11 : 0;
		if (ftruncate(fd, 4096) != 0)
			return 12;
		if (d == D_FOREIGN_TEXT && pwrite(fd, "GARBAGE!not a hat segment", 25, 0) != 25)
			return 13;
		return close(fd) ? 14 : 0;
	}
	fd = shm_open(path, O_RDWR, 0);
	if (fd < 0)
		return 20;
	int rc = 0;
	uint32_t u32;
	uint64_t u64;
	switch (d) {
	case D_VERSION:
		u32 = HAT_RING_LAYOUT_VERSION + 1;
		rc = pwrite(fd, &u32, 4, offsetof(struct hat_shm_hdr, layout_version)) == 4 ? 0 : 21;
		break;
	case D_GROW:
		rc = ftruncate(fd, HAT_RING_SEGMENT_SIZE(16, 64) + 4096) ? 22 : 0;
		break;
	case D_SHRINK_BELOW_HDR:
		rc = ftruncate(fd, 100) ? 23 : 0;
		break;
	case D_HDR_SIZE_FIELD:
		u64 = 1u << 20;
		rc = pwrite(fd, &u64, 8, offsetof(struct hat_shm_hdr, size)) == 8 ? 0 : 24;
		break;
	case D_KIND:
		u32 = HAT_SHM_KIND_CONTROL;
		rc = pwrite(fd, &u32, 4, offsetof(struct hat_shm_hdr, kind)) == 4 ? 0 : 25;
		break;
	default:
		rc = 29;
	}
	close(fd);
	return rc;
}

static void damage(struct fx *f, enum damage d)
{
	pid_t pid = tu_fork();
	if (pid == 0)
		_exit(do_damage(f->path, d));
	int st = tu_wait(pid, 10000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void make_ring(struct fx *f)
{
	assert_int_equal(hat_ring_create(f->inst, "md", 16, 64, 0, f->err, sizeof f->err), 0);
}

/* A snapshot of the segment's bytes, to prove a refused open wrote nothing. */
static unsigned char *snapshot(struct fx *f, size_t *len)
{
	int fd = shm_open(f->path, O_RDONLY, 0);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	unsigned char *buf = malloc(*len + 1);
	assert_int_equal(pread(fd, buf, *len, 0), (ssize_t)*len);
	close(fd);
	return buf;
}

/* Every way of attaching must fail with code and exactly the message want; the segment must be
 * unchanged afterwards. */
static void expect_refused(struct fx *f, int code)
{
	size_t len0, len1;
	unsigned char *before = snapshot(f, &len0);
	static const int roles[] = { HAT_RING_PRODUCER, HAT_RING_CONSUMER, HAT_RING_READER };
	for (unsigned i = 0; i < 3; i++) {
		struct hat_ring r;
		memset(f->err, 0, sizeof f->err);
		assert_int_equal(hat_ring_attach(&r, f->inst, "md", roles[i], 0, 0, f->err, sizeof f->err),
				 code);
		assert_string_equal(f->err, f->want);
		assert_null(r.sh);
	}
	struct hat_shm s;
	assert_int_equal(hat_shm_open(&s, f->inst, "md", HAT_SHM_KIND_RING, HAT_RING_LAYOUT_VERSION, 0,
				      HAT_SHM_RDONLY, f->err, sizeof f->err), code);
	assert_string_equal(f->err, f->want);
	assert_null(s.base);
	assert_non_null(strstr(hat_strerror(code), "shm segment"));
	unsigned char *after = snapshot(f, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	free(before);
	free(after);
}

/* ---------------------------------------------------------------- tests */

static void test_shm_corrupt_foreign_segment_bad_magic(void **state)
{
	struct fx *f = *state;
	damage(f, D_FOREIGN_ZEROS);
	snprintf(f->want, sizeof f->want,
		 "shm %s: bad magic 0x0 (not a hat segment; recreate it: scripts/launch.sh --fresh or superd --fresh)", f->path);
	expect_refused(f, HAT_E_BADMAGIC);
}

static void test_shm_corrupt_foreign_text_bad_magic(void **state)
{
	struct fx *f = *state;
	damage(f, D_FOREIGN_TEXT);
	/* "GARBAGE!" read as a little-endian u64. */
	snprintf(f->want, sizeof f->want,
		 "shm %s: bad magic 0x2145474142524147 (not a hat segment; recreate it: scripts/launch.sh --fresh or superd --fresh)",
		 f->path);
	expect_refused(f, HAT_E_BADMAGIC);
	assert_string_equal(hat_strerror(HAT_E_BADMAGIC), "shm segment has a bad magic (not a hat segment)");
}

static void test_shm_corrupt_empty_segment_bad_size(void **state)
{
	struct fx *f = *state;
	damage(f, D_EMPTY);
	snprintf(f->want, sizeof f->want,
		 "shm %s: segment is 0 bytes, smaller than the 128-byte header "
		 "(not a hat segment; recreate it: scripts/launch.sh --fresh or superd --fresh)", f->path);
	expect_refused(f, HAT_E_BADSIZE);
}

static void test_shm_corrupt_other_layout_version(void **state)
{
	struct fx *f = *state;
	make_ring(f);
	damage(f, D_VERSION);
	snprintf(f->want, sizeof f->want,
		 "shm %s: layout version %d, this build expects %d "
		 "(made by another hat version; recreate it: scripts/launch.sh --fresh or superd --fresh)",
		 f->path, HAT_RING_LAYOUT_VERSION + 1, HAT_RING_LAYOUT_VERSION);
	expect_refused(f, HAT_E_BADVERSION);
	assert_string_equal(hat_strerror(HAT_E_BADVERSION), "shm segment layout version mismatch");
	/* The inspector can still look at it with "any version". */
	struct hat_shm s;
	assert_int_equal(hat_shm_open(&s, f->inst, "md", HAT_SHM_KIND_ANY, 0, 0, HAT_SHM_RDONLY, f->err,
				      sizeof f->err), 0);
	assert_int_equal(hat_shm_hdr(&s)->layout_version, HAT_RING_LAYOUT_VERSION + 1);
	hat_shm_close(&s);
}

static void test_shm_corrupt_segment_grown(void **state)
{
	struct fx *f = *state;
	make_ring(f);
	damage(f, D_GROW);
	size_t sz = HAT_RING_SEGMENT_SIZE(16, 64);
	snprintf(f->want, sizeof f->want,
		 "shm %s: header says %zu bytes but the segment is %zu bytes "
		 "(truncated or overwritten; recreate it: scripts/launch.sh --fresh or superd --fresh)", f->path, sz, sz + 4096);
	expect_refused(f, HAT_E_BADSIZE);
	assert_string_equal(hat_strerror(HAT_E_BADSIZE), "shm segment size mismatch");
}

static void test_shm_corrupt_segment_truncated_below_header(void **state)
{
	struct fx *f = *state;
	make_ring(f);
	damage(f, D_SHRINK_BELOW_HDR);
	snprintf(f->want, sizeof f->want,
		 "shm %s: segment is 100 bytes, smaller than the 128-byte header "
		 "(not a hat segment; recreate it: scripts/launch.sh --fresh or superd --fresh)", f->path);
	expect_refused(f, HAT_E_BADSIZE);
}

static void test_shm_corrupt_header_size_field(void **state)
{
	struct fx *f = *state;
	make_ring(f);
	damage(f, D_HDR_SIZE_FIELD);
	snprintf(f->want, sizeof f->want,
		 "shm %s: header says 1048576 bytes but the segment is %zu bytes "
		 "(truncated or overwritten; recreate it: scripts/launch.sh --fresh or superd --fresh)", f->path,
		 HAT_RING_SEGMENT_SIZE(16, 64));
	expect_refused(f, HAT_E_BADSIZE);
}

static void test_shm_corrupt_wrong_kind(void **state)
{
	struct fx *f = *state;
	make_ring(f);
	damage(f, D_KIND);
	snprintf(f->want, sizeof f->want,
		 "shm %s: is a control segment (kind 3), expected a ring (kind 1)", f->path);
	expect_refused(f, HAT_E_BADMAGIC);
}

static void test_shm_corrupt_intact_ring_still_attaches(void **state)
{
	/* The control case: the same steps without damage succeed, so the tests above fail for the
	 * damage and nothing else. */
	struct fx *f = *state;
	make_ring(f);
	static const int roles[] = { HAT_RING_PRODUCER, HAT_RING_CONSUMER, HAT_RING_READER };
	for (unsigned i = 0; i < 3; i++) {
		struct hat_ring r;
		assert_int_equal(hat_ring_attach(&r, f->inst, "md", roles[i], 64, 0, f->err, sizeof f->err), 0);
		hat_ring_detach(&r);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_shm_corrupt_foreign_segment_bad_magic),
		T(test_shm_corrupt_foreign_text_bad_magic),
		T(test_shm_corrupt_empty_segment_bad_size),
		T(test_shm_corrupt_other_layout_version),
		T(test_shm_corrupt_segment_grown),
		T(test_shm_corrupt_segment_truncated_below_header),
		T(test_shm_corrupt_header_size_field),
		T(test_shm_corrupt_wrong_kind),
		T(test_shm_corrupt_intact_ring_still_attaches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
