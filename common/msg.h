/* common/msg.h -- validating, naming and printing the messages of common/msg_types.h.
 *
 * Every consumer of a ring validates what it pops before acting on it (STYLE rule 7): the
 * validator rejects an unknown type (HAT_E_BADTYPE), an unknown version (HAT_E_BADMSGVER), a
 * length that does not match the type (HAT_E_BADLEN) and out-of-range fields (HAT_E_RANGE),
 * and fills an error buffer that names the type and the field, for example
 *   "TRADE.px: must be > 0 (got -5)"
 *   "BOOK.bids[2].px: must be < bids[1].px (got 67000.5 >= 67000)"
 *   "msg: unknown type 99"
 * The per-type validators, the names and the formatters are all generated from the registry
 * HAT_MSG_TYPES, so they cannot drift apart from the catalogue.
 *
 * Also here: hat_msg_init() for producers, a consumer-side sequence checker
 * (struct hat_seq_check), a per-consumer reject counter (struct hat_msg_rejects), and one-line
 * human-readable and JSON formatters used by the shm inspector and the logs.
 *
 * Every function is pure (no I/O, no globals) and safe from any thread or process. The
 * validators never read past the length they are given and never crash on garbage. The
 * formatters tolerate invalid messages (they print what they can, strings are bounded).
 */
#ifndef HAT_COMMON_MSG_H
#define HAT_COMMON_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/msg_types.h"

/* ---------------------------------------------------------------- producing */

/* Zeroes the whole message of the given type (header included) and sets type, version and
 * length from the registry; seq, origin_ns and send_ns are left 0 for the caller/ring.
 * h must point to a struct of that type. Returns 0, or HAT_E_BADTYPE if type is unknown
 * (nothing written). */
int hat_msg_init(struct hat_msg_hdr *h, unsigned type);

/* Copies the NUL-terminated name s into a HAT_COIN_LEN coin field, NUL-padding the rest.
 * Returns 0, -EINVAL if s is empty, or -ENAMETOOLONG if strlen(s) >= HAT_COIN_LEN (then the
 * field is all zeros). */
int hat_coin_set(char coin[HAT_COIN_LEN], const char *s);

/* Copies s into a NUL-padded text field of len bytes, truncating to len - 1 bytes. */
void hat_text_set(char *dst, size_t len, const char *s);

/* Builds a CONTROL message (hat_msg_init, then the fields): command cmd from stage `from`
 * (enum hat_stage_id), the sender's restart count, a command-specific arg, a cause text
 * (NULL = none) and origin_ns. The one way every stage and superd makes one. */
void hat_msg_control_make(struct hat_msg_control *c, uint16_t cmd, unsigned from,
			  uint32_t restart_count, uint64_t arg, const char *text, uint64_t origin_ns);

/* ---------------------------------------------------------------- validating */

/* Validates the message at msg, of which avail bytes are readable (for a ring, the slot size).
 * Checks: avail >= the header; the type is known; the version is the one this build knows;
 * h.length == sizeof the type's struct and h.length <= avail; then every field of the body.
 * msg is borrowed for the call. err (may be NULL) receives a message naming type and field.
 * Returns 0, HAT_E_BADTYPE, HAT_E_BADMSGVER, HAT_E_BADLEN or HAT_E_RANGE. */
int hat_msg_validate(const void *msg, size_t avail, char *err, size_t errlen);

/* Bit for a type in an "allowed types" mask: HAT_MSG_BIT(HAT_MSG_BOOK). */
#define HAT_MSG_BIT(type) (1u << (type))
/* The types each ring of the pipeline carries (see msg_types.h). */
#define HAT_MSGS_MD (HAT_MSG_BIT(HAT_MSG_BOOK) | HAT_MSG_BIT(HAT_MSG_TRADE) | HAT_MSG_BIT(HAT_MSG_BBO))
#define HAT_MSGS_INTENT (HAT_MSG_BIT(HAT_MSG_INTENT) | HAT_MSG_BIT(HAT_MSG_CONTROL))
#define HAT_MSGS_ORDER (HAT_MSG_BIT(HAT_MSG_ORDER) | HAT_MSG_BIT(HAT_MSG_CONTROL))
#define HAT_MSGS_EXEC (HAT_MSG_BIT(HAT_MSG_EXEC) | HAT_MSG_BIT(HAT_MSG_POSITION) | HAT_MSG_BIT(HAT_MSG_CONTROL))
#define HAT_MSGS_POSITION HAT_MSGS_EXEC
#define HAT_MSGS_CMD HAT_MSG_BIT(HAT_MSG_CONTROL)

/* hat_msg_validate() plus: a known type not in the allowed mask is rejected with HAT_E_BADTYPE
 * ("EXEC: type not allowed on this ring"). Same returns as hat_msg_validate(). */
int hat_msg_validate_on(const void *msg, size_t avail, uint32_t allowed, char *err, size_t errlen);

/* One body validator per type, <struct name>_check() (hat_msg_book_check(),
 * hat_msg_trade_check(), ...), declared from the registry: each checks the body fields only
 * (the header is hat_msg_validate()'s job) and returns 0 or HAT_E_RANGE with err naming the
 * field. */
#define HAT__MSG_VALIDATOR_DECL(name, id, st, ver) \
	int st##_check(const struct st *m, char *err, size_t errlen);
