/* rr.c - one RR of a message section, as stored text (see rr.h). */
#include "dns/rr.h"

#include <stdbool.h>

#include "daemon/dd.h"
#include "dns/pkt.h"
#include "dns/rdata.h"

int
dns_rr_read(const uint8_t *msg, size_t len, size_t *pos, struct dns_rr *r)
{
	size_t p0 = *pos;

	if (dns_dname_parse(msg, len, &p0, r->owner, &r->owner_len, NULL) < 0)
		return DD_EFORMERR;
	dns_dname_lower(r->owner, r->owner, r->owner_len);
	if (dns_pkt_skip_rr(msg, len, pos, &r->type, &r->rclass, &r->ttl, &r->rdlen, &r->rd) < 0)
		return DD_EFORMERR;
	if (dns_dname_to_str(r->owner, r->owner_len, r->name, sizeof(r->name), false) < 0)
		return DD_EFORMERR;
	return 0;
}

int
dns_rr_text(const uint8_t *msg, size_t len, const struct dns_rr *r, char *out, size_t outsz)
{
	if (r->type == DNS_TYPE_CNAME || r->type == DNS_TYPE_NS) {
		uint8_t nm[DNS_DNAME_MAX];
		size_t nl, pos = r->rd;
		if (dns_dname_parse(msg, len, &pos, nm, &nl, NULL) < 0 || pos != r->rd + r->rdlen)
			return DD_EFORMERR;
		dns_dname_lower(nm, nm, nl);
		return dns_dname_to_str(nm, nl, out, outsz, false);
	}
	return dns_rdata_to_text(r->type, msg + r->rd, r->rdlen, out, outsz);
}
