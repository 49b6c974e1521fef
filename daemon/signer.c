/*
 * signer.c - online DNSSEC signing (see signer.h): keys, RRSIGs at commit,
 * the NSEC3 chain kept incrementally, and what goes into the table.
 */
#include "daemon/signer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_dnssec.h"
#include "daemon/db_journal.h"
#include "daemon/db_pools.h"
#include "daemon/db_records.h"
#include "daemon/db_writer.h"
#include "daemon/dd.h"
#include "daemon/dnskey.h"
#include "daemon/entry.h"
#include "daemon/load.h"
#include "daemon/log.h"
#include "daemon/pooldb.h"
#include "dns/dname.h"
#include "dns/dnssec.h"
#include "dns/rdata.h"
#include "shm/nsec.h"
#include "shm/pool.h"
#include "shm/table.h"

#define SIGNER_SKEW        3600  /* inception this far in the past: clocks differ */
#define SIGNER_RDATA_MAX   (18 + SHM_NAME_MAX + DNSSEC_SIG_LEN)
#define SIGNER_BUF         (2 * SHM_ENTRY_MAX + 4096) /* the octets one RRSIG signs */
#define SIGNER_TYPES_MAX   (ENTRY_RRSETS_MAX + 8)
#define SIGNER_NSEC3       "nsec3" /* dnssec_zones.denial */
#define SIGNER_NSEC        "nsec"
#define SIGNER_POOL_SETS   48 /* a pool family's pre-signed answer sets, at most */
#define SIGNER_SIGS_ROOM   4096 /* of an entry: its RRSIG rrset; the rest for a pool's sets */
#define SIGNER_AT_START    10000 /* records of a zone signed before its table serves; more:
				    in the background */

/* A chain row to look at again: its key, and for NSEC its owner (a row
 * that went has no name left to find). */
struct chain_touch {
	uint8_t key[DB_CHAIN_KEY_MAX];
	uint16_t klen;
	bool force; /* re-sign even when unchanged */
	char name[256];
};

struct signer_zone {
	bool on;
	const struct cfg_zone *cz;
	uint8_t alg;
	uint8_t apex[SHM_NAME_MAX];
	size_t apex_len;
	struct dnskey_pair *ksk, *zsk;
	uint16_t ksk_tag, zsk_tag;
	int retired_tag; /* a ZSK whose RRSIGs are being replaced (rollover), or -1 */
	/* the DNSKEY RRset in table form: count x { u16 rdlen; rdata } */
	uint8_t dnskey[DB_KEYS_MAX * (2 + 4 + DB_DNSKEY_MAX)];
	size_t dnskey_len;
	uint16_t ndnskey;
	bool nsec;          /* denial by NSEC (shm/nsec.h nodes), else NSEC3 (bins) */
	uint8_t nsec3param[2 + 8];
	size_t nsec3param_len;
	/* this group: chain rows to look at again, and what to publish after
	 * the commit: NSEC3 bins, or NSEC nodes by owner */
	struct chain_touch *touched;
	size_t ntouched, cap_touched;
	unsigned *bins;
	size_t nbins, cap_bins;
	char (*nodes)[256];
	size_t nnodes, cap_nodes;
	bool apex_dirty;
	bool journal_reset; /* the DNSKEY RRset changed: IXFR cannot describe it */
	bool signing;       /* signed in the background, not served signed yet */
	bool complete;      /* the background signing's last names are in this group */
	bool nodes_build;   /* NSEC: every node to be put at the next publish */
	uint64_t sigs;
};

struct signer {
	const struct cfg *cfg;
	struct db *db;
	struct shm_table *t;
	size_t nz;
	struct signer_zone *z;
	uint8_t *buf;        /* SIGNER_BUF */
	uint8_t *ebuf;       /* SHM_ENTRY_MAX: an entry copied out of the table */
	uint8_t *sigdata;    /* SHM_ENTRY_MAX: an RRSIG rrset being built */
	struct entry *e;     /* a name's rows */
	/* the rrsets of the name being signed (entry emit) */
	struct shm_rrset_in rr[ENTRY_RRSETS_MAX];
	size_t nrr;
	uint8_t rrdata[ENTRY_DATA_MAX];
	/* signer_name: what the name's RRSIGs covered before (an RRset that did
	 * not change keeps its RRSIG) */
	int64_t npools;      /* pools in the store; -1: to be counted */
	bool pools_changed;  /* a pool was set or deleted: its old sets go */
	bool have_on;
	char have_name[256];
	struct db_sig_state have[SIGNER_TYPES_MAX];
	size_t nhave;
};

/* --------------------------------------------------------------- helpers */

static int64_t
signer_now(void)
{
	return (int64_t)time(NULL);
}

/* Text name -> lower-case wire; its length or negative. */
static int
signer_wire(const char *name, uint8_t *out)
{
	int n = dns_dname_from_str(name, out, SHM_NAME_MAX);

	if (n > 0)
		dns_dname_lower(out, out, (size_t)n);
	return n;
}

/* The parent of name (text), or NULL at the apex of zone. */
static const char *
signer_parent(const char *name, const char *zone)
{
	const char *dot;

	if (strcmp(name, zone) == 0 || (dot = strchr(name, '.')) == NULL)
		return NULL;
	return dot + 1;
}

/* "<base32hex of hash>.<zone>" */
static void
signer_nsec3_owner(const uint8_t *hash, const char *zone, char *out, size_t outsz)
{
	char b32[NSEC3_B32_LEN + 1];

	dnssec_b32hex(hash, NSEC3_HASH_LEN, b32);
	snprintf(out, outsz, "%s.%s", b32, zone);
}

static unsigned
signer_bin_of(const uint8_t *hash)
{
	return (unsigned)hash[0] << 8 | hash[1];
}

