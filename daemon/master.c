/*
 * master.c - the supervising process: builds the table, forks the workers,
 * respawns the ones that die, reloads on SIGHUP, drains on SIGTERM.
 *
 * All signals the master acts on are blocked and taken synchronously with
 * sigtimedwait(), so there is no handler state to race with.
 */
#include "daemon/master.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/load.h"
#include "daemon/log.h"
#include "daemon/proc.h"
#include "daemon/util.h"
#include "shm/pool.h"
#include "shm/rrl.h"
#include "shm/stats.h"
#include "shm/table.h"
#include "workers/control.h"
#include "workers/workers.h"

#define MASTER_RETIRING_MAX  256
#define MASTER_DRAIN_MS      3000
#define MASTER_BACKOFF_MAX   10000
#define MASTER_STABLE_MS     5000

enum worker_kind { WORKER_DNS, WORKER_HTTP, WORKER_CHECK, WORKER_NOTIFY };

struct worker {
	pid_t pid;               /* 0 while waiting for respawn */
	enum worker_kind kind;
	unsigned id;
	unsigned restarts;
	unsigned fails;          /* consecutive short-lived runs */
	uint64_t started_ms;
	uint64_t respawn_at_ms;  /* when pid == 0 */
};

struct master {
	const char *config_path;
	struct cfg *cfg;
	struct db *db;
	struct shm_table *table;
	struct shm_stats *stats;
	struct shm_rrl *rrl;     /* DNS workers' rate-limit counters (dns.rrl) */
	struct shm_pools *pools;
	struct listen_set ls;
	struct worker w[SHM_WORKERS_MAX + 3];
	size_t nw;
	pid_t retiring[MASTER_RETIRING_MAX];
	size_t nretiring;
	pid_t self;
	sigset_t sigs;
	bool rebuild;            /* the writer died: the table may lag SQLite */
};

static const char *
worker_role(const struct worker *w, char *buf, size_t len)
{
	if (w->kind == WORKER_HTTP)
		snprintf(buf, len, "http");
	else if (w->kind == WORKER_CHECK)
		snprintf(buf, len, "check");
	else if (w->kind == WORKER_NOTIFY)
		snprintf(buf, len, "notify");
	else
		snprintf(buf, len, "dns[%u]", w->id);
	return buf;
}

/* The stats slot of a worker. */
static struct shm_worker_stats *
master_stats_slot(const struct master *m, const struct worker *w)
{
	return &m->stats->w[w->kind == WORKER_DNS     ? w->id
			    : w->kind == WORKER_HTTP  ? STATS_SLOT_HTTP
			    : w->kind == WORKER_CHECK ? STATS_SLOT_CHECK
						      : STATS_SLOT_NOTIFY];
}

static int
master_spawn(struct master *m, struct worker *w)
{
	char role[16];
	struct worker_args args = {.id = w->id,
				   .cfg = m->cfg,
				   .ls = &m->ls,
				   .table = m->table,
				   .stats = m->stats,
				   .pools = m->pools,
				   .rrl = m->rrl,
				   .restarts = w->restarts};
	pid_t pid;

	worker_role(w, role, sizeof(role));
	master_stats_slot(m, w)->sandbox_denied = 0;
	pid = fork();
	if (pid < 0) {
		log_warn("fork %s", role);
		w->respawn_at_ms = util_now_ms() + 1000;
		return -1;
	}
	if (pid == 0) {
		int rc;
		/* the worker sets its own signal mask; until then all stay blocked */
		proc_child_init(m->self, role);
		rc = w->kind == WORKER_DNS     ? dns_worker_main(&args)
		     : w->kind == WORKER_HTTP  ? http_worker_main(&args)
		     : w->kind == WORKER_CHECK ? checker_main(&args)
					       : notifier_main(&args);
		_exit(rc);
	}
	w->pid = pid;
	w->started_ms = util_now_ms();
	{
		struct shm_worker_stats *s = master_stats_slot(m, w);
		s->pid = (uint32_t)pid;
		s->restarts = w->restarts;
		s->started_at = (uint64_t)time(NULL);
	}
	return 0;
}

