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
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringmpsc.h>
#include <ringmpsc_query.h>

#include "view.h"

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

static int cmd_list(const struct options *o)
{
	struct ringmpsc_list_entry *v;
	int n = ringmpsc_list_all(&v);

	if (n < 0)
		return report(n, "list", NULL);
	view_list(v, n, o->json);
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
		view_stat(name, &s[0], &s[1], o->json);
	else
		view_stat(name, NULL, &s[0], o->json);
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
		view_stat(name, &s[!cur], &s[cur], o->json);
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
