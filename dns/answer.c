/*
 * answer.c - build the response to one DNS query from the shared table.
 *
 * The hot path: no allocation, no locks, no system calls.  The reply is
 * written once, front to back, through a bounded cursor; when it does not
 * fit the UDP limit it is cut back to the question and TC is set.
 */
#include "dns/answer.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <sodium.h>

#include "daemon/dd.h"
#include "dns/cookie.h"
#include "dns/dname.h"
#include "dns/dnssec.h"
#include "dns/pkt.h"
#include "dns/pool.h"
#include "dns/rdata.h"
#include "dns/rrl.h"
#include "dns/wire.h"
#include "shm/nsec.h"
#include "shm/pool.h"
#include "shm/rrl.h"
#include "shm/stats.h"
#include "shm/table.h"

#define CNAME_CHAIN_MAX 8  /* CNAME links followed inside our zones */
#define COMP_MAX        64 /* remembered name suffixes for compression */
#define COMP_PTR_MAX    0x3fff
#define NSEC3_PROOFS_MAX 8
#define WALK_PREFIX_DOT  1 /* "<label>.POOL" (signed as an expansion of "*.POOL") */
#define WALK_PREFIX_DASH 2 /* "<label>-POOL" (no signature can cover it) */ /* NSEC3 records in one reply: 3 per name, a wildcard CNAME or two */

/* A name suffix already in the reply: where it starts and its full wire length. */
struct comp_ent {
	uint16_t off;
	uint8_t len;
};

struct resp {
	struct dns_wire_wr w;
	struct comp_ent comp[COMP_MAX];
	unsigned ncomp;
	uint16_t count[3]; /* answer, authority, additional */
	int sec;           /* section being written */
	bool dnssec;       /* DO=1: RRSIGs and denial proofs (RFC 4035 3.1) */
	/* NSEC3 records already in the reply (by hash; NSEC ones by a hash of
	 * the owner), not written twice */
	uint8_t nsec3_seen[NSEC3_PROOFS_MAX][NSEC3_HASH_LEN];
	unsigned nnsec3;
	/* what the reply is about, for rate limiting: the zone's apex (NULL
	 * when not loaded) and whether a wildcard made the last answer */
	const uint8_t *apex;
	size_t apex_len;
	bool wild;
	/* proofs owed, written into the authority section after the answers:
	 * the NSEC3 or NSEC record matching or covering each name */
	struct {
		int zone;
		uint8_t len;
		uint8_t name[DNS_DNAME_MAX];
	} owed[NSEC3_PROOFS_MAX];
	unsigned nowed;
};

enum { SEC_AN, SEC_NS, SEC_AR };

/* Who owns the records being written: a pointer into the reply, or a name to write. */
struct owner {
	uint16_t ptr; /* 0 = write name (compressed) */
	const uint8_t *name;
	uint8_t len;
};

/* The zone of the name being answered, copied from shm only when needed. */
struct zone_ref {
	int idx;
	bool loaded;
	struct shm_zone_copy *zc;
};

int
dns_answer_ctx_init(struct dns_answer_ctx *ctx, const struct shm_table *table,
		    uint16_t edns_udp_max, struct shm_worker_stats *stats)
{
	ctx->table = table;
	ctx->edns_udp_max = edns_udp_max;
	ctx->stats = stats;
	ctx->forward_ok = ctx->forward = false;
	ctx->entry_buf = malloc(SHM_ENTRY_MAX);
	ctx->entry_buf2 = malloc(SHM_ENTRY_MAX);
	ctx->zone_copy = malloc(sizeof(struct shm_zone_copy));
	ctx->pool_rotation = calloc(POOL_SLOTS, sizeof(uint32_t));
	randombytes_buf(&ctx->rng, sizeof(ctx->rng));
	ctx->rng |= 1; /* xorshift state must not be 0 */
	if (!ctx->entry_buf || !ctx->entry_buf2 || !ctx->zone_copy || !ctx->pool_rotation) {
		dns_answer_ctx_fini(ctx);
		return DD_ENOMEM;
	}
	return 0;
}

void
dns_answer_ctx_fini(struct dns_answer_ctx *ctx)
{
	free(ctx->entry_buf);
	free(ctx->entry_buf2);
	free(ctx->zone_copy);
	free(ctx->pool_rotation);
	ctx->pool_rotation = NULL;
	ctx->entry_buf = ctx->entry_buf2 = NULL;
	ctx->zone_copy = NULL;
}

/* --- name compression (RFC 1035 4.1.4) -------------------------------- */

/*
 * Compares the name at off in the reply (our own output: every pointer in
 * it goes backwards) with the lower-case wire name lname.  Both are known
 * to have the same uncompressed length.
 */
static bool
reply_name_eq(const uint8_t *msg, size_t off, const uint8_t *lname)
{
	size_t i = 0;
	for (unsigned guard = 0; guard < 256; guard++) {
		uint8_t c = msg[off];
		if ((c & 0xc0) == 0xc0) {
			off = (size_t)(c & 0x3f) << 8 | msg[off + 1];
			continue;
		}
		if (c != lname[i])
			return false;
		if (c == 0)
			return true;
		for (uint8_t k = 1; k <= c; k++) {
			uint8_t m = msg[off + k];
			if (m >= 'A' && m <= 'Z')
				m += 32;
			if (m != lname[i + k])
				return false;
		}
		off += 1u + c;
		i += 1u + c;
	}
	return false;
}

static void
comp_add(struct resp *r, size_t off, size_t len)
{
	if (r->ncomp < COMP_MAX && off <= COMP_PTR_MAX) {
		r->comp[r->ncomp].off = (uint16_t)off;
		r->comp[r->ncomp].len = (uint8_t)len;
		r->ncomp++;
	}
}

static int
comp_find(const struct resp *r, const uint8_t *suffix, size_t len)
{
	for (unsigned i = 0; i < r->ncomp; i++)
		if (r->comp[i].len == len && reply_name_eq(r->w.base, r->comp[i].off, suffix))
			return r->comp[i].off;
	return -1;
}

/* Writes lower-case wire name lname, pointing at the longest suffix already written. */
static void
put_name(struct resp *r, const uint8_t *lname, size_t len)
{
	size_t p = 0;
	while (p < len && lname[p] != 0) {
		int at = comp_find(r, lname + p, len - p);
		if (at >= 0) {
			dns_wire_write_bytes(&r->w, lname, p);
			dns_wire_write_u16(&r->w, (uint16_t)(0xc000 | at));
			goto done;
		}
		p += 1u + lname[p];
	}
	dns_wire_write_bytes(&r->w, lname, len);
	p = len;
done:
	if (r->w.err)
		return;
	/* remember the labels written in full */
	size_t start = r->w.pos - p - (p < len ? 2 : 0);
	for (size_t q = 0; q < p && lname[q] != 0; q += 1u + lname[q])
		comp_add(r, start + q, len - q);
}

static void
put_owner(struct resp *r, const struct owner *o)
{
	if (o->ptr)
		dns_wire_write_u16(&r->w, (uint16_t)(0xc000 | o->ptr));
	else
		put_name(r, o->name, o->len);
}

