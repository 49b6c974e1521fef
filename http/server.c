/*
 * server.c - evhttp plumbing of the HTTP API: one request from bytes to a
 * handler and back.  Order per request: client address (trusted proxies) ->
 * strict framing and target checks (400, connection closed) -> rate limit per address (429) -> body size (413) -> CORS -> route (404/405)
 * -> handler (which authenticates, validates and writes) -> reply.
 */
#include "http/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "daemon/clientip.h"
#include "daemon/config.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/util.h"
#include "http/accept.h"
#include "http/dyndns2.h"
#include "http/ratelimit.h"
#include "http/reqcheck.h"
#include "shm/stats.h"
#include "workers/writer.h"

#define HTTP_RL_SLOTS      8192
#define HTTP_AUTH_FAIL_COST 10
/* evhttp's own hard limit; bodies between max_body and this get our JSON 413 */
#define HTTP_BODY_HARD_MIN (1u << 20)

static const struct http_route *const http_tables[] = {
	http_routes_update, http_routes_records, http_routes_users,
	http_routes_misc,   http_routes_dyndns2, http_routes_acme,    http_routes_metrics,
	http_routes_pools,
};

static struct evhttp *http_ev;

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

const char *
http_iso_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* A reply held until the open group of writes is committed (writer.h). */
struct http_held {
	struct evhttp_request *ev;
	struct http_server *srv;
	int status;
	bool dyndns2;            /* a /nic/update reply (text, one line per host) */
	struct evbuffer *body;
};

static void
http_count(struct http_server *srv, int status)
{
	if (srv->ctx->stats != NULL) {
		struct shm_worker_stats *st = &srv->ctx->stats->w[STATS_SLOT_HTTP];
		st->http_requests++;
		st->http_status[status >= 100 && status < 600 ? status / 100 : 0]++;
	}
}

/*
 * The group is committed (rc 0) or not: a reply built while it was open may
 * have read or made changes of it, so it is sent only now, and replaced by
 * an error when the commit failed.
 */
static void
http_held_send(void *arg, int rc)
{
	struct http_held *h = arg;
	int status = h->status;

	if (rc < 0 && status < 400 && h->dyndns2) {
		/* dyndns2 clients read "911" as "the server failed: retry later" */
		evbuffer_drain(h->body, evbuffer_get_length(h->body));
		evbuffer_add(h->body, "911\n", 4);
	} else if (rc < 0 && status < 400) {
		const char *msg = rc == DD_ENOSPC
					  ? "{\"error\":\"committed, but the shared table is full "
					    "(raise table.capacity)\"}"
					  : "{\"error\":\"database write failed\"}";
		status = 503;
		evbuffer_drain(h->body, evbuffer_get_length(h->body));
		evbuffer_add(h->body, msg, strlen(msg));
		evhttp_remove_header(evhttp_request_get_output_headers(h->ev), "Content-Type");
		evhttp_add_header(evhttp_request_get_output_headers(h->ev), "Content-Type",
				  "application/json");
	}
	http_count(h->srv, status);
	evhttp_send_reply(h->ev, status, http_reason(status), h->body);
	evbuffer_free(h->body);
	free(h);
}

static void
http_send(struct http_req *r, int status, const char *ctype, const char *body, size_t len)
{
	struct evbuffer *b;
	struct http_held *h;

	if (r->replied)
		return;
	r->replied = true;
	b = evbuffer_new();
	if (ctype)
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Content-Type", ctype);
	if (b && len)
		evbuffer_add(b, body, len);
	if (b && writer_group_open(r->srv->ctx->writer) && (h = calloc(1, sizeof(*h))) != NULL) {
		*h = (struct http_held){.ev = r->ev, .srv = r->srv, .status = status, .body = b,
					.dyndns2 = strcmp(r->path, "/nic/update") == 0};
		if (writer_after_commit(r->srv->ctx->writer, http_held_send, h) == 0)
			return;
		free(h);
	}
	http_count(r->srv, status);
	evhttp_send_reply(r->ev, status, http_reason(status), b);
	if (b)
		evbuffer_free(b);
}

