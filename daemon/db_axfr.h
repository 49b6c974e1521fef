/*
 * db_axfr.h - a zone's rows read for an AXFR (RFC 5936) one at a time, all
 * from one snapshot, on a read-only connection of the reader's own: the
 * writer's connection goes on writing while a transfer is taken in slices
 * (workers/xfr_out.c).
 */
#ifndef DD_DB_AXFR_H
#define DD_DB_AXFR_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;
struct db_axfr;

/* One row; the strings live until the next db_axfr_next or db_axfr_close. */
struct db_axfr_row {
	const char *name;  /* lower-case FQDN without trailing dot */
	const char *type;  /* "A", ... */
	const char *value; /* presentation form; NULL when rdata is set */
	const uint8_t *rdata; /* a DNSSEC record (RRSIG, NSEC3, NSEC): its wire RDATA */
	size_t rdlen;
	uint32_t ttl;      /* the row's, or the defttl passed when it has none */
};

/*
 * Starts reading zone's rows on h: its records (defttl where a row has no
 * TTL), then its pool_rrs rows published as up (xfr_up = 1), then, for a
 * signed zone, its RRSIGs (with the TTL each one covers) and its NSEC3
 * records (nsec3_ttl; owner "<base32hex hash>.<zone>") or NSEC records
 * (nsec3_ttl too: RFC 9077 sets the same TTL for both).  h is a
 * read-only connection with dd_zone() and the pool_rrs view
 * (writer_reader_open), handed over: db_axfr_close closes it, and so does a
 * failure here.  The read transaction begins before this returns: the rows
 * are those committed by then, whatever is committed while they are read.
 * Returns 0 and *out, DD_ENOMEM or DD_EDB.
 */
int db_axfr_open(struct sqlite3 *h, const char *zone, int64_t defttl, uint32_t nsec3_ttl,
		 struct db_axfr **out);

/* The next row into *row: 1, 0 past the last row (and after), or DD_EDB (db_axfr_errmsg). */
int db_axfr_next(struct db_axfr *a, struct db_axfr_row *row);

/* The message of the last error on a's connection; lives until the next call on a. */
const char *db_axfr_errmsg(struct db_axfr *a);

/* Ends the read, closes the connection and frees a.  NULL is a no-op. */
void db_axfr_close(struct db_axfr *a);

#endif
