/* superd/ctlsock.c -- the operator's control socket. */
#include "superd/ctlsock.h"
#include "common/clock.h"
#include "common/msg.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CTL_MAX_LINE 4096

static void fail(struct hat_buf *out, const char *msg)
{
	hat_buf_puts(out, "{\"ok\":false,\"error\":");
	hat_buf_json_str(out, msg);
	hat_buf_putc(out, '}');
}

void sup_ctl_handle(struct superd *s, const char *line, size_t len, struct hat_buf *out)
{
	cJSON *req = cJSON_ParseWithLength(line, len);
	const cJSON *cmd = req ? cJSON_GetObjectItemCaseSensitive(req, "cmd") : NULL;
	if (!req || !cJSON_IsObject(req)) {
		fail(out, "request is not a JSON object; send e.g. {\"cmd\":\"status\"}");
		goto done;
	}
	if (!cJSON_IsString(cmd)) {
		fail(out, "missing \"cmd\" (status|restart|halt|resume|cancel_all|stop)");
		goto done;
	}
	const cJSON *why_j = cJSON_GetObjectItemCaseSensitive(req, "why");
	const char *why = cJSON_IsString(why_j) ? why_j->valuestring : "operator";
	const char *c = cmd->valuestring;
	if (strcmp(c, "status") == 0) {
		hat_buf_puts(out, "{\"ok\":true,\"status\":");
		sup_status_json(s, out, hat_mono_ns());
		hat_buf_putc(out, '}');
	} else if (strcmp(c, "restart") == 0) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(req, "stage");
		char err[256];
		if (!cJSON_IsString(st))
			fail(out, "restart needs \"stage\" (feedd|signald|riskd|execd)");
		else if (sup_restart_stage(s, st->valuestring, err, sizeof err) != 0)
			fail(out, err);
		else
			hat_buf_puts(out, "{\"ok\":true}");
	} else if (strcmp(c, "halt") == 0 || strcmp(c, "resume") == 0 || strcmp(c, "cancel_all") == 0) {
		uint16_t k = c[0] == 'h' ? HAT_CTL_HALT : c[0] == 'r' ? HAT_CTL_RESUME : HAT_CTL_CANCEL_ALL;
		sup_send_all(s, k, why);
		hat_buf_puts(out, "{\"ok\":true}");
	} else if (strcmp(c, "stop") == 0) {
		sup_request_stop(s, false);
		hat_buf_puts(out, "{\"ok\":true}");
	} else {
		char msg[160];
		snprintf(msg, sizeof msg, "unknown cmd '%.40s' (status|restart|halt|resume|cancel_all|stop)", c);
		fail(out, msg);
	}
done:
	cJSON_Delete(req);
}

struct client {
	uv_pipe_t pipe;
	struct sup_ctlsock *c;
	struct hat_buf in, out;
	uv_write_t wr;
	char rbuf[1024];
	bool answered;
};

static void client_closed(uv_handle_t *h)
{
	struct client *cl = h->data;
	hat_buf_free(&cl->in);
	hat_buf_free(&cl->out);
	free(cl);
}

static void written(uv_write_t *w, int status)
{
	(void)status;
	struct client *cl = w->data;
	uv_close((uv_handle_t *)&cl->pipe, client_closed);
}

static void answer(struct client *cl, size_t line_len)
{
	cl->answered = true;
	sup_ctl_handle(cl->c->s, cl->in.data, line_len, &cl->out);
	hat_buf_putc(&cl->out, '\n');
	uv_buf_t b = uv_buf_init(cl->out.data, (unsigned)cl->out.len);
	cl->wr.data = cl;
	uv_write(&cl->wr, (uv_stream_t *)&cl->pipe, &b, 1, written);
}

static void alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	(void)sz;
	struct client *cl = h->data;
	*b = uv_buf_init(cl->rbuf, sizeof cl->rbuf);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct client *cl = st->data;
	if (cl->answered)
		return;
	if (n < 0) {
		if (n == UV_EOF && cl->in.len) {
			answer(cl, cl->in.len);
			return;
		}
		uv_close((uv_handle_t *)st, client_closed);
		return;
	}
	hat_buf_append(&cl->in, b->base, (size_t)n);
	char *nl = cl->in.data ? memchr(cl->in.data, '\n', cl->in.len) : NULL;
	if (nl) {
		answer(cl, (size_t)(nl - cl->in.data));
	} else if (cl->in.len > CTL_MAX_LINE) {
		cl->answered = true;
		fail(&cl->out, "request longer than 4096 bytes");
		hat_buf_putc(&cl->out, '\n');
		uv_buf_t ob = uv_buf_init(cl->out.data, (unsigned)cl->out.len);
		cl->wr.data = cl;
		uv_write(&cl->wr, st, &ob, 1, written);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct sup_ctlsock *c = server->data;
	if (status < 0)
		return;
	struct client *cl = calloc(1, sizeof *cl);
	if (!cl)
		return;
	cl->c = c;
	uv_pipe_init(server->loop, &cl->pipe, 0);
	cl->pipe.data = cl;
	if (uv_accept(server, (uv_stream_t *)&cl->pipe) != 0) {
		uv_close((uv_handle_t *)&cl->pipe, client_closed);
		return;
	}
	uv_read_start((uv_stream_t *)&cl->pipe, alloc_cb, on_read);
}

int sup_ctlsock_listen(struct sup_ctlsock *c, struct superd *s, uv_loop_t *loop, const char *path,
		       char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->s = s;
	snprintf(c->path, sizeof c->path, "%s", path);
	unlink(path);
	uv_pipe_init(loop, &c->server, 0);
	c->server.data = c;
	/* Created with umask 077 so the socket is 0600 from the first moment, then chmod to be sure. */
	mode_t old = umask(077);
	int rc = uv_pipe_bind(&c->server, path);
	umask(old);
	if (rc == 0)
		rc = chmod(path, 0600) == 0 ? 0 : UV_EPERM;
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&c->server, 8, on_connection);
	if (rc != 0) {
		snprintf(err, errlen, "control socket %s: %s (is another superd running for this "
			 "instance? check paths.run_dir)", path, uv_strerror(rc));
		uv_close((uv_handle_t *)&c->server, NULL);
		return rc;
	}
	return 0;
}

void sup_ctlsock_close(struct sup_ctlsock *c)
{
	if (c->server.loop) {
		uv_close((uv_handle_t *)&c->server, NULL);
		unlink(c->path);
	}
}
