// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * shared-states.c - the states spin reached, as RingMPSC.tla's Shared.
 *
 * A pan built with -DSVDUMP and run with -p<bytes> writes the first
 * <bytes> of every state vector it stores to <model>.svd; the global
 * variables come first there. This program reads those records and prints
 * each distinct value of the variables the two models share (memory,
 * store buffers, kernel words, ghosts), one line each, in the form TLC
 * prints RingMPSC.tla's PrintShared, so that tla/check.sh can compare the
 * two sets. It is compiled next to each verifier: it includes that
 * verifier's pan.h, which gives the layout of the state vector.
 *
 *   shared-states --prefix            the <bytes> for pan -p
 *   shared-states FILE.svd > LINES    the distinct shared states
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include "pan.h"

#define NRINGS	(sizeof(((State *)0)->state))
#define NWORDS	(sizeof(((State *)0)->mem))
#define NBUFS	(sizeof(((State *)0)->sb) / sizeof(((State *)0)->sb[0]))
#define SBCAP	(sizeof(((State *)0)->sb[0].a))
#define PREFIX	offsetof(State, sv)

/* The shared variables of one state, one byte each: the key of the set. */
#define KEYLEN	(NWORDS + NBUFS * (1 + 2 * SBCAP) + 8 * NRINGS + 4)

static void key_of(const State *s, unsigned char *k)
{
	size_t i, b, n = 0;

	memset(k, 0, KEYLEN);
	for (i = 0; i < NWORDS; i++)
		k[n++] = s->mem[i];
	for (b = 0; b < NBUFS; b++) {
		k[n++] = s->sb[b].n;
		for (i = 0; i < s->sb[b].n; i++) {
			k[n++] = s->sb[b].a[i];
			k[n++] = s->sb[b].v[i];
		}
		n += 2 * (SBCAP - s->sb[b].n);
	}
	for (i = 0; i < NRINGS; i++) {
		k[n++] = s->state[i];
		k[n++] = s->gen[i];
		k[n++] = s->pefd[i];
		k[n++] = s->pdone[i];
		k[n++] = s->p_asleep[i];
		k[n++] = s->gdel[i];
		k[n++] = s->rd_hi[i];
	}
	k[n++] = s->repoch;
	k[n++] = s->cpresent;
	k[n++] = s->cefd;
	k[n++] = s->c_asleep;
}

/* <<a, b, c>> of n bytes taken every `stride` from p. */
static void seq(const unsigned char *p, size_t n, size_t stride)
{
	size_t i;

	printf("<<");
	for (i = 0; i < n; i++)
		printf("%s%u", i ? ", " : "", p[i * stride]);
	printf(">>");
}

/* The line TLC prints for the same state: ToString(Shared), quoted. */
static void print_key(const unsigned char *k)
{
	const unsigned char *r;
	size_t b, i, n = NWORDS;

	printf("\"<<");
	seq(k, NWORDS, 1);
	printf(", <<");
	for (b = 0; b < NBUFS; b++) {
		printf("%s<<", b ? ", " : "");
		for (i = 0; i < k[n]; i++)
			printf("%s<<%u, %u>>", i ? ", " : "", k[n + 1 + 2 * i],
			       k[n + 2 + 2 * i]);
		printf(">>");
		n += 1 + 2 * SBCAP;
	}
	printf(">>");
	r = k + n;
	n += 7 * NRINGS;
	printf(", ");
	seq(r + 0, NRINGS, 7);		/* state */
	printf(", ");
	seq(r + 1, NRINGS, 7);		/* gen */
	printf(", %u, %u, %u, ", k[n], k[n + 1], k[n + 2]);	/* repoch, cpresent, cefd */
	seq(r + 2, NRINGS, 7);		/* pefd */
	printf(", ");
	seq(r + 3, NRINGS, 7);		/* pdone */
	printf(", ");
	seq(r + 4, NRINGS, 7);		/* p_asleep */
	printf(", %u, ", k[n + 3]);	/* c_asleep */
	seq(r + 5, NRINGS, 7);		/* gdel */
	printf(", ");
	seq(r + 6, NRINGS, 7);		/* rd_hi */
	printf(">>\"\n");
}

/* An open-addressing set of keys, doubled when half full. */
static unsigned char *slots;
static size_t nslots = 1 << 16, used;

static uint64_t hash(const unsigned char *k)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < KEYLEN; i++)
		h = (h ^ k[i]) * 1099511628211ULL;
	return h;
}

/* 1 if k was new. Slot byte 0 is 1 when the slot is taken. */
static int insert(unsigned char *tab, size_t n, const unsigned char *k)
{
	size_t i = hash(k) & (n - 1);

	for (;; i = (i + 1) & (n - 1)) {
		unsigned char *s = tab + i * (KEYLEN + 1);

		if (!s[0]) {
			s[0] = 1;
			memcpy(s + 1, k, KEYLEN);
			return 1;
		}
		if (!memcmp(s + 1, k, KEYLEN))
			return 0;
	}
}

static int grow(void)
{
	unsigned char *tab = calloc(2 * nslots, KEYLEN + 1);
	size_t i;

	if (!tab)
		return -1;
	for (i = 0; i < nslots; i++)
		if (slots[i * (KEYLEN + 1)])
			insert(tab, 2 * nslots, slots + i * (KEYLEN + 1) + 1);
	free(slots);
	slots = tab;
	nslots *= 2;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char key[KEYLEN];
	State s;
	FILE *f;
	size_t i;

	if (argc == 2 && !strcmp(argv[1], "--prefix")) {
		printf("%zu\n", PREFIX);
		return 0;
	}
	if (argc != 2 || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "usage: shared-states --prefix | FILE.svd\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	slots = calloc(nslots, KEYLEN + 1);
	if (!f || !slots) {
		perror(argv[1]);
		return 1;
	}
	memset(&s, 0, sizeof(s));
	while (fread(&s, PREFIX, 1, f) == 1) {
		key_of(&s, key);
		if (insert(slots, nslots, key) && ++used * 2 > nslots && grow()) {
			perror("shared-states");
			return 1;
		}
	}
	if (ferror(f)) {
		perror(argv[1]);
		return 1;
	}
	for (i = 0; i < nslots; i++)
		if (slots[i * (KEYLEN + 1)])
			print_key(slots + i * (KEYLEN + 1) + 1);
	return 0;
}
