// SPDX-License-Identifier: MIT
/*
 * quickstart: the smallest whole ringmpsc program, to copy from.
 *
 * A producer process sends N numbered messages to its parent, the
 * consumer, which checks that each arrives once and in order. Through a
 * module channel, or with --local through local rings shared across
 * fork() (no module needed).
 *
 *   quickstart [--local] [--count N] [--name NAME]
 *
 * Build it out of tree, once ringmpsc is installed:
 *   cc -o quickstart quickstart.c $(pkg-config --cflags --libs ringmpsc)
 * It compiles as C11 and as C++17 alike.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* getopt_long */
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ringmpsc.h>

#include "program.h"

static const char *prog = "quickstart";

/* One message: what goes into a slot is the program's own format. */
struct message {
	uint64_t seq;		/* 0, 1, 2, ... */
	uint64_t square;	/* seq * seq: a check of the payload */
};

/* The consumer's side of the check. */
struct tally {
	uint64_t received;
	uint64_t bad;
};

static void on_message(void *ctx, uint32_t ring, const void *msg)
{
	struct tally *t = (struct tally *)ctx;
	const struct message *m = (const struct message *)msg;

	(void)ring;
	if (m->seq != t->received || m->square != m->seq * m->seq)
		t->bad++;
	t->received++;
}

/* The child: send @count messages, waiting for room when the ring is
 * full. Exit status 0 when all were sent.
 */
static int produce(struct ringmpsc_producer *p, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++) {
		struct message m = { i, i * i };
		int err = ringmpsc_send(p, &m, sizeof(m), 5000);

		if (err) {
			fprintf(stderr, "%s: send %" PRIu64 ": %s\n", prog, i,
				strerror(-err));
			return 1;
		}
	}
	ringmpsc_producer_close(p);
	return 0;
}

/* The parent: take messages until @count arrived or the producer died. */
static int consume(struct ringmpsc_consumer *c, uint64_t count, pid_t child)
{
	struct tally t = { 0, 0 };
	int status = 0;
	bool child_done = false;

	while (t.received < count) {
		long n = ringmpsc_consume(c, on_message, &t, 256);

		if (n < 0) {
			fprintf(stderr, "%s: consume: %s\n", prog, strerror((int)-n));
			return 1;
		}
		if (n > 0)
			continue;
		if (child_done) {	/* gone, and nothing more came */
			fprintf(stderr, "%s: the producer exited after %" PRIu64
				" of %" PRIu64 " messages\n", prog, t.received, count);
			return 1;
		}
		/* Empty: sleep until a message comes (or a second passes). */
		ringmpsc_wait(c, 1000);
		child_done = waitpid(child, &status, WNOHANG) == child;
	}
	if (!child_done)
		waitpid(child, &status, 0);
	printf("%s: received %" PRIu64 " messages, %" PRIu64 " out of order or corrupt\n",
	       prog, t.received, t.bad);
	return t.bad || !WIFEXITED(status) || WEXITSTATUS(status) ? 1 : 0;
}

static int usage(FILE *f, int status)
{
	fprintf(f,
		"usage: %s [--local] [--count N] [--name NAME]\n"
		"\n"
		"A producer process sends N numbered messages (default 100000) to\n"
		"this one, which checks that each arrives once and in order.\n"
		"\n"
		"  --local      local rings shared across fork(): no kernel module\n"
		"  --count N    messages to send\n"
		"  --name NAME  the module channel (default quickstart-<pid>)\n"
		"  --help       this text\n"
		"\n"
		"Exit status 0 when every message arrived intact and in order.\n",
		prog);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "local", no_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ringmpsc_channel_attr attr;
	struct ringmpsc_local *local = NULL;
	struct ringmpsc_consumer c;
	struct ringmpsc_producer p;
	char name[64], *end;
	uint64_t count = 100000;
	bool use_local = false;
	int opt, err, ret;
	pid_t child;

	snprintf(name, sizeof(name), "quickstart-%d", (int)getpid());
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			use_local = true;
			break;
		case 'c':
			errno = 0;
			count = strtoull(optarg, &end, 0);
			if (errno || *end || count == 0)
				return usage(stderr, 2);
			break;
		case 'n':
			snprintf(name, sizeof(name), "%s", optarg);
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (optind < argc)
		return usage(stderr, 2);

	/* One ring of 1024 slots, each the size of a message. */
	if (use_local) {
		err = ringmpsc_local_create(&local, 1, sizeof(struct message), 1024, 0);
		if (!err)
			err = ringmpsc_local_consumer(local, &c);
	} else {
		memset(&attr, 0, sizeof(attr));
		attr.slot_size = sizeof(struct message);
		attr.capacity = 1024;
		attr.max_producers = 1;
		attr.mode = 0600;
		attr.flags = RINGMPSC_CREATE_EXCL;
		err = ringmpsc_create(name, &attr);
		if (!err) {
			err = ringmpsc_consumer_open(&c, name);
			if (err)
				ringmpsc_unlink(name);
		}
	}
	if (err) {
		program_setup_error(prog, use_local ? "cannot create local rings for"
						    : "cannot set up channel",
				    name, err, "--local");
		return 1;
	}

	child = fork();
	if (child == 0) {
		/* The child opens its own producer: handles are not inherited. */
		err = use_local ? ringmpsc_local_producer(local, 0, &p)
				: ringmpsc_producer_open(&p, name);
		if (err) {
			program_setup_error(prog, "cannot open a producer of", name,
					    err, NULL);
			_exit(1);
		}
		_exit(produce(&p, count));
	}
	if (child < 0) {
		perror("quickstart: fork");
		ret = 1;
	} else {
		ret = consume(&c, count, child);
	}

	ringmpsc_consumer_close(&c);
	if (use_local)
		ringmpsc_local_destroy(local);
	else
		ringmpsc_unlink(name);
	return ret;
}
