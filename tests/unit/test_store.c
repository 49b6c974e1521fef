/* test_store.c - the store (daemon/db_*.h) on a temporary SQLite file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/db_outbox.h"
#include "daemon/db_pools.h"
#include "daemon/db_users.h"
#include "daemon/db_views.h"
#include "daemon/dd.h"
#include "tests/unit/sqlhelp.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/ddnsd-test-store.XXXXXX";
static char path[256];

static int
user_cb(void *arg, const struct db_user *u)
{
	char line[160];

	snprintf(line, sizeof(line), "%s %d %lld %d", u->username, u->admin, (long long)u->names,
	         u->created_at > 1000000000);
	return seen_add(arg, line);
}

static int
token_cb(void *arg, const struct db_token *t)
{
	char line[160];

	snprintf(line, sizeof(line), "%lld %s %lld %s %d %d", (long long)t->id,
	         t->subdomain ? t->subdomain : "-", (long long)t->user_id,
	         t->username ? t->username : "-", t->created_at > 1000000000,
	         t->last_used_at > 1000000000);
	return seen_add(arg, line);
}

static void
test_users(struct db *db, int64_t *alice, int64_t *bob)
{
	struct seen s = {0};
	bool admin = true;
	int64_t id = 0;

	is_int(db_user_insert(db, "alice", false, alice), 0, "user alice created");
	ok(*alice > 0, "with a row id (%lld)", (long long)*alice);
	is_int(db_user_insert(db, "alice", true, &id), DD_EEXIST, "a taken name is DD_EEXIST");
	is_int(db_user_insert(db, "bob", true, bob), 0, "user bob (admin) created");
	is_int(db_user_find(db, "alice", &admin), *alice, "alice found by name");
	ok(!admin, "alice is no admin");
	is_int(db_user_find(db, "bob", &admin), *bob, "bob found by name");
	ok(admin, "bob is an admin");
	is_int(db_user_find(db, "carol", NULL), 0, "an unknown user is 0");
	ok(exec_sql(path, "INSERT INTO records (name, type, value, owner_id) VALUES"
	                  " ('a.example.test', 'A', '192.0.2.1', 1), ('a.example.test', 'A',"
	                  " '192.0.2.2', 1), ('b.example.test', 'TXT', 'x', 1)") == 0,
	   "alice owns three rows of two names");
	is_int(db_user_list(db, true, user_cb, &s), 0, "user list with names");
	is_int(s.n, 2, "two users");
	ok(strcmp(s.row[0], "alice 0 2 1") == 0, "alice first, two names, a creation time (%s)",
	   s.row[0]);
	ok(strcmp(s.row[1], "bob 1 0 1") == 0, "bob, admin, no names (%s)", s.row[1]);
	memset(&s, 0, sizeof(s));
	is_int(db_user_list(db, false, user_cb, &s), 0, "user list without names");
	ok(strcmp(s.row[0], "alice 0 0 1") == 0, "names not counted (%s)", s.row[0]);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	is_int(db_user_list(db, false, user_cb, &s), 7, "a callback's non-zero stops the list");
	is_int(s.n, 1, "after one user");
}

static int
find_cb(void *arg, const struct db_token *t)
{
	unsigned char want[DB_TOKEN_HASH_LEN];
	char line[160];

	memset(want, 'a', sizeof(want));
	snprintf(line, sizeof(line), "%lld %s %lld %s %d %d", (long long)t->id,
	         t->subdomain ? t->subdomain : "-", (long long)t->user_id,
	         t->username ? t->username : "-", t->admin,
	         t->hash != NULL && memcmp(t->hash, want, sizeof(want)) == 0);
	return seen_add(arg, line);
}

static void
test_tokens(struct db *db, int64_t alice, int64_t bob)
{
	unsigned char ha[DB_TOKEN_HASH_LEN], hb[DB_TOKEN_HASH_LEN], hx[DB_TOKEN_HASH_LEN];
	struct seen s = {0};
	char want[160];
	int64_t ta = 0, tb = 0;

	memset(ha, 'a', sizeof(ha));
	memset(hb, 'b', sizeof(hb));
	memset(hx, 'x', sizeof(hx));
	is_int(db_token_insert(db, alice, NULL, ha, &ta), 0, "alice's API token stored");
	is_int(db_token_insert(db, 0, "h.example.test", hb, &tb), 0, "an unowned scoped token");
	ok(tb > ta && ta > 0, "row ids in order (%lld, %lld)", (long long)ta, (long long)tb);
	is_int(db_token_find(db, ha, find_cb, &s), 0, "alice's token found by its hash");
	snprintf(want, sizeof(want), "%lld - %lld alice 0 1", (long long)ta, (long long)alice);
	ok(s.n == 1 && strcmp(s.row[0], want) == 0, "its id, user and hash (%s)", s.row[0]);
	is_int(db_token_find(db, hx, find_cb, &s), DD_ENOENT, "an unknown hash is DD_ENOENT");
	is_int(s.n, 1, "no callback for it");
	is_int(db_token_touch(db, ta), 0, "token touched");
	memset(&s, 0, sizeof(s));
	is_int(db_token_list(db, token_cb, &s), 0, "token list");
	is_int(s.n, 2, "two tokens");
	snprintf(want, sizeof(want), "%lld - %lld alice 1 1", (long long)ta, (long long)alice);
	ok(strcmp(s.row[0], want) == 0, "alice's, created and used (%s)", s.row[0]);
	snprintf(want, sizeof(want), "%lld h.example.test 0 - 1 0", (long long)tb);
	ok(strcmp(s.row[1], want) == 0, "the scoped one: no user, never used (%s)", s.row[1]);
	is_int(db_token_delete(db, tb, false, alice), DD_ENOENT, "alice may not revoke another's");
	is_int(db_token_delete(db, ta, false, bob), DD_ENOENT, "nor bob alice's, as a user");
	is_int(db_token_delete(db, ta, false, alice), 0, "alice revokes her own");
	is_int(db_token_delete(db, tb, true, 0), 0, "any token, for an admin");
	is_int(db_token_delete(db, tb, true, 0), DD_ENOENT, "a revoked token is gone");
	is_int(scalar_sql(path, "SELECT count(*) FROM tokens"), 0, "no tokens left");
	is_int(db_token_insert(db, bob, NULL, hx, &ta), 0, "bob's token stored");
	is_int(db_user_delete(db, "bob"), 0, "bob deleted");
	is_int(scalar_sql(path, "SELECT count(*) FROM tokens"), 0, "his token went with him");
	is_int(db_user_delete(db, "bob"), DD_ENOENT, "an unknown user is DD_ENOENT");
}

static void
test_acme(struct db *db)
{
	unsigned char h[DB_ACME_HASH_LEN], got[DB_ACME_HASH_LEN];
	char sub[64], *allow = NULL;

	memset(h, 7, sizeof(h));
	is_int(db_acme_insert(db, "u-1", h, "s-1", "[\"192.0.2.0/24\"]"), 0, "acme account stored");
	is_int(db_acme_find(db, "u-1", got, sub, sizeof(sub), &allow), 0, "and found");
	ok(memcmp(h, got, sizeof(h)) == 0, "its password hash");
	ok(strcmp(sub, "s-1") == 0, "its subdomain (%s)", sub);
	ok(allow && strcmp(allow, "[\"192.0.2.0/24\"]") == 0, "its allowfrom (%s)",
	   allow ? allow : "NULL");
	free(allow);
	is_int(db_acme_find(db, "u-2", got, sub, sizeof(sub), &allow), DD_ENOENT,
	       "an unknown account is DD_ENOENT");
}

struct walked {
	struct seen s;
	struct db *db;
	int cursor_rc;
	bool other_write; /* another connection writes before the first cursor move */
};

