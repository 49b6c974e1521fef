/* backup.c - database copies, schedule, S3 and restore (see backup.h). */
#include "daemon/backup.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/db_views.h"
#include "daemon/dd.h"
#include "daemon/log.h"

#define BACKUP_PREFIX "ddnsd-"
#define BACKUP_SUFFIX ".db"

int
backup_copy(sqlite3 *src, const char *path, char *err, size_t errsz)
{
	char tmp[4096];
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	err[0] = '\0';
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	unlink(tmp);
	if (sqlite3_open(tmp, &dst) != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", path, sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return -1;
	}
	/* one step copies every page under one read transaction: a consistent copy,
	 * while the WAL lets nothing else wait for it */
	b = sqlite3_backup_init(dst, "main", src, "main");
	rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
	if (b)
		sqlite3_backup_finish(b);
	if (rc == SQLITE_DONE)
		rc = db_file_journal_delete(dst) == 0 ? SQLITE_OK : SQLITE_ERROR;
	else
		snprintf(err, errsz, "%s: %s", path, sqlite3_errmsg(dst));
	sqlite3_close(dst);
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		unlink(tmp);
		if (!err[0])
			snprintf(err, errsz, "%s: backup failed", path);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
backup_verify(const char *path, long long *records, char *err, size_t errsz)
{
	sqlite3 *h = NULL;
	char check[1024];
	int rc = -1, version = -1;
	struct stat sb;

	if (stat(path, &sb) < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", path, h ? sqlite3_errmsg(h) : "cannot open");
		goto done;
	}
	if (db_file_integrity(h, check, sizeof(check)) < 0) {
		snprintf(err, errsz, "%s: not an SQLite database (%s)", path, sqlite3_errmsg(h));
		goto done;
	}
	if (strcmp(check, "ok") != 0) {
		snprintf(err, errsz, "%s: integrity check failed: %s", path, check);
		goto done;
	}
	version = db_file_schema_version(h);
	if (version < 1 || version > DB_SCHEMA_VERSION) {
		snprintf(err, errsz, "%s: not a ddnsd database this version can use (schema %d)", path,
			 version);
		goto done;
	}
	if (records) {
		long long n = db_file_records_count(h);
		*records = n < 0 ? 0 : n;
	}
	rc = 0;
done:
	sqlite3_close(h);
	return rc;
}

static bool
backup_is_ours(const char *name)
{
	size_t n = strlen(name), p = strlen(BACKUP_PREFIX), s = strlen(BACKUP_SUFFIX);
	return n > p + s && strncmp(name, BACKUP_PREFIX, p) == 0 &&
	       strcmp(name + n - s, BACKUP_SUFFIX) == 0;
}

void
backup_name(time_t t, char *out, size_t outsz)
{
	struct tm tm;
	char ts[32];

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, outsz, "%s%s%s", BACKUP_PREFIX, ts, BACKUP_SUFFIX);
}

static int
bf_newest_first(const void *a, const void *b)
{
	/* the names hold the time: later names sort first */
	return strcmp(((const struct backup_file *)b)->name, ((const struct backup_file *)a)->name);
}

int
backup_list(const char *dir, struct backup_file *out, int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL && n < max) {
		char path[4096];
		struct stat sb;
		if (!backup_is_ours(e->d_name) || strlen(e->d_name) >= sizeof(out[n].name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", e->d_name);
		out[n].size = (long long)sb.st_size;
		out[n].mtime = sb.st_mtime;
		n++;
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof(*out), bf_newest_first);
	return n;
}

int
backup_prune(const char *dir, unsigned keep)
{
	enum { MAXF = 4096 };
	struct backup_file *f = calloc(MAXF, sizeof(*f));
	int n, gone = 0;

	if (f == NULL)
		return 0;
	n = backup_list(dir, f, MAXF);
	for (int i = (int)keep; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, f[i].name);
		if (unlink(path) == 0)
			gone++;
		else
			log_warn("backup retention: %s", path);
	}
	free(f);
	return gone;
}

