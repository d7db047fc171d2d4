/* common/journal_zst.c -- see journal_zst.h. */
#include "common/journal_zst.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "common/err.h"

#define IN_CHUNK (128u << 10)

static const uint8_t zst_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* ---------------------------------------------------------------- reader */

/* Makes at least n decompressed bytes available at buf[pos..). Returns 0, -ENODATA if the
 * stream ends first, HAT_E_CRC (corrupt stream: err set), -ENOMEM or a negative errno. */
static int zfill(struct hat_jz_reader *r, size_t n, char *err, size_t errlen)
{
	if (r->have - r->pos >= n)
		return 0;
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->have - r->pos);
		r->have -= r->pos;
		r->pos = 0;
	}
	if (n > r->cap) {
		size_t nc = r->cap;
		while (nc < n)
			nc *= 2;
		uint8_t *b = realloc(r->buf, nc);
		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->cap = nc;
	}
	while (r->have < n) {
		if (r->in_pos == r->in_have && !r->in_eof) {
			ssize_t k;
			do
				k = read(r->fd, r->in, IN_CHUNK);
			while (k < 0 && errno == EINTR);
			if (k < 0) {
				int e = -errno;
				snprintf(err, errlen, "read(%s) failed: %s", r->path, strerror(-e));
				return e;
			}
			r->in_have = (size_t)k;
			r->in_pos = 0;
			if (k == 0)
				r->in_eof = true;
		}
		if (r->in_pos == r->in_have && r->in_eof)
			return -ENODATA;
		ZSTD_inBuffer in = { r->in, r->in_have, r->in_pos };
		ZSTD_outBuffer out = { r->buf + r->have, r->cap - r->have, 0 };
		size_t z = ZSTD_decompressStream(r->ds, &out, &in);
		if (ZSTD_isError(z)) {
			snprintf(err, errlen, "%s: corrupt zstd stream near uncompressed offset %llu: %s",
				 r->path, (unsigned long long)(r->offset + (r->have - r->pos)),
				 ZSTD_getErrorName(z));
			return HAT_E_CRC;
		}
		r->in_pos = in.pos;
		r->have += out.pos;
		r->frame_done = z == 0;
	}
	return 0;
}

static int open_zst(struct hat_jz_reader *r, char *err, size_t errlen)
{
	r->ds = ZSTD_createDStream();
	r->in = malloc(IN_CHUNK);
	r->cap = 1u << 20;
	r->buf = malloc(r->cap);
	if (!r->ds || !r->in || !r->buf)
		return -ENOMEM;
	ZSTD_initDStream(r->ds);
	int rc = zfill(r, HAT_JOURNAL_FILE_HDR, err, errlen);
	if (rc == -ENODATA) {
		snprintf(err, errlen, "%s: shorter than the %u-byte journal header", r->path,
			 HAT_JOURNAL_FILE_HDR);
		return HAT_E_TRUNCATED;
	}
	if (rc < 0)
		return rc;
	const uint8_t *h = r->buf;
	if (memcmp(h, HAT_JOURNAL_MAGIC, 8) != 0) {
		snprintf(err, errlen, "%s: not a hat journal (bad magic)", r->path);
		return HAT_E_BADMAGIC;
	}
	if (get_u32(h + 8) != HAT_JOURNAL_VERSION || get_u32(h + 12) != HAT_JOURNAL_FILE_HDR) {
		snprintf(err, errlen, "%s: journal version %u (header %u bytes), this build reads %u",
			 r->path, get_u32(h + 8), get_u32(h + 12), HAT_JOURNAL_VERSION);
		return HAT_E_BADVERSION;
	}
	r->created_ns = get_u64(h + 16);
	r->file_seq = get_u64(h + 24);
	r->pos = HAT_JOURNAL_FILE_HDR;
	r->offset = HAT_JOURNAL_FILE_HDR;
	return 0;
}

