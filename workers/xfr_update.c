/*
 * xfr_update.c - the transport side of RFC 2136 UPDATE: TSIG required, the
 * zone section, the key's update policy, and the change set dns/update.c
 * computes applied through writer_apply (see xfr_int.h).
 */
#include "workers/xfr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/db_records.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "dns/update.h"
#include "workers/wctx.h"
#include "workers/writer.h"

/* dns/update.c's value limit is the writer's: a change set it passes, the writer takes. */
_Static_assert(DNS_UPDATE_VALUES_MAX == WRITER_VALUES_MAX, "UPDATE and writer value limits");

/* What the UPDATE callbacks of dns_update_eval look at: the zone and the request's key. */
struct upd_ctx {
	struct xfr *x;
	unsigned z;
	const struct cfg_tsig *key;
};

/* dns_update_lookup.in_zone: name is in zone z, not in another (a zone below it). */
static bool
upd_in_zone(void *arg, const char *name)
{
	const struct upd_ctx *c = arg;

	return cfg_zone_of_name(c->x->cfg, name) == (int)c->z;
}

/* dns_update_lookup.rrset: stored values of name/type (pools count as A/AAAA). */
static int
upd_rrset(void *arg, const char *name, uint16_t type, char ***out, size_t *n, int64_t *ttl)
{
	const struct upd_ctx *c = arg;
	char tb[16];

	return db_rrset_values(c->x->ctx->db, name, dns_type_to_str(type, tb), out, n, ttl);
}

/* dns_update_lookup.name_in_use: any record or pool owned by name. */
static bool
upd_name_in_use(void *arg, const char *name)
{
	const struct upd_ctx *c = arg;

	return db_name_in_use(c->x->ctx->db, name);
}

/*
 * dns_update_policy.allowed: does the key's update: section grant name/type?
 * Grants only: no section, nothing; an empty one ({}), every name and type.
 */
static bool
upd_allowed(void *arg, const char *name, uint16_t type)
{
	const struct cfg_tsig *k = ((const struct upd_ctx *)arg)->key;
	char tb[16];
	const char *ts = dns_type_to_str(type, tb);
	bool ok = k->nupdate_names == 0;

	if (!k->update_policy)
		return false;
	for (size_t i = 0; i < k->nupdate_names && !ok; i++) {
		const char *pat = k->update_names[i];
		if (strncmp(pat, "*.", 2) == 0) {
			size_t nl = strlen(name), pl = strlen(pat + 1); /* ".suffix" */
			ok = nl > pl && strcmp(name + nl - pl, pat + 1) == 0;
		} else {
			ok = strcmp(name, pat) == 0;
		}
	}
	if (!ok)
		return false;
	if (k->nupdate_types == 0)
		return true;
	for (size_t i = 0; i < k->nupdate_types; i++)
		if (strcmp(k->update_types[i], ts) == 0)
			return true;
	return false;
}

/* The change set through the writer in one transaction; returns the rcode. */
static unsigned
upd_write(struct xfr *x, const struct dns_update *u, const struct cfg_tsig *key,
	  const char *addr)
{
	struct writer_set *sets = calloc(u->nsets + 1, sizeof(*sets));
	struct writer_result *res = calloc(u->nsets + 1, sizeof(*res));
	struct writer_actor who = {.source = "rfc2136", .client = addr};
	char actor[300];
	int wrc = DD_ENOMEM;

	if (sets != NULL && res != NULL) {
		for (size_t i = 0; i < u->nsets; i++) {
			const struct dns_update_rrset *s = &u->sets[i];
			sets[i].name = s->name;
			sets[i].type = s->type;
			sets[i].values = (const char *const *)s->values;
			sets[i].nvalues = s->nvalues;
			sets[i].ttl = s->ttl;
		}
		snprintf(actor, sizeof(actor), "tsig:%s", key->name);
		who.actor = actor;
		wrc = writer_apply(x->ctx->writer, &who, sets, u->nsets, res);
		for (size_t i = 0; i < u->nsets; i++)
			writer_result_fini(&res[i]);
	}
	free(sets);
	free(res);
	switch (wrc) {
	case 0:
	case DD_ENOSPC: /* committed, served after a restart */
		return DNS_RCODE_NOERROR;
	case DD_EEXIST:
	case DD_EINVAL:
	case DD_ETOOBIG: /* more than one name's entry holds: nothing changed */
		return DNS_RCODE_REFUSED;
	default:
		return DNS_RCODE_SERVFAIL;
	}
}

/*
 * RFC 2136 3: an UPDATE, signed with a known key, of a zone this server is
 * the primary of (3.1.1: one zone entry of type SOA, else FORMERR; not a
 * zone of ours, NOTAUTH); dns/update.c checks the prerequisites and the
 * updates, the writer applies the change set.  Returns the reply's rcode.
 */
unsigned
xfr_update(struct xfr *x, const struct dns_pkt *p, const uint8_t *q, size_t qlen,
	   const struct tsig_ctx *tc, const struct sockaddr *peer)
{
	struct upd_ctx c = {.x = x};
	const struct dns_update_lookup lookup = {&c, upd_in_zone, upd_rrset, upd_name_in_use};
	const struct dns_update_policy policy = {&c, upd_allowed};
	struct dns_update u;
	char addr[INET6_ADDRSTRLEN];
	unsigned rc;
	int z;

	xfr_peer_text(peer, addr, sizeof(addr));
	if (tc == NULL || tc->key == NULL) {
		log_info("UPDATE from %s refused: not signed", addr);
		return DNS_RCODE_REFUSED;
	}
	c.key = &x->cfg->tsig[tc->key - x->keys];
	if (p->qdcount != 1 || p->qtype != DNS_TYPE_SOA)
		return DNS_RCODE_FORMERR;
	if ((z = xfr_apex_zone(x, p)) < 0)
		return DNS_RCODE_NOTAUTH;
	if (x->cfg->zones[z].primary) {
		log_info("UPDATE of %s from %s refused: a secondary zone", x->cfg->zones[z].name,
			 addr);
		return DNS_RCODE_REFUSED;
	}
	/* least privilege: a key without update: (a secondary's transfer key)
	 * may not write (RFC 2136 3.3: the requestor lacks permission) */
	if (!c.key->update_policy) {
		log_info("UPDATE of %s from %s refused: key %s has no update: grants",
			 x->cfg->zones[z].name, addr, c.key->name);
		return DNS_RCODE_REFUSED;
	}
	c.z = (unsigned)z;
	rc = (unsigned)dns_update_eval(&u, q, qlen, p, x->cfg->zones[z].name, &lookup, &policy);
	if (rc == DNS_RCODE_REFUSED)
		log_info("UPDATE of %s from %s refused by the policy of key %s",
			 x->cfg->zones[z].name, addr, c.key->name);
	if (rc == DNS_RCODE_NOERROR) {
		rc = upd_write(x, &u, c.key, addr);
		log_info("UPDATE of %s from %s with key %s: %s", x->cfg->zones[z].name, addr,
			 c.key->name, rc == DNS_RCODE_NOERROR ? "applied" : "failed");
	}
	dns_update_fini(&u);
	return rc;
}

