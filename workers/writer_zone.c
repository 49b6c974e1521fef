/*
 * writer_zone.c - whole zones: a replacement (zone import) and a secondary's
 * transfers (AXFR, IXFR) in one transaction each.
 */
#include "workers/writer.h"
#include "workers/writer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_records.h"
#include "daemon/db_writer.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/signer.h"
#include "daemon/util.h"
#include "dns/rdata.h"

/* Collects the names of one zone slot (writer_zone_names). */
struct writer_names {
	struct writer *w;
	unsigned zone;
	char **v;
	size_t n;
};

static int
writer_names_add(void *arg, const char *name)
{
	struct writer_names *c = arg;
	char **grown;

	if (writer_zone_of(c->w, name) != (int)c->zone)
		return 0;
	if ((grown = realloc(c->v, (c->n + 1) * sizeof(char *))) == NULL)
		return DD_ENOMEM;
	c->v = grown;
	if ((c->v[c->n] = strdup(name)) == NULL)
		return DD_ENOMEM;
	c->n++;
	return 0;
}

/* Names (distinct) currently stored in zone slot zone; malloc'd array. */
static int
writer_zone_names(struct writer *w, unsigned zone, char ***out, size_t *n)
{
	struct writer_names c = {.w = w, .zone = zone};
	int rc = db_record_names(w->db, true, writer_names_add, &c);

	*out = c.v;
	*n = c.n;
	return rc == DD_ENOMEM ? DD_EDB : rc;
}

/* Inside the open transaction: old rows out, new rows in, audit, serial. */
static int
writer_zone_swap(struct writer *w, const struct writer_actor *who, unsigned zone,
		 const struct writer_rr *rr, size_t n, enum db_serial how, uint32_t serial,
		 char **old, size_t nold, size_t *removed, size_t *added)
{
	char summary[64];
	size_t gone;
	int r;

	for (size_t i = 0; i < nold; i++) {
		if (db_record_delete(w->db, old[i], NULL, &gone) < 0)
			goto failed;
		*removed += gone;
	}
	for (size_t i = 0; i < n; i++) {
		r = db_record_insert(w->db, rr[i].name, dns_stored_type_str(rr[i].type), rr[i].value,
				     rr[i].ttl, 0, writer_next_id(w));
		if (r < 0)
			goto failed;
		*added += (size_t)r;
	}
	snprintf(summary, sizeof(summary), "%zu records", *added);
	/* a signed zone: every name that was or now is in it, re-signed */
	for (size_t i = 0; i < nold && signer_zone_on(w->signer, zone); i++)
		if (signer_name(w->signer, zone, old[i]) < 0)
			goto failed;
	for (size_t i = 0; i < n && signer_zone_on(w->signer, zone); i++)
		if ((i == 0 || strcmp(rr[i - 1].name, rr[i].name) != 0) &&
		    signer_name(w->signer, zone, rr[i].name) < 0)
			goto failed;
	if (signer_zone_finish(w->signer, zone) < 0)
		goto failed;
	if (writer_audit_row(w, who, how == DB_SERIAL_EXACT ? "transfer" : "import",
			     w->cfg->zones[zone].name, NULL, NULL, summary) == 0 &&
	    writer_zone_bump(w, zone, how, serial) == 0)
		return 0;
failed:
	log_warnx("%s: zone import: %s", db_path(w->db), db_errmsg(w->db));
	return DD_EDB;
}

/* RFC 1034 3.6.2 within the new set: a CNAME owner has nothing else. */
static bool
writer_rr_cname_ok(const struct writer_rr *rr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (rr[i].type != DNS_TYPE_CNAME)
			continue;
		for (size_t j = 0; j < n; j++)
			if (j != i && strcmp(rr[i].name, rr[j].name) == 0)
				return false;
	}
	return true;
}

/* A secondary's SOA fields and NS names, inside the transaction. */
static int
writer_zone_meta(struct writer *w, unsigned zone, const char *soa, const char *ns)
{
	return db_zone_meta_set(w->db, w->cfg->zones[zone].name, soa, ns);
}

