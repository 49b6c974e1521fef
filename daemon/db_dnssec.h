/*
 * db_dnssec.h - the store's DNSSEC tables (schema version 8, daemon/db.c):
 * a signed zone's keys, the RRSIGs the writer made and the NSEC3 chain.
 * All of it is written on the writer's connection inside its transaction
 * (daemon/signer.c decides what; this file only knows the SQL), and read by
 * the table build and the transfers.
 *
 * Return codes: 0, DD_ENOENT (no such row), DD_EDB (an SQLite error), and
 * for the walks whatever the callback returned (non-zero stops them).
 */
#ifndef DD_DB_DNSSEC_H
#define DD_DB_DNSSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

#define DB_DNSKEY_MAX 64  /* a public or private key, bytes */
#define DB_NSEC3_HASH 20  /* SHA-1 */
#define DB_BITMAP_MAX 256 /* an NSEC3 type bitmap of the types we serve, bytes */
#define DB_KEYS_MAX   8   /* keys of one zone at once (rollovers included) */

/* dnssec_keys.role */
#define DB_KEY_KSK "ksk"
#define DB_KEY_ZSK "zsk"
/* dnssec_keys.state: published (in the DNSKEY RRset only), active (signs),
 * retired (published, no longer signs, its RRSIGs being replaced), inactive
 * (published, none of its RRSIGs left: waiting for caches to forget them),
 * removed (kept for the record) */
#define DB_KEY_DS_ONLY   "ds-only"   /* a new KSK: its DS goes to the parent first (double-DS) */
#define DB_KEY_PUBLISHED "published"
#define DB_KEY_ACTIVE    "active"
#define DB_KEY_RETIRED   "retired"
#define DB_KEY_INACTIVE  "inactive"
#define DB_KEY_REMOVED   "removed"

struct db_dnskey {
	int64_t id;
	char role[4];
	uint8_t alg;
	uint16_t keytag;
	uint8_t pub[DB_DNSKEY_MAX];
	size_t publen;
	uint8_t priv[DB_DNSKEY_MAX];
	size_t privlen;
	char state[12];
	int64_t created_at, state_at;
};

/* The zone's keys that are not removed, oldest first: up to max into out, the count in *n. */
int db_dnssec_keys(struct db *db, const char *zone, struct db_dnskey *out, size_t max, size_t *n);
/* Adds a key (k->id is set). */
int db_dnssec_key_add(struct db *db, const char *zone, struct db_dnskey *k);
/* Moves key id to state (state_at = now). */
int db_dnssec_key_state(struct db *db, int64_t id, const char *state);

#define DB_APEX_FP 65 /* a digest of what a zone's apex was signed with, hex */

#define DB_DENIAL_MAX 8 /* dnssec_zones.denial: "nsec3" or "nsec", NUL included */

/* How zone was signed: its algorithm, denial and apex digest (denial and fp
 * may be NULL; fp "" when none).  DD_ENOENT: never signed. */
int db_dnssec_zone(struct db *db, const char *zone, uint8_t *alg, char *denial, char *fp);
int db_dnssec_zone_set(struct db *db, const char *zone, uint8_t alg, const char *denial,
		       const char *fp);
/*
 * A zone being signed in the background: the last record name signed into
 * cursor (cap bytes; "" before the first), 0; DD_ENOENT when the zone is
 * completely signed (or unknown).  _set stores it (NULL: signed).
 */
int db_dnssec_zone_pending(struct db *db, const char *zone, char *cursor, size_t cap);
int db_dnssec_zone_pending_set(struct db *db, const char *zone, const char *cursor);
typedef int (*db_name_cb)(void *arg, const char *name);
/* Up to max record names after `after` (name order), to cb. */
int db_dnssec_names_after(struct db *db, const char *after, int max, db_name_cb cb, void *arg);
/* Rows of records at zone or below it. */
int64_t db_dnssec_zone_rows(struct db *db, const char *zone);

/* --- RRSIGs ----------------------------------------------------------- */

/* variant: 0 for an RRset's RRSIG; a pool's sets carry their members' bit mask */
typedef int (*db_sig_cb)(void *arg, const char *name, uint16_t covered, uint32_t variant,
			 const uint8_t *rdata, size_t len);
/* Removes every RRSIG at name (all covered types). */
int db_dnssec_sigs_del(struct db *db, const char *name);
/* Removes name's RRSIGs of pool answer sets (variant != 0). */
int db_dnssec_sigs_del_sets(struct db *db, const char *name);
/* Removes name's RRSIG over covered made with keytag (variant 0). */
int db_dnssec_sig_del_key(struct db *db, const char *name, uint16_t covered, uint16_t keytag);
/* Removes name's RRSIGs over covered. */
int db_dnssec_sig_del(struct db *db, const char *name, uint16_t covered);
#define DB_SIG_DIGEST 16 /* bytes of dnssec_sigs.digest */

