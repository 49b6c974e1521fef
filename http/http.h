/*
 * http.h - the HTTP API inside the HTTP worker: the server, one request,
 * replies, and the route table every resource file adds to.
 *
 * Every handler runs on the worker's one event loop; a write goes through
 * writer_apply() and is committed and published before the handler replies.
 */
#ifndef DD_HTTP_H
#define DD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include <jansson.h>

#include "daemon/auth.h"
#include "workers/wctx.h"

struct cfg;
struct db;
struct shm_stats;
struct shm_table;
struct writer;
struct wctx;
struct ratelimit;
struct evhttp_request;
struct evkeyvalq;
struct event_base;
struct http_accept;

/* The HTTP front-end of the writer process: its context and its own state. */
struct http_server {
	struct wctx *ctx;            /* the process's context (workers/wctx.h), borrowed */
	struct ratelimit *rl;        /* per client address */
	struct ratelimit *rl_token;  /* per token */
	void *dyndns_state;          /* http/dyndns2.c's abuse tracker */
	void *auth_fail_state;       /* failed authentications per address (auth_abuse events) */
	struct http_accept *acc;     /* connections per address (http/accept.h) */
};

enum http_method {
	HTTP_GET = 1, HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_OPTIONS, HTTP_HEAD, HTTP_OTHER
};

struct http_req {
	struct evhttp_request *ev;
	struct http_server *srv;
	enum http_method method;
	char path[512];              /* decoded path, without the query string */
	const char *tail;            /* for prefix routes ("/records/ *"): the rest, else "" */
	struct evkeyvalq *query;     /* parsed query string (never NULL) */
	const char *body;            /* request body (NUL-terminated copy), may be "" */
	size_t body_len;
	json_t *json;                /* body parsed as a JSON object, or NULL (see http_req_json) */
	char client[INET6_ADDRSTRLEN]; /* client address after trusted_proxies */
	struct auth_principal who;   /* after http_req_auth */
	bool replied;
};

/* --- replies (each sends exactly once; later calls are ignored) -------- */

/* Sends obj (reference stolen) with status. */
void http_reply_json(struct http_req *r, int status, json_t *obj);
/* Sends {"error": "<fmt>"} with status. */
void http_reply_error(struct http_req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sends text/plain. */
void http_reply_text(struct http_req *r, int status, const char *text);
/* Sends body as it is; the caller set Content-Type with http_reply_header. */
void http_reply_raw(struct http_req *r, int status, const char *body, size_t len);
/* Adds a response header before the reply. */
void http_reply_header(struct http_req *r, const char *name, const char *value);

/*
 * A 200 reply streamed in chunks, for a body too large to build at once:
 * fill(arg, out) appends the next piece to out and returns 1 (more to come),
 * 0 (that was the last) or -1 (failed: the connection is closed, so the
 * client sees an incomplete reply, never a short one that looks whole).
 * Each call comes once the previous piece was written to the client, with
 * the loop's other work in between.  done(arg) runs once, at the end or
 * when the client goes away.  Returns -1 when the stream cannot start
 * (nothing was sent: the caller replies otherwise).
 */
struct evbuffer;
typedef int (*http_fill_fn)(void *arg, struct evbuffer *out);
int http_reply_stream(struct http_req *r, const char *ctype, http_fill_fn fill,
		      void (*done)(void *arg), void *arg);

/* --- request helpers --------------------------------------------------- */

/* Query parameter or NULL. */
const char *http_req_query(struct http_req *r, const char *name);
/* Request header or NULL. */
const char *http_req_header(struct http_req *r, const char *name);

/*
 * Parses the body as a JSON object into r->json (an empty body is {}).
 * Returns 0, or replies 400 and returns -1.
 */
int http_req_json(struct http_req *r);

/*
 * Finds the token (Authorization: Bearer, ?token=, or "token" in the JSON
 * body), checks it and fills r->who.  On failure replies 401 (with
 * WWW-Authenticate: Bearer), charges the rate limiter for a failed attempt
 * and returns -1.  Also applies the per-token rate limit (429).
 */
int http_req_auth(struct http_req *r);

/*
 * May the authenticated principal write canonical name?  The master token
 * and admins may write anything; a scoped token its name and that name's
 * _acme-challenge child; a user a name nobody holds or one they hold
 * (writer_holder_of).  Returns 1 (yes), 0 (no: why gets the reason, for
 * the user) or DD_EDB.
 */
int http_write_check(struct http_req *r, const char *name, char *why, size_t whysz);

/* http_write_check that answers a refusal itself: 0 (may write), or -1
 * after replying 403 (the reason) or 503. */
int http_may_write(struct http_req *r, const char *name);

/* Charges the client's rate limit for a failed authentication. */
void http_req_auth_failed(struct http_req *r);

/* --- routes ------------------------------------------------------------ */

typedef void (*http_handler)(struct http_req *r);

struct http_route {
	enum http_method method;
	const char *path;            /* exact, or ending in "/ *" (no space) for a prefix with a tail */
	http_handler fn;
};

/* Route tables of the resource files (each ends with {0, NULL, NULL}). */
extern const struct http_route http_routes_update[];   /* update.c: POST /update */
extern const struct http_route http_routes_records[];  /* records.c */
extern const struct http_route http_routes_users[];    /* users.c: /users, /tokens, /audit */
extern const struct http_route http_routes_misc[];     /* misc.c: /myip, /health */
extern const struct http_route http_routes_dyndns2[];  /* dyndns2.c: /nic/update */
extern const struct http_route http_routes_acme[];     /* acme.c: /acme/... */
extern const struct http_route http_routes_metrics[];  /* metrics.c: /metrics */
extern const struct http_route http_routes_pools[];    /* pools.c: /pools/... */

/* Starts serving on fd with srv; returns 0 or -1. */
int http_server_start(struct http_server *srv, int fd);
void http_server_stop(struct http_server *srv);

/* ISO-8601 UTC ("2026-11-23T03:12:00Z") of a unix time into buf (>= 21 bytes). */
const char *http_iso_time(int64_t t, char *buf, size_t len);

#endif
