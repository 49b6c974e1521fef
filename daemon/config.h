/*
 * config.h - config.yaml (libyaml), validated against one schema table.
 *
 * cfg_load collects every problem as "FILE:LINE: reason" instead of stopping
 * at the first.  Relative paths (database, control.socket, backup.dir) are
 * made absolute against the config file's directory.  DDNSD_MASTER_TOKEN in
 * the environment overrides auth.master_token.
 */
#ifndef DD_CONFIG_H
#define DD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/cookie.h"
#include "dns/rrl.h"

struct cfg_addr {
	char text[80];                /* as written, e.g. "127.0.0.1:5353", "[::1]:53" */
	struct sockaddr_storage ss;   /* parsed, port included */
	socklen_t sslen;
};

struct cfg_soa {
	char *mname, *rname;          /* FQDN, no trailing dot, lower case */
	uint32_t refresh, retry, expire, minimum;
};

/* DNSSEC algorithm numbers (RFC 8624) of zones[].dnssec.algorithm */
#define CFG_DNSSEC_ECDSAP256SHA256 13
#define CFG_DNSSEC_ED25519         15

struct cfg_zone {
	char *name;                   /* lower case, no trailing dot */
	uint32_t ttl;                 /* default TTL of dynamic records (default 300) */
	char **ns;                    /* FQDNs (default: ["ns1.<zone>"]) */
	size_t nns;
	struct cfg_soa soa;           /* defaults: mname = ns[0], rname = hostmaster.<zone>,
	                                 3600 600 604800 60 */
	char **transfer_allow;        /* addresses or CIDRs */
	size_t ntransfer_allow;
	char **transfer_notify;       /* "ADDR:PORT" */
	size_t ntransfer_notify;
	char *transfer_tsig;          /* key name or NULL; must exist in tsig: */
	char *primary;                /* "ADDR:PORT": a secondary zone transferred from there, or NULL */
	struct {
		bool enabled;             /* default false */
		char *algorithm;          /* ecdsap256sha256 (default) | ed25519 */
		char *denial;             /* nsec3 (default) | nsec */
		uint64_t signature_validity; /* seconds an RRSIG is valid (default 14d) */
		uint64_t dnskey_ttl;      /* TTL of the DNSKEY RRset (default 1h) */
		uint64_t propagation_delay; /* RFC 7583 Dprp: a change reaches every
					      secondary and cache within it (default 1h) */
		uint64_t parent_ds_ttl;   /* TTL of the DS RRset at the parent (default 1d) */
		uint8_t alg;              /* DNSSEC algorithm number of algorithm */
	} dnssec;
	int line;
};

struct cfg_tsig {
	char *name;
	char *algorithm;              /* hmac-sha256 | hmac-sha512 */
	uint8_t secret[128];          /* decoded base64 */
	size_t secret_len;
	bool update_policy;           /* update: present; without it the key may UPDATE nothing */
	char **update_names;          /* exact names or "*.SUFFIX" (strictly below SUFFIX);
	                                 none: every name of every primary zone */
	size_t nupdate_names;
	char **update_types;          /* A AAAA TXT CNAME (none: all four) */
	size_t nupdate_types;
	int line;                     /* where the entry starts in the file */
};

struct cfg_notify {
	char *name;
	char *type;                   /* discord | slack | webhook | command */
	char *url;
	char *secret;
	char *command;
	char **events;                /* default: all */
	size_t nevents;
	uint64_t max_age;             /* seconds an event is retried before it is given up (1d) */
	int line;                     /* where the entry starts in the file */
};

