/*
 * update.c - RFC 2136 UPDATE: prerequisites (3.2), then the prescan (3.4.1)
 * and the update section (3.4.2), into a change set.
 */
#include "dns/update.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/dd.h"
#include "daemon/util.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "dns/rr.h"

/*
 * Text of one value: a TXT value is at most its RDATA (65535 bytes) less
 * the length bytes; a name or an address is shorter.
 */
#define TEXT_MAX (DNS_RDATA_MAX + 1)

struct ctx {
	const uint8_t *msg;
	size_t len;
	const struct dns_pkt *p;
	const char *apex;
	const struct dns_update_lookup *lk;
	const struct dns_update_policy *pol;
	char *text; /* TEXT_MAX bytes: the value of the RR at hand */
};

/* The RR at *pos of the message; 0 or DD_EFORMERR. */
static int
rr_read(const struct ctx *c, size_t *pos, struct dns_rr *r)
{
	return dns_rr_read(c->msg, c->len, pos, r);
}

/* The RDATA of r as stored text, into c->text (dns_rr_text). */
static int
rr_text(const struct ctx *c, const struct dns_rr *r)
{
	return dns_rr_text(c->msg, c->len, r, c->text, TEXT_MAX);
}

/* SOA and NS come from the configuration and live at the apex only. */
static bool
is_apex_type(uint16_t type)
{
	return type == DNS_TYPE_SOA || type == DNS_TYPE_NS;
}

/* ---------------------------------------------------------------- RRsets */

static struct dns_update_rrset *
set_find(struct dns_update *u, const char *name, uint16_t type)
{
	for (size_t i = 0; i < u->nsets; i++)
		if (u->sets[i].type == type && strcmp(u->sets[i].name, name) == 0)
			return &u->sets[i];
	return NULL;
}

/* Appends an empty RRset name/type; NULL when out of memory. */
static struct dns_update_rrset *
set_new(struct dns_update *u, const char *name, uint16_t type)
{
	struct dns_update_rrset *g = realloc(u->sets, (u->nsets + 1) * sizeof(*g));
	char *nm = strdup(name);

	if (g != NULL)
		u->sets = g;
	if (g == NULL || nm == NULL) {
		free(nm);
		return NULL;
	}
	g = &u->sets[u->nsets++];
	memset(g, 0, sizeof(*g));
	g->name = nm;
	g->type = type;
	return g;
}

static bool
set_has(const struct dns_update_rrset *s, const char *text)
{
	for (size_t i = 0; i < s->nvalues; i++)
		if (strcmp(s->values[i], text) == 0)
			return true;
	return false;
}

/* Appends a copy of text; 0 or DD_ENOMEM. */
static int
set_push(struct dns_update_rrset *s, const char *text)
{
	char **v = realloc(s->values, (s->nvalues + 1) * sizeof(char *));
	char *t;

	if (v == NULL)
		return DD_ENOMEM;
	s->values = v;
	if ((t = strdup(text)) == NULL)
		return DD_ENOMEM;
	s->values[s->nvalues++] = t;
	return 0;
}

static void
set_clear(struct dns_update_rrset *s)
{
	util_strv_free(s->values, s->nvalues);
	s->values = NULL;
	s->nvalues = 0;
}

/*
 * The stored RRset name/type through the lookup: *v (*n strings, to free
 * with util_strv_free) and *ttl.  On failure nothing is left to free.
 */
