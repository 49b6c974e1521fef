/*
 * table_write.c - the writer side of the shared-memory record table (see
 * table.h and docs/shm-layout.md): the heap allocator, bucket publishing
 * under the seqlocks, shm_table_put/del, zone define and serial.
 *
 * One writer process (or thread) at a time; nothing here takes a lock.
 * Readers (table.c) never block and never write: they retry when a
 * sequence changed under them.  The layout is in table_int.h.
 */
#include "shm/table.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/dd.h"
#include "shm/nsec.h"
#include "shm/seqlock.h"
#include "shm/table_int.h"

#define PURGE_MAX    1024 /* longest cluster cluster_purge() scans */

/* Writer's view of one name's bucket. */
struct slot {
	bool found;
	uint32_t idx;   /* bucket of the name, or where it would be inserted */
	bool idx_empty; /* !found: idx is an empty bucket (not a tombstone) */
	uint32_t off, size;
	struct shm_entry e;
};

/* Allocator state, saved so that a failed put can undo its allocations. */
struct alloc_snap {
	uint32_t head[NCLASS];
	uint64_t top, used;
};

static bool
name_is_wildcard(const uint8_t *name)
{
	return name[0] == 1 && name[1] == '*';
}

/* ------------------------------------------------------------ heap */

static unsigned
class_of(uint32_t granules)
{
	unsigned c = CLASS_EXACT + 1;
	uint32_t cap = 2 * CLASS_EXACT;

	if (granules <= CLASS_EXACT)
		return granules;
	while (cap < granules) {
		cap <<= 1;
		c++;
	}
	return c;
}

static uint32_t
class_granules(unsigned c)
{
	return c <= CLASS_EXACT ? c : CLASS_EXACT << (c - CLASS_EXACT);
}

static void
alloc_save(const struct shm_table *t, struct alloc_snap *s)
{
	memcpy(s->head, t->hdr->free_head, sizeof(s->head));
	s->top = atomic_load_explicit(&t->hdr->heap_top, memory_order_relaxed);
	s->used = atomic_load_explicit(&t->hdr->heap_used, memory_order_relaxed);
}

/* Undoes allocations made since alloc_save: they wrote nothing to the heap. */
static void
alloc_restore(struct shm_table *t, const struct alloc_snap *s)
{
	memcpy(t->hdr->free_head, s->head, sizeof(s->head));
	atomic_store_explicit(&t->hdr->heap_top, s->top, memory_order_relaxed);
	atomic_store_explicit(&t->hdr->heap_used, s->used, memory_order_relaxed);
}

