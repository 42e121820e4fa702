// SPDX-License-Identifier: GPL-2.0
/*
 * mmap_test: what each role may map, and how, on /dev/ringmpsc (spec.md
 * section 5: PROD, CONS and DATA regions per ring, control area read-only).
 * Wrong offsets and sizes, PROT_WRITE where the role may only read,
 * mprotect upgrades, another producer's ring, an unallocated ring, mremap
 * growth and fork (VM_DONTCOPY).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "helpers.h"

/* errno of a writable mapping the role may not have */
#define E_RO		EACCES
/* errno of a mapping of another producer's ring */
#define E_OTHER		EACCES
/* errno of a mapping of a ring that has no pages yet */
#define E_UNALLOC	ENXIO

#define SLOT	64
#define CAP	64
#define NPROD	3

FIXTURE(m) {
	char name[64];
	int p, p2, c;
	uint32_t ring, ring2;
	struct ringmpsc_info info;
	struct ringmpsc_offsets *o;
	size_t pg;
};

FIXTURE_SETUP(m)
{
	self->pg = RM_PAGE;
	self->p = self->p2 = self->c = -1;
	rm_name(self->name, sizeof(self->name), "mmap");
	ASSERT_EQ(0, rm_create(self->name, SLOT, CAP, NPROD, 0600,
			       RINGMPSC_CREATE_EXCL));
	self->p = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, &self->ring, NULL);
	ASSERT_LE(0, self->p);
	self->p2 = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, &self->ring2, NULL);
	ASSERT_LE(0, self->p2);
	self->c = rm_attach(self->name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	ASSERT_LE(0, self->c);
	ASSERT_EQ(0, rm_info(self->c, &self->info));
	self->o = &self->info.off;
	ASSERT_NE(self->ring, self->ring2);
}

FIXTURE_TEARDOWN(m)
{
	if (self->p >= 0)
		close(self->p);
	if (self->p2 >= 0)
		close(self->p2);
	if (self->c >= 0)
		close(self->c);
	rm_unlink(self->name);
}

static off_t prod_off(const struct ringmpsc_offsets *o, uint32_t r)
{
	return rm_ring_off(o, r, o->prod_off);
}

static off_t cons_off(const struct ringmpsc_offsets *o, uint32_t r)
{
	return rm_ring_off(o, r, o->cons_off);
}

static off_t data_off(const struct ringmpsc_offsets *o, uint32_t r)
{
	return rm_ring_off(o, r, o->data_off);
}

#define RW (PROT_READ | PROT_WRITE)

