// SPDX-License-Identifier: MIT
/*
 * ringmpsc(1): the operator's view of the module's channels, like ipcs(1)
 * for System V IPC: list, stat (rates when sampled twice), watch, create,
 * unlink; --json on every read command. Everything goes through
 * libringmpsc (<ringmpsc.h>, <ringmpsc_query.h>), never raw ioctls.
 * Output formats and exit codes are documented in ringmpsc(1).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringmpsc.h>
#include <ringmpsc_query.h>

#include "json.h"

/* Exit codes (ringmpsc(1), EXIT STATUS). */
enum {
	EX_FAIL = 1,		/* any other failure */
	EX_USAGE_ERR = 2,	/* bad command line */
	EX_NO_MODULE = 3,	/* /dev/ringmpsc missing: module not loaded */
	EX_NO_CHANNEL = 4,	/* no such channel */
	EX_DENIED = 5,		/* permission denied */
};

struct options {
	bool json;
	unsigned int interval_ms;	/* stat: 0 = one sample */
	long count;			/* watch: refreshes, 0 = until killed */
	struct ringmpsc_channel_attr attr;
};

/* One STAT of a channel and when it was taken. */
struct sample {
	struct ringmpsc_stat st;
	struct ringmpsc_stat_ring rings[RINGMPSC_PRODUCERS_MAX];
	uint32_t nr;
	double t;			/* CLOCK_MONOTONIC, seconds */
};

/* A ring's rates between two samples, when both saw one generation. */
struct rates {
	bool valid;
	double produced, consumed;	/* messages per second */
};

static const char *const ring_state_names[] = {
	[RINGMPSC_RING_UNUSED] = "unused",
	[RINGMPSC_RING_FREE] = "free",
	[RINGMPSC_RING_ACTIVE] = "active",
	[RINGMPSC_RING_DETACHED] = "detached",
};

static void usage(FILE *out)
{
	fputs("usage: ringmpsc [--json] list\n"
	      "       ringmpsc [--json] stat NAME [--interval SECONDS]\n"
	      "       ringmpsc [--json] watch NAME [--interval SECONDS] [--count N]\n"
	      "       ringmpsc create NAME --slot-size BYTES --capacity SLOTS\n"
	      "                --producers N [--mode OCTAL] [--excl] [--prealloc]\n"
	      "       ringmpsc unlink NAME\n"
	      "\n"
	      "List and inspect the channels of the ringmpsc module in this IPC\n"
	      "namespace without attaching to them; create and remove them.\n"
	      "\n"
	      "  -j, --json           machine-readable output (list, stat, watch)\n"
	      "  -i, --interval SECS  stat: sample twice, SECS apart, and show\n"
	      "                       rates; watch: refresh period (default 1)\n"
	      "  -n, --count N        watch: stop after N refreshes\n"
	      "  -s, --slot-size B    create: bytes per message slot (multiple of 8)\n"
	      "  -c, --capacity N     create: slots per ring (power of two)\n"
	      "  -p, --producers N    create: rings, one per producer\n"
	      "  -m, --mode OCTAL     create: permission bits (default 0600)\n"
	      "      --excl           create: fail if the name exists\n"
	      "      --prealloc       create: allocate every ring now\n"
	      "  -h, --help           this help\n"
	      "  -V, --version        the release of this tool\n"
	      "\n"
	      "Exit status: 0 success, 1 failure, 2 usage, 3 module not loaded,\n"
	      "4 no such channel, 5 permission denied. See ringmpsc(1).\n", out);
}

/* Say what went wrong and what to do about it; the exit status. */
static int report(int err, const char *what, const char *name)
{
	if (err == -ENODEV || (err == -ENOENT && access(RINGMPSC_DEVICE, F_OK))) {
		fprintf(stderr,
			"ringmpsc: %s: the ringmpsc module is not loaded (no %s). Load it:\n"
			"  insmod kmod/ringmpsc.ko      (in the source tree, as root)\n"
			"  modprobe ringmpsc            (installed: make dkms-install)\n",
			what, RINGMPSC_DEVICE);
		return EX_NO_MODULE;
	}
	if (err == -ENOENT && name) {
		fprintf(stderr, "ringmpsc: %s: no channel '%s' in this IPC namespace (see: ringmpsc list)\n",
			what, name);
		return EX_NO_CHANNEL;
	}
	if (err == -EACCES || err == -EPERM) {
		fprintf(stderr, "ringmpsc: %s%s%s: permission denied: %s\n", what,
			name ? " " : "", name ? name : "",
			strcmp(what, "unlink") ? "the channel's mode does not let you read it"
					       : "only its owner (or CAP_DAC_OVERRIDE) may unlink it");
		return EX_DENIED;
	}
	fprintf(stderr, "ringmpsc: %s%s%s: %s\n", what, name ? " " : "",
		name ? name : "", strerror(-err));
	return EX_FAIL;
}

