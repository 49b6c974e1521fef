/*
 * pkt.h - DNS message header, question and EDNS parsing (RFC 1035 4.1).
 *
 * dns_pkt_parse() validates a whole query: header, exactly one question,
 * every resource record of the other sections (names may be compressed;
 * RDATA is skipped), at most one OPT record, owned by the root and only in
 * the additional section.  The result borrows nothing from the message: the
 * question name is copied (as sent and lower-cased) and other sections are
 * described by offsets into the message the caller keeps.
 */
#ifndef DD_DNS_PKT_H
#define DD_DNS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dname.h"

#define DNS_HDR_LEN 12

/* Header flag bits (second 16-bit word of the header). */
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_AD 0x0020
#define DNS_FLAG_CD 0x0010
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)
#define DNS_RCODE(flags)  ((flags) & 0xf)
#define DNS_FLAGS_OPCODE(op)    ((uint16_t)(((op) & 0xf) << 11)) /* the opcode's header bits */
#define DNS_FLAGS_OPCODE_MASK   DNS_FLAGS_OPCODE(0xf)
#define DNS_FLAGS_RCODE(rcode)  ((uint16_t)((rcode) & 0xf))      /* its low 4 bits (RFC 6891 6.1.3) */
/* The flags word of a message in msg (at least DNS_HDR_LEN bytes). */
#define DNS_HDR_FLAGS(msg) ((uint16_t)((unsigned)(msg)[2] << 8 | (msg)[3]))
#define DNS_HDR_ANCOUNT(msg) ((uint16_t)((unsigned)(msg)[6] << 8 | (msg)[7]))

#define DNS_OPCODE_QUERY  0
#define DNS_OPCODE_IQUERY 1 /* obsolete, RFC 3425 */
#define DNS_OPCODE_STATUS 2
#define DNS_OPCODE_NOTIFY 4 /* RFC 1996 */
#define DNS_OPCODE_UPDATE 5 /* RFC 2136 */
#define DNS_OPCODE_DSO    6 /* RFC 8490 */

#define DNS_RCODE_NOERROR  0
#define DNS_RCODE_FORMERR  1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP   4
#define DNS_RCODE_REFUSED  5
#define DNS_RCODE_YXDOMAIN 6 /* RFC 2136 2.2: a name exists that should not */
#define DNS_RCODE_YXRRSET  7 /* RFC 2136 2.2: an RRset exists that should not */
#define DNS_RCODE_NXRRSET  8 /* RFC 2136 2.2: an RRset that should exist does not */
#define DNS_RCODE_NOTAUTH  9
#define DNS_RCODE_NOTZONE  10 /* RFC 2136 2.2: a name outside the zone section's zone */
#define DNS_RCODE_BADVERS  16 /* extended, RFC 6891 9 */

/* Parsed OPT pseudo-record (RFC 6891 6.1.2). */
struct dns_edns {
	uint16_t udp_size;  /* as sent (the CLASS field) */
	uint8_t ext_rcode;  /* upper 8 bits of the 12-bit rcode */
	uint8_t version;
	bool do_bit;        /* DNSSEC OK (RFC 3225) */
	uint16_t z;         /* remaining flag bits */
	size_t opts_off;    /* offset of the options (RDATA) in the message */
	uint16_t opts_len;
	size_t cookie_off;  /* the COOKIE option's data (dns/cookie.h), valid when cookie_len */
	uint8_t cookie_len; /* 0: none; else 8 or 16..40 (a malformed one is FORMERR) */
};

struct dns_pkt {
	uint16_t id;
	uint16_t flags;
	uint16_t qdcount, ancount, nscount, arcount;
	bool has_question;  /* the question parsed (even if a later part did not) */
	bool has_edns;
	uint8_t qname_len;
	uint8_t qlabels;    /* labels of qname, root excluded */
	uint16_t qtype, qclass;
	uint8_t qname[DNS_DNAME_MAX];  /* uncompressed, letter case as sent */
	uint8_t lname[DNS_DNAME_MAX];  /* the same, lower case */
	uint8_t label_off[DNS_LABELS_MAX + 1]; /* label i starts at qname + label_off[i] */
	size_t question_end; /* offset just past the question */
	size_t an_off, ns_off, ar_off; /* section starts */
	size_t opt_off;     /* OPT RR start, valid when has_edns */
	size_t tsig_off;    /* last additional RR start if it is a TSIG, else 0 */
	size_t end;         /* end of the last record (== message length) */
	struct dns_edns edns;
};

/*
 * Parses msg[0..len) into p (which need not be initialised; large name
 * buffers are written only as far as needed).  Returns
 *   0            a well-formed query or request (any opcode),
 *   DD_EINVAL    drop it: shorter than a header, or QR set (a response),
 *   DD_EFORMERR  malformed: p->id, p->flags and the counts are valid, and
 *                the question too when p->has_question.
 */
int dns_pkt_parse(struct dns_pkt *p, const uint8_t *msg, size_t len);

/*
 * Skips one resource record at *pos (name, fixed fields, RDATA); fills
 * type/class/ttl/rdlen when non-NULL and sets *rdata_off.  Returns 0 or
 * DD_EFORMERR.
 */
int dns_pkt_skip_rr(const uint8_t *msg, size_t len, size_t *pos, uint16_t *type,
		    uint16_t *rclass, uint32_t *ttl, uint16_t *rdlen, size_t *rdata_off);

/* --- edns.c -------------------------------------------------------------- */

/*
 * Fills e from an OPT record's CLASS, TTL and RDATA (msg offset, length)
 * and checks that the options are well-formed {code, length, data}
 * triples, and that a COOKIE option (at most one) has a length RFC 7873
 * 5.2.2 allows.  Unknown options are accepted and ignored.  Returns 0 or
 * DD_EFORMERR.
 */
int dns_edns_parse(struct dns_edns *e, const uint8_t *msg, uint16_t rclass, uint32_t ttl,
		   size_t rdata_off, uint16_t rdlen);

/* Wire size of the OPT record dns_edns_build writes. */
#define DNS_EDNS_OPT_LEN 11

/*
 * Writes an OPT RR without options at out (>= DNS_EDNS_OPT_LEN bytes):
 * root owner, our UDP size, the upper rcode bits, version 0, DO copied.
 * Returns DNS_EDNS_OPT_LEN.
 */
size_t dns_edns_build(uint8_t *out, uint16_t udp_size, uint8_t ext_rcode, bool do_bit);
/* The same with a COOKIE option of cookie_len bytes (cookie_len 0: none);
 * out holds DNS_EDNS_OPT_LEN + 4 + cookie_len bytes.  Returns that. */
size_t dns_edns_build_cookie(uint8_t *out, uint16_t udp_size, uint8_t ext_rcode, bool do_bit,
			     const uint8_t *cookie, size_t cookie_len);

#endif