struct cfg {
	char *path;                   /* absolute path of the file loaded */
	char *dir;                    /* its directory */
	char *database;               /* absolute (default <dir>/data/ddnsd.db) */
	char *user;                   /* drop privileges to this user (when root), or NULL */
	struct {
		char *seccomp;        /* kill|log|off (daemon/sandbox.h; default kill) */
	} sandbox;
	char *log_level;              /* error|warn|info|debug (default info) */
	struct cfg_zone *zones;
	size_t nzones;
	struct {
		struct cfg_addr *listen;  /* default ["127.0.0.1:5353"] */
		size_t nlisten;
		uint32_t workers;         /* 1..64, default 2 */
		uint32_t tcp_max_connections; /* per worker, default 256 */
		uint32_t tcp_max_per_address; /* per worker and client address (IPv6: /64), default 16 */
		uint32_t tcp_idle_timeout;    /* ms, default 10000 */
		uint16_t udp_payload;     /* EDNS payload we use, 512..4096, default 1232 */
		char *io;                 /* UDP path: auto | io_uring | recvmmsg (default auto) */
		struct {
			bool enabled;         /* default true */
			char *secret;         /* 32 hex digits, or NULL/"": random at start */
			char *previous_secret; /* still accepted during a rollover, or NULL */
			struct dns_cookie_keys keys; /* from the above (keys.on = enabled) */
		} cookies;
		struct {
			uint32_t responses_per_second; /* per client prefix and answer; 0: off (default 20) */
			uint32_t slip;            /* every slip-th limited reply goes out with TC (default 2) */
			uint32_t ipv4_prefix, ipv6_prefix; /* default 24, 56 */
			char **exempt;            /* CIDRs never limited */
			size_t nexempt;
			struct dns_rrl_cfg parsed; /* from the above */
		} rrl;
	} dns;
	struct {
		struct cfg_addr listen;   /* default 127.0.0.1:8080 */
		char **trusted_proxies;   /* addresses or CIDRs */
		size_t ntrusted_proxies;
		uint32_t max_body;        /* default 65536 */
		uint32_t rate_per_ip_per_minute; /* default 600 */
		uint32_t rate_burst;      /* default 100 */
		uint32_t rate_per_token_per_minute; /* default 600 */
		char **cors_origins;      /* allowed Origin values ("*" = any) */
		size_t ncors_origins;
		char *metrics_token;      /* "" -> NULL */
		uint32_t max_connections_per_address; /* open connections per TCP peer, default 32 */
		uint32_t idle_timeout;    /* s without a byte in or out before a connection is closed, default 10 */
	} http;
	char *acme_zone;              /* default: zones[0].name */
	char *control_socket;         /* absolute (default <dir>/run/ddnsd.sock) */
	char *master_token;           /* env override applied; NULL if unset/empty */
	struct cfg_tsig *tsig;
	size_t ntsig;
	struct cfg_notify *notify;
	size_t nnotify;
	struct {
		bool enabled;             /* backup: present */
		uint64_t interval;        /* seconds (e.g. "24h", "30m", "90s", "2d"); 0 if schedule */
		char *schedule;           /* 5-field cron spec or NULL */
		char *dir;                /* absolute (default <dir>/backups) */
		uint32_t keep;            /* default 7 */
		bool s3_enabled;
		char *s3_endpoint, *s3_bucket, *s3_prefix, *s3_region;
		char *s3_credentials;     /* file with aws_access_key_id / aws_secret_access_key, or NULL */
	} backup;
	struct {
		uint32_t capacity;        /* names, default 65536, 16..100000000 */
		uint64_t data_bytes;      /* heap bytes, 0 = capacity * 192; accepts "64M" */
	} table;
	struct {
		uint64_t report_max_age;  /* seconds a load report counts (default 60) */
		char **allowed_members;   /* CIDRs a user's checked pool may reach beside
		                             globally reachable unicast (default none) */
		size_t nallowed_members;
	} pools;
	struct {
		uint32_t max_changes;     /* IXFR journal: serials kept per zone (default 1000) */
		uint64_t max_age;         /* seconds a journal entry is kept (default 7d) */
	} journal;
	struct {
		uint32_t max_rows;        /* audit rows kept, 0 = no count limit (default 1000000) */
		uint64_t max_age;         /* seconds an audit row is kept (default 90d) */
	} audit;
};

/* Collected errors, each "FILE:LINE: reason". */
struct cfg_errors {
	char **msg;
	size_t n;
};

/*
 * Loads and validates path.  On success returns 0 and *out (free with
 * cfg_free).  On failure returns DD_ECONFIG (errs holds every problem) or
 * DD_ENOENT/DD_EIO (errs holds one message naming the file); *out is NULL.
 */
int cfg_load(const char *path, struct cfg **out, struct cfg_errors *errs);
void cfg_free(struct cfg *c);
void cfg_errors_fini(struct cfg_errors *errs);

/*
 * Index of the zone that name (canonical: lower case, no trailing dot)
 * belongs to: the longest apex equal to it or a parent of it; -1 if none.
 */
int cfg_zone_of_name(const struct cfg *c, const char *name);

/* Index of the zone named name (no trailing dot, any case), or -1. */
int cfg_zone_index(const struct cfg *c, const char *name);

/*
 * True when tsig key i has no update: section (so it may UPDATE nothing)
 * and no zone names it as transfer.tsig: a key that does nothing at all,
 * most likely one an older version let UPDATE every zone.
 */
bool cfg_tsig_is_idle(const struct cfg *c, size_t i);

#endif
