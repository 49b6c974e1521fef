/*
 * test_journal.c - the journal, audit and AXFR stores (daemon/db_journal.c,
 * daemon/db_audit.c, daemon/db_axfr.c) on a temporary SQLite file: change
 * groups counted and trimmed whole within a budget, the audit log trimmed
 * by rows and by age, a serial bump stamping the open rows, the journal
 * read newest first, and an AXFR read from one snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_audit.h"
#include "daemon/db_axfr.h"
#include "daemon/db_journal.h"
#include "daemon/dd.h"
#include "daemon/load.h"
#include "shm/table.h"
#include "tests/unit/tap.h"
#include "workers/writer.h"

static char dir[] = "/tmp/ddnsd-test-journal.XXXXXX";
static char dbpath[256];
static struct db *db;
static int64_t now;

/* The first column of the first row of sql on the store's connection, or -1. */
static long
scalar(const char *sql)
{
	sqlite3_stmt *st;
	long v = -1;

	if (sqlite3_prepare_v2(db_sqlite(db), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
exec(const char *sql)
{
	if (sqlite3_exec(db_sqlite(db), sql, NULL, NULL, NULL) != SQLITE_OK)
		diag("failed: %s: %s", sql, sqlite3_errmsg(db_sqlite(db)));
}

/* rows journal rows of zone moving its serial from f to t (0: the open transaction's). */
static void
add_rows(const char *zone, int f, int t, int rows, int64_t ts)
{
	char sql[512], from[16] = "NULL", to[16] = "NULL";

	if (t > 0) {
		snprintf(from, sizeof(from), "%d", f);
		snprintf(to, sizeof(to), "%d", t);
	}
	/* row i: removed when even, added when odd; no TTL for the first */
	for (int i = 0; i < rows; i++) {
		snprintf(sql, sizeof(sql),
			 "INSERT INTO journal (zone, from_serial, serial, op, name, type, value, "
			 "ttl, ts) VALUES ('%s', %s, %s, %d, 'h%d.%s', 'A', '192.0.2.%d', %s, "
			 "%lld)",
			 zone, from, to, i % 2, f, zone, i, i == 0 ? "NULL" : "60", (long long)ts);
		exec(sql);
	}
}

/* Change group g of zone: serial g -> g + 1 (g 0: the open transaction's rows). */
static void
add_group(const char *zone, int g, int rows, int64_t ts)
{
	add_rows(zone, g, g ? g + 1 : 0, rows, ts);
}

static void
check_journal_trim(void)
{
	int64_t ts = 0, groups = -1;

	is_int(db_journal_groups_count(db, "a.test"), 0, "an empty journal: no group");
	is_int(db_journal_oldest_ts(db, "a.test", &ts), DD_ENOENT, "an empty journal: no oldest");
	add_group("a.test", 1, 2, now - 1000);
	add_group("b.test", 1, 1, now - 1000); /* between a's rows in id order */
	add_group("a.test", 2, 2, now - 1000);
	add_group("a.test", 3, 3, now - 1000);
	add_group("a.test", 4, 2, now - 500);
	add_group("a.test", 5, 2, now);
	add_group("a.test", 0, 1, now); /* the open transaction's */
	is_int(db_journal_groups_count(db, "a.test"), 5, "5 groups, the open rows not counted");
	is_int(db_journal_groups_count(db, "b.test"), 1, "the other zone's are its own");
	add_rows("b.test", 1, 3, 1, now);
	add_rows("b.test", 2, 3, 1, now);
	is_int(db_journal_groups_count(db, "b.test"), 3,
	       "a group is a (from, to) pair: a shared from or a shared to is not the same group");
	ok(db_journal_oldest_ts(db, "a.test", &ts) == 0 && ts == now - 1000, "oldest ts");

	is_int(db_journal_trim(db, "a.test", 3, 0, 4, &groups), 4,
	       "excess 3, budget 4: two groups (4 rows), then the budget stops it");
	is_int(groups, 2, "two groups reported");
	is_int(scalar("SELECT min(serial) FROM journal WHERE zone = 'a.test'"), 4,
	       "the oldest left is group 3");
	is_int(scalar("SELECT count(*) FROM journal WHERE zone = 'a.test' AND serial = 4"), 3,
	       "and it is whole");
	is_int(scalar("SELECT count(*) FROM journal WHERE zone = 'b.test'"), 3,
	       "the other zone's row in between stays");
	is_int(db_journal_trim(db, "b.test", 2, 0, 1, &groups), 1,
	       "budget 1 over groups of one row: one group");
	is_int(db_journal_trim(db, "b.test", 1, 0, 1, &groups), 1, "and the next one alone");
	is_int(db_journal_trim(db, "a.test", 1, 0, 1, &groups), 3,
	       "a group larger than the budget goes whole");
	is_int(db_journal_trim(db, "a.test", 0, now - 600, 100, &groups), 0,
	       "nothing past the count and nothing older than the cut: nothing goes");
	is_int(groups, 0, "no group reported");
	is_int(db_journal_trim(db, "a.test", 0, now - 400, 100, &groups), 2,
	       "by age: the group older than the cut goes, the young one stays");
	is_int(db_journal_trim(db, "a.test", 10, 0, 100, &groups), 2,
	       "excess past what there is: the walk ends at the open rows");
	is_int(groups, 1, "one group went");
	is_int(scalar("SELECT count(*) FROM journal WHERE zone = 'a.test' AND serial IS NULL"), 1,
	       "the open transaction's row stays");
	is_int(scalar("SELECT count(*) FROM journal WHERE zone = 'a.test'"), 1, "and only it");
	is_int(db_journal_groups_count(db, "a.test"), 0, "no committed group left");
	/* the writer's open rows are its newest; rows past them are not reached either */
	add_group("a.test", 6, 2, now - 1000);
	is_int(db_journal_trim(db, "a.test", 10, now, 100, &groups), 0,
	       "the walk stops at the open rows, whatever follows");
	is_int(scalar("SELECT count(*) FROM journal WHERE zone = 'a.test'"), 3, "all 3 rows stay");
}

static void
check_serial_bump(void)
{
	uint32_t old = 9, next = 9;
	bool stamped = false;

	add_group("c.test", 0, 2, now);
	is_int(db_journal_serial_bump(db, "c.test", DB_SERIAL_NEXT, 0, &old, &next, &stamped), 0,
	       "bump a zone without a row");
	ok(old == 0 && next == 1 && stamped, "0 -> 1, open rows stamped");
	is_int(scalar("SELECT count(*) FROM journal WHERE zone = 'c.test' AND from_serial = 0 AND "
		      "serial = 1"),
	       2, "both rows carry (0, 1)");
	is_int(scalar("SELECT count(*) FROM journal WHERE zone = 'a.test' AND serial IS NULL"), 1,
	       "another zone's open row is left open");
	is_int(scalar("SELECT serial FROM zones WHERE name = 'c.test'"), 1, "zones.serial stored");
	is_int(db_journal_groups_count(db, "c.test"), 1, "one change group");
	is_int(db_journal_serial_bump(db, "c.test", DB_SERIAL_NEXT, 0, &old, &next, &stamped), 0, "again");
	ok(old == 1 && next == 2 && !stamped, "1 -> 2, nothing to stamp");
	db_journal_serial_bump(db, "c.test", DB_SERIAL_NEXT, 100, &old, &next, &stamped);
	ok(old == 2 && next == 3, "next: val is not looked at");
	db_journal_serial_bump(db, "c.test", DB_SERIAL_AT_LEAST, 100, &old, &next, &stamped);
	is_int(next, 100, "at least: a later serial is taken");
	db_journal_serial_bump(db, "c.test", DB_SERIAL_AT_LEAST, 50, &old, &next, &stamped);
	is_int(next, 101, "at least: an earlier one gives old + 1");
	db_journal_serial_bump(db, "c.test", DB_SERIAL_AT_LEAST, 101, &old, &next, &stamped);
	is_int(next, 102, "at least: the same one gives old + 1");
	db_journal_serial_bump(db, "c.test", DB_SERIAL_AT_LEAST, 103, &old, &next, &stamped);
	is_int(next, 103, "at least: old + 1 itself");
	exec("UPDATE zones SET serial = 73 WHERE name = 'c.test'");
	db_journal_serial_bump(db, "c.test", DB_SERIAL_AT_LEAST, 4294967295u, &old, &next,
			       &stamped);
	ok(old == 73 && next == 74, "at least: 2^32 - 1 is before 73 (RFC 1982): 73 -> 74");
	db_journal_serial_bump(db, "c.test", DB_SERIAL_AT_LEAST, 74u + 0x7fffffffu, &old, &next,
			       &stamped);
	ok(old == 74 && next == 74u + 0x7fffffffu, "at least: 2^31 - 1 ahead is taken");
	exec("UPDATE zones SET serial = 4294967290 WHERE name = 'c.test'");
	db_journal_serial_bump(db, "c.test", DB_SERIAL_AT_LEAST, 5, &old, &next, &stamped);
	ok(old == 4294967290u && next == 5, "at least: 5 is after 2^32 - 6 (wraps)");
	db_journal_serial_bump(db, "c.test", DB_SERIAL_EXACT, 7, &old, &next, &stamped);
	ok(old == 5 && next == 7, "exact: 5 -> 7");
	db_journal_serial_bump(db, "c.test", DB_SERIAL_EXACT, 3, &old, &next, &stamped);
	ok(old == 7 && next == 3, "exact: 7 -> 3 (a transfer's serial as given)");
	is_int(scalar("SELECT serial FROM zones WHERE name = 'c.test'"), 3, "zones.serial stored");
	exec("UPDATE zones SET serial = 4294967295 WHERE name = 'c.test'");
	db_journal_serial_bump(db, "c.test", DB_SERIAL_NEXT, 0, &old, &next, &stamped);
	ok(old == 4294967295u && next == 0, "RFC 1982: 2^32 - 1 -> 0");
}

struct seen {
	int n, stop_at;
	char names[8][64];
	uint32_t ttl[8], to[8];
};

static int
seen_row(void *arg, const struct db_journal_row *row)
{
	struct seen *s = arg;

	if (s->n < 8) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s %s", row->name, row->value);
		s->ttl[s->n] = row->ttl;
		s->to[s->n] = row->to;
	}
	return ++s->n == s->stop_at ? 7 : 0;
}

static void
check_journal_read(void)
{
	struct seen s = {0};

	add_group("d.test", 1, 2, now);
	add_group("d.test", 2, 1, now);
	add_group("d.test", 0, 1, now);
	is_int(db_journal_foreach_newest(db, "d.test", 300, seen_row, &s), 0, "read the journal");
	is_int(s.n, 3, "the committed rows only");
	ok(s.to[0] == 3 && s.to[1] == 2 && s.to[2] == 2, "newest first");
	ok(strcmp(s.names[1], "h1.d.test 192.0.2.1") == 0 && s.ttl[1] == 60, "a row's own TTL");
	ok(strcmp(s.names[2], "h1.d.test 192.0.2.0") == 0 && s.ttl[2] == 300,
	   "no TTL: the zone default");
	s = (struct seen){.stop_at = 1};
	is_int(db_journal_foreach_newest(db, "d.test", 300, seen_row, &s), 7,
	       "a callback's non-zero stops the walk and comes back");
	is_int(s.n, 1, "after one row");
}

static void
audit(const char *name, const char *type)
{
	struct db_audit_row r = {.actor = "master", .source = "http", .action = "set",
				 .name = name, .type = type, .new_value = "192.0.2.1",
				 .client = "127.0.0.1"};
	if (db_audit_insert(db, &r) < 0)
		diag("audit insert failed");
}

static void
check_audit(void)
{
	int64_t lo = 0, hi = 0, ts = 0;

	is_int(db_audit_min_id(db, &lo), DD_ENOENT, "an empty log: no first id");
	is_int(db_audit_oldest_ts(db, &ts), DD_ENOENT, "an empty log: no oldest");
	for (int i = 0; i < 10; i++)
		audit("h.a.test", i ? "A" : NULL);
	is_int(scalar("SELECT count(*) FROM audit WHERE actor = 'master' AND source = 'http' AND "
		      "action = 'set' AND name = 'h.a.test' AND type = 'A' AND old_value IS NULL "
		      "AND new_value = '192.0.2.1' AND client = '127.0.0.1'"),
	       9, "rows stored as given");
	is_int(scalar("SELECT count(*) FROM audit WHERE type IS NULL"), 1, "NULL stays NULL");
	is_int(db_audit_min_id(db, &lo), 0, "a first id");
	is_int(db_audit_max_id(db, &hi), 0, "a last id");
	ok(lo == 1 && hi == 10, "ids 1..10 (%lld..%lld)", (long long)lo, (long long)hi);

	is_int(db_audit_trim(db, hi - 4, 0, 1000), 6, "by rows: keep 4 (cut max - 4)");
	is_int(scalar("SELECT min(id) FROM audit"), 7, "the newest 4 stay");
	ok(db_audit_max_id(db, &hi) == 0 && hi == 10, "the last id is still 10, with 4 rows");
	is_int(db_audit_trim(db, 9, 0, 2), 2, "budget 2 of 3 due");
	is_int(scalar("SELECT min(id) FROM audit"), 9, "the oldest two went");
	for (int i = 0; i < 3; i++)
		audit("h.b.test", "A");
	exec("UPDATE audit SET ts = ts - 1000 WHERE id <= 10 OR id = 13");
	exec("UPDATE audit SET ts = 5 WHERE id = 9");
	ok(db_audit_oldest_ts(db, &ts) == 0 && ts == 5, "the oldest row's ts");
	is_int(db_audit_trim(db, -1, now - 500, 100), 2,
	       "by age: the two old rows go, up to the first young one");
	is_int(scalar("SELECT count(*) FROM audit"), 3, "3 stay, the old id 13 among them");
	ok(db_audit_oldest_ts(db, &ts) == 0 && ts >= now - 5, "the oldest left is young");
}

/* Sets name to one A value through the writer (journal and serial included). */
static int
set_a(struct writer *w, const char *name, const char *v, int64_t ttl)
{
	struct writer_actor who = {.source = "http", .actor = "master"};
	const char *vals[] = {v};
	struct writer_set s = {.name = name, .type = 1, .values = vals, .nvalues = 1, .ttl = ttl};
	struct writer_result res;
	int rc = writer_apply(w, &who, &s, 1, &res);

	writer_result_fini(&res);
	return rc;
}

static void
check_axfr(struct writer *w)
{
	struct sqlite3 *h = NULL;
	struct db_axfr *a = NULL;
	struct db_axfr_row row;
	int n = 0, r = -1, late = 0, other = 0;
	uint32_t ttl_x = 0, ttl_y = 0;

	set_a(w, "x.example.test", "192.0.2.1", -1);
	set_a(w, "y.example.test", "192.0.2.2", 60);
	set_a(w, "x.other.test", "192.0.2.3", -1);
	ok(writer_reader_open(w, &h) == 0 && db_axfr_open(h, "example.test", 300, 60, &a) == 0,
	   "an AXFR read opens");
	set_a(w, "late.example.test", "192.0.2.4", -1);
	while (a && (r = db_axfr_next(a, &row)) == 1) {
		n++;
		late += strcmp(row.name, "late.example.test") == 0;
		other += strstr(row.name, "other.test") != NULL;
		if (strcmp(row.name, "x.example.test") == 0)
			ttl_x = row.ttl;
		if (strcmp(row.name, "y.example.test") == 0)
			ttl_y = row.ttl;
	}
	is_int(r, 0, "the read ends at the last row, not on an error");
	is_int(n, 2, "the zone's two records");
	is_int(late, 0, "a record committed after the open is not seen (one snapshot)");
	is_int(other, 0, "nor another zone's");
	ok(ttl_x == 300 && ttl_y == 60, "TTL: the default where none, else the record's");
	is_int(a ? db_axfr_next(a, &row) : -1, 0, "past the end: 0 again, not the rows again");
	db_axfr_close(a);
	db_axfr_close(NULL);
}

int
main(void)
{
	char zname[] = "example.test", z2name[] = "other.test", nsname[] = "ns1.example.test";
	char rname[] = "h.example.test";
	char *ns[] = {nsname};
	struct cfg_zone zones[2] = {
		{.name = zname, .ttl = 300, .ns = ns, .nns = 1,
		 .soa = {.mname = nsname, .rname = rname, .refresh = 1, .retry = 1, .expire = 1,
			 .minimum = 1}},
		{.name = z2name, .ttl = 300, .ns = ns, .nns = 1,
		 .soa = {.mname = nsname, .rname = rname, .refresh = 1, .retry = 1, .expire = 1,
			 .minimum = 1}}};
	struct cfg cfg = {.zones = zones, .nzones = 2, .table = {.capacity = 256}};
	struct shm_table *t;
	struct writer *w;
	struct load_stats st;
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/ddnsd.db", dir);
	if (db_open(dbpath, &db) < 0)
		return 1;
	now = (int64_t)time(NULL);
	check_journal_trim();
	check_serial_bump();
	check_journal_read();
	check_audit();
	if (load_table(&cfg, db, &t, &st) < 0)
		return 1;
	is_int(writer_create(&w, &cfg, t, dbpath), 0, "a writer on the same file");
	check_axfr(w);
	writer_destroy(w);
	shm_table_destroy(t);
	db_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
	return tap_done();
}
