/* tests/e2e/test_execd.c -- the real execd against the real hlsim on loopback.
 *
 * Each test starts hlsim (quiet config: no background flow; accounts A and B funded), writes a
 * keystore for account A (cheap KDF), makes a private hat instance (pipeline fixture) whose
 * venue points at hlsim, and starts execd. The test plays riskd: it produces ORDER/CONTROL on
 * the order ring and consumes the exec ring. Account B (signed directly with hl/) is the
 * counterparty that fills execd's orders. hlsim's /info is the referee.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <sodium.h>

#include "common/clock.h"
#include "common/control.h"
#include "common/fixed.h"
#include "common/msg.h"
#include "common/ring.h"
#include "execd/keystore.h"
#include "hl/hex.h"
#include "hl/records.h"
#include "tests/helpers/hlsim_proc.h"
#include "tests/helpers/pipeline_fixture.h"
#include "tests/helpers/test_util.h"

#define PASS "execd-test-passphrase"
#define MAX_EV 4096

struct fx {
	struct hlsim_proc hp;
	struct pf pf;
	struct hat_ring order, exec;
	pid_t pid;
	char log[400];
	char audit[400];
	uint64_t seq;
	struct hl_signer b;
	char addr_a[43];
	struct hat_msg_exec ev[MAX_EV]; /* every EXEC event seen, in order */
	size_t n_ev;
	uint64_t snap_rows;
	bool snap_done;
	int hello;
	struct hat_control ctl;        /* fake riskd's control block (dead-man test) */
	struct hat_stage_shm *riskd;   /* heartbeated by drain() while not NULL */
};

/* ---------------------------------------------------------------- set-up */

static void write_keystore(const char *path)
{
	uint8_t key[32], addr[20];
	char err[256];
	assert_int_equal(hl_key_parse(HP_KEY_A, key, err, sizeof err), 0);
	struct exec_kdf_params kdf = { crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN };
	if (exec_keystore_write(path, key, PASS, strlen(PASS), &kdf, addr, err, sizeof err) != 0)
		fail_msg("keystore: %s", err);
	sodium_memzero(key, sizeof key);
}

static void start_execd(struct fx *f, const char *crash_at, const char *crash_n)
{
	char *argv[] = { (char *)tu_bin("execd"), "--config", f->pf.config, "--log", f->log,
	                 "--log-level", "debug", NULL };
	setenv("HAT_KEY_PASSPHRASE", PASS, 1);
	if (crash_at) {
		setenv("HAT_EXECD_CRASH_AT", crash_at, 1);
		setenv("HAT_EXECD_CRASH_N", crash_n, 1);
	}
	char out[420];
	snprintf(out, sizeof out, "%s.out", f->log);
	f->pid = tu_spawn(argv, out);
	unsetenv("HAT_EXECD_CRASH_AT");
	unsetenv("HAT_EXECD_CRASH_N");
	unsetenv("HAT_KEY_PASSPHRASE");
	assert_true(f->pid > 0);
}

static void setup_common(struct fx *f, const char *const *hlsim_extra, const char *exec_extra)
{
	hp_start(&f->hp, hp_config_quiet, hlsim_extra);
	char http[64], ws[64], key[300];
	snprintf(http, sizeof http, "http://127.0.0.1:%d", f->hp.port);
	snprintf(ws, sizeof ws, "ws://127.0.0.1:%d/ws", f->hp.port);
	char dir[256];
	tu_tmpdir(dir, sizeof dir);
	snprintf(key, sizeof key, "%s/key.json", dir);
	write_keystore(key);
	char repl[2048];
	size_t n = 0;
#define ADD(s) do { size_t l_ = strlen(s); memcpy(repl + n, s, l_ + 1); n += l_ + 1; } while (0)
	ADD("http://127.0.0.1:8787"); ADD(http);
	ADD("ws://127.0.0.1:8787/ws"); ADD(ws);
	ADD("etc/test-key.json"); ADD(key);
	ADD("\"use_ws_post\": false"); ADD(exec_extra ? exec_extra : "\"use_ws_post\": false");
	repl[n] = '\0';
#undef ADD
	pf_setup(&f->pf, repl);
	/* the key file moves into the fixture's directory so teardown removes it */
	char moved[400];
	snprintf(moved, sizeof moved, "%s/key.json", f->pf.dir);
	rename(key, moved);
	tu_rmtree(dir);
	char *cfg = tu_read_file(f->pf.config);
	char *p = strstr(cfg, key);
	assert_non_null(p);
	FILE *o = fopen(f->pf.config, "w");
	fwrite(cfg, 1, (size_t)(p - cfg), o);
	fputs(moved, o);
	fputs(p + strlen(key), o);
	fclose(o);
	free(cfg);
	snprintf(f->log, sizeof f->log, "%s/execd.log", f->pf.dir);
	snprintf(f->audit, sizeof f->audit, "%s/log/execd.audit", f->pf.dir);
	char err[256];
	assert_int_equal(hat_ring_attach(&f->order, f->pf.instance, "order", HAT_RING_PRODUCER,
	                                 HAT_SLOT_ORDER, 0, err, sizeof err), 0);
	assert_int_equal(hat_ring_attach(&f->exec, f->pf.instance, "exec", HAT_RING_CONSUMER,
	                                 HAT_SLOT_EXEC, 0, err, sizeof err), 0);
	hp_signer(&f->b, HP_KEY_B);
	struct hl_signer a;
	hp_signer(&a, HP_KEY_A);
	hp_addr(&a, f->addr_a);
	hl_signer_deinit(&a);
}

/* Replaces the first occurrence of old by new in the instance's config file. */
static void patch_config(struct fx *f, const char *old, const char *new)
{
	char *cfg = tu_read_file(f->pf.config);
	char *p = strstr(cfg, old);
	assert_non_null(p);
	FILE *o = fopen(f->pf.config, "w");
	fwrite(cfg, 1, (size_t)(p - cfg), o);
	fputs(new, o);
	fputs(p + strlen(old), o);
	fclose(o);
	free(cfg);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	setup_common(f, NULL, NULL);
	start_execd(f, NULL, NULL);
	*state = f;
	return 0;
}

static void stop_execd(struct fx *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		int st = tu_wait(f->pid, 10000);
		f->pid = 0;
		assert_int_equal(st, 0);
	}
}

