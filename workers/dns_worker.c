/*
 * dns_worker.c - one DNS worker process: its own SO_REUSEPORT UDP and TCP
 * sockets, answered from the shared table.
 *
 * UDP is read and written in batches (recvmmsg/sendmmsg) into buffers
 * allocated once at start; the per-query work is dns_answer(), which neither
 * allocates nor locks.  TCP connections come from a fixed pool sized by
 * dns.tcp_max_connections; each is length-framed (RFC 1035 4.2.2), may
 * pipeline queries (RFC 7766 6.2.1.1) and is closed after dns.tcp_idle_timeout.
 * The pool is shared fairly (RFC 7766 6.2.3): one client address holds at
 * most dns.tcp_max_per_address connections (more are closed at once), and
 * when the pool is full a new connection takes the place of the one that
 * has been idle longest, so idle connections cannot lock a new client out.
 * Both are decided at accept time in one pass over the pool.
 *
 * UDP has two paths, chosen at start (dns.io, default auto):
 *   io_uring   one ring per worker, made after fork: a multishot recvmsg per
 *              socket into a provided-buffer ring, each answer built into
 *              the send buffer paired with its query's buffer, the sends of a
 *              whole completion batch submitted with the next wait in ONE
 *              io_uring_enter; the wait asks for 16 completions or 50 us
 *              while busy and for one (no timeout) when idle, so an idle
 *              server adds no latency.  TCP, signals and the writer link stay
 *              on epoll, whose fd the ring watches with a multishot poll.
 *   recvmmsg   epoll + recvmmsg/sendmmsg batches of 64: where io_uring is
 *              unavailable (old kernel, seccomp, io_uring_disabled) or not
 *              wanted.  The log and `ddnsctl status` say which one runs.
 */
#include "workers/workers.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/proc.h"
#include "daemon/util.h"
#include "dns/answer.h"
#include "shm/rrl.h"
#include "shm/stats.h"
#include "workers/link.h"

#define UDP_BATCH     64
#define UDP_BUF       4096         /* largest UDP query we read, largest reply we send */
#define UDP_CTRL      64           /* room for one IP_PKTINFO / IPV6_PKTINFO cmsg */
#define TCP_IN_CAP    (2 + 65535)  /* one whole message plus its length prefix */
#define TCP_OUT_CAP   (4 * TCP_IN_CAP)
#define SWEEP_MS      100
#define ACCEPT_PAUSE_MS 100  /* listeners rest this long when accept runs out of descriptors */
#define WORKER_FD_RESERVE 64       /* descriptors besides TCP connections: sockets, ring, log */
#define TCP_NOTE_MS   10000        /* at most one line per worker this often about closed connections */
#define DRAIN_MS      1000
#define EPOLL_EVENTS  64

enum ev_kind { EV_UDP = 1, EV_LISTEN, EV_CONN, EV_SIGNAL, EV_LINK };

#define EV_KEY(kind, idx) (((uint64_t)(kind) << 32) | (uint32_t)(idx))

/* A client address as the per-address cap counts it: IPv4 (as v4-mapped) whole, IPv6 by its /64. */
struct tcp_addr_key {
	uint8_t b[16];
};

struct tcp_conn {
	int fd;                /* -1 when free */
	uint32_t inlen;
	uint64_t last_ms;
	uint64_t seen;         /* the worker's activity tick at accept or last traffic: LRU order */
	struct tcp_addr_key akey;
	uint8_t *in;           /* TCP_IN_CAP bytes, part of one pool allocation */
	uint8_t *pend;         /* unsent reply bytes (slow reader), or NULL */
	struct sockaddr_storage peer;
	uint32_t pend_len, pend_off;
};

struct dns_worker {
	/* rate-limit log: one line a second at most (dns.rrl) */
	uint32_t rrl_log_sec;
	uint64_t rrl_seen_drop, rrl_seen_slip;
	const struct worker_args *args;
	struct dns_answer_ctx ctx;
	struct shm_worker_stats *stats;
	int ep;
	int sigfd;
	size_t nudp;
	int udp[WORKER_LISTEN_MAX];
	bool udp_pktinfo[WORKER_LISTEN_MAX];
	int tcp_listen[WORKER_LISTEN_MAX];
	/* UDP batch state */
	struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
	struct iovec iov_in[UDP_BATCH], iov_out[UDP_BATCH];
	struct sockaddr_storage peer[UDP_BATCH];
	uint8_t ctrl[UDP_BATCH][UDP_CTRL];
	uint8_t *inbuf, *outbuf;
	/* TCP */
	struct tcp_conn *conns;
	uint32_t nconns, maxconns, idle_ms, max_per_addr;
	uint64_t tick;         /* tcp_conn.seen source: strictly increasing */
	uint64_t note_next_ms; /* rate limit of tcp_note_flush */
	uint64_t note_refused, note_evicted; /* since the last line */
	uint64_t note_nofd;    /* accepts that failed for want of descriptors, since the last line */
	uint64_t nofd_next_ms; /* rate limit of that line, apart from the others' */
	uint64_t accept_resume_ms; /* listeners disarmed until then; 0: armed */
	struct sockaddr_storage note_peer;   /* the last one's client */
	uint8_t *tcp_in_pool;
	uint8_t *tcp_out;
	bool draining;
	uint64_t drain_deadline;
	int link;              /* to the writer process (workers/link.h) */
	struct link_hdr lh;
	uint8_t *linkbuf;      /* LINK_PAYLOAD_MAX bytes */
	/* io_uring UDP path */
	bool uring;
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	uint8_t *rbufs;        /* URING_NBUFS receive buffers of URING_RBUF bytes */
	uint8_t *sbufs;        /* URING_NBUFS reply buffers of UDP_BUF bytes, paired by id */
	struct msghdr *smsg;   /* per buffer id: the reply's header */
	struct iovec *siov;
	uint8_t (*sctrl)[UDP_CTRL];
	struct msghdr rmsg;    /* recvmsg template: name and control sizes */
	unsigned freed;        /* buffers given back since the last advance */
	unsigned last_batch;   /* completions handled in the last round */
	bool rearm[WORKER_LISTEN_MAX];
	bool poll_armed;
};