/* Owner, type, class IN, TTL; returns the RDLENGTH offset. */
static size_t
put_rr_head(struct resp *r, const struct owner *o, uint16_t type, uint32_t ttl)
{
	put_owner(r, o);
	dns_wire_write_u16(&r->w, type);
	dns_wire_write_u16(&r->w, DNS_CLASS_IN);
	dns_wire_write_u32(&r->w, ttl);
	size_t at = r->w.pos;
	dns_wire_write_u16(&r->w, 0);
	return at;
}

static void
put_rr_end(struct resp *r, size_t rdlen_at)
{
	if (r->w.err)
		return;
	dns_wire_patch_u16(&r->w, rdlen_at, (uint16_t)(r->w.pos - rdlen_at - 2));
	r->count[r->sec]++;
}

/* --- records from the table and the zone slot -------------------------- */

static bool
type_has_name_rdata(uint16_t type)
{
	/* RFC 3597 4: compression only inside the RFC 1035 types */
	return type == DNS_TYPE_CNAME || type == DNS_TYPE_NS;
}

/*
 * Writes every RR of rs; returns the first RR's rdata (a name for CNAME)
 * and its length through first/first_len when non-NULL.
 */
static void
put_rrset(struct resp *r, const struct owner *o, const struct shm_rrset *rs,
	  const uint8_t **first, size_t *first_len)
{
	const uint8_t *d = shm_rrset_data(rs);
	size_t p = 0, dlen = rs->data_len;

	for (unsigned i = 0; i < rs->count; i++) {
		uint16_t rdlen;
		if (dlen - p < 2)
			return;
		memcpy(&rdlen, d + p, 2);
		p += 2;
		if (dlen - p < rdlen)
			return;
		const uint8_t *rd = d + p;
		p += rdlen;
		if (first && i == 0) {
			*first = rd;
			*first_len = rdlen;
		}
		size_t at = put_rr_head(r, o, rs->type, rs->ttl);
		if (type_has_name_rdata(rs->type) && dns_dname_wire_len(rd, rdlen) == (int)rdlen)
			put_name(r, rd, rdlen);
		else
			dns_wire_write_bytes(&r->w, rd, rdlen);
		put_rr_end(r, at);
	}
}

/*
 * DO=1: the RRSIGs over type that entry e holds (its RRSIG rrset keeps
 * those of all its RRsets, the covered type first in each RDATA), at o
 * with the TTL of the RRset they cover (RFC 4035 2.2).
 */
static void
put_sigs(struct resp *r, const struct owner *o, const struct shm_entry *e, uint16_t type,
	 uint32_t ttl)
{
	const struct shm_rrset *rs;
	const uint8_t *d;
	size_t p = 0;

	if (!r->dnssec || e == NULL || (rs = shm_entry_find(e, DNS_TYPE_RRSIG)) == NULL)
		return;
	d = shm_rrset_data(rs);
	for (unsigned i = 0; i < rs->count; i++) {
		uint16_t rdlen;
		if (rs->data_len - p < 2)
			return;
		memcpy(&rdlen, d + p, 2);
		p += 2;
		if (rs->data_len - p < rdlen)
			return;
		if (rdlen > 2 && dns_wire_get_u16(d + p) == type) {
			/* RFC 4034 3.1.7: the signer's name is never compressed */
			size_t at = put_rr_head(r, o, DNS_TYPE_RRSIG, ttl);
			dns_wire_write_bytes(&r->w, d + p, rdlen);
			put_rr_end(r, at);
		}
		p += rdlen;
	}
}

/* DO=1: the RRSIG over the SOA the zone slot holds with its serial. */
static void
put_soa_sig(struct resp *r, const struct shm_zone_copy *zc, const struct owner *o, uint32_t ttl)
{
	struct owner apex = {0, zc->apex, zc->apex_len};
	size_t at;

	if (!r->dnssec || zc->soa_sig_len == 0)
		return;
	at = put_rr_head(r, o ? o : &apex, DNS_TYPE_RRSIG, ttl);
	dns_wire_write_bytes(&r->w, zc->soa_sig, zc->soa_sig_len);
	put_rr_end(r, at);
}

static void
put_soa(struct resp *r, const struct shm_zone_copy *zc, const struct owner *o, bool negative)
{
	const struct shm_soa *s = &zc->soa;
	/* RFC 2308 3: negative answers carry min(SOA TTL, SOA MINIMUM) */
	uint32_t ttl = negative && s->minimum < s->ttl ? s->minimum : s->ttl;
	struct owner apex = {0, zc->apex, zc->apex_len};
	size_t at = put_rr_head(r, o ? o : &apex, DNS_TYPE_SOA, ttl);

	put_name(r, s->mname, s->mname_len);
	put_name(r, s->rname, s->rname_len);
	dns_wire_write_u32(&r->w, s->serial);
	dns_wire_write_u32(&r->w, s->refresh);
	dns_wire_write_u32(&r->w, s->retry);
	dns_wire_write_u32(&r->w, s->expire);
	dns_wire_write_u32(&r->w, s->minimum);
	put_rr_end(r, at);
	put_soa_sig(r, zc, o, ttl);
}

static int
zone_load(struct dns_answer_ctx *ctx, struct zone_ref *z)
{
	if (z->loaded)
		return 0;
	if (shm_zone_get(ctx->table, (unsigned)z->idx, z->zc) < 0)
		return DD_EAGAIN;
	z->loaded = true;
	return 0;
}

/* Glue for in-zone NS names (RFC 1034 4.3.2 step 3a); dropped if it does not fit. */
static void
put_glue(struct dns_answer_ctx *ctx, struct resp *r, const struct shm_zone_copy *zc)
{
	static const uint16_t types[2] = {DNS_TYPE_A, DNS_TYPE_AAAA};
	size_t pos = r->w.pos;
	unsigned ncomp = r->ncomp;
	uint16_t n = r->count[SEC_AR];

	r->sec = SEC_AR;
	for (unsigned i = 0; i < zc->ns_count && i < SHM_NS_MAX; i++) {
		const uint8_t *ns = zc->ns[i];
		if (shm_zone_find(ctx->table, ns, zc->ns_len[i]) < 0)
			continue;
		if (shm_table_get(ctx->table, ns, zc->ns_len[i], ctx->entry_buf2, SHM_ENTRY_MAX,
				  NULL) <= 0)
			continue;
		const struct shm_entry *e = (const struct shm_entry *)ctx->entry_buf2;
		struct owner o = {0, ns, zc->ns_len[i]};
		for (unsigned t = 0; t < 2; t++) {
			const struct shm_rrset *rs = shm_entry_find(e, types[t]);
			if (rs)
				put_rrset(r, &o, rs, NULL, NULL);
		}
	}
	if (r->w.err) {
		r->w.err = 0;
		r->w.pos = pos;
		r->ncomp = ncomp;
		r->count[SEC_AR] = n;
	}
}

