/* tests/unit/test_report_result.c -- the CSV reader (quoting, column lookup, errors naming
 * file:line), the result-directory loader (required files, bad values, sorting) and the HTML
 * renderer's self-containment and escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "common/err.h"
#include "tools/report/csv.h"
#include "tools/report/html.h"
#include "tools/report/metrics.h"
#include "tools/report/result.h"
#include "tests/helpers/test_util.h"

static void put(const char *dir, const char *name, const char *text)
{
	char p[600];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_csv_quotes_and_columns(void **state)
{
	(void)state;
	char dir[256], p[300], err[256];
	tu_tmpdir(dir, sizeof dir);
	put(dir, "a.csv", "x,reason,y\n1,\"a, \"\"quoted\"\" one\",2\n\n3,plain,4\n");
	snprintf(p, sizeof p, "%s/a.csv", dir);
	struct rpt_csv c;
	assert_int_equal(rpt_csv_open(&c, p, err, sizeof err), 0);
	assert_int_equal(rpt_csv_col(&c, "reason"), 1);
	assert_int_equal(rpt_csv_col(&c, "nope"), -1);
	int cols[2];
	const char *names[] = { "y", "missing" };
	assert_int_equal(rpt_csv_cols(&c, names, cols, 2, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "a.csv: missing column missing"));
	assert_int_equal(rpt_csv_next(&c, err, sizeof err), 0);
	assert_string_equal(rpt_csv_get(&c, 1), "a, \"quoted\" one");
	int64_t v;
	assert_int_equal(rpt_csv_i64(&c, 2, "y", &v, err, sizeof err), 0);
	assert_int_equal(v, 2);
	assert_int_equal(rpt_csv_next(&c, err, sizeof err), 0);   /* blank line skipped */
	assert_int_equal(c.lineno, 4);
	assert_string_equal(rpt_csv_get(&c, 1), "plain");
	assert_int_equal(rpt_csv_i64(&c, 1, "reason", &v, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "a.csv:4: reason: expected an integer (got \"plain\")"));
	assert_int_equal(rpt_csv_next(&c, err, sizeof err), -ENODATA);
	rpt_csv_close(&c);

	put(dir, "b.csv", "x,y\n1,2,3\n");
	snprintf(p, sizeof p, "%s/b.csv", dir);
	assert_int_equal(rpt_csv_open(&c, p, err, sizeof err), 0);
	assert_int_equal(rpt_csv_next(&c, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "b.csv:2: 3 columns, the header has 2"));
	rpt_csv_close(&c);
	put(dir, "c.csv", "x,y\n\"open,2\n");
	snprintf(p, sizeof p, "%s/c.csv", dir);
	assert_int_equal(rpt_csv_open(&c, p, err, sizeof err), 0);
	assert_int_equal(rpt_csv_next(&c, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "c.csv:2: unterminated quoted field"));
	rpt_csv_close(&c);
	put(dir, "d.csv", "");
	snprintf(p, sizeof p, "%s/d.csv", dir);
	assert_int_equal(rpt_csv_open(&c, p, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "empty file"));

	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	rpt_csv_put(m, "plain");
	fputc('|', m);
	rpt_csv_put(m, "a,\"b\"\nc");
	fclose(m);
	assert_string_equal(buf, "plain|\"a,\"\"b\"\" c\"");
	free(buf);
	tu_rmtree(dir);
}

static const char fills[] =
	"time_ms,coin,side,px,sz,fee,oid,tid,crossed\n"
	"2000,BTC,A,101,1,0.1,2,12,true\n"
	"1000,BTC,B,100,1,0.1,1,11,false\n";     /* out of order: sorted on load */
static const char pnl[] = "time_ms,equity\n1000,0\n2000,0.8\n3000,0.5\n";

static void test_result_load_and_errors(void **state)
{
	(void)state;
	char dir[256], err[512];
	tu_tmpdir(dir, sizeof dir);
	struct rpt_result r;
	assert_int_equal(rpt_result_load(&r, dir, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "fills.csv"));
	put(dir, "fills.csv", fills);
	assert_int_equal(rpt_result_load(&r, dir, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "pnl.csv"));
	put(dir, "pnl.csv", pnl);
	put(dir, "meta.json", "{\"title\":\"t <1>\",\"sample_ms\":1000}");
	assert_int_equal(rpt_result_load(&r, dir, err, sizeof err), 0);
	assert_int_equal(r.n_fills, 2);
	assert_int_equal(r.fills[0].t_ms, 1000);
	assert_int_equal(r.fills[0].side, 1);
	assert_true(r.fills[0].maker);
	assert_false(r.fills[1].maker);
	assert_int_equal(r.n_pnl, 3);
	assert_false(r.has_mids || r.has_orders || r.has_rejects);
	assert_string_equal(r.title, "t <1>");

	/* The page: no scripts, no network, the title escaped, the missing files said. */
	struct rpt_session s;
	rpt_result_session(&r, &s);
	struct rpt_metrics *m = malloc(sizeof *m);
	assert_int_equal(rpt_metrics_compute(&s, m), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(rpt_html_write(f, &r, m), 0);
	fclose(f);
	assert_non_null(strstr(buf, "<title>hat report: t &lt;1&gt;</title>"));
	assert_null(strstr(buf, "<script"));
	assert_null(strstr(buf, "src="));
	assert_null(strstr(buf, "href="));
	assert_non_null(strstr(buf, "No mids.csv in the result directory"));
	assert_non_null(strstr(buf, "No rejects.csv in the result directory"));
	assert_non_null(strstr(buf, "equity changes over 1000 ms intervals (2 returns)"));
	free(buf);
	free(m);
	rpt_result_free(&r);

	put(dir, "fills.csv", "time_ms,coin,side,px,sz,fee,oid,tid,crossed\n1,BTC,X,1,1,0,1,1,false\n");
	assert_int_equal(rpt_result_load(&r, dir, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "fills.csv:2: side: expected B/A/buy/sell (got \"X\")"));
	put(dir, "fills.csv", "time_ms,coin,side,px,sz,fee,oid,tid,crossed\n1,BTC,B,-1,1,0,1,1,false\n");
	assert_int_equal(rpt_result_load(&r, dir, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "fills.csv:2: px and sz must be > 0"));
	put(dir, "fills.csv", fills);
	put(dir, "pnl.csv", "time_ms,equity\n2000,0\n1000,1\n");
	assert_int_equal(rpt_result_load(&r, dir, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "pnl.csv:3: time_ms 1000 is before the previous row's 2000"));
	put(dir, "pnl.csv", pnl);
	put(dir, "orders.csv", "time_ms,action,coin,side,px,sz,oid\n1,replace,BTC,B,1,1,1\n");
	assert_int_equal(rpt_result_load(&r, dir, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "orders.csv:2: action: expected place, cancel or modify"));
	put(dir, "orders.csv", "time_ms,action,coin,side,px,sz,oid\n1,cancel,BTC,,,,7\n");
	put(dir, "meta.json", "{\"sample_ms\":0}");
	assert_int_equal(rpt_result_load(&r, dir, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "meta.json: sample_ms: must be a number of ms in [1, 86400000]"));
	put(dir, "meta.json", "{}");
	assert_int_equal(rpt_result_load(&r, dir, err, sizeof err), 0);
	assert_int_equal(r.n_orders, 1);
	assert_int_equal(r.orders[0].action, RPT_CANCEL);
	assert_int_equal(r.orders[0].oid, 7);
	rpt_result_free(&r);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_quotes_and_columns),
		cmocka_unit_test(test_result_load_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
