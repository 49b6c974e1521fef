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

static long
query_int(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long v = -1;
	if (sqlite3_open(path, &h) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

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

	is_int(query_int(path, "SELECT version FROM schema_version"), DB_SCHEMA_VERSION,
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
