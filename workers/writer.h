/*
 * writer.h - the one write path: validate -> one SQLite transaction (records
 * + audit + SOA serial) -> COMMIT -> publish to the shared table -> caller
 * replies.  Used by every writer (HTTP API, dyndns2, acme-dns, the control
 * socket, RFC 2136), all inside the HTTP worker process, which is the only
 * process that writes: changes never interleave.
 */
#ifndef DD_WRITER_H
#define DD_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/names.h"

struct cfg;
struct db;
struct shm_table;
struct writer;

#define WRITER_VALUES_MAX 64 /* values in one RRset */

/* Who is writing, for the audit row and record ownership. */
struct writer_actor {
	const char *source;   /* http | dyndns2 | acme | rfc2136 | cli */
	const char *actor;    /* "master", "user:alice", "token:12", "acme:<uuid>" */
	const char *client;   /* client address, or NULL */
	int64_t owner_id;     /* users.id to own a name this write creates; 0 = none */
};

/* Replace one RRset with exactly these values. */
struct writer_set {
	const char *name;             /* canonical: lower case FQDN, no trailing dot */
	uint16_t type;                /* A, AAAA, TXT, CNAME; 0 only with nvalues 0: every type */
	const char *const *values;    /* canonical presentation values (see http/names.h) */
	size_t nvalues;               /* 0 = delete the RRset (or the whole name with type 0) */
	int64_t ttl;                  /* -1 = zone default */
	int64_t new_owner;            /* > 0: reassign the name to this user (admin) */
};

/* What one set found and did.  Free with writer_result_fini. */
struct writer_result {
	bool changed;
	char **old;           /* previous values of the RRset (NULL-terminated), or NULL */
	size_t nold;
	int64_t old_ttl;      /* -1 if none */
	size_t deleted;       /* rows removed */
};

/*
 * Opens the writer's own SQLite connection (db_path) for the table t.  The
 * writer keeps pointers to cfg and t: both must outlive it.
 */
int writer_create(struct writer **out, const struct cfg *cfg, struct shm_table *t,
		  const char *db_path);
void writer_destroy(struct writer *w);

/* The writer's database connection (reads by the HTTP resources). */
struct db *writer_db(struct writer *w);

/*
 * A read-only connection of its own to the writer's database, with dd_zone()
 * (the configured zone a name falls in) and the pool_rrs view, for a long read taken in slices (a
 * streamed AXFR) while the writer's connection goes on writing.  Close it
 * with sqlite3_close.
 */
struct sqlite3;
int writer_reader_open(struct writer *w, struct sqlite3 **out);

/*
 * Applies n sets in ONE transaction: all or nothing.  Unchanged sets write
 * nothing (no row, no audit, no serial bump).  After COMMIT, every changed
 * name is republished to the table and the serials of changed zones bumped
 * there too; only then does this return (with group commit on: see below,
 * the COMMIT and the publishing come with the group's).  res[i] describes
 * sets[i].
 * Returns 0; DD_EINVAL (a value invalid for its type, name outside every
 * zone); DD_EEXIST (CNAME beside other data, RFC 1034 3.6.2); DD_EDB (the
 * transaction failed: nothing changed); DD_ENOSPC (committed, but the table
 * is full: served after a restart with a larger table.capacity).
 */
int writer_apply(struct writer *w, const struct writer_actor *who, const struct writer_set *sets,
		 size_t n, struct writer_result *res);
void writer_result_fini(struct writer_result *res);

/*
 * Group commit.  After writer_group_init, writer_apply no longer commits by
 * itself: it applies its sets inside one open transaction (under a
 * savepoint, so a refused call undoes only itself), notes the names to
 * republish, and on opening the transaction calls schedule(arg) once; the
 * owner then calls writer_group_commit soon (the HTTP worker: when the
 * current pass of its event loop is done), which bumps each changed zone's
 * serial once, COMMITs (one fsync for the whole group), republishes every
 * changed name and serial, and then runs the after-commit callbacks in
 * order with the result.  Anything that acknowledges a write must do so from
 * such a callback: writer_after_commit queues cb while a group is open and
 * runs it at once (with 0) otherwise.  Every other writer function, and
 * writer_destroy, commits the open group first.  writer_apply commits at
 * once when grouping is off or WRITER_GROUP_MAX names are pending.
 * writer_group_commit returns 0, DD_EDB (nothing of the group was kept) or
 * DD_ENOSPC (committed, but some name did not fit in the table).
 */
