// SPDX-License-Identifier: MIT
/*
 * Channels of the kernel module (/dev/ringmpsc): create, unlink, attach as
 * producer or consumer, map the memory the module reports in
 * struct ringmpsc_offsets, follow ring state changes, recycle, wake: the
 * backend of handles opened by name, whose state is a struct
 * ringmpsc_channel. Every layout fact comes from RINGMPSC_IOC_INFO;
 * nothing is hard-coded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* Where one ring is mapped in this process (NULL: not mapped). */
struct chan_ring_map {
	void *prod;
	void *cons;
	void *data;
};

struct ringmpsc_channel {
	int fd;				/* attached /dev/ringmpsc fd */
	int efd;			/* eventfd registered with the module */
	uint32_t role;			/* enum ringmpsc_role */
	struct ringmpsc_info info;
	const unsigned char *ctrl;	/* control area, read-only */
	uint32_t nr_maps;		/* entries of maps */
	struct chan_ring_map *maps;	/* consumer: every ring; producer: 1 */
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* The fd, or -ENODEV when the module is not loaded, or another negative
 * errno (-EACCES).
 */
static int dev_open(void)
{
	int fd = open(RINGMPSC_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	/* No node (ENOENT), or a node no driver answers: a character
	 * device without a driver (ENXIO), a misc minor nobody registered
	 * (ENODEV). Either way the module is not loaded, which a caller must
	 * tell apart from a channel that does not exist (-ENOENT from
	 * ATTACH and UNLINK).
	 */
	if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
		return -ENODEV;
	return -errno;
}

static uint64_t uptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* One ioctl on an fd of its own, never attached (CREATE, UNLINK, and the
 * queries of lib/query.c).
 */
int ringmpsc__dev_ioctl(unsigned long req, void *arg)
{
	int fd = dev_open(), err;

	if (fd < 0)
		return fd;
	err = xioctl(fd, req, arg);
	close(fd);
	return err < 0 ? err : 0;
}

int ringmpsc_create(const char *name, const struct ringmpsc_channel_attr *attr)
{
	struct ringmpsc_create a;

	if (!name || !attr)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.name = uptr(name);
	a.slot_size = attr->slot_size;
	a.capacity = attr->capacity;
	a.max_producers = attr->max_producers;
	a.mode = attr->mode;
	a.flags = attr->flags;
	return ringmpsc__dev_ioctl(RINGMPSC_IOC_CREATE, &a);
}

int ringmpsc_unlink(const char *name)
{
	struct ringmpsc_unlink a;

	if (!name)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.name = uptr(name);
	return ringmpsc__dev_ioctl(RINGMPSC_IOC_UNLINK, &a);
}

static void *map(struct ringmpsc_channel *ch, uint64_t off, uint64_t size,
		 bool writable)
{
	void *p = mmap(NULL, size, PROT_READ | (writable ? PROT_WRITE : 0),
		       MAP_SHARED, ch->fd, (off_t)off);

	return p == MAP_FAILED ? NULL : p;
}

static void unmap_ring(struct ringmpsc_channel *ch, struct chan_ring_map *m)
{
	const struct ringmpsc_offsets *o = &ch->info.off;

	if (m->prod)
		munmap(m->prod, o->prod_size);
	if (m->cons)
		munmap(m->cons, o->cons_size);
	if (m->data)
		munmap(m->data, o->data_map_size);
	memset(m, 0, sizeof(*m));
}

static void chan_free(struct ringmpsc_channel *ch)
{
	if (!ch)
		return;
	for (uint32_t i = 0; i < ch->nr_maps; i++)
		unmap_ring(ch, &ch->maps[i]);
	free(ch->maps);
	if (ch->ctrl)
		munmap((void *)ch->ctrl, ch->info.off.ctrl_size);
	if (ch->efd >= 0)
		close(ch->efd);
	/* The fd goes last: closing it (with every mapping gone) detaches. */
	if (ch->fd >= 0)
		close(ch->fd);
	free(ch);
}

/* The module's report must describe memory we can use safely. */
static bool info_sane(const struct ringmpsc_info *in)
{
	const struct ringmpsc_offsets *o = &in->off;
	uint64_t ctrl_need = (uint64_t)o->ctrl_ring_off +
			     (uint64_t)in->max_producers * o->ctrl_ring_stride;

	return in->max_producers &&
	       ringmpsc_ring_geometry_valid(in->slot_size, in->capacity) &&
	       o->ctrl_size >= sizeof(struct ringmpsc_ctrl_header) &&
	       o->ctrl_header_off + sizeof(struct ringmpsc_ctrl_header) <=
			o->ctrl_size &&
	       o->ctrl_ring_stride >= sizeof(struct ringmpsc_ctrl_ring) &&
	       ctrl_need <= o->ctrl_size &&
	       (uint64_t)o->tail_off + 8 <= o->prod_size &&
	       (uint64_t)o->prod_flags_off + 4 <= o->prod_size &&
	       (uint64_t)o->head_off + 8 <= o->cons_size &&
	       (uint64_t)o->cons_flags_off + 4 <= o->cons_size &&
	       (uint64_t)in->capacity * in->slot_size <= o->data_size &&
	       o->data_map_size >= o->data_size &&
	       /* mirrored runs of up to capacity slots need both copies */
	       (!(in->ring_flags & RINGMPSC_RING_F_MIRRORED) ||
		(o->data_size == (uint64_t)in->capacity * in->slot_size &&
		 o->data_map_size >= 2 * o->data_size));
}

static const struct ringmpsc_ctrl_header *ctrl_header(const struct ringmpsc_channel *ch)
{
	return (const struct ringmpsc_ctrl_header *)(ch->ctrl +
						     ch->info.off.ctrl_header_off);
}

static const struct ringmpsc_ctrl_ring *ctrl_ring(const struct ringmpsc_channel *ch,
						  uint32_t i)
{
	return (const struct ringmpsc_ctrl_ring *)(ch->ctrl +
		ch->info.off.ctrl_ring_off +
		(size_t)i * ch->info.off.ctrl_ring_stride);
}

/* The control area is what the ABI says it is (spec.md section 5). */
static bool ctrl_header_sane(const struct ringmpsc_channel *ch)
{
	const struct ringmpsc_ctrl_header *h = ctrl_header(ch);

	/* Written once by the module before the channel could be attached,
	 * so before this mapping existed: the mmap() orders them, there is
	 * no pair. Checked, not trusted.
	 */
	return RINGMPSC_READ_ONCE(h->magic) == RINGMPSC_CTRL_MAGIC &&
	       RINGMPSC_READ_ONCE(h->abi_version) == RINGMPSC_ABI_VERSION &&
	       RINGMPSC_READ_ONCE(h->nr_rings) == ch->info.max_producers;
}

/* Open the device, attach as @role, learn the layout, map the control
 * area, register a fresh eventfd to sleep on; room for the ring mappings
 * of the role (a producer's ring: att->ring; a consumer's: all).
 */
static int chan_attach(const char *name, uint32_t role,
		       struct ringmpsc_channel **out, struct ringmpsc_attach *att)
{
	struct ringmpsc_channel *ch;
	struct ringmpsc_eventfd efd;
	void *ctrl;
	int err;

	if (!name)
		return -EINVAL;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ch->efd = -1;
	ch->role = role;
	ch->fd = dev_open();
	if (ch->fd < 0) {
		err = ch->fd;
		goto fail;
	}
	memset(att, 0, sizeof(*att));
	att->name = uptr(name);
	att->role = role;
	err = xioctl(ch->fd, RINGMPSC_IOC_ATTACH, att);
	if (err < 0)
		goto fail;
	err = xioctl(ch->fd, RINGMPSC_IOC_INFO, &ch->info);
	if (err < 0)
		goto fail;
	err = -EPROTO;
	if (!info_sane(&ch->info) ||
	    (role == RINGMPSC_ROLE_PRODUCER &&
	     (att->ring != ch->info.ring || att->ring >= ch->info.max_producers)))
		goto fail;
	err = -ENOMEM;
	ch->nr_maps = role == RINGMPSC_ROLE_PRODUCER ? 1 : ch->info.max_producers;
	ch->maps = calloc(ch->nr_maps, sizeof(*ch->maps));
	if (!ch->maps)
		goto fail;
	ctrl = map(ch, 0, ch->info.off.ctrl_size, false);
	if (!ctrl) {
		err = -errno;
		goto fail;
	}
	ch->ctrl = ctrl;
	err = -EPROTO;
	if (!ctrl_header_sane(ch))
		goto fail;
	ch->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ch->efd < 0) {
		err = -errno;
		goto fail;
	}
	memset(&efd, 0, sizeof(efd));
	efd.fd = ch->efd;
	err = xioctl(ch->fd, RINGMPSC_IOC_SET_EVENTFD, &efd);
	if (err < 0)
		goto fail;
	*out = ch;
	return 0;
fail:
	chan_free(ch);
	return err;
}

/* Map ring @ring's three regions with the access of this fd's role. */
static int map_ring(struct ringmpsc_channel *ch, uint32_t ring,
		    struct chan_ring_map *m, struct ringmpsc_ring_mem *mem)
{
	const struct ringmpsc_offsets *o = &ch->info.off;
	uint64_t base = o->ring_base + (uint64_t)ring * o->ring_stride;
	bool producer = ch->role == RINGMPSC_ROLE_PRODUCER;
	int err;

