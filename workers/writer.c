/*
 * writer.c - the one write path (see writer.h).
 *
 * Order of a write: BEGIN IMMEDIATE (or join the open group's transaction)
 * and SAVEPOINT; per set, read the RRset, compare as a set of values (order
 * and duplicates ignored) plus TTL; if different, replace the rows and add
 * an audit row; RELEASE.  At the group's end: bump the SOA serial of every
 * zone that changed (RFC 1982 arithmetic: +1 modulo 2^32); COMMIT (WAL,
 * synchronous=FULL: durable once it returns); then republish each changed
 * name into the shared table from its committed rows, and only then run the
 * callbacks that acknowledge the writes.  A crash between
 * COMMIT and publish loses nothing: the master rebuilds the table from SQLite
 * when the writer dies.
 */
#include "workers/writer.h"

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

struct writer {
	const struct cfg *cfg;
	struct shm_table *t;
	struct db *db;
	bool db_failed;
	struct shm_worker_stats *stats;
	/* zones changed by the current transaction */
	bool *zone_changed;
	/* group commit (writer_group_init): one transaction for many writer_apply */
	bool group_on;
	bool group_open;         /* BEGIN done, COMMIT pending */
	bool *group_zone;        /* zones changed by the open group */
	char **pend;             /* names to republish after the COMMIT */
	size_t npend, pend_cap;
	struct writer_waiter *waiters, **wtail;
	void (*schedule)(void *);
	void *schedule_arg;
	/*
	 * Pipelined durability (writer_sync_start): a group's COMMIT writes the
	 * WAL without waiting for the disk (synchronous=NORMAL for that one
	 * transaction), the sync thread fdatasyncs the WAL while the loop goes
	 * on with the next group, and the group's callbacks run once the sync
	 * that covers it is done (writer_sync_done, from sync_efd).
	 */
	bool sync_on;
	int wal_fd;
	int sync_efd;
	pthread_t sync_thr;
	pthread_mutex_t sync_mu;
	pthread_cond_t sync_cv;
	uint64_t sync_want;      /* highest group sequence handed to the thread */
	uint64_t sync_done;      /* highest sequence the thread made durable */
	int sync_err;            /* errno of a failed fdatasync, sticky */
	bool sync_stop;
	uint64_t seq;            /* groups committed */
	uint64_t durable;        /* groups whose callbacks ran */
	struct writer_ticket *tickets, **ttail;
	writer_commit_cb on_commit;
	void *on_commit_arg;
	char wanted[512];     /* ",event,..." some notify target wants (outbox rows) */
	int64_t last_id;      /* records.id last given (writer_next_id) */
	int64_t npools;       /* rows in pools; -1: to be counted (writer_pools_none) */
	int64_t *jgroups;     /* per zone: change groups in the journal; -1: to be counted */
	int64_t group_tc0;    /* sqlite3_total_changes64 when the open group began */
};

/*
 * records.id of a new row: the clock in microseconds, strictly increasing
 * within the process, so row order is the order rows came in (db.c v7).
 */
static int64_t
writer_next_id(struct writer *w)
{
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	w->last_id = now > w->last_id ? now : w->last_id + 1;
	return w->last_id;
}

void
writer_set_commit_hook(struct writer *w, writer_commit_cb cb, void *arg)
{
	w->on_commit = cb;
	w->on_commit_arg = arg;
}

/* After COMMIT: zone z's serial moved; the table has it. */
static void
writer_zone_serial_set(struct writer *w, unsigned z)
{
	uint32_t serial;

	if (db_zone_sync(w->db, w->cfg->zones[z].name, &serial) == 0)
		shm_zone_set_serial(w->t, z, serial);
}

/* ... and once durable, whoever listens is told (NOTIFY). */
static void
writer_zone_serial_publish(struct writer *w, unsigned z)
{
	writer_zone_serial_set(w, z);
	if (w->on_commit)
		w->on_commit(w->on_commit_arg, z);
}

static int writer_exec(struct writer *w, const char *sql);
static int writer_begin(struct writer *w);
static void writer_sync_stop(struct writer *w);

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
static int
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

static enum stats_source
writer_source(const char *s)
{
	for (int i = 0; i < STATS_SRC_MAX; i++)
		if (s && strcmp(s, shm_stats_source_name((enum stats_source)i)) == 0)
			return (enum stats_source)i;
	return STATS_SRC_HTTP;
}

/* Counts the outcome of one writer_apply. */
static int
writer_count(struct writer *w, const struct writer_actor *who, const struct writer_result *res,
	     size_t n, int rc)
{
	enum stats_source src = writer_source(who->source);

	if (w->stats == NULL)
		return rc;
	if (rc < 0 && rc != DD_ENOSPC) {
		w->stats->update_errors++;
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		if (res[i].changed)
			w->stats->updates[src]++;
		else
			w->stats->updates_unchanged[src]++;
	}
	return rc;
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

void
writer_result_fini(struct writer_result *res)
{
	for (size_t i = 0; i < res->nold; i++)
		free(res->old[i]);
	free(res->old);
	memset(res, 0, sizeof(*res));
}

/* The journal's group counts are taken again from the table (writer_trim). */
static void
writer_jgroups_forget(struct writer *w)
{
	for (size_t z = 0; z < w->cfg->nzones; z++)
		w->jgroups[z] = -1;
}

static int
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

/* What the name's other rows say about a set (writer_read_old). */
struct writer_name {
	bool cname_clash; /* RFC 1034 3.6.2: s would put a CNAME beside other data */
	int64_t owner;    /* owner_id of the name's rows; 0: none; -1: not read */
};

/*
 * Reads the current RRset (type 0: every row of the name) into res.  For one
 * type, the same single walk over the name's rows (the table's key starts
 * with the name) also gives the CNAME clash and the rows' owner, which
 * would otherwise take a query each.
 */
static int
writer_read_old(struct writer *w, const struct writer_set *s, struct writer_result *res,
		struct writer_name *nm)
{
	sqlite3_stmt *st = NULL;
	/* one type: the rows come in key order and are put in the order they
	 * arrived (id) here, a few values, rather than by an SQLite sorter */
	const char *sql = s->type ? "SELECT value, ttl, type, owner_id, id FROM records "
				    "WHERE name = ?1"
				  : "SELECT type || ' ' || value, ttl FROM records WHERE name = ?1 "
				    "ORDER BY type, id";
	const char *want = s->type ? names_type_str(s->type) : NULL;
	int64_t *ids = NULL, ttl_id = INT64_MIN;
	int step;

	res->old_ttl = -1;
	nm->cname_clash = false;
	nm->owner = s->type ? 0 : -1;
	if (db_prep(db_sqlite(w->db), sql, &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		char **grown;
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (want) {
			const char *type = (const char *)sqlite3_column_text(st, 2);
			if (nm->owner == 0 && sqlite3_column_type(st, 3) != SQLITE_NULL)
				nm->owner = sqlite3_column_int64(st, 3);
			if (type == NULL || strcmp(type, want) != 0) {
				if ((s->type == 5) != (type != NULL && strcmp(type, "CNAME") == 0))
					nm->cname_clash = true;
				continue;
			}
		}
		grown = realloc(res->old, (res->nold + 2) * sizeof(char *));
		if (grown == NULL)
			break;
		res->old = grown;
		res->old[res->nold] = NULL;
		if (want) {
			int64_t id = sqlite3_column_int64(st, 4), *g;
			if ((g = realloc(ids, (res->nold + 1) * sizeof(*ids))) == NULL)
				break;
			ids = g;
			ids[res->nold] = id;
			/* the TTL of the newest row that has one */
			if (sqlite3_column_type(st, 1) != SQLITE_NULL && id >= ttl_id) {
				res->old_ttl = sqlite3_column_int64(st, 1);
				ttl_id = id;
			}
		} else if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
			res->old_ttl = sqlite3_column_int64(st, 1);
		}
		res->old[res->nold] = strdup(v ? v : "");
		res->old[++res->nold] = NULL;
	}
	sqlite3_reset(st);
	/* order of arrival (insertion sort: an RRset holds a few values) */
	for (size_t i = 1; ids && i < res->nold; i++) {
		for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			int64_t t = ids[j];
			char *v = res->old[j];
			ids[j] = ids[j - 1];
			res->old[j] = res->old[j - 1];
			ids[j - 1] = t;
			res->old[j - 1] = v;
		}
	}
	free(ids);
	return step == SQLITE_DONE ? 0 : DD_EDB;
}

