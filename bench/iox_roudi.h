/* SPDX-License-Identifier: MIT */
/* ringbench: the RouDi that ringbench starts for its iceoryx rows. */
#ifndef RINGBENCH_IOX_ROUDI_H
#define RINGBENCH_IOX_ROUDI_H

#include <stdint.h>

/* Runtime names of ringbench's iceoryx processes: this prefix and the pid. */
#define IOX_RUNTIME_PREFIX	"ringbench-iox-"

/* Start iox-roudi with mempools for samples of up to @max_payload bytes,
 * its configuration and log in @dir; wait until it is ready. 0, or a
 * negative errno (reported on stderr).
 */
int roudi_start(const char *dir, uint32_t max_payload);
/* Stop our RouDi (only in the process that started it) and clean up. */
void roudi_stop(void);
/* 0 while our RouDi is ready, else why not. */
int roudi_error(void);

#endif
