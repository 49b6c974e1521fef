/* test_zonefile.c - RFC 1035 master files: reading, errors with file:line, writing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/dd.h"
#include "dns/rdata.h"
#include "dns/zonefile.h"
#include "tests/unit/tap.h"

#define ZONE "example.test"

static int
parse(const char *text, struct zf_result *r)
{
	return zf_parse_buf(text, strlen(text), "t.zone", ZONE, 3600, r);
}

static const struct zf_record *
find(const struct zf_result *r, const char *name, uint16_t type, size_t nth)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->rr[i].name, name) == 0 && r->rr[i].type == type && nth-- == 0)
			return &r->rr[i];
	return NULL;
}

/* True when some error starts with prefix ("t.zone:3: ") and contains what. */
static bool
has_error(const struct zf_result *r, const char *prefix, const char *what)
{
	for (size_t i = 0; i < r->nerrors; i++)
		if (strncmp(r->errors[i], prefix, strlen(prefix)) == 0 &&
		    strstr(r->errors[i] + strlen(prefix), what) != NULL)
			return true;
	return false;
}

static void
dump_errors(const struct zf_result *r)
{
	for (size_t i = 0; i < r->nerrors; i++)
		diag("%s", r->errors[i]);
}

/* Parses text expecting exactly one error, at prefix, mentioning what. */
static void
one_error(const char *text, const char *prefix, const char *what)
{
	struct zf_result r;
	int rc = parse(text, &r);
	bool good = rc == DD_ECONFIG && r.nerrors == 1 && has_error(&r, prefix, what);

	ok(good, "error %s%s", prefix, what);
	if (!good) {
		diag("rc %d, %zu errors", rc, r.nerrors);
		dump_errors(&r);
	}
	zf_result_fini(&r);
}

static const char full_zone[] =
        "; a full zone\n"
        "$TTL 1h30m\n"
        "$ORIGIN example.test.\n"
        "\n"
        "@   IN  SOA ns1 hostmaster.example.test. (\n"
        "            2024010101 ; serial\n"
        "            3h         ; refresh\n"
        "            15m        ; retry\n"
        "            1w         ; expire\n"
        "            300 )      ; minimum\n"
        "    IN  NS  ns1\n"
        "    NS  ns2.example.net.\n"
        "ns1 A 192.0.2.53\n"
        "www 300 IN A 192.0.2.1\n"
        "    IN 600 A 192.0.2.2\n"
        "    AAAA 2001:DB8:0:0:0:0:0:1\n"
        "WWW.Example.Test. TXT \"hello \\\"world\\\" \\\\ \\065\" ; comment\n"
        "multi TXT \"part one, \" \"part two\"\n"
        "bare TXT unquoted\\032word\n"
        "empty TXT \"\"\n"
        "alias CNAME www\n"
        "out CNAME target.example.net.\n"
        "*.wild 2d A 192.0.2.9\n"
        "_acme-challenge TXT ( \"token\" )\n"
        "$ORIGIN sub\n"
        "host A 192.0.2.10\n"
        "@ A 192.0.2.11\n"
        "$ORIGIN other.example.test.\n"
        "x TYPE1 192.0.2.12\n"
        "$TTL 2W\n"
        "y 5m A 192.0.2.13\n"
        "z A 192.0.2.14";

