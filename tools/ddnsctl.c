/*
 * ddnsctl.c - the admin CLI: one request to the daemon's control socket,
 * its reply as a table (or --json).  Exit 0 on success, 1 with a one-line
 * reason on stderr otherwise.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon/config.h"
#include "daemon/dd.h"
#include "workers/control.h"

#define DEFAULT_CONFIG "/etc/ddnsd/config.yaml"

struct cli {
	const char *socket;
	const char *config;
	bool json;
	int argc;
	char **argv;
};

typedef int (*cmd_fn)(struct cli *c);

struct cmd {
	const char *name;  /* "record set" */
	const char *usage;
	const char *help;
	cmd_fn fn;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ddnsctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* The socket path: -s, or control.socket of -c / $DDNSD_CONFIG / the default. */
static const char *
cli_socket(struct cli *c)
{
	static char path[4096];
	struct cfg_errors errs = {0};
	struct cfg *cfg = NULL;
	const char *conf = c->config ? c->config : getenv("DDNSD_CONFIG");

	if (c->socket)
		return c->socket;
	if (conf == NULL)
		conf = DEFAULT_CONFIG;
	if (cfg_load(conf, &cfg, &errs) < 0) {
		/* one problem: one line; several: each FILE:LINE, then the reason */
		if (errs.n == 1) {
			fprintf(stderr, "ddnsctl: %s\n", errs.msg[0]);
		} else if (errs.n > 1) {
			for (size_t i = 0; i < errs.n; i++)
				fprintf(stderr, "%s\n", errs.msg[i]);
			fprintf(stderr, "ddnsctl: %s: %zu problems (use -s SOCKET to reach the "
					"daemon anyway)\n",
				conf, errs.n);
		} else {
			fprintf(stderr, "ddnsctl: cannot read %s (use -s SOCKET or -c CONFIG)\n",
				conf);
		}
		cfg_errors_fini(&errs);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s", cfg->control_socket);
	cfg_free(cfg);
	cfg_errors_fini(&errs);
	return path;
}

/* Sends cmd with args (stolen); returns the result (new ref) or exits 1. */
static json_t *
call(struct cli *c, const char *cmd, json_t *args)
{
	char err[512];
	const char *path = cli_socket(c);
	json_t *req = json_pack("{s:i, s:s, s:o}", "v", CONTROL_VERSION, "cmd", cmd, "args",
				args ? args : json_object());
	json_t *rep = control_call(path, req, err, sizeof(err)), *res;

	json_decref(req);
	if (rep == NULL)
		die("%s", err);
	if (!json_is_true(json_object_get(rep, "ok"))) {
		json_t *errors = json_object_get(rep, "errors");
		const char *e = json_string_value(json_object_get(rep, "error"));
		size_t i;
		json_t *v;
		/* every FILE:LINE problem, in order, then the one-line reason */
		json_array_foreach(errors, i, v)
			fprintf(stderr, "%s\n", json_string_value(v));
		fprintf(stderr, "ddnsctl: %s\n", e ? e : "request failed");
		json_decref(rep);
		exit(1);
	}
	res = json_incref(json_object_get(rep, "result"));
	json_decref(rep);
	return res;
}

static void
print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "-";
}

