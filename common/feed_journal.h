/* common/feed_journal.h -- the record types of a feed journal (common/journal.h files that
 * feedd writes with --record and that feedd --replay, hlsim --replay and the report tools
 * read). One catalogue, so every reader agrees with the writer.
 *
 * The values are on disk: never renumber, only add.
 */
#ifndef HAT_COMMON_FEED_JOURNAL_H
#define HAT_COMMON_FEED_JOURNAL_H

enum feed_rec_type {
	FEED_REC_FRAME = 1, /* payload = the WebSocket frame text, ts = its receive time */
	FEED_REC_OPEN = 2,  /* payload = the URL connected to */
	FEED_REC_CLOSE = 3, /* payload = the reason the connection closed */
	FEED_REC_META = 4,  /* the /info meta response the coin table was built from */
};

/* Most trades one recorded frame may carry: feedd parses a frame's trades into a buffer of this
 * many, and every reader of a journal must be able to take what feedd took. */
#define FEED_TRADES_PER_FRAME 512

#endif
