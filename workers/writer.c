/*
 * writer.c - the writer's connection and its life: open (PRAGMAs, the journal
 * triggers, the outbox cursors), events for notify: targets, the shared
 * helpers of the writer_*.c files (see writer_int.h).
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

void
writer_set_commit_hook(struct writer *w, writer_commit_cb cb, void *arg)
{
	w->on_commit = cb;
	w->on_commit_arg = arg;
}

/* dd_zone(name): the configured zone name holds, or NULL. */
static void
writer_sql_zone(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct writer *w = sqlite3_user_data(ctx);
	const char *name = (const char *)sqlite3_value_text(argv[0]);
	int z;

	(void)argc;
	z = name ? cfg_zone_of_name(w->cfg, name) : -1;
	if (z < 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, w->cfg->zones[z].name, -1, SQLITE_STATIC);
}

/* A pool as secondaries and UPDATE prerequisites see it: A/AAAA rows. */
#define WRITER_POOL_RRS                                                                           \
	"CREATE TEMP VIEW pool_rrs AS SELECT p.name AS name, CASE WHEN instr(m.ip, ':') "        \
	"THEN 'AAAA' ELSE 'A' END AS type, m.ip AS value, p.ttl AS ttl, m.xfr_up AS xfr_up "     \
	"FROM main.pools p JOIN main.pool_members m ON m.pool_id = p.id;"

