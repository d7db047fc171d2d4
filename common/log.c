/* common/log.c -- one JSON object per line, one write(2) per line, no allocation. */
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h" /* hat_json_escape */
#include "common/err.h"
#include "common/fixed.h"

/* Room kept free at the end of every line for ,"truncated":true}\n */
#define RESERVE 24

/* ================================================================ setup */

/* The process-wide logger: the one mutable global outside signal flags (see log.h). Set once
 * in main before threads start; read-only afterwards. */
static struct hat_log *process_log;
static struct hat_log stderr_log = { .fd = 2, .own_fd = 0, .min_level = HAT_LOG_INFO, .stage = "-" };

void hat_log_set_process(struct hat_log *log)
{
	process_log = log;
}

struct hat_log *hat_log_process(void)
{
	return process_log ? process_log : &stderr_log;
}

void hat_log_init_fd(struct hat_log *log, const char *stage, int fd, int min_level)
{
	memset(log, 0, sizeof *log);
	log->fd = fd;
	log->min_level = min_level;
	snprintf(log->stage, sizeof log->stage, "%s", stage ? stage : "-");
}

int hat_log_open(struct hat_log *log, const char *stage, const char *path, int min_level,
		 char *err, size_t errlen)
{
	if (!path || strcmp(path, "-") == 0) {
		hat_log_init_fd(log, stage, 2, min_level);
		return 0;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0) {
		int e = errno;
		if (err && errlen)
			snprintf(err, errlen, "open(\"%s\") failed: %s", path, strerror(e));
		return -e;
	}
	hat_log_init_fd(log, stage, fd, min_level);
	log->own_fd = 1;
	return 0;
}

void hat_log_close(struct hat_log *log)
{
	if (log->own_fd && log->fd >= 0)
		close(log->fd);
	log->fd = -1;
	log->own_fd = 0;
}

static const char *const level_names[] = { "debug", "info", "warn", "error", "fatal" };