/* ------------------------------------------------------------------ UDP */

/* Sets the reply's source address to the query's destination address, for
 * sockets bound to a wildcard address. */
static size_t
udp_reply_ctrl(struct msghdr *in, uint8_t *ctrl)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(in); c != NULL; c = CMSG_NXTHDR(in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			struct cmsghdr *o = (struct cmsghdr *)(void *)ctrl;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct cmsghdr *o = (struct cmsghdr *)(void *)ctrl;
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(o), CMSG_DATA(c), sizeof(struct in6_pktinfo));
			return CMSG_SPACE(sizeof(struct in6_pktinfo));
		}
	}
	return 0;
}

static void
udp_send_all(struct dns_worker *w, int fd, unsigned n)
{
	unsigned sent = 0;

	while (sent < n) {
		int r = sendmmsg(fd, w->out + sent, n - sent, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN or a bad peer address: the rest of this batch is lost, as a
			 * router would lose it; the client retries */
			w->stats->dropped += n - sent;
			return;
		}
		sent += (unsigned)r;
	}
}

/* Hands UDP request i of the batch to the writer; its reply comes back on the link. */
static void
udp_forward(struct dns_worker *w, size_t idx, int i, bool pktinfo)
{
	struct link_hdr h;

	memset(&h, 0, offsetof(struct link_hdr, peer));
	h.kind = LINK_UDP;
	h.listen_idx = (uint8_t)idx;
	h.len = w->in[i].msg_len;
	memcpy(&h.peer, &w->peer[i], sizeof(h.peer));
	h.peer_len = w->in[i].msg_hdr.msg_namelen;
	h.ctrl_len = pktinfo ? (uint16_t)udp_reply_ctrl(&w->in[i].msg_hdr, h.ctrl) : 0;
	if (link_send(w->link, &h, w->inbuf + (size_t)i * UDP_BUF, -1) < 0)
		w->stats->dropped++;
}

/* Replies the writer sends back for forwarded UDP requests. */
static void
link_serve(struct dns_worker *w)
{
	for (;;) {
		int fd;
		long n = link_recv(w->link, &w->lh, w->linkbuf, LINK_PAYLOAD_MAX, &fd);
		struct iovec iov;
		struct msghdr m;

		if (fd >= 0)
			close(fd);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			continue;
		}
		if (w->lh.kind != LINK_UDP || w->lh.listen_idx >= w->nudp)
			continue;
		iov.iov_base = w->linkbuf;
		iov.iov_len = (size_t)n;
		memset(&m, 0, sizeof(m));
		m.msg_name = &w->lh.peer;
		m.msg_namelen = w->lh.peer_len;
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		if (w->lh.ctrl_len) {
			m.msg_control = w->lh.ctrl;
			m.msg_controllen = w->lh.ctrl_len;
		}
		if (sendmsg(w->udp[w->lh.listen_idx], &m, MSG_DONTWAIT) < 0)
			w->stats->dropped++;
	}
}

/* Drains one UDP socket in batches until it would block. */
/*
 * A UDP reply over dns.rrl: a log line naming the client and the counts
 * since the last one, at most once a second per worker (a flood must not
 * flood the log).
 */
static void
rrl_note(struct dns_worker *w)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr *sa = w->ctx.client;
	uint64_t d = w->stats->rrl_drop - w->rrl_seen_drop, s = w->stats->rrl_slip - w->rrl_seen_slip;

	if (w->ctx.now == w->rrl_log_sec)
		return;
	w->rrl_log_sec = w->ctx.now;
	w->rrl_seen_drop = w->stats->rrl_drop;
	w->rrl_seen_slip = w->stats->rrl_slip;
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr,
			  sizeof(addr));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr,
			  sizeof(addr));
	log_info("rrl: replies to %s's prefix over %u a second: %llu dropped, %llu sent truncated "
		 "since the last such line (dns.rrl)",
		 addr, w->ctx.rrl_cfg->rate, (unsigned long long)d, (unsigned long long)s);
}

/* Unix seconds for the batch about to be answered (vDSO: no system call). */
static uint32_t
worker_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