int
writer_reader_open(struct writer *w, struct sqlite3 **out)
{
	sqlite3 *h = NULL;

	*out = NULL;
	if (sqlite3_open_v2(db_path(w->db), &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK ||
	    sqlite3_create_function(h, "dd_zone", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, w,
				    writer_sql_zone, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(h, WRITER_POOL_RRS, NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("%s: a read connection: %s", db_path(w->db),
			  h ? sqlite3_errmsg(h) : "out of memory");
		sqlite3_close(h);
		return DD_EDB;
	}
	sqlite3_busy_timeout(h, 5000);
	*out = h;
	return 0;
}

/*
 * Every change to records, whoever makes it on this connection, leaves
 * journal rows (serial NULL until the zone's serial is bumped).  The
 * triggers are TEMP: they exist only on the writer's connection, so other
 * tools writing the file (sqlite3, a restore) are not tied to dd_zone().
 */
static int
writer_journal_setup(struct writer *w)
{
	static const char *const sql =
		"CREATE TEMP TRIGGER journal_ins AFTER INSERT ON main.records "
		"WHEN dd_zone(NEW.name) IS NOT NULL BEGIN "
		"INSERT INTO journal (zone, op, name, type, value, ttl) VALUES "
		"(dd_zone(NEW.name), 1, NEW.name, NEW.type, NEW.value, NEW.ttl); END;"
		"CREATE TEMP TRIGGER journal_del AFTER DELETE ON main.records "
		"WHEN dd_zone(OLD.name) IS NOT NULL BEGIN "
		"INSERT INTO journal (zone, op, name, type, value, ttl) VALUES "
		"(dd_zone(OLD.name), 0, OLD.name, OLD.type, OLD.value, OLD.ttl); END;"
		"CREATE TEMP TRIGGER journal_upd AFTER UPDATE OF name, type, value, ttl ON "
		"main.records BEGIN "
		"INSERT INTO journal (zone, op, name, type, value, ttl) SELECT "
		"dd_zone(OLD.name), 0, OLD.name, OLD.type, OLD.value, OLD.ttl WHERE "
		"dd_zone(OLD.name) IS NOT NULL; "
		"INSERT INTO journal (zone, op, name, type, value, ttl) SELECT "
		"dd_zone(NEW.name), 1, NEW.name, NEW.type, NEW.value, NEW.ttl WHERE "
		"dd_zone(NEW.name) IS NOT NULL; END;" WRITER_POOL_RRS;
	sqlite3 *h = db_sqlite(w->db);
	char *err = NULL;

	if (sqlite3_create_function(h, "dd_zone", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, w,
				    writer_sql_zone, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("%s: journal triggers: %s", db_path(w->db), err ? err : sqlite3_errmsg(h));
		sqlite3_free(err);
		return DD_EDB;
	}
	return 0;
}

/*
 * Which events the notify: targets want, and a cursor for every target that
 * has none yet (starting after the newest event: a new target is not sent
 * the past).  Runs before the writer takes any write, so a target never
 * misses an event of this process's life.
 */
static int
writer_outbox_setup(struct writer *w)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	snprintf(w->wanted, sizeof(w->wanted), ",");
	for (size_t i = 0; i < w->cfg->nnotify; i++)
		for (size_t k = 0; k < w->cfg->notify[i].nevents; k++) {
			char key[64];
			snprintf(key, sizeof(key), ",%s,", w->cfg->notify[i].events[k]);
			if (strstr(w->wanted, key) == NULL &&
			    strlen(w->wanted) + strlen(key) < sizeof(w->wanted)) {
				strcat(w->wanted, key + 1);
			}
		}
	if (w->cfg->nnotify == 0)
		return 0;
	if (db_prep(db_sqlite(w->db),
			       "INSERT OR IGNORE INTO outbox_cursor (target, last_id) SELECT ?1, "
			       "coalesce(max(id), 0) FROM outbox", &st) != SQLITE_OK)
		return DD_EDB;
	for (size_t i = 0; i < w->cfg->nnotify && rc == 0; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, w->cfg->notify[i].name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = DD_EDB;
	}
	sqlite3_reset(st);
	return rc;
}

bool
writer_wants_event(const struct writer *w, const char *event)
{
	char key[64];
	snprintf(key, sizeof(key), ",%s,", event);
	return strstr(w->wanted, key) != NULL;
}

/* One outbox row, inside the caller's transaction; nothing if no target wants it. */
int
writer_outbox_row(struct writer *w, const char *event, const char *name, const char *type,
		  const char *value, const char *old, const char *detail)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (!writer_wants_event(w, event))
		return 0;
	if (db_prep(db_sqlite(w->db),
			       "INSERT INTO outbox (event, name, type, value, old_value, detail) VALUES "
			       "(?1, ?2, ?3, ?4, ?5, ?6)", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, event, -1, SQLITE_STATIC);
	if (name)
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (type)
		sqlite3_bind_text(st, 3, type, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(st, 4, value, -1, SQLITE_STATIC);
	if (old)
		sqlite3_bind_text(st, 5, old, -1, SQLITE_STATIC);
	if (detail)
		sqlite3_bind_text(st, 6, detail, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_reset(st);
	return rc;
}

int
writer_event(struct writer *w, const char *event, const char *name, const char *value,
	     const char *detail)
{
	int rc;

	if (!writer_wants_event(w, event))
		return 0;
	if (writer_begin(w) < 0)
		return DD_EDB;
	rc = writer_outbox_row(w, event, name, NULL, value, NULL, detail);
	if (rc < 0 || writer_exec(w, "COMMIT") < 0) {
		writer_exec(w, "ROLLBACK");
		return DD_EDB;
	}
	return 0;
}

int
writer_create(struct writer **out, const struct cfg *cfg, struct shm_table *t, const char *db_path)
{
	struct writer *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (w == NULL || (w->zone_changed = calloc(cfg->nzones + 1, sizeof(bool))) == NULL ||
	    (w->group_zone = calloc(cfg->nzones + 1, sizeof(bool))) == NULL ||
	    (w->jgroups = calloc(cfg->nzones + 1, sizeof(int64_t))) == NULL) {
		if (w) {
			free(w->zone_changed);
			free(w->group_zone);
		}
		free(w);
		return DD_ENOMEM;
	}
	for (size_t z = 0; z < cfg->nzones; z++)
		w->jgroups[z] = -1;
	w->wtail = &w->waiters;
	w->ttail = &w->tickets;
	w->wal_fd = w->sync_efd = -1;
	w->npools = -1;
	w->cfg = cfg;
	w->t = t;
	/* a group's WAL frames go down in one write (daemon/walbuf.h) */
	if ((rc = db_open_vfs(db_path, walbuf_register() == SQLITE_OK ? WALBUF_VFS : NULL,
			      &w->db)) < 0) {
		free(w->zone_changed);
		free(w->group_zone);
		free(w->jgroups);
		free(w);
		return rc;
	}
	/* savepoints journal in memory (no temporary file per group), and the
	 * pages a stream of updates touches stay cached */
	if ((rc = writer_exec(w, "PRAGMA temp_store = MEMORY")) < 0 ||
	    (rc = writer_exec(w, "PRAGMA cache_size = -65536")) < 0 ||
	    /* the notifier checkpoints once a second; this is the safety net */
	    (rc = writer_exec(w, "PRAGMA wal_autocheckpoint = 16384")) < 0 ||
	    (rc = writer_journal_setup(w)) < 0 || (rc = writer_outbox_setup(w)) < 0) {
		writer_destroy(w);
		return rc;
	}
	*out = w;
	return 0;
}

void
writer_destroy(struct writer *w)
{
	if (w == NULL)
		return;
	writer_group_commit(w);
	writer_sync_stop(w);
	db_close(w->db);
	free(w->zone_changed);
	free(w->group_zone);
	free(w->jgroups);
	free(w->pend);
	free(w);
}

struct db *
writer_db(struct writer *w)
{
	return w->db;
}

void
writer_set_stats(struct writer *w, struct shm_worker_stats *stats)
{
	w->stats = stats;
}

bool
writer_db_failed(const struct writer *w)
{
	return w->db_failed;
}

int
writer_zone_of(const struct writer *w, const char *name)
{
	return cfg_zone_of_name(w->cfg, name);
}

int64_t
writer_owner_of(struct writer *w, const char *name)
{
	sqlite3_stmt *st = NULL;
	int64_t owner = 0;

	if (db_prep(db_sqlite(w->db),
			       "SELECT owner_id FROM records WHERE name = ?1 AND owner_id IS NOT NULL "
			       "UNION ALL SELECT owner_id FROM pools WHERE name = ?1 AND owner_id "
			       "IS NOT NULL LIMIT 1", &st) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		owner = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return owner;
}

/* The journal's group counts are taken again from the table (writer_trim). */
void
writer_jgroups_forget(struct writer *w)
{
	for (size_t z = 0; z < w->cfg->nzones; z++)
		w->jgroups[z] = -1;
}

int
writer_exec(struct writer *w, const char *sql)
{
	sqlite3 *h = db_sqlite(w->db);
	sqlite3_stmt *st = NULL;
	int rc = db_prep(h, sql, &st);

	/* one statement, kept prepared (BEGIN, SAVEPOINT, COMMIT... run often) */
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
		sqlite3_reset(st);
	}
	/* a transaction that rolls back may have bumped or trimmed the journal */
	if (strncmp(sql, "ROLLBACK", 8) == 0 && strncmp(sql, "ROLLBACK TO", 11) != 0)
		writer_jgroups_forget(w);
	if (rc != SQLITE_OK) {
		log_warnx("%s: %s: %s", db_path(w->db), sql, sqlite3_errmsg(h));
		return DD_EDB;
	}
	return 0;
}

/* An explicit transaction of its own: the open group is committed first. */
int
writer_begin(struct writer *w)
{
	if (writer_group_commit(w) == DD_EDB)
		return DD_EDB;
	return writer_exec(w, "BEGIN IMMEDIATE");
}
