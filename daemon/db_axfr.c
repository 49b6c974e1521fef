/* db_axfr.c - the SQL of a streamed AXFR's zone read (see db_axfr.h). */
#include "daemon/db_axfr.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/dd.h"
#include "dns/dnssec.h"

#define AXFR_RRSIG "RRSIG"
#define AXFR_NSEC3 "NSEC3"
#define AXFR_NSEC  "NSEC"

struct db_axfr {
	sqlite3 *h;
	sqlite3_stmt *st;
	bool done; /* stepped past the last row: another step would start over */
	char owner[NSEC3_B32_LEN + 2 + 256]; /* an NSEC3 record's owner */
	char zbuf[256];
};

int
db_axfr_open(sqlite3 *h, const char *zone, int64_t defttl, uint32_t nsec3_ttl,
	     struct db_axfr **out)
{
	struct db_axfr *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (a == NULL) {
		sqlite3_close(h);
		return DD_ENOMEM;
	}
	a->h = h;
	/* sqlite3_prepare_v2, not db_prep: the statement goes with this
	 * connection, which closes when the transfer ends */
	if (sqlite3_prepare_v2(h,
			       "SELECT name, type, value, coalesce(ttl, ?2) FROM records WHERE "
			       "dd_zone(name) = ?1 UNION ALL SELECT name, type, value, ttl FROM "
			       "pool_rrs WHERE xfr_up = 1 AND dd_zone(name) = ?1 UNION ALL "
			       "SELECT name, '" AXFR_RRSIG "', rdata, 0 FROM dnssec_sigs WHERE "
			       "zone = ?1 AND variant = 0 UNION ALL SELECT CASE d.denial WHEN 'nsec' THEN "
			       "c.name ELSE c.sortkey END, upper(d.denial), c.rdata, ?3 FROM "
			       "dnssec_chain c JOIN dnssec_zones d ON d.zone = c.zone WHERE "
			       "c.zone = ?1 AND c.rdata IS NOT NULL",
			       -1, &a->st, NULL) != SQLITE_OK ||
	    /* a deferred BEGIN takes its snapshot at the first read: read now */
	    sqlite3_exec(h, "BEGIN; SELECT count(*) FROM zones", NULL, NULL, NULL) != SQLITE_OK) {
		db_axfr_close(a);
		return DD_EDB;
	}
	sqlite3_bind_text(a->st, 1, zone, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(a->st, 2, defttl);
	sqlite3_bind_int64(a->st, 3, nsec3_ttl);
	snprintf(a->zbuf, sizeof(a->zbuf), "%s", zone);
	*out = a;
	return 0;
}

int
db_axfr_next(struct db_axfr *a, struct db_axfr_row *row)
{
	int r;

	if (a->done)
		return 0;
	if ((r = sqlite3_step(a->st)) != SQLITE_ROW) {
		a->done = r == SQLITE_DONE;
		return a->done ? 0 : DD_EDB;
	}
	row->type = (const char *)sqlite3_column_text(a->st, 1);
	row->ttl = (uint32_t)sqlite3_column_int64(a->st, 3);
	row->rdata = NULL;
	row->rdlen = 0;
	if (sqlite3_column_type(a->st, 2) != SQLITE_BLOB) {
		row->name = (const char *)sqlite3_column_text(a->st, 0);
		row->value = (const char *)sqlite3_column_text(a->st, 2);
		return 1;
	}
	/* DNSSEC rows: wire RDATA */
	row->value = NULL;
	row->rdata = sqlite3_column_blob(a->st, 2);
	row->rdlen = (size_t)sqlite3_column_bytes(a->st, 2);
	if (row->type && strcmp(row->type, AXFR_NSEC3) == 0) {
		char b32[NSEC3_B32_LEN + 1];
		if (sqlite3_column_bytes(a->st, 0) != NSEC3_HASH_LEN)
			return DD_EDB;
		dnssec_b32hex(sqlite3_column_blob(a->st, 0), NSEC3_HASH_LEN, b32);
		snprintf(a->owner, sizeof(a->owner), "%s.%s", b32, a->zbuf);
		row->name = a->owner;
	} else if (row->type && strcmp(row->type, AXFR_NSEC) == 0) {
		row->name = (const char *)sqlite3_column_text(a->st, 0);
	} else {
		row->name = (const char *)sqlite3_column_text(a->st, 0);
		/* an RRSIG has the TTL of the RRset it covers: its original TTL */
		if (row->rdlen >= DNSSEC_RRSIG_FIXED)
			row->ttl = (uint32_t)row->rdata[4] << 24 | (uint32_t)row->rdata[5] << 16 |
				   (uint32_t)row->rdata[6] << 8 | row->rdata[7];
	}
	return 1;
}

const char *
db_axfr_errmsg(struct db_axfr *a)
{
	return sqlite3_errmsg(a->h);
}

void
db_axfr_close(struct db_axfr *a)
{
	if (a == NULL)
		return;
	/* closing with the read transaction open ends it */
	sqlite3_finalize(a->st);
	sqlite3_close(a->h);
	free(a);
}