/* The mappings each role is meant to have work, and see each other. */
TEST_F(m, good_mappings_share_memory)
{
	const struct ringmpsc_offsets *o = self->o;
	void *pctrl, *pprod, *pcons, *pdata, *cctrl, *cprod, *ccons, *cdata;
	volatile uint64_t *tail_w, *head_w;
	const volatile uint64_t *tail_r, *head_r;

	pctrl = rm_map(self->p, o->ctrl_size, PROT_READ, 0);
	pprod = rm_map(self->p, o->prod_size, RW, prod_off(o, self->ring));
	pcons = rm_map(self->p, o->cons_size, PROT_READ, cons_off(o, self->ring));
	pdata = rm_map(self->p, o->data_map_size, RW, data_off(o, self->ring));
	cctrl = rm_map(self->c, o->ctrl_size, PROT_READ, 0);
	cprod = rm_map(self->c, o->prod_size, PROT_READ, prod_off(o, self->ring));
	ccons = rm_map(self->c, o->cons_size, RW, cons_off(o, self->ring));
	cdata = rm_map(self->c, o->data_map_size, PROT_READ, data_off(o, self->ring));
	ASSERT_NE(NULL, pctrl);
	ASSERT_NE(NULL, pprod);
	ASSERT_NE(NULL, pcons);
	ASSERT_NE(NULL, pdata);
	ASSERT_NE(NULL, cctrl);
	ASSERT_NE(NULL, cprod);
	ASSERT_NE(NULL, ccons);
	ASSERT_NE(NULL, cdata);

	/* fresh pages are zero: tail == head == 0 */
	tail_w = (volatile uint64_t *)((char *)pprod + o->tail_off);
	tail_r = (const volatile uint64_t *)((char *)cprod + o->tail_off);
	head_w = (volatile uint64_t *)((char *)ccons + o->head_off);
	head_r = (const volatile uint64_t *)((char *)pcons + o->head_off);
	EXPECT_EQ(0, *tail_r);
	EXPECT_EQ(0, *head_r);
	EXPECT_EQ(0, ((unsigned char *)cdata)[0]);

	/* the producer's writes reach the consumer's view and back */
	memset(pdata, 0xa5, SLOT);
	*tail_w = 1;
	EXPECT_EQ(1, *tail_r);
	EXPECT_EQ(0xa5, ((unsigned char *)cdata)[SLOT - 1]);
	*head_w = 1;
	EXPECT_EQ(1, *head_r);

	/* the data pages are mapped twice back to back */
	if (self->info.ring_flags & RINGMPSC_RING_F_MIRRORED) {
		((unsigned char *)pdata)[o->data_size - 1] = 0x3c;
		((unsigned char *)pdata)[o->data_size] = 0x5a;
		EXPECT_EQ(0x5a, ((unsigned char *)cdata)[0]);
		EXPECT_EQ(0x3c, ((unsigned char *)cdata)[2 * o->data_size - 1]);
	}

	/* the control area shows both rings ACTIVE */
	EXPECT_EQ(RINGMPSC_RING_ACTIVE, rm_ring_state(pctrl, o, self->ring));
	EXPECT_EQ(RINGMPSC_RING_ACTIVE, rm_ring_state(cctrl, o, self->ring2));

	munmap(pctrl, o->ctrl_size);
	munmap(pprod, o->prod_size);
	munmap(pcons, o->cons_size);
	munmap(pdata, o->data_map_size);
	munmap(cctrl, o->ctrl_size);
	munmap(cprod, o->prod_size);
	munmap(ccons, o->cons_size);
	munmap(cdata, o->data_map_size);
}

/* Kernel-owned state is read-only for everyone. INV-LIFE-01 */
TEST_F(m, ctrl_write_refused)
{
	const struct ringmpsc_offsets *o = self->o;

	EXPECT_EQ(-E_RO, rm_map_err(self->p, o->ctrl_size, RW, 0));
	EXPECT_EQ(-E_RO, rm_map_err(self->c, o->ctrl_size, RW, 0));
	EXPECT_EQ(-E_RO, rm_map_err(self->c, o->ctrl_size, PROT_WRITE, 0));
}

/*
 * Each index has a single writer: the consumer cannot write PROD (tail) or
 * DATA, the producer cannot write CONS (head). INV-RING-04
 */
TEST_F(m, role_write_refused)
{
	const struct ringmpsc_offsets *o = self->o;

	EXPECT_EQ(-E_RO, rm_map_err(self->c, o->prod_size, RW, prod_off(o, self->ring)));
	EXPECT_EQ(-E_RO, rm_map_err(self->c, o->data_map_size, RW, data_off(o, self->ring)));
	EXPECT_EQ(-E_RO, rm_map_err(self->c, o->data_map_size, PROT_WRITE, data_off(o, self->ring)));
	EXPECT_EQ(-E_RO, rm_map_err(self->p, o->cons_size, RW, cons_off(o, self->ring)));
}

/* VM_MAYWRITE is cleared: mprotect cannot upgrade a read-only mapping
 * (INV-MOD-02).
 */
