/* load.c - SQLite rows -> shared-memory entries, one owner name per entry. */
#include "daemon/load.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/entry.h"
#include "daemon/log.h"
#include "daemon/pooldb.h"
#include "daemon/signer.h"
#include "shm/table.h"

#define LOAD_CHUNK      (1u << 20) /* bytes of entries handed over at a time */
#define LOAD_QUEUE_MAX  8          /* chunks waiting before the reader waits */
#define LOAD_AHEAD      8          /* entries prefetched ahead of the insert */

/*
 * The full load runs reader threads (one, or two on the two halves of the
 * names) that step SQLite and convert each owner name's rows into an entry,
 * and the inserter (the calling thread) that puts the entries into the
 * table.  Entries travel in chunks of packed items, so the threads meet once
 * per megabyte, not once per name.
 */
struct load_rr {
	uint16_t type, count, data_len, pad;
	uint32_t ttl;
};

struct load_item {
	uint32_t size; /* of the whole item, a multiple of 8 */
	uint8_t zone, wire_len, nrrsets, pad;
	/* nrrsets x struct load_rr, the wire name, the rrsets' data */
};

/* The wire name of an item (its rrsets' data follows it). */
static const uint8_t *
item_wire(const struct load_item *it)
{
	return (const uint8_t *)(it + 1) + it->nrrsets * sizeof(struct load_rr);
}

struct load_chunk {
	struct load_chunk *next;
	size_t len;
	_Alignas(8) uint8_t buf[LOAD_CHUNK];
};

struct load_pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct load_chunk *head, *tail; /* full chunks, oldest first */
	size_t queued;
	unsigned running;       /* readers still walking */
	int rc;                 /* the first reader error */
	atomic_bool stop;       /* the inserter failed: the readers stop */
};

/* A reader of the full load: its entry being built, and where entries go. */
struct load_ctx {
	struct entry e;          /* first: load_emit finds the reader from it */
	struct load_pipe *pipe; /* full load: entries go to the inserter */
	struct load_chunk *cur; /* the reader's chunk being filled */
	struct db *db;
	bool own;               /* the reader walks on a connection of its own */
	const char *lo, *hi;    /* its names: lo <= name < hi (NULL: no bound) */
	struct load_stats rst;  /* its counts */
	pthread_t th;
};

/* Hands the reader's current chunk to the inserter (waits while it is behind). */
static int
pipe_hand(struct load_ctx *lc)
{
	struct load_pipe *p = lc->pipe;
	struct load_chunk *c = lc->cur;

	lc->cur = NULL;
	if (c == NULL)
		return 0;
	pthread_mutex_lock(&p->mu);
	while (p->queued >= LOAD_QUEUE_MAX && !atomic_load(&p->stop))
		pthread_cond_wait(&p->cv, &p->mu);
	c->next = NULL;
	if (p->tail)
		p->tail->next = c;
	else
		p->head = c;
	p->tail = c;
	p->queued++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return atomic_load(&p->stop) ? DD_ENOSPC : 0;
}

/* Packs the accumulated name as one item of the reader's chunk. */
static int
pipe_push(struct load_ctx *lc)
{
	struct load_pipe *p = lc->pipe;
	size_t size = sizeof(struct load_item) + lc->e.nrrsets * sizeof(struct load_rr) +
		      lc->e.wire_len + lc->e.data_len;
	struct load_item *it;
	struct load_rr *rr;
	int rc;

	size = (size + 7) & ~(size_t)7;
	if (atomic_load_explicit(&p->stop, memory_order_relaxed))
		return DD_ENOSPC;
	if (lc->cur && lc->cur->len + size > LOAD_CHUNK && (rc = pipe_hand(lc)) < 0)
		return rc;
	if (lc->cur == NULL) {
		if ((lc->cur = malloc(sizeof(*lc->cur))) == NULL)
			return DD_ENOMEM;
		lc->cur->len = 0;
	}
	it = (struct load_item *)(void *)(lc->cur->buf + lc->cur->len);
	memset(it, 0, sizeof(*it));
	it->size = (uint32_t)size;
	it->zone = (uint8_t)lc->e.zone;
	it->wire_len = (uint8_t)lc->e.wire_len;
	it->nrrsets = (uint8_t)lc->e.nrrsets;
	rr = (struct load_rr *)(void *)(it + 1);
	for (size_t i = 0; i < lc->e.nrrsets; i++) {
		rr[i] = (struct load_rr){.type = lc->e.rr[i].type,
					 .count = lc->e.rr[i].count,
					 .data_len = (uint16_t)lc->e.rr[i].data_len,
					 .ttl = lc->e.rr[i].ttl};
	}
	/* the layout item_wire() reads */
	memcpy((uint8_t *)(rr + lc->e.nrrsets), lc->e.wire, lc->e.wire_len);
	memcpy((uint8_t *)(rr + lc->e.nrrsets) + lc->e.wire_len, lc->e.data, lc->e.data_len);
	lc->cur->len += size;
	return 0;
}

