/* test_dns.c - the DNS codec and the answer path, bytes in and bytes out. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/dd.h"
#include "dns/answer.h"
#include "dns/cookie.h"
#include "dns/rrl.h"
#include "shm/rrl.h"
#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "dns/rr.h"
#include "dns/wire.h"
#include "shm/stats.h"
#include "shm/table.h"
#include "tests/unit/tap.h"

/* --- helpers: queries ---------------------------------------------------- */

/* Presentation name to wire, letter case kept (test names have no escapes). */
static size_t
wire_name(const char *s, uint8_t *out)
{
	size_t o = 0;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t n = dot ? (size_t)(dot - s) : strlen(s);
		out[o++] = (uint8_t)n;
		memcpy(out + o, s, n);
		o += n;
		s += n;
		if (*s == '.')
			s++;
	}
	out[o++] = 0;
	return o;
}

struct qopt {
	uint16_t id;
	uint16_t flags;
	int edns_udp; /* < 0: no OPT */
	uint8_t version;
	bool do_bit;
	uint16_t qclass;
};

static size_t
mkq(uint8_t *buf, const char *name, uint16_t qtype, const struct qopt *o)
{
	struct qopt def = {0x1234, DNS_FLAG_RD, -1, 0, false, DNS_CLASS_IN};
	if (!o)
		o = &def;
	size_t n = 12;
	memset(buf, 0, 12);
	dns_wire_put_u16(buf, o->id);
	dns_wire_put_u16(buf + 2, o->flags);
	dns_wire_put_u16(buf + 4, 1);
	dns_wire_put_u16(buf + 10, o->edns_udp >= 0 ? 1 : 0);
	n += wire_name(name, buf + n);
	dns_wire_put_u16(buf + n, qtype);
	dns_wire_put_u16(buf + n + 2, o->qclass ? o->qclass : DNS_CLASS_IN);
	n += 4;
	if (o->edns_udp >= 0) {
		buf[n] = 0;
		dns_wire_put_u16(buf + n + 1, DNS_TYPE_OPT);
		dns_wire_put_u16(buf + n + 3, (uint16_t)o->edns_udp);
		buf[n + 5] = 0;
		buf[n + 6] = o->version;
		buf[n + 7] = o->do_bit ? 0x80 : 0;
		buf[n + 8] = 0;
		dns_wire_put_u16(buf + n + 9, 0);
		n += 11;
	}
	return n;
}

/* --- helpers: replies ------------------------------------------------------ */

struct rr {
	uint8_t owner[DNS_DNAME_MAX];
	size_t olen;
	uint16_t type, cls;
	uint32_t ttl;
	uint16_t rdlen;
	size_t rdoff;
	uint8_t rd[1024]; /* decompressed rdata */
	size_t rdl;
};

struct reply {
	uint16_t id, flags, qd, an, ns, ar;
	uint8_t qname[DNS_DNAME_MAX];
	size_t qlen;
	uint16_t qtype, qclass;
	struct rr rr[80];
	unsigned nrr;
	bool opt;
	uint16_t opt_udp;
	uint32_t opt_ttl;
};

static struct reply R;

/* Decompresses the names of known types into rr->rd. */
static int
decompress_rdata(const uint8_t *m, size_t len, struct rr *x)
{
	size_t p = x->rdoff, end = x->rdoff + x->rdlen, nl;
	x->rdl = 0;
	switch (x->type) {
	case DNS_TYPE_CNAME:
	case DNS_TYPE_NS:
		if (dns_dname_parse(m, len, &p, x->rd, &nl, NULL) < 0 || p != end)
			return -1;
		x->rdl = nl;
		return 0;
	case DNS_TYPE_SOA: {
		size_t n2;
		if (dns_dname_parse(m, len, &p, x->rd, &nl, NULL) < 0 ||
		    dns_dname_parse(m, len, &p, x->rd + nl, &n2, NULL) < 0 || end - p != 20)
			return -1;
		memcpy(x->rd + nl + n2, m + p, 20);
		x->rdl = nl + n2 + 20;
		return 0;
	}
	default:
		if (x->rdlen > sizeof(x->rd))
			return -1;
		memcpy(x->rd, m + x->rdoff, x->rdlen);
		x->rdl = x->rdlen;
		return 0;
	}
}

/* Parses a reply strictly; returns 0 or -1. */
static int
parse_reply(const uint8_t *m, size_t len, struct reply *r)
{
	size_t pos = 12;
	memset(r, 0, sizeof(*r));
	if (len < 12)
		return -1;
	r->id = dns_wire_get_u16(m);
	r->flags = dns_wire_get_u16(m + 2);
	r->qd = dns_wire_get_u16(m + 4);
	r->an = dns_wire_get_u16(m + 6);
	r->ns = dns_wire_get_u16(m + 8);
	r->ar = dns_wire_get_u16(m + 10);
	if (r->qd > 1)
		return -1;
	if (r->qd == 1) {
		if (dns_dname_parse(m, len, &pos, r->qname, &r->qlen, NULL) < 0 || len - pos < 4)
			return -1;
		r->qtype = dns_wire_get_u16(m + pos);
		r->qclass = dns_wire_get_u16(m + pos + 2);
		pos += 4;
	}
	unsigned total = (unsigned)r->an + r->ns + r->ar;
	if (total > 80)
		return -1;
	for (unsigned i = 0; i < total; i++) {
		struct rr *x = &r->rr[i];
		if (dns_dname_parse(m, len, &pos, x->owner, &x->olen, NULL) < 0 || len - pos < 10)
			return -1;
		x->type = dns_wire_get_u16(m + pos);
		x->cls = dns_wire_get_u16(m + pos + 2);
		x->ttl = (uint32_t)dns_wire_get_u16(m + pos + 4) << 16 | dns_wire_get_u16(m + pos + 6);
		x->rdlen = dns_wire_get_u16(m + pos + 8);
		pos += 10;
		if (len - pos < x->rdlen)
			return -1;
		x->rdoff = pos;
		pos += x->rdlen;
		if (x->type == DNS_TYPE_OPT) {
			if (i < (unsigned)r->an + r->ns || r->opt || x->olen != 1)
				return -1;
			r->opt = true;
			r->opt_udp = x->cls;
			r->opt_ttl = x->ttl;
		}
		if (decompress_rdata(m, len, x) < 0)
			return -1;
	}
	r->nrr = total;
	return pos == len ? 0 : -1;
}

static struct dns_answer_ctx CTX;
static struct shm_worker_stats STATS;
static uint8_t OUT[DNS_MSG_MAX];
static uint8_t Q[1024];

/* Runs a query; parses the reply into R; returns the reply length. */
static size_t
run(const uint8_t *q, size_t qlen, bool tcp)
{
	size_t n = dns_answer(&CTX, q, qlen, OUT, sizeof(OUT), tcp);
	if (n && parse_reply(OUT, n, &R) < 0) {
		diag("reply does not parse");
		memset(&R, 0, sizeof(R));
		R.flags = 0xffff;
	}
	return n;
}

static size_t
ask(const char *name, uint16_t qtype, const struct qopt *o, bool tcp)
{
	size_t n = mkq(Q, name, qtype, o);
	return run(Q, n, tcp);
}

static bool
name_is(const uint8_t *w, size_t wlen, const char *s)
{
	uint8_t b[DNS_DNAME_MAX];
	int n = dns_dname_from_str(s, b, sizeof(b));
	return n > 0 && dns_dname_equal(w, wlen, b, (size_t)n);
}

static bool
rd_is_a(const struct rr *x, const char *ip)
{
	uint8_t a[16];
	if (x->type == DNS_TYPE_A)
		return inet_pton(AF_INET, ip, a) == 1 && x->rdl == 4 && memcmp(a, x->rd, 4) == 0;
	return inet_pton(AF_INET6, ip, a) == 1 && x->rdl == 16 && memcmp(a, x->rd, 16) == 0;
}

#define RCODE(r) ((r).flags & 0xf)

/* --- helpers: the table ---------------------------------------------------- */

static struct shm_table *T;

struct ent {
	uint8_t data[6][4096];
	size_t dlen[6];
	struct shm_rrset_in in[6];
	size_t n;
};

static void
ent_add(struct ent *e, uint16_t type, uint32_t ttl, const uint8_t *rd, size_t rdlen)
{
	size_t i;
	for (i = 0; i < e->n && e->in[i].type != type; i++)
		;
	if (i == e->n) {
		e->n++;
		e->in[i].type = type;
		e->in[i].ttl = ttl;
		e->in[i].count = 0;
		e->dlen[i] = 0;
	}
	uint16_t l = (uint16_t)rdlen;
	memcpy(e->data[i] + e->dlen[i], &l, 2);
	memcpy(e->data[i] + e->dlen[i] + 2, rd, rdlen);
	e->dlen[i] += 2 + rdlen;
	e->in[i].count++;
	e->in[i].data = e->data[i];
	e->in[i].data_len = e->dlen[i];
}

static void
ent_text(struct ent *e, uint16_t type, uint32_t ttl, const char *text)
{
	uint8_t rd[2048];
	int n = dns_rdata_from_text(type, text, rd, sizeof(rd));
	if (n < 0) {
		diag("bad test rdata %s", text);
		exit(1);
	}
	ent_add(e, type, ttl, rd, (size_t)n);
}

static void
ent_put(unsigned zone, const char *name, struct ent *e)
{
	uint8_t w[DNS_DNAME_MAX];
	int n = dns_dname_from_str(name, w, sizeof(w));
	int rc = shm_table_put(T, zone, w, (size_t)n, e->in, e->n);
	if (rc < 0) {
		diag("shm_table_put %s: %s", name, dd_strerror(rc));
		exit(1);
	}
	e->n = 0;
}

static struct ent E;

/* One rrset of one text value. */
static void
put1(unsigned zone, const char *name, uint16_t type, const char *text)
{
	ent_text(&E, type, 300, text);
	ent_put(zone, name, &E);
}

static void
define_zone(unsigned idx, const char *apex, const char *ns1, const char *ns2)
{
	uint8_t a[DNS_DNAME_MAX], ns[2 * DNS_DNAME_MAX];
	struct shm_soa soa = {0};
	int al = dns_dname_from_str(apex, a, sizeof(a));
	int n1 = dns_dname_from_str(ns1, ns, sizeof(ns));
	int n2 = dns_dname_from_str(ns2, ns + n1, sizeof(ns) - (size_t)n1);

	soa.ttl = 3600;
	soa.serial = 2026112301;
	soa.refresh = 3600;
	soa.retry = 600;
	soa.expire = 604800;
	soa.minimum = 60;
	soa.mname_len = (uint8_t)dns_dname_from_str(ns1, soa.mname, sizeof(soa.mname));
	soa.rname_len = (uint8_t)dns_dname_from_str("hostmaster.example.test", soa.rname,
						    sizeof(soa.rname));
	int rc = shm_zone_define(T, idx, a, (size_t)al, &soa, ns, (size_t)(n1 + n2), 2, 86400);
	if (rc < 0) {
		diag("shm_zone_define %s: %s", apex, dd_strerror(rc));
		exit(1);
	}
}

