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
clientip_in_list(const char *addr, char *const *list, size_t n)
{
	unsigned char a[16], b[16];
	unsigned alen, blen;
	int af, bf;

	if (addr == NULL || !clientip_parse(addr, &af, a, &alen))
		return false;
	clientip_unmap(&af, a, &alen);
	for (size_t i = 0; i < n; i++) {
		if (!clientip_parse(list[i], &bf, b, &blen))
			continue;
		clientip_unmap(&bf, b, &blen);
		if (af != bf)
			continue;
		unsigned full = blen / 8, rest = blen % 8;
		if (memcmp(a, b, full) != 0)
			continue;
		if (rest && ((a[full] ^ b[full]) & (unsigned char)(0xff << (8 - rest))))
			continue;
		return true;
	}
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