static int teardown(void **state)
{
	struct fx *f = *state;
	stop_execd(f);
	if (f->riskd)
		hat_control_close(&f->ctl);
	hat_ring_detach(&f->order);
	hat_ring_detach(&f->exec);
	hl_signer_deinit(&f->b);
	hp_stop(&f->hp);
	pf_teardown(&f->pf);
	free(f);
	return 0;
}

/* ---------------------------------------------------------------- riskd's side */

static void push(struct fx *f, struct hat_msg_hdr *h)
{
	for (int i = 0; i < 2000; i++) {
		if (hat_ring_push_msg(&f->order, h) == 0)
			return;
		hat_sleep_ns(HAT_NS_PER_MS);
	}
	fail_msg("order ring full");
}

static void send_ctl(struct fx *f, uint16_t cmd)
{
	struct hat_msg_control c;
	memset(&c, 0, sizeof c);
	hat_msg_init(&c.h, HAT_MSG_CONTROL);
	c.cmd = cmd;
	c.from_stage = HAT_STAGE_RISKD;
	push(f, &c.h);
}

static void cloid_of(uint8_t out[HAT_CLOID_LEN], unsigned id)
{
	memset(out, 0, HAT_CLOID_LEN);
	out[0] = 0xec;
	out[14] = (uint8_t)(id >> 8);
	out[15] = (uint8_t)id;
}

static void send_order(struct fx *f, unsigned kind, unsigned id, unsigned orig, int side,
                       const char *px, const char *sz, unsigned tif)
{
	struct hat_msg_order m;
	memset(&m, 0, sizeof m);
	hat_msg_init(&m.h, HAT_MSG_ORDER);
	m.h.origin_ns = hat_now_ns();
	m.o.kind = (uint8_t)kind;
	cloid_of(m.o.cloid, id);
	if (orig)
		cloid_of(m.o.orig_cloid, orig);
	strcpy(m.o.coin, "BTC");
	m.o.side = (uint8_t)side;
	m.o.tif = (uint8_t)tif;
	m.o.strategy_id = 1;
	char err[128];
	if (px)
		assert_int_equal(hat_fx_parse(px, strlen(px), &m.o.px, err, sizeof err), 0);
	if (sz)
		assert_int_equal(hat_fx_parse(sz, strlen(sz), &m.o.sz, err, sizeof err), 0);
	m.risk_seq = ++f->seq;
	push(f, &m.h);
}

/* Pops everything available; records EXEC events and snapshot markers. */
static void drain(struct fx *f)
{
	const void *slot;
	if (f->riskd)
		hat_stage_heartbeat(f->riskd, hat_mono_ns());
	while (hat_ring_peek(&f->exec, &slot) == 0) {
		const struct hat_msg_hdr *h = slot;
		/* every message execd publishes passes the consumer's validator */
		struct hat_msg_rejects rej;
		char why[160];
		hat_msg_rejects_init(&rej);
		if (hat_msg_accept(&rej, slot, HAT_SLOT_EXEC, HAT_MSGS_EXEC, why, sizeof why) != 0)
			fail_msg("execd published an invalid message: %s", why);
		if (h->type == HAT_MSG_EXEC) {
			const struct hat_msg_exec *x = slot;
			if (!(x->flags & HAT_EXEC_F_SNAPSHOT) && f->n_ev < MAX_EV)
				f->ev[f->n_ev++] = *x;
			else if (x->flags & HAT_EXEC_F_SNAPSHOT)
				f->snap_rows++;
		} else if (h->type == HAT_MSG_POSITION) {
			f->snap_rows++;
		} else if (h->type == HAT_MSG_CONTROL) {
			const struct hat_msg_control *c = slot;
			if (c->cmd == HAT_CTL_HELLO)
				f->hello++;
			if (c->cmd == HAT_CTL_SNAPSHOT_BEGIN) {
				f->snap_rows = 0;
				f->snap_done = false;
			}
			if (c->cmd == HAT_CTL_SNAPSHOT_END) {
				assert_int_equal(c->arg, f->snap_rows);
				f->snap_done = true;
			}
		}
		hat_ring_release(&f->exec);
	}
}

/* Index of the first event (from *from) of kind for cloid id, waiting up to 15 s. */
static size_t wait_ev(struct fx *f, unsigned kind, unsigned id, size_t from)
{
	uint8_t c[HAT_CLOID_LEN];
	cloid_of(c, id);
	uint64_t end = tu_now_ms() + 15000;
	do {
		drain(f);
		for (size_t i = from; i < f->n_ev; i++)
			if (f->ev[i].kind == kind && memcmp(f->ev[i].cloid, c, HAT_CLOID_LEN) == 0)
				return i;
		hat_sleep_ns(2 * HAT_NS_PER_MS);
	} while (tu_now_ms() < end);
	char why[300];
	snprintf(why, sizeof why, "no exec event kind %u for cloid %u (%zu events seen)", kind, id,
	         f->n_ev);
	char *log = tu_read_file(f->log);
	fail_msg("%s\nexecd log:\n%s", why, log ? log : "(none)");
	return 0;
}

static size_t count_ev(struct fx *f, unsigned kind, unsigned id)
{
	uint8_t c[HAT_CLOID_LEN];
	cloid_of(c, id);
	size_t n = 0;
	for (size_t i = 0; i < f->n_ev; i++)
		if (f->ev[i].kind == kind && memcmp(f->ev[i].cloid, c, HAT_CLOID_LEN) == 0)
			n++;
	return n;
}

/* Asks for the state and waits for the whole snapshot (execd reconciled). */
static void wait_ready(struct fx *f)
{
	f->snap_done = false;
	send_ctl(f, HAT_CTL_STATE_REQUEST);
	uint64_t end = tu_now_ms() + 20000;
	while (!f->snap_done && tu_now_ms() < end) {
		drain(f);
		hat_sleep_ns(2 * HAT_NS_PER_MS);
	}
	if (!f->snap_done) {
		char *log = tu_read_file(f->log);
		fail_msg("execd never sent its snapshot\nexecd log:\n%s", log ? log : "(none)");
	}
}

