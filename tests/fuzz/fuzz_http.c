/*
 * fuzz_http.c - libFuzzer target: the pure parsers of untrusted HTTP input.
 *
 * The input is split at newlines and NULs into fields (each an exact-size
 * allocation, so ASan sees reads past its end).  Every field goes through
 * names_resolve (a two-zone and a one-zone config), names_canonical,
 * names_value for A, AAAA, TXT and CNAME, the trusted-proxy list, the
 * dyndns2 hostname and myip parsers and the acme TXT, UUID and CIDR checks;
 * consecutive fields act as peer, X-Forwarded-For and X-Real-IP.  The whole
 * input is also a form body (evhttp_parse_query_str, as a dyndns2 POST) and
 * a JSON body (json_loadb with JSON_REJECT_DUPLICATES) whose name, type,
 * value(s) and allowfrom members reach the same parsers.
 *
 * Invariants: canonical names are lower case, without empty labels or a
 * trailing dot, at most 253 bytes, and canonicalise to themselves; resolved
 * names lie in the zone returned (the longest that matches); canonical
 * values and addresses re-canonicalise to themselves; a picked client
 * address is the peer or a valid address; a parsed JSON body survives a
 * dump and reload unchanged.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <arpa/inet.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "daemon/clientip.h"
#include "daemon/config.h"
#include "daemon/dd.h"
#include "daemon/names.h"
#include "dns/rdata.h"
#include "http/acme.h"
#include "http/dyndns2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS_MAX 32

/* "example.test" holds "dyn.example.test": the longer apex must win. */
static char zone_outer[] = "example.test";
static char zone_inner[] = "dyn.example.test";
static struct cfg_zone zones2[2];
static struct cfg_zone zones1[1];
static struct cfg cfg2, cfg1;

/* Proxies, with entries that must be skipped (bad prefix, not an address). */
static char tp0[] = "127.0.0.1", tp1[] = "10.0.0.0/8", tp2[] = "::1", tp3[] = "fd00::/8",
	    tp4[] = "192.168.1.0/24", tp5[] = "172.16.0.0/33", tp6[] = "proxy.example.test",
	    tp7[] = "::ffff:203.0.113.0/120";
static char *const trusted[] = {tp0, tp1, tp2, tp3, tp4, tp5, tp6, tp7};
#define NTRUSTED (sizeof(trusted) / sizeof(trusted[0]))

static const uint16_t types[] = {1, 28, 16, 5};

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static void
setup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	zones2[0].name = zone_outer;
	zones2[1].name = zone_inner;
	zones1[0].name = zone_inner;
	cfg2.zones = zones2;
	cfg2.nzones = 2;
	cfg1.zones = zones1;
	cfg1.nzones = 1;
}

static bool
v4mapped(const char *s)
{
	struct in6_addr a6;

	return inet_pton(AF_INET6, s, &a6) == 1 && IN6_IS_ADDR_V4MAPPED(&a6);
}

