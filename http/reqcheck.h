/*
 * reqcheck.h - strict checks of an HTTP request before anything runs it:
 * message framing (RFC 9112 section 6.3) and the request target's
 * percent-encoding and characters (RFC 3986 section 2.1).  Pure functions:
 * no I/O, no allocation, no state.
 *
 * Each returns NULL when the input passes, or a static reason string (never
 * freed, valid for the life of the program) naming what is wrong, for the
 * 400 reply.
 */
#ifndef DD_HTTP_REQCHECK_H
#define DD_HTTP_REQCHECK_H

#include <stddef.h>

struct evkeyvalq;

/*
 * The headers frame exactly one message: at most one Content-Length, made
 * of digits only; at most one Transfer-Encoding, and that one "chunked";
 * never both.  libevent reads the first Content-Length and ignores the
 * rest, so two that disagree would leave bytes of this request to be read
 * as the next one (request smuggling).
 */
const char *reqcheck_framing(const struct evkeyvalq *headers);

/*
 * Every '%' in raw (a path or query string as the client sent it) starts
 * "%XX" with two hex digits.
 */
const char *reqcheck_percent(const char *raw);

/*
 * No control character (0x00-0x1f, 0x7f) in raw, neither as it is nor once
 * its "%XX" sequences are decoded ("%00" cuts a name short in C).  Call it
 * after reqcheck_percent; an invalid '%' sequence is left for that one.
 */
const char *reqcheck_printable(const char *raw);

#endif
