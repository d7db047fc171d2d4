/* tools/hatctl/cfgcmd.h -- `hatctl config get|set`: read one value of a configuration, or
 * write a copy of it with some values changed (the launch script uses this to point a run
 * config at the hlsim it started, so scripts need no JSON tool).
 */
#ifndef HAT_TOOLS_HATCTL_CFGCMD_H
#define HAT_TOOLS_HATCTL_CFGCMD_H

#include <stddef.h>

#include "common/buf.h"
#include "common/config.h"

/* Appends the value at path ("venue.http", "superd.stages", "riskd.limits[0].coin") to out:
 * strings bare, anything else as compact JSON. Returns 0, or -ENOENT with err naming the path. */
int hatctl_config_get(const struct hat_config_doc *doc, const char *path, struct hat_buf *out,
		      char *err, size_t errlen);

/* Sets the member at a dotted path of objects ("venue.http", "superd.bin_dir"; the last member
 * is created if missing, the objects before it must exist) to value: value is taken as JSON if
 * it parses as JSON (42, true, ["a"], "quoted"), else as a plain string. doc is modified.
 * Returns 0, -ENOENT (an object on the way is missing) or -EINVAL (a part of the path is not
 * an object, or the path is empty), with err naming the path. */
int hatctl_config_set(struct hat_config_doc *doc, const char *path, const char *value, char *err,
		      size_t errlen);

/* Writes doc as indented JSON to path (via path.tmp and rename). Returns 0 or a negative errno
 * with err naming the file. */
int hatctl_config_write(const struct hat_config_doc *doc, const char *path, char *err,
			size_t errlen);

#endif
