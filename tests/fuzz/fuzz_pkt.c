/*
 * fuzz_pkt.c - libFuzzer target: dns_pkt_parse and dns_answer over any bytes.
 *
 * A small table is built once (two zones, wildcards, CNAME chains and loops,
 * an RRset too big for 512 bytes).  Each input is answered as UDP and as TCP;
 * every reply must parse, stay within its limit and keep the query's id.
 * The same bytes go through the TSIG code the writer process runs on
 * requests and a secondary on replies (dns/tsig.c): verify as a request with
 * two keys, and when that passes sign a reply; verify as a reply.
 */
#include <stdint.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dd.h"
#include "dns/answer.h"
#include "dns/cookie.h"
#include "dns/dname.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "dns/tsig.h"
#include "dns/wire.h"
#include "shm/stats.h"
#include "shm/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct shm_table *table;
static struct dns_answer_ctx ctx;
static struct shm_worker_stats stats;
static struct dns_cookie_keys cookie_keys;
static struct sockaddr_in client;
static uint8_t out[DNS_MSG_MAX];

static void
must(int rc)
{
	if (rc < 0)
		abort();
}

static int
name(const char *s, uint8_t *w)
{
	int n = dns_dname_from_str(s, w, DNS_DNAME_MAX);
	must(n);
	return n;
}

/* Puts one RRset of up to 40 text values under name. */
static void
put(unsigned zone, const char *owner, uint16_t type, const char *const *vals, unsigned nval)
{
	static uint8_t data[8192];
	size_t len = 0;
	uint8_t w[DNS_DNAME_MAX];
	int wl = name(owner, w);

	for (unsigned i = 0; i < nval; i++) {
		int n = dns_rdata_from_text(type, vals[i], data + len + 2, sizeof(data) - len - 2);
		must(n);
		uint16_t l = (uint16_t)n;
		memcpy(data + len, &l, 2);
		len += 2 + (size_t)n;
	}
	struct shm_rrset_in in = {type, (uint16_t)nval, 300, data, len};
	must(shm_table_put(table, zone, w, (size_t)wl, &in, 1));
}

static void
put1(unsigned zone, const char *owner, uint16_t type, const char *val)
{
	put(zone, owner, type, &val, 1);
}

static void
zone(unsigned idx, const char *apex, const char *ns)
{
	uint8_t a[DNS_DNAME_MAX], n[DNS_DNAME_MAX];
	struct shm_soa soa = {3600, 1, 3600, 600, 604800, 60, 0, 0, {0}, {0}};
	int al = name(apex, a), nl = name(ns, n);

	soa.mname_len = (uint8_t)name(ns, soa.mname);
	soa.rname_len = (uint8_t)name("hostmaster.example.test", soa.rname);
	must(shm_zone_define(table, idx, a, (size_t)al, &soa, n, (size_t)nl, 1, 3600));
}

static void
setup(void)
{
	static const char *big[40];
	static char ips[40][16];
	struct shm_table_params p = {256, 0, 1};

	must(shm_table_create(&table, &p));
	zone(0, "dyn.example.test", "ns1.dyn.example.test");
	zone(1, "other.test", "ns.other.test");
	put1(0, "dyn.example.test", DNS_TYPE_TXT, "apex");
	put1(0, "ns1.dyn.example.test", DNS_TYPE_A, "192.0.2.53");
	put1(0, "home.dyn.example.test", DNS_TYPE_A, "203.0.113.45");
	put1(0, "v6.dyn.example.test", DNS_TYPE_AAAA, "2001:db8::1");
	put1(0, "txt.dyn.example.test", DNS_TYPE_TXT, "hello");
	put1(0, "www.dyn.example.test", DNS_TYPE_CNAME, "home.dyn.example.test");
	put1(0, "ext.dyn.example.test", DNS_TYPE_CNAME, "www.other.test");
	put1(0, "l1.dyn.example.test", DNS_TYPE_CNAME, "l2.dyn.example.test");
	put1(0, "l2.dyn.example.test", DNS_TYPE_CNAME, "l1.dyn.example.test");
	put1(0, "nx.dyn.example.test", DNS_TYPE_CNAME, "gone.dyn.example.test");
	put1(0, "*.w.dyn.example.test", DNS_TYPE_A, "192.0.2.42");
	put1(0, "*.cw.dyn.example.test", DNS_TYPE_CNAME, "www.dyn.example.test");
	put1(0, "deep.a.b.dyn.example.test", DNS_TYPE_A, "192.0.2.99");
	for (unsigned i = 0; i < 40; i++) {
		snprintf(ips[i], sizeof(ips[i]), "10.0.0.%u", i);
		big[i] = ips[i];
	}
	put(0, "big.dyn.example.test", DNS_TYPE_A, big, 40);
	put1(1, "www.other.test", DNS_TYPE_A, "198.51.100.7");
	must(dns_answer_ctx_init(&ctx, table, DNS_UDP_DEFAULT, &stats));
	/* COOKIE options are parsed, checked and answered (dns/cookie.h) */
	for (unsigned i = 0; i < sizeof(cookie_keys.secret); i++)
		cookie_keys.secret[i] = (uint8_t)i;
	cookie_keys.on = true;
	ctx.cookies = &cookie_keys;
	ctx.now = 1800000000u;
	client.sin_family = AF_INET;
	client.sin_addr.s_addr = htonl(0x7f000001);
	ctx.client = (const struct sockaddr *)&client;
}

