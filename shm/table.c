/*
 * table.c - the shared-memory record table (see table.h and
 * docs/shm-layout.md): creation, getters and the reader side.
 *
 * Everything shared lives in one MAP_SHARED mapping and is addressed by
 * offsets.  Words that readers may load while the writer stores them are
 * C11 atomics accessed with relaxed order; the seqlocks (shm/seqlock.h)
 * supply the ordering.  The writer is a single process (or thread) at a
 * time; nothing here takes a lock.  The writer side is in table_write.c;
 * the layout both share is in table_int.h.  Every function a DNS worker
 * calls per query is in this file, with the helpers it calls, so that the
 * compiler sees them together.
 */
#include "shm/table.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon/dd.h"
#include "shm/seqlock.h"
#include "shm/table_int.h"

#define CAPACITY_MAX (1u << 28)
#define YIELD_AFTER  8    /* reader retries spun before sched_yield() */

/* ------------------------------------------------------------ names */

/*
 * Returns the number of labels (root excluded) of a well-formed wire name of
 * exactly len bytes, or -1.  With lower, upper-case ASCII is refused.
 */
int
shm_tbl_name_labels(const uint8_t *name, size_t len, bool lower)
{
	size_t i = 0;
	int labels = 0;

	if (name == NULL || len == 0 || len > SHM_NAME_MAX)
		return -1;
	for (;;) {
		uint8_t l = name[i];
		if (l == 0)
			return i + 1 == len ? labels : -1;
		if (l > 63 || i + 1 + l >= len)
			return -1;
		for (size_t j = i + 1; lower && j <= i + l; j++) {
			if (name[j] >= 'A' && name[j] <= 'Z')
				return -1;
		}
		labels++;
		i += 1u + l;
	}
}

static uint64_t
hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/*
 * Keyed 64-bit hash of a wire name: 8-byte words folded in with a multiply
 * and rotate, then a final avalanche.  Not cryptographic; the random seed
 * only keeps outsiders from predicting probe chains.
 */
uint64_t
shm_tbl_name_hash(uint64_t seed, const uint8_t *p, size_t len)
{
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL), w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h ^= w * 0x87c37b91114253d5ULL;
		h = ((h << 31) | (h >> 33)) * 0x4cf5ad432745937fULL;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, p, len);
		h ^= w * 0x87c37b91114253d5ULL;
		h = ((h << 31) | (h >> 33)) * 0x4cf5ad432745937fULL;
	}
	return hash_mix(h);
}

/* ------------------------------------------------------------ create */

uint64_t
shm_table_keyed_hash(const struct shm_table *t, uint64_t tweak, const uint8_t *p, size_t len)
{
	return shm_tbl_name_hash(t->seed ^ tweak, p, len);
}

int
shm_table_create(struct shm_table **out, const struct shm_table_params *p)
{
	struct shm_table *t;
	uint64_t nb = 1, data, total, zones_off, stats_off, buckets_off, heap_off;
	void *m;

	*out = NULL;
	if (p == NULL || p->capacity == 0 || p->capacity > CAPACITY_MAX)
		return DD_EINVAL;
	while (nb < 2 * (uint64_t)p->capacity)
		nb <<= 1;
	data = p->data_bytes != 0 ? p->data_bytes : (uint64_t)p->capacity * 192;
	data = shm_tbl_align_up(data, GRANULE) + HEAP_FIRST * GRANULE;
	if (data / GRANULE > UINT32_MAX)
		return DD_EINVAL;
	zones_off = shm_tbl_align_up(sizeof(struct shm_hdr), 64);
	stats_off = zones_off + SHM_ZONES_MAX * sizeof(struct shm_zone_slot);
	buckets_off = shm_tbl_align_up(stats_off, 64);
	heap_off = shm_tbl_align_up(buckets_off + nb * sizeof(struct shm_bucket), 64);
	total = shm_tbl_align_up(heap_off + data, (size_t)sysconf(_SC_PAGESIZE));

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return DD_ENOMEM;
	m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		free(t);
		return DD_ENOMEM;
	}
	t->base = m;
	t->size = total;
	t->hdr = m;
	t->zones = (struct shm_zone_slot *)(t->base + zones_off);
	t->buckets = (struct shm_bucket *)(t->base + buckets_off);
	t->heap = (_Atomic uint64_t *)(t->base + heap_off);
	t->heap_granules = data / GRANULE;
	t->mask = (uint32_t)(nb - 1);
