// SPDX-License-Identifier: GPL-2.0
/*
 * pressure_test: the limits when an unprivileged uid fills them (spec.md
 * section 7, "Limits"): bytes_per_user, channels_per_user and a small
 * memory cgroup (cgroup v2 memory.max). Each time a filler process of one
 * uid takes all it may, holding its fds and mappings:
 *   - every refusal it gets is the documented errno (ENOSPC, EMFILE,
 *     ENOMEM), and nothing kills it (no OOM kill, no warning in the log:
 *     the VM fails on either);
 *   - another uid keeps working meanwhile (create, attach, map);
 *   - once the filler is killed and its names unlinked, nothing is left:
 *     the module holds no more references than before, the uid's account
 *     is empty (INV-MOD-07), the cgroup's memory is given back.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "helpers.h"

#define UID_FILL	2001
#define UID_OTHER	2002
#define MAX_NAMES	256
#define MAX_HELD	512	/* fds the filler keeps */

/* What the filler did, shared with the test. */
struct fill {
	unsigned int created;
	unsigned int attached;
	int refusal;		/* first errno that stopped it, 0: none */
	int unexpected;		/* an errno other than the expected one */
	const char *where;	/* of the unexpected errno */
	bool ready;
	char names[MAX_NAMES][64];
};

struct fill_spec {
	int expect;		/* the refusal the limit must give */
	uint32_t slot, cap, producers, flags;
	bool attach;		/* attach (and map) every producer */
	const char *cgroup;	/* join this cgroup first (root), or NULL */
};

static int become(uid_t uid)
{
	return setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	       setresuid(uid, uid, uid) ? -1 : 0;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	if (!ok)
		ok = -errno;
	close(fd);
	return ok == 1 ? 0 : ok;
}

static void note(struct fill *f, int err, int expect, const char *where)
{
	if (!f->refusal)
		f->refusal = err;
	if (err != expect && !f->unexpected) {
		f->unexpected = err;
		f->where = where;
	}
}

/* A producer's DATA region, mapped and written (its pages faulted in). */
static int map_data(int fd)
{
	struct ringmpsc_info info;
	unsigned char *p;

	if (rm_info(fd, &info))
		return -1;
	p = rm_map(fd, info.off.data_map_size, PROT_READ | PROT_WRITE,
		   rm_ring_off(&info.off, info.ring, info.off.data_off));
	if (!p)
		return -errno;
	memset(p, 0xa5, info.off.data_size);
	return 0;
}

/*
 * The filler: as UID_FILL, create channels (and attach and map every
 * producer) until the first refusal; then hold everything until killed.
 */
static void filler(struct fill *f, const struct fill_spec *s)
{
	char pid[32];
	unsigned int i, p;
	int ret, fd;

	if (s->cgroup) {
		snprintf(pid, sizeof(pid), "%d\n", getpid());
		if (write_file(s->cgroup, pid))
			_exit(3);
	}
	if (become(UID_FILL))
		_exit(2);
	for (i = 0; i < MAX_NAMES && !f->refusal; i++) {
		rm_name(f->names[i], sizeof(f->names[i]), "fill");
		ret = rm_create(f->names[i], s->slot, s->cap, s->producers,
				0666, RINGMPSC_CREATE_EXCL | s->flags);
		if (ret) {
			note(f, -ret, s->expect, "create");
			break;
		}
		f->created++;
		for (p = 0; s->attach && p < s->producers; p++) {
			fd = rm_attach(f->names[i], RINGMPSC_ROLE_PRODUCER, NULL,
				       NULL);
			if (fd < 0) {
				note(f, -fd, s->expect, "attach");
				break;
			}
			f->attached++;
			ret = map_data(fd);
			if (ret)
				note(f, -ret, s->expect, "mmap");
		}
	}
	__atomic_store_n(&f->ready, true, __ATOMIC_RELEASE);
	for (;;)
		pause();
}

