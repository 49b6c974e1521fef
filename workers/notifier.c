/*
 * notifier.c - the notifier process: delivers the outbox to the notify:
 * targets, and takes the scheduled backups.
 *
 * The writer appends events to the `outbox` table in the same transaction as
 * the change that caused them; this process only reads them.  Each target
 * has a cursor (`outbox_cursor`: the last event id it acknowledged), so
 * delivery is at-least-once and in order per target, across crashes and
 * restarts of anything: an event is re-sent until its cursor moves past it.
 * A failed delivery is retried after 1, 2, 4 ... at most 30 s (a 429's
 * Retry-After is honoured, up to 5 minutes) until the event is older than
 * notify[].max_age, when it is logged and skipped.  Targets are delivered
 * one after the other with bounded timeouts; nothing here can hold up an
 * update, which never waits for this process.
 *
 * Backups (backup:) run here too, on the schedule, from this process's own
 * read connection: SQLite's online backup API into backup.dir, an integrity
 * check of the copy, retention, then the optional S3 upload; each outcome is
 * a backup_ok / backup_failed event.
 */
#include "workers/workers.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "daemon/backup.h"
#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_outbox.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/proc.h"
#include "daemon/util.h"
#include "shm/stats.h"

#define TICK_MS          250
#define RETRY_MAX_MS     30000
#define RETRY_AFTER_MAX  300      /* seconds of a 429's Retry-After we honour */
#define HTTP_TIMEOUT_S   10
#define COMMAND_TIMEOUT_S 30
#define BURST            50       /* deliveries per target per tick */
#define TRIM_EVERY_MS    60000
#define CHECKPOINT_MS    1000    /* WAL pages copied into the database file */

struct target {
	const struct cfg_notify *n;
	char events[512];             /* ",record_changed,member_down," */
	uint64_t next_ms;             /* not before (back-off) */
	unsigned tries;
};

struct notifier {
	const struct cfg *cfg;
	struct db *db;
	struct shm_worker_stats *st;
	struct target *t;
	size_t nt;
	struct event_base *base;
	struct event *tick;
	uint64_t last_trim_ms;
	uint64_t last_checkpoint_ms;
	time_t next_backup;
};

/* One outbox row. */
struct ev {
	int64_t id;
	int64_t ts;
	const char *event, *name, *type, *value, *old, *detail;
};

/* ---------------------------------------------------------------- payloads */

static const char *
ev_title(const struct ev *e)
{
	if (strcmp(e->event, "record_changed") == 0)
		return e->value ? (e->old ? "Record changed" : "Record created") : "Record deleted";
	if (strcmp(e->event, "member_down") == 0)
		return "Pool member down";
	if (strcmp(e->event, "member_up") == 0)
		return "Pool member up";
	if (strcmp(e->event, "worker_restarted") == 0)
		return "Worker restarted";
	if (strcmp(e->event, "backup_ok") == 0)
		return "Backup done";
	if (strcmp(e->event, "backup_failed") == 0)
		return "Backup failed";
	if (strcmp(e->event, "auth_abuse") == 0)
		return "Repeated failed authentication";
	return e->event;
}

/* One line of text for chat targets. */
static void
ev_line(const struct ev *e, char *out, size_t outsz)
{
	const char *n = e->name ? e->name : "", *v = e->value ? e->value : "";

	if (strcmp(e->event, "record_changed") == 0)
		snprintf(out, outsz, "%s %s: %s -> %s", n, e->type ? e->type : "",
			 e->old ? e->old : "(none)", e->value ? v : "(deleted)");
	else if (strncmp(e->event, "member_", 7) == 0)
		snprintf(out, outsz, "pool %s: member %s is %s", n, v,
			 strcmp(e->event, "member_up") == 0 ? "up" : "down");
	else if (strcmp(e->event, "worker_restarted") == 0)
		snprintf(out, outsz, "worker %s restarted%s%s", n, v[0] ? ": " : "", v);
	else if (strncmp(e->event, "backup_", 7) == 0)
		snprintf(out, outsz, "backup %s%s%s", n, v[0] ? ": " : "", v);
	else if (strcmp(e->event, "auth_abuse") == 0)
		snprintf(out, outsz, "%s failed authentications from %s", v, n);
	else
		snprintf(out, outsz, "%s %s", n, v);
}

