/* SPDX-License-Identifier: MIT */
/*
 * The datagram intake (--socket PATH): span records that producers send
 * one per datagram to an AF_UNIX socket, as statsd-style agents take
 * them, into the same batches, pipeline and exporters as the rings' (the
 * rings' rival in bench_e2e, and a way in for a producer that cannot map
 * a ring). A datagram read is the collector's alone: nothing is held or
 * released, so a collector that dies loses what its batches held (the
 * rings keep theirs, INV-COLL-04), and the rate limit does not apply.
 */
#ifndef COLLECTOR_INTAKE_SOCKET_H
#define COLLECTOR_INTAKE_SOCKET_H

#include "source.h"

/* Bind a nonblocking datagram socket at @path (a stale one is replaced).
 * The fd, or a negative errno.
 */
int socket_intake_open(const char *path);
/* Take up to @budget datagrams from @fd into batches. Edge-triggered
 * callers: SOURCE_EMPTY means the socket was read to EAGAIN.
 */
enum source_stop socket_intake_take(struct source *s, int fd, uint64_t now_ns,
				    uint32_t budget);

#endif /* COLLECTOR_INTAKE_SOCKET_H */
