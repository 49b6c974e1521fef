/* test_config.c - config loader: defaults, every validation rule with its
 * line number, error collection, env override, paths. */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/dd.h"
#include "tests/unit/tap.h"

/* The tests run from the project root (make units / tests/run-unit.sh). */
#ifndef SRCDIR
#define SRCDIR "."
#endif

static char tmpdir[256];
static char cfgpath[300];

/* A zone block that passes validation, for tests about other sections. */
#define ZONE "zones:\n  - name: dyn.example.test\n"

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static int
load(const char *yaml, struct cfg **c, struct cfg_errors *e)
{
	write_file(cfgpath, yaml);
	return cfg_load(cfgpath, c, e);
}

/* True when some error starts with "FILE:LINE: " and contains want. */
static bool
has_err(const struct cfg_errors *e, int line, const char *want)
{
	char prefix[400];
	size_t i;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", cfgpath, line);
	for (i = 0; i < e->n; i++)
		if (strncmp(e->msg[i], prefix, strlen(prefix)) == 0 &&
		    strstr(e->msg[i] + strlen(prefix), want))
			return true;
	return false;
}

static void
dump(const struct cfg_errors *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		diag("  %s", e->msg[i]);
}

/* Loads yaml expecting DD_ECONFIG with an error at line containing want. */
static void
expect_err(const char *yaml, int line, const char *want, const char *what)
{
	struct cfg *c = (struct cfg *)1;
	struct cfg_errors e = {0};
	int rc = load(yaml, &c, &e);
	bool found = has_err(&e, line, want);

	ok(rc == DD_ECONFIG && c == NULL && found, "%s -> line %d '%s'", what, line, want);
	if (rc != DD_ECONFIG || !found)
		dump(&e);
	cfg_errors_fini(&e);
}

/* Loads yaml expecting success; returns the config (caller frees). */
static struct cfg *
expect_ok(const char *yaml, const char *what)
{
	struct cfg *c = NULL;
	struct cfg_errors e = {0};
	int rc = load(yaml, &c, &e);

	ok(rc == 0 && c != NULL, "%s loads", what);
	if (rc != 0)
		dump(&e);
	cfg_errors_fini(&e);
	return c;
}

static void
test_sample(void)
{
	char path[512];
	struct cfg *c = NULL;
	struct cfg_errors e = {0};
	int rc;

	snprintf(path, sizeof(path), "%s/config.yaml.sample", SRCDIR);
	rc = cfg_load(path, &c, &e);
	ok(rc == 0, "config.yaml.sample loads");
	dump(&e);
	if (rc == 0) {
		is_int(c->nzones, 1, "sample: one zone");
		ok(strcmp(c->zones[0].name, "dyn.example.test") == 0, "sample: zone name");
		is_int(c->dns.nlisten, 1, "sample: one listen address");
		ok(strcmp(c->dns.listen[0].text, "127.0.0.1:5353") == 0, "sample: dns.listen");
		ok(strcmp(c->http.listen.text, "127.0.0.1:8080") == 0, "sample: http.listen");
		is_int(c->dns.workers, 2, "sample: workers");
		ok(c->master_token && strcmp(c->master_token, "change-me") == 0,
		   "sample: master token");
		ok(!c->backup.enabled && c->ntsig == 0 && c->nnotify == 0,
		   "sample: optional sections off");
		ok(c->http.metrics_token == NULL, "sample: empty metrics_token is NULL");
	}
	cfg_free(c);
	cfg_errors_fini(&e);
}

