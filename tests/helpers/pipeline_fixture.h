/* tests/helpers/pipeline_fixture.h -- a private hat instance for multi-process stage tests.
 *
 * Makes a temporary directory, writes a copy of etc/hat.json into it with a unique instance
 * name and every var/ path pointing inside the directory, creates the instance's segments,
 * and tears all of it down again. Stages under test are started with
 * `--config <dir>/hat.json --log <dir>/<stage>.log`.
 */
#ifndef HAT_TESTS_PIPELINE_FIXTURE_H
#define HAT_TESTS_PIPELINE_FIXTURE_H

#include "common/config.h"

struct pf {
	char dir[256];
	char config[320];
	char instance[32];
	struct hat_config cfg;
	struct hat_config_doc doc;
};

/* Sets everything up (fails the test on error). extra_json, if not NULL, is a list of
 * "old\0new\0...\0\0" text replacements applied to the config before writing it. */
void pf_setup(struct pf *f, const char *replacements);
/* Unlinks the segments and removes the directory (kept, and named on stderr, when the
 * environment has HAT_TEST_KEEP set: for looking at the logs of a failed run). */
void pf_teardown(struct pf *f);
/* Path of a file in the fixture's directory, in a static buffer. */
const char *pf_path(const struct pf *f, const char *name);

#endif
