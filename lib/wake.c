// SPDX-License-Identifier: MIT
/* Waking the other side: through the module for channels, by a direct
 * eventfd write for local rings. Called only when the peer's NEED_WAKEUP
 * flag was seen set (INV-WAKE-04).
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "internal.h"

int ringmpsc__eventfd_signal(int fd)
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

int ringmpsc_producer_wake_peer(struct ringmpsc_producer *p)
{
	p->stats.wakeups++;
	if (p->chan)
		return ringmpsc__chan_wake(p->chan, p->ring);
	if (p->wake_peer_fd >= 0)
		return ringmpsc__eventfd_signal(p->wake_peer_fd);
	return 0;
}

int ringmpsc_consumer_wake_peer(struct ringmpsc_consumer *c, uint32_t ring)
{
	if (ring >= c->nr_rings)
		return -EINVAL;
	c->stats.wakeups++;
	if (c->chan)
		return ringmpsc__chan_wake(c->chan, ring);
	if (c->rings[ring].wake_peer_fd >= 0)
		return ringmpsc__eventfd_signal(c->rings[ring].wake_peer_fd);
	return 0;
}
