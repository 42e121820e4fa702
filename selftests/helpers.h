/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the ringmpsc module kselftests: raw ioctl wrappers on
 * /dev/ringmpsc, unique channel names, mapping of the regions that
 * RINGMPSC_IOC_INFO describes, and small process helpers. Static functions
 * only: every *_test.c is built into its own static binary.
 *
 * Each wrapper returns 0 (or a value) on success and -errno on failure, so
 * that a test compares the errno a call got with the errno it must get.
 */
#ifndef RINGMPSC_SELFTEST_HELPERS_H
#define RINGMPSC_SELFTEST_HELPERS_H

#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <linux/ringmpsc.h>

/*
 * The harness macros compare expected and seen values of mixed signedness,
 * and the 6.1 harness has unused parameters of its own: neither is a bug
 * of the test, so -Wextra -Werror builds must not stop on them.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
/* ASSERT_* longjmp()s out of the test body, whose locals are dead then. */
#pragma GCC diagnostic ignored "-Wclobbered"
#pragma GCC diagnostic ignored "-Wmisleading-indentation"
#include "kselftest_harness.h"

#define RM_PAGE ((size_t)sysconf(_SC_PAGESIZE))

/*
 * Every name a test makes is recorded in a page shared with the harness's
 * main process, which unlinks them all when it exits: a test killed by
 * the harness's timeout, or stopped by an ASSERT before its own unlink,
 * leaves no linked channel behind (that would make the final rmmod fail).
 */
#define RM_REG_NAMES 512
struct rm_registry {
	pid_t owner;
	unsigned int n;
	char names[RM_REG_NAMES][64];
};
static struct rm_registry *rm_reg;

static int rm_unlink(const char *name);

__attribute__((constructor)) static void rm_reg_init(void)
{
	void *p = mmap(NULL, sizeof(*rm_reg), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	rm_reg = p;
	rm_reg->owner = getpid();
}

__attribute__((destructor)) static void rm_reg_cleanup(void)
{
	unsigned int i, n;

	if (!rm_reg || rm_reg->owner != getpid())
		return;
	n = __atomic_load_n(&rm_reg->n, __ATOMIC_ACQUIRE);
	for (i = 0; i < n && i < RM_REG_NAMES; i++)
		rm_unlink(rm_reg->names[i]);	/* most are gone: ENOENT */
}

/* A channel name no other test (or run) uses: prefix, pid, counter. */
static inline void rm_name(char *buf, size_t len, const char *tag)
{
	static unsigned int seq;
	struct timespec ts;
	unsigned int i;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, len, "kst-%s-%d-%u-%lx", tag, (int)getpid(), seq++,
		 (unsigned long)ts.tv_nsec);
	if (rm_reg) {
		i = __atomic_fetch_add(&rm_reg->n, 1, __ATOMIC_ACQ_REL);
		if (i < RM_REG_NAMES) {
			size_t l = strnlen(buf, sizeof(rm_reg->names[i]) - 1);

			memcpy(rm_reg->names[i], buf, l);
			rm_reg->names[i][l] = 0;
		}
	}
}

