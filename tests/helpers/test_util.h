/* tests/helpers/test_util.h -- shared helpers for hat's cmocka tests.
 *
 * Each test makes its own shm instance name (so tests run in parallel and never see each
 * other's segments), finds the programs under test (HAT_BIN_DIR, set by make test to the ASan
 * build), and spawns/reaps child processes with timeouts. Linked into every test binary.
 */
#ifndef HAT_TESTS_TEST_UTIL_H
#define HAT_TESTS_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes a unique instance name ("t<pid>x<counter>") into buf. */
void tu_instance(char *buf, size_t len);

/* Returns the path of program name in HAT_BIN_DIR (default build/asan/bin) in a static buffer
 * that the next call overwrites. */
const char *tu_bin(const char *name);

/* Makes a fresh temporary directory (under TMPDIR or /tmp); returns its path in buf. */
void tu_tmpdir(char *buf, size_t len);
/* Removes a directory tree made by tu_tmpdir (best effort). */
void tu_rmtree(const char *path);

/* Starts argv[0] with argv (NULL-terminated). stdout/stderr go to log_path if not NULL.
 * Returns the child's pid; fails the test on error. */
pid_t tu_spawn(char *const argv[], const char *log_path);

/* Waits up to timeout_ms for pid; returns its wait status, or -1 on timeout (the child is then
 * left running: kill it). */
int tu_wait(pid_t pid, int timeout_ms);

/* Sends sig, then waits up to 5 s (then SIGKILL) and returns the wait status. */
int tu_kill_wait(pid_t pid, int sig);

/* Monotonic milliseconds. */
uint64_t tu_now_ms(void);

/* Reads a whole small file into a malloc'ed NUL-terminated string (caller frees); NULL if missing. */
char *tu_read_file(const char *path);

/* Waits up to timeout_ms until path exists and is non-empty; returns 0 or -1. */
int tu_wait_file(const char *path, int timeout_ms);

/* Number of shm segments of this instance left in /dev/shm (/dev/shm/hat.<instance>.*). */
int tu_shm_count(const char *instance);

/* Unlinks every segment of this instance (best effort; for cleanup after a failure). Returns how
 * many it removed. */
int tu_shm_cleanup(const char *instance);

/* fork() for multi-process tests: the child gets SIGKILL if the test process dies (so a failed
 * test never leaves a spinning child behind), and the parent remembers the pid for
 * tu_kill_all(). Returns like fork(); fails the test if fork fails. */
pid_t tu_fork(void);

/* SIGKILLs and reaps every child from tu_fork() that has not been reaped yet (call it in
 * teardown; a child reaped by tu_wait/tu_kill_wait/waitpid is skipped). Returns how many were
 * still running. */
int tu_kill_all(void);

/* Random seed for a test: HAT_TEST_SEED if set, else time and pid mixed. Print it in the test so
 * a failure can be replayed. */
unsigned tu_seed(void);

#endif
