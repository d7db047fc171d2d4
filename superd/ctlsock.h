/* superd/ctlsock.h -- superd's control socket for hatctl.
 *
 * A unix stream socket at <paths.run_dir>/superd.<instance>.sock, mode 0600 (only the
 * operator's user may steer the pipeline). Protocol: the client sends one JSON object on one
 * line, superd answers with one JSON object on one line and closes:
 *   {"cmd":"status"}                      -> {"ok":true,"status":{...sup_status_json...}}
 *   {"cmd":"restart","stage":"riskd"}     -> {"ok":true} | {"ok":false,"error":"..."}
 *   {"cmd":"halt","why":"..."}  {"cmd":"resume"}  {"cmd":"cancel_all"}  {"cmd":"stop"}
 * Malformed requests get {"ok":false,"error":"<what was wrong>"}.
 */
#ifndef HAT_SUPERD_CTLSOCK_H
#define HAT_SUPERD_CTLSOCK_H

#include <stddef.h>
#include <uv.h>

#include "common/buf.h"
#include "superd/super.h"

struct sup_ctlsock {
	struct superd *s;
	uv_pipe_t server;
	char path[512];
};

/* Handles one request line (pure, for tests): appends the response (no newline) to out. */
void sup_ctl_handle(struct superd *s, const char *line, size_t len, struct hat_buf *out);

/* Listens at path (an old socket file there is removed first). Returns 0 or a negative libuv
 * error with err. */
int sup_ctlsock_listen(struct sup_ctlsock *c, struct superd *s, uv_loop_t *loop, const char *path,
		       char *err, size_t errlen);
void sup_ctlsock_close(struct sup_ctlsock *c);

#endif