/* Takes a block for bytes from its class's free list or the bump pointer. */
static int
block_alloc(struct shm_table *t, size_t bytes, uint32_t *off)
{
	unsigned c = class_of((uint32_t)((bytes + GRANULE - 1) / GRANULE));
	uint32_t g = class_granules(c), head = t->hdr->free_head[c];
	uint64_t top;

	if (head != 0) {
		*off = head;
		t->hdr->free_head[c] =
		        (uint32_t)atomic_load_explicit(&t->heap[head], memory_order_relaxed);
	} else {
		top = atomic_load_explicit(&t->hdr->heap_top, memory_order_relaxed);
		if (top + g > t->heap_granules)
			return DD_ENOSPC;
		*off = (uint32_t)top;
		atomic_store_explicit(&t->hdr->heap_top, top + g, memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&t->hdr->heap_used, (uint64_t)g * GRANULE, memory_order_relaxed);
	return 0;
}

/*
 * Puts a block on its free list.  The link goes into the block's first word
 * while a reader may still be copying it; that reader read the block's offset
 * from a bucket that has since been republished, so its sequence check fails.
 * The release fence orders the bucket's sequence store before the link store
 * (see docs/shm-layout.md, "reuse of freed blocks").
 */
static void
block_free(struct shm_table *t, uint32_t off, size_t bytes)
{
	unsigned c = class_of((uint32_t)((bytes + GRANULE - 1) / GRANULE));

	seqlock_fence_release();
	atomic_store_explicit(&t->heap[off], t->hdr->free_head[c], memory_order_relaxed);
	t->hdr->free_head[c] = off;
	atomic_fetch_sub_explicit(&t->hdr->heap_used, (uint64_t)class_granules(c) * GRANULE,
	                          memory_order_relaxed);
}

/* Stores len bytes at granule off, word by word (the tail word zero-padded). */
static void
heap_write(struct shm_table *t, uint32_t off, const uint8_t *src, size_t len)
{
	_Atomic uint64_t *w = &t->heap[off];
	uint64_t v;

	seqlock_fence_release(); /* same reason as block_free */
	for (size_t i = 0; i < len; i += 8) {
		v = 0;
		memcpy(&v, src + i, len - i < 8 ? len - i : 8);
		atomic_store_explicit(&w[i / 8], v, memory_order_relaxed);
	}
}

/* ------------------------------------------------------------ writer plumbing */

/*
 * This process's pid, without a syscall per write (glibc no longer caches
 * getpid()): looked up once, forgotten in a child after fork().
 */
static pid_t self_pid;
static pthread_once_t self_pid_once = PTHREAD_ONCE_INIT;

static void
self_pid_forget(void)
{
	self_pid = 0;
}

static void
self_pid_register(void)
{
	pthread_atfork(NULL, NULL, self_pid_forget);
}

static pid_t
writer_self(void)
{
	if (self_pid == 0) {
		pthread_once(&self_pid_once, self_pid_register);
		self_pid = getpid();
	}
	return self_pid;
}

static void
write_begin(struct shm_table *t)
{
	uint64_t g = atomic_load_explicit(&t->hdr->write_gen, memory_order_relaxed);

	/* An odd generation here means an earlier writer died mid-write: that
	 * stays visible (broken) even after this write ends. */
	if (g & 1u)
		atomic_store_explicit(&t->hdr->broken, 1, memory_order_relaxed);
	atomic_store_explicit(&t->hdr->writer_pid, (uint32_t)writer_self(), memory_order_relaxed);
	atomic_store_explicit(&t->hdr->write_gen, g | 1u, memory_order_relaxed);
	seqlock_fence_release();
}

static void
write_end(struct shm_table *t)
{
	uint64_t g = atomic_load_explicit(&t->hdr->write_gen, memory_order_relaxed);

	atomic_store_explicit(&t->hdr->write_gen, g + 1, memory_order_release);
	atomic_store_explicit(&t->hdr->writer_pid, 0, memory_order_relaxed);
}

static void
run_hook(const struct shm_table *t)
{
	if (t->hook != NULL)
		t->hook(t->hook_arg);
}

/* Points bucket idx at a new block (or a marker) under its seqlock. */
static void
bucket_publish(struct shm_table *t, uint32_t idx, uint32_t tag, uint32_t off, uint32_t size)
{
	struct shm_bucket *b = &t->buckets[idx];

	seqlock_write_begin(&b->seq);
	atomic_store_explicit(&b->tag, tag, memory_order_relaxed);
	atomic_store_explicit(&b->off, off, memory_order_relaxed);
	atomic_store_explicit(&b->size, size, memory_order_relaxed);
	run_hook(t);
	seqlock_write_end(&b->seq);
}

/*
 * Rewrites bytes [at, at + len) of the live block at off in place, under the
 * seqlock of its bucket idx: readers copying it meanwhile retry.
 */
static void
block_patch(struct shm_table *t, uint32_t idx, uint32_t off, size_t at, const void *src, size_t len)
{
	struct shm_bucket *b = &t->buckets[idx];
	size_t first = at / 8, last = (at + len - 1) / 8;
	uint8_t tmp[8];
	uint64_t v;

	seqlock_write_begin(&b->seq);
	for (size_t i = first; i <= last; i++) {
		size_t lo = i * 8, a = at > lo ? at : lo, e = at + len < lo + 8 ? at + len : lo + 8;
		v = atomic_load_explicit(&t->heap[off + i], memory_order_relaxed);
		memcpy(tmp, &v, 8);
		memcpy(tmp + (a - lo), (const uint8_t *)src + (a - at), e - a);
		memcpy(&v, tmp, 8);
		atomic_store_explicit(&t->heap[off + i], v, memory_order_relaxed);
	}
	run_hook(t);
	seqlock_write_end(&b->seq);
}

/* Writer-side probe (the writer's own data cannot change under it). */
static void
table_find(const struct shm_table *t, uint64_t h, const uint8_t *name, size_t name_len,
           struct slot *s)
{
	uint32_t i = (uint32_t)h & t->mask, tag = (uint32_t)(h >> 32), ins = UINT32_MAX;
	uint8_t buf[ENTRY_HDR + SHM_NAME_MAX];

	memset(s, 0, sizeof(*s));
	for (uint32_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		struct shm_bucket *b = &t->buckets[i];
		uint32_t off = atomic_load_explicit(&b->off, memory_order_relaxed);
		if (off == OFF_EMPTY) {
			s->idx = ins != UINT32_MAX ? ins : i;
			s->idx_empty = ins == UINT32_MAX;
			return;
		}
		if (off == OFF_TOMB) {
			if (ins == UINT32_MAX)
				ins = i;
			continue;
		}
		if (atomic_load_explicit(&b->tag, memory_order_relaxed) != tag)
			continue;
		shm_tbl_heap_read(t, off, buf, ENTRY_HDR);
		if (buf[offsetof(struct shm_entry, name_len)] != name_len)
			continue;
		shm_tbl_heap_read(t, off, buf, ENTRY_HDR + name_len);
		if (memcmp(buf + ENTRY_HDR, name, name_len) != 0)
			continue;
		memcpy(&s->e, buf, ENTRY_HDR);
		s->found = true;
		s->idx = i;
		s->off = off;
		s->size = atomic_load_explicit(&b->size, memory_order_relaxed);
		return;
	}
	s->idx = ins; /* unreachable while used <= capacity < nbuckets */
}

/* Publishes a new name in the first free bucket of its probe chain. */
static void
bucket_insert(struct shm_table *t, uint64_t h, uint32_t off, uint32_t size)
{
	uint32_t i = (uint32_t)h & t->mask, cur;

	for (;;) {
		cur = atomic_load_explicit(&t->buckets[i].off, memory_order_relaxed);
		if (cur == OFF_EMPTY || cur == OFF_TOMB)
			break;
		i = (i + 1) & t->mask;
	}
	if (cur == OFF_EMPTY)
		atomic_fetch_add_explicit(&t->hdr->used, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->hdr->count, 1, memory_order_relaxed);
	bucket_publish(t, i, (uint32_t)(h >> 32), off, size);
}

/* Home bucket of the live entry at off (the writer reads its own data). */
static uint32_t
bucket_home(const struct shm_table *t, uint32_t off)
{
	uint8_t buf[ENTRY_HDR + SHM_NAME_MAX];
	struct shm_entry e;

	shm_tbl_heap_read(t, off, buf, ENTRY_HDR);
	memcpy(&e, buf, ENTRY_HDR);
	shm_tbl_heap_read(t, off, buf, ENTRY_HDR + e.name_len);
	return (uint32_t)shm_tbl_name_hash(t->seed, buf + ENTRY_HDR, e.name_len) & t->mask;
}

/*
 * Empties the tombstones of the cluster (run of non-empty buckets) around
 * idx that no probe chain needs.  A live entry at p with home h needs the
 * buckets h..p-1 to stay non-empty; every other tombstone can go.  Live
 * entries never move, so a reader looking for a present name never finds
 * its chain cut; a reader looking for an absent one just stops sooner.
 * Without this, tombstones would pile up until inserts hit the capacity.
 */
static void
cluster_purge(struct shm_table *t, uint32_t idx)
{
	uint8_t needed[PURGE_MAX];
	uint32_t s = idx, len = 1, i, off;

	while (len < PURGE_MAX && atomic_load_explicit(&t->buckets[(s - 1) & t->mask].off,
	                                               memory_order_relaxed) != OFF_EMPTY) {
		s = (s - 1) & t->mask;
		len++;
	}
	while (len < PURGE_MAX && atomic_load_explicit(&t->buckets[(s + len) & t->mask].off,
	                                               memory_order_relaxed) != OFF_EMPTY)
		len++;
	if (len >= PURGE_MAX)
		return; /* pathological cluster: leave it to a rebuild */
	memset(needed, 0, len);
	for (i = 0; i < len; i++) {
		off = atomic_load_explicit(&t->buckets[(s + i) & t->mask].off,
		                           memory_order_relaxed);
		if (off == OFF_TOMB)
			continue;
		for (uint32_t k = (bucket_home(t, off) - s) & t->mask; k < i; k++)
			needed[k] = 1;
	}
	for (i = 0; i < len; i++) {
		uint32_t j = (s + i) & t->mask;
		if (needed[i] ||
		    atomic_load_explicit(&t->buckets[j].off, memory_order_relaxed) != OFF_TOMB)
			continue;
		bucket_publish(t, j, 0, OFF_EMPTY, 0);
		atomic_fetch_sub_explicit(&t->hdr->used, 1, memory_order_relaxed);
	}
}

/* Removes the name in bucket idx: a tombstone, then the cluster is purged. */
static void
bucket_remove(struct shm_table *t, uint32_t idx)
{
	atomic_fetch_sub_explicit(&t->hdr->count, 1, memory_order_relaxed);
	bucket_publish(t, idx, 0, OFF_TOMB, 0);
	cluster_purge(t, idx);
}

void
shm_table_hook_set(struct shm_table *t, void (*fn)(void *), void *arg)
{
	t->hook = fn;
	t->hook_arg = arg;
}

/* ------------------------------------------------------------ zones */

static void
zone_var_store(struct shm_table *t, struct shm_zone_slot *z, const union zone_buf *b)
{
	seqlock_write_begin(&z->seq);
	for (size_t i = 0; i < ZONE_WORDS; i++)
		atomic_store_explicit(&z->var[i], b->w[i], memory_order_relaxed);
	run_hook(t);
	seqlock_write_end(&z->seq);
}

/* Checks ns_count wire names back to back in exactly ns_len bytes. */
static int
zone_ns_check(const uint8_t *ns, size_t ns_len, unsigned ns_count, uint8_t *lens)
{
	size_t pos = 0;

	if (ns_count > SHM_NS_MAX || (ns_count > 0 && ns == NULL))
		return DD_EINVAL;
	for (unsigned i = 0; i < ns_count; i++) {
		size_t l = 0;
		while (pos + l < ns_len && ns[pos + l] != 0)
			l += 1u + ns[pos + l];
		l++;
		if (pos + l > ns_len || shm_tbl_name_labels(ns + pos, l, true) < 0)
			return DD_EINVAL;
		lens[i] = (uint8_t)l;
		pos += l;
	}
	return pos == ns_len ? 0 : DD_EINVAL;
}

int
shm_zone_define(struct shm_table *t, unsigned idx, const uint8_t *apex, size_t apex_len,
                const struct shm_soa *soa, const uint8_t *ns, size_t ns_len, unsigned ns_count,
                uint32_t ns_ttl)
{
	struct shm_zone_slot *z;
	union zone_buf b;
	int nl = shm_tbl_name_labels(apex, apex_len, true);
	uint32_t nz;

	if (idx >= SHM_ZONES_MAX || nl < 0 || soa == NULL ||
	    shm_tbl_name_labels(soa->mname, soa->mname_len, true) < 0 ||
	    shm_tbl_name_labels(soa->rname, soa->rname_len, true) < 0)
		return DD_EINVAL;
	memset(&b, 0, sizeof(b));
	if (zone_ns_check(ns, ns_len, ns_count, b.v.ns_len) < 0)
		return DD_EINVAL;
	z = &t->zones[idx];
	if (shm_tbl_zone_is_defined(t, idx) &&
	    (z->apex_len != apex_len || memcmp(z->apex, apex, apex_len) != 0))
		return DD_EEXIST;

	b.v.soa = *soa;
	b.v.ns_ttl = ns_ttl;
	b.v.ns_bytes = (uint16_t)ns_len;
	b.v.ns_count = (uint8_t)ns_count;
	if (ns_len > 0)
		memcpy(b.v.ns, ns, ns_len);
	write_begin(t);
	zone_var_store(t, z, &b);
	if (!shm_tbl_zone_is_defined(t, idx)) {
		memcpy(z->apex, apex, apex_len);
		z->apex_len = (uint8_t)apex_len;
		z->nlabels = (uint8_t)nl;
		atomic_store_explicit(&z->defined, 1, memory_order_release);
	}
	nz = atomic_load_explicit(&t->hdr->nzones, memory_order_relaxed);
	if (idx + 1 > nz)
		atomic_store_explicit(&t->hdr->nzones, idx + 1, memory_order_release);
	write_end(t);
	return 0;
}

int
shm_zone_set_serial(struct shm_table *t, unsigned idx, uint32_t serial)
{
	struct shm_zone_slot *z;
	union zone_buf b;

	if (!shm_tbl_zone_is_defined(t, idx))
		return DD_EINVAL;
	z = &t->zones[idx];
	for (size_t i = 0; i < ZONE_WORDS; i++)
		b.w[i] = atomic_load_explicit(&z->var[i], memory_order_relaxed);
	b.v.soa.serial = serial;
	write_begin(t);
	zone_var_store(t, z, &b);
	write_end(t);
	return 0;
}

int
shm_zone_set_serial_sig(struct shm_table *t, unsigned idx, uint32_t serial, const uint8_t *sig,
			size_t sig_len, bool nsec)
{
	struct shm_zone_slot *z;
	union zone_buf b;

	if (!shm_tbl_zone_is_defined(t, idx) || sig_len > SHM_SIG_MAX)
		return DD_EINVAL;
	z = &t->zones[idx];
	for (size_t i = 0; i < ZONE_WORDS; i++)
		b.w[i] = atomic_load_explicit(&z->var[i], memory_order_relaxed);
	b.v.soa.serial = serial;
	b.v.soa_sig_len = (uint16_t)sig_len;
	b.v.nsec = nsec;
	memset(b.v.soa_sig, 0, sizeof(b.v.soa_sig));
	if (sig_len)
		memcpy(b.v.soa_sig, sig, sig_len);
	write_begin(t);
	zone_var_store(t, z, &b);
	write_end(t);
	return 0;
}

void
shm_zone_nsec3_bin_mark(struct shm_table *t, unsigned idx, unsigned bin, bool used)
{
	_Atomic uint64_t *w;
	uint64_t bit = 1ULL << (bin % 64);

	if (idx >= SHM_ZONES_MAX || bin >= SHM_NSEC3_BINS)
		return;
	w = &t->zones[idx].nsec3_bins[bin / 64];
	if (used)
		atomic_fetch_or_explicit(w, bit, memory_order_release);
	else
		atomic_fetch_and_explicit(w, ~bit, memory_order_release);
}

/* ------------------------------------------------------------ entries */

/* An entry that holds an NSEC3 bin or an NSEC node is no name of the zone. */
static bool
rrsets_hidden(const struct shm_rrset_in *rr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rr[i].type == SHM_TYPE_NSEC3BIN || rr[i].type == SHM_TYPE_NSECNODE)
			return true;
	return false;
}

