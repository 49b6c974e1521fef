/* tsig.c - transaction signatures (RFC 8945) with HMAC-SHA256 and -SHA512. */
#include "dns/tsig.h"

#include <stdalign.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "daemon/dd.h"
#include "dns/dname.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "dns/wire.h"

/* RFC 8945 6: algorithm names, in wire form */
static const uint8_t alg_sha256[] = "\x0bhmac-sha256";
static const uint8_t alg_sha512[] = "\x0bhmac-sha512";
#define ALG_WIRE_LEN 13 /* label of 11 bytes, its length byte, the root */

/*
 * A TSIG RR is the owner, 10 bytes of TYPE CLASS TTL RDLENGTH, then RDATA:
 * the algorithm name, 16 bytes of Time Signed (6) Fudge MAC-Size Original-ID
 * Error Other-Len (2 each), the MAC and Other Data.
 */

struct hmac {
	int alg;
	union {
		crypto_auth_hmacsha256_state s256;
		crypto_auth_hmacsha512_state s512;
	} u;
};

_Static_assert(sizeof(((struct hmac *)0)->u) <= TSIG_HSTATE_SIZE, "TSIG_HSTATE_SIZE too small");
_Static_assert(alignof(crypto_auth_hmacsha512_state) <= alignof(uint64_t),
               "hstate alignment too weak");

/* The TSIG RR of a received message, fields in host order. */
struct tsig_rr {
	uint8_t name[DNS_DNAME_MAX]; /* owner, uncompressed, lower case */
	size_t name_len;
	uint8_t alg[DNS_DNAME_MAX]; /* algorithm name, uncompressed, lower case */
	size_t alg_len;
	uint64_t time_signed;
	uint16_t fudge, mac_len, orig_id, error, other_len;
	size_t mac_off, other_off; /* into the message */
};

/* --- algorithms and HMAC ----------------------------------------------- */

static const uint8_t *
alg_wire(int alg)
{
	return alg == TSIG_ALG_HMAC_SHA512 ? alg_sha512 : alg_sha256;
}

static size_t
alg_mac_len(int alg)
{
	return alg == TSIG_ALG_HMAC_SHA512 ? crypto_auth_hmacsha512_BYTES
	                                   : crypto_auth_hmacsha256_BYTES;
}

static int
alg_from_wire(const uint8_t *name, size_t len)
{
	if (len == ALG_WIRE_LEN && memcmp(name, alg_sha256, ALG_WIRE_LEN) == 0)
		return TSIG_ALG_HMAC_SHA256;
	if (len == ALG_WIRE_LEN && memcmp(name, alg_sha512, ALG_WIRE_LEN) == 0)
		return TSIG_ALG_HMAC_SHA512;
	return 0;
}

static void
hmac_init(struct hmac *h, const struct tsig_key *k)
{
	h->alg = k->alg;
	if (k->alg == TSIG_ALG_HMAC_SHA512)
		crypto_auth_hmacsha512_init(&h->u.s512, k->secret, k->secret_len);
	else
		crypto_auth_hmacsha256_init(&h->u.s256, k->secret, k->secret_len);
}

static void
hmac_update(struct hmac *h, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (h->alg == TSIG_ALG_HMAC_SHA512)
		crypto_auth_hmacsha512_update(&h->u.s512, p, n);
	else
		crypto_auth_hmacsha256_update(&h->u.s256, p, n);
}

/* Writes the MAC (alg_mac_len bytes) to out and wipes the state. */
static void
hmac_final(struct hmac *h, uint8_t *out)
{
	if (h->alg == TSIG_ALG_HMAC_SHA512)
		crypto_auth_hmacsha512_final(&h->u.s512, out);
	else
		crypto_auth_hmacsha256_final(&h->u.s256, out);
	sodium_memzero(&h->u, sizeof(h->u));
}

static void
hmac_update_u16(struct hmac *h, uint16_t v)
{
	uint8_t b[2];
	dns_wire_put_u16(b, v);
	hmac_update(h, b, 2);
}

/* A MAC with its 2-byte length, as the previous MAC enters a digest (RFC 8945 4.3.1). */
static void
hmac_update_mac(struct hmac *h, const uint8_t *mac, size_t len)
{
	hmac_update_u16(h, (uint16_t)len);
	hmac_update(h, mac, len);
}

