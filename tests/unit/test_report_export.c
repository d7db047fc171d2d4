/* tests/unit/test_report_export.c -- CSV export: journal round trip (rows equal the journal's
 * records), truncated and corrupt journals (good records exported, bad offset reported), a
 * compressed journal exports identically, and the audit export (orders, rejects, fills with
 * dedup, PnL at the recorded mids). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/journal.h"
#include "common/journal_zst.h"
#include "feedd/feedd.h"
#include "tools/report/export.h"
#include "tests/helpers/test_util.h"

#define T0_NS 1764000000000000000ull

static const char *const frames[] = {
	"{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1764000000100,\"levels\":["
	"[{\"px\":\"100.5\",\"sz\":\"1\",\"n\":1},{\"px\":\"100\",\"sz\":\"2.25\",\"n\":2}],"
	"[{\"px\":\"101\",\"sz\":\"0.5\",\"n\":1}]]}}",
	"{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"A\",\"px\":\"100.5\","
	"\"sz\":\"0.1\",\"time\":1764000000200,\"hash\":\"0x00\",\"tid\":77,\"users\":[\"0x1\",\"0x2\"]},"
	"{\"coin\":\"BTC\",\"side\":\"B\",\"px\":\"101\",\"sz\":\"0.05\",\"time\":1764000000201,"
	"\"hash\":\"0x00\",\"tid\":78,\"users\":[\"0x1\",\"0x2\"]}]}",
	"{\"channel\":\"allMids\",\"data\":{\"mids\":{\"BTC\":\"100.75\",\"ETH\":\"3000.1\"}}}",
	"{\"channel\":\"bbo\",\"data\":{\"coin\":\"ETH\",\"time\":1764000000400,\"bbo\":["
	"{\"px\":\"3000\",\"sz\":\"1\",\"n\":1},{\"px\":\"3000.3\",\"sz\":\"2\",\"n\":1}]}}",
	"{\"channel\":\"l2Book\",\"data\":{\"coin\":\"ETH\",\"time\":1764000000500,\"levels\":["
	"[],[{\"px\":\"3001\",\"sz\":\"4\",\"n\":1}]]}}",
};
#define NFRAMES (sizeof frames / sizeof frames[0])

static const char books_want[] =
	"coin,exch_time,recv_time,level,bid_px,bid_sz,ask_px,ask_sz\n"
	"BTC,1764000000100,1764000000000000001,0,100.5,1,101,0.5\n"
	"BTC,1764000000100,1764000000000000001,1,100,2.25,,\n"
	"ETH,1764000000500,1764000000000000005,0,,,3001,4\n";
static const char trades_want[] =
	"coin,time,side,px,sz,tid,recv_time\n"
	"BTC,1764000000200,A,100.5,0.1,77,1764000000000000002\n"
	"BTC,1764000000201,B,101,0.05,78,1764000000000000002\n";
static const char mids_want[] =
	"time_ms,coin,mid,recv_time,source\n"
	"1764000000100,BTC,100.75,1764000000000000001,book\n"
	"1764000000000,BTC,100.75,1764000000000000003,allMids\n"
	"1764000000000,ETH,3000.1,1764000000000000003,allMids\n"
	"1764000000400,ETH,3000.15,1764000000000000004,bbo\n";

/* Writes a META record, then the frames (ts = T0 + i + 1), to dir; returns the offsets of the
 * frame records in offs and the path in path. */
static void write_feed(const char *dir, char *path, size_t plen, uint64_t *offs)
{
	struct hat_journal j;
	struct hat_journal_opts o = { dir, "feed", 0, HAT_JOURNAL_FSYNC_NEVER, 0 };
	char err[256];
	assert_int_equal(hat_journal_open(&j, &o, T0_NS, err, sizeof err), 0);
	const char *meta = "{\"universe\":[{\"name\":\"BTC\",\"szDecimals\":5,\"maxLeverage\":40}]}";
	assert_int_equal(hat_journal_append(&j, FEED_REC_META, T0_NS, meta, strlen(meta), T0_NS, 0,
					    err, sizeof err), 0);
	for (size_t i = 0; i < NFRAMES; i++) {
		offs[i] = j.file_bytes;
		assert_int_equal(hat_journal_append(&j, FEED_REC_FRAME, T0_NS + i + 1, frames[i],
						    strlen(frames[i]), T0_NS, 0, err, sizeof err), 0);
	}
	snprintf(path, plen, "%s", j.path);
	hat_journal_close(&j);
}