static void
udp_serve(struct dns_worker *w, size_t idx)
{
	int fd = w->udp[idx];
	bool pktinfo = w->udp_pktinfo[idx];

	for (;;) {
		int n;
		unsigned k = 0;

		for (unsigned i = 0; i < UDP_BATCH; i++) {
			w->in[i].msg_hdr.msg_namelen = sizeof(w->peer[i]);
			w->in[i].msg_hdr.msg_controllen = pktinfo ? UDP_CTRL : 0;
		}
		n = recvmmsg(fd, w->in, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		w->stats->queries_udp += (uint64_t)n;
		w->ctx.now = worker_now();
		for (int i = 0; i < n; i++) {
			struct msghdr *ih = &w->in[i].msg_hdr;
			struct msghdr *oh = &w->out[k].msg_hdr;
			size_t len;

			if (ih->msg_flags & MSG_TRUNC) {
				w->stats->dropped++;
				continue;
			}
			w->ctx.client = (const struct sockaddr *)&w->peer[i];
			len = dns_answer(&w->ctx, w->inbuf + (size_t)i * UDP_BUF, w->in[i].msg_len,
					 w->outbuf + (size_t)k * UDP_BUF, UDP_BUF, false);
			if (w->ctx.forward) {
				udp_forward(w, idx, i, pktinfo);
				continue;
			}
			if (w->ctx.rrl_verdict != SHM_RRL_PASS)
				rrl_note(w);
			if (len == 0)
				continue;
			w->iov_out[k].iov_base = w->outbuf + (size_t)k * UDP_BUF;
			w->iov_out[k].iov_len = len;
			oh->msg_name = &w->peer[i];
			oh->msg_namelen = ih->msg_namelen;
			oh->msg_iov = &w->iov_out[k];
			oh->msg_iovlen = 1;
			oh->msg_control = NULL;
			oh->msg_controllen = 0;
			oh->msg_flags = 0;
			if (pktinfo) {
				/* the reply's cmsg goes into the query's own ctrl slot, which
				 * this query no longer needs once it is parsed */
				uint8_t tmp[UDP_CTRL];
				size_t cl = udp_reply_ctrl(ih, tmp);
				if (cl) {
					memcpy(w->ctrl[i], tmp, cl);
					oh->msg_control = w->ctrl[i];
					oh->msg_controllen = cl;
				}
			}
			k++;
		}
		if (k)
			udp_send_all(w, fd, k);
		if (n < UDP_BATCH)
			return;
	}
}

/* ------------------------------------------------------------------ TCP */

static void
tcp_close(struct dns_worker *w, struct tcp_conn *c)
{
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->inlen = 0;
	free(c->pend);
	c->pend = NULL;
	c->pend_len = c->pend_off = 0;
	w->nconns--;
}

/* The per-address key of peer (see struct tcp_addr_key). */
static void
tcp_addr_key(const struct sockaddr_storage *peer, struct tcp_addr_key *k)
{
	memset(k, 0, sizeof(*k));
	if (peer->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)peer;
		k->b[10] = k->b[11] = 0xff;
		memcpy(k->b + 12, &in->sin_addr, 4);
	} else if (peer->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)peer;
		/* one host usually holds a whole /64; a v4-mapped peer is one IPv4 address */
		memcpy(k->b, &in6->sin6_addr, IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) ? 16 : 8);
	}
}

/* What one pass over the pool finds for a new connection from key. */
struct tcp_pick {
	struct tcp_conn *free;  /* a free slot, or NULL */
	struct tcp_conn *idle;  /* least recently active with no reply pending */
	struct tcp_conn *stuck; /* least recently active of those with one pending */
	uint32_t same;          /* connections key already holds */
};

static void
tcp_pick(struct dns_worker *w, const struct tcp_addr_key *key, struct tcp_pick *p)
{
	memset(p, 0, sizeof(*p));
	for (uint32_t i = 0; i < w->maxconns; i++) {
		struct tcp_conn *c = &w->conns[i];
		struct tcp_conn **lru = c->pend == NULL ? &p->idle : &p->stuck;
		if (c->fd < 0) {
			if (p->free == NULL)
				p->free = c;
			continue;
		}
		if (memcmp(&c->akey, key, sizeof(*key)) == 0)
			p->same++;
		if (*lru == NULL || c->seen < (*lru)->seen)
			*lru = c;
	}
}

/*
 * Reports the connections closed at accept since the last report, at most
 * once per TCP_NOTE_MS: the first at once, the rest when the period is over
 * (from the accept path or the sweep), so a flood costs a line per period.
 */
static void
tcp_note_flush(struct dns_worker *w, uint64_t now)
{
	const struct sockaddr_storage *peer = &w->note_peer;
	char addr[INET6_ADDRSTRLEN] = "?";

	if (w->note_nofd > 0 && now >= w->nofd_next_ms) {
		log_warnx("tcp: out of file descriptors: accepting paused %u ms at a time (%llu "
			  "times); raise LimitNOFILE or lower dns.tcp_max_connections; at most one "
			  "such line every %u s",
			  ACCEPT_PAUSE_MS, (unsigned long long)w->note_nofd, TCP_NOTE_MS / 1000);
		w->note_nofd = 0;
		w->nofd_next_ms = now + TCP_NOTE_MS;
	}
	if (now < w->note_next_ms || w->note_refused + w->note_evicted == 0)
		return;
	if (peer->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, addr, sizeof(addr));
	else if (peer->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, addr,
			  sizeof(addr));
	log_warnx("tcp: %llu connections over dns.tcp_max_per_address (%u) closed at accept, "
		  "%llu idle ones closed to make room (dns.tcp_max_connections %u); last from %s; "
		  "at most one such line every %u s",
		  (unsigned long long)w->note_refused, w->max_per_addr,
		  (unsigned long long)w->note_evicted, w->maxconns, addr, TCP_NOTE_MS / 1000);
	w->note_refused = w->note_evicted = 0;
	w->note_next_ms = now + TCP_NOTE_MS;
}

/*
 * The slot for a new connection from key, or NULL when the address is at its
 * cap.  A full pool gives up its least recently active connection, one with
 * no reply pending if there is any: a client that is neither asking nor
 * reading is the one that waits (RFC 7766 6.2.3).
 */
static struct tcp_conn *
tcp_slot(struct dns_worker *w, const struct tcp_addr_key *key,
	 const struct sockaddr_storage *peer)
{
	struct tcp_pick p;
	struct tcp_conn *victim;

	tcp_pick(w, key, &p);
	if (p.same >= w->max_per_addr) {
		w->stats->tcp_refused++;
		w->note_refused++;
		w->note_peer = *peer;
		return NULL;
	}
	if (p.free != NULL)
		return p.free;
	victim = p.idle != NULL ? p.idle : p.stuck;
	if (victim == NULL)
		return NULL;
	tcp_close(w, victim);
	w->stats->tcp_evicted++;
	w->note_evicted++;
	w->note_peer = *peer;
	return victim;
}

