/*
 * records.c - GET /records (what the token may see) and
 * DELETE /records/{subdomain}[?type=T].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "daemon/config.h"
#include "daemon/db_views.h"
#include "daemon/dd.h"
#include "daemon/names.h"
#include "dns/rdata.h"
#include "http/http.h"
#include "workers/writer.h"

/*
 * GET /records is streamed (http_reply_stream): rows come from a read
 * transaction on a connection of their own, in key order (no sort of the
 * whole table), RECS_SLICE at a time, each RRset's values in the order they
 * came in; the writer goes on between slices, and a database of a million
 * names never sits in memory as one JSON document.
 */
#define RECS_SLICE 2000

struct recrow {
	char *value;
	int64_t ttl, updated, id;
};

struct recs {
	struct http_server *srv;
	struct auth_principal who;
	struct db_records_stream *rs;
	bool opened;              /* the document's opening is written */
	bool any;                 /* an element written: the next one needs a comma */
	/* the RRset being collected (it may span two slices) */
	char *name, *type;
	struct recrow *rows;
	size_t n, cap;
};

static void
recs_set_clear(struct recs *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->rows[i].value);
	q->n = 0;
	free(q->name);
	free(q->type);
	q->name = q->type = NULL;
}

static void
recs_free(void *arg)
{
	struct recs *q = arg;

	recs_set_clear(q);
	free(q->rows);
	db_records_stream_close(q->rs);
	free(q);
}

struct recs_fill_ctx {
	struct recs *q;
	struct evbuffer *out;
};

static int
recrow_by_id(const void *a, const void *b)
{
	const struct recrow *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The collected RRset, its values in arrival order, into out. */
static int
recs_set_emit(struct recs *q, struct evbuffer *out)
{
	char when[32];

	qsort(q->rows, q->n, sizeof(*q->rows), recrow_by_id);
	for (size_t i = 0; i < q->n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s}", "domain", q->name, "type", q->type,
				      "value", q->rows[i].value, "ttl", (json_int_t)q->rows[i].ttl,
				      "updatedAt", http_iso_time(q->rows[i].updated, when, sizeof(when)));
		char *js = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (js == NULL)
			return -1;
		if (q->any)
			evbuffer_add(out, ",", 1);
		evbuffer_add(out, js, strlen(js));
		q->any = true;
		free(js);
	}
	recs_set_clear(q);
	return 0;
}

/* One row: collected into its RRset, the previous RRset written out first. */
static int
recs_row(void *arg, const struct db_record_row *rr)
{
	struct recs_fill_ctx *f = arg;
	struct recs *q = f->q;
	struct recrow *row;
	int z;

	if (rr->name == NULL || rr->type == NULL || rr->value == NULL ||
	    !auth_may_read(&q->who, rr->name, rr->owner))
		return 0;
	if (q->name && (strcmp(q->name, rr->name) != 0 || strcmp(q->type, rr->type) != 0) &&
	    recs_set_emit(q, f->out) < 0)
		return -1;
	if (q->name == NULL &&
	    ((q->name = strdup(rr->name)) == NULL || (q->type = strdup(rr->type)) == NULL))
		return -1;
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 8;
		struct recrow *g = realloc(q->rows, cap * sizeof(*g));
		if (g == NULL)
			return -1;
		q->rows = g;
		q->cap = cap;
	}
	row = &q->rows[q->n];
	if ((row->value = strdup(rr->value)) == NULL)
		return -1;
	z = writer_zone_of(q->srv->ctx->writer, rr->name);
	row->ttl = rr->ttl < 0 ? (z >= 0 ? (int64_t)q->srv->ctx->cfg->zones[z].ttl : 0) : rr->ttl;
	row->updated = rr->updated_at;
	row->id = rr->id;
	q->n++;
	return 0;
}

static int
recs_fill(void *arg, struct evbuffer *out)
{
	struct recs *q = arg;
	struct recs_fill_ctx f = {q, out};
	int rc;

	if (!q->opened) {
		evbuffer_add(out, "{\"records\":[", 12);
		q->opened = true;
	}
	rc = db_records_stream_next(q->rs, RECS_SLICE, recs_row, &f);
	if (rc == 1)
		return 1;
	if (rc != 0)
		return -1;
	if (q->name && recs_set_emit(q, out) < 0)
		return -1;
	evbuffer_add(out, "]}", 2);
	return 0;
}

static void
records_get(struct http_req *r)
{
	struct sqlite3 *h = NULL;
	struct recs *q;

	if (http_req_auth(r) < 0)
		return;
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		http_reply_error(r, 503, "out of memory");
		return;
	}
	q->srv = r->srv;
	q->who = r->who;
	/* the snapshot is taken now: every change acknowledged so far is in it */
	if (writer_reader_open(r->srv->ctx->writer, &h) < 0 ||
	    db_records_stream_open(h, &q->rs) < 0) {
		recs_free(q);
		http_reply_error(r, 503, "database unavailable");
		return;
	}
	if (http_reply_stream(r, "application/json", recs_fill, recs_free, q) < 0) {
		recs_free(q);
		http_reply_error(r, 503, "out of memory");
	}
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
	if (tq != NULL && (type = dns_stored_type_parse(tq)) == 0) {
		http_reply_error(r, 400, "type must be one of A, AAAA, TXT, CNAME");
		return;
	}
	rc = names_resolve(srv->ctx->cfg, r->tail, name, sizeof(name));
	if (rc < 0) {
		http_reply_error(r, rc == DD_ENOENT ? 404 : 400, "'%.200s': %s", r->tail,
				 rc == DD_ENOENT ? "in none of our zones" : "not a valid name");
		return;
	}
	if (http_may_write(r, name) < 0)
		return;
	set = (struct writer_set){.name = name, .type = type, .ttl = -1};
	who = (struct writer_actor){.source = "http", .actor = r->who.actor, .client = r->client};
	rc = writer_apply(srv->ctx->writer, &who, &set, 1, &res);
	if (rc < 0) {
		if (rc == DD_EROFS)
			http_reply_error(r, 403, "in a secondary zone; change it on its primary");
		else
			http_reply_error(r, 503, "database write failed");
		return;
	}
	if (!res.changed) {
		writer_result_fini(&res);
		http_reply_error(r, 404, "no %s%srecords at %s", type ? dns_stored_type_str(type) : "",
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
