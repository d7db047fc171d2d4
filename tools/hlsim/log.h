/* tools/hlsim/log.h -- hlsim's log lines: one JSON object per line on stderr.
 *
 * A stop-gap until common/log.h lands; then these calls move to it. Single-threaded.
 */
#ifndef HAT_TOOLS_HLSIM_LOG_H
#define HAT_TOOLS_HLSIM_LOG_H

#include "common/compiler.h"

/* level: "info", "warn", "error". The message is formatted and JSON-escaped. */
void hlsim_log(const char *level, const char *fmt, ...) HAT_PRINTF(2, 3);

#endif