static void
test_defaults(void)
{
	char want[600];
	struct cfg *c = expect_ok(ZONE, "minimal config");
	const struct sockaddr_in *sin;

	if (c == NULL)
		return;
	snprintf(want, sizeof(want), "%s/data/ddnsd.db", c->dir);
	ok(strcmp(c->database, want) == 0, "default database under the config dir");
	snprintf(want, sizeof(want), "%s/run/ddnsd.sock", c->dir);
	ok(strcmp(c->control_socket, want) == 0, "default control socket");
	snprintf(want, sizeof(want), "%s/backups", c->dir);
	ok(strcmp(c->backup.dir, want) == 0, "default backup dir");
	ok(c->path[0] == '/' && strstr(c->path, "/c.yaml"), "path is absolute");
	ok(c->user == NULL, "user default NULL");
	ok(strcmp(c->log_level, "info") == 0, "log_level default info");
	ok(strcmp(c->sandbox.seccomp, "kill") == 0, "sandbox.seccomp default kill");
	is_int(c->zones[0].ttl, 300, "zone ttl default");
	is_int(c->zones[0].nns, 1, "ns default count");
	ok(strcmp(c->zones[0].ns[0], "ns1.dyn.example.test") == 0, "ns default ns1.<zone>");
	ok(strcmp(c->zones[0].soa.mname, "ns1.dyn.example.test") == 0, "mname default ns[0]");
	ok(strcmp(c->zones[0].soa.rname, "hostmaster.dyn.example.test") == 0,
	   "rname default hostmaster.<zone>");
	ok(c->zones[0].soa.refresh == 3600 && c->zones[0].soa.retry == 600 &&
	           c->zones[0].soa.expire == 604800 && c->zones[0].soa.minimum == 60,
	   "soa timer defaults");
	is_int(c->zones[0].line, 2, "zone line recorded");
	ok(c->zones[0].transfer_tsig == NULL && c->zones[0].ntransfer_allow == 0, "no transfer");
	is_int(c->dns.nlisten, 1, "dns.listen default count");
	sin = (const struct sockaddr_in *)&c->dns.listen[0].ss;
	ok(sin->sin_family == AF_INET && ntohs(sin->sin_port) == 5353 &&
	           c->dns.listen[0].sslen == sizeof(*sin),
	   "dns.listen default 127.0.0.1:5353");
	is_int(c->dns.workers, 2, "workers default");
	is_int(c->dns.tcp_max_connections, 256, "tcp_max_connections default");
	is_int(c->dns.tcp_idle_timeout, 10000, "tcp_idle_timeout default");
	is_int(c->dns.tcp_max_per_address, 16, "tcp_max_per_address default");
	is_int(c->dns.udp_payload, 1232, "udp_payload default");
	ok(c->dns.io && strcmp(c->dns.io, "auto") == 0, "dns.io default auto");
	ok(strcmp(c->http.listen.text, "127.0.0.1:8080") == 0, "http.listen default");
	is_int(c->http.max_body, 65536, "max_body default");
	is_int(c->http.rate_per_ip_per_minute, 600, "rate default");
	is_int(c->http.rate_burst, 100, "burst default");
	ok(c->http.metrics_token == NULL, "metrics_token default NULL");
	is_int(c->http.max_connections_per_address, 32, "max_connections_per_address default");
	is_int(c->http.idle_timeout, 10, "idle_timeout default (s)");
	ok(strcmp(c->acme_zone, "dyn.example.test") == 0, "acme.zone default zones[0]");
	ok(c->master_token == NULL, "master_token default NULL");
	ok(!c->backup.enabled && c->backup.keep == 7, "backup off, keep 7");
	is_int(c->table.capacity, 65536, "table.capacity default");
	is_int(c->table.data_bytes, 0, "table.data_bytes default");
	ok(c->journal.max_changes == 1000 && c->journal.max_age == 7 * 86400, "journal defaults");
	ok(c->audit.max_rows == 1000000 && c->audit.max_age == 90 * 86400,
	   "audit defaults: a million rows, 90 days");
	is_int(cfg_zone_index(c, "DYN.example.TEST."), 0, "cfg_zone_index any case, dot");
	is_int(cfg_zone_index(c, "example.test"), -1, "cfg_zone_index miss");
	cfg_free(c);
}

