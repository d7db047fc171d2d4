/* hl/sign.c -- connectionId, EIP-712 digests, secp256k1 signing and recovery. */
#include "hl/sign.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sodium.h>

#include "common/err.h"
#include "hl/keccak.h"

/* secp256k1 group order n and n/2, big-endian. */
static const uint8_t CURVE_N[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};
static const uint8_t CURVE_HALF_N[32] = {
	0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
};

static bool is_zero32(const uint8_t a[32])
{
	uint8_t acc = 0;
	for (int i = 0; i < 32; i++)
		acc |= a[i];
	return acc == 0;
}

/* ------------------------------------------------------------------ keys */

static void address_of_pubkey(const secp256k1_context *ctx, const secp256k1_pubkey *pk,
			      uint8_t addr[HL_ADDR_LEN])
{
	uint8_t ser[65], h[32];
	size_t len = sizeof ser;
	secp256k1_ec_pubkey_serialize(ctx, ser, &len, pk, SECP256K1_EC_UNCOMPRESSED);
	/* The address hashes X||Y without the 0x04 prefix byte. */
	hl_keccak256(ser + 1, 64, h);
	memcpy(addr, h + 12, HL_ADDR_LEN);
}

int hl_signer_init(struct hl_signer *s, const uint8_t key[32])
{
	memset(s, 0, sizeof *s);
	if (!secp256k1_ec_seckey_verify(secp256k1_context_static, key))
		return -EINVAL;
	secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (!ctx)
		return -ENOMEM;
	/* Blinding against side channels; the seed comes from the OS CSPRNG. */
	uint8_t seed[32];
	if (sodium_init() < 0) {
		secp256k1_context_destroy(ctx);
		return -ENOMEM;
	}
	randombytes_buf(seed, sizeof seed);
	int ok = secp256k1_context_randomize(ctx, seed);
	sodium_memzero(seed, sizeof seed);
	secp256k1_pubkey pk;
	if (!ok || !secp256k1_ec_pubkey_create(ctx, &pk, key)) {
		secp256k1_context_destroy(ctx);
		return -EINVAL;
	}
	s->ctx = ctx;
	memcpy(s->key, key, 32);
	address_of_pubkey(ctx, &pk, s->address);
	return 0;
}

void hl_signer_deinit(struct hl_signer *s)
{
	if (s->ctx)
		secp256k1_context_destroy(s->ctx);
	sodium_memzero(s, sizeof *s);
}

int hl_key_parse(const char *text, uint8_t key[32], char *err, size_t errlen)
{
	char why[128];
	/* Parse into a local so a bad key never half-overwrites key; the error text never quotes
	 * the input. */
	uint8_t tmp[32];
	int rc = hl_hex_decode_exact(text, strlen(text), tmp, 32, "key", why, sizeof why);
	if (rc) {
		snprintf(err, errlen, "%s", why);
		sodium_memzero(tmp, sizeof tmp);
		return rc;
	}
	if (!secp256k1_ec_seckey_verify(secp256k1_context_static, tmp)) {
		snprintf(err, errlen, "key: not a valid secp256k1 private key (zero or >= n)");
		sodium_memzero(tmp, sizeof tmp);
		return HAT_E_PARSE;
	}
	memcpy(key, tmp, 32);
	sodium_memzero(tmp, sizeof tmp);
	return 0;
}

/* ------------------------------------------------------------------ signatures */

int hl_sign_digest(const struct hl_signer *s, const uint8_t digest[32], struct hl_sig *out)
{
	secp256k1_ecdsa_recoverable_signature rs;
	uint8_t compact[64];
	int recid = 0;
	/* NULL noncefp = RFC 6979 (HMAC-SHA256), as eth_account does: the vectors are exact. */
	if (!secp256k1_ecdsa_sign_recoverable(s->ctx, &rs, digest, s->key, NULL, NULL))
		return HAT_E_SIGNATURE;
	secp256k1_ecdsa_recoverable_signature_serialize_compact(s->ctx, compact, &recid, &rs);
	memcpy(out->r, compact, 32);
	memcpy(out->s, compact + 32, 32);
	out->v = (uint8_t)(27 + recid);
	return 0;
}

