/* walbuf.c - WAL frames of a transaction in one write (see walbuf.h). */
#include "daemon/walbuf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/log.h"

#define WB_CAP      (4u << 20) /* bytes gathered before a write is forced */
/* the unix VFS writes at most 128 KiB - 1 per call (it masks larger sizes) */
#define WB_CHUNK    (124u << 10)
#define WB_HDR      24         /* WAL frame header */
#define WB_WAL_HDR  32         /* WAL file header */

struct wb_file {
	sqlite3_file base;
	sqlite3_file *real;   /* the wrapped VFS's file, allocated after this */
	bool wal;
	/* WAL files: the gathered bytes, file offset off .. off + len */
	uint8_t *buf;
	size_t len;
	sqlite3_int64 off;
	bool commit_hdr;      /* the last write was a commit frame's header */
	struct wb_file *next; /* open WAL files */
};

static sqlite3_vfs wb_vfs;
static sqlite3_vfs *wb_real;
static struct wb_file *wb_wals;
static struct walbuf_stats wb_stats;

#define REAL(f) (((struct wb_file *)(f))->real)

/* Writes out what f gathered. */
static int
wb_flush(struct wb_file *f)
{
	int rc = SQLITE_OK;

	for (size_t at = 0; at < f->len && rc == SQLITE_OK; at += WB_CHUNK) {
		size_t n = f->len - at < WB_CHUNK ? f->len - at : WB_CHUNK;
		rc = f->real->pMethods->xWrite(f->real, f->buf + at, (int)n,
					       f->off + (sqlite3_int64)at);
		wb_stats.flushes++;
	}
	f->len = 0;
	return rc;
}

static void
wb_flush_all(void)
{
	for (struct wb_file *f = wb_wals; f; f = f->next) {
		if (wb_flush(f) != SQLITE_OK) {
			/* the wal-index header is about to name these frames: no
			 * reader may see it; recovery reads the file as it is */
			log_warnx("WAL write failed before publishing a commit: stopping");
			abort();
		}
	}
}

/* ------------------------------------------------------------ WAL files */

static int
wal_close(sqlite3_file *p)
{
	struct wb_file *f = (struct wb_file *)p;
	int rc = wb_flush(f), rc2;

	for (struct wb_file **pp = &wb_wals; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
	free(f->buf);
	f->buf = NULL;
	rc2 = f->real->pMethods->xClose(f->real);
	return rc != SQLITE_OK ? rc : rc2;
}

static int
wal_read(sqlite3_file *p, void *out, int amt, sqlite3_int64 ofst)
{
	int rc = wb_flush((struct wb_file *)p);
	return rc != SQLITE_OK ? rc : REAL(p)->pMethods->xRead(REAL(p), out, amt, ofst);
}

static int
wal_write(sqlite3_file *p, const void *data, int amt, sqlite3_int64 ofst)
{
	struct wb_file *f = (struct wb_file *)p;
	size_t n = (size_t)amt;
	bool commit = f->commit_hdr;
	int rc;

	wb_stats.writes++;
	/* a frame header alone: remember whether it closes a transaction
	 * (bytes 4..7, the database size after the commit, are non-zero) */
	f->commit_hdr = n == WB_HDR && ofst >= WB_WAL_HDR &&
			memcmp((const uint8_t *)data + 4, "\0\0\0\0", 4) != 0;
	if (f->len > 0 && ofst >= f->off && ofst + amt <= f->off + (sqlite3_int64)f->len) {
		/* a frame rewritten in place (checksums redone) */
		memcpy(f->buf + (ofst - f->off), data, n);
	} else if (f->len > 0 && ofst == f->off + (sqlite3_int64)f->len && f->len + n <= WB_CAP) {
		memcpy(f->buf + f->len, data, n);
		f->len += n;
	} else {
		if ((rc = wb_flush(f)) != SQLITE_OK)
			return rc;
		if (n > WB_CHUNK)
			return f->real->pMethods->xWrite(f->real, data, amt, ofst);
		memcpy(f->buf, data, n);
		f->len = n;
		f->off = ofst;
	}
	/* the page after a commit header: the transaction's frames are all
	 * here; write them now, so that an error fails the commit */
	return commit ? wb_flush(f) : SQLITE_OK;
}

static int
wal_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	int rc = wb_flush((struct wb_file *)p);
	return rc != SQLITE_OK ? rc : REAL(p)->pMethods->xTruncate(REAL(p), size);
}

