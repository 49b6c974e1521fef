/* stats.c - the counters mapping (see stats.h). */
#include "shm/stats.h"

#include <stddef.h>
#include <sys/mman.h>

#include "dns/rdata.h"

struct shm_stats *
shm_stats_create(void)
{
	void *p = mmap(NULL, sizeof(struct shm_stats), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void
shm_stats_destroy(struct shm_stats *s)
{
	if (s != NULL)
		munmap(s, sizeof(*s));
}

unsigned
shm_stats_qtype_slot(uint16_t qtype)
{
	switch (qtype) {
	case DNS_TYPE_A:
		return 0;
	case DNS_TYPE_AAAA:
		return 1;
	case DNS_TYPE_TXT:
		return 2;
	case DNS_TYPE_CNAME:
		return 3;
	case DNS_TYPE_SOA:
		return 4;
	case DNS_TYPE_NS:
		return 5;
	case DNS_TYPE_ANY:
		return 6;
	default:
		return 7;
	}
}

const char *
shm_stats_qtype_name(unsigned slot)
{
	static const char *names[STATS_QTYPES] = {"A",  "AAAA", "TXT",   "CNAME", "SOA",
						  "NS", "ANY",  "other", "none"};
	return slot < STATS_QTYPES ? names[slot] : "?";
}

const char *
shm_stats_source_name(enum stats_source s)
{
	static const char *names[STATS_SRC_MAX] = {"http", "dyndns2", "acme", "rfc2136", "cli"};
	return (unsigned)s < STATS_SRC_MAX ? names[s] : "?";
}
