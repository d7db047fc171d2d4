/* tools/hatshm/snap.h -- read-only snapshots of an instance's shared memory for the inspector.
 *
 * Everything here opens segments with HAT_SHM_RDONLY / HAT_RING_READER: the mappings are
 * PROT_READ, so the inspector cannot disturb the pipeline even by mistake, and it records no
 * pid anywhere. Bad segments (wrong magic, version, size, kind, corrupt ring indices) are
 * described in the snapshot (rc + problem text), never asserted on or crashed on.
 *
 * The snapshot structs are plain data: the formatters (tools/hatshm/view.h) turn them into
 * text without I/O, and tests pin their variable fields (pids, times) to compare against
 * golden files. Single-threaded; no globals.
 */
#ifndef HAT_TOOLS_HATSHM_SNAP_H
#define HAT_TOOLS_HATSHM_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/board.h"
#include "common/config.h"
#include "common/control.h"
#include "common/instance.h"
#include "common/ring.h"
#include "common/shm.h"

#define HATSHM_MAX_SEGS 64
#define HATSHM_MAX_RINGS 16
#define HATSHM_PROBLEM_LEN 256

/* What the inspector knows about the instance: its name and, if a config was given, the
 * config (ring counts, coins) to check the segments against. */
struct hatshm_ctx {
	char instance[HAT_CONFIG_NAME_LEN];
	const struct hat_config *cfg; /* borrowed; NULL = check against the segments alone */
};

/* ---------------------------------------------------------------- ls */

struct hatshm_seg {
	char name[HAT_SHM_NAME_MAX];   /* short name: "md", "cmd.riskd", "board", "control" */
	bool expected;                 /* one of the instance's segments (instance.h) */
	bool present;                  /* exists in /dev/shm */
	bool have_hdr;                 /* hdr is valid (the segment opened) */
	struct hat_shm_hdr hdr;        /* copy of the header */
	bool creator_alive;
	int rc;                        /* 0 ok, else the error (HAT_E_BADMAGIC, -ENOENT, ...) */
	char problem[HATSHM_PROBLEM_LEN]; /* what is wrong, "" if ok */
};

/* Lists every segment of the instance: the expected ones (present or not) and any other
 * /dev/shm/hat.<instance>.* file, sorted by name with the expected ones first in pipeline
 * order. Checks each header and each body (ring indices, board and control headers, slot size
 * and, with a config, slot count). Returns the number of entries written to segs (<= max). */
size_t hatshm_snap_segments(const struct hatshm_ctx *x, struct hatshm_seg *segs, size_t max);

/* ---------------------------------------------------------------- rings */

struct hatshm_ring {
	char name[32];
	unsigned producer, consumer;   /* enum hat_stage_id */
	int rc;                        /* 0, or why the ring could not be read */
	char problem[HATSHM_PROBLEM_LEN];
	struct hat_ring_stats st;
	bool prod_alive, cons_alive;   /* recorded pids exist */
	uint64_t oldest_send_ns;       /* send_ns of the oldest unconsumed message, 0 if empty */
	uint64_t taken_mono_ns;        /* when st was read (for rates) */
	double rate;                   /* messages/s published, -1 until two samples */
};

/* Reads every ring of the instance. Returns the number written to rings (<= max). */
size_t hatshm_snap_rings(const struct hatshm_ctx *x, struct hatshm_ring *rings, size_t max);
/* Fills cur[i].rate from the producer indices in prev (same ring order) and cur. */
void hatshm_rings_rate(const struct hatshm_ring *prev, struct hatshm_ring *cur, size_t n);

/* ---------------------------------------------------------------- stages */

#define HATSHM_MAX_HISTS HAT_CTL_MAX_HISTS
struct hatshm_hist {
	char name[HAT_CTL_NAME_LEN];
	struct hat_hist_snap s;
};
struct hatshm_stage {
	unsigned id;                   /* enum hat_stage_id */
	struct hat_stage_status st;
	bool alive;                    /* st.pid exists */
	uint32_t n_counters;
	char cnames[HAT_CTL_MAX_COUNTERS][HAT_CTL_NAME_LEN];
	uint64_t cvalues[HAT_CTL_MAX_COUNTERS];
	uint32_t n_hists;
	struct hatshm_hist hists[HATSHM_MAX_HISTS];
};
struct hatshm_stages {
	int rc;                        /* 0, or why the control segment could not be read */
	char problem[HATSHM_PROBLEM_LEN];
	uint64_t taken_mono_ns;
	struct hatshm_stage s[HAT_CONTROL_STAGES]; /* s[id - 1] */
};

/* Reads every stage block of the control segment. Returns 0 or the open error (also in
 * out->rc / out->problem). */
int hatshm_snap_stages(const struct hatshm_ctx *x, struct hatshm_stages *out);

/* ---------------------------------------------------------------- board */

struct hatshm_board {
	int rc;
	char problem[HATSHM_PROBLEM_LEN];
	int32_t writer_pid;
	bool writer_alive;
	uint64_t repairs;
	uint32_t n;                          /* coins */
	struct hat_board_quote q[HAT_BOARD_MAX_COINS];
	int qrc[HAT_BOARD_MAX_COINS];        /* 0, or -EAGAIN (torn: writer mid-update or died) */
	uint64_t taken_ns;                   /* CLOCK_REALTIME when read (ages) */
};

/* Reads the board. Returns 0 or the open error (also in out->rc / out->problem). */
int hatshm_snap_board(const struct hatshm_ctx *x, struct hatshm_board *out);

/* The slot of index idx in a ring attached with HAT_RING_READER (any index: the slot may hold
 * an older or newer message; callers check its seq). ring.h has no reader accessor for
 * arbitrary indices (hat_ring_slot_at serves the last peek_n), so this reads the handle's
 * mapping directly; the mapping is PROT_READ, nothing can be written through it. */
const unsigned char *hatshm_slot(const struct hat_ring *r, uint64_t idx);

/* True if a process with this pid exists (kill(pid, 0), EPERM counts as alive); false for 0. */
bool hatshm_pid_alive(int32_t pid);

#endif
