/*
 * answer_ir.c - the answer path alone, for instruction counts under callgrind.
 *
 * Builds a shared table like a loaded zone (NAMES names "hN.bench.test" with
 * one A each, a wildcard, a CNAME) and answers QUERIES queries drawn from it
 * (90% names that exist, 5% NXDOMAIN, 5% NODATA; mixed letter case; half
 * with EDNS) with dns_answer(), exactly as a DNS worker does after recvmmsg.
 * Run under `valgrind --tool=callgrind --toggle-collect=dns_answer`: the
 * instructions counted divided by QUERIES is the answer path's cost per
 * query, deterministic from run to run (bench/callgrind.sh does that).
 *
 * Usage: answer_ir [NAMES [QUERIES]]   (defaults 100000, 200000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/answer.h"
#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "shm/table.h"

static struct shm_table *table;

static void
must(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "answer_ir: %s failed (%d)\n", what, rc);
		exit(1);
	}
}

static void
put(const char *owner, uint16_t type, const char *val)
{
	uint8_t w[DNS_DNAME_MAX], data[600];
	int wl = dns_dname_from_str(owner, w, sizeof(w));
	int n = dns_rdata_from_text(type, val, data + 2, sizeof(data) - 2);
	uint16_t l = (uint16_t)n;

	must(wl, owner);
	must(n, val);
	memcpy(data, &l, 2);
	struct shm_rrset_in in = {type, 1, 300, data, 2 + (size_t)n};
	must(shm_table_put(table, 0, w, (size_t)wl, &in, 1), owner);
}

/* A query for name/type into buf; returns its length. */
static size_t
query(uint8_t *buf, const char *name, uint16_t type, unsigned id, int edns, int upper)
{
	uint8_t w[DNS_DNAME_MAX];
	struct dns_msgb m;
	int wl = dns_dname_from_str(name, w, sizeof(w));
	size_t len;

	for (int i = 0; upper && i < wl; i++)
		if (w[i] >= 'a' && w[i] <= 'z' && (i & 1))
			w[i] = (uint8_t)(w[i] - 32); /* 0x20: mixed case */
	dns_msgb_init(&m, buf, 512, (uint16_t)id, DNS_FLAG_RD, w, (size_t)wl, type, DNS_CLASS_IN);
	if (edns) {
		uint8_t opt[DNS_EDNS_OPT_LEN];
		dns_edns_build(opt, 1232, 0, false);
		memcpy(buf + m.len, opt, sizeof(opt));
		m.len += sizeof(opt);
		m.count[DNS_SEC_AR] = 1;
	}
	len = dns_msgb_finish(&m);
	return len;
}

int
main(int argc, char **argv)
{
	unsigned names = argc > 1 ? (unsigned)atoi(argv[1]) : 100000;
	unsigned nq = argc > 2 ? (unsigned)atoi(argv[2]) : 200000;
	struct shm_table_params p = {names + 64, 0, 1};
	struct shm_soa soa = {300, 1, 3600, 600, 604800, 60, 0, 0, {0}, {0}};
	uint8_t apex[DNS_DNAME_MAX], ns[DNS_DNAME_MAX];
	struct dns_answer_ctx ctx;
	uint8_t (*qs)[512], out[DNS_MSG_MAX];
	size_t *ql;
	char nm[64];
	unsigned long long total = 0;
	uint64_t x = 88172645463325252ull;

	must(shm_table_create(&table, &p), "table");
	soa.mname_len = (uint8_t)dns_dname_from_str("ns1.bench.test", soa.mname, sizeof(soa.mname));
	soa.rname_len =
		(uint8_t)dns_dname_from_str("hostmaster.bench.test", soa.rname, sizeof(soa.rname));
	int al = dns_dname_from_str("bench.test", apex, sizeof(apex));
	int nl = dns_dname_from_str("ns1.bench.test", ns, sizeof(ns));
	must(shm_zone_define(table, 0, apex, (size_t)al, &soa, ns, (size_t)nl, 1, 300), "zone");
	for (unsigned i = 0; i < names; i++) {
		char ip[32];
		snprintf(nm, sizeof(nm), "h%u.bench.test", i);
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		put(nm, DNS_TYPE_A, ip);
	}
	put("*.w.bench.test", DNS_TYPE_A, "192.0.2.1");
	put("alias.bench.test", DNS_TYPE_CNAME, "h1.bench.test");
	must(dns_answer_ctx_init(&ctx, table, 1232, NULL), "ctx");
	qs = malloc((size_t)nq * sizeof(*qs));
	ql = malloc((size_t)nq * sizeof(*ql));
	if (!qs || !ql)
		return 1;
	for (unsigned i = 0; i < nq; i++) {
		unsigned r;
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		r = (unsigned)((x * 2685821657736338717ull) >> 33);
		if (r % 20 == 0)
			snprintf(nm, sizeof(nm), "nx%u.bench.test", r % names);
		else
			snprintf(nm, sizeof(nm), "h%u.bench.test", r % names);
		ql[i] = query(qs[i], nm, r % 20 == 1 ? DNS_TYPE_AAAA : DNS_TYPE_A, r, (int)(r & 1),
			      (int)(r & 2));
	}
	for (unsigned i = 0; i < nq; i++)
		total += dns_answer(&ctx, qs[i], ql[i], out, sizeof(out), false);
	printf("answered %u queries over %u names, %llu reply bytes\n", nq, names, total);
	dns_answer_ctx_fini(&ctx);
	shm_table_destroy(table);
	free(qs);
	free(ql);
	return 0;
}
