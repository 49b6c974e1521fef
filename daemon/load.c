/* load.c - SQLite rows -> shared-memory entries, one name at a time. */
#include "daemon/load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/pooldb.h"
#include "dns/dname.h"
#include "dns/rdata.h"
#include "shm/table.h"

#define LOAD_RRSETS_MAX 8
#define LOAD_DATA_MAX   SHM_ENTRY_MAX

/* Accumulates the rows of one owner name until the name changes. */
struct load_ctx {
	const struct cfg *cfg;
	struct shm_table *t;
	struct load_stats *st;
	char name[256];
	int zone;
	uint8_t wire[SHM_NAME_MAX];
	size_t wire_len;
	size_t nrrsets;
	struct shm_rrset_in rr[LOAD_RRSETS_MAX];
	size_t rr_off[LOAD_RRSETS_MAX];
	uint8_t data[LOAD_DATA_MAX];
	size_t data_len;
	int error;
	struct pooldb_def *pools; /* sorted by name; NULL: none */
	size_t npools;
};

static const struct {
	const char *name;
	uint16_t type;
} load_types[] = {{"A", 1}, {"CNAME", 5}, {"TXT", 16}, {"AAAA", 28}};

static int
load_type_parse(const char *s, uint16_t *type)
{
	for (size_t i = 0; i < sizeof(load_types) / sizeof(load_types[0]); i++) {
		if (strcasecmp(s, load_types[i].name) == 0) {
			*type = load_types[i].type;
			return 0;
		}
	}
	return DD_EINVAL;
}

/* A pool defined at the current name joins its entry as one private rrset. */
static void
load_add_pool(struct load_ctx *lc)
{
	struct pooldb_def *d = lc->pools ? pooldb_find(lc->pools, lc->npools, lc->name) : NULL;
	struct shm_rrset_in *rr;
	uint16_t len;

	if (d == NULL || d->used || lc->nrrsets == LOAD_RRSETS_MAX ||
	    lc->data_len + 2 + d->len > sizeof(lc->data))
		return;
	d->used = true;
	rr = &lc->rr[lc->nrrsets];
	lc->rr_off[lc->nrrsets++] = lc->data_len;
	memset(rr, 0, sizeof(*rr));
	rr->type = SHM_TYPE_POOL;
	rr->count = 1;
	rr->ttl = ((const struct pool_def *)(const void *)d->data)->ttl;
	rr->data_len = 2 + d->len;
	len = (uint16_t)d->len;
	memcpy(lc->data + lc->data_len, &len, 2);
	memcpy(lc->data + lc->data_len + 2, d->data, d->len);
	lc->data_len += 2 + d->len;
}

static int
load_flush(struct load_ctx *lc)
{
	int rc;

	if (lc->zone >= 0)
		load_add_pool(lc);
	if (lc->nrrsets == 0)
		return 0;
	for (size_t i = 0; i < lc->nrrsets; i++)
		lc->rr[i].data = lc->data + lc->rr_off[i];
	rc = shm_table_put(lc->t, (unsigned)lc->zone, lc->wire, lc->wire_len, lc->rr,
			   lc->nrrsets);
	if (rc == DD_ENOSPC) {
		log_warnx("table full at %zu names (table.capacity %u): raise table.capacity "
			  "or table.data_bytes",
			  lc->st->names, shm_table_capacity(lc->t));
		return rc;
	}
	if (rc < 0) {
		log_warnx("record %s: %s; skipped", lc->name, dd_strerror(rc));
		lc->st->skipped++;
		lc->error = rc;
	} else {
		lc->st->names++;
	}
	lc->nrrsets = 0;
	lc->data_len = 0;
	return 0;
}

/* Starts a new owner name: converts it and finds its zone. */
static int
load_begin_name(struct load_ctx *lc, const char *name)
{
	int n;

	snprintf(lc->name, sizeof(lc->name), "%s", name);
	lc->zone = -1;
	n = dns_dname_from_str(name, lc->wire, sizeof(lc->wire));
	if (n < 0)
		return n;
	lc->wire_len = (size_t)n;
	dns_dname_lower(lc->wire, lc->wire, lc->wire_len);
	lc->zone = shm_zone_find(lc->t, lc->wire, lc->wire_len);
	return lc->zone < 0 ? DD_ENOENT : 0;
}

