/* SPDX-License-Identifier: MIT */
/* Library-internal glue between the ring core and module channels. */
#ifndef RINGMPSC_INTERNAL_H
#define RINGMPSC_INTERNAL_H

#include "ringmpsc.h"

/* lib/channel.c: signal the peer's eventfd through the module (producer:
 * the consumer; consumer: the producer of @ring).
 */
int ringmpsc__chan_wake(struct ringmpsc_channel *chan, uint32_t ring);

/* lib/asym_barrier.c: register this process for the asymmetric barrier; true
 * when its publishers may use a compiler barrier only (INV-WAKE-02).
 */
bool ringmpsc__asym_barrier_register(void);

/* lib/asym_barrier.c: the sleeper's barrier, between setting NEED_WAKEUP and
 * re-checking the ring. 0, or a negative errno when membarrier() failed:
 * then a registered publisher may miss the flag, and the caller must not
 * sleep without a time limit (INV-WAKE-06).
 */
int ringmpsc__sleeper_barrier(void);

/* Longest sleep after a failed sleeper barrier (INV-WAKE-06). */
#define RINGMPSC_UNARMED_SLEEP_MS	1

/* Write 1 to an eventfd, retrying on EINTR. */
int ringmpsc__eventfd_signal(int fd);

#endif
