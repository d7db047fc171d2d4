/* tests/unit/test_journal.c -- journal round trip, truncation and corruption at every byte,
 * rotation, CRC32C vectors. */
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
#include "tests/helpers/test_util.h"

#define T0_NS 1764000000000000000ull /* 2025-11-24T16:00:00Z */

static void test_journal_crc32c_vectors(void **state)
{
	(void)state;
	assert_int_equal(hat_crc32c("123456789", 9, 0), 0xe3069283u);
	assert_int_equal(hat_crc32c_sw("123456789", 9, 0), 0xe3069283u);
	assert_int_equal(hat_crc32c("", 0, 0), 0);
	uint8_t zeros[32] = { 0 };
	assert_int_equal(hat_crc32c(zeros, 32, 0), 0x8a9136aau); /* RFC 3720 B.4 */
	uint8_t buf[1000];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (size_t n = 0; n < sizeof buf; n += 37) {
		assert_int_equal(hat_crc32c(buf, n, 0), hat_crc32c_sw(buf, n, 0));
		/* Continuation gives the same result as one pass. */
		assert_int_equal(hat_crc32c(buf + n / 2, n - n / 2, hat_crc32c(buf, n / 2, 0)),
				 hat_crc32c_sw(buf, n, 0));
	}
}

/* Lists the journal files of dir with prefix, sorted, into names (caller frees each). */
static int list_files(const char *dir, const char *prefix, char names[][512], int max)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && n < max)
			snprintf(names[n++], 512, "%s/%s", dir, de->d_name);
	closedir(d);
	qsort(names, (size_t)n, 512, (int (*)(const void *, const void *))strcmp);
	return n;
}

