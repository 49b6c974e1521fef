/*
 * config_value.h - the syntax of config.yaml's values: names, addresses,
 * networks, cron specs, integers, durations and sizes.  Pure functions of
 * a string; each returns NULL when the value is good, else a short reason
 * for the "FILE:LINE: reason" line config.c reports.
 */
#ifndef DD_DAEMON_CONFIG_VALUE_H
#define DD_DAEMON_CONFIG_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Checks a domain name and writes it lower case without the trailing dot into
 * out (at least 254 bytes).  Returns NULL or the reason it is not valid. */
const char *cfg_value_dname(const char *in, char *out);

/*
 * Parses "IPv4[:PORT]", "[IPv6][:PORT]" or a bare IPv6 into a sockaddr.  A
 * missing port is an error when defport is 0, else defport is used.
 */
const char *cfg_value_addr(const char *s, uint16_t defport, struct sockaddr_storage *ss,
			   socklen_t *sslen);

/* "ADDR:PORT" or "[ADDR]:PORT" in canonical form (inet_ntop), for storage and
 * duplicate detection. */
void cfg_value_addr_format(const struct sockaddr_storage *ss, char *buf, size_t len);

/* An IP address or a CIDR network. */
const char *cfg_value_net(const char *s);

/* A five-field cron spec (minute hour day month weekday). */
const char *cfg_value_cron(const char *s);

/* Decimal integer with optional sign, nothing else. */
const char *cfg_value_int(const char *s, int64_t *out);

/* "90s", "30m", "24h", "7d", "1w" or plain seconds, into seconds. */
const char *cfg_value_duration(const char *s, int64_t *out);

/* An integer with an optional K, M or G (powers of 1024), into bytes. */
const char *cfg_value_size(const char *s, int64_t *out);

#endif
