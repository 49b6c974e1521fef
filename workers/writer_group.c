/*
 * writer_group.c - group commit: owns the transaction.  The first change of a
 * pass opens it (BEGIN IMMEDIATE); at the end of the pass each changed
 * zone's SOA serial moves once (RFC 1982: +1 modulo 2^32), COMMIT, the
 * changed names are republished (writer_publish.c), and the sync thread
 * fdatasyncs the WAL before the after-commit callbacks acknowledge.
 */
#include "workers/writer.h"
#include "workers/writer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_journal.h"
#include "daemon/db_writer.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/signer.h"

/*
 * Inside the transaction: zone slot z gets its next serial (RFC 1982: + 1
 * modulo 2^32; a zone file's serial when it is later; exactly a secondary's
 * primary's) and the transaction's journal rows of the zone get
 * (from_serial, serial).
 */
int
writer_zone_bump(struct writer *w, size_t z, enum db_serial how, uint32_t val)
{
	const char *zone = w->cfg->zones[z].name;
	uint32_t old, next;
	bool stamped;

	if (db_journal_serial_bump(w->db, zone, how, val, &old, &next, &stamped) < 0)
		return DD_EDB;
	/* a signed zone's SOA is signed with each serial, in the same transaction,
	 * and the journal rows of its RRSIG join the change group */
	if (signer_zone_on(w->signer, (unsigned)z) &&
	    (signer_soa(w->signer, (unsigned)z, next) < 0 ||
	     db_journal_stamp(w->db, zone, old, next, &stamped) < 0)) {
		log_warnx("zone %s: the SOA of serial %u could not be signed", zone, next);
		return DD_EDB;
	}
	/* a new DNSKEY RRset is in no journal row: IXFR from before it is AXFR */
	if (signer_take_journal_reset(w->signer, (unsigned)z)) {
		if (db_journal_forget(w->db, zone) < 0)
			return DD_EDB;
		w->jgroups[z] = 0;
		return 0;
	}
	/* RFC 1982 3.2: a serial not after the current one would leave the
	 * secondaries on the old zone (they only transfer a later serial).  The
	 * current serial itself is what an edited export carries: + 1 is the
	 * expected outcome, not worth a warning. */
	if (how == DB_SERIAL_AT_LEAST && next != val && val != old)
		log_warnx("zone %s: serial %u is not after %u (RFC 1982); the zone gets %u", zone,
			  val, old, next);
	if (stamped && w->jgroups[z] >= 0)
		w->jgroups[z]++; /* one more change group (journal.max_changes) */
	return 0;
}

int
writer_bump_serials(struct writer *w, const bool *changed)
{
	int rc = 0;

	for (size_t z = 0; z < w->cfg->nzones && rc == 0; z++)
		if (changed[z])
			rc = writer_zone_bump(w, z, DB_SERIAL_NEXT, 0);
	return rc;
}

/* ---------------------------------------------------------------- group commit */

struct writer_waiter {
	struct writer_waiter *next;
	writer_after_cb cb;
	void *arg;
};

void
writer_group_init(struct writer *w, void (*schedule)(void *arg), void *arg)
{
	w->group_on = true;
	w->schedule = schedule;
	w->schedule_arg = arg;
}

bool
writer_group_open(const struct writer *w)
{
	return w->group_open;
}

