/*
 * sandbox.c - no_new_privs, the capability drop (libcap-ng) and the
 * per-role seccomp filters (libseccomp).  See sandbox.h.
 *
 * The lists below name system calls, not numbers: libseccomp resolves them
 * for the machine it runs on, and a name this kernel's architecture does
 * not have is skipped.  A new call needed by a new library or kernel goes
 * into the row of the roles that make it (docs/security.md says how to
 * find it).
 */
#include "daemon/sandbox.h"

#include <cap-ng.h>
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "daemon/dd.h"
#include "daemon/log.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a SIGSYS from a seccomp filter (linux/seccomp.h) */
#endif

#define R_MASTER (1u << SANDBOX_MASTER)
#define R_DNS    (1u << SANDBOX_DNS)
#define R_HTTP   (1u << SANDBOX_HTTP)
#define R_CHECK  (1u << SANDBOX_CHECK)
#define R_NOTIFY (1u << SANDBOX_NOTIFY)
#define R_ALL    (R_MASTER | R_DNS | R_HTTP | R_CHECK | R_NOTIFY)
#define R_FILES  (R_MASTER | R_HTTP | R_CHECK | R_NOTIFY) /* SQLite, files */
#define R_NET    (R_MASTER | R_HTTP | R_CHECK | R_NOTIFY) /* make sockets */
#define R_CMD    (1u << SANDBOX_NROLES) /* the notifier runs commands */

/* How a row's roles are restricted in the call's arguments. */
enum arg_rule {
	ARG_ANY,
	ARG_THREAD,  /* clone: CLONE_THREAD set (threads, never processes) */
	ARG_NO_EXEC, /* mmap, mprotect: PROT_EXEC clear */
	ARG_GET,     /* prlimit64: no new limit (getrlimit) */
};

struct sandbox_row {
	const char *name;
	unsigned roles;      /* allowed, any arguments */
	unsigned roles_arg;  /* allowed when rule holds (roles not in .roles) */
	enum arg_rule rule;
};

/* clone3 takes its flags in memory a filter cannot read: it fails with
 * ENOSYS for every role, and glibc falls back to clone, whose flags are
 * checked. */
