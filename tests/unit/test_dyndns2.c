/* test_dyndns2.c - dyndns2 hostname lists, myip, reply lines and the abuse window. */
#include <stdio.h>
#include <string.h>

#include "daemon/dd.h"
#include "http/dyndns2.h"
#include "tests/unit/tap.h"

static void
test_hosts(void)
{
	struct dyndns2_hosts h;
	char list[4096];
	size_t i, off;

	is_int(dyndns2_hosts_parse("home.example.test", &h), 0, "one host");
	is_int(h.n, 1, "one host: n");
	ok(strcmp(h.host[0], "home.example.test") == 0, "one host: text");

	is_int(dyndns2_hosts_parse(" a.example.test , b.example.test,,c.example.test,", &h), 0,
	       "list with blanks and empty items");
	is_int(h.n, 3, "three hosts");
	ok(strcmp(h.host[0], "a.example.test") == 0 && strcmp(h.host[1], "b.example.test") == 0 &&
	           strcmp(h.host[2], "c.example.test") == 0,
	   "hosts in request order, trimmed");

	is_int(dyndns2_hosts_parse(NULL, &h), DD_EINVAL, "missing hostname: notfqdn");
	is_int(dyndns2_hosts_parse("", &h), DD_EINVAL, "empty hostname: notfqdn");
	is_int(dyndns2_hosts_parse(" , ,", &h), DD_EINVAL, "only commas: notfqdn");

	for (i = 0, off = 0; i < DYNDNS2_HOSTS_MAX; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%sh%zu.example.test",
		                        i ? "," : "", i);
	is_int(dyndns2_hosts_parse(list, &h), 0, "20 hosts accepted");
	is_int(h.n, DYNDNS2_HOSTS_MAX, "20 hosts: n");
	ok(strcmp(h.host[19], "h19.example.test") == 0, "20th host kept");
	snprintf(list + off, sizeof(list) - off, ",h20.example.test");
	is_int(dyndns2_hosts_parse(list, &h), DD_ERANGE, "21 hosts: numhost");

	memset(list, 'a', 300);
	strcpy(list + 300, ".example.test,ok.example.test");
	is_int(dyndns2_hosts_parse(list, &h), 0, "overlong item kept as a slot");
	is_int(h.n, 2, "overlong item: n");
	ok(h.host[0][0] == '\0', "overlong item is empty (notfqdn)");
	ok(strcmp(h.host[1], "ok.example.test") == 0, "next item intact");
}

static void
test_myip(void)
{
	struct dyndns2_ips ips;

	is_int(dyndns2_myip_parse("203.0.113.45", &ips), 0, "myip v4");
	ok(strcmp(ips.v4, "203.0.113.45") == 0 && ips.v6[0] == '\0', "v4 only");
	is_int(dyndns2_myip_parse("2001:DB8:0:0::1", &ips), 0, "myip v6");
	ok(strcmp(ips.v6, "2001:db8::1") == 0 && ips.v4[0] == '\0', "v6 canonical");
	is_int(dyndns2_myip_parse("203.0.113.45,2001:db8::1", &ips), 0, "myip v4,v6");
	ok(strcmp(ips.v4, "203.0.113.45") == 0 && strcmp(ips.v6, "2001:db8::1") == 0, "both");
	is_int(dyndns2_myip_parse("2001:db8::1, 203.0.113.45", &ips), 0, "myip v6,v4 with blank");
	ok(strcmp(ips.v4, "203.0.113.45") == 0 && strcmp(ips.v6, "2001:db8::1") == 0,
	   "both, either order");
	is_int(dyndns2_myip_parse("::ffff:192.0.2.7", &ips), 0, "v4-mapped");
	ok(strcmp(ips.v4, "192.0.2.7") == 0 && ips.v6[0] == '\0', "v4-mapped is IPv4");

	is_int(dyndns2_myip_parse("1.2.3.4,5.6.7.8", &ips), DD_EINVAL, "two v4: invalid");
	ok(ips.v4[0] == '\0' && ips.v6[0] == '\0', "cleared on error");
	is_int(dyndns2_myip_parse("::1,::2", &ips), DD_EINVAL, "two v6: invalid");
	is_int(dyndns2_myip_parse("1.2.3.4,::1,5.6.7.8", &ips), DD_EINVAL, "three: invalid");
	is_int(dyndns2_myip_parse("1.2.3", &ips), DD_EINVAL, "short v4: invalid");
	is_int(dyndns2_myip_parse("1.2.3.4,", &ips), DD_EINVAL, "trailing comma: invalid");
	is_int(dyndns2_myip_parse(",1.2.3.4", &ips), DD_EINVAL, "leading comma: invalid");
	is_int(dyndns2_myip_parse("<ipaddr>", &ips), DD_EINVAL, "placeholder: invalid");
	is_int(dyndns2_myip_parse("", &ips), DD_EINVAL, "empty: invalid");
	is_int(dyndns2_myip_parse("1.2.3.4 5.6.7.8", &ips), DD_EINVAL, "space-separated: invalid");

	memset(&ips, 0, sizeof(ips));
	is_int(dyndns2_ips_add(&ips, "198.51.100.1"), 0, "add client v4");
	is_int(dyndns2_ips_add(&ips, "198.51.100.2"), DD_EINVAL, "second v4 refused");
	is_int(dyndns2_ips_add(&ips, "fe80::1"), 0, "add v6");
	is_int(dyndns2_ips_add(&ips, "nonsense"), DD_EINVAL, "garbage refused");
}

