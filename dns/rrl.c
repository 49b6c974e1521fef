/*
 * rrl.c - response-rate limiting keys (see rrl.h).
 */
#include "dns/rrl.h"

#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

/* Keeps the first bits bits of a (len bytes), zeroing the rest. */
static void
cut(uint8_t *a, size_t len, unsigned bits)
{
	for (size_t i = 0; i < len; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * (unsigned)i : 0;
		a[i] &= (uint8_t)(0xff00u >> keep);
	}
}

static bool
in_net(const struct dns_rrl_net *n, bool v6, const uint8_t *a)
{
	unsigned full = n->bits / 8u, rest = n->bits % 8u;

	if (n->v6 != v6 || memcmp(a, n->a, full) != 0)
		return false;
	return !rest || !((a[full] ^ n->a[full]) & (uint8_t)(0xff00u >> rest));
}

size_t
dns_rrl_key(const struct dns_rrl_cfg *c, const struct sockaddr *client, enum dns_rrl_class cls,
	    const uint8_t *name, size_t name_len, uint8_t *out)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t a[16];
	size_t alen, n = 0;
	bool v6;

	if (client == NULL)
		return 0;
	if (client->sa_family == AF_INET) {
		memcpy(a, &((const struct sockaddr_in *)(const void *)client)->sin_addr, 4);
		v6 = false;
	} else if (client->sa_family == AF_INET6) {
		const uint8_t *s = ((const struct sockaddr_in6 *)(const void *)client)->sin6_addr.s6_addr;
		v6 = memcmp(s, mapped, sizeof(mapped)) != 0;
		memcpy(a, v6 ? s : s + 12, v6 ? 16 : 4);
	} else {
		return 0;
	}
	alen = v6 ? 16 : 4;
	for (size_t i = 0; i < c->nexempt; i++)
		if (in_net(&c->exempt[i], v6, a))
			return 0;
	cut(a, alen, v6 ? c->v6_bits : c->v4_bits);
	out[n++] = v6 ? 6 : 4;
	memcpy(out + n, a, alen);
	n += alen;
	out[n++] = (uint8_t)cls;
	if (name_len > 255)
		name_len = 255;
	if (name_len)
		memcpy(out + n, name, name_len);
	return n + name_len;
}