static bool
writer_in(const char *v, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, set[i]) == 0)
			return true;
	return false;
}

/* Same values as a set, same TTL (when one is asked for)? */
static bool
writer_unchanged(const struct writer_set *s, const struct writer_result *res)
{
	if (s->new_owner > 0)
		return false;
	if (s->nvalues == 0)
		return res->nold == 0;
	if (res->nold == 0)
		return false;
	for (size_t i = 0; i < s->nvalues; i++)
		if (!writer_in(s->values[i], (const char *const *)res->old, res->nold))
			return false;
	for (size_t i = 0; i < res->nold; i++)
		if (!writer_in(res->old[i], s->values, s->nvalues))
			return false;
	return s->ttl < 0 ? res->old_ttl < 0 : res->old_ttl == s->ttl;
}

/*
 * No pool at all?  Most databases have none, and then neither the conflict
 * check nor a name's republishing needs to look.  Pools change only through
 * this writer (writer_pool_set, writer_pool_del), which make it count again.
 */
static bool
writer_pools_none(struct writer *w)
{
	sqlite3_stmt *st = NULL;

	if (w->npools < 0 && db_prep(db_sqlite(w->db), "SELECT count(*) FROM pools", &st) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			w->npools = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return w->npools == 0;
}

/* Publishes name from its committed rows (and its pool, if pools exist). */
static int
writer_publish(struct writer *w, const char *name)
{
	return load_name_publish(w->t, w->cfg, w->db, name, !writer_pools_none(w));
}

static bool
writer_has_pool(struct writer *w, const char *name)
{
	sqlite3_stmt *st = NULL;
	bool has = false;

	if (writer_pools_none(w))
		return false;
	if (db_prep(db_sqlite(w->db), "SELECT 1 FROM pools WHERE name = ?1", &st) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		has = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_reset(st);
	return has;
}

/* RFC 1034 3.6.2: a CNAME owner has no other data.  Returns DD_EEXIST when
 * setting s would break that (nm: from writer_read_old). */
static int
writer_check_cname(struct writer *w, const struct writer_set *s, const struct writer_name *nm)
{
	if (s->nvalues == 0)
		return 0;
	if (s->type == 5 && s->nvalues > 1)
		return DD_EINVAL;
	if (nm->cname_clash)
		return DD_EEXIST;
	if (writer_has_pool(w, s->name))
		return DD_EEXIST; /* a pool name answers from its members only */
	return 0;
}

static char *
writer_join_sep(const char *const *v, size_t n, const char *sep)
{
	size_t len = 1;
	char *out;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + strlen(sep);
	if ((out = malloc(len)) == NULL)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, sep);
		strcat(out, v[i]);
	}
	return out;
}

static char *
writer_join(const char *const *v, size_t n)
{
	return writer_join_sep(v, n, "\n");
}

