/* tests/unit/test_msgpack.c -- byte-exact Python msgpack.packb() forms at every size boundary,
 * and the two JSON -> msgpack converters (order, exact integers, rejects). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hex.h"
#include "hl/msgpack.h"

/* Lowercase hex of b (static buffer, enough for the small cases compared as text). */
static const char *hexof(const struct hat_buf *b)
{
	static char out[4096 + 2];
	size_t n = b->len < (4096 - 1) / 2 ? b->len : (4096 - 1) / 2;
	hat_hex_encode((const uint8_t *)b->data, n, out);
	return out + 2;
}

static void expect_uint(uint64_t v, const char *want)
{
	struct hat_buf b = HAT_BUF_INIT;
	hl_mp_uint(&b, v);
	assert_true(hat_buf_ok(&b));
	assert_string_equal(hexof(&b), want);
	hat_buf_free(&b);
}

static void expect_int(int64_t v, const char *want)
{
	struct hat_buf b = HAT_BUF_INIT;
	hl_mp_int(&b, v);
	assert_string_equal(hexof(&b), want);
	hat_buf_free(&b);
}

static void test_msgpack_uint_boundaries(void **state)
{
	(void)state;
	expect_uint(0, "00");
	expect_uint(127, "7f");
	expect_uint(128, "cc80");
	expect_uint(255, "ccff");
	expect_uint(256, "cd0100");
	expect_uint(65535, "cdffff");
	expect_uint(65536, "ce00010000");
	expect_uint(4294967295ULL, "ceffffffff");
	expect_uint(4294967296ULL, "cf0000000100000000");
	expect_uint(100000000000ULL, "cf000000174876e800");
	expect_uint(UINT64_MAX, "cfffffffffffffffff");
}

static void test_msgpack_int_boundaries_use_unsigned_for_positive(void **state)
{
	(void)state;
	expect_int(0, "00");
	expect_int(127, "7f");
	expect_int(200, "ccc8");
	expect_int(70000, "ce00011170");
	expect_int(INT64_MAX, "cf7fffffffffffffff");
	expect_int(-1, "ff");
	expect_int(-32, "e0");
	expect_int(-33, "d0df");
	expect_int(-128, "d080");
	expect_int(-129, "d1ff7f");
	expect_int(-32768, "d18000");
	expect_int(-32769, "d2ffff7fff");
	expect_int(INT32_MIN, "d280000000");
	expect_int((int64_t)INT32_MIN - 1, "d3ffffffff7fffffff");
	expect_int(INT64_MIN, "d38000000000000000");
}

/* A string of n 'x' must get header want_hdr followed by the n bytes. */
static void expect_str_header(size_t n, const char *want_hdr)
{
	struct hat_buf b = HAT_BUF_INIT;
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, 'x', n);
	s[n] = '\0';
	hl_mp_strn(&b, s, n);
	size_t hl = strlen(want_hdr) / 2;
	assert_int_equal(b.len, hl + n);
	struct hat_buf h = {.data = b.data, .len = hl};
	assert_string_equal(hexof(&h), want_hdr);
	assert_memory_equal(b.data + hl, s, n);
	free(s);
	hat_buf_free(&b);
}

static void test_msgpack_str_boundaries(void **state)
{
	(void)state;
	expect_str_header(0, "a0");
	expect_str_header(1, "a1");
	expect_str_header(31, "bf");
	expect_str_header(32, "d920");
	expect_str_header(34, "d922"); /* a cloid string */
	expect_str_header(255, "d9ff");
	expect_str_header(256, "da0100");
	expect_str_header(65535, "daffff");
	expect_str_header(65536, "db00010000");
	struct hat_buf b = HAT_BUF_INIT;
	hl_mp_str(&b, "type");
	assert_string_equal(hexof(&b), "a474797065");
	hat_buf_free(&b);
}

static void expect_container(bool map, uint32_t n, const char *want)
{
	struct hat_buf b = HAT_BUF_INIT;
	if (map)
		hl_mp_map(&b, n);
	else
		hl_mp_array(&b, n);
	assert_string_equal(hexof(&b), want);
	hat_buf_free(&b);
}