static void
put_ns(struct dns_answer_ctx *ctx, struct resp *r, const struct shm_zone_copy *zc,
       const struct owner *o, const struct shm_entry *apex)
{
	for (unsigned i = 0; i < zc->ns_count && i < SHM_NS_MAX; i++) {
		size_t at = put_rr_head(r, o, DNS_TYPE_NS, zc->ns_ttl);
		put_name(r, zc->ns[i], zc->ns_len[i]);
		put_rr_end(r, at);
	}
	put_sigs(r, o, apex, DNS_TYPE_NS, zc->ns_ttl);
	if (!r->w.err)
		put_glue(ctx, r, zc);
}

/* --- lookup ------------------------------------------------------------- */

/* Offset in name of the suffix with keep labels (name has nlab labels). */
static size_t
suffix_off(const uint8_t *name, unsigned nlab, unsigned keep)
{
	size_t p = 0;
	for (unsigned i = 0; i + keep < nlab; i++)
		p += 1u + name[p];
	return p;
}

/*
 * RFC 4592 3.3.1: name does not exist; find its closest encloser (empty
 * non-terminals exist) and the wildcard "*.<closest encloser>".  Returns
 * the wildcard's entry copied into ctx->entry_buf, NULL if there is none,
 * sets *ce to the closest encloser's offset in name, and sets *err to
 * DD_EAGAIN when the table kept racing.
 */
static const struct shm_entry *
wildcard_find(struct dns_answer_ctx *ctx, const uint8_t *name, size_t len,
	      const struct shm_zone_copy *zc, uint64_t *retries, size_t *ce_out, int *err)
{
	unsigned nlab = dns_dname_count_labels(name);
	size_t ce = len;
	uint8_t wild[DNS_DNAME_MAX];

	for (unsigned keep = nlab - 1; keep >= zc->nlabels && keep < nlab; keep--) {
		size_t off = suffix_off(name, nlab, keep);
		if (keep == zc->nlabels) {
			ce = off; /* the apex always exists */
			break;
		}
		int n = shm_table_get(ctx->table, name + off, len - off, ctx->entry_buf2,
				      SHM_ENTRY_MAX, retries);
		if (n < 0) {
			*err = n;
			return NULL;
		}
		if (n > 0 && !(((const struct shm_entry *)ctx->entry_buf2)->flags & SHM_ENTRY_HIDDEN)) {
			ce = off;
			break;
		}
	}
	*ce_out = ce;
	if (ce >= len || len - ce + 2 > DNS_DNAME_MAX)
		return NULL;
	wild[0] = 1;
	wild[1] = '*';
	memcpy(wild + 2, name + ce, len - ce);
	int n = shm_table_get(ctx->table, wild, len - ce + 2, ctx->entry_buf, SHM_ENTRY_MAX,
			      retries);
	if (n < 0)
		*err = n;
	return n > 0 ? (const struct shm_entry *)ctx->entry_buf : NULL;
}

/* --- authenticated denial (RFC 5155 7.2) -------------------------------- */

/* Item i's fields in an NSEC3 bin's data (shm/table.h SHM_TYPE_NSEC3BIN). */
struct nsec3_item {
	const uint8_t *hash;
	const uint8_t *nsec3;
	uint16_t nsec3_len;
	const uint8_t *sig;
	uint16_t sig_len;
};

/* The items of bin rs, one by one: false at the end or on a malformed item. */
static bool
nsec3_item_next(const struct shm_rrset *rs, size_t *pos, struct nsec3_item *it)
{
	const uint8_t *d = shm_rrset_data(rs);
	uint16_t len, nl;

	if (rs->data_len - *pos < 2)
		return false;
	memcpy(&len, d + *pos, 2);
	if (rs->data_len - *pos - 2 < len || len < NSEC3_HASH_LEN + 2)
		return false;
	memcpy(&nl, d + *pos + 2 + NSEC3_HASH_LEN, 2);
	if (nl > len - NSEC3_HASH_LEN - 2)
		return false;
	it->hash = d + *pos + 2;
	it->nsec3 = it->hash + NSEC3_HASH_LEN + 2;
	it->nsec3_len = nl;
	it->sig = it->nsec3 + nl;
	it->sig_len = (uint16_t)(len - NSEC3_HASH_LEN - 2 - nl);
	*pos += 2u + len;
	return true;
}

/* A denial record of type (rdata) and, unless sig is NULL, its RRSIG, both owned by o. */
static void
put_proof(struct resp *r, const struct owner *o, uint16_t type, uint32_t ttl,
	  const uint8_t *rdata, size_t rdlen, const uint8_t *sig, size_t sig_len)
{
	size_t at = put_rr_head(r, o, type, ttl);

	dns_wire_write_bytes(&r->w, rdata, rdlen);
	put_rr_end(r, at);
	if (sig == NULL)
		return;
	at = put_rr_head(r, o, DNS_TYPE_RRSIG, ttl);
	dns_wire_write_bytes(&r->w, sig, sig_len);
	put_rr_end(r, at);
}

/* True when the reply has the proof record named by id already (else it is noted). */
static bool
proof_seen(struct resp *r, const uint8_t id[NSEC3_HASH_LEN])
{
	for (unsigned i = 0; i < r->nnsec3; i++)
		if (memcmp(r->nsec3_seen[i], id, NSEC3_HASH_LEN) == 0)
			return true;
	if (r->nnsec3 < NSEC3_PROOFS_MAX)
		memcpy(r->nsec3_seen[r->nnsec3++], id, NSEC3_HASH_LEN);
	return false;
}

/*
 * Writes the NSEC3 record that matches or covers hash h (with its RRSIG)
 * into the authority section, unless the reply has it already.  The bins
 * are found from the zone slot's marks: the bin of h, else the marked bin
 * before it (going round: the last record covers the hashes before the
 * first).  No lock: a bin that changed between the mark and the copy is
 * passed over.
 */