static long long
jint(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void
need_args(struct cli *c, int min, int max, const char *usage)
{
	if (c->argc < min || (max >= 0 && c->argc > max))
		die("usage: ddnsctl %s", usage);
}

/* ------------------------------------------------------------ commands */

static int
cmd_status(struct cli *c)
{
	json_t *r, *v;
	size_t i;
	long long up;

	need_args(c, 0, 0, "status");
	r = call(c, "status", NULL);
	if (c->json) {
		print_json(r);
		json_decref(r);
		return 0;
	}
	up = jint(r, "uptime");
	printf("ddnsd %s, master pid %lld, up %lldd %02lld:%02lld:%02lld, %lld reloads, io %s\n",
	       jstr(r, "version"), jint(r, "master_pid"), up / 86400, up / 3600 % 24,
	       up / 60 % 60, up % 60, jint(r, "reloads"), jstr(r, "io"));
	printf("records %lld, names in the table %lld\n", jint(r, "records"), jint(r, "names"));
	{
		json_t *sb = json_object_get(r, "sandbox");
		printf("sandbox: seccomp %s, %lld processes stopped by it\n\n",
		       json_string_value(json_object_get(sb, "seccomp"))
			       ? json_string_value(json_object_get(sb, "seccomp"))
			       : "?",
		       (long long)json_integer_value(json_object_get(sb, "stops")));
	}
	printf("%-28s %12s %10s\n", "ZONE", "SERIAL", "RECORDS");
	json_array_foreach(json_object_get(r, "zones"), i, v)
		printf("%-28s %12lld %10lld\n", jstr(v, "name"), jint(v, "serial"),
		       jint(v, "records"));
	printf("\n%-6s %-5s %8s %9s %10s %6s  %s\n", "KIND", "ID", "PID", "RESTARTS", "QPS", "ALIVE",
	       "IO");
	json_array_foreach(json_object_get(r, "workers"), i, v) {
		json_t *id = json_object_get(v, "id");
		char ids[16] = "-";
		if (json_is_integer(id))
			snprintf(ids, sizeof(ids), "%lld", (long long)json_integer_value(id));
		printf("%-6s %-5s %8lld %9lld %10.0f %6s  %s\n", jstr(v, "kind"), ids,
		       jint(v, "pid"), jint(v, "restarts"),
		       json_real_value(json_object_get(v, "qps")),
		       json_is_true(json_object_get(v, "alive")) ? "yes" : "no",
		       json_string_value(json_object_get(v, "io")) ? jstr(v, "io") : "-");
	}
	json_decref(r);
	return 0;
}

static void
print_counts(const char *title, json_t *o)
{
	const char *k;
	json_t *v;

	printf("%s\n", title);
	json_object_foreach(o, k, v)
		printf("  %-12s %12lld\n", k, (long long)json_integer_value(v));
}

static int
cmd_stats(struct cli *c)
{
	json_t *r, *q;

	need_args(c, 0, 0, "stats");
	r = call(c, "stats", NULL);
	q = json_object_get(r, "queries");
	if (c->json) {
		print_json(r);
		json_decref(r);
		return 0;
	}
	printf("queries: udp %lld, tcp %lld, dropped %lld, truncated %lld, tcp refused %lld, "
	       "tcp evicted %lld\n",
	       jint(q, "udp"), jint(q, "tcp"), jint(q, "dropped"), jint(q, "truncated"),
	       jint(q, "tcp_refused"), jint(q, "tcp_evicted"));
	print_counts("by type:", json_object_get(q, "by_type"));
	print_counts("by rcode:", json_object_get(q, "by_rcode"));
	print_counts("updates:", json_object_get(r, "updates"));
	printf("update errors: %lld\nhttp requests: %lld\n", jint(r, "update_errors"),
	       jint(r, "http_requests"));
	json_decref(r);
	return 0;
}

static int
cmd_record_list(struct cli *c)
{
	json_t *args = json_object(), *r, *v;
	size_t i;

	need_args(c, 0, 1, "record list [ZONE]");
	if (c->argc == 1)
		json_object_set_new(args, "zone", json_string(c->argv[0]));
	r = call(c, "record.list", args);
	if (c->json) {
		print_json(r);
	} else {
		printf("%-40s %-6s %7s %s\n", "NAME", "TYPE", "TTL", "VALUE");
		json_array_foreach(json_object_get(r, "records"), i, v)
			printf("%-40s %-6s %7lld %s\n", jstr(v, "name"), jstr(v, "type"),
			       jint(v, "ttl"), jstr(v, "value"));
	}
	json_decref(r);
	return 0;
}

/* Pulls "--ttl N" out of the arguments. */
static long
take_ttl(struct cli *c)
{
	for (int i = 0; i < c->argc; i++) {
		char *end;
		long v;
		if (strcmp(c->argv[i], "--ttl") != 0)
			continue;
		if (i + 1 >= c->argc)
			die("%s", "--ttl needs a number");
		v = strtol(c->argv[i + 1], &end, 10);
		if (*end != '\0' || v < 1 || v > 604800)
			die("--ttl %s: give 1 to 604800 seconds", c->argv[i + 1]);
		memmove(&c->argv[i], &c->argv[i + 2], (size_t)(c->argc - i - 2) * sizeof(char *));
		c->argc -= 2;
		return v;
	}
	return -1;
}

static int
cmd_record_set(struct cli *c)
{
	long ttl = take_ttl(c);
	json_t *vals = json_array(), *args, *r;

	need_args(c, 3, -1, "record set NAME TYPE VALUE... [--ttl N]");
	for (int i = 2; i < c->argc; i++)
		json_array_append_new(vals, json_string(c->argv[i]));
	args = json_pack("{s:s, s:s, s:o}", "name", c->argv[0], "type", c->argv[1], "values",
			 vals);
	if (ttl > 0)
		json_object_set_new(args, "ttl", json_integer(ttl));
	r = call(c, "record.set", args);
	if (c->json)
		print_json(r);
	else
		printf("%s %s %s\n", jstr(r, "name"), jstr(r, "type"),
		       json_is_true(json_object_get(r, "updated")) ? "updated" : "unchanged");
	json_decref(r);
	return 0;
}

static int
cmd_record_del(struct cli *c)
{
	json_t *args, *r;

	need_args(c, 1, 2, "record del NAME [TYPE]");
	args = json_pack("{s:s}", "name", c->argv[0]);
	if (c->argc == 2)
		json_object_set_new(args, "type", json_string(c->argv[1]));
	r = call(c, "record.del", args);
	if (c->json)
		print_json(r);
	else
		printf("%s: %lld records deleted\n", jstr(r, "name"), jint(r, "deleted"));
	json_decref(r);
	return 0;
}

/* Commands that create a token print it alone on the last line. */
static void
print_token(struct cli *c, json_t *r, const char *what)
{
	if (c->json) {
		json_t *o = json_pack("{s:O}", "token", json_object_get(r, "token"));
		json_object_update_missing(o, r);
		print_json(o);
		json_decref(o);
		return;
	}
	printf("%s (the token is shown once):\n%s\n", what, jstr(r, "token"));
}

static int
cmd_user_add(struct cli *c)
{
	bool admin = false;
	json_t *r;
	char what[128];

	for (int i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--admin") == 0) {
			admin = true;
			memmove(&c->argv[i], &c->argv[i + 1],
				(size_t)(c->argc - i - 1) * sizeof(char *));
			c->argc--;
			break;
		}
	}
	need_args(c, 1, 1, "user add NAME [--admin]");
	r = call(c, "user.add", json_pack("{s:s, s:b}", "username", c->argv[0], "admin", admin));
	snprintf(what, sizeof(what), "user %s%s created", jstr(r, "username"),
		 admin ? " (admin)" : "");
	print_token(c, r, what);
	json_decref(r);
	return 0;
}

