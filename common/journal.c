/* common/journal.c -- append-only journal: CRC32C, writer with rotation and fsync policy,
 * streaming reader that stops at the first bad record. Format in journal.h. */
#include "common/journal.h"
#include "common/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---------------------------------------------------------------- CRC32C */

/* Reflected Castagnoli polynomial 0x82f63b78, one entry per byte value. */
static const uint32_t crc32c_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c,
	0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
	0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc,
	0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512,
	0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
	0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595, 0x417b1dbc, 0xb3109ebf,
	0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f,
	0xed03a29b, 0x1f682198, 0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
	0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e,
	0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e,
	0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
	0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93, 0x082f63b7, 0xfa44e0b4,
	0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b,
	0xb4091bff, 0x466298fc, 0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
	0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975,
	0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905,
	0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
	0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8,
	0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78,
	0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
	0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69,
	0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

uint32_t hat_crc32c_sw(const void *p, size_t n, uint32_t crc)
{
	const uint8_t *b = p;
	crc = ~crc;
	while (n--)
		crc = crc32c_table[(crc ^ *b++) & 0xffu] ^ (crc >> 8);
	return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(const void *p, size_t n, uint32_t crc)
{
	const uint8_t *b = p;
	uint64_t c = ~crc;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		c = __builtin_ia32_crc32di(c, w);
		b += 8;
		n -= 8;
	}
	uint32_t c32 = (uint32_t)c;
	while (n--)
		c32 = __builtin_ia32_crc32qi(c32, *b++);
	return ~c32;
}
#endif

uint32_t hat_crc32c(const void *p, size_t n, uint32_t crc)
{
#if defined(__x86_64__)
	/* __builtin_cpu_supports reads a table libgcc fills once at start-up: no state of ours. */
	if (__builtin_cpu_supports("sse4.2"))
		return crc32c_hw(p, n, crc);
#endif
	return hat_crc32c_sw(p, n, crc);
}

/* ---------------------------------------------------------------- helpers */

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static bool prefix_ok(const char *s)
{
	if (!*s || strlen(s) >= 64)
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* Highest sequence number among <prefix>-<seq>-*.hjl in dir, 0 if none. */
static int highest_seq(const char *dir, const char *prefix, uint64_t *out, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d) {
		int e = -errno;
		snprintf(err, errlen, "opendir(%s) failed: %s", dir, strerror(-e));
		return e;
	}
	size_t pl = strlen(prefix);
	uint64_t best = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		if (strncmp(n, prefix, pl) != 0 || n[pl] != '-')
			continue;
		size_t nl = strlen(n);
		if (nl < 4 || strcmp(n + nl - 4, HAT_JOURNAL_SUFFIX) != 0)
			continue;
		char *end;
		unsigned long long s = strtoull(n + pl + 1, &end, 10);
		if (end == n + pl + 1 || *end != '-')
			continue;
		if (s > best)
			best = s;
	}
	closedir(d);
	*out = best;
	return 0;
}

static int start_file(struct hat_journal *j, uint64_t now_ns, char *err, size_t errlen)
{
	time_t secs = (time_t)(now_ns / 1000000000u);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char stamp[32];
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
	j->seq++;
	snprintf(j->path, sizeof j->path, "%s/%s-%08llu-%s%s", j->dir, j->prefix,
		 (unsigned long long)j->seq, stamp, HAT_JOURNAL_SUFFIX);
	int fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = -errno;
		snprintf(err, errlen, "open(%s) failed: %s", j->path, strerror(-e));
		return e;
	}
	uint8_t h[HAT_JOURNAL_FILE_HDR] = { 0 };
	memcpy(h, HAT_JOURNAL_MAGIC, 8);
	put_u32(h + 8, HAT_JOURNAL_VERSION);
	put_u32(h + 12, HAT_JOURNAL_FILE_HDR);
	put_u64(h + 16, now_ns);
	put_u64(h + 24, j->seq);
	int rc = write_all(fd, h, sizeof h);
	if (rc < 0) {
		/* Leave no headerless file behind (a full disk would otherwise collect one per try). */
		snprintf(err, errlen, "write(%s) failed: %s", j->path, strerror(-rc));
		close(fd);
		unlink(j->path);
		return rc;
	}
	j->fd = fd;
	j->file_bytes = HAT_JOURNAL_FILE_HDR;
	j->dirty = true;
	return 0;
}

/* ---------------------------------------------------------------- writer */