static char *slurp(const char *dir, const char *name)
{
	char p[600];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	char *s = tu_read_file(p);
	assert_non_null(s);
	return s;
}

static void expect_file(const char *dir, const char *name, const char *want)
{
	char *s = slurp(dir, name);
	assert_string_equal(s, want);
	free(s);
}

static void test_export_journal_rows_equal_records(void **state)
{
	(void)state;
	char dir[256], path[1024], err[256];
	uint64_t offs[NFRAMES];
	tu_tmpdir(dir, sizeof dir);
	write_feed(dir, path, sizeof path, offs);
	struct rpt_journal_stats st;
	assert_int_equal(rpt_export_journal(path, dir, NULL, NULL, &st, err, sizeof err), 0);
	assert_int_equal(st.records, NFRAMES + 1);
	assert_int_equal(st.frames, NFRAMES);
	assert_int_equal(st.books, 2);
	assert_int_equal(st.trades, 2);
	assert_int_equal(st.parse_errors, 0);
	assert_true(st.first_ts_ns == T0_NS && st.last_ts_ns == T0_NS + NFRAMES);
	expect_file(dir, "books.csv", books_want);
	expect_file(dir, "trades.csv", trades_want);
	expect_file(dir, "mids.csv", mids_want);

	/* The same journal compressed exports the same rows. */
	char zpath[1100], zdir[300];
	snprintf(zpath, sizeof zpath, "%s.zst", path);
	assert_int_equal(hat_jz_compress_file(path, zpath, 3, err, sizeof err), 0);
	snprintf(zdir, sizeof zdir, "%s/z", dir);
	assert_int_equal(mkdir(zdir, 0755), 0);
	assert_int_equal(rpt_export_journal(zpath, zdir, NULL, NULL, &st, err, sizeof err), 0);
	expect_file(zdir, "books.csv", books_want);
	expect_file(zdir, "trades.csv", trades_want);
	expect_file(zdir, "mids.csv", mids_want);
	tu_rmtree(dir);
}

static void test_export_truncated_journal_keeps_good_records(void **state)
{
	(void)state;
	char dir[256], path[1024], err[256];
	uint64_t offs[NFRAMES];
	tu_tmpdir(dir, sizeof dir);
	write_feed(dir, path, sizeof path, offs);
	/* Cut the journal inside the third frame (allMids): books and trades survive. */
	assert_int_equal(truncate(path, (off_t)offs[2] + 30), 0);
	struct rpt_journal_stats st;
	assert_int_equal(rpt_export_journal(path, dir, NULL, NULL, &st, err, sizeof err),
			 HAT_E_TRUNCATED);
	assert_int_equal(st.bad_offset, offs[2]);
	char want[64];
	snprintf(want, sizeof want, "offset %llu", (unsigned long long)offs[2]);
	assert_non_null(strstr(err, want));
	assert_int_equal(st.records, 3);
	expect_file(dir, "books.csv", "coin,exch_time,recv_time,level,bid_px,bid_sz,ask_px,ask_sz\n"
		    "BTC,1764000000100,1764000000000000001,0,100.5,1,101,0.5\n"
		    "BTC,1764000000100,1764000000000000001,1,100,2.25,,\n");
	expect_file(dir, "trades.csv", trades_want);
	tu_rmtree(dir);
}

static void test_export_corrupt_journal_reports_offset(void **state)
{
	(void)state;
	char dir[256], path[1024], err[256];
	uint64_t offs[NFRAMES];
	tu_tmpdir(dir, sizeof dir);
	write_feed(dir, path, sizeof path, offs);
	/* Flip a payload byte of the second frame (trades). */
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	char x = 'Z';
	assert_int_equal(pwrite(fd, &x, 1, (off_t)offs[1] + HAT_JOURNAL_REC_HDR + 5), 1);
	close(fd);
	struct rpt_journal_stats st;
	assert_int_equal(rpt_export_journal(path, dir, NULL, NULL, &st, err, sizeof err), HAT_E_CRC);
	assert_int_equal(st.bad_offset, offs[1]);
	assert_non_null(strstr(err, "checksum"));
	assert_int_equal(st.records, 2);
	expect_file(dir, "trades.csv", "coin,time,side,px,sz,tid,recv_time\n");
	char *b = slurp(dir, "books.csv");
	assert_non_null(strstr(b, "BTC,1764000000100,1764000000000000001,1,100,2.25,,\n"));
	free(b);
	/* Not a journal at all. */
	char bogus[300];
	snprintf(bogus, sizeof bogus, "%s/bogus.journal", dir);
	FILE *f = fopen(bogus, "w");
	fputs("definitely not a journal file, just text of some length", f);
	fclose(f);
	assert_int_equal(rpt_export_journal(bogus, dir, NULL, NULL, &st, err, sizeof err),
			 HAT_E_BADMAGIC);
	tu_rmtree(dir);
}

