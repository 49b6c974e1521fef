/*
 * nsec.c - NSEC chain nodes in the shared table (see nsec.h).
 */
#include "shm/nsec.h"

#include <string.h>

#include "daemon/dd.h"
#include "dns/dnssec.h"

#define NSEC_HASH_TWEAK 0x6e736563ULL /* "nsec": node names differ from bucket hashes */

size_t
shm_nsec_node_name(const struct shm_table *t, const uint8_t *apex, size_t apex_len,
		   const uint8_t *owner, size_t owner_len, uint8_t *out, unsigned *level)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h = shm_table_keyed_hash(t, NSEC_HASH_TWEAK, owner, owner_len);

	if (apex_len + 1 + SHM_NSEC_NODE_LABEL > SHM_NAME_MAX)
		return 0;
	if (level) {
		bool at_apex = owner_len == apex_len && memcmp(owner, apex, apex_len) == 0;
		unsigned l = (unsigned)__builtin_ctzll(h | (1ULL << 63)) / 2;
		*level = at_apex || l > SHM_NSEC_LEVELS ? SHM_NSEC_LEVELS : l;
	}
	out[0] = SHM_NSEC_NODE_LABEL;
	out[1] = 1;
	for (int i = 0; i < 16; i++)
		out[2 + i] = (uint8_t)hex[(h >> (60 - 4 * i)) & 0xf];
	memcpy(out + 1 + SHM_NSEC_NODE_LABEL, apex, apex_len);
	return apex_len + 1 + SHM_NSEC_NODE_LABEL;
}

bool
shm_nsec_node_parse(const struct shm_entry *e, struct shm_nsec_node *out)
{
	const struct shm_rrset *rs = shm_entry_find(e, SHM_TYPE_NSECNODE);
	const uint8_t *d;
	size_t len, pos = 0;
	uint16_t rdlen;

	if (rs == NULL || rs->count != 1 || rs->data_len < 2)
		return false;
	d = shm_rrset_data(rs);
	memcpy(&rdlen, d, 2);
	if (rdlen > rs->data_len - 2)
		return false;
	d += 2;
	len = rdlen;
	if (len < 1 || (size_t)d[0] + 1 > len)
		return false;
	out->owner_len = d[0];
	out->owner = d + 1;
	pos = 1u + d[0];
	if (pos + 2 > len)
		return false;
	memcpy(&out->nsec_len, d + pos, 2);
	out->nsec = d + pos + 2;
	pos += 2u + out->nsec_len;
	if (pos + 2 > len)
		return false;
	memcpy(&out->sig_len, d + pos, 2);
	out->sig = d + pos + 2;
	pos += 2u + out->sig_len;
	if (pos + 1 > len || d[pos] > SHM_NSEC_LEVELS)
		return false;
	out->levels = d[pos++];
	for (unsigned k = 0; k < out->levels; k++) {
		if (pos + 1 > len || pos + 1u + d[pos] > len)
			return false;
		out->next_len[k] = d[pos];
		out->next[k] = d[pos] ? d + pos + 1 : NULL;
		pos += 1u + d[pos];
	}
	return true;
}

size_t
shm_nsec_node_build(const struct shm_nsec_node *n, uint8_t *out, size_t cap)
{
	size_t need = 1u + n->owner_len + 2u + n->nsec_len + 2u + n->sig_len + 1u, pos;

	for (unsigned k = 0; k < n->levels; k++)
		need += 1u + (n->next[k] ? n->next_len[k] : 0u);
	if (need > cap || n->levels > SHM_NSEC_LEVELS)
		return 0;
	out[0] = n->owner_len;
	memcpy(out + 1, n->owner, n->owner_len);
	pos = 1u + n->owner_len;
	memcpy(out + pos, &n->nsec_len, 2);
	if (n->nsec_len)
		memcpy(out + pos + 2, n->nsec, n->nsec_len);
	pos += 2u + n->nsec_len;
	memcpy(out + pos, &n->sig_len, 2);
	if (n->sig_len)
		memcpy(out + pos + 2, n->sig, n->sig_len);
	pos += 2u + n->sig_len;
	out[pos++] = n->levels;
	for (unsigned k = 0; k < n->levels; k++) {
		uint8_t l = n->next[k] ? n->next_len[k] : 0;
		out[pos++] = l;
		if (l)
			memcpy(out + pos, n->next[k], l);
		pos += l;
	}
	return pos;
}

