// SPDX-License-Identifier: MIT
/* ringbench: helpers shared by every contender. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

bool g_count_syscalls = true;
double g_ns_per_tick = 1;
__thread struct pace_stats t_pace;

void tsc_calibrate(void)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	uint64_t t0 = now_ns(), c0 = rdtsc(), t1, c1;

	nanosleep(&pause, NULL);
	t1 = now_ns();
	c1 = rdtsc();
	g_ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ringbench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (errno %d: %s)\n", errno, strerror(errno));
	va_end(ap);
	exit(2);
}

void *shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu", len);
	return p;
}

void shared_free(void *p, size_t len)
{
	munmap(p, len);
}

int pin_cpu(int cpu)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	CPU_SET(n > 1 ? cpu % n : 0, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int unpin(void)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	for (long i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int thread_on_cpu(pthread_t *th, int cpu, void *(*fn)(void *), void *arg)
{
	pthread_attr_t a;
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int err;

	CPU_ZERO(&set);
	CPU_SET(n > 1 ? cpu % n : 0, &set);
	pthread_attr_init(&a);
	pthread_attr_setaffinity_np(&a, sizeof(set), &set);
	err = pthread_create(th, &a, fn, arg);
	pthread_attr_destroy(&a);
	if (err)
		die("pthread_create");
	return 0;
}

/* The raw_syscalls:sys_enter tracepoint id, or -1. */
static long sys_enter_id(void)
{
	static long id = -2;
	FILE *f;

	if (id != -2)
		return id;
	id = -1;
	f = fopen("/sys/kernel/tracing/events/raw_syscalls/sys_enter/id", "r");
	if (!f)
		f = fopen("/sys/kernel/debug/tracing/events/raw_syscalls/sys_enter/id", "r");
	if (f) {
		if (fscanf(f, "%ld", &id) != 1)
			id = -1;
		fclose(f);
	}
	return id;
}

/* Count this thread's system calls from now: a perf tracepoint counter.
 * *fd = -1 when unavailable.
 */
uint64_t syscalls_begin(int *fd)
{
	struct perf_event_attr a;
	long id = g_count_syscalls ? sys_enter_id() : -1;

	*fd = -1;
	if (id < 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = (uint64_t)id;
	a.disabled = 1;
	a.exclude_kernel = 0;
	*fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (*fd < 0) {
		*fd = -1;
		return 0;
	}
	ioctl(*fd, PERF_EVENT_IOC_RESET, 0);
	ioctl(*fd, PERF_EVENT_IOC_ENABLE, 0);
	return 0;
}

/* System calls since syscalls_begin(), not counting this read itself;
 * UINT64_MAX when not counted.
 */
uint64_t syscalls_end(int fd)
{
	uint64_t v = 0;

	if (fd < 0)
		return UINT64_MAX;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		v = UINT64_MAX;
	else if (v > 0)
		v--;		/* this read */
	close(fd);
	return v;
}

void remove_stale_tmp(const char *prefix)
{
	size_t len = strlen(prefix);
	DIR *d = opendir("/tmp");
	struct dirent *e;
	char path[300];

	while (d && (e = readdir(d))) {
		long pid;

		if (strncmp(e->d_name, prefix, len))
			continue;
		pid = strtol(e->d_name + len, NULL, 10);
		if (pid <= 0 || !(kill((pid_t)pid, 0) && errno == ESRCH))
			continue;
		snprintf(path, sizeof(path), "/tmp/%s", e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
}

uint64_t expected_sum(const struct tp_ctx *c)
{
	uint64_t n = c->per_prod, sum = 0;

	for (uint32_t p = 0; p < c->p.nprod; p++)
		sum += msg_value(p, 0) * n + n * (n - 1) / 2;
	return sum;
}
