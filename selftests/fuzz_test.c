// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test: a seeded, randomized fuzzer of everything user space can do
 * to the module, and a check that the module is consistent afterwards.
 *
 * Worker processes (and the children they fork) run random
 * sequences of: every ioctl with random and boundary arguments (names
 * that are empty, too long, unterminated, straddling an unmapped page;
 * geometries at and beyond each limit; random command numbers and
 * sizes), mmap/munmap/mprotect/mremap/madvise of random regions, offsets
 * and lengths, reads and writes of the mappings, fork, close, dup,
 * SCM_RIGHTS passing, SIGKILL, unshare of the IPC and user namespaces and
 * setuid to other uids. Each op's result is checked against spec.md: an
 * ioctl error outside the documented errnos, a mapping of a region the
 * role may not write that succeeds writable, a read-only mapping that
 * becomes writable, a mapping that grows, a live mapping that faults on
 * read: each is a failure that names the seed, the process and the op.
 *
 * Afterwards (all processes gone, every name unlinked): the module holds
 * no reference (its refcnt is 0: no linked channel, no open file, so
 * rmmod would succeed), every uid's account is empty (a channel that
 * takes exactly bytes_per_user can be created, a second one cannot), and
 * the kernel logged no warning since the run began.
 *
 * Environment: RINGMPSC_FUZZ_SEED (default: from the clock; printed),
 * RINGMPSC_FUZZ_OPS (ops of the workers, default 100000; forked children
 * add theirs), RINGMPSC_FUZZ_WORKERS (default 4, at most 16). A seed gives
 * every process the same sequence of ops and arguments again; how the
 * processes interleave is the scheduler's, so what each op meets (and the
 * op that fails first) may differ between runs of one seed. Fewer
 * workers make a failure easier to follow.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <grp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <sys/klog.h>
#include <sys/socket.h>

#include "helpers.h"

#define FZ_WORKERS	4	/* default */
#define FZ_WORKERS_MAX	16
#define FZ_NAMES	6	/* channel names shared by all processes */
#define FZ_FDS		12	/* ringmpsc fds a process keeps */
#define FZ_MAPS		24	/* mappings a process keeps */
#define FZ_KIDS		2	/* children a process has at once */
#define FZ_DEPTH	2	/* workers fork children, which fork once more */
#define FZ_KID_OPS	2000	/* most ops a child runs */
#define FZ_DEFAULT_OPS	100000
#define FZ_UIDS		3	/* setuid goes to FZ_UID0 + 0..FZ_UIDS-1 */
#define FZ_UID0		1000
/* unshare() calls of a run: the kernel frees each IPC namespace after a
 * grace period of its own, one after the other, so thousands of them
 * take minutes to go (on the debug kernel, most of an hour).
 */
#define FZ_UNSHARES	256
#define FZ_NS_WAIT	900	/* s, for the run's namespaces to be freed */
#define FZ_MAX_OPS	32	/* entries of fz_ops[] */
/* Limits during the run: small, so that EMFILE and ENOSPC come often and
 * the VM's memory is never at stake (uids x bytes).
 */
#define FZ_CHANNELS_PER_USER	4
#define FZ_BYTES_PER_USER	(2L << 20)

/* Shared by every process of the run (MAP_SHARED anonymous). */
struct fz_shared {
	uint64_t seed;
	uint64_t procs;		/* processes that ran ops */
	uint64_t unshares;	/* unshare() calls made */
	/* per op: runs, successes, time in it (children's ops included) */
	uint64_t calls[FZ_MAX_OPS], oks[FZ_MAX_OPS], ns[FZ_MAX_OPS];
	int failed;
	char failure[512];
	char names[FZ_NAMES][RINGMPSC_NAME_MAX + 1];
};

static struct fz_shared *fz_sh;

struct fz_map {
	unsigned char *addr;	/* NULL: slot free */
	size_t len;
	int prot;
	bool may_write;		/* the role may write this region */
};

/* One process's state. A child starts from a copy of its parent's. */
struct fz {
	uint64_t rng;
	uint64_t budget;	/* ops left */
	uint64_t opno;
	unsigned int cur;	/* index in fz_ops[] of the op running */
	unsigned int depth;
	char who[32];		/* w<worker>[.<child>...] */
	int fds[FZ_FDS];
	int efd;
	int sock[2];
	struct fz_map maps[FZ_MAPS];
	pid_t kids[FZ_KIDS];
	unsigned int nkids_ever;
	uint32_t last_ring, last_gen;	/* of the last producer ATTACH */
	unsigned char *guard;	/* two pages, the second PROT_NONE */
};

static uint64_t fz_rand(struct fz *z)
{
	z->rng = rm_mix(z->rng);
	return z->rng;
}

static unsigned int fz_below(struct fz *z, unsigned int n)
{
	return n ? (unsigned int)(fz_rand(z) % n) : 0;
}

static bool fz_chance(struct fz *z, unsigned int percent)
{
	return fz_below(z, 100) < percent;
}

/* The first failure of the run is kept for the parent; every one is
 * printed. The process ends: what it would do next proves nothing.
 */
static void __attribute__((format(printf, 3, 4), noreturn))
fz_fail(struct fz *z, const char *op, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!__atomic_exchange_n(&fz_sh->failed, 1, __ATOMIC_ACQ_REL))
		snprintf(fz_sh->failure, sizeof(fz_sh->failure),
			 "seed 0x%llx, process %s, op %llu (%s): %s",
			 (unsigned long long)fz_sh->seed, z->who,
			 (unsigned long long)z->opno, op, msg);
	fprintf(stderr, "# fuzz FAILED: seed 0x%llx, process %s, op %llu (%s): %s\n",
		(unsigned long long)fz_sh->seed, z->who,
		(unsigned long long)z->opno, op, msg);
	_exit(1);
}

/* ---- ioctl results against spec.md's error table ------------------------ */

