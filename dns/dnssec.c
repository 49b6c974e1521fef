/*
 * dnssec.c - DNSSEC wire forms: DNSKEY/DS/NSEC/NSEC3 RDATA, key tags, type
 * bitmaps, the NSEC3 hash, base32hex and the data an RRSIG covers.
 *
 * The NSEC3 hash runs per query (denial of existence), so it uses
 * OpenSSL's low-level SHA-1 on a stack context: OpenSSL 3 deprecates
 * SHA1_Init and friends in favour of EVP, but EVP_MD_CTX_new() allocates
 * on every use.  OPENSSL_SUPPRESS_DEPRECATED keeps the deprecation
 * attribute (a warning, so an error here) off the declarations.
 */
#include "dns/dnssec.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <sodium.h>

#include "daemon/dd.h"
#include "dns/dname.h"
#include "dns/rdata.h"
#include "dns/wire.h"

#define BITMAP_WINDOW_BYTES 32 /* 256 types per window block (RFC 4034 4.1.2) */
#define B32_BITS            5
#define RR_FIXED            10 /* type, class, TTL, RDLENGTH */
#define WILDCARD_LABEL      "\001*"
#define DNSKEY_ALG_OFF      3 /* after flags and protocol (RFC 4034 2.1) */

/* Returns the usable size of an output buffer, so that a length always fits an int. */
static size_t
int_cap(size_t outsz)
{
	return outsz > INT_MAX ? INT_MAX : outsz;
}

/* Maps a finished write cursor to the int result: its length, or its error. */
static int
wr_result(const struct dns_wire_wr *w)
{
	return w->err ? w->err : (int)w->pos;
}

/* True if name is a valid uncompressed wire name of exactly len bytes. */
static bool
is_wire_name(const uint8_t *name, size_t len)
{
	return name && len > 0 && dns_dname_wire_len(name, len) == (int)len;
}

size_t
dnssec_dnskey_rdata(uint16_t flags, uint8_t alg, const uint8_t *pub, size_t publen, uint8_t *out,
                    size_t outsz)
{
	struct dns_wire_wr w;

	if ((!pub && publen) || !out)
		return 0;
	dns_wire_wr_init(&w, out, outsz);
	dns_wire_write_u16(&w, flags);
	dns_wire_write_u8(&w, DNSKEY_PROTOCOL);
	dns_wire_write_u8(&w, alg);
	dns_wire_write_bytes(&w, pub, publen);
	return w.err ? 0 : w.pos;
}

uint16_t
dnssec_keytag(const uint8_t *rdata, size_t rdlen)
{
	uint32_t ac = 0;

	if (!rdata || rdlen < DNSKEY_RDATA_HEAD)
		return 0;
	/* RFC 4034 appendix B: the RDATA as 16-bit big-endian words, carries folded once */
	for (size_t i = 0; i < rdlen; i++)
		ac += (i & 1) ? rdata[i] : (uint32_t)rdata[i] << 8;
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)(ac & 0xffff);
}

int
dnssec_ds_rdata(const uint8_t *owner, size_t owner_len, const uint8_t *dnskey, size_t dnskey_len,
                uint8_t *out, size_t outsz)
{
	crypto_hash_sha256_state st;
	uint8_t lname[DNS_DNAME_MAX];

	if (!is_wire_name(owner, owner_len) || !dnskey || dnskey_len < DNSKEY_RDATA_HEAD)
		return DD_EINVAL;
	if (!out || outsz < DS_RDATA_SHA256_LEN)
		return DD_ENOSPC;
	/* RFC 4034 5.1.4: digest = H(canonical owner name | DNSKEY RDATA) */
	dns_dname_lower(lname, owner, owner_len);
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, lname, owner_len);
	crypto_hash_sha256_update(&st, dnskey, dnskey_len);
	dns_wire_put_u16(out, dnssec_keytag(dnskey, dnskey_len));
	out[2] = dnskey[DNSKEY_ALG_OFF];
	out[3] = DS_DIGEST_SHA256;
	crypto_hash_sha256_final(&st, out + DS_RDATA_HEAD);
	return DS_RDATA_SHA256_LEN;
}

