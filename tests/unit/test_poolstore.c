/*
 * test_poolstore.c - the writer's pool store (daemon/db_pools.h writes and
 * reads, the pool rows of daemon/db_journal.h) on a temporary SQLite file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/db_journal.h"
#include "daemon/db_pools.h"
#include "daemon/db_records.h"
#include "daemon/db_users.h"
#include "daemon/db_writer.h"
#include "daemon/dd.h"
#include "tests/unit/sqlhelp.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/ddnsd-test-poolstore.XXXXXX";
static char path[256], path2[256];

/* The one zone: example.test. */
static const char *
zone_of(const void *arg, const char *name)
{
	size_t n = strlen(name), z = strlen("example.test");

	(void)arg;
	if (strcmp(name, "example.test") == 0 ||
	    (n > z && name[n - z - 1] == '.' && strcmp(name + n - z, "example.test") == 0))
		return "example.test";
	return NULL;
}

static int
slot_cb(void *arg, const struct db_pool_row *r)
{
	char line[200];

	snprintf(line, sizeof(line), "%lld", (long long)r->slot);
	return seen_add(arg, line);
}

static int
ip_cb(void *arg, const struct db_pool_row *r)
{
	return seen_add(arg, r->ip);
}

static int
state_cb(void *arg, const struct db_pool_row *r)
{
	char line[200];

	snprintf(line, sizeof(line), "%lld %s %lld %s %lld %lld %s %d %d %lld",
	         (long long)r->pool_id, r->name, (long long)r->slot, r->all_down, (long long)r->ttl,
	         (long long)r->pos, r->ip, r->xfr_up, r->notified_up, (long long)r->members);
	return seen_add(arg, line);
}

static int
get_cb(void *arg, const struct db_pool_row *r)
{
	char line[200];

	snprintf(line, sizeof(line), "%lld %lld %s %lld %lld %s %d %s %s %lld %lld",
	         (long long)r->pool_id, (long long)r->slot, r->policy, (long long)r->answers,
	         (long long)r->ttl, r->all_down, r->prefix_match,
	         r->check_json ? r->check_json : "-", r->ip, (long long)r->weight,
	         (long long)r->pos);
	return seen_add(arg, line);
}

/* Two pools: w (slot 2, checked, unowned) and e (slot 0, owned by alice). */
static void
test_insert(struct db *db, int64_t *w, int64_t *e)
{
	struct db_pool_row def = {.name = "w.example.test",
	                          .slot = 2,
	                          .policy = "weighted",
	                          .answers = 2,
	                          .ttl = 60,
	                          .all_down = "closed",
	                          .prefix_match = true,
	                          .check_json = "{\"type\":\"tcp\"}"};
	int64_t alice = 0, id = 0;

	is_int(db_pool_insert(db, &def, 0, w), 0, "pool w inserted");
	ok(*w > 0, "with its id (%lld)", (long long)*w);
	is_int(scalar_sql(path,
	                  "SELECT count(*) FROM pools WHERE name = 'w.example.test' AND slot = 2"
	                  " AND policy = 'weighted' AND answers = 2 AND ttl = 60 AND all_down ="
	                  " 'closed' AND prefix_match = 1 AND check_json = '{\"type\":\"tcp\"}'"
	                  " AND owner_id IS NULL"),
	       1, "every column stored, no owner");
	is_int(db_pool_insert(db, &def, 0, &id), DD_EDB, "a taken name is DD_EDB");
	is_int(db_user_insert(db, "alice", false, &alice), 0, "a user");
	def = (struct db_pool_row){.name = "e.example.test",
	                           .slot = 0,
	                           .policy = "failover",
	                           .ttl = 45,
	                           .all_down = "open"};
	is_int(db_pool_insert(db, &def, alice, e), 0, "pool e inserted, owned");
	is_int(scalar_sql(path,
	                  "SELECT count(*) FROM pools WHERE name = 'e.example.test' AND"
	                  " check_json IS NULL AND prefix_match = 0 AND owner_id IS NOT NULL"),
	       1, "no check, its owner");
	def.name = "f.example.test";
	is_int(db_pool_insert(db, &def, 0, &id), DD_EDB, "a taken slot is DD_EDB");
	/* out of position order: the reads must sort */
	is_int(db_pool_member_insert(db, *w, 1, "2001:db8::1", 1), 0, "member at 1");
	is_int(db_pool_member_insert(db, *w, 0, "192.0.2.1", 3), 0, "member at 0");
	is_int(db_pool_member_insert(db, *w, 0, "192.0.2.9", 3), DD_EDB,
	       "a taken position is DD_EDB");
	is_int(db_pool_member_insert(db, *e, 0, "192.0.2.5", 1), 0, "e's member");
	is_int(scalar_sql(path, "SELECT weight FROM pool_members WHERE ip = '192.0.2.1'"), 3,
	       "its weight");
}