static const struct sandbox_row sandbox_rows[] = {
	/* every process: memory, time, signals, exit, the log */
	{"read", R_ALL, 0, ARG_ANY},
	{"write", R_ALL, 0, ARG_ANY},
	{"readv", R_ALL, 0, ARG_ANY},
	{"writev", R_ALL, 0, ARG_ANY},
	{"close", R_ALL, 0, ARG_ANY},
	{"brk", R_ALL, 0, ARG_ANY},
	{"mmap", R_FILES, R_DNS, ARG_NO_EXEC},
	{"mprotect", R_FILES, R_DNS, ARG_NO_EXEC},
	{"munmap", R_ALL, 0, ARG_ANY},
	{"mremap", R_ALL, 0, ARG_ANY},
	{"madvise", R_ALL, 0, ARG_ANY},
	{"futex", R_ALL, 0, ARG_ANY},
	{"getpid", R_ALL, 0, ARG_ANY},
	{"gettid", R_ALL, 0, ARG_ANY},
	{"getppid", R_ALL, 0, ARG_ANY},
	{"getuid", R_ALL, 0, ARG_ANY},
	{"geteuid", R_ALL, 0, ARG_ANY},
	{"getgid", R_ALL, 0, ARG_ANY},
	{"getegid", R_ALL, 0, ARG_ANY},
	{"clock_gettime", R_ALL, 0, ARG_ANY},
	{"clock_getres", R_ALL, 0, ARG_ANY},
	{"clock_nanosleep", R_ALL, 0, ARG_ANY},
	{"nanosleep", R_ALL, 0, ARG_ANY},
	{"gettimeofday", R_ALL, 0, ARG_ANY},
	{"time", R_ALL, 0, ARG_ANY},
	{"rt_sigaction", R_ALL, 0, ARG_ANY},
	{"rt_sigprocmask", R_ALL, 0, ARG_ANY},
	{"rt_sigreturn", R_ALL, 0, ARG_ANY},
	{"sigaltstack", R_ALL, 0, ARG_ANY},
	{"tgkill", R_ALL, 0, ARG_ANY},
	{"restart_syscall", R_ALL, 0, ARG_ANY},
	{"exit", R_ALL, 0, ARG_ANY},
	{"exit_group", R_ALL, 0, ARG_ANY},
	{"getrandom", R_ALL, 0, ARG_ANY},
	{"sched_yield", R_ALL, 0, ARG_ANY},
	{"fcntl", R_ALL, 0, ARG_ANY},
	{"fstat", R_ALL, 0, ARG_ANY},
	{"newfstatat", R_ALL, 0, ARG_ANY},
	{"lseek", R_ALL, 0, ARG_ANY},
	{"sysinfo", R_ALL, 0, ARG_ANY}, /* qsort asks for the memory size */
	{"prlimit64", R_MASTER | R_CMD, R_DNS | R_HTTP | R_CHECK | R_NOTIFY, ARG_GET},
	{"getrlimit", R_MASTER | R_CMD, R_DNS | R_HTTP | R_CHECK | R_NOTIFY, ARG_ANY},
	/* serving sockets handed over by the master, and the event loops */
	{"recvmmsg", R_ALL, 0, ARG_ANY},
	{"sendmmsg", R_ALL, 0, ARG_ANY},
	{"recvmsg", R_ALL, 0, ARG_ANY},
	{"sendmsg", R_ALL, 0, ARG_ANY},
	{"recvfrom", R_ALL, 0, ARG_ANY},
	{"sendto", R_ALL, 0, ARG_ANY},
	{"accept", R_ALL, 0, ARG_ANY},
	{"accept4", R_ALL, 0, ARG_ANY},
	{"shutdown", R_ALL, 0, ARG_ANY},
	{"setsockopt", R_ALL, 0, ARG_ANY},
	{"getsockopt", R_ALL, 0, ARG_ANY},
	{"getsockname", R_ALL, 0, ARG_ANY},
	{"getpeername", R_ALL, 0, ARG_ANY},
	{"epoll_wait", R_ALL, 0, ARG_ANY},
	{"epoll_pwait", R_ALL, 0, ARG_ANY},
	{"epoll_pwait2", R_ALL, 0, ARG_ANY},
	{"epoll_ctl", R_ALL, 0, ARG_ANY},
	{"io_uring_enter", R_DNS | R_MASTER, 0, ARG_ANY},
	/* everything else: SQLite, files, outgoing sockets, threads */
	{"epoll_create1", R_FILES, 0, ARG_ANY},
	{"eventfd2", R_FILES, 0, ARG_ANY},
	{"pipe2", R_FILES | R_CMD, 0, ARG_ANY},
	{"socketpair", R_FILES, 0, ARG_ANY},
	{"poll", R_FILES, 0, ARG_ANY},
	{"ppoll", R_FILES, 0, ARG_ANY},
	{"select", R_FILES, 0, ARG_ANY},
	{"pselect6", R_FILES, 0, ARG_ANY},
	{"ioctl", R_FILES, 0, ARG_ANY},
	{"socket", R_NET, 0, ARG_ANY},
	{"connect", R_NET, 0, ARG_ANY},
	{"bind", R_NET, 0, ARG_ANY},
	{"listen", R_MASTER | R_HTTP, 0, ARG_ANY},
	{"openat", R_FILES, 0, ARG_ANY},
	{"open", R_FILES, 0, ARG_ANY},
	{"pread64", R_FILES, 0, ARG_ANY},
	{"pwrite64", R_FILES, 0, ARG_ANY},
	{"preadv", R_FILES, 0, ARG_ANY},
	{"pwritev", R_FILES, 0, ARG_ANY},
	{"fsync", R_FILES, 0, ARG_ANY},
	{"fdatasync", R_FILES, 0, ARG_ANY},
	{"ftruncate", R_FILES, 0, ARG_ANY},
	{"fallocate", R_FILES, 0, ARG_ANY},
	{"fadvise64", R_FILES, 0, ARG_ANY},
	{"flock", R_FILES, 0, ARG_ANY},
	{"stat", R_FILES, 0, ARG_ANY},
	{"lstat", R_FILES, 0, ARG_ANY},
	{"statx", R_FILES, 0, ARG_ANY},
	{"statfs", R_FILES, 0, ARG_ANY},
	{"fstatfs", R_FILES, 0, ARG_ANY},
	{"access", R_FILES, 0, ARG_ANY},
	{"faccessat", R_FILES, 0, ARG_ANY},
	{"faccessat2", R_FILES, 0, ARG_ANY},
	{"readlink", R_FILES, 0, ARG_ANY},
	{"readlinkat", R_FILES, 0, ARG_ANY},
	{"getcwd", R_FILES, 0, ARG_ANY},
	{"getdents64", R_FILES, 0, ARG_ANY},
	{"fchown", R_FILES, 0, ARG_ANY},
	{"fchmod", R_FILES, 0, ARG_ANY},
	{"chmod", R_FILES, 0, ARG_ANY},
	{"fchmodat", R_FILES, 0, ARG_ANY},
	{"unlink", R_FILES, 0, ARG_ANY},
	{"unlinkat", R_FILES, 0, ARG_ANY},
	{"rename", R_FILES, 0, ARG_ANY},
	{"renameat", R_FILES, 0, ARG_ANY},
	{"renameat2", R_FILES, 0, ARG_ANY},
	{"mkdir", R_FILES, 0, ARG_ANY},
	{"mkdirat", R_FILES, 0, ARG_ANY},
	{"rmdir", R_FILES, 0, ARG_ANY},
	{"utimensat", R_FILES, 0, ARG_ANY},
	{"umask", R_FILES, 0, ARG_ANY},
	{"dup", R_FILES, 0, ARG_ANY},
	{"dup2", R_FILES, 0, ARG_ANY},
	{"dup3", R_FILES, 0, ARG_ANY},
	{"uname", R_FILES, 0, ARG_ANY},
	{"sched_getaffinity", R_FILES, 0, ARG_ANY},
	{"set_robust_list", R_FILES, 0, ARG_ANY},
	{"rseq", R_FILES, 0, ARG_ANY},
	{"clone", R_MASTER | R_CMD, R_HTTP | R_CHECK | R_NOTIFY, ARG_THREAD},
	/* the master: supervising */
	{"wait4", R_MASTER | R_CMD, 0, ARG_ANY},
	{"waitid", R_MASTER | R_CMD, 0, ARG_ANY},
	{"kill", R_MASTER | R_HTTP | R_CMD, 0, ARG_ANY},
	{"rt_sigtimedwait", R_MASTER, 0, ARG_ANY},
	/* a worker's start-up, before its own filter: under the master's */
	{"prctl", R_MASTER, 0, ARG_ANY},
	{"capget", R_MASTER, 0, ARG_ANY},
	{"capset", R_MASTER, 0, ARG_ANY},
	{"seccomp", R_MASTER, 0, ARG_ANY},
	{"io_uring_setup", R_MASTER, 0, ARG_ANY},
	{"io_uring_register", R_MASTER, 0, ARG_ANY},
	{"signalfd4", R_MASTER, 0, ARG_ANY},
	{"signalfd", R_MASTER, 0, ARG_ANY},
	{"setrlimit", R_MASTER, 0, ARG_ANY},
	/* commands of notify targets: /bin/sh and what it starts */
	{"execve", R_CMD, 0, ARG_ANY},
	{"execveat", R_CMD, 0, ARG_ANY},
	{"vfork", R_CMD, 0, ARG_ANY},
	{"arch_prctl", R_CMD, 0, ARG_ANY},
	{"set_tid_address", R_CMD, 0, ARG_ANY},
	{"pipe", R_CMD, 0, ARG_ANY},
	{"chdir", R_CMD, 0, ARG_ANY},
	{"fchdir", R_CMD, 0, ARG_ANY},
	{"getpgrp", R_CMD, 0, ARG_ANY},
	{"getpgid", R_CMD, 0, ARG_ANY},
	{"setpgid", R_CMD, 0, ARG_ANY},
	{"getsid", R_CMD, 0, ARG_ANY},
	{"setsid", R_CMD, 0, ARG_ANY},
	{"getgroups", R_CMD, 0, ARG_ANY},
	{"getresuid", R_CMD, 0, ARG_ANY},
	{"getresgid", R_CMD, 0, ARG_ANY},
	{"alarm", R_CMD, 0, ARG_ANY},
	{"setitimer", R_CMD, 0, ARG_ANY},
	{"rt_sigsuspend", R_CMD, 0, ARG_ANY},
	{"symlink", R_CMD, 0, ARG_ANY},
	{"symlinkat", R_CMD, 0, ARG_ANY},
	{"link", R_CMD, 0, ARG_ANY},
	{"linkat", R_CMD, 0, ARG_ANY},
	{"chown", R_CMD, 0, ARG_ANY},
	{"fchownat", R_CMD, 0, ARG_ANY},
	{"sendfile", R_CMD, 0, ARG_ANY},
	{"copy_file_range", R_CMD, 0, ARG_ANY},
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
	/* the sanitizers' run time: reports read /proc/self/maps, and the leak
	 * check at exit stops the world with a ptrace'd helper */
	{"openat", R_DNS, 0, ARG_ANY},
	{"readlink", R_DNS, 0, ARG_ANY},
	{"readlinkat", R_DNS, 0, ARG_ANY},
	{"mmap", R_DNS, 0, ARG_ANY},
	{"mprotect", R_DNS, 0, ARG_ANY},
	{"prctl", R_ALL, 0, ARG_ANY},
	{"ptrace", R_ALL, 0, ARG_ANY},
	{"getdents64", R_DNS, 0, ARG_ANY},
	{"getdents", R_ALL, 0, ARG_ANY},
	{"sched_getaffinity", R_DNS, 0, ARG_ANY},
	{"wait4", R_ALL, 0, ARG_ANY},
	{"clone", R_ALL, 0, ARG_ANY},
	{"uname", R_DNS, 0, ARG_ANY},
	{"prlimit64", R_ALL, 0, ARG_ANY},
#endif
};

