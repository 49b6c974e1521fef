/*
 * db_users.h - the store's users, API tokens and acme-dns accounts (tables
 * users, tokens, acme_accounts).
 *
 * Every function runs on the connection of db (daemon/db.h) and is used by
 * the HTTP API and the control socket alike: one query per operation.
 * Strings handed to a callback are borrowed and live until it returns; a
 * non-zero return of a callback stops the walk and is returned.  Failures
 * return DD_EDB (daemon/dd.h) unless said otherwise.
 */
#ifndef DD_DB_USERS_H
#define DD_DB_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

#define DB_TOKEN_HASH_LEN 32 /* tokens.hash: BLAKE2b-256 of the token text */
#define DB_ACME_HASH_LEN  32 /* acme_accounts.password_hash */

/* One row of users. */
struct db_user {
	int64_t id;
	const char *username;
	bool admin;
	int64_t created_at; /* unix seconds */
	int64_t names;      /* distinct names it owns (db_user_list with names only) */
};

/* One row of tokens with its user; the fields not read by a call are 0 / NULL. */
struct db_token {
	int64_t id;
	const char *subdomain;     /* a scoped token's name; NULL: the user's API token */
	int64_t user_id;           /* 0: no user (a scoped token the master created) */
	const char *username;      /* NULL when user_id is 0 */
	bool admin;                /* db_token_find: the user's admin flag */
	const unsigned char *hash; /* db_token_find: DB_TOKEN_HASH_LEN bytes, NULL if the
				      stored hash has another length */
	int64_t created_at;        /* db_token_list: unix seconds */
	int64_t last_used_at;      /* db_token_list: unix seconds; 0: never used */
};

typedef int (*db_user_cb)(void *arg, const struct db_user *u);
typedef int (*db_token_cb)(void *arg, const struct db_token *t);

/*
 * Adds user username; *id gets its row id.  Returns 0, DD_EEXIST (the name
 * is taken) or DD_EDB.
 */
int db_user_insert(struct db *db, const char *username, bool admin, int64_t *id);

/* The id of username (0: no such user, -1: database error); *admin (may be NULL) its flag. */
int64_t db_user_find(struct db *db, const char *username, bool *admin);

/*
 * Deletes username and, through the foreign key, its tokens; its records
 * stay, unowned.  Returns 0, DD_ENOENT or DD_EDB.
 */
int db_user_delete(struct db *db, const char *username);

/*
 * Calls cb for every user in username order.  With names, u->names counts
 * the distinct record names each owns (a walk of the records table: for
 * `ddnsctl user list`); without, it is 0 and the records are not read.
 */
int db_user_list(struct db *db, bool names, db_user_cb cb, void *arg);

/*
 * Stores a token by its hash (DB_TOKEN_HASH_LEN bytes) for user_id (<= 0:
 * none) and subdomain (NULL: the user's API token); *id gets its row id.
 * Returns 0 or DD_EDB.
 */
int db_token_insert(struct db *db, int64_t user_id, const char *subdomain,
                    const unsigned char *hash, int64_t *id);

/*
 * Looks the token with that hash (DB_TOKEN_HASH_LEN bytes) up and calls cb
 * once with it.  Returns cb's result, DD_ENOENT (no such token) or DD_EDB.
 */
int db_token_find(struct db *db, const unsigned char *hash, db_token_cb cb, void *arg);

/* Sets the token's last_used_at to now; 0 or DD_EDB (callers may ignore it). */
int db_token_touch(struct db *db, int64_t id);

/* Calls cb for every token in id order. */
int db_token_list(struct db *db, db_token_cb cb, void *arg);

/*
 * Deletes token id: any token with any_user, else only one of user_id.
 * Returns 0, DD_ENOENT (no such token, or not user_id's) or DD_EDB.
 */
int db_token_delete(struct db *db, int64_t id, bool any_user, int64_t user_id);

/*
 * Adds an acme-dns account: hash is DB_ACME_HASH_LEN bytes, allowfrom the
 * JSON text of its CIDR list.  Returns 0 or DD_EDB (logged).
 */
int db_acme_insert(struct db *db, const char *username, const unsigned char *hash,
                   const char *subdomain, const char *allowfrom);

/*
 * The account of username: hash (DB_ACME_HASH_LEN bytes, left zero if the
 * stored one has another length), its subdomain into sub (subsz bytes) and
 * *allowfrom a malloc'd copy of its JSON text (NULL: none; the caller frees
 * it).  Returns 0, DD_ENOENT, DD_ENOMEM or DD_EDB (logged).
 */
int db_acme_find(struct db *db, const char *username, unsigned char *hash, char *sub, size_t subsz,
                 char **allowfrom);

/*
 * Whether label (lower case) is an acme-dns account's subdomain: 1, 0 or
 * DD_EDB (logged).
 */
int db_acme_subdomain_taken(struct db *db, const char *label);

#endif
