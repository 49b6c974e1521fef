/*
 * xfr.c - the writer process's DNS service (see xfr.h).
 *
 * Runs on the HTTP worker's libevent loop, in the one process that writes:
 * an UPDATE is applied between two HTTP requests, never beside one, and a
 * zone transfer reads the database while nothing else can change it, so
 * every AXFR and IXFR is one consistent snapshot.
 */
#include "workers/xfr.h"
#include "workers/xfr_int.h"

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

#include "daemon/config.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/proc.h"
#include "dns/answer.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "dns/tsig.h"
#include "shm/stats.h"
#include "workers/link.h"
#include "workers/wctx.h"
#include "workers/writer.h"

uint64_t
xfr_now_s(void)
{
	return (uint64_t)time(NULL);
}

void
xfr_sink_emit(struct sink *s, const uint8_t *msg, size_t len)
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

void
xfr_peer_text(const struct sockaddr *sa, char *out, size_t outsz)
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

const struct tsig_key *
xfr_key_by_name(const struct xfr *x, const char *name)
{
	for (size_t i = 0; name && i < x->nkeys; i++)
		if (strcmp(x->cfg->tsig[i].name, name) == 0)
			return &x->keys[i];
	return NULL;
}

/* Signs msg (in x->out-sized buffer) when the exchange is signed, then emits it. */
void
xfr_emit_signed(struct xfr *x, struct sink *s, struct tsig_ctx *tc, uint8_t *msg, size_t len)
{
	if (tc && (tc->key || tc->error)) {
		if (tsig_sign_reply(tc, msg, &len, DNS_MSG_MAX, xfr_now_s()) < 0)
			log_warnx("cannot sign a reply: dropped");
		else
			tc->nmsg++;
	}
	(void)x;
	xfr_sink_emit(s, msg, len);
}

/* Header + the request's question + rcode; signed when tc says so. */
void
xfr_reply_simple(struct xfr *x, struct sink *s, const struct dns_pkt *p, struct tsig_ctx *tc,
	     unsigned rcode, bool aa)
{
	struct dns_msgb m;
	uint16_t flags = (uint16_t)(DNS_FLAG_QR | (p->flags & DNS_FLAGS_OPCODE_MASK) | DNS_FLAGS_RCODE(rcode) |
				    (aa ? DNS_FLAG_AA : 0));

	if (dns_msgb_init(&m, x->out, DNS_MSG_MAX - TSIG_ROOM, p->id, flags,
			  p->has_question ? p->qname : NULL, p->qname_len, p->qtype, p->qclass) < 0)
		return;
	xfr_emit_signed(x, s, tc, x->out, dns_msgb_finish(&m));
}

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

/*
 * The reply to an UPDATE: sent now when no group of writes is open, else
 * held for the commit (with a SERVFAIL beside a NOERROR, sent instead if the
 * commit fails: the client must not believe in a change that was not kept).
 */