int hat_journal_open(struct hat_journal *j, const struct hat_journal_opts *o, uint64_t now_ns,
		     char *err, size_t errlen)
{
	memset(j, 0, sizeof *j);
	j->fd = -1;
	if (!o->dir || !*o->dir || strlen(o->dir) >= sizeof j->dir) {
		snprintf(err, errlen, "journal: dir must be a non-empty path shorter than %zu bytes",
			 sizeof j->dir);
		return -EINVAL;
	}
	if (!o->prefix || !prefix_ok(o->prefix)) {
		snprintf(err, errlen, "journal: prefix \"%s\" must be 1-63 of [A-Za-z0-9_.-]",
			 o->prefix ? o->prefix : "(null)");
		return -EINVAL;
	}
	if (o->fsync > HAT_JOURNAL_FSYNC_ALWAYS) {
		snprintf(err, errlen, "journal: unknown fsync policy %d", (int)o->fsync);
		return -EINVAL;
	}
	if (o->fsync == HAT_JOURNAL_FSYNC_INTERVAL && o->fsync_interval_ms == 0) {
		snprintf(err, errlen, "journal: fsync_interval_ms must be > 0 with policy INTERVAL");
		return -EINVAL;
	}
	snprintf(j->dir, sizeof j->dir, "%s", o->dir);
	snprintf(j->prefix, sizeof j->prefix, "%s", o->prefix);
	j->max_file_bytes = o->max_file_bytes;
	j->fsync = o->fsync;
	j->fsync_interval_ms = o->fsync_interval_ms;
	int rc = highest_seq(j->dir, j->prefix, &j->seq, err, errlen);
	if (rc < 0)
		return rc;
	return start_file(j, now_ns, err, errlen);
}

static int do_sync(struct hat_journal *j, uint64_t now_ms)
{
	j->last_sync_ms = now_ms;
	if (!j->dirty || j->fd < 0)
		return 0;
	j->dirty = false;
	if (fdatasync(j->fd) < 0)
		return -errno;
	return 0;
}

