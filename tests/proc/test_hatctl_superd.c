/* tests/proc/test_hatctl_superd.c -- the hatctl program against a real superd supervising stand-in
 * stages (fake_stage): status (table, --json, --summary), restart, halt, resume, cancel-all,
 * stop; superd's refusals (exit 1); not running, stale socket and usage errors (exit 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "tests/helpers/pipeline_fixture.h"
#include "tests/helpers/test_util.h"

struct rig {
	struct pf f;
	pid_t superd;
	char bindir[512];
	char out[64 * 1024], err[8 * 1024]; /* the last tool run's stdout and stderr */
};

static struct rig *current; /* for the teardown after a failed assertion */

static int teardown(void **state)
{
	(void)state;
	if (current) {
		if (current->superd > 0 && tu_wait(current->superd, 0) == -1)
			tu_kill_wait(current->superd, SIGKILL);
		pf_teardown(&current->f);
		free(current);
		current = NULL;
	}
	return 0;
}

static void slurp(const char *path, char *buf, size_t len)
{
	char *s = tu_read_file(path);
	snprintf(buf, len, "%s", s ? s : "");
	free(s);
}

/* Runs hatctl --config <fixture config> args...; returns its exit code (stdout/stderr in r). */
static int hatctl(struct rig *r, ...)
{
	char *argv[16];
	int n = 0;
	char bin[4096], outp[600], errp[600];
	snprintf(bin, sizeof bin, "%s", tu_bin("hatctl"));
	argv[n++] = bin;
	argv[n++] = "--config";
	argv[n++] = r->f.config;
	va_list ap;
	va_start(ap, r);
	for (const char *a; n < 15 && (a = va_arg(ap, const char *)) != NULL;)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	snprintf(outp, sizeof outp, "%s", pf_path(&r->f, "hatctl.out"));
	snprintf(errp, sizeof errp, "%s", pf_path(&r->f, "hatctl.err"));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	int st = tu_wait(pid, 20000);
	assert_true(st != -1);
	assert_true(WIFEXITED(st)); /* never a crash */
	slurp(outp, r->out, sizeof r->out);
	slurp(errp, r->err, sizeof r->err);
	return WEXITSTATUS(st);
}

/* pid of stage name from hatctl status --json, or -1. */
static int stage_pid(struct rig *r, const char *name, bool *up)
{
	if (hatctl(r, "status", "--json", NULL) != 0)
		return -1;
	cJSON *j = cJSON_Parse(r->out);
	int pid = -1;
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"), "stages")) {
		if (strcmp(cJSON_GetObjectItem(it, "name")->valuestring, name) != 0)
			continue;
		pid = (int)cJSON_GetObjectItem(it, "pid")->valuedouble;
		if (up)
			*up = strcmp(cJSON_GetObjectItem(it, "run")->valuestring, "up") == 0;
	}
	cJSON_Delete(j);
	return pid;
}

static bool log_has(struct rig *r, const char *file, const char *text, int ms)
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

static struct rig *start(void)
{
	struct rig *r = calloc(1, sizeof *r);
	current = r;
	pf_setup(&r->f, "\"metrics_port\": 9464\0\"metrics_port\": 0\0"
			"\"cancel_wait_ms\": 1000\0\"cancel_wait_ms\": 100\0");
	snprintf(r->bindir, sizeof r->bindir, "%s", pf_path(&r->f, "bin"));
	mkdir(r->bindir, 0700);
	mkdir(pf_path(&r->f, "log"), 0700);
	char fake[4096];
	assert_non_null(realpath(tu_bin("hat-fakestage"), fake));
	const char *names[] = { "feedd", "signald", "riskd", "execd" };
	for (int i = 0; i < 4; i++) {
		char link[600];
		snprintf(link, sizeof link, "%s/%s", r->bindir, names[i]);
		assert_int_equal(symlink(fake, link), 0);
	}
	char bin[4096], logp[600], outp[600];
	snprintf(bin, sizeof bin, "%s", tu_bin("superd"));
	snprintf(logp, sizeof logp, "%s", pf_path(&r->f, "log/superd.log"));
	snprintf(outp, sizeof outp, "%s", pf_path(&r->f, "superd.out"));
	char *argv[] = { bin, "--config", r->f.config, "--bin-dir", r->bindir, "--log", logp, NULL };
	r->superd = tu_spawn(argv, outp);
	/* up = every stage ready, read through hatctl itself */
	uint64_t end = tu_now_ms() + 20000;
	while (tu_now_ms() < end) {
		if (hatctl(r, "status", "--summary", NULL) == 0 && strstr(r->out, " up=4 "))
			return r;
		usleep(50000);
	}
	fail_msg("the stages did not come up: %s%s", r->out, r->err);
	return r;
}