int hat_jz_open(struct hat_jz_reader *r, const char *path, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
	r->plain.fd = -1;
	snprintf(r->path, sizeof r->path, "%s", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = -errno;
		snprintf(err, errlen, "open(%s) failed: %s", path, strerror(-e));
		return e;
	}
	struct stat sb;
	uint8_t m[4] = { 0 };
	ssize_t k = pread(fd, m, sizeof m, 0);
	if (fstat(fd, &sb) == 0)
		r->file_bytes = (uint64_t)sb.st_size;
	if (k == 4 && memcmp(m, zst_magic, 4) == 0) {
		r->zst = true;
		r->fd = fd;
		int rc = open_zst(r, err, errlen);
		if (rc < 0) {
			if (rc == -ENOMEM)
				snprintf(err, errlen, "%s: out of memory", path);
			hat_jz_close(r);
		}
		return rc;
	}
	close(fd);
	int rc = hat_journal_reader_open(&r->plain, path, err, errlen);
	if (rc < 0) {
		r->plain.fd = -1;
		return rc;
	}
	r->created_ns = r->plain.created_ns;
	r->file_seq = r->plain.file_seq;
	r->offset = r->plain.offset;
	return 0;
}

static int zfail(struct hat_jz_reader *r, int rc, char *err, size_t errlen)
{
	r->sticky = rc;
	snprintf(r->sticky_err, sizeof r->sticky_err, "%s", err);
	(void)errlen;
	return rc;
}

