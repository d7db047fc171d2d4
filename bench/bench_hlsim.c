/* bench/bench_hlsim.c -- hlsim's throughput over loopback: signed orders and WebSocket fan-out.
 *
 * Starts the release hlsim ($HAT_BIN_DIR/hlsim, default build/bin) with background flow off and
 * per-IP limits off, unlocks the per-address budget with one large trade, then:
 *   1. baseline: POST /info allMids, pipelined on one connection (requests/s), and sequential
 *      request latency percentiles;
 *   2. orders: place + cancelByCloid pairs, each place and each cancel its own signed request
 *      (pre-signed outside the timed loop: signing is the client's cost, not the server's; its
 *      rate is printed too), pipelined on one connection; every answer is checked ("resting" /
 *      "success");
 *   3. fan-out: the same load while 10 WebSocket clients subscribe to the account's
 *      orderUpdates: messages delivered per second across the 10 (2 per pair per client).
 * Pipelining: at most WINDOW requests in flight, sent REFILL at a time (one send() per burst)
 * as answers free the window.
 * Every signed request costs the server one secp256k1 signer recovery: its same-run rate on one
 * core is printed as the floor. The CPU time hlsim and the client spent per signed request is
 * printed too (from /proc and getrusage), with the rate idle cores would allow, and how busy
 * the machine was meanwhile (/proc/stat; others' share): on a shared 2-core machine the
 * measured rate depends on what else runs. HLSIM_WORKERS=N passes --workers N to hlsim (0: the
 * single-threaded path, the baseline for the thread pool).
 * Ends with
 *   BENCH hlsim_orders_per_s <n> /s            (place+cancel pairs per second, as issue 4
 *                                               counts orders: 2 signed requests each)
 *   BENCH hlsim_signed_requests_per_s <n> /s   (the same run in signed requests per second)
 *   BENCH hlsim_batch40_orders_per_s <n> /s    (order actions per second, 40 orders or cancels
 *                                               per signed request)
 *   BENCH hlsim_ws_fanout_msgs_per_s <n> /s
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "hl/action.h"
#include "hl/sign.h"

#define KEY_A "0x0123456789012345678901234567890123456789012345678901234567890123"
#define KEY_B "0x1111111111111111111111111111111111111111111111111111111111111111"
#define PAIRS 20000
#define WINDOW 64
#define REFILL 16 /* requests sent at once when the window has room for them */
#define SUBSCRIBERS 10

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* CPU time (user + system) of process pid from /proc, in microseconds (10 ms resolution). */
static uint64_t proc_cpu_us(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	unsigned long long ut = 0, st = 0;
	/* after ") ": state(3) ... utime is field 14, stime 15 */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	long hz = sysconf(_SC_CLK_TCK);
	return (ut + st) * 1000000ULL / (unsigned long long)(hz > 0 ? hz : 100);
}

/* Busy and total CPU time of the whole machine (every core) from /proc/stat, in clock ticks:
 * what else ran during a timed run, on a machine that others share. */
struct machine {
	unsigned long long busy, total;
};

static struct machine machine_now(void)
{
	struct machine m = { 0, 0 };
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return m;
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		       &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
	fclose(f);
	if (n < 8)
		return m;
	for (int i = 0; i < 8; i++) /* guest time is already in user */
		m.total += v[i];
	m.busy = m.total - v[3] - v[4]; /* minus idle and iowait */
	return m;
}

static uint64_t self_cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
	       (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-hlsim: %s\n", what);
	exit(1);
}

/* ---------------------------------------------------------------- sockets */

static int tcp_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
		die("connect to hlsim failed");
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("send failed");
		p += w;
		n -= (size_t)w;
	}
}

/* Incremental HTTP response reader. */
struct rd {
	int fd;
	struct hat_buf in;
	size_t off;
};

/* Returns the next response's body (pointer into r->in, valid until the next call), its status
 * in *status and length in *len; blocks. */
