/* execd/keystore.h -- the private key, encrypted on disk, and its passphrase.
 *
 * File format (JSON, one object, mode 0600, written atomically: temp file + fsync + rename):
 *   {"version":1,"kdf":"argon2id13","opslimit":2,"memlimit":67108864,
 *    "salt":"<32 hex>","nonce":"<48 hex>","ciphertext":"<96 hex>",
 *    "address":"0x<40 hex>"}
 * key = crypto_pwhash(Argon2id 1.3, passphrase, salt, opslimit, memlimit), 32 bytes;
 * ciphertext = XChaCha20-Poly1305-IETF(key, nonce, plaintext = the 32-byte secp256k1 private
 * key, associated data = the address text "0x<40 lowercase hex>"), 32 + 16 bytes. The address
 * is in clear so tools show it without the passphrase; because it is also the associated
 * data, swapping it is detected as tampering. After decryption the address derived from the
 * key must equal the stored one (a second check).
 *
 * Memory: a loaded key lives only inside a struct exec_key allocated with sodium_malloc()
 * (guard pages, mlock'ed, never swapped) and is wiped by exec_key_free(). Passphrases read by
 * exec_passphrase_read() live in sodium_malloc'ed memory too. The key and the passphrase are
 * never logged, never written to shm, never put in an error message.
 *
 * Process rules: only execd and the hatctl key tool load keys. The CALLER (execd's main, before
 * loading the key) must call exec_secure_process(): it sets PR_SET_DUMPABLE 0 (no core dumps,
 * no ptrace by same-uid processes, /proc/<pid>/mem unreadable) and RLIMIT_CORE 0. Nothing here
 * does that implicitly, so tests can still be debugged. Single-threaded per object; no globals.
 * sodium_init() is called as needed (idempotent, thread-safe).
 *
 * etc/test-key.json is hlsim's funded TEST key (0x0123...0123, address
 * 0x14791697260e4c9a71f18484c9f997b308e59325) under the passphrase "hat-test": it is public
 * and must never hold real funds.
 */
#ifndef HAT_EXECD_KEYSTORE_H
#define HAT_EXECD_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hl/sign.h"

#define EXEC_KEYSTORE_VERSION 1
#define EXEC_KEYSTORE_ENV "HAT_KEY_PASSPHRASE" /* environment variable for tests */
#define EXEC_PASSPHRASE_MAX 1024               /* bytes, longer passphrases are rejected */

/* Argon2id cost. Stored in the file, so a file made with cheap settings (tests) stays cheap. */
struct exec_kdf_params {
	uint64_t opslimit; /* crypto_pwhash opslimit (>= crypto_pwhash_OPSLIMIT_MIN) */
	size_t memlimit;   /* crypto_pwhash memlimit in bytes (>= crypto_pwhash_MEMLIMIT_MIN) */
};

/* The default cost for new files: crypto_pwhash MODERATE (about 0.5-1 s, 256 MiB). */
void exec_kdf_moderate(struct exec_kdf_params *p);
/* The cheap cost for tests: crypto_pwhash INTERACTIVE (64 MiB). */
void exec_kdf_interactive(struct exec_kdf_params *p);

/* A loaded key: a signer (hl/sign.h) whose secret lives in sodium_malloc'ed memory. Opaque
 * apart from the accessors below. */
struct exec_key;

/* The signer inside k (borrowed, valid until exec_key_free(k)). */
const struct hl_signer *exec_key_signer(const struct exec_key *k);
/* The 20-byte address of k (borrowed, valid until exec_key_free(k)). */
const uint8_t *exec_key_address(const struct exec_key *k);
/* Wipes and frees k (hl_signer_deinit + sodium_free). NULL is a no-op. */
void exec_key_free(struct exec_key *k);

/* ---------------------------------------------------------------- passphrases */

/* Where a passphrase comes from, tried in this order: fd (if >= 0), the environment variable
 * env_name (if not NULL and set), then the terminal (/dev/tty) with echo off if prompt is not
 * NULL. */
