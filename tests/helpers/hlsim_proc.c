/* tests/helpers/hlsim_proc.c -- start/stop the real hlsim for end-to-end tests. */
#include "tests/helpers/hlsim_proc.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>

#include "tests/helpers/http_test_client.h"
#include "tests/helpers/test_util.h"
#include "tests/unit/hlsim_test_util.h"

const char hp_config_quiet[] =
	"{\"mainnet\":false,\"seed\":1,\"fees\":{\"maker\":\"0.00015\",\"taker\":\"0.00045\"},"
	"\"coins\":["
	"{\"name\":\"BTC\",\"szDecimals\":5,\"maxLeverage\":40,\"startPx\":\"65000\",\"vol\":0.0002},"
	"{\"name\":\"ETH\",\"szDecimals\":4,\"maxLeverage\":25,\"startPx\":\"3000\",\"vol\":0.00025},"
	"{\"name\":\"SOL\",\"szDecimals\":2,\"maxLeverage\":20,\"startPx\":\"150\",\"vol\":0.0003}],"
	"\"accounts\":["
	"{\"privateKey\":\"" HP_KEY_A "\",\"usdc\":\"100000\"},"
	"{\"privateKey\":\"" HP_KEY_B "\",\"usdc\":\"100000\"},"
	"{\"privateKey\":\"" HP_KEY_POOR "\",\"usdc\":\"20\"}],"
	"\"flow\":{\"enabled\":false},\"l2PushMs\":100,\"allMidsPushMs\":1000}";

const char *hp_path(const struct hlsim_proc *p, const char *name)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", p->dir, name);
	return path;
}

void hp_start(struct hlsim_proc *p, const char *config, const char *const *extra)
{
	if (!p->dir[0])
		tu_tmpdir(p->dir, sizeof p->dir);
	snprintf(p->log, sizeof p->log, "%s/hlsim.log", p->dir);
	char cfg[320], port_file[320];
	snprintf(cfg, sizeof cfg, "%s/hlsim.json", p->dir);
	snprintf(port_file, sizeof port_file, "%s/port", p->dir);
	remove(port_file);
	if (config) {
		FILE *f = fopen(cfg, "w");
		assert_non_null(f);
		fputs(config, f);
		fclose(f);
	}
	char bin[4096];
	snprintf(bin, sizeof bin, "%s", tu_bin("hlsim"));
	char *argv[64];
	int n = 0;
	argv[n++] = bin;
	if (config) {
		argv[n++] = "--config";
		argv[n++] = cfg;
	}
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--port-file";
	argv[n++] = port_file;
	for (int i = 0; extra && extra[i] && n < 62; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	p->pid = tu_spawn(argv, p->log);
	p->port = htc_read_port_file(port_file, 20000);
	if (p->port <= 0) {
		char *log = tu_read_file(p->log);
		tu_kill_wait(p->pid, SIGKILL);
		fail_msg("hlsim did not start; log:\n%s", log ? log : "(none)");
	}
}

static void stop(struct hlsim_proc *p, int keep)
{
	if (p->pid > 0) {
		int st = tu_kill_wait(p->pid, SIGTERM);
		p->pid = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			char *log = tu_read_file(p->log);
			fail_msg("hlsim did not exit cleanly (status 0x%x); log:\n%s", st,
				 log ? log : "");
		}
	}
	if (!keep && p->dir[0]) {
		tu_rmtree(p->dir);
		p->dir[0] = '\0';
	}
}

void hp_stop(struct hlsim_proc *p)
{
	stop(p, 0);
}

void hp_stop_keep(struct hlsim_proc *p)
{
	stop(p, 1);
}

void hp_assert_serving(const struct hlsim_proc *p)
{
	long st;
	char *b = htc_post(p->port, "/info", "{\"type\":\"allMids\"}", &st);
	assert_non_null(b);
	assert_int_equal(st, 200);
	assert_int_equal(b[0], '{');
	free(b);
}

uint64_t hp_nonce(void)
{
	static uint64_t last;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	last = now > last ? now : last + 1;
	return last;
}

char *hp_exchange(const struct hlsim_proc *p, const struct hl_signer *key, const char *action_json,
                  uint64_t nonce, long *status)
{
	struct hat_buf body = HAT_BUF_INIT;
	hts_sign_body(key, action_json, nonce ? nonce : hp_nonce(), false, &body);
	char *r = htc_post(p->port, "/exchange", body.data, status);
	hat_buf_free(&body);
	assert_non_null(r);
	return r;
}

char *hp_info(const struct hlsim_proc *p, const char *fmt, ...)
{
	char body[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	long st;
	char *r = htc_post(p->port, "/info", body, &st);
	assert_non_null(r);
	if (st != 200)
		fail_msg("/info %s -> %ld %s", body, st, r);
	return r;
}

void hp_signer(struct hl_signer *s, const char *key_hex)
{
	uint8_t key[32];
	char err[128];
	if (hl_key_parse(key_hex, key, err, sizeof err))
		fail_msg("key: %s", err);
	assert_int_equal(hl_signer_init(s, key), 0);
}

void hp_addr(const struct hl_signer *s, char out[43])
{
	const uint8_t *a = hl_signer_address(s);
	out[0] = '0';
	out[1] = 'x';
	for (int i = 0; i < 20; i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", a[i]);
}
