/*
 * signer.h - online DNSSEC signing: what the writer (and the master, when it
 * builds a table) does for a signed zone.
 *
 * A signed zone's state is in the store (daemon/db_dnssec.h): its keys, an
 * RRSIG for every RRset, and the NSEC3 chain (RFC 5155, RFC 9276: SHA-1, no
 * extra iterations, no salt), all written in the same transaction as the
 * records they cover.  The shared table gets them beside the records: each
 * name's entry carries an RRSIG rrset (the RRSIGs of all its RRsets), the
 * apex entry the DNSKEY and NSEC3PARAM RRsets, the zone slot the RRSIG of
 * the SOA with the serial it covers, and the NSEC3 records live in hidden
 * "bin" entries by the first 16 bits of their hash (shm/table.h), so a DNS
 * worker finds a covering record with two lookups and no cryptography but
 * the hash of the name asked.
 *
 * Sequence in the writer, per group: signer_name() for every changed name
 * (its RRSIGs, its row in the chain and its ancestors'), signer_zone_finish()
 * per zone (the NSEC3 records whose next hash or types changed, re-signed),
 * the serial bump and signer_soa(), COMMIT, then signer_publish() and
 * signer_zone_slot().  Each signature costs O(1) database work; a change
 * touches O(1) NSEC3 records, never the whole zone.
 *
 * Return codes: 0, DD_EDB (store), DD_ENOMEM, DD_EINVAL (a key or name that
 * cannot be used), DD_ENOSPC (the table).
 */
#ifndef DD_SIGNER_H
#define DD_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct db;
struct shm_rrset_in;
struct shm_table;
struct signer;

/*
 * The signer of cfg's zones on db.  Zones with dnssec.enabled get their keys
 * (a KSK and a ZSK made now when the store has none; the private halves stay
 * in the store).  Refuses (DD_EINVAL, logged) a zone signed before whose
 * algorithm changed, or a zone signed before that the config no longer
 * signs.  A config without signed zones gets a signer that does nothing.
 */
int signer_open(const struct cfg *cfg, struct db *db, struct signer **out);
void signer_close(struct signer *s);

/* True when zone slot z is signed. */
bool signer_zone_on(const struct signer *s, unsigned z);
/* The table the signer publishes into (the writer's; the master's new one). */
void signer_set_table(struct signer *s, struct shm_table *t);

/*
 * Signs every zone that is to be signed and is not yet (the first start with
 * dnssec.enabled), each in one transaction of its own, and re-signs each
 * signed zone's apex (its NS, DNSKEY, NSEC3PARAM).  Run by the master before
 * it builds the table.  Logs what it did.
 */
int signer_prepare(struct signer *s);

/* Inside the open transaction: name (in zone z) is re-signed and its place in the chain kept. */
int signer_name(struct signer *s, unsigned z, const char *name);
/* Inside the open transaction: the NSEC3 records of zone z that the names changed. */
int signer_zone_finish(struct signer *s, unsigned z);
/* Inside the open transaction: the SOA of zone z with serial, signed. */
int signer_soa(struct signer *s, unsigned z, uint32_t serial);

/* After COMMIT: the names and NSEC3 bins signed since the last call go into the table. */
int signer_publish(struct signer *s);
/* The zone slot gets serial with its stored RRSIG (unsigned zones: only the serial). */
int signer_zone_slot(struct signer *s, unsigned z, uint32_t serial);

/*
 * Puts a name's entry (rrsets from its rows) into the table with what the
 * signer adds: its RRSIGs, and at the apex the DNSKEY and NSEC3PARAM RRsets.
 * For unsigned zones the same as shm_table_put.
 */
int signer_entry_put(struct signer *s, unsigned z, const char *name, const uint8_t *wire,
		     size_t wire_len, const struct shm_rrset_in *rr, size_t n);

/* Table build (the master): every signed zone's RRSIGs, apex, NSEC3 bins and SOA RRSIG. */
int signer_load(struct signer *s);

/* 1 when some RRSIG of zone z is due for refresh (below), 0 if none, or DD_EDB. */
int signer_due_any(struct signer *s, unsigned z);
/* RRSIGs of zone z due for refresh now (a gauge), or negative. */
int64_t signer_due_count(struct signer *s, unsigned z);
/* Background refresh: names of zone z whose RRSIGs expire within the refresh
 * margin, at most max, are handed to cb (which re-signs them in a group). */
int signer_due(struct signer *s, unsigned z, int max, int (*cb)(void *arg, const char *name),
	       void *arg);

/*
 * True (once) when zone z's DNSKEY RRset changed since the last call: the
 * journal holds no DNSKEY rows, so the caller forgets it after the serial
 * bump (secondaries behind take the whole zone).
 */
bool signer_take_journal_reset(struct signer *s, unsigned z);
/* A pool is about to be set or deleted (signer_name follows for its name). */
void signer_pools_changed(struct signer *s);
/* True when zone z has NSEC3 records waiting for signer_zone_finish. */
bool signer_pending(const struct signer *s, unsigned z);

/* RRSIGs made by this process (metrics). */
uint64_t signer_signatures(const struct signer *s, unsigned z);

/* --- background signing ----------------------------------------------- */

/*
 * A zone of more than 10,000 records signed for the first time is served
 * unsigned (no DNSKEY, no proofs) while the writer signs it in steps; the
 * group that signs its last names publishes it signed.
 */
bool signer_signing(const struct signer *s, unsigned z);
/*
 * One step: up to max more names of zone z to cb (which re-signs them in the
 * open group), the cursor kept in the store; after the last, the pools'
 * names and the apex, and the zone is marked to go out signed with that
 * group.  1 when more is left, 0 when not, or negative.
 */
int signer_sign_step(struct signer *s, unsigned z, int max,
		     int (*cb)(void *arg, const char *name), void *arg);

/* --- key rollover (RFC 7583) --------------------------------------------- */

/*
 * Starts a rollover: a ZSK by pre-publication (a new ZSK made and published:
 * the caller re-signs the apex so the DNSKEY RRset carries it), a KSK by
 * double-DS (a new KSK made whose DS `ddnsctl dnssec ds` shows for the
 * parent; it joins the DNSKEY RRset when it takes over).  DD_EEXIST while a
 * rollover of that key is under way.
 */
int signer_roll_start(struct signer *s, unsigned z, bool ksk);
/*
 * Moves zone z's rollovers on when their time has come.  ZSK: published ->
 * active (the old ZSK retired: its RRSIGs are refreshed first), retired ->
 * inactive once none is left, inactive -> removed after the largest TTL and
 * the propagation delay.  KSK: ds-only -> active after the parent's DS TTL
 * and the delay (the old KSK inactive, out of the DNSKEY RRset), inactive ->
 * removed after the DNSKEY TTL and the delay (its DS may leave the parent).  Returns 1 when the DNSKEY RRset or the signing key
 * changed (the caller re-signs the apex), 0 when nothing moved, or negative.
 */
int signer_roll_step(struct signer *s, unsigned z);

/* --- for ddnsctl dnssec ------------------------------------------------- */

/*
 * Writes zone z's DNSKEY RRset (ds: its KSKs' DS records instead) into out,
 * one record per line in zone-file form.  Returns the length, or negative.
 */
int signer_keys_text(struct signer *s, unsigned z, bool ds, char *out, size_t outsz);

#endif
