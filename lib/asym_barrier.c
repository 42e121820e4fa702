// SPDX-License-Identifier: MIT
/*
 * The asymmetric full barrier of the wakeup protocol (spec.md section 3,
 * INV-WAKE-02; (F) and (G) in the diagram in ringmpsc.h). Publishers run on every message, sleepers rarely, so the
 * publisher's half of the Dekker pair is paid by the sleeper: a process
 * registered for MEMBARRIER_CMD_GLOBAL_EXPEDITED publishes with a compiler
 * barrier only, and a side about to sleep calls membarrier(), which makes
 * every CPU running a registered process execute a full barrier before it
 * returns (a CPU that switches tasks executes one anyway).
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

enum { ASYM_UNKNOWN, ASYM_REGISTERED, ASYM_UNAVAILABLE };

/* Process-private, not ring memory: untorn accesses that pair with
 * nothing, since racing first calls both register, which is idempotent
 * (no INV: the registration itself is the kernel's). A fork()ed child
 * inherits the registration with the address space.
 */
static int asym_state = ASYM_UNKNOWN;

static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

bool ringmpsc__asym_barrier_register(void)
{
	const long needed = MEMBARRIER_CMD_GLOBAL_EXPEDITED |
			    MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
	int state = RINGMPSC_READ_ONCE(asym_state);
	long supported;

	if (state == ASYM_UNKNOWN) {
		supported = membarrier(MEMBARRIER_CMD_QUERY);
		state = supported >= 0 && (supported & needed) == needed &&
			membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0 ?
			ASYM_REGISTERED : ASYM_UNAVAILABLE;
		RINGMPSC_WRITE_ONCE(asym_state, state);
	}
	return state == ASYM_REGISTERED;
}

int ringmpsc__sleeper_barrier(void)
{
	/* (G), the sleeper's half of the wakeup pair drawn in ringmpsc.h:
	 * our NEED_WAKEUP store (E) is visible before the caller re-checks
	 * the ring. Pairs with the publisher's full barrier (F) when the
	 * publisher is not registered. INV-WAKE-01.
	 */
	ringmpsc_smp_mb();
	/* Runs the publisher's half on the publisher's CPU when it is
	 * registered and publishes with a compiler barrier only: its index
	 * store before this point is visible to our re-check, its flag load
	 * after it sees our flag. INV-WAKE-02.
	 */
	if (membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) < 0)
		/* A kernel without the command says EINVAL, which the
		 * callers' callers take for a bad argument of theirs
		 * (ringmpsc_wait_retry_ms()): report it as missing.
		 */
		return errno == EINVAL ? -ENOSYS : -errno;
	return 0;
}