/* One audit row (inside the caller's transaction): who did what to which name. */
static int
writer_audit_row(struct writer *w, const struct writer_actor *who, const char *action,
		 const char *name, const char *type, const char *oldv, const char *newv)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(db_sqlite(w->db),
			       "INSERT INTO audit (actor, source, action, name, type, old_value, "
			       "new_value, client) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, who->actor ? who->actor : "?", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, who->source ? who->source : "?", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
	if (type)
		sqlite3_bind_text(st, 5, type, -1, SQLITE_STATIC);
	if (oldv)
		sqlite3_bind_text(st, 6, oldv, -1, SQLITE_STATIC);
	if (newv)
		sqlite3_bind_text(st, 7, newv, -1, SQLITE_STATIC);
	if (who->client)
		sqlite3_bind_text(st, 8, who->client, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_reset(st);
	return rc;
}

static int
writer_audit(struct writer *w, const struct writer_actor *who, const struct writer_set *s,
	     const struct writer_result *res)
{
	char *oldv = writer_join((const char *const *)res->old, res->nold);
	char *newv = writer_join(s->values, s->nvalues);
	int rc = writer_audit_row(w, who, s->nvalues ? "set" : "delete", s->name,
				  s->type ? names_type_str(s->type) : NULL,
				  res->nold ? oldv : NULL, s->nvalues ? newv : NULL);

	if (rc == 0 && writer_wants_event(w, "record_changed")) {
		/* the event carries values joined by ", " and who made the change */
		char *o2 = writer_join_sep((const char *const *)res->old, res->nold, ", ");
		char *n2 = writer_join_sep(s->values, s->nvalues, ", ");
		json_t *d = json_pack("{s:s, s:s, s:s?}", "source", who->source ? who->source : "?",
				      "actor", who->actor ? who->actor : "?", "client", who->client);
		char *ds = d ? json_dumps(d, JSON_COMPACT) : NULL;
		rc = writer_outbox_row(w, "record_changed", s->name,
				       s->type ? names_type_str(s->type) : NULL,
				       s->nvalues ? n2 : NULL, res->nold ? o2 : NULL, ds);
		free(ds);
		json_decref(d);
		free(o2);
		free(n2);
	}
	free(oldv);
	free(newv);
	return rc;
}

/* One statement on (name, type[, value]) with up to two more values (?4, ?5). */
static int
writer_row_op(struct writer *w, const char *sql, const struct writer_set *s, const char *value,
	      const char *v4, int64_t ttl)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(db_sqlite(w->db), sql, &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, names_type_str(s->type), -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	if (v4)
		sqlite3_bind_text(st, 4, v4, -1, SQLITE_STATIC);
	if (ttl >= 0)
		sqlite3_bind_int64(st, 5, ttl);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_reset(st);
	return rc;
}

/*
 * The RRset of s becomes exactly s->values, touching only the rows that
 * change: a value that stays keeps its row, a value that goes loses it, a
 * new value gets a new row (so row order stays the order values came in,
 * which acme-dns's "two newest" relies on); then the TTL of every row is
 * set.  One value replacing one value (the dynamic-DNS case) is an UPDATE
 * in place: one index page less to write than a delete and an insert.
 */
static int
writer_rows_set(struct writer *w, const struct writer_set *s, struct writer_result *res,
		int64_t owner)
{
	bool stays[WRITER_VALUES_MAX + 1] = {false};
	size_t next_old = 0;
	int rc = 0;

	for (size_t i = 0; i < res->nold && i <= WRITER_VALUES_MAX; i++)
		stays[i] = writer_in(res->old[i], s->values, s->nvalues);
	for (size_t j = 0; j < s->nvalues && rc == 0; j++) {
		const char *v = s->values[j];
		if (writer_in(v, (const char *const *)res->old, res->nold) ||
		    writer_in(v, s->values, j))
			continue; /* kept, or a repeat of an earlier value */
		while (next_old < res->nold && stays[next_old])
			next_old++;
		if (res->nold == 1 && s->nvalues == 1 && next_old < res->nold) {
			rc = writer_row_op(w,
					   "UPDATE records SET value = ?4, ttl = ?5, updated_at = "
					   "strftime('%s','now') WHERE name = ?1 AND type = ?2 AND "
					   "value = ?3",
					   s, res->old[next_old], v, s->ttl);
			stays[next_old++] = true;
			res->deleted++;
			continue;
		}
		{
			sqlite3_stmt *st = NULL;
			if (db_prep(db_sqlite(w->db),
				    "INSERT OR IGNORE INTO records (name, type, value, ttl, owner_id, id) "
				    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
				    &st) != SQLITE_OK)
				return DD_EDB;
			sqlite3_bind_int64(st, 6, writer_next_id(w));
			sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, names_type_str(s->type), -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, v, -1, SQLITE_STATIC);
			if (s->ttl >= 0)
				sqlite3_bind_int64(st, 4, s->ttl);
			if (owner > 0)
				sqlite3_bind_int64(st, 5, owner);
			rc = sqlite3_step(st) == SQLITE_DONE ? 0 : DD_EDB;
			sqlite3_reset(st);
		}
	}
	for (size_t i = 0; i < res->nold && rc == 0; i++) {
		if (i <= WRITER_VALUES_MAX && stays[i])
			continue;
		rc = writer_row_op(w, "DELETE FROM records WHERE name = ?1 AND type = ?2 AND value = ?3",
				   s, res->old[i], NULL, -1);
		res->deleted++;
	}
	/* rows that stayed keep their TTL unless it changes (new rows have it) */
	if (rc == 0 && res->nold > 0 && res->old_ttl != s->ttl)
		rc = writer_row_op(w,
				   "UPDATE records SET ttl = ?5, updated_at = strftime('%s','now') "
				   "WHERE name = ?1 AND type = ?2 AND ttl IS NOT ?5",
				   s, NULL, NULL, s->ttl);
	return rc;
}

/*
 * Replaces the rows of s; the name keeps its owner, or gets who's.  known:
 * the owner of the name's rows when the name is known not to be a pool (a
 * set with values passed writer_check_cname), else -1.
 */
static int
writer_replace(struct writer *w, const struct writer_actor *who, const struct writer_set *s,
	       struct writer_result *res, int64_t known)
{
	sqlite3 *h = db_sqlite(w->db);
	sqlite3_stmt *st = NULL;
	int64_t owner = s->new_owner > 0 ? s->new_owner
			: known >= 0     ? known
					 : writer_owner_of(w, s->name);
	int rc = DD_EDB;

	if (owner <= 0)
		owner = who->owner_id;
	if (s->nvalues > 0 && s->type != 0 && res->nold <= WRITER_VALUES_MAX) {
		if (writer_rows_set(w, s, res, owner) < 0)
			goto done;
	} else {
		if (db_prep(h,
			    s->type ? "DELETE FROM records WHERE name = ?1 AND type = ?2"
				    : "DELETE FROM records WHERE name = ?1",
			    &st) != SQLITE_OK)
			goto done;
		sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
		if (s->type)
			sqlite3_bind_text(st, 2, names_type_str(s->type), -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto done;
		res->deleted = (size_t)sqlite3_changes(h);
		sqlite3_reset(st);
		st = NULL;
		if (s->nvalues > 0) { /* more old rows than a set holds: all went */
			struct writer_result none = {.old_ttl = -1};
			if (writer_rows_set(w, s, &none, owner) < 0)
				goto done;
		}
	}
	if (owner > 0) {
		/* the name has one owner: a claim or a reassignment covers all its rows */
		if (db_prep(h,
			    "UPDATE records SET owner_id = ?2 WHERE name = ?1 AND "
			    "owner_id IS NOT ?2",
			    &st) != SQLITE_OK)
			goto done;
		sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, owner);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto done;
	}
	rc = writer_audit(w, who, s, res);
done:
	if (rc < 0)
		log_warnx("%s: writing %s: %s", db_path(w->db), s->name, sqlite3_errmsg(h));
	sqlite3_reset(st);
	return rc;
}

/*
 * Inside the transaction: zone slot z gets its next serial (RFC 1982: + 1
 * modulo 2^32; at least min when min_serial is set; exactly exact for a
 * secondary's transfer) and the transaction's journal rows of the zone get
 * (from_serial, serial).
 */
enum bump_mode { BUMP_NEXT, BUMP_MIN, BUMP_EXACT };

