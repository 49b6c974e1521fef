/*
 * dnssec.h - DNSSEC wire forms (RFC 4034, RFC 5155, RFC 6605, RFC 8080):
 * DNSKEY, DS, NSEC, NSEC3 and NSEC3PARAM RDATA, key tags, type bitmaps,
 * the NSEC3 hash and base32hex, and the octets an RRSIG signs.
 *
 * Pure functions over caller buffers: no sockets, no globals, no
 * allocation; no function keeps a pointer it is given.  Key material and
 * signing live in daemon/dnskey.h.  The program must have called
 * sodium_init() (the daemon does at start).
 *
 * "Wire name" means an uncompressed name as in dns/dname.h.  Names that
 * the functions hash or write into signed data are lower-cased here where
 * the RFC asks for it (RFC 4034 6.2), except where a comment says the
 * caller passes them lower case already.
 *
 * Functions returning int give a length (>= 0) or a negative code from
 * daemon/dd.h: DD_EINVAL for malformed input (a bad name, a bad length, a
 * NULL buffer with a non-zero length), DD_ENOSPC when out is too small.
 * Nothing useful is in out after a failure.
 */
#ifndef DD_DNS_DNSSEC_H
#define DD_DNS_DNSSEC_H

#include <stddef.h>
#include <stdint.h>

#include "dns/dname.h"

/* RR types (RFC 4034 7, RFC 5155 11); dns/rdata.h may define them too */
#ifndef DNS_TYPE_DS
#define DNS_TYPE_DS 43
#endif
#ifndef DNS_TYPE_RRSIG
#define DNS_TYPE_RRSIG 46
#endif
#ifndef DNS_TYPE_NSEC
#define DNS_TYPE_NSEC 47
#endif
#ifndef DNS_TYPE_DNSKEY
#define DNS_TYPE_DNSKEY 48
#endif
#ifndef DNS_TYPE_NSEC3
#define DNS_TYPE_NSEC3 50
#endif
#ifndef DNS_TYPE_NSEC3PARAM
#define DNS_TYPE_NSEC3PARAM 51
#endif

/* algorithms (RFC 6605 2, RFC 8080 5) */
#define DNSSEC_ALG_ECDSAP256SHA256 13
#define DNSSEC_ALG_ED25519         15

/* DNSKEY RDATA (RFC 4034 2.1) */
#define DNSKEY_FLAG_ZONE  0x0100
#define DNSKEY_FLAG_SEP   0x0001
#define DNSKEY_PROTOCOL   3
#define DNSKEY_RDATA_HEAD 4  /* flags, protocol, algorithm */
#define DNSSEC_PUBKEY_MAX 64 /* P-256: X || Y (RFC 6605 4); Ed25519: 32 (RFC 8080 3) */
#define DNSSEC_SIG_LEN    64 /* P-256: r || s; Ed25519: R || S */
#define DNSKEY_RDATA_MAX  (DNSKEY_RDATA_HEAD + DNSSEC_PUBKEY_MAX)

/* DS RDATA (RFC 4034 5.1, RFC 4509) */
#define DS_DIGEST_SHA256    2
#define DS_SHA256_LEN       32
#define DS_RDATA_HEAD       4 /* key tag, algorithm, digest type */
#define DS_RDATA_SHA256_LEN (DS_RDATA_HEAD + DS_SHA256_LEN)

/* NSEC3 (RFC 5155 3.1, 4.1); ddnsd uses no salt and 0 extra iterations (RFC 9276 3.1) */
#define NSEC3_ALG_SHA1       1
#define NSEC3_HASH_LEN       20
#define NSEC3_B32_LEN        32 /* base32hex of NSEC3_HASH_LEN bytes, without the NUL */
#define NSEC3_RDATA_HEAD     (6 + NSEC3_HASH_LEN) /* before the type bitmap, no salt */
#define NSEC3PARAM_RDATA_LEN 5                    /* no salt */

/* RRSIG RDATA up to the signer's name (RFC 4034 3.1) */
#define DNSSEC_RRSIG_FIXED 18

/* type bitmap (RFC 4034 4.1.2): at most 256 windows of 2 + 32 bytes */
#define DNSSEC_BITMAP_MAX (256 * 34)

/* most RRs dnssec_sign_data() takes in one RRset */
#define DNSSEC_RRSET_MAX 512

