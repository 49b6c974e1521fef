/*
 * test_retention.c - writer_trim: the IXFR journal keeps journal.max_changes
 * change groups (whole) and nothing older than journal.max_age; the audit log
 * keeps audit.max_rows rows and nothing older than audit.max_age; a step
 * stops near its budget, at a group boundary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/load.h"
#include "shm/table.h"
#include "tests/unit/sqlhelp.h"
#include "tests/unit/tap.h"
#include "workers/writer.h"

static char dir[] = "/tmp/ddnsd-test-retention.XXXXXX";
static char dbpath[256];

static long
scalar(const char *sql)
{
	return scalar_sql(dbpath, sql);
}

static void
exec(const char *sql)
{
	if (exec_sql(dbpath, sql) < 0)
		diag("failed: %s", sql);
}

/* Sets name (in example.test) to 192.0.2.N: one change group. */
static int
set_a(struct writer *w, const char *name, int n)
{
	struct writer_actor who = {.source = "http", .actor = "master", .client = "127.0.0.1"};
	char v[32];
	const char *vals[] = {v};
	struct writer_set s = {.name = name, .type = 1, .values = vals, .nvalues = 1, .ttl = -1};
	struct writer_result res;
	int rc;

	snprintf(v, sizeof(v), "192.0.2.%d", n);
	rc = writer_apply(w, &who, &s, 1, &res);
	writer_result_fini(&res);
	return rc;
}

/* Change groups in the journal of example.test, and groups not whole (a row count other than 2). */
#define GROUPS "SELECT count(DISTINCT serial) FROM journal WHERE zone = 'example.test'"
#define PARTIAL                                                                                    \
	"SELECT count(*) FROM (SELECT serial FROM journal WHERE zone = 'example.test' AND serial > " \
	"(SELECT min(serial) FROM journal WHERE zone = 'example.test') GROUP BY serial HAVING "    \
	"count(*) != 2)"

static long
trim_all(struct writer *w, long budget, int *steps)
{
	int r;
	*steps = 0;
	while ((r = writer_trim(w, budget)) == 1 && *steps < 1000)
		(*steps)++;
	(*steps)++;
	return r;
}

