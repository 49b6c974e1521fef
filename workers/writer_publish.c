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
#include "daemon/pooldb.h"
#include "dns/dname.h"
#include "shm/table.h"

/* After COMMIT: zone z's serial moved; the table has it. */
void
writer_zone_serial_set(struct writer *w, unsigned z)
{
	uint32_t serial;

	if (db_zone_sync(w->db, w->cfg->zones[z].name, &serial) == 0)
		shm_zone_set_serial(w->t, z, serial);
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
	rc = writer_pools_none(w) ? 0 : pooldb_load(w->db, name, &e->pools, &e->npools);
	if (rc == 0)
		rc = db_records_of_name(w->db, name, entry_row, e);
	if (rc == 0)
		rc = entry_flush(e);
	if (rc == 0)
		rc = entry_pool_names(e);
	if (rc == 0 && e->error)
		rc = e->error;
	if (rc == 0 && st.names == 0)
		rc = writer_unpublish(w, name);
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
