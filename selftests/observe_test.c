// SPDX-License-Identifier: GPL-2.0
/*
 * observe_test: what an operator sees without attaching (issue 12): the
 * ringmpsc(1) tool's list, stat and unlink on a leaked channel, exact
 * stat --json figures of a known workload (parsed with jansson, a real
 * JSON parser), what a second uid and another IPC namespace see, the
 * fdinfo of producer and consumer fds, and the tracepoints.
 *
 * The static ringmpsc(1) binary is carried inside this test (.incbin of
 * RINGMPSC_CLI_STATIC, see tools/tools.mk) and written to /tmp to be run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <grp.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <jansson.h>
#include <ringmpsc.h>
#include <ringmpsc_query.h>

#include "helpers.h"

#ifndef RINGMPSC_CLI_STATIC
#error "build with -DRINGMPSC_CLI_STATIC=path of the static ringmpsc(1)"
#endif

__asm__(".pushsection .rodata\n"
	".balign 16\n"
	"rm_cli_image:\n"
	".incbin \"" RINGMPSC_CLI_STATIC "\"\n"
	"rm_cli_image_end:\n"
	".popsection\n");
extern const unsigned char rm_cli_image[], rm_cli_image_end[];

#define CLI_PATH	"/tmp/ringmpsc"
#define UID_OTHER	65534	/* "nobody" */
#define OUT_MAX		(256 * 1024)

