/*
 * dyndns2.c - GET/POST /nic/update: the dyndns2 protocol that ddclient,
 * inadyn and home routers speak.
 *
 * Replies are text/plain, one line per host in request order: "good IP"
 * (the write changed something), "nochg IP", "nohost", "notfqdn", "abuse"
 * or "911"; a request-wide problem is a single line ("numhost", "notfqdn");
 * missing or wrong credentials are HTTP 401 "badauth".  The password of the
 * HTTP Basic credentials is a ddnsd token; the user name is ignored because
 * routers always send one.
 */
#include "http/dyndns2.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "daemon/auth.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/names.h"
#include "daemon/util.h"
#include "dns/rdata.h"
#include "http/http.h"
#include "http/ratelimit.h"
#include "workers/writer.h"

#define DYNDNS2_WAYS      8
#define DYNDNS2_SETS      (DYNDNS2_ABUSE_SLOTS / DYNDNS2_WAYS)

/* --- hostname lists, myip, reply lines -------------------------------- */

static int
dyndns2_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
dyndns2_hosts_parse(const char *list, struct dyndns2_hosts *out)
{
	const char *p = list, *end;
	size_t len;

	out->n = 0;
	if (!list)
		return DD_EINVAL;
	while (*p) {
		while (dyndns2_is_blank(*p) || *p == ',')
			p++;
		if (!*p)
			break;
		end = p;
		while (*end && *end != ',')
			end++;
		len = (size_t)(end - p);
		while (len > 0 && dyndns2_is_blank(p[len - 1]))
			len--;
		if (out->n == DYNDNS2_HOSTS_MAX)
			return DD_ERANGE;
		if (len < DYNDNS2_HOST_MAX) {
			memcpy(out->host[out->n], p, len);
			out->host[out->n][len] = '\0';
		} else {
			out->host[out->n][0] = '\0';
		}
		out->n++;
		p = end;
	}
	return out->n > 0 ? 0 : DD_EINVAL;
}

int
dyndns2_ips_add(struct dyndns2_ips *ips, const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, addr, &a4) == 1) {
		if (ips->v4[0])
			return DD_EINVAL;
		inet_ntop(AF_INET, &a4, ips->v4, sizeof(ips->v4));
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &a6) != 1)
		return DD_EINVAL;
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		/* "::ffff:192.0.2.1" from a dual-stack socket is an IPv4 caller */
		if (ips->v4[0])
			return DD_EINVAL;
		inet_ntop(AF_INET, &a6.s6_addr[12], ips->v4, sizeof(ips->v4));
		return 0;
	}
	if (ips->v6[0])
		return DD_EINVAL;
	inet_ntop(AF_INET6, &a6, ips->v6, sizeof(ips->v6));
	return 0;
}

int
dyndns2_myip_parse(const char *s, struct dyndns2_ips *out)
{
	char one[INET6_ADDRSTRLEN + 1];
	const char *p = s, *end;
	size_t len, n = 0;

	memset(out, 0, sizeof(*out));
	while (*p) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		while (p < end && dyndns2_is_blank(*p))
			p++;
		len = (size_t)(end - p);
		while (len > 0 && dyndns2_is_blank(p[len - 1]))
			len--;
		if (len == 0 || len >= sizeof(one) || ++n > 2)
			goto bad;
		memcpy(one, p, len);
		one[len] = '\0';
		if (dyndns2_ips_add(out, one) < 0)
			goto bad;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			goto bad; /* trailing comma */
	}
	if (n > 0)
		return 0;
bad:
	memset(out, 0, sizeof(*out));
	return DD_EINVAL;
}

int
dyndns2_line_format(char *buf, size_t len, size_t *off, const char *code,
                    const struct dyndns2_ips *ips)
{
	const char *v4 = ips ? ips->v4 : "", *v6 = ips ? ips->v6 : "";
	int n;

	if (*off >= len)
		return DD_ETOOBIG;
	n = snprintf(buf + *off, len - *off, "%s%s%s%s%s\n", code, *v4 || *v6 ? " " : "", v4,
	             *v4 && *v6 ? "," : "", v6);
	if (n < 0 || (size_t)n >= len - *off) {
		buf[*off] = '\0';
		return DD_ETOOBIG;
	}
	*off += (size_t)n;
	return 0;
}

