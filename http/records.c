/*
 * records.c - GET /records (what the token may see) and
 * DELETE /records/{subdomain}[?type=T].
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "http/http.h"
#include "http/names.h"
#include "workers/writer.h"

static void
records_get(struct http_req *r)
{
	sqlite3_stmt *st = NULL;
	json_t *list;
	int step;

	if (http_req_auth(r) < 0)
		return;
	if (sqlite3_prepare_v2(db_sqlite(r->srv->db),
			       "SELECT name, type, value, ttl, updated_at, "
			       "coalesce(owner_id, 0) FROM records ORDER BY name, type, id",
			       -1, &st, NULL) != SQLITE_OK) {
		http_reply_error(r, 503, "database unavailable");
		return;
	}
	list = json_array();
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		int z;
		int64_t ttl;
		char when[32];

		if (name == NULL || !auth_may_read(&r->who, name, sqlite3_column_int64(st, 5)))
			continue;
		z = writer_zone_of(r->srv->writer, name);
		ttl = sqlite3_column_type(st, 3) == SQLITE_NULL
			      ? (z >= 0 ? (int64_t)r->srv->cfg->zones[z].ttl : 0)
			      : sqlite3_column_int64(st, 3);
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:s, s:I, s:s}", "domain", name, "type",
					(const char *)sqlite3_column_text(st, 1), "value",
					(const char *)sqlite3_column_text(st, 2), "ttl", (json_int_t)ttl,
					"updatedAt",
					http_iso_time(sqlite3_column_int64(st, 4), when, sizeof(when))));
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		json_decref(list);
		http_reply_error(r, 503, "database unavailable");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "records", list));
}

static void
records_delete(struct http_req *r)
{
	struct http_server *srv = r->srv;
	const char *tq = http_req_query(r, "type");
	char name[NAME_TEXT_MAX];
	struct writer_actor who;
	struct writer_set set;
	struct writer_result res;
	uint16_t type = 0;
	int rc;

	if (http_req_auth(r) < 0)
		return;
	if (tq != NULL && (type = names_type_parse(tq)) == 0) {
		http_reply_error(r, 400, "type must be one of A, AAAA, TXT, CNAME");
		return;
	}
	rc = names_resolve(srv->cfg, r->tail, name, sizeof(name));
	if (rc < 0) {
		http_reply_error(r, rc == DD_ENOENT ? 404 : 400, "'%.200s': %s", r->tail,
				 rc == DD_ENOENT ? "in none of our zones" : "not a valid name");
		return;
	}
	if (!auth_may_write(&r->who, name, writer_owner_of(srv->writer, name))) {
		http_reply_error(r, 403, "this token may not change %s", name);
		return;
	}
	set = (struct writer_set){.name = name, .type = type, .ttl = -1};
	who = (struct writer_actor){.source = "http", .actor = r->who.actor, .client = r->client};
	rc = writer_apply(srv->writer, &who, &set, 1, &res);
	if (rc < 0) {
		if (rc == DD_EROFS)
			http_reply_error(r, 403, "in a secondary zone; change it on its primary");
		else
			http_reply_error(r, 503, "database write failed");
		return;
	}
	if (!res.changed) {
		writer_result_fini(&res);
		http_reply_error(r, 404, "no %s%srecords at %s", type ? names_type_str(type) : "",
				 type ? " " : "", name);
		return;
	}
	http_reply_json(r, 200,
			json_pack("{s:s, s:s, s:I}", "message", "records deleted", "domain", name,
				  "deleted", (json_int_t)res.deleted));
	writer_result_fini(&res);
}

const struct http_route http_routes_records[] = {
	{HTTP_GET, "/records", records_get},
	{HTTP_DELETE, "/records/*", records_delete},
	{0, NULL, NULL},
};