/* Errnos any ioctl may give (spec.md, "ioctl errors": common to all). */
static const int fz_common_errs[] = { EINVAL, EFAULT, ENOTTY, 0 };
static const int fz_create_errs[] = { ENAMETOOLONG, EEXIST, EMFILE, ENOSPC,
				      ENOMEM, 0 };
static const int fz_attach_errs[] = { ENAMETOOLONG, ENOENT, EACCES, EISCONN,
				      EBUSY, EMFILE, ENOSPC, ENOMEM, 0 };
static const int fz_notconn_errs[] = { ENOTCONN, 0 };
static const int fz_efd_errs[] = { ENOTCONN, EBADF, 0 };
static const int fz_recycle_errs[] = { ENOTCONN, EACCES, ESTALE, ENOTEMPTY, 0 };
static const int fz_unlink_errs[] = { ENAMETOOLONG, ENOENT, EACCES, 0 };

static bool fz_in(const int *errs, int err)
{
	for (; *errs; errs++)
		if (*errs == err)
			return true;
	return false;
}

/* Count the op's result; an errno @errs does not document fails the run. */
static void fz_result(struct fz *z, const char *op, int ret, const int *errs)
{
	if (!ret) {
		__atomic_fetch_add(&fz_sh->oks[z->cur], 1, __ATOMIC_RELAXED);
		return;
	}
	if (ret > 0 || (!fz_in(fz_common_errs, -ret) && !fz_in(errs, -ret)))
		fz_fail(z, op, "undocumented result %d (%s)", ret,
			ret < 0 ? strerror(-ret) : "positive");
}

/* ---- arguments ----------------------------------------------------------- */

static uint32_t fz_pick_u32(struct fz *z, const uint32_t *v, unsigned int n)
{
	/* mostly a listed value (valid ones and the boundaries), else any */
	return fz_chance(z, 90) ? v[fz_below(z, n)] : (uint32_t)fz_rand(z);
}

#define FZ_PICK(z, arr) fz_pick_u32(z, arr, sizeof(arr) / sizeof(arr[0]))

static const uint32_t fz_slot_sizes[] = { 8, 8, 64, 64, 512, 4096, 0, 4, 12,
					  4104, 65536 };
static const uint32_t fz_capacities[] = { 2, 4, 16, 64, 64, 256, 1024, 0, 1,
					  3, 1U << 24, 1U << 25 };
static const uint32_t fz_producers[] = { 1, 2, 3, 4, 8, 64, 1024, 0, 1025 };
static const uint32_t fz_modes[] = { 0600, 0666, 0622, 0644, 0, 01000 };

enum fz_name_kind { FZ_NAME_OK, FZ_NAME_BAD };

/*
 * A name argument: mostly one of the shared names (one of them is 255
 * bytes, the longest there is), else a bad one: empty, with '/', 256
 * bytes without NUL, NULL, running into an unmapped page.
 */
static uint64_t fz_name(struct fz *z, enum fz_name_kind *kind)
{
	static char bad[RINGMPSC_NAME_MAX + 2];
	unsigned char *end = z->guard + RM_PAGE;

	*kind = FZ_NAME_BAD;
	switch (fz_below(z, 16)) {
	case 0:
		return (uintptr_t)"";
	case 1:
		return (uintptr_t)"fz/slash";
	case 2:
		memset(bad, 'n', sizeof(bad) - 1);
		return (uintptr_t)bad;
	case 3:
		return fz_chance(z, 50) ? 0 : 16;
	case 4:
		memset(end - 8, 'g', 8);	/* no NUL before the guard */
		return (uintptr_t)(end - 8);
	default:
		*kind = FZ_NAME_OK;
		return (uintptr_t)fz_sh->names[fz_below(z, FZ_NAMES)];
	}
}

/* An fd of the table, or -1 if it is empty. */
static int fz_fd(struct fz *z)
{
	unsigned int i, start = fz_below(z, FZ_FDS);

	for (i = 0; i < FZ_FDS; i++)
		if (z->fds[(start + i) % FZ_FDS] >= 0)
			return z->fds[(start + i) % FZ_FDS];
	return -1;
}

static int *fz_free_fd_slot(struct fz *z)
{
	unsigned int i;

	for (i = 0; i < FZ_FDS; i++)
		if (z->fds[i] < 0)
			return &z->fds[i];
	return NULL;
}

/* Keep @fd in the table, or close it if the table is full. */
static void fz_keep_fd(struct fz *z, int fd)
{
	int *slot = fz_free_fd_slot(z);

	if (slot)
		*slot = fd;
	else
		close(fd);
}

/* ---- ioctls --------------------------------------------------------------- */

static void op_open(struct fz *z)
{
	int fd = rm_dev();

	if (fd < 0)
		fz_fail(z, "open", "open " RINGMPSC_DEVICE ": %s", strerror(-fd));
	fz_keep_fd(z, fd);
	fz_result(z, "open", 0, fz_common_errs);
}

static void op_create(struct fz *z)
{
	struct ringmpsc_create c = { 0 };
	enum fz_name_kind kind;
	int fd = fz_fd(z), ret;
	bool valid;

	if (fd < 0)
		return op_open(z);
	c.name = fz_name(z, &kind);
	c.slot_size = FZ_PICK(z, fz_slot_sizes);
	c.capacity = FZ_PICK(z, fz_capacities);
	c.max_producers = FZ_PICK(z, fz_producers);
	c.mode = FZ_PICK(z, fz_modes);
	c.flags = fz_chance(z, 90) ? fz_below(z, 4) : (uint32_t)fz_rand(z);
	c.reserved = fz_chance(z, 95) ? 0 : 1;
	valid = ringmpsc_ring_geometry_valid(c.slot_size, c.capacity) &&
		c.max_producers && c.max_producers <= RINGMPSC_PRODUCERS_MAX &&
		!(c.mode & ~0777) && !(c.flags & ~RINGMPSC_CREATE_FLAGS) &&
		!c.reserved;
	ret = rm_ioctl(fd, RINGMPSC_IOC_CREATE, &c);
	if (kind == FZ_NAME_BAD && !ret)
		fz_fail(z, "create", "a bad name was accepted");
	if (kind == FZ_NAME_OK && !valid && ret != -EINVAL)
		fz_fail(z, "create", "slot %u cap %u prod %u mode %o flags %x res %u: %d, not EINVAL",
			c.slot_size, c.capacity, c.max_producers, c.mode,
			c.flags, c.reserved, ret);
	if (ret == -EEXIST && !(c.flags & RINGMPSC_CREATE_EXCL))
		fz_fail(z, "create", "EEXIST without RINGMPSC_CREATE_EXCL");
	fz_result(z, "create", ret, fz_create_errs);
}