static int
writer_zone_replace(struct writer *w, const struct writer_actor *who, unsigned zone,
		    const struct writer_rr *rr, size_t n, enum db_serial how, uint32_t serial,
		    const char *soa, const char *ns, size_t *removed, size_t *added)
{
	char **old = NULL;
	size_t nold = 0;
	int rc;

	*removed = *added = 0;
	if (zone >= w->cfg->nzones)
		return DD_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (writer_zone_of(w, rr[i].name) != (int)zone)
			return DD_EINVAL;
	if (!writer_rr_cname_ok(rr, n))
		return DD_EEXIST;
	if (writer_begin(w) < 0)
		return DD_EDB;
	rc = writer_zone_names(w, zone, &old, &nold);
	if (rc == 0)
		rc = writer_zone_swap(w, who, zone, rr, n, how, serial, old, nold, removed,
				      added);
	if (rc == 0 && soa)
		rc = writer_zone_meta(w, zone, soa, ns ? ns : "");
	if (rc < 0 || writer_txn(w, DB_COMMIT) < 0) {
		writer_txn(w, DB_ROLLBACK);
		util_strv_free(old, nold);
		w->db_failed = true;
		*removed = *added = 0;
		return DD_EDB;
	}
	w->db_failed = false;
	/* the table follows: every name that was or now is in the zone */
	for (size_t i = 0; i < nold; i++)
		if ((rc = writer_publish(w, old[i])) < 0)
			log_warnx("publishing %s: %s", old[i], dd_strerror(rc));
	for (size_t i = 0; i < n; i++)
		if ((rc = writer_publish(w, rr[i].name)) < 0)
			log_warnx("publishing %s: %s", rr[i].name, dd_strerror(rc));
	if ((rc = signer_publish(w->signer)) < 0)
		log_warnx("zone %s: NSEC3 records: %s", w->cfg->zones[zone].name, dd_strerror(rc));
	writer_zone_serial_publish(w, zone);
	util_strv_free(old, nold);
	if (soa && (rc = writer_publish_zone(w, zone)) < 0)
		log_warnx("zone %s: %s", w->cfg->zones[zone].name, dd_strerror(rc));
	if (w->stats && how != DB_SERIAL_EXACT)
		w->stats->updates[writer_source(who->source)]++;
	return 0;
}

int
writer_replace_zone(struct writer *w, const struct writer_actor *who, unsigned zone,
		    const struct writer_rr *rr, size_t n, const uint32_t *serial, size_t *removed,
		    size_t *added)
{
	return writer_zone_replace(w, who, zone, rr, n,
				   serial ? DB_SERIAL_AT_LEAST : DB_SERIAL_NEXT, serial ? *serial : 0,
				   NULL, NULL, removed, added);
}

int
writer_transfer_zone(struct writer *w, const struct writer_actor *who, unsigned zone,
		     const struct writer_rr *rr, size_t n, uint32_t serial, const char *soa,
		     const char *ns, size_t *removed, size_t *added)
{
	return writer_zone_replace(w, who, zone, rr, n, DB_SERIAL_EXACT, serial, soa, ns, removed,
				   added);
}

int
writer_transfer_diff(struct writer *w, const struct writer_actor *who, unsigned zone,
		     const struct writer_diff *d, size_t n, uint32_t serial)
{
	char summary[64];
	int rc = DD_EDB;

	if (zone >= w->cfg->nzones)
		return DD_EINVAL;
	if (writer_begin(w) < 0)
		return DD_EDB;
	for (size_t i = 0; i < n; i++) {
		const char *type = dns_stored_type_str(d[i].type);
		if ((d[i].op ? db_record_upsert(w->db, d[i].name, type, d[i].value, d[i].ttl,
						writer_next_id(w))
			     : db_record_delete_value(w->db, d[i].name, type, d[i].value)) < 0)
			goto done;
	}
	snprintf(summary, sizeof(summary), "%zu changes", n);
	if (writer_audit_row(w, who, "transfer", w->cfg->zones[zone].name, NULL, NULL, summary) < 0 ||
	    writer_zone_bump(w, zone, DB_SERIAL_EXACT, serial) < 0)
		goto done;
	rc = 0;
done:
	if (rc < 0 || writer_txn(w, DB_COMMIT) < 0) {
		log_warnx("%s: incremental transfer: %s", db_path(w->db), db_errmsg(w->db));
		writer_txn(w, DB_ROLLBACK);
		w->db_failed = true;
		return DD_EDB;
	}
	w->db_failed = false;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(d[k].name, d[i].name) == 0;
		if (!seen && (rc = writer_publish(w, d[i].name)) < 0)
			log_warnx("publishing %s: %s", d[i].name, dd_strerror(rc));
	}
	writer_zone_serial_publish(w, zone);
	return 0;
}