static char *open_orders(struct fx *f)
{
	return hp_info(&f->hp, "{\"type\":\"openOrders\",\"user\":\"%s\"}", f->addr_a);
}

static size_t occurrences(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static const char *cloid_hex(unsigned id)
{
	static char s[HL_CLOID_STRLEN];
	uint8_t c[HAT_CLOID_LEN];
	cloid_of(c, id);
	hl_hex_encode(c, HAT_CLOID_LEN, s);
	return s;
}

/* B takes liquidity: an IOC of sz at px on BTC. */
static void b_take(struct fx *f, bool buy, const char *px, const char *sz)
{
	char a[400];
	snprintf(a, sizeof a,
	         "{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":%s,\"p\":\"%s\",\"s\":\"%s\","
	         "\"r\":false,\"t\":{\"limit\":{\"tif\":\"Ioc\"}}}],\"grouping\":\"na\"}",
	         buy ? "true" : "false", px, sz);
	long st;
	char *r = hp_exchange(&f->hp, &f->b, a, 0, &st);
	assert_int_equal(st, 200);
	if (!strstr(r, "\"filled\""))
		fail_msg("B's IOC did not fill: %s", r);
	free(r);
}

/* ---------------------------------------------------------------- tests */

static void test_execd_place_partial_fill_fill_and_cancel(void **state)
{
	struct fx *f = *state;
	wait_ready(f);
	assert_int_equal(f->snap_rows, 0);
	send_order(f, HAT_INTENT_NEW, 1, 0, HAT_SIDE_BUY, "60000", "0.002", HAT_TIF_ALO);
	size_t i = wait_ev(f, HAT_EXEC_ACK, 1, 0);
	assert_true(f->ev[i].oid > 0);
	assert_int_equal(f->ev[i].px, 60000 * HAT_FX_ONE);
	assert_int_equal(f->ev[i].risk_seq, 1);
	char *oo = open_orders(f);
	assert_int_equal(occurrences(oo, cloid_hex(1)), 1);
	free(oo);

	b_take(f, false, "60000", "0.0015");
	i = wait_ev(f, HAT_EXEC_FILL, 1, 0);
	assert_int_equal(f->ev[i].sz, 150000);
	assert_int_equal(f->ev[i].remaining_sz, 50000);
	assert_int_equal(f->ev[i].flags & HAT_EXEC_F_FINAL, 0);
	assert_true(f->ev[i].tid > 0);
	b_take(f, false, "60000", "0.0005");
	i = wait_ev(f, HAT_EXEC_FILL, 1, i + 1);
	assert_int_equal(f->ev[i].sz, 50000);
	assert_int_equal(f->ev[i].remaining_sz, 0);
	assert_int_equal(f->ev[i].flags & HAT_EXEC_F_FINAL, HAT_EXEC_F_FINAL);
	char *fills = hp_info(&f->hp, "{\"type\":\"userFills\",\"user\":\"%s\"}", f->addr_a);
	assert_int_equal(occurrences(fills, "\"tid\""), 2);
	free(fills);

	send_order(f, HAT_INTENT_NEW, 2, 0, HAT_SIDE_SELL, "70000", "0.001", HAT_TIF_GTC);
	wait_ev(f, HAT_EXEC_ACK, 2, 0);
	send_order(f, HAT_INTENT_CANCEL, 2, 0, HAT_SIDE_SELL, NULL, NULL, HAT_TIF_GTC);
	i = wait_ev(f, HAT_EXEC_CANCELED, 2, 0);
	assert_int_equal(f->ev[i].flags & HAT_EXEC_F_FINAL, HAT_EXEC_F_FINAL);
	oo = open_orders(f);
	assert_string_equal(oo, "[]");
	free(oo);
	assert_int_equal(count_ev(f, HAT_EXEC_FILL, 1), 2);
}

static void test_execd_reject_paths(void **state)
{
	struct fx *f = *state;
	wait_ready(f);
	/* a resting ask at 65000, then an ALO bid crossing it */
	send_order(f, HAT_INTENT_NEW, 10, 0, HAT_SIDE_SELL, "65000", "0.001", HAT_TIF_GTC);
	wait_ev(f, HAT_EXEC_ACK, 10, 0);
	send_order(f, HAT_INTENT_NEW, 11, 0, HAT_SIDE_BUY, "66000", "0.001", HAT_TIF_ALO);
	size_t i = wait_ev(f, HAT_EXEC_REJECT, 11, 0);
	assert_int_equal(f->ev[i].reason, HAT_REASON_EXCH_POST_ONLY_CROSS);
	assert_true(f->ev[i].text[0] != '\0');
	/* an IOC that cannot match (no bids) */
	send_order(f, HAT_INTENT_NEW, 12, 0, HAT_SIDE_SELL, "50000", "0.001", HAT_TIF_IOC);
	i = wait_ev(f, HAT_EXEC_REJECT, 12, 0);
	assert_int_equal(f->ev[i].reason, HAT_REASON_EXCH_IOC_NO_MATCH);
	/* cancel of a cloid nobody knows */
	send_order(f, HAT_INTENT_CANCEL, 13, 0, HAT_SIDE_SELL, NULL, NULL, HAT_TIF_GTC);
	i = wait_ev(f, HAT_EXEC_CANCEL_REJECT, 13, 0);
	assert_int_equal(f->ev[i].reason, HAT_REASON_EXCH_UNKNOWN_ORDER);
	/* the same cloid twice */
	send_order(f, HAT_INTENT_NEW, 10, 0, HAT_SIDE_SELL, "65000", "0.001", HAT_TIF_GTC);
	i = wait_ev(f, HAT_EXEC_REJECT, 10, 0);
	assert_int_equal(f->ev[i].reason, HAT_REASON_RISK_DUPLICATE_CLOID);
	char *oo = open_orders(f);
	assert_int_equal(occurrences(oo, "\"oid\""), 1);
	free(oo);
}

static void test_execd_modify(void **state)
{
	struct fx *f = *state;
	wait_ready(f);
	send_order(f, HAT_INTENT_NEW, 20, 0, HAT_SIDE_BUY, "60000", "0.001", HAT_TIF_GTC);
	wait_ev(f, HAT_EXEC_ACK, 20, 0);
	send_order(f, HAT_INTENT_REPLACE, 21, 20, HAT_SIDE_BUY, "60500", "0.002", HAT_TIF_GTC);
	size_t i = wait_ev(f, HAT_EXEC_REPLACED, 21, 0);
	uint8_t c[HAT_CLOID_LEN];
	cloid_of(c, 20);
	assert_memory_equal(f->ev[i].orig_cloid, c, HAT_CLOID_LEN);
	char *oo = open_orders(f);
	assert_int_equal(occurrences(oo, "\"oid\""), 1);
	assert_non_null(strstr(oo, "\"limitPx\":\"60500\""));
	free(oo);
}

static void test_execd_cancel_all(void **state)
{
	struct fx *f = *state;
	wait_ready(f);
	for (unsigned k = 0; k < 3; k++)
		send_order(f, HAT_INTENT_NEW, 30 + k, 0, HAT_SIDE_BUY, k == 0 ? "59000" : k == 1 ? "59100" : "59200",
		           "0.001", HAT_TIF_ALO);
	for (unsigned k = 0; k < 3; k++)
		wait_ev(f, HAT_EXEC_ACK, 30 + k, 0);
	send_ctl(f, HAT_CTL_CANCEL_ALL);
	for (unsigned k = 0; k < 3; k++)
		wait_ev(f, HAT_EXEC_CANCELED, 30 + k, 0);
	char *oo = open_orders(f);
	assert_string_equal(oo, "[]");
	free(oo);
}

/* Searches a file for the key (hex text in both cases and the raw 32 bytes). */
static void assert_no_key_in(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	ssize_t r;
	while ((r = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)r;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	close(fd);
	uint8_t key[32];
	char err[64];
	assert_int_equal(hl_key_parse(HP_KEY_A, key, err, sizeof err), 0);
	const char *hex = HP_KEY_A + 2;
	assert_null(memmem(buf, len, hex, 64));
	assert_null(memmem(buf, len, key, 32));
	free(buf);
}

static void test_execd_key_never_in_logs_shm_or_audit(void **state)
{
	struct fx *f = *state;
	wait_ready(f);
	send_order(f, HAT_INTENT_NEW, 40, 0, HAT_SIDE_BUY, "60000", "0.001", HAT_TIF_ALO);
	wait_ev(f, HAT_EXEC_ACK, 40, 0);
	char *audit = tu_read_file(f->audit);
	assert_non_null(audit);
	assert_non_null(strstr(audit, "\"kind\":\"request\"")); /* the audit is really written */
	free(audit);
	assert_no_key_in(f->audit);
	assert_no_key_in(f->log);
	char out[420];
	snprintf(out, sizeof out, "%s.out", f->log);
	assert_no_key_in(out);
	DIR *dir = opendir("/dev/shm");
	assert_non_null(dir);
	char prefix[64];
	snprintf(prefix, sizeof prefix, "hat.%s.", f->pf.instance);
	struct dirent *de;
	int seen = 0;
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		char p[512];
		snprintf(p, sizeof p, "/dev/shm/%s", de->d_name);
		assert_no_key_in(p);
		seen++;
	}
	closedir(dir);
	assert_true(seen >= 3);
}

/* Crash right after the order action was journaled, before it was sent: after the restart
 * the order's fate is asked (unknown at the exchange: REJECT), nothing is sent twice. */
static void test_execd_crash_after_journal_no_duplicate(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	*state = f;
	setup_common(f, NULL, NULL);
	start_execd(f, "journaled", "1");
	wait_ready(f);
	send_order(f, HAT_INTENT_NEW, 50, 0, HAT_SIDE_BUY, "60000", "0.001", HAT_TIF_GTC);
	int st = tu_wait(f->pid, 15000);
	f->pid = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 86);
	start_execd(f, NULL, NULL);
	size_t i = wait_ev(f, HAT_EXEC_REJECT, 50, 0);
	assert_int_equal(f->ev[i].reason, HAT_REASON_EXCH_UNKNOWN_ORDER);
	wait_ready(f);
	char *oo = open_orders(f);
	assert_string_equal(oo, "[]");
	free(oo);
	char *hist = hp_info(&f->hp, "{\"type\":\"orderStatus\",\"user\":\"%s\",\"oid\":\"%s\"}",
	                     f->addr_a, cloid_hex(50));
	assert_string_equal(hist, "{\"status\":\"unknownOid\"}");
	free(hist);
	/* and execd trades normally afterwards */
	send_order(f, HAT_INTENT_NEW, 51, 0, HAT_SIDE_BUY, "60000", "0.001", HAT_TIF_GTC);
	wait_ev(f, HAT_EXEC_ACK, 51, 0);
}

