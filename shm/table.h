/*
 * table.h - the shared-memory record table.
 *
 * One MAP_SHARED mapping, created by the master before it forks, inherited by
 * every worker.  It holds only offsets, never pointers, so it is valid at any
 * address.  Layout (see docs/shm-layout.md):
 *
 *   struct shm_header   magic, layout version, sizes, writer pid, counters
 *   zones[SHM_ZONES_MAX] apex name (immutable after build) + SOA/NS under a
 *                       per-zone seqlock (the serial changes on every commit)
 *   buckets[nbuckets]   open addressing, linear probing; each bucket carries
 *                       its own seqlock, a 32-bit hash tag, the offset and
 *                       size of its entry block
 *   heap                entry blocks (8-byte granules), allocated by the one
 *                       writer with per-size free lists
 *
 * Concurrency: exactly one writer process at a time (the master while
 * building, later the HTTP worker); any number of reader processes.  Readers
 * never block and never write: shm_table_get() copies an entry into the
 * caller's buffer and retries when the bucket's sequence changed.
 *
 * Entry block format (all integers in host order; the block is private to the
 * table but its *copy* is parsed by dns/answer.c through the accessors below):
 *
 *   struct shm_entry   (12 bytes)
 *   uint8_t name[name_len]              lower-case wire name, uncompressed
 *   rrset records, nrrsets times, each:
 *     struct shm_rrset (12 bytes, 4-byte aligned)
 *     data[data_len]: count times { uint16_t rdlen; uint8_t rdata[rdlen] }
 *                     (rdata exactly as on the wire, names uncompressed)
 *     padding to 4 bytes
 *
 * An entry with no rrsets and nchild > 0 is an empty non-terminal (RFC 4592
 * section 2.2.2): the table creates those itself for every ancestor of a name
 * up to its zone's apex, and removes them when their last child goes.
 * RRset types above 0xff00 are private (SHM_TYPE_POOL etc.): later
 * features (load-balanced pools) add data without changing this layout.
 */
#ifndef DD_SHM_TABLE_H
#define DD_SHM_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHM_MAGIC          0x314d5344534e4444ULL /* "DDNSDSM1" */
#define SHM_LAYOUT_VERSION 4
#define SHM_ZONES_MAX      64
#define SHM_WORKERS_MAX    64
#define SHM_NAME_MAX       255
#define SHM_ENTRY_MAX      16384 /* largest entry block, bytes */
#define SHM_NS_MAX         16    /* NS names per zone apex */
#define SHM_GET_RETRIES    64    /* reader retries before giving up */
#define SHM_SIG_MAX        352   /* RRSIG RDATA of the SOA kept in a zone slot, bytes */
#define SHM_NSEC3_BINS     65536 /* NSEC3 bins per signed zone: the hash's first 16 bits */

/* Private rrset types (never on the wire). */
#define SHM_TYPE_PRIVATE 0xff00
#define SHM_TYPE_POOL    0xff01
/* A signed zone's NSEC3 records whose hashes share their first 16 bits (a
 * "bin"), kept sorted by hash in one hidden entry named by
 * shm_nsec3_bin_name(): count x { u16 rdlen; hash[20] | u16 nsec3_len |
 * NSEC3 RDATA | RRSIG RDATA }. */
#define SHM_TYPE_NSEC3BIN 0xff02
/* A signed pool's answer sets: count x { u16 rdlen; u32 mask (host order) of
 * the members in the set | u8 wild (1: signed for owner "*.NAME", for the
 * prefixMatch names "<label>.NAME") | RRSIG RDATA over that set }. */
#define SHM_TYPE_POOLSIG  0xff03
/* 0xff04: an NSEC chain node (shm/nsec.h) */

/* shm_entry.flags */
#define SHM_ENTRY_WILDCARD 0x0001 /* owner's first label is '*' */
#define SHM_ENTRY_HIDDEN   0x0002 /* not a name of the zone (an NSEC3 bin, an NSEC node):
					     lookups skip it */