static const char *next_response(struct rd *r, int *status, size_t *len)
{
	for (;;) {
		char *base = r->in.data ? r->in.data + r->off : NULL;
		size_t avail = r->in.len - r->off;
		char *end = base ? memmem(base, avail, "\r\n\r\n", 4) : NULL;
		if (end) {
			const char *cl = strcasestr(base, "Content-Length:");
			size_t blen = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
			size_t hlen = (size_t)(end - base) + 4;
			if (avail >= hlen + blen) {
				*status = atoi(base + 9);
				*len = blen;
				r->off += hlen + blen;
				return base + hlen;
			}
		}
		if (r->off > (1u << 20)) {
			hat_buf_consume(&r->in, r->off);
			r->off = 0;
		}
		char tmp[65536];
		ssize_t n = recv(r->fd, tmp, sizeof tmp, 0);
		if (n <= 0)
			die("hlsim closed the connection");
		hat_buf_append(&r->in, tmp, (size_t)n);
	}
}

/* ---------------------------------------------------------------- requests */

struct reqs {
	struct hat_buf text;  /* every request, back to back */
	size_t *off;          /* start of request i; off[n] = end */
	size_t n, cap;
};

static void add_request(struct reqs *q, const char *path, const char *body, size_t len)
{
	if (q->n + 2 > q->cap) {
		q->cap = q->cap ? q->cap * 2 : 1024;
		q->off = realloc(q->off, q->cap * sizeof *q->off);
		if (!q->off)
			die("out of memory");
	}
	q->off[q->n] = q->text.len;
	hat_buf_printf(&q->text, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
				 "application/json\r\nContent-Length: %zu\r\n\r\n", path, len);
	hat_buf_append(&q->text, body, len);
	q->n++;
	q->off[q->n] = q->text.len;
}

static void sign_action(const struct hl_signer *k, struct hat_buf *json, struct hat_buf *mp,
                        uint64_t nonce, struct hat_buf *body)
{
	struct hl_l1_meta m = { .nonce = nonce, .testnet = true };
	struct hl_sig sig;
	if (hl_sign_l1(k, (const uint8_t *)mp->data, mp->len, &m, NULL, &sig))
		die("signing failed");
	hat_buf_reset(body);
	if (hl_exchange_request(json->data, json->len, &m, &sig, body))
		die("request body failed");
}

static uint64_t next_nonce(void)
{
	static uint64_t last;
	uint64_t n = wall_ms();
	last = n > last ? n : last + 1;
	return last;
}

/* Pairs of {order buy 0.001 BTC @ 60000 Gtc with cloid, cancelByCloid}; returns ns spent. */
static uint64_t presign_pairs(struct reqs *q, const struct hl_signer *k, size_t pairs,
                              uint32_t cloid_base)
{
	struct hat_buf json = HAT_BUF_INIT, mp = HAT_BUF_INIT, body = HAT_BUF_INIT;
	uint64_t t0 = now_ns();
	for (size_t i = 0; i < pairs; i++) {
		struct hl_order o = { .asset = 0, .is_buy = true, .px = 6000000000000LL,
				      .sz = 100000, .tif = HL_TIF_GTC, .has_cloid = true };
		uint32_t id = cloid_base + (uint32_t)i;
		memcpy(o.cloid + 12, &id, 4);
		hat_buf_reset(&json);
		hat_buf_reset(&mp);
		if (hl_action_order(&o, 1, HL_GROUPING_NA, NULL, &json, &mp))
			die("order action");
		sign_action(k, &json, &mp, next_nonce(), &body);
		add_request(q, "/exchange", body.data, body.len);
		struct hl_cancel_cloid c = { .asset = 0 };
		memcpy(c.cloid, o.cloid, sizeof c.cloid);
		hat_buf_reset(&json);
		hat_buf_reset(&mp);
		if (hl_action_cancel_by_cloid(&c, 1, &json, &mp))
			die("cancel action");
		sign_action(k, &json, &mp, next_nonce(), &body);
		add_request(q, "/exchange", body.data, body.len);
	}
	uint64_t dt = now_ns() - t0;
	hat_buf_free(&json);
	hat_buf_free(&mp);
	hat_buf_free(&body);
	return dt;
}

