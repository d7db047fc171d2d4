/* tests/helpers/pipeline_fixture.c -- a private hat instance for multi-process stage tests. */
#include "common/buf.h"
#include "tests/helpers/pipeline_fixture.h"
#include "tests/helpers/test_util.h"
#include "common/instance.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

void pf_setup(struct pf *f, const char *replacements)
{
	memset(f, 0, sizeof *f);
	tu_tmpdir(f->dir, sizeof f->dir);
	tu_instance(f->instance, sizeof f->instance);
	char *text = tu_read_file("etc/hat.json");
	assert_non_null(text);
	char inst[64], var[300];
	snprintf(inst, sizeof inst, "\"instance\": \"%s\"", f->instance);
	snprintf(var, sizeof var, "\"%s/", f->dir);
	text = hat_str_replace_all(text, "\"instance\": \"main\"", inst);
	text = hat_str_replace_all(text, "\"var/", var);
	for (const char *r = replacements; r && *r; r += strlen(r) + 1) {
		const char *n = r + strlen(r) + 1;
		text = hat_str_replace_all(text, r, n);
		r = n;
	}
	snprintf(f->config, sizeof f->config, "%s/hat.json", f->dir);
	FILE *o = fopen(f->config, "w");
	assert_non_null(o);
	fputs(text, o);
	fclose(o);
	free(text);
	char err[512];
	if (hat_config_load(&f->cfg, &f->doc, f->config, err, sizeof err) != 0)
		fail_msg("fixture config: %s", err);
	if (hat_instance_create(&f->cfg, 1, err, sizeof err) != 0)
		fail_msg("fixture instance: %s", err);
}

void pf_teardown(struct pf *f)
{
	char err[256];
	hat_instance_unlink(f->instance, err, sizeof err);
	hat_config_doc_free(&f->doc);
	if (getenv("HAT_TEST_KEEP"))
		fprintf(stderr, "pipeline fixture kept (HAT_TEST_KEEP): %s\n", f->dir);
	else
		tu_rmtree(f->dir);
}

const char *pf_path(const struct pf *f, const char *name)
{
	static char p[512];
	snprintf(p, sizeof p, "%s/%s", f->dir, name);
	return p;
}