static void test_msgpack_container_boundaries(void **state)
{
	(void)state;
	expect_container(true, 0, "80");
	expect_container(true, 1, "81");
	expect_container(true, 15, "8f");
	expect_container(true, 16, "de0010");
	expect_container(true, 65535, "deffff");
	expect_container(true, 65536, "df00010000");
	expect_container(false, 0, "90");
	expect_container(false, 15, "9f");
	expect_container(false, 16, "dc0010");
	expect_container(false, 65535, "dcffff");
	expect_container(false, 65536, "dd00010000");
	struct hat_buf b = HAT_BUF_INIT;
	hl_mp_bool(&b, false);
	hl_mp_bool(&b, true);
	hl_mp_nil(&b);
	assert_string_equal(hexof(&b), "c2c3c0");
	hat_buf_free(&b);
}

/* ---- JSON text converter */

static void expect_text(const char *json, const char *want)
{
	struct hat_buf b = HAT_BUF_INIT;
	char err[256] = "";
	int rc = hl_mp_from_json_text(json, strlen(json), &b, err, sizeof err);
	if (rc)
		fail_msg("%s: %s", json, err);
	assert_string_equal(hexof(&b), want);
	hat_buf_free(&b);
}

static void expect_text_reject(const char *json, const char *why)
{
	struct hat_buf b = HAT_BUF_INIT;
	char err[256] = "";
	assert_int_equal(hl_mp_from_json_text(json, strlen(json), &b, err, sizeof err), HAT_E_PARSE);
	if (!strstr(err, why))
		fail_msg("%s: error \"%s\" lacks \"%s\"", json, err, why);
	hat_buf_free(&b);
}

static void test_msgpack_text_keeps_key_order_and_types(void **state)
{
	(void)state;
	expect_text("{\"type\":\"dummy\",\"num\":100000000000}",
		    "82a474797065a564756d6d79a36e756dcf000000174876e800");
	expect_text(" { \"b\" : 1 , \"a\" : [ true, false, null ] } ", "82a16201a16193c3c2c0");
	expect_text("{}", "80");
	expect_text("[]", "90");
	expect_text("\"\"", "a0");
	expect_text("{\"\":1,\"a\":{\"\":\"\"}}", "82a001a16181a0a0");
	expect_text("-1", "ff");
	expect_text("-0", "00");
	expect_text("[[[]]]", "919190");
	/* A 16-entry object becomes map16, 16-element array array16. */
	expect_text("{\"a\":0,\"b\":1,\"c\":2,\"d\":3,\"e\":4,\"f\":5,\"g\":6,\"h\":7,\"i\":8,\"j\":9,"
		    "\"k\":10,\"l\":11,\"m\":12,\"n\":13,\"o\":14,\"p\":15}",
		    "de0010a16100a16201a16302a16403a16504a16605a16706a16807a16908a16a09a16b0aa16c0b"
		    "a16d0ca16e0da16f0ea1700f");
	expect_text("[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]",
		    "dc0010000102030405060708090a0b0c0d0e0f");
}

static void test_msgpack_text_exact_big_integers(void **state)
{
	(void)state;
	expect_text("18446744073709551615", "cfffffffffffffffff");
	expect_text("9007199254740993", "cf0020000000000001"); /* 2^53 + 1: not a double */
	expect_text("-9223372036854775808", "d38000000000000000");
	expect_text("-2147483649", "d3ffffffff7fffffff");
	expect_text_reject("18446744073709551616", "above 2^64-1");
	expect_text_reject("-9223372036854775809", "below -2^63");
}

static void test_msgpack_text_unescapes_strings(void **state)
{
	(void)state;
	expect_text("\"a\\\"b\\\\c\\/d\\n\"", "a86122625c632f640a");
	expect_text("\"\\u00e9\"", "a2c3a9");
	expect_text("\"\\ud83d\\ude00\"", "a4f09f9880");
	expect_text("\"\xc3\xa9\"", "a2c3a9");
}

