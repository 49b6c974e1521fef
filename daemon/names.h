/*
 * names.h - names and values as users write them -> canonical form.
 *
 * Canonical names are lower-case FQDNs without the trailing dot, labels of
 * letters, digits, '-' and '_' (1..63 bytes, whole name <= 253), a leading
 * "*" label allowed; UTF-8 labels become punycode A-labels (libidn2).
 * Canonical values: A/AAAA as inet_ntop prints them, CNAME as a canonical
 * name, TXT as given (<= 255 bytes, printable).
 */
#ifndef DD_DAEMON_NAMES_H
#define DD_DAEMON_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;

#define NAME_TEXT_MAX 256
#define VALUE_TEXT_MAX 256

/*
 * Resolves a user's name: a full name inside one of cfg's zones, or, when
 * exactly one zone is configured, a name relative to it ("home", "*.lb",
 * "_acme-challenge.home").  An empty subdomain or "@" is the apex.  Writes
 * the canonical FQDN to out.  Returns the zone index, or DD_EINVAL (not a
 * valid name) or DD_ENOENT (in no zone; relative with several zones).
 */
int names_resolve(const struct cfg *cfg, const char *user, char *out, size_t outsz);

/* Canonicalises a name without zone checks (CNAME targets).  0 or DD_EINVAL. */
int names_canonical(const char *in, char *out, size_t outsz);

/*
 * Validates value for type and writes its canonical form.  For A/AAAA any
 * textual form inet_pton accepts.  Returns 0 or DD_EINVAL.
 */
int names_value(uint16_t type, const char *in, char *out, size_t outsz);

/*
 * Whether canonical name is one the configuration keeps for admins: a zone's
 * apex, its "*" and "_acme-challenge" children, a name server host (NS or
 * SOA MNAME) and the acme-dns zone.  The acme-dns accounts' names are the
 * store's (writer_holder_of).
 */
bool names_reserved(const struct cfg *cfg, const char *name);

/* 4 for an IPv4 text, 6 for IPv6, 0 otherwise. */
int names_ip_family(const char *s);

#endif