TEST_F(m, mprotect_upgrade_refused)
{
	const struct ringmpsc_offsets *o = self->o;
	struct {
		int fd;
		size_t len;
		off_t off;
	} ro[] = {
		{ self->p, o->ctrl_size, 0 },
		{ self->c, o->ctrl_size, 0 },
		{ self->p, o->cons_size, cons_off(o, self->ring) },
		{ self->c, o->prod_size, prod_off(o, self->ring) },
		{ self->c, o->data_map_size, data_off(o, self->ring) },
	};
	unsigned int i;

	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		void *a = rm_map(ro[i].fd, ro[i].len, PROT_READ, ro[i].off);

		ASSERT_NE(NULL, a) TH_LOG("case %u: %s", i, strerror(errno));
		errno = 0;
		EXPECT_EQ(-1, mprotect(a, ro[i].len, RW)) TH_LOG("case %u", i);
		EXPECT_EQ(EACCES, errno) TH_LOG("case %u", i);
		EXPECT_EQ(-1, mprotect(a, self->pg, PROT_READ | PROT_WRITE | PROT_EXEC));
		munmap(a, ro[i].len);
	}
}

/* Only shared, non-executable mappings. */
TEST_F(m, private_or_exec_refused)
{
	const struct ringmpsc_offsets *o = self->o;
	void *a;

	a = mmap(NULL, o->ctrl_size, PROT_READ, MAP_PRIVATE, self->c, 0);
	EXPECT_EQ(MAP_FAILED, a);
	EXPECT_EQ(EINVAL, errno);
	if (a != MAP_FAILED)
		munmap(a, o->ctrl_size);
	a = mmap(NULL, o->data_map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 self->p, data_off(o, self->ring));
	EXPECT_EQ(MAP_FAILED, a);
	EXPECT_EQ(EINVAL, errno);
	if (a != MAP_FAILED)
		munmap(a, o->data_map_size);
	EXPECT_EQ(-EACCES, rm_map_err(self->p, o->data_map_size,
				      PROT_READ | PROT_EXEC,
				      data_off(o, self->ring)));
	EXPECT_EQ(-EACCES, rm_map_err(self->c, o->ctrl_size,
				      PROT_READ | PROT_EXEC, 0));
}

struct map_in_child {
	int fd;
	size_t len;
	off_t off;
};

static int map_in_child_fn(void *arg)
{
	struct map_in_child *m = arg;

	return -rm_map_err(m->fd, m->len, PROT_READ, m->off);
}

/* Only the process that attached maps: an inherited fd cannot. */
TEST_F(m, inherited_fd_cannot_map)
{
	const struct ringmpsc_offsets *o = self->o;
	struct map_in_child mc;

	mc = (struct map_in_child){ self->p, o->data_map_size,
				    data_off(o, self->ring) };
	EXPECT_EQ(EACCES, rm_in_child(map_in_child_fn, &mc));
	mc = (struct map_in_child){ self->c, o->ctrl_size, 0 };
	EXPECT_EQ(EACCES, rm_in_child(map_in_child_fn, &mc));
	/* the parent still can */
	EXPECT_EQ(0, rm_map_err(self->c, o->ctrl_size, PROT_READ, 0));
}

/* A producer maps only its own ring. */
TEST_F(m, other_producers_ring_refused)
{
	const struct ringmpsc_offsets *o = self->o;
	uint32_t r2 = self->ring2;

	EXPECT_EQ(-E_OTHER, rm_map_err(self->p, o->prod_size, RW, prod_off(o, r2)));
	EXPECT_EQ(-E_OTHER, rm_map_err(self->p, o->prod_size, PROT_READ, prod_off(o, r2)));
	EXPECT_EQ(-E_OTHER, rm_map_err(self->p, o->cons_size, PROT_READ, cons_off(o, r2)));
	EXPECT_EQ(-E_OTHER, rm_map_err(self->p, o->data_map_size, RW, data_off(o, r2)));
	EXPECT_EQ(-E_OTHER, rm_map_err(self->p, o->data_map_size, PROT_READ, data_off(o, r2)));
	/* and p2 cannot map p's */
	EXPECT_EQ(-E_OTHER, rm_map_err(self->p2, o->data_map_size, RW,
				       data_off(o, self->ring)));
	/* its own works */
	EXPECT_EQ(0, rm_map_err(self->p2, o->data_map_size, RW, data_off(o, r2)));
}