/*
 * Checks the writer's rrsets: a known type, count >= 1 and data that is
 * exactly count x { u16 rdlen; rdata }.  Distinct types only.
 */
static int
rrsets_check(const struct shm_rrset_in *rr, size_t n)
{
	if (n > 255)
		return DD_ETOOBIG;
	for (size_t i = 0; i < n; i++) {
		size_t pos = 0;
		if (rr[i].type == 0 || rr[i].count == 0 || (rr[i].data == NULL && rr[i].data_len))
			return DD_EINVAL;
		for (unsigned k = 0; k < rr[i].count; k++) {
			uint16_t rdlen;
			if (pos + 2 > rr[i].data_len)
				return DD_EINVAL;
			memcpy(&rdlen, rr[i].data + pos, 2);
			pos += 2u + rdlen;
		}
		if (pos != rr[i].data_len)
			return DD_EINVAL;
		for (size_t j = 0; j < i; j++) {
			if (rr[j].type == rr[i].type)
				return DD_EINVAL;
		}
	}
	return 0;
}

size_t
shm_entry_size(size_t name_len, const struct shm_rrset_in *rr, size_t n)
{
	size_t size = shm_tbl_align_up(ENTRY_HDR + name_len, 4);

	for (size_t i = 0; i < n; i++) {
		if (rr[i].data_len > SHM_ENTRY_MAX)
			return 0;
		size = shm_tbl_align_up(size + RRSET_HDR + rr[i].data_len, 4);
	}
	return size <= SHM_ENTRY_MAX ? size : 0;
}