/*
 * Starts the digest of a signed message: the prior MAC with its length
 * (none for a request; the request MAC for the first reply; the previous
 * MAC in a stream), or, when unsigned stream messages came since, the
 * running state that already holds it and them (RFC 8945 4.3.1, 5.3.1).
 */
static void
digest_begin(const struct tsig_ctx *ctx, const struct tsig_key *k, struct hmac *h)
{
	if (ctx->pending) {
		h->alg = k->alg;
		memcpy(&h->u, ctx->hstate.b, sizeof(h->u));
		return;
	}
	hmac_init(h, k);
	if (ctx->mac_len)
		hmac_update_mac(h, ctx->mac, ctx->mac_len);
}

/* Folds an unsigned stream message, whole, into the next signed message's digest. */
static void
stream_fold(struct tsig_ctx *ctx, const uint8_t *msg, size_t len)
{
	struct hmac h;

	digest_begin(ctx, ctx->key, &h);
	hmac_update(&h, msg, len);
	memcpy(ctx->hstate.b, &h.u, sizeof(h.u));
	sodium_memzero(&h, sizeof(h));
	ctx->pending = true;
	ctx->nunsigned++;
	ctx->nmsg++;
}

/* After a signed message: the next digest starts from its MAC. */
static void
stream_signed(struct tsig_ctx *ctx, const uint8_t *mac, size_t mac_len)
{
	memcpy(ctx->mac, mac, mac_len);
	ctx->mac_len = mac_len;
	ctx->nmsg++;
	if (ctx->pending)
		sodium_memzero(ctx->hstate.b, sizeof(ctx->hstate.b));
	ctx->pending = false;
	ctx->nunsigned = 0;
}

/*
 * The DNS message part of a digest (RFC 8945 4.3.2, 4.3.3): msg[0..end)
 * with the Original ID in the ID field and, when the TSIG RR was removed
 * from a received message, ARCOUNT one less.
 */
static void
digest_msg(struct hmac *h, const uint8_t *msg, size_t end, uint16_t orig_id, bool had_tsig)
{
	uint8_t hdr[DNS_HDR_LEN];

	memcpy(hdr, msg, DNS_HDR_LEN);
	dns_wire_put_u16(hdr, orig_id);
	if (had_tsig)
		dns_wire_put_u16(hdr + 10, (uint16_t)(dns_wire_get_u16(hdr + 10) - 1));
	hmac_update(h, hdr, DNS_HDR_LEN);
	hmac_update(h, msg + DNS_HDR_LEN, end - DNS_HDR_LEN);
}

static void
digest_timers(struct hmac *h, uint64_t t, uint16_t fudge)
{
	uint8_t b[8];
	dns_wire_put_u16(b, (uint16_t)(t >> 32));
	dns_wire_put_u16(b + 2, (uint16_t)(t >> 16));
	dns_wire_put_u16(b + 4, (uint16_t)t);
	dns_wire_put_u16(b + 6, fudge);
	hmac_update(h, b, 8);
}

/* The TSIG variables (RFC 8945 4.3.3); names in canonical (lower-case, uncompressed) form. */
struct tsig_vars {
	const uint8_t *name;
	size_t name_len;
	const uint8_t *alg;
	size_t alg_len;
	uint64_t time_signed;
	uint16_t fudge, error, other_len;
	const uint8_t *other;
};

static void
digest_vars(struct hmac *h, const struct tsig_vars *v)
{
	static const uint8_t class_ttl[6] = {0, DNS_CLASS_ANY, 0, 0, 0, 0};

	hmac_update(h, v->name, v->name_len);
	hmac_update(h, class_ttl, sizeof(class_ttl));
	hmac_update(h, v->alg, v->alg_len);
	digest_timers(h, v->time_signed, v->fudge);
	hmac_update_u16(h, v->error);
	hmac_update_u16(h, v->other_len);
	hmac_update(h, v->other, v->other_len);
}

/* The first message of an exchange digests all the variables, later ones the timers (5.3.1). */
static void
digest_end(const struct tsig_ctx *ctx, struct hmac *h, const struct tsig_vars *v, uint8_t *mac)
{
	if (ctx->nmsg == 0)
		digest_vars(h, v);
	else
		digest_timers(h, v->time_signed, v->fudge);
	hmac_final(h, mac);
}

/* --- parsing ------------------------------------------------------------- */

