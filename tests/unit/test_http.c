/* test_http.c - names, client addresses and rate limits of the HTTP API. */
#include <string.h>

#include "daemon/auth.h"
#include "daemon/clientip.h"
#include "daemon/config.h"
#include "daemon/dd.h"
#include "daemon/names.h"
#include "dns/rdata.h"
#include "http/ratelimit.h"
#include "tests/unit/tap.h"

static void
test_names(void)
{
	char z1[] = "dyn.example.test", z2[] = "other.test";
	struct cfg_zone zones[2] = {{.name = z1}, {.name = z2}};
	struct cfg one = {.zones = zones, .nzones = 1}, two = {.zones = zones, .nzones = 2};
	char out[NAME_TEXT_MAX];

	is_int(names_resolve(&one, "home", out, sizeof(out)), 0, "relative name, one zone");
	ok(strcmp(out, "home.dyn.example.test") == 0, "relative -> %s", out);
	is_int(names_resolve(&one, "Home.Dyn.Example.Test.", out, sizeof(out)), 0, "full name");
	ok(strcmp(out, "home.dyn.example.test") == 0, "lower case, no trailing dot (%s)", out);
	is_int(names_resolve(&one, "host.nowhere.test.", out, sizeof(out)), DD_ENOENT,
	       "a trailing dot makes a name absolute: outside the zone");
	is_int(names_resolve(&one, "*.lb", out, sizeof(out)), 0, "wildcard");
	ok(strcmp(out, "*.lb.dyn.example.test") == 0, "wildcard name (%s)", out);
	is_int(names_resolve(&one, "_acme-challenge.home", out, sizeof(out)), 0, "underscore");
	is_int(names_resolve(&one, "@", out, sizeof(out)), 0, "@ is the apex");
	ok(strcmp(out, "dyn.example.test") == 0, "apex (%s)", out);
	is_int(names_resolve(&one, "bücher", out, sizeof(out)), 0, "IDN");
	ok(strcmp(out, "xn--bcher-kva.dyn.example.test") == 0, "IDN as punycode (%s)", out);
	is_int(names_resolve(&one, "a..b", out, sizeof(out)), DD_EINVAL, "empty label");
	is_int(names_resolve(&one, "a b", out, sizeof(out)), DD_EINVAL, "space");
	is_int(names_resolve(&one, "a.*.b", out, sizeof(out)), DD_EINVAL, "inner *");
	{
		char label[70];
		memset(label, 'a', 64);
		label[64] = '\0';
		is_int(names_resolve(&one, label, out, sizeof(out)), DD_EINVAL, "64-byte label");
	}
	is_int(names_resolve(&two, "home", out, sizeof(out)), DD_ENOENT,
	       "relative with two zones is refused");
	is_int(names_resolve(&two, "a.other.test", out, sizeof(out)), 1, "second zone's name");
	is_int(names_resolve(&two, "a.elsewhere.test", out, sizeof(out)), DD_ENOENT,
	       "outside every zone");

	is_int(names_value(1, "192.0.2.1", out, sizeof(out)), 0, "A");
	is_int(names_value(1, "192.0.2", out, sizeof(out)), DD_EINVAL, "short A");
	is_int(names_value(1, "2001:db8::1", out, sizeof(out)), DD_EINVAL, "IPv6 as A");
	is_int(names_value(28, "2001:0DB8:0:0:0:0:0:1", out, sizeof(out)), 0, "AAAA long form");
	ok(strcmp(out, "2001:db8::1") == 0, "AAAA canonical (%s)", out);
	is_int(names_value(28, "::ffff:192.0.2.1", out, sizeof(out)), 0, "AAAA mapped form");
	is_int(names_value(5, "Target.Example.", out, sizeof(out)), 0, "CNAME");
	ok(strcmp(out, "target.example") == 0, "CNAME canonical (%s)", out);
	is_int(names_value(16, "v=spf1 -all", out, sizeof(out)), 0, "TXT");
	{
		char big[300];
		memset(big, 'x', 256);
		big[256] = '\0';
		is_int(names_value(16, big, out, sizeof(out)), DD_EINVAL, "TXT over 255 bytes");
	}
	is_int(names_value(16, "a\nb", out, sizeof(out)), DD_EINVAL, "TXT with a control byte");
	is_int(dns_stored_type_parse("aaaa"), 28, "type names any case");
	is_int(dns_stored_type_parse("MX"), 0, "unsupported type");
	is_int(names_ip_family("10.0.0.1"), 4, "family 4");
	is_int(names_ip_family("fe80::1"), 6, "family 6");
	is_int(names_ip_family("x"), 0, "not an address");
}

