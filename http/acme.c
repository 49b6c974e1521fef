/*
 * acme.c - the acme-dns API under /acme, so that the acme-dns integrations
 * of ACME clients (certbot hook, lego, Traefik, cert-manager) work with the
 * base URL http://HOST:PORT/acme.
 *
 * POST /acme/register creates an account: a random UUID user name, a
 * 40-character password (only its BLAKE2b-256 hash is stored) and a random
 * UUID subdomain under acme.zone.  POST /acme/update sets that name's TXT
 * RRset to its two most recent values, so that the challenges for a name
 * and for its wildcard can be answered at once.  The TXT records are
 * ordinary records of the zone, written through writer_apply().
 */
#include "http/acme.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "daemon/config.h"
#include "daemon/db_users.h"
#include "daemon/db_views.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/names.h"
#include "dns/rdata.h"
#include "http/http.h"
#include "workers/writer.h"

#define ACME_ALLOWFROM_MAX 64
/*
 * acme-dns serves its TXT records with TTL 1: a client answering the
 * challenges of a name and of its wildcard changes the RRset twice within
 * seconds, and a cache holding the first version would fail the second.
 */
#define ACME_TXT_TTL 1

_Static_assert(ACME_HASH_LEN == DB_ACME_HASH_LEN, "acme_accounts.password_hash");

static const char acme_b64url[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* --- pure helpers -------------------------------------------------------- */

void
acme_uuid_build(char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t i, o = 0;

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	if (len < ACME_UUID_LEN + 1) {
		if (len)
			out[0] = '\0';
		return;
	}
	for (i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 0x0f];
	}
	out[o] = '\0';
}

bool
acme_uuid_is_valid(const char *s)
{
	size_t i;

	for (i = 0; i < ACME_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		             (s[i] >= 'A' && s[i] <= 'F'))) {
			return false;
		}
	}
	return s[ACME_UUID_LEN] == '\0';
}

void
acme_password_build(char *out, size_t len)
{
	size_t i;

	if (len < ACME_PASSWORD_LEN + 1) {
		if (len)
			out[0] = '\0';
		return;
	}
	for (i = 0; i < ACME_PASSWORD_LEN; i++)
		out[i] = acme_b64url[randombytes_uniform(64)];
	out[ACME_PASSWORD_LEN] = '\0';
}

void
acme_password_hash(const char *password, unsigned char out[ACME_HASH_LEN])
{
	crypto_generichash(out, ACME_HASH_LEN, (const unsigned char *)password, strlen(password),
	                   NULL, 0);
}

bool
acme_txt_is_valid(const char *txt)
{
	size_t i;

	for (i = 0; i < ACME_TXT_LEN; i++)
		if (!txt[i] || !strchr(acme_b64url, txt[i]))
			return false;
	return txt[ACME_TXT_LEN] == '\0';
}

/* An address as (family, 16 bytes); IPv4-mapped IPv6 becomes IPv4. */
static int
acme_addr_parse(const char *s, unsigned char a[16], int *family)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) != 1)
		return DD_EINVAL;
	*family = AF_INET6;
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
		*family = AF_INET;
	}
	return 0;
}

/* Parses "ADDR[/PREFIX]" into the network address, family and prefix. */
static int
acme_cidr_parse(const char *s, unsigned char net[16], int *family, unsigned *prefix)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long p;
	char *end;

	if (len == 0 || len >= sizeof(addr))
		return DD_EINVAL;
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, net) == 1) {
		*family = AF_INET;
	} else if (inet_pton(AF_INET6, addr, net) == 1) {
		*family = AF_INET6;
	} else {
		return DD_EINVAL;
	}
	*prefix = *family == AF_INET ? 32 : 128;
	if (!slash) {
		if (*family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)net)) {
			memmove(net, net + 12, 4);
			memset(net + 4, 0, 12);
			*family = AF_INET;
			*prefix = 32;
		}
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return DD_EINVAL;
	p = strtoul(slash + 1, &end, 10);
	if (*end || p > *prefix || end - (slash + 1) > 3)
		return DD_EINVAL;
	*prefix = (unsigned)p;
	/* an IPv4-mapped network (::ffff:a.b.c.d/96+) is that IPv4 network, as
	 * client addresses are compared in IPv4 form */
	if (*family == AF_INET6 && *prefix >= 96 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)net)) {
		memmove(net, net + 12, 4);
		memset(net + 4, 0, 12);
		*family = AF_INET;
		*prefix -= 96;
	}
	return 0;
}

