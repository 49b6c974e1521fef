/* db_journal.c - the IXFR journal's SQL (see db_journal.h). */
#include "daemon/db_journal.h"

#include <stdbool.h>
#include <stddef.h>

#include <sodium.h>
#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/dd.h"
#include "dns/msg.h"

int64_t
db_journal_groups_count(struct db *db, const char *zone)
{
	sqlite3_stmt *st = NULL;
	int64_t n = 0, f0 = 0, s0 = 0;
	int r;

	if (db_prep(db_sqlite(db),
		    "SELECT from_serial, serial FROM journal WHERE zone = ?1 AND serial IS "
		    "NOT NULL ORDER BY id",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	/* rows of a group are contiguous in id order: a group starts where the pair changes */
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t f = sqlite3_column_int64(st, 0), sv = sqlite3_column_int64(st, 1);
		if (n == 0 || f != f0 || sv != s0)
			n++;
		f0 = f;
		s0 = sv;
	}
	sqlite3_reset(st);
	return r == SQLITE_DONE ? n : DD_EDB;
}

int
db_journal_oldest_ts(struct db *db, const char *zone, int64_t *ts)
{
	sqlite3_stmt *st = NULL;
	int r, rc = DD_ENOENT;

	/* the journal_zone index (zone, id): one seek, whatever the journal's length */
	if (db_prep(db_sqlite(db), "SELECT ts FROM journal WHERE zone = ?1 ORDER BY id LIMIT 1",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	if ((r = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*ts = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = DD_EDB;
	}
	sqlite3_reset(st);
	return rc;
}

/*
 * Walks zone's journal to the end of what db_journal_trim drops: *last is
 * the id of its last row (-1: nothing), with its rows and groups.  0 or
 * DD_EDB.
 */
static int
db_journal_trim_end(struct db *db, const char *zone, int64_t excess, int64_t agecut, long budget,
		    int64_t *last, long *rows, int64_t *groups)
{
	sqlite3_stmt *st = NULL;
	int64_t f0 = 0, s0 = 0;
	int r;

	*last = -1;
	*rows = 0;
	*groups = 0;

	if (db_prep(db_sqlite(db),
		    "SELECT id, from_serial, serial, ts FROM journal WHERE zone = ?1 ORDER BY id",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t f = sqlite3_column_int64(st, 1), sv = sqlite3_column_int64(st, 2);
		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			break; /* the open transaction's rows: the newest */
		if (*last < 0 || f != f0 || sv != s0) {
			/* the next group: dropped whole, or it and all after it stay */
			if (*rows >= budget ||
			    (excess <= 0 && sqlite3_column_int64(st, 3) >= agecut))
				break;
			excess--;
			(*groups)++;
			f0 = f;
			s0 = sv;
		}
		*last = sqlite3_column_int64(st, 0);
		(*rows)++;
	}
	sqlite3_reset(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : DD_EDB;
}

long
db_journal_trim(struct db *db, const char *zone, int64_t excess, int64_t agecut, long budget,
		int64_t *groups)
{
	sqlite3_stmt *st = NULL;
	int64_t last, g;
	long rows;
	int r;

	if (db_journal_trim_end(db, zone, excess, agecut, budget, &last, &rows, &g) < 0)
		return DD_EDB;
	if (last >= 0) {
		/* ids grow: the rows up to last are exactly the groups walked */
		if (db_prep(db_sqlite(db), "DELETE FROM journal WHERE zone = ?1 AND id <= ?2",
			    &st) != SQLITE_OK)
			return DD_EDB;
		sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, last);
		r = sqlite3_step(st);
		sqlite3_reset(st);
		if (r != SQLITE_DONE)
			return DD_EDB;
	}
	*groups = g;
	return rows;
}

/* zone's stored serial into *old; 0 when zone has no row. */
static int
db_journal_serial_get(sqlite3 *h, const char *zone, uint32_t *old)
{
	sqlite3_stmt *st = NULL;
	int r;

	*old = 0;
	if (db_prep(h, "SELECT serial FROM zones WHERE name = ?1", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	/* a failed read must not pass for "no row": the serial would restart from 1 */
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*old = (uint32_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : DD_EDB;
}

int
db_journal_serial_bump(struct db *db, const char *zone, enum db_serial how, uint32_t val,
		       uint32_t *old, uint32_t *next, bool *stamped)
{
	sqlite3 *h = db_sqlite(db);
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	*stamped = false;
	if (db_journal_serial_get(h, zone, old) < 0)
		return DD_EDB;
	*next = *old + 1u; /* DB_SERIAL_NEXT: RFC 1982 serial arithmetic, modulo 2^32 */
	if (how == DB_SERIAL_EXACT)
		*next = val;
	else if (how == DB_SERIAL_AT_LEAST)
		*next = dns_serial_raise(*old, val);
	if (db_prep(h,
		    "INSERT INTO zones (name, serial) VALUES (?1, ?2) ON CONFLICT (name) "
		    "DO UPDATE SET serial = ?2, updated_at = strftime('%s','now')",
		    &st) != SQLITE_OK)
		goto done;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, *next);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto done;
	sqlite3_reset(st);
	st = NULL;
	rc = db_journal_stamp(db, zone, *old, *next, stamped);
done:
	if (st)
		sqlite3_reset(st);
	return rc;
}

int
db_journal_stamp(struct db *db, const char *zone, uint32_t old, uint32_t next, bool *stamped)
{
	sqlite3 *h = db_sqlite(db);
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	/* the journal_pending index: the open transaction's rows, not the whole journal */
	if (db_prep(h,
		    "UPDATE journal SET from_serial = ?2, serial = ?3 WHERE zone = ?1 AND "
		    "serial IS NULL",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, old);
	sqlite3_bind_int64(st, 3, next);
	if (sqlite3_step(st) == SQLITE_DONE) {
		rc = 0;
		*stamped = *stamped || sqlite3_changes(h) > 0;
	}
	sqlite3_reset(st);
	return rc;
}

int
db_journal_forget(struct db *db, const char *zone)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (db_prep(db_sqlite(db), "DELETE FROM journal WHERE zone = ?1", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : DD_EDB;
}

#define JOURNAL_BLOB_MAX 2048 /* a DNSSEC record's RDATA kept as a BLOB, bytes */

/* One row of the statement of db_journal_foreach_newest to cb. */
static int
db_journal_row_call(sqlite3_stmt *st, db_journal_cb cb, void *arg)
{
	char hex[2 * JOURNAL_BLOB_MAX + 1];
	/* before any conversion: sqlite3_column_text would turn a BLOB into text */
	bool blob = sqlite3_column_type(st, 5) == SQLITE_BLOB;
	struct db_journal_row row = {
		.from = (uint32_t)sqlite3_column_int64(st, 0),
		.to = (uint32_t)sqlite3_column_int64(st, 1),
		.op = sqlite3_column_int(st, 2),
		.name = (const char *)sqlite3_column_text(st, 3),
		.type = (const char *)sqlite3_column_text(st, 4),
		.value = hex,
		.ttl = (uint32_t)sqlite3_column_int64(st, 6),
	};

	/* a signed zone's RRSIG or NSEC3 RDATA: handed on in hex */
	if (blob) {
		int n = sqlite3_column_bytes(st, 5);
		if (n > JOURNAL_BLOB_MAX)
			return DD_EDB;
		sodium_bin2hex(hex, sizeof(hex), sqlite3_column_blob(st, 5), (size_t)n);
	} else {
		row.value = (const char *)sqlite3_column_text(st, 5);
	}
	return cb(arg, &row);
}

int
db_journal_foreach_newest(struct db *db, const char *zone, int64_t defttl, db_journal_cb cb,
			  void *arg)
{
	sqlite3_stmt *st = NULL;
	int r = SQLITE_DONE, rc = 0;

	if (db_prep(db_sqlite(db),
		    "SELECT from_serial, serial, op, name, type, value, coalesce(ttl, ?2) "
		    "FROM journal WHERE zone = ?1 AND serial IS NOT NULL ORDER BY id DESC",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, defttl);
	while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW)
		rc = db_journal_row_call(st, cb, arg);
	if (rc == 0 && r != SQLITE_DONE)
		rc = DD_EDB;
	sqlite3_reset(st);
	return rc;
}


int
db_journal_pool_add(struct db *db, const char *name, int op)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (db_prep(db_sqlite(db),
		    "INSERT INTO journal (zone, op, name, type, value, ttl) SELECT "
		    "dd_zone(name), ?2, name, type, value, ttl FROM pool_rrs WHERE "
		    "name = ?1 AND xfr_up = 1 AND dd_zone(name) IS NOT NULL",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, op);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : DD_EDB;
}

int
db_journal_member_add(struct db *db, const char *name, const char *ip, int64_t ttl, int op)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (db_prep(db_sqlite(db),
		    "INSERT INTO journal (zone, op, name, type, value, ttl) SELECT "
		    "dd_zone(?1), ?2, ?1, CASE WHEN instr(?3, ':') THEN 'AAAA' ELSE "
		    "'A' END, ?3, ?4 WHERE dd_zone(?1) IS NOT NULL",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, op);
	sqlite3_bind_text(st, 3, ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, ttl);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : DD_EDB;
}
