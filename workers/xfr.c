/*
 * xfr.c - the writer process's DNS service (see xfr.h).
 *
 * Runs on the HTTP worker's libevent loop, in the one process that writes:
 * an UPDATE is applied between two HTTP requests, never beside one, and a
 * zone transfer reads the database while nothing else can change it, so
 * every AXFR and IXFR is one consistent snapshot.
 */
#include "workers/xfr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <sodium.h>
#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/proc.h"
#include "daemon/util.h"
#include "dns/answer.h"
#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "dns/tsig.h"
#include "daemon/clientip.h"
#include "workers/wctx.h"
#include "shm/stats.h"
#include "shm/table.h"
#include "workers/link.h"
#include "workers/writer.h"

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

static uint64_t
now_s(void)
{
	return (uint64_t)time(NULL);
}

static void
sink_emit(struct sink *s, const uint8_t *msg, size_t len)
{
	if (s->tcp_mode) {
		uint8_t pre[2] = {(uint8_t)(len >> 8), (uint8_t)len};
		evbuffer_add(s->tcp, pre, 2);
		evbuffer_add(s->tcp, msg, len);
	} else if (s->udp_len == 0 && len <= (s->udp_cap ? s->udp_cap : DNS_MSG_MAX)) {
		memcpy(s->udp, msg, len);
		s->udp_len = len;
	}
}

static void
peer_text(const struct sockaddr *sa, char *out, size_t outsz)
{
	out[0] = '\0';
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)outsz);
	else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)outsz);
		else
			inet_ntop(AF_INET6, a, out, (socklen_t)outsz);
	}
}

static const struct tsig_key *
key_by_name(const struct xfr *x, const char *name)
{
	for (size_t i = 0; name && i < x->nkeys; i++)
		if (strcmp(x->cfg->tsig[i].name, name) == 0)
			return &x->keys[i];
	return NULL;
}

/* Signs msg (in x->out-sized buffer) when the exchange is signed, then emits it. */
static void
emit_signed(struct xfr *x, struct sink *s, struct tsig_ctx *tc, uint8_t *msg, size_t len)
{
	if (tc && (tc->key || tc->error)) {
		if (tsig_sign_reply(tc, msg, &len, DNS_MSG_MAX, now_s()) < 0)
			log_warnx("cannot sign a reply: dropped");
		else
			tc->nmsg++;
	}
	(void)x;
	sink_emit(s, msg, len);
}

/* Header + the request's question + rcode; signed when tc says so. */
static void
reply_simple(struct xfr *x, struct sink *s, const struct dns_pkt *p, struct tsig_ctx *tc,
	     unsigned rcode, bool aa)
{
	struct dns_msgb m;
	uint16_t flags = (uint16_t)(DNS_FLAG_QR | (p->flags & (0xf << 11)) | (rcode & 0xf) |
				    (aa ? DNS_FLAG_AA : 0));

	if (dns_msgb_init(&m, x->out, DNS_MSG_MAX - TSIG_ROOM, p->id, flags,
			  p->has_question ? p->qname : NULL, p->qname_len, p->qtype, p->qclass) < 0)
		return;
	emit_signed(x, s, tc, x->out, dns_msgb_finish(&m));
}

/* An UPDATE's reply, held until the group of writes it joined is committed. */
struct held {
	struct held *next;
	int link_fd;
	struct link_hdr h;
	struct bufferevent *bev;  /* a reference is held */
	size_t len, fail_len;     /* msg: the reply, then the SERVFAIL to send instead */
	uint8_t msg[];
};

#define HELD_BATCH 64

/*
 * The group is committed (or not): every held reply leaves, the UDP ones
 * through their link with one sendmmsg per batch of up to HELD_BATCH.
 */
static void
held_flush(void *arg, int rc)
{
	struct xfr *x = arg;
	struct held *list = x->held, *batch[HELD_BATCH];
	struct mmsghdr mm[HELD_BATCH];
	struct iovec iov[HELD_BATCH][2];
	size_t nb = 0;

	x->held = NULL;
	x->held_tail = &x->held;
	while (list || nb) {
		struct held *hd = list;
		bool fail;
		/* a full batch, the end, or another link: send what is gathered */
		if (nb > 0 && (hd == NULL || nb == HELD_BATCH || hd->bev != NULL ||
			       hd->link_fd != batch[0]->link_fd)) {
			size_t sent = 0;
			while (sent < nb) {
				int r = sendmmsg(batch[0]->link_fd, mm + sent, (unsigned)(nb - sent),
						 MSG_DONTWAIT | MSG_NOSIGNAL);
				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0)
					break;
				sent += (size_t)r;
			}
			if (sent < nb)
				log_debug("%zu replies to a DNS worker dropped", nb - sent);
			for (size_t i = 0; i < nb; i++)
				free(batch[i]);
			nb = 0;
			continue;
		}
		list = hd->next;
		fail = rc == DD_EDB && hd->fail_len > 0;
		if (hd->bev) {
			const uint8_t *m = fail ? hd->msg + hd->len : hd->msg;
			size_t n = fail ? hd->fail_len : hd->len;
			uint8_t pre[2] = {(uint8_t)(n >> 8), (uint8_t)n};
			evbuffer_add(bufferevent_get_output(hd->bev), pre, 2);
			evbuffer_add(bufferevent_get_output(hd->bev), m, n);
			bufferevent_decref(hd->bev);
			free(hd);
			continue;
		}
		hd->h.len = (uint32_t)(fail ? hd->fail_len : hd->len);
		iov[nb][0] = (struct iovec){.iov_base = &hd->h, .iov_len = sizeof(hd->h)};
		iov[nb][1] = (struct iovec){.iov_base = fail ? hd->msg + hd->len : hd->msg,
					    .iov_len = hd->h.len};
		memset(&mm[nb], 0, sizeof(mm[nb]));
		mm[nb].msg_hdr.msg_iov = iov[nb];
		mm[nb].msg_hdr.msg_iovlen = 2;
		batch[nb++] = hd;
	}
}

static void reply_simple(struct xfr *x, struct sink *s, const struct dns_pkt *p,
			 struct tsig_ctx *tc, unsigned rcode, bool aa);

/*
 * The reply to an UPDATE: sent now when no group of writes is open, else
 * held for the commit (with a SERVFAIL beside a NOERROR, sent instead if the
 * commit fails: the client must not believe in a change that was not kept).
 */
static void
reply_update(struct xfr *x, struct sink *s, const struct dns_pkt *p, struct tsig_ctx *tc,
	     unsigned rcode)
{
	uint8_t ok[DNS_UDP_MIN + TSIG_ROOM], bad[DNS_UDP_MIN + TSIG_ROOM];
	struct sink so = {.udp = ok, .udp_cap = sizeof(ok)}, sb = {.udp = bad, .udp_cap = sizeof(bad)};
	struct tsig_ctx saved;
	struct held *hd;

	if (!writer_group_open(x->ctx->writer) || (s->bev == NULL && s->lh == NULL)) {
		reply_simple(x, s, p, tc, rcode, false);
		return;
	}
	if (tc)
		saved = *tc;
	reply_simple(x, &so, p, tc, rcode, false);
	if (rcode == DNS_RCODE_NOERROR) {
		if (tc)
			*tc = saved;
		reply_simple(x, &sb, p, tc, DNS_RCODE_SERVFAIL, false);
	}
	if (so.udp_len == 0 || (hd = malloc(sizeof(*hd) + so.udp_len + sb.udp_len)) == NULL) {
		reply_simple(x, s, p, tc, rcode, false);
		return;
	}
	hd->next = NULL;
	hd->link_fd = s->link_fd;
	if (s->lh)
		hd->h = *s->lh;
	hd->bev = s->bev;
	hd->len = so.udp_len;
	hd->fail_len = sb.udp_len;
	memcpy(hd->msg, ok, so.udp_len);
	memcpy(hd->msg + so.udp_len, bad, sb.udp_len);
	if (hd->bev)
		bufferevent_incref(hd->bev);
	/* one after-commit call sends all the group's replies */
	if (x->held == NULL && writer_after_commit(x->ctx->writer, held_flush, x) < 0) {
		/* out of memory: no reply rather than one before the commit */
		log_warnx("UPDATE reply dropped: out of memory");
		if (hd->bev)
			bufferevent_decref(hd->bev);
		free(hd);
		return;
	}
	*x->held_tail = hd;
	x->held_tail = &hd->next;
}

/* ---------------------------------------------------------------- records */

/* Presentation owner name -> lower-case wire name. */
static int
owner_wire(const char *name, uint8_t *out)
{
	int n = dns_dname_from_str(name, out, DNS_DNAME_MAX);
	if (n > 0)
		dns_dname_lower(out, out, (size_t)n);
	return n;
}

/* A transfer being written: messages of at most XFR_MSG_MAX, each signed. */
struct xout {
	struct xfr *x;
	struct sink *s;
	struct tsig_ctx *tc;
	const struct dns_pkt *p;
	struct dns_msgb m;
	bool first;
	int err;
};

static void
xout_begin(struct xout *o)
{
	uint16_t flags = (uint16_t)(DNS_FLAG_QR | DNS_FLAG_AA);
	dns_msgb_init(&o->m, o->x->out, XFR_MSG_MAX - TSIG_ROOM, o->p->id, flags,
		      o->first ? o->p->qname : NULL, o->p->qname_len, o->p->qtype, o->p->qclass);
	o->first = false;
}

static void
xout_flush(struct xout *o)
{
	emit_signed(o->x, o->s, o->tc, o->x->out, dns_msgb_finish(&o->m));
}

static void
xout_rr(struct xout *o, const uint8_t *owner, size_t olen, uint16_t type, uint32_t ttl,
	const uint8_t *rd, size_t rdlen)
{
	if (dns_msgb_rr(&o->m, DNS_SEC_AN, owner, olen, type, DNS_CLASS_IN, ttl, rd, rdlen) == 0)
		return;
	xout_flush(o);
	xout_begin(o);
	if (dns_msgb_rr(&o->m, DNS_SEC_AN, owner, olen, type, DNS_CLASS_IN, ttl, rd, rdlen) < 0)
		o->err = DD_ETOOBIG;
}

/* One stored record (text columns) into the transfer; unknown types are skipped. */
static void
xout_text(struct xout *o, const char *name, const char *type, const char *value, uint32_t ttl)
{
	uint8_t owner[DNS_DNAME_MAX], rd[DNS_RDATA_MAX];
	int olen = owner_wire(name, owner);
	int t = dns_type_from_str(type);
	int rdlen;

	if (olen < 0 || t <= 0)
		return;
	rdlen = dns_rdata_from_text((uint16_t)t, value, rd, sizeof(rd));
	if (rdlen < 0)
		return;
	xout_rr(o, owner, (size_t)olen, (uint16_t)t, ttl, rd, (size_t)rdlen);
}