static void
test_full(void)
{
	struct zf_result r;
	const struct zf_record *rr;
	int rc = parse(full_zone, &r);

	is_int(rc, 0, "full zone parses");
	dump_errors(&r);
	ok(r.has_soa, "SOA found");
	ok(strcmp(r.soa.mname, "ns1.example.test") == 0, "SOA mname relative to the origin");
	ok(strcmp(r.soa.rname, "hostmaster.example.test") == 0, "SOA rname absolute");
	is_int(r.soa.serial, 2024010101u, "SOA serial");
	is_int(r.soa.refresh, 10800, "SOA refresh 3h");
	is_int(r.soa.retry, 900, "SOA retry 15m");
	is_int(r.soa.expire, 604800, "SOA expire 1w");
	is_int(r.soa.minimum, 300, "SOA minimum");
	is_int(r.soa.ttl, 5400, "SOA TTL from $TTL 1h30m");
	is_int(r.nns, 2, "two NS");
	ok(r.nns == 2 && strcmp(r.ns[0], "ns1.example.test") == 0 &&
	           strcmp(r.ns[1], "ns2.example.net") == 0,
	   "NS targets canonical, inherited owner, class omitted");
	is_int(r.n, 17, "17 records");

	rr = find(&r, "ns1.example.test", DNS_TYPE_A, 0);
	ok(rr && strcmp(rr->value, "192.0.2.53") == 0 && rr->ttl == 5400 && rr->line == 13,
	   "glue A, default TTL, line 13");
	rr = find(&r, "www.example.test", DNS_TYPE_A, 0);
	ok(rr && strcmp(rr->value, "192.0.2.1") == 0 && rr->ttl == 300, "TTL before class");
	rr = find(&r, "www.example.test", DNS_TYPE_A, 1);
	ok(rr && strcmp(rr->value, "192.0.2.2") == 0 && rr->ttl == 600 && rr->line == 15,
	   "inherited owner, class before TTL");
	rr = find(&r, "www.example.test", DNS_TYPE_AAAA, 0);
	ok(rr && strcmp(rr->value, "2001:db8::1") == 0, "AAAA canonical (inet_ntop)");
	rr = find(&r, "www.example.test", DNS_TYPE_TXT, 0);
	ok(rr && strcmp(rr->value, "hello \"world\" \\ A") == 0,
	   "absolute upper-case owner; TXT escapes \\\" \\\\ \\DDD");
	rr = find(&r, "multi.example.test", DNS_TYPE_TXT, 0);
	ok(rr && strcmp(rr->value, "part one, part two") == 0, "multi-string TXT joined");
	rr = find(&r, "bare.example.test", DNS_TYPE_TXT, 0);
	ok(rr && strcmp(rr->value, "unquoted word") == 0, "unquoted TXT with \\032");
	rr = find(&r, "empty.example.test", DNS_TYPE_TXT, 0);
	ok(rr && rr->value[0] == '\0', "empty TXT");
	rr = find(&r, "alias.example.test", DNS_TYPE_CNAME, 0);
	ok(rr && strcmp(rr->value, "www.example.test") == 0, "relative CNAME target");
	rr = find(&r, "out.example.test", DNS_TYPE_CNAME, 0);
	ok(rr && strcmp(rr->value, "target.example.net") == 0, "absolute CNAME target");
	rr = find(&r, "*.wild.example.test", DNS_TYPE_A, 0);
	ok(rr && rr->ttl == 172800, "wildcard owner, TTL 2d");
	rr = find(&r, "_acme-challenge.example.test", DNS_TYPE_TXT, 0);
	ok(rr && strcmp(rr->value, "token") == 0, "underscore label, parentheses on one line");
	rr = find(&r, "host.sub.example.test", DNS_TYPE_A, 0);
	ok(rr && rr->line == 26, "relative $ORIGIN");
	ok(find(&r, "sub.example.test", DNS_TYPE_A, 0) != NULL, "@ follows $ORIGIN");
	ok(find(&r, "x.other.example.test", DNS_TYPE_A, 0) != NULL, "absolute $ORIGIN, TYPE1");
	rr = find(&r, "y.other.example.test", DNS_TYPE_A, 0);
	ok(rr && rr->ttl == 300, "TTL with unit");
	rr = find(&r, "z.other.example.test", DNS_TYPE_A, 0);
	ok(rr && rr->ttl == 1209600 && rr->line == 32, "$TTL 2W; last line without newline");
	zf_result_fini(&r);
}

static void
test_misc(void)
{
	struct zf_result r;

	is_int(parse("", &r), 0, "empty file");
	ok(r.n == 0 && !r.has_soa && r.nns == 0 && r.nerrors == 0, "empty result");
	zf_result_fini(&r);

	is_int(parse("a A 192.0.2.1\na A 192.0.2.1\n", &r), 0, "repeated record");
	is_int(r.n, 1, "repeated record kept once");
	zf_result_fini(&r);

	is_int(parse("a A 192.0.2.1\r\nb TXT \"x\"\r\n", &r), 0, "CRLF line ends");
	is_int(r.n, 2, "CRLF records");
	zf_result_fini(&r);

	is_int(zf_parse_buf("a A 192.0.2.1\n", 14, "t.zone", "Example.TEST.", 60, &r), 0,
	       "origin with dot and upper case");
	ok(r.n == 1 && strcmp(r.rr[0].name, "a.example.test") == 0 && r.rr[0].ttl == 60,
	   "default_ttl applies");
	zf_result_fini(&r);

	is_int(zf_parse_buf("", 0, "t.zone", "bad..origin", 60, &r), DD_EINVAL, "bad origin");
	zf_result_fini(&r);
	is_int(zf_parse_buf("", 0, "t.zone", ZONE, 2147483648u, &r), DD_EINVAL, "bad default TTL");
	zf_result_fini(&r);

	is_int(parse("$TTL 2147483647\na A 192.0.2.1\n", &r), 0, "TTL 2147483647 accepted");
	ok(r.n == 1 && r.rr[0].ttl == 2147483647u, "TTL maximum");
	zf_result_fini(&r);

	is_int(parse("a ( A\n 192.0.2.1 )\nb A 192.0.2.2\n", &r), 0, "record split by parentheses");
	ok(r.n == 2 && r.rr[0].line == 1 && r.rr[1].line == 3,
	   "line numbers after a multi-line record");
	zf_result_fini(&r);
}

