/* SPDX-License-Identifier: MIT */
/*
 * A minimal TAP producer for the library's host tests.
 *
 *   TEST(name) { CHECK_EQ(f(), 3); REQUIRE(p != NULL); ... }
 *   int main(int argc, char **argv) { return tap_main(argc, argv); }
 *
 * Every TEST is one TAP point. CHECK* record a failure with its file, line
 * and values and go on; REQUIRE* also return from the test. Checks may run
 * in several threads; a forked child reports through its exit status
 * (tap_failures()). Each test runs under an alarm watchdog
 * (RINGMPSC_TEST_TIMEOUT seconds, default 300) so a hang fails instead of
 * blocking the suite.
 *
 * Options: -n COUNT (tap_count: messages per producer in the stress tests),
 * -l (list the tests), NAME... (run only the tests whose name contains
 * one of them).
 */
#ifndef RINGMPSC_TAP_H
#define RINGMPSC_TAP_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Which build this is: plain, tsan, asan (set by lib/tests/tests.mk). */
#ifndef RINGMPSC_TEST_BUILD
#define RINGMPSC_TEST_BUILD "plain"
#endif

#define TAP_MAX_TESTS 128

struct tap_test {
	const char *name;
	void (*fn)(void);
};

static struct tap_test tap_tests[TAP_MAX_TESTS];
static int tap_nr_tests;
static int tap_failed_checks;		/* all threads of this process */
static const char *tap_current = "";
static int tap_current_nr;
static long long tap_count = -1;	/* -n, or -1 */
static const char *tap_skip_reason;

#define TEST(name)							\
	static void name(void);						\
	__attribute__((constructor)) static void tap_reg_##name(void)	\
	{								\
		if (tap_nr_tests < TAP_MAX_TESTS)			\
			tap_tests[tap_nr_tests++] =			\
				(struct tap_test){ #name, name };	\
	}								\
	static void name(void)

static inline __attribute__((format(printf, 1, 2))) void tap_diag(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One write per line: several threads and forked children share it. */
	fflush(stdout);
	dprintf(STDOUT_FILENO, "# %s\n", buf);
}

static inline int tap_failures(void)
{
	return __atomic_load_n(&tap_failed_checks, __ATOMIC_SEQ_CST);
}

static inline __attribute__((format(printf, 3, 4))) void
tap_fail(const char *file, int line, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	__atomic_add_fetch(&tap_failed_checks, 1, __ATOMIC_SEQ_CST);
	tap_diag("%s:%d: %s", file, line, buf);
}

/* Mark the running test as skipped (it must not have failed a check). */
static inline void tap_skip(const char *reason)
{
	tap_skip_reason = reason;
}

static inline bool tap_build_is(const char *what)
{
	return strcmp(RINGMPSC_TEST_BUILD, what) == 0;
}

#define CHECK(cond) do {						\
	if (!(cond))							\
		tap_fail(__FILE__, __LINE__, "check failed: %s", #cond); \
} while (0)

#define CHECK_EQ(got, want) do {					\
	long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
	if (tap_g_ != tap_w_)						\
		tap_fail(__FILE__, __LINE__, "%s == %lld, want %s == %lld", \
			 #got, tap_g_, #want, tap_w_);			\
} while (0)

#define CHECK_EQU(got, want) do {					\
	unsigned long long tap_g_ = (unsigned long long)(got);		\
	unsigned long long tap_w_ = (unsigned long long)(want);	\
	if (tap_g_ != tap_w_)						\
		tap_fail(__FILE__, __LINE__, "%s == %llu, want %s == %llu", \
			 #got, tap_g_, #want, tap_w_);			\
} while (0)

#define REQUIRE(cond) do {						\
	if (!(cond)) {							\
		tap_fail(__FILE__, __LINE__, "required: %s", #cond);	\
		return;							\
	}								\
} while (0)

#define REQUIRE_EQ(got, want) do {					\
	long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
	if (tap_g_ != tap_w_) {						\
		tap_fail(__FILE__, __LINE__, "required %s == %lld, got %lld", \
			 #got, tap_w_, tap_g_);				\
		return;							\
	}								\
} while (0)

static inline void tap_on_alarm(int sig)
{
	char buf[200];
	int n;

	(void)sig;
	n = snprintf(buf, sizeof(buf), "# watchdog: %s did not finish\n"
		     "not ok %d - %s # timed out\n", tap_current,
		     tap_current_nr, tap_current);
	if (write(STDOUT_FILENO, buf, (size_t)n) < 0)
		_exit(3);
	_exit(1);
}

static inline bool tap_selected(const char *name, int argc, char **argv,
				int first)
{
	if (first >= argc)
		return true;
	for (int i = first; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

static inline int tap_main(int argc, char **argv)
{
	const char *t = getenv("RINGMPSC_TEST_TIMEOUT");
	unsigned int timeout = t ? (unsigned int)atoi(t) : 300;
	int first = 1, planned = 0, bad = 0, nr = 0;
	bool list = false;

	while (first < argc && argv[first][0] == '-') {
		if (!strcmp(argv[first], "-n") && first + 1 < argc) {
			tap_count = atoll(argv[first + 1]);
			first += 2;
		} else if (!strcmp(argv[first], "-l")) {
			list = true;
			first++;
		} else {
			fprintf(stderr, "usage: %s [-n COUNT] [-l] [NAME...]\n",
				argv[0]);
			return 2;
		}
	}
	for (int i = 0; i < tap_nr_tests; i++) {
		if (!tap_selected(tap_tests[i].name, argc, argv, first))
			continue;
		if (list)
			printf("%s\n", tap_tests[i].name);
		planned++;
	}
	if (list)
		return 0;
	signal(SIGALRM, tap_on_alarm);
	printf("1..%d\n", planned);
	printf("# build: %s\n", RINGMPSC_TEST_BUILD);
	fflush(stdout);
	for (int i = 0; i < tap_nr_tests; i++) {
		int before;

		if (!tap_selected(tap_tests[i].name, argc, argv, first))
			continue;
		tap_current = tap_tests[i].name;
		tap_current_nr = ++nr;
		tap_skip_reason = NULL;
		before = tap_failures();
		alarm(timeout);
		tap_tests[i].fn();
		alarm(0);
		if (tap_failures() != before) {
			bad++;
			printf("not ok %d - %s\n", nr, tap_current);
		} else if (tap_skip_reason) {
			printf("ok %d - %s # SKIP %s\n", nr, tap_current,
			       tap_skip_reason);
		} else {
			printf("ok %d - %s\n", nr, tap_current);
		}
		fflush(stdout);
	}
	return bad ? 1 : 0;
}

#endif /* RINGMPSC_TAP_H */
