/* tests/helpers/hlsim_proc.h -- runs the real hlsim program (HAT_BIN_DIR, ASan build) for
 * end-to-end tests: a temporary directory, an optional config file written there,
 * --port 0 --port-file, and a clean SIGTERM stop that must exit 0. Test-only.
 */
#ifndef HAT_TESTS_HLSIM_PROC_H
#define HAT_TESTS_HLSIM_PROC_H

#include <sys/types.h>

struct hlsim_proc {
	pid_t pid;
	int port;
	char dir[256];   /* temporary directory (config, port file, log, state) */
	char log[320];   /* hlsim's stdout and stderr */
};

/* A test config: BTC/ETH/SOL as the built-in one, background flow off (books start empty),
 * accounts for HP_KEY_A and HP_KEY_B with 100000 USDC and HP_KEY_POOR with 20 USDC. */
extern const char hp_config_quiet[];
#define HP_KEY_A "0x0123456789012345678901234567890123456789012345678901234567890123"
#define HP_KEY_B "0x1111111111111111111111111111111111111111111111111111111111111111"
#define HP_KEY_POOR "0x2222222222222222222222222222222222222222222222222222222222222222"

/* Starts hlsim with config (written to <dir>/hlsim.json; NULL: the built-in config) and the
 * extra arguments (NULL-terminated list, may be NULL). Fails the test if it does not come up. */
void hp_start(struct hlsim_proc *p, const char *config, const char *const *extra);
/* SIGTERM; asserts a clean exit 0; removes the directory unless keep_dir. */
void hp_stop(struct hlsim_proc *p);
/* Same, but leaves the directory (for a restart from a state file). */
void hp_stop_keep(struct hlsim_proc *p);
/* Path of a file in p's directory (static buffer). */
const char *hp_path(const struct hlsim_proc *p, const char *name);
/* Asserts that hlsim still answers POST /info allMids with 200. */
void hp_assert_serving(const struct hlsim_proc *p);

#include <stdbool.h>
#include <stdint.h>

#include "hl/sign.h"

/* A fresh nonce: wall-clock ms, strictly increasing within the process. */
uint64_t hp_nonce(void);
/* Signs action_json (sent as is) with key at nonce (0: hp_nonce()) for testnet and POSTs it to
 * /exchange. Returns the response body (malloc'ed) and sets *status. */
char *hp_exchange(const struct hlsim_proc *p, const struct hl_signer *key, const char *action_json,
                  uint64_t nonce, long *status);
/* POST /info with a printf-formatted body; asserts status 200; returns the body (malloc'ed). */
char *hp_info(const struct hlsim_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Loads a signer from hex key text (fails the test on error). */
void hp_signer(struct hl_signer *s, const char *key_hex);
/* The signer's address as "0x" + 40 lowercase hex digits. */
void hp_addr(const struct hl_signer *s, char out[43]);

#endif