const uint8_t *
shm_nsec_next(const uint8_t *nsec, size_t nsec_len, size_t *len)
{
	size_t pos = 0;

	while (pos < nsec_len && nsec[pos] != 0) {
		if (nsec[pos] > 63)
			return NULL;
		pos += 1u + nsec[pos];
	}
	if (pos >= nsec_len)
		return NULL;
	*len = pos + 1;
	return nsec;
}

/* --- walks ------------------------------------------------------------ */

/* A node's entry copy, 8-byte aligned for the accessors. */
union node_buf {
	uint64_t align;
	uint8_t b[SHM_ENTRY_MAX];
};

/*
 * Copies owner's node into buf and parses it.  1, 0 (no node, or another
 * owner's under the same hash), or a shm_table_get error.
 */
static int
node_get(const struct shm_table *t, const uint8_t *apex, size_t apex_len, const uint8_t *owner,
	 size_t owner_len, void *buf, struct shm_nsec_node *out, uint64_t *retries)
{
	uint8_t nn[SHM_NAME_MAX];
	size_t nl = shm_nsec_node_name(t, apex, apex_len, owner, owner_len, nn, NULL);
	int got;

	if (nl == 0)
		return DD_EINVAL;
	got = shm_table_get(t, nn, nl, buf, SHM_ENTRY_MAX, retries);
	if (got <= 0)
		return got;
	if (!shm_nsec_node_parse((const struct shm_entry *)buf, out) ||
	    out->owner_len != owner_len || memcmp(out->owner, owner, owner_len) != 0)
		return 0;
	return 1;
}

/*
 * The walk both sides share: from the apex node, along each level from the
 * top, to the last node before name (strict) or at or before it.  preds
 * (may be NULL) gets the owner of the node the walk stood on when it left
 * each level; level0: walk the NSEC chain itself last.  The final node is
 * in buf and *cur.  Returns 1, 0 (no apex node) or negative.
 */
static int
walk(const struct shm_table *t, const uint8_t *apex, size_t apex_len, const uint8_t *name,
     size_t len, bool strict, bool level0, void *buf, struct shm_nsec_node *cur,
     uint8_t (*preds)[SHM_NAME_MAX], uint8_t *pred_len, uint64_t *retries)
{
	uint8_t at[SHM_NAME_MAX];
	size_t at_len;
	unsigned steps = 0;
	int got = node_get(t, apex, apex_len, apex, apex_len, buf, cur, retries);

	if (got <= 0)
		return got;
	for (int k = SHM_NSEC_LEVELS; k >= (level0 ? 0 : 1); k--) {
		for (;;) {
			const uint8_t *nx;
			size_t nl = 0;
			if (k > 0) {
				if (k > cur->levels || cur->next[k - 1] == NULL)
					break;
				nx = cur->next[k - 1];
				nl = cur->next_len[k - 1];
			} else if ((nx = shm_nsec_next(cur->nsec, cur->nsec_len, &nl)) == NULL ||
				   (nl == apex_len && memcmp(nx, apex, nl) == 0)) {
				break; /* the last record: its next is the apex */
			}
			int c = dnssec_canon_cmp(nx, nl, name, len);
			if (c > 0 || (strict && c == 0))
				break;
			/* every step moves forward: a racing writer cannot make it loop */
			if (dnssec_canon_cmp(nx, nl, cur->owner, cur->owner_len) <= 0 ||
			    ++steps > SHM_NSEC_STEPS_MAX)
				return DD_EAGAIN;
			memcpy(at, nx, nl);
			at_len = nl;
			got = node_get(t, apex, apex_len, at, at_len, buf, cur, retries);
			if (got <= 0)
				return got < 0 ? got : DD_EAGAIN;
		}
		if (preds && k > 0) {
			memcpy(preds[k - 1], cur->owner, cur->owner_len);
			pred_len[k - 1] = cur->owner_len;
		}
	}
	return 1;
}

int
shm_nsec_find(const struct shm_table *t, const uint8_t *apex, size_t apex_len,
	      const uint8_t *name, size_t len, void *buf, struct shm_nsec_node *out,
	      uint64_t *retries)
{
	return walk(t, apex, apex_len, name, len, false, true, buf, out, NULL, NULL, retries);
}

bool
shm_nsec_has(const struct shm_table *t, const uint8_t *apex, size_t apex_len,
	     const uint8_t *owner, size_t owner_len)
{
	union node_buf b;
	struct shm_nsec_node n;

	return node_get(t, apex, apex_len, owner, owner_len, b.b, &n, NULL) == 1;
}

