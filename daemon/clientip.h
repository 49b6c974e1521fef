/*
 * clientip.h - the client's address: the TCP peer, or, only when the peer is
 * a trusted proxy (http.trusted_proxies), the address it forwards.
 */
#ifndef DD_DAEMON_CLIENTIP_H
#define DD_DAEMON_CLIENTIP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Parses net ("addr" or "addr/len"; an IPv4-mapped IPv6 network as IPv4)
 * into its family (AF_INET or AF_INET6), 16 bytes (IPv4 in the first 4)
 * and prefix length.  false: not an address or CIDR.
 */
bool clientip_net(const char *net, int *af, unsigned char a[16], unsigned *plen);

/* Is addr (text) inside any of the n addresses/CIDRs in list? */
bool clientip_in_list(const char *addr, char *const *list, size_t n);

/*
 * Whether addr (text) is not a globally reachable unicast address: inside
 * one of the special-purpose blocks (loopback, private, CGNAT, link-local
 * with the metadata address, documentation, multicast, reserved, ...), or
 * not an address at all.  An IPv4-mapped IPv6 address is judged as IPv4.
 */
bool clientip_internal(const char *addr);

/*
 * Picks the client address: peer unless it is trusted; then the right-most
 * address of xff (X-Forwarded-For) that is not itself trusted, else x_real_ip,
 * else peer.  Invalid forwarded values are ignored.  Writes to out.
 */
void clientip_pick(const char *peer, const char *xff, const char *x_real_ip, char *const *trusted,
		   size_t ntrusted, char *out, size_t outsz);

#endif
