/* bench/bench_ring.c -- bench-ring: the shm SPSC ring against a pipe and a unix socket
 * (throughput), and against a bare cache-line ping-pong (latency floor), all in one run.
 *
 * Two processes (fork), pinned to two different CPUs when the affinity mask allows it.
 *
 * Throughput: 64-byte messages, one call per message on both sides (ring: try_push/try_pop;
 * pipe and unix stream socket: one write(2)/read(2) of 64 bytes each), consumer checks the
 * sequence so the data really moved. The ring consumer polls an empty ring every POLL_PAUSES
 * pauses (see there); also reported, not headlines: the ring polled after every pause (eager)
 * and the ring with batches of 32.
 *
 * Latency: round trips, one-way = RTT / 2 per sample, percentiles over all samples.
 *   ring     : A pushes a 64-byte message on ring 1, B pops it and pushes it back on ring 2,
 *              A pops it.
 *   pingpong : A stores a counter on its own cache line, B spins until it sees it and stores it
 *              on its own line, A spins until it sees that. One cache-line transfer each way,
 *              the least any shared-memory handoff can cost: the physical floor.
 * Timing uses the TSC (calibrated against CLOCK_MONOTONIC) on x86-64, else CLOCK_MONOTONIC.
 *
 * The figures depend on the machine and its load; the ratios against the same-run baselines are
 * what to compare. Ends with BENCH lines (see the end of main).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "common/clock.h"
#include "common/err.h"
#include "common/ring.h"

#define MSG 64
#define RING_MSGS 20000000ULL
#define RING_BATCH_MSGS 40000000ULL
#define SYSCALL_MSGS 1000000ULL
#define LAT_WARMUP 20000
#define LAT_SAMPLES 300000

/* ---------------------------------------------------------------- timing */

/* Everything the run needs, set up once in main (no mutable globals). */
struct bench {
	double ns_per_tick;  /* TSC ticks to ns (1.0 when ticks() is CLOCK_MONOTONIC) */
	int cpu_a, cpu_b;    /* consumer's and producer's CPU, -1: not pinned */
	char inst[32];       /* shm instance of this run's rings */
};

static inline uint64_t ticks(void)
{
#if defined(__x86_64__)
	return __rdtsc();
#else
	return hat_mono_ns();
#endif
}

static void calibrate(struct bench *b)
{
#if defined(__x86_64__)
	uint64_t m0 = hat_mono_ns(), t0 = __rdtsc();
	hat_sleep_ns(100 * HAT_NS_PER_MS);
	uint64_t m1 = hat_mono_ns(), t1 = __rdtsc();
	b->ns_per_tick = (double)(m1 - m0) / (double)(t1 - t0);
#else
	b->ns_per_tick = 1.0;
#endif
}

/* ---------------------------------------------------------------- processes and CPUs */

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * HAT_NS_PER_S + (uint64_t)tv.tv_usec * 1000u;
}

static void pick_cpus(struct bench *b)
{
	cpu_set_t set;
	b->cpu_a = b->cpu_b = -1;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (b->cpu_a < 0)
			b->cpu_a = c;
		else if (b->cpu_b < 0)
			b->cpu_b = c;
	}
	if (b->cpu_b < 0)
		b->cpu_a = -1; /* one CPU only: no pinning */
}

static void pin(int cpu)
{
	if (cpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof set, &set);
}

static void unpin(const struct bench *b)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (b->cpu_a >= 0) {
		CPU_SET(b->cpu_a, &set);
		CPU_SET(b->cpu_b, &set);
		sched_setaffinity(0, sizeof set, &set);
	}
}

/* Control block shared by the two processes (anonymous shared mapping, not part of the test). */
struct ctl {
	_Atomic uint32_t ready;  /* child is set up */
	_Atomic uint32_t go;     /* parent says start */
	_Atomic uint64_t end_ns; /* child: monotonic time when it received the last message */
	_Atomic uint64_t bad;    /* child: messages out of order */
	uint8_t _pad[64 - 24];
	_Atomic uint64_t ping;   /* own line: written by the parent */
	uint8_t _pad2[56];
	_Atomic uint64_t pong;   /* own line: written by the child */
	uint8_t _pad3[56];
};