static void
put_nsec3(struct dns_answer_ctx *ctx, struct resp *r, const struct zone_ref *z, const uint8_t *h)
{
	const struct shm_zone_copy *zc = z->zc;
	unsigned bin = (unsigned)h[0] << 8 | h[1];
	uint8_t bname[SHM_NAME_MAX], owner[DNS_DNAME_MAX];
	char b32[NSEC3_B32_LEN + 1];
	struct nsec3_item it, best = {0};
	struct owner o;
	uint32_t ttl = 0;
	bool found = false;

	for (unsigned skip = 0; skip < 4 && !found; skip++) {
		int b = shm_zone_nsec3_bin_prev(ctx->table, (unsigned)z->idx, bin, skip);
		size_t bl, pos = 0;
		if (b < 0)
			return;
		if ((bl = shm_nsec3_bin_name(zc->apex, zc->apex_len, (unsigned)b, bname)) == 0 ||
		    shm_table_get(ctx->table, bname, bl, ctx->entry_buf2, SHM_ENTRY_MAX, NULL) <= 0)
			continue;
		const struct shm_entry *e = (const struct shm_entry *)ctx->entry_buf2;
		const struct shm_rrset *rs = shm_entry_find(e, SHM_TYPE_NSEC3BIN);
		if (rs == NULL)
			continue;
		/* the greatest hash <= h in h's own bin; in any other, its last */
		while (nsec3_item_next(rs, &pos, &it)) {
			if (skip == 0 && (unsigned)b == bin && memcmp(it.hash, h, NSEC3_HASH_LEN) > 0)
				break;
			best = it;
			ttl = rs->ttl;
			found = true;
		}
	}
	if (!found)
		return;
	if (proof_seen(r, best.hash))
		return;
	if (zc->apex_len + 1u + NSEC3_B32_LEN > DNS_DNAME_MAX)
		return;
	owner[0] = NSEC3_B32_LEN;
	dnssec_b32hex(best.hash, NSEC3_HASH_LEN, b32);
	memcpy(owner + 1, b32, NSEC3_B32_LEN);
	memcpy(owner + 1 + NSEC3_B32_LEN, zc->apex, zc->apex_len);
	o.ptr = 0;
	o.name = owner;
	o.len = (uint8_t)(1 + NSEC3_B32_LEN + zc->apex_len);
	put_proof(r, &o, DNS_TYPE_NSEC3, ttl, best.nsec3, best.nsec3_len, best.sig, best.sig_len);
}

/*
 * Writes the NSEC record that matches or covers name (with its RRSIG) into
 * the authority section, unless the reply has it already: the skip-list
 * walk of shm/nsec.h, O(log n) lookups and no cryptography.  A walk that
 * raced the writer past repair writes nothing.
 */
static void
put_nsec(struct dns_answer_ctx *ctx, struct resp *r, const struct zone_ref *z,
	 const uint8_t *name, size_t len)
{
	const struct shm_zone_copy *zc = z->zc;
	struct shm_nsec_node n;
	uint8_t id[NSEC3_HASH_LEN] = {0};
	uint64_t h;
	struct owner o;
	uint32_t ttl = zc->soa.minimum < zc->soa.ttl ? zc->soa.minimum : zc->soa.ttl;

	if (shm_nsec_find(ctx->table, zc->apex, zc->apex_len, name, len, ctx->entry_buf2, &n,
			  NULL) != 1)
		return;
	h = shm_table_keyed_hash(ctx->table, 0, n.owner, n.owner_len);
	memcpy(id, &h, sizeof(h));
	if (proof_seen(r, id))
		return;
	o.ptr = 0;
	o.name = n.owner;
	o.len = n.owner_len;
	put_proof(r, &o, DNS_TYPE_NSEC, ttl, n.nsec, n.nsec_len, n.sig, n.sig_len);
}

/* The NSEC3 or NSEC record matching or covering name (lower-case wire) is owed. */
static void
owe_proof(struct resp *r, int zone, const uint8_t *name, size_t len)
{
	if (r->nowed == NSEC3_PROOFS_MAX || len > DNS_DNAME_MAX)
		return;
	r->owed[r->nowed].zone = zone;
	r->owed[r->nowed].len = (uint8_t)len;
	memcpy(r->owed[r->nowed].name, name, len);
	r->nowed++;
}

/* Writes the owed NSEC3 or NSEC records into the authority section (z: a zone_ref to load into). */
static void
put_owed(struct dns_answer_ctx *ctx, struct resp *r, struct zone_ref *z)
{
	r->sec = SEC_NS;
	for (unsigned i = 0; i < r->nowed; i++) {
		if (z->idx != r->owed[i].zone) {
			z->idx = r->owed[i].zone;
			z->loaded = false;
		}
		if (zone_load(ctx, z) < 0)
			continue;
		if (z->zc->nsec) {
			put_nsec(ctx, r, z, r->owed[i].name, r->owed[i].len);
		} else {
			uint8_t h[NSEC3_HASH_LEN];
			dnssec_nsec3_hash(r->owed[i].name, r->owed[i].len, NULL, 0, 0, h);
			put_nsec3(ctx, r, z, h);
		}
	}
	r->nowed = 0;
}

/*
 * Proofs about name, whose closest encloser starts at ce (RFC 5155 7.2), owed
 * for the authority section: with ce_match the NSEC3 matching the closest
 * encloser; with next_closer the one covering the next closer name; with
 * wild the one matching or covering "*.<ce>".  Only for DO=1 and signed
 * zones.  An NSEC zone (RFC 4035 3.1.3) needs fewer: the record matching
 * the name itself (ce_match at ce 0: NODATA) or covering it (next_closer),
 * and the one matching or covering the wildcard.
 */
static void
owe_denial(struct resp *r, const struct zone_ref *z, const uint8_t *name, size_t len, size_t ce,
	   bool ce_match, bool next_closer, bool wild)
{
	uint8_t w[DNS_DNAME_MAX];

	if (!r->dnssec || !z->loaded || z->zc->soa_sig_len == 0 || ce > len)
		return;
	if (z->zc->nsec) {
		if ((ce_match && ce == 0) || next_closer)
			owe_proof(r, z->idx, name, len);
	} else if (ce_match) {
		owe_proof(r, z->idx, name + ce, len - ce);
	}
	if (next_closer && ce > 0 && !z->zc->nsec) {
		/* the name one label longer than the closest encloser */
		size_t nc = 0;
		while (nc + 1u + name[nc] < ce)
			nc += 1u + name[nc];
		owe_proof(r, z->idx, name + nc, len - nc);
	}
	if (wild && len - ce + 2 <= DNS_DNAME_MAX) {
		w[0] = 1;
		w[1] = '*';
		memcpy(w + 2, name + ce, len - ce);
		owe_proof(r, z->idx, w, len - ce + 2);
	}
}

static const struct shm_rrset *
first_public_rrset(const struct shm_entry *e)
{
	for (const struct shm_rrset *rs = shm_entry_first(e); rs; rs = shm_rrset_next(e, rs))
		if (rs->type < SHM_TYPE_PRIVATE && rs->type != DNS_TYPE_RRSIG)
			return rs;
	return NULL;
}

/* --- load-balanced pools (shm/pool.h, dns/pool.c) ----------------------- */

/*
 * DO=1: the pre-signed RRSIG over exactly the members in mask
 * (SHM_TYPE_POOLSIG); wild: the one made for owner "*.NAME", which covers a
 * prefixMatch name "<label>.NAME" as a wildcard expansion.
 */
static void
put_pool_sig(struct resp *r, const struct owner *o, const struct shm_entry *e, uint16_t qtype,
	     uint32_t mask, uint32_t ttl, bool wild)
{
	const struct shm_rrset *rs = shm_entry_find(e, SHM_TYPE_POOLSIG);
	const uint8_t *d;
	size_t p = 0;

	if (rs == NULL)
		return;
	d = shm_rrset_data(rs);
	for (unsigned i = 0; i < rs->count; i++) {
		uint16_t len;
		uint32_t m;
		if (rs->data_len - p < 2)
			return;
		memcpy(&len, d + p, 2);
		if (rs->data_len - p - 2 < len || len < 7)
			return;
		memcpy(&m, d + p + 2, 4);
		if (m == mask && d[p + 6] == (uint8_t)wild && dns_wire_get_u16(d + p + 7) == qtype) {
			size_t at = put_rr_head(r, o, DNS_TYPE_RRSIG, ttl);
			dns_wire_write_bytes(&r->w, d + p + 7, len - 5u);
			put_rr_end(r, at);
			return;
		}
		p += 2u + len;
	}
}

