/*
 * checker.c - the health checker process: probes the members of every pool
 * that has a check (TCP connect or HTTP status) and publishes up/down into
 * the pool state mapping (shm/pool.h) that DNS workers read.
 *
 * Definitions come from SQLite through a read-only connection of its own;
 * the mapping's defs_gen says when to read them again.  A result is stored
 * only while the slot's gen is the one read with the definition, so a pool
 * redefined (and its slot reset) by the writer never gets stale health.
 */
#include "workers/checker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db_pools.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/proc.h"
#include "shm/stats.h"
#include "shm/pool.h"
#include "workers/pooldef.h"
#include "workers/workers.h"

#define CHECKER_POLL_MS    250
#define CHECKER_BUSY_MS    2000
#define CHECKER_REASON_MAX 160

/* ------------------------------------------------------------------ check */

static void
chk_err(char *err, size_t errlen, const char *msg)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

static double
chk_clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Reads optional key k as a number into *v (kept when absent or null). */
static int
chk_get_number(const json_t *obj, const char *k, double *v)
{
	const json_t *j = json_object_get(obj, k);
	if (j == NULL || json_is_null(j))
		return 0;
	if (!json_is_number(j))
		return DD_EINVAL;
	*v = json_number_value(j);
	return isfinite(*v) ? 0 : DD_EINVAL;
}

/* Reads optional key k as an integer into *v (kept when absent or null). */
static int
chk_get_int(const json_t *obj, const char *k, long long *v)
{
	const json_t *j = json_object_get(obj, k);
	if (j == NULL || json_is_null(j))
		return 0;
	if (!json_is_integer(j))
		return DD_EINVAL;
	*v = (long long)json_integer_value(j);
	return 0;
}