static void
test_errors(void)
{
	one_error("$INCLUDE other.zone\n", "t.zone:1: ", "$INCLUDE is not supported");
	one_error("\n$GENERATE 1-2 a$ A 1.2.3.4\n", "t.zone:2: ", "unknown directive $GENERATE");
	one_error("$ORIGIN\n", "t.zone:1: ", "exactly one argument");
	one_error("$ORIGIN a..b.\n", "t.zone:1: ", "bad $ORIGIN");
	one_error("$TTL 1x\n", "t.zone:1: ", "bad $TTL");
	one_error("$TTL 2147483648\n", "t.zone:1: ", "bad $TTL");
	one_error("$TTL 1h30\n", "t.zone:1: ", "bad $TTL");
	one_error("a 99999999999 A 192.0.2.1\n", "t.zone:1: ", "bad TTL");
	one_error("a 1 2 A 192.0.2.1\n", "t.zone:1: ", "two TTLs");
	one_error("a IN IN A 192.0.2.1\n", "t.zone:1: ", "two classes");
	one_error("; c\na CH A 192.0.2.1\n", "t.zone:2: ", "class CH is not supported");
	one_error("a 60 CLASS3 A 192.0.2.1\n", "t.zone:1: ", "class CLASS3 is not supported");
	one_error(" A 192.0.2.1\n", "t.zone:1: ", "no owner name");
	one_error("a\n", "t.zone:1: ", "missing record type");
	one_error("a 60 IN\n", "t.zone:1: ", "missing record type");
	one_error("a FOO 1\n", "t.zone:1: ", "unknown record type 'FOO'");
	one_error("\n\na MX 10 mail\n", "t.zone:3: ", "type MX is not supported");
	one_error("_sip._udp SRV 0 0 5060 sip\n", "t.zone:1: ", "type SRV is not supported");
	one_error("a CAA 0 issue \"ca.example\"\n", "t.zone:1: ", "type CAA is not supported");
	one_error("a ptr b\n", "t.zone:1: ", "type PTR is not supported");
	one_error("a TYPE257 \\# 0\n", "t.zone:1: ", "type TYPE257 is not supported");
	one_error("a A 192.0.2.300\n", "t.zone:1: ", "bad IPv4 address '192.0.2.300'");
	one_error("a A 192.0.2.1 192.0.2.2\n", "t.zone:1: ", "unexpected '192.0.2.2'");
	one_error("a A\n", "t.zone:1: ", "A record: missing address");
	one_error("a AAAA 2001:db8::g\n", "t.zone:1: ", "bad IPv6 address");
	one_error("a AAAA \"::1\"\n", "t.zone:1: ", "bad IPv6 address");
	one_error("a.other.test. A 192.0.2.1\n", "t.zone:1: ", "outside the zone example.test");
	one_error("$ORIGIN net.\na A 192.0.2.1\n", "t.zone:2: ", "a.net is outside the zone");
	one_error("xexample.test. A 192.0.2.1\n", "t.zone:1: ", "outside the zone");
	one_error("a..b A 192.0.2.1\n", "t.zone:1: ", "empty label");
	{
		struct zf_result r;
		int rc = parse("a!b A 192.0.2.1\n AAAA ::1\n", &r);
		ok(rc == DD_ECONFIG && r.nerrors == 2 && has_error(&r, "t.zone:1: ", "bad owner") &&
		           has_error(&r, "t.zone:2: ",
		                     "owner name of line 1, inherited here, is in error"),
		   "inherited bad owner named");
		zf_result_fini(&r);
	}
	one_error("a b A 192.0.2.1\n", "t.zone:1: ", "unknown record type 'b'");
	one_error("a!b A 192.0.2.1\n", "t.zone:1: ", "invalid character");
	one_error("a\\.b A 192.0.2.1\n", "t.zone:1: ", "escapes in names");
	one_error("\"a\" A 192.0.2.1\n", "t.zone:1: ", "cannot be quoted");
	one_error("a.* A 192.0.2.1\n",
	          "t.zone:1: ", "'*' is allowed only as the whole first label");
	one_error("*a A 192.0.2.1\n", "t.zone:1: ", "'*' is allowed only");
	one_error("a CNAME *.b\n", "t.zone:1: ", "'*' is not allowed here");
	one_error("a CNAME\n", "t.zone:1: ", "CNAME record: missing target");
	one_error("a CNAME b c\n", "t.zone:1: ", "unexpected 'c' after the target");
	one_error("a CNAME b..c\n", "t.zone:1: ", "bad CNAME target");
	one_error("a CNAME .\n", "t.zone:1: ", "root name is not supported");
	one_error("@ CNAME b\n", "t.zone:1: ", "CNAME at the zone apex");
	one_error("a TXT\n", "t.zone:1: ", "TXT record: missing text");
	one_error("a TXT \"x\\001\"\n", "t.zone:1: ", "control byte \\001");
	one_error("a TXT \"x\\000\"\n", "t.zone:1: ", "control byte \\000");
	one_error("a TXT \"x\\256\"\n", "t.zone:1: ", "bad \\DDD escape");
	one_error("a TXT \"x\\12\"\n", "t.zone:1: ", "bad \\DDD escape");
	one_error("a TXT \"abc\nb A 192.0.2.1\n", "t.zone:1: ", "unterminated quoted string");
	one_error("a TXT abc\\\n", "t.zone:1: ", "backslash at the end of a line");
	one_error("a A ( 192.0.2.1\n\n", "t.zone:1: ", "'(' not closed");
	one_error("a A 192.0.2.1 )\n", "t.zone:1: ", "')' without '('");
	one_error("a A ( ( 192.0.2.1 ) )\n", "t.zone:1: ", "nested '('");
	one_error("a A 192.0.2.1\nb NS ns1\n", "t.zone:2: ", "delegations are not supported");
	one_error("@ NS\n", "t.zone:1: ", "NS record: missing name server");
	one_error("@ NS a b\n", "t.zone:1: ", "unexpected 'b'");
	one_error("a SOA ns1 host 1 2 3 4 5\n",
	          "t.zone:1: ", "SOA record at a.example.test, not at the zone apex");
	one_error("@ SOA ns1 host 1 2 3 4 5\n@ SOA ns1 host 2 2 3 4 5\n",
	          "t.zone:2: ", "second SOA record (the first is at line 1)");
	one_error("@ SOA ns1 host 1 2 3 4\n", "t.zone:1: ", "SOA record: missing 7 fields");
	one_error("@ SOA ns1 host 1 2 3 4 5 6\n", "t.zone:1: ", "unexpected '6'");
	one_error("@ SOA ns1 host 4294967296 2 3 4 5\n", "t.zone:1: ", "bad serial");
	one_error("@ SOA ns1 host 1 2 3 -4 5\n", "t.zone:1: ", "bad expire '-4'");
	one_error("@ SOA ns1 host 1 2 3 4 2147483648\n", "t.zone:1: ", "bad minimum");
	one_error("@ SOA ns1 ho..st 1 2 3 4 5\n", "t.zone:1: ", "bad SOA rname");
	one_error("a A 192.0.2.1\na CNAME b\n",
	          "t.zone:2: ", "CNAME at a.example.test beside other data (line 1)");
	one_error("a CNAME b\na CNAME c\n",
	          "t.zone:1: ", "CNAME at a.example.test beside other data (line 2)");
	one_error("a TXT x\nb.\\000 A 192.0.2.1\n", "t.zone:2: ", "escapes in names");
	{
		char lab[80], text[400];
		memset(lab, 'a', 64);
		lab[64] = '\0';
		snprintf(text, sizeof(text), "%s A 192.0.2.1\n", lab);
		one_error(text, "t.zone:1: ", "label longer than 63");
		snprintf(text, sizeof(text), "%.63s.%.63s.%.63s.%.63s A 192.0.2.1\n", lab, lab, lab,
		         lab);
		one_error(text, "t.zone:1: ", "longer than 253");
		/* 253 characters exactly: 48 + 1 + 63 + 1 + 63 + 1 + 63 + 1 + 12 */
		struct zf_result r;
		snprintf(text, sizeof(text), "%.48s.%.63s.%.63s.%.63s.example.test. A 192.0.2.1\n",
		         lab, lab, lab, lab);
		is_int(parse(text, &r), 0, "absolute name of 253 characters");
		ok(r.n == 1 && strlen(r.rr[0].name) == 253, "253 characters kept");
		zf_result_fini(&r);
		snprintf(text, sizeof(text), "%.49s.%.63s.%.63s.%.63s.example.test. A 192.0.2.1\n",
		         lab, lab, lab, lab);
		one_error(text, "t.zone:1: ", "longer than 253");
	}
	{
		char text[600];
		memset(text, 0, sizeof(text));
		strcpy(text, "a TXT \"");
		memset(text + 7, 'x', 256);
		strcat(text, "\"\n");
		one_error(text, "t.zone:1: ", "character-string longer than 255 bytes");
		memset(text, 0, sizeof(text));
		strcpy(text, "a TXT \"");
		memset(text + 7, 'x', 200);
		strcat(text, "\" \"");
		memset(text + strlen(text), 'y', 100);
		strcat(text, "\"\n");
		one_error(text, "t.zone:1: ",
		          "TXT record with several strings over 255 bytes is not supported");
	}
	{
		static const char nul[] = "a TXT \"x\0y\"\n";
		struct zf_result r;
		int rc = zf_parse_buf(nul, sizeof(nul) - 1, "t.zone", ZONE, 60, &r);
		ok(rc == DD_ECONFIG && r.nerrors == 1 && has_error(&r, "t.zone:1: ", "NUL byte"),
		   "NUL byte in the file");
		zf_result_fini(&r);
	}
}

