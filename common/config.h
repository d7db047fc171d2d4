/* common/config.h -- JSON configuration (etc/hat.json) loaded into typed C structs.
 *
 * A config file is one JSON object. Loading it is two steps:
 *   1. hat_config_doc_load() reads and parses the file (struct hat_config_doc owns the cJSON
 *      tree). A missing file names the path; bad JSON gives line and column:
 *        "etc/hat.json:12:5: invalid JSON near '}'"
 *   2. hat_config_apply() fills a caller struct from a section of the document using a
 *      table-driven schema (struct hat_cfg_field[]): key, type, offset in the struct, default,
 *      min/max, required. Unknown keys and wrong types are errors naming the full key path:
 *        "etc/hat.json: riskd.max_position_usd: expected a number, got string"
 *        "etc/hat.json: riskd.limits[1].coin: unknown key \"coinn\""
 *        "etc/hat.json: rings.md_slots: must be <= 1048576 (got 99999999)"
 *      Keys beginning with '_' are comments and ignored everywhere ("_comment": "...").
 *
 * Shared sections: hat_config_load() applies hat_config_schema (instance, venue, coins, rings,
 * paths) to struct hat_config, and checks the top level: any key other than those and the stage
 * sections (feedd, signald, riskd, execd, superd, hlsim) is an error. The shared schema does
 * not look inside stage sections (it only requires each present one to be an object).
 *
 * How a daemon validates its own section: it declares a schema for its struct and calls
 *     hat_config_apply(&doc, "riskd", riskd_schema, &cfg->risk, err, sizeof err);
 * which applies defaults for a missing section and rejects unknown keys inside it, with paths
 * such as "riskd.max_position_usd". Nested objects use HAT_CFG_OBJECT (sub-schema, offsets
 * relative to the nested struct); arrays of objects use HAT_CFG_ARRAY (element schema, element
 * stride, max items, offset of a uint32_t count); arrays of scalars use HAT_CFG_ARRAY with
 * HAT_CFG_F_SCALAR and a one-entry element schema whose key is "" and offset 0.
 *
 * Typed getters (hat_config_get_*) read one value by path ("venue.http", "riskd.limits[0].coin")
 * for tools that do not want a schema.
 *
 * A schema whose field size does not fit its type (an int member declared HAT_CFG_BOOL, an
 * enum stored in a uint8_t) is reported by hat_config_apply() as "schema error", never
 * written past.
 *
 * Not for the hot path (cJSON allocates); load at start-up, keep the typed struct.
 * Single-threaded; no globals.
 */
#ifndef HAT_COMMON_CONFIG_H
#define HAT_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/msg_types.h"

struct cJSON;

/* ---------------------------------------------------------------- documents */

struct hat_config_doc {
	struct cJSON *root; /* owned; NULL until loaded */
	char path[256];     /* file name used in messages ("etc/hat.json") */
};

/* Reads and parses path. Returns 0, -ENOENT/-EACCES/... (err: "etc/hat.json: cannot open:
 * No such file or directory"), HAT_E_PARSE (err: "<path>:<line>:<col>: invalid JSON near
 * '<text>'", or "<path>: empty file") or HAT_E_CONFIG if the top level is not an object.
 * On error doc owns nothing. */
int hat_config_doc_load(struct hat_config_doc *doc, const char *path, char *err, size_t errlen);
/* Same from memory (name is used in messages). */
int hat_config_doc_parse(struct hat_config_doc *doc, const char *name, const char *text,
			 size_t len, char *err, size_t errlen);
void hat_config_doc_free(struct hat_config_doc *doc);

/* Line and column (both 1-based) of byte offset off in text; used for parse errors. */
void hat_config_line_col(const char *text, size_t off, unsigned *line, unsigned *col);

/* ---------------------------------------------------------------- schemas */

