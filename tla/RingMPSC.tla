\* SPDX-License-Identifier: GPL-2.0 OR MIT
------------------------------ MODULE RingMPSC ------------------------------
(***************************************************************************)
(* The ringmpsc protocol (spec.md sections 2-4): one SPSC ring per         *)
(* producer, one consumer, the NEED_WAKEUP handshake in both directions,   *)
(* and the lifecycle: producer and consumer deaths at any step, DETACHED   *)
(* rings drained and recycled with a new generation, new producers and    *)
(* consumers attaching. tla/ringmpsc.pml is the same model in Promela,     *)
(* step for step; TLC checks this one and spin that one, on the same       *)
(* bounds, and tla/check.sh compares what the two reach (tla/README.md).   *)
(*                                                                         *)
(* Memory model: x86-TSO. Each user process (producers 0..NP-1, the        *)
(* consumer C = NP) owns a FIFO store buffer sb[me], unbounded. Its        *)
(* stores - slots, indices, flags - are appended there; Flush(me) moves    *)
(* the oldest to mem at any time; a load sees the youngest own buffered    *)
(* store to the word, else mem; a full barrier is "sb[me] = << >>". The    *)
(* one reordering TSO allows, a load passing an earlier store, is what the *)
(* Dekker pair of NEED_WAKEUP guards (INV-WAKE-01/02). TSO keeps           *)
(* store-store and load-load/store order, which is all release/acquire ask *)
(* of x86 (INV-RING-05). The module acts in single steps: it runs under    *)
(* the channel lock, and an x86 lock is a full barrier; the words it       *)
(* writes (ring state, generation, ring_epoch, consumer presence) and      *)
(* eventfd counters are plain, sequentially consistent variables.          *)
(*                                                                         *)
(* The publisher's half of each Dekker pair (INV-WAKE-02) has two modes.   *)
(* ASYM = FALSE: every publisher runs a full barrier between its index     *)
(* store and its flag load (the library's fallback). ASYM = TRUE: a        *)
(* process in REG (registered for MEMBARRIER_CMD_GLOBAL_EXPEDITED)         *)
(* publishes with a compiler barrier only; the sleeper, after its own full *)
(* barrier, calls membarrier(), which runs a full barrier on the CPU of    *)
(* every other registered process: one step per such process, in any      *)
(* order, others running between them, all before the re-check. With      *)
(* MBFAIL the call may fail; the sleeper then sleeps in bounded slices     *)
(* (INV-WAKE-06): a time-out step is enabled while it sleeps.              *)
(*                                                                         *)
(* A producer waits for room as ringmpsc_wait_space does (WAITC = FALSE):  *)
(* on a full ring, while a consumer is attached (without one the call      *)
(* fails, -EPIPE, and the application retries once one is attached).      *)
(* WAITC = TRUE: as an event loop with RINGMPSC_WAIT_CONSUMER, it waits    *)
(* for room and a consumer through its eventfd; its re-check loads         *)
(* consumer_state too, and a consumer's attach signals every producer      *)
(* after publishing it (INV-STREAM-04).                                    *)
(*                                                                         *)
(* NEG names protections to remove, each a negative check that TLC must    *)
(* reject (spin's -DNO_* switches; suffix _C: the consumer is the sleeper, *)
(* _P: a producer is). The positive checks set NEG = {}.                   *)
(***************************************************************************)
EXTENDS Naturals, Integers, Sequences, TLC

CONSTANTS
    NP,       \* producers; producer p owns ring p
    CAP,      \* slots per ring
    MSGS,     \* messages producer 0 commits over all its lives
    MSGS1,    \* the same for producers 1..NP-1
    BATCH,    \* largest reservation
    PCRASH,   \* producer deaths in a behaviour
    CCRASH,   \* consumer deaths in a behaviour
    ASYM,     \* the asymmetric barrier (membarrier); FALSE: all fence
    REG,      \* with ASYM: the registered processes (store buffers 0 .. NP)
    MBFAIL,   \* with ASYM: membarrier() may fail (INV-WAKE-06)
    WAITC,    \* producers wait for room and a consumer (INV-STREAM-04)
    NEG       \* negative checks: the protections removed (see Off)

Switches == {"NO_SLEEPER_BARRIER_C", "NO_SLEEPER_BARRIER_P",    \* INV-WAKE-01
             "NO_PUBLISHER_BARRIER_C", "NO_PUBLISHER_BARRIER_P", \* INV-WAKE-02
             "NO_MEMBARRIER_C", "NO_MEMBARRIER_P",              \* INV-WAKE-02
             "NO_RECHECK_C", "NO_RECHECK_P",                    \* INV-WAKE-03
             "NO_DETACH_WAKE",                                  \* INV-WAKE-05
             "NO_ATTACH_WAKE", "NO_PRESENCE_RECHECK",           \* INV-STREAM-04
             "NO_SLICE_C", "NO_SLICE_P",                        \* INV-WAKE-06
             "NO_RELEASE", "NO_ACQUIRE", "NO_CONS_RELEASE"}     \* INV-RING-05

ASSUME /\ NP \in Nat \ {0}
       /\ CAP \in Nat \ {0}
       /\ MSGS \in Nat /\ MSGS1 \in Nat
       /\ BATCH \in 1 .. CAP
       /\ PCRASH \in Nat /\ CCRASH \in Nat
       /\ ASYM \in BOOLEAN /\ MBFAIL \in BOOLEAN /\ WAITC \in BOOLEAN
       /\ REG \subseteq 0 .. NP
       /\ NEG \subseteq Switches

Off(sw) == sw \in NEG

Rings == 0 .. NP - 1
C     == NP                  \* the consumer's store buffer
Procs == 0 .. NP

\* Shared memory, one word per address as in the Promela model: per ring,
\* the PROD page (tail, producer NEED_WAKEUP), the CONS page (head,
\* consumer NEED_WAKEUP), the DATA slots (index i in slot i % CAP).
RW == 4 + CAP                \* words per ring
Addr == 0 .. NP * RW - 1
TailA(r)  == r * RW          \* written by the producer
PFlagA(r) == r * RW + 1      \* producer NEED_WAKEUP
HeadA(r)  == r * RW + 2      \* written by the consumer
CFlagA(r) == r * RW + 3      \* consumer NEED_WAKEUP
SlotA(r, i) == r * RW + 4 + (i % CAP)
RingOf(a) == a \div RW
IsSlot(a) == a % RW >= 4
IsFlag(a) == a % RW \in {1, 3}

\* A message: generation and sequence (sequence i+1 at index i); a zeroed
\* slot holds NoMsg.
Msg(g, s) == <<g, s>>
NoMsg == <<0, 0>>
Zero(a) == IF IsSlot(a) THEN NoMsg ELSE 0

\* enum ringmpsc_ring_state
FREE     == 1
ACTIVE   == 2
DETACHED == 3

Budget(p) == IF p = 0 THEN MSGS ELSE MSGS1
Min(a, b) == IF a < b THEN a ELSE b
Max(a, b) == IF a > b THEN a ELSE b

VARIABLES
    mem, sb,                                  \* memory, store buffers
    state, gen, repoch, cpresent, cefd, pefd,  \* kernel-owned
    ppc, ptail, pcache, psent, pn,            \* producers
    cpc, cr, chead, ctail, cgen, clive, cdet, cepoch, work, rv,  \* consumer
    pmb, punarmed, cmb, cunarmed,             \* the sleepers' membarrier()
    pdone, pasleep, casleep, pkills, ckills, gdel, rd_hi         \* ghosts

kvars == <<state, gen, repoch, cpresent, cefd, pefd>>
pvars == <<ppc, ptail, pcache, psent, pn>>
cvars == <<cpc, cr, chead, ctail, cgen, clive, cdet, cepoch, work, rv>>
mbvars == <<pmb, punarmed, cmb, cunarmed>>
gvars == <<pdone, pasleep, casleep, pkills, ckills, gdel, rd_hi>>
vars  == <<mem, sb, kvars, pvars, cvars, mbvars, gvars>>

-----------------------------------------------------------------------------
(* The store-buffer machine *)

Store(me, a, v) == sb' = [sb EXCEPT ![me] = Append(@, [a |-> a, v |-> v])]
StoreAll(me, es) == sb' = [sb EXCEPT ![me] = @ \o es]

Load(me, a) ==
    LET hits == SelectSeq(sb[me], LAMBDA e : e.a = a)
    IN  IF hits = << >> THEN mem[a] ELSE hits[Len(hits)].v

Fenced(me) == sb[me] = << >>          \* a full barrier has completed

Flush(me) ==
    /\ sb[me] # << >>
    /\ mem' = [mem EXCEPT ![Head(sb[me]).a] = Head(sb[me]).v]
    /\ sb' = [sb EXCEPT ![me] = Tail(@)]
    /\ UNCHANGED <<kvars, pvars, cvars, mbvars, gvars>>

\* The publisher's barrier, INV-WAKE-02: a registered process (ASYM) has a
\* compiler barrier only, the sleeper's membarrier() runs the full one on
\* its CPU; any other runs its own full barrier.
PubFenced(me) == (ASYM /\ me \in REG) \/ Fenced(me)

\* membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), one target q: q runs a full
\* barrier on its CPU (or ran one when switched out), so its whole store
\* buffer reaches memory, in FIFO order: every word takes the youngest
\* buffered value. INV-WAKE-02.
Drain(q) ==
    /\ mem' = [a \in Addr |-> Load(q, a)]
    /\ sb' = [sb EXCEPT ![q] = << >>]

\* The buffers a sleeper's membarrier() drains: every other registered
\* process (none when the negative switch sw removes the call). Its
\* outcomes: TRUE it returned 0, FALSE it failed (MBFAIL).
MbTargets(me, sw) == IF ASYM /\ ~Off(sw) THEN REG \ {me} ELSE {}
MbOutcome == IF ASYM /\ MBFAIL THEN BOOLEAN ELSE {TRUE}

-----------------------------------------------------------------------------
(* The module *)

ZeroRing(m, r) == [a \in Addr |-> IF RingOf(a) = r THEN Zero(a) ELSE m[a]]
Drained(r) == mem[HeadA(r)] = mem[TailA(r)]

\* DETACHED -> FREE, generation + 1, pages zeroed (INV-LIFE-01/-02). The
\* caller sets state' and repoch'.
RecycleVars(r) ==
    /\ mem' = ZeroRing(mem, r)
    /\ gen' = [gen EXCEPT ![r] = @ + 1]
    /\ gdel' = [gdel EXCEPT ![r] = 0]
    /\ rd_hi' = [rd_hi EXCEPT ![r] = 0]

\* A producer's attach or detach signals the consumer (INV-WAKE-05).
SignalConsumer == cefd' = (cefd \/ (cpresent /\ ~Off("NO_DETACH_WAKE")))

-----------------------------------------------------------------------------
(* Producer p *)

Room(p) == CAP - (ptail[p] - pcache[p])
Go(p, l) == ppc' = [ppc EXCEPT ![p] = l]
PBody == {"reserve", "room", "arm", "recheck", "sleep", "clear", "write", "commit", "wake"}

\* RINGMPSC_IOC_ATTACH: ring p becomes ACTIVE, the producer starts where
\* the ring is. The attach signals the consumer, which has no flag in a
\* ring it has not seen (INV-WAKE-05).
Attach(p) ==
    /\ ppc[p] = "attach"
    /\ state' = [state EXCEPT ![p] = ACTIVE]
    /\ pefd' = [pefd EXCEPT ![p] = FALSE]          \* a new eventfd
    /\ SignalConsumer
    /\ ptail' = [ptail EXCEPT ![p] = mem'[TailA(p)]]
    /\ pcache' = [pcache EXCEPT ![p] = mem'[HeadA(p)]]
    /\ Go(p, "reserve")
    /\ UNCHANGED <<sb, cpresent, psent, pn, cvars, mbvars, pdone, pasleep, casleep, pkills, ckills>>

\* ... of a FREE ring,
PAttach(p) ==
    /\ state[p] = FREE
    /\ repoch' = repoch + 1
    /\ UNCHANGED <<mem, gen, gdel, rd_hi>>
    /\ Attach(p)

\* ... or of a drained DETACHED one while no consumer is attached, which
\* the module recycles first (INV-LIFE-02).
PAttachRecycle(p) ==
    /\ state[p] = DETACHED /\ ~cpresent /\ Drained(p)
    /\ RecycleVars(p)
    /\ repoch' = repoch + 2
    /\ Attach(p)

\* reserve(n): the cached head is refreshed only when it shows too little
\* room (INV-RING-11), by a load-acquire of head that pairs with the
\* consumer's store-release (INV-RING-05).
PReserve(p) ==
    /\ ppc[p] = "reserve"
    /\ psent[p] < Budget(p)
    /\ \E n \in 1 .. Min(BATCH, Budget(p) - psent[p]) :
          /\ pn' = [pn EXCEPT ![p] = n]
          /\ pcache' = [pcache EXCEPT ![p] =
                          IF Room(p) < n THEN Load(p, HeadA(p)) ELSE @]
    /\ Go(p, "room")
    /\ UNCHANGED <<mem, sb, kvars, ptail, psent, cvars, mbvars, gvars>>

PSentAll(p) ==
    /\ ppc[p] = "reserve"
    /\ psent[p] = Budget(p)
    /\ pdone' = [pdone EXCEPT ![p] = TRUE]
    /\ \E l \in {"exit", "idle"} : Go(p, l)  \* exits, or stays attached idle
    /\ UNCHANGED <<mem, sb, kvars, ptail, pcache, psent, pn, cvars,
                   mbvars, pasleep, casleep, pkills, ckills, gdel, rd_hi>>

\* Is the wait over? Room, and with WAITC a consumer too.
PReady(p) == Room(p) > 0 /\ (~WAITC \/ cpresent)

PHasRoom(p) ==
    /\ ppc[p] = "room"
    /\ PReady(p)
    /\ Go(p, "write")
    /\ UNCHANGED <<mem, sb, kvars, ptail, pcache, psent, pn, cvars, mbvars, gvars>>

\* ringmpsc_wait_space, the sleeping half (and the producer's
\* wait_prepare in an event loop). Without a consumer the call fails
\* (-EPIPE) and the application retries once one is attached; with WAITC
\* the producer sleeps until one is. (0) the eventfd is drained before
\* the flag store: a signal sent before it is dropped, so the re-check
\* must see whatever that signal announced. With ASYM the outcome of
\* membarrier() (2b) is chosen here: nothing observes it before the call.
PArm(p) ==
    /\ ppc[p] = "room"
    /\ ~PReady(p)
    /\ WAITC \/ cpresent
    /\ Go(p, "arm")
    /\ UNCHANGED <<mem, sb, kvars, ptail, pcache, psent, pn, cvars, mbvars, gvars>>

\* The consumer may leave between that check and the drain: its signal
\* is then drained, and the sleep ends when the next consumer publishes.
PSetFlag(p) ==
    /\ ppc[p] = "arm"
    /\ pefd' = [pefd EXCEPT ![p] = FALSE]                      \* (0)
    /\ Store(p, PFlagA(p), 1)                                  \* (1)
    /\ \E ok \in MbOutcome :
          /\ pmb' = [pmb EXCEPT ![p] = IF ok THEN MbTargets(p, "NO_MEMBARRIER_P") ELSE {}]
          /\ punarmed' = [punarmed EXCEPT ![p] = ~ok]
    /\ Go(p, "recheck")
    /\ UNCHANGED <<mem, state, gen, repoch, cpresent, cefd, ptail, pcache, psent,
                   pn, cvars, cmb, cunarmed, gvars>>

\* (2) INV-WAKE-01: the sleeper's full barrier, before any remote barrier
\* (its flag is in memory first) and before the re-check.
PSleeperFenced(p) == Off("NO_SLEEPER_BARRIER_P") \/ Fenced(p)

\* ASYM: (2b) membarrier(), one registered target q at a time (INV-WAKE-02):
\* q's buffer is drained,
PDrain(p, q) ==
    /\ ppc[p] = "recheck" /\ PSleeperFenced(p)
    /\ q \in pmb[p] /\ sb[q] # << >>
    /\ Drain(q)
    /\ pmb' = [pmb EXCEPT ![p] = @ \ {q}]
    /\ UNCHANGED <<kvars, pvars, cvars, punarmed, cmb, cunarmed, gvars>>

\* ... or was already empty.
PMembarrier(p, q) ==
    /\ ppc[p] = "recheck" /\ PSleeperFenced(p)
    /\ q \in pmb[p] /\ sb[q] = << >>
    /\ pmb' = [pmb EXCEPT ![p] = @ \ {q}]
    /\ UNCHANGED <<mem, sb, kvars, pvars, cvars, punarmed, cmb, cunarmed, gvars>>

PRecheck(p) ==
    /\ ppc[p] = "recheck"
    /\ PSleeperFenced(p)    \* (2) INV-WAKE-01
    /\ pmb[p] = {}          \* (2b) ASYM: membarrier() has returned (INV-WAKE-02)
    /\ LET h == IF Off("NO_RECHECK_P") THEN pcache[p]
                ELSE Load(p, HeadA(p))                          \* (3)
           \* NO_PRESENCE_RECHECK: presence as seen before arming (absent,
           \* if there was room then), not loaded again.
           present == IF Off("NO_PRESENCE_RECHECK") THEN Room(p) = 0 /\ cpresent
                      ELSE cpresent
           wait == ~(CAP - (ptail[p] - h) > 0 /\ (~WAITC \/ present))
       IN  /\ pcache' = [pcache EXCEPT ![p] = h]
           /\ pasleep' = [pasleep EXCEPT ![p] = wait]
           /\ Go(p, IF wait THEN "sleep" ELSE "clear")
    /\ UNCHANGED <<mem, sb, kvars, ptail, psent, pn, cvars,
                   mbvars, pdone, casleep, pkills, ckills, gdel, rd_hi>>

PSleep(p) ==                                                   \* (4)
    /\ ppc[p] = "sleep"
    /\ pefd[p]
    /\ pefd' = [pefd EXCEPT ![p] = FALSE]
    /\ pasleep' = [pasleep EXCEPT ![p] = FALSE]
    /\ Go(p, "clear")
    /\ UNCHANGED <<mem, sb, state, gen, repoch, cpresent, cefd, ptail, pcache,
                   psent, pn, cvars, mbvars, pdone, casleep, pkills, ckills, gdel, rd_hi>>

\* (4b) ASYM, membarrier() failed: the sleep ends after a slice (1 ms),
\* signalled or not. INV-WAKE-06.
PSlice(p) ==
    /\ ppc[p] = "sleep"
    /\ punarmed[p] /\ ~Off("NO_SLICE_P")
    /\ pasleep' = [pasleep EXCEPT ![p] = FALSE]
    /\ Go(p, "clear")
    /\ UNCHANGED <<mem, sb, kvars, ptail, pcache, psent, pn, cvars, mbvars,
                   pdone, casleep, pkills, ckills, gdel, rd_hi>>

PClear(p) ==
    /\ ppc[p] = "clear"
    /\ Store(p, PFlagA(p), 0)                                   \* (5)
    /\ pcache' = [pcache EXCEPT ![p] = Load(p, HeadA(p))]       \* retry
    /\ punarmed' = [punarmed EXCEPT ![p] = FALSE]
    /\ Go(p, "room")
    /\ UNCHANGED <<mem, kvars, ptail, psent, pn, cvars, pmb, cmb, cunarmed, gvars>>

\* Write the reservation (what fits); the stores only enter the buffer.
\* NO_RELEASE (negative): tail is stored before the slots, no commit step.
PWrite(p) ==
    /\ ppc[p] = "write"
    /\ LET n == Min(pn[p], Room(p))
           slots == [k \in 1 .. n |->
                       [a |-> SlotA(p, ptail[p] + k - 1),
                        v |-> Msg(gen[p], ptail[p] + k)]]
           early == Off("NO_RELEASE")
       IN  /\ StoreAll(p, IF early THEN << [a |-> TailA(p), v |-> ptail[p] + n] >> \o slots
                                   ELSE slots)
           /\ pn' = [pn EXCEPT ![p] = IF early THEN 0 ELSE n]
           /\ psent' = [psent EXCEPT ![p] = IF early THEN @ + n ELSE @]
           /\ ptail' = [ptail EXCEPT ![p] = @ + n]
           /\ Go(p, IF early THEN "wake" ELSE "commit")
    /\ UNCHANGED <<mem, kvars, pcache, cvars, mbvars, gvars>>

\* commit: store-release of tail; the FIFO buffer keeps it behind the slot
\* stores. Pairs with the consumer's load-acquire. INV-RING-05, INV-RING-09.
PCommit(p) ==
    /\ ppc[p] = "commit"
    /\ Store(p, TailA(p), ptail[p])
    /\ psent' = [psent EXCEPT ![p] = @ + pn[p]]
    /\ pn' = [pn EXCEPT ![p] = 0]
    /\ Go(p, "wake")
    /\ UNCHANGED <<mem, kvars, ptail, pcache, cvars, mbvars, gvars>>

\* Publisher half of the Dekker pair: barrier, load the consumer's flag.
PPublish(p) ==
    /\ ppc[p] = "wake"
    /\ Off("NO_PUBLISHER_BARRIER_C") \/ PubFenced(p)  \* INV-WAKE-02: tail visible first
    /\ Go(p, "reserve")
    /\ UNCHANGED <<mem, sb, state, gen, repoch, cpresent, pefd, ptail, pcache,
                   psent, pn, cvars, mbvars, gvars>>

PFlagSeen(p) == Load(p, CFlagA(p)) = 1 /\ cpresent

\* The flag is clear: no system call (INV-WAKE-04) ...
PWakeCheck(p) == PPublish(p) /\ ~PFlagSeen(p) /\ UNCHANGED cefd

\* ... or set: RINGMPSC_IOC_WAKE signals the consumer.
PWakeCall(p) == PPublish(p) /\ PFlagSeen(p) /\ cefd' = TRUE

\* Exit, or the kill path: the dying CPU's stores drain (the exit path
\* takes locks) before the module marks the ring DETACHED and signals the
\* consumer. INV-LIFE-04, INV-WAKE-05.
Detach(p) ==
    /\ ppc[p] = "exit"
    /\ Fenced(p)
    /\ state' = [state EXCEPT ![p] = DETACHED]
    /\ repoch' = repoch + 1
    /\ SignalConsumer
    /\ UNCHANGED <<mem, sb, gen, cpresent, pefd, ptail, pcache, psent, pn,
                   cvars, mbvars, pasleep, casleep, pkills, ckills, gdel, rd_hi>>

