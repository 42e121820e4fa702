// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_test: every ioctl of /dev/ringmpsc with good arguments and with a
 * table of bad ones, each bad one with the errno it must get (spec.md,
 * section 5 and the error table).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/eventfd.h>

#include "helpers.h"

/* errno of an ioctl that needs an attached fd, on an unattached fd. */
#define E_UNATTACHED	ENOTCONN
/* errno of an ioctl that needs the other role. */
#define E_WRONG_ROLE	EACCES

static char long_name[RINGMPSC_NAME_MAX + 2];	/* 256 bytes + NUL */
static char max_name[RINGMPSC_NAME_MAX + 1];	/* 255 bytes + NUL */

enum name_kind {
	NAME_UNIQUE,	/* a fresh valid name */
	NAME_EMPTY,
	NAME_TOO_LONG,	/* 256 bytes */
	NAME_SLASH,
	NAME_LEADING_SLASH,
	NAME_NULL,	/* pointer 0 */
	NAME_BAD_PTR,	/* pointer into nothing */
	NAME_UNTERMINATED, /* runs into a PROT_NONE page */
};

struct create_case {
	const char *what;
	enum name_kind name;
	uint32_t slot_size, capacity, max_producers, mode, flags, reserved;
	int err;	/* expected errno */
};

#define OK_SLOT		64
#define OK_CAP		64
#define OK_PROD		4

static const struct create_case create_cases[] = {
	{ "slot_size 0", NAME_UNIQUE, 0, OK_CAP, OK_PROD, 0600, 0, 0, EINVAL },
	{ "slot_size 12 (not x8)", NAME_UNIQUE, 12, OK_CAP, OK_PROD, 0600, 0, 0, EINVAL },
	{ "slot_size 7", NAME_UNIQUE, 7, OK_CAP, OK_PROD, 0600, 0, 0, EINVAL },
	{ "slot_size 4104 (> max)", NAME_UNIQUE, RINGMPSC_SLOT_MAX + 8, OK_CAP, OK_PROD, 0600, 0, 0, EINVAL },
	{ "slot_size 2^31", NAME_UNIQUE, 1U << 31, OK_CAP, OK_PROD, 0600, 0, 0, EINVAL },
	{ "capacity 0", NAME_UNIQUE, OK_SLOT, 0, OK_PROD, 0600, 0, 0, EINVAL },
	{ "capacity 1 (< min)", NAME_UNIQUE, OK_SLOT, 1, OK_PROD, 0600, 0, 0, EINVAL },
	{ "capacity 3", NAME_UNIQUE, OK_SLOT, 3, OK_PROD, 0600, 0, 0, EINVAL },
	{ "capacity 96", NAME_UNIQUE, OK_SLOT, 96, OK_PROD, 0600, 0, 0, EINVAL },
	{ "capacity 2^25 (> max)", NAME_UNIQUE, OK_SLOT, RINGMPSC_CAPACITY_MAX << 1, OK_PROD, 0600, 0, 0, EINVAL },
	{ "capacity 2^31", NAME_UNIQUE, OK_SLOT, 1U << 31, OK_PROD, 0600, 0, 0, EINVAL },
	{ "capacity 0xffffffff", NAME_UNIQUE, OK_SLOT, 0xffffffffU, OK_PROD, 0600, 0, 0, EINVAL },
	{ "max_producers 0", NAME_UNIQUE, OK_SLOT, OK_CAP, 0, 0600, 0, 0, EINVAL },
	{ "max_producers 1025", NAME_UNIQUE, OK_SLOT, OK_CAP, RINGMPSC_PRODUCERS_MAX + 1, 0600, 0, 0, EINVAL },
	{ "max_producers 0xffffffff", NAME_UNIQUE, OK_SLOT, OK_CAP, 0xffffffffU, 0600, 0, 0, EINVAL },
	{ "mode 01000 (beyond 0777)", NAME_UNIQUE, OK_SLOT, OK_CAP, OK_PROD, 01600, 0, 0, EINVAL },
	{ "unknown flag 1<<2", NAME_UNIQUE, OK_SLOT, OK_CAP, OK_PROD, 0600, 1U << 2, 0, EINVAL },
	{ "unknown flag 1<<31", NAME_UNIQUE, OK_SLOT, OK_CAP, OK_PROD, 0600, 1U << 31, 0, EINVAL },
	{ "reserved 1", NAME_UNIQUE, OK_SLOT, OK_CAP, OK_PROD, 0600, 0, 1, EINVAL },
	{ "name empty", NAME_EMPTY, OK_SLOT, OK_CAP, OK_PROD, 0600, 0, 0, EINVAL },
	{ "name 256 bytes", NAME_TOO_LONG, OK_SLOT, OK_CAP, OK_PROD, 0600, 0, 0, ENAMETOOLONG },
	{ "name with '/'", NAME_SLASH, OK_SLOT, OK_CAP, OK_PROD, 0600, 0, 0, EINVAL },
	{ "name with leading '/'", NAME_LEADING_SLASH, OK_SLOT, OK_CAP, OK_PROD, 0600, 0, 0, EINVAL },
	{ "name NULL", NAME_NULL, OK_SLOT, OK_CAP, OK_PROD, 0600, 0, 0, EFAULT },
	{ "name bad pointer", NAME_BAD_PTR, OK_SLOT, OK_CAP, OK_PROD, 0600, 0, 0, EFAULT },
	{ "name unterminated", NAME_UNTERMINATED, OK_SLOT, OK_CAP, OK_PROD, 0600, 0, 0, EFAULT },
};

/*
 * A name that ends exactly at a PROT_NONE page: the kernel's string copy
 * runs into it before it finds a NUL.
 */
static char *unterminated_name(void)
{
	static char *p;
	size_t pg = RM_PAGE;

	if (p)
		return p;
	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		p = NULL;
		return NULL;
	}
	if (mprotect(p + pg, pg, PROT_NONE))
		return NULL;
	memset(p + pg - 16, 'a', 16);
	p += pg - 16;
	return p;
}

static uint64_t name_ptr(enum name_kind k, char *uniq)
{
	switch (k) {
	case NAME_UNIQUE:
		return (uintptr_t)uniq;
	case NAME_EMPTY:
		return (uintptr_t)"";
	case NAME_TOO_LONG:
		return (uintptr_t)long_name;
	case NAME_SLASH:
		return (uintptr_t)"kst-a/b";
	case NAME_LEADING_SLASH:
		return (uintptr_t)"/kst-lead";
	case NAME_NULL:
		return 0;
	case NAME_BAD_PTR:
		return 0x10;	/* below mmap_min_addr: never mapped */
	case NAME_UNTERMINATED:
		return (uintptr_t)unterminated_name();
	}
	return 0;
}