#define WRITER_GROUP_MAX 1024

/*
 * Pipelined durability, for the event loop: writer_sync_start starts a
 * thread that fdatasyncs the WAL and returns a descriptor that becomes
 * readable when a sync is done (call writer_sync_done then), or -1 (commits
 * stay synchronous).  writer_group_commit_async commits the open group
 * without waiting for the disk: the table serves it at once, and its
 * callbacks (the acknowledgements) and the commit hook (NOTIFY) run from
 * writer_sync_done once the WAL holding it is on disk.  writer_group_commit
 * (and every other writer function) waits for the disk as before.
 */
int writer_sync_start(struct writer *w);
void writer_sync_done(struct writer *w);
void writer_group_commit_async(struct writer *w);
typedef void (*writer_after_cb)(void *arg, int rc);
void writer_group_init(struct writer *w, void (*schedule)(void *arg), void *arg);
bool writer_group_open(const struct writer *w);
int writer_group_commit(struct writer *w);
int writer_after_commit(struct writer *w, writer_after_cb cb, void *arg);

/*
 * One bounded step of retention, inside the open group (committed with it):
 * each zone's IXFR journal loses its oldest change groups, whole, past
 * journal.max_changes or journal.max_age, and the audit log its oldest rows
 * past audit.max_rows or audit.max_age; about budget rows of each at most.
 * Returns 1 when more is left to trim, 0 when nothing is, or DD_EDB.
 */
int writer_trim(struct writer *w, long budget);

/*
 * One bounded step of DNSSEC signature refresh, inside the open group: the
 * names of signed zones whose RRSIGs end within a third of
 * dnssec.signature_validity, at most budget RRSIGs' worth, are re-signed
 * with the group (and their zones' serials move, so secondaries follow).
 * Returns 1 when more is due, 0 when nothing is, or DD_EDB.
 */
int writer_resign(struct writer *w, int budget);

/*
 * Signed zones' background work (daemon/signer.h), with the open group: a
 * zone being signed gets its next budget names signed; key rollovers move on
 * when their time has come, re-signing the apex.  1 when more signing is
 * left, 0 when not, or a negative code.
 */
int writer_dnssec_step(struct writer *w, int budget);
/* Starts a rollover of zone z's ZSK (ksk: DD_ENOTIMP) and commits the new
 * DNSKEY RRset.  0, DD_EEXIST (one is under way), DD_EINVAL (not signed). */
int writer_dnssec_rollover(struct writer *w, unsigned z, bool ksk);

/* The writer's signer (daemon/signer.h), for ddnsctl dnssec and /metrics. */
struct signer *writer_signer(struct writer *w);

/* One record of a whole-zone replacement (canonical name and value). */
struct writer_rr {
	const char *name;
	uint16_t type;
	const char *value;
	int64_t ttl;          /* -1 = zone default */
};

/*
 * Replaces every record of zone slot zone (names of the zone that are not in
 * a more specific configured zone) by rr[0..n) in ONE transaction, with one
 * audit row.  The zone's SOA serial becomes *serial (the zone file's) when
 * that is later than the current one by RFC 1982, else current + 1 (logged:
 * a serial set from outside never moves the zone backwards); NULL: current
 * + 1.
 * Then republishes every name that was or is in the zone.  Returns 0 with
 * *removed / *added row counts, DD_EINVAL (a record outside the zone, or a
 * CNAME beside other data) or DD_EDB (nothing changed).
 */
int writer_replace_zone(struct writer *w, const struct writer_actor *who, unsigned zone,
			const struct writer_rr *rr, size_t n, const uint32_t *serial, size_t *removed,
			size_t *added);

/*
 * A secondary zone's transfer from its primary: like writer_replace_zone,
 * but the serial becomes exactly serial and soa ("MNAME RNAME REFRESH RETRY
 * EXPIRE MINIMUM") and ns (names separated by spaces) are stored for the
 * zone's apex, then the zone slot is republished.
 */
int writer_transfer_zone(struct writer *w, const struct writer_actor *who, unsigned zone,
			 const struct writer_rr *rr, size_t n, uint32_t serial, const char *soa,
			 const char *ns, size_t *removed, size_t *added);

/* One change of an incremental transfer (IXFR) received by a secondary. */
struct writer_diff {
	int op;                /* 0 remove, 1 add */
	const char *name;      /* canonical */
	uint16_t type;
	const char *value;     /* canonical */
	int64_t ttl;
};

