/* workers.h - entry points of the worker processes forked by the master. */
#ifndef DD_WORKERS_H
#define DD_WORKERS_H

struct cfg;
struct listen_set;
struct shm_pools;
struct shm_stats;
struct shm_table;

/* Most dns.listen addresses one worker serves. */
#define WORKER_LISTEN_MAX 32

struct worker_args {
	unsigned id;                   /* DNS worker slot, 0..dns.workers-1 */
	const struct cfg *cfg;         /* the master's config, inherited by fork */
	const struct listen_set *ls;   /* every socket; a worker uses its own */
	struct shm_table *table;
	struct shm_stats *stats;        /* counters, never replaced */
	unsigned restarts;             /* of this worker slot so far */
	struct shm_pools *pools;       /* live pool state, never replaced */
	struct shm_rrl *rrl;           /* rate-limit counters, never replaced */
};

/* Each returns the process exit status; SIGTERM makes them drain and return 0. */
int dns_worker_main(const struct worker_args *a);
int http_worker_main(const struct worker_args *a);
int checker_main(const struct worker_args *a);
int notifier_main(const struct worker_args *a);

#endif
