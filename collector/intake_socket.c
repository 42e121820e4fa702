// SPDX-License-Identifier: MIT
/* The datagram intake (intake_socket.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "intake_socket.h"

int socket_intake_open(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

enum source_stop socket_intake_take(struct source *s, int fd, uint64_t now_ns,
				    uint32_t budget)
{
	/* One byte more than a record: a longer datagram shows as such. */
	unsigned char rec[RINGMPSC_SPAN_SIZE + 1];

	while (budget--) {
		ssize_t n;

		if (!s->open && !s->pool)
			return SOURCE_NO_BATCH;
		n = recv(fd, rec, sizeof(rec), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			return errno == EINTR ? SOURCE_BUDGET : SOURCE_EMPTY;
		/* Not one record: zeroes fail the record's checks (its
		 * version), and it is counted corrupt. INV-COLL-01
		 */
		if (n != RINGMPSC_SPAN_SIZE)
			memset(rec, 0, sizeof(rec));
		if (!source_take_record(s, rec, now_ns))
			return SOURCE_NO_BATCH;
	}
	return SOURCE_BUDGET;
}