struct exec_passphrase_src {
	int fd;               /* --passphrase-fd N: read up to EOF or the first newline; -1 = none */
	const char *env_name; /* usually EXEC_KEYSTORE_ENV; NULL = do not look */
	const char *prompt;   /* text shown on /dev/tty ("Passphrase for etc/key.json: "); NULL = no prompt */
	bool confirm;         /* prompt only: ask twice and require both to match (key new/import) */
};

/* Reads a passphrase from src into a sodium_malloc'ed NUL-terminated buffer *out (length in
 * *len, a trailing "\n" or "\r\n" stripped). Free it with exec_passphrase_free(). Returns 0,
 * -ENOENT if no source gave one (err: "no passphrase: use --passphrase-fd N, HAT_KEY_PASSPHRASE
 * or a terminal"), -EINVAL if it is empty or longer than EXEC_PASSPHRASE_MAX (err says which),
 * HAT_E_PASSPHRASE if the two prompted entries differ, -ENOMEM, or a negative errno from
 * read/open (err names the call). */
int exec_passphrase_read(const struct exec_passphrase_src *src, char **out, size_t *len,
			 char *err, size_t errlen);
/* Wipes and frees a passphrase from exec_passphrase_read(). NULL is a no-op. */
void exec_passphrase_free(char *p);

/* ---------------------------------------------------------------- files */

/* Creates a random valid secp256k1 private key (libsodium CSPRNG) in key (caller-owned; wipe
 * it with sodium_memzero after use). Returns 0 (cannot fail after sodium_init). */
int exec_key_generate(uint8_t key[32]);

/* Encrypts key (borrowed) under pass[0..passlen) with kdf (NULL = exec_kdf_moderate) and
 * writes the keystore to path (mode 0600; temp file "<path>.tmp" + fsync + rename). Refuses to
 * overwrite: -EEXIST if path exists. If addr_out is not NULL the derived address is stored
 * there. Returns 0, -EINVAL (key invalid for secp256k1, empty passphrase, kdf below libsodium's
 * minimum: err says which), -EEXIST, -ENOMEM (Argon2id could not get its memory), or a negative
 * errno from the file calls (err names the call and path). */
int exec_keystore_write(const char *path, const uint8_t key[32], const char *pass,
			size_t passlen, const struct exec_kdf_params *kdf,
			uint8_t addr_out[HL_ADDR_LEN], char *err, size_t errlen);

/* Reads and decrypts the keystore at path with pass[0..passlen) into a new struct exec_key
 * (*out; free with exec_key_free). Returns 0;
 *   HAT_E_PASSPHRASE: wrong passphrase or the file was modified (err:
 *     "keystore <path>: wrong passphrase or the file was modified"); also when the decrypted
 *     key does not give the stored address;
 *   HAT_E_PARSE: malformed file; err names the field
 *     ("keystore <path>: salt: expected 32 hex digits");
 *   HAT_E_BADVERSION: "version" is not 1; -EINVAL: kdf parameters out of libsodium's range;
 *   -ENOMEM; a negative errno from open/read (err names the call and path).
 * *out is NULL on error. */
int exec_keystore_load(const char *path, const char *pass, size_t passlen,
		       struct exec_key **out, char *err, size_t errlen);

/* Reads the passphrase from src and loads path: exec_passphrase_read + exec_keystore_load (the
 * passphrase is wiped before returning). Returns the first failing call's code. */
int exec_keystore_open(const char *path, const struct exec_passphrase_src *src,
		       struct exec_key **out, char *err, size_t errlen);

/* Reads only the clear "address" of the keystore at path (no passphrase, no decryption; the
 * address is authenticated only when the key is loaded). Returns 0, HAT_E_PARSE,
 * HAT_E_BADVERSION, or a negative errno from open/read. */
int exec_keystore_address(const char *path, uint8_t addr[HL_ADDR_LEN], char *err, size_t errlen);

/* ---------------------------------------------------------------- process hardening */

/* prctl(PR_SET_DUMPABLE, 0) and setrlimit(RLIMIT_CORE, {0, 0}). Call in execd's main before
 * loading the key. Returns 0 or the negative errno of the failing call (err names it). */
int exec_secure_process(char *err, size_t errlen);

#endif
