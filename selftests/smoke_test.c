// SPDX-License-Identifier: GPL-2.0
/*
 * Smoke test for the ringmpsc module: it is loaded, /dev/ringmpsc is a
 * world-usable misc character device that opens and closes, and ioctls
 * the module does not know are rejected with ENOTTY.
 *
 * Runs in the test VM (make vm-check) or on a host with the module loaded
 * (make check-host).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ringmpsc.h>

#include "kselftest_harness.h"

#define MISC_MAJOR_NR	10u
#define NOBODY_ID	65534

TEST(device_is_misc_chardev)
{
	struct stat st;

	ASSERT_EQ(0, stat(RINGMPSC_DEVICE, &st)) {
		TH_LOG("stat %s: %s (is the module loaded?)",
		       RINGMPSC_DEVICE, strerror(errno));
	}
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(MISC_MAJOR_NR, major(st.st_rdev));
}

TEST(device_mode_0666)
{
	struct stat st;

	ASSERT_EQ(0, stat(RINGMPSC_DEVICE, &st));
	EXPECT_EQ(0666u, (unsigned int)(st.st_mode & 07777));
}

TEST(listed_in_proc_misc)
{
	char line[128], name[64];
	unsigned int minor;
	int found = 0;
	FILE *f;

	f = fopen("/proc/misc", "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %63s", &minor, name) == 2 &&
		    !strcmp(name, "ringmpsc"))
			found = 1;
	fclose(f);
	EXPECT_EQ(1, found);
}

TEST(open_close)
{
	static const int modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	unsigned int i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		int fd = open(RINGMPSC_DEVICE, modes[i] | O_CLOEXEC);

		ASSERT_LE(0, fd) {
			TH_LOG("open mode %d: %s", modes[i], strerror(errno));
		}
		EXPECT_EQ(0, close(fd));
	}
}

TEST(open_many)
{
	int fds[64];
	unsigned int i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		fds[i] = open(RINGMPSC_DEVICE, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		EXPECT_EQ(0, close(fds[i]));
}

/* Mode 0666: an unprivileged user may open the device too. */
TEST(open_as_nobody)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to uid %d", NOBODY_ID);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (setgid(NOBODY_ID) || setuid(NOBODY_ID))
			_exit(2);
		fd = open(RINGMPSC_DEVICE, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			_exit(3);
		close(fd);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("child: %s", WEXITSTATUS(status) == 2 ?
		       "setuid failed" : "open as nobody failed");
	}
}

TEST(unknown_ioctl_enotty)
{
	/* An unused number in our magic, and a foreign magic. */
	static const unsigned long cmds[] = {
		_IO(RINGMPSC_IOC_MAGIC, 0xff),
		_IOR(RINGMPSC_IOC_MAGIC, 0xfe, __u64),
		_IO('x', 1),
	};
	unsigned int i;
	int fd;

	fd = open(RINGMPSC_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		__u64 arg = 0;

		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, cmds[i], &arg));
		EXPECT_EQ(ENOTTY, errno) {
			TH_LOG("ioctl 0x%lx: %s", cmds[i], strerror(errno));
		}
	}
	EXPECT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
