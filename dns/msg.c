/* msg.c - DNS message builder (see msg.h). */
#include "dns/msg.h"

#include <string.h>

#include "daemon/dd.h"
#include "dns/pkt.h"
#include "dns/wire.h"
#include "shm/table.h"

int
dns_msgb_init(struct dns_msgb *m, uint8_t *buf, size_t limit, uint16_t id, uint16_t flags,
	      const uint8_t *qname, size_t qname_len, uint16_t qtype, uint16_t qclass)
{
	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->limit = limit;
	if (limit < DNS_HDR_LEN)
		return DD_ENOSPC;
	memset(buf, 0, DNS_HDR_LEN);
	dns_wire_put_u16(buf, id);
	dns_wire_put_u16(buf + 2, flags);
	m->len = DNS_HDR_LEN;
	if (qname == NULL)
		return 0;
	if (m->len + qname_len + 4 > limit)
		return DD_ENOSPC;
	memcpy(buf + m->len, qname, qname_len);
	m->len += qname_len;
	dns_wire_put_u16(buf + m->len, qtype);
	dns_wire_put_u16(buf + m->len + 2, qclass);
	m->len += 4;
	m->count[DNS_SEC_QD] = 1;
	return 0;
}

int
dns_msgb_rr(struct dns_msgb *m, int sec, const uint8_t *owner, size_t owner_len, uint16_t type,
	    uint16_t rclass, uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	size_t need = owner_len + 10 + rdlen;
	uint8_t *p;

	if (sec < 0 || sec > 3 || rdlen > 65535 || need > m->limit - m->len ||
	    m->count[sec] == UINT16_MAX)
		return DD_ENOSPC;
	p = m->buf + m->len;
	memcpy(p, owner, owner_len);
	p += owner_len;
	dns_wire_put_u16(p, type);
	dns_wire_put_u16(p + 2, rclass);
	dns_wire_put_u32(p + 4, ttl);
	dns_wire_put_u16(p + 8, (uint16_t)rdlen);
	if (rdlen)
		memcpy(p + 10, rdata, rdlen);
	m->len += need;
	m->count[sec]++;
	return 0;
}

size_t
dns_msgb_finish(struct dns_msgb *m)
{
	for (int i = 0; i < 4; i++)
		dns_wire_put_u16(m->buf + 4 + 2 * i, m->count[i]);
	return m->len;
}

size_t
dns_soa_rdata(const struct shm_soa *soa, uint32_t serial, uint8_t *out)
{
	size_t n = 0;

	memcpy(out, soa->mname, soa->mname_len);
	n += soa->mname_len;
	memcpy(out + n, soa->rname, soa->rname_len);
	n += soa->rname_len;
	dns_wire_put_u32(out + n, serial);
	dns_wire_put_u32(out + n + 4, soa->refresh);
	dns_wire_put_u32(out + n + 8, soa->retry);
	dns_wire_put_u32(out + n + 12, soa->expire);
	dns_wire_put_u32(out + n + 16, soa->minimum);
	return n + 20;
}
