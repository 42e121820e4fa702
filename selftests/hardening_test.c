// SPDX-License-Identifier: GPL-2.0
/*
 * hardening_test: what a hostile or careless process must not be able to
 * do with the module's mappings and lifecycle (spec.md section 7).
 *
 * - No reference to a ring page outlives the mapping: GUP (vmsplice,
 *   O_DIRECT, io_uring fixed buffers) fails on every ringmpsc mapping
 *   (VM_IO | VM_PFNMAP), so a recycled ring cannot be reached through an
 *   old pin. INV-MOD-06
 * - madvise(MADV_DOFORK) cannot undo VM_DONTCOPY. INV-MOD-06
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/uio.h>

#include "helpers.h"

#define SLOT	64
#define CAP	64
#define NPROD	2
#define RW	(PROT_READ | PROT_WRITE)

FIXTURE(h) {
	char name[64];
	int p, c;
	uint32_t ring, gen;
	struct ringmpsc_info info;
	const struct ringmpsc_offsets *o;
};

FIXTURE_SETUP(h)
{
	self->p = self->c = -1;
	rm_name(self->name, sizeof(self->name), "hard");
	ASSERT_EQ(0, rm_create(self->name, SLOT, CAP, NPROD, 0600,
			       RINGMPSC_CREATE_EXCL));
	self->p = rm_attach(self->name, RINGMPSC_ROLE_PRODUCER, &self->ring,
			    &self->gen);
	ASSERT_LE(0, self->p);
	self->c = rm_attach(self->name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	ASSERT_LE(0, self->c);
	ASSERT_EQ(0, rm_info(self->c, &self->info));
	self->o = &self->info.off;
}

FIXTURE_TEARDOWN(h)
{
	if (self->p >= 0)
		close(self->p);
	if (self->c >= 0)
		close(self->c);
	rm_unlink(self->name);
}

struct region {
	const char *what;
	int fd;
	size_t len;
	off_t off;
	int prot;
};

/* Every region each role maps, with the access it has. */
static unsigned int regions(FIXTURE_DATA(h) *self, struct region *r)
{
	const struct ringmpsc_offsets *o = self->o;
	uint32_t i = self->ring;
	unsigned int n = 0;

	r[n++] = (struct region){ "prod ctrl", self->p, o->ctrl_size, 0,
				  PROT_READ };
	r[n++] = (struct region){ "prod PROD", self->p, o->prod_size,
				  rm_ring_off(o, i, o->prod_off), RW };
	r[n++] = (struct region){ "prod CONS", self->p, o->cons_size,
				  rm_ring_off(o, i, o->cons_off), PROT_READ };
	r[n++] = (struct region){ "prod DATA", self->p, o->data_map_size,
				  rm_ring_off(o, i, o->data_off), RW };
	r[n++] = (struct region){ "cons ctrl", self->c, o->ctrl_size, 0,
				  PROT_READ };
	r[n++] = (struct region){ "cons PROD", self->c, o->prod_size,
				  rm_ring_off(o, i, o->prod_off), PROT_READ };
	r[n++] = (struct region){ "cons CONS", self->c, o->cons_size,
				  rm_ring_off(o, i, o->cons_off), RW };
	r[n++] = (struct region){ "cons DATA", self->c, o->data_map_size,
				  rm_ring_off(o, i, o->data_off), PROT_READ };
	return n;
}

/*
 * vmsplice() takes page references (GUP) on the user memory it splices:
 * on a ringmpsc mapping it must fail, or the pipe would keep the page of
 * a ring that is later recycled for another producer. INV-MOD-06
 */
TEST_F(h, vmsplice_refused)
{
	struct region r[8];
	unsigned int i, n = regions(self, r);

	for (i = 0; i < n; i++) {
		unsigned char *a = rm_map(r[i].fd, r[i].len, r[i].prot,
					  r[i].off);
		struct iovec iov;
		int pfd[2];
		ssize_t ret;

		ASSERT_NE(NULL, a) TH_LOG("%s: %s", r[i].what, strerror(errno));
		/* Faulted in first: a present pte must not help either. */
		EXPECT_EQ(0, rm_probe(a, 0)) TH_LOG("%s", r[i].what);
		ASSERT_EQ(0, pipe(pfd));
		iov = (struct iovec){ a, 64 };
		ret = vmsplice(pfd[1], &iov, 1, 0);
		EXPECT_EQ(-1, ret) TH_LOG("%s: vmsplice took the page", r[i].what);
		EXPECT_EQ(EFAULT, errno) TH_LOG("%s", r[i].what);
		close(pfd[0]);
		close(pfd[1]);
		munmap(a, r[i].len);
	}
}

/* process_vm_readv() pins the remote pages too (on ourselves here). */
TEST_F(h, process_vm_readv_refused)
{
	const struct ringmpsc_offsets *o = self->o;
	unsigned char *d = rm_map(self->p, o->data_map_size, RW,
				  rm_ring_off(o, self->ring, o->data_off));
	unsigned char buf[64];
	struct iovec local = { buf, sizeof(buf) }, remote;

	ASSERT_NE(NULL, d);
	d[0] = 1;
	remote = (struct iovec){ d, sizeof(buf) };
	EXPECT_EQ(-1, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	munmap(d, o->data_map_size);
}

static int touch_fn(void *arg)
{
	volatile unsigned char *a = arg;

	return *a == 0x5a ? 42 : 43;
}

/*
 * VM_DONTCOPY cannot be cleared with madvise(MADV_DOFORK) (VM_IO), so a
 * forked child never inherits a producer's writable ring. INV-MOD-06
 */
TEST_F(h, madv_dofork_refused)
{
	struct region r[8];
	unsigned int i, n = regions(self, r);

	for (i = 0; i < n; i++) {
		unsigned char *a = rm_map(r[i].fd, r[i].len, r[i].prot,
					  r[i].off);

		ASSERT_NE(NULL, a) TH_LOG("%s: %s", r[i].what, strerror(errno));
		EXPECT_EQ(-1, madvise(a, r[i].len, MADV_DOFORK))
			TH_LOG("%s: MADV_DOFORK accepted", r[i].what);
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s", r[i].what);
		if (r[i].prot & PROT_WRITE)
			a[0] = 0x5a;
		EXPECT_EQ(1000 + SIGSEGV, rm_in_child(touch_fn, a))
			TH_LOG("%s: the child has the mapping", r[i].what);
		munmap(a, r[i].len);
	}
}

TEST_HARNESS_MAIN