/* ---------------------------------------------------------------- S3 */

/* "aws_access_key_id = X" / "aws_secret_access_key = Y" (AWS credentials file form). */
static void
creds_from_file(const char *path, char *id, size_t idsz, char *secret, size_t secsz)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		char key[128], val[900];
		size_t vl;
		if (sscanf(line, " %127[A-Za-z_] = %899s", key, val) != 2)
			continue;
		vl = strlen(val);
		if (strcmp(key, "aws_access_key_id") == 0 && vl < idsz)
			memcpy(id, val, vl + 1);
		else if (strcmp(key, "aws_secret_access_key") == 0 && vl < secsz)
			memcpy(secret, val, vl + 1);
	}
	fclose(f);
}

int
backup_s3_put(const struct cfg *cfg, const char *file, const char *key, char *err, size_t errsz)
{
	char id[256] = "", secret[512] = "", url[4096], sig[160];
	const char *e;
	CURL *c = NULL;
	FILE *f = NULL;
	struct curl_slist *hdr = NULL;
	struct stat sb;
	long status = 0;
	size_t elen;
	int rc = -1;

	if ((e = getenv("AWS_ACCESS_KEY_ID")) != NULL)
		snprintf(id, sizeof(id), "%s", e);
	if ((e = getenv("AWS_SECRET_ACCESS_KEY")) != NULL)
		snprintf(secret, sizeof(secret), "%s", e);
	if ((!id[0] || !secret[0]) && cfg->backup.s3_credentials)
		creds_from_file(cfg->backup.s3_credentials, id, sizeof(id), secret, sizeof(secret));
	if (!id[0] || !secret[0]) {
		snprintf(err, errsz, "S3: no credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY "
				     "or backup.s3.credentials)");
		return -1;
	}
	if (stat(file, &sb) < 0 || (f = fopen(file, "rb")) == NULL) {
		snprintf(err, errsz, "%s: %s", file, strerror(errno));
		return -1;
	}
	elen = strlen(cfg->backup.s3_endpoint);
	while (elen > 0 && cfg->backup.s3_endpoint[elen - 1] == '/')
		elen--;
	snprintf(url, sizeof(url), "%.*s/%s/%s%s", (int)elen, cfg->backup.s3_endpoint,
		 cfg->backup.s3_bucket, cfg->backup.s3_prefix ? cfg->backup.s3_prefix : "", key);
	snprintf(sig, sizeof(sig), "aws:amz:%s:s3", cfg->backup.s3_region);
	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errsz, "S3: libcurl unavailable");
		goto done;
	}
	hdr = curl_slist_append(hdr, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	hdr = curl_slist_append(hdr, "Content-Type: application/vnd.sqlite3");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READDATA, f);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sb.st_size);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sig);
	curl_easy_setopt(c, CURLOPT_USERNAME, id);
	curl_easy_setopt(c, CURLOPT_PASSWORD, secret);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) != CURLE_OK) {
		snprintf(err, errsz, "S3 %s: %s", url, "transfer failed");
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		snprintf(err, errsz, "S3 %s: HTTP %ld", url, status);
		goto done;
	}
	rc = 0;
done:
	curl_slist_free_all(hdr);
	if (c)
		curl_easy_cleanup(c);
	if (f)
		fclose(f);
	return rc;
}

/* ---------------------------------------------------------------- schedule */

/* Does one cron field ("*", "*\/n", "a", "a-b", "a-b/n", lists) match v? */
static bool
cron_field(const char *f, int v, int lo, int hi)
{
	char buf[128];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", f);
	for (char *part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		int a = lo, b = hi, step = 1;
		char *slash = strchr(part, '/');
		if (slash) {
			*slash = '\0';
			step = atoi(slash + 1);
			if (step < 1)
				step = 1;
		}
		if (strcmp(part, "*") != 0) {
			char *dash = strchr(part, '-');
			a = atoi(part);
			b = dash ? atoi(dash + 1) : (slash ? hi : a);
		}
		if (hi == 7 && v == 0 && b == 7 && a <= 7) /* Sunday is 0 or 7 */
			v = 7;
		if (v >= a && v <= b && (v - a) % step == 0)
			return true;
	}
	return false;
}