/* Put the tool at CLI_PATH (once per run; tests run one after another). */
static int cli_install(void)
{
	size_t len = (size_t)(rm_cli_image_end - rm_cli_image);
	int fd;

	if (!access(CLI_PATH, X_OK))
		return 0;
	fd = open(CLI_PATH ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0755);
	if (fd < 0)
		return -errno;
	if (write(fd, rm_cli_image, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return rename(CLI_PATH ".tmp", CLI_PATH) ? -errno : 0;
}

static int drop_to_other(void)
{
	return setgroups(0, NULL) ||
	       setresgid(UID_OTHER, UID_OTHER, UID_OTHER) ||
	       setresuid(UID_OTHER, UID_OTHER, UID_OTHER);
}

/* How the child that runs the tool is set up before exec. */
enum cli_as { AS_ROOT, AS_OTHER_UID, AS_NEW_IPC_NS };

/*
 * Run ringmpsc(1) with @args (NULL-terminated, without argv[0]); its
 * stdout (NUL-terminated) in @out. Returns its exit status, 1000 + signal,
 * or -errno.
 */
static int cli_run(enum cli_as as, char *out, size_t outlen,
		   const char *const *args)
{
	const char *argv[16] = { "ringmpsc" };
	int pfd[2], status, i;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	if (cli_install() || pipe2(pfd, O_CLOEXEC))
		return -EIO;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		if (as == AS_OTHER_UID && drop_to_other())
			_exit(200);
		if (as == AS_NEW_IPC_NS && unshare(CLONE_NEWIPC))
			_exit(201);
		execv(CLI_PATH, (char *const *)argv);
		_exit(202);
	}
	close(pfd[1]);
	while (got + 1 < outlen &&
	       (n = read(pfd[0], out + got, outlen - got - 1)) > 0)
		got += (size_t)n;
	out[got] = 0;
	close(pfd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFSIGNALED(status) ? 1000 + WTERMSIG(status) :
				     WEXITSTATUS(status);
}

/* The tool's --json output of @args, parsed; NULL if it failed. */
static json_t *cli_json(enum cli_as as, const char *const *args, int *rc)
{
	static char out[OUT_MAX];
	json_error_t err;
	json_t *doc;

	*rc = cli_run(as, out, sizeof(out), args);
	if (*rc)
		return NULL;
	doc = json_loads(out, 0, &err);
	if (!doc)
		fprintf(stderr, "# not JSON (%s at %d): %s\n", err.text,
			err.position, out);
	return doc;
}

/* The entry of channel @name in list --json output, or NULL. */
static json_t *list_find(json_t *doc, const char *name)
{
	json_t *chans = json_object_get(doc, "channels"), *c;
	size_t i;

	json_array_foreach(chans, i, c)
		if (!strcmp(json_string_value(json_object_get(c, "name")) ?: "",
			    name))
			return c;
	return NULL;
}

/* Is @name in `ringmpsc list --json` run @as? 1, 0, or -1 on failure. */
static int listed(enum cli_as as, const char *name)
{
	const char *list[] = { "list", "--json", NULL };
	json_t *doc;
	int rc, found;

	doc = cli_json(as, list, &rc);
	if (!doc)
		return -1;
	found = !!list_find(doc, name);
	json_decref(doc);
	return found;
}

static long long jint(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static const char *jstr(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key)) ?: "(none)";
}

/* The module's reference count, -1 if unknown. */
static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/ringmpsc/refcnt", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* A process that creates a channel, attaches a producer, sends, and is
 * killed: its name is left behind.
 */
static int leak_fn(void *arg)
{
	struct ringmpsc_producer p;
	uint64_t msg = 42;

	if (rm_create(arg, 64, 16, 2, 0600, RINGMPSC_CREATE_EXCL) ||
	    ringmpsc_producer_open(&p, arg) || ringmpsc_try_send(&p, &msg, 8))
		return 1;
	raise(SIGKILL);
	return 2;
}

TEST(leaked_channel_is_listed_unlinked_and_rmmod_possible)
{
	char name[64];
	const char *list[] = { "list", "--json", NULL };
	const char *unlink_args[] = { "unlink", name, NULL };
	static char out[4096];
	json_t *doc, *c;
	int rc;

	rm_name(name, sizeof(name), "leak");
	ASSERT_EQ(1000 + SIGKILL, rm_in_child(leak_fn, name));
	/* The process is gone; only its channel's name holds the module. */
	EXPECT_EQ(1, module_refcnt());

	doc = cli_json(AS_ROOT, list, &rc);
	ASSERT_EQ(0, rc);
	ASSERT_NE(NULL, doc);
	c = list_find(doc, name);
	ASSERT_NE(NULL, c) TH_LOG("%s not listed", name);
	EXPECT_TRUE(json_is_true(json_object_get(c, "readable")));
	EXPECT_TRUE(json_is_true(json_object_get(c, "linked")));
	EXPECT_EQ(0600, strtol(jstr(c, "mode"), NULL, 8));
	EXPECT_EQ(1, jint(json_object_get(c, "rings_by_state"), "detached"));
	EXPECT_FALSE(json_is_true(json_object_get(c, "consumer_attached")));
	json_decref(doc);

	ASSERT_EQ(0, cli_run(AS_ROOT, out, sizeof(out), unlink_args));
	EXPECT_EQ(0, listed(AS_ROOT, name));
	/* Nothing holds the module: rmmod would succeed now (ktest.sh's
	 * rmmod at the end of the run checks it for real). INV-MOD-03
	 */
	EXPECT_EQ(0, module_refcnt());
	/* A second unlink names the missing channel: exit status 4. */
	EXPECT_EQ(4, cli_run(AS_ROOT, out, sizeof(out), unlink_args));
}

/* A channel whose name is gone but which a process still uses is listed,
 * unlinked, to who may read it, until its last attachment goes.
 */
TEST(unlinked_attached_channel_is_listed_to_readers)
{
	const char *list[] = { "list", "--json", NULL };
	char name[64];
	json_t *doc, *c;
	int cons, rc;

	rm_name(name, sizeof(name), "gone");
	ASSERT_EQ(0, rm_create(name, 64, 16, 2, 0600, RINGMPSC_CREATE_EXCL));
	cons = rm_attach(name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	ASSERT_LE(0, cons);
	ASSERT_EQ(0, rm_unlink(name));

	doc = cli_json(AS_ROOT, list, &rc);
	ASSERT_EQ(0, rc);
	ASSERT_NE(NULL, doc);
	c = list_find(doc, name);
	ASSERT_NE(NULL, c);
	EXPECT_TRUE(json_is_false(json_object_get(c, "linked")));
	EXPECT_TRUE(json_is_true(json_object_get(c, "consumer_attached")));
	json_decref(doc);
	/* Who may not read it does not learn of it: its name has gone. */
	EXPECT_EQ(0, listed(AS_OTHER_UID, name));
	/* Nor is it found by name. */
	EXPECT_EQ(4, cli_run(AS_ROOT, (char[256]){ 0 }, 256,
			     (const char *[]){ "stat", name, NULL }));
	close(cons);
	EXPECT_EQ(0, listed(AS_ROOT, name));
}

/* Producers' message counts in the workload of stat_json_is_exact. */
static const unsigned int sent[3] = { 5, 10, 17 };

TEST(stat_json_is_exact)
{
	struct ringmpsc_producer p[3], extra;
	struct ringmpsc_recycle rec = { .ring = 2, .generation = 0,
					.flags = RINGMPSC_RECYCLE_DISCARD };
	char name[64];
	const char *stat[] = { "stat", "--json", name, NULL };
	json_t *doc, *cnt, *rings, *r;
	int cons, efd, rc;
	unsigned int i, k;
	uint64_t msg;

	rm_name(name, sizeof(name), "stat");
	ASSERT_EQ(0, rm_create(name, 64, 64, 3, 0600, RINGMPSC_CREATE_EXCL));
	/* A consumer that never reads, with an eventfd the module signals. */
	cons = rm_attach(name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	ASSERT_LE(0, cons);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(0, rm_set_eventfd(cons, efd));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, ringmpsc_producer_open(&p[i], name));
		ASSERT_EQ(i, p[i].ring);
		for (k = 0; k < sent[i]; k++) {
			msg = k;
			ASSERT_EQ(0, ringmpsc_try_send(&p[i], &msg, 8));
		}
	}
	/* Refusals: a second consumer, a fourth producer. */
	EXPECT_EQ(-EBUSY, rm_attach(name, RINGMPSC_ROLE_CONSUMER, NULL, NULL));
	ringmpsc_producer_close(&p[2]);
	EXPECT_EQ(-EMFILE, ringmpsc_producer_open(&extra, name));
	/* Ring 2 is given back with its 17 messages dropped; ring 1 keeps
	 * its 10 after its producer leaves.
	 */
	ASSERT_EQ(0, rm_ioctl(cons, RINGMPSC_IOC_RECYCLE, &rec));
	ringmpsc_producer_close(&p[1]);

	doc = cli_json(AS_ROOT, stat, &rc);
	ASSERT_EQ(0, rc);
	ASSERT_NE(NULL, doc);
	EXPECT_STREQ(name, jstr(doc, "name"));
	EXPECT_EQ(3, jint(doc, "max_producers"));
	EXPECT_EQ(getpid(), jint(doc, "consumer_pid"));
	EXPECT_TRUE(json_is_true(json_object_get(doc, "consumer_attached")));

	cnt = json_object_get(doc, "counters");
	EXPECT_EQ(3, jint(cnt, "producer_attaches"));
	EXPECT_EQ(2, jint(cnt, "producer_detaches"));
	EXPECT_EQ(1, jint(cnt, "consumer_attaches"));
	EXPECT_EQ(0, jint(cnt, "consumer_detaches"));
	EXPECT_EQ(1, jint(cnt, "recycles"));
	EXPECT_EQ(1, jint(cnt, "discards"));
	/* Three producer attaches and two detaches signalled the consumer;
	 * no producer was woken (the consumer never left or called WAKE).
	 */
	EXPECT_EQ(5, jint(cnt, "consumer_wakeups"));
	EXPECT_EQ(0, jint(cnt, "producer_wakeups"));
	EXPECT_EQ(0, jint(cnt, "refused_perm"));
	EXPECT_EQ(1, jint(cnt, "refused_busy"));
	EXPECT_EQ(1, jint(cnt, "refused_full"));
	EXPECT_EQ(0, jint(cnt, "refused_nomem"));

	rings = json_object_get(doc, "rings");
	ASSERT_EQ(3, json_array_size(rings));
	r = json_array_get(rings, 0);
	EXPECT_STREQ("active", jstr(r, "state"));
	EXPECT_EQ(getpid(), jint(r, "producer_pid"));
	EXPECT_EQ(0, jint(r, "generation"));
	EXPECT_EQ(0, jint(r, "head"));
	EXPECT_EQ(sent[0], jint(r, "tail"));
	EXPECT_EQ(sent[0], jint(r, "backlog"));
	r = json_array_get(rings, 1);
	EXPECT_STREQ("detached", jstr(r, "state"));
	EXPECT_EQ(0, jint(r, "producer_pid"));
	EXPECT_EQ(sent[1], jint(r, "backlog"));
	r = json_array_get(rings, 2);
	EXPECT_STREQ("free", jstr(r, "state"));
	EXPECT_EQ(1, jint(r, "generation"));
	EXPECT_EQ(0, jint(r, "backlog"));
	EXPECT_FALSE(json_is_true(json_object_get(r, "corrupt")));
	json_decref(doc);

	ringmpsc_producer_close(&p[0]);
	close(cons);
	close(efd);
	EXPECT_EQ(0, rm_unlink(name));
}

/* stat --interval samples twice: a producer sending meanwhile shows. */
TEST(stat_interval_reports_rates)
{
	struct ringmpsc_producer p;
	struct ringmpsc_stat st;
	char name[64];
	const char *stat[] = { "stat", "--json", "--interval", "0.5", name,
			       NULL };
	json_t *doc, *r;
	uint64_t msg = 1;
	int cons, rc, i;
	pid_t pid;

	rm_name(name, sizeof(name), "rate");
	ASSERT_EQ(0, rm_create(name, 8, 4096, 1, 0600, RINGMPSC_CREATE_EXCL));
	cons = rm_attach(name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	ASSERT_LE(0, cons);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Up to 4000 messages, 1 ms apart: the ring never fills. */
		if (ringmpsc_producer_open(&p, name))
			_exit(1);
		for (i = 0; i < 4000; i++) {
			if (ringmpsc_try_send(&p, &msg, 8))
				_exit(1);
			usleep(1000);
		}
		_exit(0);
	}
	/* Both samples must see the producer's ring. */
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, ringmpsc_stat(name, &st, NULL, 0));
		if (st.desc.rings_active)
			break;
		usleep(10000);
	}
	ASSERT_EQ(1, st.desc.rings_active);
	doc = cli_json(AS_ROOT, stat, &rc);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ASSERT_EQ(0, rc);
	ASSERT_NE(NULL, doc);
	r = json_array_get(json_object_get(doc, "rings"), 0);
	ASSERT_TRUE(json_is_real(json_object_get(r, "produced_per_sec")));
	ASSERT_TRUE(json_is_real(json_object_get(r, "consumed_per_sec")));
	EXPECT_LT(0.0, json_real_value(json_object_get(r, "produced_per_sec")));
	EXPECT_EQ(0.0, json_real_value(json_object_get(r, "consumed_per_sec")));
	EXPECT_LE(500.0, json_real_value(json_object_get(doc, "interval_ms")));
	json_decref(doc);
	close(cons);
	EXPECT_EQ(0, rm_unlink(name));
}