/* Builds an entry block of size bytes into buf (zeroed padding). */
static void
entry_build(uint8_t *buf, size_t size, unsigned zone, const uint8_t *name, size_t name_len,
            const struct shm_rrset_in *rr, size_t n, uint32_t nchild)
{
	struct shm_entry e = {.size = (uint16_t)size,
	                      .name_len = (uint8_t)name_len,
	                      .nrrsets = (uint8_t)n,
	                      .zone = (uint16_t)zone,
	                      .flags = (uint16_t)((name_is_wildcard(name) ? SHM_ENTRY_WILDCARD : 0) |
					 (rrsets_hidden(rr, n) ? SHM_ENTRY_HIDDEN : 0)),
	                      .nchild = nchild};
	size_t pos = shm_tbl_align_up(ENTRY_HDR + name_len, 4);

	memset(buf, 0, size);
	memcpy(buf, &e, ENTRY_HDR);
	memcpy(buf + ENTRY_HDR, name, name_len);
	for (size_t i = 0; i < n; i++) {
		struct shm_rrset r = {.type = rr[i].type,
		                      .count = rr[i].count,
		                      .ttl = rr[i].ttl,
		                      .data_len = (uint16_t)rr[i].data_len};
		memcpy(buf + pos, &r, RRSET_HDR);
		if (rr[i].data_len > 0)
			memcpy(buf + pos + RRSET_HDR, rr[i].data, rr[i].data_len);
		pos = shm_tbl_align_up(pos + RRSET_HDR + rr[i].data_len, 4);
	}
}

