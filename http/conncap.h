/*
 * conncap.h - open HTTP connections counted per client address, with a cap
 * (http.max_connections_per_address).
 *
 * The address is the TCP peer (X-Forwarded-For does not apply: a proxy's
 * connections are its own).  IPv4-mapped IPv6 addresses count as the IPv4
 * address.  A fixed open-addressing table allocated at create: no
 * allocation per connection; an address leaves the table when its last
 * connection closes.  Pure: no I/O, no clock.
 */
#ifndef DD_HTTP_CONNCAP_H
#define DD_HTTP_CONNCAP_H

#include <stdint.h>

struct conncap;
struct sockaddr;

/*
 * A table for up to `addresses` distinct addresses at once, each with at
 * most `cap` connections.  Returns NULL when out of memory.  The caller
 * frees it with conncap_destroy.
 */
struct conncap *conncap_create(uint32_t addresses, uint32_t cap);
void conncap_destroy(struct conncap *cc);

/*
 * Counts one more connection from sa.  Returns 0 (counted: the caller calls
 * conncap_release when it closes), DD_EAGAIN when sa already has `cap`
 * connections, DD_ENOSPC when the table has no room for another address,
 * or 1 when sa is not an IPv4 or IPv6 address (not counted, nothing to
 * release).
 */
int conncap_take(struct conncap *cc, const struct sockaddr *sa);

/* One connection from sa is gone (a take that returned 0). */
void conncap_release(struct conncap *cc, const struct sockaddr *sa);

/* The connections counted for sa now. */
uint32_t conncap_count(const struct conncap *cc, const struct sockaddr *sa);

/* The connections counted over all addresses. */
uint32_t conncap_total(const struct conncap *cc);

#endif
