/*
 * control_cmd.c - the control socket's commands (see control_int.h): each
 * validates its arguments like any untrusted input; changes go through
 * writer_apply() / writer_replace_zone() with "cli" as the source.
 */
#include "workers/control_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/auth.h"
#include "daemon/backup.h"
#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_pools.h"
#include "daemon/db_users.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/names.h"
#include "dns/rdata.h"
#include "dns/zonefile.h"
#include "shm/stats.h"
#include "shm/table.h"
#include "workers/pooldef.h"
#include "workers/wctx.h"
#include "workers/writer.h"

/* ------------------------------------------------------------ status, stats */

/* The UDP path of the DNS workers: io_uring, recvmmsg, or mixed. */
static const char *
ctl_io_mode(const struct shm_stats *st, const struct cfg *cfg)
{
	unsigned n = 0;
	for (unsigned i = 0; i < cfg->dns.workers; i++)
		n += st->w[i].io_uring != 0;
	return n == 0 ? "recvmmsg" : n == cfg->dns.workers ? "io_uring" : "mixed";
}

static json_t *
ctl_status(struct control *c, json_t *args, char *err, size_t errsz)
{
	const struct cfg *cfg = c->ctx->cfg;
	const struct shm_stats *st = c->ctx->stats;
	json_t *workers = json_array(), *zones = json_array();
	struct shm_zone_copy *zc = malloc(sizeof(*zc));
	(void)args;
	(void)err;
	(void)errsz;

	for (unsigned i = 0; i < cfg->dns.workers; i++) {
		const struct shm_worker_stats *w = &st->w[i];
		json_array_append_new(
			workers, json_pack("{s:s, s:i, s:i, s:i, s:f, s:I, s:b, s:s}", "kind", "dns",
					   "id", i, "pid", (int)w->pid, "restarts", (int)w->restarts,
					   "qps", c->qps[i], "queries",
					   (json_int_t)ctl_worker_queries(w), "alive", ctl_alive(w->pid),
					   "io", w->io_uring ? "io_uring" : "recvmmsg"));
	}
	json_array_append_new(workers,
			      json_pack("{s:s, s:i, s:i, s:f, s:I, s:b}", "kind", "http", "pid",
					(int)getpid(), "restarts", (int)c->restarts, "qps", 0.0,
					"requests",
					(json_int_t)st->w[STATS_SLOT_HTTP].http_requests, "alive",
					true));
	json_array_append_new(workers,
			      json_pack("{s:s, s:i, s:i, s:f, s:b}", "kind", "check", "pid",
					(int)st->w[STATS_SLOT_CHECK].pid, "restarts",
					(int)st->w[STATS_SLOT_CHECK].restarts, "qps", 0.0, "alive",
					ctl_alive(st->w[STATS_SLOT_CHECK].pid)));
	json_array_append_new(workers,
			      json_pack("{s:s, s:i, s:i, s:f, s:b}", "kind", "notify", "pid",
					(int)st->w[STATS_SLOT_NOTIFY].pid, "restarts",
					(int)st->w[STATS_SLOT_NOTIFY].restarts, "qps", 0.0, "alive",
					ctl_alive(st->w[STATS_SLOT_NOTIFY].pid)));
	for (unsigned z = 0; z < cfg->nzones; z++) {
		uint32_t serial = 0;
		if (zc && shm_zone_get(c->ctx->table, z, zc) == 0)
			serial = zc->soa.serial;
		json_array_append_new(zones, json_pack("{s:s, s:I, s:I}", "name",
						       cfg->zones[z].name, "serial",
						       (json_int_t)serial, "records",
						       (json_int_t)ctl_zone_records(c, z)));
	}
	free(zc);
	return json_pack("{s:s, s:I, s:i, s:I, s:I, s:I, s:s, s:o, s:o, s:{s:s, s:i}}", "version",
			 DD_VERSION,
			 "uptime", (json_int_t)((uint64_t)time(NULL) - st->started_at),
			 "master_pid", (int)st->master_pid, "records",
			 (json_int_t)db_records_count(c->ctx->db), "names",
			 (json_int_t)shm_table_count(c->ctx->table), "reloads",
			 (json_int_t)st->reloads, "io", ctl_io_mode(st, cfg), "workers", workers, "zones",
			 zones, "sandbox", "seccomp", cfg->sandbox.seccomp ? cfg->sandbox.seccomp : "kill",
			 "stops", (int)st->sandbox_stops);
}

