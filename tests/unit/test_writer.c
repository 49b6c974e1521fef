/* test_writer.c - the one write path on a temporary SQLite file and table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/load.h"
#include "dns/dname.h"
#include "dns/rdata.h"
#include "shm/table.h"
#include "tests/unit/sqlhelp.h"
#include "tests/unit/tap.h"
#include "workers/writer.h"

static char dir[] = "/tmp/ddnsd-test-writer.XXXXXX";
static char dbpath[256];

static long
scalar(const char *sql)
{
	return scalar_sql(dbpath, sql);
}

/* Number of rdata items of type at name in the table (-1 when absent). */
static int
served(struct shm_table *t, const char *name, uint16_t type)
{
	static uint8_t buf[SHM_ENTRY_MAX] __attribute__((aligned(8)));
	uint8_t w[256];
	int n = dns_dname_from_str(name, w, sizeof(w));
	const struct shm_rrset *r;

	if (n < 0 || shm_table_get(t, w, (size_t)n, buf, sizeof(buf), NULL) <= 0)
		return -1;
	r = shm_entry_find((const struct shm_entry *)buf, type);
	return r ? r->count : 0;
}

static int
apply1(struct writer *w, const char *name, uint16_t type, const char *const *v, size_t n,
       int64_t ttl, struct writer_result *res)
{
	struct writer_actor who = {.source = "http", .actor = "master", .client = "127.0.0.1"};
	struct writer_set s = {.name = name, .type = type, .values = v, .nvalues = n, .ttl = ttl};
	return writer_apply(w, &who, &s, 1, res);
}

