/* db.c - SQLite schema, migration and the queries the master needs. */
#include "daemon/db.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/util.h"

struct db {
	sqlite3 *h;
	char *path;
};

/*
 * Schema version 1.  records is keyed by (name, type): one row per RR, an
 * RRset being the rows that share name and type.  users, tokens and audit
 * are filled by the HTTP API; they exist from the start so that every
 * writer logs through the same tables.
 */
static const char *const db_schema_v1 =
	"CREATE TABLE zones ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  serial INTEGER NOT NULL DEFAULT 1,"
	"  updated_at INTEGER NOT NULL DEFAULT (strftime('%s','now')));"
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  username TEXT NOT NULL UNIQUE,"
	"  admin INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL DEFAULT (strftime('%s','now')));"
	"CREATE TABLE records ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  ttl INTEGER,"
	"  owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
	"  created_at INTEGER NOT NULL DEFAULT (strftime('%s','now')),"
	"  updated_at INTEGER NOT NULL DEFAULT (strftime('%s','now')),"
	"  UNIQUE (name, type, value));"
	"CREATE INDEX records_name_type ON records (name, type);"
	"CREATE TABLE tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,"
	"  subdomain TEXT,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL DEFAULT (strftime('%s','now')),"
	"  last_used_at INTEGER);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  ts INTEGER NOT NULL DEFAULT (strftime('%s','now')),"
	"  actor TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  name TEXT, type TEXT, old_value TEXT, new_value TEXT, client TEXT);"
	"CREATE INDEX records_owner ON records (owner_id);";

/* Version 3: load-balanced pools (PUT /pools/NAME). */
static const char *const db_schema_v3 =
	"CREATE TABLE pools ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  slot INTEGER NOT NULL UNIQUE,"
	"  policy TEXT NOT NULL,"
	"  answers INTEGER NOT NULL DEFAULT 1,"
	"  ttl INTEGER NOT NULL DEFAULT 30,"
	"  all_down TEXT NOT NULL DEFAULT 'open',"
	"  prefix_match INTEGER NOT NULL DEFAULT 0,"
	"  check_json TEXT,"
	"  owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
	"  updated_at INTEGER NOT NULL DEFAULT (strftime('%s','now')));"
	"CREATE TABLE pool_members ("
	"  pool_id INTEGER NOT NULL REFERENCES pools(id) ON DELETE CASCADE,"
	"  pos INTEGER NOT NULL,"
	"  ip TEXT NOT NULL,"
	"  weight INTEGER NOT NULL DEFAULT 1,"
	"  PRIMARY KEY (pool_id, pos));";

/*
 * Version 4: the change journal behind IXFR (RFC 1995).  Rows are written by
 * the writer's own connection (temporary triggers on records, explicit rows
 * for pools) with serial NULL and get (from_serial, serial) when the
 * transaction bumps the zone's serial.  zones.soa / zones.ns hold what a
 * secondary zone received from its primary.
 */
static const char *const db_schema_v4 =
	"CREATE TABLE journal ("
	"  id INTEGER PRIMARY KEY,"
	"  zone TEXT NOT NULL,"
	"  from_serial INTEGER,"
	"  serial INTEGER,"
	"  op INTEGER NOT NULL," /* 0 removed, 1 added */
	"  name TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  ttl INTEGER,"
	"  ts INTEGER NOT NULL DEFAULT (strftime('%s','now')));"
	"CREATE INDEX journal_zone ON journal (zone, id);"
	"ALTER TABLE zones ADD COLUMN soa TEXT;"
	"ALTER TABLE zones ADD COLUMN ns TEXT;"
	/* what secondaries were last told of a pool member: 1 up, 0 down */
	"ALTER TABLE pool_members ADD COLUMN xfr_up INTEGER NOT NULL DEFAULT 1;";

/*
 * Version 5: the event outbox (notify:).  The writer appends rows in the
 * transaction of the change; the notifier process delivers them and moves
 * each target's cursor.  pool_members.notified_up is the health last
 * reported as member_down / member_up.
 */
