/* feedd/main.c -- feedd: the exchange's public WebSocket -> md ring + board.
 *
 *   feedd --config etc/hat.json [--instance NAME] [--ws URL] [--record DIR]
 *         [--replay FILE [--speed X | --max]] [--create] [--log FILE]
 *
 * Only wiring (STYLE rule 10): arguments, init, signal flags, the loop, drain, deinit.
 * Exit codes: 0 clean stop (SIGTERM/SIGINT or replay finished), 1 bad arguments or init
 * failure, 2 replay stopped at a corrupt journal record, 3 fatal error in the loop.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedd/feedd.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: feedd --config FILE [--instance NAME] [--ws URL] [--record DIR]\n"
		     "             [--replay FILE [--speed X | --max]] [--create] [--log FILE]\n");
}

static int parse_args(int argc, char **argv, struct feedd_opts *o)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' }, { "instance", required_argument, NULL, 'i' },
		{ "ws", required_argument, NULL, 'w' },     { "record", required_argument, NULL, 'r' },
		{ "replay", required_argument, NULL, 'p' }, { "speed", required_argument, NULL, 's' },
		{ "max", no_argument, NULL, 'm' },          { "create", no_argument, NULL, 'C' },
		{ "log", required_argument, NULL, 'l' },    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:i:w:r:p:s:mCl:h", longs, NULL)) != -1) {
		switch (c) {
		case 'c': o->config_path = optarg; break;
		case 'i': o->instance = optarg; break;
		case 'w': o->ws_url = optarg; break;
		case 'r': o->record_dir = optarg; break;
		case 'p': o->replay_path = optarg; break;
		case 's': {
			char *end;
			o->speed = strtod(optarg, &end);
			if (*end || !(o->speed > 0 && o->speed < 1e6)) {
				fprintf(stderr, "feedd: --speed must be a number > 0 (got \"%s\")\n", optarg);
				return -1;
			}
			break;
		}
		case 'm': o->max_speed = true; break;
		case 'C': o->create = true; break;
		case 'l': o->log_path = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc || !o->config_path) {
		fprintf(stderr, "feedd: %s\n", optind < argc ? "unexpected argument" : "--config is required");
		usage(stderr);
		return -1;
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
	struct feedd_opts o = { 0 };
	if (parse_args(argc, argv, &o) < 0)
		return 1;

	static struct feedd f; /* large (buffers); one per process */
	char err[512] = "";
	if (feedd_init(&f, &o, err, sizeof err) < 0) {
		fprintf(stderr, "feedd: %s\n", err);
		return 1;
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int rc = 0;
	while (!stop_flag && rc == 0)
		rc = feedd_run_once(&f, 100);

	feedd_drain(&f, 2000);
	int code = rc < 0 ? 3 : f.exit_code;
	feedd_deinit(&f);
	return code;
}
