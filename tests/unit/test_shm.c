/*
 * test_shm.c - the shared-memory record table: API behaviour, limits, and
 * the seqlock torture tests (processes, threads, a writer killed mid-write).
 *
 * SHM_TORTURE_CHECKS (default 10000000) and SHM_TORTURE_READERS (default 2)
 * size the multi-process test; SHM_THREAD_CHECKS (default 1000000) the
 * threaded one.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/dd.h"
#include "shm/table.h"
#include "tests/unit/tap.h"

#define T_A    1
#define T_NS   2
#define T_TXT  16
#define T_AAAA 28

/* An entry buffer aligned for the accessors. */
union ebuf {
	struct shm_entry e;
	uint64_t w[SHM_ENTRY_MAX / 8];
	uint8_t b[SHM_ENTRY_MAX];
};

/* "www.Example.test" -> lower-case wire name; returns its length. */
static size_t
wire(const char *s, uint8_t *out)
{
	size_t n = 0;

	while (*s != '\0') {
		size_t l = strcspn(s, ".");
		out[n++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++) {
			char c = s[i];
			out[n++] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		s += l;
		if (*s == '.')
			s++;
	}
	out[n++] = 0;
	return n;
}

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long
env_ulong(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? strtoul(v, NULL, 10) : def;
}

static struct shm_table *
table_new(uint32_t capacity, uint64_t data_bytes)
{
	struct shm_table_params p = {.capacity = capacity, .data_bytes = data_bytes, .seed = 0};
	struct shm_table *t = NULL;

	if (shm_table_create(&t, &p) < 0)
		return NULL;
	return t;
}

static int
zone_add(struct shm_table *t, unsigned idx, const char *apex)
{
	struct shm_soa soa = {.ttl = 3600,
	                      .serial = 1,
	                      .refresh = 3600,
	                      .retry = 600,
	                      .expire = 604800,
	                      .minimum = 60};
	uint8_t a[SHM_NAME_MAX], ns[2 * SHM_NAME_MAX];
	size_t al = wire(apex, a), nl;
	char buf[300];

	soa.mname_len = (uint8_t)wire("ns1.example.test", soa.mname);
	snprintf(buf, sizeof(buf), "hostmaster.%s", apex);
	soa.rname_len = (uint8_t)wire(buf, soa.rname);
	nl = wire("ns1.example.test", ns);
	nl += wire("ns2.example.net", ns + nl);
	return shm_zone_define(t, idx, a, al, &soa, ns, nl, 2, 86400);
}

/* One A record (rdata 4 bytes) in data[6]. */
static struct shm_rrset_in
rr_a(uint8_t *data, uint8_t last)
{
	uint16_t rdlen = 4;

	memcpy(data, &rdlen, 2);
	data[2] = 192, data[3] = 0, data[4] = 2, data[5] = last;
	return (struct shm_rrset_in){
	        .type = T_A, .count = 1, .ttl = 300, .data = data, .data_len = 6};
}

/* One TXT-like rrset of count records of rdlen bytes, each byte fill. */
static struct shm_rrset_in
rr_fill(uint8_t *data, uint16_t type, uint16_t count, uint16_t rdlen, uint8_t fill)
{
	size_t pos = 0;

	for (unsigned i = 0; i < count; i++) {
		memcpy(data + pos, &rdlen, 2);
		memset(data + pos + 2, fill, rdlen);
		pos += 2u + rdlen;
	}
	return (struct shm_rrset_in){
	        .type = type, .count = count, .ttl = 60, .data = data, .data_len = pos};
}

static int
put_a(struct shm_table *t, unsigned zone, const char *name, uint8_t last)
{
	uint8_t w[SHM_NAME_MAX], d[6];
	struct shm_rrset_in r = rr_a(d, last);

	return shm_table_put(t, zone, w, wire(name, w), &r, 1);
}

static int
get(const struct shm_table *t, const char *name, union ebuf *b)
{
	uint8_t w[SHM_NAME_MAX];

	return shm_table_get(t, w, wire(name, w), b, sizeof(*b), NULL);
}

static int
del(struct shm_table *t, const char *name)
{
	uint8_t w[SHM_NAME_MAX];

	return shm_table_del(t, w, wire(name, w));
}

/* The last octet of name's A record, -1 when absent or without A. */
static int
a_last(const struct shm_table *t, const char *name)
{
	union ebuf b;
	const struct shm_rrset *r;

	if (get(t, name, &b) <= 0 || (r = shm_entry_find(&b.e, T_A)) == NULL)
		return -1;
	return shm_rrset_data(r)[5];
}

/* ------------------------------------------------------------ basics */

static void
test_create(void)
{
	struct shm_table_params p = {.capacity = 0};
	struct shm_table *t = NULL;

	is_int(shm_table_create(&t, &p), DD_EINVAL, "create: capacity 0 refused");
	ok(t == NULL, "create: no table on error");
	t = table_new(100, 0);
	ok(t != NULL, "create: 100 names");
	if (t == NULL)
		return;
	is_int(shm_table_count(t), 0, "create: empty");
	is_int(shm_table_capacity(t), 100, "create: capacity");
	is_int(shm_table_heap_used(t), 0, "create: no heap used");
	ok(shm_table_heap_size(t) >= 100 * 192, "create: default heap is capacity x 192");
	ok(shm_table_mapping_size(t) > shm_table_heap_size(t), "create: mapping size");
	ok(!shm_table_write_in_progress(t), "create: no write in progress");
	is_int(shm_zone_count(t), 0, "create: no zones");
	shm_table_destroy(t);
}

static void
test_zones(void)
{
	struct shm_table *t = table_new(64, 0);
	struct shm_zone_copy zc;
	uint8_t w[SHM_NAME_MAX];
	size_t n;

	is_int(zone_add(t, 0, "example.test"), 0, "zone: define example.test");
	is_int(zone_add(t, 1, "sub.example.test"), 0, "zone: define sub.example.test");
	is_int(zone_add(t, 2, "xample.test"), 0, "zone: define xample.test");
	is_int(shm_zone_count(t), 3, "zone: count");
	is_int(shm_zone_find(t, w, wire("example.test", w)), 0, "find: apex");
	is_int(shm_zone_find(t, w, wire("www.example.test", w)), 0, "find: child");
	is_int(shm_zone_find(t, w, wire("a.b.sub.example.test", w)), 1, "find: longest suffix");
	is_int(shm_zone_find(t, w, wire("sub.example.test", w)), 1, "find: inner apex");
	is_int(shm_zone_find(t, w, wire("xample.test", w)), 2, "find: xample.test is its own");
	is_int(shm_zone_find(t, w, wire("www.xample.test", w)), 2, "find: under xample.test");
	is_int(shm_zone_find(t, w, wire("test", w)), -1, "find: parent of apexes");
	is_int(shm_zone_find(t, w, wire("example.org", w)), -1, "find: outside");
	/* A label "ab\007example" ends in the bytes of the apex, off a boundary. */
	n = wire("abXexample.test", w);
	w[3] = 7;
	is_int(shm_zone_find(t, w, n), -1, "find: apex bytes inside a label do not match");
	is_int(shm_zone_find(t, w, wire("aexample.test", w)), -1, "find: aexample.test");
	w[0] = 60;
	is_int(shm_zone_find(t, w, 5), -1, "find: malformed name");

	is_int(shm_zone_get(t, 1, &zc), 0, "zone_get: ok");
	n = wire("sub.example.test", w);
	ok(zc.apex_len == n && memcmp(zc.apex, w, n) == 0, "zone_get: apex");
	is_int(zc.nlabels, 3, "zone_get: nlabels");
	is_int(zc.soa.serial, 1, "zone_get: serial");
	is_int(zc.soa.minimum, 60, "zone_get: minimum");
	is_int(zc.ns_count, 2, "zone_get: ns count");
	n = wire("ns2.example.net", w);
	ok(zc.ns_len[1] == n && memcmp(zc.ns[1], w, n) == 0, "zone_get: second ns");
	is_int(zc.ns_ttl, 86400, "zone_get: ns ttl");
	is_int(shm_zone_set_serial(t, 1, 4242), 0, "zone: set serial");
	shm_zone_get(t, 1, &zc);
	is_int(zc.soa.serial, 4242, "zone_get: new serial");
	is_int(shm_zone_get(t, 9, &zc), DD_EINVAL, "zone_get: undefined slot");
	is_int(shm_zone_set_serial(t, 9, 1), DD_EINVAL, "zone: serial of undefined slot");
	is_int(zone_add(t, 1, "other.test"), DD_EEXIST, "zone: apex of a slot is fixed");
	is_int(zone_add(t, 1, "sub.example.test"), 0, "zone: same apex redefined");
	is_int(zone_add(t, SHM_ZONES_MAX, "x.test"), DD_EINVAL, "zone: slot out of range");
	n = wire("Upper.test", w);
	w[1] = 'U';
	{
		struct shm_soa soa = {0};
		soa.mname_len = (uint8_t)wire("ns1.test", soa.mname);
		soa.rname_len = (uint8_t)wire("h.test", soa.rname);
		is_int(shm_zone_define(t, 5, w, n, &soa, NULL, 0, 0, 0), DD_EINVAL,
		       "zone: upper-case apex refused");
		n = wire("ok.test", w);
		is_int(shm_zone_define(t, 5, w, n, &soa, w, 3, 1, 0), DD_EINVAL,
		       "zone: ns bytes not matching count");
		is_int(shm_zone_define(t, 5, w, n, &soa, NULL, 0, 0, 0), 0, "zone: no ns is fine");
		is_int(shm_zone_count(t), 6, "zone: count is highest slot + 1");
	}
	shm_table_destroy(t);
}

static void
test_put_get(void)
{
	struct shm_table *t = table_new(64, 0);
	union ebuf b;
	uint8_t w[SHM_NAME_MAX], d1[6], d2[64], d3[64];
	struct shm_rrset_in rr[3];
	const struct shm_rrset *r;
	uint64_t heap;
	int rc;
	size_t n;

	zone_add(t, 0, "example.test");
	zone_add(t, 1, "sub.example.test");
	is_int(put_a(t, 0, "www.example.test", 1), 0, "put: www");
	rc = get(t, "www.example.test", &b);
	ok(rc > 0 && rc == b.e.size, "get: returns the entry size");
	n = wire("www.example.test", w);
	ok(b.e.name_len == n && memcmp(shm_entry_name(&b.e), w, n) == 0, "get: name");
	is_int(b.e.nrrsets, 1, "get: one rrset");
	is_int(b.e.zone, 0, "get: zone slot");
	is_int(b.e.flags, 0, "get: no flags");
	r = shm_entry_find(&b.e, T_A);
	ok(r != NULL && r->count == 1 && r->ttl == 300 && r->data_len == 6 &&
	           shm_rrset_data(r)[5] == 1,
	   "get: A record");
	is_int(shm_table_count(t), 2, "put: name plus apex entry");
	rc = get(t, "example.test", &b);
	ok(rc > 0 && b.e.nrrsets == 0 && b.e.nchild == 1, "apex: empty non-terminal, 1 child");
	is_int(get(t, "nope.example.test", &b), 0, "get: absent");
	is_int(get(t, "www.example.test.example.test", &b), 0, "get: absent deeper");
	is_int(shm_table_get(t, w, n, NULL, 0, NULL), DD_EINVAL, "get: NULL buffer");
	is_int(shm_table_get(t, w, n, &b, 20, NULL), DD_ETOOBIG, "get: buffer too small");

	/* replace with three rrsets */
	rr[0] = rr_a(d1, 9);
	rr[1] = rr_fill(d2, T_AAAA, 2, 16, 0xaa);
	rr[2] = rr_fill(d3, T_TXT, 3, 5, 'x');
	heap = shm_table_heap_used(t);
	is_int(shm_table_put(t, 0, w, n, rr, 3), 0, "replace: three rrsets");
	rc = get(t, "www.example.test", &b);
	ok(rc > 0 && b.e.nrrsets == 3, "replace: three rrsets read back");
	r = shm_entry_first(&b.e);
	ok(r != NULL && r->type == T_A, "accessor: first is A");
	r = r != NULL ? shm_rrset_next(&b.e, r) : NULL;
	ok(r != NULL && r->type == T_AAAA && r->count == 2 && r->data_len == 36 &&
	           shm_rrset_data(r)[2] == 0xaa && shm_rrset_data(r)[35] == 0xaa,
	   "accessor: second is AAAA");
	r = r != NULL ? shm_rrset_next(&b.e, r) : NULL;
	ok(r != NULL && r->type == T_TXT && r->count == 3 && r->data_len == 21,
	   "accessor: third is TXT");
	ok(r != NULL && shm_rrset_next(&b.e, r) == NULL, "accessor: no fourth");
	ok(shm_entry_find(&b.e, T_TXT) == r, "entry_find: TXT");
	ok(shm_entry_find(&b.e, T_NS) == NULL, "entry_find: missing type");
	ok(shm_table_heap_used(t) > heap, "replace: bigger block");
	is_int(shm_table_count(t), 2, "replace: count unchanged");
	is_int(put_a(t, 0, "www.example.test", 2), 0, "replace: back to one A");
	is_int(a_last(t, "www.example.test"), 2, "replace: new value");
	is_int(shm_table_heap_used(t), heap, "replace: old block freed");

	/* empty non-terminals */
	is_int(put_a(t, 0, "a.b.c.example.test", 3), 0, "put: a.b.c");
	is_int(shm_table_count(t), 5, "ent: b.c and c created");
	rc = get(t, "b.c.example.test", &b);
	ok(rc > 0 && b.e.nrrsets == 0 && b.e.nchild == 1 && shm_entry_first(&b.e) == NULL,
	   "ent: b.c is an empty non-terminal");
	rc = get(t, "c.example.test", &b);
	ok(rc > 0 && b.e.nrrsets == 0 && b.e.nchild == 1, "ent: c is an empty non-terminal");
	rc = get(t, "example.test", &b);
	ok(rc > 0 && b.e.nchild == 2, "ent: apex has 2 children");
	is_int(put_a(t, 0, "x.b.c.example.test", 4), 0, "put: x.b.c");
	rc = get(t, "b.c.example.test", &b);
	ok(rc > 0 && b.e.nchild == 2, "ent: b.c has 2 children");
	is_int(put_a(t, 0, "c.example.test", 5), 0, "put: records at ent c");
	rc = get(t, "c.example.test", &b);
	ok(rc > 0 && b.e.nrrsets == 1 && b.e.nchild == 1, "ent: c keeps its child count");
	is_int(del(t, "c.example.test"), 0, "del: c (has children)");
	rc = get(t, "c.example.test", &b);
	ok(rc > 0 && b.e.nrrsets == 0 && b.e.nchild == 1, "del: c is an ent again");
	is_int(del(t, "c.example.test"), DD_ENOENT, "del: ent has no rrsets");
	is_int(del(t, "a.b.c.example.test"), 0, "del: a.b.c");
	rc = get(t, "b.c.example.test", &b);
	ok(rc > 0 && b.e.nchild == 1, "del: b.c has 1 child");
	n = wire("x.b.c.example.test", w);
	is_int(shm_table_put(t, 0, w, n, NULL, 0), 0, "put: no rrsets deletes");
	is_int(get(t, "b.c.example.test", &b), 0, "del: ent b.c removed");
	is_int(get(t, "c.example.test", &b), 0, "del: ent c removed");
	rc = get(t, "example.test", &b);
	ok(rc > 0 && b.e.nchild == 1, "del: apex back to 1 child");
	is_int(shm_table_count(t), 2, "del: count back to 2");
	is_int(del(t, "x.b.c.example.test"), DD_ENOENT, "del: absent");

	/* wildcard */
	is_int(put_a(t, 0, "*.example.test", 6), 0, "put: wildcard");
	rc = get(t, "*.example.test", &b);
	ok(rc > 0 && (b.e.flags & SHM_ENTRY_WILDCARD), "wildcard: flag set");
	is_int(put_a(t, 0, "*.w.example.test", 7), 0, "put: wildcard below an ent");
	rc = get(t, "w.example.test", &b);
	ok(rc > 0 && b.e.flags == 0 && b.e.nrrsets == 0, "wildcard: parent ent unflagged");
	is_int(put_a(t, 0, "a*.example.test", 8), 0, "put: star not alone in label");
	rc = get(t, "a*.example.test", &b);
	ok(rc > 0 && b.e.flags == 0, "wildcard: a* is not a wildcard");

	/* the inner zone keeps its own tree */
	is_int(put_a(t, 1, "h.sub.example.test", 9), 0, "put: name in inner zone");
	rc = get(t, "sub.example.test", &b);
	ok(rc > 0 && b.e.zone == 1 && b.e.nchild == 1, "inner apex created in zone 1");
	rc = get(t, "example.test", &b);
	ok(rc > 0 && b.e.nchild == 4, "outer apex does not count the inner apex");
	is_int(put_a(t, 0, "apexrec.example.test", 1), 0, "put: another");
	is_int(put_a(t, 0, "example.test", 10), 0, "put: records at the apex");
	rc = get(t, "example.test", &b);
	ok(rc > 0 && b.e.nrrsets == 1 && b.e.nchild == 5, "apex: records and children");

	/* delete everything: the table is empty again */
	del(t, "www.example.test");
	del(t, "*.example.test");
	del(t, "*.w.example.test");
	del(t, "a*.example.test");
	del(t, "apexrec.example.test");
	del(t, "h.sub.example.test");
	is_int(get(t, "sub.example.test", &b), 0, "inner apex ent removed");
	rc = get(t, "example.test", &b);
	ok(rc > 0 && b.e.nchild == 0 && b.e.nrrsets == 1, "apex: records, no children");
	is_int(del(t, "example.test"), 0, "del: apex records");
	is_int(shm_table_count(t), 0, "all deleted: count 0");
	is_int(shm_table_heap_used(t), 0, "all deleted: heap 0");
	ok(!shm_table_write_in_progress(t), "no write in progress");
	shm_table_destroy(t);
}

static void
test_invalid(void)
{
	struct shm_table *t = table_new(64, 64 * 1024);
	uint8_t w[SHM_NAME_MAX], d[64], big[20000];
	struct shm_rrset_in r[2];
	union ebuf b;
	size_t n;

	zone_add(t, 0, "example.test");
	zone_add(t, 1, "sub.example.test");
	n = wire("www.example.test", w);
	r[0] = rr_a(d, 1);
	is_int(shm_table_put(t, 3, w, n, r, 1), DD_EINVAL, "put: undefined zone");
	is_int(shm_table_put(t, SHM_ZONES_MAX + 5, w, n, r, 1), DD_EINVAL,
	       "put: zone out of range");
	is_int(put_a(t, 0, "www.example.org", 1), DD_EINVAL, "put: name outside zone");
	is_int(put_a(t, 0, "test", 1), DD_EINVAL, "put: name above apex");
	is_int(put_a(t, 0, "a.sub.example.test", 1), DD_EINVAL, "put: name of the inner zone");
	w[1] = 'W';
	is_int(shm_table_put(t, 0, w, n, r, 1), DD_EINVAL, "put: upper case");
	w[1] = 'w';
	is_int(shm_table_put(t, 0, w, n - 1, r, 1), DD_EINVAL, "put: name without root");
	w[0] = 40;
	is_int(shm_table_put(t, 0, w, n, r, 1), DD_EINVAL, "put: label overruns name");
	w[0] = 3;
	is_int(shm_table_put(t, 0, w, n, NULL, 1), DD_EINVAL, "put: NULL rrsets");
	r[0].data_len = 7;
	is_int(shm_table_put(t, 0, w, n, r, 1), DD_EINVAL, "put: trailing rdata byte");
	r[0].data_len = 5;
	is_int(shm_table_put(t, 0, w, n, r, 1), DD_EINVAL, "put: short rdata");
	r[0] = rr_a(d, 1);
	r[0].count = 2;
	is_int(shm_table_put(t, 0, w, n, r, 1), DD_EINVAL, "put: count above records");
	r[0].count = 0;
	r[0].data_len = 0;
	is_int(shm_table_put(t, 0, w, n, r, 1), DD_EINVAL, "put: empty rrset");
	r[0] = rr_a(d, 1);
	r[1] = r[0];
	is_int(shm_table_put(t, 0, w, n, r, 2), DD_EINVAL, "put: duplicate type");
	r[0] = rr_a(d, 1);
	r[0].type = 0;
	is_int(shm_table_put(t, 0, w, n, r, 1), DD_EINVAL, "put: type 0");
	is_int(shm_table_count(t), 0, "invalid puts stored nothing");

	r[0] = rr_fill(big, T_TXT, 1, 16380, 'b');
	is_int(shm_table_put(t, 0, w, n, r, 1), DD_ETOOBIG, "put: entry over SHM_ENTRY_MAX");
	r[0] = rr_fill(big, T_TXT, 2, 9000, 'b');
	is_int(shm_table_put(t, 0, w, n, r, 1), DD_ETOOBIG, "put: rrset over SHM_ENTRY_MAX");
	/* 12 + 18 -> 32, + 12 header: largest data is 16384 - 44 */
	r[0] = rr_fill(big, T_TXT, 1, SHM_ENTRY_MAX - 44 - 2, 'c');
	is_int(shm_table_put(t, 0, w, n, r, 1), 0, "put: entry of exactly SHM_ENTRY_MAX");
	is_int(get(t, "www.example.test", &b), SHM_ENTRY_MAX, "get: full-size entry");
	is_int(shm_table_get(t, w, n, &b, SHM_ENTRY_MAX - 1, NULL), DD_ETOOBIG,
	       "get: one byte short");
	ok(b.b[SHM_ENTRY_MAX - 1] == 'c', "get: last byte copied");
	shm_table_destroy(t);
}

/* ------------------------------------------------------------ limits */

struct snap {
	uint32_t count;
	uint64_t used, high, gen;
	union ebuf e[40];
	int rc[40];
};

static void
snap_take(const struct shm_table *t, struct snap *s, const char *prefix, unsigned n)
{
	char name[64];

	s->count = shm_table_count(t);
	s->used = shm_table_heap_used(t);
	s->high = shm_table_heap_high(t);
	s->gen = shm_table_generation(t);
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%u.example.test", prefix, i);
		s->rc[i] = get(t, name, &s->e[i]);
	}
}