/* Listeners in the epoll set armed (readable wakes us) or not. */
static void
tcp_listen_arm(struct dns_worker *w, bool on)
{
	for (size_t a = 0; a < w->nudp; a++) {
		struct epoll_event ev = {.events = on ? EPOLLIN : 0,
					 .data.u64 = EV_KEY(EV_LISTEN, (uint32_t)a)};
		(void)epoll_ctl(w->ep, EPOLL_CTL_MOD, w->tcp_listen[a], &ev);
	}
}

/*
 * accept failed for want of descriptors: the connection stays queued and the
 * socket readable, so the loop would spin on it.  The listeners rest for
 * ACCEPT_PAUSE_MS (the main loop arms them again), said once per period.
 */
static void
tcp_accept_pause(struct dns_worker *w)
{
	uint64_t now = util_now_ms();

	w->note_nofd++;
	w->accept_resume_ms = now + ACCEPT_PAUSE_MS;
	tcp_listen_arm(w, false);
	tcp_note_flush(w, now);
}

/* Whether the loop wakes by itself: connections to time out, a drain, paused listeners. */
static bool
worker_ticking(const struct dns_worker *w)
{
	return w->nconns > 0 || w->draining || w->accept_resume_ms != 0;
}

/*
 * Accepts what the listening socket holds, at most half the pool per call:
 * a full pool gives way in LRU order, so the connections accepted here are
 * read (in the next round) before later ones can push them out.
 */
static void
tcp_accept(struct dns_worker *w, int lfd)
{
	uint32_t budget = w->maxconns / 2 > 0 ? w->maxconns / 2 : 1;

	while (budget-- > 0) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct tcp_addr_key key;
		struct tcp_conn *c;
		struct epoll_event ev;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				tcp_accept_pause(w);
			return;
		}
		tcp_addr_key(&peer, &key);
		if ((c = tcp_slot(w, &key, &peer)) == NULL) {
			close(fd);
			tcp_note_flush(w, util_now_ms());
			continue;
		}
		c->fd = fd;
		c->inlen = 0;
		c->peer = peer;
		c->akey = key;
		c->last_ms = util_now_ms();
		c->seen = ++w->tick;
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.u64 = EV_KEY(EV_CONN, (uint32_t)(c - w->conns));
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			c->fd = -1;
			continue;
		}
		w->nconns++;
		w->stats->tcp_conns++;
		tcp_note_flush(w, c->last_ms);
	}
}

static int
tcp_want(struct dns_worker *w, struct tcp_conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events | EPOLLRDHUP,
				 .data.u64 = EV_KEY(EV_CONN, (uint32_t)(c - w->conns))};
	return epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes buf; keeps what the socket did not take.  Returns 0 or -1 (closed). */
static int
tcp_write(struct dns_worker *w, struct tcp_conn *c, const uint8_t *buf, size_t len)
{
	ssize_t r = write(c->fd, buf, len);

	if (r < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			tcp_close(w, c);
			return -1;
		}
		r = 0;
	}
	if ((size_t)r == len)
		return 0;
	c->pend = malloc(len - (size_t)r);
	if (c->pend == NULL) {
		tcp_close(w, c);
		return -1;
	}
	memcpy(c->pend, buf + r, len - (size_t)r);
	c->pend_len = (uint32_t)(len - (size_t)r);
	c->pend_off = 0;
	return tcp_want(w, c, EPOLLOUT);
}

/* Gives connection c, with its unread bytes from off, to the writer. */
static void
tcp_forward(struct dns_worker *w, struct tcp_conn *c, size_t off)
{
	struct link_hdr h;

	memset(&h, 0, sizeof(h));
	h.kind = LINK_TCP;
	h.len = c->inlen - (uint32_t)off;
	memcpy(&h.peer, &c->peer, sizeof(h.peer));
	h.peer_len = sizeof(c->peer);
	if (link_send(w->link, &h, c->in + off, c->fd) < 0)
		w->stats->dropped++;
	tcp_close(w, c);
}

/* Answers every complete message in c->in, batching the replies into one
 * write.  Stops early when a reply could not be sent whole. */
static void
tcp_process(struct dns_worker *w, struct tcp_conn *c)
{
	size_t off = 0, out = 0;

	while (c->pend == NULL && c->inlen - off >= 2) {
		size_t mlen = ((size_t)c->in[off] << 8) | c->in[off + 1];
		size_t r;

		if (c->inlen - off - 2 < mlen)
			break;
		if (TCP_OUT_CAP - out < TCP_IN_CAP) {
			if (tcp_write(w, c, w->tcp_out, out) < 0)
				return;
			out = 0;
			continue;
		}
		w->stats->queries_tcp++;
		w->ctx.now = worker_now();
		w->ctx.client = (const struct sockaddr *)&c->peer;
		r = dns_answer(&w->ctx, c->in + off + 2, mlen, w->tcp_out + out + 2, DNS_MSG_MAX,
			       true);
		if (w->ctx.forward) {
			/* the rest of this connection belongs to the writer: what we
			 * answered so far goes out first, then the handover */
			if (out && tcp_write(w, c, w->tcp_out, out) < 0)
				return;
			out = 0;
			if (c->pend != NULL) {
				w->stats->queries_tcp--; /* asked again once the reply drains */
				break;
			}
			tcp_forward(w, c, off);
			return;
		}
		off += 2 + mlen;
		if (r == 0)
			continue;
		w->tcp_out[out] = (uint8_t)(r >> 8);
		w->tcp_out[out + 1] = (uint8_t)r;
		out += 2 + r;
	}
	if (out && tcp_write(w, c, w->tcp_out, out) < 0)
		return;
	if (off) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= (uint32_t)off;
	}
}