/* Batched pairs: one order action of BATCH orders, then one cancelByCloid of the same BATCH. */
#define BATCH 40
static void presign_batches(struct reqs *q, const struct hl_signer *k, size_t batches,
                            uint32_t cloid_base)
{
	struct hat_buf json = HAT_BUF_INIT, mp = HAT_BUF_INIT, body = HAT_BUF_INIT;
	struct hl_order o[BATCH];
	struct hl_cancel_cloid c[BATCH];
	for (size_t i = 0; i < batches; i++) {
		for (int j = 0; j < BATCH; j++) {
			o[j] = (struct hl_order){ .asset = 0, .is_buy = true,
						  .px = 6000000000000LL - j * 100000000LL,
						  .sz = 100000, .tif = HL_TIF_GTC, .has_cloid = true };
			uint32_t id = cloid_base + (uint32_t)(i * BATCH + (size_t)j);
			memcpy(o[j].cloid + 12, &id, 4);
			c[j] = (struct hl_cancel_cloid){ .asset = 0 };
			memcpy(c[j].cloid, o[j].cloid, sizeof c[j].cloid);
		}
		hat_buf_reset(&json);
		hat_buf_reset(&mp);
		if (hl_action_order(o, BATCH, HL_GROUPING_NA, NULL, &json, &mp))
			die("order action");
		sign_action(k, &json, &mp, next_nonce(), &body);
		add_request(q, "/exchange", body.data, body.len);
		hat_buf_reset(&json);
		hat_buf_reset(&mp);
		if (hl_action_cancel_by_cloid(c, BATCH, &json, &mp))
			die("cancel action");
		sign_action(k, &json, &mp, next_nonce(), &body);
		add_request(q, "/exchange", body.data, body.len);
	}
	hat_buf_free(&json);
	hat_buf_free(&mp);
	hat_buf_free(&body);
}

/* Same-run floor of any signed request: signer recovery alone, for ~0.5 s. */
static double recover_rate(const struct hl_signer *k)
{
	uint8_t d[32] = { 1 }, addr[20];
	struct hl_sig sig;
	if (hl_sign_digest(k, d, &sig))
		die("sign");
	uint64_t t0 = now_ns(), n = 0;
	while (now_ns() - t0 < 500000000ULL) {
		char err[64];
		if (hl_recover_address(d, &sig, addr, err, sizeof err))
			die("recover");
		n++;
	}
	return (double)n / ((double)(now_ns() - t0) / 1e9);
}

/* Sends q pipelined (at most WINDOW in flight); checks every answer is 200 and contains one of
 * the needles. Returns elapsed ns. */
static uint64_t run_pipelined(int port, const struct reqs *q, const char *needle1,
                              const char *needle2)
{
	int fd = tcp_connect(port);
	struct rd r = { fd, HAT_BUF_INIT, 0 };
	size_t sent = 0, got = 0, bad = 0;
	uint64_t t0 = now_ns();
	while (got < q->n) {
		size_t upto = sent;
		while (upto < q->n && upto - got < WINDOW)
			upto++;
		/* refill in bursts (one send for REFILL requests), not one send per answer */
		if (upto > sent && (sent - got <= WINDOW - REFILL || upto == q->n)) {
			send_all(fd, q->text.data + q->off[sent], q->off[upto] - q->off[sent]);
			sent = upto;
		}
		int st;
		size_t len;
		const char *b = next_response(&r, &st, &len);
		if (st != 200 || (!memmem(b, len, needle1, strlen(needle1)) &&
				  !(needle2 && memmem(b, len, needle2, strlen(needle2))))) {
			if (bad++ < 3)
				fprintf(stderr, "unexpected answer %d: %.*s\n", st, (int)len, b);
		}
		got++;
	}
	uint64_t dt = now_ns() - t0;
	close(fd);
	hat_buf_free(&r.in);
	if (bad) {
		fprintf(stderr, "bench-hlsim: %zu of %zu answers were wrong\n", bad, q->n);
		exit(1);
	}
	return dt;
}