/* Crash after the action reached the exchange and was answered, before the answer was
 * applied: after the restart the order is found resting (ACK) and exists exactly once. */
static void test_execd_crash_after_send_no_duplicate(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	*state = f;
	setup_common(f, NULL, NULL);
	start_execd(f, "answered", "1");
	wait_ready(f);
	send_order(f, HAT_INTENT_NEW, 60, 0, HAT_SIDE_BUY, "60000", "0.001", HAT_TIF_GTC);
	int st = tu_wait(f->pid, 15000);
	f->pid = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 86);
	start_execd(f, NULL, NULL);
	wait_ev(f, HAT_EXEC_ACK, 60, 0);
	wait_ready(f);
	if (f->snap_rows != 1) { /* the open order; no position */
		char *log = tu_read_file(f->log);
		fail_msg("snapshot rows %llu, want 1\n%s", (unsigned long long)f->snap_rows, log);
	}
	char *oo = open_orders(f);
	assert_int_equal(occurrences(oo, cloid_hex(60)), 1);
	assert_int_equal(occurrences(oo, "\"oid\""), 1);
	free(oo);
}

/* hlsim drops idle WebSockets every 300 ms (execd's stream never pings in time), while B fills
 * execd's order piece by piece: every fill arrives exactly once. */
static void test_execd_ws_drops_lose_no_fill(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	*state = f;
	static const char *const extra[] = { "--ws-idle-ms", "300", NULL };
	setup_common(f, extra, "\"ping_idle_ms\": 60000, \"silent_ms\": 120000, "
	                       "\"reconnect_min_ms\": 20, \"reconnect_max_ms\": 50");
	start_execd(f, NULL, NULL);
	wait_ready(f);
	send_order(f, HAT_INTENT_NEW, 70, 0, HAT_SIDE_SELL, "61000", "0.01", HAT_TIF_GTC);
	wait_ev(f, HAT_EXEC_ACK, 70, 0);
	for (int k = 0; k < 10; k++) {
		b_take(f, true, "61000", "0.001");
		hat_sleep_ns(70 * HAT_NS_PER_MS);
	}
	size_t i = 0;
	for (int k = 0; k < 10; k++)
		i = wait_ev(f, HAT_EXEC_FILL, 70, k ? i + 1 : 0);
	assert_int_equal(f->ev[i].remaining_sz, 0);
	hat_sleep_ns(500 * HAT_NS_PER_MS);
	drain(f);
	assert_int_equal(count_ev(f, HAT_EXEC_FILL, 70), 10);
	for (size_t a = 0; a < f->n_ev; a++)
		for (size_t b = a + 1; b < f->n_ev; b++)
			if (f->ev[a].kind == HAT_EXEC_FILL && f->ev[b].kind == HAT_EXEC_FILL)
				assert_true(f->ev[a].tid != f->ev[b].tid);
	char *log = tu_read_file(f->log);
	assert_true(occurrences(log, "\"stream_closed\"") >= 1);
	free(log);
}