static void
tcp_readable(struct dns_worker *w, struct tcp_conn *c)
{
	for (;;) {
		ssize_t r;

		if (c->inlen == TCP_IN_CAP) {
			/* a whole message is buffered but its reply is still pending */
			return;
		}
		r = read(c->fd, c->in + c->inlen, TCP_IN_CAP - c->inlen);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			tcp_close(w, c);
			return;
		}
		if (r < 0)
			return;
		c->inlen += (uint32_t)r;
		c->last_ms = util_now_ms();
		c->seen = ++w->tick;
		tcp_process(w, c);
		if (c->fd < 0 || c->pend != NULL)
			return;
	}
}

static void
tcp_writable(struct dns_worker *w, struct tcp_conn *c)
{
	ssize_t r = write(c->fd, c->pend + c->pend_off, c->pend_len - c->pend_off);

	if (r < 0) {
		if (errno != EAGAIN && errno != EINTR)
			tcp_close(w, c);
		return;
	}
	c->last_ms = util_now_ms();
	c->seen = ++w->tick;
	c->pend_off += (uint32_t)r;
	if (c->pend_off < c->pend_len)
		return;
	free(c->pend);
	c->pend = NULL;
	c->pend_len = c->pend_off = 0;
	if (tcp_want(w, c, EPOLLIN) < 0) {
		tcp_close(w, c);
		return;
	}
	tcp_process(w, c); /* queries that arrived while we were blocked */
}

