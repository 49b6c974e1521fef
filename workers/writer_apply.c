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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_audit.h"
#include "daemon/db_records.h"
#include "daemon/db_writer.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "dns/dname.h"
#include "dns/rdata.h"
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
	/* wire bytes ({u16 rdlen, rdata} each) of the rows of each other
	 * stored type (dns_stored_types order): the rest of the name's entry */
	size_t other[DNS_STORED_TYPES];
};

/* Collects the rows writer_read_old keeps. */
struct writer_old {
	const struct writer_set *s;
	const char *want;      /* the type asked, or NULL: every row as "TYPE value" */
	struct writer_result *res;
	struct writer_name *nm;
	int64_t *ids;          /* arrival order of res->old (one type) */
	int64_t ttl_id;        /* the row res->old_ttl came from */
};

/* Wire bytes of one stored row as the shared table holds it; more than
 * SHM_ENTRY_MAX when it alone cannot be held. */
static size_t
writer_row_bytes(uint16_t type, const char *value)
{
	uint8_t buf[SHM_ENTRY_MAX];
	int n = dns_rdata_from_text(type, value, buf, sizeof(buf));

	if (n == DD_ENOSPC)
		return SHM_ENTRY_MAX + 1;
	return n < 0 ? 0 : 2 + (size_t)n; /* a value the entry skips takes no room */
}

/* Counts an other-type row of the name into nm->other. */
static void
writer_other_row(struct writer_name *nm, const char *type, const char *value)
{
	uint16_t t = dns_stored_type_parse(type);

	for (size_t i = 0; i < DNS_STORED_TYPES; i++)
		if (dns_stored_types[i] == t)
			nm->other[i] += writer_row_bytes(t, value);
}

/* One row of the name: kept when of the type asked (or any, for type 0). */
static int
writer_old_row(void *arg, const struct db_record_row *r)
{
	struct writer_old *o = arg;
	struct writer_result *res = o->res;
	char **grown;
	char *v;

	if (o->want) {
		if (o->nm->owner == 0 && r->owner > 0)
			o->nm->owner = r->owner;
		if (strcmp(r->type, o->want) != 0) {
			if ((o->s->type == DNS_TYPE_CNAME) != (strcmp(r->type, "CNAME") == 0))
				o->nm->cname_clash = true;
			writer_other_row(o->nm, r->type, r->value);
			return 0;
		}
	}
	if ((grown = realloc(res->old, (res->nold + 2) * sizeof(char *))) == NULL)
		return DD_ENOMEM;
	res->old = grown;
	res->old[res->nold] = NULL;
	if (o->want) {
		int64_t *g = realloc(o->ids, (res->nold + 1) * sizeof(*g));
		if (g == NULL)
			return DD_ENOMEM;
		o->ids = g;
		o->ids[res->nold] = r->id;
		/* the TTL of the newest row that has one */
		if (r->ttl >= 0 && r->id >= o->ttl_id) {
			res->old_ttl = r->ttl;
			o->ttl_id = r->id;
		}
		v = strdup(r->value);
	} else {
		size_t n = strlen(r->type) + strlen(r->value) + 2;
		if (r->ttl >= 0)
			res->old_ttl = r->ttl;
		if ((v = malloc(n)) != NULL)
			snprintf(v, n, "%s %s", r->type, r->value);
	}
	res->old[res->nold] = v;
	res->old[++res->nold] = NULL;
	return v ? 0 : DD_ENOMEM;
}

/*
 * Reads the current RRset (type 0: every row of the name) into res.  For one
 * type, the same single walk over the name's rows (the table's key starts
 * with the name) also gives the CNAME clash and the rows' owner, which
 * would otherwise take a query each; the rows come in key order and are
 * put in the order they arrived here (a few values), not by an SQLite sorter.
 */
static int
writer_read_old(struct writer *w, const struct writer_set *s, struct writer_result *res,
		struct writer_name *nm)
{
	struct writer_old o = {.s = s,
			       .want = s->type ? dns_stored_type_str(s->type) : NULL,
			       .res = res,
			       .nm = nm,
			       .ttl_id = INT64_MIN};
	int rc;

	res->old_ttl = -1;
	memset(nm, 0, sizeof(*nm));
	nm->owner = s->type ? 0 : -1;
	rc = db_record_rows(w->db, s->name, s->type == 0, writer_old_row, &o);
	/* order of arrival (insertion sort: an RRset holds a few values) */
	for (size_t i = 1; o.ids && i < res->nold; i++) {
		for (size_t j = i; j > 0 && o.ids[j - 1] > o.ids[j]; j--) {
			int64_t t = o.ids[j];
			char *v = res->old[j];
			o.ids[j] = o.ids[j - 1];
			res->old[j] = res->old[j - 1];
			o.ids[j - 1] = t;
			res->old[j - 1] = v;
		}
	}
	free(o.ids);
	return rc == DD_ENOMEM ? DD_EDB : rc; /* as a failed read: nothing is written */
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
	return !writer_pools_none(w) && db_pool_exists(w->db, name);
}

/* RFC 1034 3.6.2: a CNAME owner has no other data.  Returns DD_EEXIST when
 * setting s would break that (nm: from writer_read_old). */
static int
writer_check_cname(struct writer *w, const struct writer_set *s, const struct writer_name *nm)
{
	if (s->nvalues == 0)
		return 0;
	if (s->type == DNS_TYPE_CNAME && s->nvalues > 1)
		return DD_EINVAL;
	if (nm->cname_clash)
		return DD_EEXIST;
	if (writer_has_pool(w, s->name))
		return DD_EEXIST; /* a pool name answers from its members only */
	return 0;
}