static bool
snap_same(const struct snap *a, const struct snap *b, unsigned n)
{
	if (a->count != b->count || a->used != b->used || a->high != b->high || a->gen != b->gen)
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (a->rc[i] != b->rc[i] ||
		    (a->rc[i] > 0 && memcmp(&a->e[i], &b->e[i], (size_t)a->rc[i]) != 0))
			return false;
	}
	return true;
}

static void
test_enospc(void)
{
	static struct snap s1, s2;
	struct shm_table *t = table_new(16, 0);
	unsigned i;
	int rc = 0;
	char name[64];

	zone_add(t, 0, "example.test");
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "n%u.example.test", i);
		if ((rc = put_a(t, 0, name, (uint8_t)i)) < 0)
			break;
	}
	is_int(rc, DD_ENOSPC, "buckets: full table refuses a new name");
	is_int(i, 15, "buckets: capacity counts the apex entry");
	snap_take(t, &s1, "n", 20);
	is_int(put_a(t, 0, "n3.example.test", 99), 0, "buckets: replacing still works");
	is_int(a_last(t, "n3.example.test"), 99, "buckets: replaced");
	put_a(t, 0, "n3.example.test", 3);
	snap_take(t, &s1, "n", 20);
	is_int(put_a(t, 0, "x.example.test", 1), DD_ENOSPC, "buckets: still full");
	snap_take(t, &s2, "n", 20);
	ok(snap_same(&s1, &s2, 20), "buckets: ENOSPC left the table unchanged");
	for (i = 0, rc = 0; i < 15; i++) {
		snprintf(name, sizeof(name), "n%u.example.test", i);
		rc += a_last(t, name) == (int)i;
	}
	is_int(rc, 15, "buckets: every name still readable");
	is_int(del(t, "n0.example.test"), 0, "buckets: delete one");
	is_int(put_a(t, 0, "x.example.test", 1), 0, "buckets: room again");
	shm_table_destroy(t);

	/* heap full: 1 KiB of heap, room for many buckets */
	t = table_new(256, 1024);
	zone_add(t, 0, "example.test");
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "h%u.example.test", i);
		if ((rc = put_a(t, 0, name, (uint8_t)i)) < 0)
			break;
	}
	is_int(rc, DD_ENOSPC, "heap: full heap refuses a new name");
	diag("heap: %u names in 1024 bytes", i);
	snap_take(t, &s1, "h", 30);
	is_int(put_a(t, 0, "a.b.c.d.e.f.example.test", 1), DD_ENOSPC,
	       "heap: name with ancestors refused");
	snap_take(t, &s2, "h", 30);
	ok(snap_same(&s1, &s2, 30), "heap: ENOSPC left the table unchanged");
	is_int(del(t, "h1.example.test"), 0, "heap: delete one");
	is_int(put_a(t, 0, "h1.example.test", 1), 0, "heap: its block is reused");
	is_int(a_last(t, "h1.example.test"), 1, "heap: read back");
	/* the heap has no room for a bigger block: a replace is refused too */
	{
		uint8_t w[SHM_NAME_MAX], d[600];
		struct shm_rrset_in r = rr_fill(d, T_TXT, 1, 500, 'z');
		snap_take(t, &s1, "h", 30);
		is_int(shm_table_put(t, 0, w, wire("h2.example.test", w), &r, 1), DD_ENOSPC,
		       "heap: replace by a bigger block refused");
		snap_take(t, &s2, "h", 30);
		ok(snap_same(&s1, &s2, 30), "heap: replace ENOSPC left the table unchanged");
	}
	shm_table_destroy(t);
}