#ifdef MADV_POPULATE_WRITE
	{
		/* every bucket page is written while loading: fault them in one call
		 * rather than one trap per page (best effort: older kernels refuse) */
		size_t pg = (size_t)sysconf(_SC_PAGESIZE);
		uintptr_t a = (uintptr_t)t->buckets & ~(uintptr_t)(pg - 1);
		uintptr_t e = (uintptr_t)(t->base + heap_off);
		(void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
	}
#endif
	t->seed = p->seed;
	if (t->seed == 0) {
		if (sodium_init() < 0) {
			shm_table_destroy(t);
			return DD_ENOMEM;
		}
		randombytes_buf(&t->seed, sizeof(t->seed));
	}

	t->hdr->magic = SHM_MAGIC;
	t->hdr->version = SHM_LAYOUT_VERSION;
	t->hdr->hdr_size = sizeof(struct shm_hdr);
	t->hdr->total_size = total;
	t->hdr->capacity = p->capacity;
	t->hdr->nbuckets = (uint32_t)nb;
	t->hdr->zones_off = zones_off;
	t->hdr->stats_off = stats_off;
	t->hdr->buckets_off = buckets_off;
	t->hdr->heap_off = heap_off;
	t->hdr->heap_size = data;
	t->hdr->seed = t->seed;
	atomic_store_explicit(&t->hdr->heap_top, HEAP_FIRST, memory_order_relaxed);
	*out = t;
	return 0;
}

void
shm_table_destroy(struct shm_table *t)
{
	if (t == NULL)
		return;
	munmap(t->base, t->size);
	free(t);
}

size_t
shm_table_mapping_size(const struct shm_table *t)
{
	return t->size;
}

uint32_t
shm_table_count(const struct shm_table *t)
{
	return atomic_load_explicit(&t->hdr->count, memory_order_relaxed);
}

uint64_t
shm_table_heap_used(const struct shm_table *t)
{
	return atomic_load_explicit(&t->hdr->heap_used, memory_order_relaxed);
}

uint32_t
shm_table_capacity(const struct shm_table *t)
{
	return t->hdr->capacity;
}

uint64_t
shm_table_heap_size(const struct shm_table *t)
{
	return (t->heap_granules - HEAP_FIRST) * GRANULE;
}

uint64_t
shm_table_heap_high(const struct shm_table *t)
{
	return (atomic_load_explicit(&t->hdr->heap_top, memory_order_relaxed) - HEAP_FIRST) *
	       GRANULE;
}


bool
shm_table_write_in_progress(const struct shm_table *t)
{
	return (atomic_load_explicit(&t->hdr->write_gen, memory_order_acquire) & 1u) != 0 ||
	       atomic_load_explicit(&t->hdr->broken, memory_order_relaxed) != 0;
}

uint32_t
shm_table_writer_pid(const struct shm_table *t)
{
	return atomic_load_explicit(&t->hdr->writer_pid, memory_order_relaxed);
}

uint64_t
shm_table_generation(const struct shm_table *t)
{
	return atomic_load_explicit(&t->hdr->write_gen, memory_order_acquire);
}

/* ------------------------------------------------------------ zones */

unsigned
shm_zone_count(const struct shm_table *t)
{
	return atomic_load_explicit(&t->hdr->nzones, memory_order_acquire);
}

int
shm_zone_find(const struct shm_table *t, const uint8_t *name, size_t name_len)
{
	unsigned nz = shm_zone_count(t);

	if (shm_tbl_name_labels(name, name_len, false) < 0)
		return -1;
	/* suffixes from the longest: the first apex that matches is the closest */
	for (size_t i = 0;; i += 1u + name[i]) {
		size_t rest = name_len - i;
		for (unsigned z = 0; z < nz && z < SHM_ZONES_MAX; z++) {
			const struct shm_zone_slot *s = &t->zones[z];
			if (s->apex_len == rest && shm_tbl_zone_is_defined(t, z) &&
			    memcmp(name + i, s->apex, rest) == 0)
				return (int)z;
		}
		if (name[i] == 0)
			return -1;
	}
}

/* Copies words [from, to) of a zone slot's variable part. */
static void
zone_var_load(const struct shm_zone_slot *z, union zone_buf *b, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		b->w[i] = atomic_load_explicit(&z->var[i], memory_order_relaxed);
}

