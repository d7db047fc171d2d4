/* tools/hlsim/args.h -- hlsim's command line.
 *
 *   hlsim [--config FILE] [--port N|0] [--port-file FILE] [--seed N] [--host ADDR]
 *         [--account 0x<address>=<usdc>]... [--replay FILE] [--state FILE] [--mainnet|--testnet]
 *         [--ws-idle-ms N] [--http-timeout-ms N] [--http-idle-ms N] [--max-body N]
 *         [--max-header N] [--ws-max-msg N] [--no-ws-greeting] [--tick-ms N]
 *         [--rl-rest-weight N] [--rl-ws-conns N] [--rl-ws-new-conns N] [--rl-ws-subs N]
 *         [--rl-ws-msgs N] [--rl-ws-users N]         (limits per IP, per minute where it
 *                                                     applies; 0 = unlimited)
 *         [--replay-speed max|X] [--replay-settle-ms N] [--replay-start-file FILE] (replay.h)
 *         [--replay-gate INSTANCE] (gate.h)
 */
#ifndef HAT_TOOLS_HLSIM_ARGS_H
#define HAT_TOOLS_HLSIM_ARGS_H

#include <stddef.h>

#include "tools/hlsim/engine.h"
#include "tools/hlsim/replay.h"
#include "tools/hlsim/server.h"

#define HLSIM_MAX_ACCOUNTS 64

struct hlsim_args {
	struct hlsim_options engine;  /* accounts points into the array below */
	struct hlsim_server_opts server;
	const char *port_file;        /* NULL: none */
	struct hlsim_replay_opts replay; /* --replay-speed/-settle-ms/-start-file */
	const char *replay_gate;      /* --replay-gate INSTANCE, or NULL */
	struct hlsim_account_opt accounts[HLSIM_MAX_ACCOUNTS];
	int help;
};

/* Parses argv (borrowed; the strings are kept by pointer). Returns 0, or -EINVAL with err
 * naming the bad option ("--port: expected 0..65535, got 'x'"). */
int hlsim_args_parse(struct hlsim_args *a, int argc, char **argv, char *err, size_t errlen);

/* The usage text. */
extern const char hlsim_usage[];

#endif
