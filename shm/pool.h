/*
 * pool.h - load-balanced names: the definition published in the record
 * table, and the live state (health, reported load) in a mapping of its own.
 *
 * Definition: a pool name's table entry carries one private rrset of type
 * SHM_TYPE_POOL whose single rdata item is a struct pool_def followed by
 * nmembers struct pool_member.  It changes only through the writer, under
 * the table's seqlock, like any record.
 *
 * State: struct shm_pools, created once by the master and never replaced.
 * Slot pool_def.slot holds one struct pool_member_state per member position.
 * The health checker writes `up`, the HTTP worker writes `load` and
 * `reported_ms` (POST /pools/NAME/report); DNS workers only read.  Each field
 * is a single aligned word written with one store: a reader may see one
 * member's new health beside another's old one, never a torn value, and no
 * lock is taken on the query path.  `gen` of a slot changes whenever the
 * writer (re)defines the pool in it; a member whose address changed (or a
 * new one) starts healthy with no report, the others keep their state.
 */
#ifndef DD_SHM_POOL_H
#define DD_SHM_POOL_H

#include <stdint.h>

#define POOL_SLOTS       1024
#define POOL_MEMBERS_MAX 32

enum pool_policy {
	POOL_ROUND_ROBIN = 0,
	POOL_RANDOM,
	POOL_WEIGHTED,
	POOL_LEAST_LOAD,
	POOL_FAILOVER,
	POOL_HASHED,
};

#define POOL_F_CLOSED 0x01 /* allDown "closed": NODATA when every member is down */
#define POOL_F_PREFIX 0x02 /* prefixMatch: "<label>.NAME" and "<label>-NAME" answer too */

struct pool_member {
	uint8_t family;   /* 4 or 6 */
	uint8_t pad;
	uint16_t weight;  /* >= 1 */
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
};

struct pool_def {
	uint8_t policy;   /* enum pool_policy */
	uint8_t answers;  /* addresses per answer, 1..POOL_MEMBERS_MAX */
	uint8_t flags;    /* POOL_F_* */
	uint8_t nmembers; /* 1..POOL_MEMBERS_MAX */
	uint32_t ttl;
	uint32_t slot;    /* index into shm_pools.s */
	uint32_t gen;     /* = the slot's gen when this definition was written */
	/* struct pool_member m[nmembers] follows */
};

struct pool_member_state {
	uint32_t up;          /* 1 healthy (also when unchecked), 0 down */
	uint32_t load;        /* latest reported load */
	uint64_t reported_ms; /* CLOCK_MONOTONIC ms of that report; 0 = never */
};

struct pool_slot {
	uint32_t gen;       /* bumped by the writer on every (re)definition */
	uint32_t in_use;    /* 1 while a pool owns the slot */
	struct pool_member_state m[POOL_MEMBERS_MAX];
};

struct shm_pools {
	uint64_t defs_gen;  /* bumped on any pool change: the checker re-reads */
	struct pool_slot s[POOL_SLOTS];
};

/* A zeroed shared mapping inherited across fork(), or NULL. */
struct shm_pools *shm_pools_create(void);
void shm_pools_destroy(struct shm_pools *p);

/* Bytes of a definition with n members. */
static inline uint32_t
pool_def_size(unsigned n)
{
	return (uint32_t)(sizeof(struct pool_def) + n * sizeof(struct pool_member));
}

static inline const struct pool_member *
pool_def_members(const struct pool_def *d)
{
	return (const struct pool_member *)(const void *)(d + 1);
}

#endif