/* A node of owner with this record and RRSIG and no links yet; its level into *level. */
static int
node_init(const struct shm_table *t, const uint8_t *apex, size_t apex_len, const uint8_t *owner,
	  size_t owner_len, const uint8_t *nsec, size_t nsec_len, const uint8_t *sig,
	  size_t sig_len, struct shm_nsec_node *n, unsigned *level)
{
	uint8_t nn[SHM_NAME_MAX];

	if (shm_nsec_node_name(t, apex, apex_len, owner, owner_len, nn, level) == 0 ||
	    owner_len > SHM_NAME_MAX || nsec_len > UINT16_MAX || sig_len > UINT16_MAX)
		return DD_EINVAL;
	memset(n, 0, sizeof(*n));
	n->owner = owner;
	n->owner_len = (uint8_t)owner_len;
	n->nsec = nsec;
	n->nsec_len = (uint16_t)nsec_len;
	n->sig = sig;
	n->sig_len = (uint16_t)sig_len;
	n->levels = (uint8_t)*level;
	return 0;
}

/* Puts node n of owner (under its hidden name). */
static int
node_put(struct shm_table *t, unsigned zone, const uint8_t *apex, size_t apex_len,
	 const struct shm_nsec_node *n)
{
	uint8_t nn[SHM_NAME_MAX], item[2 + SHM_ENTRY_MAX];
	size_t nl = shm_nsec_node_name(t, apex, apex_len, n->owner, n->owner_len, nn, NULL);
	size_t il = shm_nsec_node_build(n, item + 2, SHM_ENTRY_MAX - 256);
	struct shm_rrset_in rr;
	uint16_t l = (uint16_t)il;

	if (nl == 0)
		return DD_EINVAL;
	if (il == 0)
		return DD_ETOOBIG;
	memcpy(item, &l, 2);
	rr = (struct shm_rrset_in){SHM_TYPE_NSECNODE, 1, 0, item, 2 + il};
	return shm_table_put(t, zone, nn, nl, &rr, 1);
}

/*
 * Sets the links at the levels where preds names the same node, to target
 * (NULL: the link of `from` at that level, i.e. past a node being removed).
 */
static int
relink(struct shm_table *t, unsigned zone, const uint8_t *apex, size_t apex_len,
       uint8_t (*preds)[SHM_NAME_MAX], const uint8_t *pred_len, unsigned levels,
       const uint8_t *target, size_t target_len, const struct shm_nsec_node *from)
{
	union node_buf b;
	struct shm_nsec_node p;
	uint8_t owner[SHM_NAME_MAX], keep[SHM_NSEC_LEVELS][SHM_NAME_MAX];
	int rc;

	for (unsigned k = 0; k < levels;) {
		size_t ol = pred_len[k];
		unsigned end = k;
		memcpy(owner, preds[k], ol);
		while (end < levels && pred_len[end] == ol && memcmp(preds[end], owner, ol) == 0)
			end++;
		if ((rc = node_get(t, apex, apex_len, owner, ol, b.b, &p, NULL)) < 0)
			return rc;
		if (rc == 1) {
			/* the pointers go into the buffer the put rewrites: keep copies */
			for (unsigned j = 0; j < p.levels; j++)
				if (p.next[j]) {
					memcpy(keep[j], p.next[j], p.next_len[j]);
					p.next[j] = keep[j];
				}
			for (unsigned j = k; j < end && j < p.levels; j++) {
				if (target) {
					p.next[j] = target;
					p.next_len[j] = (uint8_t)target_len;
				} else if (p.next[j] && from->owner_len == p.next_len[j] &&
					   memcmp(p.next[j], from->owner, from->owner_len) == 0) {
					p.next[j] = from->next[j];
					p.next_len[j] = from->next_len[j];
				}
			}
			if ((rc = node_put(t, zone, apex, apex_len, &p)) < 0)
				return rc;
		}
		k = end;
	}
	return 0;
}

