/*
 * control.h - the admin control socket (ddnsctl), served by the HTTP worker
 * so that its changes take the one write path.
 *
 * Protocol (docs/control.md): a unix stream socket; the client sends one JSON
 * object {"v": 1, "cmd": "...", "args": {...}} followed by a newline, the
 * daemon answers one JSON object {"v": 1, "ok": true, "result": ...} or
 * {"v": 1, "ok": false, "error": "..."} and closes.  The peer's uid
 * (SO_PEERCRED) must be the daemon's or root's.
 */
#ifndef DD_WORKERS_CONTROL_H
#define DD_WORKERS_CONTROL_H

#include <jansson.h>

struct wctx;
struct control;

#define CONTROL_VERSION   1
#define CONTROL_REQ_MAX   (72u << 20) /* a zone file of 64 MiB plus JSON escaping */

/*
 * Binds path (replacing a stale socket file), mode 0600.  Returns the
 * listening fd or -1 (logged).
 */
int control_socket_open(const char *path);

/* Serves fd on ctx's event loop.  NULL on failure. */
struct control *control_start(struct wctx *ctx, int fd, unsigned restarts);
void control_stop(struct control *c);

/*
 * Runs one request (already parsed) and returns the reply object (new
 * reference).  Exposed for tests.
 */
json_t *control_handle(struct control *c, json_t *req);

/* Client side (ddnsctl): sends req, returns the reply (new reference) or
 * NULL with a one-line reason in err. */
json_t *control_call(const char *path, json_t *req, char *err, size_t errsz);

#endif
