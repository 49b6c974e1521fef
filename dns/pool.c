/* pool.c - per-query member choice (see pool.h). */
#include "dns/pool.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

uint64_t
pool_rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* FNV-1a of the client's /24 (IPv4) or /56 (IPv6): sticky per subnet. */
static uint32_t
pool_client_hash(const struct sockaddr *sa)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	uint32_t h = 2166136261u;

	if (sa && sa->sa_family == AF_INET) {
		p = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		n = 3;
	} else if (sa && sa->sa_family == AF_INET6) {
		p = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		n = 7;
		/* an IPv4-mapped client hashes like its IPv4 form */
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(p, mapped, 12) == 0) {
			p += 12;
			n = 3;
		}
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static uint32_t
pool_load_of(const struct pool_pick_env *env, unsigned i)
{
	const struct pool_member_state *s;

	if (env->state == NULL)
		return 0;
	s = &env->state->m[i];
	if (s->reported_ms == 0 ||
	    env->now_ms - s->reported_ms > (env->max_age_ms ? env->max_age_ms : POOL_REPORT_MAX_AGE_MS))
		return 0;
	return s->load;
}

/* Position in h[0..nh) of the policy's first choice. */
static unsigned
pool_first(const struct pool_def *pd, const struct pool_member *m, const uint8_t *h, unsigned nh,
	   const uint8_t *all, unsigned nall, const struct pool_pick_env *env)
{
	switch (pd->policy) {
	case POOL_ROUND_ROBIN:
		return (*env->rotation)++ % nh;
	case POOL_RANDOM:
		return (unsigned)(pool_rng_next(env->rng) % nh);
	case POOL_WEIGHTED: {
		uint64_t total = 0, x;
		for (unsigned i = 0; i < nh; i++)
			total += m[h[i]].weight;
		x = pool_rng_next(env->rng) % (total ? total : 1);
		for (unsigned i = 0; i < nh; i++) {
			if (x < m[h[i]].weight)
				return i;
			x -= m[h[i]].weight;
		}
		return 0;
	}
	case POOL_LEAST_LOAD: {
		unsigned best = 0;
		for (unsigned i = 1; i < nh; i++)
			if (pool_load_of(env, h[i]) < pool_load_of(env, h[best]))
				best = i;
		return best;
	}
	case POOL_HASHED: {
		/* over every member of the family, so a subnet keeps its member
		 * while it is healthy; a down one hands over to the next healthy */
		uint32_t hash = pool_client_hash(env->client);
		for (unsigned k = 0; k < nall; k++) {
			unsigned cand = all[(hash + k) % nall];
			for (unsigned i = 0; i < nh; i++)
				if (h[i] == cand)
					return i;
		}
		return 0;
	}
	case POOL_FAILOVER:
	default:
		return 0;
	}
}

unsigned
pool_pick(const struct pool_def *pd, const struct pool_member *m, unsigned family,
	  const struct pool_pick_env *env, uint8_t out[POOL_MEMBERS_MAX])
{
	uint8_t all[POOL_MEMBERS_MAX], h[POOL_MEMBERS_MAX];
	unsigned nall = 0, nh = 0, first, want;

	for (unsigned i = 0; i < pd->nmembers && i < POOL_MEMBERS_MAX; i++) {
		if (m[i].family != family)
			continue;
		all[nall++] = (uint8_t)i;
		if (env->state == NULL || env->state->m[i].up)
			h[nh++] = (uint8_t)i;
	}
	if (nall == 0)
		return 0;
	if (nh == 0) {
		if (pd->flags & POOL_F_CLOSED)
			return 0;
		/* fail open (like gdnsd): every member rather than none */
		memcpy(h, all, nall);
		nh = nall;
	}
	first = pool_first(pd, m, h, nh, all, nall, env);
	want = pd->answers ? pd->answers : 1;
	if (want > nh)
		want = nh;
	for (unsigned k = 0; k < want; k++)
		out[k] = h[(first + k) % nh];
	return want;
}
