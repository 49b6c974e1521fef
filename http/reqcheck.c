/*
 * reqcheck.c - strict request checks: framing headers and the request
 * target (see reqcheck.h).
 */
#include "http/reqcheck.h"

#include <stdbool.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/keyvalq_struct.h>

#include "daemon/util.h"

#define REQCHECK_DEL 0x7f

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
is_control(unsigned char c)
{
	return c < 0x20 || c == REQCHECK_DEL;
}

const char *
reqcheck_framing(const struct evkeyvalq *headers)
{
	const struct evkeyval *h;
	unsigned ncl = 0, nte = 0;

	TAILQ_FOREACH(h, headers, next)
	{
		if (strcasecmp(h->key, "Content-Length") == 0) {
			/* RFC 9112 section 6.3 item 5: a list or a sign is no length */
			if (++ncl > 1)
				return "more than one Content-Length header";
			if (!util_is_digits(h->value))
				return "Content-Length is not a number";
		} else if (strcasecmp(h->key, "Transfer-Encoding") == 0) {
			if (++nte > 1)
				return "more than one Transfer-Encoding header";
			/* anything but plain "chunked" would be framed by
			 * Content-Length in libevent: refuse it (item 4) */
			if (strcasecmp(h->value, "chunked") != 0)
				return "Transfer-Encoding other than chunked";
		}
	}
	/* item 3: a sender must not send both; one who does may be smuggling */
	if (ncl > 0 && nte > 0)
		return "both Content-Length and Transfer-Encoding";
	return NULL;
}

const char *
reqcheck_percent(const char *raw)
{
	for (const char *p = raw; *p; p++) {
		if (*p != '%')
			continue;
		if (hexval(p[1]) < 0 || hexval(p[2]) < 0)
			return "invalid percent-encoding";
		p += 2;
	}
	return NULL;
}

const char *
reqcheck_printable(const char *raw)
{
	for (const char *p = raw; *p; p++) {
		if (is_control((unsigned char)*p))
			return "control character";
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			if (is_control((unsigned char)(hexval(p[1]) << 4 | hexval(p[2]))))
				return "encoded control character";
			p += 2;
		}
	}
	return NULL;
}
