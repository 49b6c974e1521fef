/* db_outbox.c - the event outbox and its cursors in SQLite (see db_outbox.h). */
#include "daemon/db_outbox.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/dd.h"

/* Binds s to parameter i of st, or leaves it NULL. */
static void
db_outbox_bind(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int
db_outbox_insert(struct db *db, const struct db_outbox_row *row)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	/* cached: the writer appends a row with most changes */
	if (db_prep(db_sqlite(db),
	            "INSERT INTO outbox (event, name, type, value, old_value, detail) VALUES "
	            "(?1, ?2, ?3, ?4, ?5, ?6)",
	            &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, row->event, -1, SQLITE_STATIC);
	db_outbox_bind(st, 2, row->name);
	db_outbox_bind(st, 3, row->type);
	db_outbox_bind(st, 4, row->value);
	db_outbox_bind(st, 5, row->old_value);
	db_outbox_bind(st, 6, row->detail);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_reset(st);
	return rc;
}

/* The next event of the walk, its strings copied (NULL where NULL or out of memory). */
static int
db_outbox_next(sqlite3_stmt *st, const char *target, const char *events, int64_t *id, int64_t *ts,
               char *col[6])
{
	int step;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, events, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW)
		return step;
	*id = sqlite3_column_int64(st, 0);
	*ts = sqlite3_column_int64(st, 1);
	for (int i = 0; i < 6; i++) {
		const char *v = (const char *)sqlite3_column_text(st, 2 + i);
		col[i] = v ? strdup(v) : NULL;
	}
	/* end the read before the callback: a cursor write must not find this
	 * connection holding an old snapshot (SQLITE_BUSY_SNAPSHOT) */
	sqlite3_reset(st);
	return SQLITE_ROW;
}

int
db_outbox_walk(struct db *db, const char *target, const char *events, int max, db_outbox_cb cb,
               void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (db_prep(db_sqlite(db),
	            "SELECT id, ts, event, name, type, value, old_value, detail FROM outbox "
	            "WHERE id > coalesce((SELECT last_id FROM outbox_cursor WHERE target = "
	            "?1), 0) AND instr(?2, ',' || event || ',') > 0 ORDER BY id LIMIT 1",
	            &st) != SQLITE_OK)
		return DD_EDB;
	for (int k = 0; k < max && rc == 0; k++) {
		struct db_outbox_row row;
		char *col[6];
		int step = db_outbox_next(st, target, events, &row.id, &row.ts, col);
		if (step != SQLITE_ROW) {
			rc = step == SQLITE_DONE ? 0 : DD_EDB;
			break;
		}
		row.event = col[0] ? col[0] : "";
		row.name = col[1];
		row.type = col[2];
		row.value = col[3];
		row.old_value = col[4];
		row.detail = col[5];
		rc = cb(arg, &row);
		for (int i = 0; i < 6; i++)
			free(col[i]);
	}
	sqlite3_reset(st);
	return rc;
}

int
db_outbox_cursor_set(struct db *db, const char *target, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(db_sqlite(db),
	            "INSERT INTO outbox_cursor (target, last_id) VALUES (?1, ?2) ON "
	            "CONFLICT (target) DO UPDATE SET last_id = ?2",
	            &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_reset(st);
	return rc;
}

int
db_outbox_cursor_get(struct db *db, const char *target, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(db_sqlite(db),
	            "SELECT coalesce((SELECT last_id FROM outbox_cursor WHERE target = ?1), 0)",
	            &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int
db_outbox_trim(struct db *db, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(db_sqlite(db), "DELETE FROM outbox WHERE id <= ?1", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_reset(st);
	return rc;
}

int
db_outbox_cursor_init(struct db *db, const char *target)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(db_sqlite(db),
	            "INSERT OR IGNORE INTO outbox_cursor (target, last_id) SELECT ?1, "
	            "coalesce(max(id), 0) FROM outbox",
	            &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_reset(st);
	return rc;
}
