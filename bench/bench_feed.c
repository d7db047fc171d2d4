/* bench/bench_feed.c -- feedd's hot path: frame text -> hl/parse_ws -> publisher -> md ring,
 * for real-shaped l2Book (20 levels a side) and trades frames, against a same-run baseline of
 * cJSON parsing alone (parse + free of the same frames). Also the frame-to-ring latency
 * (receive stamp taken just before parsing, send_ns stamped by the ring push), p50/p99.
 * The ring's consumer runs in the same thread (it pops after every frame), so the ring never
 * fills and the figures are the producer's cost.
 *
 * A third run adds recording (every frame appended to a journal, fsync every 1000 ms), to show
 * what --record costs on the same path.
 *
 * Ends with:
 *   BENCH feed_msgs_per_s <n> /s
 *   BENCH feed_mb_per_s <n> MB/s
 *   BENCH feed_p50_ns <n> ns
 *   BENCH feed_p99_ns <n> ns
 *   BENCH cjson_only_msgs_per_s <n> /s
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/journal.h"
#include "common/msg_types.h"
#include "common/ring.h"
#include "feedd/publish.h"
#include "hl/parse_ws.h"

#define RUN_NS 1500000000ULL
#define NFRAMES 64
#define LAT_MAX 400000

struct frame {
	char *text;
	size_t len;
	unsigned msgs; /* messages it produces */
};

static struct frame frames[NFRAMES];
static uint64_t lat[LAT_MAX];
static volatile int sink;

static char *make_book(int k, size_t *len)
{
	char *b = malloc(8192);
	size_t n = (size_t)sprintf(b, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"%s\",\"time\":%d,\"levels\":[[",
				   k % 2 ? "ETH" : "BTC", 1754450974 + k);
	for (int side = 0; side < 2; side++) {
		for (int i = 0; i < 20; i++) {
			int px = side ? 113397 + i + k % 7 : 113377 - i - k % 7;
			n += (size_t)sprintf(b + n, "%s{\"px\":\"%d.0\",\"sz\":\"%d.%05d\",\"n\":%d}", i ? "," : "",
					     px, (i * 7 + k) % 13, 1 + (i * 7919 + k * 31) % 99999, 1 + (i + k) % 17);
		}
		n += (size_t)sprintf(b + n, side ? "]" : "],[");
	}
	n += (size_t)sprintf(b + n, "]}}");
	*len = n;
	return b;
}

