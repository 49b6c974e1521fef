/*
 * writer_pools.c - load-balanced names: pool rows, their live state, and pool
 * health carried to transfers and events.
 */
#include "workers/writer.h"
#include "workers/writer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_journal.h"
#include "daemon/db_pools.h"
#include "daemon/db_writer.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/pooldb.h"
#include "daemon/signer.h"
#include "daemon/util.h"
#include "shm/pool.h"

/* ------------------------------------------------------------ pools */

/* "policy|answers|ttl|closed|prefix|check|ip/weight,..." of p, or of the stored pool. */
static char *
writer_pool_key(const struct writer_pool *p)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "%d|%u|%u|%d|%d|%s|", p->policy, p->answers, p->ttl, p->closed, p->prefix,
		p->check_json ? p->check_json : "");
	for (size_t i = 0; i < p->n; i++)
		fprintf(f, "%s/%u,", p->ips[i], p->weights[i]);
	fclose(f);
	return out;
}

/* The stored pool's key, and its id and slot, as writer_pool_stored_key reads them. */
struct pool_key {
	FILE *f;
	int64_t *id, *slot;
	int rows;
};

static int
writer_pool_key_row(void *arg, const struct db_pool_row *r)
{
	struct pool_key *k = arg;

	if (k->rows++ == 0) {
		*k->id = r->pool_id;
		*k->slot = r->slot;
		fprintf(k->f, "%d|%d|%lld|%d|%d|%s|", pooldb_policy_parse(r->policy), (int)r->answers,
			(long long)r->ttl, strcmp(r->all_down, "closed") == 0, r->prefix_match,
			r->check_json ? r->check_json : "");
	}
	fprintf(k->f, "%s/%d,", r->ip, (int)r->weight);
	return 0;
}

/*
 * The key of the stored pool at name into *key (malloc'd; "" when there is
 * none, then *id 0 and *slot -1).  Returns 0, DD_ENOMEM or DD_EDB.
 */
static int
writer_pool_stored_key(struct writer *w, const char *name, int64_t *id, int64_t *slot, char **key)
{
	struct pool_key k = {.id = id, .slot = slot};
	size_t len = 0;
	int rc;

	*id = 0;
	*slot = -1;
	*key = NULL;
	if ((k.f = open_memstream(key, &len)) == NULL)
		return DD_ENOMEM;
	rc = db_pool_get(w->db, name, writer_pool_key_row, &k);
	fclose(k.f);
	if (rc < 0) {
		free(*key);
		*key = NULL;
	}
	return rc;
}

/* Slots in order (db_pool_slots_foreach): stops at the first one that is not *want. */
static int
writer_pool_slot_row(void *arg, const struct db_pool_row *r)
{
	int64_t *want = arg;

	if (r->slot != *want)
		return 1;
	(*want)++;
	return 0;
}

/* The lowest slot no pool uses into *slot: 0, DD_ENOSPC (none left) or DD_EDB. */
static int
writer_pool_free_slot(struct writer *w, int64_t *slot)
{
	int64_t want = 0;
	int rc = db_pool_slots_foreach(w->db, writer_pool_slot_row, &want);

	if (rc < 0)
		return rc;
	if (want >= POOL_SLOTS)
		return DD_ENOSPC;
	*slot = want;
	return 0;
}

/*
 * A (re)defined slot: members whose address changed (or all, old == NULL)
 * start healthy with no report; the others keep health and load, so a TTL
 * change does not hand out a member its check has taken out.  The checker
 * re-reads on the new gen.
 */
static void
writer_pool_reset(struct shm_pools *live, int64_t slot, bool in_use, char **old, size_t nold,
		  const struct writer_pool *p)
{
	struct pool_slot *s;

	if (live == NULL || slot < 0 || slot >= POOL_SLOTS)
		return;
	s = &live->s[slot];
	s->gen++;
	for (unsigned i = 0; i < POOL_MEMBERS_MAX; i++) {
		if (old && p && i < nold && i < p->n && strcmp(old[i], p->ips[i]) == 0)
			continue;
		s->m[i].up = 1;
		s->m[i].load = 0;
		s->m[i].reported_ms = 0;
	}
	s->in_use = in_use;
	live->defs_gen++;
}

/* What a set replaces: the stored pool's id (0: none), its slot, its member addresses. */
struct pool_old {
	int64_t id, slot;
	char **ips;
	size_t n;
};

