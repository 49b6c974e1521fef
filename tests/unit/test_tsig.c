/* test_tsig.c - TSIG (RFC 8945): interop vectors, error replies, streams, malformed records. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/dd.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "dns/tsig.h"
#include "dns/wire.h"
#include "tests/unit/tap.h"

/*
 * Interop vectors.  A, B, C, D and D1..D3 were produced by dnspython 2.3.0
 * (python3-dnspython, Debian) with time.time patched to T = 1700000000:
 *
 *   S256 = b"ddnsd-tsig-test-secret-sha256!!!"
 *   S512 = b"ddnsd-tsig-test-secret-for-hmac-sha512-must-be-sixty-four-bytes!"
 *   A: u = dns.update.UpdateMessage("example.test.", id=0x1234)
 *      u.add("host", 300, "A", "192.0.2.1")
 *      u.use_tsig(dns.tsig.Key("update-key.", S256, dns.tsig.HMAC_SHA256)); u.to_wire()
 *   B: dns.message.make_query("example.test.", "SOA", id=0xbeef), signed with
 *      dns.tsig.Key("Xfr-Key.", S512, dns.tsig.HMAC_SHA512)   (mixed-case owner)
 *   C: make_query("example.test.", "SOA", id=0x0c0c), signed with
 *      Key("example.test.", S256, HMAC_SHA256)   (dnspython compresses the owner: c00c)
 *   D: make_query("example.test.", "AXFR", id=0x4242), flags 0, signed with
 *      Key("xfr-key.", S512, HMAC_SHA512)
 *   D1..D3: the AXFR response stream, make_response(D) + AA:
 *      D1 = SOA + a.example.test A, to_wire(multi=True) at T+1 (signed, request MAC)
 *      D2 = b.example.test AAAA, unsigned; fed to the stream context: ctx.update(D2)
 *      D3 = SOA, to_wire(multi=True, tsig_ctx=ctx) at T+2 (prev MAC + D2 + D3, timers)
 *      and checked with dns.message.from_wire(..., multi=True, tsig_ctx=...).
 *
 * RA, RB, RT and RS are replies ddnsd produced (tsig_sign_reply) and dnspython
 * checked: dns.message.from_wire(reply, keyring=..., request_mac=<request>.mac)
 * accepted RA (to A, at T+1) and RB (to B, at T+1) and returned the MACs
 * RA_mac and RB_mac; for RT (BADTIME to A at T+400) it raised PeerBadTime and
 * dns.tsig._digest() over the reply verified the MAC; for RS (BADSIG to A with
 * one byte of the A record changed) it raised PeerBadSignature.
 */
#define T 1700000000ull

static const char A[] =
        "123428000001000000010001076578616d706c650474657374000006000104686f7374c00c00010001000001"
        "2c0004c00002010a7570646174652d6b65790000fa00ff00000000003d0b686d61632d736861323536000000"
        "6553f100012c00205c21d747acc7781a37cf8a89d4eeb323b89cfe07eeade3159efe9c939e00df6412340000"
        "0000";
static const char A_mac[] = "5c21d747acc7781a37cf8a89d4eeb323b89cfe07eeade3159efe9c939e00df64";
static const char B[] =
        "beef01000001000000000001076578616d706c6504746573740000060001075866722d4b65790000fa00ff00"
        "000000005d0b686d61632d7368613531320000006553f100012c004017bf24240a32c1294bdac3ddc2b40419"
        "5143257731e877ca409edf517c7b45583439993ca6687e5e0c642ccb84e2d10d19372896c3e0ebc2cf99b75a"
        "a67d1596beef00000000";
static const char C[] =
        "0c0c01000001000000000001076578616d706c6504746573740000060001c00c00fa00ff00000000003d0b68"
        "6d61632d7368613235360000006553f100012c002085c1557b128c6c1c991348183f0b5db35deae9cfa0ac9c"
        "53eaa029b4526d14b60c0c00000000";
static const char D[] =
        "424200000001000000000001076578616d706c6504746573740000fc0001077866722d6b65790000fa00ff00"
        "000000005d0b686d61632d7368613531320000006553f100012c0040f5fe86d62f9208b09a19e970211fb5cb"
        "df2ab3b2fef155c0c6fb3ea58359f272a47031bdf0bc1fa304157afe77838ceb10e099eb605fdfd2bcd2826b"
        "35bb7cd0424200000000";
static const char D_mac[] =
        "f5fe86d62f9208b09a19e970211fb5cbdf2ab3b2fef155c0c6fb3ea58359f272a47031bdf0bc1fa304157afe"
        "77838ceb10e099eb605fdfd2bcd2826b35bb7cd0";
static const char D1[] =
        "424284000001000200000001076578616d706c6504746573740000fc0001c00c0006000100000e100027036e"
        "7331c00c0a686f73746d6173746572c00c00000007000002580000025800093a800000003c0161c00c000100"
        "010000012c0004c0000201077866722d6b65790000fa00ff00000000005d0b686d61632d7368613531320000"
        "006553f101012c0040e0fe5bf9e39f6e5d2a983a63d49dd515d8c2068db10f554323c9898babe9d19d46a1e8"
        "8245baa966de09fdfe65c4ce649d51ed3d942499297b3efe8d437b8b2e424200000000";
static const char D2[] =
        "424284000001000100000000076578616d706c6504746573740000fc00010162c00c001c00010000012c0010"
        "20010db8000000000000000000000002";
static const char D3[] =
        "424284000001000100000001076578616d706c6504746573740000fc0001c00c0006000100000e100027036e"
        "7331c00c0a686f73746d6173746572c00c00000007000002580000025800093a800000003c077866722d6b65"
        "790000fa00ff00000000005d0b686d61632d7368613531320000006553f102012c00407b011bb04c099db1e8"
        "08a6e0334c81f8bea6b9e78935922ec795ee16b766112682c7d996c3092382ca7ee55cca8cd0d82bb7160b5c"
        "f12ce875f1da13b18798ea424200000000";
static const char RA[] =
        "1234a8000001000000000001076578616d706c65047465737400000600010a7570646174652d6b65790000fa"
        "00ff00000000003d0b686d61632d7368613235360000006553f101012c0020fa54eb26a7aaa6f2c12f51d920"
        "ecf1252cb2e116bcdbc1ca5fb49c91be0f3d61123400000000";
