/*
 * metrics.c - GET /metrics: Prometheus text exposition (format 0.0.4) of the
 * counters every process keeps in the stats mapping.  Needs http.metrics_token
 * when one is configured.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "daemon/config.h"
#include "daemon/db_pools.h"
#include "daemon/dd.h"
#include "daemon/signer.h"
#include "http/http.h"
#include "shm/pool.h"
#include "shm/stats.h"
#include "shm/table.h"
#include "workers/wctx.h"
#include "workers/writer.h"

static const char *const metrics_rcodes[STATS_RCODES] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN",
	"YXRRSET", "NXRRSET", "NOTAUTH",  "NOTZONE",  "RCODE11", "RCODE12", "RCODE13",
	"RCODE14", "RCODE15", "BADVERS"};

static void
metrics_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A per-DNS-worker counter: one series per worker. */
static void
metrics_per_worker(FILE *f, const struct shm_stats *st, unsigned n, const char *name,
		   const char *help, size_t off)
{
	metrics_head(f, name, "counter", help);
	for (unsigned i = 0; i < n; i++) {
		const uint64_t *v = (const uint64_t *)(const void *)((const char *)&st->w[i] + off);
		fprintf(f, "%s{worker=\"%u\"} %llu\n", name, i, (unsigned long long)*v);
	}
}

static void
metrics_dns(FILE *f, const struct shm_stats *st, unsigned n)
{
	metrics_head(f, "ddnsd_dns_queries_total", "counter",
		     "DNS queries answered, by worker, query type and response code.");
	for (unsigned i = 0; i < n; i++) {
		bool any = false;
		for (unsigned q = 0; q < STATS_QTYPES; q++)
			for (unsigned r = 0; r < STATS_RCODES; r++) {
				uint64_t v = st->w[i].answers[q][r];
				/* absent combinations stay absent; each worker shows at least one */
				if (v == 0 && (any || q || r))
					continue;
				any = true;
				fprintf(f,
					"ddnsd_dns_queries_total{worker=\"%u\",qtype=\"%s\","
					"rcode=\"%s\"} %llu\n",
					i, shm_stats_qtype_name(q), metrics_rcodes[r],
					(unsigned long long)v);
			}
	}
	metrics_per_worker(f, st, n, "ddnsd_dns_received_udp_total", "UDP queries received.",
			   offsetof(struct shm_worker_stats, queries_udp));
	metrics_per_worker(f, st, n, "ddnsd_dns_received_tcp_total", "TCP queries received.",
			   offsetof(struct shm_worker_stats, queries_tcp));
	metrics_per_worker(f, st, n, "ddnsd_dns_dropped_total",
			   "Queries not answered (QR set, too short, send failed).",
			   offsetof(struct shm_worker_stats, dropped));
	metrics_per_worker(f, st, n, "ddnsd_dns_truncated_total", "UDP answers sent with TC.",
			   offsetof(struct shm_worker_stats, truncated));
	metrics_head(f, "ddnsd_rrl_limited_total", "counter",
		     "UDP replies over dns.rrl.responses_per_second: not sent (drop), or sent as the "
		     "question alone with TC set (slip).");
	{
		unsigned long long drop = 0, slip = 0;
		for (unsigned i = 0; i < n; i++) {
			drop += st->w[i].rrl_drop;
			slip += st->w[i].rrl_slip;
		}
		fprintf(f, "ddnsd_rrl_limited_total{action=\"drop\"} %llu\n", drop);
		fprintf(f, "ddnsd_rrl_limited_total{action=\"slip\"} %llu\n", slip);
	}
	metrics_head(f, "ddnsd_cookies_total", "counter",
		     "Queries with a DNS COOKIE option (RFC 7873), by what it held: a valid server "
		     "cookie, one that is not (too old, another secret), a client cookie alone.");
	{
		static const struct {
			const char *result;
			size_t off;
		} kinds[] = {{"valid", offsetof(struct shm_worker_stats, cookies_valid)},
			     {"invalid", offsetof(struct shm_worker_stats, cookies_invalid)},
			     {"new", offsetof(struct shm_worker_stats, cookies_new)}};
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			unsigned long long sum = 0;
			for (unsigned i = 0; i < n; i++)
				sum += *(const uint64_t *)(const void *)((const char *)&st->w[i] +
									 kinds[k].off);
			fprintf(f, "ddnsd_cookies_total{result=\"%s\"} %llu\n", kinds[k].result, sum);
		}
	}
	metrics_per_worker(f, st, n, "ddnsd_dns_tcp_connections_total", "TCP connections accepted.",
			   offsetof(struct shm_worker_stats, tcp_conns));
	metrics_per_worker(f, st, n, "ddnsd_dns_tcp_refused_total",
			   "TCP connections closed at once over dns.tcp_max_per_address.",
			   offsetof(struct shm_worker_stats, tcp_refused));
	metrics_per_worker(f, st, n, "ddnsd_dns_tcp_evicted_total",
			   "Idle TCP connections closed to make room for a new one (table full).",
			   offsetof(struct shm_worker_stats, tcp_evicted));
	metrics_per_worker(f, st, n, "ddnsd_table_read_retries_total",
			   "Shared-table reads retried because a write raced them.",
			   offsetof(struct shm_worker_stats, retries));
}

