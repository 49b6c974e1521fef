/* edns.c - the EDNS(0) OPT pseudo-record (RFC 6891). */
#include "dns/pkt.h"

#include <string.h>

#include "daemon/dd.h"
#include "dns/cookie.h"
#include "dns/rdata.h"
#include "dns/wire.h"

int
dns_edns_parse(struct dns_edns *e, const uint8_t *msg, uint16_t rclass, uint32_t ttl,
	       size_t rdata_off, uint16_t rdlen)
{
	size_t p = rdata_off, end = rdata_off + rdlen;

	/* RFC 6891 6.1.3: TTL = EXTENDED-RCODE(8) VERSION(8) DO(1) Z(15) */
	e->udp_size = rclass;
	e->ext_rcode = (uint8_t)(ttl >> 24);
	e->version = (uint8_t)(ttl >> 16);
	e->do_bit = (ttl & 0x8000) != 0;
	e->z = (uint16_t)(ttl & 0x7fff);
	e->opts_off = rdata_off;
	e->opts_len = rdlen;
	e->cookie_off = 0;
	e->cookie_len = 0;
	/* options are {code(16), length(16), data}; the caller checked rdata bounds */
	while (p < end) {
		if (end - p < 4)
			return DD_EFORMERR;
		uint16_t code = dns_wire_get_u16(msg + p), olen = dns_wire_get_u16(msg + p + 2);
		p += 4;
		if (end - p < olen)
			return DD_EFORMERR;
		if (code == DNS_EDNS_COOKIE) {
			/* RFC 7873 5.2.2: a bad length, or a second COOKIE, is FORMERR */
			if (e->cookie_len || !dns_cookie_len_ok(olen))
				return DD_EFORMERR;
			e->cookie_off = p;
			e->cookie_len = (uint8_t)olen;
		}
		p += olen;
	}
	return 0;
}

size_t
dns_edns_build_cookie(uint8_t *out, uint16_t udp_size, uint8_t ext_rcode, bool do_bit,
		      const uint8_t *cookie, size_t cookie_len)
{
	out[0] = 0; /* root owner */
	dns_wire_put_u16(out + 1, DNS_TYPE_OPT);
	dns_wire_put_u16(out + 3, udp_size);
	out[5] = ext_rcode;
	out[6] = 0; /* version */
	out[7] = do_bit ? 0x80 : 0;
	out[8] = 0;
	if (cookie_len == 0) {
		dns_wire_put_u16(out + 9, 0); /* RDLENGTH: no options */
		return DNS_EDNS_OPT_LEN;
	}
	dns_wire_put_u16(out + 9, (uint16_t)(4 + cookie_len));
	dns_wire_put_u16(out + DNS_EDNS_OPT_LEN, DNS_EDNS_COOKIE);
	dns_wire_put_u16(out + DNS_EDNS_OPT_LEN + 2, (uint16_t)cookie_len);
	memcpy(out + DNS_EDNS_OPT_LEN + 4, cookie, cookie_len);
	return DNS_EDNS_OPT_LEN + 4 + cookie_len;
}

size_t
dns_edns_build(uint8_t *out, uint16_t udp_size, uint8_t ext_rcode, bool do_bit)
{
	return dns_edns_build_cookie(out, udp_size, ext_rcode, do_bit, NULL, 0);
}
