/* proc.c - sockets bound before the privilege drop, and the drop itself. */
#include "daemon/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <dirent.h>
#include <libgen.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/sandbox.h"
#include "workers/link.h"
#include "workers/workers.h"

static bool
proc_addr_is_wildcard(const struct cfg_addr *a)
{
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
		return in->sin_addr.s_addr == htonl(INADDR_ANY);
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
		return IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
	}
	return false;
}

/* One socket of type on a, with SO_REUSEPORT when reuseport. */
static int
proc_socket(const struct cfg_addr *a, int type, bool reuseport)
{
	int fd, on = 1;

	fd = socket(a->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("socket for %s", a->text);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0) {
		log_warn("SO_REUSEPORT on %s", a->text);
		goto failed;
	}
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (type == SOCK_DGRAM && proc_addr_is_wildcard(a)) {
		if (a->ss.ss_family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
	}
	if (type == SOCK_DGRAM) {
		int sz = 4 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->sslen) < 0) {
		log_warn("bind %s/%s", a->text, type == SOCK_DGRAM ? "udp" : "tcp");
		goto failed;
	}
	if (type == SOCK_STREAM && listen(fd, 1024) < 0) {
		log_warn("listen %s", a->text);
		goto failed;
	}
	return fd;
failed:
	close(fd);
	return -1;
}

