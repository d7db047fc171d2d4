/* tests/unit/test_hex.c -- the common hex encoder and digit reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/hex.h"

static void test_hex_encode_is_lowercase_with_0x_and_nul(void **state)
{
	(void)state;
	const uint8_t p[] = { 0x00, 0x01, 0xab, 0xCD, 0xff, 0x7e };
	char out[2 * sizeof p + 3];
	memset(out, '#', sizeof out);
	hat_hex_encode(p, sizeof p, out);
	assert_string_equal(out, "0x0001abcdff7e");
	assert_int_equal(strlen(out), 2 * sizeof p + 2);
}

static void test_hex_encode_empty_is_0x(void **state)
{
	(void)state;
	char out[3] = { '#', '#', '#' };
	hat_hex_encode(NULL, 0, out);
	assert_string_equal(out, "0x");
}

static void test_hex_nibble_reads_both_cases_and_rejects_the_rest(void **state)
{
	(void)state;
	assert_int_equal(hat_hex_nibble('0'), 0);
	assert_int_equal(hat_hex_nibble('9'), 9);
	assert_int_equal(hat_hex_nibble('a'), 10);
	assert_int_equal(hat_hex_nibble('f'), 15);
	assert_int_equal(hat_hex_nibble('A'), 10);
	assert_int_equal(hat_hex_nibble('F'), 15);
	assert_int_equal(hat_hex_nibble('g'), -1);
	assert_int_equal(hat_hex_nibble('G'), -1);
	assert_int_equal(hat_hex_nibble('x'), -1);
	assert_int_equal(hat_hex_nibble('/'), -1);
	assert_int_equal(hat_hex_nibble(':'), -1);
	assert_int_equal(hat_hex_nibble('\0'), -1);
	/* every byte value: the 22 digits and nothing else (the table has no stray entry) */
	int digits = 0;
	for (int c = 0; c < 256; c++) {
		int v = hat_hex_nibble((char)c);
		if (v < 0)
			continue;
		digits++;
		assert_true((c >= '0' && c <= '9' && v == c - '0') ||
			    (c >= 'a' && c <= 'f' && v == c - 'a' + 10) ||
			    (c >= 'A' && c <= 'F' && v == c - 'A' + 10));
	}
	assert_int_equal(digits, 22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_encode_is_lowercase_with_0x_and_nul),
		cmocka_unit_test(test_hex_encode_empty_is_0x),
		cmocka_unit_test(test_hex_nibble_reads_both_cases_and_rejects_the_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