bool
acme_cidr_is_valid(const char *s)
{
	unsigned char net[16];
	unsigned prefix;
	int family;

	return acme_cidr_parse(s, net, &family, &prefix) == 0;
}

bool
acme_cidr_contains(const char *cidr, const char *addr)
{
	unsigned char net[16], a[16];
	unsigned prefix, i;
	int nf, af;

	if (acme_cidr_parse(cidr, net, &nf, &prefix) < 0 || acme_addr_parse(addr, a, &af) < 0)
		return false;
	if (nf != af)
		return false;
	for (i = 0; i < prefix / 8; i++)
		if (net[i] != a[i])
			return false;
	if (prefix % 8) {
		unsigned char mask = (unsigned char)(0xff << (8 - prefix % 8));
		if ((net[i] & mask) != (a[i] & mask))
			return false;
	}
	return true;
}

size_t
acme_txt_next(const char *const *cur, size_t ncur, const char *txt, const char **out)
{
	size_t n = 0, i;

	for (i = ncur; i > 0; i--) {
		if (strcmp(cur[i - 1], txt) != 0) {
			out[n++] = cur[i - 1];
			break;
		}
	}
	out[n++] = txt;
	return n;
}

/* --- accounts ------------------------------------------------------------- */

struct acme_account {
	unsigned char hash[ACME_HASH_LEN];
	char subdomain[ACME_UUID_LEN + 1];
	json_t *allowfrom; /* array of CIDR strings, or NULL: from anywhere */
};

/* Loads username's account: 0, DD_ENOENT, DD_ENOMEM or DD_EDB.  Fini with acme_account_fini. */
static int
acme_account_load(struct db *db, const char *username, struct acme_account *acc)
{
	char *allow = NULL;
	int rc;

	memset(acc, 0, sizeof(*acc));
	rc = db_acme_find(db, username, acc->hash, acc->subdomain, sizeof(acc->subdomain), &allow);
	if (rc == 0 && allow)
		acc->allowfrom = json_loads(allow, 0, NULL);
	free(allow);
	return rc;
}

static void
acme_account_fini(struct acme_account *acc)
{
	json_decref(acc->allowfrom);
	acc->allowfrom = NULL;
	sodium_memzero(acc->hash, sizeof(acc->hash));
}

/* An empty (or absent) allowfrom admits every client (as in acme-dns). */
static bool
acme_account_allows(const struct acme_account *acc, const char *client)
{
	json_t *v;
	size_t i;

	if (!acc->allowfrom || !json_is_array(acc->allowfrom) ||
	    json_array_size(acc->allowfrom) == 0)
		return true;
	json_array_foreach(acc->allowfrom, i, v)
	{
		if (json_is_string(v) && acme_cidr_contains(json_string_value(v), client))
			return true;
	}
	return false;
}

/* --- handlers ------------------------------------------------------------ */

/*
 * The "allowfrom" of a register body: a new reference to a validated array
 * (an empty one when absent).  Replies 400 and returns NULL otherwise.
 */
