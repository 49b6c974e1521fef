/*
 * config.c - config.yaml loader.
 *
 * libyaml builds the document tree; one schema table (config_schema.c) says which keys
 * exist, their type, range, default and where the value lands.  The walker
 * checks every key of the document against the table, converts each value and
 * records every problem as "FILE:LINE: reason", then the cross-checks (config_check.c: zone
 * duplicates, key references, backup rules) run on the filled struct.  Lines
 * for those come from the document again, so no line bookkeeping leaks into
 * struct cfg.
 */
#include "daemon/config.h"
#include "daemon/config_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <yaml.h>

#include "daemon/config_value.h"
#include "daemon/dd.h"



/* ------------------------------------------------------------------ errors */


void
cfg_err(struct ctx *x, int line, const char *fmt, ...)
{
	char reason[512];
	char **msg;
	int *lines;
	size_t len;
	va_list ap;

	if (x->errs->n >= CFG_MAX_ERRORS) {
		x->too_many = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	msg = realloc(x->errs->msg, (x->errs->n + 1) * sizeof(*msg));
	if (msg == NULL) {
		x->nomem = true;
		return;
	}
	x->errs->msg = msg;
	lines = realloc(x->lines, (x->errs->n + 1) * sizeof(*lines));
	if (lines == NULL) {
		x->nomem = true;
		return;
	}
	x->lines = lines;
	len = strlen(x->file) + strlen(reason) + 16;
	msg[x->errs->n] = malloc(len);
	if (msg[x->errs->n] == NULL) {
		x->nomem = true;
		return;
	}
	if (line > 0)
		snprintf(msg[x->errs->n], len, "%s:%d: %s", x->file, line, reason);
	else
		snprintf(msg[x->errs->n], len, "%s: %s", x->file, reason);
	lines[x->errs->n] = line;
	x->errs->n++;
}

/* Stable sort by line: the walk reports in document order, the cross-checks
 * afterwards; the reader wants them in file order. */
static void
errs_sort(struct ctx *x)
{
	size_t i, j;

	for (i = 1; i < x->errs->n; i++) {
		char *m = x->errs->msg[i];
		int l = x->lines[i];
		for (j = i; j > 0 && x->lines[j - 1] > l; j--) {
			x->errs->msg[j] = x->errs->msg[j - 1];
			x->lines[j] = x->lines[j - 1];
		}
		x->errs->msg[j] = m;
		x->lines[j] = l;
	}
}

char *
cfg_xstrdup(struct ctx *x, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		x->nomem = true;
	return d;
}

/* ------------------------------------------------------------ schema helpers */

static const struct cfg_item *
item_find(const char *path)
{
	size_t i;

	for (i = 0; i < cfg_nschema; i++)
		if (strcmp(cfg_schema[i].path, path) == 0)
			return &cfg_schema[i];
	return NULL;
}

/* True when path's values live in the struct owned by owner ("" = struct cfg,
 * "zones[]" = struct cfg_zone). */
static bool
owned_by(const char *path, const char *owner)
{
	size_t n = strlen(owner);

	if (n > 0) {
		if (strncmp(path, owner, n) != 0 || path[n] != '.')
			return false;
		path += n + 1;
	}
	return strstr(path, "[]") == NULL;
}

/* True when path is a direct child of prefix sp. */
static bool
child_of(const char *path, const char *sp)
{
	size_t n = strlen(sp);

	if (n > 0) {
		if (strncmp(path, sp, n) != 0 || path[n] != '.')
			return false;
		path += n + 1;
	}
	return strchr(path, '.') == NULL;
}

static void *
field(void *base, const struct cfg_item *it)
{
	return (char *)base + it->off;
}

static size_t *
count_field(void *base, const struct cfg_item *it)
{
	return (size_t *)(void *)((char *)base + it->cnt_off);
}

static void
put_uint(void *f, size_t size, uint64_t v)
{
	switch (size) {
	case 1: {
		uint8_t u = (uint8_t)v;
		memcpy(f, &u, 1);
		break;
	}
	case 2: {
		uint16_t u = (uint16_t)v;
		memcpy(f, &u, 2);
		break;
	}
	case 4: {
		uint32_t u = (uint32_t)v;
		memcpy(f, &u, 4);
		break;
	}
	default:
		memcpy(f, &v, 8);
		break;
	}
}

static const char *
type_name(enum cfg_type t)
{
	switch (t) {
	case CT_MAP:
		return "a mapping";
	case CT_MAPS:
		return "a list of mappings";
	case CT_STRS:
		return "a list";
	case CT_INT:
		return "an integer";
	case CT_BOOL:
		return "true or false";
	case CT_DURATION:
		return "a duration";
	case CT_SIZE:
		return "a size";
	case CT_STR:
	default:
		return "a string";
	}
}

static const char *
node_kind(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE    ? "a mapping"
	       : n->type == YAML_SEQUENCE_NODE ? "a list"
	                                       : "a scalar";
}

/* -------------------------------------------------------- document helpers */

int
cfg_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

yaml_node_t *
cfg_node(struct ctx *x, int id)
{
	return yaml_document_get_node(&x->doc, id);
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain empty, "~" or "null" value counts as absent. */
static bool
is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = scalar(n);
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* Value of key in mapping map, or NULL (also for a null value). */
yaml_node_t *
cfg_map_get(struct ctx *x, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cfg_node(x, p->key), *v = cfg_node(x, p->value);
		if (k && v && k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
			return is_null(v) ? NULL : v;
	}
	return NULL;
}

int
cfg_line_of(struct ctx *x, const char *fmt, ...)
{
	char path[CFG_PATH_MAX], *tok, *save = NULL;
	yaml_node_t *n = x->root;
	int l = n ? cfg_line(n) : 1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	for (tok = strtok_r(path, ".", &save); tok && n; tok = strtok_r(NULL, ".", &save)) {
		char *br = strchr(tok, '[');
		long idx = -1;
		if (br) {
			*br = '\0';
			idx = strtol(br + 1, NULL, 10);
		}
		n = cfg_map_get(x, n, tok);
		if (n && idx >= 0) {
			if (n->type != YAML_SEQUENCE_NODE ||
			    idx >= n->data.sequence.items.top - n->data.sequence.items.start)
				break;
			n = cfg_node(x, n->data.sequence.items.start[idx]);
		}
		if (n)
			l = cfg_line(n);
	}
	return l;
}

/* Marks a collection node visited; a second visit means a YAML alias, which
 * would let a small file expand into a huge walk. */
static bool
first_visit(struct ctx *x, yaml_node_t *n, const char *dk)
{
	size_t i = (size_t)(n - x->doc.nodes.start);

	if (i < x->nnodes && x->seen[i]) {
		cfg_err(x, x->key_line, "'%s': aliases of mappings or lists are not supported", dk);
		return false;
	}
	if (i < x->nnodes)
		x->seen[i] = 1;
	return true;
}

/* ---------------------------------------------------------- value storage */

/* Converts a string-like value; *out is malloc'd (NULL for an accepted empty
 * value with F_EMPTY_NULL).  Reports and returns -1 when invalid. */
static int
str_conv(struct ctx *x, const struct cfg_item *it, const char *s, int l, const char *dk, char **out)
{
	char buf[CFG_PATH_MAX + 64];
	const char *why = NULL;
	size_t i;

	*out = NULL;
	if (*s == '\0') {
		if (it->flags & F_EMPTY_NULL)
			return 0;
		if (!(it->flags & F_EMPTY_OK)) {
			cfg_err(x, l, "'%s' must not be empty", dk);
			return -1;
		}
	}
	switch (it->check) {
	case CK_DNAME:
		if ((why = cfg_value_dname(s, buf)) != NULL) {
			cfg_err(x, l, "'%s': '%.100s' is not a valid domain name: %s", dk, s, why);
			return -1;
		}
		s = buf;
		break;
	case CK_NET:
		if ((why = cfg_value_net(s)) != NULL) {
			cfg_err(x, l, "'%s': '%.100s': %s", dk, s, why);
			return -1;
		}
		break;
	case CK_PEER: {
		struct sockaddr_storage ss;
		socklen_t sl;
		if ((why = cfg_value_addr(s, 53, &ss, &sl)) != NULL) {
			cfg_err(x, l, "'%s': '%.100s': %s", dk, s, why);
			return -1;
		}
		cfg_value_addr_format(&ss, buf, sizeof(buf));
		s = buf;
		break;
	}
	case CK_PATH:
		if (s[0] != '/') {
			size_t need = strlen(x->c->dir) + strlen(s) + 2;
			if ((*out = malloc(need)) == NULL) {
				x->nomem = true;
				return -1;
			}
			snprintf(*out, need, "%s/%s", x->c->dir, s);
			return 0;
		}
		break;
	case CK_URL:
		if ((strncasecmp(s, "http://", 7) != 0 || s[7] == '\0') &&
		    (strncasecmp(s, "https://", 8) != 0 || s[8] == '\0')) {
			cfg_err(x, l, "'%s': '%.100s' must be an http:// or https:// URL", dk, s);
			return -1;
		}
		break;
	case CK_ENUM: {
		char list[128] = "";
		for (i = 0; it->choices[i]; i++)
			if (strcmp(s, it->choices[i]) == 0)
				break;
		if (it->choices[i] != NULL)
			break;
		for (i = 0; it->choices[i]; i++) {
			if (i > 0)
				strncat(list, ", ", sizeof(list) - strlen(list) - 1);
			strncat(list, it->choices[i], sizeof(list) - strlen(list) - 1);
		}
		cfg_err(x, l, "'%s': '%.100s' is not one of %s", dk, s, list);
		return -1;
	}
	case CK_CRON:
		if ((why = cfg_value_cron(s)) != NULL) {
			cfg_err(x, l, "'%s': '%.100s': %s", dk, s, why);
			return -1;
		}
		break;
	default:
		break;
	}
	*out = cfg_xstrdup(x, s);
	return *out ? 0 : -1;
}

static void
store_scalar(struct ctx *x, const struct cfg_item *it, const char *s, int l, const char *dk,
             void *base)
{
	void *f = field(base, it);
	const char *why = NULL;
	int64_t v = 0;

	switch (it->type) {
	case CT_INT:
		why = cfg_value_int(s, &v);
		break;
	case CT_DURATION:
		why = cfg_value_duration(s, &v);
		break;
	case CT_SIZE:
		why = cfg_value_size(s, &v);
		break;
	case CT_BOOL:
		if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on"))
			*(bool *)f = true;
		else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off"))
			*(bool *)f = false;
		else
			cfg_err(x, l, "'%s' must be true or false, not '%.100s'", dk, s);
		return;
	default:
		break;
	}
	if (it->type == CT_INT || it->type == CT_DURATION || it->type == CT_SIZE) {
		if (why && strcmp(why, "integer out of range") == 0)
			cfg_err(x, l, "'%s': %.100s is out of range", dk, s);
		else if (why)
			cfg_err(x, l, "'%s' must be %s, not '%.100s'", dk, type_name(it->type), s);
		else if (v < it->min || v > it->max)
			cfg_err(x, l, "'%s' must be between %lld and %lld, not %.100s", dk,
			    (long long)it->min, (long long)it->max, s);
		else
			put_uint(f, it->size, (uint64_t)v);
		return;
	}
	if (it->check == CK_ADDR) {
		struct cfg_addr *a = f;
		struct cfg_addr tmp;
		if (strlen(s) >= sizeof(tmp.text))
			why = "too long";
		else
			why = cfg_value_addr(s, 0, &tmp.ss, &tmp.sslen);
		if (why) {
			cfg_err(x, l, "'%s': '%.100s': %s", dk, s, why);
			return;
		}
		snprintf(tmp.text, sizeof(tmp.text), "%s", s);
		*a = tmp;
		return;
	}
	if (it->check == CK_BASE64) {
		size_t len = 0;
		if (*s == '\0' ||
		    sodium_base642bin(f, it->size, s, strlen(s), " \t\r\n", &len, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    len == 0) {
			cfg_err(x, l, "'%s' must be non-empty base64 of at most %zu bytes", dk,
			    it->size);
			return;
		}
		*count_field(base, it) = len;
		return;
	}
	{
		char *n;
		if (str_conv(x, it, s, l, dk, &n) == 0) {
			free(*(char **)f);
			*(char **)f = n;
		}
	}
}

/* Applies the defaults of every scalar owned by owner to base. */
static void
apply_defaults(struct ctx *x, const char *owner, void *base)
{
	size_t i;

	for (i = 0; i < cfg_nschema; i++) {
		const struct cfg_item *it = &cfg_schema[i];
		if (it->def == NULL || !owned_by(it->path, owner))
			continue;
		if (it->type == CT_STRS) {
			/* one-element list: only dns.listen has such a default */
			struct cfg_addr *a = calloc(1, sizeof(*a));
			if (a == NULL) {
				x->nomem = true;
				continue;
			}
			*(struct cfg_addr **)field(base, it) = a;
			*count_field(base, it) = 1;
			if (cfg_value_addr(it->def, 0, &a->ss, &a->sslen) != NULL)
				cfg_err(x, 0, "bad built-in default for '%s'", it->path);
			snprintf(a->text, sizeof(a->text), "%s", it->def);
			continue;
		}
		store_scalar(x, it, it->def, 0, it->path, base);
	}
}

static void free_owned(const char *owner, void *base);

static void
free_strs(const struct cfg_item *it, void *base)
{
	size_t i, n = *count_field(base, it);

	if (it->check != CK_ADDR) {
		char **v = *(char ***)field(base, it);
		for (i = 0; v && i < n; i++)
			free(v[i]);
	}
	free(*(void **)field(base, it));
	*(void **)field(base, it) = NULL;
	*count_field(base, it) = 0;
}

/* List of strings (or one string standing for a one-element list). */
static void
store_strs(struct ctx *x, const struct cfg_item *it, yaml_node_t *v, const char *dk, void *base)
{
	yaml_node_item_t *ids = NULL;
	size_t n = 1, i, j, got = 0;
	char **strs = NULL, key[CFG_PATH_MAX + 32];
	struct cfg_addr *addrs = NULL;
	int *lines = NULL;
	char(*norm)[80] = NULL;

	if (v->type == YAML_SEQUENCE_NODE) {
		if (!first_visit(x, v, dk))
			return;
		ids = v->data.sequence.items.start;
		n = (size_t)(v->data.sequence.items.top - ids);
	} else if (v->type != YAML_SCALAR_NODE) {
		cfg_err(x, cfg_line(v), "'%s' must be a list, not %s", dk, node_kind(v));
		return;
	}
	if ((int64_t)n < it->min || (int64_t)n > it->max) {
		cfg_err(x, cfg_line(v), "'%s' needs %lld to %lld entries, not %zu", dk, (long long)it->min,
		    (long long)it->max, n);
		return;
	}
	free_strs(it, base);
	if (n == 0)
		return;
	if (it->check == CK_ADDR)
		addrs = calloc(n, sizeof(*addrs));
	else
		strs = calloc(n, sizeof(*strs));
	lines = calloc(n, sizeof(*lines));
	norm = calloc(n, sizeof(*norm));
	if ((addrs == NULL && strs == NULL) || lines == NULL || norm == NULL) {
		x->nomem = true;
		free(addrs);
		free(strs);
		free(lines);
		free(norm);
		return;
	}
	*(void **)field(base, it) = addrs ? (void *)addrs : (void *)strs;
	for (i = 0; i < n; i++) {
		yaml_node_t *e = ids ? cfg_node(x, ids[i]) : v;
		struct cfg_item one = *it;
		if (e == NULL)
			continue;
		if (ids)
			snprintf(key, sizeof(key), "%.200s[%zu]", dk, i);
		else
			snprintf(key, sizeof(key), "%s", dk);
		if (e->type != YAML_SCALAR_NODE) {
			cfg_err(x, cfg_line(e), "'%s' must be a string, not %s", key, node_kind(e));
			continue;
		}
		one.type = CT_STR;
		if (addrs) {
			one.off = 0;
			store_scalar(x, &one, scalar(e), cfg_line(e), key, &addrs[got]);
			if (addrs[got].sslen == 0)
				continue;
			cfg_value_addr_format(&addrs[got].ss, norm[got], sizeof(norm[got]));
		} else {
			if (str_conv(x, &one, scalar(e), cfg_line(e), key, &strs[got]) != 0 ||
			    strs[got] == NULL)
				continue;
			snprintf(norm[got], sizeof(norm[got]), "%s", strs[got]);
		}
		lines[got] = cfg_line(e);
		for (j = 0; j < got; j++)
			if (strcmp(norm[j], norm[got]) == 0)
				break;
		if (j < got) {
			cfg_err(x, cfg_line(e), "'%s': '%.100s' is listed twice (also at line %d)", key,
			    norm[got], lines[j]);
			if (strs)
				free(strs[got]);
			else
				memset(&addrs[got], 0, sizeof(addrs[got]));
			continue;
		}
		got++;
		*count_field(base, it) = got;
	}
	free(lines);
	free(norm);
}

static void walk_map(struct ctx *x, yaml_node_t *map, const char *sp, const char *dp, void *base);

static void
store_maps(struct ctx *x, const struct cfg_item *it, yaml_node_t *v, const char *dk, void *base)
{
	char sp[CFG_PATH_MAX], dp[CFG_PATH_MAX + 32];
	size_t n, i;
	char *arr;

	if (v->type != YAML_SEQUENCE_NODE) {
		cfg_err(x, cfg_line(v), "'%s' must be a list of mappings, not %s", dk, node_kind(v));
		return;
	}
	if (!first_visit(x, v, dk))
		return;
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if ((int64_t)n < it->min || (int64_t)n > it->max) {
		cfg_err(x, cfg_line(v), "'%s' needs %lld to %lld entries, not %zu", dk, (long long)it->min,
		    (long long)it->max, n);
		return;
	}
	if (n == 0)
		return;
	arr = calloc(n, it->size);
	if (arr == NULL) {
		x->nomem = true;
		return;
	}
	*(void **)field(base, it) = arr;
	*count_field(base, it) = n;
	snprintf(sp, sizeof(sp), "%s[]", it->path);
	for (i = 0; i < n; i++) {
		yaml_node_t *e = cfg_node(x, v->data.sequence.items.start[i]);
		void *elem = arr + i * it->size;
		snprintf(dp, sizeof(dp), "%.200s[%zu]", dk, i);
		apply_defaults(x, sp, elem);
		if (e == NULL)
			continue;
		*(int *)(void *)((char *)elem + it->line_off) = cfg_line(e);
		if (e->type != YAML_MAPPING_NODE) {
			cfg_err(x, cfg_line(e), "'%s' must be a mapping, not %s", dp, node_kind(e));
			continue;
		}
		walk_map(x, e, sp, dp, elem);
	}
}

static void
store(struct ctx *x, const struct cfg_item *it, yaml_node_t *v, const char *dk, void *base)
{
	switch (it->type) {
	case CT_MAP:
		if (v->type != YAML_MAPPING_NODE)
			cfg_err(x, cfg_line(v), "'%s' must be a mapping, not %s", dk, node_kind(v));
		else
			walk_map(x, v, it->path, dk, base);
		return;
	case CT_MAPS:
		store_maps(x, it, v, dk, base);
		return;
	case CT_STRS:
		store_strs(x, it, v, dk, base);
		return;
	default:
		break;
	}
	if (v->type != YAML_SCALAR_NODE) {
		cfg_err(x, cfg_line(v), "'%s' must be %s, not %s", dk, type_name(it->type), node_kind(v));
		return;
	}
	store_scalar(x, it, scalar(v), cfg_line(v), dk, base);
}

/* Reports required children of sp that map lacks (or has with no value). */
static void
check_required(struct ctx *x, yaml_node_t *map, const char *sp, const char *dp)
{
	size_t i;

	for (i = 0; i < cfg_nschema; i++) {
		const struct cfg_item *it = &cfg_schema[i];
		const char *key;
		yaml_node_pair_t *p;
		yaml_node_t *k = NULL, *v = NULL;
		if (!(it->flags & F_REQUIRED) || !child_of(it->path, sp))
			continue;
		key = it->path + (*sp ? strlen(sp) + 1 : 0);
		for (p = map ? map->data.mapping.pairs.start : NULL;
		     map && p < map->data.mapping.pairs.top; p++) {
			k = cfg_node(x, p->key);
			v = cfg_node(x, p->value);
			if (k && v && k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
				break;
			k = NULL;
		}
		if (k == NULL)
			cfg_err(x, map ? cfg_line(map) : 1, "missing required key '%s%s%s'", dp,
			    *dp ? "." : "", key);
		else if (is_null(v))
			cfg_err(x, cfg_line(k), "'%s%s%s' needs a value", dp, *dp ? "." : "", key);
	}
}

/* Walks one mapping whose schema prefix is sp ("" for the top level) and
 * display prefix dp ("zones[1].soa"); values land in base. */
static void
walk_map(struct ctx *x, yaml_node_t *map, const char *sp, const char *dp, void *base)
{
	yaml_node_pair_t *p, *q;

	if (!first_visit(x, map, *dp ? dp : "top level"))
		return;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cfg_node(x, p->key), *v = cfg_node(x, p->value);
		char sk[CFG_PATH_MAX], dk[CFG_PATH_MAX + 32];
		const struct cfg_item *it = NULL;
		const char *key;
		if (k == NULL || v == NULL)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			cfg_err(x, cfg_line(k), "keys under '%s' must be plain names, not %s",
			    *dp ? dp : "top level", node_kind(k));
			continue;
		}
		key = scalar(k);
		snprintf(sk, sizeof(sk), "%s%s%s", sp, *sp ? "." : "", key);
		snprintf(dk, sizeof(dk), "%.150s%s%.100s", dp, *dp ? "." : "", key);
		if (strpbrk(key, ".[]") == NULL && strlen(key) == k->data.scalar.length)
			it = item_find(sk);
		if (it == NULL) {
			cfg_err(x, cfg_line(k), "unknown key '%s'", dk);
			continue;
		}
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = cfg_node(x, q->key);
			if (k2 && k2->type == YAML_SCALAR_NODE && strcmp(scalar(k2), key) == 0)
				break;
		}
		if (q < p) {
			cfg_err(x, cfg_line(k), "duplicate key '%s' (first at line %d)", dk,
			    cfg_line(cfg_node(x, q->key)));
			continue;
		}
		if (is_null(v))
			continue; /* absent; check_required reports it if needed */
		if (v->type == YAML_SCALAR_NODE && strlen(scalar(v)) != v->data.scalar.length) {
			cfg_err(x, cfg_line(v), "'%s' contains a NUL character", dk);
			continue;
		}
		x->key_line = cfg_line(k);
		store(x, it, v, dk, base);
	}
	check_required(x, map, sp, dp);
}

/* ------------------------------------------------------------------ files */

/* Reads the whole file; reports like the caller expects for a missing file. */
static int
file_read(struct ctx *x, const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	char *b;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = errno == ENOENT ? DD_ENOENT : DD_EIO;
		cfg_err(x, 0, "%s", strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		cfg_err(x, 0, "%s", strerror(EISDIR));
		rc = DD_EIO;
		goto done;
	}
	if (st.st_size > CFG_MAX_FILE) {
		cfg_err(x, 0, "larger than %u bytes", CFG_MAX_FILE);
		rc = DD_ECONFIG;
		goto done;
	}
	b = malloc((size_t)st.st_size + 1);
	if (b == NULL) {
		rc = DD_ENOMEM;
		goto done;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			cfg_err(x, 0, "%s", strerror(errno));
			free(b);
			rc = DD_EIO;
			goto done;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
done:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Absolute path of the file and its directory (realpath of the directory, so
 * a symlinked config still reads as the name it was given). */
static int
resolve_paths(struct ctx *x, const char *path)
{
	char *copy = cfg_xstrdup(x, path), *slash, *real = NULL;
	const char *dir, *base;
	size_t need;
	int rc = 0;

	if (copy == NULL)
		return DD_ENOMEM;
	slash = strrchr(copy, '/');
	if (slash == NULL) {
		dir = ".";
		base = copy;
	} else {
		*slash = '\0';
		dir = slash == copy ? "/" : copy;
		base = slash + 1;
	}
	real = realpath(dir, NULL);
	if (real == NULL) {
		cfg_err(x, 0, "%s", strerror(errno));
		rc = DD_EIO;
		goto done;
	}
	need = strlen(real) + strlen(base) + 2;
	x->c->path = malloc(need);
	if (x->c->path == NULL) {
		rc = DD_ENOMEM;
		goto done;
	}
	snprintf(x->c->path, need, "%s%s%s", real, strcmp(real, "/") ? "/" : "", base);
	x->c->dir = real;
	real = NULL;
done:
	free(real);
	free(copy);
	return rc;
}

static int
offset_line(const char *buf, size_t len, size_t off)
{
	int l = 1;
	size_t i;

	for (i = 0; i < off && i < len; i++)
		if (buf[i] == '\n')
			l++;
	return l;
}

static int
parse_document(struct ctx *x, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return DD_ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &x->doc)) {
		int l = parser.error == YAML_READER_ERROR
		                ? offset_line(buf, len, parser.problem_offset)
		                : (int)parser.problem_mark.line + 1;
		if (parser.error == YAML_MEMORY_ERROR) {
			rc = DD_ENOMEM;
		} else {
			cfg_err(x, l, "YAML syntax error: %s%s%s",
			    parser.problem ? parser.problem : "?", parser.context ? " " : "",
			    parser.context ? parser.context : "");
			rc = DD_ECONFIG;
		}
		yaml_parser_delete(&parser);
		return rc;
	}
	x->root = yaml_document_get_root_node(&x->doc);
	if (x->root) {
		if (!yaml_parser_load(&parser, &extra)) {
			cfg_err(x, (int)parser.problem_mark.line + 1, "YAML syntax error: %s",
			    parser.problem ? parser.problem : "?");
		} else {
			yaml_node_t *r2 = yaml_document_get_root_node(&extra);
			if (r2)
				cfg_err(x, cfg_line(r2), "only one YAML document is allowed");
			yaml_document_delete(&extra);
		}
	}
	yaml_parser_delete(&parser);
	return 0;
}

/* ---------------------------------------------------------------- public */

static int
load(struct ctx *x, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = file_read(x, path, &buf, &len)) != 0)
		return rc;
	if ((rc = resolve_paths(x, path)) != 0)
		goto done;
	apply_defaults(x, "", x->c);
	if ((rc = parse_document(x, buf, len)) != 0)
		goto done;
	x->nnodes = (size_t)(x->doc.nodes.top - x->doc.nodes.start);
	x->seen = calloc(x->nnodes + 1, 1);
	if (x->seen == NULL) {
		rc = DD_ENOMEM;
		goto done;
	}
	if (x->root && x->root->type == YAML_MAPPING_NODE)
		walk_map(x, x->root, "", "", x->c);
	else if (x->root && !is_null(x->root))
		cfg_err(x, cfg_line(x->root), "the top level must be a mapping of keys, not %s",
		    node_kind(x->root));
	else
		check_required(x, NULL, "", "");
	cfg_finalize(x);
