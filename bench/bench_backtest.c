/* bench/bench_backtest.c -- journal messages/s through the pipeline in backtest mode, against
 * `feedd --replay --max` alone in the same run (the baseline: the replay is the pipeline's
 * source, so the ratio says what the rest of the pipeline costs).
 *
 *   replay only: feedd --replay BIG --max --create on a private instance, the md ring drained by
 *                this process (as signald would), timed from exec to exit; 3 runs, median.
 *   backtest:    scripts/backtest.sh BIG --speed max (hlsim replay + superd + the four stages),
 *                timed end to end; skipped with the reason when the script cannot run yet
 *                (exit 3: execd, hatctl or hlsim's replay mode missing).
 * BIG is the sample journal (tests/data/sample-hlsim-btc-eth.journal) repeated REPEAT times
 * with shifted time stamps. Programs come from $HAT_BIN_DIR (make bench: build/bin).
 *
 * Ends with:
 *   BENCH replay_only_msgs_per_s <n> msgs/s
 *   BENCH backtest_msgs_per_s <n> msgs/s          (when the backtest can run)
 *   BENCH backtest_vs_replay_ratio <x> x          (when the backtest can run)
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/instance.h"
#include "common/journal.h"
#include "common/journal_zst.h"
#include "common/msg_types.h"
#include "common/ring.h"
#include "feedd/feedd.h"

#define SAMPLE "tests/data/sample-hlsim-btc-eth.journal"
#define REPEAT 1 /* lockstep costs ~25 ms a record: one copy keeps the bench under a minute */
#define RUNS 3

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Writes SAMPLE REPEAT times into dir; returns the path in path and the frame count. */
static int make_big(const char *dir, char *path, size_t plen, uint64_t *frames)
{
	struct hat_journal j;
	struct hat_journal_opts o = { dir, "big", 0, HAT_JOURNAL_FSYNC_NEVER, 0 };
	char err[512];
	uint64_t t = real_ns();
	if (hat_journal_open(&j, &o, t, err, sizeof err) < 0) {
		fprintf(stderr, "bench-backtest: %s\n", err);
		return -1;
	}
	*frames = 0;
	uint64_t shift = 0;
	for (int k = 0; k < REPEAT; k++) {
		struct hat_jz_reader r;
		if (hat_jz_open(&r, SAMPLE, err, sizeof err) < 0) {
			fprintf(stderr, "bench-backtest: %s (run from the repository root)\n", err);
			hat_journal_close(&j);
			return -1;
		}
		struct hat_journal_rec rec;
		uint64_t first = 0, last = 0;
		while (hat_jz_next(&r, &rec, err, sizeof err) == 0) {
			if (!first)
				first = rec.ts_ns;
			last = rec.ts_ns;
			/* One META is enough; OPEN/CLOSE only at the very start and end. */
			if (k > 0 && rec.type != FEED_REC_FRAME)
				continue;
			if (hat_journal_append(&j, rec.type, rec.ts_ns + shift, rec.data, rec.len, t, 0,
					       err, sizeof err) < 0) {
				fprintf(stderr, "bench-backtest: %s\n", err);
				hat_jz_close(&r);
				hat_journal_close(&j);
				return -1;
			}
			*frames += rec.type == FEED_REC_FRAME;
		}
		hat_jz_close(&r);
		shift += last - first + 1000000;
	}
	snprintf(path, plen, "%s", j.path);
	hat_journal_close(&j);
	return 0;
}

static const char *bin_dir(void)
{
	const char *b = getenv("HAT_BIN_DIR");
	return b && *b ? b : "build/bin";
}