/* ---------------------------------------------------------------- audit */

static const char audit_text[] =
	/* meta: asset 0 = BTC, 1 = ETH */
	"{\"seq\":1,\"ts\":1764000000000,\"kind\":\"event\",\"nonce\":0,\"body\":{\"universe\":["
	"{\"name\":\"BTC\",\"szDecimals\":5,\"maxLeverage\":40},{\"name\":\"ETH\",\"szDecimals\":4,"
	"\"maxLeverage\":25}]},\"prev\":\"00\",\"hash\":\"00\"}\n"
	/* two orders: resting + rejected */
	"{\"seq\":2,\"ts\":1764000000100,\"kind\":\"request\",\"nonce\":11,\"body\":{\"action\":"
	"{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":true,\"p\":\"100\",\"s\":\"2\",\"r\":false,"
	"\"t\":{\"limit\":{\"tif\":\"Alo\"}},\"c\":\"0x00000000000000000000000000000001\"},"
	"{\"a\":1,\"b\":false,\"p\":\"3000\",\"s\":\"1\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Alo\"}},"
	"\"c\":\"0x00000000000000000000000000000002\"}],\"grouping\":\"na\"},\"nonce\":11,"
	"\"signature\":{\"r\":\"0x1\",\"s\":\"0x2\",\"v\":27}},\"prev\":\"00\",\"hash\":\"00\"}\n"
	"{\"seq\":3,\"ts\":1764000000150,\"kind\":\"response\",\"nonce\":11,\"body\":{\"status\":\"ok\","
	"\"response\":{\"type\":\"order\",\"data\":{\"statuses\":[{\"resting\":{\"oid\":501}},"
	"{\"error\":\"Post only order would have immediately matched, bbo was 2999.5@3000.5\"}]}}},"
	"\"prev\":\"00\",\"hash\":\"00\"}\n"
	/* fills of oid 501 (userFills frame), then the same fill again in a reconnect snapshot */
	"{\"seq\":4,\"ts\":1764000001200,\"kind\":\"event\",\"nonce\":0,\"body\":{\"channel\":"
	"\"userFills\",\"data\":{\"user\":\"0xabc\",\"fills\":[{\"coin\":\"BTC\",\"px\":\"100\","
	"\"sz\":\"1\",\"side\":\"B\",\"time\":1764000001000,\"startPosition\":\"0\",\"dir\":"
	"\"Open Long\",\"closedPnl\":\"0\",\"hash\":\"0x0000000000000000000000000000000000000000000000000000000000000000\","
	"\"oid\":501,\"crossed\":false,\"fee\":\"0.01\",\"tid\":9001,\"feeToken\":\"USDC\"}]}},"
	"\"prev\":\"00\",\"hash\":\"00\"}\n"
	"{\"seq\":5,\"ts\":1764000002500,\"kind\":\"event\",\"nonce\":0,\"body\":{\"channel\":"
	"\"userFills\",\"data\":{\"isSnapshot\":true,\"user\":\"0xabc\",\"fills\":[{\"coin\":\"BTC\",\"px\":\"100\","
	"\"sz\":\"1\",\"side\":\"B\",\"time\":1764000001000,\"startPosition\":\"0\",\"dir\":"
	"\"Open Long\",\"closedPnl\":\"0\",\"hash\":\"0x0000000000000000000000000000000000000000000000000000000000000000\","
	"\"oid\":501,\"crossed\":false,\"fee\":\"0.01\",\"tid\":9001,\"feeToken\":\"USDC\"},"
	"{\"coin\":\"BTC\",\"px\":\"103\",\"sz\":\"0.5\",\"side\":\"A\",\"time\":1764000002400,"
	"\"startPosition\":\"1\",\"dir\":\"Close Long\",\"closedPnl\":\"1.5\",\"hash\":"
	"\"0x0000000000000000000000000000000000000000000000000000000000000000\",\"oid\":502,"
	"\"crossed\":true,\"fee\":\"0.02\",\"tid\":9002,\"feeToken\":\"USDC\"}]}},"
	"\"prev\":\"00\",\"hash\":\"00\"}\n"
	/* a cancel, answered; an order never answered */
	"{\"seq\":6,\"ts\":1764000002600,\"kind\":\"request\",\"nonce\":12,\"body\":{\"action\":"
	"{\"type\":\"cancel\",\"cancels\":[{\"a\":0,\"o\":501}]},\"nonce\":12,\"signature\":{}},"
	"\"prev\":\"00\",\"hash\":\"00\"}\n"
	"{\"seq\":7,\"ts\":1764000002650,\"kind\":\"response\",\"nonce\":12,\"body\":{\"status\":\"ok\","
	"\"response\":{\"type\":\"cancel\",\"data\":{\"statuses\":[\"success\"]}}},\"prev\":\"00\",\"hash\":\"00\"}\n"
	"{\"seq\":8,\"ts\":1764000002700,\"kind\":\"request\",\"nonce\":13,\"body\":{\"action\":"
	"{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":false,\"p\":\"104\",\"s\":\"0.5\",\"r\":true,"
	"\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}],\"grouping\":\"na\"},\"nonce\":13,\"signature\":{}},"
	"\"prev\":\"00\",\"hash\":\"00\"}\n";

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* pnl.csv of audit_text marked at audit_files()'s mids. Samples at 0, 1, 2, 3 s: t=0: flat,
 * mid 100 -> 0; t=1: long 1 @100, mid 100 -> -0.01; t=2: mid 101 (102 at 1.5 s, 101 at 2.0 s)
 * -> +1 - 0.01 = 0.99; t=3: sold 0.5 @103 (+1.5 realized), 0.5 left at mid 101 (+0.5), fees
 * 0.03 -> 1.97. */