/* Names by number, made before the filter is loaded, so that the SIGSYS
 * handler can name the call without allocating. */
#define SANDBOX_NAMES_MAX 512
#define SANDBOX_NAME_LEN  24
static char sandbox_names[SANDBOX_NAMES_MAX][SANDBOX_NAME_LEN];
static volatile uint32_t *sandbox_denied;

int
sandbox_mode_parse(const char *s, enum sandbox_mode *out)
{
	static const char *const words[] = {"kill", "log", "off"};
	for (int i = 0; i < 3; i++) {
		if (strcmp(s, words[i]) == 0) {
			*out = (enum sandbox_mode)i;
			return 0;
		}
	}
	return DD_EINVAL;
}

int
sandbox_master_start(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_warn("sandbox: prctl(PR_SET_NO_NEW_PRIVS)");
		return -1;
	}
	return 0;
}

int
sandbox_caps_drop(void)
{
	int have;

	capng_get_caps_process();
	have = capng_have_capabilities(CAPNG_SELECT_CAPS);
	if (have == CAPNG_NONE && capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_FULL)
		return 0;
	/* the bounding set can change only while CAP_SETPCAP is held */
	bool bounds = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(bounds ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS);
	if (capng_apply(bounds ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS) < 0) {
		log_warnx("sandbox: cannot drop capabilities");
		return -1;
	}
	return 0;
}