static void
xout_soa(struct xout *o, const struct shm_zone_copy *zc, uint32_t serial)
{
	uint8_t rd[2 * DNS_DNAME_MAX + 20];
	size_t n = dns_soa_rdata(&zc->soa, serial, rd);
	xout_rr(o, zc->apex, zc->apex_len, DNS_TYPE_SOA, zc->soa.ttl, rd, n);
}

/*
 * An AXFR over one of the writer's TCP connections is streamed: its rows
 * come from a read transaction on a connection of its own (one snapshot,
 * however long the client takes), AXFR_SLICE_ROWS at a time, with the
 * writer's other work in between; while more than AXFR_HIGH_WATER bytes
 * wait for the client, the next slice waits for them to drain to
 * AXFR_LOW_WATER.  Before, a whole zone was read and queued in one go:
 * updates waited for it (0.6 s at 1M names) and so did its memory.
 */
#define AXFR_SLICE_ROWS 4096
#define AXFR_HIGH_WATER (1024 * 1024)
#define AXFR_LOW_WATER  (256 * 1024)

struct axfr_job {
	struct xfr *x;
	struct xconn *c;
	sqlite3 *db;
	sqlite3_stmt *st;
	struct dns_pkt p;
	struct tsig_ctx tc;
	unsigned z;
	struct shm_zone_copy zc;
	struct event *ev;
	struct sink s;
	struct xout o;
};

static void xconn_read(struct bufferevent *bev, void *arg);
static void xconn_event(struct bufferevent *bev, short what, void *arg);
static void xconn_free(struct xconn *c);

/* A connection's idle limits: CONN_IDLE_S without a request or a write. */
static void
xconn_idle(struct xconn *c)
{
	struct timeval idle = {CONN_IDLE_S, 0};
	bufferevent_set_timeouts(c->bev, &idle, &idle);
}

static void
axfr_job_free(struct axfr_job *j)
{
	if (j->c)
		j->c->job = NULL;
	sqlite3_finalize(j->st);
	sqlite3_close(j->db);
	if (j->ev)
		event_free(j->ev);
	free(j);
}

static void axfr_slice(struct axfr_job *j);

static void
axfr_next(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	axfr_slice(arg);
}

/* The client took enough of the transfer: the next slice. */
static void
axfr_drained(struct bufferevent *bev, void *arg)
{
	struct xconn *c = arg;

	bufferevent_setcb(bev, xconn_read, NULL, xconn_event, c);
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	if (c->job)
		axfr_slice(c->job);
}

static void
axfr_slice(struct axfr_job *j)
{
	struct xout *o = &j->o;
	struct xconn *c = j->c;
	unsigned n = 0;
	int r = SQLITE_ROW;
	bool start = o->first;

	xout_begin(o); /* each slice writes whole messages: x->out is shared */
	if (start) {
		xout_soa(o, &j->zc, j->zc.soa.serial);
		for (unsigned i = 0; i < j->zc.ns_count; i++)
			xout_rr(o, j->zc.apex, j->zc.apex_len, DNS_TYPE_NS, j->zc.ns_ttl, j->zc.ns[i],
				j->zc.ns_len[i]);
	}
	while (n < AXFR_SLICE_ROWS && o->err == 0 && (r = sqlite3_step(j->st)) == SQLITE_ROW) {
		xout_text(o, (const char *)sqlite3_column_text(j->st, 0),
			  (const char *)sqlite3_column_text(j->st, 1),
			  (const char *)sqlite3_column_text(j->st, 2),
			  (uint32_t)sqlite3_column_int64(j->st, 3));
		n++;
	}
	if (o->err == 0 && r == SQLITE_ROW) {
		xout_flush(o);
		if (evbuffer_get_length(j->s.tcp) > AXFR_HIGH_WATER) {
			bufferevent_setwatermark(c->bev, EV_WRITE, AXFR_LOW_WATER, 0);
			bufferevent_setcb(c->bev, xconn_read, axfr_drained, xconn_event, c);
		} else {
			event_active(j->ev, EV_TIMEOUT, 0);
		}
		return;
	}
	if (o->err || r != SQLITE_DONE) {
		/* a secondary must not take part of a zone for all of it: it asks again */
		log_warnx("AXFR of %s: %s; connection closed", j->x->cfg->zones[j->z].name,
			  o->err ? dd_strerror(o->err) : sqlite3_errmsg(j->db));
		xconn_free(c);
		return;
	}
	xout_soa(o, &j->zc, j->zc.soa.serial);
	xout_flush(o);
	axfr_job_free(j);
	xconn_idle(c);
	xconn_read(c->bev, c); /* requests that came meanwhile */
}

/*
 * Starts streaming an AXFR of zone z (serial zc) to the connection behind
 * o; -1 when it cannot be (not a writer's TCP connection, or no read
 * connection).
 */