/* Unpacks a consistent zone_var copy into out; false if it is malformed. */
static bool
zone_var_unpack(const struct zone_var *v, struct shm_zone_copy *out)
{
	size_t pos = 0;

	if (v->ns_count > SHM_NS_MAX || v->ns_bytes > sizeof(v->ns))
		return false;
	out->soa = v->soa;
	out->ns_ttl = v->ns_ttl;
	out->ns_count = v->ns_count;
	if (v->soa_sig_len > SHM_SIG_MAX)
		return false;
	out->soa_sig_len = v->soa_sig_len;
	out->nsec = v->nsec != 0;
	memcpy(out->soa_sig, v->soa_sig, v->soa_sig_len);
	for (unsigned i = 0; i < v->ns_count; i++) {
		if (v->ns_len[i] == 0 || pos + v->ns_len[i] > v->ns_bytes)
			return false;
		out->ns_len[i] = v->ns_len[i];
		memcpy(out->ns[i], v->ns + pos, v->ns_len[i]);
		pos += v->ns_len[i];
	}
	return true;
}

int
shm_zone_get(const struct shm_table *t, unsigned idx, struct shm_zone_copy *out)
{
	const struct shm_zone_slot *z;
	union zone_buf b;

	if (!shm_tbl_zone_is_defined(t, idx) || out == NULL)
		return DD_EINVAL;
	z = &t->zones[idx];
	out->apex_len = z->apex_len;
	memcpy(out->apex, z->apex, z->apex_len);
	out->nlabels = z->nlabels;
	for (int tries = 0; tries < SHM_GET_RETRIES; tries++) {
		uint32_t s = seqlock_read_begin(&z->seq);
		size_t nb, end;
		if (!seqlock_is_odd(s)) {
			zone_var_load(z, &b, 0, ZONE_HEAD_WORDS);
			nb = b.v.ns_bytes <= sizeof(b.v.ns) ? b.v.ns_bytes : sizeof(b.v.ns);
			end = (offsetof(struct zone_var, ns) + nb + 7) / 8;
			zone_var_load(z, &b, ZONE_HEAD_WORDS, end);
			if (!seqlock_read_retry(&z->seq, s) && zone_var_unpack(&b.v, out))
				return 0;
		}
		if (tries >= YIELD_AFTER)
			sched_yield();
		else
			seqlock_cpu_relax();
	}
	return DD_EAGAIN;
}

int
shm_zone_nsec3_bin_prev(const struct shm_table *t, unsigned idx, unsigned bin, unsigned skip)
{
	const _Atomic uint64_t *m;
	unsigned b = bin % SHM_NSEC3_BINS;

	if (!shm_tbl_zone_is_defined(t, idx))
		return -1;
	m = t->zones[idx].nsec3_bins;
	/* one lap over the words, and the first word's low bits once more */
	for (unsigned step = 0; step <= SHM_NSEC3_BINS / 64; step++) {
		unsigned wi = b / 64, bit = b % 64;
		uint64_t v = atomic_load_explicit(&m[wi], memory_order_relaxed);
		v &= bit == 63 ? ~0ULL : ((2ULL << bit) - 1);
		while (v) {
			unsigned hi = 63u - (unsigned)__builtin_clzll(v);
			if (skip == 0)
				return (int)(wi * 64 + hi);
			skip--;
			v &= ~(1ULL << hi);
		}
		b = (wi == 0 ? SHM_NSEC3_BINS / 64 : wi) * 64 - 1;
	}
	return -1;
}

/* ------------------------------------------------------------ readers */

/*
 * Checks a consistent copy: 1 when it is name's entry and well formed, 0
 * when it belongs to another name (a tag collision), -1 when malformed.
 */
static int
entry_check(const uint8_t *b, size_t size, const uint8_t *name, size_t name_len)
{
	struct shm_entry e;
	struct shm_rrset r;
	size_t pos;

	memcpy(&e, b, ENTRY_HDR);
	pos = shm_tbl_align_up(ENTRY_HDR + name_len, 4);
	if (e.name_len != name_len)
		return 0;
	if (e.size != size || pos > size || e.zone >= SHM_ZONES_MAX)
		return -1;
	if (memcmp(b + ENTRY_HDR, name, name_len) != 0)
		return 0;
	if (e.nrrsets == 0)
		return 1; /* an empty non-terminal may keep its old block size */
	for (unsigned i = 0; i < e.nrrsets; i++) {
		size_t d = 0;
		if (pos + RRSET_HDR > size)
			return -1;
		memcpy(&r, b + pos, RRSET_HDR);
		pos += RRSET_HDR;
		if (pos + r.data_len > size)
			return -1;
		for (unsigned k = 0; k < r.count; k++) {
			uint16_t rdlen;
			if (d + 2 > r.data_len)
				return -1;
			memcpy(&rdlen, b + pos + d, 2);
			d += 2u + rdlen;
		}
		if (d != r.data_len)
			return -1;
		pos = shm_tbl_align_up(pos + r.data_len, 4);
	}
	return pos == size ? 1 : -1;
}

