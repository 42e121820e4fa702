// SPDX-License-Identifier: GPL-2.0
/*
 * ringmpsc: memory: the layout of a channel, its control area and ring
 * pages, the accessors of the words in them, INFO, and mmap by role
 * (spec.md section 7, "Memory and mmap").
 *
 * mmap offsets, in pages: the control area at 0, then ring i at
 * ctrl_pages + i * ring_stride_pages: its PROD page, its CONS page, then
 * DATA (twice back to back when mirrored). A mapping covers exactly one
 * region. The fault handler inserts page frames (VM_PFNMAP | VM_IO), so
 * no one can take a reference on a ring page through a mapping (GUP,
 * vmsplice, O_DIRECT, io_uring fixed buffers fail): a recycled ring
 * (zeroed in place) is reachable only through the mappings of its
 * current attachments. Pages live until the channel is freed, which
 * waits for every mapping since each vma holds the file.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "compat.h"
#include "invariants.h"
#include "rmpsc.h"

#define RMPSC_GFP	(RMPSC_GFP_USER | __GFP_ZERO)

enum rmpsc_region {
	RMPSC_REGION_CTRL,
	RMPSC_REGION_PROD,
	RMPSC_REGION_CONS,
	RMPSC_REGION_DATA,
};

static size_t rmpsc_ring_struct_size(struct rmpsc_chan *ch)
{
	struct rmpsc_ring *r;

	return struct_size(r, data, ch->data_pages);
}

/* The sizes of a channel's regions and of its memory, from its geometry
 * (already checked).
 */
void rmpsc_layout(struct rmpsc_chan *ch)
{
	u64 bytes = (u64)ch->capacity * ch->slot_size;
	u64 ctrl = RINGMPSC_LAYOUT_CTRL_RING_OFF +
		   (u64)ch->nr_rings * sizeof(struct ringmpsc_ctrl_ring);

	BUILD_BUG_ON(sizeof(struct ringmpsc_ctrl_header) >
		     RINGMPSC_LAYOUT_CTRL_RING_OFF);
	/* The header is ABI: its fields never move. */
	BUILD_BUG_ON(offsetof(struct ringmpsc_ctrl_header, ring_epoch) != 20 ||
		     sizeof(struct ringmpsc_ctrl_header) != 32);
	BUILD_BUG_ON(RINGMPSC_LAYOUT_PROD_FLAGS_OFF + sizeof(u32) > PAGE_SIZE);
	BUILD_BUG_ON(RINGMPSC_LAYOUT_CONS_FLAGS_OFF + sizeof(u32) > PAGE_SIZE);
	ch->mirrored = !(bytes & (PAGE_SIZE - 1));
	ch->data_pages = PAGE_ALIGN(bytes) >> PAGE_SHIFT;
	ch->ctrl_pages = PAGE_ALIGN(ctrl) >> PAGE_SHIFT;
	ch->ring_stride_pages = 2 + ch->data_pages * (ch->mirrored ? 2 : 1);
	/* What CREATE and each ring's allocation take, all of it charged
	 * (INV-MOD-07): the channel, its ring table and control area; a
	 * ring's state with its page array, and its pages.
	 */
	ch->base_bytes = rmpsc_kmalloc_bytes(sizeof(*ch)) +
			 rmpsc_kmalloc_bytes(ch->nr_rings * sizeof(*ch->rings)) +
			 ((u64)ch->ctrl_pages << PAGE_SHIFT);
	ch->ring_bytes = rmpsc_kmalloc_bytes(rmpsc_ring_struct_size(ch)) +
			 ((u64)(2 + ch->data_pages) << PAGE_SHIFT);
}

int rmpsc_ctrl_alloc(struct rmpsc_chan *ch)
{
	struct ringmpsc_ctrl_header *h;

	ch->ctrl = alloc_pages_exact(ch->ctrl_pages << PAGE_SHIFT, RMPSC_GFP);
	if (!ch->ctrl)
		return -ENOMEM;
	atomic_long_add(ch->ctrl_pages, &rmpsc_live_pages);
	h = ch->ctrl;
	h->magic = RINGMPSC_CTRL_MAGIC;
	h->abi_version = RINGMPSC_ABI_VERSION;
	h->nr_rings = ch->nr_rings;
	h->consumer_state = RINGMPSC_CONSUMER_ABSENT;
	return 0;
}