static struct ctl *ctl_new(void)
{
	void *p = mmap(NULL, sizeof(struct ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(p, 0, sizeof(struct ctl));
	return p;
}

/* Spin on a condition; after `limit` spins yield, so a loaded machine still makes progress.
 * Latency loops spin long (the other side answers within ns when it is running); throughput
 * loops yield soon, so a full or empty ring gives the CPU share to the other side. */
#define SPIN_LIMIT(cond, limit)                                  \
	do {                                                     \
		unsigned spin_n_ = 0;                            \
		while (!(cond)) {                                \
			if (++spin_n_ < (limit))                 \
				hat_cpu_relax();                 \
			else {                                   \
				sched_yield();                   \
				spin_n_ = 0;                     \
			}                                        \
		}                                                \
	} while (0)
#define SPIN_UNTIL(cond) SPIN_LIMIT(cond, 20000u)
#define SPIN_TP(cond) SPIN_LIMIT(cond, 256u)

/* Reaps the child; returns its CPU time (user + system) in ns. */
static uint64_t wait_child(pid_t pid)
{
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench-ring: child failed (status 0x%x)\n", st);
		exit(1);
	}
	return tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
}

static uint64_t self_cpu_ns(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
}

static void ring_make(const struct bench *b, const char *name, uint32_t count)
{
	char err[256];
	hat_ring_unlink(b->inst, name, NULL, 0);
	if (hat_ring_create(b->inst, name, count, MSG, 0, err, sizeof err) != 0) {
		fprintf(stderr, "bench-ring: %s\n", err);
		exit(1);
	}
}

static void ring_open(const struct bench *b, struct hat_ring *r, const char *name, int role)
{
	char err[256];
	if (hat_ring_attach(r, b->inst, name, role, MSG, 0, err, sizeof err) != 0) {
		fprintf(stderr, "bench-ring: %s\n", err);
		exit(1);
	}
}

/* ---------------------------------------------------------------- throughput */

/* What one hat_cpu_relax() costs on this CPU (it differs tenfold between CPU models). */
static double ns_per_pause(void)
{
	static double ns;
	if (ns == 0) {
		uint64_t t0 = hat_mono_ns();
		for (int i = 0; i < 1000000; i++)
			hat_cpu_relax();
		ns = (double)(hat_mono_ns() - t0) / 1e6;
	}
	return ns;
}

enum transport { T_RING, T_RING_EAGER, T_RING_BATCH, T_PIPE, T_UNIX };

/* How the ring consumer waits when the ring is empty. T_RING (the headline) polls again after
 * POLL_PAUSES pause instructions (a few hundred ns: the output prints it). A consumer that
 * re-reads the producer index in a tight loop (T_RING_EAGER, one pause between checks) pulls
 * that cache line away from the producer on every check and slows it down; the faster the
 * consumer, the worse. A pipe reader waits too: it sleeps in the kernel until there is data. */
#define POLL_PAUSES 16

static int is_ring(enum transport t)
{
	return t == T_RING || t == T_RING_EAGER || t == T_RING_BATCH;
}

static void child_recv(const struct bench *b, enum transport t, int fd, uint64_t n, struct ctl *c)
{
	pin(b->cpu_a);
	struct hat_ring r;
	if (is_ring(t))
		ring_open(b, &r, "tp", HAT_RING_CONSUMER);
	atomic_store(&c->ready, 1);
	uint64_t bad = 0;
	_Alignas(64) unsigned char buf[32][MSG]; /* aligned like a slot: the copy compiles to vector moves */
	if (t == T_RING || t == T_RING_EAGER) {
		unsigned pauses = t == T_RING ? POLL_PAUSES : 1;
		for (uint64_t i = 0; i < n; i++) {
			unsigned waits = 0;
			while (hat_ring_try_pop(&r, buf[0], MSG) != 0) {
				if (++waits < 256) {
					for (unsigned k = 0; k < pauses; k++)
						hat_cpu_relax();
				} else {
					sched_yield(); /* the producer is not running: give it the CPU */
					waits = 0;
				}
			}
			uint64_t v;
			memcpy(&v, buf[0], 8);
			bad += v != i;
		}
	} else if (t == T_RING_BATCH) {
		for (uint64_t i = 0; i < n;) {
			unsigned k;
			SPIN_TP((k = hat_ring_pop_n(&r, buf, 32, MSG)) != 0);
			for (unsigned j = 0; j < k; j++, i++) {
				uint64_t v;
				memcpy(&v, buf[j], 8);
				bad += v != i;
			}
		}
	} else {
		for (uint64_t i = 0; i < n; i++) {
			size_t got = 0;
			while (got < MSG) {
				ssize_t m = read(fd, buf[0] + got, MSG - got);
				if (m <= 0)
					_exit(2);
				got += (size_t)m;
			}
			uint64_t v;
			memcpy(&v, buf[0], 8);
			bad += v != i;
		}
	}
	atomic_store(&c->end_ns, hat_mono_ns());
	atomic_store(&c->bad, bad);
	if (is_ring(t))
		hat_ring_detach(&r);
	_exit(0);
}

struct tp {
	double msgs_per_s;   /* wall clock */
	double cpu_ns_per_msg; /* CPU time of both processes per message */
};

static struct tp throughput(const struct bench *b, enum transport t, uint64_t n)
{
	struct ctl *c = ctl_new();
	int fds[2] = { -1, -1 };
	if (t == T_PIPE && pipe(fds) != 0) {
		perror("pipe");
		exit(1);
	}
	if (t == T_UNIX && socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
		perror("socketpair");
		exit(1);
	}
	if (is_ring(t))
		ring_make(b, "tp", 65536);
	pid_t pid = fork();
	if (pid == 0) {
		if (fds[1] >= 0)
			close(fds[1]);
		child_recv(b, t, fds[0], n, c);
	}
	if (fds[0] >= 0)
		close(fds[0]);
	pin(b->cpu_b);
	struct hat_ring r;
	if (is_ring(t))
		ring_open(b, &r, "tp", HAT_RING_PRODUCER);
	SPIN_UNTIL(atomic_load(&c->ready));
	_Alignas(64) unsigned char buf[32][MSG]; /* aligned like a slot: the copy compiles to vector moves */
	memset(buf, 0x5a, sizeof buf);
	uint64_t cpu0 = self_cpu_ns();
	uint64_t t0 = hat_mono_ns();
	if (t == T_RING || t == T_RING_EAGER) {
		for (uint64_t i = 0; i < n; i++) {
			memcpy(buf[0], &i, 8);
			SPIN_TP(hat_ring_try_push(&r, buf[0], MSG) == 0);
		}
	} else if (t == T_RING_BATCH) {
		for (uint64_t i = 0; i < n;) {
			unsigned want = n - i < 32 ? (unsigned)(n - i) : 32;
			for (unsigned j = 0; j < want; j++) {
				uint64_t v = i + j;
				memcpy(buf[j], &v, 8);
			}
			unsigned k;
			SPIN_TP((k = hat_ring_push_n(&r, buf, want, MSG)) != 0);
			i += k;
			if (k < want) /* shift the unsent ones to the front */
				memmove(buf, buf[k], (size_t)(want - k) * MSG);
		}
	} else {
		for (uint64_t i = 0; i < n; i++) {
			memcpy(buf[0], &i, 8);
			if (write(fds[1], buf[0], MSG) != MSG) {
				perror("write");
				exit(1);
			}
		}
	}
	uint64_t cpu = wait_child(pid) + self_cpu_ns() - cpu0;
	uint64_t ns = atomic_load(&c->end_ns) - t0;
	if (atomic_load(&c->bad)) {
		fprintf(stderr, "bench-ring: %llu messages out of order\n",
			(unsigned long long)atomic_load(&c->bad));
		exit(1);
	}
	if (is_ring(t)) {
		hat_ring_detach(&r);
		hat_ring_unlink(b->inst, "tp", NULL, 0);
	}
	if (fds[1] >= 0)
		close(fds[1]);
	munmap(c, sizeof *c);
	unpin(b);
	struct tp r2 = { (double)n * 1e9 / (double)ns, (double)cpu / (double)n };
	return r2;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * HAT_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* The ring's own cost without any cache-line sharing: one thread pushes 256 messages then pops
 * them, repeatedly. Returns CPU ns per message (one push + one pop); CPU time, so the load of
 * the machine does not count. */
static double ring_local_cost(const struct bench *b)
{
	ring_make(b, "local", 1024);
	struct hat_ring p, c;
	ring_open(b, &p, "local", HAT_RING_PRODUCER);
	ring_open(b, &c, "local", HAT_RING_CONSUMER);
	_Alignas(64) unsigned char buf[MSG];
	memset(buf, 0x11, sizeof buf);
	uint64_t n = 0, bad = 0;
	uint64_t t0 = thread_cpu_ns();
	for (int round = 0; round < 40000; round++) {
		for (unsigned i = 0; i < 256; i++) {
			uint64_t v = n + i;
			memcpy(buf, &v, 8);
			bad += hat_ring_try_push(&p, buf, MSG) != 0;
		}
		for (unsigned i = 0; i < 256; i++) {
			uint64_t v;
			bad += hat_ring_try_pop(&c, buf, MSG) != 0;
			memcpy(&v, buf, 8);
			bad += v != n + i;
		}
		n += 256;
	}
	uint64_t ns = thread_cpu_ns() - t0;
	hat_ring_detach(&p);
	hat_ring_detach(&c);
	hat_ring_unlink(b->inst, "local", NULL, 0);
	if (bad) {
		fprintf(stderr, "bench-ring: local round trip lost messages\n");
		exit(1);
	}
	return (double)ns / (double)n;
}

/* ---------------------------------------------------------------- latency */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct pct {
	double p50, p99, p999, min;
};

/* samples are round trips in ticks; percentiles of one-way ns (RTT / 2). */
static struct pct percentiles(const struct bench *b, uint64_t *s, size_t n)
{
	qsort(s, n, sizeof *s, cmp_u64);
	struct pct p;
	double k = b->ns_per_tick / 2.0;
	p.min = (double)s[0] * k;
	p.p50 = (double)s[n / 2] * k;
	p.p99 = (double)s[(size_t)((double)n * 0.99)] * k;
	p.p999 = (double)s[(size_t)((double)n * 0.999)] * k;
	return p;
}

static struct pct lat_pingpong(const struct bench *b)
{
	struct ctl *c = ctl_new();
	uint64_t total = LAT_WARMUP + LAT_SAMPLES;
	pid_t pid = fork();
	if (pid == 0) {
		pin(b->cpu_a);
		atomic_store(&c->ready, 1);
		for (uint64_t i = 1; i <= total; i++) {
			/* Acquire pairs with the parent's release store of ping. */
			SPIN_UNTIL(atomic_load_explicit(&c->ping, memory_order_acquire) == i);
			/* Release pairs with the parent's acquire load of pong. */
			atomic_store_explicit(&c->pong, i, memory_order_release);
		}
		_exit(0);
	}
	pin(b->cpu_b);
	SPIN_UNTIL(atomic_load(&c->ready));
	uint64_t *s = malloc(sizeof(uint64_t) * LAT_SAMPLES);
	for (uint64_t i = 1; i <= total; i++) {
		uint64_t t0 = ticks();
		atomic_store_explicit(&c->ping, i, memory_order_release);
		SPIN_UNTIL(atomic_load_explicit(&c->pong, memory_order_acquire) == i);
		uint64_t t1 = ticks();
		if (i > LAT_WARMUP)
			s[i - LAT_WARMUP - 1] = t1 - t0;
	}
	(void)wait_child(pid);
	munmap(c, sizeof *c);
	unpin(b);
	struct pct p = percentiles(b, s, LAT_SAMPLES);
	free(s);
	return p;
}

static struct pct lat_ring(const struct bench *b)
{
	struct ctl *c = ctl_new();
	ring_make(b, "ping", 1024);
	ring_make(b, "pong", 1024);
	uint64_t total = LAT_WARMUP + LAT_SAMPLES;
	pid_t pid = fork();
	if (pid == 0) {
		pin(b->cpu_a);
		struct hat_ring in, out;
		ring_open(b, &in, "ping", HAT_RING_CONSUMER);
		ring_open(b, &out, "pong", HAT_RING_PRODUCER);
		atomic_store(&c->ready, 1);
		unsigned char buf[MSG];
		for (uint64_t i = 0; i < total; i++) {
			SPIN_UNTIL(hat_ring_try_pop(&in, buf, MSG) == 0);
			SPIN_UNTIL(hat_ring_try_push(&out, buf, MSG) == 0);
		}
		hat_ring_detach(&in);
		hat_ring_detach(&out);
		_exit(0);
	}
	pin(b->cpu_b);
	struct hat_ring out, in;
	ring_open(b, &out, "ping", HAT_RING_PRODUCER);
	ring_open(b, &in, "pong", HAT_RING_CONSUMER);
	SPIN_UNTIL(atomic_load(&c->ready));
	uint64_t *s = malloc(sizeof(uint64_t) * LAT_SAMPLES);
	unsigned char buf[MSG];
	memset(buf, 0x33, sizeof buf);
	for (uint64_t i = 0; i < total; i++) {
		memcpy(buf, &i, 8);
		uint64_t t0 = ticks();
		SPIN_UNTIL(hat_ring_try_push(&out, buf, MSG) == 0);
		SPIN_UNTIL(hat_ring_try_pop(&in, buf, MSG) == 0);
		uint64_t t1 = ticks();
		uint64_t v;
		memcpy(&v, buf, 8);
		if (v != i) {
			fprintf(stderr, "bench-ring: ping-pong message %llu came back as %llu\n",
				(unsigned long long)i, (unsigned long long)v);
			exit(1);
		}
		if (i >= LAT_WARMUP)
			s[i - LAT_WARMUP] = t1 - t0;
	}
	(void)wait_child(pid);
	hat_ring_detach(&out);
	hat_ring_detach(&in);
	hat_ring_unlink(b->inst, "ping", NULL, 0);
	hat_ring_unlink(b->inst, "pong", NULL, 0);
	munmap(c, sizeof *c);
	unpin(b);
	struct pct p = percentiles(b, s, LAT_SAMPLES);
	free(s);
	return p;
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	struct bench bench, *b = &bench;
	memset(b, 0, sizeof *b);
	snprintf(b->inst, sizeof b->inst, "bench%d", (int)getpid());
	signal(SIGPIPE, SIG_IGN);
	pick_cpus(b);
	calibrate(b);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double load[3] = { 0, 0, 0 };
	if (getloadavg(load, 3) < 0)
		load[0] = -1;
	printf("bench-ring: %ld CPUs online, load average %.2f; ", ncpu, load[0]);
	if (b->cpu_a >= 0)
		printf("consumer pinned to CPU %d, producer to CPU %d\n", b->cpu_a, b->cpu_b);
	else
		printf("one CPU available: not pinned (figures mean little)\n");
#if defined(__x86_64__)
	printf("timer: TSC, %.3f ns per tick\n", b->ns_per_tick);
#else
	printf("timer: CLOCK_MONOTONIC\n");
#endif

