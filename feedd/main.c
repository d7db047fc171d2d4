/* feedd/main.c -- feedd: the exchange's public WebSocket -> md ring + board.
 *
 *   feedd [--config etc/hat.json] [--instance NAME] [--log FILE] [--log-level L]
 *         [--ws URL] [--record DIR] [--replay FILE|DIR [--speed X | --max]] [--create]
 *
 * Only wiring (STYLE rule 10): arguments, init, the loop until a stop signal (SIGTERM/SIGINT,
 * flags in common/daemon.c) or SHUTDOWN command or the end of a replay, drain, deinit.
 * Exit codes: 0 clean stop, 1 bad arguments or init failure, 2 replay stopped at a corrupt
 * journal record, 3 fatal error in the loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/daemon.h"
#include "feedd/feedd.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: feedd [--config FILE] [--instance NAME] [--log FILE] [--log-level L]\n"
		     "             [--ws URL] [--record DIR] [--replay FILE|DIR [--speed X | --max]] [--create]\n");
}

/* feedd's own options, from what the common parser left. */
static int parse_rest(const struct hat_daemon_args *a, struct feedd_opts *o)
{
	for (int i = 0; i < a->n_rest; i++) {
		const char *opt = a->rest[i];
		const char **dst = NULL;
		if (strcmp(opt, "--max") == 0) {
			o->max_speed = true;
			continue;
		}
		if (strcmp(opt, "--create") == 0) {
			o->create = true;
			continue;
		}
		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		const char *speed = NULL;
		if (strcmp(opt, "--ws") == 0)
			dst = &o->ws_url;
		else if (strcmp(opt, "--record") == 0)
			dst = &o->record_dir;
		else if (strcmp(opt, "--replay") == 0)
			dst = &o->replay_path;
		else if (strcmp(opt, "--speed") != 0) {
			fprintf(stderr, "feedd: unknown argument \"%s\"\n", opt);
			return -1;
		}
		if (i + 1 >= a->n_rest) {
			fprintf(stderr, "feedd: %s: missing value\n", opt);
			return -1;
		}
		if (dst) {
			*dst = a->rest[++i];
			continue;
		}
		speed = a->rest[++i];
		char *end;
		o->speed = strtod(speed, &end);
		if (*end || !(o->speed > 0 && o->speed < 1e6)) {
			fprintf(stderr, "feedd: --speed must be a number > 0 (got \"%s\")\n", speed);
			return -1;
		}
	}
	if ((o->speed > 0 || o->max_speed) && !o->replay_path) {
		fprintf(stderr, "feedd: --speed and --max need --replay\n");
		return -1;
	}
	if (o->replay_path && o->record_dir) {
		fprintf(stderr, "feedd: --record and --replay exclude each other\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct hat_daemon_args a;
	struct feedd_opts o = { 0 };
	char err[512] = "";
	if (hat_daemon_args_parse(&a, argc, argv, err, sizeof err) != 0) {
		fprintf(stderr, "feedd: %s\n", err);
		usage(stderr);
		return 1;
	}
	if (parse_rest(&a, &o) < 0) {
		usage(stderr);
		return 1;
	}

	static struct feedd f; /* large (buffers); one per process */
	if (feedd_init(&f, &a, &o, err, sizeof err) < 0) {
		fprintf(stderr, "feedd: %s\n", err);
		return 1;
	}
	hat_daemon_signals_install();

	int rc = 0;
	while (!hat_daemon_stop_requested() && rc == 0)
		rc = feedd_run_once(&f, 100);

	feedd_drain(&f, 2000);
	int code = rc < 0 ? 3 : f.exit_code;
	feedd_deinit(&f);
	return code;
}