static json_t *
ev_detail(const struct ev *e)
{
	json_t *d = e->detail ? json_loads(e->detail, 0, NULL) : NULL;
	return d ? d : json_object();
}

static void
iso_time(int64_t ts, char *out, size_t outsz)
{
	time_t t = (time_t)ts;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The JSON body for a target type (NULL for command targets). */
static char *
ev_body(const struct cfg_notify *n, const struct ev *e)
{
	char line[2048], when[32];
	json_t *j;
	char *s;

	ev_line(e, line, sizeof(line));
	iso_time(e->ts, when, sizeof(when));
	if (strcmp(n->type, "discord") == 0) {
		/* Discord's webhook shape: an embed with fields */
		int color = strcmp(e->event, "record_changed") == 0 ? 0x3498db
			    : strstr(e->event, "fail") || strstr(e->event, "down") ||
				      strstr(e->event, "abuse") || strstr(e->event, "restart")
				? 0xe74c3c
				: 0x2ecc71;
		json_t *fields = json_array();
		if (e->name)
			json_array_append_new(fields, json_pack("{s:s, s:s, s:b}", "name", "Name",
								"value", e->name, "inline", 1));
		if (e->type)
			json_array_append_new(fields, json_pack("{s:s, s:s, s:b}", "name", "Type",
								"value", e->type, "inline", 1));
		if (strcmp(e->event, "record_changed") == 0) {
			json_array_append_new(fields,
					      json_pack("{s:s, s:s}", "name", "Old", "value",
							e->old ? e->old : "(none)"));
			json_array_append_new(fields,
					      json_pack("{s:s, s:s}", "name", "New", "value",
							e->value ? e->value : "(deleted)"));
		} else if (e->value) {
			json_array_append_new(fields,
					      json_pack("{s:s, s:s}", "name", "Detail", "value", e->value));
		}
		j = json_pack("{s:s, s:[{s:s, s:s, s:i, s:s, s:o, s:{s:s}}]}", "username", "ddnsd",
			      "embeds", "title", ev_title(e), "description", line, "color", color,
			      "timestamp", when, "fields", fields, "footer", "text", e->event);
	} else if (strcmp(n->type, "slack") == 0) {
		char text[2300];
		snprintf(text, sizeof(text), "*%s*: %s", ev_title(e), line);
		j = json_pack("{s:s}", "text", text);
	} else if (strcmp(n->type, "webhook") == 0) {
		j = json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s, s:o}", "id",
			      (json_int_t)e->id, "event", e->event, "time", when, "name", e->name,
			      "type", e->type, "value", e->value, "old_value", e->old, "text", line,
			      "detail", ev_detail(e));
	} else {
		return NULL;
	}
	if (j == NULL)
		return NULL;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

/* ---------------------------------------------------------------- delivery */

struct hdrs {
	long retry_after;
};

static size_t
on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct hdrs *h = arg;
	size_t len = size * n;
	if (len > 12 && strncasecmp(buf, "Retry-After:", 12) == 0)
		h->retry_after = strtol(buf + 12, NULL, 10);
	return len;
}

static size_t
on_body(char *buf, size_t size, size_t n, void *arg)
{
	(void)buf;
	(void)arg;
	return size * n; /* the reply body is not needed */
}

/* POSTs body; returns the HTTP status (0: no answer), *retry_after from a 429. */
static long
http_post(const struct cfg_notify *n, const struct ev *e, const char *body, long *retry_after)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct hdrs hd = {0};
	char line[256];
	long status = 0;

	if (c == NULL)
		return 0;
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "User-Agent: ddnsd/" DD_VERSION);
	snprintf(line, sizeof(line), "X-Ddnsd-Event: %s", e->event);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "X-Ddnsd-Delivery: %lld", (long long)e->id);
	h = curl_slist_append(h, line);
	if (strcmp(n->type, "webhook") == 0 && n->secret) {
		/* the receiver recomputes HMAC-SHA256(secret, raw body) to check it */
		unsigned char mac[crypto_auth_hmacsha256_BYTES];
		char hex[2 * sizeof(mac) + 1];
		crypto_auth_hmacsha256_state st;
		crypto_auth_hmacsha256_init(&st, (const unsigned char *)n->secret, strlen(n->secret));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
		crypto_auth_hmacsha256_final(&st, mac);
		sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
		snprintf(line, sizeof(line), "X-Ddnsd-Signature: sha256=%s", hex);
		h = curl_slist_append(h, line);
	}
	curl_easy_setopt(c, CURLOPT_URL, n->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)HTTP_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)HTTP_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hd);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	*retry_after = hd.retry_after;
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