void
dnssec_nsec3_hash(const uint8_t *lname, size_t len, const uint8_t *salt, size_t saltlen,
                  unsigned iterations, uint8_t out[NSEC3_HASH_LEN])
{
	SHA_CTX c;

	/* RFC 5155 5: IH(salt, x, 0) = H(x | salt); IH(salt, x, k) = H(IH(salt, x, k-1) | salt) */
	SHA1_Init(&c);
	SHA1_Update(&c, lname, len);
	SHA1_Update(&c, salt, saltlen);
	SHA1_Final(out, &c);
	for (unsigned i = 0; i < iterations; i++) {
		SHA1_Init(&c);
		SHA1_Update(&c, out, NSEC3_HASH_LEN);
		SHA1_Update(&c, salt, saltlen);
		SHA1_Final(out, &c);
	}
}

size_t
dnssec_b32hex(const uint8_t *in, size_t n, char *out)
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuv";
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0xfff; /* at most 4 + 8 bits are pending */
		bits += 8;
		while (bits >= B32_BITS) {
			bits -= B32_BITS;
			out[o++] = alphabet[(acc >> bits) & 0x1f];
		}
	}
	if (bits)
		out[o++] = alphabet[(acc << (B32_BITS - bits)) & 0x1f];
	out[o] = '\0';
	return o;
}

/* The value of one base32hex digit, either case; -1 for anything else. */
static int
b32_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'v')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'V')
		return c - 'A' + 10;
	return -1;
}

