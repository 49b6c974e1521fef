/*
 * update.h - RFC 2136 UPDATE: the prerequisite section (3.2) and the update
 * section (3.4) of a request, evaluated against the zone's stored data,
 * into a change set for the writer.
 *
 * Nothing here stores anything: the caller's lookup answers what the zone
 * holds, its policy says what a request may change, and it applies the
 * resulting change set itself (all of it or nothing, RFC 2136 3.4.2.1).
 * Names are presentation form, lower case, without the trailing dot
 * (dns_dname_to_str(..., false) of the lower-cased wire name); values are
 * the text of dns_rdata_to_text.
 *
 * Only A, AAAA, TXT and CNAME RRsets are updatable.  SOA and NS come from
 * the configuration: updates of them are ignored, and as prerequisites they
 * exist at the apex only.
 */
#ifndef DD_DNS_UPDATE_H
#define DD_DNS_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dns_pkt;

#define DNS_UPDATE_VALUES_MAX 64 /* values in one RRset; more is REFUSED */

/*
 * What the zone holds.  The callbacks get arg; strings they are given are
 * borrowed for the duration of the call.
 *
 * in_zone      is name in the zone being updated (the apex or below it, and
 *              not in a zone of its own below the apex)?
 * rrset        the stored values of name/type: *values is a malloc'd array
 *              of *n malloc'd strings, or NULL with *n = 0 when there are
 *              none; *ttl the RRset's TTL or -1 (the zone default).  Both
 *              are set to "none" before the call.  Whatever it returns, the
 *              array and its strings are then owned (and freed) by
 *              dns_update_eval.  Returns 0 or a negative DD_E* code (the
 *              request then gets SERVFAIL).
 * name_in_use  does any stored RRset own name?  The apex's SOA and NS are
 *              not asked for: the apex is always in use.
 */
struct dns_update_lookup {
	void *arg;
	bool (*in_zone)(void *arg, const char *name);
	int (*rrset)(void *arg, const char *name, uint16_t type, char ***values, size_t *n,
	             int64_t *ttl);
	bool (*name_in_use)(void *arg, const char *name);
};

/* May the request change the RRset name/type (one of the four updatable types)? */
struct dns_update_policy {
	void *arg;
	bool (*allowed)(void *arg, const char *name, uint16_t type);
};

/*
 * One RRset of the change set: replace the stored RRset name/type with
 * exactly these values (none: delete it).  The values keep the lookup's
 * order; additions go at the end, and a deleted value's place goes to the
 * last one.
 */
struct dns_update_rrset {
	char *name;
	uint16_t type;  /* DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_TXT or DNS_TYPE_CNAME */
	char **values;  /* nvalues strings */
	size_t nvalues; /* 0 .. DNS_UPDATE_VALUES_MAX */
	int64_t ttl;    /* the stored TTL, the TTL of the last RR added, or -1 */
};

/*
 * The change set: every RRset the update section touched, once each, in the
 * order they were first touched, changed or not.  Owns everything it points
 * to; free with dns_update_fini.
 */
struct dns_update {
	struct dns_update_rrset *sets;
	size_t nsets;
};

/*
 * Evaluates the UPDATE request msg[0..len), which p describes (a
 * dns_pkt_parse of the same bytes that returned 0), for the zone named
 * apex: the caller has checked that the zone section names that zone, that
 * the request may update it at all (signed, not a secondary zone) and that
 * the zone section's count and type are right.  lookup and policy are
 * called during the call only; u need not be initialised.
 *
 * Returns the rcode of the reply:
 *   DNS_RCODE_NOERROR   every prerequisite holds; u holds the change set
 *                       (possibly empty: only SOA/NS updates, or none)
 *   DNS_RCODE_FORMERR   a malformed record, a prerequisite with a TTL, an
 *                       RDATA where none belongs, a class or meta type out
 *                       of place (RFC 2136 3.2.1-3.2.3, 3.4.1.1, 3.4.1.2)
 *   DNS_RCODE_NOTZONE   a record's name outside the zone (3.2, 3.4.1.1)
 *   DNS_RCODE_NXDOMAIN, DNS_RCODE_YXDOMAIN, DNS_RCODE_NXRRSET,
 *   DNS_RCODE_YXRRSET   a prerequisite does not hold (3.2.1-3.2.3)
 *   DNS_RCODE_REFUSED   a type that cannot be updated, a change the policy
 *                       refuses (3.3.1), or an RRset of more than
 *                       DNS_UPDATE_VALUES_MAX values
 *   DNS_RCODE_SERVFAIL  out of memory, or the lookup failed (3.4.2.1)
 * With any rcode but NOERROR, u is empty.  Either way call dns_update_fini(u).
 */
int dns_update_eval(struct dns_update *u, const uint8_t *msg, size_t len, const struct dns_pkt *p,
                    const char *apex, const struct dns_update_lookup *lookup,
                    const struct dns_update_policy *policy);

/* Frees the change set; u is left empty (a second call does nothing). */
void dns_update_fini(struct dns_update *u);

#endif