static void
test_multiline_errors(void)
{
	static const char text[] = "$TTL 300\n"                     /* 1 */
	                           "@ SOA ns1 host (\n"             /* 2 */
	                           "      1 2 3\n"                  /* 3 */
	                           "      4 ; retry\n"              /* 4 */
	                           "      x )\n"                    /* 5 */
	                           "good A 192.0.2.1\n"             /* 6 */
	                           "bad MX 10 mail\n"               /* 7 */
	                           "     A 192.0.2.999\n"           /* 8 */
	                           "$INCLUDE foo\n"                 /* 9 */
	                           "t TXT ( \"a\"\n"                /* 10 */
	                           "        \"b\" ) extra(\n"       /* 11 */
	                           "       )\n"                     /* 12 */
	                           "c CNAME good\n"                 /* 13 */
	                           "c A 192.0.2.2\n"                /* 14 */
	                           "out.example.org. A 192.0.2.3\n" /* 15 */
	                           "deleg NS ns.other.\n"           /* 16 */
	                           "ok2 TXT \"fine\"\n";            /* 17 */
	struct zf_result r;
	int rc = parse(text, &r);

	is_int(rc, DD_ECONFIG, "file with several errors");
	is_int(r.nerrors, 7, "every error reported");
	if (r.nerrors != 7)
		dump_errors(&r);
	ok(has_error(&r, "t.zone:2: ", "bad minimum 'x'"),
	   "multi-line SOA error at its first line");
	ok(has_error(&r, "t.zone:7: ", "type MX"), "MX at line 7");
	ok(has_error(&r, "t.zone:8: ", "bad IPv4 address"), "bad address at line 8");
	ok(has_error(&r, "t.zone:9: ", "$INCLUDE"), "$INCLUDE at line 9");
	ok(has_error(&r, "t.zone:13: ", "beside other data (line 14)"),
	   "CNAME conflict at line 13");
	ok(has_error(&r, "t.zone:15: ", "outside the zone"), "outside at line 15");
	ok(has_error(&r, "t.zone:16: ", "delegations"), "delegation at line 16");
	ok(r.nerrors == 7 && strncmp(r.errors[0], "t.zone:2:", 9) == 0 &&
	           strncmp(r.errors[6], "t.zone:16:", 10) == 0,
	   "errors sorted by line");
	ok(find(&r, "t.example.test", DNS_TYPE_TXT, 0) != NULL &&
	           strcmp(find(&r, "t.example.test", DNS_TYPE_TXT, 0)->value, "abextra") == 0,
	   "unquoted field touching '(' ends there");
	zf_result_fini(&r);
}

