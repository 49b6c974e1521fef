/*
 * entry.c - one owner name's rows -> one shared-table entry (see entry.h):
 * the conversion the start-up load (daemon/load.c) and the writer's publish
 * (workers/writer_publish.c) share.
 */
#include "daemon/entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/load.h"
#include "daemon/log.h"
#include "daemon/pooldb.h"
#include "dns/dname.h"
#include "dns/rdata.h"
#include "shm/pool.h"
#include "shm/table.h"

/* A pool defined at the current name joins its entry as one private rrset. */
static void
entry_add_pool(struct entry *e)
{
	struct pooldb_def *d = e->pools ? pooldb_find(e->pools, e->npools, e->name) : NULL;
	struct shm_rrset_in *rr;
	uint16_t len;

	if (d == NULL || d->used || e->nrrsets == ENTRY_RRSETS_MAX ||
	    e->data_len + 2 + d->len > sizeof(e->data))
		return;
	d->used = true;
	rr = &e->rr[e->nrrsets];
	e->rr_off[e->nrrsets++] = e->data_len;
	memset(rr, 0, sizeof(*rr));
	rr->type = SHM_TYPE_POOL;
	rr->count = 1;
	rr->ttl = ((const struct pool_def *)(const void *)d->data)->ttl;
	rr->data_len = 2 + d->len;
	len = (uint16_t)d->len;
	memcpy(e->data + e->data_len, &len, 2);
	memcpy(e->data + e->data_len + 2, d->data, d->len);
	e->data_len += 2 + d->len;
}

/* Puts one entry; DD_ENOSPC (logged) stops the load, other errors skip it. */
int
entry_put(struct shm_table *t, struct load_stats *st, unsigned zone, const uint8_t *wire,
	 size_t wire_len, const struct shm_rrset_in *rr, size_t n, int *error)
{
	int rc = shm_table_put(t, zone, wire, wire_len, rr, n);

	if (rc == DD_ENOSPC) {
		log_warnx("table full at %zu names (table.capacity %u): raise table.capacity "
			  "or table.data_bytes",
			  st->names, shm_table_capacity(t));
		return rc;
	}
	if (rc < 0) {
		char name[DNS_DNAME_STR_MAX];
		if (dns_dname_to_str(wire, wire_len, name, sizeof(name), false) < 0)
			snprintf(name, sizeof(name), "?");
		log_warnx("record %s: %s; skipped", name, dd_strerror(rc));
		st->skipped++;
		*error = rc;
	} else {
		st->names++;
	}
	return 0;
}

int
entry_flush(struct entry *e)
{
	int rc;

	if (e->zone >= 0)
		entry_add_pool(e);
	if (e->nrrsets == 0)
		return 0;
	if (e->emit) {
		rc = e->emit(e);
	} else {
		for (size_t i = 0; i < e->nrrsets; i++)
			e->rr[i].data = e->data + e->rr_off[i];
		rc = entry_put(e->t, e->st, (unsigned)e->zone, e->wire, e->wire_len, e->rr,
			      e->nrrsets, &e->error);
	}
	e->nrrsets = 0;
	e->data_len = 0;
	return rc;
}

/* Starts a new owner name: converts it and finds its zone. */
int
entry_begin_name(struct entry *e, const char *name)
{
	size_t len = strnlen(name, sizeof(e->name) - 1);
	int n;

	memcpy(e->name, name, len);
	e->name[len] = '\0';
	e->zone = -1;
	n = dns_dname_from_str(name, e->wire, sizeof(e->wire)); /* lower-case */
	if (n < 0)
		return n;
	e->wire_len = (size_t)n;
	e->zone = shm_zone_find(e->t, e->wire, e->wire_len);
	return e->zone < 0 ? DD_ENOENT : 0;
}

