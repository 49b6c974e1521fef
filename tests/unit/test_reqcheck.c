/* test_reqcheck.c - strict framing and request-target checks (http/reqcheck.c). */
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "http/reqcheck.h"
#include "tests/unit/tap.h"

/* headers from "Key: value" pairs, NULL-terminated */
static void
headers_of(struct evkeyvalq *h, const char *const *kv)
{
	TAILQ_INIT(h);
	for (; kv[0] != NULL; kv += 2)
		evhttp_add_header(h, kv[0], kv[1]);
}

static void
framing_is(const char *const *kv, const char *want, const char *desc)
{
	struct evkeyvalq h;
	const char *got;

	headers_of(&h, kv);
	got = reqcheck_framing(&h);
	if (want == NULL)
		ok(got == NULL, "%s: passes (%s)", desc, got ? got : "NULL");
	else
		ok(got != NULL && strcmp(got, want) == 0, "%s: \"%s\"", desc, got ? got : "NULL");
	evhttp_clear_headers(&h);
}

static void
test_framing(void)
{
	framing_is((const char *const[]){"Host", "x", NULL}, NULL, "no body headers");
	framing_is((const char *const[]){"Content-Length", "12", NULL}, NULL, "one Content-Length");
	framing_is((const char *const[]){"Content-Length", "0", NULL}, NULL, "Content-Length 0");
	framing_is((const char *const[]){"Transfer-Encoding", "chunked", NULL}, NULL, "chunked");
	framing_is((const char *const[]){"transfer-encoding", "Chunked", NULL}, NULL,
	           "chunked, any letter case");
	framing_is((const char *const[]){"Content-Length", "5", "Content-Length", "90", NULL},
	           "more than one Content-Length header", "two Content-Length that differ");
	framing_is((const char *const[]){"Content-Length", "5", "content-length", "5", NULL},
	           "more than one Content-Length header", "two equal Content-Length");
	framing_is((const char *const[]){"Content-Length", "5, 90", NULL},
	           "Content-Length is not a number", "a list in Content-Length");
	framing_is((const char *const[]){"Content-Length", "+5", NULL},
	           "Content-Length is not a number", "a sign in Content-Length");
	framing_is((const char *const[]){"Content-Length", "", NULL},
	           "Content-Length is not a number", "an empty Content-Length");
	framing_is(
	        (const char *const[]){"Content-Length", "5", "Transfer-Encoding", "chunked", NULL},
	        "both Content-Length and Transfer-Encoding", "Content-Length then chunked");
	framing_is(
	        (const char *const[]){"Transfer-Encoding", "chunked", "Content-Length", "5", NULL},
	        "both Content-Length and Transfer-Encoding", "chunked then Content-Length");
	framing_is((const char *const[]){"Transfer-Encoding", "chunked", "Transfer-Encoding",
	                                 "chunked", NULL},
	           "more than one Transfer-Encoding header", "two Transfer-Encoding");
	framing_is((const char *const[]){"Transfer-Encoding", "gzip, chunked", NULL},
	           "Transfer-Encoding other than chunked", "gzip, chunked");
	framing_is((const char *const[]){"Transfer-Encoding", "identity", NULL},
	           "Transfer-Encoding other than chunked", "identity");
}

static void
test_percent(void)
{
	static const char *const good[] = {"/",
	                                   "/records/corp.bobhome",
	                                   "/users/b%6Fb",
	                                   "/a%2Fb%2fc",
	                                   "a=1&b=%41%42",
	                                   "%e2%82%ac",
	                                   "",
	                                   NULL};
	static const char *const bad[] = {"/records/%zz", "/x%4",  "/x%",     "%",
	                                  "%%41",         "a=%g1", "/x%4g/y", NULL};

	for (const char *const *p = good; *p; p++)
		ok(reqcheck_percent(*p) == NULL, "percent-encoding \"%s\" passes", *p);
	for (const char *const *p = bad; *p; p++) {
		const char *why = reqcheck_percent(*p);
		ok(why != NULL && strcmp(why, "invalid percent-encoding") == 0,
		   "percent-encoding \"%s\" is refused", *p);
	}
}

static void
test_printable(void)
{
	static const char *const good[] = {
	        "/records/corp.bobhome", "/users/b%6Fb", "a=%20b", "%e2%82%ac",
	        "/caf\xc3\xa9",          "%7e",          NULL};
	static const char *const encoded[] = {"/records/corp%00.bobhome",
	                                      "/users/bob%00xyz",
	                                      "a=%0d%0aSet-Cookie:x",
	                                      "%1f",
	                                      "%7F",
	                                      "%7f",
	                                      "%09",
	                                      NULL};
	static const char *const raw[] = {"/a\tb", "/a\rb", "a=b\x01", "/\x7f", NULL};

	for (const char *const *p = good; *p; p++)
		ok(reqcheck_printable(*p) == NULL, "\"%s\" has no control character", *p);
	for (const char *const *p = encoded; *p; p++) {
		const char *why = reqcheck_printable(*p);
		ok(why != NULL && strcmp(why, "encoded control character") == 0,
		   "\"%s\": an encoded control character is refused", *p);
	}
	for (const char *const *p = raw; *p; p++) {
		const char *why = reqcheck_printable(*p);
		ok(why != NULL && strcmp(why, "control character") == 0,
		   "raw control character %zu is refused", (size_t)(p - raw));
	}
	ok(reqcheck_printable("/x%zz") == NULL, "an invalid sequence is left to reqcheck_percent");
}

int
main(void)
{
	test_framing();
	test_percent();
	test_printable();
	return tap_done();
}