static void
test_full(void)
{
	struct cfg *c = expect_ok(
	        "database: /var/lib/ddnsd/db.sqlite\n"
	        "user: ddnsd\n"
	        "log_level: debug\n"
	        "zones:\n"
	        "  - name: Dyn.Example.Test.\n"
	        "    ttl: 60\n"
	        "    ns: [NS1.example.test., ns2.example.test]\n"
	        "    soa: { mname: ns1.example.test, rname: hostmaster.example.test,\n"
	        "           refresh: 7200, retry: 900, expire: 1209600, minimum: 30 }\n"
	        "    transfer:\n"
	        "      allow: [127.0.0.1, 10.0.0.0/8, \"2001:db8::/32\", \"::1\"]\n"
	        "      notify: [\"127.0.0.1:5454\", 192.0.2.1, \"[2001:db8::1]:5300\", "
	        "\"2001:db8::2\"]\n"
	        "      tsig: Transfer-Key\n"
	        "  - name: sub.dyn.example.test\n"
	        "  - name: sec.example.test\n"
	        "    primary: \"192.0.2.53:5300\"\n"
	        "dns:\n"
	        "  listen: [\"127.0.0.1:53\", \"[::1]:53\"]\n"
	        "  workers: 64\n"
	        "  tcp_max_connections: 10\n"
	        "  tcp_idle_timeout: 2500\n"
	        "  tcp_max_per_address: 3\n"
	        "  udp_payload: 4096\n"
	        "http:\n"
	        "  listen: \"[::]:8080\"\n"
	        "  trusted_proxies: [127.0.0.1, \"fd00::/8\"]\n"
	        "  max_body: 1M\n"
	        "  rate_limit: { per_ip_per_minute: 60, burst: 1 }\n"
	        "  metrics_token: m3tr1cs\n"
	        "  max_connections_per_address: 4\n"
	        "  idle_timeout: 2m\n"
	        "acme: { zone: SUB.dyn.example.test }\n"
	        "control: { socket: /run/ddnsd/ctl.sock }\n"
	        "auth: { master_token: tok }\n"
	        "tsig:\n"
	        "  - { name: transfer-key, algorithm: hmac-sha256, secret: \"c2VjcmV0\" }\n"
	        "  - name: update-key\n"
	        "    algorithm: hmac-sha512\n"
	        "    secret: \"AAECAwQ=\"\n"
	        "    update: { names: [\"*.Dyn.Example.Test.\", host.example.test], types: [A, TXT] }\n"
	        "journal: { max_changes: 50, max_age: 2d }\n"
	        "audit: { max_rows: 0, max_age: 1w }\n"
	        "notify:\n"
	        "  - name: ops\n"
	        "    type: discord\n"
	        "    url: https://discord.com/api/webhooks/x\n"
	        "    events: [record_changed, auth_abuse]\n"
	        "  - { name: hook, type: webhook, url: \"http://127.0.0.1:9000/hook\", secret: s "
	        "}\n"
	        "  - { name: run, type: command, command: /usr/local/bin/on-change }\n"
	        "backup:\n"
	        "  schedule: \"0 3 * * 1-5\"\n"
	        "  dir: bk\n"
	        "  keep: 3\n"
	        "  s3: { endpoint: \"https://s3.example.com\", bucket: ddnsd }\n"
	        "table: { capacity: 16, data_bytes: 64M }\n",
	        "full config");
	const struct sockaddr_in6 *sin6;

	if (c == NULL)
		return;
	ok(strcmp(c->database, "/var/lib/ddnsd/db.sqlite") == 0, "absolute database kept");
	ok(strcmp(c->user, "ddnsd") == 0, "user");
	ok(strcmp(c->log_level, "debug") == 0, "log_level");
	is_int(c->nzones, 3, "three zones (nested allowed)");
	ok(strcmp(c->zones[0].name, "dyn.example.test") == 0, "zone name lower case, no dot");
	is_int(c->zones[0].ttl, 60, "ttl");
	ok(c->zones[0].nns == 2 && strcmp(c->zones[0].ns[0], "ns1.example.test") == 0, "ns");
	ok(c->zones[0].soa.refresh == 7200 && c->zones[0].soa.minimum == 30,
	   "flow soa over two lines");
	is_int(c->zones[0].ntransfer_allow, 4, "transfer.allow");
	is_int(c->zones[0].ntransfer_notify, 4, "transfer.notify");
	ok(strcmp(c->zones[0].transfer_notify[0], "127.0.0.1:5454") == 0, "notify with port");
	ok(strcmp(c->zones[0].transfer_notify[1], "192.0.2.1:53") == 0, "notify port 53");
	ok(strcmp(c->zones[0].transfer_notify[2], "[2001:db8::1]:5300") == 0, "notify v6");
	ok(strcmp(c->zones[0].transfer_notify[3], "[2001:db8::2]:53") == 0, "notify bare v6");
	ok(strcmp(c->zones[0].transfer_tsig, "transfer-key") == 0, "transfer.tsig");
	is_int(c->zones[1].line, 14, "second zone line");
	is_int(c->dns.nlisten, 2, "two listen addresses");
	sin6 = (const struct sockaddr_in6 *)&c->dns.listen[1].ss;
	ok(sin6->sin6_family == AF_INET6 && ntohs(sin6->sin6_port) == 53 &&
	           c->dns.listen[1].sslen == sizeof(*sin6) &&
	           strcmp(c->dns.listen[1].text, "[::1]:53") == 0,
	   "IPv6 listen");
	is_int(c->dns.tcp_max_per_address, 3, "tcp_max_per_address");
	ok(c->dns.workers == 64 && c->dns.udp_payload == 4096 && c->dns.tcp_idle_timeout == 2500,
	   "dns numbers");
	ok(c->http.listen.ss.ss_family == AF_INET6, "http.listen IPv6");
	is_int(c->http.ntrusted_proxies, 2, "trusted_proxies");
	is_int(c->http.max_body, 1048576, "max_body with suffix");
	ok(c->http.rate_per_ip_per_minute == 60 && c->http.rate_burst == 1, "rate_limit");
	ok(strcmp(c->http.metrics_token, "m3tr1cs") == 0, "metrics_token");
	is_int(c->http.max_connections_per_address, 4, "max_connections_per_address");
	is_int(c->http.idle_timeout, 120, "idle_timeout 2m");
	ok(strcmp(c->acme_zone, "sub.dyn.example.test") == 0, "acme.zone");
	ok(strcmp(c->control_socket, "/run/ddnsd/ctl.sock") == 0, "control.socket");
	ok(strcmp(c->master_token, "tok") == 0, "master_token");
	is_int(c->ntsig, 2, "tsig keys");
	ok(c->tsig[0].secret_len == 6 && memcmp(c->tsig[0].secret, "secret", 6) == 0,
	   "tsig secret decoded");
	ok(strcmp(c->tsig[1].algorithm, "hmac-sha512") == 0 && c->tsig[1].secret_len == 5,
	   "block-style tsig");
	is_int(c->tsig[1].line, 37, "tsig line");
	ok(!c->tsig[0].update_policy && c->tsig[1].update_policy, "update policy present or not");
	ok(c->tsig[1].nupdate_names == 2 &&
	       strcmp(c->tsig[1].update_names[0], "*.dyn.example.test") == 0,
	   "update.names normalised, wildcard kept");
	ok(c->tsig[1].nupdate_types == 2 && strcmp(c->tsig[1].update_types[1], "TXT") == 0,
	   "update.types");
	ok(!cfg_tsig_is_idle(c, 0), "a zone's transfer key without update: is not idle");
	ok(!cfg_tsig_is_idle(c, 1), "a key with update: is not idle");
	ok(c->zones[2].primary && strcmp(c->zones[2].primary, "192.0.2.53:5300") == 0 &&
	       c->zones[0].primary == NULL,
	   "zones[].primary");
	ok(c->journal.max_changes == 50 && c->journal.max_age == 2 * 86400, "journal limits");
	ok(c->audit.max_rows == 0 && c->audit.max_age == 7 * 86400, "audit limits (0: no count limit)");
	is_int(c->nnotify, 3, "notify targets");
	is_int(c->notify[0].nevents, 2, "events given");
	is_int(c->notify[1].nevents, 7, "events default all");
	ok(strcmp(c->notify[1].secret, "s") == 0, "webhook secret");
	ok(strcmp(c->notify[2].command, "/usr/local/bin/on-change") == 0, "command");
	ok(c->backup.enabled && c->backup.interval == 0 &&
	           strcmp(c->backup.schedule, "0 3 * * 1-5") == 0,
	   "backup schedule");
	ok(c->backup.keep == 3 && strstr(c->backup.dir, "/bk") && c->backup.dir[0] == '/',
	   "backup keep, dir");
	ok(c->backup.s3_enabled && strcmp(c->backup.s3_bucket, "ddnsd") == 0 &&
	           strcmp(c->backup.s3_region, "us-east-1") == 0 &&
	           strcmp(c->backup.s3_prefix, "") == 0,
	   "s3 with defaults");
	ok(c->table.capacity == 16 && c->table.data_bytes == 64ull << 20, "table");
	cfg_free(c);
}