struct shm_entry {
	uint16_t size;     /* whole block, bytes */
	uint8_t name_len;  /* wire length of name, 1..255 */
	uint8_t nrrsets;   /* 0 = empty non-terminal */
	uint16_t zone;     /* zone slot index */
	uint16_t flags;    /* SHM_ENTRY_* */
	uint32_t nchild;   /* names directly below this one */
};

struct shm_rrset {
	uint16_t type;     /* DNS type, or SHM_TYPE_* */
	uint16_t count;    /* RRs */
	uint32_t ttl;
	uint16_t data_len; /* bytes following this struct (without padding) */
	uint16_t reserved;
};

/* What a writer hands to shm_table_put() for one RRset. */
struct shm_rrset_in {
	uint16_t type;
	uint16_t count;
	uint32_t ttl;
	const uint8_t *data; /* count x { u16 rdlen (host order); rdata } */
	size_t data_len;
};

/* SOA fields of a zone; names are lower-case uncompressed wire names. */
struct shm_soa {
	uint32_t ttl;
	uint32_t serial, refresh, retry, expire, minimum;
	uint8_t mname_len, rname_len;
	uint8_t mname[SHM_NAME_MAX];
	uint8_t rname[SHM_NAME_MAX];
};

/* A reader's consistent copy of a zone slot (see shm_zone_get). */
struct shm_zone_copy {
	uint8_t apex_len;
	uint8_t apex[SHM_NAME_MAX];
	uint8_t nlabels; /* labels of apex, root excluded */
	struct shm_soa soa;
	uint32_t ns_ttl;
	uint8_t ns_count;
	uint8_t ns_len[SHM_NS_MAX];
	uint8_t ns[SHM_NS_MAX][SHM_NAME_MAX];
	uint16_t soa_sig_len;      /* 0: the zone is not signed */
	uint8_t soa_sig[SHM_SIG_MAX]; /* RRSIG RDATA over the SOA of this serial */
	bool nsec;                 /* signed zone: its denial is NSEC (shm/nsec.h), not NSEC3 */
};

struct shm_table; /* process-local handle: base address and sizes */

struct shm_table_params {
	uint32_t capacity;   /* names (incl. empty non-terminals); buckets = 2x rounded up */
	uint64_t data_bytes; /* heap size; 0 = capacity * 192 */
	uint64_t seed;       /* hash seed; 0 = random from libsodium */
};

/*
 * Creates a zeroed table in a new MAP_SHARED|MAP_ANONYMOUS mapping that
 * children inherit across fork().  Returns 0, DD_EINVAL (bad params) or
 * DD_ENOMEM (mmap failed).  The caller owns *out; shm_table_destroy unmaps.
 */
int shm_table_create(struct shm_table **out, const struct shm_table_params *p);
void shm_table_destroy(struct shm_table *t);

/* Bytes of the whole mapping; names stored; heap bytes in use. */
size_t shm_table_mapping_size(const struct shm_table *t);
uint32_t shm_table_count(const struct shm_table *t);
uint64_t shm_table_heap_used(const struct shm_table *t);
uint32_t shm_table_capacity(const struct shm_table *t);

/*
 * Faults in the next bytes of the heap above its top in one call (a load
 * about to write that much), instead of one page fault per page.  Best effort.
 */
void shm_table_prefault(struct shm_table *t, uint64_t bytes);
/* Starts fetching the bucket where name's probe chain begins (a bulk load
 * calls it a few names ahead of shm_table_put). */
void shm_table_prefetch(const struct shm_table *t, const uint8_t *name, size_t name_len);

/* --- writer side (one writer process at a time) ------------------------ */

/*
 * Defines zone slot idx (< SHM_ZONES_MAX).  apex is a lower-case wire name.
 * ns holds ns_count wire names back to back.  Call before readers start or
 * for a new slot; the apex of a slot never changes in a live table.
 */
int shm_zone_define(struct shm_table *t, unsigned idx, const uint8_t *apex, size_t apex_len,
		    const struct shm_soa *soa, const uint8_t *ns, size_t ns_len, unsigned ns_count,
		    uint32_t ns_ttl);
