/* SPDX-License-Identifier: MIT */
/* Library-internal glue between the ring core and module channels. */
#ifndef RINGMPSC_INTERNAL_H
#define RINGMPSC_INTERNAL_H

#include "ringmpsc.h"

/* lib/channel.c: signal the peer's eventfd through the module (producer:
 * the consumer; consumer: the producer of @ring).
 */
int ringmpsc__chan_wake(struct ringmpsc_channel *chan, uint32_t ring);

/* Write 1 to an eventfd, retrying on EINTR. */
int ringmpsc__eventfd_signal(int fd);

#endif
