/*
 * pools.c - PUT/GET/DELETE /pools/{name} and POST /pools/{name}/report
 * (INTERFACE.md): load-balanced names.  Definitions go through the writer;
 * load reports go straight to the live state (shm/pool.h), like health.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/config.h"
#include "daemon/db_pools.h"
#include "daemon/dd.h"
#include "daemon/names.h"
#include "http/http.h"
#include "shm/pool.h"
#include "workers/pooldef.h"
#include "workers/writer.h"

/* The canonical name of the request's pool, checked against the token. */
static int
pools_name(struct http_req *r, const char *tail, char *name, bool write)
{
	int rc = names_resolve(r->srv->ctx->cfg, tail, name, NAME_TEXT_MAX);

	if (rc < 0) {
		http_reply_error(r, rc == DD_ENOENT ? 404 : 400, "'%.200s': %s", tail,
				 rc == DD_ENOENT ? "in none of our zones" : "not a valid name");
		return -1;
	}
	return write ? http_may_write(r, name) : 0;
}

/*
 * A user's (not an admin's) pool with a health check may only have members
 * the server may probe for them (pooldef_member_allowed): replies 403 and
 * returns true otherwise.
 */
static bool
pools_members_refused(struct http_req *r, struct pooldef *b)
{
	if (r->who.admin || b->p.check_json == NULL)
		return false;
	for (size_t i = 0; i < b->p.n; i++) {
		if (pooldef_member_allowed(r->srv->ctx->cfg, b->p.ips[i]))
			continue;
		free(b->check);
		http_reply_error(r, 403, "member %s: a user's pool with a health check may only "
					 "have globally reachable addresses or ones inside "
					 "pools.allowed_members", b->p.ips[i]);
		return true;
	}
	return false;
}

static void
pools_put(struct http_req *r)
{
	char err[256];
	struct pooldef b;
	char name[NAME_TEXT_MAX];
	struct writer_actor who;
	bool changed;
	int rc;

	memset(&b, 0, sizeof(b));
	if (http_req_auth(r) < 0 || http_req_json(r) < 0 || pools_name(r, r->tail, name, true) < 0)
		return;
	if (pooldef_parse(r->json, &b, err, sizeof(err)) < 0) {
		free(b.check);
		http_reply_error(r, 400, "%s", err);
		return;
	}
	b.p.name = name;
	if (pools_members_refused(r, &b))
		return;
	who = (struct writer_actor){.source = "http", .actor = r->who.actor, .client = r->client,
				    .owner_id = r->who.admin ? 0 : r->who.user_id};
	rc = writer_pool_set(r->srv->ctx->writer, &who, &b.p, r->srv->ctx->pools, &changed);
	free(b.check);
	if (rc == DD_EEXIST) {
		http_reply_error(r, 400, "%s has records: a pool name answers from its members "
					 "only", name);
		return;
	}
	if (rc == DD_ENOSPC) {
		http_reply_error(r, 503, "every one of the %d pool slots is in use", POOL_SLOTS);
		return;
	}
	if (rc < 0) {
		http_reply_error(r, 503, "database write failed");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o, s:b}", "pool", pooldef_json(r->srv->ctx, name), "updated",
					  changed));
}

static void
pools_get(struct http_req *r)
{
	char name[NAME_TEXT_MAX];
	json_t *o;

	if (http_req_auth(r) < 0 || pools_name(r, r->tail, name, false) < 0)
		return;
	o = pooldef_json(r->srv->ctx, name);
	if (o == NULL || !auth_may_read(&r->who, name, writer_owner_of(r->srv->ctx->writer, name))) {
		json_decref(o);
		http_reply_error(r, 404, "no pool %s", name);
		return;
	}
	http_reply_json(r, 200, o);
}

static void
pools_delete(struct http_req *r)
{
	char name[NAME_TEXT_MAX];
	struct writer_actor who;
	int rc;

	if (http_req_auth(r) < 0 || pools_name(r, r->tail, name, true) < 0)
		return;
	who = (struct writer_actor){.source = "http", .actor = r->who.actor, .client = r->client};
	rc = writer_pool_del(r->srv->ctx->writer, &who, name, r->srv->ctx->pools);
	if (rc == DD_ENOENT)
		http_reply_error(r, 404, "no pool %s", name);
	else if (rc < 0)
		http_reply_error(r, 503, "database write failed");
	else
		http_reply_json(r, 200, json_pack("{s:s, s:s}", "message", "pool deleted", "name",
						  name));
}

/* POST /pools/NAME/report {"ip", "load"}: the backend's load, for least-load. */
static void
pools_report(struct http_req *r, const char *tail)
{
	char name[NAME_TEXT_MAX], ip[VALUE_TEXT_MAX];
	json_t *jip, *jload;
	int64_t slot = -1, pos = -1;
	int fam;

	if (http_req_auth(r) < 0 || http_req_json(r) < 0 || pools_name(r, tail, name, true) < 0)
		return;
	jip = json_object_get(r->json, "ip");
	jload = json_object_get(r->json, "load");
	fam = names_ip_family(json_string_value(jip));
	if (fam == 0 || names_value(fam == 4 ? 1 : 28, json_string_value(jip), ip, sizeof(ip)) < 0 ||
	    !json_is_integer(jload) || json_integer_value(jload) < 0 ||
	    json_integer_value(jload) > UINT32_MAX) {
		http_reply_error(r, 400, "a report is {\"ip\": address, \"load\": integer >= 0}");
		return;
	}
	/* a failed read finds no member: 404, as for an unknown one */
	if (db_pool_member_find(r->srv->ctx->db, name, ip, &slot, &pos) < 0)
		slot = pos = -1;
	if (slot < 0 || slot >= POOL_SLOTS || pos < 0 || pos >= POOL_MEMBERS_MAX ||
	    r->srv->ctx->pools == NULL) {
		http_reply_error(r, 404, "%s is not a member of pool %s", ip, name);
		return;
	}
	{
		struct pool_member_state *ms = &r->srv->ctx->pools->s[slot].m[pos];
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ms->load = (uint32_t)json_integer_value(jload);
		ms->reported_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	}
	http_reply_json(r, 200, json_pack("{s:s, s:s, s:I}", "pool", name, "ip", ip, "load",
					  json_integer_value(jload)));
}

static void
pools_post(struct http_req *r)
{
	static const char suffix[] = "/report";
	size_t n = strlen(r->tail), s = sizeof(suffix) - 1;
	char tail[NAME_TEXT_MAX];

	if (n <= s || n - s >= sizeof(tail) || strcmp(r->tail + n - s, suffix) != 0) {
		http_reply_error(r, 404, "not found");
		return;
	}
	memcpy(tail, r->tail, n - s);
	tail[n - s] = '\0';
	pools_report(r, tail);
}

const struct http_route http_routes_pools[] = {
	{HTTP_PUT, "/pools/*", pools_put},
	{HTTP_GET, "/pools/*", pools_get},
	{HTTP_DELETE, "/pools/*", pools_delete},
	{HTTP_POST, "/pools/*", pools_post},
	{0, NULL, NULL},
};