static const char pnl_of_audit_text[] =
	"time_ms,realized,unrealized,fees,equity\n"
	"1764000000000,0.00000000,0.00000000,0.00000000,0.00000000\n"
	"1764000001000,0.00000000,0.00000000,0.01000000,-0.01000000\n"
	"1764000002000,0.00000000,1.00000000,0.01000000,0.99000000\n"
	"1764000003000,1.50000000,0.50000000,0.03000000,1.97000000\n";

/* A temporary dir (256 bytes) with execd.audit = text and mids_in.csv (three BTC mids);
 * their paths (300 bytes each) in audit and mids. */
static void audit_files(char *dir, char *audit, char *mids, const char *text)
{
	tu_tmpdir(dir, 256);
	snprintf(audit, 300, "%s/execd.audit", dir);
	snprintf(mids, 300, "%s/mids_in.csv", dir);
	write_text(audit, text);
	write_text(mids, "time_ms,coin,mid\n1764000000000,BTC,100\n1764000001500,BTC,102\n"
		   "1764000002000,BTC,101\n");
}

static void test_export_audit_orders_fills_pnl(void **state)
{
	(void)state;
	char dir[256], audit[300], mids[300], err[256];
	audit_files(dir, audit, mids, audit_text);
	struct rpt_audit_stats st;
	assert_int_equal(rpt_export_audit(audit, mids, dir, 1000, NULL, NULL, &st, err,
					  sizeof err), 0);
	assert_int_equal(st.lines, 8);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.responses, 2);
	assert_int_equal(st.orders, 3);
	assert_int_equal(st.cancels, 1);
	assert_int_equal(st.fills, 2);
	assert_int_equal(st.dup_fills, 1);
	assert_int_equal(st.rejects, 1);
	assert_int_equal(st.unanswered, 1);
	expect_file(dir, "orders.csv",
		    "time_ms,action,coin,side,px,sz,cloid,oid,status,reason,nonce\n"
		    "1764000000100,place,BTC,B,100,2,0x00000000000000000000000000000001,501,resting,,11\n"
		    "1764000000100,place,ETH,A,3000,1,0x00000000000000000000000000000002,0,error,"
		    "\"Post only order would have immediately matched, bbo was 2999.5@3000.5\",11\n"
		    "1764000002600,cancel,BTC,,,,,501,success,,12\n"
		    "1764000002700,place,BTC,A,104,0.5,,0,unanswered,,13\n");
	expect_file(dir, "rejects.csv", "time_ms,coin,cloid,reason\n"
		    "1764000000150,ETH,0x00000000000000000000000000000002,\"Post only order would "
		    "have immediately matched, bbo was 2999.5@3000.5\"\n");
	expect_file(dir, "fills.csv",
		    "time_ms,coin,side,px,sz,fee,oid,tid,crossed,cloid,closed_pnl\n"
		    "1764000001000,BTC,B,100,1,0.01,501,9001,false,,0\n"
		    "1764000002400,BTC,A,103,0.5,0.02,502,9002,true,,1.5\n");
	/* events from 0.000 to 2.700 s, mids to 2.000 s, fills to 2.400 s */
	expect_file(dir, "pnl.csv", pnl_of_audit_text);
	tu_rmtree(dir);
}

