/*
 * answer.h - build the response to one DNS query from the shared table.
 *
 * Pure function of (query bytes, table contents): no sockets, no allocation,
 * no locks.  Used by the UDP and TCP paths of the DNS workers, the fuzzer and
 * the unit tests.
 */
#ifndef DD_DNS_ANSWER_H
#define DD_DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dns_cookie_keys;
struct dns_rrl_cfg;
struct shm_rrl;
struct shm_pools;
struct shm_table;
struct sockaddr;
struct shm_worker_stats;

#define DNS_UDP_MIN     512u   /* RFC 1035 4.2.1 */
#define DNS_UDP_DEFAULT 1232u  /* our EDNS payload size (DNS flag day 2020) */
#define DNS_MSG_MAX     65535u

/* Per-worker scratch state, allocated once at start (see dns_answer_ctx_init). */
struct dns_answer_ctx {
	const struct shm_table *table;
	uint16_t edns_udp_max;         /* our advertised/used max UDP payload */
	struct shm_worker_stats *stats; /* may be NULL */
	uint8_t *entry_buf;            /* SHM_ENTRY_MAX bytes: copy of looked-up entry */
	uint8_t *entry_buf2;           /* SHM_ENTRY_MAX bytes: CNAME target / wildcard */
	void *zone_copy;               /* struct shm_zone_copy */
	/* load-balanced pools (shm/pool.h); pools may be NULL: all members up */
	const struct shm_pools *pools;
	uint32_t *pool_rotation;        /* POOL_SLOTS counters of this worker */
	uint64_t rng;                   /* xorshift64* state, seeded at init */
	const struct sockaddr *client;  /* the query's source, set per query; may be NULL */
	/* DNS cookies (dns/cookie.h); NULL or keys->on false: none.  now: unix
	 * seconds, set by the caller per batch (new cookies carry it) */
	const struct dns_cookie_keys *cookies;
	uint32_t now;
	int cookie;                     /* out: the last query's enum dns_cookie_state */
	/* response-rate limiting of UDP replies (dns/rrl.h, shm/rrl.h); rrl NULL
	 * or rrl_cfg->rate 0: off.  A query with a valid server cookie is not limited */
	struct shm_rrl *rrl;
	const struct dns_rrl_cfg *rrl_cfg;
	int rrl_verdict;                /* out: the last query's enum shm_rrl_verdict */
	uint64_t pool_report_max_age_ms; /* pools.report_max_age; 0 = default */
	/* requests the writer process handles (UPDATE, NOTIFY, AXFR/IXFR, any
	 * TSIG-signed message): with forward_ok set, dns_answer returns 0 and
	 * sets forward instead of answering them itself */
	bool forward_ok;
	bool forward;
};

/* Allocates the scratch buffers; returns 0 or DD_ENOMEM. */
int dns_answer_ctx_init(struct dns_answer_ctx *ctx, const struct shm_table *table,
			uint16_t edns_udp_max, struct shm_worker_stats *stats);
void dns_answer_ctx_fini(struct dns_answer_ctx *ctx);

/* True if q is a request for the writer process (see forward_ok). */
bool dns_answer_wants_writer(const uint8_t *q, size_t qlen);

/*
 * Answers the query q[0..qlen) into out (outsz bytes; DNS_MSG_MAX is always
 * enough).  tcp selects the size limit: UDP answers are cut to the client's
 * EDNS size (or 512) with TC set.  Returns the response length, or 0 when the
 * packet must be dropped (QR set, shorter than a header, or a UDP reply over
 * the rate limit: ctx->rrl_verdict says which; every slip-th of those goes
 * out as the question alone with TC set instead).  Never fails
 * otherwise: malformed queries get FORMERR, unsupported opcodes NOTIMP.
 */
size_t dns_answer(struct dns_answer_ctx *ctx, const uint8_t *q, size_t qlen, uint8_t *out,
		  size_t outsz, bool tcp);

#endif