static void
test_reuse(void)
{
	struct shm_table *t = table_new(64, 256 * 1024);
	uint8_t w[SHM_NAME_MAX], d[3][4000];
	struct shm_rrset_in r[3];
	uint64_t high1 = 0;
	unsigned fails = 0, i;
	char name[64];
	size_t n;

	zone_add(t, 0, "example.test");
	put_a(t, 0, "keep1.example.test", 1);
	put_a(t, 0, "keep2.example.test", 2);
	for (i = 0; i < 200000; i++) {
		unsigned k = i % 7, m = 1 + i % 3;
		n = wire(i % 2 ? "a.example.test" : "b.c.example.test", w);
		for (unsigned j = 0; j < m; j++)
			r[j] = rr_fill(d[j], (uint16_t)(T_TXT + j), (uint16_t)(1 + j),
			               (uint16_t)(k * 150 + j * 40), (uint8_t)i);
		fails += shm_table_put(t, 0, w, n, r, m) != 0;
		if (i % 5 == 4)
			fails += shm_table_del(t, w, n) != 0;
		if (i == 1000)
			high1 = shm_table_heap_high(t);
	}
	is_int(fails, 0, "reuse: 200000 replace/delete cycles");
	ok(shm_table_heap_high(t) == high1, "reuse: no fresh heap after warm-up (%llu bytes)",
	   (unsigned long long)shm_table_heap_high(t));
	/* distinct names inserted and deleted: tombstones do not fill the table */
	for (i = 0, fails = 0; i < 50000; i++) {
		snprintf(name, sizeof(name), "tmp%u.example.test", i);
		fails += put_a(t, 0, name, 1) != 0;
		fails += del(t, name) != 0;
	}
	is_int(fails, 0, "reuse: 50000 distinct names through a 64-name table");
	is_int(a_last(t, "keep1.example.test"), 1, "reuse: keep1 intact");
	is_int(a_last(t, "keep2.example.test"), 2, "reuse: keep2 intact");
	shm_table_destroy(t);
}