	printf("\nthroughput, 64-byte messages, one call per message each side:\n");
	struct tp ring = throughput(b, T_RING, RING_MSGS);
	printf("  shm ring          %14.0f msg/s  %8.1f CPU ns/msg  (%llu messages; an empty ring "
	       "is polled every %d pauses = %.0f ns)\n",
	       ring.msgs_per_s, ring.cpu_ns_per_msg, RING_MSGS, POLL_PAUSES,
	       POLL_PAUSES * ns_per_pause());
	struct tp ringe = throughput(b, T_RING_EAGER, RING_MSGS);
	printf("  shm ring, eager   %14.0f msg/s  %8.1f CPU ns/msg  (%llu messages; polled after "
	       "every pause; not a headline)\n",
	       ringe.msgs_per_s, ringe.cpu_ns_per_msg, RING_MSGS);
	struct tp ringb = throughput(b, T_RING_BATCH, RING_BATCH_MSGS);
	printf("  shm ring, batch 32%14.0f msg/s  %8.1f CPU ns/msg  (%llu messages; not a headline)\n",
	       ringb.msgs_per_s, ringb.cpu_ns_per_msg, RING_BATCH_MSGS);
	struct tp pipe_r = throughput(b, T_PIPE, SYSCALL_MSGS);
	printf("  pipe              %14.0f msg/s  %8.1f CPU ns/msg  (%llu messages)\n",
	       pipe_r.msgs_per_s, pipe_r.cpu_ns_per_msg, SYSCALL_MSGS);
	struct tp unix_r = throughput(b, T_UNIX, SYSCALL_MSGS);
	printf("  unix socket       %14.0f msg/s  %8.1f CPU ns/msg  (%llu messages, SOCK_STREAM)\n",
	       unix_r.msgs_per_s, unix_r.cpu_ns_per_msg, SYSCALL_MSGS);
	double local = ring_local_cost(b);
	printf("  (ring's own cost, one thread, no sharing: %.1f CPU ns per push + pop)\n", local);
	printf("  ring / pipe %.1f x, ring / unix socket %.1f x (target >= 50 x pipe); "
	       "CPU per message: pipe / ring %.1f x\n",
	       ring.msgs_per_s / pipe_r.msgs_per_s, ring.msgs_per_s / unix_r.msgs_per_s,
	       pipe_r.cpu_ns_per_msg / ring.cpu_ns_per_msg);

