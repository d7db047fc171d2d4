/* execd/dm_pump.c -- keeping the dead-man's switch armed while healthy (see daemon_int.h). */
#include "execd/daemon_int.h"

#include "execd/keystore.h"

static bool riskd_alive(const struct execd *d, uint64_t mono)
{
	return hat_stage_alive(&d->st.control, HAT_STAGE_RISKD,
			       (uint64_t)d->file.riskd_timeout_ms * HAT_NS_PER_MS, mono);
}

void execd__deadman_pump(struct execd *d)
{
	uint64_t t = 0;
	bool healthy = d->ready && riskd_alive(d, hat_mono_ns());
	enum exec_dm_action a = exec_deadman_poll(&d->dm, now_ms(), healthy, &t);
	if (a == EXEC_DM_NONE || exec_http_free_slots(&d->http) == 0)
		return;
	char err[200];
	uint64_t nonce;
	hat_buf_reset(&d->json);
	hat_buf_reset(&d->mp);
	hat_buf_reset(&d->scratch);
	if (hl_action_schedule_cancel(a == EXEC_DM_ARM, t, &d->json, &d->mp) != 0 ||
	    exec_nonce_next(&d->nonce, now_ms(), &nonce, err, sizeof err) != 0 ||
	    exec_router_sign(exec_key_signer(d->key), &d->json, &d->mp, nonce,
	                     d->has_vault ? d->vault : NULL, d->testnet, &d->scratch) != 0) {
		exec_deadman_sent(&d->dm, t);
		exec_deadman_result(&d->dm, false, now_ms());
		return;
	}
	execd__audit(d, EXEC_AUDIT_REQUEST, nonce, d->scratch.data, d->scratch.len);
	if (exec_http_post(&d->http, "/exchange", d->scratch.data, d->scratch.len, TAG_DM) != 0)
		return;
	d->dm_nonce = nonce;
	exec_deadman_sent(&d->dm, t);
}