static void
metrics_http(FILE *f, const struct shm_stats *st)
{
	const struct shm_worker_stats *h = &st->w[STATS_SLOT_HTTP];

	metrics_head(f, "ddnsd_updates_total", "counter",
		     "Committed record changes, by source.");
	for (int s = 0; s < STATS_SRC_MAX; s++)
		fprintf(f, "ddnsd_updates_total{source=\"%s\"} %llu\n",
			shm_stats_source_name((enum stats_source)s),
			(unsigned long long)h->updates[s]);
	metrics_head(f, "ddnsd_updates_unchanged_total", "counter",
		     "Updates that asked for the values already stored, by source.");
	for (int s = 0; s < STATS_SRC_MAX; s++)
		fprintf(f, "ddnsd_updates_unchanged_total{source=\"%s\"} %llu\n",
			shm_stats_source_name((enum stats_source)s),
			(unsigned long long)h->updates_unchanged[s]);
	metrics_head(f, "ddnsd_update_errors_total", "counter", "Updates the database refused.");
	fprintf(f, "ddnsd_update_errors_total %llu\n", (unsigned long long)h->update_errors);
	metrics_head(f, "ddnsd_db_commits_total", "counter",
		     "Group commits of record changes (one fsync and one serial step each).");
	fprintf(f, "ddnsd_db_commits_total %llu\n", (unsigned long long)h->commits);
	metrics_head(f, "ddnsd_db_commit_names_total", "counter",
		     "Names changed by those commits (names / commits = mean group size).");
	fprintf(f, "ddnsd_db_commit_names_total %llu\n", (unsigned long long)h->commit_names);
	metrics_head(f, "ddnsd_transfers_out_total", "counter", "Zone transfers sent, by type.");
	fprintf(f, "ddnsd_transfers_out_total{type=\"axfr\"} %llu\n",
		(unsigned long long)h->xfr_out[0]);
	fprintf(f, "ddnsd_transfers_out_total{type=\"ixfr\"} %llu\n",
		(unsigned long long)h->xfr_out[1]);
	metrics_head(f, "ddnsd_transfers_refused_total", "counter",
		     "Zone transfers refused (address or key not allowed).");
	fprintf(f, "ddnsd_transfers_refused_total %llu\n", (unsigned long long)h->xfr_refused);
	metrics_head(f, "ddnsd_transfers_in_total", "counter",
		     "Secondary zone refreshes, by result.");
	fprintf(f, "ddnsd_transfers_in_total{result=\"stored\"} %llu\n",
		(unsigned long long)h->xfr_in);
	fprintf(f, "ddnsd_transfers_in_total{result=\"failed\"} %llu\n",
		(unsigned long long)h->xfr_in_failed);
	metrics_head(f, "ddnsd_notify_total", "counter", "NOTIFY messages to secondaries, by outcome.");
	fprintf(f, "ddnsd_notify_total{outcome=\"sent\"} %llu\n", (unsigned long long)h->notify_sent);
	fprintf(f, "ddnsd_notify_total{outcome=\"acked\"} %llu\n",
		(unsigned long long)h->notify_acked);
	fprintf(f, "ddnsd_notify_total{outcome=\"given_up\"} %llu\n",
		(unsigned long long)h->notify_given_up);
	metrics_head(f, "ddnsd_tsig_errors_total", "counter",
		     "Requests whose TSIG failed (BADKEY, BADSIG, BADTIME, malformed).");
	fprintf(f, "ddnsd_tsig_errors_total %llu\n", (unsigned long long)h->tsig_errors);
	{
		const struct shm_worker_stats *nw = &st->w[STATS_SLOT_NOTIFY];
		metrics_head(f, "ddnsd_events_total", "counter",
			     "Event deliveries to notify targets, by outcome.");
		fprintf(f, "ddnsd_events_total{outcome=\"delivered\"} %llu\n",
			(unsigned long long)nw->events_delivered);
		fprintf(f, "ddnsd_events_total{outcome=\"failed\"} %llu\n",
			(unsigned long long)nw->events_failed);
		fprintf(f, "ddnsd_events_total{outcome=\"given_up\"} %llu\n",
			(unsigned long long)nw->events_given_up);
		metrics_head(f, "ddnsd_backups_total", "counter", "Scheduled backups, by result.");
		fprintf(f, "ddnsd_backups_total{result=\"ok\"} %llu\n",
			(unsigned long long)nw->backups_ok);
		fprintf(f, "ddnsd_backups_total{result=\"failed\"} %llu\n",
			(unsigned long long)nw->backups_failed);
	}
	metrics_head(f, "ddnsd_http_responses_total", "counter", "HTTP responses by status class.");
	for (int c = 1; c <= 5; c++)
		fprintf(f, "ddnsd_http_responses_total{code=\"%dxx\"} %llu\n", c,
			(unsigned long long)h->http_status[c]);
}

