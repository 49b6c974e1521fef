/*
 * accept.c - connections as they arrive (see accept.h).
 *
 * libevent 2.1 has no hook between accept() and evhttp taking the socket,
 * but evhttp asks the bufferevent callback (evhttp_set_bevcb) for each new
 * connection's bufferevent.  Each one made there is held (one reference) in
 * a batch; once evhttp has set it up (same pass of the loop, from the
 * adopt event), its callback argument is the evhttp_connection and its
 * socket the peer's: that is where a connection is counted, or closed.
 */
#include "http/accept.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "daemon/config.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/util.h"
#include "http/conncap.h"

#define ACCEPT_BATCH        64    /* connections taken per pass of the loop */
#define ACCEPT_PAUSE_MS     100   /* no accepting after running out of descriptors */
#define ACCEPT_LOG_EVERY_MS 10000 /* at most one line per kind in this time */
/* The accept queue: a full one drops new connections' SYNs, and a client
 * caught by that waits out a 1 s retransmit, so a deeper queue than the
 * master's rides out a burst (the kernel caps it at net.core.somaxconn). */
#define ACCEPT_BACKLOG 4096
/* Distinct addresses the table holds: every counted connection holds a
 * descriptor, so more than the descriptor limit cannot be open; beyond this
 * bound a new address is refused. */
#define ACCEPT_MAX_ADDRESSES (1u << 20)

/* One kind of repeated event, logged at most once per ACCEPT_LOG_EVERY_MS. */
struct accept_log {
	uint64_t last_ms; /* when the last line was logged, 0 = never */
	uint64_t n;       /* events since then */
};

struct http_accept {
	struct evhttp *http;
	struct evconnlistener *lev;
	struct conncap *cc;
	struct event *adopt_ev;  /* counts the connections of this pass */
	struct event *resume_ev; /* accepting again after a pause */
	struct bufferevent *pending[ACCEPT_BATCH];
	unsigned npending;
	bool paused;
	int reserve; /* a descriptor to give back when they run out, or -1 */
	uint32_t cap;
	struct accept_log refused, full, shed, failed;
};

/* The listener's callback argument is evhttp's own, so its error callback
 * finds this module's state here: the HTTP worker has one listener. */
static struct http_accept *accept_current;

/*
 * Adds count events to l.  True when a line is due now: *total is then the
 * events since the last line (which it starts afresh) and span says over
 * how long (" in the last N s", or "" for the first line).
 */
static bool
log_due(struct accept_log *l, uint64_t count, uint64_t *total, char *span, size_t len)
{
	uint64_t now = util_now_ms();

	l->n += count;
	if (l->last_ms != 0 && now - l->last_ms < ACCEPT_LOG_EVERY_MS)
		return false;
	if (l->last_ms == 0)
		span[0] = '\0';
	else
		snprintf(span, len, " in the last %" PRIu64 " s", (now - l->last_ms) / 1000);
	l->last_ms = now;
	*total = l->n;
	l->n = 0;
	return true;
}

static const char *
plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* A connection over the cap or beyond the table: closed before it is read. */
static void
refuse(struct http_accept *a, struct evhttp_connection *evcon, int why)
{
	char *peer = NULL, span[48];
	ev_uint16_t port;
	uint64_t n;

	evhttp_connection_get_peer(evcon, &peer, &port);
	if (why == DD_EAGAIN && log_due(&a->refused, 1, &n, span, sizeof(span)))
		log_warnx("closed %" PRIu64 " connection%s over http.max_connections_per_address "
		          "(%u)%s, the latest from %s",
		          n, plural(n), a->cap, span, peer ? peer : "?");
	else if (why != DD_EAGAIN && log_due(&a->full, 1, &n, span, sizeof(span)))
		log_warnx("closed %" PRIu64 " connection%s%s: connections from too many "
		          "addresses at once, the latest from %s",
		          n, plural(n), span, peer ? peer : "?");
	evhttp_connection_free(evcon);
}

/* One connection evhttp has set up: count it or close it. */
static void
adopt_one(struct http_accept *a, struct bufferevent *bev)
{
	void *arg = NULL;
	struct evhttp_connection *evcon;
	const struct sockaddr *sa;
	int rc;

	bufferevent_getcb(bev, NULL, NULL, NULL, &arg);
	evcon = arg;
	if (evcon == NULL) {
		/* evhttp gave up on it: it freed it (the socket is set), or it
		 * failed before using it (no socket; the bufferevent is still
		 * its creator's to free) */
		if (bufferevent_getfd(bev) < 0)
			bufferevent_free(bev);
		bufferevent_decref(bev);
		return;
	}
	sa = evhttp_connection_get_addr(evcon);
	rc = sa != NULL ? conncap_take(a->cc, sa) : 1;
	if (rc == 0)
		evhttp_connection_set_closecb(evcon, http_accept_conn_closed, a);
	else if (rc < 0)
		refuse(a, evcon, rc);
	bufferevent_decref(bev);
}

