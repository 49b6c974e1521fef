/*
 * config.c - config.yaml loader.
 *
 * libyaml builds the document tree; one schema table (below) says which keys
 * exist, their type, range, default and where the value lands.  The walker
 * checks every key of the document against the table, converts each value and
 * records every problem as "FILE:LINE: reason", then the cross-checks (zone
 * duplicates, key references, backup rules) run on the filled struct.  Lines
 * for those come from the document again, so no line bookkeeping leaks into
 * struct cfg.
 */
#include "daemon/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <yaml.h>

#include "daemon/dd.h"

#define CFG_MAX_FILE   (16u << 20) /* a config file is a few KiB; refuse absurd input */
#define CFG_MAX_ERRORS 1000
#define CFG_PATH_MAX   256 /* schema/display paths; real ones are far shorter */

enum cfg_type {
	CT_MAP,      /* nested mapping, no storage of its own */
	CT_MAPS,     /* list of mappings: array of structs + count */
	CT_STR,      /* scalar string (further shaped by the check) */
	CT_STRS,     /* list of strings, or a single string as a one-element list */
	CT_INT,      /* decimal integer */
	CT_BOOL,     /* true/false/yes/no/on/off */
	CT_DURATION, /* "90s", "30m", "24h", "7d", "1w", plain integer = seconds */
	CT_SIZE,     /* integer with optional K/M/G suffix (powers of 1024) */
};

enum cfg_check {
	CK_NONE,
	CK_DNAME,  /* domain name: lower-cased, trailing dot stripped */
	CK_ADDR,   /* "IPv4:PORT" or "[IPv6]:PORT" into struct cfg_addr */
	CK_NET,    /* IP address or CIDR */
	CK_PEER,   /* ADDR[:PORT] (port 53 by default), stored as "ADDR:PORT" */
	CK_PATH,   /* made absolute against the config file's directory */
	CK_URL,    /* http:// or https:// */
	CK_ENUM,   /* one of it->choices */
	CK_BASE64, /* decoded into a byte array (size at off, length at cnt_off) */
	CK_CRON,   /* five-field cron spec */
};

#define F_REQUIRED   0x1u /* must be present (list-of-maps: per element) */
#define F_EMPTY_NULL 0x2u /* "" stores NULL */
#define F_EMPTY_OK   0x4u /* "" is a valid value */

struct cfg_item {
	const char *path; /* "dns.workers"; list elements use "zones[].name" */
	enum cfg_type type;
	enum cfg_check check;
	int64_t min, max; /* value range; for lists, the number of entries */
	const char *def;  /* default, converted like a value from the file */
	unsigned flags;
	size_t off, size; /* field in the owning struct (struct cfg or a list element) */
	size_t cnt_off;   /* lists: count field; CK_BASE64: length field */
	size_t line_off;  /* CT_MAPS: element's int line field */
	const char *const *choices;
};

static const char *const levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const tsig_algs[] = {"hmac-sha256", "hmac-sha512", NULL};
static const char *const io_modes[] = {"auto", "io_uring", "recvmmsg", NULL};
static const char *const update_types[] = {"A", "AAAA", "TXT", "CNAME", NULL};
static const char *const notify_types[] = {"discord", "slack", "webhook", "command", NULL};
static const char *const notify_events[] = {"record_changed",   "member_down", "member_up",
                                            "worker_restarted", "backup_ok",   "backup_failed",
                                            "auth_abuse",       NULL};

#define FLD(T, m) .off = offsetof(T, m), .size = sizeof(((T *)0)->m)
#define R(m)      FLD(struct cfg, m)
#define Z(m)      FLD(struct cfg_zone, m)
#define K(m)      FLD(struct cfg_tsig, m)
#define N(m)      FLD(struct cfg_notify, m)
#define MAP(p)                                                                                     \
	{                                                                                          \
		.path = p, .type = CT_MAP                                                          \
	}
#define U32       .min = 0, .max = UINT32_MAX
#define AT_LEAST1 .min = 1, .max = UINT32_MAX

/* The whole config surface.  A new key: add it here, to struct cfg, to
 * config.yaml.sample, to docs/config.md and to tests/unit/test_config.c. */
