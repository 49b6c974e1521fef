/* load.c - SQLite rows -> shared-memory entries, one owner name per entry. */
#include "daemon/load.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/pooldb.h"
#include "dns/dname.h"
#include "dns/rdata.h"
#include "shm/table.h"

#define LOAD_RRSETS_MAX 8
#define LOAD_DATA_MAX   SHM_ENTRY_MAX
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

/* Accumulates the rows of one owner name until the name changes. */
struct load_ctx {
	const struct cfg *cfg;
	struct shm_table *t;
	struct load_stats *st;
	char name[256];
	int zone;
	uint8_t wire[SHM_NAME_MAX];
	size_t wire_len;
	size_t nrrsets;
	struct shm_rrset_in rr[LOAD_RRSETS_MAX];
	size_t rr_off[LOAD_RRSETS_MAX];
	uint8_t data[LOAD_DATA_MAX];
	size_t data_len;
	int error;
	struct pooldb_def *pools; /* sorted by name; NULL: none */
	size_t npools;
	struct load_pipe *pipe; /* full load: entries go to the inserter */
	struct load_chunk *cur; /* the reader's chunk being filled */
	struct db *db;
	bool own;               /* the reader walks on a connection of its own */
	const char *lo, *hi;    /* its names: lo <= name < hi (NULL: no bound) */
	struct load_stats rst;  /* its counts */
	pthread_t th;
};

static const struct {
	const char *name;
	uint16_t type;
} load_types[] = {{"A", 1}, {"CNAME", 5}, {"TXT", 16}, {"AAAA", 28}};

static int
load_type_parse(const char *s, uint16_t *type)
{
	for (size_t i = 0; i < sizeof(load_types) / sizeof(load_types[0]); i++) {
		if (strcasecmp(s, load_types[i].name) == 0) {
			*type = load_types[i].type;
			return 0;
		}
	}
	return DD_EINVAL;
}

/* A pool defined at the current name joins its entry as one private rrset. */
static void
load_add_pool(struct load_ctx *lc)
{
	struct pooldb_def *d = lc->pools ? pooldb_find(lc->pools, lc->npools, lc->name) : NULL;
	struct shm_rrset_in *rr;
	uint16_t len;

	if (d == NULL || d->used || lc->nrrsets == LOAD_RRSETS_MAX ||
	    lc->data_len + 2 + d->len > sizeof(lc->data))
		return;
	d->used = true;
	rr = &lc->rr[lc->nrrsets];
	lc->rr_off[lc->nrrsets++] = lc->data_len;
	memset(rr, 0, sizeof(*rr));
	rr->type = SHM_TYPE_POOL;
	rr->count = 1;
	rr->ttl = ((const struct pool_def *)(const void *)d->data)->ttl;
	rr->data_len = 2 + d->len;
	len = (uint16_t)d->len;
	memcpy(lc->data + lc->data_len, &len, 2);
	memcpy(lc->data + lc->data_len + 2, d->data, d->len);
	lc->data_len += 2 + d->len;
}

/* Puts one entry; DD_ENOSPC (logged) stops the load, other errors skip it. */
static int
load_put(struct shm_table *t, struct load_stats *st, unsigned zone, const uint8_t *wire,
	 size_t wire_len, const struct shm_rrset_in *rr, size_t n, int *error)
{
	int rc = shm_table_put(t, zone, wire, wire_len, rr, n);

	if (rc == DD_ENOSPC) {
		log_warnx("table full at %zu names (table.capacity %u): raise table.capacity "
			  "or table.data_bytes",
			  st->names, shm_table_capacity(t));
		return rc;
	}
	if (rc < 0) {
		char name[DNS_DNAME_STR_MAX];
		if (dns_dname_to_str(wire, wire_len, name, sizeof(name), false) < 0)
			snprintf(name, sizeof(name), "?");
		log_warnx("record %s: %s; skipped", name, dd_strerror(rc));
		st->skipped++;
		*error = rc;
	} else {
		st->names++;
	}
	return 0;
}

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
	size_t size = sizeof(struct load_item) + lc->nrrsets * sizeof(struct load_rr) +
		      lc->wire_len + lc->data_len;
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
	it->zone = (uint8_t)lc->zone;
	it->wire_len = (uint8_t)lc->wire_len;
	it->nrrsets = (uint8_t)lc->nrrsets;
	rr = (struct load_rr *)(void *)(it + 1);
	for (size_t i = 0; i < lc->nrrsets; i++) {
		rr[i] = (struct load_rr){.type = lc->rr[i].type,
					 .count = lc->rr[i].count,
					 .data_len = (uint16_t)lc->rr[i].data_len,
					 .ttl = lc->rr[i].ttl};
	}
	/* the layout item_wire() reads */
	memcpy((uint8_t *)(rr + lc->nrrsets), lc->wire, lc->wire_len);
	memcpy((uint8_t *)(rr + lc->nrrsets) + lc->wire_len, lc->data, lc->data_len);
	lc->cur->len += size;
	return 0;
}

