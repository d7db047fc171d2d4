/* tests/unit/test_shm.c -- named segments: names, create/open round trip, header contents, mode,
 * read-only mapping, unlink, kind/version/size checks on open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/shm.h"
#include "tests/helpers/test_util.h"

static void test_shm_name_builds_and_validates(void **state)
{
	(void)state;
	char buf[HAT_SHM_NAME_MAX], err[200];
	assert_int_equal(hat_shm_name(buf, sizeof buf, "main", "md", err, sizeof err), 0);
	assert_string_equal(buf, "/hat.main.md");
	assert_int_equal(hat_shm_name(buf, sizeof buf, "acct-2_b", "cmd.riskd", err, sizeof err), 0);
	assert_string_equal(buf, "/hat.acct-2_b.cmd.riskd");

	assert_int_equal(hat_shm_name(buf, sizeof buf, "", "md", err, sizeof err), -EINVAL);
	assert_string_equal(err, "shm: bad instance name \"\" (1+ chars of A-Z a-z 0-9 _ -)");
	assert_int_equal(hat_shm_name(buf, sizeof buf, "a.b", "md", err, sizeof err), -EINVAL);
	assert_string_equal(err, "shm: bad instance name \"a.b\" (1+ chars of A-Z a-z 0-9 _ -)");
	assert_int_equal(hat_shm_name(buf, sizeof buf, NULL, "md", err, sizeof err), -EINVAL);
	assert_int_equal(hat_shm_name(buf, sizeof buf, "main", "m/d", err, sizeof err), -EINVAL);
	assert_string_equal(err, "shm: bad segment name \"m/d\" (1+ chars of A-Z a-z 0-9 _ - .)");
	assert_int_equal(hat_shm_name(buf, sizeof buf, "main", "", err, sizeof err), -EINVAL);

	char longname[80];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(hat_shm_name(buf, sizeof buf, "main", longname, err, sizeof err),
			 -ENAMETOOLONG);
	assert_non_null(strstr(err, "is too long (max 63 chars)"));
	/* 63 chars fit exactly ("/hat.a." is 7, plus 56); 64 do not. */
	char n57[58];
	memset(n57, 'y', 57);
	n57[56] = '\0';
	assert_int_equal(hat_shm_name(buf, sizeof buf, "a", n57, err, sizeof err), 0);
	assert_int_equal(strlen(buf), 63);
	n57[56] = 'y';
	n57[57] = '\0';
	assert_int_equal(hat_shm_name(buf, sizeof buf, "a", n57, err, sizeof err), -ENAMETOOLONG);
	/* A small caller buffer is also too long. */
	char small[8];
	assert_int_equal(hat_shm_name(small, sizeof small, "main", "md", err, sizeof err),
			 -ENAMETOOLONG);
	/* NULL err buffer is allowed. */
	assert_int_equal(hat_shm_name(buf, sizeof buf, "", "md", NULL, 0), -EINVAL);
}

