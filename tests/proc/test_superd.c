/* tests/proc/test_superd.c -- the real superd supervising stand-in stages (fake_stage):
 * start order and readiness, restart after SIGKILL, watchdog on SIGSTOP, operator restart and
 * halt, escalation past the restart intensity, ordered stop with cancel-all first, metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "tests/helpers/pipeline_fixture.h"
#include "tests/helpers/test_util.h"

struct sup_rig {
	struct pf f;
	pid_t superd;
	char sock[512];
	char bindir[512];
	int metrics_port;
};

/* The rig of the running test, so the teardown can clean up after a failed assertion. */
static struct sup_rig *current;

static int teardown(void **state)
{
	(void)state;
	if (current) {
		if (current->superd > 0 && tu_wait(current->superd, 0) == -1)
			tu_kill_wait(current->superd, SIGKILL);
		pf_teardown(&current->f);
		current = NULL;
	}
	return 0;
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(fd, (struct sockaddr *)&a, sizeof a);
	socklen_t len = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

/* One request on the control socket; returns the parsed response (caller frees) or NULL. */
static cJSON *ctl(struct sup_rig *r, const char *req)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(r->sock) >= sizeof a.sun_path)
		fail_msg("socket path too long: %s", r->sock);
	memcpy(a.sun_path, r->sock, strlen(r->sock) + 1);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return NULL;
	}
	if (write(fd, req, strlen(req)) < 0 || write(fd, "\n", 1) < 0) {
		close(fd);
		return NULL;
	}
	char buf[65536];
	size_t n = 0;
	ssize_t k;
	while (n < sizeof buf - 1 && (k = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
		n += (size_t)k;
	close(fd);
	buf[n] = '\0';
	return cJSON_Parse(buf);
}

static const cJSON *stage_of(const cJSON *resp, const char *name)
{
	const cJSON *st = cJSON_GetObjectItem(cJSON_GetObjectItem(resp, "status"), "stages");
	const cJSON *it;
	cJSON_ArrayForEach(it, st)
		if (strcmp(cJSON_GetObjectItem(it, "name")->valuestring, name) == 0)
			return it;
	return NULL;
}

static int stage_int(struct sup_rig *r, const char *name, const char *field)
{
	cJSON *resp = ctl(r, "{\"cmd\":\"status\"}");
	if (!resp)
		return -1;
	const cJSON *s = stage_of(resp, name);
	int v = s ? (int)cJSON_GetObjectItem(s, field)->valuedouble : -1;
	cJSON_Delete(resp);
	return v;
}

static bool stage_is(struct sup_rig *r, const char *name, const char *run)
{
	cJSON *resp = ctl(r, "{\"cmd\":\"status\"}");
	const cJSON *s = resp ? stage_of(resp, name) : NULL;
	bool ok = s && strcmp(cJSON_GetObjectItem(s, "run")->valuestring, run) == 0;
	cJSON_Delete(resp);
	return ok;
}

static bool wait_run(struct sup_rig *r, const char *name, const char *run, int ms)
{
	uint64_t end = tu_now_ms() + (uint64_t)ms;
	while (tu_now_ms() < end) {
		if (stage_is(r, name, run))
			return true;
		usleep(20000);
	}
	return false;
}

static bool log_has(struct sup_rig *r, const char *file, const char *text, int ms)
{
	uint64_t end = tu_now_ms() + (uint64_t)ms;
	do {
		char *s = tu_read_file(pf_path(&r->f, file));
		bool ok = s && strstr(s, text);
		free(s);
		if (ok)
			return true;
		usleep(20000);
	} while (tu_now_ms() < end);
	return false;
}

static void start(struct sup_rig *r, const char *extra_replacements)
{
	char repl[2048];
	size_t n = 0;
	r->metrics_port = free_port();
	char port[64];
	snprintf(port, sizeof port, "\"metrics_port\": %d", r->metrics_port);
	const char *pairs[] = { "\"heartbeat_timeout_ms\": 3000", "\"heartbeat_timeout_ms\": 600",
				"\"start_grace_ms\": 10000", "\"start_grace_ms\": 0",
				"\"cancel_wait_ms\": 1000", "\"cancel_wait_ms\": 200",
				"\"metrics_port\": 9464", port, NULL };
	for (int i = 0; pairs[i]; i++) {
		size_t l = strlen(pairs[i]) + 1;
		memcpy(repl + n, pairs[i], l);
		n += l;
	}
	for (const char *e = extra_replacements; e && *e; e += strlen(e) + 1) {
		size_t l = strlen(e) + 1;
		memcpy(repl + n, e, l);
		n += l;
	}
	repl[n] = '\0';
	pf_setup(&r->f, repl);
	snprintf(r->bindir, sizeof r->bindir, "%s", pf_path(&r->f, "bin"));
	mkdir(r->bindir, 0700);
	char fake[4096];
	assert_non_null(realpath(tu_bin("hat-fakestage"), fake));
	const char *names[] = { "feedd", "signald", "riskd", "execd" };
	for (int i = 0; i < 4; i++) {
		char link[600];
		snprintf(link, sizeof link, "%s/%s", r->bindir, names[i]);
		assert_int_equal(symlink(fake, link), 0);
	}
	snprintf(r->sock, sizeof r->sock, "%s/run/superd.%s.sock", r->f.dir, r->f.instance);
	char bin[4096];
	snprintf(bin, sizeof bin, "%s", tu_bin("superd"));
	char *argv[] = { bin, "--config", r->f.config, "--bin-dir", r->bindir, "--log",
			 (char *)pf_path(&r->f, "log/superd.log"), NULL };
	char logdir[600];
	snprintf(logdir, sizeof logdir, "%s", pf_path(&r->f, "log"));
	mkdir(logdir, 0700);
	char out[600];
	snprintf(out, sizeof out, "%s", pf_path(&r->f, "superd.out"));
	argv[6] = strdup(pf_path(&r->f, "log/superd.log"));
	r->superd = tu_spawn(argv, out);
	free(argv[6]);
	current = r;
}

static void stop(struct sup_rig *r)
{
	int st = tu_kill_wait(r->superd, SIGTERM);
	r->superd = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_superd_starts_in_order_and_restarts_a_killed_stage(void **state)
{
	(void)state;
	static struct sup_rig r;
	memset(&r, 0, sizeof r);
	start(&r, NULL);
	const char *names[] = { "execd", "riskd", "signald", "feedd" };
	for (int i = 0; i < 4; i++)
		assert_true(wait_run(&r, names[i], "up", 15000));
	/* consumers first: the spawn lines appear in that order */
	char *log = tu_read_file(pf_path(&r.f, "log/superd.log"));
	const char *p = log;
	for (int i = 0; i < 4; i++) {
		char needle[64];
		snprintf(needle, sizeof needle, "\"stage_spawned\",\"stage\":\"%s\"", names[i]);
		p = strstr(p, needle);
		assert_non_null(p);
	}
	free(log);
	int riskd = stage_int(&r, "riskd", "pid"), feedd = stage_int(&r, "feedd", "pid");
	assert_true(riskd > 0);
	kill(riskd, SIGKILL);
	uint64_t end = tu_now_ms() + 10000;
	while (tu_now_ms() < end && (stage_int(&r, "riskd", "pid") == riskd || !stage_is(&r, "riskd", "up")))
		usleep(20000);
	assert_true(stage_is(&r, "riskd", "up"));
	assert_int_not_equal(stage_int(&r, "riskd", "pid"), riskd);
	assert_int_equal(stage_int(&r, "riskd", "restarts"), 1);
	assert_int_equal(stage_int(&r, "feedd", "pid"), feedd); /* nobody else was touched */
	assert_true(log_has(&r, "log/superd.log", "\"how\":\"signal 9 (Killed)\"", 1000));
	stop(&r);
}

static void test_superd_watchdog_kills_a_stopped_stage(void **state)
{
	(void)state;
	static struct sup_rig r;
	memset(&r, 0, sizeof r);
	start(&r, NULL);
	assert_true(wait_run(&r, "feedd", "up", 15000));
	int sig = stage_int(&r, "signald", "pid");
	kill(sig, SIGSTOP);
	assert_true(log_has(&r, "log/superd.log", "\"event\":\"watchdog_kill\",\"stage\":\"signald\"", 10000));
	uint64_t end = tu_now_ms() + 10000;
	while (tu_now_ms() < end && (stage_int(&r, "signald", "pid") == sig || !stage_is(&r, "signald", "up")))
		usleep(20000);
	assert_int_not_equal(stage_int(&r, "signald", "pid"), sig);
	assert_true(stage_is(&r, "signald", "up"));
	stop(&r);
}

static void test_superd_operator_restart_halt_and_ordered_stop(void **state)
{
	(void)state;
	static struct sup_rig r;
	memset(&r, 0, sizeof r);
	start(&r, NULL);
	assert_true(wait_run(&r, "feedd", "up", 15000));
	int execd = stage_int(&r, "execd", "pid"), riskd = stage_int(&r, "riskd", "pid");
	cJSON *resp = ctl(&r, "{\"cmd\":\"restart\",\"stage\":\"riskd\"}");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(resp, "ok")));
	cJSON_Delete(resp);
	uint64_t end = tu_now_ms() + 10000;
	while (tu_now_ms() < end && (stage_int(&r, "riskd", "pid") == riskd || !stage_is(&r, "riskd", "up")))
		usleep(20000);
	assert_int_not_equal(stage_int(&r, "riskd", "pid"), riskd);
	assert_int_equal(stage_int(&r, "execd", "pid"), execd);
	assert_true(log_has(&r, "log/riskd.log", "stopping", 1000)); /* a clean SIGTERM, not a kill */
	resp = ctl(&r, "{\"cmd\":\"restart\",\"stage\":\"nope\"}");
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(resp, "ok")));
	assert_string_equal(cJSON_GetObjectItem(resp, "error")->valuestring,
			    "unknown stage 'nope' (feedd|signald|riskd|execd)");
	cJSON_Delete(resp);
	resp = ctl(&r, "{\"cmd\":\"fly\"}");
	assert_non_null(strstr(cJSON_GetObjectItem(resp, "error")->valuestring, "unknown cmd 'fly'"));
	cJSON_Delete(resp);
	resp = ctl(&r, "{\"cmd\":\"halt\",\"why\":\"test\"}");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(resp, "ok")));
	cJSON_Delete(resp);
	assert_true(log_has(&r, "log/riskd.log", "cmd halt from=superd why=test", 5000));
	assert_true(log_has(&r, "log/execd.log", "cmd cancel_all from=superd why=test", 5000));
	resp = ctl(&r, "{\"cmd\":\"status\"}");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(resp, "status"), "trading_halted")));
	cJSON_Delete(resp);

	/* stop: cancel-all to execd first, then producers first, execd last */
	kill(r.superd, SIGTERM);
	int st = tu_wait(r.superd, 20000);
	r.superd = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	char *log = tu_read_file(pf_path(&r.f, "log/superd.log"));
	const char *p = strstr(log, "\"event\":\"stopping\"");
	assert_non_null(p);
	const char *order[] = { "feedd", "signald", "riskd", "execd" };
	for (int i = 0; i < 4; i++) {
		char needle[64];
		snprintf(needle, sizeof needle, "\"stage_term\",\"stage\":\"%s\"", order[i]);
		p = strstr(p, needle);
		assert_non_null(p);
	}
	free(log);
	assert_true(log_has(&r, "log/execd.log", "cmd cancel_all from=superd why=superd stop", 100));
}