static const char RA_mac[] = "fa54eb26a7aaa6f2c12f51d920ecf1252cb2e116bcdbc1ca5fb49c91be0f3d61";
static const char RB[] =
        "beef81000001000000000001076578616d706c6504746573740000060001077866722d6b65790000fa00ff00"
        "000000005d0b686d61632d7368613531320000006553f101012c0040f044d2dfc9f00e091ecb9c973dc1ce4d"
        "c4c42f19c5adcd6ffecc4b180f1a7955ae7f43c3e4e519ef63e71157f940c1a80662a024aca3bae295eac139"
        "37614e8dbeef00000000";
static const char RB_mac[] =
        "f044d2dfc9f00e091ecb9c973dc1ce4dc4c42f19c5adcd6ffecc4b180f1a7955ae7f43c3e4e519ef63e71157"
        "f940c1a80662a024aca3bae295eac13937614e8d";
static const char RT[] =
        "1234a8090001000000000001076578616d706c65047465737400000600010a7570646174652d6b65790000fa"
        "00ff0000000000430b686d61632d7368613235360000006553f100012c00207aafc1417f5525ab55489bc93f"
        "53ba31457fda6c034ab2bcd6a8a0fe2f34f70f12340012000600006553f290";
static const char RS[] =
        "1234a8090001000000000001076578616d706c65047465737400000600010a7570646174652d6b65790000fa"
        "00ff00000000001d0b686d61632d7368613235360000006553f101012c0000123400100000";

static const char S256[] = "ddnsd-tsig-test-secret-sha256!!!";
static const char S512[] = "ddnsd-tsig-test-secret-for-hmac-sha512-must-be-sixty-four-bytes!";

/* keys[0] update-key (SHA256), keys[1] xfr-key (SHA512), keys[2] example.test (SHA256) */
static struct tsig_key keys[3];

/* --- helpers ------------------------------------------------------------- */

static size_t
unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h) / 2;
	if (n > cap)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			abort();
		out[i] = (uint8_t)v;
	}
	return n;
}

static bool
same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen || memcmp(a, b, alen) != 0) {
		diag("length %zu vs %zu", alen, blen);
		for (size_t i = 0; i < alen && i < blen; i++)
			if (a[i] != b[i]) {
				diag("first difference at %zu: %02x vs %02x", i, a[i], b[i]);
				break;
			}
		return false;
	}
	return true;
}

static bool
same_hex(const uint8_t *a, size_t alen, const char *hex)
{
	uint8_t b[4096];
	size_t blen = unhex(hex, b, sizeof(b));
	return same(a, alen, b, blen);
}

/* Copies msg into a heap block of exactly len bytes so ASan sees any overread. */
static uint8_t *
exact(const uint8_t *msg, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	if (!p)
		abort();
	memcpy(p, msg, len);
	return p;
}

static int
verify_req(struct tsig_ctx *ctx, const struct tsig_key *k, size_t nk, const uint8_t *msg,
           size_t len, uint64_t now)
{
	uint8_t *m = exact(msg, len);
	long off = tsig_find(m, len);
	int rc = off < 0 ? (int)off : tsig_verify_request(ctx, k, nk, m, len, (size_t)off, now);
	free(m);
	return rc;
}

static int
verify_rep(struct tsig_ctx *ctx, const uint8_t *msg, size_t len, uint64_t now, bool *present)
{
	uint8_t *m = exact(msg, len);
	int rc = tsig_verify_reply(ctx, m, len, now, present);
	free(m);
	return rc;
}

/* The message without its TSIG: ARCOUNT one less.  Returns the length. */
static size_t
strip(const uint8_t *msg, size_t len, uint8_t *out)
{
	long off = tsig_find(msg, len);
	if (off <= 0)
		abort();
	memcpy(out, msg, (size_t)off);
	dns_wire_put_u16(out + 10, (uint16_t)(dns_wire_get_u16(out + 10) - 1));
	return (size_t)off;
}

/* A reply to req: its header and question, QR set, rcode, no records. */
static size_t
mkreply(const uint8_t *req, size_t len, uint8_t *out, unsigned rcode)
{
	struct dns_pkt p;
	if (dns_pkt_parse(&p, req, len) != 0)
		abort();
	memcpy(out, req, p.question_end);
	dns_wire_put_u16(out + 2, (uint16_t)((p.flags | DNS_FLAG_QR) & ~0xfu) | (uint16_t)rcode);
	memset(out + 6, 0, 6);
	return p.question_end;
}

/* Offsets inside a TSIG RR written by ddnsd (uncompressed names). */
struct tsig_view {
	size_t off;   /* RR start */
	size_t rdata; /* RDATA start */
	size_t time;  /* Time Signed */
	uint16_t mac_len;
	size_t mac;
	uint16_t orig_id, error, other_len;
	size_t other;
};

static bool
view(const uint8_t *msg, size_t len, struct tsig_view *v)
{
	long off = tsig_find(msg, len);
	if (off <= 0)
		return false;
	v->off = (size_t)off;
	int n = dns_dname_wire_len(msg + off, len - (size_t)off);
	if (n < 0)
		return false;
	v->rdata = (size_t)off + (size_t)n + 10;
	n = dns_dname_wire_len(msg + v->rdata, len - v->rdata);
	if (n < 0)
		return false;
	v->time = v->rdata + (size_t)n;
	v->mac_len = dns_wire_get_u16(msg + v->time + 8);
	v->mac = v->time + 10;
	v->orig_id = dns_wire_get_u16(msg + v->mac + v->mac_len);
	v->error = dns_wire_get_u16(msg + v->mac + v->mac_len + 2);
	v->other_len = dns_wire_get_u16(msg + v->mac + v->mac_len + 4);
	v->other = v->mac + v->mac_len + 6;
	return v->other + v->other_len == len;
}

static uint64_t
get_u48(const uint8_t *p)
{
	return (uint64_t)dns_wire_get_u16(p) << 32 | (uint64_t)dns_wire_get_u16(p + 2) << 16 |
	       dns_wire_get_u16(p + 4);
}

/* --- keys ---------------------------------------------------------------- */