int
shm_nsec_put(struct shm_table *t, unsigned zone, const uint8_t *apex, size_t apex_len,
	     const uint8_t *owner, size_t owner_len, const uint8_t *nsec, size_t nsec_len,
	     const uint8_t *sig, size_t sig_len)
{
	union node_buf b;
	struct shm_nsec_node n, old;
	uint8_t preds[SHM_NSEC_LEVELS][SHM_NAME_MAX], pred_len[SHM_NSEC_LEVELS];
	uint8_t keep[SHM_NSEC_LEVELS][SHM_NAME_MAX];
	unsigned level;
	int rc;

	if ((rc = node_init(t, apex, apex_len, owner, owner_len, nsec, nsec_len, sig, sig_len, &n,
			    &level)) < 0)
		return rc;
	if ((rc = node_get(t, apex, apex_len, owner, owner_len, b.b, &old, NULL)) < 0)
		return rc;
	if (rc == 1) {
		/* an existing node: the same links, the new record */
		for (unsigned j = 0; j < old.levels && j < n.levels; j++)
			if (old.next[j]) {
				memcpy(keep[j], old.next[j], old.next_len[j]);
				n.next[j] = keep[j];
				n.next_len[j] = old.next_len[j];
			}
		return node_put(t, zone, apex, apex_len, &n);
	}
	/* a new node: after the last node before it at each of its levels */
	rc = walk(t, apex, apex_len, owner, owner_len, true, false, b.b, &old, preds, pred_len,
		  NULL);
	if (rc < 0)
		return rc;
	if (rc == 0 || (owner_len == apex_len && memcmp(owner, apex, apex_len) == 0))
		return node_put(t, zone, apex, apex_len, &n); /* the head, or no head yet */
	for (unsigned j = 0; j < n.levels; j++) {
		struct shm_nsec_node p;
		if ((rc = node_get(t, apex, apex_len, preds[j], pred_len[j], b.b, &p, NULL)) < 0)
			return rc;
		if (rc == 1 && j < p.levels && p.next[j]) {
			memcpy(keep[j], p.next[j], p.next_len[j]);
			n.next[j] = keep[j];
			n.next_len[j] = p.next_len[j];
		}
	}
	if ((rc = node_put(t, zone, apex, apex_len, &n)) < 0)
		return rc;
	return relink(t, zone, apex, apex_len, preds, pred_len, n.levels, owner, owner_len, NULL);
}

int
shm_nsec_del(struct shm_table *t, unsigned zone, const uint8_t *apex, size_t apex_len,
	     const uint8_t *owner, size_t owner_len)
{
	union node_buf b, w;
	struct shm_nsec_node n, cur;
	uint8_t preds[SHM_NSEC_LEVELS][SHM_NAME_MAX], pred_len[SHM_NSEC_LEVELS];
	uint8_t nn[SHM_NAME_MAX];
	size_t nl = shm_nsec_node_name(t, apex, apex_len, owner, owner_len, nn, NULL);
	int rc;

	if (nl == 0)
		return DD_EINVAL;
	if ((rc = node_get(t, apex, apex_len, owner, owner_len, b.b, &n, NULL)) <= 0)
		return rc;
	rc = walk(t, apex, apex_len, owner, owner_len, true, false, w.b, &cur, preds, pred_len,
		  NULL);
	if (rc < 0)
		return rc;
	if (rc == 1 && (rc = relink(t, zone, apex, apex_len, preds, pred_len, n.levels, NULL, 0,
				    &n)) < 0)
		return rc;
	rc = shm_table_del(t, nn, nl);
	return rc == DD_ENOENT ? 0 : rc;
}

void
shm_nsec_build_init(struct shm_nsec_builder *b)
{
	memset(b->next_len, 0, sizeof(b->next_len));
}

int
shm_nsec_build_add(struct shm_nsec_builder *b, struct shm_table *t, unsigned zone,
		   const uint8_t *apex, size_t apex_len, const uint8_t *owner, size_t owner_len,
		   const uint8_t *nsec, size_t nsec_len, const uint8_t *sig, size_t sig_len)
{
	struct shm_nsec_node n;
	unsigned level;
	int rc;

	if ((rc = node_init(t, apex, apex_len, owner, owner_len, nsec, nsec_len, sig, sig_len, &n,
			    &level)) < 0)
		return rc;
	for (unsigned j = 0; j < level; j++)
		if (b->next_len[j]) {
			n.next[j] = b->next[j];
			n.next_len[j] = b->next_len[j];
		}
	if ((rc = node_put(t, zone, apex, apex_len, &n)) < 0)
		return rc;
	for (unsigned j = 0; j < level; j++) {
		memcpy(b->next[j], owner, owner_len);
		b->next_len[j] = (uint8_t)owner_len;
	}
	return 0;
}
