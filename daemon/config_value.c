/* config_value.c - the syntax of config.yaml's values (see config_value.h). */
#include "daemon/config_value.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dd.h"
#include "daemon/util.h"

static bool
is_label_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

/* Checks a domain name and writes it lower case without the trailing dot into
 * out (at least 254 bytes).  Returns NULL or the reason it is not valid. */
const char *
cfg_value_dname(const char *in, char *out)
{
	size_t n = strlen(in), i, label = 0;

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0)
		return "the root is not allowed here";
	if (n > 253)
		return "longer than 253 characters";
	for (i = 0; i < n; i++) {
		char ch = in[i];
		if (ch == '.') {
			if (label == 0)
				return "empty label";
			label = 0;
			out[i] = '.';
			continue;
		}
		if (ch == '*')
			return "'*' is not allowed here";
		if (ch == '@')
			return "'@' is not allowed; write a mailbox as a name "
			       "(hostmaster.example.com)";
		if (!is_label_char(ch))
			return "labels may hold only letters, digits, '-' and '_'";
		if (++label > 63)
			return "label longer than 63 characters";
		out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
	}
	if (label == 0)
		return "empty label";
	out[n] = '\0';
	return NULL;
}

static const char *
cfg_value_port(const char *s, uint16_t *port)
{
	unsigned long v;

	if (!util_is_digits(s) || strlen(s) > 5)
		return "port must be a number 1..65535";
	v = strtoul(s, NULL, 10);
	if (v < 1 || v > 65535)
		return "port must be a number 1..65535";
	*port = (uint16_t)v;
	return NULL;
}

/*
 * Parses "IPv4[:PORT]", "[IPv6][:PORT]" or a bare IPv6 into a sockaddr.  A
 * missing port is an error when defport is 0, else defport is used.
 */
const char *
cfg_value_addr(const char *s, uint16_t defport, struct sockaddr_storage *ss, socklen_t *sslen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *colon, *why;
	size_t hlen;
	int af;
	uint16_t p = defport;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL)
			return "missing ']'";
		hlen = (size_t)(close - s - 1);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return "expected ':PORT' after ']'";
		s++;
		af = AF_INET6;
	} else if ((colon = strchr(s, ':')) != NULL && strchr(colon + 1, ':') != NULL) {
		if (defport == 0)
			return "write an IPv6 address with its port as [ADDR]:PORT";
		hlen = strlen(s);
		af = AF_INET6;
	} else {
		hlen = colon ? (size_t)(colon - s) : strlen(s);
		port = colon ? colon + 1 : NULL;
		af = AF_INET;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return "not an IP address";
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (port == NULL && defport == 0)
		return "missing ':PORT'";
	if (port && (why = cfg_value_port(port, &p)) != NULL)
		return why;
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return "not an IPv4 address (IPv6 goes in brackets: [ADDR]:PORT)";
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		*sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return "not an IPv6 address";
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		*sslen = sizeof(*sin6);
	}
	return NULL;
}

/* "ADDR:PORT" or "[ADDR]:PORT" in canonical form (inet_ntop), for storage and
 * duplicate detection. */
void
cfg_value_addr_format(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, (unsigned)ntohs(sin->sin_port));
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, (unsigned)ntohs(sin6->sin6_port));
	}
}

const char *
cfg_value_net(const char *s)
{
	char host[INET6_ADDRSTRLEN + 1];
	unsigned char buf[sizeof(struct in6_addr)];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	int max;

	if (hlen == 0 || hlen >= sizeof(host))
		return "not an IP address or CIDR";
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, buf) == 1) {
		max = 32;
	} else if (inet_pton(AF_INET6, host, buf) == 1) {
		max = 128;
	} else {
		return "not an IP address or CIDR";
	}
	if (slash == NULL)
		return NULL;
	if (!util_is_digits(slash + 1) || strlen(slash + 1) > 3 || atoi(slash + 1) > max)
		return max == 32 ? "IPv4 prefix length must be 0..32"
		                 : "IPv6 prefix length must be 0..128";
	return NULL;
}

/* One cron field: a comma list of "*", "*" + "/N", "N", "N-M" or "N-M/S",
 * numbers within lo..hi. */
