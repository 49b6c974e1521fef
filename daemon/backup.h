/*
 * backup.h - copies of the SQLite database: online copy, integrity check,
 * retention, S3 upload, the schedule, and restore.
 *
 * Used by `ddnsctl backup PATH` (workers/control.c), the scheduled backups
 * of the notifier process (workers/notifier.c) and `ddnsd --restore`.
 */
#ifndef DD_BACKUP_H
#define DD_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cfg;
struct sqlite3;

/*
 * Copies the database open on src to path with SQLite's online backup API
 * (one read transaction: a consistent copy; writers are not held up), into
 * a temporary file renamed over path once complete.  Returns 0, or -1 with
 * the reason in err.
 */
int backup_copy(struct sqlite3 *src, const char *path, char *err, size_t errsz);

/*
 * Opens path read-only and checks it is a ddnsd database this version can
 * use: PRAGMA integrity_check says "ok" and the schema version is known.
 * *records (may be NULL) gets its record count.  Returns 0 or -1 (err).
 */
int backup_verify(const char *path, long long *records, char *err, size_t errsz);

/* One file of backup.dir. */
struct backup_file {
	char name[256];
	long long size;
	time_t mtime;
};

/*
 * The scheduled backups in dir ("ddnsd-YYYYMMDDTHHMMSSZ.db"), newest first.
 * Returns the count (at most max) or -1.
 */
int backup_list(const char *dir, struct backup_file *out, int max);

/* Deletes scheduled backups beyond the keep newest; returns how many went. */
int backup_prune(const char *dir, unsigned keep);

/* The file name of a scheduled backup taken at t. */
void backup_name(time_t t, char *out, size_t outsz);

/*
 * Uploads file to backup.s3 (path-style URL endpoint/bucket/prefix+key, AWS
 * Signature V4 by libcurl) with credentials from AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY or backup.s3.credentials.  Returns 0 or -1 (err).
 */
int backup_s3_put(const struct cfg *cfg, const char *file, const char *key, char *err,
		  size_t errsz);

/*
 * When the next backup is due after `after` (unix seconds): interval since
 * `last` (0: none yet, due now), or the next minute the cron spec matches.
 */
time_t backup_next(const struct cfg *cfg, time_t last, time_t after);

/* True if the five-field cron spec matches the minute of t (local time). */
bool backup_cron_match(const char *spec, time_t t);

/*
 * `ddnsd --restore FILE`: verifies FILE, refuses while a daemon answers on
 * control.socket, then copies FILE over cfg->database (the old file kept
 * as DATABASE.before-restore).  Prints what it did; returns the exit status.
 */
int backup_restore(const struct cfg *cfg, const char *file);

#endif