static int
load_row(void *arg, const char *name, const char *type, const char *value, int64_t ttl)
{
	struct load_ctx *lc = arg;
	struct shm_rrset_in *rr;
	uint16_t t;
	int n, rc;

	if (strcmp(name, lc->name) != 0) {
		if ((rc = load_flush(lc)) < 0)
			return rc;
		rc = load_begin_name(lc, name);
		if (rc == DD_ENOENT)
			log_warnx("record %s %s: name is in no configured zone; skipped", name,
				  type);
		else if (rc < 0)
			log_warnx("record %s %s: invalid name; skipped", name, type);
	}
	if (lc->zone < 0 || load_type_parse(type, &t) < 0) {
		if (lc->zone >= 0)
			log_warnx("record %s: unsupported type %s; skipped", name, type);
		lc->st->skipped++;
		return 0;
	}
	if (lc->data_len + 2 > sizeof(lc->data))
		goto toobig;
	/* convert first: a bad value must not leave an empty rrset behind */
	n = dns_rdata_from_text(t, value, lc->data + lc->data_len + 2,
				sizeof(lc->data) - lc->data_len - 2);
	if (n < 0) {
		if (n == DD_ETOOBIG || n == DD_ENOSPC)
			goto toobig;
		log_warnx("record %s %s '%s': invalid value; skipped", name, type, value);
		lc->st->skipped++;
		return 0;
	}
	rr = lc->nrrsets ? &lc->rr[lc->nrrsets - 1] : NULL;
	if (rr == NULL || rr->type != t) {
		if (lc->nrrsets == LOAD_RRSETS_MAX) {
			lc->st->skipped++;
			return 0;
		}
		rr = &lc->rr[lc->nrrsets];
		lc->rr_off[lc->nrrsets++] = lc->data_len;
		memset(rr, 0, sizeof(*rr));
		rr->type = t;
		rr->ttl = UINT32_MAX;
	}
	{
		uint16_t rdlen = (uint16_t)n;
		memcpy(lc->data + lc->data_len, &rdlen, 2);
	}
	lc->data_len += 2 + (size_t)n;
	rr->data_len += 2 + (size_t)n;
	rr->count++;
	/* RFC 2181 5.2: one TTL per RRset; the smallest wins */
	{
		uint32_t v = ttl < 0 ? lc->cfg->zones[lc->zone].ttl
				     : (ttl > INT32_MAX ? (uint32_t)INT32_MAX : (uint32_t)ttl);
		if (v < rr->ttl)
			rr->ttl = v;
	}
	lc->st->records++;
	return 0;
toobig:
	log_warnx("record %s %s: the name's records exceed %d bytes; skipped", name, type,
		  LOAD_DATA_MAX);
	lc->st->skipped++;
	return 0;
}

/* Pools at names that have no records: entries of their own. */
static int
load_pool_names(struct load_ctx *lc)
{
	for (size_t i = 0; i < lc->npools; i++) {
		int rc;
		if (lc->pools[i].used)
			continue;
		lc->nrrsets = 0;
		lc->data_len = 0;
		if (load_begin_name(lc, lc->pools[i].name) < 0) {
			log_warnx("pool %s: in no configured zone; skipped", lc->pools[i].name);
			continue;
		}
		if ((rc = load_flush(lc)) < 0)
			return rc;
	}
	return 0;
}

/* Appends the wire form of presentation name nm to buf at *len. */
static int
load_ns_add(uint8_t *buf, size_t cap, size_t *len, const char *nm)
{
	int rc = dns_dname_from_str(nm, buf + *len, cap - *len);
	if (rc < 0)
		return rc;
	dns_dname_lower(buf + *len, buf + *len, (size_t)rc);
	*len += (size_t)rc;
	return 0;
}

/*
 * Zone slot i from cfg->zones[i]: apex, SOA and NS.  A secondary zone that
 * has been transferred uses its primary's SOA fields and NS names.
 */
int
load_zone_publish(struct shm_table *t, const struct cfg *cfg, struct db *db, unsigned i)
{
	const struct cfg_zone *z = &cfg->zones[i];
	struct shm_soa soa;
	uint8_t apex[SHM_NAME_MAX], ns[SHM_NS_MAX * SHM_NAME_MAX];
	size_t ns_len = 0, nns = z->nns < SHM_NS_MAX ? z->nns : SHM_NS_MAX;
	char *msoa = NULL, *mns = NULL;
	char mname[256], rname[256];
	const char *mn = z->soa.mname, *rn = z->soa.rname;
	int n, rc;

	memset(&soa, 0, sizeof(soa));
	rc = db_zone_sync(db, z->name, &soa.serial);
	if (rc < 0)
		return rc;
	if ((n = dns_dname_from_str(z->name, apex, sizeof(apex))) < 0)
		return n;
	dns_dname_lower(apex, apex, (size_t)n);
	soa.ttl = z->soa.minimum > z->ttl ? z->soa.minimum : z->ttl;
	soa.refresh = z->soa.refresh;
	soa.retry = z->soa.retry;
	soa.expire = z->soa.expire;
	soa.minimum = z->soa.minimum;
	if (z->primary && db_zone_meta(db, z->name, &msoa, &mns) == 0 &&
	    sscanf(msoa, "%255s %255s %u %u %u %u", mname, rname, &soa.refresh, &soa.retry,
		   &soa.expire, &soa.minimum) == 6) {
		mn = mname;
		rn = rname;
	}
	rc = dns_dname_from_str(mn, soa.mname, sizeof(soa.mname));
	if (rc < 0)
		goto done;
	soa.mname_len = (uint8_t)rc;
	rc = dns_dname_from_str(rn, soa.rname, sizeof(soa.rname));
	if (rc < 0)
		goto done;
	soa.rname_len = (uint8_t)rc;
	dns_dname_lower(soa.mname, soa.mname, soa.mname_len);
	dns_dname_lower(soa.rname, soa.rname, soa.rname_len);
	if (mn == mname && mns) {
		char *save = NULL;
		nns = 0;
		for (char *tok = strtok_r(mns, " ", &save); tok && nns < SHM_NS_MAX;
		     tok = strtok_r(NULL, " ", &save), nns++)
			if ((rc = load_ns_add(ns, sizeof(ns), &ns_len, tok)) < 0)
				goto done;
	} else {
		for (size_t k = 0; k < nns; k++)
			if ((rc = load_ns_add(ns, sizeof(ns), &ns_len, z->ns[k])) < 0)
				goto done;
	}
	rc = shm_zone_define(t, i, apex, (size_t)n, &soa, ns, ns_len, (unsigned)nns, z->ttl);
done:
	free(msoa);
	free(mns);
	return rc;
}