/* Another uid, meanwhile: create with every ring, attach, map, unlink. */
static int other_uid_fn(void *arg)
{
	char name[64];
	int p, c, ret;

	if (become(UID_OTHER))
		return 2;
	rm_name(name, sizeof(name), "other");
	ret = rm_create(name, 64, 64, 2, 0600,
			RINGMPSC_CREATE_EXCL | RINGMPSC_CREATE_PREALLOC);
	if (ret)
		return 100 - ret;
	p = rm_attach(name, RINGMPSC_ROLE_PRODUCER, NULL, NULL);
	c = rm_attach(name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	ret = p < 0 || c < 0 ? 10 : map_data(p) ? 11 : 0;
	if (rm_unlink(name))
		ret = 12;
	close(p);
	close(c);
	return ret;
}

FIXTURE(pressure) {
	long channels_per_user, bytes_per_user, refcnt, unit;
	char probe[64];
	struct fill *fill;
	pid_t pid;
};

FIXTURE_SETUP(pressure)
{
	self->pid = 0;
	self->channels_per_user = rm_param_get("channels_per_user");
	self->bytes_per_user = rm_param_get("bytes_per_user");
	ASSERT_LT(0, self->channels_per_user) TH_LOG("read " RM_PARAMS);
	ASSERT_LT(0, self->bytes_per_user);
	self->refcnt = rm_module_refcnt();
	ASSERT_LE(0, self->refcnt) TH_LOG("read /sys/module/ringmpsc/refcnt");
	rm_name(self->probe, sizeof(self->probe), "probe");
	self->unit = rm_account_unit(self->probe);
	ASSERT_LT(0, self->unit);
	ASSERT_EQ(0, rm_param_set("bytes_per_user", self->bytes_per_user));
	self->fill = mmap(NULL, sizeof(*self->fill), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->fill);
}

FIXTURE_TEARDOWN(pressure)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	rm_param_set("channels_per_user", self->channels_per_user);
	rm_param_set("bytes_per_user", self->bytes_per_user);
}

