/*
 * db_journal.h - the IXFR journal as stored in SQLite (table journal, and the
 * zones.serial that closes each change).
 *
 * A change group is the rows that share (from_serial, serial): one move of a
 * zone's serial.  The writer's connection adds rows with serial NULL (its
 * temporary triggers); db_journal_serial_bump gives them their serials inside
 * the same transaction.  Rows with serial NULL belong to the open
 * transaction: every walk here stops at them or skips them.
 *
 * All functions run on db's own connection (db_sqlite) with statements kept
 * by db_prep, inside whatever transaction the caller has open; none opens or
 * ends one.  DD_EDB leaves the reason in db_errmsg (daemon/db_writer.h).
 */
#ifndef DD_DB_JOURNAL_H
#define DD_DB_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

struct db;

/* Change groups in zone's journal, the open transaction's rows not counted: >= 0, or DD_EDB. */
int64_t db_journal_groups_count(struct db *db, const char *zone);

/*
 * The ts (Unix seconds) of zone's oldest journal row, open transaction's
 * included.  Returns 0 and *ts, DD_ENOENT when zone has no row, or DD_EDB.
 */
int db_journal_oldest_ts(struct db *db, const char *zone, int64_t *ts);

/*
 * Deletes zone's oldest change groups, each whole (an IXFR never reads half
 * of one): at least the `excess` oldest, then while they are older than
 * agecut (ts < agecut, Unix seconds).  Once budget rows went it stops at the
 * next group boundary, so a group larger than budget still goes whole.  The
 * walk ends at the open transaction's rows.  Returns the rows deleted (>= 0)
 * with the groups deleted in *groups, or DD_EDB (nothing reported).
 */
long db_journal_trim(struct db *db, const char *zone, int64_t excess, int64_t agecut, long budget,
		     int64_t *groups);

/* How db_journal_serial_bump moves a zone's serial from old (RFC 1982 arithmetic). */
enum db_serial {
	DB_SERIAL_NEXT,     /* old + 1 modulo 2^32: a change of the zone's own */
	DB_SERIAL_AT_LEAST, /* val when it is later than old, else old + 1: a serial from
			       outside (zone import) never moves the zone backwards */
	DB_SERIAL_EXACT,    /* val as it is: a secondary takes its primary's serial (the
			       transfer code only asks for one later than its own) */
};

/*
 * Inside the caller's write transaction, moves zone's serial as how says
 * (val unused for DB_SERIAL_NEXT) and closes its open change group.  *old
 * is the stored serial (0 when zone has no row yet), *next the new one (the
 * caller compares it with val to tell an AT_LEAST request that was not
 * taken).  The zone's row is created or updated (updated_at now), and the
 * rows of zone with serial NULL get (from_serial, serial) = (old, next);
 * *stamped tells whether there was any, i.e. whether a change group was
 * added.  Returns 0, or DD_EDB (the outputs other than *old undefined; roll
 * back).
 */
int db_journal_serial_bump(struct db *db, const char *zone, enum db_serial how, uint32_t val,
			   uint32_t *old, uint32_t *next, bool *stamped);

/*
 * The rows of zone with serial NULL get (old, next): rows written after the
 * bump in the same transaction (a signed zone's new SOA RRSIG).  *stamped
 * becomes true when there was any (it is never cleared).  0 or DD_EDB.
 */
int db_journal_stamp(struct db *db, const char *zone, uint32_t old, uint32_t next, bool *stamped);

/*
 * Deletes zone's whole journal, inside the caller's transaction: changes were
 * made that it cannot describe (a zone signed for the first time), so an IXFR
 * from an older serial becomes an AXFR.  0 or DD_EDB.
 */
int db_journal_forget(struct db *db, const char *zone);

/* One committed journal row (db_journal_foreach_newest); strings live while the callback runs. */
struct db_journal_row {
	uint32_t from; /* from_serial: the zone's serial before the change */
	uint32_t to;   /* serial: the zone's serial after it */
	int op;        /* 0 removed, 1 added */
	const char *name, *type, *value;
	uint32_t ttl; /* the row's, or the defttl passed when it has none */
};

typedef int (*db_journal_cb)(void *arg, const struct db_journal_row *row);

/*
 * Calls cb for zone's journal rows that have a serial, newest first (so
 * each change group's rows come last-written first).  A non-zero return of
 * cb stops the walk and is returned; otherwise 0, or DD_EDB when a read
 * fails (cb has then seen the rows before it).
 */
int db_journal_foreach_newest(struct db *db, const char *zone, int64_t defttl, db_journal_cb cb,
			      void *arg);

/*
 * Journal rows (op 0 removed, 1 added, serial NULL: the open change group)
 * for the stored pool at name, one A/AAAA row per member that secondaries
 * see (pool_members.xfr_up): a pool transfers as a plain RRset of its
 * members.  Nothing when name is in no zone (dd_zone) or has no pool.  Needs
 * the writing connection (db_writer_setup: dd_zone, pool_rrs).  0 or DD_EDB.
 */
int db_journal_pool_add(struct db *db, const char *name, int op);

/*
 * The journal row (same form) for one pool member: ip as an A or AAAA
 * record of name with ttl, whatever its stored state.  Nothing when name is
 * in no zone.  Needs dd_zone (db_writer_setup).  0 or DD_EDB.
 */
int db_journal_member_add(struct db *db, const char *name, const char *ip, int64_t ttl, int op);

#endif