static const struct cfg_item schema[] = {
        {"database", CT_STR, CK_PATH, .def = "data/ddnsd.db", R(database)},
        {"user", CT_STR, CK_NONE, .flags = F_EMPTY_NULL, R(user)},
        {"log_level", CT_STR, CK_ENUM, .def = "info", .choices = levels, R(log_level)},

        {"zones", CT_MAPS, CK_NONE, .min = 1, .max = 100000, .flags = F_REQUIRED,
         .off = offsetof(struct cfg, zones), .size = sizeof(struct cfg_zone),
         .cnt_off = offsetof(struct cfg, nzones), .line_off = offsetof(struct cfg_zone, line)},
        {"zones[].name", CT_STR, CK_DNAME, .flags = F_REQUIRED, Z(name)},
        {"zones[].ttl", CT_INT, CK_NONE, .min = 0, .max = 2147483647, .def = "300", Z(ttl)},
        {"zones[].ns", CT_STRS, CK_DNAME, .min = 1, .max = 64, Z(ns),
         .cnt_off = offsetof(struct cfg_zone, nns)},
        MAP("zones[].soa"),
        {"zones[].soa.mname", CT_STR, CK_DNAME, Z(soa.mname)},
        {"zones[].soa.rname", CT_STR, CK_DNAME, Z(soa.rname)},
        {"zones[].soa.refresh", CT_INT, CK_NONE, U32, .def = "3600", Z(soa.refresh)},
        {"zones[].soa.retry", CT_INT, CK_NONE, U32, .def = "600", Z(soa.retry)},
        {"zones[].soa.expire", CT_INT, CK_NONE, U32, .def = "604800", Z(soa.expire)},
        {"zones[].soa.minimum", CT_INT, CK_NONE, U32, .def = "60", Z(soa.minimum)},
        MAP("zones[].transfer"),
        {"zones[].transfer.allow", CT_STRS, CK_NET, .min = 0, .max = 1024, Z(transfer_allow),
         .cnt_off = offsetof(struct cfg_zone, ntransfer_allow)},
        {"zones[].transfer.notify", CT_STRS, CK_PEER, .min = 0, .max = 1024, Z(transfer_notify),
         .cnt_off = offsetof(struct cfg_zone, ntransfer_notify)},
        {"zones[].transfer.tsig", CT_STR, CK_DNAME, Z(transfer_tsig)},
        {"zones[].primary", CT_STR, CK_PEER, Z(primary)},

        MAP("dns"),
        {"dns.listen", CT_STRS, CK_ADDR, .min = 1, .max = 64, .def = "127.0.0.1:5353",
         R(dns.listen), .cnt_off = offsetof(struct cfg, dns.nlisten)},
        {"dns.workers", CT_INT, CK_NONE, .min = 1, .max = 64, .def = "2", R(dns.workers)},
        {"dns.tcp_max_connections", CT_INT, CK_NONE, .min = 1, .max = 1000000, .def = "256",
         R(dns.tcp_max_connections)},
        {"dns.tcp_idle_timeout", CT_INT, CK_NONE, .min = 1, .max = 3600000, .def = "10000",
         R(dns.tcp_idle_timeout)},
        {"dns.udp_payload", CT_INT, CK_NONE, .min = 512, .max = 4096, .def = "1232",
         R(dns.udp_payload)},
        {"dns.io", CT_STR, CK_ENUM, .def = "auto", .choices = io_modes, R(dns.io)},

        MAP("http"),
        {"http.listen", CT_STR, CK_ADDR, .def = "127.0.0.1:8080", R(http.listen)},
        {"http.trusted_proxies", CT_STRS, CK_NET, .min = 0, .max = 1024, R(http.trusted_proxies),
         .cnt_off = offsetof(struct cfg, http.ntrusted_proxies)},
        {"http.max_body", CT_SIZE, CK_NONE, .min = 1, .max = 16777216, .def = "65536",
         R(http.max_body)},
        MAP("http.rate_limit"),
        {"http.rate_limit.per_ip_per_minute", CT_INT, CK_NONE, AT_LEAST1, .def = "600",
         R(http.rate_per_ip_per_minute)},
        {"http.rate_limit.burst", CT_INT, CK_NONE, AT_LEAST1, .def = "100", R(http.rate_burst)},
        {"http.rate_limit.per_token_per_minute", CT_INT, CK_NONE, AT_LEAST1, .def = "600",
         R(http.rate_per_token_per_minute)},
        {"http.cors_origins", CT_STRS, CK_NONE, .min = 0, .max = 256, R(http.cors_origins),
         .cnt_off = offsetof(struct cfg, http.ncors_origins)},
        {"http.metrics_token", CT_STR, CK_NONE, .flags = F_EMPTY_NULL, R(http.metrics_token)},

        MAP("acme"),
        {"acme.zone", CT_STR, CK_DNAME, R(acme_zone)},
        MAP("control"),
        {"control.socket", CT_STR, CK_PATH, .def = "run/ddnsd.sock", R(control_socket)},
        MAP("auth"),
        {"auth.master_token", CT_STR, CK_NONE, .flags = F_EMPTY_NULL, R(master_token)},

        {"tsig", CT_MAPS, CK_NONE, .min = 0, .max = 10000, .off = offsetof(struct cfg, tsig),
         .size = sizeof(struct cfg_tsig), .cnt_off = offsetof(struct cfg, ntsig),
         .line_off = offsetof(struct cfg_tsig, line)},
        {"tsig[].name", CT_STR, CK_DNAME, .flags = F_REQUIRED, K(name)},
        {"tsig[].algorithm", CT_STR, CK_ENUM, .flags = F_REQUIRED, .choices = tsig_algs,
         K(algorithm)},
        {"tsig[].secret", CT_STR, CK_BASE64, .flags = F_REQUIRED, K(secret),
         .cnt_off = offsetof(struct cfg_tsig, secret_len)},
        MAP("tsig[].update"),
        {"tsig[].update.names", CT_STRS, CK_NONE, .min = 0, .max = 100000, K(update_names),
         .cnt_off = offsetof(struct cfg_tsig, nupdate_names)},
        {"tsig[].update.types", CT_STRS, CK_ENUM, .min = 1, .max = 4, .choices = update_types,
         K(update_types), .cnt_off = offsetof(struct cfg_tsig, nupdate_types)},

        {"notify", CT_MAPS, CK_NONE, .min = 0, .max = 10000, .off = offsetof(struct cfg, notify),
         .size = sizeof(struct cfg_notify), .cnt_off = offsetof(struct cfg, nnotify),
         .line_off = offsetof(struct cfg_notify, line)},
        {"notify[].name", CT_STR, CK_NONE, .flags = F_REQUIRED, N(name)},
        {"notify[].type", CT_STR, CK_ENUM, .flags = F_REQUIRED, .choices = notify_types, N(type)},
        {"notify[].url", CT_STR, CK_URL, N(url)},
        {"notify[].secret", CT_STR, CK_NONE, .flags = F_EMPTY_NULL, N(secret)},
        {"notify[].command", CT_STR, CK_NONE, N(command)},
        {"notify[].events", CT_STRS, CK_ENUM, .min = 1, .max = 64, .choices = notify_events,
         N(events), .cnt_off = offsetof(struct cfg_notify, nevents)},
        {"notify[].max_age", CT_DURATION, CK_NONE, .min = 1, .max = 3650LL * 86400, .def = "1d",
         N(max_age)},

        MAP("backup"),
        {"backup.interval", CT_DURATION, CK_NONE, .min = 1, .max = 3650LL * 86400,
         R(backup.interval)},
        {"backup.schedule", CT_STR, CK_CRON, R(backup.schedule)},
        {"backup.dir", CT_STR, CK_PATH, .def = "backups", R(backup.dir)},
        {"backup.keep", CT_INT, CK_NONE, .min = 1, .max = 100000, .def = "7", R(backup.keep)},
        MAP("backup.s3"),
        {"backup.s3.endpoint", CT_STR, CK_URL, .flags = F_REQUIRED, R(backup.s3_endpoint)},
        {"backup.s3.bucket", CT_STR, CK_NONE, .flags = F_REQUIRED, R(backup.s3_bucket)},
        {"backup.s3.prefix", CT_STR, CK_NONE, .flags = F_EMPTY_OK, .def = "", R(backup.s3_prefix)},
        {"backup.s3.region", CT_STR, CK_NONE, .def = "us-east-1", R(backup.s3_region)},
        {"backup.s3.credentials", CT_STR, CK_PATH, R(backup.s3_credentials)},

        MAP("table"),
        {"table.capacity", CT_INT, CK_NONE, .min = 16, .max = 100000000, .def = "65536",
         R(table.capacity)},
        {"table.data_bytes", CT_SIZE, CK_NONE, .min = 0, .max = 1LL << 40, .def = "0",
         R(table.data_bytes)},

        MAP("pools"),
        {"pools.report_max_age", CT_DURATION, CK_NONE, .min = 1, .max = 86400, .def = "60",
         R(pools.report_max_age)},

        MAP("journal"),
        {"journal.max_changes", CT_INT, CK_NONE, .min = 1, .max = 10000000, .def = "1000",
         R(journal.max_changes)},
        {"journal.max_age", CT_DURATION, CK_NONE, .min = 60, .max = 3650LL * 86400, .def = "7d",
         R(journal.max_age)},

        MAP("audit"),
        {"audit.max_rows", CT_INT, CK_NONE, .min = 0, .max = 1000000000, .def = "1000000",
         R(audit.max_rows)},
        {"audit.max_age", CT_DURATION, CK_NONE, .min = 60, .max = 3650LL * 86400, .def = "90d",
         R(audit.max_age)},
};

