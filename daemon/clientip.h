/*
 * clientip.h - the client's address: the TCP peer, or, only when the peer is
 * a trusted proxy (http.trusted_proxies), the address it forwards.
 */
#ifndef DD_DAEMON_CLIENTIP_H
#define DD_DAEMON_CLIENTIP_H

#include <stdbool.h>
#include <stddef.h>

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