static void
test_bench_size(void)
{
	const unsigned names = 100000;
	struct shm_table *t = table_new(names + 1, 0);
	unsigned fails = 0;
	char name[64];
	double t0;

	if (t == NULL) {
		ok(0, "bench: create");
		return;
	}
	zone_add(t, 0, "bench.test");
	t0 = now_sec();
	for (unsigned i = 0; i < names; i++) {
		snprintf(name, sizeof(name), "home%u.bench.test", i);
		fails += put_a(t, 0, name, (uint8_t)i) != 0;
	}
	is_int(fails, 0, "bench: 100000 A records stored");
	diag("bench: %u names in %.3f s; mapping %zu bytes = %.1f per name; heap %llu = %.1f per "
	     "name",
	     shm_table_count(t), now_sec() - t0, shm_table_mapping_size(t),
	     (double)shm_table_mapping_size(t) / names, (unsigned long long)shm_table_heap_used(t),
	     (double)shm_table_heap_used(t) / names);
	is_int(a_last(t, "home77777.bench.test"), 77777 % 256, "bench: lookup");
	shm_table_destroy(t);
}

/* ------------------------------------------------------------ torture */

#define TN       12 /* names flipped between two states (pairs) */
#define TDATA    3200
#define TREADERS 8

struct tstate {
	size_t n;
	struct shm_rrset_in rr[3];
	uint8_t data[3][TDATA];
};

