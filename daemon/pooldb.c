/* pooldb.c - SQLite pool rows -> struct pool_def blobs (see pooldb.h). */
#include "daemon/pooldb.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/log.h"

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

int
pooldb_load(struct db *db, const char *only_name, struct pooldb_def **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct pooldb_def *defs = NULL, *cur = NULL;
	size_t cnt = 0, cap = 0;
	int step;

	*out = NULL;
	*n = 0;
	/* two statements: "?1 IS NULL OR p.name = ?1" would scan every pool for
	 * the one name the writer republishes after each change */
	if (db_prep(db_sqlite(db),
		    only_name ? "SELECT p.name, p.slot, p.policy, p.answers, p.ttl, p.all_down, "
				"p.prefix_match, m.ip, m.weight FROM pools p JOIN pool_members m "
				"ON m.pool_id = p.id WHERE p.name = ?1 ORDER BY m.pos"
			      : "SELECT p.name, p.slot, p.policy, p.answers, p.ttl, p.all_down, "
				"p.prefix_match, m.ip, m.weight FROM pools p JOIN pool_members m "
				"ON m.pool_id = p.id ORDER BY p.name, m.pos",
		    &st) != SQLITE_OK) {
		log_warnx("%s: %s", db_path(db), sqlite3_errmsg(db_sqlite(db)));
		return DD_EDB;
	}
	if (only_name)
		sqlite3_bind_text(st, 1, only_name, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (name == NULL)
			continue;
		if (cur == NULL || strcmp(cur->name, name) != 0) {
			struct pool_def *pd;
			if (cnt == cap) {
				struct pooldb_def *g = realloc(defs, (cap = cap ? cap * 2 : 8) *
									     sizeof(*defs));
				if (g == NULL)
					break;
				defs = g;
			}
			cur = &defs[cnt++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->name, sizeof(cur->name), "%s", name);
			pd = (struct pool_def *)(void *)cur->data;
			pd->slot = (uint32_t)sqlite3_column_int64(st, 1);
			pd->policy = (uint8_t)pooldb_policy_parse(
				(const char *)sqlite3_column_text(st, 2));
			pd->answers = (uint8_t)sqlite3_column_int(st, 3);
			pd->ttl = (uint32_t)sqlite3_column_int64(st, 4);
			{
				const char *ad = (const char *)sqlite3_column_text(st, 5);
				if (ad && strcmp(ad, "closed") == 0)
					pd->flags |= POOL_F_CLOSED;
			}
			if (sqlite3_column_int(st, 6))
				pd->flags |= POOL_F_PREFIX;
			cur->len = pool_def_size(0);
		}
		pooldb_add_member(cur, (const char *)sqlite3_column_text(st, 7),
				  sqlite3_column_int64(st, 8));
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		free(defs);
		return DD_EDB;
	}
	*out = defs;
	*n = cnt;
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