int hl_recover_address(const uint8_t digest[32], const struct hl_sig *sig,
		       uint8_t addr[HL_ADDR_LEN], char *err, size_t errlen)
{
	const secp256k1_context *ctx = secp256k1_context_static;
	if (sig->v != 27 && sig->v != 28) {
		snprintf(err, errlen, "signature: v must be 27 or 28 (got %u)", sig->v);
		return HAT_E_SIGNATURE;
	}
	if (is_zero32(sig->r) || memcmp(sig->r, CURVE_N, 32) >= 0) {
		snprintf(err, errlen, "signature: r is zero or not below the curve order");
		return HAT_E_SIGNATURE;
	}
	if (is_zero32(sig->s) || memcmp(sig->s, CURVE_N, 32) >= 0) {
		snprintf(err, errlen, "signature: s is zero or not below the curve order");
		return HAT_E_SIGNATURE;
	}
	if (memcmp(sig->s, CURVE_HALF_N, 32) > 0) {
		snprintf(err, errlen, "signature: s is above n/2 (high-s signatures are rejected)");
		return HAT_E_SIGNATURE;
	}
	uint8_t compact[64];
	memcpy(compact, sig->r, 32);
	memcpy(compact + 32, sig->s, 32);
	secp256k1_ecdsa_recoverable_signature rs;
	secp256k1_pubkey pk;
	if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, compact, sig->v - 27)) {
		snprintf(err, errlen, "signature: r/s could not be parsed");
		return HAT_E_SIGNATURE;
	}
	if (!secp256k1_ecdsa_recover(ctx, &pk, &rs, digest)) {
		snprintf(err, errlen, "signature: no public key recovers from (digest, r, s, v)");
		return HAT_E_SIGNATURE;
	}
	address_of_pubkey(ctx, &pk, addr);
	return 0;
}

void hl_sig_to_json(const struct hl_sig *sig, char out[HL_SIG_JSON_LEN])
{
	char r[HL_HASH_STRLEN], s[HL_HASH_STRLEN];
	hl_hex_encode(sig->r, 32, r);
	hl_hex_encode(sig->s, 32, s);
	snprintf(out, HL_SIG_JSON_LEN, "{\"r\":\"%s\",\"s\":\"%s\",\"v\":%u}", r, s, sig->v);
}

int hl_sig_parse(const char *r, const char *s, long long v, struct hl_sig *out, char *err,
		 size_t errlen)
{
	struct hl_sig tmp;
	int rc = hl_hex_decode_u256(r, strlen(r), tmp.r, "signature.r", err, errlen);
	if (rc)
		return rc;
	if ((rc = hl_hex_decode_u256(s, strlen(s), tmp.s, "signature.s", err, errlen)))
		return rc;
	if (v != 27 && v != 28) {
		snprintf(err, errlen, "signature.v: must be 27 or 28 (got %lld)", v);
		return HAT_E_PARSE;
	}
	tmp.v = (uint8_t)v;
	*out = tmp;
	return 0;
}

/* ------------------------------------------------------------------ EIP-712 */

