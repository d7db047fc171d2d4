/* tools/hatctl/cmd_data.h -- `hatctl data ...`: journals and audit trails on disk.
 *
 *   hatctl data ls [DIR|FILE]                  journals in DIR (default var/journal), or one
 *                                              file: time
 *                                              range, records, size, cold (zstd) or warm
 *   hatctl data export FILE --csv [--out DIR]  feed journal -> books.csv, trades.csv, mids.csv
 *   hatctl data export FILE --audit --csv [--mids MIDS.csv] [--sample-ms N] [--out DIR]
 *                                              execd audit -> fills, orders, rejects, pnl .csv
 *   hatctl data compact DIR [--max-age-days N] [--max-bytes N[K|M|G]] [--level N] [--all]
 *                                              compress rotated journals, apply retention
 *
 * Works on files only (no superd needed). Progress goes to stderr: a bar on a terminal, plain
 * lines otherwise. Exit codes: 0 ok, 1 a bad input (the message names the file and byte
 * offset or line), 2 usage.
 */
#ifndef HAT_TOOLS_HATCTL_CMD_DATA_H
#define HAT_TOOLS_HATCTL_CMD_DATA_H

/* argv[0] is "data". Returns the process exit code. */
int hatctl_data(int argc, char **argv);

#endif