static void
build_table(void)
{
	struct shm_table_params prm = {4096, 0, 1};
	if (shm_table_create(&T, &prm) < 0) {
		diag("shm_table_create failed");
		exit(1);
	}
	define_zone(0, "dyn.example.test", "ns1.dyn.example.test", "ns2.example.net");
	define_zone(1, "other.test", "ns1.other.test", "ns2.other.test");
	define_zone(2, "example", "ns.example.com", "ns.example.net");

	ent_text(&E, DNS_TYPE_A, 300, "192.0.2.1");
	ent_text(&E, DNS_TYPE_TXT, 300, "apex");
	ent_put(0, "dyn.example.test", &E);
	ent_text(&E, DNS_TYPE_A, 60, "203.0.113.45");
	ent_text(&E, DNS_TYPE_AAAA, 60, "2001:db8::1");
	ent_put(0, "home.dyn.example.test", &E);
	put1(0, "ns1.dyn.example.test", DNS_TYPE_A, "192.0.2.53");
	put1(0, "txt.dyn.example.test", DNS_TYPE_TXT, "hello world");
	put1(0, "www.dyn.example.test", DNS_TYPE_CNAME, "home.dyn.example.test");
	put1(0, "ext.dyn.example.test", DNS_TYPE_CNAME, "www.other.test");
	put1(0, "out.dyn.example.test", DNS_TYPE_CNAME, "example.com");
	put1(0, "dangling.dyn.example.test", DNS_TYPE_CNAME, "nx.dyn.example.test");
	put1(0, "loop1.dyn.example.test", DNS_TYPE_CNAME, "loop2.dyn.example.test");
	put1(0, "loop2.dyn.example.test", DNS_TYPE_CNAME, "loop1.dyn.example.test");
	for (int i = 1; i <= 12; i++) {
		char n[64], t[64];
		snprintf(n, sizeof(n), "c%d.dyn.example.test", i);
		snprintf(t, sizeof(t), "c%d.dyn.example.test", i + 1);
		put1(0, n, DNS_TYPE_CNAME, t);
	}
	put1(0, "c13.dyn.example.test", DNS_TYPE_A, "192.0.2.13");
	/* deep.a.b: a.b and b are empty non-terminals */
	put1(0, "deep.a.b.dyn.example.test", DNS_TYPE_A, "192.0.2.99");
	put1(0, "*.w.dyn.example.test", DNS_TYPE_A, "192.0.2.42");
	put1(0, "*.cw.dyn.example.test", DNS_TYPE_CNAME, "home.dyn.example.test");
	for (int i = 0; i < 40; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		ent_text(&E, DNS_TYPE_A, 300, ip);
	}
	ent_put(0, "big.dyn.example.test", &E);
	put1(0, "mx.dyn.example.test", DNS_TYPE_TXT, "x");

	put1(1, "www.other.test", DNS_TYPE_A, "198.51.100.7");

	/* RFC 4592 2.2.1 */
	ent_text(&E, DNS_TYPE_TXT, 3600, "this is a wildcard");
	static const uint8_t mx[] = {0, 10, 5, 'h', 'o', 's', 't', '1', 7, 'e', 'x', 'a', 'm',
				     'p', 'l', 'e', 0};
	ent_add(&E, DNS_TYPE_MX, 3600, mx, sizeof(mx));
	ent_put(2, "*.example", &E);
	put1(2, "sub.*.example", DNS_TYPE_TXT, "this is not a wildcard");
	put1(2, "host1.example", DNS_TYPE_A, "192.0.2.1");
	static const uint8_t srv[] = {0, 0, 0, 0, 0, 22, 0};
	ent_add(&E, DNS_TYPE_SRV, 3600, srv, sizeof(srv));
	ent_put(2, "_ssh._tcp.host1.example", &E);
	ent_add(&E, DNS_TYPE_SRV, 3600, srv, sizeof(srv));
	ent_put(2, "_ssh._tcp.host2.example", &E);
}

/* --- codec tests ----------------------------------------------------------- */

static void
test_wire(void)
{
	uint8_t b[6] = {1, 2, 3, 4, 5, 6}, o[4];
	struct dns_wire_rd r;
	struct dns_wire_wr w;

	dns_wire_rd_init(&r, b, 5);
	is_int(dns_wire_read_u16(&r), 0x0102, "wire: read u16");
	is_int(dns_wire_read_u16(&r), 0x0304, "wire: read u16 again");
	is_int(dns_wire_read_u16(&r), 0, "wire: read past end gives 0");
	is_int(r.err, DD_EFORMERR, "wire: read past end sets err");
	is_int(r.pos, 4, "wire: failed read does not move");
	is_int(dns_wire_read_u8(&r), 0, "wire: sticky error, byte still there but 0");
	is_int(dns_wire_rd_avail(&r), 0, "wire: no bytes available after error");
	dns_wire_rd_init(&r, b, 6);
	is_int(dns_wire_read_u32(&r), 0x01020304, "wire: read u32");
	dns_wire_rd_skip(&r, 3);
	ok(r.err != 0, "wire: skip past end fails");
	dns_wire_rd_init(&r, b, 6);
	dns_wire_rd_seek(&r, 7);
	ok(r.err != 0, "wire: seek past end fails");

	dns_wire_wr_init(&w, o, 3);
	dns_wire_write_u16(&w, 0xabcd);
	dns_wire_write_u16(&w, 0x1234);
	is_int(w.err, DD_ENOSPC, "wire: write past end sets err");
	is_int(w.pos, 2, "wire: failed write does not move");
	dns_wire_write_u8(&w, 1);
	is_int(w.pos, 2, "wire: sticky write error");
	ok(o[0] == 0xab && o[1] == 0xcd, "wire: big-endian write");
	dns_wire_wr_init(&w, o, 4);
	dns_wire_write_u32(&w, 0x01020304);
	ok(!w.err && o[3] == 4, "wire: write u32");
	dns_wire_patch_u16(&w, 1, 0xffff);
	ok(o[1] == 0xff && o[2] == 0xff, "wire: patch u16");
	dns_wire_patch_u16(&w, 3, 0);
	ok(o[3] == 4, "wire: patch past written end ignored");
}

static void
test_dname_parse(void)
{
	uint8_t m[600], out[DNS_DNAME_MAX], lab[DNS_LABELS_MAX + 1];
	size_t pos, len;
	int n;

	/* "Foo.Example" at 12, "www" + pointer to 12 at 25 */
	memset(m, 0, 12);
	memcpy(m + 12, "\003Foo\007Example\000", 13);
	memcpy(m + 25, "\003www\300\014", 6);
	pos = 12;
	n = dns_dname_parse(m, 31, &pos, out, &len, lab);
	ok(n == 2 && len == 13 && pos == 25 && memcmp(out, m + 12, 13) == 0,
	   "dname: plain name, case kept");
	is_int(lab[1], 4, "dname: label offsets");
	pos = 25;
	n = dns_dname_parse(m, 31, &pos, out, &len, lab);
	ok(n == 3 && len == 17 && pos == 31 && memcmp(out + 4, m + 12, 13) == 0,
	   "dname: compressed name");
	/* pointer into the middle of a name (suffix) */
	memcpy(m + 31, "\300\020", 2);
	pos = 31;
	n = dns_dname_parse(m, 33, &pos, out, &len, NULL);
	ok(n == 1 && len == 9 && pos == 33, "dname: pointer to a suffix");
	/* pointer to itself */
	memcpy(m + 40, "\300\050", 2);
	pos = 40;
	is_int(dns_dname_parse(m, 42, &pos, out, &len, NULL), DD_EFORMERR, "dname: self pointer");
	/* forward pointer */
	memcpy(m + 40, "\300\052\001a\000", 5);
	pos = 40;
	is_int(dns_dname_parse(m, 45, &pos, out, &len, NULL), DD_EFORMERR, "dname: forward pointer");
	/* loop through two pointers: 40 -> 44 label then pointer back to 40 */
	memcpy(m + 40, "\001a\300\050", 4);
	pos = 40;
	is_int(dns_dname_parse(m, 44, &pos, out, &len, NULL), DD_EFORMERR,
	       "dname: pointer back into the same name");
	memcpy(m + 40, "\001a\300\054\001b\300\050", 8);
	pos = 44;
	is_int(dns_dname_parse(m, 48, &pos, out, &len, NULL), DD_EFORMERR, "dname: two-name loop");
	/* chain of backward pointers is fine */
	memcpy(m + 40, "\001a\300\014\001b\300\050", 8);
	pos = 44;
	n = dns_dname_parse(m, 48, &pos, out, &len, NULL);
	ok(n == 4 && len == 17 && pos == 48, "dname: pointer to a name holding a pointer");
	/* truncated */
	pos = 12;
	is_int(dns_dname_parse(m, 20, &pos, out, &len, NULL), DD_EFORMERR, "dname: truncated");
	memcpy(m + 40, "\300", 1);
	pos = 40;
	is_int(dns_dname_parse(m, 41, &pos, out, &len, NULL), DD_EFORMERR,
	       "dname: truncated pointer");
	/* bad label type */
	memcpy(m + 40, "\101a\000", 3);
	pos = 40;
	is_int(dns_dname_parse(m, 43, &pos, out, &len, NULL), DD_EFORMERR, "dname: label type 01");
	/* 127 labels is the most, 255 bytes */
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 127; i++) {
		m[2 * i] = 1;
		m[2 * i + 1] = 'x';
	}
	pos = 0;
	n = dns_dname_parse(m, 255, &pos, out, &len, lab);
	ok(n == 127 && len == 255, "dname: 127 labels, 255 bytes");
	m[254] = 1;
	m[255] = 'y';
	m[256] = 0;
	pos = 0;
	is_int(dns_dname_parse(m, 257, &pos, out, &len, lab), DD_EFORMERR, "dname: 256 bytes");
	/* too long via compression */
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 4; i++) {
		m[i * 64] = 63;
		memset(m + i * 64 + 1, 'a', 63);
	}
	m[256] = 0;
	pos = 0;
	is_int(dns_dname_parse(m, 257, &pos, out, &len, NULL), DD_EFORMERR, "dname: 257 bytes");
	m[200] = 0;
	m[300] = 63;
	memset(m + 301, 'b', 63);
	m[364] = 0xc0;
	m[365] = 0;
	pos = 300;
	is_int(dns_dname_parse(m, 366, &pos, out, &len, NULL), DD_EFORMERR,
	       "dname: too long after a pointer");
	is_int(dns_dname_wire_len((const uint8_t *)"\003abc\000", 5), 5, "dname: wire_len");
	is_int(dns_dname_wire_len((const uint8_t *)"\003abc\000", 4), DD_EFORMERR,
	       "dname: wire_len unterminated");
	is_int(dns_dname_wire_len((const uint8_t *)"\300\014", 2), DD_EFORMERR,
	       "dname: wire_len pointer");
}