static json_t *
ctl_stats(struct control *c, json_t *args, char *err, size_t errsz)
{
	const struct shm_stats *st = c->ctx->stats;
	const struct shm_worker_stats *h = &st->w[STATS_SLOT_HTTP];
	json_t *by_type = json_object(), *by_rcode = json_object(), *updates = json_object();
	uint64_t qt[STATS_QTYPES] = {0}, rc[STATS_RCODES] = {0};
	uint64_t udp = 0, tcp = 0, drop = 0, tc = 0, refused = 0, evicted = 0;
	static const char *rcodes[STATS_RCODES] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
		"YXRRSET", "NXRRSET", "NOTAUTH",  "NOTZONE", "RCODE11", "RCODE12", "RCODE13",
		"RCODE14", "RCODE15", "BADVERS"};
	(void)args;
	(void)err;
	(void)errsz;

	for (unsigned i = 0; i < c->ctx->cfg->dns.workers; i++) {
		const struct shm_worker_stats *w = &st->w[i];
		udp += w->queries_udp;
		tcp += w->queries_tcp;
		drop += w->dropped;
		tc += w->truncated;
		refused += w->tcp_refused;
		evicted += w->tcp_evicted;
		for (unsigned q = 0; q < STATS_QTYPES; q++)
			for (unsigned r = 0; r < STATS_RCODES; r++) {
				qt[q] += w->answers[q][r];
				rc[r] += w->answers[q][r];
			}
	}
	for (unsigned q = 0; q < STATS_QTYPES; q++)
		if (qt[q])
			json_object_set_new(by_type, shm_stats_qtype_name(q),
					    json_integer((json_int_t)qt[q]));
	for (unsigned r = 0; r < STATS_RCODES; r++)
		if (rc[r])
			json_object_set_new(by_rcode, rcodes[r], json_integer((json_int_t)rc[r]));
	for (int s = 0; s < STATS_SRC_MAX; s++)
		json_object_set_new(updates, shm_stats_source_name((enum stats_source)s),
				    json_integer((json_int_t)h->updates[s]));
	return json_pack("{s:{s:I, s:I, s:o, s:o, s:I, s:I, s:I, s:I}, s:o, s:I, s:I}", "queries",
			 "udp", (json_int_t)udp, "tcp", (json_int_t)tcp, "by_type", by_type,
			 "by_rcode", by_rcode, "dropped", (json_int_t)drop, "truncated",
			 (json_int_t)tc, "tcp_refused", (json_int_t)refused, "tcp_evicted",
			 (json_int_t)evicted, "updates", updates,
			 "update_errors", (json_int_t)h->update_errors, "http_requests",
			 (json_int_t)h->http_requests);
}

/* ------------------------------------------------------------ records */

struct ctl_listing {
	struct control *c;
	int zone; /* -1: every zone */
	json_t *list;
};

static int
ctl_record_row(void *arg, const char *name, const char *type, const char *value, int64_t ttl)
{
	struct ctl_listing *l = arg;
	int z = writer_zone_of(l->c->ctx->writer, name);

	if (z < 0 || (l->zone >= 0 && z != l->zone))
		return 0;
	if (ttl < 0)
		ttl = l->c->ctx->cfg->zones[z].ttl;
	json_array_append_new(l->list, json_pack("{s:s, s:s, s:s, s:I}", "name", name, "type",
						 type, "value", value, "ttl", (json_int_t)ttl));
	return 0;
}

static json_t *
ctl_record_list(struct control *c, json_t *args, char *err, size_t errsz)
{
	struct ctl_listing l = {.c = c, .zone = -1};

	if (ctl_str(args, "zone") != NULL && (l.zone = ctl_zone_arg(c, args, err, errsz)) < 0)
		return NULL;
	l.list = json_array();
	if (db_records_list(c->ctx->db, ctl_record_row, &l) < 0) {
		json_decref(l.list);
		snprintf(err, errsz, "database unavailable");
		return NULL;
	}
	return json_pack("{s:o}", "records", l.list);
}

