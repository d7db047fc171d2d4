/* tools/hlsim/sub.c -- subscription parsing and event routing. */
#include "tools/hlsim/sub.h"
#include "hl/wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;      /* subscription type and canonical name */
	const char *channel;   /* channel name of pushes */
	enum hlsim_event_kind kind;
} kinds[] = {
	{ "l2Book", "l2Book", HLSIM_EV_L2BOOK },
	{ "trades", "trades", HLSIM_EV_TRADES },
	{ "bbo", "bbo", HLSIM_EV_BBO },
	{ "allMids", "allMids", HLSIM_EV_ALLMIDS },
	{ "candle", "candle", HLSIM_EV_CANDLE },
	{ "orderUpdates", "orderUpdates", HLSIM_EV_ORDER_UPDATES },
	{ "userFills", "userFills", HLSIM_EV_USER_FILLS },
	{ "userEvents", "user", HLSIM_EV_USER_EVENTS },
};

const char *hlsim_sub_channel(enum hlsim_event_kind kind)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i].kind == kind)
			return kinds[i].channel;
	return "unknown";
}

int hlsim_parse_address(const char *s, uint8_t out[20])
{
	/* The exchange's address form: 0x (either case) and 40 hex digits of either case. */
	return s && hl_addr_parse(s, strlen(s), out, NULL, 0) == 0 ? 0 : -EINVAL;
}

static const char *str_field(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int hlsim_sub_parse(struct hlsim_sub *s, const char *channel, const cJSON *sub, char *err,
                    size_t errlen)
{
	memset(s, 0, sizeof *s);
	size_t i;
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(kinds[i].name, channel))
			break;
	if (i == sizeof kinds / sizeof kinds[0]) {
		snprintf(err, errlen, "unsupported channel %s", channel);
		return -EINVAL;
	}
	s->kind = kinds[i].kind;
	const char *coin = str_field(sub, "coin");
	const char *interval = str_field(sub, "interval");
	const char *user = str_field(sub, "user");
	switch (s->kind) {
	case HLSIM_EV_CANDLE:
		if (!interval || strlen(interval) >= sizeof s->interval) {
			snprintf(err, errlen, "%s subscription: missing or bad interval", channel);
			return -EINVAL;
		}
		snprintf(s->interval, sizeof s->interval, "%s", interval);
		/* fall through */
	case HLSIM_EV_L2BOOK:
	case HLSIM_EV_TRADES:
	case HLSIM_EV_BBO:
		if (!coin || strlen(coin) >= sizeof s->coin) {
			snprintf(err, errlen, "%s subscription: missing or bad coin", channel);
			return -EINVAL;
		}
		snprintf(s->coin, sizeof s->coin, "%s", coin);
		break;
	case HLSIM_EV_ORDER_UPDATES:
	case HLSIM_EV_USER_FILLS:
	case HLSIM_EV_USER_EVENTS:
		if (hlsim_parse_address(user, s->user)) {
			snprintf(err, errlen, "%s subscription: user must be a 0x address of 20 bytes",
				 channel);
			return -EINVAL;
		}
		s->has_user = true;
		break;
	case HLSIM_EV_ALLMIDS:
		break;
	}
	const cJSON *nsig = cJSON_GetObjectItemCaseSensitive(sub, "nSigFigs");
	const cJSON *mant = cJSON_GetObjectItemCaseSensitive(sub, "mantissa");
	const cJSON *agg = cJSON_GetObjectItemCaseSensitive(sub, "aggregateByTime");
	int nsig_v = cJSON_IsNumber(nsig) ? nsig->valueint : 0;
	int mant_v = cJSON_IsNumber(mant) ? mant->valueint : 0;
	s->aggregated = s->kind == HLSIM_EV_L2BOOK && (nsig_v || mant_v);
	char uhex[41] = "";
	if (s->has_user)
		for (int k = 0; k < 20; k++)
			snprintf(uhex + 2 * k, 3, "%02x", s->user[k]);
	snprintf(s->key, sizeof s->key, "%s|%s|%s|%s|%d|%d|%d", channel, s->coin, s->interval, uhex,
		 nsig_v, mant_v, cJSON_IsTrue(agg) ? 1 : 0);
	s->json = cJSON_Duplicate(sub, 1);
	if (!s->json) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void hlsim_sub_deinit(struct hlsim_sub *s)
{
	cJSON_Delete(s->json);
	s->json = NULL;
}

bool hlsim_sub_matches(const struct hlsim_sub *s, const struct hlsim_event *ev)
{
	if (s->kind != ev->kind)
		return false;
	switch (s->kind) {
	case HLSIM_EV_CANDLE:
		if (!ev->interval || strcmp(ev->interval, s->interval))
			return false;
		/* fall through */
	case HLSIM_EV_L2BOOK:
	case HLSIM_EV_TRADES:
	case HLSIM_EV_BBO:
		return ev->coin && !strcmp(ev->coin, s->coin);
	case HLSIM_EV_ORDER_UPDATES:
	case HLSIM_EV_USER_FILLS:
	case HLSIM_EV_USER_EVENTS:
		return ev->user && !memcmp(ev->user, s->user, 20);
	case HLSIM_EV_ALLMIDS:
		return true;
	}
	return false;
}