static void init_names(void)
{
	memset(long_name, 'x', RINGMPSC_NAME_MAX + 1);
	long_name[RINGMPSC_NAME_MAX + 1] = 0;
	memset(max_name, 'm', RINGMPSC_NAME_MAX);
	max_name[RINGMPSC_NAME_MAX] = 0;
	snprintf(max_name, 16, "kst-%08d", (int)getpid());
	max_name[strlen(max_name)] = 'm';
}

TEST(create_bad_args)
{
	int dev = rm_dev();
	unsigned int i, bad = 0;

	ASSERT_LE(0, dev) TH_LOG("open %s: %s", RINGMPSC_DEVICE, strerror(-dev));
	init_names();
	ASSERT_NE(0, name_ptr(NAME_UNTERMINATED, NULL));

	for (i = 0; i < sizeof(create_cases) / sizeof(create_cases[0]); i++) {
		const struct create_case *c = &create_cases[i];
		char uniq[64];
		struct ringmpsc_create cr;
		int ret;

		rm_name(uniq, sizeof(uniq), "ioc");
		cr = (struct ringmpsc_create){
			.name = name_ptr(c->name, uniq),
			.slot_size = c->slot_size,
			.capacity = c->capacity,
			.max_producers = c->max_producers,
			.mode = c->mode,
			.flags = c->flags,
			.reserved = c->reserved,
		};
		ret = rm_ioctl(dev, RINGMPSC_IOC_CREATE, &cr);
		if (ret != -c->err) {
			bad++;
			TH_LOG("CREATE %s: got %d (%s), want -%s", c->what, ret,
			       ret ? strerror(-ret) : "success", strerror(c->err));
		}
		if (ret == 0)
			rm_unlink(uniq);
		/* a rejected create must leave no name behind */
		if (c->name == NAME_UNIQUE)
			EXPECT_EQ(-ENOENT, rm_unlink(uniq)) TH_LOG("%s", c->what);
	}
	EXPECT_EQ(0, bad);
	close(dev);
}

TEST(create_arg_pointer_bad)
{
	int dev = rm_dev();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-EFAULT, rm_ioctl(dev, RINGMPSC_IOC_CREATE, NULL));
	EXPECT_EQ(-EFAULT, rm_ioctl(dev, RINGMPSC_IOC_CREATE, (void *)0x10));
	EXPECT_EQ(-EFAULT, rm_ioctl(dev, RINGMPSC_IOC_ATTACH, NULL));
	EXPECT_EQ(-EFAULT, rm_ioctl(dev, RINGMPSC_IOC_UNLINK, NULL));
	close(dev);
}

/* The size in the command number versions the struct (spec.md section 5). */
TEST(create_struct_sizes)
{
	struct {
		struct ringmpsc_create c;
		uint64_t ext[2];
	} big;
	char name[64];
	int dev = rm_dev();
	const unsigned long cmd_small =
		_IOC(_IOC_WRITE, RINGMPSC_IOC_MAGIC, 1, 16);
	const unsigned long cmd_big =
		_IOC(_IOC_WRITE, RINGMPSC_IOC_MAGIC, 1, sizeof(big));
	const unsigned long cmd_none = _IO(RINGMPSC_IOC_MAGIC, 1);

	ASSERT_LE(0, dev);
	rm_name(name, sizeof(name), "size");
	memset(&big, 0, sizeof(big));
	big.c = (struct ringmpsc_create){
		.name = (uintptr_t)name, .slot_size = OK_SLOT,
		.capacity = OK_CAP, .max_producers = OK_PROD, .mode = 0600,
	};
	/* smaller than any known version */
	EXPECT_EQ(-EINVAL, rm_ioctl(dev, cmd_small, &big));
	/* no size at all: not a command this driver has */
	EXPECT_EQ(-ENOTTY, rm_ioctl(dev, cmd_none, &big));
	EXPECT_EQ(-ENOENT, rm_unlink(name));
	/* larger with nonzero unknown bytes: the kernel cannot honour them */
	big.ext[1] = 1;
	EXPECT_EQ(-EINVAL, rm_ioctl(dev, cmd_big, &big));
	EXPECT_EQ(-ENOENT, rm_unlink(name));
	/* larger with zero unknown bytes: accepted as the known version */
	big.ext[1] = 0;
	EXPECT_EQ(0, rm_ioctl(dev, cmd_big, &big));
	EXPECT_EQ(0, rm_unlink(name));
	close(dev);
}

TEST(create_name_max_len_ok)
{
	init_names();
	ASSERT_EQ(RINGMPSC_NAME_MAX, strlen(max_name));
	rm_unlink(max_name);
	EXPECT_EQ(0, rm_create(max_name, OK_SLOT, OK_CAP, OK_PROD, 0600, 0));
	EXPECT_EQ(0, rm_unlink(max_name));
}

TEST(create_limits_ok)
{
	char name[64];

	/* Smallest and largest legal geometry of a ring (not allocated). */
	rm_name(name, sizeof(name), "min");
	EXPECT_EQ(0, rm_create(name, RINGMPSC_SLOT_ALIGN, RINGMPSC_CAPACITY_MIN,
			       1, 0600, 0));
	EXPECT_EQ(0, rm_unlink(name));
	rm_name(name, sizeof(name), "maxslot");
	EXPECT_EQ(0, rm_create(name, RINGMPSC_SLOT_MAX, 8, 1, 0600, 0));
	EXPECT_EQ(0, rm_unlink(name));
}