/* --- abuse tracker ------------------------------------------------------ */

struct dyndns2_slot {
	uint64_t key;   /* 0 = free */
	int64_t start;  /* first unchanged update of the window */
	int64_t last;   /* last use, for eviction */
	uint32_t count; /* unchanged updates in the window */
};

struct dyndns2_abuse {
	struct dyndns2_slot slot[DYNDNS2_ABUSE_SLOTS];
};

struct dyndns2_abuse *
dyndns2_abuse_create(void)
{
	return calloc(1, sizeof(struct dyndns2_abuse));
}

void
dyndns2_abuse_destroy(struct dyndns2_abuse *a)
{
	free(a);
}

/* FNV-1a over the principal and the host, never 0 (0 marks a free slot). */
static uint64_t
dyndns2_key(int64_t principal, const char *host)
{
	uint64_t h = 0xcbf29ce484222325ULL, p = (uint64_t)principal;
	size_t i;

	for (i = 0; i < 8; i++, p >>= 8) {
		h ^= p & 0xff;
		h *= 0x100000001b3ULL;
	}
	for (; *host; host++) {
		h ^= (unsigned char)*host;
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1;
}

static bool
dyndns2_slot_live(const struct dyndns2_slot *s, int64_t now)
{
	return s->key != 0 && now - s->start < DYNDNS2_ABUSE_WINDOW;
}

static struct dyndns2_slot *
dyndns2_slot_find(struct dyndns2_abuse *a, uint64_t key, int64_t now)
{
	struct dyndns2_slot *set = &a->slot[(key % DYNDNS2_SETS) * DYNDNS2_WAYS];
	size_t i;

	for (i = 0; i < DYNDNS2_WAYS; i++)
		if (set[i].key == key && dyndns2_slot_live(&set[i], now))
			return &set[i];
	return NULL;
}

/* A free or expired slot of key's set, else its least recently used one. */
static struct dyndns2_slot *
dyndns2_slot_take(struct dyndns2_abuse *a, uint64_t key, int64_t now)
{
	struct dyndns2_slot *set = &a->slot[(key % DYNDNS2_SETS) * DYNDNS2_WAYS], *old = set;
	size_t i;

	for (i = 0; i < DYNDNS2_WAYS; i++) {
		if (!dyndns2_slot_live(&set[i], now))
			return &set[i];
		if (set[i].last < old->last)
			old = &set[i];
	}
	return old;
}

bool
dyndns2_abuse_is_blocked(struct dyndns2_abuse *a, int64_t principal, const char *host, int64_t now)
{
	struct dyndns2_slot *s = dyndns2_slot_find(a, dyndns2_key(principal, host), now);

	return s && s->count >= DYNDNS2_ABUSE_LIMIT;
}

void
dyndns2_abuse_note(struct dyndns2_abuse *a, int64_t principal, const char *host, bool changed,
                   int64_t now)
{
	uint64_t key = dyndns2_key(principal, host);
	struct dyndns2_slot *s = dyndns2_slot_find(a, key, now);

	if (changed) {
		if (s)
			memset(s, 0, sizeof(*s));
		return;
	}
	if (!s) {
		s = dyndns2_slot_take(a, key, now);
		s->key = key;
		s->start = now;
		s->count = 0;
	}
	s->count++;
	s->last = now;
}

/* --- the resource -------------------------------------------------------- */

/*
 * The per-token rate limit that http_req_auth() applies to the JSON API,
 * answered in text: 429 with Retry-After (RFC 6585 4).
 */
static int
dyndns2_token_limit(struct http_req *r)
{
	uint32_t wait = ratelimit_take(r->srv->rl_token, r->who.actor, 1, util_now_ms());
	char buf[16];

	if (wait == 0)
		return 0;
	snprintf(buf, sizeof(buf), "%u", wait);
	http_reply_header(r, "Retry-After", buf);
	http_reply_text(r, 429, "abuse\n");
	return -1;
}

/*
 * Checks the HTTP Basic credentials (RFC 7617): the password is the token.
 * Returns 0 with r->who filled, or -1 after replying (401, 429 or 911).
 */
static int
dyndns2_auth(struct http_req *r)
{
	const char *h = http_req_header(r, "Authorization"), *pw;
	unsigned char dec[512];
	size_t declen = 0;
	int rc = DD_ENOENT;

	if (!h || strncasecmp(h, "Basic", 5) != 0 || !dyndns2_is_blank(h[5]))
		goto bad;
	h += 6;
	while (dyndns2_is_blank(*h))
		h++;
	if (sodium_base642bin(dec, sizeof(dec) - 1, h, strlen(h), " \t", &declen, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 &&
	    sodium_base642bin(dec, sizeof(dec) - 1, h, strlen(h), " \t", &declen, NULL,
	                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
		goto bad;
	dec[declen] = '\0';
	if (memchr(dec, '\0', declen))
		goto bad;
	pw = strchr((const char *)dec, ':');
	pw = pw ? pw + 1 : (const char *)dec;
	if (*pw)
		rc = auth_check(r->srv->ctx->db, r->srv->ctx->cfg, pw, &r->who);
	sodium_memzero(dec, sizeof(dec));
	if (rc == 0)
		return dyndns2_token_limit(r);
	if (rc == DD_EDB) {
		http_reply_text(r, 200, "911\n");
		return -1;
	}
bad:
	sodium_memzero(dec, sizeof(dec));
	http_req_auth_failed(r);
	http_reply_header(r, "WWW-Authenticate", "Basic realm=\"ddnsd\"");
	http_reply_text(r, 401, "badauth\n");
	return -1;
}

/* A parameter from the query string, else from a form-encoded POST body. */
static const char *
dyndns2_param(struct http_req *r, struct evkeyvalq *form, const char *name)
{
	const char *v = http_req_query(r, name);

	return v ? v : evhttp_find_header(form, name);
}

/*
 * The addresses to set: myip (one address, or "V4,V6"), then myipv4 and
 * myipv6 for a family myip did not give (deSEC's, ddclient's and routers'
 * spellings).  A malformed value is ignored and the caller's address used
 * instead, as the dyndns2 protocol specifies; clients that put a
 * placeholder there still update to where they connect from.
 */
static int
dyndns2_request_ips(struct http_req *r, const char *myip, const char *myipv4,
                    const char *myipv6, struct dyndns2_ips *ips)
{
	memset(ips, 0, sizeof(*ips));
	if (myip && *myip && dyndns2_myip_parse(myip, ips) < 0)
		log_debug("dyndns2: ignoring malformed myip from %s", r->client);
	if (myipv4 && *myipv4 && !ips->v4[0] && names_ip_family(myipv4) == 4)
		dyndns2_ips_add(ips, myipv4);
	if (myipv6 && *myipv6 && !ips->v6[0] && names_ip_family(myipv6) == 6)
		dyndns2_ips_add(ips, myipv6);
	if (ips->v4[0] || ips->v6[0])
		return 0;
	return dyndns2_ips_add(ips, r->client);
}

/* Writes the A and/or AAAA RRset of name in one transaction. */
static int
dyndns2_write(struct http_req *r, const char *name, const struct dyndns2_ips *ips, bool *changed)
{
	const char *v4[1] = {ips->v4}, *v6[1] = {ips->v6};
	struct writer_actor who = {.source = "dyndns2",
	                           .actor = r->who.actor,
	                           .client = r->client,
	                           .owner_id = r->who.admin ? 0 : r->who.user_id};
	struct writer_set sets[2];
	struct writer_result res[2];
	size_t n = 0, i;
	int rc;

	memset(sets, 0, sizeof(sets));
	memset(res, 0, sizeof(res));
	if (ips->v4[0])
		sets[n++] = (struct writer_set){.name = name,
		                                .type = DNS_TYPE_A,
		                                .values = v4,
		                                .nvalues = 1,
		                                .ttl = -1};
	if (ips->v6[0])
		sets[n++] = (struct writer_set){.name = name,
		                                .type = DNS_TYPE_AAAA,
		                                .values = v6,
		                                .nvalues = 1,
		                                .ttl = -1};
	rc = writer_apply(r->srv->ctx->writer, &who, sets, n, res);
	*changed = false;
	for (i = 0; i < n; i++) {
		if (rc == 0 && res[i].changed)
			*changed = true;
		writer_result_fini(&res[i]);
	}
	return rc;
}

/* The reply code for one host; writes when the principal may. */
static const char *
dyndns2_host_update(struct http_req *r, struct dyndns2_abuse *abuse, const char *host,
                    const struct dyndns2_ips *ips, int64_t now)
{
	char name[NAME_TEXT_MAX];
	char why[2 * NAME_TEXT_MAX + 64];
	int64_t principal = r->who.token_id;
	bool changed;
	int rc;

	/* a full name only: "home" or "home." must not be read as relative */
	if (!*host || names_canonical(host, name, sizeof(name)) < 0 || !strchr(name, '.'))
		return "notfqdn";
	if (writer_zone_of(r->srv->ctx->writer, name) < 0)
		return "nohost";
	rc = http_write_check(r, name, why, sizeof(why));
	if (rc < 0)
		return "911";
	if (rc == 0)
		return "nohost"; /* dyndns2 has no words for why */
	if (abuse && dyndns2_abuse_is_blocked(abuse, principal, name, now))
		return "abuse";
	rc = dyndns2_write(r, name, ips, &changed);
	if (rc == DD_EDB || rc == DD_ENOSPC)
		return "911";
	if (rc < 0)
		return "nohost"; /* e.g. a CNAME owns the name (RFC 1034 3.6.2) */
	if (abuse)
		dyndns2_abuse_note(abuse, principal, name, changed, now);
	return changed ? "good" : "nochg";
}

static void
dyndns2_reply_lines(struct http_req *r, const struct dyndns2_hosts *hosts,
                    const struct dyndns2_ips *ips)
{
	char out[DYNDNS2_HOSTS_MAX * (8 + INET_ADDRSTRLEN + INET6_ADDRSTRLEN)];
	struct dyndns2_abuse *abuse;
	int64_t now = (int64_t)(util_now_ms() / 1000);
	size_t off = 0, i;
	const char *code;

	if (!r->srv->dyndns_state)
		r->srv->dyndns_state = dyndns2_abuse_create();
	abuse = r->srv->dyndns_state;
	out[0] = '\0';
	for (i = 0; i < hosts->n; i++) {
		code = dyndns2_host_update(r, abuse, hosts->host[i], ips, now);
		if (strcmp(code, "good") == 0 || strcmp(code, "nochg") == 0)
			dyndns2_line_format(out, sizeof(out), &off, code, ips);
		else
			dyndns2_line_format(out, sizeof(out), &off, code, NULL);
	}
	http_reply_text(r, 200, out);
}

static void
dyndns2_update(struct http_req *r)
{
	struct dyndns2_hosts hosts;
	struct dyndns2_ips ips;
	struct evkeyvalq form;
	int rc;

	TAILQ_INIT(&form);
	if (dyndns2_auth(r) < 0)
		return;
	if (r->method == HTTP_POST && r->body_len > 0 && evhttp_parse_query_str(r->body, &form) < 0)
		evhttp_clear_headers(&form);
	rc = dyndns2_hosts_parse(dyndns2_param(r, &form, "hostname"), &hosts);
	if (rc == DD_ERANGE)
		http_reply_text(r, 200, "numhost\n");
	else if (rc < 0)
		http_reply_text(r, 200, "notfqdn\n");
	else if (dyndns2_request_ips(r, dyndns2_param(r, &form, "myip"),
	                             dyndns2_param(r, &form, "myipv4"),
	                             dyndns2_param(r, &form, "myipv6"), &ips) < 0)
		http_reply_text(r, 200, "911\n");
	else
		dyndns2_reply_lines(r, &hosts, &ips);
	evhttp_clear_headers(&form);
}

const struct http_route http_routes_dyndns2[] = {
        {HTTP_GET, "/nic/update", dyndns2_update},
        {HTTP_POST, "/nic/update", dyndns2_update},
        {0, NULL, NULL},
};
