/* db_pools.c - pools and their members in SQLite (see db_pools.h). */
#include "daemon/db_pools.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/log.h"

/* Steps st to its end, calling cb per row read by row(). */
static int
db_pools_walk(sqlite3_stmt *st, void (*row)(sqlite3_stmt *st, struct db_pool_row *r),
              db_pool_row_cb cb, void *arg)
{
	struct db_pool_row r;
	int rc = 0, step;

	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		row(st, &r);
		if ((rc = cb(arg, &r)) != 0)
			return rc;
	}
	return step == SQLITE_DONE ? 0 : DD_EDB;
}

/* Columns of db_pools_foreach. */
static void
db_pools_def_row(sqlite3_stmt *st, struct db_pool_row *r)
{
	r->name = (const char *)sqlite3_column_text(st, 0);
	r->slot = sqlite3_column_int64(st, 1);
	r->policy = (const char *)sqlite3_column_text(st, 2);
	r->answers = sqlite3_column_int64(st, 3);
	r->ttl = sqlite3_column_int64(st, 4);
	r->all_down = (const char *)sqlite3_column_text(st, 5);
	r->prefix_match = sqlite3_column_int(st, 6) != 0;
	r->ip = (const char *)sqlite3_column_text(st, 7);
	r->weight = sqlite3_column_int64(st, 8);
}

int
db_pools_foreach(struct db *db, const char *only_name, db_pool_row_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* two statements: "?1 IS NULL OR p.name = ?1" would scan every pool for
	 * the one name the writer republishes after each change */
	if (db_prep(db_sqlite(db),
	            only_name ? "SELECT p.name, p.slot, p.policy, p.answers, p.ttl, p.all_down, "
	                        "p.prefix_match, m.ip, m.weight FROM pools p JOIN pool_members m "
	                        "ON m.pool_id = p.id WHERE p.name = ?1 ORDER BY m.pos"
	                      : "SELECT p.name, p.slot, p.policy, p.answers, p.ttl, p.all_down, "
	                        "p.prefix_match, m.ip, m.weight FROM pools p JOIN pool_members m "
	                        "ON m.pool_id = p.id ORDER BY p.name, m.pos",
	            &st) != SQLITE_OK) {
		log_warnx("%s: %s", db_path(db), sqlite3_errmsg(db_sqlite(db)));
		return DD_EDB;
	}
	if (only_name)
		sqlite3_bind_text(st, 1, only_name, -1, SQLITE_STATIC);
	rc = db_pools_walk(st, db_pools_def_row, cb, arg);
	sqlite3_reset(st);
	return rc;
}

/* Columns of db_pool_get. */
static void
db_pool_get_row(sqlite3_stmt *st, struct db_pool_row *r)
{
	r->slot = sqlite3_column_int64(st, 0);
	r->policy = (const char *)sqlite3_column_text(st, 1);
	r->answers = sqlite3_column_int64(st, 2);
	r->ttl = sqlite3_column_int64(st, 3);
	r->all_down = (const char *)sqlite3_column_text(st, 4);
	r->prefix_match = sqlite3_column_int(st, 5) != 0;
	r->check_json = (const char *)sqlite3_column_text(st, 6);
	r->ip = (const char *)sqlite3_column_text(st, 7);
	r->weight = sqlite3_column_int64(st, 8);
	r->pos = sqlite3_column_int64(st, 9);
	r->pool_id = sqlite3_column_int64(st, 10);
}