static void
test_keys(void)
{
	struct tsig_key k;
	const uint8_t *s = (const uint8_t *)S256;
	uint8_t big[TSIG_SECRET_MAX + 1] = {0};

	is_int(tsig_key_init(&keys[0], "update-key", "hmac-sha256", s, 32), 0, "key sha256");
	is_int(tsig_key_init(&keys[1], "Xfr-Key.", "HMAC-SHA512.", (const uint8_t *)S512, 64), 0,
	       "key sha512, upper case, trailing dots");
	is_int(tsig_key_init(&keys[2], "example.test", "hmac-sha256", s, 32), 0, "key 3");
	ok(keys[1].alg == TSIG_ALG_HMAC_SHA512 && keys[1].name_len == 9 &&
	           memcmp(keys[1].name, "\x07xfr-key", 9) == 0 && keys[1].secret_len == 64,
	   "name lower-cased to wire form, algorithm and secret kept");
	ok(keys[0].alg == TSIG_ALG_HMAC_SHA256 && keys[0].name_len == 12 &&
	           memcmp(keys[0].secret, S256, 32) == 0,
	   "sha256 key fields");
	is_int(tsig_key_init(&k, "k", "hmac-md5", s, 32), DD_EINVAL, "hmac-md5 refused");
	is_int(tsig_key_init(&k, "k", "hmac-sha256..", s, 32), DD_EINVAL, "two dots refused");
	is_int(tsig_key_init(&k, "k", "hmac-sha2561", s, 32), DD_EINVAL, "longer name refused");
	is_int(tsig_key_init(&k, "k", "", s, 32), DD_EINVAL, "empty algorithm refused");
	is_int(tsig_key_init(&k, "k", "hmac-sha256", s, 0), DD_EINVAL, "empty secret refused");
	is_int(tsig_key_init(&k, "k", "hmac-sha256", big, sizeof(big)), DD_EINVAL,
	       "secret over TSIG_SECRET_MAX refused");
	is_int(tsig_key_init(&k, "k", "hmac-sha256", big, TSIG_SECRET_MAX), 0,
	       "secret of TSIG_SECRET_MAX accepted");
	is_int(tsig_key_init(&k, "a..b", "hmac-sha256", s, 32), DD_EINVAL, "bad key name refused");
}

/* --- finding the TSIG ---------------------------------------------------- */

static void
test_find(void)
{
	uint8_t m[1024], x[1100];
	size_t n = unhex(A, m, sizeof(m));
	struct dns_pkt p;

	is_int(dns_pkt_parse(&p, m, n), 0, "vector A parses");
	is_int(tsig_find(m, n), 51, "tsig_find: A's TSIG at 51");
	is_int((long)p.tsig_off, 51, "dns_pkt_parse agrees");
	n = unhex(D1, m, sizeof(m));
	is_int(tsig_find(m, n), 99, "tsig_find on a response with answers");
	n = unhex(D2, m, sizeof(m));
	is_int(tsig_find(m, n), 0, "tsig_find: none in an unsigned message");
	is_int(tsig_find(m, 11), DD_EFORMERR, "shorter than a header");
	is_int(tsig_find(m, n - 1), DD_EFORMERR, "truncated record");
	memcpy(x, m, n);
	x[n] = 0;
	is_int(tsig_find(x, n + 1), DD_EFORMERR, "trailing byte");

	/* a TSIG followed by another additional record */
	n = unhex(A, m, sizeof(m));
	static const uint8_t extra[] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 9};
	memcpy(x, m, n);
	memcpy(x + n, extra, sizeof(extra));
	dns_wire_put_u16(x + 10, 2);
	is_int(tsig_find(x, n + sizeof(extra)), DD_EFORMERR, "TSIG not last");
	/* the TSIG moved from the additional to the authority section */
	memcpy(x, m, n);
	dns_wire_put_u16(x + 8, 2);
	dns_wire_put_u16(x + 10, 0);
	is_int(tsig_find(x, n), DD_EFORMERR, "TSIG in the authority section");
}

/* --- server: verifying requests ------------------------------------------ */

static void
test_verify_vectors(void)
{
	uint8_t m[1024], mac[TSIG_MAC_MAX];
	size_t n;
	struct tsig_ctx ctx;

	n = unhex(A, m, sizeof(m));
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), 0, "A (dnspython, SHA256 UPDATE) verifies");
	ok(ctx.key == &keys[0] && ctx.error == 0 && ctx.orig_id == 0x1234 && ctx.time_signed == T &&
	           ctx.fudge == 300 && ctx.nmsg == 0,
	   "A: ctx holds key, original ID, time, fudge");
	unhex(A_mac, mac, sizeof(mac));
	ok(ctx.mac_len == 32 && memcmp(ctx.mac, mac, 32) == 0, "A: request MAC kept");
	is_int(verify_req(&ctx, keys, 3, m, n, T), 0, "A at its own time");
	is_int(verify_req(&ctx, keys, 3, m, n, T + 300), 0, "A at the edge of fudge (+300)");
	is_int(verify_req(&ctx, keys, 3, m, n, T - 300), 0, "A at the edge of fudge (-300)");
	is_int(verify_req(&ctx, keys, 3, m, n, T + 301), TSIG_RCODE_BADTIME, "A at +301: BADTIME");
	ok(ctx.key == &keys[0] && ctx.error == TSIG_RCODE_BADTIME,
	   "BADTIME: key kept to sign the error");
	is_int(verify_req(&ctx, keys, 3, m, n, T - 301), TSIG_RCODE_BADTIME, "A at -301: BADTIME");
	is_int(verify_req(&ctx, keys, 3, m, n, 0), TSIG_RCODE_BADTIME, "now 0: BADTIME");

	n = unhex(B, m, sizeof(m));
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), 0,
	       "B (dnspython, SHA512, Xfr-Key) verifies");
	ok(ctx.key == &keys[1] && ctx.mac_len == 64, "B: SHA512 key, 64-byte MAC");
	n = unhex(C, m, sizeof(m));
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), 0,
	       "C (dnspython, compressed owner) verifies");
	ok(ctx.key == &keys[2], "C: key found through the compressed owner name");
	n = unhex(D, m, sizeof(m));
	is_int(verify_req(&ctx, keys, 3, m, n, T), 0, "D (dnspython AXFR request) verifies");

	n = unhex(A, m, sizeof(m));
	is_int(tsig_verify_request(&ctx, keys, 3, m, n, 0, T), DD_ENOENT, "no TSIG: DD_ENOENT");
	ok(ctx.key == NULL && ctx.error == 0, "ENOENT: ctx cleared");
}

