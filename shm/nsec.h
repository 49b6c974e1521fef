/*
 * nsec.h - a signed zone's NSEC chain (RFC 4034 4) in the shared table.
 *
 * Each name of the chain has a hidden "node" entry (named by
 * shm_nsec_node_name: a keyed hash of the owner, so the name's own entry is
 * left alone) holding one SHM_TYPE_NSECNODE rrset of one item:
 *
 *   u8 owner_len | owner | u16 nsec_len | NSEC RDATA | u16 sig_len |
 *   RRSIG RDATA | u8 levels | levels x { u8 len | next name at that level }
 *
 * (u16 in host order).  The nodes form a skip list in canonical order: the
 * apex node has SHM_NSEC_LEVELS levels, any other a level drawn from its
 * hash (one in four reach level 1, one in sixteen level 2, ...); level 0 is
 * the NSEC record's own next name.  A reader finds the record that matches
 * or covers a name with O(log n) lookups from the apex, lock-free: each
 * step is one shm_table_get, a node that vanished under it ends the walk
 * (the caller goes without the proof), and every step moves forward, so a
 * walk that races the writer still ends.  The writer (daemon/signer.c) is
 * the only one who links and unlinks nodes; the master builds them from
 * the store when it builds a table.
 */
#ifndef DD_SHM_NSEC_H
#define DD_SHM_NSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/table.h"

#define SHM_TYPE_NSECNODE 0xff04
#define SHM_NSEC_LEVELS   12 /* skip-list levels above the NSEC chain (4^12 names) */
#define SHM_NSEC_NODE_LABEL 17 /* 0x01 and 16 hex digits of the hash */

/* A node's item, parsed (pointers into the entry copy it came from). */
struct shm_nsec_node {
	const uint8_t *owner;
	uint8_t owner_len;
	const uint8_t *nsec; /* NSEC RDATA: the next name first */
	uint16_t nsec_len;
	const uint8_t *sig;  /* RRSIG RDATA over the NSEC record */
	uint16_t sig_len;
	uint8_t levels;
	const uint8_t *next[SHM_NSEC_LEVELS]; /* per level 1..levels; NULL: the last at it */
	uint8_t next_len[SHM_NSEC_LEVELS];
};

/*
 * The hidden name of owner's node in the zone with apex (both lower-case
 * wire), into out (SHM_NAME_MAX), and its skip-list level into *level (may
 * be NULL).  Returns the name's length, or 0 when apex is too long for one.
 */
size_t shm_nsec_node_name(const struct shm_table *t, const uint8_t *apex, size_t apex_len,
			  const uint8_t *owner, size_t owner_len, uint8_t *out, unsigned *level);

/* Parses entry e's node item; false when e holds none or it is malformed. */
bool shm_nsec_node_parse(const struct shm_entry *e, struct shm_nsec_node *out);

/* Writes n's item into out (cap bytes).  Returns its length, or 0 when it does not fit. */
size_t shm_nsec_node_build(const struct shm_nsec_node *n, uint8_t *out, size_t cap);

/* The next name of an NSEC RDATA (its length into *len), or NULL if malformed. */
const uint8_t *shm_nsec_next(const uint8_t *nsec, size_t nsec_len, size_t *len);

#endif

/* --- walks ------------------------------------------------------------ */

#define SHM_NSEC_STEPS_MAX 1024 /* node lookups in one walk before it gives up */

/*
 * Reader: the node of the NSEC record that matches or covers name (lower
 * case wire, in the zone with apex): the last owner at or before name in
 * canonical order.  Copies its entry into buf (SHM_ENTRY_MAX, 8-byte
 * aligned) and parses it into *out.  Returns 1, 0 when the zone has no
 * apex node, or DD_EAGAIN when a lookup failed or raced the writer past
 * repair (the caller answers without the proof).  *retries as for
 * shm_table_get.
 */
int shm_nsec_find(const struct shm_table *t, const uint8_t *apex, size_t apex_len,
		  const uint8_t *name, size_t len, void *buf, struct shm_nsec_node *out,
		  uint64_t *retries);

/*
 * Writer: puts owner's node with this NSEC RDATA and RRSIG RDATA.  A node
 * that exists keeps its links; a new one is linked in at its level (its
 * node first, then the links to it).  Returns 0, DD_EINVAL, DD_ETOOBIG or
 * DD_ENOSPC (shm_table_put's).
 */
int shm_nsec_put(struct shm_table *t, unsigned zone, const uint8_t *apex, size_t apex_len,
		 const uint8_t *owner, size_t owner_len, const uint8_t *nsec, size_t nsec_len,
		 const uint8_t *sig, size_t sig_len);
/* Writer: unlinks owner's node (the links to it first) and removes it; 0 when it had none. */
int shm_nsec_del(struct shm_table *t, unsigned zone, const uint8_t *apex, size_t apex_len,
		 const uint8_t *owner, size_t owner_len);
/* True when owner has a node. */
bool shm_nsec_has(const struct shm_table *t, const uint8_t *apex, size_t apex_len,
		  const uint8_t *owner, size_t owner_len);

/*
 * Builds a zone's nodes in one pass over its chain in descending canonical
 * order (the table build): each node is put with its links to the nodes
 * already put after it.  The zone must have no nodes yet.
 */
struct shm_nsec_builder {
	uint8_t next[SHM_NSEC_LEVELS][SHM_NAME_MAX];
	uint8_t next_len[SHM_NSEC_LEVELS]; /* 0: none yet */
};
void shm_nsec_build_init(struct shm_nsec_builder *b);
int shm_nsec_build_add(struct shm_nsec_builder *b, struct shm_table *t, unsigned zone,
		       const uint8_t *apex, size_t apex_len, const uint8_t *owner,
		       size_t owner_len, const uint8_t *nsec, size_t nsec_len, const uint8_t *sig,
		       size_t sig_len);
