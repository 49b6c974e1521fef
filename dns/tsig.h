/*
 * tsig.h - transaction signatures (RFC 8945) with HMAC-SHA256 and -SHA512.
 *
 * Pure functions over caller buffers: no sockets, no globals, no
 * allocation; the current time (seconds since the epoch) is passed in.
 * A struct tsig_ctx carries one signed exchange from the first message to
 * the last: the server fills it with tsig_verify_request() and signs its
 * reply (or every message of an AXFR/IXFR stream) with tsig_sign_reply();
 * a client fills it with tsig_sign_request() and checks each reply with
 * tsig_verify_reply().  The context is plain data that borrows its key
 * (which must outlive it) and owns nothing else.  The program must have
 * called sodium_init() (the daemon does at start).
 *
 * Error replies (RFC 8945 5.3.2): after tsig_verify_request() returns
 * TSIG_RCODE_BADKEY or TSIG_RCODE_BADSIG the caller answers with RCODE
 * NOTAUTH and tsig_sign_reply() appends an unsigned TSIG (MAC size 0)
 * carrying that error; after TSIG_RCODE_BADTIME the reply is signed and
 * carries the server's time.  DD_EFORMERR from the verifier means a FORMERR
 * reply without any TSIG.
 */
#ifndef DD_DNS_TSIG_H
#define DD_DNS_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dname.h"

#define TSIG_ALG_HMAC_SHA256 1
#define TSIG_ALG_HMAC_SHA512 2

#define TSIG_MAC_MAX      64  /* HMAC-SHA512 output */
#define TSIG_SECRET_MAX   128 /* bytes of a decoded secret */
#define TSIG_UNSIGNED_MAX 99  /* unsigned messages in a row in a stream (RFC 8945 5.3.1) */

/* TSIG error codes (RFC 8945 3; the extended RCODE space) */
#define TSIG_RCODE_BADSIG   16
#define TSIG_RCODE_BADKEY   17
#define TSIG_RCODE_BADTIME  18
#define TSIG_RCODE_BADTRUNC 22 /* defined for completeness: never produced, see tsig.c */

#define TSIG_FUDGE_DEFAULT 300 /* seconds (RFC 8945 10) */

/* Opaque storage for a running HMAC (libsodium state); checked in tsig.c. */
#define TSIG_HSTATE_SIZE 416

struct tsig_key {
	uint8_t name[DNS_DNAME_MAX]; /* wire form, lower case */
	size_t name_len;
	int alg; /* TSIG_ALG_* */
	uint8_t secret[TSIG_SECRET_MAX];
	size_t secret_len;
};

/*
 * State of one signed exchange.  Callers read key, error and nmsg; the
 * rest belongs to this module.
 */
struct tsig_ctx {
	const struct tsig_key *key; /* NULL: no key (unsigned, or key unknown) */
	uint8_t mac[TSIG_MAC_MAX];  /* last MAC seen or produced (request MAC for a server) */
	size_t mac_len;
	uint16_t orig_id;     /* Original ID of the request */
	uint64_t time_signed; /* of the request */
	uint16_t fudge;       /* of the request; written into our TSIGs */
	uint16_t error;       /* server: from tsig_verify_request; client: last reply's Error */
	unsigned nmsg;        /* server: replies signed or skipped; client: replies verified */
	unsigned nunsigned;   /* unsigned stream messages since the last signed one */
	bool pending;         /* hstate holds prev MAC + unsigned messages */
	/* the request's key and algorithm names (lower case), for unsigned error replies */
	uint8_t key_name[DNS_DNAME_MAX];
	size_t key_name_len;
	uint8_t alg_name[DNS_DNAME_MAX];
	size_t alg_name_len;
	union {
		uint64_t align;
		unsigned char b[TSIG_HSTATE_SIZE];
	} hstate;
};

/*
 * Fills k from a presentation name ("update-key", trailing dot optional,
 * lower-cased), an algorithm name ("hmac-sha256" or "hmac-sha512",
 * case-insensitive, trailing dot optional) and the decoded secret
 * (1..TSIG_SECRET_MAX bytes, copied).  Returns 0 or DD_EINVAL.
 */
int tsig_key_init(struct tsig_key *k, const char *name, const char *alg, const uint8_t *secret,
                  size_t secret_len);

/*
 * Finds the TSIG RR of msg[0..len): walks the question and every record;
 * a TSIG anywhere but last in the additional section, or bytes after the
 * last record, make the message malformed.  Returns the offset of the TSIG
 * RR (> 0), 0 when the last record is not a TSIG (or there is none), or
 * DD_EFORMERR.
 */
long tsig_find(const uint8_t *msg, size_t len);