/* Offset of the parent of the suffix of name at pos. */
static size_t
name_parent(const uint8_t *name, size_t pos)
{
	return pos + 1u + name[pos];
}

/*
 * What a put of a new name needs besides its own bucket: the missing
 * ancestors (empty non-terminals to create, as offsets into the name,
 * nearest first) and the nearest existing ancestor, whose nchild grows.
 */
struct put_plan {
	uint64_t h;
	struct slot self;
	size_t nmiss;
	size_t miss[SHM_NAME_MAX / 2];
	uint64_t miss_h[SHM_NAME_MAX / 2];
	uint32_t miss_off[SHM_NAME_MAX / 2];
	bool have_parent;
	struct slot parent;
	uint32_t grow; /* buckets that may turn from empty to used */
};

static void
plan_ancestors(const struct shm_table *t, const uint8_t *name, size_t name_len, size_t apex_off,
               struct put_plan *pl)
{
	uint32_t taken[SHM_NAME_MAX / 2 + 1];
	size_t ntaken = 0;
	struct slot s;

	pl->nmiss = 0;
	pl->have_parent = false;
	pl->grow = 0;
	taken[ntaken++] = pl->self.idx;
	pl->grow += pl->self.idx_empty;
	for (size_t a = 0; a < apex_off;) {
		a = name_parent(name, a);
		uint64_t h = shm_tbl_name_hash(t->seed, name + a, name_len - a);
		table_find(t, h, name + a, name_len - a, &s);
		if (s.found) {
			pl->have_parent = true;
			pl->parent = s;
			return;
		}
		/* Counts conservatively: a second name aiming at a slot already
		 * taken by this put lands further on, maybe on an empty bucket. */
		bool dup = false;
		for (size_t k = 0; k < ntaken; k++)
			dup |= taken[k] == s.idx;
		pl->grow += s.idx_empty || dup;
		taken[ntaken++] = s.idx;
		pl->miss_h[pl->nmiss] = h;
		pl->miss[pl->nmiss++] = a;
	}
}