static int
writer_zone_bump(struct writer *w, size_t z, enum bump_mode mode, uint32_t val)
{
	sqlite3 *h = db_sqlite(w->db);
	sqlite3_stmt *st = NULL;
	const char *zone = w->cfg->zones[z].name;
	uint32_t old = 0, next;
	int rc = DD_EDB;

	if (db_prep(h, "SELECT serial FROM zones WHERE name = ?1", &st))
		goto done;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		old = (uint32_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	next = old + 1u;
	if (mode == BUMP_MIN && val > next)
		next = val;
	if (mode == BUMP_EXACT)
		next = val;
	if (db_prep(h,
			       "INSERT INTO zones (name, serial) VALUES (?1, ?2) ON CONFLICT (name) "
			       "DO UPDATE SET serial = ?2, updated_at = strftime('%s','now')", &st))
		goto done;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, next);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto done;
	sqlite3_reset(st);
	if (db_prep(h,
			       "UPDATE journal SET from_serial = ?2, serial = ?3 WHERE zone = ?1 AND "
			       "serial IS NULL", &st))
		goto done;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, old);
	sqlite3_bind_int64(st, 3, next);
	if (sqlite3_step(st) == SQLITE_DONE) {
		rc = 0;
		if (sqlite3_changes(h) > 0 && w->jgroups[z] >= 0)
			w->jgroups[z]++; /* one more change group (journal.max_changes) */
	}
done:
	sqlite3_reset(st);
	return rc;
}

static int
writer_bump_serials(struct writer *w, const bool *changed)
{
	int rc = 0;

	for (size_t z = 0; z < w->cfg->nzones && rc == 0; z++)
		if (changed[z])
			rc = writer_zone_bump(w, z, BUMP_NEXT, 0);
	return rc;
}

/* ---------------------------------------------------------------- group commit */

struct writer_waiter {
	struct writer_waiter *next;
	writer_after_cb cb;
	void *arg;
};

void
writer_group_init(struct writer *w, void (*schedule)(void *arg), void *arg)
{
	w->group_on = true;
	w->schedule = schedule;
	w->schedule_arg = arg;
}

bool
writer_group_open(const struct writer *w)
{
	return w->group_open;
}

int
writer_after_commit(struct writer *w, writer_after_cb cb, void *arg)
{
	struct writer_waiter *q;

	if (!w->group_open) {
		cb(arg, 0);
		return 0;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return DD_ENOMEM;
	q->cb = cb;
	q->arg = arg;
	*w->wtail = q;
	w->wtail = &q->next;
	return 0;
}

/* Opens the group's transaction if none is open (and asks for its commit). */
static int
writer_group_begin(struct writer *w)
{
	if (w->group_open)
		return 0;
	/* the sync thread makes this group durable (writer_sync_start) */
	if (w->sync_on && writer_exec(w, "PRAGMA synchronous = NORMAL") < 0)
		return DD_EDB;
	if (writer_exec(w, "BEGIN IMMEDIATE") < 0) {
		w->db_failed = true;
		if (w->sync_on)
			writer_exec(w, "PRAGMA synchronous = FULL");
		return DD_EDB;
	}
	w->group_open = true;
	w->group_tc0 = sqlite3_total_changes64(db_sqlite(w->db));
	if (w->schedule)
		w->schedule(w->schedule_arg);
	return 0;
}

/* A name the open group changed: republished from its rows after COMMIT. */
static int
writer_group_pend(struct writer *w, const char *name)
{
	for (size_t i = w->npend; i > 0; i--)
		if (strcmp(w->pend[i - 1], name) == 0)
			return 0;
	if (w->npend == w->pend_cap) {
		size_t cap = w->pend_cap ? 2 * w->pend_cap : 64;
		char **grown = realloc(w->pend, cap * sizeof(char *));
		if (grown == NULL)
			return DD_ENOMEM;
		w->pend = grown;
		w->pend_cap = cap;
	}
	if ((w->pend[w->npend] = strdup(name)) == NULL)
		return DD_ENOMEM;
	w->npend++;
	return 0;
}

/* A committed group waiting for the sync that makes it durable. */
struct writer_ticket {
	struct writer_ticket *next;
	uint64_t seq;
	int rc;
	struct writer_waiter *waiters;
	bool zones[];            /* zones whose serial moved: NOTIFY once durable */
};

/* The group is durable (or not: rc): NOTIFY, then the acknowledgements. */
static void
writer_group_done(struct writer *w, const bool *zones, struct writer_waiter *q, int rc)
{
	for (size_t z = 0; z < w->cfg->nzones && rc != DD_EDB; z++)
		if (zones[z] && w->on_commit)
			w->on_commit(w->on_commit_arg, (unsigned)z);
	while (q) {
		struct writer_waiter *next = q->next;
		q->cb(q->arg, rc);
		free(q);
		q = next;
	}
}

/* Runs the callbacks of every ticket up to sequence upto (err: the sync failed). */
static void
writer_tickets_run(struct writer *w, uint64_t upto, int err)
{
	while (w->tickets && w->tickets->seq <= upto) {
		struct writer_ticket *t = w->tickets;
		w->tickets = t->next;
		if (w->tickets == NULL)
			w->ttail = &w->tickets;
		if (err && t->rc != DD_EDB) {
			log_warnx("%s: fdatasync of the WAL: %s: changes were not acknowledged",
				  db_path(w->db), strerror(err));
			t->rc = DD_EDB;
		}
		writer_group_done(w, t->zones, t->waiters, t->rc);
		free(t);
	}
	if (upto > w->durable)
		w->durable = upto;
}

static void *
writer_sync_main(void *arg)
{
	struct writer *w = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&w->sync_mu);
	for (;;) {
		uint64_t target;
		int r;
		while (!w->sync_stop && w->sync_want == w->sync_done)
			pthread_cond_wait(&w->sync_cv, &w->sync_mu);
		if (w->sync_stop)
			break;
		target = w->sync_want;
		pthread_mutex_unlock(&w->sync_mu);
		r = fdatasync(w->wal_fd);
		pthread_mutex_lock(&w->sync_mu);
		if (r < 0 && w->sync_err == 0)
			w->sync_err = errno;
		w->sync_done = target;
		if (write(w->sync_efd, &one, sizeof(one)) < 0) {
			/* the counter is full: the loop has plenty to read already */
		}
	}
	pthread_mutex_unlock(&w->sync_mu);
	return NULL;
}

