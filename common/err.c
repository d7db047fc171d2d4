/* common/err.c -- error strings and the always-on assertion. */
#include "common/err.h"
#include "common/compiler.h"

#include <execinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const hat_err_text[] = {
	[0] = "shm segment has a bad magic (not a hat segment)",
	[1] = "shm segment layout version mismatch",
	[2] = "shm segment size mismatch",
	[3] = "unknown message type",
	[4] = "unknown message version",
	[5] = "message length does not match its type",
	[6] = "message field out of range",
	[7] = "sequence gap or duplicate",
	[8] = "invalid configuration",
	[9] = "malformed input",
	[10] = "checksum mismatch",
	[11] = "input truncated",
	[12] = "invalid signature",
	[13] = "wrong passphrase or tampered keystore",
	[14] = "exchange returned an error",
	[15] = "data is stale",
	[16] = "trading is halted",
};

const char *hat_strerror(int code)
{
	if (code == 0)
		return "success";
	if (code <= HAT_E_BASE && code >= HAT_E_LAST)
		return hat_err_text[HAT_E_BASE - code];
	if (code < 0 && code > -4000)
		return strerror(-code);
	return "unknown error";
}

void hat__assert_fail(const char *expr, const char *file, int line)
{
	void *frames[32];
	int n = backtrace(frames, 32);
	fprintf(stderr, "{\"level\":\"fatal\",\"event\":\"assert\",\"expr\":\"%s\",\"file\":\"%s\",\"line\":%d}\n",
		expr, file, line);
	backtrace_symbols_fd(frames, n, STDERR_FILENO);
	abort();
}

void hat_errf(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
