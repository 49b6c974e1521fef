/*
 * control_int.h - private to the control socket (workers/control*.c): its
 * state, the command table and the helpers the commands share.
 * control.h is the public face.
 *
 *   control.c      the socket, the protocol, dispatch, the client side
 *   control_cmd.c  the commands: status, records, users, tokens, zones,
 *                  pools, backups, reload
 */
#ifndef DD_WORKERS_CONTROL_INT_H
#define DD_WORKERS_CONTROL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "shm/stats.h"
#include "workers/writer.h"

struct event;
struct evconnlistener;
struct wctx;

#define CTL_ERR 512 /* bytes of a command's error text */

struct control {
	struct wctx *ctx;           /* the writer process's, borrowed */
	struct evconnlistener *lev;
	struct event *sampler;
	unsigned restarts;
	/* queries per second per DNS worker, sampled every second */
	uint64_t last[STATS_SLOTS];
	double qps[STATS_SLOTS];
	pid_t last_pid[STATS_SLOTS];
	bool reload_pending;
};

typedef json_t *(*ctl_fn)(struct control *c, json_t *args, char *err, size_t errsz);

/* Who writes through the control socket, for the audit log. */
extern const struct writer_actor ctl_actor;

/* One command of the protocol (ddnsctl's "cmd"). */
struct ctl_cmd {
	const char *cmd;
	ctl_fn fn;
};

/* The command table (control_cmd.c), ctl_ncmds entries. */
extern const struct ctl_cmd ctl_cmds[];
extern const size_t ctl_ncmds;

/* The string value of key in args, or NULL. */
const char *ctl_str(json_t *args, const char *key);
/* Queries a DNS worker answered (UDP and TCP). */
uint64_t ctl_worker_queries(const struct shm_worker_stats *s);
/* Is pid a running process? */
bool ctl_alive(uint32_t pid);
/* Records in zone slot z (names not in a more specific zone). */
int64_t ctl_zone_records(struct control *c, unsigned z);
/* The zone slot args names ("zone"), or -1 with the reason in err. */
int ctl_zone_arg(struct control *c, json_t *args, char *err, size_t errsz);

/* control_dnssec.c: `ddnsctl dnssec status|ds|dnskey ZONE`. */
json_t *ctl_dnssec_status(struct control *c, json_t *args, char *err, size_t errsz);
json_t *ctl_dnssec_ds(struct control *c, json_t *args, char *err, size_t errsz);
json_t *ctl_dnssec_dnskey(struct control *c, json_t *args, char *err, size_t errsz);
json_t *ctl_dnssec_rollover(struct control *c, json_t *args, char *err, size_t errsz);

#endif
