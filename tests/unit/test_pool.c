/* test_pool.c - per-query member choice of load-balanced names. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "dns/pool.h"
#include "tests/unit/tap.h"

static union {
	struct pool_def d;
	unsigned char b[sizeof(struct pool_def) + POOL_MEMBERS_MAX * sizeof(struct pool_member)];
} u;
static struct pool_slot state;

static void
def(int policy, unsigned answers, unsigned flags, const char *const *ips, const unsigned *w,
    unsigned n)
{
	struct pool_member *m = (struct pool_member *)(void *)(u.b + sizeof(struct pool_def));

	memset(&u, 0, sizeof(u));
	memset(&state, 0, sizeof(state));
	u.d.policy = (uint8_t)policy;
	u.d.answers = (uint8_t)answers;
	u.d.flags = (uint8_t)flags;
	u.d.nmembers = (uint8_t)n;
	u.d.ttl = 30;
	for (unsigned i = 0; i < n; i++) {
		m[i].family = strchr(ips[i], ':') ? 6 : 4;
		inet_pton(m[i].family == 4 ? AF_INET : AF_INET6, ips[i], m[i].addr);
		m[i].weight = (uint16_t)(w ? w[i] : 1);
		state.m[i].up = 1;
	}
}

static unsigned
pick1(struct pool_pick_env *env, unsigned fam, uint8_t out[POOL_MEMBERS_MAX])
{
	return pool_pick(&u.d, pool_def_members(&u.d), fam, env, out);
}

int
main(void)
{
	const char *four[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"};
	const char *mixed[] = {"192.0.2.1", "2001:db8::1", "192.0.2.2"};
	uint32_t rot = 0;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	struct pool_pick_env env = {.state = &state, .rotation = &rot, .rng = &rng, .now_ms = 100000};
	uint8_t out[POOL_MEMBERS_MAX];
	unsigned hits[4] = {0}, n;

	def(POOL_ROUND_ROBIN, 1, 0, four, NULL, 4);
	for (int i = 0; i < 10000; i++)
		if (pick1(&env, 4, out) == 1)
			hits[out[0]]++;
	ok(hits[0] == 2500 && hits[1] == 2500 && hits[2] == 2500 && hits[3] == 2500,
	   "round-robin: exactly even over 10,000 picks (%u %u %u %u)", hits[0], hits[1], hits[2],
	   hits[3]);

	n = pick1(&env, 4, out);
	u.d.answers = 3;
	n = pick1(&env, 4, out);
	is_int(n, 3, "answers: 3 addresses");
	ok(out[0] != out[1] && out[1] != out[2] && out[0] != out[2], "three distinct members");

	{
		unsigned w[] = {3, 1};
		unsigned c[2] = {0};
		def(POOL_WEIGHTED, 1, 0, four, w, 2);
		for (int i = 0; i < 100000; i++) {
			pick1(&env, 4, out);
			c[out[0]]++;
		}
		ok(c[0] > 73000 && c[0] < 77000, "weighted 3:1 gives ~75%% (%u of 100000)", c[0]);
	}
	{
		unsigned c[4] = {0};
		def(POOL_RANDOM, 1, 0, four, NULL, 4);
		for (int i = 0; i < 100000; i++) {
			pick1(&env, 4, out);
			c[out[0]]++;
		}
		ok(c[0] > 23000 && c[0] < 27000 && c[3] > 23000 && c[3] < 27000,
		   "random: uniform (%u %u %u %u)", c[0], c[1], c[2], c[3]);
	}

	def(POOL_LEAST_LOAD, 1, 0, four, NULL, 3);
	state.m[0].load = 5, state.m[0].reported_ms = 99000;
	state.m[1].load = 1, state.m[1].reported_ms = 99000;
	state.m[2].load = 9, state.m[2].reported_ms = 99000;
	pick1(&env, 4, out);
	is_int(out[0], 1, "least-load: the lowest fresh report");
	state.m[1].reported_ms = 100000 - POOL_REPORT_MAX_AGE_MS - 1;
	state.m[2].reported_ms = 0;
	pick1(&env, 4, out);
	is_int(out[0], 1, "a stale report counts as 0 (unreported members too: first of them)");
	state.m[1].reported_ms = 99000;
	state.m[1].load = 50;
	pick1(&env, 4, out);
	is_int(out[0], 2, "unreported member counts as 0");

	env.max_age_ms = 500; /* pools.report_max_age */
	state.m[1].load = 10, state.m[1].reported_ms = 99000;
	state.m[0].load = 3, state.m[0].reported_ms = 99900;
	state.m[2].load = 4, state.m[2].reported_ms = 99900;
	pick1(&env, 4, out);
	is_int(out[0], 1, "a report older than pools.report_max_age counts as 0");
	env.max_age_ms = 5000;
	pick1(&env, 4, out);
	is_int(out[0], 0, "within pools.report_max_age it counts (load 10: member 0 with 3 wins)");
	env.max_age_ms = 0;

	def(POOL_FAILOVER, 1, 0, four, NULL, 4);
	pick1(&env, 4, out);
	is_int(out[0], 0, "failover: the first member");
	state.m[0].up = 0;
	pick1(&env, 4, out);
	is_int(out[0], 1, "failover: the first healthy one");
	state.m[0].up = state.m[1].up = state.m[2].up = state.m[3].up = 0;
	n = pick1(&env, 4, out);
	is_int(n, 1, "all down, open: still answers");
	u.d.flags = POOL_F_CLOSED;
	is_int(pick1(&env, 4, out), 0, "all down, closed: NODATA");

	{
		struct sockaddr_in a = {.sin_family = AF_INET}, b = a;
		uint8_t first;
		bool same = true;
		def(POOL_HASHED, 1, 0, four, NULL, 4);
		inet_pton(AF_INET, "198.51.100.7", &a.sin_addr);
		inet_pton(AF_INET, "198.51.100.99", &b.sin_addr);
		env.client = (const struct sockaddr *)&a;
		pick1(&env, 4, out);
		first = out[0];
		for (int i = 0; i < 100; i++) {
			pick1(&env, 4, out);
			same = same && out[0] == first;
		}
		ok(same, "hashed: one client, one member");
		env.client = (const struct sockaddr *)&b;
		pick1(&env, 4, out);
		is_int(out[0], first, "hashed: the same /24, the same member");
		state.m[first].up = 0;
		pick1(&env, 4, out);
		ok(out[0] != first, "hashed: a down member hands over");
		env.client = NULL;
	}

	def(POOL_ROUND_ROBIN, 4, 0, mixed, NULL, 3);
	n = pick1(&env, 6, out);
	ok(n == 1 && out[0] == 1, "AAAA: only the IPv6 member");
	n = pick1(&env, 4, out);
	is_int(n, 2, "A: only the IPv4 members, answers capped by the members");
	{
		const char *v4only[] = {"192.0.2.1"};
		def(POOL_ROUND_ROBIN, 1, 0, v4only, NULL, 1);
		is_int(pick1(&env, 6, out), 0, "no member of the family: NODATA");
	}
	return tap_done();
}
