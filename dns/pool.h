/*
 * pool.h - per-query choice of pool members (shm/pool.h): which addresses a
 * load-balanced name answers with, first the one the policy picks.
 *
 * Pure and allocation-free: the caller passes the definition, the live
 * state, its own rotation counter and random generator, the client address
 * and the clock.
 */
#ifndef DD_DNS_POOL_H
#define DD_DNS_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "shm/pool.h"

struct sockaddr;

#define POOL_REPORT_MAX_AGE_MS 60000 /* default of pools.report_max_age */

struct pool_pick_env {
	const struct pool_slot *state;  /* live state, or NULL: all up, no reports */
	uint32_t *rotation;             /* this worker's counter for the pool */
	uint64_t *rng;                  /* this worker's xorshift64* state (never 0) */
	const struct sockaddr *client;  /* for hashed; may be NULL */
	uint64_t now_ms;                /* CLOCK_MONOTONIC, for least-load freshness */
	uint64_t max_age_ms;            /* older reports count as none (0); 0 = default */
};

/*
 * Chooses up to pd->answers members of family (4 or 6) for one answer.
 * Writes member indexes into out (the first is the policy's choice) and
 * returns how many (0: NODATA — no member of that family, or every one down
 * with allDown closed).
 */
unsigned pool_pick(const struct pool_def *pd, const struct pool_member *m, unsigned family,
		   const struct pool_pick_env *env, uint8_t out[POOL_MEMBERS_MAX]);

/* xorshift64*: a fast generator for the random and weighted policies. */
uint64_t pool_rng_next(uint64_t *s);

#endif
