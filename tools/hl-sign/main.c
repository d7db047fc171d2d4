/* tools/hl-sign -- signs an L1 action, or prints a key's address, from the command line.
 *
 *   hl-sign l1 --key 0x<64 hex> --nonce <int> [--vault 0x<40 hex>] [--expires-after <int>]
 *              [--testnet]      (action JSON on stdin, key order as given)
 *       -> {"hash":"0x<connectionId>","r":"0x<64 hex>","s":"0x<64 hex>","v":27|28}
 *   hl-sign address --key 0x<64 hex>
 *       -> 0x<40 hex, lowercase>
 *
 * Exit 0 on success, 2 on bad input (the message on stderr says what was wrong; the key text
 * is never printed), 1 on an internal failure.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/err.h"
#include "hl/msgpack.h"
#include "hl/sign.h"

#define STDIN_LIMIT (16u << 20) /* stdin limit, bytes */

static int usage(const char *why)
{
	fprintf(stderr,
		"hl-sign: %s\n"
		"usage: hl-sign l1 --key 0x<64 hex> --nonce <int> [--vault 0x<40 hex>] "
		"[--expires-after <int>] [--testnet] < action.json\n"
		"       hl-sign address --key 0x<64 hex>\n",
		why);
	return 2;
}

/* Strict unsigned decimal: digits only, no sign, fits in uint64. */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int read_stdin(struct hat_buf *b)
{
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		hat_buf_append(b, chunk, n);
		if (b->len > STDIN_LIMIT)
			return -EFBIG;
	}
	if (ferror(stdin))
		return -EIO;
	return hat_buf_ok(b) ? 0 : -ENOMEM;
}

int main(int argc, char **argv)
{
	const char *key_text = NULL, *nonce_text = NULL, *vault_text = NULL, *exp_text = NULL;
	bool testnet = false;
	char err[256];
	if (argc < 2)
		return usage("missing command (l1 or address)");
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		printf("usage: hl-sign l1 --key 0x<64 hex> --nonce <int> [--vault 0x<40 hex>] "
		       "[--expires-after <int>] [--testnet] < action.json\n"
		       "       hl-sign address --key 0x<64 hex>\n");
		return 0;
	}
	bool l1 = strcmp(cmd, "l1") == 0;
	if (!l1 && strcmp(cmd, "address") != 0)
		return usage("unknown command (expected l1 or address)");
	for (int i = 2; i < argc; i++) {
		const char **slot = NULL;
		if (strcmp(argv[i], "--key") == 0)
			slot = &key_text;
		else if (l1 && strcmp(argv[i], "--nonce") == 0)
			slot = &nonce_text;
		else if (l1 && strcmp(argv[i], "--vault") == 0)
			slot = &vault_text;
		else if (l1 && strcmp(argv[i], "--expires-after") == 0)
			slot = &exp_text;
		else if (l1 && strcmp(argv[i], "--testnet") == 0) {
			testnet = true;
			continue;
		} else {
			snprintf(err, sizeof err, "unknown option %.64s", argv[i]);
			return usage(err);
		}
		if (i + 1 >= argc) {
			snprintf(err, sizeof err, "%s needs a value", argv[i]);
			return usage(err);
		}
		*slot = argv[++i];
	}
	if (!key_text)
		return usage("--key is required");

	uint8_t key[32];
	if (hl_key_parse(key_text, key, err, sizeof err) != 0) {
		fprintf(stderr, "hl-sign: --key: %s\n", err);
		return 2;
	}
	struct hl_signer signer;
	int rc = hl_signer_init(&signer, key);
	sodium_memzero(key, sizeof key);
	if (rc != 0) {
		fprintf(stderr, "hl-sign: cannot set up the signer: %s\n", hat_strerror(rc));
		return rc == -EINVAL ? 2 : 1;
	}
	if (!l1) {
		char addr[HL_ADDR_STRLEN];
		hl_hex_encode(hl_signer_address(&signer), HL_ADDR_LEN, addr);
		printf("%s\n", addr);
		hl_signer_deinit(&signer);
		return 0;
	}

	int status = 2;
	uint8_t vault[HL_ADDR_LEN];
	struct hl_l1_meta m = {.testnet = testnet};
	struct hat_buf in = HAT_BUF_INIT, mp = HAT_BUF_INIT;
	if (!nonce_text) {
		fprintf(stderr, "hl-sign: --nonce is required\n");
		goto out;
	}
	if (parse_u64(nonce_text, &m.nonce) != 0) {
		fprintf(stderr, "hl-sign: --nonce: not an unsigned 64-bit decimal integer: \"%.32s\"\n",
			nonce_text);
		goto out;
	}
	if (exp_text) {
		if (parse_u64(exp_text, &m.expires_after) != 0) {
			fprintf(stderr,
				"hl-sign: --expires-after: not an unsigned 64-bit decimal integer: "
				"\"%.32s\"\n", exp_text);
			goto out;
		}
		m.has_expires_after = true;
	}
	if (vault_text) {
		if (hl_hex_decode_exact(vault_text, strlen(vault_text), vault, HL_ADDR_LEN, "--vault",
					err, sizeof err) != 0) {
			fprintf(stderr, "hl-sign: %s\n", err);
			goto out;
		}
		m.vault = vault;
	}
	if ((rc = read_stdin(&in)) != 0) {
		fprintf(stderr, "hl-sign: reading the action from stdin: %s\n", hat_strerror(rc));
		goto out;
	}
	if ((rc = hl_mp_from_json_text(in.data ? in.data : "", in.len, &mp, err, sizeof err)) != 0) {
		fprintf(stderr, "hl-sign: action on stdin: %s\n",
			rc == HAT_E_PARSE ? err : hat_strerror(rc));
		status = rc == HAT_E_PARSE ? 2 : 1;
		goto out;
	}
	uint8_t cid[32];
	struct hl_sig sig;
	if (hl_sign_l1(&signer, (const uint8_t *)mp.data, mp.len, &m, cid, &sig) != 0) {
		fprintf(stderr, "hl-sign: signing failed\n");
		status = 1;
		goto out;
	}
	char hash[HL_HASH_STRLEN], r[HL_HASH_STRLEN], s[HL_HASH_STRLEN];
	hl_hex_encode(cid, 32, hash);
	hl_hex_encode(sig.r, 32, r);
	hl_hex_encode(sig.s, 32, s);
	printf("{\"hash\":\"%s\",\"r\":\"%s\",\"s\":\"%s\",\"v\":%u}\n", hash, r, s, sig.v);
	status = fflush(stdout) == 0 ? 0 : 1;
out:
	hat_buf_free(&in);
	hat_buf_free(&mp);
	hl_signer_deinit(&signer);
	return status;
}
