/*
 * acme.h - the pure parts of the acme-dns resource (POST /acme/register,
 * POST /acme/update, GET /acme/health): account names and passwords, the
 * TXT value check, allowfrom CIDRs and which TXT values a name keeps.  No
 * sockets, no database, no globals; http/acme.c wires them to the worker.
 */
#ifndef DD_HTTP_ACME_H
#define DD_HTTP_ACME_H

#include <stdbool.h>
#include <stddef.h>

#define ACME_UUID_LEN     36 /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" */
#define ACME_PASSWORD_LEN 40 /* base64url characters: 240 bits */
#define ACME_TXT_LEN      43 /* base64url SHA-256 digest (RFC 8555 8.4) */
#define ACME_HASH_LEN     32 /* BLAKE2b-256 of the password */
#define ACME_TXT_KEEP     2  /* TXT values a name keeps (apex + wildcard challenge) */

/* Writes a random version 4 UUID (RFC 4122 4.4), lower case, to out (>= 37 bytes). */
void acme_uuid_build(char *out, size_t len);

/* True for a lower- or upper-case UUID text of ACME_UUID_LEN characters. */
bool acme_uuid_is_valid(const char *s);

/* Writes ACME_PASSWORD_LEN random base64url characters to out (>= 41 bytes). */
void acme_password_build(char *out, size_t len);

/* The stored form of a password: BLAKE2b-256, unkeyed. */
void acme_password_hash(const char *password, unsigned char out[ACME_HASH_LEN]);

/* True when txt is exactly ACME_TXT_LEN characters of [A-Za-z0-9_-]. */
bool acme_txt_is_valid(const char *txt);

/*
 * True when s is "ADDR/PREFIX" (IPv4 0..32, IPv6 0..128; host bits may be
 * set) or a bare address (one host).
 */
bool acme_cidr_is_valid(const char *s);

/*
 * True when addr (IPv4 or IPv6 text; an IPv4-mapped IPv6 address counts as
 * IPv4) lies inside cidr.  False for an invalid cidr or addr.
 */
bool acme_cidr_contains(const char *cidr, const char *addr);

/*
 * The TXT RRset after writing txt: the newest current value other than txt
 * (cur in insertion order, oldest first), then txt.  Writes borrowed
 * pointers to out (room for ACME_TXT_KEEP) and returns their number.
 */
size_t acme_txt_next(const char *const *cur, size_t ncur, const char *txt, const char **out);

#endif
