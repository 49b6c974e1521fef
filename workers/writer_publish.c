/*
 * writer_publish.c - publish: committed rows -> the shared table.  A crash between
 * COMMIT and publish loses nothing: the master rebuilds the table from
 * SQLite when the writer dies.
 */
#include "workers/writer.h"
#include "workers/writer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/load.h"
#include "daemon/log.h"
#include "daemon/pooldb.h"
#include "daemon/util.h"
#include "daemon/walbuf.h"
#include "daemon/names.h"
#include "shm/pool.h"
#include "shm/stats.h"
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

/*
 * No pool at all?  Most databases have none, and then neither the conflict
 * check nor a name's republishing needs to look.  Pools change only through
 * this writer (writer_pool_set, writer_pool_del), which make it count again.
 */
bool
writer_pools_none(struct writer *w)
{
	sqlite3_stmt *st = NULL;

	if (w->npools < 0 && db_prep(db_sqlite(w->db), "SELECT count(*) FROM pools", &st) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			w->npools = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return w->npools == 0;
}

/* Publishes name from its committed rows (and its pool, if pools exist). */
int
writer_publish(struct writer *w, const char *name)
{
	return load_name_publish(w->t, w->cfg, w->db, name, !writer_pools_none(w));
}