static void
test_limits(void)
{
	struct zf_result r;
	size_t n = ZF_RECORDS_MAX + 1, len = 0;
	char *buf = malloc(n * 24 + ZF_ERRORS_MAX * 8 + 16384);
	int rc;

	if (buf == NULL) {
		ok(0, "malloc");
		return;
	}
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, "h%zu A 192.0.2.1\n", i);
	rc = zf_parse_buf(buf, len, "big.zone", ZONE, 60, &r);
	ok(rc == DD_ECONFIG && r.nerrors == 1 &&
	           has_error(&r, "big.zone:100001: ", "more than 100000 records"),
	   "record count limit");
	zf_result_fini(&r);

	len = 0;
	for (size_t i = 0; i <= ZF_NS_MAX; i++)
		len += (size_t)sprintf(buf + len, "@ NS ns%zu.example.net.\n", i);
	rc = zf_parse_buf(buf, len, "ns.zone", ZONE, 60, &r);
	ok(rc == DD_ECONFIG && r.nerrors == 1 && r.nns == ZF_NS_MAX &&
	           has_error(&r, "ns.zone:33: ", "more than 32 NS records"),
	   "NS count limit");
	zf_result_fini(&r);

	len = 0;
	for (size_t i = 0; i < ZF_ERRORS_MAX + 5; i++)
		len += (size_t)sprintf(buf + len, "a MX 1\n");
	rc = zf_parse_buf(buf, len, "e.zone", ZONE, 60, &r);
	ok(rc == DD_ECONFIG && r.nerrors == ZF_ERRORS_MAX + 1 &&
	           strcmp(r.errors[ZF_ERRORS_MAX], "e.zone: 5 more errors not shown") == 0,
	   "error count limit");
	zf_result_fini(&r);

	memcpy(buf, "a TXT ", 6);
	memset(buf + 6, 'x', ZF_LINE_MAX);
	memcpy(buf + 6 + ZF_LINE_MAX, "\nb A 192.0.2.1\n", 15);
	rc = zf_parse_buf(buf, 6 + ZF_LINE_MAX + 15, "l.zone", ZONE, 60, &r);
	ok(rc == DD_ECONFIG && r.nerrors == 1 &&
	           has_error(&r, "l.zone:1: ", "line longer than 8192 bytes"),
	   "line length limit");
	ok(r.n == 1, "the next line still parses");
	zf_result_fini(&r);
	free(buf);

	buf = calloc(1, (size_t)ZF_FILE_MAX + 1);
	if (buf != NULL) {
		rc = zf_parse_buf(buf, (size_t)ZF_FILE_MAX + 1, "huge.zone", ZONE, 60, &r);
		ok(rc == DD_ECONFIG && r.nerrors == 1 &&
		           strcmp(r.errors[0], "huge.zone: file larger than 67108864 bytes") == 0,
		   "file size limit");
		zf_result_fini(&r);
		free(buf);
	}
}

