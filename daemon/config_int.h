/*
 * config_int.h - private to the config loader (daemon/config*.c): the
 * schema's types, the loader's state and the helpers its files share.
 * config.h is the public face.
 *
 *   config.c         the walk of the document against the schema, storage, public API
 *   config_schema.c  the schema table: every key, its type, range, default, field
 *   config_check.c   the cross-checks on the filled struct (zones, keys, backups)
 *   config_value.c   the syntax of values (names, addresses, durations, ...)
 */
#ifndef DD_DAEMON_CONFIG_INT_H
#define DD_DAEMON_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "daemon/config.h"

#define CFG_MAX_FILE   (16u << 20) /* a config file is a few KiB; refuse absurd input */
#define CFG_MAX_ERRORS 1000
#define CFG_PATH_MAX   256 /* schema/display paths; real ones are far shorter */

enum cfg_type {
	CT_MAP,      /* nested mapping, no storage of its own */
	CT_MAPS,     /* list of mappings: array of structs + count */
	CT_STR,      /* scalar string (further shaped by the check) */
	CT_STRS,     /* list of strings, or a single string as a one-element list */
	CT_INT,      /* decimal integer */
	CT_BOOL,     /* true/false/yes/no/on/off */
	CT_DURATION, /* "90s", "30m", "24h", "7d", "1w", plain integer = seconds */
	CT_SIZE,     /* integer with optional K/M/G suffix (powers of 1024) */
};

enum cfg_check {
	CK_NONE,
	CK_DNAME,  /* domain name: lower-cased, trailing dot stripped */
	CK_ADDR,   /* "IPv4:PORT" or "[IPv6]:PORT" into struct cfg_addr */
	CK_NET,    /* IP address or CIDR */
	CK_PEER,   /* ADDR[:PORT] (port 53 by default), stored as "ADDR:PORT" */
	CK_PATH,   /* made absolute against the config file's directory */
	CK_URL,    /* http:// or https:// */
	CK_ENUM,   /* one of it->choices */
	CK_BASE64, /* decoded into a byte array (size at off, length at cnt_off) */
	CK_CRON,   /* five-field cron spec */
};

#define F_REQUIRED   0x1u /* must be present (list-of-maps: per element) */
#define F_EMPTY_NULL 0x2u /* "" stores NULL */
#define F_EMPTY_OK   0x4u /* "" is a valid value */

struct cfg_item {
	const char *path; /* "dns.workers"; list elements use "zones[].name" */
	enum cfg_type type;
	enum cfg_check check;
	int64_t min, max; /* value range; for lists, the number of entries */
	const char *def;  /* default, converted like a value from the file */
	unsigned flags;
	size_t off, size; /* field in the owning struct (struct cfg or a list element) */
	size_t cnt_off;   /* lists: count field; CK_BASE64: length field */
	size_t line_off;  /* CT_MAPS: element's int line field */
	const char *const *choices;
};

/* The whole config surface (config_schema.c), cfg_nschema items. */
extern const struct cfg_item cfg_schema[];
extern const size_t cfg_nschema;
/* Every event a notify: target may ask for (NULL-terminated): its default. */
extern const char *const cfg_notify_events[];

/* Loader state; lives for one cfg_load call. */
struct ctx {
	const char *file; /* as given by the caller: that is what users recognise */
	struct cfg *c;
	struct cfg_errors *errs;
	int *lines; /* line of each error, for sorting */
	bool nomem;
	bool too_many;
	yaml_document_t doc;
	yaml_node_t *root;
	unsigned char *seen; /* per collection node: visited (aliases would revisit) */
	int key_line;        /* line of the key being stored: an alias has no line of its own */
	size_t nnodes;
};

/* Records "FILE:LINE: reason" (line 0: no line) for the report. */
void cfg_err(struct ctx *x, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* strdup that notes running out of memory in x. */
char *cfg_xstrdup(struct ctx *x, const char *s);
/* A node's line (1-based). */
int cfg_line(const yaml_node_t *n);
/* The document's node id, or NULL. */
yaml_node_t *cfg_node(struct ctx *x, int id);
/* The value of key in map, or NULL (absent or null). */
yaml_node_t *cfg_map_get(struct ctx *x, yaml_node_t *map, const char *key);
/* Line of the deepest node that exists along a display path such as
 * "zones[2].transfer.tsig" (for messages from the cross-checks). */
int cfg_line_of(struct ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The cross-checks on the filled struct (config_check.c). */
void cfg_finalize(struct ctx *x);

#endif
