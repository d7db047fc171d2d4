/* execd/keystore.c -- Argon2id + XChaCha20-Poly1305 keystore, passphrase input. */
#include "execd/keystore.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <secp256k1.h>
#include <sodium.h>

#include "common/err.h"
#include "hl/hex.h"

#define KDF_NAME "argon2id13"
#define SALT_LEN crypto_pwhash_SALTBYTES                   /* 16 */
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES /* 24 */
#define CT_LEN (32 + crypto_aead_xchacha20poly1305_ietf_ABYTES) /* 48 */
#define FILE_MAX 65536
/* Upper bounds on the stored cost, so a modified file cannot make a load run for hours. */
#define OPS_MAX (crypto_pwhash_OPSLIMIT_SENSITIVE * 4)
#define MEM_MAX ((size_t)crypto_pwhash_MEMLIMIT_SENSITIVE * 2)

struct exec_key {
	struct hl_signer signer;
};

/* Scratch secrets for one load/write, kept in guarded memory. */
struct secrets {
	uint8_t kdf_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	uint8_t plain[32];
};

static int sodium_ready(char *err, size_t errlen)
{
	if (sodium_init() < 0) {
		snprintf(err, errlen, "sodium_init() failed");
		return -ENOSYS;
	}
	return 0;
}

void exec_kdf_moderate(struct exec_kdf_params *p)
{
	p->opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
	p->memlimit = crypto_pwhash_MEMLIMIT_MODERATE;
}

void exec_kdf_interactive(struct exec_kdf_params *p)
{
	p->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	p->memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

static int kdf_check(uint64_t ops, uint64_t mem, const char *where, char *err, size_t errlen)
{
	if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > OPS_MAX) {
		snprintf(err, errlen, "%sopslimit: must be %llu..%llu (got %" PRIu64 ")", where,
			 (unsigned long long)crypto_pwhash_OPSLIMIT_MIN, (unsigned long long)OPS_MAX,
			 ops);
		return -EINVAL;
	}
	if (mem < crypto_pwhash_MEMLIMIT_MIN || mem > MEM_MAX) {
		snprintf(err, errlen, "%smemlimit: must be %llu..%llu (got %" PRIu64 ")", where,
			 (unsigned long long)crypto_pwhash_MEMLIMIT_MIN, (unsigned long long)MEM_MAX,
			 mem);
		return -EINVAL;
	}
	return 0;
}

const struct hl_signer *exec_key_signer(const struct exec_key *k)
{
	return &k->signer;
}

const uint8_t *exec_key_address(const struct exec_key *k)
{
	return k->signer.address;
}

void exec_key_free(struct exec_key *k)
{
	if (!k)
		return;
	hl_signer_deinit(&k->signer);
	sodium_free(k); /* also wipes */
}

/* ---------------------------------------------------------------- passphrases */

/* Reads one line (up to EOF or '\n') from fd into buf (cap bytes incl. NUL), byte by byte so
 * nothing after the newline is consumed (a key may follow on the same stdin). */
static int read_line_fd(int fd, char *buf, size_t cap, size_t *len, const char *what, char *err,
			size_t errlen)
{
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			snprintf(err, errlen, "read(%s) failed: %s", what, strerror(e));
			return -e;
		}
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= cap) {
			snprintf(err, errlen, "passphrase from %s: longer than %d bytes", what,
				 EXEC_PASSPHRASE_MAX);
			return -EINVAL;
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return 0;
}

static int prompt_tty(const char *prompt, char *buf, size_t cap, size_t *len, char *err,
		      size_t errlen)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -ENOENT;
	struct termios old, quiet;
	int have_tc = tcgetattr(fd, &old) == 0;
	if (have_tc) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	ssize_t w = write(fd, prompt, strlen(prompt));
	(void)w;
	int rc = read_line_fd(fd, buf, cap, len, "/dev/tty", err, errlen);
	if (have_tc)
		tcsetattr(fd, TCSAFLUSH, &old);
	w = write(fd, "\n", 1);
	(void)w;
	close(fd);
	return rc;
}

