/* pkt.c - DNS message header, question and EDNS parsing (RFC 1035 4.1). */
#include "dns/pkt.h"

#include "daemon/dd.h"
#include "dns/dname.h"
#include "dns/rdata.h"
#include "dns/wire.h"

int
dns_pkt_skip_rr(const uint8_t *msg, size_t len, size_t *pos, uint16_t *type, uint16_t *rclass,
		uint32_t *ttl, uint16_t *rdlen, size_t *rdata_off)
{
	uint8_t name[DNS_DNAME_MAX];
	size_t nlen;
	struct dns_wire_rd r;

	if (dns_dname_parse(msg, len, pos, name, &nlen, NULL) < 0)
		return DD_EFORMERR;
	dns_wire_rd_init(&r, msg, len);
	dns_wire_rd_seek(&r, *pos);
	uint16_t t = dns_wire_read_u16(&r);
	uint16_t c = dns_wire_read_u16(&r);
	uint32_t tl = dns_wire_read_u32(&r);
	uint16_t rl = dns_wire_read_u16(&r);
	size_t off = r.pos;
	dns_wire_rd_skip(&r, rl);
	if (r.err)
		return DD_EFORMERR;
	if (type)
		*type = t;
	if (rclass)
		*rclass = c;
	if (ttl)
		*ttl = tl;
	if (rdlen)
		*rdlen = rl;
	if (rdata_off)
		*rdata_off = off;
	/* the owner is needed only for OPT, whose owner must be the root */
	if (t == DNS_TYPE_OPT && nlen != 1)
		return DD_EFORMERR;
	*pos = r.pos;
	return 0;
}

static int
parse_question(struct dns_pkt *p, const uint8_t *msg, size_t len)
{
	size_t pos = DNS_HDR_LEN, nlen;
	int nl = dns_dname_parse(msg, len, &pos, p->qname, &nlen, p->label_off);

	if (nl < 0 || len - pos < 4)
		return DD_EFORMERR;
	p->qname_len = (uint8_t)nlen;
	p->qlabels = (uint8_t)nl;
	dns_dname_lower(p->lname, p->qname, nlen);
	p->qtype = dns_wire_get_u16(msg + pos);
	p->qclass = dns_wire_get_u16(msg + pos + 2);
	p->question_end = pos + 4;
	p->has_question = true;
	return 0;
}

static int
parse_section(struct dns_pkt *p, const uint8_t *msg, size_t len, size_t *pos, unsigned count,
	      bool additional)
{
	for (unsigned i = 0; i < count; i++) {
		size_t start = *pos, rdoff;
		uint16_t type, rclass, rdlen;
		uint32_t ttl;

		if (dns_pkt_skip_rr(msg, len, pos, &type, &rclass, &ttl, &rdlen, &rdoff) < 0)
			return DD_EFORMERR;
		if (type == DNS_TYPE_OPT) {
			/* RFC 6891 6.1.1: one OPT at most, in the additional section only */
			if (!additional || p->has_edns)
				return DD_EFORMERR;
			if (dns_edns_parse(&p->edns, msg, rclass, ttl, rdoff, rdlen) < 0)
				return DD_EFORMERR;
			p->has_edns = true;
			p->opt_off = start;
		}
		/* RFC 8945 5.1: a TSIG must be the last record */
		if (p->tsig_off)
			return DD_EFORMERR;
		if (type == DNS_TYPE_TSIG) {
			if (!additional || i + 1 != count)
				return DD_EFORMERR;
			p->tsig_off = start;
		}
	}
	return 0;
}

int
dns_pkt_parse(struct dns_pkt *p, const uint8_t *msg, size_t len)
{
	size_t pos;

	p->has_question = false;
	p->has_edns = false;
	p->tsig_off = 0;
	if (len < DNS_HDR_LEN)
		return DD_EINVAL;
	p->id = dns_wire_get_u16(msg);
	p->flags = dns_wire_get_u16(msg + 2);
	p->qdcount = dns_wire_get_u16(msg + 4);
	p->ancount = dns_wire_get_u16(msg + 6);
	p->nscount = dns_wire_get_u16(msg + 8);
	p->arcount = dns_wire_get_u16(msg + 10);
	if (p->flags & DNS_FLAG_QR)
		return DD_EINVAL;
	/* every opcode we know uses exactly one question (or zone) entry */
	if (p->qdcount != 1 || parse_question(p, msg, len) < 0)
		return DD_EFORMERR;
	pos = p->question_end;
	p->an_off = pos;
	if (parse_section(p, msg, len, &pos, p->ancount, false) < 0)
		return DD_EFORMERR;
	p->ns_off = pos;
	if (parse_section(p, msg, len, &pos, p->nscount, false) < 0)
		return DD_EFORMERR;
	p->ar_off = pos;
	if (parse_section(p, msg, len, &pos, p->arcount, true) < 0)
		return DD_EFORMERR;
	p->end = pos;
	/* bytes after the last record: the counts lie or the packet is garbage */
	if (pos != len)
		return DD_EFORMERR;
	return 0;
}
