/* tools/hlsim/args.c -- command-line parsing. */
#include "tools/hlsim/args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fixed.h"
#include "tools/hlsim/sub.h"

const char hlsim_usage[] =
	"usage: hlsim [--config FILE] [--port N|0] [--port-file FILE] [--seed N] [--host ADDR]\n"
	"             [--account 0x<address>=<usdc>]... [--replay FILE] [--state FILE]\n"
	"             [--mainnet|--testnet] [--ws-idle-ms N] [--http-timeout-ms N]\n"
	"             [--http-idle-ms N] [--max-body N] [--max-header N] [--ws-max-msg N]\n"
	"             [--no-ws-greeting] [--tick-ms N] [--workers N] [--rl-rest-weight N]\n"
	"             [--rl-ws-conns N] [--rl-ws-new-conns N] [--rl-ws-subs N] [--rl-ws-msgs N]\n"
	"             [--rl-ws-users N]\n"
	"--workers N: threads that check signatures (0: all on the event loop; default 2).\n"
	"Rate limits are per IP (per minute where it applies); 0 means unlimited.\n"
	"Replay (--replay FILE): [--replay-speed max|X] [--replay-settle-ms N]\n"
	"  [--replay-start-file FILE] [--replay-gate INSTANCE]: max = lockstep, the next step\n"
	"  once the engine was quiet N ms (default 10), or with --replay-gate once the hat\n"
	"  pipeline of INSTANCE has finished reacting (tools/hlsim/gate.h), on the replay's\n"
	"  clock; X = the recorded pace times X (default 1); start when FILE exists\n"
	"  (default: at once). Logs replay_start and replay_done (tools/hlsim/MODEL.md).\n";

static int num(const char *opt, const char *v, unsigned long long max, unsigned long long *out,
               char *err, size_t errlen)
{
	char *end;
	errno = 0;
	unsigned long long x = v && *v != '-' ? strtoull(v, &end, 10) : 0;
	if (!v || *v == '-' || !*v || *end || errno || x > max) {
		snprintf(err, errlen, "%s: expected an integer 0..%llu, got '%s'", opt, max,
			 v ? v : "(nothing)");
		return -EINVAL;
	}
	*out = x;
	return 0;
}

static int account(struct hlsim_args *a, const char *v, char *err, size_t errlen)
{
	const char *eq = v ? strchr(v, '=') : NULL;
	char addr[64];
	if (!eq || (size_t)(eq - v) >= sizeof addr) {
		snprintf(err, errlen, "--account: expected 0x<address>=<usdc>, got '%s'",
			 v ? v : "(nothing)");
		return -EINVAL;
	}
	memcpy(addr, v, (size_t)(eq - v));
	addr[eq - v] = '\0';
	if (a->engine.n_accounts == HLSIM_MAX_ACCOUNTS) {
		snprintf(err, errlen, "--account: at most %d accounts", HLSIM_MAX_ACCOUNTS);
		return -EINVAL;
	}
	struct hlsim_account_opt *acc = &a->accounts[a->engine.n_accounts];
	if (hlsim_parse_address(addr, acc->address)) {
		snprintf(err, errlen, "--account: '%s' is not a 0x address of 20 bytes", addr);
		return -EINVAL;
	}
	char why[128];
	if (hat_fx_parse(eq + 1, strlen(eq + 1), &acc->usdc, why, sizeof why) || acc->usdc < 0) {
		snprintf(err, errlen, "--account %s: bad USDC amount '%s'%s%s", addr, eq + 1,
			 acc->usdc < 0 ? "" : ": ", acc->usdc < 0 ? "" : why);
		return -EINVAL;
	}
	a->engine.n_accounts++;
	return 0;
}

/* A --replay-speed value: "max" (0) or a positive factor ("1", "10", "0.5"). */
static int replay_speed(const char *v, double *out)
{
	if (v && strcmp(v, "max") == 0) {
		*out = 0;
		return 0;
	}
	char *end;
	errno = 0;
	double x = v && *v ? strtod(v, &end) : -1;
	if (!v || !*v || *end || errno || !(x > 0) || !isfinite(x))
		return -EINVAL;
	*out = x;
	return 0;
}