static int
outbox_cb(void *arg, const struct db_outbox_row *r)
{
	struct walked *w = arg;
	char line[160];

	/* another process commits, then this connection writes: the walk's
	 * read must be over, or its snapshot is stale (SQLITE_BUSY_SNAPSHOT) */
	if (w->other_write) {
		w->other_write = false;
		if (exec_sql(path, "INSERT INTO outbox (event) VALUES ('z')") < 0)
			diag("the other connection's write failed");
	}
	w->cursor_rc = db_outbox_cursor_set(w->db, "t", r->id);
	snprintf(line, sizeof(line), "%s %s %s %s %s %s %d", r->event, r->name ? r->name : "-",
	         r->type ? r->type : "-", r->value ? r->value : "-",
	         r->old_value ? r->old_value : "-", r->detail ? r->detail : "-",
	         r->ts > 1000000000);
	return seen_add(&w->s, line);
}

static void
test_outbox(struct db *db)
{
	struct db_outbox_row a = {.event = "a",
	                          .name = "n.example.test",
	                          .type = "A",
	                          .value = "192.0.2.1",
	                          .old_value = "192.0.2.0",
	                          .detail = "{\"k\":1}"};
	struct db_outbox_row b = {.event = "b", .name = "skipped"};
	struct db_outbox_row c = {.event = "c", .value = "v"};
	struct walked w = {.db = db, .other_write = true};
	int64_t id = -1;

	is_int(db_outbox_insert(db, &a), 0, "an outbox row with every field");
	is_int(db_outbox_insert(db, &b), 0, "an event no target wants");
	is_int(db_outbox_insert(db, &c), 0, "a row with NULLs");
	is_int(scalar_sql(path, "SELECT count(*) FROM outbox WHERE type IS NULL"), 2,
	       "absent fields stored as NULL");
	is_int(db_outbox_walk(db, "t", ",a,c,", 10, outbox_cb, &w), 0, "walk target t");
	is_int(w.s.n, 2, "two wanted events");
	ok(strcmp(w.s.row[0], "a n.example.test A 192.0.2.1 192.0.2.0 {\"k\":1} 1") == 0,
	   "the first in full (%s)", w.s.row[0]);
	ok(strcmp(w.s.row[1], "c - - v - - 1") == 0, "then the third (%s)", w.s.row[1]);
	is_int(w.cursor_rc, 0, "the cursor moved from the callback, after another's commit");
	is_int(db_outbox_cursor_get(db, "t", &id), 0, "cursor read");
	is_int(id, 3, "past the last event delivered");
	memset(&w.s, 0, sizeof(w.s));
	is_int(db_outbox_walk(db, "t", ",a,c,", 10, outbox_cb, &w), 0, "walk again");
	is_int(w.s.n, 0, "nothing after the cursor");
	is_int(db_outbox_cursor_get(db, "u", &id), 0, "a new target's cursor");
	is_int(id, 0, "starts at 0");
	w.s.stop_at = 1;
	is_int(db_outbox_walk(db, "u2", ",a,b,c,", 10, outbox_cb, &w), 7,
	       "a callback's non-zero stops the walk");
	is_int(w.s.n, 1, "after one event");
	memset(&w.s, 0, sizeof(w.s));
	is_int(db_outbox_walk(db, "u3", ",a,b,c,", 2, outbox_cb, &w), 0, "a walk of at most 2");
	is_int(w.s.n, 2, "stops at 2");
	is_int(db_outbox_trim(db, 2), 0, "trim to id 2");
	is_int(scalar_sql(path, "SELECT min(id) FROM outbox"), 3, "older events gone");
}