static void op_attach(struct fz *z)
{
	static const uint32_t roles[] = { RINGMPSC_ROLE_PRODUCER,
					  RINGMPSC_ROLE_PRODUCER,
					  RINGMPSC_ROLE_CONSUMER, 0, 3 };
	struct ringmpsc_attach a = { 0 };
	enum fz_name_kind kind;
	int fd = fz_fd(z), ret;

	if (fd < 0)
		return op_open(z);
	a.name = fz_name(z, &kind);
	a.role = FZ_PICK(z, roles);
	a.flags = fz_chance(z, 97) ? 0 : 1;
	a.reserved = fz_chance(z, 97) ? 0 : 1;
	ret = rm_ioctl(fd, RINGMPSC_IOC_ATTACH, &a);
	if (!ret && (kind == FZ_NAME_BAD || a.flags || a.reserved ||
		     (a.role != RINGMPSC_ROLE_PRODUCER &&
		      a.role != RINGMPSC_ROLE_CONSUMER)))
		fz_fail(z, "attach", "bad arguments accepted (role %u flags %u)",
			a.role, a.flags);
	if (!ret && a.role == RINGMPSC_ROLE_PRODUCER) {
		z->last_ring = a.ring;
		z->last_gen = a.generation;
	}
	fz_result(z, "attach", ret, fz_attach_errs);
}

static void op_info_stats(struct fz *z)
{
	struct ringmpsc_info info;
	struct ringmpsc_stats st;
	int fd = fz_fd(z);

	if (fd < 0)
		return op_open(z);
	if (fz_chance(z, 50))
		fz_result(z, "info", rm_info(fd, &info), fz_notconn_errs);
	else
		fz_result(z, "stats", rm_stats(fd, &st), fz_notconn_errs);
}

static void op_set_eventfd(struct fz *z)
{
	int fd = fz_fd(z), efd;

	if (fd < 0)
		return op_open(z);
	switch (fz_below(z, 6)) {
	case 0:
		efd = -1;
		break;
	case 1:
		efd = -2 - (int)fz_below(z, 100);
		break;
	case 2:
		efd = fd;		/* not an eventfd */
		break;
	case 3:
		efd = 100000;		/* not open */
		break;
	default:
		efd = z->efd;
	}
	fz_result(z, "set_eventfd", rm_set_eventfd(fd, efd), fz_efd_errs);
}

