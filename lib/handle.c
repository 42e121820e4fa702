// SPDX-License-Identifier: MIT
/*
 * The calls that depend on a handle's backend (module channel, local
 * rings, bare ring memory), made through its operations table (internal.h);
 * the one teardown of every handle, whatever its backend; and the
 * library's version.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int ringmpsc_producer_wake_peer(struct ringmpsc_producer *p)
{
	if (!p || !p->ops)
		return -EBADF;		/* closed */
	p->stats.wakeups++;
	return p->ops->wake_peer(p);
}

int ringmpsc_consumer_wake_peer(struct ringmpsc_consumer *c, uint32_t ring)
{
	if (!c || !c->ops)
		return -EBADF;		/* closed */
	if (ring >= c->nr_rings)
		return -EINVAL;
	c->stats.wakeups++;
	return c->ops->wake_peer(c, ring);
}

bool ringmpsc_consumer_present(const struct ringmpsc_producer *p)
{
	if (!p || !p->ops)
		return false;		/* closed */
	/* Without a module nobody tracks the consumer: assume one. */
	return !p->ops->consumer_present || p->ops->consumer_present(p);
}

bool ringmpsc__consumer_arrival_announced(const struct ringmpsc_producer *p)
{
	return p->ops && p->ops->arrival_announced &&
	       p->ops->arrival_announced(p);
}

int ringmpsc_consumer_refresh(struct ringmpsc_consumer *c)
{
	/* A closed handle, or ring states that never change. */
	if (!c || !c->ops || !c->ops->refresh)
		return 0;
	return c->ops->refresh(c);
}

int ringmpsc_consumer_recycle(struct ringmpsc_consumer *c, uint32_t ring)
{
	if (!c || !c->ops || ring >= c->nr_rings)
		return -EINVAL;
	/* Only a module detaches rings, so only a module recycles them. */
	return c->ops->recycle ? c->ops->recycle(c, ring) : 0;
}

static int channel_stats(int (*stats)(const void *, struct ringmpsc_stats *),
			 const void *backend, struct ringmpsc_stats *out)
{
	if (!out)
		return -EINVAL;
	return stats ? stats(backend, out) : -EOPNOTSUPP;
}

int ringmpsc_producer_channel_stats(const struct ringmpsc_producer *p,
				    struct ringmpsc_stats *out)
{
	if (!p || !p->ops)
		return -EINVAL;
	return channel_stats(p->ops->channel_stats, p->backend, out);
}

int ringmpsc_consumer_channel_stats(const struct ringmpsc_consumer *c,
				    struct ringmpsc_stats *out)
{
	if (!c || !c->ops)
		return -EINVAL;
	return channel_stats(c->ops->channel_stats, c->backend, out);
}

void ringmpsc__producer_reset(struct ringmpsc_producer *p)
{
	memset(p, 0, sizeof(*p));
	p->wait_fd = -1;
}

/* The ring epoch of a consumer without a module (or a closed one): ring
 * states never change, so it never moves and ringmpsc.h's check of it
 * never calls a refresh. Process-private and constant: no pair.
 */
static const uint32_t ring_epoch_constant;

void ringmpsc__consumer_reset(struct ringmpsc_consumer *c)
{
	memset(c, 0, sizeof(*c));
	c->ring_epoch_p = &ring_epoch_constant;
	c->wait_fd = -1;
}

void ringmpsc_producer_close(struct ringmpsc_producer *p)
{
	/* ops is NULL on a closed handle and on a zeroed one. */
	if (!p || !p->ops)
		return;
	if (p->ops->close)
		p->ops->close(p);
	ringmpsc__producer_reset(p);
}

void ringmpsc_consumer_close(struct ringmpsc_consumer *c)
{
	if (!c || !c->ops)
		return;
	if (c->ops->close)
		c->ops->close(c->backend);
	free(c->rings);		/* and c->hot, one block */
	ringmpsc__consumer_reset(c);
}

const char *ringmpsc_version(void)
{
	/* The release this library was built as: uapi/linux/ringmpsc.h. */
	return RINGMPSC_VERSION_STRING;
}
