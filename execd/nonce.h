/* execd/nonce.h -- the one strictly increasing nonce source of an account (signer).
 *
 * nonce = max(now_ms, last + 1): a millisecond timestamp (the exchange accepts nonces within
 * (T - 2 days, T + 1 day) of its time and keeps the 100 highest per signer), bumped past the
 * last one issued so two actions in the same millisecond, or a clock that steps backwards,
 * never repeat or decrease a nonce.
 *
 * Persistence (write-ahead high-water mark): the file holds a mark M such that every nonce ever
 * issued is < M. Before issuing a nonce n >= M, the module first writes a new mark
 * M' = n + ahead_ms to "<path>.tmp", fsyncs it, renames it over path and fsyncs the directory;
 * only then is n returned. So at most one fsync per ahead_ms of nonces (not one per order), and
 * a restart (even after SIGKILL or power loss) starts at last = M - 1: the first nonce after a
 * restart is max(now_ms, M), never one issued before. The cost of a restart is that nonces may
 * jump up to ahead_ms into the future (keep ahead_ms well below a day; default 10 000 ms).
 *
 * File: one line "hat-nonce 1 <mark decimal>\n". Single-threaded; one process per file (execd).
 * The caller passes the time in (CLOCK_REALTIME ms); nothing here reads a clock.
 */
#ifndef HAT_EXECD_NONCE_H
#define HAT_EXECD_NONCE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define EXEC_NONCE_AHEAD_MS_DEFAULT 10000u

struct exec_nonce {
	char path[PATH_MAX];
	uint64_t last;      /* last nonce issued (or mark - 1 after open) */
	uint64_t mark;      /* persisted high-water mark: every issued nonce < mark */
	uint64_t ahead_ms;  /* how far past the issued nonce a new mark is written */
	uint64_t persists;  /* marks written since open */
	uint64_t bumps;     /* nonces issued above now_ms (same ms or clock behind) */
};

/* Opens the nonce file at path (borrowed; copied). A missing file starts from 0 (the file is
 * created on the first exec_nonce_next). ahead_ms 0 means EXEC_NONCE_AHEAD_MS_DEFAULT.
 * Returns 0; HAT_E_PARSE if the file exists but is not "hat-nonce 1 <mark>\n" (err:
 * "<path>: expected \"hat-nonce 1 <mark>\""); -ENAMETOOLONG; or a negative errno from
 * open/read (err names the call and path). */
int exec_nonce_open(struct exec_nonce *n, const char *path, uint64_t ahead_ms, char *err,
		    size_t errlen);

/* Issues the next nonce into *out: max(now_ms, last + 1), persisting a new mark first when
 * needed (see above). Returns 0, or a negative errno from open/write/fsync/rename (err names
 * the call and path); on error no nonce is issued (n is unchanged) and the caller must not
 * send anything. */
int exec_nonce_next(struct exec_nonce *n, uint64_t now_ms, uint64_t *out, char *err,
		    size_t errlen);

/* Nothing to flush (marks are written ahead); provided for symmetry. Safe to call twice. */
void exec_nonce_close(struct exec_nonce *n);

#endif
