/*
 * pooldef.c - a pool definition as JSON (INTERFACE.md /pools): read into a
 * struct writer_pool and shown with its members' live state (see pooldef.h).
 */
#include "workers/pooldef.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/clientip.h"
#include "daemon/config.h"
#include "daemon/db_pools.h"
#include "daemon/pooldb.h"
#include "shm/pool.h"
#include "workers/wctx.h"

#define POOL_TTL_MAX 604800

/* Validates the optional "check" object; returns compact JSON or NULL. */
static char *
pooldef_check(json_t *c, bool *bad, char *err, size_t errsz)
{
	json_t *type = json_object_get(c, "type"), *port = json_object_get(c, "port");
	json_t *path = json_object_get(c, "path"), *expect = json_object_get(c, "expect");
	json_t *interval = json_object_get(c, "interval"), *timeout = json_object_get(c, "timeout");
	json_t *rise = json_object_get(c, "rise"), *fall = json_object_get(c, "fall"), *out;
	double iv = interval ? json_number_value(interval) : 5, to;
	char *s;

	*bad = true;
	if (!json_is_object(c) || !json_is_string(type) ||
	    (strcmp(json_string_value(type), "tcp") != 0 &&
	     strcmp(json_string_value(type), "http") != 0)) {
		snprintf(err, errsz, "check.type must be \"tcp\" or \"http\"");
		return NULL;
	}
	if (!json_is_integer(port) || json_integer_value(port) < 1 ||
	    json_integer_value(port) > 65535) {
		snprintf(err, errsz, "check.port must be an integer from 1 to 65535");
		return NULL;
	}
	if ((path && (!json_is_string(path) || json_string_value(path)[0] != '/' ||
		      strpbrk(json_string_value(path), " \r\n") != NULL)) ||
	    (expect && (!json_is_integer(expect) || json_integer_value(expect) < 100 ||
			json_integer_value(expect) > 599))) {
		snprintf(err, errsz, "check.path must start with / and check.expect be an "
					 "HTTP status");
		return NULL;
	}
	if ((interval && !json_is_number(interval)) || iv < 0.2 || iv > 3600) {
		snprintf(err, errsz, "check.interval must be 0.2 to 3600 seconds");
		return NULL;
	}
	to = timeout ? json_number_value(timeout) : (iv < 2 ? iv : 2);
	if ((timeout && !json_is_number(timeout)) || to <= 0 || to > iv) {
		snprintf(err, errsz, "check.timeout must be above 0 and at most the interval");
		return NULL;
	}
	if ((rise && (!json_is_integer(rise) || json_integer_value(rise) < 1 ||
		      json_integer_value(rise) > 100)) ||
	    (fall && (!json_is_integer(fall) || json_integer_value(fall) < 1 ||
		      json_integer_value(fall) > 100))) {
		snprintf(err, errsz, "check.rise and check.fall must be 1 to 100");
		return NULL;
	}
	out = json_pack("{s:s, s:I, s:s, s:I, s:f, s:f, s:I, s:I}", "type",
			json_string_value(type), "port", json_integer_value(port), "path",
			path ? json_string_value(path) : "/", "expect",
			expect ? json_integer_value(expect) : (json_int_t)200, "interval", iv,
			"timeout", to, "rise", rise ? json_integer_value(rise) : (json_int_t)2,
			"fall", fall ? json_integer_value(fall) : (json_int_t)3);
	s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(out);
	*bad = false;
	return s;
}

static int
pooldef_members(json_t *members, struct pooldef *b, char *err, size_t errsz)
{
	size_t i;
	json_t *m;

	if (!json_is_array(members) || json_array_size(members) < 1 ||
	    json_array_size(members) > POOL_MEMBERS_MAX) {
		snprintf(err, errsz, "members must be an array of 1 to %d objects",
				 POOL_MEMBERS_MAX);
		return -1;
	}
	json_array_foreach(members, i, m) {
		json_t *ip = json_object_get(m, "ip"), *wt = json_object_get(m, "weight");
		const char *s = json_string_value(ip);
		int fam = names_ip_family(s);
		if (!json_is_object(m) || fam == 0 ||
		    names_value(fam == 4 ? 1 : 28, s, b->ipbuf[i], VALUE_TEXT_MAX) < 0) {
			snprintf(err, errsz, "members[%zu].ip must be an IPv4 or IPv6 address", i);
			return -1;
		}
		if (wt && (!json_is_integer(wt) || json_integer_value(wt) < 1 ||
			   json_integer_value(wt) > 65535)) {
			snprintf(err, errsz, "members[%zu].weight must be an integer from 1 to "
						 "65535", i);
			return -1;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(b->ipbuf[k], b->ipbuf[i]) == 0) {
				snprintf(err, errsz, "members[%zu].ip is listed twice", i);
				return -1;
			}
		b->ips[i] = b->ipbuf[i];
		b->weights[i] = wt ? (unsigned)json_integer_value(wt) : 1;
	}
	b->p.ips = b->ips;
	b->p.weights = b->weights;
	b->p.n = json_array_size(members);
	return 0;
}

