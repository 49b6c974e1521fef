/*
 * db_pools.h - load-balanced pools as stored (tables pools, pool_members):
 * the reads of the loader (daemon/pooldb.h), the health checker, the HTTP
 * API, the control socket and /metrics, and the reads and writes of the
 * writer (workers/writer_pools.c).
 *
 * A walk calls cb once per member row, a pool's rows together and in member
 * order; strings are borrowed until cb returns, and a non-zero return of cb
 * stops the walk and is returned.  Failures return DD_EDB (daemon/dd.h).
 *
 * The writer's functions (from db_pool_slots_foreach on) run on db's own
 * connection with statements kept by db_prep, inside the caller's
 * transaction; none opens or ends one.  Strings passed in are bound for the
 * call only.  DD_EDB leaves the reason in db_errmsg (daemon/db_writer.h).
 */
#ifndef DD_DB_POOLS_H
#define DD_DB_POOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct sqlite3;

/* One member of a pool with its pool's columns; what a walk does not read is 0 / NULL. */
struct db_pool_row {
	int64_t pool_id;    /* db_pool_get, db_pools_checked, db_pool_states */
	const char *name;   /* canonical FQDN, may start with "*." */
	int64_t slot;       /* its slot in the live state (shm/pool.h) */
	const char *policy; /* "round-robin", ... (daemon/pooldb.h) */
	int64_t answers;
	int64_t ttl;
	const char *all_down; /* "open" or "closed" */
	bool prefix_match;
	const char *check_json; /* db_pool_get, db_pools_checked: NULL when not checked */
	const char *ip;         /* the member's address */
	int64_t weight;
	int64_t pos;     /* db_pool_get: the member's position in the pool */
	int xfr_up;      /* db_pool_states: up as secondaries were last told */
	int notified_up; /* db_pool_states: up as member_up / member_down last reported */
	int64_t members; /* db_pool_states: its pool's number of members */
	bool user_owned; /* db_pools_checked: held by a user who is not an admin */
};
typedef int (*db_pool_row_cb)(void *arg, const struct db_pool_row *r);

/*
 * Every pool (only_name NULL, in name order) or the one named, with name,
 * slot, policy, answers, ttl, all_down, prefix_match, ip and weight: what
 * the shared table carries.  Logs a statement that cannot be prepared.
 */
int db_pools_foreach(struct db *db, const char *only_name, db_pool_row_cb cb, void *arg);

/* The pool name as stored (every field but name); no call: no such pool. */
int db_pool_get(struct db *db, const char *name, db_pool_row_cb cb, void *arg);

/*
 * The pools with a health check, in id order, with pool_id, name, slot,
 * all_down, check_json, ip and user_owned, on the caller's connection h (the checker's
 * read-only one).
 */
int db_pools_checked(struct sqlite3 *h, db_pool_row_cb cb, void *arg);

/* Where member ip of pool name sits: *slot, *pos.  Returns 0, DD_ENOENT or DD_EDB. */
int db_pool_member_find(struct db *db, const char *name, const char *ip, int64_t *slot,
                        int64_t *pos);

/* One pool of a listing. */
struct db_pool_info {
	const char *name;
	const char *policy;
	int64_t answers;
	int64_t ttl;
	const char *all_down;
	int64_t members; /* its number of members */
};
typedef int (*db_pool_info_cb)(void *arg, const struct db_pool_info *p);

/* Every pool, in name order (`ddnsctl pool list`). */
int db_pool_list(struct db *db, db_pool_info_cb cb, void *arg);

/* A pool's slot and member count, for /metrics. */
struct db_pool_count {
	char *name;
	int64_t slot;
	int64_t members;
};

/*
 * The pools with at least one member, in name order: a malloc'd array of n
 * entries in *out (each name malloc'd; free with db_pool_counts_free).
 * Returns 0 (n may be 0), DD_ENOMEM or DD_EDB.
 */
int db_pool_counts(struct db *db, struct db_pool_count **out, size_t *n);
void db_pool_counts_free(struct db_pool_count *c, size_t n);

/* --- the writer's (workers/writer_pools.c), see the top of this file --- */

/* Every pool's slot (r->slot only), in slot order. */
int db_pool_slots_foreach(struct db *db, db_pool_row_cb cb, void *arg);

/* The slot of pool name: 0 and *slot, DD_ENOENT (no such pool) or DD_EDB. */
int db_pool_slot_find(struct db *db, const char *name, int64_t *slot);

/* The members of pool pool_id (r->ip only), in member order. */
int db_pool_member_ips(struct db *db, int64_t pool_id, db_pool_row_cb cb, void *arg);

/*
 * Whether name is free for a pool: a pool name answers from its members
 * only, so no record may sit beside it.  Returns 0, DD_EEXIST (records hold
 * name) or DD_EDB.
 */
int db_pool_name_check(struct db *db, const char *name);

/*
 * Every member row with what the health sync compares (pool_id, name, slot,
 * all_down, ttl, pos, ip, xfr_up, notified_up, members), in pool id and
 * member order.
 */
int db_pool_states(struct db *db, db_pool_row_cb cb, void *arg);

/*
 * Adds the pool def (name, slot, policy, answers, ttl, all_down,
 * prefix_match, check_json; NULL: no check) owned by users.id owner (<= 0:
 * nobody), without members.  Returns 0 and its id in *id, or DD_EDB (a name
 * or slot taken included).
 */
int db_pool_insert(struct db *db, const struct db_pool_row *def, int64_t owner, int64_t *id);

/* Adds member ip with weight at position pos of pool pool_id.  0 or DD_EDB. */
int db_pool_member_insert(struct db *db, int64_t pool_id, int64_t pos, const char *ip,
                          int64_t weight);

/*
 * Records what was published of the member at pos of pool pool_id: xfr_up
 * and notified_up, each 0 or 1, or -1 to keep the stored one.  0 or DD_EDB
 * (no such member is 0: nothing to record).
 */
int db_pool_member_states_set(struct db *db, int64_t pool_id, int64_t pos, int xfr_up,
                              int notified_up);

/* Deletes the pool with id, or named name, with its members.  0 (none is 0 too) or DD_EDB. */
int db_pool_delete_id(struct db *db, int64_t id);
int db_pool_delete(struct db *db, const char *name);

/*
 * The members of pool name that transfers carry (xfr_up = 1), as a bit mask
 * of their positions into *mask.  0 (no pool: mask 0) or DD_EDB.
 */
int db_pool_xfr_mask(struct db *db, const char *name, uint32_t *mask);

#endif