/* As another uid: 0 or the errno of ringmpsc_stat() / a consumer ATTACH. */
static int stat_as_other(void *name)
{
	struct ringmpsc_stat st;

	return drop_to_other() ? 200 : -ringmpsc_stat(name, &st, NULL, 0);
}

static int attach_as_other(void *name)
{
	int fd;

	if (drop_to_other())
		return 200;
	fd = rm_attach(name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	return fd < 0 ? -fd : 0;
}

TEST(other_uid_gets_eacces_and_names_only)
{
	char name[64];
	const char *list[] = { "list", "--json", NULL };
	const char *stat[] = { "stat", name, NULL };
	static char out[4096];
	struct ringmpsc_stat st;
	json_t *doc, *c;
	int rc;

	rm_name(name, sizeof(name), "perm");
	ASSERT_EQ(0, rm_create(name, 64, 16, 2, 0600, RINGMPSC_CREATE_EXCL));

	EXPECT_EQ(5, cli_run(AS_OTHER_UID, out, sizeof(out), stat));
	doc = cli_json(AS_OTHER_UID, list, &rc);
	ASSERT_EQ(0, rc);
	ASSERT_NE(NULL, doc);
	c = list_find(doc, name);
	ASSERT_NE(NULL, c);
	/* The name and that it cannot be read: nothing else. */
	EXPECT_EQ(2, json_object_size(c));
	EXPECT_TRUE(json_is_false(json_object_get(c, "readable")));
	json_decref(doc);

	/* The call itself; a refused STAT is not counted as an attach
	 * refusal, a refused ATTACH is.
	 */
	EXPECT_EQ(EACCES, rm_in_child(stat_as_other, name));
	ASSERT_EQ(0, ringmpsc_stat(name, &st, NULL, 0));
	EXPECT_EQ(0, st.counters.refused_perm);
	EXPECT_EQ(EACCES, rm_in_child(attach_as_other, name));
	ASSERT_EQ(0, ringmpsc_stat(name, &st, NULL, 0));
	EXPECT_EQ(1, st.counters.refused_perm);
	EXPECT_EQ(0, rm_unlink(name));
}

TEST(other_ipc_namespace_sees_nothing)
{
	char name[64];
	const char *list[] = { "list", "--json", NULL };
	const char *stat[] = { "stat", name, NULL };
	static char out[4096];
	json_t *doc;
	int rc;

	rm_name(name, sizeof(name), "ns");
	ASSERT_EQ(0, rm_create(name, 64, 16, 2, 0666, RINGMPSC_CREATE_EXCL));
	doc = cli_json(AS_NEW_IPC_NS, list, &rc);
	ASSERT_EQ(0, rc);
	ASSERT_NE(NULL, doc);
	EXPECT_EQ(0, json_array_size(json_object_get(doc, "channels")));
	json_decref(doc);
	EXPECT_EQ(4, cli_run(AS_NEW_IPC_NS, out, sizeof(out), stat));
	/* ... while this namespace still sees it. */
	EXPECT_EQ(1, listed(AS_ROOT, name));
	EXPECT_EQ(0, rm_unlink(name));
}

/* The value of @key in /proc/self/fdinfo/@fd, or "" if absent. */
static const char *fdinfo(int fd, const char *key)
{
	static char buf[4096], val[512];
	char path[64], *p, *nl;
	size_t klen = strlen(key);
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	val[0] = 0;
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return val;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	buf[n > 0 ? n : 0] = 0;
	for (p = buf; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			p += klen + 1;
			while (*p == '\t' || *p == ' ')
				p++;
			snprintf(val, sizeof(val), "%.*s",
				 (int)(nl ? nl - p : (long)strlen(p)), p);
			break;
		}
	}
	return val;
}

