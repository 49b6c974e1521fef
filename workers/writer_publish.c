/*
 * writer_publish.c - publish: committed rows -> the shared table, through
 * the entry builder the start-up load uses too (daemon/entry.h).  A crash
 * between COMMIT and publish loses nothing: the master rebuilds the table
 * from SQLite when the writer dies.
 */
#include "workers/writer_int.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_records.h"
#include "daemon/dd.h"
#include "daemon/entry.h"
#include "daemon/load.h"
#include "daemon/log.h"
#include "daemon/pooldb.h"
#include "daemon/signer.h"
#include "dns/dname.h"
#include "shm/table.h"

/* After COMMIT: zone z's serial moved; the table has it (with the SOA's RRSIG). */
void
writer_zone_serial_set(struct writer *w, unsigned z)
{
	uint32_t serial;
	int rc;

	if (db_zone_sync(w->db, w->cfg->zones[z].name, &serial) < 0)
		return;
	if (!signer_zone_on(w->signer, z))
		shm_zone_set_serial(w->t, z, serial);
	else if ((rc = signer_zone_slot(w->signer, z, serial)) < 0)
		log_warnx("zone %s: serial %u: %s", w->cfg->zones[z].name, serial,
			  dd_strerror(rc));
}

/* The zone slot of a name (lower-case text), or -1. */
static int
writer_name_zone(struct writer *w, const char *name, uint8_t *wire, size_t *wire_len)
{
	int n = dns_dname_from_str(name, wire, SHM_NAME_MAX);

	if (n <= 0)
		return -1;
	dns_dname_lower(wire, wire, (size_t)n);
	*wire_len = (size_t)n;
	return shm_zone_find(w->t, wire, (size_t)n);
}

int
writer_sign_names(struct writer *w, char *const *names, size_t n)
{
	bool *zones;
	uint8_t wire[SHM_NAME_MAX];
	size_t wl;
	int rc = 0;

	if (w->signer == NULL)
		return 0;
	for (size_t z = 0; z < w->cfg->nzones; z++)
		if (signer_zone_on(w->signer, (unsigned)z))
			break;
		else if (z + 1 == w->cfg->nzones)
			return 0; /* nothing is signed */
	if ((zones = calloc(w->cfg->nzones + 1, sizeof(bool))) == NULL)
		return DD_ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int z = writer_name_zone(w, names[i], wire, &wl);
		if (z < 0 || !signer_zone_on(w->signer, (unsigned)z))
			continue;
		zones[z] = true;
		if ((rc = signer_name(w->signer, (unsigned)z, names[i])) < 0)
			log_warnx("signing %s: %s", names[i], dd_strerror(rc));
	}
	for (size_t z = 0; z < w->cfg->nzones && rc == 0; z++)
		if ((zones[z] || w->group_zone[z]) &&
		    (rc = signer_zone_finish(w->signer, (unsigned)z)) < 0)
			log_warnx("zone %s: NSEC3 chain: %s", w->cfg->zones[z].name,
				  dd_strerror(rc));
	free(zones);
	return rc;
}

/* A signed zone's entries carry their RRSIGs (entry.h's emit). */
static int
writer_publish_emit(struct entry *e)
{
	struct writer *w = e->emit_arg;
	int rc;

	for (size_t i = 0; i < e->nrrsets; i++)
		e->rr[i].data = e->data + e->rr_off[i];
	if (!signer_zone_on(w->signer, (unsigned)e->zone))
		return entry_put(e->t, e->st, (unsigned)e->zone, e->wire, e->wire_len, e->rr,
				 e->nrrsets, &e->error);
	rc = signer_entry_put(w->signer, (unsigned)e->zone, e->name, e->wire, e->wire_len, e->rr,
			      e->nrrsets);
	if (rc == DD_ENOSPC)
		return rc;
	if (rc < 0) {
		log_warnx("record %s: %s; skipped", e->name, dd_strerror(rc));
		e->error = rc;
		return 0;
	}
	e->st->names++;
	return 0;
}

/* ... and once durable, whoever listens is told (NOTIFY). */
void
writer_zone_serial_publish(struct writer *w, unsigned z)
{
	writer_zone_serial_set(w, z);
	if (w->on_commit)
		w->on_commit(w->on_commit_arg, z);
}

/* The name's entry leaves the table (none there is fine). */
static int
writer_unpublish(struct writer *w, const char *name)
{
	uint8_t wire[SHM_NAME_MAX];
	int n = dns_dname_from_str(name, wire, sizeof(wire)), rc;

	if (n <= 0)
		return 0;
	dns_dname_lower(wire, wire, (size_t)n);
	rc = shm_table_del(w->t, wire, (size_t)n);
	return rc == DD_ENOENT ? 0 : rc;
}