/* Runs the command with the event in its environment; true on exit status 0. */
static bool
run_command(const struct cfg_notify *n, const struct ev *e)
{
	char idb[32], tsb[32];
	pid_t pid;
	int status = 0;
	uint64_t deadline = util_now_ms() + COMMAND_TIMEOUT_S * 1000u;

	snprintf(idb, sizeof(idb), "%lld", (long long)e->id);
	iso_time(e->ts, tsb, sizeof(tsb));
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setenv("DDNSD_EVENT", e->event, 1);
		setenv("DDNSD_NAME", e->name ? e->name : "", 1);
		setenv("DDNSD_TYPE", e->type ? e->type : "", 1);
		setenv("DDNSD_VALUE", e->value ? e->value : "", 1);
		setenv("DDNSD_OLD_VALUE", e->old ? e->old : "", 1);
		setenv("DDNSD_DETAIL", e->detail ? e->detail : "{}", 1);
		setenv("DDNSD_ID", idb, 1);
		setenv("DDNSD_TIME", tsb, 1);
		execl("/bin/sh", "sh", "-c", n->command, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return false;
		if (util_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			log_warnx("notify %s: command ran over %d s: killed", n->name, COMMAND_TIMEOUT_S);
			return false;
		}
		usleep(10000);
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* 0 delivered; > 0 retry after that many ms; < 0 failed (back-off). */
static long
deliver(struct notifier *nf, const struct cfg_notify *n, const struct ev *e)
{
	long status, retry_after = 0;
	char *body;

	(void)nf;
	if (strcmp(n->type, "command") == 0) {
		if (run_command(n, e))
			return 0;
		log_warnx("notify %s: event %lld: command failed", n->name, (long long)e->id);
		return -1;
	}
	if ((body = ev_body(n, e)) == NULL)
		return -1;
	status = http_post(n, e, body, &retry_after);
	free(body);
	if (status >= 200 && status <= 299)
		return 0;
	if (status == 429) {
		if (retry_after < 1)
			retry_after = 1;
		if (retry_after > RETRY_AFTER_MAX)
			retry_after = RETRY_AFTER_MAX;
		log_info("notify %s: rate limited, retrying in %ld s", n->name, retry_after);
		return retry_after * 1000;
	}
	if (status)
		log_warnx("notify %s: event %lld: HTTP %ld", n->name, (long long)e->id, status);
	else
		log_warnx("notify %s: event %lld: no answer from %s", n->name, (long long)e->id,
			  n->url);
	return -1;
}

static void
cursor_set(struct notifier *nf, const char *target, int64_t id)
{
	if (db_outbox_cursor_set(nf->db, target, id) < 0)
		log_warnx("notify %s: cannot record delivery of event %lld: %s", target,
			  (long long)id, sqlite3_errmsg(db_sqlite(nf->db)));
}

struct target_walk {
	struct notifier *nf;
	struct target *t;
};

/* Delivers one event (db_outbox_walk's callback); non-zero stops the walk. */
static int
target_event(void *arg, const struct db_outbox_row *row)
{
	struct target_walk *w = arg;
	struct notifier *nf = w->nf;
	struct target *t = w->t;
	struct ev e = {.id = row->id, .ts = row->ts, .event = row->event, .name = row->name,
		       .type = row->type, .value = row->value, .old = row->old_value,
		       .detail = row->detail};
	long r;

	if ((uint64_t)time(NULL) > (uint64_t)e.ts + t->n->max_age) {
		log_warnx("notify %s: event %lld (%s %s) older than %llu s: given up", t->n->name,
			  (long long)e.id, e.event, e.name ? e.name : "",
			  (unsigned long long)t->n->max_age);
		nf->st->events_given_up++;
		cursor_set(nf, t->n->name, e.id);
		t->tries = 0;
		return 0;
	}
	if ((r = deliver(nf, t->n, &e)) == 0) {
		cursor_set(nf, t->n->name, e.id);
		t->tries = 0;
		nf->st->events_delivered++;
		return 0;
	}
	nf->st->events_failed++;
	if (r > 0) {
		t->next_ms = util_now_ms() + (uint64_t)r;
	} else {
		uint64_t d = 1000u << (t->tries < 5 ? t->tries : 5);
		t->next_ms = util_now_ms() + (d > RETRY_MAX_MS ? RETRY_MAX_MS : d);
		t->tries++;
	}
	return 1;
}

/* Delivers this target's next events, in order, until one fails or BURST. */
static void
target_run(struct notifier *nf, struct target *t, uint64_t now)
{
	struct target_walk w = {nf, t};

	if (now < t->next_ms)
		return;
	db_outbox_walk(nf->db, t->n->name, t->events, BURST, target_event, &w);
}

/* Drops events every configured target has acknowledged. */
static void
outbox_trim(struct notifier *nf)
{
	int64_t low = INT64_MAX, id;

	if (nf->nt == 0)
		return;
	for (size_t i = 0; i < nf->nt; i++) {
		/* a cursor that cannot be read keeps every event */
		if (db_outbox_cursor_get(nf->db, nf->t[i].n->name, &id) < 0)
			return;
		if (id < low)
			low = id;
	}
	db_outbox_trim(nf->db, low);
}

/* ---------------------------------------------------------------- backups */

/* An event this process raises itself (backups): only if a target wants it. */
static void
raise_event(struct notifier *nf, const char *event, const char *name, const char *value,
	    json_t *detail)
{
	char *d = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	struct db_outbox_row row = {.event = event, .name = name, .value = value, .detail = d};
	bool wanted = false;
	char key[64];

	snprintf(key, sizeof(key), ",%s,", event);
	for (size_t i = 0; i < nf->nt; i++)
		wanted |= strstr(nf->t[i].events, key) != NULL;
	if (wanted && db_outbox_insert(nf->db, &row) < 0)
		log_warnx("%s event: %s", event, sqlite3_errmsg(db_sqlite(nf->db)));
	free(d);
}

static void
backup_run(struct notifier *nf)
{
	const struct cfg *cfg = nf->cfg;
	char name[128], path[4096], err[1024], s3err[1024] = "";
	long long records = 0;
	bool uploaded = false;
	json_t *d;
	struct stat sb;
	int pruned;

	backup_name(time(NULL), name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", cfg->backup.dir, name);
	if (util_mkdir_parents(path, 0700) < 0 ||
	    backup_copy(db_sqlite(nf->db), path, err, sizeof(err)) < 0 ||
	    backup_verify(path, &records, err, sizeof(err)) < 0) {
		if (util_mkdir_parents(path, 0700) < 0)
			snprintf(err, sizeof(err), "%s: %s", cfg->backup.dir, strerror(errno));
		log_warnx("backup failed: %s", err);
		nf->st->backups_failed++;
		unlink(path);
		raise_event(nf, "backup_failed", name, err, NULL);
		return;
	}
	pruned = backup_prune(cfg->backup.dir, cfg->backup.keep);
	if (cfg->backup.s3_enabled) {
		if (backup_s3_put(cfg, path, name, s3err, sizeof(s3err)) == 0)
			uploaded = true;
		else
			log_warnx("backup %s: %s", name, s3err);
	}
	stat(path, &sb);
	log_info("backup %s: %lld records, %lld bytes, integrity ok%s%s; %d old removed", path,
		 records, (long long)sb.st_size, uploaded ? ", uploaded to S3" : "",
		 s3err[0] ? " (S3 upload failed)" : "", pruned);
	d = json_pack("{s:s, s:I, s:I, s:b}", "path", path, "records", (json_int_t)records, "bytes",
		      (json_int_t)sb.st_size, "s3", uploaded);
	if (s3err[0])
		nf->st->backups_failed++;
	else
		nf->st->backups_ok++;
	if (s3err[0]) {
		json_object_set_new(d, "s3_error", json_string(s3err));
		raise_event(nf, "backup_failed", name, s3err, d);
	} else {
		raise_event(nf, "backup_ok", name, uploaded ? "stored and uploaded" : "stored", d);
	}
	json_decref(d);
}

static void
backup_schedule(struct notifier *nf)
{
	struct backup_file f[1];
	time_t last = 0;

	if (backup_list(nf->cfg->backup.dir, f, 1) == 1)
		last = f[0].mtime;
	nf->next_backup = backup_next(nf->cfg, last, time(NULL));
}

/* ---------------------------------------------------------------- loop */

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct notifier *nf = arg;
	struct timeval tv = {0, TICK_MS * 1000};
	uint64_t now = util_now_ms();
	(void)fd;
	(void)what;

	for (size_t i = 0; i < nf->nt; i++)
		target_run(nf, &nf->t[i], now);
	if (nf->cfg->backup.enabled && time(NULL) >= nf->next_backup) {
		backup_run(nf);
		backup_schedule(nf);
		/* an interval counts from this backup, whatever the clock says */
		if (nf->cfg->backup.schedule == NULL)
			nf->next_backup = time(NULL) + (time_t)nf->cfg->backup.interval;
	}
	/*
	 * The WAL is checkpointed here, not by the writer's commits (writer.c
	 * raises its automatic threshold): PASSIVE never waits for the writer
	 * nor blocks it, and the writer's commits pay only their own pages.
	 */
	if (now - nf->last_checkpoint_ms >= CHECKPOINT_MS) {
		int rc = sqlite3_wal_checkpoint_v2(db_sqlite(nf->db), NULL,
						   SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warnx("checkpoint: %s", sqlite3_errmsg(db_sqlite(nf->db)));
		nf->last_checkpoint_ms = now;
	}
	if (now - nf->last_trim_ms >= TRIM_EVERY_MS) {
		outbox_trim(nf);
		nf->last_trim_ms = now;
	}
	evtimer_add(nf->tick, &tv);
}

int
notifier_main(const struct worker_args *a)
{
	struct notifier nf;
	struct event *stop[2] = {NULL, NULL};
	struct timeval now0 = {0, 0};
	int rc = 1;

	memset(&nf, 0, sizeof(nf));
	proc_close_inherited(a->ls);
	nf.cfg = a->cfg;
	nf.st = &a->stats->w[STATS_SLOT_NOTIFY];
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		log_warnx("libcurl: cannot initialise");
		return 1;
	}
	if (db_open(a->cfg->database, &nf.db) < 0) {
		log_warnx("cannot open %s", a->cfg->database);
		goto done;
	}
	nf.nt = a->cfg->nnotify;
	nf.t = calloc(nf.nt + 1, sizeof(*nf.t));
	if (nf.t == NULL)
		goto done;
	for (size_t i = 0; i < nf.nt; i++) {
		struct target *t = &nf.t[i];
		t->n = &a->cfg->notify[i];
		snprintf(t->events, sizeof(t->events), ",");
		for (size_t k = 0; k < t->n->nevents; k++) {
			strncat(t->events, t->n->events[k], sizeof(t->events) - strlen(t->events) - 2);
			strcat(t->events, ",");
		}
	}
	if (a->cfg->backup.enabled)
		backup_schedule(&nf);
	nf.base = event_base_new();
	if (nf.base == NULL || (nf.tick = evtimer_new(nf.base, on_tick, &nf)) == NULL)
		goto done;
	if (evtimer_add(nf.tick, &now0) < 0 || proc_stop_signals(nf.base, NULL, stop) < 0)
		goto done;
	log_debug("%zu notify targets%s", nf.nt, a->cfg->backup.enabled ? ", backups on" : "");
	if (proc_sandbox(SANDBOX_NOTIFY, &nf.st->sandbox_denied) < 0)
		goto done;
	event_base_dispatch(nf.base);
	rc = 0;
done:
	proc_stop_signals_free(stop);
	if (nf.tick)
		event_free(nf.tick);
	if (nf.base)
		event_base_free(nf.base);
	free(nf.t);
	db_close(nf.db);
	curl_global_cleanup();
	return rc;
}