static int
load_flush(struct load_ctx *lc)
{
	int rc;

	if (lc->zone >= 0)
		load_add_pool(lc);
	if (lc->nrrsets == 0)
		return 0;
	if (lc->pipe) {
		rc = pipe_push(lc);
	} else {
		for (size_t i = 0; i < lc->nrrsets; i++)
			lc->rr[i].data = lc->data + lc->rr_off[i];
		rc = load_put(lc->t, lc->st, (unsigned)lc->zone, lc->wire, lc->wire_len, lc->rr,
			      lc->nrrsets, &lc->error);
	}
	lc->nrrsets = 0;
	lc->data_len = 0;
	return rc;
}

/* Starts a new owner name: converts it and finds its zone. */
static int
load_begin_name(struct load_ctx *lc, const char *name)
{
	size_t len = strnlen(name, sizeof(lc->name) - 1);
	int n;

	memcpy(lc->name, name, len);
	lc->name[len] = '\0';
	lc->zone = -1;
	n = dns_dname_from_str(name, lc->wire, sizeof(lc->wire)); /* lower-case */
	if (n < 0)
		return n;
	lc->wire_len = (size_t)n;
	lc->zone = shm_zone_find(lc->t, lc->wire, lc->wire_len);
	return lc->zone < 0 ? DD_ENOENT : 0;
}

static int
load_row(void *arg, const char *name, const char *type, const char *value, int64_t ttl)
{
	struct load_ctx *lc = arg;
	struct shm_rrset_in *rr;
	uint16_t t;
	int n, rc;

	if (strcmp(name, lc->name) != 0) {
		if ((rc = load_flush(lc)) < 0)
			return rc;
		rc = load_begin_name(lc, name);
		if (rc == DD_ENOENT)
			log_warnx("record %s %s: name is in no configured zone; skipped", name,
				  type);
		else if (rc < 0)
			log_warnx("record %s %s: invalid name; skipped", name, type);
	}
	if (lc->zone < 0 || load_type_parse(type, &t) < 0) {
		if (lc->zone >= 0)
			log_warnx("record %s: unsupported type %s; skipped", name, type);
		lc->st->skipped++;
		return 0;
	}
	if (lc->data_len + 2 > sizeof(lc->data))
		goto toobig;
	/* convert first: a bad value must not leave an empty rrset behind */
	n = dns_rdata_from_text(t, value, lc->data + lc->data_len + 2,
				sizeof(lc->data) - lc->data_len - 2);
	if (n < 0) {
		if (n == DD_ETOOBIG || n == DD_ENOSPC)
			goto toobig;
		log_warnx("record %s %s '%s': invalid value; skipped", name, type, value);
		lc->st->skipped++;
		return 0;
	}
	rr = lc->nrrsets ? &lc->rr[lc->nrrsets - 1] : NULL;
	if (rr == NULL || rr->type != t) {
		if (lc->nrrsets == LOAD_RRSETS_MAX) {
			lc->st->skipped++;
			return 0;
		}
		rr = &lc->rr[lc->nrrsets];
		lc->rr_off[lc->nrrsets++] = lc->data_len;
		memset(rr, 0, sizeof(*rr));
		rr->type = t;
		rr->ttl = UINT32_MAX;
	}
	{
		uint16_t rdlen = (uint16_t)n;
		memcpy(lc->data + lc->data_len, &rdlen, 2);
	}
	lc->data_len += 2 + (size_t)n;
	rr->data_len += 2 + (size_t)n;
	rr->count++;
	/* RFC 2181 5.2: one TTL per RRset; the smallest wins */
	{
		uint32_t v = ttl < 0 ? lc->cfg->zones[lc->zone].ttl
				     : (ttl > INT32_MAX ? (uint32_t)INT32_MAX : (uint32_t)ttl);
		if (v < rr->ttl)
			rr->ttl = v;
	}
	lc->st->records++;
	return 0;
toobig:
	log_warnx("record %s %s: the name's records exceed %d bytes; skipped", name, type,
		  LOAD_DATA_MAX);
	lc->st->skipped++;
	return 0;
}

