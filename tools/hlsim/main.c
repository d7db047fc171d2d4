/* tools/hlsim/main.c -- hlsim: a local exchange speaking Hyperliquid's HTTP and WebSocket API.
 *
 * Wires the engine (engine.h) to the server (server.h) on one libuv loop. SIGTERM/SIGINT save
 * the state (--state) and exit 0. Exit codes: 0 clean stop, 1 bad arguments or config,
 * 2 cannot listen, 3 state could not be saved.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "common/err.h"
#include "tools/hlsim/args.h"
#include "tools/hlsim/engine.h"
#include "tools/hlsim/gate.h"
#include "common/log.h"
#include "tools/hlsim/server.h"

struct hlsim_main {
	struct hlsim_args args;
	struct hlsim_engine *engine;
	struct hlsim_server server;
	struct hlsim_gate gate;       /* --replay-gate (server.gate points here) */
	uv_signal_t sigterm, sigint;
	int exit_code;
};

/* Writes the port to path.tmp and renames it, so readers never see a partial file. */
static int write_port_file(const char *path, int port)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		hat_log_syserr(NULL, "fopen", tmp, errno);
		return -errno;
	}
	int bad = fprintf(f, "%d\n", port) < 0;
	if (fclose(f) != 0 || bad) {
		hat_log_syserr(NULL, "write", tmp, errno ? errno : EIO);
		return -EIO;
	}
	if (rename(tmp, path) != 0) {
		hat_log_syserr(NULL, "rename", path, errno);
		return -errno;
	}
	return 0;
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct hlsim_main *m = h->data;
	hat_log(NULL, HAT_LOG_INFO, "stopping", "signal=%d", signum);
	if (m->args.engine.state_path) {
		char err[256];
		int r = hlsim_engine_save(m->engine, m->args.engine.state_path, err, sizeof err);
		if (r < 0) {
			hat_log(NULL, HAT_LOG_ERROR, "state_save_failed", "path=%s error=%s",
				m->args.engine.state_path, err);
			m->exit_code = 3;
		} else {
			hat_log(NULL, HAT_LOG_INFO, "state_saved", "path=%s", m->args.engine.state_path);
		}
	}
	uv_close((uv_handle_t *)&m->sigterm, NULL);
	uv_close((uv_handle_t *)&m->sigint, NULL);
	if (m->server.gate)
		hlsim_gate_stop(m->server.gate);
	hlsim_server_stop(&m->server);
}

int main(int argc, char **argv)
{
	static struct hlsim_main m; /* large (the server's read buffer); not mutable global state
	                             * shared by modules: only main touches it */
	char err[512];
	if (hlsim_args_parse(&m.args, argc, argv, err, sizeof err) < 0) {
		fprintf(stderr, "hlsim: %s\n%s", err, hlsim_usage);
		return 1;
	}
	if (m.args.help) {
		fputs(hlsim_usage, stdout);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	struct hat_log log;
	hat_log_init_fd(&log, "hlsim", 2, HAT_LOG_INFO);
	hat_log_set_process(&log);
	int r = hlsim_engine_new(&m.engine, &m.args.engine, hlsim_now_ms(), err, sizeof err);
	if (r < 0) {
		hat_log(NULL, HAT_LOG_ERROR, "engine_failed", "msg=%s error=%s", err, hat_strerror(r));
		return 1;
	}
	uv_loop_t *loop = uv_default_loop();
	if (m.args.replay_gate && m.args.server.tick_ms > 1)
		m.args.server.tick_ms = 1; /* a failed gate round is retried at the next tick */
	r = hlsim_server_start(&m.server, loop, m.engine, &m.args.server, err, sizeof err);
	if (r == 0 && m.args.replay_gate) {
		r = hlsim_gate_init(&m.gate, &m.server, m.args.replay_gate, err, sizeof err);
		if (r < 0) {
			hat_log(NULL, HAT_LOG_ERROR, "gate_failed", "msg=%s", err);
			hlsim_server_stop(&m.server);
			uv_run(loop, UV_RUN_DEFAULT);
			hlsim_server_deinit(&m.server);
			hlsim_engine_free(m.engine);
			return 1;
		}
		m.server.gate = &m.gate;
		m.args.replay.gate = hlsim_gate_ready;
		m.args.replay.gate_user = &m.gate;
	}
	hlsim_replay_configure(m.engine, &m.args.replay);
	if (r < 0) {
		hat_log(NULL, HAT_LOG_ERROR, "listen_failed", "msg=%s", err);
		uv_run(loop, UV_RUN_DEFAULT);
		hlsim_server_deinit(&m.server);
		hlsim_engine_free(m.engine);
		return 2;
	}
	uv_signal_init(loop, &m.sigterm);
	uv_signal_init(loop, &m.sigint);
	m.sigterm.data = m.sigint.data = &m;
	uv_signal_start(&m.sigterm, on_signal, SIGTERM);
	uv_signal_start(&m.sigint, on_signal, SIGINT);
	const char *host = m.args.server.host;
	bool v6 = strchr(host, ':') != NULL;
	char url[300];
	snprintf(url, sizeof url, "http://%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "",
		 m.server.port);
	printf("hlsim listening on %s\n", url);
	fflush(stdout);
	hat_log(NULL, HAT_LOG_INFO, "listening", "url=%s port=%d", url, m.server.port);
	if (m.args.port_file && write_port_file(m.args.port_file, m.server.port) < 0) {
		m.exit_code = 1;
		uv_close((uv_handle_t *)&m.sigterm, NULL);
		uv_close((uv_handle_t *)&m.sigint, NULL);
		if (m.server.gate)
			hlsim_gate_stop(m.server.gate);
		hlsim_server_stop(&m.server);
	}
	uv_run(loop, UV_RUN_DEFAULT);
	hlsim_server_deinit(&m.server);
	hlsim_engine_free(m.engine);
	uv_loop_close(loop);
	return m.exit_code;
}