static void
master_spawn_all(struct master *m)
{
	for (size_t i = 0; i < m->nw; i++)
		master_spawn(m, &m->w[i]);
}

static void
master_describe_exit(const struct master *m, const struct worker *w, pid_t pid, int status)
{
	char role[16], name[32];
	volatile uint32_t *denied = &master_stats_slot(m, w)->sandbox_denied;

	worker_role(w, role, sizeof(role));
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS && *denied != 0) {
		m->stats->sandbox_stops++;
		log_warnx("%s (pid %ld) stopped by its sandbox: system call %u (%s) is not on its "
			  "list; restarting.  A new kernel or library may need it: see "
			  "docs/security.md, \"A missing system call\"",
			  role, (long)pid, *denied - 1,
			  sandbox_syscall_name((int)*denied - 1, name, sizeof(name)));
	} else if (WIFSIGNALED(status)) {
		log_warnx("%s (pid %ld) killed by signal %d; restarting", role, (long)pid,
			  WTERMSIG(status));
	} else {
		log_warnx("%s (pid %ld) exited with status %d; restarting", role, (long)pid,
			  WEXITSTATUS(status));
	}
}

/* Back-off: the first death respawns at once, repeated quick deaths wait
 * 100 ms, 200 ms, ... up to MASTER_BACKOFF_MAX. */
static void
master_schedule_respawn(struct worker *w, uint64_t now)
{
	uint64_t delay = 0;

	if (now - w->started_ms < MASTER_STABLE_MS)
		w->fails++;
	else
		w->fails = 0;
	if (w->fails > 1) {
		delay = 100ull << (w->fails - 2 > 10 ? 10 : w->fails - 2);
		if (delay > MASTER_BACKOFF_MAX)
			delay = MASTER_BACKOFF_MAX;
	}
	w->pid = 0;
	w->restarts++;
	w->respawn_at_ms = now + delay;
}

static void
master_reap(struct master *m)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		bool found = false;
		for (size_t i = 0; i < m->nretiring; i++) {
			if (m->retiring[i] == pid) {
				m->retiring[i] = m->retiring[--m->nretiring];
				found = true;
				break;
			}
		}
		for (size_t i = 0; !found && i < m->nw; i++) {
			struct worker *w = &m->w[i];
			if (w->pid != pid)
				continue;
			found = true;
			master_describe_exit(m, w, pid, status);
			master_schedule_respawn(w, util_now_ms());
			if (w->kind == WORKER_HTTP)
				m->rebuild = true;
		}
	}
}

static void
master_respawn_due(struct master *m)
{
	uint64_t now = util_now_ms();

	for (size_t i = 0; i < m->nw; i++) {
		struct worker *w = &m->w[i];
		if (w->pid == 0 && w->respawn_at_ms <= now)
			master_spawn(m, w);
	}
}

/* Milliseconds until the next respawn is due (at most 1000). */
static long
master_next_timeout(const struct master *m)
{
	uint64_t now = util_now_ms();
	long t = 1000;

	for (size_t i = 0; i < m->nw; i++) {
		const struct worker *w = &m->w[i];
		if (w->pid == 0) {
			long d = w->respawn_at_ms > now ? (long)(w->respawn_at_ms - now) : 0;
			if (d < t)
				t = d;
		}
	}
	return t;
}

static void
master_log_errors(const struct cfg_errors *errs, const char *what)
{
	for (size_t i = 0; i < errs->n; i++)
		log_warnx("%s%s", what, errs->msg[i]);
}

static void
master_apply_log_level(const struct cfg *cfg)
{
	enum log_level lvl;

	if (cfg->log_level && log_level_parse(cfg->log_level, &lvl) == 0)
		log_set_level(lvl);
}

