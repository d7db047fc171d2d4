/* tools/hatctl/cfgcmd.c -- `hatctl config get|set`. */
#include "tools/hatctl/cfgcmd.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int hatctl_config_get(const struct hat_config_doc *doc, const char *path, struct hat_buf *out,
		      char *err, size_t errlen)
{
	const cJSON *n = hat_config_node(doc, path);
	if (!n) {
		snprintf(err, errlen, "%s: %s: missing", doc->path, path);
		return -ENOENT;
	}
	if (cJSON_IsString(n)) {
		hat_buf_puts(out, n->valuestring);
		return 0;
	}
	char *s = cJSON_PrintUnformatted(n);
	if (!s) {
		snprintf(err, errlen, "%s: %s: out of memory", doc->path, path);
		return -ENOMEM;
	}
	hat_buf_puts(out, s);
	free(s);
	return 0;
}

int hatctl_config_set(struct hat_config_doc *doc, const char *path, const char *value, char *err,
		      size_t errlen)
{
	char p[256];
	if (!path || !*path || strlen(path) >= sizeof p) {
		snprintf(err, errlen, "config set: bad key '%s' (e.g. venue.http)", path ? path : "");
		return -EINVAL;
	}
	snprintf(p, sizeof p, "%s", path);
	cJSON *obj = doc->root;
	char *key = p;
	for (char *dot; (dot = strchr(key, '.')) != NULL; key = dot + 1) {
		*dot = '\0';
		cJSON *next = cJSON_GetObjectItemCaseSensitive(obj, key);
		if (!next) {
			snprintf(err, errlen, "%s: %s: no object '%s' on the way", doc->path, path, key);
			return -ENOENT;
		}
		if (!cJSON_IsObject(next)) {
			snprintf(err, errlen, "%s: %s: '%s' is not an object", doc->path, path, key);
			return -EINVAL;
		}
		obj = next;
	}
	if (!*key || !cJSON_IsObject(obj)) {
		snprintf(err, errlen, "config set: bad key '%s' (e.g. venue.http)", path);
		return -EINVAL;
	}
	cJSON *v = cJSON_Parse(value);
	if (!v)
		v = cJSON_CreateString(value);
	if (!v) {
		snprintf(err, errlen, "%s: %s: out of memory", doc->path, path);
		return -ENOMEM;
	}
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v);
	else
		cJSON_AddItemToObject(obj, key, v);
	return 0;
}

int hatctl_config_write(const struct hat_config_doc *doc, const char *path, char *err,
			size_t errlen)
{
	char tmp[600];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	char *s = cJSON_Print(doc->root);
	if (!s) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	FILE *f = fopen(tmp, "w");
	int rc = 0;
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "fopen(%s) failed: %s", tmp, strerror(errno));
	} else {
		bool bad = fputs(s, f) < 0 || fputc('\n', f) < 0;
		if (fclose(f) != 0 || bad) {
			rc = -EIO;
			snprintf(err, errlen, "write(%s) failed", tmp);
		} else if (rename(tmp, path) != 0) {
			rc = -errno;
			snprintf(err, errlen, "rename(%s, %s) failed: %s", tmp, path, strerror(errno));
		}
	}
	if (rc)
		unlink(tmp);
	free(s);
	return rc;
}