\* Everything sent: the process is gone for good ...
PExit(p) ==
    /\ Detach(p)
    /\ psent[p] = Budget(p)
    /\ pdone' = [pdone EXCEPT ![p] = TRUE]
    /\ Go(p, "gone")

\* ... else it died, and a new producer process with the messages it had
\* not committed attaches to the recycled ring.
PDetach(p) ==
    /\ Detach(p)
    /\ psent[p] < Budget(p)
    /\ Go(p, "attach")
    /\ UNCHANGED pdone

\* kill -9 at any step of the body.
PKill(p) ==
    /\ ppc[p] \in PBody
    /\ pkills < PCRASH
    /\ pkills' = pkills + 1
    /\ pasleep' = [pasleep EXCEPT ![p] = FALSE]
    /\ pn' = [pn EXCEPT ![p] = 0]
    /\ pmb' = [pmb EXCEPT ![p] = {}]
    /\ punarmed' = [punarmed EXCEPT ![p] = FALSE]
    /\ Go(p, "exit")
    /\ UNCHANGED <<mem, sb, kvars, ptail, pcache, psent, cvars, cmb, cunarmed,
                   pdone, casleep, ckills, gdel, rd_hi>>

Producer(p) ==
    \/ PAttach(p) \/ PAttachRecycle(p) \/ PReserve(p) \/ PSentAll(p)
    \/ PHasRoom(p) \/ PArm(p) \/ PSetFlag(p) \/ PRecheck(p)
    \/ \E q \in Procs : PDrain(p, q) \/ PMembarrier(p, q)
    \/ PSleep(p) \/ PSlice(p) \/ PClear(p) \/ PWrite(p) \/ PCommit(p)
    \/ PWakeCheck(p) \/ PWakeCall(p) \/ PExit(p) \/ PDetach(p)

