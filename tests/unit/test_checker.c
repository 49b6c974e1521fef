/*
 * test_checker.c - the health checker: check definitions, the rise/fall
 * state machine, the status-line parser, probes against listeners on
 * loopback, and the whole process against a temporary database.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/dd.h"
#include "daemon/proc.h"
#include "shm/pool.h"
#include "tests/unit/sqlhelp.h"
#include "tests/unit/tap.h"
#include "workers/checker.h"
#include "workers/workers.h"

/* ------------------------------------------------------------ definitions */

static void
test_check_parse(void)
{
	struct checker_check c, d;
	char err[128];

	is_int(checker_check_parse("{\"type\":\"tcp\",\"port\":22}", &c, err, sizeof(err)), 0,
	       "tcp check parses");
	ok(c.type == CHECKER_TCP && c.port == 22, "type and port");
	ok(c.interval == 5.0 && c.timeout == 2.0, "interval 5 s, timeout 2 s by default");
	ok(c.rise == 2 && c.fall == 3 && c.expect == 200, "rise 2, fall 3, expect 200 by default");
	ok(strcmp(c.path, "/") == 0, "path / by default");

	is_int(checker_check_parse("{\"type\":\"http\"}", &c, err, sizeof(err)), 0,
	       "http check without port");
	ok(c.type == CHECKER_HTTP && c.port == 80, "http port defaults to 80");
	is_int(checker_check_parse("{\"type\":\"tcp\"}", &c, err, sizeof(err)), DD_EINVAL,
	       "tcp check needs a port");
	ok(strstr(err, "port") != NULL, "the reason names the port (%s)", err);
	is_int(checker_check_parse("{\"port\":80}", &c, err, sizeof(err)), DD_EINVAL,
	       "type is required");
	is_int(checker_check_parse("{\"type\":\"udp\",\"port\":53}", &c, err, sizeof(err)),
	       DD_EINVAL, "unknown type refused");
	is_int(checker_check_parse("{\"type\":\"tcp\",\"port\":70000}", &c, err, sizeof(err)),
	       DD_EINVAL, "port out of range refused");
	is_int(checker_check_parse("{\"type\":\"tcp\",\"port\":\"80\"}", &c, err, sizeof(err)),
	       DD_EINVAL, "port as a string refused");
	is_int(checker_check_parse("{\"type\":\"http\",\"expect\":99}", &c, err, sizeof(err)),
	       DD_EINVAL, "expect below 100 refused");
	is_int(checker_check_parse("{\"type\":\"http\",\"expect\":503,\"path\":\"/h?x=1\"}", &c,
	                           err, sizeof(err)),
	       0, "expect 503 and a query string accepted");
	ok(c.expect == 503 && strcmp(c.path, "/h?x=1") == 0, "expect and path kept");
	is_int(checker_check_parse("{\"type\":\"http\",\"path\":\"health\"}", &c, err, sizeof(err)),
	       DD_EINVAL, "path without a leading / refused");
	is_int(checker_check_parse("{\"type\":\"http\",\"path\":\"/a b\"}", &c, err, sizeof(err)),
	       DD_EINVAL, "path with a space refused");
	is_int(checker_check_parse("{\"type\":\"http\",\"path\":\"/a\\r\\nX: y\"}", &c, err,
	                           sizeof(err)),
	       DD_EINVAL, "path with CRLF refused (no header injection)");
	is_int(checker_check_parse("{\"type\":\"tcp\",\"port\":1,\"interval\":\"5\"}", &c, err,
	                           sizeof(err)),
	       DD_EINVAL, "interval as a string refused");

	is_int(checker_check_parse(
	               "{\"type\":\"tcp\",\"port\":1,\"interval\":0.5,\"timeout\":0.25}", &c, err,
	               sizeof(err)),
	       0, "fractional seconds");
	ok(c.interval == 0.5 && c.timeout == 0.25, "0.5 s and 0.25 s kept");
	checker_check_parse("{\"type\":\"tcp\",\"port\":1,\"interval\":0.01}", &c, NULL, 0);
	ok(c.interval == CHECKER_INTERVAL_MIN && c.timeout == CHECKER_INTERVAL_MIN,
	   "interval clamped up to 0.2 s, timeout down to the interval");
	checker_check_parse("{\"type\":\"tcp\",\"port\":1,\"interval\":99999,\"timeout\":-1}", &c,
	                    NULL, 0);
	ok(c.interval == CHECKER_INTERVAL_MAX && c.timeout == CHECKER_TIMEOUT_MIN,
	   "interval clamped to 3600 s, timeout up to its minimum");
	checker_check_parse("{\"type\":\"tcp\",\"port\":1,\"interval\":1,\"timeout\":10}", &c, NULL,
	                    0);
	ok(c.timeout == 1.0, "timeout never longer than the interval");
	checker_check_parse("{\"type\":\"tcp\",\"port\":1,\"rise\":0,\"fall\":1000}", &c, NULL, 0);
	ok(c.rise == 1 && c.fall == CHECKER_RUN_MAX, "rise and fall clamped");
	is_int(checker_check_parse("{\"type\":\"http\",\"port\":null,\"path\":null,\"rise\":null}",
	                           &c, err, sizeof(err)),
	       0, "null members count as absent");
	ok(c.port == 80 && strcmp(c.path, "/") == 0 && c.rise == 2, "defaults after null");

	is_int(checker_check_parse("null", &c, err, sizeof(err)), DD_ENOENT, "JSON null: no check");
	is_int(checker_check_parse("{oops", &c, err, sizeof(err)), DD_EINVAL, "bad JSON refused");
	is_int(checker_check_parse("[1]", &c, err, sizeof(err)), DD_EINVAL, "array refused");
	is_int(checker_check_parse(NULL, &c, err, sizeof(err)), DD_EINVAL, "NULL text refused");

	checker_check_parse("{\"type\":\"http\",\"port\":8080,\"path\":\"/h\"}", &c, NULL, 0);
	checker_check_parse("{\"path\":\"/h\",\"port\":8080,\"type\":\"http\",\"expect\":200}", &d,
	                    NULL, 0);
	ok(checker_check_equal(&c, &d), "same check written differently compares equal");
	checker_check_parse("{\"type\":\"http\",\"port\":8080,\"path\":\"/x\"}", &d, NULL, 0);
	ok(!checker_check_equal(&c, &d), "another path differs");
}

