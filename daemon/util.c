/* util.c - small helpers shared by every part of the daemon. */
#include "daemon/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "daemon/dd.h"

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
	case DD_EBADSIG:
		return "signature does not verify";
	default:
		return err < 0 ? strerror(-err) : "unknown error";
	}
}

int
util_mkdir_parents(const char *path, mode_t mode)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

uint64_t
util_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
util_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n && v; i++)
		free(v[i]);
	free(v);
}


bool
util_is_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}