static int
axfr_stream(struct xout *o, unsigned z, const struct shm_zone_copy *zc)
{
	struct xfr *x = o->x;
	struct xconn *c = o->s->conn;
	struct timeval write_idle = {CONN_IDLE_S, 0};
	struct axfr_job *j;

	if (c == NULL || c->job || (j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	j->x = x;
	j->z = z;
	j->zc = *zc;
	j->p = *o->p;
	if (o->tc)
		j->tc = *o->tc;
	j->s = *o->s;
	j->o = (struct xout){.x = x, .s = &j->s, .tc = o->tc ? &j->tc : NULL, .p = &j->p,
			     .first = o->first};
	if (writer_reader_open(x->ctx->writer, &j->db) < 0 ||
	    sqlite3_prepare_v2(j->db,
			       "SELECT name, type, value, coalesce(ttl, ?2) FROM records WHERE "
			       "dd_zone(name) = ?1 UNION ALL SELECT name, type, value, ttl FROM "
			       "pool_rrs WHERE xfr_up = 1 AND dd_zone(name) = ?1",
			       -1, &j->st, NULL) != SQLITE_OK ||
	    (j->ev = event_new(x->ctx->base, -1, 0, axfr_next, j)) == NULL) {
		axfr_job_free(j);
		return -1;
	}
	/* the read transaction starts now, before anything else is committed: it
	 * is the snapshot zc comes from; the slices run from the event loop */
	if (sqlite3_exec(j->db, "BEGIN; SELECT count(*) FROM zones", NULL, NULL, NULL) != SQLITE_OK) {
		axfr_job_free(j);
		return -1;
	}
	sqlite3_bind_text(j->st, 1, x->cfg->zones[z].name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(j->st, 2, x->cfg->zones[z].ttl);
	j->c = c;
	c->job = j;
	/* a long transfer: the client only reads meanwhile (the write timeout
	 * still ends one that stops reading) */
	bufferevent_set_timeouts(c->bev, NULL, &write_idle);
	event_active(j->ev, EV_TIMEOUT, 0);
	return 0;
}

/* An AXFR that cannot be streamed (no read connection) is refused for now:
 * the secondary asks again, rather than taking a zone read in one go. */
static void
xfr_axfr(struct xout *o, unsigned z, const struct shm_zone_copy *zc)
{
	if (axfr_stream(o, z, zc) == 0)
		return;
	log_warnx("AXFR of %s: cannot be streamed now; SERVFAIL", o->x->cfg->zones[z].name);
	reply_simple(o->x, o->s, o->p, o->tc, DNS_RCODE_SERVFAIL, false);
}

/* One journal transaction: removed rows then added rows. */
struct jrow {
	int op;
	bool cancelled;          /* removed and added alike in the same transaction */
	char *name, *type, *value;
	uint32_t ttl;
};

struct jtxn {
	uint32_t from, to;
	struct jrow *rows;
	size_t n, cap;
};

static void
jtxn_rows_free(struct jtxn *t)
{
	for (size_t k = 0; k < t->n; k++) {
		free(t->rows[k].name);
		free(t->rows[k].type);
		free(t->rows[k].value);
	}
	free(t->rows);
}

static void
jtxns_free(struct jtxn *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		jtxn_rows_free(&t[i]);
	free(t);
}

static int
jrow_cmp(const void *a, const void *b)
{
	const struct jrow *x = *(const struct jrow *const *)a, *y = *(const struct jrow *const *)b;
	int c = strcmp(x->name, y->name);

	if (c == 0)
		c = strcmp(x->type, y->type);
	if (c == 0)
		c = strcmp(x->value, y->value);
	if (c == 0)
		c = x->ttl < y->ttl ? -1 : x->ttl > y->ttl;
	return c;
}

/*
 * Marks the rows of t that are removed and added alike (same name, type,
 * value and TTL) within t: neither goes out.  Sorted, so a transaction of
 * a whole zone's rows costs n log n.
 */
static int
jtxn_cancel(struct jtxn *t)
{
	struct jrow **v;
	size_t i = 0;

	if (t->n < 2)
		return 0;
	if ((v = malloc(t->n * sizeof(*v))) == NULL)
		return -1;
	for (size_t k = 0; k < t->n; k++)
		v[k] = &t->rows[k];
	qsort(v, t->n, sizeof(*v), jrow_cmp);
	while (i < t->n) {
		size_t j = i + 1;
		bool ops[2] = {false, false};
		ops[v[i]->op != 0] = true;
		while (j < t->n && jrow_cmp(&v[i], &v[j]) == 0)
			ops[v[j++]->op != 0] = true;
		for (size_t k = i; k < j && ops[0] && ops[1]; k++)
			v[k]->cancelled = true;
		i = j;
	}
	free(v);
	return 0;
}

/* Reverses a[0..n) of elements of size sz in place. */
static void
reverse(void *a, size_t n, size_t sz)
{
	char tmp[sizeof(struct jtxn) > sizeof(struct jrow) ? sizeof(struct jtxn) : sizeof(struct jrow)];
	char *p = a;

	for (size_t i = 0; i < n / 2; i++) {
		memcpy(tmp, p + i * sz, sz);
		memcpy(p + i * sz, p + (n - 1 - i) * sz, sz);
		memcpy(p + (n - 1 - i) * sz, tmp, sz);
	}
}

/*
 * The journal of zone z from serial `from` to `to` as a chain of
 * transactions; returns the count, or -1 when the journal does not reach
 * back to from (or is broken): the caller falls back to AXFR.  The journal
 * is read newest first and only back to the latest transaction leaving
 * `from`: a secondary a few changes behind costs those changes, not the
 * whole journal.
 */
static long
journal_chain(struct xfr *x, unsigned z, uint32_t from, uint32_t to, struct jtxn **out)
{
	sqlite3 *h = db_sqlite(writer_db(x->ctx->writer));
	sqlite3_stmt *st = NULL;
	struct jtxn *t = NULL;
	size_t n = 0, cap = 0;
	bool found = false, failed = false;
	int64_t defttl = x->cfg->zones[z].ttl;

	*out = NULL;
	if (db_prep(h,
			       "SELECT from_serial, serial, op, name, type, value, coalesce(ttl, ?2) "
			       "FROM journal WHERE zone = ?1 AND serial IS NOT NULL ORDER BY id DESC",
			       &st) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, x->cfg->zones[z].name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, defttl);
	while (!failed && sqlite3_step(st) == SQLITE_ROW) {
		uint32_t f = (uint32_t)sqlite3_column_int64(st, 0);
		uint32_t s = (uint32_t)sqlite3_column_int64(st, 1);
		struct jtxn *g;
		struct jrow *r;
		if (n == 0 || t[n - 1].from != f || t[n - 1].to != s) {
			if (found)
				break; /* the latest transaction leaving `from` is whole */
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				if ((g = realloc(t, cap * sizeof(*t))) == NULL) {
					failed = true;
					break;
				}
				t = g;
			}
			memset(&t[n], 0, sizeof(t[n]));
			t[n].from = f;
			t[n].to = s;
			found = f == from;
			n++;
		}
		g = &t[n - 1];
		if (g->n == g->cap) {
			size_t c = g->cap ? 2 * g->cap : 8;
			if ((r = realloc(g->rows, c * sizeof(*r))) == NULL) {
				failed = true;
				break;
			}
			g->rows = r;
			g->cap = c;
		}
		r = &g->rows[g->n++];
		memset(r, 0, sizeof(*r));
		r->op = sqlite3_column_int(st, 2);
		r->name = strdup((const char *)sqlite3_column_text(st, 3));
		r->type = strdup((const char *)sqlite3_column_text(st, 4));
		r->value = strdup((const char *)sqlite3_column_text(st, 5));
		r->ttl = (uint32_t)sqlite3_column_int64(st, 6);
		failed = r->name == NULL || r->type == NULL || r->value == NULL;
	}
	sqlite3_reset(st);
	if (!found || failed) {
		jtxns_free(t, n);
		return -1;
	}
	/* oldest first, and each transaction's rows in the order they came */
	reverse(t, n, sizeof(*t));
	for (size_t i = 0; i < n; i++) {
		reverse(t[i].rows, t[i].n, sizeof(*t[i].rows));
		if (jtxn_cancel(&t[i]) < 0) {
			jtxns_free(t, n);
			return -1;
		}
	}
	/* check the chain is continuous up to `to` */
	for (size_t i = 1; i < n; i++)
		if (t[i].from != t[i - 1].to) {
			jtxns_free(t, n);
			return -1;
		}
	if (t[n - 1].to != to) {
		jtxns_free(t, n);
		return -1;
	}
	*out = t;
	return (long)n;
}

static void
xfr_ixfr(struct xout *o, unsigned z, const struct shm_zone_copy *zc, uint32_t client)
{
	struct jtxn *t = NULL;
	long n;

	if (!dns_serial_gt(zc->soa.serial, client)) {
		/* up to date (or ahead of us): the current SOA alone */
		xout_begin(o);
		xout_soa(o, zc, zc->soa.serial);
		xout_flush(o);
		return;
	}
	n = journal_chain(o->x, z, client, zc->soa.serial, &t);
	if (n < 0) {
		log_debug("IXFR %s from %u: journal does not reach back; full transfer",
			  o->x->cfg->zones[z].name, client);
		xfr_axfr(o, z, zc);
		return;
	}
	xout_begin(o);
	xout_soa(o, zc, zc->soa.serial);
	for (long i = 0; i < n && o->err == 0; i++) {
		for (int op = 0; op < 2; op++) {
			xout_soa(o, zc, op == 0 ? t[i].from : t[i].to);
			for (size_t k = 0; k < t[i].n; k++)
				if (t[i].rows[k].op == op && !t[i].rows[k].cancelled)
					xout_text(o, t[i].rows[k].name, t[i].rows[k].type,
						  t[i].rows[k].value, t[i].rows[k].ttl);
		}
	}
	xout_soa(o, zc, zc->soa.serial);
	xout_flush(o);
	jtxns_free(t, (size_t)n);
}

/* The serial in the SOA of an IXFR request's authority section. */
static int
ixfr_client_serial(const uint8_t *q, size_t qlen, const struct dns_pkt *p, uint32_t *serial)
{
	size_t pos = p->ns_off, rd;
	uint16_t type, rdlen;
	uint8_t nm[DNS_DNAME_MAX];
	size_t nl;

	if (p->nscount < 1 ||
	    dns_pkt_skip_rr(q, qlen, &pos, &type, NULL, NULL, &rdlen, &rd) < 0 ||
	    type != DNS_TYPE_SOA)
		return DD_EFORMERR;
	pos = rd;
	if (dns_dname_parse(q, qlen, &pos, nm, &nl, NULL) < 0 ||
	    dns_dname_parse(q, qlen, &pos, nm, &nl, NULL) < 0 || pos + 4 > rd + rdlen)
		return DD_EFORMERR;
	*serial = (uint32_t)q[pos] << 24 | (uint32_t)q[pos + 1] << 16 | (uint32_t)q[pos + 2] << 8 |
		  q[pos + 3];
	return 0;
}

/* Zone slot whose apex is exactly the question name, or -1. */
static int
apex_zone(struct xfr *x, const struct dns_pkt *p)
{
	int z = shm_zone_find(x->ctx->table, p->lname, p->qname_len);
	struct shm_zone_copy zc;

	if (z < 0 || shm_zone_get(x->ctx->table, (unsigned)z, &zc) < 0 ||
	    !dns_dname_equal(zc.apex, zc.apex_len, p->lname, p->qname_len))
		return -1;
	return z;
}

static bool
transfer_allowed(struct xfr *x, unsigned z, const struct sockaddr *peer,
		 const struct tsig_ctx *tc)
{
	const struct cfg_zone *cz = &x->cfg->zones[z];
	char addr[INET6_ADDRSTRLEN];

	if (cz->ntransfer_allow == 0 && cz->transfer_tsig == NULL)
		return false; /* no transfers unless configured */
	peer_text(peer, addr, sizeof(addr));
	if (cz->ntransfer_allow > 0 &&
	    !clientip_in_list(addr, cz->transfer_allow, cz->ntransfer_allow))
		return false;
	if (cz->transfer_tsig && (tc == NULL || tc->key != key_by_name(x, cz->transfer_tsig)))
		return false;
	return true;
}

static void
xfr_transfer(struct xfr *x, struct sink *s, const struct dns_pkt *p, const uint8_t *q,
	     size_t qlen, const struct sockaddr *peer, struct tsig_ctx *tc)
{
	int z = apex_zone(x, p);
	struct shm_zone_copy zc;
	struct xout o = {.x = x, .s = s, .tc = tc, .p = p, .first = true};
	char addr[INET6_ADDRSTRLEN];
	uint32_t client = 0;

	peer_text(peer, addr, sizeof(addr));
	/* a transfer is one committed snapshot: the open group goes first */
	writer_group_commit(x->ctx->writer);
	if (z < 0) {
		reply_simple(x, s, p, tc, DNS_RCODE_NOTAUTH, false);
		return;
	}
	if (!transfer_allowed(x, (unsigned)z, peer, tc)) {
		log_info("%s of %s from %s refused", p->qtype == DNS_TYPE_AXFR ? "AXFR" : "IXFR",
			 x->cfg->zones[z].name, addr);
		x->st->xfr_refused++;
		reply_simple(x, s, p, tc, DNS_RCODE_REFUSED, false);
		return;
	}
	if (shm_zone_get(x->ctx->table, (unsigned)z, &zc) < 0) {
		reply_simple(x, s, p, tc, DNS_RCODE_SERVFAIL, false);
		return;
	}
	if (p->qtype == DNS_TYPE_IXFR && ixfr_client_serial(q, qlen, p, &client) < 0) {
		reply_simple(x, s, p, tc, DNS_RCODE_FORMERR, false);
		return;
	}
	if (!s->tcp_mode) {
		/* RFC 1995 2: over UDP, the current SOA tells the client to use TCP; AXFR
		 * is TCP only (RFC 5936 4.2) */
		if (p->qtype == DNS_TYPE_AXFR) {
			reply_simple(x, s, p, tc, DNS_RCODE_REFUSED, false);
			return;
		}
		xout_begin(&o);
		xout_soa(&o, &zc, zc.soa.serial);
		xout_flush(&o);
		return;
	}
	if (p->qtype == DNS_TYPE_AXFR) {
		log_info("AXFR of %s serial %u to %s", x->cfg->zones[z].name, zc.soa.serial, addr);
		xfr_axfr(&o, (unsigned)z, &zc);
		x->st->xfr_out[0]++;
	} else {
		log_info("IXFR of %s from serial %u to %u to %s", x->cfg->zones[z].name, client,
			 zc.soa.serial, addr);
		xfr_ixfr(&o, (unsigned)z, &zc, client);
		x->st->xfr_out[1]++;
	}
	if (o.err)
		log_warnx("transfer of %s to %s: %s", x->cfg->zones[z].name, addr,
			  dd_strerror(o.err));
}

/* ---------------------------------------------------------------- UPDATE */

/* One RR of a request section. */
struct rr_in {
	uint8_t owner[DNS_DNAME_MAX];
	size_t owner_len;
	char name[DNS_DNAME_STR_MAX];
	uint16_t type, rclass, rdlen;
	uint32_t ttl;
	size_t rd;
};

static int
rr_read(const uint8_t *q, size_t qlen, size_t *pos, struct rr_in *r)
{
	size_t p0 = *pos;
	if (dns_dname_parse(q, qlen, &p0, r->owner, &r->owner_len, NULL) < 0)
		return DD_EFORMERR;
	dns_dname_lower(r->owner, r->owner, r->owner_len);
	if (dns_pkt_skip_rr(q, qlen, pos, &r->type, &r->rclass, &r->ttl, &r->rdlen, &r->rd) < 0)
		return DD_EFORMERR;
	if (dns_dname_to_str(r->owner, r->owner_len, r->name, sizeof(r->name), false) < 0)
		return DD_EFORMERR;
	return 0;
}

/*
 * RDATA of r (inside msg) as stored text.  Names in CNAME and NS RDATA may be
 * compressed against the rest of the message (nsupdate and other primaries
 * do that), so they are read with the whole message at hand.
 */
static int
rr_text(const uint8_t *msg, size_t len, const struct rr_in *r, char *out, size_t outsz)
{
	if (r->type == DNS_TYPE_CNAME || r->type == DNS_TYPE_NS) {
		uint8_t nm[DNS_DNAME_MAX];
		size_t nl, pos = r->rd;
		if (dns_dname_parse(msg, len, &pos, nm, &nl, NULL) < 0 || pos != r->rd + r->rdlen)
			return DD_EFORMERR;
		dns_dname_lower(nm, nm, nl);
		return dns_dname_to_str(nm, nl, out, outsz, false);
	}
	return dns_rdata_to_text(r->type, msg + r->rd, r->rdlen, out, outsz);
}

/* Working RRset of an update: the stored values, then each operation applied. */
struct wset {
	char *name;
	uint16_t type;
	char **v;
	size_t n;
	char **orig;
	size_t norig;
	int64_t ttl, orig_ttl;
};

struct upd {
	struct xfr *x;
	struct wset *s;
	size_t n;
};

static void
upd_free(struct upd *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->s[i].name);
		util_strv_free(u->s[i].v, u->s[i].n);
		util_strv_free(u->s[i].orig, u->s[i].norig);
	}
	free(u->s);
}

