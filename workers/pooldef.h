/* pooldef.h - a pool definition as JSON, shared by HTTP and ddnsctl. */
#ifndef DD_WORKERS_POOLDEF_H
#define DD_WORKERS_POOLDEF_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "daemon/names.h"
#include "shm/pool.h"
#include "workers/writer.h"

struct cfg;

struct pooldef {
	struct writer_pool p; /* p.name is the caller's to set */
	char ipbuf[POOL_MEMBERS_MAX][VALUE_TEXT_MAX];
	const char *ips[POOL_MEMBERS_MAX];
	unsigned weights[POOL_MEMBERS_MAX];
	char *check;          /* malloc'd compact JSON of "check", or NULL: free it */
};

/*
 * Reads a pool body ({"policy", "members", "answers", "ttl", "allDown",
 * "prefixMatch", "check"}, INTERFACE.md) into b with defaults filled in.
 * Returns 0, or -1 with a one-line reason in err (a 400).
 */
int pooldef_parse(json_t *j, struct pooldef *b, char *err, size_t errsz);

/*
 * May a health check of a user's (not an admin's) pool reach ip?  Only a
 * globally reachable unicast address (clientip_internal) or one inside
 * pools.allowed_members: the server must not probe its own neighbourhood
 * (loopback, private networks, the cloud metadata address) for a user.
 */
bool pooldef_member_allowed(const struct cfg *cfg, const char *ip);

struct wctx;

/* The stored pool at name with each member's live state (new reference), or NULL. */
json_t *pooldef_json(const struct wctx *ctx, const char *name);

#endif
