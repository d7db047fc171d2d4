/* tools/hatctl/cmd_data.c -- see cmd_data.h. */
#include "tools/hatctl/cmd_data.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/journal_zst.h"
#include "tools/report/export.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: hatctl data ls [DIR|FILE]\n"
		"       hatctl data export JOURNAL --csv [--out DIR]\n"
		"       hatctl data export AUDIT --audit --csv [--mids MIDS.csv] [--sample-ms N] "
		"[--out DIR]\n"
		"       hatctl data compact DIR [--max-age-days N] [--max-bytes N[K|M|G]] "
		"[--level N] [--all]\n");
	return 2;
}

/* ---------------------------------------------------------------- progress */

struct progress {
	bool tty;
	int last_pct;
	const char *what;
};

static void human(uint64_t b, char *buf, size_t len)
{
	if (b >= 10ull << 30)
		snprintf(buf, len, "%.1f GiB", (double)b / (1ull << 30));
	else if (b >= 10ull << 20)
		snprintf(buf, len, "%.1f MiB", (double)b / (1ull << 20));
	else if (b >= 10ull << 10)
		snprintf(buf, len, "%.1f KiB", (double)b / (1ull << 10));
	else
		snprintf(buf, len, "%llu B", (unsigned long long)b);
}

static void on_progress(void *user, uint64_t done, uint64_t total)
{
	struct progress *p = user;
	int pct = total ? (int)(done * 100 / total) : 100;
	if (pct > 100)
		pct = 100;
	if (pct == p->last_pct)
		return;
	char d[32], t[32];
	human(done, d, sizeof d);
	human(total, t, sizeof t);
	if (p->tty) {
		char bar[41];
		int fill = pct * 40 / 100;
		for (int i = 0; i < 40; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[40] = '\0';
		fprintf(stderr, "\r%s [%s] %3d%% %s / %s", p->what, bar, pct, d, t);
		if (pct == 100)
			fputc('\n', stderr);
	} else if (pct / 10 != p->last_pct / 10 || pct == 100) {
		fprintf(stderr, "%s: %d%% (%s of %s)\n", p->what, pct, d, t);
	}
	p->last_pct = pct;
}

/* ---------------------------------------------------------------- ls */

static void fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (!ns) {
		snprintf(buf, len, "-");
		return;
	}
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_ls(const char *arg)
{
	/* A file is listed on its own (its directory, filtered to it). */
	char dirbuf[4096];
	const char *dir = arg, *only = NULL;
	struct stat sb;
	if (stat(arg, &sb) == 0 && S_ISREG(sb.st_mode)) {
		snprintf(dirbuf, sizeof dirbuf, "%s", arg);
		char *slash = strrchr(dirbuf, '/');
		only = slash ? arg + (slash - dirbuf) + 1 : arg;
		if (slash)
			*slash = '\0';
		dir = slash ? (dirbuf[0] ? dirbuf : "/") : ".";
	}
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "hatctl data ls: opendir(%s) failed: %s\n", dir, strerror(errno));
		return 1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		bool cold;
		if (only ? strcmp(de->d_name, only) != 0 : !hat_jz_is_journal_name(de->d_name, &cold))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **g = realloc(names, cap * sizeof *names);
			if (!g)
				break;
			names = g;
		}
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	printf("%-44s %-20s %-20s %10s %10s %-4s %s\n", "FILE", "FROM", "TO", "RECORDS", "SIZE",
	       "TIER", "STATUS");
	int rc_all = 0;
	uint64_t total_bytes = 0, total_recs = 0;
	for (size_t i = 0; i < n; i++) {
		char path[8192], err[512] = "", from[32], to[32], sz[32];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		struct hat_jz_reader r;
		uint64_t first = 0, last = 0, recs = 0, bytes = 0;
		bool cold = false;
		int rc = hat_jz_open(&r, path, err, sizeof err);
		if (rc == 0) {
			struct hat_journal_rec rec;
			cold = r.zst;
			bytes = r.file_bytes;
			while ((rc = hat_jz_next(&r, &rec, err, sizeof err)) == 0) {
				if (!first)
					first = rec.ts_ns;
				last = rec.ts_ns;
			}
			recs = r.records;
			hat_jz_close(&r);
		} else {
			struct stat fsb;
			if (stat(path, &fsb) == 0)
				bytes = (uint64_t)fsb.st_size;
		}
		fmt_ns(first, from, sizeof from);
		fmt_ns(last, to, sizeof to);
		human(bytes, sz, sizeof sz);
		const char *status = rc == -ENODATA ? "ok" : err;
		if (rc != -ENODATA)
			rc_all = 1;
		printf("%-44s %-20s %-20s %10llu %10s %-4s %s\n", names[i], from, to,
		       (unsigned long long)recs, sz, cold ? "cold" : "warm", status);
		total_bytes += bytes;
		total_recs += recs;
		free(names[i]);
	}
	free(names);
	char tb[32];
	human(total_bytes, tb, sizeof tb);
	printf("%zu journal(s), %llu records, %s\n", n, (unsigned long long)total_recs, tb);
	return rc_all;
}

/* ---------------------------------------------------------------- export */

