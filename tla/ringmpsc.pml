/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ringmpsc.pml - Promela model of the ringmpsc ring, wakeup and lifecycle
 * protocol (spec.md sections 2-4; of section 8, a producer's wait for a
 * consumer). Checked exhaustively by spin; see
 * tla/README.md for the runs, the bounds and the property table.
 * tla/RingMPSC.tla is the same protocol in TLA+, checked by TLC on the
 * same bounds; tla/check.sh requires the two to reach the same states of
 * the variables they share (the globals below but the fault injector's
 * kill[], pkillable[], ckill, ckillable and the scratch sc_i).
 *
 * Memory model: x86-TSO. Every user-space process (producer, consumer)
 * owns a FIFO store buffer; its stores - slot contents, indices and flags
 * alike - enter the buffer and a separate flusher process moves the oldest
 * one to memory at a nondeterministic moment. A load returns the youngest
 * buffered store to the same word, else memory. A full barrier waits until
 * the buffer is empty. So the one reordering TSO allows (a later load
 * passing an earlier store) is real here, which is exactly what the
 * NEED_WAKEUP Dekker pair guards against (INV-WAKE-01/02). TSO keeps
 * store->store and load->load/store order, which is what release and
 * acquire mean on x86; the NO_RELEASE / NO_ACQUIRE / NO_CONS_RELEASE
 * variants perform the reorderings a weaker machine (ARM, POWER) would be
 * allowed without those annotations, to show each one is needed.
 *
 * The module (ioctls, attach, the exit/kill path) runs in atomic steps:
 * it works under the channel lock, and on x86 a lock is a full barrier.
 * Kernel-written control words (ring state, generation, ring_epoch,
 * consumer presence, eventfd counters) are therefore sequentially
 * consistent; user space only reads them.
 *
 * Bounds (override with -D): NP producers, each bound to ring p; rings of
 * CAP slots; each producer commits MSGS messages in all, in reservations of
 * 1..BATCH slots; PCRASH producer deaths and CCRASH consumer deaths in a
 * run. Store buffers are unbounded, as in RingMPSC.tla: SB is only the
 * size of their arrays, and a store into a full one is an assertion
 * failure (raise SB), never a stall that would hide a behaviour.
 *
 * A message is MSG(generation, sequence): a producer writes sequence i+1
 * into ring index i of its generation. Slot contents are one word, so a
 * "partially written" message is a reservation some of whose slots are
 * not written (or not yet visible).
 *
 * The publisher's barrier (INV-WAKE-02) comes in two modes:
 *   (default)  symmetric: every publisher runs a full barrier (mfence)
 *              between its index store and its flag load; the sleeper a
 *              full barrier between its flag store and its re-check. The
 *              library's fallback when membarrier() is not available.
 *   ASYM       asymmetric, what the library runs: a process registered for
 *              MEMBARRIER_CMD_GLOBAL_EXPEDITED publishes with a compiler
 *              barrier only (its index store may still be buffered when
 *              its flag load runs); the sleeper, after its own full
 *              barrier, calls membarrier(), which runs a full barrier on
 *              the CPU of every other registered process: here one atomic
 *              step per such process that drains its whole store buffer
 *              to memory, in FIFO order, the steps in any order with
 *              everybody else running between them, all done before the
 *              re-check. An unregistered process keeps its mfence.
 *   ASYM_REG   with ASYM: who is registered, a bit mask of store buffers
 *              (bit p: producer p, bit NP: the consumer); default all.
 *   MB_FAIL    with ASYM: membarrier() may fail (seccomp); the sleeper then
 *              re-checks and sleeps in bounded slices: the sleep may also
 *              end by a time-out, always enabled (INV-WAKE-06).
 *
 * A producer waits for room in one of two ways:
 *   (default)  as ringmpsc_wait_space: only on a full ring, and only while
 *              a consumer is attached (without one the call fails with
 *              -EPIPE, and the application retries once one is attached:
 *              outside the protocol).
 *   WAITC      as an event loop with RINGMPSC_WAIT_CONSUMER: it waits for
 *              room and a consumer, through its eventfd; the re-check (3)
 *              loads consumer_state too, and the module signals every
 *              producer's eventfd when a consumer attaches, after
 *              publishing consumer_state (INV-STREAM-04). A producer that
 *              attaches before any consumer sleeps until one arrives.
 *
 * Negative switches, a bit mask of the sleeping side whose protection is
 * removed (1: the consumer sleeps, producer publishes; 2: the producer
 * sleeps, consumer publishes; 3: both):
 *   NO_SLEEPER_BARRIER   drop the sleeper's full barrier       INV-WAKE-01
 *   NO_PUBLISHER_BARRIER drop the publisher's full barrier     INV-WAKE-02
 *                        (with ASYM: an unregistered one's)
 *   NO_RECHECK           sleep without re-checking the ring    INV-WAKE-03
 *   NO_MEMBARRIER        ASYM: the sleeper's membarrier() does
 *                        nothing (its own barrier only)        INV-WAKE-02
 *   NO_SLICE             ASYM, MB_FAIL: after a failed
 *                        membarrier() sleep without a time-out INV-WAKE-06
 * and plain switches:
 *   NO_DETACH_WAKE  the module does not signal the consumer when a
 *                   producer attaches or detaches (INV-WAKE-05)
 *   NO_ATTACH_WAKE  WAITC: the module does not signal the producers when
 *                   a consumer attaches (INV-STREAM-04)
 *   NO_PRESENCE_RECHECK  WAITC: the re-check (3) loads head but not
 *                   consumer_state: a producer that armed for want of a
 *                   consumer keeps what it saw before arming
 *                   (INV-STREAM-04)
 *   NO_RELEASE      producer stores tail before the slots     INV-RING-05/09
 *   NO_ACQUIRE      consumer reads a slot before loading tail INV-RING-05
 *   NO_CONS_RELEASE consumer stores head before reading slots INV-RING-05/06
 * Each must make spin report an error; tla/check.sh fails if it does not.
 *
 * "@reach:<what>" marks a line that a safety run must execute (check.sh).
 * pan counts a statement merged into a transition as reached once the
 * transition's first state is, so a tag sits on a statement that starts
 * a transition of its own: a blocking guard, or a d_step (inside an
 * atomic sequence, where it adds no state).
 */

#ifndef NP
#define NP 2
#endif
#ifndef CAP
#define CAP 2
#endif
#ifndef MSGS
#define MSGS 3
#endif
#ifndef MSGS1
#define MSGS1 MSGS      /* producer 1 and up, if a config wants it smaller */
#endif
#define BUDGET(p) ((p) == 0 -> MSGS : MSGS1)
#ifndef BATCH
#define BATCH 2
#endif
#ifndef PCRASH
#define PCRASH 1
#endif
#ifndef CCRASH
#define CCRASH 1
#endif
#ifndef SB
#define SB 8
#endif

#ifndef NO_SLEEPER_BARRIER
#define NO_SLEEPER_BARRIER 0
#endif
#ifndef NO_PUBLISHER_BARRIER
#define NO_PUBLISHER_BARRIER 0
#endif
#ifndef NO_RECHECK
#define NO_RECHECK 0
#endif
#ifndef NO_MEMBARRIER
#define NO_MEMBARRIER 0
#endif
#ifndef NO_SLICE
#define NO_SLICE 0
#endif
#define C_SLEEPS 1
#define P_SLEEPS 2

#ifdef ASYM
#ifndef ASYM_REG
#define ASYM_REG 255                    /* everybody registered */
#endif
/* Registered for MEMBARRIER_CMD_GLOBAL_EXPEDITED: store buffer me. */
#define REG(me)         ((ASYM_REG >> (me)) & 1)
/* The store buffers a membarrier() by me drains: every other registered
 * process (the caller itself runs its own full barrier).
 */
#define REG_OTHERS(me)  (ASYM_REG & ((1 << (NP + 1)) - 1) & ~(1 << (me)))
#else
#if defined(MB_FAIL) || defined(ASYM_REG) || NO_MEMBARRIER || NO_SLICE
#error "ASYM_REG, MB_FAIL, NO_MEMBARRIER and NO_SLICE need -DASYM"
#endif
#endif

#if (defined(NO_ATTACH_WAKE) || defined(NO_PRESENCE_RECHECK)) && !defined(WAITC)
#error "NO_ATTACH_WAKE and NO_PRESENCE_RECHECK need -DWAITC"
#endif

#if NP < 1 || NP > 3
#error "NP must be 1..3 (the properties below are spelled out per ring)"
#endif

/* ---- shared memory: per ring, PROD page, CONS page, DATA ------------- */
#define RW         (4 + CAP)            /* words per ring */
#define TAIL(r)    ((r) * RW + 0)       /* PROD: written by the producer */
#define PFLAG(r)   ((r) * RW + 1)       /* PROD: producer NEED_WAKEUP */
#define HEAD(r)    ((r) * RW + 2)       /* CONS: written by the consumer */
#define CFLAG(r)   ((r) * RW + 3)       /* CONS: consumer NEED_WAKEUP */
#define SLOT(r, i) ((r) * RW + 4 + ((i) % CAP))   /* DATA */
#define OFF_SLOT   4

#define MSG(g, s)  ((g) * 16 + (s))     /* s >= 1: a zeroed slot is no message */
#define MSG_GEN(v) ((v) / 16)
#define MSG_SEQ(v) ((v) % 16)

byte mem[NP * RW];

/* Store buffers: 0..NP-1 the producers, CONS the consumer. */
#define CONS NP
typedef sbuf {
	byte a[SB];     /* word address */
	byte v[SB];     /* value */
	byte n          /* entries, oldest at 0 */
};
sbuf sb[NP + 1];

/* ---- kernel-owned state (control area, read-only to user space) ------ */
#define FREE     1      /* enum ringmpsc_ring_state */
#define ACTIVE   2
#define DETACHED 3
byte state[NP] = FREE;    /* allocated up front (CREATE_PREALLOC) */
byte gen[NP];
byte repoch;            /* ring_epoch: bumped on every ring state change */
bool cpresent;          /* consumer_state */
bool cefd;              /* consumer's eventfd: a counter; nonzero = readable */
bool pefd[NP];          /* each producer's eventfd */

/* ---- ghost state (checks only) ---------------------------------------- */
bool pdone[NP];         /* producer p sent all and exited */
bool p_asleep[NP];      /* blocked on its eventfd */
bool c_asleep;
byte gdel[NP];          /* highest sequence delivered, this generation */
byte rd_hi[NP];         /* may be delivered again: up to here (INV-RING-08) */
bool kill[NP];          /* kill -9 delivered to producer p */
bool pkillable[NP];
bool ckill;
bool ckillable;
byte sc_i;              /* scratch for d_steps; always left 0 */

/* ---- the store-buffer machine ----------------------------------------- */

/* Single writer per word (INV-RING-04): checked on every user store. */
#define OWNS(me, a) \
	((me) == CONS -> ((a) % RW == 2 || (a) % RW == 3) \
	               : ((a) / RW == (me) && (a) % RW != 2 && (a) % RW != 3))

inline store(me, addr, val)
{
	atomic {
		assert(sb[me].n < SB);  /* the array must not limit the buffer */
		assert(OWNS(me, addr)); /* INV-RING-04 */
		sb[me].a[sb[me].n] = addr;
		sb[me].v[sb[me].n] = val;
		sb[me].n++
	}
}

/* TSO load: own youngest buffered store to the word, else memory. */
inline load(me, addr, res)
{
	atomic {
		res = mem[addr];
		sc_i = 0;
		do
		:: sc_i < sb[me].n ->
			if
			:: sb[me].a[sc_i] == (addr) -> res = sb[me].v[sc_i]
			:: else
			fi;
			sc_i++
		:: else -> break
		od;
		sc_i = 0
	}
}

/* Full barrier (mfence, or a locked instruction): wait for the drain. */
#define MFENCE(me) (sb[me].n == 0)

/* Invariants of ring r in memory, after every change of memory. */
inline ring_check(r)
{
	/* INV-RING-01: bounded count. */
	assert(mem[HEAD(r)] <= mem[TAIL(r)] && mem[TAIL(r)] - mem[HEAD(r)] <= CAP);
	/* INV-RING-03, INV-RING-09, INV-LIFE-03: every slot in [head, tail)
	 * holds, whole, the message committed at that index in this
	 * generation. (Outside that window a slot may hold anything.)
	 */
	sc_i = mem[HEAD(r)];
	do
	:: sc_i < mem[TAIL(r)] ->
		assert(mem[SLOT(r, sc_i)] == MSG(gen[r], sc_i + 1));
		sc_i++
	:: else -> break
	od;
	sc_i = 0
}

/* Moves the oldest store of buffer me (not empty) to memory; fa and fv
 * are the caller's scratch, left 0.
 */
inline flush_one(me, fa, fv)
{
	fa = sb[me].a[0];
	fv = sb[me].v[0];
	if
	:: fa % RW == 0 || fa % RW == 2 ->
		assert(fv >= mem[fa])             /* INV-RING-02 */
	:: fa % RW >= OFF_SLOT ->
		/* INV-RING-06: the slot's previous message (index
		 * seq-1-CAP) was released; INV-LIFE-03: no store of
		 * an earlier generation lands in a recycled ring.
		 */
		assert(MSG_SEQ(fv) - 1 < mem[HEAD(fa / RW)] + CAP);
		assert(MSG_GEN(fv) == gen[fa / RW])
	:: else
	fi;
	mem[fa] = fv;
	ring_check(fa / RW);
	sc_i = 0;
	do
	:: sc_i + 1 < sb[me].n ->
		sb[me].a[sc_i] = sb[me].a[sc_i + 1];
		sb[me].v[sc_i] = sb[me].v[sc_i + 1];
		sc_i++
	:: else -> break
	od;
	sb[me].a[sc_i] = 0;
	sb[me].v[sc_i] = 0;
	sb[me].n--;
	sc_i = 0;
	fa = 0;
	fv = 0
}

/* Moves a process's oldest buffered store to memory, whenever it likes. */
active [NP + 1] proctype flusher()     /* pids 0..NP: the buffer it drains */
{
	byte me = _pid;
	byte a, v;
end:
	do
	:: d_step { sb[me].n > 0 -> flush_one(me, a, v) }
	od
}

#ifdef ASYM
/* membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), one target: the next
 * registered process q of the mask todo runs a full barrier on its CPU
 * (an IPI; a process not running ran one when it was switched out), so
 * all it stored before reaches memory, in order. One atomic step per
 * target, the targets in any order, everybody else running between them:
 * the call returns when each CPU has run its barrier. INV-WAKE-02.
 */
inline mb_next(todo, q)
{
	if
	:: todo & 1 -> q = 0
	:: todo & 2 -> q = 1
	:: todo & 4 -> q = 2
	:: todo & 8 -> q = 3
	fi;
	todo = todo & ~(1 << q)
}
inline drain_all(q, da, dv)
{
	do
	:: sb[q].n > 0 -> flush_one(q, da, dv)
	:: else -> break
	od
}

/* The outcome of the sleeper's membarrier() (2b) into its locals mbq (the
 * buffers still to drain) and unarmed. Nothing observes the outcome
 * before the call, so it is chosen with the flag store (1).
 */
inline mb_call(others, side)
{
	if
	:: !(NO_MEMBARRIER & (side)) -> mbq = others   /* returns 0: INV-WAKE-02 */
	:: NO_MEMBARRIER & (side)                       /* negative: does nothing */
#ifdef MB_FAIL
	:: unarmed = 1          /* fails (seccomp): no barrier anywhere, INV-WAKE-06 */
#endif
	fi
}

/* (2) the sleeper's own full barrier, INV-WAKE-01 (its flag is in memory
 * before any remote barrier, so a publisher's flag load after that sees
 * it). It stores nothing until the re-check: once passed, it holds.
 */
#if NO_SLEEPER_BARRIER & P_SLEEPS
#define P_FENCED(p)     1
#else
#define P_FENCED(p)     MFENCE(p)
#endif
#if NO_SLEEPER_BARRIER & C_SLEEPS
#define C_FENCED        1
#else
#define C_FENCED        MFENCE(CONS)
#endif
#endif

/* ---- the module -------------------------------------------------------- */

/* DETACHED -> FREE, generation + 1, pages zeroed. INV-LIFE-01, -02. */
inline recycle(r)
{
	assert(state[r] == DETACHED && mem[HEAD(r)] == mem[TAIL(r)]);
	/* INV-LIFE-02 (why): nothing committed is discarded. */
	assert(gdel[r] == mem[TAIL(r)]);
	sc_i = 0;
	do
	:: sc_i < RW -> mem[r * RW + sc_i] = 0; sc_i++
	:: else -> break
	od;
	sc_i = 0;
	gen[r]++;
	gdel[r] = 0;
	rd_hi[r] = 0;
	state[r] = FREE;
	repoch++
}

/* A producer leaves (exit or kill): INV-LIFE-04, INV-WAKE-05. Its store
 * buffer was drained first: the exit path takes locks (full barriers) on
 * the dying CPU before the module's release runs. One that had sent
 * everything is done for good (in the same step: RingMPSC.tla's PExit).
 */
inline producer_detach(p)
{
	atomic {
		MFENCE(p);
		assert(state[p] == ACTIVE);     /* INV-LIFE-01 */
		state[p] = DETACHED;
		repoch++;
#ifndef NO_DETACH_WAKE
		if
		:: cpresent -> cefd = 1
		:: else
		fi;
#endif
		if
		:: psent == BUDGET(p) -> pdone[p] = 1
		:: else
		fi
	}
}

/* ---- producer p (ring p) ----------------------------------------------- */

/* Is producer p's wait over? Room, and with WAITC a consumer too. */
#ifdef WAITC
#define P_READY (CAP - (ptail - pcache) > 0 && cpresent)
#else
#define P_READY (CAP - (ptail - pcache) > 0)
#endif

/* (3) of the sleeping half: re-check head (and consumer_state, with
 * WAITC), sleep if the wait is not over.
 */
inline p_recheck()
{
#ifdef NO_PRESENCE_RECHECK
	/* Negative: presence as seen before arming (absent, if there was
	 * room then), not loaded again.
	 */
	v = (CAP - (ptail - pcache) == 0 && cpresent);
	load(p, HEAD(p), pcache);
	p_asleep[p] = !(CAP - (ptail - pcache) > 0 && v);
	v = 0
#else
#if !(NO_RECHECK & P_SLEEPS)
	load(p, HEAD(p), pcache);
#endif
	p_asleep[p] = !P_READY
#endif
}

/*
 * Steps that only compute on private state are folded into the next step
 * that touches shared state; stores only enter the buffer, so consecutive
 * stores of one reservation are one step (their flushes stay separate).
 */
active [NP] proctype producer()        /* pids NP+1..2NP: ring p */
{
	byte p = _pid - (NP + 1);
	byte ptail;             /* its own tail */
	byte pcache;            /* cached_head (INV-RING-11) */
	byte psent;             /* ghost: committed so far, over all lives */
	byte n, k, v;
#ifdef ASYM
	byte mbq, q;            /* membarrier(): buffers still to drain, the next */
	bool unarmed;           /* membarrier() failed: sleep in slices */
#endif

attach:
	/* RINGMPSC_IOC_ATTACH: a FREE ring, or a drained DETACHED one when no
	 * consumer is attached (the module recycles it here). INV-LIFE-02.
	 */
	atomic {
		state[p] == FREE ||
		(state[p] == DETACHED && !cpresent && mem[HEAD(p)] == mem[TAIL(p)]);
		if
		:: state[p] == DETACHED -> d_step { recycle(p) }  /* @reach:attach-recycle */
		:: else
		fi;
		state[p] = ACTIVE;              /* INV-LIFE-01 */
		repoch++;
		pefd[p] = 0;                    /* a new process, a new eventfd */
#ifndef NO_DETACH_WAKE
		/* INV-WAKE-05: the consumer has no flag in a ring it has not
		 * seen yet, so the attach itself must wake it.
		 */
		if
		:: cpresent -> cefd = 1
		:: else
		fi;
#endif
		/* ringmpsc_producer_init: start where the ring is. */
		ptail = mem[TAIL(p)];
		pcache = mem[HEAD(p)];
		pkillable[p] = 1;
		if      /* a dead one's uncommitted messages go on here */
		:: psent > 0 -> d_step { assert(psent < BUDGET(p)) }     /* @reach:reattach */
		:: else
		fi
	}

	{
	do
	:: psent == BUDGET(p) -> break
	:: else ->
		/* reserve(n), n in 1..BATCH. The cached head is refreshed only
		 * when it shows too little room (INV-RING-11), by a
		 * load-acquire of head that pairs with the consumer's
		 * store-release of head (INV-RING-05).
		 */
		atomic {
			n = 1;
			do
			:: n < BATCH && n < BUDGET(p) - psent -> n++
			:: break
			od;
			if
			:: CAP - (ptail - pcache) < n -> load(p, HEAD(p), pcache)
			:: else
			fi
		}

		/* Full (or, with WAITC, no consumer): ringmpsc_wait_space or
		 * ringmpsc_producer_wait_prepare, the sleeping half.
		 */
		do
		:: P_READY -> break
		:: else ->
#ifndef WAITC
			/* No consumer: -EPIPE; the application retries once
			 * one is attached (outside the wakeup protocol).
			 */
			cpresent;
#endif
#ifndef ASYM
			atomic {
				pefd[p] = 0;    /* (0) drain the eventfd */
				store(p, PFLAG(p), 1)                   /* (1) */
			}
			atomic {
#if !(NO_SLEEPER_BARRIER & P_SLEEPS)
				MFENCE(p);      /* (2) INV-WAKE-01: the flag is visible before the re-check */
#endif
				p_recheck()                             /* (3) */
			}
#else
			atomic {
				pefd[p] = 0;    /* (0) drain the eventfd */
				store(p, PFLAG(p), 1);                  /* (1) */
				mb_call(REG_OTHERS(p), P_SLEEPS)         /* (2b) */
			}
			/* ringmpsc__sleeper_barrier: (2) its own full barrier
			 * (INV-WAKE-01) before each step; (2b) membarrier(): one
			 * drain per registered process (INV-WAKE-02); then (3).
			 */
			do
			:: atomic {
				P_FENCED(p) && mbq != 0 ->
				mb_next(mbq, q);
				if
				:: sb[q].n > 0 ->
					d_step {        /* @reach:pdrain */
						assert(REG(q) && q != p);
						drain_all(q, k, v);
						q = 0
					}
				:: else -> q = 0
				fi
			   }
			:: atomic { P_FENCED(p) && mbq == 0 -> p_recheck() };   /* (3) */
				break
			od;
#endif
			if
			:: p_asleep[p] ->
end_psleep:			if
				:: atomic { pefd[p] -> pefd[p] = 0; p_asleep[p] = 0 }   /* (4) @reach:psleep */
#if defined(MB_FAIL) && !(NO_SLICE & P_SLEEPS)
				/* (4b) INV-WAKE-06: unarmed, the sleep ends after a
				 * slice (1 ms), signalled or not.
				 */
				:: atomic { unarmed -> d_step { p_asleep[p] = 0 } }     /* @reach:pslice */
#endif
				fi
			:: else
			fi;
			atomic {
				store(p, PFLAG(p), 0);                  /* (5) */
				load(p, HEAD(p), pcache);               /* retry */
#ifdef ASYM
				unarmed = 0
#endif
			}
		od;

		atomic {
			if      /* reserve returns what fits */
			:: n > CAP - (ptail - pcache) -> n = CAP - (ptail - pcache)
			:: else
			fi;
			/* INV-RING-06: the reservation lies in [tail, head + CAP). */
			assert(ptail + n - pcache <= CAP);
#ifdef NO_RELEASE
			/* Negative: tail published before the slots. */
			store(p, TAIL(p), ptail + n);
			psent = psent + n;
#endif
			k = 0;
			do
			:: k < n -> store(p, SLOT(p, ptail + k), MSG(gen[p], ptail + k + 1)); k++
			:: else -> break
			od;
			k = 0;
			ptail = ptail + n
		}
#ifndef NO_RELEASE
		/* commit: store-release of tail. TSO keeps it behind the slot
		 * stores (FIFO buffer). Pairs with the consumer's load-acquire
		 * of tail. INV-RING-05, INV-RING-09.
		 */
		atomic { store(p, TAIL(p), ptail); psent = psent + n; n = 0 }
#else
		n = 0;
#endif

		/* Publisher half of the Dekker pair. RINGMPSC_IOC_WAKE only
		 * when the flag is set (INV-WAKE-04).
		 */
		atomic {
#if !(NO_PUBLISHER_BARRIER & C_SLEEPS)
#ifdef ASYM
			/* INV-WAKE-02: registered, a compiler barrier only (the
			 * consumer's membarrier() runs the full barrier here);
			 * else its own full barrier.
			 */
			REG(p) || MFENCE(p);
#else
			MFENCE(p);      /* INV-WAKE-02: tail visible before the flag load */
#endif
#endif
			load(p, CFLAG(p), v);
			if
			:: v && cpresent -> d_step { cefd = 1 }         /* @reach:pwakes */
			:: else
			fi;
			v = 0
		}
	od;
	atomic { pkillable[p] = 0; pdone[p] = 1 };
	if
	:: skip         /* the process exits: detach below */
	:: true ->      /* or it stays attached, idle, so that its exit cannot
			 * hide a lost wakeup (the detach signals the consumer) */
end_idle:	false
	fi
	} unless {
		atomic { kill[p] -> kill[p] = 0; pkillable[p] = 0; p_asleep[p] = 0 }
	};

	/* Exit, or death at any step: everything committed stays. */
	producer_detach(p);
	n = 0; k = 0; v = 0;
#ifdef ASYM
	mbq = 0; q = 0; unarmed = 0;
#endif
	if
	:: psent < BUDGET(p) -> goto attach  /* a new producer takes the ring */
	:: else
	fi
}

/* ---- the consumer ------------------------------------------------------ */

/* Deliver the message at index chead[r]: INV-RING-03/-07/-08/-09. */
inline deliver(r, v)
{
	/* The whole message committed at this index in this generation:
	 * FIFO per producer (INV-RING-07), never partial or uncommitted
	 * (INV-RING-09), never of another generation (INV-LIFE-03).
	 */
	assert(v == MSG(cgen[r], chead[r] + 1));
	if
	:: chead[r] == gdel[r] -> gdel[r]++     /* first delivery */
	:: else ->
		/* Delivered before: only what a dead consumer had peeked and
		 * not released (INV-RING-08 at-least-once, INV-LIFE-05).
		 */
		assert(chead[r] < rd_hi[r])             /* @reach:redeliver */
	fi
}

/* (3) of the sleeping half, consumer_has_work: ring_epoch, every tail.
 * (One step: each ring's Dekker pair is separate, so the loads need not
 * be spread out.) Sleep if there is none.
 */
inline c_recheck()
{
#if !(NO_RECHECK & C_SLEEPS)
	work = (cepoch != repoch);
	do
	:: r < NP && clive[r] ->
		load(CONS, TAIL(r), t);
		work = work || t != chead[r] || cdet[r];
		r++
	:: r < NP && !clive[r] -> r++
	:: r == NP -> break
	od;
	t = 0;
	r = 0;
#endif
	c_asleep = !work;
	work = 0
}

active proctype consumer()
{
	byte chead[NP];         /* its private head (INV-RING-10) */
	byte ctail[NP];         /* cached_tail (INV-RING-11) */
	byte cgen[NP];          /* generation it is reading */
	bool clive[NP];         /* ring carries a producer's messages */
	bool cdet[NP];          /* ring seen DETACHED */
	byte cepoch;            /* ring_epoch acted on */
	byte r, t, v;
	bool work;
#ifdef ASYM
	byte mbq, q;            /* membarrier(): buffers still to drain, the next */
	bool unarmed;           /* membarrier() failed: sleep in slices */
#endif

attach:
	/* RINGMPSC_IOC_ATTACH as consumer: continue from the shared head.
	 * INV-LIFE-05, INV-LIFE-06.
	 */
	atomic {
		assert(!cpresent);
		cpresent = 1;
		cefd = 0;
		r = 0;
		do
		:: r < NP ->
			chead[r] = mem[HEAD(r)];
			ctail[r] = chead[r];
			cgen[r] = gen[r];
			clive[r] = 0;
			cdet[r] = 0;
			rd_hi[r] = gdel[r];
			r++
		:: else -> break
		od;
		r = 0;
#if defined(WAITC) && !defined(NO_ATTACH_WAKE)
		/* INV-STREAM-04: after consumer_state, every attached
		 * producer's eventfd: one waiting for a consumer has no flag
		 * for the consumer to see.
		 */
		do
		:: r < NP ->
			if
			:: state[r] == ACTIVE && p_asleep[r] ->
				d_step { pefd[r] = 1 }          /* @reach:arrival */
			:: state[r] == ACTIVE && !p_asleep[r] -> pefd[r] = 1
			:: else
			fi;
			r++
		:: else -> break
		od;
		r = 0;
#endif
		cepoch = repoch - 1;            /* force a refresh */
		ckillable = 1
	}

	{
	do
	:: atomic {
		/* ringmpsc__refresh_if_changed: kernel-written states. */
		if
		:: cepoch != repoch ->
			cepoch = repoch;
			r = 0;
			do
			:: r < NP ->
				if
				:: gen[r] != cgen[r] ->
					/* recycled: resynchronise. INV-LIFE-03 */
					cgen[r] = gen[r];
					chead[r] = 0;
					ctail[r] = 0
				:: else
				fi;
				clive[r] = (state[r] == ACTIVE || state[r] == DETACHED);
				cdet[r] = (state[r] == DETACHED);
				r++
			:: else -> break
			od
		:: else
		fi;
		work = 0;
		r = 0
	   }
		do
		:: r == NP -> break
		:: r < NP && !clive[r] -> r++
		:: r < NP && clive[r] ->
#ifdef NO_ACQUIRE
			/* Negative: a slot load hoisted above the tail load. */
			v = mem[SLOT(r, chead[r])];
#endif
			atomic {
				if
				:: ctail[r] == chead[r] ->
					/* load-acquire of tail, once per batch;
					 * pairs with the producer's store-release.
					 * INV-RING-05, INV-RING-10.
					 */
					load(CONS, TAIL(r), t);
					assert(t >= chead[r] && t - chead[r] <= CAP);   /* INV-RING-10 */
					ctail[r] = t;
					t = 0
				:: else
				fi
			}
			if
			:: ctail[r] != chead[r] ->
#ifdef NO_CONS_RELEASE
				/* Negative: head published before the slot reads. */
				store(CONS, HEAD(r), ctail[r]);
#endif
				/* One message per step: a crash can land mid-batch. */
				do
				:: chead[r] != ctail[r] ->
					atomic {
#ifndef NO_ACQUIRE
						v = mem[SLOT(r, chead[r])];
#endif
						deliver(r, v);
						chead[r]++;
#ifdef NO_ACQUIRE
						v = mem[SLOT(r, chead[r])]
#else
						v = 0
#endif
					}
				:: else -> break
				od;
				v = 0;
#ifndef NO_CONS_RELEASE
				/* ringmpsc__publish_head: store-release of head; the
				 * slot reads above come first (TSO never moves a
				 * load below a later store). Pairs with the
				 * producer's load-acquire of head. INV-RING-05.
				 */
				store(CONS, HEAD(r), chead[r]);
#endif
				/* Publisher half of the Dekker pair for a producer
				 * sleeping on a full ring; RINGMPSC_IOC_WAKE only when
				 * its flag is set (INV-WAKE-04).
				 */
				atomic {
#if !(NO_PUBLISHER_BARRIER & P_SLEEPS)
#ifdef ASYM
					/* INV-WAKE-02: registered, a compiler barrier
					 * only (the producer's membarrier() runs the
					 * full barrier here); else its own.
					 */
					REG(CONS) || MFENCE(CONS);
#else
					MFENCE(CONS);   /* INV-WAKE-02: head visible before the flag load */
#endif
#endif
					load(CONS, PFLAG(r), v);
					if
					:: v -> d_step { pefd[r] = 1 }  /* @reach:cwakes */
					:: else
					fi;
					v = 0;
					work = 1
				}
			:: else ->
				if
				:: cdet[r] ->
					/* Drained: the state was read before this tail,
					 * so the tail was final. RINGMPSC_IOC_RECYCLE;
					 * the ioctl's lock drains our stores.
					 */
					atomic {
						MFENCE(CONS);
						if
						:: state[r] == DETACHED && gen[r] == cgen[r] &&
						   mem[HEAD(r)] == mem[TAIL(r)] ->
							d_step { recycle(r) }   /* @reach:recycle */
						:: else
						fi;
						work = 1
					}
				:: else
				fi
			fi;
			r++
		od;

		if
		:: work -> work = 0
		:: else ->
			/* ringmpsc_wait: the sleeping half. */
			atomic {                                        /* (1) */
				cefd = 0;       /* (0) drain the eventfd */
				r = 0;
				do
				:: r < NP && clive[r] -> store(CONS, CFLAG(r), 1); r++
				:: r < NP && !clive[r] -> r++
				:: r == NP -> break
				od;
				r = 0;
#ifdef ASYM
				mb_call(REG_OTHERS(CONS), C_SLEEPS)      /* (2b) */
#endif
			}
#ifndef ASYM
			atomic {
#if !(NO_SLEEPER_BARRIER & C_SLEEPS)
				MFENCE(CONS);   /* (2) INV-WAKE-01: the flags are visible before the re-check */
#endif
				c_recheck()                             /* (3) */
			}
#else
			/* ringmpsc__sleeper_barrier: (2) its own full barrier
			 * (INV-WAKE-01) before each step; (2b) membarrier(): one
			 * drain per registered process (INV-WAKE-02); then (3).
			 */
			do
			:: atomic {
				C_FENCED && mbq != 0 ->
				mb_next(mbq, q);
				if
				:: sb[q].n > 0 ->
					d_step {        /* @reach:cdrain */
						assert(REG(q) && q != CONS);
						drain_all(q, t, v);
						q = 0
					}
				:: else -> q = 0
				fi
			   }
			:: atomic { C_FENCED && mbq == 0 -> c_recheck() };      /* (3) */
				break
			od;
#endif
			if
			:: c_asleep ->
end_csleep:			if
				:: atomic { cefd -> cefd = 0; c_asleep = 0 }   /* (4) @reach:csleep */
#if defined(MB_FAIL) && !(NO_SLICE & C_SLEEPS)
				/* (4b) INV-WAKE-06: unarmed, the sleep ends after a
				 * slice (1 ms), signalled or not; then arm again.
				 */
				:: atomic { unarmed -> d_step { c_asleep = 0 } }        /* @reach:cslice */
#endif
				fi
			:: else
			fi;
			atomic {                                        /* (5) */
				do
				:: r < NP && clive[r] -> store(CONS, CFLAG(r), 0); r++
				:: r < NP && !clive[r] -> r++
				:: r == NP -> break
				od;
				r = 0;
#ifdef ASYM
				unarmed = 0
#endif
			}
		fi
	od
	} unless {
		atomic { ckill -> ckill = 0; ckillable = 0; c_asleep = 0 }
	};

	/* Consumer death: its stores drain on the kill path; the module marks
	 * it absent and signals every producer. INV-LIFE-05, INV-WAKE-05.
	 */
	atomic {
		MFENCE(CONS);                   /* @reach:cdeath */
		cpresent = 0;
		r = 0;
		do
		:: r < NP ->
			if
			:: state[r] == ACTIVE -> pefd[r] = 1
			:: else
			fi;
			r++
		:: else -> break
		od;
		r = 0; t = 0; v = 0; work = 0;
#ifdef ASYM
		mbq = 0; q = 0; unarmed = 0
#endif
	}
	goto attach     /* a new consumer */
}

/* ---- faults: kill -9 at any step, a bounded number of times ----------- */

/* One fault injector for all: it may stop injecting at any time, so runs
 * without a fault are fair runs too (weak fairness cannot force a kill).
 */
active proctype killer()
{
	byte pk, ck;
	do
	:: atomic { pk < PCRASH && pkillable[0] -> kill[0] = 1; pkillable[0] = 0; pk++ }
#if NP > 1
	:: atomic { pk < PCRASH && pkillable[1] -> kill[1] = 1; pkillable[1] = 0; pk++ }
#endif
#if NP > 2
	:: atomic { pk < PCRASH && pkillable[2] -> kill[2] = 1; pkillable[2] = 0; pk++ }
#endif
	:: atomic { ck < CCRASH && ckillable -> ckill = 1; ckillable = 0; ck++ }
	:: break
	od
}

/* ---- quiescence: a deadlock or a lost wakeup is a safety error -------- */

#if NP == 1
#define ALL(e) (e(0))
#define ANY(e) (e(0))
#elif NP == 2
#define ALL(e) (e(0) && e(1))
#define ANY(e) (e(0) || e(1))
#else
#define ALL(e) (e(0) && e(1) && e(2))
#define ANY(e) (e(0) || e(1) || e(2))
#endif
/* Producer r sent everything; its ring is drained and, if it left,
 * recycled.
 */
#define DONE(r)     (pdone[r] && state[r] != DETACHED && mem[TAIL(r)] == mem[HEAD(r)])
/* Work for a sleeping consumer in ring r: a new tail, a detach to act on
 * (a sleeper's own index stores are visible: its barrier drained them).
 */
#define CWORK(r)    (mem[TAIL(r)] != mem[HEAD(r)] || state[r] == DETACHED)
/* Room for a sleeping producer (and, with WAITC, a consumer). */
#ifdef WAITC
#define PWORK(r)    (mem[TAIL(r)] - mem[HEAD(r)] < CAP && cpresent)
#else
#define PWORK(r)    (mem[TAIL(r)] - mem[HEAD(r)] < CAP)
#endif
#define PSTUCK(r)   (p_asleep[r] && PWORK(r))
#define PENDING(r)  (gdel[r] < mem[TAIL(r)])
#define QUIET       (ALL(DONE) && c_asleep)

/* When nothing at all can move, the system must be done: every producer
 * sent everything, every ring is drained (and recycled if its producer
 * left), the consumer sleeps. With bounded work a lost wakeup
 * (INV-WAKE-03) always ends in such a stuck state with a sleeper that has
 * work, so the exhaustive safety run finds it; the LTL runs add livelocks.
 */
active proctype monitor()
{
	timeout;
	assert(!(c_asleep && ANY(CWORK)));      /* INV-WAKE-03, consumer */
	assert(!ANY(PSTUCK));                   /* INV-WAKE-03, producer */
	assert(QUIET)                           /* INV-LIFE-02/-04: all drained */
}

/* ---- liveness, run with pan -a -f (weak fairness) -------------------- */
#ifdef LIVENESS
/* No lost wakeup, INV-WAKE-03: a consumer asleep while a ring has work for
 * it (wakec), or a producer asleep while its ring has room (wakep), is
 * eventually woken; with WAITC, a producer asleep while its ring has room
 * and a consumer is attached: one waiting for a consumer is woken when
 * one attaches (INV-STREAM-04). RingMPSC.tla: WakeConsumer, WakeProducer.
 */
#define WAKE_P(r) ([] (PSTUCK(r) -> <> !p_asleep[r]))
ltl wakec { [] ((c_asleep && ANY(CWORK)) -> <> !c_asleep) }
ltl wakep { ALL(WAKE_P) }
/* Every committed message is eventually delivered; a consumer is always
 * attached again here. INV-RING-08, INV-LIFE-04, INV-LIFE-05.
 * RingMPSC.tla: Delivered.
 */
#define DELIV(r) ([] (PENDING(r) -> <> !PENDING(r)))
ltl delivered { ALL(DELIV) }
/* Everything ends well, again and again: all sent, drained, recycled, the
 * consumer asleep; no livelock. INV-LIFE-02. RingMPSC.tla: Quiesce.
 * Infinitely often rather than for ever: a consumer whose membarrier()
 * fails (MB_FAIL) wakes from every slice, and a consumer death after
 * quiescence leaves QUIET for a while.
 */
ltl quiesce { [] <> QUIET }
#endif
