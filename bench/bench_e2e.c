/* bench/bench_e2e.c -- the whole pipeline (release programs in HAT_BIN_DIR, default build/bin)
 * under superd against hlsim's background flow:
 *   1. tick-to-order latency: feedd's frame receipt (the messages' origin_ns) to the signed
 *      request bytes ready in execd, from execd's "tick_to_order_ns" histogram (log2 buckets:
 *      a percentile is the upper bound of its bucket), plus the exact distribution of the part
 *      up to riskd's push on the order ring (origin_ns -> send_ns of every ORDER message still
 *      in the ring's slots). Same-run baselines: signald's md -> intent histogram, and a raw ring
 *      one-way latency (push -> pop between two threads on a private ring of this instance).
 *   2. stage restart time: SIGKILL a stage, time until its control block shows a new pid that is
 *      running and ready again (superd's first backoff, 10 ms, included), over many kills.
 * Ends with BENCH lines. Takes about a minute.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/control.h"
#include "common/instance.h"
#include "common/msg.h"
#include "common/ring.h"
#include "execd/keystore.h"
#include "hl/sign.h"

#define KEY_A "0x0123456789012345678901234567890123456789012345678901234567890123"
#define PASS "bench-e2e-passphrase"
#define TRADE_S 20
#define KILLS 40

static const char *const stages[4] = { "feedd", "signald", "riskd", "execd" };
static const unsigned stage_ids[4] = { HAT_STAGE_FEEDD, HAT_STAGE_SIGNALD, HAT_STAGE_RISKD,
				       HAT_STAGE_EXECD };

struct rig {
	char dir[256], bindir[512], config[512], instance[32], sock[600];
	pid_t hlsim, superd;
	int port;
	struct hat_control ctl;
};

static void die(const char *what)
{
	fprintf(stderr, "bench-e2e: %s\n", what);
	exit(1);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	size_t got = fread(s, 1, (size_t)n, f);
	s[got] = '\0';
	fclose(f);
	return s;
}

static pid_t spawn(char *const argv[], const char *out)
{
	pid_t p = fork();
	if (p < 0)
		die("fork failed");
	if (p == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return p;
}

static void stop_child(pid_t p)
{
	if (p <= 0)
		return;
	kill(p, SIGTERM);
	for (int i = 0; i < 400; i++) {
		if (waitpid(p, NULL, WNOHANG) == p)
			return;
		usleep(50000);
	}
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
}

/* ---------------------------------------------------------------- set-up */

static const char sim_cfg[] =
	"{\"mainnet\":false,\"seed\":7,\"fees\":{\"maker\":\"0.00015\",\"taker\":\"0.00045\"},"
	"\"coins\":["
	"{\"name\":\"BTC\",\"szDecimals\":5,\"maxLeverage\":40,\"startPx\":\"65000\",\"vol\":0.0003},"
	"{\"name\":\"ETH\",\"szDecimals\":4,\"maxLeverage\":25,\"startPx\":\"3000\",\"vol\":0.0004},"
	"{\"name\":\"SOL\",\"szDecimals\":2,\"maxLeverage\":20,\"startPx\":\"150\",\"vol\":0.0005}],"
	"\"accounts\":[{\"privateKey\":\"" KEY_A "\",\"usdc\":\"100000\"}],"
	"\"flow\":{\"enabled\":true,\"stepMs\":200,\"lpLevels\":5,\"lpSpreadBps\":2.0,"
	"\"lpLevelBps\":1.5,\"lpSizeUsd\":400,\"takerRatePerSec\":4.0,\"takerSizeUsd\":600,"
	"\"regimeSwitchProb\":0.01,\"highVolMult\":3.0},"
	"\"l2PushMs\":100,\"allMidsPushMs\":1000,\"modifyAlwaysPlace\":true,\"maxOpenOrders\":1000}";

