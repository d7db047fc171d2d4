/* tools/hatctl/cmd_key.c -- hatctl key new|import|address: create and inspect keystores.
 *
 *   hatctl key new     --out FILE [--passphrase-fd N] [--kdf moderate|interactive]
 *   hatctl key import  --out FILE [--passphrase-fd N] [--kdf moderate|interactive]
 *                      (the private key "0x" + 64 hex is read from stdin, or from the terminal
 *                       without echo; never from the command line)
 *   hatctl key address --in FILE
 * The passphrase comes from --passphrase-fd N, else HAT_KEY_PASSPHRASE, else the terminal
 * (asked twice). The private key is never printed. Exit 0 ok, 1 failure, 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/err.h"
#include "execd/keystore.h"
#include "hl/hex.h"
#include "tools/hatctl/cmds.h"

static int usage(void)
{
	fprintf(stderr, "usage: hatctl key new --out FILE [--passphrase-fd N] [--kdf moderate|interactive]\n"
			"       hatctl key import --out FILE [--passphrase-fd N] [--kdf moderate|interactive]"
			"  (key on stdin)\n"
			"       hatctl key address --in FILE\n");
	return 2;
}

struct key_args {
	const char *out;
	const char *in;
	int pass_fd;
	struct exec_kdf_params kdf;
};

static int parse_args(int argc, char **argv, struct key_args *a)
{
	a->out = NULL;
	a->in = NULL;
	a->pass_fd = -1;
	exec_kdf_moderate(&a->kdf);
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(o, "--out") == 0 && v) {
			a->out = v;
		} else if (strcmp(o, "--in") == 0 && v) {
			a->in = v;
		} else if (strcmp(o, "--passphrase-fd") == 0 && v) {
			char *end;
			long fd = strtol(v, &end, 10);
			if (*v == '\0' || *end || fd < 0 || fd > 65535) {
				fprintf(stderr, "hatctl key: --passphrase-fd: expected a file "
						"descriptor number (got \"%s\")\n", v);
				return -EINVAL;
			}
			a->pass_fd = (int)fd;
		} else if (strcmp(o, "--kdf") == 0 && v) {
			if (strcmp(v, "moderate") == 0) {
				exec_kdf_moderate(&a->kdf);
			} else if (strcmp(v, "interactive") == 0) {
				exec_kdf_interactive(&a->kdf);
			} else {
				fprintf(stderr, "hatctl key: --kdf: expected moderate or interactive "
						"(got \"%s\")\n", v);
				return -EINVAL;
			}
		} else {
			fprintf(stderr, "hatctl key: unknown or incomplete option \"%s\"\n", o);
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

/* Encrypts key under a passphrase from the usual sources and writes a->out. */
static int write_store(const struct key_args *a, const uint8_t key[32])
{
	char prompt[512];
	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", a->out);
	struct exec_passphrase_src src = {.fd = a->pass_fd, .env_name = EXEC_KEYSTORE_ENV,
					  .prompt = prompt, .confirm = true};
	char *pass = NULL;
	size_t len = 0;
	char err[512];
	int rc = exec_passphrase_read(&src, &pass, &len, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "hatctl key: %s\n", err);
		return 1;
	}
	uint8_t addr[HL_ADDR_LEN];
	rc = exec_keystore_write(a->out, key, pass, len, &a->kdf, addr, err, sizeof(err));
	exec_passphrase_free(pass);
	if (rc) {
		fprintf(stderr, "hatctl key: %s\n", err);
		return 1;
	}
	char text[HL_ADDR_STRLEN];
	hl_hex_encode(addr, HL_ADDR_LEN, text);
	printf("keystore %s: address %s\n", a->out, text);
	return 0;
}

static int key_new(const struct key_args *a)
{
	uint8_t *key = sodium_malloc(32);
	if (!key) {
		fprintf(stderr, "hatctl key: out of memory\n");
		return 1;
	}
	exec_key_generate(key);
	int rc = write_store(a, key);
	sodium_free(key);
	return rc;
}

static int key_import(const struct key_args *a)
{
	/* The key is read like a passphrase: secure memory, one line, no echo on a terminal. */
	struct exec_passphrase_src src = {.fd = isatty(0) ? -1 : 0,
					  .prompt = "Private key (0x + 64 hex digits): "};
	char *text = NULL;
	size_t len = 0;
	char err[512];
	int rc = exec_passphrase_read(&src, &text, &len, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "hatctl key import: no key on stdin or the terminal\n");
		return 1;
	}
	uint8_t *key = sodium_malloc(32);
	if (!key) {
		exec_passphrase_free(text);
		fprintf(stderr, "hatctl key: out of memory\n");
		return 1;
	}
	rc = hl_key_parse(text, key, err, sizeof(err));
	exec_passphrase_free(text);
	if (rc) {
		sodium_free(key);
		fprintf(stderr, "hatctl key import: %s\n", err);
		return 1;
	}
	rc = write_store(a, key);
	sodium_free(key);
	return rc;
}

static int key_address(const struct key_args *a)
{
	uint8_t addr[HL_ADDR_LEN];
	char err[512];
	int rc = exec_keystore_address(a->in, addr, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "hatctl key: %s\n", err);
		return 1;
	}
	char text[HL_ADDR_STRLEN];
	hl_hex_encode(addr, HL_ADDR_LEN, text);
	printf("%s\n", text);
	return 0;
}

int hatctl_key(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	struct key_args a;
	if (parse_args(argc, argv, &a) != 0)
		return 2;
	if (sodium_init() < 0) {
		fprintf(stderr, "hatctl key: sodium_init() failed\n");
		return 1;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "new") == 0 || strcmp(sub, "import") == 0) {
		if (!a.out) {
			fprintf(stderr, "hatctl key %s: --out FILE is required\n", sub);
			return 2;
		}
		return sub[0] == 'n' ? key_new(&a) : key_import(&a);
	}
	if (strcmp(sub, "address") == 0) {
		if (!a.in) {
			fprintf(stderr, "hatctl key address: --in FILE is required\n");
			return 2;
		}
		return key_address(&a);
	}
	fprintf(stderr, "hatctl key: unknown subcommand \"%s\"\n", sub);
	return usage();
}