static void post_once(int port, const char *path, const char *body, const char *needle)
{
	struct reqs q = { HAT_BUF_INIT, NULL, 0, 0 };
	add_request(&q, path, body, strlen(body));
	run_pipelined(port, &q, needle, NULL);
	hat_buf_free(&q.text);
	free(q.off);
}

/* ---------------------------------------------------------------- WebSocket subscribers */

struct subs {
	int fd[SUBSCRIBERS];
	struct hat_buf in[SUBSCRIBERS];
	uint64_t expect, count, last_ns;
	volatile int stop;
};

static int ws_open(int port, const char *sub_json)
{
	int fd = tcp_connect(port);
	const char *req = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
			  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			  "Sec-WebSocket-Version: 13\r\n\r\n";
	send_all(fd, req, strlen(req));
	char buf[1024];
	size_t n = 0;
	while (!memmem(buf, n, "\r\n\r\n", 4)) {
		ssize_t r = recv(fd, buf + n, sizeof buf - n, 0);
		if (r <= 0)
			die("WebSocket upgrade failed");
		n += (size_t)r;
	}
	if (strncmp(buf, "HTTP/1.1 101", 12))
		die("WebSocket upgrade refused");
	/* one masked text frame (mask 0: the payload is sent as is) */
	char frame[512];
	size_t len = strlen(sub_json), h = 2;
	frame[0] = (char)0x81;
	if (len < 126) {
		frame[1] = (char)(0x80 | len);
	} else {
		frame[1] = (char)(0x80 | 126);
		frame[2] = (char)(len >> 8);
		frame[3] = (char)len;
		h = 4;
	}
	memset(frame + h, 0, 4);
	memcpy(frame + h + 4, sub_json, len);
	send_all(fd, frame, h + 4 + len);
	return fd;
}

/* Counts complete server frames in in (unmasked); consumes them. */
static uint64_t count_frames(struct hat_buf *in, uint64_t *acks)
{
	uint64_t n = 0;
	size_t off = 0;
	while (in->len - off >= 2) {
		const uint8_t *p = (const uint8_t *)in->data + off;
		uint64_t len = p[1] & 0x7f;
		size_t h = 2;
		if (len == 126) {
			if (in->len - off < 4)
				break;
			len = (uint64_t)p[2] << 8 | p[3];
			h = 4;
		} else if (len == 127) {
			if (in->len - off < 10)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | p[2 + i];
			h = 10;
		}
		if (in->len - off < h + len)
			break;
		if (memmem(p + h, len, "orderUpdates", 12) && !memmem(p + h, len, "subscriptionResponse", 20))
			n++;
		else
			(*acks)++;
		off += h + len;
	}
	hat_buf_consume(in, off);
	return n;
}