/* What a valid config may still get wrong, said once per start or reload. */
static void
master_warn_config(const struct cfg *cfg)
{
	/* UPDATE rights come from update: grants only; before, a key without
	 * them could UPDATE every zone, so such a key is most likely one that
	 * still expects to */
	for (size_t i = 0; i < cfg->ntsig; i++)
		if (cfg_tsig_is_idle(cfg, i))
			log_warnx("tsig key %s has no update: grants; it can no longer UPDATE any "
				  "zone (see docs/config.md, upgrading)",
				  cfg->tsig[i].name);
}

/*
 * Starts a new generation of workers on table nt (and config nc, or the
 * current one when nc is NULL); the current generation drains and exits.
 */
static void
master_swap(struct master *m, struct cfg *nc, struct shm_table *nt)
{
	struct shm_table *old_table = m->table;

	for (size_t i = 0; i < m->nw; i++) {
		struct worker *w = &m->w[i];
		if (w->pid > 0 && m->nretiring < MASTER_RETIRING_MAX)
			m->retiring[m->nretiring++] = w->pid;
		w->pid = 0;
	}
	if (nc != NULL) {
		cfg_free(m->cfg);
		m->cfg = nc;
		master_apply_log_level(nc);
		master_warn_config(nc);
	}
	m->table = nt;
	master_spawn_all(m);
	for (size_t i = 0; i < m->nretiring; i++)
		kill(m->retiring[i], SIGTERM);
	shm_table_destroy(old_table);
}

/*
 * The writer (HTTP worker) died: it may have committed a change it had not
 * yet published, or died in the middle of a publish.  The table is rebuilt
 * from SQLite and a new generation serves it; until then the old one does.
 */
static void
master_rebuild(struct master *m)
{
	struct shm_table *nt = NULL;
	struct load_stats st;
	int rc;

	m->rebuild = false;
	if (m->w[m->cfg->dns.workers].fails > 1) {
		/* dying at start-up again and again: leave it to the respawn back-off */
		return;
	}
	if ((rc = load_table(m->cfg, m->db, &nt, &st)) < 0) {
		log_warnx("rebuilding the table after the writer's death failed: %s; serving "
			  "the current one", dd_strerror(rc));
		return;
	}
	master_swap(m, NULL, nt);
	log_info("table rebuilt from the database: %zu names (%zu records)", st.names,
		 st.records);
}

/*
 * Stops the writer (HTTP worker) and waits for it, so that the table built
 * next from SQLite holds every change it acknowledged: a change committed by
 * the old writer after that snapshot would otherwise reach only the old table.
 * Meanwhile HTTP clients wait in the listen queue (the master keeps the
 * socket) and DNS keeps answering from the current table.
 */
static void
master_stop_writer(struct master *m)
{
	struct worker *w = &m->w[m->cfg->dns.workers]; /* the HTTP worker */
	uint64_t deadline = util_now_ms() + MASTER_DRAIN_MS;
	pid_t pid = w->pid;
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (util_now_ms() >= deadline) {
			log_warnx("http (pid %ld) did not stop in %d ms; killing it", (long)pid,
				  MASTER_DRAIN_MS);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		usleep(5000);
	}
	/* not a crash: no restart counted; respawned with the next generation, or
	 * at once by the loop if the reload is refused */
	w->pid = 0;
	w->respawn_at_ms = util_now_ms();
}

/*
 * SIGHUP: a new config and a new table are built beside the serving ones; only
 * when both are complete does a new generation of workers start on the same
 * sockets, and the old generation drains and exits.  The sockets never close,
 * so no query is dropped.  Anything wrong leaves the old state serving.
 */