static int znext(struct hat_jz_reader *r, struct hat_journal_rec *rec, char *err, size_t errlen)
{
	if (r->sticky) {
		snprintf(err, errlen, "%s", r->sticky_err);
		return r->sticky;
	}
	int rc = zfill(r, HAT_JOURNAL_REC_HDR, err, errlen);
	if (rc == -ENODATA) {
		if (r->have == r->pos) {
			if (!r->frame_done) {
				snprintf(err, errlen, "%s: compressed stream ends early (truncated "
					 "file) at uncompressed offset %llu", r->path,
					 (unsigned long long)r->offset);
				return zfail(r, HAT_E_TRUNCATED, err, errlen);
			}
			return -ENODATA;
		}
		snprintf(err, errlen, "%s: truncated record header at offset %llu", r->path,
			 (unsigned long long)r->offset);
		return zfail(r, HAT_E_TRUNCATED, err, errlen);
	}
	if (rc < 0)
		return zfail(r, rc, err, errlen);
	const uint8_t *h = r->buf + r->pos;
	if (hat_crc32c(h, 20, 0) != get_u32(h + 20)) {
		snprintf(err, errlen, "%s: record header checksum mismatch at offset %llu", r->path,
			 (unsigned long long)r->offset);
		return zfail(r, HAT_E_CRC, err, errlen);
	}
	uint32_t len = get_u32(h);
	if (len > HAT_JOURNAL_MAX_RECORD) {
		snprintf(err, errlen, "%s: record at offset %llu claims %u bytes (limit %u)", r->path,
			 (unsigned long long)r->offset, len, HAT_JOURNAL_MAX_RECORD);
		return zfail(r, HAT_E_CRC, err, errlen);
	}
	rc = zfill(r, HAT_JOURNAL_REC_HDR + (size_t)len, err, errlen);
	if (rc == -ENODATA) {
		snprintf(err, errlen, "%s: truncated record payload at offset %llu (%u bytes expected)",
			 r->path, (unsigned long long)r->offset, len);
		return zfail(r, HAT_E_TRUNCATED, err, errlen);
	}
	if (rc < 0)
		return zfail(r, rc, err, errlen);
	h = r->buf + r->pos;
	const uint8_t *data = h + HAT_JOURNAL_REC_HDR;
	if (hat_crc32c(data, len, 0) != get_u32(h + 16)) {
		snprintf(err, errlen, "%s: record payload checksum mismatch at offset %llu", r->path,
			 (unsigned long long)r->offset);
		return zfail(r, HAT_E_CRC, err, errlen);
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

int hat_jz_next(struct hat_jz_reader *r, struct hat_journal_rec *rec, char *err, size_t errlen)
{
	if (r->zst)
		return znext(r, rec, err, errlen);
	int rc = hat_journal_next(&r->plain, rec, err, errlen);
	r->offset = r->plain.offset;
	r->records = r->plain.records;
	return rc;
}

uint64_t hat_jz_progress(const struct hat_jz_reader *r)
{
	if (!r->zst)
		return r->plain.offset;
	off_t o = lseek(r->fd, 0, SEEK_CUR);
	return o < 0 ? 0 : (uint64_t)o - (r->in_have - r->in_pos);
}

void hat_jz_close(struct hat_jz_reader *r)
{
	if (r->zst) {
		if (r->fd >= 0)
			close(r->fd);
		r->fd = -1;
		ZSTD_freeDStream(r->ds);
		r->ds = NULL;
		free(r->in);
		free(r->buf);
		r->in = NULL;
		r->buf = NULL;
	} else if (r->plain.fd >= 0) {
		hat_journal_reader_close(&r->plain);
	}
}

/* ---------------------------------------------------------------- compression */

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t k = write(fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Decompresses dst and compares with src byte for byte. */
static int verify(const char *src, const char *dst, char *err, size_t errlen)
{
	int fs = open(src, O_RDONLY | O_CLOEXEC), fd = open(dst, O_RDONLY | O_CLOEXEC);
	ZSTD_DStream *ds = ZSTD_createDStream();
	size_t ocap = ZSTD_DStreamOutSize();
	uint8_t *in = malloc(IN_CHUNK), *out = malloc(ocap), *ref = malloc(ocap);
	int rc = 0;
	if (fs < 0 || fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "open(%s) failed: %s", fs < 0 ? src : dst, strerror(-rc));
		goto out;
	}
	if (!ds || !in || !out || !ref) {
		rc = -ENOMEM;
		snprintf(err, errlen, "verifying %s: out of memory", dst);
		goto out;
	}
	ZSTD_initDStream(ds);
	size_t last = 1;
	for (;;) {
		ssize_t k = read(fd, in, IN_CHUNK);
		if (k < 0) {
			rc = -errno;
			snprintf(err, errlen, "read(%s) failed: %s", dst, strerror(-rc));
			goto out;
		}
		if (k == 0)
			break;
		ZSTD_inBuffer ib = { in, (size_t)k, 0 };
		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = { out, ocap, 0 };
			last = ZSTD_decompressStream(ds, &ob, &ib);
			if (ZSTD_isError(last))
				goto bad;
			size_t got = 0;
			while (got < ob.pos) {
				ssize_t r2 = read(fs, ref + got, ob.pos - got);
				if (r2 <= 0)
					goto bad;
				got += (size_t)r2;
			}
			if (memcmp(ref, out, ob.pos) != 0)
				goto bad;
		}
	}
	uint8_t extra;
	if (last != 0 || read(fs, &extra, 1) != 0)
		goto bad;
	goto out;
bad:
	rc = HAT_E_CRC;
	snprintf(err, errlen, "%s: does not decompress to the bytes of %s", dst, src);
out:
	if (fs >= 0)
		close(fs);
	if (fd >= 0)
		close(fd);
	ZSTD_freeDStream(ds);
	free(in), free(out), free(ref);
	return rc;
}

int hat_jz_compress_file(const char *src, const char *dst, int level, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", dst) >= sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", dst);
		return -ENAMETOOLONG;
	}
	if (access(dst, F_OK) == 0) {
		snprintf(err, errlen, "%s: already exists", dst);
		return -EEXIST;
	}
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		int e = -errno;
		snprintf(err, errlen, "open(%s) failed: %s", src, strerror(-e));
		return e;
	}
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		int e = -errno;
		close(in);
		snprintf(err, errlen, "open(%s) failed: %s", tmp, strerror(-e));
		return e;
	}
	ZSTD_CStream *cs = ZSTD_createCStream();
	size_t icap = ZSTD_CStreamInSize(), ocap = ZSTD_CStreamOutSize();
	uint8_t *ib = malloc(icap), *ob = malloc(ocap);
	int rc = 0;
	if (!cs || !ib || !ob) {
		rc = -ENOMEM;
		snprintf(err, errlen, "compressing %s: out of memory", src);
		goto out;
	}
	ZSTD_initCStream(cs, level > 0 ? level : 3);
	for (;;) {
		ssize_t k = read(in, ib, icap);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = -errno;
			snprintf(err, errlen, "read(%s) failed: %s", src, strerror(-rc));
			goto out;
		}
		ZSTD_inBuffer zi = { ib, (size_t)k, 0 };
		bool last = k == 0;
		size_t left;
		do {
			ZSTD_outBuffer zo = { ob, ocap, 0 };
			left = last ? ZSTD_endStream(cs, &zo) : ZSTD_compressStream(cs, &zo, &zi);
			if (ZSTD_isError(left)) {
				rc = -EIO;
				snprintf(err, errlen, "compressing %s: %s", src, ZSTD_getErrorName(left));
				goto out;
			}
			if ((rc = write_all(out, ob, zo.pos)) < 0) {
				snprintf(err, errlen, "write(%s) failed: %s", tmp, strerror(-rc));
				goto out;
			}
		} while (last ? left != 0 : zi.pos < zi.size);
		if (last)
			break;
	}
	if (fsync(out) != 0) {
		rc = -errno;
		snprintf(err, errlen, "fsync(%s) failed: %s", tmp, strerror(-rc));
		goto out;
	}
