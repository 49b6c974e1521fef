/* dname.c - domain names: wire parsing with compression, presentation form. */
#include "dns/dname.h"

#include <string.h>

#include "daemon/dd.h"

static inline uint8_t
lower_byte(uint8_t c)
{
	return (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

int
dns_dname_parse(const uint8_t *msg, size_t msglen, size_t *pos, uint8_t *out, size_t *outlen,
		uint8_t *labels)
{
	size_t p = *pos, o = 0, after = 0;
	size_t floor = *pos; /* every pointer must go below the lowest byte read so far */
	int nl = 0;
	bool jumped = false;

	for (;;) {
		if (p >= msglen)
			return DD_EFORMERR;
		uint8_t c = msg[p];
		if ((c & 0xc0) == 0xc0) {
			/* RFC 1035 4.1.4; a pointer may only go backwards, so no loops */
			if (p + 1 >= msglen)
				return DD_EFORMERR;
			size_t target = (size_t)(c & 0x3f) << 8 | msg[p + 1];
			if (target >= floor)
				return DD_EFORMERR;
			if (!jumped) {
				after = p + 2;
				jumped = true;
			}
			p = target;
			floor = target;
			continue;
		}
		if (c & 0xc0) /* 0x40 and 0x80 label types are obsolete (RFC 6891 5) */
			return DD_EFORMERR;
		if (o + 1 + c > DNS_DNAME_MAX || p + 1 + c > msglen)
			return DD_EFORMERR;
		if (labels)
			labels[nl] = (uint8_t)o;
		memcpy(out + o, msg + p, 1u + c);
		o += 1u + c;
		p += 1u + c;
		if (c == 0)
			break;
		if (++nl > DNS_LABELS_MAX)
			return DD_EFORMERR;
	}
	*pos = jumped ? after : p;
	*outlen = o;
	return nl;
}

int
dns_dname_wire_len(const uint8_t *buf, size_t max)
{
	size_t p = 0;
	unsigned nl = 0;

	for (;;) {
		if (p >= max || p >= DNS_DNAME_MAX)
			return DD_EFORMERR;
		uint8_t c = buf[p];
		if (c > DNS_LABEL_MAX)
			return DD_EFORMERR;
		p += 1u + c;
		if (c == 0)
			break;
		if (++nl > DNS_LABELS_MAX)
			return DD_EFORMERR;
	}
	return p <= DNS_DNAME_MAX && p <= max ? (int)p : DD_EFORMERR;
}

void
dns_dname_lower(uint8_t *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = lower_byte(src[i]);
}

bool
dns_dname_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower_byte(a[i]) != lower_byte(b[i]))
			return false;
	return true;
}

unsigned
dns_dname_count_labels(const uint8_t *name)
{
	unsigned n = 0;
	for (size_t p = 0; name[p] != 0 && p < DNS_DNAME_MAX; p += 1u + name[p])
		n++;
	return n;
}

bool
dns_dname_is_sub(const uint8_t *name, size_t len, const uint8_t *parent, size_t plen)
{
	if (plen > len)
		return false;
	/* walk label boundaries until the remaining suffix has parent's length */
	size_t p = 0;
	while (len - p > plen)
		p += 1u + name[p];
	return len - p == plen && dns_dname_equal(name + p, plen, parent, plen);
}

static int
parse_escape(const char **sp, uint8_t *out)
{
	const char *s = *sp;
	if (s[0] >= '0' && s[0] <= '9') {
		if (!(s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9'))
			return DD_EINVAL;
		int v = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
		if (v > 255)
			return DD_EINVAL;
		*out = (uint8_t)v;
		*sp = s + 3;
		return 0;
	}
	if (s[0] == '\0')
		return DD_EINVAL;
	*out = (uint8_t)s[0];
	*sp = s + 1;
	return 0;
}

int
dns_dname_from_str(const char *s, uint8_t *out, size_t outsz)
{
	size_t o = 0, lab = 0;

	if (s[0] == '\0' || (s[0] == '.' && s[1] == '\0')) {
		if (outsz < 1)
			return DD_EINVAL;
		out[0] = 0;
		return 1;
	}
	if (outsz < 2)
		return DD_EINVAL;
	out[0] = 0;
	o = 1;
	while (*s) {
		uint8_t c;
		if (*s == '.') {
			if (o == lab + 1) /* empty label */
				return DD_EINVAL;
			s++;
			if (*s == '\0')
				break;
			lab = o;
			if (o >= outsz || o >= DNS_DNAME_MAX)
				return DD_EINVAL;
			out[o++] = 0;
			continue;
		}
		if (*s == '\\') {
			s++;
			if (parse_escape(&s, &c) < 0)
				return DD_EINVAL;
		} else {
			c = (uint8_t)*s++;
		}
		if (out[lab] == DNS_LABEL_MAX || o >= outsz || o >= DNS_DNAME_MAX - 1)
			return DD_EINVAL;
		out[o++] = lower_byte(c);
		out[lab]++;
	}
	if (o >= outsz || o >= DNS_DNAME_MAX)
		return DD_EINVAL;
	out[o++] = 0;
	return (int)o;
}

static bool
needs_escape(uint8_t c)
{
	return c <= ' ' || c >= 0x7f || c == '.' || c == '\\' || c == '"' || c == '(' ||
	       c == ')' || c == ';' || c == '@' || c == '$';
}

int
dns_dname_to_str(const uint8_t *name, size_t len, char *out, size_t outsz, bool dot)
{
	size_t o = 0, p = 0;

	if (outsz < 2 || dns_dname_wire_len(name, len) != (int)len)
		return outsz < 2 ? DD_ENOSPC : DD_EINVAL;
	if (name[0] == 0) {
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
	while (name[p]) {
		uint8_t n = name[p++];
		for (uint8_t i = 0; i < n; i++, p++) {
			uint8_t c = name[p];
			if (o + 5 >= outsz)
				return DD_ENOSPC;
			if (c <= ' ' || c >= 0x7f) {
				out[o++] = '\\';
				out[o++] = (char)('0' + c / 100);
				out[o++] = (char)('0' + c / 10 % 10);
				out[o++] = (char)('0' + c % 10);
			} else if (needs_escape(c)) {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else {
				out[o++] = (char)c;
			}
		}
		if (name[p] || dot) {
			if (o + 1 >= outsz)
				return DD_ENOSPC;
			out[o++] = '.';
		}
	}
	out[o] = '\0';
	return (int)o;
}