static void
test_dname_str(void)
{
	uint8_t w[DNS_DNAME_MAX + 10];
	char s[DNS_DNAME_STR_MAX], big[600];
	int n;

	n = dns_dname_from_str("Home.Dyn.Example.Test", w, sizeof(w));
	ok(n == 23 && memcmp(w, "\004home\003dyn\007example\004test\000", 23) == 0,
	   "dname: from_str lower-cases");
	n = dns_dname_from_str("home.dyn.example.test.", w, sizeof(w));
	is_int(n, 23, "dname: trailing dot");
	is_int(dns_dname_from_str(".", w, sizeof(w)), 1, "dname: root");
	is_int(dns_dname_from_str("", w, sizeof(w)), 1, "dname: empty is root");
	is_int(dns_dname_from_str("a..b", w, sizeof(w)), DD_EINVAL, "dname: empty label");
	is_int(dns_dname_from_str(".a", w, sizeof(w)), DD_EINVAL, "dname: leading dot");
	is_int(dns_dname_from_str("a.b..", w, sizeof(w)), DD_EINVAL, "dname: two trailing dots");
	n = dns_dname_from_str("a\\.b.c", w, sizeof(w));
	ok(n == 7 && memcmp(w, "\003a.b\001c\000", 7) == 0, "dname: escaped dot");
	n = dns_dname_from_str("\\065\\\\.x", w, sizeof(w));
	ok(n == 6 && memcmp(w, "\002a\\\001x\000", 6) == 0, "dname: \\DDD and \\\\");
	is_int(dns_dname_from_str("\\256", w, sizeof(w)), DD_EINVAL, "dname: \\256");
	is_int(dns_dname_from_str("\\05", w, sizeof(w)), DD_EINVAL, "dname: short \\DD");
	is_int(dns_dname_from_str("a\\", w, sizeof(w)), DD_EINVAL, "dname: trailing backslash");
	memset(big, 'a', 63);
	big[63] = '\0';
	is_int(dns_dname_from_str(big, w, sizeof(w)), 65, "dname: 63-byte label");
	memset(big, 'a', 64);
	big[64] = '\0';
	is_int(dns_dname_from_str(big, w, sizeof(w)), DD_EINVAL, "dname: 64-byte label");
	/* 4 labels of 63 = 256 wire bytes; 3 of 63 + one of 61 = 255 */
	for (int i = 0; i < 4; i++) {
		memset(big + i * 64, 'a', 63);
		big[i * 64 + 63] = '.';
	}
	big[255] = '\0';
	is_int(dns_dname_from_str(big, w, sizeof(w)), DD_EINVAL, "dname: 256 wire bytes");
	big[253] = '\0';
	is_int(dns_dname_from_str(big, w, sizeof(w)), 255, "dname: 255 wire bytes");
	is_int(dns_dname_from_str("abc", w, 4), DD_EINVAL, "dname: output too small");

	n = dns_dname_to_str((const uint8_t *)"\004home\003dyn\000", 10, s, sizeof(s), false);
	ok(n == 8 && strcmp(s, "home.dyn") == 0, "dname: to_str");
	n = dns_dname_to_str((const uint8_t *)"\004home\003dyn\000", 10, s, sizeof(s), true);
	ok(strcmp(s, "home.dyn.") == 0, "dname: to_str with dot");
	dns_dname_to_str((const uint8_t *)"\000", 1, s, sizeof(s), false);
	ok(strcmp(s, ".") == 0, "dname: to_str root");
	dns_dname_to_str((const uint8_t *)"\003a.\001\000", 5, s, sizeof(s), false);
	ok(strcmp(s, "a\\.\\001") == 0, "dname: to_str escapes");
	n = dns_dname_from_str(s, w, sizeof(w));
	ok(n == 5 && memcmp(w, "\003a.\001\000", 5) == 0, "dname: escape round trip");
	is_int(dns_dname_to_str((const uint8_t *)"\004home\003dyn\000", 10, s, 5, false), DD_ENOSPC,
	       "dname: to_str too small");
	ok(dns_dname_is_sub((const uint8_t *)"\001a\003DYN\000", 7, (const uint8_t *)"\003dyn\000",
			    5),
	   "dname: is_sub");
	ok(!dns_dname_is_sub((const uint8_t *)"\002ab\002yn\000", 7,
			     (const uint8_t *)"\003dyn\000", 5),
	   "dname: is_sub at label boundaries only");
}

static void
test_rdata(void)
{
	uint8_t rd[1024];
	char s[1024], big[700];
	int n;

	n = dns_rdata_from_text(DNS_TYPE_A, "203.0.113.45", rd, sizeof(rd));
	ok(n == 4 && memcmp(rd, "\313\000\161\055", 4) == 0, "rdata: A");
	is_int(dns_rdata_from_text(DNS_TYPE_A, "203.0.113", rd, sizeof(rd)), DD_EINVAL,
	       "rdata: A short");
	is_int(dns_rdata_from_text(DNS_TYPE_A, "256.0.0.1", rd, sizeof(rd)), DD_EINVAL,
	       "rdata: A 256");
	is_int(dns_rdata_from_text(DNS_TYPE_A, "::1", rd, sizeof(rd)), DD_EINVAL, "rdata: A v6");
	is_int(dns_rdata_from_text(DNS_TYPE_A, "1.2.3.4", rd, 3), DD_ENOSPC, "rdata: A no room");
	n = dns_rdata_from_text(DNS_TYPE_AAAA, "2001:db8::1", rd, sizeof(rd));
	ok(n == 16 && rd[0] == 0x20 && rd[1] == 1 && rd[15] == 1, "rdata: AAAA");
	n = dns_rdata_from_text(DNS_TYPE_AAAA, "::", rd, sizeof(rd));
	ok(n == 16 && rd[0] == 0 && rd[15] == 0, "rdata: AAAA ::");
	n = dns_rdata_from_text(DNS_TYPE_AAAA, "::ffff:192.0.2.1", rd, sizeof(rd));
	ok(n == 16 && rd[10] == 0xff && rd[12] == 192 && rd[15] == 1, "rdata: AAAA v4-mapped");
	n = dns_rdata_from_text(DNS_TYPE_AAAA, "2001:0DB8:0000:0000:0000:0000:0000:0001", rd,
				sizeof(rd));
	ok(n == 16 && rd[2] == 0x0d && rd[15] == 1, "rdata: AAAA full form");
	is_int(dns_rdata_from_text(DNS_TYPE_AAAA, "1::2::3", rd, sizeof(rd)), DD_EINVAL,
	       "rdata: AAAA two ::");
	is_int(dns_rdata_from_text(DNS_TYPE_AAAA, "1.2.3.4", rd, sizeof(rd)), DD_EINVAL,
	       "rdata: AAAA v4");
	n = dns_rdata_from_text(DNS_TYPE_CNAME, "Home.Dyn.", rd, sizeof(rd));
	ok(n == 10 && memcmp(rd, "\004home\003dyn\000", 10) == 0, "rdata: CNAME");
	is_int(dns_rdata_from_text(DNS_TYPE_NS, "a..b", rd, sizeof(rd)), DD_EINVAL, "rdata: bad NS");
	n = dns_rdata_from_text(DNS_TYPE_TXT, "", rd, sizeof(rd));
	ok(n == 1 && rd[0] == 0, "rdata: empty TXT");
	n = dns_rdata_from_text(DNS_TYPE_TXT, "hi \"there\"", rd, sizeof(rd));
	ok(n == 11 && rd[0] == 10 && memcmp(rd + 1, "hi \"there\"", 10) == 0, "rdata: TXT raw");
	memset(big, 'x', 600);
	big[255] = 'y';
	big[600] = '\0';
	n = dns_rdata_from_text(DNS_TYPE_TXT, big, rd, sizeof(rd));
	ok(n == 603 && rd[0] == 255 && rd[256] == 255 && rd[512] == 90 && rd[257] == 'y',
	   "rdata: TXT split at 255");
	big[255] = '\0';
	n = dns_rdata_from_text(DNS_TYPE_TXT, big, rd, sizeof(rd));
	ok(n == 256 && rd[0] == 255, "rdata: TXT of exactly 255");
	is_int(dns_rdata_from_text(DNS_TYPE_TXT, "abc", rd, 3), DD_ENOSPC, "rdata: TXT no room");
	is_int(dns_rdata_from_text(DNS_TYPE_MX, "10 a", rd, sizeof(rd)), DD_ENOTIMP,
	       "rdata: MX not supported");
	n = dns_rdata_from_text(DNS_TYPE_TXT, big, rd, sizeof(rd));
	n = dns_rdata_to_text(DNS_TYPE_TXT, rd, (size_t)n, s, sizeof(s));
	ok(n == 255 && strcmp(s, big) == 0, "rdata: TXT to_text");
	is_int(dns_rdata_to_text(DNS_TYPE_TXT, (const uint8_t *)"\005ab", 3, s, sizeof(s)),
	       DD_EINVAL, "rdata: TXT to_text malformed");
	n = dns_rdata_from_text(DNS_TYPE_AAAA, "2001:db8::1", rd, sizeof(rd));
	dns_rdata_to_text(DNS_TYPE_AAAA, rd, 16, s, sizeof(s));
	ok(strcmp(s, "2001:db8::1") == 0, "rdata: AAAA to_text");
	dns_rdata_to_text(DNS_TYPE_CNAME, (const uint8_t *)"\001a\001b\000", 5, s, sizeof(s));
	ok(strcmp(s, "a.b") == 0, "rdata: CNAME to_text");
	is_int(dns_type_from_str("aaaa"), DNS_TYPE_AAAA, "rdata: type_from_str");
	is_int(dns_type_from_str("TYPE65280"), 65280, "rdata: TYPEnnn");
	is_int(dns_type_from_str("BOGUS"), DD_EINVAL, "rdata: unknown type");
	char tb[16];
	ok(strcmp(dns_type_to_str(99, tb), "TYPE99") == 0, "rdata: type_to_str");
	for (size_t i = 0; i < DNS_STORED_TYPES; i++) {
		uint16_t t = dns_stored_types[i];
		ok(dns_type_stored(t) && dns_stored_type_parse(dns_stored_type_str(t)) == t,
		   "rdata: stored type %s round-trips", dns_stored_type_str(t));
	}
	is_int(dns_stored_type_parse("cname"), DNS_TYPE_CNAME, "rdata: stored type any case");
	is_int(dns_stored_type_parse("MX"), 0, "rdata: MX is not a stored type");
	is_int(dns_stored_type_parse("TYPE1"), 0, "rdata: TYPEnnn is not a stored type's name");
	is_int(dns_stored_type_parse(NULL), 0, "rdata: no stored type from NULL");
	ok(!dns_type_stored(DNS_TYPE_SOA) && strcmp(dns_stored_type_str(DNS_TYPE_SOA), "?") == 0,
	   "rdata: SOA is not stored");
}