/* base32hex text length of n bytes, without padding and without the NUL */
#define DNSSEC_B32HEX_LEN(n) (((n)*8 + 4) / 5)

/*
 * DNSKEY RDATA: flags, DNSKEY_PROTOCOL, alg, then the publen bytes of pub.
 * Returns the RDATA length, or 0 if it does not fit outsz (or pub is NULL
 * with publen > 0).
 */
size_t dnssec_dnskey_rdata(uint16_t flags, uint8_t alg, const uint8_t *pub, size_t publen,
                           uint8_t *out, size_t outsz);

/*
 * The key tag of a DNSKEY RDATA (RFC 4034 appendix B).  Algorithm 1
 * (RSA/MD5, B.1) is not special-cased: ddnsd neither signs with it nor
 * prints it.  Returns 0 for rdlen < DNSKEY_RDATA_HEAD.
 */
uint16_t dnssec_keytag(const uint8_t *rdata, size_t rdlen);

/*
 * DS RDATA with digest type DS_DIGEST_SHA256 (RFC 4509 2.1) for the DNSKEY
 * RDATA dnskey at the wire name owner (lower-cased here):
 * key tag | algorithm | 2 | SHA-256(owner | DNSKEY RDATA).  Returns
 * DS_RDATA_SHA256_LEN, DD_EINVAL (owner not a wire name of owner_len
 * bytes, dnskey shorter than its head) or DD_ENOSPC.
 */
int dnssec_ds_rdata(const uint8_t *owner, size_t owner_len, const uint8_t *dnskey,
                    size_t dnskey_len, uint8_t *out, size_t outsz);

/*
 * NSEC3 hash (RFC 5155 5) with SHA-1: IH(salt, lname, iterations).  lname
 * must be the lower-case wire name (not checked: this is the per-query
 * path).  Safe to call from many threads; allocates nothing.
 */
void dnssec_nsec3_hash(const uint8_t *lname, size_t len, const uint8_t *salt, size_t saltlen,
                       unsigned iterations, uint8_t out[NSEC3_HASH_LEN]);

/*
 * Lower-case base32hex (RFC 4648 7) of n bytes without padding, as NSEC3
 * owner labels use it (RFC 5155 3.3).  out must hold
 * DNSSEC_B32HEX_LEN(n) + 1 bytes; it is NUL-terminated.  Returns the text
 * length.
 */
size_t dnssec_b32hex(const uint8_t *in, size_t n, char *out);

/*
 * The reverse of dnssec_b32hex, letters in either case, no padding.
 * Returns the number of bytes written, DD_EINVAL (a character outside the
 * alphabet, a length no byte count encodes to, non-zero unused bits) or
 * DD_ENOSPC.
 */
int dnssec_b32hex_decode(const char *in, size_t len, uint8_t *out, size_t outsz);

/*
 * Type bitmap (RFC 4034 4.1.2, also NSEC3's, RFC 5155 3.2.1) of the n
 * types in types, in any order, duplicates ignored.  Returns its length
 * (0 for no types; at most DNSSEC_BITMAP_MAX) or DD_ENOSPC.
 */
int dnssec_type_bitmap(const uint16_t *types, size_t n, uint8_t *out, size_t outsz);

/*
 * NSEC3 RDATA (RFC 5155 3.2): hash algorithm NSEC3_ALG_SHA1, flags 0,
 * iterations 0, no salt, hash length NSEC3_HASH_LEN, next (the raw hash of
 * the next owner, not base32hex), then the bmlen bytes of bitmap (from
 * dnssec_type_bitmap).  Returns NSEC3_RDATA_HEAD + bmlen, DD_EINVAL or
 * DD_ENOSPC.
 */
int dnssec_nsec3_rdata(const uint8_t next[NSEC3_HASH_LEN], const uint8_t *bitmap, size_t bmlen,
                       uint8_t *out, size_t outsz);

/* NSEC3PARAM RDATA "1 0 0 -" (RFC 5155 4.2).  Returns NSEC3PARAM_RDATA_LEN or DD_ENOSPC. */
int dnssec_nsec3param_rdata(uint8_t *out, size_t outsz);

/*
 * NSEC RDATA (RFC 4034 4.1): the wire name next, copied as given (RFC 6840
 * 5.1: it is not lower-cased), then the bmlen bytes of bitmap.  Returns
 * the RDATA length, DD_EINVAL (next not a wire name of next_len bytes) or
 * DD_ENOSPC.
 */