int hat_log_level_parse(const char *s)
{
	for (int i = 0; i < (int)HAT_ARRAY_LEN(level_names); i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *hat_log_level_name(int level)
{
	return level >= 0 && level < (int)HAT_ARRAY_LEN(level_names) ? level_names[level] : "?";
}

/* ================================================================ line buffer */

static size_t room(const struct hat_log_rec *r)
{
	size_t cap = sizeof r->buf - RESERVE;
	return r->len < cap ? cap - r->len : 0;
}

/* Appends raw bytes; on overflow marks the record truncated (the field is rolled back by
 * field_end()). */
static void put(struct hat_log_rec *r, const char *s, size_t n)
{
	if (r->truncated)
		return;
	if (n > room(r)) {
		r->truncated = 1;
		return;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
}

static void putc_(struct hat_log_rec *r, char c)
{
	put(r, &c, 1);
}

static void putf(struct hat_log_rec *r, const char *fmt, ...) HAT_PRINTF(2, 3);
static void putf(struct hat_log_rec *r, const char *fmt, ...)
{
	if (r->truncated)
		return;
	va_list ap;
	va_start(ap, fmt);
	size_t avail = room(r); /* the reserve behind it holds vsnprintf's NUL */
	int n = vsnprintf(r->buf + r->len, avail + 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > avail) {
		r->truncated = 1;
		return;
	}
	r->len += (size_t)n;
}

static void put_json_str(struct hat_log_rec *r, const char *s, size_t n)
{
	putc_(r, '"');
	size_t run = 0;
	for (size_t i = 0; i < n && !r->truncated; i++) {
		char e[6];
		size_t k = hat_json_escape((unsigned char)s[i], e);
		if (!k)
			continue;
		put(r, s + run, i - run);
		put(r, e, k);
		run = i + 1;
	}
	put(r, s + run, n - run);
	putc_(r, '"');
}

/* Starts a field: remembers where it began so an overflowing field is dropped whole. */
static bool field_begin(struct hat_log_rec *r, const char *key)
{
	if (r->truncated)
		return false;
	r->mark = r->len;
	putc_(r, ',');
	put_json_str(r, key, strlen(key));
	putc_(r, ':');
	if (r->truncated)
		r->len = r->mark;
	return !r->truncated;
}

static void field_end(struct hat_log_rec *r)
{
	if (r->truncated)
		r->len = r->mark;
}

static uint64_t real_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ================================================================ builder */

bool hat_log_begin(struct hat_log_rec *r, struct hat_log *log, int level, const char *event)
{
	if (!log)
		log = hat_log_process();
	if (level < log->min_level)
		return false;
	r->log = log;
	r->len = 0;
	r->mark = 0;
	r->truncated = 0;
	uint64_t ns = log->clock_ns ? log->clock_ns(log->clock_user) : real_now_ns();
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;
	gmtime_r(&sec, &tm);
	putf(r, "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03uZ\",\"level\":\"%s\",\"stage\":",
	     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	     (unsigned)(ns / 1000000u % 1000u), hat_log_level_name(level));
	put_json_str(r, log->stage, strnlen(log->stage, sizeof log->stage));
	put(r, ",\"event\":", 9);
	/* An event name longer than the whole line is cut rather than dropped. */
	size_t n = strlen(event ? event : "");
	if (n > 256)
		n = 256;
	put_json_str(r, event ? event : "", n);
	return true;
}

void hat_log_strn(struct hat_log_rec *r, const char *key, const char *val, size_t n)
{
	if (!field_begin(r, key))
		return;
	if (val)
		put_json_str(r, val, n);
	else
		put(r, "null", 4);
	field_end(r);
}

void hat_log_str(struct hat_log_rec *r, const char *key, const char *val)
{
	hat_log_strn(r, key, val, val ? strlen(val) : 0);
}

void hat_log_i64(struct hat_log_rec *r, const char *key, int64_t v)
{
	if (!field_begin(r, key))
		return;
	putf(r, "%" PRId64, v);
	field_end(r);
}

void hat_log_u64(struct hat_log_rec *r, const char *key, uint64_t v)
{
	if (!field_begin(r, key))
		return;
	putf(r, "%" PRIu64, v);
	field_end(r);
}

void hat_log_f64(struct hat_log_rec *r, const char *key, double v)
{
	if (!field_begin(r, key))
		return;
	if (isfinite(v))
		putf(r, "%.17g", v);
	else
		putf(r, "\"%s\"", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
	field_end(r);
}

void hat_log_bool(struct hat_log_rec *r, const char *key, bool v)
{
	if (!field_begin(r, key))
		return;
	put(r, v ? "true" : "false", v ? 4 : 5);
	field_end(r);
}

void hat_log_fx(struct hat_log_rec *r, const char *key, int64_t v)
{
	char s[HAT_FX_STRLEN];
	hat_fx_format(v, s, sizeof s);
	if (!field_begin(r, key))
		return;
	putf(r, "\"%s\"", s);
	field_end(r);
}

void hat_log_raw(struct hat_log_rec *r, const char *key, const char *json, size_t n)
{
	if (!field_begin(r, key))
		return;
	put(r, json, n);
	field_end(r);
}

static void write_all(struct hat_log *log, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(log->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			__atomic_fetch_add(&log->write_errors, 1, __ATOMIC_RELAXED);
			return;
		}
		/* A short write only happens on a full disk or a signal; finish the line rather than
		 * leave half of it (pipes and O_APPEND files take <= PIPE_BUF in one piece). */
		p += w;
		n -= (size_t)w;
	}
}

void hat_log_end(struct hat_log_rec *r)
{
	if (r->truncated) {
		r->truncated = 0; /* the reserve always holds the marker */
		r->len = r->len > sizeof r->buf - RESERVE ? sizeof r->buf - RESERVE : r->len;
		memcpy(r->buf + r->len, ",\"truncated\":true", 17);
		r->len += 17;
	}
	r->buf[r->len++] = '}';
	r->buf[r->len++] = '\n';
	write_all(r->log, r->buf, r->len);
}

/* ================================================================ the fmt language */

struct spec {
	char flags[8];
	int width;     /* -1 if none */
	int prec;      /* -1 if none */
	char len[3];   /* "", "hh", "h", "l", "ll", "z", "j", "t", "L" */
	char conv;
};

/* Parses a conversion after '%' at *pp. Returns false on anything unsupported. */
static bool parse_spec(const char **pp, struct spec *s, va_list *ap)
{
	const char *p = *pp;
	size_t nf = 0;
	memset(s, 0, sizeof *s);
	s->width = s->prec = -1;
	while (*p && strchr("-+ #0", *p)) {
		if (nf < sizeof s->flags - 1)
			s->flags[nf++] = *p;
		p++;
	}
	if (*p == '*') {
		s->width = va_arg(*ap, int);
		p++;
	} else if (*p >= '0' && *p <= '9') {
		s->width = 0;
		while (*p >= '0' && *p <= '9' && s->width < 10000)
			s->width = s->width * 10 + (*p++ - '0');
	}
	if (*p == '.') {
		p++;
		s->prec = 0;
		if (*p == '*') {
			s->prec = va_arg(*ap, int);
			p++;
		} else {
			while (*p >= '0' && *p <= '9' && s->prec < 10000)
				s->prec = s->prec * 10 + (*p++ - '0');
		}
	}
	if ((p[0] == 'h' && p[1] == 'h') || (p[0] == 'l' && p[1] == 'l')) {
		s->len[0] = p[0];
		s->len[1] = p[1];
		p += 2;
	} else if (*p && strchr("hlzjtL", *p)) {
		s->len[0] = *p++;
	}
	if (!*p || !strchr("diuxXocsfFeEgGaAp", *p))
		return false;
	s->conv = *p++;
	*pp = p;
	return true;
}

static bool len_is(const struct spec *s, const char *l)
{
	return strcmp(s->len, l) == 0;
}

static long long arg_signed(const struct spec *s, va_list *ap)
{
	if (len_is(s, "hh")) return (signed char)va_arg(*ap, int);
	if (len_is(s, "h")) return (short)va_arg(*ap, int);
	if (len_is(s, "l")) return va_arg(*ap, long);
	if (len_is(s, "ll")) return va_arg(*ap, long long);
	if (len_is(s, "z")) return va_arg(*ap, ssize_t);
	if (len_is(s, "j")) return (long long)va_arg(*ap, intmax_t);
	if (len_is(s, "t")) return va_arg(*ap, ptrdiff_t);
	return va_arg(*ap, int);
}

static unsigned long long arg_unsigned(const struct spec *s, va_list *ap)
{
	if (len_is(s, "hh")) return (unsigned char)va_arg(*ap, unsigned);
	if (len_is(s, "h")) return (unsigned short)va_arg(*ap, unsigned);
	if (len_is(s, "l")) return va_arg(*ap, unsigned long);
	if (len_is(s, "ll")) return va_arg(*ap, unsigned long long);
	if (len_is(s, "z")) return va_arg(*ap, size_t);
	if (len_is(s, "j")) return (unsigned long long)va_arg(*ap, uintmax_t);
	if (len_is(s, "t")) return (unsigned long long)va_arg(*ap, ptrdiff_t);
	return va_arg(*ap, unsigned);
}

/* Renders one conversion as a JSON value into the record. */
static void put_value(struct hat_log_rec *r, const struct spec *s, va_list *ap)
{
	char tmp[512];
	switch (s->conv) {
	case 'd': case 'i':
		putf(r, "%lld", arg_signed(s, ap));
		return;
	case 'u':
		putf(r, "%llu", arg_unsigned(s, ap));
		return;
	case 'x': case 'X': case 'o': {
		unsigned long long v = arg_unsigned(s, ap);
		bool alt = strchr(s->flags, '#') != NULL;
		if (s->conv == 'x')
			snprintf(tmp, sizeof tmp, alt ? "%#llx" : "%llx", v);
		else if (s->conv == 'X')
			snprintf(tmp, sizeof tmp, alt ? "%#llX" : "%llX", v);
		else
			snprintf(tmp, sizeof tmp, alt ? "%#llo" : "%llo", v);
		put_json_str(r, tmp, strlen(tmp));
		return;
	}
	case 'c': {
		char c = (char)va_arg(*ap, int);
		put_json_str(r, &c, 1);
		return;
	}
	case 's': {
		const char *v = va_arg(*ap, const char *);
		if (!v) {
			put(r, "null", 4);
			return;
		}
		size_t n = s->prec >= 0 ? strnlen(v, (size_t)s->prec) : strlen(v);
		put_json_str(r, v, n);
		return;
	}
	case 'p':
		snprintf(tmp, sizeof tmp, "%p", va_arg(*ap, void *));
		put_json_str(r, tmp, strlen(tmp));
		return;
	default: { /* f F e E g G a A */
		double v = len_is(s, "L") ? (double)va_arg(*ap, long double) : va_arg(*ap, double);
		if (!isfinite(v)) {
			putf(r, "\"%s\"", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
			return;
		}
		int prec = s->prec < 0 ? 6 : s->prec > 60 ? 60 : s->prec;
		switch (s->conv) {
		case 'f': case 'F': snprintf(tmp, sizeof tmp, "%.*f", prec, v); break;
		case 'e': snprintf(tmp, sizeof tmp, "%.*e", prec, v); break;
		case 'E': snprintf(tmp, sizeof tmp, "%.*E", prec, v); break;
		case 'g': snprintf(tmp, sizeof tmp, "%.*g", prec, v); break;
		case 'G': snprintf(tmp, sizeof tmp, "%.*G", prec, v); break;
		case 'A': snprintf(tmp, sizeof tmp, "%A", v); break;
		default: snprintf(tmp, sizeof tmp, "%a", v); break;
		}
		if (s->conv == 'a' || s->conv == 'A')
			put_json_str(r, tmp, strlen(tmp)); /* hex floats are not JSON numbers */
		else
			put(r, tmp, strlen(tmp));
		return;
	}
	}
}

static void fields_ap(struct hat_log_rec *r, const char *fmt, va_list *ap)
{
	const char *p = fmt;
	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		const char *eq = p;
		while (*eq && *eq != '=' && *eq != ' ')
			eq++;
		struct spec s;
		const char *q = eq + 1;
		if (*eq != '=' || eq == p || *q != '%' || (q++, !parse_spec(&q, &s, ap)) ||
		    (*q && *q != ' ')) {
			/* The arguments can no longer be matched to conversions: stop here and say so. */
			if (field_begin(r, "log_fmt_error")) {
				put_json_str(r, fmt, strlen(fmt));
				field_end(r);
			}
			return;
		}
		char key[64];
		size_t kn = (size_t)(eq - p) < sizeof key - 1 ? (size_t)(eq - p) : sizeof key - 1;
		memcpy(key, p, kn);
		key[kn] = '\0';
		if (field_begin(r, key)) {
			put_value(r, &s, ap);
			field_end(r);
		} else {
			/* Still consume the argument so later ones line up (the line is truncated
			 * anyway, so the rest is dropped too). */
			return;
		}
		p = q;
	}
}

void hat_log_fieldsv(struct hat_log_rec *r, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	fields_ap(r, fmt, &cp);
	va_end(cp);
}

void hat_logv(struct hat_log *log, int level, const char *event, const char *fmt, va_list ap)
{
	struct hat_log_rec r;
	if (!hat_log_begin(&r, log, level, event))
		return;
	if (fmt)
		hat_log_fieldsv(&r, fmt, ap);
	hat_log_end(&r);
}

void hat_log(struct hat_log *log, int level, const char *event, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hat_logv(log, level, event, fmt, ap);
	va_end(ap);
}

/* ================================================================ failure sites */

void hat_log_syserr(struct hat_log *log, const char *call, const char *arg, int errnum)
{
	struct hat_log_rec r;
	if (!hat_log_begin(&r, log, HAT_LOG_ERROR, "syscall_failed"))
		return;
	int code = errnum > 0 ? -errnum : errnum;
	const char *text = hat_strerror(code);
	char msg[512];
	if (arg)
		snprintf(msg, sizeof msg, "%s(\"%s\") failed: %s", call, arg, text);
	else
		snprintf(msg, sizeof msg, "%s() failed: %s", call, text);
	hat_log_str(&r, "call", call);
	if (arg)
		hat_log_str(&r, "arg", arg);
	hat_log_i64(&r, "errno", errnum > 0 ? errnum : -errnum);
	hat_log_str(&r, "error", text);
	hat_log_str(&r, "msg", msg);
	hat_log_end(&r);
}

/* ================================================================ rate limiting */

void hat_log_rl_init(struct hat_log_rl *rl, uint64_t every_n, uint64_t interval_ns)
{
	memset(rl, 0, sizeof *rl);
	rl->every_n = every_n;
	rl->interval_ns = interval_ns;
}

bool hat_log_rl_allow(struct hat_log_rl *rl, uint64_t now_ns)
{
	if (!rl->started) {
		rl->started = 1;
		rl->calls = 0;
		rl->last_ns = now_ns;
		return true;
	}
	rl->calls++;
	bool by_count = rl->every_n == 0 || rl->calls >= rl->every_n;
	bool by_time = rl->interval_ns == 0 || now_ns - rl->last_ns >= rl->interval_ns;
	/* Both limits configured: either one lets a line through. */
	bool allow;
	if (rl->every_n && rl->interval_ns)
		allow = rl->calls >= rl->every_n || now_ns - rl->last_ns >= rl->interval_ns;
	else
		allow = by_count && by_time;
	if (!allow) {
		rl->suppressed++;
		rl->total_suppressed++;
		return false;
	}
	rl->calls = 0;
	rl->last_ns = now_ns;
	return true;
}

bool hat_log_rl(struct hat_log *log, struct hat_log_rl *rl, uint64_t now_ns, int level,
		const char *event, const char *fmt, ...)
{
	if (!hat_log_rl_allow(rl, now_ns))
		return false;
	uint64_t suppressed = rl->suppressed;
	rl->suppressed = 0;
	struct hat_log_rec r;
	if (!hat_log_begin(&r, log, level, event))
		return true;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		hat_log_fieldsv(&r, fmt, ap);
		va_end(ap);
	}
	if (suppressed)
		hat_log_u64(&r, "suppressed", suppressed);
	hat_log_end(&r);
	return true;
}
