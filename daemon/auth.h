/*
 * auth.h - tokens, users and what a token may touch.
 *
 * Tokens are 32 random bytes (libsodium) shown once as "ddnsd_" + 43
 * base64url characters; only their BLAKE2b-256 hash is stored.  A token is
 * found by its hash and compared in constant time (sodium_memcmp).  The
 * master token (auth.master_token / DDNSD_MASTER_TOKEN) is compared the same
 * way.
 */
#ifndef DD_DAEMON_AUTH_H
#define DD_DAEMON_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct db;

#define AUTH_TOKEN_LEN 49 /* "ddnsd_" + 43 base64url chars */
#define AUTH_USERNAME_MAX 64

enum auth_kind {
	AUTH_NONE = 0,
	AUTH_MASTER,  /* full control */
	AUTH_USER,    /* a user's API token (admin or not) */
	AUTH_SCOPED,  /* a token limited to one name and its _acme-challenge child */
};

struct auth_principal {
	enum auth_kind kind;
	bool admin;                        /* master or admin user */
	int64_t user_id;                   /* 0 for master */
	int64_t token_id;                  /* 0 for master */
	char username[AUTH_USERNAME_MAX];  /* "" for master */
	char scope[256];                   /* AUTH_SCOPED: canonical name */
	char actor[96];                    /* for audit: "master", "user:alice", "token:12" */
};

/*
 * Checks token against the master token and the tokens table; fills *p and
 * records last_used_at.  Returns 0, or DD_ENOENT (unknown token: 401), or
 * DD_EDB.
 */
int auth_check(struct db *db, const struct cfg *cfg, const char *token, struct auth_principal *p);

/*
 * May p write name (canonical)?  owner is the name's current owner (users.id,
 * 0 = free).  Master and admins may write anything; a user a free name or one
 * they own; a scoped token its name and "_acme-challenge.<name>".
 */
bool auth_may_write(const struct auth_principal *p, const char *name, int64_t owner);
/* Whether auth_may_write's answer for p depends on the owner at all (a
 * user's own token that is not an admin's): else the lookup can be skipped. */
bool auth_needs_owner(const struct auth_principal *p);
/* May p see name in listings (same rule as writing). */
bool auth_may_read(const struct auth_principal *p, const char *name, int64_t owner);

/*
 * Creates a token for user_id (scope NULL: the user's API token; else a
 * token scoped to that canonical name).  Writes the token text (shown once)
 * to out (>= AUTH_TOKEN_LEN + 1 bytes) and its row id to *id.  Returns 0,
 * DD_EINVAL (out too small) or DD_EDB.  Users themselves, token listings
 * and revocation are the store's: daemon/db_users.h.
 */
int auth_token_create(struct db *db, int64_t user_id, const char *scope, char *out, size_t outsz,
		      int64_t *id);

/* Valid username: 1..63 of [a-z0-9._-], starting with a letter or digit. */
bool auth_username_valid(const char *s);

#endif