static void
master_reload(struct master *m)
{
	struct cfg_errors errs = {0};
	struct cfg *nc = NULL;
	struct shm_table *nt = NULL;
	struct load_stats st;
	int rc;

	log_info("reloading %s", m->config_path);
	rc = cfg_load(m->config_path, &nc, &errs);
	if (rc < 0) {
		master_log_errors(&errs, "");
		log_warnx("reload refused: %s; still serving the previous configuration",
			  dd_strerror(rc));
		cfg_errors_fini(&errs);
		return;
	}
	cfg_errors_fini(&errs);
	if (!proc_listen_same(&m->ls, nc) ||
	    strcmp(nc->http.listen.text, m->cfg->http.listen.text) != 0 ||
	    strcmp(nc->database, m->cfg->database) != 0) {
		log_warnx("reload refused: dns.listen, dns.workers, http.listen and database "
			  "take effect only on restart");
		cfg_free(nc);
		return;
	}
	if (!proc_sandbox_same(nc)) {
		log_warnx("reload refused: sandbox.seccomp, and a first notify target of type "
			  "command, take effect only on restart");
		cfg_free(nc);
		return;
	}
	master_stop_writer(m);
	if ((rc = load_table(nc, m->db, &nt, &st)) < 0) {
		log_warnx("reload refused: %s; still serving the previous records",
			  dd_strerror(rc));
		cfg_free(nc);
		return;
	}
	master_swap(m, nc, nt);
	m->stats->reloads++;
	log_info("reloaded: serving %zu zones, %zu names (%zu records, %zu skipped)", st.zones,
		 st.names, st.records, st.skipped);
}

static void
master_shutdown(struct master *m)
{
	uint64_t deadline = util_now_ms() + MASTER_DRAIN_MS;
	size_t alive;

	log_info("shutting down");
	for (size_t i = 0; i < m->nw; i++)
		if (m->w[i].pid > 0)
			kill(m->w[i].pid, SIGTERM);
	for (size_t i = 0; i < m->nretiring; i++)
		kill(m->retiring[i], SIGTERM);
	for (;;) {
		pid_t pid;
		int status;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (size_t i = 0; i < m->nw; i++)
				if (m->w[i].pid == pid)
					m->w[i].pid = 0;
			for (size_t i = 0; i < m->nretiring; i++)
				if (m->retiring[i] == pid)
					m->retiring[i--] = m->retiring[--m->nretiring];
		}
		alive = m->nretiring;
		for (size_t i = 0; i < m->nw; i++)
			alive += m->w[i].pid > 0;
		if (alive == 0 || util_now_ms() >= deadline)
			break;
		usleep(10000);
	}
	if (alive > 0) {
		log_warnx("%zu workers did not exit in %d ms; killing them", alive,
			  MASTER_DRAIN_MS);
		for (size_t i = 0; i < m->nw; i++)
			if (m->w[i].pid > 0)
				kill(m->w[i].pid, SIGKILL);
		for (size_t i = 0; i < m->nretiring; i++)
			kill(m->retiring[i], SIGKILL);
		while (waitpid(-1, NULL, 0) > 0)
			;
	}
}

static int
master_loop(struct master *m)
{
	for (;;) {
		struct timespec ts;
		siginfo_t si;
		long ms = master_next_timeout(m);
		int sig;

		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		sig = sigtimedwait(&m->sigs, &si, &ts);
		switch (sig) {
		case SIGCHLD:
			master_reap(m);
			break;
		case SIGHUP:
			master_reap(m);
			master_reload(m);
			break;
		case SIGTERM:
		case SIGINT:
			master_shutdown(m);
			return 0;
		default:
			/* timeout or EINTR: respawns below */
			break;
		}
		master_reap(m);
		if (m->rebuild)
			master_rebuild(m);
		master_respawn_due(m);
	}
}

