/* tests/proc/test_hatshm_corrupt.c -- the hatshm program (ASan build) on a copy of an instance
 * whose segments were damaged: bad magic, wrong layout version, truncated, corrupt ring
 * indices, a stray file. Every command reports what is wrong, exits non-zero, never crashes.
 * Also: hatshm on the healthy original reads fine and changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/ring.h"
#include "common/shm.h"
#include "tests/helpers/pipeline_fixture.h"
#include "tests/helpers/test_util.h"

struct rig {
	struct pf f;
	char copy[32];
	char out[128 * 1024];
};

static struct rig *current;

static int teardown(void **state)
{
	(void)state;
	if (current) {
		tu_shm_cleanup(current->copy);
		pf_teardown(&current->f);
		free(current);
		current = NULL;
	}
	return 0;
}

/* Runs hatshm with args (NULL-terminated); returns the wait status, output (both streams) in
 * r->out. */
static int hatshm(struct rig *r, ...)
{
	char *argv[16], bin[4096], outp[600];
	int n = 0;
	snprintf(bin, sizeof bin, "%s", tu_bin("hatshm"));
	argv[n++] = bin;
	va_list ap;
	va_start(ap, r);
	for (const char *a; n < 15 && (a = va_arg(ap, const char *)) != NULL;)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	snprintf(outp, sizeof outp, "%s", pf_path(&r->f, "hatshm.out"));
	unlink(outp); /* tu_spawn appends */
	pid_t pid = tu_spawn(argv, outp);
	int st = tu_wait(pid, 20000);
	assert_true(st != -1);
	char *s = tu_read_file(outp);
	snprintf(r->out, sizeof r->out, "%s", s ? s : "");
	free(s);
	return st;
}

static void expect_exit(int st, int code, const char *out)
{
	if (!WIFEXITED(st))
		fail_msg("hatshm did not exit normally (signal %d):\n%s", WTERMSIG(st), out);
	if (WEXITSTATUS(st) != code)
		fail_msg("hatshm exited %d, want %d:\n%s", WEXITSTATUS(st), code, out);
	if (strstr(out, "Sanitizer"))
		fail_msg("sanitizer report:\n%s", out);
}

static void expect_in(const char *out, const char *text)
{
	if (!strstr(out, text))
		fail_msg("output lacks '%s':\n%s", text, out);
}