/* Changes a zone's SOA serial under the zone seqlock. */
int shm_zone_set_serial(struct shm_table *t, unsigned idx, uint32_t serial);
/*
 * Changes a signed zone's serial and the RRSIG RDATA over its SOA together,
 * under the zone seqlock: no reader sees one without the other.  sig_len
 * <= SHM_SIG_MAX; nsec: the zone's denial is NSEC, not NSEC3.  Returns 0 or
 * DD_EINVAL.
 */
int shm_zone_set_serial_sig(struct shm_table *t, unsigned idx, uint32_t serial,
			    const uint8_t *sig, size_t sig_len, bool nsec);
/* Marks NSEC3 bin `bin` of zone idx as holding records (or not). */
void shm_zone_nsec3_bin_mark(struct shm_table *t, unsigned idx, unsigned bin, bool used);
/* Number of defined zones (slots 0..n-1). */
unsigned shm_zone_count(const struct shm_table *t);

/*
 * Replaces the whole entry of name (lower-case wire) in zone slot zone with
 * these rrsets (n may be 0: same as shm_table_del).  Creates/updates the
 * empty non-terminals between name and its zone apex.  Returns 0,
 * DD_EINVAL (name not in zone, bad rrset), DD_ETOOBIG (entry over
 * SHM_ENTRY_MAX) or DD_ENOSPC (no free bucket or heap space: the table is
 * left exactly as before the call).  zone must be the slot shm_zone_find()
 * gives for name; rrset types must be distinct, each with count >= 1.
 * Live names never exceed the capacity; buckets in use (names plus the
 * tombstones probe chains still need) never exceed 1.25 x capacity.
 */
int shm_table_put(struct shm_table *t, unsigned zone, const uint8_t *name, size_t name_len,
		  const struct shm_rrset_in *rrsets, size_t n);
/*
 * Bytes of the entry block shm_table_put would make of a name of name_len
 * wire bytes and these rrsets (only data_len is read), or 0 when that is
 * over SHM_ENTRY_MAX: such a name cannot be put.  Lets a writer refuse a
 * change before it commits it.
 */
size_t shm_entry_size(size_t name_len, const struct shm_rrset_in *rrsets, size_t n);
/* Removes name's rrsets (an entry with children stays as an empty
 * non-terminal).  Returns 0, DD_ENOENT (absent, or already an empty
 * non-terminal) or DD_EINVAL (malformed name). */
int shm_table_del(struct shm_table *t, const uint8_t *name, size_t name_len);

/* --- reader side (any process, lock-free) ------------------------------ */

/*
 * Copies the entry of name (lower-case wire, name_len bytes) into buf
 * (bufsz >= SHM_ENTRY_MAX is always enough; align buf to 8 bytes to use the
 * accessors below on it).  Returns the entry size (> 0), 0 when the name is
 * absent, or DD_EAGAIN when SHM_GET_RETRIES consecutive reads raced a writer
 * (or a writer died mid-write: see shm_table_write_in_progress).  Also
 * DD_EINVAL (buf NULL) and DD_ETOOBIG (the entry is larger than bufsz).  The
 * copy is private and consistent; *retries (may be NULL) is increased by the
 * number of retries taken.
 */
int shm_table_get(const struct shm_table *t, const uint8_t *name, size_t name_len, void *buf,
		  size_t bufsz, uint64_t *retries);

/*
 * Finds the zone whose apex is the longest suffix of name (lower-case wire)
 * that starts at a label boundary.  Returns the slot index or -1.  Reads only
 * immutable apex data: no seqlock needed.
 */
int shm_zone_find(const struct shm_table *t, const uint8_t *name, size_t name_len);
/* Consistent copy of zone slot idx.  Returns 0 or DD_EAGAIN / DD_EINVAL. */
int shm_zone_get(const struct shm_table *t, unsigned idx, struct shm_zone_copy *out);
/*
 * The marked NSEC3 bin of zone idx at or before bin, going round past bin
 * 0 to the last one; skip: bins to pass over first (a reader that found a
 * marked bin empty asks again with skip + 1).  Returns the bin or -1 when
 * no bin is marked.  Lock-free: marks are single words.
 */
