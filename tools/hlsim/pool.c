/* tools/hlsim/pool.c -- worker threads for the prepare step, completions back on the loop. */
#include "tools/hlsim/pool.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>


static void *worker(void *arg)
{
	struct hlsim_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->todo && !p->stop) {
			p->idle++;
			pthread_cond_wait(&p->cv, &p->mu);
			p->idle--;
		}
		struct hlsim_pool_item *it = p->todo;
		if (!it)
			break; /* stop, and nothing left to do */
		p->todo = it->next;
		if (!p->todo)
			p->todo_tail = NULL;
		p->running++;
		pthread_mutex_unlock(&p->mu);
		it->work(it);
		it->next = NULL;
		pthread_mutex_lock(&p->mu);
		p->running--;
		if (p->done_tail)
			p->done_tail->next = it;
		else
			p->done = it;
		p->done_tail = it;
		p->n_done++;
		/* Wake the loop for the first item since it last looked, unless another worker is
		 * still running and fewer items than workers are done: that worker's completion
		 * wakes it for both (one wake-up and one write of answers instead of two; the item
		 * waits at most one work item). Outside the lock, so the loop does not wake up only
		 * to wait for us. */
		if (!p->signalled && (!p->running || p->n_done >= p->n_threads)) {
			p->signalled = true;
			pthread_mutex_unlock(&p->mu);
			uint64_t one = 1;
			while (write(p->efd, &one, sizeof one) < 0 && errno == EINTR)
				;
			pthread_mutex_lock(&p->mu);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void on_poll_closed(uv_handle_t *h)
{
	struct hlsim_pool *p = h->data;
	close(p->efd);
	p->efd = -1;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	p->closed = true;
	if (p->on_closed)
		p->on_closed(p);
}

/* Tells the workers to exit, joins them and frees the thread table. */
static void stop_threads(struct hlsim_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	p->threads = NULL;
}

/* Called once closing and nothing is pending: the workers are idle and exit at once. */
static void finish_close(struct hlsim_pool *p)
{
	stop_threads(p);
	p->n_threads = 0;
	uv_poll_stop(&p->poll);
	uv_close((uv_handle_t *)&p->poll, on_poll_closed);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct hlsim_pool *p = h->data;
	(void)status;
	(void)events;
	uint64_t n;
	while (read(p->efd, &n, sizeof n) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&p->mu);
	struct hlsim_pool_item *it = p->done;
	p->done = p->done_tail = NULL;
	p->n_done = 0;
	p->signalled = false;
	pthread_mutex_unlock(&p->mu);
	while (it) {
		struct hlsim_pool_item *next = it->next;
		p->pending--;
		it->done(it); /* may free it */
		it = next;
	}
	if (p->closing && !p->pending && p->threads)
		finish_close(p);
}

int hlsim_pool_start(struct hlsim_pool *p, uv_loop_t *loop, unsigned n, char *err,
                     size_t errlen)
{
	memset(p, 0, sizeof *p);
	p->loop = loop;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		int e = errno;
		snprintf(err, errlen, "eventfd() for the worker pool failed: %s", strerror(e));
		return -e;
	}
	p->threads = calloc(n ? n : 1, sizeof *p->threads);
	if (!p->threads) {
		close(p->efd);
		snprintf(err, errlen, "out of memory for %u worker threads", n);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	/* workers inherit a full signal mask: signals go to the loop thread (uv_signal_t) */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = 0;
	for (; p->n_threads < n; p->n_threads++) {
		rc = pthread_create(&p->threads[p->n_threads], NULL, worker, p);
		if (rc)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!rc) {
		rc = -uv_poll_init(loop, &p->poll, p->efd);
		if (!rc)
			p->poll.data = p;
	}
	if (rc) {
		snprintf(err, errlen, "starting %u worker threads failed at %s: %s", n,
			 p->n_threads < n ? "pthread_create" : "uv_poll_init", strerror(rc));
		stop_threads(p);
		close(p->efd);
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		return -rc;
	}
	uv_poll_start(&p->poll, UV_READABLE, on_poll);
	return 0;
}

int hlsim_pool_submit(struct hlsim_pool *p, struct hlsim_pool_item *it)
{
	if (p->closing)
		return -ECANCELED;
	it->next = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->todo_tail)
		p->todo_tail->next = it;
	else
		p->todo = it;
	p->todo_tail = it;
	if (p->idle)
		pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	p->pending++;
	return 0;
}

void hlsim_pool_close(struct hlsim_pool *p, void (*on_closed)(struct hlsim_pool *p))
{
	if (p->closing)
		return;
	p->closing = true;
	p->on_closed = on_closed;
	if (!p->pending)
		finish_close(p);
}
