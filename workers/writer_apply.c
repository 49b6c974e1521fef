/*
 * writer_apply.c - apply: a change set -> rows.  Per set, read the RRset, compare
 * as a set of values (order and duplicates ignored) plus TTL; if different,
 * replace the rows that change and add an audit row (and an outbox row),
 * all under a SAVEPOINT of the open group (writer_group.c).
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
#include "daemon/dd.h"
#include "daemon/load.h"
#include "daemon/log.h"
#include "daemon/pooldb.h"
#include "daemon/util.h"
#include "daemon/walbuf.h"
#include "daemon/names.h"
#include "daemon/db_audit.h"
#include "shm/pool.h"
#include "shm/stats.h"
#include "shm/table.h"

/*
 * records.id of a new row: the clock in microseconds, strictly increasing
 * within the process, so row order is the order rows came in (db.c v7).
 */
int64_t
writer_next_id(struct writer *w)
{
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	w->last_id = now > w->last_id ? now : w->last_id + 1;
	return w->last_id;
}

enum stats_source
writer_source(const char *s)
{
	for (int i = 0; i < STATS_SRC_MAX; i++)
		if (s && strcmp(s, shm_stats_source_name((enum stats_source)i)) == 0)
			return (enum stats_source)i;
	return STATS_SRC_HTTP;
}

/* Counts the outcome of one writer_apply. */
static int
writer_count(struct writer *w, const struct writer_actor *who, const struct writer_result *res,
	     size_t n, int rc)
{
	enum stats_source src = writer_source(who->source);

	if (w->stats == NULL)
		return rc;
	if (rc < 0 && rc != DD_ENOSPC) {
		w->stats->update_errors++;
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		if (res[i].changed)
			w->stats->updates[src]++;
		else
			w->stats->updates_unchanged[src]++;
	}
	return rc;
}

void
writer_result_fini(struct writer_result *res)
{
	for (size_t i = 0; i < res->nold; i++)
		free(res->old[i]);
	free(res->old);
	memset(res, 0, sizeof(*res));
}

/* What the name's other rows say about a set (writer_read_old). */
struct writer_name {
	bool cname_clash; /* RFC 1034 3.6.2: s would put a CNAME beside other data */
	int64_t owner;    /* owner_id of the name's rows; 0: none; -1: not read */
};

/*
 * Reads the current RRset (type 0: every row of the name) into res.  For one
 * type, the same single walk over the name's rows (the table's key starts
 * with the name) also gives the CNAME clash and the rows' owner, which
 * would otherwise take a query each.
 */
static int
writer_read_old(struct writer *w, const struct writer_set *s, struct writer_result *res,
		struct writer_name *nm)
{
	sqlite3_stmt *st = NULL;
	/* one type: the rows come in key order and are put in the order they
	 * arrived (id) here, a few values, rather than by an SQLite sorter */
	const char *sql = s->type ? "SELECT value, ttl, type, owner_id, id FROM records "
				    "WHERE name = ?1"
				  : "SELECT type || ' ' || value, ttl FROM records WHERE name = ?1 "
				    "ORDER BY type, id";
	const char *want = s->type ? names_type_str(s->type) : NULL;
	int64_t *ids = NULL, ttl_id = INT64_MIN;
	int step;

	res->old_ttl = -1;
	nm->cname_clash = false;
	nm->owner = s->type ? 0 : -1;
	if (db_prep(db_sqlite(w->db), sql, &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		char **grown;
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (want) {
			const char *type = (const char *)sqlite3_column_text(st, 2);
			if (nm->owner == 0 && sqlite3_column_type(st, 3) != SQLITE_NULL)
				nm->owner = sqlite3_column_int64(st, 3);
			if (type == NULL || strcmp(type, want) != 0) {
				if ((s->type == 5) != (type != NULL && strcmp(type, "CNAME") == 0))
					nm->cname_clash = true;
				continue;
			}
		}
		grown = realloc(res->old, (res->nold + 2) * sizeof(char *));
		if (grown == NULL)
			break;
		res->old = grown;
		res->old[res->nold] = NULL;
		if (want) {
			int64_t id = sqlite3_column_int64(st, 4), *g;
			if ((g = realloc(ids, (res->nold + 1) * sizeof(*ids))) == NULL)
				break;
			ids = g;
			ids[res->nold] = id;
			/* the TTL of the newest row that has one */
			if (sqlite3_column_type(st, 1) != SQLITE_NULL && id >= ttl_id) {
				res->old_ttl = sqlite3_column_int64(st, 1);
				ttl_id = id;
			}
		} else if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
			res->old_ttl = sqlite3_column_int64(st, 1);
		}
		res->old[res->nold] = strdup(v ? v : "");
		res->old[++res->nold] = NULL;
	}
	sqlite3_reset(st);
	/* order of arrival (insertion sort: an RRset holds a few values) */
	for (size_t i = 1; ids && i < res->nold; i++) {
		for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			int64_t t = ids[j];
			char *v = res->old[j];
			ids[j] = ids[j - 1];
			res->old[j] = res->old[j - 1];
			ids[j - 1] = t;
			res->old[j - 1] = v;
		}
	}
	free(ids);
	return step == SQLITE_DONE ? 0 : DD_EDB;
}