static void
test_reads(struct db *db, int64_t w, int64_t e)
{
	struct seen s = {0};
	char want[200];
	int64_t slot = -1;

	is_int(db_pool_slots_foreach(db, slot_cb, &s), 0, "slots walked");
	ok(s.n == 2 && strcmp(s.row[0], "0") == 0 && strcmp(s.row[1], "2") == 0,
	   "in slot order (%d: %s, %s)", s.n, s.row[0], s.row[1]);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	is_int(db_pool_slots_foreach(db, slot_cb, &s), 7, "a callback's non-zero stops the walk");
	is_int(s.n, 1, "after one slot");
	is_int(db_pool_slot_find(db, "w.example.test", &slot), 0, "w's slot found");
	is_int(slot, 2, "slot 2");
	is_int(db_pool_slot_find(db, "x.example.test", &slot), DD_ENOENT, "no pool is DD_ENOENT");
	memset(&s, 0, sizeof(s));
	is_int(db_pool_member_ips(db, w, ip_cb, &s), 0, "w's members");
	ok(s.n == 2 && strcmp(s.row[0], "192.0.2.1") == 0 && strcmp(s.row[1], "2001:db8::1") == 0,
	   "by position (%d: %s, %s)", s.n, s.row[0], s.row[1]);
	memset(&s, 0, sizeof(s));
	is_int(db_pool_member_ips(db, e + w + 1, ip_cb, &s), 0, "an unknown pool's members");
	is_int(s.n, 0, "are none");
	memset(&s, 0, sizeof(s));
	is_int(db_pool_get(db, "w.example.test", get_cb, &s), 0, "db_pool_get of w");
	snprintf(want, sizeof(want),
	         "%lld 2 weighted 2 60 closed 1 {\"type\":\"tcp\"} 192.0.2.1 3 0", (long long)w);
	ok(s.n == 2 && strcmp(s.row[0], want) == 0, "with its id (%s)", s.row[0]);
	is_int(db_pool_name_check(db, "w.example.test"), 0, "a pool name without records is free");
	ok(exec_sql(path, "INSERT INTO records (name, type, value) VALUES"
	                  " ('r.example.test', 'A', '192.0.2.7')") == 0,
	   "a record");
	is_int(db_pool_name_check(db, "r.example.test"), DD_EEXIST, "its name is DD_EEXIST");
}

static void
test_states(struct db *db, int64_t w, int64_t e)
{
	struct seen s = {0};
	char want[3][200];

	snprintf(want[0], sizeof(want[0]), "%lld w.example.test 2 closed 60 0 192.0.2.1 1 1 2",
	         (long long)w);
	snprintf(want[1], sizeof(want[1]), "%lld w.example.test 2 closed 60 1 2001:db8::1 1 1 2",
	         (long long)w);
	snprintf(want[2], sizeof(want[2]), "%lld e.example.test 0 open 45 0 192.0.2.5 1 1 1",
	         (long long)e);
	is_int(db_pool_states(db, state_cb, &s), 0, "member states walked");
	ok(s.n == 3 && strcmp(s.row[0], want[0]) == 0 && strcmp(s.row[1], want[1]) == 0 &&
	           strcmp(s.row[2], want[2]) == 0,
	   "by pool id and position, published up, member counts (%s | %s | %s)", s.row[0],
	   s.row[1], s.row[2]);
	is_int(db_pool_member_states_set(db, w, 1, 0, -1), 0, "xfr_up set, notified_up kept");
	is_int(scalar_sql(path, "SELECT xfr_up * 10 + notified_up FROM pool_members WHERE ip ="
	                        " '2001:db8::1'"),
	       1, "xfr_up 0, notified_up 1");
	memset(&s, 0, sizeof(s));
	is_int(db_pool_states(db, state_cb, &s), 0, "walked again");
	ok(s.n == 3 && strstr(s.row[1], " 2001:db8::1 0 1 2") != NULL, "the states read back (%s)",
	   s.row[1]);
	is_int(db_pool_member_states_set(db, w, 1, -1, 0), 0, "notified_up set, xfr_up kept");
	is_int(scalar_sql(path, "SELECT xfr_up * 10 + notified_up FROM pool_members WHERE ip ="
	                        " '2001:db8::1'"),
	       0, "both 0");
	is_int(scalar_sql(path, "SELECT sum(xfr_up + notified_up) FROM pool_members WHERE ip <>"
	                        " '2001:db8::1'"),
	       4, "the other members untouched");
}