/*
 * Writes the addresses of family qtype (A or AAAA) that the pool's policy
 * picks for this query, the choice first.  Returns how many (0: NODATA).
 */
static unsigned
put_pool(struct dns_answer_ctx *ctx, struct resp *r, const struct owner *o,
	 const struct shm_entry *e, const struct shm_rrset *rs, uint16_t qtype, bool wild)
{
	union {
		struct pool_def d;
		uint8_t b[sizeof(struct pool_def) + POOL_MEMBERS_MAX * sizeof(struct pool_member)];
	} u;
	const uint8_t *data = shm_rrset_data(rs);
	uint8_t pick[POOL_MEMBERS_MAX];
	struct pool_pick_env env;
	struct timespec ts = {0, 0};
	uint16_t rdlen;
	unsigned n;

	if (rs->count != 1 || rs->data_len < 2)
		return 0;
	memcpy(&rdlen, data, 2);
	/* the table copy is only 2-byte aligned here: work on an aligned copy */
	if (rdlen < sizeof(u.d) || rdlen > sizeof(u.b) || rdlen + 2u > rs->data_len)
		return 0;
	memcpy(u.b, data + 2, rdlen);
	if (u.d.nmembers > POOL_MEMBERS_MAX || pool_def_size(u.d.nmembers) > rdlen ||
	    u.d.slot >= POOL_SLOTS)
		return 0;
	if (u.d.policy == POOL_LEAST_LOAD)
		clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
	env = (struct pool_pick_env){
		.state = ctx->pools ? &ctx->pools->s[u.d.slot] : NULL,
		.rotation = &ctx->pool_rotation[u.d.slot],
		.rng = &ctx->rng,
		.client = ctx->client,
		.max_age_ms = ctx->pool_report_max_age_ms,
		.now_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u};
	n = pool_pick(&u.d, pool_def_members(&u.d), qtype == DNS_TYPE_A ? 4 : 6, &env, pick);
	uint32_t mask = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct pool_member *m = &pool_def_members(&u.d)[pick[i]];
		size_t at = put_rr_head(r, o, qtype, u.d.ttl);
		dns_wire_write_bytes(&r->w, m->addr, qtype == DNS_TYPE_A ? 4 : 16);
		put_rr_end(r, at);
		mask |= 1u << pick[i];
	}
	/* the set's signature was made ahead: an RRSIG covers the set, not its order */
	if (n && r->dnssec)
		put_pool_sig(r, o, e, qtype, mask, u.d.ttl, wild);
	return n;
}

/*
 * prefixMatch (the seed's anti-cache names): "<label>.POOL" and
 * "<label>-POOL" answer as POOL when that pool allows it.  Returns the
 * pool's entry copied into ctx->entry_buf, or NULL; *form_out says which
 * form matched.
 */
static const struct shm_entry *
pool_prefix_find(struct dns_answer_ctx *ctx, const uint8_t *name, size_t len,
		 uint64_t *retries, int *form_out)
{
	uint8_t alt[DNS_DNAME_MAX];
	size_t l1 = name[0];
	const uint8_t *dash;

	for (int form = 0; form < 2; form++) {
		const uint8_t *cand = name + 1 + l1;
		size_t clen = len - 1 - l1;
		if (form == 1) {
			/* "<label>-api.zone" -> "api.zone" */
			dash = memchr(name + 1, '-', l1);
			if (dash == NULL || dash == name + l1)
				continue;
			size_t rest = (size_t)(name + 1 + l1 - dash - 1);
			alt[0] = (uint8_t)rest;
			memcpy(alt + 1, dash + 1, rest);
			memcpy(alt + 1 + rest, name + 1 + l1, len - 1 - l1);
			cand = alt;
			clen = 1 + rest + len - 1 - l1;
		}
		if (clen < 2)
			continue;
		int n = shm_table_get(ctx->table, cand, clen, ctx->entry_buf, SHM_ENTRY_MAX,
				      retries);
		if (n <= 0)
			continue;
		const struct shm_entry *e = (const struct shm_entry *)ctx->entry_buf;
		const struct shm_rrset *rs = shm_entry_find(e, SHM_TYPE_POOL);
		if (rs && rs->data_len >= 2 + sizeof(struct pool_def)) {
			struct pool_def d;
			memcpy(&d, shm_rrset_data(rs) + 2, sizeof(d));
			if (d.flags & POOL_F_PREFIX) {
				*form_out = form == 0 ? WALK_PREFIX_DOT : WALK_PREFIX_DASH;
				return e;
			}
		}
	}
	return NULL;
}

/* One step of the walk along a CNAME chain: the name and its owner in the reply. */
struct walk {
	struct zone_ref z;
	struct owner o;
	const uint8_t *name;
	size_t len;
	uint64_t *retries;
	bool wild; /* the name does not exist: a wildcard at its closest encloser answers */
	size_t ce; /* with wild: where the closest encloser starts in name */
	int prefix; /* 0, or a prefixMatch pool answers: WALK_PREFIX_DOT or _DASH */
};

/* qtype NSEC at w->name of a signed NSEC zone: its record (and RRSIG with DO=1) as the answer. */
static bool
put_nsec_answer(struct dns_answer_ctx *ctx, struct resp *r, struct walk *w)
{
	const struct shm_zone_copy *zc;
	struct shm_nsec_node n;
	uint32_t ttl;

	if (zone_load(ctx, &w->z) < 0 || w->wild)
		return false;
	zc = w->z.zc;
	if (!zc->nsec || zc->soa_sig_len == 0 ||
	    shm_nsec_find(ctx->table, zc->apex, zc->apex_len, w->name, w->len, ctx->entry_buf2, &n,
			  NULL) != 1 ||
	    n.owner_len != w->len || memcmp(n.owner, w->name, w->len) != 0)
		return false;
	ttl = zc->soa.minimum < zc->soa.ttl ? zc->soa.minimum : zc->soa.ttl;
	put_proof(r, &w->o, DNS_TYPE_NSEC, ttl, n.nsec, n.nsec_len, r->dnssec ? n.sig : NULL,
		  n.sig_len);
	return true;
}

#define WALK_FOLLOW (-1) /* a CNAME was written; its target comes next */

/*
 * Writes what the entry e (NULL: the apex has no entry) holds for qtype at
 * w->name.  Returns the rcode, or WALK_FOLLOW with *cname set when the name
 * is an alias (RFC 1034 3.6.2).
 */
