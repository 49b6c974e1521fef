/*
 * rdata.h - presentation text <-> wire RDATA for the types ddnsd stores.
 *
 * Wire RDATA here is what goes into the shared table and onto the wire:
 * names uncompressed and lower case.  Nothing is allocated.
 */
#ifndef DD_DNS_RDATA_H
#define DD_DNS_RDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_TYPE_A     1
#define DNS_TYPE_NS    2
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_SOA   6
#define DNS_TYPE_MX    15
#define DNS_TYPE_TXT   16
#define DNS_TYPE_AAAA  28
#define DNS_TYPE_SRV   33
#define DNS_TYPE_OPT   41
#define DNS_TYPE_TKEY  249
#define DNS_TYPE_TSIG  250
#define DNS_TYPE_IXFR  251
#define DNS_TYPE_AXFR  252
#define DNS_TYPE_MAILB 253
#define DNS_TYPE_MAILA 254
#define DNS_TYPE_ANY   255

#define DNS_CLASS_IN   1
#define DNS_CLASS_CH   3
#define DNS_CLASS_HS   4
#define DNS_CLASS_NONE 254
#define DNS_CLASS_ANY  255

#define DNS_RDATA_MAX  65535

/*
 * Converts text to wire RDATA of type into out (outsz bytes).
 *   A      dotted quad (inet_pton)
 *   AAAA   any textual IPv6 form inet_pton accepts (::, ::ffff:1.2.3.4, ...)
 *   CNAME, NS   a domain name (dns_dname_from_str: lower-cased, trailing dot optional)
 *   TXT    the raw string, split into character-strings of at most 255
 *          bytes; the empty string gives one empty character-string
 * Returns the RDATA length (>= 0), DD_EINVAL (bad text), DD_ENOSPC (out too
 * small) or DD_ENOTIMP (type not supported).
 */
int dns_rdata_from_text(uint16_t type, const char *text, uint8_t *out, size_t outsz);

/*
 * The reverse of dns_rdata_from_text for A, AAAA, CNAME, NS and TXT: TXT
 * character-strings are concatenated as raw bytes (the value a user
 * stored), names are written without a trailing dot.  out is NUL-terminated.
 * Returns the text length, DD_EINVAL (malformed rdata), DD_ENOSPC or
 * DD_ENOTIMP.
 */
int dns_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t rdlen, char *out,
		      size_t outsz);

/*
 * The types a user stores (records, pools' private rrsets, RFC 2136
 * UPDATE): A, AAAA, TXT, CNAME, in the order "delete all RRsets of a name"
 * visits them.  Everything else at a name (SOA, NS) comes from the
 * configuration.
 */
extern const uint16_t dns_stored_types[];
#define DNS_STORED_TYPES 4
/* True if type is one of dns_stored_types. */
bool dns_type_stored(uint16_t type);
/* "A", "AAAA", "TXT", "CNAME" (any case) -> the type; 0 for any other text or NULL. */
uint16_t dns_stored_type_parse(const char *s);
/* Mnemonic of a stored type; "?" for any other type. */
const char *dns_stored_type_str(uint16_t type);

/* "A" -> 1 etc. (case-insensitive, also "TYPE123"); returns the type or DD_EINVAL. */
int dns_type_from_str(const char *s);
/* Static mnemonic for a type ("A", "TYPE123" needs buf): writes into buf (16 bytes). */
const char *dns_type_to_str(uint16_t type, char buf[16]);

#endif