void rmpsc_ctrl_free(struct rmpsc_chan *ch)
{
	if (ch->ctrl) {
		free_pages_exact(ch->ctrl, ch->ctrl_pages << PAGE_SHIFT);
		atomic_long_sub(ch->ctrl_pages, &rmpsc_live_pages);
	}
}

struct ringmpsc_ctrl_header *rmpsc_ctrl_header(struct rmpsc_chan *ch)
{
	return ch->ctrl;
}

struct ringmpsc_ctrl_ring *rmpsc_ctrl_ring(struct rmpsc_chan *ch, u32 i)
{
	return ch->ctrl + RINGMPSC_LAYOUT_CTRL_RING_OFF +
	       i * sizeof(struct ringmpsc_ctrl_ring);
}

static void rmpsc_free_page(struct page *page)
{
	if (!page)
		return;
	__free_page(page);
	atomic_long_dec(&rmpsc_live_pages);
}

static struct page *rmpsc_alloc_page(void)
{
	struct page *page = alloc_page(RMPSC_GFP);

	if (page)
		atomic_long_inc(&rmpsc_live_pages);
	return page;
}

void rmpsc_ring_free(struct rmpsc_chan *ch, struct rmpsc_ring *r)
{
	unsigned long i;

	if (!r)
		return;
	for (i = 0; i < ch->data_pages; i++)
		rmpsc_free_page(r->data[i]);
	rmpsc_free_page(r->prod);
	rmpsc_free_page(r->cons);
	kvfree(r);
}

/* Ring @i (UNUSED) with zeroed pages, charged to the caller's memory
 * cgroup. Under ch->lock.
 */
int rmpsc_ring_alloc(struct rmpsc_chan *ch, u32 i)
{
	struct rmpsc_ring *r;
	unsigned long p;

	lockdep_assert_held(&ch->lock);
	r = kvzalloc(rmpsc_ring_struct_size(ch), RMPSC_GFP_USER);
	if (!r)
		return -ENOMEM;
	r->prod = rmpsc_alloc_page();
	r->cons = rmpsc_alloc_page();
	if (!r->prod || !r->cons)
		goto fail;
	for (p = 0; p < ch->data_pages; p++) {
		r->data[p] = rmpsc_alloc_page();
		if (!r->data[p])
			goto fail;
		cond_resched();
	}
	/* Release: published to mmap, the fault handler and WAKE, which
	 * read it without the lock; pairs with rmpsc_ring_get().
	 */
	smp_store_release(&ch->rings[i], r);
	return 0;
fail:
	rmpsc_ring_free(ch, r);
	return -ENOMEM;
}

/* Recycle: nothing of the old generation survives. Under ch->lock, with
 * no producer attached, so no one writes these pages meanwhile.
 * INV-MOD-05
 */
void rmpsc_ring_zero(struct rmpsc_chan *ch, struct rmpsc_ring *r)
{
	unsigned long i;

	lockdep_assert_held(&ch->lock);
	RMPSC_INV(!r->producer, "INV-MOD-05");
	clear_highpage(r->prod);
	clear_highpage(r->cons);
	for (i = 0; i < ch->data_pages; i++) {
		clear_highpage(r->data[i]);
		cond_resched();
	}
}

/* head and tail are only numbers to the module. INV-LIFE-08 */
u64 rmpsc_ring_load_tail(struct rmpsc_ring *r)
{
	u64 *p = page_address(r->prod) + RINGMPSC_LAYOUT_TAIL_OFF;

	return READ_ONCE(*p);
}

u64 rmpsc_ring_load_head(struct rmpsc_ring *r)
{
	u64 *p = page_address(r->cons) + RINGMPSC_LAYOUT_HEAD_OFF;

	return READ_ONCE(*p);
}

/* Clear the flags word (its NEED_WAKEUP) of @role, which has left ring
 * @r: no one else writes it any more. INV-RING-04, INV-MOD-05
 */
