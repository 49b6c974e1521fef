/*
 * sandbox.h - what a process of ddnsd may still do once it is set up:
 * no_new_privs, no capabilities, and a seccomp filter (libseccomp) that
 * allows only the system calls of its role.
 *
 * The master calls sandbox_master_start() first thing, sandbox_caps_drop()
 * once it has bound its sockets and dropped its user, then
 * sandbox_enter(SANDBOX_MASTER) before it forks a worker.  Every worker
 * calls sandbox_caps_drop() and sandbox_enter(its role) when its set-up is
 * done and before it serves anything.  Filters stack: a worker runs under
 * the master's (which allows every role's calls) and its own narrower one.
 *
 * A call outside the list: with sandbox.seccomp "kill", the process logs
 * one line naming the call ("sandbox: system call N (name) denied"),
 * records its number in *denied (the worker's stats slot, for the master's
 * log line) and dies of SIGSYS; the master respawns it.  With "log", the
 * kernel allows the call and logs it (audit, type=SECCOMP); with "off", no
 * filter is loaded (no_new_privs and the capability drop still apply).
 */
#ifndef DD_SANDBOX_H
#define DD_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

enum sandbox_role {
	SANDBOX_MASTER,
	SANDBOX_DNS,    /* parses every packet from the internet: the narrowest */
	SANDBOX_HTTP,   /* the writer: SQLite, HTTP, transfers, the control socket */
	SANDBOX_CHECK,  /* pool health checks */
	SANDBOX_NOTIFY, /* events, webhooks, backups */
	SANDBOX_NROLES
};

enum sandbox_mode {
	SANDBOX_KILL, /* default */
	SANDBOX_LOG,
	SANDBOX_OFF,
};

/* sandbox.seccomp's words: "kill", "log", "off".  0 or DD_EINVAL. */
int sandbox_mode_parse(const char *s, enum sandbox_mode *out);

/* Sets no_new_privs (inherited by every child).  0, or -1 (logged). */
int sandbox_master_start(void);

/*
 * Drops every capability from the effective, permitted and inheritable
 * sets, and from the bounding set when the process may still change it.
 * A process that holds none returns 0 at once.  0, or -1 (logged).
 */
int sandbox_caps_drop(void);

/*
 * Loads the filter of role, with the action of mode for any other call
 * (applies to every thread of the process).  commands: the notifier runs
 * configured commands (notify type "command"), so the notifier's and the
 * master's lists also hold what a shell and the programs it starts need.
 * denied: where the SIGSYS handler stores the denied call's number + 1,
 * or NULL.  0, or -1 (logged).
 */
int sandbox_enter(enum sandbox_role role, enum sandbox_mode mode, int commands,
		  volatile uint32_t *denied);

/* The name of system call nr on this machine ("socket"), or "unknown";
 * into buf, which is returned. */
const char *sandbox_syscall_name(int nr, char *buf, size_t len);

#endif
