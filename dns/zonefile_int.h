/*
 * zonefile_int.h - private to the master-file module: the lexer's records
 * and tokens, and the helpers its files share.
 *
 * dns/zonefile_lex.c owns the lexer (fields, quoting, escapes, parentheses:
 * RFC 1035 5.1); dns/zonefile.c owns the parser (names, numbers, records,
 * whole-zone checks) and zf_parse_*(); dns/zonefile_write.c owns zf_write().
 * Include it only from those three files.
 */
#ifndef DD_DNS_ZONEFILE_INT_H
#define DD_DNS_ZONEFILE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/zonefile.h"

#define ZF_TOKENS_MAX 300   /* fields in one record: 255 one-byte TXT strings fit */
#define ZF_REC_TEXT   16384 /* decoded bytes of one record, NULs included */

/* One field of a record; its decoded bytes are text[off..off+len), NUL after. */
struct zf_tok {
	size_t off, len;
	bool quoted, escaped;
};

/* One logical record: a line, or several joined by parentheses (RFC 1035 5.1). */
struct zf_rec {
	struct zf_tok tok[ZF_TOKENS_MAX];
	size_t ntok;
	char text[ZF_REC_TEXT];
	size_t tlen;
	int line;        /* where the record starts */
	bool indented;   /* first byte of the line is a blank: previous owner */
	const char *err; /* first lexical error, static */
	int errline;
};

struct zf_lex {
	const char *buf;
	size_t len, pos;
	size_t line_start;
	int line;
	bool long_reported; /* the current line was already reported too long */
};

/* True for an ASCII decimal digit. */
static inline bool
dns_zf_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads the next logical record into r; false at the end (zonefile_lex.c). */
bool dns_zf_lex_record(struct zf_lex *lx, struct zf_rec *r);
/* True when canonical name lies in zone or is its apex (zonefile.c). */
bool dns_zf_name_in_zone(const char *name, const char *zone);
/* Canonicalises origin into out; NULL or the reason it is refused (zonefile.c). */
const char *dns_zf_canonical_origin(const char *origin, char out[ZF_NAME_MAX]);

#endif
