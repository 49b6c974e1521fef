/*
 * zonefile.c - RFC 1035 section 5 master files, in: names and numbers, the
 * parser, whole-zone checks, zf_parse_buf/file.  The lexer is in
 * zonefile_lex.c, zf_write() in zonefile_write.c.
 */
#include "dns/zonefile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/dd.h"
#include "dns/rdata.h"
#include "dns/zonefile_int.h"

#define ZF_SHOW_MAX   48    /* bytes of a field quoted in an error message */

/* ------------------------------------------------------------ names and numbers */

static void
lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Checks a lower-case name against ddnsd's rules; NULL or the reason. */
static const char *
name_check(const char *s, bool wildcard)
{
	size_t len = strlen(s), lab = 0;

	if (len == 0)
		return "the root name is not supported";
	if (len > 253)
		return "name longer than 253 characters";
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '.') {
			if (lab == 0)
				return "empty label";
			lab = 0;
			continue;
		}
		if (++lab > 63)
			return "label longer than 63 characters";
		if (c == '*') {
			if (!wildcard)
				return "'*' is not allowed here";
			if (i != 0 || (s[1] != '.' && s[1] != '\0'))
				return "'*' is allowed only as the whole first label";
		} else if (!((c >= 'a' && c <= 'z') || dns_zf_is_digit(c) || c == '-' ||
		             c == '_')) {
			return "invalid character (letters, digits, '-' and '_' only)";
		}
	}
	return lab == 0 ? "empty label" : NULL;
}

/* Presentation name (absolute, relative to origin, or "@") -> canonical; NULL or reason. */
static const char *
name_resolve(const char *text, const struct zf_tok *t, const char *origin, bool wildcard,
             char out[ZF_NAME_MAX])
{
	size_t len = t->len, olen = strlen(origin);

	if (t->quoted)
		return "a name cannot be quoted";
	if (t->escaped)
		return "escapes in names are not supported";
	if (strcmp(text, "@") == 0) {
		memcpy(out, origin, olen + 1);
		return name_check(out, wildcard);
	}
	if (len == 1 && text[0] == '.')
		return "the root name is not supported";
	if (len > 0 && text[len - 1] == '.') {
		len--;
		olen = 0;
	}
	if (len + (olen > 0 ? 1 + olen : 0) > 253)
		return "name longer than 253 characters";
	memcpy(out, text, len);
	if (olen > 0) {
		out[len] = '.';
		memcpy(out + len + 1, origin, olen);
		len += 1 + olen;
	}
	out[len] = '\0';
	lower(out);
	return name_check(out, wildcard);
}

bool
dns_zf_name_in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (n == z)
		return strcmp(name, zone) == 0;
	return n > z && name[n - z - 1] == '.' && strcmp(name + n - z, zone) == 0;
}

/* A TTL: seconds, or BIND units ("1h30m", "2d", "1w"); at most ZF_TTL_MAX. */
static bool
ttl_parse(const char *s, uint32_t *out)
{
	uint64_t total = 0, cur = 0;
	bool digits = false, units = false;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		uint64_t mult;
		if (dns_zf_is_digit(*s)) {
			cur = cur * 10 + (uint64_t)(*s - '0');
			if (cur > ZF_TTL_MAX)
				return false;
			digits = true;
			continue;
		}
		switch (*s) {
		case 's':
		case 'S':
			mult = 1;
			break;
		case 'm':
		case 'M':
			mult = 60;
			break;
		case 'h':
		case 'H':
			mult = 3600;
			break;
		case 'd':
		case 'D':
			mult = 86400;
			break;
		case 'w':
		case 'W':
			mult = 604800;
			break;
		default:
			return false;
		}
		if (!digits)
			return false;
		total += cur * mult;
		if (total > ZF_TTL_MAX)
			return false;
		cur = 0;
		digits = false;
		units = true;
	}
	if (digits) {
		if (units)
			return false;
		total = cur;
	}
	*out = (uint32_t)total;
	return true;
}

