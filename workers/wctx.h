/*
 * wctx.h - the writer process's context: what its three front-ends (the
 * HTTP API in http/, the control socket in workers/control.c and the DNS
 * service in workers/xfr*.c) share.  http/http_worker.c fills it before it
 * starts any of them and it lives for the process; every front-end borrows
 * it and never frees what it points to.
 */
#ifndef DD_WORKERS_WCTX_H
#define DD_WORKERS_WCTX_H

struct cfg;
struct db;
struct event_base;
struct shm_pools;
struct shm_stats;
struct shm_table;
struct writer;

struct wctx {
	const struct cfg *cfg;       /* the generation's config */
	struct shm_table *table;     /* the shared table this process publishes into */
	struct shm_stats *stats;     /* every process's counters */
	struct shm_pools *pools;     /* live pool state (health, load) */
	struct writer *writer;       /* the one write path (workers/writer.h) */
	struct db *db;               /* = writer_db(writer): reads on the writer's connection */
	struct event_base *base;     /* the process's one event loop */
};

#endif
