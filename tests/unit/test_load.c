/* test_load.c - SQLite rows become shared-table entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/load.h"
#include "dns/dname.h"
#include "shm/table.h"
#include "tests/unit/sqlhelp.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/ddnsd-test-load.XXXXXX";

static int
get(struct shm_table *t, const char *name, uint8_t *buf)
{
	uint8_t w[256];
	int n = dns_dname_from_str(name, w, sizeof(w));
	return n < 0 ? n : shm_table_get(t, w, (size_t)n, buf, SHM_ENTRY_MAX, NULL);
}

int
main(void)
{
	static uint8_t buf[SHM_ENTRY_MAX];
	char zname[] = "example.test", nsname[] = "ns1.example.test";
	char rname[] = "hostmaster.example.test";
	char *ns[] = {nsname};
	struct cfg_zone zone = {.name = zname, .ttl = 300, .ns = ns, .nns = 1,
				.soa = {.mname = nsname, .rname = rname,
					.refresh = 3600, .retry = 600, .expire = 604800, .minimum = 60}};
	struct cfg cfg = {.zones = &zone, .nzones = 1, .table = {.capacity = 64}};
	char path[256];
	struct db *db = NULL;
	struct shm_table *t = NULL;
	struct load_stats st;
	const struct shm_entry *e = (const struct shm_entry *)buf;
	const struct shm_rrset *r;
	struct shm_zone_copy zc;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/ddnsd.db", dir);
	is_int(db_open(path, &db), 0, "open database");
	ok(exec_sql(path, "INSERT INTO records (name, type, value, ttl) VALUES"
			  " ('home.example.test', 'A', '192.0.2.1', 60),"
			  " ('home.example.test', 'A', '192.0.2.2', 30),"
			  " ('home.example.test', 'AAAA', '2001:db8::1', NULL),"
			  " ('a.b.example.test', 'TXT', 'hello world', NULL),"
			  " ('*.wild.example.test', 'A', '192.0.2.9', NULL),"
			  " ('other.invalid', 'A', '192.0.2.3', NULL),"
			  " ('bad.example.test', 'A', 'not-an-ip', NULL),"
			  " ('mx.example.test', 'MX', '10 mail', NULL);") == 0,
	   "seed rows");
	{
		uint32_t serial;
		db_zone_sync(db, "example.test", &serial);
	}
	exec_sql(path, "UPDATE zones SET serial = 7");
	is_int(load_table(&cfg, db, &t, &st), 0, "load the table");
	is_int(st.zones, 1, "one zone");
	is_int(st.records, 5, "five valid records loaded");
	is_int(st.skipped, 3, "out-of-zone, invalid value and unsupported type skipped");
	is_int(st.names, 3, "three owner names");
	is_int(st.readers, 1, "a small table: one reader");

	ok(get(t, "home.example.test", buf) > 0, "home found");
	is_int(e->nrrsets, 2, "A and AAAA rrsets");
	r = shm_entry_find(e, 1);
	ok(r != NULL && r->count == 2, "two A records in one rrset");
	ok(r != NULL && r->ttl == 30, "the rrset takes the smallest TTL (RFC 2181 5.2)");
	r = shm_entry_find(e, 28);
	ok(r != NULL && r->ttl == 300 && r->count == 1, "AAAA with the zone default TTL");
	ok(get(t, "b.example.test", buf) > 0 && e->nrrsets == 0,
	   "b.example.test is an empty non-terminal");
	ok(get(t, "a.b.example.test", buf) > 0 && shm_entry_find(e, 16) != NULL, "TXT loaded");
	ok(get(t, "*.wild.example.test", buf) > 0 && (e->flags & SHM_ENTRY_WILDCARD),
	   "wildcard entry flagged");
	is_int(get(t, "bad.example.test", buf), 0, "invalid value not loaded");
	is_int(get(t, "other.invalid", buf), 0, "out-of-zone name not loaded");
	is_int(shm_zone_get(t, 0, &zc), 0, "zone slot readable");
	is_int(zc.soa.serial, 7, "SOA serial from the zones table");
	is_int(zc.ns_count, 1, "one NS");
	shm_table_destroy(t);

	/* a capacity too small is a clear error, not a partial table */
	{
		char sql[128];
		exec_sql(path, "BEGIN");
		for (int i = 0; i < 200; i++) {
			snprintf(sql, sizeof(sql),
				 "INSERT INTO records (name, type, value) VALUES ('h%d.example.test', "
				 "'A', '192.0.2.1')",
				 i);
			exec_sql(path, sql);
		}
		exec_sql(path, "COMMIT");
	}
	t = NULL;
	is_int(load_table(&cfg, db, &t, &st), DD_ENOSPC, "too many names for table.capacity");
	ok(t == NULL, "no table handed out");
	cfg.table.capacity = 1024;
	is_int(load_table(&cfg, db, &t, &st), 0, "a larger capacity loads");
	shm_table_destroy(t);

	/* a large table is read by two threads, each on half of the names */
	ok(exec_sql(path, "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c "
			  "WHERE i < 59999) INSERT INTO records (name, type, value, ttl) "
			  "SELECT 'n' || i || '.example.test', 'A', '10.0.' || (i / 256 % 256) || "
			  "'.' || (i % 256), 60 FROM c;"
			  "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 10 FROM c "
			  "WHERE i < 59990) INSERT INTO records (name, type, value) "
			  "SELECT 'n' || i || '.example.test', 'AAAA', printf('2001:db8::%x', i) FROM c;") == 0,
	   "60,000 more names");
	t = NULL;
	load_set_readers(2); /* whatever the CPUs of this machine */
	is_int(load_table(&cfg, db, &t, &st), DD_ENOSPC,
	       "two readers: a full table stops both, with a clear error");
	ok(t == NULL, "no table handed out");
	cfg.table.capacity = 70000;
	is_int(load_table(&cfg, db, &t, &st), 0, "two readers: the large table loads");
	is_int(st.readers, 2, "the large table is split between two readers");
	is_int(st.names, 60000 + 200 + 3, "every name once");
	is_int(st.records, 60000 + 6000 + 200 + 5, "every valid row");
	{
		int bad = 0;
		char nm[64];
		for (int i = 0; i < 60000; i++) {
			snprintf(nm, sizeof(nm), "n%d.example.test", i);
			if (get(t, nm, buf) <= 0 || e->nrrsets != (i % 10 == 0 ? 2 : 1) ||
			    shm_entry_find(e, 1) == NULL || shm_entry_find(e, 1)->ttl != 60)
				bad++;
		}
		is_int(bad, 0, "each name whole: its A rrset, and its AAAA rrset every tenth name");
	}
	ok(get(t, "home.example.test", buf) > 0 && e->nrrsets == 2, "the earlier names still load");
	shm_table_destroy(t);

	/* the same table through one reader */
	load_set_readers(1);
	t = NULL;
	is_int(load_table(&cfg, db, &t, &st), 0, "one reader: the large table loads");
	is_int(st.readers, 1, "one reader asked for, one used");
	is_int(st.names, 60000 + 200 + 3, "one reader: every name once");
	is_int(st.records, 60000 + 6000 + 200 + 5, "one reader: every valid row");
	ok(get(t, "n59990.example.test", buf) > 0 && e->nrrsets == 2, "one reader: the last name whole");
	shm_table_destroy(t);
	load_set_readers(0);
	db_close(db);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		diag("cleanup failed");
	return tap_done();
}
