/*
 * test_update.c - RFC 2136 UPDATE (dns/update.c): the prerequisites of 3.2
 * and the prescan and operations of 3.4, as request bytes in and rcode and
 * change set out, against an in-memory zone.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dd.h"
#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "dns/update.h"
#include "tests/unit/tap.h"

#define APEX  "dyn.example.test"
#define CHILD "child.dyn.example.test" /* a zone of its own below the apex */

/* ---------------------------------------------------------------- the zone */

#define STORE_MAX 16
#define VALUE_MAX 64

struct rec {
	char name[64];
	uint16_t type;
	int64_t ttl;
	char values[DNS_UPDATE_VALUES_MAX][VALUE_MAX];
	size_t n;
};

static struct {
	struct rec r[STORE_MAX];
	size_t n;
	bool fail;        /* the lookup fails */
	unsigned lookups; /* rrset calls */
} st;

static void
store_reset(void)
{
	memset(&st, 0, sizeof(st));
}

/* Stores name/type with the NULL-terminated values. */
static void
store_put(const char *name, uint16_t type, int64_t ttl, ...)
{
	struct rec *r = &st.r[st.n++];
	const char *v;
	va_list ap;

	snprintf(r->name, sizeof(r->name), "%s", name);
	r->type = type;
	r->ttl = ttl;
	va_start(ap, ttl);
	while ((v = va_arg(ap, const char *)) != NULL)
		snprintf(r->values[r->n++], VALUE_MAX, "%s", v);
	va_end(ap);
}

/* The usual zone: a few names of each updatable type. */
static void
store_default(void)
{
	store_reset();
	store_put("home." APEX, DNS_TYPE_A, 300, "203.0.113.45", NULL);
	store_put("home." APEX, DNS_TYPE_AAAA, -1, "2001:db8::1", NULL);
	store_put("multi." APEX, DNS_TYPE_A, 300, "192.0.2.1", "192.0.2.2", NULL);
	store_put("three." APEX, DNS_TYPE_A, 300, "10.0.0.1", "10.0.0.2", "10.0.0.3", NULL);
	store_put("txt." APEX, DNS_TYPE_TXT, 60, "hello", NULL);
	store_put("www." APEX, DNS_TYPE_CNAME, 300, "home." APEX, NULL);
}

static bool
ends_with_label(const char *name, const char *zone)
{
	size_t nl = strlen(name), zl = strlen(zone);

	if (nl == zl)
		return strcmp(name, zone) == 0;
	return nl > zl && name[nl - zl - 1] == '.' && strcmp(name + nl - zl, zone) == 0;
}

static bool
in_zone(void *arg, const char *name)
{
	(void)arg;
	return ends_with_label(name, APEX) && !ends_with_label(name, CHILD);
}

static int
rrset(void *arg, const char *name, uint16_t type, char ***values, size_t *n, int64_t *ttl)
{
	(void)arg;
	st.lookups++;
	if (st.fail) {
		/* something half built: dns_update_eval frees it whatever the return */
		*values = calloc(1, sizeof(char *));
		if (*values != NULL && ((*values)[0] = strdup("half")) != NULL)
			*n = 1;
		return DD_EIO;
	}
	for (size_t i = 0; i < st.n; i++) {
		const struct rec *r = &st.r[i];
		if (r->type != type || strcmp(r->name, name) != 0 || r->n == 0)
			continue;
		*values = calloc(r->n, sizeof(char *));
		for (size_t k = 0; k < r->n; k++)
			(*values)[k] = strdup(r->values[k]);
		*n = r->n;
		*ttl = r->ttl;
	}
	return 0;
}

static bool
name_in_use(void *arg, const char *name)
{
	(void)arg;
	for (size_t i = 0; i < st.n; i++)
		if (strcmp(st.r[i].name, name) == 0 && st.r[i].n > 0)
			return true;
	return false;
}

/* The key may not touch locked.*, nor TXT at notxt.* */
static bool
allowed(void *arg, const char *name, uint16_t type)
{
	(void)arg;
	if (strcmp(name, "locked." APEX) == 0)
		return false;
	return !(strcmp(name, "notxt." APEX) == 0 && type == DNS_TYPE_TXT);
}

static const struct dns_update_lookup lookup = {NULL, in_zone, rrset, name_in_use};
static const struct dns_update_policy policy = {NULL, allowed};

/* ---------------------------------------------------------------- requests */

static uint8_t buf[16384];
static struct dns_msgb m;
static struct dns_update u;

static size_t
wire(const char *name, uint8_t *w)
{
	int n = dns_dname_from_str(name, w, DNS_DNAME_MAX);
	if (n < 0) {
		diag("bad name %s", name);
		abort();
	}
	return (size_t)n;
}

/* Starts an UPDATE of zone (the zone section: zone SOA IN). */
static void
req(const char *zone)
{
	uint8_t z[DNS_DNAME_MAX];
	size_t zl = wire(zone, z);

	dns_msgb_init(&m, buf, sizeof(buf), 0x2136, DNS_OPCODE_UPDATE << 11, z, zl, DNS_TYPE_SOA,
	              DNS_CLASS_IN);
}

