/*
 * table_int.h - private to the shared-memory record table: the mapping's
 * layout and the helpers its two files share.
 *
 * shm/table.c owns the reader side (the query path: shm_table_get,
 * shm_zone_find, shm_zone_get, shm_entry_find, shm_table_prefetch, with the
 * helpers they call), creation and the getters;
 * shm/table_write.c owns the writer side (heap allocator, bucket publishing,
 * put, del, zone define and serial, prefault, the test hook).  Include it
 * only from those two files.
 *
 * shm_tbl_heap_read() is defined here static and not inline: each file gets
 * its own copy, which the compiler treats as it did the file-local original
 * (on the query path it stays out of line; "inline" would change that).
 */
#ifndef DD_SHM_TABLE_INT_H
#define DD_SHM_TABLE_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "shm/table.h"

#define GRANULE      8u
#define CLASS_EXACT  64u /* exact size classes up to 64 granules (512 bytes) */
#define NCLASS       70u /* 0..64 exact (0, 1 unused), 65..69: 128..2048 granules */
#define OFF_EMPTY    0u  /* bucket off: never used */
#define OFF_TOMB     1u  /* bucket off: deleted */
#define HEAP_FIRST   2u  /* granules 0 and 1 would alias the markers */
#define ENTRY_HDR    sizeof(struct shm_entry)
#define RRSET_HDR    sizeof(struct shm_rrset)

/* Mapping header.  Sizes and offsets are fixed at create time. */
struct shm_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;
	uint64_t total_size;
	uint32_t capacity;
	uint32_t nbuckets;
	uint64_t zones_off, stats_off, buckets_off, heap_off;
	uint64_t heap_size; /* bytes, granules 0 and 1 included */
	uint64_t seed;
	_Atomic uint64_t write_gen;  /* odd while a write is in progress */
	_Atomic uint32_t writer_pid; /* set while writing */
	_Atomic uint32_t broken;     /* a write began while write_gen was odd */
	_Atomic uint32_t nzones;     /* highest defined slot + 1 */
	_Atomic uint32_t count;      /* live names */
	_Atomic uint32_t used;       /* live names + tombstones */
	_Atomic uint64_t heap_used;  /* bytes in allocated blocks */
	_Atomic uint64_t heap_top;   /* bump pointer, granules */
	uint32_t free_head[NCLASS];  /* writer only: free list heads, granules */
	uint32_t reserved;
};

struct shm_bucket {
	_Atomic uint32_t seq;
	_Atomic uint32_t tag;  /* high 32 bits of the name's hash */
	_Atomic uint32_t off;  /* granules from heap start; OFF_EMPTY, OFF_TOMB */
	_Atomic uint32_t size; /* bytes of the entry block */
};
_Static_assert(sizeof(struct shm_bucket) == 16, "a bucket is 16 bytes");
_Static_assert(sizeof(struct shm_entry) == 12, "entry header is 12 bytes");
_Static_assert(sizeof(struct shm_rrset) == 12, "rrset header is 12 bytes");

/* The part of a zone slot that changes (under the zone seqlock). */
struct zone_var {
	struct shm_soa soa;
	uint32_t ns_ttl;
	uint16_t ns_bytes; /* used bytes of ns[] */
	uint8_t ns_count;
	uint8_t ns_len[SHM_NS_MAX];
	uint16_t soa_sig_len;            /* 0: unsigned */
	uint8_t nsec;                    /* signed with NSEC (shm/nsec.h), not NSEC3 */
	uint8_t soa_sig[SHM_SIG_MAX];    /* RRSIG RDATA over the SOA */
	uint8_t ns[SHM_NS_MAX * SHM_NAME_MAX]; /* names back to back */
};
#define ZONE_WORDS      ((sizeof(struct zone_var) + 7) / 8)
#define ZONE_HEAD_WORDS ((offsetof(struct zone_var, ns) + 7) / 8)

union zone_buf {
	struct zone_var v;
	uint64_t w[ZONE_WORDS];
};

struct shm_zone_slot {
	_Atomic uint32_t seq;
	_Atomic uint32_t defined; /* release-stored after apex is written */
	uint8_t apex_len;
	uint8_t nlabels;
	uint8_t apex[SHM_NAME_MAX]; /* immutable once defined */
	_Atomic uint64_t var[ZONE_WORDS];
	/* one bit per NSEC3 bin that holds records (writer sets, readers scan) */
	_Atomic uint64_t nsec3_bins[SHM_NSEC3_BINS / 64];
} __attribute__((aligned(64)));

/* Process-local handle; every field is fixed after shm_table_create. */
struct shm_table {
	uint8_t *base;
	size_t size;
	struct shm_hdr *hdr;
	struct shm_zone_slot *zones;
	struct shm_bucket *buckets;
	_Atomic uint64_t *heap;
	uint64_t heap_granules;
	uint64_t seed;
	uint32_t mask;
	void (*hook)(void *);
	void *hook_arg;
};

/* Rounds v up to a multiple of a (a power of two). */
static inline size_t
shm_tbl_align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* True once zone slot idx is defined (acquire: its apex is then complete). */
static inline bool
shm_tbl_zone_is_defined(const struct shm_table *t, unsigned idx)
{
	return idx < SHM_ZONES_MAX &&
	       atomic_load_explicit(&t->zones[idx].defined, memory_order_acquire) != 0;
}

/* Loads len bytes from heap granule off into dst (any alignment). */
static void
shm_tbl_heap_read(const struct shm_table *t, uint32_t off, uint8_t *dst, size_t len)
{
	const _Atomic uint64_t *w = &t->heap[off];
	uint64_t v;

	for (size_t i = 0; i < len; i += 8) {
		v = atomic_load_explicit(&w[i / 8], memory_order_relaxed);
		memcpy(dst + i, &v, len - i < 8 ? len - i : 8);
	}
}

/* Labels (root excluded) of a wire name of exactly len bytes, or -1; table.c. */
int shm_tbl_name_labels(const uint8_t *name, size_t len, bool lower);
/* Keyed 64-bit hash of a wire name (bucket index and tag); table.c. */
uint64_t shm_tbl_name_hash(uint64_t seed, const uint8_t *p, size_t len);

#endif