/* A request target goes on the request line as is: visible ASCII only. */
static bool
chk_path_is_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= CHECKER_PATH_MAX || s[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

int
checker_check_from_json(const struct json_t *obj, struct checker_check *out, char *err,
                        size_t errlen)
{
	const json_t *type, *path;
	long long port = -1, expect = CHECKER_EXPECT_DEF, rise = CHECKER_RISE_DEF,
	          fall = CHECKER_FALL_DEF;
	double interval = CHECKER_INTERVAL_DEF, timeout = CHECKER_TIMEOUT_DEF;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return chk_err(err, errlen, "check: not an object"), DD_EINVAL;
	type = json_object_get(obj, "type");
	if (json_is_string(type) && strcmp(json_string_value(type), "tcp") == 0)
		out->type = CHECKER_TCP;
	else if (json_is_string(type) && strcmp(json_string_value(type), "http") == 0)
		out->type = CHECKER_HTTP;
	else
		return chk_err(err, errlen, "check.type: must be \"tcp\" or \"http\""), DD_EINVAL;
	if (chk_get_int(obj, "port", &port) < 0 || chk_get_int(obj, "expect", &expect) < 0 ||
	    chk_get_int(obj, "rise", &rise) < 0 || chk_get_int(obj, "fall", &fall) < 0)
		return chk_err(err, errlen, "check: port, expect, rise and fall must be integers"),
		       DD_EINVAL;
	if (chk_get_number(obj, "interval", &interval) < 0 ||
	    chk_get_number(obj, "timeout", &timeout) < 0)
		return chk_err(err, errlen, "check: interval and timeout must be numbers"),
		       DD_EINVAL;
	if (port == -1 && out->type == CHECKER_HTTP)
		port = CHECKER_HTTP_PORT_DEF;
	if (port < 1 || port > 65535)
		return chk_err(err, errlen, "check.port: must be 1..65535"), DD_EINVAL;
	if (expect < 100 || expect > 599)
		return chk_err(err, errlen, "check.expect: must be 100..599"), DD_EINVAL;
	path = json_object_get(obj, "path");
	if (path == NULL || json_is_null(path))
		snprintf(out->path, sizeof(out->path), "/");
	else if (json_is_string(path) && chk_path_is_valid(json_string_value(path)))
		snprintf(out->path, sizeof(out->path), "%s", json_string_value(path));
	else
		return chk_err(err, errlen, "check.path: must start with '/', no spaces"),
		       DD_EINVAL;
	out->port = (uint16_t)port;
	out->expect = (int)expect;
	out->interval = chk_clamp(interval, CHECKER_INTERVAL_MIN, CHECKER_INTERVAL_MAX);
	out->timeout = chk_clamp(timeout, CHECKER_TIMEOUT_MIN, out->interval);
	out->rise = (unsigned)chk_clamp((double)rise, 1, CHECKER_RUN_MAX);
	out->fall = (unsigned)chk_clamp((double)fall, 1, CHECKER_RUN_MAX);
	return 0;
}

int
checker_check_parse(const char *text, struct checker_check *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	root = text ? json_loads(text, JSON_DECODE_ANY, &jerr) : NULL;
	if (root == NULL)
		return chk_err(err, errlen, "check: not valid JSON"), DD_EINVAL;
	if (json_is_null(root)) {
		json_decref(root);
		return chk_err(err, errlen, "no check"), DD_ENOENT;
	}
	rc = checker_check_from_json(root, out, err, errlen);
	json_decref(root);
	return rc;
}

bool
checker_check_equal(const struct checker_check *a, const struct checker_check *b)
{
	return a->type == b->type && a->port == b->port && a->expect == b->expect &&
	       a->interval == b->interval && a->timeout == b->timeout && a->rise == b->rise &&
	       a->fall == b->fall && strcmp(a->path, b->path) == 0;
}

/* ----------------------------------------------------------------- health */

void
checker_health_init(struct checker_health *h)
{
	h->up = true;
	h->ok_run = 0;
	h->fail_run = 0;
}

enum checker_transition
checker_health_record(struct checker_health *h, bool success, unsigned rise, unsigned fall)
{
	if (h->up) {
		h->ok_run = 0;
		if (success) {
			h->fail_run = 0;
			return CHECKER_SAME;
		}
		if (++h->fail_run < (fall ? fall : 1))
			return CHECKER_SAME;
		h->up = false;
		h->fail_run = 0;
		return CHECKER_WENT_DOWN;
	}
	h->fail_run = 0;
	if (!success) {
		h->ok_run = 0;
		return CHECKER_SAME;
	}
	if (++h->ok_run < (rise ? rise : 1))
		return CHECKER_SAME;
	h->up = true;
	h->ok_run = 0;
	return CHECKER_WENT_UP;
}

/* ------------------------------------------------------------ status line */

static bool
chk_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
checker_status_parse(const char *buf, size_t len, int *status)
{
	static const char proto[] = "HTTP/";
	size_t n, i, plen = sizeof(proto) - 1;
	const char *nl;
	int st;

	if (len > CHECKER_STATUS_MAX)
		len = CHECKER_STATUS_MAX;
	/* Reject a non-HTTP peer as soon as its first bytes show it. */
	if (memcmp(buf, proto, len < plen ? len : plen) != 0)
		return DD_EFORMERR;
	nl = memchr(buf, '\n', len);
	if (nl == NULL)
		return len >= CHECKER_STATUS_MAX ? DD_ETOOBIG : DD_EAGAIN;
	n = (size_t)(nl - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	/* RFC 9112 section 4: HTTP-version SP 3DIGIT SP [reason-phrase]; a
	 * missing reason and its space are tolerated, as by most clients. */
	i = plen;
	if (i >= n || !chk_is_digit(buf[i]))
		return DD_EFORMERR;
	while (i < n && chk_is_digit(buf[i]))
		i++;
	if (i < n && buf[i] == '.') {
		if (++i >= n || !chk_is_digit(buf[i]))
			return DD_EFORMERR;
		while (i < n && chk_is_digit(buf[i]))
			i++;
	}
	if (i + 4 > n || buf[i] != ' ')
		return DD_EFORMERR;
	i++;
	if (!chk_is_digit(buf[i]) || !chk_is_digit(buf[i + 1]) || !chk_is_digit(buf[i + 2]))
		return DD_EFORMERR;
	st = (buf[i] - '0') * 100 + (buf[i + 1] - '0') * 10 + (buf[i + 2] - '0');
	i += 3;
	if ((i < n && buf[i] != ' ') || st < 100)
		return DD_EFORMERR;
	*status = st;
	return 0;
}

/* ------------------------------------------------------------------ probe */

static struct timeval
chk_timeval(double seconds)
{
	struct timeval tv;
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	return tv;
}

enum probe_state { PROBE_IDLE, PROBE_FAILED, PROBE_CONNECT, PROBE_SEND, PROBE_READ };

struct checker_probe {
	struct event_base *base;
	checker_probe_cb cb;
	void *arg;
	struct event *timer; /* the deadline; also delivers failures found at start */
	struct event *io;
	int fd;
	enum probe_state state;
	enum checker_type type;
	int expect;
	struct sockaddr_storage sa;
	socklen_t salen;
	/* HTTP only, allocated per probe: idle members cost little. */
	char *req;
	size_t reqlen, reqoff;
	char *buf; /* CHECKER_STATUS_MAX bytes */
	size_t len;
	char reason[CHECKER_REASON_MAX];
};

static void probe_on_io(evutil_socket_t fd, short what, void *arg);

static void
probe_reset(struct checker_probe *p)
{
	if (p->io) {
		event_free(p->io);
		p->io = NULL;
	}
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	evtimer_del(p->timer);
	free(p->req);
	free(p->buf);
	p->req = NULL;
	p->buf = NULL;
	p->state = PROBE_IDLE;
}

/* Ends the probe and reports; p may be gone once cb returns. */
static void
probe_finish(struct checker_probe *p, bool success, const char *reason)
{
	char why[CHECKER_REASON_MAX];
	snprintf(why, sizeof(why), "%s", reason);
	probe_reset(p);
	p->cb(p->arg, success, why);
}

/* A failure found inside checker_probe_start() is reported from the loop. */
static void
probe_fail_later(struct checker_probe *p, const char *what, int err)
{
	snprintf(p->reason, sizeof(p->reason), "%s: %s", what, strerror(err));
	p->state = PROBE_FAILED;
	event_active(p->timer, EV_TIMEOUT, 1);
}

static void
probe_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct checker_probe *p = arg;
	(void)fd;
	(void)what;
	switch (p->state) {
	case PROBE_FAILED:
		probe_finish(p, false, p->reason);
		break;
	case PROBE_CONNECT:
		probe_finish(p, false, "connect: timed out");
		break;
	case PROBE_SEND:
	case PROBE_READ:
		probe_finish(p, false, "timed out waiting for the status line");
		break;
	case PROBE_IDLE:
		break;
	}
}

static int
probe_wait(struct checker_probe *p, short what)
{
	if (p->io)
		event_free(p->io);
	p->io = event_new(p->base, p->fd, what, probe_on_io, p);
	if (p->io == NULL || event_add(p->io, NULL) < 0) {
		probe_finish(p, false, "event: cannot wait on the socket");
		return -1;
	}
	return 0;
}

static void
probe_send(struct checker_probe *p)
{
	while (p->reqoff < p->reqlen) {
		ssize_t n = send(p->fd, p->req + p->reqoff, p->reqlen - p->reqoff, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (errno != EINTR) {
				probe_wait(p, EV_WRITE);
				return;
			}
			continue;
		}
		if (n < 0) {
			char why[CHECKER_REASON_MAX];
			snprintf(why, sizeof(why), "send: %s", strerror(errno));
			probe_finish(p, false, why);
			return;
		}
		p->reqoff += (size_t)n;
	}
	p->state = PROBE_READ;
	probe_wait(p, EV_READ);
}

static void
probe_read(struct checker_probe *p)
{
	char why[CHECKER_REASON_MAX];
	ssize_t n;
	int st = 0, rc;

	n = recv(p->fd, p->buf + p->len, CHECKER_STATUS_MAX - p->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		probe_wait(p, EV_READ);
		return;
	}
	if (n < 0) {
		snprintf(why, sizeof(why), "recv: %s", strerror(errno));
		probe_finish(p, false, why);
		return;
	}
	if (n == 0) {
		probe_finish(p, false, "connection closed before the status line");
		return;
	}
	p->len += (size_t)n;
	rc = checker_status_parse(p->buf, p->len, &st);
	if (rc == DD_EAGAIN) {
		probe_wait(p, EV_READ);
	} else if (rc == DD_ETOOBIG) {
		probe_finish(p, false, "status line too long");
	} else if (rc < 0) {
		probe_finish(p, false, "not an HTTP response");
	} else if (st != p->expect) {
		snprintf(why, sizeof(why), "status %d, expected %d", st, p->expect);
		probe_finish(p, false, why);
	} else {
		probe_finish(p, true, "ok");
	}
}

static void
probe_on_io(evutil_socket_t fd, short what, void *arg)
{
	struct checker_probe *p = arg;
	char why[CHECKER_REASON_MAX];
	int err = 0;
	socklen_t elen = sizeof(err);

	(void)what;
	switch (p->state) {
	case PROBE_CONNECT:
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
		if (err != 0) {
			snprintf(why, sizeof(why), "connect: %s", strerror(err));
			probe_finish(p, false, why);
		} else if (p->type == CHECKER_TCP) {
			probe_finish(p, true, "ok");
		} else {
			p->state = PROBE_SEND;
			probe_send(p);
		}
		break;
	case PROBE_SEND:
		probe_send(p);
		break;
	case PROBE_READ:
		probe_read(p);
		break;
	case PROBE_IDLE:
	case PROBE_FAILED:
		break;
	}
}

/* ip text -> sockaddr with port; returns 0 or DD_EINVAL. */
static int
probe_addr(struct checker_probe *p, const char *ip, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&p->sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&p->sa;

	memset(&p->sa, 0, sizeof(p->sa));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		p->salen = sizeof(*sin);
		return 0;
	}
	memset(&p->sa, 0, sizeof(p->sa));
	if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		p->salen = sizeof(*sin6);
		return 0;
	}
	return DD_EINVAL;
}