/*
 * For an entry larger than the caller's buffer: 1 when bucket b (read under
 * sequence s) holds name, 0 when another name, -2 when raced.
 */
static int
entry_too_big(const struct shm_table *t, const struct shm_bucket *b, uint32_t s, uint32_t off,
              uint32_t size, const uint8_t *name, size_t name_len)
{
	uint8_t hdr[ENTRY_HDR + SHM_NAME_MAX];
	struct shm_entry e;

	if (ENTRY_HDR + name_len > size)
		return 0;
	shm_tbl_heap_read(t, off, hdr, ENTRY_HDR + name_len);
	if (seqlock_read_retry(&b->seq, s))
		return -2;
	memcpy(&e, hdr, ENTRY_HDR);
	return e.name_len == name_len && memcmp(hdr + ENTRY_HDR, name, name_len) == 0;
}

/* Bounded wait after a failed read: spin first, then let the writer run. */
static void
reader_backoff(unsigned tries)
{
	if (tries >= YIELD_AFTER)
		sched_yield();
	else
		seqlock_cpu_relax();
}

/*
 * Reader.  Skipping a bucket (empty, tombstone, other tag) needs no seqlock:
 * a name present for the whole lookup sits in a bucket whose tag and offset
 * stay those of that name, and no bucket of its probe chain becomes empty,
 * so it is never skipped.  A matching bucket is read under its seqlock; the
 * copy is bounded by what was read, whatever that was.
 */
int
shm_table_get(const struct shm_table *t, const uint8_t *name, size_t name_len, void *buf,
              size_t bufsz, uint64_t *retries)
{
	uint64_t h;
	uint32_t i, tag, probes = 0;
	unsigned tries = 0;
	int rc = 0;

	if (buf == NULL)
		return DD_EINVAL;
	if (name_len == 0 || name_len > SHM_NAME_MAX)
		return 0;
	h = shm_tbl_name_hash(t->seed, name, name_len);
	i = (uint32_t)h & t->mask;
	tag = (uint32_t)(h >> 32);
	while (probes <= t->mask) {
		const struct shm_bucket *b = &t->buckets[i];
		uint32_t s, off, size;
		int c;

		off = atomic_load_explicit(&b->off, memory_order_relaxed);
		if (off == OFF_EMPTY)
			break;
		if (off == OFF_TOMB || atomic_load_explicit(&b->tag, memory_order_relaxed) != tag) {
			i = (i + 1) & t->mask;
			probes++;
			continue;
		}
		s = seqlock_read_begin(&b->seq);
		off = atomic_load_explicit(&b->off, memory_order_relaxed);
		size = atomic_load_explicit(&b->size, memory_order_relaxed);
		c = -1;
		if (!seqlock_is_odd(s) && off > OFF_TOMB && size >= ENTRY_HDR &&
		    size <= SHM_ENTRY_MAX && off + ((uint64_t)size + 7) / 8 <= t->heap_granules) {
			if (size > bufsz) {
				c = entry_too_big(t, b, s, off, size, name, name_len);
				if (c == 1) {
					rc = DD_ETOOBIG;
					break;
				}
			} else {
				shm_tbl_heap_read(t, off, buf, size);
				if (!seqlock_read_retry(&b->seq, s))
					c = entry_check(buf, size, name, name_len);
				else
					c = -2;
			}
		} else if (!seqlock_is_odd(s) && off <= OFF_TOMB &&
		           !seqlock_read_retry(&b->seq, s)) {
			c = 0; /* the name went away meanwhile */
		}
		if (c == 1) {
			rc = (int)size;
			break;
		}
		if (c == 0) {
			i = (i + 1) & t->mask;
			probes++;
			continue;
		}
		/* Raced a writer (or a malformed block): read this bucket again. */
		if (++tries >= SHM_GET_RETRIES) {
			rc = DD_EAGAIN;
			break;
		}
		reader_backoff(tries);
	}
	if (retries != NULL)
		*retries += tries;
	return rc;
}

const struct shm_rrset *
shm_entry_find(const struct shm_entry *e, uint16_t type)
{
	const struct shm_rrset *r = shm_entry_first(e);

	for (unsigned i = 0; r != NULL && i < e->nrrsets; i++, r = shm_rrset_next(e, r)) {
		if (r->type == type)
			return r;
	}
	return NULL;
}

void
shm_table_prefetch(const struct shm_table *t, const uint8_t *name, size_t name_len)
{
	uint32_t i = (uint32_t)shm_tbl_name_hash(t->seed, name, name_len) & t->mask;

	__builtin_prefetch(&t->buckets[i], 0, 1);
}