void
http_reply_json(struct http_req *r, int status, json_t *obj)
{
	char *s = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

	if (s == NULL) {
		http_send(r, 500, "application/json", "{\"error\":\"internal error\"}", 26);
	} else {
		size_t n = strlen(s);
		s[n] = '\0';
		http_send(r, status, "application/json", s, n);
	}
	free(s);
	json_decref(obj);
}

void
http_reply_error(struct http_req *r, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_reply_json(r, status, json_pack("{s:s}", "error", msg));
}

void
http_reply_text(struct http_req *r, int status, const char *text)
{
	http_send(r, status, "text/plain; charset=utf-8", text, strlen(text));
}

void
http_reply_raw(struct http_req *r, int status, const char *body, size_t len)
{
	http_send(r, status, NULL, body, len);
}

/* A reply being streamed (http_reply_stream). */
struct http_stream {
	struct evhttp_request *ev;
	struct evhttp_connection *evcon;
	struct http_accept *acc; /* the connection's close callback when the stream is done */
	struct event *again;     /* a fill that gave nothing: the next one from the loop */
	http_fill_fn fill;
	void (*done)(void *arg);
	void *arg;
	struct evbuffer *buf;
};

static void
http_stream_free(struct http_stream *s)
{
	evhttp_connection_set_closecb(s->evcon, http_accept_conn_closed, s->acc);
	s->done(s->arg);
	event_free(s->again);
	evbuffer_free(s->buf);
	free(s);
}

/* The client went away: the request goes with its connection, which is
 * no longer counted for its address. */
static void
http_stream_closed(struct evhttp_connection *evcon, void *arg)
{
	struct http_stream *s = arg;
	struct http_accept *acc = s->acc;

	http_stream_free(s);
	http_accept_conn_closed(evcon, acc);
}

static void
http_stream_kill(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evhttp_connection_free(arg);
}

static void
http_stream_next(struct evhttp_connection *evcon, void *arg)
{
	struct http_stream *s = arg;
	int more = s->fill(s->arg, s->buf);
	(void)evcon;

	if (more < 0) {
		/* no last chunk: the client knows the reply is incomplete; the
		 * connection is freed outside of its own callbacks */
		struct evhttp_connection *c = s->evcon;
		struct event_base *base = evhttp_connection_get_base(c);
		struct timeval now = {0, 0};
		http_stream_free(s);
		if (event_base_once(base, -1, EV_TIMEOUT, http_stream_kill, c, &now) < 0)
			log_warnx("a failed streamed reply: its connection stays open");
		return;
	}
	if (evbuffer_get_length(s->buf) > 0)
		evhttp_send_reply_chunk_with_cb(s->ev, s->buf, more ? http_stream_next : NULL, s);
	else if (more)
		event_active(s->again, EV_TIMEOUT, 0); /* nothing written: no callback comes */
	if (!more) {
		evhttp_send_reply_end(s->ev);
		http_stream_free(s);
	}
}

static void
http_stream_again(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_stream_next(NULL, arg);
}

int
http_reply_stream(struct http_req *r, const char *ctype, http_fill_fn fill,
		  void (*done)(void *arg), void *arg)
{
	struct http_stream *s;

	if (r->replied || (s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->buf = evbuffer_new();
	s->evcon = evhttp_request_get_connection(r->ev);
	s->again = event_new(r->srv->ctx->base, -1, 0, http_stream_again, s);
	if (s->buf == NULL || s->evcon == NULL || s->again == NULL) {
		if (s->buf)
			evbuffer_free(s->buf);
		if (s->again)
			event_free(s->again);
		free(s);
		return -1;
	}
	s->ev = r->ev;
	s->acc = r->srv->acc;
	s->fill = fill;
	s->done = done;
	s->arg = arg;
	r->replied = true;
	if (ctype)
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Content-Type", ctype);
	http_count(r->srv, 200);
	evhttp_connection_set_closecb(s->evcon, http_stream_closed, s);
	evhttp_send_reply_start(r->ev, 200, http_reason(200));
	http_stream_next(NULL, s);
	return 0;
}

void
http_reply_header(struct http_req *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), name, value);
}

