/*
 * config_check.c - the cross-checks config.yaml's walk cannot make key by
 * key: zone duplicates and derived names, key references, backup rules.
 * They run on the filled struct; their lines come from the document again
 * (cfg_line_of), so no line bookkeeping leaks into struct cfg.
 */
#include "daemon/config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include <sodium.h>

#include "daemon/clientip.h"
#include "daemon/config_value.h"

static int
tsig_index(const struct cfg *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ntsig; i++)
		if (c->tsig[i].name && strcmp(c->tsig[i].name, name) == 0)
			return (int)i;
	return -1;
}

bool
cfg_tsig_is_idle(const struct cfg *c, size_t i)
{
	if (c->tsig[i].update_policy)
		return false;
	for (size_t z = 0; z < c->nzones; z++)
		if (c->zones[z].transfer_tsig &&
		    tsig_index(c, c->zones[z].transfer_tsig) == (int)i)
			return false;
	return true;
}

/* "<label>.<zone>" as a default name, checked for length. */
static char *
derived_name(struct ctx *x, const char *label, const char *zone, int l, const char *what)
{
	char buf[600], norm[CFG_PATH_MAX + 64];

	snprintf(buf, sizeof(buf), "%s.%s", label, zone);
	if (cfg_value_dname(buf, norm) != NULL) {
		cfg_err(x, l, "'%s' must be set: the default %.100s... is too long", what, buf);
		return NULL;
	}
	return cfg_xstrdup(x, norm);
}