enum hat_cfg_type {
	HAT_CFG_END = 0,   /* terminates a schema */
	HAT_CFG_BOOL,      /* bool (the member must be a bool) */
	HAT_CFG_INT,       /* signed integer of 1, 2, 4 or 8 bytes (size) */
	HAT_CFG_UINT,      /* unsigned integer of 1, 2, 4 or 8 bytes */
	HAT_CFG_DOUBLE,    /* double */
	HAT_CFG_FX,        /* int64 1e-8 fixed point; JSON number or decimal string ("0.001") */
	HAT_CFG_STRING,    /* char[size], NUL-terminated; longer strings are an error */
	HAT_CFG_ENUM,      /* string from choices[] (NULL-terminated), stored as an int index
			      (the member must be an int) */
	HAT_CFG_OBJECT,    /* nested object: sub schema, offsets relative to offset */
	HAT_CFG_ARRAY,     /* array: sub = element schema, size = element stride, max_items,
			      count_offset = offset of a uint32_t item count */
	HAT_CFG_SECTION,   /* an object this schema does not validate (a stage section): must
			      be an object if present; nothing stored */
};

enum hat_cfg_flags {
	HAT_CFG_F_REQUIRED = 1u << 0, /* missing key is an error (else the default applies) */
	HAT_CFG_F_MIN = 1u << 1,      /* imin (INT/UINT/FX) or dmin (DOUBLE) applies; for STRING
					 and ARRAY: imin = minimum length/items */
	HAT_CFG_F_MAX = 1u << 2,      /* imax / dmax applies */
	HAT_CFG_F_SCALAR = 1u << 3,   /* ARRAY of scalars: sub[0] describes the element at offset 0 */
};

struct hat_cfg_field {
	const char *key;         /* JSON key ("" for the element of a scalar array) */
	int type;                /* enum hat_cfg_type */
	unsigned flags;          /* enum hat_cfg_flags */
	size_t offset;           /* of the value in the struct being filled */
	size_t size;             /* bytes of the value (INT/UINT/STRING), element stride (ARRAY) */
	int64_t imin, imax;      /* bounds for INT/UINT/FX (FX in 1e-8 units); lengths for STRING/ARRAY */
	double dmin, dmax;       /* bounds for DOUBLE */
	int64_t idef;            /* default for BOOL/INT/UINT/FX/ENUM (index) */
	double ddef;             /* default for DOUBLE */
	const char *sdef;        /* default for STRING (NULL = "") */
	const char *const *choices;       /* ENUM: allowed strings, NULL-terminated */
	const struct hat_cfg_field *sub;  /* OBJECT/ARRAY: schema of the members/elements */
	size_t max_items;        /* ARRAY: capacity of the C array */
	size_t count_offset;     /* ARRAY: offset of the uint32_t count */
	const char *help;        /* one line for docs and `hatctl config --schema` */
};

/* Schema-building helpers. S is the struct type, F the member. Bounds are inclusive. */
#define HAT__CFG_SZ(S, F) sizeof(((S *)0)->F)
#define HAT_CFG_BOOL_F(S, F, key, def, help_) \
	{ key, HAT_CFG_BOOL, 0, offsetof(S, F), HAT__CFG_SZ(S, F), .idef = (def), .help = help_ }
#define HAT_CFG_INT_F(S, F, key, def, lo, hi, help_) \
	{ key, HAT_CFG_INT, HAT_CFG_F_MIN | HAT_CFG_F_MAX, offsetof(S, F), HAT__CFG_SZ(S, F), \
	  .imin = (lo), .imax = (hi), .idef = (def), .help = help_ }
#define HAT_CFG_UINT_F(S, F, key, def, lo, hi, help_) \
	{ key, HAT_CFG_UINT, HAT_CFG_F_MIN | HAT_CFG_F_MAX, offsetof(S, F), HAT__CFG_SZ(S, F), \
	  .imin = (lo), .imax = (hi), .idef = (def), .help = help_ }
#define HAT_CFG_DOUBLE_F(S, F, key, def, lo, hi, help_) \
	{ key, HAT_CFG_DOUBLE, HAT_CFG_F_MIN | HAT_CFG_F_MAX, offsetof(S, F), HAT__CFG_SZ(S, F), \
	  .dmin = (lo), .dmax = (hi), .ddef = (def), .help = help_ }
/* FX bounds and default are in 1e-8 units: HAT_FX_ONE * 5 for 5.0. */
#define HAT_CFG_FX_F(S, F, key, def, lo, hi, help_) \
	{ key, HAT_CFG_FX, HAT_CFG_F_MIN | HAT_CFG_F_MAX, offsetof(S, F), HAT__CFG_SZ(S, F), \
	  .imin = (lo), .imax = (hi), .idef = (def), .help = help_ }
/* String of at least minlen bytes, stored in char F[N]. */
#define HAT_CFG_STRING_F(S, F, key, def, minlen, help_) \
	{ key, HAT_CFG_STRING, HAT_CFG_F_MIN, offsetof(S, F), HAT__CFG_SZ(S, F), \
	  .imin = (minlen), .sdef = (def), .help = help_ }
#define HAT_CFG_ENUM_F(S, F, key, def, choices_, help_) \
	{ key, HAT_CFG_ENUM, 0, offsetof(S, F), HAT__CFG_SZ(S, F), .idef = (def), \
	  .choices = (choices_), .help = help_ }
#define HAT_CFG_OBJECT_F(S, F, key, schema, help_) \
	{ key, HAT_CFG_OBJECT, 0, offsetof(S, F), HAT__CFG_SZ(S, F), .sub = (schema), .help = help_ }
/* Array of objects stored in ElemType F[N] with count in uint32_t CNT. */
#define HAT_CFG_ARRAY_F(S, F, CNT, key, schema, minitems, help_) \
	{ key, HAT_CFG_ARRAY, HAT_CFG_F_MIN, offsetof(S, F), sizeof(((S *)0)->F[0]), \
	  .imin = (minitems), .sub = (schema), \
	  .max_items = sizeof(((S *)0)->F) / sizeof(((S *)0)->F[0]), \
	  .count_offset = offsetof(S, CNT), .help = help_ }
/* Array of scalars: elem is a one-entry schema (plus END) describing one element at offset 0. */
#define HAT_CFG_SCALARS_F(S, F, CNT, key, elem, minitems, help_) \
	{ key, HAT_CFG_ARRAY, HAT_CFG_F_MIN | HAT_CFG_F_SCALAR, offsetof(S, F), \
	  sizeof(((S *)0)->F[0]), .imin = (minitems), .sub = (elem), \
	  .max_items = sizeof(((S *)0)->F) / sizeof(((S *)0)->F[0]), \
	  .count_offset = offsetof(S, CNT), .help = help_ }
#define HAT_CFG_SECTION_F(key, help_) { key, HAT_CFG_SECTION, 0, 0, 0, .help = help_ }
#define HAT_CFG_END_F { NULL, HAT_CFG_END, 0, 0, 0 }

/* Writes every default of schema into out (nested objects too; arrays get count 0). */
void hat_config_defaults(const struct hat_cfg_field *schema, void *out);

/* Fills out from the object at section (a dot path: NULL or "" = the whole document,
 * "riskd", "execd.http"). Defaults first, then each present key, checking type and range;
 * unknown keys (except "_..." comments) are errors. A missing section leaves the defaults
 * (and fails only if the schema has required keys). err: "<file>: <key path>: <problem>".
 * Returns 0 or HAT_E_CONFIG. out may be partly written on error. */
int hat_config_apply(const struct hat_config_doc *doc, const char *section,
		     const struct hat_cfg_field *schema, void *out, char *err, size_t errlen);

/* ---------------------------------------------------------------- typed getters */

/* Each looks up path ("venue.http", "riskd.limits[0].coin") and converts. Returns 0,
 * -ENOENT if absent (err: "<file>: <path>: missing"), or HAT_E_CONFIG on a wrong type or a
 * value that does not fit (err names the path). out is untouched on error. */
int hat_config_get_bool(const struct hat_config_doc *doc, const char *path, bool *out,
			char *err, size_t errlen);
int hat_config_get_int(const struct hat_config_doc *doc, const char *path, int64_t *out,
		       char *err, size_t errlen);
int hat_config_get_double(const struct hat_config_doc *doc, const char *path, double *out,
			  char *err, size_t errlen);
int hat_config_get_fx(const struct hat_config_doc *doc, const char *path, int64_t *out,
		      char *err, size_t errlen);
/* Copies the string into buf (len bytes); HAT_E_CONFIG if it does not fit. */
int hat_config_get_str(const struct hat_config_doc *doc, const char *path, char *buf, size_t len,
		       char *err, size_t errlen);
/* Node at path, or NULL (for callers that want raw cJSON). Borrowed from doc. */
const struct cJSON *hat_config_node(const struct hat_config_doc *doc, const char *path);

/* ---------------------------------------------------------------- shared sections */

#define HAT_CONFIG_MAX_COINS 32
#define HAT_CONFIG_NAME_LEN 32
#define HAT_CONFIG_URL_LEN 256
#define HAT_CONFIG_PATH_LEN 256

enum hat_venue_kind { HAT_VENUE_HLSIM = 0, HAT_VENUE_HYPERLIQUID = 1 };
enum hat_network { HAT_NET_TESTNET = 0, HAT_NET_MAINNET = 1 };

struct hat_config_venue {
	int kind;                       /* enum hat_venue_kind: "hlsim" | "hyperliquid" */
	int network;                    /* enum hat_network: "testnet" | "mainnet" */
	char http[HAT_CONFIG_URL_LEN];  /* base URL of /info and /exchange */
	char ws[HAT_CONFIG_URL_LEN];    /* WebSocket URL */
};

struct hat_config_rings {            /* slot counts, powers of two */
	uint32_t md;
	uint32_t intent;
	uint32_t order;
	uint32_t exec;
	uint32_t position;
	uint32_t cmd;
};

struct hat_config_paths {
	char log_dir[HAT_CONFIG_PATH_LEN];
	char run_dir[HAT_CONFIG_PATH_LEN];      /* pid files, control socket */
	char journal_dir[HAT_CONFIG_PATH_LEN];
};

struct hat_config {
	char instance[HAT_CONFIG_NAME_LEN];     /* shm names are /hat.<instance>.<name> */
	struct hat_config_venue venue;
	char coins[HAT_CONFIG_MAX_COINS][HAT_COIN_LEN];
	uint32_t n_coins;
	struct hat_config_rings rings;
	struct hat_config_paths paths;
};

/* Schema of the shared sections (and the allowed top-level keys). */
extern const struct hat_cfg_field hat_config_schema[];

/* Loads path into doc (kept for the stage's own section) and applies hat_config_schema to cfg.
 * Beyond the schema: ring slot counts must be powers of two, instance must be [A-Za-z0-9_-]+,
 * coins must be distinct. Returns 0, an errno from opening, HAT_E_PARSE or HAT_E_CONFIG (err
 * says which file and key). On error doc owns nothing. */
int hat_config_load(struct hat_config *cfg, struct hat_config_doc *doc, const char *path,
		    char *err, size_t errlen);
/* Same as hat_config_load() on an already parsed document. */
int hat_config_apply_shared(struct hat_config *cfg, const struct hat_config_doc *doc,
			    char *err, size_t errlen);

/* Index of coin in cfg->coins, or -ENOENT. */
int hat_config_coin_index(const struct hat_config *cfg, const char *coin);

#endif
