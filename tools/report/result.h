/* tools/report/result.h -- loads a backtest/live result directory (the CSV files and meta.json
 * described in tools/report/README.md) into memory for hat-report.
 *
 * Files: fills.csv, orders.csv, pnl.csv, mids.csv, rejects.csv, meta.json. fills.csv and
 * pnl.csv are required; the others may be missing (their tables are then empty and the report
 * says so). Everything
 * loaded is owned by struct rpt_result until rpt_result_free. Single-threaded; no globals.
 * fills and mids are sorted by time after loading (stable); pnl.csv must be in time order.
 */
#ifndef HAT_TOOLS_REPORT_RESULT_H
#define HAT_TOOLS_REPORT_RESULT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "tools/report/metrics.h"

struct rpt_result {
	char dir[PATH_MAX / 2]; /* the result directory */
	char title[128];      /* meta.json "title" (default: the directory name) */
	char journal[256];    /* meta.json "journal" */
	char config[256];     /* meta.json "config" */
	int64_t sample_ms;    /* meta.json "sample_ms" (default 1000) */
	struct rpt_fill *fills; size_t n_fills;
	struct rpt_order *orders; size_t n_orders;
	struct rpt_point *pnl; size_t n_pnl;
	struct rpt_mid *mids; size_t n_mids;
	struct rpt_reject *rejects; size_t n_rejects;
	bool has_orders, has_mids, has_rejects;
};

/* Loads dir. Returns 0; -ENOENT if fills.csv or pnl.csv is missing (err names it);
 * HAT_E_PARSE for a malformed file (err "<path>:<line>: <column>: ..."), rows out of time
 * order, or a bad meta.json; -ENOMEM. On error r holds nothing (no need to free). */
int rpt_result_load(struct rpt_result *r, const char *dir, char *err, size_t errlen);

void rpt_result_free(struct rpt_result *r);

/* The session view of r for rpt_metrics_compute (pointers borrowed from r). */
void rpt_result_session(const struct rpt_result *r, struct rpt_session *s);

#endif
