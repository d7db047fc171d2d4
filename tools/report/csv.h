/* tools/report/csv.h -- a small streaming CSV reader and field writer for hat's result files.
 *
 * The first line is the header; columns are found by name (rpt_csv_col), so readers do not
 * depend on column order and writers may add columns. Fields may be quoted with "..." ("" is a
 * quote inside); a quoted field may not span lines. One line is held at a time (constant
 * memory). Single-threaded per handle; no globals.
 */
#ifndef HAT_TOOLS_REPORT_CSV_H
#define HAT_TOOLS_REPORT_CSV_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RPT_CSV_MAX_FIELDS 32

struct rpt_csv {
	FILE *f;
	char path[PATH_MAX];
	char *line;                           /* owned, getline's buffer */
	size_t cap;
	char *hdr[RPT_CSV_MAX_FIELDS];        /* owned copies of the header names */
	size_t n_hdr;
	char *field[RPT_CSV_MAX_FIELDS];      /* the current row's fields (into line) */
	size_t n;
	uint64_t lineno;                      /* 1-based line number of the current row */
};

/* Opens path and reads its header. Returns 0; a negative errno from fopen (err names the
 * path); HAT_E_PARSE if the file is empty, a header has too many or empty columns. */
int rpt_csv_open(struct rpt_csv *c, const char *path, char *err, size_t errlen);

/* Column index of name, or -1 if the header lacks it. */
int rpt_csv_col(const struct rpt_csv *c, const char *name);

/* Finds every name in names[0..n) and stores the indices in cols; returns 0 or HAT_E_PARSE
 * with err "<path>: missing column <name>". */
int rpt_csv_cols(const struct rpt_csv *c, const char *const *names, int *cols, size_t n,
		 char *err, size_t errlen);

/* Reads the next row (blank lines are skipped). Returns 0, -ENODATA at the end, HAT_E_PARSE
 * (err "<path>:<line>: ..." for a bad quote or a column count different from the header's),
 * or -EIO. */
int rpt_csv_next(struct rpt_csv *c, char *err, size_t errlen);

/* Field col of the current row ("" if out of range). Valid until the next rpt_csv_next. */
const char *rpt_csv_get(const struct rpt_csv *c, int col);

void rpt_csv_close(struct rpt_csv *c);

/* Writes s as one CSV field, quoted when it holds a comma, quote, CR or LF. */
void rpt_csv_put(FILE *f, const char *s);

/* Field parsers: 0 or HAT_E_PARSE with err "<path>:<line>: <name>: ...". */
int rpt_csv_i64(const struct rpt_csv *c, int col, const char *name, int64_t *out, char *err,
		size_t errlen);
int rpt_csv_u64(const struct rpt_csv *c, int col, const char *name, uint64_t *out, char *err,
		size_t errlen);
int rpt_csv_dbl(const struct rpt_csv *c, int col, const char *name, double *out, char *err,
		size_t errlen);

#endif