const char *
http_req_query(struct http_req *r, const char *name)
{
	return evhttp_find_header(r->query, name);
}

const char *
http_req_header(struct http_req *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

int
http_req_json(struct http_req *r)
{
	json_error_t err;

	if (r->json != NULL)
		return 0;
	if (r->body_len == 0) {
		r->json = json_object();
		return 0;
	}
	r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
	if (r->json == NULL) {
		http_reply_error(r, 400, "malformed JSON: %s (line %d)", err.text, err.line);
		return -1;
	}
	if (!json_is_object(r->json)) {
		http_reply_error(r, 400, "the body must be a JSON object");
		return -1;
	}
	return 0;
}

int
http_write_check(struct http_req *r, const char *name, char *why, size_t whysz)
{
	struct writer_hold h;

	if (!auth_needs_owner(&r->who)) {
		if (auth_may_write(&r->who, name, 0))
			return 1;
		snprintf(why, whysz, "this token may not change %s", name);
		return 0;
	}
	if (writer_holder_of(r->srv->ctx->writer, name, &h) < 0)
		return DD_EDB;
	switch (h.kind) {
	case WRITER_FREE:
		return 1;
	case WRITER_USER:
		if (h.user_id == r->who.user_id)
			return 1;
		if (strcmp(h.at, name) == 0)
			snprintf(why, whysz, "%s belongs to another user", name);
		else
			snprintf(why, whysz, "%s is under %s, which belongs to another user", name,
				 h.at);
		return 0;
	case WRITER_SERVER:
		snprintf(why, whysz, "%s belongs to the server (made by an admin, the control socket or "
			 "UPDATE); an admin may change it",
			 name);
		return 0;
	case WRITER_RESERVED:
		snprintf(why, whysz, "%s is reserved for admins", name);
		return 0;
	}
	return DD_EDB;
}

int
http_may_write(struct http_req *r, const char *name)
{
	char why[2 * NAME_TEXT_MAX + 64];
	int rc = http_write_check(r, name, why, sizeof(why));

	if (rc == 1)
		return 0;
	if (rc < 0)
		http_reply_error(r, 503, "database unavailable");
	else
		http_reply_error(r, 403, "%s", why);
	return -1;
}

static void
http_retry_after(struct http_req *r, uint32_t secs)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%u", secs);
	http_reply_header(r, "Retry-After", buf);
	http_reply_error(r, 429, "rate limited: retry in %u s", secs);
}

/*
 * auth_abuse: AUTH_ABUSE_FAILS failed authentications from one address
 * within AUTH_ABUSE_WINDOW_MS raise one event, then none for that address
 * for AUTH_ABUSE_QUIET_MS.  A fixed table: an address that collides with
 * another simply starts over (the limit still holds for most).
 */
#define AUTH_ABUSE_SLOTS     512
#define AUTH_ABUSE_FAILS     10
#define AUTH_ABUSE_WINDOW_MS 60000
#define AUTH_ABUSE_QUIET_MS  600000

struct auth_fail {
	char addr[INET6_ADDRSTRLEN];
	uint64_t window_ms, reported_ms;
	uint32_t n;
};