static void
test_lines(void)
{
	struct dyndns2_ips v4 = {"203.0.113.45", ""}, v6 = {"", "2001:db8::1"};
	struct dyndns2_ips both = {"203.0.113.45", "2001:db8::1"};
	char buf[256], small[8];
	size_t off = 0;

	is_int(dyndns2_line_format(buf, sizeof(buf), &off, "good", &v4), 0, "good v4");
	is_int(dyndns2_line_format(buf, sizeof(buf), &off, "nochg", &v6), 0, "nochg v6");
	is_int(dyndns2_line_format(buf, sizeof(buf), &off, "good", &both), 0, "good both");
	is_int(dyndns2_line_format(buf, sizeof(buf), &off, "nohost", NULL), 0, "nohost");
	is_int(dyndns2_line_format(buf, sizeof(buf), &off, "abuse", NULL), 0, "abuse");
	ok(strcmp(buf, "good 203.0.113.45\n"
	               "nochg 2001:db8::1\n"
	               "good 203.0.113.45,2001:db8::1\n"
	               "nohost\n"
	               "abuse\n") == 0,
	   "lines in order, newline-terminated, v4 first");
	is_int(off, strlen(buf), "offset at the end");

	off = 0;
	is_int(dyndns2_line_format(small, sizeof(small), &off, "911", NULL), 0, "fits");
	is_int(dyndns2_line_format(small, sizeof(small), &off, "good", &v4), DD_ETOOBIG,
	       "too big refused");
	ok(strcmp(small, "911\n") == 0 && off == 4, "buffer unchanged on overflow");
}

static void
test_abuse(void)
{
	struct dyndns2_abuse *a = dyndns2_abuse_create();
	const char *h = "home.example.test";
	int64_t t = 1000;
	int i;
	char name[64];

	ok(a != NULL, "tracker created");
	if (!a)
		return;
	ok(!dyndns2_abuse_is_blocked(a, 7, h, t), "fresh key not blocked");
	for (i = 0; i < DYNDNS2_ABUSE_LIMIT - 1; i++)
		dyndns2_abuse_note(a, 7, h, false, t + i);
	ok(!dyndns2_abuse_is_blocked(a, 7, h, t + 10), "4 nochg: not blocked");
	dyndns2_abuse_note(a, 7, h, false, t + 10);
	ok(dyndns2_abuse_is_blocked(a, 7, h, t + 11), "5 nochg: the next update is abuse");
	ok(!dyndns2_abuse_is_blocked(a, 8, h, t + 11), "other principal not blocked");
	ok(!dyndns2_abuse_is_blocked(a, 7, "other.example.test", t + 11), "other host not blocked");
	ok(dyndns2_abuse_is_blocked(a, 7, h, t + DYNDNS2_ABUSE_WINDOW - 1),
	   "blocked until the window passes");
	ok(!dyndns2_abuse_is_blocked(a, 7, h, t + DYNDNS2_ABUSE_WINDOW),
	   "window passed: allowed again");
	dyndns2_abuse_note(a, 7, h, false, t + DYNDNS2_ABUSE_WINDOW);
	ok(!dyndns2_abuse_is_blocked(a, 7, h, t + DYNDNS2_ABUSE_WINDOW + 1),
	   "new window starts counting at 1");

	for (i = 0; i < DYNDNS2_ABUSE_LIMIT - 1; i++)
		dyndns2_abuse_note(a, 9, h, false, t + i);
	dyndns2_abuse_note(a, 9, h, true, t + 5);
	dyndns2_abuse_note(a, 9, h, false, t + 6);
	ok(!dyndns2_abuse_is_blocked(a, 9, h, t + 7), "a change resets the count");

	/* nochg spread over more than the window never blocks */
	for (i = 0; i < 20; i++) {
		ok(!dyndns2_abuse_is_blocked(a, 10, h, t + (int64_t)i * 200), "slow nochg %d", i);
		dyndns2_abuse_note(a, 10, h, false, t + (int64_t)i * 200);
	}

	/* fixed size: many keys evict old ones, never grow, never crash */
	for (i = 0; i < 3 * DYNDNS2_ABUSE_SLOTS; i++) {
		snprintf(name, sizeof(name), "h%d.example.test", i);
		dyndns2_abuse_note(a, 11, name, false, t + 100);
	}
	for (i = 0; i < DYNDNS2_ABUSE_LIMIT; i++)
		dyndns2_abuse_note(a, 12, h, false, t + 200);
	ok(dyndns2_abuse_is_blocked(a, 12, h, t + 201), "tracking works in a full table");
	dyndns2_abuse_destroy(a);
}

int
main(void)
{
	test_hosts();
	test_myip();
	test_lines();
	test_abuse();
	return tap_done();
}
