/* tests/unit/test_keccak.c -- Keccak-256 against published vectors, block edges and chunking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hl/keccak.h"

static void hex32(const uint8_t d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void expect_hash(const void *p, size_t n, const char *want)
{
	uint8_t d[32];
	char got[65];
	hl_keccak256(p, n, d);
	hex32(d, got);
	assert_string_equal(got, want);
}

static void test_keccak_empty_is_not_sha3(void **state)
{
	(void)state;
	expect_hash("", 0, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
	expect_hash(NULL, 0, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

static void test_keccak_short_strings(void **state)
{
	(void)state;
	expect_hash("abc", 3, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
	const char *fox = "The quick brown fox jumps over the lazy dog";
	expect_hash(fox, strlen(fox),
		    "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
	const char *n56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	assert_int_equal(strlen(n56), 56);
	expect_hash(n56, 56, "45d3b367a6904e6e8d502ee04999a7c27647f91fa845d456525fd352ae3d7371");
	const char *n112 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
			   "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	assert_int_equal(strlen(n112), 112);
	expect_hash(n112, 112, "f519747ed599024f3882238e5ab43960132572b7345fbeb9a90769dafd21ad67");
}

/* The Keccak team's 200 x 0xa3 message, and the same byte at the rate's edges: 135 bytes
 * (padding 0x01 and 0x80 share the last byte), 136 (padding takes a block of its own). */
static void test_keccak_a3_messages(void **state)
{
	(void)state;
	uint8_t a3[200];
	memset(a3, 0xa3, sizeof a3);
	expect_hash(a3, 200, "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a");
	expect_hash(a3, 135, "3d28d08c3dacab77392064a939f3e7f8d03f2e02e2c664ac08a05f63ac652626");
	expect_hash(a3, 136, "b82d89d96e5575d11a9e1f4cabb2a45e60899e69a19a724cd796bdcf13511018");
}

static void test_keccak_rate_boundaries(void **state)
{
	(void)state;
	uint8_t z[136] = {0}, inc[256];
	for (int i = 0; i < 256; i++)
		inc[i] = (uint8_t)i;
	expect_hash(z, 136, "3a5912a7c5faa06ee4fe906253e339467a9ce87d533c65be3c15cb231cdb25f9");
	expect_hash(inc, 1, "bc36789e7a1e281436464229828f817d6612f7b477d66591ff96a9e064bcc98a");
	expect_hash(inc, 135, "cbdfd9dee5faad3818d6b06f95a219fd290b0e1706f6a82e5a595b9ce9faca62");
	expect_hash(inc, 137, "ac73d4fae68b8453f764007c1a20ce95994187861f0c3227a3a8e99a73a3b1db");
	expect_hash(inc, 255, "df819d2e7b8489cdd9729e77bd40a2c02f9ba2cea4ea9433385bf79350e849d3");
}

/* Incremental hashing must not depend on how input is cut: every split point of a 272-byte
 * (two full blocks) message, and odd chunk sizes over 1000 bytes, against the one-shot hash. */
static void test_keccak_incremental_matches_one_shot(void **state)
{
	(void)state;
	uint8_t msg[1000], want[32], got[32];
	for (int i = 0; i < 1000; i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	size_t lens[] = {272, 1000};
	for (size_t L = 0; L < 2; L++) {
		size_t n = lens[L];
		hl_keccak256(msg, n, want);
		for (size_t cut = 0; cut <= n; cut++) {
			struct hl_keccak k;
			hl_keccak_init(&k);
			hl_keccak_update(&k, msg, cut);
			hl_keccak_update(&k, msg + cut, n - cut);
			hl_keccak_final(&k, got);
			assert_memory_equal(got, want, 32);
		}
		for (size_t chunk = 1; chunk <= 137; chunk++) {
			struct hl_keccak k;
			hl_keccak_init(&k);
			for (size_t off = 0; off < n; off += chunk)
				hl_keccak_update(&k, msg + off, off + chunk <= n ? chunk : n - off);
			hl_keccak_final(&k, got);
			assert_memory_equal(got, want, 32);
		}
	}
	/* One-byte difference changes the hash (the test above cannot pass on a constant). */
	hl_keccak256(msg, 1000, want);
	msg[999] ^= 1;
	hl_keccak256(msg, 1000, got);
	assert_memory_not_equal(got, want, 32);
}

static void test_keccak_reinit_after_final(void **state)
{
	(void)state;
	struct hl_keccak k;
	uint8_t d[32];
	char got[65];
	hl_keccak_init(&k);
	hl_keccak_update(&k, "garbage", 7);
	hl_keccak_final(&k, d);
	hl_keccak_init(&k);
	hl_keccak_update(&k, "ab", 2);
	hl_keccak_update(&k, "c", 1);
	hl_keccak_final(&k, d);
	hex32(d, got);
	assert_string_equal(got, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keccak_empty_is_not_sha3),
		cmocka_unit_test(test_keccak_short_strings),
		cmocka_unit_test(test_keccak_a3_messages),
		cmocka_unit_test(test_keccak_rate_boundaries),
		cmocka_unit_test(test_keccak_incremental_matches_one_shot),
		cmocka_unit_test(test_keccak_reinit_after_final),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
