/* log.h - stderr logging with role and pid on every line. */
#ifndef DD_LOG_H
#define DD_LOG_H

#include <stdarg.h>
#include <stdnoreturn.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Sets the role printed on each line ("master", "dns[1]", "http"). */
void log_set_role(const char *role);
void log_set_level(enum log_level lvl);
/* Parses "error|warn|info|debug"; returns 0 or DD_EINVAL. */
int log_level_parse(const char *s, enum log_level *out);

/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One "fatal: " line from a signal handler: async-signal-safe (no stdio,
 * no allocation, one write(2)); whatever the level. */
void log_sigsafe(const char *msg);
/* Log and exit(2): only before serving starts or on broken internal state. */
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
