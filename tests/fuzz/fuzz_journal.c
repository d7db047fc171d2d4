/* tests/fuzz/fuzz_journal.c -- libFuzzer target: arbitrary bytes as a journal file through the
 * reader. Every record delivered lies inside the file, offsets increase, and the reader ends
 * with a clean end, HAT_E_TRUNCATED or HAT_E_CRC (or a bad header), never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/err.h"
#include "common/journal.h"

#define CHECK(e) do { if (!(e)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_journal", 0);
	if (fd < 0)
		return 0;
	/* Half the inputs get a valid file header so the record parser is reached. */
	if (size && (data[0] & 1)) {
		uint8_t h[HAT_JOURNAL_FILE_HDR] = "HATJRNL1";
		h[8] = HAT_JOURNAL_VERSION;
		h[12] = HAT_JOURNAL_FILE_HDR;
		CHECK(write(fd, h, sizeof h) == (ssize_t)sizeof h);
		data++;
		size--;
	}
	CHECK(write(fd, data, size) == (ssize_t)size);
	char path[64], err[256];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct hat_journal_reader r;
	int rc = hat_journal_reader_open(&r, path, err, sizeof err);
	if (rc == 0) {
		struct hat_journal_rec rec;
		uint64_t last = 0;
		off_t end = lseek(fd, 0, SEEK_END);
		while ((rc = hat_journal_next(&r, &rec, err, sizeof err)) == 0) {
			CHECK(rec.offset >= HAT_JOURNAL_FILE_HDR && rec.offset >= last);
			CHECK(rec.offset + HAT_JOURNAL_REC_HDR + rec.len <= (uint64_t)end);
			last = rec.offset + 1;
		}
		CHECK(rc == -ENODATA || rc == HAT_E_TRUNCATED || rc == HAT_E_CRC);
		CHECK(r.offset <= (uint64_t)end);
		hat_journal_reader_close(&r);
	} else {
		CHECK(rc == HAT_E_TRUNCATED || rc == HAT_E_BADMAGIC || rc == HAT_E_BADVERSION);
	}
	close(fd);
	return 0;
}
