/* superd/metrics.h -- Prometheus metrics (text format 0.0.4) of the whole instance, served on
 * 127.0.0.1:<superd.metrics_port>/metrics.
 *
 * Families (labels in braces):
 *   hat_stage_up{stage}                     1 while superd has the stage's process running
 *   hat_stage_ready{stage}                  1 once the stage reported ready
 *   hat_stage_state{stage}                  control-block state (1 starting .. 6 stopped)
 *   hat_stage_restarts_total{stage}         restarts by superd
 *   hat_stage_heartbeat_age_seconds{stage}
 *   hat_stage_stat{stage,name}           every named counter of every control block
 *   hat_stage_value{stage,name}             counters named "fx.<name>": signed 1e-8 values
 *                                           (positions, PnL), exported as decimals
 *   hat_stage_latency_seconds{stage,name}   every control-block histogram (log2 buckets)
 *   hat_ring_capacity / hat_ring_occupancy{ring}, hat_ring_produced_total /
 *   hat_ring_consumed_total / hat_ring_full_events_total{ring}
 * Rendering is pure (sup_metrics_render); the server is a small libuv + http-parser loop that
 * answers GET /metrics and closes the connection.
 */
#ifndef HAT_SUPERD_METRICS_H
#define HAT_SUPERD_METRICS_H

#include <stdint.h>
#include <uv.h>

#include "common/buf.h"
#include "superd/super.h"

#define SUP_METRICS_RINGS 9

struct sup_metrics {
	struct superd *s;
	struct hat_ring rings[SUP_METRICS_RINGS];
	const char *ring_names[SUP_METRICS_RINGS];
	int n_rings;
	uv_tcp_t server;
	int port;                 /* bound port */
	struct hat_buf body;      /* reused per scrape */
};

/* Attaches every ring read-only. */
void sup_metrics_init(struct sup_metrics *m, struct superd *s);
/* Renders every family into out (appends). */
void sup_metrics_render(struct sup_metrics *m, struct hat_buf *out, uint64_t mono_ns);
/* Listens on 127.0.0.1:port (0 = pick a free one; the bound port is in m->port).
 * Returns 0 or a negative libuv error with err. */
int sup_metrics_listen(struct sup_metrics *m, uv_loop_t *loop, int port, char *err, size_t errlen);
void sup_metrics_close(struct sup_metrics *m);

#endif
