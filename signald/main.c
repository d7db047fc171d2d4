/* signald/main.c -- market state, signals and strategies: md + position in, intents out. */
#include "signald/daemon.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	static struct signald s; /* large (engine, queues): not on the stack */
	char err[512];
	hat_daemon_signals_install();
	if (signald_init(&s, argc, argv, err, sizeof err) != 0) {
		fprintf(stderr, "signald: %s\n", err);
		return 2;
	}
	while (!hat_daemon_stop_requested())
		signald_run_once(&s, 1);
	signald_drain(&s);
	signald_deinit(&s);
	return 0;
}
