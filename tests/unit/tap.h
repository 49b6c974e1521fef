/*
 * tap.h - minimal TAP producer for the unit tests (header-only).
 *
 * ok() and is_int() print "ok N - ..." or "not ok N - ..."; skip() prints
 * "ok N # SKIP reason" for a check that cannot run here (a tool or an address
 * family missing), which tests/run-unit.sh counts apart from the passes.
 */
#ifndef DD_TAP_H
#define DD_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed, tap_skipped;

static inline void tap_okv(int cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline void
tap_okv(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
}

static inline void tap_skipv(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A check that could not run: TAP's "ok N # SKIP reason", never a pass. */
static inline void
tap_skipv(const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	tap_skipped++;
	printf("ok %d # SKIP ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define ok(cond, ...) tap_okv(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...)                                                                     \
	do {                                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		tap_okv(g_ == w_, __FILE__, __LINE__, __VA_ARGS__);                                \
		if (g_ != w_)                                                                      \
			printf("#   got %lld, want %lld\n", g_, w_);                                   \
	} while (0)
#define skip(...) tap_skipv(__VA_ARGS__)
#define diag(...)                                                                                  \
	do {                                                                                       \
		printf("# ");                                                                      \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
	} while (0)

/* Prints the plan and returns the exit status for main(). */
static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_skipped)
		printf("# %d of %d skipped\n", tap_skipped, tap_n);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif
