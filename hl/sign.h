/* hl/sign.h -- Hyperliquid signing: the L1 action hash (connectionId), the EIP-712 digests of
 * both schemes (phantom agent for L1 actions, HyperliquidSignTransaction for user-signed
 * actions), secp256k1 recoverable signatures and signer recovery.
 * Reference: ../shared/docs/hyperliquid-protocol.md section 5.
 *
 * Process rules: only execd (and the hl-sign tool) ever hold a private key, in a struct
 * hl_signer; the key is never printed or logged, and hl_signer_deinit() wipes it. Recovery
 * (hl_recover_address) needs no key and no context: hlsim uses it to authenticate requests.
 * Everything here is I/O-free. A struct hl_signer is used by one thread at a time; the free
 * functions are thread-safe.
 */
#ifndef HAT_HL_SIGN_H
#define HAT_HL_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hl/hex.h"

struct secp256k1_context_struct;

/* A recoverable secp256k1 signature in the exchange's form. */
struct hl_sig {
	uint8_t r[32]; /* big-endian */
	uint8_t s[32]; /* big-endian, always <= n/2 (low-s) when made by hl_sign_digest */
	uint8_t v;     /* 27 or 28 (27 + recovery id) */
};

/* The holder of one private key. Caller-allocated; fields are private. */
struct hl_signer {
	struct secp256k1_context_struct *ctx; /* owned: created and randomized at init */
	uint8_t key[32];                      /* the secret; wiped by deinit; never print */
	uint8_t address[HL_ADDR_LEN];         /* derived at init */
};

/* ------------------------------------------------------------------ keys and signatures */

/* Creates the secp256k1 context (randomized with 32 bytes from the OS CSPRNG, libsodium),
 * checks key (a 32-byte big-endian scalar, borrowed for the call, copied into s) and derives
 * the address. Returns 0; -EINVAL if key is 0 or >= the curve order (s is then left
 * deinitialized and wiped); -ENOMEM if the context could not be created. */
int hl_signer_init(struct hl_signer *s, const uint8_t key[32]);
/* Destroys the context and wipes the key (sodium_memzero). Safe on a zeroed struct. */
void hl_signer_deinit(struct hl_signer *s);
/* The signer's address (20 bytes inside s; valid until deinit). */
static inline const uint8_t *hl_signer_address(const struct hl_signer *s) { return s->address; }

/* Parses a private key "0x" + 64 hex digits (either case) into key. Returns 0 or HAT_E_PARSE
 * with err naming the problem (never echoing the key text). */
int hl_key_parse(const char *text, uint8_t key[32], char *err, size_t errlen);

/* Signs a 32-byte digest with RFC 6979 deterministic nonces (libsecp256k1's default) and
 * low-s (libsecp256k1 always produces low-s). s must have been initialized by
 * hl_signer_init(). Returns 0, or HAT_E_SIGNATURE if libsecp256k1 failed (practically
 * impossible for a valid key). */
int hl_sign_digest(const struct hl_signer *s, const uint8_t digest[32], struct hl_sig *out);

/* Recovers the signer's address from (digest, sig). Rejects v not in {27, 28}, r or s zero
 * or >= n, and s > n/2 (high-s, as the exchange does). Returns 0, or HAT_E_SIGNATURE with err
 * saying which check failed. Thread-safe; uses libsecp256k1's static context. */
int hl_recover_address(const uint8_t digest[32], const struct hl_sig *sig,
		       uint8_t addr[HL_ADDR_LEN], char *err, size_t errlen);

/* Writes sig as JSON text {"r":"0x<64 hex>","s":"0x<64 hex>","v":27} (padded) into out
 * (room for HL_SIG_JSON_LEN bytes). */
#define HL_SIG_JSON_LEN 160
void hl_sig_to_json(const struct hl_sig *sig, char out[HL_SIG_JSON_LEN]);
/* Builds a signature from its text parts: r and s "0x" + 1..64 hex digits (unpadded accepted),
 * v an integer. Returns 0 or HAT_E_PARSE with err naming the field (v must be 27 or 28). */
