/*
 * test_walbuf.c - the writer's VFS: a transaction's WAL frames in few
 * writes, and never a committed frame only in memory.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/walbuf.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/ddnsd-test-walbuf.XXXXXX";

static long long
one_int(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
run(sqlite3 *h, const char *sql)
{
	return sqlite3_exec(h, sql, NULL, NULL, NULL);
}

/* Copies the database and its WAL as they are in the file system now
 * (a crash's view: what is only in the process's memory is lost). */
static int
snapshot(const char *from, const char *to)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "cp %s %s && cp %s-wal %s-wal && rm -f %s-shm", from, to, from,
		 to, to);
	return system(cmd);
}

int
main(void)
{
	char path[256], copy[256], sql[256];
	sqlite3 *w = NULL, *r = NULL, *c = NULL;
	struct walbuf_stats a, b;
	int bad = 0;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/w.db", dir);
	snprintf(copy, sizeof(copy), "%s/copy.db", dir);

	is_int(walbuf_register(), SQLITE_OK, "the VFS registers");
	is_int(walbuf_register(), SQLITE_OK, "a second registration is harmless");
	ok(sqlite3_vfs_find(WALBUF_VFS) != NULL, "it is found by name");
	ok(sqlite3_vfs_find(NULL) != sqlite3_vfs_find(WALBUF_VFS), "it is not the default");

	is_int(sqlite3_open_v2(path, &w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, WALBUF_VFS),
	       SQLITE_OK, "a connection opens through it");
	is_int(run(w, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
		      "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB);"),
	       SQLITE_OK, "WAL mode, a table");
	is_int(sqlite3_open_v2(path, &r, SQLITE_OPEN_READONLY, NULL), SQLITE_OK,
	       "a reader on the default VFS");

	/* every commit is visible to the other connection at once, and in the
	 * file (a copy taken right after the commit has it) */
	for (int i = 0; i < 40; i++) {
		snprintf(sql, sizeof(sql),
			 "BEGIN; INSERT INTO t (v) SELECT randomblob(900) FROM "
			 "(WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
			 "WHERE x < %d) SELECT x FROM n); COMMIT;",
			 1 + i % 7);
		if (run(w, sql) != SQLITE_OK)
			bad++;
		else if (one_int(r, "SELECT count(*) FROM t") !=
			 one_int(w, "SELECT count(*) FROM t"))
			bad++;
	}
	is_int(bad, 0, "40 commits: each seen by a reader of the file right away");
	ok(snapshot(path, copy) == 0, "a crash's view of the files");
	is_int(sqlite3_open_v2(copy, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK, "it opens");
	is_int(one_int(c, "SELECT count(*) FROM t"), one_int(w, "SELECT count(*) FROM t"),
	       "and holds every committed row");
	sqlite3_close(c);

	/* frames are gathered: a transaction of many pages, few writes */
	walbuf_stats(&a);
	is_int(run(w, "BEGIN; INSERT INTO t (v) SELECT randomblob(3000) FROM "
		      "(WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
		      "WHERE x < 60) SELECT x FROM n); COMMIT;"),
	       SQLITE_OK, "a commit of about 60 pages");
	walbuf_stats(&b);
	ok(b.writes - a.writes >= 100, "SQLite wrote its frames in %llu calls",
	   b.writes - a.writes);
	ok(b.flushes - a.flushes <= 4, "they reached the file in %llu", b.flushes - a.flushes);

	/* larger than the buffer and than one write of the unix VFS */
	is_int(run(w, "BEGIN; INSERT INTO t (v) SELECT randomblob(60000) FROM "
		      "(WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
		      "WHERE x < 200) SELECT x FROM n); COMMIT;"),
	       SQLITE_OK, "a 12 MB transaction");
	is_int(one_int(r, "SELECT count(*) FROM t WHERE length(v) = 60000"), 200,
	       "the reader sees all of it");

	/* a rolled-back transaction that spilled frames leaves nothing */
	is_int(run(w, "PRAGMA cache_size = 8; BEGIN; UPDATE t SET v = randomblob(950);"
		      "ROLLBACK; PRAGMA cache_size = -2000;"),
	       SQLITE_OK, "a large transaction rolled back after spilling pages");
	is_int(run(w, "INSERT INTO t (v) VALUES (x'01')"), SQLITE_OK, "then a small commit");
	is_int(one_int(r, "SELECT count(*) FROM t WHERE v = x'01'"), 1, "is seen");
	is_int(one_int(r, "SELECT count(*) FROM t WHERE length(v) = 950"), 0,
	       "and nothing of the rolled-back one");

	/* checkpoints read the WAL back through the VFS */
	is_int(run(w, "PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK, "a checkpoint");
	is_int(run(w, "INSERT INTO t (v) VALUES (x'02')"), SQLITE_OK, "a commit after the WAL restarts");
	ok(snapshot(path, copy) == 0, "another crash's view");
	is_int(sqlite3_open_v2(copy, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK, "it opens");
	is_int(one_int(c, "SELECT count(*) FROM t"), one_int(w, "SELECT count(*) FROM t"),
	       "with every row");
	{
		sqlite3_stmt *st;
		const char *res = "";
		if (sqlite3_prepare_v2(c, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			res = (const char *)sqlite3_column_text(st, 0);
		ok(res && strcmp(res, "ok") == 0, "integrity_check: %s", res ? res : "?");
		sqlite3_finalize(st);
	}
	sqlite3_close(c);

	/* the file cannot grow (a full disk, as far as the writes can tell):
	 * the commit fails with an error, nothing of it is seen, and the
	 * connection works again once there is room */
	{
		struct rlimit was, lim;
		struct stat sb;
		char wal[300];
		long long before = one_int(r, "SELECT count(*) FROM t");
		int rc;

		snprintf(wal, sizeof(wal), "%s-wal", path);
		signal(SIGXFSZ, SIG_IGN);
		getrlimit(RLIMIT_FSIZE, &was);
		stat(wal, &sb);
		lim = was;
		lim.rlim_cur = (rlim_t)sb.st_size + 16384;
		ok(setrlimit(RLIMIT_FSIZE, &lim) == 0, "files may grow by 16 KiB only");
		rc = run(w, "BEGIN; INSERT INTO t (v) SELECT randomblob(1000) FROM "
			    "(WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
			    "WHERE x < 100) SELECT x FROM n); COMMIT;");
		ok(rc != SQLITE_OK, "a 100 KB commit fails (%s)", sqlite3_errstr(rc));
		run(w, "ROLLBACK");
		setrlimit(RLIMIT_FSIZE, &was);
		is_int(one_int(r, "SELECT count(*) FROM t"), before, "the reader sees none of it");
		is_int(one_int(w, "SELECT count(*) FROM t"), before, "nor does the writer");
		is_int(run(w, "INSERT INTO t (v) VALUES (x'03')"), SQLITE_OK,
		       "with room again, the next commit succeeds");
		is_int(one_int(r, "SELECT count(*) FROM t"), before + 1, "and is seen");
	}

	sqlite3_close(r);
	is_int(sqlite3_close(w), SQLITE_OK, "the connection closes");
	is_int(sqlite3_open_v2(path, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK, "reopened");
	is_int(one_int(c, "SELECT count(*) FROM t WHERE v IN (x'02', x'03')"), 2,
	       "the last commits are there");
	sqlite3_close(c);

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		diag("cleanup of %s failed", dir);
	return tap_done();
}