/* Adds (or replaces) the RRSIG of name over covered (variant) made with
 * keytag over an RRset whose digest (DB_SIG_DIGEST bytes, or NULL) is given. */
int db_dnssec_sig_put(struct db *db, const char *zone, const char *name, uint16_t covered,
		      uint32_t variant, uint16_t keytag, const uint8_t *rdata, size_t len,
		      int64_t expires, const uint8_t *digest);

/* What a name's RRSIGs (variant 0) cover, by whom, until when, over what. */
struct db_sig_state {
	uint16_t covered;
	uint16_t keytag;
	int64_t expires;
	uint8_t digest[DB_SIG_DIGEST];
	bool has_digest;
	bool used; /* the caller's mark */
};
/* Up to max of name's RRSIG states into out, the count in *n. */
int db_dnssec_sig_states(struct db *db, const char *name, struct db_sig_state *out, size_t max,
			 size_t *n);
/* name's RRSIGs, by covered type. */
int db_dnssec_sigs_of_name(struct db *db, const char *name, db_sig_cb cb, void *arg);
/* Every RRSIG of zone in name order (a statement of its own: cb may use the store). */
int db_dnssec_sigs_of_zone(struct db *db, const char *zone, db_sig_cb cb, void *arg);
/* Up to max RRSIGs of zone that expire before t or were made with keytag
 * (-1: none), soonest first (cb may use the store). */
int db_dnssec_sigs_expiring(struct db *db, const char *zone, int64_t t, int keytag, int max,
			    db_sig_cb cb, void *arg);
/* RRSIGs of zone made with keytag. */
int64_t db_dnssec_sigs_by_key(struct db *db, const char *zone, int keytag);
/* The largest TTL of zone's records and pools (defttl for rows without one). */
int64_t db_dnssec_max_ttl(struct db *db, const char *zone, int64_t defttl);
/* 1 when some RRSIG of zone expires before t or was made with keytag (-1: none), else 0. */
int db_dnssec_sigs_due(struct db *db, const char *zone, int64_t t, int keytag);
/* How many RRSIGs of zone expire before t (an index range: cheap when few). */
int64_t db_dnssec_sigs_pending(struct db *db, const char *zone, int64_t t);
/* RRSIGs of zone, and how many expire before t. */
int db_dnssec_sig_counts(struct db *db, const char *zone, int64_t t, int64_t *total,
			 int64_t *expiring);

/* --- the denial chain (NSEC3 or NSEC) ---------------------------------- */

/*
 * One row per name of a signed zone's chain, ordered by its key: for NSEC3
 * the owner's hash (DB_NSEC3_HASH bytes; empty non-terminals have rows, with
 * no types), for NSEC the owner's canonical-order key (dnssec_canon_key:
 * names with records only).
 */
#define DB_CHAIN_KEY_MAX 512
struct db_chain {
	uint8_t key[DB_CHAIN_KEY_MAX];
	size_t key_len;
	char name[256];
	uint8_t types[DB_BITMAP_MAX]; /* type bitmap (RFC 4034 4.1.2) */
	size_t types_len;
	uint8_t rdata[DB_BITMAP_MAX + 256 + 64]; /* the NSEC(3) RDATA as signed; rdlen 0: not yet */
	size_t rdlen;
};

/* name's row into *out. */
int db_chain_by_name(struct db *db, const char *name, struct db_chain *out);
/* The row of key in zone. */
int db_chain_by_key(struct db *db, const char *zone, const uint8_t *key, size_t klen,
		    struct db_chain *out);
/* Adds name's row (parent NULL at the apex) or changes its types; rdata is kept. */
int db_chain_put(struct db *db, const char *zone, const uint8_t *key, size_t klen,
		 const char *name, const char *parent, const uint8_t *types, size_t types_len);
int db_chain_del(struct db *db, const char *zone, const uint8_t *key, size_t klen);
/* 1 when some row has parent name, 0 when none. */
int db_chain_has_children(struct db *db, const char *name);
/* The next key after (succ) or before (!succ) key in zone's chain, going
 * round at either end (key itself when it is alone), into out
 * (DB_CHAIN_KEY_MAX) and its length into *out_len; DD_ENOENT: no row. */
int db_chain_step(struct db *db, const char *zone, const uint8_t *key, size_t klen, bool succ,
		  uint8_t *out, size_t *out_len);
int db_chain_set_rdata(struct db *db, const char *zone, const uint8_t *key, size_t klen,
		       const uint8_t *rdata, size_t len);
typedef int (*db_chain_cb)(void *arg, const struct db_chain *row);
/* NSEC3: rows of zone whose hash starts with the two octets of bin, in hash order. */
int db_chain_bin(struct db *db, const char *zone, unsigned bin, db_chain_cb cb, void *arg);
/* Every row of zone in key order (desc: the last first). */
int db_chain_all(struct db *db, const char *zone, bool desc, db_chain_cb cb, void *arg);
/* Rows of zone's chain. */
int64_t db_chain_count(struct db *db, const char *zone);

#endif
