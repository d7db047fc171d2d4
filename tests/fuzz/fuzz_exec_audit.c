/* tests/fuzz/fuzz_exec_audit.c -- libFuzzer target: the audit trail verifier and reopen.
 *
 * Input: an audit file's bytes. exec_audit_verify must never crash and return 0 or HAT_E_CRC
 * with bad_line >= 1 and a message "line K: ..."; when the file verifies, exec_audit_open
 * continues the chain and the file then verifies with one more line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/err.h"
#include "execd/audit.h"

#define CHECK(e) do { if (!(e)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("audit", 0);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	uint64_t lines = 0, bad = 0;
	char err[512] = "";
	int rc = exec_audit_verify(path, &lines, &bad, err, sizeof err);
	CHECK(rc == 0 || rc == HAT_E_CRC);
	if (rc == HAT_E_CRC) {
		char want[32];
		snprintf(want, sizeof want, "line %llu: ", (unsigned long long)bad);
		CHECK(bad >= 1 && strncmp(err, want, strlen(want)) == 0);
	} else {
		struct exec_audit a;
		CHECK(exec_audit_open(&a, path, err, sizeof err) == 0);
		CHECK(a.seq == lines && a.torn_bytes == 0);
		CHECK(exec_audit_append(&a, EXEC_AUDIT_EVENT, 1, 2, (const char *)data,
					size > 200 ? 200 : size, err, sizeof err) == 0);
		exec_audit_close(&a);
		uint64_t l2 = 0;
		CHECK(exec_audit_verify(path, &l2, NULL, err, sizeof err) == 0);
		CHECK(l2 == lines + 1);
	}
	close(fd);
	return 0;
}
