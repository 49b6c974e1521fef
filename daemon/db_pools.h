/*
 * db_pools.h - the store's reads of load-balanced pools (tables pools,
 * pool_members).  Pools are written by the writer (workers/writer.h); these
 * are the reads of the loader (daemon/pooldb.h), the health checker, the
 * HTTP API, the control socket and /metrics.
 *
 * A walk calls cb once per member row, a pool's rows together and in member
 * order; strings are borrowed until cb returns, and a non-zero return of cb
 * stops the walk and is returned.  Failures return DD_EDB (daemon/dd.h).
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
	int64_t pool_id;    /* db_pools_checked */
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
	int64_t pos; /* db_pool_get: the member's position in the pool */
};
typedef int (*db_pool_row_cb)(void *arg, const struct db_pool_row *r);

/*
 * Every pool (only_name NULL, in name order) or the one named, with name,
 * slot, policy, answers, ttl, all_down, prefix_match, ip and weight: what
 * the shared table carries.  Logs a statement that cannot be prepared.
 */
int db_pools_foreach(struct db *db, const char *only_name, db_pool_row_cb cb, void *arg);

/* The pool name as stored (every field but pool_id and name); no call: no such pool. */
int db_pool_get(struct db *db, const char *name, db_pool_row_cb cb, void *arg);

/*
 * The pools with a health check, in id order, with pool_id, name, slot,
 * all_down, check_json and ip, on the caller's connection h (the checker's
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

#endif
