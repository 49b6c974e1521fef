/*
 * load.h - build a shared-memory table from the config and the database.
 */
#ifndef DD_LOAD_H
#define DD_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct db;
struct shm_table;

struct load_stats {
	size_t zones;
	size_t names;   /* owner names with records */
	size_t records; /* rows loaded */
	size_t skipped; /* rows outside every zone or invalid (each logged) */
	double seconds; /* load_table: from the call to the filled table */
	unsigned readers; /* load_table: threads that read the rows */
};

/*
 * Creates a table sized by cfg->table, defines every zone of cfg (SOA serial
 * from db) and loads every record of db.  Returns 0 and *out, or a negative
 * code (logged): DD_ENOSPC when the records do not fit the configured
 * capacity, DD_EDB on a database error.
 */
int load_table(const struct cfg *cfg, struct db *db, struct shm_table **out,
	       struct load_stats *st);

/*
 * At most n reader threads for load_table (1 or 2; 0, the default: two when
 * the process may run on three CPUs or more, the inserting thread and each
 * reader having one, else one).
 */
void load_set_readers(unsigned n);

#endif