long
tsig_find(const uint8_t *msg, size_t len)
{
	uint8_t name[DNS_DNAME_MAX];
	size_t pos = DNS_HDR_LEN, nlen, last = 0;
	uint16_t type = 0;

	if (len < DNS_HDR_LEN)
		return DD_EFORMERR;
	unsigned qd = dns_wire_get_u16(msg + 4);
	unsigned rrs = (unsigned)dns_wire_get_u16(msg + 6) + dns_wire_get_u16(msg + 8);
	unsigned ar = dns_wire_get_u16(msg + 10);
	for (unsigned i = 0; i < qd; i++) {
		if (dns_dname_parse(msg, len, &pos, name, &nlen, NULL) < 0 || len - pos < 4)
			return DD_EFORMERR;
		pos += 4;
	}
	for (unsigned i = 0; i < rrs + ar; i++) {
		/* RFC 8945 5.1: only the last additional record may be a TSIG */
		if (type == DNS_TYPE_TSIG)
			return DD_EFORMERR;
		last = pos;
		if (dns_pkt_skip_rr(msg, len, &pos, &type, NULL, NULL, NULL, NULL) < 0)
			return DD_EFORMERR;
		if (type == DNS_TYPE_TSIG && i < rrs)
			return DD_EFORMERR;
	}
	if (pos != len)
		return DD_EFORMERR;
	return type == DNS_TYPE_TSIG ? (long)last : 0;
}

/* Reads the names and fixed fields of the TSIG RR at off; it must end the message. */
static int
tsig_rr_parse(struct tsig_rr *t, const uint8_t *msg, size_t len, size_t off)
{
	uint8_t raw[DNS_DNAME_MAX];
	struct dns_wire_rd r;
	size_t pos = off;

	if (len < DNS_HDR_LEN || off < DNS_HDR_LEN || off >= len || dns_wire_get_u16(msg + 10) == 0)
		return DD_EFORMERR;
	/* the owner may be compressed; the digest uses the canonical form (4.3.3) */
	if (dns_dname_parse(msg, len, &pos, raw, &t->name_len, NULL) < 0)
		return DD_EFORMERR;
	dns_dname_lower(t->name, raw, t->name_len);
	dns_wire_rd_init(&r, msg, len);
	dns_wire_rd_seek(&r, pos);
	uint16_t type = dns_wire_read_u16(&r);
	uint16_t rclass = dns_wire_read_u16(&r);
	uint32_t ttl = dns_wire_read_u32(&r);
	uint16_t rdlen = dns_wire_read_u16(&r);
	/* 4.2: CLASS ANY, TTL 0; 5.1: nothing after the TSIG */
	if (r.err || type != DNS_TYPE_TSIG || rclass != DNS_CLASS_ANY || ttl != 0 ||
	    rdlen != len - r.pos)
		return DD_EFORMERR;
	pos = r.pos;
	if (dns_dname_parse(msg, len, &pos, raw, &t->alg_len, NULL) < 0)
		return DD_EFORMERR;
	dns_dname_lower(t->alg, raw, t->alg_len);
	dns_wire_rd_seek(&r, pos);
	uint64_t hi = dns_wire_read_u16(&r);
	t->time_signed = hi << 32 | dns_wire_read_u32(&r);
	t->fudge = dns_wire_read_u16(&r);
	t->mac_len = dns_wire_read_u16(&r);
	t->mac_off = r.pos;
	dns_wire_rd_skip(&r, t->mac_len);
	t->orig_id = dns_wire_read_u16(&r);
	t->error = dns_wire_read_u16(&r);
	t->other_len = dns_wire_read_u16(&r);
	t->other_off = r.pos;
	dns_wire_rd_skip(&r, t->other_len);
	if (r.err || r.pos != len)
		return DD_EFORMERR;
	return 0;
}

/*
 * RFC 8945 5.2.2.1: a MAC longer than the hash, or shorter than 10 bytes
 * or half the hash, is a format error.  Anything in between is accepted:
 * our policy takes every truncation the RFC allows, so BADTRUNC is never
 * sent.
 */
static bool
mac_len_ok(size_t n, int alg)
{
	size_t full = alg_mac_len(alg);
	return n <= full && n >= 10 && n >= (full + 1) / 2;
}