/* Common part of record set / del: the name, resolved. */
static int
ctl_name_arg(struct control *c, json_t *args, char *name, char *err, size_t errsz)
{
	const char *n = ctl_str(args, "name");
	int rc = n ? names_resolve(c->ctx->cfg, n, name, NAME_TEXT_MAX) : DD_EINVAL;

	if (rc < 0)
		snprintf(err, errsz, "%s: %s", n ? n : "(missing name)",
			 rc == DD_ENOENT ? "in none of the zones (use the full name)"
					 : "not a valid name");
	return rc;
}

static json_t *
ctl_record_set(struct control *c, json_t *args, char *err, size_t errsz)
{
	char name[NAME_TEXT_MAX], buf[WRITER_VALUES_MAX][VALUE_TEXT_MAX];
	const char *v[WRITER_VALUES_MAX];
	json_t *values = json_object_get(args, "values"), *jt = json_object_get(args, "ttl");
	uint16_t type = dns_stored_type_parse(ctl_str(args, "type"));
	struct writer_result res;
	struct writer_set set;
	size_t n;
	int rc;

	if (ctl_name_arg(c, args, name, err, errsz) < 0)
		return NULL;
	if (type == 0) {
		snprintf(err, errsz, "type must be one of A, AAAA, TXT, CNAME");
		return NULL;
	}
	n = json_array_size(values);
	if (n == 0 || n > WRITER_VALUES_MAX) {
		snprintf(err, errsz, "give 1 to %d values", WRITER_VALUES_MAX);
		return NULL;
	}
	if (jt && (!json_is_integer(jt) || json_integer_value(jt) < 1 ||
		   json_integer_value(jt) > 604800)) {
		snprintf(err, errsz, "--ttl must be an integer from 1 to 604800");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(values, i);
		if (!json_is_string(e) ||
		    names_value(type, json_string_value(e), buf[i], VALUE_TEXT_MAX) < 0) {
			snprintf(err, errsz, "invalid %s value '%.100s'", dns_stored_type_str(type),
				 json_is_string(e) ? json_string_value(e) : "?");
			return NULL;
		}
		v[i] = buf[i];
	}
	set = (struct writer_set){.name = name, .type = type, .values = v, .nvalues = n,
				  .ttl = jt ? json_integer_value(jt) : -1};
	rc = writer_apply(c->ctx->writer, &ctl_actor, &set, 1, &res);
	if (rc == DD_ETOOBIG) {
		snprintf(err, errsz, "%s: its records would exceed the %d bytes one name may hold; "
			 "nothing was changed", name, SHM_ENTRY_MAX);
		return NULL;
	}
	if (rc < 0) {
		snprintf(err, errsz, "%s: %s", name,
			 rc == DD_EEXIST   ? "a CNAME cannot coexist with other records (nor can a "
					     "pool)"
			 : rc == DD_EINVAL ? "a CNAME takes exactly one value"
			 : rc == DD_ENOSPC ? "committed, but the table is full"
			 : rc == DD_EROFS  ? "in a secondary zone: change it on its primary"
					   : "database write failed");
		return NULL;
	}
	{
		bool changed = res.changed;
		writer_result_fini(&res);
		return json_pack("{s:s, s:s, s:b}", "name", name, "type", dns_stored_type_str(type),
				 "updated", changed);
	}
}

static json_t *
ctl_record_del(struct control *c, json_t *args, char *err, size_t errsz)
{
	char name[NAME_TEXT_MAX];
	const char *t = ctl_str(args, "type");
	uint16_t type = t ? dns_stored_type_parse(t) : 0;
	struct writer_result res;
	struct writer_set set;
	size_t deleted;
	int rc;

	if (ctl_name_arg(c, args, name, err, errsz) < 0)
		return NULL;
	if (t != NULL && type == 0) {
		snprintf(err, errsz, "type must be one of A, AAAA, TXT, CNAME");
		return NULL;
	}
	set = (struct writer_set){.name = name, .type = type, .ttl = -1};
	rc = writer_apply(c->ctx->writer, &ctl_actor, &set, 1, &res);
	if (rc < 0) {
		snprintf(err, errsz, "%s",
			 rc == DD_EROFS ? "in a secondary zone: change it on its primary"
					: "database write failed");
		return NULL;
	}
	deleted = res.deleted;
	writer_result_fini(&res);
	if (deleted == 0) {
		snprintf(err, errsz, "no %s%srecords at %s", t ? t : "", t ? " " : "", name);
		return NULL;
	}
	return json_pack("{s:s, s:I}", "name", name, "deleted", (json_int_t)deleted);
}