/*
 * A secondary zone's IXFR: the changes d[0..n) in order, in ONE transaction
 * (one audit row), the serial becoming exactly serial; then the changed
 * names are republished.  Returns 0 or DD_EDB (nothing changed).
 */
int writer_transfer_diff(struct writer *w, const struct writer_actor *who, unsigned zone,
			 const struct writer_diff *d, size_t n, uint32_t serial);

/* The zone index (cfg->zones) that name belongs to, or -1. */
int writer_zone_of(const struct writer *w, const char *name);

/* Owner users.id of name (0 = unowned, -1 on error). */
int64_t writer_owner_of(struct writer *w, const char *name);

/*
 * Who holds a name (docs/decisions/0012-ownership.md): a user holds the
 * names they created and every name below them that nobody more specific
 * holds; the server holds the names created by the master token, an admin,
 * the control socket, UPDATE or a transfer (rows without an owner); the
 * configuration reserves apexes, name server hosts and the acme-dns names.
 */
enum writer_holder {
	WRITER_FREE = 0,      /* nobody: the first user to write it takes it */
	WRITER_USER,          /* a user: the name itself or an ancestor */
	WRITER_SERVER,        /* the server: admins only */
	WRITER_RESERVED,      /* kept by the configuration or acme-dns: admins only */
};

struct writer_hold {
	enum writer_holder kind;
	int64_t user_id;              /* WRITER_USER: users.id */
	char at[NAME_TEXT_MAX];       /* the name that holds: name itself or an ancestor */
};

/* Fills *h for canonical name.  Returns 0 or DD_EDB (a failed read is no answer). */
int writer_holder_of(struct writer *w, const char *name, struct writer_hold *h);

/* A load-balanced name (INTERFACE.md /pools), canonical values. */
struct writer_pool {
	const char *name;             /* canonical, may start with "*." */
	int policy;                   /* enum pool_policy */
	unsigned answers;             /* 1..POOL_MEMBERS_MAX */
	uint32_t ttl;
	bool closed;                  /* allDown "closed" */
	bool prefix;                  /* prefixMatch */
	const char *check_json;       /* validated check object, compact JSON, or NULL */
	const char *const *ips;       /* canonical addresses */
	const unsigned *weights;
	size_t n;                     /* 1..POOL_MEMBERS_MAX */
};

struct shm_pools;

/*
 * Creates or replaces the pool at p->name in one transaction (pool rows,
 * audit row, serial bump), then republishes the name and resets the pool's
 * live state in live (health up, no load reports).  *changed is false when
 * the stored pool was already exactly p.  Returns 0, DD_EEXIST (the name has
 * plain records), DD_ENOSPC (every pool slot in use), DD_EINVAL (outside
 * every zone), DD_ENOMEM or DD_EDB.
 */
int writer_pool_set(struct writer *w, const struct writer_actor *who, const struct writer_pool *p,
		    struct shm_pools *live, bool *changed);
/* Deletes the pool at name; DD_ENOENT when there is none. */
int writer_pool_del(struct writer *w, const struct writer_actor *who, const char *name,
		    struct shm_pools *live);

/*
 * Live pool health against what was last published, in one transaction:
 * transfers carry a pool as the A/AAAA RRset of its healthy members (a
 * difference moves the zone serial, with journal rows), and a member whose
 * health changed is a member_down / member_up event.  Returns 0 or DD_EDB.
 */
int writer_pool_sync(struct writer *w, const struct shm_pools *live);

/* --- events for notify: targets (the outbox; workers/notifier.c delivers) --- */

/* True when some notify: target wants event. */
bool writer_wants_event(const struct writer *w, const char *event);

/*
 * Appends one event (its own transaction) when some target wants it: for
 * events that are not a change of records (worker_restarted, auth_abuse).
 * detail is a JSON object text or NULL.  Returns 0 or DD_EDB.
 */
int writer_event(struct writer *w, const char *event, const char *name, const char *value,
		 const char *detail);

/* Counts writes by source into stats (the HTTP worker's slot); NULL: none. */
struct shm_worker_stats;
void writer_set_stats(struct writer *w, struct shm_worker_stats *stats);

/* Called after every commit that moved a zone's serial (NOTIFY, workers/xfr.c). */
typedef void (*writer_commit_cb)(void *arg, unsigned zone);
void writer_set_commit_hook(struct writer *w, writer_commit_cb cb, void *arg);

/* True when the last write could not reach the database (for /health). */
bool writer_db_failed(const struct writer *w);

#endif
