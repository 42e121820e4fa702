/* SPDX-License-Identifier: MIT */
/*
 * Library-internal: the operations a backend provides behind a handle, and
 * the glue between the files of the library.
 */
#ifndef RINGMPSC_INTERNAL_H
#define RINGMPSC_INTERNAL_H

#include "ringmpsc.h"

/*
 * What a backend does for a handle (p->ops, c->ops); its own state is at
 * p->backend, c->backend. Three backends: module channels (channel.c),
 * local rings (local.c), and bare ring memory (ring.c: no peer to wake).
 * wake_peer is required; a NULL entry means the backend has no such thing,
 * and handle.c gives the answer that follows: a consumer is present (and
 * nobody announces one's arrival), ring states never change, there are no
 * module counters (-EOPNOTSUPP), the handle holds nothing to give back. What serves both roles takes the
 * backend's state alone.
 */
struct ringmpsc_producer_ops {
	/* Signal the consumer's eventfd; its NEED_WAKEUP was seen set. */
	int (*wake_peer)(struct ringmpsc_producer *p);
	bool (*consumer_present)(const struct ringmpsc_producer *p);
	/* Is our eventfd signalled when a consumer attaches? INV-STREAM-04 */
	bool (*arrival_announced)(const struct ringmpsc_producer *p);
	int (*channel_stats)(const void *backend, struct ringmpsc_stats *out);
	/* Give back what the handle holds; it is reset after. */
	void (*close)(struct ringmpsc_producer *p);
};

struct ringmpsc_consumer_ops {
	/* Signal the eventfd of ring @ring's producer (@ring < nr_rings). */
	int (*wake_peer)(struct ringmpsc_consumer *c, uint32_t ring);
	/* Act on the ring states behind c->ring_epoch_p (ringmpsc.h). */
	int (*refresh)(struct ringmpsc_consumer *c);
	/* Hand back the drained detached ring @ring (< nr_rings). */
	int (*recycle)(struct ringmpsc_consumer *c, uint32_t ring);
	int (*channel_stats)(const void *backend, struct ringmpsc_stats *out);
	/* Give back what the backend holds; c->rings is freed after. */
	void (*close)(void *backend);
};

/* lib/handle.c: a closed handle (no ops, wait_fd -1; a consumer's ring
 * epoch never changes), what the backends start from.
 */
void ringmpsc__producer_reset(struct ringmpsc_producer *p);
void ringmpsc__consumer_reset(struct ringmpsc_consumer *c);

/* lib/handle.c: does the backend signal the producer's eventfd when a
 * consumer attaches (false without a module)? INV-STREAM-04
 */
bool ringmpsc__consumer_arrival_announced(const struct ringmpsc_producer *p);

/* lib/channel.c: one ioctl on a /dev/ringmpsc fd of its own, never
 * attached; 0 or a negative errno, -ENODEV when the module is not loaded.
 */
int ringmpsc__dev_ioctl(unsigned long req, void *arg);

/* lib/asym_barrier.c: register this process for the asymmetric barrier;
 * true when its publishers may use a compiler barrier only (INV-WAKE-02).
 */
bool ringmpsc__asym_barrier_register(void);

/* lib/asym_barrier.c: the sleeper's barrier, between setting NEED_WAKEUP
 * and re-checking the ring. 0, or a negative errno when membarrier()
 * failed: then a registered publisher may miss the flag, and the caller
 * must not sleep without a time limit (INV-WAKE-06).
 */
int ringmpsc__sleeper_barrier(void);

#endif
