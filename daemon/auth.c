/* auth.c - tokens and permissions (see auth.h); the rows are the store's (db_users.h). */
#include "daemon/auth.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "daemon/config.h"
#include "daemon/db_users.h"
#include "daemon/dd.h"

#define AUTH_PREFIX "ddnsd_"

_Static_assert(crypto_generichash_BYTES == DB_TOKEN_HASH_LEN, "tokens.hash is BLAKE2b-256");

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

/* Fills the principal of a stored token (db_token_find's callback). */
static int
auth_principal_fill(void *arg, const struct db_token *t)
{
	struct auth_principal *p = arg;

	p->token_id = t->id;
	p->user_id = t->user_id;
	snprintf(p->username, sizeof(p->username), "%s", t->username ? t->username : "");
	p->admin = t->admin && t->subdomain == NULL;
	if (t->subdomain != NULL) {
		p->kind = AUTH_SCOPED;
		snprintf(p->scope, sizeof(p->scope), "%s", t->subdomain);
		snprintf(p->actor, sizeof(p->actor), "token:%lld", (long long)p->token_id);
	} else {
		p->kind = AUTH_USER;
		snprintf(p->actor, sizeof(p->actor), "user:%s", p->username);
	}
	return 0;
}

struct auth_lookup {
	unsigned char hash[crypto_generichash_BYTES];
	struct auth_principal *p;
};

/* db_token_find's callback: the stored hash compared in constant time. */
static int
auth_token_match(void *arg, const struct db_token *t)
{
	struct auth_lookup *l = arg;

	if (t->hash == NULL || sodium_memcmp(t->hash, l->hash, sizeof(l->hash)) != 0)
		return DD_ENOENT;
	return auth_principal_fill(l->p, t);
}

int
auth_check(struct db *db, const struct cfg *cfg, const char *token, struct auth_principal *p)
{
	struct auth_lookup l = {.p = p};
	int rc;

	memset(p, 0, sizeof(*p));
	if (token == NULL || token[0] == '\0' || strlen(token) > 512)
		return DD_ENOENT;
	if (cfg->master_token != NULL && auth_equal(token, cfg->master_token)) {
		p->kind = AUTH_MASTER;
		p->admin = true;
		snprintf(p->actor, sizeof(p->actor), "master");
		return 0;
	}
	auth_hash(token, l.hash);
	rc = db_token_find(db, l.hash, auth_token_match, &l);
	/* best effort: a read-only database must not lock users out */
	if (rc == 0)
		db_token_touch(db, p->token_id);
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

	if (outsz < AUTH_TOKEN_LEN + 1)
		return DD_EINVAL;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(out, outsz, AUTH_PREFIX "%s", b64);
	auth_hash(out, h);
	sodium_memzero(raw, sizeof(raw));
	return db_token_insert(db, user_id, scope, h, id);
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
