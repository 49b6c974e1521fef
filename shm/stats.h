/*
 * stats.h - per-process counters in their own shared mapping.
 *
 * Created once by the master before the first fork and never replaced, so
 * counters survive reloads and table rebuilds (which swap the record
 * table).  Each worker writes only its own slot, with plain increments; the
 * HTTP worker reads every slot for /metrics and ddnsctl.  A reader may see a
 * counter one increment behind: nothing on the query path waits for it.
 */
#ifndef DD_SHM_STATS_H
#define DD_SHM_STATS_H

#include <stdint.h>

#define STATS_SLOTS   67 /* DNS workers 0..63, the HTTP worker, the checker, the notifier */
#define STATS_SLOT_HTTP   64
#define STATS_SLOT_CHECK  65
#define STATS_SLOT_NOTIFY 66
#define STATS_QTYPES  9  /* A AAAA TXT CNAME SOA NS ANY other, none (no question) */
#define STATS_RCODES  17 /* 0..15, 16 = BADVERS (EDNS extended rcode) */
#define STATS_QTYPE_NONE 8
#define STATS_RCODE_BADVERS 16

enum stats_source {
	STATS_SRC_HTTP,
	STATS_SRC_DYNDNS2,
	STATS_SRC_ACME,
	STATS_SRC_RFC2136,
	STATS_SRC_CLI,
	STATS_SRC_MAX
};

struct shm_worker_stats {
	uint32_t pid;
	uint32_t restarts;
	uint64_t started_at;      /* unix seconds */
	/* DNS workers */
	uint64_t queries_udp, queries_tcp;
	uint64_t answers[STATS_QTYPES][STATS_RCODES]; /* by qtype slot and rcode */
	uint64_t dropped;         /* not answered (QR set, too short, send failed) */
	uint64_t truncated;       /* TC answers */
	uint64_t retries;         /* seqlock reader retries */
	uint64_t tcp_conns, tcp_refused; /* accepted; closed at once (dns.tcp_max_per_address) */
	uint64_t tcp_evicted;     /* idle connections closed to make room (table full) */
	uint32_t io_uring;        /* 1: this DNS worker serves UDP with io_uring, 0: recvmmsg */
	uint32_t sandbox_denied;  /* system call nr + 1 its seccomp filter stopped (daemon/sandbox.h) */
	uint64_t io_enters;       /* io_uring_enter calls (io_uring path) */
	uint64_t cookies_valid;   /* queries with a valid server cookie (dns/cookie.h) */
	uint64_t cookies_invalid; /* with a server cookie that is not */
	uint64_t cookies_new;     /* with a client cookie alone */
	uint64_t rrl_drop, rrl_slip; /* UDP replies over dns.rrl: not sent; sent truncated */
	/* HTTP worker */
	uint64_t updates[STATS_SRC_MAX];       /* committed changes by source */
	uint64_t updates_unchanged[STATS_SRC_MAX];
	uint64_t update_errors;
	uint64_t commits;         /* group commits of writer_apply changes */
	uint64_t commit_names;    /* names those commits changed */
	uint64_t http_requests;
	uint64_t http_status[6];  /* 1xx..5xx by first digit; [0] other */
	/* the writer's DNS service (workers/xfr.c) */
	uint64_t xfr_out[2];      /* transfers sent: [0] AXFR, [1] IXFR */
	uint64_t xfr_refused;     /* transfers refused */
	uint64_t xfr_in;          /* transfers stored by a secondary zone */
	uint64_t xfr_in_failed;   /* refreshes that failed */
	uint64_t notify_sent, notify_acked, notify_given_up;
	uint64_t tsig_errors;     /* BADKEY, BADSIG, BADTIME, malformed TSIG */
	/* the notifier (its own slot) */
	uint64_t events_delivered, events_failed, events_given_up;
	uint64_t backups_ok, backups_failed;
} __attribute__((aligned(64)));

struct shm_stats {
	uint64_t started_at;      /* master start, unix seconds */
	uint32_t master_pid;
	uint32_t dns_workers;
	uint32_t reloads;
	uint32_t sandbox_stops;   /* processes stopped by their seccomp filter (daemon/sandbox.h) */
	struct shm_worker_stats w[STATS_SLOTS];
};

/* A zeroed shared mapping inherited across fork(), or NULL. */
struct shm_stats *shm_stats_create(void);
void shm_stats_destroy(struct shm_stats *s);

/* Slot of qtype for answers[][]. */
unsigned shm_stats_qtype_slot(uint16_t qtype);
/* Label of a qtype slot ("A", ..., "other", "none"). */
const char *shm_stats_qtype_name(unsigned slot);
/* Label of a source ("http", ...). */
const char *shm_stats_source_name(enum stats_source s);

#endif
