/* pooldb.c - stored pool rows (daemon/db_pools.h) -> struct pool_def blobs (see pooldb.h). */
#include "daemon/pooldb.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/db_pools.h"
#include "daemon/dd.h"

static const char *const pooldb_policies[] = {"round-robin", "random",   "weighted",
					      "least-load",  "failover", "hashed"};

int
pooldb_policy_parse(const char *s)
{
	for (int i = 0; s && i < (int)(sizeof(pooldb_policies) / sizeof(pooldb_policies[0])); i++)
		if (strcmp(s, pooldb_policies[i]) == 0)
			return i;
	return -1;
}

const char *
pooldb_policy_name(int policy)
{
	return policy >= 0 && policy < (int)(sizeof(pooldb_policies) / sizeof(pooldb_policies[0]))
		       ? pooldb_policies[policy]
		       : "?";
}

/* Adds one member row to def d. */
static void
pooldb_add_member(struct pooldb_def *d, const char *ip, int64_t weight)
{
	struct pool_def *pd = (struct pool_def *)(void *)d->data;
	struct pool_member *m;

	if (pd->nmembers >= POOL_MEMBERS_MAX || ip == NULL)
		return;
	m = (struct pool_member *)(void *)(d->data + pool_def_size(pd->nmembers));
	memset(m, 0, sizeof(*m));
	if (inet_pton(AF_INET, ip, m->addr) == 1)
		m->family = 4;
	else if (inet_pton(AF_INET6, ip, m->addr) == 1)
		m->family = 6;
	else
		return;
	m->weight = (uint16_t)(weight < 1 ? 1 : weight > 65535 ? 65535 : weight);
	pd->nmembers++;
	d->len = pool_def_size(pd->nmembers);
}

struct pooldb_load {
	struct pooldb_def *defs, *cur;
	size_t cnt, cap;
};

/* A new definition for row r's pool at the end of l->defs. */
static int
pooldb_def_start(struct pooldb_load *l, const struct db_pool_row *r)
{
	struct pool_def *pd;

	if (l->cnt == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct pooldb_def *g = realloc(l->defs, cap * sizeof(*g));
		if (g == NULL)
			return DD_ENOMEM;
		l->defs = g;
		l->cap = cap;
	}
	l->cur = &l->defs[l->cnt++];
	memset(l->cur, 0, sizeof(*l->cur));
	snprintf(l->cur->name, sizeof(l->cur->name), "%s", r->name);
	pd = (struct pool_def *)(void *)l->cur->data;
	pd->slot = (uint32_t)r->slot;
	pd->policy = (uint8_t)pooldb_policy_parse(r->policy);
	pd->answers = (uint8_t)r->answers;
	pd->ttl = (uint32_t)r->ttl;
	if (r->all_down && strcmp(r->all_down, "closed") == 0)
		pd->flags |= POOL_F_CLOSED;
	if (r->prefix_match)
		pd->flags |= POOL_F_PREFIX;
	l->cur->len = pool_def_size(0);
	return 0;
}

/* One member row (db_pools_foreach's callback): a pool's rows come together. */
static int
pooldb_row(void *arg, const struct db_pool_row *r)
{
	struct pooldb_load *l = arg;

	if (r->name == NULL)
		return 0;
	if ((l->cur == NULL || strcmp(l->cur->name, r->name) != 0) &&
	    pooldb_def_start(l, r) < 0)
		return DD_ENOMEM;
	pooldb_add_member(l->cur, r->ip, r->weight);
	return 0;
}

int
pooldb_load(struct db *db, const char *only_name, struct pooldb_def **out, size_t *n)
{
	struct pooldb_load l = {0};

	*out = NULL;
	*n = 0;
	if (db_pools_foreach(db, only_name, pooldb_row, &l) != 0) {
		free(l.defs);
		return DD_EDB;
	}
	*out = l.defs;
	*n = l.cnt;
	return 0;
}

struct pooldb_def *
pooldb_find(struct pooldb_def *defs, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	/* sorted by SQLite's BINARY collation: byte order, like strcmp */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(defs[mid].name, name);
		if (c == 0)
			return &defs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
