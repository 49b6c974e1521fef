/*
 * test_nsec.c - NSEC denial: canonical name order (dns/dnssec.h
 * dnssec_canon_key, dnssec_canon_cmp) and the skip list of NSEC nodes in
 * the shared table (shm/nsec.h), against a sorted list: nodes put in random
 * order, found for random names, removed, and built in one pass.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/dd.h"
#include "dns/dnssec.h"
#include "shm/nsec.h"
#include "shm/table.h"
#include "tests/unit/tap.h"

#define NAMES 3000

union ebuf {
	uint64_t w[SHM_ENTRY_MAX / 8];
	uint8_t b[SHM_ENTRY_MAX];
};

/* "a.b" -> wire (labels may hold any byte as \DDD); returns its length. */
static size_t
wire(const char *s, uint8_t *out)
{
	size_t n = 0;

	while (*s != '\0') {
		size_t at = n++;
		uint8_t l = 0;
		while (*s != '\0' && *s != '.') {
			if (s[0] == '\\') {
				out[n++] = (uint8_t)((s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'));
				s += 4;
			} else {
				out[n++] = (uint8_t)*s++;
			}
			l++;
		}
		out[at] = l;
		if (*s == '.')
			s++;
	}
	out[n++] = 0;
	return n;
}

static void
test_canon_order(void)
{
	/* RFC 4034 6.1's example, lower-cased, and names whose bytes need escapes */
	static const char *const sorted[] = {
		"example", "a.example", "yljkjljk.a.example", "z.a.example", "zabc.a.example",
		"z.example", "\\001.z.example", "*.z.example", "\\200.z.example",
		"\\254.z.example", "\\254\\000.z.example", "\\255.z.example", "\\255\\255.z.example",
	};
	size_t n = sizeof(sorted) / sizeof(sorted[0]);
	uint8_t w[16][SHM_NAME_MAX], k[16][DNSSEC_CANON_KEY_MAX];
	size_t wl[16], kl[16];
	bool key_ok = true, cmp_ok = true;

	for (size_t i = 0; i < n; i++) {
		int r;
		wl[i] = wire(sorted[i], w[i]);
		r = dnssec_canon_key(w[i], wl[i], k[i]);
		ok(r > 0, "canon key of %s", sorted[i]);
		kl[i] = r > 0 ? (size_t)r : 0;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			size_t m = kl[i] < kl[j] ? kl[i] : kl[j];
			int c = memcmp(k[i], k[j], m);
			int kc = c ? c : (kl[i] > kl[j]) - (kl[i] < kl[j]);
			int want = (i > j) - (i < j);
			int cc = dnssec_canon_cmp(w[i], wl[i], w[j], wl[j]);
			if ((kc > 0) - (kc < 0) != want) {
				key_ok = false;
				diag("keys: %s vs %s", sorted[i], sorted[j]);
			}
			if ((cc > 0) - (cc < 0) != want) {
				cmp_ok = false;
				diag("cmp: %s vs %s", sorted[i], sorted[j]);
			}
		}
	ok(key_ok, "canonical keys sort as RFC 4034 6.1 (memcmp, shorter first)");
	ok(cmp_ok, "dnssec_canon_cmp agrees with RFC 4034 6.1");
	is_int(dnssec_canon_key((const uint8_t *)"\003ab", 3, k[0]), DD_EINVAL,
	       "canon key: a malformed name is refused");
}

/* --- the skip list ------------------------------------------------------ */

struct name {
	uint8_t w[SHM_NAME_MAX];
	size_t len;
	bool in;
};

static struct name names[NAMES];
static uint8_t apex[SHM_NAME_MAX];
static size_t apex_len;

static int
name_cmp(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	return dnssec_canon_cmp(x->w, x->len, y->w, y->len);
}

/* NSEC RDATA of names[i]: the next name in the set (the apex after the last), a one-byte "bitmap". */
static size_t
nsec_of(size_t i, uint8_t *out)
{
	size_t j = i + 1;

	while (j < NAMES && !names[j].in)
		j++;
	const uint8_t *nx = j < NAMES ? names[j].w : names[0].w;
	size_t nl = j < NAMES ? names[j].len : names[0].len;
	memcpy(out, nx, nl);
	out[nl] = (uint8_t)i;
	return nl + 1;
}

static int
put(struct shm_table *t, size_t i)
{
	uint8_t rd[SHM_NAME_MAX + 1], sig[4] = {1, 2, 3, (uint8_t)i};
	size_t rl = nsec_of(i, rd);
	return shm_nsec_put(t, 0, apex, apex_len, names[i].w, names[i].len, rd, rl, sig,
			    sizeof(sig));
}

/* The index of the last name in the set at or before w, by a linear scan. */
static size_t
brute(const uint8_t *w, size_t len)
{
	size_t best = 0;

	for (size_t i = 0; i < NAMES; i++)
		if (names[i].in && dnssec_canon_cmp(names[i].w, names[i].len, w, len) <= 0)
			best = i;
	return best;
}

/* Finds random names (in the set and not) and compares with brute(). */
static void
check_finds(struct shm_table *t, const char *what)
{
	union ebuf b;
	struct shm_nsec_node n;
	unsigned bad = 0, tried = 0;

	for (unsigned q = 0; q < 2000; q++) {
		uint8_t w[SHM_NAME_MAX];
		char s[128];
		size_t len;
		if (q % 3 == 0) {
			size_t i = randombytes_uniform(NAMES);
			memcpy(w, names[i].w, names[i].len);
			len = names[i].len;
		} else {
			snprintf(s, sizeof(s), "%s%u.%s", q % 2 ? "q" : "h",
				 randombytes_uniform(NAMES * 4), q % 5 ? "zone.test" : "x.h7.zone.test");
			len = wire(s, w);
		}
		size_t want = brute(w, len);
		tried++;
		if (shm_nsec_find(t, apex, apex_len, w, len, b.b, &n, NULL) != 1 ||
		    n.owner_len != names[want].len ||
		    memcmp(n.owner, names[want].w, names[want].len) != 0 || n.sig_len != 4 ||
		    n.sig[3] != (uint8_t)want)
			bad++;
	}
	ok(bad == 0, "%s: %u of %u names find the record that matches or covers them", what,
	   tried - bad, tried);
}

static void
test_skiplist(void)
{
	struct shm_table_params p = {.capacity = 4 * NAMES, .data_bytes = 0, .seed = 0};
	struct shm_table *t = NULL, *t2 = NULL;
	struct shm_soa soa = {.ttl = 3600, .serial = 1, .minimum = 60};
	uint8_t ns[SHM_NAME_MAX];
	size_t nl = wire("ns1.zone.test", ns), order[NAMES];
	union ebuf b;
	struct shm_nsec_node n;
	int rc = 0;

	apex_len = wire("zone.test", apex);
	soa.mname_len = (uint8_t)wire("ns1.zone.test", soa.mname);
	soa.rname_len = (uint8_t)wire("hostmaster.zone.test", soa.rname);
	if (shm_table_create(&t, &p) < 0 || shm_table_create(&t2, &p) < 0 ||
	    shm_zone_define(t, 0, apex, apex_len, &soa, ns, nl, 1, 60) < 0 ||
	    shm_zone_define(t2, 0, apex, apex_len, &soa, ns, nl, 1, 60) < 0) {
		ok(0, "tables for the skip list");
		return;
	}
	memcpy(names[0].w, apex, apex_len);
	names[0].len = apex_len;
	for (size_t i = 1; i < NAMES; i++) {
		char s[64];
		snprintf(s, sizeof(s), i % 7 ? "h%zu.zone.test" : "a.h%zu.zone.test", i * 3);
		names[i].len = wire(s, names[i].w);
	}
	qsort(names + 1, NAMES - 1, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < NAMES; i++) {
		names[i].in = true;
		order[i] = i;
	}
	is_int(shm_nsec_find(t, apex, apex_len, names[5].w, names[5].len, b.b, &n, NULL), 0,
	       "find: no apex node, no record");
	/* the apex first (the head), then the others in random order */
	for (size_t i = NAMES - 1; i > 1; i--) {
		size_t j = 1 + randombytes_uniform((uint32_t)i), x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	for (size_t i = 0; i < NAMES && rc == 0; i++)
		rc = put(t, order[i]);
	is_int(rc, 0, "%d nodes put in random order", NAMES);
	check_finds(t, "after the puts");
	/* a node put again keeps its links */
	is_int(put(t, NAMES / 2), 0, "a node put again");
	check_finds(t, "after a node changed");
	/* every other name goes: unlinked, its predecessor's record pointing past it */
	for (size_t i = 1; i < NAMES && rc == 0; i += 2) {
		names[i].in = false;
		rc = shm_nsec_del(t, 0, apex, apex_len, names[i].w, names[i].len);
		if (rc == 0)
			rc = put(t, i - 1);
	}
	is_int(rc, 0, "%d nodes removed", NAMES / 2);
	ok(!shm_nsec_has(t, apex, apex_len, names[1].w, names[1].len) &&
		   shm_nsec_has(t, apex, apex_len, names[2].w, names[2].len),
	   "a removed node is gone, its neighbour stays");
	is_int(shm_nsec_del(t, 0, apex, apex_len, names[1].w, names[1].len), 0,
	       "removing a node that is gone: 0");
	check_finds(t, "after the removals");
	/* and back in */
	for (size_t i = 1; i < NAMES && rc == 0; i += 4) {
		names[i].in = true;
		rc = put(t, i);
		if (rc == 0)
			rc = put(t, i - 1);
	}
	is_int(rc, 0, "a quarter put back");
	check_finds(t, "after putting some back");
	/* one pass, last first, into an empty table */
	struct shm_nsec_builder *bl = calloc(1, sizeof(*bl));
	shm_nsec_build_init(bl);
	for (size_t i = NAMES; i-- > 0 && rc == 0;)
		if (names[i].in) {
			uint8_t rd[SHM_NAME_MAX + 1], sig[4] = {1, 2, 3, (uint8_t)i};
			size_t rl = nsec_of(i, rd);
			rc = shm_nsec_build_add(bl, t2, 0, apex, apex_len, names[i].w, names[i].len,
						rd, rl, sig, sizeof(sig));
		}
	free(bl);
	is_int(rc, 0, "the build pass puts every node");
	check_finds(t2, "after the build pass");
	shm_table_destroy(t);
	shm_table_destroy(t2);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_canon_order();
	test_skiplist();
	return tap_done();
}