/* The dead-man's switch: armed while riskd is alive; when riskd's heartbeat stops execd stops
 * re-arming and the exchange cancels everything at the deadline (CANCELED events follow). */
static void test_execd_dead_man_switch_fires_when_riskd_dies(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	*state = f;
	setup_common(f, NULL, "\"riskd_timeout_ms\": 300");
	patch_config(f, "\"dead_man_ms\": 60000", "\"dead_man_ms\": 10000");
	patch_config(f, "\"dead_man_rearm_ms\": 20000", "\"dead_man_rearm_ms\": 1000");
	char err[256];
	assert_int_equal(hat_control_open(&f->ctl, f->pf.instance, 0, err, sizeof err), 0);
	f->riskd = hat_control_stage(&f->ctl, HAT_STAGE_RISKD);
	assert_non_null(f->riskd);
	hat_stage_begin(f->riskd, getpid(), hat_mono_ns(), hat_now_ns());
	hat_stage_set_state(f->riskd, HAT_STATE_RUNNING);
	start_execd(f, NULL, NULL);
	wait_ready(f);
	send_order(f, HAT_INTENT_NEW, 80, 0, HAT_SIDE_BUY, "60000", "0.001", HAT_TIF_ALO);
	send_order(f, HAT_INTENT_NEW, 81, 0, HAT_SIDE_BUY, "60100", "0.001", HAT_TIF_ALO);
	wait_ev(f, HAT_EXEC_ACK, 80, 0);
	wait_ev(f, HAT_EXEC_ACK, 81, 0);
	const struct hat_stage_shm *ex = hat_control_stage(&f->ctl, HAT_STAGE_EXECD);
	uint64_t arms = 0, end = tu_now_ms() + 10000;
	while (arms < 2 && tu_now_ms() < end) {
		drain(f);
		hat_stage_counter_find(ex, "dm_arms", &arms);
		hat_sleep_ns(20 * HAT_NS_PER_MS);
	}
	assert_true(arms >= 2); /* armed, then re-armed */
	char *oo = open_orders(f);
	assert_int_equal(occurrences(oo, "\"oid\""), 2); /* still protected, not fired */
	free(oo);
	f->riskd = NULL; /* riskd "dies": no more heartbeats */
	wait_ev(f, HAT_EXEC_CANCELED, 80, 0);
	wait_ev(f, HAT_EXEC_CANCELED, 81, 0);
	oo = open_orders(f);
	assert_string_equal(oo, "[]");
	free(oo);
	uint64_t trig = 0;
	end = tu_now_ms() + 3000;
	while (trig == 0 && tu_now_ms() < end) {
		hat_stage_counter_find(ex, "dm_triggers", &trig);
		hat_sleep_ns(20 * HAT_NS_PER_MS);
	}
	assert_int_equal(trig, 1);
	f->riskd = hat_control_stage(&f->ctl, HAT_STAGE_RISKD); /* for teardown's close */
}

/* hlsim stops (state saved) and comes back on the same port; B fills execd's order right away,
 * before execd's stream is back: the fills reach riskd exactly once (reconciliation or the
 * stream's snapshot, deduplicated by tid). */
static void test_execd_hlsim_restart_loses_no_fill(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	*state = f;
	tu_tmpdir(f->hp.dir, sizeof f->hp.dir);
	char sp[400];
	snprintf(sp, sizeof sp, "%s/state.bin", f->hp.dir);
	const char *extra[] = { "--state", sp, NULL };
	setup_common(f, extra, NULL);
	start_execd(f, NULL, NULL);
	wait_ready(f);
	send_order(f, HAT_INTENT_NEW, 90, 0, HAT_SIDE_SELL, "62000", "0.004", HAT_TIF_GTC);
	wait_ev(f, HAT_EXEC_ACK, 90, 0);
	int port = f->hp.port;
	hp_stop_keep(&f->hp);
	hat_sleep_ns(300 * HAT_NS_PER_MS);
	char ps[16];
	snprintf(ps, sizeof ps, "%d", port);
	const char *extra2[] = { "--state", sp, "--port", ps, NULL };
	hp_start(&f->hp, hp_config_quiet, extra2);
	assert_int_equal(f->hp.port, port);
	b_take(f, true, "62000", "0.001");
	b_take(f, true, "62000", "0.001");
	size_t i = wait_ev(f, HAT_EXEC_FILL, 90, 0);
	i = wait_ev(f, HAT_EXEC_FILL, 90, i + 1);
	assert_int_equal(f->ev[i].remaining_sz, 200000);
	b_take(f, true, "62000", "0.002");
	i = wait_ev(f, HAT_EXEC_FILL, 90, i + 1);
	assert_int_equal(f->ev[i].remaining_sz, 0);
	hat_sleep_ns(500 * HAT_NS_PER_MS);
	drain(f);
	assert_int_equal(count_ev(f, HAT_EXEC_FILL, 90), 3);
}