static int
answer_entry(struct dns_answer_ctx *ctx, struct resp *r, struct walk *w, uint16_t qtype,
	     const struct shm_entry *e, bool apex, const struct shm_rrset **cname)
{
	if (apex && (qtype == DNS_TYPE_SOA || qtype == DNS_TYPE_ANY)) {
		/* RFC 8482 4.2: one RRset is enough for ANY; the SOA at the apex */
		put_soa(r, w->z.zc, &w->o, false);
		return DNS_RCODE_NOERROR;
	}
	if (apex && qtype == DNS_TYPE_NS) {
		put_ns(ctx, r, w->z.zc, &w->o, e);
		return DNS_RCODE_NOERROR;
	}
	const struct shm_rrset *pool = e ? shm_entry_find(e, SHM_TYPE_POOL) : NULL;
	if (pool && (qtype == DNS_TYPE_A || qtype == DNS_TYPE_AAAA || qtype == DNS_TYPE_ANY)) {
		/* RFC 8482: for ANY, the IPv4 answer (or the IPv6 one) is enough */
		bool dot = w->prefix == WALK_PREFIX_DOT;
		if (put_pool(ctx, r, &w->o, e, pool, qtype == DNS_TYPE_ANY ? DNS_TYPE_A : qtype, dot) ||
		    (qtype == DNS_TYPE_ANY && put_pool(ctx, r, &w->o, e, pool, DNS_TYPE_AAAA, dot))) {
			if (w->wild)
				owe_denial(r, &w->z, w->name, w->len, w->ce, false, true, false);
			/* "<label>.POOL" is an expansion of "*.POOL": the name itself does not exist */
			if (dot)
				owe_denial(r, &w->z, w->name, w->len, 1u + w->name[0], false, true,
					   false);
			return DNS_RCODE_NOERROR;
		}
	}
	/* an NSEC zone's own NSEC record of the name lives in its node */
	if (e && qtype == DNS_TYPE_NSEC && put_nsec_answer(ctx, r, w))
		return DNS_RCODE_NOERROR;
	const struct shm_rrset *rs = NULL;
	if (e && qtype == DNS_TYPE_ANY)
		rs = first_public_rrset(e);
	else if (e && qtype < SHM_TYPE_PRIVATE && qtype != DNS_TYPE_RRSIG)
		rs = shm_entry_find(e, qtype);
	if (rs) {
		put_rrset(r, &w->o, rs, NULL, NULL);
		put_sigs(r, &w->o, e, rs->type, rs->ttl);
		/* RFC 5155 7.2.6: a wildcard answer proves the name itself absent */
		if (w->wild)
			owe_denial(r, &w->z, w->name, w->len, w->ce, false, true, false);
		return DNS_RCODE_NOERROR;
	}
	*cname = e && qtype != DNS_TYPE_CNAME ? shm_entry_find(e, DNS_TYPE_CNAME) : NULL;
	if (*cname)
		return WALK_FOLLOW;
	/* NODATA (RFC 2308 2.2): the name exists, the type does not */
	if (zone_load(ctx, &w->z) < 0)
		return DNS_RCODE_SERVFAIL;
	r->sec = SEC_NS;
	put_soa(r, w->z.zc, NULL, true);
	/* RFC 5155 7.2.3 (the name's own NSEC3), 7.2.5 (through a wildcard) */
	if (w->wild)
		owe_denial(r, &w->z, w->name, w->len, w->ce, true, true, true);
	else
		owe_denial(r, &w->z, w->name, w->len, 0, true, false, false);
	return DNS_RCODE_NOERROR;
}

/*
 * Looks up w->name and writes its records; returns the rcode or WALK_FOLLOW
 * (see answer_entry).
 */
static int
answer_name(struct dns_answer_ctx *ctx, struct resp *r, struct walk *w, uint16_t qtype,
	    const struct shm_rrset **cname)
{
	int n = shm_table_get(ctx->table, w->name, w->len, ctx->entry_buf, SHM_ENTRY_MAX,
			      w->retries);
	if (n < 0)
		return DNS_RCODE_SERVFAIL;
	const struct shm_entry *e = n > 0 ? (const struct shm_entry *)ctx->entry_buf : NULL;
	if (e && (e->flags & SHM_ENTRY_HIDDEN))
		e = NULL; /* an NSEC3 bin is no name */
	/* the common positive answer needs nothing from the zone slot */
	bool need_zone = !e || qtype == DNS_TYPE_SOA || qtype == DNS_TYPE_NS ||
			 qtype == DNS_TYPE_ANY;
	if (need_zone && zone_load(ctx, &w->z) < 0)
		return DNS_RCODE_SERVFAIL;
	const struct shm_zone_copy *zc = w->z.zc;
	bool apex = need_zone && w->len == zc->apex_len && memcmp(w->name, zc->apex, w->len) == 0;

	w->wild = false;
	w->prefix = 0;
	if (!e && !apex)
		e = pool_prefix_find(ctx, w->name, w->len, w->retries, &w->prefix);
	if (!e && !apex) {
		int err = 0;
		size_t ce = 0;
		e = wildcard_find(ctx, w->name, w->len, zc, w->retries, &ce, &err);
		if (err)
			return DNS_RCODE_SERVFAIL;
		if (!e) {
			r->sec = SEC_NS;
			put_soa(r, zc, NULL, true);
			/* RFC 5155 7.2.2: closest encloser, next closer, no wildcard */
			owe_denial(r, &w->z, w->name, w->len, ce, true, true, true);
			return DNS_RCODE_NXDOMAIN;
		}
		w->wild = true;
		w->ce = ce;
	}
	return answer_entry(ctx, r, w, qtype, e, apex, cname);
}

static bool
chain_seen(uint8_t (*names)[DNS_DNAME_MAX + 1], unsigned n, const uint8_t *qname, size_t qlen,
	   const uint8_t *t, size_t tlen)
{
	if (tlen == qlen && memcmp(t, qname, tlen) == 0)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (names[i][0] == tlen && memcmp(names[i] + 1, t, tlen) == 0)
			return true;
	return false;
}

/*
 * Fills the answer (and authority) sections for the question; returns the
 * rcode.  CNAMEs are followed while their targets are in our zones, at most
 * CNAME_CHAIN_MAX links and never to a name already on the chain; the final
 * rcode is that of the last name looked up (RFC 6604 3).
 */
