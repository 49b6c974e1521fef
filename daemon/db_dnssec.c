/* db_dnssec.c - the store's DNSSEC tables (see db_dnssec.h). */
#include "daemon/db_dnssec.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/dd.h"

/* Steps a write statement once and resets it. */
static int
dz_done(sqlite3_stmt *st)
{
	int r = sqlite3_step(st);

	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : DD_EDB;
}

static int
dz_prep(struct db *db, const char *sql, sqlite3_stmt **st)
{
	return db_prep(db_sqlite(db), sql, st) == SQLITE_OK ? 0 : DD_EDB;
}

/* The first column of st's one row as an integer (the statement is reset); DD_EDB on error. */
static int64_t
dz_count(sqlite3_stmt *st)
{
	int64_t n = DD_EDB;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/* Copies blob column col into out (cap bytes); its length, or 0 when NULL or too long. */
static size_t
dz_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t cap)
{
	const void *b = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);

	if (b == NULL || n > cap)
		return 0;
	memcpy(out, b, n);
	return n;
}

static void
dz_text(sqlite3_stmt *st, int col, char *out, size_t cap)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	snprintf(out, cap, "%s", s ? s : "");
}

/* --- keys ------------------------------------------------------------- */

int
db_dnssec_keys(struct db *db, const char *zone, struct db_dnskey *out, size_t max, size_t *n)
{
	sqlite3_stmt *st;
	int step;

	*n = 0;
	if (dz_prep(db,
		    "SELECT id, role, algorithm, keytag, public, private, state, created_at, "
		    "state_at FROM dnssec_keys WHERE zone = ?1 AND state != 'removed' ORDER BY id",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		struct db_dnskey *k = &out[*n];
		memset(k, 0, sizeof(*k));
		k->id = sqlite3_column_int64(st, 0);
		dz_text(st, 1, k->role, sizeof(k->role));
		k->alg = (uint8_t)sqlite3_column_int(st, 2);
		k->keytag = (uint16_t)sqlite3_column_int(st, 3);
		k->publen = dz_blob(st, 4, k->pub, sizeof(k->pub));
		k->privlen = dz_blob(st, 5, k->priv, sizeof(k->priv));
		dz_text(st, 6, k->state, sizeof(k->state));
		k->created_at = sqlite3_column_int64(st, 7);
		k->state_at = sqlite3_column_int64(st, 8);
		(*n)++;
	}
	sqlite3_reset(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : DD_EDB;
}

int
db_dnssec_key_add(struct db *db, const char *zone, struct db_dnskey *k)
{
	sqlite3_stmt *st;
	int rc;

	if (dz_prep(db,
		    "INSERT INTO dnssec_keys (zone, role, algorithm, keytag, public, private, "
		    "state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->role, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, k->alg);
	sqlite3_bind_int(st, 4, k->keytag);
	sqlite3_bind_blob(st, 5, k->pub, (int)k->publen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, k->priv, (int)k->privlen, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, k->state, -1, SQLITE_STATIC);
	rc = dz_done(st);
	if (rc == 0)
		k->id = sqlite3_last_insert_rowid(db_sqlite(db));
	return rc;
}

int
db_dnssec_key_state(struct db *db, int64_t id, const char *state)
{
	sqlite3_stmt *st;

	if (dz_prep(db,
		    "UPDATE dnssec_keys SET state = ?2, state_at = strftime('%s','now') "
		    "WHERE id = ?1",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	return dz_done(st);
}

int
db_dnssec_zone(struct db *db, const char *zone, uint8_t *alg, char *denial, char *fp)
{
	sqlite3_stmt *st;
	int step;

	if (dz_prep(db, "SELECT algorithm, apex_fp, denial FROM dnssec_zones WHERE zone = ?1",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*alg = (uint8_t)sqlite3_column_int(st, 0);
		if (fp)
			dz_text(st, 1, fp, DB_APEX_FP);
		if (denial)
			dz_text(st, 2, denial, DB_DENIAL_MAX);
	}
	sqlite3_reset(st);
	return step == SQLITE_ROW ? 0 : step == SQLITE_DONE ? DD_ENOENT : DD_EDB;
}

int
db_dnssec_zone_set(struct db *db, const char *zone, uint8_t alg, const char *denial,
		   const char *fp)
{
	sqlite3_stmt *st;

	if (dz_prep(db,
		    "INSERT INTO dnssec_zones (zone, algorithm, denial, apex_fp) VALUES "
		    "(?1, ?2, ?3, ?4) ON CONFLICT (zone) DO UPDATE SET algorithm = ?2, "
		    "denial = ?3, apex_fp = ?4",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, alg);
	sqlite3_bind_text(st, 3, denial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, fp, -1, SQLITE_STATIC);
	return dz_done(st);
}

int
db_dnssec_zone_pending(struct db *db, const char *zone, char *cursor, size_t cap)
{
	sqlite3_stmt *st;
	int step, rc;

	if (dz_prep(db, "SELECT pending FROM dnssec_zones WHERE zone = ?1", &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	rc = step == SQLITE_ROW ? 0 : step == SQLITE_DONE ? DD_ENOENT : DD_EDB;
	if (rc == 0 && sqlite3_column_type(st, 0) == SQLITE_NULL)
		rc = DD_ENOENT;
	else if (rc == 0)
		dz_text(st, 0, cursor, cap);
	sqlite3_reset(st);
	return rc;
}

int
db_dnssec_zone_pending_set(struct db *db, const char *zone, const char *cursor)
{
	sqlite3_stmt *st;

	if (dz_prep(db, "UPDATE dnssec_zones SET pending = ?2 WHERE zone = ?1", &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	if (cursor)
		sqlite3_bind_text(st, 2, cursor, -1, SQLITE_STATIC);
	return dz_done(st);
}

int
db_dnssec_names_after(struct db *db, const char *after, int max, db_name_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int step, rc = 0;

	/* records' key is (name, type, value): the names in order, no sorter */
	if (sqlite3_prepare_v2(db_sqlite(db),
			       "SELECT DISTINCT name FROM records WHERE name > ?1 ORDER BY name "
			       "LIMIT ?2",
			       -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return DD_EDB;
	}
	sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, max);
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (name)
			rc = cb(arg, name);
	}
	sqlite3_finalize(st);
	if (rc)
		return rc;
	return step == SQLITE_DONE ? 0 : DD_EDB;
}

int64_t
db_dnssec_zone_rows(struct db *db, const char *zone)
{
	sqlite3_stmt *st;

	if (dz_prep(db, "SELECT count(*) FROM records WHERE name = ?1 OR name LIKE '%.' || ?1",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	return dz_count(st);
}

/* --- RRSIGs ----------------------------------------------------------- */

int
db_dnssec_sigs_del(struct db *db, const char *name)
{
	sqlite3_stmt *st;

	if (dz_prep(db, "DELETE FROM dnssec_sigs WHERE name = ?1", &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return dz_done(st);
}

int
db_dnssec_sigs_del_sets(struct db *db, const char *name)
{
	sqlite3_stmt *st;

	if (dz_prep(db, "DELETE FROM dnssec_sigs WHERE name = ?1 AND variant != 0", &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return dz_done(st);
}

int
db_dnssec_sig_del_key(struct db *db, const char *name, uint16_t covered, uint16_t keytag)
{
	sqlite3_stmt *st;

	if (dz_prep(db,
		    "DELETE FROM dnssec_sigs WHERE name = ?1 AND covered = ?2 AND keytag = ?3 AND "
		    "variant = 0",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, covered);
	sqlite3_bind_int(st, 3, keytag);
	return dz_done(st);
}

int
db_dnssec_sig_del(struct db *db, const char *name, uint16_t covered)
{
	sqlite3_stmt *st;

	if (dz_prep(db, "DELETE FROM dnssec_sigs WHERE name = ?1 AND covered = ?2", &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, covered);
	return dz_done(st);
}

int
db_dnssec_sig_states(struct db *db, const char *name, struct db_sig_state *out, size_t max,
		     size_t *n)
{
	sqlite3_stmt *st;
	int step;

	*n = 0;
	if (dz_prep(db,
		    "SELECT covered, keytag, expires, digest FROM dnssec_sigs WHERE name = ?1 AND "
		    "variant = 0",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		struct db_sig_state *g = &out[(*n)++];
		memset(g, 0, sizeof(*g));
		g->covered = (uint16_t)sqlite3_column_int(st, 0);
		g->keytag = (uint16_t)sqlite3_column_int(st, 1);
		g->expires = sqlite3_column_int64(st, 2);
		g->has_digest = dz_blob(st, 3, g->digest, sizeof(g->digest)) == DB_SIG_DIGEST;
	}
	sqlite3_reset(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : DD_EDB;
}

int
db_dnssec_sig_put(struct db *db, const char *zone, const char *name, uint16_t covered,
		  uint32_t variant, uint16_t keytag, const uint8_t *rdata, size_t len,
		  int64_t expires, const uint8_t *digest)
{
	sqlite3_stmt *st;

	/* a replaced RRSIG is an update: its journal rows say what went and came */
	if (dz_prep(db,
		    "INSERT INTO dnssec_sigs (zone, name, covered, keytag, rdata, "
		    "expires, variant, digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
		    "ON CONFLICT (name, covered, keytag, variant) DO UPDATE SET "
		    "zone = excluded.zone, rdata = excluded.rdata, expires = excluded.expires, "
		    "digest = excluded.digest",
		    &st) < 0)
		return DD_EDB;
	if (digest)
		sqlite3_bind_blob(st, 8, digest, DB_SIG_DIGEST, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, variant);
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, covered);
	sqlite3_bind_int(st, 4, keytag);
	sqlite3_bind_blob(st, 5, rdata, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, expires);
	return dz_done(st);
}

/* Runs cb over (name, covered, rdata) rows of st, then resets it. */
static int
dz_sig_walk(sqlite3_stmt *st, db_sig_cb cb, void *arg)
{
	int step, rc = 0;

	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const uint8_t *rd = sqlite3_column_blob(st, 2);
		int n = sqlite3_column_bytes(st, 2);
		if (name && rd && n > 0)
			rc = cb(arg, name, (uint16_t)sqlite3_column_int(st, 1),
				(uint32_t)sqlite3_column_int64(st, 3), rd, (size_t)n);
	}
	sqlite3_reset(st);
	if (rc)
		return rc;
	return step == SQLITE_DONE ? 0 : DD_EDB;
}

int
db_dnssec_sigs_of_name(struct db *db, const char *name, db_sig_cb cb, void *arg)
{
	sqlite3_stmt *st;

	if (dz_prep(db, "SELECT name, covered, rdata, variant FROM dnssec_sigs WHERE name = ?1", &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return dz_sig_walk(st, cb, arg);
}

int
db_dnssec_sigs_of_zone(struct db *db, const char *zone, db_sig_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* a walk of its own: callbacks may use the cached statements */
	if (sqlite3_prepare_v2(db_sqlite(db),
			       /* +zone: the primary key's order, no sort of the zone's rows */
			       "SELECT name, covered, rdata, variant FROM dnssec_sigs WHERE "
			       "+zone = ?1 ORDER BY name, covered",
			       -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return DD_EDB;
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	rc = dz_sig_walk(st, cb, arg);
	sqlite3_finalize(st);
	return rc;
}

int
db_dnssec_sigs_expiring(struct db *db, const char *zone, int64_t t, int keytag, int max,
			db_sig_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db_sqlite(db),
			       "SELECT name, covered, rdata, variant FROM dnssec_sigs WHERE "
			       "zone = ?1 AND (expires < ?2 OR keytag = ?4) ORDER BY expires "
			       "LIMIT ?3",
			       -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return DD_EDB;
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t);
	sqlite3_bind_int(st, 3, max);
	sqlite3_bind_int(st, 4, keytag);
	rc = dz_sig_walk(st, cb, arg);
	sqlite3_finalize(st);
	return rc;
}

int
db_dnssec_sigs_due(struct db *db, const char *zone, int64_t t, int keytag)
{
	sqlite3_stmt *st;
	int step;

	if (keytag >= 0 && db_dnssec_sigs_by_key(db, zone, keytag) > 0)
		return 1;
	if (dz_prep(db, "SELECT 1 FROM dnssec_sigs WHERE zone = ?1 AND expires < ?2 LIMIT 1",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t);
	step = sqlite3_step(st);
	sqlite3_reset(st);
	return step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : DD_EDB;
}

int64_t
db_dnssec_sigs_by_key(struct db *db, const char *zone, int keytag)
{
	sqlite3_stmt *st;

	if (dz_prep(db, "SELECT count(*) FROM dnssec_sigs WHERE zone = ?1 AND keytag = ?2", &st) <
	    0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, keytag);
	return dz_count(st);
}

int64_t
db_dnssec_max_ttl(struct db *db, const char *zone, int64_t defttl)
{
	sqlite3_stmt *st;

	/* rare (a rollover's last step): a scan of the zone's rows is fine */
	if (dz_prep(db,
		    "SELECT max(coalesce((SELECT max(coalesce(ttl, ?2)) FROM records WHERE "
		    "name = ?1 OR name LIKE '%.' || ?1), 0), coalesce((SELECT max(ttl) FROM pools "
		    "WHERE name = ?1 OR name LIKE '%.' || ?1), 0))",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, defttl);
	return dz_count(st);
}

int64_t
db_dnssec_sigs_pending(struct db *db, const char *zone, int64_t t)
{
	sqlite3_stmt *st;

	if (dz_prep(db, "SELECT count(*) FROM dnssec_sigs WHERE zone = ?1 AND expires < ?2",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t);
	return dz_count(st);
}

int
db_dnssec_sig_counts(struct db *db, const char *zone, int64_t t, int64_t *total,
		     int64_t *expiring)
{
	sqlite3_stmt *st;
	int step;

	*total = *expiring = 0;
	if (dz_prep(db,
		    "SELECT count(*), coalesce(sum(expires < ?2), 0) FROM dnssec_sigs "
		    "WHERE zone = ?1",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*total = sqlite3_column_int64(st, 0);
		*expiring = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return step == SQLITE_ROW ? 0 : DD_EDB;
}

/* --- the denial chain ------------------------------------------------- */

#define CHAIN_COLS "sortkey, name, types, rdata"

/* Columns sortkey, name, types, rdata of st into *out. */
static void
dz_chain_row(sqlite3_stmt *st, struct db_chain *out)
{
	out->key_len = dz_blob(st, 0, out->key, sizeof(out->key));
	dz_text(st, 1, out->name, sizeof(out->name));
	out->types_len = dz_blob(st, 2, out->types, sizeof(out->types));
	out->rdlen = dz_blob(st, 3, out->rdata, sizeof(out->rdata));
}

static int
dz_chain_one(sqlite3_stmt *st, struct db_chain *out)
{
	int step = sqlite3_step(st);

	if (step == SQLITE_ROW)
		dz_chain_row(st, out);
	sqlite3_reset(st);
	return step == SQLITE_ROW ? 0 : step == SQLITE_DONE ? DD_ENOENT : DD_EDB;
}

int
db_chain_by_name(struct db *db, const char *name, struct db_chain *out)
{
	sqlite3_stmt *st;

	if (dz_prep(db, "SELECT " CHAIN_COLS " FROM dnssec_chain WHERE name = ?1", &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return dz_chain_one(st, out);
}

int
db_chain_by_key(struct db *db, const char *zone, const uint8_t *key, size_t klen,
		struct db_chain *out)
{
	sqlite3_stmt *st;

	if (dz_prep(db,
		    "SELECT " CHAIN_COLS " FROM dnssec_chain WHERE zone = ?1 AND sortkey = ?2",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC);
	return dz_chain_one(st, out);
}

int
db_chain_put(struct db *db, const char *zone, const uint8_t *key, size_t klen, const char *name,
	     const char *parent, const uint8_t *types, size_t types_len)
{
	sqlite3_stmt *st;

	if (dz_prep(db,
		    "INSERT INTO dnssec_chain (zone, sortkey, name, parent, types) VALUES "
		    "(?1, ?2, ?3, ?4, ?5) ON CONFLICT (zone, sortkey) DO UPDATE SET "
		    "types = excluded.types",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	if (parent)
		sqlite3_bind_text(st, 4, parent, -1, SQLITE_STATIC);
	/* an empty non-terminal has an empty bitmap, not NULL */
	sqlite3_bind_blob(st, 5, types_len ? (const void *)types : (const void *)"", (int)types_len,
			  SQLITE_STATIC);
	return dz_done(st);
}

int
db_chain_del(struct db *db, const char *zone, const uint8_t *key, size_t klen)
{
	sqlite3_stmt *st;

	if (dz_prep(db, "DELETE FROM dnssec_chain WHERE zone = ?1 AND sortkey = ?2", &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC);
	return dz_done(st);
}

int
db_chain_has_children(struct db *db, const char *name)
{
	sqlite3_stmt *st;
	int step;

	if (dz_prep(db, "SELECT 1 FROM dnssec_chain WHERE parent = ?1 LIMIT 1", &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	sqlite3_reset(st);
	return step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : DD_EDB;
}

/* The first key of st (bound by the caller) into out. */
static int
dz_key_one(sqlite3_stmt *st, uint8_t *out, size_t *out_len)
{
	int step = sqlite3_step(st);

	if (step == SQLITE_ROW &&
	    (*out_len = dz_blob(st, 0, out, DB_CHAIN_KEY_MAX)) == 0)
		step = SQLITE_CORRUPT;
	sqlite3_reset(st);
	return step == SQLITE_ROW ? 0 : step == SQLITE_DONE ? DD_ENOENT : DD_EDB;
}

int
db_chain_step(struct db *db, const char *zone, const uint8_t *key, size_t klen, bool succ,
	      uint8_t *out, size_t *out_len)
{
	static const char *const sql[2][2] = {
		{"SELECT sortkey FROM dnssec_chain WHERE zone = ?1 AND sortkey < ?2 "
		 "ORDER BY sortkey DESC LIMIT 1",
		 "SELECT sortkey FROM dnssec_chain WHERE zone = ?1 ORDER BY sortkey DESC LIMIT 1"},
		{"SELECT sortkey FROM dnssec_chain WHERE zone = ?1 AND sortkey > ?2 "
		 "ORDER BY sortkey LIMIT 1",
		 "SELECT sortkey FROM dnssec_chain WHERE zone = ?1 ORDER BY sortkey LIMIT 1"}};
	sqlite3_stmt *st;
	int rc;

	if (dz_prep(db, sql[succ][0], &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC);
	rc = dz_key_one(st, out, out_len);
	if (rc != DD_ENOENT)
		return rc;
	/* past either end: round to the other */
	if (dz_prep(db, sql[succ][1], &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	return dz_key_one(st, out, out_len);
}

int
db_chain_set_rdata(struct db *db, const char *zone, const uint8_t *key, size_t klen,
		   const uint8_t *rdata, size_t len)
{
	sqlite3_stmt *st;

	if (dz_prep(db, "UPDATE dnssec_chain SET rdata = ?3 WHERE zone = ?1 AND sortkey = ?2",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, rdata, (int)len, SQLITE_STATIC);
	return dz_done(st);
}

static int
dz_chain_walk(sqlite3_stmt *st, db_chain_cb cb, void *arg)
{
	struct db_chain row;
	int step, rc = 0;

	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		dz_chain_row(st, &row);
		rc = cb(arg, &row);
	}
	if (rc)
		return rc;
	return step == SQLITE_DONE ? 0 : DD_EDB;
}

int
db_chain_bin(struct db *db, const char *zone, unsigned bin, db_chain_cb cb, void *arg)
{
	uint8_t lo[2] = {(uint8_t)(bin >> 8), (uint8_t)bin}, hi[DB_NSEC3_HASH + 1];
	size_t hilen = 2;
	sqlite3_stmt *st;
	int rc;

	/* [bin] <= hash < [bin + 1]; past the last bin, anything longer than a hash */
	if (bin + 1 < 0x10000) {
		hi[0] = (uint8_t)((bin + 1) >> 8);
		hi[1] = (uint8_t)(bin + 1);
	} else {
		memset(hi, 0xff, sizeof(hi));
		hilen = sizeof(hi);
	}
	if (dz_prep(db,
		    "SELECT " CHAIN_COLS " FROM dnssec_chain WHERE zone = ?1 AND "
		    "sortkey >= ?2 AND sortkey < ?3 ORDER BY sortkey",
		    &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, lo, 2, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, hi, (int)hilen, SQLITE_STATIC);
	rc = dz_chain_walk(st, cb, arg);
	sqlite3_reset(st);
	return rc;
}

int
db_chain_all(struct db *db, const char *zone, bool desc, db_chain_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db_sqlite(db),
			       desc ? "SELECT " CHAIN_COLS " FROM dnssec_chain WHERE zone = ?1 "
				      "ORDER BY sortkey DESC"
				    : "SELECT " CHAIN_COLS " FROM dnssec_chain WHERE zone = ?1 "
				      "ORDER BY sortkey",
			       -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return DD_EDB;
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	rc = dz_chain_walk(st, cb, arg);
	sqlite3_finalize(st);
	return rc;
}

int64_t
db_chain_count(struct db *db, const char *zone)
{
	sqlite3_stmt *st;

	if (dz_prep(db, "SELECT count(*) FROM dnssec_chain WHERE zone = ?1", &st) < 0)
		return DD_EDB;
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	return dz_count(st);
}