int
writer_after_commit(struct writer *w, writer_after_cb cb, void *arg)
{
	struct writer_waiter *q;

	if (!w->group_open) {
		cb(arg, 0);
		return 0;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return DD_ENOMEM;
	q->cb = cb;
	q->arg = arg;
	*w->wtail = q;
	w->wtail = &q->next;
	return 0;
}

/* Opens the group's transaction if none is open (and asks for its commit). */
int
writer_group_begin(struct writer *w)
{
	if (w->group_open)
		return 0;
	/* the sync thread makes this group durable (writer_sync_start) */
	if (w->sync_on && writer_txn(w, DB_SYNC_NORMAL) < 0)
		return DD_EDB;
	if (writer_txn(w, DB_BEGIN_IMMEDIATE) < 0) {
		w->db_failed = true;
		if (w->sync_on)
			writer_txn(w, DB_SYNC_FULL);
		return DD_EDB;
	}
	w->group_open = true;
	w->group_tc0 = db_total_changes(w->db);
	if (w->schedule)
		w->schedule(w->schedule_arg);
	return 0;
}

/* A name the open group changed: republished from its rows after COMMIT. */
int
writer_group_pend(struct writer *w, const char *name)
{
	for (size_t i = w->npend; i > 0; i--)
		if (strcmp(w->pend[i - 1], name) == 0)
			return 0;
	if (w->npend == w->pend_cap) {
		size_t cap = w->pend_cap ? 2 * w->pend_cap : 64;
		char **grown = realloc(w->pend, cap * sizeof(char *));
		if (grown == NULL)
			return DD_ENOMEM;
		w->pend = grown;
		w->pend_cap = cap;
	}
	if ((w->pend[w->npend] = strdup(name)) == NULL)
		return DD_ENOMEM;
	w->npend++;
	return 0;
}

/* A committed group waiting for the sync that makes it durable. */
struct writer_ticket {
	struct writer_ticket *next;
	uint64_t seq;
	int rc;
	struct writer_waiter *waiters;
	bool zones[];            /* zones whose serial moved: NOTIFY once durable */
};

/* The group is durable (or not: rc): NOTIFY, then the acknowledgements. */
static void
writer_group_done(struct writer *w, const bool *zones, struct writer_waiter *q, int rc)
{
	for (size_t z = 0; z < w->cfg->nzones && rc != DD_EDB; z++)
		if (zones[z] && w->on_commit)
			w->on_commit(w->on_commit_arg, (unsigned)z);
	while (q) {
		struct writer_waiter *next = q->next;
		q->cb(q->arg, rc);
		free(q);
		q = next;
	}
}

/* Runs the callbacks of every ticket up to sequence upto (err: the sync failed). */
static void
writer_tickets_run(struct writer *w, uint64_t upto, int err)
{
	while (w->tickets && w->tickets->seq <= upto) {
		struct writer_ticket *t = w->tickets;
		w->tickets = t->next;
		if (w->tickets == NULL)
			w->ttail = &w->tickets;
		if (err && t->rc != DD_EDB) {
			log_warnx("%s: fdatasync of the WAL: %s: changes were not acknowledged",
				  db_path(w->db), strerror(err));
			t->rc = DD_EDB;
		}
		writer_group_done(w, t->zones, t->waiters, t->rc);
		free(t);
	}
	if (upto > w->durable)
		w->durable = upto;
}

static void *
writer_sync_main(void *arg)
{
	struct writer *w = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&w->sync_mu);
	for (;;) {
		uint64_t target;
		int r;
		while (!w->sync_stop && w->sync_want == w->sync_done)
			pthread_cond_wait(&w->sync_cv, &w->sync_mu);
		if (w->sync_stop)
			break;
		target = w->sync_want;
		pthread_mutex_unlock(&w->sync_mu);
		r = fdatasync(w->wal_fd);
		pthread_mutex_lock(&w->sync_mu);
		if (r < 0 && w->sync_err == 0)
			w->sync_err = errno;
		w->sync_done = target;
		if (write(w->sync_efd, &one, sizeof(one)) < 0) {
			/* the counter is full: the loop has plenty to read already */
		}
	}
	pthread_mutex_unlock(&w->sync_mu);
	return NULL;
}