static int
writer_pool_ip_row(void *arg, const struct db_pool_row *r)
{
	struct pool_old *o = arg;
	char **g;

	if (o->n >= POOL_MEMBERS_MAX)
		return 1;
	if ((g = realloc(o->ips, (o->n + 1) * sizeof(char *))) == NULL)
		return DD_ENOMEM;
	o->ips = g;
	if ((g[o->n] = strdup(r->ip)) == NULL)
		return DD_ENOMEM;
	o->n++;
	return 0;
}

/* The member addresses of the stored pool o->id, by position.  0, DD_ENOMEM or DD_EDB. */
static int
writer_pool_old_ips(struct writer *w, struct pool_old *o)
{
	int rc;

	if (o->id == 0)
		return 0;
	rc = db_pool_member_ips(w->db, o->id, writer_pool_ip_row, o);
	return rc < 0 ? rc : 0;
}

static int
writer_pool_rows(struct writer *w, const struct writer_actor *who, const struct writer_pool *p,
		 int64_t id, int64_t slot)
{
	struct db_pool_row def = {.name = p->name,
				  .slot = slot,
				  .policy = pooldb_policy_name(p->policy),
				  .answers = p->answers,
				  .ttl = p->ttl,
				  .all_down = p->closed ? "closed" : "open",
				  .prefix_match = p->prefix,
				  .check_json = p->check_json};
	/* a redefinition keeps the pool's owner; a new pool belongs to its creator */
	int64_t owner = writer_owner_of(w, p->name);

	if (owner < 0)
		return DD_EDB; /* not "no owner": a pool must not change hands on a failed read */
	if (owner == 0)
		owner = who->owner_id;
	if (id && db_pool_delete_id(w->db, id) < 0)
		return DD_EDB;
	if (db_pool_insert(w->db, &def, owner, &id) < 0)
		return DD_EDB;
	for (size_t i = 0; i < p->n; i++)
		if (db_pool_member_insert(w->db, id, (int64_t)i, p->ips[i], p->weights[i]) < 0)
			return DD_EDB;
	return 0;
}

/* Audit row and serial bump of the pool's zone, inside the transaction. */
static int
writer_pool_log(struct writer *w, const struct writer_actor *who, const char *name,
		const char *action, const char *newv)
{
	int z = writer_zone_of(w, name);

	if (writer_audit_row(w, who, action, name, "POOL", NULL, newv) < 0)
		return DD_EDB;
	memset(w->zone_changed, 0, w->cfg->nzones * sizeof(bool));
	w->zone_changed[z] = true;
	/* a signed zone: the pool's answer sets and its place in the NSEC3 chain */
	signer_pools_changed(w->signer);
	if (z >= 0 && signer_zone_on(w->signer, (unsigned)z) &&
	    (signer_name(w->signer, (unsigned)z, name) < 0 ||
	     signer_zone_finish(w->signer, (unsigned)z) < 0))
		return DD_EDB;
	return writer_bump_serials(w, w->zone_changed);
}

/* After COMMIT: the table and the zone serial follow. */
static int
writer_pool_publish(struct writer *w, const char *name)
{
	int z = writer_zone_of(w, name), rc;

	rc = writer_publish(w, name);
	if (rc < 0)
		log_warnx("publishing pool %s: %s", name, dd_strerror(rc));
	if (signer_publish(w->signer) < 0)
		log_warnx("publishing pool %s: its NSEC3 records", name);
	if (z >= 0)
		writer_zone_serial_publish(w, (unsigned)z);
	return rc;
}

/*
 * The reads of a set, in its transaction: 1 when the stored pool is already
 * want, else 0 with what it replaces in *o (a free slot for a new pool).
 * Returns DD_EEXIST, DD_ENOSPC, DD_ENOMEM or DD_EDB otherwise.
 */
static int
writer_pool_read(struct writer *w, const struct writer_pool *p, const char *want,
		 struct pool_old *o)
{
	char *have = NULL;
	int rc;

	if ((rc = writer_pool_stored_key(w, p->name, &o->id, &o->slot, &have)) < 0)
		return rc;
	rc = want && have && strcmp(want, have) == 0;
	free(have);
	if (rc)
		return 1; /* unchanged: nothing written, nothing reset */
	/* a pool name answers from its members only: no records beside it */
	if ((rc = db_pool_name_check(w->db, p->name)) < 0)
		return rc;
	if (o->slot < 0 && (rc = writer_pool_free_slot(w, &o->slot)) < 0)
		return rc;
	return writer_pool_old_ips(w, o);
}

/*
 * The writes of a set: the members as secondaries saw them leave the
 * journal (op 0), the rows are replaced, the new members enter it (op 1),
 * then the audit row and the serial.  0 or DD_EDB.
 */