static void
tcp_conn_event(struct dns_worker *w, uint32_t idx, uint32_t events)
{
	struct tcp_conn *c = &w->conns[idx];

	if (idx >= w->maxconns || c->fd < 0)
		return;
	if (events & EPOLLOUT)
		tcp_writable(w, c);
	if (c->fd >= 0 && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		tcp_readable(w, c);
}

/* Closes connections idle for longer than dns.tcp_idle_timeout. */
static void
tcp_sweep(struct dns_worker *w, uint64_t now)
{
	for (uint32_t i = 0; i < w->maxconns && w->nconns > 0; i++) {
		struct tcp_conn *c = &w->conns[i];
		if (c->fd >= 0 && now - c->last_ms >= w->idle_ms)
			tcp_close(w, c);
	}
}

/* ------------------------------------------------------------------ io_uring */

#define URING_NBUFS   512             /* datagrams in flight per worker (power of 2) */
#define URING_RBUF    (UDP_BUF + 512) /* recvmsg_out + address + control + payload */
#define URING_BGID    0
#define TAG_RECV      (1ull << 62)    /* | socket index */
#define TAG_POLL      (2ull << 62)    /* the epoll fd became readable */
#define TAG_SEND      (3ull << 62)    /* | buffer id */
#define TAG_KIND(t)   ((t) & (3ull << 62))
#define BUSY_BATCH    8               /* a round this big: coalesce the next wait */
#define BUSY_WAIT_NR  16
#define BUSY_WAIT_US  50

static uint8_t *
rbuf(struct dns_worker *w, unsigned bid)
{
	return w->rbufs + (size_t)bid * URING_RBUF;
}

static struct io_uring_sqe *
uring_sqe(struct dns_worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
	while (sqe == NULL) { /* SQ full: hand what is queued to the kernel */
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	return sqe;
}

static void
uring_arm_recv(struct dns_worker *w, unsigned idx)
{
	struct io_uring_sqe *sqe = uring_sqe(w);
	io_uring_prep_recvmsg_multishot(sqe, (int)idx, &w->rmsg, 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = URING_BGID;
	io_uring_sqe_set_data64(sqe, TAG_RECV | idx);
	w->rearm[idx] = false;
}

static void
uring_arm_poll(struct dns_worker *w)
{
	struct io_uring_sqe *sqe = uring_sqe(w);
	io_uring_prep_poll_multishot(sqe, w->ep, POLLIN);
	io_uring_sqe_set_data64(sqe, TAG_POLL);
	w->poll_armed = true;
}

static void
uring_give_back(struct dns_worker *w, unsigned bid)
{
	io_uring_buf_ring_add(w->br, rbuf(w, bid), URING_RBUF, (unsigned short)bid,
			      io_uring_buf_ring_mask(URING_NBUFS), (int)w->freed++);
}

/* The reply's source address, for sockets bound to a wildcard address. */
static size_t
uring_reply_ctrl(struct io_uring_recvmsg_out *o, struct msghdr *rm, uint8_t *ctrl)
{
	for (struct cmsghdr *c = io_uring_recvmsg_cmsg_firsthdr(o, rm); c != NULL;
	     c = io_uring_recvmsg_cmsg_nexthdr(o, rm, c)) {
		struct msghdr one = {.msg_control = c, .msg_controllen = c->cmsg_len};
		size_t n = udp_reply_ctrl(&one, ctrl);
		if (n)
			return n;
	}
	return 0;
}

/* One datagram from socket idx in buffer bid: answer it, hand it over, or drop it. */
static void
uring_query(struct dns_worker *w, unsigned idx, unsigned bid, int res)
{
	struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(rbuf(w, bid), res, &w->rmsg);
	uint8_t *q, *out = w->sbufs + (size_t)bid * UDP_BUF;
	unsigned qlen;
	size_t len, cl = 0;
	struct io_uring_sqe *sqe;
	struct msghdr *m = &w->smsg[bid];

	w->stats->queries_udp++;
	if (o == NULL || (o->flags & MSG_TRUNC) || o->namelen > w->rmsg.msg_namelen) {
		w->stats->dropped++;
		uring_give_back(w, bid);
		return;
	}
	q = io_uring_recvmsg_payload(o, &w->rmsg);
	qlen = io_uring_recvmsg_payload_length(o, res, &w->rmsg);
	w->ctx.client = io_uring_recvmsg_name(o);
	len = dns_answer(&w->ctx, q, qlen, out, UDP_BUF, false);
	if (w->udp_pktinfo[idx])
		cl = uring_reply_ctrl(o, &w->rmsg, w->sctrl[bid]);
	if (w->ctx.forward) {
		struct link_hdr h;
		memset(&h, 0, offsetof(struct link_hdr, peer));
		h.kind = LINK_UDP;
		h.listen_idx = (uint8_t)idx;
		h.len = qlen;
		memcpy(&h.peer, io_uring_recvmsg_name(o), o->namelen);
		h.peer_len = o->namelen;
		h.ctrl_len = (uint16_t)cl;
		if (cl)
			memcpy(h.ctrl, w->sctrl[bid], cl);
		if (link_send(w->link, &h, q, -1) < 0)
			w->stats->dropped++;
		uring_give_back(w, bid);
		return;
	}
	if (w->ctx.rrl_verdict != SHM_RRL_PASS)
		rrl_note(w);
	if (len == 0) {
		uring_give_back(w, bid);
		return;
	}
	w->siov[bid].iov_base = out;
	w->siov[bid].iov_len = len;
	memset(m, 0, sizeof(*m));
	m->msg_name = io_uring_recvmsg_name(o);
	m->msg_namelen = o->namelen;
	m->msg_iov = &w->siov[bid];
	m->msg_iovlen = 1;
	if (cl) {
		m->msg_control = w->sctrl[bid];
		m->msg_controllen = cl;
	}
	sqe = uring_sqe(w);
	io_uring_prep_sendmsg(sqe, (int)idx, m, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, TAG_SEND | bid);
}

static int epoll_round(struct dns_worker *w, int timeout);

/* One round: submit what is queued, wait, handle every completion. */
static void
uring_round(struct dns_worker *w)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts;
	unsigned head, seen = 0, nr = 1;
	int ret;

	if (w->last_batch >= BUSY_BATCH) {
		/* busy: let completions pile up a little, one wake-up for many */
		nr = BUSY_WAIT_NR;
		ts.tv_sec = 0;
		ts.tv_nsec = BUSY_WAIT_US * 1000;
		ret = io_uring_submit_and_wait_timeout(&w->ring, &cqe, nr, &ts, NULL);
	} else if (worker_ticking(w)) {
		ts.tv_sec = 0;
		ts.tv_nsec = SWEEP_MS * 1000000L;
		ret = io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, &ts, NULL);
	} else {
		ret = io_uring_submit_and_wait(&w->ring, 1);
	}
	w->stats->io_enters++;
	if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
		log_warnx("io_uring wait: %s", strerror(-ret));
	w->freed = 0;
	w->ctx.now = worker_now();
	io_uring_for_each_cqe(&w->ring, head, cqe) {
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		seen++;
		switch (TAG_KIND(tag)) {
		case TAG_SEND:
			if (cqe->res < 0)
				w->stats->dropped++;
			uring_give_back(w, (unsigned)(tag & 0xffff));
			break;
		case TAG_RECV: {
			unsigned idx = (unsigned)(tag & 0xff);
			if (!(cqe->flags & IORING_CQE_F_MORE) && !w->draining)
				w->rearm[idx] = true;
			if (cqe->res < 0 || !(cqe->flags & IORING_CQE_F_BUFFER))
				break; /* -ENOBUFS: re-armed below once buffers come back */
			uring_query(w, idx, cqe->flags >> IORING_CQE_BUFFER_SHIFT, cqe->res);
			break;
		}
		case TAG_POLL:
			if (!(cqe->flags & IORING_CQE_F_MORE))
				w->poll_armed = false;
			/* all that is ready: the poll fires again only on new readiness */
			while (epoll_round(w, 0) == EPOLL_EVENTS)
				;
			break;
		default:
			break;
		}
	}
	io_uring_cq_advance(&w->ring, seen);
	if (w->freed)
		io_uring_buf_ring_advance(w->br, (int)w->freed);
	w->last_batch = seen;
	for (unsigned i = 0; i < w->nudp; i++)
		if (w->rearm[i] && !w->draining)
			uring_arm_recv(w, i);
	if (!w->poll_armed)
		uring_arm_poll(w);
}

/*
 * The ring does what the seccomp filter cannot see: its operations are not
 * system calls.  It takes only the four operations this file submits, and
 * no registration once enabled, so a worker taken over through a parsing
 * bug cannot open files or sockets through it.  0 or -errno.
 */
static int
uring_restrict(struct io_uring *ring)
{
	static const uint8_t ops[] = {IORING_OP_RECVMSG, IORING_OP_SENDMSG, IORING_OP_POLL_ADD,
				      IORING_OP_ASYNC_CANCEL};
	struct io_uring_restriction res[sizeof(ops) + 1];
	int ret;

	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < sizeof(ops); i++) {
		res[i].opcode = IORING_RESTRICTION_SQE_OP;
		res[i].sqe_op = ops[i];
	}
	/* and only the SQE flags it sets */
	res[sizeof(ops)].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[sizeof(ops)].sqe_flags = IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	/* liburing 2.3 declares io_uring_register_restrictions and
	 * io_uring_enable_rings but does not export them */
	if (syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_RESTRICTIONS, res,
		    (unsigned)(sizeof(ops) + 1)) < 0 ||
	    syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0)
		ret = -errno;
	else
		ret = 0;
	return ret;
}