const char *
sandbox_syscall_name(int nr, char *buf, size_t len)
{
	char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

	snprintf(buf, len, "%s", n ? n : "unknown");
	free(n);
	return buf;
}

/* Decimal digits of v into p (no terminator); their count. */
static size_t
sandbox_utoa(char *p, unsigned long v)
{
	char tmp[24];
	size_t n = 0, k = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		p[k++] = tmp[--n];
	return k;
}

static size_t
sandbox_cat(char *p, size_t off, size_t cap, const char *s)
{
	while (*s && off < cap)
		p[off++] = *s++;
	return off;
}

/* SIGSYS from the filter: one log line naming the call, its number for the
 * master, then death by SIGSYS.  Only async-signal-safe calls, all of them
 * on every role's list. */
static void
sandbox_on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[192];
	size_t n = 0;
	int nr = si->si_syscall;
	struct sigaction dfl;
	sigset_t one;

	(void)uc;
	if (si->si_code == SYS_SECCOMP) {
		n = sandbox_cat(msg, n, sizeof(msg), "sandbox: system call ");
		if (n + 12 < sizeof(msg))
			n += sandbox_utoa(msg + n, (unsigned long)(nr < 0 ? 0 : nr));
		n = sandbox_cat(msg, n, sizeof(msg), " (");
		n = sandbox_cat(msg, n, sizeof(msg),
				nr >= 0 && nr < SANDBOX_NAMES_MAX && sandbox_names[nr][0]
					? sandbox_names[nr]
					: "unknown");
		n = sandbox_cat(msg, n, sizeof(msg),
				") is not on this process's list: stopping (see docs/security.md, "
				"\"A missing system call\")");
		msg[n < sizeof(msg) ? n : sizeof(msg) - 1] = '\0';
		log_sigsafe(msg);
		if (sandbox_denied != NULL)
			*sandbox_denied = (uint32_t)nr + 1;
	}
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise(sig);
	_exit(128 + sig);
}