/* A backtest's audit lines carry the wall clock of the run (here an hour after the market):
 * with mids the equity series spans the market's time, not the run's. */
static void test_export_audit_pnl_spans_the_mids(void **state)
{
	(void)state;
	char dir[256], audit[300], mids[300], err[256], text[8192];
	snprintf(text, sizeof text, "%s%s", audit_text,
		 "{\"seq\":9,\"ts\":1764003600000,\"kind\":\"event\",\"nonce\":0,\"body\":null}\n");
	audit_files(dir, audit, mids, text);
	struct rpt_audit_stats st;
	assert_int_equal(rpt_export_audit(audit, mids, dir, 1000, NULL, NULL, &st, err,
					  sizeof err), 0);
	assert_int_equal(st.lines, 9);
	assert_int_equal(st.pnl_rows, 4);
	expect_file(dir, "pnl.csv", pnl_of_audit_text);
	/* without mids the series follows the audit: to the last line's time */
	assert_int_equal(rpt_export_audit(audit, NULL, dir, 1000, NULL, NULL, &st, err,
					  sizeof err), 0);
	assert_int_equal(st.pnl_rows, 3601);
	tu_rmtree(dir);
}

static void test_export_audit_rejects_bad_lines(void **state)
{
	(void)state;
	char dir[256], audit[300], err[256];
	tu_tmpdir(dir, sizeof dir);
	snprintf(audit, sizeof audit, "%s/execd.audit", dir);
	write_text(audit, "{\"seq\":1,\"ts\":1,\"kind\":\"event\",\"nonce\":0,\"body\":null}\n"
		   "this is not json\n");
	struct rpt_audit_stats st;
	assert_int_equal(rpt_export_audit(audit, NULL, dir, 1000, NULL, NULL, &st, err,
					  sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "execd.audit:2: not an audit line"));
	write_text(audit, "{\"seq\":1,\"ts\":1,\"kind\":\"weird\",\"body\":{}}\n");
	assert_int_equal(rpt_export_audit(audit, NULL, dir, 1000, NULL, NULL, &st, err,
					  sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, ":1: unknown kind: weird"));
	assert_int_equal(rpt_export_audit(audit, NULL, dir, 0, NULL, NULL, &st, err, sizeof err),
			 -EINVAL);
	/* A torn last line is ignored (execd cuts it off on reopen too). */
	write_text(audit, "{\"seq\":1,\"ts\":5,\"kind\":\"event\",\"nonce\":0,\"body\":{}}\n{\"seq\":2,\"ts");
	assert_int_equal(rpt_export_audit(audit, NULL, dir, 1000, NULL, NULL, &st, err,
					  sizeof err), 0);
	assert_int_equal(st.bad_lines, 1);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_journal_rows_equal_records),
		cmocka_unit_test(test_export_truncated_journal_keeps_good_records),
		cmocka_unit_test(test_export_corrupt_journal_reports_offset),
		cmocka_unit_test(test_export_audit_orders_fills_pnl),
		cmocka_unit_test(test_export_audit_pnl_spans_the_mids),
		cmocka_unit_test(test_export_audit_rejects_bad_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