TEST(create_existing)
{
	char name[64];

	rm_name(name, sizeof(name), "exist");
	ASSERT_EQ(0, rm_create(name, OK_SLOT, OK_CAP, OK_PROD, 0600,
			       RINGMPSC_CREATE_EXCL));
	EXPECT_EQ(-EEXIST, rm_create(name, OK_SLOT, OK_CAP, OK_PROD, 0600,
				     RINGMPSC_CREATE_EXCL));
	/* without EXCL, like mq_open(O_CREAT): the existing one is kept */
	EXPECT_EQ(0, rm_create(name, 128, 8, 1, 0666, 0));
	{
		struct ringmpsc_info info;
		int fd = rm_attach(name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);

		ASSERT_LE(0, fd);
		EXPECT_EQ(0, rm_info(fd, &info));
		EXPECT_EQ(OK_SLOT, info.slot_size);
		EXPECT_EQ(OK_CAP, info.capacity);
		EXPECT_EQ(OK_PROD, info.max_producers);
		close(fd);
	}
	EXPECT_EQ(0, rm_unlink(name));
	/* the name is free again */
	EXPECT_EQ(0, rm_create(name, OK_SLOT, OK_CAP, OK_PROD, 0600,
			       RINGMPSC_CREATE_EXCL));
	EXPECT_EQ(0, rm_unlink(name));
	EXPECT_EQ(-ENOENT, rm_unlink(name));
}

struct attach_case {
	const char *what;
	enum name_kind name;
	uint32_t role, flags;
	uint64_t reserved;
	int err;
};

static const struct attach_case attach_cases[] = {
	{ "role 0", NAME_UNIQUE, 0, 0, 0, EINVAL },
	{ "role 3", NAME_UNIQUE, 3, 0, 0, EINVAL },
	{ "role 0xffffffff", NAME_UNIQUE, 0xffffffffU, 0, 0, EINVAL },
	{ "flags 1", NAME_UNIQUE, RINGMPSC_ROLE_PRODUCER, 1, 0, EINVAL },
	{ "flags 1<<31", NAME_UNIQUE, RINGMPSC_ROLE_CONSUMER, 1U << 31, 0, EINVAL },
	{ "reserved 1", NAME_UNIQUE, RINGMPSC_ROLE_PRODUCER, 0, 1, EINVAL },
	{ "reserved 1<<63", NAME_UNIQUE, RINGMPSC_ROLE_CONSUMER, 0, 1ULL << 63, EINVAL },
	{ "name empty", NAME_EMPTY, RINGMPSC_ROLE_PRODUCER, 0, 0, EINVAL },
	{ "name 256 bytes", NAME_TOO_LONG, RINGMPSC_ROLE_PRODUCER, 0, 0, ENAMETOOLONG },
	{ "name with '/'", NAME_SLASH, RINGMPSC_ROLE_CONSUMER, 0, 0, EINVAL },
	{ "name NULL", NAME_NULL, RINGMPSC_ROLE_PRODUCER, 0, 0, EFAULT },
	{ "name bad pointer", NAME_BAD_PTR, RINGMPSC_ROLE_CONSUMER, 0, 0, EFAULT },
	{ "name unterminated", NAME_UNTERMINATED, RINGMPSC_ROLE_PRODUCER, 0, 0, EFAULT },
};

FIXTURE(chan) {
	char name[64];
	int dev;
};

FIXTURE_SETUP(chan)
{
	self->dev = rm_dev();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", RINGMPSC_DEVICE,
				       strerror(-self->dev));
	rm_name(self->name, sizeof(self->name), "chan");
	ASSERT_EQ(0, rm_create(self->name, OK_SLOT, OK_CAP, OK_PROD, 0600,
			       RINGMPSC_CREATE_EXCL));
	init_names();
}

FIXTURE_TEARDOWN(chan)
{
	rm_unlink(self->name);
	close(self->dev);
}

TEST_F(chan, attach_bad_args)
{
	unsigned int i, bad = 0;

	ASSERT_NE(0, name_ptr(NAME_UNTERMINATED, NULL));
	for (i = 0; i < sizeof(attach_cases) / sizeof(attach_cases[0]); i++) {
		const struct attach_case *c = &attach_cases[i];
		struct ringmpsc_attach a = {
			.name = name_ptr(c->name, self->name),
			.role = c->role,
			.flags = c->flags,
			.reserved = c->reserved,
		};
		int fd = rm_dev(), ret;

		ASSERT_LE(0, fd);
		ret = rm_ioctl(fd, RINGMPSC_IOC_ATTACH, &a);
		if (ret != -c->err) {
			bad++;
			TH_LOG("ATTACH %s: got %d (%s), want -%s", c->what, ret,
			       ret ? strerror(-ret) : "success", strerror(c->err));
		}
		/* a failed attach leaves the fd unattached (INV-MOD-04) */
		if (ret)
			EXPECT_EQ(-E_UNATTACHED, rm_ioctl(fd, RINGMPSC_IOC_INFO,
					&(struct ringmpsc_info){0}));
		close(fd);
	}
	EXPECT_EQ(0, bad);
}

TEST_F(chan, attach_missing_enoent)
{
	char other[64];

	rm_name(other, sizeof(other), "missing");
	EXPECT_EQ(-ENOENT, rm_attach(other, RINGMPSC_ROLE_PRODUCER, NULL, NULL));
	EXPECT_EQ(-ENOENT, rm_attach(other, RINGMPSC_ROLE_CONSUMER, NULL, NULL));
}

/* One consumer at a time. INV-LIFE-06 */
TEST_F(chan, second_consumer_ebusy)
{
	int c1 = rm_attach(self->name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	int c2;

	ASSERT_LE(0, c1);
	EXPECT_EQ(-EBUSY, rm_attach(self->name, RINGMPSC_ROLE_CONSUMER, NULL, NULL));
	close(c1);
	/* the consumer slot is free again once the fd is gone */
	c2 = rm_attach(self->name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	EXPECT_LE(0, c2);
	if (c2 >= 0)
		close(c2);
}

TEST_F(chan, attach_twice_same_fd)
{
	int fd = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, NULL, NULL);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EISCONN, rm_attach_fd(fd, self->name, RINGMPSC_ROLE_PRODUCER,
					 NULL, NULL));
	EXPECT_EQ(-EISCONN, rm_attach_fd(fd, self->name, RINGMPSC_ROLE_CONSUMER,
					 NULL, NULL));
	close(fd);
}

TEST_F(chan, unattached_fd_ioctls)
{
	struct ringmpsc_info info;
	struct ringmpsc_stats st;

	EXPECT_EQ(-E_UNATTACHED, rm_info(self->dev, &info));
	EXPECT_EQ(-E_UNATTACHED, rm_stats(self->dev, &st));
	EXPECT_EQ(-E_UNATTACHED, rm_set_eventfd(self->dev, -1));
	EXPECT_EQ(-E_UNATTACHED, rm_wake(self->dev, 0));
	EXPECT_EQ(-E_UNATTACHED, rm_recycle(self->dev, 0, 0));
	/* and no mapping of anything */
	EXPECT_NE(0, rm_map_err(self->dev, RM_PAGE, PROT_READ, 0));
}

