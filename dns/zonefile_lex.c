/*
 * zonefile_lex.c - the master-file lexer (RFC 1035 5.1): splits the buffer
 * into logical records of fields, with comments, parentheses spanning lines,
 * quoted strings and \X / \DDD escapes.  The parser is in zonefile.c.
 */
#include "dns/zonefile.h"

#include "dns/zonefile_int.h"

/* ------------------------------------------------------------ lexer */

static void
rec_error(struct zf_rec *r, int line, const char *err)
{
	if (r->err == NULL) {
		r->err = err;
		r->errline = line;
	}
}

static void
rec_put(struct zf_rec *r, char c)
{
	/* one byte stays free for the token's NUL */
	if (r->tlen + 2 > sizeof(r->text)) {
		rec_error(r, r->line, "record too long");
		return;
	}
	r->text[r->tlen++] = c;
}

/* Decodes the escape after a backslash at lx->pos (RFC 1035 5.1: \X and \DDD). */
static void
lex_escape(struct zf_lex *lx, struct zf_rec *r)
{
	const char *s = lx->buf + lx->pos;
	size_t left = lx->len - lx->pos;

	if (left == 0 || s[0] == '\n') {
		rec_error(r, lx->line, "backslash at the end of a line");
		return;
	}
	if (dns_zf_is_digit(s[0])) {
		if (left < 3 || !dns_zf_is_digit(s[1]) || !dns_zf_is_digit(s[2]) ||
		    (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0') > 255) {
			rec_error(r, lx->line, "bad \\DDD escape");
			lx->pos++;
			return;
		}
		rec_put(r, (char)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0')));
		lx->pos += 3;
		return;
	}
	rec_put(r, s[0]);
	lx->pos++;
}

static bool
is_delim(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '(' ||
	       c == ')' || c == '"';
}

/* Reads one field (quoted or not) starting at lx->pos into r. */
static void
lex_field(struct zf_lex *lx, struct zf_rec *r)
{
	bool quoted = lx->buf[lx->pos] == '"';
	struct zf_tok *t;

	if (r->ntok == ZF_TOKENS_MAX) {
		rec_error(r, lx->line, "too many fields in one record");
		t = NULL;
	} else {
		t = &r->tok[r->ntok++];
		*t = (struct zf_tok){.off = r->tlen, .quoted = quoted};
	}
	if (quoted)
		lx->pos++;
	while (lx->pos < lx->len) {
		char c = lx->buf[lx->pos];
		if (quoted ? c == '"' : is_delim(c))
			break;
		if (quoted && c == '\n')
			break;
		lx->pos++;
		if (c == '\0') {
			rec_error(r, lx->line, "NUL byte in the file");
		} else if (c == '\\') {
			if (t)
				t->escaped = true;
			lex_escape(lx, r);
		} else {
			rec_put(r, c);
		}
	}
	if (quoted) {
		if (lx->pos < lx->len && lx->buf[lx->pos] == '"')
			lx->pos++;
		else
			rec_error(r, lx->line, "unterminated quoted string");
	}
	if (t) {
		t->len = r->tlen - t->off;
		r->text[r->tlen++] = '\0';
	}
}

/* Skips blank lines and comment lines; false at the end of the buffer. */
static bool
lex_skip_empty(struct zf_lex *lx, struct zf_rec *r)
{
	for (;;) {
		size_t p = lx->pos;
		if (p >= lx->len)
			return false;
		r->indented = lx->buf[p] == ' ' || lx->buf[p] == '\t';
		while (p < lx->len &&
		       (lx->buf[p] == ' ' || lx->buf[p] == '\t' || lx->buf[p] == '\r'))
			p++;
		if (p < lx->len && lx->buf[p] == ';')
			while (p < lx->len && lx->buf[p] != '\n')
				p++;
		if (p < lx->len && lx->buf[p] != '\n') {
			lx->pos = p;
			return true;
		}
		if (p >= lx->len) {
			lx->pos = p;
			return false;
		}
		lx->pos = p + 1;
		lx->line++;
		lx->line_start = lx->pos;
		lx->long_reported = false;
	}
}

static void
lex_newline(struct zf_lex *lx)
{
	lx->pos++;
	lx->line++;
	lx->line_start = lx->pos;
	lx->long_reported = false;
}

/*
 * Reads the next logical record into r.  Returns false at the end of the
 * buffer.  A lexical problem is kept in r->err and the rest of the record is
 * still consumed, so that one mistake costs one error.
 */
bool
dns_zf_lex_record(struct zf_lex *lx, struct zf_rec *r)
{
	int depth = 0, open_line = 0;

	r->ntok = 0;
	r->tlen = 0;
	r->err = NULL;
	if (!lex_skip_empty(lx, r))
		return false;
	r->line = lx->line;
	while (lx->pos < lx->len) {
		char c = lx->buf[lx->pos];
		if (lx->pos - lx->line_start > ZF_LINE_MAX && !lx->long_reported) {
			rec_error(r, lx->line, "line longer than 8192 bytes");
			lx->long_reported = true;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			lx->pos++;
		} else if (c == ';') {
			while (lx->pos < lx->len && lx->buf[lx->pos] != '\n')
				lx->pos++;
		} else if (c == '\n') {
			lex_newline(lx);
			if (depth == 0)
				return true;
		} else if (c == '(') {
			if (depth > 0)
				rec_error(r, lx->line, "nested '('");
			else
				open_line = lx->line;
			depth = 1;
			lx->pos++;
		} else if (c == ')') {
			if (depth == 0)
				rec_error(r, lx->line, "')' without '('");
			depth = 0;
			lx->pos++;
		} else {
			lex_field(lx, r);
		}
	}
	if (depth > 0)
		rec_error(r, open_line, "'(' not closed before the end of the file");
	return true;
}