static int
resolve_walk(struct dns_answer_ctx *ctx, struct resp *r, const struct dns_pkt *p, struct walk *w)
{
	/* names[i]: length byte, then the i-th CNAME target */
	uint8_t names[CNAME_CHAIN_MAX][DNS_DNAME_MAX + 1];

	for (unsigned link = 0;; link++) {
		const struct shm_rrset *cn = NULL;
		int rcode = answer_name(ctx, r, w, p->qtype, &cn);
		if (rcode != WALK_FOLLOW)
			return rcode;
		const uint8_t *t = NULL;
		size_t tlen = 0;
		put_rrset(r, &w->o, cn, &t, &tlen);
		put_sigs(r, &w->o, (const struct shm_entry *)ctx->entry_buf, DNS_TYPE_CNAME, cn->ttl);
		if (w->wild)
			owe_denial(r, &w->z, w->name, w->len, w->ce, false, true, false);
		if (!t || dns_dname_wire_len(t, tlen) != (int)tlen || link >= CNAME_CHAIN_MAX ||
		    chain_seen(names, link, p->lname, p->qname_len, t, tlen))
			return DNS_RCODE_NOERROR;
		int tz = shm_zone_find(ctx->table, t, tlen);
		if (tz < 0)
			return DNS_RCODE_NOERROR;
		/* t lives in entry_buf, which the next lookup overwrites */
		names[link][0] = (uint8_t)tlen;
		memcpy(names[link] + 1, t, tlen);
		if (tz != w->z.idx) {
			w->z.idx = tz;
			w->z.loaded = false;
		}
		w->name = names[link] + 1;
		w->len = tlen;
		w->o.ptr = 0;
		w->o.name = w->name;
		w->o.len = (uint8_t)tlen;
	}
}

static int
resolve(struct dns_answer_ctx *ctx, struct resp *r, const struct dns_pkt *p, int zidx)
{
	uint64_t retries = 0;
	struct walk w = {{zidx, false, ctx->zone_copy},
			 {DNS_HDR_LEN, NULL, 0},
			 p->lname,
			 p->qname_len,
			 ctx->stats ? &ctx->stats->retries : &retries,
			 false,
			 0,
			 0};
	int rcode = resolve_walk(ctx, r, p, &w);

	r->wild = w.wild;
	if (w.z.loaded) {
		r->apex = w.z.zc->apex;
		r->apex_len = w.z.zc->apex_len;
	}

	/* the denial proofs follow every answer, in the authority section */
	if (r->nowed && rcode != DNS_RCODE_SERVFAIL)
		put_owed(ctx, r, &w.z);
	return rcode;
}

/* --- the reply ---------------------------------------------------------- */


/* Writes the question as sent (letter case kept, RFC 1035 7.1 / 0x20). */
static void
put_question(struct resp *r, const struct dns_pkt *p)
{
	dns_wire_write_bytes(&r->w, p->qname, p->qname_len);
	dns_wire_write_u16(&r->w, p->qtype);
	dns_wire_write_u16(&r->w, p->qclass);
	if (r->w.err)
		return;
	for (unsigned i = 0; i < p->qlabels; i++)
		comp_add(r, DNS_HDR_LEN + p->label_off[i], p->qname_len - p->label_off[i]);
}

static uint16_t
udp_limit(const struct dns_answer_ctx *ctx, const struct dns_pkt *p)
{
	/* RFC 6891 6.2.3 / 6.2.5: below 512 means 512 */
	if (!p->has_edns)
		return DNS_UDP_MIN;
	uint16_t lim = p->edns.udp_size < ctx->edns_udp_max ? p->edns.udp_size : ctx->edns_udp_max;
	return lim < DNS_UDP_MIN ? DNS_UDP_MIN : lim;
}

static void
put_header(uint8_t *out, const struct dns_pkt *p, uint16_t flags, const uint16_t counts[4])
{
	dns_wire_put_u16(out, p->id);
	dns_wire_put_u16(out + 2, flags);
	for (unsigned i = 0; i < 4; i++)
		dns_wire_put_u16(out + 4 + 2 * i, counts[i]);
}

static void
count_stats(struct shm_worker_stats *st, const struct dns_pkt *p, int rcode, bool tc)
{
	if (!st)
		return;
	st->answers[p->has_question ? shm_stats_qtype_slot(p->qtype) : STATS_QTYPE_NONE]
		   [rcode == DNS_RCODE_BADVERS ? STATS_RCODE_BADVERS : (rcode & 0xf)]++;
	if (tc)
		st->truncated++;
}

static bool
for_writer(const struct dns_pkt *p)
{
	unsigned op = DNS_OPCODE(p->flags);

	return op == DNS_OPCODE_UPDATE || op == DNS_OPCODE_NOTIFY || p->tsig_off != 0 ||
	       (op == DNS_OPCODE_QUERY && (p->qtype == DNS_TYPE_AXFR || p->qtype == DNS_TYPE_IXFR));
}

bool
dns_answer_wants_writer(const uint8_t *q, size_t qlen)
{
	struct dns_pkt p;
	return dns_pkt_parse(&p, q, qlen) == 0 && for_writer(&p);
}

/*
 * The query's COOKIE option (RFC 7873): ctx->cookie says what it was, and
 * cookie gets the client cookie with a fresh server cookie (RFC 9018) for
 * the reply.  Returns its length, or 0 when the reply carries none (no
 * option, cookies off).  A client cookie alone, or an invalid server
 * cookie, is answered normally with a new one (RFC 7873 5.2.3, 5.2.4).
 */
static size_t
answer_cookie(struct dns_answer_ctx *ctx, const uint8_t *q, const struct dns_pkt *p,
	      uint8_t cookie[DNS_COOKIE_LEN])
{
	const uint8_t *ip = NULL, *opt = q + p->edns.cookie_off;
	size_t iplen = 0;

	if (p->edns.cookie_len == 0 || ctx->cookies == NULL || !ctx->cookies->on)
		return 0;
	if (ctx->client && ctx->client->sa_family == AF_INET) {
		ip = (const uint8_t *)&((const struct sockaddr_in *)(const void *)ctx->client)->sin_addr;
		iplen = 4;
	} else if (ctx->client && ctx->client->sa_family == AF_INET6) {
		ip = ((const struct sockaddr_in6 *)(const void *)ctx->client)->sin6_addr.s6_addr;
		iplen = 16;
	}
	ctx->cookie = (int)dns_cookie_check(ctx->cookies, opt, p->edns.cookie_len, ctx->now, ip,
					    iplen);
	if (ctx->stats) {
		if (ctx->cookie == DNS_COOKIE_VALID)
			ctx->stats->cookies_valid++;
		else if (ctx->cookie == DNS_COOKIE_INVALID)
			ctx->stats->cookies_invalid++;
		else
			ctx->stats->cookies_new++;
	}
	memcpy(cookie, opt, DNS_COOKIE_CLIENT_LEN);
	dns_cookie_server(ctx->cookies->secret, opt, ctx->now, ip, iplen,
			  cookie + DNS_COOKIE_CLIENT_LEN);
	return DNS_COOKIE_LEN;
}

/*
 * Counts the UDP reply about to go out against its rate-limit key (dns/rrl.h):
 * NXDOMAIN and wildcard answers by zone, answers and NODATA by the name asked,
 * errors by class alone.  Returns the shm_rrl_verdict.
 */