static bool
same_records(const struct zf_result *a, const struct zf_result *b)
{
	if (a->n != b->n || a->nns != b->nns || a->has_soa != b->has_soa)
		return false;
	if (a->has_soa && memcmp(&a->soa, &b->soa, sizeof(a->soa)) != 0)
		return false;
	for (size_t i = 0; i < a->nns; i++)
		if (strcmp(a->ns[i], b->ns[i]) != 0)
			return false;
	/* the writer sorts: look every record up by content */
	for (size_t i = 0; i < a->n; i++) {
		bool found = false;
		for (size_t j = 0; j < b->n && !found; j++)
			found = strcmp(a->rr[i].name, b->rr[j].name) == 0 &&
			        a->rr[i].type == b->rr[j].type && a->rr[i].ttl == b->rr[j].ttl &&
			        strcmp(a->rr[i].value, b->rr[j].value) == 0;
		if (!found)
			return false;
	}
	return true;
}

static char *
write_to_string(const char *origin, const struct zf_result *r, size_t *len)
{
	char *s = NULL;
	FILE *f = open_memstream(&s, len);

	if (f == NULL)
		return NULL;
	if (zf_write(f, origin, 3600, r->has_soa ? &r->soa : NULL, r->ns, r->nns, r->rr, r->n) !=
	    0) {
		fclose(f);
		free(s);
		return NULL;
	}
	fclose(f);
	return s;
}