static json_t *
acme_register_allowfrom(struct http_req *r)
{
	json_error_t err;
	json_t *body, *allow, *v;
	size_t i;

	if (r->body_len == 0)
		return json_array();
	body = json_loadb(r->body, r->body_len, 0, &err);
	if (!json_is_object(body)) {
		json_decref(body);
		http_reply_error(r, 400, "malformed_json_payload");
		return NULL;
	}
	allow = json_object_get(body, "allowfrom");
	if (!allow || json_is_null(allow)) {
		json_decref(body);
		return json_array();
	}
	if (!json_is_array(allow)) {
		json_decref(body);
		http_reply_error(r, 400, "malformed_json_payload");
		return NULL;
	}
	json_array_foreach(allow, i, v)
	{
		if (!json_is_string(v) || json_array_size(allow) > ACME_ALLOWFROM_MAX ||
		    !acme_cidr_is_valid(json_string_value(v))) {
			json_decref(body);
			http_reply_error(r, 400, "invalid_allowfrom_cidr");
			return NULL;
		}
	}
	json_incref(allow);
	json_decref(body);
	return allow;
}

static void
acme_register(struct http_req *r)
{
	char username[ACME_UUID_LEN + 1], subdomain[ACME_UUID_LEN + 1];
	char password[ACME_PASSWORD_LEN + 1], fulldomain[NAME_TEXT_MAX];
	unsigned char hash[ACME_HASH_LEN];
	const char *zone = r->srv->ctx->cfg->acme_zone;
	json_t *allow, *reply;
	char *allow_text;
	int rc;

	if (!zone) {
		http_reply_error(r, 500, "no acme zone configured");
		return;
	}
	allow = acme_register_allowfrom(r);
	if (!allow)
		return;
	acme_uuid_build(username, sizeof(username));
	acme_uuid_build(subdomain, sizeof(subdomain));
	acme_password_build(password, sizeof(password));
	acme_password_hash(password, hash);
	snprintf(fulldomain, sizeof(fulldomain), "%s.%s", subdomain, zone);
	allow_text = json_dumps(allow, JSON_COMPACT);
	rc = allow_text ? db_acme_insert(r->srv->ctx->db, username, hash, subdomain, allow_text)
	                : DD_ENOMEM;
	free(allow_text);
	if (rc < 0) {
		json_decref(allow);
		http_reply_error(r, 503, "database unavailable");
		return;
	}
	log_info("acme: registered %s (%s) from %s", username, fulldomain, r->client);
	reply = json_object();
	json_object_set_new(reply, "username", json_string(username));
	json_object_set_new(reply, "password", json_string(password));
	json_object_set_new(reply, "fulldomain", json_string(fulldomain));
	json_object_set_new(reply, "subdomain", json_string(subdomain));
	json_object_set_new(reply, "allowfrom", allow);
	sodium_memzero(password, sizeof(password));
	http_reply_json(r, 201, reply);
}

struct acme_txt {
	char (*cur)[VALUE_TEXT_MAX];
	size_t n;
};

/* One TXT value in insertion order (db_records_values' callback): the last two stay. */
static int
acme_txt_value(void *arg, const char *value)
{
	struct acme_txt *t = arg;

	if (t->n == 2) {
		memcpy(t->cur[0], t->cur[1], VALUE_TEXT_MAX);
		t->n = 1;
	}
	snprintf(t->cur[t->n++], VALUE_TEXT_MAX, "%s", value);
	return 0;
}

/* Reads the name's TXT values in insertion order; keeps the last two. */
static int
acme_txt_current(struct db *db, const char *name, char cur[2][VALUE_TEXT_MAX], size_t *n)
{
	struct acme_txt t = {cur, 0};
	int rc = db_records_values(db, name, "TXT", acme_txt_value, &t);

	*n = t.n;
	if (rc < 0)
		log_warnx("acme: read TXT of %s: %s", name, dd_strerror(rc));
	return rc < 0 ? DD_EDB : 0;
}