TEST_F(chan, unknown_ioctl_enotty)
{
	int fd = rm_attach(self->name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	char buf[256] = { 0 };

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, rm_ioctl(fd, _IO(RINGMPSC_IOC_MAGIC, 0), buf));
	EXPECT_EQ(-ENOTTY, rm_ioctl(fd, _IO(RINGMPSC_IOC_MAGIC, 9), buf));
	EXPECT_EQ(-ENOTTY, rm_ioctl(fd, _IOR(RINGMPSC_IOC_MAGIC, 200, int), buf));
	EXPECT_EQ(-ENOTTY, rm_ioctl(fd, _IOR('T', 3, struct ringmpsc_info), buf));
	EXPECT_EQ(-ENOTTY, rm_ioctl(self->dev, _IO(RINGMPSC_IOC_MAGIC, 0xff), buf));
	close(fd);
}

static int is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* INFO describes the channel and a coherent layout. */
TEST_F(chan, info_producer_and_consumer)
{
	struct ringmpsc_info pi, ci;
	struct ringmpsc_offsets *o = &pi.off;
	uint32_t ring = 77, gen = 77;
	int p = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, &ring, &gen);
	int c = rm_attach(self->name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	size_t pg = RM_PAGE;

	ASSERT_LE(0, p);
	ASSERT_LE(0, c);
	EXPECT_GT(OK_PROD, ring);
	ASSERT_EQ(0, rm_info(p, &pi));
	ASSERT_EQ(0, rm_info(c, &ci));
	EXPECT_EQ(OK_SLOT, pi.slot_size);
	EXPECT_EQ(OK_CAP, pi.capacity);
	EXPECT_EQ(OK_PROD, pi.max_producers);
	EXPECT_EQ(RINGMPSC_ROLE_PRODUCER, pi.role);
	EXPECT_EQ(ring, pi.ring);
	EXPECT_EQ(RINGMPSC_ROLE_CONSUMER, ci.role);
	EXPECT_EQ(~0U, ci.ring);
	EXPECT_EQ(0, memcmp(&pi.off, &ci.off, sizeof(pi.off)));
	EXPECT_EQ(pi.ring_flags, ci.ring_flags);

	/* control area: a page multiple holding the header and every ring */
	EXPECT_EQ(0, o->ctrl_size % pg);
	EXPECT_LE(o->ctrl_header_off + sizeof(struct ringmpsc_ctrl_header),
		  o->ctrl_ring_off);
	EXPECT_LE(sizeof(struct ringmpsc_ctrl_ring), o->ctrl_ring_stride);
	EXPECT_LE(o->ctrl_ring_off + (uint64_t)OK_PROD * o->ctrl_ring_stride,
		  o->ctrl_size);
	/* regions: page aligned, disjoint, inside one ring stride */
	EXPECT_LE(o->ctrl_size, o->ring_base);
	EXPECT_EQ(0, o->ring_base % pg);
	EXPECT_EQ(0, o->ring_stride % pg);
	EXPECT_EQ(0, o->prod_off % pg);
	EXPECT_EQ(0, o->cons_off % pg);
	EXPECT_EQ(0, o->data_off % pg);
	EXPECT_EQ(0, o->data_size % pg);
	EXPECT_LE((uint64_t)OK_SLOT * OK_CAP, o->data_size);
	EXPECT_LE(o->prod_off + o->prod_size, o->ring_stride);
	EXPECT_LE(o->cons_off + o->cons_size, o->ring_stride);
	EXPECT_LE(o->data_off + o->data_map_size, o->ring_stride);
	if (pi.ring_flags & RINGMPSC_RING_F_MIRRORED) {
		EXPECT_EQ(2 * o->data_size, o->data_map_size);
	} else {
		EXPECT_EQ(o->data_size, o->data_map_size);
	}
	/* 64 * 64 bytes is a page multiple: the brief asks for mirroring */
	EXPECT_TRUE(pi.ring_flags & RINGMPSC_RING_F_MIRRORED);
	/* hot words on their own lines inside their page (DESIGN.md) */
	EXPECT_EQ(0, o->tail_off % 8);
	EXPECT_EQ(0, o->head_off % 8);
	EXPECT_LE(o->tail_off + 8, o->prod_size);
	EXPECT_LE(o->prod_flags_off + 4, o->prod_size);
	EXPECT_LE(o->head_off + 8, o->cons_size);
	EXPECT_LE(o->cons_flags_off + 4, o->cons_size);
	EXPECT_NE(o->tail_off / RINGMPSC_LINE, o->prod_flags_off / RINGMPSC_LINE);
	EXPECT_NE(o->head_off / RINGMPSC_LINE, o->cons_flags_off / RINGMPSC_LINE);
	EXPECT_TRUE(is_pow2(pi.capacity));

	/* the attach result matches the control area */
	{
		void *ctrl = rm_map(c, o->ctrl_size, PROT_READ, 0);
		const struct ringmpsc_ctrl_header *h;

		ASSERT_NE(NULL, ctrl);
		h = rm_ctrl_hdr(ctrl, o);
		EXPECT_EQ(RINGMPSC_CTRL_MAGIC, h->magic);
		EXPECT_EQ(RINGMPSC_ABI_VERSION, h->abi_version);
		EXPECT_EQ(OK_PROD, h->nr_rings);
		EXPECT_EQ(RINGMPSC_CONSUMER_PRESENT, h->consumer_state);
		EXPECT_EQ(RINGMPSC_RING_ACTIVE, rm_ring_state(ctrl, o, ring));
		EXPECT_EQ(gen, rm_ring_gen(ctrl, o, ring));
		EXPECT_EQ((uint32_t)getpid(), rm_ctrl_ring(ctrl, o, ring)->owner_pid);
		munmap(ctrl, o->ctrl_size);
	}
	close(p);
	close(c);
}

/*
 * INFO's size versions the struct (spec.md, "Versions of ioctl structs"):
 * the first version (without features) is answered with exactly its bytes,
 * a larger struct gets zeros beyond the known one, a size below the first
 * is EINVAL, and the features word names what this module does.
 */