static void
test_durations(void)
{
	static const struct {
		const char *text;
		uint64_t secs;
	} d[] = {{"90s", 90},    {"30m", 1800},  {"24h", 86400},
	         {"7d", 604800}, {"3600", 3600}, {"1h30m", 5400}};
	char yaml[256];
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		struct cfg *c;
		snprintf(yaml, sizeof(yaml), ZONE "backup:\n  interval: %s\n", d[i].text);
		c = expect_ok(yaml, d[i].text);
		if (c)
			ok(c->backup.enabled && c->backup.interval == d[i].secs,
			   "interval %s = %llu s", d[i].text, (unsigned long long)d[i].secs);
		cfg_free(c);
	}
	{
		struct cfg *c = expect_ok(ZONE "backup: { keep: 2 }\n", "backup without interval");
		if (c)
			ok(c->backup.interval == 86400, "backup interval default 24h");
		cfg_free(c);
	}
}

/* UPDATE rights by grant only: what each form of update: gives a key. */
static void
test_update_grants(void)
{
	struct cfg *c = expect_ok(ZONE "tsig:\n"
				       "  - { name: all, algorithm: hmac-sha256, secret: AAAA, update: {} }\n"
				       "  - { name: none, algorithm: hmac-sha256, secret: AAAA }\n"
				       "  - { name: txt, algorithm: hmac-sha256, secret: AAAA,\n"
				       "      update: { types: [TXT] } }\n",
				  "update grants");

	if (c == NULL)
		return;
	ok(c->tsig[0].update_policy && c->tsig[0].nupdate_names == 0 &&
	       c->tsig[0].nupdate_types == 0,
	   "update: {} grants every name and type");
	ok(!c->tsig[1].update_policy, "no update: grants nothing");
	ok(cfg_tsig_is_idle(c, 1), "a key with neither update: nor a zone's transfer is idle");
	ok(!cfg_tsig_is_idle(c, 0) && !cfg_tsig_is_idle(c, 2), "keys with update: are not idle");
	ok(c->tsig[2].update_policy && c->tsig[2].nupdate_names == 0 &&
	       c->tsig[2].nupdate_types == 1,
	   "update: { types: [TXT] }: every name, TXT only");
	cfg_free(c);
}

static void
test_flow_and_listen(void)
{
	struct cfg *c = expect_ok("{ zones: [ { name: a.test, ns: [ns.a.test] } ],\n"
	                          "  dns: { listen: \"[::1]:5300\", workers: 1 } }\n",
	                          "flow-style document");
	if (c) {
		ok(c->dns.nlisten == 1 && c->dns.listen[0].ss.ss_family == AF_INET6,
		   "dns.listen as a single string");
		ok(strcmp(c->zones[0].ns[0], "ns.a.test") == 0, "flow ns");
	}
	cfg_free(c);
	c = expect_ok(ZONE "dns:\n  listen:\n    - 127.0.0.1:53\n    - 127.0.0.2:53\n",
	              "block listen list");
	if (c)
		is_int(c->dns.nlisten, 2, "block list of listen addresses");
	cfg_free(c);
	c = expect_ok(ZONE "http:\n  trusted_proxies: 10.0.0.1\n", "scalar for a list");
	if (c)
		is_int(c->http.ntrusted_proxies, 1, "single string list");
	cfg_free(c);
	c = expect_ok(ZONE "user: ~\nhttp:\n  metrics_token:\n", "null values");
	if (c)
		ok(c->user == NULL && c->http.metrics_token == NULL, "null means unset");
	cfg_free(c);
}