/*
 * Data bytes of the names 2k and 2k+1 in states 0 and 1.  Both names of a
 * pair have the same shape, so the block one of them frees is taken at once
 * by the other (same size class): a reader still copying the freed block
 * sees the other name's bytes unless the bucket's sequence check catches it.
 */
static const uint16_t tsizes[TN / 2][2] = {
        {600, 600}, {300, 300}, {120, 120}, {40, 200}, {16, 16}, {1500, 60},
};

/* State s of name i: every byte depends on (i, s, rrset), so a mix of the
 * two states, or of two names, never matches either. */
static void
tstate_make(struct tstate *st, unsigned i, unsigned s)
{
	size_t total = tsizes[i / 2][s];

	st->n = 1 + (i / 2 + s) % 3;
	for (size_t k = 0; k < st->n; k++) {
		uint16_t count = (uint16_t)(1 + (k + s) % 3);
		uint16_t rdlen = (uint16_t)(total / st->n / count);
		uint8_t fill = (uint8_t)(i * 8 + s * 4 + k + 1);
		st->rr[k] = rr_fill(st->data[k], (uint16_t)(T_TXT + k), count, rdlen, fill);
		st->rr[k].ttl = 1000 * s + i;
		for (size_t p = 0; p < st->rr[k].data_len; p++) {
			if (p % (2u + rdlen) >= 2) /* keep rdlen, vary the bytes */
				st->data[k][p] = (uint8_t)(fill + p * 7);
		}
	}
}

