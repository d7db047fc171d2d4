/* tools/report/export.h -- streaming CSV export of feed journals and execd audit trails (the
 * core of `hatctl data export`; the command line is tools/hatctl/cmd_data.c).
 *
 * Journal export (rpt_export_journal): every FEED_REC_FRAME of a feed journal (plain or .zst,
 * common/journal_zst.h) goes through hl/parse_ws, the parser feedd runs live, and becomes
 *   books.csv   coin,exch_time,recv_time,level,bid_px,bid_sz,ask_px,ask_sz   (one row per level;
 *               exch_time ms, recv_time ns; an absent side's fields are empty)
 *   trades.csv  coin,time,side,px,sz,tid,recv_time       (time ms, side B = buy aggressor, A)
 *   mids.csv    time_ms,coin,mid,recv_time,source        (source book|bbo|allMids; book/bbo
 *               rows use the exchange time, allMids the receive time)
 * Prices and sizes are written exactly (1e-8 fixed point as decimal). Memory is constant: one
 * record at a time. On a truncated or corrupt journal every good record before the bad one is
 * exported, the files are complete up to it, and the call returns the reader's code with err
 * naming the bad record's byte offset.
 *
 * Audit export (rpt_export_audit): the JSON lines of execd's audit trail (execd/audit.h; the
 * fields this reader needs are listed in tools/report/README.md) become
 *   fills.csv   time_ms,coin,side,px,sz,fee,oid,tid,crossed,cloid,closed_pnl  (deduplicated by
 *               tid, in time order)
 *   orders.csv  time_ms,action,coin,side,px,sz,cloid,oid,status,reason,nonce
 *   rejects.csv time_ms,coin,cloid,reason
 *   pnl.csv     time_ms,realized,unrealized,fees,equity  (every sample_ms from the first to the
 *               last event, marked at the last fill price of each coin; with a mids.csv from
 *               its first to its last mid (and any fill outside), marked at the mids)
 * Fills are held in memory until the end (for dedup and order); everything else streams.
 *
 * Both are I/O adapters over files named by the caller; no globals; single-threaded.
 */
#ifndef HAT_TOOLS_REPORT_EXPORT_H
#define HAT_TOOLS_REPORT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

/* Progress callback: done and total are bytes of the input file on disk. */
typedef void (*rpt_progress_fn)(void *user, uint64_t done, uint64_t total);

struct rpt_journal_stats {
	uint64_t records, frames, books, book_rows, trades, mids, parse_errors, other;
	uint64_t first_ts_ns, last_ts_ns;   /* of the records read */
	uint64_t bad_offset;                 /* offset of the bad record when the call failed */
};

/* Exports journal into out_dir (existing; the three files are replaced). progress may be NULL.
 * Returns 0; the reader's codes for a bad journal (HAT_E_TRUNCATED, HAT_E_CRC, HAT_E_BADMAGIC,
 * ...: err names the path and offset, st->bad_offset set, the files hold every good record);
 * a negative errno for an output file (err names it). Frames that do not parse are counted in
 * parse_errors and skipped (they were skipped live too). */
int rpt_export_journal(const char *journal, const char *out_dir, rpt_progress_fn progress,
		       void *user, struct rpt_journal_stats *st, char *err, size_t errlen);

struct rpt_audit_stats {
	uint64_t lines, requests, responses, events, orders, cancels, fills, dup_fills, rejects;
	uint64_t unanswered, pnl_rows, bad_lines;
};

/* Exports the audit file into out_dir. mids_csv (may be NULL) is a mids.csv from a journal
 * export, used to mark positions. sample_ms > 0 (1000 for the report's 1 s sampling).
 * Returns 0; HAT_E_PARSE for a line that is not an audit line or whose body is malformed
 * (err "<path>:<line>: ..."; the files hold everything before it); a negative errno for a
 * file (err names it); -EINVAL for sample_ms <= 0. */
int rpt_export_audit(const char *audit, const char *mids_csv, const char *out_dir,
		     int64_t sample_ms, rpt_progress_fn progress, void *user,
		     struct rpt_audit_stats *st, char *err, size_t errlen);

#endif