/* Pools at names that have no records: entries of their own. */
static int
load_pool_names(struct load_ctx *lc)
{
	for (size_t i = 0; i < lc->npools; i++) {
		int rc;
		if (lc->pools[i].used)
			continue;
		lc->nrrsets = 0;
		lc->data_len = 0;
		if (load_begin_name(lc, lc->pools[i].name) < 0) {
			log_warnx("pool %s: in no configured zone; skipped", lc->pools[i].name);
			continue;
		}
		if ((rc = load_flush(lc)) < 0)
			return rc;
	}
	return 0;
}

/* Appends the wire form of presentation name nm to buf at *len. */
static int
load_ns_add(uint8_t *buf, size_t cap, size_t *len, const char *nm)
{
	int rc = dns_dname_from_str(nm, buf + *len, cap - *len);
	if (rc < 0)
		return rc;
	dns_dname_lower(buf + *len, buf + *len, (size_t)rc);
	*len += (size_t)rc;
	return 0;
}

/*
 * Zone slot i from cfg->zones[i]: apex, SOA and NS.  A secondary zone that
 * has been transferred uses its primary's SOA fields and NS names.
 */
int
load_zone_publish(struct shm_table *t, const struct cfg *cfg, struct db *db, unsigned i)
{
	const struct cfg_zone *z = &cfg->zones[i];
	struct shm_soa soa;
	uint8_t apex[SHM_NAME_MAX], ns[SHM_NS_MAX * SHM_NAME_MAX];
	size_t ns_len = 0, nns = z->nns < SHM_NS_MAX ? z->nns : SHM_NS_MAX;
	char *msoa = NULL, *mns = NULL;
	char mname[256], rname[256];
	const char *mn = z->soa.mname, *rn = z->soa.rname;
	int n, rc;

	memset(&soa, 0, sizeof(soa));
	rc = db_zone_sync(db, z->name, &soa.serial);
	if (rc < 0)
		return rc;
	if ((n = dns_dname_from_str(z->name, apex, sizeof(apex))) < 0)
		return n;
	dns_dname_lower(apex, apex, (size_t)n);
	soa.ttl = z->soa.minimum > z->ttl ? z->soa.minimum : z->ttl;
	soa.refresh = z->soa.refresh;
	soa.retry = z->soa.retry;
	soa.expire = z->soa.expire;
	soa.minimum = z->soa.minimum;
	if (z->primary && db_zone_meta(db, z->name, &msoa, &mns) == 0 &&
	    sscanf(msoa, "%255s %255s %u %u %u %u", mname, rname, &soa.refresh, &soa.retry,
		   &soa.expire, &soa.minimum) == 6) {
		mn = mname;
		rn = rname;
	}
	rc = dns_dname_from_str(mn, soa.mname, sizeof(soa.mname));
	if (rc < 0)
		goto done;
	soa.mname_len = (uint8_t)rc;
	rc = dns_dname_from_str(rn, soa.rname, sizeof(soa.rname));
	if (rc < 0)
		goto done;
	soa.rname_len = (uint8_t)rc;
	dns_dname_lower(soa.mname, soa.mname, soa.mname_len);
	dns_dname_lower(soa.rname, soa.rname, soa.rname_len);
	if (mn == mname && mns) {
		char *save = NULL;
		nns = 0;
		for (char *tok = strtok_r(mns, " ", &save); tok && nns < SHM_NS_MAX;
		     tok = strtok_r(NULL, " ", &save), nns++)
			if ((rc = load_ns_add(ns, sizeof(ns), &ns_len, tok)) < 0)
				goto done;
	} else {
		for (size_t k = 0; k < nns; k++)
			if ((rc = load_ns_add(ns, sizeof(ns), &ns_len, z->ns[k])) < 0)
				goto done;
	}
	rc = shm_zone_define(t, i, apex, (size_t)n, &soa, ns, ns_len, (unsigned)nns, z->ttl);
done:
	free(msoa);
	free(mns);
	return rc;
}