static bool
time_ok(uint64_t now, uint64_t t, uint16_t fudge)
{
	return (now >= t ? now - t : t - now) <= fudge;
}

/* Computes the MAC the signed message msg, whose TSIG t starts at tsig_off, should carry. */
static void
received_mac(const struct tsig_ctx *ctx, const struct tsig_key *k, const struct tsig_rr *t,
             const uint8_t *msg, size_t tsig_off, uint8_t *out)
{
	struct tsig_vars v = {
	        .name = t->name,
	        .name_len = t->name_len,
	        .alg = t->alg,
	        .alg_len = t->alg_len,
	        .time_signed = t->time_signed,
	        .fudge = t->fudge,
	        .error = t->error,
	        .other_len = t->other_len,
	        .other = msg + t->other_off,
	};
	struct hmac h;

	digest_begin(ctx, k, &h);
	digest_msg(&h, msg, tsig_off, t->orig_id, true);
	digest_end(ctx, &h, &v, out);
}

/* --- keys ---------------------------------------------------------------- */

int
tsig_key_init(struct tsig_key *k, const char *name, const char *alg, const uint8_t *secret,
              size_t secret_len)
{
	int n;

	memset(k, 0, sizeof(*k));
	if (!name || !alg || !secret || secret_len == 0 || secret_len > sizeof(k->secret))
		return DD_EINVAL;
	n = dns_dname_from_str(name, k->name, sizeof(k->name));
	if (n < 0)
		return DD_EINVAL;
	k->name_len = (size_t)n;
	size_t al = strlen(alg);
	if (al > 0 && alg[al - 1] == '.')
		al--;
	if (al == 11 && strncasecmp(alg, "hmac-sha256", 11) == 0)
		k->alg = TSIG_ALG_HMAC_SHA256;
	else if (al == 11 && strncasecmp(alg, "hmac-sha512", 11) == 0)
		k->alg = TSIG_ALG_HMAC_SHA512;
	else
		return DD_EINVAL;
	memcpy(k->secret, secret, secret_len);
	k->secret_len = secret_len;
	return 0;
}

static const struct tsig_key *
key_find(const struct tsig_key *keys, size_t nkeys, const struct tsig_rr *t)
{
	int alg = alg_from_wire(t->alg, t->alg_len);

	for (size_t i = 0; alg && i < nkeys; i++)
		if (keys[i].alg == alg && keys[i].name_len == t->name_len &&
		    dns_dname_equal(keys[i].name, keys[i].name_len, t->name, t->name_len))
			return &keys[i];
	return NULL;
}

/* Also wipes any stream state left from an earlier exchange. */
static void
ctx_reset(struct tsig_ctx *ctx)
{
	sodium_memzero(ctx, sizeof(*ctx));
}

/* --- server side --------------------------------------------------------- */

int
tsig_verify_request(struct tsig_ctx *ctx, const struct tsig_key *keys, size_t nkeys,
                    const uint8_t *msg, size_t len, size_t tsig_off, uint64_t now)
{
	struct tsig_rr t;
	uint8_t mac[TSIG_MAC_MAX];

	ctx_reset(ctx);
	if (tsig_off == 0)
		return DD_ENOENT;
	if (tsig_rr_parse(&t, msg, len, tsig_off) < 0)
		return DD_EFORMERR;
	memcpy(ctx->key_name, t.name, t.name_len);
	ctx->key_name_len = t.name_len;
	memcpy(ctx->alg_name, t.alg, t.alg_len);
	ctx->alg_name_len = t.alg_len;
	ctx->orig_id = t.orig_id;
	ctx->time_signed = t.time_signed;
	ctx->fudge = t.fudge;
	/* RFC 8945 5.2: key, then MAC, then time */
	const struct tsig_key *k = key_find(keys, nkeys, &t);
	if (!k) {
		ctx->error = TSIG_RCODE_BADKEY;
		return TSIG_RCODE_BADKEY;
	}
	if (!mac_len_ok(t.mac_len, k->alg))
		return DD_EFORMERR;
	received_mac(ctx, k, &t, msg, tsig_off, mac);
	if (sodium_memcmp(mac, msg + t.mac_off, t.mac_len) != 0) {
		ctx->error = TSIG_RCODE_BADSIG;
		return TSIG_RCODE_BADSIG;
	}
	/* the request MAC, as received (maybe truncated), opens the reply's digest (4.3.1) */
	ctx->key = k;
	memcpy(ctx->mac, msg + t.mac_off, t.mac_len);
	ctx->mac_len = t.mac_len;
	if (!time_ok(now, t.time_signed, t.fudge)) {
		ctx->error = TSIG_RCODE_BADTIME;
		return TSIG_RCODE_BADTIME;
	}
	return 0;
}