/* One RR with raw RDATA in sec (DNS_SEC_AN: prerequisites, DNS_SEC_NS: updates). */
static void
rr_raw(int sec, const char *name, uint16_t type, uint16_t cls, uint32_t ttl, const void *rd,
       size_t rdlen)
{
	uint8_t o[DNS_DNAME_MAX];
	size_t ol = wire(name, o);

	if (dns_msgb_rr(&m, sec, o, ol, type, cls, ttl, rd, rdlen) < 0)
		abort();
}

/* One RR whose RDATA is text of its type (NULL: no RDATA). */
static void
rr(int sec, const char *name, uint16_t type, uint16_t cls, uint32_t ttl, const char *text)
{
	uint8_t rd[1024];
	int n = 0;

	if (text != NULL && (n = dns_rdata_from_text(type, text, rd, sizeof(rd))) < 0)
		abort();
	rr_raw(sec, name, type, cls, ttl, rd, (size_t)n);
}

/* One RR whose owner is given as wire bytes, letter case as is. */
static void
rr_owner(int sec, const char *owner, uint16_t type, uint16_t cls, uint32_t ttl, const char *text)
{
	uint8_t rd[64];
	int n = dns_rdata_from_text(type, text, rd, sizeof(rd));

	if (n < 0 || dns_msgb_rr(&m, sec, (const uint8_t *)owner, strlen(owner) + 1, type, cls, ttl,
	                         rd, (size_t)n) < 0)
		abort();
}

#define PRE(...) rr(DNS_SEC_AN, __VA_ARGS__)
#define UPD(...) rr(DNS_SEC_NS, __VA_ARGS__)

static int
eval_bytes(const uint8_t *msg, size_t len)
{
	struct dns_pkt p;

	dns_update_fini(&u);
	st.lookups = 0;
	if (dns_pkt_parse(&p, msg, len) != 0)
		return -1;
	return dns_update_eval(&u, msg, len, &p, APEX, &lookup, &policy);
}

/* Finishes the request and evaluates it: the rcode, or -1 if it does not even parse. */
static int
eval(void)
{
	return eval_bytes(buf, dns_msgb_finish(&m));
}

static const struct dns_update_rrset *
set_get(const char *name, uint16_t type)
{
	for (size_t i = 0; i < u.nsets; i++)
		if (u.sets[i].type == type && strcmp(u.sets[i].name, name) == 0)
			return &u.sets[i];
	return NULL;
}

/* The change set holds name/type with this TTL and exactly these values, in order. */
static bool
set_is(const char *name, uint16_t type, int64_t ttl, ...)
{
	const struct dns_update_rrset *s = set_get(name, type);
	const char *v;
	size_t i = 0;
	bool same = s != NULL && s->ttl == ttl;
	va_list ap;

	va_start(ap, ttl);
	while (same && (v = va_arg(ap, const char *)) != NULL)
		same = i < s->nvalues && strcmp(s->values[i++], v) == 0;
	va_end(ap);
	same = same && i == s->nvalues;
	if (!same && s == NULL)
		diag("no RRset %s/%u in the change set", name, type);
	else if (!same)
		for (size_t k = 0; k < s->nvalues || k == 0; k++)
			diag("%s/%u ttl %lld: [%zu] %s", name, type, (long long)s->ttl, k,
			     k < s->nvalues ? s->values[k] : "(none)");
	return same;
}

/* ---------------------------------------------------------------- 3.2 */

/* RFC 2136 2.4.1 and 3.2.1: RRset exists (value independent), class ANY. */
static void
test_rrset_exists(void)
{
	store_default();
	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NOERROR, "2.4.1: home A exists");
	is_int(u.nsets, 0, "2.4.1: no update section, no change set");

	req(APEX);
	PRE("nohost." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NXRRSET, "2.4.1: nohost A does not exist: NXRRSET");

	req(APEX);
	PRE("txt." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NXRRSET, "2.4.1: a name with another type only: NXRRSET");

	req(APEX);
	PRE(APEX, DNS_TYPE_SOA, DNS_CLASS_ANY, 0, NULL);
	PRE(APEX, DNS_TYPE_NS, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NOERROR,
	       "2.4.1: the apex has SOA and NS (from the configuration)");
	is_int(st.lookups, 0, "2.4.1: SOA and NS are not looked up");

	req(APEX);
	PRE("home." APEX, DNS_TYPE_NS, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NXRRSET, "2.4.1: no NS below the apex");

	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL);
	PRE("home." APEX, DNS_TYPE_TXT, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NXRRSET,
	       "2.4.1: every prerequisite must hold, not the first only");
}