/* ----------------------------------------------------------------- health */

static void
test_health(void)
{
	struct checker_health h;
	int t1, t2, t3;

	checker_health_init(&h);
	ok(h.up, "a member starts up");
	t1 = checker_health_record(&h, false, 2, 3);
	t2 = checker_health_record(&h, false, 2, 3);
	ok(t1 == CHECKER_SAME && t2 == CHECKER_SAME && h.up, "two failures: still up");
	is_int(checker_health_record(&h, false, 2, 3), CHECKER_WENT_DOWN, "third failure: down");
	ok(!h.up, "down");
	is_int(checker_health_record(&h, false, 2, 3), CHECKER_SAME, "more failures: no new event");
	is_int(checker_health_record(&h, true, 2, 3), CHECKER_SAME, "one success: still down");
	is_int(checker_health_record(&h, false, 2, 3), CHECKER_SAME, "a failure restarts the run");
	is_int(checker_health_record(&h, true, 2, 3), CHECKER_SAME, "one success again");
	is_int(checker_health_record(&h, true, 2, 3), CHECKER_WENT_UP, "second in a row: up");
	ok(h.up, "up");

	t1 = checker_health_record(&h, false, 2, 3);
	t2 = checker_health_record(&h, false, 2, 3);
	t3 = checker_health_record(&h, true, 2, 3);
	ok(t1 == CHECKER_SAME && t2 == CHECKER_SAME && t3 == CHECKER_SAME,
	   "fail, fail, ok: no transition");
	checker_health_record(&h, false, 2, 3);
	checker_health_record(&h, false, 2, 3);
	ok(h.up, "the success reset the failure run (flapping stays up)");
	is_int(checker_health_record(&h, false, 2, 3), CHECKER_WENT_DOWN, "three in a row: down");

	checker_health_init(&h);
	is_int(checker_health_record(&h, false, 1, 1), CHECKER_WENT_DOWN, "fall 1: down at once");
	is_int(checker_health_record(&h, true, 1, 1), CHECKER_WENT_UP, "rise 1: up at once");
	is_int(checker_health_record(&h, false, 0, 0), CHECKER_WENT_DOWN, "fall 0 acts as 1");
}

