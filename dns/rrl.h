/*
 * rrl.h - response-rate limiting (NSD/Knot/BIND semantics): which client
 * prefix and which answer a UDP reply counts against.  Pure: the shared
 * counters are shm/rrl.h's; dns/answer.c asks both.
 *
 * A reply counts against (client prefix, class, name): the prefix is the
 * source address cut to dns.rrl.ipv4_prefix / ipv6_prefix bits; the class
 * tells answers, NODATA, NXDOMAIN and errors apart; the name is the one
 * asked for answers and NODATA, but the zone for NXDOMAIN and for answers a
 * wildcard made (so a random-subdomain flood counts as one), and empty for
 * errors (REFUSED, FORMERR, NOTIMP, SERVFAIL).
 */
#ifndef DD_DNS_RRL_H
#define DD_DNS_RRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* A CIDR exempt from limiting, parsed. */
struct dns_rrl_net {
	uint8_t v6;   /* 0: IPv4 (a[0..3]), 1: IPv6 */
	uint8_t bits; /* prefix length */
	uint8_t a[16];
};

/* dns.rrl, parsed (daemon/config_check.c). */
struct dns_rrl_cfg {
	uint32_t rate;   /* responses per second per key; 0: off */
	uint32_t slip;   /* every slip-th limited reply truncated; 0: none */
	uint8_t v4_bits, v6_bits;
	struct dns_rrl_net *exempt;
	size_t nexempt;
};

/* Reply classes of a key. */
enum dns_rrl_class {
	DNS_RRL_ANSWER = 1,
	DNS_RRL_NODATA,
	DNS_RRL_NXDOMAIN,
	DNS_RRL_WILDCARD,
	DNS_RRL_ERROR,
};

/*
 * The key of a reply of class cls about name (lower-case wire; may be empty
 * for DNS_RRL_ERROR) to client, into out (SHM_RRL_KEY_MAX bytes).  Returns
 * its length, or 0 when the client is not limited (exempt, not IP).
 */
size_t dns_rrl_key(const struct dns_rrl_cfg *c, const struct sockaddr *client,
		   enum dns_rrl_class cls, const uint8_t *name, size_t name_len, uint8_t *out);

#endif
