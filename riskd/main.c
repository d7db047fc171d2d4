/* riskd/main.c -- riskd: pre-trade risk between signald and execd.
 *
 *   riskd [--config etc/hat.json] [--instance NAME] [--log FILE] [--log-level LEVEL]
 *
 * Exit codes: 0 after SIGTERM/SIGINT or a SHUTDOWN command, 1 on a start-up error (config,
 * segments), 2 on bad arguments, 3 on a fatal ring error.
 */
#include <stdio.h>

#include "common/daemon.h"
#include "common/err.h"
#include "riskd/daemon.h"

int main(int argc, char **argv)
{
	struct hat_daemon_args a;
	char err[512];
	if (hat_daemon_args_parse(&a, argc, argv, err, sizeof err) != 0 || a.n_rest > 0) {
		fprintf(stderr, "riskd: %s\nusage: riskd [--config FILE] [--instance NAME] "
		        "[--log FILE] [--log-level debug|info|warn|error]\n",
		        a.n_rest > 0 ? "unknown argument" : err);
		return 2;
	}
	hat_daemon_signals_install();

	static struct riskd d;
	if (riskd_init(&d, &a, err, sizeof err) != 0) {
		fprintf(stderr, "riskd: %s\n", err);
		return 1;
	}
	int rc = 0;
	while (!hat_daemon_stop_requested() && !riskd_shutdown_requested(&d)) {
		rc = riskd_run_once(&d, 1);
		if (rc < 0) {
			hat_log(&d.st.log, HAT_LOG_FATAL, "ring_error", "error=%s", hat_strerror(rc));
			break;
		}
	}
	riskd_drain(&d, 1000);
	riskd_deinit(&d);
	return rc < 0 ? 3 : 0;
}
