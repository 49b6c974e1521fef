/*
 * fuzz_tsig.c - libFuzzer target: TSIG (RFC 8945) over any bytes, both
 * sides.
 *
 * The first byte picks a clock offset; the rest is one message, or, split
 * at each "\xff\xfe" pair, a stream of replies.  Server side: tsig_find and
 * tsig_verify_request against an hmac-sha256 and an hmac-sha512 key; on
 * success or BADTIME the reply is signed into a buffer of the size the
 * input asks for.  Client side: a fixed request is signed and every piece
 * goes through tsig_verify_reply in order.
 *
 * Invariants: tsig_find and tsig_verify_request agree with their return
 * codes as documented (BADKEY and BADSIG leave no key, a verified request
 * has one); tsig_sign_reply either appends exactly one record (ARCOUNT + 1)
 * or leaves the buffer as it was; and a message with no TSIG that
 * tsig_sign_request signs is found by tsig_find, verifies with the right key,
 * and fails with BADSIG once a byte of its MAC is flipped.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/dd.h"
#include "dns/pkt.h"
#include "dns/tsig.h"
#include "dns/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW     1700000000ull
#define BUF_MAX 4096

static struct tsig_key keys[2];

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
	static const uint8_t s1[] = "0123456789abcdef0123456789abcdef";
	static const uint8_t s2[] = "fedcba9876543210fedcba9876543210fedcba9876543210";

	if (done)
		return;
	done = true;
	check(sodium_init() >= 0);
	check(tsig_key_init(&keys[0], "update-key", "hmac-sha256", s1, sizeof(s1) - 1) == 0);
	check(tsig_key_init(&keys[1], "xfr-key.example.", "HMAC-SHA512.", s2, sizeof(s2) - 1) == 0);
}

static uint16_t
arcount(const uint8_t *m)
{
	return (uint16_t)(m[10] << 8 | m[11]);
}

/* Server side over one message. */
static void
server(const uint8_t *msg, size_t len, uint64_t now, size_t cap)
{
	static uint8_t buf[BUF_MAX + 512];
	struct tsig_ctx ctx;
	long off = tsig_find(msg, len);
	int rc;

	check(off == DD_EFORMERR || off >= 0);
	check(off <= 0 || (size_t)off >= DNS_HDR_LEN);
	check(off <= 0 || (size_t)off < len);
	rc = tsig_verify_request(&ctx, keys, 2, msg, len, off > 0 ? (size_t)off : 0, now);
	if (off <= 0) {
		check(rc == DD_ENOENT);
		return;
	}
	check(rc == 0 || rc == DD_EFORMERR || rc == TSIG_RCODE_BADKEY ||
	      rc == TSIG_RCODE_BADSIG || rc == TSIG_RCODE_BADTIME);
	if (rc == DD_EFORMERR || rc == TSIG_RCODE_BADKEY || rc == TSIG_RCODE_BADSIG)
		check(ctx.key == NULL);
	if (rc == 0 || rc == TSIG_RCODE_BADTIME)
		check(ctx.key == &keys[0] || ctx.key == &keys[1]);
	if (rc == DD_EFORMERR)
		return;
	/* the reply: the request's header and question, signed or carrying the error */
	{
		size_t n = len < DNS_HDR_LEN ? len : DNS_HDR_LEN, before;
		uint16_t ar;
		int s;

		if (cap > BUF_MAX)
			cap = BUF_MAX;
		if (cap < n)
			cap = n;
		memcpy(buf, msg, n);
		buf[2] |= 0x80;
		buf[4] = buf[5] = buf[6] = buf[7] = buf[8] = buf[9] = 0;
		buf[10] = buf[11] = 0;
		before = n;
		ar = arcount(buf);
		memset(buf + n, 0xa5, sizeof(buf) - n);
		s = tsig_sign_reply(&ctx, buf, &n, cap, now);
		check(s == 0 || s == DD_ENOSPC || s == DD_EINVAL);
		if (s == 0) {
			check(n > before && n <= cap);
			check(arcount(buf) == ar + 1);
			check(tsig_find(buf, n) == (long)before);
		} else {
			check(n == before && arcount(buf) == ar);
			check(buf[before] == 0xa5);
		}
	}
}

/* Client side: a fixed request signed with key k, then each piece as a reply. */
static void
client(const uint8_t *data, size_t size, uint64_t now, int k)
{
	static uint8_t req[512];
	static const uint8_t q[] = {0x12, 0x34, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
				    0x00, 0x00, 3,    'd',  'y',  'n',  7,    'e',  'x',  'a',
				    'm',  'p',  'l',  'e',  4,    't',  'e',  's',  't',  0,
				    0x00, 0xfc, 0x00, 0x01};
	struct tsig_ctx ctx;
	size_t len = sizeof(q), start = 0;

	memcpy(req, q, sizeof(q));
	check(tsig_sign_request(&ctx, &keys[k], req, &len, sizeof(req), now) == 0);
	for (size_t i = 0; i <= size; i++) {
		bool present = false;
		int rc;

		if (i < size && !(i + 1 < size && data[i] == 0xff && data[i + 1] == 0xfe))
			continue;
		rc = tsig_verify_reply(&ctx, data + start, i - start, now, &present);
		if (rc != 0)
			return; /* the exchange is over */
		start = i + 2;
		i++;
	}
}

/* A message without a TSIG, signed here, verifies; a flipped MAC byte does not. */
static void
roundtrip(const uint8_t *msg, size_t len, uint64_t now, int k)
{
	static uint8_t buf[BUF_MAX + 512];
	struct tsig_ctx c, s;
	size_t n = len;
	long off;

	if (len < DNS_HDR_LEN || len > BUF_MAX || tsig_find(msg, len) != 0 || arcount(msg) == 0xffff)
		return;
	memcpy(buf, msg, len);
	if (tsig_sign_request(&c, &keys[k], buf, &n, sizeof(buf), now) != 0)
		return;
	off = tsig_find(buf, n);
	check(off == (long)len);
	check(tsig_verify_request(&s, keys, 2, buf, n, (size_t)off, now) == 0);
	check(s.key == &keys[k]);
	/* the MAC is the last field but the 6 of Original ID, Error, Other Len */
	buf[n - 6 - 1] ^= 0x01;
	check(tsig_verify_request(&s, keys, 2, buf, n, (size_t)off, now) == TSIG_RCODE_BADSIG);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t now;
	size_t cap;

	setup();
	if (size < 2)
		return 0;
	/* within the fudge, or up to ~1000 s either side of it */
	now = NOW + (uint64_t)(int64_t)((int8_t)data[0]) * 8;
	cap = DNS_HDR_LEN + (size_t)data[1] * 4;
	data += 2;
	size -= 2;
	server(data, size, now, cap);
	client(data, size, now, size & 1);
	roundtrip(data, size, now, (int)(size >> 1 & 1));
	return 0;
}