static void test_msgpack_text_rejects_bad_input(void **state)
{
	(void)state;
	expect_text_reject("1.5", "floats are not allowed");
	expect_text_reject("{\"p\":1.0}", "floats are not allowed");
	expect_text_reject("1e3", "floats are not allowed");
	expect_text_reject("{\"a\":1,\"a\":2}", "duplicate key");
	expect_text_reject("{\"\":1,\"\":2}", "duplicate key");
	expect_text_reject("{\"a\":1", "expected ',' or '}'");
	expect_text_reject("[1 2]", "expected ',' or ']'");
	expect_text_reject("{\"a\":1} x", "trailing characters");
	expect_text_reject("", "unexpected end of input");
	expect_text_reject("tru", "invalid literal");
	expect_text_reject("\"abc", "unterminated string");
	expect_text_reject("\"a\x01\"", "control character");
	expect_text_reject("\"\\x\"", "invalid escape");
	expect_text_reject("\"\\ud83d\"", "lone high surrogate");
	expect_text_reject("\"\\ude00\"", "lone low surrogate");
	expect_text_reject("01", "leading zero");
	expect_text_reject("-", "expected a digit");
	expect_text_reject("{1:2}", "expected a string key");
	char deep[200] = "";
	for (int i = 0; i < HL_MP_MAX_DEPTH + 2; i++)
		strcat(deep, "[");
	expect_text_reject(deep, "nesting too deep");
	/* The error names the byte offset. */
	struct hat_buf b = HAT_BUF_INIT;
	char err[256];
	assert_int_equal(hl_mp_from_json_text("[1,2.5]", 7, &b, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "byte 4"));
	hat_buf_free(&b);
}

/* ---- cJSON converter */

static int from_cjson(const char *json, struct hat_buf *b, char *err, size_t errlen)
{
	cJSON *j = cJSON_Parse(json);
	assert_non_null(j);
	int rc = hl_mp_from_json(j, b, err, errlen);
	cJSON_Delete(j);
	return rc;
}

static void test_msgpack_cjson_encodes_in_tree_order(void **state)
{
	(void)state;
	struct hat_buf b = HAT_BUF_INIT;
	char err[256] = "";
	assert_int_equal(from_cjson("{\"type\":\"dummy\",\"num\":100000000000}", &b, err, sizeof err), 0);
	assert_string_equal(hexof(&b), "82a474797065a564756d6d79a36e756dcf000000174876e800");
	hat_buf_reset(&b);
	assert_int_equal(from_cjson("{\"z\":[-33,null,false],\"y\":\"x\"}", &b, err, sizeof err), 0);
	assert_string_equal(hexof(&b), "82a17a93d0dfc0c2a179a178");
	hat_buf_reset(&b);
	/* 2^53 is the largest integer accepted. */
	assert_int_equal(from_cjson("[9007199254740992,-9007199254740992]", &b, err, sizeof err), 0);
	assert_string_equal(hexof(&b), "92cf0020000000000000d3ffe0000000000000");
	hat_buf_free(&b);
}

static void test_msgpack_cjson_rejects_floats_and_inexact_integers(void **state)
{
	(void)state;
	struct hat_buf b = HAT_BUF_INIT;
	char err[256] = "";
	assert_int_equal(from_cjson("{\"orders\":[{\"p\":1.5}]}", &b, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "orders[0].p: floats are not allowed"));
	hat_buf_reset(&b);
	assert_int_equal(from_cjson("{\"nonce\":9007199254740994}", &b, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "nonce: integer beyond 2^53"));
	hat_buf_free(&b);
	assert_int_equal(hl_mp_from_json(NULL, &b, err, sizeof err), HAT_E_PARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msgpack_uint_boundaries),
		cmocka_unit_test(test_msgpack_int_boundaries_use_unsigned_for_positive),
		cmocka_unit_test(test_msgpack_str_boundaries),
		cmocka_unit_test(test_msgpack_container_boundaries),
		cmocka_unit_test(test_msgpack_text_keeps_key_order_and_types),
		cmocka_unit_test(test_msgpack_text_exact_big_integers),
		cmocka_unit_test(test_msgpack_text_unescapes_strings),
		cmocka_unit_test(test_msgpack_text_rejects_bad_input),
		cmocka_unit_test(test_msgpack_cjson_encodes_in_tree_order),
		cmocka_unit_test(test_msgpack_cjson_rejects_floats_and_inexact_integers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
