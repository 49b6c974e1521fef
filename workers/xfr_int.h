/*
 * xfr_int.h - private to the DNS service of the writer process (xfr*.c):
 * its state and the helpers its files share.  xfr.h is the public face.
 *
 *   xfr.c            requests from the links and TCP, replies, start/stop
 *   xfr_out.c        AXFR and IXFR to secondaries (RFC 5936, RFC 1995)
 *   xfr_update.c     RFC 2136 UPDATE: TSIG policy and the write
 *   xfr_notify.c     NOTIFY in and out (RFC 1996)
 *   xfr_secondary.c  refreshing secondary zones from their primary
 */
#ifndef DD_WORKERS_XFR_INT_H
#define DD_WORKERS_XFR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/util.h>

#include "dns/answer.h"
#include "dns/dname.h"
#include "dns/rr.h"
#include "dns/tsig.h"
#include "workers/link.h"

struct bufferevent;
struct dns_pkt;
struct evbuffer;
struct event;
struct shm_worker_stats;
struct wctx;

#define XFR_MSG_MAX     16384   /* bytes per transfer message */
#define TSIG_ROOM       400     /* kept free in a message for its TSIG */
#define NOTIFY_RETRY_MS 1000    /* first retry; doubles up to NOTIFY_RETRY_MAX_MS */
#define NOTIFY_RETRY_MAX_MS 30000
#define NOTIFY_TRIES    10
#define SEC_TIMEOUT_MS  3000    /* each network wait of a secondary refresh */
#define CONN_IDLE_S     30
#define CONN_MAX        64      /* TCP connections the writer holds at once */

struct xfr;

/* A TCP connection a DNS worker handed over. */
struct xconn {
	struct xfr *x;
	struct bufferevent *bev;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct axfr_job *job;    /* an AXFR being streamed; requests wait behind it */
	struct xconn *next;
};

/* One NOTIFY target of one zone. */
struct ntarget {
	struct xfr *x;
	unsigned zone;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char text[96];
	uint16_t id;
	uint64_t sent_ms;   /* when the NOTIFY in flight went out */
	bool inflight;      /* sent, not yet acknowledged */
	bool dirty;         /* the serial moved since the NOTIFY in flight */
	unsigned tries;
	struct event *timer;
};

/* What a transfer from the primary gave (AXFR, or IXFR in either form). */
struct axfr_in {
	struct writer_rr *rr;   /* full zone (AXFR, or IXFR answered in AXFR form) */
	struct writer_diff *d;  /* incremental changes, in order */
	char **strs;            /* owned names and values */
	size_t n, nd, nstrs;
	char soa[2 * DNS_DNAME_STR_MAX + 64];
	char ns[4096];
	uint32_t serial;        /* the primary's */
	unsigned nsoa, nrr;
	bool done;
	bool ixfr;              /* we asked IXFR from serial ours */
	uint32_t ours;
	int mode;               /* 0 not known yet, 1 incremental, 2 whole zone, 3 up to date */
	int phase;              /* incremental: 0 removals, 1 additions */
	uint32_t cur_new;       /* incremental: the serial the current change leads to */
};

/* A secondary zone's primary. */
struct secondary {
	struct xfr *x;
	unsigned zone;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char text[96];
	struct event *timer;
	/* the refresh in progress */
	bool busy, again, loaded, last_signed;
	int fd;                 /* SOA query socket */
	struct event *ev;
	struct bufferevent *bev; /* AXFR connection */
	struct tsig_ctx tc;
	uint16_t id;
	struct axfr_in a;
};

struct xfr {
	struct wctx *ctx;           /* the writer process's, borrowed */
	const struct cfg *cfg;
	struct tsig_key *keys;
	size_t nkeys;
	int *links;
	struct event **link_ev;
	size_t nlinks;
	struct link_hdr lh;
	uint8_t *in;        /* LINK_PAYLOAD_MAX */
	uint8_t *out;       /* DNS_MSG_MAX */
	struct dns_answer_ctx actx;
	struct xconn *conns;
	unsigned nconns;
	int nsock[2];       /* NOTIFY sockets: IPv4, IPv6 */
	struct event *nev[2];
	struct ntarget *nt;
	size_t nnt;
	struct secondary *sec;
	size_t nsec;
	struct shm_worker_stats *st; /* the HTTP worker's counters */
	struct held *held, **held_tail; /* UPDATE replies waiting for the commit */
};

/*
 * Where replies go: one UDP datagram, or length-prefixed TCP messages; and
 * how to send one later (an UPDATE's reply waits for its commit): through
 * the DNS worker's link with the request's header, or on the connection.
 */