/* Reserves heap blocks for the new entry and the ancestors; undone on failure. */
static int
plan_alloc(struct shm_table *t, size_t name_len, size_t size, struct put_plan *pl, uint32_t *off)
{
	uint64_t used = atomic_load_explicit(&t->hdr->used, memory_order_relaxed);
	uint64_t count = atomic_load_explicit(&t->hdr->count, memory_order_relaxed);
	uint64_t cap = t->hdr->capacity;
	struct alloc_snap snap;

	/* Live names stay within the capacity; with the tombstones that probe
	 * chains still need, buckets in use stay within 1.25 x capacity, so
	 * the load factor stays <= 0.625 and chains stay short. */
	if (count + 1 + pl->nmiss > cap || used + pl->grow > cap + cap / 4)
		return DD_ENOSPC;
	alloc_save(t, &snap);
	if (block_alloc(t, size, off) < 0)
		goto nospace;
	for (size_t k = 0; k < pl->nmiss; k++) {
		size_t l = name_len - pl->miss[k];
		if (block_alloc(t, shm_tbl_align_up(ENTRY_HDR + l, 4), &pl->miss_off[k]) < 0)
			goto nospace;
	}
	return 0;
nospace:
	alloc_restore(t, &snap);
	return DD_ENOSPC;
}