/* Appends one RR's fixed fields and RDATA after its owner (already at m[*n]). */
static void
rr_put(uint8_t *m, size_t *n, uint16_t type, uint32_t ttl, const void *rd, uint16_t rdlen)
{
	const uint8_t fixed[10] = {type >> 8, type & 0xff, 0, DNS_CLASS_IN, ttl >> 24, (ttl >> 16) & 0xff,
				   (ttl >> 8) & 0xff, ttl & 0xff, rdlen >> 8, rdlen & 0xff};

	memcpy(m + *n, fixed, sizeof(fixed));
	memcpy(m + *n + sizeof(fixed), rd, rdlen);
	*n += sizeof(fixed) + rdlen;
}

static void
test_rr(void)
{
	static const uint8_t owner[] = "\004Home\007Example\004Test";
	static const uint8_t a[] = {192, 0, 2, 1}, cname[] = "\005alias\300\014",
			     txt[] = "\005hello\005world", mx[] = "\000\012\300\014";
	const uint8_t ptr[] = {0xc0, 12};
	uint8_t m[256] = {0};
	char text[64];
	size_t n = 12, pos = 12, end;
	struct dns_rr r;

	memcpy(m + n, owner, sizeof(owner)); /* with its root label */
	n += sizeof(owner);
	rr_put(m, &n, DNS_TYPE_A, 300, a, sizeof(a));
	memcpy(m + n, ptr, 2), n += 2;
	rr_put(m, &n, DNS_TYPE_CNAME, 60, cname, sizeof(cname) - 1);
	memcpy(m + n, ptr, 2), n += 2;
	rr_put(m, &n, DNS_TYPE_TXT, 60, txt, sizeof(txt) - 1);
	memcpy(m + n, ptr, 2), n += 2;
	rr_put(m, &n, DNS_TYPE_MX, 60, mx, sizeof(mx) - 1);
	end = n;

	is_int(dns_rr_read(m, end, &pos, &r), 0, "rr: read an A");
	ok(strcmp(r.name, "home.example.test") == 0 && r.owner_len == sizeof(owner) &&
		   memcmp(r.owner, "\004home\007example\004test", sizeof(owner)) == 0,
	   "rr: owner lower-cased, text and wire (%s)", r.name);
	ok(r.type == DNS_TYPE_A && r.rclass == DNS_CLASS_IN && r.ttl == 300 && r.rdlen == 4 &&
		   r.rd == 12 + sizeof(owner) + 10,
	   "rr: the fixed fields and where the RDATA is");
	is_int(dns_rr_text(m, end, &r, text, sizeof(text)), 9, "rr: A as text");
	ok(strcmp(text, "192.0.2.1") == 0, "rr: %s", text);
	is_int(dns_rr_text(m, end, &r, text, 4), DD_ENOSPC, "rr: text too long for out");

	is_int(dns_rr_read(m, end, &pos, &r), 0, "rr: read a CNAME with a compressed owner");
	ok(strcmp(r.name, "home.example.test") == 0, "rr: the owner through its pointer");
	dns_rr_text(m, end, &r, text, sizeof(text));
	ok(strcmp(text, "alias.home.example.test") == 0, "rr: a compressed name in RDATA (%s)", text);

	is_int(dns_rr_read(m, end, &pos, &r), 0, "rr: read a TXT");
	dns_rr_text(m, end, &r, text, sizeof(text));
	ok(strcmp(text, "helloworld") == 0, "rr: TXT strings as the stored value (%s)", text);

	is_int(dns_rr_read(m, end, &pos, &r), 0, "rr: read an MX");
	ok(dns_rr_text(m, end, &r, text, sizeof(text)) < 0, "rr: an MX has no stored text");
	is_int((long)pos, (long)end, "rr: four reads end at the message's end");
	is_int(dns_rr_read(m, end, &pos, &r), DD_EFORMERR, "rr: nothing left to read");

	pos = 12;
	is_int(dns_rr_read(m, end - 1, &pos, &r), 0, "rr: the first RR of a shortened message");
	pos = n - 10 - (sizeof(mx) - 1) - 2;
	is_int(dns_rr_read(m, end - 1, &pos, &r), DD_EFORMERR, "rr: RDATA past the end");
	m[12 + sizeof(owner) + 10 + 4] = 0xc0; /* the CNAME's owner points at itself */
	m[12 + sizeof(owner) + 10 + 4 + 1] = (uint8_t)(12 + sizeof(owner) + 10 + 4);
	pos = 12 + sizeof(owner) + 10 + 4;
	is_int(dns_rr_read(m, end, &pos, &r), DD_EFORMERR, "rr: a pointer loop in the owner");
}

static void
test_pkt(void)
{
	struct dns_pkt p;
	uint8_t q[600];
	size_t n = mkq(q, "Www.Example", DNS_TYPE_A, NULL);

	is_int(dns_pkt_parse(&p, q, n), 0, "pkt: a plain query");
	ok(p.qname_len == 13 && memcmp(p.qname, "\003Www", 4) == 0 &&
		   memcmp(p.lname, "\003www", 4) == 0 && p.qtype == 1 && p.qclass == 1 &&
		   !p.has_edns && p.qlabels == 2,
	   "pkt: question fields");
	is_int(dns_pkt_parse(&p, q, 11), DD_EINVAL, "pkt: shorter than a header is dropped");
	q[2] |= 0x80;
	is_int(dns_pkt_parse(&p, q, n), DD_EINVAL, "pkt: QR=1 is dropped");
	q[2] &= 0x7f;
	is_int(dns_pkt_parse(&p, q, n - 1), DD_EFORMERR, "pkt: truncated question");
	ok(!p.has_question, "pkt: no question when truncated");
	q[5] = 2;
	is_int(dns_pkt_parse(&p, q, n), DD_EFORMERR, "pkt: qdcount 2");
	q[5] = 0;
	is_int(dns_pkt_parse(&p, q, n), DD_EFORMERR, "pkt: qdcount 0");
	q[5] = 1;
	q[7] = 1;
	is_int(dns_pkt_parse(&p, q, n), DD_EFORMERR, "pkt: ancount lies");
	ok(p.has_question, "pkt: question kept when a later part fails");
	q[7] = 0;
	q[n] = 0;
	is_int(dns_pkt_parse(&p, q, n + 1), DD_EFORMERR, "pkt: trailing garbage");

	struct qopt o = {7, 0, 4096, 0, true, 1};
	n = mkq(q, "a.example", DNS_TYPE_TXT, &o);
	is_int(dns_pkt_parse(&p, q, n), 0, "pkt: with OPT");
	ok(p.has_edns && p.edns.udp_size == 4096 && p.edns.do_bit && p.edns.version == 0,
	   "pkt: OPT fields");
	/* a second OPT */
	memcpy(q + n, q + n - 11, 11);
	q[11] = 2;
	is_int(dns_pkt_parse(&p, q, n + 11), DD_EFORMERR, "pkt: two OPTs");
	/* OPT with a non-root owner */
	n = mkq(q, "a.example", DNS_TYPE_TXT, &o);
	memmove(q + n - 9, q + n - 10, 10);
	q[n - 11] = 0xc0;
	q[n - 10] = 12;
	is_int(dns_pkt_parse(&p, q, n + 1), DD_EFORMERR, "pkt: OPT not owned by root");
	/* OPT in the answer section */
	n = mkq(q, "a.example", DNS_TYPE_TXT, &o);
	q[7] = 1;
	q[11] = 0;
	is_int(dns_pkt_parse(&p, q, n), DD_EFORMERR, "pkt: OPT in the answer section");
	/* OPT with a malformed option */
	n = mkq(q, "a.example", DNS_TYPE_TXT, &o);
	q[n - 1] = 3;
	memcpy(q + n, "\000\012\000", 3);
	is_int(dns_pkt_parse(&p, q, n + 3), DD_EFORMERR, "pkt: OPT option truncated");
	q[n - 1] = 6;
	/* 65001: a local/experimental code (RFC 6891 9) */
	memcpy(q + n, "\375\351\000\002ab", 6);
	is_int(dns_pkt_parse(&p, q, n + 6), 0, "pkt: OPT with an unknown option");
	memcpy(q + n, "\000\012\000\002ab", 6);
	is_int(dns_pkt_parse(&p, q, n + 6), DD_EFORMERR, "pkt: a COOKIE option of 2 bytes");
	/* an answer record with a compressed owner is skipped */
	n = mkq(q, "a.example", DNS_TYPE_TXT, NULL);
	memcpy(q + n, "\300\014\000\001\000\001\000\000\000\000\000\004\001\002\003\004", 16);
	q[7] = 1;
	is_int(dns_pkt_parse(&p, q, n + 16), 0, "pkt: known-answer record skipped");
	is_int(dns_pkt_parse(&p, q, n + 15), DD_EFORMERR, "pkt: record rdata truncated");
}

/* --- answer tests ------------------------------------------------------------ */

