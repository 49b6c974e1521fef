/*
 * db_views.h - the store's reads for listings and status: records as the
 * HTTP API and the control socket list them, the audit log, and what the
 * backups check in a copy.
 *
 * Strings handed to a callback are borrowed and live until it returns; a
 * non-zero return of a callback stops the walk and is returned.  Failures
 * return DD_EDB (daemon/dd.h) unless said otherwise.  A function taking a
 * struct sqlite3 works on a connection the caller opened (a backup file, a
 * reader of its own) and leaves it open unless it says otherwise.
 */
#ifndef DD_DB_VIEWS_H
#define DD_DB_VIEWS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/db.h"
#include "daemon/db_records.h"

struct sqlite3;

/* ---------------------------------------------------------------- records */

/* The values of the RRset (name, type, e.g. "TXT") in the order they came in. */
typedef int (*db_value_cb)(void *arg, const char *value);
int db_records_values(struct db *db, const char *name, const char *type, db_value_cb cb, void *arg);

/* GET /records: rows as struct db_record_row (daemon/db_records.h), every column read. */

/*
 * Every record in (name, type, value) order, read in slices from a snapshot
 * of its own, so that the writer goes on between slices.
 * db_records_stream_open takes h (a connection of its own, e.g.
 * writer_reader_open's) and owns it from then on: it is closed by
 * db_records_stream_close, or before an error is returned.  The snapshot
 * is taken before it returns.  Returns 0 and *out, DD_ENOMEM or DD_EDB.
 */
struct db_records_stream;
int db_records_stream_open(struct sqlite3 *h, struct db_records_stream **out);

/*
 * Calls cb for the next rows, at most max: returns 1 when max rows were
 * read (more may follow), 0 at the end, DD_EDB, or cb's non-zero result.
 */
int db_records_stream_next(struct db_records_stream *s, unsigned max, db_record_row_cb cb,
                           void *arg);

/* Ends the snapshot and closes its connection; s may be NULL. */
void db_records_stream_close(struct db_records_stream *s);

/* ---------------------------------------------------------------- audit */

/* One row of the audit log; the fields after action may be NULL. */
struct db_audit {
	int64_t ts; /* unix seconds */
	const char *actor, *source, *action;
	const char *name, *type, *old_value, *new_value, *client;
};
typedef int (*db_audit_cb)(void *arg, const struct db_audit *a);

/* The newest limit rows of the audit log, newest first. */
int db_audit_list(struct db *db, int64_t limit, db_audit_cb cb, void *arg);

/* ---------------------------------------------------------------- database files */

/*
 * SQLite's integrity check of the database open on h: 0 with its first
 * line in out ("ok" when sound), or DD_EDB when it cannot run (not a
 * database: sqlite3_errmsg(h) says why).
 */
int db_file_integrity(struct sqlite3 *h, char *out, size_t outsz);

/* The schema version of the database on h, or -1 (none: not ours). */
int db_file_schema_version(struct sqlite3 *h);

/* The number of records in the database on h, or -1. */
int64_t db_file_records_count(struct sqlite3 *h);

/* Takes the database on h out of WAL mode (a copy that stands alone); 0 or DD_EDB. */
int db_file_journal_delete(struct sqlite3 *h);

/* Folds the WAL of the database on h into its file and empties it; 0 or DD_EDB. */
int db_file_checkpoint(struct sqlite3 *h);

#endif