static const char *const db_schema_v5 =
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  ts INTEGER NOT NULL DEFAULT (strftime('%s','now')),"
	"  event TEXT NOT NULL,"
	"  name TEXT, type TEXT, value TEXT, old_value TEXT,"
	"  detail TEXT);"
	"CREATE TABLE outbox_cursor ("
	"  target TEXT PRIMARY KEY,"
	"  last_id INTEGER NOT NULL);"
	"ALTER TABLE pool_members ADD COLUMN notified_up INTEGER NOT NULL DEFAULT 1;";

/*
 * Version 6, for the write rate: the journal rows of the open transaction
 * (serial NULL) have their own small index, so stamping them with the new
 * serial costs the transaction's changes, not the journal's length; and
 * records loses its (name, type) index, which the UNIQUE (name, type,
 * value) index already serves (one page less to write per change).
 */
static const char *const db_schema_v6 =
	"CREATE INDEX journal_pending ON journal (zone) WHERE serial IS NULL;"
	"DROP INDEX IF EXISTS records_name_type;";

/*
 * Version 7, for the write rate and the load: records is clustered by its
 * key (WITHOUT ROWID, PRIMARY KEY (name, type, value)), so a change writes
 * one b-tree page where a rowid table and its unique index wrote two, and
 * the load walks the rows in name order without a seek per row.  id keeps
 * the order rows came in (acme-dns's "two newest", listings): the writer
 * gives each new row a strictly increasing microsecond stamp; a row added
 * by another tool gets the clock's.  The owner_id index goes: only a user's
 * deletion and `ddnsctl user list` look rows up by owner.
 */
static const char *const db_schema_v7 =
	"CREATE TABLE records_v7 ("
	"  name TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  ttl INTEGER,"
	"  owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
	"  created_at INTEGER NOT NULL DEFAULT (strftime('%s','now')),"
	"  updated_at INTEGER NOT NULL DEFAULT (strftime('%s','now')),"
	"  id INTEGER NOT NULL DEFAULT "
	"    (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),"
	"  PRIMARY KEY (name, type, value)) WITHOUT ROWID;"
	"INSERT INTO records_v7 (name, type, value, ttl, owner_id, created_at, updated_at, id) "
	"  SELECT name, type, value, ttl, owner_id, created_at, updated_at, id FROM records;"
	"DROP TABLE records;"
	"ALTER TABLE records_v7 RENAME TO records;";

/* Version 2: acme-dns accounts (POST /acme/register). */
/*
 * Version 8: DNSSEC.  dnssec_keys holds each signed zone's keys (the private
 * half too: the database is the daemon's user's alone, and backups carry
 * it); dnssec_sigs every RRSIG the writer made (NSEC3 ones under the hashed
 * owner name; a pool's, one per set of members it can answer with, the
 * members' bit mask in variant; digest: a hash of the RRset signed, so an
 * RRset that did not change keeps its RRSIG); dnssec_nsec3 the zone's NSEC3 chain: one row per name that
 * exists (empty non-terminals included) with its types and the NSEC3 RDATA
 * as signed.  dnssec_zones: the zones signed so far, how, a digest of what
 * their apex was signed with (NS, SOA fields, DNSKEYs), and while a zone is
 * still being signed in the background, the last name signed (pending).
 */