int
writer_sync_start(struct writer *w)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s-wal", db_path(w->db));
	if ((w->wal_fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
		log_warn("%s: commits stay synchronous", path);
		return -1;
	}
	if ((w->sync_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		close(w->wal_fd);
		w->wal_fd = -1;
		return -1;
	}
	pthread_mutex_init(&w->sync_mu, NULL);
	pthread_cond_init(&w->sync_cv, NULL);
	if (pthread_create(&w->sync_thr, NULL, writer_sync_main, w) != 0) {
		close(w->wal_fd);
		close(w->sync_efd);
		w->wal_fd = w->sync_efd = -1;
		return -1;
	}
	w->sync_on = true;
	return w->sync_efd;
}

void
writer_sync_done(struct writer *w)
{
	uint64_t n, done;
	int err;

	if (!w->sync_on)
		return;
	if (read(w->sync_efd, &n, sizeof(n)) < 0) {
		/* nothing to read: a previous call took it */
	}
	pthread_mutex_lock(&w->sync_mu);
	done = w->sync_done;
	err = w->sync_err;
	pthread_mutex_unlock(&w->sync_mu);
	writer_tickets_run(w, done, err);
}

/* Everything committed so far is made durable now, in this thread. */
static void
writer_sync_now(struct writer *w)
{
	int err = 0;

	if (!w->sync_on || w->durable == w->seq)
		return;
	if (fdatasync(w->wal_fd) < 0)
		err = errno;
	pthread_mutex_lock(&w->sync_mu);
	if (err && w->sync_err == 0)
		w->sync_err = err;
	err = w->sync_err;
	pthread_mutex_unlock(&w->sync_mu);
	writer_tickets_run(w, w->seq, err);
}

void
writer_sync_stop(struct writer *w)
{
	if (!w->sync_on)
		return;
	writer_sync_now(w);
	pthread_mutex_lock(&w->sync_mu);
	w->sync_stop = true;
	pthread_cond_signal(&w->sync_cv);
	pthread_mutex_unlock(&w->sync_mu);
	pthread_join(w->sync_thr, NULL);
	close(w->wal_fd);
	close(w->sync_efd);
	w->sync_on = false;
}

/*
 * COMMIT of the open group; the table follows at once.  async: the group's
 * callbacks wait for the sync thread (the loop goes on meanwhile); else
 * they run before this returns, after an fdatasync of everything committed.
 */
static int
writer_group_finish(struct writer *w, bool async)
{
	struct writer_waiter *q;
	struct writer_ticket *t;
	bool any = false;
	int rc = 0, r0;

	if (!w->group_open) {
		if (!async)
			writer_sync_now(w);
		return 0;
	}
	w->group_open = false;
	for (size_t z = 0; z < w->cfg->nzones; z++)
		any |= w->group_zone[z];
	/* SQLite rolls a transaction back by itself on a full disk or an I/O
	 * error: then there is nothing to commit, and nothing was kept */
	if (!db_in_txn(w->db))
		rc = DD_EDB;
	if (rc == 0 && any && writer_sign_names(w, w->pend, w->npend) < 0)
		rc = DD_EDB;
	if (rc == 0 && any && writer_bump_serials(w, w->group_zone) < 0)
		rc = DD_EDB;
	if (rc == 0 && writer_txn(w, DB_COMMIT) < 0)
		rc = DD_EDB;
	if (rc < 0) {
		writer_jgroups_forget(w);
		if (db_in_txn(w->db))
			writer_txn(w, DB_ROLLBACK);
		log_warnx("%s: a group of %zu changed names was not committed", db_path(w->db),
			  w->npend);
	}
	if (w->sync_on)
		writer_txn(w, DB_SYNC_FULL);
	/* a group that wrote nothing proves nothing about the disk */
	if (rc < 0 || db_total_changes(w->db) != w->group_tc0)
		w->db_failed = rc < 0;
	if (rc == 0 && w->stats && w->npend > 0) {
		w->stats->commits++;
		w->stats->commit_names += w->npend;
	}
	/* the table follows the database, whichever way the commit went; all
	 * the names are read in one read transaction */
	if (w->npend > 1)
		writer_txn(w, DB_BEGIN);
	for (size_t i = 0; i < w->npend; i++) {
		int r = writer_publish(w, w->pend[i]);
		if (r < 0) {
			log_warnx("publishing %s: %s", w->pend[i], dd_strerror(r));
			if (rc == 0)
				rc = r;
		}
		free(w->pend[i]);
	}
	if (rc == 0 && (r0 = signer_publish(w->signer)) < 0) {
		log_warnx("publishing NSEC3 records: %s", dd_strerror(r0));
		rc = r0;
	}
	if (w->npend > 1)
		writer_txn(w, DB_COMMIT);
	w->npend = 0;
	for (size_t z = 0; z < w->cfg->nzones; z++)
		if (w->group_zone[z] && rc != DD_EDB)
			writer_zone_serial_set(w, (unsigned)z);
	/* the callbacks may open the next group; this one is done */
	q = w->waiters;
	w->waiters = NULL;
	w->wtail = &w->waiters;
	if (!w->sync_on || rc == DD_EDB) {
		writer_sync_now(w); /* earlier groups first, in order */
		writer_group_done(w, w->group_zone, q, rc);
	} else if ((t = calloc(1, sizeof(*t) + w->cfg->nzones + 1)) == NULL) {
		writer_sync_now(w);
		writer_group_done(w, w->group_zone, q, rc);
	} else {
		t->seq = ++w->seq;
		t->rc = rc;
		t->waiters = q;
		memcpy(t->zones, w->group_zone, w->cfg->nzones * sizeof(bool));
		*w->ttail = t;
		w->ttail = &t->next;
		if (async) {
			pthread_mutex_lock(&w->sync_mu);
			w->sync_want = w->seq;
			pthread_cond_signal(&w->sync_cv);
			pthread_mutex_unlock(&w->sync_mu);
		} else {
			writer_sync_now(w);
		}
	}
	memset(w->group_zone, 0, w->cfg->nzones * sizeof(bool));
	return rc;
}

int
writer_group_commit(struct writer *w)
{
	return writer_group_finish(w, false);
}

void
writer_group_commit_async(struct writer *w)
{
	writer_group_finish(w, true);
}
