/*
 * config_schema.c - the schema table: every key of config.yaml, its type,
 * range, default and the field it lands in (see config_int.h).
 */
#include "daemon/config_int.h"

#include <stddef.h>

static const char *const levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const tsig_algs[] = {"hmac-sha256", "hmac-sha512", NULL};
static const char *const dnssec_algs[] = {"ecdsap256sha256", "ed25519", NULL};
static const char *const dnssec_denials[] = {"nsec3", "nsec", NULL};
static const char *const seccomp_modes[] = {"kill", "log", "off", NULL};
static const char *const io_modes[] = {"auto", "io_uring", "recvmmsg", NULL};
static const char *const update_types[] = {"A", "AAAA", "TXT", "CNAME", NULL};
static const char *const notify_types[] = {"discord", "slack", "webhook", "command", NULL};
const char *const cfg_notify_events[] = {"record_changed",   "member_down", "member_up",
                                            "worker_restarted", "backup_ok",   "backup_failed",
                                            "auth_abuse",       NULL};

#define FLD(T, m) .off = offsetof(T, m), .size = sizeof(((T *)0)->m)
#define R(m)      FLD(struct cfg, m)
#define Z(m)      FLD(struct cfg_zone, m)
#define K(m)      FLD(struct cfg_tsig, m)
#define N(m)      FLD(struct cfg_notify, m)
#define MAP(p)                                                                                     \
	{                                                                                          \
		.path = p, .type = CT_MAP                                                          \
	}
#define U32       .min = 0, .max = UINT32_MAX
#define AT_LEAST1 .min = 1, .max = UINT32_MAX

/* The whole config surface.  A new key: add it here, to struct cfg, to
 * config.yaml.sample, to docs/config.md and to tests/unit/test_config.c. */