/*
 * The variables of the TSIG we are about to write; other receives Other
 * Data.  Returns the MAC size: 0 for an unsigned error reply, or
 * DD_EINVAL when there is neither a key nor an error to report.
 */
static int
sign_vars(const struct tsig_ctx *ctx, uint64_t now, struct tsig_vars *v, uint8_t other[6])
{
	if (ctx->error == TSIG_RCODE_BADKEY || ctx->error == TSIG_RCODE_BADSIG) {
		/* 5.3.2: unsigned, under the request's names */
		*v = (struct tsig_vars){
		        .name = ctx->key_name,
		        .name_len = ctx->key_name_len,
		        .alg = ctx->alg_name,
		        .alg_len = ctx->alg_name_len,
		        .time_signed = now,
		        .fudge = ctx->fudge,
		        .error = ctx->error,
		};
		return 0;
	}
	if (!ctx->key)
		return DD_EINVAL;
	*v = (struct tsig_vars){
	        .name = ctx->key->name,
	        .name_len = ctx->key->name_len,
	        .alg = alg_wire(ctx->key->alg),
	        .alg_len = ALG_WIRE_LEN,
	        .time_signed = now,
	        .fudge = ctx->fudge,
	        .error = ctx->error,
	};
	if (ctx->error == TSIG_RCODE_BADTIME) {
		/* the request's time lets the client check our MAC; ours goes in Other Data */
		v->time_signed = ctx->time_signed;
		dns_wire_put_u16(other, (uint16_t)(now >> 32));
		dns_wire_put_u16(other + 2, (uint16_t)(now >> 16));
		dns_wire_put_u16(other + 4, (uint16_t)now);
		v->other = other;
		v->other_len = 6;
	}
	return (int)alg_mac_len(ctx->key->alg);
}

/* Writes the TSIG RR at msg + at; returns its length, or 0 if cap was too small. */
static size_t
write_rr(uint8_t *msg, size_t at, size_t cap, const struct tsig_vars *v, const uint8_t *mac,
         size_t mac_len, uint16_t orig_id)
{
	struct dns_wire_wr w;
	size_t rdlen = v->alg_len + 16 + mac_len + v->other_len;

	dns_wire_wr_init(&w, msg, cap);
	w.pos = at;
	dns_wire_write_bytes(&w, v->name, v->name_len);
	dns_wire_write_u16(&w, DNS_TYPE_TSIG);
	dns_wire_write_u16(&w, DNS_CLASS_ANY);
	dns_wire_write_u32(&w, 0);
	dns_wire_write_u16(&w, (uint16_t)rdlen);
	dns_wire_write_bytes(&w, v->alg, v->alg_len);
	dns_wire_write_u16(&w, (uint16_t)(v->time_signed >> 32));
	dns_wire_write_u32(&w, (uint32_t)v->time_signed);
	dns_wire_write_u16(&w, v->fudge);
	dns_wire_write_u16(&w, (uint16_t)mac_len);
	dns_wire_write_bytes(&w, mac, mac_len);
	dns_wire_write_u16(&w, orig_id);
	dns_wire_write_u16(&w, v->error);
	dns_wire_write_u16(&w, v->other_len);
	dns_wire_write_bytes(&w, v->other, v->other_len);
	return w.err ? 0 : w.pos - at;
}

/*
 * Signs msg[0..*len) and appends the TSIG RR; the digest is that of the
 * first message of an exchange or of a later stream message after
 * ctx->nmsg.  ctx changes only on success.
 */
