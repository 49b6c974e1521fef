/*
 * db_writer.h - the store's side of the one writing connection: its setup
 * (cache, the IXFR journal triggers, the pool_rrs view), its transactions,
 * and the read-only connections that read beside it (a streamed AXFR).
 *
 * Transactions are named operations, not SQL text: the writer says what it
 * wants (open the group, a savepoint around one apply, commit) and the
 * statements stay here, prepared once per connection.
 */
#ifndef DD_DAEMON_DB_WRITER_H
#define DD_DAEMON_DB_WRITER_H

#include <stdbool.h>
#include <stdint.h>

struct db;
struct sqlite3;

/*
 * The configured zone a name falls in (its apex, a lower-case FQDN), or
 * NULL: the journal triggers and the pool_rrs readers ask it through the
 * SQL function dd_zone().  arg must outlive the connection.
 */
typedef const char *(*db_zone_fn)(const void *arg, const char *name);

enum db_txn_op {
	DB_BEGIN,              /* a read transaction (one snapshot for many reads) */
	DB_BEGIN_IMMEDIATE,    /* a write transaction: takes the write lock now */
	DB_COMMIT,
	DB_ROLLBACK,
	DB_SAVEPOINT,          /* "apply": one writer_apply inside the group */
	DB_SAVEPOINT_RELEASE,
	DB_SAVEPOINT_ROLLBACK, /* back to the savepoint; it stays open */
	DB_SYNC_FULL,          /* COMMIT waits for the disk */
	DB_SYNC_NORMAL,        /* COMMIT writes the WAL only (a sync thread follows) */
};

/*
 * Sets up db as the writing connection: a memory temp store and a larger
 * page cache, the WAL auto-checkpoint as a safety net only, the dd_zone()
 * function (zone_of, arg), the TEMP triggers that journal every change of
 * records (so whoever writes on this connection leaves IXFR rows), and the
 * pool_rrs view.  Returns 0 or DD_EDB (logged).
 */
int db_writer_setup(struct db *db, db_zone_fn zone_of, const void *arg);

/*
 * A read-only connection of its own to db's file, with dd_zone() and
 * pool_rrs, for a long read taken in slices while the writer goes on.
 * Returns 0 and *out (close it with sqlite3_close), or DD_EDB (logged).
 */
int db_reader_open(struct db *db, db_zone_fn zone_of, const void *arg, struct sqlite3 **out);

/* Runs one transaction step.  Returns 0 or DD_EDB (logged with the reason). */
int db_txn(struct db *db, enum db_txn_op op);

/* True while a transaction is open (SQLite rolls back by itself on a full disk). */
bool db_in_txn(struct db *db);

/* Rows changed on the connection since it opened (did a group write anything?). */
int64_t db_total_changes(struct db *db);

/* The connection's last error, for a log line. */
const char *db_errmsg(struct db *db);

#endif