static void
test_verify_failures(void)
{
	uint8_t m[1024], x[1024];
	size_t n = unhex(A, m, sizeof(m));
	struct tsig_ctx ctx;
	struct tsig_key wrong_alg;

	/* one byte of the A record's address (192.0.2.1 -> 192.0.2.2) */
	memcpy(x, m, n);
	x[47] ^= 3;
	is_int(verify_req(&ctx, keys, 3, x, n, T + 1), TSIG_RCODE_BADSIG, "changed RDATA: BADSIG");
	ok(ctx.key == NULL && ctx.error == TSIG_RCODE_BADSIG, "BADSIG: no key, error set");
	memcpy(x, m, n);
	x[n - 12] ^= 0x80; /* last MAC byte */
	is_int(verify_req(&ctx, keys, 3, x, n, T + 1), TSIG_RCODE_BADSIG, "changed MAC: BADSIG");
	struct tsig_view v;
	ok(view(m, n, &v) && v.time == 86, "view of A");
	memcpy(x, m, n);
	x[v.time + 5] ^= 1; /* last byte of Time Signed: within fudge, so only the MAC sees it */
	is_int(verify_req(&ctx, keys, 3, x, n, T + 1), TSIG_RCODE_BADSIG, "changed time: BADSIG");
	memcpy(x, m, n);
	x[0] ^= 0xff; /* the ID: the digest uses the Original ID (RFC 8945 4.3.3) */
	is_int(verify_req(&ctx, keys, 3, x, n, T + 1), 0, "changed ID alone still verifies");

	/* every other single-byte change is rejected */
	unsigned accepted = 0;
	for (size_t i = 2; i < n; i++) {
		memcpy(x, m, n);
		x[i] ^= 0x01;
		int rc = verify_req(&ctx, keys, 3, x, n, T + 1);
		if (rc == 0) {
			accepted++;
			diag("flip at %zu accepted", i);
		}
		memcpy(x, m, n);
		x[i] ^= 0xa0;
		if (verify_req(&ctx, keys, 3, x, n, T + 1) == 0) {
			accepted++;
			diag("flip 0xa0 at %zu accepted", i);
		}
	}
	is_int(accepted, 0, "no single-byte change after the ID verifies");

	is_int(verify_req(&ctx, keys + 1, 2, m, n, T + 1), TSIG_RCODE_BADKEY,
	       "key name not configured: BADKEY");
	ok(ctx.key == NULL && ctx.error == TSIG_RCODE_BADKEY, "BADKEY: no key, error set");
	ok(ctx.key_name_len == 12 && memcmp(ctx.key_name, "\x0aupdate-key", 12) == 0,
	   "BADKEY: request's key name kept for the error reply");
	is_int(verify_req(&ctx, keys, 0, m, n, T + 1), TSIG_RCODE_BADKEY, "no keys: BADKEY");
	is_int(tsig_key_init(&wrong_alg, "update-key", "hmac-sha512", (const uint8_t *)S256, 32), 0,
	       "same name, other algorithm");
	is_int(verify_req(&ctx, &wrong_alg, 1, m, n, T + 1), TSIG_RCODE_BADKEY,
	       "algorithm mismatch: BADKEY");
	struct tsig_key other_secret = keys[0];
	other_secret.secret[0] ^= 1;
	is_int(verify_req(&ctx, &other_secret, 1, m, n, T + 1), TSIG_RCODE_BADSIG,
	       "other secret: BADSIG");
	/* an unknown key outranks a bad time (RFC 8945 5.2 order) */
	is_int(verify_req(&ctx, keys + 1, 2, m, n, T + 1000), TSIG_RCODE_BADKEY,
	       "unknown key and bad time: BADKEY");
	memcpy(x, m, n);
	x[47] ^= 3;
	is_int(verify_req(&ctx, keys, 3, x, n, T + 1000), TSIG_RCODE_BADSIG,
	       "bad MAC and bad time: BADSIG");
}

/* Rewrites A's MAC to its first newlen bytes (or pads it) and fixes the lengths. */
static size_t
resize_mac(const char *hex, size_t newlen, uint8_t *out)
{
	uint8_t m[1024];
	size_t n = unhex(hex, m, sizeof(m));
	struct tsig_view v;
	if (!view(m, n, &v))
		abort();
	size_t head = v.mac, tail = n - (v.mac + v.mac_len);
	memcpy(out, m, head);
	for (size_t i = 0; i < newlen; i++)
		out[head + i] = i < v.mac_len ? m[v.mac + i] : 0x5a;
	memcpy(out + head + newlen, m + v.mac + v.mac_len, tail);
	dns_wire_put_u16(out + v.time + 8, (uint16_t)newlen);
	uint16_t rdlen = dns_wire_get_u16(m + v.rdata - 2);
	dns_wire_put_u16(out + v.rdata - 2, (uint16_t)(rdlen - v.mac_len + newlen));
	return head + newlen + tail;
}

static void
test_truncation(void)
{
	uint8_t m[1024];
	size_t n;
	struct tsig_ctx ctx;

	/* RFC 8945 5.2.2.1: at least max(10, hash/2) bytes, at most the hash */
	n = resize_mac(A, 16, m);
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), 0, "SHA256 MAC truncated to 16 accepted");
	ok(ctx.mac_len == 16 && ctx.key == &keys[0], "truncated request MAC kept as received");
	n = resize_mac(A, 15, m);
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), DD_EFORMERR, "SHA256 MAC of 15: FORMERR");
	n = resize_mac(A, 10, m);
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), DD_EFORMERR, "SHA256 MAC of 10: FORMERR");
	n = resize_mac(A, 0, m);
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), DD_EFORMERR, "empty MAC: FORMERR");
	n = resize_mac(A, 33, m);
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), DD_EFORMERR,
	       "SHA256 MAC of 33 (longer than the hash): FORMERR");
	n = resize_mac(B, 32, m);
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), 0, "SHA512 MAC truncated to 32 accepted");
	n = resize_mac(B, 31, m);
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), DD_EFORMERR, "SHA512 MAC of 31: FORMERR");
	n = resize_mac(B, 65, m);
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), DD_EFORMERR, "SHA512 MAC of 65: FORMERR");
	/* a truncated MAC must still be a prefix of the right one */
	n = resize_mac(A, 16, m);
	m[n - 7] ^= 1;
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), TSIG_RCODE_BADSIG,
	       "wrong truncated MAC: BADSIG");
}

