/* common/outq.c -- ordered overflow queue in front of an output ring (contract in outq.h). */
#include "common/outq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int hat_outq_init(struct hat_outq *q, struct hat_ring *ring, uint32_t cap, uint32_t slot_size)
{
	memset(q, 0, sizeof *q);
	q->ring = ring;
	q->cap = cap;
	q->slot_size = slot_size;
	q->slots = calloc(cap, slot_size);
	return q->slots ? 0 : -ENOMEM;
}

void hat_outq_deinit(struct hat_outq *q)
{
	free(q->slots);
	q->slots = NULL;
	q->n = 0;
}

static struct hat_msg_hdr *slot(const struct hat_outq *q, uint32_t i)
{
	return (struct hat_msg_hdr *)(q->slots + (size_t)(i % q->cap) * q->slot_size);
}

int hat_outq_flush(struct hat_outq *q)
{
	while (q->n > 0) {
		int rc = hat_ring_push_msg(q->ring, slot(q, q->head));
		if (rc == -EAGAIN)
			return 0;
		if (rc != 0 && rc != -EMSGSIZE && rc != -EINVAL)
			return rc;
		/* A message that can never fit is dropped rather than blocking the queue. */
		if (rc != 0)
			q->dropped++;
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
	return 0;
}

int hat_outq_send(struct hat_outq *q, struct hat_msg_hdr *m)
{
	if (m->length > q->slot_size) {
		q->dropped++;
		return -EMSGSIZE;
	}
	if (q->n == 0) {
		int rc = hat_ring_push_msg(q->ring, m);
		if (rc != -EAGAIN)
			return rc;
	}
	if (q->n == q->cap) {
		q->dropped++;
		return -ENOBUFS;
	}
	memcpy(slot(q, q->head + q->n), m, m->length);
	q->n++;
	q->queued_total++;
	return 0;
}