-----------------------------------------------------------------------------
(* The consumer *)

CGo(l) == cpc' = l
CBody == {"refresh", "ring", "tail", "drain", "early", "deliver", "publish",
          "wakep", "recycle", "flags", "recheck", "sleep", "unflag"}
LiveRings == SelectSeq([i \in 1 .. NP |-> i - 1], LAMBDA r : clive[r])
FlagStores(v) == [i \in 1 .. Len(LiveRings) |->
                    [a |-> CFlagA(LiveRings[i]), v |-> v]]

\* RINGMPSC_IOC_ATTACH as consumer: continue from the shared head, the
\* only time head is read back. INV-LIFE-05, INV-LIFE-06. With WAITC the
\* module then signals every attached producer: one waiting for a
\* consumer has no flag for the consumer to see (INV-STREAM-04).
ArrivalSignals == WAITC /\ ~Off("NO_ATTACH_WAKE")
Arrive ==
    /\ cpc = "attach"
    /\ ~cpresent
    /\ cpresent' = TRUE
    /\ pefd' = IF ArrivalSignals
               THEN [r \in Rings |-> pefd[r] \/ state[r] = ACTIVE]
               ELSE pefd
    /\ cefd' = FALSE
    /\ chead' = [r \in Rings |-> mem[HeadA(r)]]
    /\ ctail' = [r \in Rings |-> mem[HeadA(r)]]
    /\ cgen' = gen
    /\ clive' = [r \in Rings |-> FALSE]
    /\ cdet' = [r \in Rings |-> FALSE]
    /\ cepoch' = -1                                \* force a refresh
    /\ rd_hi' = gdel      \* what an earlier consumer delivered may come again
    /\ CGo("refresh")
    /\ UNCHANGED <<mem, sb, state, gen, repoch, pvars, cr, work, rv,
                   mbvars, pdone, pasleep, casleep, pkills, ckills, gdel>>

