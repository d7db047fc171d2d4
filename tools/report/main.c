/* tools/report/main.c -- hat-report DIR [--out FILE]: the HTML report of a result directory
 * (tools/report/README.md). Default output: DIR/report.html. Exit 0, 1 on bad input (the
 * message names the file and line), 2 on usage errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "tools/report/html.h"
#include "tools/report/metrics.h"
#include "tools/report/result.h"

static int usage(void)
{
	fprintf(stderr, "usage: hat-report DIR [--out FILE]\n"
		"  writes a self-contained HTML report of the result directory DIR (fills.csv,\n"
		"  pnl.csv, and optionally orders.csv, mids.csv, rejects.csv, meta.json) to\n"
		"  FILE (default DIR/report.html)\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *out = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(), 0;
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			return usage();
	}
	if (!dir)
		return usage();
	static struct rpt_result r;
	char err[512] = "";
	int rc = rpt_result_load(&r, dir, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "hat-report: %s\n", err);
		return 1;
	}
	struct rpt_session s;
	rpt_result_session(&r, &s);
	static struct rpt_metrics m;
	rc = rpt_metrics_compute(&s, &m);
	char path[4096];
	snprintf(path, sizeof path, "%s", out ? out : "");
	if (!out)
		snprintf(path, sizeof path, "%s/report.html", dir);
	FILE *f = rc == 0 ? fopen(path, "we") : NULL;
	if (rc == 0 && !f)
		rc = -errno;
	if (f) {
		rc = rpt_html_write(f, &r, &m);
		if (fclose(f) != 0 && rc == 0)
			rc = -EIO;
	}
	rpt_result_free(&r);
	if (rc < 0) {
		fprintf(stderr, "hat-report: writing %s failed: %s\n", path, hat_strerror(rc));
		return 1;
	}
	printf("report %s: fills=%llu volume=%.2f pnl=%.2f fees=%.2f max_drawdown=%.2f\n", path,
	       (unsigned long long)m.n_fills, m.turnover, m.pnl, m.fees, m.max_dd);
	return 0;
}