static void
sandbox_names_fill(void)
{
	for (int nr = 0; nr < SANDBOX_NAMES_MAX; nr++) {
		char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (n != NULL)
			snprintf(sandbox_names[nr], SANDBOX_NAME_LEN, "%s", n);
		free(n);
	}
}

/* Adds one row for a role; 0, or the libseccomp error. */
static int
sandbox_add(scmp_filter_ctx ctx, const struct sandbox_row *r, bool plain)
{
	int nr = seccomp_syscall_resolve_name(r->name);

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a call of this architecture */
	if (plain || r->rule == ARG_ANY)
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	switch (r->rule) {
	case ARG_THREAD:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	case ARG_NO_EXEC:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	case ARG_GET:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A2(SCMP_CMP_EQ, 0));
	case ARG_ANY:
		break;
	}
	return 0;
}

int
sandbox_enter(enum sandbox_role role, enum sandbox_mode mode, int commands,
	      volatile uint32_t *denied)
{
	static const char *const role_names[] = {"master", "dns", "http", "check", "notify"};
	unsigned me = 1u << role, extra = 0;
	bool *added = NULL;
	scmp_filter_ctx ctx;
	struct sigaction sa;
	int rc = -1, nr;

	if (mode == SANDBOX_OFF)
		return 0;
	if (commands && (role == SANDBOX_NOTIFY || role == SANDBOX_MASTER))
		extra = R_CMD;
	sandbox_names_fill();
	sandbox_denied = denied;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		log_warn("sandbox: sigaction SIGSYS");
		return -1;
	}
	ctx = seccomp_init(mode == SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	if (ctx == NULL) {
		log_warnx("sandbox: seccomp_init failed");
		return -1;
	}
	/* every thread, and the filter fails to load rather than half-apply */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1) < 0)
		goto out;
	added = calloc(SANDBOX_NAMES_MAX, sizeof(*added));
	if (added == NULL)
		goto out;
	/* the master may do what any of its children do: they inherit its filter */
	for (size_t i = 0; i < sizeof(sandbox_rows) / sizeof(sandbox_rows[0]); i++) {
		const struct sandbox_row *r = &sandbox_rows[i];
		unsigned any = r->roles & (R_ALL | extra), some = r->roles_arg & (R_ALL | extra);
		bool plain = role == SANDBOX_MASTER ? (any | some) != 0 : (any & (me | extra)) != 0;
		bool cond = !plain && (some & me) != 0;
		int e;

		if (!plain && !cond)
			continue;
		nr = seccomp_syscall_resolve_name(r->name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		/* a call on two rows (a sanitizer row, say): the first plain one wins */
		if (nr >= 0 && nr < SANDBOX_NAMES_MAX) {
			if (added[nr])
				continue;
			added[nr] = plain;
		}
		if ((e = sandbox_add(ctx, r, plain)) < 0) {
			log_warnx("sandbox: rule for %s: %s", r->name, strerror(-e));
			goto out;
		}
	}
	nr = seccomp_syscall_resolve_name("clone3");
	if (nr != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0) < 0)
		goto out;
	if ((nr = seccomp_load(ctx)) < 0) {
		log_warnx("sandbox: loading the %s filter: %s", role_names[role], strerror(-nr));
		goto out;
	}
	log_debug("sandbox: %s filter loaded (%s)", role_names[role],
		  mode == SANDBOX_LOG ? "log" : "kill");
	rc = 0;
out:
	free(added);
	seccomp_release(ctx);
	return rc;
}