static void
metrics_process(FILE *f, const struct http_server *srv, unsigned n)
{
	const struct shm_stats *st = srv->ctx->stats;

	metrics_head(f, "ddnsd_worker_restarts_total", "counter",
		     "Times the master restarted a worker slot.");
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "ddnsd_worker_restarts_total{worker=\"%u\",kind=\"dns\"} %u\n", i,
			st->w[i].restarts);
	fprintf(f, "ddnsd_worker_restarts_total{worker=\"http\",kind=\"http\"} %u\n",
		st->w[STATS_SLOT_HTTP].restarts);
	fprintf(f, "ddnsd_worker_restarts_total{worker=\"check\",kind=\"check\"} %u\n",
		st->w[STATS_SLOT_CHECK].restarts);
	fprintf(f, "ddnsd_worker_restarts_total{worker=\"notify\",kind=\"notify\"} %u\n",
		st->w[STATS_SLOT_NOTIFY].restarts);
	metrics_head(f, "ddnsd_reloads_total", "counter", "Configuration reloads applied.");
	fprintf(f, "ddnsd_reloads_total %u\n", st->reloads);
	metrics_head(f, "ddnsd_sandbox_stops_total", "counter",
		     "Processes stopped by their seccomp filter (a system call not on their list).");
	fprintf(f, "ddnsd_sandbox_stops_total %u\n", st->sandbox_stops);
	metrics_head(f, "ddnsd_start_time_seconds", "gauge", "Unix time the master started.");
	fprintf(f, "ddnsd_start_time_seconds %llu\n", (unsigned long long)st->started_at);
	metrics_head(f, "ddnsd_table_names", "gauge", "Names in the shared table.");
	fprintf(f, "ddnsd_table_names %u\n", shm_table_count(srv->ctx->table));
	metrics_head(f, "ddnsd_table_capacity", "gauge", "Names the shared table can hold.");
	fprintf(f, "ddnsd_table_capacity %u\n", shm_table_capacity(srv->ctx->table));
	metrics_head(f, "ddnsd_build_info", "gauge", "Version of the running ddnsd.");
	fprintf(f, "ddnsd_build_info{version=\"%s\"} 1\n", DD_VERSION);
}

static void
metrics_zones(FILE *f, const struct http_server *srv)
{
	struct shm_zone_copy *zc = malloc(sizeof(*zc));

	metrics_head(f, "ddnsd_zone_serial", "gauge", "SOA serial served, by zone.");
	for (unsigned z = 0; zc && z < srv->ctx->cfg->nzones; z++)
		if (shm_zone_get(srv->ctx->table, z, zc) == 0)
			fprintf(f, "ddnsd_zone_serial{zone=\"%s\"} %u\n", srv->ctx->cfg->zones[z].name,
				zc->soa.serial);
	free(zc);
}

