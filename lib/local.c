// SPDX-License-Identifier: MIT
/*
 * Local rings: the channel layout in a shared memfd, without the module.
 * For threads of one process, or processes forked after creation; also
 * what the host tests and benchmarks run on. Wakeups are direct writes
 * to eventfds that forked children inherit. The handles' backend is the
 * struct ringmpsc_local: no module, so no ring states, no recycling, and
 * a consumer is always taken as present. What the module would otherwise
 * keep, that a ring has one producer, is a word in the shared memory, so
 * that it holds across fork too (INV-LOCAL-01).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

struct ringmpsc_local {
	uint32_t nr_rings;
	uint32_t slot_size;
	uint32_t capacity;
	bool mirrored;
	size_t page;
	size_t data_size;	/* one copy, page multiple */
	unsigned char *pages;	/* PROD and CONS page of every ring */
	unsigned char **data;	/* per ring, mirrored when possible */
	int consumer_fd;	/* eventfd the consumer sleeps on */
	int *producer_fds;	/* eventfd each producer sleeps on */
};

/* Write 1 to an eventfd, retrying on EINTR. */
static int eventfd_signal(int fd)
{
	uint64_t one = 1;
	ssize_t n;

	do {
		n = write(fd, &one, sizeof(one));
	} while (n < 0 && errno == EINTR);
	/* EAGAIN: the counter is saturated, so the sleeper is already due. */
	if (n < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

/*
 * A ring's producer binding: a word of its PROD page, on a line of its own
 * after tail and the producer's flags (the module's layout leaves the rest
 * of that page unused). 0: free; else the pid of the process that bound
 * it, so that a binding whose process died can be taken over.
 */
#define LOCAL_BOUND_OFF	(2 * RINGMPSC_LINE)

static uint32_t *bound_word(const struct ringmpsc_local *l, uint32_t ring)
{
	return (uint32_t *)(void *)(l->pages + 2 * l->page * ring +
				    LOCAL_BOUND_OFF);
}

/*
 * Claim ring @ring for this process: true if it was free, or bound by a
 * process that no longer exists (a producer that died, whose committed
 * messages stay, INV-LIFE-04; its reservation was never visible,
 * INV-RING-09). Acquire (the cmpxchg is a full barrier): the tail the last
 * producer stored before its close is the one we start from; pairs with
 * the store-release in local_producer_close(). INV-LOCAL-01
 */
static bool local_bind(struct ringmpsc_local *l, uint32_t ring)
{
	uint32_t self = (uint32_t)getpid();
	uint32_t owner = RINGMPSC_READ_ONCE(*bound_word(l, ring));

	if (owner && (kill((pid_t)owner, 0) == 0 || errno != ESRCH))
		return false;	/* alive, or not ours to judge (EPERM) */
	return ringmpsc_cmpxchg(bound_word(l, ring), owner, self);
}

static void local_producer_close(struct ringmpsc_producer *p)
{
	/* Nobody is to wake a handle that is gone: clear our NEED_WAKEUP,
	 * as the module does when a ring detaches (INV-MOD-05). Ours alone
	 * to write (INV-RING-04).
	 */
	RINGMPSC_WRITE_ONCE(*p->flags_p, 0);
	/* Free the ring for the next producer. Release: our last stores of
	 * tail and flags are visible to whoever binds it next (local_bind()).
	 * INV-LOCAL-01
	 */
	ringmpsc_smp_store_release(bound_word(p->backend, p->ring), 0);
}

static int local_wake_consumer(struct ringmpsc_producer *p)
{
	const struct ringmpsc_local *l = p->backend;

	return eventfd_signal(l->consumer_fd);
}

static int local_wake_producer(struct ringmpsc_consumer *c, uint32_t ring)
{
	const struct ringmpsc_local *l = c->backend;

	return eventfd_signal(l->producer_fds[ring]);
}

static const struct ringmpsc_producer_ops local_producer_ops = {
	.wake_peer = local_wake_consumer,
	.close = local_producer_close,
};

static const struct ringmpsc_consumer_ops local_consumer_ops = {
	.wake_peer = local_wake_producer,
};

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

/* Map @len bytes of @fd at @off twice, back to back. */
static void *map_mirrored(int fd, off_t off, size_t len)
{
	unsigned char *base, *a, *b;

	base = mmap(NULL, 2 * len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	a = mmap(base, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, off);
	b = mmap(base + len, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, off);
	if (a == MAP_FAILED || b == MAP_FAILED) {
		munmap(base, 2 * len);
		return NULL;
	}
	return base;
}

static int local_map(struct ringmpsc_local *l, int memfd)
{
	size_t ctl = 2 * l->page * l->nr_rings;

	l->pages = mmap(NULL, ctl, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (l->pages == MAP_FAILED) {
		l->pages = NULL;
		return -errno;
	}
	for (uint32_t i = 0; i < l->nr_rings; i++) {
		off_t off = (off_t)(ctl + i * l->data_size);

		if (l->mirrored) {
			l->data[i] = map_mirrored(memfd, off, l->data_size);
		} else {
			l->data[i] = mmap(NULL, l->data_size, PROT_READ | PROT_WRITE,
					  MAP_SHARED, memfd, off);
			if (l->data[i] == MAP_FAILED)
				l->data[i] = NULL;
		}
		if (!l->data[i])
			return -ENOMEM;
	}
	return 0;
}

static int make_eventfd(int *fd)
{
	*fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return *fd < 0 ? -errno : 0;
}

int ringmpsc_local_create(struct ringmpsc_local **out, uint32_t nr_rings,
			  uint32_t slot_size, uint32_t capacity, uint32_t flags)
{
	struct ringmpsc_local *l;
	size_t bytes;
	int memfd, err;

	if (!out || nr_rings == 0 || nr_rings > RINGMPSC_PRODUCERS_MAX ||
	    !ringmpsc_ring_geometry_valid(slot_size, capacity) ||
	    (flags & ~RINGMPSC_LOCAL_NO_MIRROR))
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->nr_rings = nr_rings;
	l->slot_size = slot_size;
	l->capacity = capacity;
	l->page = (size_t)sysconf(_SC_PAGESIZE);
	l->data_size = round_up((size_t)capacity * slot_size, l->page);
	l->mirrored = !(flags & RINGMPSC_LOCAL_NO_MIRROR) &&
		      l->data_size == (size_t)capacity * slot_size;
	l->consumer_fd = -1;
	l->data = calloc(nr_rings, sizeof(*l->data));
	l->producer_fds = malloc(nr_rings * sizeof(*l->producer_fds));
	if (!l->data || !l->producer_fds) {
		free(l->data);
		free(l->producer_fds);
		free(l);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < nr_rings; i++)
		l->producer_fds[i] = -1;

	memfd = memfd_create("ringmpsc-local", MFD_CLOEXEC);
	if (memfd < 0) {
		err = -errno;
		goto fail;
	}
	bytes = (2 * l->page + l->data_size) * nr_rings;
	err = ftruncate(memfd, (off_t)bytes) ? -errno : local_map(l, memfd);
	close(memfd);		/* the mappings keep the memory */
	if (err)
		goto fail;
	err = make_eventfd(&l->consumer_fd);
	for (uint32_t i = 0; i < nr_rings && !err; i++)
		err = make_eventfd(&l->producer_fds[i]);
	if (err)
		goto fail;
	*out = l;
	return 0;
fail:
	ringmpsc_local_destroy(l);
	return err;
}

void ringmpsc_local_destroy(struct ringmpsc_local *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; i < l->nr_rings; i++) {
		if (l->data[i])
			munmap(l->data[i], l->mirrored ? 2 * l->data_size
						       : l->data_size);
		if (l->producer_fds[i] >= 0)
			close(l->producer_fds[i]);
	}
	if (l->pages)
		munmap(l->pages, 2 * l->page * l->nr_rings);
	if (l->consumer_fd >= 0)
		close(l->consumer_fd);
	free(l->data);
	free(l->producer_fds);
	free(l);
}

int ringmpsc_local_ring_mem(const struct ringmpsc_local *l, uint32_t ring,
			    struct ringmpsc_ring_mem *out)
{
	if (!l || !out || ring >= l->nr_rings)
		return -EINVAL;
	out->prod = l->pages + 2 * l->page * ring;
	out->cons = l->pages + 2 * l->page * ring + l->page;
	out->data = l->data[ring];
	/* The positions the module uses too (uapi/linux/ringmpsc.h says
	 * why); here nothing reports them, so we take them from there.
	 */
	out->tail_off = RINGMPSC_LAYOUT_TAIL_OFF;
	out->prod_flags_off = RINGMPSC_LAYOUT_PROD_FLAGS_OFF;
	out->head_off = RINGMPSC_LAYOUT_HEAD_OFF;
	out->cons_flags_off = RINGMPSC_LAYOUT_CONS_FLAGS_OFF;
	out->slot_size = l->slot_size;
	out->capacity = l->capacity;
	out->mirrored = l->mirrored;
	return 0;
}

int ringmpsc_local_producer(struct ringmpsc_local *l, uint32_t ring,
			    struct ringmpsc_producer *p)
{
	struct ringmpsc_ring_mem mem;
	int err = ringmpsc_local_ring_mem(l, ring, &mem);

	if (err || !p)
		return err ? err : -EINVAL;
	if (!local_bind(l, ring)) {
		ringmpsc__producer_reset(p);
		return -EBUSY;
	}
	err = ringmpsc_producer_init(p, &mem);
	if (err) {
		/* Nothing was published: this only frees the ring. */
		ringmpsc_smp_store_release(bound_word(l, ring), 0);
		return err;
	}
	p->ops = &local_producer_ops;
	p->backend = l;
	p->ring = ring;
	p->wait_fd = l->producer_fds[ring];
	return 0;
}

int ringmpsc_local_consumer(struct ringmpsc_local *l, struct ringmpsc_consumer *c)
{
	struct ringmpsc_ring_mem mem;
	int err;

	if (!l || !c)
		return -EINVAL;
	err = ringmpsc__consumer_alloc(c, l->nr_rings);
	if (err)
		return err;
	c->ops = &local_consumer_ops;
	c->backend = l;
	c->slot_size = l->slot_size;
	c->capacity = l->capacity;
	c->mask = l->capacity - 1;
	c->mirrored = l->mirrored;
	c->wait_fd = l->consumer_fd;
	for (uint32_t i = 0; i < l->nr_rings; i++) {
		ringmpsc_local_ring_mem(l, i, &mem);
		err = ringmpsc_cring_init(&c->rings[i], &mem);
		if (err) {
			ringmpsc_consumer_close(c);
			return err;
		}
	}
	return 0;
}