static void
test_clientip(void)
{
	char p1[] = "10.0.0.0/8", p2[] = "::1", p3[] = "192.0.2.7";
	char *trusted[] = {p1, p2, p3};
	char out[64];

	ok(clientip_in_list("10.1.2.3", trusted, 3), "inside a /8");
	ok(!clientip_in_list("11.1.2.3", trusted, 3), "outside");
	ok(clientip_in_list("::1", trusted, 3), "IPv6 exact");
	ok(clientip_in_list("::ffff:10.9.9.9", trusted, 3), "IPv4-mapped IPv6 matches IPv4");
	ok(!clientip_in_list("junk", trusted, 3), "junk never matches");
	{
		char m[] = "::ffff:192.0.2.0/120";
		char *mapped[] = {m};
		ok(clientip_in_list("192.0.2.7", mapped, 1), "an IPv4-mapped network holds IPv4");
		ok(!clientip_in_list("192.0.3.7", mapped, 1), "and only its own addresses");
	}
	{
		/* what a user's pool check may reach: globally reachable unicast only */
		static const char *const internal[] = {
			"127.0.0.1", "169.254.169.254", "10.1.2.3", "172.31.0.1", "192.168.0.1",
			"100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.1",
			"::1", "::", "fe80::1", "fd00::1", "ff02::1", "2001:db8::1",
			"::ffff:127.0.0.1", "::ffff:169.254.169.254", "not-an-address", "8.8.8.0/24"};
		static const char *const global[] = {"8.8.8.8", "1.1.1.1", "93.184.216.34",
						     "2606:4700:4700::1111", "2a00:1450::1",
						     "::ffff:8.8.8.8"};
		for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
			ok(clientip_internal(internal[i]), "internal: %s", internal[i]);
		for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++)
			ok(!clientip_internal(global[i]), "globally reachable: %s", global[i]);
	}
	clientip_pick("203.0.113.1", "1.2.3.4", NULL, trusted, 3, out, sizeof(out));
	ok(strcmp(out, "203.0.113.1") == 0, "untrusted peer: forwarded header ignored (%s)", out);
	clientip_pick("10.0.0.1", "198.51.100.9, 192.0.2.7", NULL, trusted, 3, out, sizeof(out));
	ok(strcmp(out, "198.51.100.9") == 0, "right-most untrusted hop (%s)", out);
	clientip_pick("10.0.0.1", "spoofed, 198.51.100.9", NULL, trusted, 3, out, sizeof(out));
	ok(strcmp(out, "198.51.100.9") == 0, "left of the client is not trusted (%s)", out);
	clientip_pick("10.0.0.1", NULL, "198.51.100.10", trusted, 3, out, sizeof(out));
	ok(strcmp(out, "198.51.100.10") == 0, "X-Real-IP from a trusted peer (%s)", out);
	clientip_pick("10.0.0.1", NULL, "nonsense", trusted, 3, out, sizeof(out));
	ok(strcmp(out, "10.0.0.1") == 0, "invalid X-Real-IP ignored (%s)", out);
}

static void
test_ratelimit(void)
{
	struct ratelimit *rl = ratelimit_create(60, 5, 64);
	uint64_t t = 1000000;
	int allowed = 0;

	for (int i = 0; i < 20; i++)
		allowed += ratelimit_take(rl, "a", 1, t) == 0;
	is_int(allowed, 5, "a burst of 5 then empty");
	ok(ratelimit_take(rl, "a", 1, t) >= 1, "empty bucket says when to retry");
	is_int(ratelimit_take(rl, "b", 1, t), 0, "another key has its own bucket");
	is_int(ratelimit_take(rl, "a", 1, t + 1000), 0, "one token back after a second at 60/min");
	ok(ratelimit_take(rl, "a", 1, t + 1000) > 0, "and only one");
	ok(ratelimit_take(rl, "c", 10, t) > 0, "a cost above the bucket is refused");
	ratelimit_charge(rl, "d", 10, t);
	ok(ratelimit_take(rl, "d", 1, t) > 0, "a charge above the bucket leaves it in debt");
	ok(ratelimit_take(rl, "d", 1, t + 5000) > 0, "debt is paid back first (5 s at 60/min)");
	is_int(ratelimit_take(rl, "d", 1, t + 11000), 0, "then requests pass again");
	/* 1000 keys through 64 slots: each new key must get a slot of its own
	 * with a full bucket (burst 5, then refused), not a recycled slot that
	 * still holds its previous key's tokens or debt */
	int fresh = 0;
	for (int i = 0; i < 1000; i++) {
		char k[16];
		int got = 0;
		snprintf(k, sizeof(k), "k%d", i);
		for (int j = 0; j < 5; j++)
			got += ratelimit_take(rl, k, 1, t) == 0;
		fresh += got == 5 && ratelimit_take(rl, k, 1, t) > 0;
	}
	is_int(fresh, 1000, "1000 keys in 64 slots: every key gets a full bucket of its own");
	ratelimit_destroy(rl);
}

static void
test_auth_rules(void)
{
	struct auth_principal master = {.kind = AUTH_MASTER, .admin = true};
	struct auth_principal user = {.kind = AUTH_USER, .user_id = 7};
	struct auth_principal admin = {.kind = AUTH_USER, .user_id = 8, .admin = true};
	struct auth_principal scoped = {.kind = AUTH_SCOPED, .user_id = 7};

	snprintf(scoped.scope, sizeof(scoped.scope), "home.dyn.example.test");
	ok(auth_may_write(&master, "x.dyn.example.test", 9), "master writes anything");
	ok(auth_may_write(&admin, "x.dyn.example.test", 9), "admin writes another's name");
	ok(auth_may_write(&user, "x.dyn.example.test", 0), "user claims a free name");
	ok(auth_may_write(&user, "x.dyn.example.test", 7), "user writes their own");
	ok(!auth_may_write(&user, "x.dyn.example.test", 9), "user may not write another's");
	ok(auth_may_write(&scoped, "home.dyn.example.test", 7), "scoped: its name");
	ok(auth_may_write(&scoped, "_acme-challenge.home.dyn.example.test", 7),
	   "scoped: its _acme-challenge child");
	ok(!auth_may_write(&scoped, "x.home.dyn.example.test", 7), "scoped: no other child");
	ok(!auth_may_write(&scoped, "nas.dyn.example.test", 0), "scoped: no free names");
	ok(!auth_may_read(&user, "x.dyn.example.test", 0), "user does not list free names");
	ok(auth_username_valid("alice-2"), "valid username");
	ok(!auth_username_valid("-alice"), "leading hyphen");
	ok(!auth_username_valid("Alice"), "upper case");
	ok(!auth_username_valid(""), "empty");
}

int
main(void)
{
	test_names();
	test_clientip();
	test_ratelimit();
	test_auth_rules();
	return tap_done();
}
