/* util.h - small helpers with no better home. */
#ifndef DD_UTIL_H
#define DD_UTIL_H

#include <stdint.h>
#include <sys/types.h>

/* Creates the missing parent directories of path (not path itself).
 * Returns 0 or -1 with errno set. */
int util_mkdir_parents(const char *path, mode_t mode);

/* Monotonic clock in milliseconds. */
uint64_t util_now_ms(void);

#endif
