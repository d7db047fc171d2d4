/* tests/unit/test_buf.c -- growable buffer and JSON string escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"

static void test_buf_append_grows_and_terminates(void **state)
{
	(void)state;
	struct hat_buf b = HAT_BUF_INIT;
	for (int i = 0; i < 1000; i++)
		hat_buf_printf(&b, "%d,", i % 10);
	assert_true(hat_buf_ok(&b));
	assert_int_equal(b.len, 2000);
	assert_int_equal(b.data[b.len], '\0');
	assert_memory_equal(b.data, "0,1,2,", 6);
	hat_buf_consume(&b, 1996);
	assert_string_equal(b.data, "8,9,");
	hat_buf_reset(&b);
	assert_int_equal(b.len, 0);
	hat_buf_free(&b);
}

static void test_buf_printf_long_output(void **state)
{
	(void)state;
	struct hat_buf b = HAT_BUF_INIT;
	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	hat_buf_printf(&b, "<%s>", big);
	assert_int_equal(b.len, 1001);
	assert_int_equal(b.data[0], '<');
	assert_int_equal(b.data[1000], '>');
	hat_buf_free(&b);
}

static void test_buf_json_escapes(void **state)
{
	(void)state;
	struct hat_buf b = HAT_BUF_INIT;
	hat_buf_json_str(&b, "a\"b\\c\nd\x01");
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\u0001\"");
	hat_buf_free(&b);
}

static void test_json_escape_each_class_of_byte(void **state)
{
	(void)state;
	char e[6];
	assert_int_equal(hat_json_escape('a', e), 0);
	assert_int_equal(hat_json_escape(' ', e), 0);
	assert_int_equal(hat_json_escape(0x7f, e), 0);
	assert_int_equal(hat_json_escape(0xc3, e), 0); /* UTF-8 lead byte passes through */
	assert_int_equal(hat_json_escape('"', e), 2);
	assert_memory_equal(e, "\\\"", 2);
	assert_int_equal(hat_json_escape('\\', e), 2);
	assert_memory_equal(e, "\\\\", 2);
	assert_int_equal(hat_json_escape('\n', e), 2);
	assert_memory_equal(e, "\\n", 2);
	assert_int_equal(hat_json_escape('\r', e), 2);
	assert_memory_equal(e, "\\r", 2);
	assert_int_equal(hat_json_escape('\t', e), 2);
	assert_memory_equal(e, "\\t", 2);
	assert_int_equal(hat_json_escape(0x00, e), 6);
	assert_memory_equal(e, "\\u0000", 6);
	assert_int_equal(hat_json_escape(0x1f, e), 6);
	assert_memory_equal(e, "\\u001f", 6);
}

static void test_str_replace_all(void **state)
{
	(void)state;
	char *s = strdup("a-b-c");
	s = hat_str_replace_all(s, "-", "--");
	assert_string_equal(s, "a--b--c"); /* replaced text is not rescanned */
	s = hat_str_replace_all(s, "--", "");
	assert_string_equal(s, "abc");
	s = hat_str_replace_all(s, "x", "y");
	assert_string_equal(s, "abc");
	s = hat_str_replace_all(s, "abc", "\"instance\": \"t1\"");
	assert_string_equal(s, "\"instance\": \"t1\"");
	s = hat_str_replace_all(s, "", "z"); /* empty pattern: unchanged */
	assert_string_equal(s, "\"instance\": \"t1\"");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_append_grows_and_terminates),
		cmocka_unit_test(test_buf_printf_long_output),
		cmocka_unit_test(test_buf_json_escapes),
		cmocka_unit_test(test_json_escape_each_class_of_byte),
		cmocka_unit_test(test_str_replace_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
