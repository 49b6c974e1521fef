/* db_writer.c - the writing connection's setup and transactions (see db_writer.h). */
#include "daemon/db_writer.h"

#include <stddef.h>
#include <stdio.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "dns/dnssec.h"

/* A pool as secondaries and UPDATE prerequisites see it: A/AAAA rows. */
#define DB_POOL_RRS                                                                               \
	"CREATE TEMP VIEW pool_rrs AS SELECT p.name AS name, CASE WHEN instr(m.ip, ':') "        \
	"THEN 'AAAA' ELSE 'A' END AS type, m.ip AS value, p.ttl AS ttl, m.xfr_up AS xfr_up "     \
	"FROM main.pools p JOIN main.pool_members m ON m.pool_id = p.id;"

/*
 * A signed zone's RRSIGs and NSEC3 or NSEC records leave journal rows too,
 * their wire RDATA as a BLOB value (db_journal.c hands it on in hex; type
 * RRSIG, NSEC3, NSEC), so an IXFR carries the signature changes.  A pool's answer sets
 * (variant != 0) are not part of the zone a secondary holds, and a zone
 * being signed in the background leaves none: its journal is forgotten when
 * it goes out signed.
 */
#define DB_DNSSEC_SIGNED(z) "(SELECT pending FROM main.dnssec_zones WHERE zone = " z ") IS NULL"
/* the owner of a chain row r (OLD or NEW) of a zone whose dnssec_zones row is d */
#define DB_CHAIN_OWNER(r)                                                                         \
	"CASE d.denial WHEN 'nsec' THEN " r ".name ELSE dd_nsec3_owner(" r ".sortkey, " r         \
	".zone) END"
#define DB_DNSSEC_JOURNAL                                                                         \
	"CREATE TEMP TRIGGER journal_sig_ins AFTER INSERT ON main.dnssec_sigs "                \
	"WHEN NEW.variant = 0 AND " DB_DNSSEC_SIGNED("NEW.zone") " BEGIN "                       \
	"INSERT INTO journal (zone, op, name, type, value) VALUES "                               \
	"(NEW.zone, 1, NEW.name, 'RRSIG', NEW.rdata); END;"                                       \
	"CREATE TEMP TRIGGER journal_sig_upd AFTER UPDATE OF rdata ON main.dnssec_sigs "       \
	"WHEN NEW.variant = 0 AND " DB_DNSSEC_SIGNED("NEW.zone") " BEGIN "                       \
	"INSERT INTO journal (zone, op, name, type, value) VALUES "                               \
	"(OLD.zone, 0, OLD.name, 'RRSIG', OLD.rdata); "                                           \
	"INSERT INTO journal (zone, op, name, type, value) VALUES "                               \
	"(NEW.zone, 1, NEW.name, 'RRSIG', NEW.rdata); END;"                                       \
	"CREATE TEMP TRIGGER journal_sig_del AFTER DELETE ON main.dnssec_sigs "                \
	"WHEN OLD.variant = 0 AND " DB_DNSSEC_SIGNED("OLD.zone") " BEGIN "                       \
	"INSERT INTO journal (zone, op, name, type, value) VALUES "                               \
	"(OLD.zone, 0, OLD.name, 'RRSIG', OLD.rdata); END;"                                       \
	"CREATE TEMP TRIGGER journal_chain_upd AFTER UPDATE OF rdata ON main.dnssec_chain "    \
	"WHEN " DB_DNSSEC_SIGNED("NEW.zone") " BEGIN "                                             \
	"INSERT INTO journal (zone, op, name, type, value) SELECT OLD.zone, 0, "                 \
	DB_CHAIN_OWNER("OLD") ", upper(d.denial), OLD.rdata FROM main.dnssec_zones d "            \
	"WHERE d.zone = OLD.zone AND OLD.rdata IS NOT NULL; "                                     \
	"INSERT INTO journal (zone, op, name, type, value) SELECT NEW.zone, 1, "                 \
	DB_CHAIN_OWNER("NEW") ", upper(d.denial), NEW.rdata FROM main.dnssec_zones d "            \
	"WHERE d.zone = NEW.zone AND NEW.rdata IS NOT NULL; "                                     \
	"END;"                                                                                    \
	"CREATE TEMP TRIGGER journal_chain_del AFTER DELETE ON main.dnssec_chain "             \
	"WHEN OLD.rdata IS NOT NULL AND " DB_DNSSEC_SIGNED("OLD.zone") " BEGIN "                 \
	"INSERT INTO journal (zone, op, name, type, value) SELECT OLD.zone, 0, "                 \
	DB_CHAIN_OWNER("OLD") ", upper(d.denial), OLD.rdata FROM main.dnssec_zones d "            \
	"WHERE d.zone = OLD.zone; END;"

/*
 * Every change to records, whoever makes it on this connection, leaves
 * journal rows (serial NULL until the zone's serial is bumped).  The
 * triggers are TEMP: they exist only on the writer's connection, so other
 * tools writing the file (sqlite3, a restore) are not tied to dd_zone().
 */
static const char *const db_journal_triggers =
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
	"dd_zone(NEW.name) IS NOT NULL; END;" DB_POOL_RRS DB_DNSSEC_JOURNAL;