static void
test_round_trip(void)
{
	struct zf_result a, b;
	char *text;
	size_t len;

	is_int(parse(full_zone, &a), 0, "round trip: first parse");
	/* bytes a file can only carry escaped */
	a.rr[0].type = DNS_TYPE_TXT;
	strcpy(a.rr[0].value, "q\"b\\s;(x) \xc3\xa9 $@");
	text = write_to_string(ZONE, &a, &len);
	ok(text != NULL, "round trip: written");
	if (text == NULL) {
		zf_result_fini(&a);
		return;
	}
	is_int(zf_parse_buf(text, len, "rt.zone", ZONE, 3600, &b), 0, "round trip: parsed again");
	dump_errors(&b);
	ok(same_records(&a, &b), "round trip: same records");
	ok(strstr(text, "\"q\\\"b\\\\s;(x) \\195\\169 $@\"") != NULL, "TXT quoted and escaped");
	{
		static const char head[] = "$ORIGIN example.test.\n$TTL 3600\n@\t5400\tIN\tSOA\t";
		ok(strncmp(text, head, strlen(head)) == 0, "header, SOA first");
	}
	ok(strstr(text, "@\t\tIN\tNS\tns1\n@\t\tIN\tNS\tns2.example.net.\n") != NULL,
	   "NS relative and absolute");
	ok(strstr(text, "alias\t5400\tIN\tCNAME\twww\n") != NULL, "relative names");
	ok(strstr(text, "out\t5400\tIN\tCNAME\ttarget.example.net.\n") != NULL, "absolute target");
	ok(strstr(text, "host.sub\t") != NULL && strstr(text, "*.wild\t172800\tIN\tA\t") != NULL,
	   "deeper relative names");
	{
		/* canonical order: apex, then by labels from the right */
		const char *apex = strstr(text, "\n@\t5400\tIN\tA");
		const char *alias = strstr(text, "\nalias\t");
		const char *sub = strstr(text, "\nsub\t");
		const char *host = strstr(text, "\nhost.sub\t");
		const char *www = strstr(text, "\nwww\t");
		ok(alias && sub && host && www && alias < sub && sub < host && host < www &&
		           (apex == NULL || apex < alias),
		   "records in canonical name order");
		const char *a1 = strstr(text, "\nwww\t300\tIN\tA\t");
		const char *aaaa = strstr(text, "\nwww\t5400\tIN\tAAAA\t");
		const char *txt = strstr(text, "\nwww\t5400\tIN\tTXT\t");
		ok(a1 && aaaa && txt && a1 < txt && txt < aaaa, "then by type number");
	}
	free(text);

	/* and once more: the second write is the same text */
	{
		size_t len2;
		char *again = write_to_string(ZONE, &b, &len2);
		text = write_to_string(ZONE, &a, &len);
		ok(again && text && len == len2 && memcmp(again, text, len) == 0,
		   "writing is deterministic");
		free(again);
		free(text);
	}
	zf_result_fini(&b);
	zf_result_fini(&a);
}

static void
test_write_errors(void)
{
	struct zf_record rr = {.name = "a.example.test", .type = DNS_TYPE_MX, .value = "x"};
	FILE *f = fopen("/dev/null", "w");

	if (f == NULL) {
		ok(0, "open /dev/null");
		return;
	}
	is_int(zf_write(f, ZONE, 60, NULL, NULL, 0, &rr, 1), DD_EINVAL, "write: MX refused");
	rr.type = DNS_TYPE_A;
	memset(rr.value, 'x', sizeof(rr.value));
	is_int(zf_write(f, ZONE, 60, NULL, NULL, 0, &rr, 1), DD_EINVAL,
	       "write: unterminated value");
	is_int(zf_write(f, "a..b", 60, NULL, NULL, 0, NULL, 0), DD_EINVAL, "write: bad origin");
	is_int(zf_write(f, ZONE, 60, NULL, NULL, 0, NULL, 0), 0, "write: empty zone");
	fclose(f);
	f = fopen("/dev/full", "w");
	if (f != NULL) {
		strcpy(rr.value, "192.0.2.1");
		is_int(zf_write(f, ZONE, 60, NULL, NULL, 0, &rr, 1), DD_EIO,
		       "write: error reported");
		fclose(f);
	}
}

