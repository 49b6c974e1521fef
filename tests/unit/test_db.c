/* test_db.c - SQLite schema creation, migration and record walks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/dd.h"
#include "tests/unit/sqlhelp.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/ddnsd-test-db.XXXXXX";

struct walk {
	int n;
	char names[8][64];
	long long ttls[8];
};

static int
walk_cb(void *arg, const char *name, const char *type, const char *value, int64_t ttl)
{
	struct walk *w = arg;
	if (w->n < 8) {
		snprintf(w->names[w->n], sizeof(w->names[0]), "%s %s %s", name, type, value);
		w->ttls[w->n] = ttl;
	}
	w->n++;
	return 0;
}

static int
stop_cb(void *arg, const char *name, const char *type, const char *value, int64_t ttl)
{
	(void)name, (void)type, (void)value, (void)ttl;
	(*(int *)arg)++;
	return 7;
}

int
main(void)
{
	char path[256], sub[256];
	struct db *db = NULL;
	uint32_t serial = 0;
	struct walk w = {0};
	int calls = 0;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/a/b/ddnsd.db", dir);

	is_int(db_open(path, &db), 0, "open creates the file and its parent directories");
	ok(access(path, F_OK) == 0, "database file exists");
	is_int(db_zone_sync(db, "example.test", &serial), 0, "zone sync inserts the zone");
	is_int(serial, 1, "a new zone starts at serial 1");
	is_int(db_records_count(db), 0, "no records yet");
	db_close(db);

	is_int(scalar_sql(path, "SELECT version FROM schema_version"), DB_SCHEMA_VERSION,
	       "schema_version is recorded");
	{
		sqlite3 *h;
		sqlite3_stmt *st;
		const unsigned char *mode = NULL;
		char m[16] = "";
		sqlite3_open(path, &h);
		if (sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW && (mode = sqlite3_column_text(st, 0)))
			snprintf(m, sizeof(m), "%s", (const char *)mode);
		sqlite3_finalize(st);
		sqlite3_close(h);
		ok(strcmp(m, "wal") == 0, "database is in WAL mode (%s)", m);
	}
	ok(exec_sql(path, "UPDATE zones SET serial = 42 WHERE name = 'example.test';"
			  "INSERT INTO records (name, type, value, ttl) VALUES"
			  " ('b.example.test', 'A', '192.0.2.2', NULL),"
			  " ('a.example.test', 'TXT', 'hello', 60),"
			  " ('a.example.test', 'A', '192.0.2.1', 30);") == 0,
	   "rows inserted with the sqlite3 API");
	ok(exec_sql(path, "INSERT INTO records (name, type, value) VALUES"
			  " ('a.example.test', 'A', '192.0.2.1')") < 0,
	   "(name, type, value) is unique");

	is_int(db_open(path, &db), 0, "reopen an existing database");
	is_int(db_zone_sync(db, "example.test", &serial), 0, "zone sync of a known zone");
	is_int(serial, 42, "the stored serial survives");
	is_int(db_records_count(db), 3, "three records");
	is_int(db_records_foreach(db, walk_cb, &w), 0, "walk records");
	is_int(w.n, 3, "walk visits every record");
	ok(strcmp(w.names[0], "a.example.test A 192.0.2.1") == 0, "ordered by name then type (%s)",
	   w.names[0]);
	ok(strcmp(w.names[1], "a.example.test TXT hello") == 0, "second row (%s)", w.names[1]);
	is_int(w.ttls[1], 60, "explicit ttl");
	is_int(w.ttls[2], -1, "NULL ttl is -1 (zone default)");
	is_int(db_records_foreach(db, stop_cb, &calls), 7, "callback's non-zero stops the walk");
	is_int(calls, 1, "stopped after the first row");
	db_close(db);

	/* schema 6 (a rowid table and a unique index) becomes 7 (clustered by key) */
	snprintf(path, sizeof(path), "%s/v6.db", dir);
	ok(exec_sql(path,
		    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
		    "INSERT INTO schema_version VALUES (6);"
		    "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT);"
		    "CREATE TABLE records (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		    " type TEXT NOT NULL, value TEXT NOT NULL, ttl INTEGER,"
		    " owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
		    " created_at INTEGER NOT NULL DEFAULT 5, updated_at INTEGER NOT NULL DEFAULT 6,"
		    " UNIQUE (name, type, value));"
		    "CREATE INDEX records_owner ON records (owner_id);"
		    "INSERT INTO users VALUES (3, 'u');"
		    "INSERT INTO records (id, name, type, value, ttl, owner_id) VALUES"
		    " (10, 't.example.test', 'TXT', 'zz', NULL, 3),"
		    " (11, 't.example.test', 'TXT', 'aa', 60, NULL),"
		    " (12, 'a.example.test', 'A', '192.0.2.9', 30, 3);") == 0,
	   "a schema 6 database");
	is_int(db_open(path, &db), 0, "schema 6 is migrated");
	is_int(db_records_count(db), 3, "every row kept");
	db_close(db);
	is_int(scalar_sql(path, "SELECT version FROM schema_version"), DB_SCHEMA_VERSION, "now at the current schema");
	is_int(scalar_sql(path, "SELECT rowid FROM records"), -1, "records has no rowid");
	is_int(scalar_sql(path, "SELECT count(*) FROM sqlite_master WHERE name = 'records_owner'"), 0,
	       "the owner index is gone");
	is_int(scalar_sql(path, "SELECT id FROM records WHERE name = 't.example.test' ORDER BY id"),
	       10, "ids kept: insertion order survives");
	is_int(scalar_sql(path, "SELECT owner_id FROM records WHERE value = 'zz'"), 3, "owner kept");
	is_int(scalar_sql(path, "SELECT ttl FROM records WHERE value = 'aa'"), 60, "ttl kept");
	is_int(scalar_sql(path, "SELECT created_at FROM records WHERE value = 'aa'"), 5,
	       "created_at kept");
	ok(exec_sql(path, "INSERT INTO records (name, type, value) VALUES"
			  " ('t.example.test', 'TXT', 'mm')") == 0,
	   "a row added by another tool");
	ok(scalar_sql(path, "SELECT id FROM records WHERE value = 'mm'") > 1000000000000000L,
	   "gets the clock's microseconds as id, after every older row");
	ok(exec_sql(path, "INSERT INTO records (name, type, value) VALUES"
			  " ('t.example.test', 'TXT', 'mm')") < 0,
	   "(name, type, value) is still unique");
	ok(exec_sql(path, "PRAGMA foreign_keys = ON; DELETE FROM users WHERE id = 3") == 0,
	   "a user is deleted");
	is_int(scalar_sql(path, "SELECT count(*) FROM records WHERE owner_id IS NOT NULL"), 0,
	       "their rows lose the owner (ON DELETE SET NULL)");

	snprintf(path, sizeof(path), "%s/a/b/ddnsd.db", dir);
	ok(exec_sql(path, "UPDATE schema_version SET version = 999") == 0, "pretend a newer schema");
	is_int(db_open(path, &db), DD_EDB, "a newer schema is refused");
	ok(db == NULL, "no handle on failure");

	snprintf(sub, sizeof(sub), "%s/notadir", dir);
	ok(exec_sql(sub, "CREATE TABLE x (y)") == 0, "a plain file");
	snprintf(path, sizeof(path), "%s/notadir/ddnsd.db", dir);
	ok(db_open(path, &db) < 0, "a parent that is a file fails cleanly");

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		diag("cleanup of %s failed", dir);
	return tap_done();
}