/* Indexed by enum db_txn_op; string constants, so db_prep keeps each prepared. */
static const char *const db_txn_sql[] = {
	[DB_BEGIN] = "BEGIN",
	[DB_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[DB_COMMIT] = "COMMIT",
	[DB_ROLLBACK] = "ROLLBACK",
	[DB_SAVEPOINT] = "SAVEPOINT apply",
	[DB_SAVEPOINT_RELEASE] = "RELEASE apply",
	[DB_SAVEPOINT_ROLLBACK] = "ROLLBACK TO apply",
	[DB_SYNC_FULL] = "PRAGMA synchronous = FULL",
	[DB_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
};

/* The writer's page cache and checkpoints (statements run once at setup). */
static const char *const db_writer_pragmas[] = {
	/* savepoints journal in memory (no temporary file per group), and the
	 * pages a stream of updates touches stay cached */
	"PRAGMA temp_store = MEMORY",
	"PRAGMA cache_size = -65536",
	/* the notifier checkpoints once a second; this is the safety net */
	"PRAGMA wal_autocheckpoint = 16384",
};

struct db_zone_fn_ctx {
	db_zone_fn fn;
	const void *arg;
};

/* dd_zone(name): the configured zone name falls in, or NULL. */
static void
db_sql_zone(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct db_zone_fn_ctx *z = sqlite3_user_data(ctx);
	const char *name = (const char *)sqlite3_value_text(argv[0]);
	const char *zone = name ? z->fn(z->arg, name) : NULL;

	(void)argc;
	if (zone == NULL)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, zone, -1, SQLITE_STATIC);
}

/* dd_nsec3_owner(hash, zone): "<base32hex of hash>.<zone>", an NSEC3 record's owner. */
static void
db_sql_nsec3_owner(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *zone = (const char *)sqlite3_value_text(argv[1]);
	char owner[NSEC3_B32_LEN + 2 + 256], b32[NSEC3_B32_LEN + 1];

	(void)argc;
	if (sqlite3_value_bytes(argv[0]) != NSEC3_HASH_LEN || zone == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	dnssec_b32hex(sqlite3_value_blob(argv[0]), NSEC3_HASH_LEN, b32);
	snprintf(owner, sizeof(owner), "%s.%s", b32, zone);
	sqlite3_result_text(ctx, owner, -1, SQLITE_TRANSIENT);
}

/* dd_zone() on h; its context is freed with the function (sqlite3_free). */
static int
db_zone_fn_install(sqlite3 *h, db_zone_fn fn, const void *arg)
{
	struct db_zone_fn_ctx *z = sqlite3_malloc(sizeof(*z));

	if (z == NULL)
		return SQLITE_NOMEM;
	z->fn = fn;
	z->arg = arg;
	return sqlite3_create_function_v2(h, "dd_zone", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, z,
					  db_sql_zone, NULL, NULL, sqlite3_free);
}

static int
db_run(struct db *db, const char *sql)
{
	sqlite3 *h = db_sqlite(db);
	sqlite3_stmt *st = NULL;
	int rc = db_prep(h, sql, &st);

	/* one statement, kept prepared (BEGIN, SAVEPOINT, COMMIT... run often) */
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
		sqlite3_reset(st);
	}
	if (rc != SQLITE_OK) {
		log_warnx("%s: %s: %s", db_path(db), sql, sqlite3_errmsg(h));
		return DD_EDB;
	}
	return 0;
}

int
db_writer_setup(struct db *db, db_zone_fn zone_of, const void *arg)
{
	sqlite3 *h = db_sqlite(db);
	char *err = NULL;

	for (size_t i = 0; i < sizeof(db_writer_pragmas) / sizeof(db_writer_pragmas[0]); i++)
		if (db_run(db, db_writer_pragmas[i]) < 0)
			return DD_EDB;
	if (db_zone_fn_install(h, zone_of, arg) != SQLITE_OK ||
	    sqlite3_create_function_v2(h, "dd_nsec3_owner", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				       NULL, db_sql_nsec3_owner, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(h, db_journal_triggers, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("%s: journal triggers: %s", db_path(db), err ? err : sqlite3_errmsg(h));
		sqlite3_free(err);
		return DD_EDB;
	}
	return 0;
}

int
db_reader_open(struct db *db, db_zone_fn zone_of, const void *arg, struct sqlite3 **out)
{
	sqlite3 *h = NULL;

	*out = NULL;
	if (sqlite3_open_v2(db_path(db), &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK ||
	    db_zone_fn_install(h, zone_of, arg) != SQLITE_OK ||
	    sqlite3_exec(h, DB_POOL_RRS, NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("%s: a read connection: %s", db_path(db),
			  h ? sqlite3_errmsg(h) : "out of memory");
		sqlite3_close(h);
		return DD_EDB;
	}
	sqlite3_busy_timeout(h, 5000);
	*out = h;
	return 0;
}

int
db_txn(struct db *db, enum db_txn_op op)
{
	return db_run(db, db_txn_sql[op]);
}

bool
db_in_txn(struct db *db)
{
	return !sqlite3_get_autocommit(db_sqlite(db));
}

int64_t
db_total_changes(struct db *db)
{
	return sqlite3_total_changes64(db_sqlite(db));
}

const char *
db_errmsg(struct db *db)
{
	return sqlite3_errmsg(db_sqlite(db));
}
