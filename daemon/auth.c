/* auth.c - tokens, users and permissions (see auth.h). */
#include "daemon/auth.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/log.h"

#define AUTH_PREFIX "ddnsd_"

static void
auth_hash(const char *token, unsigned char out[crypto_generichash_BYTES])
{
	crypto_generichash(out, crypto_generichash_BYTES, (const unsigned char *)token,
			   strlen(token), NULL, 0);
}

/* Constant-time comparison of two strings of any length, through their hashes. */
static bool
auth_equal(const char *a, const char *b)
{
	unsigned char ha[crypto_generichash_BYTES], hb[crypto_generichash_BYTES];

	auth_hash(a, ha);
	auth_hash(b, hb);
	return sodium_memcmp(ha, hb, sizeof(ha)) == 0;
}

int
auth_check(struct db *db, const struct cfg *cfg, const char *token, struct auth_principal *p)
{
	unsigned char h[crypto_generichash_BYTES];
	sqlite3_stmt *st = NULL;
	int rc = DD_ENOENT, step;

	memset(p, 0, sizeof(*p));
	if (token == NULL || token[0] == '\0' || strlen(token) > 512)
		return DD_ENOENT;
	if (cfg->master_token != NULL && auth_equal(token, cfg->master_token)) {
		p->kind = AUTH_MASTER;
		p->admin = true;
		snprintf(p->actor, sizeof(p->actor), "master");
		return 0;
	}
	auth_hash(token, h);
	if (db_prep(db_sqlite(db),
			       "SELECT t.id, t.hash, t.subdomain, coalesce(u.id, 0), u.username, "
			       "coalesce(u.admin, 0) FROM tokens t LEFT JOIN users u "
			       "ON u.id = t.user_id WHERE t.hash = ?1", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW && sqlite3_column_bytes(st, 1) == (int)sizeof(h) &&
	    sodium_memcmp(sqlite3_column_blob(st, 1), h, sizeof(h)) == 0) {
		const char *scope = (const char *)sqlite3_column_text(st, 2);
		const char *user = (const char *)sqlite3_column_text(st, 4);
		p->token_id = sqlite3_column_int64(st, 0);
		p->user_id = sqlite3_column_int64(st, 3);
		snprintf(p->username, sizeof(p->username), "%s", user ? user : "");
		p->admin = sqlite3_column_int(st, 5) != 0 && scope == NULL;
		if (scope != NULL) {
			p->kind = AUTH_SCOPED;
			snprintf(p->scope, sizeof(p->scope), "%s", scope);
			snprintf(p->actor, sizeof(p->actor), "token:%lld", (long long)p->token_id);
		} else {
			p->kind = AUTH_USER;
			snprintf(p->actor, sizeof(p->actor), "user:%s", p->username);
		}
		rc = 0;
	} else if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = DD_EDB;
	}
	sqlite3_reset(st);
	if (rc == 0 && db_prep(db_sqlite(db),
					  "UPDATE tokens SET last_used_at = strftime('%s','now') "
					  "WHERE id = ?1", &st) == SQLITE_OK) {
		/* best effort: a read-only database must not lock users out */
		sqlite3_bind_int64(st, 1, p->token_id);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	return rc;
}

bool
auth_may_write(const struct auth_principal *p, const char *name, int64_t owner)
{
	switch (p->kind) {
	case AUTH_MASTER:
		return true;
	case AUTH_USER:
		return p->admin || owner == 0 || owner == p->user_id;
	case AUTH_SCOPED: {
		static const char acme[] = "_acme-challenge.";
		if (strcmp(name, p->scope) == 0)
			return true;
		return strncmp(name, acme, sizeof(acme) - 1) == 0 &&
		       strcmp(name + sizeof(acme) - 1, p->scope) == 0;
	}
	default:
		return false;
	}
}

bool
auth_needs_owner(const struct auth_principal *p)
{
	return p->kind == AUTH_USER && !p->admin;
}

bool
auth_may_read(const struct auth_principal *p, const char *name, int64_t owner)
{
	if (p->kind == AUTH_USER && !p->admin)
		return owner == p->user_id;
	return auth_may_write(p, name, owner);
}

int
auth_token_create(struct db *db, int64_t user_id, const char *scope, char *out, size_t outsz,
		  int64_t *id)
{
	unsigned char raw[32], h[crypto_generichash_BYTES];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB;

	if (outsz < AUTH_TOKEN_LEN + 1)
		return DD_EINVAL;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(out, outsz, AUTH_PREFIX "%s", b64);
	auth_hash(out, h);
	sodium_memzero(raw, sizeof(raw));
	if (db_prep(db_sqlite(db),
			       "INSERT INTO tokens (user_id, subdomain, hash) VALUES (?1, ?2, ?3)", &st) != SQLITE_OK)
		return DD_EDB;
	if (user_id > 0)
		sqlite3_bind_int64(st, 1, user_id);
	if (scope)
		sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, h, sizeof(h), SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(db_sqlite(db));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

bool
auth_username_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= AUTH_USERNAME_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int
auth_user_create(struct db *db, const char *username, bool admin, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int rc = DD_EDB, step;

	if (db_prep(db_sqlite(db), "INSERT INTO users (username, admin) VALUES (?1, ?2)", &st) != SQLITE_OK)
		return DD_EDB;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, admin ? 1 : 0);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(db_sqlite(db));
		rc = 0;
	} else if (sqlite3_extended_errcode(db_sqlite(db)) == SQLITE_CONSTRAINT_UNIQUE) {
		rc = DD_EEXIST;
	}
	sqlite3_reset(st);
	return rc;
}

int64_t
auth_user_find(struct db *db, const char *username, bool *admin)
{
	sqlite3_stmt *st = NULL;
	int64_t id = 0;

	if (db_prep(db_sqlite(db), "SELECT id, admin FROM users WHERE username = ?1", &st) != SQLITE_OK)
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
auth_user_delete(struct db *db, const char *username)
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
