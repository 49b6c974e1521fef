/*
 * entry.h - one owner name's rows -> one shared-table entry.
 *
 * The conversion that the start-up load (daemon/load.c, many names in a
 * row, possibly on reader threads) and the writer's publish
 * (workers/writer_publish.c, one name after a commit) share: rows arrive
 * ordered by name and type (db_records_foreach's order), each name's rows
 * accumulate in a struct entry, and when the name changes the finished
 * entry is emitted.  No SQL here: the caller walks the store.
 */
#ifndef DD_DAEMON_ENTRY_H
#define DD_DAEMON_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "shm/table.h"

struct cfg;
struct db;
struct load_stats;
struct pooldb_def;

#define ENTRY_RRSETS_MAX 8
#define ENTRY_DATA_MAX   SHM_ENTRY_MAX

/* An entry being built.  Zero it, then set cfg, t, st, zone = -1 (and pools, emit). */
struct entry {
	const struct cfg *cfg;
	struct shm_table *t;        /* zones are found here; entries go here (emit NULL) */
	struct load_stats *st;      /* names, records and skipped rows are counted here */
	char name[256];             /* the current owner name */
	int zone;                   /* its zone slot, or -1 (rows skipped) */
	uint8_t wire[SHM_NAME_MAX];
	size_t wire_len;
	size_t nrrsets;
	struct shm_rrset_in rr[ENTRY_RRSETS_MAX];
	size_t rr_off[ENTRY_RRSETS_MAX];
	uint8_t data[ENTRY_DATA_MAX];
	size_t data_len;
	int error;                  /* the last entry that could not be put (skipped) */
	struct pooldb_def *pools;   /* sorted by name; NULL: none.  Borrowed */
	size_t npools;
	/* a finished entry: NULL puts it into t at once; else the callback
	 * takes it (its fields are valid during the call only) */
	int (*emit)(struct entry *e);
	void *emit_arg;             /* for emit */
};

/*
 * A db_record_cb: adds one row (name, type "A" etc., presentation value,
 * ttl -1 = zone default).  A row outside every zone, of a type we do not
 * serve or with an invalid value is logged and skipped.  Returns 0, or what
 * emitting the previous name returned (DD_ENOSPC: the table is full).
 */
int entry_row(void *arg, const char *name, const char *type, const char *value, int64_t ttl);

/* Emits the current name (with its pool, if one is defined there).  0 or as entry_row. */
int entry_flush(struct entry *e);

/* Emits the pools defined at names that had no row.  0 or as entry_row. */
int entry_pool_names(struct entry *e);

/* Starts name: its wire form and zone.  0, DD_ENOENT (in no zone) or DD_EINVAL. */
int entry_begin_name(struct entry *e, const char *name);

/*
 * Puts one entry into t.  DD_ENOSPC (logged) means the table is full and
 * stops a load; any other failure skips the entry (logged, *error set)
 * and returns 0.
 */
int entry_put(struct shm_table *t, struct load_stats *st, unsigned zone, const uint8_t *wire,
	      size_t wire_len, const struct shm_rrset_in *rr, size_t n, int *error);

/*
 * (Re)defines zone slot i of t from cfg->zones[i] and db: apex, SOA (the
 * stored serial; a transferred secondary's SOA fields) and NS.  Returns 0
 * or a negative code.
 */
int entry_zone_define(struct shm_table *t, const struct cfg *cfg, struct db *db, unsigned i);

#endif
