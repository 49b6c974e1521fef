/* test_backup.c - backup schedule, naming, retention, verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/backup.h"
#include "daemon/config.h"
#include "daemon/db.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/ddnsd-test-backup.XXXXXX";

/* Local time t of a given date and time. */
static time_t
at(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			.tm_min = mi, .tm_isdst = -1};
	return mktime(&tm);
}

static void
touch(const char *name)
{
	char p[512];
	FILE *f;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f)
		fclose(f);
}

int
main(void)
{
	struct cfg cfg;
	struct backup_file f[16];
	char name[128], path[512], err[512];
	struct db *db = NULL;
	long long recs = -1;
	int n;

	setenv("TZ", "UTC", 1);
	tzset();

	/* cron */
	ok(backup_cron_match("0 3 * * *", at(2026, 11, 23, 3, 0)), "cron: 03:00 daily matches");
	ok(!backup_cron_match("0 3 * * *", at(2026, 11, 23, 3, 1)), "cron: 03:01 does not");
	ok(backup_cron_match("*/15 * * * *", at(2026, 11, 23, 7, 45)), "cron: */15 at :45");
	ok(!backup_cron_match("*/15 * * * *", at(2026, 11, 23, 7, 46)), "cron: */15 not at :46");
	ok(backup_cron_match("30 2 * * 1-5", at(2026, 11, 23, 2, 30)), "cron: Monday in 1-5");
	ok(!backup_cron_match("30 2 * * 1-5", at(2026, 11, 22, 2, 30)), "cron: Sunday not in 1-5");
	ok(backup_cron_match("0 0 * * 7", at(2026, 11, 22, 0, 0)), "cron: 7 is Sunday too");
	ok(backup_cron_match("0 0 1 * 1", at(2026, 12, 1, 0, 0)) &&
		   backup_cron_match("0 0 1 * 1", at(2026, 11, 23, 0, 0)),
	   "cron: day-of-month OR day-of-week when both are set");
	ok(backup_cron_match("0 12 1,15 6 *", at(2026, 6, 15, 12, 0)) &&
		   !backup_cron_match("0 12 1,15 6 *", at(2026, 7, 15, 12, 0)),
	   "cron: lists and months");

	/* next */
	memset(&cfg, 0, sizeof(cfg));
	cfg.backup.interval = 3600;
	is_int((long)(backup_next(&cfg, 0, 1000) - 1000), 0, "interval: first backup at once");
	is_int((long)(backup_next(&cfg, 1000, 1500) - 1000), 3600, "interval: one interval after the last");
	is_int((long)(backup_next(&cfg, 1000, 99999) - 99999), 0, "interval: overdue is now");
	char spec[] = "0 3 * * *";
	cfg.backup.schedule = spec;
	is_int((long)(backup_next(&cfg, 0, at(2026, 11, 23, 3, 0)) - at(2026, 11, 24, 3, 0)), 0,
	       "schedule: the next matching minute, strictly after now");
	is_int((long)(backup_next(&cfg, 0, at(2026, 11, 23, 2, 59)) - at(2026, 11, 23, 3, 0)), 0,
	       "schedule: a minute later");

	/* names, list, prune */
	if (mkdtemp(dir) == NULL)
		return 1;
	backup_name(at(2026, 11, 23, 6, 5), name, sizeof(name));
	ok(strcmp(name, "ddnsd-20261123T060500Z.db") == 0, "names carry the UTC time");
	touch("ddnsd-20261120T000000Z.db");
	touch("ddnsd-20261122T000000Z.db");
	touch("ddnsd-20261121T000000Z.db");
	touch("other.db");
	touch("ddnsd-notes.txt");
	n = backup_list(dir, f, 16);
	is_int(n, 3, "list: only backup files");
	ok(n == 3 && strcmp(f[0].name, "ddnsd-20261122T000000Z.db") == 0 &&
		   strcmp(f[2].name, "ddnsd-20261120T000000Z.db") == 0,
	   "list: newest first");
	is_int(backup_prune(dir, 2), 1, "prune to 2: the oldest goes");
	is_int(backup_list(dir, f, 16), 2, "two left");
	snprintf(path, sizeof(path), "%s/other.db", dir);
	ok(access(path, F_OK) == 0, "prune leaves other files alone");

	/* verify and copy */
	is_int(backup_verify(path, NULL, err, sizeof(err)), -1, "an empty file is refused");
	snprintf(path, sizeof(path), "%s/live.db", dir);
	if (db_open(path, &db) < 0)
		return 1;
	sqlite3_exec(db_sqlite(db), "INSERT INTO records (name, type, value) VALUES ('a.example', 'A', "
				    "'192.0.2.1')",
		     NULL, NULL, NULL);
	snprintf(path, sizeof(path), "%s/copy.db", dir);
	is_int(backup_copy(db_sqlite(db), path, err, sizeof(err)), 0, "online copy");
	is_int(backup_verify(path, &recs, err, sizeof(err)), 0, "the copy verifies");
	is_int((int)recs, 1, "with its record");
	{
		FILE *fp = fopen(path, "r+b");
		if (fp) {
			/* damage a page in the middle of the file */
			fseek(fp, 4096, SEEK_SET); /* page 2: a b-tree page header */
			for (int i = 0; i < 200; i++)
				fputc(0xA5, fp);
			fclose(fp);
		}
	}
	is_int(backup_verify(path, NULL, err, sizeof(err)), -1, "a damaged copy is refused");
	diag("refusal: %s", err);
	db_close(db);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		diag("cleanup failed");
	return tap_done();
}