/* A ring no producer ever had has no pages to map (no PREALLOC). */
TEST_F(m, unallocated_ring_refused)
{
	const struct ringmpsc_offsets *o = self->o;
	uint32_t r;

	/* NPROD rings, two taken: find the third */
	for (r = 0; r < NPROD; r++)
		if (r != self->ring && r != self->ring2)
			break;
	ASSERT_GT(NPROD, r);
	EXPECT_EQ(-E_UNALLOC, rm_map_err(self->c, o->prod_size, PROT_READ, prod_off(o, r)));
	EXPECT_EQ(-E_UNALLOC, rm_map_err(self->c, o->cons_size, RW, cons_off(o, r)));
	EXPECT_EQ(-E_UNALLOC, rm_map_err(self->c, o->data_map_size, PROT_READ, data_off(o, r)));
}

/* Offsets that are not the start of a region, and regions past the end. */
TEST_F(m, wrong_offsets)
{
	const struct ringmpsc_offsets *o = self->o;
	size_t pg = self->pg;
	off_t last = rm_ring_off(o, NPROD, 0);	/* first byte past ring NPROD-1 */

	/* not page aligned: the mm layer refuses */
	EXPECT_EQ(-EINVAL, rm_map_err(self->c, pg, PROT_READ, 8));
	/* past the last ring */
	EXPECT_EQ(-EINVAL, rm_map_err(self->c, o->prod_size, PROT_READ,
				      last + o->prod_off));
	EXPECT_EQ(-EINVAL, rm_map_err(self->c, o->cons_size, RW,
				      last + o->cons_off));
	EXPECT_EQ(-EINVAL, rm_map_err(self->c, pg, PROT_READ, 1L << 40));
	EXPECT_EQ(-EINVAL, rm_map_err(self->p, o->prod_size, RW,
				      rm_ring_off(o, 0xfffff, o->prod_off)));
	/* inside a region, not at its start */
	EXPECT_EQ(-EINVAL, rm_map_err(self->c, pg, PROT_READ,
				      data_off(o, self->ring) + pg));
	EXPECT_EQ(-EINVAL, rm_map_err(self->p, pg, RW,
				      data_off(o, self->ring) + pg));
	if (o->ctrl_size > pg)
		EXPECT_EQ(-EINVAL, rm_map_err(self->c, pg, PROT_READ, pg));
	/* a gap between the control area and ring 0, if there is one */
	if (o->ring_base > o->ctrl_size)
		EXPECT_EQ(-EINVAL, rm_map_err(self->c, pg, PROT_READ,
					      o->ctrl_size));
}

/* Sizes other than the region's. */
TEST_F(m, wrong_sizes)
{
	const struct ringmpsc_offsets *o = self->o;
	size_t pg = self->pg;

	EXPECT_EQ(-EINVAL, rm_map_err(self->c, o->ctrl_size + pg, PROT_READ, 0));
	EXPECT_EQ(-EINVAL, rm_map_err(self->p, o->ctrl_size + pg, PROT_READ, 0));
	EXPECT_EQ(-EINVAL, rm_map_err(self->p, o->prod_size + pg, RW,
				      prod_off(o, self->ring)));
	EXPECT_EQ(-EINVAL, rm_map_err(self->c, o->cons_size + pg, RW,
				      cons_off(o, self->ring)));
	EXPECT_EQ(-EINVAL, rm_map_err(self->p, o->data_map_size + pg, RW,
				      data_off(o, self->ring)));
	EXPECT_EQ(-EINVAL, rm_map_err(self->c, o->data_map_size + pg, PROT_READ,
				      data_off(o, self->ring)));
	/* the whole ring stride at once is not one region */
	EXPECT_EQ(-EINVAL, rm_map_err(self->c, o->ring_stride, PROT_READ,
				      rm_ring_off(o, self->ring, 0)));
}