static void test_shm_create_open_round_trip(void **state)
{
	(void)state;
	char inst[32], err[256], path[128];
	tu_instance(inst, sizeof inst);
	struct hat_shm s, o;
	uint64_t t0 = hat_now_ns();
	assert_int_equal(hat_shm_create(&s, inst, "seg", HAT_SHM_KIND_TEST, 7, 8192, err, sizeof err), 0);
	uint64_t t1 = hat_now_ns();
	struct hat_shm_hdr *h = hat_shm_hdr(&s);
	assert_int_equal(h->magic, HAT_SHM_MAGIC);
	assert_int_equal(h->layout_version, 7);
	assert_int_equal(h->kind, HAT_SHM_KIND_TEST);
	assert_int_equal(h->size, 8192);
	assert_in_range(h->created_ns, t0, t1);
	assert_int_equal(h->creator_pid, getpid());
	snprintf(path, sizeof path, "/hat.%s.seg", inst);
	assert_string_equal(h->name, path);
	assert_string_equal(s.name, path);
	assert_int_equal(s.size, 8192);
	/* Body zero-filled. */
	const unsigned char *body = hat_shm_body(&s);
	for (size_t i = 0; i < 8192 - HAT_SHM_HDR_SIZE; i++)
		if (body[i])
			fail_msg("body byte %zu is %u", i, body[i]);

	/* Mode exactly 0600 regardless of umask. */
	struct stat st;
	char dev[160];
	snprintf(dev, sizeof dev, "/dev/shm/hat.%s.seg", inst);
	assert_int_equal(stat(dev, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 8192);

	/* Open sees what the creator wrote. */
	((unsigned char *)hat_shm_body(&s))[100] = 0x42;
	assert_int_equal(hat_shm_open(&o, inst, "seg", HAT_SHM_KIND_TEST, 7, 8192, 0, err, sizeof err), 0);
	assert_int_equal(((unsigned char *)hat_shm_body(&o))[100], 0x42);
	assert_int_equal(hat_shm_hdr(&o)->created_ns, h->created_ns);
	hat_shm_close(&o);
	assert_null(o.base);
	hat_shm_close(&o); /* idempotent */
	/* Any kind, any version, any size. */
	assert_int_equal(hat_shm_open(&o, inst, "seg", HAT_SHM_KIND_ANY, 0, 0, 0, err, sizeof err), 0);
	hat_shm_close(&o);

	assert_int_equal(hat_shm_create(&o, inst, "seg", HAT_SHM_KIND_TEST, 7, 8192, err, sizeof err),
			 -EEXIST);
	char want[200];
	snprintf(want, sizeof want, "shm_open(\"/hat.%s.seg\", O_CREAT|O_EXCL) failed: File exists", inst);
	assert_string_equal(err, want);

	hat_shm_close(&s);
	assert_int_equal(hat_shm_unlink(inst, "seg", err, sizeof err), 0);
	assert_int_equal(hat_shm_unlink(inst, "seg", err, sizeof err), -ENOENT);
	snprintf(want, sizeof want, "shm_unlink(\"/hat.%s.seg\") failed: No such file or directory", inst);
	assert_string_equal(err, want);
	assert_int_equal(tu_shm_count(inst), 0);
}

static void test_shm_create_rejects_bad_arguments(void **state)
{
	(void)state;
	char inst[32], err[256];
	tu_instance(inst, sizeof inst);
	struct hat_shm s;
	assert_int_equal(hat_shm_create(&s, inst, "seg", HAT_SHM_KIND_TEST, 1, 100, err, sizeof err),
			 -EINVAL);
	char want[200];
	snprintf(want, sizeof want, "shm /hat.%s.seg: size 100 is smaller than the 128-byte header", inst);
	assert_string_equal(err, want);
	assert_int_equal(hat_shm_create(&s, inst, "seg", HAT_SHM_KIND_ANY, 1, 4096, err, sizeof err),
			 -EINVAL);
	assert_int_equal(hat_shm_create(&s, inst, "s g", HAT_SHM_KIND_TEST, 1, 4096, err, sizeof err),
			 -EINVAL);
	assert_int_equal(tu_shm_count(inst), 0);
}

static void test_shm_open_missing_returns_enoent(void **state)
{
	(void)state;
	char inst[32], err[256], want[200];
	tu_instance(inst, sizeof inst);
	struct hat_shm s;
	assert_int_equal(hat_shm_open(&s, inst, "md", HAT_SHM_KIND_RING, 1, 0, 0, err, sizeof err), -ENOENT);
	snprintf(want, sizeof want, "shm /hat.%s.md: no such segment (is superd running for instance %s?)",
		 inst, inst);
	assert_string_equal(err, want);
	assert_null(s.base);
}

static void test_shm_open_checks_kind_version_expected_size(void **state)
{
	(void)state;
	char inst[32], err[256], want[200];
	tu_instance(inst, sizeof inst);
	struct hat_shm s, o;
	assert_int_equal(hat_shm_create(&s, inst, "b", HAT_SHM_KIND_BOARD, 3, 4096, err, sizeof err), 0);

	assert_int_equal(hat_shm_open(&o, inst, "b", HAT_SHM_KIND_CONTROL, 3, 0, 0, err, sizeof err),
			 HAT_E_BADMAGIC);
	snprintf(want, sizeof want, "shm /hat.%s.b: is a board segment (kind 2), expected a control (kind 3)",
		 inst);
	assert_string_equal(err, want);
	assert_null(o.base);

	assert_int_equal(hat_shm_open(&o, inst, "b", HAT_SHM_KIND_BOARD, 4, 0, 0, err, sizeof err),
			 HAT_E_BADVERSION);
	snprintf(want, sizeof want,
		 "shm /hat.%s.b: layout version 3, this build expects 4 "
		 "(made by another hat version; recreate it: scripts/launch.sh --fresh or superd --fresh)", inst);
	assert_string_equal(err, want);

	assert_int_equal(hat_shm_open(&o, inst, "b", HAT_SHM_KIND_BOARD, 3, 8192, 0, err, sizeof err),
			 HAT_E_BADSIZE);
	snprintf(want, sizeof want, "shm /hat.%s.b: size 4096 bytes, expected 8192 (recreate it: scripts/launch.sh --fresh or superd --fresh)",
		 inst);
	assert_string_equal(err, want);

	assert_int_equal(hat_shm_open(&o, inst, "b", HAT_SHM_KIND_BOARD, 3, 4096, 0, err, sizeof err), 0);
	hat_shm_close(&o);
	hat_shm_close(&s);
	assert_int_equal(hat_shm_unlink(inst, "b", err, sizeof err), 0);
}

static void test_shm_create_begin_is_refused_until_published(void **state)
{
	(void)state;
	char inst[32], err[256], want[200];
	tu_instance(inst, sizeof inst);
	struct hat_shm s, o;
	assert_int_equal(hat_shm_create_begin(&s, inst, "x", HAT_SHM_KIND_TEST, 1, 4096, err, sizeof err), 0);
	assert_int_equal(hat_shm_hdr(&s)->magic, 0);
	assert_int_equal(hat_shm_open(&o, inst, "x", HAT_SHM_KIND_TEST, 1, 0, 0, err, sizeof err),
			 HAT_E_BADMAGIC);
	snprintf(want, sizeof want, "shm /hat.%s.x: bad magic 0x0 (not a hat segment; recreate it: scripts/launch.sh --fresh or superd --fresh)",
		 inst);
	assert_string_equal(err, want);
	hat_shm_publish(&s);
	assert_int_equal(hat_shm_open(&o, inst, "x", HAT_SHM_KIND_TEST, 1, 0, 0, err, sizeof err), 0);
	hat_shm_close(&o);
	hat_shm_close(&s);
	assert_int_equal(hat_shm_unlink(inst, "x", err, sizeof err), 0);
}

static void test_shm_rdonly_mapping_cannot_be_written(void **state)
{
	(void)state;
	char inst[32], err[256];
	tu_instance(inst, sizeof inst);
	struct hat_shm s, o;
	assert_int_equal(hat_shm_create(&s, inst, "ro", HAT_SHM_KIND_TEST, 1, 4096, err, sizeof err), 0);
	assert_int_equal(hat_shm_open(&o, inst, "ro", HAT_SHM_KIND_TEST, 1, 0, HAT_SHM_RDONLY, err,
				      sizeof err), 0);
	assert_int_equal(o.flags, HAT_SHM_RDONLY);
	((unsigned char *)hat_shm_body(&s))[0] = 9;
	assert_int_equal(((volatile unsigned char *)hat_shm_body(&o))[0], 9); /* reads work */
	pid_t child = tu_fork();
	if (child == 0) {
		signal(SIGSEGV, SIG_DFL); /* die by the signal, not by ASan's report */
		((volatile unsigned char *)hat_shm_body(&o))[0] = 1;
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	assert_int_equal(((unsigned char *)hat_shm_body(&s))[0], 9);
	hat_shm_close(&o);
	hat_shm_close(&s);
	assert_int_equal(hat_shm_unlink(inst, "ro", err, sizeof err), 0);
	assert_int_equal(tu_shm_count(inst), 0);
}

static void test_shm_kind_names(void **state)
{
	(void)state;
	assert_string_equal(hat_shm_kind_name(HAT_SHM_KIND_RING), "ring");
	assert_string_equal(hat_shm_kind_name(HAT_SHM_KIND_BOARD), "board");
	assert_string_equal(hat_shm_kind_name(HAT_SHM_KIND_CONTROL), "control");
	assert_string_equal(hat_shm_kind_name(HAT_SHM_KIND_TEST + 5), "test");
	assert_string_equal(hat_shm_kind_name(77), "unknown");
	assert_string_equal(hat_shm_kind_name(0), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shm_name_builds_and_validates),
		cmocka_unit_test(test_shm_create_open_round_trip),
		cmocka_unit_test(test_shm_create_rejects_bad_arguments),
		cmocka_unit_test(test_shm_open_missing_returns_enoent),
		cmocka_unit_test(test_shm_open_checks_kind_version_expected_size),
		cmocka_unit_test(test_shm_create_begin_is_refused_until_published),
		cmocka_unit_test(test_shm_rdonly_mapping_cannot_be_written),
		cmocka_unit_test(test_shm_kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
