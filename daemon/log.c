/* log.c - stderr logging: "role[pid]: level: message". */
#include "daemon/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/dd.h"

static char log_role[32] = "ddnsd";
static enum log_level log_lvl = LOG_LVL_INFO;

void
log_set_role(const char *role)
{
	snprintf(log_role, sizeof(log_role), "%s", role);
}

void
log_set_level(enum log_level lvl)
{
	log_lvl = lvl;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return DD_EINVAL;
}

static void log_vemit(enum log_level lvl, const char *tag, int err, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* One write(2) per line so lines of different processes do not interleave. */
static void
log_vemit(enum log_level lvl, const char *tag, int err, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;
	int r;
	struct timespec ts;
	struct tm tm;

	if (lvl > log_lvl)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	r = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %s[%ld]: %s", tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000000, log_role, (long)getpid(), tag);
	n = r < 0 ? 0 : (size_t)r;
	if (n < sizeof(line)) {
		r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (err && n < sizeof(line)) {
		r = snprintf(line + n, sizeof(line) - n, ": %s", strerror(err));
		n += r < 0 ? 0 : (size_t)r;
	}
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}

/* Decimal digits of v, zero-padded to width w, at p; their count. */
static size_t
log_digits(char *p, unsigned long v, size_t w)
{
	char tmp[24];
	size_t n = 0, k = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n < w)
		tmp[n++] = '0';
	while (n > 0)
		p[k++] = tmp[--n];
	return k;
}

void
log_sigsafe(const char *msg)
{
	char line[512];
	size_t n = 0;
	struct timespec ts;
	unsigned long day;
	const char *parts[3] = {log_role, "[", NULL};

	clock_gettime(CLOCK_REALTIME, &ts);
	day = (unsigned long)ts.tv_sec % 86400;
	n += log_digits(line + n, day / 3600, 2);
	line[n++] = ':';
	n += log_digits(line + n, day / 60 % 60, 2);
	line[n++] = ':';
	n += log_digits(line + n, day % 60, 2);
	line[n++] = '.';
	n += log_digits(line + n, (unsigned long)ts.tv_nsec / 1000000, 3);
	line[n++] = ' ';
	for (int i = 0; parts[i] != NULL; i++)
		for (const char *s = parts[i]; *s && n < 64; s++)
			line[n++] = *s;
	n += log_digits(line + n, (unsigned long)getpid(), 1);
	for (const char *s = "]: fatal: "; *s; s++)
		line[n++] = *s;
	for (const char *s = msg; *s && n < sizeof(line) - 1; s++)
		line[n++] = *s;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}

#define LOG_BODY(lvl, tag, err)                                                                    \
	do {                                                                                       \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vemit(lvl, tag, err, fmt, ap);                                                 \
		va_end(ap);                                                                        \
	} while (0)

void
log_warn(const char *fmt, ...)
{
	int e = errno;
	LOG_BODY(LOG_LVL_WARN, "warning: ", e);
	errno = e;
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARN, "warning: ", 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_INFO, "", 0);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_DEBUG, "debug: ", 0);
}

void
fatal(const char *fmt, ...)
{
	int e = errno;
	LOG_BODY(LOG_LVL_ERROR, "fatal: ", e);
	exit(2);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERROR, "fatal: ", 0);
	exit(2);
}