/* ------------------------------------------------------------ users, tokens */

static json_t *
ctl_user_add(struct control *c, json_t *args, char *err, size_t errsz)
{
	const char *u = ctl_str(args, "username");
	bool admin = json_is_true(json_object_get(args, "admin"));
	char token[AUTH_TOKEN_LEN + 1];
	int64_t uid, tid;
	int rc;

	if (u == NULL || !auth_username_valid(u)) {
		snprintf(err, errsz, "user names are 1-63 of a-z 0-9 . _ -");
		return NULL;
	}
	rc = db_user_insert(c->ctx->db, u, admin, &uid);
	if (rc == 0)
		rc = auth_token_create(c->ctx->db, uid, NULL, token, sizeof(token), &tid);
	if (rc < 0) {
		snprintf(err, errsz, rc == DD_EEXIST ? "user %s already exists"
						     : "database write failed (%s)", u);
		return NULL;
	}
	return json_pack("{s:s, s:b, s:s}", "username", u, "admin", admin, "token", token);
}

/* A time as SQLite's datetime(t, 'unixepoch') writes it: "YYYY-MM-DD HH:MM:SS", UTC. */
static json_t *
ctl_datetime(int64_t t)
{
	time_t tt = (time_t)t;
	char buf[32];
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return json_null();
	return json_string(buf);
}

static int
ctl_user_row(void *arg, const struct db_user *u)
{
	json_array_append_new(arg, json_pack("{s:s, s:i, s:I, s:o}", "username", u->username,
					     "admin", u->admin ? 1 : 0, "names",
					     (json_int_t)u->names, "created",
					     ctl_datetime(u->created_at)));
	return 0;
}

static json_t *
ctl_user_list(struct control *c, json_t *args, char *err, size_t errsz)
{
	json_t *list = json_array();

	(void)args;
	if (db_user_list(c->ctx->db, true, ctl_user_row, list) < 0) {
		json_decref(list);
		snprintf(err, errsz, "database unavailable");
		return NULL;
	}
	return json_pack("{s:o}", "users", list);
}

static json_t *
ctl_user_del(struct control *c, json_t *args, char *err, size_t errsz)
{
	const char *u = ctl_str(args, "username");
	int rc = u ? db_user_delete(c->ctx->db, u) : DD_EINVAL;

	if (rc < 0) {
		snprintf(err, errsz, rc == DD_ENOENT ? "no user %s" : "cannot delete user %s",
			 u ? u : "(missing)");
		return NULL;
	}
	return json_pack("{s:s}", "deleted", u);
}

static json_t *
ctl_token_create(struct control *c, json_t *args, char *err, size_t errsz)
{
	char name[NAME_TEXT_MAX], token[AUTH_TOKEN_LEN + 1];
	json_t *sub = json_object_get(args, "subdomain");
	json_t *named;
	int64_t owner, tid;

	named = json_pack("{s:O}", "name", sub ? sub : json_null());
	if (ctl_name_arg(c, named, name, err, errsz) < 0) {
		json_decref(named);
		return NULL;
	}
	json_decref(named);
	owner = writer_owner_of(c->ctx->writer, name);
	if (auth_token_create(c->ctx->db, owner > 0 ? owner : 0, name, token, sizeof(token),
			      &tid) < 0) {
		snprintf(err, errsz, "database write failed");
		return NULL;
	}
	return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)tid, "subdomain", name, "token",
			 token);
}