TEST_F(chan, info_struct_sizes)
{
	struct {
		struct ringmpsc_info info;
		uint64_t ext[2];
	} big;
	const unsigned long cmd_small =
		_IOC(_IOC_READ, RINGMPSC_IOC_MAGIC, 3, RINGMPSC_INFO_SIZE_VER0 - 8);
	const unsigned long cmd_big =
		_IOC(_IOC_READ, RINGMPSC_IOC_MAGIC, 3, sizeof(big));
	struct ringmpsc_info full;
	unsigned char old[RINGMPSC_INFO_SIZE_VER0 + 8];
	int p = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, NULL, NULL);

	ASSERT_LE(0, p);
	ASSERT_EQ(0, rm_info(p, &full));
	EXPECT_EQ(RINGMPSC_FEATURES, full.features);
	EXPECT_TRUE(full.features & RINGMPSC_FEAT_ATTACH_WAKES_PRODUCERS);

	/* an old library's INFO: its bytes, nothing after them */
	memset(old, 0xa5, sizeof(old));
	EXPECT_EQ(0, rm_ioctl(p, RINGMPSC_IOC_INFO_VER0, old));
	EXPECT_EQ(0, memcmp(old, &full, RINGMPSC_INFO_SIZE_VER0));
	for (size_t i = RINGMPSC_INFO_SIZE_VER0; i < sizeof(old); i++)
		EXPECT_EQ(0xa5, old[i]);

	/* a newer library's: ours, then zeros */
	memset(&big, 0xa5, sizeof(big));
	EXPECT_EQ(0, rm_ioctl(p, cmd_big, &big));
	EXPECT_EQ(0, memcmp(&big.info, &full, sizeof(full)));
	EXPECT_EQ(0, big.ext[0]);
	EXPECT_EQ(0, big.ext[1]);

	/* smaller than the first version */
	EXPECT_EQ(-EINVAL, rm_ioctl(p, cmd_small, old));
	close(p);
}

/* Each of the two eventfds was signalled exactly once since last read. */
static void expect_signalled_once(struct __test_metadata *_metadata,
				  const int efd[2])
{
	uint64_t v;

	for (int i = 0; i < 2; i++) {
		v = 0;
		EXPECT_EQ(sizeof(v), read(efd[i], &v, sizeof(v)));
		EXPECT_EQ(1, v);
	}
}

/*
 * A consumer's attach signals every producer's eventfd, as its departure
 * does (RINGMPSC_FEAT_ATTACH_WAKES_PRODUCERS), and counts it in
 * producer_wakeups. INV-STREAM-04
 */
TEST_F(chan, consumer_attach_wakes_producers)
{
	int efd[2] = {
		eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
		eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
	};
	int p0 = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, NULL, NULL);
	int p1 = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, NULL, NULL);
	struct ringmpsc_stats st;
	uint64_t v = 0;
	int c;

	ASSERT_LE(0, efd[0]);
	ASSERT_LE(0, efd[1]);
	ASSERT_LE(0, p0);
	ASSERT_LE(0, p1);
	ASSERT_EQ(0, rm_set_eventfd(p0, efd[0]));
	ASSERT_EQ(0, rm_set_eventfd(p1, efd[1]));
	EXPECT_EQ(-EAGAIN, read(efd[0], &v, sizeof(v)) < 0 ? -errno : 0);

	c = rm_attach(self->name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	ASSERT_LE(0, c);
	expect_signalled_once(_metadata, efd);
	ASSERT_EQ(0, rm_stats(c, &st));
	EXPECT_EQ(2, st.producer_wakeups);
	/* and its departure, once more each */
	close(c);
	expect_signalled_once(_metadata, efd);
	ASSERT_EQ(0, rm_stats(p0, &st));
	EXPECT_EQ(4, st.producer_wakeups);
	close(p0);
	close(p1);
	close(efd[0]);
	close(efd[1]);
}

TEST_F(chan, info_bad_pointer)
{
	int p = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, NULL, NULL);

	ASSERT_LE(0, p);
	EXPECT_EQ(-EFAULT, rm_ioctl(p, RINGMPSC_IOC_INFO, NULL));
	EXPECT_EQ(-EFAULT, rm_ioctl(p, RINGMPSC_IOC_STATS, (void *)0x10));
	close(p);
}

/* Producers get distinct rings, up to max_producers. */
TEST_F(chan, producers_distinct_rings)
{
	int fds[OK_PROD];
	uint32_t rings[OK_PROD];
	unsigned int i, j;

	for (i = 0; i < OK_PROD; i++) {
		fds[i] = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, &rings[i], NULL);
		ASSERT_LE(0, fds[i]) TH_LOG("producer %u: %s", i, strerror(-fds[i]));
		EXPECT_GT(OK_PROD, rings[i]);
		for (j = 0; j < i; j++)
			EXPECT_NE(rings[j], rings[i]);
	}
	/* every ring taken */
	EXPECT_EQ(-EMFILE, rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, NULL, NULL));
	close(fds[1]);
	/* a freed ring is given out again (nothing was committed in it) */
	{
		uint32_t r;
		int fd = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, &r, NULL);

		EXPECT_LE(0, fd);
		EXPECT_EQ(rings[1], r);
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < OK_PROD; i++)
		if (i != 1)
			close(fds[i]);
}

TEST_F(chan, set_eventfd_args)
{
	int p = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, NULL, NULL);
	int c = rm_attach(self->name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int pfd[2];
	struct ringmpsc_eventfd e;

	ASSERT_LE(0, p);
	ASSERT_LE(0, c);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe(pfd));
	EXPECT_EQ(0, rm_set_eventfd(c, efd));
	EXPECT_EQ(0, rm_set_eventfd(p, efd));
	EXPECT_EQ(0, rm_set_eventfd(c, -1));	/* unregister */
	EXPECT_EQ(0, rm_set_eventfd(c, -1));	/* twice is fine */
	EXPECT_EQ(0, rm_set_eventfd(c, efd));
	EXPECT_EQ(-EBADF, rm_set_eventfd(c, 987654));
	EXPECT_EQ(-EINVAL, rm_set_eventfd(c, -2));
	EXPECT_EQ(-EINVAL, rm_set_eventfd(c, pfd[0]));	/* not an eventfd */
	e = (struct ringmpsc_eventfd){ .fd = efd, .flags = 1 };
	EXPECT_EQ(-EINVAL, rm_ioctl(c, RINGMPSC_IOC_SET_EVENTFD, &e));
	e = (struct ringmpsc_eventfd){ .fd = efd, .flags = 1U << 31 };
	EXPECT_EQ(-EINVAL, rm_ioctl(p, RINGMPSC_IOC_SET_EVENTFD, &e));
	EXPECT_EQ(-EFAULT, rm_ioctl(p, RINGMPSC_IOC_SET_EVENTFD, NULL));
	close(pfd[0]);
	close(pfd[1]);
	close(efd);
	close(p);
	close(c);
}