/* ------------------------------------------------------------ status line */

static int
status_of(const char *s, int *st)
{
	*st = -1;
	return checker_status_parse(s, strlen(s), st);
}

static void
test_status(void)
{
	char big[CHECKER_STATUS_MAX];
	int st;

	is_int(status_of("HTTP/1.1 200 OK\r\n", &st), 0, "HTTP/1.1 200 OK");
	is_int(st, 200, "status 200");
	is_int(status_of("HTTP/1.0 503 Service Unavailable\nServer: x\n", &st), 0, "bare LF");
	is_int(st, 503, "status 503");
	is_int(status_of("HTTP/1.1 204\r\n", &st), 0, "no reason phrase");
	is_int(st, 204, "status 204");
	is_int(status_of("HTTP/1.1 404 \r\n", &st), 0, "empty reason phrase");
	is_int(status_of("HTTP/2 301 Moved\r\n", &st), 0, "major version only");
	is_int(st, 301, "status 301");
	is_int(status_of("HTTP/1.1 200 OK", &st), DD_EAGAIN, "line not finished");
	is_int(status_of("HTTP/1.", &st), DD_EAGAIN, "a prefix of a status line");
	is_int(status_of("", &st), DD_EAGAIN, "nothing yet");
	is_int(status_of("SSH-2.0-OpenSSH_9.2\r\n", &st), DD_EFORMERR, "not HTTP");
	is_int(status_of("SSH", &st), DD_EFORMERR, "not HTTP, known from 3 bytes");
	is_int(status_of("HTTP/1.1 20 OK\r\n", &st), DD_EFORMERR, "two-digit status");
	is_int(status_of("HTTP/1.1 2000 OK\r\n", &st), DD_EFORMERR, "four-digit status");
	is_int(status_of("HTTP/1.1 099 x\r\n", &st), DD_EFORMERR, "status below 100");
	is_int(status_of("HTTP/x.1 200 OK\r\n", &st), DD_EFORMERR, "bad version");
	is_int(status_of("HTTP/1. 200 OK\r\n", &st), DD_EFORMERR, "version without minor digit");
	is_int(status_of("HTTP/1.1200 OK\r\n", &st), DD_EFORMERR, "no space after version");
	is_int(status_of("HTTP/1.1 200\r", &st), DD_EAGAIN, "CR without LF yet");
	is_int(status_of("\r\n", &st), DD_EFORMERR, "empty line");
	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 200 ", 13);
	is_int(checker_status_parse(big, sizeof(big), &st), DD_ETOOBIG, "4 KiB without a line end");
	is_int(checker_status_parse(big, sizeof(big) - 1, &st), DD_EAGAIN, "one byte less: wait");
}

/* ------------------------------------------------------------------ probe */

struct result {
	bool done, success;
	char reason[160];
};

static void
on_result(void *arg, bool success, const char *reason)
{
	struct result *r = arg;
	r->done = true;
	r->success = success;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

/* Runs base until r is done or 5 s pass. */
static void
run_until(struct event_base *base, struct result *r)
{
	time_t end = time(NULL) + 5;
	while (!r->done && time(NULL) < end)
		event_base_loop(base, EVLOOP_ONCE);
}

static int
listener(int family, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)(void *)&ss)->sin_port
	                                : ((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
	return fd;
}

/* A one-connection-at-a-time HTTP server on the test's event_base. */
struct srv {
	struct event_base *base;
	int lfd, cfd;
	struct event *accept_ev, *conn_ev;
	const char *reply;
	char req[2048];
	size_t len;
};

static void
srv_on_conn(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	ssize_t n;
	(void)what;
	n = recv(fd, s->req + s->len, sizeof(s->req) - 1 - s->len, 0);
	if (n > 0) {
		s->len += (size_t)n;
		s->req[s->len] = '\0';
		if (strstr(s->req, "\r\n\r\n") == NULL)
			return;
		if (send(fd, s->reply, strlen(s->reply), MSG_NOSIGNAL) < 0)
			perror("send");
	}
	event_free(s->conn_ev);
	s->conn_ev = NULL;
	close(fd);
	s->cfd = -1;
}

static void
srv_on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	(void)what;
	s->cfd = accept(fd, NULL, NULL);
	if (s->cfd < 0)
		return;
	s->len = 0;
	s->conn_ev = event_new(s->base, s->cfd, EV_READ | EV_PERSIST, srv_on_conn, s);
	event_add(s->conn_ev, NULL);
}