static void
test_errors(void)
{
	expect_err(ZONE "dns:\n  wrokers: 2\n", 4, "unknown key 'dns.wrokers'", "unknown key");
	expect_err(ZONE "    nme: x\n", 3, "unknown key 'zones[0].nme'", "unknown zone key");
	expect_err(ZONE "foo: 1\n", 3, "unknown key 'foo'", "unknown top key");
	expect_err(ZONE "dns:\n  workers: 2\n  workers: 3\n", 5, "duplicate key 'dns.workers'",
	           "duplicate key");
	expect_err(ZONE "dns:\n  workers: two\n", 4, "'dns.workers' must be an integer",
	           "int type");
	expect_err(ZONE "dns:\n  workers: 65\n", 4, "between 1 and 64", "workers range high");
	expect_err(ZONE "dns:\n  workers: 0\n", 4, "between 1 and 64", "workers range low");
	expect_err(ZONE "dns:\n  workers: [1]\n", 4, "must be an integer, not a list",
	           "list for int");
	expect_err(ZONE "dns: 5\n", 3, "'dns' must be a mapping", "scalar for map");
	expect_err(ZONE "audit:\n  max_rows: -1\n", 4, "'audit.max_rows'", "audit.max_rows < 0");
	expect_err(ZONE "audit:\n  max_age: 59\n", 4, "'audit.max_age'", "audit.max_age < 60 s");
	expect_err(ZONE "dns:\n  udp_payload: 511\n", 4, "between 512 and 4096", "udp_payload");
	expect_err(ZONE "dns:\n  io: epoll\n", 4, "is not one of auto, io_uring, recvmmsg", "dns.io");
	expect_err(ZONE "dns:\n  udp_payload: 4097\n", 4, "between 512 and 4096", "udp_payload");
	expect_err(ZONE "    ttl: 2147483648\n", 3, "between 0 and 2147483647", "ttl range");
	expect_err(ZONE "    ttl: -1\n", 3, "between 0 and 2147483647", "ttl negative");
	expect_err(ZONE "    soa: { refresh: 4294967296 }\n", 3, "'zones[0].soa.refresh'",
	           "soa 32-bit");
	expect_err("zones:\n  - name: bad_label-ok.test\n  - name: \"a..b\"\n", 3,
	           "not a valid domain name: empty label", "empty label");
	expect_err("zones:\n  - name: \"*.a.test\"\n", 2, "'*' is not allowed", "wildcard zone");
	expect_err("zones:\n  - name: \"a b.test\"\n", 2, "not a valid domain name", "space");
	expect_err("zones:\n  - name: "
	           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test\n",
	           2, "label longer than 63", "long label");
	expect_err("zones:\n  - name: .\n", 2, "root is not allowed", "root zone");
	expect_err(ZONE "    soa: { rname: hostmaster@example.test }\n", 3, "'@' is not allowed",
	           "rname with @");
	expect_err(ZONE "    ns: [\"ns 1.test\"]\n", 3, "'zones[0].ns[0]'", "bad ns");
	expect_err(ZONE "    ns: []\n", 3, "'zones[0].ns' needs 1 to 64 entries", "empty ns");
	expect_err("log_level: info\n", 1, "missing required key 'zones'", "no zones");
	expect_err("zones: []\n", 1, "'zones' needs 1 to", "empty zones");
	expect_err("zones:\n  - ttl: 5\n", 2, "missing required key 'zones[0].name'",
	           "zone without name");
	expect_err("zones:\n  - name:\n", 2, "'zones[0].name' needs a value", "zone name null");
	expect_err("zones:\n  - name: a.test\n  - name: b.test\n  - name: A.test.\n", 4,
	           "duplicate zone 'a.test' (first at line 2)", "duplicate zone");
	expect_err(ZONE "dns:\n  listen: \"127.0.0.1\"\n", 4, "missing ':PORT'", "listen port");
	expect_err(ZONE "dns:\n  listen: \"::1\"\n", 4, "[ADDR]:PORT", "bare v6 listen");
	expect_err(ZONE "dns:\n  listen: \"localhost:53\"\n", 4, "not an IPv4 address",
	           "hostname listen");
	expect_err(ZONE "dns:\n  listen: \"127.0.0.1:65536\"\n", 4, "port must be", "port range");
	expect_err(ZONE "dns:\n  listen: \"[::1\"\n", 4, "missing ']'", "bracket");
	expect_err(ZONE "dns:\n  listen: [\"127.0.0.1:53\", \"127.0.0.1:053\"]\n", 4,
	           "listed twice (also at line 4)", "duplicate listen");
	expect_err(ZONE "http:\n  listen: [\"127.0.0.1:80\"]\n", 4,
	           "'http.listen' must be a string, not a list", "http.listen list");
	expect_err(ZONE "http:\n  trusted_proxies: [10.0.0.0/33]\n", 4,
	           "prefix length must be 0..32", "cidr v4");
	expect_err(ZONE "http:\n  trusted_proxies: [\"::/129\"]\n", 4, "0..128", "cidr v6");
	expect_err(ZONE "http:\n  trusted_proxies: [example.com]\n", 4, "not an IP address or CIDR",
	           "proxy name");
	expect_err(ZONE "    transfer:\n      allow: [1.2.3.4/x]\n", 4,
	           "'zones[0].transfer.allow[0]'", "allow cidr");
	expect_err(ZONE "    transfer:\n      notify: [\"1.2.3.4:0\"]\n", 4, "port must be",
	           "notify port");
	expect_err(ZONE "tsig:\n  - { name: k, algorithm: hmac-sha256, secret: AAAA, update: { names: "
	           "[\"a..b\"] } }\n", 4, "is not a domain name", "update.names");
	expect_err(ZONE "tsig:\n  - { name: k, algorithm: hmac-sha256, secret: AAAA, update: { names: "
	           "[] } }\n", 4, "needs 1 to 100000 entries, not 0", "empty update.names");
	expect_err(ZONE "tsig:\n  - { name: k, algorithm: hmac-sha256, secret: AAAA, update: { types: "
	           "[MX] } }\n", 4, "is not one of A, AAAA, TXT, CNAME", "update.types");
	expect_err(ZONE "    primary: \"1.2.3.4:0\"\n", 3, "port must be", "primary port");
	expect_err(ZONE "    transfer:\n      tsig: nokey\n", 4,
	           "no key named 'nokey' under 'tsig'", "unknown transfer key");
	expect_err(ZONE "tsig:\n  - { name: k, algorithm: hmac-md5, secret: AAAA }\n", 4,
	           "'hmac-md5' is not one of hmac-sha256, hmac-sha512", "tsig algorithm");
	expect_err(ZONE "tsig:\n  - { name: k, algorithm: hmac-sha256, secret: \"!!\" }\n", 4,
	           "'tsig[0].secret' must be non-empty base64", "tsig base64");
	expect_err(ZONE "tsig:\n  - { name: k, algorithm: hmac-sha256 }\n", 4,
	           "missing required key 'tsig[0].secret'", "tsig without secret");
	expect_err(ZONE "tsig:\n  - { name: k, algorithm: hmac-sha256, secret: AAAA }\n"
	                "  - { name: K., algorithm: hmac-sha256, secret: AAAA }\n",
	           5, "duplicate tsig key 'k' (first at line 4)", "duplicate tsig");
	expect_err(ZONE "notify:\n  - { name: n, type: email, url: \"http://x\" }\n", 4,
	           "'notify[0].type': 'email' is not one of", "notify type");
	expect_err(ZONE "notify:\n  - { name: n, type: slack }\n", 4,
	           "'notify[0].url' is required for type slack", "notify url required");
	expect_err(ZONE "notify:\n  - { name: n, type: webhook, url: \"ftp://x\" }\n", 4,
	           "must be an http:// or https:// URL", "notify url scheme");
	expect_err(ZONE "notify:\n  - name: n\n    type: command\n", 4,
	           "'notify[0].command' is required for type command", "notify command");
	expect_err(ZONE "notify:\n  - name: n\n    type: webhook\n    url: http://x\n"
	                "    events: [record_changed, record_deleted]\n",
	           7, "'record_deleted' is not one of", "notify event");
	expect_err(ZONE "notify:\n  - { name: n, type: command, command: /bin/true }\n"
	                "  - { name: n, type: command, command: /bin/true }\n",
	           5, "duplicate notify target 'n'", "duplicate notify");
	expect_err(ZONE "backup:\n  interval: 24h\n  schedule: \"0 3 * * *\"\n", 4,
	           "either 'interval' or 'schedule'", "interval and schedule");
	expect_err(ZONE "backup:\n  interval: 24x\n", 4, "'backup.interval' must be a duration",
	           "bad duration");
	expect_err(ZONE "backup:\n  interval: 0\n", 4, "between 1 and", "zero interval");
	expect_err(ZONE "backup:\n  schedule: \"0 3 * *\"\n", 4, "five fields", "cron 4 fields");
	expect_err(ZONE "backup:\n  schedule: \"60 3 * * *\"\n", 4, "bad minute field",
	           "cron minute");
	expect_err(ZONE "backup:\n  schedule: \"0 24 * * *\"\n", 4, "bad hour field", "cron hour");
	expect_err(ZONE "backup:\n  schedule: \"0 3 0 * *\"\n", 4, "bad day-of-month field",
	           "cron dom");
	expect_err(ZONE "backup:\n  schedule: \"0 3 * 13 *\"\n", 4, "bad month field",
	           "cron month");
	expect_err(ZONE "backup:\n  schedule: \"0 3 * * 8\"\n", 4, "bad day-of-week field",
	           "cron dow");
	expect_err(ZONE "backup:\n  schedule: \"*/0 * * * *\"\n", 4, "bad minute field",
	           "cron step 0");
	expect_err(ZONE "backup:\n  schedule: \"5-1 * * * *\"\n", 4, "bad minute field",
	           "cron reversed range");
	expect_err(ZONE "backup:\n  schedule: \"1,,2 * * * *\"\n", 4, "bad minute field",
	           "cron empty list element");
	expect_err(ZONE "backup:\n  keep: 0\n", 4, "'backup.keep' must be between 1", "keep");
	expect_err(ZONE "backup:\n  s3:\n    bucket: b\n", 5,
	           "missing required key 'backup.s3.endpoint'", "s3 endpoint");
	expect_err(ZONE "backup:\n  s3: { endpoint: \"https://s3\" }\n", 4,
	           "missing required key 'backup.s3.bucket'", "s3 bucket");
	expect_err(ZONE "acme:\n  zone: other.test\n", 4, "'other.test' is not one of the zones",
	           "acme zone");
	expect_err(ZONE "table:\n  capacity: 15\n", 4, "between 16 and 100000000", "capacity");
	expect_err(ZONE "table:\n  data_bytes: 12X\n", 4, "must be a size", "data_bytes");
	expect_err(ZONE "log_level: verbose\n", 3, "'verbose' is not one of error, warn",
	           "log_level");
	expect_err(ZONE "sandbox:\n  seccomp: strict\n", 4, "'strict' is not one of kill, log, off",
	           "sandbox.seccomp");
	expect_err(ZONE "http:\n  max_body: 0\n", 4, "between 1 and 16777216", "max_body low");
	expect_err(ZONE "http:\n  max_body: 17M\n", 4, "between 1 and 16777216", "max_body high");
	expect_err(ZONE "http:\n  max_connections_per_address: 0\n", 4,
	           "'http.max_connections_per_address' must be between 1 and 1000000",
	           "max_connections_per_address 0");
	expect_err(ZONE "http:\n  idle_timeout: 2h\n", 4,
	           "'http.idle_timeout' must be between 1 and 3600", "idle_timeout above 1 h");
	expect_err(ZONE "http:\n  idle_timeout: soon\n", 4, "'http.idle_timeout' must be a duration",
	           "idle_timeout not a duration");
	expect_err(ZONE "http:\n  rate_limit: { burst: 0 }\n", 4,
	           "'http.rate_limit.burst' must be between 1", "burst");
	expect_err(ZONE "http:\n  rate_limit: { per_ip_per_minute: 0 }\n", 4,
	           "'http.rate_limit.per_ip_per_minute'", "rate");
	expect_err(ZONE "database: \"\"\n", 3, "'database' must not be empty", "empty path");
	expect_err("- a\n- b\n", 1, "top level must be a mapping", "top level list");
	expect_err(ZONE "d: &a { x: 1 }\n", 3, "unknown key 'd'", "anchor on unknown key");
	expect_err("zones: &z\n  - name: a.test\nnotify: *z\n", 3, "aliases",
	           "alias of a collection");
}

