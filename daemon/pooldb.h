/*
 * pooldb.h - pools as stored (read through daemon/db_pools.h) turned into
 * the definitions the shared table carries (shm/pool.h).
 */
#ifndef DD_POOLDB_H
#define DD_POOLDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/pool.h"

struct db;

#define POOLDB_DEF_MAX (sizeof(struct pool_def) + POOL_MEMBERS_MAX * sizeof(struct pool_member))

struct pooldb_def {
	char name[256];   /* canonical FQDN, may start with "*." */
	uint8_t data[POOLDB_DEF_MAX];
	size_t len;
	bool used;        /* set by the loader once published */
};

/* Policy names as the API spells them; -1 for an unknown one. */
int pooldb_policy_parse(const char *s);
const char *pooldb_policy_name(int policy);

/*
 * Reads every pool (only_name NULL) or one, sorted by name, into a malloc'd
 * array.  Returns 0 (n may be 0) or DD_EDB.
 */
int pooldb_load(struct db *db, const char *only_name, struct pooldb_def **out, size_t *n);

/* The definition of name in a sorted array, or NULL. */
struct pooldb_def *pooldb_find(struct pooldb_def *defs, size_t n, const char *name);

#endif
