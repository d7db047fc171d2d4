/* tools/hlsim/sub.h -- one WebSocket subscription of hlsim: parsed, compared, matched (no I/O).
 *
 * A subscription object ({"type":"l2Book","coin":"BTC",...}) that the engine accepted
 * (hlsim_subscription_check) is reduced to the fields that route events: kind, coin, interval,
 * user, and the l2Book aggregation. Two subscriptions are the same when their keys are equal
 * (type, coin, interval, lower-case user, aggregation), which is how subscribe detects
 * "Already subscribed" and unsubscribe finds its subscription.
 */
#ifndef HAT_TOOLS_HLSIM_SUB_H
#define HAT_TOOLS_HLSIM_SUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "tools/hlsim/engine.h"

struct hlsim_sub {
	enum hlsim_event_kind kind;
	char coin[32];
	char interval[8];
	uint8_t user[20];
	bool has_user;
	bool aggregated;   /* l2Book with nSigFigs or mantissa: its own snapshot per update */
	char key[160];     /* identity, see above */
	cJSON *json;       /* owned copy of the subscription object (acks, snapshots) */
};

/* Parses subscription (borrowed) whose canonical channel name (from hlsim_subscription_check)
 * is channel. Returns 0 (s filled; free with hlsim_sub_deinit), -EINVAL with err naming the bad
 * field (missing coin, user not a 0x address of 20 bytes, unknown channel), or -ENOMEM. */
int hlsim_sub_parse(struct hlsim_sub *s, const char *channel, const cJSON *subscription,
                    char *err, size_t errlen);
void hlsim_sub_deinit(struct hlsim_sub *s);

/* True if event ev is routed to subscription s. */
bool hlsim_sub_matches(const struct hlsim_sub *s, const struct hlsim_event *ev);

/* The channel name pushes of this kind carry ("l2Book", ..., "user" for userEvents). */
const char *hlsim_sub_channel(enum hlsim_event_kind kind);

/* Parses "0x" + 40 hex digits into 20 bytes. Returns 0 or -EINVAL. */
int hlsim_parse_address(const char *s, uint8_t out[20]);

#endif
