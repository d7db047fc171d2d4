/* tools/hlsim/pool.h -- worker threads for the prepare step, completions back on the loop.
 *
 * Replaces libuv's thread pool for the server's prepares (http.c). In libuv 1.44 every finished
 * work item wakes the loop with uv_async_send, whose receiving side spins (and sched_yields)
 * while a worker sits between its two flag updates around the eventfd write: with a loop and
 * two workers on two cores that happened often enough to cost the loop about a microsecond per
 * signed request in bench-hlsim. Here a worker appends its finished item to a done list under
 * the pool's mutex and writes the pool's eventfd only when the loop has not been told yet (and,
 * while another worker is still running, only once as many items as workers are done, so that
 * the halves of one read's prepares come back as one wake-up); the loop polls the eventfd
 * (uv_poll_t) and runs the done callbacks in completion order.
 *
 * Items are caller-allocated and intrusive (struct hlsim_pool_item embedded in the caller's
 * struct, found back with container_of-style arithmetic). work runs on a worker thread and may
 * touch only what the item owns; done runs on the loop thread. Loop thread only, except work.
 */
#ifndef HAT_TOOLS_HLSIM_POOL_H
#define HAT_TOOLS_HLSIM_POOL_H

#include <pthread.h>
#include <stdbool.h>

#include <uv.h>

struct hlsim_pool_item {
	struct hlsim_pool_item *next;
	void (*work)(struct hlsim_pool_item *it); /* worker thread */
	void (*done)(struct hlsim_pool_item *it); /* loop thread, once work returned */
};

struct hlsim_pool {
	uv_loop_t *loop;             /* borrowed */
	uv_poll_t poll;              /* on efd */
	int efd;                     /* eventfd: "the done list has items" */
	pthread_t *threads;
	unsigned n_threads;
	pthread_mutex_t mu;          /* guards everything below */
	pthread_cond_t cv;           /* todo not empty, or stop */
	struct hlsim_pool_item *todo, *todo_tail, *done, *done_tail;
	unsigned idle;               /* workers waiting on cv */
	unsigned running;            /* workers inside work() */
	unsigned n_done;             /* items on the done list */
	bool signalled;              /* efd written since the loop last took the done list */
	bool stop;                   /* workers exit once todo is empty */
	unsigned pending;            /* submitted, done not yet run (loop thread) */
	bool closing, closed;        /* hlsim_pool_close called; everything released */
	void (*on_closed)(struct hlsim_pool *p); /* called once closed */
	void *data;                  /* the owner's */
};

/* Starts n (>= 1) worker threads (all signals blocked) and polls the eventfd on loop. loop is
 * borrowed and must outlive the pool. Returns 0 or a negative errno (the failed call is named
 * in err); on failure nothing is left running or open and p needs no close. */
int hlsim_pool_start(struct hlsim_pool *p, uv_loop_t *loop, unsigned n, char *err,
                     size_t errlen);

/* Queues it (caller-allocated, kept until its done callback runs). Returns 0, or -ECANCELED
 * once hlsim_pool_close has been called (it is then not queued and done never runs). */
int hlsim_pool_submit(struct hlsim_pool *p, struct hlsim_pool_item *it);

/* Stops taking items. Items already queued still run and their done callbacks are called;
 * then the workers are joined, the poll handle closed, and on_closed (if set) called from the
 * loop. The loop must keep running until then. */
void hlsim_pool_close(struct hlsim_pool *p, void (*on_closed)(struct hlsim_pool *p));

#endif