int
writer_sync_start(struct writer *w)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s-wal", db_path(w->db));
	if ((w->wal_fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
		log_warn("%s: commits stay synchronous", path);
		return -1;
	}
	if ((w->sync_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		close(w->wal_fd);
		w->wal_fd = -1;
		return -1;
	}
	pthread_mutex_init(&w->sync_mu, NULL);
	pthread_cond_init(&w->sync_cv, NULL);
	if (pthread_create(&w->sync_thr, NULL, writer_sync_main, w) != 0) {
		close(w->wal_fd);
		close(w->sync_efd);
		w->wal_fd = w->sync_efd = -1;
		return -1;
	}
	w->sync_on = true;
	return w->sync_efd;
}

void
writer_sync_done(struct writer *w)
{
	uint64_t n, done;
	int err;

	if (!w->sync_on)
		return;
	if (read(w->sync_efd, &n, sizeof(n)) < 0) {
		/* nothing to read: a previous call took it */
	}
	pthread_mutex_lock(&w->sync_mu);
	done = w->sync_done;
	err = w->sync_err;
	pthread_mutex_unlock(&w->sync_mu);
	writer_tickets_run(w, done, err);
}

/* Everything committed so far is made durable now, in this thread. */
static void
writer_sync_now(struct writer *w)
{
	int err = 0;

	if (!w->sync_on || w->durable == w->seq)
		return;
	if (fdatasync(w->wal_fd) < 0)
		err = errno;
	pthread_mutex_lock(&w->sync_mu);
	if (err && w->sync_err == 0)
		w->sync_err = err;
	err = w->sync_err;
	pthread_mutex_unlock(&w->sync_mu);
	writer_tickets_run(w, w->seq, err);
}

static void
writer_sync_stop(struct writer *w)
{
	if (!w->sync_on)
		return;
	writer_sync_now(w);
	pthread_mutex_lock(&w->sync_mu);
	w->sync_stop = true;
	pthread_cond_signal(&w->sync_cv);
	pthread_mutex_unlock(&w->sync_mu);
	pthread_join(w->sync_thr, NULL);
	close(w->wal_fd);
	close(w->sync_efd);
	w->sync_on = false;
}

/*
 * COMMIT of the open group; the table follows at once.  async: the group's
 * callbacks wait for the sync thread (the loop goes on meanwhile); else
 * they run before this returns, after an fdatasync of everything committed.
 */
static int
writer_group_finish(struct writer *w, bool async)
{
	sqlite3 *h = db_sqlite(w->db);
	struct writer_waiter *q;
	struct writer_ticket *t;
	bool any = false;
	int rc = 0;

	if (!w->group_open) {
		if (!async)
			writer_sync_now(w);
		return 0;
	}
	w->group_open = false;
	for (size_t z = 0; z < w->cfg->nzones; z++)
		any |= w->group_zone[z];
	/* SQLite rolls a transaction back by itself on a full disk or an I/O
	 * error: then there is nothing to commit, and nothing was kept */
	if (sqlite3_get_autocommit(h))
		rc = DD_EDB;
	if (rc == 0 && any && writer_bump_serials(w, w->group_zone) < 0)
		rc = DD_EDB;
	if (rc == 0 && writer_exec(w, "COMMIT") < 0)
		rc = DD_EDB;
	if (rc < 0) {
		writer_jgroups_forget(w);
		if (!sqlite3_get_autocommit(h))
			writer_exec(w, "ROLLBACK");
		log_warnx("%s: a group of %zu changed names was not committed", db_path(w->db),
			  w->npend);
	}
	if (w->sync_on)
		writer_exec(w, "PRAGMA synchronous = FULL");
	/* a group that wrote nothing proves nothing about the disk */
	if (rc < 0 || sqlite3_total_changes64(h) != w->group_tc0)
		w->db_failed = rc < 0;
	if (rc == 0 && w->stats && w->npend > 0) {
		w->stats->commits++;
		w->stats->commit_names += w->npend;
	}
	/* the table follows the database, whichever way the commit went; all
	 * the names are read in one read transaction */
	if (w->npend > 1)
		writer_exec(w, "BEGIN");
	for (size_t i = 0; i < w->npend; i++) {
		int r = writer_publish(w, w->pend[i]);
		if (r < 0) {
			log_warnx("publishing %s: %s", w->pend[i], dd_strerror(r));
			if (rc == 0)
				rc = r;
		}
		free(w->pend[i]);
	}
	if (w->npend > 1)
		writer_exec(w, "COMMIT");
	w->npend = 0;
	for (size_t z = 0; z < w->cfg->nzones; z++)
		if (w->group_zone[z] && rc != DD_EDB)
			writer_zone_serial_set(w, (unsigned)z);
	/* the callbacks may open the next group; this one is done */
	q = w->waiters;
	w->waiters = NULL;
	w->wtail = &w->waiters;
	if (!w->sync_on || rc == DD_EDB) {
		writer_sync_now(w); /* earlier groups first, in order */
		writer_group_done(w, w->group_zone, q, rc);
	} else if ((t = calloc(1, sizeof(*t) + w->cfg->nzones + 1)) == NULL) {
		writer_sync_now(w);
		writer_group_done(w, w->group_zone, q, rc);
	} else {
		t->seq = ++w->seq;
		t->rc = rc;
		t->waiters = q;
		memcpy(t->zones, w->group_zone, w->cfg->nzones * sizeof(bool));
		*w->ttail = t;
		w->ttail = &t->next;
		if (async) {
			pthread_mutex_lock(&w->sync_mu);
			w->sync_want = w->seq;
			pthread_cond_signal(&w->sync_cv);
			pthread_mutex_unlock(&w->sync_mu);
		} else {
			writer_sync_now(w);
		}
	}
	memset(w->group_zone, 0, w->cfg->nzones * sizeof(bool));
	return rc;
}

int
writer_group_commit(struct writer *w)
{
	return writer_group_finish(w, false);
}

void
writer_group_commit_async(struct writer *w)
{
	writer_group_finish(w, true);
}

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

/* An explicit transaction of its own: the open group is committed first. */
static int
writer_begin(struct writer *w)
{
	if (writer_group_commit(w) == DD_EDB)
		return DD_EDB;
	return writer_exec(w, "BEGIN IMMEDIATE");
}

/*
 * The sets, inside the group's transaction under a savepoint: a set refused
 * (or a failed statement) undoes this call's changes only.
 */
static int
writer_apply_txn(struct writer *w, const struct writer_actor *who, const struct writer_set *sets,
		 size_t n, struct writer_result *res)
{
	bool any = false;
	int rc = 0;

	memset(res, 0, n * sizeof(*res));
	for (size_t i = 0; i < n; i++) {
		int z = writer_zone_of(w, sets[i].name);
		if (z >= 0 && w->cfg->zones[z].primary)
			return DD_EROFS;
		if (z < 0 || sets[i].nvalues > WRITER_VALUES_MAX ||
		    (sets[i].type == 0 && sets[i].nvalues > 0))
			return DD_EINVAL;
	}
	if (writer_group_begin(w) < 0)
		return DD_EDB;
	if (sqlite3_get_autocommit(db_sqlite(w->db)) || writer_exec(w, "SAVEPOINT apply") < 0) {
		w->db_failed = true;
		return DD_EDB;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct writer_set *s = &sets[i];
		struct writer_name nm;
		if ((rc = writer_read_old(w, s, &res[i], &nm)) < 0)
			break;
		if (writer_unchanged(s, &res[i]))
			continue;
		if ((rc = writer_check_cname(w, s, &nm)) < 0)
			break;
		if ((rc = writer_replace(w, who, s, &res[i], s->nvalues > 0 ? nm.owner : -1)) < 0)
			break;
		res[i].changed = true;
		any = true;
	}
	if (rc < 0 || !any) {
		writer_exec(w, "ROLLBACK TO apply");
		writer_exec(w, "RELEASE apply");
		if (rc < 0)
			for (size_t i = 0; i < n; i++)
				res[i].changed = false;
		if (rc == DD_EDB)
			w->db_failed = true;
		return rc;
	}
	if (writer_exec(w, "RELEASE apply") < 0) {
		w->db_failed = true;
		for (size_t i = 0; i < n; i++)
			res[i].changed = false;
		return DD_EDB;
	}
	for (size_t i = 0; i < n; i++) {
		if (!res[i].changed)
			continue;
		w->group_zone[writer_zone_of(w, sets[i].name)] = true;
		if (writer_group_pend(w, sets[i].name) < 0)
			rc = DD_ENOMEM;
	}
	return rc;
}

int
writer_apply(struct writer *w, const struct writer_actor *who, const struct writer_set *sets,
	     size_t n, struct writer_result *res)
{
	int rc = writer_apply_txn(w, who, sets, n, res);

	if (!w->group_on || w->npend >= WRITER_GROUP_MAX) {
		int c = writer_group_commit(w);
		if (rc == 0 && c < 0)
			rc = c;
		if (c == DD_EDB)
			for (size_t i = 0; i < n; i++)
				res[i].changed = false;
	}
	return writer_count(w, who, res, n, rc);
}

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
	if (rc < 0 || writer_exec(w, "COMMIT") < 0) {
		writer_exec(w, "ROLLBACK");
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
	if (soa && (rc = load_zone_publish(w->t, w->cfg, w->db, zone)) < 0)
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
	if (rc < 0 || writer_exec(w, "COMMIT") < 0) {
		log_warnx("%s: incremental transfer: %s", db_path(w->db), sqlite3_errmsg(h));
		writer_exec(w, "ROLLBACK");
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

/* ------------------------------------------------------------ pools */

/* "policy|answers|ttl|closed|prefix|check|ip/weight,..." of p, or of the stored pool. */
static char *
writer_pool_key(const struct writer_pool *p)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "%d|%u|%u|%d|%d|%s|", p->policy, p->answers, p->ttl, p->closed, p->prefix,
		p->check_json ? p->check_json : "");
	for (size_t i = 0; i < p->n; i++)
		fprintf(f, "%s/%u,", p->ips[i], p->weights[i]);
	fclose(f);
	return out;
}

static char *
writer_pool_stored_key(struct writer *w, const char *name, int64_t *id, int64_t *slot)
{
	sqlite3_stmt *st = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	*id = 0;
	*slot = -1;
	if (db_prep(db_sqlite(w->db),
			       "SELECT p.id, p.slot, p.policy, p.answers, p.ttl, p.all_down, "
			       "p.prefix_match, coalesce(p.check_json, ''), m.ip, m.weight FROM pools p "
			       "JOIN pool_members m ON m.pool_id = p.id WHERE p.name = ?1 "
			       "ORDER BY m.pos", &st) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((f = open_memstream(&out, &len)) == NULL) {
		sqlite3_reset(st);
		return NULL;
	}
	for (int row = 0; sqlite3_step(st) == SQLITE_ROW; row++) {
		if (row == 0) {
			*id = sqlite3_column_int64(st, 0);
			*slot = sqlite3_column_int64(st, 1);
			fprintf(f, "%d|%d|%lld|%d|%d|%s|",
				pooldb_policy_parse((const char *)sqlite3_column_text(st, 2)),
				sqlite3_column_int(st, 3), (long long)sqlite3_column_int64(st, 4),
				strcmp((const char *)sqlite3_column_text(st, 5), "closed") == 0,
				sqlite3_column_int(st, 6) != 0,
				(const char *)sqlite3_column_text(st, 7));
		}
		fprintf(f, "%s/%d,", (const char *)sqlite3_column_text(st, 8),
			sqlite3_column_int(st, 9));
	}
	sqlite3_reset(st);
	fclose(f);
	return out;
}

/* The lowest slot no pool uses, or -1. */
static int64_t
writer_pool_free_slot(struct writer *w)
{
	sqlite3_stmt *st = NULL;
	int64_t want = 0;

	if (db_prep(db_sqlite(w->db), "SELECT slot FROM pools ORDER BY slot", &st) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == want)
		want++;
	sqlite3_reset(st);
	return want < POOL_SLOTS ? want : -1;
}

/*
 * A (re)defined slot: members whose address changed (or all, old == NULL)
 * start healthy with no report; the others keep health and load, so a TTL
 * change does not hand out a member its check has taken out.  The checker
 * re-reads on the new gen.
 */
static void
writer_pool_reset(struct shm_pools *live, int64_t slot, bool in_use, char **old, size_t nold,
		  const struct writer_pool *p)
{
	struct pool_slot *s;

	if (live == NULL || slot < 0 || slot >= POOL_SLOTS)
		return;
	s = &live->s[slot];
	s->gen++;
	for (unsigned i = 0; i < POOL_MEMBERS_MAX; i++) {
		if (old && p && i < nold && i < p->n && strcmp(old[i], p->ips[i]) == 0)
			continue;
		s->m[i].up = 1;
		s->m[i].load = 0;
		s->m[i].reported_ms = 0;
	}
	s->in_use = in_use;
	live->defs_gen++;
}

/* The member addresses of the stored pool, by position. */
static void
writer_pool_old_ips(struct writer *w, int64_t id, char ***out, size_t *n)
{
	sqlite3_stmt *st = NULL;

	*out = NULL;
	*n = 0;
	if (id == 0 || db_prep(db_sqlite(w->db),
					  "SELECT ip FROM pool_members WHERE pool_id = ?1 ORDER BY "
					  "pos", &st) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW && *n < POOL_MEMBERS_MAX) {
		char **g = realloc(*out, (*n + 1) * sizeof(char *));
		if (g == NULL)
			break;
		*out = g;
		(*out)[(*n)++] = strdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
}

static int
writer_pool_rows(struct writer *w, const struct writer_actor *who, const struct writer_pool *p,
		 int64_t id, int64_t slot)
{
	sqlite3 *h = db_sqlite(w->db);
	sqlite3_stmt *st = NULL;
	/* a redefinition keeps the pool's owner; a new pool belongs to its creator */
	int64_t owner = writer_owner_of(w, p->name);
	int rc = DD_EDB;

	if (owner <= 0)
		owner = who->owner_id;
	if (id && db_prep(h, "DELETE FROM pools WHERE id = ?1", &st) == 0) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto done;
		sqlite3_reset(st);
		st = NULL;
	}
	if (db_prep(h,
			       "INSERT INTO pools (name, slot, policy, answers, ttl, all_down, "
			       "prefix_match, check_json, owner_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
			       "?7, ?8, ?9)", &st) != SQLITE_OK)
		goto done;
	sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, slot);
	sqlite3_bind_text(st, 3, pooldb_policy_name(p->policy), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)p->answers);
	sqlite3_bind_int64(st, 5, p->ttl);
	sqlite3_bind_text(st, 6, p->closed ? "closed" : "open", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, p->prefix);
	if (p->check_json)
		sqlite3_bind_text(st, 8, p->check_json, -1, SQLITE_STATIC);
	if (owner > 0)
		sqlite3_bind_int64(st, 9, owner);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto done;
	id = sqlite3_last_insert_rowid(h);
	sqlite3_reset(st);
	st = NULL;
	if (db_prep(h,
			       "INSERT INTO pool_members (pool_id, pos, ip, weight) VALUES "
			       "(?1, ?2, ?3, ?4)", &st) != SQLITE_OK)
		goto done;
	for (size_t i = 0; i < p->n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, p->ips[i], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, (int)p->weights[i]);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto done;
	}
	rc = 0;