struct checker_probe *
checker_probe_create(struct event_base *base, checker_probe_cb cb, void *arg)
{
	struct checker_probe *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->base = base;
	p->cb = cb;
	p->arg = arg;
	p->fd = -1;
	p->timer = evtimer_new(base, probe_on_timer, p);
	if (p->timer == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void
checker_probe_destroy(struct checker_probe *p)
{
	if (p == NULL)
		return;
	probe_reset(p);
	event_free(p->timer);
	free(p);
}

bool
checker_probe_is_busy(const struct checker_probe *p)
{
	return p->state != PROBE_IDLE;
}

int
checker_probe_start(struct checker_probe *p, const struct checker_check *c, const char *ip)
{
	struct timeval tv;
	int n;

	if (p->state != PROBE_IDLE)
		return DD_EAGAIN;
	if (probe_addr(p, ip, c->port) < 0)
		return DD_EINVAL;
	p->type = c->type;
	p->expect = c->expect;
	p->len = 0;
	p->reqoff = 0;
	p->reqlen = 0;
	if (c->type == CHECKER_HTTP) {
		bool v6 = p->sa.ss_family == AF_INET6;
		/* RFC 9112 section 3.2: Host is required; an IPv6 literal goes in
		 * brackets (RFC 3986 section 3.2.2). */
		n = asprintf(&p->req,
		             "GET %s HTTP/1.1\r\nHost: %s%s%s\r\nConnection: close\r\n"
		             "User-Agent: ddnsd-check\r\n\r\n",
		             c->path, v6 ? "[" : "", ip, v6 ? "]" : "");
		p->buf = n < 0 ? NULL : malloc(CHECKER_STATUS_MAX);
		if (p->buf == NULL) {
			if (n >= 0)
				free(p->req);
			p->req = NULL;
			return DD_ENOMEM;
		}
		p->reqlen = (size_t)n;
	}
	p->state = PROBE_CONNECT;
	tv = chk_timeval(c->timeout);
	if (evtimer_add(p->timer, &tv) < 0) {
		probe_reset(p);
		return DD_ENOMEM;
	}
	p->fd = socket(p->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		probe_fail_later(p, "socket", errno);
		return 0;
	}
	if (connect(p->fd, (const struct sockaddr *)&p->sa, p->salen) < 0 && errno != EINPROGRESS) {
		probe_fail_later(p, "connect", errno);
		return 0;
	}
	/* Even an at-once connect is reported through the loop: the socket is
	 * writable, so the EV_WRITE below fires on the next iteration. */
	p->io = event_new(p->base, p->fd, EV_WRITE, probe_on_io, p);
	if (p->io == NULL || event_add(p->io, NULL) < 0) {
		probe_fail_later(p, "event_add", ENOMEM);
		return 0;
	}
	return 0;
}

/* ---------------------------------------------------------------- process */

struct chk_pool;

struct chk_member {
	struct chk_pool *pool;
	unsigned idx; /* index into the slot's m[] (the definition's member order) */
	char ip[INET6_ADDRSTRLEN];
	struct checker_health h;
	struct checker_probe *probe;
	struct event *tick;
	char last_fail[CHECKER_REASON_MAX];
	bool refused; /* a user's pool, an address it may not check: never probed */
};

struct chk_pool {
	struct checker *ck;
	int64_t id;
	char name[256];
	uint32_t slot, gen;
	bool closed;   /* allDown "closed" */
	bool all_down; /* "every member is down" logged */
	bool user_owned; /* a user's (not an admin's): what its checks may reach is limited */
	struct checker_check check;
	unsigned n;
	struct chk_member *m[POOL_MEMBERS_MAX];
};

struct checker {
	struct event_base *base;
	struct shm_pools *shm;
	const struct cfg *cfg;
	sqlite3 *db;
	const char *dbpath;
	uint64_t defs_gen;
	bool loaded;
	bool read_failed; /* the last read failed and was logged */
	struct chk_pool **pools;
	size_t npools;
	struct event *poll;
};

static uint32_t
chk_slot_gen(const struct checker *ck, uint32_t slot)
{
	return __atomic_load_n(&ck->shm->s[slot].gen, __ATOMIC_ACQUIRE);
}

/* Stores m's health, unless the writer redefined the slot since the read. */
static void
chk_publish(struct chk_member *m)
{
	struct chk_pool *pl = m->pool;
	struct pool_slot *s = &pl->ck->shm->s[pl->slot];

	if (chk_slot_gen(pl->ck, pl->slot) != pl->gen)
		return;
	__atomic_store_n(&s->m[m->idx].up, m->h.up ? 1u : 0u, __ATOMIC_RELAXED);
}

static void
chk_log_transition(struct chk_member *m, enum checker_transition t)
{
	struct chk_pool *pl = m->pool;
	unsigned i;

	if (t == CHECKER_WENT_UP) {
		log_info("pool %s member %s up (%u good check%s)", pl->name, m->ip, pl->check.rise,
		         pl->check.rise == 1 ? "" : "s");
		pl->all_down = false;
		return;
	}
	/* a user learns up/down only, not the status codes of hosts it points at */
	log_warnx("pool %s member %s down (%u failed check%s: %s)", pl->name, m->ip, pl->check.fall,
	          pl->check.fall == 1 ? "" : "s",
	          m->refused        ? m->last_fail
	          : pl->user_owned ? "a user's pool: no details"
	                           : m->last_fail);
	for (i = 0; i < pl->n; i++)
		if (pl->m[i] != NULL && pl->m[i]->h.up)
			return;
	if (!pl->all_down)
		log_warnx("pool %s: every member is down; %s", pl->name,
		          pl->closed ? "answering NODATA (fail closed)"
		                     : "answering with all of them (fail open)");
	pl->all_down = true;
}

static void
chk_on_result(void *arg, bool success, const char *reason)
{
	struct chk_member *m = arg;
	struct chk_pool *pl = m->pool;
	enum checker_transition t;

	if (!success)
		snprintf(m->last_fail, sizeof(m->last_fail), "%s", reason);
	t = checker_health_record(&m->h, success, pl->check.rise, pl->check.fall);
	/* Every result is stored, not only transitions: cheap, and it heals a
	 * store that raced with a redefinition of the slot. */
	chk_publish(m);
	if (t != CHECKER_SAME)
		chk_log_transition(m, t);
}

static void
chk_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct chk_member *m = arg;
	(void)fd;
	(void)what;
	if (m->refused) {
		chk_on_result(m, false, "not checked: outside pools.allowed_members, which a "
		                        "user's pool must keep to");
		return;
	}
	if (checker_probe_is_busy(m->probe))
		return;
	if (checker_probe_start(m->probe, &m->pool->check, m->ip) < 0)
		chk_on_result(m, false, "cannot start the probe");
}

static void
chk_member_destroy(struct chk_member *m)
{
	if (m == NULL)
		return;
	checker_probe_destroy(m->probe);
	if (m->tick)
		event_free(m->tick);
	free(m);
}

static void
chk_pool_destroy(struct chk_pool *pl)
{
	if (pl == NULL)
		return;
	for (unsigned i = 0; i < pl->n; i++)
		chk_member_destroy(pl->m[i]);
	free(pl);
}

/* Arms a member's periodic probe; the first one runs on the next loop turn. */
static int
chk_member_start(struct chk_member *m)
{
	struct timeval tv;

	m->probe = checker_probe_create(m->pool->ck->base, chk_on_result, m);
	m->tick = event_new(m->pool->ck->base, -1, EV_PERSIST, chk_on_tick, m);
	if (m->probe == NULL || m->tick == NULL)
		return DD_ENOMEM;
	tv = chk_timeval(m->pool->check.interval);
	if (event_add(m->tick, &tv) < 0)
		return DD_ENOMEM;
	chk_on_tick(-1, 0, m);
	return 0;
}

/* Adds a member (from the SQL row) to pl; skips what pooldb also skips. */
static void
chk_pool_add_member(struct chk_pool *pl, const char *ip)
{
	struct chk_member *m;
	unsigned char a[16];

	if (ip == NULL || pl->n >= POOL_MEMBERS_MAX)
		return;
	if (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
		return;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return;
	m->pool = pl;
	m->idx = pl->n;
	snprintf(m->ip, sizeof(m->ip), "%s", ip);
	m->refused = pl->user_owned && !pooldef_member_allowed(pl->ck->cfg, ip);
	checker_health_init(&m->h);
	pl->m[pl->n++] = m;
}

/* New pool from row r, or NULL (bad row, logged, or no memory). */
static struct chk_pool *
chk_pool_from_row(struct checker *ck, const struct db_pool_row *r)
{
	struct chk_pool *pl;
	char err[128];
	int rc;

	if (r->name == NULL || r->slot < 0 || r->slot >= POOL_SLOTS) {
		log_warnx("pool %s: slot %lld out of range, not checked", r->name ? r->name : "?",
		          (long long)r->slot);
		return NULL;
	}
	pl = calloc(1, sizeof(*pl));
	if (pl == NULL)
		return NULL;
	rc = checker_check_parse(r->check_json, &pl->check, err, sizeof(err));
	if (rc < 0) {
		if (rc != DD_ENOENT)
			log_warnx("pool %s: %s; not checked", r->name, err);
		free(pl);
		return NULL;
	}
	pl->ck = ck;
	pl->id = r->pool_id;
	snprintf(pl->name, sizeof(pl->name), "%s", r->name);
	pl->slot = (uint32_t)r->slot;
	pl->closed = r->all_down != NULL && strcmp(r->all_down, "closed") == 0;
	pl->user_owned = r->user_owned;
	return pl;
}

/* What chk_read collects. */
struct chk_read {
	struct checker *ck;
	struct chk_pool **v, *cur;
	size_t n, cap;
	int64_t cur_id;
	bool skip; /* the current pool's rows are skipped (bad row) */
};

/* One member row (db_pools_checked's callback): a pool's rows come together. */
static int
chk_read_row(void *arg, const struct db_pool_row *r)
{
	struct chk_read *rd = arg;

	if (r->pool_id != rd->cur_id) {
		rd->cur_id = r->pool_id;
		rd->cur = chk_pool_from_row(rd->ck, r);
		rd->skip = rd->cur == NULL;
		if (rd->skip)
			return 0;
		if (rd->n == rd->cap) {
			size_t cap = rd->cap ? rd->cap * 2 : 16;
			struct chk_pool **g = realloc(rd->v, cap * sizeof(*g));
			if (g == NULL) {
				chk_pool_destroy(rd->cur);
				return DD_ENOMEM;
			}
			rd->v = g;
			rd->cap = cap;
		}
		rd->v[rd->n++] = rd->cur;
	}
	if (!rd->skip)
		chk_pool_add_member(rd->cur, r->ip);
	return 0;
}

/*
 * Reads every checked pool with its members, in member order.  Returns 0
 * with a malloc'd array, or DD_EDB / DD_ENOMEM.
 */
static int
chk_read(struct checker *ck, struct chk_pool ***out, size_t *nout)
{
	struct chk_read rd = {.ck = ck, .cur_id = -1};
	int rc = db_pools_checked(ck->db, chk_read_row, &rd);

	if (rc == DD_EDB && !ck->read_failed)
		log_warnx("%s: reading pools: %s", ck->dbpath, sqlite3_errmsg(ck->db));
	if (rc < 0) {
		for (size_t i = 0; i < rd.n; i++)
			chk_pool_destroy(rd.v[i]);
		free(rd.v);
		return rc;
	}
	*out = rd.v;
	*nout = rd.n;
	return 0;
}

/*
 * Gives pl the members of old whose definition is unchanged (same slot,
 * gen, check, holder kind, position and address): their counters, timer and any probe
 * in flight carry on.  Returns how many moved.
 */
static unsigned
chk_pool_adopt(struct chk_pool *pl, struct chk_pool *old)
{
	unsigned moved = 0;

	if (old == NULL || old->gen != pl->gen || !checker_check_equal(&old->check, &pl->check) ||
	    old->user_owned != pl->user_owned)
		return 0;
	for (unsigned i = 0; i < pl->n && i < old->n; i++) {
		struct chk_member *o = old->m[i];
		if (o == NULL || strcmp(o->ip, pl->m[i]->ip) != 0)
			continue;
		chk_member_destroy(pl->m[i]);
		o->pool = pl;
		pl->m[i] = o;
		old->m[i] = NULL;
		moved++;
	}
	return moved;
}

/* Re-reads the definitions and swaps them in.  Returns 0 or a DD_E* code. */
static int
chk_reload(struct checker *ck)
{
	struct chk_pool **v = NULL, **by_slot;
	size_t n = 0;
	uint64_t gen0 = __atomic_load_n(&ck->shm->defs_gen, __ATOMIC_ACQUIRE);
	int rc;

	rc = chk_read(ck, &v, &n);
	if (rc < 0)
		return rc;
	by_slot = calloc(POOL_SLOTS, sizeof(*by_slot));
	if (by_slot == NULL) {
		rc = DD_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < ck->npools; i++)
		by_slot[ck->pools[i]->slot] = ck->pools[i];
	for (size_t i = 0; i < n; i++) {
		struct chk_pool *pl = v[i];
		pl->gen = chk_slot_gen(ck, pl->slot);
		chk_pool_adopt(pl, by_slot[pl->slot]);
		for (unsigned j = 0; j < pl->n; j++) {
			struct chk_member *m = pl->m[j];
			if (m->probe != NULL)
				continue;
			/* A new checker process (respawned) takes over the health
			 * the last one published for this very definition. */
			if (chk_slot_gen(ck, pl->slot) == pl->gen)
				m->h.up = __atomic_load_n(&ck->shm->s[pl->slot].m[m->idx].up,
				                          __ATOMIC_RELAXED) != 0;
			if (chk_member_start(m) < 0) {
				rc = DD_ENOMEM;
				goto fail;
			}
		}
		pl->all_down = pl->n > 0;
		for (unsigned j = 0; j < pl->n; j++)
			pl->all_down = pl->all_down && !pl->m[j]->h.up;
	}
	free(by_slot);
	for (size_t i = 0; i < ck->npools; i++)
		chk_pool_destroy(ck->pools[i]);
	free(ck->pools);
	ck->pools = v;
	ck->npools = n;
	/* A change made during the read shows as a newer defs_gen next poll. */
	ck->defs_gen = gen0;
	ck->loaded = true;
	ck->read_failed = false;
	log_debug("checking %zu pool%s", n, n == 1 ? "" : "s");
	return 0;
fail:
	free(by_slot);
	/* Members adopted from the old set now live in v: drop both sets and
	 * start over on the next poll. */
	for (size_t i = 0; i < n; i++)
		chk_pool_destroy(v[i]);
	free(v);
	for (size_t i = 0; i < ck->npools; i++)
		chk_pool_destroy(ck->pools[i]);
	free(ck->pools);
	ck->pools = NULL;
	ck->npools = 0;
	ck->loaded = false;
	return rc;
}

static void
chk_on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct checker *ck = arg;
	uint64_t g = __atomic_load_n(&ck->shm->defs_gen, __ATOMIC_ACQUIRE);
	(void)fd;
	(void)what;
	if (ck->loaded && g == ck->defs_gen)
		return;
	if (chk_reload(ck) < 0)
		ck->read_failed = true;
}

int
checker_main(const struct worker_args *a)
{
	struct checker ck = {.shm = a->pools, .cfg = a->cfg, .dbpath = a->cfg->database};
	struct timeval poll_tv = {0, CHECKER_POLL_MS * 1000};
	struct event *stop[2] = {NULL, NULL};
	int rc = 1;

	proc_close_inherited(a->ls);
	if (ck.shm == NULL) {
		log_warnx("no pool state mapping");
		goto done;
	}
	if (sqlite3_open_v2(a->cfg->database, &ck.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", a->cfg->database,
		          ck.db ? sqlite3_errmsg(ck.db) : "cannot open");
		goto done;
	}
	sqlite3_busy_timeout(ck.db, CHECKER_BUSY_MS);
	ck.base = event_base_new();
	if (ck.base == NULL)
		goto done;
	ck.poll = event_new(ck.base, -1, EV_PERSIST, chk_on_poll, &ck);
	if (ck.poll == NULL || event_add(ck.poll, &poll_tv) < 0 ||
	    proc_stop_signals(ck.base, NULL, stop) < 0)
		goto done;
	if (chk_reload(&ck) < 0)
		ck.read_failed = true;
	if (proc_sandbox(SANDBOX_CHECK,
			 a->stats ? &a->stats->w[STATS_SLOT_CHECK].sandbox_denied : NULL) < 0)
		goto done;
	event_base_dispatch(ck.base);
	rc = 0;
done:
	for (size_t i = 0; i < ck.npools; i++)
		chk_pool_destroy(ck.pools[i]);
	free(ck.pools);
	proc_stop_signals_free(stop);
	if (ck.poll)
		event_free(ck.poll);
	if (ck.base)
		event_base_free(ck.base);
	if (ck.db)
		sqlite3_close(ck.db);
	return rc;
}