/* Copies /dev/shm/hat.<from>.<name> to /dev/shm/hat.<to>.<name>. */
static void copy_seg(const char *from, const char *to, const char *name)
{
	char src[256], dst[256];
	snprintf(src, sizeof src, "/dev/shm/hat.%s.%s", from, name);
	snprintf(dst, sizeof dst, "/dev/shm/hat.%s.%s", to, name);
	char *cmd;
	assert_true(asprintf(&cmd, "cp %s %s", src, dst) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* Maps the copy of a segment read-write (outside the hat API, to damage it). */
static void *map_copy(const char *inst, const char *name, size_t *len)
{
	char p[256];
	snprintf(p, sizeof p, "/dev/shm/hat.%s.%s", inst, name);
	int fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	struct stat sb;
	fstat(fd, &sb);
	*len = (size_t)sb.st_size;
	void *m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(m != MAP_FAILED);
	return m;
}

static void test_hatshm_reports_damaged_segments_without_crashing(void **state)
{
	(void)state;
	struct rig *r = calloc(1, sizeof *r);
	current = r;
	pf_setup(&r->f, "\"md\": 65536\0\"md\": 64\0");
	tu_instance(r->copy, sizeof r->copy);
	const char *names[] = { "md", "intent", "order", "exec", "position", "cmd.feedd", "cmd.signald",
				"cmd.riskd", "cmd.execd", "board", "control" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		copy_seg(r->f.instance, r->copy, names[i]);

	/* the healthy copy reads fine */
	int st = hatshm(r, "--instance", r->copy, "ls", NULL);
	expect_exit(st, 0, r->out);
	assert_null(strstr(r->out, "BAD"));

	size_t len;
	/* md: magic gone */
	struct hat_shm_hdr *h = map_copy(r->copy, "md", &len);
	h->magic = 0;
	munmap(h, len);
	/* control: a layout version this build does not know */
	h = map_copy(r->copy, "control", &len);
	h->layout_version = 99;
	munmap(h, len);
	/* order: indices that cannot be (prod - cons > capacity) */
	struct hat_ring_shm *rs = map_copy(r->copy, "order", &len);
	atomic_store(&rs->prod, 100000);
	munmap(rs, len);
	/* board: truncated below its header */
	char p[256];
	snprintf(p, sizeof p, "/dev/shm/hat.%s.board", r->copy);
	assert_int_equal(truncate(p, 100), 0);
	/* a stray file that is not a hat segment */
	snprintf(p, sizeof p, "/dev/shm/hat.%s.junk", r->copy);
	FILE *f = fopen(p, "w");
	for (int i = 0; i < 300; i++)
		fputc(i * 7, f);
	fclose(f);

	char want[512];
	st = hatshm(r, "--instance", r->copy, "ls", NULL);
	expect_exit(st, 1, r->out);
	snprintf(want, sizeof want, "/hat.%s.md", r->copy);
	expect_in(r->out, want);
	expect_in(r->out, "BAD: shm /hat.");
	expect_in(r->out, "bad magic 0x0");
	expect_in(r->out, "layout version 99");
	expect_in(r->out, "smaller than the");
	expect_in(r->out, "5 segments with problems\n");

	st = hatshm(r, "--instance", r->copy, "rings", "--sample-ms", "10", NULL);
	expect_exit(st, 1, r->out);
	expect_in(r->out, "\nmd             BAD: shm /hat.");
	expect_in(r->out, "BAD: corrupt indices: prod 100000 - cons 0 > 4096 slots\n");
	expect_in(r->out, "\nintent         4096     0       0     0          0          ");

	st = hatshm(r, "--instance", r->copy, "stages", NULL);
	expect_exit(st, 1, r->out);
	expect_in(r->out, "control segment unreadable: ");

	st = hatshm(r, "--instance", r->copy, "board", NULL);
	expect_exit(st, 1, r->out);
	expect_in(r->out, "board unreadable: ");

	st = hatshm(r, "--instance", r->copy, "dump", "md", "-n", "5", NULL);
	expect_exit(st, 1, r->out);
	expect_in(r->out, "bad magic 0x0");
	st = hatshm(r, "--instance", r->copy, "dump", "order", "--json", NULL);
	expect_exit(st, 1, r->out);

	st = hatshm(r, "--instance", r->copy, "watch", NULL); /* not a terminal: one snapshot */
	expect_exit(st, 0, r->out);
	expect_in(r->out, "control segment unreadable: ");
	expect_in(r->out, "board unreadable: ");

	/* the original was never touched */
	st = hatshm(r, "--config", r->f.config, "ls", NULL);
	expect_exit(st, 0, r->out);
	st = hatshm(r, "--config", r->f.config, "dump", "md", NULL);
	expect_exit(st, 0, r->out);
	snprintf(want, sizeof want, "ring md: capacity 64, prod 0, cons 0, 0 unconsumed; last 0 messages\n");
	assert_string_equal(r->out, want);
}

static void test_hatshm_usage_and_unknown_instance(void **state)
{
	(void)state;
	struct rig *r = calloc(1, sizeof *r);
	current = r;
	pf_setup(&r->f, NULL);
	snprintf(r->copy, sizeof r->copy, "nosuchinst");
	int st = hatshm(r, "--instance", "nosuchinst", "ls", NULL);
	expect_exit(st, 1, r->out);
	expect_in(r->out, "no segments for instance nosuchinst: is superd running?");
	st = hatshm(r, "--config", r->f.config, "dump", "nope", NULL);
	expect_exit(st, 2, r->out);
	expect_in(r->out, "dump: no ring 'nope' (rings: md intent order exec position");
	st = hatshm(r, "--config", r->f.config, "dump", "md", "-n", "0", NULL);
	expect_exit(st, 2, r->out);
	st = hatshm(r, "--config", r->f.config, "frob", NULL);
	expect_exit(st, 2, r->out);
	st = hatshm(r, "--config", "/nonexistent.json", "ls", NULL);
	expect_exit(st, 2, r->out);
	expect_in(r->out, "/nonexistent.json: cannot open");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_hatshm_reports_damaged_segments_without_crashing, teardown),
		cmocka_unit_test_teardown(test_hatshm_usage_and_unknown_instance, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