static void test_hatctl_status_restart_halt_resume_stop(void **state)
{
	(void)state;
	struct rig *r = start();
	char want[512];

	/* status: the table */
	assert_int_equal(hatctl(r, "status", NULL), 0);
	snprintf(want, sizeof want, "instance %s: superd pid %d, trading active\nSTAGE    RUN", r->f.instance,
		 (int)r->superd);
	assert_true(strncmp(r->out, want, strlen(want)) == 0);
	const char *names[] = { "feedd", "signald", "riskd", "execd" };
	const char *p = r->out;
	for (int i = 0; i < 4; i++) { /* producers first, as superd lists them */
		char line[64];
		snprintf(line, sizeof line, "\n%-8s up        running   ", names[i]);
		p = strstr(p, line);
		assert_non_null(p);
	}
	assert_string_equal(r->err, "");
	/* --json is superd's answer; --summary the launch script's line */
	assert_int_equal(hatctl(r, "status", "--json", NULL), 0);
	cJSON *j = cJSON_Parse(r->out);
	assert_non_null(j);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"), "stages")), 4);
	cJSON_Delete(j);
	assert_int_equal(hatctl(r, "status", "--summary", NULL), 0);
	assert_string_equal(r->out, "stages=4 started=4 up=4 ready=4 restarts=0 halted=0 orders=0 fills=0 rejects=0\n");

	/* restart one stage: it gets a new pid, nobody else is touched */
	int riskd = stage_pid(r, "riskd", NULL), execd = stage_pid(r, "execd", NULL);
	assert_true(riskd > 0);
	assert_int_equal(hatctl(r, "restart", "riskd", NULL), 0);
	assert_string_equal(r->out, "restart riskd: ok\n");
	uint64_t end = tu_now_ms() + 10000;
	bool up = false;
	int now = riskd;
	while (tu_now_ms() < end && (now == riskd || !up)) {
		usleep(50000);
		now = stage_pid(r, "riskd", &up);
	}
	assert_int_not_equal(now, riskd);
	assert_true(up);
	assert_int_equal(stage_pid(r, "execd", NULL), execd);

	/* refused by superd: exit 1 with superd's words */
	assert_int_equal(hatctl(r, "restart", "nope", NULL), 1);
	assert_string_equal(r->out, "");
	assert_string_equal(r->err, "hatctl: superd refused: unknown stage 'nope' (feedd|signald|riskd|execd)\n");

	/* halt reaches riskd (and cancel-all execd) with the reason; status shows it */
	assert_int_equal(hatctl(r, "halt", "--why", "drill", NULL), 0);
	assert_string_equal(r->out, "halt: ok\n");
	assert_true(log_has(r, "log/riskd.log", "cmd halt from=superd why=drill", 5000));
	assert_true(log_has(r, "log/execd.log", "cmd cancel_all from=superd why=drill", 5000));
	assert_int_equal(hatctl(r, "status", NULL), 0);
	assert_non_null(strstr(r->out, ", trading HALTED\n"));
	assert_int_equal(hatctl(r, "resume", NULL), 0);
	assert_string_equal(r->out, "resume: ok\n");
	assert_true(log_has(r, "log/riskd.log", "cmd resume from=superd why=operator", 5000));
	assert_int_equal(hatctl(r, "status", "--summary", NULL), 0);
	assert_non_null(strstr(r->out, " halted=0 "));
	assert_int_equal(hatctl(r, "cancel-all", "--why", "flat", NULL), 0);
	assert_string_equal(r->out, "cancel-all: ok\n");
	assert_true(log_has(r, "log/execd.log", "cmd cancel_all from=superd why=flat", 5000));

	/* stop: superd stops everything and exits 0 */
	assert_int_equal(hatctl(r, "stop", NULL), 0);
	assert_string_equal(r->out, "stop: ok\n");
	int st = tu_wait(r->superd, 20000);
	r->superd = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	/* and now it is not running: exit 2 with what to do */
	assert_int_equal(hatctl(r, "status", NULL), 2);
	snprintf(want, sizeof want, "hatctl: superd is not running for instance %s (no socket at "
		 "%s/run/superd.%s.sock): start it with scripts/launch.sh\n", r->f.instance, r->f.dir,
		 r->f.instance);
	assert_string_equal(r->err, want);
	assert_string_equal(r->out, "");
}