static void start(struct rig *r)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(r->dir, sizeof r->dir, "%s/bench-e2e-XXXXXX", tmp);
	if (!mkdtemp(r->dir))
		die("mkdtemp failed");
	snprintf(r->instance, sizeof r->instance, "b%dx", (int)getpid());
	const char *bindir = getenv("HAT_BIN_DIR") ? getenv("HAT_BIN_DIR") : "build/bin";
	snprintf(r->bindir, sizeof r->bindir, "%s", bindir);

	/* hlsim */
	char path[600], port_file[600], bin[600], out[600];
	snprintf(path, sizeof path, "%s/hlsim.json", r->dir);
	FILE *f = fopen(path, "w");
	fputs(sim_cfg, f);
	fclose(f);
	snprintf(port_file, sizeof port_file, "%s/port", r->dir);
	snprintf(bin, sizeof bin, "%s/hlsim", r->bindir);
	snprintf(out, sizeof out, "%s/hlsim.log", r->dir);
	char *hargv[] = { bin, "--config", path, "--port", "0", "--port-file", port_file,
			  "--rl-rest-weight", "1000000", NULL };
	r->hlsim = spawn(hargv, out);
	for (int i = 0; i < 200 && r->port <= 0; i++) {
		char *p = read_file(port_file);
		if (p && *p)
			r->port = atoi(p);
		free(p);
		if (r->port <= 0)
			usleep(50000);
	}
	if (r->port <= 0)
		die("hlsim did not start");

	/* the key of account A */
	char key[600], err[256];
	snprintf(key, sizeof key, "%s/key.json", r->dir);
	uint8_t k[32], addr[20];
	if (hl_key_parse(KEY_A, k, err, sizeof err) != 0)
		die(err);
	struct exec_kdf_params kdf = { crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN };
	if (exec_keystore_write(key, k, PASS, strlen(PASS), &kdf, addr, err, sizeof err) != 0)
		die(err);
	sodium_memzero(k, sizeof k);

	/* the config: etc/hat.json with this run's instance, paths, venue and a short stable_ms
	 * (each measured kill then sees superd's first backoff) */
	char *text = read_file("etc/hat.json");
	if (!text)
		die("etc/hat.json not found (run from the repository root)");
	char a[700], b[700];
	snprintf(a, sizeof a, "\"instance\": \"%s\"", r->instance);
	text = hat_str_replace_all(text, "\"instance\": \"main\"", a);
	snprintf(a, sizeof a, "\"%s/", r->dir);
	text = hat_str_replace_all(text, "\"var/", a);
	snprintf(a, sizeof a, "http://127.0.0.1:%d", r->port);
	text = hat_str_replace_all(text, "http://127.0.0.1:8787", a);
	snprintf(a, sizeof a, "ws://127.0.0.1:%d/ws", r->port);
	text = hat_str_replace_all(text, "ws://127.0.0.1:8787/ws", a);
	text = hat_str_replace_all(text, "etc/test-key.json", key);
	text = hat_str_replace_all(text, "\"stable_ms\": 30000", "\"stable_ms\": 300");
	text = hat_str_replace_all(text, "\"max_restarts\": 5", "\"max_restarts\": 60");
	text = hat_str_replace_all(text, "\"metrics_port\": 9464", "\"metrics_port\": 0");
	snprintf(r->config, sizeof r->config, "%s/hat.json", r->dir);
	f = fopen(r->config, "w");
	fputs(text, f);
	fclose(f);
	free(text);
	snprintf(a, sizeof a, "%s/log", r->dir);
	mkdir(a, 0700);
	snprintf(a, sizeof a, "%s/run", r->dir);
	mkdir(a, 0700);
	snprintf(r->sock, sizeof r->sock, "%s/run/superd.%s.sock", r->dir, r->instance);

	snprintf(bin, sizeof bin, "%s/superd", r->bindir);
	snprintf(a, sizeof a, "%s/log/superd.log", r->dir);
	snprintf(b, sizeof b, "%s/superd.out", r->dir);
	char *sargv[] = { bin, "--config", r->config, "--bin-dir", r->bindir, "--log", a, NULL };
	setenv("HAT_KEY_PASSPHRASE", PASS, 1);
	r->superd = spawn(sargv, b);
	unsetenv("HAT_KEY_PASSPHRASE");
	for (int i = 0; i < 200; i++) {
		if (hat_control_open(&r->ctl, r->instance, HAT_SHM_RDONLY, err, sizeof err) == 0)
			break;
		usleep(50000);
		if (i == 199)
			die("superd did not create the instance");
	}
}

