/* bench/bench_exec.c -- execd's order path end to end against hlsim on loopback.
 *
 * Starts the release hlsim ($HAT_BIN_DIR or build/bin), then sends signed order actions one
 * at a time exactly as execd does (exec_router_action + exec_router_sign + the execd/http.h
 * client), each an IOC that cannot match (the book is empty), so hlsim runs the whole path
 * (JSON, canonical re-encoding, signer recovery, nonce, matching) and keeps no state:
 *   persistent: one reused handle, keep-alive connection (execd's mode)
 *   newconn:    a new TCP connection per request (the baseline), same run
 * Prints orders/s of both, the ratio, and the round-trip percentiles of the persistent mode.
 *   BENCH exec_orders_per_s <n> /s
 *   BENCH exec_rtt_p50_us <n> us
 *   BENCH exec_rtt_p99_us <n> us
 *   BENCH exec_newconn_orders_per_s <n> /s
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "execd/http.h"
#include "execd/router.h"
#include "hl/sign.h"

#define KEY_A "0x0123456789012345678901234567890123456789012345678901234567890123"
#define N_PERSIST 5000
#define N_NEWCONN 1000

static const char config[] =
	"{\"mainnet\":false,\"seed\":1,\"fees\":{\"maker\":\"0.00015\",\"taker\":\"0.00045\"},"
	"\"coins\":[{\"name\":\"BTC\",\"szDecimals\":5,\"maxLeverage\":40,\"startPx\":\"65000\","
	"\"vol\":0.0002}],"
	"\"accounts\":[{\"privateKey\":\"" KEY_A "\",\"usdc\":\"100000\"}],"
	"\"flow\":{\"enabled\":false},\"l2PushMs\":100,\"allMidsPushMs\":1000}";

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct done_state {
	bool done;
	int err;
	long status;
	bool rejected_as_expected;
};

static void on_done(void *user, const struct exec_http_done *d)
{
	struct done_state *s = user;
	s->done = true;
	s->err = d->err;
	s->status = d->status;
	s->rejected_as_expected = d->len > 0 && strstr(d->body, "\"error\"") != NULL;
}

static pid_t start_hlsim(const char *dir, int *port)
{
	char cfg[512], pf[512], logp[512], bin[512];
	snprintf(cfg, sizeof cfg, "%s/hlsim.json", dir);
	snprintf(pf, sizeof pf, "%s/port", dir);
	snprintf(logp, sizeof logp, "%s/hlsim.log", dir);
	const char *bd = getenv("HAT_BIN_DIR");
	snprintf(bin, sizeof bin, "%s/hlsim", bd ? bd : "build/bin");
	FILE *f = fopen(cfg, "w");
	if (!f)
		return -1;
	fputs(config, f);
	fclose(f);
	pid_t pid = fork();
	if (pid == 0) {
		freopen(logp, "w", stdout);
		freopen(logp, "a", stderr);
		execl(bin, bin, "--config", cfg, "--port", "0", "--port-file", pf, "--rl-rest-weight",
		      "0", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 2000; i++) {
		f = fopen(pf, "r");
		if (f) {
			int p = 0;
			if (fscanf(f, "%d", &p) == 1 && p > 0) {
				fclose(f);
				*port = p;
				return pid;
			}
			fclose(f);
		}
		hat_sleep_ns(5 * HAT_NS_PER_MS);
	}
	fprintf(stderr, "bench-exec: %s did not start (see %s)\n", bin, logp);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* Sends n orders one at a time; rtt[i] in ns. Returns orders/s or -1. */