int
load_table(const struct cfg *cfg, struct db *db, struct shm_table **out, struct load_stats *st)
{
	struct shm_table_params p = {.capacity = cfg->table.capacity,
				     .data_bytes = cfg->table.data_bytes};
	struct shm_table *t = NULL;
	struct load_ctx *lc = NULL;
	int rc;

	*out = NULL;
	memset(st, 0, sizeof(*st));
	if (cfg->nzones > SHM_ZONES_MAX) {
		log_warnx("%zu zones configured; at most %d are supported", cfg->nzones,
			  SHM_ZONES_MAX);
		return DD_ERANGE;
	}
	if ((rc = shm_table_create(&t, &p)) < 0) {
		log_warnx("shared memory table (capacity %u): %s", p.capacity, dd_strerror(rc));
		return rc;
	}
	/* about 64 heap bytes per record: the pages the load is about to touch */
	shm_table_prefault(t, (uint64_t)(db_records_count(db) > 0 ? db_records_count(db) : 0) * 64);
	for (unsigned i = 0; i < cfg->nzones; i++) {
		if ((rc = load_zone_publish(t, cfg, db, i)) < 0) {
			log_warnx("zone %s: %s", cfg->zones[i].name, dd_strerror(rc));
			goto failed;
		}
	}
	st->zones = cfg->nzones;
	lc = calloc(1, sizeof(*lc));
	if (lc == NULL) {
		rc = DD_ENOMEM;
		goto failed;
	}
	lc->cfg = cfg;
	lc->t = t;
	lc->st = st;
	lc->zone = -1;
	if ((rc = pooldb_load(db, NULL, &lc->pools, &lc->npools)) < 0)
		goto failed;
	rc = db_records_foreach(db, load_row, lc);
	if (rc == 0)
		rc = load_flush(lc);
	rc = rc < 0 ? rc : load_pool_names(lc);
	if (rc < 0)
		goto failed;
	free(lc->pools);
	free(lc);
	*out = t;
	return 0;
failed:
	if (lc)
		free(lc->pools);
	free(lc);
	shm_table_destroy(t);
	return rc;
}

int
load_name_publish(struct shm_table *t, const struct cfg *cfg, struct db *db, const char *name)
{
	struct load_stats st;
	struct load_ctx *lc = calloc(1, sizeof(*lc));
	int rc;

	if (lc == NULL)
		return DD_ENOMEM;
	memset(&st, 0, sizeof(st));
	lc->cfg = cfg;
	lc->t = t;
	lc->st = &st;
	lc->zone = -1;
	rc = pooldb_load(db, name, &lc->pools, &lc->npools);
	if (rc == 0)
		rc = db_records_of_name(db, name, load_row, lc);
	if (rc == 0)
		rc = load_flush(lc);
	if (rc == 0)
		rc = load_pool_names(lc);
	if (rc == 0 && lc->error)
		rc = lc->error;
	if (rc == 0 && st.names == 0) {
		/* no rows left: the name goes (its children keep it as a non-terminal) */
		uint8_t wire[SHM_NAME_MAX];
		int n = dns_dname_from_str(name, wire, sizeof(wire));
		if (n > 0) {
			dns_dname_lower(wire, wire, (size_t)n);
			rc = shm_table_del(t, wire, (size_t)n);
			if (rc == DD_ENOENT)
				rc = 0;
		}
	}
	free(lc->pools);
	free(lc);
	return rc;
}