int
main(void)
{
	char zname[] = "example.test", nsname[] = "ns1.example.test", rname[] = "h.example.test";
	char *ns[] = {nsname};
	struct cfg_zone zone = {.name = zname, .ttl = 300, .ns = ns, .nns = 1,
				.soa = {.mname = nsname, .rname = rname, .refresh = 1, .retry = 1,
					.expire = 1, .minimum = 1}};
	struct cfg cfg = {.zones = &zone, .nzones = 1, .table = {.capacity = 256}};
	const char *a1[] = {"192.0.2.1"}, *a2[] = {"192.0.2.2", "192.0.2.1"};
	const char *a2r[] = {"192.0.2.1", "192.0.2.2"}, *cn[] = {"home.example.test"};
	struct writer_result res;
	struct shm_table *t;
	struct writer *w;
	struct db *db;
	struct load_stats st;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/ddnsd.db", dir);
	if (db_open(dbpath, &db) < 0 || load_table(&cfg, db, &t, &st) < 0)
		return 1;
	is_int(writer_create(&w, &cfg, t, dbpath), 0, "writer opens its own connection");

	is_int(apply1(w, "home.example.test", 1, a1, 1, -1, &res), 0, "set A");
	ok(res.changed && res.nold == 0, "changed, nothing before");
	writer_result_fini(&res);
	is_int(served(t, "home.example.test", 1), 1, "served at once from the table");
	is_int(scalar("SELECT serial FROM zones"), 2, "serial bumped once");
	is_int(scalar("SELECT count(*) FROM audit"), 1, "one audit row");

	is_int(apply1(w, "home.example.test", 1, a1, 1, -1, &res), 0, "same value again");
	ok(!res.changed && res.nold == 1, "unchanged, old value reported");
	writer_result_fini(&res);
	is_int(scalar("SELECT serial FROM zones"), 2, "no serial bump when unchanged");
	is_int(scalar("SELECT count(*) FROM audit"), 1, "no audit row when unchanged");

	is_int(apply1(w, "home.example.test", 1, a2, 2, -1, &res), 0, "set a two-value RRset");
	ok(res.changed, "changed");
	writer_result_fini(&res);
	is_int(served(t, "home.example.test", 1), 2, "both served");
	is_int(apply1(w, "home.example.test", 1, a2r, 2, -1, &res), 0, "same set, other order");
	ok(!res.changed, "order does not matter");
	writer_result_fini(&res);
	is_int(apply1(w, "home.example.test", 1, a2r, 2, 60, &res), 0, "same set, new TTL");
	ok(res.changed, "a TTL change is a change");
	writer_result_fini(&res);

	is_int(apply1(w, "home.example.test", 5, cn, 1, -1, &res), DD_EEXIST,
	       "CNAME beside an A is refused (RFC 1034 3.6.2)");
	writer_result_fini(&res);
	is_int(apply1(w, "alias.example.test", 5, cn, 1, -1, &res), 0, "CNAME on a free name");
	writer_result_fini(&res);
	is_int(apply1(w, "alias.example.test", 1, a1, 1, -1, &res), DD_EEXIST,
	       "A beside a CNAME is refused");
	writer_result_fini(&res);
	is_int(apply1(w, "x.elsewhere.test", 1, a1, 1, -1, &res), DD_EINVAL, "outside the zones");
	writer_result_fini(&res);

	/* a 2xx means served: what one table entry cannot hold is refused first */
	{
		static char big[64][256];
		const char *txt[64], *six[] = {"2001:db8::1", "2001:db8::2", "2001:db8::3",
					       "2001:db8::4", "2001:db8::5", "2001:db8::6"};
		long rows0 = scalar("SELECT count(*) FROM records");
		for (size_t i = 0; i < 64; i++) {
			memset(big[i], 'a' + (int)(i % 26), 255);
			big[i][0] = (char)('A' + i % 26);
			big[i][1] = (char)('A' + i / 26);
			big[i][255] = '\0';
			txt[i] = big[i];
		}
		is_int(apply1(w, "big.example.test", DNS_TYPE_TXT, txt, 64, -1, &res), DD_ETOOBIG,
		       "64 x 255-byte TXT strings: more than an entry holds, refused");
		writer_result_fini(&res);
		is_int(scalar("SELECT count(*) FROM records"), rows0, "refused: no row written");
		is_int(served(t, "big.example.test", DNS_TYPE_TXT), -1, "refused: nothing served");
		is_int(apply1(w, "big.example.test", DNS_TYPE_TXT, txt, 63, -1, &res), 0,
		       "63 of them fit");
		writer_result_fini(&res);
		is_int(served(t, "big.example.test", DNS_TYPE_TXT), 63, "all 63 served");
		is_int(apply1(w, "big.example.test", DNS_TYPE_AAAA, six, 6, -1, &res), DD_ETOOBIG,
		       "six AAAA beside them would not fit: refused");
		writer_result_fini(&res);
		is_int(served(t, "big.example.test", DNS_TYPE_AAAA), 0, "no AAAA served");
		is_int(served(t, "big.example.test", DNS_TYPE_TXT), 63, "the TXT RRset still served");
		is_int(apply1(w, "big.example.test", DNS_TYPE_AAAA, six, 1, -1, &res), 0,
		       "one AAAA still fits beside them");
		writer_result_fini(&res);
		is_int(served(t, "big.example.test", DNS_TYPE_AAAA), 1, "and is served");
	}

	is_int(apply1(w, "home.example.test", 1, NULL, 0, -1, &res), 0, "delete the A RRset");
	ok(res.changed && res.deleted == 2, "two rows deleted");
	writer_result_fini(&res);
	is_int(served(t, "home.example.test", 1), -1, "gone from the table");
	is_int(apply1(w, "home.example.test", 1, NULL, 0, -1, &res), 0, "delete again");
	ok(!res.changed, "deleting nothing is no change");
	writer_result_fini(&res);

	{
		struct writer_actor who = {.source = "http", .actor = "master"};
		struct writer_set two[2] = {
			{.name = "a.example.test", .type = 1, .values = a1, .nvalues = 1, .ttl = -1},
			{.name = "b.example.test", .type = 5, .values = cn, .nvalues = 2, .ttl = -1}};
		struct writer_result r2[2];
		long before = scalar("SELECT count(*) FROM records");
		is_int(writer_apply(w, &who, two, 2, r2), DD_EINVAL,
		       "an invalid second set fails the whole call");
		is_int(scalar("SELECT count(*) FROM records"), before, "all or nothing");
		is_int(served(t, "a.example.test", 1), -1, "nothing published");
		is_int(scalar("SELECT count(*) FROM journal WHERE name = 'a.example.test'"), 0,
		       "a failed call leaves no journal row");
	}

	/* the IXFR journal: one (from_serial, serial) per committed change */
	{
		long s0 = scalar("SELECT serial FROM zones");
		long j0 = scalar("SELECT count(*) FROM journal");
		const char *a3[] = {"192.0.2.3"};
		is_int(scalar("SELECT count(*) FROM journal WHERE serial IS NULL"), 0,
		       "every journal row has its serial");
		is_int(apply1(w, "j.example.test", 1, a1, 1, -1, &res), 0, "journal: add");
		writer_result_fini(&res);
		is_int(scalar("SELECT count(*) FROM journal") - j0, 1, "one row added");
		is_int(scalar("SELECT op FROM journal ORDER BY id DESC LIMIT 1"), 1, "an addition");
		is_int(scalar("SELECT from_serial FROM journal ORDER BY id DESC LIMIT 1"), s0,
		       "from the serial before");
		is_int(scalar("SELECT serial FROM journal ORDER BY id DESC LIMIT 1"), s0 + 1,
		       "to the serial after");
		is_int(apply1(w, "j.example.test", 1, a3, 1, -1, &res), 0, "journal: replace");
		writer_result_fini(&res);
		is_int(scalar("SELECT count(*) FROM journal WHERE serial = (SELECT serial FROM zones)"),
		       2, "a replacement is one removal and one addition");
		is_int(scalar("SELECT count(*) FROM journal WHERE serial = (SELECT serial FROM zones) "
			      "AND op = 0 AND value = '192.0.2.1'"),
		       1, "the old value is the removal");
		is_int(apply1(w, "j.example.test", 1, a3, 1, -1, &res), 0, "journal: unchanged");
		writer_result_fini(&res);
		is_int(scalar("SELECT max(serial) FROM journal"), s0 + 2, "an unchanged set journals nothing");
		is_int(apply1(w, "x.elsewhere.test", 1, a1, 1, -1, &res), DD_EINVAL, "outside zones");
		writer_result_fini(&res);
		is_int(scalar("SELECT count(*) FROM journal WHERE zone != 'example.test'"), 0,
		       "rows name their zone");
	}
	{
		struct writer_actor who = {.source = "transfer", .actor = "primary"};
		struct writer_rr rr[] = {{.name = "t.example.test", .type = 1, .value = "192.0.2.9",
					  .ttl = 60}};
		size_t removed = 0, added = 0;
		is_int(writer_transfer_zone(w, &who, 0, rr, 1, 4000000000u,
					    "ns9.example.test hm.example.test 10 20 30 40", "ns9.example.test",
					    &removed, &added),
		       0, "a secondary's transfer stores the zone");
		is_int(scalar("SELECT serial FROM zones"), 4000000000L, "with exactly the primary's serial");
		is_int(added, 1, "one record added");
		is_int(served(t, "t.example.test", 1), 1, "and served");
		is_int(scalar("SELECT count(*) FROM records"), 1, "what was there before is gone");
	}
	{
		/* a store that cannot be read fails the write: nothing changes hands or goes */
		ok(exec_sql(dbpath, "DROP TABLE pool_members; DROP TABLE pools") == 0,
		   "pools dropped by another connection");
		is_int(apply1(w, "t.example.test", 1, NULL, 0, -1, &res), DD_EDB,
		       "a delete whose owner read fails is DD_EDB");
		writer_result_fini(&res);
		is_int(scalar("SELECT count(*) FROM records WHERE name = 't.example.test'"), 1,
		       "the row stays");
		is_int(served(t, "t.example.test", 1), 1, "and is still served");
	}
	writer_destroy(w);
	shm_table_destroy(t);
	db_close(db);
	snprintf(dbpath, sizeof(dbpath), "rm -rf %s", dir);
	if (system(dbpath) != 0)
		diag("cleanup failed");
	return tap_done();
}