/* hlsim's per-IP weight budget (150) runs out under 80 one-order requests (exec_extra: execd
 * config, e.g. use_ws_post): every order is acked or rejected with EXCH_RATE_LIMIT (by the
 * exchange's 429, then by execd's own backoff); some of each. */
static void rate_limited_run(struct fx *f, const char *exec_extra)
{
	static const char *const extra[] = { "--rl-rest-weight", "150", NULL };
	setup_common(f, extra, exec_extra);
	patch_config(f, "\"max_batch\": 40", "\"max_batch\": 1"); /* one request per order */
	start_execd(f, NULL, NULL);
	wait_ready(f);
	for (unsigned k = 0; k < 80; k++)
		send_order(f, HAT_INTENT_NEW, 100 + k, 0, HAT_SIDE_BUY, "50000", "0.001",
		           HAT_TIF_ALO);
	size_t acks = 0, limited = 0, other = 0;
	uint64_t end = tu_now_ms() + 20000;
	while (acks + limited + other < 80 && tu_now_ms() < end) {
		hat_sleep_ns(5 * HAT_NS_PER_MS);
		drain(f);
		acks = limited = other = 0;
		for (size_t i = 0; i < f->n_ev; i++) {
			if (f->ev[i].kind == HAT_EXEC_ACK)
				acks++;
			else if (f->ev[i].kind == HAT_EXEC_REJECT &&
			         f->ev[i].reason == HAT_REASON_EXCH_RATE_LIMIT)
				limited++;
			else
				other++;
		}
	}
	assert_int_equal(acks + limited + other, 80);
	assert_int_equal(other, 0);
	assert_true(acks > 0);
	assert_true(limited > 0);
}

/* The budget runs out over HTTP: nothing is retried. */
static void test_execd_rate_limit_rejects_with_reason(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	*state = f;
	rate_limited_run(f, NULL);
	/* (hlsim's /info is out of budget for this IP too: its view is not asked here) */
}

/* The same order path over the WebSocket post method (use_ws_post): ack, fill, cancel. */
static void test_execd_ws_post_place_fill_cancel(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	*state = f;
	setup_common(f, NULL, "\"use_ws_post\": true");
	start_execd(f, NULL, NULL);
	wait_ready(f);
	send_order(f, HAT_INTENT_NEW, 110, 0, HAT_SIDE_BUY, "60000", "0.002", HAT_TIF_GTC);
	size_t i = wait_ev(f, HAT_EXEC_ACK, 110, 0);
	assert_true(f->ev[i].oid > 0);
	b_take(f, false, "60000", "0.001");
	i = wait_ev(f, HAT_EXEC_FILL, 110, 0);
	assert_int_equal(f->ev[i].remaining_sz, 100000);
	send_order(f, HAT_INTENT_CANCEL, 110, 0, HAT_SIDE_BUY, NULL, NULL, HAT_TIF_GTC);
	wait_ev(f, HAT_EXEC_CANCELED, 110, 0);
	char *oo = open_orders(f);
	assert_string_equal(oo, "[]");
	free(oo);
	const struct hat_stage_shm *ex;
	struct hat_control ctl;
	char err[256];
	assert_int_equal(hat_control_open(&ctl, f->pf.instance, 0, err, sizeof err), 0);
	ex = hat_control_stage(&ctl, HAT_STAGE_EXECD);
	uint64_t retries = 1;
	assert_int_equal(hat_stage_counter_find(ex, "retries", &retries), 0);
	assert_int_equal(retries, 0); /* answered over the WebSocket, not by an HTTP retry */
	uint64_t posts = 0;
	for (int k = 0; k < 100 && posts < 2; k++) { /* counters flush every heartbeat */
		hat_stage_counter_find(ex, "ws_posts", &posts);
		hat_sleep_ns(10 * HAT_NS_PER_MS);
	}
	assert_int_equal(posts, 2); /* the order and the cancel */
	hat_control_close(&ctl);
	char *log = tu_read_file(f->log);
	assert_null(strstr(log, "request_failed"));
	free(log);
}

/* An order placed outside hat (no cloid) is adopted at start (snapshot row) and CANCEL_ALL
 * cancels it too, by oid; its CANCELED event carries the oid. */
static void test_execd_cancel_all_includes_foreign_orders(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	*state = f;
	setup_common(f, NULL, NULL);
	struct hl_signer a;
	hp_signer(&a, HP_KEY_A);
	long st;
	char *r = hp_exchange(&f->hp, &a,
	                      "{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":true,\"p\":\"58000\","
	                      "\"s\":\"0.001\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}],"
	                      "\"grouping\":\"na\"}", 0, &st);
	hl_signer_deinit(&a);
	assert_int_equal(st, 200);
	char *p = strstr(r, "\"oid\":");
	assert_non_null(p);
	uint64_t oid = strtoull(p + 6, NULL, 10);
	free(r);
	start_execd(f, NULL, NULL);
	wait_ready(f);
	assert_int_equal(f->snap_rows, 1);
	send_order(f, HAT_INTENT_NEW, 120, 0, HAT_SIDE_BUY, "58100", "0.001", HAT_TIF_ALO);
	wait_ev(f, HAT_EXEC_ACK, 120, 0);
	send_ctl(f, HAT_CTL_CANCEL_ALL);
	wait_ev(f, HAT_EXEC_CANCELED, 120, 0);
	uint64_t end = tu_now_ms() + 15000;
	bool seen = false;
	while (!seen && tu_now_ms() < end) {
		drain(f);
		for (size_t i = 0; i < f->n_ev; i++)
			seen |= f->ev[i].kind == HAT_EXEC_CANCELED && f->ev[i].oid == oid;
		hat_sleep_ns(5 * HAT_NS_PER_MS);
	}
	if (!seen) {
		char *oo = open_orders(f), *au = tu_read_file(f->audit);
		fail_msg("no CANCELED for oid %llu; open orders %s\naudit:\n%s",
		         (unsigned long long)oid, oo, au);
	}
	char *oo = open_orders(f);
	assert_string_equal(oo, "[]");
	free(oo);
}

/* execd starts while the exchange is down: it is not ready (no snapshot, riskd's orders wait
 * in the ring) and retries calmly; once the exchange is up it reconciles and trades. */