static int
sign_msg(struct tsig_ctx *ctx, uint8_t *msg, size_t *len, size_t cap, uint64_t now)
{
	uint8_t mac[TSIG_MAC_MAX], other[6];
	struct tsig_vars v;
	struct hmac h;

	if (*len < DNS_HDR_LEN || *len > cap || dns_wire_get_u16(msg + 10) == 0xffff)
		return DD_EINVAL;
	int mac_len = sign_vars(ctx, now, &v, other);
	if (mac_len < 0)
		return mac_len;
	size_t need = v.name_len + 10 + v.alg_len + 16 + (size_t)mac_len + v.other_len;
	if (need > cap - *len)
		return DD_ENOSPC;
	if (mac_len > 0) {
		digest_begin(ctx, ctx->key, &h);
		digest_msg(&h, msg, *len, ctx->orig_id, false);
		digest_end(ctx, &h, &v, mac);
	}
	if (write_rr(msg, *len, cap, &v, mac, (size_t)mac_len, ctx->orig_id) != need)
		return DD_ENOSPC; /* not reached: the room was checked */
	*len += need;
	dns_wire_put_u16(msg + 10, (uint16_t)(dns_wire_get_u16(msg + 10) + 1));
	stream_signed(ctx, mac, (size_t)mac_len);
	return 0;
}

int
tsig_sign_reply(struct tsig_ctx *ctx, uint8_t *msg, size_t *len, size_t cap, uint64_t now)
{
	return sign_msg(ctx, msg, len, cap, now);
}

int
tsig_skip_reply(struct tsig_ctx *ctx, const uint8_t *msg, size_t len)
{
	/* 5.3.1: the first message is signed, then at least every 100th */
	if (!ctx->key || ctx->error || ctx->nmsg == 0 || ctx->nunsigned >= TSIG_UNSIGNED_MAX)
		return DD_EINVAL;
	stream_fold(ctx, msg, len);
	return 0;
}

/* --- client side --------------------------------------------------------- */

int
tsig_sign_request(struct tsig_ctx *ctx, const struct tsig_key *key, uint8_t *msg, size_t *len,
                  size_t cap, uint64_t now)
{
	int rc;

	ctx_reset(ctx);
	if (*len < DNS_HDR_LEN)
		return DD_EINVAL;
	ctx->key = key;
	ctx->orig_id = dns_wire_get_u16(msg);
	ctx->time_signed = now;
	ctx->fudge = TSIG_FUDGE_DEFAULT;
	rc = sign_msg(ctx, msg, len, cap, now);
	if (rc < 0)
		ctx->key = NULL;
	ctx->nmsg = 0; /* from here on it counts replies */
	return rc;
}

/* A reply without TSIG: 5.3.3 makes it a format error, but 5.3.1 lets a stream skip some. */
static int
verify_unsigned(struct tsig_ctx *ctx, const uint8_t *msg, size_t len)
{
	if (ctx->nmsg == 0)
		return DD_EFORMERR;
	if (ctx->nunsigned >= TSIG_UNSIGNED_MAX)
		return TSIG_RCODE_BADSIG;
	stream_fold(ctx, msg, len);
	return 0;
}

int
tsig_verify_reply(struct tsig_ctx *ctx, const uint8_t *msg, size_t len, uint64_t now,
                  bool *tsig_present)
{
	struct tsig_rr t;
	uint8_t mac[TSIG_MAC_MAX];

	*tsig_present = false;
	if (!ctx->key)
		return DD_EINVAL;
	long off = tsig_find(msg, len);
	if (off < 0)
		return DD_EFORMERR;
	if (off == 0)
		return verify_unsigned(ctx, msg, len);
	*tsig_present = true;
	if (tsig_rr_parse(&t, msg, len, (size_t)off) < 0)
		return DD_EFORMERR;
	ctx->error = t.error;
	if (!dns_dname_equal(t.name, t.name_len, ctx->key->name, ctx->key->name_len) ||
	    alg_from_wire(t.alg, t.alg_len) != ctx->key->alg)
		return TSIG_RCODE_BADKEY;
	if (t.mac_len == 0) /* 5.3.2: an unsigned error reply proves nothing */
		return t.error ? t.error : TSIG_RCODE_BADSIG;
	if (!mac_len_ok(t.mac_len, ctx->key->alg))
		return DD_EFORMERR;
	received_mac(ctx, ctx->key, &t, msg, (size_t)off, mac);
	if (sodium_memcmp(mac, msg + t.mac_off, t.mac_len) != 0)
		return TSIG_RCODE_BADSIG;
	if (!time_ok(now, t.time_signed, t.fudge))
		return TSIG_RCODE_BADTIME;
	stream_signed(ctx, msg + t.mac_off, t.mac_len);
	return t.error;
}