static int
writer_pool_write(struct writer *w, const struct writer_actor *who, const struct writer_pool *p,
		  const struct pool_old *o, const char *want)
{
	if (db_journal_pool_add(w->db, p->name, 0) < 0 ||
	    writer_pool_rows(w, who, p, o->id, o->slot) < 0 ||
	    db_journal_pool_add(w->db, p->name, 1) < 0 ||
	    writer_pool_log(w, who, p->name, o->id ? "pool-set" : "pool-create", want) < 0)
		return DD_EDB;
	return 0;
}

int
writer_pool_set(struct writer *w, const struct writer_actor *who, const struct writer_pool *p,
		struct shm_pools *live, bool *changed)
{
	struct pool_old o = {0};
	char *want = NULL;
	int rc;

	*changed = false;
	w->npools = -1;
	if (writer_zone_of(w, p->name) < 0)
		return DD_EINVAL;
	if (writer_begin(w) < 0)
		return DD_EDB;
	want = writer_pool_key(p);
	if ((rc = writer_pool_read(w, p, want, &o)) == 0)
		rc = writer_pool_write(w, who, p, &o, want);
	if (rc == DD_EDB)
		log_warnx("%s: pool %s: %s", db_path(w->db), p->name, db_errmsg(w->db));
	if (rc == 0 && writer_txn(w, DB_COMMIT) < 0)
		rc = DD_EDB;
	if (rc != 0) {
		if (rc == DD_EDB)
			w->db_failed = true;
		writer_txn(w, DB_ROLLBACK);
		util_strv_free(o.ips, o.n);
		free(want);
		return rc > 0 ? 0 : rc;
	}
	w->db_failed = false;
	writer_pool_reset(live, o.slot, true, o.ips, o.n, p);
	util_strv_free(o.ips, o.n);
	free(want);
	*changed = true;
	if (w->stats)
		w->stats->updates[writer_source(who->source)]++;
	return writer_pool_publish(w, p->name);
}

int
writer_pool_del(struct writer *w, const struct writer_actor *who, const char *name,
		struct shm_pools *live)
{
	int64_t slot = -1;
	int rc;

	w->npools = -1;
	if (writer_begin(w) < 0)
		return DD_EDB;
	/* the members as secondaries saw them leave the journal, then the rows */
	rc = db_pool_slot_find(w->db, name, &slot);
	if (rc == 0)
		rc = db_journal_pool_add(w->db, name, 0);
	if (rc == 0)
		rc = db_pool_delete(w->db, name);
	if (rc == 0)
		rc = writer_pool_log(w, who, name, "pool-delete", NULL);
	if (rc == DD_EDB)
		log_warnx("%s: pool %s: %s", db_path(w->db), name, db_errmsg(w->db));
	if (rc < 0 || writer_txn(w, DB_COMMIT) < 0) {
		writer_txn(w, DB_ROLLBACK);
		return rc < 0 ? rc : DD_EDB;
	}
	writer_pool_reset(live, slot, false, NULL, 0, NULL);
	return writer_pool_publish(w, name);
}

/*
 * Once a second (the HTTP worker's housekeeping): live pool health against
 * what was last published.  Two things follow from it, in one transaction:
 *
 *   - secondaries see a pool as the A/AAAA RRset of its healthy members (all
 *     of them when every one is down and the pool fails open, none when it
 *     fails closed): a member whose transfer state (pool_members.xfr_up)
 *     differs gets a journal row and the zone's serial moves;
 *   - a member whose health differs from the last reported one
 *     (pool_members.notified_up) is a member_down / member_up event.
 */
struct pool_chg {
	int64_t pool;
	int pos;
	int xfr;      /* -1 unchanged, else the new xfr_up */
	int up;       /* -1 unchanged, else the new notified_up */
	char *name, *ip;
	int64_t ttl;
};

/* The changes found so far by writer_pool_diff. */
struct pool_diff {
	const struct shm_pools *live;
	bool events;
	struct pool_chg *c;
	size_t n;
};