out:
	ZSTD_freeCStream(cs);
	free(ib), free(ob);
	close(in);
	if (close(out) != 0 && rc == 0) {
		rc = -errno;
		snprintf(err, errlen, "close(%s) failed: %s", tmp, strerror(-rc));
	}
	if (rc == 0)
		rc = verify(src, tmp, err, errlen);
	if (rc == 0 && rename(tmp, dst) != 0) {
		rc = -errno;
		snprintf(err, errlen, "rename(%s) failed: %s", tmp, strerror(-rc));
	}
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* ---------------------------------------------------------------- compaction */

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Parses <prefix>-<8 digits>-<yyyymmddThhmmss>.hjl[.zst]. */
static bool parse_name(const char *name, char *prefix, size_t plen, uint64_t *seq,
		       uint64_t *t_s, bool *cold)
{
	size_t n = strlen(name);
	*cold = ends_with(name, ".hjl.zst");
	size_t base = n - (*cold ? 8 : 4);
	if (!*cold && !ends_with(name, ".hjl"))
		return false;
	/* -<8>-<15> before the suffix: 1 + 8 + 1 + 15 = 25 characters. */
	if (base < 26)
		return false;
	const char *p = name + base - 25;
	if (p[0] != '-' || p[9] != '-' || p[18] != 'T')
		return false;
	for (int i = 1; i < 25; i++)
		if (i != 9 && i != 18 && (p[i] < '0' || p[i] > '9'))
			return false;
	size_t pl = (size_t)(p - name);
	if (pl == 0 || pl >= plen)
		return false;
	memcpy(prefix, name, pl);
	prefix[pl] = '\0';
	*seq = strtoull(p + 1, NULL, 10);
	struct tm tm = { 0 };
	char tb[16];
	memcpy(tb, p + 10, 15);
	tb[15] = '\0';
	if (!strptime(tb, "%Y%m%dT%H%M%S", &tm))
		return false;
	*t_s = (uint64_t)timegm(&tm);
	return true;
}

bool hat_jz_is_journal_name(const char *name, bool *cold)
{
	char prefix[64];
	uint64_t seq, t;
	if (parse_name(name, prefix, sizeof prefix, &seq, &t, cold))
		return true;
	*cold = ends_with(name, ".zst");
	return ends_with(name, ".hjl") || ends_with(name, ".journal") ||
	       ends_with(name, ".hjl.zst") || ends_with(name, ".journal.zst");
}

struct jfile {
	char name[256];
	char prefix[64];
	uint64_t seq, t_s, bytes;
	bool cold, gone;
};

static int cmp_jfile(const void *a, const void *b)
{
	const struct jfile *x = a, *y = b;
	int c = strcmp(x->prefix, y->prefix);
	if (c)
		return c;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return (int)x->cold - (int)y->cold;
}