static void
test_syntax(void)
{
	expect_err(ZONE "dns:\n  workers: 2\n workers: 3\n", 5, "YAML syntax error",
	           "indentation error");
	expect_err(ZONE "dns: { workers: 2\n\nhttp: {}\n", 5, "YAML syntax error", "open brace");
	expect_err(ZONE "auth:\n  master_token: \"abc\n", 5, "YAML syntax error",
	           "unterminated quote");
	expect_err(ZONE "---\nfoo: 1\n", 4, "only one YAML document", "two documents");
}

static void
test_many_errors(void)
{
	struct cfg *c = NULL;
	struct cfg_errors e = {0};
	int rc = load("zones:\n"                    /* 1 */
	              "  - name: ok.test\n"         /* 2 */
	              "    ttl: -5\n"               /* 3 */
	              "dns:\n"                      /* 4 */
	              "  wrokers: 2\n"              /* 5 */
	              "  udp_payload: 10\n"         /* 6 */
	              "http:\n"                     /* 7 */
	              "  listen: nowhere\n"         /* 8 */
	              "acme: { zone: nope.test }\n" /* 9 */
	              "log_level: loud\n",          /* 10 */
	              &c, &e);
	size_t i;
	bool sorted = true;

	is_int(rc, DD_ECONFIG, "several errors: DD_ECONFIG");
	is_int(e.n, 6, "all six errors reported");
	ok(has_err(&e, 3, "zones[0].ttl"), "ttl error reported");
	ok(has_err(&e, 5, "unknown key 'dns.wrokers'"), "unknown key reported");
	ok(has_err(&e, 6, "dns.udp_payload"), "udp_payload reported");
	ok(has_err(&e, 8, "http.listen"), "listen reported");
	ok(has_err(&e, 9, "nope.test"), "acme.zone reported");
	ok(has_err(&e, 10, "loud"), "log_level reported");
	for (i = 1; i < e.n; i++)
		if (atoi(strchr(e.msg[i - 1] + strlen(cfgpath), ':') + 1) >
		    atoi(strchr(e.msg[i] + strlen(cfgpath), ':') + 1))
			sorted = false;
	ok(sorted, "errors in line order");
	if (e.n != 6)
		dump(&e);
	cfg_errors_fini(&e);
}