/* Sets the ring up after fork; false (logged) means: use recvmmsg. */
static bool
uring_init(struct dns_worker *w)
{
	struct io_uring_params p;
	struct io_uring_buf_reg reg;
	int fds[WORKER_LISTEN_MAX], ret;
	const char *why = NULL;

	memset(&p, 0, sizeof(p));
	/* made disabled: the ring takes submissions only once restricted */
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_R_DISABLED;
	p.cq_entries = 4 * URING_NBUFS;
	if ((ret = io_uring_queue_init_params(URING_NBUFS, &w->ring, &p)) < 0) {
		why = "io_uring_setup";
		goto fail_noring;
	}
	for (size_t a = 0; a < w->nudp; a++)
		fds[a] = w->udp[a];
	if ((ret = io_uring_register_files(&w->ring, fds, (unsigned)w->nudp)) < 0) {
		why = "register files";
		goto fail;
	}
	w->br = mmap(NULL, URING_NBUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	w->rbufs = malloc((size_t)URING_NBUFS * URING_RBUF);
	w->sbufs = malloc((size_t)URING_NBUFS * UDP_BUF);
	w->smsg = calloc(URING_NBUFS, sizeof(*w->smsg));
	w->siov = calloc(URING_NBUFS, sizeof(*w->siov));
	w->sctrl = calloc(URING_NBUFS, sizeof(*w->sctrl));
	if (w->br == MAP_FAILED || !w->rbufs || !w->sbufs || !w->smsg || !w->siov || !w->sctrl) {
		if (w->br == MAP_FAILED)
			w->br = NULL;
		ret = -ENOMEM;
		why = "buffers";
		goto fail;
	}
	io_uring_buf_ring_init(w->br);
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)w->br;
	reg.ring_entries = URING_NBUFS;
	reg.bgid = URING_BGID;
	if ((ret = io_uring_register_buf_ring(&w->ring, &reg, 0)) < 0) {
		why = "provided-buffer ring";
		goto fail;
	}
	if ((ret = uring_restrict(&w->ring)) < 0) {
		why = "restrictions";
		goto fail;
	}
	w->freed = 0;
	for (unsigned i = 0; i < URING_NBUFS; i++)
		uring_give_back(w, i);
	io_uring_buf_ring_advance(w->br, (int)w->freed);
	w->freed = 0;
	memset(&w->rmsg, 0, sizeof(w->rmsg));
	w->rmsg.msg_namelen = sizeof(struct sockaddr_storage);
	w->rmsg.msg_controllen = UDP_CTRL;
	for (unsigned i = 0; i < w->nudp; i++) {
		epoll_ctl(w->ep, EPOLL_CTL_DEL, w->udp[i], NULL); /* the ring reads them now */
		uring_arm_recv(w, i);
	}
	uring_arm_poll(w);
	return true;
fail:
	io_uring_queue_exit(&w->ring);
fail_noring:
	log_info("io_uring unavailable (%s: %s): serving UDP with recvmmsg", why, strerror(-ret));
	return false;
}

/* SIGTERM on the io_uring path: stop receiving (the multishot reads end). */
static void
uring_drain(struct dns_worker *w)
{
	for (unsigned i = 0; i < w->nudp; i++) {
		struct io_uring_sqe *sqe = uring_sqe(w);
		io_uring_prep_cancel64(sqe, TAG_RECV | i, 0);
		io_uring_sqe_set_data64(sqe, 0);
	}
}

/* ------------------------------------------------------------------ setup */

static int
worker_epoll_add(struct dns_worker *w, int fd, enum ev_kind kind, uint32_t idx)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV_KEY(kind, idx)};
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn("epoll_ctl add");
		return -1;
	}
	return 0;
}

/* Takes this worker's sockets from the listen set and closes the others. */
static int
worker_sockets(struct dns_worker *w)
{
	const struct listen_set *ls = w->args->ls;
	size_t id = w->args->id;

	w->nudp = ls->naddr;
	if (w->nudp > WORKER_LISTEN_MAX)
		return -1;
	for (size_t wk = 0; wk < ls->nworkers; wk++) {
		for (size_t a = 0; a < ls->naddr; a++) {
			size_t k = wk * ls->naddr + a;
			if (wk != id) {
				close(ls->udp[k]);
				close(ls->tcp[k]);
				continue;
			}
			w->udp[a] = ls->udp[k];
			w->udp_pktinfo[a] = ls->wildcard[a];
			w->tcp_listen[a] = ls->tcp[k];
		}
	}
	if (ls->http >= 0)
		close(ls->http);
	w->link = -1;
	for (size_t wk = 0; wk < ls->nworkers; wk++) {
		close(ls->link_wr[wk]);
		if (wk == id)
			w->link = ls->link_dns[wk];
		else
			close(ls->link_dns[wk]);
	}
	if (w->link >= 0) {
		if (worker_epoll_add(w, w->link, EV_LINK, 0) < 0)
			return -1;
		w->ctx.forward_ok = true;
	}
	for (size_t a = 0; a < w->nudp; a++) {
		if (worker_epoll_add(w, w->udp[a], EV_UDP, (uint32_t)a) < 0 ||
		    worker_epoll_add(w, w->tcp_listen[a], EV_LISTEN, (uint32_t)a) < 0)
			return -1;
	}
	return 0;
}

/*
 * Room for the whole pool within RLIMIT_NOFILE (raising the soft limit up to
 * the hard one if needed), else a smaller pool: an accept that fails with
 * EMFILE leaves the listening socket readable and the loop spinning.
 */
static void
worker_fd_room(struct dns_worker *w)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)w->maxconns + WORKER_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
	/* may fail: the pool then fits what the process has */
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return;
	w->maxconns = rl.rlim_cur > WORKER_FD_RESERVE + 1 ? (uint32_t)(rl.rlim_cur - WORKER_FD_RESERVE)
							  : 1;
	log_warnx("open files limit %llu: %u TCP connections per worker instead of "
		  "dns.tcp_max_connections (%u)",
		  (unsigned long long)rl.rlim_cur, w->maxconns,
		  w->args->cfg->dns.tcp_max_connections);
}