/* A reader thread: its range of rows, as entries for the inserter. */
static void *
load_reader(void *arg)
{
	struct load_ctx *lc = arg;
	struct load_pipe *p = lc->pipe;
	int rc = db_records_range(lc->db, lc->own, lc->lo, lc->hi, load_row, lc);

	if (rc == 0)
		rc = load_flush(lc);
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
	struct shm_rrset_in rr[LOAD_RRSETS_MAX];
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
		if ((rc = load_put(t, st, it->zone, wire, it->wire_len, rr, it->nrrsets, error)) < 0)
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
	lc->st->readers = n;
	for (unsigned i = 0; i < n; i++) {
		if ((rd[i] = malloc(sizeof(*rd[i]))) == NULL) {
			rc = DD_ENOMEM;
			break;
		}
		*rd[i] = *lc;
		memset(&rd[i]->rst, 0, sizeof(rd[i]->rst));
		rd[i]->st = &rd[i]->rst;
		rd[i]->pipe = &p;
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
			shm_table_prefault(lc->t, c->len + c->len / 4);
			rc = load_insert_chunk(lc->t, &ins, c, &error);
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
		rd[i]->st = &ins;
		rc = db_records_range(lc->db, false, rd[i]->lo, rd[i]->hi, load_row, rd[i]);
		if (rc == 0)
			rc = load_flush(rd[i]);
	}
	for (unsigned i = 0; i < n && rd[i]; i++) {
		lc->st->records += rd[i]->rst.records;
		lc->st->skipped += rd[i]->rst.skipped;
		free(rd[i]);
	}
	lc->st->names += ins.names;
	lc->st->skipped += ins.skipped;
	lc->st->records += ins.records;
	rc = rc < 0 ? rc : load_pool_names(lc);
	free(mid);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
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
		if ((rc = load_zone_publish(t, cfg, db, i)) < 0) {
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
	lc->cfg = cfg;
	lc->t = t;
	lc->st = st;
	lc->zone = -1;
	if ((rc = pooldb_load(db, NULL, &lc->pools, &lc->npools)) < 0)
		goto failed;
	lc->db = db;
	rc = load_rows(lc);
	if (rc < 0)
		goto failed;
	free(lc->pools);
	free(lc);
	*out = t;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return 0;
failed:
	if (lc)
		free(lc->pools);
	free(lc);
	shm_table_destroy(t);
	return rc;
}

int
load_name_publish(struct shm_table *t, const struct cfg *cfg, struct db *db, const char *name,
		  bool pools)
{
	struct load_stats st;
	struct load_ctx *lc = calloc(1, sizeof(*lc));
	int rc;

	if (lc == NULL)
		return DD_ENOMEM;
	memset(&st, 0, sizeof(st));
	lc->cfg = cfg;
	lc->t = t;
	lc->st = &st;
	lc->zone = -1;
	rc = pools ? pooldb_load(db, name, &lc->pools, &lc->npools) : 0;
	if (rc == 0)
		rc = db_records_of_name(db, name, load_row, lc);
	if (rc == 0)
		rc = load_flush(lc);
	if (rc == 0)
		rc = load_pool_names(lc);
	if (rc == 0 && lc->error)
		rc = lc->error;
	if (rc == 0 && st.names == 0) {
		/* no rows left: the name goes (its children keep it as a non-terminal) */
		uint8_t wire[SHM_NAME_MAX];
		int n = dns_dname_from_str(name, wire, sizeof(wire));
		if (n > 0) {
			dns_dname_lower(wire, wire, (size_t)n);
			rc = shm_table_del(t, wire, (size_t)n);
			if (rc == DD_ENOENT)
				rc = 0;
		}
	}
	free(lc->pools);
	free(lc);
	return rc;
}