/* Reads and validates a pool body (PUT /pools, ddnsctl pool set) into b;
 * b->check is malloc'd.  Returns 0, or -1 with the reason in err. */
int
pooldef_parse(json_t *j, struct pooldef *b, char *err, size_t errsz)
{
	json_t *pol = json_object_get(j, "policy"), *ans = json_object_get(j, "answers");
	json_t *ttl = json_object_get(j, "ttl"), *ad = json_object_get(j, "allDown");
	json_t *pm = json_object_get(j, "prefixMatch"), *chk = json_object_get(j, "check");
	bool bad = false;

	b->p.policy = pooldb_policy_parse(json_string_value(pol));
	if (b->p.policy < 0) {
		snprintf(err, errsz, "policy must be one of round-robin, random, weighted, "
					 "least-load, failover, hashed");
		return -1;
	}
	if (pooldef_members(json_object_get(j, "members"), b, err, errsz) < 0)
		return -1;
	if ((ans && (!json_is_integer(ans) || json_integer_value(ans) < 1 ||
		     json_integer_value(ans) > POOL_MEMBERS_MAX)) ||
	    (ttl && (!json_is_integer(ttl) || json_integer_value(ttl) < 1 ||
		     json_integer_value(ttl) > POOL_TTL_MAX))) {
		snprintf(err, errsz, "answers must be 1 to %d and ttl 1 to %d",
				 POOL_MEMBERS_MAX, POOL_TTL_MAX);
		return -1;
	}
	if ((ad && (!json_is_string(ad) || (strcmp(json_string_value(ad), "open") != 0 &&
					    strcmp(json_string_value(ad), "closed") != 0))) ||
	    (pm && !json_is_boolean(pm))) {
		snprintf(err, errsz, "allDown must be \"open\" or \"closed\" and prefixMatch "
					 "true or false");
		return -1;
	}
	b->p.answers = ans ? (unsigned)json_integer_value(ans) : 1;
	b->p.ttl = ttl ? (uint32_t)json_integer_value(ttl) : 30;
	b->p.closed = ad && strcmp(json_string_value(ad), "closed") == 0;
	b->p.prefix = json_is_true(pm);
	if (chk && !json_is_null(chk)) {
		b->check = pooldef_check(chk, &bad, err, errsz);
		if (bad)
			return -1;
	}
	b->p.check_json = b->check;
	return 0;
}

struct pooldef_show {
	const struct wctx *ctx;
	const char *name;
	uint64_t now;   /* monotonic ms */
	json_t *o, *members;
};

/* One member row of the pool (db_pool_get's callback); the first makes the object. */
static int
pooldef_member(void *arg, const struct db_pool_row *r)
{
	struct pooldef_show *sh = arg;
	const struct wctx *ctx = sh->ctx;
	const struct pool_member_state *ms = NULL;
	json_t *m;

	if (sh->o == NULL) {
		sh->members = json_array();
		sh->o = json_pack("{s:s, s:s, s:i, s:i, s:s, s:b, s:o, s:o}", "name", sh->name,
				  "policy", r->policy, "answers", (int)r->answers, "ttl",
				  (int)r->ttl, "allDown", r->all_down, "prefixMatch", r->prefix_match,
				  "check",
				  r->check_json ? json_loads(r->check_json, 0, NULL) : json_null(),
				  "members", sh->members);
	}
	if (ctx->pools && r->slot >= 0 && r->slot < POOL_SLOTS && r->pos < POOL_MEMBERS_MAX)
		ms = &ctx->pools->s[r->slot].m[r->pos];
	m = json_pack("{s:s, s:i, s:b}", "ip", r->ip, "weight", (int)r->weight, "up",
		      ms ? ms->up != 0 : 1);
	json_object_set_new(m, "load",
			    ms && ms->reported_ms &&
					    sh->now - ms->reported_ms <=
						    ctx->cfg->pools.report_max_age * 1000u
				    ? json_integer(ms->load)
				    : json_null());
	json_array_append_new(sh->members, m);
	return 0;
}

/* The pool as stored, with each member's live state; NULL if absent. */
json_t *
pooldef_json(const struct wctx *ctx, const char *name)
{
	struct pooldef_show sh = {.ctx = ctx, .name = name};
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sh.now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	db_pool_get(ctx->db, name, pooldef_member, &sh);
	return sh.o;
}

bool
pooldef_member_allowed(const struct cfg *cfg, const char *ip)
{
	return !clientip_internal(ip) ||
	       clientip_in_list(ip, cfg->pools.allowed_members, cfg->pools.nallowed_members);
}