\* Which attach it is: one that wakes a sleeping producer (the tag
\* "arrival" of check.sh), or any other.
ArrivalWakes == ArrivalSignals /\ \E r \in Rings : pasleep[r] /\ state[r] = ACTIVE
CAttach == Arrive /\ ~ArrivalWakes
CArrivalWake == Arrive /\ ArrivalWakes

\* ringmpsc__refresh_if_changed: kernel-written ring states; a changed
\* generation resets the private indices (INV-LIFE-03).
CRefresh ==
    /\ cpc = "refresh"
    /\ IF cepoch # repoch
       THEN /\ cepoch' = repoch
            /\ cgen' = gen
            /\ chead' = [r \in Rings |-> IF gen[r] # cgen[r] THEN 0 ELSE chead[r]]
            /\ ctail' = [r \in Rings |-> IF gen[r] # cgen[r] THEN 0 ELSE ctail[r]]
            /\ clive' = [r \in Rings |-> state[r] \in {ACTIVE, DETACHED}]
            /\ cdet' = [r \in Rings |-> state[r] = DETACHED]
       ELSE UNCHANGED <<cepoch, cgen, chead, ctail, clive, cdet>>
    /\ work' = FALSE
    /\ cr' = 0
    /\ CGo("ring")
    /\ UNCHANGED <<mem, sb, kvars, pvars, rv, mbvars, gvars>>

