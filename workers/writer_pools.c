/*
 * writer_pools.c - load-balanced names: pool rows, their live state, and pool
 * health carried to transfers and events.
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
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_writer.h"
#include "daemon/dd.h"
#include "daemon/load.h"
#include "daemon/log.h"
#include "daemon/pooldb.h"
#include "daemon/util.h"
#include "daemon/walbuf.h"
#include "daemon/names.h"
#include "shm/pool.h"
#include "shm/stats.h"
#include "shm/table.h"

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

static char *
writer_pool_stored_key(struct writer *w, const char *name, int64_t *id, int64_t *slot)
{
	sqlite3_stmt *st = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	*id = 0;
	*slot = -1;
	if (db_prep(db_sqlite(w->db),
			       "SELECT p.id, p.slot, p.policy, p.answers, p.ttl, p.all_down, "
			       "p.prefix_match, coalesce(p.check_json, ''), m.ip, m.weight FROM pools p "
			       "JOIN pool_members m ON m.pool_id = p.id WHERE p.name = ?1 "
			       "ORDER BY m.pos", &st) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((f = open_memstream(&out, &len)) == NULL) {
		sqlite3_reset(st);
		return NULL;
	}
	for (int row = 0; sqlite3_step(st) == SQLITE_ROW; row++) {
		if (row == 0) {
			*id = sqlite3_column_int64(st, 0);
			*slot = sqlite3_column_int64(st, 1);
			fprintf(f, "%d|%d|%lld|%d|%d|%s|",
				pooldb_policy_parse((const char *)sqlite3_column_text(st, 2)),
				sqlite3_column_int(st, 3), (long long)sqlite3_column_int64(st, 4),
				strcmp((const char *)sqlite3_column_text(st, 5), "closed") == 0,
				sqlite3_column_int(st, 6) != 0,
				(const char *)sqlite3_column_text(st, 7));
		}
		fprintf(f, "%s/%d,", (const char *)sqlite3_column_text(st, 8),
			sqlite3_column_int(st, 9));
	}
	sqlite3_reset(st);
	fclose(f);
	return out;
}

/* The lowest slot no pool uses, or -1. */
static int64_t
writer_pool_free_slot(struct writer *w)
{
	sqlite3_stmt *st = NULL;
	int64_t want = 0;

	if (db_prep(db_sqlite(w->db), "SELECT slot FROM pools ORDER BY slot", &st) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == want)
		want++;
	sqlite3_reset(st);
	return want < POOL_SLOTS ? want : -1;
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

/* The member addresses of the stored pool, by position. */
static void
writer_pool_old_ips(struct writer *w, int64_t id, char ***out, size_t *n)
{
	sqlite3_stmt *st = NULL;

	*out = NULL;
	*n = 0;
	if (id == 0 || db_prep(db_sqlite(w->db),
					  "SELECT ip FROM pool_members WHERE pool_id = ?1 ORDER BY "
					  "pos", &st) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW && *n < POOL_MEMBERS_MAX) {
		char **g = realloc(*out, (*n + 1) * sizeof(char *));
		if (g == NULL)
			break;
		*out = g;
		(*out)[(*n)++] = strdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
}

static int
writer_pool_rows(struct writer *w, const struct writer_actor *who, const struct writer_pool *p,
		 int64_t id, int64_t slot)
{
	sqlite3 *h = db_sqlite(w->db);
	sqlite3_stmt *st = NULL;
	/* a redefinition keeps the pool's owner; a new pool belongs to its creator */
	int64_t owner = writer_owner_of(w, p->name);
	int rc = DD_EDB;

	if (owner <= 0)
		owner = who->owner_id;
	if (id && db_prep(h, "DELETE FROM pools WHERE id = ?1", &st) == 0) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto done;
		sqlite3_reset(st);
		st = NULL;
	}
	if (db_prep(h,
			       "INSERT INTO pools (name, slot, policy, answers, ttl, all_down, "
			       "prefix_match, check_json, owner_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
			       "?7, ?8, ?9)", &st) != SQLITE_OK)
		goto done;
	sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, slot);
	sqlite3_bind_text(st, 3, pooldb_policy_name(p->policy), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)p->answers);
	sqlite3_bind_int64(st, 5, p->ttl);
	sqlite3_bind_text(st, 6, p->closed ? "closed" : "open", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, p->prefix);
	if (p->check_json)
		sqlite3_bind_text(st, 8, p->check_json, -1, SQLITE_STATIC);
	if (owner > 0)
		sqlite3_bind_int64(st, 9, owner);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto done;
	id = sqlite3_last_insert_rowid(h);
	sqlite3_reset(st);
	st = NULL;
	if (db_prep(h,
			       "INSERT INTO pool_members (pool_id, pos, ip, weight) VALUES "
			       "(?1, ?2, ?3, ?4)", &st) != SQLITE_OK)
		goto done;
	for (size_t i = 0; i < p->n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, p->ips[i], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, (int)p->weights[i]);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto done;
	}
	rc = 0;