/* A reader's finished entry goes to the inserter. */
static int
load_emit(struct entry *e)
{
	return pipe_push((struct load_ctx *)(void *)e);
}

/* A reader thread: its range of rows, as entries for the inserter. */
static void *
load_reader(void *arg)
{
	struct load_ctx *lc = arg;
	struct load_pipe *p = lc->pipe;
	int rc = db_records_range(lc->db, lc->own, lc->lo, lc->hi, entry_row, &lc->e);

	if (rc == 0)
		rc = entry_flush(&lc->e);
	if (rc == 0)
		rc = pipe_hand(lc);
	free(lc->cur);
	lc->cur = NULL;
	if (rc < 0)
		atomic_store(&p->stop, true); /* the load fails: the other reader stops */
	pthread_mutex_lock(&p->mu);
	if (p->rc == 0)
		p->rc = rc;
	p->running--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Puts the items of one chunk, prefetching buckets LOAD_AHEAD items ahead. */
static int
load_insert_chunk(struct shm_table *t, struct load_stats *st, const struct load_chunk *c,
		  int *error)
{
	struct shm_rrset_in rr[ENTRY_RRSETS_MAX];
	size_t pos = 0, ahead = 0;
	unsigned lead = 0; /* items fetched ahead and not yet put */
	int rc;

	while (pos < c->len) {
		const struct load_item *it = (const void *)(c->buf + pos);
		const struct load_rr *in = (const void *)(it + 1);
		const uint8_t *wire = item_wire(it);
		const uint8_t *data = wire + it->wire_len;

		/* bucket fetches run up to LOAD_AHEAD items ahead of the puts */
		for (; lead < LOAD_AHEAD && ahead < c->len; lead++) {
			const struct load_item *a = (const void *)(c->buf + ahead);
			shm_table_prefetch(t, item_wire(a), a->wire_len);
			ahead += a->size;
		}
		for (size_t i = 0; i < it->nrrsets; i++) {
			rr[i] = (struct shm_rrset_in){.type = in[i].type,
						      .count = in[i].count,
						      .ttl = in[i].ttl,
						      .data = data,
						      .data_len = in[i].data_len};
			data += in[i].data_len;
		}
		if ((rc = entry_put(t, st, it->zone, wire, it->wire_len, rr, it->nrrsets, error)) < 0)
			return rc;
		pos += it->size;
		lead--;
	}
	return 0;
}

#define LOAD_READERS   2
#define LOAD_SPLIT_MIN 50000 /* rows below which one reader is enough */

static unsigned load_readers_max; /* load_set_readers; 0: by CPU count */

void
load_set_readers(unsigned n)
{
	load_readers_max = n > LOAD_READERS ? LOAD_READERS : n;
}

/*
 * Readers wanted.  With two CPUs, two readers and the inserting thread
 * share them, and the split (a count and an offset walk, before any
 * reader starts) costs more than the second reader gives back: 1M names
 * load in 0.68-0.86 s with one reader, 0.98-1.14 s with two.
 */
static unsigned
load_readers_wanted(void)
{
	cpu_set_t set;

	if (load_readers_max > 0)
		return load_readers_max;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) >= 3)
		return LOAD_READERS;
	return 1;
}

/*
 * Loads every row, then the pools at names without rows.  Reader threads
 * step SQLite and build entries (two, on the two halves of the names, for
 * a large table) while this thread inserts them.  When no thread can be
 * started, everything runs here.
 */