static int
cmd_user_list(struct cli *c)
{
	json_t *r, *v;
	size_t i;

	need_args(c, 0, 0, "user list");
	r = call(c, "user.list", NULL);
	if (c->json) {
		print_json(r);
	} else {
		printf("%-24s %-6s %6s %s\n", "USER", "ADMIN", "NAMES", "CREATED");
		json_array_foreach(json_object_get(r, "users"), i, v)
			printf("%-24s %-6s %6lld %s\n", jstr(v, "username"),
			       jint(v, "admin") ? "yes" : "no", jint(v, "names"), jstr(v, "created"));
	}
	json_decref(r);
	return 0;
}

static int
cmd_user_del(struct cli *c)
{
	json_t *r;

	need_args(c, 1, 1, "user del NAME");
	r = call(c, "user.del", json_pack("{s:s}", "username", c->argv[0]));
	if (c->json)
		print_json(r);
	else
		printf("user %s deleted (its tokens are revoked)\n", jstr(r, "deleted"));
	json_decref(r);
	return 0;
}

static int
cmd_token_create(struct cli *c)
{
	json_t *r;
	char what[320];

	if (c->argc != 2 || strcmp(c->argv[0], "--subdomain") != 0)
		die("%s", "usage: ddnsctl token create --subdomain NAME");
	r = call(c, "token.create", json_pack("{s:s}", "subdomain", c->argv[1]));
	snprintf(what, sizeof(what), "token %lld for %s", jint(r, "id"), jstr(r, "subdomain"));
	print_token(c, r, what);
	json_decref(r);
	return 0;
}