static bool
tstate_equal(const struct shm_entry *e, const struct tstate *st)
{
	const struct shm_rrset *r = shm_entry_first(e);

	if (e->nrrsets != st->n)
		return false;
	for (size_t k = 0; k < st->n; k++, r = shm_rrset_next(e, r)) {
		if (r == NULL || r->type != st->rr[k].type || r->count != st->rr[k].count ||
		    r->ttl != st->rr[k].ttl || r->data_len != st->rr[k].data_len ||
		    memcmp(shm_rrset_data(r), st->rr[k].data, r->data_len) != 0)
			return false;
	}
	return true;
}

struct torture {
	struct shm_table *t;
	struct tstate st[TN + 1][2]; /* [TN]: the flapping deep name, state 0 */
	uint8_t w[TN + 2][SHM_NAME_MAX];
	size_t wl[TN + 2];
	unsigned nreaders;
	uint64_t target; /* checks per reader */
	double deadline;
};

/* Shared between the processes (or threads) of one run. */
struct tshared {
	_Atomic int stop;
	_Atomic uint64_t flips;
	_Atomic uint64_t checks[TREADERS], torn[TREADERS], eagain[TREADERS];
	_Atomic uint64_t absent[TREADERS], retries[TREADERS];
};

static void
torture_init(struct torture *tt, struct shm_table *t)
{
	char name[64];

	memset(tt, 0, sizeof(*tt));
	tt->t = t;
	for (unsigned i = 0; i < TN; i++) {
		tstate_make(&tt->st[i][0], i, 0);
		tstate_make(&tt->st[i][1], i, 1);
		snprintf(name, sizeof(name), "t%u.torture.test", i);
		tt->wl[i] = wire(name, tt->w[i]);
	}
	tstate_make(&tt->st[TN][0], 4, 0);
	tt->wl[TN] = wire("x.deep.torture.test", tt->w[TN]);
	tt->wl[TN + 1] = wire("deep.torture.test", tt->w[TN + 1]);
	/* Every name exists before the readers start. */
	for (unsigned i = 0; i <= TN; i++)
		shm_table_put(t, 0, tt->w[i], tt->wl[i], tt->st[i][0].rr, tt->st[i][0].n);
}