int
dnssec_b32hex_decode(const char *in, size_t len, uint8_t *out, size_t outsz)
{
	unsigned acc = 0, bits = 0;
	size_t o = 0, n = len * B32_BITS / 8;

	/* RFC 4648 6: a final quantum has 2, 4, 5 or 7 characters; 1, 3 and 6 encode no byte count */
	if ((!in && len) || len > INT_MAX || DNSSEC_B32HEX_LEN(n) != len)
		return DD_EINVAL;
	if (n > outsz || (n && !out))
		return DD_ENOSPC;
	for (size_t i = 0; i < len; i++) {
		int v = b32_value(in[i]);
		if (v < 0)
			return DD_EINVAL;
		acc = (acc << B32_BITS | (unsigned)v) & 0x1fff; /* at most 7 + 5 bits are pending */
		bits += B32_BITS;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* RFC 4648 3.5: the unused bits of the last character must be zero (one encoding only) */
	if (acc & ((1u << bits) - 1))
		return DD_EINVAL;
	return (int)o;
}

/* The smallest window above after (or any window when first) holding one of types; -1 if none. */
static int
next_window(const uint16_t *types, size_t n, int after)
{
	int best = -1;

	for (size_t i = 0; i < n; i++) {
		int win = types[i] >> 8;
		if (win > after && (best < 0 || win < best))
			best = win;
	}
	return best;
}

int
dnssec_type_bitmap(const uint16_t *types, size_t n, uint8_t *out, size_t outsz)
{
	struct dns_wire_wr w;

	if (!types && n)
		return DD_EINVAL;
	dns_wire_wr_init(&w, out, out ? int_cap(outsz) : 0);
	/* RFC 4034 4.1.2: window blocks in increasing order, each cut after its last non-zero byte */
	for (int win = next_window(types, n, -1); win >= 0; win = next_window(types, n, win)) {
		uint8_t block[BITMAP_WINDOW_BYTES] = {0};
		size_t len = 0;
		for (size_t i = 0; i < n; i++) {
			if (types[i] >> 8 != win)
				continue;
			unsigned bit = types[i] & 0xff;
			block[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
			if (bit / 8 + 1 > len)
				len = bit / 8 + 1;
		}
		dns_wire_write_u8(&w, (uint8_t)win);
		dns_wire_write_u8(&w, (uint8_t)len);
		dns_wire_write_bytes(&w, block, len);
	}
	return wr_result(&w);
}

int
dnssec_nsec3_rdata(const uint8_t next[NSEC3_HASH_LEN], const uint8_t *bitmap, size_t bmlen,
                   uint8_t *out, size_t outsz)
{
	struct dns_wire_wr w;

	if (!next || (!bitmap && bmlen))
		return DD_EINVAL;
	dns_wire_wr_init(&w, out, out ? int_cap(outsz) : 0);
	dns_wire_write_u8(&w, NSEC3_ALG_SHA1);
	dns_wire_write_u8(&w, 0);  /* flags: no opt-out */
	dns_wire_write_u16(&w, 0); /* iterations (RFC 9276 3.1) */
	dns_wire_write_u8(&w, 0);  /* salt length */
	dns_wire_write_u8(&w, NSEC3_HASH_LEN);
	dns_wire_write_bytes(&w, next, NSEC3_HASH_LEN);
	dns_wire_write_bytes(&w, bitmap, bmlen);
	return wr_result(&w);
}

int
dnssec_nsec3param_rdata(uint8_t *out, size_t outsz)
{
	struct dns_wire_wr w;

	dns_wire_wr_init(&w, out, out ? outsz : 0);
	dns_wire_write_u8(&w, NSEC3_ALG_SHA1);
	dns_wire_write_u8(&w, 0);  /* flags: must be zero in NSEC3PARAM (RFC 5155 4.1.2) */
	dns_wire_write_u16(&w, 0); /* iterations */
	dns_wire_write_u8(&w, 0);  /* salt length */
	return wr_result(&w);
}

int
dnssec_nsec_rdata(const uint8_t *next, size_t next_len, const uint8_t *bitmap, size_t bmlen,
                  uint8_t *out, size_t outsz)
{
	struct dns_wire_wr w;

	if (!is_wire_name(next, next_len) || (!bitmap && bmlen))
		return DD_EINVAL;
	dns_wire_wr_init(&w, out, out ? int_cap(outsz) : 0);
	dns_wire_write_bytes(&w, next, next_len);
	dns_wire_write_bytes(&w, bitmap, bmlen);
	return wr_result(&w);
}

/* Offsets of the labels of wire name n (root excluded), at most DNS_LABELS_MAX; -1 if malformed. */
static int
label_offsets(const uint8_t *n, size_t len, uint8_t off[DNS_LABELS_MAX + 1])
{
	size_t pos = 0;
	int k = 0;

	while (pos < len && n[pos] != 0) {
		if (n[pos] > DNS_LABEL_MAX || k == DNS_LABELS_MAX || pos + 1u + n[pos] >= len)
			return -1;
		off[k++] = (uint8_t)pos;
		pos += 1u + n[pos];
	}
	return pos + 1 == len ? k : -1;
}

int
dnssec_canon_key(const uint8_t *lname, size_t len, uint8_t *out)
{
	uint8_t off[DNS_LABELS_MAX + 1];
	int k = lname ? label_offsets(lname, len, off) : -1;
	size_t o = 0;

	if (k < 0)
		return DD_EINVAL;
	while (k-- > 0) {
		const uint8_t *l = lname + off[k];
		for (unsigned i = 1; i <= l[0]; i++) {
			if (l[i] >= 0xfe) {
				out[o++] = 0xff;
				out[o++] = (uint8_t)(l[i] - 0xfe);
			} else {
				out[o++] = (uint8_t)(l[i] + 1);
			}
		}
		out[o++] = 0;
	}
	return (int)o;
}

int
dnssec_canon_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint8_t oa[DNS_LABELS_MAX + 1], ob[DNS_LABELS_MAX + 1];
	int ka = label_offsets(a, alen, oa), kb = label_offsets(b, blen, ob);

	if (ka < 0 || kb < 0)
		return ka - kb;
	/* RFC 4034 6.1: label by label from the rightmost, as octet strings */
	while (ka > 0 && kb > 0) {
		const uint8_t *la = a + oa[--ka], *lb = b + ob[--kb];
		size_t n = la[0] < lb[0] ? la[0] : lb[0];
		int c = memcmp(la + 1, lb + 1, n);
		if (c != 0)
			return c;
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return ka - kb;
}

unsigned
dnssec_rrsig_labels(const uint8_t *lname, size_t len)
{
	unsigned labels = 0;
	size_t pos = 0;

	if (!lname)
		return 0;
	/* RFC 4034 3.1.3: the root is not counted, and neither is a leftmost wildcard label */
	if (len >= 2 && memcmp(lname, WILDCARD_LABEL, 2) == 0)
		pos = 2;
	/* each label must leave room for at least the root label after it */
	while (pos < len && lname[pos] != 0 && lname[pos] <= DNS_LABEL_MAX &&
	       len - pos > 1 + (size_t)lname[pos]) {
		labels++;
		pos += 1 + (size_t)lname[pos];
	}
	return labels;
}

int
dnssec_rrsig_head(const struct dnssec_rrsig_fields *f, uint8_t *out, size_t outsz)
{
	struct dns_wire_wr w;

	if (!f || !is_wire_name(f->signer, f->signer_len))
		return DD_EINVAL;
	dns_wire_wr_init(&w, out, out ? int_cap(outsz) : 0);
	dns_wire_write_u16(&w, f->covered);
	dns_wire_write_u8(&w, f->alg);
	dns_wire_write_u8(&w, f->labels);
	dns_wire_write_u32(&w, f->orig_ttl);
	dns_wire_write_u32(&w, f->expiration);
	dns_wire_write_u32(&w, f->inception);
	dns_wire_write_u16(&w, f->keytag);
	/* RFC 4034 3.1.7 and 6.2: the signer's name lower case, uncompressed */
	if (dns_wire_wr_need(&w, f->signer_len)) {
		dns_dname_lower(w.base + w.pos, f->signer, f->signer_len);
		w.pos += f->signer_len;
	}
	return wr_result(&w);
}

/* One RR of the RRset being signed: its RDATA in the caller's data. */
struct rr_ref {
	const uint8_t *rdata;
	uint16_t len;
};

/*
 * RFC 4034 6.3: RDATA compared as left-justified unsigned octet strings,
 * where a missing octet sorts before a zero octet.
 */
static int
rr_cmp(const struct rr_ref *a, const struct rr_ref *b)
{
	int c = memcmp(a->rdata, b->rdata, a->len < b->len ? a->len : b->len);

	if (c)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

/*
 * Insertion sort: no allocation (glibc's qsort may malloc), and RRsets are
 * mostly a handful of RRs; DNSSEC_RRSET_MAX bounds the worst case.
 */
static void
rr_sort(struct rr_ref *rr, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct rr_ref x = rr[i];
		size_t j = i;
		while (j > 0 && rr_cmp(&rr[j - 1], &x) > 0) {
			rr[j] = rr[j - 1];
			j--;
		}
		rr[j] = x;
	}
}

/* Splits data into count RDATA references; returns 0 or DD_EINVAL if it is not exactly that. */
static int
rr_split(const uint8_t *data, size_t data_len, uint16_t count, struct rr_ref *rr)
{
	size_t pos = 0;

	for (size_t i = 0; i < count; i++) {
		uint16_t len;
		if (data_len - pos < sizeof(len))
			return DD_EINVAL;
		memcpy(&len, data + pos, sizeof(len)); /* host order, unaligned */
		pos += sizeof(len);
		if (data_len - pos < len)
			return DD_EINVAL;
		rr[i].rdata = data + pos;
		rr[i].len = len;
		pos += len;
	}
	return pos == data_len ? 0 : DD_EINVAL;
}

/* True if head is an RRSIG head (dnssec_rrsig_head) covering type with orig_ttl. */
static bool
head_matches(const uint8_t *head, size_t head_len, uint16_t type, uint32_t orig_ttl)
{
	struct dns_wire_rd r;

	if (!head || head_len <= DNSSEC_RRSIG_FIXED)
		return false;
	dns_wire_rd_init(&r, head, head_len);
	uint16_t covered = dns_wire_read_u16(&r);
	dns_wire_rd_skip(&r, 2); /* algorithm, labels */
	uint32_t ttl = dns_wire_read_u32(&r);
	return covered == type && ttl == orig_ttl &&
	       is_wire_name(head + DNSSEC_RRSIG_FIXED, head_len - DNSSEC_RRSIG_FIXED);
}

int
dnssec_sign_data(const uint8_t *head, size_t head_len, const uint8_t *owner, size_t owner_len,
                 uint16_t type, uint32_t orig_ttl, const uint8_t *data, size_t data_len,
                 uint16_t count, uint8_t *out, size_t outsz)
{
	struct rr_ref rr[DNSSEC_RRSET_MAX];
	uint8_t lname[DNS_DNAME_MAX];
	struct dns_wire_wr w;

	if (!head_matches(head, head_len, type, orig_ttl) || !is_wire_name(owner, owner_len) ||
	    count == 0 || !data)
		return DD_EINVAL;
	if (count > DNSSEC_RRSET_MAX)
		return DD_ENOSPC;
	if (rr_split(data, data_len, count, rr) < 0)
		return DD_EINVAL;
	rr_sort(rr, count);
	dns_dname_lower(lname, owner, owner_len);

	/* RFC 4034 3.1.8.1: signature = sign(RRSIG_RDATA | RR(1) | RR(2) ...) */
	dns_wire_wr_init(&w, out, out ? int_cap(outsz) : 0);
	dns_wire_write_bytes(&w, head, head_len);
	for (size_t i = 0; i < count; i++) {
		if (i > 0 && rr_cmp(&rr[i - 1], &rr[i]) == 0)
			continue; /* RFC 4034 6.3: an RRset holds no duplicates */
		dns_wire_write_bytes(&w, lname, owner_len);
		dns_wire_write_u16(&w, type);
		dns_wire_write_u16(&w, DNS_CLASS_IN);
		dns_wire_write_u32(&w, orig_ttl);
		dns_wire_write_u16(&w, rr[i].len);
		dns_wire_write_bytes(&w, rr[i].rdata, rr[i].len);
	}
	return wr_result(&w);
}

/* Writes "owner. TTL IN TYPE " at the start of out; returns its length or DD_ENOSPC. */
static int
rr_text_head(const uint8_t *owner, size_t owner_len, uint32_t ttl, const char *type, char *out,
             size_t outsz)
{
	char name[DNS_DNAME_STR_MAX];
	int n = dns_dname_to_str(owner, owner_len, name, sizeof(name), true);

	if (n < 0)
		return DD_EINVAL;
	n = snprintf(out, outsz, "%s %u IN %s ", name, (unsigned)ttl, type);
	return n < 0 || (size_t)n >= outsz ? DD_ENOSPC : n;
}

/* Appends "257 3 13 <base64>" (flags, protocol, algorithm, key); returns the total length. */
static int
dnskey_text(const uint8_t *rdata, size_t rdlen, char *out, size_t outsz, size_t pos)
{
	size_t keylen = rdlen - DNSKEY_RDATA_HEAD;
	int n = snprintf(out + pos, outsz - pos, "%u %u %u ", dns_wire_get_u16(rdata), rdata[2],
	                 rdata[3]);

	if (n < 0 || (size_t)n >= outsz - pos)
		return DD_ENOSPC;
	pos += (size_t)n;
	/* sodium_bin2base64 aborts when its output does not fit: check first */
	if (sodium_base64_ENCODED_LEN(keylen, sodium_base64_VARIANT_ORIGINAL) > outsz - pos)
		return DD_ENOSPC;
	sodium_bin2base64(out + pos, outsz - pos, rdata + DNSKEY_RDATA_HEAD, keylen,
	                  sodium_base64_VARIANT_ORIGINAL);
	return (int)(pos + strlen(out + pos));
}

/* Appends "55648 13 2 <HEX>" (key tag, algorithm, digest type, digest); returns the length. */
static int
ds_text(const uint8_t *rdata, size_t rdlen, char *out, size_t outsz, size_t pos)
{
	size_t dlen = rdlen - DS_RDATA_HEAD;
	int n = snprintf(out + pos, outsz - pos, "%u %u %u ", dns_wire_get_u16(rdata), rdata[2],
	                 rdata[3]);

	if (n < 0 || (size_t)n >= outsz - pos)
		return DD_ENOSPC;
	pos += (size_t)n;
	if (dlen * 2 + 1 > outsz - pos)
		return DD_ENOSPC;
	sodium_bin2hex(out + pos, outsz - pos, rdata + DS_RDATA_HEAD, dlen);
	for (size_t i = 0; i < dlen * 2; i++) /* the upper case of RFC 4034 5.3's example */
		out[pos + i] = (char)toupper((unsigned char)out[pos + i]);
	return (int)(pos + dlen * 2);
}

int
dnssec_rr_text(const uint8_t *owner, size_t owner_len, uint32_t ttl, uint16_t type,
               const uint8_t *rdata, size_t rdlen, char *out, size_t outsz)
{
	int n;

	if (type != DNS_TYPE_DNSKEY && type != DNS_TYPE_DS)
		return DD_ENOTIMP;
	if (!is_wire_name(owner, owner_len) || !rdata)
		return DD_EINVAL;
	/* a DNSKEY without key bytes or a DS without digest bytes says nothing */
	if (rdlen <= (type == DNS_TYPE_DNSKEY ? (size_t)DNSKEY_RDATA_HEAD : (size_t)DS_RDATA_HEAD))
		return DD_EINVAL;
	if (!out || outsz == 0)
		return DD_ENOSPC;
	outsz = int_cap(outsz);
	n = rr_text_head(owner, owner_len, ttl, type == DNS_TYPE_DNSKEY ? "DNSKEY" : "DS", out,
	                 outsz);
	if (n < 0)
		return n;
	if (type == DNS_TYPE_DNSKEY)
		return dnskey_text(rdata, rdlen, out, outsz, (size_t)n);
	return ds_text(rdata, rdlen, out, outsz, (size_t)n);
}
