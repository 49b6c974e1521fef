/*
 * writer_retention.c - retention: the IXFR journal and the audit log trimmed in
 * bounded steps inside the open group (docs/decisions/0010).  The policy and
 * the per-zone change counts are here; the reads and deletes are the stores'
 * (daemon/db_journal.c, daemon/db_audit.c).
 */
#include "workers/writer.h"
#include "workers/writer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_audit.h"
#include "daemon/db_journal.h"
#include "daemon/db_writer.h"
#include "daemon/dd.h"
#include "daemon/log.h"

/* ---------------------------------------------------------------- retention */

/*
 * Drops zone slot z's oldest change groups, whole (an IXFR never sees half
 * of one): those past journal.max_changes and those older than
 * journal.max_age.  Stops at a group boundary once budget rows went.
 * Returns the rows deleted, or DD_EDB.
 */
static long
writer_trim_journal(struct writer *w, size_t z, long budget, int64_t now)
{
	const char *zone = w->cfg->zones[z].name;
	int64_t n = w->jgroups[z], gone = 0;
	long rows;

	/* counted once from the table, then kept up by the bumps and the trims */
	if (n < 0 && (n = db_journal_groups_count(w->db, zone)) < 0)
		return DD_EDB;
	rows = db_journal_trim(w->db, zone, n - (int64_t)w->cfg->journal.max_changes,
			       now - (int64_t)w->cfg->journal.max_age, budget, &gone);
	if (rows < 0)
		return DD_EDB;
	w->jgroups[z] = n - gone;
	return rows;
}

/* Drops the oldest audit rows past audit.max_rows or audit.max_age, up to budget. */
static long
writer_trim_audit(struct writer *w, long budget, int64_t now)
{
	int64_t cut = -1, hi;
	int rc;

	/* ids grow by one per row and rows only ever go from the old end */
	if (w->cfg->audit.max_rows > 0) {
		if ((rc = db_audit_max_id(w->db, &hi)) == DD_EDB)
			return DD_EDB;
		if (rc == 0)
			cut = hi - (int64_t)w->cfg->audit.max_rows;
	}
	return db_audit_trim(w->db, cut, now - (int64_t)w->cfg->audit.max_age, budget);
}

/* Is zone slot z's journal past a limit?  A failed count is "yes": the step reports it. */
static bool
writer_journal_due(struct writer *w, size_t z, int64_t now)
{
	const char *zone = w->cfg->zones[z].name;
	int64_t ts;

	if (w->jgroups[z] < 0 && (w->jgroups[z] = db_journal_groups_count(w->db, zone)) < 0)
		return true;
	if (w->jgroups[z] > (int64_t)w->cfg->journal.max_changes)
		return true;
	return db_journal_oldest_ts(w->db, zone, &ts) == 0 && ts >= 0 &&
	       ts < now - (int64_t)w->cfg->journal.max_age;
}

/*
 * Is anything past a limit?  A few index reads, so that an idle server
 * opens no transaction (and syncs nothing) for its retention.
 */
static bool
writer_trim_due(struct writer *w, int64_t now)
{
	int64_t ts, lo, hi;

	for (size_t z = 0; z < w->cfg->nzones; z++)
		if (writer_journal_due(w, z, now))
			return true;
	if (db_audit_min_id(w->db, &lo) != 0)
		return false; /* empty (or unreadable: the next step looks again) */
	if (db_audit_max_id(w->db, &hi) != 0)
		hi = -1;
	if (w->cfg->audit.max_rows > 0 && hi - lo + 1 > (int64_t)w->cfg->audit.max_rows)
		return true;
	return db_audit_oldest_ts(w->db, &ts) == 0 && ts >= 0 &&
	       ts < now - (int64_t)w->cfg->audit.max_age;
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
			  db_errmsg(w->db));
		writer_jgroups_forget(w);
	}
	if (!w->group_on && (rc = writer_group_commit(w)) < 0)
		return rc;
	return r < 0 ? DD_EDB : more;
}