static uint64_t efd_read(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

TEST_F(chan, wake_args_and_signal)
{
	uint32_t ring;
	int p = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, &ring, NULL);
	int c = rm_attach(self->name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	int cefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int pefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct ringmpsc_wake w;

	ASSERT_LE(0, p);
	ASSERT_LE(0, c);
	ASSERT_LE(0, cefd);
	ASSERT_LE(0, pefd);
	ASSERT_EQ(0, rm_set_eventfd(c, cefd));
	ASSERT_EQ(0, rm_set_eventfd(p, pefd));

	/* producer -> consumer */
	EXPECT_EQ(0, rm_wake(p, 0));
	EXPECT_NE(0, efd_read(cefd));
	EXPECT_EQ(0, efd_read(pefd));
	/* consumer -> producer of @ring */
	EXPECT_EQ(0, rm_wake(c, ring));
	EXPECT_NE(0, efd_read(pefd));
	EXPECT_EQ(0, efd_read(cefd));

	/* bad: ring out of range, producer naming a ring, flags */
	EXPECT_EQ(-EINVAL, rm_wake(c, OK_PROD));
	EXPECT_EQ(-EINVAL, rm_wake(c, 0xffffffffU));
	EXPECT_EQ(-EINVAL, rm_wake(p, 1));
	w = (struct ringmpsc_wake){ .ring = ring, .flags = 1 };
	EXPECT_EQ(-EINVAL, rm_ioctl(c, RINGMPSC_IOC_WAKE, &w));
	w = (struct ringmpsc_wake){ .ring = 0, .flags = 1U << 31 };
	EXPECT_EQ(-EINVAL, rm_ioctl(p, RINGMPSC_IOC_WAKE, &w));
	EXPECT_EQ(-EFAULT, rm_ioctl(c, RINGMPSC_IOC_WAKE, NULL));
	/* none of the bad calls signalled anyone */
	EXPECT_EQ(0, efd_read(cefd));
	EXPECT_EQ(0, efd_read(pefd));
	close(cefd);
	close(pefd);
	close(p);
	close(c);
}

/*
 * RECYCLE: only the consumer, only a DETACHED and drained ring, only with
 * the generation it has. INV-LIFE-02
 */
TEST_F(chan, recycle_args)
{
	struct ringmpsc_info info;
	uint32_t ring = 0, gen = 0;
	int p = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, &ring, &gen);
	int c = rm_attach(self->name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	const void *ctrl;
	struct ringmpsc_recycle r;

	ASSERT_LE(0, p);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, rm_info(c, &info));
	ctrl = rm_map(c, info.off.ctrl_size, PROT_READ, 0);
	ASSERT_NE(NULL, ctrl);

	EXPECT_EQ(-EINVAL, rm_recycle(c, ring, gen));		/* ACTIVE */
	EXPECT_EQ(-E_WRONG_ROLE, rm_recycle(p, ring, gen));	/* producer */
	EXPECT_EQ(-EINVAL, rm_recycle(c, OK_PROD, 0));		/* range */
	EXPECT_EQ(-EINVAL, rm_recycle(c, 0xffffffffU, 0));
	/* a ring that was never handed out is not DETACHED */
	EXPECT_EQ(-EINVAL, rm_recycle(c, (ring + 1) % OK_PROD, 0));

	/* one "committed" slot: tail = 1 through the producer's own page */
	{
		void *prod = rm_map(p, info.off.prod_size, PROT_READ | PROT_WRITE,
				    rm_ring_off(&info.off, ring, info.off.prod_off));

		ASSERT_NE(NULL, prod);
		__atomic_store_n((uint64_t *)((char *)prod + info.off.tail_off), 1,
				 __ATOMIC_RELEASE);
		munmap(prod, info.off.prod_size);
	}
	close(p);
	ASSERT_EQ(RINGMPSC_RING_DETACHED, rm_ring_state(ctrl, &info.off, ring));
	/* not drained: nothing committed is discarded. INV-LIFE-02 */
	EXPECT_EQ(-ENOTEMPTY, rm_recycle(c, ring, gen));
	{
		void *cons = rm_map(c, info.off.cons_size, PROT_READ | PROT_WRITE,
				    rm_ring_off(&info.off, ring, info.off.cons_off));

		ASSERT_NE(NULL, cons);
		__atomic_store_n((uint64_t *)((char *)cons + info.off.head_off), 1,
				 __ATOMIC_RELEASE);
		munmap(cons, info.off.cons_size);
	}
	EXPECT_EQ(-ESTALE, rm_recycle(c, ring, gen + 1));	/* generation */
	EXPECT_EQ(-ESTALE, rm_recycle(c, ring, gen - 1));
	EXPECT_EQ(-EFAULT, rm_ioctl(c, RINGMPSC_IOC_RECYCLE, NULL));
	EXPECT_EQ(RINGMPSC_RING_DETACHED, rm_ring_state(ctrl, &info.off, ring));
	EXPECT_EQ(gen, rm_ring_gen(ctrl, &info.off, ring));
	r = (struct ringmpsc_recycle){ .ring = ring, .generation = gen };
	EXPECT_EQ(0, rm_ioctl(c, RINGMPSC_IOC_RECYCLE, &r));
	EXPECT_EQ(RINGMPSC_RING_FREE, rm_ring_state(ctrl, &info.off, ring));
	EXPECT_EQ(gen + 1, rm_ring_gen(ctrl, &info.off, ring));
	/* once recycled, the old generation is stale and the ring not DETACHED */
	EXPECT_EQ(-EINVAL, rm_recycle(c, ring, gen));
	EXPECT_EQ(-EINVAL, rm_recycle(c, ring, gen + 1));
	munmap((void *)ctrl, info.off.ctrl_size);
	close(c);
}