/* @s for a terminal: bytes that are not printable ASCII as \xHH. */
static void print_name(const char *s, int width)
{
	int n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			n += printf("%c", c);
		else
			n += printf("\\x%02x", c);
	}
	printf("%*s", width > n ? width - n : 0, "");
}

static void format_time(uint64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (!gmtime_r(&sec, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%" PRIu64, ns);
}

static void json_desc(struct json *j, const struct ringmpsc_chan_desc *d)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%04o", d->mode);
	json_u64(j, "uid", d->uid);
	json_u64(j, "gid", d->gid);
	json_str(j, "mode", buf);
	json_u64(j, "slot_size", d->slot_size);
	json_u64(j, "capacity", d->capacity);
	json_u64(j, "max_producers", d->max_producers);
	json_bool(j, "consumer_attached",
		  d->consumer_state == RINGMPSC_CONSUMER_PRESENT);
	json_open(j, "rings_by_state", '{');
	json_u64(j, "unused", d->rings_unused);
	json_u64(j, "free", d->rings_free);
	json_u64(j, "active", d->rings_active);
	json_u64(j, "detached", d->rings_detached);
	json_close(j, '}');
	format_time(d->created_ns, buf, sizeof(buf));
	json_str(j, "created", buf);
	json_u64(j, "bytes_allocated", d->bytes_allocated);
}

static int cmd_list(const struct options *o)
{
	struct ringmpsc_list_entry *v;
	int n = ringmpsc_list_all(&v), i;
	struct json j;
	char when[64];

	if (n < 0)
		return report(n, "list", NULL);
	if (o->json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_open(&j, "channels", '[');
		for (i = 0; i < n; i++) {
			bool readable = v[i].desc.flags & RINGMPSC_CHAN_F_READABLE;

			json_open(&j, NULL, '{');
			json_str(&j, "name", v[i].name);
			json_bool(&j, "readable", readable);
			if (readable) {
				json_bool(&j, "linked", v[i].desc.flags &
					  RINGMPSC_CHAN_F_LINKED);
				json_desc(&j, &v[i].desc);
			}
			json_close(&j, '}');
		}
		json_close(&j, ']');
		json_close(&j, '}');
		json_end(&j);
	} else {
		printf("%-24s %6s %5s %5s %8s %7s %-22s %-8s %s\n", "NAME", "UID",
		       "MODE", "SLOT", "CAPACITY", "RINGS", "ACTIVE/DETACHED/FREE",
		       "CONSUMER", "CREATED");
		for (i = 0; i < n; i++) {
			const struct ringmpsc_chan_desc *d = &v[i].desc;
			char rings[48];

			if (d->flags & RINGMPSC_CHAN_F_READABLE &&
			    !(d->flags & RINGMPSC_CHAN_F_LINKED)) {
				/* Its name is free again: mark it. */
				print_name(v[i].name, 0);
				printf(" (unlinked)\n%24s", "");
			} else {
				print_name(v[i].name, 24);
			}
			if (!(d->flags & RINGMPSC_CHAN_F_READABLE)) {
				printf(" (no read permission)\n");
				continue;
			}
			snprintf(rings, sizeof(rings), "%u/%u/%u", d->rings_active,
				 d->rings_detached, d->rings_free);
			format_time(d->created_ns, when, sizeof(when));
			printf(" %6u %5.4o %5u %8u %7u %-22s %-8s %s\n", d->uid,
			       d->mode, d->slot_size, d->capacity,
			       d->max_producers, rings,
			       d->consumer_state == RINGMPSC_CONSUMER_PRESENT ?
			       "yes" : "no", when);
		}
	}
	free(v);
	return 0;
}

static int take_sample(const char *name, struct sample *s)
{
	struct timespec ts;
	int n = ringmpsc_stat(name, &s->st, s->rings, RINGMPSC_PRODUCERS_MAX);

	if (n < 0)
		return n;
	s->nr = (uint32_t)n;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->t = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	return 0;
}

/* Rates of ring @i from @a to @b (@a NULL: none). */
static struct rates ring_rates(const struct sample *a, const struct sample *b,
			       uint32_t i)
{
	struct rates r = { 0 };
	const struct ringmpsc_stat_ring *x, *y;
	double dt;

	if (!a || i >= a->nr || b->t <= a->t)
		return r;
	x = &a->rings[i];
	y = &b->rings[i];
	/* Indices restart at a recycle: no rate across generations. */
	if (x->state == RINGMPSC_RING_UNUSED || y->state == RINGMPSC_RING_UNUSED ||
	    x->generation != y->generation ||
	    ((x->flags | y->flags) & RINGMPSC_STAT_RING_F_CORRUPT) ||
	    y->tail < x->tail || y->head < x->head)
		return r;
	dt = b->t - a->t;
	r.valid = true;
	r.produced = (double)(y->tail - x->tail) / dt;
	r.consumed = (double)(y->head - x->head) / dt;
	return r;
}

static void json_stat(const char *name, const struct sample *a,
		      const struct sample *b)
{
	const struct ringmpsc_counters *c = &b->st.counters;
	struct json j;
	uint32_t i;

	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_str(&j, "name", name);
	json_bool(&j, "linked", b->st.desc.flags & RINGMPSC_CHAN_F_LINKED);
	json_desc(&j, &b->st.desc);
	json_u64(&j, "consumer_pid", b->st.consumer_pid);
	if (a)
		json_double(&j, "interval_ms", (b->t - a->t) * 1e3);
	json_open(&j, "counters", '{');
	json_u64(&j, "producer_attaches", c->producer_attaches);
	json_u64(&j, "producer_detaches", c->producer_detaches);
	json_u64(&j, "consumer_attaches", c->consumer_attaches);
	json_u64(&j, "consumer_detaches", c->consumer_detaches);
	json_u64(&j, "recycles", c->recycles);
	json_u64(&j, "discards", c->discards);
	json_u64(&j, "consumer_wakeups", c->consumer_wakeups);
	json_u64(&j, "producer_wakeups", c->producer_wakeups);
	json_u64(&j, "refused_perm", c->refused_perm);
	json_u64(&j, "refused_busy", c->refused_busy);
	json_u64(&j, "refused_full", c->refused_full);
	json_u64(&j, "refused_nomem", c->refused_nomem);
	json_close(&j, '}');
	json_open(&j, "rings", '[');
	for (i = 0; i < b->nr; i++) {
		const struct ringmpsc_stat_ring *r = &b->rings[i];
		struct rates rt = ring_rates(a, b, i);

		json_open(&j, NULL, '{');
		json_u64(&j, "index", i);
		json_str(&j, "state", r->state < 4 ? ring_state_names[r->state] : "?");
		json_u64(&j, "generation", r->generation);
		json_u64(&j, "producer_pid", r->producer_pid);
		json_u64(&j, "head", r->head);
		json_u64(&j, "tail", r->tail);
		json_u64(&j, "backlog", r->backlog);
		json_bool(&j, "corrupt", r->flags & RINGMPSC_STAT_RING_F_CORRUPT);
		if (rt.valid) {
			json_double(&j, "produced_per_sec", rt.produced);
			json_double(&j, "consumed_per_sec", rt.consumed);
			json_double(&j, "produced_bytes_per_sec",
				    rt.produced * b->st.desc.slot_size);
		}
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_close(&j, '}');
	json_end(&j);
}

static void text_stat(const char *name, const struct sample *a,
		      const struct sample *b)
{
	const struct ringmpsc_chan_desc *d = &b->st.desc;
	const struct ringmpsc_counters *c = &b->st.counters;
	char when[64];
	uint32_t i;

	format_time(d->created_ns, when, sizeof(when));
	printf("channel   ");
	print_name(name, 0);
	printf("\nowner     uid %u gid %u mode %04o, created %s\n", d->uid,
	       d->gid, d->mode, when);
	printf("rings     %u x %u slots of %u bytes: %u active, %u detached, %u free, %u unused; %" PRIu64 " bytes allocated\n",
	       d->max_producers, d->capacity, d->slot_size, d->rings_active,
	       d->rings_detached, d->rings_free, d->rings_unused,
	       (uint64_t)d->bytes_allocated);
	if (d->consumer_state == RINGMPSC_CONSUMER_PRESENT)
		printf("consumer  attached, pid %u\n", b->st.consumer_pid);
	else
		printf("consumer  none\n");
	printf("attaches  producer %llu (detached %llu), consumer %llu (detached %llu)\n",
	       (unsigned long long)c->producer_attaches,
	       (unsigned long long)c->producer_detaches,
	       (unsigned long long)c->consumer_attaches,
	       (unsigned long long)c->consumer_detaches);
	printf("recycles  %llu (%llu of them discarding messages)\n",
	       (unsigned long long)c->recycles, (unsigned long long)c->discards);
	printf("wakeups   consumer %llu, producers %llu\n",
	       (unsigned long long)c->consumer_wakeups,
	       (unsigned long long)c->producer_wakeups);
	printf("refused   permission %llu, consumer busy %llu, no ring %llu, no memory %llu\n\n",
	       (unsigned long long)c->refused_perm,
	       (unsigned long long)c->refused_busy,
	       (unsigned long long)c->refused_full,
	       (unsigned long long)c->refused_nomem);
	printf("%5s %-9s %6s %8s %12s %12s %10s", "RING", "STATE", "GEN", "PID",
	       "HEAD", "TAIL", "BACKLOG");
	printf(a ? " %10s %10s %12s\n" : "\n", "MSG/S IN", "MSG/S OUT",
	       "BYTES/S IN");
	for (i = 0; i < b->nr; i++) {
		const struct ringmpsc_stat_ring *r = &b->rings[i];
		struct rates rt = ring_rates(a, b, i);

		if (r->state == RINGMPSC_RING_UNUSED)
			continue;
		printf("%5u %-9s %6u ", i,
		       r->state < 4 ? ring_state_names[r->state] : "?",
		       r->generation);
		if (r->producer_pid)
			printf("%8u", r->producer_pid);
		else
			printf("%8s", "-");
		printf(" %12llu %12llu ", (unsigned long long)r->head,
		       (unsigned long long)r->tail);
		if (r->flags & RINGMPSC_STAT_RING_F_CORRUPT)
			printf("%10s", "corrupt");
		else
			printf("%10llu", (unsigned long long)r->backlog);
		if (rt.valid)
			printf(" %10.0f %10.0f %12.0f", rt.produced, rt.consumed,
			       rt.produced * d->slot_size);
		printf("\n");
	}
	fflush(stdout);
}

static void show(const struct options *o, const char *name,
		 const struct sample *a, const struct sample *b)
{
	if (o->json)
		json_stat(name, a, b);
	else
		text_stat(name, a, b);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int cmd_stat(const struct options *o, const char *name)
{
	static struct sample s[2];
	int err;

	err = take_sample(name, &s[0]);
	if (!err && o->interval_ms) {
		sleep_ms(o->interval_ms);
		err = take_sample(name, &s[1]);
	}
	if (err)
		return report(err, "stat", name);
	if (o->interval_ms)
		show(o, name, &s[0], &s[1]);
	else
		show(o, name, NULL, &s[0]);
	return 0;
}

/* top(1)-like: the screen is redrawn in place with plain ANSI codes on a
 * terminal; elsewhere each refresh is appended (JSON: one per line).
 */
static int cmd_watch(const struct options *o, const char *name)
{
	static struct sample s[2];
	unsigned int ms = o->interval_ms ? o->interval_ms : 1000;
	bool tty = !o->json && isatty(STDOUT_FILENO);
	long shown;
	int cur = 0, err;

	err = take_sample(name, &s[cur]);
	for (shown = 0; !err && (!o->count || shown < o->count); shown++) {
		sleep_ms(ms);
		err = take_sample(name, &s[!cur]);
		if (err)
			break;
		cur = !cur;
		if (tty)
			fputs("\033[H\033[2J", stdout);
		show(o, name, &s[!cur], &s[cur]);
		if (!tty && !o->json)
			printf("\n");
	}
	return err ? report(err, "watch", name) : 0;
}

static int cmd_create(const struct options *o, const char *name)
{
	const struct ringmpsc_channel_attr *a = &o->attr;
	int err;

	if (!a->slot_size || !a->capacity || !a->max_producers) {
		fprintf(stderr, "ringmpsc: create needs --slot-size, --capacity and --producers\n");
		return EX_USAGE_ERR;
	}
	err = ringmpsc_create(name, a);
	if (err == -EINVAL) {
		fprintf(stderr, "ringmpsc: create %s: invalid: slot size must be a multiple of %d up to %d, capacity a power of two in [%d, %u], producers 1..%d, mode within 0777\n",
			name, RINGMPSC_SLOT_ALIGN, RINGMPSC_SLOT_MAX,
			RINGMPSC_CAPACITY_MIN, RINGMPSC_CAPACITY_MAX,
			RINGMPSC_PRODUCERS_MAX);
		return EX_FAIL;
	}
	return err ? report(err, "create", name) : 0;
}

static int cmd_unlink(const char *name)
{
	int err = ringmpsc_unlink(name);

	return err ? report(err, "unlink", name) : 0;
}

/* A whole number in [0, @max] from @s (base 0: 0x.., 0.. octal). */
static bool parse_u32(const char *s, int base, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || *end || *s == '-' || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Seconds, possibly fractional, as milliseconds in [1, 1 hour]. */
static bool parse_interval(const char *s, unsigned int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.001 && v <= 3600))
		return false;
	*ms = (unsigned int)(v * 1000 + 0.5);
	return true;
}

static int bad_option(const char *opt, const char *arg)
{
	fprintf(stderr, "ringmpsc: bad value '%s' for %s (see ringmpsc --help)\n",
		arg, opt);
	return EX_USAGE_ERR;
}

static int bad_args(const char *cmd, const char *why)
{
	fprintf(stderr, "ringmpsc: %s: %s (see ringmpsc --help)\n", cmd, why);
	return EX_USAGE_ERR;
}

enum { OPT_EXCL = 256, OPT_PREALLOC };

static const struct option long_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, 'n' },
	{ "slot-size", required_argument, NULL, 's' },
	{ "capacity", required_argument, NULL, 'c' },
	{ "producers", required_argument, NULL, 'p' },
	{ "mode", required_argument, NULL, 'm' },
	{ "excl", no_argument, NULL, OPT_EXCL },
	{ "prealloc", no_argument, NULL, OPT_PREALLOC },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The options; -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	uint32_t v;
	int c;

	o->attr.mode = 0600;
	while ((c = getopt_long(argc, argv, "ji:n:s:c:p:m:hV", long_options,
				NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'i':
			if (!parse_interval(optarg, &o->interval_ms))
				return bad_option("--interval", optarg);
			break;
		case 'n':
			if (!parse_u32(optarg, 10, INT32_MAX, &v) || !v)
				return bad_option("--count", optarg);
			o->count = v;
			break;
		case 's':
			if (!parse_u32(optarg, 0, UINT32_MAX, &o->attr.slot_size))
				return bad_option("--slot-size", optarg);
			break;
		case 'c':
			if (!parse_u32(optarg, 0, UINT32_MAX, &o->attr.capacity))
				return bad_option("--capacity", optarg);
			break;
		case 'p':
			if (!parse_u32(optarg, 0, UINT32_MAX,
				       &o->attr.max_producers))
				return bad_option("--producers", optarg);
			break;
		case 'm':
			if (!parse_u32(optarg, 8, 0777, &o->attr.mode))
				return bad_option("--mode", optarg);
			break;
		case OPT_EXCL:
			o->attr.flags |= RINGMPSC_CREATE_EXCL;
			break;
		case OPT_PREALLOC:
			o->attr.flags |= RINGMPSC_CREATE_PREALLOC;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ringmpsc %s\n", RINGMPSC_VERSION_STRING);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE_ERR;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	const char *cmd, *name;
	int ret, nargs;

	ret = parse_options(argc, argv, &o);
	if (ret >= 0)
		return ret;
	nargs = argc - optind;
	cmd = nargs > 0 ? argv[optind] : NULL;
	name = nargs > 1 ? argv[optind + 1] : NULL;
	if (!cmd) {
		usage(stderr);
		return EX_USAGE_ERR;
	}
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "list"))
		return nargs == 1 ? cmd_list(&o) : bad_args(cmd, "too many arguments");
	if (strcmp(cmd, "stat") && strcmp(cmd, "watch") &&
	    strcmp(cmd, "create") && strcmp(cmd, "unlink")) {
		fprintf(stderr, "ringmpsc: unknown command '%s' (see ringmpsc --help)\n",
			cmd);
		return EX_USAGE_ERR;
	}
	if (nargs != 2)
		return bad_args(cmd, nargs < 2 ? "needs a channel NAME" :
						 "too many arguments");
	if (!strcmp(cmd, "stat"))
		return cmd_stat(&o, name);
	if (!strcmp(cmd, "watch"))
		return cmd_watch(&o, name);
	if (!strcmp(cmd, "create"))
		return cmd_create(&o, name);
	return cmd_unlink(name);
}