/* Writes txt to the account's name; replies. */
static void
acme_txt_write(struct http_req *r, const char *username, const char *subdomain, const char *txt)
{
	char name[NAME_TEXT_MAX], actor[8 + ACME_UUID_LEN];
	char cur[2][VALUE_TEXT_MAX];
	const char *curp[2] = {cur[0], cur[1]}, *values[ACME_TXT_KEEP];
	struct writer_actor who = {.source = "acme", .actor = actor, .client = r->client};
	struct writer_set set;
	struct writer_result res;
	size_t ncur;
	int rc;

	snprintf(name, sizeof(name), "%s.%s", subdomain, r->srv->ctx->cfg->acme_zone);
	snprintf(actor, sizeof(actor), "acme:%s", username);
	if (acme_txt_current(r->srv->ctx->db, name, cur, &ncur) < 0) {
		http_reply_error(r, 503, "database unavailable");
		return;
	}
	memset(&set, 0, sizeof(set));
	memset(&res, 0, sizeof(res));
	set.name = name;
	set.type = DNS_TYPE_TXT;
	set.values = values;
	set.nvalues = acme_txt_next(curp, ncur, txt, values);
	set.ttl = ACME_TXT_TTL;
	rc = writer_apply(r->srv->ctx->writer, &who, &set, 1, &res);
	writer_result_fini(&res);
	if (rc == DD_EDB || rc == DD_ENOSPC) {
		http_reply_error(r, 503, "database unavailable");
	} else if (rc == DD_EROFS) {
		http_reply_error(r, 403, "%s is in a secondary zone", name);
	} else if (rc < 0) {
		log_warnx("acme: write TXT of %s: %s", name, dd_strerror(rc));
		http_reply_error(r, 500, "%s", dd_strerror(rc));
	} else {
		http_reply_json(r, 200, json_pack("{s:s}", "txt", txt));
	}
}

static void
acme_unauthorized(struct http_req *r)
{
	http_req_auth_failed(r);
	http_reply_error(r, 401, "unauthorized");
}

static void
acme_update(struct http_req *r)
{
	const char *user = http_req_header(r, "X-Api-User");
	const char *key = http_req_header(r, "X-Api-Key");
	const char *sub, *txt;
	unsigned char hash[ACME_HASH_LEN];
	struct acme_account acc;
	json_error_t err;
	json_t *body = NULL;
	int rc;

	memset(&acc, 0, sizeof(acc));
	if (!user || !key || !acme_uuid_is_valid(user)) {
		acme_unauthorized(r);
		return;
	}
	rc = acme_account_load(r->srv->ctx->db, user, &acc);
	if (rc == DD_EDB || rc == DD_ENOMEM) {
		http_reply_error(r, 503, "database unavailable");
		return;
	}
	/* hash even for an unknown user: the reply time does not tell */
	acme_password_hash(key, hash);
	if (rc < 0 || sodium_memcmp(hash, acc.hash, ACME_HASH_LEN) != 0) {
		acme_unauthorized(r);
		goto done;
	}
	body = json_loadb(r->body, r->body_len, 0, &err);
	if (!json_is_object(body)) {
		http_reply_error(r, 400, "malformed_json_payload");
		goto done;
	}
	sub = json_string_value(json_object_get(body, "subdomain"));
	txt = json_string_value(json_object_get(body, "txt"));
	if (!sub || strcasecmp(sub, acc.subdomain) != 0 || !acme_account_allows(&acc, r->client)) {
		acme_unauthorized(r);
		goto done;
	}
	if (!txt || !acme_txt_is_valid(txt)) {
		http_reply_error(r, 400, "bad_txt");
		goto done;
	}
	acme_txt_write(r, user, acc.subdomain, txt);
done:
	json_decref(body);
	acme_account_fini(&acc);
}

/* acme-dns answers its health check with 200 and no body. */
static void
acme_health(struct http_req *r)
{
	http_reply_text(r, 200, "");
}

const struct http_route http_routes_acme[] = {
        {HTTP_POST, "/acme/register", acme_register},
        {HTTP_POST, "/acme/update", acme_update},
        {HTTP_GET, "/acme/health", acme_health},
        {0, NULL, NULL},
};
