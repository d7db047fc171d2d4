/* tools/hatctl/client.h -- one request on superd's control socket.
 *
 * Connects to the unix socket, writes the request line, reads the one-line answer and closes
 * (superd/ctlsock.h). Blocking, with a timeout; used by hatctl's main only.
 */
#ifndef HAT_TOOLS_HATCTL_CLIENT_H
#define HAT_TOOLS_HATCTL_CLIENT_H

#include <stddef.h>

#include "common/buf.h"

/* Sends req (one JSON object, no newline) to the socket at path and appends superd's answer
 * line (without its newline) to resp. instance names the pipeline in error messages.
 * Returns 0, or:
 *   -ENOENT        no socket file: superd is not running (err says how to start it);
 *   -ECONNREFUSED  a socket file nobody listens on (superd died without cleaning up);
 *   -ETIMEDOUT     superd did not answer within timeout_ms;
 *   -ENAMETOOLONG  path does not fit a unix socket address;
 *   another negative errno of socket/connect/write/read (err names the call).
 */
int hatctl_call(const char *path, const char *instance, const char *req, int timeout_ms,
		struct hat_buf *resp, char *err, size_t errlen);

#endif