done:
	free(buf);
	return rc;
}

int
cfg_load(const char *path, struct cfg **out, struct cfg_errors *errs)
{
	struct cfg_errors discard = {0};
	struct ctx x;
	int rc;

	memset(&x, 0, sizeof(x));
	*out = NULL;
	x.errs = errs ? errs : &discard;
	x.errs->msg = NULL;
	x.errs->n = 0;
	x.file = path;
	x.c = calloc(1, sizeof(*x.c));
	if (x.c == NULL)
		return DD_ENOMEM;
	rc = load(&x, path);
	if (x.root || x.doc.nodes.start)
		yaml_document_delete(&x.doc);
	if (x.too_many)
		cfg_err(&x, 0, "too many errors; only the first %d are shown", CFG_MAX_ERRORS);
	if (rc == 0 && x.nomem)
		rc = DD_ENOMEM;
	if (rc == 0 && x.errs->n > 0)
		rc = DD_ECONFIG;
	errs_sort(&x);
	free(x.lines);
	free(x.seen);
	if (rc != 0) {
		cfg_free(x.c);
		cfg_errors_fini(&discard);
		return rc;
	}
	*out = x.c;
	return 0;
}

static void
free_owned(const char *owner, void *base)
{
	size_t i, j;

	for (i = 0; i < cfg_nschema; i++) {
		const struct cfg_item *it = &cfg_schema[i];
		if (!owned_by(it->path, owner))
			continue;
		if (it->type == CT_STR && it->check == CK_BASE64) {
			sodium_memzero(field(base, it), it->size);
		} else if (it->type == CT_STR && it->check != CK_ADDR) {
			free(*(char **)field(base, it));
		} else if (it->type == CT_STRS) {
			free_strs(it, base);
		} else if (it->type == CT_MAPS) {
			char sub[CFG_PATH_MAX];
			char *arr = *(char **)field(base, it);
			size_t n = *count_field(base, it);
			snprintf(sub, sizeof(sub), "%s[]", it->path);
			for (j = 0; arr && j < n; j++)
				free_owned(sub, arr + j * it->size);
			free(arr);
		}
	}
}

void
cfg_free(struct cfg *c)
{
	if (c == NULL)
		return;
	free_owned("", c);
	free(c->dns.rrl.parsed.exempt); /* derived, not in the schema */
	free(c->path);
	free(c->dir);
	free(c);
}

void
cfg_errors_fini(struct cfg_errors *errs)
{
	size_t i;

	if (errs == NULL)
		return;
	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

int
cfg_zone_index(const struct cfg *c, const char *name)
{
	size_t i, n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	for (i = 0; i < c->nzones; i++)
		if (c->zones[i].name && strlen(c->zones[i].name) == n &&
		    strncasecmp(c->zones[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

int
cfg_zone_of_name(const struct cfg *c, const char *name)
{
	size_t nlen = strlen(name), blen = 0;
	int best = -1;

	for (size_t i = 0; i < c->nzones; i++) {
		const char *z = c->zones[i].name;
		size_t zl = strlen(z);
		if (zl > nlen || zl < blen || strcmp(name + nlen - zl, z) != 0)
			continue;
		/* at a label boundary: "xample.test" is not in "example.test" */
		if (nlen != zl && name[nlen - zl - 1] != '.')
			continue;
		best = (int)i;
		blen = zl;
	}
	return best;
}