static bool
writer_in(const char *v, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, set[i]) == 0)
			return true;
	return false;
}

/* Same values as a set, same TTL (when one is asked for)? */
static bool
writer_unchanged(const struct writer_set *s, const struct writer_result *res)
{
	if (s->new_owner > 0)
		return false;
	if (s->nvalues == 0)
		return res->nold == 0;
	if (res->nold == 0)
		return false;
	for (size_t i = 0; i < s->nvalues; i++)
		if (!writer_in(s->values[i], (const char *const *)res->old, res->nold))
			return false;
	for (size_t i = 0; i < res->nold; i++)
		if (!writer_in(res->old[i], s->values, s->nvalues))
			return false;
	return s->ttl < 0 ? res->old_ttl < 0 : res->old_ttl == s->ttl;
}

static bool
writer_has_pool(struct writer *w, const char *name)
{
	sqlite3_stmt *st = NULL;
	bool has = false;

	if (writer_pools_none(w))
		return false;
	if (db_prep(db_sqlite(w->db), "SELECT 1 FROM pools WHERE name = ?1", &st) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		has = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_reset(st);
	return has;
}

/* RFC 1034 3.6.2: a CNAME owner has no other data.  Returns DD_EEXIST when
 * setting s would break that (nm: from writer_read_old). */
static int
writer_check_cname(struct writer *w, const struct writer_set *s, const struct writer_name *nm)
{
	if (s->nvalues == 0)
		return 0;
	if (s->type == 5 && s->nvalues > 1)
		return DD_EINVAL;
	if (nm->cname_clash)
		return DD_EEXIST;
	if (writer_has_pool(w, s->name))
		return DD_EEXIST; /* a pool name answers from its members only */
	return 0;
}

static char *
writer_join_sep(const char *const *v, size_t n, const char *sep)
{
	size_t len = 1;
	char *out;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + strlen(sep);
	if ((out = malloc(len)) == NULL)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, sep);
		strcat(out, v[i]);
	}
	return out;
}

static char *
writer_join(const char *const *v, size_t n)
{
	return writer_join_sep(v, n, "\n");
}

/* One audit row (inside the caller's transaction): who did what to which name. */
int
writer_audit_row(struct writer *w, const struct writer_actor *who, const char *action,
		 const char *name, const char *type, const char *oldv, const char *newv)
{
	/* actor and source are NOT NULL columns: an anonymous caller is "?" */
	struct db_audit_row row = {.actor = who->actor ? who->actor : "?",
				   .source = who->source ? who->source : "?",
				   .action = action,
				   .name = name,
				   .type = type,
				   .old_value = oldv,
				   .new_value = newv,
				   .client = who->client};

	return db_audit_insert(w->db, &row);
}

static int
writer_audit(struct writer *w, const struct writer_actor *who, const struct writer_set *s,
	     const struct writer_result *res)
{
	char *oldv = writer_join((const char *const *)res->old, res->nold);
	char *newv = writer_join(s->values, s->nvalues);
	int rc = writer_audit_row(w, who, s->nvalues ? "set" : "delete", s->name,
				  s->type ? names_type_str(s->type) : NULL,
				  res->nold ? oldv : NULL, s->nvalues ? newv : NULL);

	if (rc == 0 && writer_wants_event(w, "record_changed")) {
		/* the event carries values joined by ", " and who made the change */
		char *o2 = writer_join_sep((const char *const *)res->old, res->nold, ", ");
		char *n2 = writer_join_sep(s->values, s->nvalues, ", ");
		json_t *d = json_pack("{s:s, s:s, s:s?}", "source", who->source ? who->source : "?",
				      "actor", who->actor ? who->actor : "?", "client", who->client);
		char *ds = d ? json_dumps(d, JSON_COMPACT) : NULL;
		rc = writer_outbox_row(w, "record_changed", s->name,
				       s->type ? names_type_str(s->type) : NULL,
				       s->nvalues ? n2 : NULL, res->nold ? o2 : NULL, ds);
		free(ds);
		json_decref(d);
		free(o2);
		free(n2);
	}
	free(oldv);
	free(newv);
	return rc;
}