static bool
cron_field_ok(const char *f, size_t len, int lo, int hi)
{
	char buf[64], *save = NULL, *el;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, f, len);
	buf[len] = '\0';
	if (buf[0] == ',' || buf[len - 1] == ',' || strstr(buf, ",,"))
		return false;
	for (el = strtok_r(buf, ",", &save); el; el = strtok_r(NULL, ",", &save)) {
		char *step = strchr(el, '/'), *dash;
		long a, b;
		if (step) {
			*step++ = '\0';
			if (!util_is_digits(step) || strlen(step) > 3 || atoi(step) < 1 ||
			    atoi(step) > hi)
				return false;
		}
		if (strcmp(el, "*") == 0)
			continue;
		dash = strchr(el, '-');
		if (dash)
			*dash++ = '\0';
		else if (step)
			return false; /* "N/S" is not portable cron */
		if (!util_is_digits(el) || strlen(el) > 2)
			return false;
		a = atol(el);
		b = a;
		if (dash) {
			if (!util_is_digits(dash) || strlen(dash) > 2)
				return false;
			b = atol(dash);
		}
		if (a < lo || b > hi || a > b)
			return false;
	}
	return true;
}

const char *
cfg_value_cron(const char *s)
{
	static const struct {
		const char *name;
		int lo, hi;
	} f[5] = {{"minute", 0, 59},
	          {"hour", 0, 23},
	          {"day of month", 1, 31},
	          {"month", 1, 12},
	          {"day of week", 0, 7}};
	static const char *const bad[5] = {
	        "bad minute field (0-59; *, */N, N, N-M, lists)",
	        "bad hour field (0-23; *, */N, N, N-M, lists)",
	        "bad day-of-month field (1-31; *, */N, N, N-M, lists)",
	        "bad month field (1-12; *, */N, N, N-M, lists)",
	        "bad day-of-week field (0-7; *, */N, N, N-M, lists)",
	};
	const char *p = s;
	int i;

	for (i = 0; i < 5; i++) {
		size_t len;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return "a schedule has five fields: minute hour day-of-month month "
			       "day-of-week";
		len = strcspn(p, " \t");
		if (!cron_field_ok(p, len, f[i].lo, f[i].hi))
			return bad[i];
		p += len;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
		return "a schedule has five fields: minute hour day-of-month month day-of-week";
	return NULL;
}

/* Decimal integer with optional sign, nothing else. */
const char *
cfg_value_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!((*s >= '0' && *s <= '9') || ((*s == '-' || *s == '+') && s[1] >= '0' && s[1] <= '9')))
		return "not an integer";
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return "not an integer";
	if (errno == ERANGE)
		return "integer out of range";
	*out = v;
	return NULL;
}

/* Unsigned number followed by a unit suffix from units (factors in mult). */
static const char *
unit_parse(const char *s, const char *units, const uint64_t *mult, bool repeat, int64_t *out)
{
	uint64_t total = 0;

	if (*s < '0' || *s > '9')
		return "expected a number";
	while (*s) {
		uint64_t v = 0, m = 1;
		const char *u;
		if (*s < '0' || *s > '9')
			return "expected a number";
		for (; *s >= '0' && *s <= '9'; s++) {
			if (v > (UINT64_MAX - 9) / 10)
				return "number too large";
			v = v * 10 + (uint64_t)(*s - '0');
		}
		if (*s != '\0') {
			u = strchr(units, *s);
			if (u == NULL)
				return "unknown unit";
			m = mult[u - units];
			s++;
		}
		if (v > UINT64_MAX / m || total > UINT64_MAX - v * m)
			return "number too large";
		total += v * m;
		if (*s && !repeat)
			return "unexpected text after the unit";
	}
	if (total > INT64_MAX)
		return "number too large";
	*out = (int64_t)total;
	return NULL;
}

const char *
cfg_value_duration(const char *s, int64_t *out)
{
	static const uint64_t m[] = {1, 60, 3600, 86400, 604800};
	const char *why = unit_parse(s, "smhdw", m, true, out);

	return why ? "expected a duration like 90s, 30m, 24h, 7d (or seconds)" : NULL;
}

const char *
cfg_value_size(const char *s, int64_t *out)
{
	static const uint64_t m[] = {1024, 1024, 1 << 20, 1 << 20, 1 << 30, 1 << 30};
	const char *why = unit_parse(s, "kKmMgG", m, false, out);

	return why ? "expected a size like 65536, 64K, 16M or 1G" : NULL;
}

