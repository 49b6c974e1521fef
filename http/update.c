/*
 * update.c - POST /update: set one name's RRset of one type (INTERFACE.md).
 *
 * Body {"subdomain", "ip" | "value", "type", "ttl", "owner"}; ip/value may
 * be an array (the RRset becomes exactly those values).  Reply
 * {"message", "domain", "ip", "previousIp", "updated"}.
 *
 * Dual stack: {"subdomain", "ipv4", "ipv6", "ttl", "owner"} with one or
 * both families sets the A and the AAAA RRset in one commit.  Reply
 * {"message", "domain", "ipv4", "ipv6", "previousIpv4", "previousIpv6",
 * "updated"} (the families given).
 */
#include <stdio.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/db_users.h"
#include "daemon/dd.h"
#include "daemon/names.h"
#include "dns/rdata.h"
#include "http/http.h"
#include "shm/table.h"
#include "workers/writer.h"

#define TTL_MAX 604800

struct upd_values {
	char buf[WRITER_VALUES_MAX][VALUE_TEXT_MAX];
	const char *v[WRITER_VALUES_MAX];
	size_t n;
	bool array;
};

/* Reads ip/value (string or array of strings) into canonical values. */
static int
upd_values(struct http_req *r, json_t *in, uint16_t *type, struct upd_values *out)
{
	size_t n;

	out->n = 0;
	out->array = json_is_array(in);
	n = out->array ? json_array_size(in) : 1;
	if ((!out->array && !json_is_string(in)) || n == 0 || n > WRITER_VALUES_MAX) {
		http_reply_error(r, 400, "ip/value must be a string or a non-empty array of at most "
					 "%d strings", WRITER_VALUES_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *item = out->array ? json_array_get(in, i) : in;
		if (!json_is_string(item)) {
			http_reply_error(r, 400, "ip/value must be strings");
			return -1;
		}
		if (*type == 0) {
			/* type defaults to A, or AAAA for an IPv6 address */
			*type = names_ip_family(json_string_value(item)) == 6 ? DNS_TYPE_AAAA : DNS_TYPE_A;
		}
		if (names_value(*type, json_string_value(item), out->buf[i], VALUE_TEXT_MAX) < 0) {
			http_reply_error(r, 400, "invalid %s value '%.100s'", dns_stored_type_str(*type),
					 json_string_value(item));
			return -1;
		}
		out->v[i] = out->buf[i];
		out->n++;
	}
	return 0;
}

static json_t *
upd_json_values(const char *const *v, size_t n, bool array)
{
	json_t *a;

	if (n == 0)
		return json_null();
	if (!array)
		return json_string(v[0]);
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* Optional fields: type, ttl, owner.  Replies 400/403 itself. */
static int
upd_options(struct http_req *r, uint16_t *type, int64_t *ttl, int64_t *owner)
{
	json_t *jt = json_object_get(r->json, "type");
	json_t *jl = json_object_get(r->json, "ttl");
	json_t *jo = json_object_get(r->json, "owner");

	if (jt && !json_is_null(jt)) {
		if (!json_is_string(jt) || (*type = dns_stored_type_parse(json_string_value(jt))) == 0) {
			http_reply_error(r, 400, "type must be one of A, AAAA, TXT, CNAME");
			return -1;
		}
	}
	if (jl && !json_is_null(jl)) {
		if (!json_is_integer(jl) || json_integer_value(jl) < 1 ||
		    json_integer_value(jl) > TTL_MAX) {
			http_reply_error(r, 400, "ttl must be an integer from 1 to %d", TTL_MAX);
			return -1;
		}
		*ttl = json_integer_value(jl);
	}
	if (jo && !json_is_null(jo)) {
		if (!r->who.admin) {
			http_reply_error(r, 403, "only an admin may reassign a name");
			return -1;
		}
		if (!json_is_string(jo) ||
		    (*owner = db_user_find(r->srv->ctx->db, json_string_value(jo), NULL)) <= 0) {
			http_reply_error(r, 400, "owner must name an existing user");
			return -1;
		}
	}
	return 0;
}

/* Maps a writer error to its status. */
static void
upd_write_error(struct http_req *r, int rc, const char *name)
{
	switch (rc) {
	case DD_EEXIST:
		http_reply_error(r, 400, "%s: a CNAME cannot coexist with other records (RFC 1034 "
					 "3.6.2), nor can a pool", name);
		break;
	case DD_EINVAL:
		http_reply_error(r, 400, "%s: invalid record (a CNAME takes exactly one value)",
				 name);
		break;
	case DD_ETOOBIG:
		http_reply_error(r, 413, "%s: its records would exceed the %d bytes one name may "
					 "hold, so DNS could not serve them; nothing was changed",
				 name, SHM_ENTRY_MAX);
		break;
	case DD_ENOSPC:
		http_reply_error(r, 503, "%s: committed, but the shared table is full "
					 "(raise table.capacity)", name);
		break;
	case DD_EROFS:
		http_reply_error(r, 403, "%s: in a secondary zone; change it on its primary", name);
		break;
	default:
		http_reply_error(r, 503, "database write failed");
		break;
	}
}

/*
 * {"ipv4", "ipv6"}: both RRsets in one commit.  The fields were checked
 * present; ip, value and a type other than A or AAAA are refused.
 */
static void
update_dual(struct http_req *r, const char *name, uint16_t type, int64_t ttl, int64_t owner)
{
	static const char *const fields[2] = {"ipv4", "ipv6"};
	static const uint16_t types[2] = {DNS_TYPE_A, DNS_TYPE_AAAA};
	static struct upd_values vals[2];
	struct writer_result res[2];
	struct writer_set sets[2];
	struct writer_actor who;
	size_t n = 0, at[2] = {0, 0};
	bool changed = false;
	json_t *reply;
	int rc;

	if (json_object_get(r->json, "ip") || json_object_get(r->json, "value") ||
	    (type != 0 && type != DNS_TYPE_A && type != DNS_TYPE_AAAA)) {
		http_reply_error(r, 400, "ipv4 and ipv6 set the A and AAAA records: not with ip, "
					 "value or a type other than A or AAAA");
		return;
	}
	for (size_t f = 0; f < 2; f++) {
		json_t *in = json_object_get(r->json, fields[f]);
		uint16_t t = types[f];
		if (in == NULL || json_is_null(in))
			continue;
		if (upd_values(r, in, &t, &vals[f]) < 0)
			return;
		at[f] = n + 1;
		sets[n++] = (struct writer_set){.name = name, .type = t, .values = vals[f].v,
						.nvalues = vals[f].n, .ttl = ttl, .new_owner = owner};
	}
	if (http_may_write(r, name) < 0)
		return;
	memset(res, 0, sizeof(res));
	who = (struct writer_actor){.source = "http", .actor = r->who.actor, .client = r->client,
				    .owner_id = r->who.admin ? 0 : r->who.user_id};
	rc = writer_apply(r->srv->ctx->writer, &who, sets, n, res);
	if (rc < 0) {
		upd_write_error(r, rc, name);
		return;
	}
	reply = json_pack("{s:s}", "domain", name);
	for (size_t f = 0; f < 2; f++) {
		struct writer_result *w;
		if (at[f] == 0)
			continue;
		w = &res[at[f] - 1];
		changed = changed || w->changed;
		json_object_set_new(reply, fields[f],
				    upd_json_values(vals[f].v, vals[f].n, vals[f].array));
		json_object_set_new(reply, f == 0 ? "previousIpv4" : "previousIpv6",
				    upd_json_values((const char *const *)w->old, w->nold,
						    vals[f].array || w->nold > 1));
	}
	json_object_set_new(reply, "message",
			    json_string(changed ? "records updated" : "records unchanged"));
	json_object_set_new(reply, "updated", json_boolean(changed));
	for (size_t i = 0; i < n; i++)
		writer_result_fini(&res[i]);
	http_reply_json(r, 200, reply);
}

static void
update_post(struct http_req *r)
{
	struct http_server *srv = r->srv;
	char name[NAME_TEXT_MAX];
	struct upd_values vals;
	struct writer_result res;
	struct writer_actor who;
	struct writer_set set;
	json_t *sub, *in, *ip, *reply;
	uint16_t type = 0;
	int64_t ttl = -1, owner = 0;
	bool by_value;
	int rc;

	if (http_req_auth(r) < 0 || http_req_json(r) < 0)
		return;
	sub = json_object_get(r->json, "subdomain");
	if (!json_is_string(sub)) {
		http_reply_error(r, 400, "subdomain (string) is required");
		return;
	}
	rc = names_resolve(srv->ctx->cfg, json_string_value(sub), name, sizeof(name));
	if (rc < 0) {
		http_reply_error(r, 400, rc == DD_ENOENT ? "'%.200s' is in none of our zones"
							  : "'%.200s' is not a valid name",
				 json_string_value(sub));
		return;
	}
	if (upd_options(r, &type, &ttl, &owner) < 0)
		return;
	if ((json_object_get(r->json, "ipv4") && !json_is_null(json_object_get(r->json, "ipv4"))) ||
	    (json_object_get(r->json, "ipv6") && !json_is_null(json_object_get(r->json, "ipv6")))) {
		update_dual(r, name, type, ttl, owner);
		return;
	}
	/* TXT and CNAME take "value" (or "ip"); A and AAAA "ip", else the caller's address */
	by_value = type == DNS_TYPE_TXT || type == DNS_TYPE_CNAME;
	ip = json_object_get(r->json, "ip");
	in = by_value ? json_object_get(r->json, "value") : ip;
	if (in == NULL && by_value)
		in = ip;
	if (in == NULL || json_is_null(in)) {
		if (by_value) {
			http_reply_error(r, 400, "%s records need a value", dns_stored_type_str(type));
			return;
		}
		/* the caller's own address */
		ip = json_string(r->client);
		rc = upd_values(r, ip, &type, &vals);
		json_decref(ip);
	} else {
		rc = upd_values(r, in, &type, &vals);
	}
	if (rc < 0)
		return;
	if (http_may_write(r, name) < 0)
		return;
	set = (struct writer_set){.name = name, .type = type, .values = vals.v,
				  .nvalues = vals.n, .ttl = ttl, .new_owner = owner};
	who = (struct writer_actor){.source = "http", .actor = r->who.actor, .client = r->client,
				    .owner_id = r->who.admin ? 0 : r->who.user_id};
	rc = writer_apply(srv->ctx->writer, &who, &set, 1, &res);
	if (rc < 0) {
		upd_write_error(r, rc, name);
		return;
	}
	reply = json_pack("{s:s, s:s, s:o, s:o, s:b}", "message",
			  res.changed ? "record updated" : "record unchanged", "domain", name, "ip",
			  upd_json_values(vals.v, vals.n, vals.array), "previousIp",
			  upd_json_values((const char *const *)res.old, res.nold, vals.array || res.nold > 1), "updated",
			  res.changed);
	json_object_set_new(reply, "type", json_string(dns_stored_type_str(type)));
	writer_result_fini(&res);
	http_reply_json(r, 200, reply);
}

const struct http_route http_routes_update[] = {
	{HTTP_POST, "/update", update_post},
	{0, NULL, NULL},
};
