/*
 * writer_zone.c - whole zones: a replacement (zone import) and a secondary's
 * transfers (AXFR, IXFR) in one transaction each.
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

/* Names (distinct) currently stored in zone slot zone; malloc'd array. */
static int
writer_zone_names(struct writer *w, unsigned zone, char ***out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	char **names = NULL;
	size_t cnt = 0;
	int step;

	*out = NULL;
	*n = 0;
	if (db_prep(db_sqlite(w->db), "SELECT DISTINCT name FROM records", &st) != SQLITE_OK)
		return DD_EDB;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *nm = (const char *)sqlite3_column_text(st, 0);
		char **grown;
		if (nm == NULL || writer_zone_of(w, nm) != (int)zone)
			continue;
		if ((grown = realloc(names, (cnt + 1) * sizeof(char *))) == NULL)
			break;
		names = grown;
		names[cnt++] = strdup(nm);
	}
	sqlite3_reset(st);
	*out = names;
	*n = cnt;
	return step == SQLITE_DONE ? 0 : DD_EDB;
}

/* Inside the open transaction: old rows out, new rows in, audit, serial. */
static int
writer_zone_swap(struct writer *w, const struct writer_actor *who, unsigned zone,
		 const struct writer_rr *rr, size_t n, enum bump_mode mode, uint32_t serial,
		 char **old, size_t nold, size_t *removed, size_t *added)
{
	sqlite3 *h = db_sqlite(w->db);
	sqlite3_stmt *del = NULL, *ins = NULL;
	char summary[64];
	int rc = DD_EDB;

	if (db_prep(h, "DELETE FROM records WHERE name = ?1", &del) ||
	    db_prep(h,
			       "INSERT OR IGNORE INTO records (name, type, value, ttl, id) "
			       "VALUES (?1, ?2, ?3, ?4, ?5)", &ins))
		goto done;
	for (size_t i = 0; i < nold; i++) {
		sqlite3_reset(del);
		sqlite3_bind_text(del, 1, old[i], -1, SQLITE_STATIC);
		if (sqlite3_step(del) != SQLITE_DONE)
			goto done;
		*removed += (size_t)sqlite3_changes(h);
	}
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, rr[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, names_type_str(rr[i].type), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, rr[i].value, -1, SQLITE_STATIC);
		if (rr[i].ttl >= 0)
			sqlite3_bind_int64(ins, 4, rr[i].ttl);
		else
			sqlite3_bind_null(ins, 4);
		sqlite3_bind_int64(ins, 5, writer_next_id(w));
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto done;
		*added += (size_t)sqlite3_changes(h);
	}
	snprintf(summary, sizeof(summary), "%zu records", *added);
	if (writer_audit_row(w, who, mode == BUMP_EXACT ? "transfer" : "import",
			     w->cfg->zones[zone].name, NULL, NULL, summary) == 0 &&
	    writer_zone_bump(w, zone, mode, serial) == 0)
		rc = 0;
done:
	if (rc < 0)
		log_warnx("%s: zone import: %s", db_path(w->db), sqlite3_errmsg(h));
	sqlite3_reset(del);
	sqlite3_reset(ins);
	return rc;
}

/* RFC 1034 3.6.2 within the new set: a CNAME owner has nothing else. */
static bool
writer_rr_cname_ok(const struct writer_rr *rr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (rr[i].type != 5)
			continue;
		for (size_t j = 0; j < n; j++)
			if (j != i && strcmp(rr[i].name, rr[j].name) == 0)
				return false;
	}
	return true;
}

/* A secondary's SOA fields and NS names, inside the transaction. */
static int
writer_zone_meta(struct writer *w, unsigned zone, const char *soa, const char *ns)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(db_sqlite(w->db), "UPDATE zones SET soa = ?2, ns = ?3 WHERE name = ?1", &st) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, w->cfg->zones[zone].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, soa, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, ns, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