static void
test_missing_file(void)
{
	char path[400], want[500];
	struct cfg *c = (struct cfg *)1;
	struct cfg_errors e = {0};
	int rc;

	snprintf(path, sizeof(path), "%s/nope.yaml", tmpdir);
	rc = cfg_load(path, &c, &e);
	is_int(rc, DD_ENOENT, "missing file: DD_ENOENT");
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	ok(c == NULL && e.n == 1 && strcmp(e.msg[0], want) == 0, "missing file message");
	cfg_errors_fini(&e);
	rc = cfg_load(tmpdir, &c, &e);
	is_int(rc, DD_EIO, "directory: DD_EIO");
	cfg_errors_fini(&e);
}

static void
test_env(void)
{
	struct cfg *c;

	setenv("DDNSD_MASTER_TOKEN", "from-env", 1);
	c = expect_ok(ZONE "auth: { master_token: from-file }\n", "env override");
	if (c)
		ok(strcmp(c->master_token, "from-env") == 0, "DDNSD_MASTER_TOKEN wins");
	cfg_free(c);
	setenv("DDNSD_MASTER_TOKEN", "", 1);
	c = expect_ok(ZONE "auth: { master_token: from-file }\n", "empty env");
	if (c)
		ok(strcmp(c->master_token, "from-file") == 0, "empty env does not override");
	cfg_free(c);
	unsetenv("DDNSD_MASTER_TOKEN");
	c = expect_ok(ZONE "auth: { master_token: \"\" }\n", "empty token");
	if (c)
		ok(c->master_token == NULL, "empty master_token is NULL");
	cfg_free(c);
}