static const char *const upd_types[] = {"A", "AAAA", "TXT", "CNAME"};

/* Stored values of name/type (pools count as A/AAAA). */
static int
stored_values(struct xfr *x, const char *name, uint16_t type, char ***out, size_t *n,
	      int64_t *ttl)
{
	sqlite3 *h = db_sqlite(writer_db(x->ctx->writer));
	sqlite3_stmt *st = NULL;
	char tb[16];
	const char *ts = dns_type_to_str(type, tb);

	*out = NULL;
	*n = 0;
	*ttl = -1;
	if (db_prep(h,
			       "SELECT value, ttl FROM records WHERE name = ?1 AND type = ?2 UNION ALL "
			       "SELECT value, ttl FROM pool_rrs WHERE name = ?1 AND type = ?2", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ts, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char **g = realloc(*out, (*n + 1) * sizeof(char *));
		if (g == NULL)
			break;
		*out = g;
		(*out)[(*n)++] = strdup((const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			*ttl = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return 0;
}

static bool
name_in_use(struct xfr *x, const char *name, unsigned z)
{
	sqlite3 *h = db_sqlite(writer_db(x->ctx->writer));
	sqlite3_stmt *st = NULL;
	bool used = false;

	if (strcmp(name, x->cfg->zones[z].name) == 0)
		return true; /* SOA and NS */
	if (db_prep(h,
			       "SELECT 1 FROM records WHERE name = ?1 UNION ALL SELECT 1 FROM pools "
			       "WHERE name = ?1 LIMIT 1", &st) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		used = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_reset(st);
	return used;
}

static struct wset *
upd_set(struct upd *u, const char *name, uint16_t type)
{
	struct wset *g;

	for (size_t i = 0; i < u->n; i++)
		if (u->s[i].type == type && strcmp(u->s[i].name, name) == 0)
			return &u->s[i];
	g = realloc(u->s, (u->n + 1) * sizeof(*g));
	if (g == NULL)
		return NULL;
	u->s = g;
	g = &u->s[u->n];
	memset(g, 0, sizeof(*g));
	if ((g->name = strdup(name)) == NULL)
		return NULL;
	g->type = type;
	stored_values(u->x, name, type, &g->orig, &g->norig, &g->orig_ttl);
	g->ttl = g->orig_ttl;
	for (size_t i = 0; i < g->norig; i++) {
		char **v = realloc(g->v, (g->n + 1) * sizeof(char *));
		if (v == NULL)
			break;
		g->v = v;
		g->v[g->n++] = strdup(g->orig[i]);
	}
	u->n++;
	return g;
}

static bool
strs_has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Does the key's policy let it change name/type? */
static bool
policy_allows(const struct cfg_tsig *k, const char *name, uint16_t type)
{
	char tb[16];
	const char *ts = dns_type_to_str(type, tb);
	bool ok = k->nupdate_names == 0;

	if (!k->update_policy)
		return true;
	for (size_t i = 0; i < k->nupdate_names && !ok; i++) {
		const char *pat = k->update_names[i];
		if (strncmp(pat, "*.", 2) == 0) {
			size_t nl = strlen(name), pl = strlen(pat + 1); /* ".suffix" */
			ok = nl > pl && strcmp(name + nl - pl, pat + 1) == 0;
		} else {
			ok = strcmp(name, pat) == 0;
		}
	}
	if (!ok)
		return false;
	if (k->nupdate_types == 0)
		return true;
	for (size_t i = 0; i < k->nupdate_types; i++)
		if (strcmp(k->update_types[i], ts) == 0)
			return true;
	return false;
}

static bool
upd_type_ok(uint16_t type)
{
	return type == DNS_TYPE_A || type == DNS_TYPE_AAAA || type == DNS_TYPE_TXT ||
	       type == DNS_TYPE_CNAME;
}

/* RFC 2136 3.2: prerequisites.  Returns the rcode (0 = all hold). */
static unsigned
upd_prereqs(struct xfr *x, const uint8_t *q, size_t qlen, const struct dns_pkt *p, unsigned z)
{
	size_t pos = p->an_off;
	struct upd vals = {.x = x}; /* value-dependent RRsets, as asked */
	unsigned rc = 0;

	for (unsigned i = 0; i < p->ancount && rc == 0; i++) {
		struct rr_in r;
		if (rr_read(q, qlen, &pos, &r) < 0) {
			rc = DNS_RCODE_FORMERR;
			break;
		}
		if (cfg_zone_of_name(x->cfg, r.name) != (int)z) {
			rc = 10; /* NOTZONE */
			break;
		}
		if (r.ttl != 0) {
			rc = DNS_RCODE_FORMERR;
			break;
		}
		if (r.rclass == DNS_CLASS_ANY || r.rclass == DNS_CLASS_NONE) {
			bool want = r.rclass == DNS_CLASS_ANY;
			bool have;
			if (r.rdlen != 0) {
				rc = DNS_RCODE_FORMERR;
				break;
			}
			if (r.type == DNS_TYPE_ANY) {
				have = name_in_use(x, r.name, z);
				if (have != want)
					rc = want ? DNS_RCODE_NXDOMAIN : 6; /* YXDOMAIN */
			} else {
				char **v;
				size_t n;
				int64_t ttl;
				if (r.type == DNS_TYPE_SOA || r.type == DNS_TYPE_NS)
					have = strcmp(r.name, x->cfg->zones[z].name) == 0;
				else {
					stored_values(x, r.name, r.type, &v, &n, &ttl);
					have = n > 0;
					util_strv_free(v, n);
				}
				if (have != want)
					rc = want ? 8 /* NXRRSET */ : 7 /* YXRRSET */;
			}
		} else if (r.rclass == DNS_CLASS_IN) {
			char text[DNS_RDATA_MAX * 4 + 1];
			struct wset *w = NULL;
			if (rr_text(q, qlen, &r, text, sizeof(text)) < 0) {
				rc = 8; /* a type we never store cannot exist */
				break;
			}
			/* collect the asked set in w->orig-less form: v holds asked values */
			for (size_t k = 0; k < vals.n; k++)
				if (vals.s[k].type == r.type && strcmp(vals.s[k].name, r.name) == 0)
					w = &vals.s[k];
			if (w == NULL) {
				struct wset *g = realloc(vals.s, (vals.n + 1) * sizeof(*g));
				if (g == NULL) {
					rc = DNS_RCODE_SERVFAIL;
					break;
				}
				vals.s = g;
				w = &vals.s[vals.n++];
				memset(w, 0, sizeof(*w));
				w->name = strdup(r.name);
				w->type = r.type;
			}
			if (!strs_has(w->v, w->n, text)) {
				char **v = realloc(w->v, (w->n + 1) * sizeof(char *));
				if (v == NULL) {
					rc = DNS_RCODE_SERVFAIL;
					break;
				}
				w->v = v;
				w->v[w->n++] = strdup(text);
			}
		} else {
			rc = DNS_RCODE_FORMERR;
		}
	}
	/* value-dependent: the stored RRset equals the asked one exactly (3.2.3) */
	for (size_t k = 0; k < vals.n && rc == 0; k++) {
		char **v;
		size_t n;
		int64_t ttl;
		bool same;
		stored_values(x, vals.s[k].name, vals.s[k].type, &v, &n, &ttl);
		same = n == vals.s[k].n;
		for (size_t i = 0; same && i < n; i++)
			same = strs_has(vals.s[k].v, vals.s[k].n, v[i]);
		util_strv_free(v, n);
		if (!same)
			rc = 8; /* NXRRSET */
	}
	upd_free(&vals);
	return rc;
}

/* RFC 2136 3.4: the update section, into working RRsets.  Returns the rcode. */
static unsigned
upd_ops(struct upd *u, const uint8_t *q, size_t qlen, const struct dns_pkt *p, unsigned z,
	const struct cfg_tsig *key)
{
	struct xfr *x = u->x;
	size_t pos = p->ns_off;

	/* 3.4.1: prescan, before anything is applied */
	for (unsigned i = 0; i < p->nscount; i++) {
		struct rr_in r;
		if (rr_read(q, qlen, &pos, &r) < 0)
			return DNS_RCODE_FORMERR;
		if (cfg_zone_of_name(x->cfg, r.name) != (int)z)
			return 10; /* NOTZONE */
		if (r.rclass == DNS_CLASS_IN) {
			if (r.type == DNS_TYPE_ANY || r.type == DNS_TYPE_AXFR ||
			    r.type == DNS_TYPE_IXFR || r.type == DNS_TYPE_MAILA ||
			    r.type == DNS_TYPE_MAILB)
				return DNS_RCODE_FORMERR;
		} else if (r.rclass == DNS_CLASS_ANY) {
			if (r.ttl != 0 || r.rdlen != 0)
				return DNS_RCODE_FORMERR;
		} else if (r.rclass == DNS_CLASS_NONE) {
			if (r.ttl != 0 || r.type == DNS_TYPE_ANY)
				return DNS_RCODE_FORMERR;
		} else {
			return DNS_RCODE_FORMERR;
		}
		if (r.type == DNS_TYPE_SOA || r.type == DNS_TYPE_NS)
			continue; /* the apex is ours: ignored (3.4.2.2 / 3.4.2.4) */
		if (r.type == DNS_TYPE_ANY) {
			for (size_t t = 0; t < 4; t++)
				if (!policy_allows(key, r.name, (uint16_t)dns_type_from_str(upd_types[t])))
					return DNS_RCODE_REFUSED;
			continue;
		}
		if (!upd_type_ok(r.type) || !policy_allows(key, r.name, r.type))
			return DNS_RCODE_REFUSED;
	}
	pos = p->ns_off;
	for (unsigned i = 0; i < p->nscount; i++) {
		struct rr_in r;
		struct wset *w;
		char text[DNS_RDATA_MAX * 4 + 1];

		if (rr_read(q, qlen, &pos, &r) < 0)
			return DNS_RCODE_FORMERR;
		if (r.type == DNS_TYPE_SOA || r.type == DNS_TYPE_NS)
			continue;
		if (r.rclass == DNS_CLASS_ANY && r.type == DNS_TYPE_ANY) {
			/* delete every RRset of the name (the apex keeps SOA and NS) */
			for (size_t t = 0; t < 4; t++) {
				w = upd_set(u, r.name, (uint16_t)dns_type_from_str(upd_types[t]));
				if (w == NULL)
					return DNS_RCODE_SERVFAIL;
				util_strv_free(w->v, w->n);
				w->v = NULL;
				w->n = 0;
			}
			continue;
		}
		if ((w = upd_set(u, r.name, r.type)) == NULL)
			return DNS_RCODE_SERVFAIL;
		if (r.rclass == DNS_CLASS_ANY) {
			util_strv_free(w->v, w->n);
			w->v = NULL;
			w->n = 0;
			continue;
		}
		if (rr_text(q, qlen, &r, text, sizeof(text)) < 0)
			return DNS_RCODE_FORMERR;
		if (r.rclass == DNS_CLASS_NONE) {
			for (size_t k = 0; k < w->n; k++)
				if (strcmp(w->v[k], text) == 0) {
					free(w->v[k]);
					w->v[k] = w->v[--w->n];
					break;
				}
			continue;
		}
		/* add: a CNAME replaces the CNAME (3.4.2.2); the RRset takes the new TTL */
		if (r.type == DNS_TYPE_CNAME) {
			util_strv_free(w->v, w->n);
			w->v = NULL;
			w->n = 0;
		}
		w->ttl = r.ttl;
		if (!strs_has(w->v, w->n, text)) {
			char **v;
			if (w->n >= WRITER_VALUES_MAX)
				return DNS_RCODE_REFUSED;
			if ((v = realloc(w->v, (w->n + 1) * sizeof(char *))) == NULL)
				return DNS_RCODE_SERVFAIL;
			w->v = v;
			w->v[w->n++] = strdup(text);
		}
	}
	return 0;
}

static unsigned
xfr_update(struct xfr *x, const struct dns_pkt *p, const uint8_t *q, size_t qlen,
	   const struct tsig_ctx *tc, const struct sockaddr *peer)
{
	struct upd u = {.x = x};
	struct writer_set *sets = NULL;
	struct writer_result *res = NULL;
	struct writer_actor who = {.source = "rfc2136"};
	char addr[INET6_ADDRSTRLEN], actor[300];
	const struct cfg_tsig *key;
	size_t ns = 0;
	unsigned rc;
	int z, wrc;

	peer_text(peer, addr, sizeof(addr));
	if (tc == NULL || tc->key == NULL) {
		log_info("UPDATE from %s refused: not signed", addr);
		return DNS_RCODE_REFUSED;
	}
	key = &x->cfg->tsig[tc->key - x->keys];
	if (p->qdcount != 1 || p->qtype != DNS_TYPE_SOA)
		return DNS_RCODE_FORMERR;
	if ((z = apex_zone(x, p)) < 0)
		return DNS_RCODE_NOTAUTH;
	if (x->cfg->zones[z].primary) {
		log_info("UPDATE of %s from %s refused: a secondary zone", x->cfg->zones[z].name,
			 addr);
		return DNS_RCODE_REFUSED;
	}
	if ((rc = upd_prereqs(x, q, qlen, p, (unsigned)z)) != 0)
		return rc;
	if ((rc = upd_ops(&u, q, qlen, p, (unsigned)z, key)) != 0) {
		if (rc == DNS_RCODE_REFUSED)
			log_info("UPDATE of %s from %s refused by the policy of key %s",
				 x->cfg->zones[z].name, addr, key->name);
		upd_free(&u);
		return rc;
	}
	sets = calloc(u.n + 1, sizeof(*sets));
	res = calloc(u.n + 1, sizeof(*res));
	if (sets == NULL || res == NULL) {
		rc = DNS_RCODE_SERVFAIL;
		goto done;
	}
	for (size_t i = 0; i < u.n; i++) {
		struct wset *w = &u.s[i];
		sets[ns].name = w->name;
		sets[ns].type = w->type;
		sets[ns].values = (const char *const *)w->v;
		sets[ns].nvalues = w->n;
		sets[ns].ttl = w->ttl;
		ns++;
	}
	snprintf(actor, sizeof(actor), "tsig:%s", key->name);
	who.actor = actor;
	who.client = addr;
	wrc = writer_apply(x->ctx->writer, &who, sets, ns, res);
	for (size_t i = 0; i < ns; i++)
		writer_result_fini(&res[i]);
	switch (wrc) {
	case 0:
	case DD_ENOSPC:
		rc = 0;
		break;
	case DD_EEXIST:
	case DD_EINVAL:
		rc = DNS_RCODE_REFUSED;
		break;
	default:
		rc = DNS_RCODE_SERVFAIL;
		break;
	}
	log_info("UPDATE of %s from %s with key %s: %s", x->cfg->zones[z].name, addr, key->name,
		 rc == 0 ? "applied" : "failed");
done:
	free(sets);
	free(res);
	upd_free(&u);
	return rc;
}

/* ---------------------------------------------------------------- NOTIFY */

static void sec_refresh_soon(struct secondary *s, unsigned ms);

static bool
same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	char x1[INET6_ADDRSTRLEN], x2[INET6_ADDRSTRLEN];
	peer_text(a, x1, sizeof(x1));
	peer_text((const struct sockaddr *)b, x2, sizeof(x2));
	return strcmp(x1, x2) == 0;
}

/* A NOTIFY for one of our secondary zones: refresh now. */
static unsigned
xfr_notify_in(struct xfr *x, const struct dns_pkt *p, const struct sockaddr *peer,
	      const struct tsig_ctx *tc)
{
	int z = apex_zone(x, p);
	char addr[INET6_ADDRSTRLEN];

	peer_text(peer, addr, sizeof(addr));
	if (z < 0)
		return DNS_RCODE_NOTAUTH;
	for (size_t i = 0; i < x->nsec; i++) {
		struct secondary *s = &x->sec[i];
		const char *kn = x->cfg->zones[z].transfer_tsig;
		if (s->zone != (unsigned)z)
			continue;
		if (!same_addr(peer, &s->ss) ||
		    (kn && (tc == NULL || tc->key != key_by_name(x, kn)))) {
			log_info("NOTIFY for %s from %s ignored: not its primary", x->cfg->zones[z].name,
				 addr);
			return DNS_RCODE_REFUSED;
		}
		log_info("NOTIFY for %s from %s", x->cfg->zones[z].name, addr);
		sec_refresh_soon(s, 0);
		return DNS_RCODE_NOERROR;
	}
	return DNS_RCODE_NOTAUTH;
}

/* Sends (or resends) the NOTIFY of target t with the zone's current serial. */
static void
notify_send(struct ntarget *t)
{
	struct xfr *x = t->x;
	struct shm_zone_copy zc;
	struct dns_msgb m;
	struct tsig_ctx tc;
	const struct tsig_key *key = key_by_name(x, x->cfg->zones[t->zone].transfer_tsig);
	uint8_t buf[1024], rd[2 * DNS_DNAME_MAX + 20];
	size_t len;
	int fam = t->ss.ss_family == AF_INET6 ? 1 : 0;
	unsigned delay;
	struct timeval tv;

	if (shm_zone_get(x->ctx->table, t->zone, &zc) < 0 || x->nsock[fam] < 0)
		return;
	randombytes_buf(&t->id, sizeof(t->id));
	dns_msgb_init(&m, buf, sizeof(buf) - TSIG_ROOM, t->id,
		      (uint16_t)((DNS_OPCODE_NOTIFY << 11) | DNS_FLAG_AA), zc.apex, zc.apex_len,
		      DNS_TYPE_SOA, DNS_CLASS_IN);
	dns_msgb_rr(&m, DNS_SEC_AN, zc.apex, zc.apex_len, DNS_TYPE_SOA, DNS_CLASS_IN, zc.soa.ttl,
		    rd, dns_soa_rdata(&zc.soa, zc.soa.serial, rd));
	len = dns_msgb_finish(&m);
	if (key && tsig_sign_request(&tc, key, buf, &len, sizeof(buf), now_s()) < 0)
		return;
	if (sendto(x->nsock[fam], buf, len, 0, (struct sockaddr *)&t->ss, t->sslen) < 0)
		log_warn("NOTIFY %s to %s", x->cfg->zones[t->zone].name, t->text);
	else
		x->st->notify_sent++;
	t->inflight = true;
	t->dirty = false;
	t->sent_ms = util_now_ms();
	delay = NOTIFY_RETRY_MS << (t->tries < 5 ? t->tries : 5);
	if (delay > NOTIFY_RETRY_MAX_MS)
		delay = NOTIFY_RETRY_MAX_MS;
	t->tries++;
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(t->timer, &tv);
}

static void
notify_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct ntarget *t = arg;
	(void)fd;
	(void)what;
	if (!t->inflight)
		return;
	if (t->tries >= NOTIFY_TRIES) {
		log_warnx("NOTIFY %s to %s: no answer after %u tries; given up until the next change",
			  t->x->cfg->zones[t->zone].name, t->text, t->tries);
		t->inflight = false;
		t->tries = 0;
		t->x->st->notify_given_up++;
		return;
	}
	notify_send(t);
}

/* The writer committed a change to zone z. */
static void
xfr_on_commit(void *arg, unsigned z)
{
	struct xfr *x = arg;

	for (size_t i = 0; i < x->nnt; i++) {
		struct ntarget *t = &x->nt[i];
		if (t->zone != z)
			continue;
		if (t->inflight && t->tries <= 1 && util_now_ms() - t->sent_ms < NOTIFY_RETRY_MS) {
			t->dirty = true; /* coalesced: sent again once this one is answered */
			continue;
		}
		/* idle, or waiting on back-off for a secondary that did not answer: a
		 * new serial goes out now, so one that comes back hears of it at once */
		if (t->inflight)
			evtimer_del(t->timer);
		t->tries = 0;
		notify_send(t);
	}
}

static void
notify_reply(evutil_socket_t fd, short what, void *arg)
{
	struct xfr *x = arg;
	uint8_t buf[4096];
	(void)what;

	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		uint16_t id;
		if (n < 0)
			return;
		if (n < DNS_HDR_LEN || !(buf[2] & 0x80))
			continue;
		id = (uint16_t)(buf[0] << 8 | buf[1]);
		for (size_t i = 0; i < x->nnt; i++) {
			struct ntarget *t = &x->nt[i];
			if (!t->inflight || t->id != id || !same_addr((struct sockaddr *)&from, &t->ss))
				continue;
			evtimer_del(t->timer);
			t->inflight = false;
			t->tries = 0;
			x->st->notify_acked++;
			if ((buf[3] & 0xf) != 0)
				log_warnx("NOTIFY %s to %s: rcode %d", x->cfg->zones[t->zone].name,
					  t->text, buf[3] & 0xf);
			else
				log_debug("NOTIFY %s to %s acknowledged", x->cfg->zones[t->zone].name,
					  t->text);
			if (t->dirty)
				notify_send(t);
		}
	}
}

/* ---------------------------------------------------------------- secondary */

static int
peer_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[96];
	const char *colon = strrchr(text, ':');
	unsigned port;

	if (colon == NULL || sscanf(colon + 1, "%u", &port) != 1 || port > 65535)
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
	if (host[0] == '[') {
		size_t l = strlen(host);
		if (l < 2 || host[l - 1] != ']')
			return -1;
		memmove(host, host + 1, l - 2);
		host[l - 2] = '\0';
	}
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	*len = sizeof(*a);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

/* Builds a query for the zone apex (SOA or AXFR), signed when key is set. */
static size_t
sec_query(struct secondary *s, uint16_t type, const struct tsig_key *key, struct tsig_ctx *tc,
	  uint8_t *buf, size_t cap, uint16_t *id, const struct shm_zone_copy *ours)
{
	uint8_t apex[DNS_DNAME_MAX], rd[2 * DNS_DNAME_MAX + 20];
	int alen = owner_wire(s->x->cfg->zones[s->zone].name, apex);
	struct dns_msgb m;
	size_t len;

	randombytes_buf(id, sizeof(*id));
	if (alen < 0 || dns_msgb_init(&m, buf, cap - TSIG_ROOM, *id, 0, apex, (size_t)alen, type,
				      DNS_CLASS_IN) < 0)
		return 0;
	/* IXFR: the version we have, in the authority section (RFC 1995 3) */
	if (ours && dns_msgb_rr(&m, DNS_SEC_NS, apex, (size_t)alen, DNS_TYPE_SOA, DNS_CLASS_IN,
				ours->soa.ttl, rd, dns_soa_rdata(&ours->soa, ours->soa.serial, rd)) < 0)
		return 0;
	len = dns_msgb_finish(&m);
	if (key && tsig_sign_request(tc, key, buf, &len, cap, now_s()) < 0)
		return 0;
	return len;
}

/* The serial in the SOA answer of a reply to our SOA query; 0 or -1. */
static int
soa_reply_serial(const uint8_t *buf, size_t n, uint32_t *serial)
{
	size_t pos = DNS_HDR_LEN, rd, nl;
	uint16_t type, rdlen;
	uint8_t nm[DNS_DNAME_MAX];

	if (n < DNS_HDR_LEN || (buf[3] & 0xf) != 0 || (buf[6] << 8 | buf[7]) < 1)
		return -1;
	if (dns_dname_parse(buf, n, &pos, nm, &nl, NULL) < 0 || pos + 4 > n)
		return -1;
	pos += 4;
	if (dns_pkt_skip_rr(buf, n, &pos, &type, NULL, NULL, &rdlen, &rd) < 0 ||
	    type != DNS_TYPE_SOA)
		return -1;
	pos = rd;
	if (dns_dname_parse(buf, n, &pos, nm, &nl, NULL) < 0 ||
	    dns_dname_parse(buf, n, &pos, nm, &nl, NULL) < 0 || pos + 4 > rd + rdlen)
		return -1;
	*serial = (uint32_t)buf[pos] << 24 | (uint32_t)buf[pos + 1] << 16 |
		  (uint32_t)buf[pos + 2] << 8 | buf[pos + 3];
	return 0;
}

static char *
ain_keep(struct axfr_in *a, const char *s)
{
	char **g = realloc(a->strs, (a->nstrs + 1) * sizeof(char *));
	if (g == NULL)
		return NULL;
	a->strs = g;
	return a->strs[a->nstrs++] = strdup(s);
}

/* A record of the stream as a stored row (full zone or one change). */
static int
ain_add(struct secondary *s, struct axfr_in *a, const struct rr_in *r, const char *text, int op)
{
	const char *name = ain_keep(a, r->name), *value = ain_keep(a, text);

	if (name == NULL || value == NULL)
		return -1;
	if (op >= 0) {
		struct writer_diff *g = realloc(a->d, (a->nd + 1) * sizeof(*g));
		if (g == NULL)
			return -1;
		a->d = g;
		a->d[a->nd++] = (struct writer_diff){
			.op = op, .name = name, .type = r->type, .value = value, .ttl = r->ttl};
	} else {
		struct writer_rr *g = realloc(a->rr, (a->n + 1) * sizeof(*g));
		if (g == NULL)
			return -1;
		a->rr = g;
		a->rr[a->n++] = (struct writer_rr){
			.name = name, .type = r->type, .value = value, .ttl = r->ttl};
	}
	(void)s;
	return 0;
}

/* SOA RDATA of r: the serial, and "MNAME RNAME REFRESH RETRY EXPIRE MINIMUM" into text. */
static int
ain_soa(const uint8_t *msg, size_t len, const struct rr_in *r, uint32_t *serial, char *text,
	size_t textsz)
{
	size_t p2 = r->rd, ml, rl;
	uint8_t mn[DNS_DNAME_MAX], rn[DNS_DNAME_MAX];
	char ms[DNS_DNAME_STR_MAX], rs[DNS_DNAME_STR_MAX];
	const uint8_t *f;

	if (dns_dname_parse(msg, len, &p2, mn, &ml, NULL) < 0 ||
	    dns_dname_parse(msg, len, &p2, rn, &rl, NULL) < 0 || p2 + 20 > r->rd + r->rdlen)
		return -1;
	f = msg + p2;
	*serial = (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 | (uint32_t)f[2] << 8 | f[3];
	dns_dname_lower(mn, mn, ml);
	dns_dname_lower(rn, rn, rl);
	dns_dname_to_str(mn, ml, ms, sizeof(ms), false);
	dns_dname_to_str(rn, rl, rs, sizeof(rs), false);
	snprintf(text, textsz, "%s %s %u %u %u %u", ms, rs,
		 (unsigned)((uint32_t)f[4] << 24 | (uint32_t)f[5] << 16 | (uint32_t)f[6] << 8 | f[7]),
		 (unsigned)((uint32_t)f[8] << 24 | (uint32_t)f[9] << 16 | (uint32_t)f[10] << 8 | f[11]),
		 (unsigned)((uint32_t)f[12] << 24 | (uint32_t)f[13] << 16 | (uint32_t)f[14] << 8 |
			    f[15]),
		 (unsigned)((uint32_t)f[16] << 24 | (uint32_t)f[17] << 16 | (uint32_t)f[18] << 8 |
			    f[19]));
	return 0;
}

/*
 * One message of the transfer stream into a.  AXFR: SOA, records, SOA.
 * IXFR (RFC 1995 4): SOA(new), then either the whole zone as for AXFR, or
 * per change SOA(old) removals SOA(next) additions, closed by SOA(new); a
 * lone SOA not ahead of ours means we are current.
 */
static int
ain_message(struct secondary *s, struct axfr_in *a, const uint8_t *msg, size_t len)
{
	const char *zone = s->x->cfg->zones[s->zone].name;
	size_t pos = DNS_HDR_LEN;
	unsigned qd = (unsigned)(msg[4] << 8 | msg[5]), an = (unsigned)(msg[6] << 8 | msg[7]);

	if ((msg[3] & 0xf) != 0)
		return -1;
	for (unsigned i = 0; i < qd; i++) {
		uint8_t nm[DNS_DNAME_MAX];
		size_t nl;
		if (dns_dname_parse(msg, len, &pos, nm, &nl, NULL) < 0 || pos + 4 > len)
			return -1;
		pos += 4;
	}
	for (unsigned i = 0; i < an && !a->done; i++) {
		struct rr_in r;
		char text[DNS_RDATA_MAX * 4 + 1];
		if (rr_read(msg, len, &pos, &r) < 0)
			return -1;
		a->nrr++;
		if (r.type == DNS_TYPE_SOA) {
			uint32_t sv;
			char soa[sizeof(a->soa)];
			if (ain_soa(msg, len, &r, &sv, soa, sizeof(soa)) < 0)
				return -1;
			if (a->nsoa++ == 0) {
				a->serial = sv;
				memcpy(a->soa, soa, sizeof(soa));
				continue;
			}
			if (a->nrr == 2 && a->ixfr && sv == a->ours && sv != a->serial) {
				a->mode = 1;
				a->phase = 0;
				continue;
			}
			if (a->mode == 1) {
				if (a->phase == 0) {
					a->cur_new = sv;
					a->phase = 1;
				} else if (sv == a->serial && a->cur_new == a->serial) {
					a->done = true;
				} else {
					a->phase = 0;
				}
				continue;
			}
			a->mode = 2;
			a->done = true; /* the closing SOA of a whole zone */
			continue;
		}
		if (a->nsoa == 0)
			return -1; /* the stream must open with the SOA */
		if (a->mode == 0)
			a->mode = 2;
		if (r.type == DNS_TYPE_NS && strcmp(r.name, zone) == 0) {
			if (a->mode == 1)
				continue; /* apex NS changes wait for the next full transfer */
			if (rr_text(msg, len, &r, text, sizeof(text)) < 0)
				return -1;
			if (strlen(a->ns) + strlen(text) + 2 < sizeof(a->ns)) {
				if (a->ns[0])
					strcat(a->ns, " ");
				strcat(a->ns, text);
			}
			continue;
		}
		if (!upd_type_ok(r.type) || cfg_zone_of_name(s->x->cfg, r.name) != (int)s->zone ||
		    rr_text(msg, len, &r, text, sizeof(text)) < 0)
			continue; /* what we cannot store or serve */
		if (ain_add(s, a, &r, text, a->mode == 1 ? a->phase : -1) < 0)
			return -1;
	}
	if (!a->done && a->ixfr && a->nrr == 1 && !dns_serial_gt(a->serial, a->ours)) {
		a->mode = 3; /* a lone SOA: we are current */
		a->done = true;
	}
	return 0;
}

static void
ain_free(struct axfr_in *a)
{
	util_strv_free(a->strs, a->nstrs);
	free(a->rr);
	free(a->d);
}

/*
 * A refresh runs on the event loop, never blocking it: SOA query over UDP
 * (one try, SEC_TIMEOUT_MS), then when the primary is ahead (or the zone
 * was never transferred) an AXFR over TCP read message by message; the
 * whole zone is stored in one writer transaction at the end.
 */
static void sec_done(struct secondary *s, bool ok);

static const struct tsig_key *
sec_key(struct secondary *s)
{
	return key_by_name(s->x, s->x->cfg->zones[s->zone].transfer_tsig);
}

static void
sec_axfr_store(struct secondary *s)
{
	struct writer_actor who = {.source = "transfer", .actor = "primary", .client = s->text};
	const char *zone = s->x->cfg->zones[s->zone].name;
	size_t removed, added;
	int rc = 0;

	if (s->a.mode == 3) {
		log_debug("zone %s: serial %u is current", zone, s->a.serial);
	} else if (s->a.mode == 1) {
		rc = writer_transfer_diff(s->x->ctx->writer, &who, s->zone, s->a.d, s->a.nd,
					  s->a.serial);
		if (rc == 0)
			log_info("zone %s: IXFR from %s: serial %u -> %u, %zu changes", zone, s->text,
				 s->a.ours, s->a.serial, s->a.nd);
	} else {
		rc = writer_transfer_zone(s->x->ctx->writer, &who, s->zone, s->a.rr, s->a.n,
					  s->a.serial, s->a.soa, s->a.ns, &removed, &added);
		if (rc == 0)
			log_info("zone %s: %s from %s: serial %u, %zu records", zone,
				 s->a.ixfr ? "IXFR (whole zone)" : "AXFR", s->text, s->a.serial, added);
	}
	if (rc < 0)
		log_warnx("zone %s: storing the transfer from %s: %s", zone, s->text, dd_strerror(rc));
	else if (s->a.mode != 3)
		s->x->st->xfr_in++;
	sec_done(s, rc == 0);
}

static void
sec_axfr_read(struct bufferevent *bev, void *arg)
{
	struct secondary *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	const struct tsig_key *key = sec_key(s);
	uint8_t *buf = s->x->in;

	while (!s->a.done) {
		uint8_t pre[2];
		size_t mlen;
		bool tsig = false;
		if (evbuffer_get_length(in) < 2)
			return;
		evbuffer_copyout(in, pre, 2);
		mlen = (size_t)pre[0] << 8 | pre[1];
		if (evbuffer_get_length(in) < 2 + mlen)
			return;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, buf, mlen);
		if (mlen < DNS_HDR_LEN || (uint16_t)(buf[0] << 8 | buf[1]) != s->id) {
			log_warnx("zone %s: transfer from %s: unexpected message",
				  s->x->cfg->zones[s->zone].name, s->text);
			sec_done(s, false);
			return;
		}
		if (key) {
			if (tsig_verify_reply(&s->tc, buf, mlen, now_s(), &tsig) != 0) {
				log_warnx("zone %s: transfer from %s: TSIG verification failed",
					  s->x->cfg->zones[s->zone].name, s->text);
				sec_done(s, false);
				return;
			}
			s->last_signed = tsig;
		}
		if (ain_message(s, &s->a, buf, mlen) < 0) {
			log_warnx("zone %s: transfer from %s: refused or malformed",
				  s->x->cfg->zones[s->zone].name, s->text);
			sec_done(s, false);
			return;
		}
	}
	if (key && !s->last_signed) {
		log_warnx("zone %s: transfer from %s: last message not signed",
			  s->x->cfg->zones[s->zone].name, s->text);
		sec_done(s, false);
		return;
	}
	sec_axfr_store(s);
}

static void
sec_axfr_event(struct bufferevent *bev, short what, void *arg)
{
	struct secondary *s = arg;
	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	log_warnx("zone %s: transfer from %s: %s", s->x->cfg->zones[s->zone].name, s->text,
		  (what & BEV_EVENT_TIMEOUT) ? "timed out" : "connection failed or closed");
	sec_done(s, false);
}

/* AXFR, or IXFR from ours when the zone has been transferred before. */
static void
sec_axfr_start(struct secondary *s, const struct shm_zone_copy *ours)
{
	uint8_t q[2048];
	size_t len = sec_query(s, ours ? DNS_TYPE_IXFR : DNS_TYPE_AXFR, sec_key(s), &s->tc, q + 2,
			       sizeof(q) - 2, &s->id, ours);
	struct timeval tmo = {SEC_TIMEOUT_MS / 1000, (SEC_TIMEOUT_MS % 1000) * 1000};

	memset(&s->a, 0, sizeof(s->a));
	s->a.ixfr = ours != NULL;
	s->a.ours = ours ? ours->soa.serial : 0;
	s->last_signed = false;
	s->bev = bufferevent_socket_new(s->x->ctx->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (len == 0 || s->bev == NULL) {
		sec_done(s, false);
		return;
	}
	q[0] = (uint8_t)(len >> 8);
	q[1] = (uint8_t)len;
	bufferevent_setcb(s->bev, sec_axfr_read, NULL, sec_axfr_event, s);
	bufferevent_set_timeouts(s->bev, &tmo, &tmo);
	bufferevent_write(s->bev, q, len + 2);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(s->bev, (struct sockaddr *)&s->ss, (int)s->sslen) < 0) {
		log_warnx("zone %s: cannot connect to %s", s->x->cfg->zones[s->zone].name, s->text);
		sec_done(s, false);
	}
}

static void
sec_soa_reply(evutil_socket_t fd, short what, void *arg)
{
	struct secondary *s = arg;
	const struct cfg_zone *cz = &s->x->cfg->zones[s->zone];
	struct shm_zone_copy zc;
	uint8_t buf[4096];
	uint32_t theirs;
	bool tsig;
	ssize_t n;

	if (what & EV_TIMEOUT) {
		log_warnx("zone %s: no SOA from primary %s", cz->name, s->text);
		sec_done(s, false);
		return;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < DNS_HDR_LEN || (uint16_t)(buf[0] << 8 | buf[1]) != s->id) {
		struct timeval tmo = {SEC_TIMEOUT_MS / 1000, (SEC_TIMEOUT_MS % 1000) * 1000};
		event_add(s->ev, &tmo); /* not ours: keep waiting */
		return;
	}
	if ((sec_key(s) && tsig_verify_reply(&s->tc, buf, (size_t)n, now_s(), &tsig) != 0) ||
	    soa_reply_serial(buf, (size_t)n, &theirs) < 0) {
		log_warnx("zone %s: bad SOA reply from primary %s", cz->name, s->text);
		sec_done(s, false);
		return;
	}
	event_free(s->ev);
	s->ev = NULL;
	close(s->fd);
	s->fd = -1;
	if (!s->loaded || shm_zone_get(s->x->ctx->table, s->zone, &zc) < 0) {
		sec_axfr_start(s, NULL);
		return;
	}
	if (!dns_serial_gt(theirs, zc.soa.serial)) {
		log_debug("zone %s: serial %u is current", cz->name, theirs);
		sec_done(s, true);
		return;
	}
	sec_axfr_start(s, &zc);
}

static void
sec_refresh(evutil_socket_t fd, short what, void *arg)
{
	struct secondary *s = arg;
	uint8_t q[1024];
	size_t len;
	char *soa = NULL, *ns = NULL;
	struct timeval tmo = {SEC_TIMEOUT_MS / 1000, (SEC_TIMEOUT_MS % 1000) * 1000};
	(void)fd;
	(void)what;

	if (s->busy) {
		s->again = true;
		return;
	}
	s->busy = true;
	s->again = false;
	s->loaded = db_zone_meta(writer_db(s->x->ctx->writer), s->x->cfg->zones[s->zone].name,
				 &soa, &ns) == 0;
	free(soa);
	free(ns);
	len = sec_query(s, DNS_TYPE_SOA, sec_key(s), &s->tc, q, sizeof(q), &s->id, NULL);
	s->fd = socket(s->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (len == 0 || s->fd < 0 ||
	    sendto(s->fd, q, len, 0, (struct sockaddr *)&s->ss, s->sslen) < 0 ||
	    (s->ev = event_new(s->x->ctx->base, s->fd, EV_READ, sec_soa_reply, s)) == NULL ||
	    event_add(s->ev, &tmo) < 0) {
		log_warnx("zone %s: cannot ask %s for the SOA", s->x->cfg->zones[s->zone].name,
			  s->text);
		sec_done(s, false);
	}
}

/* End of a refresh: the next one after the SOA's refresh (success) or retry. */
static void
sec_done(struct secondary *s, bool ok)
{
	struct shm_zone_copy zc;
	unsigned next = 10;

	if (s->ev)
		event_free(s->ev);
	s->ev = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->bev)
		bufferevent_free(s->bev);
	s->bev = NULL;
	ain_free(&s->a);
	memset(&s->a, 0, sizeof(s->a));
	s->busy = false;
	if (!ok)
		s->x->st->xfr_in_failed++;
	if (shm_zone_get(s->x->ctx->table, s->zone, &zc) == 0 && (ok || s->loaded))
		next = ok ? zc.soa.refresh : zc.soa.retry;
	if (!ok && !s->again)
		log_info("zone %s: next try in %u s", s->x->cfg->zones[s->zone].name, next);
	sec_refresh_soon(s, s->again ? 0 : next * 1000u);
}

static void
sec_refresh_soon(struct secondary *s, unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	evtimer_del(s->timer);
	evtimer_add(s->timer, &tv);
}

/* ---------------------------------------------------------------- requests */

/* One request from a DNS worker (UDP or TCP); replies go to s. */
static void
xfr_request(struct xfr *x, struct sink *s, const uint8_t *q, size_t qlen,
	    const struct sockaddr *peer)
{
	struct dns_pkt p;
	struct tsig_ctx tc, *tcp = NULL;
	int rc = dns_pkt_parse(&p, q, qlen);
	unsigned op;

	if (rc == DD_EINVAL)
		return;
	if (rc == DD_EFORMERR) {
		size_t n = dns_answer(&x->actx, q, qlen, x->out, DNS_MSG_MAX, s->tcp_mode);
		if (n)
			sink_emit(s, x->out, n);
		return;
	}
	if (p.tsig_off) {
		int v = tsig_verify_request(&tc, x->keys, x->nkeys, q, qlen, p.tsig_off, now_s());
		char addr[INET6_ADDRSTRLEN];
		if (v == DD_EFORMERR || v > 0)
			x->st->tsig_errors++;
		if (v == DD_EFORMERR) {
			reply_simple(x, s, &p, NULL, DNS_RCODE_FORMERR, false);
			return;
		}
		if (v > 0) {
			peer_text(peer, addr, sizeof(addr));
			log_info("TSIG from %s: %s", addr,
				 v == TSIG_RCODE_BADKEY ? "BADKEY"
				 : v == TSIG_RCODE_BADSIG ? "BADSIG"
							  : "BADTIME");
			reply_simple(x, s, &p, &tc, DNS_RCODE_NOTAUTH, false);
			return;
		}
		tcp = &tc;
	}
	op = DNS_OPCODE(p.flags);
	if (op == DNS_OPCODE_UPDATE) {
		unsigned rcode = xfr_update(x, &p, q, qlen, tcp, peer);
		reply_update(x, s, &p, tcp, rcode);
		return;
	}
	if (op == DNS_OPCODE_NOTIFY) {
		unsigned rcode = xfr_notify_in(x, &p, peer, tcp);
		reply_simple(x, s, &p, tcp, rcode, rcode == DNS_RCODE_NOERROR);
		return;
	}
	if (op == DNS_OPCODE_QUERY && (p.qtype == DNS_TYPE_AXFR || p.qtype == DNS_TYPE_IXFR)) {
		xfr_transfer(x, s, &p, q, qlen, peer, tcp);
		return;
	}
	/* a signed ordinary query: answered from the table, then signed */
	{
		uint8_t stripped[DNS_MSG_MAX];
		size_t slen = tcp ? p.tsig_off : qlen, n, cap;
		uint16_t ar;
		memcpy(stripped, q, slen);
		if (tcp) {
			ar = (uint16_t)(stripped[10] << 8 | stripped[11]);
			ar--;
			stripped[10] = (uint8_t)(ar >> 8);
			stripped[11] = (uint8_t)ar;
		}
		cap = s->tcp_mode ? DNS_MSG_MAX - TSIG_ROOM
				  : (p.has_edns && p.edns.udp_size > DNS_UDP_MIN
					     ? (p.edns.udp_size < x->cfg->dns.udp_payload
							? p.edns.udp_size
							: x->cfg->dns.udp_payload)
					     : DNS_UDP_MIN) -
					    (tcp ? TSIG_ROOM / 2 : 0);
		n = dns_answer(&x->actx, stripped, slen, x->out, cap, s->tcp_mode);
		if (n == 0)
			return;
		emit_signed(x, s, tcp, x->out, n);
	}
}

/* ---------------------------------------------------------------- TCP */

static void
xconn_free(struct xconn *c)
{
	struct xfr *x = c->x;

	if (c->job) {
		c->job->c = NULL;
		axfr_job_free(c->job);
		c->job = NULL;
	}
	for (struct xconn **pp = &x->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			x->nconns--;
			break;
		}
	bufferevent_free(c->bev);
	free(c);
}

static void
xconn_read(struct bufferevent *bev, void *arg)
{
	struct xconn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct sink s = {.tcp = bufferevent_get_output(bev), .tcp_mode = true, .bev = bev,
			 .conn = c};

	for (;;) {
		uint8_t pre[2];
		size_t mlen;
		if (c->job || evbuffer_get_length(in) < 2)
			return; /* an AXFR being streamed answers first */
		evbuffer_copyout(in, pre, 2);
		mlen = (size_t)pre[0] << 8 | pre[1];
		if (evbuffer_get_length(in) < 2 + mlen)
			return;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, c->x->in, mlen);
		xfr_request(c->x, &s, c->x->in, mlen, (struct sockaddr *)&c->peer);
	}
}

static void
xconn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		xconn_free(arg);
}

