/* db_records.c - the records table as the writer changes it (see db_records.h). */
#include "daemon/db_records.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/dd.h"

/* Binds ?n to s, or NULL when s is. */
static void
db_bind_text(sqlite3_stmt *st, int n, const char *s)
{
	if (s)
		sqlite3_bind_text(st, n, s, -1, SQLITE_STATIC);
}

/* Binds ?n to v, or NULL when v is negative (ttl) or zero (owner). */
static void
db_bind_pos(sqlite3_stmt *st, int n, int64_t v, int64_t none_below)
{
	if (v >= none_below)
		sqlite3_bind_int64(st, n, v);
}

/* Steps a write statement once and resets it. */
static int
db_done(sqlite3_stmt *st)
{
	int r = sqlite3_step(st);

	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : DD_EDB;
}

static int64_t
db_col_or(sqlite3_stmt *st, int col, int64_t none)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? none : sqlite3_column_int64(st, col);
}

int
db_record_rows(struct db *db, const char *name, bool by_type, db_record_row_cb cb, void *arg)
{
	/* key order: the rows of one name are adjacent, no sorter needed */
	const char *sql = by_type ? "SELECT type, value, ttl, owner_id, id FROM records "
				    "WHERE name = ?1 ORDER BY type, id"
				  : "SELECT type, value, ttl, owner_id, id FROM records WHERE name = ?1";
	sqlite3_stmt *st = NULL;
	int step, rc = 0;

	if (db_prep(db_sqlite(db), sql, &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *value = (const char *)sqlite3_column_text(st, 1);
		struct db_record_row r = {.name = name,
					  .type = type ? type : "",
					  .value = value ? value : "",
					  .ttl = db_col_or(st, 2, -1),
					  .owner = db_col_or(st, 3, 0),
					  .id = sqlite3_column_int64(st, 4)};
		rc = cb(arg, &r);
	}
	sqlite3_reset(st);
	if (rc != 0)
		return rc;
	return step == SQLITE_DONE ? 0 : DD_EDB;
}

int
db_record_insert(struct db *db, const char *name, const char *type, const char *value,
		 int64_t ttl, int64_t owner, int64_t id)
{
	sqlite3_stmt *st = NULL;

	if (db_prep(db_sqlite(db),
		    "INSERT OR IGNORE INTO records (name, type, value, ttl, owner_id, id) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_int64(st, 6, id);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	db_bind_pos(st, 4, ttl, 0);
	db_bind_pos(st, 5, owner, 1);
	if (db_done(st) < 0)
		return DD_EDB;
	return sqlite3_changes(db_sqlite(db)) > 0;
}

int
db_record_upsert(struct db *db, const char *name, const char *type, const char *value,
		 int64_t ttl, int64_t id)
{
	sqlite3_stmt *st = NULL;

	if (db_prep(db_sqlite(db),
		    "INSERT INTO records (name, type, value, ttl, id) VALUES (?1, ?2, ?3, ?4, ?5) "
		    "ON CONFLICT (name, type, value) DO UPDATE SET ttl = excluded.ttl",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, ttl);
	sqlite3_bind_int64(st, 5, id);
	return db_done(st);
}

int
db_record_names(struct db *db, bool distinct, db_name_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int step, rc = 0;

	if (db_prep(db_sqlite(db),
		    distinct ? "SELECT DISTINCT name FROM records" : "SELECT name FROM records",
		    &st) != SQLITE_OK)
		return DD_EDB;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *nm = (const char *)sqlite3_column_text(st, 0);
		if (nm)
			rc = cb(arg, nm);
	}
	sqlite3_reset(st);
	if (rc != 0)
		return rc;
	return step == SQLITE_DONE ? 0 : DD_EDB;
}

/* One statement on (name, type[, ?3]) with up to ?4 and ?5 (a ttl). */
static int
db_record_op(struct db *db, const char *sql, const char *name, const char *type, const char *v3,
	     const char *v4, int64_t ttl)
{
	sqlite3_stmt *st = NULL;

	if (db_prep(db_sqlite(db), sql, &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	db_bind_text(st, 3, v3);
	db_bind_text(st, 4, v4);
	db_bind_pos(st, 5, ttl, 0);
	return db_done(st);
}

int
db_record_replace_value(struct db *db, const char *name, const char *type, const char *old,
			const char *value, int64_t ttl)
{
	return db_record_op(db,
			    "UPDATE records SET value = ?4, ttl = ?5, updated_at = "
			    "strftime('%s','now') WHERE name = ?1 AND type = ?2 AND value = ?3",
			    name, type, old, value, ttl);
}

int
db_record_delete_value(struct db *db, const char *name, const char *type, const char *value)
{
	return db_record_op(db, "DELETE FROM records WHERE name = ?1 AND type = ?2 AND value = ?3",
			    name, type, value, NULL, -1);
}

int
db_record_set_ttl(struct db *db, const char *name, const char *type, int64_t ttl)
{
	return db_record_op(db,
			    "UPDATE records SET ttl = ?5, updated_at = strftime('%s','now') "
			    "WHERE name = ?1 AND type = ?2 AND ttl IS NOT ?5",
			    name, type, NULL, NULL, ttl);
}

int
db_record_delete(struct db *db, const char *name, const char *type, size_t *deleted)
{
	sqlite3 *h = db_sqlite(db);
	sqlite3_stmt *st = NULL;
	int rc;

	*deleted = 0;
	if (db_prep(h,
		    type ? "DELETE FROM records WHERE name = ?1 AND type = ?2"
			 : "DELETE FROM records WHERE name = ?1",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	db_bind_text(st, 2, type);
	if ((rc = db_done(st)) == 0)
		*deleted = (size_t)sqlite3_changes(h);
	return rc;
}

int
db_record_set_owner(struct db *db, const char *name, int64_t owner)
{
	sqlite3_stmt *st = NULL;

	if (db_prep(db_sqlite(db),
		    "UPDATE records SET owner_id = ?2 WHERE name = ?1 AND owner_id IS NOT ?2",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, owner);
	return db_done(st);
}

int64_t
db_name_owner(struct db *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	int64_t owner = 0;

	if (db_prep(db_sqlite(db),
		    "SELECT owner_id FROM records WHERE name = ?1 AND owner_id IS NOT NULL "
		    "UNION ALL SELECT owner_id FROM pools WHERE name = ?1 AND owner_id "
		    "IS NOT NULL LIMIT 1",
		    &st) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		owner = sqlite3_column_int64(st, 0);
		break;
	case SQLITE_DONE:
		break;
	default:
		owner = -1; /* a failed read is not "no owner" */
	}
	sqlite3_reset(st);
	return owner;
}

int
db_name_holder(struct db *db, const char *name, int64_t *owner)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* a user's row first: a name has one owner, NULL rows beside it are stale */
	if (db_prep(db_sqlite(db),
		    "SELECT owner_id FROM (SELECT owner_id FROM records WHERE name = ?1 "
		    "UNION ALL SELECT owner_id FROM pools WHERE name = ?1) "
		    "ORDER BY owner_id IS NULL LIMIT 1",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	*owner = 0;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*owner = sqlite3_column_int64(st, 0); /* NULL reads as 0: the server's */
		rc = 1;
		break;
	case SQLITE_DONE:
		rc = 0;
		break;
	default:
		rc = DD_EDB;
	}
	sqlite3_reset(st);
	return rc;
}

int64_t
db_pool_count(struct db *db)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (db_prep(db_sqlite(db), "SELECT count(*) FROM pools", &st) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

bool
db_pool_exists(struct db *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	bool has = false;

	if (db_prep(db_sqlite(db), "SELECT 1 FROM pools WHERE name = ?1", &st) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return has;
}

/* One row of db_rrset_values: a copy of its value appended, its TTL if it has one. */
static int
db_rrset_row(sqlite3_stmt *st, char ***out, size_t *n, int64_t *ttl)
{
	const char *v = (const char *)sqlite3_column_text(st, 0);
	char **g;

	if (v == NULL)
		return DD_EDB;
	if ((g = realloc(*out, (*n + 1) * sizeof(char *))) == NULL)
		return DD_ENOMEM;
	*out = g;
	if ((g[*n] = strdup(v)) == NULL)
		return DD_ENOMEM;
	(*n)++;
	if (sqlite3_column_type(st, 1) != SQLITE_NULL)
		*ttl = sqlite3_column_int64(st, 1);
	return 0;
}

int
db_rrset_values(struct db *db, const char *name, const char *type, char ***values, size_t *n,
		int64_t *ttl)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, err = 0;

	/* pool_rrs: the writer's view of pools as A/AAAA rows (db_writer.c) */
	if (db_prep(db_sqlite(db),
		    "SELECT value, ttl FROM records WHERE name = ?1 AND type = ?2 UNION ALL "
		    "SELECT value, ttl FROM pool_rrs WHERE name = ?1 AND type = ?2",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		err = db_rrset_row(st, values, n, ttl);
	if (err == 0 && rc != SQLITE_DONE)
		err = DD_EDB;
	sqlite3_reset(st);
	return err;
}

bool
db_name_in_use(struct db *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	bool used = false;

	if (db_prep(db_sqlite(db),
		    "SELECT 1 FROM records WHERE name = ?1 UNION ALL SELECT 1 FROM pools "
		    "WHERE name = ?1 LIMIT 1",
		    &st) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	used = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return used;
}
