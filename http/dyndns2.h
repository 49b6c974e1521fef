/*
 * dyndns2.h - the pure parts of the dyndns2 resource (GET /nic/update):
 * hostname lists, myip, reply lines and the abuse tracker.  No sockets, no
 * database, no globals; http/dyndns2.c wires them to the HTTP worker.
 */
#ifndef DD_HTTP_DYNDNS2_H
#define DD_HTTP_DYNDNS2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define DYNDNS2_HOSTS_MAX    20  /* more hosts in one request: "numhost" */
#define DYNDNS2_HOST_MAX     256 /* bytes of one host, with the NUL */
#define DYNDNS2_ABUSE_LIMIT  5   /* unchanged updates allowed per window */
#define DYNDNS2_ABUSE_WINDOW 600 /* seconds */
#define DYNDNS2_ABUSE_SLOTS  4096

/*
 * The hosts of a hostname= parameter in request order.  An empty host[i]
 * stands for an item too long to be a name (its line is "notfqdn").
 */
struct dyndns2_hosts {
	char host[DYNDNS2_HOSTS_MAX][DYNDNS2_HOST_MAX];
	size_t n;
};

/*
 * Splits a comma-separated hostname list (blanks around items and empty
 * items are skipped).  Returns 0, DD_EINVAL (no host at all: "notfqdn") or
 * DD_ERANGE (more than DYNDNS2_HOSTS_MAX: "numhost").
 */
int dyndns2_hosts_parse(const char *list, struct dyndns2_hosts *out);

/* The addresses to set: canonical text (inet_ntop), "" when absent. */
struct dyndns2_ips {
	char v4[INET_ADDRSTRLEN];
	char v6[INET6_ADDRSTRLEN];
};

/*
 * Parses myip: one IPv4, one IPv6, or "IPv4,IPv6" in either order (one of
 * each family at most).  An IPv4-mapped IPv6 address counts as IPv4.
 * Returns 0, or DD_EINVAL with *out cleared.
 */
int dyndns2_myip_parse(const char *s, struct dyndns2_ips *out);

/* Adds one address of either family to *ips; 0, or DD_EINVAL. */
int dyndns2_ips_add(struct dyndns2_ips *ips, const char *addr);

/*
 * Appends one reply line "<code>[ <v4>[,<v6>]]\n" to buf at *off (ips
 * NULL: the code alone).  Returns 0, or DD_ETOOBIG (buf unchanged).
 */
int dyndns2_line_format(char *buf, size_t len, size_t *off, const char *code,
                        const struct dyndns2_ips *ips);

/*
 * Unchanged ("nochg") updates per (principal, host): a fixed table of
 * DYNDNS2_ABUSE_SLOTS entries, 8-way set associative, where a new key
 * replaces an expired entry or the least recently used one of its set.
 * principal is the token id (0 for the master token).  Time is injected so
 * that the window logic is testable.
 */
struct dyndns2_abuse;

/* Returns a new, empty tracker (free with dyndns2_abuse_destroy) or NULL. */
struct dyndns2_abuse *dyndns2_abuse_create(void);
void dyndns2_abuse_destroy(struct dyndns2_abuse *a);

/*
 * True when (principal, host) had DYNDNS2_ABUSE_LIMIT unchanged updates in
 * the window that began with the first of them and that window has not
 * passed: the request must write nothing and get "abuse".
 */
bool dyndns2_abuse_is_blocked(struct dyndns2_abuse *a, int64_t principal, const char *host,
                              int64_t now);

/* Records the outcome of a write: a change forgets the key, "nochg" counts. */
void dyndns2_abuse_note(struct dyndns2_abuse *a, int64_t principal, const char *host, bool changed,
                        int64_t now);

#endif