static bool stage_ready(const struct rig *r, unsigned id, pid_t not_pid)
{
	struct hat_stage_status st;
	hat_stage_status(hat_control_stage(&r->ctl, id), &st);
	return st.pid > 0 && st.pid != not_pid && st.ready && kill(st.pid, 0) == 0 &&
	       (st.state == HAT_STATE_RUNNING || st.state == HAT_STATE_DEGRADED ||
		st.state == HAT_STATE_HALTED);
}

static void wait_all_ready(const struct rig *r)
{
	for (int i = 0; i < 600; i++) {
		bool all = true;
		for (int s = 0; s < 4; s++)
			all &= stage_ready(r, stage_ids[s], 0);
		if (all)
			return;
		usleep(50000);
	}
	die("the stages did not all become ready within 30 s");
}

static void teardown(struct rig *r)
{
	stop_child(r->superd);
	stop_child(r->hlsim);
	hat_control_close(&r->ctl);
	char err[256];
	hat_instance_unlink(r->instance, err, sizeof err);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-e2e: could not remove %s\n", r->dir);
}

/* ---------------------------------------------------------------- statistics */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)(p / 100.0 * (double)n);
	return v[i >= n ? n - 1 : i];
}

static bool hist_of(const struct rig *r, unsigned stage, const char *name, struct hat_hist_snap *s)
{
	const struct hat_hist_shm *h = hat_stage_hist_find(hat_control_stage(&r->ctl, stage), name);
	if (!h)
		return false;
	hat_hist_snapshot(h, s);
	return s->count > 0;
}

static void print_hist(const char *what, const struct hat_hist_snap *s)
{
	printf("  %-34s n=%-7" PRIu64 " p50<=%8.1f us  p99<=%8.1f us  p99.9<=%8.1f us  "
	       "(mean %.1f us, log2 buckets)\n", what, s->count,
	       (double)hat_hist_percentile(s, 50) / 1e3, (double)hat_hist_percentile(s, 99) / 1e3,
	       (double)hat_hist_percentile(s, 99.9) / 1e3, (double)hat_hist_mean(s) / 1e3);
}

/* origin_ns -> send_ns of every ORDER still in the order ring's slots (exact). */
static size_t order_ring_latencies(const struct rig *r, uint64_t *out, size_t cap)
{
	struct hat_ring ring;
	char err[256];
	if (hat_ring_attach(&ring, r->instance, "order", HAT_RING_READER, HAT_SLOT_ORDER, 0, err,
			    sizeof err) != 0)
		return 0;
	struct hat_ring_stats st;
	hat_ring_stats(&ring, &st);
	uint64_t lo = st.prod > st.start_index + st.capacity ? st.prod - st.capacity : st.start_index;
	size_t n = 0;
	for (uint64_t idx = lo; idx < st.prod && n < cap; idx++) {
		struct hat_msg_hdr h;
		memcpy(&h, ring.slots + (idx & ring.mask) * ring.slot_size, sizeof h);
		if (h.type == HAT_MSG_ORDER && h.seq == idx + 1 && h.origin_ns && h.send_ns > h.origin_ns)
			out[n++] = h.send_ns - h.origin_ns;
	}
	hat_ring_detach(&ring);
	return n;
}

/* ---------------------------------------------------------------- raw ring baseline */

#define RAW_N 200000
struct raw_ctx {
	const char *instance;
	uint64_t *lat;
	volatile int ready;
};