static int
cmd_token_list(struct cli *c)
{
	json_t *r, *v;
	size_t i;

	need_args(c, 0, 0, "token list");
	r = call(c, "token.list", NULL);
	if (c->json) {
		print_json(r);
	} else {
		printf("%-6s %-36s %-16s %-20s %s\n", "ID", "SUBDOMAIN", "USER", "CREATED",
		       "LAST USED");
		json_array_foreach(json_object_get(r, "tokens"), i, v)
			printf("%-6lld %-36s %-16s %-20s %s\n", jint(v, "id"),
			       json_is_string(json_object_get(v, "subdomain"))
				       ? jstr(v, "subdomain")
				       : "(all of the user's names)",
			       jstr(v, "username"), jstr(v, "created"), jstr(v, "last_used"));
	}
	json_decref(r);
	return 0;
}

static int
cmd_token_revoke(struct cli *c)
{
	char *end;
	long long id;
	json_t *r;

	need_args(c, 1, 1, "token revoke ID");
	id = strtoll(c->argv[0], &end, 10);
	if (*end != '\0' || id <= 0)
		die("token revoke %s: ids are positive integers (see token list)", c->argv[0]);
	r = call(c, "token.revoke", json_pack("{s:I}", "id", (json_int_t)id));
	if (c->json)
		print_json(r);
	else
		printf("token %lld revoked\n", jint(r, "revoked"));
	json_decref(r);
	return 0;
}

/* COMMAND ZONE whose reply is a text (a zone file, DNSKEY or DS lines): printed as it came. */
static int
cmd_zone_text(struct cli *c, const char *cmd, const char *usage)
{
	json_t *r;

	need_args(c, 1, 1, usage);
	r = call(c, cmd, json_pack("{s:s}", "zone", c->argv[0]));
	if (c->json)
		print_json(r);
	else
		fputs(jstr(r, "text"), stdout);
	json_decref(r);
	return 0;
}

static int
cmd_zone_export(struct cli *c)
{
	return cmd_zone_text(c, "zone.export", "zone export ZONE");
}

static int
cmd_dnssec_ds(struct cli *c)
{
	return cmd_zone_text(c, "dnssec.ds", "dnssec ds ZONE");
}

static int
cmd_dnssec_dnskey(struct cli *c)
{
	return cmd_zone_text(c, "dnssec.dnskey", "dnssec dnskey ZONE");
}

static int
cmd_dnssec_status(struct cli *c)
{
	json_t *r, *k;
	size_t i;

	need_args(c, 1, 1, "dnssec status ZONE");
	r = call(c, "dnssec.status", json_pack("{s:s}", "zone", c->argv[0]));
	if (c->json) {
		print_json(r);
		json_decref(r);
		return 0;
	}
	printf("zone %s: %s, %s (algorithm %lld), %s (iterations 0, no salt), RRSIGs valid "
	       "%lld s\n",
	       jstr(r, "zone"),
	       json_is_true(json_object_get(r, "signing"))
		       ? "being signed in the background (served unsigned until done)"
		       : "signed",
	       jstr(r, "algorithm"), jint(r, "algorithm_number"),
	       jstr(r, "denial"), jint(r, "signature_validity"));
	json_array_foreach(json_object_get(r, "keys"), i, k)
	{
		time_t since = (time_t)jint(k, "since");
		char when[32];
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", gmtime(&since));
		printf("  %s  tag %-5lld  algorithm %lld  %s since %s\n",
		       strcmp(jstr(k, "role"), "ksk") == 0 ? "KSK" : "ZSK", jint(k, "keytag"),
		       jint(k, "algorithm"), jstr(k, "state"), when);
	}
	printf("  RRSIGs: %lld (%lld due for re-signing), %s records: %lld\n",
	       jint(r, "signatures"), jint(r, "resign_pending"),
	       strcmp(jstr(r, "denial"), "nsec") == 0 ? "NSEC" : "NSEC3", jint(r, "denial_records"));
	json_decref(r);
	return 0;
}

static int
cmd_dnssec_rollover(struct cli *c)
{
	json_t *r;

	need_args(c, 2, 2, "dnssec rollover ZONE zsk|ksk");
	r = call(c, "dnssec.rollover",
		 json_pack("{s:s, s:s}", "zone", c->argv[0], "role", c->argv[1]));
	if (c->json)
		print_json(r);
	else if (strcmp(jstr(r, "role"), "zsk") == 0)
		printf("zone %s: new ZSK published; the daemon moves the rollover on "
		       "(ddnsctl dnssec status)\n",
		       jstr(r, "zone"));
	else
		printf("zone %s: new KSK made: add its DS to the parent zone now (ddnsctl dnssec "
		       "ds %s); the daemon switches keys after dnssec.parent_ds_ttl and the "
		       "propagation delay (ddnsctl dnssec status)\n",
		       jstr(r, "zone"), jstr(r, "zone"));
	json_decref(r);
	return 0;
}

