/* dd.h - project-wide error codes and version. */
#ifndef DD_H
#define DD_H

#include <errno.h>

#define DD_VERSION "0.1.0"

/*
 * Fallible functions return 0 or one of these negative codes.  The first
 * group mirrors errno values; the second is the project's own.
 */
enum dd_err {
	DD_OK = 0,
	DD_EINVAL = -EINVAL,
	DD_ENOMEM = -ENOMEM,
	DD_ENOSPC = -ENOSPC,
	DD_ENOENT = -ENOENT,
	DD_EEXIST = -EEXIST,
	DD_ERANGE = -ERANGE,
	DD_EAGAIN = -EAGAIN,
	DD_EIO = -EIO,
	DD_EROFS = -EROFS, /* a secondary zone: written only by its transfers */
	DD_EFORMERR = -1000, /* malformed DNS message */
	DD_ENOTIMP = -1001,  /* valid but unsupported request */
	DD_ECONFIG = -1002,  /* configuration error(s) */
	DD_EDB = -1003,      /* SQLite error */
	DD_ECORRUPT = -1004, /* inconsistent shared memory */
	DD_ETOOBIG = -1005,  /* value larger than its container */
	DD_EBADSIG = -1006,  /* a signature that does not verify */
};

/* Returns a static string naming err (negative code). */
const char *dd_strerror(int err);

#endif