static int
ctl_token_row(void *arg, const struct db_token *t)
{
	json_array_append_new(arg, json_pack("{s:I, s:s?, s:s?, s:o, s:o}", "id",
					     (json_int_t)t->id, "subdomain", t->subdomain,
					     "username", t->username, "created",
					     ctl_datetime(t->created_at), "last_used",
					     t->last_used_at ? ctl_datetime(t->last_used_at)
							     : json_null()));
	return 0;
}

static json_t *
ctl_token_list(struct control *c, json_t *args, char *err, size_t errsz)
{
	json_t *list = json_array();

	(void)args;
	if (db_token_list(c->ctx->db, ctl_token_row, list) < 0) {
		json_decref(list);
		snprintf(err, errsz, "database unavailable");
		return NULL;
	}
	return json_pack("{s:o}", "tokens", list);
}

static json_t *
ctl_token_revoke(struct control *c, json_t *args, char *err, size_t errsz)
{
	json_t *id = json_object_get(args, "id");
	int rc;

	if (!json_is_integer(id)) {
		snprintf(err, errsz, "token ids are integers (see token list)");
		return NULL;
	}
	rc = db_token_delete(c->ctx->db, json_integer_value(id), true, 0);
	if (rc < 0) {
		snprintf(err, errsz,
			 rc == DD_ENOENT ? "no token %lld" : "database write failed (%lld)",
			 (long long)json_integer_value(id));
		return NULL;
	}
	return json_pack("{s:I}", "revoked", json_integer_value(id));
}

/* ------------------------------------------------------------ zones */

/* The records of one zone for its export, in listing order. */
struct ctl_export {
	struct control *c;
	int z;
	struct zf_record *rr;
	size_t n, cap;
};

static int
ctl_export_row(void *arg, const char *name, const char *type, const char *value, int64_t ttl)
{
	struct ctl_export *x = arg;

	if (writer_zone_of(x->c->ctx->writer, name) != x->z)
		return 0;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct zf_record *g = realloc(x->rr, cap * sizeof(*g));
		if (g == NULL)
			return DD_ENOMEM;
		x->rr = g;
		x->cap = cap;
	}
	memset(&x->rr[x->n], 0, sizeof(x->rr[x->n]));
	snprintf(x->rr[x->n].name, sizeof(x->rr[x->n].name), "%s", name);
	x->rr[x->n].type = dns_stored_type_parse(type);
	snprintf(x->rr[x->n].value, sizeof(x->rr[x->n].value), "%s", value);
	x->rr[x->n].ttl = ttl < 0 ? x->c->ctx->cfg->zones[x->z].ttl : (uint32_t)ttl;
	x->n++;
	return 0;
}

static json_t *
ctl_zone_export(struct control *c, json_t *args, char *err, size_t errsz)
{
	const struct cfg_zone *zc;
	struct zf_soa soa;
	struct ctl_export x = {.c = c};
	size_t len = 0;
	char *text = NULL;
	json_t *out = NULL;
	FILE *f;
	int z = ctl_zone_arg(c, args, err, errsz), rc;
	uint32_t serial;

	if (z < 0)
		return NULL;
	zc = &c->ctx->cfg->zones[z];
	memset(&soa, 0, sizeof(soa));
	db_zone_sync(c->ctx->db, zc->name, &serial);
	snprintf(soa.mname, sizeof(soa.mname), "%s", zc->soa.mname);
	snprintf(soa.rname, sizeof(soa.rname), "%s", zc->soa.rname);
	soa.serial = serial;
	soa.refresh = zc->soa.refresh;
	soa.retry = zc->soa.retry;
	soa.expire = zc->soa.expire;
	soa.minimum = zc->soa.minimum;
	soa.ttl = zc->ttl;
	x.z = z;
	if ((rc = db_records_list(c->ctx->db, ctl_export_row, &x)) < 0) {
		snprintf(err, errsz, rc == DD_ENOMEM ? "out of memory" : "database unavailable");
		free(x.rr);
		return NULL;
	}
	f = open_memstream(&text, &len);
	if (f != NULL && zf_write(f, zc->name, zc->ttl, &soa, zc->ns, zc->nns, x.rr, x.n) == 0 &&
	    fclose(f) == 0) {
		out = json_pack("{s:s, s:s%, s:I}", "zone", zc->name, "text", text, len,
				"records", (json_int_t)x.n);
	} else {
		if (f != NULL)
			fclose(f);
		snprintf(err, errsz, "cannot write the zone");
	}
	free(text);
	free(x.rr);
	return out;
}