int hat_jz_compact(const char *dir, const struct hat_jz_retention *ret, uint64_t now_ns,
		   struct hat_jz_compact_stats *st, char *err, size_t errlen)
{
	memset(st, 0, sizeof *st);
	DIR *d = opendir(dir);
	if (!d) {
		int e = -errno;
		snprintf(err, errlen, "opendir(%s) failed: %s", dir, strerror(-e));
		return e;
	}
	struct jfile *f = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct jfile j = { 0 };
		if (strlen(de->d_name) >= sizeof j.name ||
		    !parse_name(de->d_name, j.prefix, sizeof j.prefix, &j.seq, &j.t_s, &j.cold))
			continue;
		snprintf(j.name, sizeof j.name, "%s", de->d_name);
		char path[PATH_MAX];
		struct stat sb;
		snprintf(path, sizeof path, "%s/%s", dir, j.name);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		j.bytes = (uint64_t)sb.st_size;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct jfile *g = realloc(f, cap * sizeof *f);
			if (!g) {
				rc = -ENOMEM;
				snprintf(err, errlen, "compacting %s: out of memory", dir);
				break;
			}
			f = g;
		}
		f[n++] = j;
	}
	closedir(d);
	if (rc < 0) {
		free(f);
		return rc;
	}
	qsort(f, n, sizeof *f, cmp_jfile);

	/* Compress every warm file except the newest of its prefix (and a file whose .zst
	 * already exists: a compaction that crashed after the rename; drop the warm copy). */
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (f[i].cold)
			continue;
		bool newest = true;
		for (size_t k = i + 1; k < n && strcmp(f[k].prefix, f[i].prefix) == 0; k++)
			if (f[k].seq > f[i].seq)
				newest = false;
		if (newest && !ret->compress_newest) {
			st->skipped++;
			continue;
		}
		char src[PATH_MAX], dst[PATH_MAX + 8];
		snprintf(src, sizeof src, "%s/%s", dir, f[i].name);
		snprintf(dst, sizeof dst, "%s%s", src, HAT_JZ_SUFFIX);
		bool have_cold = i + 1 < n && f[i + 1].seq == f[i].seq && f[i + 1].cold &&
				 strcmp(f[i + 1].prefix, f[i].prefix) == 0;
		if (!have_cold) {
			rc = hat_jz_compress_file(src, dst, ret->level, err, errlen);
			if (rc < 0)
				break;
			struct stat sb;
			if (stat(dst, &sb) == 0) {
				st->compressed++;
				st->bytes_before += f[i].bytes;
				st->bytes_after += (uint64_t)sb.st_size;
				f[i].bytes = (uint64_t)sb.st_size;
			}
		} else {
			f[i].gone = true; /* the cold copy is f[i + 1] */
		}
		if (unlink(src) != 0) {
			rc = -errno;
			snprintf(err, errlen, "unlink(%s) failed: %s", src, strerror(-rc));
			break;
		}
		if (!have_cold) {
			f[i].cold = true;
			snprintf(f[i].name + strlen(f[i].name), sizeof f[i].name - strlen(f[i].name),
				 "%s", HAT_JZ_SUFFIX);
		}
	}

	/* Retention over cold files: oldest first (by creation time in the name, then seq). */
	uint64_t cold_total = 0;
	for (size_t i = 0; i < n; i++)
		if (f[i].cold && !f[i].gone)
			cold_total += f[i].bytes;
	for (;;) {
		if (rc < 0)
			break;
		size_t oldest = n;
		for (size_t i = 0; i < n; i++)
			if (f[i].cold && !f[i].gone &&
			    (oldest == n || f[i].t_s < f[oldest].t_s ||
			     (f[i].t_s == f[oldest].t_s && f[i].seq < f[oldest].seq)))
				oldest = i;
		if (oldest == n)
			break;
		bool too_old = ret->max_age_days &&
			       f[oldest].t_s + (uint64_t)ret->max_age_days * 86400u <
			       now_ns / 1000000000u;
		bool too_big = ret->max_bytes && cold_total > ret->max_bytes;
		if (!too_old && !too_big)
			break;
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", dir, f[oldest].name);
		if (unlink(path) != 0) {
			rc = -errno;
			snprintf(err, errlen, "unlink(%s) failed: %s", path, strerror(-rc));
			break;
		}
		f[oldest].gone = true;
		cold_total -= f[oldest].bytes;
		st->deleted++;
		st->bytes_deleted += f[oldest].bytes;
	}
	st->cold_bytes = cold_total;
	free(f);
	return rc;
}
