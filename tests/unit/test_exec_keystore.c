/* tests/unit/test_exec_keystore.c -- encrypted keystore: round trip, wrong passphrase,
 * tampering, malformed files, passphrase sources, process hardening. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/err.h"
#include "execd/keystore.h"
#include "hl/hex.h"
#include "tests/helpers/test_util.h"

/* hlsim's funded TEST key. */
#define TEST_KEY_HEX "0123456789012345678901234567890123456789012345678901234567890123"
#define TEST_ADDR "0x14791697260e4c9a71f18484c9f997b308e59325"

struct fx {
	char dir[256];
	char path[300];
	uint8_t key[32];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	tu_tmpdir(f->dir, sizeof(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/key.json", f->dir);
	char err[128];
	assert_int_equal(hl_key_parse("0x" TEST_KEY_HEX, f->key, err, sizeof err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static void write_test_keystore(struct fx *f, const char *pass)
{
	struct exec_kdf_params kdf;
	exec_kdf_interactive(&kdf);
	char err[512] = "";
	uint8_t addr[HL_ADDR_LEN];
	assert_int_equal(exec_keystore_write(f->path, f->key, pass, strlen(pass), &kdf, addr, err,
					     sizeof err), 0);
	char text[HL_ADDR_STRLEN];
	hl_hex_encode(addr, HL_ADDR_LEN, text);
	assert_string_equal(text, TEST_ADDR);
}

static void put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Replaces the first occurrence of from by to in the file. */
static void edit_file(const char *path, const char *from, const char *to)
{
	char *t = tu_read_file(path);
	assert_non_null(t);
	char *p = strstr(t, from);
	assert_non_null(p);
	size_t n = strlen(t) - strlen(from) + strlen(to) + 1;
	char *o = malloc(n);
	snprintf(o, n, "%.*s%s%s", (int)(p - t), t, to, p + strlen(from));
	put_file(path, o);
	free(o);
	free(t);
}

static void test_exec_keystore_round_trip(void **state)
{
	struct fx *f = *state;
	write_test_keystore(f, "correct horse");
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *t = tu_read_file(f->path);
	const char *head = "{\"version\":1,\"kdf\":\"argon2id13\",\"opslimit\":2,"
			   "\"memlimit\":67108864,\"salt\":\"";
	assert_true(strncmp(t, head, strlen(head)) == 0);
	assert_non_null(strstr(t, "\"address\":\"" TEST_ADDR "\"}\n"));
	/* The key never appears in the file: not as hex (either case), not as raw bytes. */
	assert_null(strstr(t, TEST_KEY_HEX));
	assert_null(strstr(t, "3456789012345678901234567890"));
	assert_null(strstr(t, "2345678901234567"));
	assert_null(memmem(t, strlen(t), f->key, 8));
	free(t);

	struct exec_key *k = NULL;
	char err[512] = "";
	assert_int_equal(exec_keystore_load(f->path, "correct horse", 13, &k, err, sizeof err), 0);
	assert_non_null(k);
	assert_memory_equal(exec_key_signer(k)->key, f->key, 32);
	char a[HL_ADDR_STRLEN];
	hl_hex_encode(exec_key_address(k), HL_ADDR_LEN, a);
	assert_string_equal(a, TEST_ADDR);
	exec_key_free(k);
	exec_key_free(NULL);

	uint8_t addr[HL_ADDR_LEN];
	assert_int_equal(exec_keystore_address(f->path, addr, err, sizeof err), 0);
	hl_hex_encode(addr, HL_ADDR_LEN, a);
	assert_string_equal(a, TEST_ADDR);

	/* Never overwritten. */
	struct exec_kdf_params kdf;
	exec_kdf_interactive(&kdf);
	assert_int_equal(exec_keystore_write(f->path, f->key, "x", 1, &kdf, NULL, err, sizeof err),
			 -EEXIST);
	char want[512];
	snprintf(want, sizeof want, "keystore %s: exists (refusing to overwrite)", f->path);
	assert_string_equal(err, want);
}

static void expect_passphrase_error(struct fx *f, const char *pass)
{
	struct exec_key *k = (struct exec_key *)1;
	char err[512] = "";
	assert_int_equal(exec_keystore_load(f->path, pass, strlen(pass), &k, err, sizeof err),
			 HAT_E_PASSPHRASE);
	assert_null(k);
	char want[512];
	snprintf(want, sizeof want, "keystore %s: wrong passphrase or the file was modified",
		 f->path);
	assert_string_equal(err, want);
}

static void test_exec_keystore_wrong_passphrase(void **state)
{
	struct fx *f = *state;
	write_test_keystore(f, "hat-test");
	expect_passphrase_error(f, "hat-tesT");
	expect_passphrase_error(f, "hat-test ");
}

static void test_exec_keystore_tampered_ciphertext_and_address(void **state)
{
	struct fx *f = *state;
	write_test_keystore(f, "hat-test");
	char *t = tu_read_file(f->path);
	char *c = strstr(t, "\"ciphertext\":\"") + 14;
	char orig[8], flipped[8];
	snprintf(orig, sizeof orig, "\"%.5s", c);
	snprintf(flipped, sizeof flipped, "\"%.5s", c);
	flipped[3] = flipped[3] == '0' ? '1' : '0';
	free(t);
	edit_file(f->path, orig, flipped);
	expect_passphrase_error(f, "hat-test");
	edit_file(f->path, flipped, orig);

	/* Another valid address in clear: the associated data no longer matches. */
	edit_file(f->path, TEST_ADDR, "0x0000000000000000000000000000000000000001");
	uint8_t addr[HL_ADDR_LEN];
	char err[512];
	assert_int_equal(exec_keystore_address(f->path, addr, err, sizeof err), 0);
	assert_int_equal(addr[19], 1);
	expect_passphrase_error(f, "hat-test");
	/* Upper-case hex of the right address is the same address. */
	edit_file(f->path, "0x0000000000000000000000000000000000000001",
		  "0x14791697260E4C9A71F18484C9F997B308E59325");
	struct exec_key *k = NULL;
	assert_int_equal(exec_keystore_load(f->path, "hat-test", 8, &k, err, sizeof err), 0);
	exec_key_free(k);
	/* A tampered salt or cost derives another key. */
	edit_file(f->path, "\"opslimit\":2", "\"opslimit\":3");
	expect_passphrase_error(f, "hat-test");
}

static void expect_parse(struct fx *f, int code, const char *what)
{
	struct exec_key *k = NULL;
	char err[512] = "";
	assert_int_equal(exec_keystore_load(f->path, "hat-test", 8, &k, err, sizeof err), code);
	assert_null(k);
	char want[512];
	snprintf(want, sizeof want, "keystore %s: %s", f->path, what);
	assert_string_equal(err, want);
}

static void test_exec_keystore_truncated_and_malformed(void **state)
{
	struct fx *f = *state;
	write_test_keystore(f, "hat-test");
	char *good = tu_read_file(f->path);
	size_t n = strlen(good);
	/* Truncated anywhere: a parse error, never a crash or a wrong key. */
	for (size_t cut = 0; cut < n - 2; cut += 7) {
		char *t = strndup(good, cut);
		put_file(f->path, t);
		free(t);
		expect_parse(f, HAT_E_PARSE, "not a JSON object (truncated or not a keystore)");
	}
	struct {
		const char *from, *to;
		int code;
		const char *what;
	} cases[] = {
		{"\"version\":1", "\"version\":2", HAT_E_BADVERSION,
		 "version: 2 is not supported (only 1)"},
		{"\"version\":1", "\"version\":\"1\"", HAT_E_PARSE,
		 "version: expected a non-negative integer"},
		{"\"version\":1,", "", HAT_E_PARSE, "version: missing"},
		{"\"kdf\":\"argon2id13\"", "\"kdf\":\"scrypt\"", HAT_E_PARSE,
		 "kdf: expected \"argon2id13\""},
		{"\"salt\":\"", "\"salt\":\"00", HAT_E_PARSE, "salt: expected 32 hex digits"},
		{"\"nonce\":\"", "\"nonce\":\"zz", HAT_E_PARSE, "nonce: expected 48 hex digits"},
		{"\"ciphertext\":\"", "\"ciphertext\":\"0", HAT_E_PARSE,
		 "ciphertext: expected 96 hex digits"},
		{"\"address\":\"0x", "\"address\":\"0y", HAT_E_PARSE,
		 "address: must start with 0x"},
		{"\"opslimit\":2", "\"opslimit\":0", -EINVAL, "opslimit: must be 1..16 (got 0)"},
		{"\"memlimit\":67108864", "\"memlimit\":-1", HAT_E_PARSE,
		 "memlimit: expected a non-negative integer"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put_file(f->path, good);
		edit_file(f->path, cases[i].from, cases[i].to);
		expect_parse(f, cases[i].code, cases[i].what);
	}
	free(good);
	char err[512];
	struct exec_key *k = NULL;
	assert_int_equal(exec_keystore_load("/nonexistent/key.json", "x", 1, &k, err, sizeof err),
			 -ENOENT);
	assert_string_equal(err, "open(\"/nonexistent/key.json\") failed: No such file or directory");
}

static void test_exec_keystore_passphrase_sources(void **state)
{
	(void)state;
	char *p = NULL;
	size_t len = 0;
	char err[256] = "";
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "s3cret\r\n0xkey\n", 14), 14);
	close(fds[1]);
	struct exec_passphrase_src src = {.fd = fds[0], .env_name = EXEC_KEYSTORE_ENV};
	setenv(EXEC_KEYSTORE_ENV, "from-env", 1);
	assert_int_equal(exec_passphrase_read(&src, &p, &len, err, sizeof err), 0);
	assert_string_equal(p, "s3cret");
	assert_int_equal(len, 6);
	exec_passphrase_free(p);
	/* The rest of the stream is untouched (a key may follow). */
	char rest[16] = "";
	assert_int_equal(read(fds[0], rest, sizeof rest), 6);
	assert_memory_equal(rest, "0xkey\n", 6);
	/* EOF now: an empty passphrase is refused. */
	assert_int_equal(exec_passphrase_read(&src, &p, &len, err, sizeof err), -EINVAL);
	assert_string_equal(err, "empty passphrase");
	assert_null(p);
	close(fds[0]);

	src.fd = -1;
	assert_int_equal(exec_passphrase_read(&src, &p, &len, err, sizeof err), 0);
	assert_string_equal(p, "from-env");
	exec_passphrase_free(p);
	unsetenv(EXEC_KEYSTORE_ENV);
	assert_int_equal(exec_passphrase_read(&src, &p, &len, err, sizeof err), -ENOENT);
	assert_string_equal(err, "no passphrase: use --passphrase-fd N, HAT_KEY_PASSPHRASE or a "
				 "terminal");
	char big[EXEC_PASSPHRASE_MAX + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	setenv(EXEC_KEYSTORE_ENV, big, 1);
	assert_int_equal(exec_passphrase_read(&src, &p, &len, err, sizeof err), -EINVAL);
	assert_string_equal(err, "passphrase from HAT_KEY_PASSPHRASE: longer than 1024 bytes");
	unsetenv(EXEC_KEYSTORE_ENV);
}

static void test_exec_keystore_open_from_env(void **state)
{
	struct fx *f = *state;
	write_test_keystore(f, "hat-test");
	setenv(EXEC_KEYSTORE_ENV, "hat-test", 1);
	struct exec_passphrase_src src = {.fd = -1, .env_name = EXEC_KEYSTORE_ENV};
	struct exec_key *k = NULL;
	char err[512] = "";
	assert_int_equal(exec_keystore_open(f->path, &src, &k, err, sizeof err), 0);
	assert_memory_equal(exec_key_signer(k)->key, f->key, 32);
	exec_key_free(k);
	unsetenv(EXEC_KEYSTORE_ENV);
}

static void test_exec_keystore_generate_and_secure_process(void **state)
{
	struct fx *f = *state;
	uint8_t a[32], b[32];
	assert_int_equal(exec_key_generate(a), 0);
	assert_int_equal(exec_key_generate(b), 0);
	assert_memory_not_equal(a, b, 32);
	memcpy(f->key, a, 32);
	struct exec_kdf_params kdf;
	exec_kdf_interactive(&kdf);
	char err[512];
	assert_int_equal(exec_keystore_write(f->path, f->key, "p", 1, &kdf, NULL, err, sizeof err), 0);
	memset(f->key, 0, 32);
	assert_int_equal(exec_keystore_write(f->path, f->key, "p", 1, &kdf, NULL, err, sizeof err),
			 -EINVAL);
	assert_string_equal(err, "key: not a valid secp256k1 private key");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char e[128];
		if (exec_secure_process(e, sizeof e) != 0)
			_exit(2);
		struct rlimit rl;
		getrlimit(RLIMIT_CORE, &rl);
		_exit(prctl(PR_GET_DUMPABLE) == 0 && rl.rlim_cur == 0 && rl.rlim_max == 0 ? 0 : 1);
	}
	int st = tu_wait(pid, 10000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Reads from the pty master until want appears (or 10 s pass); returns what was read. */
static void read_until(int fd, const char *want, char *acc, size_t cap)
{
	size_t n = strlen(acc);
	uint64_t t0 = tu_now_ms();
	while (!strstr(acc, want) && tu_now_ms() - t0 < 10000) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t r = read(fd, acc + n, cap - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		acc[n] = '\0';
	}
	if (!strstr(acc, want))
		fail_msg("terminal never showed \"%s\" (got \"%s\")", want, acc);
}

/* The terminal prompt, for real: a child whose controlling terminal is a pty answers the
 * prompt twice; the passphrase is not echoed. */
static void prompt_on_pty(const char *first, const char *second, int want_rc, const char *want)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	char slave[128];
	assert_int_equal(ptsname_r(m, slave, sizeof slave), 0);
	int res[2];
	assert_int_equal(pipe(res), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(m);
		close(res[0]);
		setsid();
		int s = open(slave, O_RDWR); /* becomes the controlling terminal */
		if (s < 0)
			_exit(3);
		struct exec_passphrase_src src = {.fd = -1, .prompt = "Passphrase: ",
						  .confirm = true};
		char *p = NULL;
		size_t len = 0;
		char err[256] = "";
		int rc = exec_passphrase_read(&src, &p, &len, err, sizeof err);
		char out[512];
		int n = snprintf(out, sizeof out, "%d|%s", rc, rc == 0 ? p : err);
		if (write(res[1], out, (size_t)n) != n)
			_exit(4);
		exec_passphrase_free(p);
		_exit(0);
	}
	close(res[1]);
	char acc[4096] = "";
	read_until(m, "Passphrase: ", acc, sizeof acc);
	assert_int_equal(write(m, first, strlen(first)), (ssize_t)strlen(first));
	assert_int_equal(write(m, "\n", 1), 1);
	read_until(m, "Repeat the passphrase: ", acc, sizeof acc);
	assert_int_equal(write(m, second, strlen(second)), (ssize_t)strlen(second));
	assert_int_equal(write(m, "\n", 1), 1);
	char got[512] = "";
	ssize_t r = read(res[0], got, sizeof got - 1);
	assert_true(r > 0);
	got[r] = '\0';
	int st = tu_wait(pid, 10000);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Whatever the terminal showed, the passphrase was not echoed. */
	struct pollfd p = {.fd = m, .events = POLLIN};
	if (poll(&p, 1, 50) > 0) {
		size_t n = strlen(acc);
		ssize_t x = read(m, acc + n, sizeof acc - 1 - n);
		if (x > 0)
			acc[n + (size_t)x] = '\0';
	}
	assert_null(strstr(acc, first));
	char want_line[512];
	snprintf(want_line, sizeof want_line, "%d|%s", want_rc, want);
	assert_string_equal(got, want_line);
	close(res[0]);
	close(m);
}

static void test_exec_keystore_prompt_without_echo(void **state)
{
	(void)state;
	prompt_on_pty("tty-secret-1", "tty-secret-1", 0, "tty-secret-1");
	prompt_on_pty("tty-secret-1", "tty-secret-2", HAT_E_PASSPHRASE, "the two passphrases differ");
}

/* etc/test-key.json (make run) is hlsim's funded test key under "hat-test". */
static void test_exec_keystore_shipped_test_key(void **state)
{
	(void)state;
	struct exec_key *k = NULL;
	char err[512] = "";
	int rc = exec_keystore_load("etc/test-key.json", "hat-test", 8, &k, err, sizeof err);
	if (rc)
		fail_msg("%s", err);
	char a[HL_ADDR_STRLEN];
	hl_hex_encode(exec_key_address(k), HL_ADDR_LEN, a);
	assert_string_equal(a, TEST_ADDR);
	exec_key_free(k);
	char *t = tu_read_file("etc/test-key.json");
	assert_null(strstr(t, TEST_KEY_HEX));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exec_keystore_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_keystore_wrong_passphrase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_keystore_tampered_ciphertext_and_address,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_keystore_truncated_and_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exec_keystore_passphrase_sources, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exec_keystore_open_from_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_keystore_generate_and_secure_process, setup,
						teardown),
		cmocka_unit_test(test_exec_keystore_shipped_test_key),
		cmocka_unit_test(test_exec_keystore_prompt_without_echo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
