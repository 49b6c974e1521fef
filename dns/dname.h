/*
 * dname.h - domain names: wire parsing with compression, presentation form.
 *
 * A "wire name" here is always uncompressed: labels back to back, ending
 * with the zero-length root label, 1..255 bytes (RFC 1035 3.1), at most 127
 * labels besides the root.  Functions write into caller buffers; nothing is
 * allocated.
 */
#ifndef DD_DNS_DNAME_H
#define DD_DNS_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_DNAME_MAX   255 /* wire bytes, root label included */
#define DNS_LABEL_MAX   63
#define DNS_LABELS_MAX  127 /* labels, root excluded */
#define DNS_DNAME_STR_MAX 1010 /* presentation form incl. NUL: 255 bytes as \DDD */

/*
 * Reads the possibly compressed name at *pos of msg[0..msglen) and writes
 * its uncompressed form, letter case preserved, to out (DNS_DNAME_MAX
 * bytes).  Compression pointers must point strictly backwards from the
 * label that holds them, which also rules out loops.  On success *pos is
 * just past the name in msg (after the first pointer, if any), *outlen is
 * the wire length and, when labels is non-NULL, labels[i] is the offset in
 * out of label i (DNS_LABELS_MAX + 1 entries; the root label is included).
 * Returns the number of labels (root excluded, >= 0) or DD_EFORMERR.
 */
int dns_dname_parse(const uint8_t *msg, size_t msglen, size_t *pos, uint8_t *out,
		    size_t *outlen, uint8_t *labels);

/*
 * Validates an uncompressed wire name in buf[0..max): returns its length
 * (1..255) or DD_EFORMERR (a pointer, a bad label type, too long, or not
 * terminated within max).
 */
int dns_dname_wire_len(const uint8_t *buf, size_t max);

/* ASCII lower-casing of len bytes (labels' length bytes are < 'A', so a whole name is safe). */
void dns_dname_lower(uint8_t *dst, const uint8_t *src, size_t len);

/* Case-insensitive equality of two uncompressed wire names of known lengths. */
bool dns_dname_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* Labels in an uncompressed wire name, root excluded. */
unsigned dns_dname_count_labels(const uint8_t *name);

/* True if name (uncompressed) equals parent or is below it, case-insensitively. */
bool dns_dname_is_sub(const uint8_t *name, size_t len, const uint8_t *parent, size_t plen);

/*
 * Converts presentation form ("home.dyn.example.test", trailing dot
 * optional, "." or "" for the root, escapes \c and \DDD per RFC 1035 5.1)
 * into a lower-case wire name in out (outsz bytes).  Returns the wire
 * length or DD_EINVAL (empty label, label > 63, name > 255, bad escape,
 * output too small).
 */
int dns_dname_from_str(const char *s, uint8_t *out, size_t outsz);

/*
 * Writes the presentation form of an uncompressed wire name to out (outsz
 * bytes, NUL-terminated; DNS_DNAME_STR_MAX always fits).  With dot the name
 * ends with "." (absolute form); the root is "." either way.  Bytes outside
 * printable ASCII and the specials . \ " ( ) ; @ $ and space are escaped.
 * Returns the string length or DD_ENOSPC / DD_EINVAL.
 */
int dns_dname_to_str(const uint8_t *name, size_t len, char *out, size_t outsz, bool dot);

#endif
