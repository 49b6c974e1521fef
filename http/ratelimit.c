/* ratelimit.c - token buckets in a fixed table (see ratelimit.h). */
#include "http/ratelimit.h"

#include <stdlib.h>
#include <string.h>

#define RL_KEY_MAX 64
#define RL_PROBE   8

struct rl_slot {
	char key[RL_KEY_MAX];
	double tokens;
	uint64_t at_ms;
};

struct ratelimit {
	double per_ms;   /* refill per millisecond */
	double cap;
	uint32_t nslots;
	struct rl_slot *slots;
};

struct ratelimit *
ratelimit_create(uint32_t per_minute, uint32_t burst, uint32_t slots)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl == NULL || (rl->slots = calloc(slots, sizeof(*rl->slots))) == NULL) {
		free(rl);
		return NULL;
	}
	rl->per_ms = per_minute / 60000.0;
	rl->cap = burst > 0 ? (double)burst : (double)per_minute;
	rl->nslots = slots;
	return rl;
}

void
ratelimit_destroy(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->slots);
	free(rl);
}

static uint32_t
rl_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The key's slot, or the stalest of its probe window, reset for it. */
static struct rl_slot *
rl_slot(struct ratelimit *rl, const char *key, uint64_t now)
{
	uint32_t h = rl_hash(key);
	struct rl_slot *victim = NULL;

	for (uint32_t i = 0; i < RL_PROBE; i++) {
		struct rl_slot *s = &rl->slots[(h + i) % rl->nslots];
		if (strncmp(s->key, key, RL_KEY_MAX - 1) == 0 && s->key[0])
			return s;
		if (victim == NULL || s->at_ms < victim->at_ms)
			victim = s;
	}
	strncpy(victim->key, key, RL_KEY_MAX - 1);
	victim->key[RL_KEY_MAX - 1] = '\0';
	victim->tokens = rl->cap;
	victim->at_ms = now;
	return victim;
}

/* The key's bucket, refilled up to now. */
static struct rl_slot *
rl_refill(struct ratelimit *rl, const char *key, uint64_t now_ms)
{
	struct rl_slot *s = rl_slot(rl, key, now_ms);

	if (now_ms > s->at_ms) {
		s->tokens += (double)(now_ms - s->at_ms) * rl->per_ms;
		if (s->tokens > rl->cap)
			s->tokens = rl->cap;
		s->at_ms = now_ms;
	}
	return s;
}

void
ratelimit_charge(struct ratelimit *rl, const char *key, uint32_t cost, uint64_t now_ms)
{
	struct rl_slot *s = rl_refill(rl, key, now_ms);

	s->tokens -= cost;
	if (s->tokens < -rl->cap)
		s->tokens = -rl->cap;
}

uint32_t
ratelimit_take(struct ratelimit *rl, const char *key, uint32_t cost, uint64_t now_ms)
{
	struct rl_slot *s = rl_refill(rl, key, now_ms);
	double need;

	if (s->tokens >= cost) {
		s->tokens -= cost;
		return 0;
	}
	need = (cost - s->tokens) / (rl->per_ms > 0 ? rl->per_ms : 1e-9) / 1000.0;
	return need < 1 ? 1 : (uint32_t)(need + 0.999);
}