static void
test_journal(struct db *db)
{
	is_int(db_journal_pool_add(db, "w.example.test", 0), 0, "pool w journalled as removed");
	is_int(scalar_sql(path, "SELECT count(*) FROM journal"), 1,
	       "one row: the member secondaries see (xfr_up 1)");
	is_int(scalar_sql(path,
	                  "SELECT count(*) FROM journal WHERE zone = 'example.test' AND op = 0"
	                  " AND name = 'w.example.test' AND type = 'A' AND value = '192.0.2.1'"
	                  " AND ttl = 60 AND serial IS NULL"),
	       1, "an A row in the open change group, with the pool's TTL");
	is_int(db_journal_pool_add(db, "x.example.test", 1), 0, "an unknown pool");
	is_int(scalar_sql(path, "SELECT count(*) FROM journal"), 1, "adds nothing");
	is_int(db_journal_member_add(db, "w.example.test", "2001:db8::1", 60, 1), 0,
	       "a member journalled as added");
	is_int(scalar_sql(path,
	                  "SELECT count(*) FROM journal WHERE zone = 'example.test' AND op = 1"
	                  " AND type = 'AAAA' AND value = '2001:db8::1' AND ttl = 60"),
	       1, "as AAAA, whatever its stored state");
	is_int(db_journal_member_add(db, "w.other.test", "192.0.2.1", 60, 1), 0,
	       "a member outside every zone");
	is_int(scalar_sql(path, "SELECT count(*) FROM journal"), 2, "adds nothing");
}

static void
test_delete(struct db *db, int64_t e)
{
	int64_t slot = -1;

	is_int(db_pool_delete_id(db, e), 0, "e deleted by id");
	is_int(scalar_sql(path, "SELECT count(*) FROM pools WHERE name = 'e.example.test'"), 0,
	       "its pool row gone");
	is_int(scalar_sql(path, "SELECT count(*) FROM pool_members"), 2, "and its member with it");
	is_int(db_pool_delete(db, "w.example.test"), 0, "w deleted by name");
	is_int(db_pool_slot_find(db, "w.example.test", &slot), DD_ENOENT, "w is gone");
	is_int(scalar_sql(path, "SELECT count(*) FROM pool_members"), 0, "with its members");
	is_int(db_pool_delete(db, "w.example.test"), 0, "deleting no pool is 0");
}

/*
 * Each call once on an empty pool store, so that its statement is kept
 * (db_prep): the failures below then come from a step, not a prepare.
 */
static void
test_warm(struct db *db)
{
	struct db_pool_row def = {
	        .name = "n.example.test", .policy = "failover", .all_down = "open"};
	struct seen s = {0};
	struct db_pool_count *c = NULL;
	size_t nc = 0;
	int64_t slot = -1, id = 0, pos = -1;
	int bad = 0;

	bad += db_pool_slots_foreach(db, slot_cb, &s) != 0;
	bad += db_pool_slot_find(db, "n.example.test", &slot) != DD_ENOENT;
	bad += db_pool_member_ips(db, 1, ip_cb, &s) != 0;
	bad += db_pool_name_check(db, "n.example.test") != 0;
	bad += db_pool_states(db, state_cb, &s) != 0;
	bad += db_pool_insert(db, &def, 0, &id) != 0;
	bad += db_pool_member_insert(db, id, 0, "192.0.2.1", 1) != 0;
	bad += db_pool_member_states_set(db, id, 0, 1, 1) != 0;
	bad += db_journal_pool_add(db, "n.example.test", 0) != 0;
	bad += db_journal_member_add(db, "n.example.test", "192.0.2.1", 60, 0) != 0;
	bad += db_pool_get(db, "n.example.test", get_cb, &s) != 0;
	bad += db_pool_member_find(db, "n.example.test", "192.0.2.1", &slot, &pos) != 0;
	bad += db_pool_counts(db, &c, &nc) != 0 || nc != 1;
	db_pool_counts_free(c, nc);
	bad += db_name_owner(db, "n.example.test") != 0;
	bad += db_pool_delete_id(db, id) != 0;
	bad += db_pool_delete(db, "n.example.test") != 0;
	is_int(bad, 0, "every call works on the second database");
}

