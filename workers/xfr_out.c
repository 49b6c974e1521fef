/*
 * xfr_out.c - AXFR (RFC 5936) and IXFR (RFC 1995) to secondaries: the zone
 * from SQLite in slices, the changes from the journal (see xfr_int.h).
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

#include "daemon/clientip.h"
#include "daemon/config.h"
#include "daemon/db_axfr.h"
#include "daemon/db_journal.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "dns/dname.h"
#include "dns/dnssec.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "dns/tsig.h"
#include "shm/stats.h"
#include "shm/table.h"
#include "workers/wctx.h"
#include "workers/writer.h"

/* Presentation owner name -> lower-case wire name. */
int
xfr_owner_wire(const char *name, uint8_t *out)
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
	uint32_t nsec3_ttl; /* a signed zone's NSEC3 TTL (RFC 9077), for IXFR rows */
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
	xfr_emit_signed(o->x, o->s, o->tc, o->x->out, dns_msgb_finish(&o->m));
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

/*
 * One stored record (text columns) into the transfer; unknown types are
 * skipped.  A signed zone's RRSIG, NSEC3 and NSEC rows of the journal hold
 * their wire RDATA in hex (daemon/db_writer.c): an RRSIG goes out with the
 * TTL it covers, an NSEC3 or NSEC record with o->nsec3_ttl.
 */
static void
xout_text(struct xout *o, const char *name, const char *type, const char *value, uint32_t ttl)
{
	uint8_t owner[DNS_DNAME_MAX], rd[DNS_RDATA_MAX];
	int olen = xfr_owner_wire(name, owner);
	int t = dns_type_from_str(type);
	int rdlen;
	size_t bl = 0;

	if (olen < 0 || t <= 0)
		return;
	if (t == DNS_TYPE_RRSIG || t == DNS_TYPE_NSEC3 || t == DNS_TYPE_NSEC) {
		if (sodium_hex2bin(rd, sizeof(rd), value, strlen(value), NULL, &bl, NULL) != 0)
			return;
		rdlen = (int)bl;
		if (t != DNS_TYPE_RRSIG)
			ttl = o->nsec3_ttl;
		else if (bl >= DNSSEC_RRSIG_FIXED)
			ttl = (uint32_t)rd[4] << 24 | (uint32_t)rd[5] << 16 | (uint32_t)rd[6] << 8 | rd[7];
	} else {
		rdlen = dns_rdata_from_text((uint16_t)t, value, rd, sizeof(rd));
	}
	if (rdlen < 0)
		return;
	xout_rr(o, owner, (size_t)olen, (uint16_t)t, ttl, rd, (size_t)rdlen);
}

/* One DNSSEC record (wire RDATA) into the transfer. */
static void
xout_wire(struct xout *o, const char *name, uint16_t type, const uint8_t *rd, size_t rdlen,
	  uint32_t ttl)
{
	uint8_t owner[DNS_DNAME_MAX];
	int olen = xfr_owner_wire(name, owner);

	if (olen >= 0)
		xout_rr(o, owner, (size_t)olen, type, ttl, rd, rdlen);
}

/* A signed zone's DNSKEY and NSEC3PARAM RRsets, from its apex entry in the table. */
static void
xout_apex_keys(struct xout *o, const struct shm_zone_copy *zc)
{
	static const uint16_t types[2] = {DNS_TYPE_DNSKEY, DNS_TYPE_NSEC3PARAM};
	uint8_t *buf = malloc(SHM_ENTRY_MAX);
	const struct shm_entry *e = (const struct shm_entry *)(void *)buf;

	if (buf == NULL || zc->soa_sig_len == 0 ||
	    shm_table_get(o->x->ctx->table, zc->apex, zc->apex_len, buf, SHM_ENTRY_MAX, NULL) <= 0) {
		free(buf);
		return;
	}
	for (unsigned t = 0; t < 2; t++) {
		const struct shm_rrset *rs = shm_entry_find(e, types[t]);
		const uint8_t *d = rs ? shm_rrset_data(rs) : NULL;
		size_t p = 0;
		for (unsigned i = 0; rs && i < rs->count; i++) {
			uint16_t rdlen;
			memcpy(&rdlen, d + p, 2);
			xout_rr(o, zc->apex, zc->apex_len, types[t], rs->ttl, d + p + 2, rdlen);
			p += 2u + rdlen;
		}
	}
	free(buf);
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
	struct db_axfr *rd;
	struct dns_pkt p;
	struct tsig_ctx tc;
	unsigned z;
	struct shm_zone_copy zc;
	struct event *ev;
	struct sink s;
	struct xout o;
};