/* Reads a whole file (or "-" for stdin); exits 1 with the reason. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		die("%s: cannot open", path);
	do {
		if (n == cap) {
			char *g = realloc(buf, cap = cap ? cap * 2 : 65536);
			if (g == NULL || cap > (64u << 20) + 65536)
				die("%s: too large (at most 64 MiB)", path);
			buf = g;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	if (ferror(f))
		die("%s: read error", path);
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

static int
cmd_zone_import(struct cli *c)
{
	size_t len;
	char *text;
	json_t *r;

	need_args(c, 2, 2, "zone import ZONE FILE");
	text = slurp(c->argv[1], &len);
	r = call(c, "zone.import", json_pack("{s:s, s:s%, s:s}", "zone", c->argv[0], "text", text,
					     len, "file", c->argv[1]));
	free(text);
	if (c->json)
		print_json(r);
	else
		printf("zone %s imported: %lld records replaced by %lld, serial %lld\n",
		       jstr(r, "zone"), jint(r, "removed"), jint(r, "added"), jint(r, "serial"));
	json_decref(r);
	return 0;
}

static int
cmd_pool_list(struct cli *c)
{
	json_t *r, *v;
	size_t i;

	need_args(c, 0, 0, "pool list");
	r = call(c, "pool.list", NULL);
	if (c->json) {
		print_json(r);
	} else {
		printf("%-36s %-12s %7s %5s %6s %s\n", "POOL", "POLICY", "ANSWERS", "TTL",
		       "DOWN", "MEMBERS");
		json_array_foreach(json_object_get(r, "pools"), i, v)
			printf("%-36s %-12s %7lld %5lld %6s %lld\n", jstr(v, "name"),
			       jstr(v, "policy"), jint(v, "answers"), jint(v, "ttl"),
			       jstr(v, "all_down"), jint(v, "members"));
	}
	json_decref(r);
	return 0;
}

static void
print_pool(json_t *p)
{
	json_t *v;
	size_t i;

	printf("%s: %s, %lld answer(s), ttl %lld, all down: %s, prefix match: %s\n",
	       jstr(p, "name"), jstr(p, "policy"), jint(p, "answers"), jint(p, "ttl"),
	       jstr(p, "allDown"), json_is_true(json_object_get(p, "prefixMatch")) ? "yes" : "no");
	printf("%-40s %6s %5s %s\n", "MEMBER", "WEIGHT", "UP", "LOAD");
	json_array_foreach(json_object_get(p, "members"), i, v) {
		json_t *load = json_object_get(v, "load");
		printf("%-40s %6lld %5s ", jstr(v, "ip"), jint(v, "weight"),
		       json_is_true(json_object_get(v, "up")) ? "yes" : "no");
		if (json_is_integer(load))
			printf("%lld\n", (long long)json_integer_value(load));
		else
			printf("-\n");
	}
}

static int
cmd_pool_show(struct cli *c)
{
	json_t *r;

	need_args(c, 1, 1, "pool show NAME");
	r = call(c, "pool.show", json_pack("{s:s}", "name", c->argv[0]));
	if (c->json)
		print_json(r);
	else
		print_pool(r);
	json_decref(r);
	return 0;
}

/* pool set NAME [--policy P] [--answers N] [--ttl N] [--all-down open|closed]
 * [--prefix-match] [--check tcp:PORT|http:PORT/PATH] [--interval S] [--timeout S]
 * [--rise N] [--fall N] IP[=WEIGHT]... */