static json_t *
ctl_zone_import(struct control *c, json_t *args, char *err, size_t errsz)
{
	json_t *jt = json_object_get(args, "text");
	const char *file = ctl_str(args, "file");
	struct zf_result zr;
	struct writer_rr *rr;
	size_t removed, added;
	int z = ctl_zone_arg(c, args, err, errsz), rc;
	const struct cfg_zone *zc;

	if (z < 0)
		return NULL;
	if (!json_is_string(jt)) {
		snprintf(err, errsz, "no zone file text");
		return NULL;
	}
	zc = &c->ctx->cfg->zones[z];
	memset(&zr, 0, sizeof(zr));
	rc = zf_parse_buf(json_string_value(jt), json_string_length(jt), file ? file : "-",
			  zc->name, zc->ttl, &zr);
	if (rc < 0) {
		json_t *e = json_array();
		for (size_t i = 0; i < zr.nerrors; i++)
			json_array_append_new(e, json_string(zr.errors[i]));
		if (zr.nerrors)
			snprintf(err, errsz, "%s: %zu problem%s; nothing changed", file ? file : "-",
				 zr.nerrors, zr.nerrors == 1 ? "" : "s");
		else
			snprintf(err, errsz, "cannot read the zone file");
		zf_result_fini(&zr);
		return json_pack("{s:o}", "errors", e);
	}
	rr = calloc(zr.n ? zr.n : 1, sizeof(*rr));
	for (size_t i = 0; rr && i < zr.n; i++) {
		rr[i] = (struct writer_rr){.name = zr.rr[i].name, .type = zr.rr[i].type,
					   .value = zr.rr[i].value, .ttl = zr.rr[i].ttl};
		if (writer_zone_of(c->ctx->writer, zr.rr[i].name) != z) {
			snprintf(err, errsz, "%s:%d: %s belongs to another configured zone",
				 file ? file : "-", zr.rr[i].line, zr.rr[i].name);
			free(rr);
			zf_result_fini(&zr);
			return NULL;
		}
	}
	rc = rr ? writer_replace_zone(c->ctx->writer, &ctl_actor, (unsigned)z, rr, zr.n,
				      zr.has_soa ? &zr.soa.serial : NULL, &removed, &added)
		: DD_ENOMEM;
	free(rr);
	zf_result_fini(&zr);
	if (rc < 0) {
		snprintf(err, errsz, "%s", rc == DD_EEXIST ? "a CNAME beside other data"
					   : rc == DD_EINVAL ? "a record outside the zone"
							     : "database write failed; nothing changed");
		return NULL;
	}
	{
		struct shm_zone_copy *zcp = malloc(sizeof(*zcp));
		uint32_t serial = 0;
		if (zcp && shm_zone_get(c->ctx->table, (unsigned)z, zcp) == 0)
			serial = zcp->soa.serial;
		free(zcp);
		return json_pack("{s:s, s:I, s:I, s:I}", "zone", zc->name, "removed",
				 (json_int_t)removed, "added", (json_int_t)added, "serial",
				 (json_int_t)serial);
	}
}

/* ------------------------------------------------------------ pools */

static int
ctl_pool_row(void *arg, const struct db_pool_info *p)
{
	json_array_append_new(arg, json_pack("{s:s, s:s, s:I, s:I, s:s, s:I}", "name", p->name,
					     "policy", p->policy, "answers",
					     (json_int_t)p->answers, "ttl", (json_int_t)p->ttl,
					     "all_down", p->all_down, "members",
					     (json_int_t)p->members));
	return 0;
}

static json_t *
ctl_pool_list(struct control *c, json_t *args, char *err, size_t errsz)
{
	json_t *list = json_array();

	(void)args;
	if (db_pool_list(c->ctx->db, ctl_pool_row, list) < 0) {
		json_decref(list);
		snprintf(err, errsz, "database unavailable");
		return NULL;
	}
	return json_pack("{s:o}", "pools", list);
}