/* RFC 2136 2.4.2 and 3.2.3: RRset exists (value dependent), the zone's class. */
static void
test_rrset_equal(void)
{
	store_default();
	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "203.0.113.45");
	is_int(eval(), DNS_RCODE_NOERROR, "2.4.2: home A is exactly 203.0.113.45");

	req(APEX);
	PRE("multi." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "192.0.2.2");
	PRE("multi." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "192.0.2.1");
	is_int(eval(), DNS_RCODE_NOERROR, "2.4.2: both values, in another order");

	req(APEX);
	PRE("multi." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "192.0.2.1");
	PRE("multi." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "192.0.2.1");
	PRE("multi." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "192.0.2.2");
	is_int(eval(), DNS_RCODE_NOERROR, "2.4.2: a value asked twice counts once");

	req(APEX);
	PRE("multi." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "192.0.2.1");
	is_int(eval(), DNS_RCODE_NXRRSET, "2.4.2: a subset of the RRset is not equal: NXRRSET");

	req(APEX);
	PRE("multi." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "192.0.2.1");
	PRE("multi." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "192.0.2.2");
	PRE("multi." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "192.0.2.3");
	is_int(eval(), DNS_RCODE_NXRRSET, "2.4.2: a superset is not equal: NXRRSET");

	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "203.0.113.46");
	is_int(eval(), DNS_RCODE_NXRRSET, "2.4.2: another value: NXRRSET");

	req(APEX);
	PRE("nohost." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "192.0.2.1");
	is_int(eval(), DNS_RCODE_NXRRSET, "2.4.2: an RRset that does not exist: NXRRSET");

	req(APEX);
	PRE("txt." APEX, DNS_TYPE_TXT, DNS_CLASS_IN, 0, "hello");
	PRE("www." APEX, DNS_TYPE_CNAME, DNS_CLASS_IN, 0, "home." APEX);
	is_int(eval(), DNS_RCODE_NOERROR, "2.4.2: a TXT and a CNAME");

	req(APEX);
	PRE("home." APEX, DNS_TYPE_MX, DNS_CLASS_IN, 0, NULL);
	is_int(eval(), DNS_RCODE_NXRRSET, "2.4.2: a type never stored (MX): NXRRSET");

	req(APEX);
	rr_raw(DNS_SEC_AN, "home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "\xcb\x00\x71", 3);
	is_int(eval(), DNS_RCODE_NXRRSET, "2.4.2: an A RDATA of 3 bytes matches nothing: NXRRSET");

	/* www CNAME HoMe.<apex>, the target compressed against the zone section */
	req(APEX);
	rr_raw(DNS_SEC_AN, "www." APEX, DNS_TYPE_CNAME, DNS_CLASS_IN, 0, "\x04HoMe\xc0\x0c", 7);
	is_int(eval(), DNS_RCODE_NOERROR,
	       "2.4.2: a compressed CNAME target in mixed case is read whole");
}

/* RFC 2136 2.4.3 and 3.2.2: RRset does not exist, class NONE. */
static void
test_rrset_absent(void)
{
	store_default();
	req(APEX);
	PRE("nohost." APEX, DNS_TYPE_A, DNS_CLASS_NONE, 0, NULL);
	PRE("home." APEX, DNS_TYPE_TXT, DNS_CLASS_NONE, 0, NULL);
	is_int(eval(), DNS_RCODE_NOERROR, "2.4.3: nohost A and home TXT do not exist");

	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_NONE, 0, NULL);
	is_int(eval(), DNS_RCODE_YXRRSET, "2.4.3: home A exists: YXRRSET");

	req(APEX);
	PRE(APEX, DNS_TYPE_SOA, DNS_CLASS_NONE, 0, NULL);
	is_int(eval(), DNS_RCODE_YXRRSET, "2.4.3: the apex SOA exists: YXRRSET");

	req(APEX);
	PRE("home." APEX, DNS_TYPE_NS, DNS_CLASS_NONE, 0, NULL);
	is_int(eval(), DNS_RCODE_NOERROR, "2.4.3: no NS below the apex");
}

/* RFC 2136 2.4.4 (class ANY) and 2.4.5 (class NONE): name in use or not, type ANY. */
static void
test_name_in_use(void)
{
	store_default();
	req(APEX);
	PRE("txt." APEX, DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NOERROR, "2.4.4: txt is in use");

	req(APEX);
	PRE("nohost." APEX, DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NXDOMAIN, "2.4.4: nohost is not in use: NXDOMAIN");

	req(APEX);
	PRE(APEX, DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NOERROR,
	       "2.4.4: the apex is in use (SOA, NS) with nothing stored");

	req(APEX);
	PRE("nohost." APEX, DNS_TYPE_ANY, DNS_CLASS_NONE, 0, NULL);
	is_int(eval(), DNS_RCODE_NOERROR, "2.4.5: nohost is not in use");

	req(APEX);
	PRE("home." APEX, DNS_TYPE_ANY, DNS_CLASS_NONE, 0, NULL);
	is_int(eval(), DNS_RCODE_YXDOMAIN, "2.4.5: home is in use: YXDOMAIN");

	req(APEX);
	PRE(APEX, DNS_TYPE_ANY, DNS_CLASS_NONE, 0, NULL);
	is_int(eval(), DNS_RCODE_YXDOMAIN, "2.4.5: the apex is in use: YXDOMAIN");
}

