/*
 * control.c - the control socket (see control.h): the listener, one JSON
 * request and reply per connection, dispatch through the command table
 * (control_cmd.c), and the client side ddnsctl uses.
 */
#include "workers/control.h"
#include "workers/control_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "daemon/config.h"
#include "daemon/db_records.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/names.h"
#include "shm/stats.h"
#include "workers/wctx.h"
#include "workers/writer.h"

/* ------------------------------------------------------------ helpers */

const char *
ctl_str(json_t *args, const char *key)
{
	json_t *v = json_object_get(args, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

uint64_t
ctl_worker_queries(const struct shm_worker_stats *s)
{
	return s->queries_udp + s->queries_tcp;
}

static void
ctl_sample(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;
	const struct shm_stats *st = c->ctx->stats;
	(void)fd;
	(void)what;

	for (unsigned i = 0; i < c->ctx->cfg->dns.workers; i++) {
		uint64_t q = ctl_worker_queries(&st->w[i]);
		pid_t pid = (pid_t)st->w[i].pid;
		c->qps[i] = pid == c->last_pid[i] && q >= c->last[i] ? (double)(q - c->last[i]) : 0;
		c->last[i] = q;
		c->last_pid[i] = pid;
	}
}

bool
ctl_alive(uint32_t pid)
{
	return pid != 0 && kill((pid_t)pid, 0) == 0;
}

struct ctl_zone_count {
	struct control *c;
	unsigned z;
	int64_t n;
};

static int
ctl_zone_count_name(void *arg, const char *name)
{
	struct ctl_zone_count *zc = arg;

	if (writer_zone_of(zc->c->ctx->writer, name) == (int)zc->z)
		zc->n++;
	return 0;
}

/* Records in zone slot z (names not in a more specific zone). */
int64_t
ctl_zone_records(struct control *c, unsigned z)
{
	struct ctl_zone_count zc = {c, z, 0};

	if (db_record_names(c->ctx->db, false, ctl_zone_count_name, &zc) < 0)
		return -1;
	return zc.n;
}

int
ctl_zone_arg(struct control *c, json_t *args, char *err, size_t errsz)
{
	const char *z = ctl_str(args, "zone");
	char canon[NAME_TEXT_MAX];
	int idx;

	if (z == NULL || names_canonical(z, canon, sizeof(canon)) < 0 ||
	    (idx = cfg_zone_index(c->ctx->cfg, canon)) < 0) {
		snprintf(err, errsz, "no zone %s", z ? z : "(missing)");
		return -1;
	}
	return idx;
}

/* ------------------------------------------------------------ dispatch */

json_t *
control_handle(struct control *c, json_t *req)
{
	json_t *v = json_object_get(req, "v"), *args = json_object_get(req, "args");
	const char *cmd = ctl_str(req, "cmd");
	char err[CTL_ERR] = "";

	if (!json_is_object(req))
		return json_pack("{s:i, s:b, s:s}", "v", CONTROL_VERSION, "ok", 0, "error",
				 "request is not a JSON object");
	if (!json_is_integer(v) || json_integer_value(v) != CONTROL_VERSION)
		return json_pack("{s:i, s:b, s:s}", "v", CONTROL_VERSION, "ok", 0, "error",
				 "unsupported protocol version (ddnsctl and ddnsd differ)");
	if (args != NULL && !json_is_object(args))
		return json_pack("{s:i, s:b, s:s}", "v", CONTROL_VERSION, "ok", 0, "error",
				 "args must be an object");
	if (args == NULL)
		args = json_object();
	else
		json_incref(args);
	for (size_t i = 0; cmd && i < ctl_ncmds; i++) {
		json_t *res;
		if (strcmp(cmd, ctl_cmds[i].cmd) != 0)
			continue;
		res = ctl_cmds[i].fn(c, args, err, sizeof(err));
		json_decref(args);
		/* the reply says "done" only of what is committed (group commit) */
		if (writer_group_open(c->ctx->writer)) {
			int crc = writer_group_commit(c->ctx->writer);
			if (crc == DD_EDB && !err[0])
				snprintf(err, sizeof(err), "database write failed: nothing was changed");
			else if (crc == DD_ENOSPC && !err[0])
				snprintf(err, sizeof(err), "committed, but the shared table is full "
							   "(raise table.capacity)");
		}
		if (err[0]) {
			json_t *rep = json_pack("{s:i, s:b, s:s}", "v", CONTROL_VERSION, "ok", 0,
						"error", err);
			if (res)
				json_object_update(rep, res);
			json_decref(res);
			return rep;
		}
		if (res == NULL)
			return json_pack("{s:i, s:b, s:s}", "v", CONTROL_VERSION, "ok", 0, "error",
					 "internal error");
		return json_pack("{s:i, s:b, s:o}", "v", CONTROL_VERSION, "ok", 1, "result", res);
	}
	json_decref(args);
	return json_pack("{s:i, s:b, s:s+}", "v", CONTROL_VERSION, "ok", 0, "error",
			 "unknown command ", cmd ? cmd : "(none)");
}

/* ------------------------------------------------------------ socket */

static void
ctl_conn_done(struct bufferevent *bev, void *arg)
{
	struct control *c = arg;

	bufferevent_free(bev);
	if (c->reload_pending) {
		c->reload_pending = false;
		log_info("reload requested over the control socket");
		kill(getppid(), SIGHUP);
	}
}

static void
ctl_conn_written(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		ctl_conn_done(bev, arg);
}

static void
ctl_conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	ctl_conn_done(bev, arg);
}

static void
ctl_reply(struct control *c, struct bufferevent *bev, json_t *rep)
{
	char *s = json_dumps(rep, JSON_COMPACT);

	json_decref(rep);
	if (s == NULL) {
		ctl_conn_done(bev, c);
		return;
	}
	bufferevent_write(bev, s, strlen(s));
	bufferevent_write(bev, "\n", 1);
	free(s);
	bufferevent_setcb(bev, NULL, ctl_conn_written, ctl_conn_event, c);
	bufferevent_enable(bev, EV_WRITE);
	bufferevent_disable(bev, EV_READ);
}

static void
ctl_conn_read(struct bufferevent *bev, void *arg)
{
	struct control *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr nl = evbuffer_search(in, "\n", 1, NULL);
	json_error_t jerr;
	json_t *req;
	size_t len;
	char *buf;

	if (nl.pos < 0) {
		if (evbuffer_get_length(in) > CONTROL_REQ_MAX)
			ctl_reply(c, bev, json_pack("{s:i, s:b, s:s}", "v", CONTROL_VERSION, "ok", 0,
						    "error", "request too large"));
		return;
	}
	len = (size_t)nl.pos;
	buf = malloc(len + 1);
	if (buf == NULL) {
		ctl_conn_done(bev, c);
		return;
	}
	evbuffer_remove(in, buf, len + 1);
	req = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (req == NULL) {
		ctl_reply(c, bev, json_pack("{s:i, s:b, s:s}", "v", CONTROL_VERSION, "ok", 0,
					    "error", "malformed request"));
		return;
	}
	ctl_reply(c, bev, control_handle(c, req));
	json_decref(req);
}

static void
ctl_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
	   void *arg)
{
	struct control *c = arg;
	struct bufferevent *bev;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	(void)l;
	(void)sa;
	(void)salen;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		static const char deny[] = "{\"v\":1,\"ok\":false,\"error\":\"permission denied: "
					   "the control socket takes the daemon's user or root\"}\n";
		if (write(fd, deny, sizeof(deny) - 1) < 0) {
			/* the peer is gone: nothing to tell */
		}
		log_warnx("control: refused uid %ld", (long)cred.uid);
		close(fd);
		return;
	}
	bev = bufferevent_socket_new(c->ctx->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	bufferevent_setcb(bev, ctl_conn_read, NULL, ctl_conn_event, c);
	bufferevent_setwatermark(bev, EV_READ, 0, CONTROL_REQ_MAX + 1);
	{
		struct timeval tv = {30, 0};
		bufferevent_set_timeouts(bev, &tv, &tv);
	}
	bufferevent_enable(bev, EV_READ);
}