static int
signer_grow(void **p, size_t *cap, size_t n, size_t elem)
{
	void *q;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? 2 * *cap : 64;
	if ((q = realloc(*p, c * elem)) == NULL)
		return DD_ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static int
signer_touch(struct signer_zone *sz, const uint8_t *key, size_t klen, const char *name,
	     bool force)
{
	struct chain_touch *t;

	if (signer_grow((void **)&sz->touched, &sz->cap_touched, sz->ntouched,
			sizeof(*sz->touched)) < 0)
		return DD_ENOMEM;
	t = &sz->touched[sz->ntouched++];
	memcpy(t->key, key, klen);
	t->klen = (uint16_t)klen;
	t->force = force;
	snprintf(t->name, sizeof(t->name), "%s", name ? name : "");
	return 0;
}

/* The chain key of wire name (zone sz's denial) into key; its length, or negative. */
static int
signer_key(const struct signer_zone *sz, const uint8_t *wire, size_t wl,
	   uint8_t key[DB_CHAIN_KEY_MAX])
{
	if (sz->nsec)
		return dnssec_canon_key(wire, wl, key);
	dnssec_nsec3_hash(wire, wl, NULL, 0, 0, key);
	return NSEC3_HASH_LEN;
}

/* dnssec_zones.denial of zone sz. */
static const char *
signer_denial(const struct signer_zone *sz)
{
	return sz->nsec ? SIGNER_NSEC : SIGNER_NSEC3;
}

/* NSEC: owner's node is to be published after the commit. */
static int
signer_node_add(struct signer_zone *sz, const char *owner)
{
	for (size_t i = sz->nnodes; i > 0 && i + 8 > sz->nnodes; i--)
		if (strcmp(sz->nodes[i - 1], owner) == 0)
			return 0;
	if (signer_grow((void **)&sz->nodes, &sz->cap_nodes, sz->nnodes, sizeof(*sz->nodes)) < 0)
		return DD_ENOMEM;
	snprintf(sz->nodes[sz->nnodes++], sizeof(*sz->nodes), "%s", owner);
	return 0;
}

static int
signer_bin_add(struct signer_zone *sz, unsigned bin)
{
	for (size_t i = sz->nbins; i > 0 && i + 8 > sz->nbins; i--)
		if (sz->bins[i - 1] == bin)
			return 0;
	if (signer_grow((void **)&sz->bins, &sz->cap_bins, sz->nbins, sizeof(unsigned)) < 0)
		return DD_ENOMEM;
	sz->bins[sz->nbins++] = bin;
	return 0;
}

/* --------------------------------------------------------------- keys */

/* The DNSKEY RRset and the active keys of zone sz from its stored keys. */
static int
signer_keys_use(struct signer_zone *sz, const struct db_dnskey *k, size_t n)
{
	sz->dnskey_len = 0;
	sz->ndnskey = 0;
	sz->retired_tag = -1;
	for (size_t i = 0; i < n; i++) {
		bool ksk = strcmp(k[i].role, DB_KEY_KSK) == 0;
		uint16_t flags = DNSKEY_FLAG_ZONE | (ksk ? DNSKEY_FLAG_SEP : 0);
		/* double-DS: a KSK is in the DNSKEY RRset only while it signs it */
		if (ksk && strcmp(k[i].state, DB_KEY_ACTIVE) != 0)
			continue;
		size_t rl = dnssec_dnskey_rdata(flags, k[i].alg, k[i].pub, k[i].publen,
						sz->dnskey + sz->dnskey_len + 2,
						sizeof(sz->dnskey) - sz->dnskey_len - 2);
		uint16_t rdlen = (uint16_t)rl;
		struct dnskey_pair **slot = ksk ? &sz->ksk : &sz->zsk;
		if (rl == 0)
			return DD_EINVAL;
		memcpy(sz->dnskey + sz->dnskey_len, &rdlen, 2);
		sz->dnskey_len += 2 + rl;
		sz->ndnskey++;
		if (!ksk && strcmp(k[i].state, DB_KEY_RETIRED) == 0)
			sz->retired_tag = k[i].keytag;
		if (strcmp(k[i].state, DB_KEY_ACTIVE) != 0 || k[i].alg != sz->alg)
			continue;
		dnskey_free(*slot);
		*slot = NULL;
		if (dnskey_from_private(k[i].alg, k[i].priv, k[i].privlen, slot) < 0)
			return DD_EINVAL;
		if (ksk)
			sz->ksk_tag = k[i].keytag;
		else
			sz->zsk_tag = k[i].keytag;
	}
	return sz->ksk && sz->zsk ? 0 : DD_EINVAL;
}

/* A new key of role for zone, stored in state. */
static int
signer_key_make(struct signer *s, struct signer_zone *sz, const char *role, const char *state)
{
	struct dnskey_pair *kp = NULL;
	struct db_dnskey k;
	uint8_t rd[4 + DB_DNSKEY_MAX];
	bool ksk = strcmp(role, DB_KEY_KSK) == 0;
	int pl, vl, rc;
	size_t rl;

	memset(&k, 0, sizeof(k));
	if ((rc = dnskey_generate(sz->alg, &kp)) < 0)
		return rc;
	pl = dnskey_public(kp, k.pub, sizeof(k.pub));
	vl = dnskey_private(kp, k.priv, sizeof(k.priv));
	dnskey_free(kp);
	if (pl <= 0 || vl <= 0)
		return DD_EINVAL;
	k.publen = (size_t)pl;
	k.privlen = (size_t)vl;
	rl = dnssec_dnskey_rdata(DNSKEY_FLAG_ZONE | (ksk ? DNSKEY_FLAG_SEP : 0), sz->alg, k.pub,
				 k.publen, rd, sizeof(rd));
	if (rl == 0)
		return DD_EINVAL;
	snprintf(k.role, sizeof(k.role), "%s", role);
	snprintf(k.state, sizeof(k.state), "%s", state);
	k.alg = sz->alg;
	k.keytag = dnssec_keytag(rd, rl);
	rc = db_dnssec_key_add(s->db, sz->cz->name, &k);
	sodium_memzero(k.priv, sizeof(k.priv));
	if (rc == 0)
		log_info("zone %s: new %s, algorithm %u, key tag %u, %s", sz->cz->name,
			 ksk ? "KSK" : "ZSK", sz->alg, k.keytag, state);
	return rc;
}

/* Loads (or makes) zone sz's keys. */
static int
signer_zone_keys(struct signer *s, struct signer_zone *sz)
{
	struct db_dnskey k[DB_KEYS_MAX];
	size_t n = 0;
	bool has_ksk = false, has_zsk = false;
	int rc;

	if ((rc = db_dnssec_keys(s->db, sz->cz->name, k, DB_KEYS_MAX, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(k[i].state, DB_KEY_ACTIVE) != 0 || k[i].alg != sz->alg)
			continue;
		has_ksk |= strcmp(k[i].role, DB_KEY_KSK) == 0;
		has_zsk |= strcmp(k[i].role, DB_KEY_ZSK) == 0;
	}
	if ((!has_ksk && (rc = signer_key_make(s, sz, DB_KEY_KSK, DB_KEY_ACTIVE)) < 0) ||
	    (!has_zsk && (rc = signer_key_make(s, sz, DB_KEY_ZSK, DB_KEY_ACTIVE)) < 0))
		return rc;
	if ((!has_ksk || !has_zsk) &&
	    (rc = db_dnssec_keys(s->db, sz->cz->name, k, DB_KEYS_MAX, &n)) < 0)
		return rc;
	rc = signer_keys_use(sz, k, n);
	for (size_t i = 0; i < n; i++)
		sodium_memzero(k[i].priv, sizeof(k[i].priv));
	return rc;
}

/* --------------------------------------------------------------- open */

static int
signer_emit(struct entry *e)
{
	struct signer *s = e->emit_arg;

	s->nrr = e->nrrsets;
	memcpy(s->rrdata, e->data, e->data_len);
	for (size_t i = 0; i < e->nrrsets; i++) {
		s->rr[i] = e->rr[i];
		s->rr[i].data = s->rrdata + e->rr_off[i];
	}
	return 0;
}

int
signer_open(const struct cfg *cfg, struct db *db, struct signer **out)
{
	struct signer *s = calloc(1, sizeof(*s));
	int rc = 0;

	*out = NULL;
	if (s == NULL)
		return DD_ENOMEM;
	s->cfg = cfg;
	s->db = db;
	s->nz = cfg->nzones;
	s->z = calloc(cfg->nzones + 1, sizeof(*s->z));
	s->buf = malloc(SIGNER_BUF);
	s->ebuf = malloc(SHM_ENTRY_MAX);
	s->sigdata = malloc(SHM_ENTRY_MAX);
	s->e = calloc(1, sizeof(*s->e));
	if (!s->z || !s->buf || !s->ebuf || !s->sigdata || !s->e) {
		signer_close(s);
		return DD_ENOMEM;
	}
	s->e->emit = signer_emit;
	s->e->emit_arg = s;
	s->npools = -1;
	for (size_t i = 0; i < cfg->nzones && rc == 0; i++) {
		struct signer_zone *sz = &s->z[i];
		const struct cfg_zone *cz = &cfg->zones[i];
		uint8_t alg = 0;
		char denial[DB_DENIAL_MAX] = "";
		int st = db_dnssec_zone(db, cz->name, &alg, denial, NULL);
		uint16_t plen;
		int n;

		sz->cz = cz;
		if (st < 0 && st != DD_ENOENT) {
			rc = st;
			break;
		}
		if (!cz->dnssec.enabled) {
			if (st == 0) {
				log_warnx("zone %s is signed (algorithm %u) and its config no longer "
					  "says dnssec.enabled: true; resolvers that have its DS would "
					  "fail to validate an unsigned zone: set it back, or remove the "
					  "zone's signing first (docs/dnssec.md)",
					  cz->name, alg);
				rc = DD_EINVAL;
			}
			continue;
		}
		sz->alg = cz->dnssec.alg;
		if (st == 0 && alg != sz->alg) {
			log_warnx("zone %s is signed with algorithm %u; the config asks for %u, and "
				  "an algorithm rollover is not supported: keep %s",
				  cz->name, alg, sz->alg,
				  alg == CFG_DNSSEC_ED25519 ? "ed25519" : "ecdsap256sha256");
			rc = DD_EINVAL;
			break;
		}
		sz->nsec = cz->dnssec.denial && strcmp(cz->dnssec.denial, SIGNER_NSEC) == 0;
		if (st == 0 && denial[0] && strcmp(denial, sz->nsec ? SIGNER_NSEC : SIGNER_NSEC3) != 0) {
			log_warnx("zone %s is signed with %s denial; the config asks for %s, and a "
				  "change of denial is not supported: keep denial: %s",
				  cz->name, denial, sz->nsec ? SIGNER_NSEC : SIGNER_NSEC3, denial);
			rc = DD_EINVAL;
			break;
		}
		if ((n = signer_wire(cz->name, sz->apex)) <= 0) {
			rc = DD_EINVAL;
			break;
		}
		sz->apex_len = (size_t)n;
		if ((rc = signer_zone_keys(s, sz)) < 0) {
			log_warnx("zone %s: its DNSSEC keys cannot be used: %s", cz->name,
				  dd_strerror(rc));
			break;
		}
		n = dnssec_nsec3param_rdata(sz->nsec3param + 2, sizeof(sz->nsec3param) - 2);
		if (n <= 0) {
			rc = DD_EINVAL;
			break;
		}
		plen = (uint16_t)n;
		memcpy(sz->nsec3param, &plen, 2);
		sz->nsec3param_len = 2 + (size_t)n;
		sz->on = true;
		{
			char cur[256];
			int p = db_dnssec_zone_pending(db, cz->name, cur, sizeof(cur));
			if (p < 0 && p != DD_ENOENT) {
				rc = p;
				break;
			}
			sz->signing = p == 0;
		}
	}
	if (rc < 0) {
		signer_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
signer_close(struct signer *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; s->z && i < s->nz; i++) {
		dnskey_free(s->z[i].ksk);
		dnskey_free(s->z[i].zsk);
		free(s->z[i].touched);
		free(s->z[i].bins);
		free(s->z[i].nodes);
	}
	free(s->z);
	free(s->buf);
	free(s->ebuf);
	free(s->sigdata);
	free(s->e);
	free(s);
}

bool
signer_zone_on(const struct signer *s, unsigned z)
{
	return s && z < s->nz && s->z[z].on;
}

void
signer_set_table(struct signer *s, struct shm_table *t)
{
	if (s)
		s->t = t;
}

void
signer_pools_changed(struct signer *s)
{
	if (s) {
		s->npools = -1;
		s->pools_changed = true;
	}
}

bool
signer_take_journal_reset(struct signer *s, unsigned z)
{
	bool r;

	if (!signer_zone_on(s, z))
		return false;
	r = s->z[z].journal_reset;
	s->z[z].journal_reset = false;
	return r;
}

bool
signer_pending(const struct signer *s, unsigned z)
{
	return signer_zone_on(s, z) && s->z[z].ntouched > 0;
}

uint64_t
signer_signatures(const struct signer *s, unsigned z)
{
	return signer_zone_on(s, z) ? s->z[z].sigs : 0;
}

/* --------------------------------------------------------------- signing */

/*
 * Signs count RRs (table form) of type at owner with the ZSK (the KSK for
 * the DNSKEY RRset) and stores the RRSIG under name.
 */
/* One RR (rdata) in table form into buf; its length. */
static size_t
signer_one(uint8_t *buf, const uint8_t *rdata, size_t rdlen)
{
	uint16_t l = (uint16_t)rdlen;

	memcpy(buf, &l, 2);
	memcpy(buf + 2, rdata, rdlen);
	return 2 + rdlen;
}

static int
signer_sign_v(struct signer *s, struct signer_zone *sz, const char *name, const uint8_t *owner,
	      size_t owner_len, uint16_t type, uint32_t variant, uint32_t ttl, const uint8_t *data,
	      size_t data_len, uint16_t count)
{
	bool ksk = type == DNS_TYPE_DNSKEY;
	int64_t now = signer_now();
	struct dnssec_rrsig_fields f = {
		.covered = type,
		.alg = sz->alg,
		.labels = (uint8_t)dnssec_rrsig_labels(owner, owner_len),
		.orig_ttl = ttl,
		.expiration = (uint32_t)(now + (int64_t)sz->cz->dnssec.signature_validity),
		.inception = (uint32_t)(now - SIGNER_SKEW),
		.keytag = ksk ? sz->ksk_tag : sz->zsk_tag,
		.signer = sz->apex,
		.signer_len = sz->apex_len};
	uint8_t rdata[SIGNER_RDATA_MAX];
	int hl, n;

	uint8_t digest[DB_SIG_DIGEST];

	if ((hl = dnssec_rrsig_head(&f, rdata, sizeof(rdata) - DNSSEC_SIG_LEN)) < 0)
		return hl;
	n = dnssec_sign_data(rdata, (size_t)hl, owner, owner_len, type, ttl, data, data_len, count,
			     s->buf, SIGNER_BUF);
	if (n < 0)
		return n;
	/* the RRset as signed, without the RRSIG's own fields */
	crypto_generichash(digest, sizeof(digest), s->buf + hl, (size_t)(n - hl), NULL, 0);
	if (variant == 0 && s->have_on && strcmp(s->have_name, name) == 0) {
		/* the same RRset, signed by the same key, well before its end, is
		 * kept; another key's RRSIG over it stays unused (and goes); one by
		 * this key is replaced below */
		bool kept = false;
		for (size_t i = 0; i < s->nhave; i++) {
			struct db_sig_state *g = &s->have[i];
			if (g->covered != type || g->keytag != f.keytag)
				continue;
			g->used = true;
			kept = g->has_digest &&
			       g->expires > now + (int64_t)sz->cz->dnssec.signature_validity / 3 &&
			       memcmp(g->digest, digest, sizeof(digest)) == 0;
		}
		if (kept)
			return 0;
	}
	if (dnskey_sign(ksk ? sz->ksk : sz->zsk, s->buf, (size_t)n, rdata + hl) < 0)
		return DD_EINVAL;
	sz->sigs++;
	return db_dnssec_sig_put(s->db, sz->cz->name, name, type, variant, f.keytag, rdata,
				 (size_t)hl + DNSSEC_SIG_LEN,
				 now + (int64_t)sz->cz->dnssec.signature_validity, digest);
}

static int
signer_sign(struct signer *s, struct signer_zone *sz, const char *name, const uint8_t *owner,
	    size_t owner_len, uint16_t type, uint32_t ttl, const uint8_t *data, size_t data_len,
	    uint16_t count)
{
	return signer_sign_v(s, sz, name, owner, owner_len, type, 0, ttl, data, data_len, count);
}

/* --------------------------------------------------------------- pools */

/* Sets of k members among n: C(n, k), saturated at limit + 1. */
static unsigned
signer_choose(unsigned n, unsigned k, unsigned limit)
{
	uint64_t c = 1;

	for (unsigned i = 1; i <= k; i++) {
		c = c * (n - k + i) / i;
		if (c > limit)
			return limit + 1;
	}
	return (unsigned)c;
}

struct pool_sets {
	struct signer *s;
	struct signer_zone *sz;
	const char *name;
	const uint8_t *owner;
	size_t owner_len;
	const struct pool_def *d;
	uint8_t idx[POOL_MEMBERS_MAX]; /* the family's members */
	unsigned n;
	uint16_t type;
	uint8_t alen;
};

/* Signs the set of the members in mask, kept as variant. */
static int
signer_pool_set(struct pool_sets *ps, uint32_t mask, uint32_t variant)
{
	uint8_t data[POOL_MEMBERS_MAX * (2 + 16)];
	size_t len = 0;
	uint16_t count = 0;
	const struct pool_member *m = pool_def_members(ps->d);

	for (unsigned i = 0; i < ps->d->nmembers && i < POOL_MEMBERS_MAX; i++)
		if (mask & (1u << i)) {
			len += signer_one(data + len, m[i].addr, ps->alen);
			count++;
		}
	return signer_sign_v(ps->s, ps->sz, ps->name, ps->owner, ps->owner_len, ps->type,
			     variant, ps->d->ttl, data, len, count);
}

/* Signs every set of `left` more members of the family after idx[from], with mask so far. */
static int
signer_pool_sets(struct pool_sets *ps, unsigned from, unsigned left, uint32_t mask)
{
	if (left == 0)
		return signer_pool_set(ps, mask, mask);
	for (unsigned i = from; i + left <= ps->n; i++) {
		int rc = signer_pool_sets(ps, i + 1, left - 1, mask | 1u << ps->idx[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * A pool answers each query with a window of its healthy members, so any
 * set of 1..answers members of a family can go out: each is signed ahead
 * (variant = the members' bit mask).  Returns the families signed as types
 * (A, AAAA) into types, or a negative code.
 */
static int
signer_pool(struct signer *s, struct signer_zone *sz, const char *name, const uint8_t *owner,
	    size_t owner_len, uint16_t *types, size_t *nt)
{
	struct pooldb_def *defs = NULL;
	size_t ndefs = 0;
	uint32_t xfr = 0;
	char wild[SHM_NAME_MAX + 4];
	uint8_t wild_wire[SHM_NAME_MAX];
	size_t wild_len = 0;
	int rc;

	/* most stores have no pool: then no name has sets to sign or drop */
	if (s->npools < 0)
		s->npools = db_pool_count(s->db);
	if (s->npools == 0 && !s->pools_changed)
		return 0;
	s->pools_changed = false;
	/* the "*.NAME" sets of a prefixMatch pool go with the pool's */
	snprintf(wild, sizeof(wild), "*.%s", name);
	if (owner_len + 2 <= SHM_NAME_MAX) {
		wild_wire[0] = 1;
		wild_wire[1] = '*';
		memcpy(wild_wire + 2, owner, owner_len);
		wild_len = owner_len + 2;
	}
	/* every set is signed again: the old ones go (members may have changed) */
	if ((rc = db_dnssec_sigs_del_sets(s->db, name)) < 0 ||
	    (rc = db_dnssec_sigs_del_sets(s->db, wild)) < 0)
		return rc;
	rc = pooldb_load(s->db, name, &defs, &ndefs);

	for (size_t k = 0; rc == 0 && k < ndefs; k++) {
		const struct pool_def *d = (const struct pool_def *)(const void *)defs[k].data;
		if (strcmp(defs[k].name, name) != 0 || defs[k].len < sizeof(*d) ||
		    pool_def_size(d->nmembers) > defs[k].len)
			continue;
		for (unsigned fam = 4; fam <= 6 && rc == 0; fam += 2) {
			struct pool_sets ps = {.s = s, .sz = sz, .name = name, .owner = owner,
					       .owner_len = owner_len, .d = d,
					       .type = fam == 4 ? DNS_TYPE_A : DNS_TYPE_AAAA,
					       .alen = fam == 4 ? 4 : 16};
			unsigned want, total = 0;
			for (unsigned i = 0; i < d->nmembers && i < POOL_MEMBERS_MAX; i++)
				if (pool_def_members(d)[i].family == fam)
					ps.idx[ps.n++] = (uint8_t)i;
			if (ps.n == 0)
				continue;
			want = d->answers ? d->answers : 1;
			if (want > ps.n)
				want = ps.n;
			for (unsigned k2 = 1; k2 <= want; k2++)
				total += signer_choose(ps.n, k2, SIGNER_POOL_SETS);
			total *= (d->flags & POOL_F_PREFIX) ? 2 : 1;
			if (total > SIGNER_POOL_SETS) {
				log_warnx("pool %s: %u IPv%u members answering %u at a time make more "
					  "than %d sets to sign%s; its answers will not validate: "
					  "lower answers or split the pool (docs/dnssec.md)",
					  name, ps.n, fam, want, SIGNER_POOL_SETS,
					  (d->flags & POOL_F_PREFIX) ? " (twice: prefixMatch)" : "");
				continue;
			}
			for (unsigned k2 = 1; k2 <= want && rc == 0; k2++)
				rc = signer_pool_sets(&ps, 0, k2, 0);
			/* prefixMatch: "<label>.NAME" answers validate as if "*.NAME"
			 * held the pool (RFC 4035 5.3.4): the same sets signed for that
			 * owner, kept under it */
			if (rc == 0 && (d->flags & POOL_F_PREFIX) && wild_len > 0) {
				struct pool_sets pw = ps;
				pw.name = wild;
				pw.owner = wild_wire;
				pw.owner_len = wild_len;
				for (unsigned k2 = 1; k2 <= want && rc == 0; k2++)
					rc = signer_pool_sets(&pw, 0, k2, 0);
			}
			/* what transfers carry: the members up as secondaries were told */
			if (rc == 0 && (rc = db_pool_xfr_mask(s->db, name, &xfr)) == 0) {
				uint32_t fm = 0;
				for (unsigned i = 0; i < ps.n; i++)
					fm |= 1u << ps.idx[i];
				if (xfr & fm)
					rc = signer_pool_set(&ps, xfr & fm, 0);
			}
			types[(*nt)++] = ps.type;
		}
	}
	free(defs);
	return rc;
}


/* The apex's own RRsets: NS (from the zone slot), DNSKEY, NSEC3PARAM (NSEC3 only). */
static int
signer_apex(struct signer *s, struct signer_zone *sz, unsigned z)
{
	struct shm_zone_copy *zc = (struct shm_zone_copy *)(void *)s->ebuf;
	size_t len = 0;
	int rc;

	_Static_assert(sizeof(struct shm_zone_copy) <= SHM_ENTRY_MAX, "zone copy fits ebuf");
	if (s->t == NULL || shm_zone_get(s->t, z, zc) < 0)
		return DD_EINVAL;
	for (unsigned i = 0; i < zc->ns_count; i++)
		len += signer_one(s->sigdata + len, zc->ns[i], zc->ns_len[i]);
	if (zc->ns_count &&
	    (rc = signer_sign(s, sz, sz->cz->name, sz->apex, sz->apex_len, DNS_TYPE_NS, zc->ns_ttl,
			      s->sigdata, len, zc->ns_count)) < 0)
		return rc;
	if ((rc = signer_sign(s, sz, sz->cz->name, sz->apex, sz->apex_len, DNS_TYPE_DNSKEY,
			      (uint32_t)sz->cz->dnssec.dnskey_ttl, sz->dnskey, sz->dnskey_len, sz->ndnskey)) < 0)
		return rc;
	if (sz->nsec)
		return 0;
	return signer_sign(s, sz, sz->cz->name, sz->apex, sz->apex_len, DNS_TYPE_NSEC3PARAM, 0,
			   sz->nsec3param, sz->nsec3param_len, 1);
}

int
signer_soa(struct signer *s, unsigned z, uint32_t serial)
{
	struct signer_zone *sz;
	struct shm_zone_copy *zc;
	uint8_t rd[2 * SHM_NAME_MAX + 20 + 2], *p;

	if (!signer_zone_on(s, z))
		return 0;
	sz = &s->z[z];
	zc = (struct shm_zone_copy *)(void *)s->ebuf;
	if (s->t == NULL || shm_zone_get(s->t, z, zc) < 0)
		return DD_EINVAL;
	p = rd + 2;
	memcpy(p, zc->soa.mname, zc->soa.mname_len);
	p += zc->soa.mname_len;
	memcpy(p, zc->soa.rname, zc->soa.rname_len);
	p += zc->soa.rname_len;
	{
		uint32_t v[5] = {serial, zc->soa.refresh, zc->soa.retry, zc->soa.expire,
				 zc->soa.minimum};
		for (int i = 0; i < 5; i++, p += 4) {
			p[0] = (uint8_t)(v[i] >> 24);
			p[1] = (uint8_t)(v[i] >> 16);
			p[2] = (uint8_t)(v[i] >> 8);
			p[3] = (uint8_t)v[i];
		}
	}
	{
		uint16_t l = (uint16_t)(p - rd - 2);
		memcpy(rd, &l, 2);
	}
	/* one RRSIG over the SOA: another key's (a rollover) goes */
	if (db_dnssec_sig_del(s->db, sz->cz->name, DNS_TYPE_SOA) < 0)
		return DD_EDB;
	return signer_sign(s, sz, sz->cz->name, sz->apex, sz->apex_len, DNS_TYPE_SOA, zc->soa.ttl,
			   rd, (size_t)(p - rd), 1);
}

/* NSEC3: the rows of name's empty ancestors, up to the apex (NSEC has none). */
static int
signer_ancestors(struct signer *s, struct signer_zone *sz, const char *name)
{
	const char *zone = sz->cz->name;
	struct db_chain row;
	uint8_t wire[SHM_NAME_MAX], hash[NSEC3_HASH_LEN];
	int rc, n;

	for (const char *p = name; p; p = signer_parent(p, zone)) {
		rc = db_chain_by_name(s->db, p, &row);
		if (rc == 0)
			return 0;
		if (rc != DD_ENOENT || (n = signer_wire(p, wire)) <= 0)
			return rc < 0 && rc != DD_ENOENT ? rc : DD_EINVAL;
		dnssec_nsec3_hash(wire, (size_t)n, NULL, 0, 0, hash);
		if ((rc = db_chain_put(s->db, zone, hash, NSEC3_HASH_LEN, p, signer_parent(p, zone),
				       NULL, 0)) < 0 ||
		    (rc = signer_touch(sz, hash, NSEC3_HASH_LEN, p, false)) < 0)
			return rc;
	}
	return 0;
}

/* Removes name's row when it is an empty non-terminal left without children; then its parent's. */
static int
signer_prune(struct signer *s, struct signer_zone *sz, const char *name)
{
	const char *zone = sz->cz->name;
	struct db_chain row;
	char owner[SHM_NAME_MAX * 2];
	int rc;

	for (const char *p = name; p && strcmp(p, zone) != 0; p = signer_parent(p, zone)) {
		if ((rc = db_chain_by_name(s->db, p, &row)) == DD_ENOENT)
			return 0;
		if (rc < 0)
			return rc;
		if (row.types_len > 0 || (rc = db_chain_has_children(s->db, p)) != 0)
			return rc < 0 ? rc : 0;
		signer_nsec3_owner(row.key, zone, owner, sizeof(owner));
		if ((rc = db_chain_del(s->db, zone, row.key, row.key_len)) < 0 ||
		    (rc = db_dnssec_sigs_del(s->db, owner)) < 0 ||
		    (rc = signer_touch(sz, row.key, row.key_len, p, false)) < 0)
			return rc;
	}
	return 0;
}

/*
 * A digest (hex) of what zone z's apex is signed with: its NS names and TTL,
 * the SOA's fields but the serial, the DNSKEY RRset and its TTL.  A start or
 * reload re-signs the apex only when it changed.
 */
static int
signer_apex_fp(struct signer *s, unsigned z, char fp[DB_APEX_FP])
{
	struct signer_zone *sz = &s->z[z];
	struct shm_zone_copy *zc = (struct shm_zone_copy *)(void *)s->ebuf;
	crypto_generichash_state h;
	uint8_t out[32];
	uint32_t v[7];

	if (shm_zone_get(s->t, z, zc) < 0)
		return DD_EINVAL;
	v[0] = zc->soa.ttl;
	v[1] = zc->soa.refresh;
	v[2] = zc->soa.retry;
	v[3] = zc->soa.expire;
	v[4] = zc->soa.minimum;
	v[5] = zc->ns_ttl;
	v[6] = (uint32_t)sz->cz->dnssec.dnskey_ttl;
	crypto_generichash_init(&h, NULL, 0, sizeof(out));
	crypto_generichash_update(&h, (const uint8_t *)v, sizeof(v));
	crypto_generichash_update(&h, zc->soa.mname, zc->soa.mname_len);
	crypto_generichash_update(&h, zc->soa.rname, zc->soa.rname_len);
	for (unsigned i = 0; i < zc->ns_count; i++)
		crypto_generichash_update(&h, zc->ns[i], zc->ns_len[i]);
	crypto_generichash_update(&h, sz->dnskey, sz->dnskey_len);
	crypto_generichash_final(&h, out, sizeof(out));
	sodium_bin2hex(fp, DB_APEX_FP, out, sizeof(out));
	return 0;
}

static int
signer_name_do(struct signer *s, unsigned z, const char *name)
{
	struct signer_zone *sz;
	struct load_stats st;
	struct db_chain row;
	uint16_t types[SIGNER_TYPES_MAX];
	uint8_t wire[SHM_NAME_MAX], key[DB_CHAIN_KEY_MAX], bm[DB_BITMAP_MAX];
	size_t nt = 0, nrec, nsec_sigs = 0;
	bool apex, same;
	int n, rc, have, kl;

	if (!signer_zone_on(s, z))
		return 0;
	sz = &s->z[z];
	if ((n = signer_wire(name, wire)) <= 0)
		return DD_EINVAL;
	/* a name of a more specific zone is that zone's */
	if (s->t && shm_zone_find(s->t, wire, (size_t)n) != (int)z)
		return 0;
	apex = (size_t)n == sz->apex_len && memcmp(wire, sz->apex, sz->apex_len) == 0;
	/* the name's RRsets, as the table gets them */
	memset(&st, 0, sizeof(st));
	s->e->cfg = s->cfg;
	s->e->t = s->t;
	s->e->st = &st;
	s->e->zone = -1;
	s->e->name[0] = '\0';
	s->e->nrrsets = 0;
	s->e->data_len = 0;
	s->nrr = 0;
	if ((rc = db_records_of_name(s->db, name, entry_row, s->e)) < 0 ||
	    (rc = entry_flush(s->e)) < 0)
		return rc;
	snprintf(s->have_name, sizeof(s->have_name), "%s", name);
	if ((rc = db_dnssec_sig_states(s->db, name, s->have, SIGNER_TYPES_MAX, &s->nhave)) < 0)
		return rc;
	/* an NSEC record's RRSIG is the chain's (signer_chain_check), not the name's */
	for (size_t i = 0; i < s->nhave; i++)
		if (s->have[i].covered == DNS_TYPE_NSEC) {
			s->have[i].used = true;
			nsec_sigs++;
		}
	s->have_on = true;
	for (size_t i = 0; i < s->nrr; i++) {
		if ((rc = signer_sign(s, sz, name, wire, (size_t)n, s->rr[i].type, s->rr[i].ttl,
				      s->rr[i].data, s->rr[i].data_len, s->rr[i].count)) < 0)
			return rc;
		types[nt++] = s->rr[i].type;
	}
	nrec = nt;
	if ((rc = signer_pool(s, sz, name, wire, (size_t)n, types, &nt)) < 0)
		return rc;
	/* the same types as before (one RRSIG each, all still wanted): its NSEC3
	 * record is unchanged, nothing to look up in the chain */
	same = !apex && nt == nrec && nrec > 0 && s->nhave - nsec_sigs == nrec;
	for (size_t i = 0; i < s->nhave && same; i++)
		same = s->have[i].used;
	if (same)
		return 0;
	if (apex) {
		char fp[DB_APEX_FP];
		if ((rc = signer_apex(s, sz, z)) < 0)
			return rc;
		/* what the apex is now signed with: a start need not sign it again */
		if ((rc = signer_apex_fp(s, z, fp)) < 0 ||
		    (rc = db_dnssec_zone_set(s->db, sz->cz->name, sz->alg, signer_denial(sz), fp)) < 0)
			return rc;
		types[nt++] = DNS_TYPE_SOA;
		types[nt++] = DNS_TYPE_NS;
		types[nt++] = DNS_TYPE_DNSKEY;
		if (!sz->nsec)
			types[nt++] = DNS_TYPE_NSEC3PARAM;
		sz->apex_dirty = true;
	}
	/* the RRSIGs of RRsets that went, or by a key that no longer signs
	 * them (the SOA's is signer_soa's) */
	for (size_t i = 0; i < s->nhave && rc == 0; i++)
		if (!s->have[i].used && !(apex && s->have[i].covered == DNS_TYPE_SOA))
			rc = db_dnssec_sig_del_key(s->db, name, s->have[i].covered,
						   s->have[i].keytag);
	s->have_on = false;
	if (rc < 0)
		return rc;
	if (nt) {
		types[nt++] = DNS_TYPE_RRSIG;
		/* RFC 4034 4.1.2: an NSEC record's bitmap lists NSEC itself */
		if (sz->nsec)
			types[nt++] = DNS_TYPE_NSEC;
	}
	/* its place in the chain */
	if ((kl = signer_key(sz, wire, (size_t)n, key)) < 0)
		return kl;
	rc = db_chain_by_name(s->db, name, &row);
	if (rc < 0 && rc != DD_ENOENT)
		return rc;
	have = rc == 0;
	if (nt) {
		int bl = dnssec_type_bitmap(types, nt, bm, sizeof(bm));
		if (bl < 0)
			return bl;
		if (!have || row.types_len != (size_t)bl || memcmp(row.types, bm, (size_t)bl) != 0) {
			if ((rc = db_chain_put(s->db, sz->cz->name, key, (size_t)kl, name,
					       signer_parent(name, sz->cz->name), bm, (size_t)bl)) < 0 ||
			    (rc = signer_touch(sz, key, (size_t)kl, name, false)) < 0)
				return rc;
		}
		if (!have && !apex && !sz->nsec)
			return signer_ancestors(s, sz, signer_parent(name, sz->cz->name));
		return 0;
	}
	if (!have)
		return 0;
	if (sz->nsec) {
		/* NSEC: a name without records leaves the chain (empty non-terminals have none) */
		if ((rc = db_chain_del(s->db, sz->cz->name, key, (size_t)kl)) < 0 ||
		    (rc = db_dnssec_sig_del(s->db, name, DNS_TYPE_NSEC)) < 0)
			return rc;
		return signer_touch(sz, key, (size_t)kl, name, false);
	}
	if ((rc = db_chain_has_children(s->db, name)) < 0)
		return rc;
	if (rc == 1) {
		/* an empty non-terminal now: its NSEC3 record lists no type */
		if (row.types_len == 0)
			return 0;
		if ((rc = db_chain_put(s->db, sz->cz->name, key, (size_t)kl, name,
				       signer_parent(name, sz->cz->name), NULL, 0)) < 0)
			return rc;
		return signer_touch(sz, key, (size_t)kl, name, false);
	}
	{
		char owner[SHM_NAME_MAX * 2];
		signer_nsec3_owner(key, sz->cz->name, owner, sizeof(owner));
		if ((rc = db_chain_del(s->db, sz->cz->name, key, (size_t)kl)) < 0 ||
		    (rc = db_dnssec_sigs_del(s->db, owner)) < 0 ||
		    (rc = signer_touch(sz, key, (size_t)kl, name, false)) < 0)
			return rc;
	}
	return signer_prune(s, sz, signer_parent(name, sz->cz->name));
}

int
signer_name(struct signer *s, unsigned z, const char *name)
{
	int rc = signer_name_do(s, z, name);

	s->have_on = false; /* whichever way it ended */
	return rc;
}

/*
 * The NSEC3 or NSEC record of chain row `key` (if it exists) from its row
 * and its successor's, re-signed if changed (or forced); name: the row's
 * owner when the caller knows it (a row that went).
 */
static int
signer_chain_check(struct signer *s, struct signer_zone *sz, const uint8_t *key, size_t klen,
		   const char *name, bool force)
{
	const char *zone = sz->cz->name;
	struct db_chain row;
	uint8_t next[DB_CHAIN_KEY_MAX], rd[2 + sizeof(row.rdata)], owner_wire[SHM_NAME_MAX];
	char owner[SHM_NAME_MAX * 2];
	struct shm_zone_copy *zc = (struct shm_zone_copy *)(void *)s->ebuf;
	size_t nl = 0;
	int rc, n, ow;
	uint16_t l;

	rc = db_chain_by_key(s->db, zone, key, klen, &row);
	if (rc == DD_ENOENT)
		return sz->nsec ? (name && name[0] ? signer_node_add(sz, name) : 0)
				: signer_bin_add(sz, signer_bin_of(key));
	if (rc < 0 || (rc = db_chain_step(s->db, zone, key, klen, true, next, &nl)) < 0)
		return rc;
	if (sz->nsec) {
		/* RFC 4034 4.1.1: the next owner in canonical order, the apex after the last */
		struct db_chain nx;
		uint8_t nw[SHM_NAME_MAX];
		int nwl;
		if ((rc = db_chain_by_key(s->db, zone, next, nl, &nx)) < 0)
			return rc;
		if ((nwl = signer_wire(nx.name, nw)) <= 0)
			return DD_EINVAL;
		n = dnssec_nsec_rdata(nw, (size_t)nwl, row.types, row.types_len, rd + 2,
				      sizeof(rd) - 2);
		snprintf(owner, sizeof(owner), "%s", row.name);
	} else {
		if (nl != NSEC3_HASH_LEN)
			return DD_EINVAL;
		n = dnssec_nsec3_rdata(next, row.types, row.types_len, rd + 2, sizeof(rd) - 2);
		signer_nsec3_owner(key, zone, owner, sizeof(owner));
	}
	if (n < 0)
		return n;
	if (!force && row.rdlen == (size_t)n && memcmp(row.rdata, rd + 2, (size_t)n) == 0)
		return 0;
	if ((rc = db_chain_set_rdata(s->db, zone, key, klen, rd + 2, (size_t)n)) < 0)
		return rc;
	if ((ow = signer_wire(owner, owner_wire)) <= 0)
		return DD_EINVAL;
	/* one RRSIG per record: another key's (a rollover) goes */
	if ((rc = sz->nsec ? db_dnssec_sig_del(s->db, owner, DNS_TYPE_NSEC)
			   : db_dnssec_sigs_del(s->db, owner)) < 0)
		return rc;
	if (s->t == NULL || shm_zone_get(s->t, (unsigned)(sz - s->z), zc) < 0)
		return DD_EINVAL;
	l = (uint16_t)n;
	memcpy(rd, &l, 2);
	/* RFC 9077: the NSEC(3) TTL is the lesser of the SOA's TTL and MINIMUM */
	rc = signer_sign(s, sz, owner, owner_wire, (size_t)ow,
			 sz->nsec ? DNS_TYPE_NSEC : DNS_TYPE_NSEC3,
			 zc->soa.minimum < zc->soa.ttl ? zc->soa.minimum : zc->soa.ttl, rd,
			 2 + (size_t)n, 1);
	if (rc < 0)
		return rc;
	return sz->nsec ? signer_node_add(sz, row.name) : signer_bin_add(sz, signer_bin_of(key));
}

int
signer_zone_finish(struct signer *s, unsigned z)
{
	struct signer_zone *sz;
	int rc = 0;

	if (!signer_zone_on(s, z))
		return 0;
	sz = &s->z[z];
	for (size_t i = 0; i < sz->ntouched && rc == 0; i++) {
		const struct chain_touch *t = &sz->touched[i];
		uint8_t pred[DB_CHAIN_KEY_MAX];
		size_t pl = 0;
		rc = signer_chain_check(s, sz, t->key, t->klen, t->name, t->force);
		/* the record before it points at it (or past it, if it went) */
		if (rc == 0) {
			rc = db_chain_step(s->db, sz->cz->name, t->key, t->klen, false, pred, &pl);
			if (rc == 0)
				rc = signer_chain_check(s, sz, pred, pl, NULL, false);
			else if (rc == DD_ENOENT)
				rc = 0;
		}
	}
	sz->ntouched = 0;
	/* the background signing's last group: the zone goes out signed with it */
	if (rc == 0 && sz->complete) {
		rc = db_dnssec_zone_pending_set(s->db, sz->cz->name, NULL);
		if (rc == 0) {
			sz->complete = sz->signing = false;
			sz->apex_dirty = true;
			sz->nodes_build = sz->nsec;
			sz->journal_reset = true; /* the DNSKEY RRset appears */
			log_info("zone %s: signed in the background; %lld %s records",
				 sz->cz->name, (long long)db_chain_count(s->db, sz->cz->name),
				 sz->nsec ? "NSEC" : "NSEC3");
		}
	}
	return rc;
}

/* --------------------------------------------------------------- publish */

struct sig_collect {
	uint8_t *data;      /* the RRSIG rrset */
	size_t len;
	uint16_t count;
	uint8_t *pdata;     /* a pool's signed sets: { u32 mask; u8 wild; RRSIG RDATA } */
	size_t plen;
	uint16_t pcount;
	uint8_t wild;       /* the sets being collected are "*.NAME"'s */
	bool sets_only;     /* collect pool sets, nothing else */
	bool no_sets;       /* collect no pool sets */
	int err;
};

static int
signer_sig_add(void *arg, const char *name, uint16_t covered, uint32_t variant,
	       const uint8_t *rdata, size_t len)
{
	struct sig_collect *c = arg;

	(void)name;
	/* the SOA's RRSIG lives in the zone slot with its serial, an NSEC
	 * record's in its node (shm/nsec.h) */
	if (covered == DNS_TYPE_SOA || covered == DNS_TYPE_NSEC)
		return 0;
	if (variant != 0) {
		uint16_t l = (uint16_t)(5 + len);
		if (c->no_sets)
			return 0;
		if (c->plen + 2 + 5 + len > SHM_ENTRY_MAX - SIGNER_SIGS_ROOM - 512) {
			c->err = DD_ETOOBIG;
			return 0;
		}
		memcpy(c->pdata + c->plen, &l, 2);
		memcpy(c->pdata + c->plen + 2, &variant, 4);
		c->pdata[c->plen + 6] = c->wild;
		memcpy(c->pdata + c->plen + 7, rdata, len);
		c->plen += 7 + len;
		c->pcount++;
		return 0;
	}
	if (c->sets_only)
		return 0;
	if (c->len + 2 + len > SIGNER_SIGS_ROOM) {
		c->err = DD_ETOOBIG;
		return 0;
	}
	c->len += signer_one(c->data + c->len, rdata, len);
	c->count++;
	return 0;
}

/* Has a pool among the rrsets (its prefixMatch sets may be under "*.NAME")? */
static bool
signer_has_pool(const struct shm_rrset_in *rr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rr[i].type == SHM_TYPE_POOL)
			return true;
	return false;
}

/*
 * The entry of name: rr (without what the signer adds) plus, when c is
 * given, the RRSIGs it collected, else those read from the store.
 */
static int
signer_entry_put_c(struct signer *s, unsigned z, const char *name, const uint8_t *wire,
		   size_t wire_len, const struct shm_rrset_in *rr, size_t n, struct sig_collect *cin)
{
	struct shm_rrset_in all[ENTRY_RRSETS_MAX + 5];
	struct sig_collect own = {0}, *c = cin ? cin : &own;
	struct signer_zone *sz;
	size_t k = 0;
	bool apex;
	int rc;

	if (!signer_zone_on(s, z))
		return n ? shm_table_put(s->t, z, wire, wire_len, rr, n) : 0;
	sz = &s->z[z];
	apex = wire_len == sz->apex_len && memcmp(wire, sz->apex, wire_len) == 0;
	for (size_t i = 0; i < n && k < ENTRY_RRSETS_MAX; i++)
		if (rr[i].type != DNS_TYPE_RRSIG && rr[i].type != DNS_TYPE_DNSKEY &&
		    rr[i].type != DNS_TYPE_NSEC3PARAM && rr[i].type != SHM_TYPE_POOLSIG)
			all[k++] = rr[i];
	if (apex && !sz->signing) {
		all[k++] = (struct shm_rrset_in){DNS_TYPE_DNSKEY, sz->ndnskey,
						 (uint32_t)sz->cz->dnssec.dnskey_ttl, sz->dnskey,
						 sz->dnskey_len};
		if (!sz->nsec)
			all[k++] = (struct shm_rrset_in){DNS_TYPE_NSEC3PARAM, 1, 0, sz->nsec3param,
							 sz->nsec3param_len};
	}
	if (cin == NULL) {
		own.data = s->sigdata;
		own.pdata = s->sigdata + SIGNER_SIGS_ROOM;
		/* a wildcard's own entry holds no pool's sets */
		own.no_sets = name[0] == '*' && name[1] == '.';
		if ((rc = db_dnssec_sigs_of_name(s->db, name, signer_sig_add, &own)) < 0)
			return rc;
		if (!own.no_sets && signer_has_pool(rr, n) && strlen(name) + 3 <= SHM_NAME_MAX) {
			char wild[SHM_NAME_MAX + 4];
			snprintf(wild, sizeof(wild), "*.%s", name);
			own.wild = 1;
			own.sets_only = true;
			if ((rc = db_dnssec_sigs_of_name(s->db, wild, signer_sig_add, &own)) < 0)
				return rc;
		}
	}
	if (c->err)
		log_warnx("%s: its RRSIGs exceed the table's entry size: served without them",
			  name);
	if (c->count && !c->err)
		all[k++] = (struct shm_rrset_in){DNS_TYPE_RRSIG, c->count, 0, c->data, c->len};
	if (c->pcount && !c->err)
		all[k++] = (struct shm_rrset_in){SHM_TYPE_POOLSIG, c->pcount, 0, c->pdata, c->plen};
	if (k == 0)
		return 0;
	return shm_table_put(s->t, z, wire, wire_len, all, k);
}

int
signer_entry_put(struct signer *s, unsigned z, const char *name, const uint8_t *wire,
		 size_t wire_len, const struct shm_rrset_in *rr, size_t n)
{
	return signer_entry_put_c(s, z, name, wire, wire_len, rr, n, NULL);
}

/*
 * Republishes name from the entry in the table with its RRSIGs: c's, or the
 * store's (c NULL, and always for a pool: its prefixMatch sets are under
 * another name).
 */
static int
signer_overlay(struct signer *s, unsigned z, const char *name, struct sig_collect *c)
{
	struct shm_rrset_in rr[ENTRY_RRSETS_MAX];
	uint8_t wire[SHM_NAME_MAX];
	const struct shm_entry *e = (const struct shm_entry *)(void *)s->ebuf;
	size_t n = 0;
	int wl = signer_wire(name, wire), got;

	if (wl <= 0)
		return DD_EINVAL;
	got = shm_table_get(s->t, wire, (size_t)wl, s->ebuf, SHM_ENTRY_MAX, NULL);
	if (got < 0)
		return got;
	if (got > 0 && (e->flags & SHM_ENTRY_HIDDEN))
		return 0;
	for (const struct shm_rrset *r = got > 0 ? shm_entry_first(e) : NULL;
	     r && n < ENTRY_RRSETS_MAX; r = shm_rrset_next(e, r))
		rr[n++] = (struct shm_rrset_in){r->type, r->count, r->ttl, shm_rrset_data(r),
						r->data_len};
	if (c && signer_has_pool(rr, n))
		c = NULL;
	return signer_entry_put_c(s, z, name, wire, (size_t)wl, rr, n, c);
}

/* One stored RRSIG of a given covered type (the first of a name's). */
struct sig_pick {
	uint16_t covered;
	uint8_t rd[SHM_SIG_MAX];
	size_t len; /* 0: none */
};

static int
sig_pick_cb(void *arg, const char *name, uint16_t covered, uint32_t variant, const uint8_t *rdata,
	    size_t len)
{
	struct sig_pick *g = arg;

	(void)name;
	if (covered == g->covered && variant == 0 && g->len == 0 && len <= sizeof(g->rd)) {
		memcpy(g->rd, rdata, len);
		g->len = len;
	}
	return 0;
}

struct bin_build {
	struct signer *s;
	uint8_t *data;
	size_t len;
	uint16_t count;
	char owner[SHM_NAME_MAX * 2];
	const char *zone;
	int err;
	struct sig_pick sig; /* the RRSIG of the row being added */
};

static int
bin_row(void *arg, const struct db_chain *row)
{
	struct bin_build *b = arg;
	size_t item;
	uint16_t l, nl;
	int rc;

	if (row->rdlen == 0)
		return 0;
	signer_nsec3_owner(row->key, b->zone, b->owner, sizeof(b->owner));
	b->sig.len = 0;
	if ((rc = db_dnssec_sigs_of_name(b->s->db, b->owner, sig_pick_cb, &b->sig)) < 0)
		return rc;
	if (b->sig.len == 0)
		return 0;
	item = NSEC3_HASH_LEN + 2 + row->rdlen + b->sig.len;
	if (b->len + 2 + item > SHM_ENTRY_MAX - 64) {
		b->err = DD_ETOOBIG;
		return 0;
	}
	l = (uint16_t)item;
	nl = (uint16_t)row->rdlen;
	memcpy(b->data + b->len, &l, 2);
	memcpy(b->data + b->len + 2, row->key, NSEC3_HASH_LEN);
	memcpy(b->data + b->len + 2 + NSEC3_HASH_LEN, &nl, 2);
	memcpy(b->data + b->len + 4 + NSEC3_HASH_LEN, row->rdata, row->rdlen);
	memcpy(b->data + b->len + 4 + NSEC3_HASH_LEN + row->rdlen, b->sig.rd, b->sig.len);
	b->len += 2 + item;
	b->count++;
	return 0;
}

/* NSEC3 bin `bin` of zone z into the table from the store. */
static int
signer_bin_publish(struct signer *s, unsigned z, unsigned bin)
{
	struct signer_zone *sz = &s->z[z];
	struct bin_build b;
	struct shm_zone_copy *zc = (struct shm_zone_copy *)(void *)s->ebuf;
	struct shm_rrset_in rr;
	uint8_t wire[SHM_NAME_MAX];
	size_t wl = shm_nsec3_bin_name(sz->apex, sz->apex_len, bin, wire);
	int rc;

	memset(&b, 0, sizeof(b));
	b.s = s;
	b.data = s->sigdata;
	b.zone = sz->cz->name;
	b.sig.covered = DNS_TYPE_NSEC3;
	if (wl == 0)
		return DD_EINVAL;
	if ((rc = db_chain_bin(s->db, sz->cz->name, bin, bin_row, &b)) < 0)
		return rc;
	if (b.err)
		log_warnx("zone %s: NSEC3 bin %u exceeds %d bytes: its last records are not "
			  "served",
			  sz->cz->name, bin, SHM_ENTRY_MAX);
	if (b.count == 0) {
		shm_zone_nsec3_bin_mark(s->t, z, bin, false);
		rc = shm_table_del(s->t, wire, wl);
		return rc == DD_ENOENT ? 0 : rc;
	}
	if (shm_zone_get(s->t, z, zc) < 0)
		return DD_EINVAL;
	rr = (struct shm_rrset_in){SHM_TYPE_NSEC3BIN, b.count,
				   zc->soa.minimum < zc->soa.ttl ? zc->soa.minimum : zc->soa.ttl,
				   b.data, b.len};
	if ((rc = shm_table_put(s->t, z, wire, wl, &rr, 1)) < 0)
		return rc;
	shm_zone_nsec3_bin_mark(s->t, z, bin, true);
	return 0;
}

/* NSEC: owner's node from its chain row and RRSIG (removed when it has none). */
static int
signer_node_publish(struct signer *s, unsigned z, const char *owner)
{
	struct signer_zone *sz = &s->z[z];
	struct db_chain row;
	struct sig_pick g = {.covered = DNS_TYPE_NSEC};
	uint8_t ow[SHM_NAME_MAX];
	int wl = signer_wire(owner, ow), rc;

	if (wl <= 0)
		return DD_EINVAL;
	rc = db_chain_by_name(s->db, owner, &row);
	if (rc < 0 && rc != DD_ENOENT)
		return rc;
	if (rc == 0 && row.rdlen > 0 &&
	    (rc = db_dnssec_sigs_of_name(s->db, owner, sig_pick_cb, &g)) < 0)
		return rc;
	if (rc == DD_ENOENT || row.rdlen == 0 || g.len == 0)
		return shm_nsec_del(s->t, z, sz->apex, sz->apex_len, ow, (size_t)wl);
	return shm_nsec_put(s->t, z, sz->apex, sz->apex_len, ow, (size_t)wl, row.rdata, row.rdlen,
			    g.rd, g.len);
}

/* The table build's pass over an NSEC chain, last row first. */
struct node_build {
	struct signer *s;
	unsigned z;
	struct shm_nsec_builder b;
	size_t n;
};

static int
node_build_row(void *arg, const struct db_chain *row)
{
	struct node_build *nb = arg;
	struct signer_zone *sz = &nb->s->z[nb->z];
	struct sig_pick g = {.covered = DNS_TYPE_NSEC};
	uint8_t ow[SHM_NAME_MAX];
	int wl = signer_wire(row->name, ow), rc;

	if (wl <= 0 || row->rdlen == 0)
		return 0;
	if ((rc = db_dnssec_sigs_of_name(nb->s->db, row->name, sig_pick_cb, &g)) < 0)
		return rc;
	if (g.len == 0)
		return 0;
	nb->n++;
	return shm_nsec_build_add(&nb->b, nb->s->t, nb->z, sz->apex, sz->apex_len, ow, (size_t)wl,
				  row->rdata, row->rdlen, g.rd, g.len);
}

/* Every node of NSEC zone z into a table that has none of them yet. */
static int
signer_nodes_build(struct signer *s, unsigned z)
{
	struct node_build *nb = calloc(1, sizeof(*nb));
	int rc;

	if (nb == NULL)
		return DD_ENOMEM;
	nb->s = s;
	nb->z = z;
	shm_nsec_build_init(&nb->b);
	rc = db_chain_all(s->db, s->z[z].cz->name, true, node_build_row, nb);
	free(nb);
	return rc;
}

/*
 * NSEC zone z's nodes of this group: new ones first (linked in before a
 * record points at them), then changed ones, then the ones that went
 * (after no record points at them).
 */
static int
signer_nodes_publish(struct signer *s, unsigned z)
{
	struct signer_zone *sz = &s->z[z];
	uint8_t *pass = sz->nnodes ? calloc(sz->nnodes, 1) : NULL;
	int rc = 0;

	if (sz->nnodes && pass == NULL)
		return DD_ENOMEM;
	for (size_t i = 0; i < sz->nnodes; i++) {
		struct db_chain row;
		uint8_t ow[SHM_NAME_MAX];
		int wl = signer_wire(sz->nodes[i], ow);
		int r = db_chain_by_name(s->db, sz->nodes[i], &row);
		if (wl <= 0 || (r < 0 && r != DD_ENOENT)) {
			rc = r < 0 ? r : DD_EINVAL;
			break;
		}
		pass[i] = r == DD_ENOENT ? 2
			  : shm_nsec_has(s->t, sz->apex, sz->apex_len, ow, (size_t)wl) ? 1 : 0;
	}
	for (uint8_t p = 0; p < 3 && rc == 0; p++)
		for (size_t i = 0; i < sz->nnodes && rc == 0; i++)
			if (pass[i] == p)
				rc = signer_node_publish(s, z, sz->nodes[i]);
	free(pass);
	sz->nnodes = 0;
	return rc;
}

int
signer_publish(struct signer *s)
{
	int rc = 0, r;

	for (size_t z = 0; s && z < s->nz; z++) {
		struct signer_zone *sz = &s->z[z];
		if (!sz->on)
			continue;
		if (sz->apex_dirty) {
			sz->apex_dirty = false;
			if ((r = signer_overlay(s, (unsigned)z, sz->cz->name, NULL)) < 0 && rc == 0)
				rc = r;
		}
		for (size_t i = 0; i < sz->nbins; i++)
			if ((r = signer_bin_publish(s, (unsigned)z, sz->bins[i])) < 0 && rc == 0)
				rc = r;
		sz->nbins = 0;
		if (sz->nodes_build) {
			/* the background signing ended: every node at once */
			sz->nodes_build = false;
			sz->nnodes = 0;
			if ((r = signer_nodes_build(s, (unsigned)z)) < 0 && rc == 0)
				rc = r;
		} else if (sz->signing) {
			sz->nnodes = 0; /* linked in when the signing ends */
		} else if ((r = signer_nodes_publish(s, (unsigned)z)) < 0 && rc == 0) {
			rc = r;
		}
	}
	return rc;
}

int
signer_zone_slot(struct signer *s, unsigned z, uint32_t serial)
{
	struct sig_pick g = {.covered = DNS_TYPE_SOA};
	int rc;

	/* a zone being signed in the background is served unsigned until done */
	if (!signer_zone_on(s, z) || s->z[z].signing)
		return s && s->t ? shm_zone_set_serial(s->t, z, serial) : DD_EINVAL;
	if ((rc = db_dnssec_sigs_of_name(s->db, s->z[z].cz->name, sig_pick_cb, &g)) < 0)
		return rc;
	return shm_zone_set_serial_sig(s->t, z, serial, g.rd, g.len, s->z[z].nsec);
}

/* --------------------------------------------------------------- whole zones */

struct name_list {
	char **v;
	size_t n, cap;
	const char *zone;
	size_t zlen;
	char last[256];
};

/* True if name is zone or below it. */
static bool
signer_in_zone(const char *name, const char *zone, size_t zlen)
{
	size_t n = strlen(name);

	return n == zlen ? strcmp(name, zone) == 0
			 : n > zlen && name[n - zlen - 1] == '.' && strcmp(name + n - zlen, zone) == 0;
}

static int
name_list_add(struct name_list *l, const char *name)
{
	if (strcmp(name, l->last) == 0)
		return 0;
	snprintf(l->last, sizeof(l->last), "%s", name);
	if (signer_grow((void **)&l->v, &l->cap, l->n, sizeof(char *)) < 0 ||
	    (l->v[l->n] = strdup(name)) == NULL)
		return DD_ENOMEM;
	l->n++;
	return 0;
}

static int
name_list_row(void *arg, const char *name, const char *type, const char *value, int64_t ttl)
{
	struct name_list *l = arg;

	(void)type;
	(void)value;
	(void)ttl;
	return signer_in_zone(name, l->zone, l->zlen) ? name_list_add(l, name) : 0;
}

/* The pools of the zone of l, whose names may have no record. */
static int
signer_pool_names(struct signer *s, struct name_list *l)
{
	struct pooldb_def *defs = NULL;
	size_t n = 0;
	int rc = pooldb_load(s->db, NULL, &defs, &n);

	for (size_t i = 0; i < n && rc == 0; i++)
		if (signer_in_zone(defs[i].name, l->zone, l->zlen)) {
			l->last[0] = '\0'; /* not in the records' order: no duplicate check */
			rc = name_list_add(l, defs[i].name);
		}
	free(defs);
	return rc;
}

static void
name_list_free(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/*
 * Zone z signed in one transaction: every name when fresh, else the apex;
 * the serial moves and the journal is forgotten (it cannot describe what
 * changed here: secondaries further behind take the whole zone).
 */
static int
signer_prepare_zone(struct signer *s, unsigned z, bool fresh, const char *fp, size_t *names)
{
	struct signer_zone *sz = &s->z[z];
	struct name_list l = {.zone = sz->cz->name, .zlen = strlen(sz->cz->name)};
	uint32_t old, next;
	bool stamped = false;
	int rc;

	if ((rc = db_txn(s->db, DB_BEGIN_IMMEDIATE)) < 0)
		return rc;
	if (fresh)
		rc = db_records_foreach(s->db, name_list_row, &l);
	if (fresh && rc == 0)
		rc = signer_pool_names(s, &l);
	/* the apex first: its RRSIGs, and the chain starts there */
	if (rc == 0)
		rc = signer_name(s, z, sz->cz->name);
	for (size_t i = 0; i < l.n && rc == 0; i++)
		if (strcmp(l.v[i], sz->cz->name) != 0)
			rc = signer_name(s, z, l.v[i]);
	if (rc == 0)
		rc = signer_zone_finish(s, z);
	if (rc == 0)
		rc = db_journal_serial_bump(s->db, sz->cz->name, DB_SERIAL_NEXT, 0, &old, &next,
					    &stamped);
	if (rc == 0)
		rc = signer_soa(s, z, next);
	if (rc == 0)
		rc = db_journal_forget(s->db, sz->cz->name);
	if (rc == 0)
		rc = db_dnssec_zone_set(s->db, sz->cz->name, sz->alg, signer_denial(sz), fp);
	if (rc == 0)
		rc = db_txn(s->db, DB_COMMIT);
	else
		db_txn(s->db, DB_ROLLBACK);
	*names = l.n;
	name_list_free(&l);
	sz->nbins = 0; /* signer_load publishes every bin and node */
	sz->nnodes = 0;
	sz->apex_dirty = false;
	return rc;
}

int
signer_prepare(struct signer *s)
{
	int rc = 0;

	for (size_t z = 0; s && z < s->nz && rc == 0; z++) {
		struct signer_zone *sz = &s->z[z];
		char fp[DB_APEX_FP], old_fp[DB_APEX_FP] = "";
		uint8_t alg;
		bool fresh;
		size_t names = 0;
		int64_t rows;
		struct timespec t0, t1;

		if (!sz->on)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fresh = db_dnssec_zone(s->db, sz->cz->name, &alg, NULL, old_fp) == DD_ENOENT;
		if ((rc = signer_apex_fp(s, (unsigned)z, fp)) < 0)
			break;
		if (!fresh && strcmp(fp, old_fp) == 0)
			continue; /* signed as it is */
		if (sz->signing)
			continue; /* the writer goes on signing it */
		if (fresh && (rows = db_dnssec_zone_rows(s->db, sz->cz->name)) > SIGNER_AT_START) {
			/* served unsigned meanwhile: the writer signs it in steps */
			if ((rc = db_dnssec_zone_set(s->db, sz->cz->name, sz->alg, signer_denial(sz), "")) ==
				    0 &&
			    (rc = db_dnssec_zone_pending_set(s->db, sz->cz->name, "")) == 0) {
				sz->signing = true;
				log_info("zone %s: %lld records to sign: served unsigned while they are "
					 "signed in the background",
					 sz->cz->name, (long long)rows);
			}
			continue;
		}
		rc = signer_prepare_zone(s, (unsigned)z, fresh, fp, &names);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rc < 0)
			log_warnx("zone %s: signing failed: %s", sz->cz->name, dd_strerror(rc));
		else if (fresh)
			log_info("zone %s signed: %zu names, %lld %s records, algorithm %u, "
				 "%.2f s",
				 sz->cz->name, names, (long long)db_chain_count(s->db, sz->cz->name),
				 sz->nsec ? "NSEC" : "NSEC3", sz->alg,
				 (double)(t1.tv_sec - t0.tv_sec) +
					 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		else
			log_info("zone %s: its apex (NS, SOA or DNSKEY) changed and was signed again",
				 sz->cz->name);
	}
	return rc;
}

struct bin_list {
	unsigned last;
	int err;
	struct signer *s;
	unsigned z;
};

static int
bin_list_row(void *arg, const struct db_chain *row)
{
	struct bin_list *b = arg;
	unsigned bin = signer_bin_of(row->key);

	if (bin == b->last)
		return 0;
	b->last = bin;
	return signer_bin_add(&b->s->z[b->z], bin);
}

/* signer_load's walk: the RRSIGs of the name being collected. */
struct load_walk {
	struct signer *s;
	unsigned z;
	char name[256];
	struct sig_collect c;
};

static int
load_flush(struct load_walk *lw)
{
	int rc = lw->c.count || lw->c.pcount ? signer_overlay(lw->s, lw->z, lw->name, &lw->c) : 0;

	lw->c.len = lw->c.plen = 0;
	lw->c.count = lw->c.pcount = 0;
	lw->c.err = 0;
	return rc;
}

static int
load_sig(void *arg, const char *name, uint16_t covered, uint32_t variant, const uint8_t *rdata,
	 size_t len)
{
	struct load_walk *lw = arg;
	int rc = 0;

	/* NSEC3 records' RRSIGs go into their bins, NSEC records' into their nodes */
	if (covered == DNS_TYPE_NSEC3 || covered == DNS_TYPE_NSEC)
		return 0;
	if (strcmp(name, lw->name) != 0) {
		if (lw->name[0] && (rc = load_flush(lw)) < 0)
			return rc;
		snprintf(lw->name, sizeof(lw->name), "%s", name);
		/* a wildcard's own entry holds no pool's sets */
		lw->c.no_sets = name[0] == '*' && name[1] == '.';
	}
	return signer_sig_add(&lw->c, name, covered, variant, rdata, len);
}

int
signer_load(struct signer *s)
{
	int rc = 0;

	for (size_t z = 0; s && z < s->nz && rc == 0; z++) {
		struct signer_zone *sz = &s->z[z];
		struct load_walk lw;
		struct bin_list bl = {.last = SHM_NSEC3_BINS, .s = s, .z = (unsigned)z};
		uint32_t serial;

		memset(&lw, 0, sizeof(lw));

		if (!sz->on)
			continue;
		/* one walk over the RRSIGs in name order, each name's put as it ends */
		lw.s = s;
		lw.z = (unsigned)z;
		lw.c.data = s->sigdata;
		lw.c.pdata = s->sigdata + SIGNER_SIGS_ROOM;
		rc = db_dnssec_sigs_of_zone(s->db, sz->cz->name, load_sig, &lw);
		if (rc == 0 && lw.name[0])
			rc = load_flush(&lw);
		/* the apex: its DNSKEY and NSEC3PARAM RRsets, RRSIGs or not */
		if (rc == 0)
			rc = signer_overlay(s, (unsigned)z, sz->cz->name, NULL);
		sz->nbins = 0;
		sz->nnodes = 0;
		if (rc == 0 && !sz->nsec)
			rc = db_chain_all(s->db, sz->cz->name, false, bin_list_row, &bl);
		/* NSEC: a zone still being signed gets its nodes when that ends */
		if (rc == 0 && sz->nsec && !sz->signing)
			rc = signer_nodes_build(s, (unsigned)z);
		if (rc == 0)
			rc = signer_publish(s);
		/* the stored serial: signing the zone may have moved it */
		if (rc == 0 && (rc = db_zone_sync(s->db, sz->cz->name, &serial)) == 0)
			rc = signer_zone_slot(s, (unsigned)z, serial);
	}
	return rc;
}

/* --------------------------------------------------------------- refresh */

struct due {
	struct signer *s;
	struct signer_zone *sz;
	int (*cb)(void *arg, const char *name);
	void *arg;
	char last[256];
	int err;
};

static int
due_sig(void *arg, const char *name, uint16_t covered, uint32_t variant, const uint8_t *rdata,
	size_t len)
{
	struct due *d = arg;
	uint8_t key[DB_CHAIN_KEY_MAX];
	int kl;

	(void)rdata;
	(void)len;
	if (covered == DNS_TYPE_NSEC3) {
		if (dnssec_b32hex_decode(name, NSEC3_B32_LEN, key, sizeof(key)) != NSEC3_HASH_LEN)
			return 0;
		return signer_touch(d->sz, key, NSEC3_HASH_LEN, NULL, true);
	}
	if (covered == DNS_TYPE_NSEC) {
		uint8_t w[SHM_NAME_MAX];
		int wl = signer_wire(name, w);
		if (wl <= 0 || (kl = dnssec_canon_key(w, (size_t)wl, key)) < 0)
			return 0;
		return signer_touch(d->sz, key, (size_t)kl, name, true);
	}
	/* a prefixMatch pool's "*.NAME" sets are the pool's to sign */
	if (variant != 0 && name[0] == '*' && name[1] == '.')
		name += 2;
	if (strcmp(name, d->last) == 0)
		return 0;
	snprintf(d->last, sizeof(d->last), "%s", name);
	return d->cb(d->arg, name);
}

/* RRSIGs are made again when a third of their validity is left. */
static int64_t
signer_refresh_at(const struct signer_zone *sz)
{
	return signer_now() + (int64_t)sz->cz->dnssec.signature_validity / 3;
}

int
signer_due_any(struct signer *s, unsigned z)
{
	if (!signer_zone_on(s, z))
		return 0;
	return db_dnssec_sigs_due(s->db, s->z[z].cz->name, signer_refresh_at(&s->z[z]),
				  s->z[z].retired_tag);
}

int64_t
signer_due_count(struct signer *s, unsigned z)
{
	if (!signer_zone_on(s, z))
		return 0;
	return db_dnssec_sigs_pending(s->db, s->z[z].cz->name, signer_refresh_at(&s->z[z]));
}

int
signer_due(struct signer *s, unsigned z, int max, int (*cb)(void *arg, const char *name),
	   void *arg)
{
	struct due d = {.s = s, .cb = cb, .arg = arg};

	if (!signer_zone_on(s, z))
		return 0;
	d.sz = &s->z[z];
	/* a retired ZSK's RRSIGs are due too: the rollover waits for them */
	return db_dnssec_sigs_expiring(s->db, d.sz->cz->name, signer_refresh_at(d.sz),
				       d.sz->retired_tag, max, due_sig, &d);
}

/* --------------------------------------------------------------- background signing */

struct sign_step {
	struct signer *s;
	struct signer_zone *sz;
	int (*cb)(void *arg, const char *name);
	void *arg;
	char last[256];
	int n;
};

static int
sign_step_name(void *arg, const char *name)
{
	struct sign_step *st = arg;

	snprintf(st->last, sizeof(st->last), "%s", name);
	st->n++;
	if (!signer_in_zone(name, st->sz->cz->name, strlen(st->sz->cz->name)))
		return 0;
	return st->cb(st->arg, name);
}

bool
signer_signing(const struct signer *s, unsigned z)
{
	return signer_zone_on(s, z) && s->z[z].signing;
}

int
signer_sign_step(struct signer *s, unsigned z, int max, int (*cb)(void *arg, const char *name),
		 void *arg)
{
	struct sign_step st = {.s = s, .cb = cb, .arg = arg};
	char cursor[256];
	int rc;

	if (!signer_signing(s, z) || s->z[z].complete)
		return 0;
	st.sz = &s->z[z];
	if ((rc = db_dnssec_zone_pending(s->db, st.sz->cz->name, cursor, sizeof(cursor))) < 0)
		return rc == DD_ENOENT ? 0 : rc;
	if ((rc = db_dnssec_names_after(s->db, cursor, max, sign_step_name, &st)) < 0)
		return rc;
	if (st.n == max)
		return db_dnssec_zone_pending_set(s->db, st.sz->cz->name, st.last) < 0 ? DD_EDB : 1;
	/* the records are done: the pools' names, the apex, and the zone is signed */
	{
		struct name_list l = {.zone = st.sz->cz->name, .zlen = strlen(st.sz->cz->name)};
		rc = signer_pool_names(s, &l);
		for (size_t i = 0; i < l.n && rc == 0; i++)
			rc = cb(arg, l.v[i]);
		name_list_free(&l);
	}
	if (rc == 0)
		rc = cb(arg, st.sz->cz->name);
	if (rc == 0)
		st.sz->complete = true;
	return rc;
}

/* --------------------------------------------------------------- rollover */

/* Reads zone sz's keys again (a rollover moved one). */
static int
signer_keys_reload(struct signer *s, struct signer_zone *sz)
{
	struct db_dnskey k[DB_KEYS_MAX];
	size_t n = 0;
	int rc = db_dnssec_keys(s->db, sz->cz->name, k, DB_KEYS_MAX, &n);

	if (rc == 0)
		rc = signer_keys_use(sz, k, n);
	for (size_t i = 0; i < n; i++)
		sodium_memzero(k[i].priv, sizeof(k[i].priv));
	return rc;
}

int
signer_roll_start(struct signer *s, unsigned z, bool ksk)
{
	struct db_dnskey k[DB_KEYS_MAX];
	struct signer_zone *sz;
	size_t n = 0;
	int rc;

	const char *role = ksk ? DB_KEY_KSK : DB_KEY_ZSK;

	if (!signer_zone_on(s, z))
		return DD_EINVAL;
	sz = &s->z[z];
	if ((rc = db_dnssec_keys(s->db, sz->cz->name, k, DB_KEYS_MAX, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		bool busy = strcmp(k[i].role, role) == 0 && strcmp(k[i].state, DB_KEY_ACTIVE) != 0;
		sodium_memzero(k[i].priv, sizeof(k[i].priv));
		if (busy)
			return DD_EEXIST; /* a rollover is under way */
	}
	/* ZSK: pre-publication; KSK: double-DS, the new DS first */
	if ((rc = signer_key_make(s, sz, role, ksk ? DB_KEY_DS_ONLY : DB_KEY_PUBLISHED)) < 0)
		return rc;
	sz->journal_reset = !ksk; /* a new ZSK joins the DNSKEY RRset now */
	return signer_keys_reload(s, sz);
}

/*
 * RFC 7583 3.3.2 (double-DS), key i of k: a new KSK shown only as a DS
 * takes over once the parent's DS TTL and the propagation delay have
 * passed (the old KSK leaves the DNSKEY RRset at once: both DS are at the
 * parent); the old KSK's DS may leave the parent after the DNSKEY TTL and
 * the delay.  1 when the DNSKEY RRset changed.
 */
static int
signer_ksk_step(struct signer *s, struct signer_zone *sz, const struct db_dnskey *k, size_t n,
		size_t i, int64_t now)
{
	const struct cfg_zone *cz = sz->cz;
	int rc = 0;

	if (strcmp(k[i].state, DB_KEY_DS_ONLY) == 0 &&
	    now >= k[i].state_at + (int64_t)(cz->dnssec.parent_ds_ttl + cz->dnssec.propagation_delay)) {
		for (size_t j = 0; j < n && rc == 0; j++)
			if (j != i && strcmp(k[j].role, DB_KEY_KSK) == 0 &&
			    strcmp(k[j].state, DB_KEY_ACTIVE) == 0)
				rc = db_dnssec_key_state(s->db, k[j].id, DB_KEY_INACTIVE);
		if (rc == 0)
			rc = db_dnssec_key_state(s->db, k[i].id, DB_KEY_ACTIVE);
		if (rc == 0)
			log_info("zone %s: KSK %u signs the DNSKEY RRset (rollover)", cz->name,
				 k[i].keytag);
		return rc < 0 ? rc : 1;
	}
	if (strcmp(k[i].state, DB_KEY_INACTIVE) == 0 &&
	    now >= k[i].state_at + (int64_t)(cz->dnssec.dnskey_ttl + cz->dnssec.propagation_delay)) {
		if ((rc = db_dnssec_key_state(s->db, k[i].id, DB_KEY_REMOVED)) < 0)
			return rc;
		log_info("zone %s: KSK %u retired; rollover done: remove its DS from the parent zone",
			 cz->name, k[i].keytag);
	}
	return 0;
}

int
signer_roll_step(struct signer *s, unsigned z)
{
	struct db_dnskey k[DB_KEYS_MAX];
	struct signer_zone *sz;
	size_t n = 0;
	int64_t now = signer_now(), ipub, iret, maxttl;
	bool changed = false;
	int rc;

	if (!signer_zone_on(s, z))
		return 0;
	sz = &s->z[z];
	if ((rc = db_dnssec_keys(s->db, sz->cz->name, k, DB_KEYS_MAX, &n)) < 0)
		return rc;
	/* RFC 7583 3.2.1: the new key is published for the DNSKEY TTL and the
	 * propagation delay before it signs; the old one stays until its last
	 * RRSIG is replaced and the zone's largest TTL has passed again */
	ipub = (int64_t)(sz->cz->dnssec.dnskey_ttl + sz->cz->dnssec.propagation_delay);
	for (size_t i = 0; i < n && rc == 0; i++) {
		sodium_memzero(k[i].priv, sizeof(k[i].priv));
		if (strcmp(k[i].role, DB_KEY_KSK) == 0) {
			int r = signer_ksk_step(s, sz, k, n, i, now);
			if (r < 0)
				rc = r;
			changed |= r > 0;
			continue;
		}
		if (strcmp(k[i].state, DB_KEY_PUBLISHED) == 0 && now >= k[i].state_at + ipub) {
			for (size_t j = 0; j < n && rc == 0; j++)
				if (j != i && strcmp(k[j].role, DB_KEY_ZSK) == 0 &&
				    strcmp(k[j].state, DB_KEY_ACTIVE) == 0) {
					rc = db_dnssec_key_state(s->db, k[j].id, DB_KEY_RETIRED);
					log_info("zone %s: ZSK %u retired: its RRSIGs are replaced",
						 sz->cz->name, k[j].keytag);
				}
			if (rc == 0)
				rc = db_dnssec_key_state(s->db, k[i].id, DB_KEY_ACTIVE);
			if (rc == 0)
				log_info("zone %s: ZSK %u active (rollover)", sz->cz->name,
					 k[i].keytag);
			changed = true;
		} else if (strcmp(k[i].state, DB_KEY_RETIRED) == 0 &&
			   db_dnssec_sigs_by_key(s->db, sz->cz->name, k[i].keytag) == 0) {
			rc = db_dnssec_key_state(s->db, k[i].id, DB_KEY_INACTIVE);
			log_info("zone %s: ZSK %u signs nothing any more", sz->cz->name,
				 k[i].keytag);
		} else if (strcmp(k[i].state, DB_KEY_INACTIVE) == 0) {
			maxttl = db_dnssec_max_ttl(s->db, sz->cz->name, (int64_t)sz->cz->ttl);
			if (maxttl < 0)
				return (int)maxttl;
			if ((int64_t)sz->cz->dnssec.dnskey_ttl > maxttl)
				maxttl = (int64_t)sz->cz->dnssec.dnskey_ttl;
			if ((int64_t)sz->cz->soa.minimum > maxttl)
				maxttl = (int64_t)sz->cz->soa.minimum;
			iret = maxttl + (int64_t)sz->cz->dnssec.propagation_delay;
			if (now >= k[i].state_at + iret) {
				rc = db_dnssec_key_state(s->db, k[i].id, DB_KEY_REMOVED);
				log_info("zone %s: ZSK %u removed from the DNSKEY RRset; rollover "
					 "done",
					 sz->cz->name, k[i].keytag);
				changed = true;
			}
		}
	}
	if (rc == 0 && changed) {
		rc = signer_keys_reload(s, sz);
		sz->journal_reset = true;
	}
	return rc < 0 ? rc : changed;
}

/* --------------------------------------------------------------- ddnsctl */

/*
 * The DS records of every KSK the parent may hold now: the active one, a new
 * one waiting for its DS (double-DS), an old one whose DS may not go yet.
 */
static int
signer_ds_text(struct signer *s, struct signer_zone *sz, char *out, size_t outsz)
{
	struct db_dnskey k[DB_KEYS_MAX];
	size_t n = 0, pos = 0;
	int rc = db_dnssec_keys(s->db, sz->cz->name, k, DB_KEYS_MAX, &n);

	for (size_t i = 0; i < n && rc >= 0; i++) {
		uint8_t rd[4 + DB_DNSKEY_MAX], dsrd[4 + 64];
		size_t rl;
		int dl, m;
		sodium_memzero(k[i].priv, sizeof(k[i].priv));
		if (strcmp(k[i].role, DB_KEY_KSK) != 0)
			continue;
		rl = dnssec_dnskey_rdata(DNSKEY_FLAG_ZONE | DNSKEY_FLAG_SEP, k[i].alg, k[i].pub,
					 k[i].publen, rd, sizeof(rd));
		dl = rl ? dnssec_ds_rdata(sz->apex, sz->apex_len, rd, rl, dsrd, sizeof(dsrd))
			: DD_EINVAL;
		if (dl < 0) {
			rc = dl;
			break;
		}
		m = dnssec_rr_text(sz->apex, sz->apex_len, (uint32_t)sz->cz->dnssec.dnskey_ttl,
				   DNS_TYPE_DS, dsrd, (size_t)dl, out + pos, outsz - pos);
		if (m < 0 || pos + (size_t)m + 2 > outsz) {
			rc = DD_ENOSPC;
			break;
		}
		pos += (size_t)m;
		out[pos++] = '\n';
		out[pos] = '\0';
	}
	return rc < 0 ? rc : (int)pos;
}

int
signer_keys_text(struct signer *s, unsigned z, bool ds, char *out, size_t outsz)
{
	struct signer_zone *sz;
	size_t pos = 0, p = 0;

	if (!signer_zone_on(s, z))
		return DD_ENOENT;
	sz = &s->z[z];
	if (outsz)
		out[0] = '\0';
	if (ds)
		return signer_ds_text(s, sz, out, outsz);
	for (uint16_t i = 0; i < sz->ndnskey; i++) {
		uint16_t rdlen;
		const uint8_t *rd;
		int n;
		memcpy(&rdlen, sz->dnskey + p, 2);
		rd = sz->dnskey + p + 2;
		p += 2 + rdlen;
		n = dnssec_rr_text(sz->apex, sz->apex_len, (uint32_t)sz->cz->dnssec.dnskey_ttl,
				   DNS_TYPE_DNSKEY, rd, rdlen, out + pos, outsz - pos);
		if (n < 0 || pos + (size_t)n + 2 > outsz)
			return DD_ENOSPC;
		pos += (size_t)n;
		out[pos++] = '\n';
		out[pos] = '\0';
	}
	return (int)pos;
}