/* RFC 2136 3.2, 3.2.1-3.2.3: malformed prerequisites and names outside the zone. */
static void
test_prereq_errors(void)
{
	store_default();
	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 1, NULL);
	is_int(eval(), DNS_RCODE_FORMERR, "3.2.1: class ANY with a TTL: FORMERR");

	req(APEX);
	PRE("nohost." APEX, DNS_TYPE_A, DNS_CLASS_NONE, 300, NULL);
	is_int(eval(), DNS_RCODE_FORMERR, "3.2.2: class NONE with a TTL: FORMERR");

	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "203.0.113.45");
	is_int(eval(), DNS_RCODE_FORMERR, "3.2.3: class IN with a TTL: FORMERR");

	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 0, "203.0.113.45");
	is_int(eval(), DNS_RCODE_FORMERR, "3.2.1: class ANY with RDATA: FORMERR");

	req(APEX);
	PRE("nohost." APEX, DNS_TYPE_A, DNS_CLASS_NONE, 0, "192.0.2.1");
	is_int(eval(), DNS_RCODE_FORMERR, "3.2.2: class NONE with RDATA: FORMERR");

	req(APEX);
	rr_raw(DNS_SEC_AN, "nohost." APEX, DNS_TYPE_ANY, DNS_CLASS_NONE, 0, "\xc0\x00\x02\x01", 4);
	is_int(eval(), DNS_RCODE_FORMERR, "3.2.2: name not in use with RDATA: FORMERR");

	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_CH, 0, NULL);
	is_int(eval(), DNS_RCODE_FORMERR, "3.2.3: class CH: FORMERR");

	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_HS, 0, "203.0.113.45");
	is_int(eval(), DNS_RCODE_FORMERR, "3.2.3: class HS: FORMERR");

	req(APEX);
	PRE("www.other.test", DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NOTZONE, "3.2: a name in another zone: NOTZONE");

	req(APEX);
	PRE("example.test", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NOTZONE, "3.2: the parent of the apex: NOTZONE");

	req(APEX);
	PRE("host." CHILD, DNS_TYPE_A, DNS_CLASS_NONE, 0, NULL);
	is_int(eval(), DNS_RCODE_NOTZONE, "3.2: a name in a zone below the apex: NOTZONE");

	req(APEX);
	PRE("www.other.test", DNS_TYPE_A, DNS_CLASS_ANY, 5, NULL);
	is_int(eval(), DNS_RCODE_NOTZONE, "3.2: NOTZONE is found before the TTL");

	/* in order: the first failing prerequisite gives the rcode */
	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 7, NULL);
	PRE("www.other.test", DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_FORMERR, "3.2: the first failing prerequisite answers (FORMERR)");

	req(APEX);
	PRE("home." APEX, DNS_TYPE_ANY, DNS_CLASS_NONE, 0, NULL);
	PRE("nohost." APEX, DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_YXDOMAIN,
	       "3.2: the first failing prerequisite answers (YXDOMAIN)");

	/* the value-dependent RRsets are compared after the whole section */
	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "192.0.2.99");
	PRE("home." APEX, DNS_TYPE_TXT, DNS_CLASS_NONE, 0, NULL);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 9, NULL);
	is_int(eval(), DNS_RCODE_FORMERR, "3.2.3: RRsets are compared once the section is read");

	/* prerequisites come before the update section (3.2 before 3.4) */
	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_NONE, 0, NULL);
	UPD("home." APEX, DNS_TYPE_MX, DNS_CLASS_IN, 300, NULL);
	UPD("www.other.test", DNS_TYPE_A, DNS_CLASS_IN, 300, "192.0.2.1");
	is_int(eval(), DNS_RCODE_YXRRSET, "3.2: a failed prerequisite answers before the updates");

	req(APEX);
	PRE("nohost." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL);
	UPD("nohost." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "192.0.2.1");
	is_int(eval(), DNS_RCODE_NXRRSET, "3.2: a failed prerequisite ...");
	is_int(u.nsets, 0, "... leaves no change set");
}

/* ---------------------------------------------------------------- 3.4.1 */