/* Is s a canonical name, and does it canonicalise to itself? */
static void
check_canonical(const char *s)
{
	char again[NAME_TEXT_MAX];
	size_t len = strlen(s);

	check(len > 0 && len <= 253);
	check(s[0] != '.' && s[len - 1] != '.' && strstr(s, "..") == NULL);
	for (const char *p = s; *p; p++)
		check((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_' || *p == '*' || *p == '.');
	if (strchr(s, '*'))
		check(s[0] == '*' && (s[1] == '\0' || s[1] == '.') && strchr(s + 1, '*') == NULL);
	check(names_canonical(s, again, sizeof(again)) == 0 && strcmp(again, s) == 0);
}

/* Does name lie in zone (equal, or a child at a label boundary)? */
static bool
in_zone(const char *name, const char *zone)
{
	size_t nl = strlen(name), zl = strlen(zone);

	if (nl < zl || strcmp(name + nl - zl, zone) != 0)
		return false;
	return nl == zl || name[nl - zl - 1] == '.';
}

static void
fuzz_resolve(const struct cfg *cfg, const char *s)
{
	char out[NAME_TEXT_MAX], small[16];
	int z = names_resolve(cfg, s, out, sizeof(out));

	check(z == DD_EINVAL || z == DD_ENOENT || (z >= 0 && (size_t)z < cfg->nzones));
	if (z < 0)
		return;
	check_canonical(out);
	check(in_zone(out, cfg->zones[z].name));
	for (size_t i = 0; i < cfg->nzones; i++)
		if (in_zone(out, cfg->zones[i].name))
			check(strlen(cfg->zones[i].name) <= strlen(cfg->zones[z].name));
	/* a short buffer must not overflow */
	names_resolve(cfg, s, small, sizeof(small));
}

static void
fuzz_names(const char *s)
{
	char out[NAME_TEXT_MAX], again[VALUE_TEXT_MAX], tiny[4];
	int fam;

	if (names_canonical(s, out, sizeof(out)) == 0)
		check_canonical(out);
	names_canonical(s, tiny, sizeof(tiny));
	fuzz_resolve(&cfg2, s);
	fuzz_resolve(&cfg1, s);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char val[VALUE_TEXT_MAX];
		if (names_value(types[i], s, val, sizeof(val)) != 0)
			continue;
		check(names_value(types[i], val, again, sizeof(again)) == 0);
		check(strcmp(val, again) == 0);
		if (types[i] == 5) {
			check_canonical(val);
			check(strchr(val, '*') == NULL);
		} else if (types[i] == 16) {
			check(strcmp(val, s) == 0 && strlen(val) <= 255);
		}
	}
	fam = names_ip_family(s);
	check(fam == 0 || fam == 4 || fam == 6);
	check((fam == 4) == (names_value(1, s, again, sizeof(again)) == 0));
	check((fam == 6) == (names_value(28, s, again, sizeof(again)) == 0));
	names_value(1, s, tiny, sizeof(tiny));
	names_value(28, s, tiny, sizeof(tiny));
	if (dns_stored_type_parse(s) != 0)
		check(dns_stored_type_parse(dns_stored_type_str(dns_stored_type_parse(s))) == dns_stored_type_parse(s));
}

static void
fuzz_clientip(const char *peer, const char *xff, const char *xrip)
{
	char out[INET6_ADDRSTRLEN];
	bool peer_trusted = clientip_in_list(peer, trusted, NTRUSTED);

	clientip_pick(peer, xff, xrip, trusted, NTRUSTED, out, sizeof(out));
	if (!peer_trusted)
		check(strncmp(out, peer, sizeof(out) - 1) == 0);
	else if (strncmp(out, peer, sizeof(out) - 1) != 0)
		check(names_ip_family(out) != 0);
	clientip_pick(peer, xff, NULL, trusted, NTRUSTED, out, sizeof(out));
	clientip_pick(peer, NULL, xrip, trusted, NTRUSTED, out, sizeof(out));
	/* every address is inside a list holding only itself */
	if (names_ip_family(peer) != 0) {
		char copy[INET6_ADDRSTRLEN];
		char *const self[] = {copy};
		snprintf(copy, sizeof(copy), "%s", peer);
		check(clientip_in_list(peer, self, 1));
	}
}

static void
check_ips(const struct dyndns2_ips *ips)
{
	char again[VALUE_TEXT_MAX];

	if (ips->v4[0])
		check(names_value(1, ips->v4, again, sizeof(again)) == 0 &&
		      strcmp(again, ips->v4) == 0);
	if (ips->v6[0]) {
		check(names_value(28, ips->v6, again, sizeof(again)) == 0 &&
		      strcmp(again, ips->v6) == 0);
		check(!v4mapped(ips->v6));
	}
}

static void
fuzz_dyndns2(const char *hostname, const char *myip)
{
	static struct dyndns2_hosts hosts;
	struct dyndns2_ips ips;
	char line[48], name[NAME_TEXT_MAX];
	size_t off = 0;
	int rc;

	rc = dyndns2_hosts_parse(hostname, &hosts);
	check(rc == 0 || rc == DD_EINVAL || rc == DD_ERANGE);
	check(rc != 0 || (hosts.n >= 1 && hosts.n <= DYNDNS2_HOSTS_MAX));
	check(rc != DD_EINVAL || hosts.n == 0);
	check(rc != DD_ERANGE || hosts.n == DYNDNS2_HOSTS_MAX);
	for (size_t i = 0; i < hosts.n; i++) {
		const char *h = hosts.host[i];
		size_t len = strlen(h);
		check(len < DYNDNS2_HOST_MAX && strchr(h, ',') == NULL);
		check(len == 0 || (h[0] != ' ' && h[0] != '\t' && h[len - 1] != ' ' &&
		                   h[len - 1] != '\t'));
		if (len > 0 && names_canonical(h, name, sizeof(name)) == 0)
			check_canonical(name);
	}

	rc = dyndns2_myip_parse(myip, &ips);
	check(rc == 0 || rc == DD_EINVAL);
	if (rc == 0)
		check(ips.v4[0] || ips.v6[0]);
	else
		check(!ips.v4[0] && !ips.v6[0]);
	check_ips(&ips);
	rc = dyndns2_ips_add(&ips, myip);
	check(rc == 0 || rc == DD_EINVAL);
	check_ips(&ips);

	/* reply lines into a buffer that fills up */
	for (size_t i = 0; i < 4; i++) {
		size_t before = off;
		rc = dyndns2_line_format(line, sizeof(line), &off, i % 2 ? "nochg" : "good",
		                         i == 3 ? NULL : &ips);
		check(off < sizeof(line));
		if (rc == 0)
			check(strlen(line) == off && line[off - 1] == '\n');
		else
			check(rc == DD_ETOOBIG && off == before);
	}
}

static void
fuzz_acme(const char *a, const char *b, const char *c)
{
	const char *cur[2] = {a, b}, *out[ACME_TXT_KEEP];
	unsigned char hash[ACME_HASH_LEN];
	size_t n;

	if (acme_txt_is_valid(a))
		check(strlen(a) == ACME_TXT_LEN);
	if (acme_uuid_is_valid(a))
		check(strlen(a) == ACME_UUID_LEN);
	n = acme_txt_next(cur, 2, c, out);
	check(n >= 1 && n <= ACME_TXT_KEEP && out[n - 1] == c);
	check(n == 1 || strcmp(out[0], c) != 0);
	n = acme_txt_next(cur, 0, c, out);
	check(n == 1 && out[0] == c);
	acme_password_hash(a, hash);

	if (acme_cidr_is_valid(a)) {
		acme_cidr_contains(a, b);
		acme_cidr_contains(a, c);
	} else {
		check(!acme_cidr_contains(a, b));
	}
	/* a bare address is a valid CIDR holding itself (IPv4-mapped excepted) */
	if (names_ip_family(a) == 4 || (names_ip_family(a) == 6 && !v4mapped(a))) {
		check(acme_cidr_is_valid(a));
		check(acme_cidr_contains(a, a));
	}
}

/* The members a JSON body may carry to the records and acme resources. */
static void
fuzz_json_members(json_t *body, char **fields, size_t nfields)
{
	json_t *v, *name = json_object_get(body, "name"), *type = json_object_get(body, "type");
	uint16_t t = json_is_string(type) ? dns_stored_type_parse(json_string_value(type)) : 0;
	char val[VALUE_TEXT_MAX];
	size_t i;

	if (json_is_string(name))
		fuzz_names(json_string_value(name));
	v = json_object_get(body, "value");
	if (json_is_string(v))
		names_value(t, json_string_value(v), val, sizeof(val));
	v = json_object_get(body, "values");
	if (json_is_array(v)) {
		json_t *e;
		json_array_foreach(v, i, e)
			if (json_is_string(e))
				names_value(t, json_string_value(e), val, sizeof(val));
	}
	v = json_object_get(body, "txt");
	if (json_is_string(v))
		acme_txt_is_valid(json_string_value(v));
	v = json_object_get(body, "subdomain");
	if (json_is_string(v))
		acme_uuid_is_valid(json_string_value(v));
	v = json_object_get(body, "allowfrom");
	if (json_is_array(v)) {
		json_t *e;
		json_array_foreach(v, i, e)
		{
			if (!json_is_string(e) || !acme_cidr_is_valid(json_string_value(e)))
				continue;
			for (size_t k = 0; k < nfields; k++)
				acme_cidr_contains(json_string_value(e), fields[k]);
		}
	}
}

static void
fuzz_json(const uint8_t *data, size_t size, char **fields, size_t nfields)
{
	json_error_t err;
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err), *again;
	char *text;

	if (body == NULL)
		return;
	check(json_is_object(body) || json_is_array(body));
	text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	check(text != NULL);
	again = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	check(again != NULL && json_equal(body, again));
	json_decref(again);
	free(text);
	if (json_is_object(body))
		fuzz_json_members(body, fields, nfields);
	json_decref(body);
}