#define NSCHEMA (sizeof(schema) / sizeof(schema[0]))

/* Loader state; lives for one cfg_load call. */
struct ctx {
	const char *file; /* as given by the caller: that is what users recognise */
	struct cfg *c;
	struct cfg_errors *errs;
	int *lines; /* line of each error, for sorting */
	bool nomem;
	bool too_many;
	yaml_document_t doc;
	yaml_node_t *root;
	unsigned char *seen; /* per collection node: visited (aliases would revisit) */
	int key_line;        /* line of the key being stored: an alias has no line of its own */
	size_t nnodes;
};

/* ------------------------------------------------------------------ errors */

static void err(struct ctx *x, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void
err(struct ctx *x, int line, const char *fmt, ...)
{
	char reason[512];
	char **msg;
	int *lines;
	size_t len;
	va_list ap;

	if (x->errs->n >= CFG_MAX_ERRORS) {
		x->too_many = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	msg = realloc(x->errs->msg, (x->errs->n + 1) * sizeof(*msg));
	if (msg == NULL) {
		x->nomem = true;
		return;
	}
	x->errs->msg = msg;
	lines = realloc(x->lines, (x->errs->n + 1) * sizeof(*lines));
	if (lines == NULL) {
		x->nomem = true;
		return;
	}
	x->lines = lines;
	len = strlen(x->file) + strlen(reason) + 16;
	msg[x->errs->n] = malloc(len);
	if (msg[x->errs->n] == NULL) {
		x->nomem = true;
		return;
	}
	if (line > 0)
		snprintf(msg[x->errs->n], len, "%s:%d: %s", x->file, line, reason);
	else
		snprintf(msg[x->errs->n], len, "%s: %s", x->file, reason);
	lines[x->errs->n] = line;
	x->errs->n++;
}

/* Stable sort by line: the walk reports in document order, the cross-checks
 * afterwards; the reader wants them in file order. */
static void
errs_sort(struct ctx *x)
{
	size_t i, j;

	for (i = 1; i < x->errs->n; i++) {
		char *m = x->errs->msg[i];
		int l = x->lines[i];
		for (j = i; j > 0 && x->lines[j - 1] > l; j--) {
			x->errs->msg[j] = x->errs->msg[j - 1];
			x->lines[j] = x->lines[j - 1];
		}
		x->errs->msg[j] = m;
		x->lines[j] = l;
	}
}

static char *
xstrdup(struct ctx *x, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		x->nomem = true;
	return d;
}

/* ------------------------------------------------------------ value syntax */

static bool
is_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool
is_label_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

/* Checks a domain name and writes it lower case without the trailing dot into
 * out (at least 254 bytes).  Returns NULL or the reason it is not valid. */
static const char *
dname_norm(const char *in, char *out)
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
port_parse(const char *s, uint16_t *port)
{
	unsigned long v;

	if (!is_digits(s) || strlen(s) > 5)
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
static const char *
addr_parse(const char *s, uint16_t defport, struct sockaddr_storage *ss, socklen_t *sslen)
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
	if (port && (why = port_parse(port, &p)) != NULL)
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
static void
addr_format(const struct sockaddr_storage *ss, char *buf, size_t len)
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

static const char *
net_check(const char *s)
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
	if (!is_digits(slash + 1) || strlen(slash + 1) > 3 || atoi(slash + 1) > max)
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
			if (!is_digits(step) || strlen(step) > 3 || atoi(step) < 1 ||
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
		if (!is_digits(el) || strlen(el) > 2)
			return false;
		a = atol(el);
		b = a;
		if (dash) {
			if (!is_digits(dash) || strlen(dash) > 2)
				return false;
			b = atol(dash);
		}
		if (a < lo || b > hi || a > b)
			return false;
	}
	return true;
}

static const char *
cron_check(const char *s)
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
static const char *
int_parse(const char *s, int64_t *out)
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

static const char *
duration_parse(const char *s, int64_t *out)
{
	static const uint64_t m[] = {1, 60, 3600, 86400, 604800};
	const char *why = unit_parse(s, "smhdw", m, true, out);

	return why ? "expected a duration like 90s, 30m, 24h, 7d (or seconds)" : NULL;
}

static const char *
size_parse(const char *s, int64_t *out)
{
	static const uint64_t m[] = {1024, 1024, 1 << 20, 1 << 20, 1 << 30, 1 << 30};
	const char *why = unit_parse(s, "kKmMgG", m, false, out);

	return why ? "expected a size like 65536, 64K, 16M or 1G" : NULL;
}

/* ------------------------------------------------------------ schema helpers */

static const struct cfg_item *
item_find(const char *path)
{
	size_t i;

	for (i = 0; i < NSCHEMA; i++)
		if (strcmp(schema[i].path, path) == 0)
			return &schema[i];
	return NULL;
}

/* True when path's values live in the struct owned by owner ("" = struct cfg,
 * "zones[]" = struct cfg_zone). */
static bool
owned_by(const char *path, const char *owner)
{
	size_t n = strlen(owner);

	if (n > 0) {
		if (strncmp(path, owner, n) != 0 || path[n] != '.')
			return false;
		path += n + 1;
	}
	return strstr(path, "[]") == NULL;
}

/* True when path is a direct child of prefix sp. */
static bool
child_of(const char *path, const char *sp)
{
	size_t n = strlen(sp);

	if (n > 0) {
		if (strncmp(path, sp, n) != 0 || path[n] != '.')
			return false;
		path += n + 1;
	}
	return strchr(path, '.') == NULL;
}

static void *
field(void *base, const struct cfg_item *it)
{
	return (char *)base + it->off;
}

static size_t *
count_field(void *base, const struct cfg_item *it)
{
	return (size_t *)(void *)((char *)base + it->cnt_off);
}

static void
put_uint(void *f, size_t size, uint64_t v)
{
	switch (size) {
	case 1: {
		uint8_t u = (uint8_t)v;
		memcpy(f, &u, 1);
		break;
	}
	case 2: {
		uint16_t u = (uint16_t)v;
		memcpy(f, &u, 2);
		break;
	}
	case 4: {
		uint32_t u = (uint32_t)v;
		memcpy(f, &u, 4);
		break;
	}
	default:
		memcpy(f, &v, 8);
		break;
	}
}

static const char *
type_name(enum cfg_type t)
{
	switch (t) {
	case CT_MAP:
		return "a mapping";
	case CT_MAPS:
		return "a list of mappings";
	case CT_STRS:
		return "a list";
	case CT_INT:
		return "an integer";
	case CT_BOOL:
		return "true or false";
	case CT_DURATION:
		return "a duration";
	case CT_SIZE:
		return "a size";
	case CT_STR:
	default:
		return "a string";
	}
}

static const char *
node_kind(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE    ? "a mapping"
	       : n->type == YAML_SEQUENCE_NODE ? "a list"
	                                       : "a scalar";
}

/* -------------------------------------------------------- document helpers */

static int
line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static yaml_node_t *
node(struct ctx *x, int id)
{
	return yaml_document_get_node(&x->doc, id);
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain empty, "~" or "null" value counts as absent. */
static bool
is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = scalar(n);
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* Value of key in mapping map, or NULL (also for a null value). */
static yaml_node_t *
map_get(struct ctx *x, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(x, p->key), *v = node(x, p->value);
		if (k && v && k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
			return is_null(v) ? NULL : v;
	}
	return NULL;
}

/* Line of the deepest node that exists along a display path such as
 * "zones[2].transfer.tsig" (for messages from the cross-checks). */
static int line_of(struct ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
line_of(struct ctx *x, const char *fmt, ...)
{
	char path[CFG_PATH_MAX], *tok, *save = NULL;
	yaml_node_t *n = x->root;
	int l = n ? line(n) : 1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	for (tok = strtok_r(path, ".", &save); tok && n; tok = strtok_r(NULL, ".", &save)) {
		char *br = strchr(tok, '[');
		long idx = -1;
		if (br) {
			*br = '\0';
			idx = strtol(br + 1, NULL, 10);
		}
		n = map_get(x, n, tok);
		if (n && idx >= 0) {
			if (n->type != YAML_SEQUENCE_NODE ||
			    idx >= n->data.sequence.items.top - n->data.sequence.items.start)
				break;
			n = node(x, n->data.sequence.items.start[idx]);
		}
		if (n)
			l = line(n);
	}
	return l;
}

/* Marks a collection node visited; a second visit means a YAML alias, which
 * would let a small file expand into a huge walk. */
static bool
first_visit(struct ctx *x, yaml_node_t *n, const char *dk)
{
	size_t i = (size_t)(n - x->doc.nodes.start);

	if (i < x->nnodes && x->seen[i]) {
		err(x, x->key_line, "'%s': aliases of mappings or lists are not supported", dk);
		return false;
	}
	if (i < x->nnodes)
		x->seen[i] = 1;
	return true;
}

/* ---------------------------------------------------------- value storage */

/* Converts a string-like value; *out is malloc'd (NULL for an accepted empty
 * value with F_EMPTY_NULL).  Reports and returns -1 when invalid. */
static int
str_conv(struct ctx *x, const struct cfg_item *it, const char *s, int l, const char *dk, char **out)
{
	char buf[CFG_PATH_MAX + 64];
	const char *why = NULL;
	size_t i;

	*out = NULL;
	if (*s == '\0') {
		if (it->flags & F_EMPTY_NULL)
			return 0;
		if (!(it->flags & F_EMPTY_OK)) {
			err(x, l, "'%s' must not be empty", dk);
			return -1;
		}
	}
	switch (it->check) {
	case CK_DNAME:
		if ((why = dname_norm(s, buf)) != NULL) {
			err(x, l, "'%s': '%.100s' is not a valid domain name: %s", dk, s, why);
			return -1;
		}
		s = buf;
		break;
	case CK_NET:
		if ((why = net_check(s)) != NULL) {
			err(x, l, "'%s': '%.100s': %s", dk, s, why);
			return -1;
		}
		break;
	case CK_PEER: {
		struct sockaddr_storage ss;
		socklen_t sl;
		if ((why = addr_parse(s, 53, &ss, &sl)) != NULL) {
			err(x, l, "'%s': '%.100s': %s", dk, s, why);
			return -1;
		}
		addr_format(&ss, buf, sizeof(buf));
		s = buf;
		break;
	}
	case CK_PATH:
		if (s[0] != '/') {
			size_t need = strlen(x->c->dir) + strlen(s) + 2;
			if ((*out = malloc(need)) == NULL) {
				x->nomem = true;
				return -1;
			}
			snprintf(*out, need, "%s/%s", x->c->dir, s);
			return 0;
		}
		break;
	case CK_URL:
		if ((strncasecmp(s, "http://", 7) != 0 || s[7] == '\0') &&
		    (strncasecmp(s, "https://", 8) != 0 || s[8] == '\0')) {
			err(x, l, "'%s': '%.100s' must be an http:// or https:// URL", dk, s);
			return -1;
		}
		break;
	case CK_ENUM: {
		char list[128] = "";
		for (i = 0; it->choices[i]; i++)
			if (strcmp(s, it->choices[i]) == 0)
				break;
		if (it->choices[i] != NULL)
			break;
		for (i = 0; it->choices[i]; i++) {
			if (i > 0)
				strncat(list, ", ", sizeof(list) - strlen(list) - 1);
			strncat(list, it->choices[i], sizeof(list) - strlen(list) - 1);
		}
		err(x, l, "'%s': '%.100s' is not one of %s", dk, s, list);
		return -1;
	}
	case CK_CRON:
		if ((why = cron_check(s)) != NULL) {
			err(x, l, "'%s': '%.100s': %s", dk, s, why);
			return -1;
		}
		break;
	default:
		break;
	}
	*out = xstrdup(x, s);
	return *out ? 0 : -1;
}

static void
store_scalar(struct ctx *x, const struct cfg_item *it, const char *s, int l, const char *dk,
             void *base)
{
	void *f = field(base, it);
	const char *why = NULL;
	int64_t v = 0;

	switch (it->type) {
	case CT_INT:
		why = int_parse(s, &v);
		break;
	case CT_DURATION:
		why = duration_parse(s, &v);
		break;
	case CT_SIZE:
		why = size_parse(s, &v);
		break;
	case CT_BOOL:
		if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on"))
			*(bool *)f = true;
		else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off"))
			*(bool *)f = false;
		else
			err(x, l, "'%s' must be true or false, not '%.100s'", dk, s);
		return;
	default:
		break;
	}
	if (it->type == CT_INT || it->type == CT_DURATION || it->type == CT_SIZE) {
		if (why && strcmp(why, "integer out of range") == 0)
			err(x, l, "'%s': %.100s is out of range", dk, s);
		else if (why)
			err(x, l, "'%s' must be %s, not '%.100s'", dk, type_name(it->type), s);
		else if (v < it->min || v > it->max)
			err(x, l, "'%s' must be between %lld and %lld, not %.100s", dk,
			    (long long)it->min, (long long)it->max, s);
		else
			put_uint(f, it->size, (uint64_t)v);
		return;
	}
	if (it->check == CK_ADDR) {
		struct cfg_addr *a = f;
		struct cfg_addr tmp;
		if (strlen(s) >= sizeof(tmp.text))
			why = "too long";
		else
			why = addr_parse(s, 0, &tmp.ss, &tmp.sslen);
		if (why) {
			err(x, l, "'%s': '%.100s': %s", dk, s, why);
			return;
		}
		snprintf(tmp.text, sizeof(tmp.text), "%s", s);
		*a = tmp;
		return;
	}
	if (it->check == CK_BASE64) {
		size_t len = 0;
		if (*s == '\0' ||
		    sodium_base642bin(f, it->size, s, strlen(s), " \t\r\n", &len, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    len == 0) {
			err(x, l, "'%s' must be non-empty base64 of at most %zu bytes", dk,
			    it->size);
			return;
		}
		*count_field(base, it) = len;
		return;
	}
	{
		char *n;
		if (str_conv(x, it, s, l, dk, &n) == 0) {
			free(*(char **)f);
			*(char **)f = n;
		}
	}
}

/* Applies the defaults of every scalar owned by owner to base. */
static void
apply_defaults(struct ctx *x, const char *owner, void *base)
{
	size_t i;

	for (i = 0; i < NSCHEMA; i++) {
		const struct cfg_item *it = &schema[i];
		if (it->def == NULL || !owned_by(it->path, owner))
			continue;
		if (it->type == CT_STRS) {
			/* one-element list: only dns.listen has such a default */
			struct cfg_addr *a = calloc(1, sizeof(*a));
			if (a == NULL) {
				x->nomem = true;
				continue;
			}
			*(struct cfg_addr **)field(base, it) = a;
			*count_field(base, it) = 1;
			if (addr_parse(it->def, 0, &a->ss, &a->sslen) != NULL)
				err(x, 0, "bad built-in default for '%s'", it->path);
			snprintf(a->text, sizeof(a->text), "%s", it->def);
			continue;
		}
		store_scalar(x, it, it->def, 0, it->path, base);
	}
}

static void free_owned(const char *owner, void *base);

static void
free_strs(const struct cfg_item *it, void *base)
{
	size_t i, n = *count_field(base, it);

	if (it->check != CK_ADDR) {
		char **v = *(char ***)field(base, it);
		for (i = 0; v && i < n; i++)
			free(v[i]);
	}
	free(*(void **)field(base, it));
	*(void **)field(base, it) = NULL;
	*count_field(base, it) = 0;
}

/* List of strings (or one string standing for a one-element list). */
static void
store_strs(struct ctx *x, const struct cfg_item *it, yaml_node_t *v, const char *dk, void *base)
{
	yaml_node_item_t *ids = NULL;
	size_t n = 1, i, j, got = 0;
	char **strs = NULL, key[CFG_PATH_MAX + 32];
	struct cfg_addr *addrs = NULL;
	int *lines = NULL;
	char(*norm)[80] = NULL;

	if (v->type == YAML_SEQUENCE_NODE) {
		if (!first_visit(x, v, dk))
			return;
		ids = v->data.sequence.items.start;
		n = (size_t)(v->data.sequence.items.top - ids);
	} else if (v->type != YAML_SCALAR_NODE) {
		err(x, line(v), "'%s' must be a list, not %s", dk, node_kind(v));
		return;
	}
	if ((int64_t)n < it->min || (int64_t)n > it->max) {
		err(x, line(v), "'%s' needs %lld to %lld entries, not %zu", dk, (long long)it->min,
		    (long long)it->max, n);
		return;
	}
	free_strs(it, base);
	if (n == 0)
		return;
	if (it->check == CK_ADDR)
		addrs = calloc(n, sizeof(*addrs));
	else
		strs = calloc(n, sizeof(*strs));
	lines = calloc(n, sizeof(*lines));
	norm = calloc(n, sizeof(*norm));
	if ((addrs == NULL && strs == NULL) || lines == NULL || norm == NULL) {
		x->nomem = true;
		free(addrs);
		free(strs);
		free(lines);
		free(norm);
		return;
	}
	*(void **)field(base, it) = addrs ? (void *)addrs : (void *)strs;
	for (i = 0; i < n; i++) {
		yaml_node_t *e = ids ? node(x, ids[i]) : v;
		struct cfg_item one = *it;
		if (e == NULL)
			continue;
		if (ids)
			snprintf(key, sizeof(key), "%.200s[%zu]", dk, i);
		else
			snprintf(key, sizeof(key), "%s", dk);
		if (e->type != YAML_SCALAR_NODE) {
			err(x, line(e), "'%s' must be a string, not %s", key, node_kind(e));
			continue;
		}
		one.type = CT_STR;
		if (addrs) {
			one.off = 0;
			store_scalar(x, &one, scalar(e), line(e), key, &addrs[got]);
			if (addrs[got].sslen == 0)
				continue;
			addr_format(&addrs[got].ss, norm[got], sizeof(norm[got]));
		} else {
			if (str_conv(x, &one, scalar(e), line(e), key, &strs[got]) != 0 ||
			    strs[got] == NULL)
				continue;
			snprintf(norm[got], sizeof(norm[got]), "%s", strs[got]);
		}
		lines[got] = line(e);
		for (j = 0; j < got; j++)
			if (strcmp(norm[j], norm[got]) == 0)
				break;
		if (j < got) {
			err(x, line(e), "'%s': '%.100s' is listed twice (also at line %d)", key,
			    norm[got], lines[j]);
			if (strs)
				free(strs[got]);
			else
				memset(&addrs[got], 0, sizeof(addrs[got]));
			continue;
		}
		got++;
		*count_field(base, it) = got;
	}
	free(lines);
	free(norm);
}

static void walk_map(struct ctx *x, yaml_node_t *map, const char *sp, const char *dp, void *base);

static void
store_maps(struct ctx *x, const struct cfg_item *it, yaml_node_t *v, const char *dk, void *base)
{
	char sp[CFG_PATH_MAX], dp[CFG_PATH_MAX + 32];
	size_t n, i;
	char *arr;

	if (v->type != YAML_SEQUENCE_NODE) {
		err(x, line(v), "'%s' must be a list of mappings, not %s", dk, node_kind(v));
		return;
	}
	if (!first_visit(x, v, dk))
		return;
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if ((int64_t)n < it->min || (int64_t)n > it->max) {
		err(x, line(v), "'%s' needs %lld to %lld entries, not %zu", dk, (long long)it->min,
		    (long long)it->max, n);
		return;
	}
	if (n == 0)
		return;
	arr = calloc(n, it->size);
	if (arr == NULL) {
		x->nomem = true;
		return;
	}
	*(void **)field(base, it) = arr;
	*count_field(base, it) = n;
	snprintf(sp, sizeof(sp), "%s[]", it->path);
	for (i = 0; i < n; i++) {
		yaml_node_t *e = node(x, v->data.sequence.items.start[i]);
		void *elem = arr + i * it->size;
		snprintf(dp, sizeof(dp), "%.200s[%zu]", dk, i);
		apply_defaults(x, sp, elem);
		if (e == NULL)
			continue;
		*(int *)(void *)((char *)elem + it->line_off) = line(e);
		if (e->type != YAML_MAPPING_NODE) {
			err(x, line(e), "'%s' must be a mapping, not %s", dp, node_kind(e));
			continue;
		}
		walk_map(x, e, sp, dp, elem);
	}
}

static void
store(struct ctx *x, const struct cfg_item *it, yaml_node_t *v, const char *dk, void *base)
{
	switch (it->type) {
	case CT_MAP:
		if (v->type != YAML_MAPPING_NODE)
			err(x, line(v), "'%s' must be a mapping, not %s", dk, node_kind(v));
		else
			walk_map(x, v, it->path, dk, base);
		return;
	case CT_MAPS:
		store_maps(x, it, v, dk, base);
		return;
	case CT_STRS:
		store_strs(x, it, v, dk, base);
		return;
	default:
		break;
	}
	if (v->type != YAML_SCALAR_NODE) {
		err(x, line(v), "'%s' must be %s, not %s", dk, type_name(it->type), node_kind(v));
		return;
	}
	store_scalar(x, it, scalar(v), line(v), dk, base);
}

/* Reports required children of sp that map lacks (or has with no value). */
static void
check_required(struct ctx *x, yaml_node_t *map, const char *sp, const char *dp)
{
	size_t i;

	for (i = 0; i < NSCHEMA; i++) {
		const struct cfg_item *it = &schema[i];
		const char *key;
		yaml_node_pair_t *p;
		yaml_node_t *k = NULL, *v = NULL;
		if (!(it->flags & F_REQUIRED) || !child_of(it->path, sp))
			continue;
		key = it->path + (*sp ? strlen(sp) + 1 : 0);
		for (p = map ? map->data.mapping.pairs.start : NULL;
		     map && p < map->data.mapping.pairs.top; p++) {
			k = node(x, p->key);
			v = node(x, p->value);
			if (k && v && k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
				break;
			k = NULL;
		}
		if (k == NULL)
			err(x, map ? line(map) : 1, "missing required key '%s%s%s'", dp,
			    *dp ? "." : "", key);
		else if (is_null(v))
			err(x, line(k), "'%s%s%s' needs a value", dp, *dp ? "." : "", key);
	}
}

/* Walks one mapping whose schema prefix is sp ("" for the top level) and
 * display prefix dp ("zones[1].soa"); values land in base. */
static void
walk_map(struct ctx *x, yaml_node_t *map, const char *sp, const char *dp, void *base)
{
	yaml_node_pair_t *p, *q;

	if (!first_visit(x, map, *dp ? dp : "top level"))
		return;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(x, p->key), *v = node(x, p->value);
		char sk[CFG_PATH_MAX], dk[CFG_PATH_MAX + 32];
		const struct cfg_item *it = NULL;
		const char *key;
		if (k == NULL || v == NULL)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			err(x, line(k), "keys under '%s' must be plain names, not %s",
			    *dp ? dp : "top level", node_kind(k));
			continue;
		}
		key = scalar(k);
		snprintf(sk, sizeof(sk), "%s%s%s", sp, *sp ? "." : "", key);
		snprintf(dk, sizeof(dk), "%.150s%s%.100s", dp, *dp ? "." : "", key);
		if (strpbrk(key, ".[]") == NULL && strlen(key) == k->data.scalar.length)
			it = item_find(sk);
		if (it == NULL) {
			err(x, line(k), "unknown key '%s'", dk);
			continue;
		}
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = node(x, q->key);
			if (k2 && k2->type == YAML_SCALAR_NODE && strcmp(scalar(k2), key) == 0)
				break;
		}
		if (q < p) {
			err(x, line(k), "duplicate key '%s' (first at line %d)", dk,
			    line(node(x, q->key)));
			continue;
		}
		if (is_null(v))
			continue; /* absent; check_required reports it if needed */
		if (v->type == YAML_SCALAR_NODE && strlen(scalar(v)) != v->data.scalar.length) {
			err(x, line(v), "'%s' contains a NUL character", dk);
			continue;
		}
		x->key_line = line(k);
		store(x, it, v, dk, base);
	}
	check_required(x, map, sp, dp);
}

/* ------------------------------------------------------------ cross-checks */

static int
tsig_index(const struct cfg *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ntsig; i++)
		if (c->tsig[i].name && strcmp(c->tsig[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* "<label>.<zone>" as a default name, checked for length. */
static char *
derived_name(struct ctx *x, const char *label, const char *zone, int l, const char *what)
{
	char buf[600], norm[CFG_PATH_MAX + 64];

	snprintf(buf, sizeof(buf), "%s.%s", label, zone);
	if (dname_norm(buf, norm) != NULL) {
		err(x, l, "'%s' must be set: the default %.100s... is too long", what, buf);
		return NULL;
	}
	return xstrdup(x, norm);
}

static void
finalize_zones(struct ctx *x)
{
	struct cfg *c = x->c;
	size_t i, j;

	for (i = 0; i < c->nzones; i++) {
		struct cfg_zone *z = &c->zones[i];
		char what[64];
		if (z->name == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (c->zones[j].name && strcmp(c->zones[j].name, z->name) == 0)
				break;
		if (j < i)
			err(x, line_of(x, "zones[%zu].name", i),
			    "duplicate zone '%s' (first at line %d)", z->name,
			    line_of(x, "zones[%zu].name", j));
		if (z->nns == 0) {
			snprintf(what, sizeof(what), "zones[%zu].ns", i);
			free(z->ns);
			z->ns = calloc(1, sizeof(*z->ns));
			if (z->ns == NULL) {
				x->nomem = true;
				continue;
			}
			z->ns[0] = derived_name(x, "ns1", z->name, z->line, what);
			z->nns = z->ns[0] ? 1 : 0;
		}
		if (z->soa.mname == NULL && z->nns > 0)
			z->soa.mname = xstrdup(x, z->ns[0]);
		if (z->soa.rname == NULL) {
			snprintf(what, sizeof(what), "zones[%zu].soa.rname", i);
			z->soa.rname = derived_name(x, "hostmaster", z->name, z->line, what);
		}
		if (z->transfer_tsig && tsig_index(c, z->transfer_tsig) < 0)
			err(x, line_of(x, "zones[%zu].transfer.tsig", i),
			    "'zones[%zu].transfer.tsig': no key named '%s' under 'tsig'", i,
			    z->transfer_tsig);
	}
}

static void
finalize_keys(struct ctx *x)
{
	struct cfg *c = x->c;
	size_t i, j, k;

	for (i = 0; i < c->ntsig; i++) {
		for (j = 0; c->tsig[i].name && j < i; j++)
			if (c->tsig[j].name && strcmp(c->tsig[j].name, c->tsig[i].name) == 0)
				break;
		if (c->tsig[i].name && j < i)
			err(x, line_of(x, "tsig[%zu].name", i),
			    "duplicate tsig key '%s' (first at line %d)", c->tsig[i].name,
			    line_of(x, "tsig[%zu].name", j));
	}
	{
		yaml_node_t *seq = map_get(x, x->root, "tsig");
		for (i = 0; seq && seq->type == YAML_SEQUENCE_NODE && i < c->ntsig; i++) {
			yaml_node_t *el = node(x, seq->data.sequence.items.start[i]);
			struct cfg_tsig *t = &c->tsig[i];
			if (el && el->type == YAML_MAPPING_NODE && map_get(x, el, "update"))
				t->update_policy = true;
			for (k = 0; k < t->nupdate_names; k++) {
				const char *nm = t->update_names[k];
				char norm[CFG_PATH_MAX + 64];
				if (strncmp(nm, "*.", 2) == 0)
					nm += 2;
				if (dname_norm(nm, norm) != NULL) {
					err(x, line_of(x, "tsig[%zu].update.names", i),
					    "'tsig[%zu].update.names': '%.100s' is not a domain name "
					    "or '*.' and one",
					    i, t->update_names[k]);
					continue;
				}
				snprintf(t->update_names[k], strlen(t->update_names[k]) + 1, "%s%s",
					 nm != t->update_names[k] ? "*." : "", norm);
			}
		}
	}
	for (i = 0; i < c->nnotify; i++) {
		struct cfg_notify *n = &c->notify[i];
		for (j = 0; n->name && j < i; j++)
			if (c->notify[j].name && strcmp(c->notify[j].name, n->name) == 0)
				break;
		if (n->name && j < i)
			err(x, line_of(x, "notify[%zu].name", i),
			    "duplicate notify target '%s' (first at line %d)", n->name,
			    line_of(x, "notify[%zu].name", j));
		if (n->type && strcmp(n->type, "command") == 0 && n->command == NULL)
			err(x, n->line, "'notify[%zu].command' is required for type command", i);
		if (n->type && strcmp(n->type, "command") != 0 && n->url == NULL)
			err(x, n->line, "'notify[%zu].url' is required for type %s", i, n->type);
		if (n->nevents == 0) {
			free(n->events);
			for (k = 0; notify_events[k]; k++)
				;
			n->events = calloc(k, sizeof(*n->events));
			if (n->events == NULL) {
				x->nomem = true;
				continue;
			}
			for (k = 0; notify_events[k]; k++)
				n->events[k] = xstrdup(x, notify_events[k]);
			n->nevents = k;
		}
	}
}

static void
finalize_backup(struct ctx *x)
{
	struct cfg *c = x->c;
	yaml_node_t *b = map_get(x, x->root, "backup");

	c->backup.enabled = b && b->type == YAML_MAPPING_NODE;
	c->backup.s3_enabled = c->backup.enabled && map_get(x, b, "s3") != NULL;
	if (map_get(x, b, "interval") && map_get(x, b, "schedule"))
		err(x, line(b), "'backup': set either 'interval' or 'schedule', not both");
	else if (c->backup.schedule == NULL && c->backup.interval == 0 &&
	         map_get(x, b, "interval") == NULL)
		c->backup.interval = 86400;
	if (c->backup.schedule)
		c->backup.interval = 0;
}

static void
finalize(struct ctx *x)
{
	struct cfg *c = x->c;
	const char *env = getenv("DDNSD_MASTER_TOKEN");

	finalize_zones(x);
	finalize_keys(x);
	finalize_backup(x);
	if (c->acme_zone == NULL && c->nzones > 0 && c->zones[0].name)
		c->acme_zone = xstrdup(x, c->zones[0].name);
	else if (c->acme_zone && cfg_zone_index(c, c->acme_zone) < 0)
		err(x, line_of(x, "acme.zone"), "'acme.zone': '%s' is not one of the zones",
		    c->acme_zone);
	if (env && *env) {
		free(c->master_token);
		c->master_token = xstrdup(x, env);
	}
}

/* ------------------------------------------------------------------ files */

/* Reads the whole file; reports like the caller expects for a missing file. */
static int
file_read(struct ctx *x, const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	char *b;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = errno == ENOENT ? DD_ENOENT : DD_EIO;
		err(x, 0, "%s", strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		err(x, 0, "%s", strerror(EISDIR));
		rc = DD_EIO;
		goto done;
	}
	if (st.st_size > CFG_MAX_FILE) {
		err(x, 0, "larger than %u bytes", CFG_MAX_FILE);
		rc = DD_ECONFIG;
		goto done;
	}
	b = malloc((size_t)st.st_size + 1);
	if (b == NULL) {
		rc = DD_ENOMEM;
		goto done;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err(x, 0, "%s", strerror(errno));
			free(b);
			rc = DD_EIO;
			goto done;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
done:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Absolute path of the file and its directory (realpath of the directory, so
 * a symlinked config still reads as the name it was given). */
static int
resolve_paths(struct ctx *x, const char *path)
{
	char *copy = xstrdup(x, path), *slash, *real = NULL;
	const char *dir, *base;
	size_t need;
	int rc = 0;

	if (copy == NULL)
		return DD_ENOMEM;
	slash = strrchr(copy, '/');
	if (slash == NULL) {
		dir = ".";
		base = copy;
	} else {
		*slash = '\0';
		dir = slash == copy ? "/" : copy;
		base = slash + 1;
	}
	real = realpath(dir, NULL);
	if (real == NULL) {
		err(x, 0, "%s", strerror(errno));
		rc = DD_EIO;
		goto done;
	}
	need = strlen(real) + strlen(base) + 2;
	x->c->path = malloc(need);
	if (x->c->path == NULL) {
		rc = DD_ENOMEM;
		goto done;
	}
	snprintf(x->c->path, need, "%s%s%s", real, strcmp(real, "/") ? "/" : "", base);
	x->c->dir = real;
	real = NULL;
done:
	free(real);
	free(copy);
	return rc;
}

static int
offset_line(const char *buf, size_t len, size_t off)
{
	int l = 1;
	size_t i;

	for (i = 0; i < off && i < len; i++)
		if (buf[i] == '\n')
			l++;
	return l;
}

static int
parse_document(struct ctx *x, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return DD_ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &x->doc)) {
		int l = parser.error == YAML_READER_ERROR
		                ? offset_line(buf, len, parser.problem_offset)
		                : (int)parser.problem_mark.line + 1;
		if (parser.error == YAML_MEMORY_ERROR) {
			rc = DD_ENOMEM;
		} else {
			err(x, l, "YAML syntax error: %s%s%s",
			    parser.problem ? parser.problem : "?", parser.context ? " " : "",
			    parser.context ? parser.context : "");
			rc = DD_ECONFIG;
		}
		yaml_parser_delete(&parser);
		return rc;
	}
	x->root = yaml_document_get_root_node(&x->doc);
	if (x->root) {
		if (!yaml_parser_load(&parser, &extra)) {
			err(x, (int)parser.problem_mark.line + 1, "YAML syntax error: %s",
			    parser.problem ? parser.problem : "?");
		} else {
			yaml_node_t *r2 = yaml_document_get_root_node(&extra);
			if (r2)
				err(x, line(r2), "only one YAML document is allowed");
			yaml_document_delete(&extra);
		}
	}
	yaml_parser_delete(&parser);
	return 0;
}

/* ---------------------------------------------------------------- public */

static int
load(struct ctx *x, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = file_read(x, path, &buf, &len)) != 0)
		return rc;
	if ((rc = resolve_paths(x, path)) != 0)
		goto done;
	apply_defaults(x, "", x->c);
	if ((rc = parse_document(x, buf, len)) != 0)
		goto done;
	x->nnodes = (size_t)(x->doc.nodes.top - x->doc.nodes.start);
	x->seen = calloc(x->nnodes + 1, 1);
	if (x->seen == NULL) {
		rc = DD_ENOMEM;
		goto done;
	}
	if (x->root && x->root->type == YAML_MAPPING_NODE)
		walk_map(x, x->root, "", "", x->c);
	else if (x->root && !is_null(x->root))
		err(x, line(x->root), "the top level must be a mapping of keys, not %s",
		    node_kind(x->root));
	else
		check_required(x, NULL, "", "");
	finalize(x);
done:
	free(buf);
	return rc;
}

int
cfg_load(const char *path, struct cfg **out, struct cfg_errors *errs)
{
	struct cfg_errors discard = {0};
	struct ctx x;
	int rc;

	memset(&x, 0, sizeof(x));
	*out = NULL;
	x.errs = errs ? errs : &discard;
	x.errs->msg = NULL;
	x.errs->n = 0;
	x.file = path;
	x.c = calloc(1, sizeof(*x.c));
	if (x.c == NULL)
		return DD_ENOMEM;
	rc = load(&x, path);
	if (x.root || x.doc.nodes.start)
		yaml_document_delete(&x.doc);
	if (x.too_many)
		err(&x, 0, "too many errors; only the first %d are shown", CFG_MAX_ERRORS);
	if (rc == 0 && x.nomem)
		rc = DD_ENOMEM;
	if (rc == 0 && x.errs->n > 0)
		rc = DD_ECONFIG;
	errs_sort(&x);
	free(x.lines);
	free(x.seen);
	if (rc != 0) {
		cfg_free(x.c);
		cfg_errors_fini(&discard);
		return rc;
	}
	*out = x.c;
	return 0;
}

static void
free_owned(const char *owner, void *base)
{
	size_t i, j;

	for (i = 0; i < NSCHEMA; i++) {
		const struct cfg_item *it = &schema[i];
		if (!owned_by(it->path, owner))
			continue;
		if (it->type == CT_STR && it->check == CK_BASE64) {
			sodium_memzero(field(base, it), it->size);
		} else if (it->type == CT_STR && it->check != CK_ADDR) {
			free(*(char **)field(base, it));
		} else if (it->type == CT_STRS) {
			free_strs(it, base);
		} else if (it->type == CT_MAPS) {
			char sub[CFG_PATH_MAX];
			char *arr = *(char **)field(base, it);
			size_t n = *count_field(base, it);
			snprintf(sub, sizeof(sub), "%s[]", it->path);
			for (j = 0; arr && j < n; j++)
				free_owned(sub, arr + j * it->size);
			free(arr);
		}
	}
}

void
cfg_free(struct cfg *c)
{
	if (c == NULL)
		return;
	free_owned("", c);
	free(c->path);
	free(c->dir);
	free(c);
}

void
cfg_errors_fini(struct cfg_errors *errs)
{
	size_t i;

	if (errs == NULL)
		return;
	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

int
cfg_zone_index(const struct cfg *c, const char *name)
{
	size_t i, n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	for (i = 0; i < c->nzones; i++)
		if (c->zones[i].name && strlen(c->zones[i].name) == n &&
		    strncasecmp(c->zones[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

int
cfg_zone_of_name(const struct cfg *c, const char *name)
{
	size_t nlen = strlen(name), blen = 0;
	int best = -1;

	for (size_t i = 0; i < c->nzones; i++) {
		const char *z = c->zones[i].name;
		size_t zl = strlen(z);
		if (zl > nlen || zl < blen || strcmp(name + nlen - zl, z) != 0)
			continue;
		/* at a label boundary: "xample.test" is not in "example.test" */
		if (nlen != zl && name[nlen - zl - 1] != '.')
			continue;
		best = (int)i;
		blen = zl;
	}
	return best;
}
