/*
 * rr.h - one resource record of a message section, read as the writer's
 * side stores it: the owner lower-cased (wire and text), the fixed fields,
 * and the RDATA as stored presentation text.  Used by RFC 2136 UPDATE
 * (dns/update.c) and by transfers received from a primary
 * (workers/xfr_secondary.c).  Pure: no allocation.
 */
#ifndef DD_DNS_RR_H
#define DD_DNS_RR_H

#include <stddef.h>
#include <stdint.h>

#include "dns/dname.h"

struct dns_rr {
	uint8_t owner[DNS_DNAME_MAX];  /* wire form, lower case */
	size_t owner_len;
	char name[DNS_DNAME_STR_MAX];  /* the owner as text, no trailing dot */
	uint16_t type, rclass, rdlen;
	uint32_t ttl;
	size_t rd;                     /* RDATA offset in the message */
};

/*
 * Reads the RR at *pos of msg (owner names may be compressed) into r and
 * moves *pos past it.  Returns 0 or DD_EFORMERR.
 */
int dns_rr_read(const uint8_t *msg, size_t len, size_t *pos, struct dns_rr *r);

/*
 * The RDATA of r (read from msg) as stored presentation text into out.
 * Names in CNAME and NS RDATA may be compressed against the rest of the
 * message (nsupdate and other primaries do that; RFC 3597 4 allows it for
 * these well-known types), so they are read with the whole message at
 * hand.  Returns the text's length, or a negative code (DD_EFORMERR, a type
 * we cannot show, DD_ENOSPC).
 */
int dns_rr_text(const uint8_t *msg, size_t len, const struct dns_rr *r, char *out, size_t outsz);

#endif
