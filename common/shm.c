/* common/shm.c -- named shared-memory segments with a checked header. */
#include "common/shm.h"
#include "common/clock.h"
#include "common/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int valid_part(const char *s, int allow_dot)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++) {
		char c = *s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-' || (allow_dot && c == '.'))
			continue;
		return 0;
	}
	return 1;
}

int hat_shm_name(char *buf, size_t len, const char *instance, const char *name, char *err,
		 size_t errlen)
{
	if (!valid_part(instance, 0)) {
		hat_errf(err, errlen, "shm: bad instance name \"%s\" (1+ chars of A-Z a-z 0-9 _ -)",
			instance ? instance : "(null)");
		return -EINVAL;
	}
	if (!valid_part(name, 1)) {
		hat_errf(err, errlen, "shm: bad segment name \"%s\" (1+ chars of A-Z a-z 0-9 _ - .)",
			name ? name : "(null)");
		return -EINVAL;
	}
	size_t cap = len < HAT_SHM_NAME_MAX ? len : HAT_SHM_NAME_MAX;
	int n = snprintf(buf, len, "/hat.%s.%s", instance, name);
	if (n < 0 || (size_t)n >= cap) {
		hat_errf(err, errlen, "shm: name /hat.%s.%s is too long (max %d chars)", instance, name,
			HAT_SHM_NAME_MAX - 1);
		return -ENAMETOOLONG;
	}
	return 0;
}

const char *hat_shm_kind_name(uint32_t kind)
{
	switch (kind) {
	case HAT_SHM_KIND_RING: return "ring";
	case HAT_SHM_KIND_BOARD: return "board";
	case HAT_SHM_KIND_CONTROL: return "control";
	default: return kind >= HAT_SHM_KIND_TEST ? "test" : "unknown";
	}
}

int hat_shm_create_begin(struct hat_shm *s, const char *instance, const char *name,
			 uint32_t kind, uint32_t layout_version, size_t size, char *err,
			 size_t errlen)
{
	memset(s, 0, sizeof *s);
	int rc = hat_shm_name(s->name, sizeof s->name, instance, name, err, errlen);
	if (rc)
		return rc;
	if (size < HAT_SHM_HDR_SIZE) {
		hat_errf(err, errlen, "shm %s: size %zu is smaller than the %d-byte header", s->name, size,
			HAT_SHM_HDR_SIZE);
		return -EINVAL;
	}
	if (kind == HAT_SHM_KIND_ANY) {
		hat_errf(err, errlen, "shm %s: kind 0 is not a kind", s->name);
		return -EINVAL;
	}
	int fd = shm_open(s->name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		rc = -errno;
		hat_errf(err, errlen, "shm_open(\"%s\", O_CREAT|O_EXCL) failed: %s", s->name, strerror(-rc));
		return rc;
	}
	/* shm_open applies the umask; make the mode exactly 0600 whatever it is. */
	if (fchmod(fd, 0600) != 0) {
		rc = -errno;
		hat_errf(err, errlen, "fchmod(\"%s\", 0600) failed: %s", s->name, strerror(-rc));
		goto fail;
	}
	if (ftruncate(fd, (off_t)size) != 0) {
		rc = -errno;
		hat_errf(err, errlen, "ftruncate(\"%s\", %zu) failed: %s", s->name, size, strerror(-rc));
		goto fail;
	}
	/* Reserve the pages now (tmpfs): running out of /dev/shm later would be a SIGBUS in the
	 * middle of a push instead of an error here. */
	rc = posix_fallocate(fd, 0, (off_t)size);
	if (rc != 0 && rc != EOPNOTSUPP && rc != EINVAL) {
		rc = -rc;
		hat_errf(err, errlen, "posix_fallocate(\"%s\", %zu) failed: %s", s->name, size, strerror(-rc));
		goto fail;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		hat_errf(err, errlen, "mmap(\"%s\", %zu) failed: %s", s->name, size, strerror(-rc));
		goto fail;
	}
	close(fd);
	s->base = p;
	s->size = size;
	s->flags = 0;

	struct hat_shm_hdr *h = p;
	h->layout_version = layout_version;
	h->kind = kind;
	h->size = size;
	h->created_ns = hat_now_ns();
	h->creator_pid = (int32_t)getpid();
	memcpy(h->name, s->name, sizeof h->name);
	return 0;

fail:
	close(fd);
	shm_unlink(s->name);
	s->name[0] = '\0';
	return rc;
}

void hat_shm_publish(struct hat_shm *s)
{
	struct hat_shm_hdr *h = s->base;
	/* Magic last, with release: pairs with the acquire load in hat_shm_open(), so an opener
	 * that sees the magic sees the whole header and the module's initialised body. */
	__atomic_store_n(&h->magic, HAT_SHM_MAGIC, __ATOMIC_RELEASE);
}