/* Channel @name with a consumer (returned) and a ring that has had one
 * producer and been recycled: *@ring, at generation 1. -errno on failure.
 */
static int with_recycled_ring(char *name, size_t len, const char *tag,
			      uint32_t *ring)
{
	uint32_t gen = 0;
	int cons, prod, ret;

	rm_name(name, len, tag);
	ret = rm_create(name, 64, 16, 2, 0600, RINGMPSC_CREATE_EXCL);
	if (ret)
		return ret;
	cons = rm_attach(name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	if (cons < 0)
		return cons;
	prod = rm_attach(name, RINGMPSC_ROLE_PRODUCER, ring, &gen);
	if (prod < 0)
		return prod;
	close(prod);
	ret = rm_recycle(cons, *ring, gen);
	return ret ? ret : cons;
}

TEST(fdinfo_shows_role_channel_ring_generation)
{
	char name[64];
	uint32_t ring = 0, gen = 0;
	int prod, cons, idle;

	idle = rm_dev();
	ASSERT_LE(0, idle);
	EXPECT_STREQ("none", fdinfo(idle, "ringmpsc-role"));
	/* A recycled ring: its second generation shows. */
	cons = with_recycled_ring(name, sizeof(name), "fdinfo", &ring);
	ASSERT_LE(0, cons);
	prod = rm_attach(name, RINGMPSC_ROLE_PRODUCER, &ring, &gen);
	ASSERT_LE(0, prod);
	ASSERT_EQ(1, gen);

	EXPECT_STREQ("producer", fdinfo(prod, "ringmpsc-role"));
	EXPECT_STREQ(name, fdinfo(prod, "ringmpsc-channel"));
	EXPECT_EQ(ring, strtoul(fdinfo(prod, "ringmpsc-ring"), NULL, 10));
	EXPECT_STREQ("1", fdinfo(prod, "ringmpsc-generation"));
	EXPECT_STREQ("consumer", fdinfo(cons, "ringmpsc-role"));
	EXPECT_STREQ(name, fdinfo(cons, "ringmpsc-channel"));
	EXPECT_STREQ("", fdinfo(cons, "ringmpsc-ring"));
	close(prod);
	close(cons);
	close(idle);
	EXPECT_EQ(0, rm_unlink(name));
}

/* Names may hold any byte but '/' and NUL: the JSON stays valid and a
 * parser gives the name back (a byte that is not UTF-8 as the code point
 * of the same value).
 */
TEST(list_json_escapes_any_name)
{
	static const char odd[] = "q\"b\\s\n\t\x01\x7f\xff\xc3\xa9";
	static const char back[] = "q\"b\\s\n\t\x01\x7f\xc3\xbf\xc3\xa9";
	char name[128], want[128];

	rm_name(name, sizeof(name), "odd");
	snprintf(want, sizeof(want), "%s%s", name, back);
	strcat(name, odd);
	/* No ASSERT until it is unlinked: the helpers' clean-up knows
	 * only the name's prefix.
	 */
	EXPECT_EQ(0, rm_create(name, 64, 16, 1, 0600, RINGMPSC_CREATE_EXCL));
	EXPECT_EQ(1, listed(AS_ROOT, want));
	EXPECT_EQ(0, rm_unlink(name));
}

/* The text views: the name in list, the producer's ring in stat. */
TEST(text_views)
{
	static char out[OUT_MAX];
	char name[64], ring_line[128];
	const char *list[] = { "list", NULL };
	const char *stat[] = { "stat", name, NULL };
	int prod;

	rm_name(name, sizeof(name), "text");
	ASSERT_EQ(0, rm_create(name, 64, 16, 2, 0640, RINGMPSC_CREATE_EXCL));
	prod = rm_attach(name, RINGMPSC_ROLE_PRODUCER, NULL, NULL);
	ASSERT_LE(0, prod);
	ASSERT_EQ(0, cli_run(AS_ROOT, out, sizeof(out), list));
	EXPECT_NE(NULL, strstr(out, name));
	EXPECT_NE(NULL, strstr(out, " 0640 "));
	ASSERT_EQ(0, cli_run(AS_ROOT, out, sizeof(out), stat));
	EXPECT_NE(NULL, strstr(out, "consumer  none\n"));
	snprintf(ring_line, sizeof(ring_line), "    0 active         0 %8d ",
		 (int)getpid());
	EXPECT_NE(NULL, strstr(out, ring_line)) TH_LOG("%s", out);
	close(prod);
	EXPECT_EQ(0, rm_unlink(name));
}

/* watch --json: one document per refresh, each with rates. */
TEST(watch_json_lines)
{
	static char out[OUT_MAX];
	char name[64], *line, *save = NULL;
	const char *watch[] = { "watch", "--json", "--count", "2",
				"--interval", "0.2", name, NULL };
	json_error_t err;
	json_t *doc;
	int cons, prod, docs = 0;

	rm_name(name, sizeof(name), "watch");
	ASSERT_EQ(0, rm_create(name, 64, 16, 2, 0600, RINGMPSC_CREATE_EXCL));
	cons = rm_attach(name, RINGMPSC_ROLE_CONSUMER, NULL, NULL);
	prod = rm_attach(name, RINGMPSC_ROLE_PRODUCER, NULL, NULL);
	ASSERT_LE(0, cons);
	ASSERT_LE(0, prod);
	ASSERT_EQ(0, cli_run(AS_ROOT, out, sizeof(out), watch));
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		doc = json_loads(line, 0, &err);
		ASSERT_NE(NULL, doc) TH_LOG("not JSON: %s", line);
		EXPECT_STREQ(name, jstr(doc, "name"));
		EXPECT_TRUE(json_is_real(json_object_get(doc, "interval_ms")));
		EXPECT_TRUE(json_is_real(json_object_get(
			json_array_get(json_object_get(doc, "rings"), 0),
			"produced_per_sec")));
		json_decref(doc);
		docs++;
	}
	EXPECT_EQ(2, docs);
	close(prod);
	close(cons);
	EXPECT_EQ(0, rm_unlink(name));
}