static void
test_malformed(void)
{
	uint8_t m[1024], x[1024];
	size_t n = unhex(A, m, sizeof(m)), off = 51;
	struct tsig_ctx ctx;
	struct tsig_view v;

	ok(view(m, n, &v), "view of A");
	/* every truncation inside the TSIG RR, with ARCOUNT and RDLENGTH left as they were */
	unsigned bad = 0;
	for (size_t len = off + 1; len < n; len++) {
		uint8_t *p = exact(m, len);
		int rc = tsig_verify_request(&ctx, keys, 3, p, len, off, T + 1);
		if (rc != DD_EFORMERR) {
			bad++;
			diag("truncated to %zu: %d", len, rc);
		}
		if (tsig_find(p, len) != DD_EFORMERR)
			bad++;
		free(p);
	}
	is_int(bad, 0, "every truncated TSIG: DD_EFORMERR from verify and find");

	memcpy(x, m, n);
	dns_wire_put_u16(x + off + 12 + 2, DNS_CLASS_IN);
	is_int(tsig_verify_request(&ctx, keys, 3, x, n, off, T + 1), DD_EFORMERR,
	       "class IN: FORMERR");
	ok(ctx.key == NULL && ctx.error == 0, "FORMERR: nothing to sign with");
	memcpy(x, m, n);
	x[off + 12 + 7] = 1;
	is_int(tsig_verify_request(&ctx, keys, 3, x, n, off, T + 1), DD_EFORMERR, "TTL 1: FORMERR");
	memcpy(x, m, n);
	dns_wire_put_u16(x + v.time + 8, 0xffff);
	is_int(verify_req(&ctx, keys, 3, x, n, T + 1), DD_EFORMERR,
	       "MAC size beyond the RDATA: FORMERR");
	memcpy(x, m, n);
	dns_wire_put_u16(x + v.time + 8, 33);
	is_int(verify_req(&ctx, keys, 3, x, n, T + 1), DD_EFORMERR,
	       "MAC size one past the MAC: FORMERR");
	memcpy(x, m, n);
	dns_wire_put_u16(x + v.other - 2, 1);
	is_int(verify_req(&ctx, keys, 3, x, n, T + 1), DD_EFORMERR,
	       "Other Len beyond the RDATA: FORMERR");
	memcpy(x, m, n);
	dns_wire_put_u16(x + v.rdata - 2, (uint16_t)(n - v.rdata - 1));
	is_int(tsig_verify_request(&ctx, keys, 3, x, n, off, T + 1), DD_EFORMERR,
	       "RDLENGTH one short: FORMERR");
	memcpy(x, m, n);
	dns_wire_put_u16(x + v.rdata - 2, (uint16_t)(n - v.rdata + 1));
	is_int(tsig_verify_request(&ctx, keys, 3, x, n, off, T + 1), DD_EFORMERR,
	       "RDLENGTH one long: FORMERR");
	memcpy(x, m, n);
	x[n] = 0;
	dns_wire_put_u16(x + v.rdata - 2, (uint16_t)(n + 1 - v.rdata));
	is_int(tsig_verify_request(&ctx, keys, 3, x, n + 1, off, T + 1), DD_EFORMERR,
	       "RDATA one byte longer than its fields: FORMERR");
	memcpy(x, m, n);
	x[v.rdata] = 0xc0; /* the algorithm name as a forward pointer */
	x[v.rdata + 1] = (uint8_t)(v.rdata + 5);
	is_int(tsig_verify_request(&ctx, keys, 3, x, n, off, T + 1), DD_EFORMERR,
	       "algorithm name pointing forward: FORMERR");
	memcpy(x, m, n);
	dns_wire_put_u16(x + 10, 0);
	is_int(tsig_verify_request(&ctx, keys, 3, x, n, off, T + 1), DD_EFORMERR,
	       "ARCOUNT 0: FORMERR");
	is_int(tsig_verify_request(&ctx, keys, 3, m, n, 29, T + 1), DD_EFORMERR,
	       "offset of a non-TSIG record: FORMERR");
	is_int(tsig_verify_request(&ctx, keys, 3, m, n, n, T + 1), DD_EFORMERR,
	       "offset at the end: FORMERR");
	is_int(tsig_verify_request(&ctx, keys, 3, m, n, 5, T + 1), DD_EFORMERR,
	       "offset inside the header: FORMERR");
	/* type TSIG but something else follows: the TSIG must end the message */
	memcpy(x, m, n);
	x[n] = 0;
	is_int(tsig_verify_request(&ctx, keys, 3, x, n + 1, off, T + 1), DD_EFORMERR,
	       "byte after the TSIG: FORMERR");

	/* random mutations: no crash, no overread (ASan build), only defined results */
	uint32_t seed = 12345;
	unsigned odd = 0, passed = 0;
	for (int iter = 0; iter < 20000; iter++) {
		memcpy(x, m, n);
		int nflip = 1 + iter % 4;
		for (int j = 0; j < nflip; j++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % n;
			seed = seed * 1103515245u + 12345u;
			x[at] = (uint8_t)(seed >> 16);
		}
		seed = seed * 1103515245u + 12345u;
		size_t len = n - (seed >> 8) % 8;
		int rc = verify_req(&ctx, keys, 3, x, len, T + 1);
		if (rc == 0)
			passed++;
		else if (rc != DD_EFORMERR && rc != DD_ENOENT && rc != TSIG_RCODE_BADSIG &&
		         rc != TSIG_RCODE_BADKEY && rc != TSIG_RCODE_BADTIME)
			odd++;
	}
	is_int(odd, 0, "random mutations give only the documented codes");
	diag("%u mutated messages still verified (ID-only or unchanged)", passed);
}

/* --- server: signing replies --------------------------------------------- */