static void
finalize_zones(struct ctx *x)
{
	struct cfg *c = x->c;
	size_t i, j;

	for (i = 0; i < c->nzones; i++) {
		struct cfg_zone *z = &c->zones[i];
		char what[64];
		if (z->name == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (c->zones[j].name && strcmp(c->zones[j].name, z->name) == 0)
				break;
		if (j < i)
			cfg_err(x, cfg_line_of(x, "zones[%zu].name", i),
			    "duplicate zone '%s' (first at line %d)", z->name,
			    cfg_line_of(x, "zones[%zu].name", j));
		if (z->nns == 0) {
			snprintf(what, sizeof(what), "zones[%zu].ns", i);
			free(z->ns);
			z->ns = calloc(1, sizeof(*z->ns));
			if (z->ns == NULL) {
				x->nomem = true;
				continue;
			}
			z->ns[0] = derived_name(x, "ns1", z->name, z->line, what);
			z->nns = z->ns[0] ? 1 : 0;
		}
		if (z->soa.mname == NULL && z->nns > 0)
			z->soa.mname = cfg_xstrdup(x, z->ns[0]);
		if (z->soa.rname == NULL) {
			snprintf(what, sizeof(what), "zones[%zu].soa.rname", i);
			z->soa.rname = derived_name(x, "hostmaster", z->name, z->line, what);
		}
		if (z->dnssec.algorithm)
			z->dnssec.alg = strcmp(z->dnssec.algorithm, "ed25519") == 0
						? CFG_DNSSEC_ED25519
						: CFG_DNSSEC_ECDSAP256SHA256;
		if (z->dnssec.enabled && z->primary)
			cfg_err(x, cfg_line_of(x, "zones[%zu].dnssec.enabled", i),
			    "'zones[%zu].dnssec': zone %s is a secondary (primary: %s); its "
			    "primary signs it",
			    i, z->name, z->primary);
		if (z->transfer_tsig && tsig_index(c, z->transfer_tsig) < 0)
			cfg_err(x, cfg_line_of(x, "zones[%zu].transfer.tsig", i),
			    "'zones[%zu].transfer.tsig': no key named '%s' under 'tsig'", i,
			    z->transfer_tsig);
	}
}

static void
finalize_keys(struct ctx *x)
{
	struct cfg *c = x->c;
	size_t i, j, k;

	for (i = 0; i < c->ntsig; i++) {
		for (j = 0; c->tsig[i].name && j < i; j++)
			if (c->tsig[j].name && strcmp(c->tsig[j].name, c->tsig[i].name) == 0)
				break;
		if (c->tsig[i].name && j < i)
			cfg_err(x, cfg_line_of(x, "tsig[%zu].name", i),
			    "duplicate tsig key '%s' (first at line %d)", c->tsig[i].name,
			    cfg_line_of(x, "tsig[%zu].name", j));
	}
	{
		yaml_node_t *seq = cfg_map_get(x, x->root, "tsig");
		for (i = 0; seq && seq->type == YAML_SEQUENCE_NODE && i < c->ntsig; i++) {
			yaml_node_t *el = cfg_node(x, seq->data.sequence.items.start[i]);
			struct cfg_tsig *t = &c->tsig[i];
			if (el && el->type == YAML_MAPPING_NODE && cfg_map_get(x, el, "update"))
				t->update_policy = true;
			for (k = 0; k < t->nupdate_names; k++) {
				const char *nm = t->update_names[k];
				char norm[CFG_PATH_MAX + 64];
				if (strncmp(nm, "*.", 2) == 0)
					nm += 2;
				if (cfg_value_dname(nm, norm) != NULL) {
					cfg_err(x, cfg_line_of(x, "tsig[%zu].update.names", i),
					    "'tsig[%zu].update.names': '%.100s' is not a domain name "
					    "or '*.' and one",
					    i, t->update_names[k]);
					continue;
				}
				snprintf(t->update_names[k], strlen(t->update_names[k]) + 1, "%s%s",
					 nm != t->update_names[k] ? "*." : "", norm);
			}
		}
	}
	for (i = 0; i < c->nnotify; i++) {
		struct cfg_notify *n = &c->notify[i];
		for (j = 0; n->name && j < i; j++)
			if (c->notify[j].name && strcmp(c->notify[j].name, n->name) == 0)
				break;
		if (n->name && j < i)
			cfg_err(x, cfg_line_of(x, "notify[%zu].name", i),
			    "duplicate notify target '%s' (first at line %d)", n->name,
			    cfg_line_of(x, "notify[%zu].name", j));
		if (n->type && strcmp(n->type, "command") == 0 && n->command == NULL)
			cfg_err(x, n->line, "'notify[%zu].command' is required for type command", i);
		if (n->type && strcmp(n->type, "command") != 0 && n->url == NULL)
			cfg_err(x, n->line, "'notify[%zu].url' is required for type %s", i, n->type);
		if (n->nevents == 0) {
			free(n->events);
			for (k = 0; cfg_notify_events[k]; k++)
				;
			n->events = calloc(k, sizeof(*n->events));
			if (n->events == NULL) {
				x->nomem = true;
				continue;
			}
			for (k = 0; cfg_notify_events[k]; k++)
				n->events[k] = cfg_xstrdup(x, cfg_notify_events[k]);
			n->nevents = k;
		}
	}
}

static void
finalize_backup(struct ctx *x)
{
	struct cfg *c = x->c;
	yaml_node_t *b = cfg_map_get(x, x->root, "backup");

	c->backup.enabled = b && b->type == YAML_MAPPING_NODE;
	c->backup.s3_enabled = c->backup.enabled && cfg_map_get(x, b, "s3") != NULL;
	if (cfg_map_get(x, b, "interval") && cfg_map_get(x, b, "schedule"))
		cfg_err(x, cfg_line(b), "'backup': set either 'interval' or 'schedule', not both");
	else if (c->backup.schedule == NULL && c->backup.interval == 0 &&
	         cfg_map_get(x, b, "interval") == NULL)
		c->backup.interval = 86400;
	if (c->backup.schedule)
		c->backup.interval = 0;
}

/* 32 hex digits into a cookie secret; false (logged) when they are not. */
static bool
cookie_secret(struct ctx *x, const char *key, const char *hex, uint8_t out[DNS_COOKIE_SECRET_LEN])
{
	size_t n = 0;

	if (strlen(hex) == 2 * DNS_COOKIE_SECRET_LEN &&
	    sodium_hex2bin(out, DNS_COOKIE_SECRET_LEN, hex, strlen(hex), NULL, &n, NULL) == 0 &&
	    n == DNS_COOKIE_SECRET_LEN)
		return true;
	cfg_err(x, cfg_line_of(x, "%s", key),
		"'%s': 32 hex digits (16 bytes), the same on every node; make one with "
		"`openssl rand -hex 16`",
		key);
	return false;
}

/* dns.cookies: the keys the DNS workers use; an empty secret is made at random. */
static void
finalize_cookies(struct ctx *x)
{
	struct cfg *c = x->c;
	struct dns_cookie_keys *k = &c->dns.cookies.keys;

	memset(k, 0, sizeof(*k));
	k->on = c->dns.cookies.enabled;
	if (c->dns.cookies.secret && c->dns.cookies.secret[0])
		cookie_secret(x, "dns.cookies.secret", c->dns.cookies.secret, k->secret);
	else
		randombytes_buf(k->secret, sizeof(k->secret));
	if (c->dns.cookies.previous_secret && c->dns.cookies.previous_secret[0])
		k->has_prev = cookie_secret(x, "dns.cookies.previous_secret",
					    c->dns.cookies.previous_secret, k->prev);
}

/* dns.rrl, parsed for the DNS workers (CK_NET checked the CIDRs). */
static void
finalize_rrl(struct ctx *x)
{
	struct cfg *c = x->c;
	struct dns_rrl_cfg *p = &c->dns.rrl.parsed;

	memset(p, 0, sizeof(*p));
	p->rate = c->dns.rrl.responses_per_second;
	p->slip = c->dns.rrl.slip;
	p->v4_bits = (uint8_t)c->dns.rrl.ipv4_prefix;
	p->v6_bits = (uint8_t)c->dns.rrl.ipv6_prefix;
	if (c->dns.rrl.nexempt == 0)
		return;
	if ((p->exempt = calloc(c->dns.rrl.nexempt, sizeof(*p->exempt))) == NULL) {
		x->nomem = true;
		return;
	}
	for (size_t i = 0; i < c->dns.rrl.nexempt; i++) {
		unsigned char a[16];
		unsigned bits;
		int af;
		if (!clientip_net(c->dns.rrl.exempt[i], &af, a, &bits))
			continue;
		p->exempt[p->nexempt].v6 = af == AF_INET6;
		p->exempt[p->nexempt].bits = (uint8_t)bits;
		memcpy(p->exempt[p->nexempt].a, a, 16);
		p->nexempt++;
	}
}

void
cfg_finalize(struct ctx *x)
{
	struct cfg *c = x->c;
	const char *env = getenv("DDNSD_MASTER_TOKEN");

	finalize_zones(x);
	finalize_keys(x);
	finalize_backup(x);
	finalize_cookies(x);
	finalize_rrl(x);
	if (c->acme_zone == NULL && c->nzones > 0 && c->zones[0].name)
		c->acme_zone = cfg_xstrdup(x, c->zones[0].name);
	else if (c->acme_zone && cfg_zone_index(c, c->acme_zone) < 0)
		cfg_err(x, cfg_line_of(x, "acme.zone"), "'acme.zone': '%s' is not one of the zones",
		    c->acme_zone);
	if (env && *env) {
		free(c->master_token);
		c->master_token = cfg_xstrdup(x, env);
	}
}
