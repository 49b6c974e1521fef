/*
 * accept.h - the accepting side of the HTTP API: evhttp takes connections
 * on the socket the master bound, and this module watches each one as it
 * arrives.
 *
 * - Per address (http.max_connections_per_address, http/conncap.h): a
 *   connection over the cap is closed at once; the count drops when evhttp
 *   closes a connection.
 * - Out of descriptors (EMFILE, ENFILE): a reserve descriptor is given back
 *   so the waiting connections can be accepted and closed, then accepting
 *   pauses for ACCEPT_PAUSE_MS instead of spinning on the error.
 * - At most ACCEPT_BATCH connections per pass of the event loop, so requests
 *   on open connections are served between batches of a flood.
 * Every line it logs comes at most once per 10 s, with a count.
 */
#ifndef DD_HTTP_ACCEPT_H
#define DD_HTTP_ACCEPT_H

struct cfg;
struct event_base;
struct evhttp;
struct evhttp_connection;
struct http_accept;

/*
 * Serves http (on base) on fd, a bound, listening, non-blocking TCP socket,
 * which evhttp then owns (closed by evhttp_free).  Returns NULL on failure
 * (nothing is left set up on http; libevent may have closed fd).  Free the
 * result with http_accept_stop after evhttp_free(http), which closes the
 * connections it counts.
 */
struct http_accept *http_accept_start(struct event_base *base, struct evhttp *http, int fd,
                                      const struct cfg *cfg);
void http_accept_stop(struct http_accept *a);

/*
 * The close callback of every counted connection (evhttp_connection_set_closecb
 * with a as its argument).  Code that sets its own close callback on a
 * connection calls this one from it, and sets it back when done.
 */
void http_accept_conn_closed(struct evhttp_connection *evcon, void *a);

#endif