static void *raw_consumer(void *arg)
{
	struct raw_ctx *c = arg;
	struct hat_ring ring;
	char err[256];
	if (hat_ring_attach(&ring, c->instance, "benchraw", HAT_RING_CONSUMER, 64, 0, err,
			    sizeof err) != 0)
		return NULL;
	c->ready = 1;
	for (size_t i = 0; i < RAW_N;) {
		uint64_t sent;
		if (hat_ring_try_pop(&ring, &sent, sizeof sent) == 0)
			c->lat[i++] = mono_ns() - sent;
		else
			hat_cpu_relax();
	}
	hat_ring_detach(&ring);
	return NULL;
}

/* One-way latency of a 64-byte message through a shm ring between two threads, paced at one
 * message per 2 us so it measures latency, not queueing. */
static uint64_t raw_ring_p50(const char *instance, uint64_t *p99)
{
	char err[256];
	*p99 = 0;
	if (hat_ring_create(instance, "benchraw", 1024, 64, 0, err, sizeof err) != 0)
		return 0;
	struct raw_ctx c = { instance, calloc(RAW_N, sizeof(uint64_t)), 0 };
	pthread_t t;
	pthread_create(&t, NULL, raw_consumer, &c);
	struct hat_ring ring;
	if (hat_ring_attach(&ring, instance, "benchraw", HAT_RING_PRODUCER, 64, 0, err, sizeof err))
		die(err);
	while (!c.ready)
		usleep(1000);
	for (size_t i = 0; i < RAW_N; i++) {
		uint64_t t0 = mono_ns();
		while (hat_ring_try_push(&ring, &t0, sizeof t0) != 0)
			t0 = mono_ns();
		while (mono_ns() - t0 < 2000)
			hat_cpu_relax();
	}
	pthread_join(t, NULL);
	hat_ring_detach(&ring);
	hat_ring_unlink(instance, "benchraw", err, sizeof err);
	qsort(c.lat, RAW_N, sizeof(uint64_t), cmp_u64);
	uint64_t p50 = pct(c.lat, RAW_N, 50);
	*p99 = pct(c.lat, RAW_N, 99);
	free(c.lat);
	return p50;
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		die("sodium_init failed");
	struct rig r;
	memset(&r, 0, sizeof r);
	start(&r);
	wait_all_ready(&r);
	printf("bench-e2e: pipeline up (instance %s, hlsim port %d); trading %d s under hlsim's flow\n",
	       r.instance, r.port, TRADE_S);
	sleep(TRADE_S);

	/* ---- 1. tick-to-order */
	struct hat_hist_snap t2o, md2i, chk;
	bool have = hist_of(&r, HAT_STAGE_EXECD, "tick_to_order_ns", &t2o);
	hist_of(&r, HAT_STAGE_SIGNALD, "md_to_intent_ns", &md2i);
	hist_of(&r, HAT_STAGE_RISKD, "check_ns", &chk);
	uint64_t *lat = calloc(65536, sizeof *lat);
	size_t nl = order_ring_latencies(&r, lat, 65536);
	qsort(lat, nl, sizeof *lat, cmp_u64);
	uint64_t raw99, raw50 = raw_ring_p50(r.instance, &raw99);
	printf("tick-to-order (feedd frame receipt -> signed request ready in execd):\n");
	if (have)
		print_hist("execd tick_to_order_ns", &t2o);
	else
		printf("  execd tick_to_order_ns: no samples\n");
	printf("  %-34s n=%-7zu p50=%9.1f us  p99=%9.1f us  p99.9=%9.1f us  (exact)\n",
	       "origin -> riskd push (order ring)", nl, (double)pct(lat, nl, 50) / 1e3,
	       (double)pct(lat, nl, 99) / 1e3, (double)pct(lat, nl, 99.9) / 1e3);
	printf("baselines (same run):\n");
	print_hist("signald md_to_intent_ns", &md2i);
	print_hist("riskd check_ns", &chk);
	printf("  %-34s n=%-7d p50=%9.3f us  p99=%9.3f us  (exact)\n", "raw ring one-way (2 threads)",
	       RAW_N, (double)raw50 / 1e3, (double)raw99 / 1e3);
	uint64_t t50 = have ? hat_hist_percentile(&t2o, 50) : 0;
	uint64_t t99 = have ? hat_hist_percentile(&t2o, 99) : 0;
	uint64_t t999 = have ? hat_hist_percentile(&t2o, 99.9) : 0;
	if (md2i.count && hat_hist_percentile(&md2i, 50))
		printf("ratio tick_to_order_p50 / md_to_intent_p50 = %.1f\n",
		       (double)t50 / (double)hat_hist_percentile(&md2i, 50));
	if (raw50)
		printf("ratio tick_to_order_p50 / raw_ring_p50 = %.0f\n", (double)t50 / (double)raw50);
	free(lat);
	{
		/* what limited the order count: riskd's reject reasons */
		const struct hat_stage_shm *b = hat_control_stage(&r.ctl, HAT_STAGE_RISKD);
		uint64_t v;
		if (hat_stage_counter_find(b, "intents_in", &v) == 0)
			printf("riskd: intents_in=%" PRIu64, v);
		if (hat_stage_counter_find(b, "approved", &v) == 0)
			printf(" approved=%" PRIu64, v);
		for (uint32_t i = 0; i < hat_stage_counter_count(b); i++) {
			const struct hat_counter_shm *c = hat_stage_counter_at(b, i);
			if (strncmp(c->name, "rejected.", 9) == 0 && c->value)
				printf(" %s=%" PRIu64, c->name, c->value);
		}
		printf("\n");
	}

	/* ---- 2. restart time: SIGKILL -> new pid running and ready */
	uint64_t rs[KILLS], per[4][KILLS];
	int nper[4] = { 0 }, nk = 0;
	for (int i = 0; i < KILLS; i++) {
		int s = i % 4;
		struct hat_stage_status st;
		hat_stage_status(hat_control_stage(&r.ctl, stage_ids[s]), &st);
		pid_t old = st.pid;
		uint64_t t0 = mono_ns();
		if (old <= 0 || kill(old, SIGKILL) != 0)
			die("no stage pid to kill");
		while (!stage_ready(&r, stage_ids[s], old)) {
			if (mono_ns() - t0 > 30ull * 1000000000u)
				die("a killed stage did not come back within 30 s");
			usleep(200);
		}
		uint64_t dt = mono_ns() - t0;
		rs[nk++] = dt;
		per[s][nper[s]++] = dt;
		/* let it (and the stages that resync with it) settle past stable_ms */
		usleep(500000);
		wait_all_ready(&r);
	}
	qsort(rs, (size_t)nk, sizeof rs[0], cmp_u64);
	printf("stage restart (SIGKILL -> new pid running and ready; superd's first backoff 10 ms "
	       "included), %d kills:\n", nk);
	for (int s = 0; s < 4; s++) {
		qsort(per[s], (size_t)nper[s], sizeof per[s][0], cmp_u64);
		printf("  %-8s n=%-3d p50=%7.1f ms  max=%7.1f ms\n", stages[s], nper[s],
		       (double)pct(per[s], (size_t)nper[s], 50) / 1e6,
		       (double)per[s][nper[s] - 1] / 1e6);
	}
	uint64_t r50 = pct(rs, (size_t)nk, 50), r99 = pct(rs, (size_t)nk, 99);
	printf("  %-8s n=%-3d p50=%7.1f ms  p99=%7.1f ms\n", "all", nk, (double)r50 / 1e6,
	       (double)r99 / 1e6);
	teardown(&r);

	printf("BENCH tick_to_order_p50_us %.1f us\n", (double)t50 / 1e3);
	printf("BENCH tick_to_order_p99_us %.1f us\n", (double)t99 / 1e3);
	printf("BENCH tick_to_order_p999_us %.1f us\n", (double)t999 / 1e3);
	printf("BENCH restart_p50_ms %.1f ms\n", (double)r50 / 1e6);
	printf("BENCH restart_p99_ms %.1f ms\n", (double)r99 / 1e6);
	return have ? 0 : 1;
}
