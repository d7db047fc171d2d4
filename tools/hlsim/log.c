/* tools/hlsim/log.c -- one JSON object per line on stderr. */
#include "tools/hlsim/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "common/buf.h"

void hlsim_log(const char *level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct hat_buf b = HAT_BUF_INIT;
	hat_buf_printf(&b, "{\"ts_ms\":%lld,\"level\":", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	hat_buf_json_str(&b, level);
	hat_buf_puts(&b, ",\"prog\":\"hlsim\",\"msg\":");
	hat_buf_json_str(&b, msg);
	hat_buf_puts(&b, "}\n");
	if (hat_buf_ok(&b))
		fwrite(b.data, 1, b.len, stderr);
	hat_buf_free(&b);
}