static void op_wake(struct fz *z)
{
	static const uint32_t rings[] = { 0, 0, 1, 2, 3, 1023, 1024, ~0U };
	int fd = fz_fd(z);
	uint64_t v;

	if (fd < 0)
		return op_open(z);
	fz_result(z, "wake", rm_wake(fd, FZ_PICK(z, rings)), fz_notconn_errs);
	if (read(z->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		fz_fail(z, "wake", "eventfd read: %s", strerror(errno));
}

static void op_recycle(struct fz *z)
{
	static const uint32_t rings[] = { 0, 1, 2, 3, 1024, ~0U };
	struct ringmpsc_recycle r = { 0 };
	unsigned long cmd = RINGMPSC_IOC_RECYCLE;
	int fd = fz_fd(z);

	if (fd < 0)
		return op_open(z);
	r.ring = fz_chance(z, 50) ? z->last_ring : FZ_PICK(z, rings);
	r.generation = fz_chance(z, 70) ? z->last_gen + fz_below(z, 3) :
		       (uint32_t)fz_rand(z);
	r.flags = fz_chance(z, 80) ? fz_below(z, 2) : (uint32_t)fz_rand(z);
	r.reserved = fz_chance(z, 95) ? 0 : 1;
	if (fz_chance(z, 20)) {
		cmd = RINGMPSC_IOC_RECYCLE_VER0;
		r.flags = r.reserved = 0;
	}
	fz_result(z, "recycle", rm_ioctl(fd, cmd, &r), fz_recycle_errs);
}

static void op_unlink(struct fz *z)
{
	struct ringmpsc_unlink u = { 0 };
	enum fz_name_kind kind;
	int fd = fz_fd(z), ret;

	if (fd < 0)
		return op_open(z);
	u.name = fz_name(z, &kind);
	u.reserved = fz_chance(z, 95) ? 0 : 1;
	ret = rm_ioctl(fd, RINGMPSC_IOC_UNLINK, &u);
	if (!ret && (kind == FZ_NAME_BAD || u.reserved))
		fz_fail(z, "unlink", "bad arguments accepted");
	fz_result(z, "unlink", ret, fz_unlink_errs);
}

/*
 * Any command number of the module's magic (or another), any direction
 * and size, with random bytes, or an argument that runs into an unmapped
 * page, or a bad pointer.
 */
static void op_raw_ioctl(struct fz *z)
{
	static const int any_errs[] = { ENAMETOOLONG, EEXIST, EMFILE, ENOSPC,
					ENOMEM, ENOENT, EACCES, EISCONN, EBUSY,
					ENOTCONN, EBADF, ESTALE, ENOTEMPTY, 0 };
	static unsigned char buf[512];
	unsigned int size = fz_chance(z, 80) ? 8 * fz_below(z, 12) :
			    fz_below(z, 1U << 14);
	unsigned int dir = fz_below(z, 4), nr = fz_below(z, 12);
	unsigned int magic = fz_chance(z, 90) ? RINGMPSC_IOC_MAGIC : fz_below(z, 256);
	unsigned long arg;
	int fd = fz_fd(z);
	unsigned int i;

	if (fd < 0)
		return op_open(z);
	for (i = 0; i < sizeof(buf); i += 8)
		*(uint64_t *)(buf + i) = fz_chance(z, 50) ? 0 : fz_rand(z);
	switch (fz_below(z, 6)) {
	case 0:
		arg = fz_chance(z, 50) ? 0 : 0xffff888000000000ul;
		break;
	case 1:
		arg = (uintptr_t)(z->guard + RM_PAGE - fz_below(z, 64));
		memset(z->guard + RM_PAGE - 64, 0, 64);
		break;
	default:
		arg = (uintptr_t)buf;
		if (size > sizeof(buf))
			size = sizeof(buf);
	}
	fz_result(z, "raw_ioctl", rm_ioctl(fd, _IOC(dir, magic, nr, size),
					    (void *)arg), any_errs);
}

/* ---- mappings ---------------------------------------------------------------- */

static struct fz_map *fz_map_pick(struct fz *z)
{
	unsigned int i, start = fz_below(z, FZ_MAPS);

	for (i = 0; i < FZ_MAPS; i++)
		if (z->maps[(start + i) % FZ_MAPS].addr)
			return &z->maps[(start + i) % FZ_MAPS];
	return NULL;
}

static struct fz_map *fz_map_free(struct fz *z)
{
	unsigned int i;

	for (i = 0; i < FZ_MAPS; i++)
		if (!z->maps[i].addr)
			return &z->maps[i];
	return NULL;
}

/*
 * The region at @off of the channel @info describes: its length in
 * @len and whether @info's role may write it; false if @off is not the
 * start of a region.
 */
static bool fz_region(const struct ringmpsc_info *info, uint64_t off,
		      size_t *len, bool *may_write)
{
	const struct ringmpsc_offsets *o = &info->off;
	uint64_t rel;
	uint32_t ring;

	if (off == 0) {
		*len = o->ctrl_size;
		*may_write = false;
		return true;
	}
	if (off < o->ring_base)
		return false;
	ring = (off - o->ring_base) / o->ring_stride;
	rel = (off - o->ring_base) % o->ring_stride;
	if (ring >= info->max_producers)
		return false;
	if (rel == o->prod_off || rel == o->data_off) {
		*len = rel == o->prod_off ? o->prod_size : o->data_map_size;
		*may_write = info->role == RINGMPSC_ROLE_PRODUCER &&
			     ring == info->ring;
		return true;
	}
	if (rel == o->cons_off) {
		*len = o->cons_size;
		*may_write = info->role == RINGMPSC_ROLE_CONSUMER;
		return true;
	}
	return false;
}

/*
 * mmap of a region (mostly a real one, of a ring that may exist), or of
 * a random offset and length, with random protection and flags. Success
 * is allowed only for a whole region, MAP_SHARED, no PROT_EXEC, and
 * PROT_WRITE only where the role may write (spec.md, "Memory and mmap").
 */
static void op_mmap(struct fz *z)
{
	static const int errs[] = { ENOTCONN, EACCES, ENXIO, ENOMEM, ENODEV, 0 };
	struct ringmpsc_info info;
	struct fz_map *m = fz_map_free(z);
	int fd = fz_fd(z), prot, flags, attached;
	uint64_t off, page = RM_PAGE;
	size_t len = RM_PAGE, region_len = 0;
	bool may_write = false, whole;
	void *p;

	if (fd < 0)
		return op_open(z);
	if (!m)
		return;
	attached = rm_info(fd, &info) == 0;
	if (attached && fz_chance(z, 85)) {
		uint32_t ring = fz_below(z, info.max_producers + 1);
		static const int which[] = { 0, 1, 2, 3, 3 };

		if (info.role == RINGMPSC_ROLE_PRODUCER && fz_chance(z, 70))
			ring = info.ring;
		switch (which[fz_below(z, 5)]) {
		case 0:
			off = 0;
			break;
		case 1:
			off = rm_ring_off(&info.off, ring, info.off.prod_off);
			break;
		case 2:
			off = rm_ring_off(&info.off, ring, info.off.cons_off);
			break;
		default:
			off = rm_ring_off(&info.off, ring, info.off.data_off);
		}
		fz_region(&info, off, &len, &may_write);
		if (fz_chance(z, 10))
			len += fz_chance(z, 50) ? page : -page;
		if (fz_chance(z, 5))
			off += page;
	} else {
		off = page * fz_below(z, 64);
		len = page * (1 + fz_below(z, 8));
	}
	prot = fz_chance(z, 90) ? (int)(PROT_READ | (fz_below(z, 2) * PROT_WRITE)) :
	       (int)fz_below(z, 8);
	flags = fz_chance(z, 95) ? MAP_SHARED : MAP_PRIVATE;
	p = mmap(NULL, len, prot, flags, fd, (off_t)off);
	if (p == MAP_FAILED) {
		fz_result(z, "mmap", -errno, errs);
		return;
	}
	whole = attached && fz_region(&info, off, &region_len, &may_write) &&
		region_len == len;
	if (!whole || flags != MAP_SHARED || (prot & PROT_EXEC) ||
	    ((prot & PROT_WRITE) && !may_write))
		fz_fail(z, "mmap", "off %#llx len %#zx prot %d flags %#x role %u: mapped (region: %s, writable: %d)",
			(unsigned long long)off, len, prot, flags,
			attached ? info.role : 0, whole ? "whole" : "not one",
			may_write);
	m->addr = p;
	m->len = len;
	m->prot = prot;
	m->may_write = may_write;
	fz_result(z, "mmap", 0, errs);
}

static void op_munmap(struct fz *z)
{
	struct fz_map *m = fz_map_pick(z);
	size_t pages, first, n;

	if (!m)
		return;
	/* the whole mapping, or some pages of it (a split vma) */
	pages = m->len / RM_PAGE;
	first = fz_chance(z, 60) ? 0 : fz_below(z, pages);
	n = first ? 1 + fz_below(z, pages - first) : pages;
	if (munmap(m->addr + first * RM_PAGE, n * RM_PAGE))
		fz_fail(z, "munmap", "%s", strerror(errno));
	m->addr = NULL;		/* what is left stays mapped until exit */
	fz_result(z, "munmap", 0, fz_common_errs);
}

static void op_mprotect(struct fz *z)
{
	struct fz_map *m = fz_map_pick(z);
	int prot = (int)fz_below(z, 8);

	if (!m)
		return;
	if (mprotect(m->addr, m->len, prot)) {
		if (errno != EACCES)
			fz_fail(z, "mprotect", "prot %d: %s", prot, strerror(errno));
		if ((prot & (PROT_WRITE | PROT_EXEC)) == 0)
			fz_fail(z, "mprotect", "prot %d refused", prot);
		fz_result(z, "mprotect", -EACCES, (const int[]){ EACCES, 0 });
		return;
	}
	/* VM_MAYWRITE is cleared where the role may not write, VM_MAYEXEC
	 * everywhere. INV-MOD-02
	 */
	if ((prot & PROT_EXEC) || ((prot & PROT_WRITE) && !m->may_write))
		fz_fail(z, "mprotect", "prot %d allowed (writable region: %d)",
			prot, m->may_write);
	m->prot = prot;
	fz_result(z, "mprotect", 0, fz_common_errs);
}

/* Shrink or move: allowed. Grow: never (VM_DONTEXPAND). */
static void op_mremap(struct fz *z)
{
	struct fz_map *m = fz_map_pick(z);
	size_t pages, len;
	void *p;

	if (!m)
		return;
	pages = m->len / RM_PAGE;
	len = RM_PAGE * (fz_chance(z, 50) ? pages + 1 + fz_below(z, 4) :
			 1 + fz_below(z, pages));
	p = mremap(m->addr, m->len, len, fz_chance(z, 50) ? MREMAP_MAYMOVE : 0);
	if (p == MAP_FAILED) {
		fz_result(z, "mremap", -errno, (const int[]){ ENOMEM, 0 });
		return;
	}
	if (len > m->len)
		fz_fail(z, "mremap", "grew %#zx to %#zx", m->len, len);
	m->addr = p;
	m->len = len;
	fz_result(z, "mremap", 0, fz_common_errs);
}

static void op_madvise(struct fz *z)
{
	static const int advice[] = { MADV_DONTNEED, MADV_DOFORK, MADV_DONTFORK,
				      MADV_WILLNEED, MADV_REMOVE, MADV_FREE,
				      MADV_COLD, MADV_PAGEOUT, MADV_DONTDUMP,
				      MADV_DODUMP, MADV_HUGEPAGE, MADV_MERGEABLE,
				      MADV_WIPEONFORK, MADV_SEQUENTIAL,
				      22 /* MADV_POPULATE_READ */,
				      23 /* MADV_POPULATE_WRITE */ };
	struct fz_map *m = fz_map_pick(z);
	int adv = advice[fz_below(z, sizeof(advice) / sizeof(advice[0]))];

	if (!m)
		return;
	if (!madvise(m->addr, m->len, adv)) {
		/* VM_DONTCOPY stays. INV-MOD-06 */
		if (adv == MADV_DOFORK)
			fz_fail(z, "madvise", "MADV_DOFORK allowed");
		fz_result(z, "madvise", 0, fz_common_errs);
		return;
	}
	/* Which advice a VM_PFNMAP mapping refuses, and with which errno, is
	 * the kernel's business, not the module's.
	 */
}

static sigjmp_buf fz_fault_env;
static volatile sig_atomic_t fz_probing;

static void fz_fault(int sig)
{
	if (!fz_probing) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(fz_fault_env, sig);
}

/*
 * Read a word of a mapping, or write a random one (any value in head,
 * tail, flags or a message: the module must not care). A readable
 * mapping never faults (its pages live as long as the file,
 * INV-MOD-01); a write to one without PROT_WRITE always does.
 */
static void op_touch(struct fz *z)
{
	struct fz_map *m = fz_map_pick(z);
	bool write = fz_chance(z, 50);
	volatile uint64_t *w;
	uint64_t v = fz_chance(z, 50) ? fz_below(z, 4096) : fz_rand(z);
	int sig;

	if (!m)
		return;
	w = (volatile uint64_t *)(m->addr + 8 * fz_below(z, m->len / 8));
	fz_probing = 1;
	sig = sigsetjmp(fz_fault_env, 1);
	if (!sig) {
		if (write)
			*w = v;
		else
			v = *w;
	}
	fz_probing = 0;
	if (write && !!sig != !(m->prot & PROT_WRITE))
		fz_fail(z, "touch", "write %s (prot %d)", sig ? "faulted" : "went through",
			m->prot);
	if (!write && sig && (m->prot & PROT_READ))
		fz_fail(z, "touch", "read of a live mapping: signal %d", sig);
	fz_result(z, "touch", 0, fz_common_errs);
}

/* ---- files and processes --------------------------------------------------------- */

static void op_close(struct fz *z)
{
	unsigned int i = fz_below(z, FZ_FDS);

	if (z->fds[i] < 0)
		return op_open(z);
	if (close(z->fds[i]))
		fz_fail(z, "close", "%s", strerror(errno));
	z->fds[i] = -1;
	fz_result(z, "close", 0, fz_common_errs);
}

static void op_dup(struct fz *z)
{
	int fd = fz_fd(z), d;

	if (fd < 0 || !fz_free_fd_slot(z))
		return;
	d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (d < 0)
		fz_fail(z, "dup", "%s", strerror(errno));
	fz_keep_fd(z, d);
	fz_result(z, "dup", 0, fz_common_errs);
}

/* Pass an fd over the process's socket pair (children share it, so an
 * fd may reach another process), or take one that is waiting.
 */
static void op_pass_fd(struct fz *z)
{
	char data = 'f', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int fd = fz_fd(z);

	if (fz_chance(z, 50) && fd >= 0) {
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		if (sendmsg(z->sock[0], &msg, MSG_DONTWAIT) < 0) {
			fz_result(z, "send_fd", -errno,
				  (const int[]){ EAGAIN, ETOOMANYREFS, 0 });
			return;
		}
		fz_result(z, "send_fd", 0, fz_common_errs);
		return;
	}
	if (recvmsg(z->sock[1], &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0) {
		fz_result(z, "recv_fd", -errno, (const int[]){ EAGAIN, 0 });
		return;
	}
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		fz_fail(z, "recv_fd", "no fd came with the message");
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	fz_keep_fd(z, fd);
	fz_result(z, "recv_fd", 0, fz_common_errs);
}

static void fz_loop(struct fz *z);

/* Reap children that have ended; SIGKILL and reap one if @kill. */
static void fz_reap(struct fz *z, bool kill_one)
{
	unsigned int i, victim = fz_below(z, FZ_KIDS);

	for (i = 0; i < FZ_KIDS; i++) {
		if (!z->kids[i])
			continue;
		if (kill_one && i == victim) {
			kill(z->kids[i], SIGKILL);
			waitpid(z->kids[i], NULL, 0);
			z->kids[i] = 0;
			fz_result(z, "kill", 0, fz_common_errs);
		} else if (waitpid(z->kids[i], NULL, WNOHANG) == z->kids[i]) {
			z->kids[i] = 0;
		}
	}
}

static void op_fork(struct fz *z)
{
	unsigned int i;
	pid_t pid;
	uint64_t child_rng = fz_rand(z);

	fz_reap(z, false);
	for (i = 0; i < FZ_KIDS && z->kids[i]; i++)
		;
	if (i == FZ_KIDS || z->depth >= FZ_DEPTH)
		return fz_reap(z, true);
	z->nkids_ever++;
	pid = fork();
	if (pid < 0) {
		fz_result(z, "fork", -errno, (const int[]){ EAGAIN, ENOMEM, 0 });
		return;
	}
	if (pid) {
		z->kids[i] = pid;
		fz_result(z, "fork", 0, fz_common_errs);
		return;
	}
	/* The child: the parent's fds (shared files), no mappings
	 * (VM_DONTCOPY), no children; its own sequence and budget.
	 */
	snprintf(z->who + strlen(z->who), sizeof(z->who) - strlen(z->who),
		 ".%u", z->nkids_ever);
	z->rng = child_rng;
	z->depth++;
	z->budget = z->budget / 8 < FZ_KID_OPS ? z->budget / 8 : FZ_KID_OPS;
	z->opno = 0;
	memset(z->maps, 0, sizeof(z->maps));
	memset(z->kids, 0, sizeof(z->kids));
	z->nkids_ever = 0;
	fz_loop(z);
	_exit(0);
}

static void op_kill(struct fz *z)
{
	fz_reap(z, true);
}

/* Workers stay root in the first user namespace (so that root's paths
 * run all along); their children may leave it.
 */
static void op_unshare(struct fz *z)
{
	static const int what[] = { CLONE_NEWIPC, CLONE_NEWIPC, CLONE_NEWUSER,
				    CLONE_NEWUSER | CLONE_NEWIPC };
	int flags = what[fz_below(z, z->depth ? 4 : 2)], ret;

	if (__atomic_fetch_add(&fz_sh->unshares, 1, __ATOMIC_RELAXED) >= FZ_UNSHARES)
		return;
	ret = unshare(flags);
	/* EPERM, EUSERS, ENOSPC (namespace limits): the kernel's business */
	fz_result(z, "unshare", ret ? -errno : 0,
		  (const int[]){ EPERM, EUSERS, ENOSPC, ENOMEM, 0 });
}

/* Become another uid (and group) for good: the channels this process
 * creates from now on are that uid's, and its permissions are.
 */
static void op_setuid(struct fz *z)
{
	uid_t uid = FZ_UID0 + fz_below(z, FZ_UIDS);

	if (!z->depth || geteuid() != 0)
		return;
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid)) {
		/* in a user namespace without a uid map: EINVAL, EPERM */
		fz_result(z, "setuid", -errno, (const int[]){ EPERM, 0 });
		return;
	}
	fz_result(z, "setuid", 0, fz_common_errs);
}

static const struct fz_op {
	const char *name;
	unsigned int weight;
	void (*fn)(struct fz *z);
} fz_ops[] = {
	{ "open", 6, op_open },
	{ "create", 10, op_create },
	{ "attach", 14, op_attach },
	{ "info_stats", 4, op_info_stats },
	{ "set_eventfd", 4, op_set_eventfd },
	{ "wake", 4, op_wake },
	{ "recycle", 5, op_recycle },
	{ "unlink", 2, op_unlink },
	{ "raw_ioctl", 5, op_raw_ioctl },
	{ "mmap", 14, op_mmap },
	{ "munmap", 5, op_munmap },
	{ "mprotect", 3, op_mprotect },
	{ "mremap", 3, op_mremap },
	{ "madvise", 3, op_madvise },
	{ "touch", 10, op_touch },
	{ "close", 9, op_close },
	{ "dup", 3, op_dup },
	{ "pass_fd", 4, op_pass_fd },
	{ "fork", 1, op_fork },
	{ "kill", 1, op_kill },
	{ "unshare", 1, op_unshare },
	{ "setuid", 1, op_setuid },
};

#define FZ_NR_OPS (sizeof(fz_ops) / sizeof(fz_ops[0]))
_Static_assert(FZ_NR_OPS <= FZ_MAX_OPS, "FZ_MAX_OPS too small");

static void fz_loop(struct fz *z)
{
	unsigned int total = 0, i, r;
	uint64_t t;

	__atomic_fetch_add(&fz_sh->procs, 1, __ATOMIC_RELAXED);
	for (i = 0; i < FZ_NR_OPS; i++)
		total += fz_ops[i].weight;
	for (; z->budget && !__atomic_load_n(&fz_sh->failed, __ATOMIC_RELAXED);
	     z->budget--, z->opno++) {
		r = fz_below(z, total);
		for (i = 0; r >= fz_ops[i].weight; i++)
			r -= fz_ops[i].weight;
		z->cur = i;
		t = rm_now_ns();
		fz_ops[i].fn(z);
		__atomic_fetch_add(&fz_sh->ns[i], rm_now_ns() - t, __ATOMIC_RELAXED);
		__atomic_fetch_add(&fz_sh->calls[i], 1, __ATOMIC_RELAXED);
	}
	for (i = 0; i < FZ_KIDS; i++)
		if (z->kids[i])
			waitpid(z->kids[i], NULL, 0);
}

/* A worker: fresh tables, its own sequence; ends with its children. */
static void fz_worker(unsigned int w, uint64_t budget)
{
	struct sigaction sa = { .sa_handler = fz_fault };
	struct fz *z = calloc(1, sizeof(*z));
	unsigned int i;

	if (!z)
		_exit(2);
	z->rng = rm_mix(fz_sh->seed + 0x9e3779b97f4a7c15ull * (w + 1));
	z->budget = budget;
	snprintf(z->who, sizeof(z->who), "w%u", w);
	for (i = 0; i < FZ_FDS; i++)
		z->fds[i] = -1;
	z->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	z->guard = mmap(NULL, 2 * RM_PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (z->efd < 0 || z->guard == MAP_FAILED ||
	    mprotect(z->guard + RM_PAGE, RM_PAGE, PROT_NONE) ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, z->sock))
		fz_fail(z, "setup", "%s", strerror(errno));
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fz_loop(z);
	_exit(0);
}

/* ---- the run and the checks after it ---------------------------------------- */

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

#define MAX_USER_NS	"/proc/sys/user/max_user_namespaces"
#define MAX_IPC_NS	"/proc/sys/user/max_ipc_namespaces"

/* 0 if uid *@arg can enter a new user and IPC namespace, else the errno. */
static int fz_ns_probe_fn(void *arg)
{
	uid_t uid = *(uid_t *)arg;

	if (uid && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid)))
		return 200;
	return unshare(CLONE_NEWUSER | CLONE_NEWIPC) ? errno : 0;
}

