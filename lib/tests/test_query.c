// SPDX-License-Identifier: MIT
/*
 * Host tests of <ringmpsc_query.h> that need no module: bad arguments are
 * refused before any system call, and without /dev/ringmpsc every call
 * says the module is not loaded (-ENODEV), which the older calls cannot
 * tell from a missing channel. Listing and inspecting real channels is
 * tested in the VM (selftests/observe_test, selftests/ioctl_test).
 */
#include <unistd.h>

#include "util.h"
#include "ringmpsc_query.h"

TEST(bad_arguments)
{
	struct ringmpsc_stat st;

	EXPECT_EQ(-EINVAL, ringmpsc_list(NULL, 1));
	EXPECT_EQ(-EINVAL, ringmpsc_list_all(NULL));
	EXPECT_EQ(-EINVAL, ringmpsc_stat(NULL, &st, NULL, 0));
	EXPECT_EQ(-EINVAL, ringmpsc_stat("x", NULL, NULL, 0));
	EXPECT_EQ(-EINVAL, ringmpsc_stat("x", &st, NULL, 1));
}

TEST(without_module)
{
	struct ringmpsc_list_entry *v = (void *)&v;
	struct ringmpsc_stat st;

	if (access(RINGMPSC_DEVICE, F_OK) == 0)
		SKIP(return, RINGMPSC_DEVICE " exists");
	EXPECT_EQ(-ENODEV, ringmpsc_list(NULL, 0));
	EXPECT_EQ(-ENODEV, ringmpsc_list_all(&v));
	EXPECT_EQ(NULL, v);
	EXPECT_EQ(-ENODEV, ringmpsc_stat("lib-test", &st, NULL, 0));
}

TEST_HARNESS_MAIN
