// SPDX-License-Identifier: MIT
/*
 * The module's queries that do not attach (LIST, STAT): the calls of
 * <ringmpsc_query.h>, each on an fd of its own that is never attached.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <ringmpsc_query.h>

#include "internal.h"

int ringmpsc_list(struct ringmpsc_list_entry *out, uint32_t max)
{
	struct ringmpsc_list a;
	int err;

	if (max && !out)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.entries = (uint64_t)(uintptr_t)out;
	a.count = max;
	a.entry_size = sizeof(*out);
	err = ringmpsc__dev_ioctl(RINGMPSC_IOC_LIST, &a);
	if (err)
		return err;
	return a.total > INT32_MAX ? -EOVERFLOW : (int)a.total;
}

int ringmpsc_list_all(struct ringmpsc_list_entry **out)
{
	struct ringmpsc_list_entry *v = NULL, *bigger;
	uint32_t room = 0;
	int n;

	if (!out)
		return -EINVAL;
	/* Channels may come between two calls: grow until all fit. */
	for (;;) {
		n = ringmpsc_list(v, room);
		if (n < 0 || (uint32_t)n <= room)
			break;
		room = (uint32_t)n + 8;
		bigger = realloc(v, room * sizeof(*v));
		if (!bigger) {
			n = -ENOMEM;
			break;
		}
		v = bigger;
	}
	if (n <= 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	return n;
}

int ringmpsc_stat(const char *name, struct ringmpsc_stat *out,
		  struct ringmpsc_stat_ring *rings, uint32_t max)
{
	int err;

	if (!name || !out || (max && !rings))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->name = (uint64_t)(uintptr_t)name;
	out->rings = (uint64_t)(uintptr_t)rings;
	out->nr_rings = max;
	out->ring_size = sizeof(*rings);
	err = ringmpsc__dev_ioctl(RINGMPSC_IOC_STAT, out);
	return err ? err : (int)out->nr_rings;
}