static void
test_sign_reply(void)
{
	uint8_t m[1024], r[1024], mac[TSIG_MAC_MAX];
	size_t n, rl, plain;
	struct tsig_ctx ctx;
	struct tsig_view v;

	n = unhex(A, m, sizeof(m));
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), 0, "A verified");
	plain = mkreply(m, n, r, DNS_RCODE_NOERROR);
	rl = plain;
	is_int(tsig_sign_reply(&ctx, r, &rl, plain + 10, T + 1), DD_ENOSPC, "tiny cap: ENOSPC");
	ok(rl == plain && dns_wire_get_u16(r + 10) == 0 && ctx.nmsg == 0,
	   "ENOSPC: nothing appended, ctx unchanged");
	is_int(tsig_sign_reply(&ctx, r, &rl, sizeof(r), T + 1), 0, "reply to A signed");
	ok(same_hex(r, rl, RA), "reply to A equals the dnspython-checked vector RA");
	ok(view(r, rl, &v) && v.mac_len == 32 && same_hex(r + v.mac, 32, RA_mac),
	   "its MAC is the one dnspython verified");
	ok(dns_wire_get_u16(r + 10) == 1 && ctx.nmsg == 1 && ctx.mac_len == 32 &&
	           memcmp(ctx.mac, r + v.mac, 32) == 0,
	   "ARCOUNT 1, ctx keeps the reply MAC");
	is_int(rl, plain + 83, "TSIG RR of 83 bytes appended");

	/* the same reply with the exact cap needed */
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), 0, "A verified again");
	rl = mkreply(m, n, r, DNS_RCODE_NOERROR);
	is_int(tsig_sign_reply(&ctx, r, &rl, plain + 82, T + 1), DD_ENOSPC, "cap one short");
	is_int(tsig_sign_reply(&ctx, r, &rl, plain + 83, T + 1), 0, "exact cap");
	ok(same_hex(r, rl, RA), "same bytes after an ENOSPC retry");

	n = unhex(B, m, sizeof(m));
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), 0, "B verified");
	rl = mkreply(m, n, r, DNS_RCODE_NOERROR);
	is_int(tsig_sign_reply(&ctx, r, &rl, sizeof(r), T + 1), 0, "SHA512 reply signed");
	ok(same_hex(r, rl, RB), "reply to B equals the dnspython-checked vector RB");
	ok(view(r, rl, &v) && v.mac_len == 64 && same_hex(r + v.mac, 64, RB_mac),
	   "SHA512 MAC is the one dnspython verified");

	/* BADTIME: signed, request's time, our time in Other Data */
	n = unhex(A, m, sizeof(m));
	is_int(verify_req(&ctx, keys, 3, m, n, T + 400), TSIG_RCODE_BADTIME, "A at T+400");
	rl = mkreply(m, n, r, DNS_RCODE_NOTAUTH);
	is_int(tsig_sign_reply(&ctx, r, &rl, sizeof(r), T + 400), 0, "BADTIME reply signed");
	ok(same_hex(r, rl, RT), "BADTIME reply equals vector RT");
	ok(view(r, rl, &v) && v.error == TSIG_RCODE_BADTIME && v.mac_len == 32 &&
	           get_u48(r + v.time) == T && v.other_len == 6 && get_u48(r + v.other) == T + 400,
	   "BADTIME: error 18, request's time signed, server time in Other Data");

	/* BADSIG: unsigned, the request's names */
	n = unhex(A, m, sizeof(m));
	m[47] ^= 3;
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), TSIG_RCODE_BADSIG, "changed A: BADSIG");
	rl = mkreply(m, n, r, DNS_RCODE_NOTAUTH);
	is_int(tsig_sign_reply(&ctx, r, &rl, sizeof(r), T + 1), 0, "BADSIG reply");
	ok(same_hex(r, rl, RS), "BADSIG reply equals vector RS");
	ok(view(r, rl, &v) && v.error == TSIG_RCODE_BADSIG && v.mac_len == 0 &&
	           v.orig_id == 0x1234 && get_u48(r + v.time) == T + 1,
	   "BADSIG: MAC size 0, error 16");

	/* BADKEY: unsigned, the unknown key's name and algorithm echoed */
	n = unhex(B, m, sizeof(m));
	is_int(verify_req(&ctx, keys, 1, m, n, T + 1), TSIG_RCODE_BADKEY, "B without its key");
	rl = mkreply(m, n, r, DNS_RCODE_NOTAUTH);
	is_int(tsig_sign_reply(&ctx, r, &rl, sizeof(r), T + 1), 0, "BADKEY reply");
	ok(view(r, rl, &v) && v.error == TSIG_RCODE_BADKEY && v.mac_len == 0 &&
	           memcmp(r + v.off, "\x07xfr-key\x00", 9) == 0 &&
	           memcmp(r + v.rdata, "\x0bhmac-sha512\x00", 13) == 0,
	   "BADKEY: MAC size 0, error 17, request's key and algorithm names");

	/* nothing to sign with */
	n = unhex(A, m, sizeof(m));
	is_int(tsig_verify_request(&ctx, keys, 3, m, n, 0, T), DD_ENOENT, "unsigned request");
	rl = mkreply(m, n, r, 0);
	is_int(tsig_sign_reply(&ctx, r, &rl, sizeof(r), T), DD_EINVAL, "sign without key: EINVAL");
	memcpy(r + 10, "\xff\xff", 2);
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), 0, "A verified");
	is_int(tsig_sign_reply(&ctx, r, &rl, sizeof(r), T), DD_EINVAL, "ARCOUNT full: EINVAL");
	rl = 11;
	is_int(tsig_sign_reply(&ctx, r, &rl, sizeof(r), T), DD_EINVAL, "short message: EINVAL");

	/* the reply MAC covers the request MAC: another request gives another MAC */
	n = resize_mac(A, 16, m);
	is_int(verify_req(&ctx, keys, 3, m, n, T + 1), 0, "truncated A verified");
	rl = mkreply(m, n, r, DNS_RCODE_NOERROR);
	is_int(tsig_sign_reply(&ctx, r, &rl, sizeof(r), T + 1), 0, "reply to truncated A");
	unhex(RA_mac, mac, sizeof(mac));
	ok(view(r, rl, &v) && v.mac_len == 32 && memcmp(r + v.mac, mac, 32) != 0,
	   "reply MAC depends on the request MAC");
}

/* --- client side and streams --------------------------------------------- */