void
xfr_reply_update(struct xfr *x, struct sink *s, const struct dns_pkt *p, struct tsig_ctx *tc,
	     unsigned rcode)
{
	uint8_t ok[DNS_UDP_MIN + TSIG_ROOM], bad[DNS_UDP_MIN + TSIG_ROOM];
	struct sink so = {.udp = ok, .udp_cap = sizeof(ok)}, sb = {.udp = bad, .udp_cap = sizeof(bad)};
	struct tsig_ctx saved;
	struct held *hd;

	if (!writer_group_open(x->ctx->writer) || (s->bev == NULL && s->lh == NULL)) {
		xfr_reply_simple(x, s, p, tc, rcode, false);
		return;
	}
	if (tc)
		saved = *tc;
	xfr_reply_simple(x, &so, p, tc, rcode, false);
	if (rcode == DNS_RCODE_NOERROR) {
		if (tc)
			*tc = saved;
		xfr_reply_simple(x, &sb, p, tc, DNS_RCODE_SERVFAIL, false);
	}
	if (so.udp_len == 0 || (hd = malloc(sizeof(*hd) + so.udp_len + sb.udp_len)) == NULL) {
		xfr_reply_simple(x, s, p, tc, rcode, false);
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
			xfr_sink_emit(s, x->out, n);
		return;
	}
	if (p.tsig_off) {
		int v = tsig_verify_request(&tc, x->keys, x->nkeys, q, qlen, p.tsig_off, xfr_now_s());
		char addr[INET6_ADDRSTRLEN];
		if (v == DD_EFORMERR || v > 0)
			x->st->tsig_errors++;
		if (v == DD_EFORMERR) {
			xfr_reply_simple(x, s, &p, NULL, DNS_RCODE_FORMERR, false);
			return;
		}
		if (v > 0) {
			xfr_peer_text(peer, addr, sizeof(addr));
			log_info("TSIG from %s: %s", addr,
				 v == TSIG_RCODE_BADKEY ? "BADKEY"
				 : v == TSIG_RCODE_BADSIG ? "BADSIG"
							  : "BADTIME");
			xfr_reply_simple(x, s, &p, &tc, DNS_RCODE_NOTAUTH, false);
			return;
		}
		tcp = &tc;
	}
	op = DNS_OPCODE(p.flags);
	if (op == DNS_OPCODE_UPDATE) {
		unsigned rcode = xfr_update(x, &p, q, qlen, tcp, peer);
		xfr_reply_update(x, s, &p, tcp, rcode);
		return;
	}
	if (op == DNS_OPCODE_NOTIFY) {
		unsigned rcode = xfr_notify_in(x, &p, peer, tcp);
		xfr_reply_simple(x, s, &p, tcp, rcode, rcode == DNS_RCODE_NOERROR);
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
		xfr_emit_signed(x, s, tcp, x->out, n);
	}
}

/* ---------------------------------------------------------------- TCP */

/* A connection's idle limits: CONN_IDLE_S without a request or a write. */
void
xfr_conn_idle(struct xconn *c)
{
	struct timeval idle = {CONN_IDLE_S, 0};
	bufferevent_set_timeouts(c->bev, &idle, &idle);
}

void
xfr_conn_free(struct xconn *c)
{
	struct xfr *x = c->x;

	if (c->job)
		xfr_axfr_job_free(c->job); /* clears c->job */
	for (struct xconn **pp = &x->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			x->nconns--;
			break;
		}
	bufferevent_free(c->bev);
	free(c);
}

void
xfr_conn_read(struct bufferevent *bev, void *arg)
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

void
xfr_conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		xfr_conn_free(arg);
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
	bufferevent_setcb(c->bev, xfr_conn_read, NULL, xfr_conn_event, c);
	xfr_conn_idle(c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (len) {
		/* a socket bufferevent's input takes bytes at its start only */
		evbuffer_prepend(bufferevent_get_input(c->bev), data, len);
		xfr_conn_read(c->bev, c);
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
			if (xfr_peer_parse(cz->transfer_notify[i], &t->ss, &t->sslen) < 0) {
				log_warnx("zone %s: notify target %s: not ADDR:PORT", cz->name,
					  cz->transfer_notify[i]);
				continue;
			}
			t->x = x;
			t->zone = (unsigned)z;
			snprintf(t->text, sizeof(t->text), "%s", cz->transfer_notify[i]);
			t->timer = evtimer_new(x->ctx->base, xfr_notify_timeout, t);
			if (t->timer == NULL)
				return -1;
			x->nnt++;
		}
		if (cz->primary) {
			struct secondary *s = &x->sec[x->nsec];
			if (xfr_peer_parse(cz->primary, &s->ss, &s->sslen) < 0) {
				log_warnx("zone %s: primary %s: not ADDR:PORT", cz->name, cz->primary);
				continue;
			}
			s->x = x;
			s->zone = (unsigned)z;
			s->fd = -1;
			snprintf(s->text, sizeof(s->text), "%s", cz->primary);
			s->timer = evtimer_new(x->ctx->base, xfr_sec_refresh, s);
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
		x->nev[f] = event_new(ctx->base, x->nsock[f], EV_READ | EV_PERSIST, xfr_notify_reply, x);
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
		xfr_conn_free(x->conns);
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
		xfr_sec_fini(s);
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