static void test_superd_escalates_a_crash_loop(void **state)
{
	(void)state;
	static struct sup_rig r;
	memset(&r, 0, sizeof r);
	setenv("FAKE_CRASH_FEEDD", "1", 1);
	start(&r, "\"max_restarts\": 5\0\"max_restarts\": 3\0");
	unsetenv("FAKE_CRASH_FEEDD");
	assert_true(wait_run(&r, "feedd", "escalated", 20000));
	assert_int_equal(stage_int(&r, "feedd", "restarts"), 3);
	assert_true(log_has(&r, "log/superd.log", "\"event\":\"escalation\",\"stage\":\"feedd\"", 100));
	assert_true(log_has(&r, "log/riskd.log", "cmd halt from=superd why=feedd restart limit", 5000));
	assert_true(stage_is(&r, "riskd", "up")); /* the others run on, halted */
	stop(&r);
}

static size_t collect(char *p, size_t sz, size_t n, void *u)
{
	struct hat_buf { char *d; size_t len; } *b = u;
	b->d = realloc(b->d, b->len + sz * n + 1);
	memcpy(b->d + b->len, p, sz * n);
	b->len += sz * n;
	b->d[b->len] = '\0';
	return sz * n;
}

static void test_superd_metrics_endpoint(void **state)
{
	(void)state;
	static struct sup_rig r;
	memset(&r, 0, sizeof r);
	start(&r, NULL);
	assert_true(wait_run(&r, "feedd", "up", 15000));
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", r.metrics_port);
	struct { char *d; size_t len; } body = { NULL, 0 };
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	assert_int_equal(code, 200);
	assert_non_null(strstr(body.d, "# TYPE hat_stage_up gauge\n"));
	assert_non_null(strstr(body.d, "hat_stage_up{stage=\"riskd\"} 1\n"));
	assert_non_null(strstr(body.d, "hat_stage_ready{stage=\"feedd\"} 1\n"));
	assert_non_null(strstr(body.d, "hat_ring_capacity{ring=\"md\"} 65536\n"));
	assert_non_null(strstr(body.d, "hat_stage_stat{stage=\"superd\",name=\"restarts\"} 0\n"));
	/* promtool (Debian's prometheus package, installed by make deps) validates the exposition */
	if (access("/usr/bin/promtool", X_OK) != 0)
		fail_msg("promtool not found: run 'make deps' (installs the prometheus package)");
	{
		char path[600], cmd[1400];
		snprintf(path, sizeof path, "%s", pf_path(&r.f, "metrics.txt"));
		FILE *f = fopen(path, "w");
		fputs(body.d, f);
		fclose(f);
		snprintf(cmd, sizeof cmd, "promtool check metrics < %s > %s.out 2>&1", path, path);
		if (system(cmd) != 0) {
			snprintf(cmd, sizeof cmd, "%s.out", path);
			char *o = tu_read_file(cmd);
			fail_msg("promtool check metrics failed:\n%s", o ? o : "");
		}
	}
	free(body.d);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/other", r.metrics_port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	body.d = NULL;
	body.len = 0;
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	assert_int_equal(code, 404);
	free(body.d);
	curl_easy_cleanup(c);
	stop(&r);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_superd_starts_in_order_and_restarts_a_killed_stage, teardown),
		cmocka_unit_test_teardown(test_superd_watchdog_kills_a_stopped_stage, teardown),
		cmocka_unit_test_teardown(test_superd_operator_restart_halt_and_ordered_stop, teardown),
		cmocka_unit_test_teardown(test_superd_escalates_a_crash_loop, teardown),
		cmocka_unit_test_teardown(test_superd_metrics_endpoint, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