static void
test_client(void)
{
	uint8_t m[1024], body[1024], r[1024], mac[TSIG_MAC_MAX];
	size_t n, bl, rl;
	struct tsig_ctx ctx;
	bool present;

	/* our request signing reproduces dnspython's bytes */
	n = unhex(A, m, sizeof(m));
	bl = strip(m, n, body);
	is_int(tsig_sign_request(&ctx, &keys[0], body, &bl, bl + 10, T), DD_ENOSPC,
	       "request: small cap ENOSPC");
	ok(ctx.key == NULL, "ENOSPC: ctx has no key");
	is_int(tsig_sign_request(&ctx, &keys[0], body, &bl, sizeof(body), T), 0, "A re-signed");
	ok(same(body, bl, m, n), "tsig_sign_request reproduces dnspython's A");
	unhex(A_mac, mac, sizeof(mac));
	ok(ctx.mac_len == 32 && memcmp(ctx.mac, mac, 32) == 0 && ctx.nmsg == 0,
	   "client ctx keeps the request MAC");

	/* a failure ends an exchange: each negative check starts from this state */
	struct tsig_ctx base = ctx;

	n = unhex(RA, r, sizeof(r));
	is_int(verify_rep(&ctx, r, n, T + 1, &present), 0, "client verifies RA");
	ok(present && ctx.nmsg == 1 && ctx.error == 0, "RA carried a TSIG");
	ctx = base;
	r[n - 10] ^= 1;
	is_int(verify_rep(&ctx, r, n, T + 1, &present), TSIG_RCODE_BADSIG, "changed MAC: BADSIG");
	ok(present && ctx.nmsg == 0, "present even when bad; not counted");
	r[n - 10] ^= 1;
	ctx = base;
	r[14] ^= 0x20; /* letter case of the question name is covered too */
	is_int(verify_rep(&ctx, r, n, T + 1, &present), TSIG_RCODE_BADSIG, "changed body: BADSIG");
	r[14] ^= 0x20;
	ctx = base;
	is_int(verify_rep(&ctx, r, n, T + 302, &present), TSIG_RCODE_BADTIME,
	       "late reply: BADTIME");
	ctx = base;
	is_int(verify_rep(&ctx, r, n, T + 301, &present), 0, "reply at the edge of its fudge");
	ctx = base;
	ctx.mac[0] ^= 1;
	is_int(verify_rep(&ctx, r, n, T + 1, &present), TSIG_RCODE_BADSIG,
	       "reply to another request MAC: BADSIG");
	ctx = base;
	ctx.key = &keys[2];
	is_int(verify_rep(&ctx, r, n, T + 1, &present), TSIG_RCODE_BADKEY,
	       "reply under another key name: BADKEY");
	struct tsig_key alg512 = keys[0];
	alg512.alg = TSIG_ALG_HMAC_SHA512;
	ctx = base;
	ctx.key = &alg512;
	is_int(verify_rep(&ctx, r, n, T + 1, &present), TSIG_RCODE_BADKEY,
	       "reply under another algorithm: BADKEY");
	ctx = base;
	is_int(verify_rep(&ctx, r, n - 1, T + 1, &present), DD_EFORMERR,
	       "truncated reply: FORMERR");
	ctx = base;
	struct tsig_view v;
	ok(view(r, n, &v), "view of RA");
	dns_wire_put_u16(r + v.rdata - 8, DNS_CLASS_IN); /* the TSIG's CLASS */
	is_int(verify_rep(&ctx, r, n, T + 1, &present), DD_EFORMERR,
	       "reply TSIG class IN: FORMERR");
	ctx = base;
	n = resize_mac(RA, 16, r);
	is_int(verify_rep(&ctx, r, n, T + 1, &present), 0, "reply MAC truncated to 16 accepted");
	ctx = base;
	n = resize_mac(RA, 15, r);
	is_int(verify_rep(&ctx, r, n, T + 1, &present), DD_EFORMERR, "reply MAC of 15: FORMERR");
	ctx = base;
	n = resize_mac(RA, 33, r);
	is_int(verify_rep(&ctx, r, n, T + 1, &present), DD_EFORMERR, "reply MAC of 33: FORMERR");

	ctx = base;
	rl = mkreply(m, unhex(A, m, sizeof(m)), r, 0);
	is_int(verify_rep(&ctx, r, rl, T + 1, &present), DD_EFORMERR,
	       "unsigned first reply: FORMERR");
	ok(!present, "and not present");
	ctx = base;
	n = unhex(RS, r, sizeof(r));
	is_int(verify_rep(&ctx, r, n, T + 1, &present), TSIG_RCODE_BADSIG,
	       "server's unsigned BADSIG reported");
	ok(ctx.error == TSIG_RCODE_BADSIG && present, "ctx->error is the reply's TSIG error");
	ctx = base;
	n = unhex(RT, r, sizeof(r));
	is_int(verify_rep(&ctx, r, n, T, &present), TSIG_RCODE_BADTIME,
	       "server's signed BADTIME reported");
	ok(ctx.error == TSIG_RCODE_BADTIME && ctx.nmsg == 1, "BADTIME reply's MAC verified");
	ctx = base;
	r[n - 1] ^= 1; /* Other Data is covered by the MAC */
	is_int(verify_rep(&ctx, r, n, T, &present), TSIG_RCODE_BADSIG,
	       "BADTIME reply with changed Other Data: BADSIG");
	ctx = base;
	ctx.key = NULL;
	is_int(verify_rep(&ctx, r, n, T, &present), DD_EINVAL, "no key: EINVAL");
}

static void
test_stream_interop(void)
{
	uint8_t m[1024], body[1024], x[1024], mac[TSIG_MAC_MAX];
	size_t n, bl;
	struct tsig_ctx ctx, base;
	bool present;

	/* client: dnspython's request and stream */
	n = unhex(D, m, sizeof(m));
	bl = strip(m, n, body);
	is_int(tsig_sign_request(&ctx, &keys[1], body, &bl, sizeof(body), T), 0, "D re-signed");
	ok(same(body, bl, m, n), "tsig_sign_request reproduces dnspython's AXFR request");
	unhex(D_mac, mac, sizeof(mac));
	ok(ctx.mac_len == 64 && memcmp(ctx.mac, mac, 64) == 0, "request MAC as dnspython's");
	base = ctx;
	n = unhex(D1, m, sizeof(m));
	is_int(verify_rep(&ctx, m, n, T + 2, &present), 0, "D1 verified");
	ok(present, "D1 signed");
	n = unhex(D2, m, sizeof(m));
	is_int(verify_rep(&ctx, m, n, T + 2, &present), 0, "D2 (unsigned) accepted");
	ok(!present && ctx.nunsigned == 1, "D2 unsigned, folded");
	n = unhex(D3, m, sizeof(m));
	is_int(verify_rep(&ctx, m, n, T + 2, &present), 0, "D3 verified over D2");
	ok(present && ctx.nmsg == 3 && ctx.nunsigned == 0, "stream of 3 done");

	/* the unsigned message is covered by the next MAC */
	ctx = base;
	n = unhex(D1, m, sizeof(m));
	is_int(verify_rep(&ctx, m, n, T + 2, &present), 0, "D1 again");
	n = unhex(D2, x, sizeof(x));
	x[n - 1] ^= 1;
	is_int(verify_rep(&ctx, x, n, T + 2, &present), 0, "changed D2 accepted for now");
	n = unhex(D3, m, sizeof(m));
	is_int(verify_rep(&ctx, m, n, T + 2, &present), TSIG_RCODE_BADSIG,
	       "D3 after a changed D2: BADSIG");
	/* dropping the unsigned message is detected too */
	ctx = base;
	n = unhex(D1, m, sizeof(m));
	verify_rep(&ctx, m, n, T + 2, &present);
	n = unhex(D3, m, sizeof(m));
	is_int(verify_rep(&ctx, m, n, T + 2, &present), TSIG_RCODE_BADSIG, "D3 without D2: BADSIG");
	/* a later message is digested with timers only: D1 in second place fails */
	ctx = base;
	n = unhex(D1, m, sizeof(m));
	verify_rep(&ctx, m, n, T + 2, &present);
	is_int(verify_rep(&ctx, m, n, T + 2, &present), TSIG_RCODE_BADSIG, "D1 replayed: BADSIG");
	ctx = base;
	n = unhex(D2, m, sizeof(m));
	is_int(verify_rep(&ctx, m, n, T + 2, &present), DD_EFORMERR, "stream starting unsigned");
	ctx = base;
	n = unhex(D1, m, sizeof(m));
	verify_rep(&ctx, m, n, T + 2, &present);
	n = unhex(D2, m, sizeof(m));
	verify_rep(&ctx, m, n, T + 2, &present);
	n = unhex(D3, m, sizeof(m));
	is_int(verify_rep(&ctx, m, n, T + 2 + 301, &present), TSIG_RCODE_BADTIME,
	       "late D3: BADTIME");

	/* server: our stream for request D is dnspython's stream, byte for byte */
	n = unhex(D, m, sizeof(m));
	is_int(verify_req(&ctx, keys, 3, m, n, T), 0, "server verifies D");
	n = unhex(D1, m, sizeof(m));
	bl = strip(m, n, body);
	is_int(tsig_sign_reply(&ctx, body, &bl, sizeof(body), T + 1), 0, "D1 signed");
	ok(same(body, bl, m, n), "tsig_sign_reply reproduces dnspython's D1");
	n = unhex(D2, m, sizeof(m));
	is_int(tsig_skip_reply(&ctx, m, n), 0, "D2 skipped");
	ok(ctx.nmsg == 2 && ctx.nunsigned == 1, "skip counted");
	n = unhex(D3, m, sizeof(m));
	bl = strip(m, n, body);
	is_int(tsig_sign_reply(&ctx, body, &bl, sizeof(body), T + 2), 0, "D3 signed");
	ok(same(body, bl, m, n), "tsig_sign_reply reproduces dnspython's D3 (over D2)");
}

