/* test_acme.c - acme-dns accounts, TXT values, allowfrom CIDRs and TXT rotation. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "http/acme.h"
#include "tests/unit/tap.h"

static void
test_uuid(void)
{
	char a[ACME_UUID_LEN + 1], b[ACME_UUID_LEN + 1], tiny[4] = "xyz";
	int i, good = 1;

	for (i = 0; i < 200; i++) {
		acme_uuid_build(a, sizeof(a));
		if (strlen(a) != ACME_UUID_LEN || !acme_uuid_is_valid(a) || a[14] != '4' ||
		    !strchr("89ab", a[19]))
			good = 0;
	}
	ok(good, "200 uuids: 36 chars, version 4, RFC 4122 variant");
	acme_uuid_build(b, sizeof(b));
	ok(strcmp(a, b) != 0, "uuids differ");
	acme_uuid_build(tiny, sizeof(tiny));
	ok(tiny[0] == '\0', "short buffer: empty string");

	ok(acme_uuid_is_valid("c36f50e8-4632-44f0-83fe-e070fef28a10"), "acme-dns example valid");
	ok(acme_uuid_is_valid("C36F50E8-4632-44F0-83FE-E070FEF28A10"), "upper case valid");
	ok(!acme_uuid_is_valid("c36f50e8-4632-44f0-83fe-e070fef28a1"), "short invalid");
	ok(!acme_uuid_is_valid("c36f50e8-4632-44f0-83fe-e070fef28a100"), "long invalid");
	ok(!acme_uuid_is_valid("c36f50e8x4632-44f0-83fe-e070fef28a10"), "bad dash invalid");
	ok(!acme_uuid_is_valid("g36f50e8-4632-44f0-83fe-e070fef28a10"), "non-hex invalid");
	ok(!acme_uuid_is_valid(""), "empty invalid");
}

static void
test_password(void)
{
	char p[ACME_PASSWORD_LEN + 1], q[ACME_PASSWORD_LEN + 1];
	unsigned char h1[ACME_HASH_LEN], h2[ACME_HASH_LEN];
	size_t i;
	int good = 1;

	acme_password_build(p, sizeof(p));
	acme_password_build(q, sizeof(q));
	is_int(strlen(p), ACME_PASSWORD_LEN, "password is 40 chars");
	for (i = 0; p[i]; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
		            p[i]))
			good = 0;
	ok(good, "password alphabet is base64url");
	ok(strcmp(p, q) != 0, "passwords differ");
	acme_password_hash(p, h1);
	acme_password_hash(p, h2);
	ok(memcmp(h1, h2, sizeof(h1)) == 0, "hash is deterministic");
	acme_password_hash(q, h2);
	ok(memcmp(h1, h2, sizeof(h1)) != 0, "different passwords, different hashes");
}

static void
test_txt(void)
{
	ok(acme_txt_is_valid("LHDhK3oGRvkiefQnx7OOczTY5Tic_xZ6HcMOc_gmtoM"), "43 base64url valid");
	ok(acme_txt_is_valid("___validation_token_recieved_from_the_ca___"),
	   "README example valid");
	ok(!acme_txt_is_valid("LHDhK3oGRvkiefQnx7OOczTY5Tic_xZ6HcMOc_gmto"), "42 chars invalid");
	ok(!acme_txt_is_valid("LHDhK3oGRvkiefQnx7OOczTY5Tic_xZ6HcMOc_gmtoMM"), "44 invalid");
	ok(!acme_txt_is_valid("LHDhK3oGRvkiefQnx7OOczTY5Tic+xZ6HcMOc/gmtoM"), "+/ invalid");
	ok(!acme_txt_is_valid("LHDhK3oGRvkiefQnx7OOczTY5Tic xZ6HcMOc_gmtoM"), "space invalid");
	ok(!acme_txt_is_valid("LHDhK3oGRvkiefQnx7OOczTY5Tic\"xZ6HcMOc_gmtoM"), "quote invalid");
	ok(!acme_txt_is_valid(""), "empty invalid");
}

static void
test_cidr(void)
{
	ok(acme_cidr_is_valid("192.168.100.1/24"), "v4 cidr with host bits valid");
	ok(acme_cidr_is_valid("1.2.3.4/32"), "v4 /32 valid");
	ok(acme_cidr_is_valid("0.0.0.0/0"), "v4 /0 valid");
	ok(acme_cidr_is_valid("2002:c0a8:2a00::0/40"), "v6 cidr valid");
	ok(acme_cidr_is_valid("::1"), "bare address valid");
	ok(!acme_cidr_is_valid("1.2.3.4/33"), "v4 /33 invalid");
	ok(!acme_cidr_is_valid("::/129"), "v6 /129 invalid");
	ok(!acme_cidr_is_valid("1.2.3.4/"), "empty prefix invalid");
	ok(!acme_cidr_is_valid("1.2.3.4/-1"), "negative prefix invalid");
	ok(!acme_cidr_is_valid("1.2.3.4/ 8"), "blank prefix invalid");
	ok(!acme_cidr_is_valid("1.2.3.4/0008"), "long prefix invalid");
	ok(!acme_cidr_is_valid("/24"), "no address invalid");
	ok(!acme_cidr_is_valid("example.com/24"), "name invalid");
	ok(!acme_cidr_is_valid(""), "empty invalid");

	ok(acme_cidr_contains("192.168.100.1/24", "192.168.100.200"), "v4 inside");
	ok(!acme_cidr_contains("192.168.100.1/24", "192.168.101.1"), "v4 outside");
	ok(acme_cidr_contains("10.0.0.0/9", "10.127.255.255"), "v4 /9 inside");
	ok(!acme_cidr_contains("10.0.0.0/9", "10.128.0.0"), "v4 /9 outside");
	ok(acme_cidr_contains("0.0.0.0/0", "203.0.113.1"), "v4 /0 everything");
	ok(acme_cidr_contains("1.2.3.4", "1.2.3.4"), "bare v4 matches itself");
	ok(!acme_cidr_contains("1.2.3.4", "1.2.3.5"), "bare v4 only itself");
	ok(acme_cidr_contains("2002:c0a8:2a00::0/40", "2002:c0a8:2aff::1"), "v6 inside");
	ok(!acme_cidr_contains("2002:c0a8:2a00::0/40", "2002:c0a8:2b00::1"), "v6 outside");
	ok(acme_cidr_contains("127.0.0.0/8", "::ffff:127.0.0.1"), "v4-mapped client is v4");
	ok(!acme_cidr_contains("::/0", "127.0.0.1"), "v6 cidr, v4 client: no");
	ok(!acme_cidr_contains("0.0.0.0/0", "::1"), "v4 cidr, v6 client: no");
	ok(!acme_cidr_contains("1.2.3.4/33", "1.2.3.4"), "invalid cidr matches nothing");
	ok(!acme_cidr_contains("1.2.3.0/24", "garbage"), "invalid client matches nothing");
}

static void
test_rotation(void)
{
	const char *a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	const char *b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	const char *c = "ccccccccccccccccccccccccccccccccccccccccccc";
	const char *cur[2], *out[ACME_TXT_KEEP];
	size_t n;

	n = acme_txt_next(cur, 0, a, out);
	ok(n == 1 && out[0] == a, "empty RRset: [new]");
	cur[0] = a;
	n = acme_txt_next(cur, 1, b, out);
	ok(n == 2 && out[0] == a && out[1] == b, "[a] + b: [a, b]");
	n = acme_txt_next(cur, 1, a, out);
	ok(n == 1 && out[0] == a, "[a] + a: [a] (unchanged)");
	cur[1] = b;
	n = acme_txt_next(cur, 2, c, out);
	ok(n == 2 && out[0] == b && out[1] == c, "[a, b] + c: [b, c]");
	n = acme_txt_next(cur, 2, b, out);
	ok(n == 2 && out[0] == a && out[1] == b, "[a, b] + b: [a, b] (unchanged)");
	n = acme_txt_next(cur, 2, a, out);
	ok(n == 2 && out[0] == b && out[1] == a, "[a, b] + a: [b, a] (same set)");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_uuid();
	test_password();
	test_txt();
	test_cidr();
	test_rotation();
	return tap_done();
}
