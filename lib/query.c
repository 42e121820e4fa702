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

/* /dev/ringmpsc, or -ENODEV when it does not exist: the module is not
 * loaded. (A shared helper for every call of the library is coming; this
 * one is local until then.)
 */
static int query_dev_open(void)
{
	int fd = open(RINGMPSC_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	return errno == ENOENT || errno == ENXIO ? -ENODEV : -errno;
}

/* One ioctl on a fresh fd; 0 or a negative errno. */
static int query_ioctl(unsigned long req, void *arg)
{
	int fd = query_dev_open(), r;

	if (fd < 0)
		return fd;
	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	r = r < 0 ? -errno : 0;
	close(fd);
	return r;
}

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
	err = query_ioctl(RINGMPSC_IOC_LIST, &a);
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
	err = query_ioctl(RINGMPSC_IOC_STAT, out);
	return err ? err : (int)out->nr_rings;
}