/*
 * Wait until every namespace of the run is freed: with one user and one
 * IPC namespace per uid allowed, a uid may enter new ones exactly when
 * the kernel has freed all its earlier ones (a namespace the module kept
 * would never be). Seconds waited, or -1 after FZ_NS_WAIT s.
 */
static int fz_namespaces_freed(void)
{
	long old_user = rm_read_long(MAX_USER_NS), old_ipc = rm_read_long(MAX_IPC_NS);
	unsigned int i, waited = 0, pause = 1;
	uid_t uid;
	int ret = 0;

	if (old_user < 0 || old_ipc < 0 || rm_write_long(MAX_USER_NS, 1) ||
	    rm_write_long(MAX_IPC_NS, 1))
		return -1;
	for (i = 0; i <= FZ_UIDS && ret >= 0; i++) {
		uid = i ? FZ_UID0 + i - 1 : 0;
		while (rm_in_child(fz_ns_probe_fn, &uid) == ENOSPC) {
			if (waited >= FZ_NS_WAIT) {
				ksft_print_msg("uid %u still has namespaces\n", uid);
				ret = -1;
				break;
			}
			sleep(pause);
			waited += pause;
			pause = pause < 8 ? 2 * pause : pause;
		}
	}
	rm_write_long(MAX_USER_NS, old_user);
	rm_write_long(MAX_IPC_NS, old_ipc);
	return ret < 0 ? -1 : (int)waited;
}