done:
	sqlite3_reset(st);
	return rc;
}

/*
 * Journal rows for the members of the stored pool at name (op 0: removed,
 * 1: added): secondaries see a pool as a plain A/AAAA RRset of its members.
 */
static int
writer_journal_pool(struct writer *w, const char *name, int op)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(db_sqlite(w->db),
			       "INSERT INTO journal (zone, op, name, type, value, ttl) SELECT "
			       "dd_zone(name), ?2, name, type, value, ttl FROM pool_rrs WHERE "
			       "name = ?1 AND xfr_up = 1 AND dd_zone(name) IS NOT NULL", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, op);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_reset(st);
	return rc;
}

/* Audit row and serial bump of the pool's zone, inside the transaction. */
static int
writer_pool_log(struct writer *w, const struct writer_actor *who, const char *name,
		const char *action, const char *newv)
{
	if (writer_audit_row(w, who, action, name, "POOL", NULL, newv) < 0)
		return DD_EDB;
	memset(w->zone_changed, 0, w->cfg->nzones * sizeof(bool));
	w->zone_changed[writer_zone_of(w, name)] = true;
	return writer_bump_serials(w, w->zone_changed);
}

/* After COMMIT: the table and the zone serial follow. */
static int
writer_pool_publish(struct writer *w, const char *name)
{
	int z = writer_zone_of(w, name), rc;

	rc = writer_publish(w, name);
	if (rc < 0)
		log_warnx("publishing pool %s: %s", name, dd_strerror(rc));
	if (z >= 0)
		writer_zone_serial_publish(w, (unsigned)z);
	return rc;
}

