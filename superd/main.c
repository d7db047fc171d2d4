/* superd/main.c -- the supervisor: creates the instance, runs and guards the stages. */
#include "superd/super.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	static struct superd s; /* the daemon context */
	char err[512];
	uv_loop_t loop;
	uv_loop_init(&loop);
	int rc = sup_init(&s, argc, argv, &loop, err, sizeof err);
	if (rc != 0) {
		uv_loop_close(&loop);
		if (rc == 1) {
			printf("superd: segments of the instance are ready\n");
			return 0; /* --create-only */
		}
		fprintf(stderr, "superd: %s\n", err);
		return 2;
	}
	rc = sup_run(&s, err, sizeof err);
	if (rc != 0)
		fprintf(stderr, "superd: %s\n", err);
	sup_deinit(&s);
	uv_loop_close(&loop);
	return rc ? 2 : 0;
}
