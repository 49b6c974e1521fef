/* clientip.c - trusted proxies and forwarded addresses (see clientip.h). */
#include "daemon/clientip.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses "addr" or "addr/len" into family, 16 bytes and a prefix length. */
static bool
clientip_parse(const char *s, int *af, unsigned char a[16], unsigned *plen)
{
	char buf[64];
	char *slash;

	if (strlen(s) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	memset(a, 0, 16);
	if (inet_pton(AF_INET, buf, a) == 1)
		*af = AF_INET;
	else if (inet_pton(AF_INET6, buf, a) == 1)
		*af = AF_INET6;
	else
		return false;
	*plen = *af == AF_INET ? 32 : 128;
	if (slash) {
		char *end;
		unsigned long v = strtoul(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || v > *plen)
			return false;
		*plen = (unsigned)v;
	}
	return true;
}

/* Maps an IPv4-mapped IPv6 address or network (::ffff:a.b.c.d/96+) to IPv4. */
static void
clientip_unmap(int *af, unsigned char a[16], unsigned *plen)
{
	static const unsigned char pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (*af == AF_INET6 && memcmp(a, pfx, 12) == 0 && *plen >= 96) {
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
		*af = AF_INET;
		*plen -= 96;
	}
}

bool
clientip_net(const char *net, int *af, unsigned char a[16], unsigned *plen)
{
	if (!clientip_parse(net, af, a, plen))
		return false;
	clientip_unmap(af, a, plen);
	return true;
}

/* Is the parsed address (af, a) inside net ("addr" or "addr/len")? */
static bool
clientip_in_net(int af, const unsigned char a[16], const char *net)
{
	unsigned char b[16];
	unsigned blen, full, rest;
	int bf;

	if (!clientip_parse(net, &bf, b, &blen))
		return false;
	clientip_unmap(&bf, b, &blen);
	if (af != bf)
		return false;
	full = blen / 8;
	rest = blen % 8;
	if (memcmp(a, b, full) != 0)
		return false;
	return !rest || !((a[full] ^ b[full]) & (unsigned char)(0xff << (8 - rest)));
}

/* Parses addr (an IPv4-mapped IPv6 address as IPv4).  false: not an address. */
static bool
clientip_addr(const char *addr, int *af, unsigned char a[16])
{
	unsigned alen;

	if (addr == NULL || strchr(addr, '/') != NULL || !clientip_parse(addr, af, a, &alen))
		return false;
	clientip_unmap(af, a, &alen);
	return true;
}

bool
clientip_in_list(const char *addr, char *const *list, size_t n)
{
	unsigned char a[16];
	int af;

	if (!clientip_addr(addr, &af, a))
		return false;
	for (size_t i = 0; i < n; i++)
		if (clientip_in_net(af, a, list[i]))
			return true;
	return false;
}

/*
 * The IANA special-purpose blocks that are not globally reachable unicast
 * (RFC 6890 and its registries), plus multicast: loopback, private,
 * shared (CGNAT), link-local (the cloud metadata address 169.254.169.254),
 * documentation, benchmarking, reserved.
 */
static const char *const clientip_internal_nets[] = {
	"0.0.0.0/8",     "10.0.0.0/8",      "100.64.0.0/10",   "127.0.0.0/8",
	"169.254.0.0/16", "172.16.0.0/12",  "192.0.0.0/24",    "192.0.2.0/24",
	"192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",   "198.51.100.0/24",
	"203.0.113.0/24", "224.0.0.0/4",    "240.0.0.0/4",     "::/127",
	"64:ff9b:1::/48", "100::/64",       "2001::/23",       "2001:db8::/32",
	"2002::/16",      "3fff::/20",      "5f00::/16",       "fc00::/7",
	"fe80::/10",      "ff00::/8",
};

bool
clientip_internal(const char *addr)
{
	unsigned char a[16];
	int af;

	if (!clientip_addr(addr, &af, a))
		return true; /* not an address: nothing to reach */
	for (size_t i = 0; i < sizeof(clientip_internal_nets) / sizeof(clientip_internal_nets[0]);
	     i++)
		if (clientip_in_net(af, a, clientip_internal_nets[i]))
			return true;
	return false;
}

static bool
clientip_valid(const char *s)
{
	unsigned char a[16];
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* Trims spaces around one comma-separated element in place. */
static char *
clientip_trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

void
clientip_pick(const char *peer, const char *xff, const char *x_real_ip, char *const *trusted,
	      size_t ntrusted, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s", peer);
	if (!clientip_in_list(peer, trusted, ntrusted))
		return;
	if (xff != NULL && strlen(xff) < 4096) {
		char *copy = strdup(xff);
		char *parts[64];
		size_t n = 0;
		if (copy != NULL) {
			for (char *save = NULL, *tok = strtok_r(copy, ",", &save);
			     tok != NULL && n < 64; tok = strtok_r(NULL, ",", &save))
				parts[n++] = clientip_trim(tok);
			/* right to left: the first hop not a trusted proxy is the client */
			while (n > 0) {
				const char *cand = parts[--n];
				if (!clientip_valid(cand))
					break;
				snprintf(out, outsz, "%s", cand);
				if (!clientip_in_list(cand, trusted, ntrusted))
					break;
			}
			free(copy);
			return;
		}
	}
	if (x_real_ip != NULL && clientip_valid(x_real_ip))
		snprintf(out, outsz, "%s", x_real_ip);
}
