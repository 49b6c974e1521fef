/*
 * users.c - /users, /tokens and /audit: who may write, and who did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/db_users.h"
#include "daemon/db_views.h"
#include "daemon/dd.h"
#include "daemon/names.h"
#include "http/http.h"
#include "workers/writer.h"

static bool
users_require_admin(struct http_req *r)
{
	if (http_req_auth(r) < 0)
		return false;
	if (!r->who.admin) {
		http_reply_error(r, 403, "needs the master token or an admin");
		return false;
	}
	return true;
}

static void
users_post(struct http_req *r)
{
	json_t *ju, *ja;
	char token[AUTH_TOKEN_LEN + 1];
	int64_t uid, tid;
	int rc;

	if (!users_require_admin(r) || http_req_json(r) < 0)
		return;
	ju = json_object_get(r->json, "username");
	ja = json_object_get(r->json, "admin");
	if (!json_is_string(ju) || !auth_username_valid(json_string_value(ju))) {
		http_reply_error(r, 400, "username: 1-63 of a-z 0-9 . _ -, starting with a letter "
					 "or digit");
		return;
	}
	if (ja != NULL && !json_is_boolean(ja)) {
		http_reply_error(r, 400, "admin must be true or false");
		return;
	}
	rc = db_user_insert(r->srv->ctx->db, json_string_value(ju), json_is_true(ja), &uid);
	if (rc == DD_EEXIST) {
		http_reply_error(r, 409, "user %s already exists", json_string_value(ju));
		return;
	}
	if (rc == 0)
		rc = auth_token_create(r->srv->ctx->db, uid, NULL, token, sizeof(token), &tid);
	if (rc < 0) {
		http_reply_error(r, 503, "database write failed");
		return;
	}
	http_reply_json(r, 201, json_pack("{s:s, s:b, s:s}", "username", json_string_value(ju),
					  "admin", json_is_true(ja), "apiToken", token));
}

static int
users_row(void *arg, const struct db_user *u)
{
	char when[32];

	json_array_append_new(arg, json_pack("{s:s, s:b, s:s}", "username", u->username, "admin",
					     u->admin, "createdAt",
					     http_iso_time(u->created_at, when, sizeof(when))));
	return 0;
}

static void
users_get(struct http_req *r)
{
	json_t *list;

	if (!users_require_admin(r))
		return;
	list = json_array();
	if (db_user_list(r->srv->ctx->db, false, users_row, list) < 0) {
		json_decref(list);
		http_reply_error(r, 503, "database unavailable");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "users", list));
}

static void
users_delete(struct http_req *r)
{
	int rc;

	if (!users_require_admin(r))
		return;
	rc = db_user_delete(r->srv->ctx->db, r->tail);
	if (rc == DD_ENOENT)
		http_reply_error(r, 404, "no user %.100s", r->tail);
	else if (rc < 0)
		http_reply_error(r, 503, "database write failed");
	else
		http_reply_json(r, 200, json_pack("{s:s, s:s}", "message", "user deleted",
						  "username", r->tail));
}

/* POST /tokens {"subdomain"}: master, admin, or the name's owner. */
static void
tokens_post(struct http_req *r)
{
	char name[NAME_TEXT_MAX], token[AUTH_TOKEN_LEN + 1];
	json_t *js;
	int64_t owner, uid, tid;
	int rc;

	if (http_req_auth(r) < 0 || http_req_json(r) < 0)
		return;
	js = json_object_get(r->json, "subdomain");
	if (!json_is_string(js)) {
		http_reply_error(r, 400, "subdomain (string) is required");
		return;
	}
	rc = names_resolve(r->srv->ctx->cfg, json_string_value(js), name, sizeof(name));
	if (rc < 0) {
		http_reply_error(r, 400, "'%.200s' is %s", json_string_value(js),
				 rc == DD_ENOENT ? "in none of our zones" : "not a valid name");
		return;
	}
	owner = writer_owner_of(r->srv->ctx->writer, name);
	if (r->who.kind == AUTH_SCOPED ||
	    !(r->who.admin || (owner > 0 && owner == r->who.user_id))) {
		http_reply_error(r, 403, "only the owner of %s or an admin may create its tokens",
				 name);
		return;
	}
	/* a scoped token belongs to the name's owner, or to its creator (none: master) */
	uid = owner > 0 ? owner : r->who.user_id;
	if (auth_token_create(r->srv->ctx->db, uid, name, token, sizeof(token), &tid) < 0) {
		http_reply_error(r, 503, "database write failed");
		return;
	}
	http_reply_json(r, 201, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)tid, "token", token,
					  "subdomain", name));
}

