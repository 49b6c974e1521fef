/*
 * xfr.h - the writer process's DNS service: everything the DNS workers hand
 * over on their links (workers/link.h) because it needs the database or the
 * writer, and the daemon's own DNS traffic towards other servers.
 *
 *   - TSIG (RFC 8945) on every request that carries one: verified with the
 *     keys of `tsig:`, replies signed; BADKEY/BADSIG/BADTIME as NOTAUTH
 *   - AXFR (RFC 5936) and IXFR (RFC 1995, from the SQLite journal) over TCP
 *     to sources in zones[].transfer.allow holding zones[].transfer.tsig
 *   - RFC 2136 UPDATE, TSIG required, checked against the key's policy and
 *     applied through writer_apply (one transaction, audit, publish)
 *   - NOTIFY (RFC 1996) to zones[].transfer.notify after every commit,
 *     coalesced and retried with back-off until acknowledged
 *   - secondary zones (zones[].primary): SOA checks on refresh and on
 *     NOTIFY, AXFR from the primary, stored through writer_transfer_zone
 */
#ifndef DD_WORKERS_XFR_H
#define DD_WORKERS_XFR_H

struct wctx;
struct listen_set;
struct xfr;

/* Starts the service on ctx->base with the writer ends of ls's links; NULL on failure (logged). */
struct xfr *xfr_start(struct wctx *ctx, const struct listen_set *ls);
void xfr_stop(struct xfr *x);

#endif