static void
test_prescan(void)
{
	static const struct {
		uint16_t type, cls;
		uint32_t ttl;
		const char *rd;
		const char *what;
	} bad[] = {
	        {DNS_TYPE_ANY, DNS_CLASS_IN, 300, NULL, "class IN, type ANY"},
	        {DNS_TYPE_AXFR, DNS_CLASS_IN, 300, NULL, "class IN, type AXFR"},
	        {DNS_TYPE_IXFR, DNS_CLASS_IN, 300, NULL, "class IN, type IXFR"},
	        {DNS_TYPE_MAILA, DNS_CLASS_IN, 300, NULL, "class IN, type MAILA"},
	        {DNS_TYPE_MAILB, DNS_CLASS_IN, 300, NULL, "class IN, type MAILB"},
	        {DNS_TYPE_A, DNS_CLASS_ANY, 300, NULL, "class ANY with a TTL"},
	        {DNS_TYPE_A, DNS_CLASS_ANY, 0, "192.0.2.1", "class ANY with RDATA"},
	        {DNS_TYPE_ANY, DNS_CLASS_ANY, 0, "x", "class ANY, type ANY with RDATA"},
	        {DNS_TYPE_A, DNS_CLASS_NONE, 300, "192.0.2.1", "class NONE with a TTL"},
	        {DNS_TYPE_ANY, DNS_CLASS_NONE, 0, NULL, "class NONE, type ANY"},
	        {DNS_TYPE_A, DNS_CLASS_CH, 300, "192.0.2.1", "class CH"},
	        {DNS_TYPE_A, 0, 300, "192.0.2.1", "class 0"},
	};

	store_default();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint16_t t = bad[i].type == DNS_TYPE_ANY ? DNS_TYPE_TXT : bad[i].type;
		req(APEX);
		/* a valid add first: nothing is applied before the whole section is scanned */
		UPD("home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "192.0.2.8");
		if (bad[i].rd != NULL) {
			uint8_t rd[64];
			int n = dns_rdata_from_text(t, bad[i].rd, rd, sizeof(rd));
			rr_raw(DNS_SEC_NS, "home." APEX, bad[i].type, bad[i].cls, bad[i].ttl, rd,
			       (size_t)n);
		} else {
			UPD("home." APEX, bad[i].type, bad[i].cls, bad[i].ttl, NULL);
		}
		/* a refused record last: the FORMERR comes from the prescan, not the updates */
		UPD("locked." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "192.0.2.1");
		is_int(eval(), DNS_RCODE_FORMERR, "3.4.1: %s: FORMERR", bad[i].what);
		ok(u.nsets == 0, "3.4.1: %s: no change set", bad[i].what);
	}

	req(APEX);
	UPD("home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "192.0.2.8");
	UPD("www.other.test", DNS_TYPE_A, DNS_CLASS_IN, 300, "192.0.2.1");
	is_int(eval(), DNS_RCODE_NOTZONE, "3.4.1.1: a name in another zone: NOTZONE");
	is_int(u.nsets, 0, "3.4.1.1: NOTZONE: no change set");

	req(APEX);
	UPD("host." CHILD, DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NOTZONE, "3.4.1.1: a name in a zone below the apex: NOTZONE");

	req(APEX);
	UPD("www.other.test", DNS_TYPE_A, DNS_CLASS_CH, 1, "192.0.2.1");
	is_int(eval(), DNS_RCODE_NOTZONE, "3.4.1.1: NOTZONE is found before the class");

	req(APEX);
	UPD("home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "192.0.2.8");
	UPD("home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, NULL);
	is_int(eval(), DNS_RCODE_FORMERR, "3.4.2: an empty A RDATA: FORMERR");
	is_int(u.nsets, 0, "3.4.2: FORMERR: no change set");

	req(APEX);
	rr_raw(DNS_SEC_NS, "www." APEX, DNS_TYPE_CNAME, DNS_CLASS_IN, 300, "\x03new\xc0\x0c\x00",
	       7);
	is_int(eval(), DNS_RCODE_FORMERR, "3.4.2: a CNAME RDATA longer than its name: FORMERR");
}

/* RFC 2136 3.3.1: the policy, and the types ddnsd does not store. */
static void
test_refused(void)
{
	store_default();
	req(APEX);
	UPD("home." APEX, DNS_TYPE_MX, DNS_CLASS_IN, 300, NULL);
	is_int(eval(), DNS_RCODE_REFUSED, "an MX add: REFUSED (not updatable)");

	req(APEX);
	UPD("home." APEX, DNS_TYPE_SRV, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_REFUSED, "an SRV RRset delete: REFUSED");

	req(APEX);
	UPD("home." APEX, DNS_TYPE_AXFR, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_REFUSED, "class ANY, type AXFR: REFUSED (not updatable)");

	req(APEX);
	UPD("locked." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "192.0.2.1");
	is_int(eval(), DNS_RCODE_REFUSED, "3.3.1: the policy refuses locked A");
	is_int(u.nsets, 0, "3.3.1: REFUSED: no change set");

	req(APEX);
	UPD("home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "192.0.2.8");
	UPD("locked." APEX, DNS_TYPE_A, DNS_CLASS_NONE, 0, "192.0.2.1");
	is_int(eval(), DNS_RCODE_REFUSED, "3.3.1: a refused delete after an allowed add: REFUSED");
	is_int(u.nsets, 0, "3.3.1: nothing of the allowed add is left");

	req(APEX);
	UPD("notxt." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "192.0.2.1");
	is_int(eval(), DNS_RCODE_NOERROR, "3.3.1: the policy allows notxt A ...");

	req(APEX);
	UPD("notxt." APEX, DNS_TYPE_TXT, DNS_CLASS_IN, 300, "no");
	is_int(eval(), DNS_RCODE_REFUSED, "3.3.1: ... but not notxt TXT");

	req(APEX);
	UPD("notxt." APEX, DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_REFUSED, "3.3.1: deleting the name needs every type: REFUSED");

	req(APEX);
	UPD("locked." APEX, DNS_TYPE_NS, DNS_CLASS_IN, 300, "ns1." APEX);
	is_int(eval(), DNS_RCODE_NOERROR, "3.3.1: an NS update is ignored, so not refused");
	is_int(u.nsets, 0, "... and changes nothing");

	req(APEX);
	UPD("locked." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 9, NULL);
	is_int(eval(), DNS_RCODE_FORMERR, "3.4.1.2 before 3.3.1 within one record: FORMERR");

	req(APEX);
	UPD("locked." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "192.0.2.1");
	UPD("home." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 9, NULL);
	is_int(eval(), DNS_RCODE_REFUSED, "record by record: a refusal before a FORMERR wins");
}

/* ---------------------------------------------------------------- 3.4.2 */

/* RFC 2136 3.4.2.2: add to an RRset. */
static void
test_add(void)
{
	store_default();
	req(APEX);
	UPD("multi." APEX, DNS_TYPE_A, DNS_CLASS_IN, 600, "192.0.2.3");
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.2: add to multi A");
	ok(set_is("multi." APEX, DNS_TYPE_A, 600, "192.0.2.1", "192.0.2.2", "192.0.2.3", NULL),
	   "3.4.2.2: the new value after the stored ones, with the new TTL");
	is_int(u.nsets, 1, "3.4.2.2: one RRset in the change set");

	req(APEX);
	UPD("new." APEX, DNS_TYPE_AAAA, DNS_CLASS_IN, 120, "2001:DB8:0:0::7");
	UPD("new." APEX, DNS_TYPE_TXT, DNS_CLASS_IN, 30, "v=1 \"quoted\"");
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.2: add AAAA and TXT to a new name");
	ok(set_is("new." APEX, DNS_TYPE_AAAA, 120, "2001:db8::7", NULL),
	   "3.4.2.2: AAAA as stored text");
	ok(set_is("new." APEX, DNS_TYPE_TXT, 30, "v=1 \"quoted\"", NULL), "3.4.2.2: TXT as is");

	req(APEX);
	UPD("multi." APEX, DNS_TYPE_A, DNS_CLASS_IN, 120, "192.0.2.1");
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.2: add a value already stored");
	ok(set_is("multi." APEX, DNS_TYPE_A, 120, "192.0.2.1", "192.0.2.2", NULL),
	   "1.1.1: not doubled; the RRset takes the new TTL");

	req(APEX);
	UPD("new." APEX, DNS_TYPE_A, DNS_CLASS_IN, 60, "192.0.2.9");
	UPD("new." APEX, DNS_TYPE_A, DNS_CLASS_IN, 70, "192.0.2.9");
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.2: the same value twice in one request");
	ok(set_is("new." APEX, DNS_TYPE_A, 70, "192.0.2.9", NULL), "once, with the last TTL");

	req(APEX);
	UPD("home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "192.0.2.10");
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.2: an add with TTL 0");
	ok(set_is("home." APEX, DNS_TYPE_A, 0, "203.0.113.45", "192.0.2.10", NULL),
	   "the RRset takes TTL 0");

	req(APEX);
	rr_owner(DNS_SEC_NS,
	         "\x04HoMe\x03"
	         "Dyn\x07"
	         "Example\x04TEST",
	         DNS_TYPE_A, DNS_CLASS_IN, 300, "192.0.2.11");
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.2: an owner in mixed case");
	ok(set_is("home." APEX, DNS_TYPE_A, 300, "203.0.113.45", "192.0.2.11", NULL),
	   "the owner is lower-cased and meets the stored RRset");
}

/* RFC 2136 3.4.2.3 (class ANY) and 3.4.2.4 (class NONE): deletes. */
static void
test_delete(void)
{
	store_default();
	req(APEX);
	UPD("multi." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.3: delete the RRset multi A");
	ok(set_is("multi." APEX, DNS_TYPE_A, 300, NULL), "3.4.2.3: multi A is empty");

	req(APEX);
	UPD("home." APEX, DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.3: delete every RRset of home");
	is_int(u.nsets, 4, "3.4.2.3: the four updatable types");
	ok(u.nsets == 4 && u.sets[0].type == DNS_TYPE_A && u.sets[1].type == DNS_TYPE_AAAA &&
	           u.sets[2].type == DNS_TYPE_TXT && u.sets[3].type == DNS_TYPE_CNAME,
	   "3.4.2.3: in the order A, AAAA, TXT, CNAME");
	ok(set_is("home." APEX, DNS_TYPE_A, 300, NULL) &&
	           set_is("home." APEX, DNS_TYPE_AAAA, -1, NULL) &&
	           set_is("home." APEX, DNS_TYPE_TXT, -1, NULL) &&
	           set_is("home." APEX, DNS_TYPE_CNAME, -1, NULL),
	   "3.4.2.3: each empty, stored TTLs kept");

	req(APEX);
	UPD(APEX, DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.3: delete every RRset of the apex");
	ok(u.nsets == 4 && set_get(APEX, DNS_TYPE_SOA) == NULL &&
	           set_get(APEX, DNS_TYPE_NS) == NULL,
	   "3.4.2.3: the apex keeps SOA and NS");

	req(APEX);
	UPD("multi." APEX, DNS_TYPE_A, DNS_CLASS_NONE, 0, "192.0.2.1");
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.4: delete one RR of multi A");
	ok(set_is("multi." APEX, DNS_TYPE_A, 300, "192.0.2.2", NULL),
	   "3.4.2.4: the other value stays, the TTL too");

	req(APEX);
	UPD("three." APEX, DNS_TYPE_A, DNS_CLASS_NONE, 0, "10.0.0.1");
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.4: delete the first of three");
	ok(set_is("three." APEX, DNS_TYPE_A, 300, "10.0.0.3", "10.0.0.2", NULL),
	   "3.4.2.4: the last value takes its place");

	req(APEX);
	UPD("multi." APEX, DNS_TYPE_A, DNS_CLASS_NONE, 0, "192.0.2.77");
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.4: delete a value not stored");
	ok(set_is("multi." APEX, DNS_TYPE_A, 300, "192.0.2.1", "192.0.2.2", NULL),
	   "3.4.2.4: the RRset is unchanged");

	req(APEX);
	UPD("txt." APEX, DNS_TYPE_TXT, DNS_CLASS_NONE, 0, "hello");
	rr_raw(DNS_SEC_NS, "www." APEX, DNS_TYPE_CNAME, DNS_CLASS_NONE, 0, "\x04HOME\xc0\x0c", 7);
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.4: delete a TXT and a CNAME RR");
	ok(set_is("txt." APEX, DNS_TYPE_TXT, 60, NULL) &&
	           set_is("www." APEX, DNS_TYPE_CNAME, 300, NULL),
	   "3.4.2.4: both RRsets are empty");

	/* operations apply in order (3.4.2) */
	req(APEX);
	UPD("new." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "192.0.2.1");
	UPD("new." APEX, DNS_TYPE_A, DNS_CLASS_NONE, 0, "192.0.2.1");
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2: add then delete the same RR");
	ok(set_is("new." APEX, DNS_TYPE_A, 300, NULL), "3.4.2: nothing left");

	req(APEX);
	UPD("multi." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL);
	UPD("multi." APEX, DNS_TYPE_A, DNS_CLASS_IN, 90, "192.0.2.50");
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2: delete the RRset then add");
	ok(set_is("multi." APEX, DNS_TYPE_A, 90, "192.0.2.50", NULL), "3.4.2: only the new value");
}

/* RFC 2136 1.1.5 and 3.4.2.2: a CNAME replaces the CNAME; SOA and NS updates are ignored. */
static void
test_cname_soa_ns(void)
{
	store_default();
	req(APEX);
	UPD("www." APEX, DNS_TYPE_CNAME, DNS_CLASS_IN, 600, "other." APEX);
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.2: add a CNAME where one is stored");
	ok(set_is("www." APEX, DNS_TYPE_CNAME, 600, "other." APEX, NULL),
	   "1.1.5: the new CNAME replaces the old one");

	req(APEX);
	UPD("www." APEX, DNS_TYPE_CNAME, DNS_CLASS_IN, 60, "a." APEX);
	UPD("www." APEX, DNS_TYPE_CNAME, DNS_CLASS_IN, 60, "b." APEX);
	is_int(eval(), DNS_RCODE_NOERROR, "1.1.5: two CNAMEs in one request");
	ok(set_is("www." APEX, DNS_TYPE_CNAME, 60, "b." APEX, NULL), "1.1.5: the last one stays");

	req(APEX);
	rr_raw(DNS_SEC_NS, "www." APEX, DNS_TYPE_CNAME, DNS_CLASS_IN, 300, "\x03NEW\xc0\x0c", 6);
	is_int(eval(), DNS_RCODE_NOERROR, "a CNAME target compressed against the zone section");
	ok(set_is("www." APEX, DNS_TYPE_CNAME, 300, "new." APEX, NULL),
	   "the target read whole and lower-cased");

	req(APEX);
	UPD(APEX, DNS_TYPE_NS, DNS_CLASS_IN, 300, "ns9.example.net");
	UPD(APEX, DNS_TYPE_SOA, DNS_CLASS_ANY, 0, NULL);
	UPD(APEX, DNS_TYPE_NS, DNS_CLASS_ANY, 0, NULL);
	UPD("home." APEX, DNS_TYPE_NS, DNS_CLASS_IN, 300, "ns.elsewhere.test");
	rr_raw(DNS_SEC_NS, APEX, DNS_TYPE_SOA, DNS_CLASS_IN, 300, "\x00\x00garbage", 9);
	is_int(eval(), DNS_RCODE_NOERROR, "3.4.2.3/3.4.2.4: SOA and NS updates ...");
	is_int(u.nsets, 0, "... are ignored");
	is_int(st.lookups, 0, "... and look nothing up");
}

/* The 64-value limit of one RRset. */
static void
test_limit(void)
{
	static char ips[DNS_UPDATE_VALUES_MAX + 1][20];
	struct rec *full;

	store_default();
	full = &st.r[st.n++];
	snprintf(full->name, sizeof(full->name), "full." APEX);
	full->type = DNS_TYPE_A;
	full->ttl = 300;
	for (size_t i = 0; i < DNS_UPDATE_VALUES_MAX; i++) {
		snprintf(full->values[i], VALUE_MAX, "10.1.0.%zu", i);
		snprintf(ips[i], sizeof(ips[i]), "10.2.0.%zu", i);
	}
	snprintf(ips[DNS_UPDATE_VALUES_MAX], sizeof(ips[0]), "10.2.1.0");
	full->n = DNS_UPDATE_VALUES_MAX;

	req(APEX);
	UPD("full." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "10.1.1.1");
	is_int(eval(), DNS_RCODE_REFUSED, "a 65th value: REFUSED");
	is_int(u.nsets, 0, "REFUSED: no change set");

	req(APEX);
	UPD("full." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "10.1.0.5");
	is_int(eval(), DNS_RCODE_NOERROR, "a value already among the 64: NOERROR");

	req(APEX);
	UPD("full." APEX, DNS_TYPE_A, DNS_CLASS_NONE, 0, "10.1.0.5");
	UPD("full." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, "10.1.1.1");
	is_int(eval(), DNS_RCODE_NOERROR, "delete one, then add one: NOERROR");
	ok(u.nsets == 1 && u.sets[0].nvalues == DNS_UPDATE_VALUES_MAX, "64 values");

	req(APEX);
	for (size_t i = 0; i < DNS_UPDATE_VALUES_MAX; i++)
		UPD("big." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, ips[i]);
	is_int(eval(), DNS_RCODE_NOERROR, "64 values added in one request");
	ok(u.nsets == 1 && u.sets[0].nvalues == DNS_UPDATE_VALUES_MAX, "64 values");

	req(APEX);
	for (size_t i = 0; i <= DNS_UPDATE_VALUES_MAX; i++)
		UPD("big." APEX, DNS_TYPE_A, DNS_CLASS_IN, 300, ips[i]);
	is_int(eval(), DNS_RCODE_REFUSED, "65 values added in one request: REFUSED");
}

/* The change set's shape, lookup failures, a request from dnspython. */
static void
test_change_set(void)
{
	/*
	 * dnspython 2.3.0 (python3-dnspython, Debian), owners and the CNAME
	 * target compressed:
	 *   u = dns.update.UpdateMessage("dyn.example.test.", id=0x2136)
	 *   u.present("home", "A", "203.0.113.45"); u.absent("newhost")
	 *   u.replace("newhost", 300, "CNAME", "home.dyn.example.test.")
	 *   u.add("home", 120, "A", "192.0.2.7"); u.to_wire()
	 */
	static const uint8_t dnspython[] =
	        "\x21\x36\x28\x00\x00\x01\x00\x02\x00\x03\x00\x00\x03\x64\x79\x6e\x07\x65\x78\x61"
	        "\x6d\x70\x6c\x65\x04\x74\x65\x73\x74\x00\x00\x06\x00\x01\x04\x68\x6f\x6d\x65\xc0"
	        "\x0c\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04\xcb\x00\x71\x2d\x07\x6e\x65\x77\x68"
	        "\x6f\x73\x74\xc0\x0c\x00\xff\x00\xfe\x00\x00\x00\x00\x00\x00\xc0\x37\x00\x05\x00"
	        "\xff\x00\x00\x00\x00\x00\x00\xc0\x37\x00\x05\x00\x01\x00\x00\x01\x2c\x00\x02\xc0"
	        "\x22\xc0\x22\x00\x01\x00\x01\x00\x00\x00\x78\x00\x04\xc0\x00\x02\x07";

	store_default();
	is_int(eval_bytes(dnspython, sizeof(dnspython) - 1), DNS_RCODE_NOERROR,
	       "a dnspython request: NOERROR");
	is_int(u.nsets, 2, "two RRsets");
	ok(u.nsets == 2 && strcmp(u.sets[0].name, "newhost." APEX) == 0 &&
	           strcmp(u.sets[1].name, "home." APEX) == 0,
	   "in the order first touched");
	ok(set_is("newhost." APEX, DNS_TYPE_CNAME, 300, "home." APEX, NULL),
	   "newhost CNAME home (compressed target)");
	ok(set_is("home." APEX, DNS_TYPE_A, 120, "203.0.113.45", "192.0.2.7", NULL),
	   "home A gains 192.0.2.7 (compressed owner)");

	req(APEX);
	is_int(eval(), DNS_RCODE_NOERROR, "an empty request: NOERROR");
	is_int(u.nsets, 0, "an empty change set");

	req(APEX);
	UPD("home." APEX, DNS_TYPE_A, DNS_CLASS_NONE, 0, "192.0.2.1");
	UPD("home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 60, "192.0.2.1");
	UPD("home." APEX, DNS_TYPE_AAAA, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_NOERROR, "three records, two RRsets");
	is_int(u.nsets, 2, "each RRset once");
	is_int(st.lookups, 2, "each stored RRset looked up once");

	st.fail = true;
	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_SERVFAIL, "3.4.2.1: the lookup fails in a prerequisite: SERVFAIL");

	req(APEX);
	PRE("home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 0, "203.0.113.45");
	is_int(eval(), DNS_RCODE_SERVFAIL, "3.4.2.1: ... in a value comparison: SERVFAIL");

	req(APEX);
	UPD("home." APEX, DNS_TYPE_A, DNS_CLASS_IN, 60, "192.0.2.1");
	is_int(eval(), DNS_RCODE_SERVFAIL, "3.4.2.1: ... in an update: SERVFAIL");
	is_int(u.nsets, 0, "3.4.2.1: SERVFAIL: no change set");

	req(APEX);
	UPD("home." APEX, DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL);
	is_int(eval(), DNS_RCODE_SERVFAIL, "3.4.2.1: ... deleting a name: SERVFAIL");
	st.fail = false;
	dns_update_fini(&u);
	dns_update_fini(&u);
	is_int(u.nsets, 0, "dns_update_fini twice is harmless");
}

int
main(void)
{
	test_rrset_exists();
	test_rrset_equal();
	test_rrset_absent();
	test_name_in_use();
	test_prereq_errors();
	test_prescan();
	test_refused();
	test_add();
	test_delete();
	test_cname_soa_ns();
	test_limit();
	test_change_set();
	dns_update_fini(&u);
	return tap_done();
}