static int cmd_export(int argc, char **argv)
{
	const char *file = NULL, *out = ".", *mids = NULL;
	bool csv = false, audit = false;
	long sample_ms = 1000;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--csv"))
			csv = true;
		else if (!strcmp(argv[i], "--audit"))
			audit = true;
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--mids") && i + 1 < argc)
			mids = argv[++i];
		else if (!strcmp(argv[i], "--sample-ms") && i + 1 < argc) {
			char *end;
			sample_ms = strtol(argv[++i], &end, 10);
			if (*end || sample_ms <= 0) {
				fprintf(stderr, "hatctl data export: --sample-ms: expected a positive "
					"integer (got \"%s\")\n", argv[i]);
				return 2;
			}
		} else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else
			return usage();
	}
	if (!file || !csv) {
		if (file && !csv)
			fprintf(stderr, "hatctl data export: --csv is the only format (say --csv)\n");
		return usage();
	}
	if (mkdir(out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "hatctl data export: mkdir(%s) failed: %s\n", out, strerror(errno));
		return 1;
	}
	struct progress p = { isatty(2) == 1, -1, file };
	char err[512] = "";
	if (audit) {
		struct rpt_audit_stats st;
		int rc = rpt_export_audit(file, mids, out, sample_ms, on_progress, &p, &st, err,
					  sizeof err);
		if (rc < 0) {
			fprintf(stderr, "hatctl data export: %s\n", err);
			return 1;
		}
		printf("exported %s: lines=%llu orders=%llu cancels=%llu fills=%llu "
		       "duplicate_fills=%llu rejects=%llu unanswered=%llu pnl_rows=%llu -> %s\n",
		       file, (unsigned long long)st.lines, (unsigned long long)st.orders,
		       (unsigned long long)st.cancels, (unsigned long long)st.fills,
		       (unsigned long long)st.dup_fills, (unsigned long long)st.rejects,
		       (unsigned long long)st.unanswered, (unsigned long long)st.pnl_rows, out);
		if (st.bad_lines)
			fprintf(stderr, "hatctl data export: %s: torn last line ignored\n", file);
		return 0;
	}
	struct rpt_journal_stats st;
	int rc = rpt_export_journal(file, out, on_progress, &p, &st, err, sizeof err);
	if (p.tty && p.last_pct >= 0 && p.last_pct < 100)
		fputc('\n', stderr);
	if (rc < 0 && st.records == 0 && st.bad_offset == 0) {
		fprintf(stderr, "hatctl data export: %s\n", err);
		return 1;
	}
	printf("exported %s: records=%llu frames=%llu books=%llu book_rows=%llu trades=%llu "
	       "mids=%llu parse_errors=%llu -> %s\n", file, (unsigned long long)st.records,
	       (unsigned long long)st.frames, (unsigned long long)st.books,
	       (unsigned long long)st.book_rows, (unsigned long long)st.trades,
	       (unsigned long long)st.mids, (unsigned long long)st.parse_errors, out);
	if (rc < 0) {
		fprintf(stderr, "hatctl data export: %s: bad record at byte offset %llu (%s); the "
			"%llu good records before it were exported\n", file,
			(unsigned long long)st.bad_offset, err, (unsigned long long)st.records);
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- compact */

static int parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		return -EINVAL;
	uint64_t mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1ull << 10, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1ull << 20, end++;
	else if (*end == 'G' || *end == 'g')
		mul = 1ull << 30, end++;
	if (*end)
		return -EINVAL;
	*out = v * mul;
	return 0;
}

static int cmd_compact(int argc, char **argv)
{
	const char *dir = NULL;
	struct hat_jz_retention ret = { 0 };
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--max-age-days") && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 0 || v > 100000) {
				fprintf(stderr, "hatctl data compact: --max-age-days: expected days "
					"(got \"%s\")\n", argv[i]);
				return 2;
			}
			ret.max_age_days = (uint32_t)v;
		} else if (!strcmp(argv[i], "--max-bytes") && i + 1 < argc) {
			if (parse_bytes(argv[++i], &ret.max_bytes) < 0) {
				fprintf(stderr, "hatctl data compact: --max-bytes: expected N, NK, NM "
					"or NG (got \"%s\")\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--level") && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 1 || v > 19) {
				fprintf(stderr, "hatctl data compact: --level: expected 1..19 "
					"(got \"%s\")\n", argv[i]);
				return 2;
			}
			ret.level = (int)v;
		} else if (!strcmp(argv[i], "--all")) {
			ret.compress_newest = true;
		} else if (argv[i][0] != '-' && !dir) {
			dir = argv[i];
		} else {
			return usage();
		}
	}
	if (!dir)
		return usage();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	struct hat_jz_compact_stats st;
	char err[512] = "";
	int rc = hat_jz_compact(dir, &ret, now, &st, err, sizeof err);
	char a[32], b[32], c[32], d[32];
	human(st.bytes_before, a, sizeof a);
	human(st.bytes_after, b, sizeof b);
	human(st.bytes_deleted, c, sizeof c);
	human(st.cold_bytes, d, sizeof d);
	printf("compacted %s: compressed=%u (%s -> %s) left_warm=%u deleted=%u (%s) cold=%s\n",
	       dir, st.compressed, a, b, st.skipped, st.deleted, c, d);
	if (rc < 0) {
		fprintf(stderr, "hatctl data compact: %s\n", err);
		return 1;
	}
	return 0;
}

int hatctl_data(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "ls")) {
		if (argc > 3)
			return usage();
		return cmd_ls(argc == 3 ? argv[2] : "var/journal");
	}
	if (!strcmp(argv[1], "export"))
		return cmd_export(argc, argv);
	if (!strcmp(argv[1], "compact"))
		return cmd_compact(argc, argv);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage(), 0;
	fprintf(stderr, "hatctl data: unknown subcommand \"%s\"\n", argv[1]);
	return usage();
}