int
control_socket_open(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control.socket %s: path too long", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("control socket");
		return -1;
	}
	/* a new socket replaces the previous worker's (same daemon: the master
	 * refuses to start beside a live one) */
	unlink(path);
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 16) < 0) {
		umask(old);
		log_warn("control socket %s", path);
		close(fd);
		return -1;
	}
	umask(old);
	chmod(path, 0600);
	return fd;
}

struct control *
control_start(struct wctx *ctx, int fd, unsigned restarts)
{
	struct control *c = calloc(1, sizeof(*c));
	struct timeval one = {1, 0};

	if (c == NULL)
		return NULL;
	c->ctx = ctx;
	c->restarts = restarts;
	c->lev = evconnlistener_new(ctx->base, ctl_accept, c, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	c->sampler = event_new(ctx->base, -1, EV_PERSIST, ctl_sample, c);
	if (c->lev == NULL || c->sampler == NULL || event_add(c->sampler, &one) < 0) {
		control_stop(c);
		return NULL;
	}
	ctl_sample(-1, 0, c);
	return c;
}

void
control_stop(struct control *c)
{
	if (c == NULL)
		return;
	if (c->lev)
		evconnlistener_free(c->lev);
	if (c->sampler)
		event_free(c->sampler);
	free(c);
}

/* ------------------------------------------------------------ client */

json_t *
control_call(const char *path, json_t *req, char *err, size_t errsz)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char *out = json_dumps(req, JSON_COMPACT);
	json_error_t jerr;
	json_t *rep = NULL;
	size_t len, off = 0;
	int fd = -1;

	if (out == NULL || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errsz, "bad request or socket path");
		goto done;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno == EACCES || errno == EPERM)
			snprintf(err, errsz, "permission denied: %s", path);
		else
			snprintf(err, errsz, "daemon not running at %s", path);
		goto done;
	}
	len = strlen(out);
	out[len++] = '\n'; /* json_dumps' NUL becomes the request's end */
	while (off < len) {
		ssize_t w = send(fd, out + off, len - off, MSG_NOSIGNAL);
		if (w <= 0) {
			/* the daemon may have refused us before reading: its reason waits */
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	{
		FILE *f = fdopen(fd, "r");
		if (f == NULL)
			goto done;
		fd = -1;
		rep = json_loadf(f, JSON_DISABLE_EOF_CHECK, &jerr);
		fclose(f);
		if (rep == NULL && off == len)
			snprintf(err, errsz, "no valid reply from the daemon at %s", path);
	}
done:
	if (fd >= 0)
		close(fd);
	free(out);
	return rep;
}