/* One member row (db_pool_states): a change when its published states differ from live. */
static int
writer_pool_diff_row(void *arg, const struct db_pool_row *r)
{
	struct pool_diff *d = arg;
	const struct pool_slot *ps;
	struct pool_chg *g;
	int nup = 0, up, xfr;

	if (r->slot < 0 || r->slot >= POOL_SLOTS || r->pos < 0 || r->pos >= POOL_MEMBERS_MAX)
		return 0;
	ps = &d->live->s[r->slot];
	for (int64_t i = 0; i < r->members && i < POOL_MEMBERS_MAX; i++)
		nup += ps->m[i].up != 0;
	up = ps->m[r->pos].up != 0;
	xfr = nup ? up : strcmp(r->all_down, "closed") != 0;
	xfr = xfr != r->xfr_up ? xfr : -1;
	up = d->events && up != r->notified_up ? up : -1;
	if (xfr < 0 && up < 0)
		return 0;
	if ((g = realloc(d->c, (d->n + 1) * sizeof(*g))) == NULL)
		return DD_ENOMEM;
	d->c = g;
	g[d->n] = (struct pool_chg){
		.pool = r->pool_id, .pos = (int)r->pos, .xfr = xfr, .up = up, .ttl = r->ttl};
	g[d->n].name = strdup(r->name);
	g[d->n].ip = strdup(r->ip);
	d->n++;
	return g[d->n - 1].name && g[d->n - 1].ip ? 0 : DD_ENOMEM;
}

static void
writer_pool_chg_free(struct pool_chg *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].ip);
	}
	free(c);
}

/* The member rows whose published states differ from live; malloc'd.  0, DD_ENOMEM or DD_EDB. */
static int
writer_pool_diff(struct writer *w, const struct shm_pools *live, bool events,
		 struct pool_chg **out, size_t *n)
{
	struct pool_diff d = {.live = live, .events = events};
	int rc = db_pool_states(w->db, writer_pool_diff_row, &d);

	*out = NULL;
	*n = 0;
	if (rc < 0) {
		writer_pool_chg_free(d.c, d.n);
		return rc;
	}
	*out = d.c;
	*n = d.n;
	return 0;
}

/* Inside the transaction: the journal row and xfr_up, or the event and notified_up. */
static int
writer_pool_apply(struct writer *w, const struct pool_chg *c)
{
	int z = writer_zone_of(w, c->name);

	if (c->xfr >= 0) {
		if (db_journal_member_add(w->db, c->name, c->ip, c->ttl, c->xfr) < 0)
			return DD_EDB;
		if (z >= 0)
			w->zone_changed[z] = true;
	}
	if (c->up >= 0 && writer_outbox_row(w, c->up ? "member_up" : "member_down", c->name, NULL,
					    c->ip, NULL, NULL) < 0)
		return DD_EDB;
	return db_pool_member_states_set(w->db, c->pool, c->pos, c->xfr, c->up);
}

int
writer_pool_sync(struct writer *w, const struct shm_pools *live)
{
	struct pool_chg *c = NULL;
	size_t nc = 0;
	bool events = writer_wants_event(w, "member_down") || writer_wants_event(w, "member_up");
	int rc;

	if (live == NULL)
		return 0;
	/* a failed read is no "nothing changed": writer.h's DD_EDB, retried next second */
	if ((rc = writer_pool_diff(w, live, events, &c, &nc)) < 0)
		rc = DD_EDB;
	if (rc < 0 || nc == 0)
		goto out;
	memset(w->zone_changed, 0, w->cfg->nzones * sizeof(bool));
	if (writer_begin(w) < 0) {
		rc = DD_EDB;
		goto out;
	}
	for (size_t i = 0; i < nc && rc == 0; i++)
		rc = writer_pool_apply(w, &c[i]);
	/* a signed zone: what transfers carry of a pool changed, and is signed */
	for (size_t i = 0; i < nc && rc == 0; i++) {
		int z = writer_zone_of(w, c[i].name);
		if (c[i].xfr >= 0 && z >= 0 && signer_zone_on(w->signer, (unsigned)z) &&
		    (i == 0 || strcmp(c[i - 1].name, c[i].name) != 0))
			rc = signer_name(w->signer, (unsigned)z, c[i].name);
	}
	for (size_t z = 0; z < w->cfg->nzones && rc == 0; z++)
		if (w->zone_changed[z])
			rc = signer_zone_finish(w->signer, (unsigned)z);
	if (rc == 0)
		rc = writer_bump_serials(w, w->zone_changed);
	if (rc < 0 || writer_txn(w, DB_COMMIT) < 0) {
		writer_txn(w, DB_ROLLBACK);
		rc = DD_EDB;
		goto out;
	}
	for (size_t z = 0; z < w->cfg->nzones; z++)
		if (w->zone_changed[z])
			writer_zone_serial_publish(w, (unsigned)z);
out:
	writer_pool_chg_free(c, nc);
	return rc;
}