static int
load_rows(struct load_ctx *lc)
{
	struct load_ctx *rd[LOAD_READERS] = {NULL};
	struct load_pipe p;
	struct load_stats ins;
	char *mid = NULL;
	unsigned n = 1, started = 0;
	int rc = 0, error = 0;

	memset(&p, 0, sizeof(p));
	memset(&ins, 0, sizeof(ins));
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	atomic_init(&p.stop, false);
	/* Each reader reads its own snapshot.  No writer runs during a load
	 * (start-up, reload and rebuild all stop or lack it), and a name's rows
	 * are all in one reader's range, so a name is never torn either way. */
	if (load_readers_wanted() > 1 && db_records_split(lc->db, LOAD_SPLIT_MIN, &mid) == 0)
		n = LOAD_READERS;
	lc->e.st->readers = n;
	for (unsigned i = 0; i < n; i++) {
		if ((rd[i] = malloc(sizeof(*rd[i]))) == NULL) {
			rc = DD_ENOMEM;
			break;
		}
		*rd[i] = *lc;
		memset(&rd[i]->rst, 0, sizeof(rd[i]->rst));
		rd[i]->e.st = &rd[i]->rst;
		rd[i]->pipe = &p;
		rd[i]->e.emit = load_emit;
		rd[i]->own = i > 0;
		rd[i]->lo = i > 0 ? mid : NULL;
		rd[i]->hi = i + 1 < n ? mid : NULL;
	}
	p.running = rc == 0 ? n : 0;
	for (unsigned i = 0; rc == 0 && i < n; i++, started++) {
		if (pthread_create(&rd[i]->th, NULL, load_reader, rd[i]) != 0)
			break;
	}
	if (started < n) {
		/* the rest of the readers run here, one after the other, each
		 * putting its entries straight away */
		pthread_mutex_lock(&p.mu);
		p.running -= n - started;
		pthread_mutex_unlock(&p.mu);
	}
	for (;;) {
		struct load_chunk *c;

		pthread_mutex_lock(&p.mu);
		while (p.head == NULL && p.running > 0)
			pthread_cond_wait(&p.cv, &p.mu);
		c = p.head;
		if (c) {
			p.head = c->next;
			if (p.head == NULL)
				p.tail = NULL;
			p.queued--;
			pthread_cond_broadcast(&p.cv);
		}
		pthread_mutex_unlock(&p.mu);
		if (c == NULL)
			break;
		if (rc == 0) {
			/* entries take about the bytes of their items: fault the
			 * heap pages this chunk will write in one call */
			shm_table_prefault(lc->e.t, c->len + c->len / 4);
			rc = load_insert_chunk(lc->e.t, &ins, c, &error);
			if (rc < 0) {
				atomic_store(&p.stop, true);
				pthread_mutex_lock(&p.mu);
				pthread_cond_broadcast(&p.cv);
				pthread_mutex_unlock(&p.mu);
			}
		}
		free(c);
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(rd[i]->th, NULL);
	if (rc == 0)
		rc = p.rc;
	for (unsigned i = started; rc == 0 && i < n && rd[i]; i++) {
		rd[i]->pipe = NULL;
		rd[i]->e.emit = NULL;
		rd[i]->e.st = &ins;
		rc = db_records_range(lc->db, false, rd[i]->lo, rd[i]->hi, entry_row, &rd[i]->e);
		if (rc == 0)
			rc = entry_flush(&rd[i]->e);
	}
	for (unsigned i = 0; i < n && rd[i]; i++) {
		lc->e.st->records += rd[i]->rst.records;
		lc->e.st->skipped += rd[i]->rst.skipped;
		free(rd[i]);
	}
	lc->e.st->names += ins.names;
	lc->e.st->skipped += ins.skipped;
	lc->e.st->records += ins.records;
	rc = rc < 0 ? rc : entry_pool_names(&lc->e);
	free(mid);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	return rc;
}

/*
 * Signed zones (daemon/signer.h): a zone signed for the first time is signed
 * now, every signed zone's apex again, and the table gets the signatures,
 * the NSEC3 bins and the SOA's RRSIG.
 */
static int
load_signed(const struct cfg *cfg, struct db *db, struct shm_table *t)
{
	struct signer *s = NULL;
	int rc = signer_open(cfg, db, &s);

	if (rc < 0)
		return rc;
	signer_set_table(s, t);
	if ((rc = signer_prepare(s)) == 0)
		rc = signer_load(s);
	signer_close(s);
	return rc;
}

int
load_table(const struct cfg *cfg, struct db *db, struct shm_table **out, struct load_stats *st)
{
	struct shm_table_params p = {.capacity = cfg->table.capacity,
				     .data_bytes = cfg->table.data_bytes};
	struct shm_table *t = NULL;
	struct load_ctx *lc = NULL;
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	*out = NULL;
	memset(st, 0, sizeof(*st));
	if (cfg->nzones > SHM_ZONES_MAX) {
		log_warnx("%zu zones configured; at most %d are supported", cfg->nzones,
			  SHM_ZONES_MAX);
		return DD_ERANGE;
	}
	if ((rc = shm_table_create(&t, &p)) < 0) {
		log_warnx("shared memory table (capacity %u): %s", p.capacity, dd_strerror(rc));
		return rc;
	}
	for (unsigned i = 0; i < cfg->nzones; i++) {
		if ((rc = entry_zone_define(t, cfg, db, i)) < 0) {
			log_warnx("zone %s: %s", cfg->zones[i].name, dd_strerror(rc));
			goto failed;
		}
	}
	st->zones = cfg->nzones;
	lc = calloc(1, sizeof(*lc));
	if (lc == NULL) {
		rc = DD_ENOMEM;
		goto failed;
	}
	lc->e.cfg = cfg;
	lc->e.t = t;
	lc->e.st = st;
	lc->e.zone = -1;
	if ((rc = pooldb_load(db, NULL, &lc->e.pools, &lc->e.npools)) < 0)
		goto failed;
	lc->db = db;
	rc = load_rows(lc);
	if (rc < 0)
		goto failed;
	if ((rc = load_signed(cfg, db, t)) < 0)
		goto failed;
	free(lc->e.pools);
	free(lc);
	*out = t;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return 0;
failed:
	if (lc)
		free(lc->e.pools);
	free(lc);
	shm_table_destroy(t);
	return rc;
}