/* One statement on (name, type[, value]) with up to two more values (?4, ?5). */
static int
writer_row_op(struct writer *w, const char *sql, const struct writer_set *s, const char *value,
	      const char *v4, int64_t ttl)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(db_sqlite(w->db), sql, &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, names_type_str(s->type), -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	if (v4)
		sqlite3_bind_text(st, 4, v4, -1, SQLITE_STATIC);
	if (ttl >= 0)
		sqlite3_bind_int64(st, 5, ttl);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_reset(st);
	return rc;
}

/*
 * The RRset of s becomes exactly s->values, touching only the rows that
 * change: a value that stays keeps its row, a value that goes loses it, a
 * new value gets a new row (so row order stays the order values came in,
 * which acme-dns's "two newest" relies on); then the TTL of every row is
 * set.  One value replacing one value (the dynamic-DNS case) is an UPDATE
 * in place: one index page less to write than a delete and an insert.
 */
static int
writer_rows_set(struct writer *w, const struct writer_set *s, struct writer_result *res,
		int64_t owner)
{
	bool stays[WRITER_VALUES_MAX + 1] = {false};
	size_t next_old = 0;
	int rc = 0;

	for (size_t i = 0; i < res->nold && i <= WRITER_VALUES_MAX; i++)
		stays[i] = writer_in(res->old[i], s->values, s->nvalues);
	for (size_t j = 0; j < s->nvalues && rc == 0; j++) {
		const char *v = s->values[j];
		if (writer_in(v, (const char *const *)res->old, res->nold) ||
		    writer_in(v, s->values, j))
			continue; /* kept, or a repeat of an earlier value */
		while (next_old < res->nold && stays[next_old])
			next_old++;
		if (res->nold == 1 && s->nvalues == 1 && next_old < res->nold) {
			rc = writer_row_op(w,
					   "UPDATE records SET value = ?4, ttl = ?5, updated_at = "
					   "strftime('%s','now') WHERE name = ?1 AND type = ?2 AND "
					   "value = ?3",
					   s, res->old[next_old], v, s->ttl);
			stays[next_old++] = true;
			res->deleted++;
			continue;
		}
		{
			sqlite3_stmt *st = NULL;
			if (db_prep(db_sqlite(w->db),
				    "INSERT OR IGNORE INTO records (name, type, value, ttl, owner_id, id) "
				    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
				    &st) != SQLITE_OK)
				return DD_EDB;
			sqlite3_bind_int64(st, 6, writer_next_id(w));
			sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, names_type_str(s->type), -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, v, -1, SQLITE_STATIC);
			if (s->ttl >= 0)
				sqlite3_bind_int64(st, 4, s->ttl);
			if (owner > 0)
				sqlite3_bind_int64(st, 5, owner);
			rc = sqlite3_step(st) == SQLITE_DONE ? 0 : DD_EDB;
			sqlite3_reset(st);
		}
	}
	for (size_t i = 0; i < res->nold && rc == 0; i++) {
		if (i <= WRITER_VALUES_MAX && stays[i])
			continue;
		rc = writer_row_op(w, "DELETE FROM records WHERE name = ?1 AND type = ?2 AND value = ?3",
				   s, res->old[i], NULL, -1);
		res->deleted++;
	}
	/* rows that stayed keep their TTL unless it changes (new rows have it) */
	if (rc == 0 && res->nold > 0 && res->old_ttl != s->ttl)
		rc = writer_row_op(w,
				   "UPDATE records SET ttl = ?5, updated_at = strftime('%s','now') "
				   "WHERE name = ?1 AND type = ?2 AND ttl IS NOT ?5",
				   s, NULL, NULL, s->ttl);
	return rc;
}

/*
 * Replaces the rows of s; the name keeps its owner, or gets who's.  known:
 * the owner of the name's rows when the name is known not to be a pool (a
 * set with values passed writer_check_cname), else -1.
 */
static int
writer_replace(struct writer *w, const struct writer_actor *who, const struct writer_set *s,
	       struct writer_result *res, int64_t known)
{
	sqlite3 *h = db_sqlite(w->db);
	sqlite3_stmt *st = NULL;
	int64_t owner = s->new_owner > 0 ? s->new_owner
			: known >= 0     ? known
					 : writer_owner_of(w, s->name);
	int rc = DD_EDB;

