/* tests/unit/test_journal_zst.c -- cold journals: the zstd-aware reader reads compressed and
 * plain files alike, truncated/corrupt compressed files keep their good records, compaction
 * leaves the newest file warm, retention deletes the oldest cold files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/journal.h"
#include "common/journal_zst.h"
#include "tests/helpers/test_util.h"

#define T0_NS 1764000000000000000ull /* 2025-11-24T16:00:00Z */
#define NREC 4000

/* Writes one journal file of NREC records (payload "rec <i> ..." of varying length) to dir;
 * the file's path goes to path. */
static void write_journal(const char *dir, uint64_t t0, char *path, size_t plen)
{
	struct hat_journal j;
	struct hat_journal_opts o = { dir, "feed", 0, HAT_JOURNAL_FSYNC_NEVER, 0 };
	char err[256];
	assert_int_equal(hat_journal_open(&j, &o, t0, err, sizeof err), 0);
	for (int i = 0; i < NREC; i++) {
		char p[200];
		int n = snprintf(p, sizeof p, "rec %d %.*s", i, i % 150,
				 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"
				 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"
				 "abcdefghij");
		assert_int_equal(hat_journal_append(&j, 1 + (uint32_t)(i % 4), t0 + (uint64_t)i,
						    p, (size_t)n, t0, 0, err, sizeof err), 0);
	}
	snprintf(path, plen, "%s", j.path);
	hat_journal_close(&j);
}

/* Reads path to the end; returns the final code and the count of good records, checking
 * each against what write_journal wrote. */
static int read_all(const char *path, uint64_t t0, int *count, char *err, size_t errlen)
{
	struct hat_jz_reader r;
	int rc = hat_jz_open(&r, path, err, errlen);
	if (rc < 0)
		return rc;
	struct hat_journal_rec rec;
	*count = 0;
	while ((rc = hat_jz_next(&r, &rec, err, errlen)) == 0) {
		char want[32];
		int n = snprintf(want, sizeof want, "rec %d ", *count);
		assert_true(rec.len >= (uint32_t)n);
		assert_memory_equal(rec.data, want, (size_t)n);
		assert_int_equal(rec.type, 1 + (uint32_t)(*count % 4));
		assert_true(rec.ts_ns == t0 + (uint64_t)*count);
		(*count)++;
	}
	/* errors repeat */
	char err2[256];
	assert_int_equal(hat_jz_next(&r, &rec, err2, sizeof err2), rc);
	hat_jz_close(&r);
	return rc;
}

static void test_jz_reads_plain_and_compressed_alike(void **state)
{
	(void)state;
	char dir[256], path[1024], zpath[1100], err[256];
	tu_tmpdir(dir, sizeof dir);
	write_journal(dir, T0_NS, path, sizeof path);
	snprintf(zpath, sizeof zpath, "%s.zst", path);
	assert_int_equal(hat_jz_compress_file(path, zpath, 3, err, sizeof err), 0);
	int n = 0;
	assert_int_equal(read_all(path, T0_NS, &n, err, sizeof err), -ENODATA);
	assert_int_equal(n, NREC);
	assert_int_equal(read_all(zpath, T0_NS, &n, err, sizeof err), -ENODATA);
	assert_int_equal(n, NREC);
	struct stat a, b;
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(stat(zpath, &b), 0);
	assert_true(b.st_size < a.st_size / 4);   /* repetitive payloads compress well */
	/* Compressing onto an existing file is refused. */
	assert_int_equal(hat_jz_compress_file(path, zpath, 3, err, sizeof err), -EEXIST);
	tu_rmtree(dir);
}

static void test_jz_truncated_compressed_file_keeps_good_records(void **state)
{
	(void)state;
	char dir[256], path[1024], zpath[1100], err[256];
	tu_tmpdir(dir, sizeof dir);
	write_journal(dir, T0_NS, path, sizeof path);
	snprintf(zpath, sizeof zpath, "%s.zst", path);
	assert_int_equal(hat_jz_compress_file(path, zpath, 1, err, sizeof err), 0);
	struct stat b;
	assert_int_equal(stat(zpath, &b), 0);
	assert_int_equal(truncate(zpath, b.st_size * 2 / 3), 0);
	int n = 0;
	int rc = read_all(zpath, T0_NS, &n, err, sizeof err);
	assert_int_equal(rc, HAT_E_TRUNCATED);
	assert_true(n > 0 && n < NREC);
	assert_non_null(strstr(err, "offset"));
	tu_rmtree(dir);
}

static void test_jz_corrupt_compressed_file_is_reported(void **state)
{
	(void)state;
	char dir[256], path[1024], zpath[1100], err[256];
	tu_tmpdir(dir, sizeof dir);
	write_journal(dir, T0_NS, path, sizeof path);
	snprintf(zpath, sizeof zpath, "%s.zst", path);
	assert_int_equal(hat_jz_compress_file(path, zpath, 1, err, sizeof err), 0);
	struct stat b;
	assert_int_equal(stat(zpath, &b), 0);
	int fd = open(zpath, O_RDWR);
	assert_true(fd >= 0);
	for (off_t o = b.st_size / 2; o < b.st_size / 2 + 8; o++) {
		uint8_t x = 0x5a;
		assert_int_equal(pwrite(fd, &x, 1, o), 1);
	}
	close(fd);
	int n = 0;
	int rc = read_all(zpath, T0_NS, &n, err, sizeof err);
	assert_true(rc == HAT_E_CRC || rc == HAT_E_TRUNCATED);
	assert_true(n < NREC);
	tu_rmtree(dir);
}

