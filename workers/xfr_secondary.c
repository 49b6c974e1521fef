/*
 * xfr_secondary.c - secondary zones: SOA checks on refresh and on NOTIFY,
 * AXFR or IXFR from the primary, stored through the writer (see xfr_int.h).
 */
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
#include <sodium.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/util.h"
#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "dns/tsig.h"
#include "shm/stats.h"
#include "shm/table.h"
#include "workers/wctx.h"
#include "workers/writer.h"

int
xfr_peer_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len)
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
	int alen = xfr_owner_wire(s->x->cfg->zones[s->zone].name, apex);
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
	if (key && tsig_sign_request(tc, key, buf, &len, cap, xfr_now_s()) < 0)
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

	if (n < DNS_HDR_LEN || DNS_RCODE(DNS_HDR_FLAGS(buf)) != DNS_RCODE_NOERROR || DNS_HDR_ANCOUNT(buf) < 1)
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
ain_add(struct secondary *s, struct axfr_in *a, const struct dns_rr *r, const char *text, int op)
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
ain_soa(const uint8_t *msg, size_t len, const struct dns_rr *r, uint32_t *serial, char *text,
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

	if (DNS_RCODE(DNS_HDR_FLAGS(msg)) != DNS_RCODE_NOERROR)
		return -1;
	for (unsigned i = 0; i < qd; i++) {
		uint8_t nm[DNS_DNAME_MAX];
		size_t nl;
		if (dns_dname_parse(msg, len, &pos, nm, &nl, NULL) < 0 || pos + 4 > len)
			return -1;
		pos += 4;
	}
	for (unsigned i = 0; i < an && !a->done; i++) {
		struct dns_rr r;
		char text[DNS_RDATA_MAX * 4 + 1];
		if (dns_rr_read(msg, len, &pos, &r) < 0)
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
			if (dns_rr_text(msg, len, &r, text, sizeof(text)) < 0)
				return -1;
			if (strlen(a->ns) + strlen(text) + 2 < sizeof(a->ns)) {
				if (a->ns[0])
					strcat(a->ns, " ");
				strcat(a->ns, text);
			}
			continue;
		}
		if (!dns_type_stored(r.type) || cfg_zone_of_name(s->x->cfg, r.name) != (int)s->zone ||
		    dns_rr_text(msg, len, &r, text, sizeof(text)) < 0)
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

void
xfr_sec_fini(struct secondary *s)
{
	ain_free(&s->a);
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
	return xfr_key_by_name(s->x, s->x->cfg->zones[s->zone].transfer_tsig);
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
			if (tsig_verify_reply(&s->tc, buf, mlen, xfr_now_s(), &tsig) != 0) {
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
	if ((sec_key(s) && tsig_verify_reply(&s->tc, buf, (size_t)n, xfr_now_s(), &tsig) != 0) ||
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

void
xfr_sec_refresh(evutil_socket_t fd, short what, void *arg)
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
	xfr_sec_refresh_soon(s, s->again ? 0 : next * 1000u);
}

void
xfr_sec_refresh_soon(struct secondary *s, unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	evtimer_del(s->timer);
	evtimer_add(s->timer, &tv);
}