/* VM_DONTEXPAND: a mapping cannot be grown by mremap. */
TEST_F(m, mremap_grow_refused)
{
	const struct ringmpsc_offsets *o = self->o;
	void *a = rm_map(self->p, o->data_map_size, RW, data_off(o, self->ring));
	void *b;

	ASSERT_NE(NULL, a);
	b = mremap(a, o->data_map_size, o->data_map_size + self->pg, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, b);
	if (b != MAP_FAILED)
		a = b;
	munmap(a, b != MAP_FAILED ? o->data_map_size + self->pg : o->data_map_size);
}

struct touch {
	volatile unsigned char *addr;
	int write;
};

static int touch_fn(void *arg)
{
	struct touch *t = arg;

	if (t->write)
		t->addr[0] = 1;
	else
		return t->addr[0] == 0x77 ? 42 : 43;
	return 44;
}

/*
 * VM_DONTCOPY: a forked child does not get the mapping; touching the
 * address faults. The parent's mapping is unharmed.
 */
TEST_F(m, fork_child_has_no_mapping)
{
	const struct ringmpsc_offsets *o = self->o;
	unsigned char *data = rm_map(self->p, o->data_map_size, RW,
				     data_off(o, self->ring));
	const unsigned char *ctrl = rm_map(self->c, o->ctrl_size, PROT_READ, 0);
	struct touch t;

	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, ctrl);
	data[0] = 0x77;
	t = (struct touch){ data, 0 };
	EXPECT_EQ(1000 + SIGSEGV, rm_in_child(touch_fn, &t));
	t = (struct touch){ data, 1 };
	EXPECT_EQ(1000 + SIGSEGV, rm_in_child(touch_fn, &t));
	t = (struct touch){ (volatile unsigned char *)ctrl, 0 };
	EXPECT_EQ(1000 + SIGSEGV, rm_in_child(touch_fn, &t));
	EXPECT_EQ(0x77, data[0]);
	munmap(data, o->data_map_size);
	munmap((void *)ctrl, o->ctrl_size);
}

/*
 * A write through a PROT_READ mapping of a page the role may not write
 * faults; reads work. INV-LIFE-01, INV-RING-04
 */
TEST_F(m, write_readonly_mapping_segv)
{
	const struct ringmpsc_offsets *o = self->o;
	struct {
		int fd;
		size_t len;
		off_t off;
	} ro[] = {
		{ self->c, o->ctrl_size, 0 },
		{ self->p, o->ctrl_size, 0 },
		{ self->c, o->prod_size, prod_off(o, self->ring) },
		{ self->c, o->data_map_size, data_off(o, self->ring) },
		{ self->p, o->cons_size, cons_off(o, self->ring) },
	};
	unsigned int i;

	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		volatile unsigned char *a = rm_map(ro[i].fd, ro[i].len,
						   PROT_READ, ro[i].off);

		ASSERT_NE(NULL, a) TH_LOG("case %u: %s", i, strerror(errno));
		EXPECT_EQ(0, rm_probe(a, 0)) TH_LOG("case %u", i);
		EXPECT_EQ(SIGSEGV, rm_probe(a, 1)) TH_LOG("case %u", i);
		munmap((void *)a, ro[i].len);
	}
}

/* A mapping outlives its fd; the pages stay until munmap (kref). INV-LIFE-07 */
TEST_F(m, mapping_outlives_fd)
{
	const struct ringmpsc_offsets *o = self->o;
	unsigned char *d = rm_map(self->p, o->data_map_size, RW,
				  data_off(o, self->ring));
	unsigned char *cd = rm_map(self->c, o->data_map_size, PROT_READ,
				   data_off(o, self->ring));

	ASSERT_NE(NULL, d);
	ASSERT_NE(NULL, cd);
	close(self->p);
	self->p = -1;
	close(self->c);
	self->c = -1;
	ASSERT_EQ(0, rm_unlink(self->name));
	d[100] = 0x42;
	EXPECT_EQ(0x42, cd[100]);
	munmap(d, o->data_map_size);
	munmap(cd, o->data_map_size);
}

TEST_HARNESS_MAIN