int exec_passphrase_read(const struct exec_passphrase_src *src, char **out, size_t *len,
			 char *err, size_t errlen)
{
	*out = NULL;
	*len = 0;
	int rc = sodium_ready(err, errlen);
	if (rc)
		return rc;
	size_t cap = EXEC_PASSPHRASE_MAX + 2;
	char *buf = sodium_malloc(cap);
	if (!buf) {
		snprintf(err, errlen, "sodium_malloc(passphrase) failed");
		return -ENOMEM;
	}
	size_t n = 0;
	if (src->fd >= 0) {
		char what[32];
		snprintf(what, sizeof(what), "passphrase fd %d", src->fd);
		rc = read_line_fd(src->fd, buf, cap, &n, what, err, errlen);
	} else if (src->env_name && getenv(src->env_name)) {
		const char *v = getenv(src->env_name);
		n = strlen(v);
		if (n > EXEC_PASSPHRASE_MAX) {
			snprintf(err, errlen, "passphrase from %s: longer than %d bytes",
				 src->env_name, EXEC_PASSPHRASE_MAX);
			rc = -EINVAL;
		} else {
			memcpy(buf, v, n + 1);
		}
	} else if (src->prompt) {
		rc = prompt_tty(src->prompt, buf, cap, &n, err, errlen);
		if (rc == 0 && src->confirm) {
			char *again = sodium_malloc(cap);
			size_t n2 = 0;
			if (!again) {
				rc = -ENOMEM;
				snprintf(err, errlen, "sodium_malloc(passphrase) failed");
			} else {
				rc = prompt_tty("Repeat the passphrase: ", again, cap, &n2, err,
						errlen);
				if (rc == 0 && (n2 != n || sodium_memcmp(buf, again, n) != 0)) {
					snprintf(err, errlen, "the two passphrases differ");
					rc = HAT_E_PASSPHRASE;
				}
				sodium_free(again);
			}
		}
		if (rc == -ENOENT)
			goto none;
	} else {
		goto none;
	}
	if (rc == 0 && n == 0) {
		snprintf(err, errlen, "empty passphrase");
		rc = -EINVAL;
	}
	if (rc != 0) {
		sodium_free(buf);
		return rc;
	}
	*out = buf;
	*len = n;
	return 0;
none:
	sodium_free(buf);
	snprintf(err, errlen,
		 "no passphrase: use --passphrase-fd N, " EXEC_KEYSTORE_ENV " or a terminal");
	return -ENOENT;
}

void exec_passphrase_free(char *p)
{
	if (p)
		sodium_free(p);
}

/* ---------------------------------------------------------------- writing */

int exec_key_generate(uint8_t key[32])
{
	if (sodium_init() < 0)
		return -ENOSYS;
	do {
		randombytes_buf(key, 32);
	} while (!secp256k1_ec_seckey_verify(secp256k1_context_static, key));
	return 0;
}

static void addr_text(const uint8_t addr[HL_ADDR_LEN], char out[HL_ADDR_STRLEN])
{
	hl_hex_encode(addr, HL_ADDR_LEN, out);
}

int exec_keystore_write(const char *path, const uint8_t key[32], const char *pass,
			size_t passlen, const struct exec_kdf_params *kdf,
			uint8_t addr_out[HL_ADDR_LEN], char *err, size_t errlen)
{
	int rc = sodium_ready(err, errlen);
	if (rc)
		return rc;
	struct exec_kdf_params p;
	if (kdf)
		p = *kdf;
	else
		exec_kdf_moderate(&p);
	if ((rc = kdf_check(p.opslimit, p.memlimit, "", err, errlen)) != 0)
		return rc;
	if (passlen == 0) {
		snprintf(err, errlen, "empty passphrase");
		return -EINVAL;
	}
	struct hl_signer s;
	memset(&s, 0, sizeof(s));
	if (hl_signer_init(&s, key) != 0) {
		snprintf(err, errlen, "key: not a valid secp256k1 private key");
		return -EINVAL;
	}
	char addr[HL_ADDR_STRLEN];
	addr_text(s.address, addr);
	if (addr_out)
		memcpy(addr_out, s.address, HL_ADDR_LEN);
	hl_signer_deinit(&s);

	struct stat st;
	if (lstat(path, &st) == 0) {
		snprintf(err, errlen, "keystore %s: exists (refusing to overwrite)", path);
		return -EEXIST;
	}

	uint8_t salt[SALT_LEN], nonce[NONCE_LEN], ct[CT_LEN];
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	struct secrets *sec = sodium_malloc(sizeof(*sec));
	if (!sec) {
		snprintf(err, errlen, "sodium_malloc failed");
		return -ENOMEM;
	}
	if (crypto_pwhash(sec->kdf_key, sizeof(sec->kdf_key), pass, passlen, salt, p.opslimit,
			  p.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_free(sec);
		snprintf(err, errlen, "crypto_pwhash: out of memory (memlimit %zu)", p.memlimit);
		return -ENOMEM;
	}
	unsigned long long ctlen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctlen, key, 32, (const uint8_t *)addr,
						   strlen(addr), NULL, nonce, sec->kdf_key);
	sodium_free(sec);

	char salt_h[SALT_LEN * 2 + 1], nonce_h[NONCE_LEN * 2 + 1], ct_h[CT_LEN * 2 + 1];
	sodium_bin2hex(salt_h, sizeof(salt_h), salt, sizeof(salt));
	sodium_bin2hex(nonce_h, sizeof(nonce_h), nonce, sizeof(nonce));
	sodium_bin2hex(ct_h, sizeof(ct_h), ct, sizeof(ct));
	char text[1024];
	int tl = snprintf(text, sizeof(text),
			  "{\"version\":%d,\"kdf\":\"" KDF_NAME "\",\"opslimit\":%" PRIu64
			  ",\"memlimit\":%zu,\"salt\":\"%s\",\"nonce\":\"%s\",\"ciphertext\":\"%s\","
			  "\"address\":\"%s\"}\n",
			  EXEC_KEYSTORE_VERSION, p.opslimit, p.memlimit, salt_h, nonce_h, ct_h, addr);

	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "open(\"%s\") failed: %s", tmp, strerror(e));
		return -e;
	}
	ssize_t w = write(fd, text, (size_t)tl);
	int e = w == tl ? 0 : (w < 0 ? errno : EIO);
	const char *call = "write";
	if (!e && fsync(fd) != 0) {
		e = errno;
		call = "fsync";
	}
	close(fd);
	if (e) {
		unlink(tmp);
		snprintf(err, errlen, "%s(\"%s\") failed: %s", call, tmp, strerror(e));
		return -e;
	}
	/* link() fails if path appeared meanwhile: never overwrite a keystore. */
	if (link(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		if (e == EEXIST)
			snprintf(err, errlen, "keystore %s: exists (refusing to overwrite)", path);
		else
			snprintf(err, errlen, "link(\"%s\", \"%s\") failed: %s", tmp, path,
				 strerror(e));
		return -e;
	}
	unlink(tmp);
	return 0;
}

