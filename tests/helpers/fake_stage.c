/* tests/helpers/fake_stage.c -- a stand-in pipeline stage for superd's tests.
 *
 * Installed under a stage's name (feedd, signald, riskd, execd: a symlink), it takes that
 * stage's control block and command ring like the real one, reports ready, heartbeats, and
 * prints every command it receives ("cmd <name> from=<stage>") on stdout, which superd sends to
 * the stage's log file. Behaviour switches, by environment (NAME = the stage in capitals):
 *   FAKE_CRASH_<NAME>=1     abort right after start (a crash loop)
 *   FAKE_READY_MS=<n>       report ready n ms after start
 */
#include "common/clock.h"
#include "common/daemon.h"

#include <ctype.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char name[64], env[96];
	snprintf(name, sizeof name, "%s", basename(argv[0]));
	unsigned id = 0;
	for (unsigned k = HAT_STAGE_FEEDD; k <= HAT_STAGE_EXECD; k++)
		if (strcmp(name, hat_stage_name(k)) == 0)
			id = k;
	if (!id) {
		fprintf(stderr, "fake_stage: run me as feedd, signald, riskd or execd\n");
		return 2;
	}
	snprintf(env, sizeof env, "FAKE_CRASH_%s", name);
	for (char *p = env; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (getenv(env))
		abort();
	struct hat_daemon_args a;
	char err[512];
	if (hat_daemon_args_parse(&a, argc, argv, err, sizeof err) != 0) {
		fprintf(stderr, "%s: %s\n", name, err);
		return 2;
	}
	static struct hat_daemon d;
	hat_daemon_signals_install();
	if (hat_daemon_open(&d, id, &a, err, sizeof err) != 0) {
		fprintf(stderr, "%s: %s\n", name, err);
		return 2;
	}
	const char *rm = getenv("FAKE_READY_MS");
	uint64_t ready_at = hat_mono_ns() + (rm ? strtoull(rm, NULL, 10) : 0) * HAT_NS_PER_MS;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("fake %s pid %d up\n", name, (int)getpid());
	while (!hat_daemon_stop_requested()) {
		uint64_t mono = hat_mono_ns();
		if (!d.blk->ready && mono >= ready_at)
			hat_daemon_set_ready(&d, true);
		struct hat_msg_control c;
		while (hat_daemon_poll_cmd(&d, &c) == 1)
			printf("cmd %s from=%s why=%s\n", hat_ctl_cmd_name(c.cmd), hat_stage_name(c.from_stage),
			       c.text);
		hat_daemon_tick(&d, mono);
		usleep(2000);
	}
	printf("fake %s pid %d stopping\n", name, (int)getpid());
	hat_daemon_close(&d);
	return 0;
}
