/*
 * zonefile.h - RFC 1035 section 5 master files, read into ddnsd's records
 * and written back out.
 *
 * ddnsd serves A, AAAA, CNAME and TXT records plus the apex SOA and NS, so
 * that is all a master file may hold here.  The reader accepts comments,
 * blank lines, $ORIGIN (absolute or relative to the current origin), $TTL
 * (seconds or BIND units: 1h30m, 2d, 1w), "@", relative and absolute owners,
 * owner inheritance (a line starting with a blank), an optional TTL and
 * class IN in either order, parentheses spanning lines and quoted strings
 * with \" \\ \X and \DDD escapes.
 *
 * Choices, all reported as "FILE:LINE: reason" errors:
 *   - $INCLUDE and other directives are refused; classes other than IN are
 *     refused; types other than the six above are refused by name.
 *   - A TXT record with several character-strings ("a" "b") becomes one
 *     value holding their concatenation, since ddnsd stores one string per
 *     value; if that would exceed 255 bytes the record is refused.  TXT
 *     bytes below 0x20, and 0x7f, are refused: ddnsd does not store them.
 *   - Names are ddnsd's canonical names: labels of letters, digits, '-' and
 *     '_' (1..63 bytes, whole name <= 253), a leading "*" label allowed in
 *     owners only; escapes in names are refused.
 *   - SOA only at the apex and at most once; NS only at the apex
 *     (delegations are not served); CNAME neither at the apex nor beside
 *     other data at its name, and at most one per name.
 *   - A record without a TTL takes the last $TTL, or default_ttl before any.
 *   - Identical records (name, type, value) are kept once (RFC 2181 5).
 *   - Limits below (file size, line length, record, NS and error counts)
 *     are errors too, never a crash or a truncated import.
 * Every error is collected; parsing does not stop at the first.
 */
#ifndef DD_DNS_ZONEFILE_H
#define DD_DNS_ZONEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ZF_NAME_MAX    256         /* canonical name incl. NUL (<= 253 chars) */
#define ZF_VALUE_MAX   256         /* canonical value incl. NUL (<= 255 bytes) */
#define ZF_TTL_MAX     2147483647u /* RFC 2181 8 */
#define ZF_FILE_MAX    (64u << 20) /* bytes */
#define ZF_LINE_MAX    8192        /* bytes in one physical line */
#define ZF_RECORDS_MAX 100000      /* records besides SOA and NS */
#define ZF_NS_MAX      32          /* apex NS records */
#define ZF_ERRORS_MAX  1000        /* errors kept; one more line counts the rest */

/*
 * One A, AAAA, CNAME or TXT record.  name is canonical (lower case, no
 * trailing dot).  value is what ddnsd stores: A/AAAA as inet_ntop prints
 * them, CNAME as a canonical name, TXT as raw bytes (one string, no quotes,
 * no escapes, no NUL).  line is where the record starts in the file.
 */
struct zf_record {
	char name[ZF_NAME_MAX];
	uint16_t type;
	uint32_t ttl;
	char value[ZF_VALUE_MAX];
	int line;
};

/* The apex SOA; mname and rname canonical names (rname in mailbox form). */
struct zf_soa {
	char mname[ZF_NAME_MAX], rname[ZF_NAME_MAX];
	uint32_t serial, refresh, retry, expire, minimum, ttl;
};

/*
 * What a master file held.  rr: the A/AAAA/CNAME/TXT records in file order;
 * soa: valid when has_soa; ns: the apex NS targets (canonical names) in file
 * order, without duplicates; errors: "FILE:LINE: reason" strings sorted by
 * line (a problem with the file as a whole is "FILE: reason").  All of it is
 * owned by the result and freed by zf_result_fini().
 */
struct zf_result {
	struct zf_record *rr;
	size_t n;
	struct zf_soa soa;
	bool has_soa;
	char **ns;
	size_t nns;
	char **errors;
	size_t nerrors;
};

/*
 * Parses the master file at path for the zone origin (canonical apex name;
 * a trailing dot and upper case are tolerated).  default_ttl applies to
 * records without a TTL before any $TTL.  *out is initialised here; call
 * zf_result_fini() whatever the return.  Returns 0, DD_ECONFIG (out->errors
 * holds every error; the records are incomplete and must not be used),
 * DD_EINVAL (origin or default_ttl invalid), DD_ENOENT (no such file),
 * DD_EIO (unreadable) or DD_ENOMEM.
 */
int zf_parse_file(const char *path, const char *origin, uint32_t default_ttl,
                  struct zf_result *out);

/*
 * As zf_parse_file() for the len bytes at buf (not NUL-terminated); fname
 * only names the file in error messages.  Returns 0, DD_ECONFIG, DD_EINVAL
 * or DD_ENOMEM.
 */
int zf_parse_buf(const char *buf, size_t len, const char *fname, const char *origin,
                 uint32_t default_ttl, struct zf_result *out);

/* Frees what a result owns and zeroes it; safe on a zeroed or finished result. */
void zf_result_fini(struct zf_result *r);

/*
 * Writes a master file for the zone origin to f: $ORIGIN, $TTL default_ttl,
 * the SOA (if soa is non-NULL; parenthesised, one field per line), the nns
 * NS records (TTL default_ttl), then rr sorted by name in DNSSEC canonical
 * order (RFC 4034 6.1), then type, then their order in rr.  Names inside
 * the origin are written relative ("@" for the apex), others absolute with
 * the trailing dot.  TXT values are quoted, with '"' and '\\' escaped and
 * bytes outside printable ASCII as \DDD.  Nothing is kept.  Returns 0,
 * DD_EINVAL (a name or value unterminated, or a type other than A, AAAA,
 * CNAME, TXT or NS), DD_ENOMEM or DD_EIO (write error).
 */
int zf_write(FILE *f, const char *origin, uint32_t default_ttl, const struct zf_soa *soa,
             char *const *ns, size_t nns, const struct zf_record *rr, size_t n);

#endif