int
proc_listen_open(struct listen_set *ls, const struct cfg *cfg)
{
	size_t n = cfg->dns.nlisten * cfg->dns.workers;

	memset(ls, 0, sizeof(*ls));
	ls->http = -1;
	if (cfg->dns.nlisten > WORKER_LISTEN_MAX) {
		log_warnx("%zu dns.listen addresses; at most %d are supported", cfg->dns.nlisten,
			  WORKER_LISTEN_MAX);
		return -1;
	}
	ls->naddr = cfg->dns.nlisten;
	ls->nworkers = cfg->dns.workers;
	ls->udp = malloc(n * sizeof(int));
	ls->tcp = malloc(n * sizeof(int));
	ls->wildcard = calloc(ls->naddr, sizeof(bool));
	ls->text = calloc(ls->naddr, sizeof(char *));
	if (!ls->udp || !ls->tcp || !ls->wildcard || !ls->text) {
		log_warnx("out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		ls->udp[i] = ls->tcp[i] = -1;
	for (size_t a = 0; a < ls->naddr; a++) {
		const struct cfg_addr *ad = &cfg->dns.listen[a];
		ls->wildcard[a] = proc_addr_is_wildcard(ad);
		ls->text[a] = strdup(ad->text);
		for (size_t w = 0; w < ls->nworkers; w++) {
			size_t k = w * ls->naddr + a;
			if ((ls->udp[k] = proc_socket(ad, SOCK_DGRAM, true)) < 0 ||
			    (ls->tcp[k] = proc_socket(ad, SOCK_STREAM, true)) < 0)
				return -1;
		}
	}
	ls->http = proc_socket(&cfg->http.listen, SOCK_STREAM, false);
	if (ls->http < 0)
		return -1;
	ls->link_dns = malloc(ls->nworkers * sizeof(int));
	ls->link_wr = malloc(ls->nworkers * sizeof(int));
	if (!ls->link_dns || !ls->link_wr) {
		log_warnx("out of memory");
		return -1;
	}
	for (size_t w = 0; w < ls->nworkers; w++)
		ls->link_dns[w] = ls->link_wr[w] = -1;
	for (size_t w = 0; w < ls->nworkers; w++) {
		int sv[2], buf = LINK_SOCKBUF;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
			log_warn("socketpair");
			return -1;
		}
		for (int k = 0; k < 2; k++) {
			setsockopt(sv[k], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
			setsockopt(sv[k], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		}
		ls->link_dns[w] = sv[0];
		ls->link_wr[w] = sv[1];
	}
	return 0;
}

void
proc_listen_close(struct listen_set *ls)
{
	size_t n = ls->naddr * ls->nworkers;

	for (size_t i = 0; i < n; i++) {
		if (ls->udp && ls->udp[i] >= 0)
			close(ls->udp[i]);
		if (ls->tcp && ls->tcp[i] >= 0)
			close(ls->tcp[i]);
	}
	if (ls->http >= 0)
		close(ls->http);
	for (size_t w = 0; w < ls->nworkers; w++) {
		if (ls->link_dns && ls->link_dns[w] >= 0)
			close(ls->link_dns[w]);
		if (ls->link_wr && ls->link_wr[w] >= 0)
			close(ls->link_wr[w]);
	}
	free(ls->link_dns);
	free(ls->link_wr);
	for (size_t a = 0; ls->text && a < ls->naddr; a++)
		free(ls->text[a]);
	free(ls->udp);
	free(ls->tcp);
	free(ls->wildcard);
	free(ls->text);
	memset(ls, 0, sizeof(*ls));
	ls->http = -1;

}

bool
proc_listen_same(const struct listen_set *ls, const struct cfg *cfg)
{
	if (cfg->dns.nlisten != ls->naddr || cfg->dns.workers != ls->nworkers)
		return false;
	for (size_t a = 0; a < ls->naddr; a++)
		if (strcmp(cfg->dns.listen[a].text, ls->text[a]) != 0)
			return false;
	return true;
}

static void
proc_chown(const char *path, uid_t uid, gid_t gid)
{
	if (chown(path, uid, gid) < 0 && errno != ENOENT)
		log_warn("chown %s", path);
}

/* The database's directory and files, and the control socket's directory. */
static void
proc_chown_paths(const struct cfg *cfg, uid_t uid, gid_t gid)
{
	static const char *suffix[] = {"", "-wal", "-shm", "-journal"};
	char buf[4096];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", cfg->database, suffix[i]);
		proc_chown(buf, uid, gid);
	}
	snprintf(buf, sizeof(buf), "%s", cfg->database);
	proc_chown(dirname(buf), uid, gid);
	snprintf(buf, sizeof(buf), "%s", cfg->control_socket);
	proc_chown(dirname(buf), uid, gid);
}

/* Warns when path is a regular file with any of the bits of wide set. */
static void
proc_check_mode(const char *path, mode_t wide)
{
	struct stat sb;

	if (stat(path, &sb) < 0) {
		if (errno != ENOENT)
			log_warn("stat %s", path);
		return;
	}
	if (S_ISREG(sb.st_mode) && (sb.st_mode & wide) != 0)
		log_warnx("%s is mode %04o: other users may read it; run chmod 600 %s", path,
			  (unsigned)(sb.st_mode & 07777), path);
}

/* Backups are copies of the database: the same rule for each file of dir. */
static void
proc_check_dir_modes(const char *dir)
{
	char path[4096];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL) {
		if (errno != ENOENT)
			log_warn("opendir %s", dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < sizeof(path))
			proc_check_mode(path, S_IRWXG | S_IRWXO);
	}
	closedir(d);
}

/* True when the config file itself holds a key or a token (not only the environment). */
static bool
proc_cfg_has_secrets(const struct cfg *cfg)
{
	const char *env = getenv("DDNSD_MASTER_TOKEN");

	if (cfg->ntsig > 0 || cfg->http.metrics_token != NULL)
		return true;
	if (cfg->master_token != NULL && (env == NULL || env[0] == '\0'))
		return true;
	for (size_t i = 0; i < cfg->nnotify; i++)
		if (cfg->notify[i].secret != NULL)
			return true;
	return false;
}

void
proc_check_modes(const struct cfg *cfg)
{
	static const char *suffix[] = {"", "-wal", "-shm", "-journal"};
	char buf[4096];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", cfg->database, suffix[i]);
		proc_check_mode(buf, S_IRWXG | S_IRWXO);
	}
	if (cfg->backup.enabled)
		proc_check_dir_modes(cfg->backup.dir);
	if (cfg->backup.s3_credentials != NULL)
		proc_check_mode(cfg->backup.s3_credentials, S_IRWXO);
	if (proc_cfg_has_secrets(cfg))
		proc_check_mode(cfg->path, S_IRWXO);
}

int
proc_drop_privileges(const struct cfg *cfg)
{
	struct passwd *pw;

	if (geteuid() != 0) {
		if (cfg->user != NULL)
			log_info("not root: ignoring user '%s'", cfg->user);
		return 0;
	}
	if (cfg->user == NULL) {
		log_warnx("running as root: set 'user:' to drop privileges after binding");
		return 0;
	}
	if ((pw = getpwnam(cfg->user)) == NULL) {
		log_warnx("user '%s' does not exist", cfg->user);
		return -1;
	}
	proc_chown_paths(cfg, pw->pw_uid, pw->pw_gid);
	if (setgroups(1, &pw->pw_gid) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		log_warn("dropping privileges to %s", cfg->user);
		return -1;
	}
	log_info("running as user %s (uid %ld)", cfg->user, (long)pw->pw_uid);
	return 0;
}

