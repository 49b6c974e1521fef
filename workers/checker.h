/*
 * checker.h - health checks of pool members (the checker process).
 *
 * The process itself is checker_main() (workers/workers.h).  This header
 * holds its parts that tests drive directly: the check definition parser,
 * the rise/fall state machine, the HTTP status-line parser and one probe on
 * a caller's event_base.
 */
#ifndef DD_CHECKER_H
#define DD_CHECKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct json_t;

enum checker_type { CHECKER_TCP = 0, CHECKER_HTTP };

#define CHECKER_PATH_MAX      1024 /* bytes of path, NUL included */
#define CHECKER_STATUS_MAX    4096 /* bytes read while looking for the status line */
#define CHECKER_INTERVAL_DEF  5.0
#define CHECKER_INTERVAL_MIN  0.2
#define CHECKER_INTERVAL_MAX  3600.0
#define CHECKER_TIMEOUT_DEF   2.0
#define CHECKER_TIMEOUT_MIN   0.05
#define CHECKER_RISE_DEF      2
#define CHECKER_FALL_DEF      3
#define CHECKER_RUN_MAX       100 /* upper bound of rise and fall */
#define CHECKER_EXPECT_DEF    200
#define CHECKER_HTTP_PORT_DEF 80

/* One pool's check, every field filled (defaults applied, values clamped). */
struct checker_check {
	enum checker_type type;
	uint16_t port;
	int expect;                  /* HTTP status that counts as success, 100..599 */
	double interval;             /* seconds between probes */
	double timeout;              /* seconds a probe may take, <= interval */
	unsigned rise;               /* consecutive successes to come back up */
	unsigned fall;               /* consecutive failures to go down */
	char path[CHECKER_PATH_MAX]; /* HTTP request target, starts with '/' */
};

/*
 * Fills *out from a check object {"type","port","path","expect","interval",
 * "timeout","rise","fall"}.  "type" is required ("tcp" or "http"); "port" is
 * required for tcp and defaults to 80 for http; "path" defaults to "/";
 * interval, timeout, rise, fall and expect take the CHECKER_*_DEF defaults;
 * interval is clamped to CHECKER_INTERVAL_MIN..MAX and timeout to
 * CHECKER_TIMEOUT_MIN..interval; rise and fall to 1..CHECKER_RUN_MAX.
 * Unknown keys are ignored.  Returns 0, or DD_EINVAL with a reason written
 * to err (errlen bytes, may be 0).
 */
int checker_check_from_json(const struct json_t *obj, struct checker_check *out, char *err,
                            size_t errlen);
/* The same from JSON text (the pools.check_json column). */
int checker_check_parse(const char *text, struct checker_check *out, char *err, size_t errlen);
/* True when a and b describe the same check. */
bool checker_check_equal(const struct checker_check *a, const struct checker_check *b);

/* Health of one member: up, and the current run of equal results. */
struct checker_health {
	bool up;
	unsigned ok_run;   /* consecutive successes while down */
	unsigned fail_run; /* consecutive failures while up */
};

enum checker_transition { CHECKER_SAME = 0, CHECKER_WENT_UP, CHECKER_WENT_DOWN };

/* A member starts up with no run (the writer initialises shm `up` to 1). */
void checker_health_init(struct checker_health *h);
/*
 * Feeds one probe result.  An up member goes down after `fall` failures in a
 * row, a down one comes up after `rise` successes in a row; any opposite
 * result restarts the run.  Returns which transition happened, if any.
 */
enum checker_transition checker_health_record(struct checker_health *h, bool success, unsigned rise,
                                              unsigned fall);

/*
 * Parses an HTTP status line ("HTTP/1.1 200 OK\r\n") at the start of buf[len].
 * Returns 0 with *status set once a whole line is there; DD_EAGAIN when no
 * line end has arrived yet; DD_ETOOBIG when len reaches CHECKER_STATUS_MAX
 * without one; DD_EFORMERR for anything that is not a status line.
 */
int checker_status_parse(const char *buf, size_t len, int *status);

/*
 * One probe at a time against one address, driven by an event_base.  The
 * result is delivered by cb from the event loop, never from inside
 * checker_probe_start(); reason (borrowed, valid during the call) says why a
 * probe failed, "ok" otherwise.  The probe is idle again when cb runs: cb may
 * start the next probe or destroy it.
 */
struct checker_probe;
typedef void (*checker_probe_cb)(void *arg, bool success, const char *reason);

/* Returns a heap probe (free with checker_probe_destroy) or NULL. */
struct checker_probe *checker_probe_create(struct event_base *base, checker_probe_cb cb, void *arg);
/* Cancels a running probe (cb is not called) and frees p; NULL is a no-op. */
void checker_probe_destroy(struct checker_probe *p);
/*
 * Starts probing ip (IPv4 or IPv6 text) as c says; c and ip are copied.
 * Returns 0, DD_EAGAIN when a probe is already running, DD_EINVAL for an
 * address that does not parse, DD_ENOMEM.
 */
int checker_probe_start(struct checker_probe *p, const struct checker_check *c, const char *ip);
bool checker_probe_is_busy(const struct checker_probe *p);

#endif