int hl_sig_parse(const char *r, const char *s, long long v, struct hl_sig *out, char *err,
		 size_t errlen);

/* ------------------------------------------------------------------ L1 actions (5.2, 5.4) */

/* What besides the action goes into an L1 hash. */
struct hl_l1_meta {
	uint64_t nonce;          /* ms timestamp nonce */
	const uint8_t *vault;    /* 20-byte vault/sub-account address, or NULL (borrowed) */
	bool has_expires_after;  /* expiresAfter present? */
	uint64_t expires_after;  /* ms, used only when has_expires_after */
	bool testnet;            /* phantom agent source "b" instead of "a" */
};

/* connectionId = keccak256(msgpack || nonce BE8 || 0x00 | 0x01 vault || [0x00 expiresAfter BE8]).
 * mp (msgpack of the action, borrowed) is hashed as given. */
void hl_l1_connection_id(const uint8_t *mp, size_t mp_len, const struct hl_l1_meta *m,
			 uint8_t out[32]);
/* The EIP-712 digest of the phantom agent {source: testnet ? "b" : "a", connectionId}
 * under the domain {"Exchange", "1", 1337, 0x0}. */
void hl_l1_digest(const uint8_t connection_id[32], bool testnet, uint8_t out[32]);
/* connection id + digest + signature in one call. connection_id may be NULL.
 * Returns hl_sign_digest()'s result. */
int hl_sign_l1(const struct hl_signer *s, const uint8_t *mp, size_t mp_len,
	       const struct hl_l1_meta *m, uint8_t connection_id[32], struct hl_sig *out);

/* ------------------------------------------------------------------ EIP-712 pieces (5.4, 5.6) */

/* domainSeparator of {name, version "1", chainId, verifyingContract 0x0}. */
void hl_eip712_domain(const char *name, uint64_t chain_id, uint8_t out[32]);
/* keccak256(0x19 0x01 || domain || struct_hash). */
void hl_eip712_digest(const uint8_t domain[32], const uint8_t struct_hash[32], uint8_t out[32]);

/* ------------------------------------------------------------------ user-signed actions (5.6) */

enum hl_user_kind {
	HL_USER_USD_SEND,           /* "usdSend": HyperliquidTransaction:UsdSend */
	HL_USER_WITHDRAW,           /* "withdraw3": HyperliquidTransaction:Withdraw */
	HL_USER_USD_CLASS_TRANSFER, /* "usdClassTransfer": HyperliquidTransaction:UsdClassTransfer */
	HL_USER_APPROVE_AGENT,      /* "approveAgent": HyperliquidTransaction:ApproveAgent */
};

/* The typed fields of a user-signed action. Strings are borrowed for the call and hashed
 * exactly as given (e.g. "1" and "1.0" differ, as on the exchange). */
struct hl_user_action {
	enum hl_user_kind kind;
	uint64_t chain_id;          /* from signatureChainId, e.g. 0x66eee */
	bool mainnet;               /* hyperliquidChain "Mainnet" (true) or "Testnet" */
	const char *destination;    /* usdSend, withdraw3: lowercase 0x address as a string */
	const char *amount;         /* usdSend, withdraw3, usdClassTransfer: decimal string */
	uint64_t time;              /* usdSend, withdraw3: "time"; the others: "nonce" */
	bool to_perp;               /* usdClassTransfer */
	uint8_t agent_address[HL_ADDR_LEN]; /* approveAgent */
	const char *agent_name;     /* approveAgent; NULL means "" */
};

/* structHash of the action's primary type. */
void hl_user_struct_hash(const struct hl_user_action *a, uint8_t out[32]);
/* The digest to sign: domain {"HyperliquidSignTransaction", "1", chain_id, 0x0}. */
void hl_user_digest(const struct hl_user_action *a, uint8_t out[32]);
/* The action's "type" text ("usdSend", "withdraw3", ...). */
const char *hl_user_kind_name(enum hl_user_kind k);

#endif