/* ---------------------------------------------------------------- reading */

struct parsed {
	uint64_t opslimit, memlimit;
	uint8_t salt[SALT_LEN], nonce[NONCE_LEN], ct[CT_LEN];
	uint8_t addr[HL_ADDR_LEN];
};

static int read_text(const char *path, char **out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "open(\"%s\") failed: %s", path, strerror(e));
		return -e;
	}
	char *buf = malloc(FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, FILE_MAX + 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			free(buf);
			snprintf(err, errlen, "read(\"%s\") failed: %s", path, strerror(e));
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > FILE_MAX) {
			close(fd);
			free(buf);
			snprintf(err, errlen, "keystore %s: larger than %d bytes", path, FILE_MAX);
			return HAT_E_PARSE;
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static int field_hex(const cJSON *root, const char *key, uint8_t *out, size_t n,
		     const char *path, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
	if (!v) {
		snprintf(err, errlen, "keystore %s: %s: missing", path, key);
		return HAT_E_PARSE;
	}
	size_t bl = 0;
	const char *end = NULL;
	if (!cJSON_IsString(v) || strlen(v->valuestring) != n * 2 ||
	    sodium_hex2bin(out, n, v->valuestring, n * 2, NULL, &bl, &end) != 0 || bl != n) {
		snprintf(err, errlen, "keystore %s: %s: expected %zu hex digits", path, key, n * 2);
		return HAT_E_PARSE;
	}
	return 0;
}

static int field_u64(const cJSON *root, const char *key, uint64_t *out, const char *path,
		     char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
	if (!v) {
		snprintf(err, errlen, "keystore %s: %s: missing", path, key);
		return HAT_E_PARSE;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9.0e15 ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble) {
		snprintf(err, errlen, "keystore %s: %s: expected a non-negative integer", path,
			 key);
		return HAT_E_PARSE;
	}
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static int parse_file(const char *path, struct parsed *p, bool need_crypto, char *err,
		      size_t errlen)
{
	char *text = NULL;
	int rc = read_text(path, &text, err, errlen);
	if (rc)
		return rc;
	cJSON *root = cJSON_Parse(text);
	free(text);
	if (!root || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		snprintf(err, errlen, "keystore %s: not a JSON object (truncated or not a keystore)",
			 path);
		return HAT_E_PARSE;
	}
	uint64_t version = 0;
	const cJSON *v;
	if ((rc = field_u64(root, "version", &version, path, err, errlen)) != 0)
		goto out;
	if (version != EXEC_KEYSTORE_VERSION) {
		snprintf(err, errlen, "keystore %s: version: %" PRIu64 " is not supported (only %d)",
			 path, version, EXEC_KEYSTORE_VERSION);
		rc = HAT_E_BADVERSION;
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "address");
	if (!v || !cJSON_IsString(v)) {
		snprintf(err, errlen, "keystore %s: address: %s", path,
			 v ? "expected a string" : "missing");
		rc = HAT_E_PARSE;
		goto out;
	}
	char why[128];
	if (hl_hex_decode_exact(v->valuestring, strlen(v->valuestring), p->addr, HL_ADDR_LEN,
				"address", why, sizeof(why)) != 0) {
		snprintf(err, errlen, "keystore %s: %s", path, why);
		rc = HAT_E_PARSE;
		goto out;
	}
	if (!need_crypto)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(root, "kdf");
	if (!v || !cJSON_IsString(v) || strcmp(v->valuestring, KDF_NAME) != 0) {
		snprintf(err, errlen, "keystore %s: kdf: %s", path,
			 v ? "expected \"" KDF_NAME "\"" : "missing");
		rc = HAT_E_PARSE;
		goto out;
	}
	if ((rc = field_u64(root, "opslimit", &p->opslimit, path, err, errlen)) != 0 ||
	    (rc = field_u64(root, "memlimit", &p->memlimit, path, err, errlen)) != 0 ||
	    (rc = field_hex(root, "salt", p->salt, SALT_LEN, path, err, errlen)) != 0 ||
	    (rc = field_hex(root, "nonce", p->nonce, NONCE_LEN, path, err, errlen)) != 0 ||
	    (rc = field_hex(root, "ciphertext", p->ct, CT_LEN, path, err, errlen)) != 0)
		goto out;
	char where[PATH_MAX + 16];
	snprintf(where, sizeof(where), "keystore %s: ", path);
	rc = kdf_check(p->opslimit, p->memlimit, where, err, errlen);
out:
	cJSON_Delete(root);
	return rc;
}

int exec_keystore_address(const char *path, uint8_t addr[HL_ADDR_LEN], char *err, size_t errlen)
{
	struct parsed p;
	int rc = parse_file(path, &p, false, err, errlen);
	if (rc == 0)
		memcpy(addr, p.addr, HL_ADDR_LEN);
	return rc;
}

int exec_keystore_load(const char *path, const char *pass, size_t passlen,
		       struct exec_key **out, char *err, size_t errlen)
{
	*out = NULL;
	int rc = sodium_ready(err, errlen);
	if (rc)
		return rc;
	struct parsed p;
	if ((rc = parse_file(path, &p, true, err, errlen)) != 0)
		return rc;
	struct secrets *sec = sodium_malloc(sizeof(*sec));
	if (!sec) {
		snprintf(err, errlen, "sodium_malloc failed");
		return -ENOMEM;
	}
	if (crypto_pwhash(sec->kdf_key, sizeof(sec->kdf_key), pass, passlen, p.salt, p.opslimit,
			  (size_t)p.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_free(sec);
		snprintf(err, errlen, "keystore %s: crypto_pwhash: out of memory (memlimit %" PRIu64
				      ")", path, p.memlimit);
		return -ENOMEM;
	}
	char addr[HL_ADDR_STRLEN];
	addr_text(p.addr, addr);
	unsigned long long plen = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(sec->plain, &plen, NULL, p.ct, CT_LEN,
						       (const uint8_t *)addr, strlen(addr), p.nonce,
						       sec->kdf_key) != 0 ||
	    plen != 32)
		goto bad;
	struct exec_key *k = sodium_malloc(sizeof(*k));
	if (!k) {
		sodium_free(sec);
		snprintf(err, errlen, "sodium_malloc failed");
		return -ENOMEM;
	}
	memset(k, 0, sizeof(*k));
	if (hl_signer_init(&k->signer, sec->plain) != 0 ||
	    sodium_memcmp(k->signer.address, p.addr, HL_ADDR_LEN) != 0) {
		exec_key_free(k);
		goto bad;
	}
	sodium_free(sec);
	*out = k;
	return 0;
bad:
	sodium_free(sec);
	snprintf(err, errlen, "keystore %s: wrong passphrase or the file was modified", path);
	return HAT_E_PASSPHRASE;
}

int exec_keystore_open(const char *path, const struct exec_passphrase_src *src,
		       struct exec_key **out, char *err, size_t errlen)
{
	*out = NULL;
	char *pass = NULL;
	size_t len = 0;
	int rc = exec_passphrase_read(src, &pass, &len, err, errlen);
	if (rc)
		return rc;
	rc = exec_keystore_load(path, pass, len, out, err, errlen);
	exec_passphrase_free(pass);
	return rc;
}

/* ---------------------------------------------------------------- hardening */

int exec_secure_process(char *err, size_t errlen)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		int e = errno;
		snprintf(err, errlen, "prctl(PR_SET_DUMPABLE, 0) failed: %s", strerror(e));
		return -e;
	}
	struct rlimit rl = {0, 0};
	if (setrlimit(RLIMIT_CORE, &rl) != 0) {
		int e = errno;
		snprintf(err, errlen, "setrlimit(RLIMIT_CORE, 0) failed: %s", strerror(e));
		return -e;
	}
	return 0;
}