HAT_MSG_TYPES(HAT__MSG_VALIDATOR_DECL)
#undef HAT__MSG_VALIDATOR_DECL

/* ---------------------------------------------------------------- names */

/* "BOOK", "TRADE", ...; "?" for an unknown type. Static strings, never NULL. */
/* The exchange's timestamp (ms) a market-data message carries (BOOK, BBO, TRADE); 0 for every
 * other type. */
uint64_t hat_msg_exch_time_ms(const struct hat_msg_hdr *h);

const char *hat_msg_type_name(unsigned type);
/* sizeof the type's struct, or 0 if the type is unknown. */
size_t hat_msg_type_size(unsigned type);
/* Current version of the type, or 0 if unknown. */
unsigned hat_msg_type_version(unsigned type);
/* Type id of a name ("BOOK" -> 1, case-sensitive), or -ENOENT. */
int hat_msg_type_from_name(const char *name);

/* "RISK_MAX_POSITION", "EXCH_TICK", ...; "?" for an unknown reason. */
const char *hat_reason_name(unsigned reason);
/* True if reason is one of HAT_REASONS. */
bool hat_reason_valid(unsigned reason);
/* Small enum names for printing; "?" for unknown values. */
const char *hat_side_name(unsigned side);             /* "buy", "sell" */
const char *hat_tif_name(unsigned tif);               /* "Gtc", "Ioc", "Alo" (the wire's) */
const char *hat_intent_kind_name(unsigned kind);      /* "new", "cancel", "replace" */
const char *hat_exec_kind_name(unsigned kind);        /* "ack", "reject", "fill", ... */
const char *hat_ctl_cmd_name(unsigned cmd);           /* "halt", "resume", ... */
const char *hat_stage_name(unsigned stage);           /* "feedd", ..., "operator", "none" */
const char *hat_trading_state_name(unsigned state);   /* "active", "reducing", "halted" */

/* ---------------------------------------------------------------- formatting */

/* Appends one human-readable line (no trailing newline) describing the message, e.g.
 *   TRADE #42 BTC buy 0.5 @ 67000.5 tid=7 t=1700000000123
 * An invalid or unknown message prints its header and "(invalid: <reason>)". avail is as for
 * hat_msg_validate(). Allocation is the buffer's (not for the hot path). */
void hat_msg_format(struct hat_buf *b, const void *msg, size_t avail);

/* Appends one JSON object (no newline) with every field: {"type":"TRADE","version":1,"seq":42,
 * "origin_ns":...,"send_ns":...,"coin":"BTC",...}. Prices/sizes/amounts are decimal strings
 * ("67000.5", exact), cloids "0x" + 32 hex, enums by name. An invalid message prints
 * {"type":...,"invalid":"<reason>", header fields}. */
void hat_msg_format_json(struct hat_buf *b, const void *msg, size_t avail);

/* Writes a 16-byte cloid as "0x" + 32 lowercase hex + NUL into out (35 bytes). */
#define HAT_CLOID_STRLEN 35
void hat_cloid_format(const uint8_t cloid[HAT_CLOID_LEN], char out[HAT_CLOID_STRLEN]);

/* ---------------------------------------------------------------- sequence checking */

/* Consumer-side check of a ring's seq (+1 per message). Caller-owned, one per ring consumed;
 * zero it or call hat_seq_check_init(). Not shared between processes. */
struct hat_seq_check {
	uint64_t next;       /* seq expected next (valid once started) */
	uint64_t received;   /* messages accepted (in order or after a gap) */
	uint64_t gaps;       /* number of gap events */
	uint64_t lost;       /* total messages skipped over by gaps */
	uint64_t dups;       /* messages with seq < next (duplicates or replays), dropped */
	uint64_t last_gap;   /* size of the most recent gap */
	uint8_t started;     /* 0 until the first message */
};

void hat_seq_check_init(struct hat_seq_check *c);
/* Forgets the expectation: the next seq is accepted as-is (after a HELLO or a ring reset). */
void hat_seq_check_reset(struct hat_seq_check *c);
/* Checks seq against the expectation and updates the counts.
 * Returns 0 if seq is the expected one (or the first seen): accept it.
 * HAT_E_SEQGAP if seq > expected: accept it; last_gap = seq - expected messages were lost,
 *   and the checker resynchronises (expects seq + 1).
 * -EALREADY if seq < expected: a duplicate or a replay; drop it (expectation unchanged). */
int hat_seq_check(struct hat_seq_check *c, uint64_t seq);

/* ---------------------------------------------------------------- reject counting */

/* Per-consumer reject counts (caller-owned; copy into control counters as needed). */
struct hat_msg_rejects {
	uint64_t total;
	uint64_t badtype;
	uint64_t badver;
	uint64_t badlen;
	uint64_t range;
	uint64_t by_type[HAT_MSG_TYPE_MAX + 1]; /* index = type for known types, 0 = unknown */
	int last_code;                          /* code of the most recent reject */
	char last_err[128];                     /* its message */
};

void hat_msg_rejects_init(struct hat_msg_rejects *r);
/* Validates like hat_msg_validate_on() and, on failure, counts the reject in r (which keeps a
 * copy of the message). Returns what the validator returned. */
int hat_msg_accept(struct hat_msg_rejects *r, const void *msg, size_t avail, uint32_t allowed,
		   char *err, size_t errlen);

#endif