int hat_journal_append(struct hat_journal *j, uint32_t type, uint64_t ts_ns, const void *payload,
		       size_t len, uint64_t now_ns, uint64_t now_ms, char *err, size_t errlen)
{
	if (len > HAT_JOURNAL_MAX_RECORD) {
		snprintf(err, errlen, "journal: record of %zu bytes exceeds the %u-byte limit", len,
			 HAT_JOURNAL_MAX_RECORD);
		return -EMSGSIZE;
	}
	if (j->fd < 0) {
		if (j->dir[0] == '\0') {
			snprintf(err, errlen, "journal: not open");
			return -EBADF;
		}
		/* A previous write failed: carry on in a fresh file rather than after a torn tail. */
		int rc = start_file(j, now_ns, err, errlen);
		if (rc < 0)
			return rc;
	}
	uint64_t rec = HAT_JOURNAL_REC_HDR + (uint64_t)len;
	if (j->max_file_bytes && j->file_bytes > HAT_JOURNAL_FILE_HDR &&
	    j->file_bytes + rec > j->max_file_bytes) {
		if (j->fsync != HAT_JOURNAL_FSYNC_NEVER)
			(void)do_sync(j, now_ms);
		close(j->fd);
		j->fd = -1;
		int rc = start_file(j, now_ns, err, errlen);
		if (rc < 0)
			return rc;
		j->rotations++;
	}
	uint8_t h[HAT_JOURNAL_REC_HDR];
	put_u32(h, (uint32_t)len);
	put_u32(h + 4, type);
	put_u64(h + 8, ts_ns);
	put_u32(h + 16, hat_crc32c(payload, len, 0));
	put_u32(h + 20, hat_crc32c(h, 20, 0));
	/* One writev keeps header and payload in a single append, so a torn record is only ever
	 * possible at the very end of the file. */
	struct iovec iov[2] = { { h, sizeof h }, { (void *)payload, len } };
	int rc = 0;
	ssize_t w;
	do
		w = writev(j->fd, iov, len ? 2 : 1);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		rc = -errno;
	else if ((uint64_t)w < rec) { /* short write (disk full?): finish it or fail */
		size_t done = (size_t)w;
		if (done < sizeof h)
			rc = write_all(j->fd, h + done, sizeof h - done);
		if (rc == 0)
			rc = write_all(j->fd, (const uint8_t *)payload + (done > sizeof h ? done - sizeof h : 0),
				       len - (done > sizeof h ? done - sizeof h : 0));
	}
	if (rc < 0) {
		snprintf(err, errlen, "write(%s) failed: %s", j->path, strerror(-rc));
		close(j->fd);
		j->fd = -1;
		return rc;
	}
	j->file_bytes += rec;
	j->records++;
	j->bytes += rec;
	j->dirty = true;
	if (j->fsync == HAT_JOURNAL_FSYNC_ALWAYS ||
	    (j->fsync == HAT_JOURNAL_FSYNC_INTERVAL && now_ms - j->last_sync_ms >= j->fsync_interval_ms)) {
		rc = do_sync(j, now_ms);
		if (rc < 0) {
			snprintf(err, errlen, "fdatasync(%s) failed: %s", j->path, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int hat_journal_tick(struct hat_journal *j, uint64_t now_ms)
{
	if (j->fsync != HAT_JOURNAL_FSYNC_INTERVAL || !j->dirty)
		return 0;
	if (now_ms - j->last_sync_ms < j->fsync_interval_ms)
		return 0;
	return do_sync(j, now_ms);
}

int hat_journal_sync(struct hat_journal *j, uint64_t now_ms)
{
	return do_sync(j, now_ms);
}

void hat_journal_close(struct hat_journal *j)
{
	if (j->fd >= 0) {
		if (j->fsync != HAT_JOURNAL_FSYNC_NEVER)
			(void)do_sync(j, j->last_sync_ms);
		close(j->fd);
	}
	j->fd = -1;
	j->dir[0] = '\0';
}

/* ---------------------------------------------------------------- listing */

static int cmp_file(const void *a, const void *b)
{
	const struct hat_journal_file *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int hat_journal_list(const char *dir, const char *prefix, struct hat_journal_file **out,
		     size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	if (!prefix || !prefix_ok(prefix)) {
		snprintf(err, errlen, "journal: prefix \"%s\" must be 1-63 of [A-Za-z0-9_.-]",
			 prefix ? prefix : "(null)");
		return -EINVAL;
	}
	DIR *d = opendir(dir);
	if (!d) {
		int e = -errno;
		snprintf(err, errlen, "opendir(%s) failed: %s", dir, strerror(-e));
		return e;
	}
	size_t pl = strlen(prefix), cap = 0;
	struct hat_journal_file *v = NULL;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		size_t nl = strlen(nm);
		if (strncmp(nm, prefix, pl) != 0 || nm[pl] != '-' || nl < 4 ||
		    strcmp(nm + nl - 4, HAT_JOURNAL_SUFFIX) != 0)
			continue;
		char *end;
		unsigned long long seq = strtoull(nm + pl + 1, &end, 10);
		if (end == nm + pl + 1 || *end != '-')
			continue;
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct hat_journal_file *nv = realloc(v, nc * sizeof *v);
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		v[*n].seq = seq;
		snprintf(v[*n].path, sizeof v[*n].path, "%s/%s", dir, nm);
		(*n)++;
	}
	closedir(d);
	if (rc < 0) {
		free(v);
		*n = 0;
		return rc;
	}
	if (*n)
		qsort(v, *n, sizeof *v, cmp_file);
	*out = v;
	return 0;
}

void hat_journal_list_free(struct hat_journal_file *files)
{
	free(files);
}

/* ---------------------------------------------------------------- reader */

/* Makes at least need bytes available from pos; returns 0, -ENODATA if the file ended first,
 * or a negative errno. */
static int fill(struct hat_journal_reader *r, size_t need)
{
	if (r->have - r->pos >= need)
		return 0;
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->have - r->pos);
		r->have -= r->pos;
		r->buf_off += r->pos;
		r->pos = 0;
	}
	if (need > r->cap) {
		size_t cap = r->cap ? r->cap : 65536;
		while (cap < need)
			cap *= 2;
		uint8_t *p = realloc(r->buf, cap);
		if (!p)
			return -ENOMEM;
		r->buf = p;
		r->cap = cap;
	}
	while (r->have < need && !r->eof) {
		ssize_t n = read(r->fd, r->buf + r->have, r->cap - r->have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			r->eof = true;
		r->have += (size_t)n;
	}
	return r->have >= need ? 0 : -ENODATA;
}

int hat_journal_reader_open(struct hat_journal_reader *r, const char *path, char *err,
			    size_t errlen)
{
	memset(r, 0, sizeof *r);
	snprintf(r->path, sizeof r->path, "%s", path);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		int e = -errno;
		snprintf(err, errlen, "open(%s) failed: %s", path, strerror(-e));
		return e;
	}
	int rc = fill(r, HAT_JOURNAL_FILE_HDR);
	if (rc == -ENODATA) {
		snprintf(err, errlen, "%s: shorter than the %u-byte journal header", path,
			 HAT_JOURNAL_FILE_HDR);
		rc = HAT_E_TRUNCATED;
	} else if (rc < 0) {
		snprintf(err, errlen, "read(%s) failed: %s", path, strerror(-rc));
	} else if (memcmp(r->buf, HAT_JOURNAL_MAGIC, 8) != 0) {
		snprintf(err, errlen, "%s: not a hat journal (bad magic)", path);
		rc = HAT_E_BADMAGIC;
	} else if (get_u32(r->buf + 8) != HAT_JOURNAL_VERSION ||
		   get_u32(r->buf + 12) != HAT_JOURNAL_FILE_HDR) {
		snprintf(err, errlen, "%s: journal version %u (header %u bytes), this build reads %u",
			 path, get_u32(r->buf + 8), get_u32(r->buf + 12), HAT_JOURNAL_VERSION);
		rc = HAT_E_BADVERSION;
	}
	if (rc < 0) {
		hat_journal_reader_close(r);
		return rc;
	}
	r->created_ns = get_u64(r->buf + 16);
	r->file_seq = get_u64(r->buf + 24);
	r->pos = HAT_JOURNAL_FILE_HDR;
	r->offset = HAT_JOURNAL_FILE_HDR;
	return 0;
}

int hat_journal_next(struct hat_journal_reader *r, struct hat_journal_rec *rec, char *err,
		     size_t errlen)
{
	if (r->fd < 0) {
		snprintf(err, errlen, "journal reader: not open");
		return -EBADF;
	}
	/* The parse position always equals r->offset in the file while no error has occurred. */
	int rc = fill(r, HAT_JOURNAL_REC_HDR);
	if (rc == -ENODATA) {
		if (r->have == r->pos)
			return -ENODATA;
		snprintf(err, errlen, "%s: truncated record header at offset %llu", r->path,
			 (unsigned long long)r->offset);
		return HAT_E_TRUNCATED;
	}
	if (rc < 0) {
		snprintf(err, errlen, "read(%s) failed: %s", r->path, strerror(-rc));
		return rc;
	}
	const uint8_t *h = r->buf + r->pos;
	if (hat_crc32c(h, 20, 0) != get_u32(h + 20)) {
		snprintf(err, errlen, "%s: record header checksum mismatch at offset %llu", r->path,
			 (unsigned long long)r->offset);
		return HAT_E_CRC;
	}
	uint32_t len = get_u32(h);
	if (len > HAT_JOURNAL_MAX_RECORD) {
		snprintf(err, errlen, "%s: record at offset %llu claims %u bytes (limit %u)", r->path,
			 (unsigned long long)r->offset, len, HAT_JOURNAL_MAX_RECORD);
		return HAT_E_CRC;
	}
	rc = fill(r, HAT_JOURNAL_REC_HDR + (size_t)len);
	if (rc == -ENODATA) {
		snprintf(err, errlen, "%s: truncated record payload at offset %llu (%u bytes expected)",
			 r->path, (unsigned long long)r->offset, len);
		return HAT_E_TRUNCATED;
	}
	if (rc < 0) {
		snprintf(err, errlen, "read(%s) failed: %s", r->path, strerror(-rc));
		return rc;
	}
	h = r->buf + r->pos; /* fill() may have moved the buffer */
	const uint8_t *data = h + HAT_JOURNAL_REC_HDR;
	if (hat_crc32c(data, len, 0) != get_u32(h + 16)) {
		snprintf(err, errlen, "%s: record payload checksum mismatch at offset %llu", r->path,
			 (unsigned long long)r->offset);
		return HAT_E_CRC;
	}
	rec->len = len;
	rec->type = get_u32(h + 4);
	rec->ts_ns = get_u64(h + 8);
	rec->data = data;
	rec->offset = r->offset;
	r->pos += HAT_JOURNAL_REC_HDR + len;
	r->offset += HAT_JOURNAL_REC_HDR + len;
	r->records++;
	return 0;
}

void hat_journal_reader_close(struct hat_journal_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->buf);
	r->buf = NULL;
	r->cap = r->have = r->pos = 0;
}
