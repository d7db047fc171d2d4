/* tools/report/html.h -- renders a loaded result and its metrics as one self-contained HTML
 * page: inline CSS and inline SVG charts (equity, drawdown, position, fills on the price), no
 * scripts and no network resources of any kind. Writes to a caller's FILE; no other I/O.
 */
#ifndef HAT_TOOLS_REPORT_HTML_H
#define HAT_TOOLS_REPORT_HTML_H

#include <stdio.h>

#include "tools/report/metrics.h"
#include "tools/report/result.h"

/* Writes the page. r and m are borrowed for the call. Returns 0, -ENOMEM (chart scratch), or
 * -EIO if a write to f failed. */
int rpt_html_write(FILE *f, const struct rpt_result *r, const struct rpt_metrics *m);

/* Writes s with &, <, >, " escaped. */
void rpt_html_escape(FILE *f, const char *s);

#endif
