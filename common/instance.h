/* common/instance.h -- the shared-memory segments of one hat instance, by name.
 *
 * An instance (config "instance", e.g. "main") is one pipeline: its rings, the board and the
 * control area, all named /hat.<instance>.<name>. This module is the single list of those
 * segments with their slot sizes (msg_types.h) and slot counts (config "rings"), so superd,
 * the stages, the inspector and the tests cannot disagree about them.
 *
 *   ring        producer -> consumer   slot size          count from
 *   md          feedd    -> signald    HAT_SLOT_MD        rings.md
 *   intent      signald  -> riskd      HAT_SLOT_INTENT    rings.intent
 *   order       riskd    -> execd      HAT_SLOT_ORDER     rings.order
 *   exec        execd    -> riskd      HAT_SLOT_EXEC      rings.exec
 *   position    riskd    -> signald    HAT_SLOT_POSITION  rings.position
 *   cmd.<stage> superd   -> <stage>    HAT_SLOT_CMD       rings.cmd   (feedd signald riskd execd)
 * plus "board" (writer feedd) and "control" (a block per stage).
 *
 * hat_instance_create() is for superd and test harnesses; stages only attach.
 */
#ifndef HAT_COMMON_INSTANCE_H
#define HAT_COMMON_INSTANCE_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

struct hat_ring_def {
	const char *name;      /* "md", "cmd.riskd", ... */
	unsigned producer;     /* enum hat_stage_id */
	unsigned consumer;     /* enum hat_stage_id */
	uint32_t slot_size;
	uint32_t allowed;      /* HAT_MSGS_* mask of message types the consumer accepts */
};

/* The instance's rings, in pipeline order; count in *n. Static storage. */
const struct hat_ring_def *hat_instance_rings(size_t *n);
/* The definition of ring name, or NULL. */
const struct hat_ring_def *hat_instance_ring(const char *name);
/* Slot count of ring def under cfg (from cfg->rings). */
uint32_t hat_instance_ring_count(const struct hat_config *cfg, const struct hat_ring_def *def);
/* The command ring name of a stage ("cmd.riskd"), or NULL for a stage without one. */
const char *hat_instance_cmd_ring(unsigned stage);

/* Creates every segment of cfg->instance (rings, board with room for cfg's coins, control).
 * Segments that already exist are checked and kept (a restarted superd resumes the pipeline
 * where it stopped) unless fresh is true, in which case they are unlinked and made anew.
 * Returns 0 or the first error (err names the segment); on error, segments this call created
 * are removed again. */
int hat_instance_create(const struct hat_config *cfg, int fresh, char *err, size_t errlen);

/* Unlinks every segment of instance (missing ones are fine). Returns 0 or the first error. */
int hat_instance_unlink(const char *instance, char *err, size_t errlen);

#endif
