// SPDX-License-Identifier: MIT
/*
 * The asymmetric barrier of the wakeup protocol (spec.md section 3,
 * INV-WAKE-02 and -06): handles publish with a compiler barrier exactly
 * when the kernel lets this process register for membarrier(); blocking
 * round trips lose no wakeup whichever barrier each side publishes with;
 * a sleeper denied membarrier() by seccomp reports it from
 * ringmpsc_wait_prepare and still never sleeps through a message in
 * ringmpsc_wait.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/membarrier.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "pingpong.h"
#include "util.h"

/* Seconds before the harness ends a test: four ping-pongs, whose every
 * blocking call fails after PINGPONG_BLOCK_MS (60 s).
 */
#define TIMEOUT_S 300

TEST_PROCESS_FIXTURE(barrier)

static bool kernel_offers_asym(void)
{
	const long needed = MEMBARRIER_CMD_GLOBAL_EXPEDITED |
			    MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
	long supported = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	return supported >= 0 && (supported & needed) == needed;
}

/* Every handle bound to ring memory uses the asymmetric barrier when the
 * kernel offers it, the full fence otherwise.
 */
TEST_F_TIMEOUT(barrier, barrier_mode_follows_kernel, TIMEOUT_S)
{
	bool asym = kernel_offers_asym();
	struct lfix f;

	test_diag("membarrier GLOBAL_EXPEDITED %s", asym ? "offered" : "not offered");
	ASSERT_EQ(0, lfix_init(&f, 2, 16, 4, 0));
	for (uint32_t i = 0; i < f.n; i++) {
		EXPECT_EQ(asym, f.p[i].asym_barrier);
		EXPECT_EQ(asym, f.c.rings[i].asym_barrier);
	}
	lfix_fini(&f);
}

/* RINGMPSC_STRESS_N as for the stress test: N / 100 round trips, at least
 * 300.
 */
static uint64_t trips(void)
{
	uint64_t n = test_env_count("RINGMPSC_STRESS_N", 10000000);

	return n / 100 > 300 ? n / 100 : 300;
}

/* Blocking round trips with each pairing of publisher barriers: a
 * registered publisher relies on the sleeper's membarrier(), a fenced one
 * on its own fence; neither may lose a wakeup (INV-WAKE-01/02/03).
 */
TEST_F_TIMEOUT(barrier, pingpong_every_barrier_pairing, TIMEOUT_S)
{
	for (int k = 0; k < 4; k++) {
		struct pingpong pp = {
			.trips = trips(),
			.parent_fence = k & 1,
			.child_fence = k & 2,
		};

		EXPECT_EQ(0, pingpong_run(&pp));
		test_diag("parent %s, child %s: %llu round trips in %.2fs",
			  pp.parent_fence ? "fence" : "asym",
			  pp.child_fence ? "fence" : "asym",
			  (unsigned long long)pp.trips, pp.seconds);
	}
}

/* Deny membarrier() with EPERM from now on (x86-64 numbers only; other
 * architectures are let through and the test reports a skip).
 */
static int deny_membarrier(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_membarrier, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(code) / sizeof(code[0]),
		.filter = code,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -errno;
	return 0;
}

/* In the child of the ping-pong, before the first message: with
 * membarrier() denied, wait_prepare cannot promise a wakeup and says so
 * instead of arming (INV-WAKE-06).
 */
static int deny_and_check_prepare(struct ringmpsc_consumer *c)
{
	int err = deny_membarrier();

	if (err)
		return err;
	err = ringmpsc_wait_prepare(c);	/* nothing sent yet: would sleep */
	if (err != -EPERM) {
		test_diag("wait_prepare without membarrier: %d, want -EPERM", err);
		return -EPROTO;
	}
	return 0;
}

/* The child is denied membarrier() after registering (the seccomp case a
 * deployment can get wrong): its waits sleep in bounded slices, so the
 * round trips complete although the parent publishes with a compiler
 * barrier only (INV-WAKE-06).
 */
TEST_F_TIMEOUT(barrier, sleeper_without_membarrier_sleeps_in_slices, TIMEOUT_S)
{
	struct pingpong pp = {
		.trips = trips(),
		.child_setup = deny_and_check_prepare,
	};

#if !defined(__x86_64__)
	SKIP(return, "seccomp filter written for x86-64");
#endif
	if (!kernel_offers_asym())
		SKIP(return, "no membarrier GLOBAL_EXPEDITED: nothing to deny");
	EXPECT_EQ(0, pingpong_run(&pp));
	test_diag("%llu round trips in %.2fs", (unsigned long long)pp.trips,
		  pp.seconds);
}

TEST_HARNESS_MAIN