int shm_zone_nsec3_bin_prev(const struct shm_table *t, unsigned idx, unsigned bin,
			    unsigned skip);

/*
 * The hidden name of NSEC3 bin `bin` of the zone with apex (lower-case wire):
 * a label of five octets above the apex, 0x00 and the bin in four
 * lower-case hex digits (no name a client writes starts with 0x00; the table
 * takes lower-case names only).  Writes into out (SHM_NAME_MAX) and returns
 * the length, or 0 when it would not fit.
 */
static inline size_t
shm_nsec3_bin_name(const uint8_t *apex, size_t apex_len, unsigned bin, uint8_t *out)
{
	static const char hex[] = "0123456789abcdef";

	if (apex_len + 6 > SHM_NAME_MAX)
		return 0;
	out[0] = 5;
	out[1] = 0;
	for (int i = 0; i < 4; i++)
		out[2 + i] = (uint8_t)hex[(bin >> (12 - 4 * i)) & 0xf];
	for (size_t i = 0; i < apex_len; i++)
		out[6 + i] = apex[i];
	return apex_len + 6;
}

/*
 * A 64-bit hash of len bytes keyed with this table's seed and tweak: the
 * same in every process that maps the table, unknown outside it (shm/nsec.h
 * names its nodes with it).
 */
uint64_t shm_table_keyed_hash(const struct shm_table *t, uint64_t tweak, const uint8_t *p,
			      size_t len);

/* --- writer health (read by the master) -------------------------------- */

/*
 * True while a write (put, del, zone change) is in progress; when no writer
 * is running, true means a writer died mid-write: some bucket or zone slot
 * may be left odd (readers get DD_EAGAIN) or a put may be half done, and the
 * master should rebuild the table from SQLite.
 */
bool shm_table_write_in_progress(const struct shm_table *t);
/* Pid of the process writing now (0 when no write is in progress). */
uint32_t shm_table_writer_pid(const struct shm_table *t);
/* Write generation: increases by 2 with every completed write. */
uint64_t shm_table_generation(const struct shm_table *t);
/* Heap bytes in total, and bytes ever taken from the bump pointer (the
 * high-water mark: freed blocks are reused before fresh space is taken). */
uint64_t shm_table_heap_size(const struct shm_table *t);
uint64_t shm_table_heap_high(const struct shm_table *t);

/*
 * Test hook: fn(arg) runs in the writer while each publish holds its
 * sequence odd (tests use it to kill a writer mid-write).  NULL clears it.
 * Only this process's handle is affected.
 */
void shm_table_hook_set(struct shm_table *t, void (*fn)(void *), void *arg);

/* --- accessors over a copied entry (bounds were checked by the table) -- */

static inline const uint8_t *
shm_entry_name(const struct shm_entry *e)
{
	return (const uint8_t *)(e + 1);
}

static inline const struct shm_rrset *
shm_entry_first(const struct shm_entry *e)
{
	size_t off = sizeof(*e) + e->name_len;
	off = (off + 3u) & ~(size_t)3u;
	return e->nrrsets ? (const struct shm_rrset *)((const uint8_t *)e + off) : NULL;
}

static inline const uint8_t *
shm_rrset_data(const struct shm_rrset *r)
{
	return (const uint8_t *)(r + 1);
}

static inline const struct shm_rrset *
shm_rrset_next(const struct shm_entry *e, const struct shm_rrset *r)
{
	size_t off = (size_t)((const uint8_t *)r - (const uint8_t *)e) + sizeof(*r) + r->data_len;
	off = (off + 3u) & ~(size_t)3u;
	return off + sizeof(*r) <= e->size ? (const struct shm_rrset *)((const uint8_t *)e + off)
					   : NULL;
}

/* First rrset of type in e, or NULL. */
const struct shm_rrset *shm_entry_find(const struct shm_entry *e, uint16_t type);

#endif
