/*
 * ratelimit.h - token buckets per client address and per token.
 *
 * A fixed-size table (no growth): a key's bucket refills at rate/minute up
 * to burst; an idle bucket is recycled when its slot is needed.
 */
#ifndef DD_HTTP_RATELIMIT_H
#define DD_HTTP_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

struct ratelimit *ratelimit_create(uint32_t per_minute, uint32_t burst, uint32_t slots);
void ratelimit_destroy(struct ratelimit *rl);

/*
 * Takes cost from key's bucket at time now_ms.  Returns 0 when allowed, or
 * the seconds to wait (>= 1) when the bucket is empty (nothing is taken).
 */
uint32_t ratelimit_take(struct ratelimit *rl, const char *key, uint32_t cost, uint64_t now_ms);

/*
 * Charges cost to key's bucket whatever is left (a failed authentication):
 * the bucket may go into debt, down to minus its capacity, which later
 * requests must wait out.
 */
void ratelimit_charge(struct ratelimit *rl, const char *key, uint32_t cost, uint64_t now_ms);

#endif
