/* sqlhelp.h - run SQL on a database file behind the daemon's back (tests only). */
#ifndef DD_TEST_SQLHELP_H
#define DD_TEST_SQLHELP_H

#include <stdio.h>

#include <sqlite3.h>

/* Executes sql on the file at path with its own connection; 0 or -1. */
static inline int
exec_sql(const char *path, const char *sql)
{
	sqlite3 *h;
	int rc;
	if (sqlite3_open(path, &h) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -1;
}

/* The first column of the first row of sql on the file at path, or -1. */
static inline long
scalar_sql(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long v = -1;
	if (sqlite3_open(path, &h) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* What a store walk's callback saw: the rows as text, one line each. */
struct seen {
	int n;
	char row[8][200];
	int stop_at; /* return 7 from this call on (0: never) */
};

/* Notes one row; returns 7 (stop the walk) from the stop_at-th on. */
static inline int
seen_add(struct seen *s, const char *line)
{
	if (s->n < 8)
		snprintf(s->row[s->n], sizeof(s->row[0]), "%s", line);
	s->n++;
	return s->stop_at && s->n >= s->stop_at ? 7 : 0;
}

#endif