	if (owner <= 0)
		owner = who->owner_id;
	if (s->nvalues > 0 && s->type != 0 && res->nold <= WRITER_VALUES_MAX) {
		if (writer_rows_set(w, s, res, owner) < 0)
			goto done;
	} else {
		if (db_prep(h,
			    s->type ? "DELETE FROM records WHERE name = ?1 AND type = ?2"
				    : "DELETE FROM records WHERE name = ?1",
			    &st) != SQLITE_OK)
			goto done;
		sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
		if (s->type)
			sqlite3_bind_text(st, 2, names_type_str(s->type), -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto done;
		res->deleted = (size_t)sqlite3_changes(h);
		sqlite3_reset(st);
		st = NULL;
		if (s->nvalues > 0) { /* more old rows than a set holds: all went */
			struct writer_result none = {.old_ttl = -1};
			if (writer_rows_set(w, s, &none, owner) < 0)
				goto done;
		}
	}
	if (owner > 0) {
		/* the name has one owner: a claim or a reassignment covers all its rows */
		if (db_prep(h,
			    "UPDATE records SET owner_id = ?2 WHERE name = ?1 AND "
			    "owner_id IS NOT ?2",
			    &st) != SQLITE_OK)
			goto done;
		sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, owner);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto done;
	}
	rc = writer_audit(w, who, s, res);
done:
	if (rc < 0)
		log_warnx("%s: writing %s: %s", db_path(w->db), s->name, sqlite3_errmsg(h));
	sqlite3_reset(st);
	return rc;
}

/*
 * The sets, inside the group's transaction under a savepoint: a set refused
 * (or a failed statement) undoes this call's changes only.
 */
static int
writer_apply_txn(struct writer *w, const struct writer_actor *who, const struct writer_set *sets,
		 size_t n, struct writer_result *res)
{
	bool any = false;
	int rc = 0;

	memset(res, 0, n * sizeof(*res));
	for (size_t i = 0; i < n; i++) {
		int z = writer_zone_of(w, sets[i].name);
		if (z >= 0 && w->cfg->zones[z].primary)
			return DD_EROFS;
		if (z < 0 || sets[i].nvalues > WRITER_VALUES_MAX ||
		    (sets[i].type == 0 && sets[i].nvalues > 0))
			return DD_EINVAL;
	}
	if (writer_group_begin(w) < 0)
		return DD_EDB;
	if (sqlite3_get_autocommit(db_sqlite(w->db)) || writer_exec(w, "SAVEPOINT apply") < 0) {
		w->db_failed = true;
		return DD_EDB;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct writer_set *s = &sets[i];
		struct writer_name nm;
		if ((rc = writer_read_old(w, s, &res[i], &nm)) < 0)
			break;
		if (writer_unchanged(s, &res[i]))
			continue;
		if ((rc = writer_check_cname(w, s, &nm)) < 0)
			break;
		if ((rc = writer_replace(w, who, s, &res[i], s->nvalues > 0 ? nm.owner : -1)) < 0)
			break;
		res[i].changed = true;
		any = true;
	}
	if (rc < 0 || !any) {
		writer_exec(w, "ROLLBACK TO apply");
		writer_exec(w, "RELEASE apply");
		if (rc < 0)
			for (size_t i = 0; i < n; i++)
				res[i].changed = false;
		if (rc == DD_EDB)
			w->db_failed = true;
		return rc;
	}
	if (writer_exec(w, "RELEASE apply") < 0) {
		w->db_failed = true;
		for (size_t i = 0; i < n; i++)
			res[i].changed = false;
		return DD_EDB;
	}
	for (size_t i = 0; i < n; i++) {
		if (!res[i].changed)
			continue;
		w->group_zone[writer_zone_of(w, sets[i].name)] = true;
		if (writer_group_pend(w, sets[i].name) < 0)
			rc = DD_ENOMEM;
	}
	return rc;
}

int
writer_apply(struct writer *w, const struct writer_actor *who, const struct writer_set *sets,
	     size_t n, struct writer_result *res)
{
	int rc = writer_apply_txn(w, who, sets, n, res);

	if (!w->group_on || w->npend >= WRITER_GROUP_MAX) {
		int c = writer_group_commit(w);
		if (rc == 0 && c < 0)
			rc = c;
		if (c == DD_EDB)
			for (size_t i = 0; i < n; i++)
				res[i].changed = false;
	}
	return writer_count(w, who, res, n, rc);
}
