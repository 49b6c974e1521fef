/*
 * msg.h - building whole DNS messages record by record (zone transfers,
 * UPDATE and NOTIFY replies, requests the daemon sends).  Names are written
 * uncompressed; nothing is allocated.
 */
#ifndef DD_DNS_MSG_H
#define DD_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shm_soa;

struct dns_msgb {
	uint8_t *buf;
	size_t limit;       /* bytes the message may use */
	size_t len;
	uint16_t count[4];  /* QD AN NS AR */
};

/* Section indexes for dns_msgb_rr. */
#define DNS_SEC_QD 0
#define DNS_SEC_AN 1
#define DNS_SEC_NS 2
#define DNS_SEC_AR 3

/*
 * Starts a message in buf (limit bytes, >= 12): id, flags (QR, opcode, AA,
 * rcode ...) and, when qname is non-NULL, one question.  Returns 0 or
 * DD_ENOSPC.
 */
int dns_msgb_init(struct dns_msgb *m, uint8_t *buf, size_t limit, uint16_t id, uint16_t flags,
		  const uint8_t *qname, size_t qname_len, uint16_t qtype, uint16_t qclass);

/* Appends one RR to section sec; DD_ENOSPC (nothing written) when it does not fit. */
int dns_msgb_rr(struct dns_msgb *m, int sec, const uint8_t *owner, size_t owner_len,
		uint16_t type, uint16_t rclass, uint32_t ttl, const uint8_t *rdata, size_t rdlen);

/* Writes the section counts into the header; returns the message length. */
size_t dns_msgb_finish(struct dns_msgb *m);

/* SOA RDATA of soa with the given serial into out (>= 2 * 255 + 20 bytes); returns its length. */
size_t dns_soa_rdata(const struct shm_soa *soa, uint32_t serial, uint8_t *out);

/* RFC 1982 3.1: half the serial space; a serial this far from another is neither before nor after it. */
#define DNS_SERIAL_HALF 0x80000000u

/*
 * RFC 1982 3.2 serial arithmetic: is a later than b?  a is later when it
 * lies less than 2^31 ahead of b modulo 2^32.  Exactly 2^31 apart is
 * undefined by the RFC, and is treated as "not later" both ways.
 */
static inline bool
dns_serial_gt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < DNS_SERIAL_HALF;
}

/*
 * The serial a zone at cur moves to when a serial want comes from outside
 * (a zone file's SOA): want when it is later than cur, else cur + 1 (RFC
 * 1982 3.1: modulo 2^32), so the zone's serial only ever moves forwards and
 * secondaries keep following it.
 */
static inline uint32_t
dns_serial_raise(uint32_t cur, uint32_t want)
{
	return dns_serial_gt(want, cur) ? want : cur + 1u;
}

#endif