static const char *const db_schema_v8 =
	"CREATE TABLE dnssec_zones ("
	"  zone TEXT PRIMARY KEY,"
	"  algorithm INTEGER NOT NULL,"
	"  denial TEXT NOT NULL,"
	"  apex_fp TEXT,"
	"  pending TEXT,"
	"  signed_at INTEGER NOT NULL DEFAULT (strftime('%s','now')));"
	"CREATE TABLE dnssec_keys ("
	"  id INTEGER PRIMARY KEY,"
	"  zone TEXT NOT NULL,"
	"  role TEXT NOT NULL,"
	"  algorithm INTEGER NOT NULL,"
	"  keytag INTEGER NOT NULL,"
	"  public BLOB NOT NULL,"
	"  private BLOB NOT NULL,"
	"  state TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL DEFAULT (strftime('%s','now')),"
	"  state_at INTEGER NOT NULL DEFAULT (strftime('%s','now')));"
	"CREATE TABLE dnssec_sigs ("
	"  zone TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  covered INTEGER NOT NULL,"
	"  keytag INTEGER NOT NULL,"
	"  variant INTEGER NOT NULL DEFAULT 0,"
	"  rdata BLOB NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  digest BLOB,"
	"  PRIMARY KEY (name, covered, keytag, variant)) WITHOUT ROWID;"
	"CREATE INDEX dnssec_sigs_zone ON dnssec_sigs (zone, expires);"
	"CREATE TABLE dnssec_nsec3 ("
	"  zone TEXT NOT NULL,"
	"  hash BLOB NOT NULL,"
	"  name TEXT NOT NULL,"
	"  parent TEXT,"
	"  types BLOB NOT NULL,"
	"  rdata BLOB,"
	"  PRIMARY KEY (zone, hash)) WITHOUT ROWID;"
	"CREATE UNIQUE INDEX dnssec_nsec3_name ON dnssec_nsec3 (name);"
	"CREATE INDEX dnssec_nsec3_parent ON dnssec_nsec3 (parent);";

/*
 * Version 9: NSEC besides NSEC3.  dnssec_nsec3 becomes dnssec_chain, its
 * hash the row's sortkey: an NSEC3 hash, or for an NSEC zone the owner's
 * canonical-order key (dns/dnssec.h dnssec_canon_key).
 */
static const char *const db_schema_v9 =
	"ALTER TABLE dnssec_nsec3 RENAME TO dnssec_chain;"
	"ALTER TABLE dnssec_chain RENAME COLUMN hash TO sortkey;"
	"DROP INDEX dnssec_nsec3_name;"
	"DROP INDEX dnssec_nsec3_parent;"
	"CREATE UNIQUE INDEX dnssec_chain_name ON dnssec_chain (name);"
	"CREATE INDEX dnssec_chain_parent ON dnssec_chain (parent);";

static const char *const db_schema_v2 =
	"CREATE TABLE acme_accounts ("
	"  username TEXT PRIMARY KEY,"
	"  password_hash BLOB NOT NULL,"
	"  subdomain TEXT NOT NULL UNIQUE,"
	"  allowfrom TEXT,"
	"  created_at INTEGER NOT NULL DEFAULT (strftime('%s','now')));";

static int
db_exec(struct db *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db->h, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("%s: %s", db->path, err ? err : sqlite3_errmsg(db->h));
		sqlite3_free(err);
		return DD_EDB;
	}
	return 0;
}

