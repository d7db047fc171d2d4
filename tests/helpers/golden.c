/* tests/helpers/golden.c -- golden-file comparison for tool output. */
#include "tests/helpers/golden.h"
#include "tests/helpers/test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

void golden_check(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "tests/golden/%s", name);
	const char *up = getenv("HAT_GOLDEN_UPDATE");
	if (up && *up == '1') {
		FILE *f = fopen(path, "w");
		if (!f)
			fail_msg("cannot write %s", path);
		fputs(text, f);
		fclose(f);
		print_message("golden: wrote %s\n", path);
		return;
	}
	char *want = tu_read_file(path);
	if (!want)
		fail_msg("golden file %s missing: run with HAT_GOLDEN_UPDATE=1 to create it", path);
	if (strcmp(want, text) != 0) {
		print_error("---- %s (want)\n%s---- got\n%s----\n", path, want, text);
		free(want);
		fail_msg("output differs from %s (HAT_GOLDEN_UPDATE=1 regenerates it deliberately)", path);
	}
	free(want);
}