/*
 * Server signs (s) or skips (u) each message by pattern; the client checks
 * them all.  Returns 0, the client's error, or -20000 - i (server refused
 * message i), -30000 - i (presence wrong), -100/-101 (setup).
 */
static int
run_stream(const char *pattern, const struct tsig_key *key, unsigned *verified)
{
	uint8_t req[512], msg[512];
	size_t rl, ml;
	struct tsig_ctx cli, srv;
	bool present;
	int rc;

	/* request: AXFR for example.test */
	static const uint8_t q[] = {0x77, 0x77, 0,   0,   0,   1,   0,   0,   0,   0,
	                            0,    0,    7,   'e', 'x', 'a', 'm', 'p', 'l', 'e',
	                            4,    't',  'e', 's', 't', 0,   0,   252, 0,   1};
	memcpy(req, q, sizeof(q));
	rl = sizeof(q);
	if (tsig_sign_request(&cli, key, req, &rl, sizeof(req), T) != 0)
		return -100;
	if (tsig_verify_request(&srv, key, 1, req, rl, (size_t)tsig_find(req, rl), T) != 0)
		return -101;
	*verified = 0;
	for (size_t i = 0; pattern[i]; i++) {
		/* each message: the question and one A record whose address is i */
		ml = mkreply(req, rl, msg, 0);
		static const uint8_t a[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0};
		memcpy(msg + ml, a, sizeof(a));
		msg[ml + sizeof(a)] = (uint8_t)(i >> 8);
		msg[ml + sizeof(a) + 1] = (uint8_t)i;
		ml += sizeof(a) + 2;
		dns_wire_put_u16(msg + 6, 1);
		if (pattern[i] == 's')
			rc = tsig_sign_reply(&srv, msg, &ml, sizeof(msg), T + i / 50);
		else
			rc = tsig_skip_reply(&srv, msg, ml);
		if (rc != 0)
			return -(int)(20000 + i);
		rc = tsig_verify_reply(&cli, msg, ml, T + i / 50, &present);
		if (rc != 0)
			return rc;
		if (present != (pattern[i] == 's'))
			return -(int)(30000 + i);
		if (present)
			++*verified;
	}
	return 0;
}

static void
test_stream_self(void)
{
	char pat[256];
	unsigned nv;

	is_int(run_stream("susus", &keys[0], &nv), 0, "SHA256 stream s u s u s");
	is_int(nv, 3, "three signed");
	is_int(run_stream("suuus", &keys[1], &nv), 0, "SHA512 stream s u u u s");
	is_int(run_stream("sssss", &keys[1], &nv), 0, "every message signed");
	is_int(nv, 5, "five signed");
	memset(pat, 'u', sizeof(pat));
	pat[0] = 's';
	pat[100] = 's';
	pat[101] = 0;
	is_int(run_stream(pat, &keys[0], &nv), 0, "99 unsigned in a row accepted");
	pat[100] = 'u';
	pat[101] = 's';
	pat[102] = 0;
	is_int(run_stream(pat, &keys[0], &nv), -20100, "100th unsigned refused by the server");
	is_int(run_stream("us", &keys[0], &nv), -20000, "first message must be signed (server)");

	/* skipping is for later messages of a good exchange only */
	{
		uint8_t m[1024];
		size_t n = unhex(D, m, sizeof(m));
		struct tsig_ctx c;
		is_int(verify_req(&c, keys, 3, m, n, T), 0, "D verified");
		is_int(tsig_skip_reply(&c, m, n), DD_EINVAL, "skip before the first reply: EINVAL");
		is_int(verify_req(&c, keys, 3, m, n, T + 1000), TSIG_RCODE_BADTIME, "D late");
		c.nmsg = 1;
		is_int(tsig_skip_reply(&c, m, n), DD_EINVAL, "skip in an exchange with an error");
	}

	/* the client side of the 100 limit */
	uint8_t req[512], msg[512];
	size_t rl, ml;
	struct tsig_ctx cli, srv;
	bool present;
	static const uint8_t q[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 252, 0, 1};
	memcpy(req, q, sizeof(q));
	rl = sizeof(q);
	tsig_sign_request(&cli, &keys[0], req, &rl, sizeof(req), T);
	tsig_verify_request(&srv, &keys[0], 1, req, rl, (size_t)tsig_find(req, rl), T);
	ml = mkreply(req, rl, msg, 0);
	tsig_sign_reply(&srv, msg, &ml, sizeof(msg), T);
	is_int(tsig_verify_reply(&cli, msg, ml, T, &present), 0, "first signed");
	ml = mkreply(req, rl, msg, 0);
	int rc = 0;
	for (int i = 0; i < TSIG_UNSIGNED_MAX && rc == 0; i++)
		rc = tsig_verify_reply(&cli, msg, ml, T, &present);
	is_int(rc, 0, "client: 99 unsigned accepted");
	is_int(tsig_verify_reply(&cli, msg, ml, T, &present), TSIG_RCODE_BADSIG,
	       "client: 100th unsigned is BADSIG");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_keys();
	test_find();
	test_verify_vectors();
	test_verify_failures();
	test_truncation();
	test_malformed();
	test_sign_reply();
	test_client();
	test_stream_interop();
	test_stream_self();
	return tap_done();
}