/*
 * No pool at all?  Most databases have none, and then neither the conflict
 * check nor a name's republishing needs to look.  Pools change only through
 * this writer (writer_pool_set, writer_pool_del), which make it count again.
 */
bool
writer_pools_none(struct writer *w)
{
	if (w->npools < 0)
		w->npools = db_pool_count(w->db); /* -1 again on an error: look */
	return w->npools == 0;
}

/*
 * The name's entry becomes exactly its committed rows (and its pool, if
 * pools exist); with no row left the entry goes, and the name's children
 * keep it as an empty non-terminal.
 */
int
writer_publish(struct writer *w, const char *name)
{
	struct load_stats st;
	struct entry *e = calloc(1, sizeof(*e));
	int rc;

	if (e == NULL)
		return DD_ENOMEM;
	memset(&st, 0, sizeof(st));
	e->cfg = w->cfg;
	e->t = w->t;
	e->st = &st;
	e->zone = -1;
	e->emit = writer_publish_emit;
	e->emit_arg = w;
	rc = writer_pools_none(w) ? 0 : pooldb_load(w->db, name, &e->pools, &e->npools);
	if (rc == 0)
		rc = db_records_of_name(w->db, name, entry_row, e);
	if (rc == 0)
		rc = entry_flush(e);
	if (rc == 0)
		rc = entry_pool_names(e);
	if (rc == 0 && e->error)
		rc = e->error;
	if (rc == 0 && st.names == 0) {
		/* a signed zone's apex keeps its DNSKEY and NSEC3PARAM RRsets */
		uint8_t wire[SHM_NAME_MAX];
		size_t wl;
		int z = writer_name_zone(w, name, wire, &wl);
		if (z >= 0 && signer_zone_on(w->signer, (unsigned)z) &&
		    strcmp(name, w->cfg->zones[z].name) == 0)
			rc = signer_entry_put(w->signer, (unsigned)z, name, wire, wl, NULL, 0);
		else
			rc = writer_unpublish(w, name);
	}
	free(e->pools);
	free(e);
	return rc;
}

/* Zone slot z again from the config and the database (a secondary's transfer). */
int
writer_publish_zone(struct writer *w, unsigned z)
{
	return entry_zone_define(w->t, w->cfg, w->db, z);
}

struct signer *
writer_signer(struct writer *w)
{
	return w->signer;
}

static int
writer_resign_name(void *arg, const char *name)
{
	return writer_group_pend(arg, name);
}

int
writer_resign(struct writer *w, int budget)
{
	int more = 0;

	for (size_t z = 0; z < w->cfg->nzones; z++) {
		size_t before;
		int due = signer_due_any(w->signer, (unsigned)z);
		if (due < 0)
			return DD_EDB;
		if (due == 0)
			continue;
		if (writer_group_begin(w) < 0)
			return DD_EDB;
		before = w->npend;
		if (signer_due(w->signer, (unsigned)z, budget, writer_resign_name, w) < 0)
			return DD_EDB;
		/* what was due is re-signed with the group; the serial moves */
		if (w->npend > before || signer_pending(w->signer, (unsigned)z))
			w->group_zone[z] = true;
		if (w->npend - before >= (size_t)budget)
			more = 1;
	}
	return more;
}

/* The apex of signed zone z is re-signed with the open group (its DNSKEY RRset changed). */
static int
writer_apex_resign(struct writer *w, unsigned z)
{
	if (writer_group_begin(w) < 0 || writer_group_pend(w, w->cfg->zones[z].name) < 0)
		return DD_EDB;
	w->group_zone[z] = true;
	return 0;
}

int
writer_dnssec_step(struct writer *w, int budget)
{
	int rc = 0, more = 0;

	for (size_t z = 0; z < w->cfg->nzones && rc >= 0; z++) {
		int r;
		if (signer_signing(w->signer, (unsigned)z)) {
			/* a zone signed in the background: the next names, with the group */
			if (writer_group_begin(w) < 0)
				return DD_EDB;
			w->group_zone[z] = true;
			r = signer_sign_step(w->signer, (unsigned)z, budget, writer_resign_name, w);
			if (r < 0)
				rc = r;
			more |= r > 0;
			continue;
		}
		r = signer_roll_step(w->signer, (unsigned)z);
		if (r < 0)
			rc = r;
		else if (r > 0)
			rc = writer_apex_resign(w, (unsigned)z);
	}
	return rc < 0 ? rc : more;
}

int
writer_dnssec_rollover(struct writer *w, unsigned z, bool ksk)
{
	int rc;

	/* the keys change outside the group: the open one goes first */
	if ((rc = writer_group_commit(w)) < 0)
		return rc;
	if ((rc = signer_roll_start(w->signer, z, ksk)) < 0)
		return rc;
	if ((rc = writer_apex_resign(w, z)) < 0)
		return rc;
	return writer_group_commit(w);
}