TEST_F(chan, unlink_args)
{
	struct ringmpsc_unlink u = { .name = (uintptr_t)self->name, .reserved = 1 };
	char other[64];

	rm_name(other, sizeof(other), "nothere");
	EXPECT_EQ(-EINVAL, rm_ioctl(self->dev, RINGMPSC_IOC_UNLINK, &u));
	EXPECT_EQ(-ENOENT, rm_unlink(other));
	EXPECT_EQ(-EINVAL, rm_unlink(""));
	EXPECT_EQ(-ENAMETOOLONG, rm_unlink(long_name));
	u = (struct ringmpsc_unlink){ .name = 0x10 };
	EXPECT_EQ(-EFAULT, rm_ioctl(self->dev, RINGMPSC_IOC_UNLINK, &u));
	/* still there after all the bad calls */
	EXPECT_EQ(0, rm_unlink(self->name));
	EXPECT_EQ(-ENOENT, rm_unlink(self->name));
}

/*
 * Unlink removes the name at once; an attached fd keeps working, and a new
 * channel of the same name is a different channel.
 */
TEST_F(chan, unlink_while_attached)
{
	struct ringmpsc_info info;
	int p = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, NULL, NULL);
	int p2;

	ASSERT_LE(0, p);
	ASSERT_EQ(0, rm_unlink(self->name));
	EXPECT_EQ(-ENOENT, rm_attach(self->name, RINGMPSC_ROLE_CONSUMER, NULL, NULL));
	EXPECT_EQ(0, rm_info(p, &info));
	EXPECT_EQ(OK_SLOT, info.slot_size);
	ASSERT_EQ(0, rm_create(self->name, 128, 16, 2, 0600, RINGMPSC_CREATE_EXCL));
	p2 = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, NULL, NULL);
	ASSERT_LE(0, p2);
	EXPECT_EQ(0, rm_info(p2, &info));
	EXPECT_EQ(128, info.slot_size);
	EXPECT_EQ(0, rm_info(p, &info));
	EXPECT_EQ(OK_SLOT, info.slot_size);
	close(p2);
	close(p);
}

TEST_F(chan, stats_count)
{
	struct ringmpsc_stats st;
	int c = rm_attach(self->name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	int p1, p2;

	ASSERT_LE(0, c);
	p1 = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, NULL, NULL);
	p2 = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, NULL, NULL);
	ASSERT_LE(0, p1);
	ASSERT_LE(0, p2);
	close(p1);
	ASSERT_EQ(0, rm_stats(c, &st));
	EXPECT_EQ(2, st.producer_attaches);
	EXPECT_EQ(1, st.producer_detaches);
	EXPECT_EQ(1, st.consumer_attaches);
	EXPECT_LE(2ull * OK_SLOT * OK_CAP, st.bytes_allocated);
	EXPECT_EQ(0, st.reserved[0] | st.reserved[1] | st.reserved[2] | st.reserved[3]);
	ASSERT_EQ(0, rm_stats(p2, &st));
	EXPECT_EQ(2, st.producer_attaches);
	close(p2);
	close(c);
}

/* ---- LIST and STAT, the queries that do not attach --------------------- */

enum buf_kind {
	BUF_OK,		/* room for the count asked */
	BUF_NULL,
	BUF_BAD,	/* pointer into nothing */
};

static uint64_t buf_ptr(enum buf_kind k, void *ok)
{
	return k == BUF_OK ? (uintptr_t)ok : k == BUF_NULL ? 0 : 0x10;
}

struct list_case {
	const char *what;
	uint32_t count, entry_size, flags;
	uint64_t reserved;
	enum buf_kind buf;
	int err;
};

#define LIST_OK	sizeof(struct ringmpsc_list_entry)

/* The fixture's channel exists, so a count above 0 writes an entry. */
static const struct list_case list_cases[] = {
	{ "entry_size 0", 1, 0, 0, 0, BUF_OK, EINVAL },
	{ "entry_size below version 0", 1, RINGMPSC_LIST_ENTRY_SIZE_VER0 - 8, 0, 0, BUF_OK, EINVAL },
	{ "entry_size 4097 (> max)", 1, RINGMPSC_LIST_ENTRY_SIZE_MAX + 1, 0, 0, BUF_OK, EINVAL },
	{ "entry_size 0xffffffff", 1, 0xffffffffU, 0, 0, BUF_OK, EINVAL },
	{ "flags 1", 1, LIST_OK, 1, 0, BUF_OK, EINVAL },
	{ "flags 1<<31", 1, LIST_OK, 1U << 31, 0, BUF_OK, EINVAL },
	{ "reserved 1", 1, LIST_OK, 0, 1, BUF_OK, EINVAL },
	{ "count 1, entries NULL", 1, LIST_OK, 0, 0, BUF_NULL, EFAULT },
	{ "count 0xffffffff, entries NULL", 0xffffffffU, LIST_OK, 0, 0, BUF_NULL, EFAULT },
	{ "entries bad pointer", 1, LIST_OK, 0, 0, BUF_BAD, EFAULT },
};

struct stat_case {
	const char *what;
	enum name_kind name;
	uint32_t nr_rings, ring_size, flags;
	enum buf_kind buf;
	int err;
};

#define RING_OK	sizeof(struct ringmpsc_stat_ring)

static const struct stat_case stat_cases[] = {
	{ "ring_size 0", NAME_UNIQUE, 1, 0, 0, BUF_OK, EINVAL },
	{ "ring_size below version 0", NAME_UNIQUE, 1, RINGMPSC_STAT_RING_SIZE_VER0 - 8, 0, BUF_OK, EINVAL },
	{ "ring_size 4097 (> max)", NAME_UNIQUE, 1, RINGMPSC_STAT_RING_SIZE_MAX + 1, 0, BUF_OK, EINVAL },
	{ "flags 1", NAME_UNIQUE, 1, RING_OK, 1, BUF_OK, EINVAL },
	{ "flags 1<<31", NAME_UNIQUE, 1, RING_OK, 1U << 31, BUF_OK, EINVAL },
	{ "nr_rings 1, rings NULL", NAME_UNIQUE, 1, RING_OK, 0, BUF_NULL, EFAULT },
	{ "nr_rings 0xffffffff, rings NULL", NAME_UNIQUE, 0xffffffffU, RING_OK, 0, BUF_NULL, EFAULT },
	{ "rings bad pointer", NAME_UNIQUE, 1, RING_OK, 0, BUF_BAD, EFAULT },
	{ "name empty", NAME_EMPTY, 1, RING_OK, 0, BUF_OK, EINVAL },
	{ "name 256 bytes", NAME_TOO_LONG, 1, RING_OK, 0, BUF_OK, ENAMETOOLONG },
	{ "name with '/'", NAME_SLASH, 1, RING_OK, 0, BUF_OK, EINVAL },
	{ "name NULL", NAME_NULL, 1, RING_OK, 0, BUF_OK, EFAULT },
	{ "name bad pointer", NAME_BAD_PTR, 1, RING_OK, 0, BUF_OK, EFAULT },
	{ "name unterminated", NAME_UNTERMINATED, 1, RING_OK, 0, BUF_OK, EFAULT },
};