done:
	sqlite3_reset(st);
	return rc;
}

/*
 * Journal rows for the members of the stored pool at name (op 0: removed,
 * 1: added): secondaries see a pool as a plain A/AAAA RRset of its members.
 */
static int
writer_journal_pool(struct writer *w, const char *name, int op)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(db_sqlite(w->db),
			       "INSERT INTO journal (zone, op, name, type, value, ttl) SELECT "
			       "dd_zone(name), ?2, name, type, value, ttl FROM pool_rrs WHERE "
			       "name = ?1 AND xfr_up = 1 AND dd_zone(name) IS NOT NULL", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, op);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_reset(st);
	return rc;
}

/* Audit row and serial bump of the pool's zone, inside the transaction. */
static int
writer_pool_log(struct writer *w, const struct writer_actor *who, const char *name,
		const char *action, const char *newv)
{
	if (writer_audit_row(w, who, action, name, "POOL", NULL, newv) < 0)
		return DD_EDB;
	memset(w->zone_changed, 0, w->cfg->nzones * sizeof(bool));
	w->zone_changed[writer_zone_of(w, name)] = true;
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
	if (z >= 0)
		writer_zone_serial_publish(w, (unsigned)z);
	return rc;
}

int
writer_pool_set(struct writer *w, const struct writer_actor *who, const struct writer_pool *p,
		struct shm_pools *live, bool *changed)
{
	char *want = NULL, *have = NULL, **old = NULL;
	size_t nold = 0;
	int64_t id, slot;
	int rc;

	*changed = false;
	w->npools = -1;
	if (writer_zone_of(w, p->name) < 0)
		return DD_EINVAL;
	if (writer_begin(w) < 0)
		return DD_EDB;
	want = writer_pool_key(p);
	have = writer_pool_stored_key(w, p->name, &id, &slot);
	if (want && have && strcmp(want, have) == 0) {
		rc = 0; /* unchanged: nothing written, nothing reset */
		goto rollback;
	}
	{
		/* a pool name answers from its members only: no records beside it */
		sqlite3_stmt *st = NULL;
		rc = 0;
		if (db_prep(db_sqlite(w->db), "SELECT 1 FROM records WHERE name = ?1", &st) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				rc = DD_EEXIST;
		}
		sqlite3_reset(st);
		if (rc < 0)
			goto rollback;
	}
	if (slot < 0 && (slot = writer_pool_free_slot(w)) < 0) {
		rc = DD_ENOSPC;
		goto rollback;
	}
	writer_pool_old_ips(w, id, &old, &nold);
	rc = writer_journal_pool(w, p->name, 0);
	if (rc == 0)
		rc = writer_pool_rows(w, who, p, id, slot);
	if (rc == 0)
		rc = writer_journal_pool(w, p->name, 1);
	if (rc == 0)
		rc = writer_pool_log(w, who, p->name, id ? "pool-set" : "pool-create", want);
	if (rc < 0 || writer_txn(w, DB_COMMIT) < 0) {
		rc = DD_EDB;
		w->db_failed = true;
		goto rollback;
	}
	w->db_failed = false;
	writer_pool_reset(live, slot, true, old, nold, p);
	util_strv_free(old, nold);
	*changed = true;
	free(want);
	free(have);
	if (w->stats)
		w->stats->updates[writer_source(who->source)]++;
	return writer_pool_publish(w, p->name);
rollback:
	writer_txn(w, DB_ROLLBACK);
	util_strv_free(old, nold);
	free(want);
	free(have);
	return rc;
}

int
writer_pool_del(struct writer *w, const struct writer_actor *who, const char *name,
		struct shm_pools *live)
{
	sqlite3_stmt *st = NULL;
	int64_t slot = -1;
	int rc = DD_ENOENT;

	w->npools = -1;
	if (writer_begin(w) < 0)
		return DD_EDB;
	if (db_prep(db_sqlite(w->db), "SELECT slot FROM pools WHERE name = ?1", &st) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			slot = sqlite3_column_int64(st, 0);
			rc = 0;
		}
	}
	sqlite3_reset(st);
	st = NULL;
	if (rc == 0)
		rc = writer_journal_pool(w, name, 0);
	if (rc == 0 && (db_prep(db_sqlite(w->db), "DELETE FROM pools WHERE name = ?1", &st) != SQLITE_OK ||
			(sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC),
			 sqlite3_step(st) != SQLITE_DONE)))
		rc = DD_EDB;
	sqlite3_reset(st);
	if (rc == 0)
		rc = writer_pool_log(w, who, name, "pool-delete", NULL);
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