int dnssec_nsec_rdata(const uint8_t *next, size_t next_len, const uint8_t *bitmap, size_t bmlen,
                      uint8_t *out, size_t outsz);

/* Bytes of the longest canonical-order key (dnssec_canon_key) of a wire name. */
#define DNSSEC_CANON_KEY_MAX (2 * DNS_DNAME_MAX)

/*
 * A key of the lower-case wire name lname whose memcmp order (a shorter
 * key first when one is a prefix of the other, as SQLite compares BLOBs)
 * is the canonical DNS name order of RFC 4034 6.1: its labels from the
 * rightmost, each byte b as b + 1 (0xfe and 0xff as 0xff 0x00 and 0xff
 * 0x01), each label closed by 0x00.  Distinct names get distinct keys.
 * out holds DNSSEC_CANON_KEY_MAX bytes.  Returns the key length, or
 * DD_EINVAL when lname is not a wire name of len bytes.
 */
int dnssec_canon_key(const uint8_t *lname, size_t len, uint8_t *out);

/*
 * Compares two lower-case wire names in canonical order (RFC 4034 6.1):
 * negative, 0 or positive.  Names must be well formed (the table's and the
 * parser's are); allocates nothing (the per-query path).
 */
int dnssec_canon_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/*
 * The RRSIG Labels field for an owner (RFC 4034 3.1.3): its labels, not
 * counting the root nor a leftmost "*".  Stops at len bytes or at a
 * malformed label.
 */
unsigned dnssec_rrsig_labels(const uint8_t *lname, size_t len);

/* The RRSIG RDATA fields before the signature (RFC 4034 3.1); signer is borrowed. */
struct dnssec_rrsig_fields {
	uint16_t covered;
	uint8_t alg;
	uint8_t labels;
	uint32_t orig_ttl, expiration, inception;
	uint16_t keytag;
	const uint8_t *signer; /* wire name of the zone, any case */
	size_t signer_len;
};

/*
 * Writes the RRSIG RDATA up to and excluding the signature: the fixed
 * fields, then the signer's name lower-cased and uncompressed (RFC 4034
 * 3.1.7).  Returns DNSSEC_RRSIG_FIXED + signer_len, DD_EINVAL (signer not a
 * wire name of signer_len bytes) or DD_ENOSPC.
 */
int dnssec_rrsig_head(const struct dnssec_rrsig_fields *f, uint8_t *out, size_t outsz);

/*
 * The octets an RRSIG signs (RFC 4034 3.1.8.1): head (from
 * dnssec_rrsig_head), then each RR of the RRset in canonical form, in
 * canonical order (RFC 4034 6.3: by RDATA as left-justified unsigned octet
 * strings; duplicates once).  Each RR is owner (lower-cased here; for a
 * wildcard expansion the caller passes the "*." owner, RFC 4035 5.3.2),
 * type, class IN, orig_ttl, RDLENGTH, RDATA.
 *
 * data holds count RRs in the shared table's format: a host-order
 * uint16_t RDATA length (unaligned) and that many RDATA bytes, back to
 * back, with any names inside already lower case and uncompressed; its
 * data_len bytes must be exactly those RRs.  count must be 1..
 * DNSSEC_RRSET_MAX.  head must be an RRSIG head for type and orig_ttl.
 * Returns the length, DD_EINVAL (malformed head, owner or data, count 0)
 * or DD_ENOSPC (out too small, count above DNSSEC_RRSET_MAX).
 */
int dnssec_sign_data(const uint8_t *head, size_t head_len, const uint8_t *owner, size_t owner_len,
                     uint16_t type, uint32_t orig_ttl, const uint8_t *data, size_t data_len,
                     uint16_t count, uint8_t *out, size_t outsz);

/*
 * One presentation line, NUL-terminated and without a newline, for a
 * DNSKEY or DS RR (how the CLI prints trust anchors and DS records):
 *   "example.com. 3600 IN DNSKEY 257 3 13 <base64>"
 *   "example.com. 3600 IN DS 55648 13 2 <HEX>"
 * Returns the text length, DD_EINVAL (malformed owner or RDATA),
 * DD_ENOTIMP (another type) or DD_ENOSPC.
 */
int dnssec_rr_text(const uint8_t *owner, size_t owner_len, uint32_t ttl, uint16_t type,
                   const uint8_t *rdata, size_t rdlen, char *out, size_t outsz);

#endif
