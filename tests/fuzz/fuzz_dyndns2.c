/*
 * fuzz_dyndns2.c - libFuzzer target: a dyndns2 request target
 * ("/nic/update?hostname=...&myip=...") as the HTTP worker takes it apart,
 * and the abuse tracker driven by it.
 *
 * The input is the query string.  It goes through what http_req_init does
 * (reqcheck_percent, reqcheck_printable, evhttp_parse_query_str) and then
 * the dyndns2 parsers for hostname and myip.  Each parsed host is then an
 * update of a principal taken from the input, changed or not, at a clock
 * that moves by the input's bytes, through dyndns2_abuse_is_blocked and
 * dyndns2_abuse_note; a model of the same updates (no eviction) checks the
 * tracker.
 *
 * Invariants: a rejected query string stops there; the parsed addresses
 * joined "v4,v6" parse again to themselves; hosts hold no comma and no
 * outer blank; the tracker blocks a (principal, host) only after
 * DYNDNS2_ABUSE_LIMIT unchanged updates since its last change, within
 * DYNDNS2_ABUSE_WINDOW seconds of the first of them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "daemon/dd.h"
#include "http/dyndns2.h"
#include "http/reqcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MODEL_MAX 64

/* What the tracker must at least have seen before it blocks a key. */
struct model {
	int64_t principal;
	char host[DYNDNS2_HOST_MAX];
	int nochg;       /* unchanged updates since the last change */
	int64_t first;   /* time of the first of them */
};

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static struct model *
model_find(struct model *m, size_t *n, int64_t principal, const char *host)
{
	for (size_t i = 0; i < *n; i++)
		if (m[i].principal == principal && strcmp(m[i].host, host) == 0)
			return &m[i];
	if (*n == MODEL_MAX)
		return NULL;
	memset(&m[*n], 0, sizeof(m[*n]));
	m[*n].principal = principal;
	snprintf(m[*n].host, sizeof(m[*n].host), "%s", host);
	return &m[(*n)++];
}

static void
check_ips(const struct dyndns2_ips *ips)
{
	char joined[INET_ADDRSTRLEN + INET6_ADDRSTRLEN + 2];
	struct dyndns2_ips again;

	if (!ips->v4[0] && !ips->v6[0])
		return;
	snprintf(joined, sizeof(joined), "%s%s%s", ips->v4, ips->v4[0] && ips->v6[0] ? "," : "",
		 ips->v6);
	check(dyndns2_myip_parse(joined, &again) == 0);
	check(strcmp(again.v4, ips->v4) == 0 && strcmp(again.v6, ips->v6) == 0);
}

static void
abuse_run(const struct dyndns2_hosts *hosts, const uint8_t *data, size_t size)
{
	static struct dyndns2_abuse *a;
	static struct model m[MODEL_MAX];
	size_t nm = 0;
	int64_t now = 1000;

	if (a != NULL)
		dyndns2_abuse_destroy(a);
	a = dyndns2_abuse_create();
	check(a != NULL);
	/* each input byte: which host, which principal, changed or not, time step */
	for (size_t i = 0; i < size && hosts->n > 0; i++) {
		const char *h = hosts->host[data[i] % hosts->n];
		int64_t principal = (data[i] >> 4) & 3;
		bool changed = (data[i] & 0x08) != 0;
		struct model *k;

		now += (data[i] & 0x80) ? 301 : (data[i] & 0x07);
		if (h[0] == '\0' || (k = model_find(m, &nm, principal, h)) == NULL)
			continue;
		if (dyndns2_abuse_is_blocked(a, principal, h, now)) {
			check(k->nochg >= DYNDNS2_ABUSE_LIMIT);
			check(now - k->first < DYNDNS2_ABUSE_WINDOW + 1);
			continue; /* the request writes nothing */
		}
		dyndns2_abuse_note(a, principal, h, changed, now);
		if (changed) {
			k->nochg = 0;
		} else {
			if (k->nochg == 0 || now - k->first >= DYNDNS2_ABUSE_WINDOW) {
				k->nochg = 0;
				k->first = now;
			}
			k->nochg++;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dyndns2_hosts hosts;
	struct evkeyvalq q;
	struct dyndns2_ips ips;
	const char *hostname, *myip;
	char *qs;
	int rc;

	qs = malloc(size + 1);
	if (qs == NULL)
		return 0;
	memcpy(qs, data, size);
	qs[size] = '\0';
	TAILQ_INIT(&q);
	if (strlen(qs) != size || reqcheck_percent(qs) != NULL || reqcheck_printable(qs) != NULL ||
	    evhttp_parse_query_str(qs, &q) < 0) {
		evhttp_clear_headers(&q);
		free(qs);
		return 0;
	}
	hostname = evhttp_find_header(&q, "hostname");
	myip = evhttp_find_header(&q, "myip");
	hosts.n = 0;
	if (hostname != NULL) {
		rc = dyndns2_hosts_parse(hostname, &hosts);
		check(rc == 0 || rc == DD_EINVAL || rc == DD_ERANGE);
		for (size_t i = 0; i < hosts.n; i++) {
			const char *h = hosts.host[i];
			size_t len = strlen(h);
			check(strchr(h, ',') == NULL);
			check(len == 0 || (h[0] != ' ' && h[len - 1] != ' '));
		}
	}
	if (myip != NULL) {
		rc = dyndns2_myip_parse(myip, &ips);
		check(rc == 0 || rc == DD_EINVAL);
		check_ips(&ips);
	}
	abuse_run(&hosts, data, size);
	evhttp_clear_headers(&q);
	free(qs);
	return 0;
}
