/* tests/fuzz/fuzz_msg.c -- libFuzzer target: message validators and formatters.
 *
 * Input: the bytes of one ring slot (at most HAT_MSG_SLOT_ANY; shorter inputs are zero-padded,
 * and also tried with exactly their own length). The validator must return one of its codes
 * with a NUL-terminated message, agree with hat_msg_validate_on() for the type's own ring, and
 * never read past the length it is given (ASan); both formatters must not crash, and the JSON
 * one must always produce valid JSON. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/msg.h"

#define CHECK(e) do { if (!(e)) abort(); } while (0)

static void one(const void *msg, size_t avail)
{
	char err[160];
	memset(err, 'x', sizeof err);
	int rc = hat_msg_validate(msg, avail, err, sizeof err);
	CHECK(rc == 0 || rc == HAT_E_BADTYPE || rc == HAT_E_BADMSGVER || rc == HAT_E_BADLEN ||
	      rc == HAT_E_RANGE);
	CHECK(memchr(err, '\0', sizeof err) != NULL);
	CHECK((rc == 0) == (err[0] == '\0'));
	if (rc == 0) {
		unsigned type = ((const struct hat_msg_hdr *)msg)->type;
		CHECK(hat_msg_validate_on(msg, avail, HAT_MSG_BIT(type), NULL, 0) == 0);
		CHECK(hat_msg_validate_on(msg, avail, ~HAT_MSG_BIT(type), NULL, 0) == HAT_E_BADTYPE);
	}
	struct hat_msg_rejects rej;
	hat_msg_rejects_init(&rej);
	CHECK(hat_msg_accept(&rej, msg, avail, ~0u, NULL, 0) == rc);
	CHECK(rej.total == (rc != 0));

	struct hat_buf b = HAT_BUF_INIT;
	hat_msg_format(&b, msg, avail);
	CHECK(hat_buf_ok(&b) && b.len > 0);
	hat_buf_reset(&b);
	hat_msg_format_json(&b, msg, avail);
	CHECK(hat_buf_ok(&b));
	cJSON *j = cJSON_ParseWithLength(b.data, b.len);
	CHECK(j != NULL);
	cJSON_Delete(j);
	hat_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > HAT_MSG_SLOT_ANY)
		size = HAT_MSG_SLOT_ANY;
	/* Exactly the input: ASan catches any read past it. */
	uint8_t *exact = malloc(size ? size : 1);
	if (!exact)
		return 0;
	memcpy(exact, data, size);
	one(exact, size);
	free(exact);
	/* A whole slot, 8-byte aligned like a ring slot, zero-padded. */
	static uint64_t slot[HAT_MSG_SLOT_ANY / 8];
	memset(slot, 0, sizeof slot);
	memcpy(slot, data, size);
	one(slot, sizeof slot);

	struct hat_seq_check sc;
	hat_seq_check_init(&sc);
	for (size_t i = 0; i + 8 <= size; i += 8) {
		uint64_t seq;
		memcpy(&seq, data + i, 8);
		int rc = hat_seq_check(&sc, seq);
		CHECK(rc == 0 || rc == HAT_E_SEQGAP || rc == -EALREADY);
	}
	return 0;
}
