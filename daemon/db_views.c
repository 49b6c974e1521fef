/* db_views.c - reads for listings, status and backup checks (see db_views.h). */
#include "daemon/db_views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/dd.h"

/* ---------------------------------------------------------------- records */

int
db_records_values(struct db *db, const char *name, const char *type, db_value_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	if (sqlite3_prepare_v2(
	            db_sqlite(db),
	            "SELECT value FROM records WHERE name = ?1 AND type = ?2 ORDER BY id", -1, &st,
	            NULL) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if ((rc = cb(arg, v ? v : "")) != 0)
			break;
	}
	return db_walk_end(st, step, rc);
}

/* ---------------------------------------------------------------- GET /records */

struct db_records_stream {
	sqlite3 *h;
	sqlite3_stmt *st;
};

int
db_records_stream_open(sqlite3 *h, struct db_records_stream **out)
{
	struct db_records_stream *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL) {
		sqlite3_close(h);
		return DD_ENOMEM;
	}
	s->h = h;
	/* key order: no sort of the whole table.  The read transaction starts
	 * with its first read: the snapshot is the one of this moment */
	if (h == NULL ||
	    sqlite3_prepare_v2(
	            h,
	            "SELECT name, type, value, ttl, updated_at, coalesce(owner_id, 0), id "
	            "FROM records ORDER BY name, type, value",
	            -1, &s->st, NULL) != SQLITE_OK ||
	    sqlite3_exec(h, "BEGIN; SELECT count(*) FROM zones", NULL, NULL, NULL) != SQLITE_OK) {
		db_records_stream_close(s);
		return DD_EDB;
	}
	*out = s;
	return 0;
}

int
db_records_stream_next(struct db_records_stream *s, unsigned max, db_record_row_cb cb, void *arg)
{
	int step = SQLITE_ROW, rc;

	for (unsigned k = 0; k < max && (step = sqlite3_step(s->st)) == SQLITE_ROW; k++) {
		struct db_record_row r = {
		        .name = (const char *)sqlite3_column_text(s->st, 0),
		        .type = (const char *)sqlite3_column_text(s->st, 1),
		        .value = (const char *)sqlite3_column_text(s->st, 2),
		        .ttl = sqlite3_column_type(s->st, 3) == SQLITE_NULL
		                       ? -1
		                       : sqlite3_column_int64(s->st, 3),
		        .updated_at = sqlite3_column_int64(s->st, 4),
		        .owner = sqlite3_column_int64(s->st, 5),
		        .id = sqlite3_column_int64(s->st, 6),
		};
		if ((rc = cb(arg, &r)) != 0)
			return rc;
	}
	if (step == SQLITE_ROW)
		return 1;
	return step == SQLITE_DONE ? 0 : DD_EDB;
}

void
db_records_stream_close(struct db_records_stream *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->st);
	sqlite3_close(s->h);
	free(s);
}

/* ---------------------------------------------------------------- audit */

int
db_audit_list(struct db *db, int64_t limit, db_audit_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	if (sqlite3_prepare_v2(
	            db_sqlite(db),
	            "SELECT ts, actor, source, action, name, type, old_value, new_value, "
	            "client FROM audit ORDER BY id DESC LIMIT ?1",
	            -1, &st, NULL) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_int64(st, 1, limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_audit a = {
		        .ts = sqlite3_column_int64(st, 0),
		        .actor = (const char *)sqlite3_column_text(st, 1),
		        .source = (const char *)sqlite3_column_text(st, 2),
		        .action = (const char *)sqlite3_column_text(st, 3),
		        .name = (const char *)sqlite3_column_text(st, 4),
		        .type = (const char *)sqlite3_column_text(st, 5),
		        .old_value = (const char *)sqlite3_column_text(st, 6),
		        .new_value = (const char *)sqlite3_column_text(st, 7),
		        .client = (const char *)sqlite3_column_text(st, 8),
		};
		if ((rc = cb(arg, &a)) != 0)
			break;
	}
	return db_walk_end(st, step, rc);
}

/* ---------------------------------------------------------------- database files */

int
db_file_integrity(sqlite3 *h, char *out, size_t outsz)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);
		snprintf(out, outsz, "%s", line ? line : "");
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The first column of the first row of sql on h as an integer, or -1. */
static int64_t
db_file_scalar(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
db_file_schema_version(sqlite3 *h)
{
	return (int)db_file_scalar(h, "SELECT version FROM schema_version");
}

int64_t
db_file_records_count(sqlite3 *h)
{
	return db_file_scalar(h, "SELECT count(*) FROM records");
}

int
db_file_journal_delete(sqlite3 *h)
{
	return sqlite3_exec(h, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) == SQLITE_OK
	               ? 0
	               : DD_EDB;
}

int
db_file_checkpoint(sqlite3 *h)
{
	return sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) == SQLITE_OK
	               ? 0
	               : DD_EDB;
}