static void
test_probe_tcp(struct event_base *base)
{
	struct checker_check c;
	struct checker_probe *p;
	struct result r = {0};
	uint16_t port = 0;
	char json[128];
	int lfd = listener(AF_INET, &port);

	ok(lfd >= 0, "listener on 127.0.0.1:%u", port);
	snprintf(json, sizeof(json), "{\"type\":\"tcp\",\"port\":%u,\"timeout\":1}", port);
	checker_check_parse(json, &c, NULL, 0);
	p = checker_probe_create(base, on_result, &r);
	ok(p != NULL, "probe created");
	is_int(checker_probe_start(p, &c, "127.0.0.1"), 0, "tcp probe started");
	ok(!r.done && checker_probe_is_busy(p), "result comes from the loop, not from start");
	is_int(checker_probe_start(p, &c, "127.0.0.1"), DD_EAGAIN, "one probe at a time");
	run_until(base, &r);
	ok(r.done && r.success, "tcp probe succeeds against a listener (%s)", r.reason);
	ok(!checker_probe_is_busy(p), "idle after the result");
	close(lfd);

	memset(&r, 0, sizeof(r));
	checker_probe_start(p, &c, "127.0.0.1");
	run_until(base, &r);
	ok(r.done && !r.success, "tcp probe fails once the listener is closed");
	ok(strstr(r.reason, "connect: Connection refused") != NULL, "reason: %s", r.reason);

	is_int(checker_probe_start(p, &c, "not-an-ip"), DD_EINVAL, "bad address refused");

	lfd = listener(AF_INET6, &port);
	if (lfd < 0) {
		skip("tcp probe over IPv6: no IPv6 loopback here");
	} else {
		snprintf(json, sizeof(json), "{\"type\":\"tcp\",\"port\":%u}", port);
		checker_check_parse(json, &c, NULL, 0);
		memset(&r, 0, sizeof(r));
		checker_probe_start(p, &c, "::1");
		run_until(base, &r);
		ok(r.done && r.success, "tcp probe over IPv6 (%s)", r.reason);
		close(lfd);
	}

	/* Destroyed mid-flight: no callback, nothing leaked (ASan). */
	memset(&r, 0, sizeof(r));
	lfd = listener(AF_INET, &port);
	snprintf(json, sizeof(json), "{\"type\":\"http\",\"port\":%u}", port);
	checker_check_parse(json, &c, NULL, 0);
	checker_probe_start(p, &c, "127.0.0.1");
	checker_probe_destroy(p);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ok(!r.done, "a destroyed probe reports nothing");
	close(lfd);
}

static void
http_probe(struct event_base *base, struct srv *s, const char *json, struct result *r)
{
	struct checker_check c;
	struct checker_probe *p = checker_probe_create(base, on_result, r);

	memset(r, 0, sizeof(*r));
	checker_check_parse(json, &c, NULL, 0);
	checker_probe_start(p, &c, "127.0.0.1");
	run_until(base, r);
	checker_probe_destroy(p);
	if (s->conn_ev) {
		event_free(s->conn_ev);
		s->conn_ev = NULL;
		close(s->cfd);
	}
}