static int
master_init(struct master *m, const char *config_path)
{
	struct cfg_errors errs = {0};
	struct load_stats st;
	int rc;

	m->config_path = config_path;
	m->ls.http = -1;
	m->self = getpid();
	rc = cfg_load(config_path, &m->cfg, &errs);
	if (rc < 0) {
		master_log_errors(&errs, "");
		cfg_errors_fini(&errs);
		return rc;
	}
	cfg_errors_fini(&errs);
	master_apply_log_level(m->cfg);
	if (proc_sandbox_init(m->cfg) < 0)
		return DD_EINVAL;
	master_warn_config(m->cfg);
	if ((rc = db_open(m->cfg->database, &m->db)) < 0)
		return rc;
	/* after the open, so SQLite has made the -wal and -shm (with the database's mode) */
	proc_check_modes(m->cfg);
	{
		/* one daemon per control socket: a live one answers */
		char err[256];
		json_t *req = json_pack("{s:i, s:s}", "v", CONTROL_VERSION, "cmd", "status");
		json_t *rep = req ? control_call(m->cfg->control_socket, req, err, sizeof(err)) : NULL;
		json_decref(req);
		if (rep != NULL) {
			json_decref(rep);
			log_warnx("another ddnsd is running: %s answers", m->cfg->control_socket);
			return DD_EEXIST;
		}
	}
	if (util_mkdir_parents(m->cfg->control_socket, 0700) < 0)
		log_warn("mkdir for %s", m->cfg->control_socket);
	if ((rc = load_table(m->cfg, m->db, &m->table, &st)) < 0)
		return rc;
	if ((m->stats = shm_stats_create()) == NULL || (m->pools = shm_pools_create()) == NULL ||
	    (m->rrl = shm_rrl_create()) == NULL)
		return DD_ENOMEM;
	m->stats->started_at = (uint64_t)time(NULL);
	m->stats->master_pid = (uint32_t)m->self;
	m->stats->dns_workers = m->cfg->dns.workers;
	if (proc_listen_open(&m->ls, m->cfg) < 0)
		return DD_EIO;
	if (proc_drop_privileges(m->cfg) < 0)
		return DD_EINVAL;
	/* what the master still does: supervise, reload, rebuild; its filter
	 * also covers every worker's start-up, before the worker's own */
	if (proc_sandbox(SANDBOX_MASTER, NULL) < 0)
		return DD_EINVAL;
	/* DNS workers, then the HTTP worker, the pool health checker, the notifier */
	m->nw = m->cfg->dns.workers + 3;
	for (size_t i = 0; i < m->nw; i++) {
		m->w[i].kind = i < m->cfg->dns.workers        ? WORKER_DNS
			       : i == m->cfg->dns.workers     ? WORKER_HTTP
			       : i == m->cfg->dns.workers + 1 ? WORKER_CHECK
							      : WORKER_NOTIFY;
		m->w[i].id = (unsigned)i;
	}
	log_info("ddnsd %s: %zu zones, %zu names (%zu records, %zu skipped) loaded in %.2f s, "
		 "%u dns workers",
		 DD_VERSION, st.zones, st.names, st.records, st.skipped, st.seconds,
		 m->cfg->dns.workers);
	return 0;
}

static void
master_fini(struct master *m)
{
	proc_listen_close(&m->ls);
	shm_table_destroy(m->table);
	shm_stats_destroy(m->stats);
	shm_pools_destroy(m->pools);
	shm_rrl_destroy(m->rrl);
	db_close(m->db);
	cfg_free(m->cfg);
}

int
master_run(const char *config_path)
{
	struct master *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL)
		fatalx("out of memory");
	log_set_role("master");
	sigemptyset(&m->sigs);
	sigaddset(&m->sigs, SIGCHLD);
	sigaddset(&m->sigs, SIGHUP);
	sigaddset(&m->sigs, SIGTERM);
	sigaddset(&m->sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &m->sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN); /* EFBIG instead, as for a full disk */
	rc = master_init(m, config_path);
	if (rc < 0) {
		log_warnx("start-up failed: %s", dd_strerror(rc));
		master_fini(m);
		free(m);
		return 2;
	}
	master_spawn_all(m);
	{
		char addrs[512] = "";
		size_t off = 0;
		for (size_t a = 0; a < m->ls.naddr && off < sizeof(addrs); a++)
			off += (size_t)snprintf(addrs + off, sizeof(addrs) - off, "%s%s",
						a ? " " : "", m->ls.text[a]);
		log_info("ready: dns on %s, http on %s", addrs, m->cfg->http.listen.text);
	}
	rc = master_loop(m);
	master_fini(m);
	free(m);
	log_info("stopped");
	return rc;
}
