/* tests/unit/hlsim_test_util.h -- shared fixtures for the hlsim core tests: an engine with the
 * flow off (or on), the protocol doc's test key funded, requests signed with hl/ exactly as a
 * client would (msgpack of the action JSON as sent), and captured events.
 */
#ifndef HAT_TESTS_HLSIM_TEST_UTIL_H
#define HAT_TESTS_HLSIM_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "hl/sign.h"
#include "tools/hlsim/engine.h"
#include "tools/hlsim/engine_int.h"

#define HTS_KEY "0x0123456789012345678901234567890123456789012345678901234567890123"
#define HTS_ADDR "0x14791697260e4c9a71f18484c9f997b308e59325"
#define HTS_T0 1717000000000ULL /* engine start time, ms */
#define HTS_MAX_EVENTS 4096

struct hts_event {
	enum hlsim_event_kind kind;
	char coin[16];
	uint8_t user[20];
	bool has_user;
	char *json;
};

struct hts {
	struct hlsim_engine *e;
	struct hl_signer key;
	uint8_t addr[20];
	uint32_t acct;         /* the test key's account index */
	uint64_t now;          /* engine time used by the helpers */
	uint64_t nonce;        /* last nonce used */
	struct hat_buf out;
	int status;
	unsigned weight;
	struct hts_event ev[HTS_MAX_EVENTS];
	size_t n_ev;
};

/* Engine with the built-in config (flow on/off), the test key funded with usdc (1e-8) and
 * every event captured. */
void hts_init(struct hts *t, int64_t usdc, bool flow);
void hts_deinit(struct hts *t);
void hts_clear_events(struct hts *t);
/* Number of captured events of kind (and for user if not NULL). */
size_t hts_count(const struct hts *t, enum hlsim_event_kind kind);

/* Signs action_json (sent as is) with key at nonce and builds the /exchange body into body. */
void hts_sign_body(const struct hl_signer *key, const char *action_json, uint64_t nonce,
		   bool mainnet, struct hat_buf *body);
/* POST /exchange with the test key, a fresh nonce (now + counter). Returns the status;
 * t->out holds the body. */
int hts_exchange(struct hts *t, const char *action_json);
/* Same, with an explicit nonce. */
int hts_exchange_nonce(struct hts *t, const char *action_json, uint64_t nonce);
/* POST /info with a printf-formatted body. */
int hts_info(struct hts *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Places directly (white box) for account acct: px/sz are decimal text. Returns the result. */
struct hlsim_place_result hts_place(struct hts *t, uint32_t acct, uint32_t coin, bool buy,
				    const char *px, const char *sz, enum hlsim_tif tif,
				    bool reduce_only);
/* A new funded account (white box) with address 0x..<n>; returns its index. */
uint32_t hts_account(struct hts *t, uint8_t n, int64_t usdc);
/* Parses decimal text to 1e-8 (fails the test on bad text). */
int64_t hts_fx(const char *s);

#endif