/* One feedd --replay --max run; returns its wall time in ns, 0 on failure. */
static uint64_t replay_once(const char *dir, const char *big, int run)
{
	char inst[32], cfg[600], feedd[600], log[600];
	snprintf(inst, sizeof inst, "bb%d_%d", (int)getpid(), run);
	snprintf(cfg, sizeof cfg, "%s/hat.%d.json", dir, run);
	snprintf(log, sizeof log, "%s/feedd.%d.log", dir, run);
	snprintf(feedd, sizeof feedd, "%s/feedd", bin_dir());
	FILE *f = fopen(cfg, "w");
	if (!f)
		return 0;
	fprintf(f, "{\"instance\":\"%s\",\"venue\":{\"kind\":\"hlsim\",\"http\":\"http://127.0.0.1:9\","
		"\"ws\":\"ws://127.0.0.1:9/ws\"},\"coins\":[\"BTC\",\"ETH\"],\"rings\":{\"md\":65536},"
		"\"paths\":{\"journal_dir\":\"%s\",\"log_dir\":\"%s\",\"run_dir\":\"%s\"}}\n",
		inst, dir, dir, dir);
	fclose(f);
	fflush(stdout);
	fflush(stderr);
	uint64_t t0 = now_ns();
	pid_t pid = fork();
	if (pid == 0) {
		freopen(log, "w", stderr);
		freopen(log, "a", stdout);
		execl(feedd, feedd, "--config", cfg, "--create", "--replay", big, "--max",
		      (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return 0;
	/* Drain the md ring as the stage after feedd would. */
	struct hat_ring md;
	bool attached = false;
	char err[256];
	uint8_t buf[HAT_SLOT_MD];
	uint64_t popped = 0;
	int status = 0;
	for (;;) {
		if (!attached)
			attached = hat_ring_attach(&md, inst, "md", HAT_RING_CONSUMER, HAT_SLOT_MD, 0,
						   err, sizeof err) == 0;
		int n = 0;
		while (attached && hat_ring_try_pop(&md, buf, sizeof buf) >= 0 && n < 4096)
			popped++, n++;
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (n == 0)
			usleep(50);
	}
	uint64_t dt = now_ns() - t0;
	if (attached)
		hat_ring_detach(&md);
	hat_instance_unlink(inst, err, sizeof err);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-backtest: feedd --replay exited with status %d (log %s)\n",
			status, log);
		return 0;
	}
	printf("  run %d: feedd --replay --max %.3f s, %llu md messages drained\n", run,
	       (double)dt / 1e9, (unsigned long long)popped);
	return dt;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	char dir[] = "/tmp/bench-backtest.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char big[PATH_MAX];
	uint64_t frames;
	if (make_big(dir, big, sizeof big, &frames) < 0)
		return 1;
	printf("bench-backtest: %s x %d = %llu journal messages (frames)\n", SAMPLE, REPEAT,
	       (unsigned long long)frames);

	uint64_t t[RUNS];
	for (int i = 0; i < RUNS; i++)
		if (!(t[i] = replay_once(dir, big, i)))
			return 1;
	qsort(t, RUNS, sizeof t[0], cmp_u64);
	double replay = (double)frames / ((double)t[RUNS / 2] / 1e9);
	printf("  replay only (median of %d): %.0f msgs/s\n", RUNS, replay);

	char cmd[3 * PATH_MAX], out[600];
	snprintf(out, sizeof out, "%s/bt", dir);
	snprintf(cmd, sizeof cmd, "scripts/backtest.sh '%s' --speed max --bin '%s' --out '%s' "
		 ">'%s/bt.out' 2>'%s/bt.err'", big, bin_dir(), out, dir, dir);
	fflush(stdout);
	uint64_t b0 = now_ns();
	int rc = system(cmd);
	uint64_t bt = now_ns() - b0;
	double backtest = 0;
	if (WIFEXITED(rc) && WEXITSTATUS(rc) == 0) {
		backtest = (double)frames / ((double)bt / 1e9);
		printf("  full backtest (hlsim replay + superd + 4 stages + export + report): "
		       "%.3f s, %.0f msgs/s, %.3fx the replay alone\n", (double)bt / 1e9, backtest,
		       backtest / replay);
	} else {
		char errf[700];
		snprintf(errf, sizeof errf, "%s/bt.err", dir);
		printf("  full backtest NOT measured: scripts/backtest.sh exit %d:\n",
		       WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
		FILE *e = fopen(errf, "r");
		char line[512];
		while (e && fgets(line, sizeof line, e))
			printf("    %s", line);
		if (e)
			fclose(e);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-backtest: could not remove %s\n", dir);

	printf("BENCH replay_only_msgs_per_s %.0f msgs/s\n", replay);
	if (backtest > 0) {
		printf("BENCH backtest_msgs_per_s %.0f msgs/s\n", backtest);
		printf("BENCH backtest_vs_replay_ratio %.3f x\n", backtest / replay);
	}
	return 0;
}