	printf("\none-way latency (round trip / 2), %d samples after %d warm-up:\n", LAT_SAMPLES,
	       LAT_WARMUP);
	struct pct pp = lat_pingpong(b);
	printf("  cache-line ping-pong  min %6.0f  p50 %6.0f  p99 %7.0f  p99.9 %8.0f ns\n", pp.min, pp.p50,
	       pp.p99, pp.p999);
	struct pct rl = lat_ring(b);
	printf("  shm ring              min %6.0f  p50 %6.0f  p99 %7.0f  p99.9 %8.0f ns\n", rl.min, rl.p50,
	       rl.p99, rl.p999);
	printf("  ring p50 / ping-pong p50 %.2f x (target <= 3 x)\n", rl.p50 / pp.p50);

	printf("\nBENCH ring_msgs_per_s %.0f /s\n", ring.msgs_per_s);
	printf("BENCH ring_eager_msgs_per_s %.0f /s\n", ringe.msgs_per_s);
	printf("BENCH ring_batch32_msgs_per_s %.0f /s\n", ringb.msgs_per_s);
	printf("BENCH pipe_msgs_per_s %.0f /s\n", pipe_r.msgs_per_s);
	printf("BENCH unix_msgs_per_s %.0f /s\n", unix_r.msgs_per_s);
	printf("BENCH ring_vs_pipe_ratio %.1f x\n", ring.msgs_per_s / pipe_r.msgs_per_s);
	printf("BENCH ring_vs_unix_ratio %.1f x\n", ring.msgs_per_s / unix_r.msgs_per_s);
	printf("BENCH ring_cpu_ns_per_msg %.1f ns\n", ring.cpu_ns_per_msg);
	printf("BENCH ring_local_ns_per_msg %.1f ns\n", local);
	printf("BENCH pipe_cpu_ns_per_msg %.1f ns\n", pipe_r.cpu_ns_per_msg);
	printf("BENCH ring_p50_ns %.0f ns\n", rl.p50);
	printf("BENCH ring_p99_ns %.0f ns\n", rl.p99);
	printf("BENCH ring_p999_ns %.0f ns\n", rl.p999);
	printf("BENCH pingpong_p50_ns %.0f ns\n", pp.p50);
	printf("BENCH pingpong_p99_ns %.0f ns\n", pp.p99);
	printf("BENCH ring_vs_pingpong_p50_ratio %.2f x\n", rl.p50 / pp.p50);
	return 0;
}