struct sink {
	struct evbuffer *tcp;
	uint8_t *udp;
	size_t udp_len;
	size_t udp_cap;               /* 0: DNS_MSG_MAX */
	bool tcp_mode;
	int link_fd;
	const struct link_hdr *lh;
	struct bufferevent *bev;
	struct xconn *conn;           /* a TCP connection of the writer's own */
};


/* An UPDATE's reply, held until the group of writes it joined is committed. */
struct held {
	struct held *next;
	int link_fd;
	struct link_hdr h;
	struct bufferevent *bev;  /* a reference is held */
	size_t len, fail_len;     /* msg: the reply, then the SERVFAIL to send instead */
	uint8_t msg[];
};



/* --- xfr.c ------------------------------------------------------------ */

uint64_t xfr_now_s(void);
/* Adds one message to s (UDP: only the first that fits). */
void xfr_sink_emit(struct sink *s, const uint8_t *msg, size_t len);
/* The address of sa as text (IPv4-mapped IPv6 as IPv4) into out. */
void xfr_peer_text(const struct sockaddr *sa, char *out, size_t outsz);
/* The loaded key of tsig: name, or NULL. */
const struct tsig_key *xfr_key_by_name(const struct xfr *x, const char *name);
/* Signs msg (in an x->out-sized buffer) when the exchange is signed, then emits it. */
void xfr_emit_signed(struct xfr *x, struct sink *s, struct tsig_ctx *tc, uint8_t *msg, size_t len);
/* Header + the request's question + rcode; signed when tc says so. */
void xfr_reply_simple(struct xfr *x, struct sink *s, const struct dns_pkt *p, struct tsig_ctx *tc,
		      unsigned rcode, bool aa);
/* An UPDATE's reply: now, or held until the open group of writes is committed. */
void xfr_reply_update(struct xfr *x, struct sink *s, const struct dns_pkt *p, struct tsig_ctx *tc,
		      unsigned rcode);
/* The zone whose apex the question names, or -1. */
int xfr_apex_zone(struct xfr *x, const struct dns_pkt *p);
/* A handed-over TCP connection's callbacks, and its end. */
void xfr_conn_read(struct bufferevent *bev, void *arg);
void xfr_conn_event(struct bufferevent *bev, short what, void *arg);
void xfr_conn_free(struct xconn *c);
/* A connection's idle limits: CONN_IDLE_S without a request or a write. */
void xfr_conn_idle(struct xconn *c);

/* --- xfr_out.c -------------------------------------------------------- */

/* Presentation owner name -> lower-case wire name; its length or -1. */
int xfr_owner_wire(const char *name, uint8_t *out);
/* AXFR or IXFR p (over TCP) from peer, checked against the zone's ACL and key. */
void xfr_transfer(struct xfr *x, struct sink *s, const struct dns_pkt *p, const uint8_t *q,
		  size_t qlen, const struct sockaddr *peer, struct tsig_ctx *tc);
/* Ends an AXFR being streamed (its connection stays). */
struct axfr_job;
void xfr_axfr_job_free(struct axfr_job *j);

/* --- xfr_update.c ----------------------------------------------------- */

/* RFC 2136 UPDATE p from peer, signed per tc: applied or refused; returns the rcode. */
unsigned xfr_update(struct xfr *x, const struct dns_pkt *p, const uint8_t *q, size_t qlen,
		    const struct tsig_ctx *tc, const struct sockaddr *peer);

/* --- xfr_notify.c ----------------------------------------------------- */

/* NOTIFY p from peer: a secondary zone's primary makes it refresh; returns the rcode. */
unsigned xfr_notify_in(struct xfr *x, const struct dns_pkt *p, const struct sockaddr *peer,
		       const struct tsig_ctx *tc);
/* The commit hook: zone z's serial moved, NOTIFY its targets. */
void xfr_on_commit(void *arg, unsigned z);
/* Answers to our NOTIFYs, and the retry timer of one target. */
void xfr_notify_reply(evutil_socket_t fd, short what, void *arg);
void xfr_notify_timeout(evutil_socket_t fd, short what, void *arg);
bool xfr_same_addr(const struct sockaddr *a, const struct sockaddr_storage *b);

/* --- xfr_secondary.c -------------------------------------------------- */

/* "ADDR:PORT" (the last colon splits) -> address; 0 or -1. */
int xfr_peer_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len);
/* The refresh timer of a secondary zone, and a refresh in ms. */
void xfr_sec_refresh(evutil_socket_t fd, short what, void *arg);
void xfr_sec_refresh_soon(struct secondary *s, unsigned ms);
/* Frees what a refresh in progress holds (at stop). */
void xfr_sec_fini(struct secondary *s);

#endif