static int
record_cb(void *arg, const char *name, const char *type, const char *value, int64_t ttl)
{
	char line[160];

	snprintf(line, sizeof(line), "%s %s %s %lld", name, type, value, (long long)ttl);
	return seen_add(arg, line);
}

static int
audit_cb(void *arg, const struct db_audit *a)
{
	char line[160];

	snprintf(line, sizeof(line), "%lld %s %s", (long long)a->ts, a->action,
	         a->name ? a->name : "-");
	return seen_add(arg, line);
}

static void
test_views(struct db *db)
{
	struct seen s = {0};

	ok(exec_sql(path, "DELETE FROM records; INSERT INTO records (name, type, value, ttl, id)"
	                  " VALUES ('t.example.test', 'TXT', 'zz', NULL, 1),"
	                  " ('t.example.test', 'TXT', 'aa', 60, 2), ('a.example.test', 'A',"
	                  " '192.0.2.9', 30, 3);"
	                  "INSERT INTO audit (ts, actor, source, action, name) VALUES"
	                  " (100, 'm', 'http', 'set', 'x'), (200, 'm', 'cli', 'delete', NULL),"
	                  " (300, 'm', 'http', 'set', 'y')") == 0,
	   "records and audit rows");
	is_int(db_records_list(db, record_cb, &s), 0, "record listing");
	is_int(s.n, 3, "every record");
	ok(strcmp(s.row[0], "a.example.test A 192.0.2.9 30") == 0, "by name first (%s)", s.row[0]);
	ok(strcmp(s.row[1], "t.example.test TXT zz -1") == 0,
	   "then values in the order they came, not by value; no ttl is -1 (%s)", s.row[1]);
	memset(&s, 0, sizeof(s));
	is_int(db_audit_list(db, 2, audit_cb, &s), 0, "audit listing");
	is_int(s.n, 2, "limited to 2");
	ok(strcmp(s.row[0], "300 set y") == 0 && strcmp(s.row[1], "200 delete -") == 0,
	   "newest first (%s, %s)", s.row[0], s.row[1]);
}

