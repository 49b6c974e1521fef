/*
 * cookie.c - DNS cookies (see cookie.h).
 */
#include "dns/cookie.h"

#include <string.h>

#include <sodium.h>

bool
dns_cookie_len_ok(size_t len)
{
	return len == DNS_COOKIE_CLIENT_LEN ||
	       (len >= DNS_COOKIE_CLIENT_LEN + DNS_COOKIE_SERVER_MIN &&
		len <= DNS_COOKIE_CLIENT_LEN + DNS_COOKIE_SERVER_MAX);
}

void
dns_cookie_server(const uint8_t secret[DNS_COOKIE_SECRET_LEN],
		  const uint8_t client[DNS_COOKIE_CLIENT_LEN], uint32_t now, const uint8_t *ip,
		  size_t iplen, uint8_t out[DNS_COOKIE_SERVER_LEN])
{
	uint8_t in[DNS_COOKIE_CLIENT_LEN + 8 + 16];
	size_t n = DNS_COOKIE_CLIENT_LEN + 8;

	_Static_assert(crypto_shorthash_KEYBYTES == DNS_COOKIE_SECRET_LEN, "SipHash-2-4 key");
	_Static_assert(crypto_shorthash_BYTES == 8, "SipHash-2-4 output");
	/* RFC 9018 4.2: Version | Reserved | Timestamp, then the hash over the
	 * client cookie, those 8 bytes and the client's address */
	out[0] = DNS_COOKIE_VERSION;
	out[1] = out[2] = out[3] = 0;
	out[4] = (uint8_t)(now >> 24);
	out[5] = (uint8_t)(now >> 16);
	out[6] = (uint8_t)(now >> 8);
	out[7] = (uint8_t)now;
	memcpy(in, client, DNS_COOKIE_CLIENT_LEN);
	memcpy(in + DNS_COOKIE_CLIENT_LEN, out, 8);
	if (iplen == 4 || iplen == 16) {
		memcpy(in + n, ip, iplen);
		n += iplen;
	}
	crypto_shorthash(out + 8, in, n, secret);
}

enum dns_cookie_state
dns_cookie_check(const struct dns_cookie_keys *keys, const uint8_t *opt, size_t len, uint32_t now,
		 const uint8_t *ip, size_t iplen)
{
	uint8_t want[DNS_COOKIE_SERVER_LEN];
	const uint8_t *sc = opt + DNS_COOKIE_CLIENT_LEN;
	uint32_t ts;
	int32_t age;

	if (len == DNS_COOKIE_CLIENT_LEN)
		return DNS_COOKIE_CLIENT;
	if (len != DNS_COOKIE_LEN || sc[0] != DNS_COOKIE_VERSION)
		return DNS_COOKIE_INVALID;
	ts = (uint32_t)sc[4] << 24 | (uint32_t)sc[5] << 16 | (uint32_t)sc[6] << 8 | sc[7];
	/* serial arithmetic (RFC 1982) on the 32-bit timestamp */
	age = (int32_t)(now - ts);
	if (age > DNS_COOKIE_MAX_AGE || age < -DNS_COOKIE_MAX_AHEAD)
		return DNS_COOKIE_INVALID;
	dns_cookie_server(keys->secret, opt, ts, ip, iplen, want);
	if (sodium_memcmp(want, sc, DNS_COOKIE_SERVER_LEN) == 0)
		return DNS_COOKIE_VALID;
	if (keys->has_prev) {
		dns_cookie_server(keys->prev, opt, ts, ip, iplen, want);
		if (sodium_memcmp(want, sc, DNS_COOKIE_SERVER_LEN) == 0)
			return DNS_COOKIE_VALID;
	}
	return DNS_COOKIE_INVALID;
}
