/* tools/hatshm/main.c -- hatshm: the read-only shared-memory inspector.
 *
 * Exit codes: 0 fine, 1 a segment, ring, block or slot has a problem (reported), 2 usage or
 * an unreadable config.
 */
#include "common/clock.h"
#include "common/compiler.h"
#include "common/err.h"
#include "tools/hatshm/snap.h"
#include "tools/hatshm/view.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static const char usage[] =
	"usage: hatshm [--instance NAME | --config FILE] COMMAND\n"
	"commands (all read-only; nothing in the pipeline is disturbed):\n"
	"  ls                     every segment of the instance with header checks\n"
	"  rings [--sample-ms N]  capacity, occupancy, indices, msgs/s over N ms (default 200),\n"
	"                         lag, producer/consumer pids and whether alive\n"
	"  stages                 state, heartbeat age, restarts, counters, histogram p50/p99\n"
	"  board                  per coin bid/ask/mid/last, age, stale\n"
	"  dump RING [-n N] [--json]  decode the last N (default 10) messages of a ring\n"
	"  watch                  stages (counters that are not 0), rings and board, refreshed\n"
	"                         every second (q or Ctrl-C quits); one\n"
	"                         snapshot when stdout is not a terminal\n"
	"Without --instance the instance is the config's (default etc/hat.json).\n";

static volatile sig_atomic_t g_stop; /* SIGINT/SIGTERM during watch */

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static int die_usage(const char *fmt, ...) HAT_PRINTF(1, 2);
static int die_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("hatshm: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(hatshm --help for the commands)\n", stderr);
	return 2;
}

static void emit(struct hat_buf *b)
{
	fwrite(b->data ? b->data : "", 1, b->len, stdout);
	hat_buf_reset(b);
}

static int cmd_ls(const struct hatshm_ctx *x)
{
	static struct hatshm_seg segs[HATSHM_MAX_SEGS];
	size_t n = hatshm_snap_segments(x, segs, HATSHM_MAX_SEGS);
	struct hat_buf b = HAT_BUF_INIT;
	unsigned bad = hatshm_view_segments(&b, x->instance, segs, n, hat_now_ns());
	emit(&b);
	hat_buf_free(&b);
	return bad ? 1 : 0;
}

static int cmd_rings(const struct hatshm_ctx *x, int sample_ms)
{
	struct hatshm_ring a[HATSHM_MAX_RINGS], c[HATSHM_MAX_RINGS];
	size_t n = hatshm_snap_rings(x, a, HATSHM_MAX_RINGS);
	if (sample_ms > 0) {
		hat_sleep_ns((uint64_t)sample_ms * HAT_NS_PER_MS);
		n = hatshm_snap_rings(x, c, HATSHM_MAX_RINGS);
		hatshm_rings_rate(a, c, n);
	} else {
		memcpy(c, a, sizeof a);
	}
	struct hat_buf b = HAT_BUF_INIT;
	unsigned bad = hatshm_view_rings(&b, c, n, hat_now_ns());
	emit(&b);
	hat_buf_free(&b);
	return bad ? 1 : 0;
}

static int cmd_stages(const struct hatshm_ctx *x)
{
	static struct hatshm_stages st;
	hatshm_snap_stages(x, &st);
	struct hat_buf b = HAT_BUF_INIT;
	unsigned bad = hatshm_view_stages(&b, &st, hat_mono_ns(), false);
	emit(&b);
	hat_buf_free(&b);
	return bad ? 1 : 0;
}

static int cmd_board(const struct hatshm_ctx *x)
{
	static struct hatshm_board bd;
	hatshm_snap_board(x, &bd);
	struct hat_buf b = HAT_BUF_INIT;
	unsigned bad = hatshm_view_board(&b, &bd, hat_now_ns());
	emit(&b);
	hat_buf_free(&b);
	return bad ? 1 : 0;
}

static int cmd_dump(const struct hatshm_ctx *x, int argc, char **argv)
{
	const char *ring = NULL;
	unsigned n = 10;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 1 || v > (long)HAT_RING_MAX_COUNT)
				return die_usage("dump: -n wants 1..%u, got '%s'", HAT_RING_MAX_COUNT, argv[i]);
			n = (unsigned)v;
		} else if (!ring && argv[i][0] != '-') {
			ring = argv[i];
		} else {
			return die_usage("dump: unexpected '%s'", argv[i]);
		}
	}
	const struct hat_ring_def *def = ring ? hat_instance_ring(ring) : NULL;
	if (!def) {
		size_t nr;
		const struct hat_ring_def *d = hat_instance_rings(&nr);
		struct hat_buf names = HAT_BUF_INIT;
		for (size_t i = 0; i < nr; i++)
			hat_buf_printf(&names, "%s%s", i ? " " : "", d[i].name);
		int rc = die_usage("dump: %s '%s' (rings: %s)", ring ? "no ring" : "need a RING",
				   ring ? ring : "", names.data);
		hat_buf_free(&names);
		return rc;
	}
	struct hat_ring r;
	char err[512];
	int rc = hat_ring_attach(&r, x->instance, ring, HAT_RING_READER, def->slot_size, 0, err,
				 sizeof err);
	if (rc == 0)
		rc = hat_ring_check(&r, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "hatshm: %s\n", err);
		hat_ring_detach(&r);
		return 1;
	}
	struct hat_buf b = HAT_BUF_INIT;
	unsigned skipped = hatshm_dump(&b, ring, &r, n, json);
	emit(&b);
	hat_buf_free(&b);
	hat_ring_detach(&r);
	return skipped ? 1 : 0;
}