static void test_execd_waits_for_the_exchange(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	*state = f;
	setup_common(f, NULL, NULL);
	int port = f->hp.port;
	hp_stop_keep(&f->hp);
	start_execd(f, NULL, NULL);
	send_ctl(f, HAT_CTL_STATE_REQUEST);
	send_order(f, HAT_INTENT_NEW, 130, 0, HAT_SIDE_BUY, "60000", "0.001", HAT_TIF_GTC);
	uint64_t end = tu_now_ms() + 1000;
	while (tu_now_ms() < end) {
		drain(f);
		hat_sleep_ns(10 * HAT_NS_PER_MS);
	}
	assert_false(f->snap_done);
	assert_int_equal(f->n_ev, 0);
	/* failed attempts are paced (500 ms apart), not a busy loop */
	struct hat_control ctl;
	char err[256];
	assert_int_equal(hat_control_open(&ctl, f->pf.instance, 0, err, sizeof err), 0);
	uint64_t terr = 0;
	assert_int_equal(hat_stage_counter_find(hat_control_stage(&ctl, HAT_STAGE_EXECD),
	                                        "transport_errors", &terr), 0);
	hat_control_close(&ctl);
	assert_true(terr >= 1);
	assert_true(terr <= 6);
	char ps[16];
	snprintf(ps, sizeof ps, "%d", port);
	const char *extra[] = { "--port", ps, NULL };
	hp_start(&f->hp, hp_config_quiet, extra);
	/* the STATE_REQUEST sent while down is answered once reconciled */
	end = tu_now_ms() + 20000;
	while (!f->snap_done && tu_now_ms() < end) {
		drain(f);
		hat_sleep_ns(10 * HAT_NS_PER_MS);
	}
	assert_true(f->snap_done);
	wait_ev(f, HAT_EXEC_ACK, 130, 0);
}

/* The answer to an order action is lost in transit (it landed): execd resends the SAME signed
 * body (same nonce: the exchange refuses it as a duplicate, nothing is placed twice), then
 * asks orderStatus by cloid and reports the order resting. */
static void test_execd_lost_answer_retries_same_nonce_no_duplicate(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	*state = f;
	setup_common(f, NULL, NULL);
	start_execd(f, "lose_answer", "1");
	wait_ready(f);
	send_order(f, HAT_INTENT_NEW, 140, 0, HAT_SIDE_BUY, "60000", "0.001", HAT_TIF_GTC);
	size_t i = wait_ev(f, HAT_EXEC_ACK, 140, 0);
	assert_true(f->ev[i].oid > 0);
	char *oo = open_orders(f);
	assert_int_equal(occurrences(oo, cloid_hex(140)), 1);
	assert_int_equal(occurrences(oo, "\"oid\""), 1);
	free(oo);
	hat_sleep_ns(200 * HAT_NS_PER_MS);
	drain(f);
	assert_int_equal(count_ev(f, HAT_EXEC_ACK, 140), 1);
	assert_int_equal(count_ev(f, HAT_EXEC_REJECT, 140), 0);
	/* the resend carried the same nonce: the audit shows the exchange's duplicate refusal */
	char *audit = tu_read_file(f->audit);
	assert_non_null(strstr(audit, "duplicate nonce"));
	free(audit);
}

/* execd's control-block counter name, once its published value equals want (counters flush
 * every heartbeat); fails with the value seen after 10 s. */
static void wait_counter(struct fx *f, const char *name, uint64_t want)
{
	struct hat_control ctl;
	char err[256];
	assert_int_equal(hat_control_open(&ctl, f->pf.instance, 0, err, sizeof err), 0);
	const struct hat_stage_shm *ex = hat_control_stage(&ctl, HAT_STAGE_EXECD);
	uint64_t v = UINT64_MAX, end = tu_now_ms() + 10000;
	do {
		drain(f);
		assert_int_equal(hat_stage_counter_find(ex, name, &v), 0);
		if (v == want)
			break;
		hat_sleep_ns(10 * HAT_NS_PER_MS);
	} while (tu_now_ms() < end);
	hat_control_close(&ctl);
	if (v != want)
		fail_msg("execd counter %s is %llu, expected %llu", name, (unsigned long long)v,
		         (unsigned long long)want);
}

static void kill_execd(struct fx *f)
{
	kill(f->pid, SIGKILL);
	int st = tu_wait(f->pid, 10000);
	f->pid = 0;
	assert_true(WIFSIGNALED(st));
}

/* execd dies (SIGKILL) after a fill; one more fill happens while it is down; it restarts,
 * then restarts again (clean stop): the fill from before is never published again, the one
 * from the downtime exactly once; the audit trail holds each fill once; the control block's
 * counters continue from where the killed process left them. */