static int
db_user_version(struct db *db, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*version = 0;
	rc = sqlite3_prepare_v2(db->h,
				"SELECT version FROM schema_version UNION ALL SELECT 0 "
				"WHERE NOT EXISTS (SELECT 1 FROM sqlite_master WHERE "
				"name = 'schema_version')",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		/* no schema_version table yet: a new database */
		sqlite3_finalize(st);
		return 0;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* Brings the schema to DB_SCHEMA_VERSION in one transaction. */
static int
db_migrate(struct db *db)
{
	int version, rc;

	if (db_exec(db, "BEGIN IMMEDIATE") < 0)
		return DD_EDB;
	db_user_version(db, &version);
	if (version > DB_SCHEMA_VERSION) {
		log_warnx("%s: schema version %d is newer than this ddnsd (%d)", db->path, version,
			  DB_SCHEMA_VERSION);
		db_exec(db, "ROLLBACK");
		return DD_EDB;
	}
	rc = 0;
	if (version < 1) {
		rc = db_exec(db, "CREATE TABLE schema_version (version INTEGER NOT NULL);"
				 "INSERT INTO schema_version VALUES (0);");
		if (rc == 0)
			rc = db_exec(db, db_schema_v1);
	}
	if (rc == 0 && version < 2)
		rc = db_exec(db, db_schema_v2);
	if (rc == 0 && version < 3)
		rc = db_exec(db, db_schema_v3);
	if (rc == 0 && version < 4)
		rc = db_exec(db, db_schema_v4);
	if (rc == 0 && version < 5)
		rc = db_exec(db, db_schema_v5);
	if (rc == 0 && version < 6)
		rc = db_exec(db, db_schema_v6);
	if (rc == 0 && version < 7) {
		if (version > 0)
			log_info("%s: rebuilding the records table (schema 7)", db->path);
		rc = db_exec(db, db_schema_v7);
	}
	if (rc == 0 && version < 8)
		rc = db_exec(db, db_schema_v8);
	if (rc == 0 && version < 9)
		rc = db_exec(db, db_schema_v9);
	if (rc == 0 && version != DB_SCHEMA_VERSION) {
		char sql[64];
		snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d",
			 DB_SCHEMA_VERSION);
		rc = db_exec(db, sql);
		if (rc == 0)
			log_info("%s: schema migrated from version %d to %d", db->path, version,
				 DB_SCHEMA_VERSION);
	}
	if (rc < 0) {
		db_exec(db, "ROLLBACK");
		return rc;
	}
	return db_exec(db, "COMMIT");
}

void
db_init(void)
{
	/* no allocation statistics: they take a global mutex on every SQLite
	 * malloc and free, a few dozen per update on the write path */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
db_open(const char *path, struct db **out)
{
	return db_open_vfs(path, NULL, out);
}

int
db_open_vfs(const char *path, const char *vfs, struct db **out)
{
	struct db *db;
	int rc;

	*out = NULL;
	if (util_mkdir_parents(path, 0700) < 0) {
		log_warn("mkdir for %s", path);
		return DD_EIO;
	}
	db = calloc(1, sizeof(*db));
	if (db == NULL || (db->path = strdup(path)) == NULL) {
		free(db);
		return DD_ENOMEM;
	}
	/* a connection is used by one thread at a time: no per-call mutex */
	rc = sqlite3_open_v2(path, &db->h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs);
	if (rc != SQLITE_OK) {
		log_warnx("%s: %s", path, db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		goto failed;
	}
	sqlite3_busy_timeout(db->h, 5000);
	if (db_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			"PRAGMA foreign_keys = ON;") < 0)
		goto failed;
	if (db_migrate(db) < 0)
		goto failed;
	*out = db;
	return 0;
failed:
	db_close(db);
	return DD_EDB;
}

/*
 * Prepared statements kept for the connection's life, keyed by (connection,
 * address of the SQL text): the callers pass string constants.  One process
 * has few connections and a few dozen distinct statements.
 */
#define DB_PREP_SLOTS 512

static struct db_prep_slot {
	sqlite3 *h;
	const char *sql;
	sqlite3_stmt *st;
} db_prep_cache[DB_PREP_SLOTS];

int
db_prep(sqlite3 *h, const char *sql, sqlite3_stmt **st)
{
	size_t i = ((uintptr_t)sql >> 3 ^ (uintptr_t)h >> 4) % DB_PREP_SLOTS;
	int rc;

	for (size_t k = 0; k < DB_PREP_SLOTS; k++, i = (i + 1) % DB_PREP_SLOTS) {
		struct db_prep_slot *e = &db_prep_cache[i];
		if (e->st != NULL && e->h == h && e->sql == sql) {
			sqlite3_reset(e->st);
			sqlite3_clear_bindings(e->st);
			*st = e->st;
			return SQLITE_OK;
		}
		if (e->st != NULL)
			continue;
		rc = sqlite3_prepare_v3(h, sql, -1, SQLITE_PREPARE_PERSISTENT, &e->st, NULL);
		if (rc != SQLITE_OK) {
			e->st = NULL;
			*st = NULL;
			return rc;
		}
		e->h = h;
		e->sql = sql;
		*st = e->st;
		return SQLITE_OK;
	}
	log_warnx("more than %d cached SQL statements", DB_PREP_SLOTS);
	*st = NULL;
	return SQLITE_NOMEM;
}

/* The cached statements of connection h go (before it closes). */
static void
db_prep_forget(sqlite3 *h)
{
	bool again = true;

	while (again) {
		again = false;
		for (size_t i = 0; i < DB_PREP_SLOTS; i++) {
			struct db_prep_slot *e = &db_prep_cache[i];
			if (e->st == NULL || e->h != h)
				continue;
			sqlite3_finalize(e->st);
			e->st = NULL;
			/* keep the probe chains whole: re-seat what follows */
			for (size_t j = (i + 1) % DB_PREP_SLOTS; db_prep_cache[j].st != NULL;
			     j = (j + 1) % DB_PREP_SLOTS) {
				struct db_prep_slot m = db_prep_cache[j];
				db_prep_cache[j].st = NULL;
				if (m.h == h) {
					sqlite3_finalize(m.st);
					continue;
				}
				for (size_t k = ((uintptr_t)m.sql >> 3 ^ (uintptr_t)m.h >> 4) %
						DB_PREP_SLOTS;
				     ; k = (k + 1) % DB_PREP_SLOTS)
					if (db_prep_cache[k].st == NULL) {
						db_prep_cache[k] = m;
						break;
					}
			}
			again = true;
		}
	}
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	db_prep_forget(db->h);
	sqlite3_close_v2(db->h);
	free(db->path);
	free(db);
}

int
db_zone_sync(struct db *db, const char *name, uint32_t *serial)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	*serial = 1;
	if (db_prep(db->h, "INSERT OR IGNORE INTO zones (name) VALUES (?1)", &st) != SQLITE_OK)
		goto done;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto done;
	sqlite3_reset(st);
	st = NULL;
	if (db_prep(db->h, "SELECT serial FROM zones WHERE name = ?1", &st) !=
	    SQLITE_OK)
		goto done;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto done;
	*serial = (uint32_t)sqlite3_column_int64(st, 0);
	rc = 0;
done:
	if (rc < 0)
		log_warnx("%s: zone %s: %s", db->path, name, sqlite3_errmsg(db->h));
	sqlite3_reset(st);
	return rc;
}

static int db_records_walk(sqlite3 *h, const char *path, sqlite3_stmt *st, db_record_cb cb,
			   void *arg);

/* Maps the file while h reads most of it, instead of a pread per page. */
static void
db_map(sqlite3 *h, bool on)
{
	sqlite3_exec(h, on ? "PRAGMA mmap_size = 4294967296" : "PRAGMA mmap_size = 0", NULL,
		     NULL, NULL);
}

int
db_records_foreach(struct db *db, db_record_cb cb, void *arg)
{
	return db_records_range(db, false, NULL, NULL, cb, arg);
}

int
db_records_range(struct db *db, bool own, const char *lo, const char *hi, db_record_cb cb,
		 void *arg)
{
	sqlite3 *h = db->h;
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (own) {
		h = NULL;
		if (sqlite3_open_v2(db->path, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
				    NULL) != SQLITE_OK)
			goto done;
		sqlite3_busy_timeout(h, 5000);
	}
	if (sqlite3_prepare_v2(h,
			       hi ? "SELECT name, type, value, ttl FROM records "
				    "WHERE name >= ?1 AND name < ?2 ORDER BY name, type, value"
				  : "SELECT name, type, value, ttl FROM records "
				    "WHERE name >= ?1 ORDER BY name, type, value",
			       -1, &st, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_text(st, 1, lo ? lo : "", -1, SQLITE_STATIC);
	if (hi)
		sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	db_map(h, true);
	rc = db_records_walk(h, db->path, st, cb, arg);
	db_map(h, false);
done:
	if (rc == DD_EDB && st == NULL)
		log_warnx("%s: %s", db->path, h ? sqlite3_errmsg(h) : "cannot open");
	sqlite3_finalize(st);
	if (own)
		sqlite3_close(h);
	return rc;
}

int
db_records_split(struct db *db, int64_t min, char **mid)
{
	sqlite3_stmt *st = NULL;
	int64_t n;
	int rc = DD_EDB;

	*mid = NULL;
	db_map(db->h, true);
	n = db_records_count(db);
	if (n < 0)
		goto done;
	if (n < min || n < 2) {
		rc = DD_ENOENT;
		goto done;
	}
	if (sqlite3_prepare_v2(db->h, "SELECT name FROM records ORDER BY name LIMIT 1 OFFSET ?1",
			       -1, &st, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_int64(st, 1, n / 2);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
		*mid = strdup((const char *)sqlite3_column_text(st, 0));
		rc = *mid ? 0 : DD_ENOMEM;
	} else {
		rc = DD_ENOENT;
	}
done:
	if (rc == DD_EDB)
		log_warnx("%s: %s", db->path, sqlite3_errmsg(db->h));
	sqlite3_finalize(st);
	db_map(db->h, false);
	return rc;
}

int
db_records_of_name(struct db *db, const char *name, db_record_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prep(db->h,
			       "SELECT name, type, value, ttl FROM records WHERE name = ?1 "
			       "ORDER BY type, value", &st) != SQLITE_OK) {
		log_warnx("%s: %s", db->path, sqlite3_errmsg(db->h));
		return DD_EDB;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = db_records_walk(db->h, db->path, st, cb, arg);
	sqlite3_reset(st);
	return rc;
}

/* Steps st, calling cb per row. */
static int
db_records_walk(sqlite3 *h, const char *path, sqlite3_stmt *st, db_record_cb cb, void *arg)
{
	int rc = 0, step;

	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *type = (const char *)sqlite3_column_text(st, 1);
		const char *value = (const char *)sqlite3_column_text(st, 2);
		int64_t ttl = sqlite3_column_type(st, 3) == SQLITE_NULL
				      ? -1
				      : sqlite3_column_int64(st, 3);
		rc = cb(arg, name ? name : "", type ? type : "", value ? value : "", ttl);
		if (rc != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE) {
		log_warnx("%s: reading records: %s", path, sqlite3_errmsg(h));
		rc = DD_EDB;
	}
	return rc;
}

int
db_records_list(struct db *db, db_record_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->h,
			       "SELECT name, type, value, ttl FROM records ORDER BY name, type, id",
			       -1, &st, NULL) != SQLITE_OK)
		return DD_EDB;
	rc = db_records_walk(db->h, db->path, st, cb, arg);
	sqlite3_finalize(st);
	return rc;
}

int
db_walk_end(sqlite3_stmt *st, int step, int rc)
{
	if (rc == 0 && step != SQLITE_DONE)
		rc = DD_EDB;
	sqlite3_finalize(st);
	return rc;
}

int64_t
db_records_count(struct db *db)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db->h, "SELECT count(*) FROM records", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

sqlite3 *
db_sqlite(struct db *db)
{
	return db->h;
}

const char *
db_path(const struct db *db)
{
	return db->path;
}

int
db_zone_meta(struct db *db, const char *name, char **soa, char **ns)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_ENOENT;

	*soa = *ns = NULL;
	if (sqlite3_prepare_v2(db->h, "SELECT soa, ns FROM zones WHERE name = ?1 AND soa IS NOT NULL",
			       -1, &st, NULL) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		const char *b = (const char *)sqlite3_column_text(st, 1);
		*soa = strdup(a ? a : "");
		*ns = strdup(b ? b : "");
		rc = (*soa && *ns) ? 0 : DD_ENOMEM;
		if (rc < 0) {
			free(*soa);
			free(*ns);
			*soa = *ns = NULL;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int
db_zone_meta_set(struct db *db, const char *name, const char *soa, const char *ns)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(db->h, "UPDATE zones SET soa = ?2, ns = ?3 WHERE name = ?1", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, soa, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ns, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_reset(st);
	return rc;
}