static void
test_probe_http(struct event_base *base)
{
	struct srv s = {.base = base, .cfd = -1};
	struct result r;
	uint16_t port = 0;
	char json[160];

	s.lfd = listener(AF_INET, &port);
	s.accept_ev = event_new(base, s.lfd, EV_READ | EV_PERSIST, srv_on_accept, &s);
	event_add(s.accept_ev, NULL);
	snprintf(json, sizeof(json), "{\"type\":\"http\",\"port\":%u,\"path\":\"/health\"}", port);

	s.reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	http_probe(base, &s, json, &r);
	ok(r.done && r.success, "http probe: 200 is healthy (%s)", r.reason);
	ok(strncmp(s.req, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n",
	           strlen("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")) == 0,
	   "request line and Host");
	ok(strstr(s.req, "\r\nConnection: close\r\n") != NULL, "Connection: close");
	ok(strstr(s.req, "\r\nUser-Agent: ddnsd-check\r\n") != NULL, "User-Agent: ddnsd-check");

	s.reply = "HTTP/1.1 503 Service Unavailable\r\n\r\n";
	http_probe(base, &s, json, &r);
	ok(r.done && !r.success, "http probe: 503 is a failure");
	ok(strstr(r.reason, "status 503") != NULL, "reason: %s", r.reason);

	s.reply = "SSH-2.0-OpenSSH_9.2\r\n";
	http_probe(base, &s, json, &r);
	ok(r.done && !r.success && strstr(r.reason, "not an HTTP") != NULL,
	   "a non-HTTP peer fails (%s)", r.reason);

	s.reply = "";
	http_probe(base, &s, json, &r);
	ok(r.done && !r.success && strstr(r.reason, "closed") != NULL,
	   "a peer that closes without answering fails (%s)", r.reason);

	snprintf(json, sizeof(json), "{\"type\":\"http\",\"port\":%u,\"expect\":503}", port);
	s.reply = "HTTP/1.0 503 Service Unavailable\r\n\r\n";
	http_probe(base, &s, json, &r);
	ok(r.done && r.success, "expect 503 makes 503 healthy (%s)", r.reason);

	/* A listener that never accepts: the kernel completes the handshake,
	 * nobody answers, the deadline fails the probe. */
	event_free(s.accept_ev);
	snprintf(json, sizeof(json), "{\"type\":\"http\",\"port\":%u,\"interval\":0.3}", port);
	http_probe(base, &s, json, &r);
	ok(r.done && !r.success && strstr(r.reason, "timed out") != NULL,
	   "silence hits the timeout (%s)", r.reason);
	close(s.lfd);
}

/* ---------------------------------------------------------------- process */

static bool
wait_for(volatile uint32_t *w, uint32_t want, int ms)
{
	for (int i = 0; i < ms / 20; i++) {
		if (__atomic_load_n(w, __ATOMIC_ACQUIRE) == want)
			return true;
		usleep(20 * 1000);
	}
	return __atomic_load_n(w, __ATOMIC_ACQUIRE) == want;
}