/* The whole input as a form-encoded dyndns2 POST body. */
static void
fuzz_form(const uint8_t *data, size_t size)
{
	struct evkeyvalq form;
	char *body = malloc(size + 1);
	const char *h, *ip;

	if (body == NULL)
		return;
	memcpy(body, data, size);
	body[size] = '\0';
	TAILQ_INIT(&form);
	if (evhttp_parse_query_str(body, &form) == 0) {
		h = evhttp_find_header(&form, "hostname");
		ip = evhttp_find_header(&form, "myip");
		if (h != NULL || ip != NULL)
			fuzz_dyndns2(h ? h : "", ip ? ip : "");
		ip = evhttp_find_header(&form, "myipv6");
		if (ip != NULL)
			names_ip_family(ip);
	}
	evhttp_clear_headers(&form);
	free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char empty[] = "";
	char *fields[FIELDS_MAX];
	size_t nfields = 0, start = 0;

	setup();
	for (size_t i = 0; i <= size && nfields < FIELDS_MAX; i++) {
		if (i < size && data[i] != '\n' && data[i] != '\0')
			continue;
		char *f = malloc(i - start + 1);
		if (f == NULL)
			abort();
		memcpy(f, data + start, i - start);
		f[i - start] = '\0';
		fields[nfields++] = f;
		start = i + 1;
	}

	for (size_t i = 0; i < nfields; i++) {
		const char *next = i + 1 < nfields ? fields[i + 1] : empty;
		const char *third = i + 2 < nfields ? fields[i + 2] : empty;
		fuzz_names(fields[i]);
		fuzz_clientip(fields[i], next, third);
		fuzz_dyndns2(fields[i], fields[i]);
		fuzz_acme(fields[i], next, third);
	}
	fuzz_form(data, size);
	fuzz_json(data, size, fields, nfields);

	for (size_t i = 0; i < nfields; i++)
		free(fields[i]);
	return 0;
}
