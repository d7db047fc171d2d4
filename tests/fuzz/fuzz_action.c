/* tests/fuzz/fuzz_action.c -- untrusted JSON into the signing-side parsers: the exact-integer
 * JSON -> msgpack converter (hl-sign's stdin), and cJSON trees into the canonical L1 re-encoder
 * and the user-action digest (hlsim's /exchange input). Any crash, leak or sanitizer report is
 * a bug; errors are expected. */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "hl/action.h"
#include "hl/msgpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hat_buf out = HAT_BUF_INIT;
	char err[256];
	uint8_t digest[32];
	hl_mp_from_json_text((const char *)data, size, &out, err, sizeof err);
	cJSON *j = cJSON_ParseWithLength((const char *)data, size);
	if (j) {
		hat_buf_reset(&out);
		hl_mp_from_json(j, &out, err, sizeof err);
		hat_buf_reset(&out);
		hl_action_canonical_msgpack(j, &out, err, sizeof err);
		hl_user_action_digest(j, digest, err, sizeof err);
		cJSON_Delete(j);
	}
	hat_buf_free(&out);
	return 0;
}