static void put_u64_be(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* A uint256 word holding a uint64. */
static void word_u64(uint8_t w[32], uint64_t v)
{
	memset(w, 0, 24);
	put_u64_be(w + 24, v);
}

static void hash_str(const char *s, uint8_t out[32]) { hl_keccak256(s, strlen(s), out); }

void hl_eip712_domain(const char *name, uint64_t chain_id, uint8_t out[32])
{
	/* keccak256("EIP712Domain(string name,string version,uint256 chainId,address
	 * verifyingContract)"), name hash, version hash, chainId, zero address. */
	uint8_t buf[5 * 32];
	hash_str("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
		 buf);
	hash_str(name, buf + 32);
	hash_str("1", buf + 64);
	word_u64(buf + 96, chain_id);
	memset(buf + 128, 0, 32);
	hl_keccak256(buf, sizeof buf, out);
}

void hl_eip712_digest(const uint8_t domain[32], const uint8_t struct_hash[32], uint8_t out[32])
{
	uint8_t buf[2 + 64];
	buf[0] = 0x19;
	buf[1] = 0x01;
	memcpy(buf + 2, domain, 32);
	memcpy(buf + 34, struct_hash, 32);
	hl_keccak256(buf, sizeof buf, out);
}

/* ------------------------------------------------------------------ L1 */

void hl_l1_connection_id(const uint8_t *mp, size_t mp_len, const struct hl_l1_meta *m,
			 uint8_t out[32])
{
	struct hl_keccak k;
	uint8_t tail[8 + 1 + HL_ADDR_LEN + 1 + 8];
	size_t n = 0;
	put_u64_be(tail, m->nonce);
	n = 8;
	if (m->vault) {
		tail[n++] = 0x01;
		memcpy(tail + n, m->vault, HL_ADDR_LEN);
		n += HL_ADDR_LEN;
	} else {
		tail[n++] = 0x00;
	}
	if (m->has_expires_after) {
		tail[n++] = 0x00;
		put_u64_be(tail + n, m->expires_after);
		n += 8;
	}
	hl_keccak_init(&k);
	hl_keccak_update(&k, mp, mp_len);
	hl_keccak_update(&k, tail, n);
	hl_keccak_final(&k, out);
}

/* domainSeparator of {"Exchange", "1", 1337, 0x0}: computed by hl_eip712_domain("Exchange",
 * 1337) and checked against the protocol note (5.4) by the tests. */
static const uint8_t EXCHANGE_DOMAIN[32] = {
	0xd7, 0x92, 0x97, 0xfc, 0xdf, 0x2f, 0xfc, 0xd4, 0xae, 0x22, 0x3d, 0x01, 0xed, 0xaa, 0x2b, 0xa2,
	0x14, 0xff, 0x8f, 0x40, 0x1d, 0x7c, 0x93, 0x00, 0xd9, 0x95, 0xd1, 0x7c, 0x82, 0xaa, 0x40, 0x40,
};
/* keccak256("Agent(string source,bytes32 connectionId)") */
static const uint8_t AGENT_TYPEHASH[32] = {
	0x26, 0xf0, 0x5c, 0x2f, 0x72, 0x39, 0xb6, 0x98, 0x30, 0x75, 0xe5, 0x83, 0x21, 0x29, 0x2d, 0x77,
	0xb3, 0xaa, 0x17, 0x3d, 0x19, 0xb2, 0x72, 0x57, 0xac, 0x96, 0xab, 0x36, 0x25, 0x70, 0xf5, 0x08,
};

/* keccak256("a") and keccak256("b"): the phantom agent's source, mainnet and testnet. Kept as
 * constants to save one permutation per signature; the mainnet and testnet vectors check them. */
static const uint8_t SOURCE_HASH[2][32] = {
	{0x3a, 0xc2, 0x25, 0x16, 0x8d, 0xf5, 0x42, 0x12, 0xa2, 0x5c, 0x1c, 0x01, 0xfd, 0x35, 0xbe, 0xbf,
	 0xea, 0x40, 0x8f, 0xda, 0xc2, 0xe3, 0x1d, 0xdd, 0x6f, 0x80, 0xa4, 0xbb, 0xf9, 0xa5, 0xf1, 0xcb},
	{0xb5, 0x55, 0x3d, 0xe3, 0x15, 0xe0, 0xed, 0xf5, 0x04, 0xd9, 0x15, 0x0a, 0xf8, 0x2d, 0xaf, 0xa5,
	 0xc4, 0x66, 0x7f, 0xa6, 0x18, 0xed, 0x0a, 0x6f, 0x19, 0xc6, 0x9b, 0x41, 0x16, 0x6c, 0x55, 0x10},
};

void hl_l1_digest(const uint8_t connection_id[32], bool testnet, uint8_t out[32])
{
	uint8_t buf[96], sh[32];
	memcpy(buf, AGENT_TYPEHASH, 32);
	memcpy(buf + 32, SOURCE_HASH[testnet ? 1 : 0], 32);
	memcpy(buf + 64, connection_id, 32);
	hl_keccak256(buf, sizeof buf, sh);
	hl_eip712_digest(EXCHANGE_DOMAIN, sh, out);
}

int hl_sign_l1(const struct hl_signer *s, const uint8_t *mp, size_t mp_len,
	       const struct hl_l1_meta *m, uint8_t connection_id[32], struct hl_sig *out)
{
	uint8_t cid[32], digest[32];
	hl_l1_connection_id(mp, mp_len, m, cid);
	hl_l1_digest(cid, m->testnet, digest);
	if (connection_id)
		memcpy(connection_id, cid, 32);
	return hl_sign_digest(s, digest, out);
}

/* ------------------------------------------------------------------ user-signed */

static const char *const USER_TYPES[] = {
	[HL_USER_USD_SEND] = "HyperliquidTransaction:UsdSend(string hyperliquidChain,string "
			     "destination,string amount,uint64 time)",
	[HL_USER_WITHDRAW] = "HyperliquidTransaction:Withdraw(string hyperliquidChain,string "
			     "destination,string amount,uint64 time)",
	[HL_USER_USD_CLASS_TRANSFER] = "HyperliquidTransaction:UsdClassTransfer(string "
				       "hyperliquidChain,string amount,bool toPerp,uint64 nonce)",
	[HL_USER_APPROVE_AGENT] = "HyperliquidTransaction:ApproveAgent(string hyperliquidChain,"
				  "address agentAddress,string agentName,uint64 nonce)",
};

static const char *const USER_NAMES[] = {
	[HL_USER_USD_SEND] = "usdSend",
	[HL_USER_WITHDRAW] = "withdraw3",
	[HL_USER_USD_CLASS_TRANSFER] = "usdClassTransfer",
	[HL_USER_APPROVE_AGENT] = "approveAgent",
};

const char *hl_user_kind_name(enum hl_user_kind k)
{
	return (unsigned)k < sizeof USER_NAMES / sizeof USER_NAMES[0] ? USER_NAMES[k] : "unknown";
}

void hl_user_struct_hash(const struct hl_user_action *a, uint8_t out[32])
{
	uint8_t buf[5 * 32];
	size_t n = 0;
	hash_str(USER_TYPES[a->kind], buf);
	hash_str(a->mainnet ? "Mainnet" : "Testnet", buf + 32);
	n = 64;
	switch (a->kind) {
	case HL_USER_USD_SEND:
	case HL_USER_WITHDRAW:
		hash_str(a->destination ? a->destination : "", buf + n);
		hash_str(a->amount ? a->amount : "", buf + n + 32);
		word_u64(buf + n + 64, a->time);
		n += 96;
		break;
	case HL_USER_USD_CLASS_TRANSFER:
		hash_str(a->amount ? a->amount : "", buf + n);
		word_u64(buf + n + 32, a->to_perp ? 1 : 0);
		word_u64(buf + n + 64, a->time);
		n += 96;
		break;
	case HL_USER_APPROVE_AGENT:
		memset(buf + n, 0, 12);
		memcpy(buf + n + 12, a->agent_address, HL_ADDR_LEN);
		hash_str(a->agent_name ? a->agent_name : "", buf + n + 32);
		word_u64(buf + n + 64, a->time);
		n += 96;
		break;
	}
	hl_keccak256(buf, n, out);
}

void hl_user_digest(const struct hl_user_action *a, uint8_t out[32])
{
	uint8_t dom[32], sh[32];
	hl_eip712_domain("HyperliquidSignTransaction", a->chain_id, dom);
	hl_user_struct_hash(a, sh);
	hl_eip712_digest(dom, sh, out);
}