static void
adopt(evutil_socket_t fd, short what, void *arg)
{
	struct http_accept *a = arg;
	(void)fd;
	(void)what;

	for (unsigned i = 0; i < a->npending; i++)
		adopt_one(a, a->pending[i]);
	a->npending = 0;
	if (!a->paused)
		evconnlistener_enable(a->lev);
}

/* evhttp's bufferevent for a connection it just accepted. */
static struct bufferevent *
new_bev(struct event_base *base, void *arg)
{
	struct http_accept *a = arg;
	struct bufferevent *bev;

	/* cannot happen: the listener stops at a full batch until adopt ran */
	if (a->npending == ACCEPT_BATCH)
		return NULL;
	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	bufferevent_incref(bev);
	a->pending[a->npending++] = bev;
	if (a->npending == 1)
		event_active(a->adopt_ev, EV_TIMEOUT, 0);
	/* the rest of the backlog waits for the next pass, after the requests
	 * that are ready now */
	if (a->npending == ACCEPT_BATCH)
		evconnlistener_disable(a->lev);
	return bev;
}

void
http_accept_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct http_accept *a = arg;
	const struct sockaddr *sa = evhttp_connection_get_addr(evcon);

	if (sa != NULL)
		conncap_release(a->cc, sa);
}

static void
resume(evutil_socket_t fd, short what, void *arg)
{
	struct http_accept *a = arg;
	(void)fd;
	(void)what;

	a->paused = false;
	if (a->npending == 0)
		evconnlistener_enable(a->lev);
}

/*
 * Out of descriptors: the waiting connections would make the listener
 * ready again at once, forever.  The reserve descriptor makes room to take
 * them and close them (the client sees the close, not a hang), then it is
 * taken back.
 */
static uint64_t
shed(struct http_accept *a)
{
	int lfd = evconnlistener_get_fd(a->lev), c;
	uint64_t n = 0;

	if (a->reserve >= 0) {
		close(a->reserve);
		a->reserve = -1;
	}
	while (n < ACCEPT_BATCH && (c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		close(c);
		n++;
	}
	a->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return n;
}

static void
accept_failed(struct evconnlistener *lev, void *evhttp_arg)
{
	struct http_accept *a = accept_current;
	struct timeval pause = {0, ACCEPT_PAUSE_MS * 1000};
	struct rlimit rl;
	char span[48];
	uint64_t n;
	int err = errno;
	(void)evhttp_arg;

	if (a == NULL || a->lev != lev)
		return;
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		uint64_t shed_now = shed(a);
		if (log_due(&a->shed, shed_now, &n, span, sizeof(span))) {
			uint64_t lim = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 0;
			log_warnx(
			        "out of file descriptors (%u HTTP connections open, limit %" PRIu64
			        "): closed %" PRIu64 " new connection%s%s, pausing %d ms at a "
			        "time; raise LimitNOFILE or lower http.max_connections_per_address",
			        conncap_total(a->cc), lim, n, plural(n), span, ACCEPT_PAUSE_MS);
		}
	} else if (log_due(&a->failed, 1, &n, span, sizeof(span))) {
		errno = err;
		log_warn("accept on the HTTP socket failed %" PRIu64 " time%s%s; pausing %d ms", n,
		         plural(n), span, ACCEPT_PAUSE_MS);
	}
	evconnlistener_disable(lev);
	a->paused = true;
	evtimer_add(a->resume_ev, &pause);
}

struct http_accept *
http_accept_start(struct event_base *base, struct evhttp *http, int fd, const struct cfg *cfg)
{
	struct http_accept *a = calloc(1, sizeof(*a));
	struct evhttp_bound_socket *bound;
	struct rlimit rl;
	uint32_t addresses = ACCEPT_MAX_ADDRESSES;

	if (a == NULL)
		return NULL;
	a->http = http;
	a->reserve = -1;
	a->cap = cfg->http.max_connections_per_address;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < ACCEPT_MAX_ADDRESSES)
		addresses = (uint32_t)rl.rlim_cur;
	a->cc = conncap_create(addresses, a->cap);
	a->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	a->adopt_ev = event_new(base, -1, 0, adopt, a);
	a->resume_ev = evtimer_new(base, resume, a);
	if (a->cc == NULL || a->reserve < 0 || a->adopt_ev == NULL || a->resume_ev == NULL)
		goto failed;
	if (listen(fd, ACCEPT_BACKLOG) < 0)
		log_warn("listen on the HTTP socket with a backlog of %d", ACCEPT_BACKLOG);
	if ((bound = evhttp_accept_socket_with_handle(http, fd)) == NULL)
		goto failed;
	a->lev = evhttp_bound_socket_get_listener(bound);
	accept_current = a;
	evconnlistener_set_error_cb(a->lev, accept_failed);
	evhttp_set_bevcb(http, new_bev, a);
	return a;
failed:
	http_accept_stop(a);
	return NULL;
}

void
http_accept_stop(struct http_accept *a)
{
	if (a == NULL)
		return;
	if (accept_current == a)
		accept_current = NULL;
	if (a->adopt_ev)
		event_free(a->adopt_ev);
	if (a->resume_ev)
		event_free(a->resume_ev);
	if (a->reserve >= 0)
		close(a->reserve);
	conncap_destroy(a->cc);
	free(a);
}