/* A strict walk over a reply: header, question, every record, nothing after. */
static bool
reply_parses(const uint8_t *m, size_t len)
{
	uint8_t nm[DNS_DNAME_MAX];
	size_t pos = DNS_HDR_LEN, nl;

	if (len < DNS_HDR_LEN)
		return false;
	unsigned qd = dns_wire_get_u16(m + 4);
	unsigned rrs = (unsigned)dns_wire_get_u16(m + 6) + dns_wire_get_u16(m + 8) +
		       dns_wire_get_u16(m + 10);
	if (qd > 1)
		return false;
	if (qd == 1) {
		if (dns_dname_parse(m, len, &pos, nm, &nl, NULL) < 0 || len - pos < 4)
			return false;
		pos += 4;
	}
	for (unsigned i = 0; i < rrs; i++)
		if (dns_pkt_skip_rr(m, len, &pos, NULL, NULL, NULL, NULL, NULL) < 0)
			return false;
	return pos == len;
}

static void
check(const uint8_t *data, size_t size, bool tcp)
{
	size_t n = dns_answer(&ctx, data, size, out, sizeof(out), tcp);

	if (n == 0) {
		if (size >= DNS_HDR_LEN && !(data[2] & 0x80))
			abort(); /* only headerless or QR=1 packets are dropped */
		return;
	}
	if (n > (tcp ? DNS_MSG_MAX : DNS_UDP_DEFAULT) || !reply_parses(out, n))
		abort();
	if (dns_wire_get_u16(out) != dns_wire_get_u16(data) || !(out[2] & 0x80))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tsig_key keys[2];
	static bool keyed;
	struct tsig_ctx tc;
	long off;
	bool present;

	if (!table)
		setup();
	check(data, size, false);
	check(data, size, true);
	if (!keyed) {
		must(tsig_key_init(&keys[0], "transfer-key", "hmac-sha256",
				   (const uint8_t *)"secretsecretsecret", 18));
		must(tsig_key_init(&keys[1], "update-key", "hmac-sha512",
				   (const uint8_t *)"0123456789abcdef", 16));
		keyed = true;
	}
	off = tsig_find(data, size);
	if (off > 0 && size <= sizeof(out) - 512) {
		int v = tsig_verify_request(&tc, keys, 2, data, size, (size_t)off, 1700000000);
		if (v == 0 || v == TSIG_RCODE_BADTIME || v == TSIG_RCODE_BADKEY ||
		    v == TSIG_RCODE_BADSIG) {
			size_t len = off > 12 ? (size_t)off : 12;
			memcpy(out, data, len);
			out[10] = out[11] = 0;
			(void)tsig_sign_reply(&tc, out, &len, sizeof(out), 1700000000);
		}
		if (tsig_sign_request(&tc, &keys[0], out, &(size_t){12}, sizeof(out), 1700000000) ==
		    0)
			(void)tsig_verify_reply(&tc, data, size, 1700000000, &present);
	}
	return 0;
}
