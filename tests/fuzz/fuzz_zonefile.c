/* fuzz_zonefile.c - libFuzzer target for the master-file reader and writer:
 * the input is the whole file.  What parsed is written out again; a file
 * that parsed cleanly must read back to as many records. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dd.h"
#include "dns/zonefile.h"

#define ORIGIN "example.test"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const struct zf_result *r)
{
	struct zf_result again;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		abort();
	if (zf_write(f, ORIGIN, 3600, r->has_soa ? &r->soa : NULL, r->ns, r->nns, r->rr, r->n) != 0)
		abort();
	fclose(f);
	if (zf_parse_buf(text, len, "written.zone", ORIGIN, 3600, &again) != 0 || again.n != r->n ||
	    again.nns != r->nns || again.has_soa != r->has_soa)
		abort();
	zf_result_fini(&again);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct zf_result r;
	int rc;

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	rc = zf_parse_buf((const char *)data, size, "fuzz.zone", ORIGIN, 3600, &r);
	if (rc == 0) {
		round_trip(&r);
	} else if (rc == DD_ECONFIG) {
		/* the records that did parse are well formed and can be written */
		if (zf_write(null, ORIGIN, 3600, r.has_soa ? &r.soa : NULL, r.ns, r.nns, r.rr,
		             r.n) != 0)
			abort();
	}
	zf_result_fini(&r);
	return 0;
}
