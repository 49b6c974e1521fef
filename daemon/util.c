/* util.c - small helpers shared by every part of the daemon. */
#include "daemon/dd.h"

#include <string.h>

const char *
dd_strerror(int err)
{
	switch (err) {
	case DD_OK:
		return "success";
	case DD_EFORMERR:
		return "malformed DNS message";
	case DD_ENOTIMP:
		return "not implemented";
	case DD_ECONFIG:
		return "configuration error";
	case DD_EDB:
		return "database error";
	case DD_ECORRUPT:
		return "shared memory is inconsistent";
	case DD_ETOOBIG:
		return "value too large";
	default:
		return err < 0 ? strerror(-err) : "unknown error";
	}
}