bool
backup_cron_match(const char *spec, time_t t)
{
	char f[5][128];
	struct tm tm;
	bool dom, dow;

	if (sscanf(spec, "%127s %127s %127s %127s %127s", f[0], f[1], f[2], f[3], f[4]) != 5)
		return false;
	localtime_r(&t, &tm);
	if (!cron_field(f[0], tm.tm_min, 0, 59) || !cron_field(f[1], tm.tm_hour, 0, 23) ||
	    !cron_field(f[3], tm.tm_mon + 1, 1, 12))
		return false;
	dom = cron_field(f[2], tm.tm_mday, 1, 31);
	dow = cron_field(f[4], tm.tm_wday, 0, 7);
	/* cron(8): when both day fields are restricted, either may match */
	if (strcmp(f[2], "*") != 0 && strcmp(f[4], "*") != 0)
		return dom || dow;
	return dom && dow;
}

time_t
backup_next(const struct cfg *cfg, time_t last, time_t after)
{
	if (cfg->backup.schedule == NULL) {
		if (last == 0)
			return after;
		return last + (time_t)cfg->backup.interval > after ? last + (time_t)cfg->backup.interval
								    : after;
	}
	/* the next whole minute the spec matches, within a year */
	time_t t = after - (after % 60) + 60;
	for (int i = 0; i < 366 * 24 * 60; i++, t += 60)
		if (backup_cron_match(cfg->backup.schedule, t))
			return t;
	return after + 86400;
}

/* ---------------------------------------------------------------- restore */

static bool
daemon_running(const char *sock)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool up;

	if (fd < 0)
		return false;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	up = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return up;
}

int
backup_restore(const struct cfg *cfg, const char *file)
{
	char err[1024], tmp[4096], old[4096], side[4096];
	long long records = 0;
	sqlite3 *src = NULL, *cur = NULL;
	struct stat sb;

	if (backup_verify(file, &records, err, sizeof(err)) < 0) {
		fprintf(stderr, "ddnsd: restore refused: %s\n", err);
		return 1;
	}
	if (daemon_running(cfg->control_socket)) {
		fprintf(stderr,
			"ddnsd: restore refused: a daemon answers on %s; stop it first "
			"(systemctl stop ddnsd, or SIGTERM)\n",
			cfg->control_socket);
		return 1;
	}
	if (sqlite3_open_v2(file, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "ddnsd: %s: %s\n", file, sqlite3_errmsg(src));
		sqlite3_close(src);
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s.restore-%ld", cfg->database, (long)getpid());
	if (backup_copy(src, tmp, err, sizeof(err)) < 0) {
		sqlite3_close(src);
		fprintf(stderr, "ddnsd: restore: %s\n", err);
		return 1;
	}
	sqlite3_close(src);
	if (stat(cfg->database, &sb) == 0) {
		/* fold the old database's WAL into it, then keep it aside */
		if (sqlite3_open(cfg->database, &cur) == SQLITE_OK)
			db_file_checkpoint(cur);
		sqlite3_close(cur);
		snprintf(old, sizeof(old), "%s.before-restore", cfg->database);
		if (rename(cfg->database, old) < 0) {
			fprintf(stderr, "ddnsd: restore: %s: %s\n", cfg->database, strerror(errno));
			unlink(tmp);
			return 1;
		}
		printf("%s: previous database kept as %s\n", cfg->database, old);
	}
	snprintf(side, sizeof(side), "%s-wal", cfg->database);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", cfg->database);
	unlink(side);
	if (rename(tmp, cfg->database) < 0) {
		fprintf(stderr, "ddnsd: restore: %s: %s\n", cfg->database, strerror(errno));
		unlink(tmp);
		return 1;
	}
	printf("%s: restored from %s (%lld records); start the daemon\n", cfg->database, file,
	       records);
	return 0;
}