static enum shm_rrl_verdict
answer_rrl(struct dns_answer_ctx *ctx, const struct resp *r, const struct dns_pkt *p, int rcode)
{
	uint8_t key[SHM_RRL_KEY_MAX];
	enum dns_rrl_class cls;
	const uint8_t *name = p->lname;
	size_t nlen = p->has_question ? p->qname_len : 0, kl;

	if (rcode == DNS_RCODE_NXDOMAIN || (rcode == DNS_RCODE_NOERROR && r->wild)) {
		cls = rcode == DNS_RCODE_NXDOMAIN ? DNS_RRL_NXDOMAIN : DNS_RRL_WILDCARD;
		if (r->apex) {
			name = r->apex;
			nlen = r->apex_len;
		}
	} else if (rcode == DNS_RCODE_NOERROR) {
		cls = r->count[SEC_AN] ? DNS_RRL_ANSWER : DNS_RRL_NODATA;
	} else {
		cls = DNS_RRL_ERROR;
		nlen = 0;
	}
	kl = dns_rrl_key(ctx->rrl_cfg, ctx->client, cls, name, nlen, key);
	if (kl == 0)
		return SHM_RRL_PASS;
	return shm_rrl_account(ctx->rrl, key, kl, ctx->now, ctx->rrl_cfg->rate, ctx->rrl_cfg->slip);
}

/* Opcodes this server implements somewhere (the writer takes NOTIFY and UPDATE). */
static bool
opcode_known(unsigned op)
{
	return op == DNS_OPCODE_QUERY || op == DNS_OPCODE_NOTIFY || op == DNS_OPCODE_UPDATE;
}

size_t
dns_answer(struct dns_answer_ctx *ctx, const uint8_t *q, size_t qlen, uint8_t *out, size_t outsz,
	   bool tcp)
{
	struct dns_pkt p;
	struct resp r;
	int rc = dns_pkt_parse(&p, q, qlen);

	ctx->forward = false;
	ctx->cookie = DNS_COOKIE_NONE;
	ctx->rrl_verdict = SHM_RRL_PASS;
	if (rc == 0 && ctx->forward_ok && for_writer(&p)) {
		ctx->forward = true;
		return 0;
	}
	if (rc == DD_EINVAL || outsz < DNS_HDR_LEN) {
		if (ctx->stats)
			ctx->stats->dropped++;
		return 0;
	}
	size_t limit = tcp ? DNS_MSG_MAX : udp_limit(ctx, &p);
	if (limit > outsz)
		limit = outsz;
	/* room for our OPT (and cookie) is kept back so that it always fits after a cut */
	bool edns = rc == 0 && p.has_edns;
	uint8_t cookie[DNS_COOKIE_LEN];
	size_t cookie_len = edns ? answer_cookie(ctx, q, &p, cookie) : 0;
	size_t optlen = DNS_EDNS_OPT_LEN + (cookie_len ? 4 + cookie_len : 0);
	if (!edns || limit < DNS_HDR_LEN + optlen)
		optlen = 0;
	edns = optlen != 0;

	dns_wire_wr_init(&r.w, out, limit - optlen);
	r.ncomp = 0;
	r.dnssec = edns && p.edns.do_bit;
	r.nnsec3 = r.nowed = 0;
	r.apex = NULL;
	r.apex_len = 0;
	r.wild = false;
	r.count[0] = r.count[1] = r.count[2] = 0;
	r.sec = SEC_AN;
	r.w.pos = DNS_HDR_LEN;

	int rcode;
	/* RD is copied (RFC 1035 4.1.1), and so is CD (RFC 4035 3.1.6) */
	uint16_t flags = (uint16_t)(DNS_FLAG_QR | (p.flags & DNS_FLAGS_OPCODE_MASK) |
				    (p.flags & (DNS_FLAG_RD | DNS_FLAG_CD)));
	bool question = p.has_question;
	if (question)
		put_question(&r, &p);
	if (r.w.err) { /* outsz too small even for the question */
		question = false;
		r.w.err = 0;
		r.w.pos = DNS_HDR_LEN;
		flags |= DNS_FLAG_TC;
	}
	size_t qend = r.w.pos;

	/* an opcode we do not implement is NOTIMP whatever follows the header
	 * (RFC 1035 4.1.1); a malformed QUERY, NOTIFY or UPDATE is FORMERR */
	if (!opcode_known(DNS_OPCODE(p.flags)))
		rcode = DNS_RCODE_NOTIMP;
	else if (rc == DD_EFORMERR)
		rcode = DNS_RCODE_FORMERR;
	else if (DNS_OPCODE(p.flags) != DNS_OPCODE_QUERY)
		rcode = DNS_RCODE_NOTIMP;
	else if (p.has_edns && p.edns.version > 0)
		rcode = DNS_RCODE_BADVERS; /* RFC 6891 6.1.3 */
	else if (p.qclass != DNS_CLASS_IN && p.qclass != DNS_CLASS_ANY)
		rcode = DNS_RCODE_REFUSED;
	else if (p.qtype == DNS_TYPE_MAILA || p.qtype == DNS_TYPE_MAILB)
		rcode = DNS_RCODE_NOTIMP;
	else {
		int zidx = shm_zone_find(ctx->table, p.lname, p.qname_len);
		if (zidx < 0 || p.qtype == DNS_TYPE_AXFR || p.qtype == DNS_TYPE_IXFR) {
			rcode = DNS_RCODE_REFUSED;
		} else {
			rcode = resolve(ctx, &r, &p, zidx);
			if (rcode != DNS_RCODE_SERVFAIL)
				flags |= DNS_FLAG_AA;
		}
	}
	if (r.w.err || rcode == DNS_RCODE_SERVFAIL || rcode == DNS_RCODE_BADVERS) {
		/* RFC 2181 9: what does not fit is cut back to the question, with TC */
		if (r.w.err)
			flags |= DNS_FLAG_TC;
		r.w.pos = qend;
		r.count[0] = r.count[1] = r.count[2] = 0;
	}
	if (!tcp && ctx->rrl && ctx->rrl_cfg && ctx->rrl_cfg->rate &&
	    ctx->cookie != DNS_COOKIE_VALID) {
		ctx->rrl_verdict = (int)answer_rrl(ctx, &r, &p, rcode);
		if (ctx->rrl_verdict == SHM_RRL_DROP) {
			if (ctx->stats)
				ctx->stats->rrl_drop++;
			return 0;
		}
		if (ctx->rrl_verdict == SHM_RRL_SLIP) {
			/* RFC 6891-era RRL "slip": the question alone, TC set: a real
			 * client asks again over TCP, which is never limited */
			if (ctx->stats)
				ctx->stats->rrl_slip++;
			flags |= DNS_FLAG_TC;
			r.w.pos = qend;
			r.count[0] = r.count[1] = r.count[2] = 0;
		}
	}
	if (edns) {
		uint8_t ext = (uint8_t)(rcode >> 4);
		r.w.pos += dns_edns_build_cookie(out + r.w.pos, ctx->edns_udp_max, ext,
						 p.edns.do_bit, cookie, cookie_len);
		r.count[SEC_AR]++;
	}
	flags |= DNS_FLAGS_RCODE(rcode);
	uint16_t counts[4] = {question ? 1 : 0, r.count[0], r.count[1], r.count[2]};
	put_header(out, &p, flags, counts);
	count_stats(ctx->stats, &p, rcode, (flags & DNS_FLAG_TC) != 0);
	return r.w.pos;
}