static int
wal_sync(sqlite3_file *p, int flags)
{
	int rc = wb_flush((struct wb_file *)p);
	return rc != SQLITE_OK ? rc : REAL(p)->pMethods->xSync(REAL(p), flags);
}

static int
wal_file_size(sqlite3_file *p, sqlite3_int64 *size)
{
	int rc = wb_flush((struct wb_file *)p);
	return rc != SQLITE_OK ? rc : REAL(p)->pMethods->xFileSize(REAL(p), size);
}

static int
wal_file_control(sqlite3_file *p, int op, void *arg)
{
	int rc = wb_flush((struct wb_file *)p);
	return rc != SQLITE_OK ? rc : REAL(p)->pMethods->xFileControl(REAL(p), op, arg);
}

/* --------------------------------------------- every file: pass-through */

static int
wb_close(sqlite3_file *p)
{
	return REAL(p)->pMethods->xClose(REAL(p));
}

static int
wb_read(sqlite3_file *p, void *out, int amt, sqlite3_int64 ofst)
{
	return REAL(p)->pMethods->xRead(REAL(p), out, amt, ofst);
}

static int
wb_write(sqlite3_file *p, const void *data, int amt, sqlite3_int64 ofst)
{
	return REAL(p)->pMethods->xWrite(REAL(p), data, amt, ofst);
}

static int
wb_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	return REAL(p)->pMethods->xTruncate(REAL(p), size);
}

static int
wb_sync(sqlite3_file *p, int flags)
{
	return REAL(p)->pMethods->xSync(REAL(p), flags);
}

static int
wb_file_size(sqlite3_file *p, sqlite3_int64 *size)
{
	return REAL(p)->pMethods->xFileSize(REAL(p), size);
}

static int
wb_file_control(sqlite3_file *p, int op, void *arg)
{
	return REAL(p)->pMethods->xFileControl(REAL(p), op, arg);
}

static int
wb_lock(sqlite3_file *p, int lock)
{
	return REAL(p)->pMethods->xLock(REAL(p), lock);
}

static int
wb_unlock(sqlite3_file *p, int lock)
{
	return REAL(p)->pMethods->xUnlock(REAL(p), lock);
}

static int
wb_check_reserved(sqlite3_file *p, int *out)
{
	return REAL(p)->pMethods->xCheckReservedLock(REAL(p), out);
}

static int
wb_sector_size(sqlite3_file *p)
{
	return REAL(p)->pMethods->xSectorSize(REAL(p));
}

static int
wb_device_chars(sqlite3_file *p)
{
	return REAL(p)->pMethods->xDeviceCharacteristics(REAL(p));
}

static int
wb_shm_map(sqlite3_file *p, int pg, int pgsz, int extend, void volatile **out)
{
	return REAL(p)->pMethods->xShmMap(REAL(p), pg, pgsz, extend, out);
}

static int
wb_shm_lock(sqlite3_file *p, int offset, int n, int flags)
{
	return REAL(p)->pMethods->xShmLock(REAL(p), offset, n, flags);
}

/* SQLite publishes the wal-index header between two barriers: every frame
 * it may name must be in the file first (the commit frame's write already
 * flushed them; this is the safety net). */
static void
wb_shm_barrier(sqlite3_file *p)
{
	wb_flush_all();
	REAL(p)->pMethods->xShmBarrier(REAL(p));
}

static int
wb_shm_unmap(sqlite3_file *p, int del)
{
	return REAL(p)->pMethods->xShmUnmap(REAL(p), del);
}

static int
wb_fetch(sqlite3_file *p, sqlite3_int64 ofst, int amt, void **out)
{
	return REAL(p)->pMethods->xFetch(REAL(p), ofst, amt, out);
}

static int
wb_unfetch(sqlite3_file *p, sqlite3_int64 ofst, void *page)
{
	return REAL(p)->pMethods->xUnfetch(REAL(p), ofst, page);
}

