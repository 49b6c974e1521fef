/*
 * http_worker.c - the HTTP worker process, the table's single writer: it
 * fills the process context (workers/wctx.h) and starts its three front-ends
 * on it: the API (http/) on the socket the master bound, the control socket
 * (workers/control.c) and the DNS service (workers/xfr.c).  It opens its own SQLite
 * connection after the fork (a connection never crosses fork()).
 */
#include "workers/workers.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include <event2/event.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/proc.h"
#include "http/http.h"
#include "shm/stats.h"
#include "workers/control.h"
#include "workers/wctx.h"
#include "workers/writer.h"
#include "workers/xfr.h"

#define HTTP_DRAIN_MS 500

/*
 * Once a second: pool health published to transfers and as member_down /
 * member_up events (writer_pool_sync), and workers the master restarted
 * since the last look (worker_restarted; the restart counters live in the
 * stats mapping, which outlives every worker).
 */
struct housekeeping {
	struct wctx *ctx;
	struct event *ev;
	uint32_t seen[STATS_SLOTS];
};

static void
slot_role(unsigned i, char *buf, size_t len)
{
	if (i == STATS_SLOT_HTTP)
		snprintf(buf, len, "http");
	else if (i == STATS_SLOT_CHECK)
		snprintf(buf, len, "check");
	else if (i == STATS_SLOT_NOTIFY)
		snprintf(buf, len, "notify");
	else
		snprintf(buf, len, "dns[%u]", i);
}

static void
restart_event(struct wctx *ctx, unsigned slot, uint32_t restarts)
{
	char role[16], n[16], d[96];

	slot_role(slot, role, sizeof(role));
	snprintf(n, sizeof(n), "%u", restarts);
	snprintf(d, sizeof(d), "{\"restarts\":%u,\"pid\":%u}", restarts,
		 ctx->stats->w[slot].pid);
	if (writer_event(ctx->writer, "worker_restarted", role, n, d) < 0)
		log_warnx("worker_restarted event for %s: database write failed", role);
}

static void
housekeeping(evutil_socket_t fd, short what, void *arg)
{
	struct housekeeping *hk = arg;
	struct wctx *ctx = hk->ctx;
	struct timeval tv = {1, 0};
	(void)fd;
	(void)what;

	if (writer_pool_sync(ctx->writer, ctx->pools) < 0)
		log_warnx("pool health for transfers and events: database write failed");
	for (unsigned i = 0; i < STATS_SLOTS; i++) {
		uint32_t r = ctx->stats->w[i].restarts;
		if (i == STATS_SLOT_HTTP || r == hk->seen[i])
			continue;
		if (r > hk->seen[i])
			restart_event(ctx, i, r);
		hk->seen[i] = r;
	}
	evtimer_add(hk->ev, &tv);
}

/*
 * Retention (writer_trim): a bounded step each second, joining the open
 * group; while more is left (a backlog after an update burst, or an old
 * database) the steps come every TRIM_CATCHUP_MS, so no step holds the loop
 * for long and replies keep leaving between steps.
 */
#define TRIM_BUDGET     2000
#define TRIM_CATCHUP_MS 10
#define RESIGN_BUDGET   500 /* RRSIGs refreshed per step (a few ms of signing) */

struct retention {
	struct writer *writer;
	struct event *ev;
};

static void
retention(evutil_socket_t fd, short what, void *arg)
{
	struct retention *rt = arg;
	struct timeval tv = {1, 0};
	(void)fd;
	(void)what;

	int signing = writer_dnssec_step(rt->writer, RESIGN_BUDGET);

	if (signing < 0)
		log_warnx("DNSSEC signing or key rollover step: database write failed");
	/* | not ||: every step runs each time */
	if ((writer_trim(rt->writer, TRIM_BUDGET) > 0) | (writer_resign(rt->writer, RESIGN_BUDGET) > 0) |
	    (signing > 0)) {
		tv.tv_sec = 0;
		tv.tv_usec = TRIM_CATCHUP_MS * 1000;
	}
	evtimer_add(rt->ev, &tv);
}

/*
 * Group commit: the writes of one pass of the event loop (every request the
 * last wait returned) share one COMMIT, run once those requests are handled;
 * their replies leave after it (writer.h).
 */
static void
group_commit(evutil_socket_t fd, short what, void *arg)
{
	struct wctx *ctx = arg;
	(void)fd;
	(void)what;
	writer_group_commit_async(ctx->writer);
}

/* The sync thread made some groups durable: their replies can leave. */
static void
group_synced(evutil_socket_t fd, short what, void *arg)
{
	struct wctx *ctx = arg;
	(void)fd;
	(void)what;
	writer_sync_done(ctx->writer);
}

static void
group_schedule(void *arg)
{
	event_active(arg, EV_TIMEOUT, 0);
}

/*
 * Every descriptor the hard limit allows: each HTTP connection holds one.
 * A flood beyond it meets the per-address cap and the shedding in
 * http/accept.c, which names this limit in its log line.
 */