static int
pool_row_cb(void *arg, const struct db_pool_row *r)
{
	char line[160];

	snprintf(line, sizeof(line), "%s %lld %s %s %lld", r->name ? r->name : "-",
	         (long long)r->slot, r->policy ? r->policy : "-", r->ip, (long long)r->weight);
	return seen_add(arg, line);
}

static int
pool_info_cb(void *arg, const struct db_pool_info *p)
{
	char line[160];

	snprintf(line, sizeof(line), "%s %s %lld", p->name, p->all_down, (long long)p->members);
	return seen_add(arg, line);
}

static void
test_pools(struct db *db)
{
	struct db_pool_count *c = NULL;
	struct seen s = {0};
	int64_t slot = -1, pos = -1;
	size_t n = 0;

	ok(exec_sql(path, "INSERT INTO pools (id, name, slot, policy, all_down) VALUES"
	                  " (1, 'w.example.test', 4, 'weighted', 'closed'),"
	                  " (2, 'e.example.test', 5, 'failover', 'open');"
	                  "INSERT INTO pool_members (pool_id, pos, ip, weight) VALUES"
	                  " (1, 1, '192.0.2.2', 1), (1, 0, '192.0.2.1', 3)") == 0,
	   "two pools, one without members");
	is_int(db_pools_foreach(db, NULL, pool_row_cb, &s), 0, "walk every pool");
	is_int(s.n, 2, "one row per member");
	ok(strcmp(s.row[0], "w.example.test 4 weighted 192.0.2.1 3") == 0 &&
	           strcmp(s.row[1], "w.example.test 4 weighted 192.0.2.2 1") == 0,
	   "in member order (%s, %s)", s.row[0], s.row[1]);
	is_int(db_pool_member_find(db, "w.example.test", "192.0.2.2", &slot, &pos), 0,
	       "a member found");
	ok(slot == 4 && pos == 1, "at its slot and position (%lld, %lld)", (long long)slot,
	   (long long)pos);
	is_int(db_pool_member_find(db, "w.example.test", "192.0.2.9", &slot, &pos), DD_ENOENT,
	       "a stranger is DD_ENOENT");
	memset(&s, 0, sizeof(s));
	is_int(db_pool_list(db, pool_info_cb, &s), 0, "pool listing");
	ok(s.n == 2 && strcmp(s.row[0], "e.example.test open 0") == 0 &&
	           strcmp(s.row[1], "w.example.test closed 2") == 0,
	   "by name, with member counts (%s, %s)", s.row[0], s.row[1]);
	is_int(db_pool_counts(db, &c, &n), 0, "pool counts");
	ok(n == 1 && strcmp(c[0].name, "w.example.test") == 0 && c[0].slot == 4 &&
	           c[0].members == 2,
	   "only pools with members (%zu)", n);
	db_pool_counts_free(c, n);
}

int
main(void)
{
	struct db *db = NULL;
	int64_t alice = 0, bob = 0;
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/ddnsd.db", dir);
	is_int(db_open(path, &db), 0, "a new database");
	if (db == NULL)
		return tap_done();
	test_users(db, &alice, &bob);
	test_tokens(db, alice, bob);
	test_acme(db);
	test_outbox(db);
	test_views(db);
	test_pools(db);
	db_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup of %s failed", dir);
	return tap_done();
}