static void payload_of(int i, char *buf, size_t cap, size_t *len)
{
	*len = (size_t)snprintf(buf, cap, "{\"channel\":\"trades\",\"i\":%d,\"pad\":\"%.*s\"}", i,
				i % 40, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

static void write_records(const char *dir, int n, uint64_t max_bytes, char *path, size_t pathlen)
{
	struct hat_journal j;
	struct hat_journal_opts o = { .dir = dir, .prefix = "feed", .max_file_bytes = max_bytes,
				      .fsync = HAT_JOURNAL_FSYNC_INTERVAL, .fsync_interval_ms = 10 };
	char err[256] = "";
	assert_int_equal(hat_journal_open(&j, &o, T0_NS, err, sizeof err), 0);
	for (int i = 0; i < n; i++) {
		char p[128];
		size_t len;
		payload_of(i, p, sizeof p, &len);
		assert_int_equal(hat_journal_append(&j, 7 + (uint32_t)(i % 3), T0_NS + (uint64_t)i * 1000,
						    p, len, T0_NS, (uint64_t)i, err, sizeof err), 0);
	}
	assert_int_equal(hat_journal_tick(&j, 1000000), 0);
	if (path)
		snprintf(path, pathlen, "%s", j.path);
	assert_int_equal(j.records, (uint64_t)n);
	hat_journal_close(&j);
	hat_journal_close(&j); /* twice is safe */
}

/* Reads path; returns the number of good records, checks each one, and stores the final code
 * and the offset of the reader in *rc_out / *off_out. */
static int read_all(const char *path, int first, int *rc_out, uint64_t *off_out, char *err,
		    size_t errlen)
{
	struct hat_journal_reader r;
	int rc = hat_journal_reader_open(&r, path, err, errlen);
	if (rc < 0) {
		*rc_out = rc;
		*off_out = 0;
		return 0;
	}
	int n = 0;
	struct hat_journal_rec rec;
	uint64_t expect_off = HAT_JOURNAL_FILE_HDR;
	while ((rc = hat_journal_next(&r, &rec, err, errlen)) == 0) {
		char p[128];
		size_t len;
		payload_of(first + n, p, sizeof p, &len);
		assert_int_equal(rec.len, len);
		assert_memory_equal(rec.data, p, len);
		assert_int_equal(rec.type, 7 + (uint32_t)((first + n) % 3));
		assert_true(rec.ts_ns == T0_NS + (uint64_t)(first + n) * 1000);
		assert_true(rec.offset == expect_off);
		expect_off += HAT_JOURNAL_REC_HDR + len;
		n++;
	}
	*rc_out = rc;
	*off_out = r.offset;
	/* A further call repeats the same answer. */
	assert_int_equal(hat_journal_next(&r, &rec, err, errlen), rc);
	hat_journal_reader_close(&r);
	return n;
}

static void test_journal_round_trip(void **state)
{
	(void)state;
	char dir[256], path[512], err[256] = "";
	tu_tmpdir(dir, sizeof dir);
	write_records(dir, 500, 0, path, sizeof path);
	int rc;
	uint64_t off;
	assert_int_equal(read_all(path, 0, &rc, &off, err, sizeof err), 500);
	assert_int_equal(rc, -ENODATA);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(off == (uint64_t)st.st_size);
	/* File name: prefix, 8-digit sequence, UTC time, suffix. */
	assert_non_null(strstr(path, "/feed-00000001-20251124T160000.hjl"));
	tu_rmtree(dir);
}

static void test_journal_empty_payload_and_reopen_starts_next_file(void **state)
{
	(void)state;
	char dir[256], err[256] = "";
	tu_tmpdir(dir, sizeof dir);
	struct hat_journal j;
	struct hat_journal_opts o = { .dir = dir, .prefix = "wal", .fsync = HAT_JOURNAL_FSYNC_ALWAYS };
	assert_int_equal(hat_journal_open(&j, &o, T0_NS, err, sizeof err), 0);
	assert_int_equal(hat_journal_append(&j, 1, 5, "", 0, T0_NS, 0, err, sizeof err), 0);
	hat_journal_close(&j);
	assert_int_equal(hat_journal_open(&j, &o, T0_NS + 1000000000ull, err, sizeof err), 0);
	assert_non_null(strstr(j.path, "/wal-00000002-20251124T160001.hjl"));
	hat_journal_close(&j);
	char names[4][512];
	assert_int_equal(list_files(dir, "wal-", names, 4), 2);
	struct hat_journal_reader r;
	struct hat_journal_rec rec;
	assert_int_equal(hat_journal_reader_open(&r, names[0], err, sizeof err), 0);
	assert_true(r.file_seq == 1 && r.created_ns == T0_NS);
	assert_int_equal(hat_journal_next(&r, &rec, err, sizeof err), 0);
	assert_int_equal(rec.len, 0);
	assert_int_equal(rec.type, 1);
	assert_true(rec.ts_ns == 5);
	assert_int_equal(hat_journal_next(&r, &rec, err, sizeof err), -ENODATA);
	hat_journal_reader_close(&r);
	tu_rmtree(dir);
}

static void test_journal_rejects_bad_options(void **state)
{
	(void)state;
	char dir[256], err[256] = "";
	tu_tmpdir(dir, sizeof dir);
	struct hat_journal j;
	struct hat_journal_opts o = { .dir = dir, .prefix = "a/b" };
	assert_int_equal(hat_journal_open(&j, &o, T0_NS, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "prefix \"a/b\""));
	o.prefix = "ok";
	o.fsync = HAT_JOURNAL_FSYNC_INTERVAL;
	assert_int_equal(hat_journal_open(&j, &o, T0_NS, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "fsync_interval_ms"));
	o.fsync = HAT_JOURNAL_FSYNC_NEVER;
	o.dir = "/nonexistent/hat";
	assert_int_equal(hat_journal_open(&j, &o, T0_NS, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "opendir(/nonexistent/hat)"));
	o.dir = dir;
	assert_int_equal(hat_journal_open(&j, &o, T0_NS, err, sizeof err), 0);
	assert_int_equal(hat_journal_append(&j, 1, 1, "x", (size_t)HAT_JOURNAL_MAX_RECORD + 1, T0_NS, 0,
					    err, sizeof err), -EMSGSIZE);
	hat_journal_close(&j);
	assert_int_equal(hat_journal_append(&j, 1, 1, "x", 1, T0_NS, 0, err, sizeof err), -EBADF);
	tu_rmtree(dir);
}

static void test_journal_reader_rejects_bad_header(void **state)
{
	(void)state;
	char dir[256], path[600], err[256] = "";
	tu_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/x.hjl", dir);
	struct hat_journal_reader r;
	assert_int_equal(hat_journal_reader_open(&r, path, err, sizeof err), -ENOENT);
	FILE *f = fopen(path, "wb");
	fputs("HATJRNL1", f);
	fclose(f);
	assert_int_equal(hat_journal_reader_open(&r, path, err, sizeof err), HAT_E_TRUNCATED);
	assert_non_null(strstr(err, "shorter than the 32-byte journal header"));
	f = fopen(path, "wb");
	fputs("NOTAJRNL________________________", f);
	fclose(f);
	assert_int_equal(hat_journal_reader_open(&r, path, err, sizeof err), HAT_E_BADMAGIC);
	f = fopen(path, "wb");
	uint8_t h[32] = "HATJRNL1";
	h[8] = 9;
	h[12] = 32;
	fwrite(h, 1, 32, f);
	fclose(f);
	assert_int_equal(hat_journal_reader_open(&r, path, err, sizeof err), HAT_E_BADVERSION);
	assert_non_null(strstr(err, "journal version 9"));
	tu_rmtree(dir);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	uint8_t *b = malloc((size_t)st.st_size);
	FILE *f = fopen(path, "rb");
	assert_int_equal(fread(b, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	*len = (size_t)st.st_size;
	return b;
}

static void spill(const char *path, const uint8_t *b, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
}

/* Record start offsets of the journal in b (good file). */
static int record_starts(const uint8_t *b, size_t len, uint64_t *starts, int max)
{
	int n = 0;
	size_t off = HAT_JOURNAL_FILE_HDR;
	while (off < len && n < max) {
		starts[n++] = off;
		uint32_t l;
		memcpy(&l, b + off, 4);
		off += HAT_JOURNAL_REC_HDR + l;
	}
	starts[n] = off;
	return n;
}

static void test_journal_truncation_at_every_position(void **state)
{
	(void)state;
	char dir[256], path[512], cut[600], err[256] = "";
	tu_tmpdir(dir, sizeof dir);
	write_records(dir, 12, 0, path, sizeof path);
	size_t len;
	uint8_t *b = slurp(path, &len);
	uint64_t starts[32];
	int nrec = record_starts(b, len, starts, 30);
	assert_int_equal(nrec, 12);
	snprintf(cut, sizeof cut, "%s/cut.hjl", dir);
	for (size_t t = HAT_JOURNAL_FILE_HDR; t < len; t++) {
		spill(cut, b, t);
		int k = 0;
		while (starts[k + 1] <= t)
			k++; /* records 0..k-1 are complete; record k is cut (or t == its start) */
		int rc;
		uint64_t off;
		int good = read_all(cut, 0, &rc, &off, err, sizeof err);
		assert_int_equal(good, k);
		if (t == starts[k]) {
			assert_int_equal(rc, -ENODATA);
		} else {
			assert_int_equal(rc, HAT_E_TRUNCATED);
			char want[64];
			snprintf(want, sizeof want, "offset %llu", (unsigned long long)starts[k]);
			assert_non_null(strstr(err, want));
		}
		assert_true(off == starts[k]);
	}
	free(b);
	tu_rmtree(dir);
}

static void test_journal_corruption_at_every_position(void **state)
{
	(void)state;
	char dir[256], path[512], bad[600], err[256] = "";
	tu_tmpdir(dir, sizeof dir);
	write_records(dir, 8, 0, path, sizeof path);
	size_t len;
	uint8_t *b = slurp(path, &len);
	uint64_t starts[32];
	int nrec = record_starts(b, len, starts, 30);
	assert_int_equal(nrec, 8);
	snprintf(bad, sizeof bad, "%s/bad.hjl", dir);
	for (size_t pos = HAT_JOURNAL_FILE_HDR; pos < len; pos++) {
		for (int bit = 0; bit < 8; bit += 7) {
			b[pos] ^= (uint8_t)(1u << bit);
			spill(bad, b, len);
			b[pos] ^= (uint8_t)(1u << bit);
			int k = 0;
			while (starts[k + 1] <= pos)
				k++;
			int rc;
			uint64_t off;
			int good = read_all(bad, 0, &rc, &off, err, sizeof err);
			assert_int_equal(good, k);
			assert_int_equal(rc, HAT_E_CRC);
			assert_true(off == starts[k]);
			char want[64];
			snprintf(want, sizeof want, "offset %llu", (unsigned long long)starts[k]);
			assert_non_null(strstr(err, want));
		}
	}
	free(b);
	tu_rmtree(dir);
}

static void test_journal_rotation_by_size(void **state)
{
	(void)state;
	char dir[256], err[256] = "";
	tu_tmpdir(dir, sizeof dir);
	const uint64_t max = 1024;
	write_records(dir, 100, max, NULL, 0);
	char names[64][512];
	int nf = list_files(dir, "feed-", names, 64);
	assert_true(nf > 5);
	int total = 0;
	for (int i = 0; i < nf; i++) {
		struct stat st;
		assert_int_equal(stat(names[i], &st), 0);
		assert_true((uint64_t)st.st_size <= max);
		char want[32];
		snprintf(want, sizeof want, "/feed-%08d-", i + 1);
		assert_non_null(strstr(names[i], want));
		int rc;
		uint64_t off;
		int got = read_all(names[i], total, &rc, &off, err, sizeof err);
		assert_int_equal(rc, -ENODATA);
		assert_true(got > 0);
		total += got;
	}
	assert_int_equal(total, 100);
	/* hat_journal_list gives the same files in sequence order, ignoring others. */
	char other[600];
	snprintf(other, sizeof other, "%s/feedx-00000009-x.hjl", dir);
	fclose(fopen(other, "w"));
	snprintf(other, sizeof other, "%s/feed-notanumber.hjl", dir);
	fclose(fopen(other, "w"));
	struct hat_journal_file *files;
	size_t n;
	assert_int_equal(hat_journal_list(dir, "feed", &files, &n, err, sizeof err), 0);
	assert_int_equal(n, (size_t)nf);
	for (size_t i = 0; i < n; i++) {
		assert_true(files[i].seq == i + 1);
		assert_string_equal(files[i].path, names[i]);
	}
	hat_journal_list_free(files);
	assert_int_equal(hat_journal_list(dir, "a/b", &files, &n, err, sizeof err), -EINVAL);
	assert_int_equal(hat_journal_list("/nonexistent", "feed", &files, &n, err, sizeof err), -ENOENT);
	assert_int_equal(n, 0);
	tu_rmtree(dir);
}

static void test_journal_large_record_spans_reader_buffer(void **state)
{
	(void)state;
	char dir[256], err[256] = "";
	tu_tmpdir(dir, sizeof dir);
	struct hat_journal j;
	struct hat_journal_opts o = { .dir = dir, .prefix = "big", .max_file_bytes = 4096 };
	assert_int_equal(hat_journal_open(&j, &o, T0_NS, err, sizeof err), 0);
	size_t n = 300000;
	uint8_t *p = malloc(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7);
	assert_int_equal(hat_journal_append(&j, 2, 3, "a", 1, T0_NS, 0, err, sizeof err), 0);
	assert_int_equal(hat_journal_append(&j, 2, 4, p, n, T0_NS, 0, err, sizeof err), 0);
	assert_int_equal(j.rotations, 1); /* the big one went to a file of its own */
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", j.path);
	hat_journal_close(&j);
	struct hat_journal_reader r;
	struct hat_journal_rec rec;
	assert_int_equal(hat_journal_reader_open(&r, path, err, sizeof err), 0);
	assert_int_equal(hat_journal_next(&r, &rec, err, sizeof err), 0);
	assert_int_equal(rec.len, n);
	assert_memory_equal(rec.data, p, n);
	assert_int_equal(hat_journal_next(&r, &rec, err, sizeof err), -ENODATA);
	hat_journal_reader_close(&r);
	free(p);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_crc32c_vectors),
		cmocka_unit_test(test_journal_round_trip),
		cmocka_unit_test(test_journal_empty_payload_and_reopen_starts_next_file),
		cmocka_unit_test(test_journal_rejects_bad_options),
		cmocka_unit_test(test_journal_reader_rejects_bad_header),
		cmocka_unit_test(test_journal_truncation_at_every_position),
		cmocka_unit_test(test_journal_corruption_at_every_position),
		cmocka_unit_test(test_journal_rotation_by_size),
		cmocka_unit_test(test_journal_large_record_spans_reader_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