void rmpsc_ring_clear_flags(struct rmpsc_chan *ch, struct rmpsc_ring *r,
			    u32 role)
{
	u32 *p;

	lockdep_assert_held(&ch->lock);
	if (role == RINGMPSC_ROLE_PRODUCER) {
		RMPSC_INV(!r->producer, "INV-MOD-05");
		p = page_address(r->prod) + RINGMPSC_LAYOUT_PROD_FLAGS_OFF;
	} else {
		RMPSC_INV(!ch->consumer, "INV-MOD-05");
		p = page_address(r->cons) + RINGMPSC_LAYOUT_CONS_FLAGS_OFF;
	}
	WRITE_ONCE(*p, 0);
}

static void rmpsc_fill_offsets(struct rmpsc_chan *ch,
			       struct ringmpsc_offsets *o)
{
	memset(o, 0, sizeof(*o));
	o->ctrl_size = ch->ctrl_pages << PAGE_SHIFT;
	o->ctrl_header_off = 0;
	o->ctrl_ring_off = RINGMPSC_LAYOUT_CTRL_RING_OFF;
	o->ctrl_ring_stride = sizeof(struct ringmpsc_ctrl_ring);
	o->ring_base = (u64)ch->ctrl_pages << PAGE_SHIFT;
	o->ring_stride = (u64)ch->ring_stride_pages << PAGE_SHIFT;
	o->prod_off = 0;
	o->cons_off = PAGE_SIZE;
	o->data_off = 2 * PAGE_SIZE;
	o->prod_size = PAGE_SIZE;
	o->cons_size = PAGE_SIZE;
	o->data_size = (u64)ch->data_pages << PAGE_SHIFT;
	o->data_map_size = o->data_size * (ch->mirrored ? 2 : 1);
	o->tail_off = RINGMPSC_LAYOUT_TAIL_OFF;
	o->prod_flags_off = RINGMPSC_LAYOUT_PROD_FLAGS_OFF;
	o->head_off = RINGMPSC_LAYOUT_HEAD_OFF;
	o->cons_flags_off = RINGMPSC_LAYOUT_CONS_FLAGS_OFF;
}

long rmpsc_ioc_info(struct rmpsc_file *f, union rmpsc_ioc_arg *arg)
{
	struct ringmpsc_info *a = &arg->info;
	struct rmpsc_chan *ch = rmpsc_file_chan(f);

	/* The first version ends where features begins. */
	BUILD_BUG_ON(offsetof(struct ringmpsc_info, features) !=
		     RINGMPSC_INFO_SIZE_VER0);
	if (!ch)
		return -ENOTCONN;
	a->slot_size = ch->slot_size;
	a->capacity = ch->capacity;
	a->max_producers = ch->nr_rings;
	a->role = f->role;
	a->ring = f->role == RINGMPSC_ROLE_PRODUCER ? f->ring : ~0U;
	a->ring_flags = ch->mirrored ? RINGMPSC_RING_F_MIRRORED : 0;
	rmpsc_fill_offsets(ch, &a->off);
	a->features = RINGMPSC_FEATURES;
	return 0;
}

/*
 * Decode a page offset: the region, the ring, the page index inside the
 * region and the region's length in pages. -EINVAL if it is not inside a
 * region. The offset is the user's: the indices are clamped under
 * speculation too (array_index_nospec), not only checked.
 */
static int rmpsc_decode(struct rmpsc_chan *ch, unsigned long pgoff,
			enum rmpsc_region *region, u32 *ring,
			unsigned long *index, unsigned long *start,
			unsigned long *npages)
{
	unsigned long rel;
	u64 nr;

	if (pgoff < ch->ctrl_pages) {
		*region = RMPSC_REGION_CTRL;
		*ring = 0;
		*index = array_index_nospec(pgoff, ch->ctrl_pages);
		*start = 0;
		*npages = ch->ctrl_pages;
		return 0;
	}
	pgoff -= ch->ctrl_pages;
	nr = pgoff / ch->ring_stride_pages;
	if (nr >= ch->nr_rings)
		return -EINVAL;
	*ring = array_index_nospec(nr, ch->nr_rings);
	rel = pgoff % ch->ring_stride_pages;
	*start = ch->ctrl_pages + nr * ch->ring_stride_pages;
	if (rel == 0) {
		*region = RMPSC_REGION_PROD;
		*index = 0;
		*npages = 1;
	} else if (rel == 1) {
		*region = RMPSC_REGION_CONS;
		*index = 0;
		*start += 1;
		*npages = 1;
	} else {
		*region = RMPSC_REGION_DATA;
		*index = (rel - 2) % ch->data_pages;
		*start += 2;
		*npages = ch->ring_stride_pages - 2;
	}
	return 0;
}

