/*
 * writer_retention.c - retention: the IXFR journal and the audit log trimmed in
 * bounded steps inside the open group (docs/decisions/0010).
 */
#include "workers/writer.h"
#include "workers/writer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_writer.h"
#include "daemon/dd.h"
#include "daemon/load.h"
#include "daemon/log.h"
#include "daemon/pooldb.h"
#include "daemon/util.h"
#include "daemon/walbuf.h"
#include "daemon/names.h"
#include "shm/pool.h"
#include "shm/stats.h"
#include "shm/table.h"

/* ---------------------------------------------------------------- retention */

/* Change groups (rows sharing from_serial and serial) of zone slot z's journal. */
static int64_t
writer_jgroups_count(struct writer *w, size_t z)
{
	sqlite3_stmt *st = NULL;
	int64_t n = 0, f0 = 0, s0 = 0;
	int r;

	if (db_prep(db_sqlite(w->db),
			       "SELECT from_serial, serial FROM journal WHERE zone = ?1 AND serial IS "
			       "NOT NULL ORDER BY id", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, w->cfg->zones[z].name, -1, SQLITE_STATIC);
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

/*
 * Drops zone slot z's oldest change groups, whole (an IXFR never sees half
 * of one): those past journal.max_changes and those older than
 * journal.max_age.  Stops at a group boundary once budget rows went.
 * Returns the rows deleted, or DD_EDB.
 */
static long
writer_trim_journal(struct writer *w, size_t z, long budget, int64_t now)
{
	sqlite3 *h = db_sqlite(w->db);
	sqlite3_stmt *st = NULL;
	int64_t n = w->jgroups[z], excess, f0 = 0, s0 = 0, last = -1;
	int64_t agecut = now - (int64_t)w->cfg->journal.max_age;
	long rows = 0;
	int r;

	if (n < 0 && (n = writer_jgroups_count(w, z)) < 0)
		return DD_EDB;
	excess = n - (int64_t)w->cfg->journal.max_changes;
	if (db_prep(h, "SELECT id, from_serial, serial, ts FROM journal WHERE zone = ?1 ORDER BY id",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, w->cfg->zones[z].name, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t f = sqlite3_column_int64(st, 1), sv = sqlite3_column_int64(st, 2);
		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			break; /* the open transaction's rows: the newest */
		if (last < 0 || f != f0 || sv != s0) {
			/* the next group: dropped whole, or it and all after it stay */
			if (rows >= budget || (excess <= 0 && sqlite3_column_int64(st, 3) >= agecut))
				break;
			excess--;
			n--;
			f0 = f;
			s0 = sv;
		}
		last = sqlite3_column_int64(st, 0);
		rows++;
	}
	sqlite3_reset(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return DD_EDB;
	if (last >= 0) {
		if (db_prep(h, "DELETE FROM journal WHERE zone = ?1 AND id <= ?2", &st) != SQLITE_OK)
			return DD_EDB;
		sqlite3_bind_text(st, 1, w->cfg->zones[z].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, last);
		r = sqlite3_step(st);
		sqlite3_reset(st);
		if (r != SQLITE_DONE)
			return DD_EDB;
	}
	w->jgroups[z] = n;
	return rows;
}

/* Drops the oldest audit rows past audit.max_rows or audit.max_age, up to budget. */
static long
writer_trim_audit(struct writer *w, long budget, int64_t now)
{
	sqlite3 *h = db_sqlite(w->db);
	sqlite3_stmt *st = NULL;
	int64_t cut = -1, last = -1, agecut = now - (int64_t)w->cfg->audit.max_age;
	long rows = 0;
	int r;

	/* ids grow by one per row and rows only ever go from the old end */
	if (w->cfg->audit.max_rows > 0) {
		if (db_prep(h, "SELECT max(id) FROM audit", &st) != SQLITE_OK)
			return DD_EDB;
		if (sqlite3_step(st) == SQLITE_ROW)
			cut = sqlite3_column_int64(st, 0) - (int64_t)w->cfg->audit.max_rows;
		sqlite3_reset(st);
	}
	if (db_prep(h, "SELECT id, ts FROM audit ORDER BY id LIMIT ?1", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_int64(st, 1, budget);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id > cut && sqlite3_column_int64(st, 1) >= agecut)
			break;
		last = id;
		rows++;
	}
	sqlite3_reset(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
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

/* The first column of the first row of sql (?1 = text), or -1 when none. */
static int64_t
writer_first_int(struct writer *w, const char *sql, const char *text)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (db_prep(db_sqlite(w->db), sql, &st) != SQLITE_OK)
		return -1;
	if (text)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/*
 * Is anything past a limit?  A few index reads, so that an idle server
 * opens no transaction (and syncs nothing) for its retention.
 */
static bool
writer_trim_due(struct writer *w, int64_t now)
{
	int64_t ts, lo, hi;

	for (size_t z = 0; z < w->cfg->nzones; z++) {
		if (w->jgroups[z] < 0 && (w->jgroups[z] = writer_jgroups_count(w, z)) < 0)
			return true; /* the step reports the error */
		if (w->jgroups[z] > (int64_t)w->cfg->journal.max_changes)
			return true;
		ts = writer_first_int(w, "SELECT ts FROM journal WHERE zone = ?1 ORDER BY id LIMIT 1",
				      w->cfg->zones[z].name);
		if (ts >= 0 && ts < now - (int64_t)w->cfg->journal.max_age)
			return true;
	}
	lo = writer_first_int(w, "SELECT min(id) FROM audit", NULL);
	hi = writer_first_int(w, "SELECT max(id) FROM audit", NULL);
	if (lo < 0)
		return false;
	if (w->cfg->audit.max_rows > 0 && hi - lo + 1 > (int64_t)w->cfg->audit.max_rows)
		return true;
	ts = writer_first_int(w, "SELECT ts FROM audit ORDER BY id LIMIT 1", NULL);
	return ts >= 0 && ts < now - (int64_t)w->cfg->audit.max_age;
}

int
writer_trim(struct writer *w, long budget)
{
	int64_t now = (int64_t)time(NULL);
	bool more = false;
	long r = 0;
	int rc;

	if (!writer_trim_due(w, now))
		return 0;
	if ((rc = writer_group_begin(w)) < 0)
		return rc;
	for (size_t z = 0; z < w->cfg->nzones && r >= 0; z++)
		if ((r = writer_trim_journal(w, z, budget, now)) >= budget)
			more = true;
	if (r >= 0 && (r = writer_trim_audit(w, budget, now)) >= budget)
		more = true;
	if (r < 0) {
		log_warnx("%s: trimming the journal and the audit log: %s", db_path(w->db),
			  sqlite3_errmsg(db_sqlite(w->db)));
		writer_jgroups_forget(w);
	}
	if (!w->group_on && (rc = writer_group_commit(w)) < 0)
		return rc;
	return r < 0 ? DD_EDB : more;
}
