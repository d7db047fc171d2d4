/* tests/unit/test_hatctl.c -- hatctl's core: requests, answers, the status table (golden
 * files), the summary line the launch script parses, and config get/set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <cmocka.h>

#include "common/err.h"
#include "tests/helpers/golden.h"
#include "tests/helpers/test_util.h"
#include "tools/hatctl/cfgcmd.h"
#include "tools/hatctl/ctl.h"

static char *status_json(void)
{
	char *s = tu_read_file("tests/golden/hatctl_status.json");
	assert_non_null(s);
	return s;
}

static void test_hatctl_request_escapes_fields(void **state)
{
	(void)state;
	struct hat_buf b = HAT_BUF_INIT;
	hatctl_request(&b, "status", NULL, NULL);
	assert_string_equal(b.data, "{\"cmd\":\"status\"}");
	hat_buf_reset(&b);
	hatctl_request(&b, "restart", "riskd", NULL);
	assert_string_equal(b.data, "{\"cmd\":\"restart\",\"stage\":\"riskd\"}");
	hat_buf_reset(&b);
	hatctl_request(&b, "halt", NULL, "fat \"finger\"\n");
	assert_string_equal(b.data, "{\"cmd\":\"halt\",\"why\":\"fat \\\"finger\\\"\\n\"}");
	hat_buf_free(&b);
}

static void test_hatctl_response_ok_refused_and_garbled(void **state)
{
	(void)state;
	char err[256] = "";
	const char *ok = "{\"ok\":true}";
	assert_int_equal(hatctl_response(ok, strlen(ok), err, sizeof err), HATCTL_OK);
	const char *no = "{\"ok\":false,\"error\":\"unknown stage 'nope' (feedd|signald|riskd|execd)\"}";
	assert_int_equal(hatctl_response(no, strlen(no), err, sizeof err), HATCTL_REFUSED);
	assert_string_equal(err, "unknown stage 'nope' (feedd|signald|riskd|execd)");
	const char *bare = "{\"ok\":false}";
	assert_int_equal(hatctl_response(bare, strlen(bare), err, sizeof err), HATCTL_REFUSED);
	assert_string_equal(err, "refused (no reason given)");
	const char *junk = "hello";
	assert_int_equal(hatctl_response(junk, strlen(junk), err, sizeof err), HATCTL_USAGE);
	assert_string_equal(err, "superd's answer is not {\"ok\":...}: 'hello'");
	assert_int_equal(hatctl_response("", 0, err, sizeof err), HATCTL_USAGE);
}

static void test_hatctl_status_table_golden(void **state)
{
	(void)state;
	char *js = status_json(), err[256];
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(hatctl_format_status(js, strlen(js), 0, &b, err, sizeof err), 0);
	golden_check("hatctl_status.ans", b.data);
	hat_buf_reset(&b);
	assert_int_equal(hatctl_format_status(js, strlen(js), HATCTL_STATUS_ALL_COUNTERS, &b, err,
					      sizeof err), 0);
	golden_check("hatctl_status_v.ans", b.data);
	hat_buf_free(&b);
	free(js);
}

static void test_hatctl_status_shows_first_counters_of_an_unknown_stage(void **state)
{
	(void)state;
	/* a stand-in stage (or renamed counters): its first four counters; none at all: "-" */
	const char *s = "{\"instance\":\"t\",\"superd_pid\":1,\"stages\":["
			"{\"name\":\"execd\",\"run\":\"up\",\"state\":\"running\",\"pid\":7,"
			"\"ready\":true,\"restarts\":0,\"uptime_s\":1,\"heartbeat_age_ms\":3,\"counters\":"
			"{\"cmd_in\":1,\"cmd_rejects\":0,\"a\":5,\"b\":6,\"c\":7}},"
			"{\"name\":\"feedd\",\"run\":\"down\",\"counters\":{}}]}";
	char err[256];
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(hatctl_format_status(s, strlen(s), 0, &b, err, sizeof err), 0);
	assert_string_equal(b.data,
		"instance t: superd pid 1, trading active\n"
		"STAGE    RUN       STATE     PID      UPTIME   RESTARTS  HEARTBEAT  READY  KEY COUNTERS\n"
		"execd    up        running   7        1.0s     0         3ms        yes    cmd_in=1 cmd_rejects=0 a=5 b=6\n"
		"feedd    down      ?         -        -        0         -          no     -\n");
	hat_buf_free(&b);
}

static void test_hatctl_summary_line(void **state)
{
	(void)state;
	char *js = status_json(), err[256];
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(hatctl_format_summary(js, strlen(js), &b, err, sizeof err), 0);
	assert_string_equal(b.data, "stages=4 started=3 up=3 ready=3 restarts=4 halted=1 orders=640 fills=37 "
			    "rejects=29");
	hat_buf_reset(&b);
	/* without riskd: trading numbers are 0 */
	const char *s = "{\"instance\":\"x\",\"stages\":[{\"name\":\"feedd\",\"run\":\"up\",\"ready\":true,"
			"\"restarts\":2,\"counters\":{}}]}";
	assert_int_equal(hatctl_format_summary(s, strlen(s), &b, err, sizeof err), 0);
	assert_string_equal(b.data, "stages=1 started=0 up=1 ready=1 restarts=2 halted=0 orders=0 fills=0 rejects=0");
	hat_buf_free(&b);
	free(js);
}