/* The member rows whose published states differ from live; malloc'd. */
static int
writer_pool_diff(struct writer *w, const struct shm_pools *live, bool events,
		 struct pool_chg **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct pool_chg *c = NULL;
	size_t nc = 0;

	*out = NULL;
	*n = 0;
	if (db_prep(db_sqlite(w->db),
			       "SELECT p.id, p.name, p.slot, p.all_down, p.ttl, m.pos, m.ip, m.xfr_up, "
			       "m.notified_up, (SELECT count(*) FROM pool_members k WHERE k.pool_id = "
			       "p.id) FROM pools p JOIN pool_members m ON m.pool_id = p.id ORDER BY "
			       "p.id, m.pos", &st) != SQLITE_OK)
		return DD_EDB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t slot = sqlite3_column_int64(st, 2);
		int pos = sqlite3_column_int(st, 5), members = sqlite3_column_int(st, 9), nup = 0;
		const struct pool_slot *ps;
		struct pool_chg *g;
		int up, xfr;
		if (slot < 0 || slot >= POOL_SLOTS || pos < 0 || pos >= POOL_MEMBERS_MAX)
			continue;
		ps = &live->s[slot];
		for (int i = 0; i < members && i < POOL_MEMBERS_MAX; i++)
			nup += ps->m[i].up != 0;
		up = ps->m[pos].up != 0;
		xfr = nup ? up : strcmp((const char *)sqlite3_column_text(st, 3), "closed") != 0;
		xfr = xfr != sqlite3_column_int(st, 7) ? xfr : -1;
		up = events && up != sqlite3_column_int(st, 8) ? up : -1;
		if (xfr < 0 && up < 0)
			continue;
		if ((g = realloc(c, (nc + 1) * sizeof(*c))) == NULL)
			break;
		c = g;
		c[nc] = (struct pool_chg){.pool = sqlite3_column_int64(st, 0), .pos = pos, .xfr = xfr,
					  .up = up, .ttl = sqlite3_column_int64(st, 4)};
		c[nc].name = strdup((const char *)sqlite3_column_text(st, 1));
		c[nc].ip = strdup((const char *)sqlite3_column_text(st, 6));
		nc++;
	}
	sqlite3_reset(st);
	*out = c;
	*n = nc;
	return 0;
}

/* Inside the transaction: the journal row and xfr_up, or the event and notified_up. */
static int
writer_pool_apply(struct writer *w, const struct pool_chg *c)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, z = writer_zone_of(w, c->name);

	if (c->xfr >= 0) {
		if (db_prep(db_sqlite(w->db),
				       "INSERT INTO journal (zone, op, name, type, value, ttl) SELECT "
				       "dd_zone(?1), ?2, ?1, CASE WHEN instr(?3, ':') THEN 'AAAA' ELSE "
				       "'A' END, ?3, ?4 WHERE dd_zone(?1) IS NOT NULL", &st) != SQLITE_OK)
			return DD_EDB;
		sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, c->xfr);
		sqlite3_bind_text(st, 3, c->ip, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, c->ttl);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = DD_EDB;
		sqlite3_reset(st);
		if (z >= 0)
			w->zone_changed[z] = true;
	}
	if (rc == 0 && c->up >= 0)
		rc = writer_outbox_row(w, c->up ? "member_up" : "member_down", c->name, NULL, c->ip,
				       NULL, NULL);
	if (rc < 0 || db_prep(db_sqlite(w->db),
					 "UPDATE pool_members SET xfr_up = CASE WHEN ?3 < 0 THEN xfr_up "
					 "ELSE ?3 END, notified_up = CASE WHEN ?4 < 0 THEN notified_up "
					 "ELSE ?4 END WHERE pool_id = ?1 AND pos = ?2", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_int64(st, 1, c->pool);
	sqlite3_bind_int(st, 2, c->pos);
	sqlite3_bind_int(st, 3, c->xfr);
	sqlite3_bind_int(st, 4, c->up);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = DD_EDB;
	sqlite3_reset(st);
	return rc;
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
	if ((rc = writer_pool_diff(w, live, events, &c, &nc)) < 0 || nc == 0)
		goto out;
	memset(w->zone_changed, 0, w->cfg->nzones * sizeof(bool));
	if (writer_begin(w) < 0) {
		rc = DD_EDB;
		goto out;
	}
	for (size_t i = 0; i < nc && rc == 0; i++)
		rc = writer_pool_apply(w, &c[i]);
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
	for (size_t i = 0; i < nc; i++) {
		free(c[i].name);
		free(c[i].ip);
	}
	free(c);
	return rc;
}