static int
cmd_pool_set(struct cli *c)
{
	static const char *const usage_set =
		"pool set NAME [--policy P] [--answers N] [--ttl N] [--all-down open|closed] "
		"[--prefix-match] [--check tcp:PORT|http:PORT/PATH] [--interval S] [--timeout S] "
		"[--rise N] [--fall N] IP[=WEIGHT]...";
	json_t *pool = json_object(), *members = json_array(), *check = NULL, *r;

	need_args(c, 2, -1, usage_set);
	for (int i = 1; i < c->argc; i++) {
		const char *a = c->argv[i], *v = i + 1 < c->argc ? c->argv[i + 1] : NULL;
		char *end;
		if (strcmp(a, "--prefix-match") == 0) {
			json_object_set_new(pool, "prefixMatch", json_true());
			continue;
		}
		if (a[0] == '-' && a[1] == '-') {
			if (v == NULL)
				die("%s needs a value", a);
			i++;
			if (strcmp(a, "--policy") == 0)
				json_object_set_new(pool, "policy", json_string(v));
			else if (strcmp(a, "--all-down") == 0)
				json_object_set_new(pool, "allDown", json_string(v));
			else if (strcmp(a, "--answers") == 0 || strcmp(a, "--ttl") == 0) {
				long n = strtol(v, &end, 10);
				if (*end)
					die("%s %s: not a number", a, v);
				json_object_set_new(pool, a[2] == 'a' ? "answers" : "ttl",
						    json_integer(n));
			} else if (strcmp(a, "--check") == 0) {
				const char *colon = strchr(v, ':');
				long port;
				if (colon == NULL)
					die("--check %s: use tcp:PORT or http:PORT/PATH", v);
				port = strtol(colon + 1, &end, 10);
				if (check == NULL)
					check = json_object();
				json_object_set_new(check, "type",
						    json_stringn(v, (size_t)(colon - v)));
				json_object_set_new(check, "port", json_integer(port));
				if (*end == '/')
					json_object_set_new(check, "path", json_string(end));
				else if (*end)
					die("--check %s: use tcp:PORT or http:PORT/PATH", v);
			} else if (strcmp(a, "--interval") == 0 || strcmp(a, "--timeout") == 0 ||
				   strcmp(a, "--rise") == 0 || strcmp(a, "--fall") == 0) {
				double d = strtod(v, &end);
				if (*end)
					die("%s %s: not a number", a, v);
				if (check == NULL)
					check = json_object();
				json_object_set_new(check, a + 2,
						    a[2] == 'r' || a[2] == 'f' ? json_integer((long)d)
									       : json_real(d));
			} else {
				die("unknown option %s (see ddnsctl pool set --help)", a);
			}
			continue;
		}
		{
			const char *eq = strchr(a, '=');
			json_t *m = json_pack("{s:s%}", "ip", a, eq ? (size_t)(eq - a) : strlen(a));
			if (eq) {
				long w = strtol(eq + 1, &end, 10);
				if (*end || w < 1)
					die("%s: the weight must be a positive integer", a);
				json_object_set_new(m, "weight", json_integer(w));
			}
			json_array_append_new(members, m);
		}
	}
	json_object_set_new(pool, "members", members);
	if (check)
		json_object_set_new(pool, "check", check);
	r = call(c, "pool.set", json_pack("{s:s, s:o}", "name", c->argv[0], "pool", pool));
	if (c->json) {
		print_json(r);
	} else {
		print_pool(json_object_get(r, "pool"));
		printf("%s\n", json_is_true(json_object_get(r, "updated")) ? "updated" : "unchanged");
	}
	json_decref(r);
	return 0;
}

static int
cmd_pool_del(struct cli *c)
{
	json_t *r;

	need_args(c, 1, 1, "pool del NAME");
	r = call(c, "pool.del", json_pack("{s:s}", "name", c->argv[0]));
	if (c->json)
		print_json(r);
	else
		printf("pool %s deleted\n", jstr(r, "deleted"));
	json_decref(r);
	return 0;
}

/* backup list: the scheduled backups, newest first. */
static int
cmd_backup_list(struct cli *c)
{
	json_t *r = call(c, "backup.list", NULL), *b;
	size_t i;

	if (c->json) {
		print_json(r);
		json_decref(r);
		return 0;
	}
	printf("%s (keep %lld%s%s%s)\n", jstr(r, "dir"), jint(r, "keep"),
	       json_is_true(json_object_get(r, "scheduled")) ? ", scheduled" : ", not scheduled",
	       json_string_value(json_object_get(r, "s3")) ? ", S3 " : "",
	       json_string_value(json_object_get(r, "s3")) ? jstr(r, "s3") : "");
	if (json_array_size(json_object_get(r, "backups")) == 0)
		printf("no backups yet\n");
	else
		printf("%-34s %12s  %s\n", "NAME", "BYTES", "TIME");
	json_array_foreach(json_object_get(r, "backups"), i, b)
		printf("%-34s %12lld  %s\n", jstr(b, "name"), jint(b, "bytes"), jstr(b, "time"));
	json_decref(r);
	return 0;
}

