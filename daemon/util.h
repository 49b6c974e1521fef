/* util.h - small helpers with no better home. */
#ifndef DD_UTIL_H
#define DD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Creates the missing parent directories of path (not path itself).
 * Returns 0 or -1 with errno set. */
int util_mkdir_parents(const char *path, mode_t mode);

/* Monotonic clock in milliseconds. */
uint64_t util_now_ms(void);

/* True if s is one or more ASCII digits and nothing else. */
bool util_is_digits(const char *s);

/* Frees n malloc'd strings and the array that holds them (NULL: nothing). */
void util_strv_free(char **v, size_t n);

#endif
