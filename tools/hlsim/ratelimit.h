/* tools/hlsim/ratelimit.h -- hlsim's per-IP rate limits (no I/O).
 *
 * Mirrors the exchange's limits (protocol doc 8.1 and 8.3): a REST weight budget per IP per
 * minute, and for WebSockets per IP: simultaneous connections, new connections per minute,
 * subscriptions, and messages sent to the server per minute. Budgets refill continuously
 * (token buckets: a limit of L per minute refills L/60000 per ms up to L). A limit of 0 means
 * unlimited. The per-address action budget (8.2) belongs to the engine, which knows addresses.
 *
 * Time is passed in (now_ms). Single-threaded: the server's loop owns the table.
 * Clients are keyed by their IP address bytes (4 or 16), not by port.
 */
#ifndef HAT_TOOLS_HLSIM_RATELIMIT_H
#define HAT_TOOLS_HLSIM_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hlsim_rl_limits {
	unsigned rest_weight_per_min; /* default 1200 */
	unsigned ws_conns;            /* simultaneous per IP, default 10 */
	unsigned ws_new_conns_per_min;/* default 30 */
	unsigned ws_subs;             /* per IP across connections, default 1000 */
	unsigned ws_msgs_per_min;     /* client -> server messages per IP, default 2000 */
	unsigned ws_users;            /* distinct users in user subscriptions per IP, default 10
	                               * (counted by ws.c, which sees the subscriptions) */
};

void hlsim_rl_limits_default(struct hlsim_rl_limits *l);

struct hlsim_rl_ip {
	uint8_t addr[16];
	uint8_t addr_len;      /* 4 or 16 */
	int64_t rest_tokens;   /* weight units * 60000 */
	int64_t ws_new_tokens; /* connections * 60000 */
	int64_t ws_msg_tokens; /* messages * 60000 */
	uint64_t last_ms;      /* last refill */
	unsigned ws_conns, ws_subs;
};

struct hlsim_rl {
	struct hlsim_rl_limits lim;
	struct hlsim_rl_ip *ips; /* owned; linear table: hlsim serves a handful of IPs */
	size_t n, cap;
};

/* Copies lim. */
void hlsim_rl_init(struct hlsim_rl *rl, const struct hlsim_rl_limits *lim);
void hlsim_rl_deinit(struct hlsim_rl *rl);

/* Finds or adds the entry of an IP (addr borrowed, len 4 or 16), refilled to now_ms.
 * Returns NULL only on allocation failure. The pointer is valid until the next lookup. */
struct hlsim_rl_ip *hlsim_rl_lookup(struct hlsim_rl *rl, const uint8_t *addr, size_t len,
                                    uint64_t now_ms);

/* REST: true if the IP may make a request now (its budget is not exhausted). */
bool hlsim_rl_rest_allow(struct hlsim_rl *rl, struct hlsim_rl_ip *ip);
/* REST: charges a served request's weight. */
void hlsim_rl_rest_charge(struct hlsim_rl *rl, struct hlsim_rl_ip *ip, unsigned weight);

/* WS: a new connection. Returns 0 (counted), or -EAGAIN with a reason in err when the IP has
 * too many open connections or opened too many in the last minute. */
int hlsim_rl_ws_open(struct hlsim_rl *rl, struct hlsim_rl_ip *ip, char *err, size_t errlen);
void hlsim_rl_ws_close(struct hlsim_rl_ip *ip, unsigned subs_held);
/* WS: one message from the client. Returns 0 or -EAGAIN (over the per-minute budget). */
int hlsim_rl_ws_msg(struct hlsim_rl *rl, struct hlsim_rl_ip *ip);
/* WS: one more subscription. Returns 0 or -EAGAIN (too many for this IP). */
int hlsim_rl_ws_sub(struct hlsim_rl *rl, struct hlsim_rl_ip *ip);
void hlsim_rl_ws_unsub(struct hlsim_rl_ip *ip);

#endif
