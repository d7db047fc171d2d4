/* common/err.h -- hat's error codes.
 *
 * Every fallible function of hat returns 0 on success or a negative code: a negative errno
 * where one fits (-EINVAL, -EAGAIN for "try later", -EPROTO, -EBADMSG, -ESTALE, -ENOENT), or one
 * of the HAT_E_* codes below, which live in a reserved range far below every errno value.
 * hat_strerror() maps any of them to text. Thread-safe; no allocation.
 */
#ifndef HAT_COMMON_ERR_H
#define HAT_COMMON_ERR_H

#include <errno.h>
#include <stddef.h>

#include "common/compiler.h" /* HAT_PRINTF */

enum hat_err {
	HAT_E_BASE = -4000,
	HAT_E_BADMAGIC = -4000,      /* shm segment has the wrong magic: not a hat segment */
	HAT_E_BADVERSION = -4001,    /* shm segment layout version differs from this build's */
	HAT_E_BADSIZE = -4002,       /* shm segment size differs from what the header says/expected */
	HAT_E_BADTYPE = -4003,       /* message type unknown */
	HAT_E_BADMSGVER = -4004,     /* message version unknown for its type */
	HAT_E_BADLEN = -4005,        /* message length does not match its type */
	HAT_E_RANGE = -4006,         /* a message field is out of its valid range */
	HAT_E_SEQGAP = -4007,        /* a ring's seq skipped or repeated */
	HAT_E_CONFIG = -4008,        /* configuration invalid (err buffer names the key) */
	HAT_E_PARSE = -4009,         /* malformed input (JSON, number, frame); err buffer says where */
	HAT_E_CRC = -4010,           /* journal record checksum mismatch */
	HAT_E_TRUNCATED = -4011,     /* input ended inside a record or frame */
	HAT_E_SIGNATURE = -4012,     /* signature invalid or signer mismatch */
	HAT_E_PASSPHRASE = -4013,    /* keystore: wrong passphrase or tampered file */
	HAT_E_EXCHANGE = -4014,      /* the exchange answered with an error */
	HAT_E_STALE = -4015,         /* data older than its limit */
	HAT_E_HALTED = -4016,        /* trading halted */
	HAT_E_LAST = -4016,
};

/* Returns a static string describing code (negative errno or HAT_E_*); never NULL. */
const char *hat_strerror(int code);

/* Formats a failure-site message (rule 3: what failed and where) into err, printf style. err may
 * be NULL or errlen 0: nothing is written then. Truncates to errlen - 1 chars. Thread-safe. */
void hat_errf(char *err, size_t errlen, const char *fmt, ...) HAT_PRINTF(3, 4);

#endif