const struct cfg_item cfg_schema[] = {
        {"database", CT_STR, CK_PATH, .def = "data/ddnsd.db", R(database)},
        {"user", CT_STR, CK_NONE, .flags = F_EMPTY_NULL, R(user)},
        {"log_level", CT_STR, CK_ENUM, .def = "info", .choices = levels, R(log_level)},
        MAP("sandbox"),
        {"sandbox.seccomp", CT_STR, CK_ENUM, .def = "kill", .choices = seccomp_modes,
         R(sandbox.seccomp)},

        {"zones", CT_MAPS, CK_NONE, .min = 1, .max = 100000, .flags = F_REQUIRED,
         .off = offsetof(struct cfg, zones), .size = sizeof(struct cfg_zone),
         .cnt_off = offsetof(struct cfg, nzones), .line_off = offsetof(struct cfg_zone, line)},
        {"zones[].name", CT_STR, CK_DNAME, .flags = F_REQUIRED, Z(name)},
        {"zones[].ttl", CT_INT, CK_NONE, .min = 0, .max = 2147483647, .def = "300", Z(ttl)},
        {"zones[].ns", CT_STRS, CK_DNAME, .min = 1, .max = 64, Z(ns),
         .cnt_off = offsetof(struct cfg_zone, nns)},
        MAP("zones[].soa"),
        {"zones[].soa.mname", CT_STR, CK_DNAME, Z(soa.mname)},
        {"zones[].soa.rname", CT_STR, CK_DNAME, Z(soa.rname)},
        {"zones[].soa.refresh", CT_INT, CK_NONE, U32, .def = "3600", Z(soa.refresh)},
        {"zones[].soa.retry", CT_INT, CK_NONE, U32, .def = "600", Z(soa.retry)},
        {"zones[].soa.expire", CT_INT, CK_NONE, U32, .def = "604800", Z(soa.expire)},
        {"zones[].soa.minimum", CT_INT, CK_NONE, U32, .def = "60", Z(soa.minimum)},
        MAP("zones[].transfer"),
        {"zones[].transfer.allow", CT_STRS, CK_NET, .min = 0, .max = 1024, Z(transfer_allow),
         .cnt_off = offsetof(struct cfg_zone, ntransfer_allow)},
        {"zones[].transfer.notify", CT_STRS, CK_PEER, .min = 0, .max = 1024, Z(transfer_notify),
         .cnt_off = offsetof(struct cfg_zone, ntransfer_notify)},
        {"zones[].transfer.tsig", CT_STR, CK_DNAME, Z(transfer_tsig)},
        {"zones[].primary", CT_STR, CK_PEER, Z(primary)},
        MAP("zones[].dnssec"),
        {"zones[].dnssec.enabled", CT_BOOL, CK_NONE, .def = "false", Z(dnssec.enabled)},
        {"zones[].dnssec.algorithm", CT_STR, CK_ENUM, .def = "ecdsap256sha256",
         .choices = dnssec_algs, Z(dnssec.algorithm)},
        {"zones[].dnssec.denial", CT_STR, CK_ENUM, .def = "nsec3", .choices = dnssec_denials,
         Z(dnssec.denial)},
        {"zones[].dnssec.signature_validity", CT_DURATION, CK_NONE, .min = 10,
         .max = 366LL * 86400, .def = "14d", Z(dnssec.signature_validity)},
        {"zones[].dnssec.dnskey_ttl", CT_DURATION, CK_NONE, .min = 1, .max = 86400 * 7,
         .def = "1h", Z(dnssec.dnskey_ttl)},
        {"zones[].dnssec.propagation_delay", CT_DURATION, CK_NONE, .min = 0,
         .max = 86400 * 7, .def = "1h", Z(dnssec.propagation_delay)},
        {"zones[].dnssec.parent_ds_ttl", CT_DURATION, CK_NONE, .min = 1, .max = 86400 * 7,
         .def = "1d", Z(dnssec.parent_ds_ttl)},

        MAP("dns"),
        {"dns.listen", CT_STRS, CK_ADDR, .min = 1, .max = 64, .def = "127.0.0.1:5353",
         R(dns.listen), .cnt_off = offsetof(struct cfg, dns.nlisten)},
        {"dns.workers", CT_INT, CK_NONE, .min = 1, .max = 64, .def = "2", R(dns.workers)},
        {"dns.tcp_max_connections", CT_INT, CK_NONE, .min = 1, .max = 1000000, .def = "256",
         R(dns.tcp_max_connections)},
        {"dns.tcp_max_per_address", CT_INT, CK_NONE, .min = 1, .max = 1000000, .def = "16",
         R(dns.tcp_max_per_address)},
        {"dns.tcp_idle_timeout", CT_INT, CK_NONE, .min = 1, .max = 3600000, .def = "10000",
         R(dns.tcp_idle_timeout)},
        {"dns.udp_payload", CT_INT, CK_NONE, .min = 512, .max = 4096, .def = "1232",
         R(dns.udp_payload)},
        {"dns.io", CT_STR, CK_ENUM, .def = "auto", .choices = io_modes, R(dns.io)},
        MAP("dns.rrl"),
        {"dns.rrl.responses_per_second", CT_INT, CK_NONE, .min = 0, .max = 10000, .def = "20",
         R(dns.rrl.responses_per_second)},
        {"dns.rrl.slip", CT_INT, CK_NONE, .min = 0, .max = 100, .def = "2", R(dns.rrl.slip)},
        {"dns.rrl.ipv4_prefix", CT_INT, CK_NONE, .min = 8, .max = 32, .def = "24",
         R(dns.rrl.ipv4_prefix)},
        {"dns.rrl.ipv6_prefix", CT_INT, CK_NONE, .min = 16, .max = 128, .def = "56",
         R(dns.rrl.ipv6_prefix)},
        {"dns.rrl.exempt", CT_STRS, CK_NET, .min = 0, .max = 1024, R(dns.rrl.exempt),
         .cnt_off = offsetof(struct cfg, dns.rrl.nexempt)},
        MAP("dns.cookies"),
        {"dns.cookies.enabled", CT_BOOL, CK_NONE, .def = "true", R(dns.cookies.enabled)},
        {"dns.cookies.secret", CT_STR, CK_NONE, R(dns.cookies.secret)},
        {"dns.cookies.previous_secret", CT_STR, CK_NONE, R(dns.cookies.previous_secret)},

        MAP("http"),
        {"http.listen", CT_STR, CK_ADDR, .def = "127.0.0.1:8080", R(http.listen)},
        {"http.trusted_proxies", CT_STRS, CK_NET, .min = 0, .max = 1024, R(http.trusted_proxies),
         .cnt_off = offsetof(struct cfg, http.ntrusted_proxies)},
        {"http.max_body", CT_SIZE, CK_NONE, .min = 1, .max = 16777216, .def = "65536",
         R(http.max_body)},
        MAP("http.rate_limit"),
        {"http.rate_limit.per_ip_per_minute", CT_INT, CK_NONE, AT_LEAST1, .def = "600",
         R(http.rate_per_ip_per_minute)},
        {"http.rate_limit.burst", CT_INT, CK_NONE, AT_LEAST1, .def = "100", R(http.rate_burst)},
        {"http.rate_limit.per_token_per_minute", CT_INT, CK_NONE, AT_LEAST1, .def = "600",
         R(http.rate_per_token_per_minute)},
        {"http.cors_origins", CT_STRS, CK_NONE, .min = 0, .max = 256, R(http.cors_origins),
         .cnt_off = offsetof(struct cfg, http.ncors_origins)},
        {"http.metrics_token", CT_STR, CK_NONE, .flags = F_EMPTY_NULL, R(http.metrics_token)},
        {"http.max_connections_per_address", CT_INT, CK_NONE, .min = 1, .max = 1000000,
         .def = "32", R(http.max_connections_per_address)},
        {"http.idle_timeout", CT_DURATION, CK_NONE, .min = 1, .max = 3600, .def = "10",
         R(http.idle_timeout)},

        MAP("acme"),
        {"acme.zone", CT_STR, CK_DNAME, R(acme_zone)},
        MAP("control"),
        {"control.socket", CT_STR, CK_PATH, .def = "run/ddnsd.sock", R(control_socket)},
        MAP("auth"),
        {"auth.master_token", CT_STR, CK_NONE, .flags = F_EMPTY_NULL, R(master_token)},

        {"tsig", CT_MAPS, CK_NONE, .min = 0, .max = 10000, .off = offsetof(struct cfg, tsig),
         .size = sizeof(struct cfg_tsig), .cnt_off = offsetof(struct cfg, ntsig),
         .line_off = offsetof(struct cfg_tsig, line)},
        {"tsig[].name", CT_STR, CK_DNAME, .flags = F_REQUIRED, K(name)},
        {"tsig[].algorithm", CT_STR, CK_ENUM, .flags = F_REQUIRED, .choices = tsig_algs,
         K(algorithm)},
        {"tsig[].secret", CT_STR, CK_BASE64, .flags = F_REQUIRED, K(secret),
         .cnt_off = offsetof(struct cfg_tsig, secret_len)},
        MAP("tsig[].update"),
        {"tsig[].update.names", CT_STRS, CK_NONE, .min = 1, .max = 100000, K(update_names),
         .cnt_off = offsetof(struct cfg_tsig, nupdate_names)},
        {"tsig[].update.types", CT_STRS, CK_ENUM, .min = 1, .max = 4, .choices = update_types,
         K(update_types), .cnt_off = offsetof(struct cfg_tsig, nupdate_types)},

        {"notify", CT_MAPS, CK_NONE, .min = 0, .max = 10000, .off = offsetof(struct cfg, notify),
         .size = sizeof(struct cfg_notify), .cnt_off = offsetof(struct cfg, nnotify),
         .line_off = offsetof(struct cfg_notify, line)},
        {"notify[].name", CT_STR, CK_NONE, .flags = F_REQUIRED, N(name)},
        {"notify[].type", CT_STR, CK_ENUM, .flags = F_REQUIRED, .choices = notify_types, N(type)},
        {"notify[].url", CT_STR, CK_URL, N(url)},
        {"notify[].secret", CT_STR, CK_NONE, .flags = F_EMPTY_NULL, N(secret)},
        {"notify[].command", CT_STR, CK_NONE, N(command)},
        {"notify[].events", CT_STRS, CK_ENUM, .min = 1, .max = 64, .choices = cfg_notify_events,
         N(events), .cnt_off = offsetof(struct cfg_notify, nevents)},
        {"notify[].max_age", CT_DURATION, CK_NONE, .min = 1, .max = 3650LL * 86400, .def = "1d",
         N(max_age)},

        MAP("backup"),
        {"backup.interval", CT_DURATION, CK_NONE, .min = 1, .max = 3650LL * 86400,
         R(backup.interval)},
        {"backup.schedule", CT_STR, CK_CRON, R(backup.schedule)},
        {"backup.dir", CT_STR, CK_PATH, .def = "backups", R(backup.dir)},
        {"backup.keep", CT_INT, CK_NONE, .min = 1, .max = 100000, .def = "7", R(backup.keep)},
        MAP("backup.s3"),
        {"backup.s3.endpoint", CT_STR, CK_URL, .flags = F_REQUIRED, R(backup.s3_endpoint)},
        {"backup.s3.bucket", CT_STR, CK_NONE, .flags = F_REQUIRED, R(backup.s3_bucket)},
        {"backup.s3.prefix", CT_STR, CK_NONE, .flags = F_EMPTY_OK, .def = "", R(backup.s3_prefix)},
        {"backup.s3.region", CT_STR, CK_NONE, .def = "us-east-1", R(backup.s3_region)},
        {"backup.s3.credentials", CT_STR, CK_PATH, R(backup.s3_credentials)},

        MAP("table"),
        {"table.capacity", CT_INT, CK_NONE, .min = 16, .max = 100000000, .def = "65536",
         R(table.capacity)},
        {"table.data_bytes", CT_SIZE, CK_NONE, .min = 0, .max = 1LL << 40, .def = "0",
         R(table.data_bytes)},

        MAP("pools"),
        {"pools.report_max_age", CT_DURATION, CK_NONE, .min = 1, .max = 86400, .def = "60",
         R(pools.report_max_age)},
        {"pools.allowed_members", CT_STRS, CK_NET, .min = 0, .max = 1024, R(pools.allowed_members),
         .cnt_off = offsetof(struct cfg, pools.nallowed_members)},

        MAP("journal"),
        {"journal.max_changes", CT_INT, CK_NONE, .min = 1, .max = 10000000, .def = "1000",
         R(journal.max_changes)},
        {"journal.max_age", CT_DURATION, CK_NONE, .min = 60, .max = 3650LL * 86400, .def = "7d",
         R(journal.max_age)},

        MAP("audit"),
        {"audit.max_rows", CT_INT, CK_NONE, .min = 0, .max = 1000000000, .def = "1000000",
         R(audit.max_rows)},
        {"audit.max_age", CT_DURATION, CK_NONE, .min = 60, .max = 3650LL * 86400, .def = "90d",
         R(audit.max_age)},
};


const size_t cfg_nschema = sizeof(cfg_schema) / sizeof(cfg_schema[0]);