/* Kernel log lines since @mark that report a problem; 0 if none. */
static int fz_klog_problems(const char *mark)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "KASAN:", "KFENCE:", "UBSAN:",
		"general protection", "kernel BUG", "refcount_t:",
		"possible circular locking", "inconsistent lock state",
		"sleeping function called", "suspicious RCU usage",
		"list_add corruption", "list_del corruption", "Out of memory",
		"ringmpsc: INV-",
	};
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), n, found = 0;
	char *buf, *from, *line, *save = NULL;
	unsigned int i;

	if (size <= 0)
		return 0;
	buf = calloc(1, size + 1);
	if (!buf)
		return 0;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n > 0) {
		buf[n] = 0;
		from = strstr(buf, mark);
		for (line = strtok_r(from ? from : buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
				if (strstr(line, bad[i])) {
					ksft_print_msg("kernel: %s\n", line);
					found++;
					break;
				}
	}
	free(buf);
	return found;
}

/* What ran: ops in all, and per op how often it ran and succeeded. */
static void fz_report(uint64_t ns)
{
	uint64_t calls = 0, oks = 0;
	char line[1536];
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < FZ_NR_OPS; i++) {
		calls += fz_sh->calls[i];
		oks += fz_sh->oks[i];
		n += snprintf(line + n, sizeof(line) - n, " %s %llu/%llu/%llu",
			      fz_ops[i].name,
			      (unsigned long long)fz_sh->oks[i],
			      (unsigned long long)fz_sh->calls[i],
			      (unsigned long long)(fz_sh->ns[i] / 1000000));
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
	}
	ksft_print_msg("fuzz: %llu ops (%llu succeeded) in %llu processes, %.1f s\n",
		       (unsigned long long)calls, (unsigned long long)oks,
		       (unsigned long long)fz_sh->procs, ns / 1e9);
	ksft_print_msg("fuzz: op succeeded/ran/ms:%s\n", line);
}