/* Once the tables are gone, every read and write is DD_EDB, never "no row". */
static void
test_failures(void)
{
	struct db_pool_row def = {
	        .name = "n.example.test", .policy = "failover", .all_down = "open"};
	struct db *db = NULL;
	struct seen s = {0};
	struct db_pool_count *c = NULL;
	size_t nc = 7;
	int64_t slot = -1, id = 0, pos = -1;

	is_int(db_open(path2, &db), 0, "a second database");
	if (db == NULL)
		return;
	is_int(db_writer_setup(db, zone_of, NULL), 0, "its writing connection");
	test_warm(db);
	ok(exec_sql(path2, "DROP TABLE pool_members; DROP TABLE pools; DROP TABLE records;"
	                   " DROP TABLE journal") == 0,
	   "its tables dropped by another connection");
	is_int(db_pool_slots_foreach(db, slot_cb, &s), DD_EDB, "slots: DD_EDB");
	is_int(db_pool_slot_find(db, "n.example.test", &slot), DD_EDB, "slot find: DD_EDB");
	is_int(db_pool_member_ips(db, 1, ip_cb, &s), DD_EDB, "member ips: DD_EDB");
	is_int(db_pool_name_check(db, "n.example.test"), DD_EDB, "name check: DD_EDB");
	is_int(db_pool_states(db, state_cb, &s), DD_EDB, "states: DD_EDB");
	is_int(s.n, 0, "no callback");
	is_int(db_pool_insert(db, &def, 0, &id), DD_EDB, "insert: DD_EDB");
	is_int(db_pool_member_insert(db, 1, 0, "192.0.2.1", 1), DD_EDB, "member insert: DD_EDB");
	is_int(db_pool_member_states_set(db, 1, 0, 1, 1), DD_EDB, "states set: DD_EDB");
	is_int(db_pool_delete_id(db, 1), DD_EDB, "delete by id: DD_EDB");
	is_int(db_pool_delete(db, "n.example.test"), DD_EDB, "delete: DD_EDB");
	is_int(db_pool_get(db, "n.example.test", get_cb, &s), DD_EDB, "pool get: DD_EDB");
	is_int(s.n, 0, "and no callback");
	is_int(db_pool_member_find(db, "n.example.test", "192.0.2.1", &slot, &pos), DD_EDB,
	       "member find: DD_EDB");
	is_int(db_pool_counts(db, &c, &nc), DD_EDB, "pool counts: DD_EDB");
	ok(c == NULL && nc == 0, "and no counts");
	is_int(db_name_owner(db, "n.example.test"), -1, "owner read: -1, not \"no owner\"");
	is_int(db_journal_pool_add(db, "n.example.test", 0), DD_EDB, "pool journal rows: DD_EDB");
	is_int(db_journal_member_add(db, "n.example.test", "192.0.2.1", 60, 0), DD_EDB,
	       "member journal row: DD_EDB");
	ok(strstr(db_errmsg(db), "journal") != NULL, "with the reason (%s)", db_errmsg(db));
	db_close(db);
}

int
main(void)
{
	struct db *db = NULL;
	int64_t w = 0, e = 0;
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/ddnsd.db", dir);
	snprintf(path2, sizeof(path2), "%s/broken.db", dir);
	is_int(db_open(path, &db), 0, "a new database");
	if (db == NULL)
		return tap_done();
	is_int(db_writer_setup(db, zone_of, NULL), 0, "the writing connection");
	test_insert(db, &w, &e);
	test_reads(db, w, e);
	test_states(db, w, e);
	test_journal(db);
	test_delete(db, e);
	db_close(db);
	test_failures();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup of %s failed", dir);
	return tap_done();
}