int
writer_pool_set(struct writer *w, const struct writer_actor *who, const struct writer_pool *p,
		struct shm_pools *live, bool *changed)
{
	char *want = NULL, *have = NULL, **old = NULL;
	size_t nold = 0;
	int64_t id, slot;
	int rc;

	*changed = false;
	w->npools = -1;
	if (writer_zone_of(w, p->name) < 0)
		return DD_EINVAL;
	if (writer_begin(w) < 0)
		return DD_EDB;
	want = writer_pool_key(p);
	have = writer_pool_stored_key(w, p->name, &id, &slot);
	if (want && have && strcmp(want, have) == 0) {
		rc = 0; /* unchanged: nothing written, nothing reset */
		goto rollback;
	}
	{
		/* a pool name answers from its members only: no records beside it */
		sqlite3_stmt *st = NULL;
		rc = 0;
		if (db_prep(db_sqlite(w->db), "SELECT 1 FROM records WHERE name = ?1", &st) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				rc = DD_EEXIST;
		}
		sqlite3_reset(st);
		if (rc < 0)
			goto rollback;
	}
	if (slot < 0 && (slot = writer_pool_free_slot(w)) < 0) {
		rc = DD_ENOSPC;
		goto rollback;
	}
	writer_pool_old_ips(w, id, &old, &nold);
	rc = writer_journal_pool(w, p->name, 0);
	if (rc == 0)
		rc = writer_pool_rows(w, who, p, id, slot);
	if (rc == 0)
		rc = writer_journal_pool(w, p->name, 1);
	if (rc == 0)
		rc = writer_pool_log(w, who, p->name, id ? "pool-set" : "pool-create", want);
	if (rc < 0 || writer_exec(w, "COMMIT") < 0) {
		rc = DD_EDB;
		w->db_failed = true;
		goto rollback;
	}
	w->db_failed = false;
	writer_pool_reset(live, slot, true, old, nold, p);
	util_strv_free(old, nold);
	*changed = true;
	free(want);
	free(have);
	if (w->stats)
		w->stats->updates[writer_source(who->source)]++;
	return writer_pool_publish(w, p->name);
rollback:
	writer_exec(w, "ROLLBACK");
	util_strv_free(old, nold);
	free(want);
	free(have);
	return rc;
}

int
writer_pool_del(struct writer *w, const struct writer_actor *who, const char *name,
		struct shm_pools *live)
{
	sqlite3_stmt *st = NULL;
	int64_t slot = -1;
	int rc = DD_ENOENT;

