/*
 * fuzz_update.c - libFuzzer target: dns_pkt_parse and dns_update_eval
 * (RFC 2136 UPDATE) over any bytes, whatever the opcode.
 *
 * The zone is dyn.example.test with a zone of its own below it
 * (child.dyn.example.test), a few RRsets of each updatable type, one full
 * RRset of 64 values and a name whose lookup fails; the policy refuses
 * locked.dyn.example.test and TXT at notxt.dyn.example.test.  Every result
 * must be a rcode dns_update_eval documents; a failure must leave no change
 * set; a change set must hold each RRset once, only updatable types, names
 * in the zone, at most 64 values, no value twice, at most one CNAME, and
 * values in canonical text (what dns_rdata_from_text and back gives).
 * Leaks are found by libFuzzer's leak checker.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dd.h"
#include "dns/pkt.h"
#include "dns/rdata.h"
#include "dns/update.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define APEX  "dyn.example.test"
#define CHILD "child." APEX

struct rec {
	const char *name;
	uint16_t type;
	int64_t ttl;
	const char *values[4];
};

static const struct rec zone[] = {
        {"home." APEX, DNS_TYPE_A, 300, {"203.0.113.45"}},
        {"home." APEX, DNS_TYPE_AAAA, -1, {"2001:db8::1", "2001:db8::2"}},
        {"multi." APEX, DNS_TYPE_A, 60, {"192.0.2.1", "192.0.2.2", "192.0.2.3"}},
        {"txt." APEX, DNS_TYPE_TXT, 60, {"hello", "v=spf1 -all"}},
        {"www." APEX, DNS_TYPE_CNAME, 300, {"home." APEX}},
        {APEX, DNS_TYPE_TXT, 300, {"apex"}},
        {"locked." APEX, DNS_TYPE_A, 300, {"192.0.2.99"}},
};

static char full[DNS_UPDATE_VALUES_MAX][16]; /* full.<apex> A: 10.0.0.0 .. 10.0.0.63 */

static bool
ends_with_label(const char *name, const char *z)
{
	size_t nl = strlen(name), zl = strlen(z);

	if (nl == zl)
		return strcmp(name, z) == 0;
	return nl > zl && name[nl - zl - 1] == '.' && strcmp(name + nl - zl, z) == 0;
}

static bool
in_zone(void *arg, const char *name)
{
	(void)arg;
	return ends_with_label(name, APEX) && !ends_with_label(name, CHILD);
}

static char **
copy_values(const char *const *v, size_t n)
{
	char **out = calloc(n, sizeof(char *));

	if (out == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((out[i] = strdup(v[i])) == NULL)
			abort();
	return out;
}

static int
rrset(void *arg, const char *name, uint16_t type, char ***values, size_t *n, int64_t *ttl)
{
	(void)arg;
	if (strcmp(name, "fail." APEX) == 0) {
		/* a lookup that fails half-way: what it built is dns_update_eval's to free */
		const char *half = "192.0.2.1";
		*values = copy_values(&half, 1);
		*n = 1;
		return DD_EIO;
	}
	if (strcmp(name, "full." APEX) == 0 && type == DNS_TYPE_A) {
		const char *v[DNS_UPDATE_VALUES_MAX];
		for (size_t i = 0; i < DNS_UPDATE_VALUES_MAX; i++)
			v[i] = full[i];
		*values = copy_values(v, DNS_UPDATE_VALUES_MAX);
		*n = DNS_UPDATE_VALUES_MAX;
		*ttl = 120;
		return 0;
	}
	for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		size_t k = 0;
		if (zone[i].type != type || strcmp(zone[i].name, name) != 0)
			continue;
		while (k < 4 && zone[i].values[k] != NULL)
			k++;
		*values = copy_values(zone[i].values, k);
		*n = k;
		*ttl = zone[i].ttl;
	}
	return 0;
}

static bool
name_in_use(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "full." APEX) == 0)
		return true;
	for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		if (strcmp(zone[i].name, name) == 0)
			return true;
	return false;
}

static bool
allowed(void *arg, const char *name, uint16_t type)
{
	(void)arg;
	if (strcmp(name, "locked." APEX) == 0)
		return false;
	return !(strcmp(name, "notxt." APEX) == 0 && type == DNS_TYPE_TXT);
}

static bool
rcode_known(int rc)
{
	switch (rc) {
	case DNS_RCODE_NOERROR:
	case DNS_RCODE_FORMERR:
	case DNS_RCODE_SERVFAIL:
	case DNS_RCODE_NXDOMAIN:
	case DNS_RCODE_REFUSED:
	case DNS_RCODE_YXDOMAIN:
	case DNS_RCODE_YXRRSET:
	case DNS_RCODE_NXRRSET:
	case DNS_RCODE_NOTZONE:
		return true;
	default:
		return false;
	}
}

/* The value is the text the writer stores: from text to RDATA and back gives it again. */
static bool
canonical(uint16_t type, const char *v)
{
	static uint8_t rd[DNS_RDATA_MAX + 1024];
	static char back[DNS_RDATA_MAX + 1];
	int n = dns_rdata_from_text(type, v, rd, sizeof(rd));

	if (n < 0 || dns_rdata_to_text(type, rd, (size_t)n, back, sizeof(back)) < 0)
		return false;
	return strcmp(back, v) == 0;
}

static void
check_set(const struct dns_update *u, size_t i)
{
	const struct dns_update_rrset *s = &u->sets[i];

	if (s->name == NULL || !in_zone(NULL, s->name) || s->nvalues > DNS_UPDATE_VALUES_MAX ||
	    (s->nvalues > 0 && s->values == NULL))
		abort();
	if (s->type != DNS_TYPE_A && s->type != DNS_TYPE_AAAA && s->type != DNS_TYPE_TXT &&
	    s->type != DNS_TYPE_CNAME)
		abort();
	if (s->type == DNS_TYPE_CNAME && s->nvalues > 1)
		abort();
	for (size_t j = 0; j < i; j++)
		if (u->sets[j].type == s->type && strcmp(u->sets[j].name, s->name) == 0)
			abort();
	for (size_t k = 0; k < s->nvalues; k++) {
		if (s->values[k] == NULL || !canonical(s->type, s->values[k]))
			abort();
		for (size_t j = 0; j < k; j++)
			if (strcmp(s->values[j], s->values[k]) == 0)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dns_update_lookup lookup = {NULL, in_zone, rrset, name_in_use};
	static const struct dns_update_policy policy = {NULL, allowed};
	struct dns_pkt p;
	struct dns_update u;
	int rc;

	if (full[0][0] == '\0')
		for (size_t i = 0; i < DNS_UPDATE_VALUES_MAX; i++)
			snprintf(full[i], sizeof(full[i]), "10.0.0.%zu", i);
	if (dns_pkt_parse(&p, data, size) != 0)
		return 0;
	rc = dns_update_eval(&u, data, size, &p, APEX, &lookup, &policy);
	if (!rcode_known(rc) || (rc != DNS_RCODE_NOERROR && u.nsets != 0))
		abort();
	for (size_t i = 0; i < u.nsets; i++)
		check_set(&u, i);
	dns_update_fini(&u);
	return 0;
}