int
entry_row(void *arg, const char *name, const char *type, const char *value, int64_t ttl)
{
	struct entry *e = arg;
	struct shm_rrset_in *rr;
	uint16_t t;
	int n, rc;

	if (strcmp(name, e->name) != 0) {
		if ((rc = entry_flush(e)) < 0)
			return rc;
		rc = entry_begin_name(e, name);
		if (rc == DD_ENOENT)
			log_warnx("record %s %s: name is in no configured zone; skipped", name,
				  type);
		else if (rc < 0)
			log_warnx("record %s %s: invalid name; skipped", name, type);
	}
	if (e->zone < 0 || (t = dns_stored_type_parse(type)) == 0) {
		if (e->zone >= 0)
			log_warnx("record %s: unsupported type %s; skipped", name, type);
		e->st->skipped++;
		return 0;
	}
	if (e->data_len + 2 > sizeof(e->data))
		goto toobig;
	/* convert first: a bad value must not leave an empty rrset behind */
	n = dns_rdata_from_text(t, value, e->data + e->data_len + 2,
				sizeof(e->data) - e->data_len - 2);
	if (n < 0) {
		if (n == DD_ETOOBIG || n == DD_ENOSPC)
			goto toobig;
		log_warnx("record %s %s '%s': invalid value; skipped", name, type, value);
		e->st->skipped++;
		return 0;
	}
	rr = e->nrrsets ? &e->rr[e->nrrsets - 1] : NULL;
	if (rr == NULL || rr->type != t) {
		if (e->nrrsets == ENTRY_RRSETS_MAX) {
			e->st->skipped++;
			return 0;
		}
		rr = &e->rr[e->nrrsets];
		e->rr_off[e->nrrsets++] = e->data_len;
		memset(rr, 0, sizeof(*rr));
		rr->type = t;
		rr->ttl = UINT32_MAX;
	}
	{
		uint16_t rdlen = (uint16_t)n;
		memcpy(e->data + e->data_len, &rdlen, 2);
	}
	e->data_len += 2 + (size_t)n;
	rr->data_len += 2 + (size_t)n;
	rr->count++;
	/* RFC 2181 5.2: one TTL per RRset; the smallest wins */
	{
		uint32_t v = ttl < 0 ? e->cfg->zones[e->zone].ttl
				     : (ttl > INT32_MAX ? (uint32_t)INT32_MAX : (uint32_t)ttl);
		if (v < rr->ttl)
			rr->ttl = v;
	}
	e->st->records++;
	return 0;
toobig:
	log_warnx("record %s %s: the name's records exceed %d bytes; skipped", name, type,
		  ENTRY_DATA_MAX);
	e->st->skipped++;
	return 0;
}

/* Pools at names that have no records: entries of their own. */
int
entry_pool_names(struct entry *e)
{
	for (size_t i = 0; i < e->npools; i++) {
		int rc;
		if (e->pools[i].used)
			continue;
		e->nrrsets = 0;
		e->data_len = 0;
		if (entry_begin_name(e, e->pools[i].name) < 0) {
			log_warnx("pool %s: in no configured zone; skipped", e->pools[i].name);
			continue;
		}
		if ((rc = entry_flush(e)) < 0)
			return rc;
	}
	return 0;
}

/* Appends the wire form of presentation name nm to buf at *len. */
static int
entry_ns_add(uint8_t *buf, size_t cap, size_t *len, const char *nm)
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
entry_zone_define(struct shm_table *t, const struct cfg *cfg, struct db *db, unsigned i)
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
			if ((rc = entry_ns_add(ns, sizeof(ns), &ns_len, tok)) < 0)
				goto done;
	} else {
		for (size_t k = 0; k < nns; k++)
			if ((rc = entry_ns_add(ns, sizeof(ns), &ns_len, z->ns[k])) < 0)
				goto done;
	}
	rc = shm_zone_define(t, i, apex, (size_t)n, &soa, ns, ns_len, (unsigned)nns, z->ttl);
done:
	free(msoa);
	free(mns);
	return rc;
}