static void
test_basic_answer(void)
{
	struct qopt o = {0xbeef, DNS_FLAG_RD | DNS_FLAG_CD, -1, 0, false, 1};
	size_t n = ask("HoMe.DyN.eXample.TEST", DNS_TYPE_A, &o, false);
	size_t ql = mkq(Q, "HoMe.DyN.eXample.TEST", DNS_TYPE_A, &o);

	ok(n > 0, "answer: A reply");
	is_int(R.id, 0xbeef, "answer: same id");
	is_int(R.flags & ~DNS_FLAG_CD,
	       DNS_FLAG_QR | DNS_FLAG_AA | DNS_FLAG_RD, "answer: QR AA RD, RA=0, NOERROR");
	ok(R.qd == 1 && R.an == 1 && R.ns == 0 && R.ar == 0, "answer: counts");
	ok(memcmp(OUT + 12, Q + 12, ql - 12) == 0, "answer: question bytes echoed (0x20)");
	ok(OUT[ql] == 0xc0 && OUT[ql + 1] == 12, "answer: owner is a pointer to the question");
	ok(R.rr[0].type == DNS_TYPE_A && R.rr[0].cls == 1 && R.rr[0].ttl == 60 &&
		   rd_is_a(&R.rr[0], "203.0.113.45"),
	   "answer: the A record");
	is_int(n, ql + 16, "answer: 16 bytes of answer");
	ok(memcmp(R.rr[0].owner, "\004HoMe\003DyN\007eXample\004TEST", 23) == 0,
	   "answer: owner decompresses to the query's case");

	ask("home.dyn.example.test", DNS_TYPE_AAAA, NULL, false);
	ok(R.an == 1 && R.rr[0].type == DNS_TYPE_AAAA && rd_is_a(&R.rr[0], "2001:db8::1"),
	   "answer: AAAA");
	ask("txt.dyn.example.test", DNS_TYPE_TXT, NULL, false);
	ok(R.an == 1 && R.rr[0].rdl == 12 && memcmp(R.rr[0].rd, "\013hello world", 12) == 0,
	   "answer: TXT");
	ask("big.dyn.example.test", DNS_TYPE_A, NULL, true);
	is_int(R.an, 40, "answer: 40 A records over TCP");
	ask("dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(R.an == 1 && rd_is_a(&R.rr[0], "192.0.2.1") && (R.flags & DNS_FLAG_AA),
	   "answer: A at the apex comes from the entry");
	ask("dyn.example.test", DNS_TYPE_TXT, NULL, false);
	ok(R.an == 1 && R.rr[0].type == DNS_TYPE_TXT, "answer: TXT at the apex");
	ask("*.w.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(R.an == 1 && rd_is_a(&R.rr[0], "192.0.2.42"), "answer: the wildcard name itself");
}

static void
test_apex(void)
{
	ask("DYN.example.test", DNS_TYPE_SOA, NULL, false);
	ok(RCODE(R) == 0 && R.an == 1 && R.ns == 0 && (R.flags & DNS_FLAG_AA),
	   "apex: SOA answered");
	struct rr *s = &R.rr[0];
	ok(s->type == DNS_TYPE_SOA && s->ttl == 3600 && name_is(s->owner, s->olen, "dyn.example.test"),
	   "apex: SOA owner and TTL");
	ok(name_is(s->rd, 22, "ns1.dyn.example.test") &&
		   name_is(s->rd + 22, 25, "hostmaster.example.test") &&
		   dns_wire_get_u16(s->rd + 47) == (2026112301u >> 16) &&
		   dns_wire_get_u16(s->rd + 47 + 18) == 60,
	   "apex: SOA rdata");
	ok(OUT[12 + 18 + 4] == 0xc0 && OUT[12 + 18 + 5] == 12, "apex: SOA owner is a pointer");
	ok(s->rdlen < s->rdl, "apex: SOA rdata names compressed");

	ask("dyn.example.test", DNS_TYPE_NS, NULL, false);
	ok(R.an == 2 && R.rr[0].type == DNS_TYPE_NS && R.rr[0].ttl == 86400 &&
		   name_is(R.rr[0].rd, R.rr[0].rdl, "ns1.dyn.example.test") &&
		   name_is(R.rr[1].rd, R.rr[1].rdl, "ns2.example.net"),
	   "apex: NS answered from the zone");
	is_int(R.rr[0].rdlen, 6, "apex: in-zone NS name compressed against the question");
	ok(R.ar == 1 && R.rr[2].type == DNS_TYPE_A && rd_is_a(&R.rr[2], "192.0.2.53") &&
		   name_is(R.rr[2].owner, R.rr[2].olen, "ns1.dyn.example.test"),
	   "apex: glue for the in-zone NS");
	is_int(R.rr[2].olen, 22, "apex: glue owner");
}

static void
test_negative(void)
{
	size_t n = ask("nope.dyn.example.test", DNS_TYPE_A, NULL, false);
	size_t ql = 12 + 23 + 4;
	ok(RCODE(R) == DNS_RCODE_NXDOMAIN && (R.flags & DNS_FLAG_AA) && R.an == 0 && R.ns == 1,
	   "nxdomain: rcode, AA, SOA in authority");
	ok(R.rr[0].type == DNS_TYPE_SOA && R.rr[0].ttl == 60 &&
		   name_is(R.rr[0].owner, R.rr[0].olen, "dyn.example.test"),
	   "nxdomain: SOA TTL = min(TTL, MINIMUM)");
	ok(OUT[ql] == 0xc0 && OUT[ql + 1] == 12 + 5, "nxdomain: SOA owner points into the question");
	ok(n < ql + 60, "nxdomain: compact");

	ask("home.dyn.example.test", DNS_TYPE_TXT, NULL, false);
	ok(RCODE(R) == 0 && R.an == 0 && R.ns == 1 && R.rr[0].type == DNS_TYPE_SOA &&
		   R.rr[0].ttl == 60,
	   "nodata: NOERROR, empty answer, SOA");
	ask("home.dyn.example.test", DNS_TYPE_MX, NULL, false);
	ok(RCODE(R) == 0 && R.an == 0 && R.ns == 1, "nodata: MX");
	ask("a.b.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == 0 && R.an == 0 && R.ns == 1, "nodata: empty non-terminal");
	ask("b.dyn.example.test", DNS_TYPE_TXT, NULL, false);
	ok(RCODE(R) == 0 && R.an == 0 && R.ns == 1, "nodata: empty non-terminal, one level up");
	ask("x.a.b.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == DNS_RCODE_NXDOMAIN && R.ns == 1, "nxdomain: below an empty non-terminal");
	ask("dyn.example.test", DNS_TYPE_MX, NULL, false);
	ok(RCODE(R) == 0 && R.an == 0 && R.ns == 1, "nodata: apex MX");
	ask("w.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == 0 && R.an == 0, "nodata: parent of a wildcard is an empty non-terminal");
}

static void
test_wildcard(void)
{
	size_t ql = mkq(Q, "Foo.W.dyn.example.test", DNS_TYPE_A, NULL);
	run(Q, ql, false);
	ok(RCODE(R) == 0 && R.an == 1 && rd_is_a(&R.rr[0], "192.0.2.42") &&
		   (R.flags & DNS_FLAG_AA),
	   "wildcard: synthesized A");
	ok(OUT[ql] == 0xc0 && OUT[ql + 1] == 12 &&
		   memcmp(R.rr[0].owner, "\003Foo\001W", 6) == 0,
	   "wildcard: owner is the query name");
	ask("a.b.w.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == 0 && R.an == 1, "wildcard: several labels deep");
	ask("foo.w.dyn.example.test", DNS_TYPE_TXT, NULL, false);
	ok(RCODE(R) == 0 && R.an == 0 && R.ns == 1, "wildcard: NODATA for a missing type");
	ask("foo.cw.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == 0 && R.an == 2 && R.rr[0].type == DNS_TYPE_CNAME &&
		   rd_is_a(&R.rr[1], "203.0.113.45"),
	   "wildcard: synthesized CNAME followed");
	ask("zz.home.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == DNS_RCODE_NXDOMAIN, "wildcard: none at the closest encloser");

	/* RFC 4592 2.2.1 */
	ask("host3.example", DNS_TYPE_MX, NULL, false);
	ok(RCODE(R) == 0 && R.an == 1 && R.rr[0].type == DNS_TYPE_MX &&
		   name_is(R.rr[0].owner, R.rr[0].olen, "host3.example"),
	   "rfc4592: host3.example MX synthesized");
	ask("host3.example", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == 0 && R.an == 0 && R.ns == 1, "rfc4592: host3.example A is NODATA");
	ask("foo.bar.example", DNS_TYPE_TXT, NULL, false);
	ok(RCODE(R) == 0 && R.an == 1 && R.rr[0].rdl == 19, "rfc4592: foo.bar.example TXT");
	ask("host1.example", DNS_TYPE_MX, NULL, false);
	ok(RCODE(R) == 0 && R.an == 0 && R.ns == 1, "rfc4592: host1.example MX is NODATA");
	ask("sub.*.example", DNS_TYPE_MX, NULL, false);
	ok(RCODE(R) == 0 && R.an == 0 && R.ns == 1, "rfc4592: sub.*.example MX is NODATA");
	ask("_telnet._tcp.host1.example", DNS_TYPE_SRV, NULL, false);
	ok(RCODE(R) == DNS_RCODE_NXDOMAIN && R.an == 0,
	   "rfc4592: _telnet._tcp.host1.example is NXDOMAIN (empty non-terminal encloser)");
	ask("ghost.*.example", DNS_TYPE_MX, NULL, false);
	ok(RCODE(R) == DNS_RCODE_NXDOMAIN && R.an == 0, "rfc4592: ghost.*.example is NXDOMAIN");
	ask("_tcp.host1.example", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == 0 && R.an == 0 && R.ns == 1,
	   "rfc4592: an existing empty non-terminal never matches the wildcard");
	ask("*.example", DNS_TYPE_TXT, NULL, false);
	ok(RCODE(R) == 0 && R.an == 1, "rfc4592: *.example itself");
}

static void
test_cname(void)
{
	size_t ql = mkq(Q, "WWW.dyn.example.test", DNS_TYPE_A, NULL);
	run(Q, ql, false);
	ok(RCODE(R) == 0 && R.an == 2 && R.rr[0].type == DNS_TYPE_CNAME &&
		   R.rr[1].type == DNS_TYPE_A && rd_is_a(&R.rr[1], "203.0.113.45"),
	   "cname: followed inside the zone");
	ok(name_is(R.rr[0].rd, R.rr[0].rdl, "home.dyn.example.test") && R.rr[0].rdlen == 7,
	   "cname: target compressed against the question");
	ok(name_is(R.rr[1].owner, R.rr[1].olen, "home.dyn.example.test") &&
		   OUT[ql + 12 + 7] == 0xc0,
	   "cname: second owner is a pointer to the target");
	ask("www.dyn.example.test", DNS_TYPE_CNAME, NULL, false);
	ok(R.an == 1 && R.rr[0].type == DNS_TYPE_CNAME, "cname: qtype CNAME not followed");
	ask("ext.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == 0 && R.an == 2 && rd_is_a(&R.rr[1], "198.51.100.7"),
	   "cname: followed into another of our zones");
	ask("out.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == 0 && R.an == 1 && R.ns == 0, "cname: target outside our zones not followed");
	ask("dangling.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == DNS_RCODE_NXDOMAIN && R.an == 1 && R.ns == 1 && (R.flags & DNS_FLAG_AA),
	   "cname: rcode of the last name (RFC 6604)");
	ask("loop1.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == 0 && R.an == 2, "cname: loop stops");
	ask("c1.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == 0 && R.an == 9 && R.rr[8].type == DNS_TYPE_CNAME,
	   "cname: chain stops after 8 links");
	ask("c5.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == 0 && R.an == 9 && R.rr[8].type == DNS_TYPE_A,
	   "cname: chain of 8 links gets its answer");
	ask("home.dyn.example.test", DNS_TYPE_CNAME, NULL, false);
	ok(RCODE(R) == 0 && R.an == 0 && R.ns == 1, "cname: qtype CNAME NODATA");
}

static void
test_any(void)
{
	ask("home.dyn.example.test", DNS_TYPE_ANY, NULL, false);
	ok(RCODE(R) == 0 && R.an == 1 && R.rr[0].type == DNS_TYPE_A, "any: one rrset (RFC 8482)");
	ask("home.dyn.example.test", DNS_TYPE_ANY, NULL, true);
	ok(RCODE(R) == 0 && R.an == 1, "any: one rrset over TCP too");
	ask("dyn.example.test", DNS_TYPE_ANY, NULL, false);
	ok(R.an == 1 && R.rr[0].type == DNS_TYPE_SOA, "any: the SOA at the apex");
	ask("a.b.dyn.example.test", DNS_TYPE_ANY, NULL, false);
	ok(RCODE(R) == 0 && R.an == 0 && R.ns == 1, "any: empty non-terminal is NODATA");
	ask("nope.dyn.example.test", DNS_TYPE_ANY, NULL, false);
	ok(RCODE(R) == DNS_RCODE_NXDOMAIN, "any: NXDOMAIN");
}

static void
test_refused_notimp(void)
{
	struct qopt o = {1, DNS_FLAG_RD, -1, 0, false, 1};
	size_t ql;

	ask("example.com", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == DNS_RCODE_REFUSED && !(R.flags & DNS_FLAG_AA) && R.qd == 1 && R.an == 0,
	   "refused: outside our zones, no AA");
	ask("xdyn.example.test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == DNS_RCODE_REFUSED, "refused: suffix match only at label boundaries");
	ask("test", DNS_TYPE_A, NULL, false);
	ok(RCODE(R) == DNS_RCODE_REFUSED, "refused: parent of a zone");
	o.qclass = 3; /* CH */
	ask("home.dyn.example.test", DNS_TYPE_A, &o, false);
	ok(RCODE(R) == DNS_RCODE_REFUSED && R.qclass == 3, "refused: class CH");
	o.qclass = DNS_CLASS_ANY;
	ask("home.dyn.example.test", DNS_TYPE_A, &o, false);
	ok(RCODE(R) == 0 && R.an == 1 && R.rr[0].cls == 1 && R.qclass == 255,
	   "class ANY answered with IN data");
	o.qclass = 1;
	ask("dyn.example.test", DNS_TYPE_AXFR, NULL, false);
	ok(RCODE(R) == DNS_RCODE_REFUSED, "refused: AXFR");
	ask("dyn.example.test", DNS_TYPE_IXFR, NULL, true);
	ok(RCODE(R) == DNS_RCODE_REFUSED, "refused: IXFR");
	ask("dyn.example.test", DNS_TYPE_MAILA, NULL, false);
	ok(RCODE(R) == DNS_RCODE_NOTIMP, "notimp: MAILA");
	ask("dyn.example.test", DNS_TYPE_MAILB, NULL, false);
	ok(RCODE(R) == DNS_RCODE_NOTIMP, "notimp: MAILB");
	/* one check for opcodes 1-15, whichever of them goes wrong first */
	unsigned bad_op = 0;
	for (unsigned op = 1; op < 16 && bad_op == 0; op++) {
		o.flags = (uint16_t)(op << 11 | DNS_FLAG_RD);
		ql = mkq(Q, "home.dyn.example.test", DNS_TYPE_A, &o);
		memset(&R, 0, sizeof(R));
		if (run(Q, ql, false) == 0 || RCODE(R) != DNS_RCODE_NOTIMP ||
		    DNS_OPCODE(R.flags) != op || R.qd != 1 || R.an != 0)
			bad_op = op;
	}
	ok(bad_op == 0, "notimp: every opcode but QUERY (1-15), opcode echoed");
	if (bad_op != 0)
		diag("opcode %u: rcode %u, opcode %u, qd %u, an %u", bad_op, RCODE(R),
		     (unsigned)DNS_OPCODE(R.flags), (unsigned)R.qd, (unsigned)R.an);
}

static void
test_formerr(void)
{
	size_t ql = mkq(Q, "home.dyn.example.test", DNS_TYPE_A, NULL);
	size_t n;

	Q[5] = 2;
	n = run(Q, ql, false);
	ok(n == 12 && RCODE(R) == DNS_RCODE_FORMERR && R.qd == 0 && R.id == 0x1234 &&
		   (R.flags & DNS_FLAG_QR) && (R.flags & DNS_FLAG_RD),
	   "formerr: qdcount 2, header only");
	Q[5] = 0;
	n = run(Q, ql, false);
	ok(n == 12 && RCODE(R) == DNS_RCODE_FORMERR, "formerr: qdcount 0");
	/* a header alone with an opcode we do not implement: NOTIMP first
	 * (ISC genreport's opcodeflg check); UPDATE and NOTIFY still FORMERR */
	Q[2] = (uint8_t)(Q[2] | 0x78); /* opcode 15 */
	n = run(Q, DNS_HDR_LEN, false);
	ok(n == 12 && RCODE(R) == DNS_RCODE_NOTIMP && DNS_OPCODE(R.flags) == 15,
	   "notimp: opcode 15, header only");
	Q[2] = (uint8_t)((Q[2] & ~0x78) | (DNS_OPCODE_UPDATE << 3));
	n = run(Q, DNS_HDR_LEN, false);
	ok(n == 12 && RCODE(R) == DNS_RCODE_FORMERR, "formerr: UPDATE, header only");
	Q[2] = (uint8_t)(Q[2] & ~0x78);
	Q[5] = 1;
	n = run(Q, ql - 2, false);
	ok(n == 12 && RCODE(R) == DNS_RCODE_FORMERR, "formerr: truncated question");
	Q[11] = 1;
	n = run(Q, ql, false);
	ok(n == ql && RCODE(R) == DNS_RCODE_FORMERR && R.qd == 1 && !(R.flags & DNS_FLAG_AA),
	   "formerr: arcount lies, question echoed");
	Q[11] = 0;
	Q[ql] = 0xff;
	n = run(Q, ql + 1, false);
	ok(n == ql && RCODE(R) == DNS_RCODE_FORMERR, "formerr: trailing garbage");
	memcpy(Q + 12, "\300\014", 2);
	n = run(Q, 18, false);
	ok(n == 12 && RCODE(R) == DNS_RCODE_FORMERR, "formerr: question name loops");
	struct qopt o = {9, 0, 1232, 0, false, 1};
	ql = mkq(Q, "home.dyn.example.test", DNS_TYPE_A, &o);
	memcpy(Q + ql, Q + ql - 11, 11);
	Q[11] = 2;
	n = run(Q, ql + 11, false);
	ok(RCODE(R) == DNS_RCODE_FORMERR && !R.opt && R.qd == 1, "formerr: two OPT records");

	ql = mkq(Q, "home.dyn.example.test", DNS_TYPE_A, NULL);
	Q[2] |= 0x80;
	STATS.dropped = 0;
	is_int(dns_answer(&CTX, Q, ql, OUT, sizeof(OUT), false), 0, "drop: QR=1");
	is_int(dns_answer(&CTX, Q, 11, OUT, sizeof(OUT), false), 0, "drop: 11 bytes");
	is_int(STATS.dropped, 2, "drop: counted");
	Q[2] &= 0x7f;
	is_int(dns_answer(&CTX, Q, ql, OUT, 11, false), 0, "drop: no room for a header");
}

/* RRL and cookies through dns_answer: a valid cookie exempts its query only. */
static void
test_rrl_answer(void)
{
	struct dns_rrl_cfg rc = {.rate = 1, .slip = 0, .v4_bits = 24, .v6_bits = 56};
	struct dns_cookie_keys ck = {.on = true};
	struct sockaddr_in cl = {.sin_family = AF_INET};
	struct qopt o = {0x1234, DNS_FLAG_RD, 1232, 0, false, DNS_CLASS_IN};
	struct shm_rrl *rl = shm_rrl_create();
	uint8_t cookie[DNS_COOKIE_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
	unsigned answered = 0;
	size_t n;

	if (rl == NULL) {
		ok(0, "rrl: the shared counters are made");
		return;
	}
	inet_pton(AF_INET, "192.0.2.1", &cl.sin_addr);
	for (int i = 0; i < DNS_COOKIE_SECRET_LEN; i++)
		ck.secret[i] = (uint8_t)(i * 7);
	CTX.rrl = rl;
	CTX.rrl_cfg = &rc;
	CTX.cookies = &ck;
	CTX.client = (const struct sockaddr *)&cl;
	CTX.now = 1800000000u;
	dns_cookie_server(ck.secret, cookie, CTX.now, (const uint8_t *)&cl.sin_addr, 4, cookie + 8);
	/* three queries with the cookie: an OPT with the COOKIE option appended */
	for (int i = 0; i < 3; i++) {
		n = mkq(Q, "home.dyn.example.test", DNS_TYPE_A, &o);
		dns_wire_put_u16(Q + n - 2, 4 + DNS_COOKIE_LEN);
		dns_wire_put_u16(Q + n, DNS_EDNS_COOKIE);
		dns_wire_put_u16(Q + n + 2, DNS_COOKIE_LEN);
		memcpy(Q + n + 4, cookie, DNS_COOKIE_LEN);
		answered += run(Q, n + 4 + DNS_COOKIE_LEN, false) > 0 && CTX.cookie == DNS_COOKIE_VALID;
	}
	is_int((int)answered, 3, "rrl at 1/s: three queries with a valid cookie are all answered");
	ok(ask("home.dyn.example.test", DNS_TYPE_A, NULL, false) > 0,
	   "rrl: the first without a cookie is answered");
	n = ask("home.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(n == 0 && CTX.rrl_verdict == SHM_RRL_DROP,
	   "rrl: the second is dropped (the cookie of the query before does not carry over)");
	ok(ask("home.dyn.example.test", DNS_TYPE_A, NULL, true) > 0, "rrl: TCP is never limited");
	CTX.rrl = NULL;
	CTX.rrl_cfg = NULL;
	CTX.cookies = NULL;
	CTX.client = NULL;
	shm_rrl_destroy(rl);
}

static void
test_edns(void)
{
	struct qopt o = {5, 0, 4096, 0, true, 1};
	size_t n, ql;

	n = ask("home.dyn.example.test", DNS_TYPE_A, &o, false);
	ok(R.opt && R.ar == 1 && R.opt_udp == 1232 && R.opt_ttl == 0x8000 && R.rr[1].rdlen == 0,
	   "edns: OPT with our size, version 0, DO copied, no options");
	ok(memcmp(OUT + n - 11, "\000\000\051\004\320\000\000\200\000\000\000", 11) == 0,
	   "edns: OPT bytes");
	o.do_bit = false;
	ask("home.dyn.example.test", DNS_TYPE_A, &o, false);
	ok(R.opt && R.opt_ttl == 0, "edns: DO clear");
	ask("home.dyn.example.test", DNS_TYPE_A, NULL, false);
	ok(!R.opt && R.ar == 0, "edns: no OPT without one in the query");

	o.version = 1;
	o.do_bit = true;
	STATS.answers[0][STATS_RCODE_BADVERS] = 0;
	ql = mkq(Q, "home.dyn.example.test", DNS_TYPE_A, &o);
	n = run(Q, ql, false);
	ok(RCODE(R) == 0 && R.opt && (R.opt_ttl >> 24) == 1 && ((R.opt_ttl >> 16) & 0xff) == 0 &&
		   R.an == 0 && R.ns == 0 && R.ar == 1 && R.qd == 1,
	   "edns: BADVERS, no answer data");
	ok(n == ql && OUT[ql - 11 + 5] == 1 && OUT[ql - 11 + 6] == 0, "edns: BADVERS bytes");
	is_int(STATS.answers[0][STATS_RCODE_BADVERS], 1, "edns: BADVERS counted");
	o.version = 0;

	/* an unknown option is ignored */
	ql = mkq(Q, "home.dyn.example.test", DNS_TYPE_A, &o);
	Q[ql - 1] = 4;
	memcpy(Q + ql, "\000\003\000\000", 4); /* NSID request */
	run(Q, ql + 4, false);
	ok(RCODE(R) == 0 && R.an == 1 && R.opt && R.rr[1].rdlen == 0,
	   "edns: options ignored, none sent");

	/* UDP size: 40 A records = 40*16 + question > 512 */
	STATS.truncated = 0;
	ql = mkq(Q, "big.dyn.example.test", DNS_TYPE_A, NULL);
	n = run(Q, ql, false);
	ok((R.flags & DNS_FLAG_TC) && R.an == 0 && R.ns == 0 && R.ar == 0 && n == ql &&
		   (R.flags & DNS_FLAG_AA),
	   "tc: over 512 without EDNS, question only");
	is_int(STATS.truncated, 1, "tc: counted");
	n = run(Q, ql, true);
	ok(!(R.flags & DNS_FLAG_TC) && R.an == 40 && n == ql + 40 * 16, "tc: full answer over TCP");
	o.edns_udp = 1232;
	ask("big.dyn.example.test", DNS_TYPE_A, &o, false);
	ok(!(R.flags & DNS_FLAG_TC) && R.an == 40 && R.opt, "tc: fits in 1232 with EDNS");
	o.edns_udp = 600;
	ql = mkq(Q, "big.dyn.example.test", DNS_TYPE_A, &o);
	n = run(Q, ql, false);
	ok((R.flags & DNS_FLAG_TC) && R.an == 0 && R.opt && R.ar == 1 && n == ql,
	   "tc: client's 600 limits, OPT kept");
	o.edns_udp = 100;
	ql = mkq(Q, "big.dyn.example.test", DNS_TYPE_A, &o);
	n = run(Q, ql, false);
	ok((R.flags & DNS_FLAG_TC), "tc: advertised size below 512 counts as 512");
	o.edns_udp = 200;
	ask("home.dyn.example.test", DNS_TYPE_A, &o, false);
	ok(!(R.flags & DNS_FLAG_TC) && R.an == 1, "edns: small answer under a small size");
	/* our own maximum caps a large advertised size */
	CTX.edns_udp_max = 600;
	o.edns_udp = 4096;
	ask("big.dyn.example.test", DNS_TYPE_A, &o, false);
	ok((R.flags & DNS_FLAG_TC) && R.opt_udp == 600, "tc: our edns_udp_max caps the size");
	CTX.edns_udp_max = DNS_UDP_DEFAULT;
	/* a small output buffer truncates too */
	ql = mkq(Q, "big.dyn.example.test", DNS_TYPE_A, NULL);
	n = dns_answer(&CTX, Q, ql, OUT, 100, true);
	ok(n == ql && (OUT[2] & 0x02), "tc: limited by the output buffer");
}

static void
test_stats(void)
{
	memset(&STATS, 0, sizeof(STATS));
	ask("home.dyn.example.test", DNS_TYPE_A, NULL, false);
	ask("home.dyn.example.test", DNS_TYPE_AAAA, NULL, false);
	ask("nope.dyn.example.test", DNS_TYPE_TXT, NULL, false);
	ask("example.com", DNS_TYPE_MX, NULL, false);
	is_int(STATS.answers[0][0], 1, "stats: A NOERROR");
	is_int(STATS.answers[1][0], 1, "stats: AAAA NOERROR");
	is_int(STATS.answers[2][3], 1, "stats: TXT NXDOMAIN");
	is_int(STATS.answers[7][5], 1, "stats: other type REFUSED");
	{
		uint64_t sum = 0;
		for (unsigned q = 0; q < STATS_QTYPES; q++)
			for (unsigned c = 0; c < STATS_RCODES; c++)
				sum += STATS.answers[q][c];
		is_int(sum, 4, "stats: nothing else counted");
	}
	ok(STATS.queries_udp == 0, "stats: queries counted by the caller");
}

/* Every reply must parse, stay within its limit and echo the id. */
static int
check_reply(const uint8_t *q, size_t qlen, bool tcp)
{
	size_t n = dns_answer(&CTX, q, qlen, OUT, sizeof(OUT), tcp);
	if (n == 0)
		return qlen < 12 || (q[2] & 0x80) ? 0 : -1;
	if (n > (tcp ? DNS_MSG_MAX : 1232u) || parse_reply(OUT, n, &R) < 0)
		return -1;
	return R.id == dns_wire_get_u16(q) ? 0 : -1;
}

static void
test_random(void)
{
	static const char *names[] = {"home.dyn.example.test", "Foo.w.dyn.example.test",
				      "c1.dyn.example.test",   "big.dyn.example.test",
				      "dyn.example.test",      "nope.dyn.example.test",
				      "ext.dyn.example.test",  "host3.example"};
	static const uint16_t types[] = {1, 28, 16, 5, 6, 2, 255, 15, 252, 0};
	uint8_t q[600];
	unsigned seed = 12345, bad = 0, iters = 200000;

	srand(seed);
	for (unsigned i = 0; i < iters; i++) {
		size_t ql;
		struct qopt o = {(uint16_t)rand(), (uint16_t)(rand() & 0x7fff), -1, 0, false, 1};
		if (i % 4 == 0) {
			ql = (size_t)(rand() % 300);
			for (size_t k = 0; k < ql; k++)
				q[k] = (uint8_t)rand();
		} else {
			if (rand() & 1)
				o.edns_udp = rand() & 0xffff;
			o.version = (uint8_t)(rand() % 8 == 0);
			o.flags &= (uint16_t)(rand() & 1 ? 0x7fff : 0x0100);
			ql = mkq(q, names[rand() % 8], types[rand() % 10], &o);
			int flips = rand() % 4;
			for (int k = 0; k < flips; k++)
				q[rand() % ql] = (uint8_t)rand();
			if (rand() % 8 == 0)
				ql = (size_t)(rand() % (int)ql + 1);
			else if (rand() % 8 == 0)
				for (int k = 0; k < 20; k++)
					q[ql++] = (uint8_t)rand();
		}
		bool tcp = rand() & 1;
		if (check_reply(q, ql, tcp) < 0 && bad++ < 5)
			diag("bad reply for packet %u", i);
	}
	is_int(bad, 0, "random: %u packets, every reply parses within its limit", iters);
}

static void
test_timing(void)
{
	size_t ql = mkq(Q, "home.dyn.example.test", DNS_TYPE_A, NULL);
	struct timespec a, b;
	unsigned n = 200000;
	size_t sum = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned i = 0; i < n; i++)
		sum += dns_answer(&CTX, Q, ql, OUT, sizeof(OUT), false);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n;
	diag("A answer: %.0f ns per query", ns);
	ok(sum == n * (ql + 16), "timing loop answered");

	ql = mkq(Q, "x.y.w.dyn.example.test", DNS_TYPE_A, NULL);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned i = 0; i < n / 4; i++)
		sum += dns_answer(&CTX, Q, ql, OUT, sizeof(OUT), false);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (n / 4);
	diag("wildcard A answer: %.0f ns per query", ns);
	ql = mkq(Q, "nope.dyn.example.test", DNS_TYPE_A, NULL);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned i = 0; i < n / 4; i++)
		sum += dns_answer(&CTX, Q, ql, OUT, sizeof(OUT), false);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (n / 4);
	diag("NXDOMAIN answer: %.0f ns per query", ns);
}

/* RFC 1982 serial arithmetic and the message builder used by transfers. */
static void
test_msg_serial(void)
{
	struct dns_msgb m;
	struct dns_pkt p;
	uint8_t buf[512], apex[DNS_DNAME_MAX], rd[4] = {192, 0, 2, 1};
	int al = dns_dname_from_str("dyn.example.test", apex, sizeof(apex));

	ok(dns_serial_gt(2, 1) && !dns_serial_gt(1, 2) && !dns_serial_gt(5, 5), "serial: plain order");
	ok(dns_serial_gt(0, 4294967295u) && dns_serial_gt(1, 4294967295u), "serial: 0 follows 2^32-1");
	ok(!dns_serial_gt(4294967295u, 0), "serial: 2^32-1 precedes 0");
	ok(dns_serial_gt(0x7fffffffu, 0) && !dns_serial_gt(0x80000000u, 0),
	   "serial: at most 2^31-1 ahead (RFC 1982 3.2)");
	ok(!dns_serial_gt(4294967295u, 73) && dns_serial_gt(73, 4294967295u),
	   "serial: 2^32-1 is before 73, 73 after it (74 apart across the wrap)");
	ok(!dns_serial_gt(0x80000000u, 0) && !dns_serial_gt(0, 0x80000000u),
	   "serial: exactly 2^31 apart is undefined: neither is later");
	ok(!dns_serial_gt(1000 + 0x80000000u, 1000) && !dns_serial_gt(1000, 1000 + 0x80000000u),
	   "serial: 2^31 apart anywhere in the space: neither is later");
	ok(dns_serial_gt(1000, 1000 + 0x80000001u) && !dns_serial_gt(1000 + 0x80000001u, 1000),
	   "serial: 2^31+1 ahead is behind");
	ok(dns_serial_gt(5, 4294967290u) && !dns_serial_gt(4294967290u, 5), "serial: 5 follows 2^32-6");
	is_int(dns_serial_raise(73, 4294967295u), 74, "raise: 2^32-1 over 73 gives 74");
	is_int(dns_serial_raise(73, 1000), 1000, "raise: 1000 over 73 is taken");
	is_int(dns_serial_raise(73, 73), 74, "raise: the same serial gives + 1");
	is_int(dns_serial_raise(73, 74), 74, "raise: + 1 itself");
	is_int(dns_serial_raise(73, 72), 74, "raise: an earlier one gives + 1");
	ok(dns_serial_raise(4294967295u, 0) == 0, "raise: 0 follows 2^32-1");
	ok(dns_serial_raise(4294967295u, 4294967295u) == 0, "raise: + 1 wraps to 0");
	ok(dns_serial_raise(4294967290u, 5) == 5, "raise: 5 after 2^32-6 is taken");
	ok(dns_serial_raise(0, 0x80000000u) == 1, "raise: 2^31 ahead (undefined) gives + 1");
	ok(dns_serial_raise(0, 0x7fffffffu) == 0x7fffffffu, "raise: 2^31-1 ahead is taken");

	is_int(dns_msgb_init(&m, buf, sizeof(buf), 0x1234, DNS_FLAG_QR | DNS_FLAG_AA, apex,
			     (size_t)al, DNS_TYPE_AXFR, DNS_CLASS_IN),
	       0, "msgb: header and question");
	is_int(dns_msgb_rr(&m, DNS_SEC_AN, apex, (size_t)al, DNS_TYPE_A, DNS_CLASS_IN, 60, rd, 4), 0,
	       "msgb: one A");
	{
		size_t len = dns_msgb_finish(&m);
		buf[2] &= 0x7f; /* parse it as a query: dns_pkt_parse drops responses */
		is_int(dns_pkt_parse(&p, buf, len), 0, "msgb: the message parses");
		ok(p.id == 0x1234 && p.qdcount == 1 && p.ancount == 1 && p.qtype == DNS_TYPE_AXFR,
		   "msgb: id, counts and question as built");
	}
	dns_msgb_init(&m, buf, 40, 1, 0, apex, (size_t)al, DNS_TYPE_SOA, DNS_CLASS_IN);
	is_int(dns_msgb_rr(&m, DNS_SEC_AN, apex, (size_t)al, DNS_TYPE_A, DNS_CLASS_IN, 60, rd, 4),
	       DD_ENOSPC, "msgb: an RR over the limit is refused");
	is_int((int)m.count[DNS_SEC_AN], 0, "msgb: and nothing of it written");
	ok(dns_answer_wants_writer(buf, dns_msgb_finish(&m)) == false,
	   "an ordinary SOA query stays with the DNS worker");
	dns_msgb_init(&m, buf, sizeof(buf), 1, 0, apex, (size_t)al, DNS_TYPE_IXFR, DNS_CLASS_IN);
	ok(dns_answer_wants_writer(buf, dns_msgb_finish(&m)), "IXFR goes to the writer");
	dns_msgb_init(&m, buf, sizeof(buf), 1, (uint16_t)(DNS_OPCODE_UPDATE << 11), apex, (size_t)al,
		      DNS_TYPE_SOA, DNS_CLASS_IN);
	ok(dns_answer_wants_writer(buf, dns_msgb_finish(&m)), "UPDATE goes to the writer");
}

/* Response-rate limiting: the keys (dns/rrl.h) and the shared counters (shm/rrl.h). */
static void
test_rrl(void)
{
	struct dns_rrl_net ex = {.v6 = 0, .bits = 24, .a = {198, 51, 100, 0}};
	struct dns_rrl_cfg cfg = {.rate = 5, .slip = 2, .v4_bits = 24, .v6_bits = 56,
				  .exempt = &ex, .nexempt = 1};
	struct sockaddr_in a = {.sin_family = AF_INET}, b = a, e = a;
	struct sockaddr_in6 m = {.sin6_family = AF_INET6};
	uint8_t k1[SHM_RRL_KEY_MAX], k2[SHM_RRL_KEY_MAX];
	static const uint8_t name[] = "\004host\007example\000";
	size_t l1, l2;
	struct shm_rrl *r = shm_rrl_create();
	unsigned pass = 0, slip = 0, drop = 0;

	inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
	inet_pton(AF_INET, "192.0.2.200", &b.sin_addr);
	inet_pton(AF_INET, "198.51.100.7", &e.sin_addr);
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &m.sin6_addr);
	l1 = dns_rrl_key(&cfg, (struct sockaddr *)&a, DNS_RRL_ANSWER, name, sizeof(name) - 1, k1);
	l2 = dns_rrl_key(&cfg, (struct sockaddr *)&b, DNS_RRL_ANSWER, name, sizeof(name) - 1, k2);
	ok(l1 > 0 && l1 == l2 && memcmp(k1, k2, l1) == 0, "rrl: one key for a /24");
	l2 = dns_rrl_key(&cfg, (struct sockaddr *)&m, DNS_RRL_ANSWER, name, sizeof(name) - 1, k2);
	ok(l1 == l2 && memcmp(k1, k2, l1) == 0, "rrl: an IPv4-mapped address counts as IPv4");
	l2 = dns_rrl_key(&cfg, (struct sockaddr *)&a, DNS_RRL_NXDOMAIN, name, sizeof(name) - 1, k2);
	ok(l1 == l2 && memcmp(k1, k2, l1) != 0, "rrl: the class is part of the key");
	is_int((int)dns_rrl_key(&cfg, (struct sockaddr *)&e, DNS_RRL_ANSWER, name, sizeof(name) - 1,
				k2),
	       0, "rrl: an exempt address has no key");
	if (r == NULL) {
		ok(0, "rrl: the shared counters are made");
		return;
	}
	for (int i = 0; i < 25; i++) {
		enum shm_rrl_verdict v = shm_rrl_account(r, k1, l1, 1000, cfg.rate, cfg.slip);
		pass += v == SHM_RRL_PASS;
		slip += v == SHM_RRL_SLIP;
		drop += v == SHM_RRL_DROP;
	}
	ok(pass == 5 && slip == 10 && drop == 10,
	   "rrl: 25 in one second at 5/s, slip 2: 5 answered, 10 slipped, 10 dropped (%u %u %u)", pass,
	   slip, drop);
	is_int(shm_rrl_account(r, k1, l1, 1001, cfg.rate, cfg.slip), SHM_RRL_PASS,
	       "rrl: the next second starts afresh");
	is_int(shm_rrl_account(r, k2, l1, 1001, cfg.rate, 0), SHM_RRL_PASS,
	       "rrl: another key has its own allowance");
	shm_rrl_destroy(r);
}

/* DNS cookies (dns/cookie.h): RFC 9018's server cookie, checked both ways. */
static void
test_cookies(void)
{
	struct dns_cookie_keys k = {.on = true};
	static const uint8_t client[8] = {1, 2, 3, 4, 5, 6, 7, 8}, ip[4] = {127, 0, 0, 1};
	uint8_t opt[DNS_COOKIE_LEN];
	uint32_t now = 1800000000u;

	for (int i = 0; i < DNS_COOKIE_SECRET_LEN; i++) {
		k.secret[i] = (uint8_t)i;
		k.prev[i] = (uint8_t)(0xf0 ^ i);
	}
	ok(!dns_cookie_len_ok(7) && dns_cookie_len_ok(8) && !dns_cookie_len_ok(9) &&
		   !dns_cookie_len_ok(15) && dns_cookie_len_ok(16) && dns_cookie_len_ok(40) &&
		   !dns_cookie_len_ok(41),
	   "cookie lengths: 8 or 16..40 (RFC 7873 5.2.2)");
	memcpy(opt, client, 8);
	dns_cookie_server(k.secret, client, now, ip, 4, opt + 8);
	ok(opt[8] == 1 && opt[9] == 0 && opt[10] == 0 && opt[11] == 0 &&
		   opt[12] == (uint8_t)(now >> 24) && opt[15] == (uint8_t)now,
	   "server cookie: version 1, reserved 0, the timestamp (RFC 9018 4.2)");
	is_int(dns_cookie_check(&k, opt, 8, now, ip, 4), DNS_COOKIE_CLIENT, "a client cookie alone");
	is_int(dns_cookie_check(&k, opt, sizeof(opt), now, ip, 4), DNS_COOKIE_VALID, "valid");
	is_int(dns_cookie_check(&k, opt, sizeof(opt), now + 3600, ip, 4), DNS_COOKIE_VALID,
	       "valid for an hour");
	is_int(dns_cookie_check(&k, opt, sizeof(opt), now + 3601, ip, 4), DNS_COOKIE_INVALID,
	       "invalid after an hour");
	is_int(dns_cookie_check(&k, opt, sizeof(opt), now - 301, ip, 4), DNS_COOKIE_INVALID,
	       "invalid more than 5 minutes ahead");
	{
		static const uint8_t other[4] = {127, 0, 0, 2};
		is_int(dns_cookie_check(&k, opt, sizeof(opt), now, other, 4), DNS_COOKIE_INVALID,
		       "invalid from another address");
	}
	opt[23] ^= 1;
	is_int(dns_cookie_check(&k, opt, sizeof(opt), now, ip, 4), DNS_COOKIE_INVALID,
	       "invalid when one bit of the hash changed");
	dns_cookie_server(k.prev, client, now, ip, 4, opt + 8);
	is_int(dns_cookie_check(&k, opt, sizeof(opt), now, ip, 4), DNS_COOKIE_INVALID,
	       "another secret's cookie: invalid");
	k.has_prev = true;
	is_int(dns_cookie_check(&k, opt, sizeof(opt), now, ip, 4), DNS_COOKIE_VALID,
	       "the previous secret's cookie: valid during a rollover");
}

int
main(void)
{
	test_wire();
	test_cookies();
	test_rrl();
	test_msg_serial();
	test_dname_parse();
	test_dname_str();
	test_rdata();
	test_rr();
	test_pkt();

	build_table();
	if (dns_answer_ctx_init(&CTX, T, DNS_UDP_DEFAULT, &STATS) < 0) {
		diag("dns_answer_ctx_init failed");
		return 1;
	}
	test_basic_answer();
	test_apex();
	test_negative();
	test_wildcard();
	test_cname();
	test_any();
	test_refused_notimp();
	test_formerr();
	test_edns();
	test_rrl_answer();
	test_stats();
	test_random();
	test_timing();
	dns_answer_ctx_fini(&CTX);
	shm_table_destroy(T);
	return tap_done();
}
