/* rdata.c - presentation text <-> wire RDATA for the types ddnsd stores. */
#include "dns/rdata.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/dd.h"
#include "dns/dname.h"
#include "dns/dnssec.h"

static int
txt_from_text(const char *text, uint8_t *out, size_t outsz)
{
	size_t len = strlen(text), o = 0, i = 0;

	if (len > DNS_RDATA_MAX)
		return DD_EINVAL;
	/* RFC 1035 3.3.14: one or more <character-string>s of up to 255 bytes */
	do {
		size_t n = len - i > 255 ? 255 : len - i;
		if (o + 1 + n > outsz || o + 1 + n > DNS_RDATA_MAX)
			return DD_ENOSPC;
		out[o++] = (uint8_t)n;
		memcpy(out + o, text + i, n);
		o += n;
		i += n;
	} while (i < len);
	return (int)o;
}

int
dns_rdata_from_text(uint16_t type, const char *text, uint8_t *out, size_t outsz)
{
	uint8_t addr[16];
	int n;

	switch (type) {
	case DNS_TYPE_A:
		if (inet_pton(AF_INET, text, addr) != 1)
			return DD_EINVAL;
		if (outsz < 4)
			return DD_ENOSPC;
		memcpy(out, addr, 4);
		return 4;
	case DNS_TYPE_AAAA:
		if (inet_pton(AF_INET6, text, addr) != 1)
			return DD_EINVAL;
		if (outsz < 16)
			return DD_ENOSPC;
		memcpy(out, addr, 16);
		return 16;
	case DNS_TYPE_CNAME:
	case DNS_TYPE_NS: {
		uint8_t name[DNS_DNAME_MAX];
		n = dns_dname_from_str(text, name, sizeof(name));
		if (n < 0)
			return DD_EINVAL;
		if ((size_t)n > outsz)
			return DD_ENOSPC;
		memcpy(out, name, (size_t)n);
		return n;
	}
	case DNS_TYPE_TXT:
		return txt_from_text(text, out, outsz);
	default:
		return DD_ENOTIMP;
	}
}

static int
txt_to_text(const uint8_t *rdata, size_t rdlen, char *out, size_t outsz)
{
	size_t p = 0, o = 0;

	if (rdlen == 0)
		return DD_EINVAL;
	while (p < rdlen) {
		size_t n = rdata[p++];
		if (p + n > rdlen)
			return DD_EINVAL;
		if (o + n >= outsz)
			return DD_ENOSPC;
		memcpy(out + o, rdata + p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return (int)o;
}

int
dns_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t rdlen, char *out, size_t outsz)
{
	switch (type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA: {
		int af = type == DNS_TYPE_A ? AF_INET : AF_INET6;
		if (rdlen != (type == DNS_TYPE_A ? 4u : 16u))
			return DD_EINVAL;
		if (outsz > 0x7fffffff || !inet_ntop(af, rdata, out, (socklen_t)outsz))
			return DD_ENOSPC;
		return (int)strlen(out);
	}
	case DNS_TYPE_CNAME:
	case DNS_TYPE_NS:
		if (dns_dname_wire_len(rdata, rdlen) != (int)rdlen)
			return DD_EINVAL;
		return dns_dname_to_str(rdata, rdlen, out, outsz, false);
	case DNS_TYPE_TXT:
		return txt_to_text(rdata, rdlen, out, outsz);
	default:
		return DD_ENOTIMP;
	}
}

static const struct {
	uint16_t type;
	const char *name;
} type_names[] = {
	{DNS_TYPE_A, "A"},         {DNS_TYPE_NS, "NS"},     {DNS_TYPE_CNAME, "CNAME"},
	{DNS_TYPE_SOA, "SOA"},     {DNS_TYPE_MX, "MX"},     {DNS_TYPE_TXT, "TXT"},
	{DNS_TYPE_AAAA, "AAAA"},   {DNS_TYPE_SRV, "SRV"},   {DNS_TYPE_OPT, "OPT"},
	{DNS_TYPE_TKEY, "TKEY"},   {DNS_TYPE_TSIG, "TSIG"}, {DNS_TYPE_IXFR, "IXFR"},
	{DNS_TYPE_AXFR, "AXFR"},   {DNS_TYPE_MAILB, "MAILB"}, {DNS_TYPE_MAILA, "MAILA"},
	{DNS_TYPE_ANY, "ANY"},     {DNS_TYPE_DS, "DS"},     {DNS_TYPE_RRSIG, "RRSIG"},
	{DNS_TYPE_NSEC, "NSEC"},   {DNS_TYPE_DNSKEY, "DNSKEY"}, {DNS_TYPE_NSEC3, "NSEC3"},
	{DNS_TYPE_NSEC3PARAM, "NSEC3PARAM"},
};

const uint16_t dns_stored_types[DNS_STORED_TYPES] = {DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_TXT,
							DNS_TYPE_CNAME};

bool
dns_type_stored(uint16_t type)
{
	for (size_t i = 0; i < DNS_STORED_TYPES; i++)
		if (dns_stored_types[i] == type)
			return true;
	return false;
}

uint16_t
dns_stored_type_parse(const char *s)
{
	/* mnemonics only: a user does not write A as "TYPE1" */
	for (size_t i = 0; s != NULL && i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (dns_type_stored(type_names[i].type) && strcasecmp(s, type_names[i].name) == 0)
			return type_names[i].type;
	return 0;
}

const char *
dns_stored_type_str(uint16_t type)
{
	if (!dns_type_stored(type))
		return "?";
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return "?";
}

int
dns_type_from_str(const char *s)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcasecmp(s, type_names[i].name) == 0)
			return type_names[i].type;
	/* RFC 3597 5: TYPEnnn */
	if (strncasecmp(s, "TYPE", 4) == 0 && s[4] >= '0' && s[4] <= '9') {
		char *end;
		unsigned long v = strtoul(s + 4, &end, 10);
		if (*end == '\0' && v <= 0xffff)
			return (int)v;
	}
	return DD_EINVAL;
}

const char *
dns_type_to_str(uint16_t type, char buf[16])
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	snprintf(buf, 16, "TYPE%u", (unsigned)type);
	return buf;
}