/* An SOA serial: decimal, 0..4294967295 (RFC 1982 arithmetic is not our business). */
static bool
serial_parse(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (!dns_zf_is_digit(*s))
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > 0xffffffffu)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* ------------------------------------------------------------ parser */

struct zf_err {
	int line;
	size_t seq;
	char *msg;
};

struct zf_parser {
	const char *fname;
	char zone[ZF_NAME_MAX];   /* the apex */
	char origin[ZF_NAME_MAX]; /* current $ORIGIN */
	char owner[ZF_NAME_MAX];  /* previous owner */
	bool has_owner;
	int bad_owner_line; /* the last owner field in error */
	uint32_t ttl;       /* current default TTL */
	int soa_line;
	bool nomem, limit_reported;
	size_t rcap, nscap;
	struct zf_err *errs;
	size_t nerr, errcap, dropped;
	struct zf_result *out;
	struct zf_lex lx;
	struct zf_rec rec;
};

static void perr(struct zf_parser *p, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Collects an error; line 0 means the file as a whole. */
static void
perr(struct zf_parser *p, int line, const char *fmt, ...)
{
	char msg[512];
	char *s;
	va_list ap;
	int n;

	if (p->nerr >= ZF_ERRORS_MAX) {
		p->dropped++;
		return;
	}
	if (p->nerr == p->errcap) {
		size_t cap = p->errcap ? p->errcap * 2 : 16;
		struct zf_err *e = realloc(p->errs, cap * sizeof(*e));
		if (e == NULL) {
			p->nomem = true;
			return;
		}
		p->errs = e;
		p->errcap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		n = asprintf(&s, "%s:%d: %s", p->fname, line, msg);
	else
		n = asprintf(&s, "%s: %s", p->fname, msg);
	if (n < 0) {
		p->nomem = true;
		return;
	}
	p->errs[p->nerr] = (struct zf_err){.line = line, .seq = p->nerr, .msg = s};
	p->nerr++;
}

/* A field as it may appear in a message: printable, shortened. */
static const char *
show(const struct zf_rec *r, const struct zf_tok *t, char buf[ZF_SHOW_MAX * 4 + 8])
{
	size_t o = 0;

	for (size_t i = 0; i < t->len && i < ZF_SHOW_MAX; i++) {
		unsigned char c = (unsigned char)r->text[t->off + i];
		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)sprintf(buf + o, "\\%03u", c);
		else
			buf[o++] = (char)c;
	}
	if (t->len > ZF_SHOW_MAX) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static const char *
tok_text(const struct zf_rec *r, size_t i)
{
	return r->text + r->tok[i].off;
}

static bool
is_class(const char *s, bool *in)
{
	static const char *const classes[] = {"IN", "CH", "CS", "HS", "NONE", "ANY"};

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strcasecmp(s, classes[i]) == 0) {
			*in = i == 0;
			return true;
		}
	/* RFC 3597 5: CLASSnnn */
	if (strncasecmp(s, "CLASS", 5) == 0 && dns_zf_is_digit(s[5])) {
		*in = strcmp(s + 5, "1") == 0;
		return true;
	}
	return false;
}

static void
directive(struct zf_parser *p, const struct zf_rec *r)
{
	const char *d = tok_text(r, 0);
	char show_buf[ZF_SHOW_MAX * 4 + 8], name[ZF_NAME_MAX];
	const char *why;

	if (strcasecmp(d, "$INCLUDE") == 0) {
		perr(p, r->line, "$INCLUDE is not supported");
		return;
	}
	if (strcasecmp(d, "$ORIGIN") != 0 && strcasecmp(d, "$TTL") != 0) {
		perr(p, r->line, "unknown directive %s", show(r, &r->tok[0], show_buf));
		return;
	}
	if (r->ntok != 2) {
		perr(p, r->line, "%s takes exactly one argument", d);
		return;
	}
	if (strcasecmp(d, "$TTL") == 0) {
		if (r->tok[1].quoted || !ttl_parse(tok_text(r, 1), &p->ttl))
			perr(p, r->line, "bad $TTL '%s' (0..%u seconds, or units like 1h30m)",
			     show(r, &r->tok[1], show_buf), ZF_TTL_MAX);
		return;
	}
	why = name_resolve(tok_text(r, 1), &r->tok[1], p->origin, false, name);
	if (why != NULL) {
		perr(p, r->line, "bad $ORIGIN '%s': %s", show(r, &r->tok[1], show_buf), why);
		return;
	}
	memcpy(p->origin, name, sizeof(name));
}

/* Field i as a name (relative to the current origin); false after reporting. */
static bool
field_name(struct zf_parser *p, const struct zf_rec *r, size_t i, const char *what,
           char out[ZF_NAME_MAX])
{
	char show_buf[ZF_SHOW_MAX * 4 + 8];
	const char *why = name_resolve(tok_text(r, i), &r->tok[i], p->origin, false, out);

	if (why != NULL)
		perr(p, r->line, "bad %s '%s': %s", what, show(r, &r->tok[i], show_buf), why);
	return why == NULL;
}

static bool
field_count(struct zf_parser *p, const struct zf_rec *r, size_t i, size_t want, const char *type,
            const char *what)
{
	if (r->ntok - i < want) {
		perr(p, r->line, "%s record: missing %s", type, what);
		return false;
	}
	if (r->ntok - i > want) {
		char show_buf[ZF_SHOW_MAX * 4 + 8];
		perr(p, r->line, "%s record: unexpected '%s' after the %s", type,
		     show(r, &r->tok[i + want], show_buf), what);
		return false;
	}
	return true;
}

static bool
rd_address(struct zf_parser *p, const struct zf_rec *r, size_t i, uint16_t type,
           char value[ZF_VALUE_MAX])
{
	const char *tname = type == DNS_TYPE_A ? "A" : "AAAA";
	int af = type == DNS_TYPE_A ? AF_INET : AF_INET6;
	char show_buf[ZF_SHOW_MAX * 4 + 8];
	uint8_t addr[16];

	if (!field_count(p, r, i, 1, tname, "address"))
		return false;
	if (r->tok[i].quoted || r->tok[i].escaped || inet_pton(af, tok_text(r, i), addr) != 1 ||
	    inet_ntop(af, addr, value, ZF_VALUE_MAX) == NULL) {
		perr(p, r->line, "%s record: bad %s address '%s'", tname,
		     type == DNS_TYPE_A ? "IPv4" : "IPv6", show(r, &r->tok[i], show_buf));
		return false;
	}
	return true;
}

/* RFC 1035 3.3.14: one or more character-strings, joined into one value. */
static bool
rd_txt(struct zf_parser *p, const struct zf_rec *r, size_t i, char value[ZF_VALUE_MAX])
{
	size_t len = 0;

	if (i >= r->ntok) {
		perr(p, r->line, "TXT record: missing text");
		return false;
	}
	for (; i < r->ntok; i++) {
		const struct zf_tok *t = &r->tok[i];
		if (t->len > 255) {
			perr(p, r->line, "TXT record: character-string longer than 255 bytes");
			return false;
		}
		if (len + t->len > 255) {
			perr(p, r->line,
			     "TXT record with several strings over 255 bytes is not supported");
			return false;
		}
		for (size_t k = 0; k < t->len; k++) {
			unsigned char c = (unsigned char)r->text[t->off + k];
			if (c < 0x20 || c == 0x7f) {
				perr(p, r->line, "TXT record: control byte \\%03u is not supported",
				     c);
				return false;
			}
		}
		memcpy(value + len, r->text + t->off, t->len);
		len += t->len;
	}
	value[len] = '\0';
	return true;
}

static void
rd_soa(struct zf_parser *p, const struct zf_rec *r, size_t i, const char *owner, uint32_t ttl)
{
	static const char *const what[] = {"refresh", "retry", "expire", "minimum"};
	struct zf_soa soa = {.ttl = ttl};
	uint32_t *timers[] = {&soa.refresh, &soa.retry, &soa.expire, &soa.minimum};
	char show_buf[ZF_SHOW_MAX * 4 + 8];

	if (strcmp(owner, p->zone) != 0) {
		perr(p, r->line, "SOA record at %s, not at the zone apex", owner);
		return;
	}
	if (p->soa_line > 0) {
		perr(p, r->line, "second SOA record (the first is at line %d)", p->soa_line);
		return;
	}
	p->soa_line = r->line;
	if (!field_count(p, r, i, 7, "SOA",
	                 "7 fields (mname rname serial refresh retry expire minimum)"))
		return;
	if (!field_name(p, r, i, "SOA mname", soa.mname) ||
	    !field_name(p, r, i + 1, "SOA rname", soa.rname))
		return;
	if (r->tok[i + 2].quoted || !serial_parse(tok_text(r, i + 2), &soa.serial)) {
		perr(p, r->line, "SOA record: bad serial '%s' (0..4294967295)",
		     show(r, &r->tok[i + 2], show_buf));
		return;
	}
	for (size_t k = 0; k < 4; k++) {
		const struct zf_tok *t = &r->tok[i + 3 + k];
		if (t->quoted || !ttl_parse(tok_text(r, i + 3 + k), timers[k])) {
			perr(p, r->line, "SOA record: bad %s '%s' (0..%u seconds)", what[k],
			     show(r, t, show_buf), ZF_TTL_MAX);
			return;
		}
	}
	p->out->soa = soa;
	p->out->has_soa = true;
}

static void
rd_ns(struct zf_parser *p, const struct zf_rec *r, size_t i, const char *owner)
{
	struct zf_result *o = p->out;
	char name[ZF_NAME_MAX];

	if (strcmp(owner, p->zone) != 0) {
		perr(p, r->line,
		     "NS record at %s: delegations are not supported (NS only at the apex)", owner);
		return;
	}
	if (!field_count(p, r, i, 1, "NS", "name server") ||
	    !field_name(p, r, i, "NS target", name))
		return;
	for (size_t k = 0; k < o->nns; k++)
		if (strcmp(o->ns[k], name) == 0)
			return;
	if (o->nns == ZF_NS_MAX) {
		perr(p, r->line, "more than %u NS records", ZF_NS_MAX);
		return;
	}
	if (o->nns == p->nscap) {
		size_t cap = p->nscap ? p->nscap * 2 : 4;
		char **v = realloc(o->ns, cap * sizeof(*v));
		if (v == NULL) {
			p->nomem = true;
			return;
		}
		o->ns = v;
		p->nscap = cap;
	}
	if ((o->ns[o->nns] = strdup(name)) == NULL) {
		p->nomem = true;
		return;
	}
	o->nns++;
}

static struct zf_record *
rr_add(struct zf_parser *p, int line)
{
	struct zf_result *o = p->out;

	if (o->n >= ZF_RECORDS_MAX) {
		if (!p->limit_reported)
			perr(p, line, "more than %u records", ZF_RECORDS_MAX);
		p->limit_reported = true;
		return NULL;
	}
	if (o->n == p->rcap) {
		size_t cap = p->rcap ? p->rcap * 2 : 64;
		struct zf_record *v = realloc(o->rr, cap * sizeof(*v));
		if (v == NULL) {
			p->nomem = true;
			return NULL;
		}
		o->rr = v;
		p->rcap = cap;
	}
	return &o->rr[o->n++];
}

/* The owner of a record: field 0, or the previous owner for an indented line. */
static bool
record_owner(struct zf_parser *p, const struct zf_rec *r, size_t *i)
{
	char show_buf[ZF_SHOW_MAX * 4 + 8], name[ZF_NAME_MAX];
	const char *why;

	if (r->indented) {
		if (!p->has_owner && p->bad_owner_line > 0) {
			perr(p, r->line, "the owner name of line %d, inherited here, is in error",
			     p->bad_owner_line);
			return false;
		}
		if (!p->has_owner) {
			perr(p, r->line,
			     "no owner name (the line starts with a blank and no record "
			     "precedes it)");
			return false;
		}
		*i = 0;
		return true;
	}
	*i = 1;
	why = name_resolve(tok_text(r, 0), &r->tok[0], p->origin, true, name);
	if (why != NULL) {
		p->has_owner = false;
		p->bad_owner_line = r->line;
		perr(p, r->line, "bad owner '%s': %s", show(r, &r->tok[0], show_buf), why);
		return false;
	}
	memcpy(p->owner, name, sizeof(name));
	p->has_owner = true;
	return true;
}

/* Optional TTL and class, in either order (RFC 1035 5.1); false after reporting. */
static bool
record_ttl_class(struct zf_parser *p, const struct zf_rec *r, size_t *i, uint32_t *ttl)
{
	char show_buf[ZF_SHOW_MAX * 4 + 8];
	bool has_ttl = false, has_class = false, in;

	*ttl = p->ttl;
	while (*i < r->ntok) {
		const char *s = tok_text(r, *i);
		if (!r->tok[*i].quoted && dns_zf_is_digit(s[0])) {
			if (has_ttl) {
				perr(p, r->line, "two TTLs in one record");
				return false;
			}
			if (!ttl_parse(s, ttl)) {
				perr(p, r->line,
				     "bad TTL '%s' (0..%u seconds, or units like 1h30m)",
				     show(r, &r->tok[*i], show_buf), ZF_TTL_MAX);
				return false;
			}
			has_ttl = true;
		} else if (!r->tok[*i].quoted && is_class(s, &in)) {
			if (has_class) {
				perr(p, r->line, "two classes in one record");
				return false;
			}
			if (!in) {
				perr(p, r->line, "class %s is not supported (only IN)",
				     show(r, &r->tok[*i], show_buf));
				return false;
			}
			has_class = true;
		} else {
			return true;
		}
		(*i)++;
	}
	return true;
}

/*
 * Mnemonics of types ddnsd does not serve and dns_type_from_str() does not
 * know, so that refusing them names the type rather than calling it unknown.
 */
static const char *
type_other(const char *s)
{
	static const char *const names[] = {
	        "A6",    "AFSDB", "APL",   "CAA",      "CDNSKEY",    "CDS",    "CERT",
	        "CSYNC", "DHCID", "DNAME", "DNSKEY",   "DS",         "EUI48",  "EUI64",
	        "HINFO", "HIP",   "HTTPS", "IPSECKEY", "KEY",        "KX",     "L32",
	        "L64",   "LOC",   "LP",    "MB",       "MG",         "MINFO",  "MR",
	        "NAPTR", "NID",   "NSEC",  "NSEC3",    "NSEC3PARAM", "NULL",   "OPENPGPKEY",
	        "PTR",   "RP",    "RRSIG", "RT",       "SIG",        "SMIMEA", "SPF",
	        "SSHFP", "SVCB",  "TLSA",  "URI",      "WKS",        "ZONEMD",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return names[i];
	return NULL;
}

static void
record(struct zf_parser *p, const struct zf_rec *r)
{
	char show_buf[ZF_SHOW_MAX * 4 + 8], tbuf[16], value[ZF_VALUE_MAX];
	size_t i;
	uint32_t ttl;
	int type;
	bool okv;

	if (!record_owner(p, r, &i) || !record_ttl_class(p, r, &i, &ttl))
		return;
	if (i >= r->ntok) {
		perr(p, r->line, "missing record type");
		return;
	}
	type = r->tok[i].quoted ? DD_EINVAL : dns_type_from_str(tok_text(r, i));
	if (type < 0 && !r->tok[i].quoted && type_other(tok_text(r, i)) != NULL) {
		perr(p, r->line,
		     "type %s is not supported (ddnsd serves A, AAAA, CNAME and TXT, "
		     "plus the apex SOA and NS)",
		     type_other(tok_text(r, i)));
		return;
	}
	if (type < 0) {
		perr(p, r->line, "unknown record type '%s'", show(r, &r->tok[i], show_buf));
		return;
	}
	if (!dns_zf_name_in_zone(p->owner, p->zone)) {
		perr(p, r->line, "%s is outside the zone %s", p->owner, p->zone);
		return;
	}
	i++;
	switch (type) {
	case DNS_TYPE_SOA:
		rd_soa(p, r, i, p->owner, ttl);
		return;
	case DNS_TYPE_NS:
		rd_ns(p, r, i, p->owner);
		return;
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		okv = rd_address(p, r, i, (uint16_t)type, value);
		break;
	case DNS_TYPE_CNAME:
		okv = field_count(p, r, i, 1, "CNAME", "target") &&
		      field_name(p, r, i, "CNAME target", value);
		if (okv && strcmp(p->owner, p->zone) == 0) {
			perr(p, r->line, "CNAME at the zone apex (beside its SOA and NS)");
			okv = false;
		}
		break;
	case DNS_TYPE_TXT:
		okv = rd_txt(p, r, i, value);
		break;
	default:
		perr(p, r->line,
		     "type %s is not supported (ddnsd serves A, AAAA, CNAME and TXT, plus the apex "
		     "SOA and NS)",
		     dns_type_to_str((uint16_t)type, tbuf));
		return;
	}
	if (okv) {
		struct zf_record *rr = rr_add(p, r->line);
		if (rr == NULL)
			return;
		memcpy(rr->name, p->owner, sizeof(rr->name));
		rr->type = (uint16_t)type;
		rr->ttl = ttl;
		memcpy(rr->value, value, sizeof(rr->value));
		rr->line = r->line;
	}
}

/* ------------------------------------------------------------ whole-zone checks */

static int
rr_cmp_name_type_value(const void *a, const void *b)
{
	const struct zf_record *x = *(const struct zf_record *const *)a;
	const struct zf_record *y = *(const struct zf_record *const *)b;
	int c = strcmp(x->name, y->name);

	if (c == 0)
		c = (int)x->type - (int)y->type;
	if (c == 0)
		c = strcmp(x->value, y->value);
	if (c == 0)
		c = x->line - y->line;
	return c;
}

/*
 * Drops repeated records (RFC 2181 5) and reports a CNAME that shares its
 * name with other data or another CNAME (RFC 1034 3.6.2).
 */
static void
zone_check(struct zf_parser *p)
{
	struct zf_result *o = p->out;
	struct zf_record **idx;
	size_t i, j, w;

	if (o->n == 0)
		return;
	if ((idx = malloc(o->n * sizeof(*idx))) == NULL) {
		p->nomem = true;
		return;
	}
	for (i = 0; i < o->n; i++)
		idx[i] = &o->rr[i];
	qsort(idx, o->n, sizeof(*idx), rr_cmp_name_type_value);
	for (i = 0; i < o->n; i = j) {
		const struct zf_record *cname = NULL, *other = NULL, *kept = NULL;
		for (j = i; j < o->n && strcmp(idx[j]->name, idx[i]->name) == 0; j++) {
			if (kept != NULL && idx[j]->type == kept->type &&
			    strcmp(idx[j]->value, kept->value) == 0) {
				idx[j]->type = 0; /* a repeat: dropped below */
				continue;
			}
			kept = idx[j];
			if (idx[j]->type == DNS_TYPE_CNAME && cname == NULL)
				cname = idx[j];
			else if (other == NULL)
				other = idx[j];
		}
		if (cname != NULL && other != NULL)
			perr(p, cname->line, "CNAME at %s beside other data (line %d)", cname->name,
			     other->line);
	}
	free(idx);
	for (i = 0, w = 0; i < o->n; i++)
		if (o->rr[i].type != 0)
			o->rr[w++] = o->rr[i];
	o->n = w;
}

static int
err_cmp(const void *a, const void *b)
{
	const struct zf_err *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Moves the collected errors, sorted by line, into the result. */
static void
errors_finish(struct zf_parser *p)
{
	struct zf_result *o = p->out;
	size_t n = p->nerr + (p->dropped > 0);

	if (p->nerr == 0)
		return;
	qsort(p->errs, p->nerr, sizeof(*p->errs), err_cmp);
	o->errors = calloc(n, sizeof(*o->errors));
	if (o->errors == NULL) {
		p->nomem = true;
		for (size_t i = 0; i < p->nerr; i++)
			free(p->errs[i].msg);
		return;
	}
	for (size_t i = 0; i < p->nerr; i++)
		o->errors[i] = p->errs[i].msg;
	o->nerrors = p->nerr;
	if (p->dropped > 0 && asprintf(&o->errors[o->nerrors], "%s: %zu more errors not shown",
	                               p->fname, p->dropped) >= 0)
		o->nerrors++;
}

const char *
dns_zf_canonical_origin(const char *origin, char out[ZF_NAME_MAX])
{
	size_t len = strlen(origin);

	if (len > 0 && origin[len - 1] == '.')
		len--;
	if (len > 253)
		return "too long";
	memcpy(out, origin, len);
	out[len] = '\0';
	lower(out);
	return name_check(out, false);
}

int
zf_parse_buf(const char *buf, size_t len, const char *fname, const char *origin,
             uint32_t default_ttl, struct zf_result *out)
{
	struct zf_parser *p;
	int rc;

	memset(out, 0, sizeof(*out));
	if (default_ttl > ZF_TTL_MAX)
		return DD_EINVAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return DD_ENOMEM;
	if (dns_zf_canonical_origin(origin, p->zone) != NULL) {
		free(p);
		return DD_EINVAL;
	}
	memcpy(p->origin, p->zone, sizeof(p->zone));
	p->fname = fname;
	p->ttl = default_ttl;
	p->out = out;
	p->lx = (struct zf_lex){.buf = buf, .len = len, .line = 1};
	if (len > ZF_FILE_MAX)
		perr(p, 0, "file larger than %u bytes", ZF_FILE_MAX);
	else
		while (!p->nomem && dns_zf_lex_record(&p->lx, &p->rec)) {
			if (p->rec.err != NULL)
				perr(p, p->rec.errline, "%s", p->rec.err);
			else if (p->rec.ntok == 0)
				continue; /* "( )" */
			else if (!p->rec.indented && !p->rec.tok[0].quoted &&
			         p->rec.text[p->rec.tok[0].off] == '$')
				directive(p, &p->rec);
			else
				record(p, &p->rec);
		}
	if (!p->nomem)
		zone_check(p);
	errors_finish(p);
	rc = p->nomem ? DD_ENOMEM : out->nerrors > 0 ? DD_ECONFIG : 0;
	free(p->errs);
	free(p);
	if (rc == DD_ENOMEM)
		zf_result_fini(out);
	return rc;
}

int
zf_parse_file(const char *path, const char *origin, uint32_t default_ttl, struct zf_result *out)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0, cap;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? DD_ENOENT : DD_EIO;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = DD_EIO;
		goto done;
	}
	/* read one byte past the limit so an oversized file is reported, not truncated */
	cap = (size_t)st.st_size < ZF_FILE_MAX ? (size_t)st.st_size + 1 : ZF_FILE_MAX + 1u;
	if ((buf = malloc(cap)) == NULL) {
		rc = DD_ENOMEM;
		goto done;
	}
	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = DD_EIO;
			goto done;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	rc = zf_parse_buf(buf, got, path, origin, default_ttl, out);
done:
	free(buf);
	close(fd);
	return rc;
}

void
zf_result_fini(struct zf_result *r)
{
	for (size_t i = 0; i < r->nns; i++)
		free(r->ns[i]);
	for (size_t i = 0; i < r->nerrors; i++)
		free(r->errors[i]);
	free(r->ns);
	free(r->errors);
	free(r->rr);
	memset(r, 0, sizeof(*r));
}
