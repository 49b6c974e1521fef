/*
 * xfr_notify.c - NOTIFY (RFC 1996): from a secondary zone's primary, and to
 * each zone's transfer.notify targets after every commit (see xfr_int.h).
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

bool
xfr_same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	char x1[INET6_ADDRSTRLEN], x2[INET6_ADDRSTRLEN];
	xfr_peer_text(a, x1, sizeof(x1));
	xfr_peer_text((const struct sockaddr *)b, x2, sizeof(x2));
	return strcmp(x1, x2) == 0;
}

/* A NOTIFY for one of our secondary zones: refresh now. */
unsigned
xfr_notify_in(struct xfr *x, const struct dns_pkt *p, const struct sockaddr *peer,
	      const struct tsig_ctx *tc)
{
	int z = xfr_apex_zone(x, p);
	char addr[INET6_ADDRSTRLEN];

	xfr_peer_text(peer, addr, sizeof(addr));
	if (z < 0)
		return DNS_RCODE_NOTAUTH;
	for (size_t i = 0; i < x->nsec; i++) {
		struct secondary *s = &x->sec[i];
		const char *kn = x->cfg->zones[z].transfer_tsig;
		if (s->zone != (unsigned)z)
			continue;
		if (!xfr_same_addr(peer, &s->ss) ||
		    (kn && (tc == NULL || tc->key != xfr_key_by_name(x, kn)))) {
			log_info("NOTIFY for %s from %s ignored: not its primary", x->cfg->zones[z].name,
				 addr);
			return DNS_RCODE_REFUSED;
		}
		log_info("NOTIFY for %s from %s", x->cfg->zones[z].name, addr);
		xfr_sec_refresh_soon(s, 0);
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
	const struct tsig_key *key = xfr_key_by_name(x, x->cfg->zones[t->zone].transfer_tsig);
	uint8_t buf[1024], rd[2 * DNS_DNAME_MAX + 20];
	size_t len;
	int fam = t->ss.ss_family == AF_INET6 ? 1 : 0;
	unsigned delay;
	struct timeval tv;

	if (shm_zone_get(x->ctx->table, t->zone, &zc) < 0 || x->nsock[fam] < 0)
		return;
	randombytes_buf(&t->id, sizeof(t->id));
	dns_msgb_init(&m, buf, sizeof(buf) - TSIG_ROOM, t->id,
		      (uint16_t)(DNS_FLAGS_OPCODE(DNS_OPCODE_NOTIFY) | DNS_FLAG_AA), zc.apex, zc.apex_len,
		      DNS_TYPE_SOA, DNS_CLASS_IN);
	dns_msgb_rr(&m, DNS_SEC_AN, zc.apex, zc.apex_len, DNS_TYPE_SOA, DNS_CLASS_IN, zc.soa.ttl,
		    rd, dns_soa_rdata(&zc.soa, zc.soa.serial, rd));
	len = dns_msgb_finish(&m);
	if (key && tsig_sign_request(&tc, key, buf, &len, sizeof(buf), xfr_now_s()) < 0)
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

void
xfr_notify_timeout(evutil_socket_t fd, short what, void *arg)
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
void
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

void
xfr_notify_reply(evutil_socket_t fd, short what, void *arg)
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
			if (!t->inflight || t->id != id || !xfr_same_addr((struct sockaddr *)&from, &t->ss))
				continue;
			evtimer_del(t->timer);
			t->inflight = false;
			t->tries = 0;
			x->st->notify_acked++;
			if (DNS_RCODE(DNS_HDR_FLAGS(buf)) != DNS_RCODE_NOERROR)
				log_warnx("NOTIFY %s to %s: rcode %d", x->cfg->zones[t->zone].name,
					  t->text, DNS_RCODE(DNS_HDR_FLAGS(buf)));
			else
				log_debug("NOTIFY %s to %s acknowledged", x->cfg->zones[t->zone].name,
					  t->text);
			if (t->dirty)
				notify_send(t);
		}
	}
}