static const sqlite3_io_methods wb_io = {
	3, wb_close, wb_read, wb_write, wb_truncate, wb_sync, wb_file_size, wb_lock, wb_unlock,
	wb_check_reserved, wb_file_control, wb_sector_size, wb_device_chars, wb_shm_map,
	wb_shm_lock, wb_shm_barrier, wb_shm_unmap, wb_fetch, wb_unfetch,
};

static const sqlite3_io_methods wb_wal_io = {
	3, wal_close, wal_read, wal_write, wal_truncate, wal_sync, wal_file_size, wb_lock,
	wb_unlock, wb_check_reserved, wal_file_control, wb_sector_size, wb_device_chars,
	wb_shm_map, wb_shm_lock, wb_shm_barrier, wb_shm_unmap, wb_fetch, wb_unfetch,
};

/* ------------------------------------------------------------- the VFS */

static int
wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *p, int flags, int *out_flags)
{
	struct wb_file *f = (struct wb_file *)p;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	rc = wb_real->xOpen(wb_real, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK || f->real->pMethods == NULL) {
		f->base.pMethods = NULL;
		return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
	}
	if (f->real->pMethods->iVersion < 3) {
		/* every method above is called through: the wrapped file must
		 * have them all (the unix VFS does) */
		f->real->pMethods->xClose(f->real);
		f->base.pMethods = NULL;
		return SQLITE_CANTOPEN;
	}
	if (flags & SQLITE_OPEN_WAL) {
		if ((f->buf = malloc(WB_CAP)) == NULL) {
			f->real->pMethods->xClose(f->real);
			f->base.pMethods = NULL;
			return SQLITE_NOMEM;
		}
		f->wal = true;
		f->next = wb_wals;
		wb_wals = f;
		f->base.pMethods = &wb_wal_io;
	} else {
		f->base.pMethods = &wb_io;
	}
	return SQLITE_OK;
}

static int
wb_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return wb_real->xDelete(wb_real, name, sync_dir);
}

static int
wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return wb_real->xAccess(wb_real, name, flags, out);
}

static int
wb_full_path(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return wb_real->xFullPathname(wb_real, name, n, out);
}

static void *
wb_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return wb_real->xDlOpen(wb_real, name);
}

static void
wb_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	wb_real->xDlError(wb_real, n, msg);
}

static void (*wb_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return wb_real->xDlSym(wb_real, h, sym);
}

static void
wb_dl_close(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	wb_real->xDlClose(wb_real, h);
}

static int
wb_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return wb_real->xRandomness(wb_real, n, out);
}

static int
wb_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return wb_real->xSleep(wb_real, us);
}

static int
wb_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return wb_real->xCurrentTime(wb_real, out);
}

static int
wb_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return wb_real->xGetLastError(wb_real, n, out);
}

static int
wb_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return wb_real->xCurrentTimeInt64(wb_real, out);
}

int
walbuf_register(void)
{
	if (wb_real != NULL)
		return SQLITE_OK;
	if ((wb_real = sqlite3_vfs_find(NULL)) == NULL)
		return SQLITE_ERROR;
	wb_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct wb_file) + wb_real->szOsFile,
		.mxPathname = wb_real->mxPathname,
		.zName = WALBUF_VFS,
		.xOpen = wb_open,
		.xDelete = wb_delete,
		.xAccess = wb_access,
		.xFullPathname = wb_full_path,
		.xDlOpen = wb_dl_open,
		.xDlError = wb_dl_error,
		.xDlSym = wb_dl_sym,
		.xDlClose = wb_dl_close,
		.xRandomness = wb_randomness,
		.xSleep = wb_sleep,
		.xCurrentTime = wb_current_time,
		.xGetLastError = wb_last_error,
		.xCurrentTimeInt64 = wb_current_time64,
	};
	if (wb_real->iVersion < 2 || wb_real->xCurrentTimeInt64 == NULL)
		wb_vfs.iVersion = 1;
	return sqlite3_vfs_register(&wb_vfs, 0);
}

void
walbuf_stats(struct walbuf_stats *st)
{
	*st = wb_stats;
}