static void
test_process(void)
{
	char dir[] = "/tmp/ddnsd-test-checker.XXXXXX", dbpath[300], sql[2048];
	struct listen_set ls = {.http = -1};
	struct cfg cfg;
	struct worker_args a;
	struct shm_pools *sp = shm_pools_create();
	struct pool_slot *s;
	uint16_t port = 0;
	int lfd = listener(AF_INET, &port), status = -1;
	pid_t pid;

	ok(sp != NULL && lfd >= 0 && mkdtemp(dir) != NULL, "mapping, listener and directory");
	snprintf(dbpath, sizeof(dbpath), "%s/ddnsd.db", dir);
	snprintf(
	        sql, sizeof(sql),
	        "PRAGMA journal_mode=WAL;"
	        "CREATE TABLE pools (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	        " slot INTEGER NOT NULL UNIQUE, policy TEXT NOT NULL,"
	        " answers INTEGER NOT NULL DEFAULT 1, ttl INTEGER NOT NULL DEFAULT 30,"
	        " all_down TEXT NOT NULL DEFAULT 'open', prefix_match INTEGER NOT NULL DEFAULT 0,"
	        " check_json TEXT, owner_id INTEGER, updated_at INTEGER NOT NULL DEFAULT 0);"
	        "CREATE TABLE pool_members (pool_id INTEGER NOT NULL, pos INTEGER NOT NULL,"
	        " ip TEXT NOT NULL, weight INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (pool_id, pos));"
	        "INSERT INTO pools (id, name, slot, policy, check_json) VALUES (1, 'web.test', 5,"
	        " 'failover', '{\"type\":\"tcp\",\"port\":%u,\"interval\":0.2,\"fall\":1,"
	        "\"rise\":1}');"
	        "INSERT INTO pools (id, name, slot, policy) VALUES (2, 'nocheck.test', 6, "
	        "'random');"
	        "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE,"
	        " admin INTEGER NOT NULL DEFAULT 0);"
	        "INSERT INTO users VALUES (1, 'alice', 0), (2, 'root', 1);"
	        "INSERT INTO pools (id, name, slot, policy, check_json, owner_id) VALUES (3,"
	        " 'alice.test', 7, 'random', '{\"type\":\"tcp\",\"port\":%u,\"interval\":0.2,"
	        "\"fall\":1,\"rise\":1}', 1);"
	        "INSERT INTO pools (id, name, slot, policy, check_json, owner_id) VALUES (4,"
	        " 'root.test', 8, 'random', '{\"type\":\"tcp\",\"port\":%u,\"interval\":0.2,"
	        "\"fall\":1,\"rise\":1}', 2);"
	        "INSERT INTO pool_members VALUES (1, 0, '127.0.0.1', 1), (1, 1, '127.0.0.2', 1),"
	        " (2, 0, '127.0.0.3', 1), (3, 0, '127.0.0.1', 1), (4, 0, '127.0.0.1', 1);",
	        port, port, port);
	is_int(exec_sql(dbpath, sql), 0, "database with four pools");
	s = &sp->s[5];
	s->gen = 7;
	s->in_use = 1;
	s->m[0].up = s->m[1].up = 1;
	sp->s[6].gen = 3;
	sp->s[6].m[0].up = 1;
	sp->s[7].gen = sp->s[8].gen = 1;
	sp->s[7].in_use = sp->s[8].in_use = 1;
	sp->s[7].m[0].up = sp->s[8].m[0].up = 1;
	sp->defs_gen = 1;

	memset(&cfg, 0, sizeof(cfg));
	cfg.database = dbpath;
	memset(&a, 0, sizeof(a));
	a.cfg = &cfg;
	a.ls = &ls;
	a.pools = sp;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(lfd);
		exit(checker_main(&a));
	}
	ok(pid > 0, "checker forked");
	ok(wait_for(&s->m[1].up, 0, 3000), "the member without a listener goes down");
	ok(s->m[0].up == 1, "the member with a listener stays up");
	ok(sp->s[6].m[0].up == 1, "a pool without a check is left alone");
	ok(wait_for(&sp->s[7].m[0].up, 0, 3000),
	   "a user's pool at 127.0.0.1 is not probed: down though the listener is up");
	ok(sp->s[8].m[0].up == 1, "an admin's pool at the same address is checked up");

	/* The writer redefines the slot (gen 8, state reset) but the checker
	 * has not re-read yet: it must not write into the new definition. */
	__atomic_store_n(&s->gen, 8, __ATOMIC_RELEASE);
	__atomic_store_n(&s->m[1].up, 1, __ATOMIC_RELEASE);
	usleep(150 * 1000);
	ok(s->m[1].up == 1, "no stale result into a redefined slot");
	__atomic_store_n(&sp->defs_gen, 2, __ATOMIC_RELEASE);
	ok(wait_for(&s->m[1].up, 0, 3000), "after the re-read the new definition is checked");

	close(lfd);
	ok(wait_for(&s->m[0].up, 0, 3000), "closing the listener takes the other member down");

	kill(pid, SIGTERM);
	for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10 * 1000);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "SIGTERM: exit 0 within 1 s");

	snprintf(sql, sizeof(sql), "rm -rf '%s'", dir);
	if (system(sql) != 0)
		diag("cannot remove %s", dir);
	shm_pools_destroy(sp);
}

int
main(void)
{
	struct event_base *base;

	signal(SIGPIPE, SIG_IGN);
	test_check_parse();
	test_health();
	test_status();
	test_process();
	base = event_base_new();
	test_probe_tcp(base);
	test_probe_http(base);
	event_base_free(base);
	return tap_done();
}
