// SPDX-License-Identifier: GPL-2.0
/*
 * limits_test: the module's limits give errors, never kernel warnings (the
 * VM boots with panic_on_warn and fails on any WARN in the log), and
 * unlink plus the last close frees everything (memory comes back; the
 * rmmod at the end of the VM run checks the references).
 *
 * Module parameters (kmod/registry.c): channels_per_user (EMFILE beyond),
 * producers_per_channel (EMFILE beyond), bytes_per_channel (ENOSPC beyond).
 * Rings of a channel: a producer finds none free -> EMFILE.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <grp.h>

#include "helpers.h"

#define MAX_CH 1024

/* Channels one uid may own: the next create is EMFILE, per uid. */
TEST(channels_per_user_emfile)
{
	static char names[MAX_CH][64];
	long limit = rm_param_get("channels_per_user");
	long i, made = 0;
	int ret = 0;

	ASSERT_LT(0, limit) TH_LOG("read " RM_PARAMS "channels_per_user");
	ASSERT_GE(MAX_CH - 1, limit);
	for (i = 0; i <= limit; i++) {
		rm_name(names[i], sizeof(names[i]), "lim");
		ret = rm_create(names[i], 8, 2, 1, 0600, RINGMPSC_CREATE_EXCL);
		if (ret)
			break;
		made++;
	}
	/* other tests of this run unlink theirs: we own none but these */
	EXPECT_EQ(limit, made);
	EXPECT_EQ(-EMFILE, ret);
	/* a lookup of an existing name without EXCL is not a new channel */
	EXPECT_EQ(0, rm_create(names[0], 8, 2, 1, 0600, 0));
	/* one gone, one more may come */
	if (made) {
		EXPECT_EQ(0, rm_unlink(names[0]));
		EXPECT_EQ(0, rm_create(names[0], 8, 2, 1, 0600, RINGMPSC_CREATE_EXCL));
	}
	/* another uid has its own count */
	if (fork() == 0) {
		char n[64];

		rm_name(n, sizeof(n), "limo");
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		ret = rm_create(n, 8, 2, 1, 0600, RINGMPSC_CREATE_EXCL);
		if (ret)
			_exit(-ret);
		_exit(-rm_unlink(n));
	} else {
		int status;

		wait(&status);
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
	for (i = 0; i < made; i++)
		EXPECT_EQ(0, rm_unlink(names[i]));
}

/* max_producers above the module's producers_per_channel: EMFILE. */
TEST(producers_per_channel_emfile)
{
	long old = rm_param_get("producers_per_channel");
	char name[64];

	ASSERT_LT(0, old);
	/* the default is the ABI maximum: one more is EINVAL, not EMFILE */
	rm_name(name, sizeof(name), "ppc");
	EXPECT_EQ(-EINVAL, rm_create(name, 8, 2, RINGMPSC_PRODUCERS_MAX + 1,
				     0600, 0));
	ASSERT_EQ(0, rm_param_set("producers_per_channel", 4));
	EXPECT_EQ(-EMFILE, rm_create(name, 8, 2, 5, 0600, RINGMPSC_CREATE_EXCL));
	EXPECT_EQ(0, rm_create(name, 8, 2, 4, 0600, RINGMPSC_CREATE_EXCL));
	EXPECT_EQ(0, rm_param_set("producers_per_channel", old));
	EXPECT_EQ(old, rm_param_get("producers_per_channel"));
	EXPECT_EQ(0, rm_unlink(name));
}

/* A channel whose rings would need more than bytes_per_channel: ENOSPC. */
TEST(bytes_per_channel_enospc)
{
	long limit = rm_param_get("bytes_per_channel");
	char name[64];

	ASSERT_LT(0, limit);
	rm_name(name, sizeof(name), "bpc");
	/* 4 KiB slots x 2^24 = 64 GiB per ring: beyond any sane limit */
	EXPECT_EQ(-ENOSPC, rm_create(name, RINGMPSC_SLOT_MAX,
				     RINGMPSC_CAPACITY_MAX, 1, 0600, 0));
	/* many rings, each fine, too many together */
	EXPECT_EQ(-ENOSPC, rm_create(name, RINGMPSC_SLOT_MAX, 1U << 12,
				     RINGMPSC_PRODUCERS_MAX, 0600, 0));
	EXPECT_EQ(-ENOENT, rm_unlink(name));
	/* the limit is what it says: lower it below a small channel */
	ASSERT_EQ(0, rm_param_set("bytes_per_channel", 64 * 1024));
	EXPECT_EQ(-ENOSPC, rm_create(name, 4096, 64, 1, 0600, 0));	/* 256 KiB */
	EXPECT_EQ(0, rm_create(name, 64, 64, 1, 0600, RINGMPSC_CREATE_EXCL));
	/* the name exists: answered before any new channel is sized,
	 * charged or allocated (the attributes are ignored, as mq_open's)
	 */
	EXPECT_EQ(0, rm_create(name, 4096, 64, 1, 0600, 0));
	EXPECT_EQ(-EEXIST, rm_create(name, 4096, 64, 1, 0600,
				     RINGMPSC_CREATE_EXCL));
	EXPECT_EQ(0, rm_param_set("bytes_per_channel", limit));
	EXPECT_EQ(0, rm_unlink(name));
}

/*
 * No ring for a new producer: every ring active, or detached with
 * messages not yet consumed (never recycled then: INV-LIFE-02).
 */
TEST(no_free_ring_emfile)
{
	struct ringmpsc_info info;
	char name[64];
	uint32_t ring = 0, gen = 0, ring2 = 0, gen2 = 0;
	int p1, p2, c;
	void *prod, *cons;

	rm_name(name, sizeof(name), "rings");
	ASSERT_EQ(0, rm_create(name, 64, 64, 1, 0600, RINGMPSC_CREATE_EXCL));
	c = rm_attach(name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	ASSERT_LE(0, c);
	p1 = rm_attach(name, RINGMPSC_ROLE_PRODUCER, &ring, &gen);
	ASSERT_LE(0, p1);
	EXPECT_EQ(-EMFILE, rm_attach(name, RINGMPSC_ROLE_PRODUCER, NULL, NULL));

	/* a committed message, then the producer goes */
	ASSERT_EQ(0, rm_info(p1, &info));
	prod = rm_map(p1, info.off.prod_size, PROT_READ | PROT_WRITE,
		      rm_ring_off(&info.off, ring, info.off.prod_off));
	ASSERT_NE(NULL, prod);
	__atomic_store_n((uint64_t *)((char *)prod + info.off.tail_off), 1,
			 __ATOMIC_RELEASE);
	munmap(prod, info.off.prod_size);
	close(p1);
	/* detached, not drained: still no ring, with or without consumer */
	EXPECT_EQ(-EMFILE, rm_attach(name, RINGMPSC_ROLE_PRODUCER, NULL, NULL));
	close(c);
	EXPECT_EQ(-EMFILE, rm_attach(name, RINGMPSC_ROLE_PRODUCER, NULL, NULL));

	/* a consumer drains it (head = tail) and recycles: the ring is back */
	c = rm_attach(name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	ASSERT_LE(0, c);
	cons = rm_map(c, info.off.cons_size, PROT_READ | PROT_WRITE,
		      rm_ring_off(&info.off, ring, info.off.cons_off));
	ASSERT_NE(NULL, cons);
	__atomic_store_n((uint64_t *)((char *)cons + info.off.head_off), 1,
			 __ATOMIC_RELEASE);
	munmap(cons, info.off.cons_size);
	EXPECT_EQ(0, rm_recycle(c, ring, gen));
	p2 = rm_attach(name, RINGMPSC_ROLE_PRODUCER, &ring2, &gen2);
	ASSERT_LE(0, p2);
	EXPECT_EQ(ring, ring2);
	EXPECT_EQ(gen + 1, gen2);
	close(p2);
	close(c);
	/* no consumer: a drained detached ring is recycled at attach */
	p2 = rm_attach(name, RINGMPSC_ROLE_PRODUCER, &ring2, &gen2);
	ASSERT_LE(0, p2);
	EXPECT_EQ(gen + 2, gen2);
	close(p2);
	EXPECT_EQ(0, rm_unlink(name));
}

/*
 * Unlink plus the last close and munmap free every page: allocate and
 * free far more than the VM has, several times over, and compare
 * MemAvailable before and after. INV-LIFE-07
 */
#define BIG_SLOT	4096
#define BIG_CAP		1024	/* 4 MiB of data per ring */
#define BIG_RINGS	8	/* 32 MiB per channel */
#define BIG_ROUNDS	40	/* 1.25 GiB in all */

/* Allocating and zeroing 1.25 GiB takes seconds on the stock kernels
 * under TCG, minutes on the debug kernel (KASAN, page poisoning).
 */
FIXTURE(big) {};
FIXTURE_SETUP(big) {}
FIXTURE_TEARDOWN(big) {}

TEST_F_TIMEOUT(big, unlink_and_close_free_everything, 600)
{
	long before, after;
	unsigned int r, i;

	before = -1;
	for (r = 0; r < BIG_ROUNDS; r++) {
		struct ringmpsc_info info;
		char name[64];
		int c, p[BIG_RINGS];
		uint32_t ring = 0;
		unsigned char *data;

		rm_name(name, sizeof(name), "big");
		ASSERT_EQ(0, rm_create(name, BIG_SLOT, BIG_CAP, BIG_RINGS, 0600,
				       RINGMPSC_CREATE_EXCL | RINGMPSC_CREATE_PREALLOC))
			TH_LOG("round %u", r);
		c = rm_attach(name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
		ASSERT_LE(0, c);
		for (i = 0; i < BIG_RINGS; i++) {
			p[i] = rm_attach(name, RINGMPSC_ROLE_PRODUCER, &ring, NULL);
			ASSERT_LE(0, p[i]) TH_LOG("round %u producer %u", r, i);
		}
		/* touch a page of the last ring through a mapping kept past
		 * unlink and close
		 */
		ASSERT_EQ(0, rm_info(p[BIG_RINGS - 1], &info));
		data = rm_map(p[BIG_RINGS - 1], info.off.data_map_size,
			      PROT_READ | PROT_WRITE,
			      rm_ring_off(&info.off, ring, info.off.data_off));
		ASSERT_NE(NULL, data);
		data[0] = 1;
		ASSERT_EQ(0, rm_unlink(name));
		for (i = 0; i < BIG_RINGS; i++)
			close(p[i]);
		close(c);
		EXPECT_EQ(1, data[0]);
		munmap(data, info.off.data_map_size);
		/* baseline after one round: slab caches are warm then */
		if (r == 0) {
			usleep(100000);
			before = rm_meminfo_kb("MemAvailable");
			ASSERT_LT(0, before);
		}
	}
	usleep(100000);
	after = rm_meminfo_kb("MemAvailable");
	ksft_print_msg("MemAvailable before %ld kB, after %ld kB\n", before, after);
	/* 39 x 32 MiB went through since; a leak would show them all */
	EXPECT_GT(after + 32 * 1024, before);
}

TEST_HARNESS_MAIN