/* Adds delta to the nchild of the entry in slot s, in place. */
static void
entry_nchild_add(struct shm_table *t, const struct slot *s, int delta)
{
	uint32_t nchild = (uint32_t)((int64_t)s->e.nchild + delta);

	block_patch(t, s->idx, s->off, offsetof(struct shm_entry, nchild), &nchild, sizeof(nchild));
}

/* Publishes the planned ancestors (top down) and the new name. */
static void
plan_apply(struct shm_table *t, unsigned zone, const uint8_t *name, size_t name_len,
           const uint8_t *blk, size_t size, uint32_t off, struct put_plan *pl)
{
	uint8_t ent[ENTRY_HDR + SHM_NAME_MAX + 4];

	heap_write(t, off, blk, size);
	for (size_t k = 0; k < pl->nmiss; k++) {
		size_t l = name_len - pl->miss[k], esz = shm_tbl_align_up(ENTRY_HDR + l, 4);
		entry_build(ent, esz, zone, name + pl->miss[k], l, NULL, 0, 1);
		heap_write(t, pl->miss_off[k], ent, esz);
	}
	if (pl->have_parent)
		entry_nchild_add(t, &pl->parent, 1);
	for (size_t k = pl->nmiss; k-- > 0;) {
		size_t l = name_len - pl->miss[k];
		bucket_insert(t, pl->miss_h[k], pl->miss_off[k],
		              (uint32_t)shm_tbl_align_up(ENTRY_HDR + l, 4));
	}
	bucket_insert(t, pl->h, off, (uint32_t)size);
}

/*
 * Removes the leaf in slot s and then every ancestor that is left an empty
 * non-terminal without children, up to the zone apex (bottom up, so that a
 * reader never sees a child without its parent).
 */
static void
remove_leaf(struct shm_table *t, const uint8_t *name, size_t name_len, size_t apex_off,
            const struct slot *s)
{
	struct slot p = *s;

	for (size_t a = 0;;) {
		bucket_remove(t, p.idx);
		block_free(t, p.off, p.size);
		if (a >= apex_off)
			return;
		a = name_parent(name, a);
		table_find(t, shm_tbl_name_hash(t->seed, name + a, name_len - a), name + a,
		           name_len - a, &p);
		if (!p.found || p.e.nchild == 0)
			return; /* cannot happen while the tree is consistent */
		if (p.e.nchild > 1 || p.e.nrrsets > 0) {
			entry_nchild_add(t, &p, -1);
			return;
		}
	}
}