static char *make_trades(int k, int count, size_t *len)
{
	char *b = malloc(8192);
	size_t n = (size_t)sprintf(b, "{\"channel\":\"trades\",\"data\":[");
	for (int i = 0; i < count; i++)
		n += (size_t)sprintf(b + n,
				     "%s{\"coin\":\"BTC\",\"side\":\"%c\",\"px\":\"%d.%d\",\"sz\":\"0.%05d\",\"time\":%d,"
				     "\"hash\":\"0x8d2c7e1a9f0b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5\","
				     "\"tid\":%d,\"users\":[\"0x31ca8395cf837de08b24da3f660e77761dfb974b\","
				     "\"0x5b5d51203a0f9079f8aeb098a6523a13f298c060\"]}",
				     i ? "," : "", (i + k) % 2 ? 'B' : 'A', 113380 + (k + i) % 20, i % 10,
				     1 + (k * 13 + i * 7) % 99999, 1754450974 + k, 904411938 + k * 10 + i);
	n += (size_t)sprintf(b + n, "]}");
	*len = n;
	return b;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* parse_ws + publish (+ journal append when jr) over the frames for RUN_NS; returns msgs/s.
 * With nlat, records frame-to-ring latencies into lat[] and the MB/s into *mbps. */
static double run_full(struct hat_journal *jr, size_t *nlat, double *mbps)
{
	char inst[32], err[256];
	snprintf(inst, sizeof inst, "bench%d", (int)getpid());
	if (hat_ring_create(inst, "md", 4096, HAT_SLOT_MD, 0, err, sizeof err) != 0) {
		fprintf(stderr, "ring: %s\n", err);
		return -1;
	}
	struct hat_ring prod = { 0 }, cons = { 0 };
	struct feed_pub pub = { 0 };
	double result = -1;
	const char *coins[] = { "BTC", "ETH" };
	if (hat_ring_attach(&prod, inst, "md", HAT_RING_PRODUCER, HAT_SLOT_MD, 0, err, sizeof err) ||
	    hat_ring_attach(&cons, inst, "md", HAT_RING_CONSUMER, HAT_SLOT_MD, 0, err, sizeof err) ||
	    feed_pub_init(&pub, &prod, NULL, coins, NULL, 2, 1024, err, sizeof err) != 0) {
		fprintf(stderr, "setup: %s\n", err);
		goto out;
	}
	static struct hat_msg_trade trades[512];
	struct hl_ws_bufs bufs = { .trades = trades, .trades_cap = 512 };
	struct hl_ws_msg m;
	uint8_t slot[HAT_SLOT_MD];
	uint64_t n_msgs = 0, n_bytes = 0;
	size_t n_lat = 0;
	uint64_t t0 = hat_mono_ns();
	while (hat_mono_ns() - t0 < RUN_NS) {
		for (int k = 0; k < NFRAMES; k++) {
			uint64_t recv = hat_now_ns();
			if (jr && hat_journal_append(jr, 1, recv, frames[k].text, frames[k].len, recv,
						     hat_mono_ns() / 1000000u, err, sizeof err) != 0) {
				fprintf(stderr, "append: %s\n", err);
				goto out;
			}
			if (hl_ws_parse(frames[k].text, frames[k].len, recv, NULL, &bufs, &m, err, sizeof err) != 0) {
				fprintf(stderr, "parse: %s\n", err);
				goto out;
			}
			if (m.kind == HL_WS_BOOK)
				feed_pub_book(&pub, m.u.book.coin[0] == 'B' ? 0 : 1, &m.u.book, recv);
			else
				for (size_t i = 0; i < m.list.n; i++)
					feed_pub_trade(&pub, 0, &trades[i], recv);
			hl_ws_msg_clear(&m);
			n_bytes += frames[k].len;
			while (hat_ring_try_pop(&cons, slot, sizeof slot) == 0) {
				const struct hat_msg_hdr *h = (const void *)slot;
				if (nlat && n_lat < LAT_MAX)
					lat[n_lat++] = h->send_ns - h->origin_ns;
				n_msgs++;
			}
		}
	}
	double full_s = (double)(hat_mono_ns() - t0) / 1e9;
	if (nlat) {
		*nlat = n_lat;
		*mbps = (double)n_bytes / full_s / 1e6;
	}
	result = (double)n_msgs / full_s;
out:
	feed_pub_deinit(&pub);
	hat_ring_detach(&prod);
	hat_ring_detach(&cons);
	hat_ring_unlink(inst, "md", NULL, 0);
	return result;
}

int main(void)
{
	/* Real-shaped mix: half books (20 levels a side), half trades frames of 1-4 trades. */
	size_t total_bytes = 0;
	unsigned total_msgs = 0;
	for (int k = 0; k < NFRAMES; k++) {
		struct frame *f = &frames[k];
		if (k % 2 == 0) {
			f->text = make_book(k, &f->len);
			f->msgs = 1;
		} else {
			int c = 1 + k % 4;
			f->text = make_trades(k, c, &f->len);
			f->msgs = (unsigned)c;
		}
		total_bytes += f->len;
		total_msgs += f->msgs;
	}
	printf("frames: %d (avg %zu bytes, %.2f msgs/frame)\n", NFRAMES, total_bytes / NFRAMES,
	       (double)total_msgs / NFRAMES);

	/* Baseline: cJSON parse + free of the same frames. */
	uint64_t t0 = hat_mono_ns(), n_msgs = 0, iters = 0;
	while (hat_mono_ns() - t0 < RUN_NS) {
		for (int k = 0; k < NFRAMES; k++) {
			cJSON *j = cJSON_ParseWithLength(frames[k].text, frames[k].len);
			sink ^= j != NULL;
			cJSON_Delete(j);
			n_msgs += frames[k].msgs;
		}
		iters++;
	}
	double base_s = (double)(hat_mono_ns() - t0) / 1e9;
	double base_rate = (double)n_msgs / base_s;

	/* Full path: parse_ws + publish on a real shm ring (then again with recording). */
	double mbps = 0, rate = 0, rec_rate = 0;
	size_t nlat = 0;
	for (int pass = 0; pass < 2; pass++) {
		struct hat_journal jr;
		char dir[] = "/tmp/bench-feed-XXXXXX";
		if (pass == 1) {
			if (!mkdtemp(dir))
				return 1;
			struct hat_journal_opts jo = { .dir = dir, .prefix = "feed", .max_file_bytes = 1u << 30,
						       .fsync = HAT_JOURNAL_FSYNC_INTERVAL, .fsync_interval_ms = 1000 };
			char jerr[256];
			if (hat_journal_open(&jr, &jo, hat_now_ns(), jerr, sizeof jerr) != 0) {
				fprintf(stderr, "journal: %s\n", jerr);
				return 1;
			}
		}
		double r = run_full(pass == 1 ? &jr : NULL, pass == 0 ? &nlat : NULL, &mbps);
		if (r < 0)
			return 1;
		if (pass == 0) {
			rate = r;
		} else {
			rec_rate = r;
			char path[PATH_MAX];
			snprintf(path, sizeof path, "%s", jr.path);
			hat_journal_close(&jr);
			unlink(path);
			rmdir(dir);
		}
	}

	/* Percentiles of the frame-to-ring latency (exact, from the samples). */
	qsort(lat, nlat, sizeof lat[0], cmp);
	uint64_t p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[nlat * 99 / 100] : 0;
	uint64_t p999 = nlat ? lat[nlat * 999 / 1000] : 0;

	printf("cjson parse only      : %12.0f msgs/s\n", base_rate);
	printf("parse_ws + publish    : %12.0f msgs/s  %8.1f MB/s  (%.2fx the cJSON-only rate)\n", rate,
	       mbps, rate / base_rate);
	printf("... with recording    : %12.0f msgs/s  (%.2fx without)\n", rec_rate, rec_rate / rate);
	printf("frame-to-ring latency : p50 %" PRIu64 " ns  p99 %" PRIu64 " ns  p99.9 %" PRIu64
	       " ns  (%zu samples)\n", p50, p99, p999, nlat);
	printf("BENCH feed_msgs_per_s %.0f /s\n", rate);
	printf("BENCH feed_mb_per_s %.1f MB/s\n", mbps);
	printf("BENCH feed_p50_ns %" PRIu64 " ns\n", p50);
	printf("BENCH feed_p99_ns %" PRIu64 " ns\n", p99);
	printf("BENCH cjson_only_msgs_per_s %.0f /s\n", base_rate);
	printf("BENCH feed_record_msgs_per_s %.0f /s\n", rec_rate);
	for (int k = 0; k < NFRAMES; k++)
		free(frames[k].text);
	return 0;
}
