/*
 * http_worker.c - the HTTP worker process (libevent evhttp) on the socket the
 * master bound.  It is the table's single writer; the update API lives in
 * http/.  Here: the process, its limits and GET /health.
 */
#include "workers/workers.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "daemon/config.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/proc.h"
#include "shm/table.h"

#define HTTP_TIMEOUT_S 30

struct http_worker {
	const struct worker_args *args;
	struct event_base *base;
	struct evhttp *http;
};

static void
http_reply_json(struct evhttp_request *req, int code, const char *reason, const char *body)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evbuffer_add(b, body, strlen(body));
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

static void
http_health(struct evhttp_request *req, void *arg)
{
	struct http_worker *hw = arg;
	char body[256];

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		http_reply_json(req, 405, "Method Not Allowed", "{\"error\":\"method not allowed\"}");
		return;
	}
	snprintf(body, sizeof(body),
		 "{\"status\":\"ok\",\"version\":\"%s\",\"zones\":%u,\"names\":%u}", DD_VERSION,
		 shm_zone_count(hw->args->table), shm_table_count(hw->args->table));
	http_reply_json(req, 200, "OK", body);
}

static void
http_fallback(struct evhttp_request *req, void *arg)
{
	(void)arg;
	http_reply_json(req, 404, "Not Found", "{\"error\":\"not found\"}");
}

static void
http_on_term(evutil_socket_t fd, short what, void *arg)
{
	struct http_worker *hw = arg;
	(void)fd;
	(void)what;
	event_base_loopexit(hw->base, NULL);
}

int
http_worker_main(const struct worker_args *a)
{
	const struct listen_set *ls = a->ls;
	struct http_worker hw = {.args = a};
	struct event *term = NULL, *intr = NULL;
	sigset_t sigs;
	int rc = 1;

	for (size_t i = 0; i < ls->naddr * ls->nworkers; i++) {
		close(ls->udp[i]);
		close(ls->tcp[i]);
	}
	hw.base = event_base_new();
	hw.http = hw.base ? evhttp_new(hw.base) : NULL;
	if (hw.http == NULL || evhttp_accept_socket(hw.http, ls->http) < 0) {
		log_warnx("http: cannot serve on %s", a->cfg->http.listen.text);
		goto done;
	}
	evhttp_set_max_body_size(hw.http, a->cfg->http.max_body);
	evhttp_set_timeout(hw.http, HTTP_TIMEOUT_S);
	evhttp_set_cb(hw.http, "/health", http_health, &hw);
	evhttp_set_gencb(hw.http, http_fallback, &hw);
	term = evsignal_new(hw.base, SIGTERM, http_on_term, &hw);
	intr = evsignal_new(hw.base, SIGINT, http_on_term, &hw);
	if (term == NULL || intr == NULL || evsignal_add(term, NULL) < 0 ||
	    evsignal_add(intr, NULL) < 0)
		goto done;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_UNBLOCK, &sigs, NULL);
	log_debug("serving on %s", a->cfg->http.listen.text);
	event_base_dispatch(hw.base);
	rc = 0;
done:
	if (term)
		event_free(term);
	if (intr)
		event_free(intr);
	if (hw.http)
		evhttp_free(hw.http);
	if (hw.base)
		event_base_free(hw.base);
	return rc;
}