static struct page *rmpsc_page(struct rmpsc_chan *ch, unsigned long pgoff)
{
	enum rmpsc_region region;
	unsigned long index, start, npages;
	struct rmpsc_ring *r;
	u32 ring;

	if (rmpsc_decode(ch, pgoff, &region, &ring, &index, &start, &npages))
		return NULL;
	if (region == RMPSC_REGION_CTRL)
		return virt_to_page(ch->ctrl + (index << PAGE_SHIFT));
	r = rmpsc_ring_get(ch, ring);
	if (!r)
		return NULL;
	if (region == RMPSC_REGION_PROD)
		return r->prod;
	if (region == RMPSC_REGION_CONS)
		return r->cons;
	return r->data[index];
}

static vm_fault_t rmpsc_vm_fault(struct vm_fault *vmf)
{
	struct rmpsc_file *f = vmf->vma->vm_file->private_data;
	struct rmpsc_chan *ch = rmpsc_file_chan(f);
	struct page *page;

	/* The vma holds the file, so the fd is still attached. */
	if (!ch)
		return VM_FAULT_SIGBUS;
	page = rmpsc_page(ch, vmf->pgoff);
	if (!page)
		return VM_FAULT_SIGBUS;
	/* A special pte without a page reference: the page outlives the
	 * mapping (the vma holds the file, the file the channel) and GUP
	 * cannot pin it. INV-MOD-01, INV-MOD-06
	 */
	return vmf_insert_pfn(vmf->vma, vmf->address, page_to_pfn(page));
}

static const struct vm_operations_struct rmpsc_vm_ops = {
	.fault	= rmpsc_vm_fault,
};

/* May this role write this region? (Regions the role may not map at all
 * are refused before.)
 */
static bool rmpsc_writable(u32 role, enum rmpsc_region region)
{
	if (region == RMPSC_REGION_CTRL)
		return false;
	if (role == RINGMPSC_ROLE_PRODUCER)
		return region != RMPSC_REGION_CONS;
	return region == RMPSC_REGION_CONS;
}

int rmpsc_mmap(struct rmpsc_file *f, struct vm_area_struct *vma)
{
	struct rmpsc_chan *ch = rmpsc_file_chan(f);
	enum rmpsc_region region;
	unsigned long index, start, npages;
	u32 ring;

	if (!ch)
		return -ENOTCONN;
	/* Only the process that attached maps (a passed fd cannot). */
	if (current->mm != f->mm)
		return -EACCES;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (rmpsc_decode(ch, vma->vm_pgoff, &region, &ring, &index, &start,
			 &npages))
		return -EINVAL;
	/* Exactly one whole region. */
	if (vma->vm_pgoff != start || vma_pages(vma) != npages)
		return -EINVAL;
	if (region != RMPSC_REGION_CTRL) {
		/* A producer maps only its own ring. INV-RING-04 */
		if (f->role == RINGMPSC_ROLE_PRODUCER && ring != f->ring)
			return -EACCES;
		if (!rmpsc_ring_get(ch, ring))
			return -ENXIO;
	}
	if (vma->vm_flags & VM_EXEC)
		return -EACCES;
	if (!rmpsc_writable(f->role, region)) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		/* mprotect() cannot make it writable later. INV-MOD-02 */
		rmpsc_vm_flags_clear(vma, VM_MAYWRITE);
	}
	rmpsc_vm_flags_clear(vma, VM_MAYEXEC);
	/* VM_IO | VM_PFNMAP: no GUP (a pin would outlive a recycle, and
	 * reach the next producer's ring), and madvise(MADV_DOFORK) cannot
	 * clear VM_DONTCOPY. INV-MOD-06
	 */
	rmpsc_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTCOPY |
			   VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &rmpsc_vm_ops;
	return 0;
}
