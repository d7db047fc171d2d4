/* common/outq.h -- an ordered overflow queue in front of one output ring.
 *
 * A stage that must not lose what it publishes sends through a queue: a message goes straight
 * into the ring when nothing is queued and the ring has room; otherwise a copy waits, and
 * hat_outq_flush() pushes the waiting copies in order (call it before producing anything new,
 * e.g. at the top of each loop iteration). Order is kept: nothing overtakes a queued message.
 *
 * Process rules: used only by the ring's producer process, from one thread; it owns the queue
 * memory (hat_outq_init allocates, hat_outq_deinit frees: not for the hot path). Users: riskd
 * (orders to execd, positions to signald).
 */
#ifndef HAT_COMMON_OUTQ_H
#define HAT_COMMON_OUTQ_H

#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"
#include "common/ring.h"

struct hat_outq {
	struct hat_ring *ring;  /* borrowed, kept until deinit */
	uint8_t *slots;         /* owned: cap slots of slot_size bytes */
	uint32_t cap;           /* messages the queue holds */
	uint32_t slot_size;     /* bytes per queued message (the ring's slot size) */
	uint32_t head, n;       /* oldest queued slot, messages queued */
	uint64_t queued_total;  /* messages that had to wait */
	uint64_t dropped;       /* messages lost: too long, unpushable or queue full */
};

/* Sets q up in front of ring (borrowed, kept until deinit) with room for cap messages of up to
 * slot_size bytes. Returns 0 or -ENOMEM. */
int hat_outq_init(struct hat_outq *q, struct hat_ring *ring, uint32_t cap, uint32_t slot_size);

/* Frees the queue memory; anything still queued is lost. Safe on a zeroed or deinited q. */
void hat_outq_deinit(struct hat_outq *q);

/* Sends m (borrowed; its seq/send_ns are set when it reaches the ring): straight into the ring
 * when nothing is queued and the ring has room, else as a queued copy. Returns 0 (sent or
 * queued), -EMSGSIZE (m->length > slot_size: dropped, counted), -ENOBUFS (queue full:
 * dropped, counted), or the ring's error for a message it refuses (-EMSGSIZE, -EINVAL,
 * -EPROTO: nothing queued, not counted). */
int hat_outq_send(struct hat_outq *q, struct hat_msg_hdr *m);

/* Pushes queued messages in order until the ring is full or the queue empty. A queued message
 * the ring can never take (-EMSGSIZE, -EINVAL) is dropped and counted rather than blocking the
 * queue. Returns 0, or -EPROTO (ring indices corrupt; the message stays queued). */
int hat_outq_flush(struct hat_outq *q);

#endif
