/* db_users.c - users, tokens and acme-dns accounts in SQLite (see db_users.h). */
#include "daemon/db_users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/log.h"

/* ---------------------------------------------------------------- users */

int
db_user_insert(struct db *db, const char *username, bool admin, int64_t *id)
{
	sqlite3 *h = db_sqlite(db);
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(h, "INSERT INTO users (username, admin) VALUES (?1, ?2)", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, admin ? 1 : 0);
	if (sqlite3_step(st) == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(h);
		rc = 0;
	} else if (sqlite3_extended_errcode(h) == SQLITE_CONSTRAINT_UNIQUE) {
		rc = DD_EEXIST;
	}
	sqlite3_reset(st);
	return rc;
}

int64_t
db_user_find(struct db *db, const char *username, bool *admin)
{
	sqlite3_stmt *st = NULL;
	int64_t id = 0;

	if (db_prep(db_sqlite(db), "SELECT id, admin FROM users WHERE username = ?1", &st) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (admin)
			*admin = sqlite3_column_int(st, 1) != 0;
	}
	sqlite3_reset(st);
	return id;
}

int
db_user_delete(struct db *db, const char *username)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	/* tokens go with the user (ON DELETE CASCADE); records stay, unowned */
	if (db_prep(db_sqlite(db), "DELETE FROM users WHERE username = ?1", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = sqlite3_changes(db_sqlite(db)) > 0 ? 0 : DD_ENOENT;
	sqlite3_reset(st);
	return rc;
}

int
db_user_list(struct db *db, bool names, db_user_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	/* ?1 is constant for the statement: false, SQLite skips the walk of
	 * records that counts the names (records has no owner_id index) */
	if (sqlite3_prepare_v2(
	            db_sqlite(db),
	            "SELECT u.id, u.username, u.admin, u.created_at, coalesce(o.names, 0) "
	            "FROM users u LEFT JOIN (SELECT owner_id, count(DISTINCT name) AS "
	            "names FROM records WHERE ?1 AND owner_id IS NOT NULL GROUP BY "
	            "owner_id) o ON o.owner_id = u.id ORDER BY username",
	            -1, &st, NULL) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_int(st, 1, names ? 1 : 0);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_user u = {
		        .id = sqlite3_column_int64(st, 0),
		        .username = (const char *)sqlite3_column_text(st, 1),
		        .admin = sqlite3_column_int(st, 2) != 0,
		        .created_at = sqlite3_column_int64(st, 3),
		        .names = sqlite3_column_int64(st, 4),
		};
		if ((rc = cb(arg, &u)) != 0)
			break;
	}
	return db_walk_end(st, step, rc);
}

/* ---------------------------------------------------------------- tokens */

int
db_token_insert(struct db *db, int64_t user_id, const char *subdomain, const unsigned char *hash,
                int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (db_prep(db_sqlite(db),
	            "INSERT INTO tokens (user_id, subdomain, hash) VALUES (?1, ?2, ?3)",
	            &st) != SQLITE_OK)
		return DD_EDB;
	if (user_id > 0)
		sqlite3_bind_int64(st, 1, user_id);
	if (subdomain)
		sqlite3_bind_text(st, 2, subdomain, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(db_sqlite(db));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int
db_token_find(struct db *db, const unsigned char *hash, db_token_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	struct db_token t;
	int rc, step;

	if (db_prep(db_sqlite(db),
	            "SELECT t.id, t.hash, t.subdomain, coalesce(u.id, 0), u.username, "
	            "coalesce(u.admin, 0) FROM tokens t LEFT JOIN users u "
	            "ON u.id = t.user_id WHERE t.hash = ?1",
	            &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_blob(st, 1, hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		memset(&t, 0, sizeof(t));
		t.id = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == DB_TOKEN_HASH_LEN)
			t.hash = sqlite3_column_blob(st, 1);
		t.subdomain = (const char *)sqlite3_column_text(st, 2);
		t.user_id = sqlite3_column_int64(st, 3);
		t.username = (const char *)sqlite3_column_text(st, 4);
		t.admin = sqlite3_column_int(st, 5) != 0;
		rc = cb(arg, &t);
	} else {
		rc = step == SQLITE_DONE ? DD_ENOENT : DD_EDB;
	}
	sqlite3_reset(st);
	return rc;
}

int
db_token_touch(struct db *db, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prep(db_sqlite(db),
	            "UPDATE tokens SET last_used_at = strftime('%s','now') WHERE id = ?1",
	            &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : DD_EDB;
	sqlite3_reset(st);
	return rc;
}

int
db_token_list(struct db *db, db_token_cb cb, void *arg)
{
	sqlite3_stmt *st = NULL;
	struct db_token t;
	int rc = 0, step;

	if (sqlite3_prepare_v2(
	            db_sqlite(db),
	            "SELECT t.id, t.subdomain, u.username, t.created_at, t.last_used_at, "
	            "coalesce(u.id, 0) FROM tokens t LEFT JOIN users u ON u.id = t.user_id "
	            "ORDER BY t.id",
	            -1, &st, NULL) != SQLITE_OK)
		return DD_EDB;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&t, 0, sizeof(t));
		t.id = sqlite3_column_int64(st, 0);
		t.subdomain = (const char *)sqlite3_column_text(st, 1);
		t.username = (const char *)sqlite3_column_text(st, 2);
		t.created_at = sqlite3_column_int64(st, 3);
		t.last_used_at = sqlite3_column_int64(st, 4); /* NULL reads as 0 */
		t.user_id = sqlite3_column_int64(st, 5);
		if ((rc = cb(arg, &t)) != 0)
			break;
	}
	return db_walk_end(st, step, rc);
}

int
db_token_delete(struct db *db, int64_t id, bool any_user, int64_t user_id)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (sqlite3_prepare_v2(db_sqlite(db),
	                       "DELETE FROM tokens WHERE id = ?1 AND (?2 OR user_id = ?3)", -1, &st,
	                       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, any_user ? 1 : 0);
		sqlite3_bind_int64(st, 3, user_id);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = sqlite3_changes(db_sqlite(db)) > 0 ? 0 : DD_ENOENT;
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---------------------------------------------------------------- acme-dns */

int
db_acme_insert(struct db *db, const char *username, const unsigned char *hash,
               const char *subdomain, const char *allowfrom)
{
	sqlite3 *h = db_sqlite(db);
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(h,
	                        "INSERT INTO acme_accounts (username, password_hash, subdomain, "
	                        "allowfrom, created_at) VALUES (?, ?, ?, ?, strftime('%s','now'))",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, hash, DB_ACME_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, subdomain, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, allowfrom, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		log_warnx("acme: insert account: %s", sqlite3_errmsg(h));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : DD_EDB;
}

int
db_acme_find(struct db *db, const char *username, unsigned char *hash, char *sub, size_t subsz,
             char **allowfrom)
{
	sqlite3 *h = db_sqlite(db);
	sqlite3_stmt *st = NULL;
	const char *s, *allow;
	int rc;

	memset(hash, 0, DB_ACME_HASH_LEN);
	*allowfrom = NULL;
	rc = sqlite3_prepare_v2(h,
	                        "SELECT password_hash, subdomain, allowfrom FROM acme_accounts "
	                        "WHERE username = ?",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("acme: load account: %s", sqlite3_errmsg(h));
		sqlite3_finalize(st);
		return DD_EDB;
	}
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return DD_ENOENT;
	}
	if (sqlite3_column_bytes(st, 0) == DB_ACME_HASH_LEN)
		memcpy(hash, sqlite3_column_blob(st, 0), DB_ACME_HASH_LEN);
	s = (const char *)sqlite3_column_text(st, 1);
	snprintf(sub, subsz, "%s", s ? s : "");
	allow = (const char *)sqlite3_column_text(st, 2);
	rc = allow && (*allowfrom = strdup(allow)) == NULL ? DD_ENOMEM : 0;
	sqlite3_finalize(st);
	return rc;
}

int
db_acme_subdomain_taken(struct db *db, const char *label)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prep(db_sqlite(db), "SELECT 1 FROM acme_accounts WHERE lower(subdomain) = ?1",
		    &st) != SQLITE_OK) {
		log_warnx("acme: look up a subdomain: %s", sqlite3_errmsg(db_sqlite(db)));
		return DD_EDB;
	}
	sqlite3_bind_text(st, 1, label, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : DD_EDB;
	if (rc == DD_EDB)
		log_warnx("acme: look up a subdomain: %s", sqlite3_errmsg(db_sqlite(db)));
	sqlite3_reset(st);
	return rc;
}