struct tokens_seen {
	const struct auth_principal *who;
	json_t *list;
};

/* One token of GET /tokens: an admin sees them all, a user only their own. */
static int
tokens_row(void *arg, const struct db_token *t)
{
	struct tokens_seen *ts = arg;
	char c[32], u[32];
	json_t *o;

	if (!ts->who->admin && t->user_id != ts->who->user_id)
		return 0;
	o = json_pack("{s:I, s:s?, s:s?, s:s}", "id", (json_int_t)t->id, "subdomain", t->subdomain,
		      "username", t->username, "createdAt",
		      http_iso_time(t->created_at, c, sizeof(c)));
	json_object_set_new(o, "lastUsedAt",
			    t->last_used_at == 0
				    ? json_null()
				    : json_string(http_iso_time(t->last_used_at, u, sizeof(u))));
	json_array_append_new(ts->list, o);
	return 0;
}

static void
tokens_get(struct http_req *r)
{
	struct tokens_seen ts = {.who = &r->who};

	if (http_req_auth(r) < 0)
		return;
	if (r->who.kind == AUTH_SCOPED) {
		http_reply_error(r, 403, "a scoped token cannot list tokens");
		return;
	}
	ts.list = json_array();
	if (db_token_list(r->srv->ctx->db, tokens_row, &ts) < 0) {
		json_decref(ts.list);
		http_reply_error(r, 503, "database unavailable");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "tokens", ts.list));
}

static void
tokens_delete(struct http_req *r)
{
	char *end;
	long long id = strtoll(r->tail, &end, 10);
	int rc;

	if (http_req_auth(r) < 0)
		return;
	if (*end != '\0' || id <= 0) {
		http_reply_error(r, 404, "no token %.40s", r->tail);
		return;
	}
	if (r->who.kind == AUTH_SCOPED) {
		http_reply_error(r, 403, "a scoped token cannot revoke tokens");
		return;
	}
	rc = db_token_delete(r->srv->ctx->db, id, r->who.admin, r->who.user_id);
	if (rc == DD_ENOENT)
		http_reply_error(r, 404, "no token %lld", id);
	else if (rc < 0)
		http_reply_error(r, 503, "database write failed");
	else
		http_reply_json(r, 200, json_pack("{s:s, s:I}", "message", "token revoked", "id",
						  (json_int_t)id));
}

static int
audit_row(void *arg, const struct db_audit *a)
{
	char when[32];

	json_array_append_new(
		arg, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?}", "ts",
			       http_iso_time(a->ts, when, sizeof(when)), "actor", a->actor,
			       "source", a->source, "action", a->action, "name", a->name, "type",
			       a->type, "oldValue", a->old_value, "newValue", a->new_value,
			       "client", a->client));
	return 0;
}

/* GET /audit[?limit=N]: newest first. */
static void
audit_get(struct http_req *r)
{
	const char *lq = http_req_query(r, "limit");
	char *end = NULL;
	long limit = lq ? strtol(lq, &end, 10) : 100;
	json_t *list;

	if (!users_require_admin(r))
		return;
	if ((lq && (*lq == '\0' || *end != '\0')) || limit < 1 || limit > 10000) {
		http_reply_error(r, 400, "limit must be an integer from 1 to 10000");
		return;
	}
	list = json_array();
	if (db_audit_list(r->srv->ctx->db, limit, audit_row, list) < 0) {
		json_decref(list);
		http_reply_error(r, 503, "database unavailable");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "audit", list));
}

const struct http_route http_routes_users[] = {
	{HTTP_POST, "/users", users_post},
	{HTTP_GET, "/users", users_get},
	{HTTP_DELETE, "/users/*", users_delete},
	{HTTP_POST, "/tokens", tokens_post},
	{HTTP_GET, "/tokens", tokens_get},
	{HTTP_DELETE, "/tokens/*", tokens_delete},
	{HTTP_GET, "/audit", audit_get},
	{0, NULL, NULL},
};