static void
test_files(void)
{
	char path[] = "/tmp/ddnsd-test-zf.XXXXXX";
	struct zf_result r;
	int fd = mkstemp(path);
	FILE *f;

	is_int(zf_parse_file("/nonexistent/zone", ZONE, 60, &r), DD_ENOENT, "missing file");
	zf_result_fini(&r);
	is_int(zf_parse_file("/tmp", ZONE, 60, &r), DD_EIO, "directory");
	zf_result_fini(&r);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		ok(0, "temp file");
		return;
	}
	fputs("a A 192.0.2.1\nb MX 1 a\n", f);
	fclose(f);
	is_int(zf_parse_file(path, ZONE, 60, &r), DD_ECONFIG, "file with an error");
	ok(r.nerrors == 1 && strncmp(r.errors[0], path, strlen(path)) == 0 &&
	           strncmp(r.errors[0] + strlen(path), ":2: ", 4) == 0,
	   "error names the file and line");
	zf_result_fini(&r);
	unlink(path);
}

static bool
have(const char *bin)
{
	return access(bin, X_OK) == 0;
}

/* The written zone satisfies BIND's and Knot's checkers. */
static void
test_checkers(void)
{
	static const char origin[] = "checked.example";
	char path[] = "/tmp/ddnsd-test-zf-check.XXXXXX", cmd[512];
	struct zf_soa soa = {.mname = "ns1.checked.example",
	                     .rname = "hostmaster.checked.example",
	                     .serial = 2024010101,
	                     .refresh = 3600,
	                     .retry = 600,
	                     .expire = 604800,
	                     .minimum = 60,
	                     .ttl = 3600};
	char ns1[] = "ns1.checked.example", ns2[] = "ns.other.example";
	char *ns[] = {ns1, ns2};
	struct zf_record rr[] = {
	        {.name = "ns1.checked.example",
	         .type = DNS_TYPE_A,
	         .ttl = 300,
	         .value = "192.0.2.53"},
	        {.name = "checked.example", .type = DNS_TYPE_A, .ttl = 300, .value = "192.0.2.1"},
	        {.name = "home.checked.example",
	         .type = DNS_TYPE_AAAA,
	         .ttl = 60,
	         .value = "2001:db8::1"},
	        {.name = "home.checked.example",
	         .type = DNS_TYPE_A,
	         .ttl = 60,
	         .value = "192.0.2.2"},
	        {.name = "*.lb.checked.example",
	         .type = DNS_TYPE_A,
	         .ttl = 60,
	         .value = "192.0.2.3"},
	        {.name = "www.checked.example",
	         .type = DNS_TYPE_CNAME,
	         .ttl = 60,
	         .value = "home.checked.example"},
	        {.name = "_acme-challenge.checked.example",
	         .type = DNS_TYPE_TXT,
	         .ttl = 1,
	         .value = "say \"hi\" \\ \x01\xc3\xa9"},
	        {.name = "checked.example", .type = DNS_TYPE_TXT, .ttl = 300, .value = ""},
	};
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int rc;

	if (f == NULL) {
		ok(0, "temp file for the checkers");
		return;
	}
	rc = zf_write(f, origin, 3600, &soa, ns, 2, rr, sizeof(rr) / sizeof(rr[0]));
	fclose(f);
	is_int(rc, 0, "zone written for the checkers");
	if (have("/usr/bin/named-checkzone")) {
		snprintf(cmd, sizeof(cmd), "/usr/bin/named-checkzone -q %s %s", origin, path);
		is_int(system(cmd), 0, "named-checkzone accepts the zone");
	} else {
		skip("named-checkzone accepts the zone: named-checkzone not installed");
	}
	if (have("/usr/bin/kzonecheck")) {
		snprintf(cmd, sizeof(cmd), "/usr/bin/kzonecheck -o %s %s >/dev/null", origin, path);
		is_int(system(cmd), 0, "kzonecheck accepts the zone");
	} else {
		skip("kzonecheck accepts the zone: kzonecheck not installed");
	}
	unlink(path);
}

int
main(void)
{
	test_full();
	test_misc();
	test_errors();
	test_multiline_errors();
	test_limits();
	test_round_trip();
	test_write_errors();
	test_files();
	test_checkers();
	return tap_done();
}
