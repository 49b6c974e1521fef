/*
 * db_records.h - the store's records table as the writer changes it: one
 * name's rows, and the row operations an apply is made of.  Every function
 * runs on the caller's connection inside the caller's transaction (the
 * writer's group) and binds its strings for the call only.
 *
 * Names are canonical (lower case, no trailing dot), types presentation
 * mnemonics ("A", "TXT"), values canonical presentation text; a ttl of -1
 * is stored as NULL ("the zone's default").  Each returns 0 or DD_EDB
 * unless it says otherwise; the reason is in db_errmsg().
 */
#ifndef DD_DAEMON_DB_RECORDS_H
#define DD_DAEMON_DB_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

/*
 * One row of records (db_record_rows, db_records_stream_next in
 * daemon/db_views.h).  Strings live until the callback returns; a column
 * a walk does not read is NULL or 0.
 */
struct db_record_row {
	const char *name;
	const char *type;
	const char *value;
	int64_t ttl;          /* -1: NULL, the zone's default */
	int64_t updated_at;   /* unix seconds */
	int64_t owner;        /* users.id, 0: none */
	int64_t id;           /* arrival order (db.c: ids grow with time) */
};

/* Returns 0 to go on, anything else stops the walk and is returned. */
typedef int (*db_record_row_cb)(void *arg, const struct db_record_row *r);

/*
 * Every row of name, in key order (type, then value) or, with by_type,
 * ordered by type and then arrival.  Returns 0, what cb returned, or DD_EDB.
 */
int db_record_rows(struct db *db, const char *name, bool by_type, db_record_row_cb cb, void *arg);

/*
 * Adds a row (nothing when that value is there already); owner 0: none.
 * Returns 1 (added), 0 (there already) or DD_EDB.
 */
int db_record_insert(struct db *db, const char *name, const char *type, const char *value,
		     int64_t ttl, int64_t owner, int64_t id);

/* Adds a row, or gives the one holding that value ttl (an IXFR's addition). */
int db_record_upsert(struct db *db, const char *name, const char *type, const char *value,
		     int64_t ttl, int64_t id);

/*
 * Calls cb with the owner name of every row (distinct: each name once), in
 * no particular order; a non-zero return of cb stops the walk and is
 * returned.
 */
typedef int (*db_name_cb)(void *arg, const char *name);
int db_record_names(struct db *db, bool distinct, db_name_cb cb, void *arg);

/* The row holding old takes value and ttl in place (one index page, not two). */
int db_record_replace_value(struct db *db, const char *name, const char *type, const char *old,
			    const char *value, int64_t ttl);

/* Removes one row. */
int db_record_delete_value(struct db *db, const char *name, const char *type, const char *value);

/* Removes the RRset (type NULL: every row of name); *deleted gets the rows removed. */
int db_record_delete(struct db *db, const char *name, const char *type, size_t *deleted);

/* Every row of the RRset whose TTL differs takes ttl. */
int db_record_set_ttl(struct db *db, const char *name, const char *type, int64_t ttl);

/* Every row of name gets owner (users.id). */
int db_record_set_owner(struct db *db, const char *name, int64_t owner);

/* The owner of name's records or pool: users.id, 0 (none) or -1 (error). */
int64_t db_name_owner(struct db *db, const char *name);

/*
 * Whether name has rows or a pool, and whose: returns 1 (it has; *owner is
 * users.id, or 0 for the server's), 0 (no rows, no pool) or DD_EDB.
 */
int db_name_holder(struct db *db, const char *name, int64_t *owner);

/*
 * The values of name's RRset of type (pools count as their members' A and
 * AAAA rows), appended to *values (n of them; the caller frees each and the
 * array), and the TTL of one that has one into *ttl.  Returns 0, DD_ENOMEM
 * or DD_EDB.
 */
int db_rrset_values(struct db *db, const char *name, const char *type, char ***values, size_t *n,
		    int64_t *ttl);

/* Does name own any record or pool? */
bool db_name_in_use(struct db *db, const char *name);

/* Pools defined (-1 on error), and whether name is one. */
int64_t db_pool_count(struct db *db);
bool db_pool_exists(struct db *db, const char *name);

#endif