static inline int rm_dev(void)
{
	int fd = open(RINGMPSC_DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int rm_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static inline int rm_create_fd(int fd, const char *name, uint32_t slot_size,
			       uint32_t capacity, uint32_t max_producers,
			       uint32_t mode, uint32_t flags)
{
	struct ringmpsc_create c = {
		.name = (uintptr_t)name,
		.slot_size = slot_size,
		.capacity = capacity,
		.max_producers = max_producers,
		.mode = mode,
		.flags = flags,
	};

	return rm_ioctl(fd, RINGMPSC_IOC_CREATE, &c);
}

/* Create on a fresh fd of the device, which is closed again. */
static inline int rm_create(const char *name, uint32_t slot_size,
			    uint32_t capacity, uint32_t max_producers,
			    uint32_t mode, uint32_t flags)
{
	int fd = rm_dev(), ret;

	if (fd < 0)
		return fd;
	ret = rm_create_fd(fd, name, slot_size, capacity, max_producers,
			   mode, flags);
	close(fd);
	return ret;
}

static int rm_unlink(const char *name)
{
	struct ringmpsc_unlink u = { .name = (uintptr_t)name };
	int fd = rm_dev(), ret;

	if (fd < 0)
		return fd;
	ret = rm_ioctl(fd, RINGMPSC_IOC_UNLINK, &u);
	close(fd);
	return ret;
}

static inline int rm_attach_fd(int fd, const char *name, uint32_t role,
			       uint32_t *ring, uint32_t *gen)
{
	struct ringmpsc_attach a = {
		.name = (uintptr_t)name,
		.role = role,
	};
	int ret = rm_ioctl(fd, RINGMPSC_IOC_ATTACH, &a);

	if (!ret && ring)
		*ring = a.ring;
	if (!ret && gen)
		*gen = a.generation;
	return ret;
}

/* Open a new fd and attach it; returns the fd or -errno. */
static inline int rm_attach(const char *name, uint32_t role, uint32_t *ring,
			    uint32_t *gen)
{
	int fd = rm_dev(), ret;

	if (fd < 0)
		return fd;
	ret = rm_attach_fd(fd, name, role, ring, gen);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static inline int rm_info(int fd, struct ringmpsc_info *info)
{
	memset(info, 0, sizeof(*info));
	return rm_ioctl(fd, RINGMPSC_IOC_INFO, info);
}

static inline int rm_stats(int fd, struct ringmpsc_stats *st)
{
	memset(st, 0, sizeof(*st));
	return rm_ioctl(fd, RINGMPSC_IOC_STATS, st);
}

static inline int rm_recycle(int fd, uint32_t ring, uint32_t gen)
{
	struct ringmpsc_recycle r = { .ring = ring, .generation = gen };

	return rm_ioctl(fd, RINGMPSC_IOC_RECYCLE, &r);
}

static inline int rm_wake(int fd, uint32_t ring)
{
	struct ringmpsc_wake w = { .ring = ring };

	return rm_ioctl(fd, RINGMPSC_IOC_WAKE, &w);
}

static inline int rm_set_eventfd(int fd, int efd)
{
	struct ringmpsc_eventfd e = { .fd = efd };

	return rm_ioctl(fd, RINGMPSC_IOC_SET_EVENTFD, &e);
}

/* mmap returning the address or NULL with errno set. */
static inline void *rm_map(int fd, size_t len, int prot, off_t off)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

/* -errno of a mapping attempt, 0 (and unmapped again) if it succeeded. */
static inline int rm_map_err(int fd, size_t len, int prot, off_t off)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	return 0;
}

static inline off_t rm_ring_off(const struct ringmpsc_offsets *o,
				uint32_t ring, uint64_t region_off)
{
	return (off_t)(o->ring_base + ring * o->ring_stride + region_off);
}

/* Control area entries. */
static inline const struct ringmpsc_ctrl_header *
rm_ctrl_hdr(const void *ctrl, const struct ringmpsc_offsets *o)
{
	return (const struct ringmpsc_ctrl_header *)
		((const char *)ctrl + o->ctrl_header_off);
}

static inline const struct ringmpsc_ctrl_ring *
rm_ctrl_ring(const void *ctrl, const struct ringmpsc_offsets *o, uint32_t i)
{
	return (const struct ringmpsc_ctrl_ring *)
		((const char *)ctrl + o->ctrl_ring_off + i * o->ctrl_ring_stride);
}

static inline uint32_t rm_ring_state(const void *ctrl,
				     const struct ringmpsc_offsets *o, uint32_t i)
{
	return __atomic_load_n(&rm_ctrl_ring(ctrl, o, i)->state, __ATOMIC_ACQUIRE);
}

static inline uint32_t rm_ring_gen(const void *ctrl,
				   const struct ringmpsc_offsets *o, uint32_t i)
{
	return __atomic_load_n(&rm_ctrl_ring(ctrl, o, i)->generation,
			       __ATOMIC_ACQUIRE);
}

/*
 * Run @fn(arg) in a child and return how it ended: the exit status
 * (0..255), or 1000 + signal number if it was killed by a signal, or
 * -errno if it could not be forked or waited for.
 */
static inline int rm_in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(fn(arg) & 0xff);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static sigjmp_buf rm_fault_env;

static void rm_fault_handler(int sig)
{
	siglongjmp(rm_fault_env, sig);
}

/*
 * Touch one byte at @addr, reading it or writing back the value read.
 * Returns 0 if that worked, or the signal (SIGSEGV, SIGBUS) it raised.
 */
static inline int rm_probe(volatile unsigned char *addr, int write)
{
	struct sigaction sa = { .sa_handler = rm_fault_handler }, old_segv, old_bus;
	volatile int sig;

	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	sig = sigsetjmp(rm_fault_env, 1);
	if (!sig) {
		unsigned char v = *addr;

		if (write)
			*addr = v;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return sig;
}

static inline uint64_t rm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * How many messages an event-loop hand-off passes (stream_test,
 * evloop_test): RINGMPSC_STREAM_N from the environment (a slow kernel, the
 * debug kernel's checkers), else @dflt.
 */
static inline uint64_t rm_handoffs(uint64_t dflt)
{
	const char *s = getenv("RINGMPSC_STREAM_N");

	return s && *s ? strtoull(s, NULL, 10) : dflt;
}

/* Cheap per-message checksum (FNV-1a 64) of @len bytes. */
static inline uint64_t rm_fnv(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* splitmix64: deterministic payload generator, seeded per (producer, seq). */
static inline uint64_t rm_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* ---- module parameters and the per-uid account -------------------------- */

#define RM_PARAMS "/sys/module/ringmpsc/parameters/"

/* A field of /proc/meminfo ("MemFree", "MemAvailable") in kB, or -1. */
static inline long rm_meminfo_kb(const char *field)
{
	char line[128], name[64];
	long kb;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %ld kB", name, &kb) == 2 &&
		    !strcmp(name, field)) {
			fclose(f);
			return kb;
		}
	fclose(f);
	return -1;
}

/* The number in file @path (a sysctl, a parameter), or -1. */
static inline long rm_read_long(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0] ? strtol(buf, NULL, 10) : -1;
}

static inline int rm_write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", v) > 0 ? 0 : -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/* A module parameter's value, or -1. */
static inline long rm_param_get(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), RM_PARAMS "%s", name);
	return rm_read_long(path);
}

static inline int rm_param_set(const char *name, long v)
{
	char path[128];

	snprintf(path, sizeof(path), RM_PARAMS "%s", name);
	return rm_write_long(path, v);
}

/* The module's reference count (linked channels plus open files: rmmod
 * succeeds at 0), or -1.
 */
static inline long rm_module_refcnt(void)
{
	FILE *f = fopen("/sys/module/ringmpsc/refcnt", "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * The bytes the smallest channel (8-byte slots, 2 of them, one ring)
 * charges its owner, found as the least bytes_per_user with which the
 * caller, owning nothing, can create it (STATS counts only rings).
 * Leaves bytes_per_user at that value; -1 if none up to 1 MiB works.
 */
static inline long rm_account_unit(const char *name)
{
	long lo = 0, hi = 1L << 20, mid;	/* create fails at lo, works at hi */

	if (rm_param_set("bytes_per_user", hi) ||
	    rm_create(name, 8, 2, 1, 0600, RINGMPSC_CREATE_EXCL))
		return -1;
	rm_unlink(name);
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (rm_param_set("bytes_per_user", mid))
			return -1;
		if (rm_create(name, 8, 2, 1, 0600, RINGMPSC_CREATE_EXCL)) {
			lo = mid;
		} else {
			rm_unlink(name);
			hi = mid;
		}
	}
	return rm_param_set("bytes_per_user", hi) ? -1 : hi;
}

struct rm_account_probe {
	uid_t uid;
	const char *name;	/* and "<name>-2": names no one else uses */
};

static inline int rm_account_empty_fn(void *arg)
{
	const struct rm_account_probe *a = arg;
	char second[300];
	int ret;

	if (a->uid && (setgroups(0, NULL) || setresgid(a->uid, a->uid, a->uid) ||
		       setresuid(a->uid, a->uid, a->uid)))
		return 200;
	snprintf(second, sizeof(second), "%s-2", a->name);
	ret = rm_create(a->name, 8, 2, 1, 0600, RINGMPSC_CREATE_EXCL);
	if (ret)
		return 100 - ret;
	ret = rm_create(second, 8, 2, 1, 0600, RINGMPSC_CREATE_EXCL);
	rm_unlink(second);
	rm_unlink(a->name);
	return ret == -ENOSPC ? 0 : 50;
}

/*
 * Does @uid own no memory of the module? With bytes_per_user at
 * rm_account_unit(): one smallest channel fits, a second does not (so
 * the check can fail). 0 if so; 100 + errno if the first did not fit
 * (bytes are left in the account); 50 if the second fit (the limit was
 * not applied); 200 if the uid could not be taken.
 */
static inline int rm_account_empty(uid_t uid, const char *name)
{
	struct rm_account_probe a = { .uid = uid, .name = name };

	return rm_in_child(rm_account_empty_fn, &a);
}

#endif /* RINGMPSC_SELFTEST_HELPERS_H */
