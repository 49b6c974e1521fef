/*
 * writer.c - the writer's connection and its life: open (PRAGMAs, the journal
 * triggers, the outbox cursors), events for notify: targets, the shared
 * helpers of the writer_*.c files (see writer_int.h).
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

#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_outbox.h"
#include "daemon/db_records.h"
#include "daemon/db_writer.h"
#include "daemon/dd.h"
#include "daemon/signer.h"
#include "daemon/walbuf.h"
#include "shm/stats.h"

void
writer_set_commit_hook(struct writer *w, writer_commit_cb cb, void *arg)
{
	w->on_commit = cb;
	w->on_commit_arg = arg;
}

/* dd_zone(name) for the store: the configured zone name falls in, or NULL. */
static const char *
writer_zone_name(const void *arg, const char *name)
{
	const struct writer *w = arg;
	int z = cfg_zone_of_name(w->cfg, name);

	return z < 0 ? NULL : w->cfg->zones[z].name;
}

int
writer_reader_open(struct writer *w, struct sqlite3 **out)
{
	return db_reader_open(w->db, writer_zone_name, w, out);
}

/*
 * Which events the notify: targets want, and a cursor for every target that
 * has none yet (starting after the newest event: a new target is not sent
 * the past).  Runs before the writer takes any write, so a target never
 * misses an event of this process's life.
 */
static int
writer_outbox_setup(struct writer *w)
{
	snprintf(w->wanted, sizeof(w->wanted), ",");
	for (size_t i = 0; i < w->cfg->nnotify; i++)
		for (size_t k = 0; k < w->cfg->notify[i].nevents; k++) {
			char key[64];
			snprintf(key, sizeof(key), ",%s,", w->cfg->notify[i].events[k]);
			if (strstr(w->wanted, key) == NULL &&
			    strlen(w->wanted) + strlen(key) < sizeof(w->wanted)) {
				strcat(w->wanted, key + 1);
			}
		}
	for (size_t i = 0; i < w->cfg->nnotify; i++)
		if (db_outbox_cursor_init(w->db, w->cfg->notify[i].name) < 0)
			return DD_EDB;
	return 0;
}

bool
writer_wants_event(const struct writer *w, const char *event)
{
	char key[64];
	snprintf(key, sizeof(key), ",%s,", event);
	return strstr(w->wanted, key) != NULL;
}

/* One outbox row, inside the caller's transaction; nothing if no target wants it. */
int
writer_outbox_row(struct writer *w, const char *event, const char *name, const char *type,
		  const char *value, const char *old, const char *detail)
{
	const struct db_outbox_row row = {.event = event,
					  .name = name,
					  .type = type,
					  .value = value,
					  .old_value = old,
					  .detail = detail};

	if (!writer_wants_event(w, event))
		return 0;
	return db_outbox_insert(w->db, &row);
}

int
writer_event(struct writer *w, const char *event, const char *name, const char *value,
	     const char *detail)
{
	int rc;

	if (!writer_wants_event(w, event))
		return 0;
	if (writer_begin(w) < 0)
		return DD_EDB;
	rc = writer_outbox_row(w, event, name, NULL, value, NULL, detail);
	if (rc < 0 || writer_txn(w, DB_COMMIT) < 0) {
		writer_txn(w, DB_ROLLBACK);
		return DD_EDB;
	}
	return 0;
}

int
writer_create(struct writer **out, const struct cfg *cfg, struct shm_table *t, const char *db_path)
{
	struct writer *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (w == NULL || (w->zone_changed = calloc(cfg->nzones + 1, sizeof(bool))) == NULL ||
	    (w->group_zone = calloc(cfg->nzones + 1, sizeof(bool))) == NULL ||
	    (w->jgroups = calloc(cfg->nzones + 1, sizeof(int64_t))) == NULL) {
		if (w) {
			free(w->zone_changed);
			free(w->group_zone);
		}
		free(w);
		return DD_ENOMEM;
	}
	for (size_t z = 0; z < cfg->nzones; z++)
		w->jgroups[z] = -1;
	w->wtail = &w->waiters;
	w->ttail = &w->tickets;
	w->wal_fd = w->sync_efd = -1;
	w->npools = -1;
	w->cfg = cfg;
	w->t = t;
	/* a group's WAL frames go down in one write (daemon/walbuf.h) */
	if ((rc = db_open_vfs(db_path, walbuf_register() == SQLITE_OK ? WALBUF_VFS : NULL,
			      &w->db)) < 0) {
		free(w->zone_changed);
		free(w->group_zone);
		free(w->jgroups);
		free(w);
		return rc;
	}
	if ((rc = db_writer_setup(w->db, writer_zone_name, w)) < 0 ||
	    (rc = writer_outbox_setup(w)) < 0 || (rc = signer_open(cfg, w->db, &w->signer)) < 0) {
		writer_destroy(w);
		return rc;
	}
	signer_set_table(w->signer, t);
	*out = w;
	return 0;
}

void
writer_destroy(struct writer *w)
{
	if (w == NULL)
		return;
	writer_group_commit(w);
	writer_sync_stop(w);
	signer_close(w->signer);
	db_close(w->db);
	free(w->zone_changed);
	free(w->group_zone);
	free(w->jgroups);
	free(w->pend);
	free(w);
}

struct db *
writer_db(struct writer *w)
{
	return w->db;
}

void
writer_set_stats(struct writer *w, struct shm_worker_stats *stats)
{
	w->stats = stats;
}

bool
writer_db_failed(const struct writer *w)
{
	return w->db_failed;
}

int
writer_zone_of(const struct writer *w, const char *name)
{
	return cfg_zone_of_name(w->cfg, name);
}

int64_t
writer_owner_of(struct writer *w, const char *name)
{
	return db_name_owner(w->db, name);
}

/* The journal's group counts are taken again from the table (writer_trim). */
void
writer_jgroups_forget(struct writer *w)
{
	for (size_t z = 0; z < w->cfg->nzones; z++)
		w->jgroups[z] = -1;
}

int
writer_txn(struct writer *w, enum db_txn_op op)
{
	/* a transaction that rolls back may have bumped or trimmed the journal */
	if (op == DB_ROLLBACK)
		writer_jgroups_forget(w);
	return db_txn(w->db, op);
}

/* An explicit transaction of its own: the open group is committed first. */
int
writer_begin(struct writer *w)
{
	if (writer_group_commit(w) == DD_EDB)
		return DD_EDB;
	return writer_txn(w, DB_BEGIN_IMMEDIATE);
}
