/* db_audit.c - the audit log's SQL (see db_audit.h). */
#include "daemon/db_audit.h"

#include <stddef.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/dd.h"

int
db_audit_insert(struct db *db, const struct db_audit_row *row)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(db_sqlite(db),
		    "INSERT INTO audit (actor, source, action, name, type, old_value, "
		    "new_value, client) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
		    &st) != SQLITE_OK)
		return DD_EDB;
	/* a NULL string binds NULL (sqlite3_bind_text) */
	sqlite3_bind_text(st, 1, row->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, row->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, row->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, row->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, row->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, row->old_value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, row->new_value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, row->client, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_reset(st);
	return rc;
}

/* The first column of st's first row: 0 and *v, DD_ENOENT (no row, or NULL), DD_EDB. */
static int
db_audit_scalar(sqlite3_stmt *st, int64_t *v)
{
	int r = sqlite3_step(st), rc = DD_ENOENT;

	if (r == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*v = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = DD_EDB;
	}
	sqlite3_reset(st);
	return rc;
}

/* min() and max() in statements of their own: SQLite answers each from the
 * end of the primary key, where both in one statement would scan the table */
int
db_audit_min_id(struct db *db, int64_t *id)
{
	sqlite3_stmt *st = NULL;

	if (db_prep(db_sqlite(db), "SELECT min(id) FROM audit", &st) != SQLITE_OK)
		return DD_EDB;
	return db_audit_scalar(st, id);
}

int
db_audit_max_id(struct db *db, int64_t *id)
{
	sqlite3_stmt *st = NULL;

	if (db_prep(db_sqlite(db), "SELECT max(id) FROM audit", &st) != SQLITE_OK)
		return DD_EDB;
	return db_audit_scalar(st, id);
}

int
db_audit_oldest_ts(struct db *db, int64_t *ts)
{
	sqlite3_stmt *st = NULL;

	if (db_prep(db_sqlite(db), "SELECT ts FROM audit ORDER BY id LIMIT 1", &st) != SQLITE_OK)
		return DD_EDB;
	return db_audit_scalar(st, ts);
}

/* The id of the last of the rows db_audit_trim deletes (-1: none), with their count. */
static int
db_audit_trim_end(sqlite3 *h, int64_t cut, int64_t agecut, long budget, int64_t *last,
		  long *rows)
{
	sqlite3_stmt *st = NULL;
	int r;

	*last = -1;
	*rows = 0;
	if (db_prep(h, "SELECT id, ts FROM audit ORDER BY id LIMIT ?1", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_int64(st, 1, budget);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id > cut && sqlite3_column_int64(st, 1) >= agecut)
			break;
		*last = id;
		(*rows)++;
	}
	sqlite3_reset(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : DD_EDB;
}

long
db_audit_trim(struct db *db, int64_t cut, int64_t agecut, long budget)
{
	sqlite3 *h = db_sqlite(db);
	sqlite3_stmt *st = NULL;
	int64_t last;
	long rows;
	int r;

	if (db_audit_trim_end(h, cut, agecut, budget, &last, &rows) < 0)
		return DD_EDB;
	if (last >= 0) {
		if (db_prep(h, "DELETE FROM audit WHERE id <= ?1", &st) != SQLITE_OK)
			return DD_EDB;
		sqlite3_bind_int64(st, 1, last);
		r = sqlite3_step(st);
		sqlite3_reset(st);
		if (r != SQLITE_DONE)
			return DD_EDB;
	}
	return rows;
}