int hat_shm_create(struct hat_shm *s, const char *instance, const char *name, uint32_t kind,
		   uint32_t layout_version, size_t size, char *err, size_t errlen)
{
	int rc = hat_shm_create_begin(s, instance, name, kind, layout_version, size, err, errlen);
	if (rc == 0)
		hat_shm_publish(s);
	return rc;
}

int hat_shm_open(struct hat_shm *s, const char *instance, const char *name, uint32_t kind,
		 uint32_t layout_version, size_t expect_size, unsigned flags, char *err,
		 size_t errlen)
{
	memset(s, 0, sizeof *s);
	int rc = hat_shm_name(s->name, sizeof s->name, instance, name, err, errlen);
	if (rc)
		return rc;
	int ro = (flags & HAT_SHM_RDONLY) != 0;
	int fd = shm_open(s->name, ro ? O_RDONLY : O_RDWR, 0);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			hat_errf(err, errlen, "shm %s: no such segment (is superd running for instance %s?)",
				s->name, instance);
		else
			hat_errf(err, errlen, "shm_open(\"%s\") failed: %s", s->name, strerror(-rc));
		return rc;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		hat_errf(err, errlen, "fstat(\"%s\") failed: %s", s->name, strerror(-rc));
		close(fd);
		return rc;
	}
	size_t real = (size_t)st.st_size;
	if (real < HAT_SHM_HDR_SIZE) {
		hat_errf(err, errlen,
			"shm %s: segment is %zu bytes, smaller than the %d-byte header "
			"(not a hat segment; recreate it: scripts/launch.sh --fresh or superd --fresh)",
			s->name, real, HAT_SHM_HDR_SIZE);
		close(fd);
		return HAT_E_BADSIZE;
	}
	void *p = mmap(NULL, real, ro ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		hat_errf(err, errlen, "mmap(\"%s\", %zu) failed: %s", s->name, real, strerror(-rc));
		close(fd);
		return rc;
	}
	close(fd);
	const struct hat_shm_hdr *h = p;
	/* Acquire pairs with the release store of the magic in hat_shm_create(). */
	uint64_t magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	if (magic != HAT_SHM_MAGIC) {
		hat_errf(err, errlen, "shm %s: bad magic 0x%llx (not a hat segment; recreate it: scripts/launch.sh --fresh or superd --fresh)",
			s->name, (unsigned long long)magic);
		rc = HAT_E_BADMAGIC;
		goto fail;
	}
	if (h->size != real) {
		hat_errf(err, errlen,
			"shm %s: header says %llu bytes but the segment is %zu bytes "
			"(truncated or overwritten; recreate it: scripts/launch.sh --fresh or superd --fresh)",
			s->name, (unsigned long long)h->size, real);
		rc = HAT_E_BADSIZE;
		goto fail;
	}
	if (kind != HAT_SHM_KIND_ANY && h->kind != kind) {
		hat_errf(err, errlen, "shm %s: is a %s segment (kind %u), expected a %s (kind %u)", s->name,
			hat_shm_kind_name(h->kind), h->kind, hat_shm_kind_name(kind), kind);
		rc = HAT_E_BADMAGIC;
		goto fail;
	}
	if (layout_version != 0 && h->layout_version != layout_version) {
		hat_errf(err, errlen,
			"shm %s: layout version %u, this build expects %u "
			"(made by another hat version; recreate it: scripts/launch.sh --fresh or superd --fresh)",
			s->name, h->layout_version, layout_version);
		rc = HAT_E_BADVERSION;
		goto fail;
	}
	if (expect_size != 0 && h->size != expect_size) {
		hat_errf(err, errlen, "shm %s: size %llu bytes, expected %zu (recreate it: scripts/launch.sh --fresh or superd --fresh)",
			s->name, (unsigned long long)h->size, expect_size);
		rc = HAT_E_BADSIZE;
		goto fail;
	}
	s->base = p;
	s->size = real;
	s->flags = flags;
	return 0;

fail:
	munmap(p, real);
	return rc;
}

void hat_shm_close(struct hat_shm *s)
{
	if (s->base)
		munmap(s->base, s->size);
	s->base = NULL;
	s->size = 0;
}

int hat_shm_unlink(const char *instance, const char *name, char *err, size_t errlen)
{
	char path[HAT_SHM_NAME_MAX];
	int rc = hat_shm_name(path, sizeof path, instance, name, err, errlen);
	if (rc)
		return rc;
	if (shm_unlink(path) != 0) {
		rc = -errno;
		hat_errf(err, errlen, "shm_unlink(\"%s\") failed: %s", path, strerror(-rc));
		return rc;
	}
	return 0;
}
