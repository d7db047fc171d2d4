/* tests/unit/test_feed_config.c -- feedd's config section: defaults, the keys of the shipped
 * etc/hat.json, and errors that name the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/journal.h"
#include "feedd/config.h"

static int load(const char *text, struct feed_config *c, char *err, size_t errlen)
{
	struct hat_config_doc doc;
	int rc = hat_config_doc_parse(&doc, "hat.json", text, strlen(text), err, errlen);
	assert_int_equal(rc, 0);
	rc = feed_config_load(c, &doc, err, errlen);
	hat_config_doc_free(&doc);
	return rc;
}

static void test_feed_config_defaults(void **state)
{
	(void)state;
	struct feed_config c;
	char err[256] = "";
	assert_int_equal(load("{\"coins\":[\"BTC\"]}", &c, err, sizeof err), 0);
	assert_int_equal(c.l2_sig_figs, 0);
	assert_int_equal(c.l2_mantissa, 0);
	assert_true(c.sub_l2book && c.sub_trades && c.sub_bbo && c.fetch_meta);
	assert_int_equal(c.ping_interval_ms, 20000);
	assert_int_equal(c.silence_timeout_ms, 15000);
	assert_int_equal(c.reconnect_min_ms, 500);
	assert_int_equal(c.reconnect_max_ms, 30000);
	assert_int_equal(c.min_connect_interval_ms, 2000);
	assert_int_equal(c.max_frame_bytes, 1048576);
	assert_false(c.record);
	assert_int_equal(c.record_fsync, HAT_JOURNAL_FSYNC_INTERVAL);
	assert_string_equal(c.ca_file, "");
}

static void test_feed_config_shipped_keys(void **state)
{
	(void)state;
	/* The feedd section of etc/hat.json as shipped by the common module. */
	struct feed_config c;
	char err[256] = "";
	assert_int_equal(load("{\"coins\":[\"BTC\"],\"feedd\":{\"l2_sig_figs\":0,\"ping_interval_ms\":30000,"
			      "\"silence_timeout_ms\":15000,\"stale_after_ms\":5000,\"reconnect_min_ms\":250,"
			      "\"reconnect_max_ms\":30000,\"record\":false,\"max_frame_bytes\":1048576,"
			      "\"_comment\":\"x\"}}", &c, err, sizeof err), 0);
	assert_int_equal(c.ping_interval_ms, 30000);
	assert_int_equal(c.reconnect_min_ms, 250);
	assert_int_equal(load("{\"coins\":[\"BTC\"],\"feedd\":{\"l2_sig_figs\":5,\"l2_mantissa\":2,"
			      "\"record_fsync\":\"always\",\"sub_bbo\":false}}", &c, err, sizeof err), 0);
	assert_int_equal(c.l2_mantissa, 2);
	assert_int_equal(c.record_fsync, HAT_JOURNAL_FSYNC_ALWAYS);
	assert_false(c.sub_bbo);
}

static void expect_err(const char *feedd, const char *want)
{
	char text[512];
	snprintf(text, sizeof text, "{\"coins\":[\"BTC\"],\"feedd\":%s}", feedd);
	struct feed_config c;
	char err[256] = "";
	assert_int_equal(load(text, &c, err, sizeof err), HAT_E_CONFIG);
	if (!strstr(err, want))
		fail_msg("%s: error \"%s\" lacks \"%s\"", feedd, err, want);
}

static void test_feed_config_errors_name_the_key(void **state)
{
	(void)state;
	expect_err("{\"l2_mantissa\":2}", "feedd.l2_mantissa");
	expect_err("{\"l2_sig_figs\":1}", "feedd.l2_sig_figs");
	expect_err("{\"l2_sig_figs\":6}", "feedd.l2_sig_figs");
	expect_err("{\"reconnect_min_ms\":5000,\"reconnect_max_ms\":1000}", "feedd.reconnect_min_ms");
	expect_err("{\"sub_l2book\":false,\"sub_trades\":false,\"sub_bbo\":false}", "all false");
	expect_err("{\"ping_intervall_ms\":1}", "ping_intervall_ms");
	expect_err("{\"record_fsync\":\"sometimes\"}", "feedd.record_fsync");
	expect_err("{\"ping_interval_ms\":\"20s\"}", "feedd.ping_interval_ms");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed_config_defaults),
		cmocka_unit_test(test_feed_config_shipped_keys),
		cmocka_unit_test(test_feed_config_errors_name_the_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