static void
http_auth_abuse_note(struct http_server *srv, const char *addr, uint64_t now)
{
	struct auth_fail *t = srv->auth_fail_state, *e;
	uint64_t h = 1469598103934665603ull;

	if (t == NULL && !writer_wants_event(srv->ctx->writer, "auth_abuse"))
		return;
	if (t == NULL && (t = srv->auth_fail_state = calloc(AUTH_ABUSE_SLOTS, sizeof(*t))) == NULL)
		return;
	for (const char *p = addr; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	e = &t[h % AUTH_ABUSE_SLOTS];
	if (strcmp(e->addr, addr) != 0 || now - e->window_ms > AUTH_ABUSE_WINDOW_MS) {
		if (strcmp(e->addr, addr) != 0)
			e->reported_ms = 0;
		snprintf(e->addr, sizeof(e->addr), "%s", addr);
		e->window_ms = now;
		e->n = 0;
	}
	if (++e->n < AUTH_ABUSE_FAILS ||
	    (e->reported_ms && now - e->reported_ms < AUTH_ABUSE_QUIET_MS))
		return;
	{
		char n[16], d[128];
		snprintf(n, sizeof(n), "%u", e->n);
		snprintf(d, sizeof(d), "{\"failures\":%u,\"window_s\":%u}", e->n,
			 AUTH_ABUSE_WINDOW_MS / 1000);
		log_warnx("%u failed authentications from %s within %u s", e->n, addr,
			  AUTH_ABUSE_WINDOW_MS / 1000);
		writer_event(srv->ctx->writer, "auth_abuse", addr, n, d);
	}
	e->reported_ms = now;
	e->n = 0;
}

void
http_req_auth_failed(struct http_req *r)
{
	uint64_t now = util_now_ms();
	ratelimit_charge(r->srv->rl, r->client, HTTP_AUTH_FAIL_COST, now);
	http_auth_abuse_note(r->srv, r->client, now);
}

/* The request's token: Authorization: Bearer, ?token=, or "token" in the body. */
static const char *
http_req_token(struct http_req *r)
{
	const char *h = http_req_header(r, "Authorization");
	const char *q;

	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		return h;
	}
	if ((q = http_req_query(r, "token")) != NULL)
		return q;
	if (r->body_len && r->json == NULL) {
		/* a body that is not JSON simply carries no token */
		json_error_t err;
		r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
	}
	if (json_is_object(r->json)) {
		json_t *t = json_object_get(r->json, "token");
		if (json_is_string(t))
			return json_string_value(t);
	}
	return NULL;
}

int
http_req_auth(struct http_req *r)
{
	const char *token = http_req_token(r);
	uint32_t wait;
	int rc;

	if (token == NULL) {
		http_req_auth_failed(r);
		http_reply_header(r, "WWW-Authenticate", "Bearer realm=\"ddnsd\"");
		http_reply_error(r, 401, "missing token");
		return -1;
	}
	rc = auth_check(r->srv->ctx->db, r->srv->ctx->cfg, token, &r->who);
	if (rc == DD_EDB) {
		http_reply_error(r, 503, "database unavailable");
		return -1;
	}
	if (rc < 0) {
		http_req_auth_failed(r);
		http_reply_header(r, "WWW-Authenticate", "Bearer realm=\"ddnsd\", error=\"invalid_token\"");
		http_reply_error(r, 401, "invalid token");
		return -1;
	}
	wait = ratelimit_take(r->srv->rl_token, r->who.actor, 1, util_now_ms());
	if (wait) {
		http_retry_after(r, wait);
		return -1;
	}
	return 0;
}

static enum http_method
http_method_of(struct evhttp_request *ev)
{
	switch (evhttp_request_get_command(ev)) {
	case EVHTTP_REQ_GET: return HTTP_GET;
	case EVHTTP_REQ_HEAD: return HTTP_HEAD;
	case EVHTTP_REQ_POST: return HTTP_POST;
	case EVHTTP_REQ_PUT: return HTTP_PUT;
	case EVHTTP_REQ_DELETE: return HTTP_DELETE;
	case EVHTTP_REQ_OPTIONS: return HTTP_OPTIONS;
	default: return HTTP_OTHER;
	}
}