int
db_pool_get(struct db *db, const char *name, db_pool_row_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prep(db_sqlite(db),
	            "SELECT p.slot, p.policy, p.answers, p.ttl, p.all_down, "
	            "p.prefix_match, p.check_json, m.ip, m.weight, m.pos, p.id "
	            "FROM pools p JOIN pool_members m ON m.pool_id = p.id "
	            "WHERE p.name = ?1 ORDER BY m.pos",
	            &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = db_pools_walk(st, db_pool_get_row, cb, arg);
	sqlite3_reset(st);
	return rc;
}

/* Columns of db_pools_checked. */
static void
db_pools_checked_row(sqlite3_stmt *st, struct db_pool_row *r)
{
	r->pool_id = sqlite3_column_int64(st, 0);
	r->name = (const char *)sqlite3_column_text(st, 1);
	r->slot = sqlite3_column_int64(st, 2);
	r->all_down = (const char *)sqlite3_column_text(st, 3);
	r->check_json = (const char *)sqlite3_column_text(st, 4);
	r->ip = (const char *)sqlite3_column_text(st, 5);
	r->user_owned = sqlite3_column_int(st, 6) != 0;
}

int
db_pools_checked(sqlite3 *h, db_pool_row_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(h,
	                       "SELECT p.id, p.name, p.slot, p.all_down, p.check_json, m.ip, "
	                       "coalesce(NOT u.admin, 0) "
	                       "FROM pools p JOIN pool_members m ON m.pool_id = p.id "
	                       "LEFT JOIN users u ON u.id = p.owner_id "
	                       "WHERE p.check_json IS NOT NULL ORDER BY p.id, m.pos",
	                       -1, &st, NULL) != SQLITE_OK)
		return DD_EDB;
	rc = db_pools_walk(st, db_pools_checked_row, cb, arg);
	sqlite3_finalize(st);
	return rc;
}

int
db_pool_member_find(struct db *db, const char *name, const char *ip, int64_t *slot, int64_t *pos)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB, step;

	if (db_prep(db_sqlite(db),
	            "SELECT p.slot, m.pos FROM pools p JOIN pool_members m ON m.pool_id "
	            "= p.id WHERE p.name = ?1 AND m.ip = ?2",
	            &st) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ip, -1, SQLITE_STATIC);
		step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			*slot = sqlite3_column_int64(st, 0);
			*pos = sqlite3_column_int64(st, 1);
			rc = 0;
		} else if (step == SQLITE_DONE) {
			rc = DD_ENOENT;
		}
	}
	sqlite3_reset(st);
	return rc;
}

int
db_pool_list(struct db *db, db_pool_info_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	if (sqlite3_prepare_v2(db_sqlite(db),
	                       "SELECT p.name, p.policy, p.answers, p.ttl, p.all_down, "
	                       "(SELECT count(*) FROM pool_members m WHERE m.pool_id = p.id) "
	                       "FROM pools p ORDER BY p.name",
	                       -1, &st, NULL) != SQLITE_OK)
		return DD_EDB;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_pool_info p = {
		        .name = (const char *)sqlite3_column_text(st, 0),
		        .policy = (const char *)sqlite3_column_text(st, 1),
		        .answers = sqlite3_column_int64(st, 2),
		        .ttl = sqlite3_column_int64(st, 3),
		        .all_down = (const char *)sqlite3_column_text(st, 4),
		        .members = sqlite3_column_int64(st, 5),
		};
		if ((rc = cb(arg, &p)) != 0)
			break;
	}
	return db_walk_end(st, step, rc);
}

/* Appends one row of db_pool_counts to *c (n entries, room for *cap). */
static int
db_pool_counts_add(sqlite3_stmt *st, struct db_pool_count **c, size_t *n, size_t *cap)
{
	const char *name = (const char *)sqlite3_column_text(st, 0);

	if (name == NULL)
		return 0;
	if (*n == *cap) {
		size_t want = *cap ? 2 * *cap : 16;
		struct db_pool_count *g = realloc(*c, want * sizeof(*g));
		if (g == NULL)
			return DD_ENOMEM;
		*c = g;
		*cap = want;
	}
	if (((*c)[*n].name = strdup(name)) == NULL)
		return DD_ENOMEM;
	(*c)[*n].slot = sqlite3_column_int64(st, 1);
	(*c)[*n].members = sqlite3_column_int64(st, 2);
	(*n)++;
	return 0;
}

