/*
 * db_audit.h - the audit log as stored in SQLite (table audit): one row per
 * change, written in the change's transaction, trimmed from the old end.
 *
 * ids grow by one per row (INTEGER PRIMARY KEY, max + 1) and rows only ever
 * go from the old end, so max(id) - min(id) + 1 is the row count without a
 * count(*) (docs/decisions/0010).
 *
 * All functions run on db's own connection (db_sqlite) with statements kept
 * by db_prep, inside whatever transaction the caller has open; none opens or
 * ends one.  After DD_EDB, db_errmsg (daemon/db_writer.h) names the
 * reason.
 */
#ifndef DD_DB_AUDIT_H
#define DD_DB_AUDIT_H

#include <stdint.h>

struct db;

/* One audit row; the strings are borrowed for the call. */
struct db_audit_row {
	const char *actor;  /* "master", "user:alice", "token:12", ...: not NULL */
	const char *source; /* http | dyndns2 | acme | rfc2136 | cli: not NULL */
	const char *action; /* "set", "delete", "import", "transfer", ...: not NULL */
	const char *name;   /* the name changed (a zone for a whole-zone action) */
	const char *type;   /* the rest: NULL stores NULL */
	const char *old_value;
	const char *new_value;
	const char *client;
};

/* Appends row (ts now).  0 or DD_EDB. */
int db_audit_insert(struct db *db, const struct db_audit_row *row);

/* The oldest / newest row's id: 0 and *id, DD_ENOENT when the log is empty, or DD_EDB. */
int db_audit_min_id(struct db *db, int64_t *id);
int db_audit_max_id(struct db *db, int64_t *id);

/* The oldest row's ts (Unix seconds): 0 and *ts, DD_ENOENT when empty, or DD_EDB. */
int db_audit_oldest_ts(struct db *db, int64_t *ts);

/*
 * Deletes the oldest rows while their id <= cut or their ts < agecut, at
 * most budget of them.  Returns the rows deleted (>= 0) or DD_EDB.
 */
long db_audit_trim(struct db *db, int64_t cut, int64_t agecut, long budget);

#endif