static void test_hatctl_status_rejects_what_is_not_a_status(void **state)
{
	(void)state;
	char err[256];
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(hatctl_format_status("{\"ok\":true}", 11, 0, &b, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "not a superd status: no \"stages\" array");
	assert_int_equal(hatctl_format_status("[1,", 3, 0, &b, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "not JSON: '[1,'");
	const char *s = "{\"stages\":[{\"run\":\"up\"}]}";
	assert_int_equal(hatctl_format_summary(s, strlen(s), &b, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "not a superd status: stages[0] has no \"name\"");
	assert_int_equal(b.len, 0);
	hat_buf_free(&b);
}

static void test_hatctl_uptime_format(void **state)
{
	(void)state;
	char b[32];
	hatctl_fmt_uptime(0, b, sizeof b);
	assert_string_equal(b, "0.0s");
	hatctl_fmt_uptime(59.94, b, sizeof b);
	assert_string_equal(b, "59.9s");
	hatctl_fmt_uptime(123, b, sizeof b);
	assert_string_equal(b, "2m03s");
	hatctl_fmt_uptime(3725, b, sizeof b);
	assert_string_equal(b, "1h02m");
	hatctl_fmt_uptime(2 * 86400 + 5 * 3600 + 7, b, sizeof b);
	assert_string_equal(b, "2d05h");
	hatctl_fmt_uptime(-3, b, sizeof b);
	assert_string_equal(b, "0.0s");
}

static void test_hatctl_config_get_and_set(void **state)
{
	(void)state;
	struct hat_config_doc doc;
	char err[512], dir[256], out[320];
	assert_int_equal(hat_config_doc_load(&doc, "etc/hat.json", err, sizeof err), 0);
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(hatctl_config_get(&doc, "venue.kind", &b, err, sizeof err), 0);
	assert_string_equal(b.data, "hlsim");
	hat_buf_reset(&b);
	assert_int_equal(hatctl_config_get(&doc, "rings.cmd", &b, err, sizeof err), 0);
	assert_string_equal(b.data, "256");
	hat_buf_reset(&b);
	assert_int_equal(hatctl_config_get(&doc, "venue.nope", &b, err, sizeof err), -ENOENT);
	assert_string_equal(err, "etc/hat.json: venue.nope: missing");
	assert_int_equal(hatctl_config_set(&doc, "venue.http", "http://127.0.0.1:5555", err, sizeof err), 0);
	assert_int_equal(hatctl_config_set(&doc, "superd.stages", "[\"feedd\"]", err, sizeof err), 0);
	assert_int_equal(hatctl_config_set(&doc, "superd.bin_dir", "/x/y", err, sizeof err), 0);
	assert_int_equal(hatctl_config_set(&doc, "nope.x", "1", err, sizeof err), -ENOENT);
	assert_string_equal(err, "etc/hat.json: nope.x: no object 'nope' on the way");
	assert_int_equal(hatctl_config_set(&doc, "instance.x", "1", err, sizeof err), -EINVAL);
	assert_string_equal(err, "etc/hat.json: instance.x: 'instance' is not an object");
	assert_int_equal(hatctl_config_set(&doc, "", "1", err, sizeof err), -EINVAL);
	tu_tmpdir(dir, sizeof dir);
	snprintf(out, sizeof out, "%s/run.json", dir);
	assert_int_equal(hatctl_config_write(&doc, out, err, sizeof err), 0);
	hat_config_doc_free(&doc);
	/* the written copy is a valid config with the new values */
	struct hat_config cfg;
	assert_int_equal(hat_config_load(&cfg, &doc, out, err, sizeof err), 0);
	assert_string_equal(cfg.venue.http, "http://127.0.0.1:5555");
	hat_buf_reset(&b);
	assert_int_equal(hatctl_config_get(&doc, "superd.stages", &b, err, sizeof err), 0);
	assert_string_equal(b.data, "[\"feedd\"]");
	hat_buf_reset(&b);
	assert_int_equal(hatctl_config_get(&doc, "superd.bin_dir", &b, err, sizeof err), 0);
	assert_string_equal(b.data, "/x/y");
	hat_config_doc_free(&doc);
	hat_buf_free(&b);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hatctl_request_escapes_fields),
		cmocka_unit_test(test_hatctl_response_ok_refused_and_garbled),
		cmocka_unit_test(test_hatctl_status_table_golden),
		cmocka_unit_test(test_hatctl_status_shows_first_counters_of_an_unknown_stage),
		cmocka_unit_test(test_hatctl_summary_line),
		cmocka_unit_test(test_hatctl_status_rejects_what_is_not_a_status),
		cmocka_unit_test(test_hatctl_uptime_format),
		cmocka_unit_test(test_hatctl_config_get_and_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