static void
test_paths(void)
{
	char sub[400], path[500], want[PATH_MAX + 64], cwd[PATH_MAX];
	struct cfg *c = NULL;
	struct cfg_errors e = {0};
	int rc;

	snprintf(sub, sizeof(sub), "%s/etc", tmpdir);
	mkdir(sub, 0700);
	snprintf(path, sizeof(path), "%s/ddnsd.yaml", sub);
	write_file(path, ZONE "database: db/x.db\ncontrol: { socket: ../run/s }\n"
	                      "backup: { dir: /abs/bk }\n");
	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(tmpdir) != 0) {
		ok(0, "chdir");
		return;
	}
	rc = cfg_load("etc/ddnsd.yaml", &c, &e);
	ok(rc == 0, "relative config path loads");
	dump(&e);
	if (rc == 0) {
		char real[PATH_MAX];
		ok(realpath(sub, real) != NULL, "realpath");
		snprintf(want, sizeof(want), "%s/db/x.db", real);
		ok(strcmp(c->database, want) == 0, "database relative to config dir: %s",
		   c->database);
		snprintf(want, sizeof(want), "%s/../run/s", real);
		ok(strcmp(c->control_socket, want) == 0, "socket relative to config dir");
		ok(strcmp(c->backup.dir, "/abs/bk") == 0, "absolute backup dir kept");
		ok(strcmp(c->dir, real) == 0, "dir is the realpath of the directory");
		snprintf(want, sizeof(want), "%s/ddnsd.yaml", real);
		ok(strcmp(c->path, want) == 0, "path absolute");
	}
	cfg_free(c);
	cfg_errors_fini(&e);
	/* messages name the file as given */
	write_file(path, ZONE "bogus: 1\n");
	rc = cfg_load("etc/ddnsd.yaml", &c, &e);
	ok(rc == DD_ECONFIG && e.n == 1 &&
	           strcmp(e.msg[0], "etc/ddnsd.yaml:3: unknown key 'bogus'") == 0,
	   "message uses the path as given");
	cfg_errors_fini(&e);
	if (chdir(cwd) != 0)
		ok(0, "chdir back");
	unlink(path);
	rmdir(sub);
}

static void
test_empty(void)
{
	expect_err("", 1, "missing required key 'zones'", "empty file");
	expect_err("# only a comment\n", 1, "missing required key 'zones'", "comment only");
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ddnsd-test-config.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cfgpath, sizeof(cfgpath), "%s/c.yaml", tmpdir);
	unsetenv("DDNSD_MASTER_TOKEN");

	test_sample();
	test_defaults();
	test_full();
	test_durations();
	test_update_grants();
	test_flow_and_listen();
	test_errors();
	test_syntax();
	test_many_errors();
	test_missing_file();
	test_env();
	test_paths();
	test_empty();

	unlink(cfgpath);
	rmdir(tmpdir);
	return tap_done();
}
