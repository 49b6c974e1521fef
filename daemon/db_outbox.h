/*
 * db_outbox.h - the store's event outbox (tables outbox, outbox_cursor).
 *
 * Events are appended by the writer in the transaction of the change that
 * caused them (and by the notifier for its own backup events); the notifier
 * delivers them in id order and moves each target's cursor, the last id it
 * acknowledged, then trims what every target has.  All functions run on the
 * connection of db; failures return DD_EDB (daemon/dd.h).
 */
#ifndef DD_DB_OUTBOX_H
#define DD_DB_OUTBOX_H

#include <stdint.h>

struct db;

/* One outbox row; every string but event may be NULL. */
struct db_outbox_row {
	int64_t id;        /* read: the row's id (delivery order); ignored by insert */
	int64_t ts;        /* read: unix seconds it was written; ignored by insert (now) */
	const char *event; /* "record_changed", "member_down", "backup_ok", ... */
	const char *name, *type, *value, *old_value;
	const char *detail; /* compact JSON */
};

/*
 * Appends row (its strings are copied) inside whatever transaction the
 * caller has open on db's connection, or in one of its own; whether any
 * target wants the event is the caller's to check.  The statement stays
 * prepared for the connection's life (one row per change in the writer).
 * Returns 0 or DD_EDB.
 */
int db_outbox_insert(struct db *db, const struct db_outbox_row *row);

/*
 * Calls cb for up to max events after target's cursor whose event is in
 * events (",a,b," form), in id order, one at a time: each row is read and
 * the read ended before cb runs, so cb may write (move the cursor) and the
 * next row is read afresh.  The row's strings live until cb returns.
 * Returns 0 (max reached or no more events), DD_EDB, or cb's non-zero
 * result.
 */
typedef int (*db_outbox_cb)(void *arg, const struct db_outbox_row *row);
int db_outbox_walk(struct db *db, const char *target, const char *events, int max, db_outbox_cb cb,
                   void *arg);

/*
 * Gives target a cursor after the newest event when it has none (a new
 * target is not sent the past); 0 or DD_EDB.
 */
int db_outbox_cursor_init(struct db *db, const char *target);

/* Records that target acknowledged every event up to id; 0 or DD_EDB. */
int db_outbox_cursor_set(struct db *db, const char *target, int64_t id);

/* target's cursor into *id (0 if it has none yet); 0 or DD_EDB. */
int db_outbox_cursor_get(struct db *db, const char *target, int64_t *id);

/* Deletes the events with ids up to id; 0 or DD_EDB. */
int db_outbox_trim(struct db *db, int64_t id);

#endif