/* Signed zones: RRSIGs made by this writer, and RRSIGs due for refresh. */
static void
metrics_dnssec(FILE *f, const struct http_server *srv)
{
	struct signer *sg = writer_signer(srv->ctx->writer);
	const struct cfg *cfg = srv->ctx->cfg;
	bool any = false;

	for (unsigned z = 0; z < cfg->nzones; z++)
		any |= signer_zone_on(sg, z);
	if (!any)
		return;
	metrics_head(f, "ddnsd_dnssec_signatures_total", "counter",
		     "RRSIGs made by the writer since it started, by zone.");
	for (unsigned z = 0; z < cfg->nzones; z++)
		if (signer_zone_on(sg, z))
			fprintf(f, "ddnsd_dnssec_signatures_total{zone=\"%s\"} %llu\n",
				cfg->zones[z].name, (unsigned long long)signer_signatures(sg, z));
	metrics_head(f, "ddnsd_dnssec_resign_pending", "gauge",
		     "RRSIGs due for refresh (a third of their validity left), by zone.");
	for (unsigned z = 0; z < cfg->nzones; z++)
		if (signer_zone_on(sg, z))
			fprintf(f, "ddnsd_dnssec_resign_pending{zone=\"%s\"} %lld\n",
				cfg->zones[z].name, (long long)signer_due_count(sg, z));
}

/* Members up and down per pool: all down means answering with all (open) or
 * NODATA (closed), as the checker also logs. */
static void
metrics_pools(FILE *f, const struct http_server *srv)
{
	struct db_pool_count *c = NULL;
	size_t n = 0;

	if (srv->ctx->pools == NULL || db_pool_counts(srv->ctx->db, &c, &n) < 0)
		return;
	metrics_head(f, "ddnsd_pool_members", "gauge", "Pool members by health.");
	for (size_t i = 0; i < n; i++) {
		int64_t slot = c[i].slot, up = 0;
		if (slot < 0 || slot >= POOL_SLOTS)
			continue;
		for (int64_t k = 0; k < c[i].members && k < POOL_MEMBERS_MAX; k++)
			up += srv->ctx->pools->s[slot].m[k].up != 0;
		fprintf(f, "ddnsd_pool_members{pool=\"%s\",state=\"up\"} %lld\n", c[i].name,
			(long long)up);
		fprintf(f, "ddnsd_pool_members{pool=\"%s\",state=\"down\"} %lld\n", c[i].name,
			(long long)(c[i].members - up));
	}
	db_pool_counts_free(c, n);
}

static bool
metrics_authorised(struct http_req *r)
{
	const char *want = r->srv->ctx->cfg->http.metrics_token;
	const char *h = http_req_header(r, "Authorization");
	const char *got = http_req_query(r, "token");
	unsigned char a[crypto_generichash_BYTES], b[crypto_generichash_BYTES];

	if (want == NULL)
		return true;
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0)
		got = h + 7;
	if (got == NULL)
		return false;
	crypto_generichash(a, sizeof(a), (const unsigned char *)got, strlen(got), NULL, 0);
	crypto_generichash(b, sizeof(b), (const unsigned char *)want, strlen(want), NULL, 0);
	return sodium_memcmp(a, b, sizeof(a)) == 0;
}

static void
metrics_get(struct http_req *r)
{
	unsigned n = r->srv->ctx->cfg->dns.workers;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!metrics_authorised(r)) {
		http_req_auth_failed(r);
		http_reply_header(r, "WWW-Authenticate", "Bearer realm=\"ddnsd metrics\"");
		http_reply_error(r, 401, "metrics need http.metrics_token");
		return;
	}
	if ((f = open_memstream(&text, &len)) == NULL) {
		http_reply_error(r, 503, "out of memory");
		return;
	}
	metrics_dns(f, r->srv->ctx->stats, n);
	metrics_http(f, r->srv->ctx->stats);
	metrics_process(f, r->srv, n);
	metrics_zones(f, r->srv);
	metrics_pools(f, r->srv);
	metrics_dnssec(f, r->srv);
	fclose(f);
	http_reply_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	http_reply_raw(r, 200, text, len);
	free(text);
}

const struct http_route http_routes_metrics[] = {
	{HTTP_GET, "/metrics", metrics_get},
	{0, NULL, NULL},
};
