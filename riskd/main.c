/* riskd/main.c -- riskd: pre-trade risk between signald and execd.
 *
 *   riskd --config etc/hat.json [--instance NAME] [--log-level debug|info|warn|error]
 *
 * Exit codes: 0 after SIGTERM/SIGINT or a SHUTDOWN command, 1 on a start-up error (config,
 * segments), 2 on bad arguments, 3 on a fatal ring error.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "riskd/daemon.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: riskd --config PATH [--instance NAME] [--log-level LEVEL]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *config = NULL, *instance = NULL;
	int level = HAT_LOG_INFO;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strcmp(argv[i], "--instance") == 0 && i + 1 < argc)
			instance = argv[++i];
		else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
			level = hat_log_level_parse(argv[++i]);
			if (level < 0)
				return usage();
		} else
			return usage();
	}
	if (!config)
		return usage();

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	static struct riskd d;
	char err[512];
	if (riskd_init(&d, config, instance, level, err, sizeof err) != 0) {
		fprintf(stderr, "riskd: %s\n", err);
		return 1;
	}
	hat_log_set_process(&d.log);
	int rc = 0;
	while (!stop_flag && !riskd_shutdown_requested(&d)) {
		rc = riskd_run_once(&d, 1);
		if (rc < 0) {
			hat_log(&d.log, HAT_LOG_FATAL, "ring_error", "error=%s", hat_strerror(rc));
			break;
		}
	}
	riskd_drain(&d, 1000);
	riskd_deinit(&d);
	return rc < 0 ? 3 : 0;
}