int
db_pool_counts(struct db *db, struct db_pool_count **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct db_pool_count *c = NULL;
	size_t cnt = 0, cap = 0;
	int rc = 0, step = SQLITE_DONE;

	*out = NULL;
	*n = 0;
	if (db_prep(db_sqlite(db),
	            "SELECT p.name, p.slot, count(m.pos) FROM pools p JOIN pool_members m "
	            "ON m.pool_id = p.id GROUP BY p.id ORDER BY p.name",
	            &st) != SQLITE_OK)
		return DD_EDB;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
		rc = db_pool_counts_add(st, &c, &cnt, &cap);
	if (rc == 0 && step != SQLITE_DONE)
		rc = DD_EDB;
	sqlite3_reset(st);
	if (rc < 0) {
		db_pool_counts_free(c, cnt);
		return rc;
	}
	*out = c;
	*n = cnt;
	return 0;
}

void
db_pool_counts_free(struct db_pool_count *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}

/* Steps a write statement once and resets it. */
static int
db_pools_done(sqlite3_stmt *st)
{
	int r = sqlite3_step(st);

	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : DD_EDB;
}

/* Column of db_pool_slots_foreach. */
static void
db_pool_slot_row(sqlite3_stmt *st, struct db_pool_row *r)
{
	r->slot = sqlite3_column_int64(st, 0);
}

int
db_pool_slots_foreach(struct db *db, db_pool_row_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prep(db_sqlite(db), "SELECT slot FROM pools ORDER BY slot", &st) != SQLITE_OK)
		return DD_EDB;
	rc = db_pools_walk(st, db_pool_slot_row, cb, arg);
	sqlite3_reset(st);
	return rc;
}