void
xfr_axfr_job_free(struct axfr_job *j)
{
	if (j->c)
		j->c->job = NULL;
	db_axfr_close(j->rd);
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

	bufferevent_setcb(bev, xfr_conn_read, NULL, xfr_conn_event, c);
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	if (c->job)
		axfr_slice(c->job);
}

static void
axfr_slice(struct axfr_job *j)
{
	struct xout *o = &j->o;
	struct xconn *c = j->c;
	struct db_axfr_row row;
	unsigned n = 0;
	int r = 1;
	bool start = o->first;

	xout_begin(o); /* each slice writes whole messages: x->out is shared */
	if (start) {
		xout_soa(o, &j->zc, j->zc.soa.serial);
		for (unsigned i = 0; i < j->zc.ns_count; i++)
			xout_rr(o, j->zc.apex, j->zc.apex_len, DNS_TYPE_NS, j->zc.ns_ttl, j->zc.ns[i],
				j->zc.ns_len[i]);
		xout_apex_keys(o, &j->zc);
	}
	while (n < AXFR_SLICE_ROWS && o->err == 0 && (r = db_axfr_next(j->rd, &row)) == 1) {
		if (row.rdata == NULL)
			xout_text(o, row.name, row.type, row.value, row.ttl);
		else
			xout_wire(o, row.name, (uint16_t)dns_type_from_str(row.type), row.rdata,
				  row.rdlen, row.ttl);
		n++;
	}
	if (o->err == 0 && r == 1) {
		xout_flush(o);
		if (evbuffer_get_length(j->s.tcp) > AXFR_HIGH_WATER) {
			bufferevent_setwatermark(c->bev, EV_WRITE, AXFR_LOW_WATER, 0);
			bufferevent_setcb(c->bev, xfr_conn_read, axfr_drained, xfr_conn_event, c);
		} else {
			event_active(j->ev, EV_TIMEOUT, 0);
		}
		return;
	}
	if (o->err || r != 0) {
		/* a secondary must not take part of a zone for all of it: it asks again */
		log_warnx("AXFR of %s: %s; connection closed", j->x->cfg->zones[j->z].name,
			  o->err ? dd_strerror(o->err) : db_axfr_errmsg(j->rd));
		xfr_conn_free(c);
		return;
	}
	xout_soa(o, &j->zc, j->zc.soa.serial);
	xout_flush(o);
	xfr_axfr_job_free(j);
	xfr_conn_idle(c);
	xfr_conn_read(c->bev, c); /* requests that came meanwhile */
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
	struct sqlite3 *h;
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
	/* the read transaction starts in db_axfr_open, before anything else is
	 * committed: it is the snapshot zc comes from; the slices run from the
	 * event loop */
	if (writer_reader_open(x->ctx->writer, &h) < 0 ||
	    db_axfr_open(h, x->cfg->zones[z].name, x->cfg->zones[z].ttl,
			 /* RFC 9077: the NSEC3 (or NSEC) TTL */
			 zc->soa.minimum < zc->soa.ttl ? zc->soa.minimum : zc->soa.ttl, &j->rd) < 0 ||
	    (j->ev = event_new(x->ctx->base, -1, 0, axfr_next, j)) == NULL) {
		xfr_axfr_job_free(j);
		return -1;
	}
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
	xfr_reply_simple(o->x, o->s, o->p, o->tc, DNS_RCODE_SERVFAIL, false);
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

/* journal_chain's walk: the transactions read so far, newest first. */
struct jwalk {
	uint32_t from; /* the client's serial */
	struct jtxn *t;
	size_t n, cap;
	bool found;  /* the latest transaction leaving `from` was reached */
	bool failed; /* out of memory */
};

/* Starts transaction (f, s) at the end of w; -1 when out of memory. */
static int
jwalk_txn(struct jwalk *w, uint32_t f, uint32_t s)
{
	struct jtxn *g;

	if (w->n == w->cap) {
		size_t c = w->cap ? 2 * w->cap : 16;
		if ((g = realloc(w->t, c * sizeof(*g))) == NULL)
			return -1;
		w->t = g;
		w->cap = c;
	}
	memset(&w->t[w->n], 0, sizeof(w->t[w->n]));
	w->t[w->n].from = f;
	w->t[w->n].to = s;
	w->found = f == w->from;
	w->n++;
	return 0;
}

/* One journal row (db_journal_foreach_newest) into its transaction. */
static int
jwalk_row(void *arg, const struct db_journal_row *row)
{
	struct jwalk *w = arg;
	struct jtxn *g;
	struct jrow *r;

	if (w->n == 0 || w->t[w->n - 1].from != row->from || w->t[w->n - 1].to != row->to) {
		if (w->found)
			return 1; /* the latest transaction leaving `from` is whole */
		if (jwalk_txn(w, row->from, row->to) < 0)
			goto failed;
	}
	g = &w->t[w->n - 1];
	if (g->n == g->cap) {
		size_t c = g->cap ? 2 * g->cap : 8;
		if ((r = realloc(g->rows, c * sizeof(*r))) == NULL)
			goto failed;
		g->rows = r;
		g->cap = c;
	}
	r = &g->rows[g->n++];
	memset(r, 0, sizeof(*r));
	r->op = row->op;
	r->name = strdup(row->name);
	r->type = strdup(row->type);
	r->value = strdup(row->value);
	r->ttl = row->ttl;
	if (r->name && r->type && r->value)
		return 0;
failed:
	w->failed = true;
	return -1;
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
	struct jwalk w = {.from = from};
	struct jtxn *t;
	size_t n;
	int rc;

	*out = NULL;
	/* a read error must not pass for the journal's end: the transaction
	 * leaving `from` would go out short; it falls back to AXFR instead */
	rc = db_journal_foreach_newest(writer_db(x->ctx->writer), x->cfg->zones[z].name,
				       x->cfg->zones[z].ttl, jwalk_row, &w);
	t = w.t;
	n = w.n;
	if (rc == DD_EDB || !w.found || w.failed) {
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
	o->nsec3_ttl = zc->soa.minimum < zc->soa.ttl ? zc->soa.minimum : zc->soa.ttl;
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
int
xfr_apex_zone(struct xfr *x, const struct dns_pkt *p)
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
	xfr_peer_text(peer, addr, sizeof(addr));
	if (cz->ntransfer_allow > 0 &&
	    !clientip_in_list(addr, cz->transfer_allow, cz->ntransfer_allow))
		return false;
	if (cz->transfer_tsig && (tc == NULL || tc->key != xfr_key_by_name(x, cz->transfer_tsig)))
		return false;
	return true;
}

void
xfr_transfer(struct xfr *x, struct sink *s, const struct dns_pkt *p, const uint8_t *q,
	     size_t qlen, const struct sockaddr *peer, struct tsig_ctx *tc)
{
	int z = xfr_apex_zone(x, p);
	struct shm_zone_copy zc;
	struct xout o = {.x = x, .s = s, .tc = tc, .p = p, .first = true};
	char addr[INET6_ADDRSTRLEN];
	uint32_t client = 0;

	xfr_peer_text(peer, addr, sizeof(addr));
	/* a transfer is one committed snapshot: the open group goes first */
	writer_group_commit(x->ctx->writer);
	if (z < 0) {
		xfr_reply_simple(x, s, p, tc, DNS_RCODE_NOTAUTH, false);
		return;
	}
	if (!transfer_allowed(x, (unsigned)z, peer, tc)) {
		log_info("%s of %s from %s refused", p->qtype == DNS_TYPE_AXFR ? "AXFR" : "IXFR",
			 x->cfg->zones[z].name, addr);
		x->st->xfr_refused++;
		xfr_reply_simple(x, s, p, tc, DNS_RCODE_REFUSED, false);
		return;
	}
	if (shm_zone_get(x->ctx->table, (unsigned)z, &zc) < 0) {
		xfr_reply_simple(x, s, p, tc, DNS_RCODE_SERVFAIL, false);
		return;
	}
	if (p->qtype == DNS_TYPE_IXFR && ixfr_client_serial(q, qlen, p, &client) < 0) {
		xfr_reply_simple(x, s, p, tc, DNS_RCODE_FORMERR, false);
		return;
	}
	if (!s->tcp_mode) {
		/* RFC 1995 2: over UDP, the current SOA tells the client to use TCP; AXFR
		 * is TCP only (RFC 5936 4.2) */
		if (p->qtype == DNS_TYPE_AXFR) {
			xfr_reply_simple(x, s, p, tc, DNS_RCODE_REFUSED, false);
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