FIXTURE(fuzz) {
	long channels_per_user, bytes_per_user;
};

FIXTURE_SETUP(fuzz)
{
	self->channels_per_user = rm_param_get("channels_per_user");
	self->bytes_per_user = rm_param_get("bytes_per_user");
	ASSERT_LT(0, self->channels_per_user) TH_LOG("read " RM_PARAMS);
	ASSERT_LT(0, self->bytes_per_user);
}

FIXTURE_TEARDOWN(fuzz)
{
	rm_param_set("channels_per_user", self->channels_per_user);
	rm_param_set("bytes_per_user", self->bytes_per_user);
}

/* The debug kernel runs 10^6 ops in about as many seconds as the stock
 * ones run 10^5.
 */
TEST_F_TIMEOUT(fuzz, random_ops_leave_module_consistent, 3000)
{
	uint64_t seed = env_u64("RINGMPSC_FUZZ_SEED", rm_now_ns() ^ getpid());
	uint64_t ops = env_u64("RINGMPSC_FUZZ_OPS", FZ_DEFAULT_OPS);
	uint64_t nworkers = env_u64("RINGMPSC_FUZZ_WORKERS", FZ_WORKERS);
	pid_t workers[FZ_WORKERS_MAX];
	char mark[96], ref[64];
	uint64_t t0 = rm_now_ns();
	long one, refcnt = -1;
	unsigned int i, tries;
	int fd, ret, ns_wait;

	ASSERT_TRUE(nworkers >= 1 && nworkers <= FZ_WORKERS_MAX);
	fz_sh = mmap(NULL, sizeof(*fz_sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fz_sh);
	fz_sh->seed = seed;
	for (i = 0; i < FZ_NAMES - 1; i++)
		snprintf(fz_sh->names[i], sizeof(fz_sh->names[i]), "fz-%llx-%u",
			 (unsigned long long)seed, i);
	memset(fz_sh->names[i], 'z', RINGMPSC_NAME_MAX);	/* the longest */
	ksft_print_msg("fuzz: seed 0x%llx, %llu ops, %d workers (rerun: RINGMPSC_FUZZ_SEED=0x%llx RINGMPSC_FUZZ_OPS=%llu RINGMPSC_FUZZ_WORKERS=%d)\n",
		       (unsigned long long)seed, (unsigned long long)ops,
		       (int)nworkers, (unsigned long long)seed,
		       (unsigned long long)ops, (int)nworkers);
	snprintf(mark, sizeof(mark), "ringmpsc-fuzz: begin seed 0x%llx",
		 (unsigned long long)seed);
	fd = open("/dev/kmsg", O_WRONLY);
	if (fd >= 0) {
		ASSERT_LT(0, write(fd, mark, strlen(mark)));
		close(fd);
	}

	rm_name(ref, sizeof(ref), "fzacct");
	one = rm_account_unit(ref);
	ASSERT_LT(0, one);
	ASSERT_EQ(0, rm_param_set("channels_per_user", FZ_CHANNELS_PER_USER));
	ASSERT_EQ(0, rm_param_set("bytes_per_user", FZ_BYTES_PER_USER));

	for (i = 0; i < nworkers; i++) {
		workers[i] = fork();
		ASSERT_LE(0, workers[i]);
		if (!workers[i])
			fz_worker(i, ops / nworkers);
	}
	for (i = 0; i < nworkers; i++)
		waitpid(workers[i], NULL, 0);
	fz_report(rm_now_ns() - t0);
	EXPECT_EQ(0, fz_sh->failed) TH_LOG("%s", fz_sh->failure);

	/* Every name of the run unlinked (root may unlink any); the names
	 * left in namespaces that died are reaped at this UNLINK.
	 */
	for (i = 0; i < FZ_NAMES; i++) {
		ret = rm_unlink(fz_sh->names[i]);
		EXPECT_TRUE(ret == 0 || ret == -ENOENT) TH_LOG("unlink: %d", ret);
	}
	/* Nothing left: no linked channel, no open file (rmmod would
	 * succeed). A namespace may wait for an RCU grace period before
	 * its last reference goes: unlink again, a few times.
	 */
	for (tries = 0; tries < 50; tries++) {
		rm_unlink(fz_sh->names[0]);
		refcnt = rm_module_refcnt();
		if (refcnt == 0)
			break;
		usleep(100000);
	}
	EXPECT_EQ(0, refcnt) TH_LOG("module references left after the run");

	/* Every account is empty. INV-MOD-07 */
	ASSERT_EQ(0, rm_param_set("bytes_per_user", one));
	ASSERT_EQ(0, rm_param_set("channels_per_user", self->channels_per_user));
	for (i = 0; i <= FZ_UIDS; i++) {
		uid_t uid = i ? FZ_UID0 + i - 1 : 0;

		EXPECT_EQ(0, rm_account_empty(uid, ref))
			TH_LOG("uid %u: 100 + errno: bytes left in the account; 50: limit not applied",
			       uid);
	}
	/* The namespaces the run made are freed too (and later tests do not
	 * wait behind them in the kernel's queue).
	 */
	ns_wait = fz_namespaces_freed();
	ksft_print_msg("fuzz: the namespaces of the run (%d unshare calls at most) freed %d s after the checks\n",
		       FZ_UNSHARES, ns_wait);
	EXPECT_LE(0, ns_wait);
	EXPECT_EQ(0, fz_klog_problems(mark));
	munmap(fz_sh, sizeof(*fz_sh));
}

TEST_HARNESS_MAIN