static int
stored(const struct ctx *c, const char *name, uint16_t type, char ***v, size_t *n, int64_t *ttl)
{
	int rc;

	*v = NULL;
	*n = 0;
	*ttl = -1;
	if ((rc = c->lk->rrset(c->lk->arg, name, type, v, n, ttl)) < 0) {
		util_strv_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	return rc;
}

/*
 * The working copy of RRset name/type: the stored values the first time it
 * is touched, then every operation applied to it in turn.  NULL when out of
 * memory or the lookup failed.
 */
static struct dns_update_rrset *
work_set(const struct ctx *c, struct dns_update *u, const char *name, uint16_t type)
{
	struct dns_update_rrset *s = set_find(u, name, type);

	if (s != NULL)
		return s;
	if ((s = set_new(u, name, type)) == NULL)
		return NULL;
	/* on failure the set stays in u, empty, and the whole update fails */
	if (stored(c, name, type, &s->values, &s->nvalues, &s->ttl) < 0)
		return NULL;
	return s;
}

/* ---------------------------------------------------------------- 3.2 */

/* RFC 2136 3.2.1 and 3.2.2: class ANY (must exist) or NONE (must not). */
static int
prereq_exists(const struct ctx *c, const struct dns_rr *r)
{
	bool want = r->rclass == DNS_CLASS_ANY, have;

	if (r->rdlen != 0)
		return DNS_RCODE_FORMERR;
	if (r->type == DNS_TYPE_ANY) {
		/* name is in use (2.4.4) or not (2.4.5); the apex owns SOA and NS */
		have = strcmp(r->name, c->apex) == 0 || c->lk->name_in_use(c->lk->arg, r->name);
		if (have != want)
			return want ? DNS_RCODE_NXDOMAIN : DNS_RCODE_YXDOMAIN;
		return DNS_RCODE_NOERROR;
	}
	/* RRset exists, value-independent (2.4.1), or does not exist (2.4.3) */
	if (is_apex_type(r->type)) {
		have = strcmp(r->name, c->apex) == 0;
	} else {
		char **v;
		size_t n;
		int64_t ttl;
		if (stored(c, r->name, r->type, &v, &n, &ttl) < 0)
			return DNS_RCODE_SERVFAIL;
		have = n > 0;
		util_strv_free(v, n);
	}
	if (have != want)
		return want ? DNS_RCODE_NXRRSET : DNS_RCODE_YXRRSET;
	return DNS_RCODE_NOERROR;
}

/*
 * RFC 2136 3.2.3: a class IN record is one member of an RRset that must
 * exist exactly as asked (2.4.2); the members are gathered in asked, by
 * name and type, and compared once the section is read.
 */
static int
prereq_gather(const struct ctx *c, const struct dns_rr *r, struct dns_update *asked)
{
	struct dns_update_rrset *s;

	/* a value ddnsd cannot store (another type, bad RDATA) is in no stored RRset */
	if (rr_text(c, r) < 0)
		return DNS_RCODE_NXRRSET;
	s = set_find(asked, r->name, r->type);
	if (s == NULL && (s = set_new(asked, r->name, r->type)) == NULL)
		return DNS_RCODE_SERVFAIL;
	if (!set_has(s, c->text) && set_push(s, c->text) < 0)
		return DNS_RCODE_SERVFAIL;
	return DNS_RCODE_NOERROR;
}

static int
prereq_one(const struct ctx *c, const struct dns_rr *r, struct dns_update *asked)
{
	/* RFC 2136 3.2: every name within the zone of the zone section */
	if (!c->lk->in_zone(c->lk->arg, r->name))
		return DNS_RCODE_NOTZONE;
	/* 3.2.1-3.2.3: a prerequisite's TTL is zero */
	if (r->ttl != 0)
		return DNS_RCODE_FORMERR;
	if (r->rclass == DNS_CLASS_ANY || r->rclass == DNS_CLASS_NONE)
		return prereq_exists(c, r);
	if (r->rclass == DNS_CLASS_IN)
		return prereq_gather(c, r, asked);
	/* 3.2.3: a class other than the zone's, NONE or ANY */
	return DNS_RCODE_FORMERR;
}

/* RFC 2136 3.2.3: each gathered RRset equals the stored one: same members, no more, no less. */
static int
prereq_compare(const struct ctx *c, const struct dns_update *asked)
{
	for (size_t k = 0; k < asked->nsets; k++) {
		const struct dns_update_rrset *a = &asked->sets[k];
		char **v;
		size_t n;
		int64_t ttl;
		bool same;

		if (stored(c, a->name, a->type, &v, &n, &ttl) < 0)
			return DNS_RCODE_SERVFAIL;
		same = n == a->nvalues;
		for (size_t i = 0; same && i < n; i++)
			same = set_has(a, v[i]);
		util_strv_free(v, n);
		if (!same)
			return DNS_RCODE_NXRRSET;
	}
	return DNS_RCODE_NOERROR;
}

/* RFC 2136 3.2: the prerequisite section, in order; the first that fails gives the rcode. */
static int
prereqs(const struct ctx *c)
{
	struct dns_update asked = {NULL, 0};
	size_t pos = c->p->an_off;
	int rc = DNS_RCODE_NOERROR;

	for (unsigned i = 0; i < c->p->ancount && rc == DNS_RCODE_NOERROR; i++) {
		struct dns_rr r;
		if (rr_read(c, &pos, &r) < 0)
			rc = DNS_RCODE_FORMERR;
		else
			rc = prereq_one(c, &r, &asked);
	}
	if (rc == DNS_RCODE_NOERROR)
		rc = prereq_compare(c, &asked);
	dns_update_fini(&asked);
	return rc;
}

/* ---------------------------------------------------------------- 3.4.1 */

/*
 * RFC 2136 3.4.1.1 (the class) and 3.4.1.2 (type, TTL, RDLENGTH).  Other
 * types 3.4.1.2 calls FORMERR (meta types besides these, meta types with
 * class ANY or NONE, unknown types) are not updatable here: they get
 * REFUSED from prescan_allowed instead.
 */
static int
prescan_form(const struct dns_rr *r)
{
	switch (r->rclass) {
	case DNS_CLASS_IN:
		if (r->type == DNS_TYPE_ANY || r->type == DNS_TYPE_AXFR ||
		    r->type == DNS_TYPE_IXFR || r->type == DNS_TYPE_MAILA ||
		    r->type == DNS_TYPE_MAILB)
			return DNS_RCODE_FORMERR;
		return DNS_RCODE_NOERROR;
	case DNS_CLASS_ANY: /* delete an RRset or a name: no TTL, no RDATA */
		return r->ttl != 0 || r->rdlen != 0 ? DNS_RCODE_FORMERR : DNS_RCODE_NOERROR;
	case DNS_CLASS_NONE: /* delete one RR */
		return r->ttl != 0 || r->type == DNS_TYPE_ANY ? DNS_RCODE_FORMERR
		                                              : DNS_RCODE_NOERROR;
	default:
		return DNS_RCODE_FORMERR;
	}
}

/* RFC 2136 3.3.1: may this requestor change what the record names?  Else REFUSED. */
static int
prescan_allowed(const struct ctx *c, const struct dns_rr *r)
{
	bool (*allowed)(void *, const char *, uint16_t) = c->pol->allowed;

	if (is_apex_type(r->type))
		return DNS_RCODE_NOERROR; /* ignored below: nothing to allow */
	if (r->type == DNS_TYPE_ANY) {
		/* deleting every RRset of a name touches each updatable type */
		for (size_t t = 0; t < DNS_STORED_TYPES; t++)
			if (!allowed(c->pol->arg, r->name, dns_stored_types[t]))
				return DNS_RCODE_REFUSED;
		return DNS_RCODE_NOERROR;
	}
	if (!dns_type_stored(r->type) || !allowed(c->pol->arg, r->name, r->type))
		return DNS_RCODE_REFUSED;
	return DNS_RCODE_NOERROR;
}

/* 3.4.1.1, 3.4.1.2 and the key's policy for one record of the update section. */
static int
prescan_one(const struct ctx *c, struct dns_update *u, const struct dns_rr *r)
{
	int rc;

	(void)u;
	/* 3.4.1.1: every name within the zone */
	if (!c->lk->in_zone(c->lk->arg, r->name))
		return DNS_RCODE_NOTZONE;
	if ((rc = prescan_form(r)) == DNS_RCODE_NOERROR)
		rc = prescan_allowed(c, r);
	return rc;
}

/*
 * Each record of the update section through fn, in order, until one gives
 * an rcode other than NOERROR (a record that cannot be read: FORMERR).
 */
static int
each_update_rr(const struct ctx *c, struct dns_update *u,
               int (*fn)(const struct ctx *c, struct dns_update *u, const struct dns_rr *r))
{
	size_t pos = c->p->ns_off;
	int rc = DNS_RCODE_NOERROR;

	for (unsigned i = 0; i < c->p->nscount && rc == DNS_RCODE_NOERROR; i++) {
		struct dns_rr r;
		if (rr_read(c, &pos, &r) < 0)
			return DNS_RCODE_FORMERR;
		rc = fn(c, u, &r);
	}
	return rc;
}

/*
 * RFC 2136 3.4.1 and 3.3: the whole update section is checked before any of
 * it is applied, record by record (so a refused record before a malformed
 * one gives REFUSED).
 */
static int
prescan(const struct ctx *c)
{
	return each_update_rr(c, NULL, prescan_one);
}

/* ---------------------------------------------------------------- 3.4.2 */

/*
 * RFC 2136 3.4.2.3, class ANY and type ANY: delete every RRset of the name.
 * The apex keeps its SOA and NS, which are not stored anyway.
 */
static int
op_delete_name(const struct ctx *c, struct dns_update *u, const char *name)
{
	for (size_t t = 0; t < DNS_STORED_TYPES; t++) {
		struct dns_update_rrset *s = work_set(c, u, name, dns_stored_types[t]);
		if (s == NULL)
			return DNS_RCODE_SERVFAIL;
		set_clear(s);
	}
	return DNS_RCODE_NOERROR;
}

/* RFC 2136 3.4.2.4, class NONE: delete the RR whose RDATA is equal, if any. */
static void
op_delete_rr(struct dns_update_rrset *s, const char *text)
{
	for (size_t k = 0; k < s->nvalues; k++)
		if (strcmp(s->values[k], text) == 0) {
			free(s->values[k]);
			s->values[k] = s->values[--s->nvalues];
			return;
		}
}

/* RFC 2136 3.4.2.2, class IN: add the RR to its RRset. */
static int
op_add(struct dns_update_rrset *s, uint16_t type, uint32_t ttl, const char *text)
{
	/* a CNAME replaces the CNAME (1.1.5, 3.4.2.2); one beside other data is
	 * the writer's to refuse */
	if (type == DNS_TYPE_CNAME)
		set_clear(s);
	/* the RRset takes the new TTL: all RRs of an RRset share one (RFC 2181 5.2) */
	s->ttl = ttl;
	/* a duplicate RDATA replaces the stored RR, whatever its TTL (1.1.1,
	 * 3.4.2.2): the value is not doubled */
	if (set_has(s, text))
		return DNS_RCODE_NOERROR;
	if (s->nvalues >= DNS_UPDATE_VALUES_MAX)
		return DNS_RCODE_REFUSED;
	return set_push(s, text) < 0 ? DNS_RCODE_SERVFAIL : DNS_RCODE_NOERROR;
}

/* One record of the update section, already prescanned. */
static int
op_one(const struct ctx *c, struct dns_update *u, const struct dns_rr *r)
{
	struct dns_update_rrset *s;

	/* SOA and NS come from the configuration: updates of them are ignored
	 * (the apex's may not be deleted, 3.4.2.3 and 3.4.2.4) */
	if (is_apex_type(r->type))
		return DNS_RCODE_NOERROR;
	if (r->rclass == DNS_CLASS_ANY && r->type == DNS_TYPE_ANY)
		return op_delete_name(c, u, r->name);
	if ((s = work_set(c, u, r->name, r->type)) == NULL)
		return DNS_RCODE_SERVFAIL;
	if (r->rclass == DNS_CLASS_ANY) {
		set_clear(s); /* 3.4.2.3: delete the RRset */
		return DNS_RCODE_NOERROR;
	}
	if (rr_text(c, r) < 0)
		return DNS_RCODE_FORMERR;
	if (r->rclass == DNS_CLASS_NONE) {
		op_delete_rr(s, c->text);
		return DNS_RCODE_NOERROR;
	}
	return op_add(s, r->type, r->ttl, c->text);
}

/* RFC 2136 3.4.2: the update section, in order, onto the working RRsets in u. */
static int
ops(const struct ctx *c, struct dns_update *u)
{
	return each_update_rr(c, u, op_one);
}

/* ---------------------------------------------------------------- API */

int
dns_update_eval(struct dns_update *u, const uint8_t *msg, size_t len, const struct dns_pkt *p,
                const char *apex, const struct dns_update_lookup *lookup,
                const struct dns_update_policy *policy)
{
	struct ctx c = {msg, len, p, apex, lookup, policy, malloc(TEXT_MAX)};
	int rc;

	u->sets = NULL;
	u->nsets = 0;
	if (c.text == NULL)
		return DNS_RCODE_SERVFAIL;
	rc = prereqs(&c);
	if (rc == DNS_RCODE_NOERROR)
		rc = prescan(&c);
	if (rc == DNS_RCODE_NOERROR)
		rc = ops(&c, u);
	/* all or nothing (3.4.2.1): a failure leaves no change set */
	if (rc != DNS_RCODE_NOERROR)
		dns_update_fini(u);
	free(c.text);
	return rc;
}

void
dns_update_fini(struct dns_update *u)
{
	for (size_t i = 0; i < u->nsets; i++) {
		free(u->sets[i].name);
		util_strv_free(u->sets[i].values, u->sets[i].nvalues);
	}
	free(u->sets);
	u->sets = NULL;
	u->nsets = 0;
}
