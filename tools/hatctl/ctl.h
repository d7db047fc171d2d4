/* tools/hatctl/ctl.h -- hatctl's core: requests to superd's control socket and the text made
 * from its answers.
 *
 * superd's protocol (superd/ctlsock.h): one JSON object on one line each way. This module
 * builds the request lines and turns the response lines into what the operator reads (the
 * status table, the one-line summary the launch script parses). It does no I/O: the socket is
 * tools/hatctl/client.h, so everything here is tested with golden files
 * (tests/golden/hatctl_*.ans). Single-threaded; no globals.
 */
#ifndef HAT_TOOLS_HATCTL_CTL_H
#define HAT_TOOLS_HATCTL_CTL_H

#include <stddef.h>

#include "common/buf.h"

/* Exit codes of hatctl (and of its commands). */
enum hatctl_exit {
	HATCTL_OK = 0,      /* done */
	HATCTL_REFUSED = 1, /* superd refused the command (its error is printed), or unhealthy */
	HATCTL_USAGE = 2,   /* bad command line, superd not reachable, or a garbled answer */
};

/* Appends the request line (without the newline) for cmd ("status", "restart", "halt",
 * "resume", "cancel_all", "stop"). stage (restart) and why (halt, resume, cancel_all) may be
 * NULL; they are JSON-escaped. */
void hatctl_request(struct hat_buf *out, const char *cmd, const char *stage, const char *why);

/* Reads superd's answer line (len bytes, need not be NUL-terminated).
 * Returns HATCTL_OK for {"ok":true,...}; HATCTL_REFUSED for {"ok":false,"error":"..."}, with
 * superd's error text in err; HATCTL_USAGE if the line is not such an object (err says what
 * was wrong). */
int hatctl_response(const char *line, size_t len, char *err, size_t errlen);

/* Flags of hatctl_format_status(). */
enum hatctl_status_flags {
	HATCTL_STATUS_ALL_COUNTERS = 1u << 0, /* list every counter under each stage (-v) */
};

/* Formats a status answer ({"ok":true,"status":{...}}, or the bare status object) as the
 * operator's table:
 *   instance main: superd pid 4242, trading active
 *   STAGE    RUN       STATE     PID      UPTIME   RESTARTS  HEARTBEAT  READY  KEY COUNTERS
 *   feedd    up        running   1234     2m03s    0         15ms       yes    msgs.book=12 ...
 * Stages are listed in the order superd gives (producers first). Key counters are a fixed
 * choice per stage (hatctl_key_counters); a stage with none of them shows its first counters.
 * Returns 0, or HAT_E_PARSE with err if the JSON is not a status (nothing appended then). */
int hatctl_format_status(const char *json, size_t len, unsigned flags, struct hat_buf *out,
			 char *err, size_t errlen);

/* Formats the one-line summary the launch script reads (and prints after a run):
 *   stages=4 started=4 up=4 ready=4 restarts=0 halted=0 orders=12 fills=3 rejects=1
 * started = stages with a process (pid > 0); up = stages superd reports "up" (ready).
 * orders = riskd's "approved" (new orders and replaces sent to execd), fills = riskd's
 * "fills", rejects = riskd's "rejected" + "exch_rejects"; 0 when riskd is not supervised.
 * restarts = the sum over stages. No trailing newline. Returns 0 or HAT_E_PARSE with err. */
int hatctl_format_summary(const char *json, size_t len, struct hat_buf *out, char *err,
			  size_t errlen);

/* The key counters shown for stage name (NULL-terminated list, static), or NULL if the stage
 * has no fixed choice. */
const char *const *hatctl_key_counters(const char *stage);

/* Formats a duration in seconds as "12.3s", "2m03s", "1h02m" or "3d04h" into buf. */
void hatctl_fmt_uptime(double s, char *buf, size_t len);

#endif