TEST_F(chan, list_bad_args)
{
	struct ringmpsc_list_entry e;
	unsigned int i, bad = 0;

	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		const struct list_case *c = &list_cases[i];
		struct ringmpsc_list a = {
			.entries = buf_ptr(c->buf, &e),
			.count = c->count,
			.entry_size = c->entry_size,
			.flags = c->flags,
			.reserved = c->reserved,
		};
		int ret = rm_ioctl(self->dev, RINGMPSC_IOC_LIST, &a);

		if (ret != -c->err) {
			bad++;
			TH_LOG("LIST %s: got %d (%s), want -%s", c->what, ret,
			       strerror(-ret), strerror(c->err));
		}
	}
	EXPECT_EQ(0, bad);
}

/* The fixture's channel in a LIST, with the entry size @size. */
static int list_find_own(int dev, const char *name, uint32_t size,
			 struct ringmpsc_list_entry *out)
{
	static unsigned char buf[64 * 4096];
	struct ringmpsc_list a = {
		.entries = (uintptr_t)buf,
		.count = sizeof(buf) / size,
		.entry_size = size,
	};
	uint32_t i;
	int ret;

	memset(buf, 0xa5, sizeof(buf));
	ret = rm_ioctl(dev, RINGMPSC_IOC_LIST, &a);
	if (ret)
		return ret;
	if (a.count != a.total)
		return -E2BIG;
	for (i = 0; i < a.count; i++) {
		memcpy(out, buf + (size_t)i * size, sizeof(*out));
		if (!strcmp(out->name, name)) {
			/* The bytes the module does not know are zero. */
			for (size_t k = sizeof(*out); k < size; k++)
				if (buf[(size_t)i * size + k])
					return -EPROTO;
			return 0;
		}
	}
	return -ENOENT;
}

TEST_F(chan, list_sizes_and_counts)
{
	struct ringmpsc_list a = { .entry_size = LIST_OK };
	struct ringmpsc_list_entry e;

	/* count 0: the total only, nothing written. */
	ASSERT_EQ(0, rm_ioctl(self->dev, RINGMPSC_IOC_LIST, &a));
	EXPECT_EQ(0, a.count);
	EXPECT_LE(1, a.total);
	/* count 1 with more channels: one written, the total told. */
	a = (struct ringmpsc_list){ .entries = (uintptr_t)&e, .count = 1,
				    .entry_size = LIST_OK };
	ASSERT_EQ(0, rm_ioctl(self->dev, RINGMPSC_IOC_LIST, &a));
	EXPECT_EQ(1, a.count);
	/* The known size, and a larger future entry with a zeroed tail. */
	ASSERT_EQ(0, list_find_own(self->dev, self->name, LIST_OK, &e));
	EXPECT_EQ(OK_SLOT, e.desc.slot_size);
	EXPECT_EQ(OK_CAP, e.desc.capacity);
	EXPECT_EQ(OK_PROD, e.desc.max_producers);
	EXPECT_EQ(OK_PROD, e.desc.rings_unused);
	EXPECT_EQ(0600, e.desc.mode);
	EXPECT_EQ(getuid(), e.desc.uid);
	EXPECT_TRUE(e.desc.flags & RINGMPSC_CHAN_F_READABLE);
	ASSERT_EQ(0, list_find_own(self->dev, self->name, LIST_OK + 64, &e));
	EXPECT_EQ(OK_SLOT, e.desc.slot_size);
}

TEST_F(chan, stat_bad_args)
{
	struct ringmpsc_stat_ring r[OK_PROD];
	unsigned int i, bad = 0;

	ASSERT_NE(0, name_ptr(NAME_UNTERMINATED, NULL));
	for (i = 0; i < sizeof(stat_cases) / sizeof(stat_cases[0]); i++) {
		const struct stat_case *c = &stat_cases[i];
		struct ringmpsc_stat a = {
			.name = name_ptr(c->name, self->name),
			.rings = buf_ptr(c->buf, r),
			.nr_rings = c->nr_rings,
			.ring_size = c->ring_size,
			.flags = c->flags,
		};
		int ret = rm_ioctl(self->dev, RINGMPSC_IOC_STAT, &a);

		if (ret != -c->err) {
			bad++;
			TH_LOG("STAT %s: got %d (%s), want -%s", c->what, ret,
			       strerror(-ret), strerror(c->err));
		}
	}
	EXPECT_EQ(0, bad);
}

TEST_F(chan, stat_missing_and_sizes)
{
	struct {
		struct ringmpsc_stat s;
		uint64_t ext[2];
	} big;
	struct ringmpsc_stat_ring r[OK_PROD + 2];
	char other[64];
	const unsigned long cmd_big = _IOC(_IOC_READ | _IOC_WRITE,
					   RINGMPSC_IOC_MAGIC, 10, sizeof(big));
	const unsigned long cmd_small = _IOC(_IOC_READ | _IOC_WRITE,
					     RINGMPSC_IOC_MAGIC, 10, 16);

	rm_name(other, sizeof(other), "nothere");
	memset(&big, 0, sizeof(big));
	big.s.name = (uintptr_t)other;
	big.s.ring_size = RING_OK;
	EXPECT_EQ(-ENOENT, rm_ioctl(self->dev, RINGMPSC_IOC_STAT, &big.s));
	big.s.name = (uintptr_t)self->name;
	EXPECT_EQ(-EINVAL, rm_ioctl(self->dev, cmd_small, &big));
	big.ext[0] = 1;
	EXPECT_EQ(-EINVAL, rm_ioctl(self->dev, cmd_big, &big));
	big.ext[0] = 0;
	/* More room than rings: as many as there are. */
	big.s.rings = (uintptr_t)r;
	big.s.nr_rings = OK_PROD + 2;
	EXPECT_EQ(0, rm_ioctl(self->dev, cmd_big, &big));
	EXPECT_EQ(OK_PROD, big.s.nr_rings);
	EXPECT_EQ(OK_PROD, big.s.desc.max_producers);
	EXPECT_EQ(RINGMPSC_RING_UNUSED, r[0].state);
}

TEST_HARNESS_MAIN