static int
table_remove(struct shm_table *t, const uint8_t *name, size_t name_len)
{
	struct slot s;
	size_t apex_len;

	if (shm_tbl_name_labels(name, name_len, true) < 0)
		return DD_EINVAL;
	table_find(t, shm_tbl_name_hash(t->seed, name, name_len), name, name_len, &s);
	if (!s.found || s.e.nrrsets == 0)
		return DD_ENOENT;
	apex_len = shm_tbl_zone_is_defined(t, s.e.zone) ? t->zones[s.e.zone].apex_len : name_len;
	if (apex_len > name_len)
		apex_len = name_len;

	write_begin(t);
	if (s.e.nchild > 0) {
		/* Becomes an empty non-terminal in place: the block keeps its
		 * size (and class), only nrrsets changes. */
		uint8_t zero = 0;
		block_patch(t, s.idx, s.off, offsetof(struct shm_entry, nrrsets), &zero, 1);
	} else {
		remove_leaf(t, name, name_len, name_len - apex_len, &s);
	}
	write_end(t);
	return 0;
}

int
shm_table_del(struct shm_table *t, const uint8_t *name, size_t name_len)
{
	return table_remove(t, name, name_len);
}

int
shm_table_put(struct shm_table *t, unsigned zone, const uint8_t *name, size_t name_len,
              const struct shm_rrset_in *rrsets, size_t n)
{
	uint64_t blk[SHM_ENTRY_MAX / 8];
	struct put_plan pl;
	size_t size, apex_len;
	uint32_t off;
	int rc;

	if (!shm_tbl_zone_is_defined(t, zone) || shm_tbl_name_labels(name, name_len, true) < 0 ||
	    shm_zone_find(t, name, name_len) != (int)zone || (n > 0 && rrsets == NULL))
		return DD_EINVAL;
	if (n == 0)
		return table_remove(t, name, name_len);
	if ((rc = rrsets_check(rrsets, n)) < 0)
		return rc;
	if ((size = shm_entry_size(name_len, rrsets, n)) == 0)
		return DD_ETOOBIG;
	apex_len = t->zones[zone].apex_len;

	pl.h = shm_tbl_name_hash(t->seed, name, name_len);
	table_find(t, pl.h, name, name_len, &pl.self);
	entry_build((uint8_t *)blk, size, zone, name, name_len, rrsets, n,
	            pl.self.found ? pl.self.e.nchild : 0);
	if (pl.self.found) {
		/* Replace: the new block is complete before the bucket points
		 * at it; the old block is freed only after. */
		if (block_alloc(t, size, &off) < 0)
			return DD_ENOSPC;
		write_begin(t);
		heap_write(t, off, (const uint8_t *)blk, size);
		bucket_publish(t, pl.self.idx, (uint32_t)(pl.h >> 32), off, (uint32_t)size);
		block_free(t, pl.self.off, pl.self.size);
		write_end(t);
		return 0;
	}
	plan_ancestors(t, name, name_len, name_len - apex_len, &pl);
	if ((rc = plan_alloc(t, name_len, size, &pl, &off)) < 0)
		return rc;
	write_begin(t);
	plan_apply(t, zone, name, name_len, (const uint8_t *)blk, size, off, &pl);
	write_end(t);
	return 0;
}

void
shm_table_prefault(struct shm_table *t, uint64_t bytes)
{
#ifdef MADV_POPULATE_WRITE
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t top = atomic_load_explicit(&t->hdr->heap_top, memory_order_relaxed);
	uint64_t max = t->heap_granules * GRANULE, from = top * GRANULE;
	uint8_t *heap = t->base + t->hdr->heap_off;
	uintptr_t a, e;

	if (from >= max)
		return;
	if (bytes > max - from)
		bytes = max - from;
	a = (uintptr_t)(heap + from) & ~(uintptr_t)(pg - 1);
	e = (uintptr_t)(heap + from + bytes);
	(void)madvise((void *)a, (size_t)(e - a), MADV_POPULATE_WRITE);
#else
	(void)t;
	(void)bytes;
#endif
}
