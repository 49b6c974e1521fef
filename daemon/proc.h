/*
 * proc.h - listening sockets, privilege drop, worker process plumbing.
 */
#ifndef DD_PROC_H
#define DD_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/sandbox.h"

struct cfg;
struct cfg_addr;

/*
 * Every socket the daemon serves on, bound by the master before it drops
 * privileges.  DNS worker w owns udp[w * naddr + a] and tcp[w * naddr + a]
 * for listen address a: one SO_REUSEPORT socket per worker and address, so
 * the kernel spreads packets and connections over the workers.
 */
struct listen_set {
	size_t naddr;
	size_t nworkers;
	int *udp;
	int *tcp;
	bool *wildcard; /* per address: bound to 0.0.0.0 / :: (needs pktinfo) */
	int http;
	char **text;    /* per address, as configured */
	int *link_dns;  /* per worker slot: its end of the link to the writer (workers/link.h) */
	int *link_wr;   /* per worker slot: the writer's end */
};

/* Binds everything cfg asks for.  Returns 0 or -1 with the reason logged. */
int proc_listen_open(struct listen_set *ls, const struct cfg *cfg);
void proc_listen_close(struct listen_set *ls);
/* True when cfg asks for exactly the sockets ls has (reload check). */
bool proc_listen_same(const struct listen_set *ls, const struct cfg *cfg);

/*
 * When running as root and user is set: chowns the paths that must stay
 * writable (database, its -wal/-shm, their directory, control socket
 * directory), then drops group and user ids.  Returns 0 or -1 (logged).
 */
int proc_drop_privileges(const struct cfg *cfg);

/*
 * Start-up check of the files that hold secrets (token hashes, the audit
 * log, TSIG and S3 keys): logs one warning per file that other users may
 * read.  The database, its -wal/-shm/-journal and the regular files of
 * backup.dir are expected 0600 (any group or other bit warns); the config
 * file, when it holds a secret, and backup.s3.credentials warn when others
 * may read them, since a group-readable config (root:ddnsd 0640) is how a
 * root-owned config reaches the user the daemon drops to.  The daemon
 * itself writes everything 0600/0700 (umask 077 in main()); this only
 * catches files made before, or by hand.  Never fails.
 */
void proc_check_modes(const struct cfg *cfg);

/* For workers that serve no socket (checker, notifier): closes every inherited one. */
void proc_close_inherited(const struct listen_set *ls);

/*
 * The sandbox (daemon/sandbox.h).  proc_sandbox_init: in the master at
 * start, from the config: sets no_new_privs and fixes the mode and whether
 * commands run (notify type "command") for the daemon's lifetime; 0 or -1.
 * proc_sandbox_same: a reloaded config keeps within that (same
 * sandbox.seccomp, no command target when none was configured at start).
 * proc_sandbox: drops every capability and loads role's filter; denied is
 * the process's stats slot field for a denied call's number; 0 or -1
 * (logged).
 */
int proc_sandbox_init(const struct cfg *cfg);
bool proc_sandbox_same(const struct cfg *cfg);
int proc_sandbox(enum sandbox_role role, volatile uint32_t *denied);

/* In a freshly forked child: die with the parent, restore signals. */
void proc_child_init(pid_t master, const char *role);

/*
 * For a child that runs a libevent loop: SIGTERM and SIGINT end base's
 * loop, after grace (let replies in flight go out) or, when grace is NULL,
 * at once.  Adds the two signal events into ev (freed by
 * proc_stop_signals_free) and unblocks both signals, which the master
 * forks its children with blocked.  One call per process.  Returns 0 or -1
 * (ev, which starts {NULL, NULL}, holds what was made, for
 * proc_stop_signals_free).
 */
struct event;
struct event_base;
struct timeval;
int proc_stop_signals(struct event_base *base, const struct timeval *grace, struct event *ev[2]);
void proc_stop_signals_free(struct event *ev[2]);

#endif