CSkipRing ==
    /\ cpc = "ring"
    /\ cr < NP /\ ~clive[cr]
    /\ cr' = cr + 1
    /\ UNCHANGED <<mem, sb, kvars, pvars, cpc, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, gvars>>

\* NO_ACQUIRE (negative): the first slot is read before the tail load.
CHoist ==
    /\ cpc = "ring"
    /\ cr < NP /\ clive[cr] /\ Off("NO_ACQUIRE")
    /\ rv' = mem[SlotA(cr, chead[cr])]
    /\ CGo("tail")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, mbvars, gvars>>

\* load-acquire of tail, once per batch; pairs with the producer's
\* store-release. INV-RING-05, INV-RING-10. NO_CONS_RELEASE (negative):
\* head is then stored before the slots are read.
CLoadTail ==
    /\ IF Off("NO_ACQUIRE") THEN cpc = "tail"
       ELSE cpc = "ring" /\ cr < NP /\ clive[cr]
    /\ ctail' = IF ctail[cr] = chead[cr]
                THEN [ctail EXCEPT ![cr] = Load(C, TailA(cr))]
                ELSE ctail
    /\ CGo(IF Off("NO_CONS_RELEASE") /\ ctail'[cr] # chead[cr] THEN "early" ELSE "drain")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, chead, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, gvars>>

CEarlyHead ==
    /\ cpc = "early"
    /\ Store(C, HeadA(cr), ctail[cr])
    /\ CGo("drain")
    /\ UNCHANGED <<mem, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, gvars>>

\* One message per step, so that a death can land mid-batch.
CRead ==
    /\ cpc = "drain"
    /\ ctail[cr] # chead[cr]
    /\ rv' = IF Off("NO_ACQUIRE") THEN rv ELSE mem[SlotA(cr, chead[cr])]
    /\ CGo("deliver")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, mbvars, gvars>>

\* The checks of a delivery are the invariant DeliverOK, which holds in
\* every state with cpc = "deliver". (NO_ACQUIRE reads the next slot here.)
Deliver ==
    /\ cpc = "deliver"
    /\ chead' = [chead EXCEPT ![cr] = @ + 1]
    /\ rv' = IF Off("NO_ACQUIRE") THEN mem[SlotA(cr, chead[cr] + 1)] ELSE NoMsg
    /\ CGo(IF chead[cr] + 1 # ctail[cr] THEN "drain"
           ELSE IF Off("NO_CONS_RELEASE") THEN "wakep" ELSE "publish")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, ctail, cgen, clive, cdet, cepoch,
                   work, mbvars, pdone, pasleep, casleep, pkills, ckills, rd_hi>>

\* The first delivery of this index (INV-RING-08) ...
CDeliver ==
    /\ Deliver
    /\ chead[cr] = gdel[cr]
    /\ gdel' = [gdel EXCEPT ![cr] = @ + 1]

\* ... or again: what a dead consumer had read and not released.
CRedeliver ==
    /\ Deliver
    /\ chead[cr] # gdel[cr]
    /\ UNCHANGED gdel

\* ringmpsc__publish_head: store-release of head; the slot reads above are
\* done (TSO never moves a load below a later store). Pairs with the
\* producer's load-acquire. INV-RING-05.
CPublish ==
    /\ cpc = "publish"
    /\ Store(C, HeadA(cr), chead[cr])
    /\ CGo("wakep")
    /\ UNCHANGED <<mem, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, gvars>>

\* Publisher half of the Dekker pair toward producer cr: barrier, load
\* its flag.
CPublishWake ==
    /\ cpc = "wakep"
    /\ Off("NO_PUBLISHER_BARRIER_P") \/ PubFenced(C)  \* INV-WAKE-02: head visible first
    /\ work' = TRUE
    /\ cr' = cr + 1
    /\ CGo("ring")
    /\ UNCHANGED <<mem, sb, state, gen, repoch, cpresent, cefd, pvars, chead,
                   ctail, cgen, clive, cdet, cepoch, rv, mbvars, gvars>>

\* The flag is clear: no system call (INV-WAKE-04) ...
CWakeCheck == CPublishWake /\ Load(C, PFlagA(cr)) # 1 /\ UNCHANGED pefd

\* ... or set: RINGMPSC_IOC_WAKE signals producer cr.
CWakeCall ==
    /\ CPublishWake
    /\ Load(C, PFlagA(cr)) = 1
    /\ pefd' = [pefd EXCEPT ![cr] = TRUE]

CEmpty ==
    /\ cpc = "drain"
    /\ ctail[cr] = chead[cr]
    /\ cr' = cr + 1
    /\ CGo(IF cdet[cr] THEN "recycle" ELSE "ring")
    /\ UNCHANGED <<mem, sb, kvars, pvars, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, gvars>>

\* Drained DETACHED ring (state was read before that tail, so the tail was
\* final): RINGMPSC_IOC_RECYCLE; the ioctl's lock drains our stores. The
\* module checks the ring itself (INV-LIFE-02). cr is already the next.
RecycleCall ==
    /\ cpc = "recycle"
    /\ Fenced(C)
    /\ work' = TRUE
    /\ CGo("ring")
    /\ UNCHANGED <<sb, cpresent, cefd, pefd, pvars, cr, chead, ctail, cgen,
                   clive, cdet, cepoch, rv, mbvars, pdone, pasleep, casleep, pkills, ckills>>

RecycleOK(r) == state[r] = DETACHED /\ gen[r] = cgen[r] /\ Drained(r)

\* The module recycles the ring ...
CRecycle ==
    /\ RecycleCall
    /\ RecycleOK(cr - 1)
    /\ RecycleVars(cr - 1)
    /\ state' = [state EXCEPT ![cr - 1] = FREE]
    /\ repoch' = repoch + 1

\* ... or refuses (it changed since the consumer looked).
CRecycleRefused ==
    /\ RecycleCall
    /\ ~RecycleOK(cr - 1)
    /\ UNCHANGED <<mem, gen, gdel, rd_hi, state, repoch>>

CPassDone ==
    /\ cpc = "ring"
    /\ cr = NP
    /\ CGo(IF work THEN "refresh" ELSE "flags")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, gvars>>

\* ringmpsc_wait, the sleeping half: (0) drain the eventfd, as a
\* producer does; (1) NEED_WAKEUP in every live ring;
\* with ASYM the outcome of membarrier() (2b), which nothing observes
\* before the call.
CSetFlags ==
    /\ cpc = "flags"
    /\ cefd' = FALSE                                             \* (0)
    /\ StoreAll(C, FlagStores(1))
    /\ \E ok \in MbOutcome :
          /\ cmb' = IF ok THEN MbTargets(C, "NO_MEMBARRIER_C") ELSE {}
          /\ cunarmed' = ~ok
    /\ CGo("recheck")
    /\ UNCHANGED <<mem, state, gen, repoch, cpresent, pefd, pvars, cr, chead,
                   ctail, cgen, clive, cdet, cepoch, work, rv, pmb, punarmed,
                   gvars>>

\* (2) INV-WAKE-01, as for a producer.
CSleeperFenced == Off("NO_SLEEPER_BARRIER_C") \/ Fenced(C)

\* ASYM: (2b) membarrier(), one registered producer q at a time
\* (INV-WAKE-02): q's buffer is drained,
CDrain(q) ==
    /\ cpc = "recheck" /\ CSleeperFenced
    /\ q \in cmb /\ sb[q] # << >>
    /\ Drain(q)
    /\ cmb' = cmb \ {q}
    /\ UNCHANGED <<kvars, pvars, cvars, pmb, punarmed, cunarmed, gvars>>

\* ... or was already empty.
CMembarrier(q) ==
    /\ cpc = "recheck" /\ CSleeperFenced
    /\ q \in cmb /\ sb[q] = << >>
    /\ cmb' = cmb \ {q}
    /\ UNCHANGED <<mem, sb, kvars, pvars, cvars, pmb, punarmed, cunarmed, gvars>>

\* (2) barrier, (3) consumer_has_work: ring_epoch, then every tail.
CRecheck ==
    /\ cpc = "recheck"
    /\ CSleeperFenced   \* (2) INV-WAKE-01
    /\ cmb = {}         \* (2b) ASYM: membarrier() has returned (INV-WAKE-02)
    /\ LET busy == /\ ~Off("NO_RECHECK_C")
                   /\ \/ cepoch # repoch
                      \/ \E r \in Rings : clive[r] /\ (Load(C, TailA(r)) # chead[r]
                                                       \/ cdet[r])
       IN  /\ casleep' = ~busy
           /\ CGo(IF busy THEN "unflag" ELSE "sleep")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, pdone, pasleep, pkills, ckills, gdel, rd_hi>>

CSleep ==                                                      \* (4)
    /\ cpc = "sleep"
    /\ cefd
    /\ cefd' = FALSE
    /\ casleep' = FALSE
    /\ CGo("unflag")
    /\ UNCHANGED <<mem, sb, state, gen, repoch, cpresent, pefd, pvars, cr, chead,
                   ctail, cgen, clive, cdet, cepoch, work, rv,
                   mbvars, pdone, pasleep, pkills, ckills, gdel, rd_hi>>

\* (4b) ASYM, membarrier() failed: the sleep ends after a slice (1 ms),
\* signalled or not; then the consumer arms again. INV-WAKE-06.
CSlice ==
    /\ cpc = "sleep"
    /\ cunarmed /\ ~Off("NO_SLICE_C")
    /\ casleep' = FALSE
    /\ CGo("unflag")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, pdone, pasleep, pkills, ckills,
                   gdel, rd_hi>>

CClearFlags ==                                                 \* (5)
    /\ cpc = "unflag"
    /\ StoreAll(C, FlagStores(0))
    /\ cunarmed' = FALSE
    /\ CGo("refresh")
    /\ UNCHANGED <<mem, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, pmb, punarmed, cmb, gvars>>

\* Consumer death: its stores drain on the kill path; the module marks it
\* absent and signals every producer. INV-LIFE-05, INV-WAKE-05.
CDetach ==
    /\ cpc = "dying"
    /\ Fenced(C)
    /\ cpresent' = FALSE
    /\ pefd' = [r \in Rings |-> pefd[r] \/ state[r] = ACTIVE]
    /\ CGo("attach")                               \* a new consumer
    /\ UNCHANGED <<mem, sb, state, gen, repoch, cefd, pvars, cr, chead, ctail,
                   cgen, clive, cdet, cepoch, work, rv, mbvars, gvars>>

CKill ==
    /\ cpc \in CBody
    /\ ckills < CCRASH
    /\ ckills' = ckills + 1
    /\ casleep' = FALSE
    /\ cmb' = {}
    /\ cunarmed' = FALSE
    /\ CGo("dying")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, pmb, punarmed,
                   pdone, pasleep, pkills, gdel, rd_hi>>

Consumer ==
    \/ CAttach \/ CArrivalWake \/ CRefresh \/ CSkipRing \/ CHoist \/ CLoadTail \/ CEarlyHead
    \/ CRead \/ CDeliver \/ CRedeliver \/ CPublish \/ CWakeCheck \/ CWakeCall
    \/ CEmpty \/ CRecycle \/ CRecycleRefused \/ CPassDone \/ CSetFlags
    \/ \E q \in Procs : CDrain(q) \/ CMembarrier(q)
    \/ CRecheck \/ CSleep \/ CSlice \/ CClearFlags \/ CDetach

-----------------------------------------------------------------------------
(* The system *)

Init ==
    /\ mem = [a \in Addr |-> Zero(a)]
    /\ sb = [me \in Procs |-> << >>]
    /\ state = [r \in Rings |-> FREE]      \* allocated up front
    /\ gen = [r \in Rings |-> 0]
    /\ repoch = 0
    /\ cpresent = FALSE
    /\ cefd = FALSE
    /\ pefd = [r \in Rings |-> FALSE]
    /\ ppc = [p \in Rings |-> "attach"]
    /\ ptail = [p \in Rings |-> 0]
    /\ pcache = [p \in Rings |-> 0]
    /\ psent = [p \in Rings |-> 0]
    /\ pn = [p \in Rings |-> 0]
    /\ cpc = "attach"
    /\ cr = 0
    /\ chead = [r \in Rings |-> 0]
    /\ ctail = [r \in Rings |-> 0]
    /\ cgen = [r \in Rings |-> 0]
    /\ clive = [r \in Rings |-> FALSE]
    /\ cdet = [r \in Rings |-> FALSE]
    /\ cepoch = -1
    /\ work = FALSE
    /\ rv = NoMsg
    /\ pmb = [p \in Rings |-> {}]
    /\ punarmed = [p \in Rings |-> FALSE]
    /\ cmb = {}
    /\ cunarmed = FALSE
    /\ pdone = [p \in Rings |-> FALSE]
    /\ pasleep = [p \in Rings |-> FALSE]
    /\ casleep = FALSE
    /\ pkills = 0
    /\ ckills = 0
    /\ gdel = [r \in Rings |-> 0]
    /\ rd_hi = [r \in Rings |-> 0]

\* Everything sent, drained and (for producers that left) recycled; the
\* consumer sleeps. The only state allowed to have no successor: TLC's
\* deadlock check then finds lost wakeups (INV-WAKE-03) as safety errors.
Quiet ==
    /\ \A r \in Rings : pdone[r] /\ state[r] # DETACHED /\ Drained(r)
    /\ casleep

Done == Quiet /\ UNCHANGED vars

Next ==
    \/ \E p \in Rings : Producer(p) \/ PKill(p)
    \/ Consumer \/ CKill
    \/ \E me \in Procs : Flush(me)
    \/ Done

\* Weak fairness for every process and every store buffer, none for the
\* kills: a behaviour without faults is fair too.
Spec ==
    /\ Init /\ [][Next]_vars
    /\ \A p \in Rings : WF_vars(Producer(p))
    /\ WF_vars(Consumer)
    /\ \A me \in Procs : WF_vars(Flush(me))

-----------------------------------------------------------------------------
(* Properties; README.md maps each to spec.md. *)

\* The values a word may hold: slot contents of generations 0..PCRASH+1 (a
\* ring is recycled once per detach), flags, indices of one generation.
\* (Constant sets are named: TLC computes a definition without arguments
\* once, an expression inside TypeOK in every state.)
Gens == 0 .. PCRASH + 1
RingStates == {FREE, ACTIVE, DETACHED}
PPcs == PBody \cup {"attach", "exit", "idle", "gone"}
CPcs == CBody \cup {"attach", "dying"}
MsgOK(v, maxseq) == v = NoMsg \/ (v[1] \in Gens /\ v[2] \in 1 .. maxseq)
WordOK(a, v) ==
    IF IsSlot(a) THEN MsgOK(v, Budget(RingOf(a)))
    ELSE IF IsFlag(a) THEN v \in {0, 1}
    ELSE v \in 0 .. Budget(RingOf(a))

\* What TypeOK says of ring r, its producer and the consumer's view of it.
RingTypeOK(r) ==
    LET index == 0 .. Budget(r)
    IN  /\ state[r] \in RingStates /\ gen[r] \in Gens /\ pefd[r] \in BOOLEAN
        /\ ppc[r] \in PPcs /\ pn[r] \in 0 .. BATCH
        /\ ptail[r] \in index /\ pcache[r] \in index /\ psent[r] \in index
        /\ chead[r] \in index /\ ctail[r] \in index /\ cgen[r] \in Gens
        /\ clive[r] \in BOOLEAN /\ cdet[r] \in BOOLEAN
        /\ pmb[r] \subseteq REG /\ punarmed[r] \in BOOLEAN
        /\ pdone[r] \in BOOLEAN /\ pasleep[r] \in BOOLEAN
        /\ gdel[r] \in index /\ rd_hi[r] \in index

TypeOK ==
    /\ DOMAIN mem = Addr /\ \A a \in Addr : WordOK(a, mem[a])
    /\ DOMAIN sb = Procs
    /\ \A me \in Procs : \A k \in 1 .. Len(sb[me]) :
           sb[me][k].a \in Addr /\ WordOK(sb[me][k].a, sb[me][k].v)
    /\ \A r \in Rings : RingTypeOK(r)
    /\ repoch \in Nat /\ cpresent \in BOOLEAN /\ cefd \in BOOLEAN
    /\ cpc \in CPcs /\ cr \in 0 .. NP /\ cepoch \in {-1} \cup Nat
    /\ work \in BOOLEAN /\ MsgOK(rv, Max(MSGS, MSGS1))
    /\ cmb \subseteq REG /\ cunarmed \in BOOLEAN /\ casleep \in BOOLEAN
    /\ pkills \in 0 .. PCRASH /\ ckills \in 0 .. CCRASH

\* INV-RING-01: bounded count.
BoundedCount ==
    \A r \in Rings : /\ mem[HeadA(r)] <= mem[TailA(r)]
                     /\ mem[TailA(r)] - mem[HeadA(r)] <= CAP

\* INV-RING-03, INV-RING-09, INV-LIFE-03: every slot in [head, tail) holds,
\* whole and visible, the message committed at that index in this
\* generation (outside the window a slot may hold anything).
CommittedWindow ==
    \A r \in Rings : \A i \in mem[HeadA(r)] .. mem[TailA(r)] - 1 :
        mem[SlotA(r, i)] = Msg(gen[r], i + 1)

\* INV-RING-04: each word has one writer.
Owns(me, a) == IF me = C THEN a % RW \in {2, 3}
                         ELSE RingOf(a) = me /\ a % RW \notin {2, 3}
SingleWriter == \A me \in Procs : \A k \in 1 .. Len(sb[me]) : Owns(me, sb[me][k].a)

\* INV-RING-06: a slot store (even buffered) never targets a slot whose
\* previous message is unreleased; INV-LIFE-03: nor a recycled ring.
ReservationExclusive ==
    \A p \in Rings : \A k \in 1 .. Len(sb[p]) :
        LET e == sb[p][k]
        IN  IsSlot(e.a) => /\ e.v[2] - 1 < mem[HeadA(p)] + CAP
                           /\ e.v[1] = gen[p]

\* INV-RING-03/-07/-09, INV-LIFE-03: the consumer reads the whole message
\* committed at its index in its generation (so FIFO, never partial, never
\* stale). INV-RING-08, INV-LIFE-05: first delivery in order, or again
\* only what a dead consumer had read and not released.
DeliverOK ==
    cpc = "deliver" =>
        /\ rv = Msg(cgen[cr], chead[cr] + 1)
        /\ chead[cr] = gdel[cr] \/ chead[cr] < rd_hi[cr]

\* INV-RING-10 never has to fire for an honest producer; INV-RING-11:
\* cached copies only lag.
IndicesSane ==
    /\ \A r \in Rings : cgen[r] = gen[r] /\ cpc \in CBody =>
           /\ chead[r] <= ctail[r] /\ ctail[r] - chead[r] <= CAP
           /\ ctail[r] <= mem[TailA(r)]
    /\ \A p \in Rings : ppc[p] \in PBody => pcache[p] <= mem[HeadA(p)]

\* INV-RING-02: indices never decrease within a generation.
Monotonic ==
    [][\A r \in Rings : gen'[r] = gen[r] =>
          /\ mem'[TailA(r)] >= mem[TailA(r)]
          /\ mem'[HeadA(r)] >= mem[HeadA(r)]]_vars

\* INV-LIFE-01: FREE -> ACTIVE -> DETACHED -> FREE (DETACHED -> ACTIVE is
\* the recycle at attach and the attach in one module call).
StateMachine ==
    [][\A r \in Rings : state'[r] # state[r] =>
          <<state[r], state'[r]>> \in {<<FREE, ACTIVE>>, <<ACTIVE, DETACHED>>,
                                       <<DETACHED, FREE>>, <<DETACHED, ACTIVE>>}]_vars

\* INV-LIFE-02: a ring is recycled only when drained, and nothing
\* committed was lost (every committed message was delivered).
RecycleDrained ==
    [][\A r \in Rings : gen'[r] # gen[r] =>
          /\ state[r] = DETACHED
          /\ Drained(r)
          /\ gdel[r] = mem[TailA(r)]]_vars

\* INV-WAKE-03: a sleeper with work is eventually woken. Each property
\* has a witness, its left-hand side, that check.sh requires to be
\* reachable (TLC must report the invariant ~witness violated), so that
\* a pass is not vacuous.
CWork(r) == ~Drained(r) \/ state[r] = DETACHED
\* Room (with WAITC: and a consumer): a producer waiting for a consumer is
\* woken when one attaches (INV-STREAM-04).
PWork(p) == mem[TailA(p)] - mem[HeadA(p)] < CAP /\ (~WAITC \/ cpresent)
CStuck == casleep /\ \E r \in Rings : CWork(r)
PStuck(p) == pasleep[p] /\ PWork(p)
WakeConsumer == CStuck ~> ~casleep
WakeProducer == \A p \in Rings : PStuck(p) ~> ~pasleep[p]

\* INV-RING-08, INV-LIFE-04/-05: every committed message is delivered (a
\* consumer is always attached again here).
Pending(r) == gdel[r] < mem[TailA(r)]
Delivered == \A r \in Rings : Pending(r) ~> ~Pending(r)

\* All ends well, again and again: everything sent, delivered, recycled,
\* the consumer asleep (INV-LIFE-02). Infinitely often rather than for
\* ever: a consumer whose membarrier() fails (MBFAIL) wakes from every
\* slice, and a consumer death after quiescence leaves Quiet for a while.
Quiesce == []<>Quiet

\* The witnesses' negations, for check.sh.
NoCStuck == ~CStuck
NoPStuck == ~\E p \in Rings : PStuck(p)
NoPending == ~\E r \in Rings : Pending(r)

\* The variables both models have, in the Promela model's encoding (a
\* message is generation * 16 + sequence, booleans 0/1): check.sh prints
\* this for every reachable state (TLC) and the same from spin's state
\* vectors, and compares the two sets.
B(x) == IF x THEN 1 ELSE 0
Code(a, v) == IF IsSlot(a) THEN v[1] * 16 + v[2] ELSE v
RingSeq(f) == [i \in 1 .. NP |-> f[i - 1]]
Shared ==
    << [i \in 1 .. NP * RW |-> Code(i - 1, mem[i - 1])],
       [i \in 1 .. NP + 1 |-> [k \in 1 .. Len(sb[i - 1]) |->
            << sb[i - 1][k].a, Code(sb[i - 1][k].a, sb[i - 1][k].v) >>]],
       RingSeq(state), RingSeq(gen), repoch, B(cpresent), B(cefd),
       [i \in 1 .. NP |-> B(pefd[i - 1])], [i \in 1 .. NP |-> B(pdone[i - 1])],
       [i \in 1 .. NP |-> B(pasleep[i - 1])], B(casleep),
       RingSeq(gdel), RingSeq(rd_hi) >>
PrintShared == PrintT(ToString(Shared))
=============================================================================