/* Start the filler and wait until it holds all it could get. */
static int fill_up(FIXTURE_DATA(pressure) *self, const struct fill_spec *s)
{
	unsigned int i;

	memset(self->fill, 0, sizeof(*self->fill));
	self->pid = fork();
	if (self->pid < 0)
		return -errno;
	if (!self->pid)
		filler(self->fill, s);
	for (i = 0; i < 6000; i++) {
		if (__atomic_load_n(&self->fill->ready, __ATOMIC_ACQUIRE))
			return 0;
		if (waitpid(self->pid, NULL, WNOHANG) == self->pid) {
			self->pid = 0;
			return -ECHILD;		/* it died */
		}
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* Kill the filler, unlink its names: is everything given back? */
static void drain(struct __test_metadata *_metadata,
		  FIXTURE_DATA(pressure) *self)
{
	unsigned int i;
	long refcnt = -1;

	kill(self->pid, SIGKILL);
	waitpid(self->pid, NULL, 0);
	self->pid = 0;
	for (i = 0; i < self->fill->created; i++)
		EXPECT_EQ(0, rm_unlink(self->fill->names[i]));
	for (i = 0; i < 50 && refcnt != self->refcnt; i++) {
		refcnt = rm_module_refcnt();
		usleep(refcnt == self->refcnt ? 0 : 100000);
	}
	EXPECT_EQ(self->refcnt, refcnt);
	ASSERT_EQ(0, rm_param_set("bytes_per_user", self->unit));
	EXPECT_EQ(0, rm_account_empty(UID_FILL, self->probe))
		TH_LOG("100 + errno: bytes left in the account; 50: limit not applied");
}

static void expect_filled(struct __test_metadata *_metadata,
			  FIXTURE_DATA(pressure) *self, int expect)
{
	const struct fill *f = self->fill;

	ksft_print_msg("filler: %u channels, %u producers, then %s\n",
		       f->created, f->attached, strerror(f->refusal));
	EXPECT_EQ(0, f->unexpected) TH_LOG("%s: %s", f->where,
					    strerror(f->unexpected));
	EXPECT_EQ(expect, f->refusal);
	EXPECT_LT(0, f->created);
	/* the limit is per uid: another uid is not affected */
	EXPECT_EQ(0, rm_in_child(other_uid_fn, NULL));
}

/* 64 KiB rings, attached and mapped, until the uid's 2 MiB are gone. */
TEST_F_TIMEOUT(pressure, bytes_per_user_filled, 120)
{
	const struct fill_spec s = {
		.expect = ENOSPC, .slot = 4096, .cap = 16, .producers = 4,
		.attach = true,
	};

	ASSERT_EQ(0, rm_param_set("bytes_per_user", 2L << 20));
	ASSERT_EQ(0, rm_param_set("channels_per_user", MAX_NAMES));
	ASSERT_EQ(0, fill_up(self, &s));
	expect_filled(_metadata, self, ENOSPC);
	/* 2 MiB of 64 KiB rings: the bytes went to rings, not to refusals */
	EXPECT_LE(24, self->fill->attached);
	drain(_metadata, self);
}

TEST_F(pressure, channels_per_user_filled)
{
	const struct fill_spec s = {
		.expect = EMFILE, .slot = 8, .cap = 2, .producers = 1,
	};

	ASSERT_EQ(0, rm_param_set("channels_per_user", 16));
	ASSERT_EQ(0, fill_up(self, &s));
	expect_filled(_metadata, self, EMFILE);
	EXPECT_EQ(16, self->fill->created);
	drain(_metadata, self);
}

#define CGROOT	"/sys/fs/cgroup"

static long cg_read(const char *dir, const char *file, const char *key)
{
	char path[256], line[256];
	size_t klen = key ? strlen(key) : 0;
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!key || (!strncmp(line, key, klen) && line[klen] == ' ')) {
			v = strtol(line + klen, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/*
 * A memory cgroup of 8 MiB: the filler's channels (1 MiB each, every
 * ring allocated at CREATE) are charged to it (GFP_KERNEL_ACCOUNT) until
 * CREATE gets ENOMEM. The filler is not OOM-killed for it (the module's
 * allocations may fail instead), and everything is uncharged after.
 */
TEST_F_TIMEOUT(pressure, memory_cgroup_filled, 120)
{
	const struct fill_spec s = {
		.expect = ENOMEM, .slot = 4096, .cap = 256, .producers = 1,
		.flags = RINGMPSC_CREATE_PREALLOC, .cgroup = NULL,
	};
	struct fill_spec in_cg = s;
	char cg[128], procs[160];
	long current;

	if (access(CGROOT "/cgroup.controllers", F_OK)) {
		mkdir(CGROOT, 0755);
		if (mount("cgroup2", CGROOT, "cgroup2", 0, NULL))
			SKIP(return, "no cgroup v2: %s", strerror(errno));
	}
	if (write_file(CGROOT "/cgroup.subtree_control", "+memory"))
		SKIP(return, "no memory controller");
	snprintf(cg, sizeof(cg), CGROOT "/ringmpsc-pressure-%d", getpid());
	ASSERT_EQ(0, mkdir(cg, 0755));
	snprintf(procs, sizeof(procs), "%s/memory.max", cg);
	ASSERT_EQ(0, write_file(procs, "8388608"));
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	in_cg.cgroup = procs;
	ASSERT_EQ(0, rm_param_set("channels_per_user", MAX_NAMES));

	EXPECT_EQ(0, fill_up(self, &in_cg)) TH_LOG("the filler died (OOM-killed?)");
	if (self->pid) {
		expect_filled(_metadata, self, ENOMEM);
		EXPECT_EQ(0, cg_read(cg, "memory.events", "oom_kill"));
		drain(_metadata, self);
	}
	/* the module's memory was the cgroup's, and is given back */
	current = cg_read(cg, "memory.current", NULL);
	ksft_print_msg("cgroup memory.current after: %ld bytes\n", current);
	EXPECT_GT(1L << 20, current);
	EXPECT_EQ(0, rmdir(cg));
}

TEST_HARNESS_MAIN