static void test_jz_open_rejects_non_journal(void **state)
{
	(void)state;
	char dir[256], path[300], err[256];
	tu_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/x.hjl", dir);
	FILE *f = fopen(path, "w");
	fputs("this is not a journal, but it is long enough for a header", f);
	fclose(f);
	struct hat_jz_reader r;
	assert_int_equal(hat_jz_open(&r, path, err, sizeof err), HAT_E_BADMAGIC);
	assert_non_null(strstr(err, "bad magic"));
	snprintf(path, sizeof path, "%s/missing.hjl", dir);
	assert_int_equal(hat_jz_open(&r, path, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "missing.hjl"));
	tu_rmtree(dir);
}

static int count_suffix(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t a = strlen(de->d_name), b = strlen(suffix);
		n += a > b && strcmp(de->d_name + a - b, suffix) == 0;
	}
	closedir(d);
	return n;
}

static void test_jz_compact_keeps_newest_warm_and_applies_retention(void **state)
{
	(void)state;
	char dir[256], path[1024], err[256];
	tu_tmpdir(dir, sizeof dir);
	for (int i = 0; i < 4; i++)   /* four files, one day apart, seq 1..4 */
		write_journal(dir, T0_NS + (uint64_t)i * 86400000000000ull, path, sizeof path);
	char notj[300];
	snprintf(notj, sizeof notj, "%s/notes.txt", dir);
	FILE *f = fopen(notj, "w");
	fputs("keep me", f);
	fclose(f);

	struct hat_jz_retention ret = { 0 };
	struct hat_jz_compact_stats st;
	uint64_t now = T0_NS + 4 * 86400000000000ull;
	assert_int_equal(hat_jz_compact(dir, &ret, now, &st, err, sizeof err), 0);
	assert_int_equal(st.compressed, 3);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.deleted, 0);
	assert_true(st.bytes_after < st.bytes_before);
	assert_int_equal(count_suffix(dir, ".hjl.zst"), 3);
	assert_int_equal(count_suffix(dir, ".hjl"), 1);
	int n;
	assert_int_equal(read_all(path, T0_NS + 3 * 86400000000000ull, &n, err, sizeof err),
			 -ENODATA);   /* the newest (warm) file is untouched */

	/* Age: files created more than 2 days before now go (days 0 and 1). */
	ret.max_age_days = 2;
	assert_int_equal(hat_jz_compact(dir, &ret, now, &st, err, sizeof err), 0);
	assert_int_equal(st.compressed, 0);
	assert_int_equal(st.deleted, 2);
	assert_int_equal(count_suffix(dir, ".hjl.zst"), 1);

	/* Bytes: a 1-byte budget deletes every cold file; the warm one stays. */
	ret.max_age_days = 0;
	ret.max_bytes = 1;
	assert_int_equal(hat_jz_compact(dir, &ret, now, &st, err, sizeof err), 0);
	assert_int_equal(st.deleted, 1);
	assert_int_equal(st.cold_bytes, 0);
	assert_int_equal(count_suffix(dir, ".zst"), 0);
	assert_int_equal(count_suffix(dir, ".hjl"), 1);
	assert_int_equal(access(notj, F_OK), 0);

	/* compress_newest: the last warm file goes cold too. */
	ret.max_bytes = 0;
	ret.compress_newest = true;
	assert_int_equal(hat_jz_compact(dir, &ret, now, &st, err, sizeof err), 0);
	assert_int_equal(st.compressed, 1);
	assert_int_equal(count_suffix(dir, ".hjl"), 0);
	tu_rmtree(dir);
}

static void test_jz_journal_names(void **state)
{
	(void)state;
	bool cold;
	assert_true(hat_jz_is_journal_name("feed-00000001-20251124T160000.hjl", &cold));
	assert_false(cold);
	assert_true(hat_jz_is_journal_name("feed-00000001-20251124T160000.hjl.zst", &cold));
	assert_true(cold);
	assert_true(hat_jz_is_journal_name("sample.journal", &cold));
	assert_false(cold);
	assert_false(hat_jz_is_journal_name("notes.txt", &cold));
	assert_false(hat_jz_is_journal_name("x.zst", &cold));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jz_reads_plain_and_compressed_alike),
		cmocka_unit_test(test_jz_truncated_compressed_file_keeps_good_records),
		cmocka_unit_test(test_jz_corrupt_compressed_file_is_reported),
		cmocka_unit_test(test_jz_open_rejects_non_journal),
		cmocka_unit_test(test_jz_compact_keeps_newest_warm_and_applies_retention),
		cmocka_unit_test(test_jz_journal_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