static int
cmd_backup(struct cli *c)
{
	char abs[4096];
	json_t *r;

	if (c->argc == 1 && strcmp(c->argv[0], "list") == 0)
		return cmd_backup_list(c);
	need_args(c, 1, 1, "backup PATH | backup list");
	if (c->argv[0][0] == '/') {
		snprintf(abs, sizeof(abs), "%s", c->argv[0]);
	} else {
		char cwd[2048];
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			die("%s", "cannot resolve the current directory");
		snprintf(abs, sizeof(abs), "%s/%s", cwd, c->argv[0]);
	}
	r = call(c, "backup", json_pack("{s:s}", "path", abs));
	if (c->json)
		print_json(r);
	else
		printf("backup written to %s (%lld records)\n", jstr(r, "path"), jint(r, "records"));
	json_decref(r);
	return 0;
}

static int
cmd_reload(struct cli *c)
{
	json_t *r, *v;
	size_t i;

	need_args(c, 0, 0, "reload");
	r = call(c, "reload", NULL);
	if (c->json) {
		print_json(r);
	} else {
		printf("reloading:\n");
		json_array_foreach(json_object_get(r, "changes"), i, v)
			printf("  %s\n", json_string_value(v));
	}
	json_decref(r);
	return 0;
}

static const struct cmd cmds[] = {
	{"status", "status", "version, uptime, zones, workers (pid, restarts, qps)", cmd_status},
	{"stats", "stats", "counters: queries by type and rcode, updates by source, errors",
	 cmd_stats},
	{"record list", "record list [ZONE]", "every record, or a zone's", cmd_record_list},
	{"record set", "record set NAME TYPE VALUE... [--ttl N]",
	 "replace NAME's TYPE records (A, AAAA, TXT, CNAME) with the values", cmd_record_set},
	{"record del", "record del NAME [TYPE]", "delete NAME's records (of TYPE)",
	 cmd_record_del},
	{"user add", "user add NAME [--admin]", "create a user; prints its API token last",
	 cmd_user_add},
	{"user list", "user list", "users, admin flag, names owned", cmd_user_list},
	{"user del", "user del NAME", "delete a user and its tokens", cmd_user_del},
	{"token create", "token create --subdomain NAME",
	 "a token for NAME and its _acme-challenge child; prints it last", cmd_token_create},
	{"token list", "token list", "tokens (never their values)", cmd_token_list},
	{"token revoke", "token revoke ID", "revoke a token", cmd_token_revoke},
	{"zone export", "zone export ZONE", "RFC 1035 master file on stdout", cmd_zone_export},
	{"zone import", "zone import ZONE FILE",
	 "replace the zone's records with FILE's, all or nothing", cmd_zone_import},
	{"dnssec status", "dnssec status ZONE", "a signed zone's keys (tags, states) and RRSIGs",
	 cmd_dnssec_status},
	{"dnssec ds", "dnssec ds ZONE", "the DS records for the parent zone (SHA-256)",
	 cmd_dnssec_ds},
	{"dnssec dnskey", "dnssec dnskey ZONE", "the DNSKEY RRset, usable as a trust anchor",
	 cmd_dnssec_dnskey},
	{"dnssec rollover", "dnssec rollover ZONE zsk|ksk",
	 "start a rollover (RFC 7583: ZSK by pre-publication, KSK by double-DS); the daemon "
	 "finishes it",
	 cmd_dnssec_rollover},
	{"pool list", "pool list", "load-balanced names", cmd_pool_list},
	{"pool show", "pool show NAME", "a pool, its members' health and load", cmd_pool_show},
	{"pool set", "pool set NAME [OPTIONS] IP[=WEIGHT]...",
	 "create or replace a pool (--policy, --answers, --ttl, --all-down, --prefix-match, "
	 "--check tcp:PORT|http:PORT/PATH, --interval, --timeout, --rise, --fall)",
	 cmd_pool_set},
	{"pool del", "pool del NAME", "delete a pool", cmd_pool_del},
	{"backup", "backup PATH | backup list",
	 "consistent online copy of the database; list the scheduled backups", cmd_backup},
	{"reload", "reload", "re-read config and records (as SIGHUP)", cmd_reload},
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: ddnsctl [-s SOCKET | -c CONFIG] [--json] COMMAND ...\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-42s %s\n", cmds[i].usage, cmds[i].help);
	fprintf(f, "\nThe socket is -s, or control.socket of -c CONFIG, $DDNSD_CONFIG or %s.\n"
		   "`ddnsctl COMMAND --help` describes one command.\n",
		DEFAULT_CONFIG);
}

