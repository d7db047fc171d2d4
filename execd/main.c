/* execd/main.c -- execd: orders from riskd to the exchange, exec events back.
 *
 *   execd [--config etc/hat.json] [--instance NAME] [--log FILE] [--log-level LEVEL]
 *         [--passphrase-fd N]
 *
 * The keystore passphrase comes from --passphrase-fd, else HAT_KEY_PASSPHRASE, else a prompt
 * on the terminal. Exit codes: 0 after SIGTERM/SIGINT or a SHUTDOWN command, 1 on a start-up
 * error (config, key, segments, journal), 2 on bad arguments, 3 on a fatal ring error.
 */
#include <stdio.h>

#include "common/daemon.h"
#include "common/err.h"
#include "execd/daemon.h"

int main(int argc, char **argv)
{
	struct hat_daemon_args a;
	struct execd_opts o;
	char err[512];
	if (hat_daemon_args_parse(&a, argc, argv, err, sizeof err) != 0 ||
	    execd_opts_parse(&a, &o, err, sizeof err) != 0) {
		fprintf(stderr, "execd: %s\nusage: execd [--config FILE] [--instance NAME] "
		        "[--log FILE] [--log-level debug|info|warn|error] [--passphrase-fd N]\n", err);
		return 2;
	}
	hat_daemon_signals_install();

	static struct execd d;
	if (execd_init(&d, &a, &o, err, sizeof err) != 0) {
		fprintf(stderr, "execd: %s\n", err);
		return 1;
	}
	int rc = 0;
	while (!hat_daemon_stop_requested() && !execd_shutdown_requested(&d)) {
		rc = execd_run_once(&d, 1);
		if (rc < 0) {
			hat_log(&d.st.log, HAT_LOG_FATAL, "ring_error", "error=%s", hat_strerror(rc));
			break;
		}
	}
	execd_drain(&d, 2000);
	execd_deinit(&d);
	return rc < 0 ? 3 : 0;
}