static void *reader(void *arg)
{
	struct subs *s = arg;
	struct pollfd p[SUBSCRIBERS];
	uint64_t acks = 0;
	for (int i = 0; i < SUBSCRIBERS; i++)
		p[i] = (struct pollfd){ .fd = s->fd[i], .events = POLLIN };
	while (!s->stop) {
		if (poll(p, SUBSCRIBERS, 100) <= 0)
			continue;
		for (int i = 0; i < SUBSCRIBERS; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			char tmp[65536];
			ssize_t n = recv(s->fd[i], tmp, sizeof tmp, 0);
			if (n <= 0) {
				p[i].fd = -1;
				continue;
			}
			hat_buf_append(&s->in[i], tmp, (size_t)n);
			uint64_t c = count_frames(&s->in[i], &acks);
			if (c) {
				__atomic_add_fetch(&s->count, c, __ATOMIC_RELAXED);
				__atomic_store_n(&s->last_ns, now_ns(), __ATOMIC_RELAXED);
			}
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- main */

static void signer(struct hl_signer *s, const char *hex)
{
	uint8_t key[32];
	char err[128];
	if (hl_key_parse(hex, key, err, sizeof err) || hl_signer_init(s, key))
		die("bad key");
}

static void signed_post(int port, const struct hl_signer *k, struct hl_order *o, const char *needle)
{
	struct hat_buf json = HAT_BUF_INIT, mp = HAT_BUF_INIT, body = HAT_BUF_INIT;
	if (hl_action_order(o, 1, HL_GROUPING_NA, NULL, &json, &mp))
		die("order action");
	sign_action(k, &json, &mp, next_nonce(), &body);
	post_once(port, "/exchange", body.data, needle);
	hat_buf_free(&json);
	hat_buf_free(&mp);
	hat_buf_free(&body);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const char *bindir = getenv("HAT_BIN_DIR");
	char bin[4096], dir[] = "/tmp/bench-hlsim-XXXXXX", cfg[256], portf[256], logf[256];
	snprintf(bin, sizeof bin, "%s/hlsim", bindir && *bindir ? bindir : "build/bin");
	if (!mkdtemp(dir))
		die("mkdtemp failed");
	snprintf(cfg, sizeof cfg, "%s/hlsim.json", dir);
	snprintf(portf, sizeof portf, "%s/port", dir);
	snprintf(logf, sizeof logf, "%s/hlsim.log", dir);
	FILE *f = fopen(cfg, "w");
	if (!f)
		die("cannot write the config");
	fprintf(f, "{\"seed\":1,\"coins\":[{\"name\":\"BTC\",\"szDecimals\":5,\"maxLeverage\":40,"
		   "\"startPx\":\"65000\"},{\"name\":\"ETH\",\"szDecimals\":4,\"maxLeverage\":25,"
		   "\"startPx\":\"3000\"}],\"accounts\":[{\"privateKey\":\"%s\",\"usdc\":\"1000000\"},"
		   "{\"privateKey\":\"%s\",\"usdc\":\"1000000\"}],\"flow\":{\"enabled\":false}}",
		KEY_A, KEY_B);
	fclose(f);
	pid_t pid = fork();
	if (pid == 0) {
		FILE *l = freopen(logf, "w", stdout);
		(void)l;
		dup2(1, 2);
		const char *w = getenv("HLSIM_WORKERS");
		if (w && *w)
			execl(bin, bin, "--config", cfg, "--port", "0", "--port-file", portf,
			      "--rl-rest-weight", "0", "--rl-ws-conns", "0", "--rl-ws-new-conns", "0",
			      "--rl-ws-msgs", "0", "--rl-ws-subs", "0", "--workers", w, (char *)NULL);
		else
			execl(bin, bin, "--config", cfg, "--port", "0", "--port-file", portf,
			      "--rl-rest-weight", "0", "--rl-ws-conns", "0", "--rl-ws-new-conns", "0",
			      "--rl-ws-msgs", "0", "--rl-ws-subs", "0", (char *)NULL);
		_exit(127);
	}
	int port = 0;
	for (int i = 0; i < 2000 && port <= 0; i++) {
		FILE *pf = fopen(portf, "r");
		if (pf) {
			if (fscanf(pf, "%d", &port) != 1)
				port = 0;
			fclose(pf);
		}
		if (port <= 0)
			usleep(5000);
	}
	if (port <= 0) {
		kill(pid, SIGKILL);
		die("hlsim did not start (is it built? make all)");
	}
	printf("hlsim %s on port %d (flow off, per-IP limits off)\n", bin, port);

	struct hl_signer a, b;
	signer(&a, KEY_A);
	signer(&b, KEY_B);
	/* one large trade: the per-address budget grows by 1 request per USDC traded */
	struct hl_order o = { .asset = 0, .is_buy = false, .px = 6500000000000LL, .sz = 300000000,
			      .tif = HL_TIF_GTC };
	signed_post(port, &a, &o, "resting");
	o.is_buy = true;
	o.tif = HL_TIF_IOC;
	signed_post(port, &b, &o, "filled");

	/* 1. baseline: allMids, pipelined and sequential */
	struct reqs mids = { HAT_BUF_INIT, NULL, 0, 0 };
	const char *mb = "{\"type\":\"allMids\"}";
	for (int i = 0; i < 2 * PAIRS; i++)
		add_request(&mids, "/info", mb, strlen(mb));
	uint64_t dt_mids = run_pipelined(port, &mids, "\"BTC\"", NULL);
	double mids_rate = (double)mids.n / ((double)dt_mids / 1e9);
	enum { LAT_N = 2000 };
	static uint64_t lat[LAT_N];
	{
		int fd = tcp_connect(port);
		struct rd r = { fd, HAT_BUF_INIT, 0 };
		for (int i = 0; i < LAT_N; i++) {
			uint64_t t0 = now_ns();
			send_all(fd, mids.text.data + mids.off[0], mids.off[1] - mids.off[0]);
			int st;
			size_t len;
			next_response(&r, &st, &len);
			lat[i] = now_ns() - t0;
		}
		close(fd);
		hat_buf_free(&r.in);
		for (int i = 1; i < LAT_N; i++) /* insertion sort: small n */
			for (int j = i; j > 0 && lat[j] < lat[j - 1]; j--) {
				uint64_t t = lat[j];
				lat[j] = lat[j - 1];
				lat[j - 1] = t;
			}
	}

	/* 2. orders */
	struct reqs pairs = { HAT_BUF_INIT, NULL, 0, 0 }, pairs2 = { HAT_BUF_INIT, NULL, 0, 0 };
	/* signed in the order they are sent: nonces must rise (the 100-highest rule) */
	uint64_t sign_ns = presign_pairs(&pairs, &a, PAIRS, 1);
	struct reqs batches = { HAT_BUF_INIT, NULL, 0, 0 };
	presign_batches(&batches, &a, PAIRS / BATCH, 2000000);
	presign_pairs(&pairs2, &a, PAIRS, 1000000);
	double sign_rate = (double)(2 * PAIRS) / ((double)sign_ns / 1e9);
	struct machine m0 = machine_now();
	uint64_t srv0 = proc_cpu_us(pid), cli0 = self_cpu_us();
	uint64_t dt_orders = run_pipelined(port, &pairs, "resting", "success");
	uint64_t srv_cpu = proc_cpu_us(pid) - srv0, cli_cpu = self_cpu_us() - cli0;
	struct machine m1 = machine_now();
	double srv_us = (double)srv_cpu / (double)pairs.n;
	double cli_us = (double)cli_cpu / (double)pairs.n;
	double req_rate = (double)pairs.n / ((double)dt_orders / 1e9);
	double pair_rate = req_rate / 2;
	/* the machine during the run: busy share of all its cores, and the part of it that was
	 * neither hlsim nor this client (other users of a shared machine) */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double tick_us = 1e6 / (double)sysconf(_SC_CLK_TCK);
	double m_total = (double)(m1.total - m0.total), m_busy = (double)(m1.busy - m0.busy);
	double busy_pct = m_total > 0 ? 100 * m_busy / m_total : 0;
	double others_pct = m_total > 0 ? 100 * (m_busy * tick_us - (double)(srv_cpu + cli_cpu)) /
						  (m_total * tick_us) : 0;
	if (others_pct < 0)
		others_pct = 0; /* tick granularity */
	double rec_rate = recover_rate(&a);
	uint64_t dt_batch = run_pipelined(port, &batches, "resting", "success");
	double batch_rate = (double)(batches.n * BATCH) / ((double)dt_batch / 1e9);

	/* 3. fan-out to 10 subscribers of the account's orderUpdates */
	struct subs s;
	memset(&s, 0, sizeof s);
	char sub[256];
	char addr[43] = "0x";
	for (int i = 0; i < 20; i++)
		snprintf(addr + 2 + 2 * i, 3, "%02x", hl_signer_address(&a)[i]);
	snprintf(sub, sizeof sub, "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"orderUpdates\","
				  "\"user\":\"%s\"}}", addr);
	for (int i = 0; i < SUBSCRIBERS; i++)
		s.fd[i] = ws_open(port, sub);
	usleep(200000); /* acks and greetings arrive before the clock starts */
	pthread_t th;
	pthread_create(&th, NULL, reader, &s);
	usleep(100000);
	uint64_t expect = (uint64_t)SUBSCRIBERS * 2 * PAIRS;
	uint64_t t0 = now_ns();
	uint64_t dt_orders2 = run_pipelined(port, &pairs2, "resting", "success");
	while (__atomic_load_n(&s.count, __ATOMIC_RELAXED) < expect && now_ns() - t0 < 30000000000ULL)
		usleep(1000);
	s.stop = 1;
	pthread_join(th, NULL);
	uint64_t got = s.count;
	uint64_t dt_fan = s.last_ns > t0 ? s.last_ns - t0 : 1;
	double fan_rate = (double)got / ((double)dt_fan / 1e9);
	for (int i = 0; i < SUBSCRIBERS; i++) {
		close(s.fd[i]);
		hat_buf_free(&s.in[i]);
	}

	printf("baseline  /info allMids pipelined (window %d, refilled %d at a time): %.0f "
	       "requests/s\n", WINDOW, REFILL, mids_rate);
	printf("baseline  /info allMids sequential latency: p50 %.1f us  p90 %.1f us  p99 %.1f us  "
	       "max %.1f us\n", lat[LAT_N / 2] / 1e3, lat[LAT_N * 9 / 10] / 1e3,
	       lat[LAT_N * 99 / 100] / 1e3, lat[LAT_N - 1] / 1e3);
	printf("client    pre-signing (not timed below): %.0f signatures/s\n", sign_rate);
	printf("floor     signer recovery alone (same run, one core): %.0f /s\n", rec_rate);
	printf("orders    %d place+cancel pairs, one order per request, pipelined: %.0f pairs/s "
	       "= %.0f signed requests/s (%.2fx the recovery floor in requests)\n", PAIRS, pair_rate,
	       req_rate, req_rate / rec_rate);
	printf("cpu       per signed request: server %.1f us, client %.1f us (CPU time over the "
	       "orders run / requests); %.0f%% of %ld cores busy with them; %ld idle cores would "
	       "allow %.0f requests/s = %.0f pairs/s\n", srv_us, cli_us,
	       (srv_us + cli_us) * req_rate / 1e6 / (double)ncpu * 100, ncpu, ncpu,
	       (double)ncpu * 1e6 / (srv_us + cli_us), (double)ncpu * 1e6 / (srv_us + cli_us) / 2);
	printf("machine   during the orders run: %.0f%% of %ld cores busy, %.0f%% by other processes "
	       "(a shared machine: figures are only comparable when this is near 0)\n", busy_pct,
	       ncpu, others_pct);
	printf("batched   %d orders per request (place batch + cancelByCloid batch): %.0f order "
	       "actions/s\n", BATCH, batch_rate);
	printf("fan-out   %d subscribers of orderUpdates: %" PRIu64 " of %" PRIu64 " messages, "
	       "%.0f msgs/s (orders meanwhile: %.0f pairs/s)\n", SUBSCRIBERS, got, expect, fan_rate,
	       (double)pairs2.n / 2 / ((double)dt_orders2 / 1e9));
	kill(pid, SIGTERM);
	int st;
	waitpid(pid, &st, 0);
	unlink(cfg);
	unlink(portf);
	unlink(logf);
	rmdir(dir);
	hl_signer_deinit(&a);
	hl_signer_deinit(&b);
	hat_buf_free(&mids.text);
	free(mids.off);
	hat_buf_free(&pairs.text);
	free(pairs.off);
	hat_buf_free(&pairs2.text);
	free(pairs2.off);
	hat_buf_free(&batches.text);
	free(batches.off);
	if (got < expect)
		fprintf(stderr, "bench-hlsim: only %" PRIu64 " of %" PRIu64 " fan-out messages arrived\n",
			got, expect);
	printf("BENCH hlsim_orders_per_s %.0f /s\n", pair_rate);
	printf("BENCH hlsim_signed_requests_per_s %.0f /s\n", req_rate);
	printf("BENCH hlsim_batch40_orders_per_s %.0f /s\n", batch_rate);
	printf("BENCH hlsim_ws_fanout_msgs_per_s %.0f /s\n", fan_rate);
	return got < expect;
}
