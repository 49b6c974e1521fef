/*
 * conncap.c - connections per client address: linear probing in a
 * power-of-two table, deletion by backward shift (no tombstones, so a
 * table that saw many addresses does not slow down).
 */
#include "http/conncap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "daemon/dd.h"

/* At most this share of the slots in use, so probes stay short. */
#define CONNCAP_LOAD_NUM     3
#define CONNCAP_LOAD_DEN     4
#define CONNCAP_MIN_SLOTS    16
#define CONNCAP_MAX_SLOTS    (1u << 24)
#define CONNCAP_V4MAPPED_LEN 12

struct conncap_key {
	uint8_t family; /* AF_INET or AF_INET6; 0 = free slot */
	uint8_t addr[16];
};

struct conncap_slot {
	struct conncap_key key;
	uint32_t n;
};

struct conncap {
	struct conncap_slot *slot;
	uint32_t mask;
	uint32_t used, max_used;
	uint32_t cap;
	uint32_t total;
};

static const uint8_t v4mapped[CONNCAP_V4MAPPED_LEN] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* The key of sa; false for a family that is not counted. */
static bool
key_of(const struct sockaddr *sa, struct conncap_key *k)
{
	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		k->family = AF_INET;
		memcpy(k->addr, &in->sin_addr, sizeof(in->sin_addr));
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		const uint8_t *a = in6->sin6_addr.s6_addr;
		if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
			k->family = AF_INET;
			memcpy(k->addr, a + CONNCAP_V4MAPPED_LEN, 4);
		} else {
			k->family = AF_INET6;
			memcpy(k->addr, a, 16);
		}
		return true;
	}
	return false;
}

static uint32_t
key_hash(const struct conncap_key *k)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	h = (h ^ k->family) * 1099511628211ull;
	for (size_t i = 0; i < sizeof(k->addr); i++)
		h = (h ^ k->addr[i]) * 1099511628211ull;
	return (uint32_t)(h ^ (h >> 32));
}

/* The slot holding k, or the free slot where it would go. */
static uint32_t
find(const struct conncap *cc, const struct conncap_key *k)
{
	uint32_t i = key_hash(k) & cc->mask;

	while (cc->slot[i].key.family != 0 && memcmp(&cc->slot[i].key, k, sizeof(*k)) != 0)
		i = (i + 1) & cc->mask;
	return i;
}

struct conncap *
conncap_create(uint32_t addresses, uint32_t cap)
{
	struct conncap *cc = calloc(1, sizeof(*cc));
	uint32_t n = CONNCAP_MIN_SLOTS;

	if (cc == NULL)
		return NULL;
	while (n < CONNCAP_MAX_SLOTS &&
	       (uint64_t)n * CONNCAP_LOAD_NUM / CONNCAP_LOAD_DEN < addresses)
		n <<= 1;
	cc->slot = calloc(n, sizeof(*cc->slot));
	if (cc->slot == NULL) {
		free(cc);
		return NULL;
	}
	cc->mask = n - 1;
	cc->max_used = (uint32_t)((uint64_t)n * CONNCAP_LOAD_NUM / CONNCAP_LOAD_DEN);
	cc->cap = cap;
	return cc;
}

void
conncap_destroy(struct conncap *cc)
{
	if (cc == NULL)
		return;
	free(cc->slot);
	free(cc);
}

int
conncap_take(struct conncap *cc, const struct sockaddr *sa)
{
	struct conncap_key k;
	uint32_t i;

	if (!key_of(sa, &k))
		return 1;
	i = find(cc, &k);
	if (cc->slot[i].key.family == 0) {
		if (cc->used >= cc->max_used)
			return DD_ENOSPC;
		cc->slot[i].key = k;
		cc->slot[i].n = 0;
		cc->used++;
	}
	if (cc->slot[i].n >= cc->cap)
		return DD_EAGAIN;
	cc->slot[i].n++;
	cc->total++;
	return 0;
}

/* Empties slot i and moves later entries of its probe run back into the
 * hole, so every key stays reachable from its home slot. */
static void
remove_at(struct conncap *cc, uint32_t i)
{
	uint32_t j = i;

	cc->slot[i].key.family = 0;
	cc->used--;
	for (;;) {
		uint32_t home;
		j = (j + 1) & cc->mask;
		if (cc->slot[j].key.family == 0)
			return;
		home = key_hash(&cc->slot[j].key) & cc->mask;
		/* j's entry may move to i only if its home is not in (i, j] */
		if (((j - home) & cc->mask) >= ((j - i) & cc->mask)) {
			cc->slot[i] = cc->slot[j];
			cc->slot[j].key.family = 0;
			i = j;
		}
	}
}

void
conncap_release(struct conncap *cc, const struct sockaddr *sa)
{
	struct conncap_key k;
	uint32_t i;

	if (!key_of(sa, &k))
		return;
	i = find(cc, &k);
	/* a release without its take (cannot happen) changes nothing */
	if (cc->slot[i].key.family == 0 || cc->slot[i].n == 0)
		return;
	cc->slot[i].n--;
	cc->total--;
	if (cc->slot[i].n == 0)
		remove_at(cc, i);
}

uint32_t
conncap_count(const struct conncap *cc, const struct sockaddr *sa)
{
	struct conncap_key k;
	uint32_t i;

	if (!key_of(sa, &k))
		return 0;
	i = find(cc, &k);
	return cc->slot[i].key.family == 0 ? 0 : cc->slot[i].n;
}

uint32_t
conncap_total(const struct conncap *cc)
{
	return cc->total;
}