/* The writer: flips every name between its two states until told to stop. */
static uint64_t
torture_write(struct torture *tt, struct tshared *sh)
{
	uint64_t flips = 0, errors = 0;

	for (unsigned s = 0; !atomic_load_explicit(&sh->stop, memory_order_relaxed); s ^= 1) {
		for (unsigned i = 0; i < TN; i++) {
			const struct tstate *st = &tt->st[i][s];
			errors += shm_table_put(tt->t, 0, tt->w[i], tt->wl[i], st->rr, st->n) != 0;
			flips++;
		}
		if (s == 0)
			errors += shm_table_put(tt->t, 0, tt->w[TN], tt->wl[TN], tt->st[TN][0].rr,
			                        tt->st[TN][0].n) != 0;
		else
			errors += shm_table_del(tt->t, tt->w[TN], tt->wl[TN]) != 0;
		flips++;
	}
	atomic_store(&sh->flips, flips);
	return errors;
}

/* A reader: checks copies until it has done target of them. */
static void
torture_read(struct torture *tt, struct tshared *sh, unsigned id)
{
	union ebuf *b = malloc(sizeof(*b));
	uint64_t checks = 0, torn = 0, eagain = 0, absent = 0, retries = 0;
	unsigned i = id * 7;

	if (b == NULL)
		abort();
	while (checks < tt->target) {
		int rc;
		bool good;
		i = (i + 1) % (TN + 2);
		rc = shm_table_get(tt->t, tt->w[i], tt->wl[i], b, sizeof(*b), &retries);
		if (rc == DD_EAGAIN) {
			eagain++;
			continue;
		}
		if (rc == 0 && i >= TN) {
			absent++; /* the flapping name and its parent come and go */
			continue;
		}
		if (rc <= 0 || (size_t)rc != b->e.size)
			good = false;
		else if (i < TN)
			good = tstate_equal(&b->e, &tt->st[i][0]) ||
			       tstate_equal(&b->e, &tt->st[i][1]);
		else if (i == TN)
			good = tstate_equal(&b->e, &tt->st[TN][0]);
		else
			good = b->e.nrrsets == 0 && b->e.nchild == 1;
		checks++;
		if (!good && torn++ < 3)
			fprintf(stderr, "# reader %u: bad copy of name %u (rc %d)\n", id, i, rc);
		if ((checks & 0xffff) == 0 && now_sec() > tt->deadline)
			break;
	}
	atomic_store(&sh->checks[id], checks);
	atomic_store(&sh->torn[id], torn);
	atomic_store(&sh->eagain[id], eagain);
	atomic_store(&sh->absent[id], absent);
	atomic_store(&sh->retries[id], retries);
	free(b);
}

static struct shm_table *
torture_table(void)
{
	struct shm_table *t = table_new(256, 256 * 1024);

	if (t != NULL)
		zone_add(t, 0, "torture.test");
	return t;
}

static void
torture_report(const char *what, struct tshared *sh, unsigned nreaders, uint64_t want, double secs)
{
	uint64_t checks = 0, torn = 0, eagain = 0, absent = 0, retries = 0;

	for (unsigned r = 0; r < nreaders; r++) {
		checks += sh->checks[r];
		torn += sh->torn[r];
		eagain += sh->eagain[r];
		absent += sh->absent[r];
		retries += sh->retries[r];
	}
	diag("%s: %u readers, %llu checks, %llu torn, %llu EAGAIN, %llu absent, %llu retries; "
	     "%llu writer puts; %.2f s (%.0f checks/s)",
	     what, nreaders, (unsigned long long)checks, (unsigned long long)torn,
	     (unsigned long long)eagain, (unsigned long long)absent, (unsigned long long)retries,
	     (unsigned long long)sh->flips, secs, (double)checks / secs);
	ok(checks >= want, "%s: at least %llu checks", what, (unsigned long long)want);
	is_int(torn, 0, "%s: no torn copy", what);
	ok(sh->flips > 1000, "%s: the writer ran", what);
}