static double run(const char *base, bool fresh, const struct hl_signer *s, uint64_t *nonce,
                  int n, uint64_t *rtt)
{
	struct exec_http h;
	char err[256];
	if (exec_http_init(&h, base, 1, 5000, fresh, err, sizeof err) != 0) {
		fprintf(stderr, "bench-exec: %s\n", err);
		return -1;
	}
	struct hat_buf json = HAT_BUF_INIT, mp = HAT_BUF_INIT, body = HAT_BUF_INIT;
	struct exec_item it;
	memset(&it, 0, sizeof it);
	it.lane = EXEC_LANE_TAKE;
	it.order.asset = 0;
	it.order.is_buy = false;
	it.order.px = 1000 * 100000000LL;
	it.order.sz = 100000; /* 0.001 */
	it.order.tif = HL_TIF_IOC;
	it.order.has_cloid = true;
	int bad = 0;
	uint64_t t0 = hat_mono_ns();
	for (int i = 0; i < n; i++) {
		it.order.cloid[12] = (uint8_t)(i >> 24);
		it.order.cloid[13] = (uint8_t)(i >> 16);
		it.order.cloid[14] = (uint8_t)(i >> 8);
		it.order.cloid[15] = (uint8_t)i;
		it.order.cloid[0] = fresh ? 0xbb : 0xaa;
		hat_buf_reset(&json);
		hat_buf_reset(&mp);
		hat_buf_reset(&body);
		uint64_t a = hat_mono_ns();
		if (exec_router_action(&it, 1, &json, &mp) != 0 ||
		    exec_router_sign(s, &json, &mp, (*nonce)++, NULL, true, &body) != 0) {
			fprintf(stderr, "bench-exec: sign failed\n");
			return -1;
		}
		struct done_state st = { 0 };
		if (exec_http_post(&h, "/exchange", body.data, body.len, 1) != 0)
			return -1;
		while (!st.done) {
			exec_http_poll(&h, on_done, &st);
			if (!st.done)
				exec_http_wait(&h, 1);
		}
		rtt[i] = hat_mono_ns() - a;
		if (st.err || st.status != 200 || !st.rejected_as_expected)
			bad++;
	}
	double secs = (double)(hat_mono_ns() - t0) / 1e9;
	exec_http_deinit(&h);
	hat_buf_free(&json);
	hat_buf_free(&mp);
	hat_buf_free(&body);
	if (bad) {
		fprintf(stderr, "bench-exec: %d of %d requests failed\n", bad, n);
		return -1;
	}
	return n / secs;
}

int main(void)
{
	char dir[] = "/tmp/bench-exec-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	int port = 0;
	pid_t pid = start_hlsim(dir, &port);
	if (pid < 0)
		return 1;
	char base[64];
	snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
	uint8_t key[32];
	char err[128];
	struct hl_signer s;
	if (hl_key_parse(KEY_A, key, err, sizeof err) != 0 || hl_signer_init(&s, key) != 0)
		return 1;
	uint64_t nonce = hat_now_ns() / HAT_NS_PER_MS;
	uint64_t *rtt = calloc(N_PERSIST, sizeof *rtt), *rtt2 = calloc(N_NEWCONN, sizeof *rtt2);
	/* warm-up: connection, page cache, hlsim's first requests */
	run(base, false, &s, &nonce, 50, rtt);
	double fresh = run(base, true, &s, &nonce, N_NEWCONN, rtt2);
	double persist = run(base, false, &s, &nonce, N_PERSIST, rtt);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-exec: could not remove %s\n", dir);
	hl_signer_deinit(&s);
	if (persist < 0 || fresh < 0)
		return 1;
	qsort(rtt, N_PERSIST, sizeof *rtt, cmp_u64);
	qsort(rtt2, N_NEWCONN, sizeof *rtt2, cmp_u64);
	double p50 = rtt[N_PERSIST / 2] / 1e3, p99 = rtt[N_PERSIST * 99 / 100] / 1e3;
	double f50 = rtt2[N_NEWCONN / 2] / 1e3, f99 = rtt2[N_NEWCONN * 99 / 100] / 1e3;
	printf("exec order path vs hlsim on loopback (signed IOC orders, one in flight)\n");
	printf("  persistent connection  %8.0f orders/s   rtt p50 %7.1f us  p99 %7.1f us\n", persist,
	       p50, p99);
	printf("  new connection/request %8.0f orders/s   rtt p50 %7.1f us  p99 %7.1f us\n", fresh,
	       f50, f99);
	printf("  ratio persistent/newconn %.2fx\n", persist / fresh);
	printf("BENCH exec_orders_per_s %.0f /s\n", persist);
	printf("BENCH exec_rtt_p50_us %.1f us\n", p50);
	printf("BENCH exec_rtt_p99_us %.1f us\n", p99);
	printf("BENCH exec_newconn_orders_per_s %.0f /s\n", fresh);
	free(rtt);
	free(rtt2);
	return 0;
}