static void test_hatctl_stale_socket_and_usage_errors(void **state)
{
	(void)state;
	struct rig *r = calloc(1, sizeof *r);
	current = r;
	pf_setup(&r->f, NULL);
	mkdir(pf_path(&r->f, "run"), 0700);
	/* a socket file nobody listens on (superd killed -9) */
	char sock[600], want[1024];
	snprintf(sock, sizeof sock, "%s/run/superd.%s.sock", r->f.dir, r->f.instance);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	assert_true(strlen(sock) < sizeof a.sun_path);
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	close(fd);
	assert_int_equal(hatctl(r, "halt", NULL), 2);
	snprintf(want, sizeof want, "hatctl: superd is not running for instance %s (stale socket at "
		 "%s, connection refused): start it with scripts/launch.sh\n", r->f.instance, sock);
	assert_string_equal(r->err, want);
	/* --instance picks another socket */
	assert_int_equal(hatctl(r, "--instance", "other", "status", NULL), 2);
	assert_non_null(strstr(r->err, "superd is not running for instance other (no socket at "));

	assert_int_equal(hatctl(r, "frob", NULL), 2);
	assert_string_equal(r->err, "hatctl: unknown command 'frob'\n(hatctl help for the commands)\n");
	assert_int_equal(hatctl(r, "restart", NULL), 2);
	assert_string_equal(r->err, "hatctl: restart: need one STAGE (feedd|signald|riskd|execd)\n"
				    "(hatctl help for the commands)\n");
	assert_int_equal(hatctl(r, "status", "--yaml", NULL), 2);
	assert_non_null(strstr(r->err, "status: unknown option '--yaml'"));
	assert_int_equal(hatctl(r, "halt", "--because", "x", NULL), 2);
	assert_int_equal(hatctl(r, "help", NULL), 0);
	assert_non_null(strstr(r->out, "usage: hatctl"));
	assert_int_equal(hatctl(r, "config", "get", "instance", NULL), 0);
	snprintf(want, sizeof want, "%s\n", r->f.instance);
	assert_string_equal(r->out, want);
	assert_int_equal(hatctl(r, "config", "get", "nope.x", NULL), 1);
	snprintf(want, sizeof want, "hatctl: %s: nope.x: missing\n", r->f.config);
	assert_string_equal(r->err, want);
	/* a missing config names the file */
	char *argv[] = { (char *)tu_bin("hatctl"), "--config", "/nonexistent/hat.json", "status", NULL };
	char outp[600];
	snprintf(outp, sizeof outp, "%s", pf_path(&r->f, "nocfg.out"));
	unlink(outp);
	pid_t pid = tu_spawn(argv, outp);
	int st = tu_wait(pid, 10000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
	char *o = tu_read_file(outp);
	assert_non_null(strstr(o, "/nonexistent/hat.json: cannot open"));
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_hatctl_status_restart_halt_resume_stop, teardown),
		cmocka_unit_test_teardown(test_hatctl_stale_socket_and_usage_errors, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