/*
 * "record --help" (or a group word with a wrong or missing subcommand): lists
 * the group's commands.  Returns false when word is no group.
 */
static bool
group_usage(const char *word, const char *next)
{
	size_t wl = strlen(word);
	bool any = false, help = next && (strcmp(next, "--help") == 0 || strcmp(next, "-h") == 0);
	FILE *f = help ? stdout : stderr;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strncmp(cmds[i].name, word, wl) != 0 || cmds[i].name[wl] != ' ')
			continue;
		if (!help) {
			fprintf(f, "ddnsctl: %s %s: unknown subcommand (see ddnsctl %s --help)\n",
				word, next ? next : "(missing)", word);
			return true;
		}
		if (!any)
			fprintf(f, "usage:\n");
		any = true;
		fprintf(f, "  ddnsctl %-40s %s\n", cmds[i].usage, cmds[i].help);
	}
	return any;
}

/* Finds the command whose words start argv; returns words consumed. */
static const struct cmd *
find_cmd(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char *sp = strchr(cmds[i].name, ' ');
		if (sp == NULL && argc >= 1 && strcmp(argv[0], cmds[i].name) == 0) {
			*used = 1;
			return &cmds[i];
		}
		if (sp != NULL && argc >= 2 && strncmp(argv[0], cmds[i].name, (size_t)(sp - cmds[i].name)) == 0 &&
		    argv[0][sp - cmds[i].name] == '\0' && strcmp(argv[1], sp + 1) == 0) {
			*used = 2;
			return &cmds[i];
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct cli c = {0};

	/* a daemon that refuses us closes early: read its reason, do not die */
	signal(SIGPIPE, SIG_IGN);
	const struct cmd *cmd;
	int i = 1, used;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			c.socket = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			c.config = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			c.json = true;
		else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
			printf("ddnsctl %s\n", DD_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if ((strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "-c") == 0) &&
			   i + 1 >= argc) {
			fprintf(stderr, "ddnsctl: %s needs a path (see ddnsctl --help)\n", argv[i]);
			return 1;
		} else {
			fprintf(stderr, "ddnsctl: unknown option %s (see ddnsctl --help)\n",
				argv[i]);
			return 1;
		}
	}
	cmd = find_cmd(argc - i, argv + i, &used);
	if (cmd == NULL && i < argc && group_usage(argv[i], i + 1 < argc ? argv[i + 1] : NULL))
		return i + 1 < argc && (strcmp(argv[i + 1], "--help") == 0 ||
					strcmp(argv[i + 1], "-h") == 0)
			       ? 0
			       : 1;
	if (cmd == NULL) {
		if (i < argc)
			fprintf(stderr, "ddnsctl: unknown command '%s' (see ddnsctl --help)\n",
				argv[i]);
		else
			fprintf(stderr, "ddnsctl: no command (see ddnsctl --help)\n");
		return 1;
	}
	c.argc = argc - i - used;
	c.argv = argv + i + used;
	/* --json and --help may also follow the command */
	for (int k = 0; k < c.argc; k++) {
		if (strcmp(c.argv[k], "--help") == 0 || strcmp(c.argv[k], "-h") == 0) {
			printf("usage: ddnsctl [-s SOCKET | -c CONFIG] [--json] %s\n  %s\n",
			       cmd->usage, cmd->help);
			return 0;
		}
		if (strcmp(c.argv[k], "--json") == 0) {
			c.json = true;
			memmove(&c.argv[k], &c.argv[k + 1], (size_t)(c.argc - k - 1) * sizeof(char *));
			c.argc--;
			k--;
		}
	}
	/* find the socket (reading the config) before any command allocates */
	c.socket = cli_socket(&c);
	return cmd->fn(&c);
}