int
db_pool_slot_find(struct db *db, const char *name, int64_t *slot)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB, step;

	if (db_prep(db_sqlite(db), "SELECT slot FROM pools WHERE name = ?1", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		*slot = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (step == SQLITE_DONE) {
		rc = DD_ENOENT;
	}
	sqlite3_reset(st);
	return rc;
}

int
db_pool_xfr_mask(struct db *db, const char *name, uint32_t *mask)
{
	sqlite3_stmt *st = NULL;
	int step;

	*mask = 0;
	if (db_prep(db_sqlite(db),
		    "SELECT m.pos FROM pools p JOIN pool_members m ON m.pool_id = p.id "
		    "WHERE p.name = ?1 AND m.xfr_up = 1",
		    &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t pos = sqlite3_column_int64(st, 0);
		if (pos >= 0 && pos < 32)
			*mask |= 1u << pos;
	}
	sqlite3_reset(st);
	return step == SQLITE_DONE ? 0 : DD_EDB;
}

/* Column of db_pool_member_ips. */
static void
db_pool_ip_row(sqlite3_stmt *st, struct db_pool_row *r)
{
	r->ip = (const char *)sqlite3_column_text(st, 0);
}

int
db_pool_member_ips(struct db *db, int64_t pool_id, db_pool_row_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prep(db_sqlite(db), "SELECT ip FROM pool_members WHERE pool_id = ?1 ORDER BY pos",
	            &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_int64(st, 1, pool_id);
	rc = db_pools_walk(st, db_pool_ip_row, cb, arg);
	sqlite3_reset(st);
	return rc;
}

int
db_pool_name_check(struct db *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	int step;

	if (db_prep(db_sqlite(db), "SELECT 1 FROM records WHERE name = ?1", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	sqlite3_reset(st);
	if (step == SQLITE_ROW)
		return DD_EEXIST;
	return step == SQLITE_DONE ? 0 : DD_EDB;
}

/* Columns of db_pool_states. */
static void
db_pool_state_row(sqlite3_stmt *st, struct db_pool_row *r)
{
	r->pool_id = sqlite3_column_int64(st, 0);
	r->name = (const char *)sqlite3_column_text(st, 1);
	r->slot = sqlite3_column_int64(st, 2);
	r->all_down = (const char *)sqlite3_column_text(st, 3);
	r->ttl = sqlite3_column_int64(st, 4);
	r->pos = sqlite3_column_int64(st, 5);
	r->ip = (const char *)sqlite3_column_text(st, 6);
	r->xfr_up = sqlite3_column_int(st, 7);
	r->notified_up = sqlite3_column_int(st, 8);
	r->members = sqlite3_column_int64(st, 9);
}

int
db_pool_states(struct db *db, db_pool_row_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prep(db_sqlite(db),
	            "SELECT p.id, p.name, p.slot, p.all_down, p.ttl, m.pos, m.ip, m.xfr_up, "
	            "m.notified_up, (SELECT count(*) FROM pool_members k WHERE k.pool_id = "
	            "p.id) FROM pools p JOIN pool_members m ON m.pool_id = p.id ORDER BY "
	            "p.id, m.pos",
	            &st) != SQLITE_OK)
		return DD_EDB;
	rc = db_pools_walk(st, db_pool_state_row, cb, arg);
	sqlite3_reset(st);
	return rc;
}

int
db_pool_insert(struct db *db, const struct db_pool_row *def, int64_t owner, int64_t *id)
{
	sqlite3_stmt *st = NULL;

	if (db_prep(db_sqlite(db),
	            "INSERT INTO pools (name, slot, policy, answers, ttl, all_down, "
	            "prefix_match, check_json, owner_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	            "?7, ?8, ?9)",
	            &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, def->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, def->slot);
	sqlite3_bind_text(st, 3, def->policy, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, def->answers);
	sqlite3_bind_int64(st, 5, def->ttl);
	sqlite3_bind_text(st, 6, def->all_down, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, def->prefix_match);
	if (def->check_json)
		sqlite3_bind_text(st, 8, def->check_json, -1, SQLITE_STATIC);
	if (owner > 0)
		sqlite3_bind_int64(st, 9, owner);
	if (db_pools_done(st) < 0)
		return DD_EDB;
	*id = sqlite3_last_insert_rowid(db_sqlite(db));
	return 0;
}

int
db_pool_member_insert(struct db *db, int64_t pool_id, int64_t pos, const char *ip, int64_t weight)
{
	sqlite3_stmt *st = NULL;

	if (db_prep(db_sqlite(db),
	            "INSERT INTO pool_members (pool_id, pos, ip, weight) VALUES (?1, ?2, ?3, ?4)",
	            &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_int64(st, 1, pool_id);
	sqlite3_bind_int64(st, 2, pos);
	sqlite3_bind_text(st, 3, ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, weight);
	return db_pools_done(st);
}

int
db_pool_member_states_set(struct db *db, int64_t pool_id, int64_t pos, int xfr_up, int notified_up)
{
	sqlite3_stmt *st = NULL;

	if (db_prep(db_sqlite(db),
	            "UPDATE pool_members SET xfr_up = CASE WHEN ?3 < 0 THEN xfr_up "
	            "ELSE ?3 END, notified_up = CASE WHEN ?4 < 0 THEN notified_up "
	            "ELSE ?4 END WHERE pool_id = ?1 AND pos = ?2",
	            &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_int64(st, 1, pool_id);
	sqlite3_bind_int64(st, 2, pos);
	sqlite3_bind_int(st, 3, xfr_up);
	sqlite3_bind_int(st, 4, notified_up);
	return db_pools_done(st);
}

int
db_pool_delete_id(struct db *db, int64_t id)
{
	sqlite3_stmt *st = NULL;

	if (db_prep(db_sqlite(db), "DELETE FROM pools WHERE id = ?1", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	return db_pools_done(st);
}

int
db_pool_delete(struct db *db, const char *name)
{
	sqlite3_stmt *st = NULL;

	if (db_prep(db_sqlite(db), "DELETE FROM pools WHERE name = ?1", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return db_pools_done(st);
}