/* ---------------------------------------------------------------- watch */

static void watch_frame(const struct hatshm_ctx *x, struct hatshm_ring *prev, size_t *nprev,
			struct hat_buf *b, bool tty)
{
	static struct hatshm_stages st;
	static struct hatshm_board bd;
	struct hatshm_ring cur[HATSHM_MAX_RINGS];
	size_t n = hatshm_snap_rings(x, cur, HATSHM_MAX_RINGS);
	if (*nprev == n)
		hatshm_rings_rate(prev, cur, n);
	hatshm_snap_stages(x, &st);
	hatshm_snap_board(x, &bd);
	if (tty)
		hat_buf_puts(b, "\033[H\033[2J");
	hat_buf_printf(b, "hatshm watch -- instance %s (q or Ctrl-C quits)\n\n", x->instance);
	hatshm_view_stages(b, &st, hat_mono_ns(), true);
	hat_buf_putc(b, '\n');
	hatshm_view_rings(b, cur, n, hat_now_ns());
	hat_buf_putc(b, '\n');
	hatshm_view_board(b, &bd, hat_now_ns());
	emit(b);
	fflush(stdout);
	memcpy(prev, cur, sizeof cur);
	*nprev = n;
}

static int cmd_watch(const struct hatshm_ctx *x)
{
	struct hatshm_ring prev[HATSHM_MAX_RINGS];
	size_t nprev = 0;
	struct hat_buf b = HAT_BUF_INIT;
	if (!isatty(STDOUT_FILENO)) {
		/* One snapshot for scripts and pipes, with a rate over 200 ms. */
		nprev = hatshm_snap_rings(x, prev, HATSHM_MAX_RINGS);
		hat_sleep_ns(200 * HAT_NS_PER_MS);
		watch_frame(x, prev, &nprev, &b, false);
		hat_buf_free(&b);
		return 0;
	}
	struct termios old, raw;
	bool have_tty_in = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (have_tty_in) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!g_stop) {
		watch_frame(x, prev, &nprev, &b, true);
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		if (poll(&p, have_tty_in ? 1 : 0, 1000) > 0) {
			char c;
			if (read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q'))
				break;
		}
	}
	if (have_tty_in)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	hat_buf_free(&b);
	return 0;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	static struct hat_config cfg;
	struct hat_config_doc doc;
	struct hatshm_ctx x = { .cfg = NULL };
	const char *config = NULL, *instance = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if (i + 1 >= argc)
			return die_usage("%s: missing value", argv[i]);
		if (!strcmp(argv[i], "--instance"))
			instance = argv[++i];
		else if (!strcmp(argv[i], "--config"))
			config = argv[++i];
		else
			return die_usage("unknown option '%s'", argv[i]);
	}
	if (i >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	char err[512];
	if (config || !instance) {
		if (hat_config_load(&cfg, &doc, config ? config : "etc/hat.json", err, sizeof err) != 0) {
			fprintf(stderr, "hatshm: %s\n", err);
			return 2;
		}
		hat_config_doc_free(&doc);
		x.cfg = &cfg;
	}
	snprintf(x.instance, sizeof x.instance, "%s", instance ? instance : cfg.instance);
	if (instance && x.cfg && strcmp(instance, cfg.instance) != 0)
		x.cfg = NULL; /* another instance than the config's: check against the segments only */
	const char *cmd = argv[i];
	if (!strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "ls") && argc - i == 1)
		return cmd_ls(&x);
	if (!strcmp(cmd, "rings")) {
		int ms = 200;
		if (argc - i == 3 && !strcmp(argv[i + 1], "--sample-ms"))
			ms = atoi(argv[i + 2]);
		else if (argc - i != 1)
			return die_usage("rings: the only option is --sample-ms N");
		return cmd_rings(&x, ms);
	}
	if (!strcmp(cmd, "stages") && argc - i == 1)
		return cmd_stages(&x);
	if (!strcmp(cmd, "board") && argc - i == 1)
		return cmd_board(&x);
	if (!strcmp(cmd, "dump"))
		return cmd_dump(&x, argc - i, argv + i);
	if (!strcmp(cmd, "watch") && argc - i == 1)
		return cmd_watch(&x);
	return die_usage("unknown command or arguments: '%s'", cmd);
}