	m->prod = map(ch, base + o->prod_off, o->prod_size, producer);
	if (!m->prod)
		goto fail;
	m->cons = map(ch, base + o->cons_off, o->cons_size, !producer);
	if (!m->cons)
		goto fail;
	m->data = map(ch, base + o->data_off, o->data_map_size, producer);
	if (!m->data)
		goto fail;
	memset(mem, 0, sizeof(*mem));
	mem->prod = m->prod;
	mem->cons = m->cons;
	mem->data = m->data;
	mem->tail_off = o->tail_off;
	mem->prod_flags_off = o->prod_flags_off;
	mem->head_off = o->head_off;
	mem->cons_flags_off = o->cons_flags_off;
	mem->slot_size = ch->info.slot_size;
	mem->capacity = ch->info.capacity;
	mem->mirrored = ch->info.ring_flags & RINGMPSC_RING_F_MIRRORED;
	return 0;
fail:
	err = -errno;
	unmap_ring(ch, m);
	return err;
}

static int chan_wake(struct ringmpsc_channel *ch, uint32_t ring)
{
	struct ringmpsc_wake w;
	int err;

	memset(&w, 0, sizeof(w));
	w.ring = ring;
	err = xioctl(ch->fd, RINGMPSC_IOC_WAKE, &w);
	return err < 0 ? err : 0;
}

static int chan_stats(const void *backend, struct ringmpsc_stats *out)
{
	const struct ringmpsc_channel *ch = backend;
	int err;

	memset(out, 0, sizeof(*out));
	err = xioctl(ch->fd, RINGMPSC_IOC_STATS, out);
	return err < 0 ? err : 0;
}

static int chan_wake_consumer(struct ringmpsc_producer *p)
{
	return chan_wake(p->backend, 0);	/* a producer passes 0 */
}

static bool chan_consumer_present(const struct ringmpsc_producer *p)
{
	const struct ringmpsc_channel *ch = p->backend;

	/* Pairs with the module's store-release of consumer_state when a
	 * consumer attaches or leaves (INV-LIFE-06; the -EPIPE of blocking
	 * producers, INV-WAKE-05).
	 */
	return ringmpsc_smp_load_acquire(&ctrl_header(ch)->consumer_state) ==
	       RINGMPSC_CONSUMER_PRESENT;
}

/* Does the module signal our eventfd when a consumer attaches? Its INFO
 * says so with a feature bit; a module without it leaves us to wait for an
 * arrival in slices. INV-STREAM-04
 */
static bool chan_arrival_announced(const struct ringmpsc_producer *p)
{
	const struct ringmpsc_channel *ch = p->backend;

	return ch->info.features & RINGMPSC_FEAT_ATTACH_WAKES_PRODUCERS;
}

static void chan_producer_close(struct ringmpsc_producer *p)
{
	chan_free(p->backend);
}

static void chan_close(void *backend)
{
	chan_free(backend);
}

/* Forget everything of the ring's old generation. INV-LIFE-03 */
static void cring_resync(struct ringmpsc_cring *r, uint32_t generation)
{
	r->head = 0;
	r->cached_tail = 0;
	r->peeked = 0;
	r->taken = 0;
	r->broken = false;
	r->generation = generation;
}

/*
 * A ring that cannot be mapped (or bound) is skipped: the other rings are
 * still refreshed, the epoch is taken as acted on (so consume serves them),
 * and the first error is returned once and kept in c->map_err. The ring
 * stays unmapped and not live, so the next refresh maps it again: the
 * next ring state change, a direct call of this function, or the wait
 * path, which retries before every sleep (its producer cannot wake us
 * through a ring where our flag is not set).
 */
static int chan_refresh(struct ringmpsc_consumer *c)
{
	struct ringmpsc_channel *ch = c->backend;
	uint32_t epoch;
	int err = 0, ret;

	/* Acquire before reading any state: pairs with the module's
	 * store-release of ring_epoch after it wrote the states. If the
	 * epoch moves again meanwhile, the next call sees it. INV-LIFE-01
	 */
	epoch = ringmpsc_smp_load_acquire(c->ring_epoch_p);
	for (uint32_t i = 0; i < c->nr_rings; i++) {
		const struct ringmpsc_ctrl_ring *cr = ctrl_ring(ch, i);
		struct ringmpsc_cring *r = &c->rings[i];
		/* Kernel-written; ordered by the ring_epoch acquire above.
		 * INV-LIFE-01, INV-LIFE-03
		 */
		uint32_t state = RINGMPSC_READ_ONCE(cr->state);
		uint32_t gen = RINGMPSC_READ_ONCE(cr->generation);
		struct ringmpsc_ring_mem mem;

		if (state != RINGMPSC_RING_ACTIVE &&
		    state != RINGMPSC_RING_DETACHED) {
			/* FREE or UNUSED: nothing to read. */
			r->live = false;
			r->detached = false;
			if (ch->maps[i].prod && gen != r->generation)
				cring_resync(r, gen);
			continue;
		}
		if (!ch->maps[i].prod) {
			ret = map_ring(ch, i, &ch->maps[i], &mem);
			if (ret == 0)
				ret = ringmpsc_cring_init(r, &mem);
			if (ret < 0) {
				unmap_ring(ch, &ch->maps[i]);
				memset(r, 0, sizeof(*r));
				/* Unmapped: retried at the next refresh. */
				if (!err)
					err = ret;
				continue;
			}
			r->generation = gen;
		} else if (gen != r->generation) {
			cring_resync(r, gen);
		}
		r->live = true;
		/* Drain, then recycle (consume_batch does). */
		r->detached = state == RINGMPSC_RING_DETACHED;
	}
	c->ring_epoch = epoch;
	c->map_err = err;
	return err;
}

static int chan_recycle(struct ringmpsc_consumer *c, uint32_t ring)
{
	const struct ringmpsc_channel *ch = c->backend;
	struct ringmpsc_cring *r = &c->rings[ring];
	struct ringmpsc_recycle a;
	int err;

	memset(&a, 0, sizeof(a));
	a.ring = ring;
	a.generation = r->generation;
	/* A corrupt ring is never read again (INV-RING-10): what is left
	 * in it is lost anyway, so let the module drop it rather than keep
	 * the ring from every later producer. INV-LIFE-02
	 */
	if (r->broken)
		a.flags = RINGMPSC_RECYCLE_DISCARD;
	err = xioctl(ch->fd, RINGMPSC_IOC_RECYCLE, &a);
	if (err == -ENOTEMPTY) {
		/* Not drained yet: still detached, asked again by the next
		 * pass that finds it empty.
		 */
		return err;
	}
	if (err < 0) {
		/* The state or generation moved under us: the module bumped
		 * ring_epoch, and the refresh it causes sets detached again
		 * if the ring still is.
		 */
		r->detached = false;
		return err;
	}
	/* The module zeroed the ring; the next producer starts at 0. */
	cring_resync(r, r->generation + 1);
	r->live = false;
	r->detached = false;
	return 0;
}

static int chan_wake_producer(struct ringmpsc_consumer *c, uint32_t ring)
{
	return chan_wake(c->backend, ring);
}

static const struct ringmpsc_producer_ops chan_producer_ops = {
	.wake_peer = chan_wake_consumer,
	.consumer_present = chan_consumer_present,
	.arrival_announced = chan_arrival_announced,
	.channel_stats = chan_stats,
	.close = chan_producer_close,
};

static const struct ringmpsc_consumer_ops chan_consumer_ops = {
	.wake_peer = chan_wake_producer,
	.refresh = chan_refresh,
	.recycle = chan_recycle,
	.channel_stats = chan_stats,
	.close = chan_close,
};

int ringmpsc_producer_open(struct ringmpsc_producer *p, const char *name)
{
	struct ringmpsc_channel *ch;
	struct ringmpsc_attach att;
	struct ringmpsc_ring_mem mem;
	int err;

	if (!p)
		return -EINVAL;
	/* A failed open leaves a closed handle, whatever *p held before. */
	ringmpsc__producer_reset(p);
	err = chan_attach(name, RINGMPSC_ROLE_PRODUCER, &ch, &att);
	if (err < 0)
		return err;
	err = map_ring(ch, att.ring, &ch->maps[0], &mem);
	if (!err)
		err = ringmpsc_producer_init(p, &mem);
	if (err < 0) {
		chan_free(ch);
		ringmpsc__producer_reset(p);
		return err;
	}
	p->ops = &chan_producer_ops;
	p->backend = ch;
	p->ring = att.ring;
	p->wait_fd = ch->efd;
	return 0;
}

int ringmpsc_consumer_open(struct ringmpsc_consumer *c, const char *name)
{
	struct ringmpsc_channel *ch;
	struct ringmpsc_attach att;
	int err;

	if (!c)
		return -EINVAL;
	err = chan_attach(name, RINGMPSC_ROLE_CONSUMER, &ch, &att);
	if (!err) {
		err = ringmpsc__consumer_alloc(c, ch->nr_maps);
		if (err)
			chan_free(ch);
	}
	if (err < 0) {
		/* Closed, whatever *c held before. */
		ringmpsc__consumer_reset(c);
		return err;
	}
	c->ops = &chan_consumer_ops;
	c->backend = ch;
	c->slot_size = ch->info.slot_size;
	c->capacity = ch->info.capacity;
	c->mask = ch->info.capacity - 1;
	c->mirrored = ch->info.ring_flags & RINGMPSC_RING_F_MIRRORED;
	c->wait_fd = ch->efd;
	c->ring_epoch_p = &ctrl_header(ch)->ring_epoch;
	err = chan_refresh(c);
	if (err < 0) {
		ringmpsc_consumer_close(c);
		return err;
	}
	return 0;
}
