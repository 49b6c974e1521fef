/*
 * writer_int.h - private to the writer (workers/writer*.c): its state and
 * the functions its files share.  writer.h is the public face.
 *
 *   writer.c            the connection, its setup, events, shared helpers
 *   writer_apply.c      a change set -> rows, audit, outbox (one SAVEPOINT)
 *   writer_group.c      group commit: the transaction, serials, the sync thread
 *   writer_publish.c    committed rows -> the shared table
 *   writer_retention.c  journal and audit trimming in bounded steps
 *   writer_zone.c       whole-zone replacement and a secondary's transfers
 *   writer_pools.c      load-balanced names
 */
#ifndef DD_WORKERS_WRITER_INT_H
#define DD_WORKERS_WRITER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/db_journal.h"
#include "daemon/db_writer.h"
#include "shm/stats.h"
#include "workers/writer.h"

struct cfg;
struct db;
struct shm_table;

struct writer {
	const struct cfg *cfg;
	struct shm_table *t;
	struct db *db;
	bool db_failed;
	struct shm_worker_stats *stats;
	/* zones changed by the current transaction */
	bool *zone_changed;
	/* group commit (writer_group_init): one transaction for many writer_apply */
	bool group_on;
	bool group_open;  /* BEGIN done, COMMIT pending */
	bool *group_zone; /* zones changed by the open group */
	char **pend;      /* names to republish after the COMMIT */
	size_t npend, pend_cap;
	struct writer_waiter *waiters, **wtail;
	void (*schedule)(void *);
	void *schedule_arg;
	/*
	 * Pipelined durability (writer_sync_start): a group's COMMIT writes the
	 * WAL without waiting for the disk (synchronous=NORMAL for that one
	 * transaction), the sync thread fdatasyncs the WAL while the loop goes
	 * on with the next group, and the group's callbacks run once the sync
	 * that covers it is done (writer_sync_done, from sync_efd).
	 */
	bool sync_on;
	int wal_fd;
	int sync_efd;
	pthread_t sync_thr;
	pthread_mutex_t sync_mu;
	pthread_cond_t sync_cv;
	uint64_t sync_want; /* highest group sequence handed to the thread */
	uint64_t sync_done; /* highest sequence the thread made durable */
	int sync_err;       /* errno of a failed fdatasync, sticky */
	bool sync_stop;
	uint64_t seq;     /* groups committed */
	uint64_t durable; /* groups whose callbacks ran */
	struct writer_ticket *tickets, **ttail;
	writer_commit_cb on_commit;
	void *on_commit_arg;
	char wanted[512];  /* ",event,..." some notify target wants (outbox rows) */
	int64_t last_id;   /* records.id last given (writer_next_id) */
	int64_t npools;    /* rows in pools; -1: to be counted (writer_pools_none) */
	int64_t *jgroups;  /* per zone: change groups in the journal; -1: to be counted */
	int64_t group_tc0; /* sqlite3_total_changes64 when the open group began */
	struct signer *signer; /* signed zones (daemon/signer.h) */
};

/* --- writer.c ---------------------------------------------------------- */

/* One outbox row inside the caller's transaction; nothing if no target wants event. */
int writer_outbox_row(struct writer *w, const char *event, const char *name, const char *type,
		      const char *value, const char *old, const char *detail);
/* The journal's per-zone change counts are to be taken again (after a rollback). */
void writer_jgroups_forget(struct writer *w);
/* One transaction step (daemon/db_writer.h); a ROLLBACK forgets the journal counts. */
int writer_txn(struct writer *w, enum db_txn_op op);
/* Commits the open group, then BEGIN IMMEDIATE for a transaction of its own. */
int writer_begin(struct writer *w);

/* --- writer_publish.c (signing) ---------------------------------------- */

/* Inside the open transaction: the names (of signed zones) are re-signed and
 * each changed signed zone's NSEC3 chain brought up to date. */
int writer_sign_names(struct writer *w, char *const *names, size_t n);

/* --- writer_apply.c ---------------------------------------------------- */

/* records.id of a new row: increasing within the process (arrival order). */
int64_t writer_next_id(struct writer *w);
/* The stats counter of an actor's source ("http", "rfc2136", ...). */
enum stats_source writer_source(const char *s);
/* One audit row inside the caller's transaction.  0 or DD_EDB. */
int writer_audit_row(struct writer *w, const struct writer_actor *who, const char *action,
		     const char *name, const char *type, const char *oldv, const char *newv);

/* --- writer_group.c ---------------------------------------------------- */

/*
 * Moves zone z's serial inside the transaction and stamps its journal rows
 * (db_journal_serial_bump; val unused for DB_SERIAL_NEXT).  A DB_SERIAL_AT_LEAST
 * val that is not later than the zone's serial is logged.  0 or DD_EDB.
 */
int writer_zone_bump(struct writer *w, size_t z, enum db_serial how, uint32_t val);
/* writer_zone_bump(DB_SERIAL_NEXT) for every zone changed[z].  0 or DD_EDB. */
int writer_bump_serials(struct writer *w, const bool *changed);
/* Opens the group's transaction if none is open.  0 or DD_EDB. */
int writer_group_begin(struct writer *w);
/* Notes a name the open group changed (republished after COMMIT). */
int writer_group_pend(struct writer *w, const char *name);
/* Stops the sync thread (writer_destroy). */
void writer_sync_stop(struct writer *w);

/* --- writer_publish.c -------------------------------------------------- */

/* After COMMIT: zone z's stored serial into its table slot. */
void writer_zone_serial_set(struct writer *w, unsigned z);
/* ... and once durable, the commit hook (NOTIFY). */
void writer_zone_serial_publish(struct writer *w, unsigned z);
/* True when the database holds no pool (counted once, kept until a pool changes). */
bool writer_pools_none(struct writer *w);
/* Republishes name from its committed rows.  0, DD_ENOSPC, DD_ETOOBIG or DD_EDB. */
int writer_publish(struct writer *w, const char *name);
/* Zone slot z from the config and its stored SOA (a secondary's transfer). */
int writer_publish_zone(struct writer *w, unsigned z);

#endif
