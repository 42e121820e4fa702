// SPDX-License-Identifier: GPL-2.0
/*
 * perm_test: channel owner and mode govern attach like a file's do.
 * Producer needs write permission, consumer read permission, owner class
 * first, then group, then other; CAP_DAC_OVERRIDE (root) bypasses. Names
 * are per IPC namespace, and a dead namespace's channels do not keep it
 * alive. Runs as root and drops to other uids in children.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <grp.h>
#include <sched.h>

#include "helpers.h"

#define UID_A	65534	/* "nobody" */
#define UID_B	65533
#define GID_A	65534
#define GID_B	65533

struct as_user {
	uid_t uid;
	gid_t gid;
	const char *name;
	uint32_t role;		/* 0: create with @mode instead */
	uint32_t mode;
};

/* In a child: become uid/gid, no supplementary groups, no capabilities. */
static int drop_to(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

/* Child body: 0 on success, else the errno (200+ for setup failures). */
static int as_user_fn(void *arg)
{
	struct as_user *a = arg;
	int ret;

	if (drop_to(a->uid, a->gid))
		return 200;
	if (!a->role) {
		ret = rm_create(a->name, 64, 16, 2, a->mode, RINGMPSC_CREATE_EXCL);
		return ret < 0 ? -ret : 0;
	}
	ret = rm_attach(a->name, a->role, NULL, NULL);
	if (ret < 0)
		return -ret;
	close(ret);
	return 0;
}

static int attach_as(uid_t uid, gid_t gid, const char *name, uint32_t role)
{
	struct as_user a = { uid, gid, name, role, 0 };

	return rm_in_child(as_user_fn, &a);
}

static int create_as(uid_t uid, gid_t gid, const char *name, uint32_t mode)
{
	struct as_user a = { uid, gid, name, 0, mode };

	return rm_in_child(as_user_fn, &a);
}

#define P RINGMPSC_ROLE_PRODUCER
#define C RINGMPSC_ROLE_CONSUMER

struct mode_case {
	uint32_t mode;
	int other_prod, other_cons;	/* expected result for another uid */
};

/* Channels owned by root; another uid is in the "other" class. */
static const struct mode_case root_owned[] = {
	{ 0600, EACCES, EACCES },
	{ 0622, 0, EACCES },
	{ 0644, EACCES, 0 },
	{ 0666, 0, 0 },
	{ 0602, 0, EACCES },
	{ 0604, EACCES, 0 },
	{ 0660, EACCES, EACCES },	/* group bits: not our group */
	{ 0000, EACCES, EACCES },
};

TEST(root_owned_modes_for_other_uid)
{
	unsigned int i;

	ASSERT_EQ(0, geteuid()) TH_LOG("perm_test needs root");
	for (i = 0; i < sizeof(root_owned) / sizeof(root_owned[0]); i++) {
		const struct mode_case *m = &root_owned[i];
		char name[64];
		int got;

		rm_name(name, sizeof(name), "perm");
		ASSERT_EQ(0, rm_create(name, 64, 16, 2, m->mode,
				       RINGMPSC_CREATE_EXCL));
		got = attach_as(UID_A, GID_A, name, P);
		EXPECT_EQ(m->other_prod, got)
			TH_LOG("mode %04o producer: got %d", m->mode, got);
		got = attach_as(UID_A, GID_A, name, C);
		EXPECT_EQ(m->other_cons, got)
			TH_LOG("mode %04o consumer: got %d", m->mode, got);
		EXPECT_EQ(0, rm_unlink(name));
	}
}

/* Root has CAP_DAC_OVERRIDE: every mode lets it attach either role. */
TEST(root_bypasses_mode)
{
	char name[64];
	int p, c;

	ASSERT_EQ(0, geteuid());
	rm_name(name, sizeof(name), "root");
	/* owned by nobody, mode 0 */
	ASSERT_EQ(0, create_as(UID_A, GID_A, name, 0000));
	p = rm_attach(name, P, NULL, NULL);
	c = rm_attach(name, C, NULL, NULL);
	EXPECT_LE(0, p);
	EXPECT_LE(0, c);
	/* nobody itself, the owner, is refused by mode 0 */
	EXPECT_EQ(EACCES, attach_as(UID_A, GID_A, name, P));
	EXPECT_EQ(EACCES, attach_as(UID_A, GID_A, name, C));
	if (p >= 0)
		close(p);
	if (c >= 0)
		close(c);
	EXPECT_EQ(0, rm_unlink(name));
}

/*
 * Owner, group and other classes, first match decides (as for files): a
 * channel created by UID_A/GID_A.
 */
TEST(owner_group_other_classes)
{
	char name[64];

	ASSERT_EQ(0, geteuid());

	/* 0600: owner both; a member of the group and others nothing */
	rm_name(name, sizeof(name), "cls");
	ASSERT_EQ(0, create_as(UID_A, GID_A, name, 0600));
	EXPECT_EQ(0, attach_as(UID_A, GID_A, name, P));
	EXPECT_EQ(0, attach_as(UID_A, GID_A, name, C));
	EXPECT_EQ(EACCES, attach_as(UID_B, GID_A, name, P));
	EXPECT_EQ(EACCES, attach_as(UID_B, GID_B, name, C));
	EXPECT_EQ(0, rm_unlink(name));

	/* 0060: the group may, the owner (owner class matches first) not */
	rm_name(name, sizeof(name), "cls");
	ASSERT_EQ(0, create_as(UID_A, GID_A, name, 0060));
	EXPECT_EQ(EACCES, attach_as(UID_A, GID_A, name, P));
	EXPECT_EQ(EACCES, attach_as(UID_A, GID_A, name, C));
	EXPECT_EQ(0, attach_as(UID_B, GID_A, name, P));
	EXPECT_EQ(0, attach_as(UID_B, GID_A, name, C));
	EXPECT_EQ(EACCES, attach_as(UID_B, GID_B, name, P));
	EXPECT_EQ(0, rm_unlink(name));

	/* 0420: owner consumer only, group producer only, other nothing */
	rm_name(name, sizeof(name), "cls");
	ASSERT_EQ(0, create_as(UID_A, GID_A, name, 0420));
	EXPECT_EQ(EACCES, attach_as(UID_A, GID_A, name, P));
	EXPECT_EQ(0, attach_as(UID_A, GID_A, name, C));
	EXPECT_EQ(0, attach_as(UID_B, GID_A, name, P));
	EXPECT_EQ(EACCES, attach_as(UID_B, GID_A, name, C));
	EXPECT_EQ(EACCES, attach_as(UID_B, GID_B, name, P));
	EXPECT_EQ(EACCES, attach_as(UID_B, GID_B, name, C));
	EXPECT_EQ(0, rm_unlink(name));
}

/* An unprivileged user's channel: the creator owns it with its own ids. */
TEST(unprivileged_create_and_use)
{
	char name[64];

	ASSERT_EQ(0, geteuid());
	rm_name(name, sizeof(name), "unpriv");
	ASSERT_EQ(0, create_as(UID_B, GID_B, name, 0600));
	/* the name exists for everyone */
	EXPECT_EQ(EEXIST, create_as(UID_A, GID_A, name, 0666));
	EXPECT_EQ(0, attach_as(UID_B, GID_B, name, P));
	EXPECT_EQ(EACCES, attach_as(UID_A, GID_A, name, P));
	EXPECT_EQ(0, rm_unlink(name));
}

/* Attach rights are checked at attach; an attached fd works after setuid. */
TEST(attached_fd_survives_uid_change)
{
	char name[64];
	int p, c;

	ASSERT_EQ(0, geteuid());
	rm_name(name, sizeof(name), "keep");
	ASSERT_EQ(0, rm_create(name, 64, 16, 2, 0600, RINGMPSC_CREATE_EXCL));
	p = rm_attach(name, P, NULL, NULL);
	c = rm_attach(name, C, NULL, NULL);
	ASSERT_LE(0, p);
	ASSERT_LE(0, c);
	{
		pid_t pid = fork();
		int status;

		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct ringmpsc_info info;

			if (drop_to(UID_A, GID_A))
				_exit(200);
			if (rm_info(p, &info) || info.role != P)
				_exit(1);
			if (rm_info(c, &info) || info.role != C)
				_exit(2);
			/* but a fresh attach is refused */
			if (rm_attach(name, P, NULL, NULL) != -EACCES)
				_exit(3);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
	close(p);
	close(c);
	EXPECT_EQ(0, rm_unlink(name));
}

static int unlink_as_fn(void *arg)
{
	struct as_user *a = arg;
	int ret;

	if (drop_to(a->uid, a->gid))
		return 200;
	ret = rm_unlink(a->name);
	return ret < 0 ? -ret : 0;
}

static int unlink_as(uid_t uid, gid_t gid, const char *name)
{
	struct as_user a = { uid, gid, name, 0, 0 };

	return rm_in_child(unlink_as_fn, &a);
}

/* Only the owner (or CAP_DAC_OVERRIDE) removes a name, whatever the mode. */
TEST(unlink_owner_only)
{
	char name[64];

	ASSERT_EQ(0, geteuid());
	rm_name(name, sizeof(name), "unl");
	ASSERT_EQ(0, rm_create(name, 64, 16, 2, 0666, RINGMPSC_CREATE_EXCL));
	EXPECT_EQ(EACCES, unlink_as(UID_A, GID_A, name));
	EXPECT_EQ(0, attach_as(UID_A, GID_A, name, P));	/* still there */
	EXPECT_EQ(0, rm_unlink(name));			/* root may */

	rm_name(name, sizeof(name), "unl");
	ASSERT_EQ(0, create_as(UID_A, GID_A, name, 0666));
	EXPECT_EQ(EACCES, unlink_as(UID_B, GID_A, name));	/* group member */
	EXPECT_EQ(0, unlink_as(UID_A, GID_A, name));	/* the owner */
	EXPECT_EQ(-ENOENT, rm_unlink(name));
}

struct ns_arg {
	const char *name;
};

static int other_ns_fn(void *arg)
{
	struct ns_arg *a = arg;
	int ret;

	if (unshare(CLONE_NEWIPC))
		return 200;
	/* the parent's channel is not visible here */
	ret = rm_attach(a->name, P, NULL, NULL);
	if (ret != -ENOENT)
		return 1;
	if (rm_unlink(a->name) != -ENOENT)
		return 2;
	/* and the name is free for a channel of this namespace */
	if (rm_create(a->name, 64, 16, 2, 0600, RINGMPSC_CREATE_EXCL))
		return 3;
	ret = rm_attach(a->name, C, NULL, NULL);
	if (ret >= 0)
		close(ret);
	if (rm_unlink(a->name))
		return 5;
	return ret < 0 ? 4 : 0;
}

/* Names live in the caller's IPC namespace. */
TEST(names_per_ipc_namespace)
{
	char name[64];
	struct ns_arg a = { name };
	int p;

	ASSERT_EQ(0, geteuid());
	rm_name(name, sizeof(name), "ns");
	ASSERT_EQ(0, rm_create(name, 64, 16, 2, 0600, RINGMPSC_CREATE_EXCL));
	EXPECT_EQ(0, rm_in_child(other_ns_fn, &a));
	/* ours is untouched */
	p = rm_attach(name, P, NULL, NULL);
	EXPECT_LE(0, p);
	if (p >= 0)
		close(p);
	EXPECT_EQ(0, rm_unlink(name));
}

#define MAX_USER_NS	"/proc/sys/user/max_user_namespaces"
#define MAX_IPC_NS	"/proc/sys/user/max_ipc_namespaces"
#define NS_UID		4260	/* used by no other test: its counts start at 0 */
#define NS_LIMIT	6	/* namespaces of each kind NS_UID may have */
#define NS_ROUNDS	(4 * NS_LIMIT)

/* A container's life in one child: an unprivileged uid enters new user
 * and IPC namespaces, leaves a channel linked there and exits. 0, the
 * errno of unshare() (ENOSPC: too many namespaces), or 100 + the errno
 * of the create.
 */
static int ns_round_fn(void *arg)
{
	const char *name = arg;
	int ret;

	if (drop_to(NS_UID, NS_UID))
		return 200;
	if (unshare(CLONE_NEWUSER | CLONE_NEWIPC))
		return errno;
	ret = rm_create(name, 8, 2, 1, 0600, RINGMPSC_CREATE_EXCL);
	return ret ? 100 - ret : 0;
}

/*
 * The channels a dead namespace leaves are reaped at the next CREATE or
 * UNLINK, and with them the namespace itself: rounds of unshare + create
 * + exit, four times more than the uid may hold namespaces, all succeed.
 * (6.1 does not export put_ipc_ns(); the module once kept the last
 * reference there, and unshare() failed with ENOSPC after NS_LIMIT
 * rounds, for good.)
 */
/* For the timeout: a round forks, and frees may wait for a worker. */
FIXTURE(deadns) {};
FIXTURE_SETUP(deadns) {}
FIXTURE_TEARDOWN(deadns) {}

TEST_F_TIMEOUT(deadns, dead_namespaces_are_freed, 120)
{
	long old_user = rm_read_long(MAX_USER_NS), old_ipc = rm_read_long(MAX_IPC_NS);
	int ret = 0, tries = 0;
	unsigned int round;
	char name[64];

	if (old_user < 0 || old_ipc < 0)
		SKIP(return, "no " MAX_USER_NS " or " MAX_IPC_NS);
	ASSERT_EQ(0, rm_write_long(MAX_USER_NS, NS_LIMIT));
	ASSERT_EQ(0, rm_write_long(MAX_IPC_NS, NS_LIMIT));
	rm_name(name, sizeof(name), "deadns");
	for (round = 0; round < NS_ROUNDS; round++) {
		ret = rm_in_child(ns_round_fn, name);
		/* A namespace is freed by a worker after an RCU grace
		 * period: give the last few a moment. A leaked one never
		 * comes back.
		 */
		for (tries = 0; ret == ENOSPC && tries < 50; tries++) {
			rm_unlink(name);	/* reaps, as any UNLINK does */
			usleep(100000);
			ret = rm_in_child(ns_round_fn, name);
		}
		if (ret)
			break;
	}
	rm_unlink(name);			/* reaps the last round's */
	EXPECT_EQ(0, rm_write_long(MAX_USER_NS, old_user));
	EXPECT_EQ(0, rm_write_long(MAX_IPC_NS, old_ipc));
	EXPECT_EQ(0, ret) TH_LOG("round %u of %d: %s", round, NS_ROUNDS,
				 ret == ENOSPC ? "namespaces leaked" :
				 "create failed");
	EXPECT_EQ(NS_ROUNDS, round);
}

TEST_HARNESS_MAIN
