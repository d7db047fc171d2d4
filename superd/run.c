/* superd/run.c -- superd's libuv loop: signals, the watch timer, control socket, metrics. */
#include "superd/ctlsock.h"
#include "superd/metrics.h"
#include "superd/super.h"
#include "common/clock.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static void on_tick(uv_timer_t *t)
{
	struct superd *s = t->data;
	uint64_t mono = hat_mono_ns();
	sup_reap(s, mono); /* also here: a SIGCHLD coalesced with another is never missed */
	sup_step(s, mono);
	if (sup_done(s))
		uv_stop(s->loop);
}

static void on_chld(uv_signal_t *h, int sig)
{
	(void)sig;
	struct superd *s = h->data;
	sup_reap(s, hat_mono_ns());
	sup_step(s, hat_mono_ns());
	if (sup_done(s))
		uv_stop(s->loop);
}

static void on_term(uv_signal_t *h, int sig)
{
	struct superd *s = h->data;
	hat_log(&s->d.log, HAT_LOG_WARN, "signal", "sig=%d action=%s", sig,
		s->stopping ? "force" : "stop");
	sup_request_stop(s, s->stopping != 0);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int sup_run(struct superd *s, char *err, size_t errlen)
{
	struct sup_ctlsock ctl;
	struct sup_metrics met;
	int rc = sup_ctlsock_listen(&ctl, s, s->loop, s->ctl_path, err, errlen);
	if (rc != 0)
		return rc;
	sup_metrics_init(&met, s);
	if (s->cfg.metrics_port) {
		rc = sup_metrics_listen(&met, s->loop, (int)s->cfg.metrics_port, err, errlen);
		if (rc != 0) {
			sup_ctlsock_close(&ctl);
			sup_metrics_close(&met);
			uv_run(s->loop, UV_RUN_NOWAIT);
			return rc;
		}
	}
	s->ctl = &ctl;
	s->metrics = &met;
	uv_signal_init(s->loop, &s->sig_chld);
	uv_signal_init(s->loop, &s->sig_term);
	uv_signal_init(s->loop, &s->sig_int);
	s->sig_chld.data = s->sig_term.data = s->sig_int.data = s;
	uv_signal_start(&s->sig_chld, on_chld, SIGCHLD);
	uv_signal_start(&s->sig_term, on_term, SIGTERM);
	uv_signal_start(&s->sig_int, on_term, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	uv_timer_init(s->loop, &s->tick);
	s->tick.data = s;
	uv_timer_start(&s->tick, on_tick, 5, 5);
	s->starting = true;
	hat_log(&s->d.log, HAT_LOG_INFO, "superd_up", "control_socket=%s metrics_port=%d bin_dir=%s "
		"log_dir=%s", s->ctl_path, met.port, s->bin_dir, s->log_dir);
	/* One line on stdout for the launch script and people: where to look. */
	printf("superd: instance %s, control socket %s, metrics %s%d/metrics, logs in %s\n",
	       s->d.cfg.instance, s->ctl_path, s->cfg.metrics_port ? "http://127.0.0.1:" : "off ",
	       met.port, s->log_dir);
	fflush(stdout);
	sup_step(s, hat_mono_ns());
	uv_run(s->loop, UV_RUN_DEFAULT);
	sup_ctlsock_close(&ctl);
	sup_metrics_close(&met);
	uv_walk(s->loop, close_walk, NULL);
	uv_run(s->loop, UV_RUN_DEFAULT);
	s->ctl = s->metrics = NULL;
	hat_log(&s->d.log, HAT_LOG_INFO, "superd_down", "stages=%d", s->n);
	return 0;
}