static void
raise_nofile(void)
{
	struct rlimit rl;
	unsigned long long was;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	was = (unsigned long long)rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("setrlimit RLIMIT_NOFILE to %llu", (unsigned long long)rl.rlim_max);
	else
		log_debug("open files limit raised from %llu to %llu", was,
			  (unsigned long long)rl.rlim_max);
}

/* SIGTERM: finish what is in flight, flush the replies, then exit.  A request
 * is handled whole between two signals (one thread), so an acknowledged
 * change is always committed; the grace period lets its reply leave too. */
int
http_worker_main(const struct worker_args *a)
{
	const struct listen_set *ls = a->ls;
	struct wctx ctx = {
		.cfg = a->cfg, .table = a->table, .stats = a->stats, .pools = a->pools};
	struct http_server srv = {.ctx = &ctx};
	struct event *stop[2] = {NULL, NULL}, *commit = NULL, *synced = NULL;
	int sync_fd;
	struct event_config *ecfg;
	struct control *ctl = NULL;
	struct xfr *xfr = NULL;
	struct housekeeping hk = {.ev = NULL};
	struct retention rt = {NULL, NULL};
	struct timeval one = {1, 0}, zero = {0, 0}, grace = {0, HTTP_DRAIN_MS * 1000};
	int ctl_fd;
	int rc = 1;

	for (size_t i = 0; i < ls->naddr * ls->nworkers; i++) {
		close(ls->udp[i]);
		close(ls->tcp[i]);
	}
	for (size_t i = 0; ls->link_dns && i < ls->nworkers; i++)
		close(ls->link_dns[i]);
	raise_nofile();
	if (writer_create(&ctx.writer, a->cfg, a->table, a->cfg->database) < 0) {
		log_warnx("cannot open %s for writing", a->cfg->database);
		goto done;
	}
	ctx.db = writer_db(ctx.writer);
	writer_set_stats(ctx.writer, &a->stats->w[STATS_SLOT_HTTP]);
	/* epoll changes of one loop pass go in one batch (evhttp turns a
	 * connection's read and write interest on and off per request); no
	 * descriptor of this process is a dup() of another */
	if ((ecfg = event_config_new()) != NULL) {
		event_config_set_flag(ecfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
		ctx.base = event_base_new_with_config(ecfg);
		event_config_free(ecfg);
	}
	if (ctx.base == NULL || (commit = event_new(ctx.base, -1, 0, group_commit, &ctx)) == NULL)
		goto done;
	writer_group_init(ctx.writer, group_schedule, commit);
	if ((sync_fd = writer_sync_start(ctx.writer)) >= 0 &&
	    ((synced = event_new(ctx.base, sync_fd, EV_READ | EV_PERSIST, group_synced, &ctx)) ==
		     NULL ||
	     event_add(synced, NULL) < 0))
		goto done;
	if (http_server_start(&srv, ls->http) < 0) {
		log_warnx("cannot serve on %s", a->cfg->http.listen.text);
		goto done;
	}
	ctl_fd = control_socket_open(a->cfg->control_socket);
	if (ctl_fd < 0 || (ctl = control_start(&ctx, ctl_fd, a->restarts)) == NULL) {
		log_warnx("control socket %s unavailable: ddnsctl will not reach this daemon",
			  a->cfg->control_socket);
		if (ctl_fd >= 0)
			close(ctl_fd);
	}
	xfr = xfr_start(&ctx, ls);
	memset(&hk, 0, sizeof(hk));
	hk.ctx = &ctx;
	for (unsigned i = 0; i < STATS_SLOTS; i++)
		hk.seen[i] = a->stats->w[i].restarts;
	if (a->restarts > 0)
		restart_event(&ctx, STATS_SLOT_HTTP, a->restarts); /* this process is the restart */
	hk.ev = evtimer_new(ctx.base, housekeeping, &hk);
	if (hk.ev)
		evtimer_add(hk.ev, &one);
	/* the first retention step at once: a lowered limit applies from start-up */
	rt.writer = ctx.writer;
	rt.ev = evtimer_new(ctx.base, retention, &rt);
	if (rt.ev == NULL || evtimer_add(rt.ev, &zero) < 0)
		goto done;
	if (proc_stop_signals(ctx.base, &grace, stop) < 0)
		goto done;
	if (proc_sandbox(SANDBOX_HTTP, &a->stats->w[STATS_SLOT_HTTP].sandbox_denied) < 0)
		goto done;
	log_debug("serving on %s", a->cfg->http.listen.text);
	event_base_dispatch(ctx.base);
	rc = 0;
done:
	proc_stop_signals_free(stop);
	control_stop(ctl);
	if (hk.ev)
		event_free(hk.ev);
	if (rt.ev)
		event_free(rt.ev);
	if (ctx.writer)
		writer_group_commit(ctx.writer); /* before the replies' connections go */
	xfr_stop(xfr);
	http_server_stop(&srv);
	if (commit)
		event_free(commit);
	if (synced)
		event_free(synced);
	if (ctx.base)
		event_base_free(ctx.base);
	writer_destroy(ctx.writer);
	return rc;
}