static void
test_torture_procs(void)
{
	static struct torture tt;
	uint64_t total = env_ulong("SHM_TORTURE_CHECKS", 10000000);
	unsigned nr = (unsigned)env_ulong("SHM_TORTURE_READERS", 2);
	struct tshared *sh;
	pid_t writer, readers[TREADERS];
	int status, werr = 0;
	double t0;

	if (nr < 1 || nr > TREADERS)
		nr = 2;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		ok(0, "torture: mmap");
		return;
	}
	memset(sh, 0, sizeof(*sh));
	torture_init(&tt, torture_table());
	tt.target = (total + nr - 1) / nr;
	tt.deadline = now_sec() + 120;
	fflush(stdout);
	t0 = now_sec();
	if ((writer = fork()) == 0)
		_exit(torture_write(&tt, sh) == 0 ? 0 : 1);
	for (unsigned r = 0; r < nr; r++) {
		if ((readers[r] = fork()) == 0) {
			torture_read(&tt, sh, r);
			_exit(0);
		}
	}
	for (unsigned r = 0; r < nr; r++) {
		waitpid(readers[r], &status, 0);
		werr += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	atomic_store(&sh->stop, 1);
	waitpid(writer, &status, 0);
	is_int(werr, 0, "torture: readers exited cleanly");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "torture: writer's puts all succeeded");
	torture_report("processes", sh, nr, nr * tt.target, now_sec() - t0);
	ok(!shm_table_write_in_progress(tt.t), "torture: no write left in progress");
	shm_table_destroy(tt.t);
	munmap(sh, sizeof(*sh));
}

struct targ {
	struct torture *tt;
	struct tshared *sh;
	unsigned id;
	uint64_t errors;
};

static void *
thread_writer(void *arg)
{
	struct targ *a = arg;

	a->errors = torture_write(a->tt, a->sh);
	return NULL;
}

static void *
thread_reader(void *arg)
{
	struct targ *a = arg;

	torture_read(a->tt, a->sh, a->id);
	return NULL;
}

static void
test_torture_threads(void)
{
	static struct torture tt;
	static struct tshared sh;
	uint64_t total = env_ulong("SHM_THREAD_CHECKS", 1000000);
	const unsigned nr = 2;
	struct targ w, r[2];
	pthread_t wt, rt[2];
	double t0;

	torture_init(&tt, torture_table());
	tt.target = total / nr;
	tt.deadline = now_sec() + 120;
	t0 = now_sec();
	w = (struct targ){.tt = &tt, .sh = &sh};
	pthread_create(&wt, NULL, thread_writer, &w);
	for (unsigned i = 0; i < nr; i++) {
		r[i] = (struct targ){.tt = &tt, .sh = &sh, .id = i};
		pthread_create(&rt[i], NULL, thread_reader, &r[i]);
	}
	for (unsigned i = 0; i < nr; i++)
		pthread_join(rt[i], NULL);
	atomic_store(&sh.stop, 1);
	pthread_join(wt, NULL);
	is_int(w.errors, 0, "threads: writer's puts all succeeded");
	torture_report("threads", &sh, nr, nr * tt.target, now_sec() - t0);
	shm_table_destroy(tt.t);
}

/* ------------------------------------------------------------ dead writer */

static int hook_fd = -1;

/* Runs in the victim writer with a bucket's sequence odd: report, then wait
 * for SIGKILL. */
static void
hook_stop(void *arg)
{
	(void)arg;
	if (write(hook_fd, "x", 1) != 1)
		_exit(3);
	for (;;)
		pause();
}

static void
test_dead_writer(void)
{
	struct shm_table *t = table_new(64, 0);
	union ebuf b;
	uint8_t w[SHM_NAME_MAX];
	uint64_t retries = 0;
	int fds[2], status;
	char c;
	pid_t pid;
	size_t n;

	zone_add(t, 0, "example.test");
	put_a(t, 0, "victim.example.test", 1);
	put_a(t, 0, "bystander.example.test", 2);
	ok(!shm_table_write_in_progress(t) && shm_table_writer_pid(t) == 0,
	   "dead writer: idle before");
	if (pipe(fds) < 0) {
		ok(0, "pipe");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		hook_fd = fds[1];
		shm_table_hook_set(t, hook_stop, NULL);
		put_a(t, 0, "victim.example.test", 3);
		_exit(4); /* not reached */
	}
	close(fds[1]);
	ok(read(fds[0], &c, 1) == 1, "dead writer: stopped with a sequence odd");
	ok(shm_table_write_in_progress(t), "dead writer: write in progress while stopped");
	is_int(shm_table_writer_pid(t), pid, "dead writer: its pid is recorded");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "dead writer: killed");
	ok(shm_table_write_in_progress(t), "dead writer: write_in_progress after its death");
	is_int(shm_table_writer_pid(t), pid, "dead writer: pid still names it");
	n = wire("victim.example.test", w);
	is_int(shm_table_get(t, w, n, &b, sizeof(b), &retries), DD_EAGAIN,
	       "dead writer: its bucket gives EAGAIN");
	is_int(retries, SHM_GET_RETRIES, "dead writer: after SHM_GET_RETRIES retries");
	is_int(a_last(t, "bystander.example.test"), 2, "dead writer: other names still read");
	put_a(t, 0, "new.example.test", 5);
	ok(shm_table_write_in_progress(t), "dead writer: a later write does not hide it");
	close(fds[0]);
	shm_table_destroy(t);
}

int
main(void)
{
	test_create();
	test_zones();
	test_put_get();
	test_invalid();
	test_enospc();
	test_reuse();
	test_bench_size();
	test_dead_writer();
	test_torture_threads();
	test_torture_procs();
	return tap_done();
}