static const char *
http_method_name(enum http_method m)
{
	static const char *names[] = {"", "GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "?"};
	return names[m];
}

/* Matches path against a route pattern; sets *tail for prefix routes. */
static bool
http_path_match(const char *pattern, const char *path, const char **tail)
{
	size_t n = strlen(pattern);

	if (n >= 2 && strcmp(pattern + n - 2, "/*") == 0) {
		if (strncmp(path, pattern, n - 1) != 0 || path[n - 1] == '\0')
			return false;
		*tail = path + n - 1;
		return true;
	}
	*tail = "";
	return strcmp(pattern, path) == 0;
}

/* Finds the handler; builds the Allow list when only the method differs. */
static http_handler
http_route(struct http_req *r, char *allow, size_t allowsz)
{
	enum http_method m = r->method == HTTP_HEAD ? HTTP_GET : r->method;
	size_t off = 0;

	allow[0] = '\0';
	for (size_t t = 0; t < sizeof(http_tables) / sizeof(http_tables[0]); t++) {
		for (const struct http_route *rt = http_tables[t]; rt->fn != NULL; rt++) {
			const char *tail;
			if (!http_path_match(rt->path, r->path, &tail))
				continue;
			if (rt->method == m) {
				r->tail = tail;
				return rt->fn;
			}
			if (off < allowsz)
				off += (size_t)snprintf(allow + off, allowsz - off, "%s%s",
							off ? ", " : "", http_method_name(rt->method));
		}
	}
	return NULL;
}

/* CORS (http.cors_origins): echo an allowed Origin; answer preflights. */
static bool
http_cors(struct http_req *r, const char *allow)
{
	const struct cfg *cfg = r->srv->ctx->cfg;
	const char *origin = http_req_header(r, "Origin");
	bool ok = false;

	if (origin == NULL)
		return false;
	for (size_t i = 0; i < cfg->http.ncors_origins && !ok; i++)
		ok = strcmp(cfg->http.cors_origins[i], "*") == 0 ||
		     strcmp(cfg->http.cors_origins[i], origin) == 0;
	if (!ok)
		return false;
	http_reply_header(r, "Access-Control-Allow-Origin", origin);
	http_reply_header(r, "Vary", "Origin");
	if (r->method == HTTP_OPTIONS && allow[0]) {
		http_reply_header(r, "Access-Control-Allow-Methods", allow);
		http_reply_header(r, "Access-Control-Allow-Headers",
				  "Authorization, Content-Type, X-Api-User, X-Api-Key");
		http_reply_header(r, "Access-Control-Max-Age", "600");
		http_send(r, 204, NULL, "", 0);
		return true;
	}
	return false;
}

/*
 * Fills r from the request.  Returns NULL, or why the request is malformed
 * (a static string): framing headers that could smuggle a second request,
 * a request target with invalid percent-encoding or a control character
 * (http/reqcheck.h), a path too long.  r->client is set in both cases.
 */
static const char *
http_req_init(struct http_req *r, struct evhttp_request *ev, struct http_server *srv,
	      struct evkeyvalq *query)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *qs = uri ? evhttp_uri_get_query(uri) : NULL;
	const char *why;
	char *dec;
	char *peer = NULL;
	ev_uint16_t port;

	memset(r, 0, sizeof(*r));
	r->ev = ev;
	r->srv = srv;
	r->method = http_method_of(ev);
	r->query = query;
	r->tail = "";
	TAILQ_INIT(query);
	evhttp_connection_get_peer(evhttp_request_get_connection(ev), &peer, &port);
	clientip_pick(peer ? peer : "", http_req_header(r, "X-Forwarded-For"),
		      http_req_header(r, "X-Real-IP"), srv->ctx->cfg->http.trusted_proxies,
		      srv->ctx->cfg->http.ntrusted_proxies, r->client, sizeof(r->client));
	if ((why = reqcheck_framing(evhttp_request_get_input_headers(ev))) != NULL)
		return why;
	if (path == NULL || *path == '\0')
		path = "/";
	if ((why = reqcheck_percent(path)) != NULL || (why = reqcheck_printable(path)) != NULL)
		return why;
	if (qs != NULL && ((why = reqcheck_percent(qs)) != NULL ||
			   (why = reqcheck_printable(qs)) != NULL))
		return why;
	if (qs != NULL && evhttp_parse_query_str(qs, query) < 0)
		return "malformed query string";
	dec = evhttp_uridecode(path, 0, NULL);
	if (dec == NULL || strlen(dec) >= sizeof(r->path)) {
		free(dec);
		return "path too long";
	}
	snprintf(r->path, sizeof(r->path), "%s", dec);
	free(dec);
	return NULL;
}

