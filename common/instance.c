/* common/instance.c -- the segments of one hat instance. */
#include "common/instance.h"
#include "common/board.h"
#include "common/clock.h"
#include "common/control.h"
#include "common/err.h"
#include "common/msg.h"
#include "common/ring.h"
#include "common/shm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct hat_ring_def rings[] = {
	{ "md", HAT_STAGE_FEEDD, HAT_STAGE_SIGNALD, HAT_SLOT_MD, HAT_MSGS_MD },
	{ "intent", HAT_STAGE_SIGNALD, HAT_STAGE_RISKD, HAT_SLOT_INTENT, HAT_MSGS_INTENT },
	{ "order", HAT_STAGE_RISKD, HAT_STAGE_EXECD, HAT_SLOT_ORDER, HAT_MSGS_ORDER },
	{ "exec", HAT_STAGE_EXECD, HAT_STAGE_RISKD, HAT_SLOT_EXEC, HAT_MSGS_EXEC },
	{ "position", HAT_STAGE_RISKD, HAT_STAGE_SIGNALD, HAT_SLOT_POSITION, HAT_MSGS_POSITION },
	{ "cmd.feedd", HAT_STAGE_SUPERD, HAT_STAGE_FEEDD, HAT_SLOT_CMD, HAT_MSGS_CMD },
	{ "cmd.signald", HAT_STAGE_SUPERD, HAT_STAGE_SIGNALD, HAT_SLOT_CMD, HAT_MSGS_CMD },
	{ "cmd.riskd", HAT_STAGE_SUPERD, HAT_STAGE_RISKD, HAT_SLOT_CMD, HAT_MSGS_CMD },
	{ "cmd.execd", HAT_STAGE_SUPERD, HAT_STAGE_EXECD, HAT_SLOT_CMD, HAT_MSGS_CMD },
};

const struct hat_ring_def *hat_instance_rings(size_t *n)
{
	*n = sizeof rings / sizeof rings[0];
	return rings;
}

const struct hat_ring_def *hat_instance_ring(const char *name)
{
	for (size_t i = 0; i < sizeof rings / sizeof rings[0]; i++)
		if (strcmp(rings[i].name, name) == 0)
			return &rings[i];
	return NULL;
}

uint32_t hat_instance_ring_count(const struct hat_config *cfg, const struct hat_ring_def *def)
{
	if (strcmp(def->name, "md") == 0)
		return cfg->rings.md;
	if (strcmp(def->name, "intent") == 0)
		return cfg->rings.intent;
	if (strcmp(def->name, "order") == 0)
		return cfg->rings.order;
	if (strcmp(def->name, "exec") == 0)
		return cfg->rings.exec;
	if (strcmp(def->name, "position") == 0)
		return cfg->rings.position;
	return cfg->rings.cmd;
}

const char *hat_instance_cmd_ring(unsigned stage)
{
	switch (stage) {
	case HAT_STAGE_FEEDD: return "cmd.feedd";
	case HAT_STAGE_SIGNALD: return "cmd.signald";
	case HAT_STAGE_RISKD: return "cmd.riskd";
	case HAT_STAGE_EXECD: return "cmd.execd";
	default: return NULL;
	}
}

int hat_instance_unlink(const char *instance, char *err, size_t errlen)
{
	int first = 0;
	char e2[256];
	for (size_t i = 0; i < sizeof rings / sizeof rings[0]; i++) {
		int rc = hat_ring_unlink(instance, rings[i].name, e2, sizeof e2);
		if (rc != 0 && rc != -ENOENT && first == 0) {
			first = rc;
			snprintf(err, errlen, "%s", e2);
		}
	}
	const char *others[] = { HAT_BOARD_SHM_NAME, HAT_CONTROL_SHM_NAME };
	for (size_t i = 0; i < 2; i++) {
		int rc = hat_shm_unlink(instance, others[i], e2, sizeof e2);
		if (rc != 0 && rc != -ENOENT && first == 0) {
			first = rc;
			snprintf(err, errlen, "%s", e2);
		}
	}
	return first;
}

/* Checks an existing ring against what cfg wants; -EEXIST-free reuse after a superd restart. */
static int check_ring(const struct hat_config *cfg, const struct hat_ring_def *d, char *err,
		      size_t errlen)
{
	struct hat_ring r;
	int rc = hat_ring_attach(&r, cfg->instance, d->name, HAT_RING_READER, 0, 0, err, errlen);
	if (rc != 0)
		return rc;
	uint32_t want = hat_instance_ring_count(cfg, d);
	if (hat_ring_capacity(&r) != want || hat_ring_slot_size(&r) != d->slot_size) {
		snprintf(err, errlen, "ring /hat.%s.%s: exists with %u slots of %u bytes, config wants "
			 "%u of %u (stop the pipeline and start fresh to resize)", cfg->instance,
			 d->name, hat_ring_capacity(&r), hat_ring_slot_size(&r), want, d->slot_size);
		rc = HAT_E_BADSIZE;
	}
	hat_ring_detach(&r);
	return rc;
}

int hat_instance_create(const struct hat_config *cfg, int fresh, char *err, size_t errlen)
{
	int rc;
	if (fresh) {
		rc = hat_instance_unlink(cfg->instance, err, errlen);
		if (rc != 0)
			return rc;
	}
	uint64_t now = hat_now_ns();
	for (size_t i = 0; i < sizeof rings / sizeof rings[0]; i++) {
		const struct hat_ring_def *d = &rings[i];
		rc = hat_ring_create(cfg->instance, d->name, hat_instance_ring_count(cfg, d),
				     d->slot_size, 0, err, errlen);
		if (rc == -EEXIST)
			rc = check_ring(cfg, d, err, errlen);
		if (rc != 0)
			goto fail;
	}
	struct hat_board b;
	rc = hat_board_create(&b, cfg->instance, cfg->n_coins ? cfg->n_coins : 1, getpid(), now,
			      err, errlen);
	if (rc == -EEXIST)
		rc = hat_board_open(&b, cfg->instance, HAT_SHM_RDONLY, err, errlen);
	if (rc != 0)
		goto fail;
	hat_board_close(&b);
	struct hat_control c;
	rc = hat_control_create(&c, cfg->instance, now, err, errlen);
	if (rc == -EEXIST)
		rc = hat_control_open(&c, cfg->instance, HAT_SHM_RDONLY, err, errlen);
	if (rc != 0)
		goto fail;
	hat_control_close(&c);
	return 0;
fail:
	if (fresh) {
		char e2[128];
		hat_instance_unlink(cfg->instance, e2, sizeof e2);
	}
	return rc;
}