/*
 * Server side.  msg[0..len) is a request whose last additional RR starts at
 * tsig_off (0: there is no TSIG; dns_pkt_parse() gives p->tsig_off).  Finds
 * the key by name (case-insensitive) and algorithm in keys[0..nkeys),
 * checks the MAC over the request (RFC 8945 4.3.3: the request without the
 * TSIG RR, ARCOUNT decremented, the Original ID in the ID field, then the
 * TSIG variables), then the time: |now - time signed| <= fudge.  A MAC
 * truncated to no less than max(10, half the hash) bytes is accepted
 * (5.2.2.1).  ctx is reset first; keys must outlive ctx.  Returns
 *   0                    verified: ctx->key is set, ready for tsig_sign_reply()
 *   DD_ENOENT            tsig_off is 0 (ctx->key NULL)
 *   DD_EFORMERR          malformed TSIG, not last, class not ANY, TTL not 0,
 *                        MAC longer than the hash or too short (ctx->key NULL)
 *   TSIG_RCODE_BADKEY    unknown key or algorithm   (ctx->key NULL, ctx->error set)
 *   TSIG_RCODE_BADSIG    MAC mismatch               (ctx->key NULL, ctx->error set)
 *   TSIG_RCODE_BADTIME   MAC good, time outside fudge (ctx->key set, ctx->error set)
 */
int tsig_verify_request(struct tsig_ctx *ctx, const struct tsig_key *keys, size_t nkeys,
                        const uint8_t *msg, size_t len, size_t tsig_off, uint64_t now);

/*
 * Appends a TSIG RR (owner and algorithm names uncompressed) to the reply
 * msg[0..*len) in a buffer of cap bytes, increments ARCOUNT and updates
 * *len.  The reply's ID must already be the request's; the TSIG's Original
 * ID is ctx->orig_id.  The first reply (ctx->nmsg == 0) is signed over the
 * request MAC with its length, the reply and the TSIG variables; later
 * messages of a stream over the previous MAC with its length, any messages
 * passed to tsig_skip_reply() since, the reply and the timers (RFC 8945
 * 5.3.1).  ctx->error is written as the TSIG Error: BADKEY and BADSIG give an
 * unsigned TSIG with the request's key and algorithm names; BADTIME a
 * signed one whose Time Signed is the request's and whose Other Data is
 * now (6 bytes).  Returns 0, DD_ENOSPC (cap too small: nothing appended,
 * ctx unchanged) or DD_EINVAL (no key and no error to report, *len shorter
 * than a header, or ARCOUNT already 65535).
 */
int tsig_sign_reply(struct tsig_ctx *ctx, uint8_t *msg, size_t *len, size_t cap, uint64_t now);

/*
 * Server side, streams: msg[0..len) goes out unsigned as a later message
 * (ctx->nmsg > 0) of a signed stream; it is folded into the MAC of the next
 * tsig_sign_reply().  At most TSIG_UNSIGNED_MAX in a row, and the last
 * message of a stream must be signed.  Returns 0 or DD_EINVAL (not allowed
 * here: sign this message instead).
 */
int tsig_skip_reply(struct tsig_ctx *ctx, const uint8_t *msg, size_t len);

/*
 * Client side: appends a TSIG RR signed with key (Time Signed now, fudge
 * TSIG_FUDGE_DEFAULT, Original ID = the message's ID) to the request
 * msg[0..*len) (cap bytes) and increments ARCOUNT.  ctx is reset and keeps
 * the MAC to verify the reply or stream; key must outlive ctx.  Returns 0,
 * DD_ENOSPC (nothing appended) or DD_EINVAL (as for tsig_sign_reply).
 */
int tsig_sign_request(struct tsig_ctx *ctx, const struct tsig_key *key, uint8_t *msg, size_t *len,
                      size_t cap, uint64_t now);

/*
 * Client side: checks one reply msg[0..len) of the exchange begun by
 * tsig_sign_request(); for a stream, call it once per message in order.
 * The first reply must be signed; later ones may be unsigned (folded into
 * the next signed message's MAC, RFC 8945 5.3.1), at most
 * TSIG_UNSIGNED_MAX in a row.  *tsig_present tells whether msg carried a
 * TSIG; the caller must reject a stream whose last message had none.
 * Nothing is stripped from msg.  When msg has a well-formed TSIG,
 * ctx->error becomes its Error field.  Returns
 *   0                    signed and verified, or an acceptable unsigned stream message
 *   DD_EFORMERR          malformed, or the first reply has no TSIG
 *   DD_EINVAL            ctx has no key
 *   TSIG_RCODE_BADKEY    not signed with ctx->key (name or algorithm)
 *   TSIG_RCODE_BADSIG    MAC mismatch, unsigned TSIG, or too many unsigned messages
 *   TSIG_RCODE_BADTIME   MAC good, time outside the reply's fudge
 *   other > 0            the TSIG Error the server reported (BADTIME is then
 *                        signed and verified; BADKEY/BADSIG come unsigned and
 *                        prove nothing)
 * After any non-zero return the exchange is over: ctx is not reusable.
 */
int tsig_verify_reply(struct tsig_ctx *ctx, const uint8_t *msg, size_t len, uint64_t now,
                      bool *tsig_present);

#endif
