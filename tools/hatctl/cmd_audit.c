/* tools/hatctl/cmd_audit.c -- hatctl audit verify FILE: checks execd's hash-chained audit
 * trail (execd/audit.h). Exit 0 and "audit FILE: N lines, chain intact", or exit 1 and
 * "audit FILE: line K: <what>" on stderr; 2 for usage errors. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "execd/audit.h"
#include "tools/hatctl/cmds.h"

int hatctl_audit(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "verify") != 0) {
		fprintf(stderr, "usage: hatctl audit verify FILE\n");
		return 2;
	}
	const char *path = argv[2];
	uint64_t lines = 0, bad = 0;
	char err[512];
	int rc = exec_audit_verify(path, &lines, &bad, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "audit %s: %s\n", path, err);
		return 1;
	}
	printf("audit %s: %" PRIu64 " lines, chain intact\n", path, lines);
	return 0;
}