static void
xconn_start(struct xfr *x, int fd, const struct link_hdr *h, const uint8_t *data, size_t len)
{
	struct xconn *c;

	if (x->nconns >= CONN_MAX) {
		/* transfers and UPDATEs over TCP are few; a flood of them must not
		 * take the HTTP API's descriptors */
		log_warnx("more than %d DNS connections in the writer: one closed", CONN_MAX);
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	c->x = x;
	c->peer = h->peer;
	c->peer_len = h->peer_len;
	c->bev = bufferevent_socket_new(x->ctx->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	c->next = x->conns;
	x->conns = c;
	x->nconns++;
	bufferevent_setcb(c->bev, xconn_read, NULL, xconn_event, c);
	xconn_idle(c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (len) {
		/* a socket bufferevent's input takes bytes at its start only */
		evbuffer_prepend(bufferevent_get_input(c->bev), data, len);
		xconn_read(c->bev, c);
	}
}

/* ---------------------------------------------------------------- links */

static void
link_read(evutil_socket_t fd, short what, void *arg)
{
	struct xfr *x = arg;
	uint8_t *data = malloc(LINK_PAYLOAD_MAX);
	uint8_t *udp = malloc(DNS_MSG_MAX);
	(void)what;

	if (data == NULL || udp == NULL)
		goto done;
	for (int k = 0; k < 256; k++) {
		int afd;
		long n = link_recv(fd, &x->lh, data, LINK_PAYLOAD_MAX, &afd);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			continue;
		}
		if (x->lh.kind == LINK_TCP && afd >= 0) {
			xconn_start(x, afd, &x->lh, data, (size_t)n);
			continue;
		}
		if (afd >= 0)
			close(afd);
		if (x->lh.kind == LINK_UDP) {
			struct link_hdr h = x->lh;
			struct sink s = {.udp = udp, .link_fd = (int)fd, .lh = &h};
			xfr_request(x, &s, data, (size_t)n, (struct sockaddr *)&h.peer);
			if (s.udp_len) {
				h.len = (uint32_t)s.udp_len;
				if (link_send((int)fd, &h, udp, -1) < 0)
					log_debug("reply to a DNS worker dropped");
			}
		}
	}
done:
	free(data);
	free(udp);
}

/* ---------------------------------------------------------------- start/stop */

static int
xfr_keys(struct xfr *x)
{
	x->nkeys = x->cfg->ntsig;
	if (x->nkeys == 0)
		return 0;
	x->keys = calloc(x->nkeys, sizeof(*x->keys));
	if (x->keys == NULL)
		return -1;
	for (size_t i = 0; i < x->nkeys; i++) {
		const struct cfg_tsig *t = &x->cfg->tsig[i];
		if (tsig_key_init(&x->keys[i], t->name, t->algorithm, t->secret, t->secret_len) < 0) {
			log_warnx("tsig key %s: unusable", t->name);
			return -1;
		}
	}
	return 0;
}

static int
xfr_targets(struct xfr *x)
{
	size_t n = 0, ns = 0;

	for (size_t z = 0; z < x->cfg->nzones; z++) {
		n += x->cfg->zones[z].ntransfer_notify;
		ns += x->cfg->zones[z].primary != NULL;
	}
	x->nt = calloc(n + 1, sizeof(*x->nt));
	x->sec = calloc(ns + 1, sizeof(*x->sec));
	if (x->nt == NULL || x->sec == NULL)
		return -1;
	for (size_t z = 0; z < x->cfg->nzones; z++) {
		const struct cfg_zone *cz = &x->cfg->zones[z];
		for (size_t i = 0; i < cz->ntransfer_notify; i++) {
			struct ntarget *t = &x->nt[x->nnt];
			if (peer_parse(cz->transfer_notify[i], &t->ss, &t->sslen) < 0) {
				log_warnx("zone %s: notify target %s: not ADDR:PORT", cz->name,
					  cz->transfer_notify[i]);
				continue;
			}
			t->x = x;
			t->zone = (unsigned)z;
			snprintf(t->text, sizeof(t->text), "%s", cz->transfer_notify[i]);
			t->timer = evtimer_new(x->ctx->base, notify_timeout, t);
			if (t->timer == NULL)
				return -1;
			x->nnt++;
		}
		if (cz->primary) {
			struct secondary *s = &x->sec[x->nsec];
			if (peer_parse(cz->primary, &s->ss, &s->sslen) < 0) {
				log_warnx("zone %s: primary %s: not ADDR:PORT", cz->name, cz->primary);
				continue;
			}
			s->x = x;
			s->zone = (unsigned)z;
			s->fd = -1;
			snprintf(s->text, sizeof(s->text), "%s", cz->primary);
			s->timer = evtimer_new(x->ctx->base, sec_refresh, s);
			if (s->timer == NULL)
				return -1;
			x->nsec++;
		}
	}
	return 0;
}

struct xfr *
xfr_start(struct wctx *ctx, const struct listen_set *ls)
{
	struct xfr *x = calloc(1, sizeof(*x));
	struct timeval now0 = {0, 0};

	if (x == NULL)
		return NULL;
	x->ctx = ctx;
	x->cfg = ctx->cfg;
	x->st = &ctx->stats->w[STATS_SLOT_HTTP];
	x->held_tail = &x->held;
	x->nsock[0] = x->nsock[1] = -1;
	x->in = malloc(LINK_PAYLOAD_MAX);
	x->out = malloc(DNS_MSG_MAX);
	if (x->in == NULL || x->out == NULL ||
	    dns_answer_ctx_init(&x->actx, ctx->table, ctx->cfg->dns.udp_payload, NULL) < 0)
		goto failed;
	x->actx.pools = ctx->pools;
	x->actx.pool_report_max_age_ms = ctx->cfg->pools.report_max_age * 1000u;
	if (xfr_keys(x) < 0 || xfr_targets(x) < 0)
		goto failed;
	x->nlinks = ls->nworkers;
	x->links = calloc(x->nlinks + 1, sizeof(int));
	x->link_ev = calloc(x->nlinks + 1, sizeof(*x->link_ev));
	if (x->links == NULL || x->link_ev == NULL)
		goto failed;
	for (size_t i = 0; i < x->nlinks; i++) {
		x->links[i] = ls->link_wr[i];
		x->link_ev[i] = event_new(ctx->base, x->links[i], EV_READ | EV_PERSIST, link_read, x);
		if (x->link_ev[i] == NULL || event_add(x->link_ev[i], NULL) < 0)
			goto failed;
	}
	for (int f = 0; f < 2; f++) {
		x->nsock[f] = socket(f ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				     0);
		if (x->nsock[f] < 0)
			continue;
		x->nev[f] = event_new(ctx->base, x->nsock[f], EV_READ | EV_PERSIST, notify_reply, x);
		if (x->nev[f] == NULL || event_add(x->nev[f], NULL) < 0)
			goto failed;
	}
	for (size_t i = 0; i < x->nsec; i++)
		evtimer_add(x->sec[i].timer, &now0);
	writer_set_commit_hook(ctx->writer, xfr_on_commit, x);
	return x;
failed:
	log_warnx("DNS transfer service: cannot start");
	xfr_stop(x);
	return NULL;
}

void
xfr_stop(struct xfr *x)
{
	if (x == NULL)
		return;
	if (x->ctx && x->ctx->writer)
		writer_set_commit_hook(x->ctx->writer, NULL, NULL);
	while (x->conns)
		xconn_free(x->conns);
	for (size_t i = 0; x->link_ev && i < x->nlinks; i++)
		if (x->link_ev[i])
			event_free(x->link_ev[i]);
	for (int f = 0; f < 2; f++) {
		if (x->nev[f])
			event_free(x->nev[f]);
		if (x->nsock[f] >= 0)
			close(x->nsock[f]);
	}
	for (size_t i = 0; i < x->nnt; i++)
		if (x->nt[i].timer)
			event_free(x->nt[i].timer);
	for (size_t i = 0; i < x->nsec; i++) {
		struct secondary *s = &x->sec[i];
		if (s->timer)
			event_free(s->timer);
		if (s->ev)
			event_free(s->ev);
		if (s->fd >= 0)
			close(s->fd);
		if (s->bev)
			bufferevent_free(s->bev);
		ain_free(&s->a);
	}
	dns_answer_ctx_fini(&x->actx);
	free(x->nt);
	free(x->sec);
	free(x->links);
	free(x->link_ev);
	free(x->keys);
	free(x->in);
	free(x->out);
	free(x);
}
