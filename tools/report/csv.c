/* tools/report/csv.c -- see csv.h. */
#include "tools/report/csv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

/* Splits c->line in place into c->field. Returns 0 or HAT_E_PARSE. */
static int split(struct rpt_csv *c, char *err, size_t errlen)
{
	char *p = c->line;
	size_t len = strlen(p);
	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		p[--len] = '\0';
	c->n = 0;
	for (;;) {
		if (c->n == RPT_CSV_MAX_FIELDS) {
			snprintf(err, errlen, "%s:%llu: more than %d columns", c->path,
				 (unsigned long long)c->lineno, RPT_CSV_MAX_FIELDS);
			return HAT_E_PARSE;
		}
		if (*p == '"') {
			char *out = p, *in = p + 1;
			c->field[c->n++] = out;
			for (;;) {
				if (*in == '\0') {
					snprintf(err, errlen, "%s:%llu: unterminated quoted field",
						 c->path, (unsigned long long)c->lineno);
					return HAT_E_PARSE;
				}
				if (*in == '"' && in[1] == '"') {
					*out++ = '"';
					in += 2;
				} else if (*in == '"') {
					in++;
					break;
				} else {
					*out++ = *in++;
				}
			}
			if (*in != ',' && *in != '\0') {
				snprintf(err, errlen, "%s:%llu: text after a closing quote", c->path,
					 (unsigned long long)c->lineno);
				return HAT_E_PARSE;
			}
			char next = *in;
			*out = '\0';
			if (next == '\0')
				return 0;
			p = in + 1;
		} else {
			c->field[c->n++] = p;
			char *comma = strchr(p, ',');
			if (!comma)
				return 0;
			*comma = '\0';
			p = comma + 1;
		}
	}
}

int rpt_csv_open(struct rpt_csv *c, const char *path, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	snprintf(c->path, sizeof c->path, "%s", path);
	c->f = fopen(path, "re");
	if (!c->f) {
		int e = -errno;
		snprintf(err, errlen, "fopen(%s) failed: %s", path, strerror(-e));
		return e;
	}
	c->lineno = 1;
	if (getline(&c->line, &c->cap, c->f) < 0) {
		snprintf(err, errlen, "%s: empty file (no header)", path);
		rpt_csv_close(c);
		return HAT_E_PARSE;
	}
	int rc = split(c, err, errlen);
	for (size_t i = 0; rc == 0 && i < c->n; i++) {
		if (c->field[i][0] == '\0') {
			snprintf(err, errlen, "%s:1: empty column name (column %zu)", path, i + 1);
			rc = HAT_E_PARSE;
			break;
		}
		c->hdr[i] = strdup(c->field[i]);
		if (!c->hdr[i])
			rc = -ENOMEM;
		c->n_hdr = i + 1;
	}
	if (rc < 0) {
		rpt_csv_close(c);
		return rc;
	}
	c->n = 0;
	return 0;
}

int rpt_csv_col(const struct rpt_csv *c, const char *name)
{
	for (size_t i = 0; i < c->n_hdr; i++)
		if (strcmp(c->hdr[i], name) == 0)
			return (int)i;
	return -1;
}

int rpt_csv_cols(const struct rpt_csv *c, const char *const *names, int *cols, size_t n,
		 char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		cols[i] = rpt_csv_col(c, names[i]);
		if (cols[i] < 0) {
			snprintf(err, errlen, "%s: missing column %s", c->path, names[i]);
			return HAT_E_PARSE;
		}
	}
	return 0;
}

int rpt_csv_next(struct rpt_csv *c, char *err, size_t errlen)
{
	for (;;) {
		errno = 0;
		if (getline(&c->line, &c->cap, c->f) < 0) {
			if (ferror(c->f)) {
				snprintf(err, errlen, "read(%s) failed: %s", c->path, strerror(errno));
				return -EIO;
			}
			return -ENODATA;
		}
		c->lineno++;
		if (c->line[strspn(c->line, "\r\n")] == '\0')
			continue;
		int rc = split(c, err, errlen);
		if (rc < 0)
			return rc;
		if (c->n != c->n_hdr) {
			snprintf(err, errlen, "%s:%llu: %zu columns, the header has %zu", c->path,
				 (unsigned long long)c->lineno, c->n, c->n_hdr);
			return HAT_E_PARSE;
		}
		return 0;
	}
}

const char *rpt_csv_get(const struct rpt_csv *c, int col)
{
	return col >= 0 && (size_t)col < c->n ? c->field[col] : "";
}

void rpt_csv_close(struct rpt_csv *c)
{
	if (c->f)
		fclose(c->f);
	c->f = NULL;
	free(c->line);
	c->line = NULL;
	for (size_t i = 0; i < c->n_hdr; i++)
		free(c->hdr[i]);
	c->n_hdr = 0;
}

void rpt_csv_put(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s == '\r' || *s == '\n' ? ' ' : *s, f);
	}
	fputc('"', f);
}

static int bad(const struct rpt_csv *c, const char *name, const char *v, const char *what,
	       char *err, size_t errlen)
{
	snprintf(err, errlen, "%s:%llu: %s: %s (got \"%.40s\")", c->path,
		 (unsigned long long)c->lineno, name, what, v);
	return HAT_E_PARSE;
}

int rpt_csv_i64(const struct rpt_csv *c, int col, const char *name, int64_t *out, char *err,
		size_t errlen)
{
	const char *v = rpt_csv_get(c, col);
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (!*v || *end || errno)
		return bad(c, name, v, "expected an integer", err, errlen);
	*out = x;
	return 0;
}

int rpt_csv_u64(const struct rpt_csv *c, int col, const char *name, uint64_t *out, char *err,
		size_t errlen)
{
	const char *v = rpt_csv_get(c, col);
	char *end;
	errno = 0;
	if (!*v) {
		*out = 0;
		return 0;
	}
	unsigned long long x = strtoull(v, &end, 10);
	if (*v == '-' || *end || errno)
		return bad(c, name, v, "expected an unsigned integer", err, errlen);
	*out = x;
	return 0;
}

int rpt_csv_dbl(const struct rpt_csv *c, int col, const char *name, double *out, char *err,
		size_t errlen)
{
	const char *v = rpt_csv_get(c, col);
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (!*v || *end || errno || !isfinite(x))
		return bad(c, name, v, "expected a finite number", err, errlen);
	*out = x;
	return 0;
}
