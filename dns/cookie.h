/*
 * cookie.h - DNS cookies (RFC 7873) with interoperable server cookies (RFC
 * 9018): version 1, a timestamp and SipHash-2-4 (libsodium's
 * crypto_shorthash) over the client cookie, the version, the reserved
 * bytes, the timestamp and the client's address, keyed with a 16-byte
 * secret.  Every node of a cluster given the same secret accepts the
 * cookies of the others.  Pure functions: no clock (the caller passes the
 * time), no allocation.
 */
#ifndef DD_DNS_COOKIE_H
#define DD_DNS_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_EDNS_COOKIE        10 /* EDNS option code (RFC 7873 4) */
#define DNS_COOKIE_CLIENT_LEN  8
#define DNS_COOKIE_SERVER_MIN  8
#define DNS_COOKIE_SERVER_MAX  32
#define DNS_COOKIE_SERVER_LEN  16 /* ours (RFC 9018 4) */
#define DNS_COOKIE_LEN         (DNS_COOKIE_CLIENT_LEN + DNS_COOKIE_SERVER_LEN)
#define DNS_COOKIE_SECRET_LEN  16
#define DNS_COOKIE_VERSION     1
#define DNS_COOKIE_MAX_AGE     3600 /* RFC 9018 4.3: older is invalid */
#define DNS_COOKIE_MAX_AHEAD   300  /* and more than this in the future */

/* The secrets a server accepts: the current one (which makes new cookies) and a previous one. */
struct dns_cookie_keys {
	bool on;
	bool has_prev;
	uint8_t secret[DNS_COOKIE_SECRET_LEN];
	uint8_t prev[DNS_COOKIE_SECRET_LEN];
};

/* What a query's COOKIE option is. */
enum dns_cookie_state {
	DNS_COOKIE_NONE,    /* no option */
	DNS_COOKIE_CLIENT,  /* a client cookie alone (a first contact) */
	DNS_COOKIE_VALID,   /* a server cookie this server (or one with its secret) made */
	DNS_COOKIE_INVALID, /* a server cookie that is not, too old, or from another secret */
};

/* True when an option of len bytes is a well-formed COOKIE (RFC 7873 5.2.2). */
bool dns_cookie_len_ok(size_t len);

/*
 * The 16-byte server cookie for client (8 bytes) at time now (unix
 * seconds) from the address ip (4 or 16 bytes; iplen 0 when unknown).
 */
void dns_cookie_server(const uint8_t secret[DNS_COOKIE_SECRET_LEN],
		       const uint8_t client[DNS_COOKIE_CLIENT_LEN], uint32_t now, const uint8_t *ip,
		       size_t iplen, uint8_t out[DNS_COOKIE_SERVER_LEN]);

/* Checks an option's data (opt, len: well formed) against keys at time now. */
enum dns_cookie_state dns_cookie_check(const struct dns_cookie_keys *keys, const uint8_t *opt,
				       size_t len, uint32_t now, const uint8_t *ip, size_t iplen);

#endif