/* The sandbox of this daemon, fixed at start: the master's filter, which
 * every worker inherits, cannot widen later. */
static enum sandbox_mode proc_sb_mode = SANDBOX_OFF;
static int proc_sb_commands;

static int
proc_cfg_commands(const struct cfg *cfg)
{
	for (size_t i = 0; i < cfg->nnotify; i++)
		if (strcmp(cfg->notify[i].type, "command") == 0)
			return 1;
	return 0;
}

int
proc_sandbox_init(const struct cfg *cfg)
{
	if (sandbox_mode_parse(cfg->sandbox.seccomp ? cfg->sandbox.seccomp : "kill",
			       &proc_sb_mode) < 0)
		proc_sb_mode = SANDBOX_KILL;
	proc_sb_commands = proc_cfg_commands(cfg);
	if (proc_sb_mode == SANDBOX_OFF)
		log_warnx("sandbox.seccomp is off: no process has a system-call filter");
	return sandbox_master_start();
}

bool
proc_sandbox_same(const struct cfg *cfg)
{
	enum sandbox_mode m = SANDBOX_KILL;

	if (cfg->sandbox.seccomp != NULL)
		(void)sandbox_mode_parse(cfg->sandbox.seccomp, &m);
	return m == proc_sb_mode && proc_cfg_commands(cfg) <= proc_sb_commands;
}

int
proc_sandbox(enum sandbox_role role, volatile uint32_t *denied)
{
	if (sandbox_caps_drop() < 0)
		return -1;
	return sandbox_enter(role, proc_sb_mode, proc_sb_commands, denied);
}

void
proc_child_init(pid_t master, const char *role)
{
	sigset_t all;

	log_set_role(role);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* the master may have died between fork() and prctl() */
	if (getppid() != master)
		_exit(0);
	{
		char comm[16];
		snprintf(comm, sizeof(comm), "ddnsd-%s", role);
		prctl(PR_SET_NAME, comm);
	}
	signal(SIGPIPE, SIG_IGN);
	/* a file-size limit (ulimit -f) fails the write with EFBIG, like a
	 * full disk, instead of killing the process */
	signal(SIGXFSZ, SIG_IGN);
	sigemptyset(&all);
	sigaddset(&all, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
}

void
proc_close_inherited(const struct listen_set *ls)
{
	if (ls == NULL)
		return;
	for (size_t i = 0; i < ls->naddr * ls->nworkers; i++) {
		close(ls->udp[i]);
		close(ls->tcp[i]);
	}
	if (ls->http >= 0)
		close(ls->http);
	for (size_t w = 0; ls->link_dns && w < ls->nworkers; w++) {
		close(ls->link_dns[w]);
		close(ls->link_wr[w]);
	}
}

/* The loop proc_stop_signals ends, and how: one per process. */
static struct {
	struct event_base *base;
	struct timeval grace;
	bool graceful;
} proc_stop;

static void
proc_on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (proc_stop.graceful)
		event_base_loopexit(proc_stop.base, &proc_stop.grace);
	else
		event_base_loopbreak(proc_stop.base);
}

int
proc_stop_signals(struct event_base *base, const struct timeval *grace, struct event *ev[2])
{
	static const int sig[2] = {SIGTERM, SIGINT};
	sigset_t sigs;

	proc_stop.base = base;
	proc_stop.graceful = grace != NULL;
	if (grace)
		proc_stop.grace = *grace;
	sigemptyset(&sigs);
	for (int i = 0; i < 2; i++) {
		ev[i] = evsignal_new(base, sig[i], proc_on_stop, NULL);
		if (ev[i] == NULL || evsignal_add(ev[i], NULL) < 0)
			return -1;
		sigaddset(&sigs, sig[i]);
	}
	sigprocmask(SIG_UNBLOCK, &sigs, NULL);
	return 0;
}

void
proc_stop_signals_free(struct event *ev[2])
{
	for (int i = 0; i < 2; i++) {
		if (ev[i])
			event_free(ev[i]);
		ev[i] = NULL;
	}
}
