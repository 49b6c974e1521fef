/*
 * db.h - the SQLite store: the source of truth for records.
 *
 * One connection per process that uses it (never shared across fork).  The
 * schema is created and migrated on open (table schema_version); the journal
 * is WAL so that readers never block the one writer.
 */
#ifndef DD_DB_H
#define DD_DB_H

#include <stdbool.h>
#include <stdint.h>

struct db;

#define DB_SCHEMA_VERSION 9

/*
 * Opens (creating the file, its parent directories and the schema when
 * missing) the database at path.  Returns 0 and *out, or DD_EDB / DD_EIO
 * with the reason logged.  Refuses a database whose schema is newer than
 * this binary knows.
 */
int db_open(const char *path, struct db **out);
/* The same through SQLite VFS vfs (NULL: the default one). */
int db_open_vfs(const char *path, const char *vfs, struct db **out);
/* Process-wide SQLite settings; call once, before any connection opens. */
void db_init(void);
void db_close(struct db *db);

/* Inserts zone name if missing; returns its stored SOA serial in *serial. */
int db_zone_sync(struct db *db, const char *name, uint32_t *serial);

/*
 * Calls cb for every record ordered by name, type: name is a lower-case FQDN
 * without trailing dot, type e.g. "A", value in presentation form, ttl -1
 * for "zone default".  Strings live until cb returns.  A non-zero return of
 * cb stops the walk and is returned.
 */
typedef int (*db_record_cb)(void *arg, const char *name, const char *type, const char *value,
			    int64_t ttl);
int db_records_foreach(struct db *db, db_record_cb cb, void *arg);

/*
 * The records with lo <= name < hi (NULL: no bound), in the order of
 * db_records_foreach.  With own, on a read-only connection of its own that
 * lives for the call, so that another thread may walk another range of db
 * at the same time (the caller's connection stays untouched).
 */
int db_records_range(struct db *db, bool own, const char *lo, const char *hi, db_record_cb cb,
		     void *arg);

/*
 * The name at the middle of the records in name order, for splitting a full
 * walk in two: 0 and *mid (free it), DD_ENOENT when there are fewer than
 * min records, DD_EDB on error.
 */
int db_records_split(struct db *db, int64_t min, char **mid);

/*
 * Every record in name, type order, each RRset's values in the order they
 * came in (ids), same callback: for `ddnsctl record list` and `zone export`.
 */
int db_records_list(struct db *db, db_record_cb cb, void *arg);

/*
 * The end of a walk over st (prepared with sqlite3_prepare_v2): finalizes
 * it and returns rc, or DD_EDB when rc is 0 but the walk stopped on an
 * error (step, the last sqlite3_step result, is not SQLITE_DONE).
 */
struct sqlite3_stmt;
int db_walk_end(struct sqlite3_stmt *st, int step, int rc);

/*
 * Records of one name (same order and callback as db_records_foreach).
 */
int db_records_of_name(struct db *db, const char *name, db_record_cb cb, void *arg);

/*
 * A prepared statement for sql on connection h, kept until the connection
 * closes (db_close): sql must be a string constant, the cache is keyed by
 * its address.  The statement comes reset with no bindings; the caller
 * resets it when done (never finalizes it), and must not use the same SQL
 * in a nested call while stepping it.  Returns an SQLite result code.
 * Statements a process runs over and over (writes, deliveries, health
 * changes, metrics) use it; one-off reads (listings, start-up, integrity
 * checks) prepare and finalize their own.
 */
struct sqlite3;
struct sqlite3_stmt;
int db_prep(struct sqlite3 *h, const char *sql, struct sqlite3_stmt **st);

/* The connection, for the modules that own their queries (http/, writer). */
struct sqlite3 *db_sqlite(struct db *db);
const char *db_path(const struct db *db);

/* Number of rows in records (for logs and status). */
int64_t db_records_count(struct db *db);

/*
 * What a secondary zone received from its primary: soa = "MNAME RNAME
 * REFRESH RETRY EXPIRE MINIMUM", ns = names separated by spaces (malloc'd).
 * Returns 0, DD_ENOENT (never transferred) or DD_EDB.
 */
int db_zone_meta(struct db *db, const char *name, char **soa, char **ns);

/* Stores what a secondary zone received (same forms as db_zone_meta).  0 or DD_EDB. */
int db_zone_meta_set(struct db *db, const char *name, const char *soa, const char *ns);

#endif
