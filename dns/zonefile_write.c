/* zonefile_write.c - RFC 1035 section 5 master files, out: zf_write(). */
#include "dns/zonefile.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/dd.h"
#include "dns/rdata.h"
#include "dns/zonefile_int.h"

/* ------------------------------------------------------------ writer */

/* Length of the last label of s[0..len) and where it starts. */
static size_t
last_label(const char *s, size_t len, size_t *start)
{
	size_t i = len;

	while (i > 0 && s[i - 1] != '.')
		i--;
	*start = i;
	return len - i;
}

/* RFC 4034 6.1: compare label by label from the right, as lower-case bytes. */
static int
name_cmp(const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);

	while (al > 0 && bl > 0) {
		size_t as, bs, an = last_label(a, al, &as), bn = last_label(b, bl, &bs);
		int c = memcmp(a + as, b + bs, an < bn ? an : bn);
		if (c != 0)
			return c;
		if (an != bn)
			return an < bn ? -1 : 1;
		al = as > 0 ? as - 1 : 0;
		bl = bs > 0 ? bs - 1 : 0;
	}
	return al == bl ? 0 : al < bl ? -1 : 1;
}

static int
rr_cmp_write(const void *a, const void *b)
{
	const struct zf_record *x = *(const struct zf_record *const *)a;
	const struct zf_record *y = *(const struct zf_record *const *)b;
	int c = name_cmp(x->name, y->name);

	if (c == 0 && x->type != y->type)
		c = x->type < y->type ? -1 : 1;
	if (c == 0)
		c = x < y ? -1 : x > y;
	return c;
}

/* A name relative to origin where it lies inside, else absolute with the dot. */
static void
write_name(FILE *f, const char *name, const char *origin)
{
	size_t n = strlen(name), o = strlen(origin);

	if (o > 0 && strcmp(name, origin) == 0)
		fputs("@", f);
	else if (o > 0 && dns_zf_name_in_zone(name, origin))
		fprintf(f, "%.*s", (int)(n - o - 1), name);
	else
		fprintf(f, "%s.", name);
}

/* RFC 1035 5.1: a quoted character-string. */
static void
write_txt(FILE *f, const char *v)
{
	fputc('"', f);
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\%03u", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static bool
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void
write_soa(FILE *f, const char *origin, const struct zf_soa *soa)
{
	fprintf(f, "@\t%u\tIN\tSOA\t", soa->ttl);
	write_name(f, soa->mname, origin);
	fputc(' ', f);
	write_name(f, soa->rname, origin);
	fprintf(f,
	        " (\n\t\t\t%u\t; serial\n\t\t\t%u\t; refresh\n\t\t\t%u\t; retry\n"
	        "\t\t\t%u\t; expire\n\t\t\t%u )\t; minimum\n",
	        soa->serial, soa->refresh, soa->retry, soa->expire, soa->minimum);
}

int
zf_write(FILE *f, const char *origin, uint32_t default_ttl, const struct zf_soa *soa,
         char *const *ns, size_t nns, const struct zf_record *rr, size_t n)
{
	const struct zf_record **idx = NULL;
	char zone[ZF_NAME_MAX], tbuf[16];

	if (dns_zf_canonical_origin(origin, zone) != NULL)
		return DD_EINVAL;
	if (soa && (!terminated(soa->mname, sizeof(soa->mname)) ||
	            !terminated(soa->rname, sizeof(soa->rname))))
		return DD_EINVAL;
	for (size_t i = 0; i < n; i++) {
		uint16_t t = rr[i].type;
		if (!terminated(rr[i].name, sizeof(rr[i].name)) ||
		    !terminated(rr[i].value, sizeof(rr[i].value)) ||
		    (t != DNS_TYPE_A && t != DNS_TYPE_AAAA && t != DNS_TYPE_CNAME &&
		     t != DNS_TYPE_TXT && t != DNS_TYPE_NS))
			return DD_EINVAL;
	}
	if (n > 0 && (idx = malloc(n * sizeof(*idx))) == NULL)
		return DD_ENOMEM;
	for (size_t i = 0; i < n; i++)
		idx[i] = &rr[i];
	if (n > 1)
		qsort(idx, n, sizeof(*idx), rr_cmp_write);
	fprintf(f, "$ORIGIN %s.\n$TTL %u\n", zone, default_ttl);
	if (soa)
		write_soa(f, zone, soa);
	for (size_t i = 0; i < nns; i++) {
		fputs("@\t\tIN\tNS\t", f);
		write_name(f, ns[i], zone);
		fputc('\n', f);
	}
	for (size_t i = 0; i < n; i++) {
		const struct zf_record *r = idx[i];
		write_name(f, r->name, zone);
		fprintf(f, "\t%u\tIN\t%s\t", r->ttl, dns_type_to_str(r->type, tbuf));
		if (r->type == DNS_TYPE_TXT)
			write_txt(f, r->value);
		else if (r->type == DNS_TYPE_CNAME || r->type == DNS_TYPE_NS)
			write_name(f, r->value, zone);
		else
			fputs(r->value, f);
		fputc('\n', f);
	}
	free(idx);
	return fflush(f) != 0 || ferror(f) ? DD_EIO : 0;
}