static void test_execd_restart_publishes_each_fill_once(void **state)
{
	struct fx *f = *state;
	wait_ready(f);
	send_order(f, HAT_INTENT_NEW, 160, 0, HAT_SIDE_BUY, "60000", "0.003", HAT_TIF_GTC);
	wait_ev(f, HAT_EXEC_ACK, 160, 0);
	b_take(f, false, "60000", "0.001");
	size_t i = wait_ev(f, HAT_EXEC_FILL, 160, 0);
	uint64_t tid1 = f->ev[i].tid;
	wait_counter(f, "fills", 1);
	wait_counter(f, "acks", 1);
	kill_execd(f);
	b_take(f, false, "60000", "0.001"); /* while execd is down */
	start_execd(f, NULL, NULL);
	wait_ready(f);
	i = wait_ev(f, HAT_EXEC_FILL, 160, i + 1);
	uint64_t tid2 = f->ev[i].tid;
	assert_true(tid2 != tid1);
	assert_int_equal(f->ev[i].sz, 100000);
	b_take(f, false, "60000", "0.001"); /* live again */
	i = wait_ev(f, HAT_EXEC_FILL, 160, i + 1);
	assert_int_equal(f->ev[i].remaining_sz, 0);
	wait_counter(f, "fills", 3);  /* 1 from the first process, 2 from this one */
	wait_counter(f, "reconciles", 2);
	stop_execd(f);
	start_execd(f, NULL, NULL);  /* its WAL was compacted at the last open: fills kept */
	wait_ready(f);
	hat_sleep_ns(300 * HAT_NS_PER_MS);
	drain(f);
	assert_int_equal(count_ev(f, HAT_EXEC_FILL, 160), 3);
	for (size_t a = 0; a < f->n_ev; a++)
		for (size_t b = a + 1; b < f->n_ev; b++)
			if (f->ev[a].kind == HAT_EXEC_FILL && f->ev[b].kind == HAT_EXEC_FILL)
				assert_true(f->ev[a].tid != f->ev[b].tid);
	wait_counter(f, "fills", 3);
	wait_counter(f, "reconciles", 3);
	/* the audit trail: one event line per fill, Hyperliquid's fill fields */
	char *audit = tu_read_file(f->audit);
	assert_int_equal(occurrences(audit, "\"kind\":\"event\",\"nonce\":0,\"body\":{\"fills\":[{"), 3);
	char tid[64];
	snprintf(tid, sizeof tid, "\"tid\":%llu,", (unsigned long long)tid2);
	assert_int_equal(occurrences(audit, tid), 1);
	snprintf(tid, sizeof tid, "\"cloid\":\"%s\"}]}", cloid_hex(160));
	assert_int_equal(occurrences(audit, tid), 3);
	assert_int_equal(occurrences(audit, "\"px\":\"60000\",\"sz\":\"0.001\",\"side\":\"B\""), 3);
	/* each is a Hyperliquid fill object hl/ parses back to the published fill */
	int parsed = 0;
	for (char *line = strtok(audit, "\n"); line; line = strtok(NULL, "\n")) {
		cJSON *j = cJSON_Parse(line);
		const cJSON *body = cJSON_GetObjectItemCaseSensitive(j, "body");
		const cJSON *arr = cJSON_GetObjectItemCaseSensitive(body, "fills");
		if (cJSON_IsArray(arr)) {
			struct hl_fill fl;
			size_t n = 0, total = 0;
			char perr[200];
			struct hl_jpath jp = HL_JPATH_ROOT("fills");
			if (hl_fills_parse(arr, &jp, &fl, 1, &n, &total, perr, sizeof perr) != 0)
				fail_msg("audit fill line does not parse: %s\n%s", perr, line);
			assert_int_equal(n, 1);
			assert_int_equal(fl.sz, 100000);
			assert_int_equal(fl.px, 60000 * HAT_FX_ONE);
			assert_int_equal(fl.oid, f->ev[i].oid);
			parsed++;
		}
		cJSON_Delete(j);
	}
	assert_int_equal(parsed, 3);
	free(audit);
	char *log = tu_read_file(f->log);
	assert_non_null(strstr(log, "\"fills_restored\""));
	free(log);
}

/* The order ring's seq jumps (4 messages lost) and then repeats (a replay): execd counts the
 * gap and the duplicates in its control block and logs them; the duplicates are dropped and
 * the orders after them go through. */
static void test_execd_order_ring_seq_gap_and_dups_counted(void **state)
{
	struct fx *f = *state;
	wait_ready(f);
	uint64_t s = hat_ring_next_seq(&f->order);
	for (int k = 0; k < 5; k++) {
		struct hat_msg_control c;
		memset(&c, 0, sizeof c);
		hat_msg_init(&c.h, HAT_MSG_CONTROL);
		c.cmd = HAT_CTL_RESUME;
		c.from_stage = HAT_STAGE_RISKD;
		c.h.seq = s + 4; /* the first is 4 ahead; the next four repeat it */
		assert_int_equal(hat_ring_try_push(&f->order, &c, sizeof c), 0);
	}
	assert_int_equal(hat_ring_next_seq(&f->order), s + 5);
	send_order(f, HAT_INTENT_NEW, 170, 0, HAT_SIDE_BUY, "60000", "0.001", HAT_TIF_GTC);
	wait_ev(f, HAT_EXEC_ACK, 170, 0);
	wait_counter(f, "seq_gaps", 1);
	wait_counter(f, "seq_lost", 4);
	wait_counter(f, "seq_dups", 4);
	char *log = tu_read_file(f->log);
	assert_int_equal(occurrences(log, "\"seq_gap\""), 1);
	assert_true(occurrences(log, "\"seq_dup\"") >= 1);
	free(log);
}

/* Orders over the WebSocket post method while hlsim's per-IP budget runs out: a post refused
 * with a rate-limit error is not retried over HTTP; the orders are rejected with
 * EXCH_RATE_LIMIT and execd backs off. */
static void test_execd_ws_post_rate_limit_not_retried(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	*state = f;
	rate_limited_run(f, "\"use_ws_post\": true");
	wait_counter(f, "orders_in", 80); /* published with the same heartbeat as retries */
	wait_counter(f, "retries", 0);
	char *audit = tu_read_file(f->audit);
	assert_non_null(strstr(audit, "429 rate limited"));
	free(audit);
	char *log = tu_read_file(f->log);
	assert_null(strstr(log, "request_failed"));
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_execd_place_partial_fill_fill_and_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execd_reject_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execd_modify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execd_cancel_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execd_key_never_in_logs_shm_or_audit, setup, teardown),
		cmocka_unit_test_teardown(test_execd_crash_after_journal_no_duplicate, teardown),
		cmocka_unit_test_teardown(test_execd_crash_after_send_no_duplicate, teardown),
		cmocka_unit_test_teardown(test_execd_ws_drops_lose_no_fill, teardown),
		cmocka_unit_test_teardown(test_execd_dead_man_switch_fires_when_riskd_dies, teardown),
		cmocka_unit_test_teardown(test_execd_hlsim_restart_loses_no_fill, teardown),
		cmocka_unit_test_teardown(test_execd_rate_limit_rejects_with_reason, teardown),
		cmocka_unit_test_teardown(test_execd_ws_post_place_fill_cancel, teardown),
		cmocka_unit_test_teardown(test_execd_cancel_all_includes_foreign_orders, teardown),
		cmocka_unit_test_teardown(test_execd_waits_for_the_exchange, teardown),
		cmocka_unit_test_teardown(test_execd_lost_answer_retries_same_nonce_no_duplicate, teardown),
		cmocka_unit_test_setup_teardown(test_execd_restart_publishes_each_fill_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execd_order_ring_seq_gap_and_dups_counted, setup, teardown),
		cmocka_unit_test_teardown(test_execd_ws_post_rate_limit_not_retried, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
