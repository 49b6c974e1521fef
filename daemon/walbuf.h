/*
 * walbuf.h - an SQLite VFS for the writer's connection that writes each
 * transaction's WAL frames in one system call.
 *
 * SQLite writes a WAL frame as two pwrite()s at adjacent offsets (its
 * 24-byte header, then the page): a group commit of a few dozen changed
 * pages made a hundred calls.  The VFS "ddnsd-walbuf" wraps the default VFS
 * and gathers a WAL file's adjacent writes in a buffer, written out:
 *   - as soon as a commit frame is complete (the frame header's "database
 *     size after commit" field is non-zero), inside that same xWrite, so a
 *     failure reaches SQLite as the commit's I/O error and the commit is
 *     not published;
 *   - before any other operation on the WAL file (read, sync, truncate,
 *     size, file control, close) and when the buffer is full;
 *   - and, as a safety net, before the wal-index header is published
 *     (xShmBarrier on the database file).  A failure there cannot
 *     be returned; the process aborts before the header is complete, and
 *     the next opener recovers the WAL from what is on disk.
 * So no reader (this or another process) is ever told of a frame that is
 * not in the file, and a commit that returns has its frames in the file
 * (durable once the WAL is synced, as with the default VFS).
 *
 * Meant for one connection used by one thread (the writer's): buffers of
 * every open WAL file are flushed together.
 */
#ifndef DD_WALBUF_H
#define DD_WALBUF_H

#define WALBUF_VFS "ddnsd-walbuf"

/* Registers the VFS (not as the default); idempotent.  0 or an SQLite code. */
int walbuf_register(void);

/* WAL flushes and frames written so far in this process (tests, stats). */
struct walbuf_stats {
	unsigned long long flushes;  /* buffer writes to the file */
	unsigned long long writes;   /* xWrite calls on WAL files */
};
void walbuf_stats(struct walbuf_stats *st);

#endif