/*
 * Whether the name's entry, with s in place of its RRset of that type and
 * its other rows (nm), fits the shared table: a 2xx means served, so what
 * the table cannot hold is refused before the commit.  0 or DD_ETOOBIG.
 */
static int
writer_check_size(const struct writer_set *s, const struct writer_name *nm)
{
	struct shm_rrset_in rr[DNS_STORED_TYPES];
	uint8_t wire[SHM_NAME_MAX];
	size_t n = 0, bytes = 0;
	int len;

	if (s->nvalues == 0 || (len = dns_dname_from_str(s->name, wire, sizeof(wire))) < 0)
		return 0; /* nothing grows; a bad name is refused elsewhere */
	for (size_t i = 0; i < s->nvalues; i++)
		bytes += writer_row_bytes(s->type, s->values[i]);
	rr[n++] = (struct shm_rrset_in){.type = s->type, .count = 1, .data_len = bytes};
	for (size_t i = 0; i < DNS_STORED_TYPES; i++)
		if (nm->other[i] > 0)
			rr[n++] = (struct shm_rrset_in){.type = dns_stored_types[i], .count = 1,
							 .data_len = nm->other[i]};
	return shm_entry_size((size_t)len, rr, n) == 0 ? DD_ETOOBIG : 0;
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
				  s->type ? dns_stored_type_str(s->type) : NULL,
				  res->nold ? oldv : NULL, s->nvalues ? newv : NULL);

	if (rc == 0 && writer_wants_event(w, "record_changed")) {
		/* the event carries values joined by ", " and who made the change */
		char *o2 = writer_join_sep((const char *const *)res->old, res->nold, ", ");
		char *n2 = writer_join_sep(s->values, s->nvalues, ", ");
		json_t *d = json_pack("{s:s, s:s, s:s?}", "source", who->source ? who->source : "?",
				      "actor", who->actor ? who->actor : "?", "client", who->client);
		char *ds = d ? json_dumps(d, JSON_COMPACT) : NULL;
		rc = writer_outbox_row(w, "record_changed", s->name,
				       s->type ? dns_stored_type_str(s->type) : NULL,
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
	const char *type = dns_stored_type_str(s->type);
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
			rc = db_record_replace_value(w->db, s->name, type, res->old[next_old], v,
						     s->ttl);
			stays[next_old++] = true;
			res->deleted++;
			continue;
		}
		if (db_record_insert(w->db, s->name, type, v, s->ttl, owner, writer_next_id(w)) < 0)
			rc = DD_EDB;
	}
	for (size_t i = 0; i < res->nold && rc == 0; i++) {
		if (i <= WRITER_VALUES_MAX && stays[i])
			continue;
		rc = db_record_delete_value(w->db, s->name, type, res->old[i]);
		res->deleted++;
	}
	/* rows that stayed keep their TTL unless it changes (new rows have it) */
	if (rc == 0 && res->nold > 0 && res->old_ttl != s->ttl)
		rc = db_record_set_ttl(w->db, s->name, type, s->ttl);
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
	const char *type = s->type ? dns_stored_type_str(s->type) : NULL;
	int64_t owner = s->new_owner > 0 ? s->new_owner
			: known >= 0     ? known
					 : writer_owner_of(w, s->name);
	int rc = DD_EDB;

	if (owner < 0)
		goto done; /* not "no owner": a name must not change hands on a failed read */
	if (owner == 0)
		owner = who->owner_id;
	if (s->nvalues > 0 && s->type != 0 && res->nold <= WRITER_VALUES_MAX) {
		if (writer_rows_set(w, s, res, owner) < 0)
			goto done;
	} else {
		if (db_record_delete(w->db, s->name, type, &res->deleted) < 0)
			goto done;
		if (s->nvalues > 0) { /* more old rows than a set holds: all went */
			struct writer_result none = {.old_ttl = -1};
			if (writer_rows_set(w, s, &none, owner) < 0)
				goto done;
		}
	}
	/* the name has one owner: a claim or a reassignment covers all its rows */
	if (owner > 0 && db_record_set_owner(w->db, s->name, owner) < 0)
		goto done;
	rc = writer_audit(w, who, s, res);
done:
	if (rc < 0)
		log_warnx("%s: writing %s: %s", db_path(w->db), s->name, db_errmsg(w->db));
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
	if (!db_in_txn(w->db) || writer_txn(w, DB_SAVEPOINT) < 0) {
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
		if ((rc = writer_check_cname(w, s, &nm)) < 0 ||
		    (rc = writer_check_size(s, &nm)) < 0)
			break;
		if ((rc = writer_replace(w, who, s, &res[i], s->nvalues > 0 ? nm.owner : -1)) < 0)
			break;
		res[i].changed = true;
		any = true;
	}
	if (rc < 0 || !any) {
		writer_txn(w, DB_SAVEPOINT_ROLLBACK);
		writer_txn(w, DB_SAVEPOINT_RELEASE);
		if (rc < 0)
			for (size_t i = 0; i < n; i++)
				res[i].changed = false;
		if (rc == DD_EDB)
			w->db_failed = true;
		return rc;
	}
	if (writer_txn(w, DB_SAVEPOINT_RELEASE) < 0) {
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