static int
writer_zone_replace(struct writer *w, const struct writer_actor *who, unsigned zone,
		    const struct writer_rr *rr, size_t n, enum bump_mode mode, uint32_t min_serial,
		    const char *soa, const char *ns, size_t *removed, size_t *added)
{
	char **old = NULL;
	size_t nold = 0;
	int rc;

	*removed = *added = 0;
	if (zone >= w->cfg->nzones)
		return DD_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (writer_zone_of(w, rr[i].name) != (int)zone)
			return DD_EINVAL;
	if (!writer_rr_cname_ok(rr, n))
		return DD_EEXIST;
	if (writer_begin(w) < 0)
		return DD_EDB;
	rc = writer_zone_names(w, zone, &old, &nold);
	if (rc == 0)
		rc = writer_zone_swap(w, who, zone, rr, n, mode, min_serial, old, nold, removed,
				      added);
	if (rc == 0 && soa)
		rc = writer_zone_meta(w, zone, soa, ns ? ns : "");
	if (rc < 0 || writer_txn(w, DB_COMMIT) < 0) {
		writer_txn(w, DB_ROLLBACK);
		util_strv_free(old, nold);
		w->db_failed = true;
		*removed = *added = 0;
		return DD_EDB;
	}
	w->db_failed = false;
	/* the table follows: every name that was or now is in the zone */
	for (size_t i = 0; i < nold; i++)
		if ((rc = writer_publish(w, old[i])) < 0)
			log_warnx("publishing %s: %s", old[i], dd_strerror(rc));
	for (size_t i = 0; i < n; i++)
		if ((rc = writer_publish(w, rr[i].name)) < 0)
			log_warnx("publishing %s: %s", rr[i].name, dd_strerror(rc));
	writer_zone_serial_publish(w, zone);
	util_strv_free(old, nold);
	if (soa && (rc = writer_publish_zone(w, zone)) < 0)
		log_warnx("zone %s: %s", w->cfg->zones[zone].name, dd_strerror(rc));
	if (w->stats && mode != BUMP_EXACT)
		w->stats->updates[writer_source(who->source)]++;
	return 0;
}

int
writer_replace_zone(struct writer *w, const struct writer_actor *who, unsigned zone,
		    const struct writer_rr *rr, size_t n, uint32_t min_serial, size_t *removed,
		    size_t *added)
{
	return writer_zone_replace(w, who, zone, rr, n, BUMP_MIN, min_serial, NULL, NULL, removed,
				   added);
}

int
writer_transfer_zone(struct writer *w, const struct writer_actor *who, unsigned zone,
		     const struct writer_rr *rr, size_t n, uint32_t serial, const char *soa,
		     const char *ns, size_t *removed, size_t *added)
{
	return writer_zone_replace(w, who, zone, rr, n, BUMP_EXACT, serial, soa, ns, removed,
				   added);
}

int
writer_transfer_diff(struct writer *w, const struct writer_actor *who, unsigned zone,
		     const struct writer_diff *d, size_t n, uint32_t serial)
{
	sqlite3 *h = db_sqlite(w->db);
	sqlite3_stmt *del = NULL, *ins = NULL;
	char summary[64];
	int rc = DD_EDB;

	if (zone >= w->cfg->nzones)
		return DD_EINVAL;
	if (writer_begin(w) < 0)
		return DD_EDB;
	if (db_prep(h, "DELETE FROM records WHERE name = ?1 AND type = ?2 AND value = ?3", &del) ||
	    db_prep(h,
			       "INSERT INTO records (name, type, value, ttl, id) VALUES (?1, ?2, ?3, ?4, ?5) "
			       "ON CONFLICT (name, type, value) DO UPDATE SET ttl = excluded.ttl", &ins))
		goto done;
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st = d[i].op ? ins : del;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, d[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, names_type_str(d[i].type), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, d[i].value, -1, SQLITE_STATIC);
		if (d[i].op) {
			sqlite3_bind_int64(st, 4, d[i].ttl);
			sqlite3_bind_int64(st, 5, writer_next_id(w));
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			goto done;
	}
	snprintf(summary, sizeof(summary), "%zu changes", n);
	if (writer_audit_row(w, who, "transfer", w->cfg->zones[zone].name, NULL, NULL, summary) < 0 ||
	    writer_zone_bump(w, zone, BUMP_EXACT, serial) < 0)
		goto done;
	rc = 0;
done:
	sqlite3_reset(del);
	sqlite3_reset(ins);
	if (rc < 0 || writer_txn(w, DB_COMMIT) < 0) {
		log_warnx("%s: incremental transfer: %s", db_path(w->db), sqlite3_errmsg(h));
		writer_txn(w, DB_ROLLBACK);
		w->db_failed = true;
		return DD_EDB;
	}
	w->db_failed = false;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(d[k].name, d[i].name) == 0;
		if (!seen && (rc = writer_publish(w, d[i].name)) < 0)
			log_warnx("publishing %s: %s", d[i].name, dd_strerror(rc));
	}
	writer_zone_serial_publish(w, zone);
	return 0;
}