static void
http_dispatch(struct evhttp_request *ev, void *arg)
{
	struct http_server *srv = arg;
	struct evkeyvalq query;
	struct http_req r;
	struct evbuffer *in = evhttp_request_get_input_buffer(ev);
	char allow[128];
	char *body = NULL;
	const char *why;
	http_handler fn;
	uint32_t wait;

	if ((why = http_req_init(&r, ev, srv, &query)) != NULL) {
		/* the connection goes too: what follows on it cannot be trusted
		 * to start where this request ends */
		http_reply_header(&r, "Connection", "close");
		http_reply_error(&r, 400, "malformed request: %s", why);
		goto done;
	}
	wait = ratelimit_take(srv->rl, r.client, 1, util_now_ms());
	if (wait) {
		http_retry_after(&r, wait);
		goto done;
	}
	r.body_len = evbuffer_get_length(in);
	if (r.body_len > srv->ctx->cfg->http.max_body) {
		http_reply_error(&r, 413, "body larger than %u bytes", srv->ctx->cfg->http.max_body);
		goto done;
	}
	body = malloc(r.body_len + 1);
	if (body == NULL) {
		http_reply_error(&r, 503, "out of memory");
		goto done;
	}
	evbuffer_remove(in, body, r.body_len);
	body[r.body_len] = '\0';
	r.body = body;
	fn = http_route(&r, allow, sizeof(allow));
	if (http_cors(&r, allow))
		goto done;
	if (fn == NULL) {
		if (allow[0]) {
			http_reply_header(&r, "Allow", allow);
			http_reply_error(&r, 405, "method not allowed");
		} else {
			http_reply_error(&r, 404, "not found");
		}
		goto done;
	}
	fn(&r);
	if (!r.replied)
		http_reply_error(&r, 500, "internal error");
done:
	json_decref(r.json);
	free(body);
	evhttp_clear_headers(&query);
}

int
http_server_start(struct http_server *srv, int fd)
{
	const struct cfg *cfg = srv->ctx->cfg;
	size_t hard = cfg->http.max_body * 2u > HTTP_BODY_HARD_MIN ? cfg->http.max_body * 2u
								    : HTTP_BODY_HARD_MIN;

	srv->rl = ratelimit_create(cfg->http.rate_per_ip_per_minute, cfg->http.rate_burst,
				   HTTP_RL_SLOTS);
	srv->rl_token = ratelimit_create(cfg->http.rate_per_token_per_minute, cfg->http.rate_burst,
					 HTTP_RL_SLOTS);
	http_ev = evhttp_new(srv->ctx->base);
	if (srv->rl == NULL || srv->rl_token == NULL || http_ev == NULL)
		return -1;
	if ((srv->acc = http_accept_start(srv->ctx->base, http_ev, fd, cfg)) == NULL)
		return -1;
	evhttp_set_max_body_size(http_ev, hard);
	evhttp_set_max_headers_size(http_ev, 16384);
	/* a read or write timeout on every connection: no byte either way for
	 * this long closes it, whether it is idle between requests, never sent
	 * one, stalls inside one or does not read its reply */
	evhttp_set_timeout(http_ev, (int)cfg->http.idle_timeout);
	evhttp_set_allowed_methods(http_ev, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
						    EVHTTP_REQ_HEAD | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(http_ev, http_dispatch, srv);
	return 0;
}

void
http_server_stop(struct http_server *srv)
{
	if (http_ev)
		evhttp_free(http_ev);
	http_ev = NULL;
	http_accept_stop(srv->acc); /* after evhttp_free: it closes counted connections */
	srv->acc = NULL;
	dyndns2_abuse_destroy(srv->dyndns_state);
	srv->dyndns_state = NULL;
	free(srv->auth_fail_state);
	srv->auth_fail_state = NULL;
	ratelimit_destroy(srv->rl);
	ratelimit_destroy(srv->rl_token);
	srv->rl = srv->rl_token = NULL;
}
