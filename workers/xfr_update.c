/*
 * xfr_update.c - RFC 2136 UPDATE: TSIG required and checked against the
 * key's policy, applied through writer_apply (see xfr_int.h).
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
#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/proc.h"
#include "daemon/util.h"
#include "dns/answer.h"
#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "dns/tsig.h"
#include "daemon/clientip.h"
#include "workers/wctx.h"
#include "shm/stats.h"
#include "shm/table.h"
#include "workers/link.h"
#include "workers/writer.h"

/* Working RRset of an update: the stored values, then each operation applied. */
struct wset {
	char *name;
	uint16_t type;
	char **v;
	size_t n;
	char **orig;
	size_t norig;
	int64_t ttl, orig_ttl;
};

struct upd {
	struct xfr *x;
	struct wset *s;
	size_t n;
};

static void
upd_free(struct upd *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->s[i].name);
		util_strv_free(u->s[i].v, u->s[i].n);
		util_strv_free(u->s[i].orig, u->s[i].norig);
	}
	free(u->s);
}

static const char *const upd_types[] = {"A", "AAAA", "TXT", "CNAME"};

/* Stored values of name/type (pools count as A/AAAA). */
static int
stored_values(struct xfr *x, const char *name, uint16_t type, char ***out, size_t *n,
	      int64_t *ttl)
{
	sqlite3 *h = db_sqlite(writer_db(x->ctx->writer));
	sqlite3_stmt *st = NULL;
	char tb[16];
	const char *ts = dns_type_to_str(type, tb);

	*out = NULL;
	*n = 0;
	*ttl = -1;
	if (db_prep(h,
			       "SELECT value, ttl FROM records WHERE name = ?1 AND type = ?2 UNION ALL "
			       "SELECT value, ttl FROM pool_rrs WHERE name = ?1 AND type = ?2", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ts, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char **g = realloc(*out, (*n + 1) * sizeof(char *));
		if (g == NULL)
			break;
		*out = g;
		(*out)[(*n)++] = strdup((const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			*ttl = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return 0;
}

static bool
name_in_use(struct xfr *x, const char *name, unsigned z)
{
	sqlite3 *h = db_sqlite(writer_db(x->ctx->writer));
	sqlite3_stmt *st = NULL;
	bool used = false;

	if (strcmp(name, x->cfg->zones[z].name) == 0)
		return true; /* SOA and NS */
	if (db_prep(h,
			       "SELECT 1 FROM records WHERE name = ?1 UNION ALL SELECT 1 FROM pools "
			       "WHERE name = ?1 LIMIT 1", &st) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		used = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_reset(st);
	return used;
}

static struct wset *
upd_set(struct upd *u, const char *name, uint16_t type)
{
	struct wset *g;

	for (size_t i = 0; i < u->n; i++)
		if (u->s[i].type == type && strcmp(u->s[i].name, name) == 0)
			return &u->s[i];
	g = realloc(u->s, (u->n + 1) * sizeof(*g));
	if (g == NULL)
		return NULL;
	u->s = g;
	g = &u->s[u->n];
	memset(g, 0, sizeof(*g));
	if ((g->name = strdup(name)) == NULL)
		return NULL;
	g->type = type;
	stored_values(u->x, name, type, &g->orig, &g->norig, &g->orig_ttl);
	g->ttl = g->orig_ttl;
	for (size_t i = 0; i < g->norig; i++) {
		char **v = realloc(g->v, (g->n + 1) * sizeof(char *));
		if (v == NULL)
			break;
		g->v = v;
		g->v[g->n++] = strdup(g->orig[i]);
	}
	u->n++;
	return g;
}

static bool
strs_has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Does the key's policy let it change name/type? */
static bool
policy_allows(const struct cfg_tsig *k, const char *name, uint16_t type)
{
	char tb[16];
	const char *ts = dns_type_to_str(type, tb);
	bool ok = k->nupdate_names == 0;

	if (!k->update_policy)
		return true;
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

/* RFC 2136 3.2: prerequisites.  Returns the rcode (0 = all hold). */
static unsigned
upd_prereqs(struct xfr *x, const uint8_t *q, size_t qlen, const struct dns_pkt *p, unsigned z)
{
	size_t pos = p->an_off;
	struct upd vals = {.x = x}; /* value-dependent RRsets, as asked */
	unsigned rc = 0;

	for (unsigned i = 0; i < p->ancount && rc == 0; i++) {
		struct rr_in r;
		if (xfr_rr_read(q, qlen, &pos, &r) < 0) {
			rc = DNS_RCODE_FORMERR;
			break;
		}
		if (cfg_zone_of_name(x->cfg, r.name) != (int)z) {
			rc = 10; /* NOTZONE */
			break;
		}
		if (r.ttl != 0) {
			rc = DNS_RCODE_FORMERR;
			break;
		}
		if (r.rclass == DNS_CLASS_ANY || r.rclass == DNS_CLASS_NONE) {
			bool want = r.rclass == DNS_CLASS_ANY;
			bool have;
			if (r.rdlen != 0) {
				rc = DNS_RCODE_FORMERR;
				break;
			}
			if (r.type == DNS_TYPE_ANY) {
				have = name_in_use(x, r.name, z);
				if (have != want)
					rc = want ? DNS_RCODE_NXDOMAIN : 6; /* YXDOMAIN */
			} else {
				char **v;
				size_t n;
				int64_t ttl;
				if (r.type == DNS_TYPE_SOA || r.type == DNS_TYPE_NS)
					have = strcmp(r.name, x->cfg->zones[z].name) == 0;
				else {
					stored_values(x, r.name, r.type, &v, &n, &ttl);
					have = n > 0;
					util_strv_free(v, n);
				}
				if (have != want)
					rc = want ? 8 /* NXRRSET */ : 7 /* YXRRSET */;
			}
		} else if (r.rclass == DNS_CLASS_IN) {
			char text[DNS_RDATA_MAX * 4 + 1];
			struct wset *w = NULL;
			if (xfr_rr_text(q, qlen, &r, text, sizeof(text)) < 0) {
				rc = 8; /* a type we never store cannot exist */
				break;
			}
			/* collect the asked set in w->orig-less form: v holds asked values */
			for (size_t k = 0; k < vals.n; k++)
				if (vals.s[k].type == r.type && strcmp(vals.s[k].name, r.name) == 0)
					w = &vals.s[k];
			if (w == NULL) {
				struct wset *g = realloc(vals.s, (vals.n + 1) * sizeof(*g));
				if (g == NULL) {
					rc = DNS_RCODE_SERVFAIL;
					break;
				}
				vals.s = g;
				w = &vals.s[vals.n++];
				memset(w, 0, sizeof(*w));
				w->name = strdup(r.name);
				w->type = r.type;
			}
			if (!strs_has(w->v, w->n, text)) {
				char **v = realloc(w->v, (w->n + 1) * sizeof(char *));
				if (v == NULL) {
					rc = DNS_RCODE_SERVFAIL;
					break;
				}
				w->v = v;
				w->v[w->n++] = strdup(text);
			}
		} else {
			rc = DNS_RCODE_FORMERR;
		}
	}
	/* value-dependent: the stored RRset equals the asked one exactly (3.2.3) */
	for (size_t k = 0; k < vals.n && rc == 0; k++) {
		char **v;
		size_t n;
		int64_t ttl;
		bool same;
		stored_values(x, vals.s[k].name, vals.s[k].type, &v, &n, &ttl);
		same = n == vals.s[k].n;
		for (size_t i = 0; same && i < n; i++)
			same = strs_has(vals.s[k].v, vals.s[k].n, v[i]);
		util_strv_free(v, n);
		if (!same)
			rc = 8; /* NXRRSET */
	}
	upd_free(&vals);
	return rc;
}

/* RFC 2136 3.4: the update section, into working RRsets.  Returns the rcode. */
static unsigned
upd_ops(struct upd *u, const uint8_t *q, size_t qlen, const struct dns_pkt *p, unsigned z,
	const struct cfg_tsig *key)
{
	struct xfr *x = u->x;
	size_t pos = p->ns_off;

	/* 3.4.1: prescan, before anything is applied */
	for (unsigned i = 0; i < p->nscount; i++) {
		struct rr_in r;
		if (xfr_rr_read(q, qlen, &pos, &r) < 0)
			return DNS_RCODE_FORMERR;
		if (cfg_zone_of_name(x->cfg, r.name) != (int)z)
			return 10; /* NOTZONE */
		if (r.rclass == DNS_CLASS_IN) {
			if (r.type == DNS_TYPE_ANY || r.type == DNS_TYPE_AXFR ||
			    r.type == DNS_TYPE_IXFR || r.type == DNS_TYPE_MAILA ||
			    r.type == DNS_TYPE_MAILB)
				return DNS_RCODE_FORMERR;
		} else if (r.rclass == DNS_CLASS_ANY) {
			if (r.ttl != 0 || r.rdlen != 0)
				return DNS_RCODE_FORMERR;
		} else if (r.rclass == DNS_CLASS_NONE) {
			if (r.ttl != 0 || r.type == DNS_TYPE_ANY)
				return DNS_RCODE_FORMERR;
		} else {
			return DNS_RCODE_FORMERR;
		}
		if (r.type == DNS_TYPE_SOA || r.type == DNS_TYPE_NS)
			continue; /* the apex is ours: ignored (3.4.2.2 / 3.4.2.4) */
		if (r.type == DNS_TYPE_ANY) {
			for (size_t t = 0; t < 4; t++)
				if (!policy_allows(key, r.name, (uint16_t)dns_type_from_str(upd_types[t])))
					return DNS_RCODE_REFUSED;
			continue;
		}
		if (!xfr_type_stored(r.type) || !policy_allows(key, r.name, r.type))
			return DNS_RCODE_REFUSED;
	}
	pos = p->ns_off;
	for (unsigned i = 0; i < p->nscount; i++) {
		struct rr_in r;
		struct wset *w;
		char text[DNS_RDATA_MAX * 4 + 1];

		if (xfr_rr_read(q, qlen, &pos, &r) < 0)
			return DNS_RCODE_FORMERR;
		if (r.type == DNS_TYPE_SOA || r.type == DNS_TYPE_NS)
			continue;
		if (r.rclass == DNS_CLASS_ANY && r.type == DNS_TYPE_ANY) {
			/* delete every RRset of the name (the apex keeps SOA and NS) */
			for (size_t t = 0; t < 4; t++) {
				w = upd_set(u, r.name, (uint16_t)dns_type_from_str(upd_types[t]));
				if (w == NULL)
					return DNS_RCODE_SERVFAIL;
				util_strv_free(w->v, w->n);
				w->v = NULL;
				w->n = 0;
			}
			continue;
		}
		if ((w = upd_set(u, r.name, r.type)) == NULL)
			return DNS_RCODE_SERVFAIL;
		if (r.rclass == DNS_CLASS_ANY) {
			util_strv_free(w->v, w->n);
			w->v = NULL;
			w->n = 0;
			continue;
		}
		if (xfr_rr_text(q, qlen, &r, text, sizeof(text)) < 0)
			return DNS_RCODE_FORMERR;
		if (r.rclass == DNS_CLASS_NONE) {
			for (size_t k = 0; k < w->n; k++)
				if (strcmp(w->v[k], text) == 0) {
					free(w->v[k]);
					w->v[k] = w->v[--w->n];
					break;
				}
			continue;
		}
		/* add: a CNAME replaces the CNAME (3.4.2.2); the RRset takes the new TTL */
		if (r.type == DNS_TYPE_CNAME) {
			util_strv_free(w->v, w->n);
			w->v = NULL;
			w->n = 0;
		}
		w->ttl = r.ttl;
		if (!strs_has(w->v, w->n, text)) {
			char **v;
			if (w->n >= WRITER_VALUES_MAX)
				return DNS_RCODE_REFUSED;
			if ((v = realloc(w->v, (w->n + 1) * sizeof(char *))) == NULL)
				return DNS_RCODE_SERVFAIL;
			w->v = v;
			w->v[w->n++] = strdup(text);
		}
	}
	return 0;
}

unsigned
xfr_update(struct xfr *x, const struct dns_pkt *p, const uint8_t *q, size_t qlen,
	   const struct tsig_ctx *tc, const struct sockaddr *peer)
{
	struct upd u = {.x = x};
	struct writer_set *sets = NULL;
	struct writer_result *res = NULL;
	struct writer_actor who = {.source = "rfc2136"};
	char addr[INET6_ADDRSTRLEN], actor[300];
	const struct cfg_tsig *key;
	size_t ns = 0;
	unsigned rc;
	int z, wrc;

	xfr_peer_text(peer, addr, sizeof(addr));
	if (tc == NULL || tc->key == NULL) {
		log_info("UPDATE from %s refused: not signed", addr);
		return DNS_RCODE_REFUSED;
	}
	key = &x->cfg->tsig[tc->key - x->keys];
	if (p->qdcount != 1 || p->qtype != DNS_TYPE_SOA)
		return DNS_RCODE_FORMERR;
	if ((z = xfr_apex_zone(x, p)) < 0)
		return DNS_RCODE_NOTAUTH;
	if (x->cfg->zones[z].primary) {
		log_info("UPDATE of %s from %s refused: a secondary zone", x->cfg->zones[z].name,
			 addr);
		return DNS_RCODE_REFUSED;
	}
	if ((rc = upd_prereqs(x, q, qlen, p, (unsigned)z)) != 0)
		return rc;
	if ((rc = upd_ops(&u, q, qlen, p, (unsigned)z, key)) != 0) {
		if (rc == DNS_RCODE_REFUSED)
			log_info("UPDATE of %s from %s refused by the policy of key %s",
				 x->cfg->zones[z].name, addr, key->name);
		upd_free(&u);
		return rc;
	}
	sets = calloc(u.n + 1, sizeof(*sets));
	res = calloc(u.n + 1, sizeof(*res));
	if (sets == NULL || res == NULL) {
		rc = DNS_RCODE_SERVFAIL;
		goto done;
	}
	for (size_t i = 0; i < u.n; i++) {
		struct wset *w = &u.s[i];
		sets[ns].name = w->name;
		sets[ns].type = w->type;
		sets[ns].values = (const char *const *)w->v;
		sets[ns].nvalues = w->n;
		sets[ns].ttl = w->ttl;
		ns++;
	}
	snprintf(actor, sizeof(actor), "tsig:%s", key->name);
	who.actor = actor;
	who.client = addr;
	wrc = writer_apply(x->ctx->writer, &who, sets, ns, res);
	for (size_t i = 0; i < ns; i++)
		writer_result_fini(&res[i]);
	switch (wrc) {
	case 0:
	case DD_ENOSPC:
		rc = 0;
		break;
	case DD_EEXIST:
	case DD_EINVAL:
		rc = DNS_RCODE_REFUSED;
		break;
	default:
		rc = DNS_RCODE_SERVFAIL;
		break;
	}
	log_info("UPDATE of %s from %s with key %s: %s", x->cfg->zones[z].name, addr, key->name,
		 rc == 0 ? "applied" : "failed");
done:
	free(sets);
	free(res);
	upd_free(&u);
	return rc;
}

