/* tests/helpers/hatctl_exec_driver.c -- a tiny stand-in for hatctl's main that runs only the
 * key and audit subcommands (tools/hatctl/cmd_key.c, cmd_audit.c), so they are testable
 * before and independently of hatctl's main. Not installed; used by tests/hatctl_key_audit.sh. */
#include <stdio.h>
#include <string.h>

#include "tools/hatctl/cmds.h"

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "key") == 0)
		return hatctl_key(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "audit") == 0)
		return hatctl_audit(argc - 1, argv + 1);
	fprintf(stderr, "usage: hatctl-exec key|audit ...\n");
	return 2;
}