static json_t *
ctl_pool_show(struct control *c, json_t *args, char *err, size_t errsz)
{
	char name[NAME_TEXT_MAX];
	json_t *o;

	if (ctl_name_arg(c, args, name, err, errsz) < 0)
		return NULL;
	if ((o = pooldef_json(c->ctx, name)) == NULL)
		snprintf(err, errsz, "no pool %s", name);
	return o;
}

static json_t *
ctl_pool_set(struct control *c, json_t *args, char *err, size_t errsz)
{
	char name[NAME_TEXT_MAX];
	struct pooldef b;
	bool changed;
	int rc;

	memset(&b, 0, sizeof(b));
	if (ctl_name_arg(c, args, name, err, errsz) < 0)
		return NULL;
	if (pooldef_parse(json_object_get(args, "pool"), &b, err, errsz) < 0) {
		free(b.check);
		return NULL;
	}
	b.p.name = name;
	rc = writer_pool_set(c->ctx->writer, &ctl_actor, &b.p, c->ctx->pools, &changed);
	free(b.check);
	if (rc < 0) {
		snprintf(err, errsz, "%s: %s", name,
			 rc == DD_EEXIST   ? "has records; a pool name answers from its members only"
			 : rc == DD_ENOSPC ? "every pool slot is in use"
					   : "database write failed");
		return NULL;
	}
	return json_pack("{s:o, s:b}", "pool", pooldef_json(c->ctx, name), "updated", changed);
}

static json_t *
ctl_pool_del(struct control *c, json_t *args, char *err, size_t errsz)
{
	char name[NAME_TEXT_MAX];
	int rc;

	if (ctl_name_arg(c, args, name, err, errsz) < 0)
		return NULL;
	rc = writer_pool_del(c->ctx->writer, &ctl_actor, name, c->ctx->pools);
	if (rc < 0) {
		snprintf(err, errsz, rc == DD_ENOENT ? "no pool %s" : "%s: database write failed",
			 name);
		return NULL;
	}
	return json_pack("{s:s}", "deleted", name);
}

/* ------------------------------------------------------------ backup, reload */

static json_t *
ctl_backup(struct control *c, json_t *args, char *err, size_t errsz)
{
	const char *path = ctl_str(args, "path");

	if (path == NULL || path[0] != '/') {
		snprintf(err, errsz, "backup needs an absolute path");
		return NULL;
	}
	if (backup_copy(db_sqlite(c->ctx->db), path, err, errsz) < 0)
		return NULL;
	return json_pack("{s:s, s:I}", "path", path, "records",
			 (json_int_t)db_records_count(c->ctx->db));
}

/* The scheduled backups in backup.dir, newest first. */
static json_t *
ctl_backup_list(struct control *c, json_t *args, char *err, size_t errsz)
{
	enum { MAXF = 1000 };
	const struct cfg *cfg = c->ctx->cfg;
	struct backup_file *f = calloc(MAXF, sizeof(*f));
	json_t *list;
	int n;

	(void)args;
	if (f == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	n = backup_list(cfg->backup.dir, f, MAXF);
	if (n < 0) {
		snprintf(err, errsz, "%s: %s", cfg->backup.dir, strerror(errno));
		free(f);
		return NULL;
	}
	list = json_array();
	for (int i = 0; i < n; i++) {
		char when[32], path[4096];
		struct tm tm;
		gmtime_r(&f[i].mtime, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(path, sizeof(path), "%s/%s", cfg->backup.dir, f[i].name);
		json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:s}", "name", f[i].name, "path",
						      path, "bytes", (json_int_t)f[i].size, "time",
						      when));
	}
	free(f);
	return json_pack("{s:s, s:b, s:s?, s:i, s:o}", "dir", cfg->backup.dir, "scheduled",
			 cfg->backup.enabled, "s3",
			 cfg->backup.s3_enabled ? cfg->backup.s3_endpoint : NULL, "keep",
			 (int)cfg->backup.keep, "backups", list);
}