#define TRACEFS "/sys/kernel/tracing"

static int tracefs_write(const char *file, const char *s)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Does the trace buffer hold a line with @needle? */
static bool trace_has(const char *needle)
{
	static char buf[OUT_MAX];
	ssize_t n, got = 0;
	int fd = open(TRACEFS "/trace", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	while (got < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return strstr(buf, needle);
}

TEST(tracepoints_fire_on_attach_and_recycle)
{
	char name[64], want[256];
	uint32_t ring = 0;
	int cons;

	if (access(TRACEFS "/trace", F_OK) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		SKIP(return, "no tracefs: %s", strerror(errno));
	ASSERT_EQ(0, tracefs_write("events/ringmpsc/ringmpsc_attach/enable", "1"));
	ASSERT_EQ(0, tracefs_write("events/ringmpsc/ringmpsc_recycle/enable", "1"));
	ASSERT_EQ(0, tracefs_write("trace", ""));

	cons = with_recycled_ring(name, sizeof(name), "trace", &ring);
	ASSERT_LE(0, cons);

	snprintf(want, sizeof(want),
		 "ringmpsc_attach: name=%s role=producer ring=%u generation=0",
		 name, ring);
	EXPECT_TRUE(trace_has(want)) TH_LOG("no '%s' in the trace", want);
	snprintf(want, sizeof(want),
		 "ringmpsc_attach: name=%s role=consumer ring=-1", name);
	EXPECT_TRUE(trace_has(want)) TH_LOG("no '%s' in the trace", want);
	snprintf(want, sizeof(want),
		 "ringmpsc_recycle: name=%s ring=%u generation=1 dropped=0",
		 name, ring);
	EXPECT_TRUE(trace_has(want)) TH_LOG("no '%s' in the trace", want);

	tracefs_write("events/ringmpsc/ringmpsc_attach/enable", "0");
	tracefs_write("events/ringmpsc/ringmpsc_recycle/enable", "0");
	close(cons);
	EXPECT_EQ(0, rm_unlink(name));
}

TEST(usage_errors)
{
	static char out[4096];
	const char *none[] = { NULL };
	const char *help[] = { "--help", NULL };
	const char *bad[] = { "create", "x", "--slot-size", "abc", NULL };

	EXPECT_EQ(2, cli_run(AS_ROOT, out, sizeof(out), none));
	EXPECT_EQ(0, cli_run(AS_ROOT, out, sizeof(out), help));
	EXPECT_NE(NULL, strstr(out, "usage: ringmpsc"));
	EXPECT_EQ(2, cli_run(AS_ROOT, out, sizeof(out), bad));
}

TEST_HARNESS_MAIN