	w->npools = -1;
	if (writer_begin(w) < 0)
		return DD_EDB;
	if (db_prep(db_sqlite(w->db), "SELECT slot FROM pools WHERE name = ?1", &st) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			slot = sqlite3_column_int64(st, 0);
			rc = 0;
		}
	}
	sqlite3_reset(st);
	st = NULL;
	if (rc == 0)
		rc = writer_journal_pool(w, name, 0);
	if (rc == 0 && (db_prep(db_sqlite(w->db), "DELETE FROM pools WHERE name = ?1", &st) != SQLITE_OK ||
			(sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC),
			 sqlite3_step(st) != SQLITE_DONE)))
		rc = DD_EDB;
	sqlite3_reset(st);
	if (rc == 0)
		rc = writer_pool_log(w, who, name, "pool-delete", NULL);
	if (rc < 0 || writer_exec(w, "COMMIT") < 0) {
		writer_exec(w, "ROLLBACK");
		return rc < 0 ? rc : DD_EDB;
	}
	writer_pool_reset(live, slot, false, NULL, 0, NULL);
	return writer_pool_publish(w, name);
}

/*
 * Once a second (the HTTP worker's housekeeping): live pool health against
 * what was last published.  Two things follow from it, in one transaction:
 *
 *   - secondaries see a pool as the A/AAAA RRset of its healthy members (all
 *     of them when every one is down and the pool fails open, none when it
 *     fails closed): a member whose transfer state (pool_members.xfr_up)
 *     differs gets a journal row and the zone's serial moves;
 *   - a member whose health differs from the last reported one
 *     (pool_members.notified_up) is a member_down / member_up event.
 */
struct pool_chg {
	int64_t pool;
	int pos;
	int xfr;      /* -1 unchanged, else the new xfr_up */
	int up;       /* -1 unchanged, else the new notified_up */
	char *name, *ip;
	int64_t ttl;
};

/* The member rows whose published states differ from live; malloc'd. */
static int
writer_pool_diff(struct writer *w, const struct shm_pools *live, bool events,
		 struct pool_chg **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct pool_chg *c = NULL;
	size_t nc = 0;

	*out = NULL;
	*n = 0;
	if (db_prep(db_sqlite(w->db),
			       "SELECT p.id, p.name, p.slot, p.all_down, p.ttl, m.pos, m.ip, m.xfr_up, "
			       "m.notified_up, (SELECT count(*) FROM pool_members k WHERE k.pool_id = "
			       "p.id) FROM pools p JOIN pool_members m ON m.pool_id = p.id ORDER BY "
			       "p.id, m.pos", &st) != SQLITE_OK)
		return DD_EDB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t slot = sqlite3_column_int64(st, 2);
		int pos = sqlite3_column_int(st, 5), members = sqlite3_column_int(st, 9), nup = 0;
		const struct pool_slot *ps;
		struct pool_chg *g;
		int up, xfr;
		if (slot < 0 || slot >= POOL_SLOTS || pos < 0 || pos >= POOL_MEMBERS_MAX)
			continue;
		ps = &live->s[slot];
		for (int i = 0; i < members && i < POOL_MEMBERS_MAX; i++)
			nup += ps->m[i].up != 0;
		up = ps->m[pos].up != 0;
		xfr = nup ? up : strcmp((const char *)sqlite3_column_text(st, 3), "closed") != 0;
		xfr = xfr != sqlite3_column_int(st, 7) ? xfr : -1;
		up = events && up != sqlite3_column_int(st, 8) ? up : -1;
		if (xfr < 0 && up < 0)
			continue;
		if ((g = realloc(c, (nc + 1) * sizeof(*c))) == NULL)
			break;
		c = g;
		c[nc] = (struct pool_chg){.pool = sqlite3_column_int64(st, 0), .pos = pos, .xfr = xfr,
					  .up = up, .ttl = sqlite3_column_int64(st, 4)};
		c[nc].name = strdup((const char *)sqlite3_column_text(st, 1));
		c[nc].ip = strdup((const char *)sqlite3_column_text(st, 6));
		nc++;
	}
	sqlite3_reset(st);
	*out = c;
	*n = nc;
	return 0;
}

/* Inside the transaction: the journal row and xfr_up, or the event and notified_up. */
static int
writer_pool_apply(struct writer *w, const struct pool_chg *c)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, z = writer_zone_of(w, c->name);

	if (c->xfr >= 0) {
		if (db_prep(db_sqlite(w->db),
				       "INSERT INTO journal (zone, op, name, type, value, ttl) SELECT "
				       "dd_zone(?1), ?2, ?1, CASE WHEN instr(?3, ':') THEN 'AAAA' ELSE "
				       "'A' END, ?3, ?4 WHERE dd_zone(?1) IS NOT NULL", &st) != SQLITE_OK)
			return DD_EDB;
		sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, c->xfr);
		sqlite3_bind_text(st, 3, c->ip, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, c->ttl);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = DD_EDB;
		sqlite3_reset(st);
		if (z >= 0)
			w->zone_changed[z] = true;
	}
	if (rc == 0 && c->up >= 0)
		rc = writer_outbox_row(w, c->up ? "member_up" : "member_down", c->name, NULL, c->ip,
				       NULL, NULL);
	if (rc < 0 || db_prep(db_sqlite(w->db),
					 "UPDATE pool_members SET xfr_up = CASE WHEN ?3 < 0 THEN xfr_up "
					 "ELSE ?3 END, notified_up = CASE WHEN ?4 < 0 THEN notified_up "
					 "ELSE ?4 END WHERE pool_id = ?1 AND pos = ?2", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_int64(st, 1, c->pool);
	sqlite3_bind_int(st, 2, c->pos);
	sqlite3_bind_int(st, 3, c->xfr);
	sqlite3_bind_int(st, 4, c->up);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = DD_EDB;
	sqlite3_reset(st);
	return rc;
}

int
writer_pool_sync(struct writer *w, const struct shm_pools *live)
{
	struct pool_chg *c = NULL;
	size_t nc = 0;
	bool events = writer_wants_event(w, "member_down") || writer_wants_event(w, "member_up");
	int rc;

	if (live == NULL)
		return 0;
	if ((rc = writer_pool_diff(w, live, events, &c, &nc)) < 0 || nc == 0)
		goto out;
	memset(w->zone_changed, 0, w->cfg->nzones * sizeof(bool));
	if (writer_begin(w) < 0) {
		rc = DD_EDB;
		goto out;
	}
	for (size_t i = 0; i < nc && rc == 0; i++)
		rc = writer_pool_apply(w, &c[i]);
	if (rc == 0)
		rc = writer_bump_serials(w, w->zone_changed);
	if (rc < 0 || writer_exec(w, "COMMIT") < 0) {
		writer_exec(w, "ROLLBACK");
		rc = DD_EDB;
		goto out;
	}
	for (size_t z = 0; z < w->cfg->nzones; z++)
		if (w->zone_changed[z])
			writer_zone_serial_publish(w, (unsigned)z);
out:
	for (size_t i = 0; i < nc; i++) {
		free(c[i].name);
		free(c[i].ip);
	}
	free(c);
	return rc;
}