static int
worker_init(struct dns_worker *w, const struct worker_args *a)
{
	sigset_t sigs;

	memset(w, 0, sizeof(*w));
	w->args = a;
	w->stats = &a->stats->w[a->id];
	w->maxconns = a->cfg->dns.tcp_max_connections;
	w->max_per_addr = a->cfg->dns.tcp_max_per_address;
	w->idle_ms = a->cfg->dns.tcp_idle_timeout;
	worker_fd_room(w);
	if (dns_answer_ctx_init(&w->ctx, a->table, a->cfg->dns.udp_payload, w->stats) < 0)
		return -1;
	w->ctx.pools = a->pools;
	w->ctx.pool_report_max_age_ms = a->cfg->pools.report_max_age * 1000u;
	w->ctx.cookies = &a->cfg->dns.cookies.keys;
	w->ctx.rrl = a->rrl;
	w->ctx.rrl_cfg = &a->cfg->dns.rrl.parsed;
	w->inbuf = malloc((size_t)UDP_BATCH * UDP_BUF);
	w->outbuf = malloc((size_t)UDP_BATCH * UDP_BUF);
	w->tcp_out = malloc(TCP_OUT_CAP);
	w->linkbuf = malloc(LINK_PAYLOAD_MAX);
	w->conns = calloc(w->maxconns, sizeof(*w->conns));
	/* virtual until touched: a connection's buffer costs memory only once used */
	w->tcp_in_pool = malloc((size_t)w->maxconns * TCP_IN_CAP);
	if (!w->inbuf || !w->outbuf || !w->tcp_out || !w->conns || !w->tcp_in_pool || !w->linkbuf)
		return -1;
	for (uint32_t i = 0; i < w->maxconns; i++) {
		w->conns[i].fd = -1;
		w->conns[i].in = w->tcp_in_pool + (size_t)i * TCP_IN_CAP;
	}
	for (unsigned i = 0; i < UDP_BATCH; i++) {
		w->iov_in[i].iov_base = w->inbuf + (size_t)i * UDP_BUF;
		w->iov_in[i].iov_len = UDP_BUF;
		w->in[i].msg_hdr.msg_name = &w->peer[i];
		w->in[i].msg_hdr.msg_iov = &w->iov_in[i];
		w->in[i].msg_hdr.msg_iovlen = 1;
		w->in[i].msg_hdr.msg_control = w->ctrl[i];
	}
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ep < 0)
		return -1;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	w->sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w->sigfd < 0 || worker_epoll_add(w, w->sigfd, EV_SIGNAL, 0) < 0)
		return -1;
	return worker_sockets(w);
}

/* Stop reading new queries; keep serving open TCP connections briefly. */
static void
worker_drain(struct dns_worker *w)
{
	if (w->draining)
		return;
	w->draining = true;
	w->drain_deadline = util_now_ms() + DRAIN_MS;
	for (size_t a = 0; a < w->nudp; a++) {
		epoll_ctl(w->ep, EPOLL_CTL_DEL, w->udp[a], NULL);
		epoll_ctl(w->ep, EPOLL_CTL_DEL, w->tcp_listen[a], NULL);
	}
}

static void
worker_signal(struct dns_worker *w)
{
	struct signalfd_siginfo si;

	while (read(w->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			worker_drain(w);
	}
}

/* Handles what epoll has ready (waiting up to timeout ms); returns the event count. */
static int
epoll_round(struct dns_worker *w, int timeout)
{
	struct epoll_event evs[EPOLL_EVENTS];
	int n = epoll_wait(w->ep, evs, EPOLL_EVENTS, timeout);

	for (int i = 0; i < n; i++) {
		uint32_t kind = (uint32_t)(evs[i].data.u64 >> 32);
		uint32_t idx = (uint32_t)evs[i].data.u64;
		switch (kind) {
		case EV_UDP:
			udp_serve(w, idx);
			break;
		case EV_LISTEN:
			tcp_accept(w, w->tcp_listen[idx]);
			break;
		case EV_CONN:
			tcp_conn_event(w, idx, evs[i].events);
			break;
		case EV_SIGNAL:
			worker_signal(w);
			break;
		case EV_LINK:
			link_serve(w);
			break;
		default:
			break;
		}
	}
	return n;
}

int
dns_worker_main(const struct worker_args *a)
{
	static struct dns_worker w; /* large; lives for the whole process */
	uint64_t last_sweep = 0;
	const char *io = a->cfg->dns.io ? a->cfg->dns.io : "auto";

	if (worker_init(&w, a) < 0) {
		log_warn("worker start-up");
		return 1;
	}
	if (strcmp(io, "recvmmsg") != 0)
		w.uring = uring_init(&w);
	w.stats->io_uring = w.uring;
	log_info("serving UDP with %s", w.uring ? "io_uring" : "recvmmsg");
	if (proc_sandbox(SANDBOX_DNS, &w.stats->sandbox_denied) < 0)
		return 1;
	for (;;) {
		uint64_t now;
		bool was_draining = w.draining;

		if (w.uring)
			uring_round(&w);
		else
			epoll_round(&w, worker_ticking(&w) ? SWEEP_MS : -1);
		if (w.uring && w.draining && !was_draining)
			uring_drain(&w);
		if (!worker_ticking(&w))
			continue;
		now = util_now_ms();
		if (w.accept_resume_ms != 0 && now >= w.accept_resume_ms) {
			w.accept_resume_ms = 0;
			if (!w.draining) /* a drain took them out of the set */
				tcp_listen_arm(&w, true);
		}
		if (w.draining && (w.nconns == 0 || now >= w.drain_deadline))
			break;
		if (now - last_sweep >= SWEEP_MS) {
			tcp_sweep(&w, now);
			tcp_note_flush(&w, now);
			last_sweep = now;
		}
	}
	if (w.uring)
		io_uring_queue_exit(&w.ring);
	log_debug("drained, exiting");
	return 0;
}