/* Lists what a reload would change, in words. */
static json_t *
ctl_reload_diff(const struct cfg *a, const struct cfg *b)
{
	json_t *ch = json_array();

	for (size_t i = 0; i < b->nzones; i++)
		if (cfg_zone_index(a, b->zones[i].name) < 0)
			json_array_append_new(ch, json_sprintf("zone %s added", b->zones[i].name));
	for (size_t i = 0; i < a->nzones; i++)
		if (cfg_zone_index(b, a->zones[i].name) < 0)
			json_array_append_new(ch, json_sprintf("zone %s removed", a->zones[i].name));
	if ((a->log_level == NULL) != (b->log_level == NULL) ||
	    (a->log_level && strcmp(a->log_level, b->log_level) != 0))
		json_array_append_new(ch, json_string("log_level changed"));
	if (a->http.max_body != b->http.max_body ||
	    a->http.rate_per_ip_per_minute != b->http.rate_per_ip_per_minute ||
	    a->http.rate_burst != b->http.rate_burst)
		json_array_append_new(ch, json_string("http limits changed"));
	json_array_append_new(ch, json_string("records reloaded from the database"));
	return ch;
}

static json_t *
ctl_reload(struct control *c, json_t *args, char *err, size_t errsz)
{
	const struct cfg *cur = c->ctx->cfg;
	struct cfg_errors errs = {0};
	struct cfg *nc = NULL;
	json_t *out;
	(void)args;

	if (cfg_load(cur->path, &nc, &errs) < 0) {
		json_t *e = json_array();
		for (size_t i = 0; i < errs.n; i++)
			json_array_append_new(e, json_string(errs.msg[i]));
		snprintf(err, errsz, "reload refused: %zu problem%s in %s; still serving the previous "
				     "configuration",
			 errs.n, errs.n == 1 ? "" : "s", cur->path);
		cfg_errors_fini(&errs);
		return json_pack("{s:o}", "errors", e);
	}
	cfg_errors_fini(&errs);
	if (nc->dns.nlisten != cur->dns.nlisten || nc->dns.workers != cur->dns.workers ||
	    strcmp(nc->http.listen.text, cur->http.listen.text) != 0 ||
	    strcmp(nc->database, cur->database) != 0) {
		snprintf(err, errsz, "reload refused: dns.listen, dns.workers, http.listen and "
				     "database take effect only on restart");
		cfg_free(nc);
		return NULL;
	}
	for (size_t i = 0; i < nc->dns.nlisten; i++) {
		if (strcmp(nc->dns.listen[i].text, cur->dns.listen[i].text) != 0) {
			snprintf(err, errsz, "reload refused: dns.listen changes take effect only "
					     "on restart");
			cfg_free(nc);
			return NULL;
		}
	}
	out = json_pack("{s:b, s:o}", "reloading", true, "changes", ctl_reload_diff(cur, nc));
	cfg_free(nc);
	c->reload_pending = true; /* SIGHUP once the reply is on its way */
	return out;
}

const struct ctl_cmd ctl_cmds[] = {
	{"status", ctl_status},
	{"stats", ctl_stats},
	{"record.list", ctl_record_list},
	{"record.set", ctl_record_set},
	{"record.del", ctl_record_del},
	{"user.add", ctl_user_add},
	{"user.list", ctl_user_list},
	{"user.del", ctl_user_del},
	{"token.create", ctl_token_create},
	{"token.list", ctl_token_list},
	{"token.revoke", ctl_token_revoke},
	{"zone.export", ctl_zone_export},
	{"zone.import", ctl_zone_import},
	{"dnssec.status", ctl_dnssec_status},
	{"dnssec.ds", ctl_dnssec_ds},
	{"dnssec.dnskey", ctl_dnssec_dnskey},
	{"dnssec.rollover", ctl_dnssec_rollover},
	{"pool.list", ctl_pool_list},
	{"pool.show", ctl_pool_show},
	{"pool.set", ctl_pool_set},
	{"pool.del", ctl_pool_del},
	{"backup", ctl_backup},
	{"backup.list", ctl_backup_list},
	{"reload", ctl_reload},
};

const size_t ctl_ncmds = sizeof(ctl_cmds) / sizeof(ctl_cmds[0]);

const struct writer_actor ctl_actor = {.source = "cli", .actor = "cli", .client = "local"};