/* --replay-speed max|X, --replay-settle-ms N, --replay-start-file FILE (replay.h). */
static int replay_opt(struct hlsim_args *a, const char *o, const char *v, char *err,
		      size_t errlen)
{
	unsigned long long x;
	if (!strcmp(o, "--replay-speed")) {
		if (replay_speed(v, &a->replay.speed) == 0)
			return 0;
		snprintf(err, errlen, "--replay-speed: expected max or a factor > 0, got '%s'", v);
		return -EINVAL;
	}
	if (!strcmp(o, "--replay-settle-ms")) {
		int r = num(o, v, 60000, &x, err, errlen);
		if (!r)
			a->replay.settle_ms = (uint32_t)x;
		return r;
	}
	if (!strcmp(o, "--replay-start-file")) {
		a->replay.start_file = v;
		return 0;
	}
	if (!strcmp(o, "--replay-gate")) {
		a->replay_gate = v;
		return 0;
	}
	snprintf(err, errlen, "unknown option '%s'", o);
	return -EINVAL;
}

int hlsim_args_parse(struct hlsim_args *a, int argc, char **argv, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	hlsim_server_opts_default(&a->server);
	a->engine.accounts = a->accounts;
	a->replay.speed = 1;
	struct hlsim_server_opts *s = &a->server;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long long x = 0;
		int r = 0;
		bool takes = true;
#define U(name, field, max)                                        \
	else if (!strcmp(o, name))                                 \
	{                                                          \
		if (!(r = num(o, v, max, &x, err, errlen)))        \
			field = x;                                 \
	}
		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			a->help = 1;
			takes = false;
		} else if (!strcmp(o, "--mainnet") || !strcmp(o, "--testnet")) {
			a->engine.mainnet = o[2] == 'm';
			a->engine.mainnet_set = true;
			takes = false;
		} else if (!strcmp(o, "--no-ws-greeting")) {
			s->ws_greeting = false;
			takes = false;
		} else if (!v) {
			snprintf(err, errlen, "%s: missing value (or unknown option)", o);
			return -EINVAL;
		} else if (!strcmp(o, "--config")) {
			a->engine.config_path = v;
		} else if (!strcmp(o, "--port-file")) {
			a->port_file = v;
		} else if (!strcmp(o, "--replay")) {
			a->engine.replay_path = v;
		} else if (!strncmp(o, "--replay-", 9)) {
			r = replay_opt(a, o, v, err, errlen);
		} else if (!strcmp(o, "--state")) {
			a->engine.state_path = v;
		} else if (!strcmp(o, "--host")) {
			s->host = v;
		} else if (!strcmp(o, "--account")) {
			r = account(a, v, err, errlen);
		}
		U("--port", s->port, 65535)
		U("--seed", a->engine.seed, UINT64_MAX)
		U("--ws-idle-ms", s->ws_idle_ms, 86400000)
		U("--http-timeout-ms", s->http_timeout_ms, 86400000)
		U("--http-idle-ms", s->http_idle_ms, 86400000)
		U("--max-body", s->http.max_body, 1u << 30)
		U("--max-header", s->http.max_header_bytes, 1u << 24)
		U("--ws-max-msg", s->ws_max_msg, 1u << 30)
		U("--tick-ms", s->tick_ms, 60000)
		U("--workers", s->workers, 128)
		U("--rl-rest-weight", s->rl.rest_weight_per_min, 100000000)
		U("--rl-ws-conns", s->rl.ws_conns, 100000000)
		U("--rl-ws-new-conns", s->rl.ws_new_conns_per_min, 100000000)
		U("--rl-ws-subs", s->rl.ws_subs, 100000000)
		U("--rl-ws-msgs", s->rl.ws_msgs_per_min, 100000000)
		U("--rl-ws-users", s->rl.ws_users, 100000000)
		else {
			snprintf(err, errlen, "unknown option '%s'", o);
			return -EINVAL;
		}
#undef U
		if (r)
			return r;
		if (takes)
			i++;
	}
	if (s->tick_ms == 0)
		s->tick_ms = 1;
	return 0;
}