static void
no_schedule(void *arg)
{
	(void)arg;
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
	struct cfg cfg = {.zones = zones, .nzones = 2, .table = {.capacity = 1024},
			  .journal = {.max_changes = 3, .max_age = 7 * 86400},
			  .audit = {.max_rows = 5, .max_age = 90 * 86400}};
	struct shm_table *t;
	struct writer *w;
	struct db *db;
	struct load_stats st;
	long top;
	int steps;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/ddnsd.db", dir);
	if (db_open(dbpath, &db) < 0 || load_table(&cfg, db, &t, &st) < 0)
		return 1;
	is_int(writer_create(&w, &cfg, t, dbpath), 0, "writer opens");

	/* ---- journal.max_changes: the newest 3 groups stay, whole */
	for (int i = 1; i <= 10; i++)
		set_a(w, "h1.example.test", i);
	set_a(w, "h1.other.test", 1);
	is_int(scalar(GROUPS), 10, "10 change groups journalled");
	is_int(writer_trim(w, 1000), 0, "one step trims it all (under the budget)");
	is_int(scalar(GROUPS), 3, "3 groups kept (journal.max_changes)");
	top = scalar("SELECT serial FROM zones WHERE name = 'example.test'");
	is_int(scalar("SELECT min(serial) FROM journal WHERE zone = 'example.test'"), top - 2,
	       "they are the newest");
	is_int(scalar("SELECT count(*) FROM journal WHERE zone = 'example.test'"), 6,
	       "each whole: a removal and an addition");
	is_int(scalar("SELECT count(*) FROM journal WHERE zone = 'other.test'"), 1,
	       "the other zone's journal is its own");
	is_int(writer_trim(w, 1000), 0, "nothing more to trim");
	is_int(scalar(GROUPS), 3, "a second step keeps the 3");

	/* ---- a step stops near its budget, at a group boundary */
	for (int i = 11; i <= 30; i++)
		set_a(w, "h1.example.test", i);
	is_int(scalar(GROUPS), 23, "23 groups");
	is_int(writer_trim(w, 3), 1, "a step of budget 3: more is left");
	is_int(scalar(GROUPS), 21, "two groups (4 rows) went: the budget is reached at a boundary");
	is_int(scalar(PARTIAL), 0, "no group is left in part");
	is_int(trim_all(w, 3, &steps), 0, "further steps finish it");
	is_int(scalar(GROUPS), 3, "3 groups again");
	ok(steps >= 9, "in small steps (%d)", steps);

	/* ---- a group larger than the budget still goes whole */
	{
		struct writer_actor who = {.source = "http", .actor = "master"};
		const char *v[] = {"198.51.100.1"};
		struct writer_set sets[20];
		struct writer_result res[20];
		char names[20][32];
		for (int i = 0; i < 20; i++) {
			snprintf(names[i], sizeof(names[i]), "big%d.example.test", i);
			sets[i] = (struct writer_set){.name = names[i], .type = 1, .values = v,
						      .nvalues = 1, .ttl = -1};
		}
		is_int(writer_apply(w, &who, sets, 20, res), 0, "one change of 20 names");
		for (int i = 0; i < 20; i++)
			writer_result_fini(&res[i]);
	}
	top = scalar("SELECT serial FROM zones WHERE name = 'example.test'");
	for (int i = 31; i <= 33; i++)
		set_a(w, "h1.example.test", i);
	is_int(scalar(GROUPS), 7, "3 old + the big one + 3 new");
	is_int(trim_all(w, 5, &steps), 0, "trimmed with budget 5");
	is_int(scalar(GROUPS), 3, "3 kept");
	is_int(scalar("SELECT count(*) FROM journal WHERE serial = (SELECT serial FROM zones WHERE "
		      "name = 'example.test') - 3"),
	       0, "the 20-row group went whole, not in part");
	(void)top;

	/* ---- journal.max_age: an old group goes even within max_changes */
	exec("UPDATE journal SET ts = ts - 8 * 86400 WHERE zone = 'example.test' AND serial = "
	     "(SELECT min(serial) FROM journal WHERE zone = 'example.test')");
	is_int(writer_trim(w, 1000), 0, "trim by age");
	is_int(scalar(GROUPS), 2, "the group older than 7 days went");
	is_int(scalar("SELECT count(*) FROM journal WHERE zone = 'other.test'"), 1,
	       "the other zone's single group is young: kept");

	/* ---- an open group's rows (no serial yet) are never trimmed; counts follow */
	writer_group_init(w, no_schedule, NULL);
	is_int(set_a(w, "h2.example.test", 1), 0, "a change in an open group");
	is_int(scalar("SELECT count(*) FROM journal WHERE name = 'h2.example.test'"), 0,
	       "not committed yet: another connection does not see its row");
	is_int(writer_trim(w, 1000), 0, "trim with the group open");
	is_int(writer_group_commit(w), 0, "the group commits, trim included");
	is_int(scalar("SELECT count(*) FROM journal WHERE name = 'h2.example.test'"), 1,
	       "the open group's row survived, with its serial");
	is_int(scalar(GROUPS), 3, "3 groups: the counted 2 and the new one");
	for (int i = 34; i <= 35; i++) {
		set_a(w, "h1.example.test", i);
		writer_group_commit(w);
	}
	is_int(writer_trim(w, 1000), 0, "trim");
	writer_group_commit(w);
	is_int(scalar(GROUPS), 3, "the count kept in memory agrees with the table");
	ok(!writer_group_open(w), "no group open");
	is_int(writer_trim(w, 1000), 0, "nothing due");
	ok(!writer_group_open(w), "nothing due: no transaction opened (an idle server syncs nothing)");

	/* ---- a new writer counts the groups from the table */
	writer_destroy(w);
	cfg.journal.max_changes = 1;
	is_int(writer_create(&w, &cfg, t, dbpath), 0, "writer reopens with max_changes 1");
	is_int(writer_trim(w, 1000), 0, "trim");
	is_int(scalar(GROUPS), 1, "one group left");
	is_int(scalar("SELECT min(serial) FROM journal WHERE zone = 'example.test'"),
	       scalar("SELECT serial FROM zones WHERE name = 'example.test'"), "the newest");

	/* ---- the audit log: audit.max_rows, then audit.max_age */
	for (int i = 1; i <= 9; i++)
		set_a(w, "h4.example.test", i);
	top = scalar("SELECT max(id) FROM audit");
	ok(scalar("SELECT count(*) FROM audit") >= 14, "more audit rows than audit.max_rows (%ld)",
	   scalar("SELECT count(*) FROM audit"));
	is_int(writer_trim(w, 1000), 0, "trim");
	is_int(scalar("SELECT count(*) FROM audit"), 5, "5 rows kept");
	is_int(scalar("SELECT min(id) FROM audit"), top - 4, "the newest 5");
	exec("UPDATE audit SET ts = ts - 91 * 86400 WHERE id <= (SELECT min(id) + 1 FROM audit)");
	is_int(writer_trim(w, 1000), 0, "trim by age");
	is_int(scalar("SELECT count(*) FROM audit"), 3, "the two rows older than 90 days went");
	w = (writer_destroy(w), NULL);
	cfg.audit.max_rows = 0;
	is_int(writer_create(&w, &cfg, t, dbpath), 0, "writer with audit.max_rows 0 (no count limit)");
	for (int i = 40; i < 90; i++)
		set_a(w, "h3.example.test", i);
	is_int(writer_trim(w, 1000), 0, "trim");
	is_int(scalar("SELECT count(*) FROM audit"), 53, "no count limit: all 53 kept");
	exec("UPDATE audit SET ts = ts - 91 * 86400 WHERE id <= (SELECT min(id) + 29 FROM audit)");
	is_int(writer_trim(w, 20), 1, "age, budget 20: more is left");
	is_int(scalar("SELECT count(*) FROM audit"), 33, "20 went");
	is_int(writer_trim(w, 20), 0, "the rest");
	is_int(scalar("SELECT count(*) FROM audit"), 23, "30 old rows went, 23 stay");

	writer_destroy(w);
	shm_table_destroy(t);
	db_close(db);
	snprintf(dbpath, sizeof(dbpath), "rm -rf %s", dir);
	if (system(dbpath) != 0)
		diag("cleanup failed");
	return tap_done();
}
